/*
 * libqos driver node for virtio-simple
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_LIBQOS_VIRTIO_SIMPLE_H
#define TESTS_LIBQOS_VIRTIO_SIMPLE_H

#include "qgraph.h"
#include "virtio.h"
#include "virtio-pci.h"

/* The qdev id and PCI slot the graph gives the device under test. */
#define QVIRTIO_SIMPLE_ID "vs0"
#define QVIRTIO_SIMPLE_SLOT 4
/* vhost-user-simple-pci's chardev, to the backend (see the qtest) */
#define QVHOST_USER_SIMPLE_CHARDEV "vsbe"

typedef struct QVirtioSimple QVirtioSimple;
typedef struct QVirtioSimplePCI QVirtioSimplePCI;

struct QVirtioSimple {
    QVirtioDevice *vdev;
};

struct QVirtioSimplePCI {
    QVirtioPCIDevice pci_vdev;
    QVirtioSimple simple;
};

#endif
