/*
 * virtio-simple: the device's side of the protocol, with no QEMU in it
 *
 * Shared by the QEMU device and the vhost-user backend; see
 * virtio-simple-ops.h.  Plain C and libc only: both build it as it is.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <endian.h>
#include <stdlib.h>
#include <string.h>
/*
 * Our header first: QEMU's copy of the protocol header (standard-headers)
 * expects <stdint.h>'s types, which QEMU's files get from qemu/osdep.h.
 */
#include "hw/virtio/virtio-simple-ops.h"
#include "standard-headers/linux/virtio_simple.h"

#define HDR_SIZE VSIMPLE_OPS_HDR_SIZE
#define MAX_OF(a, b) ((a) > (b) ? (a) : (b))
_Static_assert(HDR_SIZE == sizeof(struct virtio_simple_hdr), "header size");

size_t vsimple_iov_size(const struct iovec *iov, unsigned int cnt)
{
    size_t n = 0;
    unsigned int i;

    for (i = 0; i < cnt; i++) {
        n += iov[i].iov_len;
    }
    return n;
}

/*
 * Walk @len bytes lying @skip bytes into @iov, piece by piece: @fn gets
 * each piece and the offset of its first byte.  Returns the bytes walked.
 */
typedef void VSimplePieceFn(void *opaque, uint8_t *piece, size_t n,
                            size_t at);

static size_t vsimple_iov_walk(const struct iovec *iov, unsigned int cnt,
                               size_t skip, size_t len, VSimplePieceFn *fn,
                               void *opaque)
{
    size_t at = 0;
    unsigned int i;

    for (i = 0; i < cnt && at < len; i++) {
        size_t n;

        if (skip >= iov[i].iov_len) {
            skip -= iov[i].iov_len;
            continue;
        }
        n = iov[i].iov_len - skip;
        if (n > len - at) {
            n = len - at;
        }
        fn(opaque, (uint8_t *)iov[i].iov_base + skip, n, at);
        at += n;
        skip = 0;
    }
    return at;
}

static void vsimple_piece_read(void *buf, uint8_t *piece, size_t n, size_t at)
{
    memcpy((uint8_t *)buf + at, piece, n);
}

/* memmove: an answer in place may be written over its own request */
static void vsimple_piece_write(void *buf, uint8_t *piece, size_t n,
                                size_t at)
{
    memmove(piece, (const uint8_t *)buf + at, n);
}

size_t vsimple_iov_read(const struct iovec *iov, unsigned int cnt,
                        size_t skip, void *buf, size_t len)
{
    return vsimple_iov_walk(iov, cnt, skip, len, vsimple_piece_read, buf);
}

size_t vsimple_iov_write(const struct iovec *iov, unsigned int cnt,
                         size_t skip, const void *buf, size_t len)
{
    return vsimple_iov_walk(iov, cnt, skip, len, vsimple_piece_write,
                            (void *)buf);
}

const char *vsimple_check_request_chain(const struct iovec *out,
                                        unsigned int out_num,
                                        const struct iovec *in,
                                        unsigned int in_num, bool in_place)
{
    if ((in_num && !in_place) || vsimple_iov_size(out, out_num) < HDR_SIZE) {
        return "requestq element is device-writable or shorter than the"
               " header";
    }
    if (in_num && vsimple_iov_size(in, in_num) < HDR_SIZE) {
        return "requestq element's room for its answer is shorter than the"
               " header";
    }
    return NULL;
}

const char *vsimple_check_response_chain(const struct iovec *in,
                                         unsigned int in_num,
                                         unsigned int out_num)
{
    if (out_num || vsimple_iov_size(in, in_num) < HDR_SIZE) {
        return "responseq element is device-readable or shorter than the"
               " header";
    }
    return NULL;
}

void vsimple_parse(const struct iovec *out, unsigned int out_num,
                   uint32_t max_payload, VSimpleRequest *req)
{
    size_t size = vsimple_iov_size(out, out_num);
    struct virtio_simple_hdr hdr = { 0 };

    vsimple_iov_read(out, out_num, 0, &hdr, HDR_SIZE);
    req->id = le64toh(hdr.id);
    req->op = le16toh(hdr.op);
    req->len = le32toh(hdr.len);
    req->status = VIRTIO_SIMPLE_S_OK;
    if (req->len != size - HDR_SIZE) {
        req->status = VIRTIO_SIMPLE_S_EINVAL;
    } else if (req->len > max_payload) {
        req->status = VIRTIO_SIMPLE_S_E2BIG;
    }
}

bool vsimple_delay_arg(const struct iovec *out, unsigned int out_num,
                       const VSimpleRequest *req, uint32_t *usec)
{
    uint32_t le;

    if (req->op != VIRTIO_SIMPLE_OP_DELAY ||
        req->status != VIRTIO_SIMPLE_S_OK || req->len != sizeof(le)) {
        return false;
    }
    vsimple_iov_read(out, out_num, HDR_SIZE, &le, sizeof(le));
    *usec = le32toh(le);
    return *usec <= VIRTIO_SIMPLE_DELAY_MAX_US;
}

VSimpleFault vsimple_fault_of(const struct iovec *out, unsigned int out_num,
                              const VSimpleRequest *req)
{
    static const struct {
        char letter;
        VSimpleFault fault;
    } faults[] = {
        { 'i', VSIMPLE_FAULT_ID }, { 'o', VSIMPLE_FAULT_OP },
        { 'l', VSIMPLE_FAULT_LEN }, { 'u', VSIMPLE_FAULT_LONG },
        { 'd', VSIMPLE_FAULT_DROP }, { 'r', VSIMPLE_FAULT_RESET },
    };
    char p[9];
    size_t i;

    if (req->op != VIRTIO_SIMPLE_OP_ECHO ||
        req->status != VIRTIO_SIMPLE_S_OK || req->len < sizeof(p) ||
        vsimple_iov_read(out, out_num, HDR_SIZE, p, sizeof(p)) != sizeof(p) ||
        memcmp(p, "x-fault:", 8)) {
        return VSIMPLE_FAULT_NONE;
    }
    for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
        if (faults[i].letter == p[8]) {
            return faults[i].fault;
        }
    }
    return VSIMPLE_FAULT_NONE;
}

/* CRC-32C (Castagnoli, reflected), one table built on first use. */
static uint32_t vsimple_crc_table[256];

static void vsimple_crc_init(void)
{
    uint32_t i, j, c;

    for (i = 0; i < 256; i++) {
        c = i;
        for (j = 0; j < 8; j++) {
            c = (c >> 1) ^ (c & 1 ? 0x82f63b78 : 0);
        }
        vsimple_crc_table[i] = c;
    }
}

static void vsimple_piece_crc(void *crc, uint8_t *piece, size_t n, size_t at)
{
    uint32_t c = *(uint32_t *)crc;
    size_t i;

    (void)at;
    for (i = 0; i < n; i++) {
        c = vsimple_crc_table[(c ^ piece[i]) & 0xff] ^ (c >> 8);
    }
    *(uint32_t *)crc = c;
}

uint32_t vsimple_crc32c(uint32_t so_far, const VSimpleData *data,
                        uint32_t len)
{
    uint32_t crc = so_far ^ 0xffffffff;

    if (!vsimple_crc_table[1]) {
        vsimple_crc_init();
    }
    vsimple_iov_walk(data->iov, data->cnt, data->skip, len,
                     vsimple_piece_crc, &crc);
    return crc ^ 0xffffffff;
}

/* The header's lie for a fault, and the extra bytes it claims. */
static size_t vsimple_apply_fault(VSimpleFault fault, size_t room,
                                  struct virtio_simple_hdr *hdr)
{
    switch (fault) {
    case VSIMPLE_FAULT_LONG:
        if (room < 64) {
            return 0;
        }
        hdr->len = htole32(le32toh(hdr->len) + 64);
        return 64;
    case VSIMPLE_FAULT_ID:
        hdr->id = htole64(le64toh(hdr->id) + 1000000);
        break;
    case VSIMPLE_FAULT_OP:
        hdr->op = htole16(le16toh(hdr->op) ^ 0x80);
        break;
    case VSIMPLE_FAULT_LEN:
        hdr->len = htole32(le32toh(hdr->len) + 1);
        break;
    default:
        break;
    }
    return 0;
}

/* Copy @len bytes of @data into @in after the header, where they lie. */
struct vsimple_copy {
    const struct iovec *in;
    unsigned int in_num;
};

static void vsimple_piece_copy(void *opaque, uint8_t *piece, size_t n,
                               size_t at)
{
    struct vsimple_copy *c = opaque;

    vsimple_iov_write(c->in, c->in_num, HDR_SIZE + at, piece, n);
}

VSimpleAnswer vsimple_write_response(const struct iovec *in,
                                     unsigned int in_num, uint64_t id,
                                     uint16_t op, uint16_t status,
                                     const VSimpleData *data, uint32_t len,
                                     VSimpleFault fault)
{
    size_t size = vsimple_iov_size(in, in_num), extra;
    struct virtio_simple_hdr hdr = { 0 };
    VSimpleAnswer a;

    if (HDR_SIZE + (size_t)len > size) {
        status = VIRTIO_SIMPLE_S_EMSGSIZE;
    }
    if (status != VIRTIO_SIMPLE_S_OK) {
        len = 0;
        fault = VSIMPLE_FAULT_NONE;     /* a fault lies only in an answer */
    }
    hdr.id = htole64(id);
    hdr.op = htole16(op);
    hdr.status = htole16(status);
    hdr.len = htole32(len);
    extra = vsimple_apply_fault(fault, size - HDR_SIZE - len, &hdr);
    vsimple_iov_write(in, in_num, 0, &hdr, HDR_SIZE);
    if (len) {
        struct vsimple_copy c = { in, in_num };

        vsimple_iov_walk(data->iov, data->cnt, data->skip, len,
                         vsimple_piece_copy, &c);
    }
    if (extra) {                /* a length lie still writes every byte */
        static const uint8_t zeros[64];

        vsimple_iov_write(in, in_num, HDR_SIZE + len, zeros, extra);
    }
    a.status = status;
    a.len = len;
    a.written = HDR_SIZE + len + extra;
    return a;
}

/* vsimple_execute(): an op the protocol does not define */
#define NOT_PROTOCOL 0xffff

/*
 * The protocol's ops that answer at once from a flat copy of the request:
 * one case per op (docs/extending.md adds one).  ECHO and the two CRCs
 * are served where the bytes lie, in vsimple_answer(), and never get here.
 * Returns a status and fills @out (room for @out_cap bytes), or
 * NOT_PROTOCOL.
 */
static uint16_t vsimple_execute(uint16_t op, const uint8_t *payload,
                                uint32_t len, uint8_t *out, uint32_t out_cap,
                                uint32_t *out_len)
{
    switch (op) {
    default:
        return NOT_PROTOCOL;
    }
}

bool vsimple_op_defined(uint16_t op)
{
    uint32_t out_len;
    uint8_t out[1];

    switch (op) {
    case VIRTIO_SIMPLE_OP_ECHO:
    case VIRTIO_SIMPLE_OP_CRC32C:
    case VIRTIO_SIMPLE_OP_CRC32C_UPDATE:
    case VIRTIO_SIMPLE_OP_DELAY:
        return true;
    }
    /* an empty request: each case checks its length before reading */
    return vsimple_execute(op, out, 0, out, 0, &out_len) != NOT_PROTOCOL;
}

VSimpleAnswer vsimple_answer(const VSimpleRequest *req,
                             const struct iovec *out, unsigned int out_num,
                             const struct iovec *in, unsigned int in_num,
                             uint32_t max_payload, VSimpleOpFn *fn,
                             void *opaque, VSimpleFault fault)
{
    VSimpleData payload = { out, out_num, HDR_SIZE };
    uint16_t status = req->status;
    uint32_t crc, so_far, out_len = 0, out_cap;
    uint8_t *flat, *answer;
    struct iovec answer_iov;
    VSimpleData answer_data = { &answer_iov, 1, 0 };
    VSimpleAnswer a;

    if (status != VIRTIO_SIMPLE_S_OK) {
        return vsimple_write_response(in, in_num, req->id, req->op, status,
                                      NULL, 0, fault);
    }
    switch (req->op) {
    case VIRTIO_SIMPLE_OP_ECHO:
        return vsimple_write_response(in, in_num, req->id, req->op, status,
                                      &payload, req->len, fault);
    case VIRTIO_SIMPLE_OP_CRC32C:
        crc = htole32(vsimple_crc32c(0, &payload, req->len));
        answer_iov = (struct iovec) { &crc, sizeof(crc) };
        return vsimple_write_response(in, in_num, req->id, req->op, status,
                                      &answer_data, sizeof(crc), fault);
    case VIRTIO_SIMPLE_OP_CRC32C_UPDATE:
        if (req->len < sizeof(so_far)) {
            return vsimple_write_response(in, in_num, req->id, req->op,
                                          VIRTIO_SIMPLE_S_EINVAL, NULL, 0,
                                          fault);
        }
        vsimple_iov_read(out, out_num, HDR_SIZE, &so_far, sizeof(so_far));
        payload.skip += sizeof(so_far);
        crc = htole32(vsimple_crc32c(le32toh(so_far), &payload,
                                     req->len - sizeof(so_far)));
        answer_iov = (struct iovec) { &crc, sizeof(crc) };
        return vsimple_write_response(in, in_num, req->id, req->op, status,
                                      &answer_data, sizeof(crc), fault);
    case VIRTIO_SIMPLE_OP_DELAY:
        /* a valid DELAY is the caller's to keep: this one is not valid */
        return vsimple_write_response(in, in_num, req->id, req->op,
                                      VIRTIO_SIMPLE_S_EINVAL, NULL, 0, fault);
    }
    /*
     * len <= max_payload here (parsed): both buffers are bounded.  The
     * protocol's own ops answer at most max(len, 4) bytes; a caller's
     * handler up to max_payload.  Zeroed: a handler that claims more than
     * it wrote sends zeros, never old heap.
     */
    out_cap = fn ? max_payload : MAX_OF(req->len, 4);
    flat = malloc(req->len ? req->len : 1);
    answer = calloc(1, out_cap);
    if (!flat || !answer) {
        /* no memory for this one now: a status the driver can retry on */
        status = VIRTIO_SIMPLE_S_E2BIG;
    } else {
        vsimple_iov_read(out, out_num, HDR_SIZE, flat, req->len);
        status = vsimple_execute(req->op, flat, req->len, answer, out_cap,
                                 &out_len);
        if (status == NOT_PROTOCOL) {
            status = fn ? fn(opaque, req->op, flat, req->len, answer,
                             out_cap, &out_len)
                        : VIRTIO_SIMPLE_S_ENOTSUP;
        }
        /* a handler answers with the protocol's statuses only */
        if (status > VIRTIO_SIMPLE_S_EMSGSIZE) {
            status = VIRTIO_SIMPLE_S_EINVAL;
        } else if (out_len > out_cap) {
            status = VIRTIO_SIMPLE_S_EMSGSIZE;
        }
    }
    if (status != VIRTIO_SIMPLE_S_OK) {
        out_len = 0;
    }
    answer_iov = (struct iovec) { answer, out_len };
    a = vsimple_write_response(in, in_num, req->id, req->op, status,
                               &answer_data, out_len, fault);
    free(flat);
    free(answer);
    return a;
}
