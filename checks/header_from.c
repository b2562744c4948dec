/*
 * checks/header_from.c: a message must have exactly one From: field
 * (RFC 5322 3.6: the originator field is required, once).  Ratware
 * often sends none, or several to show one and be another.
 *
 * Phases: eod (CHECK_F_HEADER).
 * Inputs: setting header_from_action (default off; warn or reject);
 *     s->hdr; reply header_from (550 5.6.0).
 * Verdicts: pass, or reject when there is no From: field or more than
 *     one.
 * Failure: no lookups; cannot fail.
 */
#include <stddef.h>
#include <stdio.h>
#include "check.h"

static enum verdict
header_from_eod(const struct session *s, struct check_hit *hit)
{
	if (s->hdr.from == 1)
		return VERDICT_PASS;
	if (s->hdr.from == 0)
		(void)snprintf(hit->reason, sizeof(hit->reason),
		    "no From: field");
	else
		(void)snprintf(hit->reason, sizeof(hit->reason),
		    "%u From: fields", s->hdr.from);
	return VERDICT_REJECT;
}

const struct check check_header_from = {
	.name = "header_from",
	.reply = "header_from",
	.action_off = offsetof(struct config, header_from_action),
	.flags = CHECK_F_HEADER,
	.phase[PHASE_EOD] = header_from_eod,
};
