/*
 * fuzz/fuzz-policy.c: libFuzzer target for policy_parse() in policy.c,
 * the reader of a policy server's answer.
 *
 * Input: byte 0 gives the action buffer's size (1-256), the rest is the
 * answer.  Invariants: the action is NUL-terminated within its buffer
 * (ASan sees a buffer of exactly that size), printable, and a prefix of
 * the value of the first "action=" line; an answer that does not end
 * with an empty line is refused (-1); one with an empty line before its
 * end is refused (-2); the result is the same whatever the buffer size,
 * but for the cut.  A broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int cond)
{
	if (!cond)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *a, big[600];
	const char *ans, *line, *nl;
	size_t asize, len, i, n;
	int r, rb;

	if (size < 1)
		return 0;
	asize = (size_t)data[0] % 256 + 1;
	ans = (const char *)data + 1;
	len = size - 1;
	a = malloc(asize);
	check(a != NULL);
	r = policy_parse(ans, len, a, asize);
	rb = policy_parse(ans, len, big, sizeof(big));
	check(r == rb);
	if (len < 2 || memcmp(ans + len - 2, "\n\n", 2) != 0)
		check(r == -1);
	if (r == 0) {
		n = strlen(a);
		check(n < asize);
		for (i = 0; i < n; i++)
			check(a[i] >= 32 && a[i] <= 126);
		check(strncmp(a, big, n) == 0);
		/* the first action= line, made printable, starts the same */
		for (line = ans; (nl = memchr(line, '\n', (size_t)(ans + len -
		    line))) != NULL; line = nl + 1)
			if ((size_t)(nl - line) >= 7 &&
			    memcmp(line, "action=", 7) == 0)
				break;
		check(nl != NULL);
		for (i = 0; i < n && line + 7 + i < nl; i++)
			check(a[i] == line[7 + i] || a[i] == '?');
	}
	free(a);
	return 0;
}
