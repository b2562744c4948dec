/*
 * checks/unauth_pipelining.c: a client that sends the next command before
 * the reply to one it must wait for (RFC 2920: EHLO, HELO, DATA, NOOP,
 * VRFY, EXPN, QUIT, and any command when PIPELINING was not offered or
 * the client said HELO) is ratware that does not read replies.  The core
 * notes the first such command in the session (s->pipelined), and looks
 * only while this check is on (CHECK_F_LOOKAHEAD).
 *
 * Phases: mail, rcpt, data.
 * Inputs: settings pipelining (offer it), unauth_pipelining_action
 *     (SMTPFRONT_UNAUTH_PIPELINING_ACTION), default reject; reply
 *     unauth_pipelining (554 5.5.0).
 * Verdicts: pass, or reject once pipelining was abused.
 * Failure: no lookups; cannot fail.
 */
#include <stddef.h>
#include <string.h>
#include "check.h"

static enum verdict
unauth_pipelining_any(const struct session *s, struct check_hit *hit)
{
	if (s->pipelined[0] == '\0')
		return VERDICT_PASS;
	memcpy(hit->reason, "after ", 6);
	memcpy(hit->reason + 6, s->pipelined, strlen(s->pipelined) + 1);
	return VERDICT_REJECT;
}

const struct check check_unauth_pipelining = {
	.name = "unauth_pipelining",
	.reply = "unauth_pipelining",
	.action_off = offsetof(struct config, unauth_pipelining_action),
	.flags = CHECK_F_LOOKAHEAD,
	.phase[PHASE_MAIL] = unauth_pipelining_any,
	.phase[PHASE_RCPT] = unauth_pipelining_any,
	.phase[PHASE_DATA] = unauth_pipelining_any,
};
