/*
 * checks/sender_fqdn.c: the MAIL FROM domain must be fully qualified:
 * bounces go there.  The null sender <> passes; an address literal
 * domain passes.
 *
 * Phases: mail.
 * Inputs: setting sender_fqdn_action (SMTPFRONT_SENDER_FQDN_ACTION),
 *     default reject; reply sender_fqdn (553 5.1.8).
 * Verdicts: pass, or reject on a sender without a fully qualified domain.
 * Failure: no lookups; cannot fail.
 */
#include <stddef.h>
#include <string.h>
#include "addr.h"
#include "check.h"

static enum verdict
sender_fqdn_mail(const struct session *s, struct check_hit *hit)
{
	size_t n = s->sender_len;
	long at;

	(void)hit;
	if (n == 0)
		return VERDICT_PASS;
	at = addr_at(s->sender, n);
	if (at < 0)
		return VERDICT_REJECT;
	if (s->sender[at + 1] == '[' ||
	    addr_domain_fqdn(s->sender + at + 1, n - (size_t)at - 1))
		return VERDICT_PASS;
	return VERDICT_REJECT;
}

const struct check check_sender_fqdn = {
	.name = "sender_fqdn",
	.reply = "sender_fqdn",
	.action_off = offsetof(struct config, sender_fqdn_action),
	.phase[PHASE_MAIL] = sender_fqdn_mail,
};
