/*
 * checks/helo_dns.c: the HELO/EHLO name must resolve: an A or AAAA
 * record (Postfix's reject_unknown_helo_hostname).  Both queries go out
 * at HELO and are read at RCPT, where a refusal found earlier is given
 * anyway under delay_reject: the answer then comes while the client sends
 * MAIL, and together with the sender's (sender_domain, rhsbl), so that a
 * session waits for one DNS round trip, not two.  Address literals and
 * names that are not fully qualified are left to helo_literal and
 * helo_fqdn.
 *
 * Phases: helo (the queries), rcpt (the verdict).
 * Inputs: settings helo_dns_action (default off), helo_dns_tempfail_action
 *     (off), dns_timeout, dns_budget; DNS: A and AAAA of the HELO name;
 *     replies helo_dns (550 5.7.1), helo_dns_tempfail (451 4.4.3).
 * Verdicts: pass; reject when neither record exists; a lookup that
 *     failed while the other found nothing: helo_dns_tempfail_action
 *     (off: pass, warn, or defer; never a 5xx).
 * Failure: a DNS failure is logged as a warning and fails open by
 *     default, without the downgrade rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "addr.h"
#include "check.h"
#include "dnspkt.h"
#include "resolver.h"

struct state {
	int		 asked;
	int		 a, aaaa;
};

static void __attribute__((format(printf, 3, 4)))
say(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

static enum verdict
helo_dns_helo(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	size_t n = strlen(s->helo);

	st->asked = 0;
	if (n == 0 || n > DNSPKT_NAME_MAX || s->helo[0] == '[' ||
	    !addr_domain_fqdn(s->helo, n))
		return VERDICT_PASS;
	st->a = resolver_ask(DNSPKT_T_A, s->helo, PHASE_RCPT, NULL, NULL);
	st->aaaa = resolver_ask(DNSPKT_T_AAAA, s->helo, PHASE_RCPT, NULL,
	    NULL);
	st->asked = 1;
	return VERDICT_PASS;
}

static enum verdict
helo_dns_rcpt(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	enum resolver_status a, aaaa;
	int q;

	if (!st->asked)
		return VERDICT_PASS;
	a = resolver_status(st->a);
	aaaa = resolver_status(st->aaaa);
	if (a == RESOLVER_FOUND || aaaa == RESOLVER_FOUND)
		return VERDICT_PASS;
	if (a == RESOLVER_NONE && aaaa == RESOLVER_NONE) {
		say(hit->reason, sizeof(hit->reason), "%s: %s", s->helo,
		    strcmp(resolver_why(st->a), "nxdomain") == 0 ?
		    "no such name" : "no address");
		return VERDICT_REJECT;
	}
	q = a == RESOLVER_FAIL ? st->a : st->aaaa;
	say(hit->failed, sizeof(hit->failed), "%s %s: %s",
	    q == st->a ? "A" : "AAAA", s->helo, resolver_why(q));
	switch (s->cfg.helo_dns_tempfail_action) {
	case ACTION_OFF:
		return VERDICT_PASS;
	case ACTION_WARN:
		say(hit->reason, sizeof(hit->reason), "%s", hit->failed);
		return VERDICT_WARN;
	default:
		say(hit->reason, sizeof(hit->reason), "%s", hit->failed);
		memcpy(hit->reply, "helo_dns_tempfail",
		    sizeof("helo_dns_tempfail"));
		return VERDICT_DEFER;
	}
}

const struct check check_helo_dns = {
	.name = "helo_dns",
	.reply = "helo_dns",
	.action_off = offsetof(struct config, helo_dns_action),
	.state_size = sizeof(struct state),
	.phase[PHASE_HELO] = helo_dns_helo,
	.phase[PHASE_RCPT] = helo_dns_rcpt,
};
