/*
 * checks/closed.c: a host that takes no mail (a honeypot MX, a host being
 * drained, a listener kept for some clients only) answers every
 * connection with one reply and closes, before any delay: the setting
 * closed_action, usually set per listener in the service's environment
 * (SMTPFRONT_CLOSED_ACTION) or per client by tcprules.
 *
 * Phases: start (before trust: a closed host takes nothing from anyone).
 * Inputs: setting closed_action (SMTPFRONT_CLOSED_ACTION), default off;
 *     reply closed (554 5.7.1); with defer, the greeting is 421 4.7.1.
 * Verdicts: off: never runs; reject or drop: 554 and close; defer: 421
 *     and close (the client tries its next MX or later).
 * Failure: no lookups; cannot fail.
 */
#include <stddef.h>
#include <string.h>
#include "check.h"

static enum verdict
closed_start(const struct session *s, struct check_hit *hit)
{
	(void)s;
	memcpy(hit->reason, "closed", sizeof("closed"));
	hit->now = 1;
	return VERDICT_REJECT;
}

static const struct check_hooks closed_hooks = {
	.start = closed_start,
};

const struct check check_closed = {
	.name = "closed",
	.reply = "closed",
	.action_off = offsetof(struct config, closed_action),
	.hooks = &closed_hooks,
};
