/*
 * checks/helo_required.c: HELO or EHLO must come before MAIL.
 *
 * Phases: mail.
 * Inputs: setting helo_required_action (SMTPFRONT_HELO_REQUIRED_ACTION),
 *     default reject, reply helo_required (503 5.5.1).
 * Verdicts: pass, or reject when MAIL comes before HELO/EHLO.
 * Failure: no lookups; cannot fail.
 */
#include <stddef.h>
#include "check.h"

static enum verdict
helo_required_mail(const struct session *s, struct check_hit *hit)
{
	(void)hit;
	return s->helo_seen ? VERDICT_PASS : VERDICT_REJECT;
}

const struct check check_helo_required = {
	.name = "helo_required",
	.reply = "helo_required",
	.action_off = offsetof(struct config, helo_required_action),
	.phase[PHASE_MAIL] = helo_required_mail,
};
