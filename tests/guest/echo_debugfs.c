/*
 * Guest test: ECHO round trips through the driver's debugfs knob, with
 * payloads of 0, 1, 4096 and max_payload bytes, and max_payload + 1 refused.
 *   echo_debugfs virtioN
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../lib/tap.h"

static unsigned int read_max_payload(const char *dev)
{
	char path[256];
	unsigned int max = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/max_payload", dev);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%u", &max) != 1)
		max = 0;
	if (f)
		fclose(f);
	return max;
}

/* Send n pattern bytes; read the answer back; compare. */
static void echo_case(const char *knob, size_t n, unsigned int seed)
{
	unsigned char *out = malloc(n + 1), *in = malloc(n + 64);
	ssize_t w, r, got = 0;
	int fd;

	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)(rand_r(&seed) >> 7);
	fd = open(knob, O_RDWR);
	if (!tap_check(fd >= 0, "open %s (%s)", knob, fd < 0 ? strerror(errno) : "ok"))
		goto out;
	w = write(fd, out, n);
	if (!tap_check(w == (ssize_t)n, "write of %zu bytes sends one ECHO (returned %zd, %s)",
		       n, w, w < 0 ? strerror(errno) : "ok"))
		goto close;
	lseek(fd, 0, SEEK_SET);
	while ((r = read(fd, in + got, n + 64 - got)) > 0)
		got += r;
	tap_check(got == (ssize_t)n && memcmp(in, out, n) == 0,
		  "ECHO of %zu bytes comes back intact (got %zd bytes%s)", n, got,
		  got == (ssize_t)n && memcmp(in, out, n) ? ", content differs" : "");
close:
	close(fd);
out:
	free(out);
	free(in);
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "virtio0";
	unsigned int max = read_max_payload(dev);
	char knob[256];
	/* 1 before 0: an empty answer then proves the empty ECHO happened */
	size_t sizes[] = { 1, 0, 4096, max };
	unsigned char *big;
	ssize_t w;
	int fd, err;

	snprintf(knob, sizeof(knob), "/sys/kernel/debug/virtio-simple/%s/echo", dev);
	tap_check(max >= 4096, "max_payload from sysfs is %u", max);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		echo_case(knob, sizes[i], 1234 + i);

	big = calloc(1, max + 1);
	fd = open(knob, O_WRONLY);
	w = write(fd, big, max + 1);
	err = errno;
	tap_check(w < 0 && err == EMSGSIZE,
		  "max_payload + 1 bytes is refused with EMSGSIZE (returned %zd, %s)",
		  w, w < 0 ? strerror(err) : "no error");
	close(fd);
	free(big);
	return tap_done();
}
