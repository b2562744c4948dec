/*
 * checks/header_8bit.c: 8-bit bytes in the header section.  RFC 5322
 * headers are US-ASCII; RFC 6532 allows UTF-8 there; anything else
 * (Latin-1, Shift-JIS, raw binary) is malformed and almost always spam.
 * With header_8bit_utf8 (the default) UTF-8 is accepted and other 8-bit
 * bytes hit; without it any 8-bit byte hits.  Off accepts everything.
 *
 * Phases: eod (CHECK_F_HEADER).
 * Inputs: settings header_8bit_action (default off), header_8bit_utf8
 *     (yes); s->hdr; reply header_8bit (550 5.6.0).
 * Verdicts: pass, or reject when the header section has 8-bit bytes
 *     that are not UTF-8 (or any, without header_8bit_utf8).
 * Failure: no lookups; cannot fail.
 */
#include <stddef.h>
#include <stdio.h>
#include "check.h"

static enum verdict
header_8bit_eod(const struct session *s, struct check_hit *hit)
{
	if (!s->hdr.eightbit)
		return VERDICT_PASS;
	if (s->hdr.bad8bit) {
		(void)snprintf(hit->reason, sizeof(hit->reason),
		    "8-bit bytes in the header section, not UTF-8");
		return VERDICT_REJECT;
	}
	if (s->cfg.header_8bit_utf8)
		return VERDICT_PASS;
	(void)snprintf(hit->reason, sizeof(hit->reason),
	    "8-bit bytes (UTF-8) in the header section");
	(void)snprintf(hit->text, sizeof(hit->text),
	    "Message header has 8-bit bytes");
	check_rule_of(s, "header_8bit_utf8", hit->rule, sizeof(hit->rule));
	return VERDICT_REJECT;
}

const struct check check_header_8bit = {
	.name = "header_8bit",
	.reply = "header_8bit",
	.action_off = offsetof(struct config, header_8bit_action),
	.flags = CHECK_F_HEADER,
	.phase[PHASE_EOD] = header_8bit_eod,
};
