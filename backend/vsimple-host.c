/*
 * libvsimple-host: the virtio-simple device in a host process, on QEMU's
 * libvhost-user (built from the QEMU source the project fetches)
 *
 * One thread, one poll() loop: the listening socket, the vhost-user
 * connection, the kick eventfds libvhost-user asks us to watch, a timerfd
 * for DELAY and an eventfd to stop.  Requests are served as the in-QEMU
 * device serves them (device/hw/virtio/virtio-simple.c), through the same
 * common/virtio-simple-ops.c; what differs is said where it differs.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "libvhost-user.h"
#include "hw/virtio/virtio-simple-ops.h"
#include "standard-headers/linux/virtio_simple.h"
#include "vsimple-host.h"

#define MAX_PENDING VIRTIO_SIMPLE_DELAY_MAX_PENDING
#define MAX_OPS 64
#define MAX_WATCHES 16
/* Requests taken per run before the loop looks at its other fds */
#define BUDGET 64

struct vsimple_watch {
    int fd;
    int events;
    vu_watch_cb cb;
    void *data;
};

struct vsimple_delayed {
    uint64_t id;
    uint64_t deadline;          /* CLOCK_MONOTONIC, ns */
};

struct vsimple_ready {
    uint64_t id;
};

struct vsimple_op {
    uint16_t op;
    vsimple_host_op_fn *fn;
    void *opaque;
};

struct vsimple_host {
    VuDev dev;                  /* first: callbacks get &h->dev */
    struct vsimple_host_options opt;
    uint8_t label[VIRTIO_SIMPLE_LABEL_SIZE];
    char *socket_path;          /* ours: unlinked at the end if we bound it */
    int listen_fd, stop_fd, timer_fd;
    bool bound;
    bool connected;
    bool drop;                  /* close the connection (a violation) */
    bool more;                  /* a run stopped at its budget: run again */

    struct vsimple_watch watch[MAX_WATCHES];
    unsigned int n_watch;

    /* pending DELAYs, as the device's: at most MAX_PENDING in all */
    struct vsimple_delayed delayed[MAX_PENDING];
    unsigned int n_delayed;
    struct vsimple_ready ready[MAX_PENDING];
    unsigned int ready_head, n_ready;

    struct vsimple_op ops[MAX_OPS];
    unsigned int n_ops;
};

static struct vsimple_host *host_of(VuDev *dev)
{
    return (struct vsimple_host *)dev;
}

__attribute__((format(printf, 2, 3)))
static void say(struct vsimple_host *h, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (h->opt.log) {
        h->opt.log(line);
    } else {
        fprintf(stderr, "vhost-user-simple: %s\n", line);
    }
}

/*
 * A transport violation: the in-QEMU device sets NEEDS_RESET; a backend
 * cannot, so it drops the connection and the front-end does it (see
 * device/hw/virtio/vhost-user-simple.c).  Nothing more is taken from the
 * rings; what was already answered is still notified, then the serve loop
 * closes the connection.
 */
static void vsimple_fail(struct vsimple_host *h, const char *what)
{
    say(h, "transport error: %s: dropping the connection", what);
    h->drop = true;
}

/* libvhost-user's own findings (a bad descriptor, a bad message) */
static void vsimple_panic(VuDev *dev, const char *err)
{
    vsimple_fail(host_of(dev), err ? err : "libvhost-user panic");
}

static void vsimple_set_watch(VuDev *dev, int fd, int condition,
                              vu_watch_cb cb, void *data)
{
    struct vsimple_host *h = host_of(dev);
    unsigned int i;

    i = 0;
    while (i < h->n_watch && h->watch[i].fd != fd) {
        i++;
    }
    if (i == MAX_WATCHES) {
        vsimple_fail(h, "too many file descriptors to watch");
        return;
    }
    if (i == h->n_watch) {
        h->n_watch++;
    }
    h->watch[i] = (struct vsimple_watch){ fd, condition, cb, data };
}

static void vsimple_remove_watch(VuDev *dev, int fd)
{
    struct vsimple_host *h = host_of(dev);
    unsigned int i;

    for (i = 0; i < h->n_watch; i++) {
        if (h->watch[i].fd == fd) {
            h->watch[i] = h->watch[--h->n_watch];
            return;
        }
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void vsimple_arm_timer(struct vsimple_host *h)
{
    struct itimerspec its = { 0 };
    uint64_t first = UINT64_MAX;
    unsigned int i;

    for (i = 0; i < h->n_delayed; i++) {
        if (h->delayed[i].deadline < first) {
            first = h->delayed[i].deadline;
        }
    }
    if (h->n_delayed) {         /* absolute; 0 would disarm it */
        its.it_value.tv_sec = first / 1000000000ull;
        its.it_value.tv_nsec = first % 1000000000ull ?: 1;
    }
    timerfd_settime(h->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* A device reset, or the connection gone: no pending answer survives. */
static void vsimple_forget_pending(struct vsimple_host *h)
{
    h->n_delayed = 0;
    h->n_ready = 0;
    h->ready_head = 0;
    vsimple_arm_timer(h);
}

/* Ops of the host program's own, from vsimple_answer() */
static uint16_t vsimple_dispatch(void *opaque, uint16_t op,
                                 const uint8_t *req, uint32_t len,
                                 uint8_t *out, uint32_t out_cap,
                                 uint32_t *out_len)
{
    struct vsimple_host *h = opaque;
    unsigned int i;

    for (i = 0; i < h->n_ops; i++) {
        if (h->ops[i].op == op) {
            return h->ops[i].fn(h->ops[i].opaque, op, req, len, out, out_cap,
                                out_len);
        }
    }
    return VIRTIO_SIMPLE_S_ENOTSUP;
}

/*
 * A queue is served once it is started (its kick fd), enabled and has a
 * call fd to notify through: QEMU sends the call fd and the enable after
 * the kick, and a notification without one would fail.
 */
static bool vsimple_queue_ready(struct vsimple_host *h, int qidx)
{
    VuVirtq *vq = vu_get_queue(&h->dev, qidx);

    return vu_queue_started(&h->dev, vq) && vu_queue_enabled(&h->dev, vq) &&
           vq->call_fd >= 0;
}

static bool vsimple_ready_to_serve(struct vsimple_host *h)
{
    return h->connected && !h->drop && !h->dev.broken &&
           vsimple_queue_ready(h, VIRTIO_SIMPLE_VQ_REQUEST) &&
           vsimple_queue_ready(h, VIRTIO_SIMPLE_VQ_RESPONSE);
}

/* Pop a response buffer and check its shape; NULL when none or bad. */
static VuVirtqElement *vsimple_pop_response(struct vsimple_host *h)
{
    VuVirtq *vq = vu_get_queue(&h->dev, VIRTIO_SIMPLE_VQ_RESPONSE);
    VuVirtqElement *resp = vu_queue_pop(&h->dev, vq, sizeof(*resp));
    const char *wrong;

    if (!resp) {
        return NULL;
    }
    wrong = vsimple_check_response_chain(resp->in_sg, resp->in_num,
                                         resp->out_num);
    if (wrong) {
        vsimple_fail(h, wrong);
        free(resp);
        return NULL;
    }
    return resp;
}

/* Send finished DELAY answers while responseq has buffers. */
static bool vsimple_flush_ready(struct vsimple_host *h)
{
    VuVirtq *vq = vu_get_queue(&h->dev, VIRTIO_SIMPLE_VQ_RESPONSE);
    bool pushed = false;

    while (h->n_ready) {
        struct vsimple_ready *r = &h->ready[h->ready_head];
        VuVirtqElement *resp = vsimple_pop_response(h);
        VSimpleAnswer a;

        if (!resp) {
            break;
        }
        a = vsimple_write_response(resp->in_sg, resp->in_num, r->id,
                                   VIRTIO_SIMPLE_OP_DELAY, VIRTIO_SIMPLE_S_OK,
                                   NULL, 0, VSIMPLE_FAULT_NONE);
        vu_queue_push(&h->dev, vq, resp, a.written);
        free(resp);
        h->ready_head = (h->ready_head + 1) % MAX_PENDING;
        h->n_ready--;
        pushed = true;
    }
    return pushed;
}

static void vsimple_start_delay(struct vsimple_host *h, uint64_t id,
                                uint32_t usec)
{
    struct vsimple_delayed *d = &h->delayed[h->n_delayed++];

    d->id = id;
    d->deadline = now_ns() + (uint64_t)usec * 1000;
    vsimple_arm_timer(h);
}

/*
 * Take one request, as the device does: immediate ops only with a
 * response buffer at hand, so nothing waits here but header-only DELAY
 * answers.  Returns false to stop the loop.
 */
static bool vsimple_take_request(struct vsimple_host *h, bool *req_used,
                                 bool *resp_used)
{
    VuVirtq *req_vq = vu_get_queue(&h->dev, VIRTIO_SIMPLE_VQ_REQUEST);
    VuVirtq *resp_vq = vu_get_queue(&h->dev, VIRTIO_SIMPLE_VQ_RESPONSE);
    VuVirtqElement *elem, *resp;
    VSimpleRequest req;
    VSimpleFault fault = VSIMPLE_FAULT_NONE;
    VSimpleAnswer a;
    const char *wrong;
    uint32_t usec;

    elem = vu_queue_pop(&h->dev, req_vq, sizeof(*elem));
    if (!elem) {
        return false;
    }
    /* ANSWER_IN_PLACE is QEMU's device's alone: never offered here */
    wrong = vsimple_check_request_chain(elem->out_sg, elem->out_num,
                                        elem->in_sg, elem->in_num, false);
    if (wrong) {
        vsimple_fail(h, wrong);
        free(elem);
        return false;
    }
    vsimple_parse(elem->out_sg, elem->out_num, h->opt.max_payload, &req);

#ifdef VSIMPLE_FAULT_INJECTION
    if (h->opt.fault_injection) {
        fault = vsimple_fault_of(elem->out_sg, elem->out_num, &req);
    }
#endif
    if (vsimple_delay_arg(elem->out_sg, elem->out_num, &req, &usec) ||
        fault == VSIMPLE_FAULT_DROP) {
        if (fault != VSIMPLE_FAULT_DROP) {
            vsimple_start_delay(h, req.id, usec);
        }
        vu_queue_push(&h->dev, req_vq, elem, 0);
        free(elem);
        *req_used = true;
        return true;
    }

    resp = vsimple_pop_response(h);
    if (!resp) {
        /* checked not empty: the ring or the buffer was bad */
        vu_queue_unpop(&h->dev, req_vq, elem, 0);
        free(elem);
        return false;
    }
    a = vsimple_answer(&req, elem->out_sg, elem->out_num, resp->in_sg,
                       resp->in_num, h->opt.max_payload, vsimple_dispatch, h,
                       fault);
    if (fault == VSIMPLE_FAULT_RESET && a.status == VIRTIO_SIMPLE_S_OK) {
        /* as the broken device in QEMU: neither element comes back */
        free(elem);
        free(resp);
        vsimple_fail(h, "fault injection: needs reset");
        return false;
    }
    vu_queue_push(&h->dev, req_vq, elem, 0);
    vu_queue_push(&h->dev, resp_vq, resp, a.written);
    free(elem);
    free(resp);
    *req_used = true;
    *resp_used = true;
    return true;
}

/* All processing: after a kick of either queue and a DELAY's expiry. */
static void vsimple_run(struct vsimple_host *h)
{
    VuVirtq *req_vq = vu_get_queue(&h->dev, VIRTIO_SIMPLE_VQ_REQUEST);
    VuVirtq *resp_vq = vu_get_queue(&h->dev, VIRTIO_SIMPLE_VQ_RESPONSE);
    bool req_used = false, resp_used;
    unsigned int budget = BUDGET;

    if (!vsimple_ready_to_serve(h)) {
        return;
    }
    /* only a VERSION_1 driver is served, as by the device */
    if (!vu_queue_empty(&h->dev, req_vq) &&
        !(h->dev.features & (1ull << VIRTIO_F_VERSION_1))) {
        vsimple_fail(h, "driver did not accept VIRTIO_F_VERSION_1");
        return;
    }
    resp_used = vsimple_flush_ready(h);
    while (!h->drop && !h->dev.broken && h->n_ready == 0 &&
           h->n_delayed < MAX_PENDING && !vu_queue_empty(&h->dev, resp_vq)) {
        /*
         * Yield to the loop's other fds, and come back: with EVENT_IDX
         * the driver does not kick again for what is already queued.
         */
        if (budget-- == 0) {
            h->more = true;
            break;
        }
        if (!vsimple_take_request(h, &req_used, &resp_used)) {
            break;
        }
    }
    if (req_used) {
        vu_queue_notify(&h->dev, req_vq);
    }
    if (resp_used) {
        vu_queue_notify(&h->dev, resp_vq);
    }
}

static void vsimple_kick(VuDev *dev, int qidx)
{
    vsimple_run(host_of(dev));
}

/* Move every expired DELAY, earliest first, to the ready ring. */
static void vsimple_delay_expired(struct vsimple_host *h)
{
    uint64_t now = now_ns(), ticks;

    if (read(h->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN) {
        say(h, "timerfd: %s", strerror(errno));
    }
    for (;;) {
        unsigned int i, first = 0;

        for (i = 1; i < h->n_delayed; i++) {
            if (h->delayed[i].deadline < h->delayed[first].deadline) {
                first = i;
            }
        }
        if (!h->n_delayed || h->delayed[first].deadline > now) {
            break;
        }
        h->ready[(h->ready_head + h->n_ready) % MAX_PENDING].id =
            h->delayed[first].id;
        h->n_ready++;
        h->delayed[first] = h->delayed[--h->n_delayed];
    }
    vsimple_arm_timer(h);
    vsimple_run(h);
}

/*
 * A queue starts when QEMU hands it over (DRIVER_OK) and stops on a
 * device reset or a stopped VM: pending DELAYs belong to the device's
 * life before the reset and are dropped, as the device's reset does.
 */
static void vsimple_queue_set_started(VuDev *dev, int qidx, bool started)
{
    struct vsimple_host *h = host_of(dev);

    if (qidx >= VIRTIO_SIMPLE_VQ_MAX) {
        vsimple_fail(h, "a virtqueue the device does not have");
        return;
    }
    vu_set_queue_handler(dev, vu_get_queue(dev, qidx),
                         started ? vsimple_kick : NULL);
    if (!started) {
        vsimple_forget_pending(h);
    } else {
        vsimple_run(h);
    }
}

static int vsimple_get_config(VuDev *dev, uint8_t *config, uint32_t len)
{
    struct vsimple_host *h = host_of(dev);
    struct virtio_simple_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.magic = htole32(VIRTIO_SIMPLE_MAGIC);
    cfg.max_payload = htole32(h->opt.max_payload);
    memcpy(cfg.label, h->label, sizeof(cfg.label));
    memcpy(config, &cfg, len < sizeof(cfg) ? len : sizeof(cfg));
    return 0;
}

/*
 * The label, set from the host (qom-set on the front-end), which writes it
 * here whole; nothing else.  The driver cannot write the config space: the
 * front-end has no set_config, so its writes never leave QEMU.  Anything
 * else is ignored, not refused: libvhost-user answers a refusal by
 * dropping the connection, after acknowledging the write.
 */
static int vsimple_set_config(VuDev *dev, const uint8_t *data,
                              uint32_t offset, uint32_t size, uint32_t flags)
{
    struct vsimple_host *h = host_of(dev);
    const uint8_t *nul = NULL;

    if (offset == offsetof(struct virtio_simple_config, label) &&
        size == VIRTIO_SIMPLE_LABEL_SIZE) {
        nul = memchr(data, 0, size);
    }
    if (!nul) {
        say(h, "ignored a config write of %u bytes at %u", size, offset);
        return 0;
    }
    memset(h->label, 0, sizeof(h->label));
    memcpy(h->label, data, nul - data);
    return 0;
}

/*
 * QEMU closed the connection: libvhost-user reads that as a message of
 * type VHOST_USER_NONE and, left alone, exit()s.  A backend outlives its
 * QEMU connections: take it as the end of this one.
 */
static int vsimple_process_msg(VuDev *dev, VhostUserMsg *vmsg, int *do_reply)
{
    if (vmsg->request != VHOST_USER_NONE) {
        return 0;
    }
    host_of(dev)->drop = true;
    *do_reply = 0;
    return 1;
}

static const VuDevIface vsimple_iface = {
    .process_msg = vsimple_process_msg,
    .queue_set_started = vsimple_queue_set_started,
    .get_config = vsimple_get_config,
    .set_config = vsimple_set_config,
};

int vsimple_host_new(const struct vsimple_host_options *o,
                     struct vsimple_host **hp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct vsimple_host *h;
    struct stat st;
    int err;

    *hp = NULL;
    if (!o->socket_path ||
        strlen(o->socket_path) >= sizeof(sa.sun_path) ||
        (o->label && strlen(o->label) >= VIRTIO_SIMPLE_LABEL_SIZE) ||
        (o->max_payload &&
         (o->max_payload < VIRTIO_SIMPLE_MAX_PAYLOAD_MIN ||
          o->max_payload > VIRTIO_SIMPLE_MAX_PAYLOAD_LIMIT))) {
        return -EINVAL;
    }
#ifndef VSIMPLE_FAULT_INJECTION
    if (o->fault_injection) {
        return -EOPNOTSUPP;
    }
#endif
    h = calloc(1, sizeof(*h));
    if (!h) {
        return -ENOMEM;
    }
    h->opt = *o;
    if (!h->opt.max_payload) {
        h->opt.max_payload = VIRTIO_SIMPLE_MAX_PAYLOAD_DEFAULT;
    }
    if (o->label) {
        memcpy(h->label, o->label, strlen(o->label));
    }
    h->listen_fd = h->stop_fd = h->timer_fd = -1;
    h->socket_path = strdup(o->socket_path);
    h->opt.socket_path = h->socket_path;
    strcpy(sa.sun_path, o->socket_path);
    /* a stale socket from an earlier run, never any other file */
    if (stat(sa.sun_path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        unlink(sa.sun_path);
    }
    h->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    h->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    h->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (!h->socket_path) {
        vsimple_host_free(h);
        return -ENOMEM;
    }
    if (h->listen_fd < 0 || h->stop_fd < 0 || h->timer_fd < 0 ||
        bind(h->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        err = -errno;
        vsimple_host_free(h);
        return err;
    }
    h->bound = true;
    if (listen(h->listen_fd, 1) < 0) {
        err = -errno;
        vsimple_host_free(h);
        return err;
    }
    *hp = h;
    return 0;
}

int vsimple_host_register_op(struct vsimple_host *h, uint16_t op,
                             vsimple_host_op_fn *fn, void *opaque)
{
    unsigned int i;

    if (vsimple_op_defined(op)) {       /* the protocol's own */
        return -EEXIST;
    }
    for (i = 0; i < h->n_ops; i++) {
        if (h->ops[i].op == op) {
            return -EEXIST;
        }
    }
    if (h->n_ops == MAX_OPS) {
        return -ENOSPC;
    }
    h->ops[h->n_ops++] = (struct vsimple_op){ op, fn, opaque };
    return 0;
}

static void vsimple_disconnect(struct vsimple_host *h)
{
    vu_deinit(&h->dev);         /* closes the socket and the queues' fds */
    h->n_watch = 0;
    h->connected = false;
    h->drop = false;
    h->more = false;
    vsimple_forget_pending(h);
    say(h, "QEMU disconnected; waiting for the next connection");
}

static bool vsimple_accept(struct vsimple_host *h)
{
    int fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC);

    if (fd < 0) {
        say(h, "accept: %s", strerror(errno));
        return false;
    }
    memset(&h->dev, 0, sizeof(h->dev));
    if (!vu_init(&h->dev, VIRTIO_SIMPLE_VQ_MAX, fd, vsimple_panic, NULL,
                 vsimple_set_watch, vsimple_remove_watch, &vsimple_iface)) {
        say(h, "vu_init failed");
        close(fd);
        return false;
    }
    h->connected = true;
    say(h, "QEMU connected");
    return true;
}

int vsimple_host_serve(struct vsimple_host *h)
{
    /* after listen(): a harness waits for this line before starting QEMU */
    say(h, "listening on %s", h->socket_path);
    for (;;) {
        struct pollfd pfd[3 + MAX_WATCHES];
        struct vsimple_watch watch[MAX_WATCHES];
        unsigned int n_watch = h->n_watch, i, n = 0;

        pfd[n++] = (struct pollfd){ h->stop_fd, POLLIN, 0 };
        pfd[n++] = (struct pollfd){ h->timer_fd, POLLIN, 0 };
        /* one connection at a time: listen only while there is none */
        pfd[n++] = (struct pollfd){ h->connected ? h->dev.sock : h->listen_fd,
                                    POLLIN, 0 };
        /* a copy: a callback may add or remove watches */
        memcpy(watch, h->watch, sizeof(watch[0]) * n_watch);
        for (i = 0; i < n_watch; i++) {
            pfd[n++] = (struct pollfd){ watch[i].fd, watch[i].events, 0 };
        }
        if (poll(pfd, n, h->more ? 0 : -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (pfd[0].revents) {
            return 0;
        }
        if (pfd[1].revents) {
            vsimple_delay_expired(h);
        }
        if (pfd[2].revents && !h->connected) {
            vsimple_accept(h);
            continue;
        }
        if (pfd[2].revents) {
            /*
             * A message may replace the fds polled above: their events
             * wait for the next poll, which sees the new ones.
             */
            if (!vu_dispatch(&h->dev)) {
                h->drop = true; /* QEMU closed its end */
            }
            if (h->drop) {
                vsimple_disconnect(h);
            } else {
                vsimple_run(h); /* a queue may have become ready */
            }
            continue;
        }
        for (i = 0; i < n_watch && !h->drop; i++) {
            if (pfd[3 + i].revents) {
                watch[i].cb(&h->dev, pfd[3 + i].revents, watch[i].data);
            }
        }
        if (h->more && !h->drop) {
            h->more = false;
            vsimple_run(h);
        }
        if (h->drop) {
            vsimple_disconnect(h);
        }
    }
}

void vsimple_host_stop(struct vsimple_host *h)
{
    uint64_t one = 1;

    if (write(h->stop_fd, &one, sizeof(one)) < 0) {
        /* already signalled: the counter is full */
    }
}

void vsimple_host_free(struct vsimple_host *h)
{
    if (!h) {
        return;
    }
    if (h->connected) {
        vu_deinit(&h->dev);
    }
    if (h->listen_fd >= 0) {
        close(h->listen_fd);
    }
    if (h->bound) {             /* ours, never a file that was there */
        unlink(h->socket_path);
    }
    if (h->stop_fd >= 0) {
        close(h->stop_fd);
    }
    if (h->timer_fd >= 0) {
        close(h->timer_fd);
    }
    free(h->socket_path);
    free(h);
}
