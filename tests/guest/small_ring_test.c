// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test of small rings (devices started with queue-size=2, 4 and 8):
 * write() never fails with ENOSPC.  On a small ring the in-flight limit
 * equals the ring size, and a request's descriptor can still be in the
 * ring after its answer came back; write() must then wait (or say EAGAIN
 * with O_NONBLOCK), never report the ring as full.  A request over a page
 * takes no bigger pages than the ring makes it need.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <virtio_simple.h>
#include "../lib/tap.h"
#include "guest_util.h"

#define THREADS 4
#define ROUNDS 300

struct worker {
	int index, thread;
	int ok, bad_errno, wrong;
};

/* Round trips of depth 2 on a file of its own, each answer checked. */
static void *worker(void *p)
{
	struct worker *w = p;
	char node[64], text[2][32];
	int fd;

	snprintf(node, sizeof(node), "/dev/virtio-simple%d", w->index);
	fd = open(node, O_RDWR);
	if (fd < 0) {
		w->bad_errno = errno;
		return NULL;
	}
	for (int i = 0; i < ROUNDS; i++) {
		for (int k = 0; k < 2; k++) {
			snprintf(text[k], sizeof(text[k]), "t%d-%d-%d", w->thread, i, k);
			if (send_req(fd, 2 * i + k, VIRTIO_SIMPLE_OP_ECHO, text[k],
				     strlen(text[k]))) {
				w->bad_errno = errno;
				goto out;
			}
		}
		for (int k = 0; k < 2; k++) {
			struct resp r;
			char *q = recv_resp(fd, &r, 64);

			if (!q) {
				w->bad_errno = errno;
				goto out;
			}
			/* answers come in completion order: match by id */
			if (r.id / 2 != (uint64_t)i || r.len != strlen(text[r.id % 2]) ||
			    memcmp(q, text[r.id % 2], r.len))
				w->wrong++;
			else
				w->ok++;
			free(q);
		}
	}
out:
	close(fd);
	return NULL;
}

/* O_NONBLOCK bursts: write until EAGAIN, read everything back. */
static int burst(int index, int *enospc)
{
	char node[64];
	int fd, total = 0;

	snprintf(node, sizeof(node), "/dev/virtio-simple%d", index);
	fd = open(node, O_RDWR | O_NONBLOCK);
	for (int round = 0; round < 200; round++) {
		int sent = 0;

		while (send_req(fd, sent, VIRTIO_SIMPLE_OP_ECHO, "b", 1) == 0)
			sent++;
		if (errno == ENOSPC)
			(*enospc)++;
		else if (errno != EAGAIN)
			break;
		for (int i = 0; i < sent; i++) {
			struct resp r;
			void *q;

			wait_readable(fd);
			q = recv_resp(fd, &r, 64);
			if (q)
				total++;
			free(q);
		}
	}
	close(fd);
	return total;
}

/*
 * However small the ring, one user cannot take it all: two files of root
 * filled with 1 s DELAYs leave a slot to another user.
 */
static void test_share(const char *node, unsigned int ring)
{
	int a = open(node, O_RDWR | O_NONBLOCK), b = open(node, O_RDWR | O_NONBLOCK);
	struct pollfd p[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
	unsigned int na = fill_delays(a), nb = fill_delays(b);
	int ok = other_user_echo(node);

	tap_check(ok && poll(p, 2, 0) == 0,
		  "ring of %u: one user's two files hold %u + %u with 1 s DELAYs; another user's ECHO is answered before any of them",
		  ring, na, nb);
	close(a);
	close(b);
}

/*
 * A request over a page is cut in chunks of the order its own length
 * needs on this ring, not the order max_payload would: a 5000-byte request
 * needs at most order 1 (one 8 KiB chunk) on a ring of 2.  Seen in the
 * kernel's mm_page_alloc events of order 2 and up with the driver's
 * request flags (GFP_KERNEL_ACCOUNT|__GFP_NOWARN); the answers are checked.
 */
static void test_request_order(const char *node, unsigned int ring)
{
	uint8_t req[5000];
	int fd = open(node, O_RDWR), bad = 0, ours, all;
	struct resp r;
	void *q;

	for (unsigned int i = 0; i < sizeof(req); i++)
		req[i] = i * 31 + 7;
	if (!trace_event_on("kmem/mm_page_alloc", "order > 1")) {
		tap_skip("a 5000-byte request: no page allocation over order 1",
			 "no kmem:mm_page_alloc trace event");
		close(fd);
		return;
	}
	for (int i = 0; i < 8; i++) {
		q = NULL;
		if (!send_req(fd, i, VIRTIO_SIMPLE_OP_ECHO, req, sizeof(req)))
			q = recv_resp(fd, &r, sizeof(req));
		bad += !q || r.len != sizeof(req) || memcmp(q, req, sizeof(req));
		free(q);
	}
	ours = trace_event_off("kmem/mm_page_alloc",
			       "gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_NOWARN\n", &all);
	tap_check(!bad && ours == 0,
		  "ring of %u: 5000-byte ECHOs back intact (%d wrong), no request page over order 1 (%d)",
		  ring, bad, ours);
	close(fd);
}

static void test_device(int index)
{
	char node[64];
	struct virtio_simple_info info;
	struct worker w[THREADS];
	pthread_t t[THREADS];
	int fd, ok = 0, wrong = 0, bad = 0, enospc = 0, answered;

	snprintf(node, sizeof(node), "/dev/virtio-simple%d", index);
	if (!tap_check(wait_for_path(node, 30), "%s appears", node))
		return;
	fd = open(node, O_RDWR);
	memset(&info, 0, sizeof(info));
	ioctl(fd, VIRTIO_SIMPLE_IOC_INFO, &info);
	close(fd);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .index = index, .thread = i };
		pthread_create(&t[i], NULL, worker, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
		wrong += w[i].wrong;
		if (w[i].bad_errno) {
			bad++;
			fprintf(stdout, "# thread %d: %s\n", i, strerror(w[i].bad_errno));
		}
	}
	tap_check(ok == THREADS * ROUNDS * 2 && !wrong && !bad,
		  "ring of %u: %d threads x %d round trips of depth 2, blocking: %d answered, %d wrong, %d failed",
		  info.req_queue_size, THREADS, ROUNDS, ok, wrong, bad);
	answered = burst(index, &enospc);
	tap_check(!enospc && answered > 0,
		  "ring of %u: O_NONBLOCK bursts stop at EAGAIN, never ENOSPC (%d ENOSPC, %d answered)",
		  info.req_queue_size, enospc, answered);
	test_share(node, info.req_queue_size);
	test_request_order(node, info.req_queue_size);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;

	for (int i = 0; i < n; i++)
		test_device(i);
	return tap_done();
}
