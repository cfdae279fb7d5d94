// SPDX-License-Identifier: GPL-2.0
/*
 * Print a virtio PCI function's capability layout from its config space:
 * the virtio structures (common, notify, ISR, device config) with the BAR,
 * offset and length the driver maps, and the MSI-X table.
 *   pci_caps 0000:00:05.0
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const virtio_cap_names[] = {
	"?", "common config", "notify", "ISR", "device config", "PCI config access",
};

int main(int argc, char **argv)
{
	uint8_t cfg[256] = { 0 };
	char path[128];
	unsigned int pos;
	FILE *f;

	if (argc < 2) {
		fprintf(stderr, "usage: pci_caps DOMAIN:BUS:DEV.FN\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", argv[1]);
	f = fopen(path, "rb");
	if (!f || fread(cfg, 1, sizeof(cfg), f) < 64) {
		perror(path);
		return 1;
	}
	fclose(f);
	printf("vendor %02x%02x device %02x%02x revision %u class %02x%02x%02x\n",
	       cfg[1], cfg[0], cfg[3], cfg[2], cfg[8], cfg[11], cfg[10], cfg[9]);
	/* walk the capability list, at most 48 hops */
	for (pos = cfg[0x34] & ~3u; pos && pos < 256 - 16; pos = cfg[pos + 1] & ~3u) {
		uint8_t id = cfg[pos];

		if (id == 0x09) {	/* vendor specific: struct virtio_pci_cap */
			uint8_t type = cfg[pos + 3];
			uint32_t off, len;

			memcpy(&off, &cfg[pos + 8], 4);
			memcpy(&len, &cfg[pos + 12], 4);
			printf("cap @0x%02x virtio %-17s bar %u offset 0x%05x length 0x%05x",
			       pos, type < 6 ? virtio_cap_names[type] : "?",
			       cfg[pos + 4], off, len);
			if (type == 2) {
				uint32_t mult;

				memcpy(&mult, &cfg[pos + 16], 4);
				printf(" notify_off_multiplier %u", mult);
			}
			printf("\n");
		} else if (id == 0x11) {	/* MSI-X */
			uint16_t ctrl = cfg[pos + 2] | cfg[pos + 3] << 8;
			uint32_t table;

			memcpy(&table, &cfg[pos + 4], 4);
			printf("cap @0x%02x MSI-X %u vectors, table in bar %u at 0x%x%s\n",
			       pos, (ctrl & 0x7ff) + 1, table & 7, table & ~7u,
			       ctrl & 0x8000 ? ", enabled" : "");
		} else {
			printf("cap @0x%02x id 0x%02x\n", pos, id);
		}
		if (pos == (cfg[pos + 1] & ~3u))
			break;
	}
	return 0;
}
