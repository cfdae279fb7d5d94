// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: allocation failures (the debug kernel's fault injection;
 * skipped where the kernel has none).
 *
 * The system calls (open, write, read, ioctl INFO and CALL) under
 * systematic injection: /proc/thread-self/fail-nth makes the Nth
 * failslab / fail_page_alloc point of the calling thread fail, so every
 * allocation a call makes fails once in turn, until a call makes fewer
 * than N.  Each failure must come back as an error, never a hang or a lost
 * request; a write that succeeded is answered.  Then the same calls at 10%
 * (task filter, make-it-fail on this process only).
 *
 * The driver's allocations outside the caller (the responseq refill, in a
 * work item; probe): fail_function on vsimple_alloc_resp_buf, which the
 * driver marks ALLOW_ERROR_INJECTION(NULL): under load at 20% every request
 * is still answered (the refill retries), and a probe that cannot fill the
 * queue fails cleanly.  Afterwards, injection off, the device serves; the
 * debug kernel's init then scans kmemleak.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <virtio_simple.h>
#include "../lib/tap.h"
#include "guest_util.h"

#define NODE "/dev/virtio-simple0"
#define DBG "/sys/kernel/debug/"
#define DRV "/sys/bus/virtio/drivers/virtio_simple/"
#define MAX_NTH 400		/* more points than any call here makes */
#define HANG_SECS 30

enum call { OPEN, WRITE, READ, IOC_INFO, IOC_CALL, NCALLS };
static const char *const call_name[NCALLS] = {
	"open", "write", "read", "ioctl(IOC_INFO)", "ioctl(IOC_CALL)",
};

static int nth_fd = -1, mif_fd = -1;	/* fail-nth, make-it-fail */
static int fd = -1;		/* the file the calls use */
static uint64_t next_id = 100;
static uint8_t rbuf[4096];

static void on_alarm(int sig)
{
	(void)sig;		/* the blocked call returns EINTR: a hang */
}

/* Arm fail-nth: the @n-th fault point of this thread from now fails. */
static void nth_arm(int n)
{
	char s[16];
	int len = snprintf(s, sizeof(s), "%d", n);

	if (pwrite(nth_fd, s, len, 0) != len)
		perror("fail-nth");
}

/* Disarm; true when the armed fault was injected (the count reached 0). */
static int nth_injected(void)
{
	char s[16] = "";
	int left;

	if (pread(nth_fd, s, sizeof(s) - 1, 0) < 0)
		return 0;
	left = atoi(s);
	nth_arm(0);
	return left == 0;
}

/*
 * Read answers until the one to marker @id: every answer before it must be
 * to a write that succeeded (@owed of them).  False on a lost or stray one.
 */
static int settle(uint64_t *owed)
{
	uint64_t id = next_id++;
	struct resp r;
	void *p;

	if (send_req(fd, id, VIRTIO_SIMPLE_OP_ECHO, "m", 1))
		return 0;
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };

		if (poll(&pf, 1, HANG_SECS * 1000) != 1)
			return 0;	/* lost */
		p = recv_resp(fd, &r, 64);
		free(p);
		if (!p)
			return 0;
		if (r.id == id)
			return *owed == 0;
		if (!*owed)
			return 0;	/* an answer nobody is owed */
		(*owed)--;
	}
}

/* One call of kind @c; 0 or -errno.  @owed counts writes to be answered. */
static int do_call(enum call c, uint64_t *owed)
{
	struct virtio_simple_info info;
	uint32_t crc;
	struct virtio_simple_call vc = {
		.op = VIRTIO_SIMPLE_OP_CRC32C, .req_len = 9,
		.req_buf = (uintptr_t)"123456789",
		.resp_buf = (uintptr_t)&crc, .resp_cap = 4,
	};
	static struct {
		struct virtio_simple_hdr hdr;
		char payload[5];
	} __attribute__((packed)) wreq = {
		.payload = "hello",
	};
	int ret = 0, nfd;

	alarm(HANG_SECS);
	switch (c) {
	case OPEN:
		nfd = open(NODE, O_RDWR);
		if (nfd >= 0)
			close(nfd);
		ret = nfd < 0 ? -errno : 0;
		break;
	case WRITE:		/* no malloc here: it could take the fault */
		wreq.hdr = (struct virtio_simple_hdr){
			.id = htole64(next_id++),
			.op = htole16(VIRTIO_SIMPLE_OP_ECHO), .len = htole32(5),
		};
		ret = write(fd, &wreq, sizeof(wreq)) < 0 ? -errno : 0;
		if (!ret)
			(*owed)++;
		break;
	case READ:
		ret = read(fd, rbuf, sizeof(rbuf)) < 0 ? -errno : 0;
		if (!ret)
			(*owed)--;
		break;
	case IOC_INFO:
		ret = ioctl(fd, VIRTIO_SIMPLE_IOC_INFO, &info) ? -errno : 0;
		break;
	case IOC_CALL:
		ret = ioctl(fd, VIRTIO_SIMPLE_IOC_CALL, &vc) ? -errno : 0;
		if (!ret && (vc.status || le32toh(crc) != 0xe3069283))
			ret = -EPROTO;	/* a wrong answer is no error code */
		break;
	default:
		break;
	}
	alarm(0);
	return ret;
}

/*
 * Fail the 1st, 2nd, ... fault point of call @c in turn, until the call
 * makes fewer; one check: how many points, which errors they gave.
 */
static void systematic(enum call c)
{
	int n, ret, points = -1, hang = 0, lost = 0, wrong = 0;
	uint64_t owed = 0;
	char errs[256] = "";

	for (n = 1; n <= MAX_NTH && points < 0; n++) {
		if (c == READ) {	/* an answer to read */
			send_req(fd, next_id++, VIRTIO_SIMPLE_OP_ECHO, "r", 1);
			owed++;
			wait_readable(fd);
		}
		nth_arm(n);
		ret = do_call(c, &owed);
		if (!nth_injected())
			points = n - 1;	/* the call made fewer than n */
		if (ret == -EINTR)
			hang++;
		else if (ret == -EPROTO)
			wrong++;
		else if (ret && !strstr(errs, strerrorname_np(-ret)))
			snprintf(errs + strlen(errs), sizeof(errs) - strlen(errs),
				 " %s", strerrorname_np(-ret));
		if (!settle(&owed))
			lost++;
	}
	tap_check(points >= 0 && !hang && !lost && !wrong,
		  "%s: each of its %d allocation points failed once in turn: every failure an error (%s), no hang (%d), no lost or stray answer (%d), no wrong answer (%d)",
		  call_name[c], points, errs[0] ? errs + 1 : "none", hang, lost, wrong);
}

static void make_it_fail(int on)
{
	if (pwrite(mif_fd, on ? "1" : "0", 1, 0) != 1)
		perror("make-it-fail");
}

/* The same calls again and again, with this process's allocations failing at 10%. */
static void random_failures(void)
{
	int hang = 0, lost = 0, wrong = 0, failed = 0, i, ret;
	uint64_t owed = 0;

	write_file(DBG "failslab/probability", "10");
	write_file(DBG "fail_page_alloc/probability", "10");
	make_it_fail(1);
	for (i = 0; i < 200; i++) {
		enum call c = i % NCALLS;

		if (c == READ) {
			if (send_req(fd, next_id++, VIRTIO_SIMPLE_OP_ECHO, "r", 1) == 0) {
				owed++;
				wait_readable(fd);
			}
			if (!owed)
				continue;
		}
		ret = do_call(c, &owed);
		failed += ret != 0;
		hang += ret == -EINTR;
		wrong += ret == -EPROTO;
		make_it_fail(0);
		lost += !settle(&owed);
		make_it_fail(1);
	}
	make_it_fail(0);
	write_file(DBG "failslab/probability", "0");
	write_file(DBG "fail_page_alloc/probability", "0");
	tap_check(failed > 0 && !hang && !lost && !wrong,
		  "200 calls with this process's allocations failing at 10%%: %d failed with an error, no hang (%d), no lost answer (%d), no wrong answer (%d)",
		  failed, hang, lost, wrong);
}

static void setup_fault_attrs(void)
{
	static const char *const attr[] = { "failslab", "fail_page_alloc" };

	for (int i = 0; i < 2; i++) {
		char p[128];

#define SET(name, val) do { \
		snprintf(p, sizeof(p), DBG "%s/" name, attr[i]); \
		write_file(p, val); \
	} while (0)
		SET("probability", "0");
		SET("interval", "1");
		SET("times", "-1");
		SET("verbose", "0");
		SET("task-filter", "Y");
		SET("ignore-gfp-wait", "N");
#undef SET
	}
	write_file(DBG "fail_page_alloc/ignore-gfp-highmem", "N");
	write_file(DBG "fail_page_alloc/min-order", "0");
}

/* The driver's own allocation helper, failing in its work item and probe. */
static void fail_function(void)
{
	uint64_t f0 = sysfs_u64(0, "refill_failures");
	static char list[1 << 20];
	char dev[64];
	int ok, lfd, n;
	size_t len;

	/* a seq_file: a page per read(), and every syscall is listed first */
	lfd = open(DBG "error_injection/list", O_RDONLY);
	len = 0;
	while (lfd >= 0 && len < sizeof(list) - 1 &&
	       (n = read(lfd, list + len, sizeof(list) - 1 - len)) > 0)
		len += n;
	list[len] = '\0';
	if (lfd >= 0)
		close(lfd);
	if (!tap_check(strstr(list, "vsimple_alloc_resp_buf") != NULL,
		       "vsimple_alloc_resp_buf is marked for error injection (NULL)"))
		return;
	ok = write_file(DBG "fail_function/inject", "vsimple_alloc_resp_buf") &&
	     write_file(DBG "fail_function/probability", "20") &&
	     write_file(DBG "fail_function/interval", "1") &&
	     write_file(DBG "fail_function/times", "-1") &&
	     write_file(DBG "fail_function/verbose", "0");
	tap_check(ok, "fail_function armed on vsimple_alloc_resp_buf at 20%%");
	/* 5% of stress_load's ECHOs are bigger than a page: they take ring buffers */
	ok = system("stress_load -p 3 -d 16 -s 20 " NODE " | sed 's/^/# /'") == 0;
	tap_check(ok && sysfs_u64(0, "refill_failures") > f0,
		  "under load with refills failing (refill_failures %llu -> %llu): every request answered, none lost",
		  (unsigned long long)f0,
		  (unsigned long long)sysfs_u64(0, "refill_failures"));

	bound_virtio_dev(dev, sizeof(dev));
	write_file(DBG "fail_function/probability", "100");
	ok = write_file(DRV "unbind", dev);
	n = write_file(DRV "bind", dev);
	snprintf(list, sizeof(list), DRV "%s", dev);
	tap_check(ok && access(NODE, F_OK) && access(list, F_OK),
		  "a probe whose response buffers cannot be allocated fails cleanly (bind %s, not bound, no node)",
		  n ? "accepted" : "refused");
	write_file(DBG "fail_function/inject", "!vsimple_alloc_resp_buf");
	tap_check(write_file(DRV "bind", dev) && wait_for_path(NODE, 30),
		  "injection off: bind works again");
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	int c;

	if (!tap_check(wait_for_path(NODE, 60), NODE " appears"))
		return tap_done();
	sigaction(SIGALRM, &sa, NULL);
	/* no page faults of our own inside the injected calls */
	mlockall(MCL_CURRENT | MCL_FUTURE);
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	mif_fd = open("/proc/self/make-it-fail", O_RDWR);
	if (nth_fd < 0 || mif_fd < 0 || access(DBG "failslab", F_OK)) {
		tap_skip("allocation failures in the system calls",
			 "no fail-nth or failslab in this kernel");
	} else {
		setup_fault_attrs();
		fd = open(NODE, O_RDWR);
		for (c = 0; c < NCALLS; c++)
			systematic(c);
		random_failures();
		close(fd);
	}
	if (access(DBG "fail_function", F_OK))
		tap_skip("allocation failures in the driver's refill and probe",
			 "no fail_function in this kernel");
	else
		fail_function();
	fd = open(NODE, O_RDWR);
	tap_check(fd >= 0 && echo_ok(fd, 1, "still serving"),
		  "injection off: the device answers an ECHO");
	tap_check(sysfs_u64(0, "in_flight") == 0 && sysfs_u64(0, "unread") == 0,
		  "nothing left in flight or unread");
	close(fd);
	return tap_done();
}
