/*
 * checks/rcpt_dns.c: the recipient's domain must take mail, for a client
 * that may relay (RELAYCLIENT, trust): MX records, or an A or AAAA
 * record; a null MX (RFC 7505) is refused with its code, as Postfix's
 * reject_unknown_recipient_domain does.  A relaying client (a user's
 * mail program, an application) then hears at once that the address is
 * mistyped, instead of the queue bouncing it later.  Other clients are
 * not asked about: relay control refuses their foreign recipients, and
 * our own domains take mail.
 *
 * Phases: ask before rcpt (the MX, A and AAAA queries, all at once: the
 *     core waits for them), rcpt (the verdict; with CHECK_F_RELAY, so
 *     it runs for every recipient of a relaying client).
 * Inputs: settings rcpt_dns_action (default off),
 *     rcpt_dns_tempfail_action (off), dns_timeout, dns_budget; DNS: MX,
 *     A and AAAA of the recipient's domain; replies rcpt_dns (550
 *     5.1.2), rcpt_dns_nullmx (556 5.1.10), rcpt_dns_tempfail (451
 *     4.4.3).
 * Verdicts: pass; reject when the domain does not exist or has neither
 *     MX nor address, or has a null MX; a lookup that failed while none
 *     of the three found anything: rcpt_dns_tempfail_action (off: pass,
 *     warn, or defer; never a 5xx).
 * Failure: a DNS failure is logged as a warning and fails open by
 *     default, without the downgrade rule (it allows nothing).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "maildomain.h"

struct state {
	struct maildomain md;
};

static void
rcpt_dns_ask(const struct session *s, void *state)
{
	struct state *st = state;

	st->md.asked = 0;
	if (s->relayclient)
		(void)maildomain_ask(&st->md, s->rcpt, PHASE_RCPT);
}

static enum verdict
rcpt_dns_rcpt(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;

	if (!st->md.asked)
		return VERDICT_PASS;
	switch (maildomain_judge(&st->md, hit->reason, sizeof(hit->reason))) {
	case MAILDOMAIN_OK:
		hit->reason[0] = '\0';
		return VERDICT_PASS;
	case MAILDOMAIN_NULLMX:
		memcpy(hit->reply, "rcpt_dns_nullmx",
		    sizeof("rcpt_dns_nullmx"));
		return VERDICT_REJECT;
	case MAILDOMAIN_NONE:
		return VERDICT_REJECT;
	case MAILDOMAIN_FAIL:
		break;
	}
	(void)snprintf(hit->failed, sizeof(hit->failed), "%s", hit->reason);
	switch (s->cfg.rcpt_dns_tempfail_action) {
	case ACTION_OFF:
		hit->reason[0] = '\0';
		return VERDICT_PASS;
	case ACTION_WARN:
		return VERDICT_WARN;
	default:
		memcpy(hit->reply, "rcpt_dns_tempfail",
		    sizeof("rcpt_dns_tempfail"));
		return VERDICT_DEFER;
	}
}

static const struct check_hooks rcpt_dns_hooks = {
	.ask[PHASE_RCPT] = rcpt_dns_ask,
};

const struct check check_rcpt_dns = {
	.name = "rcpt_dns",
	.reply = "rcpt_dns",
	.action_off = offsetof(struct config, rcpt_dns_action),
	.flags = CHECK_F_RELAY,
	.state_size = sizeof(struct state),
	.phase[PHASE_RCPT] = rcpt_dns_rcpt,
	.hooks = &rcpt_dns_hooks,
};
