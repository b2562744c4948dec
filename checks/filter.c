/*
 * checks/filter.c: the external filters of the rules ("filter"
 * statements, filter.h), in source order, last of all checks: after the
 * end of data with the message on their input (SpamAssassin's spamc -c,
 * clamdscan, a DCC script), or at each RCPT with the envelope only
 * (phase=rcpt).  Each one's exit code decides (exit=, over the defaults
 * 0 pass, 1 and 100 reject, anything else tempfail); the first line of
 * its output is the reply's text.  A rewrite filter's output (spamc
 * without -c) replaces the message, bounded by size_max + 64 KB; the
 * next filter and the child get the new one.  The message reaches the
 * child only once every filter said pass.
 *
 * The filter's environment: smtpfront's own, without its SMTPFRONT_
 * settings, and the envelope: TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP,
 * TCPLOCALPORT, TCPREMOTEHOST (the verified name only, else unset),
 * SMTPHELOHOST, SMTPMAILFROM, SMTPRCPTTO (at RCPT the recipient; after
 * the data every accepted recipient, one per line), SMTPRCPTCOUNT,
 * SMTPFRONT_FILTER (its name), SMTPFRONT_TLS ("VERSION CIPHER BITS",
 * when TLS), SMTPFRONT_RESULTS ("check=result ..." of the checks before
 * it: spf, fcrdns, dnsbl, ...).  Values from the client reach a filter
 * only there and on its input, never in its argv.
 *
 * Phases: start (the message is to be spooled when an eod filter
 *     exists), rcpt (phase=rcpt filters), eod (the others); hooks
 *     rcpt_accepted (the recipients kept), reset and end (freed).
 * Inputs: the filter statements; settings filter_action (default off),
 *     filter_timeout (120 s, or a filter's timeout=), filter_skip (names
 *     not to run: per client with tcprules, SMTPFRONT_FILTER_SKIP),
 *     filter_tempfail_action (defer); replies filter (554 5.7.1),
 *     filter_tempfail (451 4.3.0).
 * Verdicts: a filter's pass runs the next one; accept passes the message
 *     without the filters after it; warn notes it and goes on; defer and
 *     reject refuse with the filter's first line as the text.
 * Failure: a filter that cannot be run, is killed by a signal or at its
 *     deadline, or whose exit code means tempfail (a crash, spamc -x with
 *     spamd down: 69): a warning and filter_tempfail_action (defer by
 *     default: 451, the sender retries; off: as if it passed).  A
 *     rewrite filter with no output, or more than the bound, is a
 *     failure too: the message is never cut.
 */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "check.h"
#include "cold.h"
#include "envvar.h"
#include "filter.h"
#include "rules.h"
#include "spool.h"

#define ENV_OURS	16	/* the variables set here */
#define ENV_TEXT_MAX	(CHECK_RCPTS_MAX + 8192)

struct state {
	struct check_rcpts rcpts;	/* for SMTPRCPTTO and the scopes */
};

/* The filters, read at their first use: one process, one session. */
static COLD struct filter_spec specs[FILTER_MAX];
static char where[FILTER_MAX][RULE_MAX + 1];
static int nspecs = -1;		/* -1: not read; -2: unreadable */
static char load_why[REASON_MAX + 1];

extern char **environ;


static int
load(const struct session *s)
{
	char key[32], val[RULES_VALUE_MAX];
	unsigned long n, i;
	int r;

	if (nspecs != -1)
		return nspecs;
	nspecs = 0;
	if ((r = rules_get(s->rules, "fc", 2, val, sizeof(val))) == -1)
		goto bad;
	if (r == 0)
		return 0;
	n = strtoul(val, NULL, 10);
	if (n > FILTER_MAX)
		n = FILTER_MAX;
	for (i = 0; i < n; i++) {
		check_say(key, sizeof(key), "f:%lu", i);
		if (rules_get(s->rules, key, strlen(key), val, sizeof(val)) !=
		    1 || filter_parse(val, strlen(val), &specs[i], load_why,
		    sizeof(load_why)) == -1)
			goto bad;
		check_say(key, sizeof(key), "fw:%lu", i);
		if (rules_get(s->rules, key, strlen(key), where[i],
		    sizeof(where[i])) != 1)
			memcpy(where[i], "-", 2);
	}
	nspecs = (int)n;
	return nspecs;
bad:
	if (load_why[0] == '\0')
		check_say(load_why, sizeof(load_why), "rules database read error");
	nspecs = -2;
	return -2;
}

static enum verdict
filter_start(const struct session *s, struct check_hit *hit)
{
	int i, n = load(s);

	/* an unreadable database: the eod phase says so and defers */
	if (n == -2) {
		hit->spool = 1;
		return VERDICT_PASS;
	}
	for (i = 0; i < n; i++)
		if (specs[i].phase == FILTER_PHASE_EOD)
			hit->spool = 1;
	return VERDICT_PASS;
}

static void
filter_rcpt_accepted(const struct session *s, void *state)
{
	struct state *st = state;

	check_rcpts_add(&st->rcpts, s->rcpt);
}

static void
filter_reset(const struct session *s, void *state)
{
	struct state *st = state;

	(void)s;
	check_rcpts_free(&st->rcpts);
}

/* Is this filter to run for this client, sender and recipients? */
static int
wanted(const struct session *s, const struct state *st,
    const struct filter_spec *f, int at_rcpt)
{
	const char *skip = s->cfg.filter_skip, *p, *e;
	size_t nl = strlen(f->name), n;

	for (p = skip; *p != '\0'; p = e + 1) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n == nl && strncmp(p, f->name, n) == 0)
			return 0;
		if (e == NULL)
			break;
	}
	return filter_scope_wanted(&f->scope, s->remote_bin, s->sender,
	    at_rcpt ? s->rcpt : st->rcpts.buf != NULL ? st->rcpts.buf : "");
}

static int
ours(const char *e)
{
	static const char *const names[] = { "TCPREMOTEIP=", "TCPREMOTEPORT=",
	    "TCPLOCALIP=", "TCPLOCALPORT=", "TCPREMOTEHOST=", "SMTPHELOHOST=",
	    "SMTPMAILFROM=", "SMTPRCPTTO=", "SMTPRCPTCOUNT=", NULL };
	size_t i;

	if (strncmp(e, ENV_PREFIX, sizeof(ENV_PREFIX) - 1) == 0)
		return 1;
	for (i = 0; names[i] != NULL; i++)
		if (strncmp(e, names[i], strlen(names[i])) == 0)
			return 1;
	return 0;
}

/* Append "NAME=value" to text, its pointer to env; -1 when full. */
static int
put(char **env, size_t *ne, char *text, size_t *tl, const char *name,
    const char *v)
{
	size_t n = strlen(name), vl = strlen(v);

	if (*tl + n + vl + 2 > ENV_TEXT_MAX)
		return -1;
	env[(*ne)++] = text + *tl;
	memcpy(text + *tl, name, n);
	text[*tl + n] = '=';
	memcpy(text + *tl + n + 1, v, vl + 1);
	*tl += n + vl + 2;
	return 0;
}

/* The filter's environment, NULL-ended; NULL when there is no memory. */
static char **
environment(const struct session *s, const struct state *st,
    const struct filter_spec *f, int at_rcpt)
{
	static COLD char text[ENV_TEXT_MAX];
	char num[32], buf[HOSTNAME_MAX + 256];
	const char *name = check_result(s, "fcrdns");
	size_t n = 0, ne = 0, tl = 0, len;
	char **env;
	int i, bad = 0;

	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + ENV_OURS + 1, sizeof(*env))) == NULL)
		return NULL;
	for (n = 0; environ[n] != NULL; n++)
		if (!ours(environ[n]))
			env[ne++] = environ[n];
	bad |= put(env, &ne, text, &tl, "TCPREMOTEIP", s->remote_ip);
	bad |= put(env, &ne, text, &tl, "TCPREMOTEPORT", s->remote_port);
	bad |= put(env, &ne, text, &tl, "TCPLOCALIP", s->local_ip);
	bad |= put(env, &ne, text, &tl, "TCPLOCALPORT", s->local_port);
	if (name != NULL && name[0] != '\0')
		bad |= put(env, &ne, text, &tl, "TCPREMOTEHOST", name);
	bad |= put(env, &ne, text, &tl, "SMTPHELOHOST", s->helo);
	bad |= put(env, &ne, text, &tl, "SMTPMAILFROM", s->sender);
	bad |= put(env, &ne, text, &tl, "SMTPRCPTTO", at_rcpt ? s->rcpt :
	    st->rcpts.buf != NULL ? st->rcpts.buf : "");
	check_say(num, sizeof(num), "%lu", at_rcpt ? st->rcpts.count + 1 : st->rcpts.count);
	bad |= put(env, &ne, text, &tl, "SMTPRCPTCOUNT", num);
	bad |= put(env, &ne, text, &tl, ENV_PREFIX "FILTER", f->name);
	if (s->tls_proto[0] != '\0') {
		check_say(buf, sizeof(buf), "%s %s %s", s->tls_proto, s->tls_cipher,
		    s->tls_bits);
		bad |= put(env, &ne, text, &tl, ENV_PREFIX "TLS", buf);
	}
	/* the results of the checks before: "check=result ..." */
	len = 0;
	buf[0] = '\0';
	for (i = 0; i < s->nresults; i++) {
		size_t a = strlen(s->results[i].check),
		    b = strlen(s->results[i].value);

		if (len + a + b + 3 > sizeof(buf))
			break;
		check_say(buf + len, sizeof(buf) - len, "%s%s=%s", len ? " " : "",
		    s->results[i].check, s->results[i].value);
		len = strlen(buf);
	}
	for (n = 0; n < len; n++)
		if ((unsigned char)buf[n] < 32 || (unsigned char)buf[n] > 126)
			buf[n] = '?';
	bad |= put(env, &ne, text, &tl, ENV_PREFIX "RESULTS", buf);
	(void)bad;	/* a value that did not fit is left out */
	env[ne] = NULL;
	return env;
}

static enum verdict
failed(const struct session *s, struct check_hit *hit, const char *why)
{
	return check_tempfail(hit, s->cfg.filter_tempfail_action,
	    "filter_tempfail", why);
}

/*
 * Run the filters of a phase in order.  At eod, in is the message and
 * *cur the one the next filter reads (a rewrite's output).
 */
static enum verdict
run_all(const struct session *s, struct check_hit *hit, int at_rcpt)
{
	struct state *st = hit->state;
	struct filter_result r;
	struct spool *cur = s->spool, *out;
	enum filter_verdict fv;
	enum verdict v = VERDICT_PASS, warn = VERDICT_PASS;
	char why[REASON_MAX + 1], warnwhy[REASON_MAX + 1];
	char warnrule[RULE_MAX + 1];
	const struct filter_spec *f;
	const char *dir;
	unsigned long t;
	char **env;
	int i, n = load(s), rc;

	if (n == -2)
		return failed(s, hit, load_why);
	if (!at_rcpt && cur == NULL) {
		for (i = 0; i < n; i++)
			if (specs[i].phase == FILTER_PHASE_EOD)
				return failed(s, hit, "no spooled message");
		return VERDICT_PASS;
	}
	dir = s->cfg.spool_dir[0] ? s->cfg.spool_dir :
	    (envvar_get("TMPDIR") ? envvar_get("TMPDIR") : "/tmp");
	for (i = 0; i < n && v == VERDICT_PASS; i++) {
		f = &specs[i];
		if (f->phase != (at_rcpt ? FILTER_PHASE_RCPT :
		    FILTER_PHASE_EOD) || !wanted(s, st, f, at_rcpt))
			continue;
		t = f->timeout ? f->timeout : s->cfg.filter_timeout;
		out = NULL;
		if (f->rewrite && (out = spool_new(s->cfg.spool_memory,
		    dir)) == NULL) {
			check_say(why, sizeof(why), "%s: no memory", f->name);
			v = failed(s, hit, why);
			break;
		}
		if ((env = environment(s, st, f, at_rcpt)) == NULL) {
			spool_free(out);
			check_say(why, sizeof(why), "%s: no memory", f->name);
			v = failed(s, hit, why);
			break;
		}
		rc = filter_run(f, env, at_rcpt ? NULL : cur, out,
		    (unsigned long long)s->cfg.size_max + FILTER_GROWTH,
		    filter_now_ms() + (long long)t * 1000, &r);
		free(env);
		if (rc == -1)
			check_say(why, sizeof(why), "%s: %s", f->name, r.why);
		else if (r.timeout)
			check_say(why, sizeof(why), "%s: killed after %lu s",
			    f->name, t);
		else if (WIFSIGNALED(r.status))
			check_say(why, sizeof(why), "%s: killed by signal %d",
			    f->name, WTERMSIG(r.status));
		fv = rc == -1 || r.timeout || !WIFEXITED(r.status) ?
		    FILTER_TEMPFAIL :
		    filter_exit_verdict(f, WEXITSTATUS(r.status));
		if (rc != -1 && !r.timeout && WIFEXITED(r.status))
			check_say(why, sizeof(why), "%s exit %d%s%s", f->name,
			    WEXITSTATUS(r.status), r.line[0] ? ": " : "",
			    r.line);
		if (fv == FILTER_PASS && f->rewrite && r.too_big) {
			check_say(why, sizeof(why), "%s: its message is over %llu "
			    "bytes", f->name, (unsigned long long)
			    s->cfg.size_max + FILTER_GROWTH);
			fv = FILTER_TEMPFAIL;
		} else if (fv == FILTER_PASS && f->rewrite &&
		    r.out_size == 0) {
			check_say(why, sizeof(why), "%s: no message in its output",
			    f->name);
			fv = FILTER_TEMPFAIL;
		}
		if (fv == FILTER_PASS && f->rewrite) {
			if (cur != s->spool)
				spool_free(cur);
			cur = out;
			out = NULL;
		}
		spool_free(out);
		switch (fv) {
		case FILTER_PASS:
			break;
		case FILTER_ACCEPT:
			v = VERDICT_ACCEPT;
			break;
		case FILTER_WARN:
			if (warn == VERDICT_PASS) {
				warn = VERDICT_WARN;
				check_say(warnwhy, sizeof(warnwhy), "%s", why);
				check_say(warnrule, sizeof(warnrule), "%s",
				    where[i]);
			}
			break;
		case FILTER_DEFER:
		case FILTER_REJECT:
			v = fv == FILTER_DEFER ? VERDICT_DEFER :
			    VERDICT_REJECT;
			check_say(hit->reason, sizeof(hit->reason), "%s", why);
			check_say(hit->text, sizeof(hit->text), "%s", r.line);
			check_say(hit->rule, sizeof(hit->rule), "%s", where[i]);
			break;
		case FILTER_TEMPFAIL:
			v = failed(s, hit, why);
			if (v != VERDICT_PASS)
				check_say(hit->rule, sizeof(hit->rule), "%s",
				    where[i]);
			if (v == VERDICT_WARN) {
				if (warn == VERDICT_PASS) {
					warn = VERDICT_WARN;
					check_say(warnwhy, sizeof(warnwhy), "%s",
					    why);
					check_say(warnrule, sizeof(warnrule), "%s",
					    where[i]);
				}
				v = VERDICT_PASS;
			}
			break;
		}
	}
	if (cur != s->spool)
		hit->replace = cur;
	if (v == VERDICT_PASS && warn == VERDICT_WARN) {
		check_say(hit->reason, sizeof(hit->reason), "%s", warnwhy);
		check_say(hit->rule, sizeof(hit->rule), "%s", warnrule);
		return VERDICT_WARN;
	}
	return v;
}

static enum verdict
filter_rcpt(const struct session *s, struct check_hit *hit)
{
	return run_all(s, hit, 1);
}

static enum verdict
filter_eod(const struct session *s, struct check_hit *hit)
{
	return run_all(s, hit, 0);
}

static const struct check_hooks filter_hooks = {
	.start = filter_start,
	.rcpt_accepted = filter_rcpt_accepted,
	.reset = filter_reset,
	.end = filter_reset,
};

const struct check check_filter = {
	.name = "filter",
	.reply = "filter",
	.action_off = offsetof(struct config, filter_action),
	.state_size = sizeof(struct state),
	.phase[PHASE_RCPT] = filter_rcpt,
	.phase[PHASE_EOD] = filter_eod,
	.hooks = &filter_hooks,
};
