/*
 * checks/rblsmtpd.c: the RBLSMTPD convention of ucspi-tcp's rblsmtpd, so
 * tcprules files written for it keep working: RBLSMTPD set and not empty
 * refuses the client with that text, permanently (5xx) when the text
 * starts with '-', temporarily (4xx) otherwise.  RBLSMTPD set and empty
 * exempts the client from DNS list checks (they read it themselves).
 *
 * Phases: connect (held until RCPT under delay_reject).
 * Inputs: RBLSMTPD; setting rblsmtpd_action (SMTPFRONT_RBLSMTPD_ACTION),
 *     default reject; replies rblsmtpd (553 5.7.1) and rblsmtpd_temp
 *     (451 4.7.1, the form without '-'); the text is RBLSMTPD's.
 * Verdicts: pass, defer (text without '-'), reject (text with '-').
 * Failure: no lookups; cannot fail.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

static enum verdict
rblsmtpd_connect(const struct session *s, struct check_hit *hit)
{
	const char *v = getenv("RBLSMTPD");
	size_t n, i;
	int perm;

	(void)s;
	if (v == NULL || *v == '\0')
		return VERDICT_PASS;
	perm = (*v == '-');
	if (perm)
		v++;
	n = strlen(v);
	if (n > sizeof(hit->text) - 1)
		n = sizeof(hit->text) - 1;
	for (i = 0; i < n; i++)
		hit->text[i] = ((unsigned char)v[i] >= 32 &&
		    (unsigned char)v[i] < 127) ? v[i] : '?';
	hit->text[n] = '\0';
	memcpy(hit->rule, "RBLSMTPD", sizeof("RBLSMTPD"));
	if (perm)
		return VERDICT_REJECT;
	memcpy(hit->reply, "rblsmtpd_temp", sizeof("rblsmtpd_temp"));
	return VERDICT_DEFER;
}

const struct check check_rblsmtpd = {
	.name = "rblsmtpd",
	.reply = "rblsmtpd",
	.action_off = offsetof(struct config, rblsmtpd_action),
	.phase[PHASE_CONNECT] = rblsmtpd_connect,
};
