/*
 * vhost-user-simple PCI bindings: the same PCI identity as
 * virtio-simple-pci (1af4:107f, class 0x00ff00), so the same guest driver
 * binds, whichever side serves the queues.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/virtio/virtio-pci.h"
#include "hw/virtio/vhost-user-simple.h"
#include "hw/qdev-properties.h"
#include "qapi/error.h"
#include "qemu/module.h"
#include "qom/object.h"

typedef struct VHostUserSimplePCI VHostUserSimplePCI;

#define TYPE_VHOST_USER_SIMPLE_PCI "vhost-user-simple-pci-base"
DECLARE_INSTANCE_CHECKER(VHostUserSimplePCI, VHOST_USER_SIMPLE_PCI,
                         TYPE_VHOST_USER_SIMPLE_PCI)

struct VHostUserSimplePCI {
    VirtIOPCIProxy parent_obj;
    VHostUserSimple vdev;
};

static VSIMPLE_PROPERTY vu_simple_pci_properties[] = {
    DEFINE_PROP_UINT32("vectors", VirtIOPCIProxy, nvectors,
                       DEV_NVECTORS_UNSPECIFIED),
    VSIMPLE_PROPS_END
};

static void vu_simple_pci_realize(VirtIOPCIProxy *vpci_dev, Error **errp)
{
    VHostUserSimplePCI *dev = VHOST_USER_SIMPLE_PCI(vpci_dev);

    /* one vector for config changes plus one per virtqueue */
    if (vpci_dev->nvectors == DEV_NVECTORS_UNSPECIFIED) {
        vpci_dev->nvectors = VIRTIO_SIMPLE_VQ_MAX + 1;
    }
    virtio_pci_force_virtio_1(vpci_dev);
    qdev_realize(DEVICE(&dev->vdev), BUS(&vpci_dev->bus), errp);
}

static void vu_simple_pci_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioPCIClass *k = VIRTIO_PCI_CLASS(klass);
    PCIDeviceClass *pcidev_k = PCI_DEVICE_CLASS(klass);

    k->realize = vu_simple_pci_realize;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    device_class_set_props(dc, vu_simple_pci_properties);
    pcidev_k->vendor_id = VIRTIO_SIMPLE_PCI_VENDOR_ID;
    pcidev_k->device_id = VIRTIO_SIMPLE_PCI_DEVICE_ID;
    pcidev_k->revision = VIRTIO_PCI_ABI_VERSION;
    pcidev_k->class_id = VIRTIO_SIMPLE_PCI_CLASS;
}

static void vu_simple_pci_instance_init(Object *obj)
{
    VHostUserSimplePCI *dev = VHOST_USER_SIMPLE_PCI(obj);

    virtio_instance_init_common(obj, &dev->vdev, sizeof(dev->vdev),
                                TYPE_VHOST_USER_SIMPLE);
    /* QEMU 7.2 aliases only qdev's static properties; 10.0 every one */
    if (!object_property_find(obj, "label")) {
        object_property_add_alias(obj, "label", OBJECT(&dev->vdev), "label");
    }
}

static const VirtioPCIDeviceTypeInfo vu_simple_pci_info = {
    .base_name     = TYPE_VHOST_USER_SIMPLE_PCI,
    .generic_name  = "vhost-user-simple-pci",
    .instance_size = sizeof(VHostUserSimplePCI),
    .instance_init = vu_simple_pci_instance_init,
    .class_init    = vu_simple_pci_class_init,
};

static void vu_simple_pci_register(void)
{
    virtio_pci_types_register(&vu_simple_pci_info);
}

type_init(vu_simple_pci_register)
