// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring passthrough (VIRTIO_SIMPLE_URING_CALL): one request per SQE, its
 * answer written back into the same buffer and completed into the CQE.
 *
 * With a registered buffer (IORING_URING_CMD_FIXED) the payload goes to the
 * device from the buffer's pages, no copy: the request holds a reference
 * on each until requestq gives it back, whatever happened to its answer.
 * When the buffer has room for max_payload and the device offers
 * ANSWER_IN_PLACE (with indirect descriptors), the chain also gives the
 * device room for the answer:
 * its header in the driver's memory, its payload in the same pages, so
 * the device writes the answer where the caller reads it and only the
 * 16-byte header is copied.  Otherwise the answer arrives in a responseq
 * buffer (any request's answer may take any of them) and is copied into
 * the caller's buffer once.  Either copy is made in the caller's task
 * (task work), where a plain user address can be written; once that task
 * is gone, not at all (-ECANCELED).
 *
 * Notifications: io_uring plugs a submission of more than two SQEs, as it
 * does for block devices; the requests of one plugged submission are
 * notified once, when the plug is flushed (io_uring_enter() is done, or
 * the submitter sleeps), the way md's RAID uses a plug.
 *
 * An io_uring call is a stream request of its file for every limit
 * (vsimple.h): its answer pins memory until the task work has copied it.
 */
#include <linux/blkdev.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include "vsimple.h"

/* Kept in the command's pdu from submission to completion. */
struct vsimple_uring_pdu {
	struct vsimple_req *req;	/* once answered */
	u64 addr;			/* the caller's buffer */
	u32 cap;
	bool fixed;			/* registered with the ring */
};

static struct vsimple_uring_pdu *vsimple_pdu(struct io_uring_cmd *ucmd)
{
	BUILD_BUG_ON(sizeof(struct vsimple_uring_pdu) > sizeof(ucmd->pdu));
	return (struct vsimple_uring_pdu *)ucmd->pdu;
}

/* The caller's buffer as an iterator, for @dir (ITER_SOURCE or _DEST). */
static int vsimple_uring_iter(struct io_uring_cmd *ucmd, u64 addr, u32 len,
			      int dir, struct iov_iter *it)
{
	if (vsimple_pdu(ucmd)->fixed)
		return io_uring_cmd_import_fixed(addr, len, dir, it, ucmd);
	iov_iter_ubuf(it, dir, u64_to_user_ptr(addr), len);
	return 0;
}

/*
 * The answer into the caller's buffer; the CQE's result.  A request that
 * failed comes back as a header with its id and a driver status, as on
 * read(); only the device's removal is an errno.
 */
static int vsimple_uring_copy_answer(struct io_uring_cmd *ucmd,
				     struct vsimple_req *req)
{
	struct vsimple_uring_pdu *pdu = vsimple_pdu(ucmd);
	struct virtio_simple_hdr hdr;
	struct iov_iter it;
	size_t total;
	int err;

	if (req->err == -ENODEV)
		return -ENODEV;
	if (req->err)
		vsimple_failure_hdr(req, &hdr);
	else if (req->in_place)
		hdr = req->hdr;
	else
		hdr = req->buf->hdr;
	total = VSIMPLE_HDR_LEN + req->len;	/* len is 0 on failure */
	err = vsimple_uring_iter(ucmd, pdu->addr, min_t(size_t, total, pdu->cap),
				 ITER_DEST, &it);
	if (err)
		return err;
	/* too small: the header alone says what size was needed */
	if (copy_to_iter(&hdr, VSIMPLE_HDR_LEN, &it) != VSIMPLE_HDR_LEN)
		return -EFAULT;
	if (total > pdu->cap)
		return -EMSGSIZE;
	if (req->len && !req->in_place &&
	    vsimple_copy_payload_iter(&it, req->buf, req->len) != req->len)
		return -EFAULT;
	return total;
}

/* Task work: the answer goes to the buffer, the request's memory is freed. */
static void vsimple_uring_complete(struct io_uring_cmd *ucmd,
				   unsigned int issue_flags)
{
	struct vsimple_req *req = vsimple_pdu(ucmd)->req;
	struct vsimple_file *f = req->owner;
	int res = -ECANCELED;

	/*
	 * The caller's task is gone (io_uring runs this from a kworker, or
	 * in the exiting task after its memory went): a user address would
	 * name another process's memory, so nothing is copied.
	 */
	if (!(current->flags & (PF_EXITING | PF_KTHREAD)) && current->mm)
		res = vsimple_uring_copy_answer(ucmd, req);
	spin_lock_irq(&f->dev->lock);
	vsimple_resp_consumed(f, req);
	spin_unlock_irq(&f->dev->lock);
	io_uring_cmd_done(ucmd, res, 0, issue_flags);
}

/* vsimple_deliver(): an io_uring call's answer came (or it failed).  Lock held. */
void vsimple_uring_answered(struct vsimple_req *req)
{
	vsimple_pdu(req->ucmd)->req = req;
	io_uring_cmd_complete_in_task(req->ucmd, vsimple_uring_complete);
}

/* The plug is flushed: notify the device of what the submission added. */
static void vsimple_unplug(struct blk_plug_cb *cb, bool from_schedule)
{
	struct vsimple_dev *dev = cb->data;

	kfree(cb);
	vsimple_kick_requests(dev);
}

/*
 * Whether the submission is plugged and will call vsimple_unplug() when it
 * ends; one callback per device per plug.  Asked once the request is in
 * the ring (vsimple_submit(), lock held): asked before, a sleep in between
 * (an allocation, a page fault) would flush the plug before the request
 * was there to notify.
 */
bool vsimple_uring_plugged(struct vsimple_dev *dev)
{
	return blk_check_plugged(vsimple_unplug, dev,
				 sizeof(struct blk_plug_cb)) != NULL;
}

/*
 * Nothing in the SQE is trusted: the lengths are checked against each
 * other and max_payload before anything is sent, and the header is read
 * once.  Returns -EIOCBQUEUED once the request is on its way or waits in
 * its file's backlog (a slot will take it, vsimple_core.c); with that
 * backlog full, -EAGAIN on the non-blocking first try (io_uring then
 * retries from a worker that may wait).
 */
int vsimple_uring_cmd(struct io_uring_cmd *ucmd, unsigned int issue_flags)
{
	const struct virtio_simple_uring_call *uc = vsimple_uring_cmd_data(ucmd);
	struct vsimple_uring_pdu *pdu = vsimple_pdu(ucmd);
	struct vsimple_file *f = ucmd->file->private_data;
	struct vsimple_dev *dev = f->dev;
	struct virtio_simple_hdr hdr;
	struct vsimple_send s = { };
	struct iov_iter from, to;
	u32 req_len;
	int err;

	if (ucmd->cmd_op != VIRTIO_SIMPLE_URING_CALL)
		return -ENOTTY;
	pdu->req = NULL;
	pdu->addr = READ_ONCE(uc->addr);
	pdu->cap = READ_ONCE(uc->cap);
	pdu->fixed = ucmd->flags & IORING_URING_CMD_FIXED;
	req_len = READ_ONCE(uc->req_len);
	if (req_len < VSIMPLE_HDR_LEN || pdu->cap < VSIMPLE_HDR_LEN)
		return -EINVAL;
	if (req_len - VSIMPLE_HDR_LEN > dev->max_payload)
		return -EMSGSIZE;
	err = vsimple_uring_iter(ucmd, pdu->addr, req_len, ITER_SOURCE, &from);
	if (err)
		return err;
	if (copy_from_iter(&hdr, VSIMPLE_HDR_LEN, &from) != VSIMPLE_HDR_LEN)
		return -EFAULT;
	if (le32_to_cpu(hdr.len) != req_len - VSIMPLE_HDR_LEN)
		return -EINVAL;
	s.user_id = le64_to_cpu(hdr.id);
	s.op = le16_to_cpu(hdr.op);
	s.len = le32_to_cpu(hdr.len);
	s.from = &from;
	s.in_place = pdu->fixed;
	/* room for any answer: the device writes it in these pages */
	if (pdu->fixed && pdu->cap - VSIMPLE_HDR_LEN >= dev->max_payload &&
	    dev->answer_in_place &&
	    !vsimple_uring_iter(ucmd, pdu->addr + VSIMPLE_HDR_LEN,
				dev->max_payload, ITER_DEST, &to))
		s.answer_to = &to;
	s.ucmd = ucmd;
	s.nonblock = issue_flags & IO_URING_F_NONBLOCK;
	err = vsimple_submit(dev, f, &s);
	if (err == -ERESTARTSYS)	/* no restart here: the CQE says it */
		err = -EINTR;
	return err ?: -EIOCBQUEUED;
}
