/*
 * libvsimple-host: serve virtio-simple from a host process over vhost-user
 *
 * QEMU's vhost-user-simple-pci front-end hands the device's rings to a
 * backend process through a UNIX socket; this library is that backend.  It
 * serves the protocol exactly as the in-QEMU device does (the same
 * common/virtio-simple-ops.c): ECHO, CRC32C and DELAY, every status, every
 * check of a chain.  A host program adds its own ops and serves the guest:
 *
 *     struct vsimple_host *h;
 *     struct vsimple_host_options o = { .socket_path = "/tmp/vs.sock" };
 *
 *     if (vsimple_host_new(&o, &h) == 0 &&
 *         vsimple_host_register_op(h, 0x100, my_handler, my_state) == 0)
 *             vsimple_host_serve(h);     (until vsimple_host_stop())
 *
 * The guest reaches the op through /dev/virtio-simpleN like any other
 * (libvsimple's vsimple_call()).  See docs/vhost-user.md.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VSIMPLE_HOST_H
#define VSIMPLE_HOST_H

#include <stdbool.h>
#include <stdint.h>

struct vsimple_host;

struct vsimple_host_options {
    /* The vhost-user socket: created and listened on; QEMU connects. */
    const char *socket_path;
    /* Largest payload, as the device's max-payload property (0: 65536). */
    uint32_t max_payload;
    /* The config space's label, shorter than 32 bytes (NULL: empty). */
    const char *label;
    /*
     * Test only: answer "x-fault:" ECHOs as the device's property does.
     * Only the library's ASan build honours it; any other refuses it
     * (-EOPNOTSUPP from vsimple_host_new()).
     */
    bool fault_injection;
    /* Diagnostics go here (NULL: stderr). */
    void (*log)(const char *line);
};

/*
 * An op of the host program's own.  @req holds the request's @len payload
 * bytes (at most max_payload); write the answer to @resp (room for
 * @resp_cap bytes) and its length to *@resp_len, and return a
 * VIRTIO_SIMPLE_S_* status (any status but OK sends the header alone).
 * Called from vsimple_host_serve()'s thread, one request at a time: a
 * handler that blocks holds up every request behind it.
 */
typedef uint16_t vsimple_host_op_fn(void *opaque, uint16_t op,
                                    const uint8_t *req, uint32_t len,
                                    uint8_t *resp, uint32_t resp_cap,
                                    uint32_t *resp_len);

/*
 * Returns 0, or a negative errno (bad options: -EINVAL; fault_injection
 * in a build without it: -EOPNOTSUPP; the socket's).
 */
int vsimple_host_new(const struct vsimple_host_options *o,
                     struct vsimple_host **hp);

/*
 * Serve @op with @fn.  -EEXIST for the protocol's own ops (ECHO, CRC32C,
 * DELAY, CRC32C_UPDATE: vsimple_op_defined()) and for an op already
 * registered, -ENOSPC past 64 ops.
 */
int vsimple_host_register_op(struct vsimple_host *h, uint16_t op,
                             vsimple_host_op_fn *fn, void *opaque);

/*
 * Serve one QEMU connection after another until vsimple_host_stop().
 * A transport violation by the guest (a malformed chain) closes the
 * connection: the front-end then puts the device in NEEDS_RESET, as the
 * in-QEMU device does, and reconnects.  Returns 0, or a negative errno.
 */
int vsimple_host_serve(struct vsimple_host *h);

/* Make vsimple_host_serve() return; safe from a signal handler. */
void vsimple_host_stop(struct vsimple_host *h);

void vsimple_host_free(struct vsimple_host *h);

#endif
