// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-simple debugfs knob: <debugfs>/virtio-simple/<virtioN>/echo.
 * A write sends its bytes as one ECHO request and waits for the answer; a
 * read returns the payload of the last answer.  A debugging aid only: the
 * real user interface is the character device.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "vsimple.h"

static struct dentry *vsimple_debugfs_root;

static ssize_t vsimple_echo_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct virtio_simple *vs = file->private_data;
	u32 resp_len;
	u16 status;
	void *req;
	int err;

	if (count > vs->max_payload)
		return -EMSGSIZE;
	req = memdup_user(ubuf, count);
	if (IS_ERR(req))
		return PTR_ERR(req);

	if (mutex_lock_interruptible(&vs->call_lock)) {
		kfree(req);
		return -ERESTARTSYS;
	}
	err = vsimple_call(vs, VIRTIO_SIMPLE_OP_ECHO, req, count, &status,
			   &resp_len);
	if (!err && status != VIRTIO_SIMPLE_S_OK)
		err = -EIO;
	if (err)
		vs->call_len = 0;
	mutex_unlock(&vs->call_lock);
	kfree(req);
	return err ? err : count;
}

static ssize_t vsimple_echo_read(struct file *file, char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct virtio_simple *vs = file->private_data;
	ssize_t ret;

	if (mutex_lock_interruptible(&vs->call_lock))
		return -ERESTARTSYS;
	ret = simple_read_from_buffer(ubuf, count, ppos, vs->call_resp,
				      vs->call_len);
	mutex_unlock(&vs->call_lock);
	return ret;
}

static const struct file_operations vsimple_echo_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = vsimple_echo_read,
	.write = vsimple_echo_write,
	.llseek = default_llseek,
};

void vsimple_debugfs_add(struct virtio_simple *vs)
{
	vs->debugfs = debugfs_create_dir(dev_name(&vs->vdev->dev),
					 vsimple_debugfs_root);
	debugfs_create_file("echo", 0600, vs->debugfs, vs, &vsimple_echo_fops);
}

void vsimple_debugfs_remove(struct virtio_simple *vs)
{
	debugfs_remove_recursive(vs->debugfs);
}

void vsimple_debugfs_init(void)
{
	vsimple_debugfs_root = debugfs_create_dir("virtio-simple", NULL);
}

void vsimple_debugfs_exit(void)
{
	debugfs_remove_recursive(vsimple_debugfs_root);
}
