// SPDX-License-Identifier: GPL-2.0
/* Host test: the protocol header's numbers and layout are what the spec says. */
#include <stddef.h>
#include <virtio_simple.h>
#include "../lib/tap.h"

int main(void)
{
	tap_check(VIRTIO_ID_SIMPLE == 63, "virtio device ID is 63");
	tap_check(VIRTIO_SIMPLE_PCI_DEVICE_ID == 0x107f,
		  "PCI device ID is 0x1040 + 63 = 0x107f (got 0x%x)",
		  VIRTIO_SIMPLE_PCI_DEVICE_ID);
	tap_check(VIRTIO_SIMPLE_PCI_VENDOR_ID == 0x1af4, "PCI vendor is 0x1af4");
	tap_check(VIRTIO_SIMPLE_PCI_DEVICE_ID <= 0x107f &&
		  VIRTIO_SIMPLE_SEED_PCI_DEVICE_ID > 0x107f,
		  "ours is in virtio-pci's modern range 0x1040..0x107f, the seed's 0x10f3 is not");
	tap_check(VIRTIO_SIMPLE_PCI_CLASS == 0x00ff, "PCI class is PCI_CLASS_OTHERS");
	tap_check(VIRTIO_SIMPLE_VQ_REQUEST == 0 && VIRTIO_SIMPLE_VQ_RESPONSE == 1 &&
		  VIRTIO_SIMPLE_VQ_MAX == 2, "requestq is 0, responseq is 1");
	tap_check(sizeof(struct virtio_simple_hdr) == 16, "header is 16 bytes (got %zu)",
		  sizeof(struct virtio_simple_hdr));
	tap_check(offsetof(struct virtio_simple_hdr, id) == 0 &&
		  offsetof(struct virtio_simple_hdr, op) == 8 &&
		  offsetof(struct virtio_simple_hdr, status) == 10 &&
		  offsetof(struct virtio_simple_hdr, len) == 12,
		  "header fields at 0, 8, 10, 12");
	tap_check(sizeof(struct virtio_simple_config) == 40 &&
		  offsetof(struct virtio_simple_config, magic) == 0 &&
		  offsetof(struct virtio_simple_config, max_payload) == 4 &&
		  offsetof(struct virtio_simple_config, label) == 8,
		  "config: magic@0 max_payload@4 label@8, 40 bytes");
	tap_check(VIRTIO_SIMPLE_OP_ECHO == 1 && VIRTIO_SIMPLE_S_OK == 0,
		  "ECHO is op 1, OK is status 0");
	return tap_done();
}
