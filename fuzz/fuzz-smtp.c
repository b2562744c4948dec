/*
 * fuzz/fuzz-smtp.c: libFuzzer target for smtp.c.  The input is one
 * command line; smtp_verb, smtp_path (with both keywords and with a
 * small buffer), smtp_param and smtp_size_value run on it, and their
 * results must stay inside the line and agree with each other.  A broken
 * invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "session.h"
#include "smtp.h"

#define SMALL_MAX	16
#define SIZE_DIGITS_MAX	20

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void
check_path(const char *s, size_t n, const char *kw, size_t small)
{
	char	*out, *tiny;
	size_t	params, params2, len;
	int	r, r2;

	out = malloc(ADDR_MAX + 1);
	tiny = malloc(small);
	check(out != NULL && tiny != NULL);
	params = (size_t)-1;
	r = smtp_path(s, n, kw, out, ADDR_MAX + 1, &params);
	check(r == 0 || r == -1);
	if (r == 0) {
		len = strnlen(out, ADDR_MAX + 1);
		check(len <= ADDR_MAX);
		check(params <= n);
		check(params == n || !is_blank(s[params]));
		check(params > 0 && (params == n || is_blank(s[params - 1]) ||
		    s[params - 1] == '>'));
		/* the address is a copy of bytes of the line */
		check(len == 0 || memmem(s, n, out, len) != NULL);
	} else
		check(out[0] == '\0');
	r2 = smtp_path(s, n, kw, tiny, small, &params2);
	if (r == 0 && strlen(out) < small)
		check(r2 == 0 && strcmp(out, tiny) == 0 && params == params2);
	else
		check(r2 == -1);
	free(out);
	free(tiny);
}

static void
check_params(const char *s, size_t n, size_t pos)
{
	size_t	k, kl, v, vl, rounds;
	int	r;

	rounds = 0;
	while ((r = smtp_param(s, n, &pos, &k, &kl, &v, &vl)) == 1) {
		check(kl > 0 && k + kl <= n && v + vl <= n && pos <= n);
		check(vl == 0 || (v == k + kl + 1 && s[v - 1] == '='));
		check(pos == n || is_blank(s[pos]));
		check(++rounds <= n);
	}
	check(r == 0 || r == -1);
	if (r == 0)
		check(pos == n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data;
	char		 digits[SIZE_DIGITS_MAX + 1];
	enum smtp_verb	 v;
	const char	*name;
	unsigned long	 value;
	size_t		 arg, small;
	int		 r;

	arg = (size_t)-1;
	v = smtp_verb(s, size, &arg);
	check(arg <= size);
	name = smtp_verb_name(v);
	check(name != NULL);
	if (v != SMTP_UNKNOWN) {
		check(strlen(name) <= size &&
		    strncasecmp(s, name, strlen(name)) == 0);
		check(strlen(name) == size || is_blank(s[strlen(name)]));
	}

	small = size > 0 ? 1 + data[0] % SMALL_MAX : 1;
	check_path(s, size, "FROM:", small);
	check_path(s, size, "TO:", small);
	check_path(s + arg, size - arg, "FROM:", small);
	check_path(s + arg, size - arg, "TO", small);

	check_params(s, size, 0);
	check_params(s, size, arg);

	value = 0;
	r = smtp_size_value(s, size, &value);
	check(r == 0 || r == -1);
	if (r == 0) {
		check(size > 0 && size <= SIZE_DIGITS_MAX);
		memcpy(digits, s, size);
		digits[size] = '\0';
		check(strspn(digits, "0123456789") == size);
		check(strtoul(digits, NULL, 10) == value);
	}
	return 0;
}
