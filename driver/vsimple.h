/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-simple driver: per-device state shared by the driver's files. */
#ifndef VSIMPLE_H
#define VSIMPLE_H

#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <uapi/virtio_simple.h>

/* Response buffers kept posted on responseq. */
#define VSIMPLE_RESP_BUFS 8

struct vsimple_resp_buf {
	struct virtio_simple_hdr hdr;
	u8 payload[];
};

struct virtio_simple {
	struct virtio_device *vdev;
	struct virtqueue *req_vq;
	struct virtqueue *resp_vq;
	u32 max_payload;

	/* Protects both virtqueues and the pending call below. */
	spinlock_t lock;
	bool removing;

	/* One synchronous call at a time (the debugfs knob). */
	struct mutex call_lock;
	struct completion call_done;
	u64 next_id;
	u64 call_id;
	bool call_pending;
	u16 call_status;
	u32 call_len;
	u8 *call_resp;		/* max_payload bytes */

	struct dentry *debugfs;
};

int vsimple_call(struct virtio_simple *vs, u16 op, const void *req, u32 len,
		 u16 *status, u32 *resp_len);

void vsimple_debugfs_init(void);
void vsimple_debugfs_exit(void);
void vsimple_debugfs_add(struct virtio_simple *vs);
void vsimple_debugfs_remove(struct virtio_simple *vs);

#endif /* VSIMPLE_H */
