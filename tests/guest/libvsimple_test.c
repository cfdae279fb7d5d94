// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test of libvsimple against a real device: an answer too big for the
 * caller's buffer stays retrievable (EMSGSIZE reports the size it needs, the
 * next vsimple_complete() returns it), and one handle shared by several
 * threads submitting and completing at once loses and mixes up nothing.
 *   libvsimple_test [N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../lib/tap.h"
#include "guest_util.h"
#include "libvsimple.h"

static char node[64];

static struct vsimple *open_or_die(int flags)
{
	struct vsimple *vs = vsimple_open_path(node, flags);

	if (!vs) {
		perror(node);
		exit(1);
	}
	return vs;
}

/* Wait for an answer; false (and a diagnostic) after 10 s. */
static int wait_answer(struct vsimple *vs)
{
	int ev = vsimple_wait(vs, POLLIN, 10000);

	if (ev > 0 && (ev & POLLIN))
		return 1;
	printf("# no answer within 10 s (revents %d)\n", ev);
	return 0;
}

/* EMSGSIZE keeps the answer: the size it needs, then the answer itself. */
static void test_emsgsize_keeps_answer(void)
{
	struct vsimple *vs = open_or_die(VSIMPLE_NONBLOCK);
	char text[100], small[10], big[100];
	struct vsimple_response r;
	int ret;

	memset(text, 'q', sizeof(text));
	vsimple_submit(vs, 5, VIRTIO_SIMPLE_OP_ECHO, text, sizeof(text));
	if (!wait_answer(vs))
		goto out;
	memset(&r, 0, sizeof(r));
	errno = 0;
	ret = vsimple_complete(vs, &r, small, sizeof(small));
	tap_check(ret == -1 && errno == EMSGSIZE,
		  "complete into 10 bytes of a 100-byte answer: EMSGSIZE (ret %d, %s)",
		  ret, strerror(errno));
	tap_check(r.id == 5 && r.len == 100 && r.status == VIRTIO_SIMPLE_S_OK,
		  "and it says which answer and the size it needs (id %llu, len %u)",
		  (unsigned long long)r.id, r.len);
	ret = vsimple_wait(vs, POLLIN, 0);
	tap_check(ret > 0 && (ret & POLLIN),
		  "vsimple_wait still reports POLLIN for the kept answer (revents %d)", ret);
	{
		/* an event loop polls the fd itself, as with any fd */
		struct pollfd p = { .fd = vsimple_fd(vs), .events = POLLIN };

		ret = poll(&p, 1, 0);
		tap_check(ret == 1 && (p.revents & POLLIN),
			  "and so does poll() on vsimple_fd(): the answer is still the driver's (revents 0x%x)",
			  p.revents);
	}
	errno = 0;
	ret = vsimple_complete(vs, &r, small, sizeof(small));
	tap_check(ret == -1 && errno == EMSGSIZE,
		  "a second too-small retry: EMSGSIZE again (ret %d, %s)", ret,
		  strerror(errno));
	memset(&r, 0, sizeof(r));
	memset(big, 0, sizeof(big));
	errno = 0;
	ret = vsimple_complete(vs, &r, big, sizeof(big));
	tap_check(ret == 0 && r.id == 5 && r.len == 100 &&
		  !memcmp(big, text, sizeof(text)),
		  "a retry with 100 bytes returns the answer (ret %d, %s, id %llu, len %u)",
		  ret, strerror(errno), (unsigned long long)r.id, r.len);
	errno = 0;
	ret = vsimple_complete(vs, &r, big, sizeof(big));
	tap_check(ret == -1 && errno == EAGAIN,
		  "and only once: then nothing is left (ret %d, %s)", ret, strerror(errno));
out:
	vsimple_close(vs);
}

/* The kept answer comes first: completion order is not changed by EMSGSIZE. */
static void test_emsgsize_keeps_order(void)
{
	struct vsimple *vs = open_or_die(VSIMPLE_NONBLOCK);
	char text[64], buf[64];
	struct vsimple_response r;
	uint64_t first;
	int ret, n = 0;

	memset(text, 'o', sizeof(text));
	vsimple_submit(vs, 1, VIRTIO_SIMPLE_OP_ECHO, text, sizeof(text));
	vsimple_submit(vs, 2, VIRTIO_SIMPLE_OP_ECHO, text, sizeof(text));
	if (!wait_answer(vs))
		goto out;
	ret = vsimple_complete(vs, &r, buf, 1);
	first = r.id;
	tap_check(ret == -1 && errno == EMSGSIZE && (first == 1 || first == 2),
		  "two answers queued, the first one too big: EMSGSIZE (id %llu)",
		  (unsigned long long)first);
	ret = vsimple_complete(vs, &r, buf, sizeof(buf));
	tap_check(ret == 0 && r.id == first,
		  "the retry returns that same answer, not the next (ret %d, id %llu)",
		  ret, (unsigned long long)r.id);
	ret = -1;
	r.id = 0;
	while (n < 100 && wait_answer(vs)) {
		ret = vsimple_complete(vs, &r, buf, sizeof(buf));
		if (ret == 0 || errno != EAGAIN)
			break;
		n++;
	}
	tap_check(ret == 0 && r.id == 3 - first, "then the other one (ret %d, id %llu)",
		  ret, (unsigned long long)r.id);
out:
	vsimple_close(vs);
}

/*
 * One handle, SUBMITTERS threads submitting and COMPLETERS threads completing
 * at once.  Every payload says whose it is (its id in the first 8 bytes, the
 * id's low byte after that), so a shared buffer overwritten under another
 * thread shows up as a wrong, missing or doubled answer.
 */
#define SUBMITTERS 4
#define COMPLETERS 2
#define PER_THREAD 200
#define TOTAL (SUBMITTERS * PER_THREAD)

static struct vsimple *shared;
static uint32_t shared_max;
static int seen[TOTAL];
static int bad_answers, failed_calls;
static int to_complete = TOTAL;
static pthread_mutex_t results = PTHREAD_MUTEX_INITIALIZER;

static uint32_t payload_len(uint64_t id)
{
	return 1024 + (id % 16) * 1024;	/* 1..16 KiB */
}

static void *submitter(void *arg)
{
	uint64_t base = (uintptr_t)arg * PER_THREAD;
	uint8_t *p = malloc(payload_len(15));

	for (uint64_t id = base; id < base + PER_THREAD; id++) {
		uint32_t len = payload_len(id);

		memset(p, (uint8_t)id, len);
		memcpy(p, &id, sizeof(id));
		if (vsimple_submit(shared, id, VIRTIO_SIMPLE_OP_ECHO, p, len) < 0) {
			printf("# submit %llu: %s\n", (unsigned long long)id,
			       strerror(errno));
			__atomic_fetch_add(&failed_calls, 1, __ATOMIC_SEQ_CST);
			__atomic_fetch_sub(&to_complete, 1, __ATOMIC_SEQ_CST);
		}
	}
	free(p);
	return NULL;
}

static int answer_ok(const struct vsimple_response *r, const uint8_t *p)
{
	uint64_t id;

	if (r->id >= TOTAL || r->status != VIRTIO_SIMPLE_S_OK ||
	    r->len != payload_len(r->id))
		return 0;
	memcpy(&id, p, sizeof(id));
	if (id != r->id)
		return 0;
	for (uint32_t i = sizeof(id); i < r->len; i++)
		if (p[i] != (uint8_t)r->id)
			return 0;
	return 1;
}

static void *completer(void *arg)
{
	uint8_t *p = malloc(shared_max);
	struct vsimple_response r;

	(void)arg;
	/* claim one answer, then wait for it: never more waits than answers */
	while (__atomic_fetch_sub(&to_complete, 1, __ATOMIC_SEQ_CST) > 0) {
		if (vsimple_complete(shared, &r, p, shared_max) < 0) {
			printf("# complete: %s\n", strerror(errno));
			__atomic_fetch_add(&failed_calls, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		pthread_mutex_lock(&results);
		if (!answer_ok(&r, p)) {
			if (bad_answers++ < 5)
				printf("# bad answer: id %llu len %u status %u\n",
				       (unsigned long long)r.id, r.len, r.status);
		} else {
			seen[r.id]++;
		}
		pthread_mutex_unlock(&results);
	}
	free(p);
	return NULL;
}

static void test_threads_share_a_handle(void)
{
	pthread_t s[SUBMITTERS], c[COMPLETERS];
	struct virtio_simple_info info;
	int missing = 0, doubled = 0;

	shared = open_or_die(0);
	if (vsimple_info(shared, &info) < 0) {
		tap_check(0, "vsimple_info: %s", strerror(errno));
		return;
	}
	shared_max = info.max_payload;
	for (int i = 0; i < COMPLETERS; i++)
		pthread_create(&c[i], NULL, completer, NULL);
	for (uintptr_t i = 0; i < SUBMITTERS; i++)
		pthread_create(&s[i], NULL, submitter, (void *)i);
	for (int i = 0; i < SUBMITTERS; i++)
		pthread_join(s[i], NULL);
	for (int i = 0; i < COMPLETERS; i++)
		pthread_join(c[i], NULL);
	for (int i = 0; i < TOTAL; i++) {
		missing += seen[i] == 0;
		doubled += seen[i] > 1;
	}
	tap_check(!failed_calls && !bad_answers && !missing && !doubled,
		  "%d threads submitting and %d completing on one handle: %d answers, "
		  "each once and intact (failed calls %d, bad %d, missing %d, doubled %d)",
		  SUBMITTERS, COMPLETERS, TOTAL, failed_calls, bad_answers, missing,
		  doubled);
	vsimple_close(shared);
}

/*
 * Batches: 8 ECHOs laid out with vsimple_batch_put() (the first copied in,
 * the others built in place) go in one vsimple_submit_batch(); once all 8
 * are answered one vsimple_receive_batch() takes them, and
 * vsimple_batch_get() walks them.  A room too small for the first answer:
 * EMSGSIZE, and the answer stays.
 */
static void test_batches(void)
{
	enum { N = 8, LEN = 40 };
	struct vsimple *vs = open_or_die(0);
	static uint8_t out[N * (VIRTIO_SIMPLE_HDR_SIZE + LEN)];
	static uint8_t in[N * (VIRTIO_SIMPLE_HDR_SIZE + LEN)];
	uint8_t text[LEN];
	struct vsimple_response r;
	const void *p;
	size_t size = 0, off = 0, put;
	long sent, got;
	int ok = 1, seen = 0;

	for (int i = 0; i < N; i++) {
		uint8_t *at = out + size + VIRTIO_SIMPLE_HDR_SIZE;

		memset(text, 'a' + i, LEN);
		if (i)
			memcpy(at, text, LEN);	/* in place: not copied again */
		put = vsimple_batch_put(out + size, sizeof(out) - size, 100 + i,
					VIRTIO_SIMPLE_OP_ECHO, i ? at : text, LEN);
		ok &= put == VIRTIO_SIMPLE_HDR_SIZE + LEN;
		size += put;
	}
	errno = 0;
	tap_check(ok && vsimple_batch_put(out, 20, 1, VIRTIO_SIMPLE_OP_ECHO, text, LEN) == 0 &&
		  errno == EMSGSIZE,
		  "vsimple_batch_put lays out 8 requests; one that does not fit: 0, EMSGSIZE");
	sent = vsimple_submit_batch(vs, out, size);
	tap_check(sent == (long)size, "one vsimple_submit_batch sends all 8 (%ld of %zu bytes)",
		  sent, size);
	wait_sysfs_u64(0, "unread", N, 10);
	got = vsimple_receive_batch(vs, in, VIRTIO_SIMPLE_HDR_SIZE + LEN - 1, N);
	tap_check(got == -1 && errno == EMSGSIZE,
		  "vsimple_receive_batch with no room for the first answer: EMSGSIZE, nothing taken");
	got = vsimple_receive_batch(vs, in, sizeof(in), N);
	while ((ok = vsimple_batch_get(in, got, &off, &r, &p)) == 1) {
		int i = (int)r.id - 100;

		memset(text, 'a' + i, LEN);
		seen += i >= 0 && i < N && r.status == VIRTIO_SIMPLE_S_OK &&
			r.len == LEN && !memcmp(p, text, LEN);
	}
	tap_check(got == (long)size && ok == 0 && seen == N,
		  "one vsimple_receive_batch takes all 8 answers, vsimple_batch_get walks them (%ld bytes, %d right)",
		  got, seen);
	vsimple_close(vs);
}

/*
 * The io_uring ring: 40 ECHOs prepared in the slots it lends, sent in one
 * submission, reaped with their ids and payloads; a full ring says EBUSY,
 * a payload over max_payload EMSGSIZE; the ring's fd polls readable.
 */
static void test_ring(void)
{
	struct vsimple *vs = open_or_die(0);
	struct vsimple_response resp[64];
	const void *payload[64];
	struct vsimple_ring *r = vsimple_ring_new(vs, 40);
	struct pollfd p;
	int got = 0, right = 0, n, busy;
	uint8_t *q;

	if (!tap_check(r != NULL, "vsimple_ring_new of 40 slots (%s)",
		       r ? "ok" : strerror(errno))) {
		vsimple_close(vs);
		return;
	}
	for (int i = 0; i < 40; i++) {
		q = vsimple_ring_prep(r, 500 + i, VIRTIO_SIMPLE_OP_ECHO, 1000 + i);
		if (q)
			memset(q, 'A' + i % 26, 1000 + i);
	}
	busy = !vsimple_ring_prep(r, 1, VIRTIO_SIMPLE_OP_ECHO, 1) && errno == EBUSY;
	tap_check(busy, "a 41st prep on 40 slots: EBUSY");
	tap_check(vsimple_ring_submit(r) == 40, "the 40 go in one vsimple_ring_submit");
	p = (struct pollfd){ .fd = vsimple_ring_fd(r), .events = POLLIN };
	tap_check(poll(&p, 1, 10000) == 1 && (p.revents & POLLIN),
		  "the ring's fd polls readable once answers are in");
	while (got < 40) {
		n = vsimple_ring_reap(r, resp, payload, 64, 1);
		if (n <= 0)
			break;
		for (int k = 0; k < n; k++) {
			int i = (int)resp[k].id - 500;
			char want[1100];

			memset(want, 'A' + (i >= 0 ? i : 0) % 26, sizeof(want));
			right += i >= 0 && i < 40 && resp[k].status == VIRTIO_SIMPLE_S_OK &&
				 resp[k].op == VIRTIO_SIMPLE_OP_ECHO &&
				 resp[k].len == (uint32_t)(1000 + i) &&
				 !memcmp(payload[k], want, resp[k].len);
		}
		got += n;
	}
	tap_check(got == 40 && right == 40,
		  "vsimple_ring_reap returns all 40, each with its id and payload (%d right)",
		  right);
	q = vsimple_ring_prep(r, 2, VIRTIO_SIMPLE_OP_ECHO, 1 << 30);
	tap_check(!q && errno == EMSGSIZE, "a payload over max_payload: EMSGSIZE");
	tap_check(vsimple_ring_reap(r, resp, payload, 64, 0) == 0,
		  "with nothing in flight, a reap that need not wait returns 0");
	vsimple_ring_free(r);
	vsimple_close(vs);
}

int main(int argc, char **argv)
{
	snprintf(node, sizeof(node), "/dev/virtio-simple%s", argc > 1 ? argv[1] : "0");
	if (!tap_check(wait_for_path(node, 30), "%s appears", node))
		return tap_done();
	/* a hang is a failure, not a stuck suite */
	alarm(120);
	test_emsgsize_keeps_answer();
	test_emsgsize_keeps_order();
	test_threads_share_a_handle();
	test_batches();
	test_ring();
	return tap_done();
}
