/*
 * fuzz/fuzz-rules.c: libFuzzer target for the rules compiler's input.
 * The input is one rules source file, named "fuzz.rules"; the compiler
 * (cdb/smtpfront-cdb.c built with -DSMTPFRONT_CDB_FUZZ) reads it
 * in-process and writes the database to a memfd, which rules.c and
 * match.c then read the way smtpfront does.
 *
 * A bad source must give exit code 100 and one printable line
 * "smtpfront-cdb: fuzz.rules:N: message", and the lines before N must
 * compile.  A good source must give a database holding exactly what this
 * file expects from its own reading of the lines:
 *   s:NAME, o:s:NAME  each set, the value as setting_parse normalises
 *                     it; rules_config gives the built-in defaults with
 *                     those values applied, byte for byte;
 *   l:LIST:ENTRY      each list line, lower case, first line wins;
 *                     entries of network lists in match.c's key form
 *                     (match_ip_parse and match_ip_key, a parser of its
 *                     own), with no host bits set;
 *   c:LIST, n:LIST    the count of lines, the prefix lengths in use
 *                     (left out when longer than match.c reads);
 *   r:NAME            "CODE ESC TEXT", or "CODE TEXT" as written for the
 *                     replies without an enhanced code; valid for
 *                     reply_valid/reply_text_valid, of the default's class;
 *   and nothing else but "v", no key twice.
 * match_domain, match_addr and match_ip on probes made from the entries
 * must agree with a plain search of the expected entries, "file:line"
 * included.  Compiling again gives the same bytes; the -d output has no
 * unknown key, compiles, gives the same records (but the origins, and
 * counts without duplicates) and dumps to the same text.
 * A broken invariant prints its line number and aborts.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cdb.h>

#include "match.h"
#include "reply.h"
#include "rules.h"
#include "session.h"

#define SRC_NAME	"fuzz.rules"
#define DUMP_NAME	"dump.rules"
#define DB_NAME		"fuzz.cdb"
#define PROG_PREFIX	"smtpfront-cdb: "
#define EXIT_OK		0
#define EXIT_BAD	100
#define ERRBUF_MAX	4096
#define LINE_MAX_RULES	4096	/* longest source line */
#define KEY_MAX		512
#define VAL_MAX		(RULES_VALUE_MAX + 2)	/* shows a value too long */
#define WHERE_MAX	(RULE_MAX + 1)
#define LENS_VALUE_MAX	255	/* longest "n:LIST" value match.c reads */
#define LENS_TEXT_MAX	1024
#define IP4_BITS	32
#define IP6_BITS	128
#define MAPPED_BITS	96
#define IP_BYTES	16
#define PROBE_ENTRIES	8	/* entries per list that make probes */
#define PROBE_MAX	(RULES_ENTRY_MAX + 8)
#define NUM_TEXT_MAX	24

int	smtpfront_cdb_compile(FILE *, const char *, int, FILE *);
int	smtpfront_cdb_dump(int, const char *, FILE *, FILE *);
int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	check((c) != 0, __LINE__)

/* One list line as this file reads it. */
struct ent {
	size_t		 li;		/* index in list_table */
	char		 key[RULES_ENTRY_MAX + 1];
	size_t		 klen;
	unsigned long	 ln;		/* its line */
	unsigned long	 first;		/* first line with the same key */
	int		 net, v4;
	unsigned char	 ip[IP_BYTES];	/* networks: the address */
	unsigned int	 len;		/* and its length, IPv4 as 0..32 */
};

static const unsigned char mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static int		 db1 = -1, db2 = -1;
static char		 db1path[64], db2path[64];
static struct config	 cfg_default;
static struct ent	*ents;
static size_t		 nents, aents;
static size_t		 nlists;

static void
check(int ok, int line)
{
	if (!ok) {
		fprintf(stderr, "fuzz-rules: invariant at line %d broken\n",
		    line);
		abort();
	}
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
blank(int c)
{
	return c == ' ' || c == '\t';
}

static int
next_field(const char *s, size_t n, size_t *pos, const char **f, size_t *fl)
{
	size_t i = *pos;

	while (i < n && blank((unsigned char)s[i]))
		i++;
	if (i >= n)
		return 0;
	*f = s + i;
	while (i < n && !blank((unsigned char)s[i]))
		i++;
	*fl = (size_t)(s + i - *f);
	*pos = i;
	return 1;
}

static int
at_end(const char *s, size_t n, size_t pos)
{
	while (pos < n && blank((unsigned char)s[pos]))
		pos++;
	return pos == n;
}

static int
word_is(const char *f, size_t fl, const char *w)
{
	return fl == strlen(w) && memcmp(f, w, fl) == 0;
}

/*
 * Compile size bytes of data named name; the database goes to fd unless
 * it is -1.  The message, if any, is in err.  Returns the exit code.
 */
static int
compile(const char *data, size_t size, const char *name, int fd, char *err)
{
	FILE *in, *ef;
	int rc;

	if (fd != -1)
		CHECK(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	memset(err, 0, ERRBUF_MAX);
	in = fmemopen((void *)(uintptr_t)data, size, "r");
	ef = fmemopen(err, ERRBUF_MAX - 1, "w");
	CHECK(in != NULL && ef != NULL);
	rc = smtpfront_cdb_compile(in, name, fd, ef);
	fclose(in);
	fclose(ef);
	return rc;
}

/* -d of the database on fd; returns the text (malloc'ed) and its size. */
static char *
dump(int fd, size_t *len)
{
	char err[ERRBUF_MAX], *text = NULL;
	FILE *out, *ef;
	int rc;

	memset(err, 0, sizeof(err));
	out = open_memstream(&text, len);
	ef = fmemopen(err, sizeof(err) - 1, "w");
	CHECK(out != NULL && ef != NULL);
	rc = smtpfront_cdb_dump(fd, DB_NAME, out, ef);
	fclose(out);
	fclose(ef);
	if (rc != EXIT_OK)
		fprintf(stderr, "fuzz-rules: -d: %s", err);
	CHECK(rc == EXIT_OK && err[0] == '\0');
	return text;
}

/* The whole file on fd (malloc'ed; at least one byte allocated). */
static unsigned char *
slurp(int fd, size_t *len)
{
	struct stat st;
	unsigned char *p;

	CHECK(fstat(fd, &st) == 0 && st.st_size >= 0);
	*len = (size_t)st.st_size;
	p = malloc(*len + 1);
	CHECK(p != NULL);
	CHECK(pread(fd, p, *len, 0) == (ssize_t)*len);
	return p;
}

/* A bad source: the message names a line whose predecessors compile. */
static void
check_error(const char *data, size_t size, const char *err)
{
	char err2[ERRBUF_MAX];
	const char *p, *nl;
	unsigned long n = 0, lines;
	size_t i, off;
	int rc;

	/* warnings of renamed names may come before the error */
	while ((nl = strchr(err, '\n')) != NULL && strstr(err, ": warning: ")
	    != NULL && strstr(err, ": warning: ") < nl)
		err = nl + 1;
	CHECK(strncmp(err, PROG_PREFIX SRC_NAME ":",
	    strlen(PROG_PREFIX SRC_NAME ":")) == 0);
	p = err + strlen(PROG_PREFIX SRC_NAME ":");
	CHECK(*p >= '1' && *p <= '9');
	while (*p >= '0' && *p <= '9')
		n = n * 10 + (unsigned long)(*p++ - '0');
	CHECK(p[0] == ':' && p[1] == ' ' && p[2] != '\0');
	nl = strchr(err, '\n');
	CHECK(nl != NULL && nl[1] == '\0');
	for (p = err; p < nl; p++)
		CHECK((unsigned char)*p >= 32 && (unsigned char)*p <= 126);

	lines = 0;
	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			lines++;
	if (size > 0 && data[size - 1] != '\n')
		lines++;
	CHECK(n <= lines);
	for (off = 0, i = 1; i < n; i++) {
		nl = memchr(data + off, '\n', size - off);
		CHECK(nl != NULL);
		off = (size_t)(nl - data) + 1;
	}
	rc = compile(data, off, SRC_NAME, -1, err2);
	if (rc != EXIT_OK)
		fprintf(stderr, "fuzz-rules: the %lu lines before the bad "
		    "one: %s", n - 1, err2);
	CHECK(rc == EXIT_OK);
}

/* rules_get of key must give want exactly. */
static void
expect_value(struct rules *r, const char *key, const char *want)
{
	char val[VAL_MAX];

	CHECK(rules_get(r, key, strlen(key), val, sizeof(val)) == 1);
	CHECK(strcmp(val, want) == 0);
}

static void
expect_absent(struct rules *r, const char *key)
{
	char val[VAL_MAX];

	CHECK(rules_get(r, key, strlen(key), val, sizeof(val)) == 0);
}

static void
where_text(char *w, size_t wl, unsigned long ln)
{
	CHECK(snprintf(w, wl, "%s:%lu", SRC_NAME, ln) < (int)wl);
}

static void
line_set(struct rules *r, const char *line, size_t len, size_t pos,
    unsigned long ln, struct config *exp, int *seen, size_t *nsets)
{
	char key[KEY_MAX], norm[VAL_MAX], msg[ERRBUF_MAX], w[WHERE_MAX];
	const struct setting *s;
	const char *name, *val;
	size_t nl, vl, i;

	CHECK(next_field(line, len, &pos, &name, &nl));
	CHECK(next_field(line, len, &pos, &val, &vl));
	CHECK(at_end(line, len, pos));
	s = setting_find(name, nl);
	CHECK(s != NULL);
	i = (size_t)(s - setting_table);
	CHECK(!seen[i]);
	seen[i] = 1;
	CHECK(setting_parse(s, val, vl, exp, norm, sizeof(norm), msg,
	    sizeof(msg)) == 0);
	CHECK(snprintf(key, sizeof(key), "s:%s", s->name) < (int)sizeof(key));
	expect_value(r, key, norm);
	CHECK(snprintf(key, sizeof(key), "o:s:%s", s->name) <
	    (int)sizeof(key));
	where_text(w, sizeof(w), ln);
	expect_value(r, key, w);
	(*nsets)++;
}

/* No bit set after the first len bits of ip (from bit off). */
static int
host_bits_clear(const unsigned char *ip, unsigned int off, unsigned int len)
{
	unsigned int b;

	for (b = off + len; b < IP_BYTES * 8; b++)
		if (ip[b / 8] & (0x80 >> (b % 8)))
			return 0;
	return 1;
}

static void
line_list(const char *line, size_t len, size_t pos, unsigned long ln)
{
	const struct rename *rn;
	const char *name, *e;
	size_t nl, el, i;
	struct ent *x;
	unsigned char ip[IP_BYTES];
	unsigned int plen;
	int v4;

	CHECK(next_field(line, len, &pos, &name, &nl));
	CHECK(next_field(line, len, &pos, &e, &el));
	CHECK(at_end(line, len, pos));
	CHECK(el <= RULES_ENTRY_MAX);
	/* a name an earlier release used is read as the new one */
	if ((rn = rename_find(RENAME_LIST, name, nl)) != NULL) {
		name = rn->new;
		nl = strlen(name);
	}
	for (i = 0; list_table[i] != NULL; i++)
		if (word_is(name, nl, list_table[i]))
			break;
	CHECK(list_table[i] != NULL);
	if (nents == aents) {
		aents = aents == 0 ? 64 : aents * 2;
		ents = realloc(ents, aents * sizeof(*ents));
		CHECK(ents != NULL);
	}
	x = &ents[nents++];
	memset(x, 0, sizeof(*x));
	x->li = i;
	x->ln = ln;
	/* a mixed list takes what reads as an address as a network */
	x->net = list_is_net(name, nl) || (list_is_mixed(name, nl) &&
	    match_ip_parse(e, el, ip, &v4, &plen) == 0);
	if (!x->net) {
		for (i = 0; i < el; i++)
			x->key[i] = (char)lower((unsigned char)e[i]);
		x->klen = el;
		return;
	}
	CHECK(match_ip_parse(e, el, x->ip, &v4, &x->len) == 0);
	/* IPv4 in IPv6 is IPv4, the way match_ip looks it up */
	if (!v4 && memcmp(x->ip, mapped, sizeof(mapped)) == 0 &&
	    x->len >= MAPPED_BITS) {
		v4 = 1;
		x->len -= MAPPED_BITS;
	}
	x->v4 = v4;
	CHECK(host_bits_clear(x->ip, v4 ? MAPPED_BITS : 0, x->len));
	x->klen = match_ip_key(x->ip, v4, x->len, x->key, sizeof(x->key));
	CHECK(x->klen > 0);
}

static void
line_reply(struct rules *r, const char *line, size_t len, size_t pos,
    size_t *nreplies, int *seen)
{
	char key[KEY_MAX], val[LINE_MAX_RULES + 1], msg[ERRBUF_MAX];
	const struct reply_default *d;
	const struct rename *rn;
	const char *name, *code, *esc, *text;
	size_t nl, cl, el, tl, vl;

	CHECK(next_field(line, len, &pos, &name, &nl));
	CHECK(next_field(line, len, &pos, &code, &cl));
	CHECK(next_field(line, len, &pos, &esc, &el));
	if ((rn = rename_find(RENAME_REPLY, name, nl)) != NULL) {
		name = rn->new;
		nl = strlen(name);
	}
	d = reply_find(name, nl);
	CHECK(d != NULL);
	CHECK(!seen[d - reply_table]);
	seen[d - reply_table] = 1;
	CHECK(len <= LINE_MAX_RULES);
	memcpy(val, code, cl);
	vl = cl;
	val[vl++] = ' ';
	if (d->esc[0] == '\0') {
		/* "CODE TEXT": the text as written, from the third field */
		memcpy(val + vl, esc, len - (size_t)(esc - line));
		vl += len - (size_t)(esc - line);
	} else {
		memcpy(val + vl, esc, el);
		vl += el;
		while (pos < len && blank((unsigned char)line[pos]))
			pos++;
		text = line + pos;
		tl = len - pos;
		if (tl > 0) {
			val[vl++] = ' ';
			memcpy(val + vl, text, tl);
			vl += tl;
		}
	}
	val[vl] = '\0';
	CHECK(vl <= RULES_VALUE_MAX);
	if (d->esc[0] == '\0') {
		CHECK(reply_text_valid(val, vl, msg, sizeof(msg)) == 0);
		CHECK(memcmp(val, d->code, 3) == 0);
	} else
		CHECK(reply_valid(val, vl, msg, sizeof(msg)) == 0);
	CHECK(val[0] == d->code[0]);
	CHECK((strcmp(d->code, "421") == 0) == (strncmp(val, "421", 3) == 0));
	CHECK(snprintf(key, sizeof(key), "r:%s", d->name) < (int)sizeof(key));
	expect_value(r, key, val);
	(*nreplies)++;
}

static int
ent_cmp(const void *a, const void *b)
{
	const struct ent *x = *(const struct ent *const *)a;
	const struct ent *y = *(const struct ent *const *)b;
	int c;

	if (x->li != y->li)
		return x->li < y->li ? -1 : 1;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	if ((c = memcmp(x->key, y->key, x->klen)) != 0)
		return c;
	if (x->ln != y->ln)
		return x->ln < y->ln ? -1 : 1;
	return 0;
}

/* The first line of each entry's key; distinct keys per list. */
static void
first_lines(size_t *distinct)
{
	struct ent **p;
	size_t i, g;

	if (nents == 0)
		return;
	p = malloc(nents * sizeof(*p));
	CHECK(p != NULL);
	for (i = 0; i < nents; i++)
		p[i] = &ents[i];
	qsort(p, nents, sizeof(*p), ent_cmp);
	/* sorted by list, key and line: a group starts with its first */
	for (g = 0, i = 0; i < nents; i++) {
		if (i == 0 || p[i]->li != p[g]->li ||
		    p[i]->klen != p[g]->klen ||
		    memcmp(p[i]->key, p[g]->key, p[i]->klen) != 0) {
			g = i;
			distinct[p[i]->li]++;
		}
		p[i]->first = p[g]->ln;
	}
	free(p);
}

/* "v4:32,24 v6:64" for list li, as the compiler writes it. */
static size_t
lens_expected(size_t li, char *out, size_t outlen)
{
	unsigned char used[2][IP6_BITS + 1];
	unsigned int b, max;
	size_t i, n = 0;
	int fam, first;

	memset(used, 0, sizeof(used));
	for (i = 0; i < nents; i++)
		if (ents[i].li == li && ents[i].net)
			used[ents[i].v4 ? 0 : 1][ents[i].len] = 1;
	for (fam = 0; fam < 2; fam++) {
		max = fam == 0 ? IP4_BITS : IP6_BITS;
		first = 1;
		for (b = max + 1; b-- > 0; ) {
			if (!used[fam][b])
				continue;
			n += (size_t)snprintf(out + n, outlen - n, "%s%s%u",
			    first ? (n == 0 ? "" : " ") : ",",
			    first ? (fam == 0 ? "v4:" : "v6:") : "", b);
			CHECK(n < outlen);
			first = 0;
		}
	}
	return n;
}

/*
 * A list read whole (dnsbl, milter): "e:LIST:N" -> "ENTRY file:line" for
 * each line in source order, duplicates too; the entry in lower case
 * but a milter's, which keeps its case.
 */
static void
check_enum(struct rules *r, const struct ent *x, size_t n, size_t *nderived)
{
	char key[KEY_MAX], val[VAL_MAX], w[WHERE_MAX];
	const char *name = list_table[x->li];

	CHECK(snprintf(key, sizeof(key), "e:%s:%zu", name, n) <
	    (int)sizeof(key));
	CHECK(rules_get(r, key, strlen(key), val, sizeof(val)) == 1);
	where_text(w, sizeof(w), x->ln);
	CHECK(strlen(val) == x->klen + 1 + strlen(w));
	if (strcmp(name, "milter") == 0)
		CHECK(strncasecmp(val, x->key, x->klen) == 0);
	else
		CHECK(memcmp(val, x->key, x->klen) == 0);
	CHECK(val[x->klen] == ' ' && strcmp(val + x->klen + 1, w) == 0);
	(*nderived)++;
}

static void
check_lists(struct rules *r, size_t *nderived)
{
	char key[KEY_MAX], w[WHERE_MAX], want[WHERE_MAX];
	char lens[LENS_TEXT_MAX];
	size_t i, n, *count;

	count = calloc(nlists + 1, sizeof(*count));
	CHECK(count != NULL);
	for (i = 0; i < nents; i++) {
		count[ents[i].li]++;
		CHECK(rules_list(r, list_table[ents[i].li], ents[i].key,
		    ents[i].klen, w, sizeof(w)) == 1);
		where_text(want, sizeof(want), ents[i].first);
		CHECK(strcmp(w, want) == 0);
		if (list_is_enum(list_table[ents[i].li],
		    strlen(list_table[ents[i].li])))
			check_enum(r, &ents[i], count[ents[i].li] - 1,
			    nderived);
	}
	for (i = 0; i < nlists; i++) {
		CHECK(snprintf(key, sizeof(key), "c:%s", list_table[i]) <
		    (int)sizeof(key));
		if (count[i] > 0) {
			CHECK(snprintf(w, sizeof(w), "%zu", count[i]) <
			    (int)sizeof(w));
			expect_value(r, key, w);
			(*nderived)++;
		} else
			expect_absent(r, key);
		key[0] = 'n';
		n = lens_expected(i, lens, sizeof(lens));
		if (n > 0 && n <= LENS_VALUE_MAX) {
			expect_value(r, key, lens);
			(*nderived)++;
		} else
			expect_absent(r, key);
	}
	free(count);
}

/* Is s (n bytes) an entry of list li?  Its first line, or 0. */
static unsigned long
in_list(size_t li, const char *s, size_t n)
{
	size_t i, j;

	for (i = 0; i < nents; i++) {
		if (ents[i].li != li || ents[i].klen != n)
			continue;
		for (j = 0; j < n; j++)
			if (lower((unsigned char)s[j]) != ents[i].key[j])
				break;
		if (j == n)
			return ents[i].first;
	}
	return 0;
}

static unsigned long
oracle_domain(size_t li, const char *d, size_t n)
{
	unsigned long ln;
	size_t i;

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0)
		return 0;
	if ((ln = in_list(li, d, n)) != 0)
		return ln;
	for (i = 1; i < n; i++)
		if (d[i] == '.' && (ln = in_list(li, d + i, n - i)) != 0)
			return ln;
	return 0;
}

static unsigned long
oracle_addr(size_t li, const char *a, size_t n)
{
	const char *at;
	unsigned long ln;

	if (n == 0)
		return 0;
	if ((ln = in_list(li, a, n)) != 0)
		return ln;
	if ((at = memrchr(a, '@', n)) == NULL)
		return 0;
	if ((ln = in_list(li, at, n - (size_t)(at - a))) != 0)
		return ln;
	return oracle_domain(li, at + 1, n - (size_t)(at - a) - 1);
}

static void
probe_name(struct rules *r, size_t li, const char *p, size_t n)
{
	char w[WHERE_MAX], want[WHERE_MAX];
	unsigned long ln;
	int rc;

	rc = match_domain(r, list_table[li], p, n, w, sizeof(w));
	ln = oracle_domain(li, p, n);
	CHECK(rc == (ln != 0));
	if (ln != 0) {
		where_text(want, sizeof(want), ln);
		CHECK(strcmp(w, want) == 0);
	}
	rc = match_addr(r, list_table[li], p, n, w, sizeof(w));
	ln = oracle_addr(li, p, n);
	CHECK(rc == (ln != 0));
	if (ln != 0) {
		where_text(want, sizeof(want), ln);
		CHECK(strcmp(w, want) == 0);
	}
}

/* p = a + b + c; 0 when that is longer than PROBE_MAX. */
static size_t
cat3(char *p, const char *a, size_t an, const char *b, size_t bn,
    const char *c)
{
	size_t n = 0, cn = strlen(c);

	if (an + bn + cn > PROBE_MAX)
		return 0;
	memcpy(p, a, an);
	n += an;
	memcpy(p + n, b, bn);
	n += bn;
	memcpy(p + n, c, cn);
	n += cn;
	return n;
}

static void
probe_names(struct rules *r, size_t li)
{
	static const char *const fixed[] = {
		"", ".", "@", "example.com", "EXAMPLE.com.", "localhost",
		"user@example.com", "a@b@example.com", "@example.com",
		".example.com", "a..b", NULL
	};
	char p[PROBE_MAX + 1];
	const char *dot;
	size_t i, k, n;

	for (i = 0; fixed[i] != NULL; i++)
		probe_name(r, li, fixed[i], strlen(fixed[i]));
	for (i = 0, k = 0; i < nents && k < PROBE_ENTRIES; i++) {
		if (ents[i].li != li)
			continue;
		k++;
		probe_name(r, li, ents[i].key, ents[i].klen);
		if ((n = cat3(p, "x.", 2, ents[i].key, ents[i].klen, "")) > 0)
			probe_name(r, li, p, n);
		if ((n = cat3(p, "x", 1, ents[i].key, ents[i].klen, "")) > 0)
			probe_name(r, li, p, n);
		if ((n = cat3(p, "u@", 2, ents[i].key, ents[i].klen, "")) > 0)
			probe_name(r, li, p, n);
		if ((n = cat3(p, "", 0, ents[i].key, ents[i].klen, ".")) > 0)
			probe_name(r, li, p, n);
		for (n = 0; n < ents[i].klen; n++)
			p[n] = (char)(ents[i].key[n] >= 'a' &&
			    ents[i].key[n] <= 'z' ? ents[i].key[n] - 32 :
			    ents[i].key[n]);
		probe_name(r, li, p, ents[i].klen);
		dot = memchr(ents[i].key, '.', ents[i].klen);
		if (dot != NULL)
			probe_name(r, li, dot + 1, ents[i].klen -
			    (size_t)(dot + 1 - ents[i].key));
	}
}

static int
prefix_eq(const unsigned char *a, const unsigned char *b, unsigned int bits)
{
	unsigned int i;

	for (i = 0; i < bits; i++)
		if ((a[i / 8] ^ b[i / 8]) & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

static void
probe_ip(struct rules *r, size_t li, const unsigned char *ip)
{
	char w[WHERE_MAX], want[WHERE_MAX];
	int v4 = memcmp(ip, mapped, sizeof(mapped)) == 0, rc;
	unsigned long ln = 0;
	unsigned int best = 0, off;
	size_t i;

	off = v4 ? MAPPED_BITS : 0;
	for (i = 0; i < nents; i++) {
		if (ents[i].li != li || !ents[i].net || ents[i].v4 != v4)
			continue;
		if (!prefix_eq(ip, ents[i].ip, off + ents[i].len))
			continue;
		if (ln == 0 || ents[i].len > best) {
			best = ents[i].len;
			ln = ents[i].first;
		}
	}
	rc = match_ip(r, list_table[li], ip, w, sizeof(w));
	CHECK(rc == (ln != 0));
	if (ln != 0) {
		where_text(want, sizeof(want), ln);
		CHECK(strcmp(w, want) == 0);
	}
}

static void
flip(unsigned char *ip, unsigned int bit)
{
	ip[bit / 8] ^= (unsigned char)(0x80 >> (bit % 8));
}

static void
probe_ips(struct rules *r, size_t li)
{
	static const char *const fixed[] = {
		"127.0.0.1", "0.0.0.0", "255.255.255.255", "192.0.2.1", "::",
		"::1", "2001:db8::1", "::ffff:0:0", "::1.2.3.4", "fe80::1",
		NULL
	};
	unsigned char ip[IP_BYTES];
	unsigned int off, max, b;
	size_t i, k;
	int v4;

	for (i = 0; fixed[i] != NULL; i++) {
		CHECK(match_ip_parse(fixed[i], strlen(fixed[i]), ip, &v4,
		    &b) == 0);
		probe_ip(r, li, ip);
	}
	for (i = 0, k = 0; i < nents && k < PROBE_ENTRIES; i++) {
		if (ents[i].li != li || !ents[i].net)
			continue;
		k++;
		off = ents[i].v4 ? MAPPED_BITS : 0;
		max = IP6_BITS - off;
		memcpy(ip, ents[i].ip, sizeof(ip));
		probe_ip(r, li, ip);
		if (ents[i].len > 0) {
			flip(ip, off + ents[i].len - 1);
			probe_ip(r, li, ip);
			flip(ip, off + ents[i].len - 1);
		}
		if (ents[i].len < max) {
			flip(ip, off + ents[i].len);
			probe_ip(r, li, ip);
			for (b = off + ents[i].len; b < IP6_BITS; b++)
				ip[b / 8] |= (unsigned char)(0x80 >> (b % 8));
			probe_ip(r, li, ip);
		}
	}
}

/* Every record once; returns their number. */
static size_t
count_records(int fd)
{
	struct cdb c, c2;
	uint32 kpos, last = 0, dpos;
	char key[KEY_MAX];
	size_t n = 0, klen;
	int f;

	memset(&c, 0, sizeof(c));
	memset(&c2, 0, sizeof(c2));
	cdb_init(&c, fd);
	cdb_init(&c2, fd);
	for (f = cdb_firstkey(&c, &kpos); f == 1; f = cdb_nextkey(&c, &kpos)) {
		CHECK(kpos > last);
		last = kpos;
		klen = cdb_keylen(&c);
		CHECK(klen > 0 && klen <= sizeof(key));
		dpos = cdb_datapos(&c);
		CHECK(cdb_read(&c, (unsigned char *)key, klen,
		    cdb_keypos(&c)) == 0);
		/* the first record of this key is this one: no duplicate */
		CHECK(cdb_find(&c2, (unsigned char *)key, klen) == 1);
		CHECK(cdb_datapos(&c2) == dpos);
		n++;
	}
	CHECK(f == 0);
	cdb_free(&c);
	cdb_free(&c2);
	return n;
}

static int
has_prefix(const char *k, size_t kl, const char *p)
{
	return kl >= strlen(p) && memcmp(k, p, strlen(p)) == 0;
}

/* db1 and db2 (compiled from db1's dump) hold the same records. */
static void
compare_dbs(const size_t *distinct)
{
	struct cdb c1, c2;
	uint32 kpos;
	char key[KEY_MAX], v1[VAL_MAX], v2[VAL_MAX], num[NUM_TEXT_MAX];
	size_t klen, l1, l2, i, dups;
	int f;

	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	cdb_init(&c1, db1);
	cdb_init(&c2, db2);
	for (f = cdb_firstkey(&c1, &kpos); f == 1;
	    f = cdb_nextkey(&c1, &kpos)) {
		klen = cdb_keylen(&c1);
		l1 = cdb_datalen(&c1);
		CHECK(klen <= sizeof(key) && l1 < sizeof(v1));
		CHECK(cdb_read(&c1, (unsigned char *)key, klen,
		    cdb_keypos(&c1)) == 0);
		CHECK(cdb_read(&c1, (unsigned char *)v1, l1,
		    cdb_datapos(&c1)) == 0);
		/* a list read whole: its lines in another order (but the
		 * milters'), without duplicates, other lines: counted below */
		if (has_prefix(key, klen, "e:"))
			continue;
		CHECK(cdb_find(&c2, (unsigned char *)key, klen) == 1);
		l2 = cdb_datalen(&c2);
		CHECK(l2 < sizeof(v2));
		CHECK(cdb_read(&c2, (unsigned char *)v2, l2,
		    cdb_datapos(&c2)) == 0);
		if (has_prefix(key, klen, "l:") || has_prefix(key, klen, "o:"))
			continue;	/* origins */
		if (has_prefix(key, klen, "c:")) {
			for (i = 0; list_table[i] != NULL; i++)
				if (klen - 2 == strlen(list_table[i]) &&
				    memcmp(key + 2, list_table[i],
				    klen - 2) == 0)
					break;
			CHECK(list_table[i] != NULL);
			CHECK(snprintf(num, sizeof(num), "%zu", distinct[i]) <
			    (int)sizeof(num));
			CHECK(l2 == strlen(num) && memcmp(v2, num, l2) == 0);
			continue;
		}
		CHECK(l1 == l2 && memcmp(v1, v2, l1) == 0);
	}
	CHECK(f == 0);
	cdb_free(&c1);
	cdb_free(&c2);
	/* the lines of lists read whole that repeat an entry: "e:" records
	 * in db1, not in db2 */
	for (i = 0, dups = 0; i < nents; i++)
		if (list_is_enum(list_table[ents[i].li],
		    strlen(list_table[ents[i].li])))
			dups++;
	for (i = 0; list_table[i] != NULL; i++)
		if (list_is_enum(list_table[i], strlen(list_table[i])))
			dups -= distinct[i];
	CHECK(count_records(db1) == count_records(db2) + dups);
}

/* The version, then statements only: no "# unknown key" line. */
static void
check_dump_lines(const char *d, size_t n)
{
	static const char head[] = "# " RULES_VERSION "\n";
	const char *p, *end = d + n, *nl;

	CHECK(n >= sizeof(head) - 1 && memcmp(d, head, sizeof(head) - 1) == 0);
	CHECK(d[n - 1] == '\n');
	for (p = d + sizeof(head) - 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		CHECK(nl != NULL);
		CHECK(strncmp(p, "set ", 4) == 0 ||
		    strncmp(p, "list ", 5) == 0 ||
		    strncmp(p, "reply ", 6) == 0);
	}
}

static void
check_good(const char *data, size_t size)
{
	char err[ERRBUF_MAX], msg[ERRBUF_MAX];
	unsigned char *b1, *b2;
	struct config cfg, exp;
	struct rules *r;
	const char *line, *nl, *kw;
	size_t n1, n2, len, pos, kl, off, nsets = 0, nreplies = 0;
	size_t nderived = 0, ndistinct = 0, i, dl1, dl2, *distinct;
	unsigned long ln;
	int *set_seen, *reply_seen, rc;
	char *d1, *d2;

	/* the same source gives the same bytes */
	CHECK(compile(data, size, SRC_NAME, db2, err) == EXIT_OK);
	b1 = slurp(db1, &n1);
	b2 = slurp(db2, &n2);
	CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0);
	free(b1);
	free(b2);

	r = rules_open(db1path);
	CHECK(r != NULL);
	memset(msg, 0, sizeof(msg));
	CHECK(rules_config(r, &cfg, msg, sizeof(msg)) == 0);
	exp = cfg_default;

	for (i = 0; setting_table[i].name != NULL; i++)
		;
	set_seen = calloc(i + 1, sizeof(*set_seen));
	for (i = 0; reply_table[i].name != NULL; i++)
		;
	reply_seen = calloc(i + 1, sizeof(*reply_seen));
	distinct = calloc(nlists + 1, sizeof(*distinct));
	CHECK(set_seen != NULL && reply_seen != NULL && distinct != NULL);
	nents = 0;
	for (off = 0, ln = 1; off < size; ln++) {
		line = data + off;
		nl = memchr(line, '\n', size - off);
		len = nl != NULL ? (size_t)(nl - line) : size - off;
		off += len + (nl != NULL);
		CHECK(memchr(line, '\0', len) == NULL);
		while (len > 0 && blank((unsigned char)line[len - 1]))
			len--;
		pos = 0;
		if (!next_field(line, len, &pos, &kw, &kl) || kw[0] == '#')
			continue;
		for (i = (size_t)(kw - line); i < len; i++)
			CHECK(line[i] == '\t' || ((unsigned char)line[i] >= 32 &&
			    (unsigned char)line[i] <= 126));
		if (word_is(kw, kl, "set"))
			line_set(r, line, len, pos, ln, &exp, set_seen,
			    &nsets);
		else if (word_is(kw, kl, "list"))
			line_list(line, len, pos, ln);
		else if (word_is(kw, kl, "reply"))
			line_reply(r, line, len, pos, &nreplies, reply_seen);
		else
			CHECK(0);
	}
	CHECK(memcmp(&cfg, &exp, sizeof(cfg)) == 0);
	first_lines(distinct);
	check_lists(r, &nderived);
	for (i = 0; i < nlists; i++)
		ndistinct += distinct[i];
	CHECK(count_records(db1) == 1 + 2 * nsets + nreplies + ndistinct +
	    nderived);

	for (i = 0; i < nlists; i++) {
		if (list_is_net(list_table[i], strlen(list_table[i])))
			probe_ips(r, i);
		else if (list_is_mixed(list_table[i], strlen(list_table[i]))) {
			probe_ips(r, i);
			probe_names(r, i);
		} else
			probe_names(r, i);
	}
	rules_close(r);

	/* -d gives source that compiles to the same records */
	d1 = dump(db1, &dl1);
	check_dump_lines(d1, dl1);
	rc = compile(d1, dl1, DUMP_NAME, db2, err);
	if (rc != EXIT_OK)
		fprintf(stderr, "fuzz-rules: the -d output does not "
		    "compile: %s", err);
	CHECK(rc == EXIT_OK);
	compare_dbs(distinct);
	d2 = dump(db2, &dl2);
	CHECK(dl1 == dl2 && memcmp(d1, d2, dl1) == 0);
	free(d1);
	free(d2);
	free(set_seen);
	free(reply_seen);
	free(distinct);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	extern char **environ;
	struct rules *r;
	char msg[ERRBUF_MAX], name[256], **e, *eq;
	size_t n;

	(void)argc;
	(void)argv;
	/* settings from the environment would override the database */
	for (e = environ; e != NULL && *e != NULL; ) {
		if (strncmp(*e, ENV_PREFIX, strlen(ENV_PREFIX)) != 0 ||
		    (eq = strchr(*e, '=')) == NULL ||
		    (n = (size_t)(eq - *e)) >= sizeof(name)) {
			e++;
			continue;
		}
		memcpy(name, *e, n);
		name[n] = '\0';
		CHECK(unsetenv(name) == 0);
		e = environ;
	}
	for (nlists = 0; list_table[nlists] != NULL; nlists++)
		;
	db1 = memfd_create("fuzz-rules-1", MFD_CLOEXEC);
	db2 = memfd_create("fuzz-rules-2", MFD_CLOEXEC);
	CHECK(db1 != -1 && db2 != -1);
	CHECK(snprintf(db1path, sizeof(db1path), "/proc/self/fd/%d", db1) <
	    (int)sizeof(db1path));
	CHECK(snprintf(db2path, sizeof(db2path), "/proc/self/fd/%d", db2) <
	    (int)sizeof(db2path));
	r = rules_open_none();
	CHECK(r != NULL);
	CHECK(rules_config(r, &cfg_default, msg, sizeof(msg)) == 0);
	rules_close(r);
	return 0;
}

/* err holds nothing, or only the warnings of names an earlier release
 * used, each naming the new name, one a line. */
static int
only_renames(const char *err)
{
	const char *p = err, *e, *w;

	while (*p != '\0') {
		e = strchr(p, '\n');
		if (e == NULL)
			return 0;
		w = strstr(p, ": warning: ");
		if (w == NULL || w > e || strstr(w, " is now named ") == NULL ||
		    strstr(w, " is now named ") > e)
			return 0;
		p = e + 1;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERRBUF_MAX];
	int rc;

	if (db1 == -1)
		LLVMFuzzerInitialize(NULL, NULL);
	rc = compile((const char *)data, size, SRC_NAME, db1, err);
	if (rc == EXIT_BAD)
		check_error((const char *)data, size, err);
	else {
		if (rc != EXIT_OK)
			fprintf(stderr, "fuzz-rules: exit %d: %s", rc, err);
		/* a success says nothing but warnings of renamed names */
		CHECK(rc == EXIT_OK && only_renames(err));
		check_good((const char *)data, size);
	}
	free(ents);
	ents = NULL;
	nents = aents = 0;
	return 0;
}
