/*
 * checks/helo_list.c: HELO/EHLO names refused by name: "localhost" and
 * "localhost.localdomain" always, and the rules list helo_bad, where
 * "name" refuses that name and ".name" every name below it.
 *
 * Phases: helo.
 * Inputs: list helo_bad; setting helo_list_action
 *     (SMTPFRONT_HELO_LIST_ACTION), default reject; reply helo_list
 *     (550 5.7.1).
 * Verdicts: pass, or reject on a listed name.
 * Failure: a rules database error passes (fails open) and sets the
 *     downgrade rule.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include "check.h"
#include "match.h"

static enum verdict
helo_list_helo(const struct session *s, struct check_hit *hit)
{
	int r;

	if (strcasecmp(s->helo, "localhost") == 0 ||
	    strcasecmp(s->helo, "localhost.localdomain") == 0) {
		memcpy(hit->rule, "builtin", sizeof("builtin"));
		return VERDICT_REJECT;
	}
	r = match_domain(s->rules, "helo_list", s->helo, strlen(s->helo),
	    hit->rule, sizeof(hit->rule));
	if (r == -1) {
		hit->lookup_failed = 1;
		return VERDICT_PASS;
	}
	return r == 1 ? VERDICT_REJECT : VERDICT_PASS;
}

const struct check check_helo_list = {
	.name = "helo_list",
	.reply = "helo_list",
	.action_off = offsetof(struct config, helo_list_action),
	.phase[PHASE_HELO] = helo_list_helo,
};
