// SPDX-License-Identifier: GPL-2.0
/*
 * bench_pipe: `make bench`'s floor for a round trip with no device in it.
 * A child process echoes SIZE-byte messages over a pair of pipes for
 * SECONDS, one at a time (depth 1), and the parent prints the latency of
 * each round trip as JSON, in the shape vsimple bench and bench_serial
 * print, so the report reads all three alike:
 *
 *   bench_pipe SIZE SECONDS
 *
 * Both processes inherit the caller's CPU affinity (bench.sh pins them
 * where the devices' interrupts go): each round trip is then two context
 * switches on one vCPU, what an answer costs at the least.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "guest_util.h"

/* All @n bytes, across short transfers; 0, or -1 at EOF or an error. */
static int move(int fd, char *buf, size_t n, int writing)
{
	ssize_t r;

	while (n) {
		r = writing ? write(fd, buf, n) : read(fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		n -= r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t size, nlat = 0, cap = 1 << 16;
	int to_child[2], to_parent[2], status;
	double seconds, start, t, *lat;
	char *buf;
	pid_t pid;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_pipe SIZE SECONDS\n");
		return 2;
	}
	size = strtoul(argv[1], NULL, 10);
	seconds = atof(argv[2]);
	if (!size || size > (1 << 20) || seconds <= 0) {
		fprintf(stderr, "bench_pipe: SIZE 1..1048576 and SECONDS > 0\n");
		return 2;
	}
	buf = calloc(1, size);
	lat = malloc(cap * sizeof(*lat));
	if (!buf || !lat || pipe(to_child) || pipe(to_parent)) {
		fprintf(stderr, "bench_pipe: %s\n", strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bench_pipe: fork: %s\n", strerror(errno));
		return 1;
	}
	if (!pid) {		/* the echo: until the parent closes its end */
		close(to_child[1]);
		close(to_parent[0]);
		while (!move(to_child[0], buf, size, 0) &&
		       !move(to_parent[1], buf, size, 1))
			;
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	start = mono_s();
	do {
		t = mono_s();
		if (move(to_child[1], buf, size, 1) ||
		    move(to_parent[0], buf, size, 0)) {
			fprintf(stderr, "bench_pipe: FAILED: the echo went away\n");
			return 1;
		}
		if (nlat == cap) {
			double *more = realloc(lat, 2 * cap * sizeof(*lat));

			if (!more) {
				fprintf(stderr, "bench_pipe: out of memory\n");
				return 1;
			}
			lat = more;
			cap *= 2;
		}
		lat[nlat++] = mono_s() - t;
	} while (mono_s() - start < seconds);
	seconds = mono_s() - start;
	close(to_child[1]);
	waitpid(pid, &status, 0);
	qsort(lat, nlat, sizeof(*lat), cmp_double);
#define PCT(p) (lat[(size_t)((nlat - 1) * (p))] * 1e6)
	printf("{\"op\": 0, \"size\": %zu, \"depth\": 1, \"seconds\": %.3f, "
	       "\"requests\": %zu, \"errors\": 0, \"checked_bytes\": 0, "
	       "\"writes\": %zu, \"max_in_flight\": 1, "
	       "\"requests_per_s\": %.1f, \"mb_per_s\": %.3f, "
	       "\"latency_us\": {\"p50\": %.1f, \"p90\": %.1f, "
	       "\"p99\": %.1f, \"max\": %.1f}}\n",
	       size, seconds, nlat, nlat, nlat / seconds,
	       nlat * (double)size / seconds / 1e6,
	       PCT(0.5), PCT(0.9), PCT(0.99), PCT(1));
	return 0;
}
