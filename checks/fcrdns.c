/*
 * checks/fcrdns.c: forward-confirmed reverse DNS.  The client's address
 * is asked for its PTR names as soon as the session starts; each name
 * (at most NAMES_MAX) is asked for its A (IPv4 client) or AAAA (IPv6)
 * records as soon as the PTR answer is there, all while the greet delay
 * runs.  A name whose addresses include the client's is the client's
 * verified name: left as this check's result for the later checks
 * (rhsbl), given to the MTA child as TCPREMOTEHOST (XCLIENT NAME to a
 * TCP child) and recorded in a header.  No PTR, or no name that leads
 * back: the hit.  Seed 003's advice is to warn, not deny: the default
 * action is warn (the message gets the header and the X-Smtpfront-Warn
 * line); reject refuses such clients.
 *
 * Phases: start (the PTR query; the A/AAAA queries when it is answered),
 * connect (the verdict; held until RCPT under delay_reject).
 * Inputs: settings fcrdns_action (default warn), fcrdns_tempfail_action
 *     (off), dns_timeout, dns_budget; DNS: PTR of the client's address,
 *     A or AAAA of each name; replies fcrdns (550 5.7.25),
 *     fcrdns_tempfail (451 4.7.25).
 * Verdicts: pass (verified), reject on no PTR or no name leading back
 *     (the core applies fcrdns_action); a lookup that failed before a
 *     name was verified: fcrdns_tempfail_action (off: pass, warn, or
 *     defer; never a 5xx).
 * Failure: a DNS failure is logged as a warning and fails open by
 *     default; it sets no downgrade (a verified name allows nothing).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "dnspkt.h"
#include "resolver.h"

#define NAMES_MAX	4	/* PTR names followed, as Postfix does 1 */
#define PTR_SUFFIX_MAX	10	/* ".ip6.arpa" */

struct state {
	int		 qptr;		/* -1: not asked */
	int		 nfwd;
	int		 fwd[NAMES_MAX];
	int		 v4;
};

static void __attribute__((format(printf, 3, 4)))
say(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

static int
is_v4(const unsigned char b[16])
{
	static const unsigned char pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	return memcmp(b, pfx, sizeof(pfx)) == 0;
}

/* The PTR answer: ask each name for its addresses at once. */
static void
got_ptr(int q, void *arg)
{
	struct state *st = arg;
	struct dnspkt d;
	struct dnspkt_rr rr;
	const unsigned char *p;
	char name[DNSPKT_NAME_MAX + 1];
	size_t len;

	if (resolver_status(q) != RESOLVER_FOUND ||
	    (p = resolver_packet(q, &len)) == NULL ||
	    dnspkt_open(&d, p, len) == -1)
		return;
	while (st->nfwd < NAMES_MAX && dnspkt_next(&d, &rr) == 1) {
		if (rr.type != DNSPKT_T_PTR ||
		    dnspkt_name(&d, rr.rdpos, name, sizeof(name)) <= 0)
			continue;
		st->fwd[st->nfwd++] = resolver_ask(st->v4 ? DNSPKT_T_A :
		    DNSPKT_T_AAAA, name, PHASE_CONNECT, NULL, NULL);
	}
}

static enum verdict
fcrdns_start(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	char rev[RESOLVER_REV_MAX], name[RESOLVER_REV_MAX + PTR_SUFFIX_MAX];

	st->qptr = -1;
	if (!s->remote_known)
		return VERDICT_PASS;
	st->v4 = is_v4(s->remote_bin);
	resolver_rev(s->remote_bin, st->v4, rev);
	say(name, sizeof(name), "%s.%s", rev, st->v4 ? "in-addr.arpa" :
	    "ip6.arpa");
	st->qptr = resolver_ask(DNSPKT_T_PTR, name, PHASE_CONNECT, got_ptr,
	    st);
	return VERDICT_PASS;
}

/* Do the answer's A or AAAA records include the client's address? */
static int
leads_back(const struct session *s, const struct state *st, int q)
{
	struct dnspkt d;
	struct dnspkt_rr rr;
	const unsigned char *p;
	size_t len, n = st->v4 ? 4 : 16;
	unsigned int type = st->v4 ? DNSPKT_T_A : DNSPKT_T_AAAA;
	const unsigned char *want = st->v4 ? s->remote_bin + 12 :
	    s->remote_bin;

	if ((p = resolver_packet(q, &len)) == NULL ||
	    dnspkt_open(&d, p, len) == -1)
		return 0;
	while (dnspkt_next(&d, &rr) == 1)
		if (rr.type == type && rr.rdlen == n &&
		    memcmp(p + rr.rdpos, want, n) == 0)
			return 1;
	return 0;
}

static enum verdict
fcrdns_connect(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	int i, failed = 0;
	enum resolver_status r;

	if (st->qptr == -1)
		return VERDICT_PASS;
	r = resolver_status(st->qptr);
	if (r == RESOLVER_FAIL) {
		say(hit->failed, sizeof(hit->failed), "PTR %s: %s",
		    resolver_name(st->qptr), resolver_why(st->qptr));
		failed = 1;
	}
	for (i = 0; i < st->nfwd; i++) {
		r = resolver_status(st->fwd[i]);
		if (r == RESOLVER_FOUND && leads_back(s, st, st->fwd[i])) {
			say(hit->result, sizeof(hit->result), "%s",
			    resolver_name(st->fwd[i]));
			say(hit->header, sizeof(hit->header),
			    "X-Smtpfront-FCrDNS: pass (%s)",
			    resolver_name(st->fwd[i]));
			say(hit->auth, sizeof(hit->auth),
			    "iprev=pass policy.iprev=%s (%s)", s->remote_ip,
			    resolver_name(st->fwd[i]));
			return VERDICT_PASS;
		}
		if (r == RESOLVER_FAIL && !failed) {
			say(hit->failed, sizeof(hit->failed), "%s %s: %s",
			    st->v4 ? "A" : "AAAA", resolver_name(st->fwd[i]),
			    resolver_why(st->fwd[i]));
			failed = 1;
		}
	}
	if (failed) {
		say(hit->header, sizeof(hit->header),
		    "X-Smtpfront-FCrDNS: temperror (%s)", hit->failed);
		say(hit->auth, sizeof(hit->auth),
		    "iprev=temperror policy.iprev=%s", s->remote_ip);
		switch (s->cfg.fcrdns_tempfail_action) {
		case ACTION_OFF:
			return VERDICT_PASS;
		case ACTION_WARN:
			say(hit->reason, sizeof(hit->reason), "%s",
			    hit->failed);
			return VERDICT_WARN;
		default:
			say(hit->reason, sizeof(hit->reason), "%s",
			    hit->failed);
			memcpy(hit->reply, "fcrdns_tempfail",
			    sizeof("fcrdns_tempfail"));
			return VERDICT_DEFER;
		}
	}
	if (st->nfwd == 0)
		say(hit->reason, sizeof(hit->reason), "no PTR for %s",
		    s->remote_ip);
	else
		say(hit->reason, sizeof(hit->reason),
		    "%s does not resolve to %s", resolver_name(st->fwd[0]),
		    s->remote_ip);
	say(hit->header, sizeof(hit->header), "X-Smtpfront-FCrDNS: fail (%s)",
	    hit->reason);
	say(hit->auth, sizeof(hit->auth), "iprev=fail policy.iprev=%s",
	    s->remote_ip);
	return VERDICT_REJECT;
}

static const struct check_hooks fcrdns_hooks = {
	.start = fcrdns_start,
};

const struct check check_fcrdns = {
	.name = "fcrdns",
	.reply = "fcrdns",
	.action_off = offsetof(struct config, fcrdns_action),
	.state_size = sizeof(struct state),
	.phase[PHASE_CONNECT] = fcrdns_connect,
	.hooks = &fcrdns_hooks,
};
