/*
 * checks/addr_syntax.c: MAIL FROM and RCPT TO paths must follow the
 * RFC 5321 Mailbox grammar (section 4.1.2).  The null path <> is allowed
 * for MAIL only; RCPT TO:<Postmaster> without a domain is allowed (4.5.1).
 *
 * Phases: mail, rcpt.
 * Inputs: setting addr_syntax_action (SMTPFRONT_ADDR_SYNTAX_ACTION),
 *     default reject; replies addr_syntax (553 5.1.7, the sender),
 *     addr_syntax_rcpt (553 5.1.3).
 * Verdicts: pass, or reject on a malformed path, at once: bad syntax is
 *     refused at the command that carries it, whatever delay_reject
 *     says (a client told 250 for its sender would take it as taken).
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
	size_t n = s->sender_len;

	if (n == 0 || addr_mailbox_valid(s->sender, n))
		return VERDICT_PASS;
	memcpy(hit->reason, "sender", sizeof("sender"));
	hit->now = 1;
	return VERDICT_REJECT;
}

static enum verdict
addr_syntax_rcpt(const struct session *s, struct check_hit *hit)
{
	size_t n = s->rcpt_len;

	if (n > 0 && (addr_mailbox_valid(s->rcpt, n) ||
	    strcasecmp(s->rcpt, "postmaster") == 0))
		return VERDICT_PASS;
	memcpy(hit->reply, "addr_syntax_rcpt", sizeof("addr_syntax_rcpt"));
	memcpy(hit->reason, "recipient", sizeof("recipient"));
	hit->now = 1;
	return VERDICT_REJECT;
}

const struct check check_addr_syntax = {
	.name = "addr_syntax",
	.reply = "addr_syntax",
	.action_off = offsetof(struct config, addr_syntax_action),
	.phase[PHASE_MAIL] = addr_syntax_mail,
	.phase[PHASE_RCPT] = addr_syntax_rcpt,
};
