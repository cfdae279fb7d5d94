/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-simple driver: state shared by the driver's files. */
#ifndef VSIMPLE_H
#define VSIMPLE_H

#include <linux/completion.h>
#include <linux/device.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/virtio_simple.h>

#define VSIMPLE_HDR_LEN		sizeof(struct virtio_simple_hdr)
/* Response buffers kept posted on responseq. */
#define VSIMPLE_RESP_BUFS	16
/*
 * Limits, both of max_in_flight: requests at the device, per device; and
 * requests written but whose response is not yet read, per file.  The
 * second bounds the memory held for unread responses by each open file;
 * counting it per file lets no reader stall another's writes.
 */
#define VSIMPLE_MAX_IN_FLIGHT	64

/* A responseq buffer: header + max_payload bytes. */
struct vsimple_buf {
	struct virtio_simple_hdr hdr;
	u8 payload[];
};

/* A synchronous caller waiting for one response. */
struct vsimple_waiter {
	struct completion done;
	struct vsimple_req *req;	/* valid until done */
	int err;			/* 0, -EIO, -ENODEV */
	struct vsimple_buf *buf;	/* the response, owned by the caller */
	u32 len;
};

/*
 * A request, from write() until its response is read.  The wire id is its
 * tag; once answered it sits on its file's response list.
 */
struct vsimple_req {
	u32 tag;
	u16 op;
	u64 user_id;			/* the caller's id, given back */
	struct vsimple_file *owner;	/* stream request (NULL once closed) */
	struct vsimple_waiter *waiter;	/* or synchronous call */
	struct list_head node;		/* in owner->responses once answered */
	int err;			/* -EIO/-ENODEV: failed, no response */
	u32 len;			/* response payload bytes */
	struct vsimple_buf *buf;	/* the response */
};

struct vsimple_stats {
	u64 requests, responses, errors, bytes_in, bytes_out, bad_responses;
};

struct vsimple_dev {
	struct kref ref;		/* the device's own + one per open file */
	struct virtio_device *vdev;
	struct virtqueue *req_vq;
	struct virtqueue *resp_vq;
	u32 max_payload;
	int minor;
	struct device *node;		/* /dev/virtio-simpleN */

	/* Protects everything below, the vqs and every file's list. */
	spinlock_t lock;
	bool dead;			/* removed: every call gets -ENODEV */
	bool broken;			/* NEEDS_RESET, frozen: -EIO */
	struct idr tags;		/* tag -> struct vsimple_req */
	unsigned int in_flight;		/* at the device */
	unsigned int max_in_flight;
	unsigned int resp_missing;	/* buffers to post again */
	wait_queue_head_t write_wq;	/* writers waiting for a slot */
	struct list_head files;
	struct vsimple_stats stats;
	char label[VIRTIO_SIMPLE_LABEL_SIZE];

	struct work_struct refill_work;
	struct work_struct config_work;
};

struct vsimple_file {
	struct vsimple_dev *dev;
	struct list_head node;		/* in dev->files */
	struct list_head responses;	/* answered struct vsimple_req */
	unsigned int pending;		/* written, response not yet read */
	wait_queue_head_t read_wq;
};

/* vsimple_core.c: requests and responses */
int vsimple_submit(struct vsimple_dev *dev, struct vsimple_file *owner,
		   struct vsimple_waiter *waiter, u64 user_id, u16 op,
		   const void __user *upayload, u32 len, bool nonblock);
int vsimple_call(struct vsimple_dev *dev, u16 op, const void __user *ureq,
		 u32 len, struct vsimple_waiter *w);
void vsimple_resp_consumed(struct vsimple_file *f, struct vsimple_req *req);
int vsimple_state_err(struct vsimple_dev *dev);
void vsimple_fail_all(struct vsimple_dev *dev, int err);
void vsimple_req_done(struct virtqueue *vq);
void vsimple_resp_done(struct virtqueue *vq);
void vsimple_refill_work(struct work_struct *work);
int vsimple_fill_resp_queue(struct vsimple_dev *dev);
void vsimple_free_unused(struct vsimple_dev *dev);

/* vsimple_main.c: probe, remove, power management */
void vsimple_dev_put(struct vsimple_dev *dev);

/* vsimple_cdev.c */
int vsimple_cdev_init(void);
void vsimple_cdev_exit(void);
int vsimple_cdev_add(struct vsimple_dev *dev);
void vsimple_cdev_remove(struct vsimple_dev *dev);
void vsimple_wake_all(struct vsimple_dev *dev);

/* vsimple_sysfs.c */
extern const struct attribute_group *vsimple_groups[];

#endif /* VSIMPLE_H */
