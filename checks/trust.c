/*
 * checks/trust.c: trusted clients skip every check.  Trust is decided at
 * the checks' start, before the greeting (so trusted clients get no greet
 * delay): RELAYCLIENT in the environment (set by tcprules, the qmail
 * habit), a network of the list trust, or one of our own (list ours:
 * our hosts are listed once, for every check that needs them).  The core
 * then lets the child relay (it sets RELAYCLIENT for it) and, with
 * trust_exec, hands the client straight to the MTA child with execve.
 *
 * Phases: start.
 * Inputs: RELAYCLIENT; lists trust (networks), ours (its networks);
 *     setting trust_exec
 *     (SMTPFRONT_TRUST_EXEC), read by the core.
 * Verdicts: accept for a trusted client (CHECK_F_TRUST), pass otherwise.
 * Failure: fails open: a trust list that cannot be read trusts nobody
 *     (hit->lookup_failed, so a later reject is sent as a 4xx).
 */
#include <stddef.h>
#include <string.h>
#include "check.h"
#include "match.h"

static enum verdict
trust_start(const struct session *s, struct check_hit *hit)
{
	int r;

	if (s->env_relayclient) {
		memcpy(hit->rule, "RELAYCLIENT", sizeof("RELAYCLIENT"));
		return VERDICT_ACCEPT;
	}
	if (!s->remote_known)
		return VERDICT_PASS;
	r = match_ip(s->rules, "trust", s->remote_bin, hit->rule,
	    sizeof(hit->rule));
	if (r == 0)
		r = match_ip(s->rules, "ours", s->remote_bin, hit->rule,
		    sizeof(hit->rule));
	if (r == -1) {
		hit->lookup_failed = 1;
		return VERDICT_PASS;
	}
	return r == 1 ? VERDICT_ACCEPT : VERDICT_PASS;
}

static const struct check_hooks trust_hooks = {
	.start = trust_start,
};

/* No action setting: trust is not a refusal. */
const struct check check_trust = {
	.name = "trust",
	.reply = "reject",
	.action_off = CHECK_ALWAYS,
	.flags = CHECK_F_TRUST,
	.hooks = &trust_hooks,
};
