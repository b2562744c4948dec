/*
 * t/unit-milter.c: the pure part of milter.c.  milter_parse on each
 * reply a milter sends, well formed and not (REPLYCODE codes, classes
 * and texts; header changes whose name or value is broken; unknown
 * commands); milter_optneg; milter_fields on sections with folded fields
 * and on sections that are not one; milter_apply with each kind of
 * change, against the section expected byte for byte.  Prints TAP.
 */
#include <string.h>
#include "milter.h"
#include "tap.h"

static struct milter_field f[MILTER_FIELDS_MAX];
static struct milter_mods mods;

struct out {
	char	buf[8192];
	size_t	n;
};

static int
put(void *arg, const char *p, size_t n)
{
	struct out *o = arg;

	if (n > sizeof(o->buf) - o->n)
		return -1;
	memcpy(o->buf + o->n, p, n);
	o->n += n;
	return 0;
}

/* Parse a packet given as cmd and bytes (n of them). */
static int
parse(int cmd, const char *p, size_t n, struct milter_reply *r)
{
	const char *why;

	return milter_parse(cmd, p, n, r, &why);
}

#define P(s)	(s), sizeof(s) - 1

static void
code(const char *data, size_t n, int ret, const char *want, const char *text)
{
	struct milter_reply r;
	int got = parse('y', data, n, &r);

	ok(got == ret, "REPLYCODE %s: %s", show(data, n), ret == 0 ? "taken" :
	    "refused");
	if (ret == 0 && got == 0) {
		ok(strcmp(r.code, want) == 0, "... code %s (%s)", want, r.code);
		ok(strcmp(r.text, text) == 0, "... text \"%s\" (%s)", text,
		    r.text);
	}
}

/* A packet: its command byte first, then its data. */
struct pk {
	const char	*p;
	size_t		 n;
};

/* Apply the changes (given as packets) to a section; compare. */
static void
apply(const char *name, const char *hdr, int lead, const struct pk *pk,
    int npk, const char *want)
{
	struct milter_reply r;
	struct out o;
	int nf, i;

	mods.n = 0;
	mods.used = 0;
	for (i = 0; i < npk; i++)
		if (parse(pk[i].p[0], pk[i].p + 1, pk[i].n - 1, &r) == 0)
			(void)milter_mod(&mods, &r);
	nf = milter_fields(hdr, strlen(hdr), f, MILTER_FIELDS_MAX);
	o.n = 0;
	ok(nf >= 0 && milter_apply(hdr, f, nf, &mods, lead, put, &o) == 0 &&
	    o.n == strlen(want) && memcmp(o.buf, want, o.n) == 0,
	    "%s: %s", name, show(o.buf, o.n));
}

int
main(void)
{
	struct milter_reply r;
	unsigned long v, a, p;
	static const char hdr[] = "Received: from a\r\n\tby b\r\n"
	    "Subject: hi\r\nX-Two: 1\r\nx-two: 2\r\n";

	/* the verdicts */
	ok(parse('c', "", 0, &r) == 0 && r.kind == MILTER_R_CONTINUE,
	    "c: CONTINUE");
	ok(parse('a', "", 0, &r) == 0 && r.kind == MILTER_R_ACCEPT,
	    "a: ACCEPT");
	ok(parse('r', "", 0, &r) == 0 && r.kind == MILTER_R_REJECT,
	    "r: REJECT");
	ok(parse('t', "", 0, &r) == 0 && r.kind == MILTER_R_TEMPFAIL,
	    "t: TEMPFAIL");
	ok(parse('d', "", 0, &r) == 0 && r.kind == MILTER_R_DISCARD,
	    "d: DISCARD");
	ok(parse('s', "", 0, &r) == 0 && r.kind == MILTER_R_SKIP, "s: SKIP");
	ok(parse('p', "", 0, &r) == 0 && r.kind == MILTER_R_PROGRESS,
	    "p: PROGRESS");
	ok(parse('4', "", 0, &r) == 0 && r.kind == MILTER_R_SHUTDOWN,
	    "4: SHUTDOWN, a failure");
	ok(parse('z', "", 0, &r) == -1, "z: unknown, refused");
	ok(parse('O', P("\0\0\0\6\0\0\0\0\0\0\0\0"), &r) == -1,
	    "O outside the negotiation: refused");
	ok(parse('q', P("held\tfor review\0"), &r) == 0 &&
	    r.kind == MILTER_R_QUARANTINE &&
	    strcmp(r.text, "held?for review") == 0,
	    "q: QUARANTINE, its text printable");
	ok(parse('+', P("<x@y.example>\0"), &r) == 0 &&
	    r.kind == MILTER_R_ENVELOPE, "+: ADDRCPT, an envelope change");
	ok(parse('e', P("<x@y.example>\0"), &r) == 0 &&
	    r.kind == MILTER_R_ENVELOPE, "e: CHGFROM, an envelope change");

	/* REPLYCODE */
	code(P("554 5.7.1 Spam detected\0"), 0, "554", "Spam detected");
	code(P("451 4.7.1 Try again later\0"), 0, "451", "Try again later");
	code(P("550 No enhanced code\0"), 0, "550", "No enhanced code");
	code(P("550\0"), 0, "550", "");
	code(P("550-5.7.1 first\r\n550 5.7.1 second\0"), 0, "550", "first");
	code(P("554 5.7.1 bell\a and \xff\0"), 0, "554", "bell? and ?");
	code(P("250 2.0.0 ok\0"), -1, "", "");
	code(P("554 4.7.1 class of another\0"), -1, "", "");
	code(P("45 4.7.1 short\0"), -1, "", "");
	code(P("4x1 4.7.1 not a number\0"), -1, "", "");
	code(P("554x text\0"), -1, "", "");
	code(P("554 5.7.1 no NUL"), -1, "", "");
	code(P("554 5.7.1 two\0strings\0"), -1, "", "");
	code("", 0, -1, "", "");

	/* header changes */
	ok(parse('h', P("X-Name\0value\0"), &r) == 0 &&
	    r.kind == MILTER_R_ADDHEADER && r.nlen == 6 && r.vlen == 5 &&
	    memcmp(r.value, "value", 5) == 0, "h: ADDHEADER name and value");
	ok(parse('h', P("X-Name\0\0"), &r) == 0 && r.vlen == 0,
	    "h: an empty value");
	ok(parse('h', P("X-Name\0value"), &r) == -1, "h: value without NUL");
	ok(parse('h', P("X-Name\0value\0junk"), &r) == -1,
	    "h: bytes after the value");
	ok(parse('h', P("\0value\0"), &r) == -1, "h: empty name");
	ok(parse('h', P("X Name\0value\0"), &r) == -1, "h: blank in the name");
	ok(parse('h', P("X:Name\0value\0"), &r) == -1, "h: colon in the name");
	ok(parse('h', P("X-Name"), &r) == -1, "h: no NUL at all");
	ok(parse('i', P("\0\0\0\2X-Ins\0v\0"), &r) == 0 &&
	    r.kind == MILTER_R_INSHEADER && r.index == 2,
	    "i: INSHEADER with its index");
	ok(parse('m', P("\x80\0\0\1X-Chg\0\0"), &r) == 0 &&
	    r.kind == MILTER_R_CHGHEADER && r.index == 0x80000001UL &&
	    r.vlen == 0, "m: CHGHEADER, a large index, an empty value");
	ok(parse('m', P("\0\0\1"), &r) == -1, "m: shorter than its index");
	ok(parse('b', P("new\nbody"), &r) == 0 &&
	    r.kind == MILTER_R_REPLBODY && r.vlen == 8, "b: REPLBODY bytes");

	/* the negotiation */
	ok(milter_optneg(P("\0\0\0\6\0\0\0\x13\0\x10\0\x01"), &v, &a, &p) ==
	    0 && v == 6 && a == 0x13 && p == 0x100001UL,
	    "O: version, actions, protocol");
	ok(milter_optneg(P("\0\0\0\6\0\0\0\x13\0\x10\0\x01\0\0\0\1{i}\0"), &v,
	    &a, &p) == 0, "O: with the macros it wants after them");
	ok(milter_optneg(P("\0\0\0\6\0\0\0\x13\0\x10\0"), &v, &a, &p) == -1,
	    "O: 11 bytes refused");
	ok(milter_optneg(P("\0\0\0\7\0\0\0\0\0\0\0\0"), &v, &a, &p) == -1,
	    "O: version 7 refused");
	ok(milter_optneg(P("\0\0\0\1\0\0\0\0\0\0\0\0"), &v, &a, &p) == -1,
	    "O: version 1 refused");

	/* the fields of a section */
	ok(milter_fields(P(hdr), f, MILTER_FIELDS_MAX) == 4 && f[0].nlen == 8 &&
	    f[0].len == 25 && f[1].off == 25 && f[1].voff == 25 + 8,
	    "fields: four, the folded one whole");
	ok(milter_fields(P("Name : v\r\n"), f, MILTER_FIELDS_MAX) == 1 &&
	    f[0].nlen == 4, "fields: \"Name :\" is the name Name");
	ok(milter_fields(P(" cont\r\n"), f, MILTER_FIELDS_MAX) == -1,
	    "fields: a continuation line first refused");
	ok(milter_fields(P("no colon\r\n"), f, MILTER_FIELDS_MAX) == -1,
	    "fields: a line without a colon refused");
	ok(milter_fields(P(": v\r\n"), f, MILTER_FIELDS_MAX) == -1,
	    "fields: an empty name refused");
	ok(milter_fields(P("A: v\n"), f, MILTER_FIELDS_MAX) == -1,
	    "fields: a bare LF refused");
	ok(milter_fields(P("A: v"), f, MILTER_FIELDS_MAX) == -1,
	    "fields: no line end refused");
	ok(milter_fields(P("A: 1\r\nB: 2\r\n"), f, 1) == -1,
	    "fields: more than the room refused");
	ok(milter_fields("", 0, f, MILTER_FIELDS_MAX) == 0, "fields: none");

	/* the changes applied */
	{
		static const struct pk pk[] = { { P("hX-Add\0added\0") },
		    { P("i\0\0\0\0X-Top\0first\0") },
		    { P("m\0\0\0\2X-Two\0\0") },
		    { P("m\0\0\0\0Subject\0changed\0") },
		    { P("m\0\0\0\1X-New\0made\0") },
		    { P("m\0\0\0\5X-Two\0\0") } };

		apply("add, insert at 0, delete the second X-Two, change "
		    "Subject (index 0 is 1), change one that is not there "
		    "(added), delete one that is not there (nothing)", hdr, 0,
		    pk, 6, "X-Top: first\r\nReceived: from a\r\n\tby b\r\n"
		    "Subject: changed\r\nX-Two: 1\r\nX-Add: added\r\n"
		    "X-New: made\r\n");
	}
	{
		static const struct pk pk[] = {
		    { P("hX-Multi\0one\ntwo\n\tthree\n\0") },
		    { P("hX-Lead\0 spaced\0") }, { P("hX-Nul\0a\rb\0") } };

		apply("line breaks become CRLF, a continuation gets a tab, a "
		    "trailing one is dropped, a CR dropped", "", 0, pk, 3,
		    "X-Multi: one\r\n\ttwo\r\n\tthree\r\nX-Lead:  spaced\r\n"
		    "X-Nul: ab\r\n");
		apply("the leading space the milter gives, taken as it is",
		    "", 1, pk + 1, 1, "X-Lead: spaced\r\n");
	}
	{
		static const struct pk pk[] = {
		    { P("i\0\0\0\x63X-End\0last\0") },
		    { P("i\0\0\0\1X-Second\0second\0") } };

		apply("INSHEADER past the end appends; at 1 after the first",
		    "A: 1\r\nB: 2\r\n", 0, pk, 2, "A: 1\r\nX-Second: "
		    "second\r\nB: 2\r\nX-End: last\r\n");
	}
	apply("no change: the section itself", hdr, 0, NULL, 0, hdr);
	return done();
}
