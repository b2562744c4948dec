/*
 * t/tap.h: the TAP helpers shared by the C unit tests (included once by
 * each t/unit-*.c, never by the program): ok() records a result with a
 * printf-style description, done() prints the plan and the results and
 * returns non-zero when one failed, show() makes a short printable copy
 * of test input for a description.
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TESTS_MAX
#define TESTS_MAX	4096
#endif
#define DESC_MAX	200
#define SHOW_MAX	80

struct result {
	int	ok;
	char	desc[DESC_MAX];
};

static struct result	results[TESTS_MAX];
static size_t		nresults;

static void
ok(int cond, const char *fmt, ...)
{
	va_list	ap;

	if (nresults == TESTS_MAX) {
		printf("Bail out! too many tests\n");
		exit(1);
	}
	va_start(ap, fmt);
	vsnprintf(results[nresults].desc, sizeof(results[nresults].desc),
	    fmt, ap);
	va_end(ap);
	results[nresults].ok = cond != 0;
	if (!cond)
		fprintf(stderr, "# failed: %s\n", results[nresults].desc);
	nresults++;
}

static int
done(void)
{
	size_t	i;
	int	failed = 0;

	printf("1..%zu\n", nresults);
	for (i = 0; i < nresults; i++) {
		printf("%sok %zu - %s\n", results[i].ok ? "" : "not ",
		    i + 1, results[i].desc);
		if (!results[i].ok)
			failed = 1;
	}
	return failed;
}

/* A printable, shortened copy of s[0..n) for a test description. */
static const char *
show(const char *s, size_t n)
{
	static char	buf[4][SHOW_MAX + 8];
	static int	which;
	char		*b;
	size_t		i, o;

	b = buf[which];
	which = (which + 1) % 4;
	o = 0;
	for (i = 0; i < n && o < SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r')
			o += (size_t)snprintf(b + o, sizeof(buf[0]) - o, "\\r");
		else if (c == '\n')
			o += (size_t)snprintf(b + o, sizeof(buf[0]) - o, "\\n");
		else if (c >= 32 && c < 127 && c != '#' && c != '\\')
			b[o++] = (char)c;
		else
			o += (size_t)snprintf(b + o, sizeof(buf[0]) - o,
			    "\\x%02x", c);
	}
	if (i < n) {
		memcpy(b + o, "...", 4);
		return b;
	}
	b[o] = '\0';
	return b;
}

#endif
