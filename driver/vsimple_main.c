// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-simple: driver for the virtio-simple request/response device.
 *
 * requestq carries requests to the device, responseq holds buffers the
 * device answers into.  The protocol is include/uapi/virtio_simple.h; the
 * user interface, /dev/virtio-simpleN, is in vsimple_cdev.c.
 *
 * probe builds the device state, sets up the queues, then exposes the node;
 * remove undoes it in reverse.  freeze/restore reuse the queue halves.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include "vsimple.h"

unsigned int vsimple_request_timeout_ms = 10000;

/*
 * 0 (never), or at least the longest DELAY: a shorter timeout resets a
 * healthy device over and over.
 */
static int vsimple_set_timeout(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;

	if (!kstrtouint(val, 0, &ms) && !ms)
		return param_set_uint(val, kp);
	return param_set_uint_minmax(val, kp, VSIMPLE_TIMEOUT_MIN_MS,
				     VSIMPLE_TIMEOUT_MAX_MS);
}

static const struct kernel_param_ops vsimple_timeout_ops = {
	.set = vsimple_set_timeout,
	.get = param_get_uint,
};

module_param_cb(request_timeout_ms, &vsimple_timeout_ops,
		&vsimple_request_timeout_ms, 0644);
MODULE_PARM_DESC(request_timeout_ms,
		 "Reset the device when a request has waited this long for its answer (ms, 0: never; default 10000; 1000, the longest DELAY, to 3600000)");

/*
 * Busy polling (vsimple_busy_poll): off by default; bounded, as the CPU
 * spins with preemption off, so a typo cannot make every reader spin for
 * seconds.
 */
unsigned int vsimple_busy_poll_us;

static int vsimple_set_busy_poll(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, VSIMPLE_BUSY_POLL_MAX_US);
}

static const struct kernel_param_ops vsimple_busy_poll_ops = {
	.set = vsimple_set_busy_poll,
	.get = param_get_uint,
};

module_param_cb(busy_poll_us, &vsimple_busy_poll_ops, &vsimple_busy_poll_us,
		0644);
MODULE_PARM_DESC(busy_poll_us,
		 "Spin up to this long for an answer before sleeping (us, 0: never, the default; at most 5000)");

static void vsimple_dev_release(struct kref *ref)
{
	struct vsimple_dev *dev = container_of(ref, struct vsimple_dev, ref);

	kfree(dev->resp_sg);
	kfree(dev->req_sg);
	kfree(dev);
}

void vsimple_dev_put(struct vsimple_dev *dev)
{
	kref_put(&dev->ref, vsimple_dev_release);
}

static int vsimple_read_config(struct vsimple_dev *dev)
{
	struct virtio_device *vdev = dev->vdev;
	u32 magic;

	virtio_cread_le(vdev, struct virtio_simple_config, magic, &magic);
	if (magic != VIRTIO_SIMPLE_MAGIC) {
		dev_err(&vdev->dev, "bad config magic 0x%08x\n", magic);
		return -ENODEV;
	}
	virtio_cread_le(vdev, struct virtio_simple_config, max_payload,
			&dev->max_payload);
	if (dev->max_payload < VIRTIO_SIMPLE_MAX_PAYLOAD_MIN ||
	    dev->max_payload > VIRTIO_SIMPLE_MAX_PAYLOAD_LIMIT) {
		dev_err(&vdev->dev, "bad max_payload %u\n", dev->max_payload);
		return -ENODEV;
	}
	return 0;
}

/* Copy the label, forcing a NUL whatever the device wrote. */
static void vsimple_read_label(struct vsimple_dev *dev)
{
	char label[VIRTIO_SIMPLE_LABEL_SIZE];

	virtio_cread_bytes(dev->vdev,
			   offsetof(struct virtio_simple_config, label),
			   label, sizeof(label));
	label[sizeof(label) - 1] = '\0';
	spin_lock_irq(&dev->lock);
	strscpy(dev->label, label, sizeof(dev->label));
	spin_unlock_irq(&dev->lock);
}

/* Find the queues, post response buffers, and tell the device we're ready. */
static int vsimple_vqs_init(struct vsimple_dev *dev)
{
	static const char * const names[] = { "requestq", "responseq" };
	vq_callback_t *callbacks[] = { vsimple_req_done, vsimple_resp_done };
	struct virtqueue *vqs[VIRTIO_SIMPLE_VQ_MAX];
	int err;

	err = vsimple_find_vqs(dev->vdev, VIRTIO_SIMPLE_VQ_MAX, vqs, callbacks,
			       names);
	if (err)
		return err;
	dev->req_vq = vqs[VIRTIO_SIMPLE_VQ_REQUEST];
	dev->resp_vq = vqs[VIRTIO_SIMPLE_VQ_RESPONSE];
	dev->req_ring = virtqueue_get_vring_size(dev->req_vq);
	dev->resp_ring = virtqueue_get_vring_size(dev->resp_vq);
	dev->max_in_flight = min_t(unsigned int, VSIMPLE_MAX_IN_FLIGHT,
				   dev->req_ring);
	/* requestq descriptors are reclaimed without its interrupt */
	virtqueue_disable_cb(dev->req_vq);
	err = vsimple_fill_resp_queue(dev);
	if (err) {
		/*
		 * find_vqs enabled the queues: reset before freeing what was
		 * posted, or the device may still use it and the next probe
		 * finds them enabled (-ENOENT)
		 */
		virtio_reset_device(dev->vdev);
		vsimple_free_unused(dev);
		dev->vdev->config->del_vqs(dev->vdev);
		dev->req_vq = NULL;	/* nothing may touch them now */
		dev->resp_vq = NULL;
		return err;
	}
	virtio_device_ready(dev->vdev);
	spin_lock_irq(&dev->lock);
	virtqueue_kick(dev->resp_vq);
	spin_unlock_irq(&dev->lock);
	return 0;
}

/* Free what the device held and the queues (after a reset). */
static void vsimple_vqs_del(struct vsimple_dev *dev)
{
	if (!dev->req_vq)
		return;		/* a failed restore already did */
	vsimple_free_unused(dev);
	dev->vdev->config->del_vqs(dev->vdev);
	dev->req_vq = NULL;
	dev->resp_vq = NULL;
}

/*
 * Stop the device and fail what is in flight with @err, waking every
 * waiter.  The reset comes first, as upstream drivers do: once it returns
 * no answer and no callback can arrive, so none is taken for a bad one.
 * The caller has set the state flag that tells later calls what to do.
 */
static void vsimple_stop(struct vsimple_dev *dev, int err)
{
	spin_lock_irq(&dev->lock);
	WRITE_ONCE(dev->vq_gen, dev->vq_gen + 1);
	spin_unlock_irq(&dev->lock);
	synchronize_rcu();	/* notifies outside the lock are done */
	cancel_delayed_work_sync(&dev->refill_work);
	cancel_delayed_work_sync(&dev->backlog_work);
	virtio_reset_device(dev->vdev);
	spin_lock_irq(&dev->lock);
	vsimple_fail_all(dev, err, true);
	/* a reset to recover from: those waiting go after it */
	if (!dev->recovering)
		vsimple_fail_backlogs(dev, err);
	spin_unlock_irq(&dev->lock);
	vsimple_wake_all(dev);
	vsimple_vqs_del(dev);
}

static void vsimple_set_flag(struct vsimple_dev *dev, bool *flag, bool on)
{
	spin_lock_irq(&dev->lock);
	WRITE_ONCE(*flag, on);
	spin_unlock_irq(&dev->lock);
}

/*
 * A device that needs a reset again and again without answering anything
 * in between is not helped by more resets: stop it, and leave it broken
 * (calls fail with EIO) until it is unbound and bound again.
 */
static void vsimple_give_up(struct vsimple_dev *dev)
{
	dev_err(&dev->vdev->dev,
		"needed a reset %u times in a row with no answer in between: giving up; unbind and bind it to try again\n",
		VSIMPLE_RECOVERY_MAX);
	cancel_delayed_work_sync(&dev->watchdog);
	vsimple_stop(dev, -EIO);
}

/*
 * Recovery from a device that needs a reset or stopped answering: reset
 * it, fail what was in flight with -EIO to whoever sent it, and bring the
 * queues back, through the same freeze/restore halves as suspend.  Calls
 * made meanwhile wait (recovering).  If the queues cannot come back, the
 * device stays broken: -EIO until it is unbound or removed.
 */
static void vsimple_recover_work(struct work_struct *work)
{
	struct vsimple_dev *dev = container_of(work, struct vsimple_dev,
					       recover_work);
	unsigned int streak;
	int err;

	spin_lock_irq(&dev->lock);
	if (dev->dead || dev->broken) {
		spin_unlock_irq(&dev->lock);
		return;
	}
	streak = ++dev->recover_streak;
	if (streak > VSIMPLE_RECOVERY_MAX) {
		/*
		 * in the same hold as broken: a read() that finds the device
		 * broken finds its failed requests queued first, named by id
		 */
		WRITE_ONCE(dev->broken, true);
		vsimple_fail_all(dev, -EIO, false);
		spin_unlock_irq(&dev->lock);
		vsimple_give_up(dev);
		return;
	}
	WRITE_ONCE(dev->recovering, true);
	dev->stats.recoveries++;
	spin_unlock_irq(&dev->lock);

	/* again with nothing answered since the last one: back off first */
	if (streak > 1)
		msleep(VSIMPLE_RECOVERY_BACKOFF_MS << (streak - 2));
	dev_warn_ratelimited(&dev->vdev->dev,
			     "resetting the device; requests in flight fail with EIO\n");
#ifdef CONFIG_PM_SLEEP
	err = virtio_device_freeze(dev->vdev);
	if (!err)
		err = virtio_device_restore(dev->vdev);
#else
	err = -EOPNOTSUPP;	/* the core's re-initialisation needs PM_SLEEP */
#endif
	spin_lock_irq(&dev->lock);
	if (err)
		WRITE_ONCE(dev->broken, true);
	WRITE_ONCE(dev->recovering, false);
	spin_unlock_irq(&dev->lock);
	if (err) {
		dev_err(&dev->vdev->dev, "recovery failed (%d): device unusable\n", err);
		spin_lock_irq(&dev->lock);
		vsimple_fail_backlogs(dev, -EIO);
		spin_unlock_irq(&dev->lock);
	}
	vsimple_flush_backlogs(dev);
	vsimple_wake_all(dev);
}

void vsimple_schedule_recovery(struct vsimple_dev *dev)
{
	if (!READ_ONCE(dev->dead))
		queue_work(system_freezable_wq, &dev->recover_work);
}

/* Arm the request timeout while something is in flight.  Lock held. */
void vsimple_arm_watchdog(struct vsimple_dev *dev)
{
	unsigned int ms = READ_ONCE(vsimple_request_timeout_ms);

	if (ms && !dev->dead)
		queue_delayed_work(system_freezable_wq, &dev->watchdog,
				   msecs_to_jiffies(ms));
}

/*
 * A request unanswered past the timeout means the device is stuck.  But a
 * batch may sit un-notified while write() copies its next request from a
 * slow user page: so the first time, notify the device and give it one
 * more period; reset only if the same request is still the oldest.
 */
static void vsimple_watchdog(struct work_struct *work)
{
	struct vsimple_dev *dev = container_of(to_delayed_work(work),
					       struct vsimple_dev, watchdog);
	unsigned int ms = READ_ONCE(vsimple_request_timeout_ms);
	unsigned long timeout = msecs_to_jiffies(ms);
	struct vsimple_req *oldest;

	spin_lock_irq(&dev->lock);
	oldest = vsimple_oldest_request(dev);
	if (!ms || !oldest || dev->dead || dev->recovering) {
		dev->watchdog_warned = false;
	} else if (time_before(jiffies, oldest->sent + timeout)) {
		queue_delayed_work(system_freezable_wq, &dev->watchdog,
				   oldest->sent + timeout - jiffies);
	} else if (!dev->watchdog_warned || dev->watchdog_tag != oldest->tag) {
		dev->watchdog_warned = true;
		dev->watchdog_tag = oldest->tag;
		virtqueue_kick(dev->req_vq);
		queue_delayed_work(system_freezable_wq, &dev->watchdog, timeout);
	} else {
		dev_warn(&dev->vdev->dev, "a request got no answer in %u ms\n", ms);
		dev->watchdog_warned = false;
		vsimple_schedule_recovery(dev);
	}
	spin_unlock_irq(&dev->lock);
}

/*
 * Config change: a new label, or the device reporting NEEDS_RESET.  The
 * callback runs in interrupt context; config reads may sleep, so defer.
 */
static void vsimple_config_work(struct work_struct *work)
{
	struct vsimple_dev *dev = container_of(work, struct vsimple_dev,
					       config_work);
	struct virtio_device *vdev = dev->vdev;

	if (READ_ONCE(dev->dead))
		return;
	if (vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_NEEDS_RESET) {
		dev_err_ratelimited(&vdev->dev, "device needs reset\n");
		vsimple_schedule_recovery(dev);
		return;
	}
	vsimple_read_label(dev);
	sysfs_notify(&dev->node->kobj, NULL, "label");
}

/*
 * Checked under the lock: remove() sets dead under it before cancelling
 * config_work, and a recovery that ends during remove() re-enables config
 * changes (virtio_config_enable replays a pending one), so nothing may be
 * queued after that.
 */
static void vsimple_config_changed(struct virtio_device *vdev)
{
	struct vsimple_dev *dev = vdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&dev->lock, flags);
	if (!dev->dead)
		schedule_work(&dev->config_work);
	spin_unlock_irqrestore(&dev->lock, flags);
}

static int vsimple_probe(struct virtio_device *vdev)
{
	struct vsimple_dev *dev;
	int err;

	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev, "device does not offer VIRTIO_F_VERSION_1\n");
		return -ENODEV;
	}
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	kref_init(&dev->ref);
	dev->vdev = vdev;
	vdev->priv = dev;
	spin_lock_init(&dev->lock);
	INIT_LIST_HEAD(&dev->files);
	INIT_LIST_HEAD(&dev->spare);
	INIT_DELAYED_WORK(&dev->refill_work, vsimple_refill_work);
	INIT_DELAYED_WORK(&dev->backlog_work, vsimple_backlog_work);
	INIT_WORK(&dev->config_work, vsimple_config_work);
	INIT_WORK(&dev->recover_work, vsimple_recover_work);
	INIT_DELAYED_WORK(&dev->watchdog, vsimple_watchdog);
	/*
	 * what was negotiated, read now: after an unbind the calls of open
	 * files must not ask the core, whose driver pointer is gone
	 */
	dev->indirect = virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC);
	dev->answer_in_place = dev->indirect &&
		virtio_has_feature(vdev, VIRTIO_SIMPLE_F_ANSWER_IN_PLACE);

	err = vsimple_read_config(dev);
	if (err)
		goto err_put;
	vsimple_read_label(dev);
	/*
	 * the most chunks a message can have: page-sized ones; a request sent
	 * from a registered buffer (io_uring) may start mid-page: one more,
	 * and twice that with room for its answer (ANSWER_IN_PLACE)
	 */
	dev->resp_sg = kmalloc_array(DIV_ROUND_UP(dev->max_payload, PAGE_SIZE) + 1,
				     sizeof(*dev->resp_sg), GFP_KERNEL);
	dev->req_sg_len = 2 * (DIV_ROUND_UP(dev->max_payload, PAGE_SIZE) + 2);
	dev->req_sg = kmalloc_array(dev->req_sg_len, sizeof(*dev->req_sg),
				    GFP_KERNEL);
	if (!dev->resp_sg || !dev->req_sg) {
		err = -ENOMEM;
		goto err_put;
	}
	err = vsimple_vqs_init(dev);
	if (err)
		goto err_put;
	err = vsimple_cdev_add(dev);
	if (err)
		goto err_teardown;
	dev_info(&vdev->dev, "virtio-simple%d ready, max payload %u\n",
		 dev->minor, dev->max_payload);
	return 0;

err_teardown:
	virtio_reset_device(vdev);
	vsimple_vqs_del(dev);
err_put:
	vdev->priv = NULL;
	vsimple_dev_put(dev);
	return err;
}

static void vsimple_remove(struct virtio_device *vdev)
{
	struct vsimple_dev *dev = vdev->priv;

	vsimple_set_flag(dev, &dev->dead, true); /* calls fail, nothing new is scheduled */
	cancel_work_sync(&dev->config_work);
	cancel_work_sync(&dev->recover_work);
	cancel_delayed_work_sync(&dev->watchdog);
	vsimple_cdev_remove(dev);		/* the node and N go */
	vsimple_stop(dev, -ENODEV);
	vsimple_dev_put(dev);		/* open files keep the rest alive */
}

#ifdef CONFIG_PM_SLEEP
/*
 * Requests in flight fail with -EIO; the files stay open and work after.
 * Also the first half of a recovery, where calls wait instead of failing.
 */
static int vsimple_freeze(struct virtio_device *vdev)
{
	struct vsimple_dev *dev = vdev->priv;

	if (!READ_ONCE(dev->recovering))
		vsimple_set_flag(dev, &dev->broken, true);
	cancel_delayed_work_sync(&dev->watchdog);
	vsimple_stop(dev, -EIO);
	return 0;
}

/* On failure the queues are gone and the device stays broken. */
static int vsimple_restore(struct virtio_device *vdev)
{
	struct vsimple_dev *dev = vdev->priv;
	int err;

	err = vsimple_vqs_init(dev);
	if (err)
		return err;
	if (!READ_ONCE(dev->recovering))
		vsimple_set_flag(dev, &dev->broken, false);
	vsimple_flush_backlogs(dev);
	vsimple_wake_all(dev);
	return 0;
}
#endif

static const struct virtio_device_id vsimple_id_table[] = {
	{ VIRTIO_ID_SIMPLE, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, vsimple_id_table);

/* The device's feature bits this driver knows; virtio core offers back those */
static unsigned int vsimple_features[] = {
	VIRTIO_SIMPLE_F_ANSWER_IN_PLACE,
};

static struct virtio_driver vsimple_driver = {
	.driver.name = KBUILD_MODNAME,
	.driver.owner = THIS_MODULE,
	.id_table = vsimple_id_table,
	.feature_table = vsimple_features,
	.feature_table_size = ARRAY_SIZE(vsimple_features),
	.probe = vsimple_probe,
	.remove = vsimple_remove,
	.config_changed = vsimple_config_changed,
#ifdef CONFIG_PM_SLEEP
	.freeze = vsimple_freeze,
	.restore = vsimple_restore,
#endif
};

static int __init vsimple_init(void)
{
	int err;

	err = vsimple_cdev_init();
	if (err)
		return err;
	err = register_virtio_driver(&vsimple_driver);
	if (err)
		vsimple_cdev_exit();
	return err;
}

static void __exit vsimple_exit(void)
{
	unregister_virtio_driver(&vsimple_driver);
	vsimple_cdev_exit();
}

module_init(vsimple_init);
module_exit(vsimple_exit);

MODULE_DESCRIPTION("virtio-simple request/response device driver");
MODULE_LICENSE("GPL");
