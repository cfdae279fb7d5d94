// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for the CLI's host test: any file opened with -d looks
 * like a virtio-simple device whose IOC_INFO works FAKE_INFO_OK times
 * (default 1: vsimple_open's own call) and then fails with ENODEV, as when
 * the device is unplugged between open and use; its label is "fake" or
 * FAKE_INFO_LABEL.  Other ioctls pass through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <virtio_simple.h>

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
		info->max_payload = 64;
		info->req_queue_size = info->resp_queue_size = 8;
		info->max_in_flight = 8;
		strncpy((char *)info->label, getenv("FAKE_INFO_LABEL") ?: "fake",
			sizeof(info->label) - 1);
		return 0;
	}
	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real_ioctl(fd, request, arg);
}
