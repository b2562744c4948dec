/*
 * checks/helo_syntax.c: the HELO/EHLO argument must be an RFC 5321
 * Domain or address literal (section 4.1.1.1).
 *
 * Phases: helo.
 * Inputs: setting helo_syntax_action (SMTPFRONT_HELO_SYNTAX_ACTION),
 *     default reject; reply helo_syntax (501 5.5.2).
 * Verdicts: pass, or reject on a malformed name.
 * Failure: no lookups; cannot fail.
 */
#include <stddef.h>
#include <string.h>
#include "addr.h"
#include "check.h"

static enum verdict
helo_syntax_helo(const struct session *s, struct check_hit *hit)
{
	size_t n = strlen(s->helo);

	if (addr_domain_valid(s->helo, n) || addr_literal_valid(s->helo, n))
		return VERDICT_PASS;
	(void)hit;
	return VERDICT_REJECT;
}

const struct check check_helo_syntax = {
	.name = "helo_syntax",
	.reply = "helo_syntax",
	.action_off = offsetof(struct config, helo_syntax_action),
	.phase[PHASE_HELO] = helo_syntax_helo,
};
