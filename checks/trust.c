/*
 * checks/trust.c: trusted clients skip every check.  The core decides
 * trust before the greeting (so trusted clients get no greet delay):
 * RELAYCLIENT in the environment (set by tcprules, the qmail habit) or a
 * trust rule.  With trust_exec the core hands such a client straight to
 * the MTA child with execve and this check never runs.
 *
 * Phases: connect.
 * Inputs: RELAYCLIENT, settings trust_exec (SMTPFRONT_TRUST_EXEC).
 * Verdicts: accept for a trusted client, pass otherwise.
 * Failure: no lookups of its own; cannot fail.
 */
#include <stddef.h>
#include <string.h>
#include "check.h"

static enum verdict
trust_connect(const struct session *s, struct check_hit *hit)
{
	if (!s->trusted)
		return VERDICT_PASS;
	memcpy(hit->rule, s->trust_rule, sizeof(hit->rule));
	return VERDICT_ACCEPT;
}

/* No action setting: trust is not a refusal. */
const struct check check_trust = {
	"trust", "reject", CHECK_ALWAYS,
	{ trust_connect, NULL, NULL, NULL, NULL, NULL }, 0
};
