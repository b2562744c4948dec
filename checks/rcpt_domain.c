/*
 * checks/rcpt_domain.c: relay control.  A recipient must be in a domain
 * we serve (the rules list rcpt_domains: "example.com" for that domain,
 * ".example.com" for every domain below it) unless the client may relay
 * (RELAYCLIENT from tcprules, or a trust rule).  With no rcpt_domains
 * list every non-relay recipient is refused: smtpfront is never an open
 * relay, even in front of an MTA that does no relay control of its own
 * (Postfix's sendmail -bs).  A recipient without a domain ("postmaster")
 * is local.  This check runs for postmaster and abuse and for allowlisted
 * senders and recipients too.
 *
 * Phases: rcpt.
 * Inputs: list rcpt_domains; RELAYCLIENT; setting rcpt_domain_action
 *     (SMTPFRONT_RCPT_DOMAIN_ACTION), default reject; reply rcpt_domain
 *     (550 5.7.1).
 * Verdicts: pass, reject for a domain we do not serve, defer when the
 *     rules database cannot be read (fails closed).
 * Failure: closed: a database error defers (4xx).
 */
#include <stddef.h>
#include <string.h>
#include "addr.h"
#include "check.h"
#include "match.h"

static enum verdict
rcpt_domain_rcpt(const struct session *s, struct check_hit *hit)
{
	size_t n = s->rcpt_len;
	long at;
	int r;

	if (s->relayclient)
		return VERDICT_PASS;
	at = addr_at(s->rcpt, n);
	if (at < 0)
		return VERDICT_PASS;
	r = match_domain(s->rules, "rcpt_domain", s->rcpt + at + 1,
	    n - (size_t)at - 1, hit->rule, sizeof(hit->rule));
	if (r == 1)
		return VERDICT_PASS;
	hit->now = 1;
	if (r == -1) {
		hit->lookup_failed = 1;
		memcpy(hit->reason, "rules database error",
		    sizeof("rules database error"));
		return VERDICT_DEFER;
	}
	memcpy(hit->reason, "not our domain", sizeof("not our domain"));
	return VERDICT_REJECT;
}

const struct check check_rcpt_domain = {
	.name = "rcpt_domain",
	.reply = "rcpt_domain",
	.action_off = offsetof(struct config, rcpt_domain_action),
	.flags = CHECK_F_RELAY,
	.phase[PHASE_RCPT] = rcpt_domain_rcpt,
};
