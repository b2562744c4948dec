/*
 * match.c: domain, address and network lookups in rules lists (see
 * match.h).  Inputs are bounded by the callers (HELO_MAX, ADDR_MAX); keys
 * are built in fixed buffers; nothing is allocated.  A database error is
 * passed up as -1, never taken for "not found".
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "match.h"
#include "rules.h"

#define LENS_MAX	256	/* text of "n:LIST" */
#define IP6_LENS	129	/* prefix lengths 0 to 128 */

int
match_domain(struct rules *r, const char *list, const char *d, size_t n,
    char *where, size_t wl)
{
	size_t i;
	int rc;

	if (n > 0 && d[n - 1] == '.')	/* "example.com." is example.com */
		n--;
	if (n == 0)
		return 0;
	/*
	 * No database: one rules_list() (it clears where, finds nothing),
	 * not one per key; every check asks at every connection.
	 */
	if (rules_empty(r))
		return rules_list(r, list, d, n, where, wl);
	if ((rc = rules_list(r, list, d, n, where, wl)) != 0)
		return rc;
	/* ".b.example.com", ".example.com", ".com" */
	for (i = 1; i < n; i++)
		if (d[i] == '.' &&
		    (rc = rules_list(r, list, d + i, n - i, where, wl)) != 0)
			return rc;
	return 0;
}

int
match_addr(struct rules *r, const char *list, const char *a, size_t n,
    char *where, size_t wl)
{
	const char *at;
	int rc;

	if (n == 0)
		return 0;
	if (rules_empty(r))
		return rules_list(r, list, a, n, where, wl);
	if ((rc = rules_list(r, list, a, n, where, wl)) != 0)
		return rc;
	at = memrchr(a, '@', n);
	if (at == NULL)
		return 0;
	if ((rc = rules_list(r, list, at, n - (size_t)(at - a), where, wl)) != 0)
		return rc;
	return match_domain(r, list, at + 1, n - (size_t)(at - a) - 1, where,
	    wl);
}

int
match_ip_parse(const char *s, size_t n, unsigned char *ip, int *v4,
    unsigned int *len)
{
	char buf[MATCH_IPKEY_MAX];
	const char *slash;
	size_t an;
	unsigned long l;
	char *end;

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	slash = memchr(buf, '/', n);
	an = slash ? (size_t)(slash - buf) : n;
	buf[an] = '\0';
	memset(ip, 0, 16);
	if (inet_pton(AF_INET, buf, ip + 12) == 1) {
		ip[10] = ip[11] = 0xff;
		*v4 = 1;
		*len = 32;
	} else if (inet_pton(AF_INET6, buf, ip) == 1) {
		*v4 = 0;
		*len = 128;
	} else
		return -1;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		l = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || l > *len)
			return -1;
		*len = (unsigned int)l;
	}
	return 0;
}

/* v (at most 999) in decimal at p, no leading zeros; its length. */
static size_t
dec(char *p, unsigned int v)
{
	size_t n = 0;

	if (v >= 100)
		p[n++] = (char)('0' + v / 100);
	if (v >= 10)
		p[n++] = (char)('0' + v / 10 % 10);
	p[n++] = (char)('0' + v % 10);
	return n;
}

size_t
match_ip_key(const unsigned char *ip, int v4, unsigned int len, char *out,
    size_t outlen)
{
	unsigned char m[16];
	unsigned int bits = v4 ? len + 96 : len, i;
	char txt[INET6_ADDRSTRLEN];
	int k;

	for (i = 0; i < 16; i++) {
		if (bits >= 8) {
			m[i] = ip[i];
			bits -= 8;
		} else {
			m[i] = (unsigned char)(ip[i] & (0xff00 >> bits));
			bits = 0;
		}
	}
	if (v4) {
		/* as inet_ntop writes it, without its printf: every session
		 * looks its client up in the network lists */
		char *p = txt;

		for (i = 12; i < 16; i++) {
			p += dec(p, m[i]);
			*p++ = i < 15 ? '.' : '/';
		}
		p += dec(p, len);
		if ((size_t)(p - txt) >= outlen)
			return 0;
		memcpy(out, txt, (size_t)(p - txt));
		out[p - txt] = '\0';
		return (size_t)(p - txt);
	}
	inet_ntop(AF_INET6, m, txt, sizeof(txt));
	k = snprintf(out, outlen, "%s/%u", txt, len);
	if (k < 0 || (size_t)k >= outlen)
		return 0;
	return (size_t)k;
}

/*
 * The prefix lengths of one family in "n:LIST" ("v4:32,24 v6:64"), read
 * once into used[0..max], as far as the text has that form.
 */
static void
lens_read(const char *lens, int v4, unsigned char *used, unsigned int max)
{
	const char *p = strstr(lens, v4 ? "v4:" : "v6:");
	unsigned int l, d;

	memset(used, 0, max + 1);
	if (p == NULL)
		return;
	for (p += 3;; p++) {
		for (l = 0, d = 0; *p >= '0' && *p <= '9' && d < 4; p++, d++)
			l = l * 10 + (unsigned int)(*p - '0');
		if (d == 0 || d == 4)
			return;
		if (l <= max)
			used[l] = 1;
		if (*p != ',')
			return;
	}
}

int
match_ip(struct rules *r, const char *list, const unsigned char *ip,
    char *where, size_t wl)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	char key[RULES_VALUE_MAX], lens[LENS_MAX];
	unsigned char used[IP6_LENS];
	int v4 = memcmp(ip, mapped, 12) == 0, rc, known;
	unsigned int len;
	size_t kn, ln;

	if (rules_empty(r))
		return 0;
	ln = strlen(list);
	if (ln + 2 > sizeof(key))
		return 0;
	memcpy(key, "n:", 2);
	memcpy(key + 2, list, ln);
	rc = rules_get(r, key, ln + 2, lens, sizeof(lens));
	if (rc == -1)
		return -1;
	known = (rc == 1);
	if (!known) {
		/* no "n:LIST": an empty list, unless its lengths did not fit */
		key[0] = 'c';
		rc = rules_get(r, key, ln + 2, lens, sizeof(lens));
		if (rc != 1)
			return rc;
	}
	if (known)
		lens_read(lens, v4, used, v4 ? 32 : 128);
	for (len = v4 ? 32 : 128;; len--) {
		if (!known || used[len]) {
			kn = match_ip_key(ip, v4, len, key, sizeof(key));
			if (kn > 0 &&
			    (rc = rules_list(r, list, key, kn, where, wl)) != 0)
				return rc;
		}
		if (len == 0)
			break;
	}
	return 0;
}
