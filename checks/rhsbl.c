/*
 * checks/rhsbl.c: DNS lists by name (right-hand side lists): the HELO
 * name in the zones of rhsbl_helo, the client's verified name (the
 * result of fcrdns) in those of rhsbl_client, the sender's domain in
 * those of rhsbl_sender; each asked as NAME.ZONE for an A record as soon
 * as the name is known (at HELO, at HELO, at MAIL), its TXT asked at
 * once when it lists.  A listing refuses with its own reply, naming the
 * zone and giving its TXT text, at each RCPT (where delay_reject gives a
 * refusal found earlier anyway: the answers about the HELO and the
 * sender then come together, one DNS round trip for the session).  Entries are ZONE[=FILTER] as in dnsbl (no
 * weights: one listing is a hit); answers in 127.255.255.0/24 count as a
 * failed zone.  RBLSMTPD set skips the client and HELO lists, as it does
 * dnsbl.
 *
 * Phases: helo (HELO and client queries), mail (the sender's queries),
 * rcpt (the verdict); reset.
 * Inputs: lists rhsbl_helo, rhsbl_client, rhsbl_sender; settings
 *     rhsbl_action (default reject), rhsbl_tempfail_action (off),
 *     dns_timeout, dns_budget; the result of fcrdns; DNS: A and TXT of
 *     NAME.ZONE; replies rhsbl_helo, rhsbl_client, rhsbl_sender
 *     (554 5.7.1), rhsbl_tempfail (451 4.4.3).
 * Verdicts: pass; reject on a listing; a zone that failed while no other
 *     listed: rhsbl_tempfail_action (off: pass, warn, or defer).
 * Failure: a DNS failure is logged as a warning and fails open by
 *     default, without the downgrade rule.
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

#define ZONES_MAX	8	/* a list */
#define TXT_SHOWN	120
#define KIND_HELO	0
#define KIND_CLIENT	1
#define KIND_SENDER	2
#define KINDS		3

static const char *const kind_list[KINDS] = {
	"rhsbl_helo", "rhsbl_client", "rhsbl_sender"
};
/* the rules keys of the lists' lengths: no formatting at every MAIL */
static const char *const kind_count[KINDS] = {
	"c:rhsbl_helo", "c:rhsbl_client", "c:rhsbl_sender"
};
static const char *const kind_what[KINDS] = {
	"HELO name", "client name", "sender domain"
};

struct zones {
	int		 n;
	int		 qa[ZONES_MAX];
	int		 qt[ZONES_MAX];
	char		 name[DNSPKT_NAME_MAX + 1];	/* what is listed */
};

struct state {
	struct zones	 k[KINDS];
	/* each list's length, read once: the rules are the session's */
	unsigned long	 count[KINDS];
	unsigned char	 counted[KINDS];
};

static void __attribute__((format(printf, 3, 4)))
say(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* Entry i of a list: its text (cut at the blank) and its line. */
static int
entry(const struct session *s, int kind, int i, char *val, size_t size,
    const char **where)
{
	char key[48];
	char *sp;
	int r;

	say(key, sizeof(key), "e:%s:%d", kind_list[kind], i);
	if ((r = rules_get(s->rules, key, strlen(key), val, size)) != 1)
		return r;
	if ((sp = strchr(val, ' ')) == NULL)
		return -1;
	*sp = '\0';
	*where = sp + 1;
	return 1;
}

/* A listing: its TXT, for the reply. */
static void
got_a(int q, void *arg)
{
	struct zones *z = arg;
	int i;

	if (resolver_status(q) != RESOLVER_FOUND)
		return;
	for (i = 0; i < z->n; i++)
		if (z->qa[i] == q && z->qt[i] == -1)
			z->qt[i] = resolver_ask(DNSPKT_T_TXT,
			    resolver_name(q), resolver_need(q), NULL, NULL);
}

/* Ask every zone of the kind's list about name, wanted by phase need. */
static void
ask(const struct session *s, struct check_hit *hit, int kind,
    const char *name, int need)
{
	struct state *st = hit->state;
	struct zones *z = &st->k[kind];
	struct dnslist_entry de;
	char val[RULES_VALUE_MAX], q[DNSPKT_NAME_MAX + 2];
	const char *where, *err;
	unsigned long count;
	size_t n;
	int i, r;

	z->n = 0;
	if (!st->counted[kind]) {
		r = rules_get(s->rules, kind_count[kind],
		    strlen(kind_count[kind]), val, sizeof(val));
		if (r == -1) {
			hit->lookup_failed = 1;
			return;
		}
		st->count[kind] = r == 1 ? strtoul(val, NULL, 10) : 0;
		st->counted[kind] = 1;
	}
	if ((count = st->count[kind]) == 0)
		return;
	n = strlen(name);
	if (n == 0 || n > DNSPKT_NAME_MAX || name[0] == '[')
		return;
	memcpy(z->name, name, n + 1);
	if (n > 0 && z->name[n - 1] == '.')
		z->name[n - 1] = '\0';
	for (i = 0; i < (int)count && i < ZONES_MAX; i++) {
		z->qa[i] = z->qt[i] = -1;
		z->n = i + 1;
		if (entry(s, kind, i, val, sizeof(val), &where) != 1 ||
		    dnslist_parse(val, strlen(val), &de, &err) == -1) {
			hit->lookup_failed = 1;
			continue;
		}
		if (strlen(z->name) + 1 + strlen(de.zone) > DNSPKT_NAME_MAX - 2)
			continue;
		say(q, sizeof(q), "%s.%s", z->name, de.zone);
		z->qa[i] = resolver_ask(DNSPKT_T_A, q, need, got_a, z);
	}
}

/* Does the answer of query q list, for entry de?  refused: 127.255.255. */
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

static void
txt(int q, char *out, size_t size)
{
	struct dnspkt d;
	struct dnspkt_rr rr;
	const unsigned char *p;
	size_t len, i;

	out[0] = '\0';
	if ((p = resolver_packet(q, &len)) == NULL ||
	    dnspkt_open(&d, p, len) == -1)
		return;
	while (dnspkt_next(&d, &rr) == 1)
		if (rr.type == DNSPKT_T_TXT) {
			if (dnspkt_txt(&d, &rr, out, size) <= 0)
				out[0] = '\0';
			break;
		}
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 32 || (unsigned char)out[i] > 126)
			out[i] = '?';
}

/* The verdict of one kind: 1 a listing (hit filled), 0 none; failures
 * noted in hit->failed. */
static int
decide(const struct session *s, struct check_hit *hit, int kind)
{
	struct zones *z = &((struct state *)hit->state)->k[kind];
	struct dnslist_entry de;
	char val[RULES_VALUE_MAX], text[TXT_SHOWN + 1];
	unsigned char a[4];
	const char *where, *err;
	int i, refused;

	for (i = 0; i < z->n; i++) {
		if (z->qa[i] == -1 ||
		    entry(s, kind, i, val, sizeof(val), &where) != 1 ||
		    dnslist_parse(val, strlen(val), &de, &err) == -1)
			continue;
		switch (resolver_status(z->qa[i])) {
		case RESOLVER_FOUND:
			if (listed(z->qa[i], &de, a, &refused)) {
				say(hit->rule, sizeof(hit->rule), "%s", where);
				say(hit->reason, sizeof(hit->reason),
				    "%s %s in %s=%u.%u.%u.%u", kind_what[kind],
				    z->name, de.zone, a[0], a[1], a[2], a[3]);
				txt(z->qt[i], text, sizeof(text));
				say(hit->text, sizeof(hit->text),
				    "Service unavailable; %s %s blocked using "
				    "%s%s%s", kind_what[kind], z->name, de.zone,
				    text[0] ? ": " : "", text);
				say(hit->reply, sizeof(hit->reply), "%s",
				    kind_list[kind]);
				return 1;
			}
			if (refused && hit->failed[0] == '\0')
				say(hit->failed, sizeof(hit->failed),
				    "%s refuses our queries (%u.%u.%u.%u): "
				    "counted as failed", de.zone, a[0], a[1],
				    a[2], a[3]);
			break;
		case RESOLVER_NONE:
			break;
		default:
			if (hit->failed[0] == '\0')
				say(hit->failed, sizeof(hit->failed), "%s: %s",
				    resolver_name(z->qa[i]),
				    resolver_why(z->qa[i]));
		}
	}
	return 0;
}

static enum verdict
tempfail(const struct session *s, struct check_hit *hit)
{
	if (hit->failed[0] == '\0')
		return VERDICT_PASS;
	switch (s->cfg.rhsbl_tempfail_action) {
	case ACTION_OFF:
		return VERDICT_PASS;
	case ACTION_WARN:
		say(hit->reason, sizeof(hit->reason), "%s", hit->failed);
		return VERDICT_WARN;
	default:
		say(hit->reason, sizeof(hit->reason), "%s", hit->failed);
		memcpy(hit->reply, "rhsbl_tempfail", sizeof("rhsbl_tempfail"));
		return VERDICT_DEFER;
	}
}

static enum verdict
rhsbl_helo(const struct session *s, struct check_hit *hit)
{
	const char *name;

	if (getenv("RBLSMTPD") != NULL)
		return VERDICT_PASS;
	ask(s, hit, KIND_HELO, s->helo, PHASE_RCPT);
	if ((name = check_result(s, "fcrdns")) != NULL)
		ask(s, hit, KIND_CLIENT, name, PHASE_RCPT);
	return VERDICT_PASS;
}

static enum verdict
rhsbl_mail(const struct session *s, struct check_hit *hit)
{
	const char *at = memrchr(s->sender, '@', s->sender_len);

	if (at != NULL)
		ask(s, hit, KIND_SENDER, at + 1, PHASE_RCPT);
	return VERDICT_PASS;
}

static enum verdict
rhsbl_rcpt(const struct session *s, struct check_hit *hit)
{
	if (decide(s, hit, KIND_HELO) || decide(s, hit, KIND_CLIENT) ||
	    decide(s, hit, KIND_SENDER))
		return VERDICT_REJECT;
	return tempfail(s, hit);
}

static void
rhsbl_reset(const struct session *s, void *state)
{
	struct state *st = state;

	(void)s;
	st->k[KIND_SENDER].n = 0;
}

static const struct check_hooks rhsbl_hooks = {
	.reset = rhsbl_reset,
};

static const char *const lists[] = { "rhsbl_helo", "rhsbl_client", "rhsbl_sender", NULL };

const struct check check_rhsbl = {
	.name = "rhsbl",
	.reply = "rhsbl_sender",
	.action_off = offsetof(struct config, rhsbl_action),
	.state_size = sizeof(struct state),
	.phase[PHASE_HELO] = rhsbl_helo,
	.phase[PHASE_MAIL] = rhsbl_mail,
	.phase[PHASE_RCPT] = rhsbl_rcpt,
	.hooks = &rhsbl_hooks,
	.lists = lists,
};
