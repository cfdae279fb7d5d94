/*
 * virtio-simple fuzz target: a driver whose every step comes from the
 * fuzzer's input.  The input is a sequence of commands (opcode byte, then
 * its arguments) that negotiate features, write the status register, read
 * the config space, and post requests and response buffers on both queues,
 * well-formed or not.  Each input runs in a forked child, so no state
 * leaks from one input to the next.  After the commands, the used rings
 * are checked against docs/spec.md: requestq buffers come back with 0
 * bytes written, responseq buffers with no more bytes than they hold.
 *
 * The protocol is include/uapi/virtio_simple.h; tests/fuzz/ in the
 * virtio-simple tree holds the seed corpus and says how to write inputs.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/prctl.h>
#include "qemu/bswap.h"
#include "qemu/timer.h"
#include "standard-headers/linux/virtio_config.h"
#include "standard-headers/linux/virtio_pci.h"
#include "standard-headers/linux/virtio_ring.h"
#include "standard-headers/linux/virtio_simple.h"
#include "tests/qtest/libqtest.h"
#include "tests/qtest/libqos/virtio.h"
#include "tests/qtest/libqos/virtio-pci.h"
#include "tests/qtest/libqos/virtio-simple.h"
#include "fuzz.h"
#include "fork_fuzz.h"
#include "qos_fuzz.h"

#define HDR sizeof(struct virtio_simple_hdr)
/*
 * Device options: E2BIG reachable with short inputs; otherwise the device
 * as users run it (no fault injection), so a wrong answer is a finding.
 */
#define FUZZ_DEVICE_OPTS "max-payload=256"
#define MAX_QUEUE 1024
/* Bounds one input's guest memory and run time. */
#define MAX_COMMANDS 512
#define MAX_BUF 4096

/* Opcodes: the input's first byte of each command, modulo CMD_MAX. */
enum {
    CMD_START,          /* u8 features, u8 flags: (re)initialise */
    CMD_STATUS,         /* u8: raw write to the device status register */
    CMD_CONFIG,         /* u8 offset, u8 width: read the config space */
    CMD_REQUEST,        /* u8 op, u8 flags, u16 len, s8 skew, payload */
    CMD_RESPONSE,       /* u16 cap, u8 flags: post a response buffer */
    CMD_CLOCK,          /* u8 n: advance the virtual clock (n + 1) * 4 ms */
    CMD_QUEUE_RESET,    /* u8 queue: write queue_reset (not offered) */
    CMD_AVAIL_SKIP,     /* u8 queue, u8 n: avail idx jumps by n */
    CMD_MAX
};

/* CMD_START flags */
#define START_FEATURES_OK   0x01
#define START_DRIVER_OK     0x02

/* CMD_REQUEST and CMD_RESPONSE flags */
#define BUF_WRONG_DIR       0x01    /* request writable / response readable */
#define BUF_SPLIT           0x02    /* two chained descriptors */
#define BUF_INDIRECT        0x04    /* one indirect table (if negotiated) */
#define BUF_NO_KICK         0x08    /* publish only, kick later */
#define BUF_SKEW_LEN        0x10    /* header len = real len + skew */

/* CMD_START's u8 picks which offered features the driver accepts. */
static const unsigned start_feature_bits[] = {
    VIRTIO_F_VERSION_1, VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_RING_F_EVENT_IDX,
};

typedef struct FuzzQueue {
    QVirtQueue *vq;
    uint32_t cap[MAX_QUEUE];    /* bytes posted per head, for the check */
} FuzzQueue;

typedef struct FuzzDev {
    QTestState *qts;
    QVirtioDevice *vdev;
    QVirtioPCIDevice *pci;
    QGuestAllocator *alloc;
    FuzzQueue q[VIRTIO_SIMPLE_VQ_MAX];
} FuzzDev;

/* The input as a stream; reads past its end give zeros. */
typedef struct Input {
    const uint8_t *p;
    size_t left;
} Input;

static uint8_t in_u8(Input *in)
{
    uint8_t v = 0;

    if (in->left) {
        v = *in->p++;
        in->left--;
    }
    return v;
}

static uint16_t in_u16(Input *in)
{
    uint16_t lo = in_u8(in);

    return lo | (uint16_t)in_u8(in) << 8;
}

/* Up to @n bytes of the input; returns how many it could take. */
static size_t in_bytes(Input *in, void *buf, size_t n)
{
    n = MIN(n, in->left);
    memcpy(buf, in->p, n);
    in->p += n;
    in->left -= n;
    return n;
}

static void common_writel(FuzzDev *d, size_t off, uint32_t v)
{
    qpci_io_writel(d->pci->pdev, d->pci->bar, d->pci->common_cfg_offset + off,
                   v);
}

static void common_writew(FuzzDev *d, size_t off, uint16_t v)
{
    qpci_io_writew(d->pci->pdev, d->pci->bar, d->pci->common_cfg_offset + off,
                   v);
}

static void write_status(FuzzDev *d, uint8_t status)
{
    d->vdev->bus->set_status(d->vdev, status);
}

/*
 * Reset, ACKNOWLEDGE, DRIVER, then the accepted features written straight
 * to the common config (libqos refuses a modern driver without VERSION_1,
 * and such a driver is exactly one to try), both queues, and FEATURES_OK
 * and DRIVER_OK as the flags say.
 */
static void cmd_start(FuzzDev *d, Input *in)
{
    uint8_t pick = in_u8(in), flags = in_u8(in);
    uint64_t offered = qvirtio_get_features(d->vdev), accepted = 0;
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(start_feature_bits); i++) {
        if (pick & (1u << i)) {
            accepted |= offered & (1ull << start_feature_bits[i]);
        }
    }
    qvirtio_start_device(d->vdev);
    /* libqos's own flag, cleared by its reset: queues and config need it */
    d->vdev->features_negotiated = true;
    for (i = 0; i < 2; i++) {
        common_writel(d, offsetof(struct virtio_pci_common_cfg,
                                  guest_feature_select), i);
        common_writel(d, offsetof(struct virtio_pci_common_cfg,
                                  guest_feature), accepted >> (32 * i));
    }
    d->vdev->features = accepted;
    if (flags & START_FEATURES_OK) {
        write_status(d, d->vdev->bus->get_status(d->vdev) |
                     VIRTIO_CONFIG_S_FEATURES_OK);
    }
    for (i = 0; i < VIRTIO_SIMPLE_VQ_MAX; i++) {
        FuzzQueue *q = &d->q[i];

        q->vq = qvirtqueue_setup(d->vdev, d->alloc, i);
        g_assert_cmpuint(q->vq->size, <=, MAX_QUEUE);
        memset(q->cap, 0, sizeof(q->cap));
        /* libqos 7.2's qvring_init() clears the wrong avail_event field */
        qtest_writew(d->qts, q->vq->used + 4 + 8 * q->vq->size, 0);
    }
    if (flags & START_DRIVER_OK) {
        write_status(d, d->vdev->bus->get_status(d->vdev) |
                     VIRTIO_CONFIG_S_DRIVER_OK);
    }
}

static void cmd_config(FuzzDev *d, Input *in)
{
    /* a little past the end too: those reads must be refused cleanly */
    uint8_t off = in_u8(in) % (sizeof(struct virtio_simple_config) + 8);

    switch (in_u8(in) % 4) {
    case 0:
        qvirtio_config_readb(d->vdev, off);
        break;
    case 1:
        qvirtio_config_readw(d->vdev, off);
        break;
    case 2:
        qvirtio_config_readl(d->vdev, off);
        break;
    default:
        qvirtio_config_readq(d->vdev, off);
        break;
    }
}

/* Descriptors @vq has left; libqos never reuses one. */
static uint32_t desc_left(FuzzQueue *q)
{
    return q->vq->size - q->vq->free_head;
}

/*
 * Put @len bytes at @addr on @q as one, two chained, or one indirect
 * descriptor(s); returns the head.  Needs desc_left(q) >= 2.
 */
static uint32_t add_buf(FuzzDev *d, FuzzQueue *q, uint64_t addr, uint32_t len,
                        bool write, uint8_t flags)
{
    uint32_t first = len / 2, head;

    if ((flags & BUF_INDIRECT) && q->vq->indirect) {
        QVRingIndirectDesc *ind;

        ind = qvring_indirect_desc_setup(d->qts, d->vdev, d->alloc, 2);
        qvring_indirect_desc_add(d->vdev, d->qts, ind, addr, first, write);
        qvring_indirect_desc_add(d->vdev, d->qts, ind, addr + first,
                                 len - first, write);
        head = qvirtqueue_add_indirect(d->qts, q->vq, ind);
        g_free(ind);
    } else if (flags & BUF_SPLIT) {
        head = qvirtqueue_add(d->qts, q->vq, addr, first, write, true);
        qvirtqueue_add(d->qts, q->vq, addr + first, len - first, write,
                       false);
    } else {
        head = qvirtqueue_add(d->qts, q->vq, addr, len, write, false);
    }
    q->cap[head] = write ? len : 0;
    return head;
}

/* Make @head available, and notify unless the flags say batch. */
static void publish(FuzzDev *d, FuzzQueue *q, uint32_t head, uint8_t flags)
{
    uint16_t idx = qtest_readw(d->qts, q->vq->avail + 2);

    qtest_writew(d->qts, q->vq->avail + 4 + 2 * (idx % q->vq->size), head);
    qtest_writew(d->qts, q->vq->avail + 2, idx + 1);
    if (!(flags & BUF_NO_KICK)) {
        d->vdev->bus->virtqueue_kick(d->vdev, q->vq);
    }
}

/* One request: a real header (op, len) and payload from the input. */
static void cmd_request(FuzzDev *d, Input *in)
{
    FuzzQueue *q = &d->q[VIRTIO_SIMPLE_VQ_REQUEST];
    uint16_t op = in_u8(in);
    uint8_t flags = in_u8(in);
    uint32_t len = in_u16(in) % (MAX_BUF - HDR);
    int8_t skew = in_u8(in);
    struct virtio_simple_hdr hdr;
    g_autofree uint8_t *buf = g_malloc0(HDR + len);
    uint64_t addr;

    len = in_bytes(in, buf + HDR, len);
    if (!q->vq || desc_left(q) < 2) {
        return;
    }
    hdr.id = cpu_to_le64(q->vq->free_head);
    hdr.op = cpu_to_le16(op);
    hdr.status = 0;
    hdr.len = cpu_to_le32(len + ((flags & BUF_SKEW_LEN) ? skew : 0));
    memcpy(buf, &hdr, HDR);
    addr = guest_alloc(d->alloc, HDR + len);
    qtest_memwrite(d->qts, addr, buf, HDR + len);
    publish(d, q, add_buf(d, q, addr, HDR + len, flags & BUF_WRONG_DIR,
                          flags), flags);
}

static void cmd_response(FuzzDev *d, Input *in)
{
    FuzzQueue *q = &d->q[VIRTIO_SIMPLE_VQ_RESPONSE];
    uint32_t cap = in_u16(in) % MAX_BUF;
    uint8_t flags = in_u8(in);
    uint64_t addr;

    if (!q->vq || desc_left(q) < 2) {
        return;
    }
    addr = guest_alloc(d->alloc, MAX(cap, 1));
    publish(d, q, add_buf(d, q, addr, cap, !(flags & BUF_WRONG_DIR), flags),
            flags);
}

static void cmd_queue_reset(FuzzDev *d, Input *in)
{
    /* 2 is no queue at all */
    common_writew(d, VIRTIO_PCI_COMMON_Q_SELECT, in_u8(in) % 3);
    common_writew(d, VIRTIO_PCI_COMMON_Q_RESET, 1);
}

/* The avail index runs ahead of what was written: stale slots get popped. */
static void cmd_avail_skip(FuzzDev *d, Input *in)
{
    FuzzQueue *q = &d->q[in_u8(in) % VIRTIO_SIMPLE_VQ_MAX];
    uint8_t n = in_u8(in);

    if (!q->vq) {
        return;
    }
    qtest_writew(d->qts, q->vq->avail + 2,
                 qtest_readw(d->qts, q->vq->avail + 2) + n);
    d->vdev->bus->virtqueue_kick(d->vdev, q->vq);
}

/*
 * docs/spec.md: the device writes nothing into a request, and never more
 * into a response buffer than it holds.  Heads never posted (popped from
 * stale slots) are not checked: their size is not known here.
 */
static void check_used(FuzzDev *d)
{
    int i;

    for (i = 0; i < VIRTIO_SIMPLE_VQ_MAX; i++) {
        FuzzQueue *q = &d->q[i];
        uint16_t n, k;

        if (!q->vq) {
            continue;
        }
        n = MIN(qtest_readw(d->qts, q->vq->used + 2), q->vq->size);
        for (k = 0; k < n; k++) {
            uint64_t elem = q->vq->used + 4 + 8 * k;
            uint32_t head = qtest_readl(d->qts, elem);
            uint32_t used = qtest_readl(d->qts, elem + 4);

            if (head < q->vq->free_head) {
                g_assert_cmpuint(used, <=, q->cap[head]);
            }
        }
    }
}

static void run_commands(FuzzDev *d, Input *in)
{
    int n;

    for (n = 0; in->left && n < MAX_COMMANDS; n++) {
        switch (in_u8(in) % CMD_MAX) {
        case CMD_START:
            cmd_start(d, in);
            break;
        case CMD_STATUS:
            write_status(d, in_u8(in));
            break;
        case CMD_CONFIG:
            cmd_config(d, in);
            break;
        case CMD_REQUEST:
            cmd_request(d, in);
            break;
        case CMD_RESPONSE:
            cmd_response(d, in);
            break;
        case CMD_CLOCK:
            qtest_clock_step(d->qts, (in_u8(in) + 1) * 4 * (int64_t)SCALE_MS);
            break;
        case CMD_QUEUE_RESET:
            cmd_queue_reset(d, in);
            break;
        case CMD_AVAIL_SKIP:
            cmd_avail_skip(d, in);
            break;
        }
        flush_events(d->qts);
    }
}

static void virtio_simple_fuzz(QTestState *s, const unsigned char *data,
                               size_t size)
{
    QVirtioSimple *vs = fuzz_qos_obj;
    FuzzDev d = {
        .qts = s,
        .vdev = vs->vdev,
        .pci = container_of(vs->vdev, QVirtioPCIDevice, vdev),
        .alloc = fuzz_qos_alloc,
    };
    Input in = { .p = data, .left = size };

    /* config reads are allowed before negotiation; libqos asks for it */
    d.vdev->features_negotiated = true;
    run_commands(&d, &in);
    /* let pending DELAYs expire, then check what the device wrote */
    qtest_clock_step(s, (int64_t)VIRTIO_SIMPLE_DELAY_MAX_US * SCALE_US);
    flush_events(s);
    check_used(&d);
}

/* A crash, sanitizer report or failed check in the child fails the input. */
static void virtio_simple_fork_fuzz(QTestState *s, const unsigned char *data,
                                    size_t size)
{
    int status;

    if (fork() == 0) {
        /* a child stuck in a hang must not outlive libFuzzer's timeout */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        virtio_simple_fuzz(s, data, size);
        _Exit(0);
    }
    flush_events(s);
    if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
        abort();
    }
}

static void virtio_simple_pre_fuzz(QTestState *s)
{
    qos_init_path(s);
    counter_shm_init();
}

static void register_virtio_simple_fuzz_targets(void)
{
    fuzz_add_qos_target(&(FuzzTarget){
            .name = "virtio-simple-fuzz",
            .description = "Fuzz virtio-simple: feature negotiation, the "
            "status register, the config space and both queues",
            .pre_fuzz = virtio_simple_pre_fuzz,
            .fuzz = virtio_simple_fork_fuzz,
        },
        "virtio-simple",
        &(QOSGraphTestOptions){ .edge.extra_device_opts = FUZZ_DEVICE_OPTS }
        );
}

fuzz_target_init(register_virtio_simple_fuzz_targets);
