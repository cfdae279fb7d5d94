/*
 * virtio-simple fuzz target: a driver whose every step comes from the
 * fuzzer's input.  The input is a sequence of commands (opcode byte, then
 * its arguments) that negotiate features, write the status register, read
 * the config space, and post requests and response buffers on both queues,
 * well-formed or not: on the device's own registers, outside RAM, behind
 * bad indirect tables and descriptor loops.  Each input runs in a forked
 * child, so no state leaks from one input to the next.
 *
 * The ending is an oracle (docs/spec.md): used lengths fit, and when the
 * device must answer (negotiated, DRIVER_OK, no NEEDS_RESET, nothing
 * irregular since the last start), it gets a buffer per missing answer
 * and must return every request once, answer each once, rightly, and hold
 * no element.  Kicks honour EVENT_IDX as Linux does.  The child then
 * checks for leaks (LeakSanitizer) before it exits.
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
#ifdef QEMU_SANITIZE_ADDRESS
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/timer.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-simple.h"
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
#define FUZZ_MAX_PAYLOAD 256
#define FUZZ_DEVICE_OPTS "max-payload=" stringify(FUZZ_MAX_PAYLOAD)
#define MAX_QUEUE 1024
/* Bounds one input's guest memory and run time. */
#define MAX_COMMANDS 512
#define MAX_BUF 4096
/* qos_fuzz.c starts the machine with -m 64: RAM ends here */
#define GUEST_RAM_END (64 * 1024 * 1024)
/* Request ids: a tag no stale header carries, then a count. */
#define ID_TAG 0x5653000000000000ull

/* Opcodes: the input's first byte of each command, modulo CMD_MAX. */
enum {
    CMD_START,          /* u8 features, u8 flags: (re)initialise */
    CMD_STATUS,         /* u8: raw write to the device status register */
    CMD_CONFIG,         /* u8 offset, u8 width: read the config space */
    CMD_REQUEST,        /* u8 op, u8 flags, u16 len, s8 skew, [u8], payload */
    CMD_RESPONSE,       /* u16 cap, u8 flags, [u8]: post a response buffer */
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
#define BUF_MMIO            0x20    /* a descriptor on the device's BAR */
#define BUF_OUTSIDE         0x40    /* a descriptor outside guest RAM */
#define BUF_BAD_RING        0x80    /* a bad indirect table or a loop */
/* These read one more byte (where, or which bad ring) after the flags. */
#define BUF_ARG             (BUF_MMIO | BUF_OUTSIDE | BUF_BAD_RING)
/* Answers to a driver that did any of these are not predictable. */
#define BUF_IRREGULAR       (BUF_WRONG_DIR | BUF_ARG)

/* CMD_START's u8 picks which offered features the driver accepts. */
static const unsigned start_feature_bits[] = {
    VIRTIO_F_VERSION_1, VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_RING_F_EVENT_IDX,
};

/* A request posted since the last CMD_START, for the ending's oracle. */
typedef struct FuzzReq {
    uint64_t id;
    uint16_t op;
    uint32_t hdr_len;           /* what the header says */
    uint32_t len;               /* the payload bytes really there */
    uint8_t *payload;
    uint32_t head;
    unsigned answers;
} FuzzReq;

typedef struct FuzzQueue {
    QVirtQueue *vq;
    uint32_t cap[MAX_QUEUE];    /* device-writable bytes per head */
    uint64_t addr[MAX_QUEUE];   /* where a head's bytes lie */
    uint8_t out[MAX_QUEUE];     /* per head: posted, not yet seen used */
    uint16_t kicked;            /* avail idx at the last kick decision */
} FuzzQueue;

typedef struct FuzzDev {
    QTestState *qts;
    QVirtioDevice *vdev;
    QVirtioPCIDevice *pci;
    QGuestAllocator *alloc;
    VirtIODevice *dev;          /* the model, to see elements it holds */
    FuzzQueue q[VIRTIO_SIMPLE_VQ_MAX];
    /* since the last CMD_START */
    bool serving;               /* VERSION_1, FEATURES_OK, DRIVER_OK */
    bool irregular;             /* something made answers unpredictable */
    bool raw_reset;             /* a raw status 0: used idx not the device's */
    FuzzReq req[MAX_QUEUE];
    unsigned n_req;
    uint64_t first_id;
    uint64_t next_id;           /* never reused, across CMD_STARTs too */
    bool delays;                /* a DELAY was posted: the ending waits */
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

static uint8_t read_status(FuzzDev *d)
{
    return d->vdev->bus->get_status(d->vdev);
}

/* Forget the requests of the previous session (the oracle's). */
static void forget_requests(FuzzDev *d)
{
    unsigned i;

    for (i = 0; i < d->n_req; i++) {
        g_free(d->req[i].payload);
    }
    d->n_req = 0;
    d->first_id = d->next_id;
    d->irregular = false;
    d->raw_reset = false;
    d->serving = false;
}

/*
 * libqos's host side of the queues only.  Their guest memory stays taken:
 * a new ring gets never-used (zeroed) memory, so a stale avail slot holds
 * a head of this session or 0, never a head an earlier session wrote.
 */
static void free_queues(FuzzDev *d)
{
    int i;

    for (i = 0; i < VIRTIO_SIMPLE_VQ_MAX; i++) {
        if (d->q[i].vq) {
            g_free(container_of(d->q[i].vq, QVirtQueuePCI, vq));
            d->q[i].vq = NULL;
        }
    }
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
    free_queues(d);
    forget_requests(d);
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
        write_status(d, read_status(d) | VIRTIO_CONFIG_S_FEATURES_OK);
    }
    for (i = 0; i < VIRTIO_SIMPLE_VQ_MAX; i++) {
        FuzzQueue *q = &d->q[i];

        q->vq = qvirtqueue_setup(d->vdev, d->alloc, i);
        g_assert_cmpuint(q->vq->size, <=, MAX_QUEUE);
        memset(q->cap, 0, sizeof(q->cap));
        memset(q->addr, 0, sizeof(q->addr));
        memset(q->out, 0, sizeof(q->out));
        q->kicked = 0;
        /* libqos 7.2's qvring_init() clears the wrong avail_event field */
        qtest_writew(d->qts, q->vq->used + 4 + 8 * q->vq->size, 0);
    }
    if (flags & START_DRIVER_OK) {
        write_status(d, read_status(d) | VIRTIO_CONFIG_S_DRIVER_OK);
    }
    d->serving = (accepted & (1ull << VIRTIO_F_VERSION_1)) &&
                 (flags & START_FEATURES_OK) && (flags & START_DRIVER_OK);
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

/* Descriptors @vq has left; only the ending reuses one. */
static uint32_t desc_left(FuzzQueue *q)
{
    return q->vq->size - q->vq->free_head;
}

static uint32_t take_desc(FuzzQueue *q)
{
    q->vq->num_free--;
    return q->vq->free_head++;
}

/* Entry @i of a descriptor table (the ring's or an indirect one). */
static void put_desc(FuzzDev *d, uint64_t table, uint32_t i, uint64_t addr,
                     uint32_t len, uint16_t flags, uint16_t next)
{
    uint64_t e = table + sizeof(struct vring_desc) * i;

    qtest_writeq(d->qts, e, addr);
    qtest_writel(d->qts, e + 8, len);
    qtest_writew(d->qts, e + 12, flags);
    qtest_writew(d->qts, e + 14, next);
}

/* Where a BUF_MMIO or BUF_OUTSIDE descriptor points, picked by @arg. */
static uint64_t odd_addr(FuzzDev *d, uint8_t flags, uint8_t arg)
{
    static const uint64_t outside[] = {
        GUEST_RAM_END * 2ull,   /* nothing there */
        GUEST_RAM_END - 8,      /* runs off the end of RAM */
        UINT64_MAX - 7,         /* wraps around */
        1ull << 52,             /* past any physical address */
    };

    if (flags & BUF_OUTSIDE) {
        return outside[arg % ARRAY_SIZE(outside)];
    }
    /* the device's own registers: common, ISR, device config, notify */
    return d->pci->bar.addr + (arg & 3) * 0x1000 + (arg >> 2) * 4;
}

/*
 * BUF_BAD_RING: the buffer behind something QEMU's core must refuse (or
 * at least survive); @arg picks what.  @second is where its second half
 * lies.
 */
static void add_bad_ring(FuzzDev *d, FuzzQueue *q, uint32_t head,
                         uint64_t addr, uint64_t second, uint32_t len,
                         uint16_t w, uint8_t arg)
{
    uint32_t first = len / 2, next;
    uint64_t table = guest_alloc(d->alloc, 64), inner;

    put_desc(d, table, 0, addr, first, w | VRING_DESC_F_NEXT, 1);
    put_desc(d, table, 1, second, len - first, w, 0);
    switch (arg % 8) {
    case 0:     /* a table length not a multiple of 16 */
        put_desc(d, q->vq->desc, head, table, 32 + 1 + (arg >> 3) % 15,
                 VRING_DESC_F_INDIRECT, 0);
        break;
    case 1:     /* a table whose entry is the table itself */
        put_desc(d, table, 0, table, 32, VRING_DESC_F_INDIRECT, 0);
        put_desc(d, q->vq->desc, head, table, 32, VRING_DESC_F_INDIRECT, 0);
        break;
    case 2:     /* nested: the table's one entry is another table */
        inner = guest_alloc(d->alloc, 16);
        put_desc(d, inner, 0, table, 32, VRING_DESC_F_INDIRECT, 0);
        put_desc(d, q->vq->desc, head, inner, 16, VRING_DESC_F_INDIRECT, 0);
        break;
    case 3:     /* a next index out of the table */
        put_desc(d, table, 0, addr, first, w | VRING_DESC_F_NEXT,
                 2 + (arg >> 3));
        put_desc(d, q->vq->desc, head, table, 32, VRING_DESC_F_INDIRECT, 0);
        break;
    case 4:     /* a loop: head -> next -> head */
        next = take_desc(q);
        put_desc(d, q->vq->desc, head, addr, first, w | VRING_DESC_F_NEXT,
                 next);
        put_desc(d, q->vq->desc, next, second, len - first,
                 w | VRING_DESC_F_NEXT, head);
        break;
    case 5:     /* a next index out of the ring */
        put_desc(d, q->vq->desc, head, addr, len, w | VRING_DESC_F_NEXT,
                 q->vq->size + (arg >> 3));
        break;
    case 6:     /* an empty table */
        put_desc(d, q->vq->desc, head, table, 0, VRING_DESC_F_INDIRECT, 0);
        break;
    default:    /* a descriptor that is its own next */
        put_desc(d, q->vq->desc, head, addr, len, w | VRING_DESC_F_NEXT,
                 head);
        break;
    }
}

/*
 * Put @len bytes at @addr on @q as one, two chained, or one indirect
 * descriptor(s), or behind a bad ring; returns the head.  Off-RAM flags
 * move the whole buffer, or its second half when it has two.  Needs
 * desc_left(q) >= 2.
 */
static uint32_t add_buf(FuzzDev *d, FuzzQueue *q, uint64_t addr, uint32_t len,
                        bool write, uint8_t flags, uint8_t arg)
{
    uint16_t w = write ? VRING_DESC_F_WRITE : 0;
    bool indirect = (flags & BUF_INDIRECT) && q->vq->indirect;
    uint32_t first = len / 2, head = take_desc(q), next;
    uint64_t second = addr + first, table;

    if (flags & (BUF_MMIO | BUF_OUTSIDE)) {
        if (indirect || (flags & (BUF_SPLIT | BUF_BAD_RING))) {
            second = odd_addr(d, flags, arg);
        } else {
            addr = odd_addr(d, flags, arg);
        }
    }
    if (flags & BUF_BAD_RING) {
        add_bad_ring(d, q, head, addr, second, len, w, arg);
    } else if (indirect) {
        table = guest_alloc(d->alloc, 2 * sizeof(struct vring_desc));
        put_desc(d, table, 0, addr, first, w | VRING_DESC_F_NEXT, 1);
        put_desc(d, table, 1, second, len - first, w, 0);
        put_desc(d, q->vq->desc, head, table, 2 * sizeof(struct vring_desc),
                 VRING_DESC_F_INDIRECT, 0);
    } else if (flags & BUF_SPLIT) {
        next = take_desc(q);
        put_desc(d, q->vq->desc, head, addr, first, w | VRING_DESC_F_NEXT,
                 next);
        put_desc(d, q->vq->desc, next, second, len - first, w, 0);
    } else {
        put_desc(d, q->vq->desc, head, addr, len, w, 0);
    }
    q->cap[head] = write ? len : 0;
    q->addr[head] = addr;
    return head;
}

/*
 * Notify as Linux does (virtqueue_kick_prepare): with EVENT_IDX only when
 * the device's avail_event lies among the entries added since the last
 * decision, so a device that sets avail_event wrong misses the kick; else
 * unless the device set VRING_USED_F_NO_NOTIFY.
 */
static void kick(FuzzDev *d, FuzzQueue *q)
{
    QVirtQueue *vq = q->vq;
    uint16_t new = qtest_readw(d->qts, vq->avail + 2), old = q->kicked;
    bool need;

    if (vq->event) {
        need = vring_need_event(qtest_readw(d->qts,
                                            vq->used + 4 + 8 * vq->size),
                                new, old);
    } else {
        need = !(qtest_readw(d->qts, vq->used) & VRING_USED_F_NO_NOTIFY);
    }
    q->kicked = new;
    if (need) {
        d->vdev->bus->virtqueue_kick(d->vdev, vq);
    }
}

/* Make @head available. */
static void make_avail(FuzzDev *d, FuzzQueue *q, uint32_t head)
{
    uint16_t idx = qtest_readw(d->qts, q->vq->avail + 2);

    qtest_writew(d->qts, q->vq->avail + 4 + 2 * (idx % q->vq->size), head);
    qtest_writew(d->qts, q->vq->avail + 2, idx + 1);
    q->out[head]++;
}

/* Make @head available, and notify unless the flags say batch. */
static void publish(FuzzDev *d, FuzzQueue *q, uint32_t head, uint8_t flags)
{
    make_avail(d, q, head);
    if (!(flags & BUF_NO_KICK)) {
        kick(d, q);
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
    uint8_t arg = (flags & BUF_ARG) ? in_u8(in) : 0;
    struct virtio_simple_hdr hdr;
    g_autofree uint8_t *buf = g_malloc0(HDR + len);
    FuzzReq *r;
    uint64_t addr;

    len = in_bytes(in, buf + HDR, len);
    if (!q->vq || desc_left(q) < 2 || d->n_req == MAX_QUEUE) {
        return;
    }
    r = &d->req[d->n_req++];
    r->id = ID_TAG | d->next_id++;
    r->op = op;
    r->hdr_len = len + ((flags & BUF_SKEW_LEN) ? skew : 0);
    r->len = len;
    r->payload = g_memdup2(buf + HDR, len);
    r->answers = 0;
    d->delays |= op == VIRTIO_SIMPLE_OP_DELAY;
    hdr.id = cpu_to_le64(r->id);
    hdr.op = cpu_to_le16(op);
    hdr.status = 0;
    hdr.len = cpu_to_le32(r->hdr_len);
    memcpy(buf, &hdr, HDR);
    addr = guest_alloc(d->alloc, HDR + len);
    qtest_memwrite(d->qts, addr, buf, HDR + len);
    r->head = add_buf(d, q, addr, HDR + len, flags & BUF_WRONG_DIR, flags,
                      arg);
    if (flags & BUF_IRREGULAR) {
        d->irregular = true;
    }
    publish(d, q, r->head, flags);
}

static void cmd_response(FuzzDev *d, Input *in)
{
    FuzzQueue *q = &d->q[VIRTIO_SIMPLE_VQ_RESPONSE];
    uint32_t cap = in_u16(in) % MAX_BUF;
    uint8_t flags = in_u8(in);
    uint8_t arg = (flags & BUF_ARG) ? in_u8(in) : 0;
    uint64_t addr;

    if (!q->vq || desc_left(q) < 2) {
        return;
    }
    /* shorter than a header: a violation whenever the device pops it */
    if ((flags & BUF_IRREGULAR) || cap < HDR) {
        d->irregular = true;
    }
    addr = guest_alloc(d->alloc, MAX(cap, 1));
    publish(d, q, add_buf(d, q, addr, cap, !(flags & BUF_WRONG_DIR), flags,
                          arg), flags);
}

static void cmd_queue_reset(FuzzDev *d, Input *in)
{
    /* 2 is no queue at all */
    common_writew(d, VIRTIO_PCI_COMMON_Q_SELECT, in_u8(in) % 3);
    common_writew(d, VIRTIO_PCI_COMMON_Q_RESET, 1);
    d->irregular = true;
}

/* The avail index runs ahead of what was written: stale slots get popped. */
static void cmd_avail_skip(FuzzDev *d, Input *in)
{
    FuzzQueue *q = &d->q[in_u8(in) % VIRTIO_SIMPLE_VQ_MAX];
    uint8_t n = in_u8(in);

    if (!q->vq) {
        return;
    }
    d->irregular = true;
    qtest_writew(d->qts, q->vq->avail + 2,
                 qtest_readw(d->qts, q->vq->avail + 2) + n);
    d->vdev->bus->virtqueue_kick(d->vdev, q->vq);
}

static void cmd_status(FuzzDev *d, Input *in)
{
    uint8_t status = in_u8(in);

    d->irregular = true;
    /* a reset: the device's used idx restarts, the ring's does not */
    if (!status) {
        d->raw_reset = true;
    }
    write_status(d, status);
}

/* Entry @k of @q's used ring: head and length. */
static void used_elem(FuzzDev *d, FuzzQueue *q, uint16_t k, uint32_t *head,
                      uint32_t *len)
{
    uint64_t elem = q->vq->used + 4 + 8 * (k % q->vq->size);

    *head = qtest_readl(d->qts, elem);
    *len = qtest_readl(d->qts, elem + 4);
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
            uint32_t head, used;

            used_elem(d, q, k, &head, &used);
            if (head < q->vq->free_head) {
                g_assert_cmpuint(used, <=, q->cap[head]);
            }
        }
    }
}

/* CRC-32C of @n bytes continuing @so_far (0 to start), bit by bit */
static uint32_t crc32c(uint32_t so_far, const uint8_t *p, size_t n)
{
    uint32_t c = so_far ^ 0xffffffff;
    int k;

    while (n--) {
        c ^= *p++;
        for (k = 0; k < 8; k++) {
            c = (c >> 1) ^ (c & 1 ? 0x82f63b78 : 0);
        }
    }
    return c ^ 0xffffffff;
}

/* docs/spec.md 5.1 and 5.2: @r's answer; its payload into @buf. */
static uint16_t expect(const FuzzReq *r, uint8_t *buf, uint32_t *len)
{
    *len = 0;
    if (r->hdr_len != r->len) {
        return VIRTIO_SIMPLE_S_EINVAL;
    }
    if (r->len > FUZZ_MAX_PAYLOAD) {
        return VIRTIO_SIMPLE_S_E2BIG;
    }
    switch (r->op) {
    case VIRTIO_SIMPLE_OP_ECHO:
        if (r->len) {
            memcpy(buf, r->payload, r->len);
        }
        *len = r->len;
        return VIRTIO_SIMPLE_S_OK;
    case VIRTIO_SIMPLE_OP_CRC32C:
        stl_le_p(buf, crc32c(0, r->payload, r->len));
        *len = 4;
        return VIRTIO_SIMPLE_S_OK;
    case VIRTIO_SIMPLE_OP_CRC32C_UPDATE:
        if (r->len < 4) {
            return VIRTIO_SIMPLE_S_EINVAL;
        }
        /* ldl_le_p() returns an int: the CRC so far is unsigned */
        stl_le_p(buf, crc32c((uint32_t)ldl_le_p(r->payload), r->payload + 4,
                             r->len - 4));
        *len = 4;
        return VIRTIO_SIMPLE_S_OK;
    case VIRTIO_SIMPLE_OP_DELAY:
        /* ldl_le_p() returns an int: the argument is unsigned */
        return r->len == 4 &&
               (uint32_t)ldl_le_p(r->payload) <= VIRTIO_SIMPLE_DELAY_MAX_US
               ? VIRTIO_SIMPLE_S_OK : VIRTIO_SIMPLE_S_EINVAL;
    default:
        return VIRTIO_SIMPLE_S_ENOTSUP;
    }
}

/*
 * One used responseq element: an answer to a request of this session,
 * its first, and the right one for the buffer it went into.
 */
static void check_answer(FuzzDev *d, uint32_t head, uint32_t used)
{
    FuzzQueue *q = &d->q[VIRTIO_SIMPLE_VQ_RESPONSE];
    uint8_t want[FUZZ_MAX_PAYLOAD], got[FUZZ_MAX_PAYLOAD];
    struct virtio_simple_hdr h;
    uint32_t want_len;
    uint16_t status;
    uint64_t n;
    FuzzReq *r;

    g_assert_cmpuint(head, <, q->vq->size);
    g_assert_cmpuint(q->out[head], >, 0);     /* posted, not used twice */
    q->out[head]--;
    g_assert_cmpuint(used, >=, HDR);
    g_assert_cmpuint(used, <=, q->cap[head]);
    qtest_memread(d->qts, q->addr[head], &h, HDR);
    n = le64_to_cpu(h.id) - d->first_id - ID_TAG;
    g_assert_cmpuint(n, <, d->n_req);         /* an id of ours */
    r = &d->req[n];
    g_assert_cmpuint(r->answers, ==, 0);      /* answered once */
    r->answers++;
    status = expect(r, want, &want_len);
    if (HDR + want_len > q->cap[head]) {
        status = VIRTIO_SIMPLE_S_EMSGSIZE;
        want_len = 0;
    }
    g_assert_cmpuint(le16_to_cpu(h.op), ==, r->op);
    g_assert_cmpuint(le16_to_cpu(h.status), ==, status);
    g_assert_cmpuint(le32_to_cpu(h.len), ==, want_len);
    g_assert_cmpuint(used, ==, HDR + want_len);
    if (want_len) {
        qtest_memread(d->qts, q->addr[head] + HDR, got, want_len);
        g_assert(!memcmp(got, want, want_len));
    }
}

/* Check responseq's used entries from @from on; returns where they end. */
static uint16_t check_answers(FuzzDev *d, uint16_t from)
{
    FuzzQueue *q = &d->q[VIRTIO_SIMPLE_VQ_RESPONSE];
    uint16_t to = qtest_readw(d->qts, q->vq->used + 2), k;

    g_assert_cmpuint((uint16_t)(to - from), <=, q->vq->size);
    for (k = from; k != to; k++) {
        uint32_t head, used;

        used_elem(d, q, k, &head, &used);
        check_answer(d, head, used);
    }
    return to;
}

/*
 * Post a buffer of max_payload + header for every request not answered
 * yet, on fresh descriptors, then on heads already used (each once; a
 * used buffer's descriptors are the driver's again), and notify.
 */
static void post_final_buffers(FuzzDev *d)
{
    FuzzQueue *q = &d->q[VIRTIO_SIMPLE_VQ_RESPONSE];
    QVirtQueue *vq = q->vq;
    uint16_t pending = qtest_readw(d->qts, vq->avail + 2) -
                       virtio_queue_get_last_avail_idx(d->dev, vq->index);
    unsigned missing = 0, room = vq->size - MIN(pending, vq->size), i;
    g_autofree bool *reused = g_new0(bool, vq->size);

    for (i = 0; i < d->n_req; i++) {
        missing += !d->req[i].answers;
    }
    for (i = 0; missing && room; i++, missing--, room--) {
        uint32_t head = UINT32_MAX, h;
        uint64_t addr;

        if (desc_left(q)) {
            head = take_desc(q);
        } else {
            for (h = 0; h < vq->size && head == UINT32_MAX; h++) {
                if (q->cap[h] && !q->out[h] && !reused[h]) {
                    head = h;
                }
            }
            if (head == UINT32_MAX) {
                break;
            }
            reused[head] = true;
        }
        addr = guest_alloc(d->alloc, HDR + FUZZ_MAX_PAYLOAD);
        put_desc(d, vq->desc, head, addr, HDR + FUZZ_MAX_PAYLOAD,
                 VRING_DESC_F_WRITE, 0);
        q->cap[head] = HDR + FUZZ_MAX_PAYLOAD;
        q->addr[head] = addr;
        make_avail(d, q, head);
    }
    /* requests batched without a kick get theirs now, as in Linux */
    kick(d, &d->q[VIRTIO_SIMPLE_VQ_REQUEST]);
    kick(d, q);
    /* an ioeventfd kick runs in the main loop: before the clock moves */
    flush_events(d->qts);
}

/* Every request of this session came back once, empty, and was answered. */
static void check_requests(FuzzDev *d)
{
    FuzzQueue *q = &d->q[VIRTIO_SIMPLE_VQ_REQUEST];
    uint16_t n = qtest_readw(d->qts, q->vq->used + 2), k;
    unsigned i;

    g_assert_cmpuint(n, <=, q->vq->size);
    for (k = 0; k < n; k++) {
        uint32_t head, used;

        used_elem(d, q, k, &head, &used);
        g_assert_cmpuint(head, <, q->vq->size);
        g_assert_cmpuint(q->out[head], >, 0);
        q->out[head]--;
        g_assert_cmpuint(used, ==, 0);
    }
    for (i = 0; i < d->n_req; i++) {
        g_assert_cmpuint(q->out[d->req[i].head], ==, 0);   /* used */
        g_assert_cmpuint(d->req[i].answers, ==, 1);        /* answered */
    }
}

/*
 * A device that works holds no element between notifications (spec 6.6):
 * what it popped, it returned.  Unless it broke (it may drop what it held
 * then), or a raw reset left the ring's used idx behind the device's.
 */
static void check_held(FuzzDev *d)
{
    int i;

    if (d->raw_reset || d->dev->broken) {
        return;
    }
    for (i = 0; i < VIRTIO_SIMPLE_VQ_MAX; i++) {
        FuzzQueue *q = &d->q[i];

        if (q->vq) {
            g_assert_cmpuint(virtio_queue_get_last_avail_idx(d->dev, i), ==,
                             qtest_readw(d->qts, q->vq->used + 2));
        }
    }
}

/* The device must answer everything: nothing made it stop or guess. */
static bool must_answer(FuzzDev *d)
{
    uint8_t status = read_status(d);

    return d->serving && !d->irregular &&
           (status & VIRTIO_CONFIG_S_DRIVER_OK) &&
           (status & VIRTIO_CONFIG_S_FEATURES_OK) &&
           !(status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* A second of virtual time costs real time (the machine's timers). */
static void step_past_delays(FuzzDev *d)
{
    if (d->delays) {
        qtest_clock_step(d->qts,
                         (int64_t)VIRTIO_SIMPLE_DELAY_MAX_US * SCALE_US +
                         SCALE_MS);
    }
    flush_events(d->qts);
}

/*
 * The ending: let every DELAY expire and check the used rings.  When the
 * device must answer, give it a buffer per missing answer, notify, let
 * DELAYs expire again, and require every request used once and answered
 * once, rightly.
 */
static void finish(FuzzDev *d)
{
    uint16_t seen;

    step_past_delays(d);
    check_used(d);
    if (must_answer(d)) {
        seen = check_answers(d, 0);
        post_final_buffers(d);
        step_past_delays(d);
        /* our buffers were all good: nothing to refuse */
        g_assert_false(read_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
        check_answers(d, seen);
        check_requests(d);
    }
    check_held(d);
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
            cmd_status(d, in);
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
    FuzzDev *d = g_new0(FuzzDev, 1);
    Input in = { .p = data, .left = size };

    d->qts = s;
    d->vdev = vs->vdev;
    d->pci = container_of(vs->vdev, QVirtioPCIDevice, vdev);
    d->alloc = fuzz_qos_alloc;
    d->dev = VIRTIO_DEVICE(object_resolve_path_type("", TYPE_VIRTIO_SIMPLE,
                                                    NULL));
    d->first_id = d->next_id = 0;
    /* config reads are allowed before negotiation; libqos asks for it */
    d->vdev->features_negotiated = true;
    run_commands(d, &in);
    finish(d);
    /* ours freed, so that what LeakSanitizer finds is QEMU's */
    forget_requests(d);
    free_queues(d);
    g_free(d);
}

#ifdef QEMU_SANITIZE_ADDRESS
/*
 * A leak check scans all of QEMU's heap (some 0.2 s, ten inputs' time):
 * VSIMPLE_FUZZ_LEAK_EVERY=N checks one input in N, chosen by a hash of
 * its bytes so that the same input is checked again; unset, every input
 * (as when one is reproduced).  ASAN_OPTIONS=detect_leaks=0 checks none.
 */
static bool leak_check_wanted(const unsigned char *data, size_t size)
{
    const char *every = getenv("VSIMPLE_FUZZ_LEAK_EVERY");
    unsigned int n = 1;
    uint32_t h = 2166136261u;   /* FNV-1a */

    if (every && qemu_strtoui(every, NULL, 10, &n) < 0) {
        n = 1;
    }

    while (size--) {
        h = (h ^ *data++) * 16777619u;
    }
    return n && h % n == 0;
}
#endif

/*
 * libFuzzer closes stderr (-close_fd_mask): a failed check in a child
 * would leave no word of why.  With VSIMPLE_FUZZ_CHILD_LOGS=DIR each child
 * writes its stderr to DIR/child.PID, removed when the child passes.
 */
static bool child_stderr_to_file(char *path, size_t len)
{
    const char *dir = getenv("VSIMPLE_FUZZ_CHILD_LOGS");
    int fd;

    if (!dir) {
        return false;
    }
    snprintf(path, len, "%s/child.%d", dir, (int)getpid());
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        return false;
    }
    dup2(fd, STDERR_FILENO);
    close(fd);
    return true;
}

/*
 * A crash, sanitizer report, failed check or leak in the child fails the
 * input.  The child never returns to libFuzzer, whose leak check would
 * run after the input: it looks for leaks itself before it exits.
 */
static void virtio_simple_fork_fuzz(QTestState *s, const unsigned char *data,
                                    size_t size)
{
    int status;

    if (fork() == 0) {
        char log[PATH_MAX];
        bool logged;

        /* a child stuck in a hang must not outlive libFuzzer's timeout */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        logged = child_stderr_to_file(log, sizeof(log));
        virtio_simple_fuzz(s, data, size);
#ifdef QEMU_SANITIZE_ADDRESS
        if (leak_check_wanted(data, size) &&
            __lsan_do_recoverable_leak_check()) {
            _Exit(1);
        }
#endif
        if (logged) {
            unlink(log);
        }
        _Exit(0);
    }
    flush_events(s);
    if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
        abort();
    }
}

static void virtio_simple_pre_fuzz(QTestState *s)
{
#ifdef QEMU_SANITIZE_ADDRESS
    char name[64];

    /*
     * Start the symbolizer here, once: the children inherit it.  Their
     * leak checks symbolize to match tests/fuzz/lsan.supp, and one started
     * in each child would cost more than the input.
     */
    __sanitizer_symbolize_pc((void *)virtio_simple_pre_fuzz, "%f", name,
                             sizeof(name));
#endif
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
