// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-simple request core: tags, the two virtqueues, and handing each
 * response to whoever asked.  Every lock here is dev->lock.
 *
 * A request counts against its device's limit until the device answers,
 * and against its file's limits until the response is read (vsimple.h).
 *
 * Interrupts: requestq's callback stays disabled (its descriptors are
 * reclaimed on the submit path and with every answer) unless requests with
 * room for their answer are out (ANSWER_IN_PLACE): then it carries answers
 * and is drained and re-armed as responseq is; responseq is
 * drained with its callback disabled and re-armed after, so one interrupt
 * serves a batch.  Response buffers are allocated in process context only
 * (refill work, with backoff), never in the interrupt handler.
 */
#include <linux/error-injection.h>
#include <linux/memcontrol.h>
#include <linux/rcupdate.h>
#include <linux/scatterlist.h>
#include <linux/sched/clock.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
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

static size_t vsimple_chunk_size(const struct vsimple_buf *buf)
{
	return PAGE_SIZE << buf->order;
}

/*
 * What an answer can pin at most: a whole response buffer (its struct, as
 * the allocator rounds it, and every chunk) and the request's bookkeeping.
 */
static size_t vsimple_worst_cost(struct vsimple_dev *dev)
{
	struct vsimple_buf *buf = NULL;

	return kmalloc_size_roundup(struct_size(buf, chunk, dev->chunks)) +
	       ((size_t)dev->chunks << (PAGE_SHIFT + dev->chunk_order)) +
	       kmalloc_size_roundup(sizeof(struct vsimple_req));
}

/*
 * The most requests one user's files may have at the device together:
 * three quarters, and one slot always left to others (vsimple.h).
 */
static unsigned int vsimple_user_share(struct vsimple_dev *dev)
{
	unsigned int m = dev->max_in_flight;

	return max(1U, m - max(1U, m / 4));
}

/* The most one file may have: three quarters of its user's share. */
static unsigned int vsimple_file_share(struct vsimple_dev *dev)
{
	unsigned int u = vsimple_user_share(dev);

	return u - u / 4;
}

/* Requests of @uid's files at the device (at most 64 slots).  Lock held. */
static unsigned int vsimple_user_at_device(struct vsimple_dev *dev, kuid_t uid)
{
	unsigned int i, n = 0;

	for (i = 0; i < VSIMPLE_MAX_IN_FLIGHT; i++)
		if (dev->slots[i] && uid_eq(dev->slots[i]->uid, uid))
			n++;
	return n;
}

/*
 * Wake the writers and callers that may proceed: those of @uid's files,
 * or with NULL of every file.  Lock held.
 */
void vsimple_wake_writers(struct vsimple_dev *dev, const kuid_t *uid)
{
	struct vsimple_file *f;

	list_for_each_entry(f, &dev->files, node)
		if (!uid || uid_eq(f->uid, *uid)) {
			if (wq_has_sleeper(&f->write_wq))
				dev->writers_woken = true;
			wake_up_interruptible(&f->write_wq);
		}
}

/* Descriptors came back to requestq: wake whoever waited for them. */
static void vsimple_wake_desc_waiters(struct vsimple_dev *dev)
{
	if (dev->desc_wait) {
		dev->desc_wait = false;
		vsimple_wake_writers(dev, NULL);
	}
}

static struct vsimple_req *vsimple_find(struct vsimple_dev *dev, u64 tag);
static bool vsimple_flush_file(struct vsimple_dev *dev, struct vsimple_file *f);
static bool vsimple_flush_all(struct vsimple_dev *dev);
static void vsimple_answered_in_place(struct vsimple_dev *dev,
				      struct vsimple_req *req,
				      struct vsimple_buf *rb, unsigned int used);

/*
 * The device has read these requests: free them.  One sent with room for
 * its answer comes back with the answer in it (a used length), or empty
 * when answered on responseq.  requestq's interrupt is only wanted while
 * such requests are out.  Lock held.
 */
static void vsimple_reclaim_requests(struct vsimple_dev *dev)
{
	struct vsimple_buf *rb;
	unsigned int len;

	struct vsimple_req *req;

	while ((rb = virtqueue_get_buf(dev->req_vq, &len))) {
		if (rb->in_place) {
			dev->in_place_out--;
			req = vsimple_find(dev, rb->tag);
			if (len)
				vsimple_answered_in_place(dev, req, rb, len);
			else if (req)	/* its answer comes on responseq */
				req->room_out = false;
		}
		vsimple_free_buf(rb);
	}
	if (!dev->in_place_out)
		virtqueue_disable_cb(dev->req_vq);
}

/*
 * A slot at the device, @descs descriptors in requestq (reclaimed here, on
 * the submit path, so a full ring waits instead of failing with -ENOSPC),
 * and room in @f: its share of the device, for a stream request (@stream) or
 * a synchronous call alike, and for a stream request its unread limits.
 * Lock held.
 */
/* @f's own limits on what it wrote and has not read.  Lock held. */
static bool vsimple_stream_room(struct vsimple_dev *dev, struct vsimple_file *f)
{
	return f->pending < dev->max_in_flight &&
	       f->unread_bytes + (f->at_device + 1) * vsimple_worst_cost(dev) <=
	       VSIMPLE_FILE_BYTES;
}

bool vsimple_slot_free(struct vsimple_dev *dev, struct vsimple_file *f,
		       bool stream, unsigned int descs)
{
	if (dev->recovering || dev->in_flight >= dev->max_in_flight)
		return false;
	if (f->at_device >= vsimple_file_share(dev) ||
	    vsimple_user_at_device(dev, f->uid) >= vsimple_user_share(dev))
		return false;
	if (stream && !vsimple_stream_room(dev, f))
		return false;
	if (dev->req_vq->num_free < descs)
		vsimple_reclaim_requests(dev);
	if (dev->req_vq->num_free >= descs)
		return true;
	dev->desc_wait = true;	/* woken when the device gives some back */
	return false;
}

/* Wait condition: a slot is free, or waiting is pointless.  Lock held. */
static bool vsimple_writable(struct vsimple_dev *dev, struct vsimple_file *f,
			     bool stream, unsigned int descs)
{
	return vsimple_state_err(dev) ||
	       vsimple_slot_free(dev, f, stream, descs);
}

/* A queued response was read or failed: free it and its file slot. */
void vsimple_resp_consumed(struct vsimple_file *f, struct vsimple_req *req)
{
	f->dev->unread--;
	f->dev->unread_bytes -= req->cost;
	f->dev->uncharged_bytes -= req->uncharged;
	f->unread_bytes -= req->cost;
	vsimple_free_buf(req->buf);
	kfree(req);
	f->pending--;
	wake_up_interruptible(&f->write_wq);	/* its own limits alone */
	if (f->nbacklog && vsimple_flush_file(f->dev, f))
		virtqueue_kick(f->dev->req_vq);
}

/*
 * Hand a request's outcome to its waiter, its file, or nobody (the file was
 * closed).  The device is done with it either way.  Lock held.
 */
static void vsimple_deliver(struct vsimple_dev *dev, struct vsimple_req *req,
			    struct vsimple_buf *buf, size_t size, u32 len, int err,
			    bool charged)
{
	bool dev_full = dev->in_flight >= dev->max_in_flight;
	bool user_full = vsimple_user_at_device(dev, req->uid) >=
			 vsimple_user_share(dev);

	dev->slots[req->tag & (VSIMPLE_MAX_IN_FLIGHT - 1)] = NULL;
	dev->in_flight--;
	if (req->file)
		req->file->at_device--;
	/* only those the freed slot can let through, not every sleeper */
	if (dev_full || user_full) {
		vsimple_wake_writers(dev, dev_full ? NULL : &req->uid);
	} else if (req->file) {
		if (wq_has_sleeper(&req->file->write_wq))
			dev->writers_woken = true;
		wake_up_interruptible(&req->file->write_wq);
	}
	if (req->waiter) {
		struct vsimple_waiter *w = req->waiter;

		w->buf = buf;
		w->len = len;
		w->err = err;
		/* ring pages held while the caller copies: in the pool too */
		w->uncharged = charged ? 0 : size;
		dev->uncharged_bytes += w->uncharged;
		kfree(req);
		complete(&w->done);
	} else if (req->owner) {
		req->buf = buf;
		req->len = len;
		req->err = err;
		/* what the unread answer pins, charged to its file */
		req->cost = size + ksize(req);
		req->uncharged = charged ? 0 : size;
		req->owner->unread_bytes += req->cost;
		dev->unread_bytes += req->cost;
		dev->uncharged_bytes += req->uncharged;
		dev->unread++;
		if (req->ucmd) {	/* to its CQE, in the caller's task */
			vsimple_uring_answered(req);
			return;
		}
		list_add_tail(&req->node, &req->owner->responses);
		wake_up_interruptible(&req->owner->read_wq);
	} else {
		vsimple_free_buf(buf);
		kfree(req);
	}
}

/*
 * Fail every request on its way, e.g. on removal or reset.  Before the
 * device is @stopped (reset), those whose room for the answer is still at
 * the device stay: it could write into the caller's pages after the call
 * ended.  Lock held.
 */
void vsimple_fail_all(struct vsimple_dev *dev, int err, bool stopped)
{
	unsigned int i;

	for (i = 0; i < VSIMPLE_MAX_IN_FLIGHT; i++)
		if (dev->slots[i] && (stopped || !dev->slots[i]->room_out))
			vsimple_deliver(dev, dev->slots[i], NULL, 0, 0, err, true);
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

void vsimple_free_buf(struct vsimple_buf *buf)
{
	if (!buf)
		return;
	while (buf->borrowed)
		put_page(buf->bvec[--buf->borrowed].bv_page);
	while (buf->nchunks)
		__free_pages(buf->chunk[--buf->nchunks], buf->order);
	kfree(buf);
}

/*
 * A response buffer with room for max_payload bytes.  Process context
 * only.  The chunks are order-0 pages unless the ring is too small for
 * that many (vsimple_resp_layout()): first the spare ones, which no answer
 * used, then new ones, zeroed (see vsimple_complete()).  Not inlined:
 * fail_function makes it return NULL (tests/guest/alloc_fail_test.c), the
 * one failure its callers, the refill work and probe, handle.
 */
static noinline struct vsimple_buf *
vsimple_alloc_resp_buf(struct vsimple_dev *dev)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	struct vsimple_buf *buf;
	struct page *page;

	buf = kzalloc(struct_size(buf, chunk, dev->chunks), gfp);
	if (!buf)
		return NULL;
	buf->order = dev->chunk_order;
	spin_lock_irq(&dev->lock);
	while (buf->nchunks < dev->chunks && dev->nspare) {
		page = list_first_entry(&dev->spare, struct page, lru);
		list_del(&page->lru);
		dev->nspare--;
		buf->chunk[buf->nchunks++] = page;
	}
	spin_unlock_irq(&dev->lock);
	while (buf->nchunks < dev->chunks) {
		page = alloc_pages(gfp | __GFP_ZERO, buf->order);
		if (!page) {
			vsimple_free_buf(buf);
			return NULL;
		}
		buf->chunk[buf->nchunks++] = page;
	}
	return buf;
}

ALLOW_ERROR_INJECTION(vsimple_alloc_resp_buf, NULL);

/* The header, then the chunks, max_payload bytes in all.  Lock held. */
static int vsimple_post_resp_buf(struct vsimple_dev *dev,
				 struct vsimple_buf *buf)
{
	struct scatterlist *sg = dev->resp_sg;
	size_t left = dev->max_payload, n;
	unsigned int i;

	sg_init_table(sg, buf->nchunks + 1);
	sg_set_buf(&sg[0], &buf->hdr, VSIMPLE_HDR_LEN);
	for (i = 0; i < buf->nchunks; i++) {
		n = min(left, vsimple_chunk_size(buf));
		sg_set_page(&sg[i + 1], buf->chunk[i], n, 0);
		left -= n;
	}
	return virtqueue_add_inbuf(dev->resp_vq, sg, buf->nchunks + 1, buf,
				   GFP_ATOMIC);
}

/*
 * Give a buffer back to the device, or count it as missing.  What the
 * device wrote is cleared first, so no answer outlives its delivery in a
 * buffer that may later reach another file.  Lock held.
 */
static void vsimple_recycle(struct vsimple_dev *dev, struct vsimple_buf *buf,
			    unsigned int used)
{
	size_t left = min_t(size_t, used, vsimple_buf_size(dev)), n;
	unsigned int i;

	memset(&buf->hdr, 0, sizeof(buf->hdr));
	left -= min_t(size_t, left, VSIMPLE_HDR_LEN);
	for (i = 0; left && i < buf->nchunks; i++) {
		n = min(left, vsimple_chunk_size(buf));
		memset(page_address(buf->chunk[i]), 0, n);
		left -= n;
	}
	if (!dev->dead && !dev->broken && !vsimple_post_resp_buf(dev, buf))
		return;
	vsimple_free_buf(buf);
	dev->resp_missing++;
}

/* The first @len payload bytes of a ring buffer, into @to. */
static void vsimple_gather(u8 *to, const struct vsimple_buf *buf, u32 len)
{
	unsigned int i;
	size_t n;

	for (i = 0; len && i < buf->nchunks; i++) {
		n = min_t(size_t, len, vsimple_chunk_size(buf));
		memcpy(to, page_address(buf->chunk[i]), n);
		to += n;
		len -= n;
	}
}

/* An answer's payload (@len bytes) to user space, from wherever it is. */
int vsimple_copy_payload(void __user *to, const struct vsimple_buf *buf,
			 u32 len)
{
	unsigned int i;
	size_t n;

	if (!buf->nchunks)
		return copy_to_user(to, buf->data, len) ? -EFAULT : 0;
	for (i = 0; len && i < buf->nchunks; i++) {
		n = min_t(size_t, len, vsimple_chunk_size(buf));
		if (copy_to_user(to, page_address(buf->chunk[i]), n))
			return -EFAULT;
		to += n;
		len -= n;
	}
	return 0;
}

/* The same into an iterator (io_uring's buffer); returns the bytes copied. */
size_t vsimple_copy_payload_iter(struct iov_iter *to,
				 const struct vsimple_buf *buf, u32 len)
{
	size_t n, done = 0;
	unsigned int i;

	if (!buf->nchunks)
		return copy_to_iter(buf->data, len, to);
	for (i = 0; done < len && i < buf->nchunks; i++) {
		n = min_t(size_t, len - done, vsimple_chunk_size(buf));
		/* not copy_page_to_iter(): chunks over a page are not compound */
		if (copy_to_iter(page_address(buf->chunk[i]), n, to) != n)
			break;
		done += n;
	}
	return done;
}

/*
 * An answer whose copy fits in a page is copied into a buffer of its own
 * size, charged to the memory cgroup of the file that will hold it, so an
 * unread 1-byte answer pins tens of bytes, not a response buffer.  NULL:
 * too big, or no memory (the ring buffer then goes with the answer).
 */
static struct vsimple_buf *vsimple_copy_small(struct vsimple_dev *dev,
					      struct vsimple_req *req,
					      struct vsimple_buf *buf, u32 len)
{
	struct mem_cgroup *old;
	struct vsimple_buf *copy;

	if (struct_size(copy, data, len) > VSIMPLE_COPYBREAK ||
	    (!req->owner && !req->waiter))
		return NULL;	/* too big, or nobody will read it */
	old = set_active_memcg(req->file ? req->file->memcg : NULL);
	copy = kmalloc(struct_size(copy, data, len), VSIMPLE_GFP_CHARGED);
	set_active_memcg(old);
	if (!copy)
		return NULL;
	copy->hdr = buf->hdr;
	copy->nchunks = 0;
	copy->order = 0;
	copy->borrowed = 0;
	vsimple_gather(copy->data, buf, len);
	return copy;
}

/* What a chunked answer of @len bytes pins, once trimmed to its size. */
static size_t vsimple_kept_size(const struct vsimple_buf *buf, u32 len)
{
	size_t chunk = vsimple_chunk_size(buf);

	return ksize(buf) + DIV_ROUND_UP(len, chunk) * chunk;
}

/*
 * A big answer copied into order-0 pages charged to its file's opener,
 * when the device already holds VSIMPLE_DEV_UNCHARGED of big answers
 * (the charge work; process context).  NULL: no memory, or the opener's
 * cgroup is at its limit.
 */
static struct vsimple_buf *vsimple_copy_charged(struct vsimple_req *req,
						struct vsimple_buf *buf,
						u32 len)
{
	const gfp_t gfp = VSIMPLE_GFP_CHARGE_WORK;
	unsigned int n = DIV_ROUND_UP(len, PAGE_SIZE);
	size_t off, step, from = vsimple_chunk_size(buf);
	struct vsimple_buf *copy;
	struct mem_cgroup *old;
	struct page *page;

	old = set_active_memcg(req->owner->memcg);
	copy = kzalloc(struct_size(copy, chunk, n), gfp);
	while (copy && copy->nchunks < n) {
		page = alloc_page(gfp);
		if (!page) {
			vsimple_free_buf(copy);
			copy = NULL;
			break;
		}
		copy->chunk[copy->nchunks++] = page;
	}
	set_active_memcg(old);
	if (!copy)
		return NULL;
	copy->hdr = buf->hdr;
	for (off = 0; off < len; off += step) {
		step = min3((size_t)len - off, PAGE_SIZE - off % PAGE_SIZE,
			    from - off % from);
		memcpy(page_address(copy->chunk[off / PAGE_SIZE]) + off % PAGE_SIZE,
		       page_address(buf->chunk[off / from]) + off % from, step);
	}
	return copy;
}

/*
 * A big answer leaves with its buffer, minus the chunks it did not fill:
 * it pins about its own size.  Those go to the spare list for the refill
 * (they hold no answer, so they need no clearing), as many as the posted
 * buffers can use.  Returns what the answer pins.  Lock held.
 */
static size_t vsimple_trim(struct vsimple_dev *dev, struct vsimple_buf *buf,
			   u32 len)
{
	unsigned int keep = DIV_ROUND_UP(len, vsimple_chunk_size(buf));
	struct page *page;

	while (buf->nchunks > keep) {
		page = buf->chunk[--buf->nchunks];
		if (buf->order == dev->chunk_order &&
		    dev->nspare < dev->chunks * dev->resp_bufs) {
			list_add(&page->lru, &dev->spare);
			dev->nspare++;
		} else {
			__free_pages(page, buf->order);
		}
	}
	return vsimple_kept_size(buf, len);
}

/*
 * A file's charge work: its answers past the uncharged pool
 * (vsimple_complete()), one at a time, copied into pages charged to its
 * opener, in process context where the allocation may reclaim; the ring's
 * pages go.  An answer that cannot be charged (the opener's cgroup is
 * full) becomes a failure: S_ENOMEM to its reader.  One work per file, so
 * a cgroup at its limit slows its own answers only.  vsimple_release()
 * takes the file's answers off the list, then flushes this work.
 */
void vsimple_charge_work(struct work_struct *work)
{
	struct vsimple_file *f = container_of(work, struct vsimple_file,
					      charge_work);
	struct vsimple_dev *dev = f->dev;
	struct vsimple_buf *copy, *old;
	struct vsimple_req *req;
	size_t cost;

	for (;;) {
		spin_lock_irq(&dev->lock);
		req = list_first_entry_or_null(&f->charge_list,
					       struct vsimple_req, charge_node);
		if (!req) {
			spin_unlock_irq(&dev->lock);
			return;
		}
		list_del_init(&req->charge_node);
		spin_unlock_irq(&dev->lock);

		/* the answer is ours alone while charging: nobody reads it */
		copy = vsimple_copy_charged(req, req->buf, req->len);

		spin_lock_irq(&dev->lock);
		old = req->buf;
		if (copy) {
			dev->stats.charged_copies++;
			cost = vsimple_kept_size(copy, req->len) + ksize(req);
		} else {
			req->err = -ENOMEM;
			req->len = 0;
			cost = ksize(req);
		}
		req->buf = copy;
		req->owner->unread_bytes += cost - req->cost;
		dev->unread_bytes += cost - req->cost;
		dev->uncharged_bytes -= req->uncharged;
		req->cost = cost;
		req->uncharged = 0;
		req->charging = false;
		dev->charging--;
		wake_up_interruptible(&req->owner->read_wq);
		spin_unlock_irq(&dev->lock);
		vsimple_free_buf(old);
		cond_resched();
	}
}

/* With the buffers, after a reset. */
void vsimple_free_spare(struct vsimple_dev *dev)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &dev->spare, lru)
		__free_pages(page, dev->chunk_order);
	INIT_LIST_HEAD(&dev->spare);
	dev->nspare = 0;
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
 * What is wrong with @hdr as the answer to @req, @used bytes in all (at
 * least a header), wherever it came: NULL when nothing.
 */
static const char *vsimple_answer_wrong(const struct virtio_simple_hdr *hdr,
					const struct vsimple_req *req,
					unsigned int used)
{
	if (le32_to_cpu(hdr->len) != used - VSIMPLE_HDR_LEN)
		return "header len disagrees with the used length";
	if (le16_to_cpu(hdr->op) != req->op)
		return "op disagrees with the request";
	if (le16_to_cpu(hdr->status) & VIRTIO_SIMPLE_S_DRIVER)
		return "status reserved for the driver";
	return NULL;
}

/* A well-formed answer, counted.  Lock held. */
static void vsimple_count_answer(struct vsimple_dev *dev,
				 const struct virtio_simple_hdr *hdr)
{
	dev->stats.responses++;
	dev->recover_streak = 0;	/* it answers: resets help */
	dev->stats.bytes_out += le32_to_cpu(hdr->len);
	if (le16_to_cpu(hdr->status) != VIRTIO_SIMPLE_S_OK)
		dev->stats.errors++;
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
	bool over, charge;
	u64 tag;
	u32 len;

	if (used < VSIMPLE_HDR_LEN || used > vsimple_buf_size(dev)) {
		vsimple_bad_response(dev, "used length out of range", used);
		goto recycle;
	}
	tag = le64_to_cpu(buf->hdr.id);
	req = vsimple_find(dev, tag);
	if (req && req->room_out) {
		/*
		 * only a DELAY's answer comes here, its chain given back
		 * first: take it, then ask again (it may have been answered
		 * in place meanwhile)
		 */
		vsimple_reclaim_requests(dev);
		req = vsimple_find(dev, tag);
		if (req && req->room_out) {
			/* not failed: its pages may still be written */
			vsimple_bad_response(dev, "answer on responseq, room out",
					     used);
			goto recycle;
		}
	}
	if (!req) {
		vsimple_bad_response(dev, "unknown id", used);
		goto recycle;
	}
	len = le32_to_cpu(buf->hdr.len);
	bad = vsimple_answer_wrong(&buf->hdr, req, used);
	if (bad) {
		vsimple_bad_response(dev, bad, used);
		vsimple_deliver(dev, req, NULL, 0, 0, -EIO, true);
		goto recycle;
	}
	vsimple_count_answer(dev, &buf->hdr);
	buf->hdr.id = cpu_to_le64(req->user_id);
	copy = vsimple_copy_small(dev, req, buf, len);
	if (copy) {
		vsimple_deliver(dev, req, copy, ksize(copy), len, 0, true);
		goto recycle;	/* the ring buffer goes straight back */
	}
	/*
	 * Past the uncharged pool, a stream answer is copied into pages
	 * charged to its opener: by its file's charge work, not here with
	 * interrupts off; it is not readable until then.  An io_uring
	 * answer is not charged, its task work copies it out.  Past the
	 * margin the works may take, an answer fails instead.
	 */
	over = (req->owner || req->waiter) && dev->uncharged_bytes +
	       vsimple_kept_size(buf, len) > VSIMPLE_DEV_UNCHARGED;
	if (over && dev->uncharged_bytes + vsimple_kept_size(buf, len) >
	    VSIMPLE_DEV_UNCHARGED + VSIMPLE_DEV_CHARGING) {
		vsimple_deliver(dev, req, NULL, 0, 0, -ENOMEM, true);
		goto recycle;
	}
	charge = over && req->owner && !req->ucmd;
	if (charge) {
		req->charging = true;
		list_add_tail(&req->charge_node, &req->owner->charge_list);
		dev->charging++;
		queue_work(system_wq, &req->owner->charge_work);
	}
	/* the ring's pages: in the uncharged pool until freed or charged */
	vsimple_deliver(dev, req, buf, vsimple_trim(dev, buf, len), len, 0,
			false);
	dev->resp_missing++;		/* the buffer went with the response */
	return;
recycle:
	vsimple_recycle(dev, buf, used);
}

/*
 * A request answered in its own chain (ANSWER_IN_PLACE): checked as an
 * answer on responseq is, the header in the driver's memory and the used
 * length against the room given.  The payload is already in the caller's
 * pages; nothing is copied or kept but the header.  Lock held.
 */
static void vsimple_answered_in_place(struct vsimple_dev *dev,
				      struct vsimple_req *req,
				      struct vsimple_buf *rb, unsigned int used)
{
	const char *bad = NULL;
	u32 len;

	if (!req) {
		vsimple_bad_response(dev, "answer in place to no request", used);
		return;
	}
	req->room_out = false;
	len = le32_to_cpu(rb->ans.len);
	if (used < VSIMPLE_HDR_LEN || used - VSIMPLE_HDR_LEN > rb->room)
		bad = "used length out of range";
	else if (le64_to_cpu(rb->ans.id) != rb->tag)
		bad = "id disagrees with the request";
	else
		bad = vsimple_answer_wrong(&rb->ans, req, used);
	if (bad) {
		vsimple_bad_response(dev, bad, used);
		vsimple_deliver(dev, req, NULL, 0, 0, -EIO, true);
		return;
	}
	vsimple_count_answer(dev, &rb->ans);
	dev->stats.answered_in_place++;
	req->in_place = true;
	req->hdr = rb->ans;
	req->hdr.id = cpu_to_le64(req->user_id);
	vsimple_deliver(dev, req, NULL, 0, len, 0, true);
}

/*
 * Take every answer from responseq, then re-arm its interrupt, unless a
 * reader is busy polling (it re-arms when it stops), and take what came
 * meanwhile.  Lock held.  Returns the answers taken.
 */
static unsigned int vsimple_drain(struct vsimple_dev *dev)
{
	struct virtqueue *vq = dev->resp_vq;
	struct vsimple_buf *buf;
	unsigned int used, n = 0;

	do {
		virtqueue_disable_cb(vq);
		for (; (buf = virtqueue_get_buf(vq, &used)); n++)
			vsimple_complete(dev, buf, used);
	} while (!dev->pollers && !virtqueue_enable_cb(vq));
	if (!n)
		return 0;
	vsimple_reclaim_requests(dev);	/* answered: their requests were read */
	virtqueue_kick(vq);		/* recycled buffers */
	if (vsimple_flush_all(dev))	/* backlogs, into the freed slots */
		virtqueue_kick(dev->req_vq);
	if (dev->resp_missing && !dev->dead && !dev->broken && !dev->recovering)
		queue_delayed_work(system_wq, &dev->refill_work, 0);
	return n;
}

/*
 * responseq callback (interrupt context).  Buffers that left with answers
 * are replaced by the refill work, in process context.
 */
void vsimple_resp_done(struct virtqueue *vq)
{
	struct vsimple_dev *dev = vq->vdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&dev->lock, flags);
	vsimple_drain(dev);
	vsimple_wake_desc_waiters(dev);
	spin_unlock_irqrestore(&dev->lock, flags);
}

/* Whether the queues are there to poll: lock held. */
static bool vsimple_pollable(struct vsimple_dev *dev)
{
	return dev->resp_vq && !vsimple_state_err(dev) && !dev->recovering;
}

/*
 * Busy polling (docs/driver.md): a caller about to sleep for an answer
 * spins on responseq for up to busy_poll_us first, with its interrupt
 * off, as NAPI busy polling does.  At depth 1 that saves the interrupt,
 * the wake-up and often an IPI, for a CPU spent spinning.  It stops early
 * when @ready(@arg) holds (lock held), on a signal, when the scheduler
 * wants the CPU, or when the device goes away.  Preemption stays off while
 * it spins, as in napi_busy_loop(): a poller cannot be scheduled out with
 * the interrupt left off for everyone, and teardown's synchronize_rcu()
 * waits for it to stop.
 */
void vsimple_busy_poll(struct vsimple_dev *dev, bool (*ready)(void *),
		       void *arg)
{
	unsigned int us = READ_ONCE(vsimple_busy_poll_us);
	unsigned int found;
	u64 end;

	if (!us)
		return;
	preempt_disable();	/* before the clock: local_clock() is per CPU */
	end = local_clock() + (u64)us * NSEC_PER_USEC;
	spin_lock_irq(&dev->lock);
	if (ready(arg) || !vsimple_pollable(dev))
		goto unlock;
	dev->pollers++;
	/* checked under the lock before each drain: teardown sets it first */
	while (vsimple_pollable(dev)) {
		found = vsimple_drain(dev);
		dev->stats.polled += found;
		if (found)
			vsimple_wake_desc_waiters(dev);
		if (ready(arg))
			break;
		spin_unlock_irq(&dev->lock);
		if (need_resched() || signal_pending(current) ||
		    local_clock() >= end) {
			spin_lock_irq(&dev->lock);
			break;
		}
		cpu_relax();
		spin_lock_irq(&dev->lock);
	}
	/* the last poller re-arms the interrupt; what came meanwhile counts */
	if (!--dev->pollers && vsimple_pollable(dev)) {
		found = vsimple_drain(dev);
		dev->stats.polled += found;
		if (found)	/* their requests' descriptors came back too */
			vsimple_wake_desc_waiters(dev);
	}
unlock:
	spin_unlock_irq(&dev->lock);
	preempt_enable();
}

/* Whether the refill has a buffer to post: lock held. */
static bool vsimple_refill_due(struct vsimple_dev *dev)
{
	return dev->resp_missing && !dev->dead && !dev->broken &&
	       !dev->recovering;
}

/*
 * Post buffers for those that left with answers, allocating only while one
 * is missing.  An allocation that fails is retried after a delay that
 * doubles up to a second, so responseq is never left short for good.  Each
 * post is notified as virtio_blk does: prepared under the lock, sent
 * outside it (vsimple_stop() cancels this work before deleting the queues).
 */
void vsimple_refill_work(struct work_struct *work)
{
	struct vsimple_dev *dev = container_of(to_delayed_work(work),
					       struct vsimple_dev, refill_work);
	struct vsimple_buf *buf;
	bool notify;

	for (;;) {
		spin_lock_irq(&dev->lock);
		notify = vsimple_refill_due(dev);
		spin_unlock_irq(&dev->lock);
		if (!notify)
			return;
		buf = vsimple_alloc_resp_buf(dev);
		spin_lock_irq(&dev->lock);
		if (buf)
			dev->stats.refill_allocations++;
		if (!vsimple_refill_due(dev)) {	/* reset or removed meanwhile */
			spin_unlock_irq(&dev->lock);
			vsimple_free_buf(buf);
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
			vsimple_free_buf(buf);
			return;
		}
		dev->refill_backoff = 0;
		dev->resp_missing--;
		notify = virtqueue_kick_prepare(dev->resp_vq);
		spin_unlock_irq(&dev->lock);
		if (notify)
			virtqueue_notify(dev->resp_vq);
	}
}

/*
 * requestq callback: on only while requests with room for their answer are
 * out (see the top of this file), re-armed as responseq's is.
 */
void vsimple_req_done(struct virtqueue *vq)
{
	struct vsimple_dev *dev = vq->vdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&dev->lock, flags);
	do {
		virtqueue_disable_cb(vq);
		vsimple_reclaim_requests(dev);
	} while (dev->in_place_out && !virtqueue_enable_cb(vq));
	if (vsimple_flush_all(dev))
		virtqueue_kick(vq);
	vsimple_wake_desc_waiters(dev);
	spin_unlock_irqrestore(&dev->lock, flags);
}

/*
 * How response buffers are cut, once the ring is known: page-sized chunks,
 * unless a chain that long would not fit the ring (the spec bounds every
 * chain, indirect or not, by the queue size); then the smallest order that
 * fits.  How many are kept posted: see VSIMPLE_RESP_BUFS_MIN.
 */
static int vsimple_resp_layout(struct vsimple_dev *dev)
{
	unsigned int ring = dev->resp_ring, n;
	size_t chunk;

	for (dev->chunk_order = 0;; dev->chunk_order++) {
		chunk = PAGE_SIZE << dev->chunk_order;
		dev->chunks = DIV_ROUND_UP(dev->max_payload, chunk);
		if (dev->chunks + 1 <= ring || dev->chunks == 1)
			break;
	}
	if (dev->chunks + 1 > ring) {
		dev_err(&dev->vdev->dev, "responseq of %u cannot hold a response\n",
			ring);
		return -ENOSPC;
	}
	n = max_t(size_t, VSIMPLE_RESP_BUFS_MIN,
		  VSIMPLE_RESP_BYTES / (dev->chunks * chunk));
	n = min(n, dev->max_in_flight);
	/* without indirect descriptors each buffer takes chunks + 1 slots */
	if (!virtio_has_feature(dev->vdev, VIRTIO_RING_F_INDIRECT_DESC))
		ring /= dev->chunks + 1;
	dev->resp_bufs = min(n, ring);
	return 0;
}

/*
 * Post the response buffers of a fresh queue (probe, restore, recovery).
 * Not inlined: fail_function makes it fail (-ENOMEM) to test a recovery
 * that cannot set the queues up (tests/guest/recovery_test.c).
 */
noinline int vsimple_fill_resp_queue(struct vsimple_dev *dev)
{
	struct vsimple_buf *buf;
	unsigned int i;
	int err;

	err = vsimple_resp_layout(dev);
	if (err)
		return err;
	dev->resp_missing = 0;
	for (i = 0; i < dev->resp_bufs; i++) {
		buf = vsimple_alloc_resp_buf(dev);
		if (!buf)
			return -ENOMEM;
		spin_lock_irq(&dev->lock);
		err = vsimple_post_resp_buf(dev, buf);
		spin_unlock_irq(&dev->lock);
		if (err) {
			vsimple_free_buf(buf);
			return err;
		}
	}
	return 0;
}

ALLOW_ERROR_INJECTION(vsimple_fill_resp_queue, ERRNO);

/* After a reset: free what the device never used. */
void vsimple_free_unused(struct vsimple_dev *dev)
{
	void *buf;

	while ((buf = virtqueue_detach_unused_buf(dev->resp_vq)))
		vsimple_free_buf(buf);
	while ((buf = virtqueue_detach_unused_buf(dev->req_vq)))
		vsimple_free_buf(buf);
	dev->in_place_out = 0;
	vsimple_free_spare(dev);
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
 * The order of a @len-byte request's chunks: pages, unless a chain of the
 * header and that many would not fit requestq (the spec bounds every
 * chain by the queue size); then the smallest order that fits.
 */
static unsigned int vsimple_request_order(struct vsimple_dev *dev, u32 len)
{
	unsigned int ring = READ_ONCE(dev->req_ring), order = 0;

	while (DIV_ROUND_UP(len, PAGE_SIZE << order) + 1 > ring &&
	       (PAGE_SIZE << order) < len)
		order++;
	return order;
}

/*
 * A request's header and payload, copied from user space and charged to
 * the caller (a blocked writer holds its payload): in one allocation up to
 * a page, else in page chunks (vsimple_request_order()), never a
 * high-order allocation the ring does not force.
 */
static struct vsimple_buf *vsimple_alloc_request(struct vsimple_dev *dev,
						 struct iov_iter *from, u32 len)
{
	const gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_NOWARN;
	unsigned int order = vsimple_request_order(dev, len);
	size_t chunk = PAGE_SIZE << order, off, n;
	struct vsimple_buf *rb;
	struct page *page;

	/* one sg entry for header and payload: data[] follows hdr */
	BUILD_BUG_ON(offsetof(struct vsimple_buf, data) !=
		     offsetof(struct vsimple_buf, hdr) + VSIMPLE_HDR_LEN);
	if (struct_size(rb, data, len) <= PAGE_SIZE) {
		rb = kmalloc(struct_size(rb, data, len), GFP_KERNEL_ACCOUNT);
		if (!rb)
			return ERR_PTR(-ENOMEM);
		rb->nchunks = 0;
		rb->order = 0;
		rb->borrowed = 0;
		rb->in_place = false;
		if (copy_from_iter(rb->data, len, from) != len) {
			kfree(rb);
			return ERR_PTR(-EFAULT);
		}
		return rb;
	}
	rb = kzalloc(struct_size(rb, chunk, DIV_ROUND_UP(len, chunk)), gfp);
	if (!rb)
		return ERR_PTR(-ENOMEM);
	rb->order = order;
	for (off = 0; off < len; off += n) {
		n = min_t(size_t, len - off, chunk);
		page = alloc_pages(gfp, rb->order);
		if (!page) {
			vsimple_free_buf(rb);
			return ERR_PTR(-ENOMEM);
		}
		rb->chunk[rb->nchunks++] = page;
		if (copy_from_iter(page_address(page), n, from) != n) {
			vsimple_free_buf(rb);
			return ERR_PTR(-EFAULT);
		}
	}
	return rb;
}

/*
 * The pages holding @len bytes of a registered buffer (a bio_vec
 * iterator), a page at most per entry (a bio_vec may span a huge page),
 * into @out; with NULL only counted.
 */
static unsigned int vsimple_borrow_sg(const struct iov_iter *from, size_t len,
				      struct bio_vec *out)
{
	const struct bio_vec *bv = from->bvec;
	size_t skip = from->iov_offset, off, n;
	unsigned int i = 0, seg;
	struct page *page;

	for (seg = 0; len && seg < from->nr_segs; seg++, bv++, skip = 0) {
		while (len && skip < bv->bv_len) {
			off = bv->bv_offset + skip;
			page = bv->bv_page + off / PAGE_SIZE;
			off %= PAGE_SIZE;
			n = min3(len, bv->bv_len - skip, PAGE_SIZE - off);
			if (out)
				bvec_set_page(&out[i], page, n, off);
			i++;
			len -= n;
			skip += n;
		}
	}
	return i;
}

/*
 * A request sent from the caller's registered pages: its header is ours,
 * the pages are held (a reference each) until the device is done with the
 * request, even when its answer, and so the caller, came first (a request
 * failed at a reset).  With @s->answer_to, room for the answer follows:
 * its header ours, its payload in those pages again (ANSWER_IN_PLACE).
 * NULL when the pages would make too long a chain for the ring or the sg
 * list (the caller copies then, and the answer comes on responseq).
 */
static struct vsimple_buf *vsimple_borrow_request(struct vsimple_dev *dev,
						  const struct vsimple_send *s)
{
	struct iov_iter *from = s->from, *to = s->answer_to;
	u32 len = s->len, room = to ? iov_iter_count(to) : 0;
	struct vsimple_buf *rb;
	unsigned int n, m = 0, i;

	if (to && !iov_iter_is_bvec(to))
		to = NULL;
	if (!iov_iter_is_bvec(from) || iov_iter_count(from) < len ||
	    (!len && !to))
		return NULL;
	n = vsimple_borrow_sg(from, len, NULL);
	if (to)
		m = vsimple_borrow_sg(to, room, NULL) + 1;
	/* too long with the room: the payload alone, the answer copied */
	if (m && (n + m + 1 > READ_ONCE(dev->req_ring) ||
		  n + m + 1 > dev->req_sg_len)) {
		to = NULL;
		room = 0;
		m = 0;
		if (!len)
			return NULL;
	}
	if (n + 1 > READ_ONCE(dev->req_ring) || n + 1 > dev->req_sg_len)
		return NULL;
	rb = kmalloc(struct_size(rb, bvec, n + m), GFP_KERNEL_ACCOUNT);
	if (!rb)
		return NULL;
	rb->nchunks = 0;
	rb->order = 0;
	rb->in_place = to;
	rb->room = room;
	memset(&rb->ans, 0, sizeof(rb->ans));	/* never old heap */
	vsimple_borrow_sg(from, len, rb->bvec);
	if (to)
		vsimple_borrow_sg(to, room, rb->bvec + n);
	rb->out_pages = n;
	rb->borrowed = n + (m ? m - 1 : 0);
	for (i = 0; i < rb->borrowed; i++)
		get_page(rb->bvec[i].bv_page);
	return rb;
}

/*
 * The entries of @rb's chain: one, or the header and each chunk or page,
 * and the answer's header when it has room for its answer.
 */
static unsigned int vsimple_request_chain(const struct vsimple_buf *rb)
{
	if (rb->borrowed || rb->in_place)
		return rb->borrowed + 1 + rb->in_place;
	return rb->nchunks ? rb->nchunks + 1 : 1;
}

/* The descriptors @rb takes in requestq: one with indirect descriptors. */
static unsigned int vsimple_request_descs(struct vsimple_dev *dev,
					  const struct vsimple_buf *rb)
{
	if (dev->indirect)
		return 1;
	return vsimple_request_chain(rb);
}

static void vsimple_sg_bvecs(struct scatterlist *sg, const struct bio_vec *bv,
			     unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		sg_set_page(&sg[i], bv[i].bv_page, bv[i].bv_len, bv[i].bv_offset);
}

/*
 * The sg lists of @rb (@len payload bytes) in dev->req_sg: the request's,
 * then (@in) the answer's room.  From @rb alone, so a request can wait in
 * a backlog after its caller's iterators are gone.  Lock held.
 */
static unsigned int vsimple_request_sg(struct vsimple_dev *dev,
				       struct vsimple_buf *rb, u32 len,
				       struct scatterlist **in)
{
	struct scatterlist *sg = dev->req_sg;
	size_t chunk = PAGE_SIZE << rb->order, left = len;
	unsigned int i, n;

	*in = NULL;
	if (rb->borrowed || rb->in_place) {
		n = rb->out_pages + 1;
		sg_init_table(sg, n);
		sg_set_buf(&sg[0], &rb->hdr, VSIMPLE_HDR_LEN);
		vsimple_sg_bvecs(&sg[1], rb->bvec, rb->out_pages);
		if (rb->in_place) {
			*in = &sg[n];
			sg_init_table(*in, vsimple_request_chain(rb) - n);
			sg_set_buf(*in, &rb->ans, VSIMPLE_HDR_LEN);
			vsimple_sg_bvecs(*in + 1, rb->bvec + rb->out_pages,
					 rb->borrowed - rb->out_pages);
		}
		return n;
	}
	if (!rb->nchunks) {
		sg_init_one(sg, &rb->hdr, VSIMPLE_HDR_LEN + len);
		return 1;
	}
	sg_init_table(sg, vsimple_request_chain(rb));
	sg_set_buf(&sg[0], &rb->hdr, VSIMPLE_HDR_LEN);
	for (i = 0; i < rb->nchunks; i++) {
		sg_set_page(&sg[i + 1], rb->chunk[i], min(left, chunk), 0);
		left -= min(left, chunk);
	}
	return vsimple_request_chain(rb);
}

/*
 * Put @req (@rb, @len payload bytes) on requestq; a slot is free and its
 * fields from vsimple_submit() are set.  The caller notifies.  Lock held.
 */
static int vsimple_send_locked(struct vsimple_dev *dev, struct vsimple_file *f,
			       struct vsimple_req *req, struct vsimple_buf *rb,
			       u32 len)
{
	struct scatterlist *sgs[2];
	unsigned int slot;
	int err;

	for (slot = 0; dev->slots[slot]; slot++)
		;	/* in_flight < max_in_flight: a free slot exists */
	req->tag = (u64)dev->generation++ << VSIMPLE_TAG_SLOT_BITS | slot;
	req->sent = jiffies;
	req->room_out = rb->in_place;
	rb->hdr.id = cpu_to_le64(req->tag);
	rb->hdr.op = cpu_to_le16(req->op);
	rb->hdr.status = 0;
	rb->hdr.len = cpu_to_le32(len);
	rb->tag = req->tag;
	sgs[0] = dev->req_sg;
	vsimple_request_sg(dev, rb, len, &sgs[1]);
	/*
	 * descriptors are free; a surprise removal can still break the ring,
	 * and an indirect table not allocated leaves too few (-ENOMEM)
	 */
	err = virtqueue_add_sgs(dev->req_vq, sgs, 1, rb->in_place, rb,
				GFP_ATOMIC);
	if (err == -ENOSPC)
		err = -ENOMEM;
	if (err)
		return err;
	dev->slots[slot] = req;
	if (req->waiter)
		req->waiter->req = req;
	if (req->owner)
		req->owner->pending++;
	f->at_device++;
	dev->in_flight++;
	dev->stats.requests++;
	dev->stats.bytes_in += len;
	if (rb->borrowed && len)
		dev->stats.sent_in_place++;
	/* its answer comes on requestq: that interrupt is wanted now */
	if (rb->in_place && !dev->in_place_out++ &&
	    !virtqueue_enable_cb(dev->req_vq))
		vsimple_reclaim_requests(dev);
	vsimple_arm_watchdog(dev);
	return 0;
}

/*
 * An io_uring call failed in the backlog, before it was sent: its CQE says
 * so as an answer would (vsimple_uring.c).  Lock held.
 */
static void vsimple_backlog_fail(struct vsimple_dev *dev, struct vsimple_file *f,
				 struct vsimple_req *req, int err)
{
	list_del(&req->node);
	f->nbacklog--;
	vsimple_free_buf(req->waiting);
	req->waiting = NULL;
	req->err = err;
	req->cost = ksize(req);
	f->unread_bytes += req->cost;
	dev->unread_bytes += req->cost;
	dev->unread++;
	f->pending++;		/* as if sent: vsimple_resp_consumed() ends it */
	vsimple_uring_answered(req);
}

/*
 * Send @f's backlog, oldest first, while its shares allow; returns whether
 * any went (the caller notifies).  Only the shares: a call got in only
 * with room in the file's stream limits (vsimple_submit()), and waiting
 * on them here could wait on a read() that never comes while io_uring
 * holds the file.  Never while the device is being reset or is gone:
 * vsimple_fail_backlogs() or a later flush takes them then.  An
 * allocation that fails (an indirect table, GFP_ATOMIC) is tried again
 * from the backlog work.  Lock held.
 */
static bool vsimple_flush_file(struct vsimple_dev *dev, struct vsimple_file *f)
{
	struct vsimple_req *req, *next;
	struct vsimple_buf *rb;
	bool sent = false;
	int err;

	if (vsimple_state_err(dev) || dev->recovering || !dev->req_vq)
		return false;
	list_for_each_entry_safe(req, next, &f->backlog, node) {
		rb = req->waiting;
		if (!vsimple_slot_free(dev, f, false,
				       vsimple_request_descs(dev, rb)))
			break;
		err = vsimple_send_locked(dev, f, req, rb,
					  le32_to_cpu(rb->hdr.len));
		if (err == -ENOMEM) {
			queue_delayed_work(system_wq, &dev->backlog_work,
					   msecs_to_jiffies(10));
			break;
		}
		if (err) {
			vsimple_backlog_fail(dev, f, req, err);
			continue;
		}
		list_del(&req->node);
		f->nbacklog--;
		req->waiting = NULL;
		sent = true;
	}
	return sent;
}

/*
 * Every file's backlog, taking turns: the list turns by one file each
 * time, so no file's backlog always comes first.  Lock held.
 */
static bool vsimple_flush_files(struct vsimple_dev *dev)
{
	struct vsimple_file *f;
	bool sent = false;

	list_for_each_entry(f, &dev->files, node)
		if (f->nbacklog)
			sent |= vsimple_flush_file(dev, f);
	list_rotate_left(&dev->files);
	return sent;
}

/*
 * After answers freed slots (interrupt handler).  A writer or caller
 * woken for them gets the first go: the backlogs are then sent by the
 * backlog work, once the woken have run, as io_uring's workers raced them
 * before.  Lock held.
 */
static bool vsimple_flush_all(struct vsimple_dev *dev)
{
	if (dev->writers_woken) {
		dev->writers_woken = false;
		if (!vsimple_state_err(dev))
			queue_delayed_work(system_wq, &dev->backlog_work, 0);
		return false;
	}
	return vsimple_flush_files(dev);
}

/* After a reset, a resume, a deferral: send what waited meanwhile. */
void vsimple_flush_backlogs(struct vsimple_dev *dev)
{
	spin_lock_irq(&dev->lock);
	dev->writers_woken = false;
	if (vsimple_flush_files(dev))
		virtqueue_kick(dev->req_vq);
	spin_unlock_irq(&dev->lock);
}

void vsimple_backlog_work(struct work_struct *work)
{
	vsimple_flush_backlogs(container_of(to_delayed_work(work),
					    struct vsimple_dev, backlog_work));
}

/* The device is gone or broken: every backlog fails with @err.  Lock held. */
void vsimple_fail_backlogs(struct vsimple_dev *dev, int err)
{
	struct vsimple_req *req, *next;
	struct vsimple_file *f;

	list_for_each_entry(f, &dev->files, node)
		list_for_each_entry_safe(req, next, &f->backlog, node)
			vsimple_backlog_fail(dev, f, req, err);
}

/*
 * Send one request of file @f (struct vsimple_send); whatever its kind it
 * uses @f's share of the device.  The payload is copied (or its pages
 * taken) before waiting for a slot; an interrupted wait sends nothing.
 * Nothing is allocated under the lock.  With s->more the device is not
 * notified yet (a batch: vsimple_kick_requests() after the last one); what
 * was added is notified before any wait.
 */
int vsimple_submit(struct vsimple_dev *dev, struct vsimple_file *f,
		   const struct vsimple_send *s)
{
	struct vsimple_file *owner = s->waiter ? NULL : f;
	struct vsimple_kick k = { .needed = false };
	struct vsimple_buf *rb = NULL;
	struct vsimple_req *req = NULL;
	unsigned int descs;
	u32 len = s->len;
	int err;

	if (len > dev->max_payload)
		return -EMSGSIZE;
	if (s->in_place)
		rb = vsimple_borrow_request(dev, s);
	if (!rb)
		rb = vsimple_alloc_request(dev, s->from, len);
	if (IS_ERR(rb)) {
		err = PTR_ERR(rb);
		rb = NULL;
		goto free;
	}
	req = kzalloc(sizeof(*req), GFP_KERNEL_ACCOUNT);
	if (!req) {
		err = -ENOMEM;
		goto free;
	}
	INIT_LIST_HEAD(&req->charge_node);
	req->op = s->op;
	req->user_id = s->user_id;
	req->owner = owner;
	req->file = f;
	req->uid = f->uid;
	req->waiter = s->waiter;
	req->ucmd = s->ucmd;
	rb->hdr.len = cpu_to_le32(len);
	/* the spec bounds a chain, indirect or not, by the queue size */
	if (vsimple_request_chain(rb) > READ_ONCE(dev->req_ring)) {
		err = -EMSGSIZE;	/* a ring of 1, from another device */
		goto free;
	}
	descs = vsimple_request_descs(dev, rb);

	spin_lock_irq(&dev->lock);
	if (!vsimple_writable(dev, f, owner, descs) && !dev->recovering)
		virtqueue_kick(dev->req_vq);	/* a batch so far: do not sit on it */
	if (!s->nonblock)
		err = wait_event_interruptible_lock_irq(f->write_wq,
							vsimple_writable(dev, f, owner, descs),
							dev->lock);
	else
		err = 0;
	if (!err)
		err = vsimple_state_err(dev);
	/* the backlog first: a new call does not pass those waiting */
	if (!err && (!vsimple_slot_free(dev, f, owner, descs) ||
		     (s->ucmd && s->nonblock && f->nbacklog)))
		err = -EAGAIN;
	/*
	 * an io_uring call past the shares waits in the backlog; one past
	 * its file's own limits waits in an io_uring worker, which io_uring
	 * can cancel (a read() may never come)
	 */
	if (err == -EAGAIN && s->ucmd && s->nonblock &&
	    f->nbacklog < VSIMPLE_BACKLOG_MAX && vsimple_stream_room(dev, f)) {
		req->waiting = rb;
		list_add_tail(&req->node, &f->backlog);
		f->nbacklog++;
		dev->stats.backlogged++;
		spin_unlock_irq(&dev->lock);
		return 0;
	}
	if (err)
		goto unlock;
	err = vsimple_send_locked(dev, f, req, rb, len);
	if (err)
		goto unlock;
	/* an io_uring submission notifies once, when its plug is flushed */
	if (!s->more && !(s->ucmd && vsimple_uring_plugged(dev)))
		vsimple_kick_prepare(dev, &k);
	spin_unlock_irq(&dev->lock);
	vsimple_notify(dev, &k);
	return 0;

unlock:
	spin_unlock_irq(&dev->lock);
free:
	vsimple_free_buf(rb);
	kfree(req);
	return err;
}

/* A synchronous call's answer, copied out: freed, out of the pool. */
void vsimple_call_done(struct vsimple_dev *dev, struct vsimple_waiter *w)
{
	spin_lock_irq(&dev->lock);
	dev->uncharged_bytes -= w->uncharged;
	w->uncharged = 0;
	spin_unlock_irq(&dev->lock);
	vsimple_free_buf(w->buf);
	w->buf = NULL;
}

/* Busy-poll condition of a synchronous call: its answer came. */
static bool vsimple_call_ready(void *arg)
{
	struct vsimple_waiter *w = arg;

	return completion_done(&w->done);
}

/*
 * One synchronous request.  On 0, w->buf holds the response (the caller
 * frees it).  An interrupted call abandons the request (its answer is
 * dropped on arrival) and returns -ERESTARTSYS, as read() and write() do: a
 * stop (SIGSTOP, ptrace, the freezer) or an SA_RESTART handler sends it
 * again, another handler sees EINTR.
 */
int vsimple_call(struct vsimple_dev *dev, struct vsimple_file *f, u16 op,
		 const void __user *ureq, u32 len, struct vsimple_waiter *w)
{
	struct iov_iter from;
	struct vsimple_send s = { .op = op, .len = len, .from = &from,
				  .waiter = w };
	int err;

	init_completion(&w->done);
	w->buf = NULL;
	w->err = 0;
	w->uncharged = 0;
	iov_iter_ubuf(&from, ITER_SOURCE, (void __user *)ureq, len);
	err = vsimple_submit(dev, f, &s);
	if (err)
		return err;
	vsimple_busy_poll(dev, vsimple_call_ready, w);
	if (wait_for_completion_interruptible(&w->done)) {
		spin_lock_irq(&dev->lock);
		if (!completion_done(&w->done)) {
			w->req->waiter = NULL;
			spin_unlock_irq(&dev->lock);
			return -ERESTARTSYS;
		}
		spin_unlock_irq(&dev->lock);
	}
	if (w->err) {
		vsimple_free_buf(w->buf);
		w->buf = NULL;
	}
	return w->err;
}
