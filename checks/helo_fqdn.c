/*
 * checks/helo_fqdn.c: a HELO/EHLO domain name must be fully qualified
 * (RFC 5321 4.1.1.1: "the fully-qualified domain name of the SMTP
 * client").  Address literals are left to helo_literal.
 *
 * Phases: helo.
 * Inputs: setting helo_fqdn_action (SMTPFRONT_HELO_FQDN_ACTION), default
 *     reject; reply helo_fqdn (504 5.5.2).
 * Verdicts: pass, or reject on a name without an inner dot.
 * Failure: no lookups; cannot fail.
 */
#include <stddef.h>
#include <string.h>
#include "addr.h"
#include "check.h"

static enum verdict
helo_fqdn_helo(const struct session *s, struct check_hit *hit)
{
	(void)hit;
	if (s->helo[0] == '[' || addr_domain_fqdn(s->helo, strlen(s->helo)))
		return VERDICT_PASS;
	return VERDICT_REJECT;
}

const struct check check_helo_fqdn = {
	.name = "helo_fqdn",
	.reply = "helo_fqdn",
	.action_off = offsetof(struct config, helo_fqdn_action),
	.phase[PHASE_HELO] = helo_fqdn_helo,
};
