/*
 * checks/rcpt_users.c: unknown users in the domains we serve are refused
 * at RCPT, so nothing is accepted that would later bounce to a forged
 * sender (the qmail-validate idea).  Users are full addresses in the
 * rules list rcpt_users; a domain in the list rcpt_catchall accepts every
 * user.  With no rcpt_users list at all, users are not checked here (the
 * MTA child decides).  Domains we do not serve are left to rcpt_domain.
 *
 * Phases: rcpt.
 * Inputs: lists rcpt_domains, rcpt_users, rcpt_catchall; setting
 *     rcpt_users_action (SMTPFRONT_RCPT_USERS_ACTION), default reject;
 *     reply rcpt_users (550 5.1.1).
 * Verdicts: pass, reject for an unknown user, defer when the rules
 *     database cannot be read.
 * Failure: closed: a database error defers (4xx).
 */
#include <stddef.h>
#include <string.h>
#include "addr.h"
#include "check.h"
#include "match.h"
#include "rules.h"

#define COUNT_MAX	24

static enum verdict
dberror(struct check_hit *hit)
{
	hit->lookup_failed = 1;
	memcpy(hit->reason, "rules database error",
	    sizeof("rules database error"));
	return VERDICT_DEFER;
}

static enum verdict
rcpt_users_rcpt(const struct session *s, struct check_hit *hit)
{
	char count[COUNT_MAX];
	size_t n = s->rcpt_len, dn;
	const char *dom;
	long at;
	int r;

	at = addr_at(s->rcpt, n);
	if (at < 0)
		return VERDICT_PASS;
	dom = s->rcpt + at + 1;
	dn = n - (size_t)at - 1;
	r = rules_get(s->rules, "c:rcpt_users", 12, count, sizeof(count));
	if (r == -1)
		return dberror(hit);
	if (r == 0 || strcmp(count, "0") == 0)
		return VERDICT_PASS;
	r = match_domain(s->rules, "rcpt_domain", dom, dn, NULL, 0);
	if (r == -1)
		return dberror(hit);
	if (r == 0)
		return VERDICT_PASS;
	r = match_domain(s->rules, "rcpt_users_catchall", dom, dn, hit->rule,
	    sizeof(hit->rule));
	if (r == -1)
		return dberror(hit);
	if (r == 1)
		return VERDICT_PASS;
	r = rules_list(s->rules, "rcpt_users", s->rcpt, n, hit->rule,
	    sizeof(hit->rule));
	if (r == -1)
		return dberror(hit);
	if (r == 1)
		return VERDICT_PASS;
	hit->now = 1;
	memcpy(hit->reason, "unknown user", sizeof("unknown user"));
	return VERDICT_REJECT;
}

static const char *const lists[] = { "rcpt_users", NULL };

const struct check check_rcpt_users = {
	.name = "rcpt_users",
	.reply = "rcpt_users",
	.action_off = offsetof(struct config, rcpt_users_action),
	.phase[PHASE_RCPT] = rcpt_users_rcpt,
	.lists = lists,
};
