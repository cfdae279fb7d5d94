// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of common/virtio-simple-ops.c, the protocol code the QEMU device
 * and the vhost-user backend share, under ASan and UBSan: every op, status
 * and fault over chains cut at awkward places (a header split across
 * descriptors, one-byte pieces), and answers that do not fit.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include "hw/virtio/virtio-simple-ops.h"
#include "standard-headers/linux/virtio_simple.h"
#include "../lib/tap.h"

#define HDR 16

/* A chain: @total bytes of @buf cut into pieces of @piece bytes. */
struct chain {
	struct iovec iov[HDR + 70000];
	unsigned int n;
};

static void cut(struct chain *c, uint8_t *buf, size_t total, size_t piece)
{
	size_t at;

	c->n = 0;
	for (at = 0; at < total; at += piece)
		c->iov[c->n++] = (struct iovec){ buf + at,
						 total - at < piece ? total - at : piece };
}

static void put_hdr(uint8_t *buf, uint64_t id, uint16_t op, uint32_t len)
{
	struct virtio_simple_hdr h = {
		.id = htole64(id), .op = htole16(op), .len = htole32(len),
	};

	memcpy(buf, &h, HDR);
}

static struct virtio_simple_hdr get_hdr(const uint8_t *buf)
{
	struct virtio_simple_hdr h;

	memcpy(&h, buf, HDR);
	h.id = le64toh(h.id);
	h.op = le16toh(h.op);
	h.status = le16toh(h.status);
	h.len = le32toh(h.len);
	return h;
}

static struct chain rq, rs;
static uint8_t req[HDR + 70000], resp[HDR + 70000];

/* One request through parse and answer; the answer lands in resp[]. */
static VSimpleAnswer run(uint16_t op, const void *payload, uint32_t len,
			 uint32_t hdr_len, size_t resp_size, size_t piece,
			 VSimpleOpFn *fn, int fault_on)
{
	VSimpleRequest r;
	VSimpleFault f;

	put_hdr(req, 42, op, hdr_len);
	memcpy(req + HDR, payload, len);
	memset(resp, 0xa5, sizeof(resp));
	cut(&rq, req, HDR + len, piece);
	cut(&rs, resp, resp_size, piece);
	vsimple_parse(rq.iov, rq.n, 65536, &r);
	f = fault_on ? vsimple_fault_of(rq.iov, rq.n, &r) : VSIMPLE_FAULT_NONE;
	return vsimple_answer(&r, rq.iov, rq.n, rs.iov, rs.n, 65536, fn, NULL, f);
}

static uint16_t reverse(void *opaque, uint16_t op, const uint8_t *in,
			uint32_t len, uint8_t *out, uint32_t cap,
			uint32_t *out_len)
{
	uint32_t i;

	(void)opaque;
	if (op != 100 || len > cap)
		return VIRTIO_SIMPLE_S_ENOTSUP;
	for (i = 0; i < len; i++)
		out[i] = in[len - 1 - i];
	*out_len = len;
	return VIRTIO_SIMPLE_S_OK;
}

static uint16_t liar(void *opaque, uint16_t op, const uint8_t *in,
		     uint32_t len, uint8_t *out, uint32_t cap, uint32_t *out_len)
{
	(void)opaque; (void)op; (void)in; (void)len; (void)out;
	*out_len = cap + 1;
	return VIRTIO_SIMPLE_S_OK;
}

static void test_chains(void)
{
	uint8_t b[32] = { 0 };
	struct iovec one = { b, 32 }, small = { b, 15 };

	tap_check(!vsimple_check_request_chain(&one, 1, NULL, 0, false),
		  "a device-readable request of a header is accepted");
	tap_check(vsimple_check_request_chain(&one, 1, &one, 1, false) != NULL,
		  "a request with a device-writable part is refused");
	tap_check(vsimple_check_request_chain(&small, 1, NULL, 0, false) != NULL,
		  "a request shorter than the header is refused");
	tap_check(!vsimple_check_request_chain(&one, 1, &one, 1, true),
		  "ANSWER_IN_PLACE: a request with room for a header is accepted");
	tap_check(vsimple_check_request_chain(&one, 1, &small, 1, true) != NULL,
		  "ANSWER_IN_PLACE: room shorter than a header is refused");
	tap_check(vsimple_check_response_chain(&one, 1, 1) != NULL,
		  "a response buffer with a device-readable part is refused");
	tap_check(vsimple_check_response_chain(&small, 1, 0) != NULL,
		  "a response buffer shorter than the header is refused");
	tap_check(!vsimple_check_response_chain(&one, 1, 0),
		  "a device-writable response buffer of a header is accepted");
}

static void test_echo(void)
{
	static uint8_t data[65536];
	struct virtio_simple_hdr h;
	size_t pieces[] = { 1, 3, 7, 16, 4096, 70000 };
	unsigned int i, bad = 0;
	VSimpleAnswer a;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		uint32_t len = pieces[i] == 1 ? 3000 : sizeof(data);

		a = run(VIRTIO_SIMPLE_OP_ECHO, data, len, len, HDR + len,
			pieces[i], NULL, 0);
		h = get_hdr(resp);
		if (a.status || a.len != len || a.written != HDR + len ||
		    h.id != 42 || h.op != 1 || h.status || h.len != len ||
		    memcmp(resp + HDR, data, len))
			bad++;
	}
	tap_check(!bad, "ECHO returns the payload whatever the chains' cuts (%u wrong)", bad);

	a = run(VIRTIO_SIMPLE_OP_ECHO, data, 100, 100, HDR + 99, 4096, NULL, 0);
	h = get_hdr(resp);
	tap_check(a.status == VIRTIO_SIMPLE_S_EMSGSIZE && a.written == HDR &&
		  h.len == 0 && resp[HDR] == 0xa5,
		  "an answer that does not fit is a header with EMSGSIZE, nothing after it");
	a = run(VIRTIO_SIMPLE_OP_ECHO, data, 0, 0, HDR, 4096, NULL, 0);
	tap_check(a.status == 0 && a.written == HDR && get_hdr(resp).len == 0,
		  "an empty ECHO answers an empty payload");
}

static void test_parse(void)
{
	static uint8_t data[70000];
	VSimpleAnswer a;

	a = run(VIRTIO_SIMPLE_OP_ECHO, data, 10, 11, 4096, 4096, NULL, 0);
	tap_check(a.status == VIRTIO_SIMPLE_S_EINVAL && a.written == HDR,
		  "a header len other than the bytes carried is EINVAL (got %u)", a.status);
	a = run(VIRTIO_SIMPLE_OP_ECHO, data, 65537, 65537, sizeof(resp), 4096, NULL, 0);
	tap_check(a.status == VIRTIO_SIMPLE_S_E2BIG,
		  "a payload over max_payload is E2BIG (got %u)", a.status);
	a = run(77, data, 5, 5, 4096, 4096, NULL, 0);
	tap_check(a.status == VIRTIO_SIMPLE_S_ENOTSUP && get_hdr(resp).op == 77,
		  "an unknown op is ENOTSUP, with its op echoed");
}

static void test_crc(void)
{
	const char *check = "123456789";
	uint32_t crc;
	VSimpleAnswer a;
	size_t piece;
	int bad = 0;

	for (piece = 1; piece <= 32; piece++) {
		a = run(VIRTIO_SIMPLE_OP_CRC32C, check, 9, 9, 64, piece, NULL, 0);
		memcpy(&crc, resp + HDR, 4);
		if (a.status || a.len != 4 || le32toh(crc) != 0xE3069283)
			bad++;
	}
	tap_check(!bad, "CRC32C of \"123456789\" is 0xE3069283 in any cut (%d wrong)", bad);
}

/* CRC32C_UPDATE's answer, or ~0 when the status is not OK */
static uint32_t update(uint32_t so_far, const char *text, size_t piece)
{
	uint8_t payload[64];
	size_t n = strlen(text);
	uint32_t crc = htole32(so_far);
	VSimpleAnswer a;

	memcpy(payload, &crc, 4);
	memcpy(payload + 4, text, n);
	a = run(VIRTIO_SIMPLE_OP_CRC32C_UPDATE, payload, 4 + n, 4 + n, 64, piece,
		NULL, 0);
	memcpy(&crc, resp + HDR, 4);
	return a.status || a.len != 4 ? ~0u : le32toh(crc);
}

static void test_crc_update(void)
{
	size_t piece, split;
	int bad = 0;
	VSimpleAnswer a;

	for (piece = 1; piece <= 20; piece++)
		if (update(0, "123456789", piece) != 0xE3069283)
			bad++;
	tap_check(!bad, "CRC32C_UPDATE from 0 is CRC32C's answer, in any cut (%d wrong)", bad);
	for (split = 0; split <= 9; split++) {
		char head[10] = { 0 };

		memcpy(head, "123456789", split);
		if (update(update(0, head, 7), "123456789" + split, 5) != 0xE3069283)
			bad++;
	}
	tap_check(!bad, "two CRC32C_UPDATEs, the second from the first's answer, "
		  "give the whole's CRC32C at every split (%d wrong)", bad);
	tap_check(update(0x12345678, "", 64) == 0x12345678,
		  "CRC32C_UPDATE of no bytes answers its starting value");
	a = run(VIRTIO_SIMPLE_OP_CRC32C_UPDATE, "abc", 3, 3, 64, 2, NULL, 0);
	tap_check(a.status == VIRTIO_SIMPLE_S_EINVAL && a.written == HDR,
		  "CRC32C_UPDATE without its 4-byte start is EINVAL, the header alone");
}

static void test_delay(void)
{
	uint32_t usec, arg = htole32(1000), big = htole32(1000001);
	VSimpleRequest r;
	VSimpleAnswer a;

	put_hdr(req, 1, VIRTIO_SIMPLE_OP_DELAY, 4);
	memcpy(req + HDR, &arg, 4);
	cut(&rq, req, HDR + 4, 3);
	vsimple_parse(rq.iov, rq.n, 65536, &r);
	tap_check(vsimple_delay_arg(rq.iov, rq.n, &r, &usec) && usec == 1000,
		  "a DELAY of 1000 us is valid, its argument read across pieces");
	memcpy(req + HDR, &big, 4);
	tap_check(!vsimple_delay_arg(rq.iov, rq.n, &r, &usec),
		  "a DELAY over 1 s is not valid");
	a = run(VIRTIO_SIMPLE_OP_DELAY, &arg, 2, 2, 64, 4096, NULL, 0);
	tap_check(a.status == VIRTIO_SIMPLE_S_EINVAL,
		  "a DELAY whose argument is not 4 bytes is answered EINVAL at once");
}

static uint16_t driver_status(void *opaque, uint16_t op, const uint8_t *in,
			       uint32_t len, uint8_t *out, uint32_t cap,
			       uint32_t *out_len)
{
	(void)opaque; (void)op; (void)in; (void)len; (void)out; (void)cap;
	*out_len = 0;
	return VIRTIO_SIMPLE_S_EIO;	/* the driver's, never a device's */
}

static uint16_t short_writer(void *opaque, uint16_t op, const uint8_t *in,
			     uint32_t len, uint8_t *out, uint32_t cap,
			     uint32_t *out_len)
{
	(void)opaque; (void)op; (void)in; (void)len; (void)cap;
	out[0] = 'x';
	*out_len = 8;		/* claims 8, wrote 1 */
	return VIRTIO_SIMPLE_S_OK;
}

static void test_handler(void)
{
	static const uint8_t zeros[7];
	VSimpleAnswer a;

	a = run(100, "abc", 3, 3, 64, 1, reverse, 0);
	tap_check(a.status == 0 && a.len == 3 && !memcmp(resp + HDR, "cba", 3),
		  "an op of the caller's gets a flat copy and its answer is sent");
	a = run(100, "abc", 3, 3, 64, 1, liar, 0);
	tap_check(a.status == VIRTIO_SIMPLE_S_EMSGSIZE && a.written == HDR,
		  "a handler claiming more than its room is sent as EMSGSIZE, header only");
	a = run(100, "abc", 3, 3, 64, 1, driver_status, 0);
	tap_check(a.status == VIRTIO_SIMPLE_S_EINVAL && get_hdr(resp).status == 1,
		  "a handler's status outside the protocol's is sent as EINVAL");
	a = run(100, "abc", 3, 3, 64, 1, short_writer, 0);
	tap_check(a.status == 0 && a.len == 8 && resp[HDR] == 'x' &&
		  !memcmp(resp + HDR + 1, zeros, 7),
		  "bytes a handler claims and never wrote go out as zeros, not old memory");
}

static void test_faults(void)
{
	const char *f[] = { "x-fault:i", "x-fault:o", "x-fault:l", "x-fault:u",
			    "x-fault:d", "x-fault:r", "x-fault:z" };
	VSimpleFault want[] = { VSIMPLE_FAULT_ID, VSIMPLE_FAULT_OP, VSIMPLE_FAULT_LEN,
				VSIMPLE_FAULT_LONG, VSIMPLE_FAULT_DROP,
				VSIMPLE_FAULT_RESET, VSIMPLE_FAULT_NONE };
	struct virtio_simple_hdr h;
	VSimpleRequest r;
	VSimpleAnswer a;
	unsigned int i, bad = 0;
	uint8_t zeros[64] = { 0 };

	for (i = 0; i < 7; i++) {
		put_hdr(req, 1, VIRTIO_SIMPLE_OP_ECHO, 9);
		memcpy(req + HDR, f[i], 9);
		cut(&rq, req, HDR + 9, 2);
		vsimple_parse(rq.iov, rq.n, 65536, &r);
		if (vsimple_fault_of(rq.iov, rq.n, &r) != want[i])
			bad++;
	}
	tap_check(!bad, "each x-fault letter names its fault, an unknown one none");
	put_hdr(req, 1, VIRTIO_SIMPLE_OP_CRC32C, 9);
	cut(&rq, req, HDR + 9, 4096);
	vsimple_parse(rq.iov, rq.n, 65536, &r);
	tap_check(vsimple_fault_of(rq.iov, rq.n, &r) == VSIMPLE_FAULT_NONE,
		  "only an ECHO asks for a fault");

	a = run(VIRTIO_SIMPLE_OP_ECHO, "x-fault:i", 9, 9, 64, 5, NULL, 1);
	tap_check(get_hdr(resp).id == 42 + 1000000, "fault i answers another id");
	a = run(VIRTIO_SIMPLE_OP_ECHO, "x-fault:o", 9, 9, 64, 5, NULL, 1);
	tap_check(get_hdr(resp).op == (1 ^ 0x80), "fault o answers another op");
	a = run(VIRTIO_SIMPLE_OP_ECHO, "x-fault:l", 9, 9, 64, 5, NULL, 1);
	tap_check(get_hdr(resp).len == 10 && a.written == HDR + 9,
		  "fault l claims one byte more in the header than it writes");
	a = run(VIRTIO_SIMPLE_OP_ECHO, "x-fault:u", 9, 9, 200, 5, NULL, 1);
	h = get_hdr(resp);
	tap_check(h.len == 9 + 64 && a.written == HDR + 9 + 64 &&
		  !memcmp(resp + HDR + 9, zeros, 64),
		  "fault u claims 64 bytes more and writes them (zeros)");
	a = run(VIRTIO_SIMPLE_OP_ECHO, "x-fault:u", 9, 9, HDR + 9 + 63, 5, NULL, 1);
	tap_check(get_hdr(resp).len == 9 && a.written == HDR + 9,
		  "fault u without room for 64 more bytes answers plainly");
	a = run(VIRTIO_SIMPLE_OP_ECHO, "x-fault:i", 9, 9, 64, 5, NULL, 0);
	tap_check(get_hdr(resp).id == 42, "with fault injection off, x-fault:i is a plain ECHO");
	a = run(VIRTIO_SIMPLE_OP_ECHO, "x-fault:l", 9, 9, HDR + 8, 5, NULL, 1);
	h = get_hdr(resp);
	tap_check(a.status == VIRTIO_SIMPLE_S_EMSGSIZE && h.len == 0 &&
		  a.written == HDR,
		  "an EMSGSIZE answer carries no fault: len 0, the header alone");
}

/*
 * ANSWER_IN_PLACE as the Linux driver lays it out: the request's header,
 * then its payload; the answer's header elsewhere, then the same payload
 * memory.  The answer must be computed before it overwrites the request.
 */
static void test_in_place(void)
{
	static uint8_t data[4096], payload[4096];
	uint8_t rq_hdr[HDR], rs_hdr[HDR];
	struct iovec out[2] = { { rq_hdr, HDR }, { payload, sizeof(payload) } };
	struct iovec in[2] = { { rs_hdr, HDR }, { payload, sizeof(payload) } };
	struct virtio_simple_hdr h;
	VSimpleRequest r;
	struct iovec flat = { data, sizeof(data) };
	VSimpleData whole = { &flat, 1, 0 };
	VSimpleAnswer a;
	uint32_t crc, want;
	unsigned int i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	memcpy(payload, data, sizeof(data));
	put_hdr(rq_hdr, 7, VIRTIO_SIMPLE_OP_ECHO, sizeof(data));
	vsimple_parse(out, 2, 65536, &r);
	a = vsimple_answer(&r, out, 2, in, 2, 65536, NULL, NULL,
			   VSIMPLE_FAULT_NONE);
	h = get_hdr(rs_hdr);
	tap_check(a.status == 0 && a.written == HDR + sizeof(data) &&
		  h.id == 7 && h.len == sizeof(data) &&
		  !memcmp(payload, data, sizeof(data)),
		  "ECHO answered over its own request keeps the payload");

	memcpy(payload, data, sizeof(data));
	want = vsimple_crc32c(0, &whole, sizeof(data));
	put_hdr(rq_hdr, 8, VIRTIO_SIMPLE_OP_CRC32C, sizeof(data));
	vsimple_parse(out, 2, 65536, &r);
	a = vsimple_answer(&r, out, 2, in, 2, 65536, NULL, NULL,
			   VSIMPLE_FAULT_NONE);
	memcpy(&crc, payload, sizeof(crc));
	tap_check(a.status == 0 && a.written == HDR + 4 &&
		  get_hdr(rs_hdr).len == 4 && le32toh(crc) == want,
		  "CRC32C answered over its own request is computed before it is written");
}

int main(void)
{
	test_chains();
	test_echo();
	test_in_place();
	test_parse();
	test_crc();
	test_crc_update();
	test_delay();
	test_handler();
	test_faults();
	return tap_done();
}
