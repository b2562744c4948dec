/*
 * fuzz/fuzz-creply.c: libFuzzer target for the reading of the MTA child's
 * replies (child.c: child_reply, and the line reader and the printable
 * filter under it).
 *
 * Input: the bytes the child writes, whatever they are.  They go into a
 * pipe whose other end is closed, and replies are read until the reader
 * fails (at the end of input at the latest).  Invariants for every reply
 * read: its code is 200 to 599, it has 1 to CREPLY_LINES lines, its text
 * fits CREPLY_MAX, is made of lines "DDD" or "DDD-..."/"DDD ..." with the
 * reply's code, each ended by CRLF, and holds no byte outside 32..126
 * besides those CRLFs; has_esc is set only when the first line carries an
 * enhanced status code of the reply's class.  A broken invariant aborts.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "child.h"

#define INPUT_MAX	60000	/* fits a pipe's buffer: one write, no wait */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct child c;

static void
check(int cond)
{
	if (!cond)
		abort();
}

static int
dig(char ch)
{
	return ch >= '0' && ch <= '9';
}

static void
check_reply(const struct creply *r)
{
	size_t i = 0, j, lines = 0, first = 0;
	int code, last;

	check(r->code >= 200 && r->code <= 599);
	check(r->lines >= 1 && r->lines <= CREPLY_LINES);
	check(r->len >= 5 && r->len <= CREPLY_MAX);
	while (i < r->len) {
		for (j = i; j < r->len && r->text[j] != '\r'; j++)
			check((unsigned char)r->text[j] >= 32 &&
			    (unsigned char)r->text[j] <= 126);
		check(j + 1 < r->len && r->text[j + 1] == '\n');
		check(j - i >= 3 && dig(r->text[i]) && dig(r->text[i + 1]) &&
		    dig(r->text[i + 2]));
		code = (r->text[i] - '0') * 100 + (r->text[i + 1] - '0') * 10 +
		    (r->text[i + 2] - '0');
		check(code == r->code);
		last = j + 2 == r->len;
		/* "DDD-" goes on, "DDD " or "DDD" ends: only the last ends */
		if (last)
			check(j - i == 3 || r->text[i + 3] == ' ');
		else
			check(j - i > 3 && r->text[i + 3] == '-');
		if (lines == 0)
			first = j - i;
		lines++;
		i = j + 2;
	}
	/* lines that did not fit are left out; none is invented */
	check(lines >= 1 && lines <= (size_t)r->lines);
	check(r->has_esc == (first > 4 && creply_esc(r->text + 4, first - 4,
	    r->text[0])));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct creply rep;
	int p[2], n;

	if (size > INPUT_MAX)
		return 0;
	check(pipe2(p, O_CLOEXEC) == 0);
	check(write(p[1], data, size) == (ssize_t)size || size == 0);
	close(p[1]);
	memset(&c, 0, sizeof(c));
	c.pid = 1;		/* never signalled: only the reader runs */
	c.to = -1;
	c.from = p[0];
	c.timeout = 5;
	/* every reply takes at least 4 bytes ("DDD\n"): bounded */
	for (n = 0; n <= (int)(size / 4) + 1; n++) {
		if (child_reply(&c, &rep) == -1)
			break;
		check_reply(&rep);
	}
	check(n <= (int)(size / 4) + 1);
	close(p[0]);
	return 0;
}
