// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of the host API (backend/vsimple-host.h) without QEMU, under
 * ASan and UBSan: bad options refused with -EINVAL, a file that is not a
 * socket never replaced nor removed, a stale socket reused, the protocol's
 * own ops not registrable, the op table's limit, and a serving loop that
 * stops when asked and removes its socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "vsimple-host.h"
#include "../lib/tap.h"

static char dir[] = "/tmp/vsimple-host-test.XXXXXX";

static char *path(const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static int try_new(struct vsimple_host_options o)
{
	struct vsimple_host *h = NULL;
	int rc = vsimple_host_new(&o, &h);

	vsimple_host_free(h);
	return rc;
}

static uint16_t nop(void *opaque, uint16_t op, const uint8_t *req,
		    uint32_t len, uint8_t *resp, uint32_t cap, uint32_t *out)
{
	(void)opaque; (void)op; (void)req; (void)len; (void)resp; (void)cap;
	*out = 0;
	return 0;
}

static void *serve(void *h)
{
	return (void *)(long)vsimple_host_serve(h);
}

int main(void)
{
	struct vsimple_host_options o = { 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vsimple_host *h;
	char long_path[200];
	struct stat st;
	pthread_t t;
	void *ret;
	int fd, rc, n;

	if (!mkdtemp(dir))
		return 1;
	tap_check(try_new(o) == -EINVAL, "no socket path: -EINVAL");
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	o.socket_path = long_path;
	tap_check(try_new(o) == -EINVAL, "a path longer than sun_path: -EINVAL");
	o.socket_path = path("s");
	o.label = "0123456789012345678901234567890123";
	tap_check(try_new(o) == -EINVAL, "a label of 32 bytes or more: -EINVAL");
	o.label = NULL;
	o.max_payload = 3;
	tap_check(try_new(o) == -EINVAL, "max_payload 3: -EINVAL");
	o.max_payload = 1048577;
	tap_check(try_new(o) == -EINVAL, "max_payload over 1 MiB: -EINVAL");
	o.max_payload = 0;

	fd = open(path("file"), O_CREAT | O_WRONLY, 0600);
	close(fd);
	o.socket_path = path("file");
	rc = try_new(o);
	tap_check(rc == -EADDRINUSE && stat(path("file"), &st) == 0 &&
		  S_ISREG(st.st_mode),
		  "a file that is not a socket: refused (%d), left in place", rc);

	/* a socket nobody listens on, as a killed backend leaves */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path("stale"));
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	o.socket_path = path("stale");
	tap_check(try_new(o) == 0, "a stale socket is replaced");
	tap_check(stat(path("stale"), &st) != 0, "and removed when the backend ends");

	o.socket_path = path("s");
	if (!tap_check(vsimple_host_new(&o, &h) == 0, "a backend on a fresh path"))
		return tap_done();
	tap_check(vsimple_host_register_op(h, 1, nop, NULL) == -EEXIST &&
		  vsimple_host_register_op(h, 2, nop, NULL) == -EEXIST &&
		  vsimple_host_register_op(h, 3, nop, NULL) == -EEXIST &&
		  vsimple_host_register_op(h, 4, nop, NULL) == -EEXIST,
		  "ECHO, CRC32C, DELAY and CRC32C_UPDATE are the protocol's: -EEXIST");
	tap_check(vsimple_host_register_op(h, 0x100, nop, NULL) == 0 &&
		  vsimple_host_register_op(h, 0x100, nop, NULL) == -EEXIST,
		  "an op registers once");
	for (n = 1; vsimple_host_register_op(h, 0x100 + n, nop, NULL) == 0; n++)
		;
	tap_check(n == 64 && vsimple_host_register_op(h, 0x200, nop, NULL) == -ENOSPC,
		  "64 ops at most, then -ENOSPC (%d registered)", n);
	pthread_create(&t, NULL, serve, h);
	vsimple_host_stop(h);
	pthread_join(t, &ret);
	tap_check(ret == NULL, "vsimple_host_stop() makes vsimple_host_serve() return 0");
	vsimple_host_free(h);
	tap_check(stat(path("s"), &st) != 0, "the socket is gone after vsimple_host_free()");
	unlink(path("file"));
	rmdir(dir);
	return tap_done();
}
