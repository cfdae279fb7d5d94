// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test for the vhost-user backend (run-guest --backend vhost-user,
 * device id vs0): the backend process killed with requests in flight, then
 * started again.  Nothing hangs: what was in flight fails with the
 * driver's EIO status, named by its id (the front-end puts the device in
 * NEEDS_RESET when the backend goes, and the driver recovers); once the
 * backend is back, the same open file is served again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <virtio_simple.h>
#include "../lib/tap.h"
#include "guest_util.h"

#define NODE "/dev/virtio-simple0"

static void host(const char *what)
{
	printf("VSIMPLE-HOST %s vs0\n", what);
	fflush(stdout);
}

/* An ECHO answered within @secs, on the same file, retried on EIO. */
static int echo_within(int fd, uint64_t id, int secs)
{
	double end = mono_s() + secs;

	while (mono_s() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct resp r;
		void *q;

		if (send_req(fd, id, VIRTIO_SIMPLE_OP_ECHO, "back", 4) < 0) {
			usleep(100000);
			continue;
		}
		if (poll(&p, 1, (int)((end - mono_s()) * 1000) + 1) <= 0)
			return 0;
		q = recv_resp(fd, &r, 64);
		if (q && r.id == id && r.status == 0 && !memcmp(q, "back", 4)) {
			free(q);
			return 1;
		}
		free(q);
		id++;
	}
	return 0;
}

int main(void)
{
	uint32_t usec = htole32(1000000);
	struct resp r = { 0 };
	struct pollfd p;
	uint64_t rec0;
	void *q;
	int fd;

	wait_for_path(NODE, 30);
	fd = open(NODE, O_RDWR);
	if (!tap_check(fd >= 0, "open " NODE))
		return tap_done();
	rec0 = sysfs_u64(0, "recoveries");
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	tap_check(echo_ok(fd, 1, "before"), "the backend answers an ECHO");

	/* a DELAY in flight (1 s), then the backend is gone */
	tap_check(send_req(fd, 7, VIRTIO_SIMPLE_OP_DELAY, &usec, 4) == 0,
		  "a DELAY of 1 s is sent");
	host("backend-kill");
	errno = 0;
	q = poll(&p, 1, 60000) == 1 ? recv_resp(fd, &r, 64) : NULL;
	tap_check(!q && errno == EIO && r.id == 7 &&
		  r.status == VIRTIO_SIMPLE_S_EIO,
		  "the DELAY in flight fails with EIO, named by its id (id %llu status 0x%x)",
		  (unsigned long long)r.id, r.status);
	free(q);
	tap_check(wait_sysfs_at_least(0, "recoveries", rec0 + 1, 30),
		  "the driver reset the device by itself (NEEDS_RESET from the front-end)");

	host("backend-start");
	tap_check(echo_within(fd, 100, 90),
		  "with the backend back, the same file is answered again");
	tap_check(echo_ok(fd, 200, "after"), "and goes on being answered");
	close(fd);
	return tap_done();
}
