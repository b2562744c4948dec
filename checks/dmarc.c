/*
 * checks/dmarc.c: DMARC (RFC 7489) at the end of data.  The domain of
 * the message's From: field (one address; header.c keeps it) is looked
 * up (TXT _dmarc.DOMAIN, else _dmarc.ORGDOMAIN, the organisational
 * domain by the Public Suffix List: psl.c), and the message passes when
 * a DKIM signature that passed (the dkim check's result) or the SPF pass
 * of the MAIL FROM domain (the spf check's result) is aligned with it:
 * the same domain (adkim=s, aspf=s) or the same organisational domain
 * (relaxed, the default).  A message that fails gets the domain's policy
 * (sp= for a subdomain, p= otherwise; pct= sampled): reject, quarantine
 * or none, each with its own action.  The result goes into an
 * Authentication-Results header and is left for later checks.
 *
 * Clients and senders accepted by an earlier check (trust, allow_ip,
 * allow_name, allow_sender: mailing lists, forwarders) run no check, so
 * they are exempt.  The dkim and spf checks must be on for their
 * results to count; without them only a missing record passes.
 *
 * Phases: start (the message is to be spooled), ask before eod (the
 *     query, once the header section is read), eod (the verdict and the
 *     header).
 * Inputs: settings dmarc_action (default off), dmarc_reject_action
 *     (reject), dmarc_quarantine_action (off: the header only),
 *     dmarc_psl (the list's file), dns_timeout, dns_budget; the results
 *     of dkim and spf; DNS TXT _dmarc.DOMAIN; reply dmarc (550 5.7.1).
 * Verdicts: pass (aligned), fail (by the policy's action), none (no
 *     record, or no single From: domain), temperror and permerror
 *     (passed, a warning).
 * Failure: a lookup that fails: dmarc=temperror, passed with a warning
 *     (lenient: a wrong refusal would lose mail).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/types.h>
#include "check.h"
#include "dmarc.h"
#include "dnspkt.h"
#include "psl.h"
#include "resolver.h"

#define RECORD_MAX	512

struct state {
	int	 q1, q2;		/* the From: domain's, the org domain's */
	int	 org_done;		/* org holds the From: domain's */
	char	 org[HEADER_DOMAIN_MAX + 1];
	const char *psl;
};

static void
ask_org(int q, void *arg)
{
	struct state *st = arg;
	char name[HEADER_DOMAIN_MAX + 8];
	const char *d = resolver_name(q) + sizeof("_dmarc.") - 1;

	if (resolver_status(q) != RESOLVER_NONE)
		return;
	(void)psl_orgdomain(st->psl, d, st->org, sizeof(st->org));
	st->org_done = 1;
	if (strcmp(st->org, d) == 0)
		return;
	check_say(name, sizeof(name), "_dmarc.%s", st->org);
	st->q2 = resolver_ask(DNSPKT_T_TXT, name, PHASE_EOD, NULL, NULL);
}

static void
dmarc_ask_eod(const struct session *s, void *state)
{
	struct state *st = state;
	char name[HEADER_DOMAIN_MAX + 8];

	st->q1 = st->q2 = -1;
	st->org_done = 0;
	st->org[0] = '\0';
	st->psl = s->cfg.dmarc_psl;
	if (s->hdr.from_domain[0] == '\0')
		return;
	check_say(name, sizeof(name), "_dmarc.%s", s->hdr.from_domain);
	st->q1 = resolver_ask(DNSPKT_T_TXT, name, PHASE_EOD, ask_org, st);
}

/* The one v=DMARC1 record of query q into rec: 1, 0 when none, -1 when
 * the lookup failed, -2 when there are several. */
static int
record(int q, char *rec, size_t size)
{
	struct dnspkt d;
	struct dnspkt_rr r;
	const unsigned char *p;
	char txt[RECORD_MAX + 1];
	size_t len;
	int found = 0;

	switch (resolver_status(q)) {
	case RESOLVER_FOUND:
		break;
	case RESOLVER_NONE:
		return 0;
	default:
		return -1;
	}
	if ((p = resolver_packet(q, &len)) == NULL ||
	    dnspkt_open(&d, p, len) == -1)
		return -1;
	while (dnspkt_next(&d, &r) == 1) {
		if (r.type != DNSPKT_T_TXT ||
		    dnspkt_txt(&d, &r, txt, sizeof(txt)) < 0)
			continue;
		if (strncasecmp(txt, "v=DMARC1", 8) != 0 ||
		    (txt[8] != ';' && txt[8] != ' ' && txt[8] != '\0'))
			continue;
		if (found++)
			return -2;
		check_say(rec, size, "%s", txt);
	}
	return found ? 1 : 0;
}

/*
 * Is domain a aligned with the From: domain (strict: equal; relaxed: the
 * same org domain)?  The From: domain's org domain is found once a
 * message (ask_org may have found it already).
 */
static int
aligned(struct state *st, const char *a, const char *from, int strict)
{
	char oa[HEADER_DOMAIN_MAX + 1];

	if (strcasecmp(a, from) == 0)
		return 1;
	if (strict || a[0] == '\0' || from[0] == '\0')
		return 0;
	if (!st->org_done) {
		(void)psl_orgdomain(st->psl, from, st->org, sizeof(st->org));
		st->org_done = 1;
	}
	(void)psl_orgdomain(st->psl, a, oa, sizeof(oa));
	return strcmp(oa, st->org) == 0;
}

static enum verdict
dmarc_eod(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	const char *from = s->hdr.from_domain;
	const char *dk = check_result(s, "dkim"), *spf = check_result(s,
	    "spf"), *at, *p;
	char rec[RECORD_MAX + 1], pol[16], sp[16], adkim[4], aspf[4], pct[8];
	char dom[HEADER_DOMAIN_MAX + 1], spfdom[HEADER_DOMAIN_MAX + 1];
	const char *policy;
	int r, q, pass = 0, which = 0;
	size_t n;
	unsigned long rnd;
	enum action a;

	if (from[0] == '\0') {
		check_say(hit->auth, sizeof(hit->auth),
		    "dmarc=none (no single From: domain)");
		memcpy(hit->result, "none", sizeof("none"));
		return VERDICT_PASS;
	}
	q = st->q2 != -1 ? st->q2 : st->q1;
	r = record(q, rec, sizeof(rec));
	if (r == -1 || r == -2) {
		const char *what = r == -1 ? "temperror" : "permerror";

		check_say(hit->auth, sizeof(hit->auth),
		    "dmarc=%s header.from=%s", what, from);
		check_say(hit->result, sizeof(hit->result), "%s", what);
		check_say(hit->failed, sizeof(hit->failed), "%s: %s",
		    resolver_name(q), r == -1 ? resolver_why(q) :
		    "more than one DMARC record");
		return VERDICT_PASS;
	}
	if (r == 0) {
		check_say(hit->auth, sizeof(hit->auth),
		    "dmarc=none header.from=%s", from);
		memcpy(hit->result, "none", sizeof("none"));
		return VERDICT_PASS;
	}
	dmarc_tag(rec, "p", pol, sizeof(pol));
	dmarc_tag(rec, "sp", sp, sizeof(sp));
	dmarc_tag(rec, "adkim", adkim, sizeof(adkim));
	dmarc_tag(rec, "aspf", aspf, sizeof(aspf));
	dmarc_tag(rec, "pct", pct, sizeof(pct));
	/* DKIM: "pass D1 D2 ...", each a domain whose signature passed */
	if (dk != NULL && strncmp(dk, "pass", 4) == 0)
		for (p = dk + 4; *p == ' ' && !pass; p += n) {
			p++;
			n = strcspn(p, " ");
			check_say(dom, sizeof(dom), "%.*s", (int)n, p);
			pass = aligned(st, dom, from, adkim[0] == 's');
			which = pass ? 1 : 0;
		}
	/* SPF: a pass of the MAIL FROM domain (the HELO's for <>) */
	if (!pass && spf != NULL && strcmp(spf, "pass") == 0) {
		at = strrchr(s->sender, '@');
		check_say(spfdom, sizeof(spfdom), "%s", at != NULL ? at + 1 :
		    s->helo);
		for (n = 0; spfdom[n] != '\0'; n++)
			if (spfdom[n] >= 'A' && spfdom[n] <= 'Z')
				spfdom[n] = (char)(spfdom[n] + 32);
		if (aligned(st, spfdom, from, aspf[0] == 's'))
			pass = 1, which = 2;
	}
	/* the policy: sp= for a subdomain of the record's domain */
	policy = st->q2 != -1 && sp[0] != '\0' ? sp : pol;
	if (strcmp(policy, "reject") != 0 && strcmp(policy, "quarantine") != 0)
		policy = "none";
	if (pass) {
		check_say(hit->auth, sizeof(hit->auth),
		    "dmarc=pass (p=%s) header.from=%s (%s aligned)", policy,
		    from,
		    which == 1 ? "dkim" : "spf");
		memcpy(hit->result, "pass", sizeof("pass"));
		return VERDICT_PASS;
	}
	/* pct=: the policy applied to that share, the next milder to the
	 * rest (RFC 7489 6.6.4) */
	if (pct[0] != '\0' && strtoul(pct, NULL, 10) < 100 &&
	    getrandom(&rnd, sizeof(rnd), 0) == (ssize_t)sizeof(rnd) &&
	    rnd % 100 >= strtoul(pct, NULL, 10))
		policy = strcmp(policy, "reject") == 0 ? "quarantine" : "none";
	check_say(hit->auth, sizeof(hit->auth),
	    "dmarc=fail (p=%s) header.from=%s", policy, from);
	memcpy(hit->result, "fail", sizeof("fail"));
	check_say(hit->reason, sizeof(hit->reason), "dmarc=fail p=%s "
	    "header.from=%s", policy, from);
	if (strcmp(policy, "reject") == 0)
		a = s->cfg.dmarc_reject_action;
	else if (strcmp(policy, "quarantine") == 0)
		a = s->cfg.dmarc_quarantine_action;
	else
		return VERDICT_PASS;
	switch (a) {
	case ACTION_OFF:
		return VERDICT_PASS;
	case ACTION_WARN:
		return VERDICT_WARN;
	case ACTION_DEFER:
		return VERDICT_DEFER;
	case ACTION_DROP:
		return VERDICT_DROP;
	default:
		return VERDICT_REJECT;
	}
}

/* the message spooled, so that the header added at its end reaches it */
static enum verdict
dmarc_start(const struct session *s, struct check_hit *hit)
{
	(void)s;
	hit->spool = 1;
	return VERDICT_PASS;
}

static const struct check_hooks dmarc_hooks = {
	.start = dmarc_start,
	.ask[PHASE_EOD] = dmarc_ask_eod,
};

const struct check check_dmarc = {
	.name = "dmarc",
	.reply = "dmarc",
	.action_off = offsetof(struct config, dmarc_action),
	.flags = CHECK_F_HEADER,
	.state_size = sizeof(struct state),
	.phase[PHASE_EOD] = dmarc_eod,
	.hooks = &dmarc_hooks,
};
