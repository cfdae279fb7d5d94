/*
 * virtio-simple: a request/response virtio device
 *
 * The driver posts requests (header + payload) on requestq and empty
 * buffers on responseq; the device answers each request in the next
 * response buffer.  The protocol is include/uapi/virtio_simple.h, in
 * normative words docs/spec.md.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/iov.h"
#include "qemu/module.h"
#include "hw/qdev-properties.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-simple.h"
#include "migration/vmstate.h"
#include "sysemu/runstate.h"
#include "trace.h"

#define HDR_SIZE sizeof(struct virtio_simple_hdr)

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

/*
 * A request element must be device-readable only and hold a header; a
 * response element device-writable only with room for a header.  Anything
 * else is a driver bug, not a request we can answer.
 */
static bool virtio_simple_check_elems(VirtIOSimple *s, VirtQueueElement *req,
                                      VirtQueueElement *resp)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(s);
    const char *what = NULL;

    if (req->in_num || iov_size(req->out_sg, req->out_num) < HDR_SIZE) {
        what = "requestq element is writable or shorter than the header";
    } else if (resp->out_num ||
               iov_size(resp->in_sg, resp->in_num) < HDR_SIZE) {
        what = "responseq element is readable or shorter than the header";
    }
    if (what) {
        trace_virtio_simple_transport_error(s, what);
        virtio_error(vdev, "virtio-simple: %s", what);
        return false;
    }
    return true;
}

/*
 * Run the request's op.  Returns a status; on success *out/*out_len is the
 * response payload (which may point into @payload).
 */
static uint16_t virtio_simple_execute(uint16_t op, uint8_t *payload,
                                      uint32_t len, const uint8_t **out,
                                      uint32_t *out_len)
{
    switch (op) {
    case VIRTIO_SIMPLE_OP_ECHO:
        *out = payload;
        *out_len = len;
        return VIRTIO_SIMPLE_S_OK;
    default:
        return VIRTIO_SIMPLE_S_ENOTSUP;
    }
}

/* Answer @req into @resp; returns the bytes written to @resp. */
static size_t virtio_simple_answer(VirtIOSimple *s, VirtQueueElement *req,
                                   VirtQueueElement *resp)
{
    size_t req_size = iov_size(req->out_sg, req->out_num);
    size_t cap = iov_size(resp->in_sg, resp->in_num);
    struct virtio_simple_hdr in, out;
    g_autofree uint8_t *payload = NULL;
    const uint8_t *data = NULL;
    uint32_t len, data_len = 0;
    uint16_t op, status;

    iov_to_buf(req->out_sg, req->out_num, 0, &in, HDR_SIZE);
    len = le32_to_cpu(in.len);
    op = le16_to_cpu(in.op);
    trace_virtio_simple_request(s, le64_to_cpu(in.id), op, len);

    if (len != req_size - HDR_SIZE) {
        status = VIRTIO_SIMPLE_S_EINVAL;
    } else if (len > s->max_payload) {
        status = VIRTIO_SIMPLE_S_E2BIG;
    } else {
        /* len is bounded by max_payload here, so is the allocation. */
        payload = g_malloc(len);
        iov_to_buf(req->out_sg, req->out_num, HDR_SIZE, payload, len);
        status = virtio_simple_execute(op, payload, len, &data, &data_len);
    }
    if (status != VIRTIO_SIMPLE_S_OK) {
        data_len = 0;
    } else if (HDR_SIZE + data_len > cap) {
        status = VIRTIO_SIMPLE_S_EMSGSIZE;
        data_len = 0;
    }

    out.id = in.id;
    out.op = in.op;
    out.status = cpu_to_le16(status);
    out.len = cpu_to_le32(data_len);
    iov_from_buf(resp->in_sg, resp->in_num, 0, &out, HDR_SIZE);
    iov_from_buf(resp->in_sg, resp->in_num, HDR_SIZE, data, data_len);
    trace_virtio_simple_response(s, le64_to_cpu(in.id), status, data_len);
    return HDR_SIZE + data_len;
}

/*
 * Take a request only when a response buffer is there to answer it: with no
 * buffer the request stays in the ring, so nothing is dropped and the device
 * holds no state between notifications.
 */
static void virtio_simple_process(VirtIOSimple *s)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(s);
    bool pushed = false;

    while (virtio_simple_ready(s) && !virtio_queue_empty(s->resp_vq)) {
        VirtQueueElement *req, *resp;
        size_t written;

        req = virtqueue_pop(s->req_vq, sizeof(VirtQueueElement));
        if (!req) {
            break;
        }
        resp = virtqueue_pop(s->resp_vq, sizeof(VirtQueueElement));
        if (!resp) {
            /* the core found responseq broken */
            virtqueue_detach_element(s->req_vq, req, 0);
            g_free(req);
            break;
        }
        if (!virtio_simple_check_elems(s, req, resp)) {
            virtqueue_detach_element(s->req_vq, req, 0);
            virtqueue_detach_element(s->resp_vq, resp, 0);
            g_free(req);
            g_free(resp);
            break;
        }
        written = virtio_simple_answer(s, req, resp);
        virtqueue_push(s->req_vq, req, 0);
        virtqueue_push(s->resp_vq, resp, written);
        g_free(req);
        g_free(resp);
        pushed = true;
    }
    if (pushed) {
        virtio_notify(vdev, s->req_vq);
        virtio_notify(vdev, s->resp_vq);
    }
}

/* Both queues feed the same loop: a new request or a new response buffer. */
static void virtio_simple_handle_queue(VirtIODevice *vdev, VirtQueue *vq)
{
    virtio_simple_process(VIRTIO_SIMPLE(vdev));
}

static uint64_t virtio_simple_get_features(VirtIODevice *vdev, uint64_t f,
                                           Error **errp)
{
    return f;
}

static void virtio_simple_get_config(VirtIODevice *vdev, uint8_t *config)
{
    VirtIOSimple *s = VIRTIO_SIMPLE(vdev);
    struct virtio_simple_config cfg = { 0 };

    stl_le_p(&cfg.magic, VIRTIO_SIMPLE_MAGIC);
    stl_le_p(&cfg.max_payload, s->max_payload);
    pstrcpy((char *)cfg.label, sizeof(cfg.label), s->label ? s->label : "");
    memcpy(config, &cfg, sizeof(cfg));
}

static void virtio_simple_set_status(VirtIODevice *vdev, uint8_t status)
{
    VirtIOSimple *s = VIRTIO_SIMPLE(vdev);

    trace_virtio_simple_set_status(s, status);
    if (!vdev->vm_running) {
        return;
    }
    /* the core stores the status after this callback; process needs it now */
    vdev->status = status;
    virtio_simple_process(s);
}

/* Requests may have arrived while the VM was stopped (e.g. migration). */
static void virtio_simple_vm_state_change(void *opaque, bool running,
                                          RunState state)
{
    VirtIOSimple *s = opaque;

    if (running) {
        virtio_simple_process(s);
    }
}

static void virtio_simple_realize(DeviceState *dev, Error **errp)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtIOSimple *s = VIRTIO_SIMPLE(dev);

    if (s->max_payload < 1 ||
        s->max_payload > VIRTIO_SIMPLE_MAX_PAYLOAD_LIMIT) {
        error_setg(errp, "max-payload must be between 1 and %u, got %u",
                   VIRTIO_SIMPLE_MAX_PAYLOAD_LIMIT, s->max_payload);
        return;
    }
    if (s->queue_size < 2 || s->queue_size > VIRTQUEUE_MAX_SIZE ||
        !is_power_of_2(s->queue_size)) {
        error_setg(errp, "queue-size must be a power of 2 between 2 and %d,"
                   " got %u", VIRTQUEUE_MAX_SIZE, s->queue_size);
        return;
    }
    if (s->label && strlen(s->label) >= VIRTIO_SIMPLE_LABEL_SIZE) {
        error_setg(errp, "label must be shorter than %d bytes",
                   VIRTIO_SIMPLE_LABEL_SIZE);
        return;
    }

    virtio_init(vdev, VIRTIO_ID_SIMPLE, sizeof(struct virtio_simple_config));
    s->req_vq = virtio_add_queue(vdev, s->queue_size,
                                 virtio_simple_handle_queue);
    s->resp_vq = virtio_add_queue(vdev, s->queue_size,
                                  virtio_simple_handle_queue);
    s->vmstate = qemu_add_vm_change_state_handler(
        virtio_simple_vm_state_change, s);
}

static void virtio_simple_unrealize(DeviceState *dev)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtIOSimple *s = VIRTIO_SIMPLE(dev);

    qemu_del_vm_change_state_handler(s->vmstate);
    virtio_delete_queue(s->resp_vq);
    virtio_delete_queue(s->req_vq);
    virtio_cleanup(vdev);
}

static const VMStateDescription vmstate_virtio_simple = {
    .name = "virtio-simple",
    .minimum_version_id = 1,
    .version_id = 1,
    .fields = (VMStateField[]) {
        VMSTATE_VIRTIO_DEVICE,
        VMSTATE_END_OF_LIST()
    },
};

static Property virtio_simple_properties[] = {
    DEFINE_PROP_UINT32("max-payload", VirtIOSimple, max_payload,
                       VIRTIO_SIMPLE_MAX_PAYLOAD_DEFAULT),
    DEFINE_PROP_UINT16("queue-size", VirtIOSimple, queue_size, 128),
    DEFINE_PROP_STRING("label", VirtIOSimple, label),
    DEFINE_PROP_END_OF_LIST(),
};

static void virtio_simple_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(klass);

    device_class_set_props(dc, virtio_simple_properties);
    dc->vmsd = &vmstate_virtio_simple;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    vdc->realize = virtio_simple_realize;
    vdc->unrealize = virtio_simple_unrealize;
    vdc->get_features = virtio_simple_get_features;
    vdc->get_config = virtio_simple_get_config;
    vdc->set_status = virtio_simple_set_status;
}

static const TypeInfo virtio_simple_info = {
    .name = TYPE_VIRTIO_SIMPLE,
    .parent = TYPE_VIRTIO_DEVICE,
    .instance_size = sizeof(VirtIOSimple),
    .class_init = virtio_simple_class_init,
};

static void virtio_simple_register_types(void)
{
    type_register_static(&virtio_simple_info);
}

type_init(virtio_simple_register_types)
