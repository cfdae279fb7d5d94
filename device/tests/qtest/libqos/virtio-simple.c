/*
 * libqos driver nodes for virtio-simple: "virtio-simple-pci" on a PCI bus
 * produces the "virtio" and "virtio-simple" interfaces, and
 * "vhost-user-simple-pci", its front-end for a backend process, "virtio"
 * and "vhost-user-simple".
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "../libqtest.h"
#include "qemu/module.h"
#include "qgraph.h"
#include "virtio-simple.h"

static void *qvirtio_simple_pci_get_driver(void *object, const char *interface)
{
    QVirtioSimplePCI *v = object;

    if (!g_strcmp0(interface, "pci-device")) {
        return v->pci_vdev.pdev;
    }
    if (!g_strcmp0(interface, "virtio-simple")) {
        return &v->simple;
    }
    if (!g_strcmp0(interface, "virtio")) {
        return v->simple.vdev;
    }
    fprintf(stderr, "%s not present in virtio-simple-pci\n", interface);
    g_assert_not_reached();
}

static void *qvirtio_simple_pci_create(void *pci_bus, QGuestAllocator *alloc,
                                       void *addr)
{
    QVirtioSimplePCI *v = g_new0(QVirtioSimplePCI, 1);
    QOSGraphObject *obj = &v->pci_vdev.obj;

    virtio_pci_init(&v->pci_vdev, pci_bus, addr);
    v->simple.vdev = &v->pci_vdev.vdev;
    obj->get_driver = qvirtio_simple_pci_get_driver;
    return obj;
}

/* vhost-user-simple-pci: the same device, its queues served by a backend */
static void *qvhost_user_simple_pci_get_driver(void *object,
                                               const char *interface)
{
    QVirtioSimplePCI *v = object;

    if (!g_strcmp0(interface, "vhost-user-simple")) {
        return &v->simple;
    }
    return qvirtio_simple_pci_get_driver(object, interface);
}

static void *qvhost_user_simple_pci_create(void *pci_bus,
                                           QGuestAllocator *alloc, void *addr)
{
    QOSGraphObject *obj = qvirtio_simple_pci_create(pci_bus, alloc, addr);

    obj->get_driver = qvhost_user_simple_pci_get_driver;
    return obj;
}

static void qvirtio_simple_register_nodes(void)
{
    QPCIAddress addr = {
        .devfn = QPCI_DEVFN(QVIRTIO_SIMPLE_SLOT, 0),
    };
    QOSGraphEdgeOptions opts = {
        .extra_device_opts = "addr=04.0,id=" QVIRTIO_SIMPLE_ID,
    };

    add_qpci_address(&opts, &addr);
    qos_node_create_driver("virtio-simple-pci", qvirtio_simple_pci_create);
    qos_node_consumes("virtio-simple-pci", "pci-bus", &opts);
    qos_node_produces("virtio-simple-pci", "pci-device");
    qos_node_produces("virtio-simple-pci", "virtio");
    qos_node_produces("virtio-simple-pci", "virtio-simple");

    /* its chardev is the backend's socket, which each test's setup adds */
    opts.extra_device_opts = "addr=04.0,id=" QVIRTIO_SIMPLE_ID
                             ",chardev=" QVHOST_USER_SIMPLE_CHARDEV;
    qos_node_create_driver("vhost-user-simple-pci",
                           qvhost_user_simple_pci_create);
    qos_node_consumes("vhost-user-simple-pci", "pci-bus", &opts);
    qos_node_produces("vhost-user-simple-pci", "pci-device");
    qos_node_produces("vhost-user-simple-pci", "virtio");
    qos_node_produces("vhost-user-simple-pci", "vhost-user-simple");
}

libqos_init(qvirtio_simple_register_nodes);
