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
#include "qemu/crc32c.h"
#include "qemu/cutils.h"
#include "qemu/iov.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "hw/qdev-properties.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-simple.h"
#include "migration/vmstate.h"
#include "trace.h"

#define HDR_SIZE sizeof(struct virtio_simple_hdr)
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
    if (req->in_num || iov_size(req->out_sg, req->out_num) < HDR_SIZE) {
        virtio_simple_fail(s, "requestq element is device-writable or"
                           " shorter than the header");
        return false;
    }
    return true;
}

static bool virtio_simple_check_response(VirtIOSimple *s,
                                         VirtQueueElement *resp)
{
    if (resp->out_num || iov_size(resp->in_sg, resp->in_num) < HDR_SIZE) {
        virtio_simple_fail(s, "responseq element is device-readable or"
                           " shorter than the header");
        return false;
    }
    return true;
}

/* Where an answer's payload lies: @skip bytes into an iovec array. */
typedef struct VirtIOSimplePayload {
    const struct iovec *iov;
    unsigned int cnt;
    size_t skip;
} VirtIOSimplePayload;

/*
 * Copy @len payload bytes from @src to @resp after the header, piece by
 * piece where they lie: no bounce through a temporary buffer.
 */
static void virtio_simple_copy_payload(VirtQueueElement *resp,
                                       const VirtIOSimplePayload *src,
                                       uint32_t len)
{
    size_t skip = src->skip, at = HDR_SIZE;
    unsigned int i;

    for (i = 0; i < src->cnt && len; i++) {
        const struct iovec *v = &src->iov[i];
        size_t n;

        if (skip >= v->iov_len) {
            skip -= v->iov_len;
            continue;
        }
        n = MIN(v->iov_len - skip, len);
        iov_from_buf(resp->in_sg, resp->in_num, at,
                     (const uint8_t *)v->iov_base + skip, n);
        at += n;
        len -= n;
        skip = 0;
    }
}

/*
 * Test only (x-fault-injection=on): an ECHO of "x-fault:" + i/o/l gets a
 * malformed answer (unknown id, wrong op, header len disagreeing with the
 * bytes written); "x-fault:u" an answer 64 zero bytes longer than the
 * payload (header len and used length agree; the caller writes the
 * zeros); "x-fault:d" no answer at all (see virtio_simple_drops());
 * "x-fault:r" puts the device in NEEDS_RESET.  So drivers can be tested
 * against a misbehaving device.  Returns the extra bytes, at most @room.
 */
static uint32_t virtio_simple_fault(VirtIOSimple *s,
                                    const VirtIOSimplePayload *data,
                                    uint32_t len, size_t room,
                                    struct virtio_simple_hdr *hdr)
{
    char p[9];

    if (!s->x_fault_injection || len < 9 ||
        iov_to_buf(data->iov, data->cnt, data->skip, p, 9) != 9 ||
        memcmp(p, "x-fault:", 8)) {
        return 0;
    }
    switch (p[8]) {
    case 'u':
        if (room < 64) {
            return 0;
        }
        hdr->len = cpu_to_le32(le32_to_cpu(hdr->len) + 64);
        return 64;
    case 'i':
        hdr->id = cpu_to_le64(le64_to_cpu(hdr->id) + 1000000);
        break;
    case 'o':
        hdr->op = cpu_to_le16(le16_to_cpu(hdr->op) ^ 0x80);
        break;
    case 'l':
        hdr->len = cpu_to_le32(le32_to_cpu(hdr->len) + 1);
        break;
    case 'r':
        virtio_simple_fail(s, "fault injection: needs reset");
        break;
    }
    return 0;
}

/* Test only: an ECHO of "x-fault:d" is taken and never answered. */
static bool virtio_simple_drops(VirtIOSimple *s, VirtQueueElement *elem,
                                uint16_t op, uint32_t len)
{
    char p[9];

    return s->x_fault_injection && op == VIRTIO_SIMPLE_OP_ECHO && len >= 9 &&
           iov_to_buf(elem->out_sg, elem->out_num, HDR_SIZE, p, 9) == 9 &&
           !memcmp(p, "x-fault:d", 9);
}

/*
 * Write a response into @resp: the header, then @len bytes of @data unless
 * they do not fit, in which case the header alone with EMSGSIZE.  Returns
 * bytes written.
 */
static size_t virtio_simple_write_response(VirtIOSimple *s,
                                           VirtQueueElement *resp,
                                           uint64_t id, uint16_t op,
                                           uint16_t status,
                                           const VirtIOSimplePayload *data,
                                           uint32_t len)
{
    size_t size = iov_size(resp->in_sg, resp->in_num);
    struct virtio_simple_hdr hdr;
    uint32_t claimed;

    if (HDR_SIZE + len > size) {
        status = VIRTIO_SIMPLE_S_EMSGSIZE;
    }
    if (status != VIRTIO_SIMPLE_S_OK) {
        len = 0;
        s->stats.errors++;
    }
    hdr.id = cpu_to_le64(id);
    hdr.op = cpu_to_le16(op);
    hdr.status = cpu_to_le16(status);
    hdr.len = cpu_to_le32(len);
    claimed = virtio_simple_fault(s, data, len, size - HDR_SIZE - len, &hdr);
    iov_from_buf(resp->in_sg, resp->in_num, 0, &hdr, HDR_SIZE);
    if (len) {
        virtio_simple_copy_payload(resp, data, len);
    }
    if (claimed) {              /* a length lie still writes every byte */
        static const uint8_t zeros[64];

        iov_from_buf(resp->in_sg, resp->in_num, HDR_SIZE + len, zeros,
                     claimed);
    }
    s->stats.responses++;
    s->stats.bytes_out += len;
    trace_virtio_simple_response(s, id, op, status, len);
    return HDR_SIZE + len + claimed;
}

/* A request's header, checked against the element that carried it. */
typedef struct VirtIOSimpleRequest {
    uint64_t id;
    uint16_t op;
    uint32_t len;
    uint16_t status;            /* EINVAL/E2BIG found before any op runs */
} VirtIOSimpleRequest;

static void virtio_simple_parse(VirtIOSimple *s, VirtQueueElement *elem,
                                VirtIOSimpleRequest *req)
{
    size_t size = iov_size(elem->out_sg, elem->out_num);
    struct virtio_simple_hdr hdr;

    iov_to_buf(elem->out_sg, elem->out_num, 0, &hdr, HDR_SIZE);
    req->id = le64_to_cpu(hdr.id);
    req->op = le16_to_cpu(hdr.op);
    req->len = le32_to_cpu(hdr.len);
    req->status = VIRTIO_SIMPLE_S_OK;
    if (req->len != size - HDR_SIZE) {
        req->status = VIRTIO_SIMPLE_S_EINVAL;
    } else if (req->len > s->max_payload) {
        req->status = VIRTIO_SIMPLE_S_E2BIG;
    } else {
        s->stats.bytes_in += req->len;
    }
    s->stats.requests++;
    trace_virtio_simple_request(s, req->id, req->op, req->len);
}

/* DELAY's argument, or false when the request does not carry a valid one. */
static bool virtio_simple_delay_arg(VirtQueueElement *elem,
                                    VirtIOSimpleRequest *req, uint32_t *usec)
{
    uint32_t le;

    if (req->status != VIRTIO_SIMPLE_S_OK || req->len != sizeof(le)) {
        return false;
    }
    iov_to_buf(elem->out_sg, elem->out_num, HDR_SIZE, &le, sizeof(le));
    *usec = le32_to_cpu(le);
    return *usec <= VIRTIO_SIMPLE_DELAY_MAX_US;
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

/* CRC-32C of @len payload bytes where they lie, piece by piece. */
static uint32_t virtio_simple_crc32c(const VirtIOSimplePayload *p,
                                     uint32_t len)
{
    uint32_t crc = 0xffffffff;  /* QEMU's crc32c() inverts what it returns */
    size_t skip = p->skip;
    unsigned int i;

    for (i = 0; i < p->cnt && len; i++) {
        const struct iovec *v = &p->iov[i];
        size_t n;

        if (skip >= v->iov_len) {
            skip -= v->iov_len;
            continue;
        }
        n = MIN(v->iov_len - skip, len);
        crc = crc32c(crc, (const uint8_t *)v->iov_base + skip, n) ^ 0xffffffff;
        len -= n;
        skip = 0;
    }
    return crc ^ 0xffffffff;
}

/*
 * Run an op that answers at once, from a flat copy of its payload: every
 * op but ECHO and CRC32C, which virtio_simple_answer() serves where the
 * bytes lie.  Returns a status, fills *out.
 */
static uint16_t virtio_simple_execute(VirtIOSimpleRequest *req,
                                      uint8_t *payload, uint8_t *out,
                                      uint32_t *out_len)
{
    switch (req->op) {
    case VIRTIO_SIMPLE_OP_DELAY:
        return VIRTIO_SIMPLE_S_EINVAL;  /* a valid DELAY never gets here */
    default:
        return VIRTIO_SIMPLE_S_ENOTSUP;
    }
}

/*
 * Answer an immediate request into @resp; returns bytes written.  ECHO
 * copies the request's payload straight into the response and CRC32C
 * reads it in place: no copy of their own.  Other ops get a flat copy
 * (virtio_simple_execute()).
 */
static size_t virtio_simple_answer(VirtIOSimple *s, VirtQueueElement *elem,
                                   VirtIOSimpleRequest *req,
                                   VirtQueueElement *resp)
{
    VirtIOSimplePayload payload = { elem->out_sg, elem->out_num, HDR_SIZE };
    g_autofree uint8_t *flat = NULL;
    g_autofree uint8_t *out = NULL;
    uint32_t crc, out_len = 0;
    struct iovec out_iov;
    VirtIOSimplePayload answer = { &out_iov, 1, 0 };
    uint16_t status = req->status;

    if (status != VIRTIO_SIMPLE_S_OK) {
        return virtio_simple_write_response(s, resp, req->id, req->op,
                                            status, NULL, 0);
    }
    switch (req->op) {
    case VIRTIO_SIMPLE_OP_ECHO:
        return virtio_simple_write_response(s, resp, req->id, req->op,
                                            status, &payload, req->len);
    case VIRTIO_SIMPLE_OP_CRC32C:
        crc = cpu_to_le32(virtio_simple_crc32c(&payload, req->len));
        out_iov = (struct iovec) { &crc, sizeof(crc) };
        return virtio_simple_write_response(s, resp, req->id, req->op,
                                            status, &answer, sizeof(crc));
    }
    /* len <= max_payload here, so both allocations are bounded */
    flat = g_malloc(req->len);
    out = g_malloc(MAX(req->len, sizeof(uint32_t)));
    iov_to_buf(elem->out_sg, elem->out_num, HDR_SIZE, flat, req->len);
    status = virtio_simple_execute(req, flat, out, &out_len);
    out_iov = (struct iovec) { out, out_len };
    return virtio_simple_write_response(s, resp, req->id, req->op, status,
                                        &answer, out_len);
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
        written = virtio_simple_write_response(s, resp, r->id, r->op,
                                               r->status, NULL, 0);
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
 * at hand, so nothing waits inside the device but header-only DELAY
 * answers, at most MAX_PENDING of them.  Returns false to stop the loop.
 */
static bool virtio_simple_take_request(VirtIOSimple *s, bool *req_used,
                                       bool *resp_used)
{
    VirtQueueElement *elem, *resp;
    VirtIOSimpleRequest req;
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

    if (req.op == VIRTIO_SIMPLE_OP_DELAY &&
        virtio_simple_delay_arg(elem, &req, &usec)) {
        virtio_simple_start_delay(s, req.id, usec);
        virtqueue_push(s->req_vq, elem, 0);
        g_free(elem);
        *req_used = true;
        return true;
    }
    if (req.status == VIRTIO_SIMPLE_S_OK &&
        virtio_simple_drops(s, elem, req.op, req.len)) {
        virtqueue_push(s->req_vq, elem, 0);
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
    written = virtio_simple_answer(s, elem, &req, resp);
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
    return f & (BIT_ULL(VIRTIO_F_VERSION_1) |
                BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |
                BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |
                BIT_ULL(VIRTIO_F_RING_PACKED) |
                BIT_ULL(VIRTIO_F_IOMMU_PLATFORM));
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

/*
 * Settable at any time (qom-set).  Each change bumps the config generation,
 * also before DRIVER_OK, when virtio_notify_config() does nothing: a driver
 * reading the label during probe must see that it changed.
 */
static void virtio_simple_set_label(Object *obj, Visitor *v,
                                    const char *name, void *opaque,
                                    Error **errp)
{
    VirtIOSimple *s = VIRTIO_SIMPLE(obj);
    VirtIODevice *vdev = VIRTIO_DEVICE(obj);
    g_autofree char *label = NULL;
    uint8_t padded[VIRTIO_SIMPLE_LABEL_SIZE] = { 0 };

    if (!visit_type_str(v, name, &label, errp)) {
        return;
    }
    if (strlen(label) >= VIRTIO_SIMPLE_LABEL_SIZE) {
        error_setg(errp, "label must be shorter than %d bytes",
                   VIRTIO_SIMPLE_LABEL_SIZE);
        return;
    }
    memcpy(padded, label, strlen(label));
    /* the same label again is no change: no interrupt, same generation */
    if (!memcmp(padded, s->label, sizeof(padded))) {
        return;
    }
    memcpy(s->label, padded, sizeof(s->label));
    trace_virtio_simple_label(s, label);
    if (!DEVICE(obj)->realized) {
        return;
    }
    if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        virtio_notify_config(vdev);
    } else {
        vdev->generation++;
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
    DEFINE_PROP_BOOL("x-fault-injection", VirtIOSimple, x_fault_injection,
                     false),
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
