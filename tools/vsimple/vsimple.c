// SPDX-License-Identifier: BSD-3-Clause
/*
 * vsimple: command-line client for virtio-simple devices.
 * Exit codes: 0 success, 1 the device answered with an error status or a
 * request failed, 2 usage error, 3 no such device, 4 permission denied.
 * Arguments are checked in full before the device is opened.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include "libvsimple.h"

enum { EXIT_STATUS = 1, EXIT_USAGE = 2, EXIT_NODEV = 3, EXIT_PERM = 4 };

static const char *device = "0";
static int json_out;	/* --json, for the commands that take it */

static void usage(FILE *f)
{
	fprintf(f,
"usage: vsimple [-d|--device N|PATH] COMMAND [--help] [ARGS]\n"
"       vsimple -h|--help | -V|--version\n"
"\n"
"Talk to a virtio-simple device (/dev/virtio-simpleN, default N=0).\n"
"\n"
"commands:\n"
"  list [--json]        the devices present\n"
"  info [--json]        max payload, queue sizes, features, label\n"
"  echo [TEXT|-]        send TEXT (or stdin) and print the answer\n"
"  crc32c [FILE|-]      CRC-32C of FILE (or stdin), any size, by the device\n"
"  delay USEC           ask for an answer after USEC microseconds (<= 1000000)\n"
"  bench [--op echo|crc32c|delay] [--size BYTES] [--depth N]\n"
"        [--engine rw|uring] [--seconds S] [--json]\n"
"                       requests/s, MB/s and latency percentiles\n"
"\n"
"A TEXT that starts with '-' follows '--': vsimple echo -- -n\n"
"\n"
"exit status: 0 ok, 1 error answer or failed request, 2 usage, 3 no device,\n"
"4 permission denied (the node's mode: see driver/99-virtio-simple.rules)\n");
}

static int die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "vsimple: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see vsimple --help)\n");
	return EXIT_USAGE;
}

/* Refuse what follows the last argument a command takes. */
static int no_more_args(int argc, char **argv, int takes)
{
	if (argc > takes)
		return die_usage("unexpected argument '%s'", argv[takes]);
	return 0;
}

/* @s as a JSON string: quotes, backslashes and control bytes escaped. */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/*
 * A command's own options, before its arguments: --help everywhere, --json
 * where @json is given.  Moves argc and argv past them.  Returns -1 to go on,
 * or the exit code (0 after --help).
 */
static int command_options(const char *name, int *argc, char ***argv,
			   int *json)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	(*argv)[0] = (char *)name;
	optind = 0;
	opterr = 0;
	/* "+": the first argument ends the options ("-" is an argument) */
	while ((c = getopt_long(*argc, *argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'j' && json) {
			*json = 1;
			continue;
		}
		return die_usage("unknown option '%s'", (*argv)[optind - 1]);
	}
	*argc -= optind;
	*argv += optind;
	return -1;
}

/*
 * A whole decimal number from min to max: no sign, no blanks, nothing after
 * it (strtoul alone takes "", "abc" and "-1" for 0 and ULONG_MAX).
 */
static int parse_number(const char *s, unsigned long min, unsigned long max,
			unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A usage error for a bad number, quoting it. */
static int bad_number(const char *what, const char *s, unsigned long min,
		      unsigned long max)
{
	fprintf(stderr, "vsimple: %s must be a whole number from %lu to %lu, "
		"got '%s'\n(see vsimple --help)\n", what, min, max, s);
	return EXIT_USAGE;
}

/* -d N: an index when it is all digits, else a path. */
static int parse_index(const char *s, unsigned long *idx)
{
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 1;
	return *s ? parse_number(s, 0, INT_MAX, idx) : 1;
}

/* The exit code and message for a failed open or IOC_INFO (errno). */
static int device_error(const char *what)
{
	int err = errno;

	switch (err) {
	case ENOENT:
		fprintf(stderr, "vsimple: no virtio-simple device %s: is the module "
			"loaded and the device present? see dmesg and 'vsimple list'\n",
			device);
		return EXIT_NODEV;
	case EACCES:
	case EPERM:
		fprintf(stderr, "vsimple: device %s: permission denied (install the "
			"udev rule driver/99-virtio-simple.rules, or run as root)\n",
			device);
		return EXIT_PERM;
	case ENOTTY:
		fprintf(stderr, "vsimple: %s is not a virtio-simple device\n", device);
		return EXIT_NODEV;
	case ENODEV:
	case ENXIO:
		fprintf(stderr, "vsimple: device %s: %s: %s (unplugged or unbound?)\n",
			device, what, strerror(err));
		return EXIT_NODEV;
	default:
		fprintf(stderr, "vsimple: device %s: %s: %s\n", device, what,
			strerror(err));
		return EXIT_STATUS;
	}
}

/*
 * Open the selected device and read its facts; 0, or an exit code after
 * an error a person can act on.
 */
static int open_device(int flags, struct vsimple **vs,
		       struct virtio_simple_info *info)
{
	unsigned long idx;

	if (!parse_index(device, &idx))
		*vs = vsimple_open((int)idx, flags);
	else
		*vs = vsimple_open_path(device, flags);
	if (!*vs)
		return device_error("open");
	if (vsimple_info(*vs, info) < 0) {
		int rc = device_error("info");

		vsimple_close(*vs);
		return rc;
	}
	return 0;
}

static int out_of_memory(void)
{
	fprintf(stderr, "vsimple: out of memory\n");
	return EXIT_STATUS;
}

/* Read a whole file (or stdin) into memory, at most max bytes. */
static uint8_t *slurp(const char *path, uint32_t max, uint32_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	uint8_t *buf = malloc(max + 1);
	size_t n;

	if (!f || !buf) {
		fprintf(stderr, "vsimple: %s: %s\n", path, strerror(errno));
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	if (f != stdin)
		fclose(f);
	if (n > max) {
		fprintf(stderr, "vsimple: %s: more than the device's max payload "
			"(%u bytes)\n", path, max);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* One synchronous call; prints the failure and returns an exit code. */
static int call(struct vsimple *vs, uint16_t op, const void *req, uint32_t len,
		void *resp, uint32_t cap, uint32_t *resp_len)
{
	uint16_t status;

	if (vsimple_call(vs, op, req, len, resp, cap, &status, resp_len) < 0) {
		fprintf(stderr, "vsimple: request failed: %s\n", strerror(errno));
		return errno == ENODEV ? EXIT_NODEV : EXIT_STATUS;
	}
	if (status != VIRTIO_SIMPLE_S_OK) {
		fprintf(stderr, "vsimple: device answered %s\n",
			vsimple_status_name(status));
		return EXIT_STATUS;
	}
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	int json = json_out;
	int idx[256], n;

	if (no_more_args(argc, argv, 0))
		return EXIT_USAGE;
	n = vsimple_list(idx, 256);

	if (n <= 0) {
		if (json)
			printf("[]\n");
		fprintf(stderr, "vsimple: no virtio-simple device: is the module "
			"loaded? see dmesg\n");
		return EXIT_NODEV;
	}
	if (json)
		putchar('[');
	for (int i = 0; i < n; i++) {
		struct vsimple *vs = vsimple_open(idx[i], 0);
		struct virtio_simple_info info;
		int ok = vs && vsimple_info(vs, &info) == 0;

		if (json) {
			printf("%s{\"device\": \"/dev/virtio-simple%d\", \"index\": %d",
			       i ? ", " : "", idx[i], idx[i]);
			if (ok) {
				printf(", \"max_payload\": %u, \"label\": ",
				       info.max_payload);
				json_string((char *)info.label);
			} else {
				printf(", \"error\": ");
				json_string(strerror(errno));
			}
			putchar('}');
		} else if (ok) {
			printf("/dev/virtio-simple%d\tmax_payload=%u\tlabel=%s\n",
			       idx[i], info.max_payload, (char *)info.label);
		} else {
			printf("/dev/virtio-simple%d\t(%s)\n", idx[i],
			       strerror(errno));
		}
		vsimple_close(vs);
	}
	if (json)
		printf("]\n");
	return 0;
}

static int cmd_info(int argc, char **argv)
{
	int json = json_out;
	struct virtio_simple_info info;
	struct vsimple *vs;
	int rc = no_more_args(argc, argv, 0);

	if (rc || (rc = open_device(0, &vs, &info)))
		return rc;
	if (json) {
		printf("{\"device\": ");
		json_string(vsimple_path(vs));
		printf(", \"max_payload\": %u, \"req_queue_size\": %u, "
		       "\"resp_queue_size\": %u, \"max_in_flight\": %u, "
		       "\"features\": %" PRIu64 ", \"label\": ",
		       info.max_payload, info.req_queue_size,
		       info.resp_queue_size, info.max_in_flight,
		       (uint64_t)info.features);
		json_string((char *)info.label);
		printf("}\n");
		vsimple_close(vs);
		return 0;
	}
	printf("device:          %s\n", vsimple_path(vs));
	printf("max_payload:     %u\n", info.max_payload);
	printf("requestq size:   %u\n", info.req_queue_size);
	printf("responseq size:  %u\n", info.resp_queue_size);
	printf("max in flight:   %u\n", info.max_in_flight);
	printf("features:        0x%016" PRIx64 "\n", (uint64_t)info.features);
	printf("label:           %s\n", (char *)info.label);
	vsimple_close(vs);
	return 0;
}

static int cmd_echo(int argc, char **argv)
{
	struct virtio_simple_info info;
	uint8_t *req = NULL, *resp;
	uint32_t len, got;
	struct vsimple *vs;
	int rc = no_more_args(argc, argv, 1);

	if (rc || (rc = open_device(0, &vs, &info)))
		return rc;
	if (argc < 1 || !strcmp(argv[0], "-")) {
		req = slurp("-", info.max_payload, &len);
	} else {
		len = strlen(argv[0]);
		req = (uint8_t *)strdup(argv[0]);
		if (len > info.max_payload) {
			fprintf(stderr, "vsimple: TEXT is %u bytes, the device takes at "
				"most %u\n", len, info.max_payload);
			free(req);
			vsimple_close(vs);
			return EXIT_USAGE;
		}
	}
	if (!req) {
		vsimple_close(vs);
		return EXIT_STATUS;
	}
	resp = malloc(info.max_payload + 1);
	rc = resp ? call(vs, VIRTIO_SIMPLE_OP_ECHO, req, len, resp,
			 info.max_payload, &got) : out_of_memory();
	if (!rc) {
		fwrite(resp, 1, got, stdout);
		if (argc >= 1 && strcmp(argv[0], "-"))
			putchar('\n');
	}
	free(req);
	free(resp);
	vsimple_close(vs);
	return rc;
}

/*
 * CRC32C_UPDATE in pieces of at most max_payload - 4 bytes, the first from
 * @have bytes already read into @data (room for max_payload), the rest from
 * @f.  A device without the op answers ENOTSUP: said, not guessed at.
 */
static int crc32c_pieces(struct vsimple *vs, uint32_t max, FILE *f,
			 const char *path, uint8_t *data, size_t have,
			 uint32_t *crc)
{
	uint32_t piece = max - 4, take, got, so_far = 0, answer;
	uint8_t *req = malloc(max);
	uint16_t status;
	int rc = 0;

	if (!req)
		return out_of_memory();
	while (!rc && have) {
		take = have < piece ? have : piece;
		answer = htole32(so_far);
		memcpy(req, &answer, 4);
		memcpy(req + 4, data, take);
		if (vsimple_call(vs, VIRTIO_SIMPLE_OP_CRC32C_UPDATE, req, 4 + take,
				 &answer, sizeof(answer), &status, &got) < 0) {
			fprintf(stderr, "vsimple: request failed: %s\n",
				strerror(errno));
			rc = errno == ENODEV ? EXIT_NODEV : EXIT_STATUS;
		} else if (status == VIRTIO_SIMPLE_S_ENOTSUP) {
			fprintf(stderr, "vsimple: %s: more than the device's max "
				"payload (%u bytes), and the device has no "
				"CRC32C_UPDATE to take it in pieces\n", path, max);
			rc = EXIT_STATUS;
		} else if (status != VIRTIO_SIMPLE_S_OK || got != 4) {
			fprintf(stderr, "vsimple: device answered %s\n",
				vsimple_status_name(status));
			rc = EXIT_STATUS;
		}
		so_far = le32toh(answer);
		memmove(data, data + take, have - take);
		have -= take;
		have += fread(data + have, 1, max - have, f);
		if (ferror(f)) {
			fprintf(stderr, "vsimple: %s: %s\n", path, strerror(errno));
			rc = EXIT_STATUS;
		}
	}
	free(req);
	*crc = htole32(so_far);
	return rc;
}

/*
 * What fits in one request goes as one CRC32C, which every device has; a
 * bigger FILE in CRC32C_UPDATE pieces (docs/spec.md 5.1).
 */
static int cmd_crc32c(int argc, char **argv)
{
	const char *path = argc >= 1 ? argv[0] : "-";
	struct virtio_simple_info info;
	uint32_t got, crc;
	struct vsimple *vs;
	uint8_t *data = NULL;
	FILE *f = NULL;
	size_t have;
	int rc = no_more_args(argc, argv, 1), c;

	if (rc || (rc = open_device(0, &vs, &info)))
		return rc;
	data = malloc(info.max_payload);
	if (!data) {
		rc = out_of_memory();
		goto out;
	}
	f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		fprintf(stderr, "vsimple: %s: %s\n", path, strerror(errno));
		rc = EXIT_STATUS;
		goto out;
	}
	have = fread(data, 1, info.max_payload, f);
	c = ferror(f) ? EOF : getc(f);
	if (ferror(f)) {
		fprintf(stderr, "vsimple: %s: %s\n", path, strerror(errno));
		rc = EXIT_STATUS;
	} else if (c == EOF) {
		rc = call(vs, VIRTIO_SIMPLE_OP_CRC32C, data, have, &crc,
			  sizeof(crc), &got);
	} else if (info.max_payload <= 4) {
		fprintf(stderr, "vsimple: %s: more than the device's max payload "
			"(%u bytes), too small to send in pieces\n", path,
			info.max_payload);
		rc = EXIT_STATUS;
	} else {
		ungetc(c, f);
		rc = crc32c_pieces(vs, info.max_payload, f, path, data, have,
				   &crc);
	}
	if (!rc)
		printf("%08x  %s\n", le32toh(crc), path);
out:
	if (f && f != stdin)
		fclose(f);
	free(data);
	vsimple_close(vs);
	return rc;
}

static int cmd_delay(int argc, char **argv)
{
	struct virtio_simple_info info;
	unsigned long usec;
	uint32_t arg, got;
	struct vsimple *vs;
	int rc;

	if (argc < 1)
		return die_usage("delay needs USEC%s", "");
	if (parse_number(argv[0], 0, VIRTIO_SIMPLE_DELAY_MAX_US, &usec))
		return bad_number("delay: USEC", argv[0], 0,
				  VIRTIO_SIMPLE_DELAY_MAX_US);
	rc = no_more_args(argc, argv, 1);
	if (rc || (rc = open_device(0, &vs, &info)))
		return rc;
	arg = htole32((uint32_t)usec);
	rc = call(vs, VIRTIO_SIMPLE_OP_DELAY, &arg, sizeof(arg), NULL, 0, &got);
	vsimple_close(vs);
	return rc;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define BENCH_MAX_DEPTH 4096

/* --seconds: a plain positive number, at most a day (no sign, nan or inf). */
static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno || !isfinite(v) || v <= 0 || v > 86400)
		return -1;
	*out = v;
	return 0;
}

/* CRC-32C (Castagnoli, reflected), to check the device's CRC32C answers. */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	uint32_t crc = 0xffffffff;

	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
			table[i] = c;
		}
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/*
 * A bench run.  Slot s (0..depth-1) is a fixed request image; requests are
 * numbered in order and request q uses slot q % depth, its id being q.
 * The images are laid out twice (position i holds slot i % depth), so any
 * run of up to depth slots from the ring's head is contiguous in memory and
 * goes to the driver as one batch (libvsimple's wire-format batches): one
 * write(), one notification.
 */
struct bench {
	uint16_t op;
	unsigned long size, depth;
	size_t req_size;		/* 16 + size */
	uint32_t answer_cap;		/* payload room in answer */
	uint8_t *images;		/* 2 * depth request images */
	uint8_t *answer;		/* answers, back to back */
	size_t answer_room;		/* its bytes: depth answers, or one */
	uint32_t crc;			/* CRC32C: the answer every request expects */
	uint64_t *id;			/* per slot: the request in it, if busy */
	uint8_t *busy;			/* per slot */
	double *sent_at;		/* per slot */
	uint64_t next_id;		/* the next request; its slot is the head */
	unsigned long in_flight, max_in_flight;
	double *lat;
	size_t nlat, cap_lat;
	uint64_t bytes, checked, errors, writes, reads;
	/* --engine uring: the ring's slots, in the order first seen */
	struct vsimple_ring *ring;
	uint8_t **slot_at;
	size_t nslots;
};

static uint8_t *bench_payload(struct bench *b, size_t pos)
{
	return b->images + pos * b->req_size + VIRTIO_SIMPLE_HDR_SIZE;
}

/*
 * Fill the request images.  ECHO: pseudo-random bytes, different in every
 * slot, so an answer that comes back for the wrong request shows; CRC32C:
 * the same bytes everywhere (one expected CRC); DELAY: 100 us.
 */
static void bench_fill(struct bench *b)
{
	uint32_t x = 0x9e3779b9;

	for (size_t pos = 0; pos < 2 * b->depth; pos++) {
		struct virtio_simple_hdr hdr = {
			.op = htole16(b->op),
			.len = htole32(b->size),
		};
		uint8_t *p = bench_payload(b, pos);

		memcpy(p - VIRTIO_SIMPLE_HDR_SIZE, &hdr, sizeof(hdr));
		if (pos >= b->depth) {
			memcpy(p, bench_payload(b, pos - b->depth), b->size);
			continue;
		}
		if (b->op == VIRTIO_SIMPLE_OP_ECHO || pos == 0)
			for (size_t i = 0; i < b->size; i++) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				p[i] = x >> 24;
			}
		else
			memcpy(p, bench_payload(b, 0), b->size);
		if (b->op == VIRTIO_SIMPLE_OP_DELAY)
			*(uint32_t *)p = htole32(100);
	}
	if (b->op == VIRTIO_SIMPLE_OP_CRC32C)
		b->crc = htole32(crc32c(bench_payload(b, 0), b->size));
}

/*
 * Send the free slots from the head on, up to depth in flight, in one
 * vsimple_submit_batch().  Returns how many went (0: the driver said
 * EAGAIN), or -1.
 */
static long bench_submit(struct bench *b, struct vsimple *vs)
{
	size_t head = b->next_id % b->depth, n = 0;
	double t;
	ssize_t w;

	while (b->in_flight + n < b->depth && !b->busy[(head + n) % b->depth]) {
		uint8_t *payload = bench_payload(b, head + n);

		/* the header only: the payload already lies in place */
		vsimple_batch_put(payload - VIRTIO_SIMPLE_HDR_SIZE, b->req_size,
				  b->next_id + n, b->op, payload, b->size);
		n++;
	}
	if (!n)
		return 0;
	/* the round trip includes the write() itself */
	t = now_s();
	w = vsimple_submit_batch(vs, bench_payload(b, head) - VIRTIO_SIMPLE_HDR_SIZE,
				 n * b->req_size);
	if (w < 0)
		return errno == EAGAIN ? 0 : -1;
	/* a batch cut short (a limit reached) sent whole requests */
	n = w / b->req_size;
	b->writes++;
	for (size_t i = 0; i < n; i++) {
		size_t slot = (head + i) % b->depth;

		b->busy[slot] = 1;
		b->id[slot] = b->next_id + i;
		b->sent_at[slot] = t;
	}
	b->next_id += n;
	b->in_flight += n;
	if (b->in_flight > b->max_in_flight)
		b->max_in_flight = b->in_flight;
	return n;
}

/*
 * Check one answer against its request: id, op, status, length and every
 * payload byte.  0, or -1 after saying loudly what differs.
 */
static int bench_check(struct bench *b, const uint8_t *answer, ssize_t n,
		       size_t *slot_out)
{
	struct virtio_simple_hdr hdr;
	uint32_t len, want_len;
	const uint8_t *got, *want;
	uint64_t id;
	size_t slot;

	if (n < VIRTIO_SIMPLE_HDR_SIZE) {
		fprintf(stderr, "vsimple: bench: FAILED: a %zd-byte answer\n", n);
		return -1;
	}
	memcpy(&hdr, answer, sizeof(hdr));
	id = le64toh(hdr.id);
	len = le32toh(hdr.len);
	slot = id % b->depth;
	if (!b->busy[slot] || b->id[slot] != id) {
		fprintf(stderr, "vsimple: bench: FAILED: answer to request %" PRIu64
			", which is not in flight\n", id);
		return -1;
	}
	if (le16toh(hdr.op) != b->op || n != (ssize_t)(sizeof(hdr) + len)) {
		fprintf(stderr, "vsimple: bench: FAILED: answer to request %" PRIu64
			": op %u, len %u in a %zd-byte read; sent op %u\n", id,
			le16toh(hdr.op), len, n, b->op);
		return -1;
	}
	*slot_out = slot;
	if (le16toh(hdr.status) != VIRTIO_SIMPLE_S_OK) {
		b->errors++;
		return 0;
	}
	got = answer + sizeof(hdr);
	switch (b->op) {
	case VIRTIO_SIMPLE_OP_ECHO:
		want = bench_payload(b, slot);
		want_len = b->size;
		break;
	case VIRTIO_SIMPLE_OP_CRC32C:
		want = (const uint8_t *)&b->crc;
		want_len = sizeof(b->crc);
		break;
	default:
		want = NULL;
		want_len = 0;
	}
	if (len != want_len) {
		fprintf(stderr, "vsimple: bench: FAILED: answer to request %" PRIu64
			" has %u payload bytes, expected %u\n", id, len, want_len);
		return -1;
	}
	if (len && memcmp(got, want, len)) {
		uint32_t i = 0;

		while (got[i] == want[i])
			i++;
		fprintf(stderr, "vsimple: bench: FAILED: answer to request %" PRIu64
			": payload byte %u is 0x%02x, expected 0x%02x\n", id, i,
			got[i], want[i]);
		return -1;
	}
	b->checked += len;
	return 0;
}

/* One answer of @n bytes: checked, timed, and its request's slot freed. */
static int bench_answer(struct bench *b, const uint8_t *answer, ssize_t n)
{
	size_t slot;

	if (bench_check(b, answer, n, &slot) < 0)
		return -1;
	if (b->nlat == b->cap_lat) {
		double *more = realloc(b->lat, 2 * b->cap_lat * sizeof(*b->lat));

		if (!more) {
			out_of_memory();
			return -1;
		}
		b->lat = more;
		b->cap_lat *= 2;
	}
	b->lat[b->nlat++] = now_s() - b->sent_at[slot];
	b->busy[slot] = 0;
	b->bytes += b->size;
	b->in_flight--;
	return 0;
}

/*
 * Read and check every answer ready now, as many per read() as are there
 * (vsimple_receive_batch()); 0, or -1 after the message.
 */
static int bench_drain(struct bench *b, struct vsimple *vs)
{
	/* with nothing in flight no answer can come: spare the read() */
	while (b->in_flight) {
		ssize_t n = vsimple_receive_batch(vs, b->answer, b->answer_room,
						  b->in_flight), off, one;
		struct virtio_simple_hdr hdr;

		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			fprintf(stderr, "vsimple: bench: FAILED: read: %s\n",
				strerror(errno));
			return -1;
		}
		b->reads++;
		/* each answer's size from its header; bench_check() checks it */
		for (off = 0; off < n; off += one) {
			one = n - off;
			if (one > VIRTIO_SIMPLE_HDR_SIZE) {
				memcpy(&hdr, b->answer + off, sizeof(hdr));
				if (le32toh(hdr.len) < one - VIRTIO_SIMPLE_HDR_SIZE)
					one = VIRTIO_SIMPLE_HDR_SIZE + le32toh(hdr.len);
			}
			if (bench_answer(b, b->answer + off, one) < 0)
				return -1;
		}
	}
	return 0;
}

/* Keep --depth requests written for --seconds, in batches; check answers. */
static int bench_run(struct bench *b, struct vsimple *vs, double seconds)
{
	double end = now_s() + seconds, idle_since = now_s();

	for (;;) {
		double t = now_s();
		struct pollfd p = { .fd = vsimple_fd(vs), .events = POLLIN };
		long sent = 0;

		if (t >= end && !b->in_flight)
			return 0;
		if (t < end && b->in_flight < b->depth) {
			sent = bench_submit(b, vs);
			if (sent < 0) {
				fprintf(stderr, "vsimple: bench: FAILED: write: %s\n",
					strerror(errno));
				return -1;
			}
			/* at a driver limit with nothing in flight: wait to write */
			if (!sent && !b->in_flight)
				p.events = POLLOUT;
		}
		if (poll(&p, 1, 1000) < 0 && errno != EINTR) {
			perror("vsimple: bench: poll");
			return -1;
		}
		if (p.revents & (POLLERR | POLLHUP)) {
			fprintf(stderr, "vsimple: bench: FAILED: device gone or "
				"broken\n");
			return -1;
		}
		if (sent || p.revents)
			idle_since = now_s();
		else if (now_s() - idle_since > 30) {
			fprintf(stderr, "vsimple: bench: FAILED: %lu requests "
				"unanswered for 30 s\n", b->in_flight);
			return -1;
		}
		if ((p.revents & POLLIN) && bench_drain(b, vs) < 0)
			return -1;
	}
}

/*
 * --engine uring: the index of the ring slot whose payload area is @p; a
 * slot seen the first time gets the next request image, copied in once.
 * An ECHO's answer writes the same bytes back, so the slot keeps its image
 * and later requests from it are sent as they lie, without a copy; a
 * CRC32C's answer overwrites the first 4 bytes, put back after each.
 */
static size_t bench_slot(struct bench *b, uint8_t *p)
{
	size_t i;

	for (i = 0; i < b->nslots; i++)
		if (b->slot_at[i] == p)
			return i;
	b->slot_at[b->nslots] = p;
	memcpy(p, bench_payload(b, b->nslots), b->size);
	return b->nslots++;
}

/* Prepare requests into free slots up to depth, send them in one call. */
static int bench_uring_submit(struct bench *b)
{
	double t = now_s();
	int n = 0;
	uint8_t *p;

	while (b->in_flight + n < b->depth &&
	       (p = vsimple_ring_prep(b->ring, b->next_id + n, b->op, b->size))) {
		size_t slot = bench_slot(b, p);

		b->id[slot] = b->next_id + n;
		b->busy[slot] = 1;
		b->sent_at[slot] = t;
		n++;
	}
	if (!n)
		return 0;
	if (vsimple_ring_submit(b->ring) != n)
		return -1;
	b->writes++;
	b->next_id += n;
	b->in_flight += n;
	if (b->in_flight > b->max_in_flight)
		b->max_in_flight = b->in_flight;
	return n;
}

/* One completion against its request, as bench_check() does for read(). */
static int bench_uring_check(struct bench *b, const struct vsimple_response *r,
			     const uint8_t *got)
{
	size_t slot;
	uint32_t want_len = b->op == VIRTIO_SIMPLE_OP_ECHO ? b->size :
			    b->op == VIRTIO_SIMPLE_OP_CRC32C ? 4 : 0;

	for (slot = 0; slot < b->nslots && b->slot_at[slot] != got; slot++)
		;
	if (slot == b->nslots || !b->busy[slot] || b->id[slot] != r->id) {
		fprintf(stderr, "vsimple: bench: FAILED: answer to request %" PRIu64
			", which is not in flight\n", r->id);
		return -1;
	}
	b->busy[slot] = 0;
	b->lat[b->nlat++] = now_s() - b->sent_at[slot];
	b->bytes += b->size;
	b->in_flight--;
	if (r->status != VIRTIO_SIMPLE_S_OK) {
		b->errors++;
		return 0;
	}
	if (r->len != want_len ||
	    (b->op == VIRTIO_SIMPLE_OP_ECHO && memcmp(got, bench_payload(b, slot), r->len)) ||
	    (b->op == VIRTIO_SIMPLE_OP_CRC32C && memcmp(got, &b->crc, 4))) {
		fprintf(stderr, "vsimple: bench: FAILED: answer to request %" PRIu64
			" (%u bytes) differs from what was expected\n", r->id, r->len);
		return -1;
	}
	b->checked += r->len;
	if (b->op == VIRTIO_SIMPLE_OP_CRC32C)	/* the answer overwrote them */
		memcpy((uint8_t *)got, bench_payload(b, slot), 4);
	return 0;
}

/*
 * bench_run() through the io_uring engine (vsimple_ring_*): a ring of
 * twice depth slots, as the slots just reaped stay taken until the next
 * reap, while depth requests are kept in flight.
 */
static int bench_run_uring(struct bench *b, double seconds)
{
	struct vsimple_response resp[64];
	const void *payload[64];
	double end = now_s() + seconds;

	while (now_s() < end || b->in_flight) {
		struct pollfd p = { .fd = vsimple_ring_fd(b->ring), .events = POLLIN };
		int n;

		if (now_s() < end && bench_uring_submit(b) < 0) {
			perror("vsimple: bench: FAILED: io_uring submit");
			return -1;
		}
		if (b->nlat + 64 > b->cap_lat) {
			double *more = realloc(b->lat, 2 * b->cap_lat * sizeof(*b->lat));

			if (!more)
				return out_of_memory(), -1;
			b->lat = more;
			b->cap_lat *= 2;
		}
		if (!b->in_flight)
			continue;
		/* the completions, or 30 s without one is a failure */
		if (poll(&p, 1, 30000) == 0) {
			fprintf(stderr, "vsimple: bench: FAILED: %lu requests "
				"unanswered for 30 s\n", b->in_flight);
			return -1;
		}
		n = vsimple_ring_reap(b->ring, resp, payload, 64, 0);
		if (n < 0) {
			perror("vsimple: bench: FAILED: io_uring reap");
			return -1;
		}
		b->reads++;
		for (int i = 0; i < n; i++)
			if (bench_uring_check(b, &resp[i], payload[i]) < 0)
				return -1;
	}
	return 0;
}

static const char *op_name(uint16_t op)
{
	return op == VIRTIO_SIMPLE_OP_ECHO ? "echo" :
	       op == VIRTIO_SIMPLE_OP_CRC32C ? "crc32c" : "delay";
}

static void bench_report(struct bench *b, double seconds, int json)
{
	double *lat = b->lat;
	size_t nlat = b->nlat;

	qsort(lat, nlat, sizeof(*lat), cmp_double);
#define PCT(p) (nlat ? lat[(size_t)((nlat - 1) * (p))] * 1e6 : 0)
	if (json)
		printf("{\"op\": %u, \"size\": %lu, \"depth\": %lu, \"seconds\": %.3f, "
		       "\"requests\": %zu, \"errors\": %" PRIu64 ", "
		       "\"checked_bytes\": %" PRIu64 ", \"writes\": %" PRIu64 ", "
		       "\"reads\": %" PRIu64 ", "
		       "\"max_in_flight\": %lu, "
		       "\"requests_per_s\": %.1f, \"mb_per_s\": %.3f, "
		       "\"latency_us\": {\"p50\": %.1f, \"p90\": %.1f, "
		       "\"p99\": %.1f, \"max\": %.1f}}\n",
		       b->op, b->size, b->depth, seconds, nlat, b->errors,
		       b->checked, b->writes, b->reads, b->max_in_flight, nlat / seconds,
		       b->bytes / seconds / 1e6, PCT(0.5), PCT(0.9), PCT(0.99),
		       PCT(1));
	else
		printf("%s size %lu depth %lu: %zu requests in %.2f s, "
		       "%.1f req/s, %.3f MB/s, errors %" PRIu64 "\n"
		       "latency us: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n"
		       "%" PRIu64 " answer bytes checked; %" PRIu64 " writes "
		       "(%.1f requests each), %" PRIu64 " reads (%.1f answers each), "
		       "at most %lu in flight\n",
		       op_name(b->op), b->size, b->depth, nlat, seconds, nlat / seconds,
		       b->bytes / seconds / 1e6, b->errors, PCT(0.5), PCT(0.9),
		       PCT(0.99), PCT(1), b->checked, b->writes,
		       b->writes ? (double)nlat / b->writes : 0, b->reads,
		       b->reads ? (double)nlat / b->reads : 0, b->max_in_flight);
#undef PCT
}

static void bench_free(struct bench *b)
{
	free(b->images);
	free(b->answer);
	free(b->id);
	free(b->busy);
	free(b->sent_at);
	free(b->lat);
	free(b->slot_at);
	vsimple_ring_free(b->ring);
}

/*
 * vsimple bench: keep --depth requests in flight for --seconds, written in
 * batches (several requests in one write(), see docs/driver.md), and check
 * every answer: its id, op, length and each payload byte.  Any mismatch
 * fails the run (exit 1) with a message saying what differs.
 */
static int cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "op", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' },
		{ "depth", required_argument, NULL, 'q' },
		{ "seconds", required_argument, NULL, 't' },
		{ "engine", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench b = { .op = VIRTIO_SIMPLE_OP_ECHO, .size = 4096, .depth = 8,
			   .cap_lat = 1 << 16 };
	struct virtio_simple_info info;
	double seconds = 3, start;
	struct vsimple *vs;
	int json = 0, uring = 0, c, rc;

	/* getopt's own messages then start "vsimple bench: " */
	argv[0] = "vsimple bench";
	optind = 0;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!strcmp(optarg, "echo"))
				b.op = VIRTIO_SIMPLE_OP_ECHO;
			else if (!strcmp(optarg, "crc32c"))
				b.op = VIRTIO_SIMPLE_OP_CRC32C;
			else if (!strcmp(optarg, "delay"))
				b.op = VIRTIO_SIMPLE_OP_DELAY;
			else
				return die_usage("bench: unknown --op '%s'", optarg);
			break;
		case 's':
			if (parse_number(optarg, 0, VIRTIO_SIMPLE_MAX_PAYLOAD_LIMIT, &b.size))
				return bad_number("bench: --size", optarg, 0,
						  VIRTIO_SIMPLE_MAX_PAYLOAD_LIMIT);
			break;
		case 'q':
			if (parse_number(optarg, 1, BENCH_MAX_DEPTH, &b.depth))
				return bad_number("bench: --depth", optarg, 1,
						  BENCH_MAX_DEPTH);
			break;
		case 't':
			if (parse_seconds(optarg, &seconds))
				return die_usage("bench: --seconds must be a number of "
						 "seconds, more than 0 and at most 86400, "
						 "got '%s'", optarg);
			break;
		case 'e':
			if (strcmp(optarg, "rw") && strcmp(optarg, "uring"))
				return die_usage("bench: --engine is rw or uring, "
						 "got '%s'", optarg);
			uring = !strcmp(optarg, "uring");
			break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return 0;
		default: return die_usage("bench: bad option%s", "");
		}
	}
	rc = no_more_args(argc - optind, argv + optind, 0);
	if (rc || (rc = open_device(VSIMPLE_NONBLOCK, &vs, &info)))
		return rc;
	if (b.op == VIRTIO_SIMPLE_OP_DELAY)
		b.size = 4;
	if (b.size > info.max_payload) {
		fprintf(stderr, "vsimple: bench: --size %lu is more than the "
			"device's max payload (%u bytes)\n(see vsimple --help)\n",
			b.size, info.max_payload);
		vsimple_close(vs);
		return EXIT_USAGE;
	}
	b.req_size = VIRTIO_SIMPLE_HDR_SIZE + b.size;
	b.answer_cap = info.max_payload;
	b.images = malloc(2 * b.depth * b.req_size);
	/* room for depth answers (one read() takes what is there), or one */
	b.answer_room = b.depth * (VIRTIO_SIMPLE_HDR_SIZE + b.size);
	if (b.answer_room < VIRTIO_SIMPLE_HDR_SIZE + b.answer_cap)
		b.answer_room = VIRTIO_SIMPLE_HDR_SIZE + b.answer_cap;
	b.answer = malloc(b.answer_room);
	/* per slot: depth of them, or the ring's 2 * depth (--engine uring) */
	b.id = calloc(2 * b.depth, sizeof(*b.id));
	b.busy = calloc(2 * b.depth, sizeof(*b.busy));
	b.sent_at = calloc(2 * b.depth, sizeof(*b.sent_at));
	b.lat = malloc(b.cap_lat * sizeof(*b.lat));
	b.slot_at = calloc(2 * b.depth, sizeof(*b.slot_at));
	if (!b.images || !b.answer || !b.id || !b.busy || !b.sent_at || !b.lat ||
	    !b.slot_at) {
		rc = out_of_memory();
		goto out;
	}
	if (uring && !(b.ring = vsimple_ring_new(vs, 2 * b.depth))) {
		fprintf(stderr, "vsimple: bench: io_uring: %s\n", strerror(errno));
		rc = EXIT_STATUS;
		goto out;
	}
	bench_fill(&b);
	start = now_s();
	if ((uring ? bench_run_uring(&b, seconds) : bench_run(&b, vs, seconds)) < 0) {
		rc = EXIT_STATUS;
		goto out;
	}
	bench_report(&b, now_s() - start, json);
	rc = b.errors ? EXIT_STATUS : 0;
out:
	bench_free(&b);
	vsimple_close(vs);
	return rc;
}

/* The commands; bench parses its own options. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	int json;		/* takes --json */
} commands[] = {
	{ "list", cmd_list, 1 },
	{ "info", cmd_info, 1 },
	{ "echo", cmd_echo, 0 },
	{ "crc32c", cmd_crc32c, 0 },
	{ "delay", cmd_delay, 0 },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *c = NULL;
	unsigned long idx;
	const char *cmd;
	char name[64];
	int opt, rc;

	opterr = 0;
	/* "+": options end at the command, which parses its own */
	while ((opt = getopt_long(argc, argv, "+:d:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vsimple %s (libvsimple %s)\n", LIBVSIMPLE_VERSION,
			       vsimple_version());
			return 0;
		case 'd':
			if (!*optarg)
				return die_usage("-d needs a device: N or PATH%s", "");
			device = optarg;
			if (parse_index(device, &idx) < 0)
				return bad_number("-d N", device, 0, INT_MAX);
			break;
		case ':':
			return die_usage("-d needs a device: N or PATH%s", "");
		default:
			return die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "bench"))
		return cmd_bench(argc, argv);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			c = &commands[i];
	if (!c)
		return die_usage("unknown command '%s'", cmd);
	snprintf(name, sizeof(name), "vsimple %s", cmd);
	rc = command_options(name, &argc, &argv, c->json ? &json_out : NULL);
	return rc >= 0 ? rc : c->run(argc, argv);
}
