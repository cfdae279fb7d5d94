/* SPDX-License-Identifier: GPL-2.0 */
/* The guest tests' io_uring call: one VIRTIO_SIMPLE_URING_CALL SQE. */
#ifndef URING_CALL_H
#define URING_CALL_H

#include <liburing.h>
#include <stdint.h>
#include <string.h>
#include <virtio_simple.h>

/*
 * @op (VIRTIO_SIMPLE_URING_CALL, or another to test the refusal) on @fd:
 * the request's @req_len bytes at @buf, @cap bytes of room there, in the
 * ring's registered buffer 0 when @fixed.
 */
static inline void uring_prep_call(struct io_uring *ring, int fd, uint32_t op,
				   const void *buf, uint32_t req_len,
				   uint32_t cap, int fixed, uint64_t user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct virtio_simple_uring_call uc = {
		.addr = (uintptr_t)buf, .req_len = req_len, .cap = cap,
	};

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = op;
	memcpy(sqe->cmd, &uc, sizeof(uc));
	if (fixed) {
		sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
		sqe->buf_index = 0;
	}
	sqe->user_data = user_data;
}

#endif
