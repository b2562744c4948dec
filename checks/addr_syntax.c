/*
 * checks/addr_syntax.c: MAIL FROM and RCPT TO paths must follow the
 * RFC 5321 Mailbox grammar (section 4.1.2).  The null path <> is allowed
 * for MAIL only; RCPT TO:<Postmaster> without a domain is allowed (4.5.1).
 *
 * Phases: mail, rcpt.
 * Inputs: setting addr_syntax_action (SMTPFRONT_ADDR_SYNTAX_ACTION),
 *     default reject; replies sender_syntax (553 5.1.7), rcpt_syntax
 *     (553 5.1.3).
 * Verdicts: pass, or reject on a malformed path.
 * Failure: no lookups; cannot fail.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include "addr.h"
#include "check.h"

static enum verdict
addr_syntax_mail(const struct session *s, struct check_hit *hit)
{
	size_t n = strlen(s->sender);

	if (n == 0 || addr_mailbox_valid(s->sender, n))
		return VERDICT_PASS;
	memcpy(hit->reply, "sender_syntax", sizeof("sender_syntax"));
	memcpy(hit->reason, "sender", sizeof("sender"));
	return VERDICT_REJECT;
}

static enum verdict
addr_syntax_rcpt(const struct session *s, struct check_hit *hit)
{
	size_t n = strlen(s->rcpt);

	if (n > 0 && (addr_mailbox_valid(s->rcpt, n) ||
	    strcasecmp(s->rcpt, "postmaster") == 0))
		return VERDICT_PASS;
	memcpy(hit->reply, "rcpt_syntax", sizeof("rcpt_syntax"));
	memcpy(hit->reason, "recipient", sizeof("recipient"));
	return VERDICT_REJECT;
}

const struct check check_addr_syntax = {
	.name = "addr_syntax",
	.reply = "sender_syntax",
	.action_off = offsetof(struct config, addr_syntax_action),
	.phase[PHASE_MAIL] = addr_syntax_mail,
	.phase[PHASE_RCPT] = addr_syntax_rcpt,
};
