/*
 * fuzz/fuzz-starttls.c: libFuzzer target for starttls_facts(), the
 * reader of the line smtpfront-tls writes after its handshake.
 *
 * Input: the line (without its LF), in a buffer of exactly its size.
 * Invariants: the result is 0 or -1; on 0 each field is NUL-terminated
 * inside its array, not empty, printable ASCII without blanks, the bits
 * are digits, and "PROTO CIPHER BITS" is the input exactly; a line that
 * starts with "fail" is never taken.  A broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "starttls.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static size_t
field(const char *f, size_t size)
{
	size_t n = strnlen(f, size), i;

	check(n > 0 && n < size);
	for (i = 0; i < n; i++)
		check((unsigned char)f[i] > 32 && (unsigned char)f[i] < 127);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_facts f;
	char *line, back[sizeof(f) + 4];
	size_t a, b, c, i;
	int r;

	if ((line = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	memset(&f, 'x', sizeof(f));
	r = starttls_facts(line, size, &f);
	check(r == 0 || r == -1);
	if (r == 0) {
		check(!(size >= 4 && memcmp(line, "fail", 4) == 0));
		a = field(f.proto, sizeof(f.proto));
		b = field(f.cipher, sizeof(f.cipher));
		c = field(f.bits, sizeof(f.bits));
		for (i = 0; i < c; i++)
			check(f.bits[i] >= '0' && f.bits[i] <= '9');
		check(a + b + c + 2 == size);
		memcpy(back, f.proto, a);
		back[a] = ' ';
		memcpy(back + a + 1, f.cipher, b);
		back[a + 1 + b] = ' ';
		memcpy(back + a + b + 2, f.bits, c);
		check(memcmp(back, line, size) == 0);
	}
	free(line);
	return 0;
}
