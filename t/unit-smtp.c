/*
 * t/unit-smtp.c: unit tests of smtp.c (verbs, MAIL/RCPT paths, ESMTP
 * parameters, SIZE values), TAP on stdout.  Results are collected and
 * printed after the plan; a failing case is also described on stderr at
 * once.  Exit status 1 on a failure.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "session.h"
#include "smtp.h"
#include "tap.h"

#define PARAMS_MAX	8
#define SPAN_MAX	64
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))


struct verb_case {
	const char	*line;
	enum smtp_verb	 verb;
	size_t		 arg;
};

static const struct verb_case verb_cases[] = {
	{ "HELO example.com", SMTP_HELO, 5 },
	{ "helo example.com", SMTP_HELO, 5 },
	{ "EHLO  \t example.com", SMTP_EHLO, 8 },
	{ "eHlO x", SMTP_EHLO, 5 },
	{ "MAIL FROM:<a@b>", SMTP_MAIL, 5 },
	{ "mail from:<>", SMTP_MAIL, 5 },
	{ "RCPT TO:<a@b>", SMTP_RCPT, 5 },
	{ "DATA", SMTP_DATA, 4 },
	{ "data ", SMTP_DATA, 5 },
	{ "RSET", SMTP_RSET, 4 },
	{ "NOOP anything", SMTP_NOOP, 5 },
	{ "VRFY postmaster", SMTP_VRFY, 5 },
	{ "EXPN list", SMTP_EXPN, 5 },
	{ "HELP", SMTP_HELP, 4 },
	{ "QUIT", SMTP_QUIT, 4 },
	{ "quit\t", SMTP_QUIT, 5 },
	{ "STARTTLS", SMTP_STARTTLS, 8 },
	{ "starttls", SMTP_STARTTLS, 8 },
	{ "AUTH PLAIN", SMTP_AUTH, 5 },
	{ "BDAT 100 LAST", SMTP_BDAT, 5 },
	{ "ETRN example.com", SMTP_ETRN, 5 },
	{ "TURN", SMTP_TURN, 4 },
	{ "", SMTP_UNKNOWN, 0 },
	{ " ", SMTP_UNKNOWN, 1 },
	{ " QUIT", SMTP_UNKNOWN, 1 },
	{ "QUITX", SMTP_UNKNOWN, 5 },
	{ "QUI", SMTP_UNKNOWN, 3 },
	{ "MAILFROM:<a@b>", SMTP_UNKNOWN, 14 },
	{ "MAIL:FROM", SMTP_UNKNOWN, 9 },
	{ "HELO:x", SMTP_UNKNOWN, 6 },
	{ "GET / HTTP/1.0", SMTP_UNKNOWN, 4 },
	{ "STARTTL", SMTP_UNKNOWN, 7 },
	{ "STARTTLSS", SMTP_UNKNOWN, 9 },
	{ "Q\xd5IT", SMTP_UNKNOWN, 4 },
	{ "XYZZY", SMTP_UNKNOWN, 5 },
	{ "HELO\r", SMTP_UNKNOWN, 5 },
};

static void
test_verbs(void)
{
	enum smtp_verb	v;
	size_t		i, arg;
	static const char	nul[] = "QUIT\0";

	for (i = 0; i < NELEM(verb_cases); i++) {
		arg = (size_t)-1;
		v = smtp_verb(verb_cases[i].line, strlen(verb_cases[i].line),
		    &arg);
		ok(v == verb_cases[i].verb && arg == verb_cases[i].arg,
		    "verb \"%s\" is %s, argument at %zu (got %s, %zu)",
		    show(verb_cases[i].line, strlen(verb_cases[i].line)),
		    smtp_verb_name(verb_cases[i].verb), verb_cases[i].arg,
		    smtp_verb_name(v), arg);
	}
	v = smtp_verb(nul, sizeof(nul) - 1, &arg);
	ok(v == SMTP_UNKNOWN, "verb followed by NUL is unknown");
	v = smtp_verb("QUIT", 2, &arg);
	ok(v == SMTP_UNKNOWN && arg == 2, "verb honours the length");
	ok(strcmp(smtp_verb_name(SMTP_STARTTLS), "STARTTLS") == 0 &&
	    strcmp(smtp_verb_name(SMTP_MAIL), "MAIL") == 0 &&
	    strcmp(smtp_verb_name(SMTP_UNKNOWN), "UNKNOWN") == 0 &&
	    strcmp(smtp_verb_name((enum smtp_verb)1000), "UNKNOWN") == 0,
	    "verb names");
}

struct path_case {
	const char	*arg;
	const char	*kw;
	int		 ret;
	const char	*addr;
	size_t		 params;
};

static const struct path_case path_cases[] = {
	{ "FROM:<a@b>", "FROM:", 0, "a@b", 10 },
	{ "from:<a@b>", "FROM:", 0, "a@b", 10 },
	{ "FrOm:<a@b>", "FROM:", 0, "a@b", 10 },
	{ "FROM:<>", "FROM:", 0, "", 7 },
	{ "FROM: <a@b>", "FROM:", 0, "a@b", 11 },
	{ "FROM:\t <a@b>", "FROM:", 0, "a@b", 12 },
	{ "FROM:<a@b> SIZE=100", "FROM:", 0, "a@b", 11 },
	{ "FROM:<a@b>   SIZE=100 BODY=8BITMIME", "FROM:", 0, "a@b", 13 },
	{ "FROM:<a@b> ", "FROM:", 0, "a@b", 11 },
	{ "FROM:<a@b>\t", "FROM:", 0, "a@b", 11 },
	{ "TO:<postmaster>", "TO:", 0, "postmaster", 15 },
	{ "to:<Postmaster>", "TO:", 0, "Postmaster", 15 },
	{ "TO:<@a,@b:c@d>", "TO:", 0, "c@d", 14 },
	{ "TO:<@a:c@d>", "TO:", 0, "c@d", 11 },
	{ "TO:<@[1.2.3.4],@b.c:c@d>", "TO:", 0, "c@d", 24 },
	{ "TO:<\"a>b\"@c>", "TO:", 0, "\"a>b\"@c", 12 },
	{ "TO:<\"a\\\">b\"@c>", "TO:", 0, "\"a\\\">b\"@c", 14 },
	{ "TO:<\"a b\"@c> X", "TO:", 0, "\"a b\"@c", 13 },
	{ "TO:<a@b>", "TO", 0, "a@b", 8 },
	{ "FROM:<a b@c>", "FROM:", 0, "a b@c", 12 },
	{ "FROM:<<a@b>", "FROM:", 0, "<a@b", 11 },
	/* errors */
	{ "FROM:a@b", "FROM:", -1, "", 0 },
	{ "FROM:<a@b", "FROM:", -1, "", 0 },
	{ "FROM:<a@b>x", "FROM:", -1, "", 0 },
	{ "FROM:<a@b>>", "FROM:", -1, "", 0 },
	{ "FROM:<a@b>SIZE=1", "FROM:", -1, "", 0 },
	{ "FROM :<a@b>", "FROM:", -1, "", 0 },
	{ "FROM<a@b>", "FROM:", -1, "", 0 },
	{ "FROM<a@b>", "FROM", -1, "", 0 },
	{ "FRO:<a@b>", "FROM:", -1, "", 0 },
	{ "TO:<a@b>", "FROM:", -1, "", 0 },
	{ "FROM:<a@b>", "TO:", -1, "", 0 },
	{ "", "FROM:", -1, "", 0 },
	{ "FROM:", "FROM:", -1, "", 0 },
	{ "FROM:<", "FROM:", -1, "", 0 },
	{ " FROM:<a@b>", "FROM:", -1, "", 0 },
	{ "TO:<\"a>b@c>", "TO:", -1, "", 0 },
	{ "TO:<\"a\\>", "TO:", -1, "", 0 },
	{ "TO:<\"a\\", "TO:", -1, "", 0 },
	{ "TO:<@a>", "TO:", -1, "", 0 },
	{ "TO:<@a:>", "TO:", -1, "", 0 },
	{ "TO:<@a,@b>", "TO:", -1, "", 0 },
	{ "TO:<@a b:c@d>", "TO:", -1, "", 0 },
	{ "TO:<@a\"b:c@d>", "TO:", -1, "", 0 },
	{ "TO:<@", "TO:", -1, "", 0 },
	{ "TO:", "", -1, "", 0 },
};

static void
test_paths(void)
{
	char	out[ADDR_MAX + 1];
	size_t	i, params;
	int	ret;

	for (i = 0; i < NELEM(path_cases); i++) {
		const struct path_case *c = &path_cases[i];

		memset(out, 'X', sizeof(out));
		params = (size_t)-1;
		ret = smtp_path(c->arg, strlen(c->arg), c->kw, out,
		    sizeof(out), &params);
		if (c->ret == 0)
			ok(ret == 0 && strcmp(out, c->addr) == 0 &&
			    params == c->params,
			    "path %s \"%s\" gives <%s>, params at %zu",
			    c->kw, show(c->arg, strlen(c->arg)),
			    show(c->addr, strlen(c->addr)), c->params);
		else
			ok(ret == -1 && out[0] == '\0',
			    "path %s \"%s\" is an error", c->kw,
			    show(c->arg, strlen(c->arg)));
	}
}

static const char	fuzz_nul[] =
    "TO:<@O:\331\0\0\0\0\0\0r@example.com>";

static void
test_path_lengths(void)
{
	char	line[ADDR_MAX + 32], out[ADDR_MAX + 1], small[8];
	size_t	len, n, params;
	int	ret;

	/* mailboxes of ADDR_MAX and ADDR_MAX + 1 octets */
	for (len = ADDR_MAX - 1; len <= ADDR_MAX + 1; len++) {
		memcpy(line, "TO:<", 4);
		memset(line + 4, 'a', len);
		line[4 + len] = '>';
		n = 5 + len;
		ret = smtp_path(line, n, "TO:", out, sizeof(out), &params);
		ok(ret == (len <= ADDR_MAX ? 0 : -1) &&
		    (ret != 0 || (strlen(out) == len && params == n)),
		    "%zu-octet path %s", len,
		    len <= ADDR_MAX ? "is copied" : "is too long");
	}
	/* an out buffer smaller than the path */
	ret = smtp_path("TO:<1234567>", 12, "TO:", small, sizeof(small),
	    &params);
	ok(ret == 0 && strcmp(small, "1234567") == 0,
	    "path filling the out buffer exactly is copied");
	ret = smtp_path("TO:<12345678>", 13, "TO:", small, sizeof(small),
	    &params);
	ok(ret == -1 && small[0] == '\0',
	    "path one longer than the out buffer is an error");
	ret = smtp_path("TO:<>", 5, "TO:", small, 1, &params);
	ok(ret == 0 && small[0] == '\0', "<> fits a one-byte buffer");
	ret = smtp_path("TO:<a>", 6, "TO:", small, 1, &params);
	ok(ret == -1, "<a> does not fit a one-byte buffer");
	ret = smtp_path("TO:<>", 5, "TO:", small, 0, &params);
	ok(ret == -1, "a zero-size buffer is an error");
	/* the length is honoured, not a NUL */
	ret = smtp_path("TO:<a@b>xyz", 8, "TO:", out, sizeof(out), &params);
	ok(ret == 0 && strcmp(out, "a@b") == 0 && params == 8,
	    "path honours the length");
	ret = smtp_path("TO:<a@b>", 7, "TO:", out, sizeof(out), &params);
	ok(ret == -1, "path cut before the bracket is an error");
	ret = smtp_path("TO:<a\0@b>", 9, "TO:", out, sizeof(out), &params);
	ok(ret == -1 && out[0] == '\0', "NUL in a path is an error");
	/* found by fuzz/fuzz-smtp.c: a NUL cut the copy short */
	ret = smtp_path(fuzz_nul, sizeof(fuzz_nul) - 1, "TO:", out,
	    sizeof(out), &params);
	ok(ret == -1 && out[0] == '\0', "fuzz regression: NUL bytes in a "
	    "source-routed path are an error");
}

struct param_case {
	const char	*s;
	int		 n;		/* parameters expected, -1 if bad */
	const char	*spans[PARAMS_MAX * 2];
};

static const struct param_case param_cases[] = {
	{ "", 0, { NULL } },
	{ "   ", 0, { NULL } },
	{ "SIZE=100", 1, { "SIZE", "100" } },
	{ "  SIZE=100  ", 1, { "SIZE", "100" } },
	{ "BODY=8BITMIME SIZE=1", 2, { "BODY", "8BITMIME", "SIZE", "1" } },
	{ "A\tB", 2, { "A", "", "B", "" } },
	{ "SMTPUTF8", 1, { "SMTPUTF8", "" } },
	{ "X-FOO=bar", 1, { "X-FOO", "bar" } },
	{ "1-=x", 1, { "1-", "x" } },
	{ "K=!\"#$%&'()*+,-./:;<>?@[\\]^_`{|}~", 1,
	    { "K", "!\"#$%&'()*+,-./:;<>?@[\\]^_`{|}~" } },
	{ "ENVID=a+2Bb", 1, { "ENVID", "a+2Bb" } },
	{ "SIZE=", -1, { NULL } },
	{ "SIZE= 1", -1, { NULL } },
	{ "SIZE=a=b", -1, { NULL } },
	{ "=1", -1, { NULL } },
	{ "-X=1", -1, { NULL } },
	{ "X_Y=1", -1, { NULL } },
	{ "X.Y", -1, { NULL } },
	{ "SIZE=1 =2", -1, { NULL } },
	{ "SIZE=\x7f", -1, { NULL } },
	{ "SIZE=\xc3\xa9", -1, { NULL } },
	{ "K=a\"", 1, { "K", "a\"" } },
};

static void
test_params(void)
{
	const struct param_case	*c;
	size_t			 i, n, pos, k, kl, v, vl, got;
	int			 r, good;

	for (i = 0; i < NELEM(param_cases); i++) {
		c = &param_cases[i];
		n = strlen(c->s);
		pos = 0;
		got = 0;
		good = 1;
		while ((r = smtp_param(c->s, n, &pos, &k, &kl, &v, &vl)) == 1) {
			if (c->n < 0) {
				/* only the final -1 matters */
				if (++got > n)
					break;
				continue;
			}
			if (got >= PARAMS_MAX || c->spans[got * 2] == NULL ||
			    strlen(c->spans[got * 2]) != kl ||
			    memcmp(c->s + k, c->spans[got * 2], kl) != 0 ||
			    strlen(c->spans[got * 2 + 1]) != vl ||
			    memcmp(c->s + v, c->spans[got * 2 + 1], vl) != 0) {
				good = 0;
				break;
			}
			got++;
		}
		if (c->n < 0)
			ok(r == -1, "params \"%s\" are malformed",
			    show(c->s, n));
		else
			ok(good && r == 0 && got == (size_t)c->n && pos == n,
			    "params \"%s\" give %d", show(c->s, n), c->n);
	}
	pos = 100;
	ok(smtp_param("A", 1, &pos, &k, &kl, &v, &vl) == -1,
	    "a position past the end is an error");
}

struct size_case {
	const char	*s;
	int		 ret;
	unsigned long	 value;
};

static const struct size_case size_cases[] = {
	{ "0", 0, 0 },
	{ "1", 0, 1 },
	{ "10485760", 0, 10485760 },
	{ "007", 0, 7 },
	{ "4294967295", 0, 4294967295UL },
	{ "", -1, 0 },
	{ "-1", -1, 0 },
	{ "+1", -1, 0 },
	{ "1k", -1, 0 },
	{ " 1", -1, 0 },
	{ "1 ", -1, 0 },
	{ "0x10", -1, 0 },
	{ "1.5", -1, 0 },
	{ "000000000000000000001", -1, 0 },
	{ "99999999999999999999999", -1, 0 },
};

static void
test_sizes(void)
{
	char		buf[64];
	unsigned long	v;
	size_t		i;
	int		r;

	for (i = 0; i < NELEM(size_cases); i++) {
		v = 12345;
		r = smtp_size_value(size_cases[i].s, strlen(size_cases[i].s),
		    &v);
		ok(r == size_cases[i].ret &&
		    (r != 0 || v == size_cases[i].value),
		    "size \"%s\" %s", size_cases[i].s,
		    size_cases[i].ret == 0 ? "parses" : "is bad");
	}
	snprintf(buf, sizeof(buf), "%lu", ULONG_MAX);
	r = smtp_size_value(buf, strlen(buf), &v);
	ok(r == 0 && v == ULONG_MAX, "size ULONG_MAX parses");
	/* ULONG_MAX + 1, by decimal string increment */
	i = strlen(buf);
	while (i > 0 && buf[i - 1] == '9')
		buf[--i] = '0';
	if (i > 0)
		buf[i - 1]++;
	r = smtp_size_value(buf, strlen(buf), &v);
	ok(r == -1, "size ULONG_MAX + 1 overflows");
	ok(smtp_size_value("12", 1, &v) == 0 && v == 1,
	    "size honours the length");
}

int
main(void)
{
	test_verbs();
	test_paths();
	test_path_lengths();
	test_params();
	test_sizes();
	return done();
}
