/*
 * dnslist.h: an entry of the dnsbl list, "ZONE[=FILTER][*WEIGHT]", read
 * the same way by the compiler (which refuses a bad one) and the check.
 *
 *   ZONE    the list's DNS zone, a domain name
 *   FILTER  which answers count, per octet of the A record: a number,
 *           or "[" numbers and ranges N..M separated by ";" "]"
 *           (127.0.0.[2..11], 127.0.[0;1].[2;4..6]); default: any
 *           answer in 127.0.0.0/8 other than 127.255.255.x
 *   WEIGHT  added to the client's score when the zone lists it, -100
 *           to 100, default 1; negative: an allowlist
 */
#ifndef DNSLIST_H
#define DNSLIST_H

#include <stddef.h>

#define DNSLIST_ZONE_MAX	190	/* leaves room for 64 reversed bytes */
#define DNSLIST_WEIGHT_MAX	100

struct dnslist_entry {
	char		 zone[DNSLIST_ZONE_MAX + 1];
	const char	*filter;	/* into the parsed text, NULL: default */
	size_t		 flen;
	int		 weight;
	int		 weighted;	/* the entry wrote a weight */
};

/* 0, or -1 with a message in *err; the text must outlive the entry. */
int	dnslist_parse(const char *, size_t, struct dnslist_entry *,
	    const char **);
/* Does the answer a.b.c.d count for this entry? */
int	dnslist_match(const struct dnslist_entry *, const unsigned char [4]);
/* 127.255.255.x: the list refuses our queries (an open resolver, over
 * quota), which is no listing */
int	dnslist_refusal(const unsigned char [4]);

#endif
