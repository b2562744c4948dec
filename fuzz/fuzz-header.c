/*
 * fuzz/fuzz-header.c: libFuzzer target for header.c, the header section
 * read as it streams past.
 *
 * Input layout: byte 0 gives the number of cuts (0-7), the next bytes
 * the cut positions (as fractions of the rest), the rest is the message
 * as the checks get it.  Invariants: fed in pieces it gives exactly
 * what fed whole gives (size, done, fields, From: count, 8-bit flags);
 * the bytes taken as header never exceed what was fed, and once done
 * nothing more is taken; the size is the header bytes taken; a From:
 * count never exceeds the fields; bad 8-bit implies 8-bit; an input of
 * ASCII only has neither; the flags match a reference UTF-8 check done
 * on the header part at once.  A broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "header.h"

#define CUTS_MAX	8
#define FRACTION	256

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int cond)
{
	if (!cond)
		abort();
}

/* The reference: is b[0..n) valid UTF-8 (RFC 3629)? */
static int
utf8_ok(const uint8_t *b, size_t n)
{
	size_t i = 0, k, need;
	uint8_t lo, hi;

	while (i < n) {
		if (b[i] < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (b[i] >= 0xc2 && b[i] <= 0xdf)
			need = 1;
		else if (b[i] >= 0xe0 && b[i] <= 0xef) {
			need = 2;
			if (b[i] == 0xe0)
				lo = 0xa0;
			if (b[i] == 0xed)
				hi = 0x9f;
		} else if (b[i] >= 0xf0 && b[i] <= 0xf4) {
			need = 3;
			if (b[i] == 0xf0)
				lo = 0x90;
			if (b[i] == 0xf4)
				hi = 0x8f;
		} else
			return 0;
		for (k = 1; k <= need; k++) {
			if (i + k >= n)
				return 0;
			if (b[i + k] < (k == 1 ? lo : 0x80) ||
			    b[i + k] > (k == 1 ? hi : 0xbf))
				return 0;
		}
		i += need + 1;
	}
	return 1;
}

static size_t
feed_all(struct header_section *h, const uint8_t *d, size_t n,
    const size_t *cut, int ncut)
{
	size_t pos = 0, taken = 0, end, t;
	int i;

	header_init(h);
	for (i = 0; i <= ncut; i++) {
		end = i < ncut ? cut[i] : n;
		if (end < pos)
			end = pos;
		t = header_feed(h, (const char *)d + pos, end - pos);
		check(t <= end - pos);
		if (t < end - pos)
			check(h->done);
		taken += t;
		pos = end;
	}
	header_end(h);
	return taken;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct header_section whole, cut;
	size_t cuts[CUTS_MAX], n, tw, tc, i, ascii = 1;
	const uint8_t *d;
	int ncut, k;

	if (size < 1)
		return 0;
	ncut = data[0] % CUTS_MAX;
	if ((size_t)ncut + 1 > size)
		ncut = (int)size - 1;
	d = data + 1 + ncut;
	n = size - 1 - (size_t)ncut;
	for (k = 0; k < ncut; k++)
		cuts[k] = n * data[1 + k] / FRACTION;
	for (k = 1; k < ncut; k++)	/* in order */
		if (cuts[k] < cuts[k - 1])
			cuts[k] = cuts[k - 1];
	tw = feed_all(&whole, d, n, NULL, 0);
	tc = feed_all(&cut, d, n, cuts, ncut);
	check(tw == tc);
	check(tw <= n);
	check(whole.size == tw && cut.size == tc);
	check(whole.done == cut.done && whole.fields == cut.fields &&
	    whole.from == cut.from && whole.eightbit == cut.eightbit &&
	    whole.bad8bit == cut.bad8bit);
	check(whole.from <= whole.fields);
	/* the From: domain: the same whatever the pieces, a domain's bytes */
	check(whole.from_addrs == cut.from_addrs &&
	    strcmp(whole.from_domain, cut.from_domain) == 0);
	check(whole.from_len <= HEADER_FROM_MAX &&
	    strlen(whole.from_domain) <= HEADER_DOMAIN_MAX);
	for (i = 0; whole.from_domain[i] != '\0'; i++)
		check((whole.from_domain[i] >= 'a' && whole.from_domain[i] <=
		    'z') || (whole.from_domain[i] >= '0' &&
		    whole.from_domain[i] <= '9') || whole.from_domain[i] ==
		    '-' || whole.from_domain[i] == '.');
	check(whole.from_domain[0] == '\0' || whole.from_addrs == 1);
	check(!whole.bad8bit || whole.eightbit);
	check(!whole.done || tw < n || (tw == n && tw > 0));
	for (i = 0; i < tw; i++)
		if (d[i] >= 0x80)
			ascii = 0;
	check(ascii == !whole.eightbit);
	check(whole.bad8bit == !utf8_ok(d, tw));
	/* once done, nothing more */
	if (whole.done)
		check(header_feed(&whole, (const char *)d, n) == 0);
	return 0;
}
