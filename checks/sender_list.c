/*
 * checks/sender_list.c: senders refused by the rules list sender_bad:
 * "user@example.com" (that address), "@example.com" (any user there),
 * "example.com" (the domain) and ".example.com" (every domain below it).
 *
 * Phases: mail.
 * Inputs: list sender_bad; setting sender_list_action
 *     (SMTPFRONT_SENDER_LIST_ACTION), default reject; reply sender_list
 *     (553 5.7.1).
 * Verdicts: pass, or reject on a listed sender.
 * Failure: a rules database error passes (fails open) and sets the
 *     downgrade rule.
 */
#include <stddef.h>
#include <string.h>
#include "check.h"
#include "match.h"

static enum verdict
sender_list_mail(const struct session *s, struct check_hit *hit)
{
	int r;

	r = match_addr(s->rules, "sender_list", s->sender, s->sender_len,
	    hit->rule, sizeof(hit->rule));
	if (r == -1) {
		hit->lookup_failed = 1;
		return VERDICT_PASS;
	}
	return r == 1 ? VERDICT_REJECT : VERDICT_PASS;
}

static const char *const lists[] = { "sender_list", NULL };

const struct check check_sender_list = {
	.name = "sender_list",
	.reply = "sender_list",
	.action_off = offsetof(struct config, sender_list_action),
	.phase[PHASE_MAIL] = sender_list_mail,
	.lists = lists,
};
