// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: the device goes away under open files with a reader and a
 * writer blocked, then comes back.
 *   lifecycle_test unplug   device_del/device_add from the host (QMP, id vs0)
 *   lifecycle_test unbind   sysfs unbind/bind
 *   lifecycle_test freeze   suspend/resume in the kernel's PM test mode
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <sys/mman.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <virtio_simple.h>
#include "../lib/tap.h"
#include "guest_util.h"
#include "uring_call.h"

#define NODE "/dev/virtio-simple0"
#define DRV "/sys/bus/virtio/drivers/virtio_simple"

struct blocked {
	int fd;
	int write;		/* 1: blocked in write(), 0: in read() */
	volatile pid_t tid;
	volatile int ret, err;
};

static void *blocked_call(void *p)
{
	struct blocked *b = p;
	uint8_t buf[64];

	b->tid = gettid();
	if (b->write)
		b->ret = send_req(b->fd, 1, VIRTIO_SIMPLE_OP_ECHO, "x", 1);
	else
		b->ret = read(b->fd, buf, sizeof(buf));
	b->err = errno;
	return NULL;
}

static int join_within(pthread_t t, int secs)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += secs;
	return pthread_timedjoin_np(t, NULL, &ts) == 0;
}

static void qmp(const char *json)
{
	/* vm/boot/run-guest.py runs this on the host's QMP socket */
	printf("VSIMPLE-QMP %s\n", json);
	fflush(stdout);
}

/*
 * freeze/restore: a request in flight fails with EIO, the open file works
 * after resume.  pm_test=devices suspends and resumes the devices only.
 */
static int test_freeze(void)
{
	uint32_t d = htole32(1000000);
	struct virtio_simple_hdr h;
	uint8_t buf[64];
	int fd, n, e;

	if (access("/sys/power/pm_test", W_OK)) {
		/* with its plan: TAP without one is invalid */
		tap_skip("freeze and restore", "no /sys/power/pm_test in this kernel");
		return tap_done();
	}
	if (!tap_check(wait_for_path(NODE, 30), NODE " appears"))
		return tap_done();
	fd = open(NODE, O_RDWR);
	send_req(fd, 5, VIRTIO_SIMPLE_OP_DELAY, &d, 4);
	write_file("/sys/module/suspend/parameters/pm_test_delay", "1");
	write_file("/sys/power/pm_test", "devices");
	write_file("/sys/power/state", "freeze");
	write_file("/sys/power/pm_test", "none");
	n = read(fd, buf, sizeof(buf));
	e = errno;
	memcpy(&h, buf, sizeof(h));
	tap_check(n == sizeof(h) && le64toh(h.id) == 5 &&
		  le16toh(h.status) == VIRTIO_SIMPLE_S_EIO,
		  "the request in flight across freeze fails: read() returns id 5 with status EIO (%s)",
		  n < 0 ? strerror(e) : "a header");
	tap_check(echo_ok(fd, 6, "thawed"), "the same open file works after restore");
	close(fd);
	return tap_done();
}

/*
 * One io_uring ECHO on @fd from a registered buffer with room for any
 * answer (the driver would answer it in place); its CQE's res (1: none).
 * After an unbind the driver must not ask the virtio core about features:
 * the core's driver pointer is gone.
 */
static int late_fixed_call(int fd, uint32_t max_payload)
{
	struct __kernel_timespec ts = { .tv_sec = 30 };
	size_t size = VIRTIO_SIMPLE_HDR_SIZE + max_payload;
	struct virtio_simple_hdr h = {
		.id = htole64(5), .op = htole16(VIRTIO_SIMPLE_OP_ECHO),
		.len = htole32(1),
	};
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	struct iovec iov;
	int res = 1;

	iov.iov_len = size;
	iov.iov_base = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (iov.iov_base == MAP_FAILED || io_uring_queue_init(2, &ring, 0))
		return res;
	if (!io_uring_register_buffers(&ring, &iov, 1)) {
		memcpy(iov.iov_base, &h, sizeof(h));
		uring_prep_call(&ring, fd, VIRTIO_SIMPLE_URING_CALL, iov.iov_base,
				sizeof(h) + 1, size, 1, 0);
		io_uring_submit(&ring);
		if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts) == 0) {
			res = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	io_uring_queue_exit(&ring);
	munmap(iov.iov_base, size);
	return res;
}

#define CALLS 48

int main(int argc, char **argv)
{
	int unplug = argc > 1 && !strcmp(argv[1], "unplug");
	struct virtio_simple_info info;
	struct blocked rd, wr;
	pthread_t trd, twr;
	char vdev[64];
	uint32_t d = htole32(1000000);
	struct pollfd p;
	uint8_t buf[64], ubuf[CALLS][64];
	unsigned long long backlogged;
	struct io_uring ring;
	uint32_t max_payload;
	int fd, fd2, n, uring_ok;

	if (argc > 1 && !strcmp(argv[1], "freeze"))
		return test_freeze();
	if (!tap_check(wait_for_path(NODE, 30), NODE " appears"))
		return tap_done();
	bound_virtio_dev(vdev, sizeof(vdev));
	fd = open(NODE, O_RDWR);
	fd2 = open(NODE, O_RDWR);
	ioctl(fd, VIRTIO_SIMPLE_IOC_INFO, &info);
	max_payload = info.max_payload;
	/* fill the in-flight limit with 1 s DELAYs so a writer blocks */
	for (n = 0; n < (int)info.max_in_flight; n++)
		send_req(fd, n, VIRTIO_SIMPLE_OP_DELAY, &d, 4);
	wr = (struct blocked){ .fd = fd, .write = 1, .ret = -2 };
	rd = (struct blocked){ .fd = fd2, .write = 0, .ret = -2 };
	pthread_create(&twr, NULL, blocked_call, &wr);
	pthread_create(&trd, NULL, blocked_call, &rd);
	while (!wr.tid || !rd.tid)
		sched_yield();
	tap_check(wait_for_syscall(wr.tid, 1) && wait_for_syscall(rd.tid, 0),
		  "a writer (at the limit) and a reader (nothing queued) are blocked");
	/*
	 * and io_uring calls: some at the device, the rest, past what the
	 * user may have there, waiting in the file's backlog
	 */
	backlogged = sysfs_u64(0, "backlogged");
	uring_ok = io_uring_queue_init(CALLS, &ring, 0) == 0;
	for (n = 0; uring_ok && n < CALLS; n++) {
		struct virtio_simple_hdr h = {
			.id = htole64(99 + n), .op = htole16(VIRTIO_SIMPLE_OP_DELAY),
			.len = htole32(4),
		};

		memcpy(ubuf[n], &h, sizeof(h));
		memcpy(ubuf[n] + sizeof(h), &d, 4);
		uring_prep_call(&ring, fd2, VIRTIO_SIMPLE_URING_CALL, ubuf[n],
				sizeof(h) + 4, sizeof(ubuf[n]), 0, n);
	}
	if (uring_ok)
		io_uring_submit(&ring);
	backlogged = sysfs_u64(0, "backlogged") - backlogged;
	tap_check(uring_ok && backlogged > 0,
		  "%d io_uring calls on another file: %llu of them wait in its backlog",
		  CALLS, (unsigned long long)backlogged);

	if (unplug)
		qmp("{\"execute\": \"device_del\", \"arguments\": {\"id\": \"vs0\"}}");
	else
		write_file(DRV "/unbind", vdev);

	n = join_within(twr, 60);
	tap_check(n && wr.ret < 0 && wr.err == ENODEV,
		  "the blocked writer returns ENODEV (ret %d, %s)", wr.ret, strerror(wr.err));
	n = join_within(trd, 60);
	tap_check(n && rd.ret < 0 && rd.err == ENODEV,
		  "the blocked reader returns ENODEV (ret %d, %s)", rd.ret, strerror(rd.err));
	{
		struct __kernel_timespec ts = { .tv_sec = 30 };
		struct io_uring_cqe *cqe;
		int nodev = 0, other = 0;

		while (uring_ok && nodev + other < CALLS &&
		       io_uring_wait_cqe_timeout(&ring, &cqe, &ts) == 0) {
			if (cqe->res == -ENODEV)
				nodev++;
			else
				other++;
			io_uring_cqe_seen(&ring, cqe);
		}
		tap_check(nodev == CALLS, "every io_uring call, sent or in the backlog, "
			  "completes with ENODEV (%d of %d, %d otherwise)", nodev, CALLS,
			  other);
		if (uring_ok)
			io_uring_queue_exit(&ring);
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	n = poll(&p, 1, 0);
	tap_check(n == 1 && (p.revents & POLLHUP),
		  "poll reports POLLHUP (revents 0x%x)", p.revents);
	errno = 0;
	n = send_req(fd, 1, VIRTIO_SIMPLE_OP_ECHO, "x", 1);
	tap_check(n < 0 && errno == ENODEV, "a later write: ENODEV");
	/* answers that arrived before the removal still come, then ENODEV */
	{
		int answers = 0, e;

		while ((n = read(fd, buf, sizeof(buf))) > 0)
			answers++;
		e = errno;
		tap_check(n < 0 && e == ENODEV,
			  "later reads: the %d answers that had arrived, then ENODEV (%s)",
			  answers, strerror(e));
	}
	errno = 0;
	n = ioctl(fd, VIRTIO_SIMPLE_IOC_INFO, &info);
	tap_check(n < 0 && errno == ENODEV, "a later ioctl: ENODEV");
	tap_check(late_fixed_call(fd, max_payload) == -ENODEV,
		  "a later io_uring call from a registered buffer with room for "
		  "any answer: ENODEV, and the kernel lives");
	tap_check(close(fd) == 0 && close(fd2) == 0, "close works");
	for (n = 0; n < 30000 && !access(NODE, F_OK); n++)
		usleep(1000);
	tap_check(access(NODE, F_OK) != 0, NODE " is gone");

	/* back again: the new device gets a working /dev/virtio-simple0 */
	if (unplug) {
		qmp("{\"execute\": \"device_add\", \"arguments\": "
		    "{\"driver\": \"virtio-simple-pci\", \"id\": \"vs1\"}}");
	} else {
		write_file(DRV "/bind", vdev);
	}
	if (!tap_check(wait_for_path(NODE, 60), NODE " is back (N reused)"))
		system("dmesg | tail -n 20; ls /sys/bus/pci/devices");
	fd = open(NODE, O_RDWR);
	tap_check(echo_ok(fd, 77, "again"), "the new device answers");
	close(fd);
	return tap_done();
}
