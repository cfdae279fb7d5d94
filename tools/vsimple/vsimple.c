// SPDX-License-Identifier: BSD-3-Clause
/*
 * vsimple: command-line client for virtio-simple devices.
 * Exit codes: 0 success, 1 the device answered with an error status or a
 * request failed, 2 usage error, 3 no such device.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include "libvsimple.h"

enum { EXIT_STATUS = 1, EXIT_USAGE = 2, EXIT_NODEV = 3 };

static const char *device = "0";

static void usage(FILE *f)
{
	fprintf(f,
"usage: vsimple [-d N|PATH] COMMAND [ARGS]\n"
"\n"
"Talk to a virtio-simple device (/dev/virtio-simpleN, default N=0).\n"
"\n"
"commands:\n"
"  list                 the devices present\n"
"  info                 max payload, queue sizes, features, label\n"
"  echo [TEXT|-]        send TEXT (or stdin) and print the answer\n"
"  crc32c [FILE|-]      CRC-32C of FILE (or stdin) computed by the device\n"
"  delay USEC           ask for an answer after USEC microseconds (<= 1000000)\n"
"  bench [--op echo|crc32c|delay] [--size BYTES] [--depth N]\n"
"        [--seconds S] [--json]\n"
"                       requests/s, MB/s and latency percentiles\n"
"\n"
"exit status: 0 ok, 1 error answer or failed request, 2 usage, 3 no device\n");
}

static int die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "vsimple: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see vsimple --help)\n");
	return EXIT_USAGE;
}

/* Open the selected device, with an error a person can act on. */
static struct vsimple *open_device(int flags)
{
	struct vsimple *vs;
	char *end;
	long idx = strtol(device, &end, 10);

	if (*device && !*end)
		vs = vsimple_open((int)idx, flags);
	else
		vs = vsimple_open_path(device, flags);
	if (vs)
		return vs;
	if (errno == ENOENT)
		fprintf(stderr, "vsimple: no virtio-simple device %s: is the module "
			"loaded and the device present? see dmesg and 'vsimple list'\n",
			device);
	else if (errno == EACCES)
		fprintf(stderr, "vsimple: device %s: permission denied (install the "
			"udev rule driver/99-virtio-simple.rules)\n", device);
	else
		fprintf(stderr, "vsimple: device %s: %s\n", device, strerror(errno));
	return NULL;
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

static int cmd_list(void)
{
	int idx[256], n = vsimple_list(idx, 256);

	if (n <= 0) {
		fprintf(stderr, "vsimple: no virtio-simple device: is the module "
			"loaded? see dmesg\n");
		return EXIT_NODEV;
	}
	for (int i = 0; i < n; i++) {
		struct vsimple *vs = vsimple_open(idx[i], 0);
		struct virtio_simple_info info;

		if (vs && vsimple_info(vs, &info) == 0)
			printf("/dev/virtio-simple%d\tmax_payload=%u\tlabel=%s\n",
			       idx[i], info.max_payload, (char *)info.label);
		else
			printf("/dev/virtio-simple%d\t(%s)\n", idx[i],
			       strerror(errno));
		vsimple_close(vs);
	}
	return 0;
}

static int cmd_info(struct vsimple *vs)
{
	struct virtio_simple_info info;

	if (vsimple_info(vs, &info) < 0) {
		fprintf(stderr, "vsimple: info: %s\n", strerror(errno));
		return EXIT_STATUS;
	}
	printf("device:          %s\n", vsimple_path(vs));
	printf("max_payload:     %u\n", info.max_payload);
	printf("requestq size:   %u\n", info.req_queue_size);
	printf("responseq size:  %u\n", info.resp_queue_size);
	printf("max in flight:   %u\n", info.max_in_flight);
	printf("features:        0x%016" PRIx64 "\n", (uint64_t)info.features);
	printf("label:           %s\n", (char *)info.label);
	return 0;
}

static int cmd_echo(struct vsimple *vs, int argc, char **argv)
{
	struct virtio_simple_info info;
	uint32_t len, got;
	uint8_t *req, *resp;
	int rc;

	vsimple_info(vs, &info);
	if (argc < 1 || !strcmp(argv[0], "-")) {
		req = slurp("-", info.max_payload, &len);
	} else {
		len = strlen(argv[0]);
		req = (uint8_t *)strdup(argv[0]);
		if (len > info.max_payload) {
			fprintf(stderr, "vsimple: TEXT is %u bytes, the device takes at "
				"most %u\n", len, info.max_payload);
			free(req);
			return EXIT_USAGE;
		}
	}
	if (!req)
		return EXIT_STATUS;
	resp = malloc(info.max_payload + 1);
	rc = call(vs, VIRTIO_SIMPLE_OP_ECHO, req, len, resp, info.max_payload,
		  &got);
	if (!rc) {
		fwrite(resp, 1, got, stdout);
		if (argc >= 1 && strcmp(argv[0], "-"))
			putchar('\n');
	}
	free(req);
	free(resp);
	return rc;
}

static int cmd_crc32c(struct vsimple *vs, int argc, char **argv)
{
	const char *path = argc >= 1 ? argv[0] : "-";
	struct virtio_simple_info info;
	uint32_t len, got, crc;
	uint8_t *req;
	int rc;

	vsimple_info(vs, &info);
	req = slurp(path, info.max_payload, &len);
	if (!req)
		return EXIT_STATUS;
	rc = call(vs, VIRTIO_SIMPLE_OP_CRC32C, req, len, &crc, sizeof(crc), &got);
	if (!rc)
		printf("%08x  %s\n", le32toh(crc), path);
	free(req);
	return rc;
}

static int cmd_delay(struct vsimple *vs, int argc, char **argv)
{
	char *end;
	unsigned long usec;
	uint32_t arg, got;

	if (argc < 1)
		return die_usage("delay needs USEC%s", "");
	usec = strtoul(argv[0], &end, 10);
	if (*end || !*argv[0] || usec > VIRTIO_SIMPLE_DELAY_MAX_US)
		return die_usage("delay: USEC must be 0..1000000, got '%s'", argv[0]);
	arg = htole32((uint32_t)usec);
	return call(vs, VIRTIO_SIMPLE_OP_DELAY, &arg, sizeof(arg), NULL, 0, &got);
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

/* Keep --depth requests in flight for --seconds; match answers by id. */
static int cmd_bench(struct vsimple *vs, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "op", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' },
		{ "depth", required_argument, NULL, 'q' },
		{ "seconds", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long size = 4096, depth = 8;
	double seconds = 3, start, end, *lat, *sent_at;
	unsigned long *free_slots, nfree;
	struct virtio_simple_info info;
	uint16_t op = VIRTIO_SIMPLE_OP_ECHO;
	size_t nlat = 0, cap_lat = 1 << 16;
	uint64_t bytes = 0, errors = 0;
	unsigned long in_flight = 0;
	struct vsimple_response r;
	uint8_t *payload, *resp;
	int json = 0, c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!strcmp(optarg, "echo"))
				op = VIRTIO_SIMPLE_OP_ECHO;
			else if (!strcmp(optarg, "crc32c"))
				op = VIRTIO_SIMPLE_OP_CRC32C;
			else if (!strcmp(optarg, "delay"))
				op = VIRTIO_SIMPLE_OP_DELAY;
			else
				return die_usage("bench: unknown --op '%s'", optarg);
			break;
		case 's': size = strtoul(optarg, NULL, 10); break;
		case 'q': depth = strtoul(optarg, NULL, 10); break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 'j': json = 1; break;
		default: return die_usage("bench: bad option%s", "");
		}
	}
	vsimple_info(vs, &info);
	if (op == VIRTIO_SIMPLE_OP_DELAY)
		size = 4;
	if (size > info.max_payload || depth < 1 || depth > 4096 || seconds <= 0)
		return die_usage("bench: need size <= max payload, 1 <= depth <= 4096, "
				 "seconds > 0%s", "");
	payload = calloc(1, size + 4);
	resp = malloc(info.max_payload + 1);
	lat = malloc(cap_lat * sizeof(*lat));
	/* the id of a request is its slot: the answer finds its send time */
	sent_at = calloc(depth, sizeof(*sent_at));
	free_slots = calloc(depth, sizeof(*free_slots));
	for (nfree = 0; nfree < depth; nfree++)
		free_slots[nfree] = depth - 1 - nfree;
	/* DELAY: 100 us per request */
	if (op == VIRTIO_SIMPLE_OP_DELAY)
		*(uint32_t *)payload = htole32(100);

	start = now_s();
	end = start + seconds;
	while (now_s() < end || in_flight) {
		int ev;

		while (in_flight < depth && now_s() < end) {
			unsigned long slot = free_slots[nfree - 1];

			sent_at[slot] = now_s();
			if (vsimple_submit(vs, slot, op, payload, size) < 0) {
				if (errno == EAGAIN)
					break;
				fprintf(stderr, "vsimple: bench: submit: %s\n",
					strerror(errno));
				return EXIT_STATUS;
			}
			nfree--;
			in_flight++;
		}
		ev = vsimple_wait(vs, POLLIN, 1000);
		if (ev < 0 || (ev & (POLLERR | POLLHUP))) {
			fprintf(stderr, "vsimple: bench: device gone or broken\n");
			return EXIT_STATUS;
		}
		while (in_flight && vsimple_wait(vs, POLLIN, 0) & POLLIN) {
			if (vsimple_complete(vs, &r, resp, info.max_payload) < 0) {
				fprintf(stderr, "vsimple: bench: complete: %s\n",
					strerror(errno));
				return EXIT_STATUS;
			}
			if (r.id >= depth) {
				fprintf(stderr, "vsimple: bench: answer to unknown id %"
					PRIu64 "\n", r.id);
				return EXIT_STATUS;
			}
			if (r.status != VIRTIO_SIMPLE_S_OK)
				errors++;
			if (nlat == cap_lat)
				lat = realloc(lat, (cap_lat *= 2) * sizeof(*lat));
			lat[nlat++] = now_s() - sent_at[r.id];
			free_slots[nfree++] = r.id;
			bytes += size;
			in_flight--;
		}
	}
	seconds = now_s() - start;
	qsort(lat, nlat, sizeof(*lat), cmp_double);
#define PCT(p) (nlat ? lat[(size_t)((nlat - 1) * (p))] * 1e6 : 0)
	if (json)
		printf("{\"op\": %u, \"size\": %lu, \"depth\": %lu, \"seconds\": %.3f, "
		       "\"requests\": %zu, \"errors\": %" PRIu64 ", "
		       "\"requests_per_s\": %.1f, \"mb_per_s\": %.3f, "
		       "\"latency_us\": {\"p50\": %.1f, \"p90\": %.1f, "
		       "\"p99\": %.1f, \"max\": %.1f}}\n",
		       op, size, depth, seconds, nlat, errors, nlat / seconds,
		       bytes / seconds / 1e6, PCT(0.5), PCT(0.9), PCT(0.99), PCT(1));
	else
		printf("op %u size %lu depth %lu: %zu requests in %.2f s, "
		       "%.1f req/s, %.3f MB/s, errors %" PRIu64 "\n"
		       "latency us: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n",
		       op, size, depth, nlat, seconds, nlat / seconds,
		       bytes / seconds / 1e6, errors, PCT(0.5), PCT(0.9),
		       PCT(0.99), PCT(1));
	free(payload);
	free(resp);
	free(lat);
	free(sent_at);
	free(free_slots);
	return errors ? EXIT_STATUS : 0;
}

int main(int argc, char **argv)
{
	struct vsimple *vs;
	const char *cmd;
	int i = 1, rc;

	while (i < argc && argv[i][0] == '-' && argv[i][1]) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-d") && i + 1 < argc) {
			device = argv[i + 1];
			i += 2;
		} else {
			return die_usage("unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[i++];
	if (!strcmp(cmd, "list"))
		return cmd_list();
	if (strcmp(cmd, "info") && strcmp(cmd, "echo") && strcmp(cmd, "crc32c") &&
	    strcmp(cmd, "delay") && strcmp(cmd, "bench"))
		return die_usage("unknown command '%s'", cmd);
	vs = open_device(!strcmp(cmd, "bench") ? VSIMPLE_NONBLOCK : 0);
	if (!vs)
		return EXIT_NODEV;
	if (!strcmp(cmd, "info"))
		rc = cmd_info(vs);
	else if (!strcmp(cmd, "echo"))
		rc = cmd_echo(vs, argc - i, argv + i);
	else if (!strcmp(cmd, "crc32c"))
		rc = cmd_crc32c(vs, argc - i, argv + i);
	else if (!strcmp(cmd, "delay"))
		rc = cmd_delay(vs, argc - i, argv + i);
	else
		rc = cmd_bench(vs, argc - i + 1, argv + i - 1);
	vsimple_close(vs);
	return rc;
}
