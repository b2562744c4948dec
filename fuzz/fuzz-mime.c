/*
 * fuzz/fuzz-mime.c: libFuzzer target for mime.c, the reader of a message
 * for the content rules (header fields unfolded, MIME part names
 * decoded, body bytes), and for mime_param on its own.
 *
 * Input: byte 0 is where the rest is cut in two.  Invariants: fed whole
 * and fed in two pieces, the message gives the same transcript of
 * fields, names and body bytes; every field and name is within its
 * bound; the body bytes are a suffix of the input; mime_param's result
 * is NUL-terminated within its buffer whatever the buffer's size, and
 * the same (but for the cut) in a small and a large one.  A broken
 * invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int cond)
{
	if (!cond)
		abort();
}

struct log {
	char	*buf;
	size_t	 len, cap;
	size_t	 body;
};

static void
add(struct log *l, const char *p, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		l->cap = (l->len + n + 1) * 2;
		l->buf = realloc(l->buf, l->cap);
		check(l->buf != NULL);
	}
	memcpy(l->buf + l->len, p, n);
	l->len += n;
}

static void
on_field(void *arg, int depth, const char *name, size_t nl,
    const char *value, size_t vl)
{
	struct log *l = arg;
	char d = (char)('0' + depth);

	check(nl + vl <= MIME_FIELD_MAX + 1);
	check(depth >= 0 && depth <= MIME_DEPTH_MAX);
	add(l, "F", 1);
	add(l, &d, 1);
	add(l, name, nl);
	add(l, "\0", 1);
	add(l, value, vl);
	add(l, "\0", 1);
}

static void
on_name(void *arg, const char *name, size_t n)
{
	struct log *l = arg;

	check(n <= MIME_NAME_MAX && name[n] == '\0');
	add(l, "N", 1);
	add(l, name, n);
	add(l, "\0", 1);
}

static void
on_body(void *arg, const char *p, size_t n)
{
	struct log *l = arg;

	l->body += n;
	(void)p;
}

static struct mime m;

static void
run(const char *in, size_t n, size_t cut, struct log *l)
{
	struct mime_cb cb = { on_field, on_name, on_body, l };

	mime_init(&m, &cb);
	mime_feed(&m, in, cut);
	mime_feed(&m, in + cut, n - cut);
	mime_end(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log a = { 0 }, b = { 0 };
	const char *in = (const char *)data + 1;
	char small[8], big[MIME_FIELD_MAX + 1];
	size_t n, cut;
	long r1, r2;

	if (size < 1)
		return 0;
	n = size - 1;
	cut = n > 0 ? data[0] % (n + 1) : 0;
	run(in, n, n, &a);
	run(in, n, cut, &b);
	check(a.len == b.len && (a.len == 0 || memcmp(a.buf, b.buf, a.len) == 0));
	check(a.body == b.body && a.body <= n);
	free(a.buf);
	free(b.buf);
	r1 = mime_param(in, n, "name", small, sizeof(small));
	r2 = mime_param(in, n, "name", big, sizeof(big));
	check((r1 == -1) == (r2 == -1));
	if (r1 >= 0) {
		check((size_t)r1 < sizeof(small) && small[r1] == '\0');
		check(strncmp(small, big, (size_t)r1) == 0);
	}
	return 0;
}
