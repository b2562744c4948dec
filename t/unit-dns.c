/*
 * t/unit-dns.c: the DNS answer reader (dnspkt.c) on packets built here,
 * well-formed and hostile (truncated everywhere, pointer loops, forward
 * pointers, over-long names, counts past the end, TXT strings past
 * their record); the dnsbl list entries (dnslist.c: zones, filters,
 * weights, the refusal range); resolver_rev.  End to end, against a
 * real DNS server, the checks are tested in t/dnsbl.t.  Prints TAP.
 */
#include <stdio.h>
#include <string.h>
#include "dnslist.h"
#include "dnspkt.h"
#include "resolver.h"
#include "tap.h"

static unsigned char pkt[1024];
static size_t plen;

static void
put(const void *b, size_t n)
{
	memcpy(pkt + plen, b, n);
	plen += n;
}

static void
put16(unsigned int v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	put(b, 2);
}

/* dotted name in wire form */
static void
putname(const char *s)
{
	const char *dot;
	unsigned char l;

	while (*s != '\0') {
		dot = strchr(s, '.');
		l = (unsigned char)(dot ? (size_t)(dot - s) : strlen(s));
		put(&l, 1);
		put(s, l);
		s += l + (dot != NULL);
	}
	put("", 1);
}

/* header with rcode, one question, an answers */
static void
header(int rcode, unsigned int an)
{
	plen = 0;
	put16(0x1234);
	put16(0x8180 | (unsigned int)rcode);
	put16(1);
	put16(an);
	put16(0);
	put16(0);
	putname("2.0.0.127.bl.test");
	put16(DNSPKT_T_A);
	put16(1);
}

static void
rr(unsigned int type, const void *rd, size_t n)
{
	put16(0xc00c);		/* the question's name */
	put16(type);
	put16(1);
	put16(0);
	put16(60);
	put16((unsigned int)n);
	put(rd, n);
}

int
main(void)
{
	struct dnspkt d;
	struct dnspkt_rr r;
	struct dnslist_entry e;
	const char *err;
	char name[DNSPKT_NAME_MAX + 1], txt[64], rev[RESOLVER_REV_MAX];
	unsigned char a2[4] = { 127, 0, 0, 2 }, a10[4] = { 127, 0, 0, 10 };
	unsigned char a12[4] = { 127, 0, 0, 12 }, ref[4] = { 127, 255, 255, 254 };
	unsigned char other[4] = { 10, 0, 0, 2 };
	unsigned char ip[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	    192, 0, 2, 10 };
	unsigned char ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0x25 };
	size_t cut, full;
	int bad;

	/* --- a good answer: two A records --- */
	header(0, 2);
	rr(DNSPKT_T_A, a2, 4);
	rr(DNSPKT_T_A, a10, 4);
	ok(dnspkt_open(&d, pkt, plen) == 0, "an answer opens, rcode 0");
	ok(dnspkt_next(&d, &r) == 1 && r.type == DNSPKT_T_A && r.rdlen == 4 &&
	    memcmp(pkt + r.rdpos, a2, 4) == 0, "first A record");
	ok(dnspkt_next(&d, &r) == 1 && memcmp(pkt + r.rdpos, a10, 4) == 0,
	    "second A record");
	ok(dnspkt_next(&d, &r) == 0, "then the end");
	ok(dnspkt_name(&d, 12, name, sizeof(name)) == 17 &&
	    strcmp(name, "2.0.0.127.bl.test") == 0, "the question's name");
	ok(dnspkt_name(&d, plen - 16, name, sizeof(name)) == 17 &&
	    strcmp(name, "2.0.0.127.bl.test") == 0,
	    "a compressed name followed back");

	/* every truncation is malformed or fewer records, never a read
	 * past the end (ASan watches) */
	full = plen;
	bad = 0;
	for (cut = 0; cut < full; cut++) {
		int rc = dnspkt_open(&d, pkt, cut), n = 0, x;

		while (rc != -1 && (x = dnspkt_next(&d, &r)) == 1)
			n++;
		if (n == 2)
			bad = 1;
	}
	ok(!bad, "truncated packets never give both records");

	/* --- NXDOMAIN, SERVFAIL, not a response --- */
	header(3, 0);
	ok(dnspkt_open(&d, pkt, plen) == DNSPKT_RCODE_NXDOMAIN, "NXDOMAIN");
	header(2, 0);
	ok(dnspkt_open(&d, pkt, plen) == DNSPKT_RCODE_SERVFAIL, "SERVFAIL");
	pkt[2] &= 0x7f;
	ok(dnspkt_open(&d, pkt, plen) == -1, "a query is no answer");

	/* --- hostile names --- */
	header(0, 1);
	full = plen;
	put16(0xc000 | (unsigned int)full);	/* points at itself */
	put16(DNSPKT_T_A);
	put16(1);
	put16(0);
	put16(60);
	put16(4);
	put(a2, 4);
	ok(dnspkt_open(&d, pkt, plen) == 0 && dnspkt_next(&d, &r) == -1,
	    "a record whose owner name points at itself is malformed");
	ok(dnspkt_name(&d, full, name, sizeof(name)) == -1,
	    "a pointer to itself is refused, not followed for ever");
	pkt[full + 1] = (unsigned char)(full + 2);
	ok(dnspkt_name(&d, full, name, sizeof(name)) == -1,
	    "a forward pointer is refused");
	/* a loop between two names: 12 points to a later one, which
	 * points back */
	plen = 0;
	header(0, 0);
	pkt[12] = 0xc0;
	pkt[13] = 40;
	ok(dnspkt_name(&d, 12, name, sizeof(name)) == -1,
	    "a pointer forward from the first name is refused");
	/* a name of 128 one-byte labels: 256 bytes of wire, too long */
	plen = 0;
	header(0, 0);
	full = plen;
	{
		int i;

		for (i = 0; i < 128; i++)
			put("\001a", 2);
		put("", 1);
	}
	(void)dnspkt_open(&d, pkt, plen);
	ok(dnspkt_name(&d, full, name, sizeof(name)) == -1,
	    "a name over 255 bytes is refused");
	header(0, 0);
	full = plen;
	put("\003a.b\000", 5);
	(void)dnspkt_open(&d, pkt, plen);
	ok(dnspkt_name(&d, full, name, sizeof(name)) == -1,
	    "a dot inside a label is refused");
	header(0, 0);
	full = plen;
	put("\003ABC\000", 5);
	(void)dnspkt_open(&d, pkt, plen);
	ok(dnspkt_name(&d, full, name, sizeof(name)) == 3 &&
	    strcmp(name, "abc") == 0, "a name comes out in lower case");
	header(0, 0);
	full = plen;
	put("\100", 1);	/* a reserved label type */
	(void)dnspkt_open(&d, pkt, plen);
	ok(dnspkt_name(&d, full, name, sizeof(name)) == -1,
	    "a reserved label type is refused");

	/* --- counts past the end, rdata past the end --- */
	header(0, 3);
	rr(DNSPKT_T_A, a2, 4);
	(void)dnspkt_open(&d, pkt, plen);
	ok(dnspkt_next(&d, &r) == 1 && dnspkt_next(&d, &r) == -1,
	    "an answer count past the records is malformed");
	header(0, 1);
	rr(DNSPKT_T_A, a2, 4);
	pkt[plen - 5] = 200;	/* rdlength */
	(void)dnspkt_open(&d, pkt, plen);
	ok(dnspkt_next(&d, &r) == -1, "rdata past the end is malformed");

	/* --- TXT: strings of one record joined, cut, bounded --- */
	header(0, 2);
	rr(DNSPKT_T_TXT, "\005hello\006 world", 13);
	rr(DNSPKT_T_TXT, "\003two", 4);
	(void)dnspkt_open(&d, pkt, plen);
	ok(dnspkt_next(&d, &r) == 1 && dnspkt_txt(&d, &r, txt,
	    sizeof(txt)) == 11 && strcmp(txt, "hello world") == 0,
	    "a TXT record's strings joined");
	ok(dnspkt_next(&d, &r) == 1 && dnspkt_txt(&d, &r, txt,
	    sizeof(txt)) == 3 && strcmp(txt, "two") == 0,
	    "the next record on its own, not joined to the first");
	(void)dnspkt_open(&d, pkt, plen);
	(void)dnspkt_next(&d, &r);
	ok(dnspkt_txt(&d, &r, txt, 4) == 3 && strcmp(txt, "hel") == 0,
	    "TXT cut to the room given");
	header(0, 1);
	rr(DNSPKT_T_TXT, "\011abc", 4);
	(void)dnspkt_open(&d, pkt, plen);
	ok(dnspkt_next(&d, &r) == 1 && dnspkt_txt(&d, &r, txt,
	    sizeof(txt)) == -1, "a TXT string past its record is refused");

	/* --- dnsbl entries --- */
	ok(dnslist_parse("bl.test", 7, &e, &err) == 0 &&
	    strcmp(e.zone, "bl.test") == 0 && e.weight == 1 &&
	    e.filter == NULL, "a zone alone: weight 1, any 127 answer");
	ok(dnslist_match(&e, a2) && dnslist_match(&e, a12) &&
	    !dnslist_match(&e, other) && !dnslist_match(&e, ref),
	    "the default filter: 127/8 but 127.255.255/24");
	ok(dnslist_refusal(ref) && !dnslist_refusal(a2),
	    "127.255.255.254 is the refusal code");
#define P(s)	dnslist_parse(s, strlen(s), &e, &err)
	ok(P("bl.test=127.0.0.[2..11]*3") == 0 && e.weight == 3 &&
	    dnslist_match(&e, a2) && dnslist_match(&e, a10) &&
	    !dnslist_match(&e, a12), "a range filter and a weight");
	ok(P("bl.test=127.0.0.[2;12]") == 0 && dnslist_match(&e, a2) &&
	    dnslist_match(&e, a12) && !dnslist_match(&e, a10),
	    "a list filter");
	ok(P("bl.test=127.0.0.[4..6;10]") == 0 && dnslist_match(&e, a10) &&
	    !dnslist_match(&e, a2), "a range and a number in one octet");
	ok(P("wl.test=127.0.[0..15].0*-5") == 0 && e.weight == -5,
	    "a negative weight: an allowlist");
	ok(P("bl.test=127.0.0.2") == 0 && dnslist_match(&e, a2) &&
	    !dnslist_match(&e, a10), "a single answer");
	ok(P("") == -1, "an empty entry is refused");
	ok(P(".bl.test") == -1 && P("bl..test") == -1 && P("bl.test.") == -1,
	    "empty labels are refused");
	ok(P("bl.test=127.0.0") == -1, "three octets are refused");
	ok(P("bl.test=127.0.0.256") == -1, "an octet over 255 is refused");
	ok(P("bl.test=127.0.0.[11..2]") == -1, "a backward range is refused");
	ok(P("bl.test=127.0.0.[2") == -1, "an open bracket is refused");
	ok(P("bl.test*0") == -1 && P("bl.test*101") == -1 &&
	    P("bl.test*-101") == -1 && P("bl.test*") == -1,
	    "weights 0, over 100, empty are refused");
	ok(P("bl.test*2x") == -1 && P("bl test") == -1,
	    "trailing text is refused");
	ok(P("b/l.test") == -1, "a zone with a slash is refused: %s",
	    show("b/l.test", 8));

	/* --- reversed addresses --- */
	resolver_rev(ip, 1, rev);
	ok(strcmp(rev, "10.2.0.192") == 0, "IPv4 reversed: %s", rev);
	resolver_rev(ip6, 0, rev);
	ok(strcmp(rev, "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "8.b.d.0.1.0.0.2") == 0, "IPv6 in nibbles: %s", rev);
	return done();
}
