/*
 * checks/dnsbl.c: DNS lists by client address.  Every zone of the list
 * dnsbl is asked for the client's address (d.c.b.a.ZONE; the 32 nibbles
 * of an IPv6 address) as soon as the session starts, all at once, while
 * the greet delay runs.  A zone lists the client when an A record of
 * its answer passes the entry's filter; the weights of the zones that
 * list it add up to the client's score.  At dnsbl_threshold the client
 * is refused, with the listing zone's TXT text in the reply; at minus
 * dnsbl_allow_threshold (allowlist zones have negative weights) it is
 * accepted, bypassing the later checks.  An answer in 127.255.255.0/24
 * (what large lists return to queries they refuse: open resolvers, over
 * quota) is no listing: the zone counts as failed, with a warning.
 * RBLSMTPD set (rblsmtpd's convention, from tcprules) skips the check:
 * empty exempts the client, a text refuses it already.
 *
 * Phases: start (the queries), connect (the verdict, after fcrdns and
 * the allowlists by name, trust_name and allow_name, so that a partner
 * known by name is not refused for a listing; held until RCPT under
 * delay_reject).
 * Inputs: list dnsbl (ZONE[=FILTER][*WEIGHT], dnslist.h); settings
 *     dnsbl_action (default reject), dnsbl_threshold (1),
 *     dnsbl_allow_threshold (0: none), dnsbl_tempfail_action (off),
 *     dns_timeout, dns_budget; RBLSMTPD; DNS: A and TXT of
 *     REVERSED-ADDRESS.ZONE; replies dnsbl (554 5.7.1, text: the zone's
 *     TXT when it has one), dnsbl_tempfail (451 4.4.3).
 * Verdicts: pass, accept (allowlisted), reject at the threshold; a zone
 *     that failed while the rest did not decide: dnsbl_tempfail_action
 *     (off: pass, warn, or defer; never a 5xx).
 * Failure: a DNS failure (timeout, server failure, refusal code) is
 *     logged as a warning and fails open by default; a failed allowlist
 *     zone also sets the downgrade rule (it might have accepted the
 *     client).  A rules database error fails open with the downgrade.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "dnslist.h"
#include "dnspkt.h"
#include "resolver.h"
#include "rules.h"

#define ZONES_MAX	16
#define TXT_SHOWN	120	/* of a zone's TXT text in the reply */

struct zone {
	int		 qa;		/* the A query, -1 none */
	int		 qt;		/* the TXT query, -1 none */
	int		 weight;
};

struct state {
	int		 n;
	struct zone	 z[ZONES_MAX];
};

/* Into a fixed buffer, cut where it ends: log and reply texts. */
static void __attribute__((format(printf, 3, 4)))
say(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

static void
copy(char *dst, size_t size, const char *src)
{
	say(dst, size, "%s", src);
}

static int
is_v4(const unsigned char b[16])
{
	static const unsigned char pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	return memcmp(b, pfx, sizeof(pfx)) == 0;
}

/* The nth entry: its text (cut at the blank) and where it was written. */
static int
entry(const struct session *s, int n, char *val, size_t size,
    const char **where)
{
	char key[32];
	char *sp;
	int r;

	(void)snprintf(key, sizeof(key), "e:dnsbl:%d", n);
	r = rules_get(s->rules, key, strlen(key), val, size);
	if (r != 1)
		return r;
	if ((sp = strchr(val, ' ')) == NULL)
		return -1;
	*sp = '\0';
	*where = sp + 1;
	return 1;
}

/* A listing: ask for the zone's text at once, for the reply. */
static void
got_a(int q, void *arg)
{
	struct state *st = arg;
	int i;

	if (resolver_status(q) != RESOLVER_FOUND)
		return;
	for (i = 0; i < st->n; i++)
		if (st->z[i].qa == q && st->z[i].weight > 0 &&
		    st->z[i].qt == -1)
			st->z[i].qt = resolver_ask(DNSPKT_T_TXT,
			    resolver_name(q), PHASE_CONNECT, NULL, NULL);
}

static enum verdict
dnsbl_start(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	struct dnslist_entry de;
	char val[RULES_VALUE_MAX], rev[RESOLVER_REV_MAX];
	char name[RESOLVER_REV_MAX + DNSLIST_ZONE_MAX + 2];
	const char *where, *err, *rbl = getenv("RBLSMTPD");
	unsigned long count;
	int i, r;

	if (rbl != NULL || !s->remote_known)
		return VERDICT_PASS;
	r = rules_get(s->rules, "c:dnsbl", 7, val, sizeof(val));
	if (r != 1) {
		hit->lookup_failed = r == -1;
		return VERDICT_PASS;
	}
	count = strtoul(val, NULL, 10);
	resolver_rev(s->remote_bin, is_v4(s->remote_bin), rev);
	for (i = 0; i < (int)count && i < ZONES_MAX; i++) {
		st->z[i].qa = st->z[i].qt = -1;
		r = entry(s, i, val, sizeof(val), &where);
		if (r != 1 || dnslist_parse(val, strlen(val), &de, &err) == -1) {
			hit->lookup_failed = 1;
			continue;
		}
		st->z[i].weight = de.weight;
		(void)snprintf(name, sizeof(name), "%s.%s", rev, de.zone);
		st->n = i + 1;
		st->z[i].qa = resolver_ask(DNSPKT_T_A, name, PHASE_CONNECT,
		    got_a, st);
	}
	if (count > ZONES_MAX)
		say(hit->failed, sizeof(hit->failed),
		    "only the first %d of %lu zones are asked", ZONES_MAX,
		    count);
	return VERDICT_PASS;
}

/* The answer a.b.c.d the zone gave that counts, 0 none; refused set
 * for 127.255.255.x. */
static int
listed(int q, const struct dnslist_entry *de, unsigned char a[4],
    int *refused)
{
	struct dnspkt d;
	struct dnspkt_rr rr;
	const unsigned char *p;
	size_t len;

	*refused = 0;
	if ((p = resolver_packet(q, &len)) == NULL ||
	    dnspkt_open(&d, p, len) == -1)
		return 0;
	while (dnspkt_next(&d, &rr) == 1) {
		if (rr.type != DNSPKT_T_A || rr.rdlen != 4)
			continue;
		memcpy(a, p + rr.rdpos, 4);
		if (dnslist_refusal(a)) {
			*refused = 1;
			return 0;
		}
		if (dnslist_match(de, a))
			return 1;
	}
	return 0;
}

/* The zone's TXT text, made printable, or "". */
static void
txt(int q, char *out, size_t size)
{
	struct dnspkt d;
	struct dnspkt_rr rr;
	const unsigned char *p;
	size_t len, i;
	int n;

	out[0] = '\0';
	if ((p = resolver_packet(q, &len)) == NULL ||
	    dnspkt_open(&d, p, len) == -1)
		return;
	while (dnspkt_next(&d, &rr) == 1)
		if (rr.type == DNSPKT_T_TXT) {
			if ((n = dnspkt_txt(&d, &rr, out, size)) <= 0)
				out[0] = '\0';
			break;
		}
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 32 || (unsigned char)out[i] > 126)
			out[i] = '?';
}

static void
note(char *buf, size_t size, const char *what)
{
	size_t n = strlen(buf);

	if (n > 0 && n < size - 2) {
		buf[n++] = ';';
		buf[n++] = ' ';
		buf[n] = '\0';
	}
	if (n < size - 1)
		(void)snprintf(buf + n, size - n, "%s", what);
}

static enum verdict
dnsbl_connect(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	struct dnslist_entry de;
	char val[RULES_VALUE_MAX], why[REASON_MAX + 1];
	char text[TXT_SHOWN + 1];
	unsigned char a[4], top_a[4] = { 0 }, allow_a[4] = { 0 };
	const char *where, *err;
	int i, refused, score = 0, top = -1, allow = -1, failed = 0;
	int allow_failed = 0;

	for (i = 0; i < st->n; i++) {
		if (st->z[i].qa == -1 ||
		    entry(s, i, val, sizeof(val), &where) != 1 ||
		    dnslist_parse(val, strlen(val), &de, &err) == -1)
			continue;
		switch (resolver_status(st->z[i].qa)) {
		case RESOLVER_FOUND:
			if (listed(st->z[i].qa, &de, a, &refused)) {
				score += de.weight;
				if (de.weight > 0 && (top == -1 ||
				    de.weight > st->z[top].weight)) {
					top = i;
					memcpy(top_a, a, 4);
				}
				if (de.weight < 0 && allow == -1) {
					allow = i;
					memcpy(allow_a, a, 4);
				}
			} else if (refused) {
				say(why, sizeof(why),
				    "%s refuses our queries (%u.%u.%u.%u): "
				    "counted as failed", de.zone, a[0], a[1],
				    a[2], a[3]);
				note(hit->failed, sizeof(hit->failed), why);
				failed++;
				allow_failed |= de.weight < 0;
			}
			break;
		case RESOLVER_NONE:
			break;
		default:
			say(why, sizeof(why), "%s: %s", de.zone,
			    resolver_why(st->z[i].qa));
			note(hit->failed, sizeof(hit->failed), why);
			failed++;
			allow_failed |= de.weight < 0;
		}
	}
	if (allow_failed)
		hit->lookup_failed = 1;
	if (s->cfg.dnsbl_allow_threshold > 0 && allow != -1 &&
	    score <= -(int)s->cfg.dnsbl_allow_threshold &&
	    entry(s, allow, val, sizeof(val), &where) == 1 &&
	    dnslist_parse(val, strlen(val), &de, &err) == 0) {
		copy(hit->rule, sizeof(hit->rule), where);
		say(hit->reason, sizeof(hit->reason),
		    "%s=%u.%u.%u.%u score=%d", de.zone, allow_a[0],
		    allow_a[1], allow_a[2], allow_a[3], score);
		return VERDICT_ACCEPT;
	}
	if (top != -1 && score >= (int)s->cfg.dnsbl_threshold &&
	    entry(s, top, val, sizeof(val), &where) == 1 &&
	    dnslist_parse(val, strlen(val), &de, &err) == 0) {
		copy(hit->rule, sizeof(hit->rule), where);
		say(hit->reason, sizeof(hit->reason),
		    "%s=%u.%u.%u.%u score=%d", de.zone, top_a[0], top_a[1],
		    top_a[2], top_a[3], score);
		txt(st->z[top].qt, text, sizeof(text));
		say(hit->text, sizeof(hit->text),
		    "Service unavailable; client [%s] blocked using %s%s%s",
		    s->remote_ip, de.zone, text[0] ? ": " : "", text);
		return VERDICT_REJECT;
	}
	if (failed == 0)
		return VERDICT_PASS;
	switch (s->cfg.dnsbl_tempfail_action) {
	case ACTION_OFF:
		return VERDICT_PASS;
	case ACTION_WARN:
		copy(hit->reason, sizeof(hit->reason), hit->failed);
		return VERDICT_WARN;
	default:
		/* a failed lookup is never a 5xx */
		copy(hit->reason, sizeof(hit->reason), hit->failed);
		memcpy(hit->reply, "dnsbl_tempfail", sizeof("dnsbl_tempfail"));
		return VERDICT_DEFER;
	}
}

static const struct check_hooks dnsbl_hooks = {
	.start = dnsbl_start,
};

static const char *const lists[] = { "dnsbl", NULL };

const struct check check_dnsbl = {
	.name = "dnsbl",
	.reply = "dnsbl",
	.action_off = offsetof(struct config, dnsbl_action),
	.state_size = sizeof(struct state),
	.phase[PHASE_CONNECT] = dnsbl_connect,
	.hooks = &dnsbl_hooks,
	.lists = lists,
};
