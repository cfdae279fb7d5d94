// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test of the host API's example (backend/examples/kv-store.c, run
 * by run-guest --backend vhost-user --backend-bin ...-kv with
 * --set greeting=hello): an op the guest's driver has never heard of,
 * answered by a host program, through /dev/virtio-simple0 and libvsimple.
 */
#include <errno.h>
#include <string.h>
#include <libvsimple.h>
#include <virtio_simple.h>
#include "../lib/tap.h"
#include "guest_util.h"

#define KV_GET 0x100

int main(void)
{
	struct vsimple *vs;
	struct virtio_simple_info info;
	char value[64] = "";
	uint16_t status = 0xffff;
	uint32_t len = 0;
	int rc;

	wait_for_path("/dev/virtio-simple0", 30);
	vs = vsimple_open(0, 0);
	if (!tap_check(vs != NULL, "vsimple_open(0): %s", strerror(errno)))
		return tap_done();
	tap_check(vsimple_info(vs, &info) == 0 &&
		  !strcmp((char *)info.label, "kv-store"),
		  "the label is the host program's (\"%s\")", (char *)info.label);
	rc = vsimple_call(vs, KV_GET, "greeting", 8, value, sizeof(value) - 1,
			  &status, &len);
	tap_check(rc == 0 && status == VIRTIO_SIMPLE_S_OK && len == 5 &&
		  !memcmp(value, "hello", 5),
		  "KV_GET greeting: the host program answers \"hello\" (rc %d, status %u, %u bytes)",
		  rc, status, len);
	rc = vsimple_call(vs, KV_GET, "nothing", 7, value, sizeof(value) - 1,
			  &status, &len);
	tap_check(rc == 0 && status == VIRTIO_SIMPLE_S_EINVAL,
		  "KV_GET of a key it does not hold: EINVAL (status %u)", status);
	rc = vsimple_call(vs, 0x101, "x", 1, value, sizeof(value), &status, &len);
	tap_check(rc == 0 && status == VIRTIO_SIMPLE_S_ENOTSUP,
		  "an op nobody registered: ENOTSUP (status %u)", status);
	rc = vsimple_call(vs, VIRTIO_SIMPLE_OP_ECHO, "still", 5, value,
			  sizeof(value), &status, &len);
	tap_check(rc == 0 && status == 0 && len == 5 && !memcmp(value, "still", 5),
		  "the protocol's own ops are still served (ECHO)");
	vsimple_close(vs);
	return tap_done();
}
