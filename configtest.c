/*
 * configtest.c: smtpfront -t [-r rules.cdb] program [args...]: check an
 * installation and say what is wrong in plain words, one line a finding
 * on stdout ("ok: ...", "problem: ..."), before the first client comes.
 *
 * What it checks: the rules database exists, is a rules database and is
 * as new as its source (the database's name without ".cdb", a file or a
 * directory of files, when it exists); every setting is valid, from the
 * database and the environment; the host name; the MTA child exists, is
 * executable, and answers 220 and EHLO (it is started, greeted and told
 * QUIT: no mail moves); the spool directory takes a file, as the user
 * running the test (run it as the service's user); with tls_cert and
 * tls_key set, that the smtpfront-tls smtpfront would run loads them
 * (it is started with /dev/null for a client and killed after its
 * "ready"); with a DNS check on, that the DNS server answers (the PTR of
 * 127.0.0.1, which every resolver serves) and that each DNS list answers
 * its test entries as RFC 5782 says (127.0.0.2 and TEST listed, 127.0.0.1
 * and INVALID not; 127.255.255.x, a list refusing this resolver, named);
 * with greylisting, traps or rate limits on, that the store opens (an
 * LMDB file that does not exist yet: that its directory takes it; a Redis
 * server: that it answers, after AUTH and SELECT).
 *
 * Exit 0 when all is well, 1 when something is wrong, 111 when the test
 * itself could not run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "configtest.h"
#include "dnslist.h"
#include "dnspkt.h"
#include "envvar.h"
#include "content.h"
#include "filter.h"
#include "resolver.h"
#include "rules.h"
#include "scan.h"
#include "starttls.h"
#include "store.h"
#include "storeurl.h"

#define PATH_MAX_TEST	4096
#define SOURCE_FILES_MAX 10000	/* files of a source directory looked at */

static int problems;

static void
ok(const char *fmt, const char *a, const char *b)
{
	printf("ok: ");
	printf(fmt, a, b);
	printf("\n");
}

static void
problem(const char *fmt, const char *a, const char *b)
{
	printf("problem: ");
	printf(fmt, a, b);
	printf("\n");
	problems++;
}

/*
 * The newest modification time of the source: a file, or the regular
 * files of a directory (as smtpfront-cdb reads them).  0 when there is
 * no such source; -1 on an error.
 */
static int
source_time(const char *src, time_t *t)
{
	char path[PATH_MAX_TEST];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int n = 0;

	if (stat(src, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	*t = st.st_mtime;
	if (!S_ISDIR(st.st_mode))
		return 1;
	if ((d = opendir(src)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL && n++ < SOURCE_FILES_MAX) {
		if (e->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", src, e->d_name) >=
		    (int)sizeof(path) || stat(path, &st) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (st.st_mtime > *t)
			*t = st.st_mtime;
	}
	closedir(d);
	return 1;
}

static void
test_rules(struct conn *c, const char *path)
{
	char src[PATH_MAX_TEST], err[256];
	struct stat st;
	struct rules *r;
	time_t t;
	size_t n = strlen(path);
	int s;

	if ((r = rules_open(path)) == NULL) {
		int e = errno;

		/* the settings then come from the defaults and environment */
		if (rules_config(rules_open_none(), &c->s.cfg, err,
		    sizeof(err)) == -1)
			problem("setting: %s%s", err, "");
		errno = e;
		if (errno == ENOENT)
			problem("no rules database %s%s: the built-in defaults "
			    "apply (relay control then refuses every "
			    "recipient): build one with smtpfront-cdb", path,
			    "");
		else
			problem("rules database %s cannot be read: %s", path,
			    errno == EINVAL ? "not a smtpfront rules database" :
			    strerror(errno));
		return;
	}
	ok("rules database %s%s is readable", path, "");
	if (stat(path, &st) == 0 && n > 4 && n < sizeof(src) &&
	    strcmp(path + n - 4, ".cdb") == 0) {
		memcpy(src, path, n - 4);
		src[n - 4] = '\0';
		s = source_time(src, &t);
		if (s == 1 && t > st.st_mtime)
			problem("rules source %s changed after %s was built: "
			    "run smtpfront-cdb again", src, path);
		else if (s == 1)
			ok("rules database is as new as its source %s%s", src,
			    "");
		else if (s == -1)
			problem("rules source %s cannot be read: %s", src,
			    strerror(errno));
	}
	errno = 0;
	if (rules_config(r, &c->s.cfg, err, sizeof(err)) == -1)
		problem("setting: %s%s", err, "");
	else
		ok("every setting is valid (database and environment)%s%s",
		    "", "");
	rules_close(r);
}

/* The program as execvp would find it: 0 and its path, or -1. */
static int
find_program(const char *prog, char *out, size_t size)
{
	const char *path, *p, *e;
	size_t dl, pl = strlen(prog);

	if (strchr(prog, '/') != NULL) {
		if (pl >= size)
			return -1;
		memcpy(out, prog, pl + 1);
		return access(out, F_OK);
	}
	path = envvar_get("PATH");
	if (path == NULL)
		path = "/usr/local/bin:/bin:/usr/bin";
	for (p = path; ; p = e + 1) {
		e = strchr(p, ':');
		dl = e != NULL ? (size_t)(e - p) : strlen(p);
		if (dl + 1 + pl < size) {
			memcpy(out, dl > 0 ? p : ".", dl > 0 ? dl : 1);
			dl = dl > 0 ? dl : 1;
			out[dl] = '/';
			memcpy(out + dl + 1, prog, pl + 1);
			if (access(out, F_OK) == 0)
				return 0;
		}
		if (e == NULL)
			return -1;
	}
}

static void
test_child(struct conn *c)
{
	char path[PATH_MAX_TEST];
	const char *name = c->argv[0];
	struct child_who who;
	int r;

	if (strncmp(name, CHILD_TCP, sizeof(CHILD_TCP) - 1) == 0) {
		r = child_start(&c->ch, c->argv, c->s.cfg.child_timeout,
		    c->s.cfg.hostname, &(struct child_who){ "192.0.2.1", "25",
		    NULL, "configtest.invalid", 1, c->s.cfg.hostname });
		if (r != 0)
			problem("TCP child %s does not answer 220, EHLO and "
			    "XCLIENT: %s", name, c->ch.why);
		else {
			child_stop(&c->ch);
			ok("TCP child %s answers 220, EHLO and XCLIENT%s",
			    name, "");
		}
		return;
	}
	if (find_program(name, path, sizeof(path)) == -1) {
		problem("MTA child %s: no such program%s", name,
		    strchr(name, '/') ? "" : " in PATH");
		return;
	}
	if (access(path, X_OK) == -1) {
		problem("MTA child %s: not executable: %s", path,
		    strerror(errno));
		return;
	}
	who.ip = "192.0.2.1";
	who.port = "25";
	who.name = NULL;
	who.helo = "configtest.invalid";
	who.esmtp = 1;
	who.self = c->s.cfg.hostname;
	r = child_start(&c->ch, c->argv, c->s.cfg.child_timeout,
	    c->s.cfg.hostname, &who);
	if (r != 0) {
		problem("MTA child %s does not answer 220 and EHLO: %s", path,
		    c->ch.why);
		return;
	}
	child_stop(&c->ch);
	ok("MTA child %s answers 220 and EHLO%s", path, "");
}

static void
test_spool(struct conn *c)
{
	char path[PATH_MAX_TEST], uid[32];
	const char *dir = c->s.cfg.spool_dir[0] ? c->s.cfg.spool_dir :
	    (envvar_get("TMPDIR") ? envvar_get("TMPDIR") : "/tmp");
	int fd;

	snprintf(uid, sizeof(uid), "%lu", (unsigned long)geteuid());
	if (snprintf(path, sizeof(path), "%s/smtpfront-t.XXXXXX", dir) >=
	    (int)sizeof(path)) {
		problem("spool directory %s: name too long%s", dir, "");
		return;
	}
	if ((fd = mkstemp(path)) == -1) {
		problem("spool directory %s takes no file: %s", dir,
		    strerror(errno));
		return;
	}
	(void)close(fd);
	(void)unlink(path);
	ok("spool directory %s takes a file (as uid %s)", dir, uid);
}

static void
test_tls(struct conn *c)
{
	const struct config *cfg = &c->s.cfg;
	char prog[PATH_MAX_TEST], why[TLS_LINE_MAX + 64];
	pid_t pid;
	int in, out, nul, fd, r;

	if (cfg->tls_cert[0] == '\0' && cfg->tls_key[0] == '\0') {
		ok("STARTTLS not offered (tls_cert and tls_key empty)%s%s",
		    "", "");
		return;
	}
	if (cfg->tls_cert[0] == '\0' || cfg->tls_key[0] == '\0') {
		problem("STARTTLS not offered: tls_cert and tls_key must both "
		    "be set%s%s", "", "");
		return;
	}
	if (starttls_program(c->self, prog, sizeof(prog)) == -1) {
		problem("STARTTLS: the path of %s beside %s is too long",
		    TLS_PROGRAM, c->self);
		return;
	}
	/* its client is /dev/null: our own 0 and 1 are kept aside */
	fflush(stdout);
	if ((nul = open("/dev/null", O_RDWR)) == -1 ||
	    (in = dup(0)) == -1 || (out = dup(1)) == -1) {
		problem("STARTTLS: cannot test: %s%s", strerror(errno), "");
		return;
	}
	(void)dup2(nul, 0);
	(void)dup2(nul, 1);
	close(nul);
	r = starttls_start(prog, cfg->tls_cert, cfg->tls_key,
	    cfg->tls_timeout, 1, &pid, &fd, why, sizeof(why));
	(void)dup2(in, 0);
	(void)dup2(out, 1);
	close(in);
	close(out);
	if (r == -1) {
		problem("STARTTLS: %s%s", why, "");
		return;
	}
	close(fd);
	starttls_reap(pid, 0);
	ok("STARTTLS: %s loads tls_cert %s and tls_key", prog, cfg->tls_cert);
}

/*
 * The content rules: smtpfront-scan loads their patterns (an empty
 * message).  The filters: each program is there and may be run.
 */
static void
test_content_filters(struct conn *c, const char *path)
{
	static struct filter_spec f;
	static unsigned char matched[CONTENT_MAX];
	char val[RULES_VALUE_MAX], key[32], why[256], err[128];
	unsigned long i, n;
	struct rules *r;

	if ((r = rules_open(path)) == NULL)
		return;
	if (rules_get(r, "kc", 2, val, sizeof(val)) == 1) {
		n = strtoul(val, NULL, 10);
		if (c->s.cfg.content_action == ACTION_OFF)
			ok("%s content rules, content_action off%s", val, "");
		else if (scan_start(rules_fd(r), c->s.cfg.content_timeout, why,
		    sizeof(why)) == -1 || scan_finish(matched, n < CONTENT_MAX ?
		    n : CONTENT_MAX, why, sizeof(why)) == -1)
			problem("content rules: %s%s", why, "");
		else
			ok("content rules: %s loads their %s patterns",
			    SCAN_PROGRAM, val);
	}
	n = rules_get(r, "fc", 2, val, sizeof(val)) == 1 ?
	    strtoul(val, NULL, 10) : 0;
	for (i = 0; i < n; i++) {
		(void)snprintf(key, sizeof(key), "f:%lu", i);
		if (rules_get(r, key, strlen(key), val, sizeof(val)) != 1 ||
		    filter_parse(val, strlen(val), &f, err, sizeof(err)) == -1)
			problem("filter %s: cannot be read%s", key + 2, "");
		else if (access(f.argv[0], X_OK) == -1)
			problem("filter %s: %s cannot be run", f.name,
			    f.argv[0]);
		else
			ok("filter %s: %s is there", f.name, f.argv[0]);
	}
	rules_close(r);
}

/* A line with one text. */
static void
say_ok(const char *text)
{
	ok("%s%s", text, "");
}

static void
say_problem(const char *text)
{
	problem("%s%s", text, "");
}

/* The first A record of a found query as a.b.c.d; 0 when none. */
static int
first_a(int q, unsigned char a[4])
{
	struct dnspkt d;
	struct dnspkt_rr rr;
	const unsigned char *p;
	size_t len;

	if ((p = resolver_packet(q, &len)) == NULL ||
	    dnspkt_open(&d, p, len) == -1)
		return 0;
	while (dnspkt_next(&d, &rr) == 1)
		if (rr.type == DNSPKT_T_A && rr.rdlen == 4) {
			memcpy(a, p + rr.rdpos, 4);
			return 1;
		}
	return 0;
}

/*
 * One DNS list: its listed test entry must be listed, its unlisted one
 * not (RFC 5782 section 5: 127.0.0.2 and 127.0.0.1 for address lists,
 * TEST and INVALID for name lists).
 */
static void
test_zone(const char *list, const char *zone, int names)
{
	char yes[RESOLVER_REV_MAX + DNSLIST_ZONE_MAX + 8];
	char no[RESOLVER_REV_MAX + DNSLIST_ZONE_MAX + 8], line[1024];
	unsigned char a[4];
	int qy, qn, ly, ln;

	(void)snprintf(yes, sizeof(yes), "%s.%s", names ? "test" :
	    "2.0.0.127", zone);
	(void)snprintf(no, sizeof(no), "%s.%s", names ? "invalid" :
	    "1.0.0.127", zone);
	qy = resolver_ask(DNSPKT_T_A, yes, PHASE_CONNECT, NULL, NULL);
	qn = resolver_ask(DNSPKT_T_A, no, PHASE_CONNECT, NULL, NULL);
	resolver_wait(PHASE_CONNECT);
	if (resolver_status(qy) == RESOLVER_FAIL ||
	    resolver_status(qn) == RESOLVER_FAIL) {
		(void)snprintf(line, sizeof(line), "%s %s: no answer (%s): "
		    "is the DNS server (DNSCACHEIP, /etc/resolv.conf) right?",
		    list, zone, resolver_why(resolver_status(qy) ==
		    RESOLVER_FAIL ? qy : qn));
		say_problem(line);
		return;
	}
	ly = resolver_status(qy) == RESOLVER_FOUND && first_a(qy, a);
	if (ly && dnslist_refusal(a)) {
		(void)snprintf(line, sizeof(line), "%s %s refuses this "
		    "resolver (it answers 127.255.255.%u): use a resolver of "
		    "your own, not a public one", list, zone, a[3]);
		say_problem(line);
		return;
	}
	ln = resolver_status(qn) == RESOLVER_FOUND && first_a(qn, a);
	if (!ly)
		(void)snprintf(line, sizeof(line), "%s %s does not list %s, "
		    "its test entry: is the zone's name right?", list, zone,
		    names ? "TEST" : "127.0.0.2");
	else if (ln)
		(void)snprintf(line, sizeof(line), "%s %s lists %s: it lists "
		    "everything (a zone that closed, or a wildcard)", list,
		    zone, names ? "INVALID" : "127.0.0.1");
	if (!ly || ln) {
		say_problem(line);
		return;
	}
	(void)snprintf(line, sizeof(line), "%s %s answers its test entries "
	    "(%s listed, %s not)", list, zone, names ? "TEST" : "127.0.0.2",
	    names ? "INVALID" : "127.0.0.1");
	say_ok(line);
}

/* The zones of one list. */
static void
test_list(struct rules *r, const char *list, int names)
{
	struct dnslist_entry de;
	char key[64], val[RULES_VALUE_MAX], *sp;
	const char *err;
	unsigned long n, i;

	(void)snprintf(key, sizeof(key), "c:%s", list);
	if (r == NULL || rules_get(r, key, strlen(key), val, sizeof(val)) != 1)
		return;
	n = strtoul(val, NULL, 10);
	for (i = 0; i < n && i < RESOLVER_MAX / 2; i++) {
		(void)snprintf(key, sizeof(key), "e:%s:%lu", list, i);
		if (rules_get(r, key, strlen(key), val, sizeof(val)) != 1)
			continue;
		if ((sp = strchr(val, ' ')) != NULL)
			*sp = '\0';
		if (dnslist_parse(val, strlen(val), &de, &err) == -1)
			continue;	/* the compiler said so already */
		test_zone(list, de.zone, names);
		resolver_end();
	}
}

/* The zones a DNS list has. */
static unsigned long
zone_count(struct rules *r, const char *list)
{
	char key[64], val[RULES_VALUE_MAX];

	(void)snprintf(key, sizeof(key), "c:%s", list);
	if (r == NULL || rules_get(r, key, strlen(key), val, sizeof(val)) != 1)
		return 0;
	return strtoul(val, NULL, 10);
}

static void
test_dns(struct conn *c, const char *rules_path)
{
	const struct config *cfg = &c->s.cfg;
	struct rules *r;
	char line[256];
	int q, zones;

	r = rules_open(rules_path);
	zones = (cfg->dnsbl_action != ACTION_OFF && zone_count(r, "dnsbl")) ||
	    (cfg->rhsbl_action != ACTION_OFF && (zone_count(r, "rhsbl_helo") ||
	    zone_count(r, "rhsbl_client") || zone_count(r, "rhsbl_sender")));
	if (!zones && cfg->fcrdns_action == ACTION_OFF &&
	    cfg->helo_dns_action == ACTION_OFF &&
	    cfg->sender_domain_action == ACTION_OFF &&
	    cfg->spf_action == ACTION_OFF) {
		say_ok("no DNS check on");
		if (r != NULL)
			rules_close(r);
		return;
	}
	resolver_setup(cfg->dns_timeout * 1000, cfg->dns_budget * 1000);
	q = resolver_ask(DNSPKT_T_PTR, "1.0.0.127.in-addr.arpa", PHASE_CONNECT,
	    NULL, NULL);
	resolver_wait(PHASE_CONNECT);
	if (resolver_status(q) == RESOLVER_FAIL) {
		(void)snprintf(line, sizeof(line), "the DNS server does not "
		    "answer (%s): set DNSCACHEIP or /etc/resolv.conf",
		    resolver_why(q));
		say_problem(line);
		resolver_end();
		if (r != NULL)
			rules_close(r);
		return;
	}
	resolver_end();
	say_ok("the DNS server answers");
	if (r == NULL)
		return;		/* said by test_rules */
	if (cfg->dnsbl_action != ACTION_OFF)
		test_list(r, "dnsbl", 0);
	if (cfg->rhsbl_action != ACTION_OFF) {
		test_list(r, "rhsbl_helo", 1);
		test_list(r, "rhsbl_client", 1);
		test_list(r, "rhsbl_sender", 1);
	}
	rules_close(r);
}

static void
test_store(struct conn *c)
{
	const struct config *cfg = &c->s.cfg;
	struct storeurl u;
	struct store_rec rec;
	struct stat st;
	char why[STORE_WHY_MAX + 1], *slash;
	char line[STORE_WHY_MAX + 2 * STOREURL_PART_MAX + 128];

	if (cfg->greylist_action == ACTION_OFF &&
	    cfg->trap_action == ACTION_OFF && cfg->rate_action == ACTION_OFF &&
	    !cfg->trap_listener) {
		say_ok("no store needed (greylist, trap and rate off)");
		return;
	}
	if (storeurl_parse(cfg->store, &u, why, sizeof(why)) == -1) {
		(void)snprintf(line, sizeof(line), "store %s: %s", cfg->store,
		    why);
		say_problem(line);
		return;
	}
	if (u.kind == STOREURL_LMDB && stat(u.path, &st) == -1) {
		/* the first session makes it: its directory must take it,
		 * and this test must not make it as the wrong user */
		char dir[STOREURL_PART_MAX + 1];
		int e = errno;

		(void)snprintf(dir, sizeof(dir), "%s", u.path);
		if ((slash = strrchr(dir, '/')) == NULL)
			memcpy(dir, ".", 2);
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
		if (e == ENOENT && access(dir, W_OK) == 0) {
			(void)snprintf(line, sizeof(line), "store %s does not "
			    "exist yet; its directory %s takes it", u.path,
			    dir);
			say_ok(line);
			return;
		}
		(void)snprintf(line, sizeof(line), "store %s: its directory "
		    "%s does not take the file: %s", u.path, dir,
		    strerror(e == ENOENT ? errno : e));
		say_problem(line);
		return;
	}
	store_setup(cfg->store, cfg->store_size, cfg->store_timeout);
	if (store_get("c configtest", 12, &rec, why, sizeof(why)) == -1) {
		say_problem(why);
		store_close();
		return;
	}
	store_close();
	(void)snprintf(line, sizeof(line), "store %s opens", store_name());
	say_ok(line);
}

void
configtest(struct conn *c, const char *rules_path)
{
	test_rules(c, rules_path);
	if (c->s.cfg.hostname[0] == '\0' && gethostname(c->s.cfg.hostname,
	    sizeof(c->s.cfg.hostname) - 1) == -1)
		memcpy(c->s.cfg.hostname, "localhost", 10);
	ok("host name %s%s (the greeting and the child's EHLO)",
	    c->s.cfg.hostname, "");
	test_child(c);
	test_spool(c);
	test_tls(c);
	test_content_filters(c, rules_path);
	test_dns(c, rules_path);
	test_store(c);
	if (getuid() == 0 || geteuid() == 0)
		printf("note: run as root; the service runs as another user: "
		    "run the test as that user too\n");
	printf("%s\n", problems == 0 ? "all is well" :
	    "something is wrong: see the problems above");
	fflush(stdout);
	_exit(problems == 0 ? 0 : 1);
}
