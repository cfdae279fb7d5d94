// SPDX-License-Identifier: GPL-2.0
/*
 * The guest has no JSON tool: parse stdin as JSON (RFC 8259: objects,
 * arrays, strings with their escapes, numbers, true, false, null; nothing
 * after the value) and check that each PATH (keys joined by '.', e.g.
 * latency_us.p99) names a number.  Exit 0 when both hold, 1 saying why.
 *   json_check [PATH...] < FILE
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *p;		/* the parse position */
static char path[256];		/* the keys down to the current value */
static char **want;
static int nwant, *found;

static int fail(const char *what)
{
	fprintf(stderr, "json_check: %s, before \"%.20s\"\n", what, p);
	exit(1);
}

static void ws(void)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
}

/* A string; its raw bytes (escapes kept as written) to @out if given. */
static void string(char *out, size_t cap)
{
	size_t n = 0;

	if (*p++ != '"')
		fail("no string");
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			fail("a control character or the end inside a string");
		if (*p == '\\') {
			if (out && n + 1 < cap)
				out[n++] = *p;
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						fail("a bad \\u escape");
			} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
				fail("a bad escape");
			}
		}
		if (out && n + 1 < cap)
			out[n++] = *p;
		p++;
	}
	p++;
	if (out)
		out[n] = '\0';
}

static void number(void)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (isdigit((unsigned char)*p))
		while (isdigit((unsigned char)*p))
			p++;
	else
		fail("a bad number");
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			fail("no digit after the point");
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			fail("no digit in the exponent");
		while (isdigit((unsigned char)*p))
			p++;
	}
	for (int i = 0; i < nwant; i++)
		if (!strcmp(want[i], path))
			found[i] = 1;
}

static void value(int depth);

/*
 * After an object's member or an array's element:
 * true past @close, which ends it; else past the ',' that must come.
 */
static int list_end(char close, const char *missing)
{
	ws();
	if (*p == close) {
		p++;
		return 1;
	}
	if (*p++ != ',')
		fail(missing);
	return 0;
}

static void members(int depth)
{
	size_t len = strlen(path);
	char key[128];

	p++;
	ws();
	if (*p == '}') {
		p++;
		return;
	}
	for (;;) {
		ws();
		string(key, sizeof(key));
		snprintf(path + len, sizeof(path) - len, "%s%s", len ? "." : "", key);
		ws();
		if (*p++ != ':')
			fail("no ':' after a key");
		value(depth + 1);
		path[len] = '\0';
		if (list_end('}', "no ',' or '}' in an object"))
			return;
	}
}

static void elements(int depth)
{
	p++;
	ws();
	if (*p == ']') {
		p++;
		return;
	}
	do
		value(depth + 1);
	while (!list_end(']', "no ',' or ']' in an array"));
}

static void value(int depth)
{
	if (depth > 64)
		fail("nested too deep");
	ws();
	if (*p == '{')
		members(depth);
	else if (*p == '[')
		elements(depth);
	else if (*p == '"')
		string(NULL, 0);
	else if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		p += 4;
	else if (!strncmp(p, "false", 5))
		p += 5;
	else
		number();
}

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, stdin);

	buf[n] = '\0';
	if (strlen(buf) != n)
		fail("a NUL byte");
	want = argv + 1;
	nwant = argc - 1;
	found = calloc(nwant + 1, sizeof(*found));
	p = buf;
	value(0);
	ws();
	if (*p)
		fail("bytes after the value");
	for (int i = 0; i < nwant; i++)
		if (!found[i]) {
			fprintf(stderr, "json_check: no number at %s\n", want[i]);
			return 1;
		}
	return 0;
}
