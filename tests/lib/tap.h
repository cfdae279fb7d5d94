/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP output for the C tests: "ok N - what" / "not ok N - what". */
#ifndef VSIMPLE_TAP_H
#define VSIMPLE_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;

/* Report one check; returns cond so callers can stop early. */
__attribute__((format(printf, 2, 3)))
static inline int tap_check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

/* A check that cannot run here: counted as skipped, with the reason. */
static inline void tap_skip(const char *what, const char *why)
{
	printf("ok %d - %s # SKIP %s\n", ++tap_n, what, why);
	fflush(stdout);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
