/*
 * fuzz/fuzz-filter.c: libFuzzer target for filter.c's readers: a filter
 * statement (filter_parse), a filter's output made CRLF (filter_crlf)
 * and the only_/skip_ lists (filter_domain_in, filter_client_in).
 *
 * Input: byte 0 picks the reader; byte 1 is where the rest is cut in two.
 *   0: the rest is a statement; parsed, its stored form (fields with one
 *      space between them) parses again to the same fields.
 *   1: the rest is output: fed whole and fed in two pieces gives the same
 *      bytes; every CR is followed by LF and every LF preceded by CR; the
 *      output ends with CRLF when the input had bytes; at most 2n + 2.
 *   2: the rest is "LIST\0ADDRESS": the lists' matchers run (no
 *      invariant but the sanitizers').
 * A broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "filter.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static struct filter_spec f1, f2;

static void
statement(const char *in, size_t n)
{
	char err[256], text[FILTER_SPEC_MAX + 1];
	size_t i;

	if (filter_parse(in, n, &f1, err, sizeof(err)) == -1) {
		check(memchr(err, '\0', sizeof(err)) != NULL);
		return;
	}
	check(f1.argv[0] != NULL && f1.argv[0][0] == '/');
	check(f1.textlen <= FILTER_SPEC_MAX);
	memcpy(text, f1.text, f1.textlen);
	for (i = 0; i < f1.textlen; i++)
		if (text[i] == '\0')
			text[i] = ' ';
	check(filter_parse(text, f1.textlen, &f2, err, sizeof(err)) == 0);
	check(f2.textlen == f1.textlen);
	check(strcmp(f1.name, f2.name) == 0);
	check(memcmp(f1.exits, f2.exits, sizeof(f1.exits)) == 0);
	check(f1.rewrite == f2.rewrite && f1.phase == f2.phase);
	check(f1.timeout == f2.timeout && f1.other == f2.other);
	for (i = 0; f1.argv[i] != NULL; i++)
		check(f2.argv[i] != NULL && strcmp(f1.argv[i], f2.argv[i]) == 0);
	check(f2.argv[i] == NULL);
	check(strcmp(f1.scope.only_client, f2.scope.only_client) == 0);
	check(strcmp(f1.scope.skip_rcpt, f2.scope.skip_rcpt) == 0);
}

static void
output(const char *in, size_t n, size_t cut)
{
	struct filter_crlf c;
	char *a, *b;
	size_t na, nb, i;

	a = malloc(2 * n + 2);
	b = malloc(2 * n + 2);
	check(a != NULL && b != NULL);
	filter_crlf_init(&c);
	na = filter_crlf(&c, in, n, a);
	na += filter_crlf_end(&c, a + na);
	filter_crlf_init(&c);
	nb = filter_crlf(&c, in, cut, b);
	nb += filter_crlf(&c, in + cut, n - cut, b + nb);
	nb += filter_crlf_end(&c, b + nb);
	check(na == nb && memcmp(a, b, na) == 0);
	check(na <= 2 * n + 2);
	for (i = 0; i < na; i++) {
		if (a[i] == '\r')
			check(i + 1 < na && a[i + 1] == '\n');
		if (a[i] == '\n')
			check(i > 0 && a[i - 1] == '\r');
	}
	if (n > 0)
		check(na >= 2 && a[na - 2] == '\r' && a[na - 1] == '\n');
	else
		check(na == 0);
	free(a);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 2;
	unsigned char bin[16];
	size_t n, cut;
	char *s, *z;

	if (size < 2)
		return 0;
	n = size - 2;
	cut = n > 0 ? data[1] % (n + 1) : 0;
	switch (data[0] % 3) {
	case 0:
		statement(in, n);
		break;
	case 1:
		output(in, n, cut);
		break;
	default:
		s = malloc(n + 1);
		check(s != NULL);
		memcpy(s, in, n);
		s[n] = '\0';
		z = s + strlen(s);
		memset(bin, data[1], sizeof(bin));
		(void)filter_client_in(bin, s);
		(void)filter_domain_in(z < s + n ? z + 1 : z, s);
		free(s);
	}
	return 0;
}
