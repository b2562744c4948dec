/*
 * checks/allow_sender.c: the allowlist of senders ("user@example.com",
 * "@example.com", "example.com", ".example.com"): the rest of the
 * transaction's checks are skipped, relay control still applies; senders
 * are easily forged, list few.
 *
 * Phases: mail.
 * Inputs: list allow_sender (no action setting: an empty list allows
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
allow_sender_mail(const struct session *s, struct check_hit *hit)
{
	int r;

	r = match_addr(s->rules, "allow_sender", s->sender,
	    s->sender_len, hit->rule, sizeof(hit->rule));
	if (r == -1) {
		hit->lookup_failed = 1;
		return VERDICT_PASS;
	}
	return r == 1 ? VERDICT_ACCEPT : VERDICT_PASS;
}

static const char *const lists[] = { "allow_sender", NULL };

const struct check check_allow_sender = {
	.name = "allow_sender",
	.reply = "reject",
	.action_off = CHECK_ALWAYS,
	.phase[PHASE_MAIL] = allow_sender_mail,
	.lists = lists,
};
