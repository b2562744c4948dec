/*
 * checks/helo_ours.c: a client that greets with our own name or address
 * lies: real MTAs do not call themselves by the name of the host they
 * talk to.  Ours are: the hostname setting, TCPLOCALHOST, TCPLOCALIP
 * (bare or as a literal), and the rules list ours (names, addresses and
 * networks of our own hosts, which trust reads too).  A client
 * connecting from our own address passes.
 *
 * Phases: helo.
 * Inputs: settings hostname, helo_ours_action
 *     (SMTPFRONT_HELO_OURS_ACTION), default reject; TCPLOCALHOST,
 *     TCPLOCALIP; list ours; reply helo_ours (550 5.7.1).
 * Verdicts: pass, or reject when the name or address is ours.
 * Failure: a rules database error passes (fails open) and sets the
 *     downgrade rule.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include "check.h"
#include "match.h"

static int
is_ours_ip(const struct session *s, const char *h, size_t n,
    struct check_hit *hit)
{
	unsigned char ip[16], lip[16];
	unsigned int len;
	int v4, r;

	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
		if (n > 5 && strncasecmp(h, "IPv6:", 5) == 0) {
			h += 5;
			n -= 5;
		}
	}
	if (match_ip_parse(h, n, ip, &v4, &len) == -1 || memchr(h, '/', n))
		return 0;
	if (s->local_ip[0] != '\0' &&
	    match_ip_parse(s->local_ip, strlen(s->local_ip), lip, &v4,
	    &len) == 0 && memcmp(ip, lip, 16) == 0) {
		memcpy(hit->rule, "TCPLOCALIP", sizeof("TCPLOCALIP"));
		return 1;
	}
	r = match_ip(s->rules, "ours", ip, hit->rule, sizeof(hit->rule));
	if (r == -1)
		hit->lookup_failed = 1;
	return r == 1;
}

static enum verdict
helo_ours_helo(const struct session *s, struct check_hit *hit)
{
	size_t n = strlen(s->helo);
	int r;

	if (s->remote_known && s->local_ip[0] != '\0' &&
	    strcmp(s->remote_ip, s->local_ip) == 0)
		return VERDICT_PASS;
	if (s->cfg.hostname[0] != '\0' &&
	    strcasecmp(s->helo, s->cfg.hostname) == 0) {
		memcpy(hit->rule, "hostname", sizeof("hostname"));
		return VERDICT_REJECT;
	}
	if (s->local_host[0] != '\0' && strcasecmp(s->helo, s->local_host) == 0) {
		memcpy(hit->rule, "TCPLOCALHOST", sizeof("TCPLOCALHOST"));
		return VERDICT_REJECT;
	}
	if (is_ours_ip(s, s->helo, n, hit))
		return VERDICT_REJECT;
	r = match_domain(s->rules, "ours", s->helo, n, hit->rule,
	    sizeof(hit->rule));
	if (r == -1) {
		hit->lookup_failed = 1;
		return VERDICT_PASS;
	}
	return r == 1 ? VERDICT_REJECT : VERDICT_PASS;
}

const struct check check_helo_ours = {
	.name = "helo_ours",
	.reply = "helo_ours",
	.action_off = offsetof(struct config, helo_ours_action),
	.phase[PHASE_HELO] = helo_ours_helo,
};
