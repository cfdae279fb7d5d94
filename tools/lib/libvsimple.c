// SPDX-License-Identifier: BSD-3-Clause
/* libvsimple: see libvsimple.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "libvsimple.h"

/*
 * Two locks so that a thread blocked in read() (waiting for an answer) does
 * not hold up a thread submitting, and the reverse.  ioctls need neither.
 */
struct vsimple {
	int fd;
	char path[64];
	uint32_t max_payload;	/* fixed for the device's life */
	pthread_mutex_t rlock;	/* buf, held, kept */
	uint8_t *buf;		/* one whole response: header + max_payload */
	struct vsimple_response held;	/* the answer in buf, when kept */
	int kept;		/* an answer waits in buf (EMSGSIZE); atomic */
	pthread_mutex_t wlock;	/* wbuf */
	uint8_t *wbuf;		/* one whole request */
};

const char *vsimple_version(void)
{
	return LIBVSIMPLE_VERSION;
}

struct vsimple *vsimple_open_path(const char *path, int flags)
{
	struct vsimple *vs = calloc(1, sizeof(*vs));
	int oflags = O_RDWR | O_CLOEXEC;
	struct virtio_simple_info info;

	if (!vs)
		return NULL;
	pthread_mutex_init(&vs->rlock, NULL);
	pthread_mutex_init(&vs->wlock, NULL);
	if (flags & VSIMPLE_NONBLOCK)
		oflags |= O_NONBLOCK;
	snprintf(vs->path, sizeof(vs->path), "%s", path);
	vs->fd = open(path, oflags);
	if (vs->fd < 0)
		goto fail;
	if (ioctl(vs->fd, VIRTIO_SIMPLE_IOC_INFO, &info) < 0)
		goto fail;
	vs->max_payload = info.max_payload;
	vs->buf = malloc(VIRTIO_SIMPLE_HDR_SIZE + vs->max_payload);
	vs->wbuf = malloc(VIRTIO_SIMPLE_HDR_SIZE + vs->max_payload);
	if (!vs->buf || !vs->wbuf)
		goto fail;
	return vs;
fail:
	vsimple_close(vs);
	return NULL;
}

struct vsimple *vsimple_open(int index, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/virtio-simple%d", index);
	return vsimple_open_path(path, flags);
}

void vsimple_close(struct vsimple *vs)
{
	int saved = errno;

	if (!vs)
		return;
	if (vs->fd >= 0)
		close(vs->fd);
	free(vs->buf);
	free(vs->wbuf);
	pthread_mutex_destroy(&vs->rlock);
	pthread_mutex_destroy(&vs->wlock);
	free(vs);
	errno = saved;
}

int vsimple_fd(const struct vsimple *vs)
{
	return vs->fd;
}

const char *vsimple_path(const struct vsimple *vs)
{
	return vs->path;
}

int vsimple_info(struct vsimple *vs, struct virtio_simple_info *info)
{
	return ioctl(vs->fd, VIRTIO_SIMPLE_IOC_INFO, info) < 0 ? -1 : 0;
}

int vsimple_call(struct vsimple *vs, uint16_t op, const void *req,
		 uint32_t len, void *resp, uint32_t cap, uint16_t *status,
		 uint32_t *resp_len)
{
	struct virtio_simple_call call = {
		.op = op,
		.req_len = len,
		.req_buf = (uintptr_t)req,
		.resp_buf = (uintptr_t)resp,
		.resp_cap = cap,
	};
	int ret = ioctl(vs->fd, VIRTIO_SIMPLE_IOC_CALL, &call);

	if (status)
		*status = call.status;
	if (resp_len)
		*resp_len = call.resp_len;
	return ret < 0 ? -1 : 0;
}

int vsimple_submit(struct vsimple *vs, uint64_t id, uint16_t op,
		   const void *payload, uint32_t len)
{
	struct virtio_simple_hdr hdr = {
		.id = htole64(id),
		.op = htole16(op),
		.len = htole32(len),
	};
	ssize_t n;
	int err;

	if (len > vs->max_payload) {
		errno = EMSGSIZE;
		return -1;
	}
	/* one write() per request: header and payload together */
	pthread_mutex_lock(&vs->wlock);
	memcpy(vs->wbuf, &hdr, sizeof(hdr));
	if (len)
		memcpy(vs->wbuf + sizeof(hdr), payload, len);
	n = write(vs->fd, vs->wbuf, sizeof(hdr) + len);
	err = errno;
	pthread_mutex_unlock(&vs->wlock);
	errno = err;
	return n < 0 ? -1 : 0;
}

/* Read the next answer into buf and its header into held; 0 or -1. */
static int read_answer(struct vsimple *vs)
{
	struct virtio_simple_hdr hdr;
	ssize_t n = read(vs->fd, vs->buf,
			 VIRTIO_SIMPLE_HDR_SIZE + vs->max_payload);

	if (n < 0)
		return -1;
	if (n < (ssize_t)sizeof(hdr)) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&hdr, vs->buf, sizeof(hdr));
	vs->held.id = le64toh(hdr.id);
	vs->held.op = le16toh(hdr.op);
	vs->held.status = le16toh(hdr.status);
	vs->held.len = le32toh(hdr.len);
	if (n != (ssize_t)(sizeof(hdr) + vs->held.len)) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/*
 * The library's buffer always holds a whole answer; one too big for the
 * caller's stays there (kept) and is the next one returned, as the driver
 * keeps a response queued when read() gets EMSGSIZE.
 */
int vsimple_complete(struct vsimple *vs, struct vsimple_response *resp,
		     void *payload, uint32_t cap)
{
	int ret = -1, err;

	pthread_mutex_lock(&vs->rlock);
	if (!vs->kept && read_answer(vs) < 0)
		goto out;
	*resp = vs->held;
	if (resp->len > cap) {
		__atomic_store_n(&vs->kept, 1, __ATOMIC_RELEASE);
		errno = EMSGSIZE;
		goto out;
	}
	if (resp->len)
		memcpy(payload, vs->buf + VIRTIO_SIMPLE_HDR_SIZE, resp->len);
	__atomic_store_n(&vs->kept, 0, __ATOMIC_RELEASE);
	ret = 0;
out:
	err = errno;
	pthread_mutex_unlock(&vs->rlock);
	errno = err;
	return ret;
}

int vsimple_wait(struct vsimple *vs, short events, int timeout_ms)
{
	struct pollfd p = { .fd = vs->fd, .events = events };
	int kept = (events & POLLIN) &&
		   __atomic_load_n(&vs->kept, __ATOMIC_ACQUIRE);
	int n;

	/* an answer kept after EMSGSIZE is readable, though poll() cannot see it */
	n = poll(&p, 1, kept ? 0 : timeout_ms);
	if (n < 0)
		return -1;
	return p.revents | (kept ? POLLIN : 0);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int vsimple_list(int *indexes, int max)
{
	DIR *d = opendir("/dev");
	struct dirent *e;
	int n = 0, idx;

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < max)
		if (sscanf(e->d_name, "virtio-simple%d", &idx) == 1)
			indexes[n++] = idx;
	closedir(d);
	qsort(indexes, n, sizeof(*indexes), cmp_int);
	return n;
}

const char *vsimple_status_name(uint16_t status)
{
	switch (status) {
	case VIRTIO_SIMPLE_S_OK: return "OK";
	case VIRTIO_SIMPLE_S_EINVAL: return "EINVAL";
	case VIRTIO_SIMPLE_S_ENOTSUP: return "ENOTSUP";
	case VIRTIO_SIMPLE_S_E2BIG: return "E2BIG";
	case VIRTIO_SIMPLE_S_EMSGSIZE: return "EMSGSIZE";
	case VIRTIO_SIMPLE_S_EIO: return "EIO (driver)";
	case VIRTIO_SIMPLE_S_ENOMEM: return "ENOMEM (driver)";
	default: return "unknown";
	}
}
