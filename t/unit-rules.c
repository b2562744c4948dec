/*
 * t/unit-rules.c: unit tests of rules.c and reply.c, printing TAP.
 *
 * Covers setting_parse (ranges, garbage, overflow, switches, actions,
 * text), reply_valid, rules_open on missing, corrupt and valid files,
 * rules_config precedence (default < database < environment) and its
 * errors, rules_get and rules_list, including a database whose records
 * cannot be read (an error, never "not found").
 *
 * Databases are written with libowfat's cdb_make into a temporary
 * directory under $TMPDIR (or /tmp), which is removed at the end.  Exit
 * status: 0 when every test passed, 1 otherwise.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cdb.h>
#include <cdb_make.h>

#include "reply.h"
#include "rules.h"
#include "session.h"

#define ERR_MAX		256
#define OUT_MAX		RULES_VALUE_MAX
#define PATHBUF_MAX	PATH_MAX
#define MAX_RECS	16
#define SLOT_SIZE	8	/* hash and position, in a CDB hash table */
#define CDB_TABLES	256
#define BAD_POS		0xfffffff0UL
#if ULONG_MAX == 0xffffffffUL
#define WRAPS_TO_2048	"4294969344"
#else
#define WRAPS_TO_2048	"18446744073709553664"
#endif

struct kv {
	const char	*k;
	const char	*v;
};

static unsigned int	 ntests, nfailed;
static char		 dir[PATHBUF_MAX];
static char		 paths[MAX_RECS][PATHBUF_MAX];
static size_t		 npaths;

static void
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	ntests++;
	if (!cond)
		nfailed++;
	printf("%sok %u - ", cond ? "" : "not ", ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void
diag(const char *s)
{
	printf("# %s\n", s);
}

static void
bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A new file name in the test directory, remembered for cleanup. */
static const char *
tpath(const char *name)
{
	int r;

	if (npaths >= MAX_RECS)
		bail("too many test files");
	r = snprintf(paths[npaths], sizeof(paths[npaths]), "%s/%s", dir,
	    name);
	if (r < 0 || (size_t)r >= sizeof(paths[npaths]))
		bail("path too long");
	return paths[npaths++];
}

/*
 * libowfat's cdb_make_finish leaves its hash lists allocated; free them,
 * or LeakSanitizer flags every database after the first.
 */
static void
free_make(struct cdb_make *m)
{
	struct cdb_hplist *h, *next;

	for (h = m->head; h != NULL; h = next) {
		next = h->next;
		free(h);
	}
	free(m->split);
	m->head = NULL;
	m->split = NULL;
}

static const char *
make_db(const char *name, const struct kv *kv)
{
	static struct cdb_make cm;
	const char *p;
	int fd;

	p = tpath(name);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		bail("open");
	if (cdb_make_start(&cm, fd) == -1)
		bail("cdb_make_start");
	for (; kv->k != NULL; kv++)
		if (cdb_make_add(&cm, (const unsigned char *)kv->k,
		    strlen(kv->k), (const unsigned char *)kv->v,
		    strlen(kv->v)) == -1)
			bail("cdb_make_add");
	if (cdb_make_finish(&cm) == -1 || close(fd) == -1)
		bail("cdb_make_finish");
	free_make(&cm);
	return p;
}

static const char *
make_file(const char *name, const char *data, size_t len)
{
	const char *p;
	int fd;

	p = tpath(name);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		bail("open");
	if (write(fd, data, len) != (ssize_t)len || close(fd) == -1)
		bail("write");
	return p;
}

static uint32
get32(const unsigned char *b)
{
	return (uint32)b[0] | (uint32)b[1] << 8 | (uint32)b[2] << 16 |
	    (uint32)b[3] << 24;
}

static void
put32(unsigned char *b, uint32 v)
{
	b[0] = v & 0xff;
	b[1] = (v >> 8) & 0xff;
	b[2] = (v >> 16) & 0xff;
	b[3] = (v >> 24) & 0xff;
}

/*
 * Point the hash slot of key at a position past the end of the file, so
 * that the key is present but its record cannot be read.
 */
static void
corrupt_key(const char *path, const char *key)
{
	unsigned char hdr[CDB_TABLES * SLOT_SIZE], slot[SLOT_SIZE];
	uint32 h, tpos, tlen, i, s;
	int fd;

	h = cdb_hash((const unsigned char *)key, strlen(key));
	if ((fd = open(path, O_RDWR)) == -1)
		bail("open");
	if (pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		bail("pread");
	tpos = get32(hdr + (h & 0xff) * SLOT_SIZE);
	tlen = get32(hdr + (h & 0xff) * SLOT_SIZE + 4);
	for (i = 0; i < tlen; i++) {
		s = ((h >> 8) + i) % tlen;
		if (pread(fd, slot, sizeof(slot), tpos + s * SLOT_SIZE) !=
		    (ssize_t)sizeof(slot))
			bail("pread");
		if (get32(slot) == h) {
			put32(slot + 4, BAD_POS);
			if (pwrite(fd, slot, sizeof(slot),
			    tpos + s * SLOT_SIZE) != (ssize_t)sizeof(slot))
				bail("pwrite");
			break;
		}
	}
	if (close(fd) == -1)
		bail("close");
}

static int
contains(const char *s, const char *sub)
{
	return strstr(s, sub) != NULL;
}

static void
clear_env(void)
{
	const struct setting *s;
	char var[128];
	size_t i;

	for (s = setting_table; s->name != NULL; s++) {
		(void)snprintf(var, sizeof(var), "%s%s", ENV_PREFIX,
		    s->name);
		for (i = 0; var[i] != '\0'; i++)
			if (var[i] >= 'a' && var[i] <= 'z')
				var[i] = (char)(var[i] - 'a' + 'A');
		(void)unsetenv(var);
	}
}

/* setting_parse on a NUL-terminated value; out and err are filled. */
static int
sp(const char *name, const char *val, struct config *cfg, char *out,
    char *err)
{
	const struct setting *s;

	out[0] = err[0] = '\0';
	if ((s = setting_find(name, strlen(name))) == NULL) {
		snprintf(err, ERR_MAX, "no setting %s", name);
		return -2;
	}
	return setting_parse(s, val, strlen(val), cfg, out, OUT_MAX, err,
	    ERR_MAX);
}

static void
test_numbers(void)
{
	char out[OUT_MAX], err[ERR_MAX];
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	ok(sp("size_max", "1024", &cfg, out, err) == 0 &&
	    cfg.size_max == 1024 && strcmp(out, "1024") == 0,
	    "number at its minimum is taken and stored");
	ok(sp("size_max", "1023", &cfg, out, err) == -1,
	    "number below its minimum is refused");
	ok(contains(err, "from 1024 to 2147483647"),
	    "message names the range: %s", err);
	ok(sp("size_max", "2147483647", &cfg, out, err) == 0 &&
	    cfg.size_max == 2147483647UL, "number at its maximum is taken");
	ok(sp("size_max", "2147483648", &cfg, out, err) == -1,
	    "number above its maximum is refused");
	ok(sp("size_max", "184467440737095516160", &cfg, out, err) == -1,
	    "number that overflows unsigned long is refused");
	/* ULONG_MAX + 1 + 2048: a wrapping parser would see 2048 */
	ok(sp("size_max", WRAPS_TO_2048, &cfg, out, err) == -1,
	    "number that wraps to an allowed value is refused");
	ok(sp("size_max", "2048k", &cfg, out, err) == -1,
	    "trailing garbage is refused");
	ok(sp("size_max", "", &cfg, out, err) == -1,
	    "empty number is refused");
	ok(sp("size_max", "-2048", &cfg, out, err) == -1 &&
	    sp("size_max", "+2048", &cfg, out, err) == -1,
	    "signs are refused");
	ok(sp("size_max", " 2048", &cfg, out, err) == -1 &&
	    sp("size_max", "2048 ", &cfg, out, err) == -1,
	    "blanks are refused");
	ok(sp("size_max", "0x800", &cfg, out, err) == -1,
	    "hexadecimal is refused");
	cfg.size_max = 1;
	ok(sp("size_max", "0002048", &cfg, out, err) == 0 &&
	    strcmp(out, "2048") == 0 && cfg.size_max == 2048,
	    "leading zeros are normalised away");
	ok(sp("spool_memory", "0", &cfg, out, err) == 0 &&
	    cfg.spool_memory == 0, "zero where the minimum is 0");
	ok(sp("rcpt_max", "0", &cfg, out, err) == -1,
	    "zero where the minimum is 1");
	cfg.timeout = 77;
	ok(sp("timeout", "99999", NULL, out, err) == -1 && cfg.timeout == 77,
	    "a refused value leaves config alone");
	ok(sp("timeout", "60", NULL, out, err) == 0 &&
	    strcmp(out, "60") == 0, "config may be NULL");
}

static void
test_bools(void)
{
	static const char *const yes[] = { "yes", "YES", "On", "1" };
	static const char *const no[] = { "no", "No", "OFF", "0" };
	char out[OUT_MAX], err[ERR_MAX];
	struct config cfg;
	size_t i;

	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		cfg.pipelining = 0;
		ok(sp("pipelining", yes[i], &cfg, out, err) == 0 &&
		    cfg.pipelining == 1 && strcmp(out, "yes") == 0,
		    "switch %s is 1, normalised yes", yes[i]);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		cfg.pipelining = 1;
		ok(sp("pipelining", no[i], &cfg, out, err) == 0 &&
		    cfg.pipelining == 0 && strcmp(out, "no") == 0,
		    "switch %s is 0, normalised no", no[i]);
	}
	ok(sp("pipelining", "true", &cfg, out, err) == -1,
	    "switch true is refused");
	ok(contains(err, "yes, no, on, off, 1 or 0"),
	    "message lists the switch values: %s", err);
	ok(sp("pipelining", "", &cfg, out, err) == -1 &&
	    sp("pipelining", "yess", &cfg, out, err) == -1 &&
	    sp("pipelining", "2", &cfg, out, err) == -1,
	    "empty, yess and 2 are refused");
}

static void
test_actions(void)
{
	static const struct {
		const char	*text;
		enum action	 a;
	} t[] = {
		{ "off", ACTION_OFF }, { "warn", ACTION_WARN },
		{ "defer", ACTION_DEFER }, { "reject", ACTION_REJECT },
		{ "drop", ACTION_DROP }, { "REJECT", ACTION_REJECT },
	};
	char out[OUT_MAX], err[ERR_MAX];
	struct config cfg;
	enum action a;
	size_t i;

	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cfg.size_action = (enum action)-1;
		ok(sp("size_action", t[i].text, &cfg, out, err) == 0 &&
		    cfg.size_action == t[i].a &&
		    strcmp(out, action_name(t[i].a)) == 0,
		    "action %s parses and normalises to %s", t[i].text,
		    action_name(t[i].a));
	}
	ok(sp("size_action", "bounce", &cfg, out, err) == -1 &&
	    contains(err, "off, warn, defer, reject or drop"),
	    "unknown action refused: %s", err);
	ok(action_parse("rejec", 5, &a) == -1 &&
	    action_parse("rejectx", 7, &a) == -1 &&
	    action_parse("", 0, &a) == -1,
	    "action_parse refuses prefixes, longer words and empty");
	ok(action_parse("drop", 4, &a) == 0 && a == ACTION_DROP,
	    "action_parse drop");
	ok(strcmp(action_name(ACTION_OFF), "off") == 0 &&
	    strcmp(action_name(ACTION_DEFER), "defer") == 0 &&
	    strcmp(action_name((enum action)42), "unknown") == 0,
	    "action_name, also out of range");
}

static void
test_strings(void)
{
	char out[OUT_MAX], err[ERR_MAX], longs[HOSTNAME_MAX + 2];
	struct config cfg;
	const struct setting *s;
	const char *const *l;

	memset(&cfg, 0, sizeof(cfg));
	ok(sp("hostname", "mx.example.org", &cfg, out, err) == 0 &&
	    strcmp(cfg.hostname, "mx.example.org") == 0 &&
	    strcmp(out, "mx.example.org") == 0, "text is stored");
	ok(sp("hostname", "mx example", &cfg, out, err) == -1 &&
	    strcmp(cfg.hostname, "mx.example.org") == 0,
	    "text with a blank is refused");
	ok(sp("hostname", "mx\texample", &cfg, out, err) == -1 &&
	    sp("hostname", "mx\001", &cfg, out, err) == -1 &&
	    sp("hostname", "mx\302\240", &cfg, out, err) == -1,
	    "tab, control and 8-bit characters are refused");
	ok(contains(err, "printable") && contains(err, "255"),
	    "message names the rule: %s", err);
	memset(longs, 'a', sizeof(longs));
	longs[HOSTNAME_MAX] = '\0';
	ok(sp("spool_dir", longs, &cfg, out, err) == 0 &&
	    strlen(cfg.spool_dir) == HOSTNAME_MAX,
	    "text of HOSTNAME_MAX bytes is taken");
	longs[HOSTNAME_MAX] = 'a';
	longs[HOSTNAME_MAX + 1] = '\0';
	ok(sp("spool_dir", longs, &cfg, out, err) == -1,
	    "text of HOSTNAME_MAX + 1 bytes is refused");
	ok(sp("hostname", "", &cfg, out, err) == 0 && cfg.hostname[0] == '\0',
	    "empty text is taken");
	s = setting_find("hostname", 8);
	ok(s != NULL && setting_parse(s, "abcdef", 6, NULL, out, 4, err,
	    sizeof(err)) == -1, "normalised value too long for out");
	ok(s != NULL && setting_parse(s, "abcdef", 3, NULL, out, sizeof(out),
	    err, sizeof(err)) == 0 && strcmp(out, "abc") == 0,
	    "the length argument is honoured");
	ok(setting_find("hostnam", 7) == NULL &&
	    setting_find("hostnamex", 9) == NULL &&
	    setting_find("HOSTNAME", 8) == NULL,
	    "setting_find wants the exact name");
	ok(list_known("nosuchlist", 10) == 0, "unknown list name");
	for (l = list_table; *l != NULL; l++)
		if (!list_known(*l, strlen(*l)) ||
		    list_known(*l, strlen(*l) - 1))
			break;
	ok(*l == NULL, "list_known knows every list_table name, exactly%s%s",
	    *l != NULL ? ": " : "", *l != NULL ? *l : "");
}

static int
rv(const char *s, char *err)
{
	return reply_valid(s, strlen(s), err, ERR_MAX);
}

static void
test_replies(void)
{
	char err[ERR_MAX], longr[REPLY_TEXT_MAX + 16];
	const struct reply_default *r;

	ok(rv("550 5.7.1 Refused", err) == 0, "550 5.7.1 is valid");
	ok(rv("451 4.3.0 Try later", err) == 0, "451 4.3.0 is valid");
	ok(rv("550 5.7.1", err) == 0, "reply without text is valid");
	ok(rv("550 4.7.1 Refused", err) == -1 &&
	    contains(err, "another class"), "550 with 4.7.1 refused: %s", err);
	ok(rv("450 5.7.1 Later", err) == -1, "450 with 5.7.1 refused");
	ok(rv("550 5.7 Refused", err) == -1 &&
	    rv("550 5..1 Refused", err) == -1 &&
	    rv("550 5.7.1x Refused", err) == -1 &&
	    rv("550 5.7.1234 Refused", err) == -1,
	    "malformed enhanced status codes refused");
	ok(rv("650 6.0.0 Six", err) == -1 && rv("150 1.0.0 One", err) == -1,
	    "codes outside 2xx..5xx refused");
	ok(rv("55 5.7.1 x", err) == -1 && rv("5500 5.7.1 x", err) == -1 &&
	    rv("abc 5.7.1 x", err) == -1, "malformed codes refused");
	ok(rv("550 5.7.1 tab\there", err) == -1 &&
	    rv("550 5.7.1 bell\007", err) == -1 &&
	    rv("550 5.7.1 \303\251t\303\251", err) == -1,
	    "non-printable text refused");
	memset(longr, 'x', sizeof(longr));
	memcpy(longr, "550 5.7.1 ", 10);
	longr[10 + REPLY_TEXT_MAX] = '\0';
	ok(rv(longr, err) == -1, "over-long text refused");
	longr[10 + REPLY_TEXT_MAX - 1] = '\0';
	ok(rv(longr, err) == 0, "text just under the limit is valid");
	r = reply_find("reject", 6);
	ok(r != NULL && strcmp(r->code, "550") == 0, "reply_find reject");
	ok(reply_find("rejec", 5) == NULL, "reply_find wants the exact name");
	for (r = reply_table; r->name != NULL; r++)
		if (r->esc[0] != '\0') {
			char buf[REPLY_TEXT_MAX + 32];

			snprintf(buf, sizeof(buf), "%s %s %s", r->code,
			    r->esc, r->text);
			if (rv(buf, err) == -1)
				break;
		}
	ok(r->name == NULL, "every default reply with a status code is "
	    "valid%s%s", r->name != NULL ? ": " : "",
	    r->name != NULL ? r->name : "");
}

static void
test_open(void)
{
	static const struct kv nov[] = { { "s:size_max", "2048" },
	    { NULL, NULL } };
	static const struct kv badv[] = { { "v", "smtpfront-rules 2" },
	    { NULL, NULL } };
	static const struct kv longv[] = { { "v", "smtpfront-rules 1x" },
	    { NULL, NULL } };
	static const struct kv good[] = { { "v", RULES_VERSION },
	    { NULL, NULL } };
	static const char junk[] = "this is not a constant database";
	struct rules *r;
	const char *p;

	errno = 0;
	r = rules_open(tpath("missing.cdb"));
	ok(r == NULL && errno == ENOENT, "missing database: NULL, ENOENT");
	p = make_file("empty.cdb", "", 0);
	errno = 0;
	r = rules_open(p);
	ok(r == NULL && errno != ENOENT && errno != 0,
	    "empty file: NULL, errno %d is not ENOENT", errno);
	p = make_file("junk.cdb", junk, sizeof(junk) - 1);
	errno = 0;
	r = rules_open(p);
	ok(r == NULL && errno != ENOENT && errno != 0,
	    "short garbage: NULL, errno %d is not ENOENT", errno);
	p = make_db("nov.cdb", nov);
	errno = 0;
	r = rules_open(p);
	ok(r == NULL && errno == EINVAL, "no version key: NULL, EINVAL");
	p = make_db("badv.cdb", badv);
	errno = 0;
	r = rules_open(p);
	ok(r == NULL && errno == EINVAL, "wrong version: NULL, EINVAL");
	p = make_db("longv.cdb", longv);
	errno = 0;
	r = rules_open(p);
	ok(r == NULL && errno == EINVAL, "longer version: NULL, EINVAL");
	errno = 0;
	r = rules_open(dir);
	ok(r == NULL && errno != ENOENT && errno != 0,
	    "a directory: NULL, errno %d is not ENOENT", errno);
	p = make_db("good.cdb", good);
	r = rules_open(p);
	ok(r != NULL, "valid database opens");
	rules_close(r);
	rules_close(NULL);
	r = rules_open_none();
	ok(r != NULL, "rules_open_none gives a handle");
	rules_close(r);
}

static void
test_config(void)
{
	static const struct kv db[] = {
		{ "v", RULES_VERSION },
		{ "s:size_max", "20000" },
		{ "s:pipelining", "no" },
		{ "s:hostname", "db.example" },
		{ "s:size_action", "warn" },
		{ "o:s:size_max", "x.rules:2" },
		{ NULL, NULL }
	};
	static const struct kv baddb[] = {
		{ "v", RULES_VERSION },
		{ "s:rcpt_max", "0" },
		{ NULL, NULL }
	};
	static char longval[RULES_VALUE_MAX + 8];
	static struct kv longdb[] = {
		{ "v", RULES_VERSION },
		{ "s:hostname", longval },
		{ NULL, NULL }
	};
	static const struct kv readerr[] = {
		{ "v", RULES_VERSION },
		{ "s:timeout", "60" },
		{ NULL, NULL }
	};
	char err[ERR_MAX], out[OUT_MAX];
	struct config cfg;
	struct rules *r, *none;
	const char *p;

	clear_env();
	none = rules_open_none();
	if (none == NULL)
		bail("rules_open_none");
	memset(&cfg, 0xa5, sizeof(cfg));
	ok(rules_config(none, &cfg, err, sizeof(err)) == 0,
	    "defaults without a database");
	ok(cfg.size_max == 10485760 && cfg.rcpt_max == 100 &&
	    cfg.errors_max == 10 && cfg.timeout == 300 &&
	    cfg.session_timeout == 3600 && cfg.child_timeout == 300 &&
	    cfg.spool_memory == 131072, "numeric defaults");
	ok(cfg.pipelining == 1 && cfg.delay_reject == 1 &&
	    cfg.hostname[0] == '\0' && cfg.spool_dir[0] == '\0' &&
	    cfg.helo_required_action == ACTION_REJECT &&
	    cfg.addr_syntax_action == ACTION_REJECT &&
	    cfg.size_action == ACTION_REJECT, "other defaults");

	p = make_db("config.cdb", db);
	if ((r = rules_open(p)) == NULL)
		bail("rules_open config.cdb");
	ok(rules_config(r, &cfg, err, sizeof(err)) == 0 &&
	    cfg.size_max == 20000 && cfg.pipelining == 0 &&
	    strcmp(cfg.hostname, "db.example") == 0 &&
	    cfg.size_action == ACTION_WARN && cfg.rcpt_max == 100,
	    "database beats default, default stays elsewhere");

	setenv("SMTPFRONT_SIZE_MAX", "30000", 1);
	setenv("SMTPFRONT_RCPT_MAX", "7", 1);
	setenv("SMTPFRONT_PIPELINING", "on", 1);
	setenv("SMTPFRONT_HOSTNAME", "env.example", 1);
	setenv("SMTPFRONT_SIZE_ACTION", "drop", 1);
	ok(rules_config(r, &cfg, err, sizeof(err)) == 0 &&
	    cfg.size_max == 30000 && cfg.rcpt_max == 7 &&
	    cfg.pipelining == 1 && strcmp(cfg.hostname, "env.example") == 0 &&
	    cfg.size_action == ACTION_DROP,
	    "environment beats database and default");

	setenv("SMTPFRONT_SIZE_MAX", "", 1);
	setenv("SMTPFRONT_RCPT_MAX", "", 1);
	setenv("SMTPFRONT_PIPELINING", "", 1);
	setenv("SMTPFRONT_DELAY_REJECT", "", 1);
	setenv("SMTPFRONT_HOSTNAME", "", 1);
	setenv("SMTPFRONT_SIZE_ACTION", "", 1);
	setenv("SMTPFRONT_HELO_REQUIRED_ACTION", "", 1);
	ok(rules_config(r, &cfg, err, sizeof(err)) == 0,
	    "empty environment values are accepted");
	ok(cfg.size_max == 20000 && cfg.rcpt_max == 100,
	    "empty number: database or default stays");
	ok(cfg.pipelining == 0 && cfg.delay_reject == 0,
	    "empty switch: no");
	ok(cfg.hostname[0] == '\0', "empty text: empty");
	ok(cfg.size_action == ACTION_OFF &&
	    cfg.helo_required_action == ACTION_OFF, "empty action: off");
	clear_env();

	setenv("SMTPFRONT_SIZE_MAX", "lots", 1);
	err[0] = '\0';
	ok(rules_config(r, &cfg, err, sizeof(err)) == -1 &&
	    contains(err, "SMTPFRONT_SIZE_MAX") &&
	    contains(err, "from 1024 to 2147483647"),
	    "bad environment number: %s", err);
	setenv("SMTPFRONT_SIZE_MAX", "99999999999999999999999", 1);
	ok(rules_config(r, &cfg, err, sizeof(err)) == -1 &&
	    contains(err, "SMTPFRONT_SIZE_MAX"),
	    "overflowing environment number refused");
	clear_env();
	setenv("SMTPFRONT_PIPELINING", "maybe", 1);
	ok(rules_config(r, &cfg, err, sizeof(err)) == -1 &&
	    contains(err, "SMTPFRONT_PIPELINING"),
	    "bad environment switch: %s", err);
	clear_env();
	setenv("SMTPFRONT_ADDR_SYNTAX_ACTION", "bounce", 1);
	ok(rules_config(r, &cfg, err, sizeof(err)) == -1 &&
	    contains(err, "SMTPFRONT_ADDR_SYNTAX_ACTION") &&
	    contains(err, "reject"), "bad environment action: %s", err);
	clear_env();
	setenv("SMTPFRONT_SPOOL_DIR", "/var/spool/smtp front", 1);
	ok(rules_config(r, &cfg, err, sizeof(err)) == -1 &&
	    contains(err, "SMTPFRONT_SPOOL_DIR"),
	    "bad environment text: %s", err);
	clear_env();
	setenv("smtpfront_size_max", "4096", 1);
	ok(rules_config(r, &cfg, err, sizeof(err)) == 0 &&
	    cfg.size_max == 20000, "lower-case variable names are ignored");
	(void)unsetenv("smtpfront_size_max");

	ok(rules_get(r, "s:size_max", 10, out, sizeof(out)) == 1 &&
	    strcmp(out, "20000") == 0, "rules_get found");
	ok(rules_get(r, "s:size_max", 10, out, 3) == 1 &&
	    strcmp(out, "20") == 0, "rules_get cuts to outlen - 1");
	ok(rules_get(r, "s:rcpt_max", 10, out, sizeof(out)) == 0 &&
	    out[0] == '\0', "rules_get not found");
	ok(rules_get(none, "s:size_max", 10, out, sizeof(out)) == 0,
	    "rules_get without a database: not found");
	rules_close(r);

	p = make_db("baddb.cdb", baddb);
	if ((r = rules_open(p)) == NULL)
		bail("rules_open baddb.cdb");
	ok(rules_config(r, &cfg, err, sizeof(err)) == -1 &&
	    contains(err, "s:rcpt_max") && contains(err, "from 1 to 10000"),
	    "bad database value: %s", err);
	rules_close(r);

	memset(longval, 'a', sizeof(longval) - 1);
	p = make_db("longdb.cdb", longdb);
	if ((r = rules_open(p)) == NULL)
		bail("rules_open longdb.cdb");
	ok(rules_config(r, &cfg, err, sizeof(err)) == -1 &&
	    contains(err, "s:hostname"), "over-long database value: %s", err);
	rules_close(r);

	p = make_db("readerr.cdb", readerr);
	corrupt_key(p, "s:timeout");
	if ((r = rules_open(p)) == NULL)
		bail("rules_open readerr.cdb");
	ok(rules_get(r, "s:timeout", 9, out, sizeof(out)) == -1,
	    "unreadable record: rules_get says error, not \"not found\"");
	ok(rules_config(r, &cfg, err, sizeof(err)) == -1 &&
	    contains(err, "s:timeout"), "unreadable record: %s", err);
	rules_close(r);

	ok(rules_config(none, &cfg, NULL, 0) == 0,
	    "rules_config takes a NULL error buffer");
	rules_close(none);
}

static void
test_lists(void)
{
	static const struct kv db[] = {
		{ "v", RULES_VERSION },
		{ "l:helo:mx.example.org", "x.rules:3" },
		{ "l:sender:@spam.example", "x.rules:4" },
		{ NULL, NULL }
	};
	char where[RULE_MAX + 1], longe[300], small[4];
	struct rules *r;
	const char *p;

	p = make_db("lists.cdb", db);
	if ((r = rules_open(p)) == NULL)
		bail("rules_open lists.cdb");
	ok(rules_list(r, "helo", "mx.example.org", 14, where,
	    sizeof(where)) == 1 && strcmp(where, "x.rules:3") == 0,
	    "list entry found, where is file:line");
	ok(rules_list(r, "helo", "MX.Example.ORG", 14, where,
	    sizeof(where)) == 1, "list lookup lower-cases the entry");
	ok(rules_list(r, "helo", "mx.example.orgXYZ", 14, where,
	    sizeof(where)) == 1, "list lookup honours the length");
	ok(rules_list(r, "helo", "mx.example.net", 14, where,
	    sizeof(where)) == 0 && where[0] == '\0', "entry not found");
	ok(rules_list(r, "sender", "mx.example.org", 14, where,
	    sizeof(where)) == 0, "entry of another list not found");
	ok(rules_list(r, "sender", "@SPAM.example", 13, small,
	    sizeof(small)) == 1 && strcmp(small, "x.r") == 0,
	    "where is cut to its size");
	memset(longe, 'a', sizeof(longe));
	ok(rules_list(r, "helo", longe, sizeof(longe), where,
	    sizeof(where)) == 0, "over-long entry is not found");
	rules_close(r);
	r = rules_open_none();
	ok(r != NULL && rules_list(r, "helo", "mx.example.org", 14, where,
	    sizeof(where)) == 0, "no database: not found");
	rules_close(r);
}

static void
cleanup(void)
{
	size_t i;

	for (i = 0; i < npaths; i++)
		(void)unlink(paths[i]);
	if (rmdir(dir) == -1)
		diag("could not remove the test directory");
}

int
main(void)
{
	const char *tmp;
	int r;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	r = snprintf(dir, sizeof(dir), "%s/unit-rules.XXXXXX", tmp);
	if (r < 0 || (size_t)r >= sizeof(dir) || mkdtemp(dir) == NULL)
		bail("mkdtemp");

	test_numbers();
	test_bools();
	test_actions();
	test_strings();
	test_replies();
	test_open();
	test_config();
	test_lists();
	{
		char err[256];

		err[0] = '\0';
		ok(rules_table_check(err, sizeof(err)) == 0,
		    "every built-in default value is what its text parses to%s%s",
		    err[0] ? ": " : "", err);
	}

	cleanup();
	printf("1..%u\n", ntests);
	return nfailed == 0 ? 0 : 1;
}
