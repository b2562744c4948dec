/*
 * checks/allow_rcpt.c: the allowlist of recipients that take all mail,
 * like postmaster and abuse (same forms as allow_sender): refusals held
 * from earlier phases and the other recipient checks do not apply to them,
 * relay control does.
 *
 * Phases: rcpt.
 * Inputs: list allow_rcpt (no action setting: an empty list allows
 *     nothing).
 * Verdicts: accept when listed, pass otherwise.
 * Failure: open: a rules database error passes and sets the downgrade
 *     rule.
 */
#include <stddef.h>
#include <string.h>
#include "check.h"
#include "match.h"

static enum verdict
allow_rcpt_rcpt(const struct session *s, struct check_hit *hit)
{
	int r;

	r = match_addr(s->rules, "allow_rcpt", s->rcpt, s->rcpt_len,
	    hit->rule, sizeof(hit->rule));
	if (r == -1) {
		hit->lookup_failed = 1;
		return VERDICT_PASS;
	}
	return r == 1 ? VERDICT_ACCEPT : VERDICT_PASS;
}

static const char *const lists[] = { "allow_rcpt", NULL };

const struct check check_allow_rcpt = {
	.name = "allow_rcpt",
	.reply = "reject",
	.action_off = CHECK_ALWAYS,
	.phase[PHASE_RCPT] = allow_rcpt_rcpt,
	.lists = lists,
};
