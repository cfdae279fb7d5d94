// SPDX-License-Identifier: GPL-2.0
/*
 * Run a command as an unprivileged user (the guest runs everything as root,
 * and busybox has no tool that changes uid):
 *   as_user UID GID COMMAND [ARGS...]
 * Exits 126 if the privileges cannot be dropped, 127 if COMMAND cannot run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A decimal id, all of the string, or exit 126. */
static unsigned int parse_id(const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || *s == '-' || errno || v > 65535) {
		fprintf(stderr, "as_user: '%s' is not a uid/gid\n", s);
		exit(126);
	}
	return v;
}

int main(int argc, char **argv)
{
	uid_t uid;
	gid_t gid;

	if (argc < 4) {
		fprintf(stderr, "usage: as_user UID GID COMMAND [ARGS...]\n");
		return 126;
	}
	uid = parse_id(argv[1]);
	gid = parse_id(argv[2]);
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
		perror("as_user");
		return 126;
	}
	/* dropped for good: root cannot be had back */
	if (uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		fprintf(stderr, "as_user: still root after setuid(%u)\n", uid);
		return 126;
	}
	execvp(argv[3], argv + 3);
	perror(argv[3]);
	return 127;
}
