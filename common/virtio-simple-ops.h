/*
 * virtio-simple: the device's side of the protocol, with no QEMU in it
 *
 * Chain checks, header parsing, the ops the protocol defines and the
 * writing of answers, over plain iovec arrays.  The QEMU device
 * (device/hw/virtio/virtio-simple.c) and the vhost-user backend (backend/)
 * both call these, so the two serve the same protocol and cannot drift.
 * Each caller keeps what is its own: queues, timers, counters, NEEDS_RESET.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VIRTIO_SIMPLE_OPS_H
#define VIRTIO_SIMPLE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define VSIMPLE_OPS_HDR_SIZE 16

/* A request's header, checked against the chain that carried it. */
typedef struct VSimpleRequest {
    uint64_t id;
    uint16_t op;
    uint16_t status;            /* EINVAL/E2BIG found before any op runs */
    uint32_t len;
} VSimpleRequest;

/* Bytes lying @skip bytes into an iovec array. */
typedef struct VSimpleData {
    const struct iovec *iov;
    unsigned int cnt;
    size_t skip;
} VSimpleData;

/*
 * A test-only misbehaviour asked for by an ECHO of "x-fault:" + a letter,
 * when the caller enabled fault injection (see vsimple_fault_of()).
 *
 * Only the test builds can enable it, those that define
 * VSIMPLE_FAULT_INJECTION: QEMU's AddressSanitizer builds (FLAVOUR=asan and
 * fuzz, hw/virtio/virtio-simple.h) and backend/'s asan build, which the
 * tests run.  A build users run has no x-fault-injection property and no
 * --x-fault-injection option, so no -global or command line turns it on
 * by accident and no guest payload can put the device in NEEDS_RESET for
 * everyone.
 */
typedef enum VSimpleFault {
    VSIMPLE_FAULT_NONE,
    VSIMPLE_FAULT_ID,           /* i: an id nobody asked for */
    VSIMPLE_FAULT_OP,           /* o: the wrong op */
    VSIMPLE_FAULT_LEN,          /* l: header len one more than written */
    VSIMPLE_FAULT_LONG,         /* u: 64 zero bytes more, claimed and written */
    VSIMPLE_FAULT_DROP,         /* d: taken and never answered */
    VSIMPLE_FAULT_RESET,        /* r: the device needs a reset */
} VSimpleFault;

/*
 * An op the protocol does not define, the caller's own: @req holds @len
 * bytes (at most max_payload), the answer goes to @out (room for @out_cap
 * bytes, max_payload, zeroed) and its length to *out_len.  Returns one of
 * the protocol's statuses (any other is sent as EINVAL); an answer claimed
 * longer than @out_cap is sent as EMSGSIZE.
 */
typedef uint16_t VSimpleOpFn(void *opaque, uint16_t op, const uint8_t *req,
                             uint32_t len, uint8_t *out, uint32_t out_cap,
                             uint32_t *out_len);

/* What an answer was, for the caller's counters and traces. */
typedef struct VSimpleAnswer {
    uint16_t status;
    uint32_t len;               /* payload bytes answered */
    size_t written;             /* bytes written into the response chain */
} VSimpleAnswer;

size_t vsimple_iov_size(const struct iovec *iov, unsigned int cnt);
size_t vsimple_iov_read(const struct iovec *iov, unsigned int cnt,
                        size_t skip, void *buf, size_t len);
size_t vsimple_iov_write(const struct iovec *iov, unsigned int cnt,
                         size_t skip, const void *buf, size_t len);

/*
 * A chain's shape: a request is device-readable only (with @in_place,
 * VIRTIO_SIMPLE_F_ANSWER_IN_PLACE negotiated, it may end with room for its
 * answer), a response buffer device-writable only, each at least a
 * header.  NULL when right, else what is wrong (a transport violation:
 * the device needs a reset).
 */
const char *vsimple_check_request_chain(const struct iovec *out,
                                        unsigned int out_num,
                                        const struct iovec *in,
                                        unsigned int in_num, bool in_place);
const char *vsimple_check_response_chain(const struct iovec *in,
                                         unsigned int in_num,
                                         unsigned int out_num);

void vsimple_parse(const struct iovec *out, unsigned int out_num,
                   uint32_t max_payload, VSimpleRequest *req);

/* DELAY's argument, or false when the request does not carry a valid one */
bool vsimple_delay_arg(const struct iovec *out, unsigned int out_num,
                       const VSimpleRequest *req, uint32_t *usec);

VSimpleFault vsimple_fault_of(const struct iovec *out, unsigned int out_num,
                              const VSimpleRequest *req);

/*
 * CRC-32C of @len bytes of @data, continuing @so_far: an earlier result
 * for the bytes before them, 0 to start (then it is CRC32C's answer).
 */
uint32_t vsimple_crc32c(uint32_t so_far, const VSimpleData *data,
                        uint32_t len);

/*
 * Write an answer into the response chain @in: the header, then @len
 * bytes of @data unless they do not fit (then the header alone with
 * EMSGSIZE).  A status other than OK answers with the header alone.
 */
VSimpleAnswer vsimple_write_response(const struct iovec *in,
                                     unsigned int in_num, uint64_t id,
                                     uint16_t op, uint16_t status,
                                     const VSimpleData *data, uint32_t len,
                                     VSimpleFault fault);

/* Whether the protocol defines @op (the caller's handler never sees it). */
bool vsimple_op_defined(uint16_t op);

/*
 * Answer an immediate request (anything but a valid DELAY) into @in.
 * ECHO copies iovec to iovec and the CRCs read the request in place; the
 * protocol's other ops get a flat copy (vsimple_execute()), and an op the
 * protocol does not define goes to @fn, the caller's own (the backend's
 * host API), or is ENOTSUP when @fn is NULL (the QEMU device).
 */
VSimpleAnswer vsimple_answer(const VSimpleRequest *req,
                             const struct iovec *out, unsigned int out_num,
                             const struct iovec *in, unsigned int in_num,
                             uint32_t max_payload, VSimpleOpFn *fn,
                             void *opaque, VSimpleFault fault);

#endif
