/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * virtio-simple: the protocol shared by the QEMU device, the Linux driver,
 * libvsimple and the tests.  docs/spec.md says the same in normative words.
 *
 * All multi-byte fields are little-endian (virtio 1.x).  QEMU imports this
 * file into include/standard-headers/linux/ with the same conversion it
 * applies to every other Linux header (scripts/update-linux-headers.sh).
 */
#ifndef _LINUX_VIRTIO_SIMPLE_H
#define _LINUX_VIRTIO_SIMPLE_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * Identity.  A modern (virtio 1.x) PCI device must use PCI device ID
 * 0x1040 + virtio device ID, and Linux's virtio-pci only binds 0x1000-0x107f,
 * so the seed's 0x10f3 cannot work; 63 is the last ID that fits.
 */
#define VIRTIO_ID_SIMPLE			63
#define VIRTIO_SIMPLE_PCI_VENDOR_ID		0x1af4
#define VIRTIO_SIMPLE_PCI_DEVICE_ID		(0x1040 + VIRTIO_ID_SIMPLE)
/* The seed's PCI device ID, kept only to show that it is not bound. */
#define VIRTIO_SIMPLE_SEED_PCI_DEVICE_ID	0x10f3
/* PCI_CLASS_OTHERS; Linux prints it as "class 0x00ff00". */
#define VIRTIO_SIMPLE_PCI_CLASS			0x00ff

/* Virtqueue indexes, in the order the device creates them. */
#define VIRTIO_SIMPLE_VQ_REQUEST	0	/* driver -> device, out buffers */
#define VIRTIO_SIMPLE_VQ_RESPONSE	1	/* device -> driver, in buffers */
#define VIRTIO_SIMPLE_VQ_MAX		2

/*
 * Feature bits of the device (virtio's device-specific range, 0 to 23).
 * ANSWER_IN_PLACE: a request's chain may end with device-writable
 * descriptors (at least 16 bytes); the device then writes the answer
 * (header and payload) there, not into a responseq buffer, and returns the
 * chain on requestq with the answer's size as its used length.  A chain it
 * returns with used length 0 was answered on responseq (DELAY).  The
 * driver may give the same memory to both parts: the device reads the
 * whole request before it writes the answer.
 */
#define VIRTIO_SIMPLE_F_ANSWER_IN_PLACE	0

/* Device configuration space: read-only to the driver. */
#define VIRTIO_SIMPLE_MAGIC		0x6d697376	/* "vsim" as LE bytes */
#define VIRTIO_SIMPLE_LABEL_SIZE	32
/* DELAY's argument and CRC32C's answer are 4 bytes: the smallest useful */
#define VIRTIO_SIMPLE_MAX_PAYLOAD_MIN		4
#define VIRTIO_SIMPLE_MAX_PAYLOAD_DEFAULT	65536
#define VIRTIO_SIMPLE_MAX_PAYLOAD_LIMIT		(1024 * 1024)

struct virtio_simple_config {
	__le32 magic;		/* VIRTIO_SIMPLE_MAGIC */
	__le32 max_payload;	/* largest request/response payload, bytes */
	/* Free text, NUL-padded, may change at run time (config interrupt). */
	__u8 label[VIRTIO_SIMPLE_LABEL_SIZE];
};

/*
 * Every request and every response starts with this header; len payload
 * bytes follow it.  A response carries the request's id and op.
 */
struct virtio_simple_hdr {
	__le64 id;
	__le16 op;
	__le16 status;		/* 0 in requests, a VIRTIO_SIMPLE_S_* in responses */
	__le32 len;
};

/* Operations. */
#define VIRTIO_SIMPLE_OP_ECHO		1	/* payload returned unchanged */
#define VIRTIO_SIMPLE_OP_CRC32C		2	/* payload: __le32 CRC-32C of request */
#define VIRTIO_SIMPLE_OP_DELAY		3	/* request: __le32 microseconds */
#define VIRTIO_SIMPLE_OP_CRC32C_UPDATE	4	/* __le32 CRC so far + bytes: CRC32C's answer */

/* DELAY: the longest delay, and how many may wait at once. */
#define VIRTIO_SIMPLE_DELAY_MAX_US	1000000
#define VIRTIO_SIMPLE_DELAY_MAX_PENDING	128

/* Response statuses: answers, not device failures. */
#define VIRTIO_SIMPLE_S_OK		0
#define VIRTIO_SIMPLE_S_EINVAL		1	/* header len != buffer, bad argument */
#define VIRTIO_SIMPLE_S_ENOTSUP		2	/* unknown op */
#define VIRTIO_SIMPLE_S_E2BIG		3	/* payload over max_payload */
#define VIRTIO_SIMPLE_S_EMSGSIZE	4	/* response does not fit: header only */

/*
 * Statuses the Linux driver makes, never a device (one that sends bit 15
 * gets its answer dropped as malformed): read() returns a failed request as
 * a header with its id and op, len 0 and one of these, so a program with
 * many requests in flight knows which one failed.  The low bits are the
 * errno the failure would have been.
 */
#define VIRTIO_SIMPLE_S_DRIVER		0x8000
/* a malformed answer, or the device was reset */
#define VIRTIO_SIMPLE_S_EIO		(VIRTIO_SIMPLE_S_DRIVER | 5)
/* the answer could not be kept: the opener's cgroup is full */
#define VIRTIO_SIMPLE_S_ENOMEM		(VIRTIO_SIMPLE_S_DRIVER | 12)

#define VIRTIO_SIMPLE_HDR_SIZE		16

/*
 * Character device /dev/virtio-simpleN (Linux driver).  write() sends one
 * request (header + payload, exactly 16 + len bytes; the id is the caller's
 * own), read() returns one whole response to a request written on the same
 * file.  See docs/driver.md.
 */
struct virtio_simple_info {
	__u32 max_payload;
	__u32 req_queue_size;
	__u32 resp_queue_size;
	__u32 max_in_flight;
	__u64 features;		/* negotiated feature bits */
	__u8 label[VIRTIO_SIMPLE_LABEL_SIZE];
};

/* One synchronous request, independent of the read/write stream. */
struct virtio_simple_call {
	__u16 op;		/* in */
	__u16 status;		/* out: VIRTIO_SIMPLE_S_* */
	__u32 req_len;		/* in: request payload bytes */
	__u64 req_buf;		/* in: user pointer to the request payload */
	__u64 resp_buf;		/* in: user pointer for the response payload */
	__u32 resp_cap;		/* in: bytes at resp_buf */
	__u32 resp_len;		/* out: response payload bytes */
};

#define VIRTIO_SIMPLE_IOC_MAGIC		0xb5
#define VIRTIO_SIMPLE_IOC_INFO	_IOR(VIRTIO_SIMPLE_IOC_MAGIC, 0, struct virtio_simple_info)
#define VIRTIO_SIMPLE_IOC_CALL	_IOWR(VIRTIO_SIMPLE_IOC_MAGIC, 1, struct virtio_simple_call)
/* The header read() would return next, left queued; EAGAIN when none is. */
#define VIRTIO_SIMPLE_IOC_PEEK	_IOR(VIRTIO_SIMPLE_IOC_MAGIC, 2, struct virtio_simple_hdr)

/*
 * Answers one read() on this file may return, back to back, at most (a
 * __u32, 1 to VIRTIO_SIMPLE_READ_BATCH_MAX; 1 when opened): those after the
 * first only while they are already there and fit in the buffer whole.
 */
#define VIRTIO_SIMPLE_IOC_SET_READ_BATCH _IOW(VIRTIO_SIMPLE_IOC_MAGIC, 4, __u32)
#define VIRTIO_SIMPLE_READ_BATCH_MAX	1024

/*
 * io_uring passthrough: an IORING_OP_URING_CMD SQE on the open file, with
 * sqe->cmd_op VIRTIO_SIMPLE_URING_CALL and this in the SQE's command area
 * (16 bytes: a plain 64-byte SQE holds it).  One request per SQE: the
 * buffer holds the request (header and payload, the id the caller's own)
 * and receives the answer (header and payload) in its place.  With
 * IORING_URING_CMD_FIXED it is (part of) a buffer registered with the
 * ring, sqe->buf_index: the payload then goes to the device from those
 * pages, not copied, and when cap has room for max_payload bytes and the
 * device offers VIRTIO_SIMPLE_F_ANSWER_IN_PLACE, the device writes the
 * answer's payload straight into them too.  The CQE's res is the answer's size (16 + its len),
 * or -errno: a request that failed at the device comes back as a header
 * with a driver status, as read() returns it (docs/driver.md).
 */
struct virtio_simple_uring_call {
	__u64 addr;		/* the buffer: user address */
	__u32 req_len;		/* request bytes at addr: 16 + hdr.len */
	__u32 cap;		/* room at addr for the answer, at least 16 */
};

#define VIRTIO_SIMPLE_URING_CALL _IOWR(VIRTIO_SIMPLE_IOC_MAGIC, 3, struct virtio_simple_uring_call)

/* C++ spells it static_assert: the header is C++'s too (libvsimple) */
#ifdef __cplusplus
#define __VIRTIO_SIMPLE_ASSERT static_assert
#else
#define __VIRTIO_SIMPLE_ASSERT _Static_assert
#endif

__VIRTIO_SIMPLE_ASSERT(sizeof(struct virtio_simple_hdr) == VIRTIO_SIMPLE_HDR_SIZE,
		       "virtio_simple_hdr is 16 bytes");
__VIRTIO_SIMPLE_ASSERT(__builtin_offsetof(struct virtio_simple_hdr, op) == 8,
		       "hdr.op at 8");
__VIRTIO_SIMPLE_ASSERT(__builtin_offsetof(struct virtio_simple_hdr, status) == 10,
		       "hdr.status at 10");
__VIRTIO_SIMPLE_ASSERT(__builtin_offsetof(struct virtio_simple_hdr, len) == 12,
		       "hdr.len at 12");
__VIRTIO_SIMPLE_ASSERT(VIRTIO_SIMPLE_S_EIO == 0x8005 && VIRTIO_SIMPLE_S_ENOMEM == 0x800c,
		       "driver statuses: bit 15 and the Linux errno");
__VIRTIO_SIMPLE_ASSERT(sizeof(struct virtio_simple_config) == 40,
		       "virtio_simple_config is 40 bytes");
__VIRTIO_SIMPLE_ASSERT(__builtin_offsetof(struct virtio_simple_config, max_payload) == 4,
		       "config.max_payload at 4");
__VIRTIO_SIMPLE_ASSERT(__builtin_offsetof(struct virtio_simple_config, label) == 8,
		       "config.label at 8");
__VIRTIO_SIMPLE_ASSERT(sizeof(struct virtio_simple_info) == 56,
		       "virtio_simple_info is 56 bytes");
__VIRTIO_SIMPLE_ASSERT(__builtin_offsetof(struct virtio_simple_info, features) == 16,
		       "info.features at 16");
__VIRTIO_SIMPLE_ASSERT(__builtin_offsetof(struct virtio_simple_info, label) == 24,
		       "info.label at 24");
__VIRTIO_SIMPLE_ASSERT(sizeof(struct virtio_simple_call) == 32,
		       "virtio_simple_call is 32 bytes");
__VIRTIO_SIMPLE_ASSERT(__builtin_offsetof(struct virtio_simple_call, req_buf) == 8,
		       "call.req_buf at 8");
__VIRTIO_SIMPLE_ASSERT(__builtin_offsetof(struct virtio_simple_call, resp_cap) == 24,
		       "call.resp_cap at 24");
__VIRTIO_SIMPLE_ASSERT(sizeof(struct virtio_simple_uring_call) == 16,
		       "virtio_simple_uring_call is 16 bytes: a 64-byte SQE's command area");

#endif /* _LINUX_VIRTIO_SIMPLE_H */
