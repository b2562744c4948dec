/*
 * fuzz/fuzz-authres.c: libFuzzer target for authres.c, the removal of
 * Authentication-Results fields that claim our authserv-id from a
 * message's header section.
 *
 * Input: a message.  Invariants: a removal leaves a message from which a
 * second removal takes nothing; it is never longer than the input; the
 * input's end (its body, at least the bytes after the header section)
 * is the output's end; no removal leaves the output empty of the
 * input's bytes where there was nothing to remove.  A broken invariant
 * aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "authres.h"
#include "spool.h"

#define ID	"mx.test"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static size_t
slurp(struct spool *sp, char *buf, size_t size)
{
	size_t n = 0;
	long r;

	check(spool_rewind(sp) == 0);
	while ((r = spool_read(sp, buf + n, size - n)) > 0)
		n += (size_t)r;
	check(r == 0);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool *in, *out, *again;
	char *buf;
	size_t n;
	long r;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	in = spool_new(size + 1, "/tmp");
	out = spool_new(size + 1, "/tmp");
	again = spool_new(size + 1, "/tmp");
	check(in != NULL && out != NULL && again != NULL);
	check(spool_write(in, (const char *)data, size) == 0);
	r = authres_strip(in, ID, out);
	check(r >= 0);
	if (r > 0) {
		n = slurp(out, buf, size + 1);
		check(n < size);
		check(authres_strip(out, ID, again) == 0);
	} else
		check(spool_size(out) == 0);
	spool_free(in);
	spool_free(out);
	spool_free(again);
	free(buf);
	return 0;
}
