/*
 * vhost-user-simple: the virtio-simple device as a host process
 *
 *   vhost-user-simple --socket-path PATH [--max-payload N] [--label TEXT]
 *                     [--x-fault-injection]
 *
 * Serves ECHO, CRC32C and DELAY (libvsimple-host, vsimple-host.h) to the
 * guest behind QEMU's vhost-user-simple-pci, connected with
 *   -chardev socket,id=vs,path=PATH,reconnect=1
 *   -device vhost-user-simple-pci,chardev=vs
 * and guest RAM QEMU shares (memory-backend-memfd,share=on).  Stops on
 * SIGTERM or SIGINT.  See docs/vhost-user.md.
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
#include "vsimple-host.h"

static struct vsimple_host *host;

static void on_signal(int sig)
{
    (void)sig;
    vsimple_host_stop(host);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vhost-user-simple --socket-path PATH [--max-payload N]\n"
            "                         [--label TEXT] [--x-fault-injection]\n"
            "Serve virtio-simple to QEMU's vhost-user-simple-pci on PATH.\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "socket-path", required_argument, NULL, 's' },
        { "max-payload", required_argument, NULL, 'm' },
        { "label", required_argument, NULL, 'l' },
        { "x-fault-injection", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct vsimple_host_options o = { 0 };
    struct sigaction sa = { .sa_handler = on_signal };
    unsigned long n;
    int c, rc, used;

    while ((c = getopt_long(argc, argv, "s:m:l:fh", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            o.socket_path = optarg;
            break;
        case 'm':
            used = 0;
            if (sscanf(optarg, "%lu%n", &n, &used) != 1 ||
                (size_t)used != strlen(optarg) || n < 4 || n > 1048576) {
                fprintf(stderr, "vhost-user-simple: --max-payload must be"
                        " between 4 and 1048576, got '%s'\n", optarg);
                return 2;
            }
            o.max_payload = n;
            break;
        case 'l':
            if (strlen(optarg) >= 32) {
                fprintf(stderr, "vhost-user-simple: --label must be shorter"
                        " than 32 bytes\n");
                return 2;
            }
            o.label = optarg;
            break;
        case 'f':
            o.fault_injection = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!o.socket_path || optind != argc) {
        usage(stderr);
        return 2;
    }
    rc = vsimple_host_new(&o, &host);
    if (rc == -EOPNOTSUPP && o.fault_injection) {
        fprintf(stderr, "vhost-user-simple: --x-fault-injection is for"
                " tests: only the ASan build (build/backend/asan) has it\n");
        return 2;
    }
    if (rc) {
        fprintf(stderr, "vhost-user-simple: %s: %s\n", o.socket_path,
                strerror(-rc));
        return 1;
    }
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);   /* a QEMU gone mid-reply is a disconnect */
    rc = vsimple_host_serve(host);
    vsimple_host_free(host);
    if (rc) {
        fprintf(stderr, "vhost-user-simple: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}
