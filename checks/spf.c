/*
 * checks/spf.c: SPF (RFC 7208) for the MAIL FROM identity, the HELO's
 * (postmaster@HELO) for the null sender.  At MAIL, once the cheap local
 * checks of that phase have passed, smtpfront-spf (libspf2, in a program
 * of its own: spf.c) is started for the client, HELO and sender; its
 * answer is read at the first RCPT, so libspf2's DNS queries run while
 * the client sends its recipients.  Each result maps to an action of
 * its own; a Received-SPF header records it on the message, and the
 * result is left for later checks (greylisting's exemption).  The reply
 * is smtpfront's own: libspf2's explanation never reaches the client.
 *
 * Phases: mail (start), rcpt (the verdict, the header once a
 * transaction); reset, end (the helper ended).
 * Inputs: settings spf_action (default off: no DNS before a resolver is
 *     chosen), spf_fail_action (reject), spf_softfail_action (warn),
 *     spf_neutral_action, spf_none_action, spf_permerror_action,
 *     spf_temperror_action (off), dns_timeout, dns_budget; DNS through
 *     smtpfront-spf: TXT of the sender's domain and what its record
 *     names; replies spf (550 5.7.23), spf_permerror (550 5.7.24),
 *     spf_temperror (451 4.7.24).
 * Verdicts: by the result's action: pass, warn, defer, reject (drop
 *     counts as reject); temperror never refuses permanently.
 * Failure: the helper not started, stuck past dns_budget, or saying
 *     nothing sensible: temperror (a warning says why).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "spf.h"

struct state {
	int		 q;		/* -1: not asked this transaction */
	int		 done;
	char		 result[SPF_RESULT_MAX + 1];
	char		 value[SPF_VALUE_MAX + 1];
	char		 why[REASON_MAX + 1];
};

static enum verdict
spf_mail(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;

	st->q = -1;
	st->done = 0;
	st->why[0] = '\0';
	if (!s->remote_known)
		return VERDICT_PASS;
	st->q = spf_ask(s->remote_ip, s->helo, s->sender, PHASE_RCPT,
	    s->cfg.dns_timeout * 1000, s->cfg.dns_budget * 1000,
	    s->cfg.hostname, st->why, sizeof(st->why));
	if (st->q == -1) {
		memcpy(st->result, "temperror", sizeof("temperror"));
		st->done = 1;
	}
	return VERDICT_PASS;
}

static const char *
setting(const char *r)
{
	static char name[32];

	(void)snprintf(name, sizeof(name), "spf_%s_action", r);
	return name;
}

static enum action
action(const struct session *s, const char *r)
{
	if (strcmp(r, "fail") == 0)
		return s->cfg.spf_fail_action;
	if (strcmp(r, "softfail") == 0)
		return s->cfg.spf_softfail_action;
	if (strcmp(r, "neutral") == 0)
		return s->cfg.spf_neutral_action;
	if (strcmp(r, "none") == 0)
		return s->cfg.spf_none_action;
	if (strcmp(r, "permerror") == 0)
		return s->cfg.spf_permerror_action;
	if (strcmp(r, "temperror") == 0)
		return s->cfg.spf_temperror_action;
	return ACTION_OFF;
}

static enum verdict
spf_rcpt(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	enum action a;

	if (st->q == -1 && !st->done)
		return VERDICT_PASS;
	if (!st->done) {
		st->done = 1;
		if (spf_get(st->q, st->result, sizeof(st->result), st->value,
		    sizeof(st->value), st->why, sizeof(st->why)) == -1)
			memcpy(st->result, "temperror", sizeof("temperror"));
		if (st->why[0] != '\0')
			(void)snprintf(hit->failed, sizeof(hit->failed), "%s",
			    st->why);
		/* (both cut where the buffer ends) */
		if ((st->value[0] == '\0' || st->why[0] != '\0') &&
		    snprintf(st->value, sizeof(st->value), "temperror (%s)",
		    st->why) < 0)
			st->value[0] = '\0';
		/* once a transaction, at its first RCPT */
		if (snprintf(hit->header, sizeof(hit->header),
		    "Received-SPF: %s", st->value) < 0)
			hit->header[0] = '\0';
		(void)snprintf(hit->result, sizeof(hit->result), "%s",
		    st->result);
		/* RFC 8601 2.7.2: the identity checked */
		if (s->sender[0] != '\0')
			(void)snprintf(hit->auth, sizeof(hit->auth),
			    "spf=%s smtp.mailfrom=%s", st->result, s->sender);
		else
			(void)snprintf(hit->auth, sizeof(hit->auth),
			    "spf=%s smtp.helo=%s", st->result, s->helo);
	}
	a = action(s, st->result);
	if (a == ACTION_OFF)
		return VERDICT_PASS;
	(void)snprintf(hit->reason, sizeof(hit->reason), "%s", st->value);
	check_rule_of(s, setting(st->result), hit->rule, sizeof(hit->rule));
	if (a == ACTION_WARN)
		return VERDICT_WARN;
	if (strcmp(st->result, "temperror") == 0) {
		memcpy(hit->reply, "spf_temperror", sizeof("spf_temperror"));
		return VERDICT_DEFER;
	}
	if (strcmp(st->result, "permerror") == 0)
		memcpy(hit->reply, "spf_permerror", sizeof("spf_permerror"));
	return a == ACTION_DEFER ? VERDICT_DEFER : VERDICT_REJECT;
}

static void
spf_reset(const struct session *s, void *state)
{
	struct state *st = state;

	(void)s;
	st->q = -1;
	st->done = 0;
	spf_end();
}

static void
spf_finish(const struct session *s, void *state)
{
	(void)s;
	(void)state;
	spf_end();
}

static const struct check_hooks spf_hooks = {
	.reset = spf_reset,
	.end = spf_finish,
};

const struct check check_spf = {
	.name = "spf",
	.reply = "spf",
	.action_off = offsetof(struct config, spf_action),
	.state_size = sizeof(struct state),
	.phase[PHASE_MAIL] = spf_mail,
	.phase[PHASE_RCPT] = spf_rcpt,
	.hooks = &spf_hooks,
};
