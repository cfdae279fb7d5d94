/*
 * virtio-simple: a request/response virtio device (state and type names)
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_VIRTIO_SIMPLE_H
#define QEMU_VIRTIO_SIMPLE_H

#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-simple-compat.h"
#include "standard-headers/linux/virtio_simple.h"
#include "qom/object.h"

/* Fault injection in the sanitizer (test) builds alone: virtio-simple-ops.h */
#ifdef QEMU_SANITIZE_ADDRESS
#define VSIMPLE_FAULT_INJECTION
#endif

#define TYPE_VIRTIO_SIMPLE "virtio-simple"

/* Room for pending DELAY answers: at least the protocol's cap */
#define VIRTIO_SIMPLE_PENDING_SLOTS 128
OBJECT_DECLARE_SIMPLE_TYPE(VirtIOSimple, VIRTIO_SIMPLE)

/* A DELAY request waiting for its deadline. */
typedef struct VirtIOSimpleDelayed {
    uint64_t id;                /* the request's id, host order */
    int64_t deadline;           /* QEMU_CLOCK_VIRTUAL, ns */
} VirtIOSimpleDelayed;

/* A finished header-only response waiting for a responseq buffer. */
typedef struct VirtIOSimpleReady {
    uint64_t id;
    uint16_t op;
    uint16_t status;
} VirtIOSimpleReady;

typedef struct VirtIOSimpleStats {
    uint64_t requests;          /* requests taken from requestq */
    uint64_t responses;         /* responses written to responseq */
    uint64_t errors;            /* non-OK responses + transport errors */
    uint64_t bytes_in;          /* request payload bytes */
    uint64_t bytes_out;         /* response payload bytes */
    uint64_t notifications;     /* queue notifications (kicks) received */
} VirtIOSimpleStats;

struct VirtIOSimple {
    VirtIODevice parent_obj;

    VirtQueue *req_vq;
    VirtQueue *resp_vq;
    QEMUTimer *delay_timer;
    QEMUBH *bh;                 /* processing deferred from set_status */

    /*
     * Migrated state.  delayed[] is unordered; ready[] is a FIFO ring.
     * n_delayed + n_ready <= VIRTIO_SIMPLE_DELAY_MAX_PENDING always (the
     * protocol's cap); the arrays are sized by QEMU's own constant, so the
     * migration stream (only the entries in use) never follows the UAPI.
     */
    VirtIOSimpleDelayed delayed[VIRTIO_SIMPLE_PENDING_SLOTS];
    uint32_t n_delayed;
    VirtIOSimpleReady ready[VIRTIO_SIMPLE_PENDING_SLOTS];
    uint32_t ready_head;
    uint32_t n_ready;
    VirtIOSimpleStats stats;
    /* NUL-padded, set at run time too (qom-set); migrated when changed */
    uint8_t label[VIRTIO_SIMPLE_LABEL_SIZE];
    uint8_t boot_label[VIRTIO_SIMPLE_LABEL_SIZE];  /* the label at realize */

    /* Properties */
    uint32_t max_payload;
    uint16_t queue_size;
    uint64_t host_features;     /* the VIRTIO_SIMPLE_F_* bits offered */
    bool x_fault_injection;     /* test builds only: virtio_simple_fault() */
};

#endif
