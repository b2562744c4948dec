/*
 * dnslist.c: entries of the dnsbl list (see dnslist.h).
 * Input: a list entry from the rules source or database, any bytes.
 * Failure: -1 with a message; nothing is guessed.
 */
#include <string.h>
#include "dnslist.h"

#define OCTETS	4

static int
zone_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* A decimal number 0..max at *i, no sign; -1 if none or too big. */
static long
number(const char *s, size_t len, size_t *i, long max)
{
	long v = 0;
	size_t start = *i;

	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		v = v * 10 + (s[*i] - '0');
		if (v > max)
			return -1;
		(*i)++;
	}
	return *i == start ? -1 : v;
}

/* One octet of a filter at *i: does it match b?  -1 on bad syntax,
 * else 0 or 1. */
static int
octet(const char *s, size_t len, size_t *i, unsigned char b)
{
	long lo, hi;
	int hit = 0;

	if (*i < len && s[*i] != '[') {
		if ((lo = number(s, len, i, 255)) == -1)
			return -1;
		return lo == b;
	}
	if (*i >= len)
		return -1;
	(*i)++;
	for (;;) {
		if ((lo = number(s, len, i, 255)) == -1)
			return -1;
		hi = lo;
		if (len - *i >= 2 && s[*i] == '.' && s[*i + 1] == '.') {
			*i += 2;
			if ((hi = number(s, len, i, 255)) == -1 || hi < lo)
				return -1;
		}
		if (b >= lo && b <= hi)
			hit = 1;
		if (*i < len && s[*i] == ';') {
			(*i)++;
			continue;
		}
		if (*i < len && s[*i] == ']') {
			(*i)++;
			return hit;
		}
		return -1;
	}
}

/* The whole filter against a: -1 on bad syntax, else 0 or 1. */
static int
filter(const char *s, size_t len, const unsigned char a[4])
{
	size_t i = 0;
	int k, r, all = 1;

	for (k = 0; k < OCTETS; k++) {
		if (k > 0) {
			if (i >= len || s[i] != '.')
				return -1;
			i++;
		}
		if ((r = octet(s, len, &i, a[k])) == -1)
			return -1;
		if (r == 0)
			all = 0;
	}
	return i == len ? all : -1;
}

int
dnslist_parse(const char *s, size_t len, struct dnslist_entry *e,
    const char **err)
{
	static const unsigned char any[4];
	size_t i = 0, z;
	long w;
	int neg = 0;

	while (i < len && zone_char((unsigned char)s[i]))
		i++;
	z = i;
	if (z == 0 || s[0] == '.' || s[z - 1] == '.' ||
	    memmem(s, z, "..", 2) != NULL) {
		*err = "the zone must be a domain name (ZONE[=FILTER][*WEIGHT])";
		return -1;
	}
	if (z > DNSLIST_ZONE_MAX) {
		*err = "zone name too long";
		return -1;
	}
	memcpy(e->zone, s, z);
	e->zone[z] = '\0';
	e->filter = NULL;
	e->flen = 0;
	e->weight = 1;
	e->weighted = 0;
	if (i < len && s[i] == '=') {
		size_t f = ++i;

		while (i < len && s[i] != '*')
			i++;
		e->filter = s + f;
		e->flen = i - f;
		if (filter(e->filter, e->flen, any) == -1) {
			*err = "bad answer filter (127.0.0.2, 127.0.0.[2..11], "
			    "127.0.0.[2;4;10..12])";
			return -1;
		}
	}
	if (i < len && s[i] == '*') {
		i++;
		if (i < len && s[i] == '-') {
			neg = 1;
			i++;
		}
		if ((w = number(s, len, &i, DNSLIST_WEIGHT_MAX)) == -1 ||
		    w == 0) {
			*err = "the weight must be -100 to 100, not 0";
			return -1;
		}
		e->weight = neg ? -(int)w : (int)w;
		e->weighted = 1;
	}
	if (i != len) {
		*err = "trailing text after the entry (ZONE[=FILTER][*WEIGHT])";
		return -1;
	}
	return 0;
}

int
dnslist_refusal(const unsigned char a[4])
{
	return a[0] == 127 && a[1] == 255 && a[2] == 255;
}

int
dnslist_match(const struct dnslist_entry *e, const unsigned char a[4])
{
	if (dnslist_refusal(a))
		return 0;
	if (e->filter == NULL)
		return a[0] == 127;
	return filter(e->filter, e->flen, a) == 1;
}
