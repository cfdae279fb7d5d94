// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test of the data path's bounds (docs/driver.md, "Memory held for
 * user space"): an unread answer, small or big, pins about its own size; 64 files
 * full of unread answers pin little and another file is still served; a
 * file's unread bytes are capped (the suite runs with max-payload=262144,
 * so the cap shows after a few answers); one file cannot take every slot at the
 * device; a refill allocates once per buffer that left, and one that fails
 * is retried until service resumes; several
 * requests go in one write(); busy polling takes answers without their
 * interrupt.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <virtio_simple.h>
#include "../lib/tap.h"
#include "guest_util.h"

#define NODE "/dev/virtio-simple0"
#define PARAM "/sys/module/virtio_simple/parameters/"
#define HDR sizeof(struct virtio_simple_hdr)
#define FILES 64

static uint32_t max_in_flight;

static uint64_t mem_available_kib(void)
{
	unsigned long long kib = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* Fill @fd with unread 1-byte answers until its writes would block. */
static unsigned int fill_unread(int fd)
{
	unsigned int sent = 0;

	for (int round = 0; round < 100; round++) {
		while (send_req(fd, sent, VIRTIO_SIMPLE_OP_ECHO, "x", 1) == 0)
			sent++;
		if (errno != EAGAIN || sent >= max_in_flight)
			break;
		/* the file's limit is then its unread answers alone */
		wait_sysfs_u64(0, "in_flight", 0, 10);
	}
	return sent;
}

static void test_small_answers_pin_little(void)
{
	int fd[FILES], other, n = 0;
	uint64_t avail0 = mem_available_kib(), bytes, unread;
	long drop_kib;

	for (int i = 0; i < FILES; i++) {
		fd[i] = open(NODE, O_RDWR | O_NONBLOCK);
		if (fd[i] >= 0 && fill_unread(fd[i]) == max_in_flight)
			n++;
	}
	wait_sysfs_u64(0, "unread", (uint64_t)FILES * max_in_flight, 30);
	unread = sysfs_u64(0, "unread");
	bytes = sysfs_u64(0, "unread_bytes");
	drop_kib = (long)avail0 - (long)mem_available_kib();
	tap_check(n == FILES && unread == (uint64_t)FILES * max_in_flight,
		  "%d files each hold %u unread 1-byte answers (%llu in all)", n,
		  max_in_flight, (unsigned long long)unread);
	tap_check(unread && bytes / unread <= 4096,
		  "an unread 1-byte answer pins %llu bytes (at most 4096)",
		  (unsigned long long)(unread ? bytes / unread : 0));
	tap_check(bytes <= 32ull << 20 && drop_kib < 32 * 1024,
		  "all of them pin %llu KiB by the driver's count, MemAvailable fell %ld KiB (at most 32 MiB)",
		  (unsigned long long)bytes >> 10, drop_kib);
	other = open(NODE, O_RDWR);
	tap_check(echo_ok(other, 1, "served"), "another file is still served");
	close(other);
	for (int i = 0; i < FILES; i++)
		close(fd[i]);
	tap_check(wait_sysfs_u64(0, "unread", 0, 10) && sysfs_u64(0, "unread_bytes") == 0,
		  "closing them frees every byte (unread_bytes back to 0)");
}

/*
 * An answer bigger than a page keeps only the page-sized chunks it filled:
 * 5000 bytes pin two pages and the bookkeeping (its chunk table has room
 * for a whole buffer's: 1 KiB at this max-payload), not a response buffer.
 */
static void test_big_answer_pins_its_size(void)
{
	uint8_t msg[5000];
	int fd = open(NODE, O_RDWR);
	uint64_t bytes = 0;
	struct resp r;
	uint8_t *q;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	send_req(fd, 1, VIRTIO_SIMPLE_OP_ECHO, msg, sizeof(msg));
	if (wait_sysfs_u64(0, "unread", 1, 10))
		bytes = sysfs_u64(0, "unread_bytes");
	tap_check(bytes && bytes <= 2 * 4096 + 2048,
		  "an unread 5000-byte answer pins %llu bytes (at most two pages + 2 KiB of bookkeeping)",
		  (unsigned long long)bytes);
	q = recv_resp(fd, &r, sizeof(msg));
	tap_check(q && r.len == sizeof(msg) && !memcmp(q, msg, sizeof(msg)),
		  "and reads back intact from its pages");
	free(q);
	close(fd);
}

/*
 * Big answers: a file's unread answers plus the worst case of what it has
 * at the device stay within 8 MiB, so it stops long before 64 answers.
 */
static void test_file_byte_limit(uint32_t max_payload)
{
	uint8_t *big = calloc(1, max_payload);
	int fd = open(NODE, O_RDWR | O_NONBLOCK);
	unsigned int sent = 0, before;
	uint64_t bytes, most = 0;

	do {
		before = sent;
		while (send_req(fd, sent, VIRTIO_SIMPLE_OP_ECHO, big, max_payload) == 0)
			sent++;
		if (errno != EAGAIN || !wait_sysfs_u64(0, "in_flight", 0, 10))
			break;
		bytes = sysfs_u64(0, "unread_bytes");
		most = bytes > most ? bytes : most;
	} while (sent > before);	/* nothing at the device, still refused: the limit */
	tap_check(errno == EAGAIN && sent > 0 && sent < max_in_flight && most <= 8u << 20,
		  "unread %u-byte answers: the file's writes stop at %u answers, %llu KiB pinned (limit 8192 KiB)",
		  max_payload, sent, (unsigned long long)most >> 10);
	close(fd);
	free(big);
	wait_sysfs_u64(0, "unread", 0, 10);
}

/* A cgroup of our own, to see what is charged to us; "" if none. */
static const char *join_cgroup(void)
{
	static const char *dir = "/sys/fs/cgroup/vsimple-test";
	char pid[32];

	mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	mkdir(dir, 0755);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file("/sys/fs/cgroup/vsimple-test/cgroup.procs", pid) < 0 ||
	    access("/sys/fs/cgroup/vsimple-test/memory.current", R_OK))
		return "";
	return dir;
}

static uint64_t read_u64(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "r");

	if (f && fscanf(f, "%llu", &v) != 1)
		v = 0;
	if (f)
		fclose(f);
	return v;
}

static uint64_t cgroup_memory(void)
{
	return read_u64("/sys/fs/cgroup/vsimple-test/memory.current");
}

/*
 * Send @big ECHOs on non-blocking @fd until the file's own limits stop it
 * (not the device's slots, which free as answers come); returns how many.
 */
static unsigned int fill_big(int fd, const uint8_t *big, uint32_t max_payload)
{
	unsigned int sent = 0, before;

	do {
		before = sent;
		while (send_req(fd, sent, VIRTIO_SIMPLE_OP_ECHO, big, max_payload) == 0)
			sent++;
	} while (errno == EAGAIN && wait_sysfs_u64(0, "in_flight", 0, 10) &&
		 sent > before);
	return sent;
}

/*
 * Files full of big unread answers: at most 32 MiB of them stay in the
 * ring's uncharged pages per device; the rest is copied into pages
 * charged to the opener, so its cgroup limit bounds what many files pin.
 */
static void test_uncharged_cap(uint32_t max_payload)
{
	enum { NF = 6 };
	uint8_t *big = calloc(1, max_payload);
	int fd[NF], intact = 1;
	const char *cg = join_cgroup();
	uint64_t mem0 = cgroup_memory(), unread, uncharged, mem;
	unsigned int sent[NF] = { 0 }, got = 0;
	struct resp r;

	uint64_t copies0 = sysfs_u64(0, "charged_copies");
	int traced, hardirq, all;

	for (uint32_t i = 0; i < max_payload; i++)
		big[i] = (uint8_t)(i * 13 + 5);
	/* accounted page allocations, and which of them ran in hard IRQ */
	traced = trace_event_on("kmem/mm_page_alloc", "gfp_flags & 0x400000");
	for (int k = 0; k < NF; k++) {
		fd[k] = open(NODE, O_RDWR | O_NONBLOCK);
		/* to this file's 8 MiB, as in test_file_byte_limit() */
		sent[k] = fill_big(fd[k], big, max_payload);
	}
	/* the copies past the pool are the charge work's: wait for it */
	tap_check(wait_sysfs_u64(0, "charging", 0, 30) &&
		  sysfs_u64(0, "charged_copies") > copies0,
		  "the answers past the pool are copied by the charge work (%llu copies)",
		  (unsigned long long)(sysfs_u64(0, "charged_copies") - copies0));
	if (traced) {
		/* the irq-flags column of an event in hard IRQ reads "d.h" */
		hardirq = trace_event_off("kmem/mm_page_alloc", " d.h", &all);
		tap_check(all > 0 && hardirq == 0,
			  "none of them allocated in hard IRQ (%d of %d accounted page allocations)",
			  hardirq, all);
	} else {
		tap_skip("none of them allocated in hard IRQ", "no kmem:mm_page_alloc trace event");
	}
	unread = sysfs_u64(0, "unread_bytes");
	uncharged = sysfs_u64(0, "uncharged_bytes");
	mem = cgroup_memory();
	tap_check(unread > (40ull << 20) && uncharged <= (32ull << 20),
		  "%d files of unread %u-byte answers pin %llu KiB; of those %llu KiB uncharged (at most 32768 KiB)",
		  NF, max_payload, (unsigned long long)unread >> 10,
		  (unsigned long long)uncharged >> 10);
	if (*cg)
		tap_check(mem - mem0 >= (unread - uncharged) / 10 * 9,
			  "the rest is charged to the opener's cgroup (memory.current +%llu KiB for %llu KiB)",
			  (unsigned long long)(mem - mem0) >> 10,
			  (unsigned long long)(unread - uncharged) >> 10);
	else
		tap_skip("the rest is charged to the opener's cgroup", "no cgroup2 memory controller here");
	for (int k = 0; k < NF; k++) {
		for (unsigned int i = 0; i < sent[k]; i++) {
			uint8_t *q = recv_resp(fd[k], &r, max_payload);

			intact &= q && r.len == max_payload && !memcmp(q, big, max_payload);
			got += q != NULL;
			free(q);
		}
		close(fd[k]);
	}
	tap_check(intact && got > 0, "all %u answers read back intact, charged or not", got);
	tap_check(wait_sysfs_u64(0, "uncharged_bytes", 0, 10),
		  "and once read, uncharged_bytes is back to 0");
	/* IOC_CALL's big answers are in the pool while copied, then out */
	{
		int fd1 = open(NODE, O_RDWR), good = 0;
		uint8_t *back = malloc(max_payload);
		struct virtio_simple_call c;

		for (int i = 0; i < 8; i++) {
			c = (struct virtio_simple_call){
				.op = VIRTIO_SIMPLE_OP_ECHO, .req_len = max_payload,
				.req_buf = (uintptr_t)big, .resp_buf = (uintptr_t)back,
				.resp_cap = max_payload,
			};
			good += ioctl(fd1, VIRTIO_SIMPLE_IOC_CALL, &c) == 0 &&
				c.resp_len == max_payload && !memcmp(back, big, max_payload);
		}
		tap_check(good == 8 && sysfs_u64(0, "uncharged_bytes") == 0,
			  "8 IOC_CALLs of %u bytes answered intact (%d), uncharged_bytes back to 0 (%llu)",
			  max_payload, good, (unsigned long long)sysfs_u64(0, "uncharged_bytes"));
		free(back);
		close(fd1);
	}
	free(big);
}

/*
 * Files opened in a cgroup whose memory.max is 2 MiB, filled with big
 * unread answers past the 32 MiB uncharged pool: the charged copies must
 * stop at the limit (memory.current never above memory.max) and the
 * answers that do not fit fail with ENOMEM, each to its reader, none lost.
 * An atomic allocation (__GFP_HIGH) would be force-charged past the limit.
 */
static void test_cgroup_limit(uint32_t max_payload)
{
	enum { NF = 6 };
	static const char *lim = "/sys/fs/cgroup/vsimple-limit";
	uint8_t *big = calloc(1, max_payload);
	unsigned int sent[NF] = { 0 }, ok = 0, enomem = 0, other = 0;
	uint64_t peak = 0, cur;
	char pid[32], path[128];
	int fd[NF];
	struct resp r;

	if (!*join_cgroup()) {
		tap_skip("answers past a cgroup's memory.max fail with ENOMEM", "no cgroup2 memory controller here");
		free(big);
		return;
	}
	mkdir(lim, 0755);
	snprintf(path, sizeof(path), "%s/memory.max", lim);
	write_file(path, "2097152");
	snprintf(pid, sizeof(pid), "%d", getpid());
	snprintf(path, sizeof(path), "%s/cgroup.procs", lim);
	write_file(path, pid);			/* the opener's cgroup ... */
	for (int k = 0; k < NF; k++)
		fd[k] = open(NODE, O_RDWR | O_NONBLOCK);
	write_file("/sys/fs/cgroup/vsimple-test/cgroup.procs", pid); /* ... not the writer's */
	snprintf(path, sizeof(path), "%s/memory.current", lim);
	for (int k = 0; k < NF; k++) {
		sent[k] = fill_big(fd[k], big, max_payload);
		cur = read_u64(path);
		peak = cur > peak ? cur : peak;
	}
	/* the charge work copies (or fails) what is past the pool */
	wait_sysfs_u64(0, "charging", 0, 60);
	cur = read_u64(path);
	peak = cur > peak ? cur : peak;
	for (int k = 0; k < NF; k++) {
		for (unsigned int i = 0; i < sent[k]; i++) {
			uint8_t *q = recv_resp(fd[k], &r, max_payload);

			if (q && r.len == max_payload)
				ok++;
			else if (!q && errno == ENOMEM)
				enomem++;
			else
				other++;
			free(q);
		}
		close(fd[k]);
	}
	tap_check(peak <= 2097152 && enomem > 0 && other == 0,
		  "opener's memory.max 2 MiB: charged at most %llu KiB; %u answers read, %u failed with ENOMEM, %u otherwise",
		  (unsigned long long)peak >> 10, ok, enomem, other);
	rmdir(lim);
	free(big);
}

/* What @n opens of @path add to the test cgroup's memory.current. */
static int64_t opens_charge(const char *path, int *fds, int n)
{
	uint64_t before = cgroup_memory(), after;
	int k;

	for (k = 0; k < n; k++)
		fds[k] = open(path, O_RDWR);
	after = cgroup_memory();
	for (k = 0; k < n; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	return (int64_t)(after - before);
}

/*
 * The driver's per-open state is charged to the opener, as the struct file
 * is: opens of the node cost its cgroup more than as many of /dev/null.
 */
static void test_file_charged(void)
{
	enum { N = 32000 };
	struct rlimit rl = { N + 64, N + 64 };
	static int fds[N];
	int64_t null, node;

	if (!*join_cgroup() || setrlimit(RLIMIT_NOFILE, &rl)) {
		tap_skip("an open file's driver state is charged to the opener",
			 "no cgroup2 memory controller here");
		return;
	}
	/* ABBA: whichever runs second reuses slab pages the first freed */
	null = opens_charge("/dev/null", fds, N);
	node = opens_charge(NODE, fds, N);
	node += opens_charge(NODE, fds, N);
	null += opens_charge("/dev/null", fds, N);
	tap_check(node - null >= 2 * N * 64,
		  "an open file's driver state is charged to the opener: twice %d opens of the node %lld KiB, of /dev/null %lld KiB",
		  N, (long long)node >> 10, (long long)null >> 10);
}

/* 1 s DELAYs on one file leave slots for an ECHO on another. */
static void test_fairness(void)
{
	int a = open(NODE, O_RDWR | O_NONBLOCK), b = open(NODE, O_RDWR);
	struct pollfd p = { .fd = a, .events = POLLIN };
	unsigned int sent = fill_delays(a);
	int ok;

	ok = echo_ok(b, 1, "not behind them");
	tap_check(ok && sent < max_in_flight && poll(&p, 1, 0) == 0,
		  "one file holds %u of %u slots with 1 s DELAYs; another file's ECHO is answered before any of them",
		  sent, max_in_flight);
	close(a);
	close(b);
	wait_sysfs_u64(0, "in_flight", 0, 10);
}

/*
 * The share is the user's too: files of one user filled with 1 s DELAYs
 * still leave slots to another user, whose ECHO is answered before any of
 * them.  (A file after the first gets what its user has left.)
 */
static void test_user_fairness(void)
{
	enum { NF = 4 };	/* a file's unread limits alone stop it near 31 */
	struct pollfd p[NF];
	unsigned int n[NF], total = 0;
	int ok;

	for (int k = 0; k < NF; k++) {
		p[k] = (struct pollfd){ .fd = open(NODE, O_RDWR | O_NONBLOCK), .events = POLLIN };
		n[k] = fill_delays(p[k].fd);
		total += n[k];
	}
	ok = other_user_echo(NODE);
	tap_check(ok && total < max_in_flight && poll(p, NF, 0) == 0,
		  "%d files of one user hold %u (%u + %u + %u + %u) of %u slots with 1 s DELAYs; another user's ECHO is answered before any of them",
		  NF, total, n[0], n[1], n[2], n[3], max_in_flight);
	for (int k = 0; k < NF; k++)
		close(p[k].fd);
	wait_sysfs_u64(0, "in_flight", 0, 10);
}

/*
 * IOC_CALL threads on one file: a 1 s DELAY each, the file's share.  They
 * start together (a barrier), so no call is sent long after the first even
 * where starting threads is slow (the debug kernel).
 */
static int call_fd;
static volatile int calls_done;
static pthread_barrier_t calls_start;

static void *delay_call(void *arg)
{
	uint32_t d = htole32(1000000);
	uint8_t out[16];
	struct virtio_simple_call c = {
		.op = VIRTIO_SIMPLE_OP_DELAY,
		.req_buf = (uintptr_t)&d, .req_len = sizeof(d),
		.resp_buf = (uintptr_t)out, .resp_cap = sizeof(out),
	};

	(void)arg;
	pthread_barrier_wait(&calls_start);
	ioctl(call_fd, VIRTIO_SIMPLE_IOC_CALL, &c);
	__atomic_add_fetch(&calls_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Synchronous calls count against their file's share too. */
static void test_call_fairness(void)
{
	pthread_t t[64];
	unsigned int n = max_in_flight < 64 ? max_in_flight : 64;
	unsigned int share = file_share(max_in_flight), i;
	int b = open(NODE, O_RDWR), ok, held, done;

	call_fd = open(NODE, O_RDWR);
	calls_done = 0;
	pthread_barrier_init(&calls_start, NULL, n);
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, delay_call, NULL);
	held = wait_sysfs_u64(0, "in_flight", share, 10);
	ok = echo_ok(b, 1, "not behind the calls");
	done = __atomic_load_n(&calls_done, __ATOMIC_SEQ_CST);
	tap_check(held && ok && done == 0,
		  "%u IOC_CALL threads of 1 s DELAYs on one file hold %u of %u slots; another file's ECHO is answered before any of them (%d done)",
		  n, share, n, done);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&calls_start);
	close(call_fd);
	close(b);
}

/*
 * A big answer leaves with its ring buffer; the refill replaces it with
 * one allocation, not one more that it then frees (issue: the refill
 * allocated before checking that a buffer was missing).  Run first, while
 * no refill is due from another test.
 */
static void test_refill_allocates_once(uint32_t max_payload)
{
	uint8_t *big = calloc(1, max_payload);
	int fd = open(NODE, O_RDWR);
	uint64_t a0 = sysfs_u64(0, "refill_allocations"), got;
	const int n = 16;
	int done = 0, i;
	struct resp r;
	void *q;

	for (i = 0; i < n; i++) {
		if (send_req(fd, i, VIRTIO_SIMPLE_OP_ECHO, big, max_payload))
			break;
		q = recv_resp(fd, &r, max_payload);
		done += q && r.status == VIRTIO_SIMPLE_S_OK;
		free(q);
	}
	wait_sysfs_at_least(0, "refill_allocations", a0 + n, 10);
	got = sysfs_u64(0, "refill_allocations") - a0;
	tap_check(done == n && got == (uint64_t)n,
		  "%d big answers took their buffers: the refill allocated %llu (one each)",
		  done, (unsigned long long)got);
	close(fd);
	free(big);
}

/*
 * The ring left without buffers by failing refills: service resumes.  Big
 * answers take their ring buffer's chunks with them, so round trips run
 * the ring dry (16 posted at this max-payload, fewer if a refill was still
 * due); the next answer waits.
 */
static void test_refill_recovers(uint32_t max_payload)
{
	uint8_t *big = calloc(1, max_payload);
	int fd = open(NODE, O_RDWR);
	uint64_t f0 = sysfs_u64(0, "refill_failures");
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int got = 0, ok, i;
	struct resp r;
	void *q = NULL;

	if (!have_fail_function()) {
		tap_skip("every refill failing: the ring runs dry, the next answer waits, the refill keeps retrying",
			 "no fail_function in this kernel (make check-debug runs it)");
		tap_skip("once allocation works again, its answer arrives", "as above");
		close(fd);
		free(big);
		return;
	}
	fail_function_arm("vsimple_alloc_resp_buf", NULL, "-1");
	for (i = 0; i < 32; i++) {
		send_req(fd, i, VIRTIO_SIMPLE_OP_ECHO, big, max_payload);
		if (poll(&p, 1, 5000) != 1)
			break;		/* no buffer left for this answer */
		q = recv_resp(fd, &r, max_payload);
		got += q != NULL;
		free(q);
	}
	ok = i < 32 && got >= 1 && wait_sysfs_at_least(0, "refill_failures", f0 + 3, 30);
	tap_check(ok && poll(&p, 1, 0) == 0,
		  "every refill failing: the ring runs dry after %d answers, the next waits, the refill keeps retrying (%llu failures)",
		  got, (unsigned long long)(sysfs_u64(0, "refill_failures") - f0));
	fail_function_off("vsimple_alloc_resp_buf");
	q = recv_resp(fd, &r, max_payload);
	tap_check(q && r.id == (uint64_t)i, "once allocation works again, its answer arrives (%s, id %llu)",
		  q ? "answer" : strerror(errno), (unsigned long long)r.id);
	free(q);
	close(fd);
	free(big);
}

/*
 * Requests over a page go to the device in page chunks: no kmalloc of
 * 16 + len (for 64 KiB an order-5 allocation, charged twice its size),
 * seen in the kernel's kmem:kmalloc events asking for more than a page
 * whose call site is this driver.  The answers come back byte for byte.
 */
static void test_request_chunks(uint32_t max_payload)
{
	static const uint32_t sizes[] = { 4072, 4073, 65536, 100000 };
	const unsigned int nsizes = sizeof(sizes) / sizeof(sizes[0]);
	uint8_t *big = malloc(max_payload);
	int fd = open(NODE, O_RDWR), bad = 0, ours, all;
	unsigned int i, k;
	struct resp r;
	void *q;

	for (k = 0; k < max_payload; k++)
		big[k] = k * 7 + k / 4096;
	/* asked for, not given: a debug kernel's redzones make 4 KiB 8 */
	if (!trace_event_on("kmem/kmalloc", "bytes_req > 4096")) {
		tap_skip("requests over a page: no kmalloc over a page by the driver",
			 "no kmem:kmalloc trace event");
		close(fd);
		free(big);
		return;
	}
	for (i = 0; i < 4 * nsizes + 1; i++) {
		uint32_t len = i < 4 * nsizes ?
			       sizes[i % nsizes] : max_payload;

		q = NULL;
		if (!send_req(fd, i, VIRTIO_SIMPLE_OP_ECHO, big, len))
			q = recv_resp(fd, &r, max_payload);
		if (!q || r.id != i || r.len != len || memcmp(q, big, len))
			bad++;
		free(q);
	}
	ours = trace_event_off("kmem/kmalloc", "[virtio_simple]", &all);
	tap_check(!bad, "ECHOs of 4072 to %u bytes (one allocation, then page chunks) come back byte for byte (%d wrong)",
		  max_payload, bad);
	tap_check(ours == 0,
		  "requests over a page: no kmalloc over a page by the driver (%d of %d traced)",
		  ours, all);
	close(fd);
	free(big);
}

/* Several requests in one write(): all answered; a bad one sends none. */
static void test_batch(void)
{
	int fd = open(NODE, O_RDWR);
	uint8_t buf[8 * (HDR + 2)];
	struct virtio_simple_hdr h = { .op = htole16(VIRTIO_SIMPLE_OP_ECHO), .len = htole32(2) };
	uint64_t req0 = sysfs_u64(0, "requests");
	int got = 0;
	ssize_t n;

	for (int i = 0; i < 8; i++) {
		h.id = htole64(i);
		memcpy(buf + i * (HDR + 2), &h, HDR);
		memcpy(buf + i * (HDR + 2) + HDR, "ab", 2);
	}
	n = write(fd, buf, sizeof(buf));
	for (int i = 0; i < 8; i++) {
		struct resp r;
		char *q = recv_resp(fd, &r, 64);

		got += q && r.len == 2 && !memcmp(q, "ab", 2);
		free(q);
	}
	tap_check(n == (ssize_t)sizeof(buf) && got == 8,
		  "one write() of 8 requests: all 8 answered (%zd bytes, %d answers)", n, got);
	errno = 0;
	n = write(fd, buf, sizeof(buf) - 1);	/* the last request is cut */
	tap_check(n < 0 && errno == EINVAL && sysfs_u64(0, "requests") == req0 + 8,
		  "a batch whose last request is cut: EINVAL, nothing sent");
	close(fd);
}

/* The system time @pid has used, in clock ticks (/proc/PID/stat). */
static unsigned long stime_ticks(pid_t pid)
{
	char path[64], line[1024], *p;
	unsigned long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f && fgets(line, sizeof(line), f) && (p = strrchr(line, ')')))
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %lu", &v);
	if (f)
		fclose(f);
	return v;
}

/*
 * A batch is checked request by request before any is sent; the largest
 * write() (2 GiB of zero pages: 128 Mi empty requests) takes many seconds
 * of that.  A writer killed meanwhile must die at once, not when the whole
 * batch is checked.
 */
static void test_huge_batch_killable(void)
{
	size_t size = (1UL << 31) - 4096;
	void *buf = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_NORESERVE, -1, 0);
	struct timespec t0, t1;
	int go[2], status = 0, i;
	double secs;
	pid_t pid;
	char c;

	if (buf == MAP_FAILED || pipe(go)) {
		tap_check(0, "a killed writer of a 2 GiB batch dies at once (setup: %s)",
			  strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		int fd = open(NODE, O_RDWR | O_NONBLOCK);

		if (write(go[1], "g", 1) == 1)
			write(fd, buf, size);
		_exit(0);
	}
	close(go[1]);
	/* in the kernel for 0.3 s of system time: inside the check */
	if (read(go[0], &c, 1) == 1)
		for (i = 0; i < 3000 && stime_ticks(pid) < 30; i++)
			usleep(1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	tap_check(WIFSIGNALED(status) && secs < 2,
		  "a writer killed during a 2 GiB batch's check dies at once (%.2f s)",
		  secs);
	close(go[0]);
	munmap(buf, size);
}

/* Interrupts taken so far by every responseq (/proc/interrupts). */
static uint64_t responseq_irqs(void)
{
	FILE *f = fopen("/proc/interrupts", "r");
	uint64_t sum = 0;
	char line[1024];

	while (f && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (!p || !strstr(line, "-responseq"))
			continue;
		for (char *end; ; p = end) {
			unsigned long long v = strtoull(p + 1, &end, 10);

			if (end == p + 1)
				break;
			sum += v;
		}
	}
	if (f)
		fclose(f);
	return sum;
}

enum trip { BY_READ, BY_CALL, BY_POLL };
static const char *const trip_name[] = {
	"read() of a 1 ms DELAY", "IOC_CALL of a 1 ms DELAY",
	"poll() then read() of a 1 ms DELAY",
};

/*
 * @n round trips at depth 1, by read(), by IOC_CALL or by poll() then
 * read(); how many came back.  Each asks for a DELAY of 1 ms: an answer
 * that is sure to come after the caller has begun to wait (an ECHO may be
 * answered, and interrupt, before).
 */
static int round_trips(int fd, int n, enum trip by)
{
	uint32_t delay = htole32(1000);
	char out[64];
	int ok = 0;

	for (int i = 0; i < n; i++) {
		struct virtio_simple_call c = {
			.op = VIRTIO_SIMPLE_OP_DELAY, .req_len = 4,
			.req_buf = (uintptr_t)&delay, .resp_buf = (uintptr_t)out,
			.resp_cap = sizeof(out),
		};
		struct resp r;
		void *q;

		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (by == BY_CALL) {
			ok += !ioctl(fd, VIRTIO_SIMPLE_IOC_CALL, &c) &&
			      c.status == VIRTIO_SIMPLE_S_OK;
			continue;
		}
		if (send_req(fd, i, VIRTIO_SIMPLE_OP_DELAY, &delay, 4))
			break;
		if (by == BY_POLL && poll(&p, 1, 5000) != 1)
			break;
		q = recv_resp(fd, &r, 64);
		ok += q && r.id == (uint64_t)i && r.status == VIRTIO_SIMPLE_S_OK;
		free(q);
	}
	return ok;
}

/*
 * busy_poll_us (docs/driver.md): off, every answer at depth 1 is an
 * interrupt and none is polled; on, a read() or a poll() waiting for its
 * answer and an IOC_CALL spin and take the answers themselves, without the
 * interrupt.
 * A value past the bound is refused.
 */
static void test_busy_poll(void)
{
	const int n = 20;
	int fd = open(NODE, O_RDWR), ok;
	uint64_t p0, i0, polled, irqs;
	char cur[32] = "";
	FILE *f;

	p0 = sysfs_u64(0, "polled");
	i0 = responseq_irqs();
	ok = round_trips(fd, n, BY_READ);
	polled = sysfs_u64(0, "polled") - p0;
	irqs = responseq_irqs() - i0;
	tap_check(ok == n && polled == 0 && irqs >= (uint64_t)n / 2,
		  "busy polling off: %d/%d answers, %llu polled, %llu responseq interrupts",
		  ok, n, (unsigned long long)polled, (unsigned long long)irqs);

	tap_check(write_file(PARAM "busy_poll_us", "5000"), "busy_poll_us=5000 taken");
	for (enum trip by = BY_READ; by <= BY_POLL; by++) {
		p0 = sysfs_u64(0, "polled");
		i0 = responseq_irqs();
		ok = round_trips(fd, n, by);
		polled = sysfs_u64(0, "polled") - p0;
		irqs = responseq_irqs() - i0;
		tap_check(ok == n && polled >= (uint64_t)n / 2 && irqs <= (uint64_t)n / 2,
			  "busy polling on, %s: %d/%d answers, %llu polled, %llu responseq interrupts",
			  trip_name[by], ok, n,
			  (unsigned long long)polled, (unsigned long long)irqs);
	}
	errno = 0;
	ok = write_file(PARAM "busy_poll_us", "5001");
	f = fopen(PARAM "busy_poll_us", "r");
	if (f) {
		if (!fgets(cur, sizeof(cur), f))
			cur[0] = 0;
		fclose(f);
	}
	tap_check(!ok && errno == EINVAL && !strcmp(cur, "5000\n"),
		  "busy_poll_us=5001 (past the bound): EINVAL, the value stays 5000");
	write_file(PARAM "busy_poll_us", "0");
	close(fd);
}

int main(void)
{
	struct virtio_simple_info info;
	int fd;

	if (!tap_check(wait_for_path(NODE, 30), NODE " appears"))
		return tap_done();
	fd = open(NODE, O_RDWR);
	ioctl(fd, VIRTIO_SIMPLE_IOC_INFO, &info);
	close(fd);
	max_in_flight = info.max_in_flight;
	test_refill_allocates_once(info.max_payload);
	test_small_answers_pin_little();
	test_big_answer_pins_its_size();
	test_file_byte_limit(info.max_payload);
	test_uncharged_cap(info.max_payload);
	test_cgroup_limit(info.max_payload);
	test_file_charged();
	test_fairness();
	test_user_fairness();
	test_call_fairness();
	test_refill_recovers(info.max_payload);
	test_batch();
	test_request_chunks(info.max_payload);
	test_huge_batch_killable();
	test_busy_poll();
	return tap_done();
}
