/*
 * dnspkt.h: reading DNS answer packets (RFC 1035 section 4), bounded.
 * The resolver hands the checks an answer as the server sent it; these
 * functions walk it without trusting a single length or pointer in it:
 * every read is checked against the packet's end, compressed names may
 * only point backwards (no loops), names longer than 255 bytes and
 * counts that run past the end are malformed.  Nothing allocates.
 */
#ifndef DNSPKT_H
#define DNSPKT_H

#include <stddef.h>

#define DNSPKT_NAME_MAX	255	/* a dotted name, RFC 1035 2.3.4 */
#define DNSPKT_T_A	1
#define DNSPKT_T_PTR	12
#define DNSPKT_T_MX	15
#define DNSPKT_T_TXT	16
#define DNSPKT_T_AAAA	28
#define DNSPKT_T_CNAME	5

#define DNSPKT_RCODE_OK		0
#define DNSPKT_RCODE_SERVFAIL	2
#define DNSPKT_RCODE_NXDOMAIN	3
#define DNSPKT_RCODE_REFUSED	5

struct dnspkt {
	const unsigned char	*p;
	size_t			 n;
	size_t			 pos;		/* next resource record */
	unsigned int		 left;		/* answer records left */
};

struct dnspkt_rr {
	unsigned int		 type;
	size_t			 rdpos;		/* rdata, as offset into p */
	size_t			 rdlen;
};

/*
 * Start on a packet: checks the header, skips the question section.
 * Returns the response code (0 to 15) or -1 for a malformed packet.
 */
int	dnspkt_open(struct dnspkt *, const unsigned char *, size_t);
/* The next answer record: 1, 0 at the end, -1 malformed. */
int	dnspkt_next(struct dnspkt *, struct dnspkt_rr *);
/*
 * The (possibly compressed) name at pos, dotted, lower case, without
 * the final dot ("" for the root), NUL-terminated in out (size at least
 * DNSPKT_NAME_MAX + 1).  Returns its length or -1 when malformed.
 */
int	dnspkt_name(const struct dnspkt *, size_t, char *, size_t);
/*
 * A TXT record's strings joined (one record: SPF wants them joined, but
 * never two records), cut to outlen - 1 bytes, NUL-terminated.  Returns
 * the length kept, or -1 when the strings run past the record.
 */
int	dnspkt_txt(const struct dnspkt *, const struct dnspkt_rr *, char *,
	    size_t);

#endif
