/*
 * checks/earlytalker.c: a client that talks before the greeting (or, with
 * data_delay, before the 354 reply to DATA) is ratware: real MTAs wait.
 * The core does the waiting (greet_delay, greet_split, data_delay; a
 * sleeping connection costs no CPU) and notes what it saw; trusted
 * clients are not delayed.
 *
 * Phases: connect (after the greet delay), data (after the data delay).
 * Inputs: settings greet_delay, greet_split, data_delay,
 *     earlytalker_action (SMTPFRONT_EARLYTALKER_ACTION), default drop;
 *     replies earlytalker, earlytalker_data (554 5.5.0).
 * Verdicts: pass, or reject on early talk (the action decides: drop
 *     closes the connection after the reply).
 * Failure: no lookups; cannot fail.
 */
#include <stddef.h>
#include <string.h>
#include "check.h"

static enum verdict
earlytalker_connect(const struct session *s, struct check_hit *hit)
{
	if (!s->early_greet)
		return VERDICT_PASS;
	memcpy(hit->reason, "greeting", sizeof("greeting"));
	return VERDICT_REJECT;
}

static enum verdict
earlytalker_data(const struct session *s, struct check_hit *hit)
{
	if (!s->early_data)
		return VERDICT_PASS;
	memcpy(hit->reply, "earlytalker_data", sizeof("earlytalker_data"));
	memcpy(hit->reason, "data", sizeof("data"));
	hit->now = 1;
	return VERDICT_REJECT;
}

const struct check check_earlytalker = {
	.name = "earlytalker",
	.reply = "earlytalker",
	.action_off = offsetof(struct config, earlytalker_action),
	.phase[PHASE_CONNECT] = earlytalker_connect,
	.phase[PHASE_DATA] = earlytalker_data,
};
