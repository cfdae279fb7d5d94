/*
 * virtio-simple: a request/response virtio device (state and type names)
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 */

#ifndef QEMU_VIRTIO_SIMPLE_H
#define QEMU_VIRTIO_SIMPLE_H

#include "hw/virtio/virtio.h"
#include "standard-headers/linux/virtio_simple.h"
#include "qom/object.h"

#define TYPE_VIRTIO_SIMPLE "virtio-simple"
OBJECT_DECLARE_SIMPLE_TYPE(VirtIOSimple, VIRTIO_SIMPLE)

struct VirtIOSimple {
    VirtIODevice parent_obj;

    VirtQueue *req_vq;
    VirtQueue *resp_vq;
    VMChangeStateEntry *vmstate;

    /* Properties */
    uint32_t max_payload;
    uint16_t queue_size;
    char *label;
};

#endif
