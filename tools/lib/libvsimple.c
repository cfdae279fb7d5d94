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
	pthread_mutex_t rlock;	/* buf, read_batch */
	uint8_t *buf;		/* one whole response: header + max_payload */
	/* the file's answers per read() (IOC_SET_READ_BATCH); 0: no such ioctl */
	unsigned int read_batch;
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
	vs->read_batch = 1;
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
	size_t size;
	ssize_t n;
	int err;

	if (len > vs->max_payload) {
		errno = EMSGSIZE;
		return -1;
	}
	/* one write() per request: header and payload together, a batch of one */
	pthread_mutex_lock(&vs->wlock);
	size = vsimple_batch_put(vs->wbuf,
				 VIRTIO_SIMPLE_HDR_SIZE + vs->max_payload, id, op,
				 payload, len);
	n = write(vs->fd, vs->wbuf, size);
	err = errno;
	pthread_mutex_unlock(&vs->wlock);
	errno = err;
	return n < 0 ? -1 : 0;
}

/* A response header, wire to host order. */
static void from_hdr(struct vsimple_response *resp,
		     const struct virtio_simple_hdr *hdr)
{
	memset(resp, 0, sizeof(*resp));
	resp->id = le64toh(hdr->id);
	resp->op = le16toh(hdr->op);
	resp->status = le16toh(hdr->status);
	resp->len = le32toh(hdr->len);
}

/*
 * One read() of the next answer with room for cap payload bytes.  One too
 * big stays queued in the driver (EMSGSIZE), so poll() still sees it;
 * VIRTIO_SIMPLE_IOC_PEEK tells its size without taking it.
 */
/*
 * Make the file's read() return up to @batch answers, if it is not so
 * already; a driver without IOC_SET_READ_BATCH reads one at a time (0).
 * rlock held.
 */
static int set_read_batch(struct vsimple *vs, unsigned int batch)
{
	uint32_t b = batch;

	if (!vs->read_batch || vs->read_batch == batch)
		return 0;
	if (ioctl(vs->fd, VIRTIO_SIMPLE_IOC_SET_READ_BATCH, &b) == 0) {
		vs->read_batch = batch;
		return 0;
	}
	if (errno != ENOTTY)
		return -1;
	vs->read_batch = 0;
	return 0;
}

int vsimple_complete(struct vsimple *vs, struct vsimple_response *resp,
		     void *payload, uint32_t cap)
{
	struct virtio_simple_hdr hdr;
	uint32_t room = cap < vs->max_payload ? cap : vs->max_payload;
	ssize_t n;
	int ret = -1, err;

	pthread_mutex_lock(&vs->rlock);
	if (set_read_batch(vs, 1) < 0)
		goto out;
	n = read(vs->fd, vs->buf, VIRTIO_SIMPLE_HDR_SIZE + room);
	if (n < 0) {
		if (errno == EMSGSIZE &&
		    ioctl(vs->fd, VIRTIO_SIMPLE_IOC_PEEK, &hdr) == 0) {
			from_hdr(resp, &hdr);
			errno = EMSGSIZE;
		}
		goto out;
	}
	if (n < (ssize_t)sizeof(hdr)) {
		errno = EPROTO;
		goto out;
	}
	memcpy(&hdr, vs->buf, sizeof(hdr));
	from_hdr(resp, &hdr);
	if (n != (ssize_t)(sizeof(hdr) + resp->len)) {
		errno = EPROTO;
		goto out;
	}
	if (resp->len)
		memcpy(payload, vs->buf + VIRTIO_SIMPLE_HDR_SIZE, resp->len);
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

	if (poll(&p, 1, timeout_ms) < 0)
		return -1;
	return p.revents;
}

size_t vsimple_batch_put(void *buf, size_t room, uint64_t id, uint16_t op,
			 const void *payload, uint32_t len)
{
	struct virtio_simple_hdr hdr = {
		.id = htole64(id),
		.op = htole16(op),
		.len = htole32(len),
	};
	uint8_t *p = buf;

	if (room < sizeof(hdr) || room - sizeof(hdr) < len) {
		errno = EMSGSIZE;
		return 0;
	}
	memcpy(p, &hdr, sizeof(hdr));
	if (len && payload != p + sizeof(hdr))
		memmove(p + sizeof(hdr), payload, len);
	return sizeof(hdr) + len;
}

long vsimple_submit_batch(struct vsimple *vs, const void *batch, size_t size)
{
	/* the driver checks every request before it sends any */
	return write(vs->fd, batch, size);
}

long vsimple_receive_batch(struct vsimple *vs, void *buf, size_t room,
			   unsigned int max)
{
	struct pollfd p = { .fd = vs->fd, .events = POLLIN };
	size_t off = 0;
	unsigned int got = 0;
	ssize_t n;
	int err;

	pthread_mutex_lock(&vs->rlock);
	if (max > VIRTIO_SIMPLE_READ_BATCH_MAX)
		max = VIRTIO_SIMPLE_READ_BATCH_MAX;
	/* one read() for all of them, where the driver can */
	if (max && set_read_batch(vs, max) == 0 && vs->read_batch) {
		n = read(vs->fd, buf, room);
		err = errno;
		pthread_mutex_unlock(&vs->rlock);
		errno = err;
		return n;
	}
	while (got < max) {
		/* after the first, only what is already there */
		if (got && (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN)))
			break;
		n = read(vs->fd, (uint8_t *)buf + off, room - off);
		if (n < 0)
			break;
		off += n;
		got++;
	}
	err = errno;
	pthread_mutex_unlock(&vs->rlock);
	if (!got) {
		errno = err;
		return -1;
	}
	return off;
}

int vsimple_batch_get(const void *batch, size_t size, size_t *off,
		      struct vsimple_response *resp, const void **payload)
{
	const uint8_t *p = (const uint8_t *)batch + *off;
	struct virtio_simple_hdr hdr;

	if (*off >= size)
		return 0;
	if (size - *off < sizeof(hdr))
		goto bad;
	memcpy(&hdr, p, sizeof(hdr));
	from_hdr(resp, &hdr);
	if (size - *off - sizeof(hdr) < resp->len)
		goto bad;
	*payload = p + sizeof(hdr);
	*off += sizeof(hdr) + resp->len;
	return 1;
bad:
	errno = EPROTO;
	return -1;
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
