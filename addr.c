/*
 * addr.c: the address grammar of RFC 5321 section 4.1.2.
 *
 * Input: a byte string and its length, never NUL-terminated by contract;
 * any byte value may appear.  Output: 1 or 0 (an offset for addr_at()).
 * Nothing here allocates, keeps state, or recurses; every loop is bounded
 * by the input length and every length is checked before it is used.
 *
 * Only the ASCII grammar is accepted: 8-bit bytes (SMTPUTF8) make an
 * address invalid.  Quoted local parts are accepted as the RFC allows,
 * including the empty one ("").
 *
 * One deliberate narrowing: a mailbox is split at the last '@' outside a
 * quoted local part (addr_at()), as MTAs route, so a general address
 * literal holding an '@' ("x@[tag:a@b]", grammatical but useless) is
 * refused in a mailbox.  Every mailbox accepted here thus has exactly one
 * '@' outside its quoted local part, and no later stage can split it
 * differently.  addr_literal_valid() alone still follows the grammar.
 */
#include <stddef.h>
#include <stdint.h>
#include "addr.h"

#define LOCAL_MAX	64	/* local part, RFC 5321 4.5.3.1.1 */
#define MAILBOX_MAX	254	/* path of 256 minus the angle brackets */
#define DOMAIN_MAX	255	/* RFC 5321 4.5.3.1.2 */
#define LABEL_MAX	63	/* RFC 1035 2.3.4 */
#define SNUM_DIGITS	3	/* Snum = 1*3DIGIT */
#define SNUM_MAX	255
#define IPV4_PARTS	4
#define HEX_DIGITS	4	/* IPv6-hex = 1*4HEXDIG */
#define V6_GROUPS	8	/* IPv6-full */
#define V6V4_GROUPS	6	/* IPv6v4-full: six groups and the IPv4 part */
#define V6_COMP_MAX	6	/* "::" stands for at least two groups */
#define V6V4_COMP_MAX	4

static const char	v6_tag[] = "IPv6";

static int
is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
is_letdig(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

static int
is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

static unsigned char
to_lower(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	return c;
}

/*
 * Byte classes as 128-bit masks, bit c of a class's two words set when
 * byte c is in it: one test a byte where addresses are checked at every
 * MAIL and RCPT.  B() is a byte's bit in its word (bytes below 64 in the
 * first, the rest in the second); the ranges are spelt out bit by bit.
 */
#define B(c)		((uint64_t)1 << ((c) & 63))
#define DIGITS		(B('0') | B('1') | B('2') | B('3') | B('4') | \
			    B('5') | B('6') | B('7') | B('8') | B('9'))
/* 'A'..'Z' and 'a'..'z' share their bits: 'a' is 'A' + 32 */
#define UPPER		(B('A') | B('B') | B('C') | B('D') | B('E') | \
			    B('F') | B('G') | B('H') | B('I') | B('J') | \
			    B('K') | B('L') | B('M') | B('N') | B('O') | \
			    B('P') | B('Q') | B('R') | B('S') | B('T') | \
			    B('U') | B('V') | B('W') | B('X') | B('Y') | \
			    B('Z'))
#define LETTERS		(UPPER | UPPER << 32)

/* Let-dig and "-": a domain label's bytes */
static const uint64_t	cl_ldh[2] = { DIGITS | B('-'), LETTERS };
/* RFC 5322 atext: Let-dig and "!#$%&'*+-/=?^_`{|}~" */
static const uint64_t	cl_atext[2] = {
	DIGITS | B('!') | B('#') | B('$') | B('%') | B('&') | B('\'') |
	    B('*') | B('+') | B('-') | B('/') | B('=') | B('?'),
	LETTERS | B('^') | B('_') | B('`') | B('{') | B('|') | B('}') | B('~')
};

static int
in_class(const uint64_t cl[2], unsigned char c)
{
	return c < 128 && (cl[c >> 6] >> (c & 63) & 1);
}

/* RFC 5322 atext. */
static int
is_atext(unsigned char c)
{
	return in_class(cl_atext, c);
}

/* %d32-126, the printable characters and space */
static int
is_print(unsigned char c)
{
	return c >= ' ' && c <= '~';
}

/* qtextSMTP = %d32-33 / %d35-91 / %d93-126 */
static int
is_qtext(unsigned char c)
{
	return is_print(c) && c != '"' && c != '\\';
}

/* dcontent = %d33-90 / %d94-126 */
static int
is_dcontent(unsigned char c)
{
	return is_print(c) && c != ' ' && c != '[' && c != '\\' && c != ']';
}

/* Case-insensitive ASCII comparison of s[0..n) with NUL-terminated w. */
static int
equal_nocase(const char *s, size_t n, const char *w)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (w[i] == '\0' || to_lower((unsigned char)s[i]) !=
		    to_lower((unsigned char)w[i]))
			return 0;
	return w[n] == '\0';
}

/* Dot-string = Atom *("." Atom), Atom = 1*atext */
static int
dot_string_valid(const char *s, size_t n)
{
	size_t	i;
	int	atext_seen;

	atext_seen = 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (!atext_seen)
				return 0;
			atext_seen = 0;
		} else if (is_atext((unsigned char)s[i]))
			atext_seen = 1;
		else
			return 0;
	}
	return atext_seen;
}

/*
 * Quoted-string = DQUOTE *QcontentSMTP DQUOTE, with
 * quoted-pairSMTP = "\" %d32-126.  Must span all of s[0..n).
 */
static int
quoted_valid(const char *s, size_t n)
{
	size_t	i;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return 0;
	i = 1;
	while (i < n - 1) {
		if (s[i] == '\\') {
			/* The escaped byte may not be the closing quote. */
			if (n - 1 - i < 2)
				return 0;
			if (!is_print((unsigned char)s[i + 1]))
				return 0;
			i += 2;
		} else if (is_qtext((unsigned char)s[i]))
			i++;
		else
			return 0;
	}
	return 1;
}

/*
 * Offset just past the closing quote of a quoted local part starting at
 * s[0], or 0 when the quote is not closed.
 */
static size_t
quoted_end(const char *s, size_t n)
{
	size_t	i;

	i = 1;
	while (i < n) {
		if (s[i] == '\\') {
			if (n - i < 2)
				return 0;
			i += 2;
		} else if (s[i] == '"')
			return i + 1;
		else
			i++;
	}
	return 0;
}

/* Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig */
static int
ldh_str_valid(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || !is_letdig((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!is_letdig((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* IPv4-address-literal = Snum 3("." Snum), Snum 1*3DIGIT of 0-255 */
static int
ipv4_valid(const char *s, size_t n)
{
	size_t		i, digits, parts;
	unsigned int	value;

	digits = 0;
	parts = 0;
	value = 0;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (digits == 0 || value > SNUM_MAX)
				return 0;
			parts++;
			if (parts > IPV4_PARTS)
				return 0;
			digits = 0;
			value = 0;
		} else if (is_digit((unsigned char)s[i])) {
			if (++digits > SNUM_DIGITS)
				return 0;
			value = value * 10 + (unsigned int)(s[i] - '0');
		} else
			return 0;
	}
	return parts == IPV4_PARTS;
}

/*
 * IPv6-addr of RFC 5321: IPv6-full, IPv6-comp, IPv6v4-full or
 * IPv6v4-comp.  One pass over the groups; "::" may appear once and, per
 * the RFC's comments, stands for at least two groups of zeros.
 */
static int
ipv6_valid(const char *s, size_t n)
{
	size_t	i, j, groups;
	int	compressed, v4, dot;

	i = 0;
	groups = 0;
	compressed = 0;
	v4 = 0;
	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		compressed = 1;
		i = 2;
	}
	while (i < n) {
		/* A group or, last, the IPv4 part: up to the next ':'. */
		dot = 0;
		for (j = i; j < n && s[j] != ':'; j++)
			if (s[j] == '.')
				dot = 1;
		if (j == i)
			return 0;
		if (dot) {
			if (j != n || !ipv4_valid(s + i, j - i))
				return 0;
			v4 = 1;
			break;
		}
		if (j - i > HEX_DIGITS)
			return 0;
		for (; i < j; i++)
			if (!is_hex((unsigned char)s[i]))
				return 0;
		groups++;
		if (groups > V6_GROUPS)
			return 0;
		if (i == n)
			break;
		/* s[i] is ':' */
		if (n - i >= 2 && s[i + 1] == ':') {
			if (compressed)
				return 0;
			compressed = 1;
			i += 2;
		} else {
			i++;
			if (i == n)
				return 0;	/* a single trailing ':' */
		}
	}
	if (v4)
		return compressed ? groups <= V6V4_COMP_MAX :
		    groups == V6V4_GROUPS;
	return compressed ? groups <= V6_COMP_MAX : groups == V6_GROUPS;
}

int
addr_literal_valid(const char *s, size_t n)
{
	const char	*c;
	size_t		 cn, colon;

	if (n < 3 || s[0] != '[' || s[n - 1] != ']')
		return 0;
	c = s + 1;
	cn = n - 2;
	for (colon = 0; colon < cn && c[colon] != ':'; colon++)
		;
	if (colon == cn)
		return ipv4_valid(c, cn);
	if (equal_nocase(c, colon, v6_tag))
		return ipv6_valid(c + colon + 1, cn - colon - 1);
	/* General-address-literal = Standardized-tag ":" 1*dcontent */
	if (!ldh_str_valid(c, colon) || cn - colon < 2)
		return 0;
	for (colon++; colon < cn; colon++)
		if (!is_dcontent((unsigned char)c[colon]))
			return 0;
	return 1;
}

int
addr_domain_valid(const char *s, size_t n)
{
	size_t	i, start;

	if (n == 0 || n > DOMAIN_MAX)
		return 0;
	/* sub-domain = Let-dig [Ldh-str]: 1 to 63 bytes of Let-dig and
	 * "-", neither end a "-" */
	start = 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (i == start || i - start > LABEL_MAX ||
			    s[i - 1] == '-')
				return 0;
			start = i + 1;
		} else if (!in_class(cl_ldh, (unsigned char)s[i]) ||
		    (i == start && s[i] == '-'))
			return 0;
	}
	return i > start && i - start <= LABEL_MAX && s[i - 1] != '-';
}

int
addr_domain_fqdn(const char *s, size_t n)
{
	size_t	i;

	if (n < 3)
		return 0;
	for (i = 1; i < n - 1; i++)
		if (s[i] == '.')
			return 1;
	return 0;
}

long
addr_at(const char *s, size_t n)
{
	size_t	i, from;

	from = 0;
	if (n > 0 && s[0] == '"') {
		from = quoted_end(s, n);
		if (from == 0)
			return -1;
	}
	for (i = n; i > from; i--)
		if (s[i - 1] == '@')
			return (long)(i - 1);
	return -1;
}

int
addr_mailbox_valid(const char *s, size_t n)
{
	long	at;
	size_t	local, dn;

	if (n == 0 || n > MAILBOX_MAX)
		return 0;
	at = addr_at(s, n);
	if (at < 0)
		return 0;
	local = (size_t)at;
	if (local == 0 || local > LOCAL_MAX)
		return 0;
	if (s[0] == '"') {
		if (!quoted_valid(s, local))
			return 0;
	} else if (!dot_string_valid(s, local))
		return 0;
	dn = n - local - 1;
	if (dn == 0)
		return 0;
	if (s[local + 1] == '[')
		return addr_literal_valid(s + local + 1, dn);
	return addr_domain_valid(s + local + 1, dn);
}

/*
 * Compare a local part with a role name, case-insensitively.  A quoted
 * local part names the same mailbox as its unquoted content
 * ("postmaster" and "\"postmaster\"" are one mailbox), so quotes and
 * quoted-pairs are removed before comparing.
 */
static int
role_equal(const char *s, size_t n, const char *role)
{
	size_t	i, r;

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		r = 0;
		i = 1;
		while (i < n - 1) {
			if (s[i] == '\\') {
				if (n - 1 - i < 2)
					return 0;
				i++;
			}
			if (role[r] == '\0' || to_lower((unsigned char)s[i]) !=
			    (unsigned char)role[r])
				return 0;
			r++;
			i++;
		}
		return role[r] == '\0';
	}
	return equal_nocase(s, n, role);
}

int
addr_is_role(const char *s, size_t n)
{
	static const char *const	roles[] = { "postmaster", "abuse" };
	long				at;
	size_t				local, i;

	/* most recipients are no role: their first byte says so */
	if (n == 0 || ((s[0] | 0x20) != 'p' && (s[0] | 0x20) != 'a' &&
	    s[0] != '"'))
		return 0;
	at = addr_at(s, n);
	local = at < 0 ? n : (size_t)at;
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (role_equal(s, local, roles[i]))
			return 1;
	return 0;
}
