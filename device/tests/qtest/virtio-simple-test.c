/*
 * QTest cases for virtio-simple: every op and status, DELAY ordering and
 * its pending cap, back-pressure, reset, unplug and migration with requests
 * in flight or answers waiting, the config change interrupt and generation,
 * and every transport violation the device must survive.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest-single.h"
#include "qemu/bswap.h"
#include "qemu/module.h"
/* QEMU 9.2 moved QDict from qapi/qmp/ to qobject/ (config-host.h's version) */
#if QEMU_VERSION_MAJOR * 100 + QEMU_VERSION_MINOR >= 902
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#else
#include "qapi/qmp/qdict.h"
#include "qapi/qmp/qlist.h"
#endif
#include "standard-headers/linux/virtio_config.h"
#include "standard-headers/linux/virtio_pci.h"
#include "standard-headers/linux/virtio_ring.h"
#include "standard-headers/linux/virtio_simple.h"
#include "libqos/qgraph.h"
#include "libqos/virtio.h"
#include "libqos/virtio-simple.h"

#define HDR sizeof(struct virtio_simple_hdr)
#define TIMEOUT_US (30 * 1000 * 1000)
#define MAX_DESC 1024
#define MAX_PAYLOAD VIRTIO_SIMPLE_MAX_PAYLOAD_DEFAULT

/* A minimal driver: the two queues and where each response buffer lives. */
typedef struct Dev {
    QVirtioDevice *vdev;
    QGuestAllocator *alloc;
    QTestState *qts;
    QVirtQueue *req;
    QVirtQueue *resp;
    uint64_t resp_addr[MAX_DESC];
} Dev;

typedef struct Resp {
    uint64_t id;
    uint16_t op;
    uint16_t status;
    uint32_t len;               /* header's len */
    uint32_t used;              /* used length the device reported */
    uint8_t *payload;
} Resp;

/*
 * libqos 7.2's qvring_init() clears used->avail_event two bytes too early,
 * so a ring on reused guest memory can hold a stale avail_event and
 * qvirtqueue_kick() then skips the notification.  Clear the right field.
 */
static QVirtQueue *setup_vq(Dev *d, uint16_t index)
{
    QVirtQueue *vq = qvirtqueue_setup(d->vdev, d->alloc, index);

    qtest_writew(d->qts, vq->used + 4 + 8 * vq->size, 0);
    return vq;
}

/*
 * libqos 7.2's qvirtqueue_get_buf() reads the used length as 16 bits; read
 * the whole 32-bit field of the element it just consumed.
 */
static uint32_t last_used_len(Dev *d, QVirtQueue *vq)
{
    uint16_t slot = (uint16_t)(vq->last_used_idx - 1) % vq->size;

    return qtest_readl(d->qts, vq->used + 4 + 8 * slot + 4);
}

static void dev_start_features(Dev *d, uint64_t keep)
{
    uint64_t features;

    qvirtio_start_device(d->vdev);
    features = qvirtio_get_features(d->vdev) & keep;
    qvirtio_set_features(d->vdev, features);
    d->req = setup_vq(d, VIRTIO_SIMPLE_VQ_REQUEST);
    d->resp = setup_vq(d, VIRTIO_SIMPLE_VQ_RESPONSE);
}

static void dev_stop(Dev *d)
{
    qvirtqueue_cleanup(d->vdev->bus, d->req, d->alloc);
    qvirtqueue_cleanup(d->vdev->bus, d->resp, d->alloc);
}

static void dev_restart(Dev *d)
{
    dev_stop(d);
    dev_start_features(d, ~0ull);
    qvirtio_set_driver_ok(d->vdev);
}

static QVirtioPCIDevice *dev_pci(Dev *d)
{
    return container_of(d->vdev, QVirtioPCIDevice, vdev);
}

static void dev_init(Dev *d, void *obj, QGuestAllocator *alloc)
{
    QVirtioSimple *vs = obj;

    d->vdev = vs->vdev;
    d->alloc = alloc;
    d->qts = dev_pci(d)->pdev->bus->qts;
}

static void dev_start(Dev *d, void *obj, QGuestAllocator *alloc)
{
    dev_init(d, obj, alloc);
    dev_start_features(d, ~0ull);
    qvirtio_set_driver_ok(d->vdev);
}

/*
 * DRIVER_OK without qvirtio_set_driver_ok()'s check of the status read
 * back: the device may already have flagged NEEDS_RESET by then.
 */
static void set_driver_ok_raw(Dev *d)
{
    d->vdev->bus->set_status(d->vdev, d->vdev->bus->get_status(d->vdev) |
                             VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Make @head available without notifying the device (batching). */
static void publish(Dev *d, QVirtQueue *vq, uint32_t head)
{
    uint16_t idx = qtest_readw(d->qts, vq->avail + 2);

    qtest_writew(d->qts, vq->avail + 4 + 2 * (idx % vq->size), head);
    qtest_writew(d->qts, vq->avail + 2, idx + 1);
}

static void notify(Dev *d, QVirtQueue *vq)
{
    d->vdev->bus->virtqueue_kick(d->vdev, vq);
}

static uint32_t post_resp(Dev *d, uint32_t cap, bool readable)
{
    uint64_t addr = guest_alloc(d->alloc, cap);
    uint32_t head = qvirtqueue_add(d->qts, d->resp, addr, cap, !readable,
                                   false);

    g_assert_cmpuint(head, <, MAX_DESC);
    d->resp_addr[head] = addr;
    qvirtqueue_kick(d->qts, d->vdev, d->resp, head);
    return head;
}

/* Queue a request's descriptor (not yet available to the device). */
static uint32_t add_req(Dev *d, uint64_t id, uint16_t op, uint32_t hdr_len,
                        const void *payload, uint32_t n)
{
    struct virtio_simple_hdr hdr = {
        .id = cpu_to_le64(id),
        .op = cpu_to_le16(op),
        .len = cpu_to_le32(hdr_len),
    };
    uint64_t addr = guest_alloc(d->alloc, HDR + n + 1);
    uint32_t head;

    qtest_memwrite(d->qts, addr, &hdr, HDR);
    if (n) {
        qtest_memwrite(d->qts, addr + HDR, payload, n);
    }
    head = qvirtqueue_add(d->qts, d->req, addr, HDR + n, false, false);
    g_assert_cmpuint(head, <, MAX_DESC);
    return head;
}

/* A request whose header says @hdr_len and which carries @n bytes. */
static uint32_t send_raw(Dev *d, uint64_t id, uint16_t op, uint32_t hdr_len,
                         const void *payload, uint32_t n)
{
    uint32_t head = add_req(d, id, op, hdr_len, payload, n);

    qvirtqueue_kick(d->qts, d->vdev, d->req, head);
    return head;
}

static uint32_t send_req(Dev *d, uint64_t id, uint16_t op,
                         const void *payload, uint32_t n)
{
    return send_raw(d, id, op, n, payload, n);
}

static uint32_t send_delay(Dev *d, uint64_t id, uint32_t usec)
{
    uint32_t le = cpu_to_le32(usec);

    return send_req(d, id, VIRTIO_SIMPLE_OP_DELAY, &le, sizeof(le));
}

/* Poll responseq, advancing the virtual clock by @step_ns a time. */
static bool wait_resp_step(Dev *d, Resp *r, int64_t step_ns, gint64 timeout)
{
    gint64 start = g_get_monotonic_time();
    struct virtio_simple_hdr hdr;
    uint32_t idx, used;

    while (!qvirtqueue_get_buf(d->qts, d->resp, &idx, &used)) {
        if (g_get_monotonic_time() - start > timeout) {
            return false;
        }
        qtest_clock_step(d->qts, step_ns);
    }
    used = last_used_len(d, d->resp);
    g_assert_cmpuint(used, >=, HDR);
    qtest_memread(d->qts, d->resp_addr[idx], &hdr, HDR);
    r->id = le64_to_cpu(hdr.id);
    r->op = le16_to_cpu(hdr.op);
    r->status = le16_to_cpu(hdr.status);
    r->len = le32_to_cpu(hdr.len);
    r->used = used;
    r->payload = g_malloc0(used - HDR + 1);
    if (used > HDR) {
        qtest_memread(d->qts, d->resp_addr[idx] + HDR, r->payload, used - HDR);
    }
    return true;
}

static void wait_resp(Dev *d, Resp *r)
{
    g_assert_true(wait_resp_step(d, r, 1000, TIMEOUT_US));
}

/* Nothing may arrive while the clock moves on by @ns. */
static void expect_no_resp(Dev *d, int64_t ns)
{
    uint32_t idx, used;

    for (int i = 0; i < 100; i++) {
        qtest_clock_step(d->qts, ns / 100);
        g_assert_false(qvirtqueue_get_buf(d->qts, d->resp, &idx, &used));
    }
}

static uint8_t dev_status(Dev *d)
{
    return d->vdev->bus->get_status(d->vdev);
}

static void wait_needs_reset(Dev *d)
{
    gint64 start = g_get_monotonic_time();

    while (!(dev_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET)) {
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
        qtest_clock_step(d->qts, 1000);
    }
}

/* One full request/response; returns the response (caller frees payload). */
static Resp call(Dev *d, uint64_t id, uint16_t op, const void *payload,
                 uint32_t n, uint32_t cap)
{
    Resp r;

    post_resp(d, cap, false);
    send_req(d, id, op, payload, n);
    wait_resp(d, &r);
    g_assert_cmpuint(r.id, ==, id);
    g_assert_cmpuint(r.op, ==, op);
    g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
    g_assert_cmpuint(r.used, ==, HDR + r.len);
    return r;
}

/* An ECHO of @text answered with its own bytes. */
static void call_echo_ok(Dev *d, uint64_t id, const char *text)
{
    Resp r = call(d, id, VIRTIO_SIMPLE_OP_ECHO, text, strlen(text), 64);

    g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
    g_assert_cmpmem(r.payload, r.len, text, strlen(text));
    g_free(r.payload);
}

static int64_t qom_get_int(QTestState *qts, const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                           "{'path': '/machine/peripheral/" QVIRTIO_SIMPLE_ID
                           "', 'property': %s}}", prop);
    int64_t v;

    g_assert(qdict_haskey(rsp, "return"));
    v = qdict_get_int(rsp, "return");

    qobject_unref(rsp);
    return v;
}

/* Bitwise CRC-32C (Castagnoli), independent of QEMU's table version. */
static uint32_t host_crc32c(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffff;

    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1));
        }
    }
    return ~crc;
}

static void test_config(void *obj, void *data, QGuestAllocator *alloc)
{
    Dev d;

    dev_start(&d, obj, alloc);
    g_assert_cmphex(qvirtio_config_readl(d.vdev, 0), ==, VIRTIO_SIMPLE_MAGIC);
    g_assert_cmpuint(qvirtio_config_readl(d.vdev, 4), ==, MAX_PAYLOAD);
    g_assert_cmpuint(qvirtio_config_readb(d.vdev, 8), ==, 0);
    g_assert_true(qvirtio_get_features(d.vdev) &
                  (1ull << VIRTIO_F_VERSION_1));
    dev_stop(&d);
}

static void test_echo(void *obj, void *data, QGuestAllocator *alloc)
{
    static const uint32_t sizes[] = { 0, 1, 9, MAX_PAYLOAD };
    Dev d;

    dev_start(&d, obj, alloc);
    for (int i = 0; i < ARRAY_SIZE(sizes); i++) {
        g_autofree uint8_t *buf = g_malloc(sizes[i] + 1);
        Resp r;

        for (uint32_t k = 0; k < sizes[i]; k++) {
            buf[k] = g_test_rand_int();
        }
        r = call(&d, 100 + i, VIRTIO_SIMPLE_OP_ECHO, buf, sizes[i],
                 HDR + MAX_PAYLOAD);
        g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
        g_assert_cmpuint(r.len, ==, sizes[i]);
        g_assert_true(memcmp(r.payload, buf, sizes[i]) == 0);
        g_free(r.payload);
    }
    dev_stop(&d);
}

static void test_crc32c(void *obj, void *data, QGuestAllocator *alloc)
{
    static const uint32_t sizes[] = { 0, 1, 9, MAX_PAYLOAD };
    Dev d;

    g_assert_cmphex(host_crc32c((const uint8_t *)"123456789", 9), ==,
                    0xe3069283);
    dev_start(&d, obj, alloc);
    for (int i = 0; i < ARRAY_SIZE(sizes); i++) {
        g_autofree uint8_t *buf = g_malloc(sizes[i] + 1);
        uint32_t crc;
        Resp r;

        if (sizes[i] == 9) {
            memcpy(buf, "123456789", 9);
        } else {
            for (uint32_t k = 0; k < sizes[i]; k++) {
                buf[k] = g_test_rand_int();
            }
        }
        r = call(&d, 200 + i, VIRTIO_SIMPLE_OP_CRC32C, buf, sizes[i], 64);
        g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
        g_assert_cmpuint(r.len, ==, 4);
        memcpy(&crc, r.payload, 4);
        g_assert_cmphex(le32_to_cpu(crc), ==, host_crc32c(buf, sizes[i]));
        if (sizes[i] == 9) {
            g_assert_cmphex(le32_to_cpu(crc), ==, 0xe3069283);
        }
        g_free(r.payload);
    }
    dev_stop(&d);
}

static void expect_status(Dev *d, uint64_t id, uint16_t status)
{
    Resp r;

    wait_resp(d, &r);
    g_assert_cmpuint(r.id, ==, id);
    g_assert_cmpuint(r.status, ==, status);
    g_assert_cmpuint(r.len, ==, 0);
    g_assert_cmpuint(r.used, ==, HDR);
    g_free(r.payload);
}

/*
 * CRC32C_UPDATE: more than max_payload bytes checksummed in pieces, each
 * from the previous answer, give the whole's CRC32C; no start is EINVAL.
 */
static void test_crc32c_update(void *obj, void *data, QGuestAllocator *alloc)
{
    const uint32_t total = 2 * MAX_PAYLOAD + 3, piece = MAX_PAYLOAD - 4;
    g_autofree uint8_t *all = g_malloc(total);
    g_autofree uint8_t *req = g_malloc(MAX_PAYLOAD);
    uint32_t crc = 0, off, n;
    Dev d;
    Resp r;

    for (off = 0; off < total; off++) {
        all[off] = g_test_rand_int();
    }
    dev_start(&d, obj, alloc);
    for (off = 0; off < total; off += n) {
        n = MIN(piece, total - off);
        stl_le_p(req, crc);
        memcpy(req + 4, all + off, n);
        r = call(&d, 300 + off / piece, VIRTIO_SIMPLE_OP_CRC32C_UPDATE, req,
                 4 + n, 64);
        g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
        g_assert_cmpuint(r.len, ==, 4);
        crc = ldl_le_p(r.payload);
        g_free(r.payload);
    }
    g_assert_cmphex(crc, ==, host_crc32c(all, total));

    post_resp(&d, 64, false);
    send_req(&d, 399, VIRTIO_SIMPLE_OP_CRC32C_UPDATE, req, 3);
    expect_status(&d, 399, VIRTIO_SIMPLE_S_EINVAL);
    dev_stop(&d);
}

static void test_statuses(void *obj, void *data, QGuestAllocator *alloc)
{
    g_autofree uint8_t *big = g_malloc0(MAX_PAYLOAD + 1);
    uint32_t too_long = cpu_to_le32(VIRTIO_SIMPLE_DELAY_MAX_US + 1);
    Dev d;

    dev_start(&d, obj, alloc);

    post_resp(&d, 64, false);
    send_req(&d, 1, 99, "x", 1);
    expect_status(&d, 1, VIRTIO_SIMPLE_S_ENOTSUP);

    post_resp(&d, 64, false);
    send_raw(&d, 2, VIRTIO_SIMPLE_OP_ECHO, 5, "abc", 3);
    expect_status(&d, 2, VIRTIO_SIMPLE_S_EINVAL);

    post_resp(&d, 64, false);
    send_req(&d, 3, VIRTIO_SIMPLE_OP_ECHO, big, MAX_PAYLOAD + 1);
    expect_status(&d, 3, VIRTIO_SIMPLE_S_E2BIG);

    /* the answer does not fit: header only, EMSGSIZE */
    post_resp(&d, HDR + 3, false);
    send_req(&d, 4, VIRTIO_SIMPLE_OP_ECHO, "abcd", 4);
    expect_status(&d, 4, VIRTIO_SIMPLE_S_EMSGSIZE);

    post_resp(&d, 64, false);
    send_req(&d, 5, VIRTIO_SIMPLE_OP_DELAY, &too_long, 4);
    expect_status(&d, 5, VIRTIO_SIMPLE_S_EINVAL);

    post_resp(&d, 64, false);
    send_req(&d, 6, VIRTIO_SIMPLE_OP_DELAY, "ab", 2);
    expect_status(&d, 6, VIRTIO_SIMPLE_S_EINVAL);

    /* all of these are answers, not failures: the device still works */
    g_assert_false(dev_status(&d) & VIRTIO_CONFIG_S_NEEDS_RESET);
    g_free(call(&d, 7, VIRTIO_SIMPLE_OP_ECHO, "ok", 2, 64).payload);
    dev_stop(&d);
}

/* DELAYs of @scale x 1, 2, 3 ms answer in deadline order. */
static void delay_order(void *obj, QGuestAllocator *alloc, uint32_t scale)
{
    static const uint32_t usec[] = { 3000, 1000, 2000, 0 };
    static const uint64_t expect[] = { 13, 11, 12, 10 };
    Dev d;

    dev_start(&d, obj, alloc);
    for (int i = 0; i < ARRAY_SIZE(usec); i++) {
        post_resp(&d, 64, false);
    }
    for (int i = 0; i < ARRAY_SIZE(usec); i++) {
        send_delay(&d, 10 + i, usec[i] * scale);
    }
    /* ids come back in deadline order, not submission order */
    for (int i = 0; i < ARRAY_SIZE(expect); i++) {
        Resp r;

        g_assert_true(wait_resp_step(&d, &r, 100 * 1000, TIMEOUT_US));
        g_assert_cmpuint(r.id, ==, expect[i]);
        g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
        g_assert_cmpuint(r.used, ==, HDR);
        g_free(r.payload);
    }
    dev_stop(&d);
}

static void test_delay_order(void *obj, void *data, QGuestAllocator *alloc)
{
    delay_order(obj, alloc, 1);
}

/*
 * The backend's DELAYs run on the host's clock, not the VM's: deadlines
 * 100 ms apart, far more than sending the four takes.
 */
static void test_delay_order_host_clock(void *obj, void *data,
                                        QGuestAllocator *alloc)
{
    delay_order(obj, alloc, 100);
}

static void test_backpressure(void *obj, void *data, QGuestAllocator *alloc)
{
    Dev d;

    dev_start(&d, obj, alloc);
    for (int i = 0; i < 3; i++) {
        send_req(&d, 30 + i, VIRTIO_SIMPLE_OP_ECHO, "abc", 3);
    }
    /* no response buffers: requests stay in the ring, nothing is used */
    expect_no_resp(&d, 10 * 1000 * 1000);
    g_assert_cmpint(qom_get_int(d.qts, "requests"), ==, 0);
    for (int i = 0; i < 3; i++) {
        post_resp(&d, 64, false);
    }
    for (int i = 0; i < 3; i++) {
        Resp r;

        wait_resp(&d, &r);
        g_assert_cmpuint(r.id, ==, 30 + i);
        g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
        g_assert_cmpmem(r.payload, r.len, "abc", 3);
        g_free(r.payload);
    }

    /*
     * Finished DELAYs wait for buffers too, and are not lost: with one
     * buffer both DELAYs are taken (they use none until they finish), one
     * answer goes out and the other waits for the next buffer.
     */
    send_delay(&d, 40, 10);
    send_delay(&d, 41, 10);
    post_resp(&d, 64, false);
    expect_status(&d, 40, VIRTIO_SIMPLE_S_OK);
    expect_no_resp(&d, 10 * 1000 * 1000);
    post_resp(&d, 64, false);
    expect_status(&d, 41, VIRTIO_SIMPLE_S_OK);
    dev_stop(&d);
}

static void test_reset_in_flight(void *obj, void *data, QGuestAllocator *alloc)
{
    Resp r;
    Dev d;

    dev_start(&d, obj, alloc);
    post_resp(&d, 64, false);
    send_delay(&d, 50, 500 * 1000);
    send_delay(&d, 51, 500 * 1000);
    qtest_clock_step(d.qts, 1000);
    qvirtio_reset(d.vdev);
    /* a fresh start: no stale DELAY answer, and requests work */
    dev_restart(&d);
    post_resp(&d, 64, false);
    expect_no_resp(&d, 2 * 1000 * 1000 * 1000ll);
    send_req(&d, 52, VIRTIO_SIMPLE_OP_ECHO, "z", 1);
    wait_resp(&d, &r);
    g_assert_cmpuint(r.id, ==, 52);
    g_assert_cmpmem(r.payload, r.len, "z", 1);
    g_free(r.payload);
    dev_stop(&d);
}

static void test_unplug_in_flight(void *obj, void *data,
                                  QGuestAllocator *alloc)
{
    QVirtioSimple *vs = obj;
    QVirtioPCIDevice *pci = container_of(vs->vdev, QVirtioPCIDevice, vdev);
    QDict *rsp;
    Dev d;

    if (pci->pdev->bus->not_hotpluggable) {
        g_test_skip("pci bus does not support hotplug");
        return;
    }
    dev_start(&d, obj, alloc);
    for (int i = 0; i < 3; i++) {
        post_resp(&d, 64, false);
    }
    send_delay(&d, 60, 500 * 1000);
    send_delay(&d, 61, 500 * 1000);
    send_req(&d, 62, VIRTIO_SIMPLE_OP_ECHO, "q", 1);
    /* the ECHO answered; the DELAYs' two buffers still posted */
    g_assert_cmpuint(qtest_readw(d.qts, d.resp->used + 2), ==, 1);
    qpci_unplug_acpi_device_test(d.qts, QVIRTIO_SIMPLE_ID,
                                 QVIRTIO_SIMPLE_SLOT);
    rsp = qtest_qmp(d.qts, "{'execute': 'qom-list', 'arguments': {'path': "
                    "'/machine/peripheral/" QVIRTIO_SIMPLE_ID "'}}");
    g_assert(qdict_haskey(rsp, "error"));       /* the device is gone */
    qobject_unref(rsp);
    /*
     * Its timer must be gone with it: run past the DELAYs' deadline; no
     * answer may reach guest memory (and ASan would see a freed device).
     */
    qtest_clock_step(d.qts, 2 * 1000 * 1000 * 1000ll);
    g_assert_cmpuint(qtest_readw(d.qts, d.resp->used + 2), ==, 1);
    rsp = qtest_qmp(d.qts, "{'execute': 'query-status'}");
    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
}

static void test_config_change(void *obj, void *data, QGuestAllocator *alloc)
{
    const char *label = "relabelled";
    QDict *rsp;
    Dev d;

    dev_start(&d, obj, alloc);
    rsp = qtest_qmp(d.qts, "{'execute': 'qom-set', 'arguments': "
                    "{'path': '/machine/peripheral/" QVIRTIO_SIMPLE_ID "',"
                    " 'property': 'label', 'value': %s}}", label);
    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    qvirtio_wait_config_isr(d.vdev, TIMEOUT_US);
    for (int i = 0; i <= strlen(label); i++) {
        g_assert_cmpuint(qvirtio_config_readb(d.vdev, 8 + i), ==, label[i]);
    }

    /* too long: refused, the old label stays */
    rsp = qtest_qmp(d.qts, "{'execute': 'qom-set', 'arguments': "
                    "{'path': '/machine/peripheral/" QVIRTIO_SIMPLE_ID "',"
                    " 'property': 'label', 'value': %s}}",
                    "0123456789012345678901234567890123456789");
    g_assert(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    g_assert_cmpuint(qvirtio_config_readb(d.vdev, 8), ==, 'r');
    dev_stop(&d);
}

static const char *qmp_str(QTestState *qts, const char *cmd, const char *key)
{
    static char value[64];
    QDict *rsp = qtest_qmp(qts, "{'execute': %s}", cmd);
    QDict *ret = qdict_get_qdict(rsp, "return");

    g_strlcpy(value, ret && qdict_haskey(ret, key) ?
              qdict_get_str(ret, key) : "", sizeof(value));
    qobject_unref(rsp);
    return value;
}

/* Poll @cmd's @key until it reads @want, failing on @bad or timeout. */
static void wait_for_state(QTestState *qts, const char *cmd, const char *key,
                           const char *want, const char *bad)
{
    gint64 start = g_get_monotonic_time();
    const char *v;

    while (strcmp((v = qmp_str(qts, cmd, key)), want)) {
        g_assert_cmpstr(v, !=, bad);
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
        g_usleep(1000);
    }
}

static void qom_set_label(QTestState *qts, const char *label)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'qom-set', 'arguments': "
                           "{'path': '/machine/peripheral/" QVIRTIO_SIMPLE_ID
                           "', 'property': 'label', 'value': %s}}", label);

    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
}

static char *qom_get_label(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                           "{'path': '/machine/peripheral/" QVIRTIO_SIMPLE_ID
                           "', 'property': 'label'}}");
    char *label;

    g_assert(qdict_haskey(rsp, "return"));
    label = g_strdup(qdict_get_str(rsp, "return"));
    qobject_unref(rsp);
    return label;
}

/* The label as the driver reads it from the configuration space. */
static char *config_label(Dev *d)
{
    char label[VIRTIO_SIMPLE_LABEL_SIZE + 1] = { 0 };

    for (int i = 0; i < VIRTIO_SIMPLE_LABEL_SIZE; i++) {
        label[i] = qvirtio_config_readb(d->vdev, 8 + i);
    }
    return g_strdup(label);
}

/*
 * Migrate to a file, start a second QEMU from it (same command line) and
 * point @d at it.  Returns the source, which the caller gives back to the
 * PCI bus before quitting the destination.
 */
static void migrate_save(QTestState *src, const char *file)
{
    g_autofree char *uri = g_strdup_printf("exec:cat > %s", file);
    QDict *rsp;

    rsp = qtest_qmp(src, "{'execute': 'migrate', 'arguments': {'uri': %s}}",
                    uri);
    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    wait_for_state(src, "query-migrate", "status", "completed", "failed");
}

static QTestState *migrate(Dev *d, const char *file)
{
    QTestState *src = d->qts, *dst;

    migrate_save(src, file);
    dst = qtest_initf("%s -incoming 'exec:cat %s'",
                      qos_get_current_command_line(), file);
    /* a stream the destination refuses ends its migration as "failed" */
    wait_for_state(dst, "query-migrate", "status", "completed", "failed");
    wait_for_state(dst, "query-status", "status", "running", "paused");
    d->qts = dst;
    dev_pci(d)->pdev->bus->qts = dst;
    return src;
}

static void migrate_back(Dev *d, QTestState *src, const char *file)
{
    dev_pci(d)->pdev->bus->qts = src;
    qtest_quit(d->qts);
    d->qts = src;
    unlink(file);
}

static char *migration_file(void)
{
    return g_strdup_printf("%s/vsimple-migration-%d", g_get_tmp_dir(),
                           getpid());
}

static uint8_t config_generation(Dev *d)
{
    QVirtioPCIDevice *pci = dev_pci(d);

    return qpci_io_readb(pci->pdev, pci->bar, pci->common_cfg_offset +
                         offsetof(struct virtio_pci_common_cfg,
                                  config_generation));
}

/*
 * Every label change bumps the config generation, so a driver reading the
 * label across a change retries; also before DRIVER_OK, during probe.
 */
static void test_config_generation(void *obj, void *data,
                                   QGuestAllocator *alloc)
{
    uint8_t gen;
    Dev d;

    dev_init(&d, obj, alloc);
    dev_start_features(&d, ~0ull);
    gen = config_generation(&d);
    qom_set_label(d.qts, "during-probe");
    g_assert_cmpuint(config_generation(&d), !=, gen);

    qvirtio_set_driver_ok(d.vdev);
    gen = config_generation(&d);
    qom_set_label(d.qts, "running");
    g_assert_cmpuint(config_generation(&d), !=, gen);
    dev_stop(&d);
}

/* Setting the label it already has is no change: no interrupt, same gen. */
static void test_config_same_label(void *obj, void *data,
                                   QGuestAllocator *alloc)
{
    uint8_t gen;
    Dev d;

    dev_start(&d, obj, alloc);
    qom_set_label(d.qts, "same");
    qvirtio_wait_config_isr(d.vdev, TIMEOUT_US);
    gen = config_generation(&d);
    qom_set_label(d.qts, "same");
    g_assert_cmpuint(config_generation(&d), ==, gen);
    /* INTx: reading the ISR (which clears it) shows a config change */
    g_assert_false(qpci_io_readb(dev_pci(&d)->pdev, dev_pci(&d)->bar,
                                 dev_pci(&d)->isr_cfg_offset) & 2);
    dev_stop(&d);
}

/*
 * DELAY requests in flight survive migration: the answers arrive on the
 * destination, in deadline order.  So does a label set at run time.
 */
static void test_migration(void *obj, void *data, QGuestAllocator *alloc)
{
    static const uint32_t usec[] = { 300000, 100000, 200000 };
    static const uint64_t expect[] = { 81, 82, 80 };
    g_autofree char *file = migration_file();
    g_autofree char *label = NULL, *cfg = NULL;
    QTestState *src;
    Dev d;

    dev_start(&d, obj, alloc);
    for (int i = 0; i < ARRAY_SIZE(usec); i++) {
        post_resp(&d, 64, false);
    }
    for (int i = 0; i < ARRAY_SIZE(usec); i++) {
        send_delay(&d, 80 + i, usec[i]);
    }
    expect_no_resp(&d, 1000 * 1000);
    g_assert_cmpint(qom_get_int(d.qts, "requests"), ==, 3);
    qom_set_label(d.qts, "set-at-run-time");

    src = migrate(&d, file);
    label = qom_get_label(d.qts);
    g_assert_cmpstr(label, ==, "set-at-run-time");
    cfg = config_label(&d);
    g_assert_cmpstr(cfg, ==, "set-at-run-time");
    g_assert_cmpint(qom_get_int(d.qts, "requests"), ==, 3);
    g_assert_cmpint(qom_get_int(d.qts, "responses"), ==, 0);
    for (int i = 0; i < ARRAY_SIZE(expect); i++) {
        Resp r;

        g_assert_true(wait_resp_step(&d, &r, 10 * 1000 * 1000, TIMEOUT_US));
        g_assert_cmpuint(r.id, ==, expect[i]);
        g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
        g_free(r.payload);
    }
    dev_stop(&d);
    migrate_back(&d, src, file);
}

/* Whether the migration stream in @file names @what (a section's name). */
static bool stream_has(const char *file, const char *what)
{
    g_autofree char *buf = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(file, &buf, &len, NULL));
    return memmem(buf, len, what, strlen(what)) != NULL;
}

/*
 * A label never changed at run time is not sent (the subsection is absent,
 * so an older destination can load the stream); the destination shows the
 * label of its own command line.
 */
static void test_migration_label_unchanged(void *obj, void *data,
                                           QGuestAllocator *alloc)
{
    g_autofree char *file = migration_file();
    g_autofree char *label = NULL;
    QTestState *src;
    Dev d;

    dev_start(&d, obj, alloc);
    call_echo_ok(&d, 1, "before");  /* counters: their subsection is sent */
    src = migrate(&d, file);
    g_assert_true(stream_has(file, "virtio-simple-device/stats"));
    g_assert_false(stream_has(file, "virtio-simple-device/label"));
    label = qom_get_label(d.qts);
    g_assert_cmpstr(label, ==, "");
    call_echo_ok(&d, 2, "after");
    dev_stop(&d);
    migrate_back(&d, src, file);
}

/*
 * Requests made available but never notified are still in the ring when
 * the source stops: the destination serves them (when it resumes, as
 * after any stop, or when notified).
 */
static void test_migration_requests_in_ring(void *obj, void *data,
                                            QGuestAllocator *alloc)
{
    g_autofree char *file = migration_file();
    QTestState *src;
    Resp r;
    Dev d;

    dev_start(&d, obj, alloc);
    post_resp(&d, 64, false);
    post_resp(&d, 64, false);
    publish(&d, d.req, add_req(&d, 70, VIRTIO_SIMPLE_OP_ECHO, 3, "abc", 3));
    publish(&d, d.req, add_req(&d, 71, VIRTIO_SIMPLE_OP_ECHO, 2, "de", 2));
    g_assert_cmpint(qom_get_int(d.qts, "requests"), ==, 0);
    src = migrate(&d, file);
    notify(&d, d.req);
    for (int i = 0; i < 2; i++) {
        wait_resp(&d, &r);
        g_assert_cmpuint(r.id, ==, 70 + i);
        g_assert_cmpmem(r.payload, r.len, i ? "de" : "abc", 3 - i);
        g_free(r.payload);
    }
    dev_stop(&d);
    migrate_back(&d, src, file);
}

/*
 * A device that needs a reset still needs it after migration: the
 * destination answers nothing until the driver resets it, then works.
 */
static void test_migration_needs_reset(void *obj, void *data,
                                       QGuestAllocator *alloc)
{
    g_autofree char *file = migration_file();
    QTestState *src;
    uint64_t a;
    uint32_t head;
    Resp r;
    Dev d;

    dev_start(&d, obj, alloc);
    post_resp(&d, 64, false);
    a = guest_alloc(alloc, 8);      /* shorter than a header: a violation */
    head = qvirtqueue_add(d.qts, d.req, a, 8, false, false);
    qvirtqueue_kick(d.qts, d.vdev, d.req, head);
    wait_needs_reset(&d);
    src = migrate(&d, file);
    g_assert_true(dev_status(&d) & VIRTIO_CONFIG_S_NEEDS_RESET);
    send_req(&d, 72, VIRTIO_SIMPLE_OP_ECHO, "x", 1);
    g_assert_false(wait_resp_step(&d, &r, 1000 * 1000, 100 * 1000));
    g_assert_cmpint(qom_get_int(d.qts, "responses"), ==, 0);
    dev_restart(&d);
    g_assert_false(dev_status(&d) & VIRTIO_CONFIG_S_NEEDS_RESET);
    call_echo_ok(&d, 73, "again");
    dev_stop(&d);
    migrate_back(&d, src, file);
}

/*
 * The migration stream is untrusted input too: a pending DELAY due more
 * than VIRTIO_SIMPLE_DELAY_MAX_US after the stream's clock is refused.
 * The stream holds the DELAY as its id then its deadline, big-endian.
 */
/*
 * Save a stream with one DELAY pending (id @id), let @edit change it where
 * the DELAY's entry lies (@p: its id in the stream), and require the
 * destination to refuse it: the stream is untrusted input.
 */
static void migration_edited_fails(void *obj, QGuestAllocator *alloc,
                                   void (*edit)(char *p))
{
    const uint64_t id = 0x5eed0123456789abull;
    const uint64_t id_be = cpu_to_be64(id);
    g_autofree char *file = migration_file();
    g_autofree char *uri = g_strdup_printf("exec:cat %s", file);
    g_autofree char *stream = NULL;
    gint64 start = g_get_monotonic_time();
    QTestState *dst;
    uint32_t idx, used;
    char *p;
    gsize n;
    Dev d;

    dev_start(&d, obj, alloc);
    post_resp(&d, 64, false);
    send_delay(&d, id, 1000);
    while (!qvirtqueue_get_buf(d.qts, d.req, &idx, &used)) {
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
        qtest_clock_step(d.qts, 100);
    }
    migrate_save(d.qts, file);
    g_assert_true(g_file_get_contents(file, &stream, &n, NULL));
    p = memmem(stream, n, &id_be, sizeof(id_be));
    g_assert_nonnull(p);
    g_assert_cmpuint(p - stream, >=, 4);
    g_assert_cmpuint(p + 16 - stream, <=, n);
    edit(p);
    g_assert_true(g_file_set_contents(file, stream, n, NULL));

    dst = qtest_initf("%s -incoming defer", qos_get_current_command_line());
    qtest_set_expected_status(dst, 1);
    qtest_qmp_send(dst, "{'execute': 'migrate-incoming',"
                   " 'arguments': {'uri': %s}}", uri);
    start = g_get_monotonic_time();
    while (qtest_probe_child(dst)) {
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
        g_usleep(1000);
    }
    qtest_quit(dst);
    unlink(file);
    dev_stop(&d);
}

/* A deadline far past the longest DELAY. */
static void edit_far_deadline(char *p)
{
    const uint64_t far_be = cpu_to_be64(INT64_MAX);

    memcpy(p + 8, &far_be, sizeof(far_be));
}

static void test_migration_bad_deadline(void *obj, void *data,
                                        QGuestAllocator *alloc)
{
    migration_edited_fails(obj, alloc, edit_far_deadline);
}

/*
 * n_delayed, just before the first entry, past the cap: refused before
 * any entry is read into the array (it would overflow it).
 */
static void edit_count(char *p)
{
    const uint32_t count_be = cpu_to_be32(100000);

    g_assert_cmphex(ldl_be_p(p - 4), ==, 1);
    memcpy(p - 4, &count_be, sizeof(count_be));
}

static void test_migration_bad_count(void *obj, void *data,
                                     QGuestAllocator *alloc)
{
    migration_edited_fails(obj, alloc, edit_count);
}

/*
 * Two DELAYs finish with one response buffer: the second answer waits
 * inside the device for a buffer (spec 6.3).  Send its first answer and
 * leave the device in that state.
 */
static void leave_answer_waiting(Dev *d)
{
    post_resp(d, 64, false);
    send_delay(d, 90, 10);
    send_delay(d, 91, 10);
    expect_status(d, 90, VIRTIO_SIMPLE_S_OK);
    expect_no_resp(d, 1000 * 1000);
    g_assert_cmpint(qom_get_int(d->qts, "requests"), ==, 2);
    g_assert_cmpint(qom_get_int(d->qts, "responses"), ==, 1);
}

/* An answer waiting for a buffer is delivered on the destination. */
static void test_migration_answer_waiting(void *obj, void *data,
                                          QGuestAllocator *alloc)
{
    g_autofree char *file = migration_file();
    QTestState *src;
    Dev d;

    dev_start(&d, obj, alloc);
    leave_answer_waiting(&d);
    src = migrate(&d, file);
    post_resp(&d, 64, false);
    expect_status(&d, 91, VIRTIO_SIMPLE_S_OK);
    dev_stop(&d);
    migrate_back(&d, src, file);
}

/* Reset forgets an answer waiting for a buffer (spec 6.5). */
static void test_reset_answer_waiting(void *obj, void *data,
                                      QGuestAllocator *alloc)
{
    Resp r;
    Dev d;

    dev_start(&d, obj, alloc);
    leave_answer_waiting(&d);
    qvirtio_reset(d.vdev);
    dev_restart(&d);
    post_resp(&d, 64, false);
    expect_no_resp(&d, 2 * 1000 * 1000 * 1000ll);
    send_req(&d, 92, VIRTIO_SIMPLE_OP_ECHO, "y", 1);
    wait_resp(&d, &r);
    g_assert_cmpuint(r.id, ==, 92);
    g_free(r.payload);
    dev_stop(&d);
}

static void test_counters(void *obj, void *data, QGuestAllocator *alloc)
{
    Dev d;

    dev_start(&d, obj, alloc);
    g_free(call(&d, 1, VIRTIO_SIMPLE_OP_ECHO, "hello", 5, 64).payload);
    post_resp(&d, 64, false);
    send_req(&d, 2, 77, "abc", 3);
    expect_status(&d, 2, VIRTIO_SIMPLE_S_ENOTSUP);
    g_assert_cmpint(qom_get_int(d.qts, "requests"), ==, 2);
    g_assert_cmpint(qom_get_int(d.qts, "responses"), ==, 2);
    g_assert_cmpint(qom_get_int(d.qts, "errors"), ==, 1);
    g_assert_cmpint(qom_get_int(d.qts, "bytes-in"), ==, 8);
    g_assert_cmpint(qom_get_int(d.qts, "bytes-out"), ==, 5);
    dev_stop(&d);
}

/*
 * "notifications" counts every kick the device receives.  Without
 * EVENT_IDX the driver kicks every time: two calls are two kicks of each
 * queue (one queue's kicks do not merge with the other's).  Starting the
 * ioeventfds at DRIVER_OK polls each queue once, which counts too.
 */
static void test_notifications(void *obj, void *data, QGuestAllocator *alloc)
{
    int64_t n0;
    Dev d;

    dev_init(&d, obj, alloc);
    dev_start_features(&d, ~(1ull << VIRTIO_RING_F_EVENT_IDX));
    qvirtio_set_driver_ok(d.vdev);
    n0 = qom_get_int(d.qts, "notifications");
    g_assert_cmpint(n0, <=, VIRTIO_SIMPLE_VQ_MAX);
    g_free(call(&d, 1, VIRTIO_SIMPLE_OP_ECHO, "a", 1, 64).payload);
    g_assert_cmpint(qom_get_int(d.qts, "notifications"), ==, n0 + 2);
    g_free(call(&d, 2, VIRTIO_SIMPLE_OP_ECHO, "b", 1, 64).payload);
    g_assert_cmpint(qom_get_int(d.qts, "notifications"), ==, n0 + 4);
    dev_stop(&d);
}

static void test_indirect(void *obj, void *data, QGuestAllocator *alloc)
{
    struct virtio_simple_hdr hdr = {
        .id = cpu_to_le64(70),
        .op = cpu_to_le16(VIRTIO_SIMPLE_OP_ECHO),
        .len = cpu_to_le32(6),
    };
    QVRingIndirectDesc *indirect;
    uint64_t h, p;
    uint32_t head;
    Resp r;
    Dev d;

    dev_start(&d, obj, alloc);
    g_assert_true(d.vdev->features & (1ull << VIRTIO_RING_F_INDIRECT_DESC));
    post_resp(&d, 64, false);
    /* header and payload in two descriptors of an indirect table */
    h = guest_alloc(alloc, HDR);
    p = guest_alloc(alloc, 6);
    qtest_memwrite(d.qts, h, &hdr, HDR);
    qtest_memwrite(d.qts, p, "abcdef", 6);
    indirect = qvring_indirect_desc_setup(d.qts, d.vdev, alloc, 2);
    qvring_indirect_desc_add(d.vdev, d.qts, indirect, h, HDR, false);
    qvring_indirect_desc_add(d.vdev, d.qts, indirect, p, 6, false);
    head = qvirtqueue_add_indirect(d.qts, d.req, indirect);
    qvirtqueue_kick(d.qts, d.vdev, d.req, head);
    wait_resp(&d, &r);
    g_assert_cmpuint(r.id, ==, 70);
    g_assert_cmpmem(r.payload, r.len, "abcdef", 6);
    g_free(r.payload);
    g_free(indirect);
    dev_stop(&d);
}

/* A DELAY's request buffer comes back at once, used length 0 (spec 6.4). */
static void test_delay_buffer_returned(void *obj, void *data,
                                       QGuestAllocator *alloc)
{
    gint64 start = g_get_monotonic_time();
    uint32_t head, idx, used;
    Resp r;
    Dev d;

    dev_start(&d, obj, alloc);
    post_resp(&d, 64, false);
    head = send_delay(&d, 20, VIRTIO_SIMPLE_DELAY_MAX_US);
    /* 1 us of virtual time a step: far from the 1 s deadline */
    while (!qvirtqueue_get_buf(d.qts, d.req, &idx, &used)) {
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
        qtest_clock_step(d.qts, 1000);
    }
    g_assert_cmpuint(idx, ==, head);
    g_assert_cmpuint(last_used_len(&d, d.req), ==, 0);
    g_assert_false(qvirtqueue_get_buf(d.qts, d.resp, &idx, &used));
    /* the answer comes after the delay */
    g_assert_true(wait_resp_step(&d, &r, 10 * 1000 * 1000, TIMEOUT_US));
    g_assert_cmpuint(r.id, ==, 20);
    g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
    g_free(r.payload);
    dev_stop(&d);
}

/* A response buffer of three descriptors; the header straddles two. */
static void test_multi_desc_resp(void *obj, void *data, QGuestAllocator *alloc)
{
    static const uint32_t len[] = { 10, 10, 30 };
    const char *msg = "0123456789abcdefghij";
    uint8_t out[50] = { 0 };
    struct virtio_simple_hdr hdr;
    uint64_t addr[3];
    uint32_t head = 0, idx, used, off = 0;
    gint64 start = g_get_monotonic_time();
    Dev d;

    dev_start(&d, obj, alloc);
    for (int i = 0; i < 3; i++) {
        uint32_t h;

        addr[i] = guest_alloc(alloc, len[i]);
        h = qvirtqueue_add(d.qts, d.resp, addr[i], len[i], true, i < 2);
        if (i == 0) {
            head = h;
        }
    }
    qvirtqueue_kick(d.qts, d.vdev, d.resp, head);
    send_req(&d, 21, VIRTIO_SIMPLE_OP_ECHO, msg, strlen(msg));
    while (!qvirtqueue_get_buf(d.qts, d.resp, &idx, &used)) {
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
        qtest_clock_step(d.qts, 1000);
    }
    g_assert_cmpuint(idx, ==, head);
    g_assert_cmpuint(last_used_len(&d, d.resp), ==, HDR + strlen(msg));
    for (int i = 0; i < 3; i++) {
        qtest_memread(d.qts, addr[i], out + off, len[i]);
        off += len[i];
    }
    memcpy(&hdr, out, HDR);
    g_assert_cmpuint(le64_to_cpu(hdr.id), ==, 21);
    g_assert_cmpuint(le16_to_cpu(hdr.status), ==, VIRTIO_SIMPLE_S_OK);
    g_assert_cmpuint(le32_to_cpu(hdr.len), ==, strlen(msg));
    g_assert_cmpmem(out + HDR, strlen(msg), msg, strlen(msg));
    dev_stop(&d);
}

/*
 * A request in several descriptors cut at @cuts (the last takes the rest):
 * the header split in two, payload bytes after it in the same descriptor,
 * a one-byte descriptor.  The device reads the payload where it lies.
 */
static void send_split(Dev *d, uint64_t id, uint16_t op, const uint8_t *payload,
                       uint32_t n, const uint32_t *cuts, int ncuts)
{
    struct virtio_simple_hdr hdr = {
        .id = cpu_to_le64(id),
        .op = cpu_to_le16(op),
        .len = cpu_to_le32(n),
    };
    uint64_t addr = guest_alloc(d->alloc, HDR + n);
    uint32_t head = 0, off = 0;

    qtest_memwrite(d->qts, addr, &hdr, HDR);
    qtest_memwrite(d->qts, addr + HDR, payload, n);
    for (int i = 0; i <= ncuts; i++) {
        uint32_t len = i < ncuts ? cuts[i] : HDR + n - off;
        uint32_t h = qvirtqueue_add(d->qts, d->req, addr + off, len, false,
                                    i < ncuts);

        if (i == 0) {
            head = h;
        }
        off += len;
    }
    qvirtqueue_kick(d->qts, d->vdev, d->req, head);
}

static void test_split_request(void *obj, void *data, QGuestAllocator *alloc)
{
    static const uint32_t cuts[] = { 10, 9, 1, 7 };
    uint8_t buf[200];
    uint32_t crc;
    Resp r;
    Dev d;

    for (int k = 0; k < sizeof(buf); k++) {
        buf[k] = g_test_rand_int();
    }
    dev_start(&d, obj, alloc);
    post_resp(&d, HDR + sizeof(buf), false);
    send_split(&d, 30, VIRTIO_SIMPLE_OP_ECHO, buf, sizeof(buf), cuts,
               ARRAY_SIZE(cuts));
    wait_resp(&d, &r);
    g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
    g_assert_cmpmem(r.payload, r.len, buf, sizeof(buf));
    g_free(r.payload);

    post_resp(&d, 64, false);
    send_split(&d, 31, VIRTIO_SIMPLE_OP_CRC32C, buf, sizeof(buf), cuts,
               ARRAY_SIZE(cuts));
    wait_resp(&d, &r);
    g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
    g_assert_cmpuint(r.len, ==, 4);
    memcpy(&crc, r.payload, 4);
    g_assert_cmphex(le32_to_cpu(crc), ==, host_crc32c(buf, sizeof(buf)));
    g_free(r.payload);
    dev_stop(&d);
}

/*
 * At most VIRTIO_SIMPLE_DELAY_MAX_PENDING DELAYs wait at once; the next one
 * stays in the ring until the others are answered (queue-size=256, so all
 * fit in the ring at once).
 */
static void test_delay_cap(void *obj, void *data, QGuestAllocator *alloc)
{
    const int cap = VIRTIO_SIMPLE_DELAY_MAX_PENDING;
    g_autofree bool *seen = g_new0(bool, cap);
    uint32_t head = 0, idx, used;
    int taken = 0;
    Resp r;
    Dev d;

    dev_start(&d, obj, alloc);
    g_assert_cmpuint(d.req->size, >, cap);
    post_resp(&d, 64, false);
    for (int i = 0; i <= cap; i++) {
        uint32_t le = cpu_to_le32(VIRTIO_SIMPLE_DELAY_MAX_US);

        head = add_req(&d, 1000 + i, VIRTIO_SIMPLE_OP_DELAY, 4, &le, 4);
        publish(&d, d.req, head);
    }
    notify(&d, d.req);
    qtest_clock_step(d.qts, 1000 * 1000);
    while (qvirtqueue_get_buf(d.qts, d.req, &idx, &used)) {
        taken++;
    }
    g_assert_cmpint(taken, ==, cap);
    g_assert_cmpint(qom_get_int(d.qts, "requests"), ==, cap);

    /* buffers for every answer: the cap-th + 1 is taken once they are out */
    for (int i = 0; i < cap; i++) {
        post_resp(&d, 64, false);
    }
    for (int i = 0; i < cap; i++) {
        g_assert_true(wait_resp_step(&d, &r, 10 * 1000 * 1000, TIMEOUT_US));
        g_assert_cmpuint(r.id, >=, 1000);
        g_assert_cmpuint(r.id, <, 1000 + cap);
        g_assert_false(seen[r.id - 1000]);
        seen[r.id - 1000] = true;
        g_free(r.payload);
    }
    g_assert_true(wait_resp_step(&d, &r, 10 * 1000 * 1000, TIMEOUT_US));
    g_assert_cmpuint(r.id, ==, 1000 + cap);
    g_free(r.payload);
    g_assert_cmpint(qom_get_int(d.qts, "requests"), ==, cap + 1);
    dev_stop(&d);
}

/* max-payload=4: the smallest allowed; 4 bytes work, 5 are E2BIG. */
static void test_max_payload_limits(void *obj, void *data,
                                    QGuestAllocator *alloc)
{
    uint32_t crc;
    Resp r;
    Dev d;

    dev_start(&d, obj, alloc);
    g_assert_cmpuint(qvirtio_config_readl(d.vdev, 4), ==, 4);
    r = call(&d, 1, VIRTIO_SIMPLE_OP_ECHO, "abcd", 4, 64);
    g_assert_cmpmem(r.payload, r.len, "abcd", 4);
    g_free(r.payload);
    post_resp(&d, 64, false);
    send_req(&d, 2, VIRTIO_SIMPLE_OP_ECHO, "abcde", 5);
    expect_status(&d, 2, VIRTIO_SIMPLE_S_E2BIG);
    r = call(&d, 3, VIRTIO_SIMPLE_OP_CRC32C, "1234", 4, 64);
    memcpy(&crc, r.payload, 4);
    g_assert_cmphex(le32_to_cpu(crc), ==,
                    host_crc32c((const uint8_t *)"1234", 4));
    g_free(r.payload);
    post_resp(&d, 64, false);
    send_delay(&d, 4, 10);
    expect_status(&d, 4, VIRTIO_SIMPLE_S_OK);
    dev_stop(&d);
}

/*
 * The exact feature set docs/spec.md section 2 lists: VIRTIO_F_RING_RESET
 * in particular is not offered (the device has no per-queue reset).
 */
static void test_features(void *obj, void *data, QGuestAllocator *alloc)
{
    uint64_t want = (1ull << VIRTIO_F_VERSION_1) |
                    (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
                    (1ull << VIRTIO_RING_F_EVENT_IDX) |
                    (1ull << VIRTIO_SIMPLE_F_ANSWER_IN_PLACE);
    Dev d;

    if (data) {
        want |= 1ull << VIRTIO_F_RING_PACKED;
        want &= ~(1ull << VIRTIO_SIMPLE_F_ANSWER_IN_PLACE);
    }
    dev_init(&d, obj, alloc);
    qvirtio_start_device(d.vdev);
    g_assert_cmphex(qvirtio_get_features(d.vdev), ==, want);
}

/* Start with MSI-X: config vector 0, requestq 1, responseq 2. */
static void dev_start_msix(Dev *d, void *obj, QGuestAllocator *alloc)
{
    QVirtioPCIDevice *pci;

    dev_init(d, obj, alloc);
    pci = dev_pci(d);
    qvirtio_start_device(d->vdev);
    qpci_msix_enable(pci->pdev);
    qvirtio_pci_set_msix_configuration_vector(pci, alloc, 0);
    /* without EVENT_IDX every push that asks for an interrupt gets one */
    qvirtio_set_features(d->vdev, qvirtio_get_features(d->vdev) &
                         ~(1ull << VIRTIO_RING_F_EVENT_IDX));
    d->req = setup_vq(d, VIRTIO_SIMPLE_VQ_REQUEST);
    qvirtqueue_pci_msix_setup(pci, (QVirtQueuePCI *)d->req, alloc, 1);
    d->resp = setup_vq(d, VIRTIO_SIMPLE_VQ_RESPONSE);
    qvirtqueue_pci_msix_setup(pci, (QVirtQueuePCI *)d->resp, alloc, 2);
    qvirtio_set_driver_ok(d->vdev);
}

static bool queue_irq(Dev *d, QVirtQueue *vq)
{
    return d->vdev->bus->get_queue_isr_status(d->vdev, vq);
}

/* Only the queue whose used ring changed gets an interrupt. */
static void test_irq_per_queue(void *obj, void *data, QGuestAllocator *alloc)
{
    Dev d;

    dev_start_msix(&d, obj, alloc);
    post_resp(&d, 64, false);
    send_delay(&d, 22, 1000);
    /* the request buffer comes back at once: requestq only */
    qvirtio_wait_queue_isr(d.qts, d.vdev, d.req, TIMEOUT_US);
    g_assert_false(queue_irq(&d, d.resp));
    /* the answer comes later: responseq only */
    expect_status(&d, 22, VIRTIO_SIMPLE_S_OK);
    g_assert_true(queue_irq(&d, d.resp));
    g_assert_false(queue_irq(&d, d.req));
    dev_stop(&d);
}

/*
 * A whole ring of requests in one notification, more than the device does
 * in one run (the backend's too: it must come back for the rest, as with
 * EVENT_IDX no kick will remind it): every one is answered, in order.
 */
static void long_run(void *obj, QGuestAllocator *alloc, bool counters)
{
    uint32_t n;
    Dev d;

    dev_start(&d, obj, alloc);
    n = d.req->size;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t addr = guest_alloc(alloc, 64);
        uint32_t head = qvirtqueue_add(d.qts, d.resp, addr, 64, true, false);

        d.resp_addr[head] = addr;
        publish(&d, d.resp, head);
        publish(&d, d.req, add_req(&d, 3000 + i, VIRTIO_SIMPLE_OP_ECHO, 4,
                                   &i, 4));
    }
    notify(&d, d.resp);
    notify(&d, d.req);
    for (uint32_t i = 0; i < n; i++) {
        Resp r;

        wait_resp(&d, &r);
        g_assert_cmpuint(r.id, ==, 3000 + i);
        g_assert_cmpmem(r.payload, r.len, &i, 4);
        g_free(r.payload);
    }
    if (counters) {
        g_assert_cmpint(qom_get_int(d.qts, "responses"), ==, n);
    }
    dev_stop(&d);
}

static void test_long_run(void *obj, void *data, QGuestAllocator *alloc)
{
    long_run(obj, alloc, true);
}

/* vhost-user-simple: its counters are the backend's */
static void test_long_run_vu(void *obj, void *data, QGuestAllocator *alloc)
{
    long_run(obj, alloc, false);
}

/* After a violation: NEEDS_RESET, QEMU alive, and a reset makes it work. */
static void expect_violation_then_recover(Dev *d)
{
    QDict *rsp;
    Resp r;

    wait_needs_reset(d);
    g_assert_false(wait_resp_step(d, &r, 1000, 100 * 1000));
    rsp = qtest_qmp(d->qts, "{'execute': 'query-status'}");
    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    dev_restart(d);
    g_assert_false(dev_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
    call_echo_ok(d, 99, "again");
    dev_stop(d);
}

static void test_bad_req_writable(void *obj, void *data,
                                  QGuestAllocator *alloc)
{
    struct virtio_simple_hdr hdr = { .op = cpu_to_le16(1) };
    uint64_t a, b;
    uint32_t head;
    Dev d;

    /* without ANSWER_IN_PLACE negotiated, a writable part is wrong */
    dev_init(&d, obj, alloc);
    dev_start_features(&d, ~(1ull << VIRTIO_SIMPLE_F_ANSWER_IN_PLACE));
    qvirtio_set_driver_ok(d.vdev);
    post_resp(&d, 64, false);
    a = guest_alloc(alloc, HDR);
    b = guest_alloc(alloc, 16);
    qtest_memwrite(d.qts, a, &hdr, HDR);
    head = qvirtqueue_add(d.qts, d.req, a, HDR, false, true);
    qvirtqueue_add(d.qts, d.req, b, 16, true, false);
    qvirtqueue_kick(d.qts, d.vdev, d.req, head);
    expect_violation_then_recover(&d);
}

static void bad_req_in_place_short(void *obj, QGuestAllocator *alloc)
{
    struct virtio_simple_hdr hdr = { .op = cpu_to_le16(1) };
    uint64_t a, b;
    uint32_t head;
    Dev d;

    dev_start(&d, obj, alloc);
    post_resp(&d, 64, false);
    a = guest_alloc(alloc, HDR);
    b = guest_alloc(alloc, HDR);
    qtest_memwrite(d.qts, a, &hdr, HDR);
    head = qvirtqueue_add(d.qts, d.req, a, HDR, false, true);
    qvirtqueue_add(d.qts, d.req, b, HDR - 1, true, false);
    qvirtqueue_kick(d.qts, d.vdev, d.req, head);
    expect_violation_then_recover(&d);
}

/*
 * ANSWER_IN_PLACE, laid out as the Linux driver lays it out: the request's
 * header and payload, then room for the answer's header and the SAME
 * payload memory.  Returns the head.
 */
static uint32_t send_in_place(Dev *d, uint64_t id, uint16_t op,
                              const void *payload, uint32_t n, uint32_t room,
                              uint64_t *ans, uint64_t *data)
{
    struct virtio_simple_hdr hdr = {
        .id = cpu_to_le64(id),
        .op = cpu_to_le16(op),
        .len = cpu_to_le32(n),
    };
    uint64_t a = guest_alloc(d->alloc, HDR);
    uint32_t head;

    *ans = guest_alloc(d->alloc, HDR);
    *data = guest_alloc(d->alloc, MAX(n, room) + 1);
    qtest_memwrite(d->qts, a, &hdr, HDR);
    qtest_memset(d->qts, *ans, 0xa5, HDR);
    if (n) {
        qtest_memwrite(d->qts, *data, payload, n);
    }
    head = qvirtqueue_add(d->qts, d->req, a, HDR, false, true);
    if (n) {
        qvirtqueue_add(d->qts, d->req, *data, n, false, true);
    }
    qvirtqueue_add(d->qts, d->req, *ans, HDR, true, room > 0);
    if (room) {
        qvirtqueue_add(d->qts, d->req, *data, room, true, false);
    }
    qvirtqueue_kick(d->qts, d->vdev, d->req, head);
    return head;
}

/* The next request chain given back on requestq: its used length. */
static uint32_t wait_req_used(Dev *d, uint32_t head)
{
    gint64 start = g_get_monotonic_time();
    uint32_t idx, used;

    while (!qvirtqueue_get_buf(d->qts, d->req, &idx, &used)) {
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
        qtest_clock_step(d->qts, 1000);
    }
    g_assert_cmpuint(idx, ==, head);
    return last_used_len(d, d->req);
}

static void read_hdr(Dev *d, uint64_t at, Resp *r)
{
    struct virtio_simple_hdr hdr;

    qtest_memread(d->qts, at, &hdr, HDR);
    r->id = le64_to_cpu(hdr.id);
    r->op = le16_to_cpu(hdr.op);
    r->status = le16_to_cpu(hdr.status);
    r->len = le32_to_cpu(hdr.len);
}

static void test_answer_in_place(void *obj, void *data, QGuestAllocator *alloc)
{
    uint8_t payload[3000], got[3000];
    uint32_t head, used, crc, delay = cpu_to_le32(10);
    uint64_t ans, at;
    Resp r;
    Dev d;

    for (size_t i = 0; i < sizeof(payload); i++) {
        payload[i] = i * 11 + 1;
    }
    dev_start(&d, obj, alloc);
    g_assert_true(d.vdev->features & (1ull << VIRTIO_SIMPLE_F_ANSWER_IN_PLACE));
    post_resp(&d, HDR + 64, false);     /* must be left alone */

    head = send_in_place(&d, 5, VIRTIO_SIMPLE_OP_ECHO, payload,
                         sizeof(payload), sizeof(payload), &ans, &at);
    used = wait_req_used(&d, head);
    read_hdr(&d, ans, &r);
    g_assert_cmpuint(used, ==, HDR + sizeof(payload));
    g_assert_cmpuint(r.id, ==, 5);
    g_assert_cmpuint(r.op, ==, VIRTIO_SIMPLE_OP_ECHO);
    g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
    g_assert_cmpuint(r.len, ==, sizeof(payload));
    qtest_memread(d.qts, at, got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), payload, sizeof(payload));

    head = send_in_place(&d, 6, VIRTIO_SIMPLE_OP_CRC32C, payload,
                         sizeof(payload), sizeof(payload), &ans, &at);
    used = wait_req_used(&d, head);
    read_hdr(&d, ans, &r);
    qtest_memread(d.qts, at, &crc, sizeof(crc));
    g_assert_cmpuint(used, ==, HDR + 4);
    g_assert_cmpuint(r.len, ==, 4);
    g_assert_cmphex(le32_to_cpu(crc), ==,
                    host_crc32c(payload, sizeof(payload)));

    /* room for the header alone: EMSGSIZE, as in a small response buffer */
    head = send_in_place(&d, 7, VIRTIO_SIMPLE_OP_ECHO, payload, 10, 0,
                         &ans, &at);
    used = wait_req_used(&d, head);
    read_hdr(&d, ans, &r);
    g_assert_cmpuint(used, ==, HDR);
    g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_EMSGSIZE);
    g_assert_cmpuint(r.len, ==, 0);

    /* nothing went to responseq: its one buffer is still there */
    expect_no_resp(&d, 1000 * 1000);

    /* a DELAY comes back empty and is answered on responseq */
    head = send_in_place(&d, 8, VIRTIO_SIMPLE_OP_DELAY, &delay, sizeof(delay),
                         64, &ans, &at);
    g_assert_cmpuint(wait_req_used(&d, head), ==, 0);
    wait_resp(&d, &r);
    g_assert_cmpuint(r.id, ==, 8);
    g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
    g_free(r.payload);
    call_echo_ok(&d, 9, "and on responseq as before");
    dev_stop(&d);

    /* room for less than a header: a transport violation */
    bad_req_in_place_short(obj, alloc);
}

static void test_bad_req_short(void *obj, void *data, QGuestAllocator *alloc)
{
    uint64_t a;
    uint32_t head;
    Dev d;

    dev_start(&d, obj, alloc);
    post_resp(&d, 64, false);
    a = guest_alloc(alloc, 8);
    head = qvirtqueue_add(d.qts, d.req, a, 8, false, false);
    qvirtqueue_kick(d.qts, d.vdev, d.req, head);
    expect_violation_then_recover(&d);
}

static void test_bad_resp_readable(void *obj, void *data,
                                   QGuestAllocator *alloc)
{
    Dev d;

    dev_start(&d, obj, alloc);
    post_resp(&d, 64, true);
    send_req(&d, 1, VIRTIO_SIMPLE_OP_ECHO, "a", 1);
    expect_violation_then_recover(&d);
}

static void test_bad_resp_short(void *obj, void *data,
                                QGuestAllocator *alloc)
{
    Dev d;

    dev_start(&d, obj, alloc);
    post_resp(&d, HDR - 1, false);
    send_req(&d, 1, VIRTIO_SIMPLE_OP_ECHO, "a", 1);
    expect_violation_then_recover(&d);
}

/* Both kinds of bad response buffer, one after the other. */
static void test_bad_resp(void *obj, void *data, QGuestAllocator *alloc)
{
    test_bad_resp_readable(obj, data, alloc);
    test_bad_resp_short(obj, data, alloc);
}

/* A descriptor chain that loops: the virtio core rejects it. */
static void test_bad_desc_loop(void *obj, void *data, QGuestAllocator *alloc)
{
    uint64_t a;
    uint32_t head;
    Dev d;

    dev_start(&d, obj, alloc);
    post_resp(&d, 64, false);
    a = guest_alloc(alloc, HDR);
    head = qvirtqueue_add(d.qts, d.req, a, HDR, false, true);
    /* desc[head].next = head */
    qtest_writew(d.qts, d.req->desc + 16 * head + 14, head);
    qvirtqueue_kick(d.qts, d.vdev, d.req, head);
    expect_violation_then_recover(&d);
}

/* NEEDS_RESET, once set, stays set until the driver resets the device. */
static void expect_needs_reset_sticks(Dev *d)
{
    wait_needs_reset(d);
    qtest_clock_step(d->qts, 10 * 1000 * 1000);
    g_assert_true(dev_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
    g_assert_true(dev_status(d) & VIRTIO_CONFIG_S_DRIVER_OK);
}

/* A short request queued before DRIVER_OK is found when DRIVER_OK is set. */
static void test_bad_req_before_driver_ok(void *obj, void *data,
                                          QGuestAllocator *alloc)
{
    uint64_t a;
    uint32_t head;
    Dev d;

    dev_init(&d, obj, alloc);
    dev_start_features(&d, ~0ull);
    post_resp(&d, 64, false);
    a = guest_alloc(alloc, 8);
    head = qvirtqueue_add(d.qts, d.req, a, 8, false, false);
    qvirtqueue_kick(d.qts, d.vdev, d.req, head);
    set_driver_ok_raw(&d);
    expect_needs_reset_sticks(&d);
    expect_violation_then_recover(&d);
}

static void qmp_ok(QTestState *qts, const char *cmd)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': %s}", cmd);

    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
}

/* A short request queued while the VM is stopped is found on resume. */
static void test_bad_req_across_stop(void *obj, void *data,
                                     QGuestAllocator *alloc)
{
    uint64_t a;
    uint32_t head;
    Dev d;

    dev_start(&d, obj, alloc);
    qmp_ok(d.qts, "stop");
    post_resp(&d, 64, false);
    a = guest_alloc(alloc, 8);
    head = qvirtqueue_add(d.qts, d.req, a, 8, false, false);
    qvirtqueue_kick(d.qts, d.vdev, d.req, head);
    g_assert_cmpint(qom_get_int(d.qts, "errors"), ==, 0);
    qmp_ok(d.qts, "cont");
    expect_needs_reset_sticks(&d);
    expect_violation_then_recover(&d);
}

/*
 * The transport lets a driver write queue_reset whatever it negotiated.
 * VIRTIO_F_RING_RESET is not offered, so that is a violation: NEEDS_RESET,
 * and the DELAY taken before it is never answered.
 */
/*
 * A response buffer pointing at the device's own common configuration: the
 * answer's bytes would write device_status = 0 (a reset) while the device
 * is answering.  QEMU's re-entrancy guard must refuse the write (the device
 * engages it for every run, also from ioeventfd and the timer); the device
 * stays up and serves the next request.
 */
static void test_resp_in_own_bar(void *obj, void *data, QGuestAllocator *alloc)
{
    static const uint8_t zeros[16];
    gint64 start = g_get_monotonic_time();
    QVirtioPCIDevice *pci;
    uint32_t head, idx, used;
    Resp r;
    Dev d;

    dev_start(&d, obj, alloc);
    pci = dev_pci(&d);
    g_assert_false(pci->bar.is_io);
    head = qvirtqueue_add(d.qts, d.resp, pci->bar.addr + pci->common_cfg_offset,
                          HDR + sizeof(zeros), true, false);
    qvirtqueue_kick(d.qts, d.vdev, d.resp, head);
    send_req(&d, 40, VIRTIO_SIMPLE_OP_ECHO, zeros, sizeof(zeros));
    while (!qvirtqueue_get_buf(d.qts, d.resp, &idx, &used)) {
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
        qtest_clock_step(d.qts, 1000);
    }
    g_assert_cmpuint(idx, ==, head);
    g_assert_cmphex(dev_status(&d) & (VIRTIO_CONFIG_S_DRIVER_OK |
                                      VIRTIO_CONFIG_S_NEEDS_RESET), ==,
                    VIRTIO_CONFIG_S_DRIVER_OK);
    r = call(&d, 41, VIRTIO_SIMPLE_OP_ECHO, "ok", 2, 64);
    g_assert_cmpmem(r.payload, r.len, "ok", 2);
    g_free(r.payload);
    dev_stop(&d);
}

/*
 * x-fault:u (test only) makes the used length 64 bytes longer than the
 * answer: the device must write those 64 bytes (zeros), not leave whatever
 * the buffer held, so a length lie never exposes memory it did not write.
 */
static void test_fault_length_written(void *obj, void *data,
                                      QGuestAllocator *alloc)
{
    const char *msg = "x-fault:u";
    uint8_t after[64], zeros[64] = { 0 };
    g_autofree uint8_t *fill = g_malloc(HDR + 128);
    uint32_t head;
    Resp r;
    Dev d;

    memset(fill, 0xaa, HDR + 128);
    dev_start(&d, obj, alloc);
    head = post_resp(&d, HDR + 128, false);
    qtest_memwrite(d.qts, d.resp_addr[head], fill, HDR + 128);
    send_req(&d, 50, VIRTIO_SIMPLE_OP_ECHO, msg, strlen(msg));
    wait_resp(&d, &r);
    g_assert_cmpuint(r.used, ==, HDR + strlen(msg) + 64);
    g_assert_cmpuint(r.len, ==, strlen(msg) + 64);
    qtest_memread(d.qts, d.resp_addr[head] + HDR + strlen(msg), after, 64);
    g_assert_cmpmem(after, 64, zeros, 64);
    g_free(r.payload);
    dev_stop(&d);
}

static void test_queue_reset_refused(void *obj, void *data,
                                     QGuestAllocator *alloc)
{
    gint64 start = g_get_monotonic_time();
    QVirtioPCIDevice *pci;
    uint32_t idx, used;
    Resp r;
    Dev d;

    dev_start(&d, obj, alloc);
    pci = dev_pci(&d);
    post_resp(&d, 64, false);
    send_delay(&d, 24, 100 * 1000);
    while (!qvirtqueue_get_buf(d.qts, d.req, &idx, &used)) {
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
        qtest_clock_step(d.qts, 1000);
    }
    qpci_io_writew(pci->pdev, pci->bar, pci->common_cfg_offset +
                   VIRTIO_PCI_COMMON_Q_SELECT, VIRTIO_SIMPLE_VQ_REQUEST);
    qpci_io_writew(pci->pdev, pci->bar, pci->common_cfg_offset +
                   VIRTIO_PCI_COMMON_Q_RESET, 1);
    expect_needs_reset_sticks(&d);
    g_assert_false(wait_resp_step(&d, &r, 10 * 1000 * 1000, 1000 * 1000));
    expect_violation_then_recover(&d);
}

/*
 * A driver that writes the offered features less @drop itself (libqos
 * insists on negotiating VERSION_1 for modern devices) and sets DRIVER_OK
 * without FEATURES_OK, then sends one ECHO, which must get no answer.
 */
static void start_unnegotiated(Dev *d, void *obj, QGuestAllocator *alloc,
                               uint64_t drop)
{
    QVirtioSimple *vs = obj;
    QVirtioPCIDevice *pci = container_of(vs->vdev, QVirtioPCIDevice, vdev);

    *d = (Dev) { .vdev = vs->vdev, .alloc = alloc, .qts = pci->pdev->bus->qts };
    qvirtio_start_device(d->vdev);
    for (int sel = 0; sel < 2; sel++) {
        uint64_t f = qvirtio_get_features(d->vdev) & ~drop;

        qpci_io_writel(pci->pdev, pci->bar, pci->common_cfg_offset +
                       offsetof(struct virtio_pci_common_cfg,
                                guest_feature_select), sel);
        qpci_io_writel(pci->pdev, pci->bar, pci->common_cfg_offset +
                       offsetof(struct virtio_pci_common_cfg, guest_feature),
                       f >> (32 * sel));
    }
    d->vdev->features_negotiated = true;
    d->req = setup_vq(d, VIRTIO_SIMPLE_VQ_REQUEST);
    d->resp = setup_vq(d, VIRTIO_SIMPLE_VQ_RESPONSE);
    g_assert_false(dev_status(d) & VIRTIO_CONFIG_S_FEATURES_OK);
    d->vdev->bus->set_status(d->vdev, dev_status(d) |
                             VIRTIO_CONFIG_S_DRIVER_OK);
    post_resp(d, 64, false);
    send_req(d, 1, VIRTIO_SIMPLE_OP_ECHO, "a", 1);
    expect_no_resp(d, 1000 * 1000);
}

/*
 * A driver that did not accept VERSION_1 is refused service: QEMU only sets
 * NEEDS_RESET for VERSION_1 drivers, so what shows is that no request is
 * taken and nothing is answered.
 */
static void test_no_version_1(void *obj, void *data, QGuestAllocator *alloc)
{
    Dev d;

    start_unnegotiated(&d, obj, alloc, 1ull << VIRTIO_F_VERSION_1);
    g_assert_cmpint(qom_get_int(d.qts, "requests"), ==, 0);
    g_assert_cmpint(qom_get_int(d.qts, "responses"), ==, 0);
    g_assert_cmpint(qom_get_int(d.qts, "errors"), ==, 1);
}

/*
 * A VERSION_1 driver that sets DRIVER_OK without ever setting FEATURES_OK
 * skipped feature negotiation: the device must not serve it.
 */
static void test_driver_ok_without_features_ok(void *obj, void *data,
                                               QGuestAllocator *alloc)
{
    Dev d;

    start_unnegotiated(&d, obj, alloc, 0);
    g_assert_cmpint(qom_get_int(d.qts, "responses"), ==, 0);
    expect_needs_reset_sticks(&d);
}

/*
 * The same two refusals on vhost-user-simple, whose counters are the
 * backend's: nothing is answered (start_unnegotiated() checks), and without
 * FEATURES_OK NEEDS_RESET is set and stays.
 */
static void test_no_version_1_vu(void *obj, void *data,
                                 QGuestAllocator *alloc)
{
    Dev d;

    start_unnegotiated(&d, obj, alloc, 1ull << VIRTIO_F_VERSION_1);
}

static void test_driver_ok_without_features_ok_vu(void *obj, void *data,
                                                  QGuestAllocator *alloc)
{
    Dev d;

    start_unnegotiated(&d, obj, alloc, 0);
    expect_needs_reset_sticks(&d);
}

static void register_virtio_simple_test(void)
{
    qos_add_test("config", "virtio-simple", test_config, NULL);
    qos_add_test("echo", "virtio-simple", test_echo, NULL);
    qos_add_test("crc32c", "virtio-simple", test_crc32c, NULL);
    qos_add_test("crc32c-update", "virtio-simple", test_crc32c_update,
                 NULL);
    qos_add_test("statuses", "virtio-simple", test_statuses, NULL);
    qos_add_test("delay-order", "virtio-simple", test_delay_order, NULL);
    qos_add_test("backpressure", "virtio-simple", test_backpressure, NULL);
    qos_add_test("reset-in-flight", "virtio-simple", test_reset_in_flight,
                 NULL);
    qos_add_test("unplug-in-flight", "virtio-simple", test_unplug_in_flight,
                 NULL);
    qos_add_test("config-change", "virtio-simple", test_config_change, NULL);
    qos_add_test("counters", "virtio-simple", test_counters, NULL);
    qos_add_test("notifications", "virtio-simple", test_notifications, NULL);
    qos_add_test("migration", "virtio-simple", test_migration, NULL);
    qos_add_test("migration-label-unchanged", "virtio-simple",
                 test_migration_label_unchanged, NULL);
    qos_add_test("migration-requests-in-ring", "virtio-simple",
                 test_migration_requests_in_ring, NULL);
    qos_add_test("migration-needs-reset", "virtio-simple",
                 test_migration_needs_reset, NULL);
    qos_add_test("migration-answer-waiting", "virtio-simple",
                 test_migration_answer_waiting, NULL);
    qos_add_test("migration-bad-deadline", "virtio-simple",
                 test_migration_bad_deadline, NULL);
    qos_add_test("migration-bad-count", "virtio-simple",
                 test_migration_bad_count, NULL);
    qos_add_test("reset-answer-waiting", "virtio-simple",
                 test_reset_answer_waiting, NULL);
    qos_add_test("indirect", "virtio-simple", test_indirect, NULL);
    qos_add_test("split-request", "virtio-simple", test_split_request, NULL);
    qos_add_test("resp-in-own-bar", "virtio-simple", test_resp_in_own_bar,
                 NULL);
    qos_add_test("resp-in-own-bar-ioeventfd-off", "virtio-simple",
                 test_resp_in_own_bar, &(QOSGraphTestOptions) {
                     .edge.extra_device_opts = "ioeventfd=off",
                 });
    qos_add_test("echo-ioeventfd-off", "virtio-simple", test_echo,
                 &(QOSGraphTestOptions) {
                     .edge.extra_device_opts = "ioeventfd=off",
                 });
    qos_add_test("fault-length-written", "virtio-simple",
                 test_fault_length_written, &(QOSGraphTestOptions) {
                     .edge.extra_device_opts = "x-fault-injection=on",
                 });
    qos_add_test("bad-req-writable", "virtio-simple", test_bad_req_writable,
                 NULL);
    qos_add_test("bad-req-short", "virtio-simple", test_bad_req_short, NULL);
    qos_add_test("bad-resp", "virtio-simple", test_bad_resp, NULL);
    qos_add_test("bad-desc-loop", "virtio-simple", test_bad_desc_loop, NULL);
    qos_add_test("no-version-1", "virtio-simple", test_no_version_1, NULL);
    qos_add_test("config-generation", "virtio-simple",
                 test_config_generation, NULL);
    qos_add_test("config-same-label", "virtio-simple",
                 test_config_same_label, NULL);
    qos_add_test("delay-buffer-returned", "virtio-simple",
                 test_delay_buffer_returned, NULL);
    qos_add_test("multi-desc-resp", "virtio-simple", test_multi_desc_resp,
                 NULL);
    qos_add_test("delay-cap", "virtio-simple", test_delay_cap,
                 &(QOSGraphTestOptions) {
                     .edge.extra_device_opts = "queue-size=256",
                 });
    qos_add_test("max-payload-limits", "virtio-simple",
                 test_max_payload_limits, &(QOSGraphTestOptions) {
                     .edge.extra_device_opts = "max-payload=4",
                 });
    qos_add_test("features", "virtio-simple", test_features, NULL);
    qos_add_test("answer-in-place", "virtio-simple", test_answer_in_place,
                 NULL);
    /* one node for both options: qgraph's walk has room for few more */
    qos_add_test("features-packed-no-in-place", "virtio-simple", test_features,
                 &(QOSGraphTestOptions) {
                     .edge.extra_device_opts = "packed=on,answer-in-place=off",
                     .arg = (void *)1,
                 });
    qos_add_test("irq-per-queue", "virtio-simple", test_irq_per_queue, NULL);
    qos_add_test("long-run", "virtio-simple", test_long_run, NULL);
    qos_add_test("bad-req-before-driver-ok", "virtio-simple",
                 test_bad_req_before_driver_ok, NULL);
    qos_add_test("bad-req-across-stop", "virtio-simple",
                 test_bad_req_across_stop, NULL);
    qos_add_test("queue-reset-refused", "virtio-simple",
                 test_queue_reset_refused, NULL);
    qos_add_test("driver-ok-without-features-ok", "virtio-simple",
                 test_driver_ok_without_features_ok, NULL);
}

libqos_init(register_virtio_simple_test);

/*
 * The same device served by the vhost-user backend (backend/ in the
 * project): a backend process per case, started before QEMU on a socket
 * of the case's own, with the guest RAM QEMU shares with it.  @arg: more
 * backend options, space-separated (NULL: none).
 */
static struct {
    GPid pid;
    char *sock;
    char **argv;
} vu_backend;

static void vu_backend_stop(gpointer data)
{
    int status;

    kill(vu_backend.pid, SIGTERM);
    g_assert_cmpint(waitpid(vu_backend.pid, &status, 0), ==, vu_backend.pid);
    g_clear_pointer(&vu_backend.sock, g_free);
    g_clear_pointer(&vu_backend.argv, g_strfreev);
    /* a sanitizer report or a crash in the backend fails the case */
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

/* Start vu_backend.argv and wait until its socket is there. */
static void vu_backend_spawn(void)
{
    g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "ASAN_OPTIONS",
                                         "detect_leaks=1", TRUE);
    gint64 start = g_get_monotonic_time();
    GError *err = NULL;

    unlink(vu_backend.sock);
    g_assert_true(g_spawn_async(NULL, vu_backend.argv, env,
                                G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                &vu_backend.pid, &err));
    while (!g_file_test(vu_backend.sock, G_FILE_TEST_EXISTS)) {
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
        g_usleep(10 * 1000);
    }
}

static void *vu_backend_start(GString *cmd_line, void *arg)
{
    static int n;
    const char *bin = g_getenv("VSIMPLE_VHOST_USER_BACKEND");
    g_auto(GStrv) extra = g_strsplit(arg ? arg : "", " ", -1);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();

    vu_backend.sock = g_strdup_printf("%s/vsbe-%d-%d.sock", g_get_tmp_dir(),
                                      getpid(), n++);
    g_ptr_array_add(argv, g_strdup(bin));
    g_ptr_array_add(argv, g_strdup("--socket-path"));
    g_ptr_array_add(argv, g_strdup(vu_backend.sock));
    for (int i = 0; extra[i]; i++) {
        if (*extra[i]) {
            g_ptr_array_add(argv, g_strdup(extra[i]));
        }
    }
    g_ptr_array_add(argv, NULL);
    vu_backend.argv = (char **)g_ptr_array_free(g_steal_pointer(&argv), FALSE);
    vu_backend_spawn();
    g_test_queue_destroy(vu_backend_stop, NULL);
    g_string_append_printf(cmd_line,
                           " -m 256 -object memory-backend-memfd,id=vsmem,"
                           "size=256M,share=on -numa node,memdev=vsmem"
                           " -chardev socket,id=%s,path=%s,reconnect=1",
                           QVHOST_USER_SIMPLE_CHARDEV, vu_backend.sock);
    return NULL;
}

/* Whether QEMU's end of the backend's socket is connected (query-chardev). */
static bool vu_chardev_connected(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'query-chardev'}");
    QListEntry *e;
    bool connected = false;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(rsp, "return"), e) {
        QDict *c = qobject_to(QDict, qlist_entry_obj(e));

        if (!strcmp(qdict_get_str(c, "label"), QVHOST_USER_SIMPLE_CHARDEV)) {
            connected = !g_str_has_prefix(qdict_get_str(c, "filename"),
                                          "disconnected:");
        }
    }
    qobject_unref(rsp);
    return connected;
}

static void vu_wait_chardev(QTestState *qts, bool connected)
{
    gint64 start = g_get_monotonic_time();

    while (vu_chardev_connected(qts) != connected) {
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
        g_usleep(10 * 1000);
    }
}

/*
 * The backend killed before any driver started the device, then started
 * again: QEMU must hear the new connection and serve the driver that comes
 * next (7.2's vhost_user_async_close() left a device that was not started
 * deaf to it).
 */
static void test_backend_gone_before_start(void *obj, void *data,
                                           QGuestAllocator *alloc)
{
    QTestState *qts;
    int status;
    Dev d;
    Resp r;

    dev_init(&d, obj, alloc);
    qts = d.qts;
    vu_wait_chardev(qts, true);
    kill(vu_backend.pid, SIGKILL);
    g_assert_cmpint(waitpid(vu_backend.pid, &status, 0), ==, vu_backend.pid);
    vu_wait_chardev(qts, false);
    vu_backend_spawn();
    vu_wait_chardev(qts, true);
    dev_start(&d, obj, alloc);
    r = call(&d, 1, VIRTIO_SIMPLE_OP_ECHO, "back", 4, 64);
    g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
    g_assert_cmpmem(r.payload, r.len, "back", 4);
    g_free(r.payload);
    dev_stop(&d);
}

/*
 * A DELAY pending when the VM stops is kept by the backend (the front-end
 * does not stop it with the VM): it is answered while stopped, and the
 * device goes on after `cont`.
 */
static void test_delay_across_stop_vu(void *obj, void *data,
                                      QGuestAllocator *alloc)
{
    uint32_t usec = cpu_to_le32(20 * 1000);
    Dev d;
    Resp r;

    dev_start(&d, obj, alloc);
    post_resp(&d, 64, false);
    send_req(&d, 5, VIRTIO_SIMPLE_OP_DELAY, &usec, 4);
    qmp_ok(d.qts, "stop");
    wait_resp(&d, &r);
    g_assert_cmpuint(r.id, ==, 5);
    g_assert_cmpuint(r.status, ==, VIRTIO_SIMPLE_S_OK);
    g_free(r.payload);
    qmp_ok(d.qts, "cont");
    r = call(&d, 6, VIRTIO_SIMPLE_OP_ECHO, "cont", 4, 64);
    g_assert_cmpmem(r.payload, r.len, "cont", 4);
    g_free(r.payload);
    dev_stop(&d);
}

/*
 * The cases that hold for both: not those that read QEMU's own counters
 * (the backend keeps its own; no-version-1 and
 * driver-ok-without-features-ok have versions without them), migrate
 * (the front-end refuses: the rings' state is the backend's), use packed
 * rings (libvhost-user has none) or unplug (the guest suites do); DELAY's order
 * on the host's clock.  Registered when
 * VSIMPLE_VHOST_USER_BACKEND names the backend program.
 */
static void register_vhost_user_simple_test(void)
{
    static const struct {
        const char *name;
        void (*fn)(void *obj, void *data, QGuestAllocator *alloc);
        const char *backend_opts;
        const char *device_opts;
    } cases[] = {
        { "config", test_config },
        { "echo", test_echo },
        { "crc32c", test_crc32c },
        { "statuses", test_statuses },
        { "delay-order", test_delay_order_host_clock },
        { "reset-in-flight", test_reset_in_flight },
        { "config-change", test_config_change },
        { "config-generation", test_config_generation },
        { "config-same-label", test_config_same_label },
        { "indirect", test_indirect },
        { "split-request", test_split_request },
        { "delay-buffer-returned", test_delay_buffer_returned },
        { "multi-desc-resp", test_multi_desc_resp },
        { "fault-length-written", test_fault_length_written,
          "--x-fault-injection" },
        { "max-payload-limits", test_max_payload_limits,
          "--max-payload 4" },
        { "bad-req-writable", test_bad_req_writable },
        { "bad-req-short", test_bad_req_short },
        { "bad-resp-readable", test_bad_resp_readable },
        { "bad-resp-short", test_bad_resp_short },
        { "bad-desc-loop", test_bad_desc_loop },
        /* 256 requests, one kick per queue: four times the budget */
        { "long-run", test_long_run_vu, NULL, "queue-size=256" },
        { "backend-gone-before-start", test_backend_gone_before_start },
        { "delay-across-stop", test_delay_across_stop_vu },
        { "no-version-1", test_no_version_1_vu },
        { "driver-ok-without-features-ok",
          test_driver_ok_without_features_ok_vu },
    };

    if (!g_getenv("VSIMPLE_VHOST_USER_BACKEND")) {
        return;
    }
    for (int i = 0; i < ARRAY_SIZE(cases); i++) {
        QOSGraphTestOptions opts = {
            .before = vu_backend_start,
            .arg = (void *)cases[i].backend_opts,
            .edge.extra_device_opts = (char *)cases[i].device_opts,
        };

        qos_add_test(cases[i].name, "vhost-user-simple", cases[i].fn, &opts);
    }
}

libqos_init(register_vhost_user_simple_test);
