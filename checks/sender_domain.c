/*
 * checks/sender_domain.c: the sender's domain must take mail back: MX
 * records, or without any an A or AAAA record (RFC 5321 5.1, the
 * implicit MX).  A null MX (RFC 7505: one MX of preference 0 and the
 * root as its host) says the domain sends no mail and takes none: its
 * mail is refused with the RFC's code.  The MX, A and AAAA queries go out
 * at MAIL, all three at once, and are read at RCPT, so the answer comes
 * while the client sends its recipients; the verdict is given at each
 * RCPT, as Postfix's reject_unknown_sender_domain does.  The null sender
 * and address literals are not asked about.
 *
 * Phases: mail (the queries), rcpt (the verdict); reset (forgets them).
 * Inputs: settings sender_domain_action (default off: no DNS before a
 *     resolver is chosen), sender_domain_tempfail_action (off),
 *     dns_timeout, dns_budget; DNS: MX, A and AAAA of the sender's
 *     domain; replies sender_domain (550 5.1.8), sender_domain_nullmx
 *     (550 5.7.27), sender_domain_tempfail (451 4.4.3).
 * Verdicts: pass; reject when the domain does not exist or has neither
 *     MX nor address, or has a null MX; a lookup that failed while none
 *     of the three found anything: sender_domain_tempfail_action (off:
 *     pass, warn, or defer; never a 5xx).
 * Failure: a DNS failure is logged as a warning and fails open by
 *     default, without the downgrade rule (it allows nothing).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "dnspkt.h"
#include "resolver.h"

struct state {
	int		 asked;
	int		 mx, a, aaaa;
	char		 domain[DNSPKT_NAME_MAX + 1];
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
sender_domain_mail(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	const char *at = strrchr(s->sender, '@');
	size_t n;

	st->asked = 0;
	if (at == NULL || at[1] == '\0' || at[1] == '[')
		return VERDICT_PASS;
	n = strlen(at + 1);
	if (n > DNSPKT_NAME_MAX)
		return VERDICT_PASS;
	memcpy(st->domain, at + 1, n + 1);
	if (n > 0 && st->domain[n - 1] == '.')
		st->domain[n - 1] = '\0';
	st->mx = resolver_ask(DNSPKT_T_MX, st->domain, PHASE_RCPT, NULL,
	    NULL);
	st->a = resolver_ask(DNSPKT_T_A, st->domain, PHASE_RCPT, NULL, NULL);
	st->aaaa = resolver_ask(DNSPKT_T_AAAA, st->domain, PHASE_RCPT, NULL,
	    NULL);
	st->asked = 1;
	return VERDICT_PASS;
}

/* One MX, preference 0, the root as its host. */
static int
null_mx(int q)
{
	struct dnspkt d;
	struct dnspkt_rr rr;
	const unsigned char *p;
	char host[DNSPKT_NAME_MAX + 1];
	size_t len;
	int n = 0, null = 0;

	if ((p = resolver_packet(q, &len)) == NULL ||
	    dnspkt_open(&d, p, len) == -1)
		return 0;
	while (dnspkt_next(&d, &rr) == 1) {
		if (rr.type != DNSPKT_T_MX || rr.rdlen < 3)
			continue;
		n++;
		if (p[rr.rdpos] == 0 && p[rr.rdpos + 1] == 0 &&
		    dnspkt_name(&d, rr.rdpos + 2, host, sizeof(host)) == 0)
			null = 1;
	}
	return n == 1 && null;
}

static enum verdict
sender_domain_rcpt(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	enum resolver_status mx, a, aaaa;
	int q;

	if (!st->asked)
		return VERDICT_PASS;
	mx = resolver_status(st->mx);
	a = resolver_status(st->a);
	aaaa = resolver_status(st->aaaa);
	if (mx == RESOLVER_FOUND) {
		if (!null_mx(st->mx))
			return VERDICT_PASS;
		say(hit->reason, sizeof(hit->reason), "%s has a null MX",
		    st->domain);
		memcpy(hit->reply, "sender_domain_nullmx",
		    sizeof("sender_domain_nullmx"));
		return VERDICT_REJECT;
	}
	if (a == RESOLVER_FOUND || aaaa == RESOLVER_FOUND)
		return VERDICT_PASS;
	if (mx == RESOLVER_NONE && a == RESOLVER_NONE &&
	    aaaa == RESOLVER_NONE) {
		say(hit->reason, sizeof(hit->reason), "%s: %s", st->domain,
		    strcmp(resolver_why(st->mx), "nxdomain") == 0 ?
		    "no such domain" : "no MX and no address");
		return VERDICT_REJECT;
	}
	q = mx == RESOLVER_FAIL ? st->mx : a == RESOLVER_FAIL ? st->a :
	    st->aaaa;
	say(hit->failed, sizeof(hit->failed), "%s %s: %s",
	    q == st->mx ? "MX" : q == st->a ? "A" : "AAAA", st->domain,
	    resolver_why(q));
	switch (s->cfg.sender_domain_tempfail_action) {
	case ACTION_OFF:
		return VERDICT_PASS;
	case ACTION_WARN:
		say(hit->reason, sizeof(hit->reason), "%s", hit->failed);
		return VERDICT_WARN;
	default:
		say(hit->reason, sizeof(hit->reason), "%s", hit->failed);
		memcpy(hit->reply, "sender_domain_tempfail",
		    sizeof("sender_domain_tempfail"));
		return VERDICT_DEFER;
	}
}

static void
sender_domain_reset(const struct session *s, void *state)
{
	struct state *st = state;

	(void)s;
	st->asked = 0;
}

static const struct check_hooks sender_domain_hooks = {
	.reset = sender_domain_reset,
};

const struct check check_sender_domain = {
	.name = "sender_domain",
	.reply = "sender_domain",
	.action_off = offsetof(struct config, sender_domain_action),
	.state_size = sizeof(struct state),
	.phase[PHASE_MAIL] = sender_domain_mail,
	.phase[PHASE_RCPT] = sender_domain_rcpt,
	.hooks = &sender_domain_hooks,
};
