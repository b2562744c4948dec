/*
 * checks/content.c: the content rules ("content" statements, content.h):
 * regular expressions on a named header field, on any header field, on
 * the body and on MIME part names, matched by smtpfront-scan (Hyperscan,
 * linear time) as the message streams past, on every delivery path, so
 * that it is refused before the child's 250.
 *
 * Phases: data (the helper started, when rules exist), body (the bytes
 *     fed to it), eod (the rules that matched, in source order: the first
 *     defer or reject decides, a warn is noted); hooks rcpt_accepted
 *     (the recipients kept, for only_rcpt and skip_rcpt), reset and end
 *     (the helper stopped).
 * Inputs: the content statements ("k:N", "kw:N", the patterns compiled
 *     into "hs:TARGET" by smtpfront-cdb); settings content_action
 *     (default off), content_timeout (30 s for the whole message),
 *     content_tempfail_action (defer); reply content (554 5.7.1) and
 *     content_tempfail (451 4.3.0); a rule's own text replaces the
 *     reply's.
 * Verdicts: a rule's action: off (not used), warn (noted, the
 *     X-Smtpfront-Warn header), defer, reject or drop; the check's action
 *     applies over it as for every check (warn: nothing refused; defer:
 *     nothing refused for good).
 * Failure: the helper cannot start, fails, or passes content_timeout:
 *     a warning and content_tempfail_action (defer: 451, the sender
 *     retries; off: as if nothing matched).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "cold.h"
#include "content.h"
#include "rules.h"
#include "scan.h"

struct state {
	struct check_rcpts rcpts;	/* for only_rcpt and skip_rcpt */
	int		 started;	/* the helper runs for this message */
	char		 why[REASON_MAX + 1];	/* it could not start */
};

static long nrules = -1;	/* -1: not read yet */
static unsigned char matched[CONTENT_MAX];


static long
count(const struct session *s)
{
	char val[32];

	if (nrules != -1)
		return nrules;
	nrules = 0;
	if (rules_get(s->rules, "kc", 2, val, sizeof(val)) == 1)
		nrules = strtol(val, NULL, 10);
	if (nrules < 0 || nrules > CONTENT_MAX)
		nrules = 0;
	return nrules;
}

static enum verdict
content_data(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;

	st->why[0] = '\0';
	st->started = 0;
	if (count(s) == 0)
		return VERDICT_PASS;
	if (scan_start(rules_fd(s->rules), s->cfg.content_timeout, st->why,
	    sizeof(st->why)) == 0)
		st->started = 1;
	return VERDICT_PASS;
}

static void
content_body(const struct session *s, void *state, const char *p, size_t n)
{
	struct state *st = state;

	(void)s;
	if (st->started)
		(void)scan_feed(p, n);	/* a failure is said at eod */
}

static enum verdict
failed(const struct session *s, struct check_hit *hit, const char *why)
{
	return check_tempfail(hit, s->cfg.content_tempfail_action,
	    "content_tempfail", why);
}

static enum verdict
content_eod(const struct session *s, struct check_hit *hit)
{
	static COLD struct content_rule r;
	struct state *st = hit->state;
	char key[32], val[RULES_VALUE_MAX], why[REASON_MAX + 1];
	char err[128], warnwhy[REASON_MAX + 1], warnrule[RULE_MAX + 1];
	long i, n = count(s);
	int warned = 0;

	if (n == 0)
		return VERDICT_PASS;
	if (!st->started)
		return failed(s, hit, st->why[0] ? st->why :
		    "the scan was not started");
	st->started = 0;
	memset(matched, 0, sizeof(matched));
	if (scan_finish(matched, (size_t)n, why, sizeof(why)) == -1)
		return failed(s, hit, why);
	for (i = 0; i < n; i++) {
		if (!matched[i])
			continue;
		check_say(key, sizeof(key), "k:%ld", i);
		if (rules_get(s->rules, key, strlen(key), val, sizeof(val)) !=
		    1 || content_parse(val, strlen(val), &r, err,
		    sizeof(err)) == -1)
			return failed(s, hit, "rules database read error");
		if (r.action == CONTENT_OFF ||
		    !filter_scope_wanted(&r.scope, s->remote_bin, s->sender,
		    st->rcpts.buf != NULL ? st->rcpts.buf : ""))
			continue;
		check_say(key, sizeof(key), "kw:%ld", i);
		if (r.action == CONTENT_WARN) {
			if (!warned) {
				warned = 1;
				check_say(warnwhy, sizeof(warnwhy), "%s matched %s%s%s",
				    r.name, content_target_name[r.target],
				    r.field[0] ? ":" : "", r.field);
				if (rules_get(s->rules, key, strlen(key),
				    warnrule, sizeof(warnrule)) != 1)
					memcpy(warnrule, "-", 2);
			}
			continue;
		}
		check_say(hit->reason, sizeof(hit->reason), "%s matched %s%s%s",
		    r.name, content_target_name[r.target], r.field[0] ? ":" :
		    "", r.field);
		if (rules_get(s->rules, key, strlen(key), hit->rule,
		    sizeof(hit->rule)) != 1)
			memcpy(hit->rule, "-", 2);
		check_say(hit->text, sizeof(hit->text), "%s", r.reply);
		return r.action == CONTENT_DEFER ? VERDICT_DEFER :
		    r.action == CONTENT_DROP ? VERDICT_DROP : VERDICT_REJECT;
	}
	if (warned) {
		check_say(hit->reason, sizeof(hit->reason), "%s", warnwhy);
		check_say(hit->rule, sizeof(hit->rule), "%s", warnrule);
		return VERDICT_WARN;
	}
	return VERDICT_PASS;
}

static void
content_rcpt_accepted(const struct session *s, void *state)
{
	struct state *st = state;

	check_rcpts_add(&st->rcpts, s->rcpt);
}

static void
content_reset(const struct session *s, void *state)
{
	struct state *st = state;

	(void)s;
	scan_end();
	st->started = 0;
	check_rcpts_free(&st->rcpts);
}

static const struct check_hooks content_hooks = {
	.body = content_body,
	.rcpt_accepted = content_rcpt_accepted,
	.reset = content_reset,
	.end = content_reset,
};

const struct check check_content = {
	.name = "content",
	.reply = "content",
	.action_off = offsetof(struct config, content_action),
	.state_size = sizeof(struct state),
	.phase[PHASE_DATA] = content_data,
	.phase[PHASE_EOD] = content_eod,
	.hooks = &content_hooks,
};
