/*
 * checks/dkim.c: DKIM verification (RFC 6376; rsa-sha256 and
 * ed25519-sha256, RFC 8463) of each message, by smtpfront-dkim
 * (libopendkim, in a program of its own: dkim.c) fed the message as it
 * streams past; keys through smtpfront's resolver.  The result goes
 * into an Authentication-Results header (RFC 8601) on the message, and
 * is left for later checks ("pass DOMAIN ..." with the domains whose
 * signatures passed, or "fail", "temperror", "none").
 *
 * Phases: start (the message is to be spooled, so that the header added
 *     at its end reaches it), data (the helper started), body (the bytes
 *     fed to it), eod (the verdict and the header); hooks reset and end.
 * Inputs: settings dkim_action (default off: nothing verified),
 *     dkim_fail_action (off: the header only), dkim_temperror_action
 *     (off), dkim_timeout (30 s for the whole message), dns_timeout,
 *     dns_budget; DNS: TXT SELECTOR._domainkey.DOMAIN through
 *     smtpfront-dkim; replies dkim (550 5.7.20), dkim_temperror (451
 *     4.7.5).
 * Verdicts: a signature that passes, or none at all: pass.  Signatures
 *     none of which passes: fail (any of them fail, neutral, policy or
 *     permerror) gets dkim_fail_action, temperror (a key lookup failed)
 *     dkim_temperror_action, which never refuses for good.
 * Failure: the helper missing, failing or slower than dkim_timeout: a
 *     warning and temperror.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "dkim.h"

struct state {
	int		 started;
	char		 why[REASON_MAX + 1];
};


static enum verdict
dkim_check_start(const struct session *s, struct check_hit *hit)
{
	(void)s;
	hit->spool = 1;
	return VERDICT_PASS;
}

static enum verdict
dkim_check_data(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;

	st->why[0] = '\0';
	st->started = dkim_start(s->cfg.dns_timeout * 1000,
	    s->cfg.dns_budget * 1000, s->cfg.dkim_timeout, st->why,
	    sizeof(st->why)) == 0;
	return VERDICT_PASS;
}

static void
dkim_check_body(const struct session *s, void *state, const char *p,
    size_t n)
{
	struct state *st = state;

	(void)s;
	if (st->started)
		(void)dkim_feed(p, n);	/* a failure is said at eod */
}

static enum verdict
by_action(enum action a, struct check_hit *hit, const char *reply)
{
	switch (a) {
	case ACTION_OFF:
		return VERDICT_PASS;
	case ACTION_WARN:
		return VERDICT_WARN;
	case ACTION_DEFER:
		memcpy(hit->reply, reply, strlen(reply) + 1);
		return VERDICT_DEFER;
	default:
		memcpy(hit->reply, reply, strlen(reply) + 1);
		return VERDICT_REJECT;
	}
}

static enum verdict
dkim_check_eod(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	struct dkim_sig sigs[DKIM_SIGS_MAX];
	char why[REASON_MAX + 1], one[AUTH_MAX + 1];
	size_t hl, rl;
	int n = 0, i, pass = 0, temp = 0, k;
	enum action a;

	if (!st->started) {
		check_say(why, sizeof(why), "%s", st->why[0] ? st->why :
		    "smtpfront-dkim not started");
		n = -1;
	} else if (dkim_finish(sigs, DKIM_SIGS_MAX, &n, why,
	    sizeof(why)) == -1)
		n = -1;
	st->started = 0;
	if (n == -1) {
		check_say(hit->failed, sizeof(hit->failed), "%s", why);
		check_say(hit->auth, sizeof(hit->auth), "dkim=temperror");
		memcpy(hit->result, "temperror", sizeof("temperror"));
		check_say(hit->reason, sizeof(hit->reason), "dkim=temperror: %s",
		    why);
		a = s->cfg.dkim_temperror_action;
		return by_action(a == ACTION_REJECT || a == ACTION_DROP ?
		    ACTION_DEFER : a, hit, "dkim_temperror");
	}
	if (n == 0) {
		check_say(hit->auth, sizeof(hit->auth), "dkim=none");
		memcpy(hit->result, "none", sizeof("none"));
		return VERDICT_PASS;
	}
	/* the header: the signatures that pass first, as many as fit */
	hl = 0;
	rl = 0;
	hit->result[0] = '\0';
	for (k = 0; k < 2; k++)
		for (i = 0; i < n; i++) {
			if ((strcmp(sigs[i].result, "pass") == 0) != (k == 0))
				continue;
			check_say(one, sizeof(one), "%sdkim=%s header.d=%s "
			    "header.s=%s header.a=%s header.b=%s",
			    hl > 0 ? ";\n" : "", sigs[i].result, sigs[i].domain, sigs[i].selector,
			    sigs[i].alg, sigs[i].b);
			if (hl + strlen(one) < sizeof(hit->auth)) {
				memcpy(hit->auth + hl, one, strlen(one) + 1);
				hl += strlen(one);
			}
			if (k == 0) {
				pass = 1;
				if (rl == 0)
					rl = (size_t)snprintf(hit->result,
					    sizeof(hit->result), "pass");
				if (rl + 1 + strlen(sigs[i].domain) <
				    sizeof(hit->result))
					rl += (size_t)snprintf(hit->result + rl,
					    sizeof(hit->result) - rl, " %s",
					    sigs[i].domain);
			} else if (strcmp(sigs[i].result, "temperror") == 0)
				temp = 1;
		}
	if (pass)
		return VERDICT_PASS;
	for (i = 0; i < n; i++)
		if (strcmp(sigs[i].result, "temperror") != 0)
			break;
	if (temp && i == n) {
		memcpy(hit->result, "temperror", sizeof("temperror"));
		check_say(hit->reason, sizeof(hit->reason), "dkim=temperror d=%s",
		    sigs[0].domain);
		a = s->cfg.dkim_temperror_action;
		return by_action(a == ACTION_REJECT || a == ACTION_DROP ?
		    ACTION_DEFER : a, hit, "dkim_temperror");
	}
	memcpy(hit->result, "fail", sizeof("fail"));
	for (i = 0; i < n && strcmp(sigs[i].result, "temperror") == 0; i++)
		;
	check_say(hit->reason, sizeof(hit->reason), "dkim=%s d=%s%s%s",
	    sigs[i].result, sigs[i].domain, sigs[i].reason[0] ? ": " : "",
	    sigs[i].reason);
	return by_action(s->cfg.dkim_fail_action, hit, "dkim");
}

static void
dkim_check_reset(const struct session *s, void *state)
{
	struct state *st = state;

	(void)s;
	dkim_end();
	st->started = 0;
}

static const struct check_hooks dkim_hooks = {
	.start = dkim_check_start,
	.body = dkim_check_body,
	.reset = dkim_check_reset,
	.end = dkim_check_reset,
};

const struct check check_dkim = {
	.name = "dkim",
	.reply = "dkim",
	.action_off = offsetof(struct config, dkim_action),
	.state_size = sizeof(struct state),
	.phase[PHASE_DATA] = dkim_check_data,
	.phase[PHASE_EOD] = dkim_check_eod,
	.hooks = &dkim_hooks,
};
