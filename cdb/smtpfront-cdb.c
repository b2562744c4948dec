/*
 * smtpfront-cdb: the rules compiler.  It turns a human-readable rules
 * source into the one constant CDB that smtpfront reads, and prints such
 * a database back in source form.
 *
 *   smtpfront-cdb [-n] SOURCE OUTPUT.cdb   compile (-n: check only)
 *   smtpfront-cdb -n SOURCE                check only
 *   smtpfront-cdb -d DB.cdb                print DB.cdb as rules source
 *
 * Input: SOURCE is one file, or a directory whose regular files are read
 * in byte order of their names (names starting with '.' or ending in '~'
 * are skipped).  The language is in man/smtpfront-rules.5: "set", "list"
 * and "reply" statements, one per line, '#' comment lines.
 *
 * Output: the records of rules.h's layout, written sorted ("v" first), so
 * the same source gives a byte-identical database.  List entries that are
 * IP addresses or networks are stored in the normal form match.c looks
 * up, and "n:LIST" names the prefix lengths in use.  The file is built as
 * OUTPUT.cdb.tmp.PID beside OUTPUT.cdb, synced and renamed over it:
 * readers see the old database or the new one, never a mix.
 *
 * Failure: a bad source line prints "smtpfront-cdb: FILE:LINE: message"
 * and exits 100, as does a usage error; a system error (unreadable
 * source, full disk) exits 111.  In both cases the old database is left
 * as it was and no temporary file is left behind.  Every error goes out
 * through die_exit().
 *
 * Built with -DSMTPFRONT_CDB_FUZZ (fuzz/fuzz-rules.c), there is no main():
 * smtpfront_cdb_compile() and smtpfront_cdb_dump() run the same code
 * in-process, die_exit() returns to them with longjmp and the exit code
 * it would have had, and the static state is reset between runs.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/wait.h>
#ifdef SMTPFRONT_CDB_FUZZ
#include <setjmp.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cdb.h>
#include <cdb_make.h>
#include <stralloc.h>

#include "content.h"
#include "dnslist.h"
#include "filter.h"
#include "proc.h"
#include "milter.h"
#include "reply.h"
#include "rules.h"
#include "session.h"

#define PROG		"smtpfront-cdb"
#define EXIT_BAD	100	/* bad source or usage */
#define EXIT_SYS	111	/* system error */

#define LINE_MAX_RULES	4096	/* longest source line, without newline */
#define KEY_MAX		512	/* longest key, in the database and in -d */
#define IP4_BITS	32
#define IP6_BITS	128
#define MAPPED_BITS	96	/* ::ffff:0:0/96 holds IPv4 addresses */
#define IPKEY_MAX	64	/* "ffff:...:ffff/128" */
/* "v4:32,31,... v6:128,127,...": every length of both families */
#define LENS_MAX	((IP4_BITS + 1 + IP6_BITS + 1) * 4 + 8)
#define LENS_VALUE_MAX	255	/* longest "n:LIST" value match.c reads */
#define FILES_MAX	10000	/* files in a source directory */
#define RECORDS_MAX	10000000 /* records in one database */
#define NAME_SHOWN	64	/* bytes of an unknown name shown in errors */
#define GROW_FIRST	64	/* first allocation of a growing array */
#define MSG_MAX		256	/* a message from setting_parse or reply_valid */
#define PID_TEXT_MAX	24	/* ".tmp." and the decimal pid */
#define TMPNAME_MAX	(PATH_MAX + PID_TEXT_MAX)

enum {
	LINE_OK,
	LINE_EOF,
	LINE_LONG,
	LINE_NUL
};

/* Strings live in the arena; records and tables hold their offsets. */
struct rec {
	size_t		 koff;
	size_t		 klen;
	size_t		 voff;
	size_t		 vlen;
	size_t		 seq;		/* input order: first of equal keys wins */
};

#define NOWHERE		0	/* offset 0 of the arena holds no string */
#define RENAMES_MAX	64	/* old names warned of once a compile */

/*
 * Static, so that the memory they point to stays reachable until exit
 * and LeakSanitizer has nothing to report.
 */
static stralloc		 arena;
static struct rec	*recs;
static size_t		 nrecs, arecs;
static size_t		*set_where;	/* per setting_table entry */
static size_t		*reply_where;	/* per reply_table entry */
/* prefix lengths in use, per list_table entry, for "n:LIST" */
static unsigned char	(*lens4)[IP4_BITS + 1];
static unsigned char	(*lens6)[IP6_BITS + 1];
/* the old names already warned of, by their index in rename_table */
static unsigned char	warned[RENAMES_MAX];
static unsigned long	*counts;	/* entries per list, for "c:LIST" */
static stralloc		 paths;		/* of a source directory, NUL-ended */
static size_t		*files;		/* offsets into paths */
static size_t		 nfiles;
static struct cdb_make	 cm;
static char		 tmpname[TMPNAME_MAX];
static int		 tmpmade;
/* where messages and -d output go; NULL: stderr and stdout */
static FILE		*errout;
static FILE		*dumpout;

#ifdef SMTPFRONT_CDB_FUZZ
static jmp_buf		 fuzz_jmp;
static int		 fuzz_armed;

int	smtpfront_cdb_compile(FILE *, const char *, int, FILE *);
int	smtpfront_cdb_dump(int, const char *, FILE *, FILE *);
#endif

static FILE *
err_file(void)
{
	return errout != NULL ? errout : stderr;
}

static FILE *
dump_file(void)
{
	return dumpout != NULL ? dumpout : stdout;
}

/* The one way out after an error: exit, or back to the fuzz driver. */
static void __attribute__((noreturn))
die_exit(int code)
{
#ifdef SMTPFRONT_CDB_FUZZ
	if (fuzz_armed)
		longjmp(fuzz_jmp, code);
#endif
	exit(code);
}

static void
cleanup(void)
{
	if (tmpmade)
		(void)unlink(tmpname);
	tmpmade = 0;
}

static void __attribute__((noreturn))
die_sys(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	cleanup();
	fprintf(err_file(), "%s: fatal: ", PROG);
	va_start(ap, fmt);
	vfprintf(err_file(), fmt, ap);
	va_end(ap);
	fprintf(err_file(), ": %s\n", strerror(e));
	die_exit(EXIT_SYS);
}

static void __attribute__((noreturn))
die_nomem(void)
{
	cleanup();
	fprintf(err_file(), "%s: fatal: out of memory\n", PROG);
	die_exit(EXIT_SYS);
}

/* A bad source line: "smtpfront-cdb: FILE:LINE: message", exit 100. */
/* A line that compiles, with something the administrator should change. */
static void
warn_line(const char *file, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	fprintf(err_file(), "%s: %s:%lu: warning: ", PROG, file, line);
	va_start(ap, fmt);
	vfprintf(err_file(), fmt, ap);
	va_end(ap);
	fputc('\n', err_file());
}

/*
 * The name of a list or reply an earlier release used: the new one, with
 * a warning that names it, at its first line only; otherwise the name as
 * it is.
 */
static void
renamed(const char *file, unsigned long ln, int kind, const char **name,
    size_t *nlen)
{
	const struct rename *r = rename_find(kind, *name, *nlen);
	size_t i;

	if (r == NULL)
		return;
	i = (size_t)(r - rename_table);
	if (i < sizeof(warned) && !warned[i])
		warn_line(file, ln, "%s %.*s is now named %s: %s",
		    kind == RENAME_LIST ? "list" : "reply", (int)*nlen, *name,
		    r->new, "read as that, write the new name");
	if (i < sizeof(warned))
		warned[i] = 1;
	*name = r->new;
	*nlen = strlen(r->new);
}

static void __attribute__((noreturn))
die_line(const char *file, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	cleanup();
	fprintf(err_file(), "%s: %s:%lu: ", PROG, file, line);
	va_start(ap, fmt);
	vfprintf(err_file(), fmt, ap);
	va_end(ap);
	fputc('\n', err_file());
	die_exit(EXIT_BAD);
}

static void __attribute__((noreturn))
die_bad(const char *fmt, ...)
{
	va_list ap;

	cleanup();
	fprintf(err_file(), "%s: ", PROG);
	va_start(ap, fmt);
	vfprintf(err_file(), fmt, ap);
	va_end(ap);
	fputc('\n', err_file());
	die_exit(EXIT_BAD);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(err_file(), "usage: %s [-n] SOURCE OUTPUT.cdb\n"
	    "       %s -n SOURCE\n"
	    "       %s -d DB.cdb\n", PROG, PROG, PROG);
	die_exit(EXIT_BAD);
}

/* Copy p (len bytes) and a NUL into the arena; returns its offset. */
static size_t
arena_add(const char *p, size_t len)
{
	size_t off;

	if (arena.len == 0 && !stralloc_append(&arena, ""))
		die_nomem();
	off = arena.len;
	if (!stralloc_catb(&arena, p, len) || !stralloc_0(&arena))
		die_nomem();
	return off;
}

/* The string at off; valid until the next arena_add. */
static const char *
arena_str(size_t off)
{
	return arena.s + off;
}

/*
 * Make room for one more element in p (n of size sz in use, *a
 * allocated, at most max); returns the array, maybe moved.
 */
static void *
grow(void *p, size_t n, size_t *a, size_t sz, size_t max)
{
	void *q;
	size_t na;

	if (n < *a)
		return p;
	if (n >= max)
		die_nomem();
	na = *a == 0 ? GROW_FIRST : *a;
	if (na > max / 2)
		na = max;
	else
		na *= 2;
	if (na > (size_t)-1 / sz)
		die_nomem();
	if ((q = realloc(p, na * sz)) == NULL)
		die_nomem();
	*a = na;
	return q;
}

static void
rec_add(const char *key, size_t klen, const char *val, size_t vlen)
{
	recs = grow(recs, nrecs, &arecs, sizeof(*recs), RECORDS_MAX);
	recs[nrecs].koff = arena_add(key, klen);
	recs[nrecs].klen = klen;
	recs[nrecs].voff = arena_add(val, vlen);
	recs[nrecs].vlen = vlen;
	recs[nrecs].seq = nrecs;
	nrecs++;
}

static int
rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	size_t n;
	int c;

	n = x->klen < y->klen ? x->klen : y->klen;
	if ((c = memcmp(arena_str(x->koff), arena_str(y->koff), n)) != 0)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

static int
lower(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	return c;
}

static int
isblank_rules(int c)
{
	return c == ' ' || c == '\t';
}

static size_t
table_index(const void *base, const void *elem, size_t sz)
{
	return (size_t)((const char *)elem - (const char *)base) / sz;
}

static size_t
count_settings(void)
{
	size_t n;

	for (n = 0; setting_table[n].name != NULL; n++)
		;
	return n;
}

static size_t
count_lists(void)
{
	size_t n;

	for (n = 0; list_table[n] != NULL; n++)
		;
	return n;
}

static size_t
list_index(const char *name, size_t len)
{
	size_t i;

	for (i = 0; list_table[i] != NULL; i++)
		if (strlen(list_table[i]) == len &&
		    memcmp(list_table[i], name, len) == 0)
			break;
	return i;
}

static size_t
count_replies(void)
{
	size_t n;

	for (n = 0; reply_table[n].name != NULL; n++)
		;
	return n;
}

/*
 * Read one line of at most size - 1 bytes into buf, without its newline.
 * A last line without newline counts.
 */
static int
read_line(FILE *f, const char *file, char *buf, size_t size, size_t *len)
{
	size_t n = 0;
	int c;

	for (;;) {
		c = getc(f);
		if (c == EOF) {
			if (ferror(f))
				die_sys("unable to read %s", file);
			if (n == 0)
				return LINE_EOF;
			break;
		}
		if (c == '\n')
			break;
		if (c == '\0')
			return LINE_NUL;
		if (n >= size - 1)
			return LINE_LONG;
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	*len = n;
	return LINE_OK;
}

/* The next blank-separated field of line from *pos. */
static int
next_field(const char *line, size_t len, size_t *pos, const char **f,
    size_t *flen)
{
	size_t i = *pos, start;

	while (i < len && isblank_rules((unsigned char)line[i]))
		i++;
	if (i >= len) {
		*pos = i;
		return 0;
	}
	start = i;
	while (i < len && !isblank_rules((unsigned char)line[i]))
		i++;
	*f = line + start;
	*flen = i - start;
	*pos = i;
	return 1;
}

static int
at_end(const char *line, size_t len, size_t pos)
{
	while (pos < len && isblank_rules((unsigned char)line[pos]))
		pos++;
	return pos >= len;
}

static void
stmt_set(const char *file, unsigned long ln, const char *where,
    const char *line, size_t len, size_t pos)
{
	char key[KEY_MAX], norm[RULES_VALUE_MAX + 1], msg[MSG_MAX];
	const struct setting *s;
	const char *name, *val;
	size_t nlen, vlen, i;

	if (!next_field(line, len, &pos, &name, &nlen) ||
	    !next_field(line, len, &pos, &val, &vlen))
		die_line(file, ln, "set needs a name and a value");
	if (!at_end(line, len, pos))
		die_line(file, ln, "set takes a name and one value "
		    "without blanks");
	if ((s = setting_find(name, nlen)) == NULL)
		die_line(file, ln, "unknown setting %.*s",
		    (int)(nlen > NAME_SHOWN ? NAME_SHOWN : nlen), name);
	i = table_index(setting_table, s, sizeof(*s));
	if (set_where[i] != NOWHERE)
		die_line(file, ln, "%s already set at %s", s->name,
		    arena_str(set_where[i]));
	if (setting_parse(s, val, vlen, NULL, norm, sizeof(norm), msg,
	    sizeof(msg)) == -1)
		die_line(file, ln, "set %s: %s", s->name, msg);
	set_where[i] = arena_add(where, strlen(where));

	(void)snprintf(key, sizeof(key), "s:%s", s->name);
	rec_add(key, strlen(key), norm, strlen(norm));
	(void)snprintf(key, sizeof(key), "o:s:%s", s->name);
	rec_add(key, strlen(key), where, strlen(where));
}

/*
 * An entry that is an IPv4 or IPv6 address, or a network ADDR/LEN, in
 * any list.  It is stored the way match_ip_key() in match.c builds its
 * lookup keys: the masked address as inet_ntop writes it, "/", the
 * length; IPv4 in IPv6 (::ffff:a.b.c.d) as IPv4.  Returns 1 with the key
 * in out, 0 when the entry is no address (a name: stored as it is), -1
 * with a message in *err for a malformed network.
 */
static int
net_entry(const char *e, size_t elen, char *out, size_t outlen,
    size_t *olen, int *v4, unsigned int *bits, const char **err)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	char buf[IPKEY_MAX], txt[INET6_ADDRSTRLEN];
	unsigned char ip[16];
	const char *slash;
	unsigned int len, max, i, b;
	size_t alen, j;
	int r;

	if (elen >= sizeof(buf))
		return 0;
	memcpy(buf, e, elen);
	buf[elen] = '\0';
	slash = memchr(buf, '/', elen);
	alen = slash != NULL ? (size_t)(slash - buf) : elen;
	buf[alen] = '\0';
	memset(ip, 0, sizeof(ip));
	if (inet_pton(AF_INET, buf, ip + 12) == 1) {
		memcpy(ip, mapped, sizeof(mapped));
		max = IP4_BITS;
		*v4 = 1;
	} else if (inet_pton(AF_INET6, buf, ip) == 1) {
		max = IP6_BITS;
		*v4 = 0;
	} else
		return 0;
	len = max;
	if (slash != NULL) {
		*err = max == IP4_BITS ? "network length must be 0 to 32" :
		    "network length must be 0 to 128";
		/* decimal digits only, at most three of them */
		len = 0;
		for (j = alen + 1; j < elen; j++) {
			if (e[j] < '0' || e[j] > '9' || j - alen > 3)
				return -1;
			len = len * 10 + (unsigned int)(e[j] - '0');
		}
		if (j == alen + 1 || len > max)
			return -1;
	}
	if (!*v4 && memcmp(ip, mapped, sizeof(mapped)) == 0 &&
	    len >= MAPPED_BITS) {
		*v4 = 1;
		len -= MAPPED_BITS;
	}
	/* host bits set: the administrator meant something else */
	b = *v4 ? len + MAPPED_BITS : len;
	for (i = 0; i < 16; i++, b = b >= 8 ? b - 8 : 0)
		if (b < 8 && (ip[i] & (0xff >> b)) != 0) {
			*err = "host bits set after the network length";
			return -1;
		}
	*err = "cannot format the address";
	if (*v4)
		r = inet_ntop(AF_INET, ip + 12, txt, sizeof(txt)) == NULL;
	else
		r = inet_ntop(AF_INET6, ip, txt, sizeof(txt)) == NULL;
	if (r != 0)
		return -1;
	r = snprintf(out, outlen, "%s/%u", txt, len);
	if (r < 0 || (size_t)r >= outlen)
		return -1;
	*olen = (size_t)r;
	*bits = len;
	return 1;
}

/*
 * A milter's socket: "inet:HOST:PORT" (an IPv4 address, or an IPv6 one
 * in brackets; a port 1-65535) or "unix:/PATH".  0, or -1 with err.
 */
static int
milter_entry(const char *e, size_t n, const char **err)
{
	char host[INET6_ADDRSTRLEN + 1];
	unsigned char bin[16];
	const char *colon;
	size_t hl, i;
	unsigned long port = 0;

	*err = "want inet:HOST:PORT (an address) or unix:/PATH";
	if (n > 6 && memcmp(e, "unix:/", 6) == 0)
		return 0;
	if (n < 5 || memcmp(e, "inet:", 5) != 0)
		return -1;
	e += 5;
	n -= 5;
	for (colon = NULL, i = 0; i < n; i++)
		if (e[i] == ':')
			colon = e + i;
	if (colon == NULL || colon + 1 == e + n)
		return -1;
	for (i = (size_t)(colon - e) + 1; i < n; i++) {
		if (e[i] < '0' || e[i] > '9' || port > 65535)
			return -1;
		port = port * 10 + (unsigned long)(e[i] - '0');
	}
	if (port == 0 || port > 65535)
		return -1;
	hl = (size_t)(colon - e);
	if (hl >= 2 && e[0] == '[' && e[hl - 1] == ']') {
		if (hl - 2 >= sizeof(host))
			return -1;
		memcpy(host, e + 1, hl - 2);
		host[hl - 2] = '\0';
		return inet_pton(AF_INET6, host, bin) == 1 ? 0 : -1;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, e, hl);
	host[hl] = '\0';
	return inet_pton(AF_INET, host, bin) == 1 ? 0 : -1;
}

/* The milters listed so far: each once (asking one twice makes no
 * sense), so that -d, which prints them in order, gives them back. */
static char	 milters[MILTER_MAX][RULES_ENTRY_MAX + 1];
static char	 milters_at[MILTER_MAX][KEY_MAX];

static void
milter_seen(const char *file, unsigned long ln, const char *where,
    const char *entry, size_t elen, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n && i < MILTER_MAX; i++)
		if (strlen(milters[i]) == elen &&
		    memcmp(milters[i], entry, elen) == 0)
			die_line(file, ln, "list milter: %.*s already listed "
			    "at %s", (int)elen, entry, milters_at[i]);
	if (n < MILTER_MAX) {
		memcpy(milters[n], entry, elen);
		milters[n][elen] = '\0';
		(void)snprintf(milters_at[n], sizeof(milters_at[n]), "%s",
		    where);
	}
}

static void
stmt_list(const char *file, unsigned long ln, const char *where,
    const char *line, size_t len, size_t pos)
{
	char key[KEY_MAX], net[IPKEY_MAX];
	const char *name, *entry, *err;
	size_t nlen, elen, klen, i, li;
	unsigned int bits;
	int v4, r;

	if (!next_field(line, len, &pos, &name, &nlen) ||
	    !next_field(line, len, &pos, &entry, &elen))
		die_line(file, ln, "list needs a name and an entry");
	if (!at_end(line, len, pos))
		die_line(file, ln, "list takes a name and one entry "
		    "without blanks");
	renamed(file, ln, RENAME_LIST, &name, &nlen);
	if (!list_known(name, nlen))
		die_line(file, ln, "unknown list %.*s",
		    (int)(nlen > NAME_SHOWN ? NAME_SHOWN : nlen), name);
	if (elen > RULES_ENTRY_MAX)
		die_line(file, ln, "list entry longer than %d bytes",
		    RULES_ENTRY_MAX);
	if (nlen > sizeof(key) - 3 - RULES_ENTRY_MAX)
		die_line(file, ln, "list name too long");
	/* networks only in network lists, addresses and names in mixed
	 * ones; names stay names elsewhere */
	r = 0;
	if (list_is_net(name, nlen) || list_is_mixed(name, nlen)) {
		r = net_entry(entry, elen, net, sizeof(net), &elen, &v4,
		    &bits, &err);
		if (r == 0 && list_is_net(name, nlen))
			die_line(file, ln, "list %.*s takes addresses or "
			    "networks (ADDR or ADDR/LEN)", (int)nlen, name);
	}
	if (r == -1)
		die_line(file, ln, "list %.*s: %s", (int)nlen, name, err);
	counts[list_index(name, nlen)]++;
	if (list_is_enum(name, nlen)) {
		struct dnslist_entry de;
		char val[RULES_ENTRY_MAX + KEY_MAX];
		int vl;

		int milter = nlen == 6 && memcmp(name, "milter", 6) == 0;

		if (milter && milter_entry(entry, elen, &err) == -1)
			die_line(file, ln, "list milter: %s", err);
		if (milter && counts[list_index(name, nlen)] > MILTER_MAX)
			die_line(file, ln, "list milter: at most %d milters",
			    MILTER_MAX);
		if (milter)
			milter_seen(file, ln, where, entry, elen,
			    counts[list_index(name, nlen)] - 1);
		if (!milter && dnslist_parse(entry, elen, &de, &err) == -1)
			die_line(file, ln, "list %.*s: %s", (int)nlen, name,
			    err);
		/* only dnsbl adds up scores */
		if (!milter && de.weighted &&
		    (nlen != 5 || memcmp(name, "dnsbl", 5) != 0))
			die_line(file, ln, "list %.*s takes ZONE[=FILTER], no "
			    "weight", (int)nlen, name);
		klen = (size_t)snprintf(key, sizeof(key), "e:%.*s:%lu",
		    (int)nlen, name, counts[list_index(name, nlen)] - 1);
		vl = snprintf(val, sizeof(val), "%.*s %s", (int)elen, entry,
		    where);
		if (vl < 0 || (size_t)vl >= sizeof(val))
			die_line(file, ln, "list entry too long");
		/* a milter's socket path keeps its case */
		for (i = 0; i < elen && !milter; i++)
			val[i] = (char)lower((unsigned char)val[i]);
		rec_add(key, klen, val, (size_t)vl);
	}
	if (r == 1) {
		entry = net;
		li = list_index(name, nlen);
		if (v4)
			lens4[li][bits] = 1;
		else
			lens6[li][bits] = 1;
	}
	klen = 0;
	key[klen++] = 'l';
	key[klen++] = ':';
	memcpy(key + klen, name, nlen);
	klen += nlen;
	key[klen++] = ':';
	for (i = 0; i < elen; i++)
		key[klen++] = (char)lower((unsigned char)entry[i]);
	/* a duplicate entry is dropped after sorting; the first one stays */
	rec_add(key, klen, where, strlen(where));
}

/* Append the lengths set in used[0..max], longest first, as "v4:32,24". */
static size_t
lens_text(char *val, size_t size, size_t n, const char *fam,
    const unsigned char *used, unsigned int max)
{
	unsigned int b;
	int first = 1, r;

	for (b = max + 1; b-- > 0; ) {
		if (!used[b])
			continue;
		r = snprintf(val + n, size - n, "%s%s%u",
		    first ? (n == 0 ? "" : " ") : ",", first ? fam : "", b);
		if (r < 0 || (size_t)r >= size - n)
			return size;
		n += (size_t)r;
		first = 0;
	}
	return n;
}

/*
 * "n:LIST" -> "v4:32,24 v6:64": the prefix lengths in use in a network
 * list, so that lookups try only those.  Left out when it would not fit
 * what match.c reads; lookups then try every length.
 */
static void
add_lens(void)
{
	char key[KEY_MAX], val[LENS_MAX];
	size_t i, n;

	for (i = 0; list_table[i] != NULL; i++) {
		if (counts[i] > 0) {
			/* "c:LIST": entries in the source, so a check can
			 * tell an empty list from an entry not found */
			(void)snprintf(key, sizeof(key), "c:%s",
			    list_table[i]);
			n = (size_t)snprintf(val, sizeof(val), "%lu",
			    counts[i]);
			rec_add(key, strlen(key), val, n);
		}
		n = lens_text(val, sizeof(val), 0, "v4:", lens4[i], IP4_BITS);
		if (n < sizeof(val))
			n = lens_text(val, sizeof(val), n, "v6:", lens6[i],
			    IP6_BITS);
		if (n == 0 || n > LENS_VALUE_MAX)
			continue;
		(void)snprintf(key, sizeof(key), "n:%s", list_table[i]);
		rec_add(key, strlen(key), val, n);
	}
}

/* Overrides keep the class of the default, and 421 means "we close". */
static void
check_reply_class(const char *file, unsigned long ln,
    const struct reply_default *r, const char *val)
{
	int close_dflt, close_new;

	/* the greeting is 220 and the go-ahead 354, whatever the text */
	if (r->esc[0] == '\0' && strncmp(val, r->code, 3) != 0)
		die_line(file, ln, "reply %s: code must be %s", r->name,
		    r->code);
	if (val[0] != r->code[0])
		die_line(file, ln, "reply %s: code %.3s is not of the class "
		    "%cxx of its default %s", r->name, val, r->code[0],
		    r->code);
	close_dflt = strcmp(r->code, "421") == 0;
	close_new = strncmp(val, "421", 3) == 0;
	if (close_dflt && !close_new)
		die_line(file, ln, "reply %s: code must stay 421, the "
		    "connection is closed after it", r->name);
	if (!close_dflt && close_new)
		die_line(file, ln, "reply %s: 421 is only for replies that "
		    "close the connection", r->name);
}

static void
stmt_reply(const char *file, unsigned long ln, const char *where,
    const char *line, size_t len, size_t pos)
{
	char key[KEY_MAX], val[LINE_MAX_RULES + 1], msg[MSG_MAX];
	const struct reply_default *r;
	const char *name, *code, *esc, *text;
	size_t nlen, clen, elen, tlen, vlen, i;

	if (!next_field(line, len, &pos, &name, &nlen) ||
	    !next_field(line, len, &pos, &code, &clen) ||
	    !next_field(line, len, &pos, &esc, &elen))
		die_line(file, ln, "reply needs a name, a code, an enhanced "
		    "status code and a text");
	while (pos < len && isblank_rules((unsigned char)line[pos]))
		pos++;
	text = line + pos;
	tlen = len - pos;
	renamed(file, ln, RENAME_REPLY, &name, &nlen);
	if ((r = reply_find(name, nlen)) == NULL)
		die_line(file, ln, "unknown reply %.*s",
		    (int)(nlen > NAME_SHOWN ? NAME_SHOWN : nlen), name);
	i = table_index(reply_table, r, sizeof(*r));
	if (reply_where[i] != NOWHERE)
		die_line(file, ln, "reply %s already set at %s", r->name,
		    arena_str(reply_where[i]));

	/*
	 * The greeting and 354 carry no enhanced status code (RFC 2034):
	 * their overrides are "CODE TEXT", the text running from the third
	 * field to the end of the line as written.
	 */
	if (r->esc[0] == '\0') {
		tlen = len - (size_t)(esc - line);
		text = esc;
		elen = 0;
	}
	/* "CODE ESC TEXT" is never longer than the line it came from */
	vlen = 0;
	memcpy(val, code, clen);
	vlen += clen;
	val[vlen++] = ' ';
	memcpy(val + vlen, esc, elen);
	vlen += elen;
	if (tlen > 0) {
		if (elen > 0)
			val[vlen++] = ' ';
		memcpy(val + vlen, text, tlen);
		vlen += tlen;
	}
	val[vlen] = '\0';
	if (r->esc[0] == '\0') {
		if (reply_text_valid(val, vlen, msg, sizeof(msg)) == -1)
			die_line(file, ln, "reply %s: %s", r->name, msg);
	} else if (reply_valid(val, vlen, msg, sizeof(msg)) == -1)
		die_line(file, ln, "reply %s: %s", r->name, msg);
	if (vlen > RULES_VALUE_MAX)
		die_line(file, ln, "reply %s: longer than %d bytes", r->name,
		    RULES_VALUE_MAX);
	check_reply_class(file, ln, r, val);
	reply_where[i] = arena_add(where, strlen(where));

	(void)snprintf(key, sizeof(key), "r:%s", r->name);
	rec_add(key, strlen(key), val, vlen);
}

/*
 * filter NAME [OPTION=VALUE ...] /PATH [ARG ...]: "f:N" -> its fields,
 * one space between them, "fw:N" -> file:line, "fc" -> how many.
 */
static unsigned long	nfilters;
static char		filter_names[FILTER_MAX][FILTER_NAME_MAX + 1];

static void
stmt_filter(const char *file, unsigned long ln, const char *where,
    const char *line, size_t len, size_t pos)
{
	static struct filter_spec f;
	char key[KEY_MAX], msg[MSG_MAX];
	unsigned long i;
	size_t k;

	if (filter_parse(line + pos, len - pos, &f, msg, sizeof(msg)) == -1)
		die_line(file, ln, "filter: %s", msg);
	for (i = 0; i < nfilters; i++)
		if (strcmp(filter_names[i], f.name) == 0)
			die_line(file, ln, "filter %s given twice", f.name);
	if (nfilters == FILTER_MAX)
		die_line(file, ln, "more than %d filters", FILTER_MAX);
	memcpy(filter_names[nfilters], f.name, strlen(f.name) + 1);
	for (k = 0; k < f.textlen; k++)
		if (f.text[k] == '\0')
			f.text[k] = ' ';
	(void)snprintf(key, sizeof(key), "f:%lu", nfilters);
	rec_add(key, strlen(key), f.text, f.textlen);
	(void)snprintf(key, sizeof(key), "fw:%lu", nfilters);
	rec_add(key, strlen(key), where, strlen(where));
	nfilters++;
}

/*
 * content NAME [OPTION=VALUE ...] TARGET ACTION /PATTERN/ [TEXT]:
 * "k:N" -> the statement, "kw:N" -> file:line, "kh:N" -> a header
 * rule's field, "kc" -> how many; the patterns are compiled at the end
 * (compile_patterns), by smtpfront-scan.
 */
static unsigned long	ncontent;
static size_t		*content_off;	/* arena: "ID TARGET PATTERN" */
static size_t		*content_where;
static size_t		 acontent_off, acontent_where;
#ifndef SMTPFRONT_CDB_FUZZ
static const char	*self = PROG;	/* argv[0]: smtpfront-scan is beside */
#endif

static void
stmt_content(const char *file, unsigned long ln, const char *where,
    const char *line, size_t len, size_t pos)
{
	static struct content_rule r;
	char key[KEY_MAX], msg[MSG_MAX], buf[CONTENT_STMT_MAX + 32];
	const char *opt[6], *val[6];
	size_t o;
	int n, i;

	if (content_parse(line + pos, len - pos, &r, msg, sizeof(msg)) == -1)
		die_line(file, ln, "content: %s", msg);
	if (ncontent == CONTENT_MAX)
		die_line(file, ln, "more than %d content rules", CONTENT_MAX);
	content_off = grow(content_off, ncontent, &acontent_off,
	    sizeof(*content_off), CONTENT_MAX);
	content_where = grow(content_where, ncontent, &acontent_where,
	    sizeof(*content_where), CONTENT_MAX);
	n = snprintf(buf, sizeof(buf), "%lu %d %s", ncontent, (int)r.target,
	    r.pattern);
	if (n < 0 || (size_t)n >= sizeof(buf))
		die_line(file, ln, "content: pattern too long");
	content_off[ncontent] = arena_add(buf, (size_t)n);
	content_where[ncontent] = arena_add(where, strlen(where));
	/* what smtpfront reads: the statement without its pattern */
	opt[0] = "only_client", val[0] = r.scope.only_client;
	opt[1] = "skip_client", val[1] = r.scope.skip_client;
	opt[2] = "only_sender", val[2] = r.scope.only_sender;
	opt[3] = "skip_sender", val[3] = r.scope.skip_sender;
	opt[4] = "only_rcpt", val[4] = r.scope.only_rcpt;
	opt[5] = "skip_rcpt", val[5] = r.scope.skip_rcpt;
	o = (size_t)snprintf(buf, sizeof(buf), "%s", r.name);
	for (i = 0; i < 6; i++)
		if (val[i][0] != '\0' && o < sizeof(buf))
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			    " %s=%s", opt[i], val[i]);
	if (o < sizeof(buf))
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, " %s%s%s %s /x/%s%s",
		    content_target_name[r.target],
		    r.target == CONTENT_HEADER ? ":" : "", r.field,
		    content_action_name[r.action], r.reply[0] ? " " : "",
		    r.reply);
	if (o >= RULES_VALUE_MAX)
		die_line(file, ln, "content: its options and text are longer "
		    "than %d bytes", RULES_VALUE_MAX - 1);
	(void)snprintf(key, sizeof(key), "k:%lu", ncontent);
	rec_add(key, strlen(key), buf, o);
	(void)snprintf(key, sizeof(key), "kw:%lu", ncontent);
	rec_add(key, strlen(key), where, strlen(where));
	if (r.target == CONTENT_HEADER) {
		(void)snprintf(key, sizeof(key), "kh:%lu", ncontent);
		rec_add(key, strlen(key), r.field, strlen(r.field));
	}
	ncontent++;
}

#ifndef SMTPFRONT_CDB_FUZZ
/* smtpfront-scan beside us (our argv[0]), else on $PATH. */
static void
scan_program(char *prog, size_t size)
{
	const char *slash = strrchr(self, '/');
	size_t d = slash != NULL ? (size_t)(slash - self) + 1 : 0;

	if (d + sizeof("smtpfront-scan") > size)
		d = 0;
	memcpy(prog, self, d);
	memcpy(prog + d, "smtpfront-scan", sizeof("smtpfront-scan"));
}

/*
 * The patterns, compiled once by smtpfront-scan -c into the databases
 * "hs:TARGET"; a pattern Hyperscan refuses is an error at its line.
 */
static void
compile_patterns(void)
{
	/* static: reachable until exit, as the arena */
	static stralloc out;
	char prog[PATH_MAX], *argv[3], head[128], *sp, *end;
	int pin[2], pout[2], fail, st;
	unsigned long i, id;
	size_t pos, n, klen;
	ssize_t r;
	pid_t pid;
	FILE *w;

	if (ncontent == 0)
		return;
	out.len = 0;
	scan_program(prog, sizeof(prog));
	argv[0] = prog;
	argv[1] = (char *)"-c";
	argv[2] = NULL;
	if (proc_pipe(pin, 0) == -1 || proc_pipe(pout, 0) == -1)
		die_sys("unable to make a pipe");
	pid = proc_spawn(argv, NULL, pin[0], pout[1], -1, &fail);
	(void)close(pin[0]);
	(void)close(pout[1]);
	if (pid == -1)
		die_sys("content rules: unable to run %s (built without "
		    "Hyperscan?)", prog);
	/* it reads every line before it writes */
	if ((w = fdopen(pin[1], "w")) == NULL)
		die_sys("unable to write to %s", prog);
	for (i = 0; i < ncontent; i++)
		fprintf(w, "%s\n", arena_str(content_off[i]));
	if (fclose(w) != 0)
		die_sys("unable to write to %s", prog);
	for (;;) {
		if (!stralloc_readyplus(&out, 65536))
			die_nomem();
		r = read(pout[0], out.s + out.len, 65536);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			die_sys("unable to read from %s", prog);
		if (r == 0)
			break;
		out.len += (size_t)r;
	}
	(void)close(pout[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (!stralloc_0(&out))
		die_nomem();
	if (out.len > 6 && memcmp(out.s, "error ", 6) == 0) {
		id = strtoul(out.s + 6, &end, 10);
		if ((sp = strchr(out.s, '\n')) != NULL)
			*sp = '\0';
		if (end != out.s + 6 && id < ncontent) {
			const char *wh = arena_str(content_where[id]);
			const char *colon = strrchr(wh, ':');

			die_line(colon != NULL ? wh : "?", colon != NULL ?
			    strtoul(colon + 1, NULL, 10) : 0,
			    "content: pattern refused by Hyperscan: %s",
			    *end == ' ' ? end + 1 : end);
		}
		die_sys("content rules: %s: %s", prog, out.s);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die_sys("content rules: %s failed (exit %d)", prog,
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	/* "hs:NAME LENGTH\n" and the bytes, for each target */
	for (pos = 0; pos + 1 < out.len; pos += n) {
		sp = memchr(out.s + pos, '\n', out.len - pos - 1);
		if (sp == NULL || (size_t)(sp - out.s - pos) >= sizeof(head))
			die_sys("content rules: %s said nonsense", prog);
		klen = (size_t)(sp - out.s - pos);
		memcpy(head, out.s + pos, klen);
		head[klen] = '\0';
		if ((end = strchr(head, ' ')) == NULL)
			die_sys("content rules: %s said nonsense", prog);
		*end = '\0';
		n = (size_t)strtoul(end + 1, NULL, 10);
		pos += klen + 1;
		if (n > out.len - 1 - pos || strncmp(head, "hs:", 3) != 0)
			die_sys("content rules: %s said nonsense", prog);
		rec_add(head, strlen(head), out.s + pos, n);
	}
	(void)snprintf(head, sizeof(head), "%lu", ncontent);
	rec_add("kc", 2, head, strlen(head));
}
#else
static void
compile_patterns(void)
{
	char val[32];

	if (ncontent > 0) {
		(void)snprintf(val, sizeof(val), "%lu", ncontent);
		rec_add("kc", 2, val, strlen(val));
	}
}
#endif

static void
compile_line(const char *file, unsigned long ln, char *line, size_t len)
{
	char where[RULE_MAX + 1];
	const char *kw;
	size_t pos, klen, i;
	int r;

	while (len > 0 && isblank_rules((unsigned char)line[len - 1]))
		line[--len] = '\0';
	for (pos = 0; pos < len && isblank_rules((unsigned char)line[pos]);
	    pos++)
		;
	if (pos == len || line[pos] == '#')
		return;
	for (i = pos; i < len; i++)
		if (line[i] != '\t' && ((unsigned char)line[i] < 32 ||
		    (unsigned char)line[i] > 126))
			die_line(file, ln, "control or 8-bit character in "
			    "column %zu", i + 1);

	r = snprintf(where, sizeof(where), "%s:%lu", file, ln);
	if (r < 0 || (size_t)r >= sizeof(where))
		die_line(file, ln, "file name too long to name a rule "
		    "(%d bytes with the line number)", RULE_MAX);

	(void)next_field(line, len, &pos, &kw, &klen);
	if (klen == 3 && memcmp(kw, "set", 3) == 0)
		stmt_set(file, ln, where, line, len, pos);
	else if (klen == 4 && memcmp(kw, "list", 4) == 0)
		stmt_list(file, ln, where, line, len, pos);
	else if (klen == 5 && memcmp(kw, "reply", 5) == 0)
		stmt_reply(file, ln, where, line, len, pos);
	else if (klen == 6 && memcmp(kw, "filter", 6) == 0)
		stmt_filter(file, ln, where, line, len, pos);
	else if (klen == 7 && memcmp(kw, "content", 7) == 0)
		stmt_content(file, ln, where, line, len, pos);
	else
		die_line(file, ln, "unknown statement %.*s (expected set, "
		    "list, reply, filter or content)",
		    (int)(klen > NAME_SHOWN ? NAME_SHOWN : klen), kw);
}

/* Every line of f, named file in messages and origins. */
static void
compile_stream(FILE *f, const char *file)
{
	char line[LINE_MAX_RULES + 1];
	unsigned long ln = 0;
	size_t len;
	int r;

	for (;;) {
		ln++;
		r = read_line(f, file, line, sizeof(line), &len);
		if (r == LINE_EOF)
			break;
		if (r == LINE_LONG)
			die_line(file, ln, "line longer than %d bytes",
			    LINE_MAX_RULES);
		if (r == LINE_NUL)
			die_line(file, ln, "NUL byte in line");
		compile_line(file, ln, line, len);
	}
}

static void
compile_file(const char *file)
{
	FILE *f;
	int fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		die_sys("unable to open %s", file);
	if ((f = fdopen(fd, "r")) == NULL)
		die_sys("unable to read %s", file);
	compile_stream(f, file);
	(void)fclose(f);
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(paths.s + *(const size_t *)a,
	    paths.s + *(const size_t *)b);
}

static int
skip_name(const char *name)
{
	size_t n;

	n = strlen(name);
	return n == 0 || name[0] == '.' || name[n - 1] == '~';
}

/* Every regular file of dir, in byte order of the names. */
static void
compile_dir(const char *dir)
{
	struct dirent *d;
	struct stat st;
	size_t afiles = 0, dlen, i;
	const char *path;
	DIR *dp;

	dlen = strlen(dir);
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	if ((dp = opendir(dir)) == NULL)
		die_sys("unable to open directory %s", dir);
	for (;;) {
		errno = 0;
		if ((d = readdir(dp)) == NULL) {
			if (errno != 0)
				die_sys("unable to read directory %s", dir);
			break;
		}
		if (skip_name(d->d_name))
			continue;
		files = grow(files, nfiles, &afiles, sizeof(*files), FILES_MAX);
		files[nfiles++] = paths.len;
		if (!stralloc_catb(&paths, dir, dlen) ||
		    (dir[dlen - 1] != '/' && !stralloc_append(&paths, "/")) ||
		    !stralloc_cats(&paths, d->d_name) || !stralloc_0(&paths))
			die_nomem();
	}
	(void)closedir(dp);
	if (nfiles > 0)
		qsort(files, nfiles, sizeof(*files), path_cmp);
	/* paths is complete: its strings do not move while compiling */
	for (i = 0; i < nfiles; i++) {
		path = paths.s + files[i];
		if (stat(path, &st) == -1)
			die_sys("unable to stat %s", path);
		if (S_ISREG(st.st_mode))
			compile_file(path);
	}
}

/* The tables of what the source has set, before its first line. */
static void
compile_start(void)
{
	nfilters = 0;
	ncontent = 0;
	set_where = calloc(count_settings() + 1, sizeof(*set_where));
	reply_where = calloc(count_replies() + 1, sizeof(*reply_where));
	lens4 = calloc(count_lists() + 1, sizeof(*lens4));
	lens6 = calloc(count_lists() + 1, sizeof(*lens6));
	counts = calloc(count_lists() + 1, sizeof(*counts));
	if (set_where == NULL || reply_where == NULL || lens4 == NULL ||
	    lens6 == NULL || counts == NULL)
		die_nomem();
}

/* After the last line: the derived records, and all of them sorted. */
static void
compile_end(void)
{
	char val[32];
	int n;

	add_lens();
	compile_patterns();
	if (nfilters > 0) {
		n = snprintf(val, sizeof(val), "%lu", nfilters);
		rec_add("fc", 2, val, (size_t)n);
	}

	if (nrecs > 0)
		qsort(recs, nrecs, sizeof(*recs), rec_cmp);
}

static void
compile_source(const char *src)
{
	struct stat st;

	compile_start();
	if (stat(src, &st) == -1)
		die_sys("unable to open %s", src);
	if (S_ISDIR(st.st_mode))
		compile_dir(src);
	else
		compile_file(src);
	compile_end();
}

static void
add_or_die(const char *name, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	if (cdb_make_add(&cm, (const unsigned char *)key, klen,
	    (const unsigned char *)val, vlen) == -1)
		die_sys("unable to write %s", name);
}

/* The sorted records, as a CDB on fd (named name in messages). */
static void
write_records(int fd, const char *name)
{
	size_t i;

	if (cdb_make_start(&cm, fd) == -1)
		die_sys("unable to write %s", name);
	add_or_die(name, "v", 1, RULES_VERSION, sizeof(RULES_VERSION) - 1);
	for (i = 0; i < nrecs; i++) {
		/* equal keys are adjacent after sorting: keep the first */
		if (i > 0 && recs[i].klen == recs[i - 1].klen &&
		    memcmp(arena_str(recs[i].koff), arena_str(recs[i - 1].koff),
		    recs[i].klen) == 0)
			continue;
		add_or_die(name, arena_str(recs[i].koff), recs[i].klen,
		    arena_str(recs[i].voff), recs[i].vlen);
	}
	if (cdb_make_finish(&cm) == -1)
		die_sys("unable to write %s", name);
}

/* Directory part of path, for the fsync that makes the rename durable. */
static void
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	size_t n;
	int fd;

	n = strlen(path);
	while (n > 0 && path[n - 1] != '/')
		n--;
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0) {
		dir[n++] = '.';
	} else if (n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		die_sys("unable to sync the directory of %s", path);
	} else
		memcpy(dir, path, n);
	dir[n] = '\0';
	if ((fd = open(dir, O_RDONLY | O_CLOEXEC)) == -1)
		die_sys("unable to open directory %s", dir);
	/* some file systems cannot sync a directory; that is no error */
	if (fsync(fd) == -1 && errno != EINVAL && errno != EROFS)
		die_sys("unable to sync directory %s", dir);
	(void)close(fd);
}

static void
write_db(const char *out)
{
	size_t olen;
	int fd, r;

	olen = strlen(out);
	r = snprintf(tmpname, sizeof(tmpname), "%s.tmp.%ld", out,
	    (long)getpid());
	if (r < 0 || (size_t)r >= sizeof(tmpname) || olen == 0) {
		errno = ENAMETOOLONG;
		die_sys("unable to create a temporary file for %s", out);
	}
	/* a leftover of an earlier run with our pid is ours to replace */
	if (unlink(tmpname) == -1 && errno != ENOENT)
		die_sys("unable to remove %s", tmpname);
	fd = open(tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1)
		die_sys("unable to create %s", tmpname);
	tmpmade = 1;
	write_records(fd, tmpname);
	if (fsync(fd) == -1)
		die_sys("unable to sync %s", tmpname);
	if (close(fd) == -1)
		die_sys("unable to write %s", tmpname);
	if (rename(tmpname, out) == -1)
		die_sys("unable to rename %s to %s", tmpname, out);
	tmpmade = 0;
	sync_dir(out);
}

/* Dump: bytes outside printable ASCII become '?'. */
static void
put_printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		putc((unsigned char)s[i] < 32 || (unsigned char)s[i] > 126 ?
		    '?' : s[i], dump_file());
}

enum {
	PASS_SET,
	PASS_LIST,
	PASS_REPLY,
	PASS_OTHER,
	PASSES
};

static int
has_prefix(const char *key, size_t klen, const char *p)
{
	size_t n = strlen(p);

	return klen >= n && memcmp(key, p, n) == 0;
}

static void
dump_record(int pass, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	const char *colon;

	if (has_prefix(key, klen, "s:")) {
		if (pass != PASS_SET)
			return;
		fputs("set ", dump_file());
		put_printable(key + 2, klen - 2);
		putc(' ', dump_file());
		put_printable(val, vlen);
		putc('\n', dump_file());
	} else if (has_prefix(key, klen, "e:milter:")) {
		/* the milters in their order, as written: from "e:" */
		if (pass != PASS_LIST ||
		    (colon = memrchr(val, ' ', vlen)) == NULL)
			return;
		fputs("list milter ", dump_file());
		put_printable(val, (size_t)(colon - val));
		putc('\n', dump_file());
	} else if (has_prefix(key, klen, "l:milter:")) {
		return;
	} else if (has_prefix(key, klen, "l:") &&
	    (colon = memchr(key + 2, ':', klen - 2)) != NULL) {
		if (pass != PASS_LIST)
			return;
		fputs("list ", dump_file());
		put_printable(key + 2, (size_t)(colon - (key + 2)));
		putc(' ', dump_file());
		put_printable(colon + 1, klen - (size_t)(colon + 1 - key));
		putc('\n', dump_file());
	} else if (has_prefix(key, klen, "r:")) {
		if (pass != PASS_REPLY)
			return;
		fputs("reply ", dump_file());
		put_printable(key + 2, klen - 2);
		putc(' ', dump_file());
		put_printable(val, vlen);
		putc('\n', dump_file());
	} else if (has_prefix(key, klen, "o:") ||
	    has_prefix(key, klen, "n:") || has_prefix(key, klen, "c:") ||
	    has_prefix(key, klen, "e:") ||
	    (klen == 1 && key[0] == 'v')) {
		/* origins, lengths, counts and the version follow from the
		 * source */
		return;
	} else if (pass == PASS_OTHER) {
		fputs("# unknown key ", dump_file());
		put_printable(key, klen);
		putc('\n', dump_file());
	}
}

/* The database on fd (named db in messages) as rules source. */
static void
dump_fd(int fd, const char *db)
{
	char key[KEY_MAX], val[RULES_VALUE_MAX + 1];
	struct cdb c;
	uint32 kpos, last;
	size_t klen, vlen;
	int f, pass;

	memset(&c, 0, sizeof(c));
	cdb_init(&c, fd);
	f = cdb_find(&c, (const unsigned char *)"v", 1);
	/* EPROTO: the file is too short or garbled to be a CDB at all */
	if (f == -1 && errno != EPROTO)
		die_sys("unable to read %s", db);
	vlen = f == 1 ? cdb_datalen(&c) : 0;
	if (f != 1 || vlen != sizeof(RULES_VERSION) - 1 ||
	    cdb_read(&c, (unsigned char *)val, vlen, cdb_datapos(&c)) == -1 ||
	    memcmp(val, RULES_VERSION, vlen) != 0)
		die_bad("%s: not a %s database", db, RULES_VERSION);

	fprintf(dump_file(), "# %s\n", RULES_VERSION);
	for (pass = 0; pass < PASSES; pass++) {
		last = 0;
		for (f = cdb_firstkey(&c, &kpos); f == 1;
		    f = cdb_nextkey(&c, &kpos)) {
			/* a corrupt file must not make us loop for ever */
			if (kpos <= last) {
				errno = EPROTO;
				die_sys("unable to read %s", db);
			}
			last = kpos;
			klen = cdb_keylen(&c);
			vlen = cdb_datalen(&c);
			if (klen > sizeof(key) || vlen > sizeof(val) - 1)
				die_bad("%s: record longer than a rules "
				    "database allows", db);
			if (cdb_read(&c, (unsigned char *)key, klen,
			    cdb_keypos(&c)) == -1 ||
			    cdb_read(&c, (unsigned char *)val, vlen,
			    cdb_datapos(&c)) == -1)
				die_sys("unable to read %s", db);
			dump_record(pass, key, klen, val, vlen);
		}
		if (f == -1)
			die_sys("unable to read %s", db);
	}
	cdb_free(&c);
	if (fflush(dump_file()) == EOF || ferror(dump_file()))
		die_sys("unable to write output");
}

static void
dump_db(const char *db)
{
	int fd;

	if ((fd = open(db, O_RDONLY | O_CLOEXEC)) == -1)
		die_sys("unable to open %s", db);
	dump_fd(fd, db);
	(void)close(fd);
}

#ifdef SMTPFRONT_CDB_FUZZ
/* Back to the state before compile_start(), for the next run. */
static void
reset(void)
{
	struct cdb_hplist *next;

	memset(warned, 0, sizeof(warned));
	stralloc_free(&arena);
	free(recs);
	recs = NULL;
	nrecs = arecs = 0;
	free(set_where);
	free(reply_where);
	free(lens4);
	free(lens6);
	free(counts);
	set_where = reply_where = NULL;
	lens4 = NULL;
	lens6 = NULL;
	counts = NULL;
	stralloc_free(&paths);
	free(files);
	files = NULL;
	nfiles = 0;
	/* cdb_make keeps its hash lists and table space until exit */
	while (cm.head != NULL) {
		next = cm.head->next;
		free(cm.head);
		cm.head = next;
	}
	free(cm.split);
	memset(&cm, 0, sizeof(cm));
	tmpname[0] = '\0';
	tmpmade = 0;
	errout = dumpout = NULL;
	fuzz_armed = 0;
}

/*
 * Compile the source read from in, named file, and write the database to
 * dbfd unless it is -1; messages go to err.  Returns the exit code the
 * program would have had: 0, EXIT_BAD or EXIT_SYS.
 */
int
smtpfront_cdb_compile(FILE *in, const char *file, int dbfd, FILE *err)
{
	int rc;

	errout = err;
	if ((rc = setjmp(fuzz_jmp)) == 0) {
		fuzz_armed = 1;
		compile_start();
		compile_stream(in, file);
		compile_end();
		if (dbfd != -1)
			write_records(dbfd, file);
	}
	reset();
	return rc;
}

/* -d: the database on fd as rules source to out; the same exit codes. */
int
smtpfront_cdb_dump(int fd, const char *db, FILE *out, FILE *err)
{
	int rc;

	errout = err;
	dumpout = out;
	if ((rc = setjmp(fuzz_jmp)) == 0) {
		fuzz_armed = 1;
		dump_fd(fd, db);
	}
	reset();
	return rc;
}

#else

int
main(int argc, char **argv)
{
	int c, dflag = 0, nflag = 0;

	self = argv[0];
	while ((c = getopt(argc, argv, "dn")) != -1) {
		switch (c) {
		case 'd':
			dflag = 1;
			break;
		case 'n':
			nflag = 1;
			break;
		default:
			usage();
			/* NOTREACHED */
		}
	}
	argc -= optind;
	argv += optind;

	if (dflag) {
		if (nflag || argc != 1)
			usage();
		dump_db(argv[0]);
		return 0;
	}
	if (argc != 2 && !(nflag && argc == 1))
		usage();
	compile_source(argv[0]);
	if (!nflag)
		write_db(argv[1]);
	return 0;
}
#endif
