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
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include "vsimple.h"

static void vsimple_dev_release(struct kref *ref)
{
	struct vsimple_dev *dev = container_of(ref, struct vsimple_dev, ref);

	idr_destroy(&dev->tags);
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
	if (dev->max_payload < 1 ||
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

	err = virtio_find_vqs(dev->vdev, VIRTIO_SIMPLE_VQ_MAX, vqs, callbacks,
			      names, NULL);
	if (err)
		return err;
	dev->req_vq = vqs[VIRTIO_SIMPLE_VQ_REQUEST];
	dev->resp_vq = vqs[VIRTIO_SIMPLE_VQ_RESPONSE];
	dev->max_in_flight = min_t(unsigned int, VSIMPLE_MAX_IN_FLIGHT,
				   virtqueue_get_vring_size(dev->req_vq));
	err = vsimple_fill_resp_queue(dev);
	if (err) {
		vsimple_free_unused(dev);
		dev->vdev->config->del_vqs(dev->vdev);
		return err;
	}
	virtio_device_ready(dev->vdev);
	virtqueue_kick(dev->resp_vq);
	return 0;
}

/* Stop the device and free everything it held, in the upstream order. */
static void vsimple_vqs_teardown(struct vsimple_dev *dev)
{
	cancel_work_sync(&dev->refill_work);
	virtio_reset_device(dev->vdev);
	vsimple_free_unused(dev);
	dev->vdev->config->del_vqs(dev->vdev);
}

/* Fail what is in flight with @err and wake every waiter. */
static void vsimple_stop(struct vsimple_dev *dev, bool dead, int err)
{
	spin_lock_irq(&dev->lock);
	if (dead)
		dev->dead = true;
	else
		dev->broken = true;
	vsimple_fail_all(dev, err);
	spin_unlock_irq(&dev->lock);
	vsimple_wake_all(dev);
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
		dev_err(&vdev->dev, "device needs reset: failing requests\n");
		vsimple_stop(dev, false, -EIO);
		return;
	}
	vsimple_read_label(dev);
	sysfs_notify(&dev->node->kobj, NULL, "label");
}

static void vsimple_config_changed(struct virtio_device *vdev)
{
	struct vsimple_dev *dev = vdev->priv;

	schedule_work(&dev->config_work);
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
	idr_init(&dev->tags);
	init_waitqueue_head(&dev->write_wq);
	INIT_LIST_HEAD(&dev->files);
	INIT_WORK(&dev->refill_work, vsimple_refill_work);
	INIT_WORK(&dev->config_work, vsimple_config_work);

	err = vsimple_read_config(dev);
	if (err)
		goto err_put;
	vsimple_read_label(dev);
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
	vsimple_vqs_teardown(dev);
err_put:
	vdev->priv = NULL;
	vsimple_dev_put(dev);
	return err;
}

static void vsimple_remove(struct virtio_device *vdev)
{
	struct vsimple_dev *dev = vdev->priv;

	vsimple_stop(dev, true, -ENODEV);	/* every call now fails */
	cancel_work_sync(&dev->config_work);	/* later runs see dead */
	vsimple_cdev_remove(dev);		/* the node and N go */
	vsimple_vqs_teardown(dev);
	cancel_work_sync(&dev->config_work);
	vsimple_dev_put(dev);		/* open files keep the rest alive */
}

#ifdef CONFIG_PM_SLEEP
/* Requests in flight fail with -EIO; the files stay open and work after. */
static int vsimple_freeze(struct virtio_device *vdev)
{
	struct vsimple_dev *dev = vdev->priv;

	vsimple_stop(dev, false, -EIO);
	cancel_work_sync(&dev->config_work);
	vsimple_vqs_teardown(dev);
	return 0;
}

static int vsimple_restore(struct virtio_device *vdev)
{
	struct vsimple_dev *dev = vdev->priv;
	int err;

	err = vsimple_vqs_init(dev);
	if (err)
		return err;
	spin_lock_irq(&dev->lock);
	dev->broken = false;
	spin_unlock_irq(&dev->lock);
	vsimple_wake_all(dev);
	return 0;
}
#endif

static const struct virtio_device_id vsimple_id_table[] = {
	{ VIRTIO_ID_SIMPLE, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, vsimple_id_table);

static struct virtio_driver vsimple_driver = {
	.driver.name = KBUILD_MODNAME,
	.driver.owner = THIS_MODULE,
	.id_table = vsimple_id_table,
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
