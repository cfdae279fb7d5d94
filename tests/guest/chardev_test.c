// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test of /dev/virtio-simpleN: the write/read contract, per-file
 * routing, poll, O_NONBLOCK, the in-flight limit, signals, ioctls, sysfs,
 * and closing with requests in flight.
 *   chardev_test [N]
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <virtio_simple.h>
#include "../lib/tap.h"
#include "guest_util.h"

static char node[64];
static int dev_index;
static uint32_t max_payload;
static uint32_t max_in_flight;

static int open_node(int flags)
{
	int fd = open(node, O_RDWR | flags);

	if (fd < 0) {
		perror(node);
		exit(1);
	}
	return fd;
}

static void test_node_and_info(void)
{
	struct virtio_simple_info info;
	struct stat st;
	int fd;

	tap_check(stat(node, &st) == 0 && S_ISCHR(st.st_mode),
		  "%s is a character device", node);
	/* the uevent daemon sets the mode just after the node appears */
	for (int i = 0; i < 5000 && (st.st_mode & 0777) != 0666; i++) {
		usleep(1000);
		stat(node, &st);
	}
	tap_check((st.st_mode & 0777) == 0666,
		  "mode 0666 from the shipped rule (got %o)", st.st_mode & 0777);
	fd = open_node(0);
	tap_check(ioctl(fd, VIRTIO_SIMPLE_IOC_INFO, &info) == 0, "IOC_INFO works");
	max_payload = info.max_payload;
	max_in_flight = info.max_in_flight;
	tap_check(info.max_payload == sysfs_u64(dev_index, "max_payload"),
		  "IOC_INFO max_payload %u matches sysfs", info.max_payload);
	tap_check(info.req_queue_size == 128 && info.resp_queue_size == 128,
		  "queue sizes 128/128 (got %u/%u)", info.req_queue_size,
		  info.resp_queue_size);
	tap_check(info.max_in_flight >= 2, "max_in_flight %u", info.max_in_flight);
	close(fd);
}

static void test_roundtrip_sizes(void)
{
	uint32_t sizes[] = { 0, 1, 4096, max_payload };
	int fd = open_node(0);

	for (unsigned int i = 0; i < 4; i++) {
		uint8_t *out = malloc(sizes[i] + 1), *in;
		struct resp r;

		for (uint32_t k = 0; k < sizes[i]; k++)
			out[k] = (uint8_t)(k * 7 + i);
		tap_check(send_req(fd, 1000 + i, VIRTIO_SIMPLE_OP_ECHO, out, sizes[i]) == 0,
			  "write of a %u-byte ECHO", sizes[i]);
		in = recv_resp(fd, &r, max_payload);
		tap_check(in && r.id == 1000 + i && r.status == 0 &&
			  r.len == sizes[i] && !memcmp(in, out, sizes[i]),
			  "read gives back id %u and %u intact bytes (id %llu, len %u)",
			  1000 + i, sizes[i], (unsigned long long)r.id, r.len);
		free(out);
		free(in);
	}
	close(fd);
}

static void test_write_errors(void)
{
	struct virtio_simple_hdr hdr = { .op = htole16(1), .len = htole32(4) };
	uint8_t buf[64] = { 0 };
	int fd = open_node(0);

	memcpy(buf, &hdr, sizeof(hdr));
	int r, e;

	r = write(fd, buf, 10);
	e = errno;
	tap_check(r < 0 && e == EINVAL, "write shorter than the header: EINVAL (%s)",
		  r < 0 ? strerror(e) : "no error");
	r = write(fd, buf, 16 + 3);
	e = errno;
	tap_check(r < 0 && e == EINVAL, "write of 16 + 3 bytes with hdr.len 4: EINVAL (%s)",
		  r < 0 ? strerror(e) : "no error");
	r = send_req(fd, 1, 1, NULL, max_payload + 1);
	e = errno;
	tap_check(r < 0 && e == EMSGSIZE, "hdr.len > max_payload: EMSGSIZE (%s)",
		  r < 0 ? strerror(e) : "no error");
	close(fd);
}

static void test_small_read(void)
{
	int fd = open_node(0);
	uint8_t small[20];
	struct virtio_simple_hdr h;
	struct resp r;
	uint8_t *p;
	ssize_t n;
	int e;

	send_req(fd, 7, VIRTIO_SIMPLE_OP_ECHO, "0123456789", 10);
	wait_readable(fd);
	n = read(fd, small, sizeof(small));
	e = errno;
	tap_check(n < 0 && e == EMSGSIZE, "read buffer too small for 26 bytes: EMSGSIZE (%s)",
		  n < 0 ? strerror(e) : "no error");
	memset(&h, 0, sizeof(h));
	tap_check(ioctl(fd, VIRTIO_SIMPLE_IOC_PEEK, &h) == 0 && le64toh(h.id) == 7 &&
		  le32toh(h.len) == 10 && le16toh(h.op) == VIRTIO_SIMPLE_OP_ECHO,
		  "IOC_PEEK gives its header: id 7, len 10 (the room it needs)");
	p = recv_resp(fd, &r, max_payload);
	tap_check(p && r.id == 7 && r.len == 10 && !memcmp(p, "0123456789", 10),
		  "the response stayed queued (also after the peek) and reads whole after");
	free(p);
	n = ioctl(fd, VIRTIO_SIMPLE_IOC_PEEK, &h);
	e = errno;
	tap_check(n < 0 && e == EAGAIN, "IOC_PEEK with nothing queued: EAGAIN (%s)",
		  n < 0 ? strerror(e) : "no error");
	close(fd);
}

/*
 * IOC_SET_READ_BATCH: one read() returns up to that many whole answers,
 * those after the first only while they fit; never part of one.
 */
static void test_read_batch(void)
{
	int fd = open_node(0);
	uint32_t batch = 8, zero = 0, big = VIRTIO_SIMPLE_READ_BATCH_MAX + 1;
	uint8_t buf[4096];
	struct virtio_simple_hdr h;
	size_t off;
	ssize_t n;
	int ids = 0, e;

	/* 6 ECHOs of 10 bytes (26 each), all answered before the reads */
	for (int i = 0; i < 6; i++)
		send_req(fd, 40 + i, VIRTIO_SIMPLE_OP_ECHO, "0123456789", 10);
	wait_sysfs_u64(dev_index, "in_flight", 0, 10);
	n = read(fd, buf, sizeof(buf));
	tap_check(n == 26, "without IOC_SET_READ_BATCH a read() returns one answer (%zd bytes)", n);
	tap_check(ioctl(fd, VIRTIO_SIMPLE_IOC_SET_READ_BATCH, &batch) == 0,
		  "IOC_SET_READ_BATCH 8 is taken");
	n = read(fd, buf, 3 * 26 + 20);
	tap_check(n == 3 * 26, "with room for 3.8 answers, one read() returns 3 whole ones (%zd bytes)", n);
	n = read(fd, buf, sizeof(buf));
	for (off = 0; n > 0 && off + sizeof(h) <= (size_t)n; off += sizeof(h) + le32toh(h.len)) {
		memcpy(&h, buf + off, sizeof(h));
		ids += le64toh(h.id) == (uint64_t)(44 + (off / 26)) && le32toh(h.len) == 10 &&
		       !memcmp(buf + off + sizeof(h), "0123456789", 10);
	}
	tap_check(n == 2 * 26 && ids == 2,
		  "the next read() returns the last 2, back to back, each whole and in order (%zd bytes)", n);
	n = ioctl(fd, VIRTIO_SIMPLE_IOC_SET_READ_BATCH, &zero);
	e = errno;
	tap_check(n < 0 && e == EINVAL, "IOC_SET_READ_BATCH 0: EINVAL");
	n = ioctl(fd, VIRTIO_SIMPLE_IOC_SET_READ_BATCH, &big);
	e = errno;
	tap_check(n < 0 && e == EINVAL, "IOC_SET_READ_BATCH over %d: EINVAL",
		  VIRTIO_SIMPLE_READ_BATCH_MAX);
	batch = 2;
	ioctl(fd, VIRTIO_SIMPLE_IOC_SET_READ_BATCH, &batch);
	for (int i = 0; i < 3; i++)
		send_req(fd, 50 + i, VIRTIO_SIMPLE_OP_ECHO, "0123456789", 10);
	wait_sysfs_u64(dev_index, "in_flight", 0, 10);
	n = read(fd, buf, sizeof(buf));
	tap_check(n == 2 * 26, "IOC_SET_READ_BATCH 2: two of three ready answers per read() (%zd bytes)", n);
	n = read(fd, buf, 20);
	e = errno;
	tap_check(n < 0 && e == EMSGSIZE, "a first answer that does not fit is still EMSGSIZE");
	close(fd);
}

static void test_nonblock_and_limit(void)
{
	int fd = open_node(O_NONBLOCK);
	uint32_t delay = htole32(1000000);	/* long enough to stay in flight */
	uint8_t buf[64];
	unsigned int sent = 0, share;
	uint64_t n;
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	errno = 0;
	tap_check(read(fd, buf, sizeof(buf)) < 0 && errno == EAGAIN,
		  "O_NONBLOCK read with nothing queued: EAGAIN");
	tap_check(poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) && !(p.revents & POLLIN),
		  "poll: POLLOUT, no POLLIN on an idle file (revents 0x%x)", p.revents);
	sent = fill_delays(fd);
	share = file_share(max_in_flight);
	tap_check(errno == EAGAIN && sent == share,
		  "O_NONBLOCK write at the file's share of the device: EAGAIN after %u (3/4 of its user's 3/4 of %u)",
		  sent, max_in_flight);
	p.revents = 0;
	tap_check(poll(&p, 1, 0) == 0, "poll: no POLLOUT at the limit");
	n = sysfs_u64(dev_index, "in_flight");
	tap_check(n <= share, "sysfs in_flight (at the device) is at most %u: %llu",
		  share, (unsigned long long)n);
	/* the DELAYs end within a second; their answers wait to be read */
	tap_check(wait_sysfs_u64(dev_index, "unread", sent, 10) &&
		  sysfs_u64(dev_index, "in_flight") == 0,
		  "sysfs unread counts the %u answers held for the file", sent);
	while (send_req(fd, sent, VIRTIO_SIMPLE_OP_DELAY, &delay, 4) == 0)
		sent++;
	tap_check(errno == EAGAIN && sent == max_in_flight,
		  "then at the file's limit of unanswered plus unread requests: EAGAIN after %u in all (limit %u)",
		  sent, max_in_flight);
	wait_sysfs_u64(dev_index, "unread", sent, 10);
	/* each read frees a slot */
	for (unsigned int i = 0; i < sent; i++) {
		struct resp r;
		uint8_t *q;

		wait_readable(fd);
		q = recv_resp(fd, &r, max_payload);
		free(q);
		if (i == 0) {
			p.revents = 0;
			tap_check(poll(&p, 1, 0) == 1 && (p.revents & POLLOUT),
				  "poll: POLLOUT again after one read");
		}
	}
	tap_check(sysfs_u64(dev_index, "in_flight") == 0, "in_flight back to 0");
	close(fd);
}

struct writer_arg {
	int fd;
	volatile pid_t tid;
	volatile int ret;
};

static void *blocked_writer(void *p)
{
	struct writer_arg *a = p;

	a->tid = gettid();
	a->ret = send_req(a->fd, 999, VIRTIO_SIMPLE_OP_ECHO, "w", 1);
	return NULL;
}

static void test_blocking_write_released(void)
{
	int fd = open_node(0);
	uint32_t delay = htole32(1000);
	struct writer_arg a = { .fd = fd, .ret = -2 };
	struct timespec ts;
	pthread_t t;
	struct resp r;
	int joined;

	for (unsigned int i = 0; i < max_in_flight; i++)
		send_req(fd, i, VIRTIO_SIMPLE_OP_DELAY, &delay, 4);
	pthread_create(&t, NULL, blocked_writer, &a);
	while (!a.tid)
		sched_yield();
	wait_for_syscall(a.tid, 1);	/* the writer sleeps in write() */
	tap_check(a.ret == -2, "a blocking write waits at the limit");
	free(recv_resp(fd, &r, max_payload));	/* frees one slot */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	joined = pthread_timedjoin_np(t, NULL, &ts);
	tap_check(joined == 0 && a.ret == 0, "the blocked write goes through once a slot frees");
	for (unsigned int i = 0; i < max_in_flight; i++)
		free(recv_resp(fd, &r, max_payload));
	close(fd);
}

/* A file that never reads its answers fills only its own limit. */
static void test_unread_file_does_not_block_others(void)
{
	int a = open_node(O_NONBLOCK), b = open_node(0);
	unsigned int sent = 0, before;
	struct resp r;
	void *p;

	/* until a round with nothing at the device adds nothing */
	do {
		before = sent;
		while (send_req(a, sent, VIRTIO_SIMPLE_OP_ECHO, "a", 1) == 0)
			sent++;
	} while (errno == EAGAIN && wait_sysfs_u64(dev_index, "in_flight", 0, 10) &&
		 sent > before);
	tap_check(errno == EAGAIN && sent == max_in_flight,
		  "a file that does not read stops at its own limit (%u)", sent);
	tap_check(send_req(b, 1, VIRTIO_SIMPLE_OP_ECHO, "b", 1) == 0,
		  "another file can still write");
	p = recv_resp(b, &r, max_payload);
	tap_check(p && r.id == 1 && r.len == 1 && *(char *)p == 'b',
		  "and gets its answer");
	free(p);
	close(a);
	close(b);
	tap_check(wait_sysfs_u64(dev_index, "in_flight", 0, 10),
		  "closing the unread file frees everything");
}

static void test_delay_order(void)
{
	int fd = open_node(0);
	/* wide gaps, so a slow emulated guest cannot reorder them */
	uint32_t d_long = htole32(1000000), d_short = htole32(500000);
	uint64_t order[3];
	struct resp r;

	send_req(fd, 1, VIRTIO_SIMPLE_OP_DELAY, &d_long, 4);
	send_req(fd, 2, VIRTIO_SIMPLE_OP_DELAY, &d_short, 4);
	send_req(fd, 3, VIRTIO_SIMPLE_OP_ECHO, "x", 1);
	for (int i = 0; i < 3; i++) {
		free(recv_resp(fd, &r, max_payload));
		order[i] = r.id;
	}
	tap_check(order[0] == 3 && order[1] == 2 && order[2] == 1,
		  "responses in completion order 3, 2, 1 (got %llu, %llu, %llu)",
		  (unsigned long long)order[0], (unsigned long long)order[1],
		  (unsigned long long)order[2]);
	close(fd);
}

/* Several processes, two files each: everyone reads only their own. */
static void test_routing(void)
{
	const int procs = 3, per_file = 20;
	int ok = 1;

	for (int p = 0; p < procs; p++) {
		if (fork() == 0) {
			int fds[2] = { open_node(0), open_node(0) };
			int good = 1;

			for (int i = 0; i < per_file; i++)
				for (int f = 0; f < 2; f++) {
					uint64_t id = ((uint64_t)getpid() << 32) | (f << 16) | i;

					if (send_req(fds[f], id, VIRTIO_SIMPLE_OP_ECHO, &id, 8))
						good = 0;
				}
			for (int f = 0; f < 2; f++)
				for (int i = 0; i < per_file; i++) {
					struct resp r;
					uint64_t *p = recv_resp(fds[f], &r, max_payload);

					if (!p || (r.id >> 32) != (uint64_t)getpid() ||
					    ((r.id >> 16) & 0xffff) != (uint64_t)f || *p != r.id)
						good = 0;
					free(p);
				}
			_exit(good ? 0 : 1);
		}
	}
	for (int p = 0; p < procs; p++) {
		int st;

		wait(&st);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			ok = 0;
	}
	tap_check(ok, "%d processes x 2 files x %d requests: each file read only its own",
		  procs, per_file);
}

static volatile sig_atomic_t got_signal;
static void on_signal(int sig)
{
	got_signal = sig;
}

static void test_signal(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	pid_t child;
	int st;

	sigaction(SIGUSR1, &sa, NULL);
	child = fork();
	if (child == 0) {
		int fd = open_node(0);
		uint32_t d = htole32(1000000);
		uint8_t buf[64];
		struct resp r;
		uint8_t *p;
		ssize_t n;

		send_req(fd, 42, VIRTIO_SIMPLE_OP_DELAY, &d, 4);
		n = read(fd, buf, sizeof(buf));
		if (n >= 0 || errno != EINTR || !got_signal)
			_exit(2);
		p = recv_resp(fd, &r, max_payload);	/* the answer is still there */
		_exit(p && r.id == 42 && r.status == 0 ? 0 : 3);
	}
	wait_for_syscall(child, 0);		/* the child sleeps in read() */
	kill(child, SIGUSR1);
	waitpid(child, &st, 0);
	tap_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "a blocked read interrupted by a signal gets EINTR, then its response (child status %d)",
		  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/*
 * Ctrl-Z and fg (SIGSTOP, SIGCONT) in the middle of an IOC_CALL, in a
 * program with no signal handler: the call completes, as read() and
 * write() do across a stop, instead of failing with EINTR.
 */
static void test_call_across_stop(void)
{
	pid_t child;
	int st;

	child = fork();
	if (child == 0) {
		int fd = open_node(0);
		uint32_t d = htole32(300000);
		struct virtio_simple_call c = {
			.op = VIRTIO_SIMPLE_OP_DELAY, .req_len = 4,
			.req_buf = (uintptr_t)&d,
		};
		int ret = ioctl(fd, VIRTIO_SIMPLE_IOC_CALL, &c);

		_exit(ret == 0 && c.status == VIRTIO_SIMPLE_S_OK ? 0 :
		      ret ? 10 + errno : 3);
	}
	wait_for_syscall(child, SYS_ioctl);	/* the child waits in the call */
	kill(child, SIGSTOP);
	waitpid(child, &st, WUNTRACED);
	kill(child, SIGCONT);
	waitpid(child, &st, 0);
	tap_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "an IOC_CALL across SIGSTOP/SIGCONT completes (child status %d; 10 + errno on failure)",
		  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void test_ioctl_call(void)
{
	int fd = open_node(0);
	uint8_t out[8];
	uint32_t crc;
	struct virtio_simple_call c = {
		.op = VIRTIO_SIMPLE_OP_CRC32C, .req_len = 9,
		.req_buf = (uintptr_t)"123456789",
		.resp_buf = (uintptr_t)&crc, .resp_cap = 4,
	};
	uint32_t d = htole32(300000);

	/* a stream request in flight does not disturb the call */
	send_req(fd, 5, VIRTIO_SIMPLE_OP_DELAY, &d, 4);
	int ret = ioctl(fd, VIRTIO_SIMPLE_IOC_CALL, &c);

	tap_check(ret == 0 && c.status == 0 && c.resp_len == 4 &&
		  le32toh(crc) == 0xe3069283,
		  "IOC_CALL CRC32C(\"123456789\") = e3069283 (got %08x)", le32toh(crc));
	c.op = VIRTIO_SIMPLE_OP_ECHO;
	c.req_buf = (uintptr_t)"0123456789";
	c.req_len = 10;
	c.resp_buf = (uintptr_t)out;
	c.resp_cap = sizeof(out);
	ret = ioctl(fd, VIRTIO_SIMPLE_IOC_CALL, &c);
	tap_check(ret < 0 && errno == EMSGSIZE && c.resp_len == 10,
		  "IOC_CALL with too small a response buffer: EMSGSIZE, resp_len 10");
	c.op = 77;
	c.resp_cap = sizeof(out);
	tap_check(ioctl(fd, VIRTIO_SIMPLE_IOC_CALL, &c) == 0 &&
		  c.status == VIRTIO_SIMPLE_S_ENOTSUP, "IOC_CALL unknown op: status ENOTSUP");
	{
		struct resp r;

		free(recv_resp(fd, &r, max_payload));
		tap_check(r.id == 5, "the stream response still arrives on read");
	}
	close(fd);
}

/* close() frees the answers queued for the file and drops those to come */
static void test_close_in_flight(void)
{
	uint64_t before = sysfs_u64(dev_index, "responses");
	uint32_t d = htole32(300000);
	int fd = open_node(0);

	for (int i = 0; i < 5; i++)
		send_req(fd, i, VIRTIO_SIMPLE_OP_ECHO, "queued", 6);
	for (int i = 5; i < 10; i++)
		send_req(fd, i, VIRTIO_SIMPLE_OP_DELAY, &d, 4);
	tap_check(wait_sysfs_u64(dev_index, "unread", 5, 10),
		  "5 answers queued unread, 5 DELAYs in flight");
	close(fd);
	tap_check(wait_sysfs_u64(dev_index, "responses", before + 10, 10) &&
		  wait_sysfs_u64(dev_index, "in_flight", 0, 10) &&
		  sysfs_u64(dev_index, "unread") == 0,
		  "close: the queued answers are freed, the late ones dropped (unread %llu, in_flight %llu)",
		  (unsigned long long)sysfs_u64(dev_index, "unread"),
		  (unsigned long long)sysfs_u64(dev_index, "in_flight"));
}

int main(int argc, char **argv)
{
	dev_index = argc > 1 ? atoi(argv[1]) : 0;
	snprintf(node, sizeof(node), "/dev/virtio-simple%d", dev_index);
	if (!tap_check(wait_for_path(node, 30), "%s appears within 30 s", node))
		return tap_done();
	test_node_and_info();
	test_roundtrip_sizes();
	test_write_errors();
	test_small_read();
	test_read_batch();
	test_nonblock_and_limit();
	test_blocking_write_released();
	test_unread_file_does_not_block_others();
	test_delay_order();
	test_routing();
	test_signal();
	test_call_across_stop();
	test_ioctl_call();
	test_close_in_flight();
	tap_check(sysfs_u64(dev_index, "bad_responses") == 0, "no bad responses counted");
	return tap_done();
}
