/*
 * t/unit-dot.c: unit tests of dot.c (the DATA state machine and
 * dot-stuffing), TAP on stdout.  Every case is also fed split at every
 * position, at every pair of positions and byte by byte, and must give
 * the same result; small inputs are compared exhaustively with a
 * line-at-a-time reference.  Results are collected and printed after the
 * plan; a failing case is also described on stderr at once.  Exit status
 * 1 on a failure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dot.h"
#include "tap.h"

#define PAIR_SPLIT_MAX	80	/* inputs up to this size get all pairs */
#define EXHAUST_ALPHA	"\r\n.a"
#define EXHAUST_LEN	9
#define RANDOM_MSGS	2000
#define RANDOM_LINES	12
#define RANDOM_LINE_MAX	40
#define LINE_RFC	998	/* RFC 5321 4.5.3.1.6, without CRLF */
#define LINE_LONG	5000
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))


static void *
xmalloc(size_t n)
{
	void	*p;

	p = malloc(n == 0 ? 1 : n);
	if (p == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	return p;
}

/* The outcome of feeding a whole input, in any number of chunks. */
struct run {
	int	 ret;
	size_t	 used;
	size_t	 outlen;
	char	*out;
	int	 bound_ok;	/* every call wrote at most n + 2 bytes */
};

/*
 * Feed in[0..n) in chunks ending at the given cut positions (sorted,
 * each within 0..n), each chunk through an out buffer of exactly
 * chunk + 2 bytes on the heap, so that AddressSanitizer sees an overrun.
 */
static void
feed_cuts(const char *in, size_t n, const size_t *cuts, size_t ncuts,
    struct run *r)
{
	struct dot	d;
	size_t		start, end, k, used, outlen;
	char		*buf;
	int		ret;

	dot_init(&d);
	r->out = xmalloc(n + 2);
	r->outlen = 0;
	r->used = 0;
	r->bound_ok = 1;
	ret = DOT_MORE;
	start = 0;
	for (k = 0; k <= ncuts; k++) {
		end = k < ncuts ? cuts[k] : n;
		if (end < start)
			continue;
		buf = xmalloc(end - start + 2);
		used = (size_t)-1;
		outlen = (size_t)-1;
		ret = dot_feed(&d, in + start, end - start, &used, buf,
		    &outlen);
		if (outlen > end - start + 2 || used > end - start ||
		    (ret == DOT_MORE && used != end - start) ||
		    r->outlen + outlen > n + 2)
			r->bound_ok = 0;
		else {
			memcpy(r->out + r->outlen, buf, outlen);
			r->outlen += outlen;
			r->used += used;
		}
		free(buf);
		if (ret != DOT_MORE || !r->bound_ok)
			break;
		start = end;
	}
	r->ret = ret;
}

static int
run_equal(const struct run *a, const struct run *b)
{
	if (a->ret != b->ret || a->used != b->used || !a->bound_ok ||
	    !b->bound_ok)
		return 0;
	/* The output before a DOT_BAD is discarded by the caller anyway. */
	if (a->ret == DOT_BAD)
		return 1;
	return a->outlen == b->outlen &&
	    memcmp(a->out, b->out, a->outlen) == 0;
}

/*
 * Feed whole, then split at every single position, at every pair of
 * positions (small inputs) and byte by byte; 1 if all agree with whole.
 */
static int
split_equal(const char *in, size_t n, struct run *whole)
{
	struct run	r;
	size_t		cuts[2], *each, i, j;
	int		good = 1;

	feed_cuts(in, n, NULL, 0, whole);
	if (!whole->bound_ok)
		return 0;
	for (i = 0; i <= n && good; i++) {
		cuts[0] = i;
		feed_cuts(in, n, cuts, 1, &r);
		good = run_equal(whole, &r);
		free(r.out);
	}
	for (i = 0; n <= PAIR_SPLIT_MAX && i <= n && good; i++)
		for (j = i; j <= n && good; j++) {
			cuts[0] = i;
			cuts[1] = j;
			feed_cuts(in, n, cuts, 2, &r);
			good = run_equal(whole, &r);
			free(r.out);
		}
	if (good) {
		each = xmalloc((n + 1) * sizeof(*each));
		for (i = 0; i <= n; i++)
			each[i] = i;
		feed_cuts(in, n, each, n + 1, &r);
		good = run_equal(whole, &r);
		free(r.out);
		free(each);
	}
	return good;
}

/*
 * A line-at-a-time reference of dot_feed() on one whole input, written
 * independently of the state machine.  Output is only meaningful for
 * DOT_END and DOT_MORE.
 */
static int
reference(const char *in, size_t n, size_t *used, char *out, size_t *outlen)
{
	size_t	i, j, o;

	i = 0;
	o = 0;
	for (;;) {
		for (j = i; j < n && in[j] != '\r' && in[j] != '\n'; j++)
			;
		if (j < n && in[j] == '\n') {
			*used = j + 1;		/* bare LF */
			*outlen = o;
			return DOT_BAD;
		}
		if (j + 1 < n && in[j + 1] != '\n') {
			*used = j + 2;		/* bare CR */
			*outlen = o;
			return DOT_BAD;
		}
		if (j + 1 >= n) {
			/* an incomplete line: all but a leading dot */
			if (i < j && in[i] == '.')
				i++;
			memcpy(out + o, in + i, j - i);
			o += j - i;
			*used = n;
			*outlen = o;
			return DOT_MORE;
		}
		/* a complete line in[i..j) CRLF */
		if (j - i == 1 && in[i] == '.') {
			*used = j + 2;
			*outlen = o;
			return DOT_END;
		}
		if (i < j && in[i] == '.')
			i++;
		memcpy(out + o, in + i, j - i);
		o += j - i;
		out[o++] = '\r';
		out[o++] = '\n';
		i = j + 2;
	}
}

struct feed_case {
	const char	*desc;
	const char	*in;
	size_t		 n;		/* 0: strlen(in) */
	int		 ret;
	size_t		 used;
	const char	*out;		/* NULL: not checked (DOT_BAD) */
	size_t		 outlen;	/* 0: strlen(out) */
};

#define S(x)	x, sizeof(x) - 1

static const struct feed_case feed_cases[] = {
	{ "empty message", S(".\r\n"), DOT_END, 3, "", 0 },
	{ "one line", S("abc\r\n.\r\n"), DOT_END, 8, "abc\r\n", 0 },
	{ "empty line then end", S("\r\n.\r\n"), DOT_END, 5, "\r\n", 0 },
	{ "two empty lines", S("\r\n\r\n.\r\n"), DOT_END, 7, "\r\n\r\n", 0 },
	{ "end, then the next command", S("a\r\n.\r\nQUIT\r\n"), DOT_END, 6,
	    "a\r\n", 0 },
	{ "stuffed dot line", S("a\r\n..\r\n.\r\n"), DOT_END, 10,
	    "a\r\n.\r\n", 0 },
	{ "stuffed first line", S("..abc\r\n.\r\n"), DOT_END, 10,
	    ".abc\r\n", 0 },
	{ "dot-text line unstuffed", S(".x\r\n.\r\n"), DOT_END, 7, "x\r\n", 0 },
	{ "three dots", S("...\r\n.\r\n"), DOT_END, 8, "..\r\n", 0 },
	{ "dot inside a line kept", S("a.b\r\n.\r\n"), DOT_END, 8,
	    "a.b\r\n", 0 },
	{ "dot at end of line kept", S("a.\r\n.\r\n"), DOT_END, 7,
	    "a.\r\n", 0 },
	{ "dot space line", S(". \r\n.\r\n"), DOT_END, 7, " \r\n", 0 },
	{ "CRLF dot space CRLF is no end", S("a\r\n. \r\n"), DOT_MORE, 7,
	    "a\r\n \r\n", 0 },
	{ "nothing", S(""), DOT_MORE, 0, "", 0 },
	{ "text without end", S("abc"), DOT_MORE, 3, "abc", 0 },
	{ "CR held at the end", S("abc\r"), DOT_MORE, 4, "abc", 0 },
	{ "dot held at the end", S("abc\r\n."), DOT_MORE, 6, "abc\r\n", 0 },
	{ "dot CR held at the end", S("abc\r\n.\r"), DOT_MORE, 7,
	    "abc\r\n", 0 },
	{ "lone dot at start held", S("."), DOT_MORE, 1, "", 0 },
	{ "NUL bytes pass", S("a\0b\r\n\0\r\n.\r\n"), DOT_END, 11,
	    "a\0b\r\n\0\r\n", 8 },
	{ "8-bit bytes pass", S("\xc3\xa9\xff\x80\r\n.\r\n"), DOT_END, 9,
	    "\xc3\xa9\xff\x80\r\n", 0 },
	{ "header and body", S("Subject: x\r\n\r\nbody\r\n.\r\n"), DOT_END,
	    23, "Subject: x\r\n\r\nbody\r\n", 0 },
	/* SMTP smuggling and other bare CR or LF */
	{ "LF . LF", S("\n.\n"), DOT_BAD, 1, NULL, 0 },
	{ "text LF . LF", S("a\n.\n"), DOT_BAD, 2, NULL, 0 },
	{ "LF . CRLF", S("a\n.\r\n"), DOT_BAD, 2, NULL, 0 },
	{ "CRLF . LF", S("a\r\n.\n"), DOT_BAD, 5, NULL, 0 },
	{ "CR . CR", S("a\r.\r"), DOT_BAD, 3, NULL, 0 },
	{ "CRLF . CR x", S("a\r\n.\rMAIL FROM:<>\r\n"), DOT_BAD, 6, NULL,
	    0 },
	{ "CRLF . CR CR LF", S("a\r\n.\r\r\n"), DOT_BAD, 6, NULL, 0 },
	{ "CR . CRLF", S("a\r.\r\n"), DOT_BAD, 3, NULL, 0 },
	{ ". LF at the start", S(".\n"), DOT_BAD, 2, NULL, 0 },
	{ ". CR CRLF at the start", S(".\r\r\n"), DOT_BAD, 3, NULL, 0 },
	{ ". CR x at the start", S(".\rx"), DOT_BAD, 3, NULL, 0 },
	{ "LF at the start", S("\n"), DOT_BAD, 1, NULL, 0 },
	{ "CR x at the start", S("\rx"), DOT_BAD, 2, NULL, 0 },
	{ "bare LF in text", S("abc\ndef\r\n.\r\n"), DOT_BAD, 4, NULL, 0 },
	{ "bare CR in text", S("abc\rdef\r\n.\r\n"), DOT_BAD, 5, NULL, 0 },
	{ "CR CR LF", S("abc\r\r\n.\r\n"), DOT_BAD, 5, NULL, 0 },
	{ "LF LF", S("abc\r\n\n.\r\n"), DOT_BAD, 6, NULL, 0 },
	{ "LF CR LF", S("abc\n\r\n.\r\n"), DOT_BAD, 4, NULL, 0 },
	{ "CRLF .. LF", S("a\r\n..\n"), DOT_BAD, 6, NULL, 0 },
	{ "CRLF . CR NUL", S("a\r\n.\r\0"), DOT_BAD, 6, NULL, 0 },
	{ "CR NUL", S("a\r\0\n"), DOT_BAD, 3, NULL, 0 },
	{ "smuggled second message",
	    S("a\r\n\n.\r\nMAIL FROM:<x@y>\r\n"), DOT_BAD, 4, NULL, 0 },
	{ "Postfix-style LF . CRLF smuggle",
	    S("a\r\n\n.\r\nRCPT TO:<v@y>\r\nDATA\r\nx\r\n.\r\n"), DOT_BAD,
	    4, NULL, 0 },
};

static void
test_feed_cases(void)
{
	const struct feed_case	*c;
	struct run		 whole;
	size_t			 i, outlen;
	int			 split;

	for (i = 0; i < NELEM(feed_cases); i++) {
		c = &feed_cases[i];
		split = split_equal(c->in, c->n, &whole);
		outlen = c->out == NULL ? 0 :
		    c->outlen != 0 ? c->outlen : strlen(c->out);
		ok(split && whole.ret == c->ret && whole.used == c->used &&
		    (c->out == NULL || (whole.outlen == outlen &&
		    memcmp(whole.out, c->out, outlen) == 0)),
		    "%s: \"%s\" gives %s after %zu bytes, split anywhere",
		    c->desc, show(c->in, c->n), c->ret == DOT_END ? "end" :
		    c->ret == DOT_BAD ? "bad" : "more", c->used);
		free(whole.out);
	}
}

/*
 * With d.nul set, the first NUL ends the feed with DOT_NUL, whether the
 * input comes whole or a byte at a time, in a long line (the 16-byte
 * scan) or next to the dot; unset, NUL is a byte (feed_cases).
 */
static void
test_nul(void)
{
	static const struct {
		const char	*desc;
		const char	*in;
		size_t		 n;
		size_t		 used;
	} c[] = {
		{ "NUL in a line", S("a\0b\r\n.\r\n"), 2 },
		{ "CRLF NUL . CRLF", S("a\r\n\0.\r\n.\r\n"), 4 },
		{ "CRLF . NUL CRLF", S("a\r\n.\0\r\n.\r\n"), 5 },
		{ "CR NUL", S("a\r\0\n.\r\n"), 3 },
		{ "NUL after 40 bytes", S("0123456789012345678901234567890123456789"
		    "\0\r\n.\r\n"), 41 },
		{ "NUL first", S("\0\r\n.\r\n"), 1 },
	};
	struct dot d;
	char out[128];
	size_t i, j, used, outlen, total;
	int r;

	for (i = 0; i < NELEM(c); i++) {
		dot_init(&d);
		d.nul = 1;
		r = dot_feed(&d, c[i].in, c[i].n, &used, out, &outlen);
		ok(r == DOT_NUL && used == c[i].used,
		    "nul: %s: DOT_NUL after %zu bytes (got %d after %zu)",
		    c[i].desc, c[i].used, r, used);
		dot_init(&d);
		d.nul = 1;
		total = 0;
		for (j = 0, r = DOT_MORE; j < c[i].n && r == DOT_MORE; j++) {
			r = dot_feed(&d, c[i].in + j, 1, &used, out, &outlen);
			total += used;
		}
		ok(r == DOT_NUL && total == c[i].used,
		    "nul: %s: the same a byte at a time", c[i].desc);
	}
}

/* No smuggling sequence may end data, wherever it sits. */
static void
test_smuggling_never_ends(void)
{
	static const char *const	seqs[] = {
		"\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r\n.\r",
		"\r.\r\n", ".\n", "\r\n.\r\r\n", "\n.\n\r\n", "\r\r\n.\r\n"
	};
	static const char *const	before[] = { "", "a", "a\r\n" };
	char				buf[64];
	struct run			whole;
	size_t				i, j, n;
	int				good = 1;

	for (i = 0; i < NELEM(seqs); i++)
		for (j = 0; j < NELEM(before); j++) {
			n = (size_t)snprintf(buf, sizeof(buf), "%s%sx\r\n",
			    before[j], seqs[i]);
			if (!split_equal(buf, n, &whole) ||
			    whole.ret != DOT_BAD) {
				fprintf(stderr, "# smuggle \"%s\" gave %d\n",
				    show(buf, n), whole.ret);
				good = 0;
			}
			free(whole.out);
		}
	ok(good, "smuggling sequences after \"\", text and CRLF give "
	    "DOT_BAD, never DOT_END, split anywhere");
}

static void
test_after_end(void)
{
	struct dot	d;
	char		out[16];
	size_t		used, outlen;
	int		r;

	dot_init(&d);
	r = dot_feed(&d, ".\r\n", 3, &used, out, &outlen);
	ok(r == DOT_END && used == 3 && outlen == 0, "end of an empty message");
	r = dot_feed(&d, "x\r\n", 3, &used, out, &outlen);
	ok(r == DOT_BAD && used == 0 && outlen == 0,
	    "feeding after the end without dot_init is refused");
	dot_init(&d);
	r = dot_feed(&d, "x\r\n.\r\n", 6, &used, out, &outlen);
	ok(r == DOT_END && used == 6 && outlen == 3 &&
	    memcmp(out, "x\r\n", 3) == 0, "dot_init starts a new message");
	dot_init(&d);
	r = dot_feed(&d, "x\n", 2, &used, out, &outlen);
	r = dot_feed(&d, "y\r\n", 3, &used, out, &outlen);
	ok(r == DOT_BAD && used == 0, "feeding after DOT_BAD is refused");
}

/* Long lines and every byte value other than CR and LF pass unchanged. */
static void
test_long_and_binary(void)
{
	struct run	whole;
	char		*in;
	size_t		n, i, lines;

	/* ten lines of 998 bytes, then five of 5000 */
	in = xmalloc(10 * (LINE_RFC + 2) + 5 * (LINE_LONG + 2) + 3);
	n = 0;
	for (lines = 0; lines < 10; lines++) {
		memset(in + n, 'a' + (int)lines, LINE_RFC);
		n += LINE_RFC;
		memcpy(in + n, "\r\n", 2);
		n += 2;
	}
	for (lines = 0; lines < 5; lines++) {
		memset(in + n, 'A' + (int)lines, LINE_LONG);
		n += LINE_LONG;
		memcpy(in + n, "\r\n", 2);
		n += 2;
	}
	memcpy(in + n, ".\r\n", 3);
	feed_cuts(in, n + 3, NULL, 0, &whole);
	ok(whole.ret == DOT_END && whole.used == n + 3 && whole.outlen == n &&
	    memcmp(whole.out, in, n) == 0,
	    "998-byte and 5000-byte lines pass unchanged");
	free(whole.out);
	free(in);

	/* every byte value but CR and LF, twice, in one line */
	in = xmalloc(2 * 256 + 5);
	n = 0;
	for (i = 0; i < 2 * 256; i++)
		if (i % 256 != '\r' && i % 256 != '\n')
			in[n++] = (char)(i % 256);
	memcpy(in + n, "\r\n.\r\n", 5);
	ok(split_equal(in, n + 5, &whole) && whole.ret == DOT_END &&
	    whole.outlen == n + 2 && memcmp(whole.out, in, n + 2) == 0,
	    "all byte values but CR and LF (NUL, 8-bit) pass unchanged");
	free(whole.out);
	free(in);
}

/*
 * All strings over EXHAUST_ALPHA up to EXHAUST_LEN bytes: the machine
 * agrees with the reference, output never exceeds the input consumed,
 * and every single split gives the same result.
 */
static void
test_exhaustive(void)
{
	static const char	alpha[] = EXHAUST_ALPHA;
	const size_t		na = sizeof(alpha) - 1;
	char			in[EXHAUST_LEN], ref[EXHAUST_LEN + 2];
	size_t			idx[EXHAUST_LEN], len, i, k, cut, rused, rlen;
	struct run		whole, r;
	unsigned long		tried = 0, bad = 0, ends = 0;
	int			rret, good;

	for (len = 0; len <= EXHAUST_LEN; len++) {
		memset(idx, 0, sizeof(idx));
		for (;;) {
			for (i = 0; i < len; i++)
				in[i] = alpha[idx[i]];
			feed_cuts(in, len, NULL, 0, &whole);
			rret = reference(in, len, &rused, ref, &rlen);
			good = whole.bound_ok && whole.ret == rret &&
			    whole.used == rused && whole.outlen <= whole.used &&
			    (rret == DOT_BAD || (whole.outlen == rlen &&
			    memcmp(whole.out, ref, rlen) == 0));
			for (cut = 0; cut <= len && good; cut++) {
				feed_cuts(in, len, &cut, 1, &r);
				good = run_equal(&whole, &r);
				free(r.out);
			}
			if (!good) {
				if (bad < 5)
					fprintf(stderr, "# exhaustive \"%s\": "
					    "%d/%zu, reference %d/%zu\n",
					    show(in, len), whole.ret,
					    whole.used, rret, rused);
				bad++;
			}
			ends += whole.ret == DOT_END;
			free(whole.out);
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
	ok(bad == 0 && ends > 0, "%lu inputs over {CR, LF, '.', 'a'} up to %d "
	    "bytes agree with the reference, split anywhere (%lu ends)",
	    tried, EXHAUST_LEN, ends);
}

static unsigned long	rng_state = 0x2545F4914F6CDD1DUL;

static unsigned long
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * Stuff msg, add CRLF if needed and the terminator, feed it back: the
 * original (plus that CRLF) must come out, with DOT_END at the very end.
 * The stuffing itself is done in random chunks, to test *bol.
 */
static int
round_trip(const char *msg, size_t n)
{
	struct run	r;
	char		*wire;
	size_t		w, i, chunk, expect;
	int		bol, good;

	wire = xmalloc(2 * n + 5);
	w = 0;
	bol = 1;
	for (i = 0; i < n; i += chunk) {
		chunk = 1 + rng() % 7;
		if (chunk > n - i)
			chunk = n - i;
		w += dot_stuff(msg + i, chunk, &bol, wire + w);
	}
	expect = n;
	if (!bol) {
		memcpy(wire + w, "\r\n", 2);
		w += 2;
		expect += 2;
	}
	memcpy(wire + w, ".\r\n", 3);
	w += 3;
	good = split_equal(wire, w, &r) && r.ret == DOT_END && r.used == w &&
	    r.outlen == expect && memcmp(r.out, msg, n) == 0 &&
	    (expect == n || memcmp(r.out + n, "\r\n", 2) == 0);
	free(r.out);
	free(wire);
	return good;
}

static void
test_stuff(void)
{
	static const struct {
		const char	*s;
		size_t		 n;
	} msgs[] = {
		{ S("") }, { S(".") }, { S("..") }, { S(".\r\n") },
		{ S("a\r\n.\r\n") }, { S(".a\r\n.b\r\n..c") }, { S("a.b\r\n") },
		{ S("\r\n.\r\n.\r\n") }, { S("x") }, { S("x\r\n") },
		{ S("\0.\r\n.\0") }
	};
	static const char		pool[] = "..\0\xff a.";
	char				out[64], msg[RANDOM_LINES *
					    (RANDOM_LINE_MAX + 2)];
	size_t				i, j, k, n, len, w;
	int				bol, good;

	bol = 1;
	w = dot_stuff(".a\r\n.\r\nb.", 9, &bol, out);
	ok(w == 11 && memcmp(out, "..a\r\n..\r\nb.", 11) == 0 && bol == 0,
	    "dot_stuff doubles dots at line starts only");
	bol = 0;
	w = dot_stuff(".x", 2, &bol, out);
	ok(w == 2 && memcmp(out, ".x", 2) == 0,
	    "dot_stuff with *bol 0 leaves a leading dot alone");
	bol = 0;
	w = dot_stuff("\r\n", 2, &bol, out);
	ok(w == 2 && bol == 1, "dot_stuff sets *bol after CRLF");
	bol = 1;
	w = dot_stuff("", 0, &bol, out);
	ok(w == 0 && bol == 1, "dot_stuff of nothing keeps *bol");
	bol = 1;
	w = dot_stuff("\n.", 2, &bol, out);
	ok(w == 3 && memcmp(out, "\n..", 3) == 0,
	    "dot_stuff treats any LF as a line end");

	good = 1;
	for (i = 0; i < NELEM(msgs); i++)
		if (!round_trip(msgs[i].s, msgs[i].n)) {
			fprintf(stderr, "# round trip \"%s\" failed\n",
			    show(msgs[i].s, msgs[i].n));
			good = 0;
		}
	ok(good, "dot_stuff then dot_feed gives fixed messages back");

	/* random clean messages: lines of dots, NUL, 8-bit, blanks, text */
	good = 1;
	for (i = 0; i < RANDOM_MSGS && good; i++) {
		n = 0;
		for (j = rng() % RANDOM_LINES; j > 0; j--) {
			len = rng() % RANDOM_LINE_MAX;
			for (k = 0; k < len; k++)
				msg[n++] = pool[rng() % (sizeof(pool) - 1)];
			if (j > 1 || rng() % 2) {
				msg[n++] = '\r';
				msg[n++] = '\n';
			}
		}
		if (!round_trip(msg, n)) {
			fprintf(stderr, "# round trip \"%s\" failed\n",
			    show(msg, n));
			good = 0;
		}
	}
	ok(good, "dot_stuff then dot_feed gives %d random messages back",
	    RANDOM_MSGS);
}

/* Does the wire text w[0..n) hold an end of data for the child? */
static int
has_end(const char *w, size_t n)
{
	size_t i;

	if (n >= 3 && memcmp(w, ".\r\n", 3) == 0)
		return 1;
	for (i = 0; i + 5 <= n; i++)
		if (memcmp(w + i, "\r\n.\r\n", 5) == 0)
			return 1;
	return 0;
}

/*
 * dot_pending: whoever passes the client's bytes on as they are and holds
 * back dot_pending() bytes never passes an end of data, and at DOT_END has
 * passed everything but the final "." CRLF.  Every input up to 9 bytes
 * over {CR, LF, '.', 'a'}, fed a byte at a time.
 */
static void
test_pending(void)
{
	static const char alpha[] = "\r\n.a";
	struct dot	d;
	char		in[9], out[4];
	size_t		used, outlen, passed, pend, n, k;
	unsigned long	total = 0, ends = 0, bad = 0, idx, m;
	int		r;

	dot_init(&d);
	ok(dot_pending(&d) == 0, "nothing pending at the start");
	r = dot_feed(&d, "a\r\n.", 4, &used, out, &outlen);
	ok(r == DOT_MORE && dot_pending(&d) == 1, "\".\" at a line start: 1");
	r = dot_feed(&d, "\r", 1, &used, out, &outlen);
	ok(r == DOT_MORE && dot_pending(&d) == 2, "\".\" CR: 2");
	dot_init(&d);
	r = dot_feed(&d, "a.", 2, &used, out, &outlen);
	ok(r == DOT_MORE && dot_pending(&d) == 0, "a dot inside a line: 0");
	r = dot_feed(&d, "\r", 1, &used, out, &outlen);
	ok(r == DOT_MORE && dot_pending(&d) == 0, "a CR inside a line: 0");

	for (n = 1; n <= sizeof(in); n++) {
		for (m = 1, k = 0; k < n; k++)
			m *= 4;
		for (idx = 0; idx < m; idx++) {
			unsigned long v = idx;

			for (k = 0; k < n; k++, v /= 4)
				in[k] = alpha[v % 4];
			total++;
			dot_init(&d);
			passed = 0;
			for (k = 0; k < n; k++) {
				struct dot	d2 = d;
				size_t		used2, outlen2;
				int		r2;

				r2 = dot_feed(&d2, in + k, 1, &used2, NULL,
				    &outlen2);
				r = dot_feed(&d, in + k, 1, &used, out,
				    &outlen);
				if (r2 != r || used2 != used ||
				    outlen2 != outlen || d2.state != d.state)
					bad++;
				if (r == DOT_BAD)
					break;
				pend = r == DOT_END ? 3 : dot_pending(&d);
				if (pend > k + 1) {
					bad++;
					break;
				}
				passed = k + 1 - pend;
				if (has_end(in, passed))
					bad++;
				if (r == DOT_END) {
					ends++;
					if (memcmp(in + passed, ".\r\n", 3) != 0)
						bad++;
					break;
				}
			}
		}
	}
	ok(bad == 0 && ends > 0, "%lu inputs: dot_feed counts alike with out "
	    "NULL; holding back dot_pending() bytes never passes an end, %lu "
	    "ends leave exactly \".\" CRLF",
	    total, ends);
}

/* Feed in steps of step bytes, d.nul as given. */
static void
feed_steps(const char *in, size_t n, size_t step, int nul, struct run *r)
{
	struct dot	d;
	size_t		at, k, used, outlen;
	int		ret = DOT_MORE;

	dot_init(&d);
	d.nul = nul;
	r->out = xmalloc(n + 2);
	r->outlen = r->used = 0;
	r->bound_ok = 1;
	for (at = 0; at < n && ret == DOT_MORE; at += k) {
		k = n - at < step ? n - at : step;
		ret = dot_feed(&d, in + at, k, &used, r->out + r->outlen,
		    &outlen);
		r->outlen += outlen;
		r->used += used;
	}
	r->ret = ret;
}

/*
 * Long inputs, fed whole, take the 64-byte blocks of crlf_clean(); fed a
 * byte at a time they never do: both must agree, on lines of plain text
 * with a dot, a bare CR or LF, a NUL, a TAB or another control byte or a
 * CRLF put anywhere, block edges included, with NUL counting and not.
 */
static void
test_blocks(void)
{
	/* and the other bytes of 13 and below, which the blocks look at */
	static const char	odd[] = ".\r\n\0\t\001\013\014";
	char			in[800];
	struct run		whole, bytes;
	size_t			n, k;
	int			i, nul, good = 1, ends = 0, bad = 0;

	for (i = 0; i < 4000 && good; i++) {
		n = 0;
		while (n < 700) {
			k = rng() % 100;
			if (k < 3)
				in[n++] = odd[rng() % (sizeof(odd) - 1)];
			else if (k < 30) {
				in[n++] = '\r';
				in[n++] = '\n';
			} else {
				k = 1 + rng() % 90;
				memset(in + n, 'a', k);
				n += k;
			}
			if (rng() % 40 == 0)
				break;
		}
		if (rng() % 2) {
			memcpy(in + n, "\r\n.\r\n", 5);
			n += 5;
		}
		for (nul = 0; nul < 2 && good; nul++) {
			feed_steps(in, n, n, nul, &whole);
			feed_steps(in, n, 1, nul, &bytes);
			good = run_equal(&whole, &bytes);
			ends += whole.ret == DOT_END;
			bad += whole.ret == DOT_BAD;
			if (!good)
				fprintf(stderr, "# blocks: \"%s\" nul %d: whole "
				    "%d after %zu, bytes %d after %zu\n",
				    show(in, n), nul, whole.ret, whole.used,
				    bytes.ret, bytes.used);
			free(whole.out);
			free(bytes.out);
		}
	}
	ok(good && ends > 100 && bad > 100, "long inputs fed whole (64-byte "
	    "blocks) and byte by byte agree (%d ends, %d refused)", ends, bad);
}

int
main(void)
{
	test_nul();
	test_blocks();
	test_feed_cases();
	test_smuggling_never_ends();
	test_after_end();
	test_long_and_binary();
	test_exhaustive();
	test_stuff();
	test_pending();
	return done();
}
