/*
 * checks/size.c: a message whose ESMTP SIZE declared at MAIL is over
 * size_max is refused before its data is sent (RFC 1870).  The size of
 * the data itself is enforced by the core while it is received.
 *
 * Phases: mail.
 * Inputs: settings size_max (SMTPFRONT_SIZE_MAX) and size_action
 *     (SMTPFRONT_SIZE_ACTION), default reject; reply size
 *     (552 5.3.4).
 * Verdicts: pass, or reject when SIZE= is over the limit.
 * Failure: no lookups; cannot fail.
 */
#include <stddef.h>
#include "check.h"

static enum verdict
size_mail(const struct session *s, struct check_hit *hit)
{
	if (s->size_declared > s->cfg.size_max) {
		hit->now = 1;	/* RFC 1870: refused at MAIL */
		return VERDICT_REJECT;
	}
	return VERDICT_PASS;
}

const struct check check_size = {
	.name = "size",
	.reply = "size",
	.action_off = offsetof(struct config, size_action),
	.phase[PHASE_MAIL] = size_mail,
};
