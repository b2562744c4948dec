/*
 * header.c: the header section read as it streams past (see header.h).
 * Input: the client's message, any bytes, any piece sizes.  A state
 * machine one byte at a time; nothing grows with the input.
 * UTF-8 is checked as RFC 3629 has it: C2-DF one continuation byte,
 * E0-EF two, F0-F4 three, continuations 80-BF, with the narrower second
 * bytes after E0 (A0-BF, no overlong form), ED (80-9F, no surrogate),
 * F0 (90-BF) and F4 (80-8F, nothing past U+10FFFF).
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "header.h"

void
header_init(struct header_section *h)
{
	memset(h, 0, offsetof(struct header_section, from_value));
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
	if (h->nlen == 4 && strncasecmp(h->name, "from", 4) == 0 &&
	    h->from++ == 0)
		h->in_from = 1;
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
			if (b == ' ' || b == '\t') {
				/* a folded line */
				if (h->in_from && h->from_len < HEADER_FROM_MAX)
					h->from_value[h->from_len++] = ' ';
				continue;
			}
			h->in_from = 0;
			h->inname = 1;
			h->nlen = 0;
		}
		if (!h->inname) {
			if (h->in_from && b != '\r' &&
			    h->from_len < HEADER_FROM_MAX)
				h->from_value[h->from_len++] = (char)b;
			continue;
		}
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

/*
 * The domain of the From: field's one address, lower case, into
 * from_domain; from_addrs the addresses seen (commas outside quotes,
 * comments and angle brackets, plus one).  Comments and quoted strings
 * are skipped; the address is inside <...> when there is one.
 */
static void
from_domain(struct header_section *h)
{
	char addr[HEADER_FROM_MAX + 1];
	const char *v = h->from_value, *at, *e;
	size_t i, n = 0, an = 0;
	int depth = 0, quote = 0, angle = 0, seen_angle = 0;

	h->from_domain[0] = '\0';
	h->from_addrs = 0;
	for (i = 0; i < h->from_len; i++) {
		char c = v[i];

		if (quote) {
			if (c == '\\' && i + 1 < h->from_len)
				i++;
			else if (c == '"')
				quote = 0;
			continue;
		}
		if (depth > 0) {
			if (c == '\\' && i + 1 < h->from_len)
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		}
		if (c == '"') {
			quote = 1;
			continue;
		}
		if (c == '(') {
			depth = 1;
			continue;
		}
		if (c == '<') {
			angle = 1;
			if (!seen_angle)
				an = 0;	/* the address is what is inside */
			seen_angle = 1;
			continue;
		}
		if (c == '>') {
			angle = 0;
			continue;
		}
		if (c == ',' && !angle) {
			h->from_addrs++;
			continue;
		}
		if (c == ' ' || c == '\t')
			continue;
		if (!seen_angle || angle)
			addr[an++] = c;
		n++;
	}
	if (n > 0)
		h->from_addrs++;
	addr[an] = '\0';
	if (h->from_addrs != 1 || (at = strrchr(addr, '@')) == NULL)
		return;
	for (e = at + 1, i = 0; *e != '\0' && i < HEADER_DOMAIN_MAX; e++) {
		char c = *e;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.')) {
			h->from_domain[0] = '\0';
			return;		/* not a domain name we look up */
		}
		h->from_domain[i++] = c;
	}
	while (i > 0 && h->from_domain[i - 1] == '.')
		i--;
	h->from_domain[i] = '\0';
}

void
header_end(struct header_section *h)
{
	from_domain(h);
	if (h->utf8_need > 0)
		h->bad8bit = 1;
	h->utf8_need = 0;
}
