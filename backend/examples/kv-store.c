/*
 * vhost-user-simple-kv: a host program that answers an op of its own
 *
 *   vhost-user-simple-kv --socket-path PATH [--set KEY=VALUE]...
 *
 * The example of the host API (backend/vsimple-host.h): besides ECHO,
 * CRC32C and DELAY it serves KV_GET (op 0x100): the request's payload is a
 * key, the answer its value, EINVAL for a key it does not hold.  In the
 * guest, through /dev/virtio-simpleN and libvsimple:
 *
 *     vsimple_call(vs, 0x100, "greeting", 8, buf, sizeof(buf), &len)
 *
 * (tests/guest/kv_test.c does, in `make check`).
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "standard-headers/linux/virtio_simple.h"
#include "vsimple-host.h"

#define KV_GET 0x100
#define KV_MAX 32

struct kv {
    const char *key[KV_MAX];
    const char *value[KV_MAX];
    unsigned int n;
};

static struct vsimple_host *host;

/* KV_GET: the value of the key the request carries. */
static uint16_t kv_get(void *opaque, uint16_t op, const uint8_t *req,
                       uint32_t len, uint8_t *resp, uint32_t resp_cap,
                       uint32_t *resp_len)
{
    struct kv *kv = opaque;
    unsigned int i;

    for (i = 0; i < kv->n; i++) {
        size_t vlen = strlen(kv->value[i]);

        if (strlen(kv->key[i]) == len && !memcmp(kv->key[i], req, len)) {
            if (vlen > resp_cap) {
                return VIRTIO_SIMPLE_S_EMSGSIZE;
            }
            memcpy(resp, kv->value[i], vlen);
            *resp_len = vlen;
            return VIRTIO_SIMPLE_S_OK;
        }
    }
    return VIRTIO_SIMPLE_S_EINVAL;
}

static void on_signal(int sig)
{
    (void)sig;
    vsimple_host_stop(host);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "socket-path", required_argument, NULL, 's' },
        { "set", required_argument, NULL, 'k' },
        { NULL, 0, NULL, 0 },
    };
    struct vsimple_host_options o = { .label = "kv-store" };
    struct sigaction sa = { .sa_handler = on_signal };
    static struct kv kv;
    char *eq;
    int c, rc;

    while ((c = getopt_long(argc, argv, "s:k:", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            o.socket_path = optarg;
            break;
        case 'k':
            eq = strchr(optarg, '=');
            if (!eq || eq == optarg || kv.n == KV_MAX) {
                fprintf(stderr, "kv: --set KEY=VALUE (at most %d)\n", KV_MAX);
                return 2;
            }
            *eq = '\0';
            kv.key[kv.n] = optarg;
            kv.value[kv.n++] = eq + 1;
            break;
        default:
            return 2;
        }
    }
    if (!o.socket_path || optind != argc) {
        fprintf(stderr, "usage: vhost-user-simple-kv --socket-path PATH"
                " [--set KEY=VALUE]...\n");
        return 2;
    }
    rc = vsimple_host_new(&o, &host);
    if (!rc) {
        rc = vsimple_host_register_op(host, KV_GET, kv_get, &kv);
    }
    if (rc) {
        fprintf(stderr, "kv: %s\n", strerror(-rc));
        vsimple_host_free(host);
        return 1;
    }
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = vsimple_host_serve(host);
    vsimple_host_free(host);
    return rc ? 1 : 0;
}
