/*
 * header.c: the header section read as it streams past (see header.h).
 * Input: the client's message, any bytes, any piece sizes.  A state
 * machine one byte at a time; nothing grows with the input.
 * UTF-8 is checked as RFC 3629 has it: C2-DF one continuation byte,
 * E0-EF two, F0-F4 three, continuations 80-BF, with the narrower second
 * bytes after E0 (A0-BF, no overlong form), ED (80-9F, no surrogate),
 * F0 (90-BF) and F4 (80-8F, nothing past U+10FFFF).
 */
#include <string.h>
#include <strings.h>

#include "header.h"

void
header_init(struct header_section *h)
{
	memset(h, 0, sizeof(*h));
	h->bol = 1;
	h->blank = 1;
}

static void
utf8(struct header_section *h, unsigned char b)
{
	if (h->utf8_need > 0) {
		if (b < h->utf8_lo || b > h->utf8_hi) {
			h->bad8bit = 1;
			h->utf8_need = 0;
			/* this byte starts afresh */
		} else {
			h->utf8_need--;
			h->utf8_lo = 0x80;
			h->utf8_hi = 0xbf;
			return;
		}
	}
	if (b < 0x80)
		return;
	h->eightbit = 1;
	h->utf8_lo = 0x80;
	h->utf8_hi = 0xbf;
	if (b >= 0xc2 && b <= 0xdf)
		h->utf8_need = 1;
	else if (b >= 0xe0 && b <= 0xef) {
		h->utf8_need = 2;
		if (b == 0xe0)
			h->utf8_lo = 0xa0;
		else if (b == 0xed)
			h->utf8_hi = 0x9f;
	} else if (b >= 0xf0 && b <= 0xf4) {
		h->utf8_need = 3;
		if (b == 0xf0)
			h->utf8_lo = 0x90;
		else if (b == 0xf4)
			h->utf8_hi = 0x8f;
	} else
		h->bad8bit = 1;
}

/* A field name ended with ':'. */
static void
field(struct header_section *h)
{
	h->fields++;
	if (h->nlen == 4 && strncasecmp(h->name, "from", 4) == 0)
		h->from++;
}

size_t
header_feed(struct header_section *h, const char *buf, size_t n)
{
	size_t i;
	unsigned char b;

	if (h->done)
		return 0;
	for (i = 0; i < n; i++) {
		b = (unsigned char)buf[i];
		h->size++;
		utf8(h, b);
		if (b == '\n') {
			/* an empty line (CRLF, or a bare LF) ends the section */
			if (h->blank) {
				h->done = 1;
				return i + 1;
			}
			h->blank = 1;
			h->bol = 1;
			h->inname = 0;
			continue;
		}
		if (b == '\r' && h->blank)
			continue;	/* maybe the empty line's CR */
		h->blank = 0;
		if (h->bol) {
			h->bol = 0;
			if (b == ' ' || b == '\t')
				continue;	/* a folded line */
			h->inname = 1;
			h->nlen = 0;
		}
		if (!h->inname)
			continue;
		if (b == ':') {
			h->inname = 0;
			field(h);
		} else if (h->nlen < sizeof(h->name))
			h->name[h->nlen++] = (char)b;
		else
			h->inname = 0;	/* too long: not a name */
	}
	return n;
}

void
header_end(struct header_section *h)
{
	if (h->utf8_need > 0)
		h->bad8bit = 1;
	h->utf8_need = 0;
}
