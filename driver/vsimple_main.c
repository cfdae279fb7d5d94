// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-simple: driver for the virtio-simple request/response device.
 *
 * requestq carries requests to the device, responseq holds buffers the
 * device answers into.  The protocol is include/uapi/virtio_simple.h.
 */
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include "vsimple.h"

#define VSIMPLE_HDR_LEN sizeof(struct virtio_simple_hdr)
#define VSIMPLE_CALL_TIMEOUT (10 * HZ)

static size_t vsimple_resp_buf_size(struct virtio_simple *vs)
{
	return VSIMPLE_HDR_LEN + vs->max_payload;
}

static int vsimple_post_resp_buf(struct virtio_simple *vs,
				 struct vsimple_resp_buf *buf)
{
	struct scatterlist sg;

	sg_init_one(&sg, buf, vsimple_resp_buf_size(vs));
	return virtqueue_add_inbuf(vs->resp_vq, &sg, 1, buf, GFP_ATOMIC);
}

/* requestq callback: the device is done reading these requests. */
static void vsimple_req_done(struct virtqueue *vq)
{
	struct virtio_simple *vs = vq->vdev->priv;
	unsigned long flags;
	unsigned int len;
	void *req;

	spin_lock_irqsave(&vs->lock, flags);
	while ((req = virtqueue_get_buf(vq, &len)))
		kfree(req);
	spin_unlock_irqrestore(&vs->lock, flags);
}

/*
 * Check a response against what we posted; nothing from the device is
 * trusted.  Returns the payload length, or -EPROTO.
 */
static int vsimple_check_resp(struct virtio_simple *vs,
			      struct vsimple_resp_buf *buf, unsigned int used)
{
	u32 len;

	if (used < VSIMPLE_HDR_LEN || used > vsimple_resp_buf_size(vs))
		return -EPROTO;
	len = le32_to_cpu(buf->hdr.len);
	if (len != used - VSIMPLE_HDR_LEN)
		return -EPROTO;
	return len;
}

/* Called with vs->lock held: hand a response to the waiting call. */
static void vsimple_deliver(struct virtio_simple *vs,
			    struct vsimple_resp_buf *buf, u32 len)
{
	if (!vs->call_pending || le64_to_cpu(buf->hdr.id) != vs->call_id)
		return;	/* a call that timed out or was interrupted */
	vs->call_status = le16_to_cpu(buf->hdr.status);
	vs->call_len = len;
	memcpy(vs->call_resp, buf->payload, len);
	vs->call_pending = false;
	complete(&vs->call_done);
}

/* responseq callback: answers arrived; give each buffer back at once. */
static void vsimple_resp_ready(struct virtqueue *vq)
{
	struct virtio_simple *vs = vq->vdev->priv;
	struct vsimple_resp_buf *buf;
	unsigned long flags;
	unsigned int used;
	bool reposted = false;
	int len;

	spin_lock_irqsave(&vs->lock, flags);
	while ((buf = virtqueue_get_buf(vq, &used))) {
		len = vsimple_check_resp(vs, buf, used);
		if (len < 0)
			dev_warn_ratelimited(&vs->vdev->dev,
					     "bad response dropped (used %u)\n",
					     used);
		else
			vsimple_deliver(vs, buf, len);
		if (!vs->removing && vsimple_post_resp_buf(vs, buf) == 0)
			reposted = true;
		else
			kfree(buf);
	}
	if (reposted)
		virtqueue_kick(vq);
	spin_unlock_irqrestore(&vs->lock, flags);
}

/*
 * Send one request and wait for its answer into vs->call_resp.  Returns 0
 * with *status and *resp_len set, or a negative errno.
 */
int vsimple_call(struct virtio_simple *vs, u16 op, const void *req, u32 len,
		 u16 *status, u32 *resp_len)
{
	struct virtio_simple_hdr *hdr;
	struct scatterlist sg;
	long left;
	int err;

	if (len > vs->max_payload)
		return -EMSGSIZE;
	hdr = kmalloc(VSIMPLE_HDR_LEN + len, GFP_KERNEL);
	if (!hdr)
		return -ENOMEM;
	memcpy(hdr + 1, req, len);
	sg_init_one(&sg, hdr, VSIMPLE_HDR_LEN + len);

	spin_lock_irq(&vs->lock);
	if (vs->removing) {
		err = -ENODEV;
		goto unlock_free;
	}
	vs->call_id = ++vs->next_id;
	hdr->id = cpu_to_le64(vs->call_id);
	hdr->op = cpu_to_le16(op);
	hdr->status = 0;
	hdr->len = cpu_to_le32(len);
	reinit_completion(&vs->call_done);
	err = virtqueue_add_outbuf(vs->req_vq, &sg, 1, hdr, GFP_ATOMIC);
	if (err)
		goto unlock_free;
	vs->call_pending = true;
	virtqueue_kick(vs->req_vq);
	spin_unlock_irq(&vs->lock);

	left = wait_for_completion_interruptible_timeout(&vs->call_done,
							 VSIMPLE_CALL_TIMEOUT);
	spin_lock_irq(&vs->lock);
	if (vs->call_pending) {
		/* a late answer to this id is dropped by vsimple_deliver() */
		vs->call_pending = false;
		err = left < 0 ? left : vs->removing ? -ENODEV : -ETIMEDOUT;
	} else {
		*status = vs->call_status;
		*resp_len = vs->call_len;
	}
	spin_unlock_irq(&vs->lock);
	return err;

unlock_free:
	spin_unlock_irq(&vs->lock);
	kfree(hdr);
	return err;
}

static int vsimple_fill_resp_queue(struct virtio_simple *vs)
{
	struct vsimple_resp_buf *buf;
	int i, n = min_t(unsigned int, VSIMPLE_RESP_BUFS,
			 virtqueue_get_vring_size(vs->resp_vq));

	for (i = 0; i < n; i++) {
		buf = kmalloc(vsimple_resp_buf_size(vs), GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		if (vsimple_post_resp_buf(vs, buf)) {
			kfree(buf);
			return -ENOSPC;
		}
	}
	return 0;
}

static void vsimple_free_unused(struct virtio_simple *vs)
{
	void *buf;

	while ((buf = virtqueue_detach_unused_buf(vs->resp_vq)))
		kfree(buf);
	while ((buf = virtqueue_detach_unused_buf(vs->req_vq)))
		kfree(buf);
}

static int vsimple_read_config(struct virtio_device *vdev, u32 *max_payload)
{
	u32 magic;

	virtio_cread_le(vdev, struct virtio_simple_config, magic, &magic);
	if (magic != VIRTIO_SIMPLE_MAGIC) {
		dev_err(&vdev->dev, "bad config magic 0x%08x\n", magic);
		return -ENODEV;
	}
	virtio_cread_le(vdev, struct virtio_simple_config, max_payload,
			max_payload);
	if (*max_payload < 1 || *max_payload > VIRTIO_SIMPLE_MAX_PAYLOAD_LIMIT) {
		dev_err(&vdev->dev, "bad max_payload %u\n", *max_payload);
		return -ENODEV;
	}
	return 0;
}

static int vsimple_probe(struct virtio_device *vdev)
{
	static const char * const names[] = { "requestq", "responseq" };
	vq_callback_t *callbacks[] = { vsimple_req_done, vsimple_resp_ready };
	struct virtqueue *vqs[VIRTIO_SIMPLE_VQ_MAX];
	struct virtio_simple *vs;
	int err;

	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev, "device does not offer VIRTIO_F_VERSION_1\n");
		return -ENODEV;
	}
	vs = kzalloc(sizeof(*vs), GFP_KERNEL);
	if (!vs)
		return -ENOMEM;
	vs->vdev = vdev;
	vdev->priv = vs;
	spin_lock_init(&vs->lock);
	mutex_init(&vs->call_lock);
	init_completion(&vs->call_done);

	err = vsimple_read_config(vdev, &vs->max_payload);
	if (err)
		goto err_free;
	vs->call_resp = kmalloc(vs->max_payload, GFP_KERNEL);
	if (!vs->call_resp) {
		err = -ENOMEM;
		goto err_free;
	}

	err = virtio_find_vqs(vdev, VIRTIO_SIMPLE_VQ_MAX, vqs, callbacks,
			      names, NULL);
	if (err)
		goto err_free;
	vs->req_vq = vqs[VIRTIO_SIMPLE_VQ_REQUEST];
	vs->resp_vq = vqs[VIRTIO_SIMPLE_VQ_RESPONSE];

	err = vsimple_fill_resp_queue(vs);
	if (err)
		goto err_del_vqs;

	virtio_device_ready(vdev);
	virtqueue_kick(vs->resp_vq);
	vsimple_debugfs_add(vs);
	dev_info(&vdev->dev, "virtio-simple ready, max payload %u\n",
		 vs->max_payload);
	return 0;

err_del_vqs:
	vsimple_free_unused(vs);
	vdev->config->del_vqs(vdev);
err_free:
	kfree(vs->call_resp);
	kfree(vs);
	return err;
}

static void vsimple_remove(struct virtio_device *vdev)
{
	struct virtio_simple *vs = vdev->priv;

	/* Fail new calls and wake the waiting one before hiding the knob. */
	spin_lock_irq(&vs->lock);
	vs->removing = true;
	complete(&vs->call_done);
	spin_unlock_irq(&vs->lock);
	vsimple_debugfs_remove(vs);

	virtio_reset_device(vdev);
	vsimple_free_unused(vs);
	vdev->config->del_vqs(vdev);
	kfree(vs->call_resp);
	kfree(vs);
}

static ssize_t max_payload_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct virtio_simple *vs = dev_to_virtio(dev)->priv;

	return sysfs_emit(buf, "%u\n", vs->max_payload);
}
static DEVICE_ATTR_RO(max_payload);

static struct attribute *vsimple_attrs[] = {
	&dev_attr_max_payload.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vsimple);

static const struct virtio_device_id vsimple_id_table[] = {
	{ VIRTIO_ID_SIMPLE, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, vsimple_id_table);

static struct virtio_driver vsimple_driver = {
	.driver.name = KBUILD_MODNAME,
	.driver.owner = THIS_MODULE,
	.driver.dev_groups = vsimple_groups,
	.id_table = vsimple_id_table,
	.probe = vsimple_probe,
	.remove = vsimple_remove,
};

static int __init vsimple_init(void)
{
	int err;

	vsimple_debugfs_init();
	err = register_virtio_driver(&vsimple_driver);
	if (err)
		vsimple_debugfs_exit();
	return err;
}

static void __exit vsimple_exit(void)
{
	unregister_virtio_driver(&vsimple_driver);
	vsimple_debugfs_exit();
}

module_init(vsimple_init);
module_exit(vsimple_exit);

MODULE_DESCRIPTION("virtio-simple request/response device driver");
MODULE_LICENSE("GPL");
