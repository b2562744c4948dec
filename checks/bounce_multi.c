/*
 * checks/bounce_multi.c: a bounce (null sender <>) goes to one recipient;
 * a null-sender message to several is backscatter or spam.  Checked at
 * DATA, where the number of accepted recipients is known.
 *
 * Phases: data.
 * Inputs: setting bounce_multi_action (SMTPFRONT_BOUNCE_MULTI_ACTION),
 *     default reject; reply bounce_multi (550 5.5.3).
 * Verdicts: pass, or reject on a null sender with more than one recipient.
 * Failure: no lookups; cannot fail.
 */
#include <stddef.h>
#include "check.h"

static enum verdict
bounce_multi_data(const struct session *s, struct check_hit *hit)
{
	hit->now = 1;
	if (s->sender[0] == '\0' && s->rcpts > 1)
		return VERDICT_REJECT;
	return VERDICT_PASS;
}

const struct check check_bounce_multi = {
	.name = "bounce_multi",
	.reply = "bounce_multi",
	.action_off = offsetof(struct config, bounce_multi_action),
	.phase[PHASE_DATA] = bounce_multi_data,
};
