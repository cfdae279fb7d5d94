// SPDX-License-Identifier: GPL-2.0
/*
 * bench_serial: `vsimple bench --op echo` over a virtio-serial port whose
 * host end echoes every byte (tools/serial-echo), for `make bench`'s
 * comparison.  Same method, same JSON keys as vsimple bench:
 *
 *   bench_serial PORT SIZE DEPTH SECONDS
 *
 * The port is a byte stream: request q is SIZE bytes, and it has come back
 * once SIZE * (q + 1) bytes have been read.  At most DEPTH requests are
 * written and not yet read back; every echoed byte is checked.  Request q
 * uses the bytes of slot q % DEPTH, laid out twice so that any run of up to
 * DEPTH requests is contiguous and goes in one write() (which the port cuts
 * at 32 KiB: that is virtio_console's own limit).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "guest_util.h"

#define READ_BUF (256 * 1024)

static void die(const char *what)
{
	fprintf(stderr, "bench_serial: FAILED: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Wait until the host end is connected (the port reports POLLHUP before). */
static void wait_host(int fd)
{
	double end = mono_s() + 30;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (poll(&p, 1, 100) < 0)
			die("poll");
		if (!(p.revents & POLLHUP) && (p.revents & POLLOUT))
			return;
		if (mono_s() > end) {
			fprintf(stderr, "bench_serial: FAILED: the host end of the "
				"port never connected (is serial-echo running?)\n");
			exit(1);
		}
		usleep(50 * 1000);
	}
}

int main(int argc, char **argv)
{
	unsigned long size, depth, writes = 0, max_in_flight = 0;
	uint64_t tx = 0, rx = 0;	/* bytes written, bytes read back */
	size_t nlat = 0, cap_lat = 1 << 16, span;
	double seconds, start, end, *lat, *sent_at;
	uint8_t *images, *rbuf;
	uint32_t x = 0x9e3779b9;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: bench_serial PORT SIZE DEPTH SECONDS\n");
		return 2;
	}
	size = strtoul(argv[2], NULL, 10);
	depth = strtoul(argv[3], NULL, 10);
	seconds = atof(argv[4]);
	if (!size || !depth || seconds <= 0) {
		fprintf(stderr, "bench_serial: SIZE, DEPTH and SECONDS must be > 0\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_NONBLOCK);
	if (fd < 0)
		die(argv[1]);
	span = depth * size;
	images = malloc(2 * span);
	rbuf = malloc(READ_BUF);
	lat = malloc(cap_lat * sizeof(*lat));
	sent_at = calloc(depth, sizeof(*sent_at));
	if (!images || !rbuf || !lat || !sent_at) {
		fprintf(stderr, "bench_serial: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < span; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		images[i] = x >> 24;
	}
	memcpy(images + span, images, span);
	wait_host(fd);

	start = mono_s();
	end = start + seconds;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t done = rx / size;	/* requests echoed in full */
		double t = mono_s();

		if (t >= end && rx == tx)
			break;
		/*
		 * keep DEPTH requests out, finishing one that was cut: write
		 * until the window is full or the port would block (each
		 * write() takes at most 32 KiB)
		 */
		while ((t < end || tx % size) && tx < (done + depth) * size) {
			size_t len = (done + depth) * size - tx;
			ssize_t w;

			if (t >= end)	/* time is up: only the cut request */
				len = size - tx % size;
			w = write(fd, images + tx % span, len);
			if (w < 0 && errno != EAGAIN)
				die("write");
			if (w <= 0) {
				p.events |= POLLOUT;
				break;
			}
			/* the requests whose first byte went now */
			for (uint64_t q = (tx + size - 1) / size; q * size < tx + w; q++)
				sent_at[q % depth] = t;
			tx += w;
			writes++;
			if ((tx + size - 1) / size - done > max_in_flight)
				max_in_flight = (tx + size - 1) / size - done;
			t = mono_s();
		}
		if (poll(&p, 1, 10000) <= 0) {
			fprintf(stderr, "bench_serial: FAILED: no progress for 10 s "
				"(%" PRIu64 " bytes out, %" PRIu64 " back)\n", tx, rx);
			return 1;
		}
		if (p.revents & (POLLERR | POLLHUP)) {
			fprintf(stderr, "bench_serial: FAILED: the port hung up\n");
			return 1;
		}
		/* with nothing outstanding no byte can come: spare the read() */
		while ((p.revents & POLLIN) && rx < tx) {
			ssize_t n = read(fd, rbuf, READ_BUF);

			if (n < 0 && errno == EAGAIN)
				break;
			if (n <= 0)
				die("read");
			if ((uint64_t)n > tx - rx) {
				fprintf(stderr, "bench_serial: FAILED: %zd bytes back, "
					"only %" PRIu64 " outstanding\n", n, tx - rx);
				return 1;
			}
			if (memcmp(rbuf, images + rx % span, n)) {
				ssize_t i = 0;

				while (rbuf[i] == images[(rx + i) % span])
					i++;
				fprintf(stderr, "bench_serial: FAILED: byte %" PRIu64
					" of request %" PRIu64 " is 0x%02x, expected "
					"0x%02x\n", (rx + i) % size, (rx + i) / size,
					rbuf[i], images[(rx + i) % span]);
				return 1;
			}
			for (uint64_t q = rx / size; (q + 1) * size <= rx + n; q++) {
				if (nlat == cap_lat) {
					lat = realloc(lat, 2 * cap_lat * sizeof(*lat));
					if (!lat) {
						fprintf(stderr, "bench_serial: out of memory\n");
						return 1;
					}
					cap_lat *= 2;
				}
				lat[nlat++] = mono_s() - sent_at[q % depth];
			}
			rx += n;
		}
	}
	seconds = mono_s() - start;
	qsort(lat, nlat, sizeof(*lat), cmp_double);
#define PCT(p) (nlat ? lat[(size_t)((nlat - 1) * (p))] * 1e6 : 0)
	printf("{\"op\": 1, \"size\": %lu, \"depth\": %lu, \"seconds\": %.3f, "
	       "\"requests\": %zu, \"errors\": 0, \"checked_bytes\": %" PRIu64 ", "
	       "\"writes\": %lu, \"max_in_flight\": %lu, "
	       "\"requests_per_s\": %.1f, \"mb_per_s\": %.3f, "
	       "\"latency_us\": {\"p50\": %.1f, \"p90\": %.1f, "
	       "\"p99\": %.1f, \"max\": %.1f}}\n",
	       size, depth, seconds, nlat, rx, writes, max_in_flight,
	       nlat / seconds, nlat * (double)size / seconds / 1e6,
	       PCT(0.5), PCT(0.9), PCT(0.99), PCT(1));
	return 0;
}
