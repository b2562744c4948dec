/*
 * smtp.c: parsing of client command lines (verbs, MAIL and RCPT paths,
 * ESMTP parameters, the SIZE value).
 *
 * Input: one command line without its CRLF, as a pointer and a length;
 * the dialogue has already limited its length and refused NUL, 8-bit
 * bytes and bare LF, but every function here is safe on arbitrary bytes.
 * Output: a verb, offsets into the line, or a path copied into a buffer
 * of the caller's size.  Failure is -1 (or SMTP_UNKNOWN); nothing here
 * allocates, logs or keeps pointers past the call.
 *
 * The path syntax is lenient on purpose (blanks after the colon, a source
 * route), strict where leniency would hide the end of the path: the
 * closing bracket must be followed by the end of the line or a blank.
 * A NUL in the path is refused, since the copy is NUL-terminated.
 * Whether the mailbox itself is valid is addr_mailbox_valid()'s job.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "crlf.h"
#include "session.h"
#include "smtp.h"

#define SIZE_DIGITS_MAX	20	/* size-value ::= 1*20DIGIT, RFC 1870 */
#define DECIMAL		10

/* a four-letter name as one word, its first letter the low byte */
#define NAME4(a, b, c, d)	((uint32_t)(a) | (uint32_t)(b) << 8 | \
				    (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

static const struct {
	const char	*name;
	enum smtp_verb	 verb;
	uint32_t	 name4;		/* 0: not four letters */
} verbs[] = {
	{ "MAIL",	SMTP_MAIL,	NAME4('M', 'A', 'I', 'L') },
	{ "RCPT",	SMTP_RCPT,	NAME4('R', 'C', 'P', 'T') },
	{ "DATA",	SMTP_DATA,	NAME4('D', 'A', 'T', 'A') },
	{ "EHLO",	SMTP_EHLO,	NAME4('E', 'H', 'L', 'O') },
	{ "HELO",	SMTP_HELO,	NAME4('H', 'E', 'L', 'O') },
	{ "QUIT",	SMTP_QUIT,	NAME4('Q', 'U', 'I', 'T') },
	{ "RSET",	SMTP_RSET,	NAME4('R', 'S', 'E', 'T') },
	{ "NOOP",	SMTP_NOOP,	NAME4('N', 'O', 'O', 'P') },
	{ "BDAT",	SMTP_BDAT,	NAME4('B', 'D', 'A', 'T') },
	{ "VRFY",	SMTP_VRFY,	NAME4('V', 'R', 'F', 'Y') },
	{ "EXPN",	SMTP_EXPN,	NAME4('E', 'X', 'P', 'N') },
	{ "HELP",	SMTP_HELP,	NAME4('H', 'E', 'L', 'P') },
	{ "AUTH",	SMTP_AUTH,	NAME4('A', 'U', 'T', 'H') },
	{ "ETRN",	SMTP_ETRN,	NAME4('E', 'T', 'R', 'N') },
	{ "TURN",	SMTP_TURN,	NAME4('T', 'U', 'R', 'N') },
	{ "STARTTLS",	SMTP_STARTTLS,	0 }
};

#define NVERBS	(sizeof(verbs) / sizeof(verbs[0]))

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int
is_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

static unsigned char
to_upper(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 'A';
	return c;
}

/*
 * The length of the NUL-terminated w when s[0..n) starts with it,
 * case-insensitively; 0 when it does not.
 */
static size_t
prefix_nocase(const char *s, size_t n, const char *w)
{
	size_t	i;

	for (i = 0; w[i] != '\0'; i++)
		if (i >= n || to_upper((unsigned char)s[i]) !=
		    to_upper((unsigned char)w[i]))
			return 0;
	return i;
}

static size_t
skip_blanks(const char *s, size_t n, size_t i)
{
	while (i < n && is_blank((unsigned char)s[i]))
		i++;
	return i;
}

enum smtp_verb
smtp_verb(const char *s, size_t n, size_t *arg)
{
	size_t	word, i;
	char	first;

	for (word = 0; word < n && !is_blank((unsigned char)s[word]); word++)
		;
	*arg = skip_blanks(s, n, word);
	if (word == 0)
		return SMTP_UNKNOWN;
	/*
	 * Four letters, as every verb but STARTTLS: compared at once, each
	 * byte's 0x20 bit cleared, which maps a lower-case letter, and
	 * nothing else, onto the upper-case one the name has.
	 */
	if (word == 4) {
		uint32_t w = ((uint32_t)(unsigned char)s[0] |
		    (uint32_t)(unsigned char)s[1] << 8 |
		    (uint32_t)(unsigned char)s[2] << 16 |
		    (uint32_t)(unsigned char)s[3] << 24) & 0xdfdfdfdfU;

		for (i = 0; i < NVERBS; i++)
			if (verbs[i].name4 == w)
				return verbs[i].verb;
		return SMTP_UNKNOWN;
	}
	/* the first letter rules out most names at once */
	first = to_upper((unsigned char)s[0]);
	for (i = 0; i < NVERBS; i++)
		if (verbs[i].name[0] == first &&
		    prefix_nocase(s, word, verbs[i].name) == word)
			return verbs[i].verb;
	return SMTP_UNKNOWN;
}

const char *
smtp_verb_name(enum smtp_verb v)
{
	size_t	i;

	for (i = 0; i < NVERBS; i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "UNKNOWN";
}

/*
 * Offset of the '>' that closes the path starting at s[i], or n when
 * there is none, or when a NUL comes first (the copy is NUL-terminated:
 * a NUL would cut it short).  A quoted local part may hold '>' (and
 * quoted-pairs), and no NUL either.
 */
static size_t
path_end(const char *s, size_t n, size_t i)
{
	if (i < n && s[i] == '"') {
		for (i++; i < n && s[i] != '"'; i++)
			if (s[i] == '\0' || (s[i] == '\\' &&
			    (++i == n || s[i] == '\0')))
				return n;
		if (i == n)
			return n;
		i++;
	}
	/* found 16 bytes at a time: paths are 20 to 40 bytes */
	i += crlf_either(s + i, n - i, '>', '\0');
	return i < n && s[i] == '>' ? i : n;
}

/*
 * smtp_path(s, n, keyword, out, outsize, params): keyword is "FROM:" or
 * "TO:"; a keyword given without its colon gets one required after it.
 * All offsets are into s.
 */
int
smtp_path(const char *s, size_t n, const char *keyword, char *out,
    size_t outsize, size_t *params)
{
	size_t	i, start, end, len, k;

	if (outsize == 0)
		return -1;
	out[0] = '\0';
	i = prefix_nocase(s, n, keyword);
	if (i == 0)
		return -1;
	if (s[i - 1] != ':') {
		if (i == n || s[i] != ':')
			return -1;
		i++;
	}
	i = skip_blanks(s, n, i);
	if (i == n || s[i] != '<')
		return -1;
	i++;
	/* A source route "@a,@b:" is dropped, as RFC 5321 C says. */
	if (i < n && s[i] == '@') {
		for (k = i; k < n && s[k] != ':'; k++)
			if (s[k] == '>' || s[k] == '"' ||
			    is_blank((unsigned char)s[k]))
				return -1;
		if (k == n)
			return -1;
		i = k + 1;
		if (i < n && s[i] == '>')
			return -1;	/* a route to nobody */
	}
	start = i;
	end = path_end(s, n, start);
	if (end == n)
		return -1;
	len = end - start;
	if (len > outsize - 1 || len > ADDR_MAX)
		return -1;
	memcpy(out, s + start, len);
	out[len] = '\0';
	i = end + 1;
	if (i < n && !is_blank((unsigned char)s[i])) {
		out[0] = '\0';
		return -1;
	}
	*params = skip_blanks(s, n, i);
	return 0;
}

/*
 * esmtp-param = esmtp-keyword ["=" esmtp-value]
 * esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
 * esmtp-value = 1*(%d33-60 / %d62-126)
 */
int
smtp_param(const char *s, size_t n, size_t *pos, size_t *key,
    size_t *keylen, size_t *val, size_t *vallen)
{
	size_t	i, k, v;

	if (*pos > n)
		return -1;
	i = skip_blanks(s, n, *pos);
	if (i == n) {
		*pos = n;
		return 0;
	}
	k = i;
	if (!is_alnum((unsigned char)s[i]))
		return -1;
	while (i < n && (is_alnum((unsigned char)s[i]) || s[i] == '-'))
		i++;
	*key = k;
	*keylen = i - k;
	*val = i;
	*vallen = 0;
	if (i < n && s[i] == '=') {
		v = ++i;
		while (i < n && s[i] >= '!' && s[i] <= '~' && s[i] != '=')
			i++;
		if (i == v)
			return -1;
		*val = v;
		*vallen = i - v;
	}
	if (i < n && !is_blank((unsigned char)s[i]))
		return -1;
	*pos = i;
	return 1;
}

int
smtp_size_value(const char *s, size_t n, unsigned long *value)
{
	unsigned long	v, d;
	size_t		i;

	if (n == 0 || n > SIZE_DIGITS_MAX)
		return -1;
	v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned long)(s[i] - '0');
		if (v > (ULONG_MAX - d) / DECIMAL)
			return -1;
		v = v * DECIMAL + d;
	}
	*value = v;
	return 0;
}
