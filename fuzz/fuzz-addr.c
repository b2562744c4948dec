/*
 * fuzz/fuzz-addr.c: libFuzzer target for addr.c.  Every addr_ function
 * runs on the input; their answers must agree with each other, and IPv4
 * and IPv6 literals must agree with glibc's inet_pton() up to the two
 * documented differences (RFC 5321 Snum allows leading zeros; "::" must
 * stand for at least two groups).  A broken invariant aborts.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"

#define MAILBOX_MAX	254
#define LOCAL_MAX	64
#define DOMAIN_MAX	255
#define PTON_MAX	64	/* longer texts are not compared */
#define SNUM_DIGITS	3

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int cond)
{
	if (!cond)
		abort();
}

/*
 * Copy s[0..n) to out, removing leading zeros of the octets of an IPv4
 * part (after the last ':'); 1 if an octet has more than three digits.
 */
static int
v4_strip_zeros(const char *s, size_t n, char *out)
{
	size_t	i, o, start, digits;
	int	lead, toolong;

	start = n;
	while (start > 0 && s[start - 1] != ':')
		start--;
	if (memchr(s + start, '.', n - start) == NULL)
		start = n;
	o = 0;
	lead = 1;
	digits = 0;
	toolong = 0;
	for (i = 0; i < n; i++) {
		if (i >= start) {
			if (s[i] == '.') {
				lead = 1;
				digits = 0;
			} else if (++digits > SNUM_DIGITS)
				toolong = 1;
			if (s[i] != '.' && lead && s[i] == '0' && i + 1 < n &&
			    s[i + 1] >= '0' && s[i + 1] <= '9')
				continue;
			if (s[i] != '.')
				lead = 0;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	return toolong;
}

/* Groups written out next to "::" (IPv4 part counts two), -1 if none. */
static int
v6_explicit_groups(const char *s)
{
	size_t	i;
	int	groups = 0, in = 0;

	if (strstr(s, "::") == NULL)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == ':')
			in = 0;
		else if (s[i] == '.') {
			if (in == 1)
				groups++;
			in = 2;
		} else if (!in) {
			groups++;
			in = 1;
		}
	}
	return groups;
}

static void
check_pton(const char *s, size_t n, int lv)
{
	char		txt[PTON_MAX + 1], stripped[PTON_MAX + 1];
	unsigned char	bin[16];
	size_t		cn;
	int		v6, expect, toolong;

	if (n < 2 || s[0] != '[' || s[n - 1] != ']')
		return;
	v6 = n >= 7 && memcmp(s + 1, "IPv6:", 5) == 0;
	if (!v6 && memchr(s, ':', n) != NULL)
		return;				/* a general literal */
	cn = v6 ? n - 7 : n - 2;
	if (cn > PTON_MAX || memchr(s, '\0', n) != NULL)
		return;
	memcpy(txt, s + (v6 ? 6 : 1), cn);
	txt[cn] = '\0';
	toolong = v4_strip_zeros(txt, cn, stripped);
	if (v6)
		expect = !toolong && inet_pton(AF_INET6, stripped, bin) == 1 &&
		    v6_explicit_groups(stripped) != 7;
	else
		expect = !toolong && inet_pton(AF_INET, stripped, bin) == 1;
	check(lv == expect);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data;
	size_t		 i, local;
	long		 at;
	int		 mb, dv, lv, fq, role;

	mb = addr_mailbox_valid(s, size);
	dv = addr_domain_valid(s, size);
	lv = addr_literal_valid(s, size);
	fq = addr_domain_fqdn(s, size);
	at = addr_at(s, size);
	role = addr_is_role(s, size);

	check(mb == 0 || mb == 1);
	check(dv == 0 || dv == 1);
	check(lv == 0 || lv == 1);
	check(fq == 0 || fq == 1);
	check(role == 0 || role == 1);
	check(at >= -1 && (at == -1 || (size_t)at < size));
	if (at >= 0)
		check(s[at] == '@');
	if (fq)
		check(memchr(s, '.', size) != NULL);

	if (mb) {
		check(size <= MAILBOX_MAX && at > 0);
		local = (size_t)at;
		check(local <= LOCAL_MAX);
		for (i = 0; i < size; i++)
			check(data[i] >= 32 && data[i] < 127);
		check(addr_domain_valid(s + local + 1, size - local - 1) ||
		    addr_literal_valid(s + local + 1, size - local - 1));
		/* exactly one '@' outside the quoted local part */
		i = 0;
		if (s[0] == '"')
			for (i = 1; s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
		check(memchr(s + i, '@', size - i) == s + local);
	}
	if (dv) {
		check(size > 0 && size <= DOMAIN_MAX && !lv);
		check(s[0] != '.' && s[size - 1] != '.' &&
		    s[0] != '-' && s[size - 1] != '-');
		check(memchr(s, '@', size) == NULL);
		check(fq == (memchr(s, '.', size) != NULL));
		for (i = 0; i + 1 < size; i++)
			check(!(s[i] == '.' && s[i + 1] == '.'));
	}
	if (lv)
		check(size >= 3 && s[0] == '[' && s[size - 1] == ']');
	check_pton(s, size, lv);

	/*
	 * A valid domain makes a valid mailbox with a short local part;
	 * a literal only without '@' (see the header of addr.c).
	 */
	if ((dv || (lv && memchr(s, '@', size) == NULL)) &&
	    size <= MAILBOX_MAX - 2) {
		char	buf[MAILBOX_MAX];

		buf[0] = 'x';
		buf[1] = '@';
		memcpy(buf + 2, s, size);
		check(addr_mailbox_valid(buf, size + 2) == 1);
	}
	return 0;
}
