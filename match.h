/*
 * match.h: list lookups in the rules database, from the most specific
 * key to the least, the way tcprules and qmail's rcpthosts do it.
 *
 *   domains    "example.com" matches that name; ".example.com" matches
 *              every name below it (not the name itself)
 *   addresses  "user@example.com", then "@example.com" (any user there),
 *              then the domain part as a domain entry
 *   networks   "192.0.2.7", "192.0.2.0/24", "2001:db8::/32"; stored by
 *              smtpfront-cdb as the masked network "/len", always with
 *              the length; "n:LIST" lists the lengths in use
 *
 * Each returns 1 (found, with "file:line" in where), 0, or -1 on a
 * database error.
 */
#ifndef MATCH_H
#define MATCH_H

#include <stddef.h>

struct rules;

#define MATCH_IPKEY_MAX	64	/* "ffff:...:ffff/128" */

int	match_domain(struct rules *, const char *, const char *, size_t,
	    char *, size_t);
int	match_addr(struct rules *, const char *, const char *, size_t,
	    char *, size_t);
int	match_ip(struct rules *, const char *, const unsigned char *,
	    char *, size_t);

/*
 * Parse "ADDR" or "ADDR/LEN" (IPv4 or IPv6) into a 16-byte address
 * (IPv4 as v4-mapped), the address family and the prefix length
 * (32 or 128 when absent).  0, or -1 when malformed.
 */
int	match_ip_parse(const char *, size_t, unsigned char *, int *,
	    unsigned int *);
/* The key text of ip masked to len bits: "192.0.2.0/24". */
size_t	match_ip_key(const unsigned char *, int, unsigned int, char *,
	    size_t);

#endif
