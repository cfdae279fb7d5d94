/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvsimple: a small C library over /dev/virtio-simpleN.
 *
 * Every function returns 0 (or a count) on success and -1 with errno set on
 * failure, so errors read like the system calls underneath:
 *   ENODEV  the device is gone (unplugged, unbound)   EIO  it needs a reset
 *   EAGAIN  non-blocking and it would block           EMSGSIZE  too big
 *
 * Threads: a handle may be shared.  Any of its calls may run at the same
 * time from several threads, except vsimple_close(), which must be the
 * last.  Concurrent vsimple_submit()s are written one after the other, and
 * concurrent vsimple_complete()s each return a different answer.  Which
 * thread gets which answer is up to the scheduler: match them by id.
 * See tools/lib/README.md.
 */
#ifndef LIBVSIMPLE_H
#define LIBVSIMPLE_H

#include <stddef.h>
#include <stdint.h>
#include <virtio_simple.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The library's version, the project's (dkms.conf's PACKAGE_VERSION):
 * LIBVSIMPLE_VERSION for what a program was compiled against,
 * vsimple_version() for the library it runs with.
 */
#define LIBVSIMPLE_VERSION_MAJOR 0
#define LIBVSIMPLE_VERSION_MINOR 1
#define LIBVSIMPLE_VERSION "0.1"
const char *vsimple_version(void);

struct vsimple;

/* A response as returned by vsimple_complete(). */
struct vsimple_response {
	uint64_t id;		/* the id given to vsimple_submit() */
	uint16_t op;
	uint16_t status;	/* VIRTIO_SIMPLE_S_* */
	uint32_t len;		/* payload bytes copied (on EMSGSIZE: needed) */
	uint32_t reserved[4];	/* zero: room for later fields, same ABI */
};
__VIRTIO_SIMPLE_ASSERT(sizeof(struct vsimple_response) == 32,
		       "vsimple_response is 32 bytes, reserved space included");

#define VSIMPLE_NONBLOCK 1	/* vsimple_open() flag */

/* Open /dev/virtio-simple<index>, or a path. */
struct vsimple *vsimple_open(int index, int flags);
struct vsimple *vsimple_open_path(const char *path, int flags);
void vsimple_close(struct vsimple *vs);
int vsimple_fd(const struct vsimple *vs);	/* for poll()/select() */
const char *vsimple_path(const struct vsimple *vs);

/* Device facts, read now (the label can change at run time). */
int vsimple_info(struct vsimple *vs, struct virtio_simple_info *info);

/*
 * One synchronous request: *status and *resp_len are set on success.  An
 * answer bigger than cap fails with EMSGSIZE and *resp_len says how big it
 * was; unlike vsimple_complete(), that answer is gone (IOC_CALL drops it).
 */
int vsimple_call(struct vsimple *vs, uint16_t op, const void *req,
		 uint32_t len, void *resp, uint32_t cap, uint16_t *status,
		 uint32_t *resp_len);

/* Asynchronous: submit requests, then complete their responses (any order). */
int vsimple_submit(struct vsimple *vs, uint64_t id, uint16_t op,
		   const void *payload, uint32_t len);
/*
 * An answer bigger than cap fails with EMSGSIZE and is not lost: *resp then
 * describes it (resp->len is the room it needs) and it stays first in line
 * in the driver, so the next vsimple_complete() returns it and poll() or
 * epoll on vsimple_fd() keep reporting it readable.  A request the driver
 * failed (a device reset, a malformed answer, no room in the cgroup)
 * completes with its id and a driver status, VIRTIO_SIMPLE_S_EIO or
 * _ENOMEM, len 0.
 */
int vsimple_complete(struct vsimple *vs, struct vsimple_response *resp,
		     void *payload, uint32_t cap);
/* Wait up to timeout_ms (-1: forever) for POLLIN/POLLOUT; returns revents. */
int vsimple_wait(struct vsimple *vs, short events, int timeout_ms);

/*
 * Batches (LIBVSIMPLE_0.2), in the driver's wire format (docs/driver.md):
 * requests back to back, each a struct virtio_simple_hdr and its payload,
 * and answers likewise.  One write() sends a whole batch, notifying the
 * device once; nothing is copied that need not be: a program can lay its
 * requests out once and send them again (vsimple bench does).
 *
 * vsimple_batch_put() lays one request out at @buf (room @room): its header
 * and @len bytes of @payload, not copied when they already lie at buf + 16.
 * Returns the bytes it takes (16 + len), or 0 with EMSGSIZE when it does
 * not fit.
 */
size_t vsimple_batch_put(void *buf, size_t room, uint64_t id, uint16_t op,
			 const void *payload, uint32_t len);
/*
 * Send @size bytes of whole requests with one write().  Returns the bytes
 * sent: all of them or, when a limit stopped the batch (O_NONBLOCK), those
 * of the whole requests before it; -1 when none was sent.
 */
long vsimple_submit_batch(struct vsimple *vs, const void *batch, size_t size);
/*
 * Receive up to @max answers into @buf (room @room), back to back: the
 * first as vsimple_complete() does (it waits unless non-blocking), the
 * others only while they are already there and fit; in one read() where
 * the driver takes VIRTIO_SIMPLE_IOC_SET_READ_BATCH.  Returns the bytes
 * received; -1 when none was (EMSGSIZE: the first does not fit, and stays
 * queued; vsimple_complete() tells its size).
 */
long vsimple_receive_batch(struct vsimple *vs, void *buf, size_t room,
			   unsigned int max);
/*
 * Walk a received batch of @size bytes: the answer at *@off into *@resp,
 * *@payload pointing at its bytes in the batch; *@off moves past it.
 * Returns 1, 0 at the end, -1 with EPROTO on bytes that are no answer.
 */
int vsimple_batch_get(const void *batch, size_t size, size_t *off,
		      struct vsimple_response *resp, const void **payload);

/*
 * Asynchronous calls through io_uring (the driver's VIRTIO_SIMPLE_URING_CALL,
 * docs/driver.md), in libvsimple_uring.c on liburing.  A ring has @depth
 * slots, each a buffer for one request and then its answer, registered with
 * the ring: the caller writes a payload straight into the slot that
 * vsimple_ring_prep() returns, and the driver sends it to the device from
 * there, without a copy.  Everything prepared goes in one system call
 * (vsimple_ring_submit()), and the device is notified once for it.
 * A ring belongs to one thread at a time; its handle @vs must outlive it.
 */
struct vsimple_ring;

struct vsimple_ring *vsimple_ring_new(struct vsimple *vs, unsigned int depth);
/* Calls still in flight are waited for by the kernel, not dropped. */
void vsimple_ring_free(struct vsimple_ring *r);
/* The ring's fd: poll()/epoll report POLLIN when completions wait. */
int vsimple_ring_fd(const struct vsimple_ring *r);
/*
 * Take a free slot for a request (@id, @op, @len payload bytes) and return
 * where its payload goes (@len bytes, to fill before vsimple_ring_submit());
 * NULL with EBUSY when every slot is prepared, in flight or just reaped,
 * EMSGSIZE when @len is over max_payload.
 */
void *vsimple_ring_prep(struct vsimple_ring *r, uint64_t id, uint16_t op,
			uint32_t len);
/* Send what was prepared, in one system call; returns how many went. */
int vsimple_ring_submit(struct vsimple_ring *r);
/*
 * Up to @max completions into @resp[] and @payloads[], waiting for at
 * least @min of them (0: none, only those already there).  A payload
 * stays in its slot, readable until the next vsimple_ring_reap().  A call
 * that failed has a driver status (VIRTIO_SIMPLE_S_DRIVER | errno), named
 * by its id like the driver's own failures.  Returns how many.
 */
int vsimple_ring_reap(struct vsimple_ring *r, struct vsimple_response *resp,
		      const void **payloads, unsigned int max, unsigned int min);

/* Indexes of the present devices, ascending; returns how many (<= max). */
int vsimple_list(int *indexes, int max);

const char *vsimple_status_name(uint16_t status);

#ifdef __cplusplus
}
#endif

#endif /* LIBVSIMPLE_H */
