/*
 * vhost-user-simple: the virtio-simple device served by a host process
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_VHOST_USER_SIMPLE_H
#define QEMU_VHOST_USER_SIMPLE_H

#include "hw/virtio/virtio.h"
#include "hw/virtio/vhost.h"
#include "hw/virtio/vhost-user.h"
#include "hw/virtio/virtio-simple-compat.h"
#include "chardev/char-fe.h"
#include "standard-headers/linux/virtio_simple.h"
#include "qom/object.h"

#define TYPE_VHOST_USER_SIMPLE "vhost-user-simple"
OBJECT_DECLARE_SIMPLE_TYPE(VHostUserSimple, VHOST_USER_SIMPLE)

struct VHostUserSimple {
    VirtIODevice parent_obj;

    CharBackend chardev;
    VhostUserState vhost_user;
    struct vhost_dev vhost_dev;
    struct vhost_virtqueue vhost_vqs[VIRTIO_SIMPLE_VQ_MAX];
    VirtQueue *vqs[VIRTIO_SIMPLE_VQ_MAX];
    /* the backend's config space, read when it connects */
    struct virtio_simple_config config;
    bool connected;
    bool started_vu;
    QEMUBH *fail_bh;            /* NEEDS_RESET, outside set_status */
    const char *fail_reason;

    /* Properties */
    uint16_t queue_size;
};

#endif
