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
#include "maildomain.h"

struct state {
	struct maildomain md;
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

	(void)maildomain_ask(&st->md, s->sender, PHASE_RCPT);
	return VERDICT_PASS;
}

static enum verdict
sender_domain_rcpt(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;

	if (!st->md.asked)
		return VERDICT_PASS;
	switch (maildomain_judge(&st->md, hit->reason, sizeof(hit->reason))) {
	case MAILDOMAIN_OK:
		hit->reason[0] = '\0';
		return VERDICT_PASS;
	case MAILDOMAIN_NULLMX:
		memcpy(hit->reply, "sender_domain_nullmx",
		    sizeof("sender_domain_nullmx"));
		return VERDICT_REJECT;
	case MAILDOMAIN_NONE:
		return VERDICT_REJECT;
	case MAILDOMAIN_FAIL:
		break;
	}
	say(hit->failed, sizeof(hit->failed), "%s", hit->reason);
	switch (s->cfg.sender_domain_tempfail_action) {
	case ACTION_OFF:
		hit->reason[0] = '\0';
		return VERDICT_PASS;
	case ACTION_WARN:
		return VERDICT_WARN;
	default:
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
	st->md.asked = 0;
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
