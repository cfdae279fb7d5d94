// SPDX-License-Identifier: BSD-3-Clause
/*
 * libvsimple's asynchronous calls through io_uring (see libvsimple.h): the
 * driver's VIRTIO_SIMPLE_URING_CALL, on liburing.  Each slot is a buffer
 * of one request or its answer (header + max_payload), all of them one
 * area registered with the ring, so the driver sends payloads from it in
 * place, and, room for any answer being there, the device writes answers
 * into it where it offers ANSWER_IN_PLACE.  A slot is prepared, submitted with the others, then reaped; it is
 * free again at the next reap.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "libvsimple.h"

enum slot_state { SLOT_FREE, SLOT_PREPARED, SLOT_IN_FLIGHT, SLOT_REAPED };

struct vsimple_ring {
	struct io_uring ring;
	int fd;			/* the device file */
	unsigned int depth;
	size_t slot_size;	/* 16 + max_payload, rounded to 64 */
	uint8_t *area;		/* depth slots, registered as buffer 0 */
	size_t area_size;
	uint8_t *state;		/* per slot: enum slot_state */
	uint64_t *id;		/* per slot: the caller's id */
	uint16_t *op;
	unsigned int next;	/* where the search for a free slot starts */
};

static uint8_t *slot_buf(struct vsimple_ring *r, unsigned int s)
{
	return r->area + (size_t)s * r->slot_size;
}

struct vsimple_ring *vsimple_ring_new(struct vsimple *vs, unsigned int depth)
{
	struct virtio_simple_info info;
	struct vsimple_ring *r;
	struct iovec iov;
	int err;

	if (!depth || depth > 32768) {	/* io_uring's most entries */
		errno = EINVAL;
		return NULL;
	}
	if (vsimple_info(vs, &info) < 0)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->fd = vsimple_fd(vs);
	r->depth = depth;
	r->slot_size = (VIRTIO_SIMPLE_HDR_SIZE + info.max_payload + 63) & ~(size_t)63;
	r->area_size = r->slot_size * depth;
	r->state = calloc(depth, 1);
	r->id = calloc(depth, sizeof(*r->id));
	r->op = calloc(depth, sizeof(*r->op));
	r->area = mmap(NULL, r->area_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->area == MAP_FAILED)
		r->area = NULL;
	if (!r->state || !r->id || !r->op || !r->area) {
		err = ENOMEM;
		goto fail;
	}
	err = -io_uring_queue_init(depth, &r->ring, 0);
	if (err)
		goto fail;
	iov.iov_base = r->area;
	iov.iov_len = r->area_size;
	err = -io_uring_register_buffers(&r->ring, &iov, 1);
	if (err) {
		io_uring_queue_exit(&r->ring);
		goto fail;
	}
	return r;
fail:
	if (r->area)
		munmap(r->area, r->area_size);
	free(r->state);
	free(r->id);
	free(r->op);
	free(r);
	errno = err;
	return NULL;
}

void vsimple_ring_free(struct vsimple_ring *r)
{
	if (!r)
		return;
	/* the kernel finishes calls in flight before the buffer goes */
	io_uring_queue_exit(&r->ring);
	munmap(r->area, r->area_size);
	free(r->state);
	free(r->id);
	free(r->op);
	free(r);
}

int vsimple_ring_fd(const struct vsimple_ring *r)
{
	return r->ring.ring_fd;
}

void *vsimple_ring_prep(struct vsimple_ring *r, uint64_t id, uint16_t op,
			uint32_t len)
{
	struct virtio_simple_uring_call uc;
	struct virtio_simple_hdr hdr;
	struct io_uring_sqe *sqe;
	unsigned int s, i;

	if (VIRTIO_SIMPLE_HDR_SIZE + (size_t)len > r->slot_size) {
		errno = EMSGSIZE;
		return NULL;
	}
	for (i = 0; i < r->depth; i++) {
		s = (r->next + i) % r->depth;
		if (r->state[s] == SLOT_FREE)
			break;
	}
	if (i == r->depth || !(sqe = io_uring_get_sqe(&r->ring))) {
		errno = EBUSY;
		return NULL;
	}
	r->next = (s + 1) % r->depth;
	hdr = (struct virtio_simple_hdr){
		.id = htole64(id), .op = htole16(op), .len = htole32(len),
	};
	memcpy(slot_buf(r, s), &hdr, sizeof(hdr));
	uc = (struct virtio_simple_uring_call){
		.addr = (uintptr_t)slot_buf(r, s),
		.req_len = VIRTIO_SIMPLE_HDR_SIZE + len,
		.cap = r->slot_size,
	};
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, r->fd, NULL, 0, 0);
	sqe->cmd_op = VIRTIO_SIMPLE_URING_CALL;
	memcpy(sqe->cmd, &uc, sizeof(uc));
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	sqe->buf_index = 0;
	sqe->user_data = s;
	r->state[s] = SLOT_PREPARED;
	r->id[s] = id;
	r->op[s] = op;
	return slot_buf(r, s) + VIRTIO_SIMPLE_HDR_SIZE;
}

int vsimple_ring_submit(struct vsimple_ring *r)
{
	int n = io_uring_submit(&r->ring);

	if (n < 0) {
		errno = -n;
		return -1;
	}
	for (unsigned int s = 0; s < r->depth; s++)
		if (r->state[s] == SLOT_PREPARED)
			r->state[s] = SLOT_IN_FLIGHT;
	return n;
}

/* One CQE into @resp and @payload; its slot stays taken until the next reap. */
static void ring_take(struct vsimple_ring *r, const struct io_uring_cqe *cqe,
		      struct vsimple_response *resp, const void **payload)
{
	unsigned int s = (unsigned int)cqe->user_data;
	struct virtio_simple_hdr hdr;

	memset(resp, 0, sizeof(*resp));
	resp->id = r->id[s];
	resp->op = r->op[s];
	*payload = slot_buf(r, s) + VIRTIO_SIMPLE_HDR_SIZE;
	r->state[s] = SLOT_REAPED;
	if (cqe->res < 0) {
		/* a call-level errno, named by id like the driver's failures */
		resp->status = VIRTIO_SIMPLE_S_DRIVER | (-cqe->res & 0x7fff);
		return;
	}
	memcpy(&hdr, slot_buf(r, s), sizeof(hdr));
	resp->status = le16toh(hdr.status);
	resp->len = le32toh(hdr.len);
}

int vsimple_ring_reap(struct vsimple_ring *r, struct vsimple_response *resp,
		      const void **payloads, unsigned int max, unsigned int min)
{
	struct io_uring_cqe *cqe;
	unsigned int n = 0;
	int err;

	/* what the last reap handed out is the caller's no longer */
	for (unsigned int s = 0; s < r->depth; s++)
		if (r->state[s] == SLOT_REAPED)
			r->state[s] = SLOT_FREE;
	while (n < max) {
		if (n < min)
			err = io_uring_wait_cqe(&r->ring, &cqe);
		else
			err = io_uring_peek_cqe(&r->ring, &cqe);
		if (err == -EAGAIN)
			break;
		if (err) {
			if (n)
				break;
			errno = -err;
			return -1;
		}
		if (cqe->user_data < r->depth &&
		    r->state[cqe->user_data] == SLOT_IN_FLIGHT) {
			ring_take(r, cqe, &resp[n], &payloads[n]);
			n++;
		}
		io_uring_cqe_seen(&r->ring, cqe);
	}
	return n;
}
