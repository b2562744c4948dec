/*
 * checks/allow_ip.c: the allowlist of client addresses (networks:
 * "192.0.2.7", "192.0.2.0/24", "2001:db8::/32"), such as secondary MX
 * hosts and mailing-list hosts: no check refuses them, but relay control
 * still applies.
 *
 * Phases: connect.
 * Inputs: list allow_ip (no action setting: an empty list allows
 *     nothing).
 * Verdicts: accept when listed, pass otherwise.
 * Failure: open: a rules database error passes and sets the downgrade
 *     rule.
 */
#include <stddef.h>
#include <string.h>
#include "check.h"
#include "match.h"

static enum verdict
allow_ip_connect(const struct session *s, struct check_hit *hit)
{
	int r;

	if (!s->remote_known)
		return VERDICT_PASS;
	r = match_ip(s->rules, "allow_ip", s->remote_bin, hit->rule,
	    sizeof(hit->rule));
	if (r == -1) {
		hit->lookup_failed = 1;
		return VERDICT_PASS;
	}
	return r == 1 ? VERDICT_ACCEPT : VERDICT_PASS;
}

const struct check check_allow_ip = {
	.name = "allow_ip",
	.reply = "reject",
	.action_off = CHECK_ALWAYS,
	.phase[PHASE_CONNECT] = allow_ip_connect,
};
