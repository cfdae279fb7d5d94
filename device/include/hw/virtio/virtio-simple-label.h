/*
 * virtio-simple: the run-time label (qom-set), the part both forms of the
 * device share: virtio-simple keeps it in QEMU, vhost-user-simple in its
 * backend's config space.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VIRTIO_SIMPLE_LABEL_H
#define HW_VIRTIO_SIMPLE_LABEL_H

#include "qapi/error.h"
#include "qapi/visitor.h"
#include "hw/virtio/virtio.h"
#include "standard-headers/linux/virtio_simple.h"

/*
 * Read a new label from @v into @padded, NUL-padded to the config field's
 * size.  Returns false, with @errp set, when it is not a string or does
 * not fit with its terminator.
 */
static inline bool vsimple_label_visit(Visitor *v, const char *name,
                                       uint8_t padded[VIRTIO_SIMPLE_LABEL_SIZE],
                                       Error **errp)
{
    g_autofree char *label = NULL;

    if (!visit_type_str(v, name, &label, errp)) {
        return false;
    }
    if (strlen(label) >= VIRTIO_SIMPLE_LABEL_SIZE) {
        error_setg(errp, "label must be shorter than %d bytes",
                   VIRTIO_SIMPLE_LABEL_SIZE);
        return false;
    }
    memset(padded, 0, VIRTIO_SIMPLE_LABEL_SIZE);
    memcpy(padded, label, strlen(label));
    return true;
}

/*
 * The config changed: tell the driver.  Before DRIVER_OK
 * virtio_notify_config() does nothing, so bump the generation there: a
 * driver reading the label during probe must see that it changed.
 */
static inline void vsimple_label_changed(VirtIODevice *vdev)
{
    if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        virtio_notify_config(vdev);
    } else {
        vdev->generation++;
    }
}

#endif
