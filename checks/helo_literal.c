/*
 * checks/helo_literal.c: an address literal as HELO/EHLO name
 * ("[192.0.2.1]", "[IPv6:2001:db8::1]") must be the client's own address.
 *
 * Phases: helo.
 * Inputs: the client address; setting helo_literal_action
 *     (SMTPFRONT_HELO_LITERAL_ACTION), default reject; reply helo_literal
 *     (550 5.7.1).
 * Verdicts: pass, or reject when the literal is another address.
 * Failure: no lookups; an unknown client address passes.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include "check.h"

#define LITERAL_MAX	64

static enum verdict
helo_literal_helo(const struct session *s, struct check_hit *hit)
{
	char in[LITERAL_MAX];
	unsigned char b[16];
	size_t n = strlen(s->helo);
	const char *p;

	if (n < 3 || s->helo[0] != '[' || s->helo[n - 1] != ']' ||
	    !s->remote_known)
		return VERDICT_PASS;
	p = s->helo + 1;
	n -= 2;
	if (n >= 5 && strncasecmp(p, "IPv6:", 5) == 0) {
		p += 5;
		n -= 5;
	}
	if (n >= sizeof(in))
		return VERDICT_REJECT;
	memcpy(in, p, n);
	in[n] = '\0';
	memset(b, 0, sizeof(b));
	if (inet_pton(AF_INET, in, b + 12) == 1)
		b[10] = b[11] = 0xff;
	else if (inet_pton(AF_INET6, in, b) != 1) {
		/* a general literal ("[tag:...]") is nobody's address */
		memcpy(hit->reason, "not an address", sizeof("not an address"));
		return VERDICT_REJECT;
	}
	if (memcmp(b, s->remote_bin, 16) == 0)
		return VERDICT_PASS;
	return VERDICT_REJECT;
}

const struct check check_helo_literal = {
	.name = "helo_literal",
	.reply = "helo_literal",
	.action_off = offsetof(struct config, helo_literal_action),
	.phase[PHASE_HELO] = helo_literal_helo,
};
