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
 * "ready").  The DNS server and lists and the state store join this list
 * with the checks that need them.
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

#include "configtest.h"
#include "envvar.h"
#include "rules.h"
#include "starttls.h"

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
	if (getuid() == 0 || geteuid() == 0)
		printf("note: run as root; the service runs as another user: "
		    "run the test as that user too\n");
	printf("%s\n", problems == 0 ? "all is well" :
	    "something is wrong: see the problems above");
	fflush(stdout);
	_exit(problems == 0 ? 0 : 1);
}
