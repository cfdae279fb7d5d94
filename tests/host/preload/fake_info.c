// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for the CLI's host test: any file opened with -d looks
 * like a virtio-simple device whose IOC_INFO works FAKE_INFO_OK times
 * (default 1: vsimple_open's own call) and then fails with ENODEV, as when
 * the device is unplugged between open and use; its label is "fake" or
 * FAKE_INFO_LABEL; its max_payload 64 or FAKE_MAX_PAYLOAD.  With FAKE_CRC
 * set, IOC_CALL answers CRC32C and CRC32C_UPDATE as docs/spec.md says
 * (EMSGSIZE over max_payload, as the driver), or ENOTSUP for CRC32C_UPDATE
 * with FAKE_CRC=old, a device from before it.  Other ioctls pass through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <virtio_simple.h>

static uint32_t max_payload(void)
{
	return getenv("FAKE_MAX_PAYLOAD") ? atoi(getenv("FAKE_MAX_PAYLOAD")) : 64;
}

static uint32_t crc32c(uint32_t so_far, const uint8_t *p, size_t n)
{
	uint32_t c = ~so_far;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78 & -(c & 1));
	}
	return ~c;
}

/* IOC_CALL, CRCs only: the ops read and answer straight in user memory */
static int fake_call(struct virtio_simple_call *c)
{
	const uint8_t *req = (const uint8_t *)(uintptr_t)c->req_buf;
	uint32_t crc, so_far = 0, skip = 0;

	c->resp_len = 0;
	if (c->req_len > max_payload()) {	/* as the driver refuses it */
		errno = EMSGSIZE;
		return -1;
	}
	if (c->op == VIRTIO_SIMPLE_OP_CRC32C_UPDATE) {
		if (!strcmp(getenv("FAKE_CRC"), "old")) {
			c->status = VIRTIO_SIMPLE_S_ENOTSUP;
			return 0;
		}
		if (c->req_len < 4) {
			c->status = VIRTIO_SIMPLE_S_EINVAL;
			return 0;
		}
		memcpy(&so_far, req, 4);
		so_far = le32toh(so_far);
		skip = 4;
	} else if (c->op != VIRTIO_SIMPLE_OP_CRC32C) {
		c->status = VIRTIO_SIMPLE_S_ENOTSUP;
		return 0;
	}
	if (c->resp_cap < 4) {
		c->status = VIRTIO_SIMPLE_S_EMSGSIZE;
		return 0;
	}
	crc = htole32(crc32c(so_far, req + skip, c->req_len - skip));
	memcpy((void *)(uintptr_t)c->resp_buf, &crc, 4);
	c->status = VIRTIO_SIMPLE_S_OK;
	c->resp_len = 4;
	return 0;
}

int ioctl(int fd, unsigned long request, ...)
{
	static int (*real_ioctl)(int, unsigned long, ...);
	static int calls;
	const char *ok = getenv("FAKE_INFO_OK");
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (request == VIRTIO_SIMPLE_IOC_INFO) {
		struct virtio_simple_info *info = arg;

		if (++calls > (ok ? atoi(ok) : 1)) {
			errno = ENODEV;
			return -1;
		}
		memset(info, 0, sizeof(*info));
		info->max_payload = max_payload();
		info->req_queue_size = info->resp_queue_size = 8;
		info->max_in_flight = 8;
		strncpy((char *)info->label, getenv("FAKE_INFO_LABEL") ?: "fake",
			sizeof(info->label) - 1);
		return 0;
	}
	if (request == VIRTIO_SIMPLE_IOC_CALL && getenv("FAKE_CRC"))
		return fake_call(arg);
	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real_ioctl(fd, request, arg);
}
