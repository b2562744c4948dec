/*
 * maildomain.h: does a domain take mail?  MX records, or without any an
 * A or AAAA record (RFC 5321 5.1, the implicit MX); a null MX (RFC 7505:
 * one MX of preference 0 and the root as its host) says it takes none.
 * The three queries go out at once (maildomain_ask) and are read when
 * the phase that wants them comes (maildomain_judge).  For the checks
 * sender_domain and rcpt_dns.
 */
#ifndef MAILDOMAIN_H
#define MAILDOMAIN_H

#include <stddef.h>
#include "dnspkt.h"

enum maildomain_verdict {
	MAILDOMAIN_OK,		/* MX, A or AAAA */
	MAILDOMAIN_NULLMX,	/* a null MX */
	MAILDOMAIN_NONE,	/* no such domain, or none of the three */
	MAILDOMAIN_FAIL		/* a lookup failed, nothing found */
};

struct maildomain {
	int	 asked;
	int	 mx, a, aaaa;
	char	 domain[DNSPKT_NAME_MAX + 1];
};

/* The domain of ADDRESS (not a literal, not empty), asked about for
 * phase NEED; 0 asked, -1 nothing to ask (md->asked stays 0). */
int	maildomain_ask(struct maildomain *, const char *, int);
/* The verdict, and what to say: the reason (NONE, NULLMX) or the failed
 * lookup ("MX example.org: timeout", FAIL). */
enum maildomain_verdict maildomain_judge(const struct maildomain *, char *,
	    size_t);

#endif
