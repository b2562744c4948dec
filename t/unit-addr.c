/*
 * t/unit-addr.c: unit tests of addr.c (RFC 5321 address grammar), TAP on
 * stdout.  Results are collected and printed after the plan; a failing
 * case is also described on stderr at once.  Exit status 1 on a failure.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "tap.h"

#define BUF_MAX		600
#define V6_LEN_MAX	13


struct valid_case {
	const char	*s;
	int		 want;
};

static const struct valid_case mailbox_cases[] = {
	{ "user@example.com", 1 },
	{ "u@e", 1 },
	{ "first.last@example.com", 1 },
	{ "a.b.c.d@example.com", 1 },
	{ "user+tag@example.com", 1 },
	{ "!#$%&'*+-/=?^_`{|}~@example.com", 1 },
	{ "UPPER@EXAMPLE.COM", 1 },
	{ "123@456", 1 },
	{ "user@sub.do-main.example", 1 },
	{ "user@a-b.c", 1 },
	{ "\"quoted\"@example.com", 1 },
	{ "\"\"@example.com", 1 },
	{ "\"with space\"@example.com", 1 },
	{ "\"a@b\"@example.com", 1 },
	{ "\"a>b\"@example.com", 1 },
	{ "\"a\\\"b\"@example.com", 1 },
	{ "\"a\\\\b\"@example.com", 1 },
	{ "\"a\\ b\"@example.com", 1 },
	{ "\".dots..\"@example.com", 1 },
	{ "\"(comment)\"@example.com", 1 },
	{ "user@[192.0.2.1]", 1 },
	{ "user@[0.0.0.0]", 1 },
	{ "user@[255.255.255.255]", 1 },
	{ "user@[001.02.3.4]", 1 },
	{ "user@[IPv6:2001:db8::1]", 1 },
	{ "user@[ipv6:::1]", 1 },
	{ "user@[IPv6:::ffff:192.0.2.1]", 1 },
	{ "user@[x-tag:some-content]", 1 },
	{ "user@[x-tag:a@b]", 0 },
	{ "user@[x-tag:a@]", 0 },
	{ "\"a@b\"@[x-tag:c@d]", 0 },
	{ "", 0 },
	{ "@", 0 },
	{ "user", 0 },
	{ "user@", 0 },
	{ "@example.com", 0 },
	{ ".user@example.com", 0 },
	{ "user.@example.com", 0 },
	{ "us..er@example.com", 0 },
	{ ".@example.com", 0 },
	{ "user@.example.com", 0 },
	{ "user@example.com.", 0 },
	{ "user@example..com", 0 },
	{ "user@-example.com", 0 },
	{ "user@example-.com", 0 },
	{ "user@exa_mple.com", 0 },
	{ "us er@example.com", 0 },
	{ "us\"er@example.com", 0 },
	{ "us(er@example.com", 0 },
	{ "us,er@example.com", 0 },
	{ "us[er@example.com", 0 },
	{ "a@b@example.com", 0 },
	{ "user@exa mple.com", 0 },
	{ "\"unterminated@example.com", 0 },
	{ "\"a\"b@example.com", 0 },
	{ "a\"b\"@example.com", 0 },
	{ "\"a\\\"@example.com", 0 },
	{ "\"a\"\"b\"@example.com", 0 },
	{ "\"a\tb\"@example.com", 0 },
	{ "\"a\\\tb\"@example.com", 0 },
	{ "\"a\"@", 0 },
	{ "us\xc3\xa9r@example.com", 0 },
	{ "user@exampl\xc3\xa9.com", 0 },
	{ "\"\xc3\xa9\"@example.com", 0 },
	{ "user@[192.0.2.256]", 0 },
	{ "user@[192.0.2]", 0 },
	{ "user@[192.0.2.1.5]", 0 },
	{ "user@[0192.0.2.1]", 0 },
	{ "user@[192.0.2.1", 0 },
	{ "user@192.0.2.1]", 0 },
	{ "user@[]", 0 },
	{ "user@[IPv6:2001:db8::1::2]", 0 },
	{ "user@[IPv6:192.0.2.1]", 0 },
	{ "user@[tag:]", 0 },
	{ "user@[:content]", 0 },
	{ "user@[tag-:content]", 0 },
	{ "user@[tag:con[tent]", 0 },
	{ "user@[tag:con tent]", 0 },
	{ "user@example.com ", 0 },
	{ " user@example.com", 0 },
	{ "<user@example.com>", 0 },
	{ "user@example.com\r\n", 0 },
};

static const struct valid_case domain_cases[] = {
	{ "example.com", 1 },
	{ "a", 1 },
	{ "1", 1 },
	{ "localhost", 1 },
	{ "a-b", 1 },
	{ "a--b.c", 1 },
	{ "xn--bcher-kva.example", 1 },
	{ "1.2.3.4", 1 },
	{ "EXAMPLE.COM", 1 },
	{ "0a.9z", 1 },
	{ "", 0 },
	{ ".", 0 },
	{ "example.com.", 0 },
	{ ".example.com", 0 },
	{ "example..com", 0 },
	{ "-a.com", 0 },
	{ "a-.com", 0 },
	{ "a.-", 0 },
	{ "-", 0 },
	{ "a_b.com", 0 },
	{ "a b.com", 0 },
	{ "a@b.com", 0 },
	{ "[1.2.3.4]", 0 },
	{ "ex\xc3\xa4mple.com", 0 },
	{ "example.com\n", 0 },
};

static const struct valid_case literal_cases[] = {
	{ "[1.2.3.4]", 1 },
	{ "[0.0.0.0]", 1 },
	{ "[255.255.255.255]", 1 },
	{ "[01.002.3.4]", 1 },
	{ "[000.000.000.000]", 1 },
	{ "[256.1.1.1]", 0 },
	{ "[1.2.3.999]", 0 },
	{ "[0001.2.3.4]", 0 },
	{ "[1.2.3]", 0 },
	{ "[1.2.3.4.5]", 0 },
	{ "[1..3.4]", 0 },
	{ "[.1.2.3.4]", 0 },
	{ "[1.2.3.4.]", 0 },
	{ "[1.2.3.-4]", 0 },
	{ "[1.2.3.+4]", 0 },
	{ "[1.2.3.0x4]", 0 },
	{ "[ 1.2.3.4]", 0 },
	{ "[1.2.3.4 ]", 0 },
	{ "1.2.3.4", 0 },
	{ "[1.2.3.4", 0 },
	{ "[]", 0 },
	{ "[", 0 },
	{ "]", 0 },
	{ "", 0 },
	/* IPv6-full */
	{ "[IPv6:2001:db8:0:0:0:0:0:1]", 1 },
	{ "[IPv6:ffff:FFFF:ffff:ffff:ffff:ffff:ffff:ffff]", 1 },
	{ "[IPv6:0000:0000:0000:0000:0000:0000:0000:0000]", 1 },
	{ "[IPv6:1:2:3:4:5:6:7]", 0 },
	{ "[IPv6:1:2:3:4:5:6:7:8:9]", 0 },
	{ "[IPv6:00000:0:0:0:0:0:0:0]", 0 },
	{ "[IPv6:g:0:0:0:0:0:0:0]", 0 },
	{ "[IPv6:1:2:3:4:5:6:7:8:]", 0 },
	{ "[IPv6::1:2:3:4:5:6:7:8]", 0 },
	/* IPv6-comp */
	{ "[IPv6:::]", 1 },
	{ "[IPv6:::1]", 1 },
	{ "[IPv6:1::]", 1 },
	{ "[IPv6:2001:db8::1]", 1 },
	{ "[IPv6:1:2:3::4:5:6]", 1 },
	{ "[IPv6:1:2:3:4:5::6]", 1 },
	{ "[IPv6:::1:2:3:4:5:6]", 1 },
	{ "[IPv6:1:2:3:4:5:6::]", 1 },
	{ "[IPv6:1:2:3:4:5:6:7::]", 0 },
	{ "[IPv6:::1:2:3:4:5:6:7]", 0 },
	{ "[IPv6:1:2:3:4::5:6:7]", 0 },
	{ "[IPv6:1::2::3]", 0 },
	{ "[IPv6::::1]", 0 },
	{ "[IPv6:1:::2]", 0 },
	{ "[IPv6::1]", 0 },
	{ "[IPv6:1:]", 0 },
	{ "[IPv6:]", 0 },
	{ "[IPv6:1]", 0 },
	{ "[IPv6:::g]", 0 },
	{ "[IPv6: ::1]", 0 },
	/* IPv6v4-full and IPv6v4-comp */
	{ "[IPv6:1:2:3:4:5:6:1.2.3.4]", 1 },
	{ "[IPv6:::1.2.3.4]", 1 },
	{ "[IPv6:::ffff:192.0.2.1]", 1 },
	{ "[IPv6:1::1.2.3.4]", 1 },
	{ "[IPv6:1:2:3:4::1.2.3.4]", 1 },
	{ "[IPv6:1::2:3:4:1.2.3.4]", 1 },
	{ "[IPv6:::1:2:3:4:1.2.3.4]", 1 },
	{ "[IPv6:1:2:3:4:5::1.2.3.4]", 0 },
	{ "[IPv6:::1:2:3:4:5:1.2.3.4]", 0 },
	{ "[IPv6:1:2:3:4:5:1.2.3.4]", 0 },
	{ "[IPv6:1:2:3:4:5:6:7:1.2.3.4]", 0 },
	{ "[IPv6:::1.2.3.256]", 0 },
	{ "[IPv6:::1.2.3]", 0 },
	{ "[IPv6:::1.2.3.4:1]", 0 },
	{ "[IPv6:::1.2.3.4::]", 0 },
	{ "[IPv6:1.2.3.4::]", 0 },
	{ "[IPv6:1.2.3.4]", 0 },
	{ "[IPv6:::1.2.3.4.]", 0 },
	{ "[IPv6:::0001.2.3.4]", 0 },
	/* the tag is case-insensitive, as all ABNF strings */
	{ "[ipv6:::1]", 1 },
	{ "[IPV6:::1]", 1 },
	{ "[ipv6:not-an-address]", 0 },
	/* General-address-literal */
	{ "[x:y]", 1 },
	{ "[1:2]", 1 },
	{ "[-x:y]", 1 },
	{ "[a-b:!\"#$%&'()*+,-./0-9:;<=>?@A-Z^_`a-z{|}~]", 1 },
	{ "[IPv7:whatever]", 1 },
	{ "[x:a@b]", 1 },
	{ "[x:]", 0 },
	{ "[:y]", 0 },
	{ "[x-:y]", 0 },
	{ "[x_y:z]", 0 },
	{ "[x y:z]", 0 },
	{ "[x:a\\b]", 0 },
	{ "[x:a[b]", 0 },
	{ "[x:a]b]", 0 },
	{ "[x:a b]", 0 },
	{ "[x:\xff]", 0 },
};

struct at_case {
	const char	*s;
	long		 want;
};

static const struct at_case at_cases[] = {
	{ "a@b", 1 },
	{ "a@b@c", 3 },
	{ "\"a@b\"@c", 5 },
	{ "\"a@b\"", -1 },
	{ "\"a\\\"@b\"@c", 7 },
	{ "\"a@b", -1 },
	{ "\"a\\", -1 },
	{ "a\"@\"b", 2 },
	{ "@", 0 },
	{ "", -1 },
	{ "abc", -1 },
	{ "\"\"@x", 2 },
	{ "\"", -1 },
};

static const struct valid_case fqdn_cases[] = {
	{ "example.com", 1 },
	{ "a.b", 1 },
	{ "a.b.", 1 },
	{ ".a.b", 1 },
	{ "localhost", 0 },
	{ "localhost.", 0 },
	{ ".localhost", 0 },
	{ ".", 0 },
	{ "..", 0 },
	{ "...", 1 },
	{ "", 0 },
};

static const struct valid_case role_cases[] = {
	{ "postmaster", 1 },
	{ "Postmaster", 1 },
	{ "POSTMASTER", 1 },
	{ "postmaster@example.com", 1 },
	{ "PostMaster@[1.2.3.4]", 1 },
	{ "abuse", 1 },
	{ "Abuse@example.com", 1 },
	{ "\"postmaster\"@example.com", 1 },
	{ "\"post\\master\"@example.com", 1 },
	{ "\"abuse\"", 1 },
	{ "postmaster@", 1 },
	{ "postmaste", 0 },
	{ "postmasterx", 0 },
	{ "postmaster.x@example.com", 0 },
	{ "abuse@example.com@x", 0 },
	{ "x@postmaster", 0 },
	{ "\"postmaster", 0 },
	{ "\"postmaster\\\"", 0 },
	{ "\"post master\"@x", 0 },
	{ "", 0 },
	{ "@example.com", 0 },
	{ "abuses", 0 },
};

static void
test_table(const char *name, int (*fn)(const char *, size_t),
    const struct valid_case *c, size_t n)
{
	size_t	i;
	int	got;

	for (i = 0; i < n; i++) {
		got = fn(c[i].s, strlen(c[i].s));
		ok(got == c[i].want, "%s \"%s\" is %s", name,
		    show(c[i].s, strlen(c[i].s)),
		    c[i].want ? "valid" : "invalid");
	}
}

/* Fill buf with n copies of c and return buf + n. */
static char *
fill(char *buf, int c, size_t n)
{
	memset(buf, c, n);
	return buf + n;
}

static void
test_lengths(void)
{
	char	buf[BUF_MAX], *p;
	size_t	len, i;

	/* local part of 64 and 65 octets */
	p = fill(buf, 'a', 64);
	memcpy(p, "@example.com", 12);
	ok(addr_mailbox_valid(buf, 64 + 12), "64-octet local part is valid");
	p = fill(buf, 'a', 65);
	memcpy(p, "@example.com", 12);
	ok(!addr_mailbox_valid(buf, 65 + 12),
	    "65-octet local part is invalid");
	/* quoted local part: the quotes count */
	buf[0] = '"';
	p = fill(buf + 1, 'a', 62);
	memcpy(p, "\"@example.com", 13);
	ok(addr_mailbox_valid(buf, 64 + 12),
	    "64-octet quoted local part is valid");
	buf[0] = '"';
	p = fill(buf + 1, 'a', 63);
	memcpy(p, "\"@example.com", 13);
	ok(!addr_mailbox_valid(buf, 65 + 12),
	    "65-octet quoted local part is invalid");

	/* whole mailbox of 254 and 255 octets: "a@" + labels */
	for (len = 254; len <= 255; len++) {
		memcpy(buf, "a@", 2);
		p = buf + 2;
		while ((size_t)(p - buf) < len) {
			size_t left = len - (size_t)(p - buf);
			size_t lab = left > 63 ? 50 : left;

			p = fill(p, 'b', lab);
			if ((size_t)(p - buf) < len)
				*p++ = '.';
		}
		if (p[-1] == '.')
			p[-1] = 'c';
		ok(addr_mailbox_valid(buf, len) == (len <= 254),
		    "%zu-octet mailbox is %s", len,
		    len <= 254 ? "valid" : "invalid");
	}

	/* labels of 63 and 64 octets */
	p = fill(buf, 'x', 63);
	memcpy(p, ".com", 4);
	ok(addr_domain_valid(buf, 67), "63-octet label is valid");
	p = fill(buf, 'x', 64);
	memcpy(p, ".com", 4);
	ok(!addr_domain_valid(buf, 68), "64-octet label is invalid");

	/* domains of 255 and 256 octets: labels of 49, a dot every 50 */
	for (len = 255; len <= 256; len++) {
		for (i = 0; i < len; i++)
			buf[i] = i % 50 == 49 ? '.' : 'd';
		ok(addr_domain_valid(buf, len) == (len <= 255),
		    "%zu-octet domain is %s", len,
		    len <= 255 ? "valid" : "invalid");
	}
}

static void
test_nul(void)
{
	static const char	mb[] = "us\0er@example.com";
	static const char	dom[] = "exam\0ple.com";
	static const char	lit[] = "[1.2.3.4\0]";
	static const char	gen[] = "[x:a\0b]";
	static const char	quo[] = "\"a\0b\"@example.com";
	static const char	role[] = "postmaster\0";

	ok(!addr_mailbox_valid(mb, sizeof(mb) - 1),
	    "NUL in local part is invalid");
	ok(!addr_mailbox_valid(quo, sizeof(quo) - 1),
	    "NUL in quoted local part is invalid");
	ok(!addr_domain_valid(dom, sizeof(dom) - 1),
	    "NUL in domain is invalid");
	ok(!addr_literal_valid(lit, sizeof(lit) - 1),
	    "NUL in IPv4 literal is invalid");
	ok(!addr_literal_valid(gen, sizeof(gen) - 1),
	    "NUL in general literal is invalid");
	ok(!addr_is_role(role, sizeof(role) - 1),
	    "postmaster followed by NUL is not a role");
	ok(addr_mailbox_valid("a@b-", 3) && !addr_mailbox_valid("a@b-", 4),
	    "the length is honoured, not a NUL");
}

/*
 * The IPv4 part of an IPv6 text with leading zeros removed from its
 * octets: glibc refuses those zeros, RFC 5321 Snum allows them.  Returns
 * 1 when an octet has more than the three digits of an Snum.
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
			} else if (++digits > 3)
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

/*
 * Groups written out, the IPv4 part counting two, when "::" is present;
 * -1 without "::".  RFC 5321 wants at most 6 next to "::", RFC 4291
 * (and inet_pton) 7.
 */
static int
v6_explicit_groups(const char *s, size_t n)
{
	size_t	i;
	int	groups = 0, in = 0;

	if (n < 2)
		return -1;
	for (i = 0; i + 1 < n; i++)
		if (s[i] == ':' && s[i + 1] == ':')
			break;
	if (i + 1 >= n)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == ':')
			in = 0;
		else if (s[i] == '.') {
			if (in == 1)
				groups++;	/* the IPv4 part: one more */
			in = 2;
		} else if (!in) {
			groups++;
			in = 1;
		}
	}
	return groups;
}

/*
 * Every string over a small alphabet up to maxlen bytes, as the content
 * of "[IPv6:...]", against glibc's inet_pton; the only differences
 * allowed are the two documented above.
 */
static void
test_v6_exhaustive(const char *alpha, size_t maxlen)
{
	const size_t	na = strlen(alpha);
	char		lit[V6_LEN_MAX + 16], txt[V6_LEN_MAX + 1];
	char		stripped[V6_LEN_MAX + 1];
	unsigned char	bin[16];
	size_t		idx[V6_LEN_MAX], len, i, k;
	unsigned long	tried = 0, mismatch = 0, accepted = 0;
	int		ours, expect, toolong;

	if (maxlen > V6_LEN_MAX)
		maxlen = V6_LEN_MAX;
	for (len = 0; len <= maxlen; len++) {
		memset(idx, 0, sizeof(idx));
		for (;;) {
			for (i = 0; i < len; i++)
				txt[i] = alpha[idx[i]];
			txt[len] = '\0';
			memcpy(lit, "[IPv6:", 6);
			memcpy(lit + 6, txt, len);
			lit[6 + len] = ']';
			ours = addr_literal_valid(lit, len + 7);
			toolong = v4_strip_zeros(txt, len, stripped);
			expect = !toolong &&
			    inet_pton(AF_INET6, stripped, bin) == 1 &&
			    v6_explicit_groups(stripped, strlen(stripped)) != 7;
			if (ours != expect) {
				if (mismatch < 5)
					fprintf(stderr, "# v6 \"%s\": ours %d, "
					    "expected %d\n", txt, ours, expect);
				mismatch++;
			}
			accepted += (unsigned long)ours;
			tried++;
			for (k = 0; k < len; k++) {
				if (++idx[k] < na)
					break;
				idx[k] = 0;
			}
			if (k == len)
				break;
		}
	}
	ok(mismatch == 0 && accepted > 0, "IPv6 literal agrees with inet_pton "
	    "on %lu strings over \"%s\" (%lu accepted, %lu differ)", tried,
	    alpha, accepted, mismatch);
}

/* The same for "[IPv4]" literals and inet_pton(AF_INET). */
static void
test_v4_exhaustive(const char *alpha, size_t maxlen)
{
	const size_t	na = strlen(alpha);
	char		lit[V6_LEN_MAX + 16], txt[V6_LEN_MAX + 1];
	char		stripped[V6_LEN_MAX + 1];
	unsigned char	bin[4];
	size_t		idx[V6_LEN_MAX], len, i, k;
	unsigned long	tried = 0, mismatch = 0, accepted = 0;
	int		ours, expect, toolong;

	if (maxlen > V6_LEN_MAX)
		maxlen = V6_LEN_MAX;
	for (len = 0; len <= maxlen; len++) {
		memset(idx, 0, sizeof(idx));
		for (;;) {
			for (i = 0; i < len; i++)
				txt[i] = alpha[idx[i]];
			txt[len] = '\0';
			lit[0] = '[';
			memcpy(lit + 1, txt, len);
			lit[1 + len] = ']';
			ours = addr_literal_valid(lit, len + 2);
			toolong = v4_strip_zeros(txt, len, stripped);
			expect = !toolong &&
			    inet_pton(AF_INET, stripped, bin) == 1;
			if (ours != expect) {
				if (mismatch < 5)
					fprintf(stderr, "# v4 \"%s\": ours %d, "
					    "expected %d\n", txt, ours, expect);
				mismatch++;
			}
			accepted += (unsigned long)ours;
			tried++;
			for (k = 0; k < len; k++) {
				if (++idx[k] < na)
					break;
				idx[k] = 0;
			}
			if (k == len)
				break;
		}
	}
	ok(mismatch == 0 && accepted > 0, "IPv4 literal agrees with inet_pton "
	    "on %lu strings over \"%s\" (%lu accepted, %lu differ)", tried,
	    alpha, accepted, mismatch);
}

/*
 * Inputs found by fuzz/fuzz-addr.c, kept as cases: the literal is
 * grammatical, but "x@" before it must not make a valid mailbox, since
 * the last '@' is inside the literal.
 */
struct fuzz_case {
	const char	*s;
	int		 mailbox;
	int		 literal;
};

static const struct fuzz_case fuzz_regressions[] = {
	{ "[IPv06:1:2:3:4:5:6:1.2.3@.4]", 0, 1 },
	{ "x@[IPv06:1:2:3:4:5:6:1.2.3@.4]", 0, 0 },
};

static void
test_at(void)
{
	size_t	i;
	long	got;

	for (i = 0; i < sizeof(at_cases) / sizeof(at_cases[0]); i++) {
		got = addr_at(at_cases[i].s, strlen(at_cases[i].s));
		ok(got == at_cases[i].want, "addr_at \"%s\" is %ld (got %ld)",
		    show(at_cases[i].s, strlen(at_cases[i].s)),
		    at_cases[i].want, got);
	}
}

static void
test_fuzz_regressions(void)
{
	const struct fuzz_case	*c;
	size_t			 i, n;

	for (i = 0; i < sizeof(fuzz_regressions) /
	    sizeof(fuzz_regressions[0]); i++) {
		c = &fuzz_regressions[i];
		n = strlen(c->s);
		ok(addr_mailbox_valid(c->s, n) == c->mailbox &&
		    addr_literal_valid(c->s, n) == c->literal,
		    "fuzz regression \"%s\": mailbox %d, literal %d",
		    show(c->s, n), c->mailbox, c->literal);
	}
}

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

int
main(void)
{
	test_table("mailbox", addr_mailbox_valid, mailbox_cases,
	    NELEM(mailbox_cases));
	test_table("domain", addr_domain_valid, domain_cases,
	    NELEM(domain_cases));
	test_table("literal", addr_literal_valid, literal_cases,
	    NELEM(literal_cases));
	test_table("fqdn", addr_domain_fqdn, fqdn_cases, NELEM(fqdn_cases));
	test_table("role", addr_is_role, role_cases, NELEM(role_cases));
	test_at();
	test_lengths();
	test_nul();
	test_v6_exhaustive("0f:.1", 9);
	test_v6_exhaustive(":1.", 13);
	test_v6_exhaustive(":0.", 12);
	test_v6_exhaustive(":f0.9", 9);
	test_v4_exhaustive("0256.", 9);
	test_v4_exhaustive("01.", 13);
	test_fuzz_regressions();
	return done();
}
