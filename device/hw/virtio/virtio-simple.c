/*
 * virtio-simple: a request/response virtio device
 *
 * The driver posts requests (header + payload) on requestq and empty
 * buffers on responseq; the device answers each request in a response
 * buffer.  The protocol is include/uapi/virtio_simple.h, in normative words
 * docs/spec.md.  The file reads in the order of a request's life.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/cutils.h"
#include "qemu/iov.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "hw/qdev-properties.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-simple.h"
#include "hw/virtio/virtio-simple-label.h"
#include "hw/virtio/virtio-simple-ops.h"
#include "migration/vmstate.h"
#include "trace.h"

#define MAX_PENDING VIRTIO_SIMPLE_DELAY_MAX_PENDING
QEMU_BUILD_BUG_ON(MAX_PENDING > VIRTIO_SIMPLE_PENDING_SLOTS);
/* Requests taken per bottom-half run, as NAPI's default weight: then yield */
#define BUDGET 64

static bool virtio_simple_ready(VirtIOSimple *s)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(s);

    if (!vdev->vm_running || vdev->broken ||
        !(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
        !virtio_queue_ready(s->req_vq) || !virtio_queue_ready(s->resp_vq)) {
        trace_virtio_simple_not_ready(s);
        return false;
    }
    return true;
}

/* Transport-level violations: the device needs a reset, QEMU goes on. */
static void virtio_simple_fail(VirtIOSimple *s, const char *what)
{
    trace_virtio_simple_transport_error(s, what);
    s->stats.errors++;
    virtio_error(VIRTIO_DEVICE(s), "virtio-simple: %s", what);
}

/*
 * Serve only a driver that negotiated: it accepted VERSION_1 (the
 * transport cannot refuse FEATURES_OK without it: QEMU only validates
 * features of VERSION_1 drivers) and set FEATURES_OK before DRIVER_OK
 * (the core lets DRIVER_OK through without it).
 */
static bool virtio_simple_check_negotiation(VirtIOSimple *s)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(s);

    if (!virtio_vdev_has_feature(vdev, VIRTIO_F_VERSION_1)) {
        virtio_simple_fail(s, "driver did not accept VIRTIO_F_VERSION_1");
        return false;
    }
    if (!(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
        virtio_simple_fail(s, "DRIVER_OK without FEATURES_OK");
        return false;
    }
    return true;
}

static bool virtio_simple_check_request(VirtIOSimple *s, VirtQueueElement *req)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(s);
    bool in_place = virtio_vdev_has_feature(vdev,
                                            VIRTIO_SIMPLE_F_ANSWER_IN_PLACE);
    const char *wrong = vsimple_check_request_chain(req->out_sg, req->out_num,
                                                    req->in_sg, req->in_num,
                                                    in_place);

    if (wrong) {
        virtio_simple_fail(s, wrong);
    }
    return !wrong;
}

static bool virtio_simple_check_response(VirtIOSimple *s,
                                         VirtQueueElement *resp)
{
    const char *wrong = vsimple_check_response_chain(resp->in_sg,
                                                     resp->in_num,
                                                     resp->out_num);

    if (wrong) {
        virtio_simple_fail(s, wrong);
    }
    return !wrong;
}

/*
 * Test only (x-fault-injection=on, a property of the sanitizer builds
 * alone: common/virtio-simple-ops.h): an ECHO of "x-fault:" + a letter gets
 * a misbehaving answer, so drivers can be tested against a bad device.
 * "r" puts the device in NEEDS_RESET and "d" takes the request and never
 * answers it: those two are ours.
 */
static VSimpleFault virtio_simple_fault(VirtIOSimple *s, VirtQueueElement *elem,
                                        VSimpleRequest *req)
{
#ifdef VSIMPLE_FAULT_INJECTION
    if (s->x_fault_injection) {
        return vsimple_fault_of(elem->out_sg, elem->out_num, req);
    }
#endif
    return VSIMPLE_FAULT_NONE;
}

/* Count and trace an answer the shared code wrote; returns bytes written. */
static size_t virtio_simple_answered(VirtIOSimple *s, uint64_t id,
                                     uint16_t op, VSimpleAnswer a)
{
    if (a.status != VIRTIO_SIMPLE_S_OK) {
        s->stats.errors++;
    }
    s->stats.responses++;
    s->stats.bytes_out += a.len;
    trace_virtio_simple_response(s, id, op, a.status, a.len);
    return a.written;
}

static void virtio_simple_parse(VirtIOSimple *s, VirtQueueElement *elem,
                                VSimpleRequest *req)
{
    vsimple_parse(elem->out_sg, elem->out_num, s->max_payload, req);
    if (req->status == VIRTIO_SIMPLE_S_OK) {
        s->stats.bytes_in += req->len;
    }
    s->stats.requests++;
    trace_virtio_simple_request(s, req->id, req->op, req->len);
}

static void virtio_simple_arm_timer(VirtIOSimple *s)
{
    int64_t first = INT64_MAX;
    uint32_t i;

    for (i = 0; i < s->n_delayed; i++) {
        first = MIN(first, s->delayed[i].deadline);
    }
    if (s->n_delayed) {
        timer_mod(s->delay_timer, first);
    } else {
        timer_del(s->delay_timer);
    }
}

static void virtio_simple_start_delay(VirtIOSimple *s, uint64_t id,
                                      uint32_t usec)
{
    VirtIOSimpleDelayed *d = &s->delayed[s->n_delayed++];

    d->id = id;
    d->deadline = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                  (int64_t)usec * SCALE_US;
    trace_virtio_simple_delay_start(s, id, usec, s->n_delayed);
    virtio_simple_arm_timer(s);
}

/* Answer an immediate request into @resp; returns bytes written. */
static size_t virtio_simple_answer(VirtIOSimple *s, VirtQueueElement *elem,
                                   VSimpleRequest *req, VSimpleFault fault,
                                   VirtQueueElement *resp)
{
    VSimpleAnswer a;

    /* every op is the protocol's (common/virtio-simple-ops.c): no own ones */
    a = vsimple_answer(req, elem->out_sg, elem->out_num, resp->in_sg,
                       resp->in_num, s->max_payload, NULL, NULL, fault);
    /* broken now: the core drops the answer and the request (push) */
    if (fault == VSIMPLE_FAULT_RESET && a.status == VIRTIO_SIMPLE_S_OK) {
        virtio_simple_fail(s, "fault injection: needs reset");
    }
    return virtio_simple_answered(s, req->id, req->op, a);
}

/* Send finished DELAY responses while responseq has buffers. */
static bool virtio_simple_flush_ready(VirtIOSimple *s)
{
    bool pushed = false;

    while (s->n_ready) {
        VirtIOSimpleReady *r = &s->ready[s->ready_head];
        VirtQueueElement *resp;
        size_t written;

        resp = virtqueue_pop(s->resp_vq, sizeof(VirtQueueElement));
        if (!resp) {
            trace_virtio_simple_blocked(s, s->n_ready);
            break;
        }
        if (!virtio_simple_check_response(s, resp)) {
            virtqueue_detach_element(s->resp_vq, resp, 0);
            g_free(resp);
            break;
        }
        written = virtio_simple_answered(s, r->id, r->op,
                     vsimple_write_response(resp->in_sg, resp->in_num, r->id,
                                            r->op, r->status, NULL, 0,
                                            VSIMPLE_FAULT_NONE));
        virtqueue_push(s->resp_vq, resp, written);
        g_free(resp);
        s->ready_head = (s->ready_head + 1) % VIRTIO_SIMPLE_PENDING_SLOTS;
        s->n_ready--;
        pushed = true;
    }
    return pushed;
}

/*
 * Take one request.  Immediate ops are taken only with a response buffer
 * at hand (or answered into their own chain, ANSWER_IN_PLACE, whose DELAY
 * is answered on responseq all the same), so nothing waits inside the
 * device but header-only DELAY answers, at most MAX_PENDING of them.
 * Returns false to stop the loop.
 */
static bool virtio_simple_take_request(VirtIOSimple *s, bool *req_used,
                                       bool *resp_used)
{
    VirtQueueElement *elem, *resp;
    VSimpleRequest req;
    VSimpleFault fault;
    uint32_t usec;
    size_t written;

    elem = virtqueue_pop(s->req_vq, sizeof(VirtQueueElement));
    if (!elem) {
        return false;
    }
    if (!virtio_simple_check_request(s, elem)) {
        virtqueue_detach_element(s->req_vq, elem, 0);
        g_free(elem);
        return false;
    }
    virtio_simple_parse(s, elem, &req);

    if (vsimple_delay_arg(elem->out_sg, elem->out_num, &req, &usec)) {
        virtio_simple_start_delay(s, req.id, usec);
        virtqueue_push(s->req_vq, elem, 0);
        g_free(elem);
        *req_used = true;
        return true;
    }
    fault = virtio_simple_fault(s, elem, &req);
    if (fault == VSIMPLE_FAULT_DROP) {
        virtqueue_push(s->req_vq, elem, 0);
        g_free(elem);
        *req_used = true;
        return true;
    }
    /* ANSWER_IN_PLACE: the answer goes into the request's own chain */
    if (elem->in_num) {
        written = virtio_simple_answer(s, elem, &req, fault, elem);
        virtqueue_push(s->req_vq, elem, written);
        g_free(elem);
        *req_used = true;
        return true;
    }

    resp = virtqueue_pop(s->resp_vq, sizeof(VirtQueueElement));
    if (!resp || !virtio_simple_check_response(s, resp)) {
        /* the core already flagged a broken ring when resp is NULL */
        virtqueue_detach_element(s->req_vq, elem, 0);
        if (resp) {
            virtqueue_detach_element(s->resp_vq, resp, 0);
        }
        g_free(elem);
        g_free(resp);
        return false;
    }
    written = virtio_simple_answer(s, elem, &req, fault, resp);
    virtqueue_push(s->req_vq, elem, 0);
    virtqueue_push(s->resp_vq, resp, written);
    g_free(elem);
    g_free(resp);
    *req_used = true;
    *resp_used = true;
    return true;
}

static void virtio_simple_run_once(VirtIOSimple *s)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(s);
    bool req_used = false, resp_used;
    unsigned budget = BUDGET;

    if (!virtio_simple_ready(s)) {
        return;
    }
    if (!virtio_queue_empty(s->req_vq) &&
        !virtio_simple_check_negotiation(s)) {
        return;
    }
    resp_used = virtio_simple_flush_ready(s);
    while (!vdev->broken && s->n_ready == 0 &&
           s->n_delayed < MAX_PENDING &&
           !virtio_queue_empty(s->resp_vq)) {
        if (budget-- == 0) {
            trace_virtio_simple_yield(s);
            qemu_bh_schedule(s->bh);
            break;
        }
        if (!virtio_simple_take_request(s, &req_used, &resp_used)) {
            break;
        }
    }
    if (req_used) {
        virtio_notify(vdev, s->req_vq);
    }
    if (resp_used) {
        virtio_notify(vdev, s->resp_vq);
    }
}

/*
 * All processing happens here: called straight from the queue handler and
 * the DELAY timer (as virtio-blk processes its queue, without a main-loop
 * hop per kick), and from a bottom half where it must not run inside a
 * callback of the virtio core: set_status, whose caller writes the status
 * after it returns and would overwrite NEEDS_RESET.  One run takes at most
 * BUDGET requests, then yields to the main loop through the bottom half;
 * only queues whose used ring moved are notified.
 *
 * Every run holds the transport's re-entrancy guard, as the guarded bottom
 * half does: a buffer placed on the device's own registers cannot reset or
 * kick it while it holds popped elements (the guard refuses the write).
 */
static void virtio_simple_run(void *opaque)
{
    VirtIOSimple *s = opaque;
    DeviceState *transport = qdev_get_parent_bus(DEVICE(s))->parent;
    MemReentrancyGuard *guard = &transport->mem_reentrancy_guard;
    bool engaged = guard->engaged_in_io;    /* set on an MMIO kick */

    guard->engaged_in_io = true;
    virtio_simple_run_once(s);
    guard->engaged_in_io = engaged;
}

/* Both queues feed the same loop: a new request or a new response buffer. */
static void virtio_simple_handle_queue(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOSimple *s = VIRTIO_SIMPLE(vdev);

    s->stats.notifications++;
    virtio_simple_run(s);
}

/* Move every expired DELAY, earliest first, to the ready ring. */
static void virtio_simple_delay_expired(void *opaque)
{
    VirtIOSimple *s = opaque;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    for (;;) {
        uint32_t i, first = 0;
        VirtIOSimpleReady *r;

        for (i = 1; i < s->n_delayed; i++) {
            if (s->delayed[i].deadline < s->delayed[first].deadline) {
                first = i;
            }
        }
        if (!s->n_delayed || s->delayed[first].deadline > now) {
            break;
        }
        r = &s->ready[(s->ready_head + s->n_ready) %
                      VIRTIO_SIMPLE_PENDING_SLOTS];
        r->id = s->delayed[first].id;
        r->op = VIRTIO_SIMPLE_OP_DELAY;
        r->status = VIRTIO_SIMPLE_S_OK;
        s->n_ready++;
        trace_virtio_simple_delay_done(s, r->id);
        s->delayed[first] = s->delayed[--s->n_delayed];
    }
    virtio_simple_arm_timer(s);
    virtio_simple_run(s);
}

/*
 * Offer what docs/spec.md section 2 lists and nothing else, whatever QEMU
 * turns on by default.  VIRTIO_F_RING_RESET (on by default since 7.2) is
 * not offered: a DELAY is taken from requestq and answered on responseq,
 * so resetting one queue alone has no clean meaning; drivers reset the
 * device.  IOMMU_PLATFORM is the transport's, when iommu_platform=on.
 */
static uint64_t virtio_simple_get_features(VirtIODevice *vdev, uint64_t f,
                                           Error **errp)
{
    VirtIOSimple *s = VIRTIO_SIMPLE(vdev);

    return (f & (BIT_ULL(VIRTIO_F_VERSION_1) |
                 BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |
                 BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |
                 BIT_ULL(VIRTIO_F_RING_PACKED) |
                 BIT_ULL(VIRTIO_F_IOMMU_PLATFORM))) | s->host_features;
}

static void virtio_simple_get_config(VirtIODevice *vdev, uint8_t *config)
{
    VirtIOSimple *s = VIRTIO_SIMPLE(vdev);
    struct virtio_simple_config cfg = { 0 };

    stl_le_p(&cfg.magic, VIRTIO_SIMPLE_MAGIC);
    stl_le_p(&cfg.max_payload, s->max_payload);
    memcpy(cfg.label, s->label, sizeof(cfg.label));
    memcpy(config, &cfg, sizeof(cfg));
}

static void virtio_simple_set_status(VirtIODevice *vdev, uint8_t status)
{
    VirtIOSimple *s = VIRTIO_SIMPLE(vdev);

    trace_virtio_simple_set_status(s, status);
    /* also called on VM resume: requests may have arrived while stopped */
    if (status & VIRTIO_CONFIG_S_DRIVER_OK) {
        qemu_bh_schedule(s->bh);
    }
}

/* Device reset: forget every pending response and stop the timer. */
static void virtio_simple_reset(VirtIODevice *vdev)
{
    VirtIOSimple *s = VIRTIO_SIMPLE(vdev);

    trace_virtio_simple_reset(s, s->n_delayed + s->n_ready);
    qemu_bh_cancel(s->bh);
    timer_del(s->delay_timer);
    s->n_delayed = 0;
    s->n_ready = 0;
    s->ready_head = 0;
}

/*
 * virtio-pci lets a driver write queue_reset whatever it negotiated, and
 * VIRTIO_F_RING_RESET is not offered: a violation like any other.  Called
 * from the register write, not from set_status, so NEEDS_RESET sticks; the
 * device reset that must follow drops the pending DELAYs.
 */
static void virtio_simple_queue_reset(VirtIODevice *vdev, uint32_t index)
{
    virtio_simple_fail(VIRTIO_SIMPLE(vdev),
                       "queue reset without VIRTIO_F_RING_RESET");
}

static void virtio_simple_get_label(Object *obj, Visitor *v,
                                    const char *name, void *opaque,
                                    Error **errp)
{
    VirtIOSimple *s = VIRTIO_SIMPLE(obj);
    char *label = g_strdup((char *)s->label);

    visit_type_str(v, name, &label, errp);
    g_free(label);
}

/* Settable at any time (qom-set); virtio-simple-label.h says how. */
static void virtio_simple_set_label(Object *obj, Visitor *v,
                                    const char *name, void *opaque,
                                    Error **errp)
{
    VirtIOSimple *s = VIRTIO_SIMPLE(obj);
    uint8_t padded[VIRTIO_SIMPLE_LABEL_SIZE];

    if (!vsimple_label_visit(v, name, padded, errp)) {
        return;
    }
    /* the same label again is no change: no interrupt, same generation */
    if (!memcmp(padded, s->label, sizeof(padded))) {
        return;
    }
    memcpy(s->label, padded, sizeof(s->label));
    trace_virtio_simple_label(s, (const char *)s->label);
    if (DEVICE(obj)->realized) {
        vsimple_label_changed(VIRTIO_DEVICE(obj));
    }
}

static void virtio_simple_realize(DeviceState *dev, Error **errp)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtIOSimple *s = VIRTIO_SIMPLE(dev);

    if (s->max_payload < VIRTIO_SIMPLE_MAX_PAYLOAD_MIN ||
        s->max_payload > VIRTIO_SIMPLE_MAX_PAYLOAD_LIMIT) {
        error_setg(errp, "max-payload must be between %u and %u, got %u",
                   VIRTIO_SIMPLE_MAX_PAYLOAD_MIN,
                   VIRTIO_SIMPLE_MAX_PAYLOAD_LIMIT, s->max_payload);
        return;
    }
    if (s->queue_size < 2 || s->queue_size > VIRTQUEUE_MAX_SIZE ||
        !is_power_of_2(s->queue_size)) {
        error_setg(errp, "queue-size must be a power of 2 between 2 and %d,"
                   " got %u", VIRTQUEUE_MAX_SIZE, s->queue_size);
        return;
    }

    virtio_init(vdev, VIRTIO_ID_SIMPLE, sizeof(struct virtio_simple_config));
    s->req_vq = virtio_add_queue(vdev, s->queue_size,
                                 virtio_simple_handle_queue);
    s->resp_vq = virtio_add_queue(vdev, s->queue_size,
                                  virtio_simple_handle_queue);
    s->delay_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                  virtio_simple_delay_expired, s);
    s->bh = virtio_bh_new_guarded(dev, virtio_simple_run, s);
    /* what the command line set: migrated only when changed since */
    memcpy(s->boot_label, s->label, sizeof(s->boot_label));
}

static void virtio_simple_unrealize(DeviceState *dev)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtIOSimple *s = VIRTIO_SIMPLE(dev);

    qemu_bh_delete(s->bh);
    timer_free(s->delay_timer);
    virtio_delete_queue(s->resp_vq);
    virtio_delete_queue(s->req_vq);
    virtio_cleanup(vdev);
}

/*
 * The ready ring goes out in order from slot 0, only the entries in use
 * (a varray): rotate it so its head is slot 0.
 */
static int virtio_simple_pre_save(void *opaque)
{
    VirtIOSimple *s = opaque;
    VirtIOSimpleReady ring[VIRTIO_SIMPLE_PENDING_SLOTS];
    uint32_t i;

    for (i = 0; i < s->n_ready; i++) {
        ring[i] = s->ready[(s->ready_head + i) % VIRTIO_SIMPLE_PENDING_SLOTS];
    }
    memcpy(s->ready, ring, s->n_ready * sizeof(ring[0]));
    s->ready_head = 0;
    return 0;
}

/* Counts read from the stream, checked before the entries they count. */
static bool virtio_simple_delayed_fits(void *opaque, int version_id)
{
    return ((VirtIOSimple *)opaque)->n_delayed <= MAX_PENDING;
}

static bool virtio_simple_ready_fits(void *opaque, int version_id)
{
    VirtIOSimple *s = opaque;

    /* checked apart: no overflow */
    return s->n_ready <= MAX_PENDING &&
           s->n_delayed + s->n_ready <= MAX_PENDING;
}

static int virtio_simple_post_load(void *opaque, int version_id)
{
    VirtIOSimple *s = opaque;
    /* the virtual clock was loaded before the devices: the source's time */
    int64_t latest = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                     (int64_t)VIRTIO_SIMPLE_DELAY_MAX_US * SCALE_US;
    uint32_t i;

    s->ready_head = 0;          /* sent from slot 0 (pre_save) */
    /* no DELAY may wait longer than the longest one the guest can ask */
    for (i = 0; i < s->n_delayed; i++) {
        if (s->delayed[i].deadline > latest) {
            return -EINVAL;
        }
    }
    virtio_simple_arm_timer(s);
    return 0;
}

static const VMStateDescription vmstate_virtio_simple_delayed = {
    .name = "virtio-simple-delayed",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT64(id, VirtIOSimpleDelayed),
        VMSTATE_INT64(deadline, VirtIOSimpleDelayed),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_virtio_simple_ready = {
    .name = "virtio-simple-ready",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_UINT64(id, VirtIOSimpleReady),
        VMSTATE_UINT16(op, VirtIOSimpleReady),
        VMSTATE_UINT16(status, VirtIOSimpleReady),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * The label, sent only when it differs from the command line's: migration
 * to a build without this subsection keeps working while the label was not
 * changed at run time, and fails (rather than show the wrong label) when it
 * was.  Both sides run with the same command line, as QEMU requires.
 */
static bool virtio_simple_label_needed(void *opaque)
{
    VirtIOSimple *s = opaque;

    return memcmp(s->label, s->boot_label, sizeof(s->label)) != 0;
}

static int virtio_simple_label_post_load(void *opaque, int version_id)
{
    VirtIOSimple *s = opaque;
    size_t len = strnlen((char *)s->label, sizeof(s->label));

    if (len == sizeof(s->label)) {
        return -EINVAL;         /* no terminating NUL */
    }
    memset(s->label + len, 0, sizeof(s->label) - len);
    return 0;
}

static const VMStateDescription vmstate_virtio_simple_label = {
    .name = "virtio-simple-device/label",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = virtio_simple_label_needed,
    .post_load = virtio_simple_label_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_BUFFER(label, VirtIOSimple),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * The counters (QOM, for the host's eyes), sent when any is set; they are
 * not device state a guest can see.
 */
static bool virtio_simple_stats_needed(void *opaque)
{
    VirtIOSimpleStats *st = &((VirtIOSimple *)opaque)->stats;

    return st->requests || st->responses || st->errors || st->bytes_in ||
           st->bytes_out;
}

static const VMStateDescription vmstate_virtio_simple_stats = {
    .name = "virtio-simple-device/stats",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = virtio_simple_stats_needed,
    .fields = (VMStateField[]) {
        VMSTATE_UINT64(stats.requests, VirtIOSimple),
        VMSTATE_UINT64(stats.responses, VirtIOSimple),
        VMSTATE_UINT64(stats.errors, VirtIOSimple),
        VMSTATE_UINT64(stats.bytes_in, VirtIOSimple),
        VMSTATE_UINT64(stats.bytes_out, VirtIOSimple),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * The device's own state, saved inside the virtio state: the pending DELAY
 * answers, only those in use, each count validated before its entries.
 */
static const VMStateDescription vmstate_virtio_simple_device = {
    .name = "virtio-simple-device",
    .version_id = 2,
    .minimum_version_id = 2,
    .pre_save = virtio_simple_pre_save,
    .post_load = virtio_simple_post_load,
    .fields = (VMStateField[]) {
        VMSTATE_UINT32(n_delayed, VirtIOSimple),
        VMSTATE_VALIDATE("n_delayed within the cap",
                         virtio_simple_delayed_fits),
        VMSTATE_STRUCT_VARRAY_UINT32(delayed, VirtIOSimple, n_delayed, 0,
                                     vmstate_virtio_simple_delayed,
                                     VirtIOSimpleDelayed),
        VMSTATE_UINT32(n_ready, VirtIOSimple),
        VMSTATE_VALIDATE("n_ready within the cap", virtio_simple_ready_fits),
        VMSTATE_STRUCT_VARRAY_UINT32(ready, VirtIOSimple, n_ready, 0,
                                     vmstate_virtio_simple_ready,
                                     VirtIOSimpleReady),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * []) {
        &vmstate_virtio_simple_label,
        &vmstate_virtio_simple_stats,
        NULL
    },
};

/*
 * virtio_load() hands the device's section this version: both move
 * together (2: the pending answers as varrays, the counters a subsection).
 */
static const VMStateDescription vmstate_virtio_simple = {
    .name = "virtio-simple",
    .minimum_version_id = 2,
    .version_id = 2,
    .fields = (VMStateField[]) {
        VMSTATE_VIRTIO_DEVICE,
        VMSTATE_END_OF_LIST()
    },
};

static VSIMPLE_PROPERTY virtio_simple_properties[] = {
    DEFINE_PROP_UINT32("max-payload", VirtIOSimple, max_payload,
                       VIRTIO_SIMPLE_MAX_PAYLOAD_DEFAULT),
    DEFINE_PROP_UINT16("queue-size", VirtIOSimple, queue_size, 128),
    DEFINE_PROP_BIT64("answer-in-place", VirtIOSimple, host_features,
                      VIRTIO_SIMPLE_F_ANSWER_IN_PLACE, true),
#ifdef VSIMPLE_FAULT_INJECTION
    DEFINE_PROP_BOOL("x-fault-injection", VirtIOSimple, x_fault_injection,
                     false),
#endif
    VSIMPLE_PROPS_END
};

static void virtio_simple_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(klass);
    device_class_set_props(dc, virtio_simple_properties);
    object_class_property_add(klass, "label", "str",
                              virtio_simple_get_label,
                              virtio_simple_set_label, NULL, NULL);
    dc->vmsd = &vmstate_virtio_simple;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    vdc->realize = virtio_simple_realize;
    vdc->unrealize = virtio_simple_unrealize;
    vdc->get_features = virtio_simple_get_features;
    vdc->get_config = virtio_simple_get_config;
    vdc->set_status = virtio_simple_set_status;
    vdc->reset = virtio_simple_reset;
    vdc->queue_reset = virtio_simple_queue_reset;
    vdc->vmsd = &vmstate_virtio_simple_device;
}

/*
 * The counters, read-only over QMP (qom-get).  "notifications" counts the
 * driver's kicks of either queue, which `make bench` reports per request;
 * it is this QEMU's count and not migrated.
 */
static void virtio_simple_instance_init(Object *obj)
{
    VirtIOSimple *s = VIRTIO_SIMPLE(obj);
    static const struct {
        const char *name;
        size_t offset;
    } stats[] = {
        { "requests", offsetof(VirtIOSimpleStats, requests) },
        { "responses", offsetof(VirtIOSimpleStats, responses) },
        { "errors", offsetof(VirtIOSimpleStats, errors) },
        { "bytes-in", offsetof(VirtIOSimpleStats, bytes_in) },
        { "bytes-out", offsetof(VirtIOSimpleStats, bytes_out) },
        { "notifications", offsetof(VirtIOSimpleStats, notifications) },
    };
    int i;

    for (i = 0; i < ARRAY_SIZE(stats); i++) {
        object_property_add_uint64_ptr(obj, stats[i].name,
                                       (uint64_t *)((char *)&s->stats +
                                                    stats[i].offset),
                                       OBJ_PROP_FLAG_READ);
    }
}

static const TypeInfo virtio_simple_info = {
    .name = TYPE_VIRTIO_SIMPLE,
    .parent = TYPE_VIRTIO_DEVICE,
    .instance_size = sizeof(VirtIOSimple),
    .instance_init = virtio_simple_instance_init,
    .class_init = virtio_simple_class_init,
};

static void virtio_simple_register_types(void)
{
    type_register_static(&virtio_simple_info);
}

type_init(virtio_simple_register_types)
