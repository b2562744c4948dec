/*
 * checks/header_size.c: a header section over header_size_max bytes is
 * refused at the end of data (Postfix's header_size_limit, as a refusal
 * instead of a cut).  The core reads the section as it streams past and
 * keeps only its size: memory stays flat whatever the client sends
 * (it does with the check off too: smtpfront holds no header section).
 * Off by default because a check that reads the message turns off the
 * zero-copy path for every message; the MTA has its own limit.
 *
 * Phases: eod (CHECK_F_HEADER).
 * Inputs: settings header_size_action (default off), header_size_max
 *     (102400 bytes); s->hdr; reply header_size (552 5.3.4).
 * Verdicts: pass, or reject when the section is longer.
 * Failure: no lookups; cannot fail.
 */
#include <stddef.h>
#include <stdio.h>
#include "check.h"

static enum verdict
header_size_eod(const struct session *s, struct check_hit *hit)
{
	if (s->hdr.size <= s->cfg.header_size_max)
		return VERDICT_PASS;
	(void)snprintf(hit->reason, sizeof(hit->reason),
	    "header section %s%llu bytes, limit %lu", s->hdr.done ? "" :
	    "over ", s->hdr.size, s->cfg.header_size_max);
	return VERDICT_REJECT;
}

const struct check check_header_size = {
	.name = "header_size",
	.reply = "header_size",
	.action_off = offsetof(struct config, header_size_action),
	.flags = CHECK_F_HEADER,
	.phase[PHASE_EOD] = header_size_eod,
};
