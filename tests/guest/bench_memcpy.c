// SPDX-License-Identifier: GPL-2.0
/*
 * bench_memcpy: the in-guest memcpy limit for `make bench`.  Copies SIZE-byte
 * blocks for SECONDS, walking source and destination through 4 MiB each
 * (what vsimple bench's request images span at depth 64 and 64 KiB), and
 * prints the MB/s of bytes copied, as JSON:
 *
 *   bench_memcpy SIZE SECONDS
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SPAN (4 << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long size, blocks, copies = 0;
	double seconds, start, end, t;
	char *src, *dst;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_memcpy SIZE SECONDS\n");
		return 2;
	}
	size = strtoul(argv[1], NULL, 10);
	seconds = atof(argv[2]);
	if (!size || size > SPAN || seconds <= 0) {
		fprintf(stderr, "bench_memcpy: SIZE 1..%d and SECONDS > 0\n", SPAN);
		return 2;
	}
	src = malloc(SPAN);
	dst = malloc(SPAN);
	if (!src || !dst) {
		fprintf(stderr, "bench_memcpy: out of memory\n");
		return 1;
	}
	memset(src, 0x5a, SPAN);
	memset(dst, 0, SPAN);
	blocks = SPAN / size;
	start = now_s();
	end = start + seconds;
	do {
		/* a batch between clock reads, so small copies are not all clock */
		for (int i = 0; i < 64; i++, copies++) {
			size_t off = (copies % blocks) * size;

			memcpy(dst + off, src + off, size);
			/* the copy must happen: dst is "used" here */
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
		t = now_s();
	} while (t < end);
	printf("{\"size\": %lu, \"seconds\": %.3f, \"copies\": %lu, "
	       "\"mb_per_s\": %.3f}\n", size, t - start, copies,
	       copies * (double)size / (t - start) / 1e6);
	free(src);
	free(dst);
	return 0;
}
