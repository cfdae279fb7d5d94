/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-simple driver: state shared by the driver's files. */
#ifndef VSIMPLE_H
#define VSIMPLE_H

#include <linux/bits.h>
#include <linux/bvec.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/uidgid.h>
#include <linux/uio.h>
#include <linux/virtio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/virtio_simple.h>
#include "vsimple_compat.h"

struct io_uring_cmd;

#define VSIMPLE_HDR_LEN		sizeof(struct virtio_simple_hdr)
/*
 * Response buffers kept posted on responseq: one per request that can be
 * in flight, within about VSIMPLE_RESP_BYTES of payload chunks, but never
 * fewer than VSIMPLE_RESP_BUFS_MIN (nor more than fit in the ring).
 */
#define VSIMPLE_RESP_BUFS_MIN	16
#define VSIMPLE_RESP_BYTES	SZ_4M
/*
 * max_in_flight (this, or the ring size if smaller) bounds the requests at
 * the device.  Shares of it (vsimple_core.c): a user's files together hold
 * at most three quarters of it, and always leave one slot to other users
 * (a ring of 2 included); one file at most three quarters of its user's
 * share, so a user's other files are not starved either.  A file's
 * requests written but not yet read are bounded by all of it (so a file
 * that does not read stalls only itself).  Tags come from a table of this many slots, so sending
 * allocates nothing under the lock; the slot's generation in the tag's
 * upper bits tells a late answer for an earlier request from one for the
 * slot's current request.
 */
#define VSIMPLE_TAG_SLOT_BITS	6
#define VSIMPLE_MAX_IN_FLIGHT	BIT(VSIMPLE_TAG_SLOT_BITS)
/*
 * Memory held for user space (docs/driver.md): answers whose copy fits in
 * a page are copied into buffers of their own size; a bigger one keeps
 * only the payload chunks it filled.  A file's unread answers plus the
 * worst case of its requests at the device (a whole response buffer each)
 * stay within VSIMPLE_FILE_BYTES: past it, its writes wait for reads.
 */
#define VSIMPLE_COPYBREAK		PAGE_SIZE
#define VSIMPLE_FILE_BYTES		SZ_8M
/*
 * Big answers keep the ring's pages, which the refill allocated and no
 * cgroup pays for.  Per device at most this much stays so; past it, a big
 * answer is copied into pages charged to its file's opener too, so the
 * opener's cgroup limit bounds what many files can pin.
 */
#define VSIMPLE_DEV_UNCHARGED		SZ_32M
/*
 * Those copies are made by the file's charge work, in process context.
 * Until then an answer stays in the ring's pages: past this much more, a
 * big answer fails (S_ENOMEM) instead, so the bound holds even when the
 * works fall behind (a cgroup at its limit makes each copy reclaim first).
 */
#define VSIMPLE_DEV_CHARGING		SZ_16M
/*
 * io_uring calls past the file's share wait in its backlog, their payload
 * taken (pages held, or copied and charged to the caller), and go to the
 * device from the completion path as answers free slots: no worker thread
 * and one notification per batch.  At most this many per file; past it a
 * call waits in an io_uring worker as a write() waits.
 */
#define VSIMPLE_BACKLOG_MAX		VSIMPLE_MAX_IN_FLIGHT

/* vsimple_main.c: module parameters */
extern unsigned int vsimple_request_timeout_ms;
extern unsigned int vsimple_busy_poll_us;
#define VSIMPLE_TIMEOUT_MIN_MS		(VIRTIO_SIMPLE_DELAY_MAX_US / 1000)
#define VSIMPLE_TIMEOUT_MAX_MS		3600000
/*
 * Recoveries in a row with no answer in between: the first at once, then
 * after 100, 200, 400 and 800 ms; past the last the driver gives up.
 */
#define VSIMPLE_RECOVERY_MAX		5
#define VSIMPLE_RECOVERY_BACKOFF_MS	100
#define VSIMPLE_BUSY_POLL_MAX_US	5000

/*
 * A message.  A response posted on responseq is the header plus payload
 * chunks of dev->chunk_size bytes (a page when the ring allows: no
 * high-order allocation), room for max_payload bytes; an answer keeps only
 * the chunks it filled.  An answer copied out of the ring has no chunks:
 * its payload follows the header in data[].  A request is the same: up to
 * a page in all, its payload follows the header; a bigger one is cut into
 * page chunks (vsimple_request_order()).
 */
struct vsimple_buf {
	unsigned int nchunks;		/* in chunk[]; 0: payload in data[] */
	unsigned int order;		/* of each chunk's pages */
	unsigned int borrowed;		/* sent in place: pages held in bvec[] */
	unsigned int out_pages;		/* of those, the payload's (the rest: room) */
	/*
	 * A request sent with room for its answer (ANSWER_IN_PLACE): its tag
	 * and the answer's header, device-writable, the payload room after
	 * it (pages in chunk[] too).  Kept here, not in the caller's pages,
	 * so what is checked is what the caller cannot change meanwhile.
	 */
	bool in_place;
	u32 room;			/* answer payload bytes that fit */
	u64 tag;
	struct virtio_simple_hdr ans;
	struct virtio_simple_hdr hdr;	/* data[] follows it: one sg entry */
	union {
		DECLARE_FLEX_ARRAY(struct page *, chunk);
		DECLARE_FLEX_ARRAY(u8, data);
		DECLARE_FLEX_ARRAY(struct bio_vec, bvec);	/* borrowed */
	};
};

/* A synchronous caller waiting for one response. */
struct vsimple_waiter {
	struct completion done;
	struct vsimple_req *req;	/* valid until done */
	int err;			/* 0, -EIO, -ENODEV */
	struct vsimple_buf *buf;	/* the response, owned by the caller */
	u32 len;
	size_t uncharged;		/* of buf, in dev->uncharged_bytes */
};

/*
 * A request, from write() until its response is read.  The wire id is its
 * tag; once answered it sits on its file's response list.
 */
struct vsimple_req {
	u64 tag;			/* generation << 8 | slot */
	unsigned long sent;		/* jiffies, for the request timeout */
	u16 op;
	u64 user_id;			/* the caller's id, given back */
	struct vsimple_file *owner;	/* stream request (NULL once closed) */
	struct vsimple_file *file;	/* whose share of the device it uses */
	kuid_t uid;			/* and whose user's (file's opener) */
	struct vsimple_waiter *waiter;	/* or synchronous call */
	bool room_out;			/* its room for the answer is at the device */
	struct io_uring_cmd *ucmd;	/* or io_uring call (has an owner) */
	/* in owner->responses once answered, or in its backlog unsent */
	struct list_head node;
	struct vsimple_buf *waiting;	/* in the backlog: the request */
	struct list_head charge_node;	/* in owner->charge_list, charging */
	bool charging;			/* its copy is being charged: not readable */
	int err;			/* -EIO/-ENODEV: failed, no response */
	bool in_place;			/* answered in the caller's pages: ... */
	struct virtio_simple_hdr hdr;	/* ... its header, checked */
	u32 len;			/* response payload bytes */
	struct vsimple_buf *buf;	/* the response */
	size_t cost;			/* bytes it pins while unread */
	size_t uncharged;		/* of those, not charged to a cgroup */
};

/* A requestq notification prepared under the lock, sent outside it. */
struct vsimple_kick {
	struct virtqueue *vq;
	unsigned int gen;
	bool needed;
};

/*
 * Answers copied for a reader, in the interrupt handler (small ones),
 * charged to its cgroup.  Not GFP_ATOMIC: its __GFP_HIGH makes memcg
 * force the charge past memory.max; without it a full cgroup fails the
 * copy (ENOMEM to the reader) instead.  Big ones past the uncharged pool
 * are copied by the charge work, in process context: it may reclaim, and
 * __GFP_RETRY_MAYFAIL makes a full cgroup fail it rather than OOM-kill.
 */
#define VSIMPLE_GFP_CHARGED	(GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN)
#define VSIMPLE_GFP_CHARGE_WORK	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | \
				 __GFP_NOWARN)

struct vsimple_stats {
	u64 requests, responses, errors, bytes_in, bytes_out, bad_responses;
	u64 recoveries, refill_failures, refill_allocations;
	u64 polled;			/* answers taken by busy polling */
	u64 sent_in_place;		/* requests sent from registered pages */
	u64 answered_in_place;		/* answers the device wrote into them */
	u64 backlogged;			/* io_uring calls that waited in a backlog */
	u64 charged_copies;		/* big answers the charge work copied */
};

struct vsimple_dev {
	struct kref ref;		/* the device's own + one per open file */
	struct virtio_device *vdev;
	struct virtqueue *req_vq;
	struct virtqueue *resp_vq;
	u32 max_payload;
	unsigned int chunk_order;	/* response payload chunks: pages << it */
	unsigned int chunks;		/* per response buffer */
	struct scatterlist *resp_sg;	/* chunks + 1 entries, under lock */
	struct scatterlist *req_sg;	/* req_sg_len entries, under lock */
	unsigned int req_sg_len;	/* twice that and two: sent in place */
	bool indirect;			/* VIRTIO_RING_F_INDIRECT_DESC, negotiated */
	/*
	 * VIRTIO_SIMPLE_F_ANSWER_IN_PLACE negotiated, and indirect: a chain
	 * with room for max_payload takes one descriptor, not twenty
	 */
	bool answer_in_place;
	int minor;
	struct device *node;		/* /dev/virtio-simpleN */

	/*
	 * Protects everything below, the vqs and every file's list.  The
	 * three state flags are also read without it (READ_ONCE).
	 */
	spinlock_t lock;
	bool dead;			/* removed: every call gets -ENODEV */
	bool broken;			/* frozen, or recovery failed: -EIO */
	bool recovering;		/* being reset: new calls wait */
	struct vsimple_req *slots[VSIMPLE_MAX_IN_FLIGHT]; /* in flight */
	unsigned int vq_gen;		/* bumped before the queues go */
	u32 generation;			/* of the next tag */
	unsigned int in_flight;		/* at the device */
	unsigned int unread;		/* answered, queued on a file */
	size_t unread_bytes;		/* what those pin */
	size_t uncharged_bytes;		/* of those, not charged to a cgroup */
	unsigned int max_in_flight;
	unsigned int req_ring, resp_ring;	/* sizes, for IOC_INFO */
	unsigned int resp_bufs;		/* response buffers to keep posted */
	unsigned int resp_missing;	/* buffers to post again */
	unsigned int pollers;		/* busy polling: interrupt left off */
	/*
	 * requests with room for their answer at the device: requestq's
	 * interrupt is on while there are any (ANSWER_IN_PLACE)
	 */
	unsigned int in_place_out;
	struct list_head spare;		/* chunks an answer did not fill */
	unsigned int nspare;
	unsigned long refill_backoff;	/* jiffies before the next try */
	bool desc_wait;			/* a writer waits for descriptors */
	struct list_head files;
	struct vsimple_stats stats;
	char label[VIRTIO_SIMPLE_LABEL_SIZE];

	struct delayed_work refill_work;
	/*
	 * Sends backlogs in process context: after a completion that woke
	 * writers (they get the first go at the freed slots), or some time
	 * after an allocation failed in the interrupt handler.
	 */
	struct delayed_work backlog_work;
	bool writers_woken;		/* since the last flush */
	struct work_struct config_work;
	struct work_struct recover_work;	/* reset and go on */
	unsigned int charging;			/* answers its files' charge works copy */
	struct delayed_work watchdog;		/* finds requests past the timeout */
	unsigned int recover_streak;		/* recoveries since the last answer */
	u64 watchdog_tag;			/* the oldest, when it last expired */
	bool watchdog_warned;
};

struct vsimple_file {
	struct vsimple_dev *dev;
	struct list_head node;		/* in dev->files */
	struct list_head responses;	/* answered struct vsimple_req */
	unsigned int pending;		/* written, response not yet read */
	unsigned int at_device;		/* written, not yet answered */
	unsigned int read_batch;	/* answers per read(), at most */
	struct list_head backlog;	/* io_uring calls waiting for a slot */
	unsigned int nbacklog;
	size_t unread_bytes;		/* pinned by the unread answers */
	struct mem_cgroup *memcg;	/* of the opener: pays for the copies */
	kuid_t uid;			/* of the opener: the user's share */
	wait_queue_head_t read_wq;
	wait_queue_head_t write_wq;	/* writers and callers awaiting a slot */
	struct work_struct charge_work;	/* copies its answers past the pool */
	struct list_head charge_list;	/* the answers it has to copy */
};

/*
 * One request to send (vsimple_submit()): a stream request, answered on
 * its file's read(), a synchronous call (@waiter) or an io_uring call
 * (@ucmd, vsimple_uring.c).
 */
struct vsimple_send {
	u64 user_id;
	u16 op;
	u32 len;			/* payload bytes */
	struct iov_iter *from;		/* the payload: copied, unless ... */
	bool in_place;			/* ... registered pages: sent as they are */
	struct iov_iter *answer_to;	/* and room there for the answer, or NULL */
	struct vsimple_waiter *waiter;
	struct io_uring_cmd *ucmd;
	bool nonblock;			/* -EAGAIN instead of waiting */
	bool more;			/* a batch: notified later */
};

/* vsimple_core.c: requests and responses */
int vsimple_submit(struct vsimple_dev *dev, struct vsimple_file *f,
		   const struct vsimple_send *s);
void vsimple_flush_backlogs(struct vsimple_dev *dev);
void vsimple_backlog_work(struct work_struct *work);
void vsimple_fail_backlogs(struct vsimple_dev *dev, int err);
void vsimple_kick_requests(struct vsimple_dev *dev);
int vsimple_call(struct vsimple_dev *dev, struct vsimple_file *f, u16 op,
		 const void __user *ureq, u32 len, struct vsimple_waiter *w);
void vsimple_call_done(struct vsimple_dev *dev, struct vsimple_waiter *w);
void vsimple_resp_consumed(struct vsimple_file *f, struct vsimple_req *req);
void vsimple_free_buf(struct vsimple_buf *buf);
int vsimple_copy_payload(void __user *to, const struct vsimple_buf *buf,
			 u32 len);
size_t vsimple_copy_payload_iter(struct iov_iter *to,
				 const struct vsimple_buf *buf, u32 len);
void vsimple_failure_hdr(const struct vsimple_req *req,
			 struct virtio_simple_hdr *hdr);
int vsimple_state_err(struct vsimple_dev *dev);
bool vsimple_slot_free(struct vsimple_dev *dev, struct vsimple_file *f,
		       bool stream, unsigned int descs);
void vsimple_fail_all(struct vsimple_dev *dev, int err, bool stopped);
struct vsimple_req *vsimple_oldest_request(struct vsimple_dev *dev);
void vsimple_req_done(struct virtqueue *vq);
void vsimple_resp_done(struct virtqueue *vq);
void vsimple_busy_poll(struct vsimple_dev *dev, bool (*ready)(void *),
		       void *arg);
void vsimple_refill_work(struct work_struct *work);
int vsimple_fill_resp_queue(struct vsimple_dev *dev);
void vsimple_free_unused(struct vsimple_dev *dev);
void vsimple_free_spare(struct vsimple_dev *dev);
void vsimple_charge_work(struct work_struct *work);

/* vsimple_main.c: probe, remove, power management, recovery */
void vsimple_dev_put(struct vsimple_dev *dev);
void vsimple_schedule_recovery(struct vsimple_dev *dev);
void vsimple_arm_watchdog(struct vsimple_dev *dev);

/* vsimple_cdev.c */
int vsimple_cdev_init(void);
void vsimple_cdev_exit(void);
int vsimple_cdev_add(struct vsimple_dev *dev);
void vsimple_cdev_remove(struct vsimple_dev *dev);
void vsimple_wake_all(struct vsimple_dev *dev);
void vsimple_wake_writers(struct vsimple_dev *dev, const kuid_t *uid);

/* vsimple_uring.c: io_uring passthrough */
int vsimple_uring_cmd(struct io_uring_cmd *ucmd, unsigned int issue_flags);
void vsimple_uring_answered(struct vsimple_req *req);
bool vsimple_uring_plugged(struct vsimple_dev *dev);

/* vsimple_sysfs.c */
extern const struct attribute_group *vsimple_groups[];

#endif /* VSIMPLE_H */
