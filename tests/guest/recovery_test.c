// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test of the driver's recovery (device with x-fault-injection=on):
 * on NEEDS_RESET, or when an answer does not come within the request
 * timeout, the driver resets the device by itself, fails what was in
 * flight with EIO to the files that sent it, and goes on serving without a
 * reload.  A recovery that cannot bring the queues back leaves a broken
 * device that still delivers what had arrived, fails cleanly, and can be
 * unbound and bound again; so does a device that needs a reset again and
 * again, once the driver gives up on it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <virtio_simple.h>
#include "../lib/tap.h"
#include "guest_util.h"
#include "uring_call.h"

#define NODE "/dev/virtio-simple0"
#define PARAM "/sys/module/virtio_simple/parameters/"
#define CHILDREN 3
#define PER_CHILD 200

/*
 * One loader: depth-4 ECHOs on a file of its own.  Exit status: 0 when
 * every request was answered with its own bytes or failed with EIO, and at
 * least one failed with EIO when @want_eio; 1 otherwise.
 */
static int loader(int child, int want_eio)
{
	int fd = open(NODE, O_RDWR), answered = 0, eio = 0, other = 0;
	char text[4][32];

	alarm(120);		/* a hang shows as a failed child, not a stuck test */
	for (int i = 0; i < PER_CHILD / 4; i++) {
		int sent = 0;

		for (int k = 0; k < 4; k++) {
			snprintf(text[k], sizeof(text[k]), "c%d-%d-%d", child, i, k);
			if (send_req(fd, k, VIRTIO_SIMPLE_OP_ECHO, text[k],
				     strlen(text[k])) == 0)
				sent++;
			else if (errno == EIO)
				eio++;
			else
				other++;
		}
		for (int k = 0; k < sent; k++) {
			struct resp r;
			char *q = recv_resp(fd, &r, 64);

			if (!q && errno == EIO)
				eio++;
			else if (q && r.id < 4 && r.len == strlen(text[r.id]) &&
				 !memcmp(q, text[r.id], r.len))
				answered++;
			else
				other++;
			free(q);
		}
	}
	printf("# loader %d: %d answered, %d EIO, %d other\n", child, answered, eio,
	       other);
	close(fd);
	return answered + eio == PER_CHILD && !other && (!want_eio || eio) ? 0 : 1;
}

/* NEEDS_RESET while three files are busy: they see EIO at most, then go on. */
static void test_needs_reset_under_load(void)
{
	uint64_t rec0 = sysfs_u64(0, "recoveries");
	pid_t pid[CHILDREN];
	int fd = open(NODE, O_RDWR), st, ok = 1;
	uint32_t d = htole32(1000000);
	struct resp r;
	void *q;

	for (int c = 0; c < CHILDREN; c++) {
		pid[c] = fork();
		if (!pid[c])
			_exit(loader(c, 0));
	}
	send_req(fd, 1, VIRTIO_SIMPLE_OP_DELAY, &d, 4);	/* surely in flight */
	send_req(fd, 2, VIRTIO_SIMPLE_OP_ECHO, "x-fault:r", 9);
	ok = wait_sysfs_u64(0, "recoveries", rec0 + 1, 30);
	tap_check(ok, "NEEDS_RESET: the driver resets the device by itself (recoveries %llu -> %llu)",
		  (unsigned long long)rec0, (unsigned long long)sysfs_u64(0, "recoveries"));
	/* the DELAY and the trigger (failed, or answered first), in either order */
	ok = 0;
	for (int k = 0; k < 2; k++) {
		q = recv_resp(fd, &r, 64);
		ok |= !q && errno == EIO && r.id == 1;
		free(q);
	}
	tap_check(ok, "the DELAY in flight fails with EIO, to its file, named by its id");
	ok = 1;
	for (int c = 0; c < CHILDREN; c++) {
		waitpid(pid[c], &st, 0);
		ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	tap_check(ok, "%d files under load: every request answered with its own bytes or failed with EIO, none lost or hung",
		  CHILDREN);
	tap_check(echo_ok(fd, 3, "after"), "the same file is served again, no reload");
	close(fd);
	fd = open(NODE, O_RDWR);
	tap_check(echo_ok(fd, 4, "fresh"), "and a new file");
	close(fd);
	tap_check(sysfs_u64(0, "in_flight") == 0 && sysfs_u64(0, "unread") == 0,
		  "nothing left in flight or unread");
}

/*
 * An io_uring call in flight at a reset: its CQE carries a header with the
 * caller's id and VIRTIO_SIMPLE_S_EIO (res 16), as read() would return it.
 */
static void test_uring_failure_named(void)
{
	struct virtio_simple_hdr h = {
		.id = htole64(77), .op = htole16(VIRTIO_SIMPLE_OP_DELAY),
		.len = htole32(4),
	};
	struct __kernel_timespec ts = { .tv_sec = 30 };
	uint32_t d = htole32(1000000);
	uint8_t buf[64] = { 0 };
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int fd = open(NODE, O_RDWR), res = 1, ok;
	uint64_t user_data = 0, rec0 = sysfs_u64(0, "recoveries");
	struct resp r;

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &d, 4);
	if (!tap_check(io_uring_queue_init(4, &ring, 0) == 0, "io_uring: a ring")) {
		close(fd);
		return;
	}
	uring_prep_call(&ring, fd, VIRTIO_SIMPLE_URING_CALL, buf, sizeof(h) + 4,
			sizeof(buf), 0, 5);
	io_uring_submit(&ring);
	wait_sysfs_u64(0, "in_flight", 1, 10);
	send_req(fd, 2, VIRTIO_SIMPLE_OP_ECHO, "x-fault:r", 9);
	if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts) == 0) {
		res = cqe->res;
		user_data = cqe->user_data;
		io_uring_cqe_seen(&ring, cqe);
	}
	memcpy(&h, buf, sizeof(h));
	tap_check(res == 16 && user_data == 5 && le64toh(h.id) == 77 &&
		  le16toh(h.status) == VIRTIO_SIMPLE_S_EIO && le32toh(h.len) == 0,
		  "io_uring: a call in flight at a reset completes with its id and S_EIO "
		  "(res %d, id %llu, status 0x%x)", res,
		  (unsigned long long)le64toh(h.id), le16toh(h.status));
	free(recv_resp(fd, &r, 64));	/* the trigger: failed or answered */
	io_uring_queue_exit(&ring);
	/* the recovery done (a debug kernel takes a while), the device serves */
	ok = wait_sysfs_u64(0, "recoveries", rec0 + 1, 30) && echo_ok(fd, 78, "after");
	close(fd);
	ok = ok && wait_sysfs_u64(0, "in_flight", 0, 10) && sysfs_u64(0, "unread") == 0;
	tap_check(ok, "io_uring: the device recovers and serves; nothing left in flight or unread");
}

/*
 * Answers the device drops, on every slot of the device (three files: one
 * user's files may hold only three quarters of them, so the third is
 * nobody's): another file's write waits until the request timeout resets
 * the device, then goes through.
 */
static void test_dropped_answers(void)
{
	uint64_t rec0 = sysfs_u64(0, "recoveries");
	int a[3], b = open(NODE, O_RDWR);
	unsigned int sent[3] = { 0, 0, 0 }, eio = 0, full;
	int ok;

	write_file(PARAM "request_timeout_ms", "2000");
	for (int k = 0; k < 3; k++) {
		/* the share goes by the opener's euid */
		if (k == 2 && seteuid(65534))
			perror("seteuid");
		a[k] = open(NODE, O_RDWR | O_NONBLOCK);
		if (k == 2 && seteuid(0))
			perror("seteuid");
		while (send_req(a[k], sent[k], VIRTIO_SIMPLE_OP_ECHO, "x-fault:d", 9) == 0)
			sent[k]++;
	}
	full = sysfs_u64(0, "in_flight");
	ok = echo_ok(b, 1, "waits");
	tap_check(full == sent[0] + sent[1] + sent[2] && full == 64 && ok &&
		  sysfs_u64(0, "recoveries") == rec0 + 1,
		  "every slot held by a dropped answer (%u): another file's write waits for the timeout's reset, then is answered",
		  full);
	for (int k = 0; k < 3; k++) {
		for (unsigned int i = 0; i < sent[k]; i++) {
			char buf[64];
			struct pollfd p = { .fd = a[k], .events = POLLIN };

			poll(&p, 1, 10000);
			struct virtio_simple_hdr h;

			if (read(a[k], buf, sizeof(buf)) == sizeof(h) &&
			    (memcpy(&h, buf, sizeof(h)),
			     le16toh(h.status) == VIRTIO_SIMPLE_S_EIO))
				eio++;
		}
		close(a[k]);
	}
	tap_check(eio == full, "all %u dropped requests fail with EIO, to their files (%u)", full, eio);
	tap_check(sysfs_u64(0, "recoveries") == rec0 + 1, "one recovery for them all");
	write_file(PARAM "request_timeout_ms", "10000");
	close(b);
}

/* Unbind and bind the device of NODE; whether it is back and answers. */
static int rebind(const char *why)
{
	char dev[64] = "";
	int fd, ok;

	bound_virtio_dev(dev, sizeof(dev));
	tap_check(dev[0] && write_file("/sys/bus/virtio/drivers/virtio_simple/unbind", dev),
		  "unbind of the %s %s works", why, dev);
	tap_check(write_file("/sys/bus/virtio/drivers/virtio_simple/bind", dev) &&
		  wait_for_path(NODE, 30), "bind brings the node back");
	fd = open(NODE, O_RDWR);
	ok = echo_ok(fd, 9, "back");
	close(fd);
	return ok;
}

/*
 * A device that needs a reset again and again and answers nothing in
 * between: the driver resets it 5 times in a row (backing off), then gives
 * up and leaves it broken rather than resetting it forever; every request
 * fails with EIO, named by its id.  request_timeout_ms refuses values that
 * would reset a healthy device.
 */
static void test_recovery_gives_up(void)
{
	int fd = open(NODE, O_RDWR), failed = 0, i;
	uint64_t rec0 = sysfs_u64(0, "recoveries");
	struct pollfd p = { .fd = fd, .events = POLLIN };
	double end = mono_s() + 60;
	struct resp r;
	void *q;

	tap_check(!write_file(PARAM "request_timeout_ms", "999") &&
		  !write_file(PARAM "request_timeout_ms", "3600001") &&
		  write_file(PARAM "request_timeout_ms", "0") &&
		  write_file(PARAM "request_timeout_ms", "1000") &&
		  write_file(PARAM "request_timeout_ms", "10000"),
		  "request_timeout_ms takes 0 and 1000..3600000, refuses 999 and 3600001");
	for (i = 0; i < 6; i++) {
		memset(&r, 0, sizeof(r));
		if (send_req(fd, 100 + i, VIRTIO_SIMPLE_OP_ECHO, "x-fault:r", 9) < 0)
			break;
		q = recv_resp(fd, &r, 64);
		failed += !q && r.id == 100 + (uint64_t)i && r.status == VIRTIO_SIMPLE_S_EIO;
		free(q);
	}
	tap_check(i == 6 && failed == 6,
		  "6 requests that each make the device need a reset: each fails with EIO, named by its id (%d)",
		  failed);
	while (mono_s() < end && !(p.revents & POLLERR))
		poll(&p, 1, 1000);
	tap_check(p.revents & POLLERR, "after 5 resets in a row with no answer between, the driver gives up: broken (POLLERR)");
	tap_check(sysfs_u64(0, "recoveries") == rec0 + 5,
		  "5 recoveries, not more (%llu)",
		  (unsigned long long)(sysfs_u64(0, "recoveries") - rec0));
	close(fd);
	tap_check(rebind("given up"), "and it answers again");
}

/*
 * A recovery whose queue set-up fails (fail_function on
 * vsimple_fill_resp_queue): the device stays
 * broken.  The answer already queued is still read, then EIO; IOC_INFO does
 * not touch freed queues; unbind and bind bring it back.
 */
static void test_failed_recovery(void)
{
	struct virtio_simple_info info;
	int a = open(NODE, O_RDWR), b = open(NODE, O_RDWR), ret;
	struct pollfd p = { .fd = a, .events = POLLIN };
	double end = mono_s() + 30;
	char dev[64] = "", path[128];
	struct resp r;
	void *q;

	send_req(a, 7, VIRTIO_SIMPLE_OP_ECHO, "kept", 4);
	wait_readable(a);		/* answered, not read */
	/* the recovery's queue set-up fails once (-ENOMEM) */
	fail_function_arm("vsimple_fill_resp_queue", "0xfffffffffffffff4", "1");
	send_req(b, 1, VIRTIO_SIMPLE_OP_ECHO, "x-fault:r", 9);
	while (mono_s() < end && !(p.revents & POLLERR)) {
		poll(&p, 1, 100);
		usleep(1000);
	}
	fail_function_off("vsimple_fill_resp_queue");
	tap_check(p.revents & POLLERR, "a recovery that cannot set up the queues leaves the device broken (POLLERR)");
	q = recv_resp(a, &r, 64);
	tap_check(q && r.id == 7 && r.len == 4 && !memcmp(q, "kept", 4),
		  "read() still delivers the answer that had arrived");
	free(q);
	q = recv_resp(a, &r, 64);
	tap_check(!q && errno == EIO, "then fails with EIO");
	free(q);
	errno = 0;
	ret = send_req(a, 8, VIRTIO_SIMPLE_OP_ECHO, "x", 1) < 0 ? errno : 0;
	tap_check(ret == EIO, "write() fails with EIO (%s)", strerror(ret));
	ret = ioctl(a, VIRTIO_SIMPLE_IOC_INFO, &info);
	tap_check(ret == 0 && info.req_queue_size == 128,
		  "IOC_INFO still answers, from what probe read, not from freed queues");

	/* unbind with the files open, then bind: a working device again */
	bound_virtio_dev(dev, sizeof(dev));
	snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/virtio_simple/unbind");
	tap_check(dev[0] && write_file(path, dev), "unbind of the broken %s works", dev);
	close(a);
	close(b);
	snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/virtio_simple/bind");
	tap_check(write_file(path, dev) && wait_for_path(NODE, 30), "bind brings the node back");
	a = open(NODE, O_RDWR);
	tap_check(echo_ok(a, 9, "back"), "and it answers");
	close(a);
}

int main(void)
{
	if (!tap_check(wait_for_path(NODE, 30), NODE " appears"))
		return tap_done();
	test_needs_reset_under_load();
	test_uring_failure_named();
	test_dropped_answers();
	test_recovery_gives_up();
	if (have_fail_function())
		test_failed_recovery();
	else
		tap_skip("a recovery that cannot set up the queues",
			 "no fail_function in this kernel (make check-debug runs it)");
	return tap_done();
}
