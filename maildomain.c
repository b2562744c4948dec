/*
 * maildomain.c: does a domain take mail (see maildomain.h)?
 * Input: an address from the client, its domain after the last '@',
 * bounded by DNSPKT_NAME_MAX; the answers through resolver.c and
 * dnspkt.c, read bounded.  Nothing here replies, logs or waits.
 */
#include <stdio.h>
#include <string.h>

#include "maildomain.h"
#include "resolver.h"

int
maildomain_ask(struct maildomain *md, const char *addr, int need)
{
	const char *at = strrchr(addr, '@');
	size_t n;

	md->asked = 0;
	if (at == NULL || at[1] == '\0' || at[1] == '[')
		return -1;
	n = strlen(at + 1);
	if (n > DNSPKT_NAME_MAX)
		return -1;
	memcpy(md->domain, at + 1, n + 1);
	if (n > 0 && md->domain[n - 1] == '.')
		md->domain[n - 1] = '\0';
	md->mx = resolver_ask(DNSPKT_T_MX, md->domain, need, NULL, NULL);
	md->a = resolver_ask(DNSPKT_T_A, md->domain, need, NULL, NULL);
	md->aaaa = resolver_ask(DNSPKT_T_AAAA, md->domain, need, NULL, NULL);
	md->asked = 1;
	return 0;
}

/* One MX, preference 0, the root as its host. */
static int
null_mx(int q)
{
	struct dnspkt d;
	struct dnspkt_rr rr;
	const unsigned char *p;
	char host[DNSPKT_NAME_MAX + 1];
	size_t len;
	int n = 0, null = 0;

	if ((p = resolver_packet(q, &len)) == NULL ||
	    dnspkt_open(&d, p, len) == -1)
		return 0;
	while (dnspkt_next(&d, &rr) == 1) {
		if (rr.type != DNSPKT_T_MX || rr.rdlen < 3)
			continue;
		n++;
		if (p[rr.rdpos] == 0 && p[rr.rdpos + 1] == 0 &&
		    dnspkt_name(&d, rr.rdpos + 2, host, sizeof(host)) == 0)
			null = 1;
	}
	return n == 1 && null;
}

enum maildomain_verdict
maildomain_judge(const struct maildomain *md, char *why, size_t size)
{
	enum resolver_status mx, a, aaaa;
	int q;

	mx = resolver_status(md->mx);
	a = resolver_status(md->a);
	aaaa = resolver_status(md->aaaa);
	if (mx == RESOLVER_FOUND) {
		if (!null_mx(md->mx))
			return MAILDOMAIN_OK;
		(void)snprintf(why, size, "%s has a null MX", md->domain);
		return MAILDOMAIN_NULLMX;
	}
	if (a == RESOLVER_FOUND || aaaa == RESOLVER_FOUND)
		return MAILDOMAIN_OK;
	if (mx == RESOLVER_NONE && a == RESOLVER_NONE &&
	    aaaa == RESOLVER_NONE) {
		(void)snprintf(why, size, "%s: %s", md->domain,
		    strcmp(resolver_why(md->mx), "nxdomain") == 0 ?
		    "no such domain" : "no MX and no address");
		return MAILDOMAIN_NONE;
	}
	q = mx == RESOLVER_FAIL ? md->mx : a == RESOLVER_FAIL ? md->a :
	    md->aaaa;
	(void)snprintf(why, size, "%s %s: %s", q == md->mx ? "MX" :
	    q == md->a ? "A" : "AAAA", md->domain, resolver_why(q));
	return MAILDOMAIN_FAIL;
}
