/*
 * virtio-simple PCI bindings: embeds the device, picks the MSI-X vector
 * count and forces the modern (virtio 1.x) interface.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or
 * (at your option) any later version.  See the COPYING file in the
 * top-level directory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/virtio/virtio-pci.h"
#include "hw/virtio/virtio-simple.h"
#include "hw/qdev-properties.h"
#include "qapi/error.h"
#include "qemu/module.h"
#include "qom/object.h"

typedef struct VirtIOSimplePCI VirtIOSimplePCI;

#define TYPE_VIRTIO_SIMPLE_PCI "virtio-simple-pci-base"
DECLARE_INSTANCE_CHECKER(VirtIOSimplePCI, VIRTIO_SIMPLE_PCI,
                         TYPE_VIRTIO_SIMPLE_PCI)

struct VirtIOSimplePCI {
    VirtIOPCIProxy parent_obj;
    VirtIOSimple vdev;
    /*
     * Test only: present another PCI device ID (e.g. the seed's 0x10f3)
     * to show that Linux's virtio-pci refuses it.  0 keeps 0x1040 + 63.
     */
    uint16_t x_device_id;
};

/* Without "vectors" declared here the proxy gets no MSI-X at all. */
static VSIMPLE_PROPERTY virtio_simple_pci_properties[] = {
    DEFINE_PROP_BIT("ioeventfd", VirtIOPCIProxy, flags,
                    VIRTIO_PCI_FLAG_USE_IOEVENTFD_BIT, true),
    DEFINE_PROP_UINT32("vectors", VirtIOPCIProxy, nvectors,
                       DEV_NVECTORS_UNSPECIFIED),
    DEFINE_PROP_UINT16("x-device-id", VirtIOSimplePCI, x_device_id, 0),
    VSIMPLE_PROPS_END
};

static void virtio_simple_pci_realize(VirtIOPCIProxy *vpci_dev, Error **errp)
{
    VirtIOSimplePCI *dev = VIRTIO_SIMPLE_PCI(vpci_dev);
    DeviceState *vdev = DEVICE(&dev->vdev);

    /* one vector for config changes plus one per virtqueue */
    if (vpci_dev->nvectors == DEV_NVECTORS_UNSPECIFIED) {
        vpci_dev->nvectors = VIRTIO_SIMPLE_VQ_MAX + 1;
    }
    /* a new device ID: there is no legacy interface to offer */
    virtio_pci_force_virtio_1(vpci_dev);
    if (!qdev_realize(vdev, BUS(&vpci_dev->bus), errp)) {
        return;
    }
    /* plugging set 0x1040 + 63; the test property overrides it after */
    if (dev->x_device_id) {
        pci_set_word(PCI_DEVICE(vpci_dev)->config + PCI_DEVICE_ID,
                     dev->x_device_id);
    }
}

static void virtio_simple_pci_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioPCIClass *k = VIRTIO_PCI_CLASS(klass);
    PCIDeviceClass *pcidev_k = PCI_DEVICE_CLASS(klass);

    k->realize = virtio_simple_pci_realize;
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    pcidev_k->vendor_id = VIRTIO_SIMPLE_PCI_VENDOR_ID;
    pcidev_k->device_id = VIRTIO_SIMPLE_PCI_DEVICE_ID;
    pcidev_k->revision = VIRTIO_PCI_ABI_VERSION;
    pcidev_k->class_id = VIRTIO_SIMPLE_PCI_CLASS;
    device_class_set_props(dc, virtio_simple_pci_properties);
}

static void virtio_simple_pci_instance_init(Object *obj)
{
    VirtIOSimplePCI *dev = VIRTIO_SIMPLE_PCI(obj);
    static const char *const runtime_props[] = {
        "label", "requests", "responses", "errors", "bytes-in", "bytes-out",
        "notifications",
    };
    int i;

    virtio_instance_init_common(obj, &dev->vdev, sizeof(dev->vdev),
                                TYPE_VIRTIO_SIMPLE);
    /*
     * QEMU 7.2 aliases only qdev's static properties; these are QOM ones.
     * QEMU 10.0 aliases every class property itself ("label"): skip those.
     */
    for (i = 0; i < ARRAY_SIZE(runtime_props); i++) {
        if (!object_property_find(obj, runtime_props[i])) {
            object_property_add_alias(obj, runtime_props[i],
                                      OBJECT(&dev->vdev), runtime_props[i]);
        }
    }
}

static const VirtioPCIDeviceTypeInfo virtio_simple_pci_info = {
    .base_name     = TYPE_VIRTIO_SIMPLE_PCI,
    .generic_name  = "virtio-simple-pci",
    .instance_size = sizeof(VirtIOSimplePCI),
    .instance_init = virtio_simple_pci_instance_init,
    .class_init    = virtio_simple_pci_class_init,
};

static void virtio_simple_pci_register(void)
{
    virtio_pci_types_register(&virtio_simple_pci_info);
}

type_init(virtio_simple_pci_register)
