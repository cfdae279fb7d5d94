// SPDX-License-Identifier: BSD-3-Clause
/*
 * serial-echo: the host end of `make bench`'s virtio-serial port.  Connects
 * to QEMU's socket chardev of a virtserialport (QEMU is the server) and
 * writes every byte it reads back, until QEMU closes the socket.
 *
 *   serial-echo SOCKET [WAIT_SECONDS]
 *
 * QEMU creates the socket as it starts, so the connect is retried for
 * WAIT_SECONDS (default 30).  Exit status: 0 on a clean end of stream, 1
 * on an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (256 * 1024)

static int connect_retry(const char *path, double wait_s)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	double waited = 0;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "serial-echo: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			perror("serial-echo: socket");
			return -1;
		}
		if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
			return fd;
		close(fd);
		if ((errno != ENOENT && errno != ECONNREFUSED) || waited >= wait_s) {
			fprintf(stderr, "serial-echo: connect %s: %s\n", path,
				strerror(errno));
			return -1;
		}
		nanosleep(&pause, NULL);
		waited += 0.02;
	}
}

/* Send all n bytes (no SIGPIPE when QEMU is gone); 0, or -1 and errno. */
static int write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EPIPE && errno != ECONNRESET)
				perror("serial-echo: send");
			return -1;
		}
		buf += w;
		n -= w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long total = 0;
	double wait_s = 30;
	char *buf;
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: serial-echo SOCKET [WAIT_SECONDS]\n");
		return 2;
	}
	if (argc == 3)
		wait_s = atof(argv[2]);
	buf = malloc(BUF_SIZE);
	if (!buf) {
		fprintf(stderr, "serial-echo: out of memory\n");
		return 1;
	}
	fd = connect_retry(argv[1], wait_s);
	if (fd < 0)
		return 1;
	for (;;) {
		ssize_t n = read(fd, buf, BUF_SIZE);

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* QEMU's exit may reset the connection: that is an end too */
			if (errno == ECONNRESET)
				break;
			perror("serial-echo: read");
			return 1;
		}
		if (write_all(fd, buf, n) < 0)
			return errno == EPIPE || errno == ECONNRESET ? 0 : 1;
		total += n;
	}
	fprintf(stderr, "serial-echo: echoed %llu bytes\n", total);
	close(fd);
	free(buf);
	return 0;
}
