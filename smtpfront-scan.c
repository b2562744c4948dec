/*
 * smtpfront-scan: the content rules' patterns, compiled and matched with
 * Hyperscan, in a program of its own: Hyperscan is a C++ library built
 * against glibc (smtpfront is a static musl program) and needs SSSE3.
 *
 *   smtpfront-scan -c
 *	compile (smtpfront-cdb): lines "ID TARGET PATTERN" on standard
 *	input (TARGET 0-3, content.h's order), the serialized databases
 *	on standard output, each "hs:NAME LENGTH\n" and its bytes; exit 0.
 *	A pattern Hyperscan refuses: "error ID MESSAGE" and exit 100.
 *   smtpfront-scan -f FD
 *	scan (smtpfront, one message): the rules database is open on FD;
 *	the message on standard input, as it comes (CRLF lines); at its
 *	end, "match ID" for each rule whose pattern matched where it
 *	looks, then "end BYTES"; exit 0.  Anything wrong: "error TEXT",
 *	exit 111 (smtpfront then applies content_tempfail_action).
 *
 * Matching is Hyperscan's: time linear in the input whatever the
 * pattern, memory fixed by the databases (stream state and scratch
 * allocated once).  Headers, part names and the body come from mime.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <cdb.h>
#include <hs/hs.h>
#include "content.h"
#include "mime.h"

#define PROG		"smtpfront-scan"
#define EXIT_BAD	100
#define EXIT_FAIL	111
#define LINE_MAX_IN	(CONTENT_STMT_MAX + 64)
#define READ_BUF	65536

static void __attribute__((noreturn))
die(int code, const char *what, const char *why)
{
	printf("error %s%s%s\n", what, why[0] ? ": " : "", why);
	fflush(stdout);
	exit(code);
}

/* --- compile --------------------------------------------------------- */

struct plist {
	char		**pat;
	unsigned int	*flags;
	unsigned int	*ids;
	unsigned int	 n;
};

static int
compile(void)
{
	static struct plist pl[CONTENT_TARGETS];
	static char line[LINE_MAX_IN + 2];
	unsigned int t, id;
	hs_database_t *db;
	hs_compile_error_t *ce;
	char *p, *end, *ser;
	size_t n, sl;
	int mode;

	for (t = 0; t < CONTENT_TARGETS; t++) {
		pl[t].pat = calloc(CONTENT_MAX, sizeof(char *));
		pl[t].flags = calloc(CONTENT_MAX, sizeof(unsigned int));
		pl[t].ids = calloc(CONTENT_MAX, sizeof(unsigned int));
		if (pl[t].pat == NULL || pl[t].flags == NULL ||
		    pl[t].ids == NULL)
			die(EXIT_FAIL, "no memory", "");
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		n = strlen(line);
		if (n == 0 || line[n - 1] != '\n')
			die(EXIT_BAD, "line too long", "");
		line[n - 1] = '\0';
		errno = 0;
		id = (unsigned int)strtoul(line, &end, 10);
		if (end == line || *end != ' ' || id >= CONTENT_MAX)
			die(EXIT_BAD, "bad line", line);
		t = (unsigned int)strtoul(end + 1, &p, 10);
		if (p == end + 1 || *p != ' ' || t >= CONTENT_TARGETS ||
		    pl[t].n >= CONTENT_MAX)
			die(EXIT_BAD, "bad line", line);
		if ((pl[t].pat[pl[t].n] = strdup(p + 1)) == NULL)
			die(EXIT_FAIL, "no memory", "");
		pl[t].flags[pl[t].n] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH |
		    (t == CONTENT_BODY ? HS_FLAG_MULTILINE : 0);
		pl[t].ids[pl[t].n] = id;
		pl[t].n++;
	}
	for (t = 0; t < CONTENT_TARGETS; t++) {
		if (pl[t].n == 0)
			continue;
		mode = t == CONTENT_BODY ? HS_MODE_STREAM : HS_MODE_BLOCK;
		if (hs_compile_multi((const char *const *)pl[t].pat,
		    pl[t].flags, pl[t].ids, pl[t].n, (unsigned int)mode, NULL,
		    &db, &ce) != HS_SUCCESS) {
			printf("error %u %s\n", ce->expression >= 0 ?
			    pl[t].ids[ce->expression] : pl[t].ids[0],
			    ce->message);
			hs_free_compile_error(ce);
			return EXIT_BAD;
		}
		if (hs_serialize_database(db, &ser, &sl) != HS_SUCCESS)
			die(EXIT_FAIL, "cannot serialize a database", "");
		printf("hs:%s %zu\n", content_target_name[t], sl);
		if (fwrite(ser, 1, sl, stdout) != sl)
			die(EXIT_FAIL, "write", strerror(errno));
		free(ser);
		hs_free_database(db);
	}
	if (fflush(stdout) != 0)
		die(EXIT_FAIL, "write", strerror(errno));
	return 0;
}

/* --- scan ------------------------------------------------------------ */

static struct cdb	 c;
static hs_database_t	*dbs[CONTENT_TARGETS];
static hs_scratch_t	*scratch;
static hs_stream_t	*body_stream;
static unsigned long	 nrules;
static char		 (*fields)[CONTENT_FIELD_MAX + 1];
static unsigned char	 matched[CONTENT_MAX];
static const char	*cur_field;
static size_t		 cur_flen;
static int		 failed;

/* The value of key, malloc'd, or NULL when it is not there. */
static char *
get(const char *key, size_t *len)
{
	unsigned int dl;
	char *v;
	int r;

	r = cdb_find(&c, (const unsigned char *)key, strlen(key));
	if (r == -1)
		die(EXIT_FAIL, "cannot read the rules database",
		    strerror(errno));
	if (r == 0)
		return NULL;
	dl = cdb_datalen(&c);
	if ((v = malloc((size_t)dl + 1)) == NULL)
		die(EXIT_FAIL, "no memory", "");
	if (cdb_read(&c, (unsigned char *)v, dl, cdb_datapos(&c)) == -1)
		die(EXIT_FAIL, "cannot read the rules database",
		    strerror(errno));
	v[dl] = '\0';
	*len = dl;
	return v;
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *ctx)
{
	int header = ctx != NULL;

	(void)from;
	(void)to;
	(void)flags;
	if (id >= nrules)
		return 0;
	/* a header: rule looks at its own field only */
	if (header && (strlen(fields[id]) != cur_flen ||
	    strncasecmp(fields[id], cur_field, cur_flen) != 0))
		return 0;
	matched[id] = 1;
	return 0;
}

static void
scan_block(int t, const char *s, size_t n, void *ctx)
{
	if (dbs[t] == NULL || failed)
		return;
	if (hs_scan(dbs[t], s, (unsigned int)n, 0, scratch, on_match, ctx) !=
	    HS_SUCCESS)
		failed = 1;
}

static void
on_field(void *arg, int depth, const char *name, size_t nl,
    const char *value, size_t vl)
{
	static char line[CONTENT_FIELD_MAX + MIME_FIELD_MAX + 4];
	static int dummy;
	size_t n;

	(void)arg;
	if (depth != 0)
		return;		/* the message's own header fields */
	cur_field = name;
	cur_flen = nl;
	scan_block(CONTENT_HEADER, value, vl, &dummy);
	n = nl > CONTENT_FIELD_MAX ? CONTENT_FIELD_MAX : nl;
	memcpy(line, name, n);
	line[n++] = ':';
	line[n++] = ' ';
	memcpy(line + n, value, vl);
	scan_block(CONTENT_HEADERS, line, n + vl, NULL);
}

static void
on_filename(void *arg, const char *name, size_t n)
{
	(void)arg;
	scan_block(CONTENT_FILENAME, name, n, NULL);
}

/*
 * The body's lines end in LF alone for the patterns ($ before the line
 * break): a CR before an LF is dropped, one that is held at the end of a
 * piece goes with the next.
 */
static void
on_body(void *arg, const char *b, size_t n)
{
	static char buf[READ_BUF + 1];
	static int cr;
	const char *p;
	size_t i = 0, k, o = 0;

	(void)arg;
	if (body_stream == NULL || failed)
		return;
	while (i < n) {
		if (cr) {
			/* the CR held from before: dropped before an LF */
			if (b[i] != '\n')
				buf[o++] = '\r';
			cr = 0;
		}
		p = memchr(b + i, '\r', n - i);
		k = (p != NULL ? (size_t)(p - b) : n) - i;
		if (o + k > READ_BUF) {
			if (hs_scan_stream(body_stream, buf, (unsigned int)o, 0,
			    scratch, on_match, NULL) != HS_SUCCESS)
				failed = 1;
			o = 0;
			if (k > READ_BUF) {
				/* a long run without CR: scanned in place */
				if (hs_scan_stream(body_stream, b + i,
				    (unsigned int)k, 0, scratch, on_match,
				    NULL) != HS_SUCCESS)
					failed = 1;
				k = 0;
				i = p != NULL ? (size_t)(p - b) : n;
			}
		}
		memcpy(buf + o, b + i, k);
		o += k;
		i += k;
		if (p != NULL && i < n) {
			cr = 1;		/* decided by the next byte */
			i++;
		}
	}
	if (o > 0 && hs_scan_stream(body_stream, buf, (unsigned int)o, 0,
	    scratch, on_match, NULL) != HS_SUCCESS)
		failed = 1;
}

static int
scan(int fd)
{
	static const struct mime_cb cb = { on_field, on_filename, on_body,
	    NULL };
	static struct mime m;
	static char buf[READ_BUF];
	unsigned long long total = 0;
	char key[32], *v;
	unsigned long i;
	size_t len;
	ssize_t r;
	int t;

	cdb_init(&c, fd);
	if ((v = get("kc", &len)) == NULL)
		die(EXIT_FAIL, "no content rules in the rules database", "");
	nrules = strtoul(v, NULL, 10);
	free(v);
	if (nrules > CONTENT_MAX)
		nrules = CONTENT_MAX;
	if ((fields = calloc(nrules + 1, sizeof(*fields))) == NULL)
		die(EXIT_FAIL, "no memory", "");
	for (i = 0; i < nrules; i++) {
		(void)snprintf(key, sizeof(key), "kh:%lu", i);
		if ((v = get(key, &len)) != NULL) {
			(void)snprintf(fields[i], sizeof(fields[i]), "%s", v);
			free(v);
		}
	}
	for (t = 0; t < CONTENT_TARGETS; t++) {
		(void)snprintf(key, sizeof(key), "hs:%s",
		    content_target_name[t]);
		if ((v = get(key, &len)) == NULL)
			continue;
		if (hs_deserialize_database(v, len, &dbs[t]) != HS_SUCCESS)
			die(EXIT_FAIL, "cannot load the patterns",
			    "built by another Hyperscan? run smtpfront-cdb "
			    "again");
		free(v);
		if (hs_alloc_scratch(dbs[t], &scratch) != HS_SUCCESS)
			die(EXIT_FAIL, "no memory for Hyperscan", "");
	}
	if (dbs[CONTENT_BODY] != NULL && hs_open_stream(dbs[CONTENT_BODY], 0,
	    &body_stream) != HS_SUCCESS)
		die(EXIT_FAIL, "cannot open a stream", "");
	mime_init(&m, &cb);
	for (;;) {
		r = read(0, buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			die(EXIT_FAIL, "read", strerror(errno));
		if (r == 0)
			break;
		total += (unsigned long long)r;
		mime_feed(&m, buf, (size_t)r);
	}
	mime_end(&m);
	if (body_stream != NULL && hs_close_stream(body_stream, scratch,
	    on_match, NULL) != HS_SUCCESS)
		failed = 1;
	if (failed)
		die(EXIT_FAIL, "the scan failed", "");
	for (i = 0; i < nrules; i++)
		if (matched[i])
			printf("match %lu\n", i);
	printf("end %llu\n", total);
	if (fflush(stdout) != 0)
		return EXIT_FAIL;
	return 0;
}

int
main(int argc, char **argv)
{
	char *end;
	long fd;

	if (argc == 2 && strcmp(argv[1], "-c") == 0)
		return compile();
	if (argc == 3 && strcmp(argv[1], "-f") == 0) {
		fd = strtol(argv[2], &end, 10);
		if (*end != '\0' || fd < 0 || fd > 1023)
			die(EXIT_BAD, "usage", PROG " -c | -f FD");
		return scan((int)fd);
	}
	fprintf(stderr, "usage: %s -c | -f FD\n", PROG);
	return EXIT_BAD;
}
