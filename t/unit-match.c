/*
 * t/unit-match.c: unit tests of list matching (match.c) against a rules
 * database written here with libowfat's cdb_make in the layout of rules.h:
 * domains and their suffixes, addresses, "@domain", networks of every
 * length in IPv4 and IPv6, the "n:LIST" length hint, and a damaged
 * database whose lookups fail (-1, never "not found").  Prints TAP.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cdb_make.h>
#include "match.h"
#include "rules.h"

static unsigned int ntests, nfailed;

static void
ok(int cond, const char *desc)
{
	ntests++;
	if (!cond)
		nfailed++;
	printf("%sok %u - %s\n", cond ? "" : "not ", ntests, desc);
}

static void
add(struct cdb_make *m, const char *k, const char *v)
{
	if (cdb_make_add(m, (const unsigned char *)k, strlen(k),
	    (const unsigned char *)v, strlen(v)) == -1)
		exit(111);
}

static struct rules *
build(const char *path, int hint)
{
	struct cdb_make m;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || cdb_make_start(&m, fd) == -1)
		exit(111);
	add(&m, "v", RULES_VERSION);
	add(&m, "l:d:example.com", "f:1");
	add(&m, "l:d:.sub.example.org", "f:2");
	add(&m, "l:a:user@example.net", "f:3");
	add(&m, "l:a:@spam.example", "f:4");
	add(&m, "l:a:.bad.example", "f:5");
	add(&m, "l:n:192.0.2.0/24", "f:6");
	add(&m, "l:n:198.51.100.7/32", "f:7");
	add(&m, "l:n:2001:db8::/32", "f:8");
	add(&m, "l:n:0.0.0.0/0", "f:9");
	add(&m, "l:m:2001:db8:1::5/128", "f:10");
	add(&m, "c:n", "5");
	add(&m, "c:m", "1");
	add(&m, "l:e:192.0.2.1/32", "f:11");	/* no c:e, no n:e */
	if (hint)
		add(&m, "n:n", "v4:32,24,0 v6:32");
	if (cdb_make_finish(&m) == -1 || close(fd) == -1)
		exit(111);
	/* cdb_make keeps its hash lists and table until told otherwise */
	while (m.head != NULL) {
		struct cdb_hplist *next = m.head->next;

		free(m.head);
		m.head = next;
	}
	free(m.split);
	return rules_open(path);
}

static int
ip(const char *txt, unsigned char *b)
{
	memset(b, 0, 16);
	if (inet_pton(AF_INET, txt, b + 12) == 1) {
		b[10] = b[11] = 0xff;
		return 0;
	}
	return inet_pton(AF_INET6, txt, b) == 1 ? 0 : -1;
}

static void
suite(struct rules *r, const char *tag)
{
	unsigned char b[16];
	char w[64], d[128];

#define T(c, s) do { snprintf(d, sizeof(d), "%s: %s", tag, s); ok(c, d); } while (0)
	T(match_domain(r, "d", "example.com", 11, w, sizeof(w)) == 1 &&
	    strcmp(w, "f:1") == 0, "exact domain, where");
	T(match_domain(r, "d", "EXAMPLE.com.", 12, w, sizeof(w)) == 1,
	    "case and trailing dot");
	T(match_domain(r, "d", "a.example.com", 13, w, sizeof(w)) == 0,
	    "exact entry does not match below it");
	T(match_domain(r, "d", "x.y.sub.example.org", 19, w, sizeof(w)) == 1,
	    "suffix entry matches below");
	T(match_domain(r, "d", "sub.example.org", 15, w, sizeof(w)) == 0,
	    "suffix entry does not match the name itself");
	T(match_domain(r, "d", "", 0, w, sizeof(w)) == 0, "empty domain");
	T(match_addr(r, "a", "user@example.net", 16, w, sizeof(w)) == 1,
	    "exact address");
	T(match_addr(r, "a", "other@example.net", 17, w, sizeof(w)) == 0,
	    "other user");
	T(match_addr(r, "a", "x@spam.example", 14, w, sizeof(w)) == 1 &&
	    strcmp(w, "f:4") == 0, "@domain");
	T(match_addr(r, "a", "x@a.bad.example", 15, w, sizeof(w)) == 1,
	    "domain suffix of an address");
	T(match_addr(r, "a", "", 0, w, sizeof(w)) == 0, "null sender");
	ip("192.0.2.77", b);
	T(match_ip(r, "n", b, w, sizeof(w)) == 1 && strcmp(w, "f:6") == 0,
	    "IPv4 in a /24");
	ip("198.51.100.7", b);
	T(match_ip(r, "n", b, w, sizeof(w)) == 1 && strcmp(w, "f:7") == 0,
	    "IPv4 host before the /0");
	ip("203.0.113.1", b);
	T(match_ip(r, "n", b, w, sizeof(w)) == 1 && strcmp(w, "f:9") == 0,
	    "IPv4 default /0");
	ip("2001:db8:ffff::1", b);
	T(match_ip(r, "n", b, w, sizeof(w)) == 1 && strcmp(w, "f:8") == 0,
	    "IPv6 in a /32");
	ip("2001:db9::1", b);
	T(match_ip(r, "n", b, w, sizeof(w)) == 0, "IPv6 outside");
	ip("2001:db8:1::5", b);
	T(match_ip(r, "m", b, w, sizeof(w)) == 1, "IPv6 /128, no hint");
	ip("192.0.2.1", b);
	T(match_ip(r, "e", b, w, sizeof(w)) == 0,
	    "a list without c: and n: keys is empty");
#undef T
}

int
main(void)
{
	unsigned char b[16];
	char key[MATCH_IPKEY_MAX], path[] = "/tmp/unit-match.XXXXXX";
	unsigned int len;
	struct rules *r;
	int v4, fd;

	ok(match_ip_parse("192.0.2.1/24", 12, b, &v4, &len) == 0 && v4 &&
	    len == 24, "parse IPv4 network");
	ok(match_ip_parse("2001:db8::/33", 13, b, &v4, &len) == 0 && !v4 &&
	    len == 33, "parse IPv6 network");
	ok(match_ip_parse("192.0.2.1/33", 12, b, &v4, &len) == -1,
	    "IPv4 length over 32");
	ok(match_ip_parse("192.0.2", 7, b, &v4, &len) == -1, "not an address");
	ok(match_ip_parse("1.2.3.4/", 8, b, &v4, &len) == -1, "empty length");
	match_ip_parse("192.0.2.200", 11, b, &v4, &len);
	ok(match_ip_key(b, 1, 25, key, sizeof(key)) > 0 &&
	    strcmp(key, "192.0.2.128/25") == 0, "key masks host bits");
	match_ip_parse("2001:db8:abcd::1", 16, b, &v4, &len);
	ok(match_ip_key(b, 0, 20, key, sizeof(key)) > 0 &&
	    strcmp(key, "2001::/20") == 0, "IPv6 key masks host bits");

	if ((fd = mkstemp(path)) == -1)
		return 111;
	close(fd);
	if ((r = build(path, 0)) == NULL)
		return 111;
	suite(r, "no length hint");
	rules_close(r);
	if ((r = build(path, 1)) == NULL)
		return 111;
	suite(r, "with n: hint");
	rules_close(r);

	/*
	 * Damage: every hash table slot but the one of "v" (the first record,
	 * at 2048) points past the end of the file, so an existing key is
	 * found by its hash and then cannot be read.
	 */
	if ((r = build(path, 0)) == NULL)
		return 111;
	rules_close(r);
	{
		static unsigned char f[65536];
		ssize_t n;
		size_t i, t, tpos, tlen;
		unsigned long p;

		fd = open(path, O_RDWR);
		n = read(fd, f, sizeof(f));
		if (n < 2048)
			return 111;
		for (t = 0; t < 256; t++) {
			tpos = f[t * 8] | f[t * 8 + 1] << 8 |
			    f[t * 8 + 2] << 16 | (size_t)f[t * 8 + 3] << 24;
			tlen = f[t * 8 + 4] | f[t * 8 + 5] << 8 |
			    f[t * 8 + 6] << 16 | (size_t)f[t * 8 + 7] << 24;
			for (i = 0; i < tlen && tpos + i * 8 + 8 <= (size_t)n;
			    i++) {
				unsigned char *e = f + tpos + i * 8 + 4;

				p = e[0] | e[1] << 8 | e[2] << 16 |
				    (unsigned long)e[3] << 24;
				if (p != 0 && p != 2048) {
					e[0] = 0;
					e[1] = 0;
					e[2] = 0;
					e[3] = 0x7f;
				}
			}
		}
		lseek(fd, 0, SEEK_SET);
		if (write(fd, f, (size_t)n) != n)
			return 111;
		close(fd);
	}
	r = rules_open(path);
	ok(r != NULL, "damaged database still opens (its v record reads)");
	if (r != NULL) {
		match_ip_parse("192.0.2.1", 9, b, &v4, &len);
		ok(match_domain(r, "d", "example.com", 11, NULL, 0) == -1,
		    "damaged: domain lookup is an error");
		ok(match_ip(r, "n", b, NULL, 0) == -1,
		    "damaged: network lookup is an error");
		rules_close(r);
	}
	unlink(path);
	printf("1..%u\n", ntests);
	return nfailed != 0;
}
