// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test against a misbehaving device (x-fault-injection=on): malformed
 * answers are counted and dropped, a known request whose answer was
 * malformed fails with EIO instead of hanging (read() names it: its id and
 * the driver status VIRTIO_SIMPLE_S_EIO), and the driver keeps working.
 * NEEDS_RESET and dropped answers: recovery_test.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <endian.h>
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

/*
 * An ECHO the device answers wrongly; returns the failure's errno (0: no
 * error), and -1 when the failure does not carry the request's id and op.
 */
static int faulty_echo(int fd, uint64_t id, const char *how)
{
	char text[16];
	struct resp r;
	void *p;

	snprintf(text, sizeof(text), "x-fault:%s", how);
	send_req(fd, id, VIRTIO_SIMPLE_OP_ECHO, text, strlen(text));
	wait_readable(fd);
	errno = 0;
	p = recv_resp(fd, &r, 64);
	free(p);
	if (p)
		return 0;
	if (r.id != id || r.op != VIRTIO_SIMPLE_OP_ECHO ||
	    r.status != VIRTIO_SIMPLE_S_EIO || r.len)
		return -1;
	return errno;
}

int main(void)
{
	uint64_t bad0;
	int fd, e;

	if (!tap_check(wait_for_path(NODE, 30), NODE " appears"))
		return tap_done();
	fd = open(NODE, O_RDWR);
	bad0 = sysfs_u64(0, "bad_responses");

	e = faulty_echo(fd, 1, "o");
	tap_check(e == EIO, "an answer with the wrong op fails its request: read() returns id 1 with status EIO (%s)",
		  e < 0 ? "not named" : strerror(e));
	e = faulty_echo(fd, 2, "l");
	tap_check(e == EIO, "an answer whose header len disagrees fails its request: id 2, status EIO (%s)",
		  e < 0 ? "not named" : strerror(e));
	tap_check(sysfs_u64(0, "bad_responses") == bad0 + 2, "both counted in bad_responses");

	/*
	 * An unknown id: dropped and counted; that request gets no answer.
	 * Another file is open with a request of its own waiting, so a stray
	 * answer routed by anything but its id would land there.
	 */
	{
		int other = open(NODE, O_RDWR | O_NONBLOCK);
		uint32_t d = htole32(500000);
		char buf[64];
		ssize_t n;

		send_req(other, 3, VIRTIO_SIMPLE_OP_DELAY, &d, 4);
		send_req(fd, 3, VIRTIO_SIMPLE_OP_ECHO, "x-fault:i", 9);
		tap_check(wait_sysfs_u64(0, "bad_responses", bad0 + 3, 10),
			  "an answer with an unknown id is counted and dropped");
		n = read(other, buf, sizeof(buf));
		e = errno;
		tap_check(n < 0 && e == EAGAIN,
			  "it reaches no other file with a request in flight (%s)",
			  n < 0 ? strerror(e) : "got data");
		close(other);
	}
	close(fd);
	fd = open(NODE, O_RDWR);
	tap_check(echo_ok(fd, 4, "still fine"), "the driver and device still work");

	/*
	 * A device that claims 64 bytes it never wrote (header len and used
	 * length agree): the reader must see zeros, not what the buffer held
	 * before.  Big answers read first cycle every response buffer through
	 * memory that held their pattern.
	 */
	{
		static uint8_t big[8192];
		struct resp r;
		uint8_t *p;
		int zero = 1;

		memset(big, 0xa5, sizeof(big));
		for (int i = 0; i < 40; i++) {
			send_req(fd, 5, VIRTIO_SIMPLE_OP_ECHO, big, sizeof(big));
			free(recv_resp(fd, &r, sizeof(big)));
		}
		send_req(fd, 6, VIRTIO_SIMPLE_OP_ECHO, "x-fault:u", 9);
		p = recv_resp(fd, &r, 4096);
		for (uint32_t i = 9; p && i < r.len; i++)
			zero &= p[i] == 0;
		tap_check(p && r.len == 9 + 64 && zero,
			  "an answer claiming 64 bytes the device never wrote reads as zeros (len %u, %s)",
			  r.len, zero ? "zeros" : "old memory");
		free(p);
	}

	close(fd);
	return tap_done();
}
