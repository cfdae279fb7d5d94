/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for the guest C tests: requests, responses, sysfs, waiting. */
#ifndef GUEST_UTIL_H
#define GUEST_UTIL_H

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <virtio_simple.h>

struct resp {
	uint64_t id;
	uint16_t op, status;
	uint32_t len;
};

/* One write(): header + payload.  0, or -1 with errno. */
static inline int send_req(int fd, uint64_t id, uint16_t op, const void *p,
			   uint32_t len)
{
	struct virtio_simple_hdr hdr = {
		.id = htole64(id), .op = htole16(op), .len = htole32(len),
	};
	uint8_t *buf = calloc(1, sizeof(hdr) + len + 1);
	ssize_t n;

	memcpy(buf, &hdr, sizeof(hdr));
	if (p && len)
		memcpy(buf + sizeof(hdr), p, len);
	n = write(fd, buf, sizeof(hdr) + len);
	free(buf);
	return n == (ssize_t)(sizeof(hdr) + len) ? 0 : -1;
}

/*
 * One read() of a whole response; returns its payload (malloc'd) or NULL:
 * with errno from read(), or from a driver status (a failed request, *r
 * names it).
 */
static inline void *recv_resp(int fd, struct resp *r, uint32_t max_payload)
{
	size_t cap = sizeof(struct virtio_simple_hdr) + max_payload;
	uint8_t *buf = malloc(cap), *payload;
	struct virtio_simple_hdr hdr;
	ssize_t n = read(fd, buf, cap);

	memset(r, 0, sizeof(*r));
	if (n < (ssize_t)sizeof(hdr)) {
		free(buf);
		return NULL;
	}
	memcpy(&hdr, buf, sizeof(hdr));
	r->id = le64toh(hdr.id);
	r->op = le16toh(hdr.op);
	r->status = le16toh(hdr.status);
	r->len = le32toh(hdr.len);
	if (r->status & VIRTIO_SIMPLE_S_DRIVER) {	/* a failed request, named */
		free(buf);
		errno = r->status & ~VIRTIO_SIMPLE_S_DRIVER;
		return NULL;
	}
	payload = malloc(r->len + 1);
	memcpy(payload, buf + sizeof(hdr), n - sizeof(hdr));
	free(buf);
	return payload;
}

/* One ECHO of @text on @fd: true when the same id and bytes come back. */
static inline int echo_ok(int fd, uint64_t id, const char *text)
{
	uint32_t len = strlen(text);
	struct resp r;
	void *p;
	int ok;

	if (send_req(fd, id, VIRTIO_SIMPLE_OP_ECHO, text, len))
		return 0;
	p = recv_resp(fd, &r, len);
	ok = p && r.id == id && r.status == 0 && r.len == len &&
	     !memcmp(p, text, len);
	free(p);
	return ok;
}

/*
 * A file's share of a device with @max_in_flight slots (docs/driver.md):
 * three quarters of its user's, which is three quarters of the device's
 * and leaves at least one slot to other users.
 */
static inline unsigned int file_share(unsigned int max_in_flight)
{
	unsigned int q = max_in_flight / 4 ? max_in_flight / 4 : 1;
	unsigned int user = max_in_flight > q ? max_in_flight - q : 1;

	return user - user / 4;
}

/* 1 s DELAYs on @fd (O_NONBLOCK) until its share is full; how many. */
static inline unsigned int fill_delays(int fd)
{
	uint32_t d = htole32(1000000);
	unsigned int n = 0;

	while (send_req(fd, n, VIRTIO_SIMPLE_OP_DELAY, &d, 4) == 0)
		n++;
	return n;
}

/*
 * An ECHO from another user (nobody, 65534) on @node, blocking, within
 * 10 s: whether it was answered right.
 */
static inline int other_user_echo(const char *node)
{
	int status = -1, fd;
	pid_t pid = fork();

	if (pid == 0) {
		alarm(10);
		if (setgid(65534) || setuid(65534))	/* all three ids, as root */
			_exit(2);
		fd = open(node, O_RDWR);
		_exit(fd >= 0 && echo_ok(fd, 1, "another user") ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static inline void wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	poll(&p, 1, 10000);
}

static inline uint64_t sysfs_u64(int index, const char *attr)
{
	char path[256];
	unsigned long long v = ~0ull;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/class/virtio-simple/virtio-simple%d/%s", index, attr);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = ~0ull;
		fclose(f);
	}
	return v;
}

static inline double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* qsort() order of doubles: latencies, for percentiles (the bench tools) */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Write @text to a sysfs or procfs file; true when it was taken. */
static inline int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ok = f && fputs(text, f) >= 0;

	if (f && fclose(f))
		ok = 0;
	return ok;
}

/*
 * One kernel trace event (tracefs, mounted by the guest's init) recorded
 * around some work: trace_event_on() starts @event ("kmem/kmalloc") with
 * @filter on an empty buffer (false when the kernel has no such event);
 * trace_event_off() stops it and returns how many recorded lines hold
 * @needle, printing the first as a TAP comment, or -1 when the buffer
 * cannot be read; *@all gets the count of the event's lines.
 */
#define TRACE "/sys/kernel/tracing/"

static inline int trace_event_on(const char *event, const char *filter)
{
	char path[128];

	snprintf(path, sizeof(path), TRACE "events/%s/enable", event);
	if (access(path, W_OK))
		return 0;
	write_file(TRACE "tracing_on", "0");
	write_file(TRACE "trace", "");
	snprintf(path, sizeof(path), TRACE "events/%s/filter", event);
	write_file(path, filter);
	snprintf(path, sizeof(path), TRACE "events/%s/enable", event);
	write_file(path, "1");
	write_file(TRACE "tracing_on", "1");
	return 1;
}

static inline int trace_event_off(const char *event, const char *needle,
				  int *all)
{
	const char *name = strrchr(event, '/') + 1;
	char path[128], line[512];
	int n = 0;
	FILE *t;

	write_file(TRACE "tracing_on", "0");
	snprintf(path, sizeof(path), TRACE "events/%s/enable", event);
	write_file(path, "0");
	snprintf(path, sizeof(path), TRACE "events/%s/filter", event);
	write_file(path, "0");
	*all = 0;
	t = fopen(TRACE "trace", "r");
	if (!t)
		return -1;
	while (fgets(line, sizeof(line), t)) {
		char *at = strstr(line, name);

		if (!at || at[strlen(name)] != ':')
			continue;
		++*all;
		if (strstr(line, needle) && !n++)
			printf("# %s", line);	/* the first, for the log */
	}
	fclose(t);
	write_file(TRACE "trace", "");
	return n;
}

/*
 * The kernel's function error injection (fail_function: CONFIG_FAIL_FUNCTION,
 * make check-debug's kernel; distro kernels lack it), on a driver function
 * marked ALLOW_ERROR_INJECTION.
 */
#define FAIL_FN "/sys/kernel/debug/fail_function/"

static inline int have_fail_function(void)
{
	return access(FAIL_FN "inject", W_OK) == 0;
}

/* Make @fn fail @times times ("-1": until disarmed) with @retval. */
static inline int fail_function_arm(const char *fn, const char *retval,
				    const char *times)
{
	char path[256];

	snprintf(path, sizeof(path), FAIL_FN "%s/retval", fn);
	return write_file(FAIL_FN "inject", fn) &&
	       (!retval || write_file(path, retval)) &&
	       write_file(FAIL_FN "probability", "100") &&
	       write_file(FAIL_FN "interval", "1") &&
	       write_file(FAIL_FN "times", times) &&
	       write_file(FAIL_FN "verbose", "0");
}

static inline void fail_function_off(const char *fn)
{
	char bang[128];

	snprintf(bang, sizeof(bang), "!%s", fn);
	write_file(FAIL_FN "inject", bang);
}

/* The virtio device (virtioN) /dev/virtio-simple0 belongs to: the name the
 * driver's sysfs bind/unbind files take ("" when there is none). */
static inline void bound_virtio_dev(char *out, size_t n)
{
	char link[256] = "";
	ssize_t len = readlink("/sys/class/virtio-simple/virtio-simple0/device",
			       link, sizeof(link) - 1);
	const char *name;

	link[len > 0 ? len : 0] = '\0';
	name = strrchr(link, '/');
	snprintf(out, n, "%s", name ? name + 1 : link);
}

/* Wait for @path to exist (the driver loads asynchronously at boot). */
static inline int wait_for_path(const char *path, int secs)
{
	double end = mono_s() + secs;

	while (access(path, F_OK)) {
		if (mono_s() > end)
			return 0;
		usleep(1000);
	}
	return 1;
}

/* Poll a sysfs counter until it reads @want; false after @secs. */
static inline int wait_sysfs_u64(int index, const char *attr, uint64_t want,
				 int secs)
{
	double end = mono_s() + secs;

	while (sysfs_u64(index, attr) != want) {
		if (mono_s() > end)
			return 0;
		usleep(1000);
	}
	return 1;
}

/* Poll a sysfs counter until it reads at least @want; false after @secs. */
static inline int wait_sysfs_at_least(int index, const char *attr,
				      uint64_t want, int secs)
{
	double end = mono_s() + secs;

	while (sysfs_u64(index, attr) < want) {
		if (mono_s() > end)
			return 0;
		usleep(1000);
	}
	return 1;
}

/* Wait until task @tid sleeps in system call @nr (/proc/TID/syscall). */
static inline int wait_for_syscall(pid_t tid, long nr)
{
	double end = mono_s() + 10;
	char path[64], line[256];

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)tid);
	while (mono_s() < end) {
		FILE *f = fopen(path, "r");
		long got = -1;

		if (f) {
			if (fgets(line, sizeof(line), f))
				got = strtol(line, NULL, 10);
			fclose(f);
			/* "running" parses as 0; only trust a sleeping task */
			if (got == nr && strncmp(line, "running", 7)) {
				char st[64];

				snprintf(st, sizeof(st), "/proc/%d/stat", (int)tid);
				f = fopen(st, "r");
				if (f && fgets(line, sizeof(line), f) &&
				    strstr(line, ") S ")) {
					fclose(f);
					return 1;
				}
				if (f)
					fclose(f);
			}
		}
		usleep(1000);
	}
	fprintf(stderr, "# task %d never slept in syscall %ld\n", (int)tid, nr);
	return 0;
}

#endif
