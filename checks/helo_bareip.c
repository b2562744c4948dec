/*
 * checks/helo_bareip.c: an IP address given as HELO/EHLO name without
 * the brackets of an address literal ("1.2.3.4" for "[1.2.3.4]") is a
 * ratware habit.
 *
 * Phases: helo.
 * Inputs: setting helo_bareip_action (SMTPFRONT_HELO_BAREIP_ACTION),
 *     default reject; reply helo_bareip (501 5.5.2).
 * Verdicts: pass, or reject on a bare address.
 * Failure: no lookups; cannot fail.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include "check.h"

static enum verdict
helo_bareip_helo(const struct session *s, struct check_hit *hit)
{
	unsigned char b[16];

	(void)hit;
	if (inet_pton(AF_INET, s->helo, b) == 1 ||
	    inet_pton(AF_INET6, s->helo, b) == 1)
		return VERDICT_REJECT;
	return VERDICT_PASS;
}

const struct check check_helo_bareip = {
	.name = "helo_bareip",
	.reply = "helo_bareip",
	.action_off = offsetof(struct config, helo_bareip_action),
	.phase[PHASE_HELO] = helo_bareip_helo,
};
