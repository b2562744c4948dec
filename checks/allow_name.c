/*
 * checks/allow_name.c: the allowlist of client names: mailing-list hosts
 * and partners known by name rather than by address ("lists.example.org"
 * that name, ".example.org" every name below it).  The name is the one
 * fcrdns verified (forward-confirmed reverse DNS), never the PTR name
 * alone, which anybody who controls a reverse zone can set; so this
 * check needs fcrdns on (any action but off).  No check refuses a client
 * it allows (it comes before the DNS lists), but relay control still
 * applies.
 *
 * Phases: connect, after fcrdns and trust_name, before dnsbl.
 * Inputs: list allow_name (no action setting: an empty list allows
 *     nothing); the result of fcrdns.
 * Verdicts: accept when the verified name is listed, pass otherwise.
 * Failure: open: a rules database error passes and sets the downgrade
 *     rule; without a verified name (no fcrdns, a DNS failure) nothing is
 *     allowed.
 */
#include <stddef.h>
#include "check.h"

static enum verdict
allow_name_connect(const struct session *s, struct check_hit *hit)
{
	return check_name_listed(s, "allow_name", hit);
}

const struct check check_allow_name = {
	.name = "allow_name",
	.reply = "reject",
	.action_off = CHECK_ALWAYS,
	.phase[PHASE_CONNECT] = allow_name_connect,
};
