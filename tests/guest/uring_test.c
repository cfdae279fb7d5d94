// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test of the driver's io_uring passthrough (VIRTIO_SIMPLE_URING_CALL,
 * docs/driver.md), through liburing: answers come back byte for byte into
 * registered and plain buffers, many requests in one submission notify the
 * device once, requests past the file's share wait in the driver's backlog
 * instead of failing, every malformed command gets its errno in the CQE,
 * and a ring torn down with requests in flight does not hang.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
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
#define DEPTH 64
#define SLOT (VIRTIO_SIMPLE_HDR_SIZE + 65536 + 4096)	/* room, and an odd start */

static int fd;
static uint32_t max_payload;
static int in_place;		/* the device offers ANSWER_IN_PLACE */
static uint8_t *arena;		/* DEPTH slots, registered as one buffer */

/* One call on @ring: the request in @buf, answered in its place. */
static void prep_call(struct io_uring *ring, uint8_t *buf, uint32_t req_len,
		      uint32_t cap, int fixed, uint64_t user_data, uint32_t op)
{
	uring_prep_call(ring, fd, op, buf, req_len, cap, fixed, user_data);
}

/* A request image: header (id, ECHO, len) and a pattern of @id. */
static uint32_t fill_echo(uint8_t *buf, uint64_t id, uint32_t len)
{
	struct virtio_simple_hdr h = {
		.id = htole64(id), .op = htole16(VIRTIO_SIMPLE_OP_ECHO),
		.len = htole32(len),
	};

	memcpy(buf, &h, sizeof(h));
	for (uint32_t i = 0; i < len; i++)
		buf[sizeof(h) + i] = (uint8_t)(id * 7 + i * 13 + (i >> 8));
	return sizeof(h) + len;
}

/* A DELAY request image of @us microseconds; its size. */
static uint32_t fill_delay(uint8_t *buf, uint64_t id, uint32_t us)
{
	struct virtio_simple_hdr h = {
		.id = htole64(id), .op = htole16(VIRTIO_SIMPLE_OP_DELAY),
		.len = htole32(4),
	};
	uint32_t le = htole32(us);

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &le, 4);
	return sizeof(h) + 4;
}

/* Whether @buf holds fill_echo(@id, @len)'s answer: header and payload. */
static int echo_back(const uint8_t *buf, uint64_t id, uint32_t len)
{
	struct virtio_simple_hdr h;

	memcpy(&h, buf, sizeof(h));
	if (le64toh(h.id) != id || le16toh(h.status) != VIRTIO_SIMPLE_S_OK ||
	    le32toh(h.len) != len) {
		printf("# answer %llu: id %llu status %u len %u\n",
		       (unsigned long long)id, (unsigned long long)le64toh(h.id),
		       le16toh(h.status), le32toh(h.len));
		return 0;
	}
	for (uint32_t i = 0; i < len; i++)
		if (buf[sizeof(h) + i] != (uint8_t)(id * 7 + i * 13 + (i >> 8))) {
			printf("# answer %llu: byte %u differs\n",
			       (unsigned long long)id, i);
			return 0;
		}
	return 1;
}

/* Reap @n CQEs into res[user_data]; false after 30 s without one. */
static int reap(struct io_uring *ring, unsigned int n, int *res)
{
	struct __kernel_timespec ts = { .tv_sec = 30 };
	struct io_uring_cqe *cqe;

	while (n--) {
		if (io_uring_wait_cqe_timeout(ring, &cqe, &ts)) {
			printf("# no completion within 30 s\n");
			return 0;
		}
		if (cqe->user_data < DEPTH)
			res[cqe->user_data] = cqe->res;
		io_uring_cqe_seen(ring, cqe);
	}
	return 1;
}

/* The sizes round trips use: empty, small, around a page, the most. */
static uint32_t size_of(unsigned int i)
{
	static const uint32_t sizes[] = { 0, 1, 64, 4079, 4080, 4096, 5000, 65536 };

	return sizes[i % 8] > max_payload ? max_payload : sizes[i % 8];
}

/* DEPTH ECHOs in one submission; each answer checked where it landed. */
static void round_trips(struct io_uring *ring, int fixed, const char *what)
{
	uint64_t before = sysfs_u64(0, "sent_in_place");
	uint64_t answered = sysfs_u64(0, "answered_in_place");
	int res[DEPTH], good = 0, sized = 0;

	for (unsigned int i = 0; i < DEPTH; i++) {
		uint8_t *buf = arena + i * SLOT + (i & 1) * 100;
		uint32_t n = fill_echo(buf, 1000 + i, size_of(i));

		prep_call(ring, buf, n, SLOT - 100, fixed, i, VIRTIO_SIMPLE_URING_CALL);
		res[i] = -1;
	}
	tap_check(io_uring_submit(ring) == DEPTH, "%s: %d calls in one submission",
		  what, DEPTH);
	if (!tap_check(reap(ring, DEPTH, res), "%s: every call completes", what))
		return;
	for (unsigned int i = 0; i < DEPTH; i++) {
		uint8_t *buf = arena + i * SLOT + (i & 1) * 100;

		sized += res[i] == (int)(VIRTIO_SIMPLE_HDR_SIZE + size_of(i));
		good += echo_back(buf, 1000 + i, size_of(i));
	}
	tap_check(sized == DEPTH, "%s: each CQE's res is 16 + the answer's len (%d of %d)",
		  what, sized, DEPTH);
	tap_check(good == DEPTH, "%s: each answer is its request's, byte for byte "
		  "(0 B to 64 KiB, page-aligned and not) (%d of %d)", what, good, DEPTH);
	/* the requests over nothing: 0-byte payloads have no pages to lend */
	if (fixed)
		tap_check(sysfs_u64(0, "sent_in_place") - before == DEPTH - DEPTH / 8,
			  "registered: the %d requests with a payload went from its pages "
			  "(sent_in_place +%llu)", DEPTH - DEPTH / 8,
			  (unsigned long long)(sysfs_u64(0, "sent_in_place") - before));
	else
		tap_check(sysfs_u64(0, "sent_in_place") == before,
			  "plain buffers: copied, none sent in place");
	answered = sysfs_u64(0, "answered_in_place") - answered;
	if (fixed && in_place)
		tap_check(answered == DEPTH, "registered, room for max_payload: the "
			  "device wrote all %d answers in place (answered_in_place +%llu)",
			  DEPTH, (unsigned long long)answered);
	else
		tap_check(!answered, "%s: no answer written in place (+%llu)",
			  fixed ? "ANSWER_IN_PLACE not offered" : "plain buffers",
			  (unsigned long long)answered);
}

/*
 * Room for the answer but less than max_payload: the answer comes on
 * responseq, so a short buffer still learns the size it needed.
 */
static void not_in_place_when_short(struct io_uring *ring)
{
	uint64_t answered = sysfs_u64(0, "answered_in_place");
	uint32_t n = fill_echo(arena, 11, 1000);
	int res[DEPTH] = { 0 };

	prep_call(ring, arena, n, VIRTIO_SIMPLE_HDR_SIZE + 2000, 1, 0,
		  VIRTIO_SIMPLE_URING_CALL);
	io_uring_submit(ring);
	tap_check(reap(ring, 1, res) && res[0] == (int)n && echo_back(arena, 11, 1000) &&
		  sysfs_u64(0, "answered_in_place") == answered,
		  "registered, room for less than max_payload: answered through "
		  "responseq, byte for byte");
}

/* One call, alone: its CQE's res (1 when none came). */
static int one_call(struct io_uring *ring, uint32_t op, uint32_t req_len,
		    uint32_t cap, uint8_t *buf, int fixed)
{
	int res[DEPTH] = { 0 };

	prep_call(ring, buf, req_len, cap, fixed, 0, op);
	io_uring_submit(ring);
	if (!reap(ring, 1, res))
		return 1;	/* no errno is 1: the check fails */
	return res[0];
}

static void bad_commands(struct io_uring *ring)
{
	uint8_t *buf = arena;
	uint32_t n = fill_echo(buf, 7, 100);
	struct virtio_simple_hdr h;

	tap_check(one_call(ring, 0x1234, n, SLOT, buf, 1) == -ENOTTY,
		  "an unknown cmd_op: ENOTTY");
	tap_check(one_call(ring, VIRTIO_SIMPLE_URING_CALL, 15, SLOT, buf, 1) == -EINVAL,
		  "a request shorter than a header: EINVAL");
	tap_check(one_call(ring, VIRTIO_SIMPLE_URING_CALL, n, 15, buf, 1) == -EINVAL,
		  "room for less than a header: EINVAL");
	tap_check(one_call(ring, VIRTIO_SIMPLE_URING_CALL, n - 1, SLOT, buf, 1) == -EINVAL,
		  "req_len disagreeing with the header's len: EINVAL");
	tap_check(one_call(ring, VIRTIO_SIMPLE_URING_CALL,
			   VIRTIO_SIMPLE_HDR_SIZE + max_payload + 1, SLOT, buf, 1) == -EMSGSIZE,
		  "a payload over max_payload: EMSGSIZE");
	tap_check(one_call(ring, VIRTIO_SIMPLE_URING_CALL, n, SLOT,
			   arena + DEPTH * SLOT, 1) == -EFAULT,
		  "registered: an address past the registered buffer: EFAULT");
	tap_check(one_call(ring, VIRTIO_SIMPLE_URING_CALL, n, SLOT,
			   (uint8_t *)16, 0) == -EFAULT,
		  "plain: an unmapped address: EFAULT");
	fill_echo(buf, 8, 100);
	tap_check(one_call(ring, VIRTIO_SIMPLE_URING_CALL, n, 50, buf, 1) == -EMSGSIZE,
		  "an answer bigger than cap: EMSGSIZE ...");
	memcpy(&h, buf, sizeof(h));
	tap_check(le64toh(h.id) == 8 && le32toh(h.len) == 100,
		  "... with its header written: id 8, len 100 (the room it needs)");
	n = fill_echo(buf, 9, 3000);
	tap_check(one_call(ring, VIRTIO_SIMPLE_URING_CALL, n, SLOT, buf, 1) ==
		  (int)n && echo_back(buf, 9, 3000),
		  "and the file still answers the next call");
}

/*
 * Notifications of the requestq: a kprobe on the virtio-pci notify.  The
 * device's answers make the driver post response buffers again, which
 * notifies the responseq: a few of those are expected too.
 */
static int count_notifies(struct io_uring *ring, int batched)
{
	int res[DEPTH], all = 0, n;

	if (!write_file(TRACE "kprobe_events", "p:vsimple_notify vp_notify") ||
	    !trace_event_on("kprobes/vsimple_notify", "0"))
		return -1;
	for (unsigned int i = 0; i < 32; i++) {
		prep_call(ring, arena + i * SLOT, fill_echo(arena + i * SLOT, i, 64),
			  SLOT, 1, i, VIRTIO_SIMPLE_URING_CALL);
		/* the control: one SQE per io_uring_enter(), never plugged */
		if (!batched)
			io_uring_submit(ring);
	}
	if (batched)
		io_uring_submit(ring);
	n = reap(ring, 32, res);
	trace_event_off("kprobes/vsimple_notify", "vsimple_notify", &all);
	return n ? all : -1;
}

static void notifications(struct io_uring *ring)
{
	int one_by_one, batched;

	one_by_one = count_notifies(ring, 0);
	batched = count_notifies(ring, 1);
	if (one_by_one < 0 || batched < 0) {
		tap_skip("32 calls in one submission notify the device about once",
			 "no kprobes on this kernel");
		return;
	}
	printf("# notifications for 32 calls: %d submitted one by one, %d in one submission\n",
	       one_by_one, batched);
	tap_check(batched <= 4, "32 calls in one submission: %d notifications "
		  "(at most 4: one requestq kick and response refills)", batched);
}

/* Threads of this process whose name starts with @prefix. */
static int count_threads(const char *prefix)
{
	struct dirent *e;
	char path[300], comm[32];
	DIR *d = opendir("/proc/self/task");
	int n = 0;

	while (d && (e = readdir(d))) {
		FILE *fp;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		fp = fopen(path, "r");
		if (fp && fgets(comm, sizeof(comm), fp) &&
		    !strncmp(comm, prefix, strlen(prefix)))
			n++;
		if (fp)
			fclose(fp);
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * More calls than the file may have at the device: those past its share
 * wait in the driver's backlog and go as answers free slots, without an
 * io_uring worker thread; none fails.
 */
static void past_the_share(struct io_uring *ring)
{
	struct virtio_simple_info info;
	uint64_t backlogged = sysfs_u64(0, "backlogged");
	int res[DEPTH], good = 0, workers;

	ioctl(fd, VIRTIO_SIMPLE_IOC_INFO, &info);
	for (unsigned int i = 0; i < DEPTH; i++) {
		uint8_t *p = arena + i * SLOT;

		prep_call(ring, p, fill_delay(p, i, 20000), SLOT, i & 1, i,
			  VIRTIO_SIMPLE_URING_CALL);
		res[i] = -1;
	}
	io_uring_submit(ring);
	if (!tap_check(reap(ring, DEPTH, res), "%d DELAYs of 20 ms (file share %u): "
		       "all complete", DEPTH, file_share(info.max_in_flight)))
		return;
	for (unsigned int i = 0; i < DEPTH; i++)
		good += res[i] == VIRTIO_SIMPLE_HDR_SIZE;
	tap_check(good == DEPTH, "and every one succeeded (%d of %d)", good, DEPTH);
	backlogged = sysfs_u64(0, "backlogged") - backlogged;
	tap_check(backlogged >= 1 && backlogged <= DEPTH - file_share(info.max_in_flight),
		  "those past the share waited in the driver's backlog (backlogged +%llu)",
		  (unsigned long long)backlogged);
	/* io-wq's workers live on for seconds once idle: none was made */
	workers = count_threads("iou-wrk-");
	tap_check(workers == 0, "no io_uring worker thread was needed (%d)", workers);
}

/*
 * A file at its own limit (64 answers written and unread): an io_uring
 * call on it does not wait in the backlog, where only a read() could free
 * it while io_uring holds the file, but in a worker io_uring can cancel:
 * the ring's teardown returns.
 */
static void own_limit_then_exit(void)
{
	uint64_t backlogged = sysfs_u64(0, "backlogged");
	int f = open(NODE, O_RDWR), sent = 0;
	struct io_uring ring;
	double t;

	for (unsigned int i = 0; f >= 0 && i < DEPTH; i++)
		sent += send_req(f, i, VIRTIO_SIMPLE_OP_ECHO, "x", 1) == 0;
	io_uring_queue_init(4, &ring, 0);
	uring_prep_call(&ring, f, VIRTIO_SIMPLE_URING_CALL, arena,
			fill_echo(arena, 500, 8), SLOT, 0, 0);
	io_uring_submit(&ring);
	t = mono_s();
	io_uring_queue_exit(&ring);
	tap_check(sent == DEPTH && mono_s() - t < 10 &&
		  sysfs_u64(0, "backlogged") == backlogged,
		  "a call on a file with %d unread answers waits outside the backlog, "
		  "and its ring's teardown returns (%.2f s)", sent, mono_s() - t);
	close(f);
}

/* Requests in flight when the file and the ring go: no hang, no leak. */
static void teardown_in_flight(void)
{
	struct io_uring ring;
	uint64_t unread;
	int settled;
	double t;

	io_uring_queue_init(DEPTH, &ring, 0);
	for (unsigned int i = 0; i < 16; i++) {
		uint8_t *p = arena + i * SLOT;

		prep_call(&ring, p, fill_delay(p, i, 200000), SLOT, 0, i,
			  VIRTIO_SIMPLE_URING_CALL);
	}
	io_uring_submit(&ring);
	t = mono_s();
	close(fd);
	io_uring_queue_exit(&ring);
	tap_check(mono_s() - t < 10, "closing the file and the ring with 16 calls in "
		  "flight returns (%.2f s)", mono_s() - t);
	settled = wait_sysfs_u64(0, "in_flight", 0, 10);
	unread = sysfs_u64(0, "unread");
	tap_check(settled && unread == 0,
		  "then nothing stays in flight or unread (unread %llu)",
		  (unsigned long long)unread);
	fd = open(NODE, O_RDWR);
	tap_check(fd >= 0 && echo_ok(fd, 1, "after"), "a new file works");
}

int main(void)
{
	struct virtio_simple_info info;
	struct io_uring ring;
	struct iovec iov;
	int err;

	wait_for_path(NODE, 30);
	fd = open(NODE, O_RDWR);
	if (!tap_check(fd >= 0, "open " NODE) ||
	    ioctl(fd, VIRTIO_SIMPLE_IOC_INFO, &info))
		return tap_done();
	max_payload = info.max_payload;
	in_place = !!(info.features & (1ull << VIRTIO_SIMPLE_F_ANSWER_IN_PLACE));
	printf("# ANSWER_IN_PLACE %s\n", in_place ? "negotiated" : "not offered");
	arena = mmap(NULL, (size_t)DEPTH * SLOT, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	err = io_uring_queue_init(DEPTH, &ring, 0);
	if (!tap_check(arena != MAP_FAILED && !err, "an io_uring of %d entries (%s)",
		       DEPTH, strerror(-err)))
		return tap_done();
	iov.iov_base = arena;
	iov.iov_len = (size_t)DEPTH * SLOT;
	err = io_uring_register_buffers(&ring, &iov, 1);
	tap_check(!err, "a %zu KiB buffer registered (%s)", iov.iov_len >> 10,
		  strerror(-err));

	round_trips(&ring, 1, "registered");
	round_trips(&ring, 0, "plain buffers");
	not_in_place_when_short(&ring);
	bad_commands(&ring);
	notifications(&ring);
	past_the_share(&ring);
	own_limit_then_exit();
	io_uring_queue_exit(&ring);
	teardown_in_flight();
	return tap_done();
}
