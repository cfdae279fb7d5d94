// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-simple request core: tags, the two virtqueues, and handing each
 * response to whoever asked.  Every lock here is dev->lock.
 *
 * A request counts against its device's limit until the device answers,
 * and against its file's limits until the response is read (vsimple.h).
 *
 * Interrupts: requestq's callback stays disabled (its descriptors are
 * reclaimed on the submit path and with every answer); responseq is
 * drained with its callback disabled and re-armed after, so one interrupt
 * serves a batch.  Response buffers are allocated in process context only
 * (refill work, with backoff), never in the interrupt handler.
 */
#include <linux/memcontrol.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/virtio_config.h>
#include "vsimple.h"

static size_t vsimple_buf_size(struct vsimple_dev *dev)
{
	return VSIMPLE_HDR_LEN + dev->max_payload;
}

int vsimple_state_err(struct vsimple_dev *dev)
{
	if (READ_ONCE(dev->dead))
		return -ENODEV;
	if (READ_ONCE(dev->broken))
		return -EIO;
	return 0;
}

/*
 * What an answer can pin at most: a whole response buffer, as the
 * allocator rounds it (16 + 64 KiB takes a 128 KiB block).
 */
static size_t vsimple_worst_cost(struct vsimple_dev *dev)
{
	return kmalloc_size_roundup(vsimple_buf_size(dev)) +
	       kmalloc_size_roundup(sizeof(struct vsimple_req));
}

/* The most requests one file may have at the device: not all of them. */
static unsigned int vsimple_file_share(struct vsimple_dev *dev)
{
	return max(1U, dev->max_in_flight - dev->max_in_flight / 4);
}

/* The device has read these requests: free them.  Lock held. */
static void vsimple_reclaim_requests(struct vsimple_dev *dev)
{
	unsigned int len;
	void *buf;

	while ((buf = virtqueue_get_buf(dev->req_vq, &len)))
		kfree(buf);
}

/*
 * A slot at the device, a descriptor in requestq (reclaimed here, on the
 * submit path, so a full ring waits instead of failing with -ENOSPC), and
 * a slot in @f (NULL: a synchronous call).  Lock held.
 */
bool vsimple_slot_free(struct vsimple_dev *dev, struct vsimple_file *f)
{
	if (dev->recovering || dev->in_flight >= dev->max_in_flight)
		return false;
	if (f && (f->pending >= dev->max_in_flight ||
		  f->at_device >= vsimple_file_share(dev) ||
		  f->unread_bytes + (f->at_device + 1) * vsimple_worst_cost(dev) >
		  VSIMPLE_FILE_BYTES))
		return false;
	if (!dev->req_vq->num_free)
		vsimple_reclaim_requests(dev);
	return dev->req_vq->num_free > 0;
}

/* Wait condition: a slot is free, or waiting is pointless.  Lock held. */
static bool vsimple_writable(struct vsimple_dev *dev, struct vsimple_file *f)
{
	return vsimple_state_err(dev) || vsimple_slot_free(dev, f);
}

/* A queued response was read or failed: free it and its file slot. */
void vsimple_resp_consumed(struct vsimple_file *f, struct vsimple_req *req)
{
	f->dev->unread--;
	f->dev->unread_bytes -= req->cost;
	f->unread_bytes -= req->cost;
	kfree(req->buf);
	kfree(req);
	f->pending--;
	wake_up_interruptible(&f->dev->write_wq);
}

/*
 * Hand a request's outcome to its waiter, its file, or nobody (the file was
 * closed).  The device is done with it either way.  Lock held.
 */
static void vsimple_deliver(struct vsimple_dev *dev, struct vsimple_req *req,
			    struct vsimple_buf *buf, size_t size, u32 len, int err)
{
	dev->slots[req->tag & (VSIMPLE_MAX_IN_FLIGHT - 1)] = NULL;
	dev->in_flight--;
	if (req->owner)
		req->owner->at_device--;
	wake_up_interruptible(&dev->write_wq);
	if (req->waiter) {
		struct vsimple_waiter *w = req->waiter;

		w->buf = buf;
		w->len = len;
		w->err = err;
		kfree(req);
		complete(&w->done);
	} else if (req->owner) {
		req->buf = buf;
		req->len = len;
		req->err = err;
		/* what the unread answer pins, charged to its file */
		req->cost = size + ksize(req);
		req->owner->unread_bytes += req->cost;
		dev->unread_bytes += req->cost;
		list_add_tail(&req->node, &req->owner->responses);
		dev->unread++;
		wake_up_interruptible(&req->owner->read_wq);
	} else {
		kfree(buf);
		kfree(req);
	}
}

/* Fail every request on its way, e.g. on removal or reset.  Lock held. */
void vsimple_fail_all(struct vsimple_dev *dev, int err)
{
	unsigned int i;

	for (i = 0; i < VSIMPLE_MAX_IN_FLIGHT; i++)
		if (dev->slots[i])
			vsimple_deliver(dev, dev->slots[i], NULL, 0, 0, err);
}

/* The request in flight sent first; NULL when none is.  Lock held. */
struct vsimple_req *vsimple_oldest_request(struct vsimple_dev *dev)
{
	struct vsimple_req *oldest = NULL;
	unsigned int i;

	for (i = 0; i < VSIMPLE_MAX_IN_FLIGHT; i++)
		if (dev->slots[i] &&
		    (!oldest || time_before(dev->slots[i]->sent, oldest->sent)))
			oldest = dev->slots[i];
	return oldest;
}

/* The request a tag names, if it is still in flight.  Lock held. */
static struct vsimple_req *vsimple_find(struct vsimple_dev *dev, u64 tag)
{
	struct vsimple_req *req = dev->slots[tag & (VSIMPLE_MAX_IN_FLIGHT - 1)];

	return req && req->tag == tag ? req : NULL;
}

static int vsimple_post_resp_buf(struct vsimple_dev *dev,
				 struct vsimple_buf *buf)
{
	struct scatterlist sg;

	sg_init_one(&sg, buf, vsimple_buf_size(dev));
	return virtqueue_add_inbuf(dev->resp_vq, &sg, 1, buf, GFP_ATOMIC);
}

/*
 * Give a buffer back to the device, or count it as missing.  What the
 * device wrote is cleared first, so no answer outlives its delivery in a
 * buffer that may later reach another file.  Lock held.
 */
static void vsimple_recycle(struct vsimple_dev *dev, struct vsimple_buf *buf,
			    unsigned int used)
{
	memset(buf, 0, min_t(size_t, used, vsimple_buf_size(dev)));
	if (!dev->dead && !dev->broken && !vsimple_post_resp_buf(dev, buf))
		return;
	kfree(buf);
	dev->resp_missing++;
}

/*
 * An answer of at most a page is copied into a buffer of its own size,
 * charged to the memory cgroup of the file that will hold it, so an unread
 * 1-byte answer pins tens of bytes, not a whole response buffer.  NULL:
 * too big, or no memory (the ring buffer then goes with the answer).
 */
static struct vsimple_buf *vsimple_copy_small(struct vsimple_dev *dev,
					      struct vsimple_req *req,
					      struct vsimple_buf *buf,
					      unsigned int used)
{
	struct mem_cgroup *old;
	struct vsimple_buf *copy;

	if (used > VSIMPLE_COPYBREAK || (!req->owner && !req->waiter))
		return NULL;	/* too big, or nobody will read it */
	old = set_active_memcg(req->owner ? req->owner->memcg : NULL);
	copy = kmalloc(used, GFP_ATOMIC | __GFP_ACCOUNT | __GFP_NOWARN);
	set_active_memcg(old);
	if (copy)
		memcpy(copy, buf, used);
	return copy;
}

static void vsimple_bad_response(struct vsimple_dev *dev, const char *why,
				 unsigned int used)
{
	dev->stats.bad_responses++;
	dev_warn_ratelimited(&dev->vdev->dev,
			     "bad response dropped: %s (used length %u)\n",
			     why, used);
}

/*
 * One used responseq buffer.  Nothing from the device is trusted: the used
 * length must be exactly 16 + the header's len, and the id and op must
 * name a request in flight.  A malformed answer to a known request fails
 * that request with -EIO (the device will not answer it again); one whose
 * id is unknown is only counted.  Buffers are zeroed when allocated, so a
 * device that claims bytes it never wrote exposes zeros, not old kernel
 * memory.  Lock held.
 */
static void vsimple_complete(struct vsimple_dev *dev, struct vsimple_buf *buf,
			     unsigned int used)
{
	struct vsimple_req *req = NULL;
	struct vsimple_buf *copy;
	const char *bad = NULL;
	u64 tag;
	u32 len;

	if (used < VSIMPLE_HDR_LEN || used > vsimple_buf_size(dev)) {
		vsimple_bad_response(dev, "used length out of range", used);
		goto recycle;
	}
	tag = le64_to_cpu(buf->hdr.id);
	req = vsimple_find(dev, tag);
	if (!req) {
		vsimple_bad_response(dev, "unknown id", used);
		goto recycle;
	}
	len = le32_to_cpu(buf->hdr.len);
	if (len != used - VSIMPLE_HDR_LEN)
		bad = "header len disagrees with the used length";
	else if (le16_to_cpu(buf->hdr.op) != req->op)
		bad = "op disagrees with the request";
	if (bad) {
		vsimple_bad_response(dev, bad, used);
		vsimple_deliver(dev, req, NULL, 0, 0, -EIO);
		goto recycle;
	}
	dev->stats.responses++;
	dev->stats.bytes_out += len;
	if (le16_to_cpu(buf->hdr.status) != VIRTIO_SIMPLE_S_OK)
		dev->stats.errors++;
	buf->hdr.id = cpu_to_le64(req->user_id);
	copy = vsimple_copy_small(dev, req, buf, used);
	if (copy) {
		vsimple_deliver(dev, req, copy, ksize(copy), len, 0);
		goto recycle;	/* the ring buffer goes straight back */
	}
	vsimple_deliver(dev, req, buf, ksize(buf), len, 0);
	dev->resp_missing++;		/* the buffer went with the response */
	return;
recycle:
	vsimple_recycle(dev, buf, used);
}

/*
 * responseq callback (interrupt context): drain with callbacks disabled,
 * re-arm, and drain again if more arrived meanwhile.  Buffers that left
 * with answers are replaced by the refill work, in process context.
 */
void vsimple_resp_done(struct virtqueue *vq)
{
	struct vsimple_dev *dev = vq->vdev->priv;
	struct vsimple_buf *buf;
	unsigned long flags;
	unsigned int used;

	spin_lock_irqsave(&dev->lock, flags);
	do {
		virtqueue_disable_cb(vq);
		while ((buf = virtqueue_get_buf(vq, &used)))
			vsimple_complete(dev, buf, used);
	} while (!virtqueue_enable_cb(vq));
	vsimple_reclaim_requests(dev);	/* answered: their requests were read */
	virtqueue_kick(vq);		/* recycled buffers */
	if (dev->resp_missing && !dev->dead && !dev->broken && !dev->recovering)
		queue_delayed_work(system_wq, &dev->refill_work, 0);
	spin_unlock_irqrestore(&dev->lock, flags);
	wake_up_interruptible(&dev->write_wq);	/* descriptors are free */
}

/*
 * Post buffers for those that left with answers.  An allocation that fails
 * is retried after a delay that doubles up to a second, so responseq is
 * never left short for good.
 */
void vsimple_refill_work(struct work_struct *work)
{
	struct vsimple_dev *dev = container_of(to_delayed_work(work),
					       struct vsimple_dev, refill_work);
	struct vsimple_buf *buf;

	for (;;) {
		buf = NULL;
		if (vsimple_test_fail_refill)	/* test only: vsimple_main.c */
			vsimple_test_fail_refill--;
		else
			buf = kzalloc(vsimple_buf_size(dev), GFP_KERNEL | __GFP_NOWARN);
		spin_lock_irq(&dev->lock);
		if (!dev->resp_missing || dev->dead || dev->broken ||
		    dev->recovering) {
			spin_unlock_irq(&dev->lock);
			kfree(buf);
			return;
		}
		if (!buf) {
			dev->refill_backoff = clamp(dev->refill_backoff * 2,
						    HZ / 100 + 1, (unsigned long)HZ);
			dev->stats.refill_failures++;
			queue_delayed_work(system_wq, &dev->refill_work,
					   dev->refill_backoff);
			spin_unlock_irq(&dev->lock);
			return;
		}
		if (vsimple_post_resp_buf(dev, buf)) {
			spin_unlock_irq(&dev->lock);
			kfree(buf);
			return;
		}
		dev->refill_backoff = 0;
		dev->resp_missing--;
		virtqueue_kick(dev->resp_vq);
		spin_unlock_irq(&dev->lock);
	}
}

/* requestq callback: disabled (see the top of this file); kept for MSI-X. */
void vsimple_req_done(struct virtqueue *vq)
{
	struct vsimple_dev *dev = vq->vdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&dev->lock, flags);
	vsimple_reclaim_requests(dev);
	spin_unlock_irqrestore(&dev->lock, flags);
	wake_up_interruptible(&dev->write_wq);
}

int vsimple_fill_resp_queue(struct vsimple_dev *dev)
{
	unsigned int i, n = min_t(unsigned int, VSIMPLE_RESP_BUFS,
				  virtqueue_get_vring_size(dev->resp_vq));
	struct vsimple_buf *buf;

	dev->resp_missing = 0;
	for (i = 0; i < n; i++) {
		if (vsimple_test_fail_init) {	/* test only: see vsimple_main.c */
			vsimple_test_fail_init--;
			return -ENOMEM;
		}
		buf = kzalloc(vsimple_buf_size(dev), GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		spin_lock_irq(&dev->lock);
		if (vsimple_post_resp_buf(dev, buf)) {
			spin_unlock_irq(&dev->lock);
			kfree(buf);
			return -ENOSPC;
		}
		spin_unlock_irq(&dev->lock);
	}
	return 0;
}

/* After a reset: free what the device never used. */
void vsimple_free_unused(struct vsimple_dev *dev)
{
	void *buf;

	while ((buf = virtqueue_detach_unused_buf(dev->resp_vq)))
		kfree(buf);
	while ((buf = virtqueue_detach_unused_buf(dev->req_vq)))
		kfree(buf);
}

/*
 * Prepare the requestq notification under the lock; vsimple_notify() then
 * writes the doorbell outside it (virtio_blk's split), so other CPUs'
 * submitters and the completion handler do not wait on a VM exit.  Lock
 * held.
 */
static void vsimple_kick_prepare(struct vsimple_dev *dev,
				 struct vsimple_kick *k)
{
	k->needed = virtqueue_kick_prepare(dev->req_vq);
	k->vq = dev->req_vq;
	k->gen = dev->vq_gen;
}

/*
 * The queues may be deleted once the lock is dropped: teardown bumps
 * vq_gen under the lock and waits for an RCU grace period before deleting
 * them, so a notify that still sees its generation is done before then.
 */
static void vsimple_notify(struct vsimple_dev *dev, struct vsimple_kick *k)
{
	if (!k->needed)
		return;
	rcu_read_lock();
	if (READ_ONCE(dev->vq_gen) == k->gen)
		virtqueue_notify(k->vq);
	rcu_read_unlock();
}

/* Notify the device of requests added without a kick. */
void vsimple_kick_requests(struct vsimple_dev *dev)
{
	struct vsimple_kick k = { .needed = false };

	spin_lock_irq(&dev->lock);
	if (!vsimple_state_err(dev) && !dev->recovering)
		vsimple_kick_prepare(dev, &k);
	spin_unlock_irq(&dev->lock);
	vsimple_notify(dev, &k);
}

/*
 * Send one request for a file (@owner) or a synchronous caller (@waiter).
 * The payload is copied before waiting for a slot; an interrupted wait
 * sends nothing.  Nothing is allocated under the lock.  With @more the
 * device is not notified yet (a batch: vsimple_kick_requests() after the
 * last one); what was added is notified before any wait.
 */
int vsimple_submit(struct vsimple_dev *dev, struct vsimple_file *owner,
		   struct vsimple_waiter *waiter, u64 user_id, u16 op,
		   const void __user *upayload, u32 len, bool nonblock,
		   bool more)
{
	struct vsimple_kick k = { .needed = false };
	struct virtio_simple_hdr *hdr;
	struct vsimple_req *req;
	struct scatterlist sg;
	unsigned int slot;
	int err;

	if (len > dev->max_payload)
		return -EMSGSIZE;
	/* charged to the caller: a blocked writer holds its payload */
	hdr = kmalloc(VSIMPLE_HDR_LEN + len, GFP_KERNEL_ACCOUNT);
	req = kzalloc(sizeof(*req), GFP_KERNEL_ACCOUNT);
	if (!hdr || !req) {
		err = -ENOMEM;
		goto free;
	}
	if (copy_from_user(hdr + 1, upayload, len)) {
		err = -EFAULT;
		goto free;
	}

	spin_lock_irq(&dev->lock);
	if (!vsimple_writable(dev, owner) && !dev->recovering)
		virtqueue_kick(dev->req_vq);	/* a batch so far: do not sit on it */
	if (!nonblock)
		err = wait_event_interruptible_lock_irq(dev->write_wq,
							vsimple_writable(dev, owner),
							dev->lock);
	else
		err = 0;
	if (!err)
		err = vsimple_state_err(dev);
	if (!err && !vsimple_slot_free(dev, owner))
		err = -EAGAIN;
	if (err)
		goto unlock;

	for (slot = 0; dev->slots[slot]; slot++)
		;	/* in_flight < max_in_flight: a free slot exists */
	req->tag = (u64)dev->generation++ << VSIMPLE_TAG_SLOT_BITS | slot;
	req->sent = jiffies;
	req->op = op;
	req->user_id = user_id;
	req->owner = owner;
	req->waiter = waiter;
	hdr->id = cpu_to_le64(req->tag);
	hdr->op = cpu_to_le16(op);
	hdr->status = 0;
	hdr->len = cpu_to_le32(len);
	sg_init_one(&sg, hdr, VSIMPLE_HDR_LEN + len);
	/* a descriptor is free; a surprise removal can still break the ring */
	err = virtqueue_add_outbuf(dev->req_vq, &sg, 1, hdr, GFP_ATOMIC);
	if (err)
		goto unlock;
	dev->slots[slot] = req;
	if (waiter)
		waiter->req = req;
	if (owner) {
		owner->pending++;
		owner->at_device++;
	}
	dev->in_flight++;
	dev->stats.requests++;
	dev->stats.bytes_in += len;
	if (!more)
		vsimple_kick_prepare(dev, &k);
	vsimple_arm_watchdog(dev);
	spin_unlock_irq(&dev->lock);
	vsimple_notify(dev, &k);
	return 0;

unlock:
	spin_unlock_irq(&dev->lock);
free:
	kfree(hdr);
	kfree(req);
	return err;
}

/*
 * One synchronous request.  On 0, w->buf holds the response (the caller
 * frees it).  An interrupted call abandons the request: its answer is
 * dropped on arrival, and the call returns -EINTR, never restarts.
 */
int vsimple_call(struct vsimple_dev *dev, u16 op, const void __user *ureq,
		 u32 len, struct vsimple_waiter *w)
{
	int err;

	init_completion(&w->done);
	w->buf = NULL;
	w->err = 0;
	err = vsimple_submit(dev, NULL, w, 0, op, ureq, len, false, false);
	if (err)
		return err;
	if (wait_for_completion_interruptible(&w->done)) {
		spin_lock_irq(&dev->lock);
		if (!completion_done(&w->done)) {
			w->req->waiter = NULL;
			spin_unlock_irq(&dev->lock);
			return -EINTR;
		}
		spin_unlock_irq(&dev->lock);
	}
	if (w->err) {
		kfree(w->buf);
		w->buf = NULL;
	}
	return w->err;
}
