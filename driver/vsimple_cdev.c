// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/virtio-simpleN: one node per bound device, N from an IDR (minor to
 * device).
 *
 * Each open file has its own response queue: read() returns responses to
 * requests written on the same file, in completion order.  An open file
 * holds a reference on the device state, so it outlives an unplug: every
 * call then fails with -ENODEV and poll reports POLLHUP.
 */
#include <linux/cdev.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/virtio_config.h>
#include "vsimple.h"

#define VSIMPLE_MAX_MINORS 256

static dev_t vsimple_devt;
static struct cdev vsimple_cdev;
static struct class *vsimple_class;
/* minor -> struct vsimple_dev; the IDR doubles as the IDA for N */
static DEFINE_IDR(vsimple_minors);
static DEFINE_MUTEX(vsimple_minors_lock);

static int vsimple_open(struct inode *inode, struct file *filp)
{
	struct vsimple_file *f;
	struct vsimple_dev *dev;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);	/* the opener's memcg */
	if (!f)
		return -ENOMEM;
	mutex_lock(&vsimple_minors_lock);
	dev = idr_find(&vsimple_minors, iminor(inode));
	if (dev)
		kref_get(&dev->ref);
	mutex_unlock(&vsimple_minors_lock);
	if (!dev) {
		kfree(f);
		return -ENODEV;
	}
	f->dev = dev;
	f->memcg = get_mem_cgroup_from_mm(current->mm);
	f->uid = current_euid();
	f->read_batch = 1;
	INIT_LIST_HEAD(&f->responses);
	INIT_LIST_HEAD(&f->backlog);
	INIT_LIST_HEAD(&f->charge_list);
	INIT_WORK(&f->charge_work, vsimple_charge_work);
	init_waitqueue_head(&f->read_wq);
	init_waitqueue_head(&f->write_wq);
	spin_lock_irq(&dev->lock);
	list_add(&f->node, &dev->files);
	spin_unlock_irq(&dev->lock);
	filp->private_data = f;
	return nonseekable_open(inode, filp);
}

/* Queued responses are freed; answers still on their way are dropped. */
static int vsimple_release(struct inode *inode, struct file *filp)
{
	struct vsimple_file *f = filp->private_data;
	struct vsimple_dev *dev = f->dev;
	struct vsimple_req *req, *next;
	unsigned int i;

	spin_lock_irq(&dev->lock);
	/* io_uring holds the file while a call of its backlog waits */
	WARN_ON_ONCE(f->nbacklog);
	list_del(&f->node);
	/* answers still to come go to nobody now */
	for (i = 0; i < VSIMPLE_MAX_IN_FLIGHT; i++)
		if (dev->slots[i] && dev->slots[i]->file == f) {
			dev->slots[i]->owner = NULL;
			dev->slots[i]->file = NULL;
		}
	/* its charge work's answers: off the list; the one it holds, waited for */
	list_for_each_entry_safe(req, next, &f->charge_list, charge_node) {
		list_del_init(&req->charge_node);
		dev->charging--;
	}
	spin_unlock_irq(&dev->lock);
	flush_work(&f->charge_work);
	spin_lock_irq(&dev->lock);
	list_for_each_entry_safe(req, next, &f->responses, node) {
		list_del(&req->node);
		vsimple_resp_consumed(f, req);
	}
	spin_unlock_irq(&dev->lock);
	mem_cgroup_put(f->memcg);
	kfree(f);
	vsimple_dev_put(dev);
	return 0;
}

/*
 * Check a batch: @n bytes holding whole requests back to back, each a
 * struct virtio_simple_hdr and exactly hdr.len payload bytes.  Nothing is
 * sent unless all of them are well formed.  A batch of empty requests
 * takes seconds to check (2 GiB: 128 Mi headers): yield, and stop for a
 * fatal signal.
 */
static int vsimple_check_batch(struct vsimple_dev *dev,
			       const char __user *ubuf, size_t n)
{
	struct virtio_simple_hdr hdr;
	size_t off = 0;
	u32 len;

	while (off < n) {
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
		if (n - off < VSIMPLE_HDR_LEN)
			return -EINVAL;
		if (copy_from_user(&hdr, ubuf + off, VSIMPLE_HDR_LEN))
			return -EFAULT;
		len = le32_to_cpu(hdr.len);
		if (len > dev->max_payload)
			return -EMSGSIZE;
		if (n - off - VSIMPLE_HDR_LEN < len)
			return -EINVAL;
		off += VSIMPLE_HDR_LEN + len;
	}
	return 0;
}

/*
 * One request, or several back to back: the device is notified once for
 * the whole batch.  Like a pipe, a batch that stops part-way (O_NONBLOCK
 * at a limit, a signal, the device failing) returns the bytes of the
 * requests sent, and the error only when none was.
 */
static ssize_t vsimple_write(struct file *filp, const char __user *ubuf,
			     size_t n, loff_t *ppos)
{
	struct vsimple_file *f = filp->private_data;
	struct virtio_simple_hdr hdr;
	struct iov_iter from;
	struct vsimple_send s = { .from = &from,
				  .nonblock = filp->f_flags & O_NONBLOCK };
	size_t off = 0;
	int err;

	if (n < VSIMPLE_HDR_LEN)
		return -EINVAL;
	err = vsimple_check_batch(f->dev, ubuf, n);
	if (err)
		return err;
	while (off < n) {
		size_t size;

		if (copy_from_user(&hdr, ubuf + off, VSIMPLE_HDR_LEN)) {
			err = -EFAULT;
			break;
		}
		size = VSIMPLE_HDR_LEN + (size_t)le32_to_cpu(hdr.len);
		/* another thread may have changed the buffer since the check */
		if (size > n - off || le32_to_cpu(hdr.len) > f->dev->max_payload) {
			err = -EINVAL;
			break;
		}
		s.user_id = le64_to_cpu(hdr.id);
		s.op = le16_to_cpu(hdr.op);
		s.len = le32_to_cpu(hdr.len);
		s.more = off + size < n;
		iov_iter_ubuf(&from, ITER_SOURCE,
			      (char __user *)ubuf + off + VSIMPLE_HDR_LEN, s.len);
		err = vsimple_submit(f->dev, f, &s);
		if (err)
			break;
		off += size;
	}
	if (err && off)
		vsimple_kick_requests(f->dev);	/* the part that was sent */
	return off ? off : err;
}

/*
 * The answer read() would return next, if there is one it may take now
 * (not one the charge work is still copying).  Lock held.
 */
static struct vsimple_req *vsimple_first_answer(struct vsimple_file *f)
{
	struct vsimple_req *req;

	req = list_first_entry_or_null(&f->responses, struct vsimple_req, node);
	return req && !req->charging ? req : NULL;
}

/*
 * Wait condition: a response, or waiting is pointless.  One the charge
 * work is copying is waited for even on a broken or removed device: what
 * had arrived comes before the device's error.  Lock held.
 */
static bool vsimple_readable(struct vsimple_file *f)
{
	if (!list_empty(&f->responses))
		return vsimple_first_answer(f);
	return vsimple_state_err(f->dev);
}

/*
 * Busy-poll condition of a reader: an answer queued (one being charged
 * too: spinning cannot hurry the charge work), or none due (no request of
 * this file at the device) so spinning is pointless.  Lock held.
 */
static bool vsimple_poll_done(void *arg)
{
	struct vsimple_file *f = arg;

	return !list_empty(&f->responses) || vsimple_state_err(f->dev) ||
	       !f->at_device;
}

/* The header read() returns for a request that failed (req->err). */
void vsimple_failure_hdr(const struct vsimple_req *req,
			 struct virtio_simple_hdr *hdr)
{
	hdr->id = cpu_to_le64(req->user_id);
	hdr->op = cpu_to_le16(req->op);
	hdr->status = cpu_to_le16(VIRTIO_SIMPLE_S_DRIVER | -req->err);
	hdr->len = 0;
}

/*
 * The answer read() returns next, with its header in @hdr: the device's,
 * or a failed request's (its id and a driver status).  With nothing to
 * read, *err is the device's state error, else -EAGAIN, and NULL comes
 * back; an entry that stands for the device's removal is returned with
 * -ENODEV, for read() to consume.  read() and IOC_PEEK see the same answer.  Lock held.
 */
static struct vsimple_req *vsimple_next_answer(struct vsimple_file *f,
					       struct virtio_simple_hdr *hdr,
					       int *err)
{
	struct vsimple_req *req;

	req = vsimple_first_answer(f);
	*err = 0;
	if (!req && !list_empty(&f->responses))
		*err = -EAGAIN;		/* being charged: not yet */
	else if (!req)
		*err = vsimple_state_err(f->dev) ?: -EAGAIN;
	else if (req->err == -ENODEV)
		*err = -ENODEV;
	else if (req->err)
		vsimple_failure_hdr(req, hdr);
	else
		*hdr = req->buf->hdr;
	return req;
}

/*
 * Take the next answer into @ubuf if it fits in @room: its size, or
 * -EAGAIN (none), -EMSGSIZE (too big: it stays queued), -EFAULT (it stays
 * queued), the device's state error, or -ENODEV for the entry that stands
 * for the device's removal, consumed only by the @first answer of a read.
 */
static ssize_t vsimple_take_answer(struct vsimple_file *f, char __user *ubuf,
				   size_t room, bool first)
{
	struct vsimple_dev *dev = f->dev;
	struct virtio_simple_hdr hdr;
	struct vsimple_req *req;
	size_t total;
	int err;

	spin_lock_irq(&dev->lock);
	req = vsimple_next_answer(f, &hdr, &err);
	if (req && err == -ENODEV) {	/* removed: the file's error */
		if (first) {
			list_del(&req->node);
			vsimple_resp_consumed(f, req);
		}
		goto unlock;
	}
	if (err)
		goto unlock;
	total = VSIMPLE_HDR_LEN + req->len;	/* len is 0 on failure */
	if (room < total) {
		err = -EMSGSIZE;
		goto unlock;
	}
	list_del(&req->node);
	spin_unlock_irq(&dev->lock);

	if (copy_to_user(ubuf, &hdr, VSIMPLE_HDR_LEN) ||
	    (req->len &&
	     vsimple_copy_payload(ubuf + VSIMPLE_HDR_LEN, req->buf, req->len))) {
		spin_lock_irq(&dev->lock);
		list_add(&req->node, &f->responses);
		spin_unlock_irq(&dev->lock);
		return -EFAULT;
	}
	spin_lock_irq(&dev->lock);
	vsimple_resp_consumed(f, req);
	spin_unlock_irq(&dev->lock);
	return total;
unlock:
	spin_unlock_irq(&dev->lock);
	return err;
}

/*
 * One whole response per call; with IOC_SET_READ_BATCH, up to that many
 * whole answers back to back, those after the first only while they are
 * already there and fit.  Too small a buffer for the first gives -EMSGSIZE
 * and the response stays queued; so does one that cannot be copied out.
 * A request that failed comes back as a header with its id and a driver
 * status (VIRTIO_SIMPLE_S_EIO, _ENOMEM); only the device's removal is the
 * file's errno.  What has already arrived is delivered before a broken or
 * removed device's error.
 */
static ssize_t vsimple_read(struct file *filp, char __user *ubuf, size_t n,
			    loff_t *ppos)
{
	struct vsimple_file *f = filp->private_data;
	struct vsimple_dev *dev = f->dev;
	bool nonblock = filp->f_flags & O_NONBLOCK;
	unsigned int batch, got;
	ssize_t total, more;
	int err;

	for (;;) {
		if (!nonblock) {
			vsimple_busy_poll(dev, vsimple_poll_done, f);
			spin_lock_irq(&dev->lock);
			err = wait_event_interruptible_lock_irq(f->read_wq,
								vsimple_readable(f),
								dev->lock);
			spin_unlock_irq(&dev->lock);
			if (err)
				return err;
		}
		total = vsimple_take_answer(f, ubuf, n, true);
		/* another reader of the file took it first: wait again */
		if (total != -EAGAIN || nonblock)
			break;
	}
	if (total < 0)
		return total;
	batch = READ_ONCE(f->read_batch);
	for (got = 1; got < batch; got++) {
		more = vsimple_take_answer(f, ubuf + total, n - total, false);
		if (more < 0)
			break;	/* left for the next read() */
		total += more;
	}
	return total;
}

/* Answers one read() may return, at most (IOC_SET_READ_BATCH). */
static long vsimple_ioctl_read_batch(struct vsimple_file *f, u32 __user *arg)
{
	u32 batch;

	if (get_user(batch, arg))
		return -EFAULT;
	if (!batch || batch > VIRTIO_SIMPLE_READ_BATCH_MAX)
		return -EINVAL;
	WRITE_ONCE(f->read_batch, batch);
	return 0;
}

/*
 * The header the next read() returns, the response left queued: how a
 * reader whose buffer was too small (EMSGSIZE) learns the size it needs
 * without taking the answer out of poll()'s sight.
 */
static int vsimple_ioctl_peek(struct vsimple_file *f, void __user *arg)
{
	struct vsimple_dev *dev = f->dev;
	struct virtio_simple_hdr hdr;
	int err;

	spin_lock_irq(&dev->lock);
	vsimple_next_answer(f, &hdr, &err);
	spin_unlock_irq(&dev->lock);
	if (err)
		return err;
	return copy_to_user(arg, &hdr, sizeof(hdr)) ? -EFAULT : 0;
}

static __poll_t vsimple_poll_mask(struct vsimple_file *f)
{
	struct vsimple_dev *dev = f->dev;
	__poll_t mask = 0;

	spin_lock_irq(&dev->lock);
	if (dev->dead || dev->broken)
		mask |= EPOLLHUP | EPOLLERR;
	if (vsimple_first_answer(f))
		mask |= EPOLLIN | EPOLLRDNORM;
	/*
	 * write()'s test for a request that takes one descriptor, so POLLOUT
	 * means it will not block (a request over a page, on a ring without
	 * indirect descriptors, may still wait for more: docs/driver.md)
	 */
	if (!dev->dead && !dev->broken && vsimple_slot_free(dev, f, true, 1))
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock_irq(&dev->lock);
	return mask;
}

/*
 * A caller that would sleep for EPOLLIN busy-polls first, as read() does
 * (busy_poll_us), so an event loop gains what a blocking reader does.
 */
static __poll_t vsimple_poll(struct file *filp, poll_table *wait)
{
	struct vsimple_file *f = filp->private_data;
	__poll_t want = poll_requested_events(wait);
	__poll_t mask;

	poll_wait(filp, &f->read_wq, wait);
	poll_wait(filp, &f->write_wq, wait);
	mask = vsimple_poll_mask(f);
	if (!(mask & want) && (want & EPOLLIN) && !poll_does_not_wait(wait)) {
		vsimple_busy_poll(f->dev, vsimple_poll_done, f);
		mask = vsimple_poll_mask(f);
	}
	return mask;
}

static long vsimple_ioctl_info(struct vsimple_dev *dev, void __user *arg)
{
	struct virtio_simple_info info = { 0 };

	spin_lock_irq(&dev->lock);
	if (dev->dead) {
		spin_unlock_irq(&dev->lock);
		return -ENODEV;
	}
	info.max_payload = dev->max_payload;
	info.req_queue_size = dev->req_ring;
	info.resp_queue_size = dev->resp_ring;
	info.max_in_flight = dev->max_in_flight;
	info.features = dev->vdev->features;
	memcpy(info.label, dev->label, sizeof(info.label));
	spin_unlock_irq(&dev->lock);
	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long vsimple_ioctl_call(struct vsimple_file *f, void __user *arg)
{
	struct virtio_simple_call call;
	struct vsimple_waiter w;
	long err;

	if (copy_from_user(&call, arg, sizeof(call)))
		return -EFAULT;
	err = vsimple_call(f->dev, f, call.op, u64_to_user_ptr(call.req_buf),
			   call.req_len, &w);
	if (err)
		return err;
	call.status = le16_to_cpu(w.buf->hdr.status);
	call.resp_len = w.len;
	if (w.len > call.resp_cap)
		err = -EMSGSIZE;
	else
		err = vsimple_copy_payload(u64_to_user_ptr(call.resp_buf),
					   w.buf, w.len);
	vsimple_call_done(f->dev, &w);
	if (copy_to_user(arg, &call, sizeof(call)))
		return -EFAULT;
	return err;
}

static long vsimple_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	struct vsimple_file *f = filp->private_data;

	switch (cmd) {
	case VIRTIO_SIMPLE_IOC_INFO:
		return vsimple_ioctl_info(f->dev, (void __user *)arg);
	case VIRTIO_SIMPLE_IOC_CALL:
		return vsimple_ioctl_call(f, (void __user *)arg);
	case VIRTIO_SIMPLE_IOC_PEEK:
		return vsimple_ioctl_peek(f, (void __user *)arg);
	case VIRTIO_SIMPLE_IOC_SET_READ_BATCH:
		return vsimple_ioctl_read_batch(f, (u32 __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vsimple_fops = {
	.owner = THIS_MODULE,
	.open = vsimple_open,
	.release = vsimple_release,
	.read = vsimple_read,
	.write = vsimple_write,
	.poll = vsimple_poll,
	.unlocked_ioctl = vsimple_ioctl,
	.uring_cmd = vsimple_uring_cmd,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

/* Wake every sleeper: writers, readers of every file, pollers. */
void vsimple_wake_all(struct vsimple_dev *dev)
{
	struct vsimple_file *f;

	spin_lock_irq(&dev->lock);
	list_for_each_entry(f, &dev->files, node) {
		wake_up_interruptible(&f->read_wq);
		wake_up_interruptible(&f->write_wq);
	}
	spin_unlock_irq(&dev->lock);
}

int vsimple_cdev_add(struct vsimple_dev *dev)
{
	int minor;

	mutex_lock(&vsimple_minors_lock);
	minor = idr_alloc(&vsimple_minors, dev, 0, VSIMPLE_MAX_MINORS,
			  GFP_KERNEL);
	mutex_unlock(&vsimple_minors_lock);
	if (minor < 0)
		return minor;
	dev->minor = minor;
	/* attributes come with the node, so they exist before anyone opens it */
	dev->node = device_create_with_groups(vsimple_class, &dev->vdev->dev,
					      MKDEV(MAJOR(vsimple_devt), minor),
					      dev, vsimple_groups,
					      "virtio-simple%d", minor);
	if (IS_ERR(dev->node)) {
		mutex_lock(&vsimple_minors_lock);
		idr_remove(&vsimple_minors, minor);
		mutex_unlock(&vsimple_minors_lock);
		return PTR_ERR(dev->node);
	}
	return 0;
}

/* The node goes and N is free for the next device; open files stay. */
void vsimple_cdev_remove(struct vsimple_dev *dev)
{
	device_destroy(vsimple_class, MKDEV(MAJOR(vsimple_devt), dev->minor));
	mutex_lock(&vsimple_minors_lock);
	idr_remove(&vsimple_minors, dev->minor);
	mutex_unlock(&vsimple_minors_lock);
}

int vsimple_cdev_init(void)
{
	int err;

	err = alloc_chrdev_region(&vsimple_devt, 0, VSIMPLE_MAX_MINORS,
				  "virtio-simple");
	if (err)
		return err;
	cdev_init(&vsimple_cdev, &vsimple_fops);
	vsimple_cdev.owner = THIS_MODULE;
	err = cdev_add(&vsimple_cdev, vsimple_devt, VSIMPLE_MAX_MINORS);
	if (err)
		goto err_region;
	vsimple_class = vsimple_class_create("virtio-simple");
	if (IS_ERR(vsimple_class)) {
		err = PTR_ERR(vsimple_class);
		goto err_cdev;
	}
	return 0;

err_cdev:
	cdev_del(&vsimple_cdev);
err_region:
	unregister_chrdev_region(vsimple_devt, VSIMPLE_MAX_MINORS);
	return err;
}

void vsimple_cdev_exit(void)
{
	class_destroy(vsimple_class);
	cdev_del(&vsimple_cdev);
	unregister_chrdev_region(vsimple_devt, VSIMPLE_MAX_MINORS);
	idr_destroy(&vsimple_minors);
}
