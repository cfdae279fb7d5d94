// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test against a misbehaving device (x-fault-injection=on): malformed
 * answers are counted and dropped, a known request whose answer was
 * malformed fails with EIO instead of hanging (read() names it: its id and
 * the driver status VIRTIO_SIMPLE_S_EIO), and the driver keeps working.
 * The same through io_uring with room for the answer, which the device
 * writes in place (ANSWER_IN_PLACE): a malformed answer there fails its
 * request by id too.  NEEDS_RESET and dropped answers: recovery_test.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <endian.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <virtio_simple.h>
#include "../lib/tap.h"
#include "guest_util.h"
#include "uring_call.h"

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

/*
 * One io_uring call of an ECHO of "x-fault:" @how from a registered buffer
 * with room for max_payload; 1 when it came back as a header naming it
 * with the driver's EIO (res 16).
 */
static int faulty_uring_echo(int fd, struct io_uring *ring, uint8_t *buf,
			     uint32_t cap, uint64_t id, const char *how)
{
	struct __kernel_timespec ts = { .tv_sec = 30 };
	struct virtio_simple_hdr h = {
		.id = htole64(id), .op = htole16(VIRTIO_SIMPLE_OP_ECHO),
		.len = htole32(9),
	};
	struct io_uring_cqe *cqe;
	int res;

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), "x-fault:", 8);
	buf[sizeof(h) + 8] = how[0];
	uring_prep_call(ring, fd, VIRTIO_SIMPLE_URING_CALL, buf, sizeof(h) + 9,
			cap, 1, 0);
	io_uring_submit(ring);
	if (io_uring_wait_cqe_timeout(ring, &cqe, &ts))
		return 0;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	memcpy(&h, buf, sizeof(h));
	printf("# x-fault:%s through io_uring: res %d, id %llu, status %#x\n", how,
	       res, (unsigned long long)le64toh(h.id), le16toh(h.status));
	return res == sizeof(h) && le64toh(h.id) == id &&
	       le16toh(h.status) == VIRTIO_SIMPLE_S_EIO && !h.len;
}

static void in_place_faults(int fd)
{
	struct virtio_simple_info info;
	uint64_t answered = sysfs_u64(0, "answered_in_place");
	struct io_uring ring;
	struct iovec iov;
	int in_place;

	if (ioctl(fd, VIRTIO_SIMPLE_IOC_INFO, &info) ||
	    io_uring_queue_init(4, &ring, 0)) {
		tap_check(0, "an io_uring on the device");
		return;
	}
	in_place = !!(info.features & (1ull << VIRTIO_SIMPLE_F_ANSWER_IN_PLACE));
	iov.iov_len = VIRTIO_SIMPLE_HDR_SIZE + info.max_payload;
	iov.iov_base = mmap(NULL, iov.iov_len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (iov.iov_base == MAP_FAILED || io_uring_register_buffers(&ring, &iov, 1)) {
		tap_check(0, "a registered buffer");
		return;
	}
	tap_check(faulty_uring_echo(fd, &ring, iov.iov_base, iov.iov_len, 20, "o"),
		  "io_uring, room for max_payload: an answer with the wrong op "
		  "fails its call: res 16, id 20, status EIO");
	tap_check(faulty_uring_echo(fd, &ring, iov.iov_base, iov.iov_len, 21, "l"),
		  "io_uring: an answer whose header len disagrees: id 21, status EIO");
	/* on responseq an unknown id names nothing: that call would hang */
	if (in_place)
		tap_check(faulty_uring_echo(fd, &ring, iov.iov_base, iov.iov_len, 22, "i") &&
			  sysfs_u64(0, "answered_in_place") == answered,
			  "in place, an answer with another id still fails its own "
			  "call (id 22, EIO), and none of the three counts as answered");
	else
		tap_check(sysfs_u64(0, "answered_in_place") == answered,
			  "ANSWER_IN_PLACE not offered: nothing answered in place");
	io_uring_queue_exit(&ring);
	munmap(iov.iov_base, iov.iov_len);
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
	in_place_faults(fd);
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
