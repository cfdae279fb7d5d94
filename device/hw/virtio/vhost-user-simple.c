/*
 * vhost-user-simple: the virtio-simple device served by a host process
 *
 * The front-end half of a vhost-user device: QEMU keeps the PCI function,
 * the config space and the status; the rings, the kicks (ioeventfd) and
 * the interrupts (irqfd) go to the backend process (backend/ in this
 * project) over the chardev's socket.  It serves the same guest-visible
 * device as virtio-simple: same ID, queues and config layout.
 *
 * What the in-QEMU device does itself and a backend cannot: NEEDS_RESET.
 * A backend that finds a transport violation closes its connection; if
 * the driver was being served, that puts the device in NEEDS_RESET here,
 * and the chardev's reconnect brings the backend back for the driver's
 * reset.  docs/vhost-user.md has the whole picture.
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
#include "qemu/error-report.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "hw/virtio/virtio-bus.h"
#include "hw/virtio/vhost-user-simple.h"
#include "hw/virtio/virtio-simple-label.h"
#include "migration/vmstate.h"
#include "qemu/main-loop.h"

#define REALIZE_CONNECTION_RETRIES 3

/*
 * What the device offers (docs/spec.md section 2), less what libvhost-user
 * cannot serve: packed rings.  vhost_get_features() clears any of these
 * the backend lacks.
 */
static const int vu_simple_feature_bits[] = {
    VIRTIO_F_VERSION_1,
    VIRTIO_RING_F_INDIRECT_DESC,
    VIRTIO_RING_F_EVENT_IDX,
    VHOST_INVALID_FEATURE_BIT
};

static uint64_t vu_simple_get_features(VirtIODevice *vdev, uint64_t f,
                                       Error **errp)
{
    VHostUserSimple *s = VHOST_USER_SIMPLE(vdev);

    /* the core would add it back; the backend maps guest RAM, no IOVAs */
    if (f & BIT_ULL(VIRTIO_F_IOMMU_PLATFORM)) {
        error_setg(errp, "vhost-user-simple: iommu_platform is not"
                   " supported");
        return 0;
    }
    f &= BIT_ULL(VIRTIO_F_VERSION_1) | BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |
         BIT_ULL(VIRTIO_RING_F_EVENT_IDX);
    return vhost_get_features(&s->vhost_dev, vu_simple_feature_bits, f);
}

/*
 * NEEDS_RESET, from a bottom half: virtio_error() inside set_status (a
 * negotiation refused, a start that fails and drops the connection) would
 * be overwritten by the status the driver is writing.
 */
static void vu_simple_fail_bh(void *opaque)
{
    VirtIODevice *vdev = opaque;
    VHostUserSimple *s = VHOST_USER_SIMPLE(vdev);

    if (s->fail_reason && !vdev->broken &&
        (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
        virtio_error(vdev, "vhost-user-simple: %s", s->fail_reason);
    }
    s->fail_reason = NULL;
}

static void vu_simple_fail(VHostUserSimple *s, const char *why)
{
    s->fail_reason = why;
    qemu_bh_schedule(s->fail_bh);
}

static void vu_simple_get_config(VirtIODevice *vdev, uint8_t *config)
{
    memcpy(config, &VHOST_USER_SIMPLE(vdev)->config,
           sizeof(struct virtio_simple_config));
}

static void vu_simple_get_label(Object *obj, Visitor *v, const char *name,
                                void *opaque, Error **errp)
{
    VHostUserSimple *s = VHOST_USER_SIMPLE(obj);
    g_autofree char *label = g_strndup((char *)s->config.label,
                                       VIRTIO_SIMPLE_LABEL_SIZE);

    visit_type_str(v, name, &label, errp);
}

/*
 * As virtio-simple's label, settable at run time (qom-set), but it lives
 * in the backend's config space: written there (VHOST_USER_SET_CONFIG),
 * then the driver is told, as the in-QEMU device tells it.
 */
static void vu_simple_set_label(Object *obj, Visitor *v, const char *name,
                                void *opaque, Error **errp)
{
    VHostUserSimple *s = VHOST_USER_SIMPLE(obj);
    uint8_t padded[VIRTIO_SIMPLE_LABEL_SIZE];

    if (!vsimple_label_visit(v, name, padded, errp)) {
        return;
    }
    if (!DEVICE(obj)->realized || !s->connected) {
        error_setg(errp, "vhost-user-simple: the label is the backend's:"
                   " set it with the backend's --label, or once it is"
                   " connected");
        return;
    }
    if (!memcmp(padded, s->config.label, sizeof(padded))) {
        return;
    }
    /* 0: a write from the front-end (VHOST_SET_CONFIG_TYPE_MASTER) */
    if (vhost_dev_set_config(&s->vhost_dev, padded,
                             offsetof(struct virtio_simple_config, label),
                             sizeof(padded), 0) < 0) {
        error_setg(errp, "vhost-user-simple: the backend refused the label");
        return;
    }
    memcpy(s->config.label, padded, sizeof(padded));
    vsimple_label_changed(VIRTIO_DEVICE(obj));
}

static int vu_simple_start(VirtIODevice *vdev)
{
    VHostUserSimple *s = VHOST_USER_SIMPLE(vdev);
    BusState *qbus = BUS(qdev_get_parent_bus(DEVICE(vdev)));
    VirtioBusClass *k = VIRTIO_BUS_GET_CLASS(qbus);
    struct vhost_dev *hdev = &s->vhost_dev;
    int ret, i;

    if (!k->set_guest_notifiers) {
        error_report("vhost-user-simple: no guest notifiers on this bus");
        return -ENOSYS;
    }
    ret = vhost_dev_enable_notifiers(hdev, vdev);
    if (ret < 0) {
        error_report("vhost-user-simple: host notifiers: %d", ret);
        return ret;
    }
    ret = k->set_guest_notifiers(qbus->parent, hdev->nvqs, true);
    if (ret < 0) {
        error_report("vhost-user-simple: guest notifiers: %d", ret);
        goto err_host_notifiers;
    }
    /* what this driver accepted, not an earlier one's (ORed by acking) */
    hdev->acked_features = vdev->guest_features;
    ret = vhost_dev_start(hdev, vdev, false);
    if (ret < 0) {
        error_report("vhost-user-simple: start: %d", ret);
        goto err_guest_notifiers;
    }
    s->started_vu = true;
    for (i = 0; i < hdev->nvqs; i++) {
        vhost_virtqueue_mask(hdev, vdev, i, false);
    }
    /* with VHOST_USER_F_PROTOCOL_FEATURES, rings start disabled */
    ret = hdev->vhost_ops->vhost_set_vring_enable(hdev, true);
    if (ret == 0) {
        return 0;
    }
    error_report("vhost-user-simple: enabling the rings: %d", ret);
    vhost_dev_stop(hdev, vdev, false);
    s->started_vu = false;
err_guest_notifiers:
    k->set_guest_notifiers(qbus->parent, hdev->nvqs, false);
err_host_notifiers:
    vhost_dev_disable_notifiers(hdev, vdev);
    return ret;
}

static void vu_simple_stop(VirtIODevice *vdev)
{
    VHostUserSimple *s = VHOST_USER_SIMPLE(vdev);
    BusState *qbus = BUS(qdev_get_parent_bus(DEVICE(vdev)));
    VirtioBusClass *k = VIRTIO_BUS_GET_CLASS(qbus);
    struct vhost_dev *hdev = &s->vhost_dev;

    if (!s->started_vu) {
        return;
    }
    s->started_vu = false;
    vhost_dev_stop(hdev, vdev, false);
    if (k->set_guest_notifiers(qbus->parent, hdev->nvqs, false) < 0) {
        error_report("vhost-user-simple: guest notifier cleanup failed");
        return;
    }
    vhost_dev_disable_notifiers(hdev, vdev);
}

/*
 * Served while DRIVER_OK is set and the device is not broken, whether the
 * VM runs or not: stopping the backend on a VM stop would cost it the
 * pending DELAYs (it cannot tell a stop from a reset), and the device does
 * not migrate anyway.
 */
static bool vu_simple_should_serve(VirtIODevice *vdev, uint8_t status)
{
    return !vdev->broken && virtio_device_started(vdev, status);
}

/*
 * Serve only a driver that negotiated, as virtio-simple does: the backend
 * never sees FEATURES_OK, so the front-end checks it.
 */
static void vu_simple_set_status(VirtIODevice *vdev, uint8_t status)
{
    VHostUserSimple *s = VHOST_USER_SIMPLE(vdev);
    bool should_start = vu_simple_should_serve(vdev, status);

    if (should_start &&
        (!virtio_vdev_has_feature(vdev, VIRTIO_F_VERSION_1) ||
         !(status & VIRTIO_CONFIG_S_FEATURES_OK))) {
        vu_simple_fail(s, "DRIVER_OK without VIRTIO_F_VERSION_1 and"
                       " FEATURES_OK");
        should_start = false;
    }
    if (!s->connected || s->started_vu == should_start) {
        return;
    }
    if (should_start) {
        if (vu_simple_start(vdev)) {
            qemu_chr_fe_disconnect(&s->chardev);
        }
    } else {
        vu_simple_stop(vdev);
    }
}

static void vu_simple_handle_output(VirtIODevice *vdev, VirtQueue *vq)
{
    /* the backend serves the queues; virtio's cleanup may still call this */
}

/*
 * The config interrupt's notifier (idx VIRTIO_CONFIG_IRQ_IDX, QEMU 8.0 and
 * later) stays QEMU's: the backend never raises it, and vhost-user asserts
 * on any index that is not one of its queues.
 */
static bool vu_simple_is_config_irq(int idx)
{
#ifdef VIRTIO_CONFIG_IRQ_IDX
    return idx == VIRTIO_CONFIG_IRQ_IDX;
#else
    return false;
#endif
}

static void vu_simple_guest_notifier_mask(VirtIODevice *vdev, int idx,
                                          bool mask)
{
    if (vu_simple_is_config_irq(idx)) {
        return;
    }
    vhost_virtqueue_mask(&VHOST_USER_SIMPLE(vdev)->vhost_dev, vdev, idx, mask);
}

static bool vu_simple_guest_notifier_pending(VirtIODevice *vdev, int idx)
{
    if (vu_simple_is_config_irq(idx)) {
        return false;
    }
    return vhost_virtqueue_pending(&VHOST_USER_SIMPLE(vdev)->vhost_dev, idx);
}

static struct vhost_dev *vu_simple_get_vhost(VirtIODevice *vdev)
{
    return &VHOST_USER_SIMPLE(vdev)->vhost_dev;
}

static int vu_simple_connect(DeviceState *dev, Error **errp)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VHostUserSimple *s = VHOST_USER_SIMPLE(dev);
    int ret;

    if (s->connected) {
        return 0;
    }
    s->vhost_user.supports_config = true;
    s->vhost_dev.nvqs = VIRTIO_SIMPLE_VQ_MAX;
    s->vhost_dev.vqs = s->vhost_vqs;
    ret = vhost_dev_init(&s->vhost_dev, &s->vhost_user,
                         VHOST_BACKEND_TYPE_USER, 0, errp);
    if (ret < 0) {
        return ret;
    }
    ret = vhost_dev_get_config(&s->vhost_dev, (uint8_t *)&s->config,
                               sizeof(s->config), errp);
    if (ret < 0) {
        vhost_dev_cleanup(&s->vhost_dev);
        return ret;
    }
    if (le32_to_cpu(s->config.magic) != VIRTIO_SIMPLE_MAGIC) {
        error_setg(errp, "vhost-user-simple: the backend's config space has"
                   " magic 0x%x, not 0x%x", le32_to_cpu(s->config.magic),
                   VIRTIO_SIMPLE_MAGIC);
        vhost_dev_cleanup(&s->vhost_dev);
        return -EPROTO;
    }
    s->connected = true;
    /*
     * A backend back after a failure: serve a driver already running, not
     * a broken device (its driver must reset it first).
     */
    if (vu_simple_should_serve(vdev, vdev->status) &&
        virtio_vdev_has_feature(vdev, VIRTIO_F_VERSION_1) &&
        (vdev->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
        vu_simple_start(vdev);
    }
    return 0;
}

static void vu_simple_event(void *opaque, QEMUChrEvent event);

static void vu_simple_disconnect(DeviceState *dev)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VHostUserSimple *s = VHOST_USER_SIMPLE(dev);

    if (!s->connected) {
        return;
    }
    s->connected = false;
    vu_simple_stop(vdev);
    vhost_dev_cleanup(&s->vhost_dev);
    /* the event handler again, for the backend's next connection */
    qemu_chr_fe_set_handlers(&s->chardev, NULL, NULL, vu_simple_event, NULL,
                             dev, NULL, true);
}

/*
 * The connection's end, handled from a bottom half: the event may come in
 * the middle of a vhost-user exchange.  Not vhost_user_async_close(): in
 * QEMU 7.2 it does nothing when the device was not started, which leaves
 * the chardev without handlers for good.  The reference keeps the device
 * alive should it be unplugged before the bottom half runs.
 */
static void vu_simple_closed_bh(void *opaque)
{
    DeviceState *dev = opaque;

    if (dev->realized) {
        vu_simple_disconnect(dev);
    }
    object_unref(OBJECT(dev));
}

static void vu_simple_event(void *opaque, QEMUChrEvent event)
{
    DeviceState *dev = opaque;
    VHostUserSimple *s = VHOST_USER_SIMPLE(dev);
    Error *local_err = NULL;

    switch (event) {
    case CHR_EVENT_OPENED:
        if (vu_simple_connect(dev, &local_err) < 0) {
            error_report_err(local_err);
            qemu_chr_fe_disconnect(&s->chardev);
        }
        break;
    case CHR_EVENT_CLOSED:
        /*
         * The backend went away (it crashed, or found a transport
         * violation) while it served the driver: requests in flight are
         * lost, so the driver must reset the device, as it does for the
         * in-QEMU device's NEEDS_RESET.
         */
        if (s->connected && s->started_vu) {
            vu_simple_fail(s, "the backend disconnected");
        }
        if (runstate_check(RUN_STATE_SHUTDOWN)) {
            break;
        }
        qemu_chr_fe_set_handlers(&s->chardev, NULL, NULL, NULL, NULL, NULL,
                                 NULL, false);
        object_ref(OBJECT(dev));
        aio_bh_schedule_oneshot(qemu_get_current_aio_context(),
                                vu_simple_closed_bh, dev);
        break;
    default:
        break;
    }
}

static void vu_simple_cleanup(VirtIODevice *vdev, VHostUserSimple *s)
{
    int i;

    qemu_bh_delete(s->fail_bh);
    for (i = 0; i < VIRTIO_SIMPLE_VQ_MAX; i++) {
        virtio_delete_queue(s->vqs[i]);
    }
    virtio_cleanup(vdev);
    vhost_user_cleanup(&s->vhost_user);
}

static void vu_simple_realize(DeviceState *dev, Error **errp)
{
    ERRP_GUARD();
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VHostUserSimple *s = VHOST_USER_SIMPLE(dev);
    int retries = REALIZE_CONNECTION_RETRIES, ret, i;

    if (!s->chardev.chr) {
        error_setg(errp, "vhost-user-simple: chardev is mandatory"
                   " (a socket to the backend process)");
        return;
    }
    if (s->queue_size < 2 || s->queue_size > VIRTQUEUE_MAX_SIZE ||
        !is_power_of_2(s->queue_size)) {
        error_setg(errp, "queue-size must be a power of 2 between 2 and %d,"
                   " got %u", VIRTQUEUE_MAX_SIZE, s->queue_size);
        return;
    }
    if (!vhost_user_init(&s->vhost_user, &s->chardev, errp)) {
        return;
    }
    virtio_init(vdev, VIRTIO_ID_SIMPLE, sizeof(struct virtio_simple_config));
    for (i = 0; i < VIRTIO_SIMPLE_VQ_MAX; i++) {
        s->vqs[i] = virtio_add_queue(vdev, s->queue_size,
                                     vu_simple_handle_output);
    }
    s->fail_bh = virtio_bh_new_guarded(dev, vu_simple_fail_bh, vdev);
    s->connected = false;
    qemu_chr_fe_set_handlers(&s->chardev, NULL, NULL, vu_simple_event, NULL,
                             dev, NULL, true);
    do {
        if (*errp) {
            error_prepend(errp, "Reconnecting after error: ");
            error_report_err(*errp);
            *errp = NULL;
            qemu_chr_fe_disconnect(&s->chardev);
        }
        ret = qemu_chr_fe_wait_connected(&s->chardev, errp);
        if (ret == 0) {
            ret = vu_simple_connect(dev, errp);
        }
        if (ret < 0 && !*errp) {
            error_setg(errp, "vhost-user-simple: no backend");
        }
    } while (ret < 0 && retries--);
    if (ret < 0) {
        qemu_chr_fe_set_handlers(&s->chardev, NULL, NULL, NULL, NULL, NULL,
                                 NULL, false);
        vu_simple_cleanup(vdev, s);
    }
}

static void vu_simple_unrealize(DeviceState *dev)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VHostUserSimple *s = VHOST_USER_SIMPLE(dev);

    vu_simple_set_status(vdev, 0);
    qemu_chr_fe_set_handlers(&s->chardev, NULL, NULL, NULL, NULL, NULL, NULL,
                             false);
    vhost_dev_cleanup(&s->vhost_dev);
    vu_simple_cleanup(vdev, s);
}

/* The rings' state lives in the backend: no migration. */
static const VMStateDescription vu_simple_vmstate = {
    .name = "vhost-user-simple",
    .unmigratable = 1,
};

static VSIMPLE_PROPERTY vu_simple_properties[] = {
    DEFINE_PROP_CHR("chardev", VHostUserSimple, chardev),
    DEFINE_PROP_UINT16("queue-size", VHostUserSimple, queue_size, 128),
    VSIMPLE_PROPS_END
};

static void vu_simple_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(klass);

    device_class_set_props(dc, vu_simple_properties);
    object_class_property_add(klass, "label", "str", vu_simple_get_label,
                              vu_simple_set_label, NULL, NULL);
    dc->vmsd = &vu_simple_vmstate;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    vdc->realize = vu_simple_realize;
    vdc->unrealize = vu_simple_unrealize;
    vdc->get_features = vu_simple_get_features;
    vdc->get_config = vu_simple_get_config;
    vdc->set_status = vu_simple_set_status;
    vdc->guest_notifier_mask = vu_simple_guest_notifier_mask;
    vdc->guest_notifier_pending = vu_simple_guest_notifier_pending;
    vdc->get_vhost = vu_simple_get_vhost;
}

static const TypeInfo vu_simple_info = {
    .name = TYPE_VHOST_USER_SIMPLE,
    .parent = TYPE_VIRTIO_DEVICE,
    .instance_size = sizeof(VHostUserSimple),
    .class_init = vu_simple_class_init,
};

static void vu_simple_register_types(void)
{
    type_register_static(&vu_simple_info);
}

type_init(vu_simple_register_types)
