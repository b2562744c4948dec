/*
 * checks/trust_name.c: trust by name: clients whose name, as fcrdns
 * verified it, is in the list trust_name ("relay.example.org" that name,
 * ".example.org" every name below it) are trusted as the list trust's
 * networks are: they may relay (smtpfront sets RELAYCLIENT for the MTA
 * child), no check refuses them, and with trust_exec they are handed to
 * the MTA child.  The name is the verified one, never the PTR name alone,
 * which anybody who controls a reverse zone can set; so this check needs
 * fcrdns on (any action but off).  Unlike trust, it is decided at
 * connect, once the DNS answered: such a client waits the greet delay.
 *
 * Phases: connect, after fcrdns, before allow_name and dnsbl.
 * Inputs: list trust_name (no action setting: an empty list trusts
 *     nobody); the result of fcrdns.
 * Verdicts: accept when the verified name is listed (CHECK_F_TRUST: the
 *     core trusts the client), pass otherwise.
 * Failure: open: a rules database error passes and sets the downgrade
 *     rule; without a verified name (no fcrdns, a DNS failure) nobody is
 *     trusted.
 */
#include <stddef.h>
#include "check.h"

static enum verdict
trust_name_connect(const struct session *s, struct check_hit *hit)
{
	return check_name_listed(s, "trust_name", hit);
}

/* No action setting: trust is not a refusal. */
const struct check check_trust_name = {
	.name = "trust_name",
	.reply = "reject",
	.action_off = CHECK_ALWAYS,
	.flags = CHECK_F_TRUST,
	.phase[PHASE_CONNECT] = trust_name_connect,
};
