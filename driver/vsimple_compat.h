/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between Debian 12's kernel (6.1) and its
 * backports kernel (6.12): the only place the driver checks a version.
 */
#ifndef VSIMPLE_COMPAT_H
#define VSIMPLE_COMPAT_H

#include <linux/device.h>
#include <linux/fs.h>
#include <linux/version.h>
#include <linux/virtio_config.h>

/*
 * 6.11: virtio_find_vqs() takes one struct virtqueue_info (name and
 * callback) per queue instead of separate callback and name arrays.
 */
static inline int vsimple_find_vqs(struct virtio_device *vdev,
				   unsigned int nvqs, struct virtqueue *vqs[],
				   vq_callback_t *callbacks[],
				   const char * const names[])
{
#if KERNEL_VERSION(6, 11, 0) <= LINUX_VERSION_CODE
	struct virtqueue_info info[VIRTIO_SIMPLE_VQ_MAX] = {};
	unsigned int i;

	if (WARN_ON(nvqs > ARRAY_SIZE(info)))
		return -EINVAL;
	for (i = 0; i < nvqs; i++) {
		info[i].name = names[i];
		info[i].callback = callbacks[i];
	}
	return virtio_find_vqs(vdev, nvqs, vqs, info, NULL);
#else
	return virtio_find_vqs(vdev, nvqs, vqs, callbacks, names, NULL);
#endif
}

/*
 * 6.12 removed no_llseek: a NULL ->llseek makes lseek() fail with -ESPIPE
 * just the same there.
 */
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
#define no_llseek NULL
#endif

/* 6.4: class_create() lost its module argument. */
#if KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
#define vsimple_class_create(name) class_create(name)
#else
#define vsimple_class_create(name) class_create(THIS_MODULE, name)
#endif

/*
 * 6.5: a command's bytes are read through the SQE it came in, 6.7 moved
 * the io_uring_cmd helpers to a header of their own.
 */
#if KERNEL_VERSION(6, 7, 0) <= LINUX_VERSION_CODE
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif
#if KERNEL_VERSION(6, 5, 0) <= LINUX_VERSION_CODE
#define vsimple_uring_cmd_data(ucmd) io_uring_sqe_cmd((ucmd)->sqe)
#else
#define vsimple_uring_cmd_data(ucmd) ((ucmd)->cmd)
#endif

#endif /* VSIMPLE_COMPAT_H */
