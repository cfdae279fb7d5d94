/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvsimple: a small C library over /dev/virtio-simpleN.
 *
 * Every function returns 0 (or a count) on success and -1 with errno set on
 * failure, so errors read like the system calls underneath:
 *   ENODEV  the device is gone (unplugged, unbound)   EIO  it needs a reset
 *   EAGAIN  non-blocking and it would block           EMSGSIZE  too big
 * See tools/lib/README.md.
 */
#ifndef LIBVSIMPLE_H
#define LIBVSIMPLE_H

#include <stdint.h>
#include <virtio_simple.h>

struct vsimple;

/* A response as returned by vsimple_complete(). */
struct vsimple_response {
	uint64_t id;		/* the id given to vsimple_submit() */
	uint16_t op;
	uint16_t status;	/* VIRTIO_SIMPLE_S_* */
	uint32_t len;		/* payload bytes copied to the caller's buffer */
};

#define VSIMPLE_NONBLOCK 1	/* vsimple_open() flag */

/* Open /dev/virtio-simple<index>, or a path. */
struct vsimple *vsimple_open(int index, int flags);
struct vsimple *vsimple_open_path(const char *path, int flags);
void vsimple_close(struct vsimple *vs);
int vsimple_fd(const struct vsimple *vs);	/* for poll()/select() */
const char *vsimple_path(const struct vsimple *vs);

/* Device facts; cached at open, refreshed (label) by this call. */
int vsimple_info(struct vsimple *vs, struct virtio_simple_info *info);

/* One synchronous request: *status and *resp_len are set on success. */
int vsimple_call(struct vsimple *vs, uint16_t op, const void *req,
		 uint32_t len, void *resp, uint32_t cap, uint16_t *status,
		 uint32_t *resp_len);

/* Asynchronous: submit requests, then complete their responses (any order). */
int vsimple_submit(struct vsimple *vs, uint64_t id, uint16_t op,
		   const void *payload, uint32_t len);
int vsimple_complete(struct vsimple *vs, struct vsimple_response *resp,
		     void *payload, uint32_t cap);
/* Wait up to timeout_ms (-1: forever) for POLLIN/POLLOUT; returns revents. */
int vsimple_wait(struct vsimple *vs, short events, int timeout_ms);

/* Indexes of the present devices, ascending; returns how many (<= max). */
int vsimple_list(int *indexes, int max);

const char *vsimple_status_name(uint16_t status);

#endif /* LIBVSIMPLE_H */
