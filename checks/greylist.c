/*
 * checks/greylist.c: greylisting.  A triplet (the client's network, the
 * sender, the recipient) seen for the first time is deferred (451 4.7.1,
 * saying when to retry); a retry after greylist_delay and within
 * greylist_window passes, and the triplet is then known for
 * greylist_lifetime, each pass renewing it.  A network whose triplets
 * have passed greylist_net_passes times is let through for
 * greylist_net_lifetime without triplets.  Ratware that does not retry
 * never gets through; real MTAs retry.
 *
 * The network is the client's /24 (IPv4) or /64 (IPv6), settings
 * greylist_v4_prefix and greylist_v6_prefix (down to the single
 * address).  Senders are normalised so that mail whose sender changes
 * with every message still matches: lower case, BATV's "prvs=TAG="
 * taken off, the local part cut at '+', runs of digits read as one '#'
 * (VERP bounce addresses).  Exempt: everything the checks before it
 * accepted (trusted and allowlisted clients, DNS allowlists), and with
 * greylist_spf_exempt senders whose SPF passed (big senders retry from
 * other addresses of their pool).  It runs last, at RCPT: a recipient
 * refused by a cheaper check never writes to the store.
 *
 * Phases: rcpt; data with greylist_at_data (a message to several
 *     recipients deferred once, at DATA, instead of recipient by
 *     recipient: no sender has to retry part of its recipients); reset.
 * Inputs: settings greylist_action (default off), greylist_delay (300
 *     s), greylist_window (14400 s), greylist_lifetime (36 days),
 *     greylist_net_passes (5), greylist_net_lifetime (36 days),
 *     greylist_v4_prefix (24), greylist_v6_prefix (64),
 *     greylist_spf_exempt (yes), greylist_at_data (no),
 *     greylist_tempfail_action (defer); the
 *     store (store, store_size); the result of spf; replies greylist
 *     (451 4.7.1), greylist_tempfail (451 4.3.0).
 * Verdicts: pass (known triplet or network, exempt), defer (first try,
 *     too early); a store failure: greylist_tempfail_action (defer by
 *     default: fail closed with 4xx; off: pass).
 * Failure: the store's error is logged as a warning and answered by
 *     greylist_tempfail_action; never a 5xx.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "check.h"
#include "store.h"

#define KEY_MAX		STORE_KEY_MAX
#define GREY_PASSED	0x1

enum outcome { FIRST, EARLY, PASSED_NOW, KNOWN };

/* With greylist_at_data: the transaction's greylisted recipients, for
 * one deferral at DATA. */
struct state {
	int		 held;
	uint64_t	 wait;
	char		 reason[REASON_MAX + 1];
};

struct ctx {
	const struct config *cfg;
	enum outcome	 outcome;
	uint64_t	 wait;
	uint64_t	 first;
};

static void __attribute__((format(printf, 3, 4)))
say(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* The sender as greylisting keys it (see the header). */
static size_t
normal_sender(const char *in, char *out, size_t size)
{
	const char *at = strrchr(in, '@'), *l = in, *le;
	size_t o = 0;
	char c;
	int digits = 0;

	if (at == NULL)
		at = in + strlen(in);
	/* BATV: prvs=TAG=local (and btv1==...) */
	if ((strncasecmp(l, "prvs=", 5) == 0 ||
	    strncasecmp(l, "btv1=", 5) == 0) &&
	    (le = memchr(l + 5, '=', (size_t)(at - l - 5))) != NULL)
		l = le + 1;
	for (le = l; le < at && *le != '+'; le++)
		;
	for (; l < le && o + 2 < size; l++) {
		c = *l;
		if (c >= '0' && c <= '9') {
			if (!digits)
				out[o++] = '#';
			digits = 1;
			continue;
		}
		digits = 0;
		out[o++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	for (l = at; *l != '\0' && o + 1 < size; l++)
		out[o++] = (char)(*l >= 'A' && *l <= 'Z' ? *l - 'A' + 'a' :
		    *l);
	out[o] = '\0';
	return o;
}

static int
triplet(struct store_rec *r, int found, uint64_t t, void *arg)
{
	struct ctx *c = arg;
	const struct config *cfg = c->cfg;

	if (!found) {
		r->first = r->last = t;
		r->count = 1;
		r->flags = 0;
		r->expires = t + cfg->greylist_window;
		c->outcome = FIRST;
		c->wait = cfg->greylist_delay;
		return 1;
	}
	r->last = t;
	r->count++;
	c->first = r->first;
	if (r->flags & GREY_PASSED) {
		r->expires = t + cfg->greylist_lifetime;
		c->outcome = KNOWN;
		return 1;
	}
	if (t < r->first + cfg->greylist_delay) {
		c->outcome = EARLY;
		c->wait = r->first + cfg->greylist_delay - t;
		return 1;
	}
	r->flags |= GREY_PASSED;
	r->expires = t + cfg->greylist_lifetime;
	c->outcome = PASSED_NOW;
	return 1;
}

static int
net_pass(struct store_rec *r, int found, uint64_t t, void *arg)
{
	const struct config *cfg = arg;

	if (!found) {
		r->first = t;
		r->count = 0;
		r->flags = 0;
	}
	r->last = t;
	r->count++;
	r->expires = t + cfg->greylist_net_lifetime;
	return 1;
}

static enum verdict
store_failed(const struct session *s, struct check_hit *hit,
    const char *why)
{
	return check_tempfail(hit, s->cfg.greylist_tempfail_action, "greylist_tempfail", why);
}

static enum verdict
greylist_rcpt(const struct session *s, struct check_hit *hit)
{
	char net[64], key[KEY_MAX + 1], sender[ADDR_MAX + 1];
	char why[REASON_MAX + 1];
	const char *spf = check_result(s, "spf");
	struct store_rec nr;
	struct ctx c;
	size_t n;
	int r;

	if (!s->remote_known)
		return VERDICT_PASS;
	if (s->cfg.greylist_spf_exempt && spf != NULL &&
	    strcmp(spf, "pass") == 0)
		return VERDICT_PASS;
	check_network(s, s->cfg.greylist_v4_prefix, s->cfg.greylist_v6_prefix,
	    net, sizeof(net));
	why[0] = '\0';
	if (s->cfg.greylist_net_passes > 0) {
		n = (size_t)snprintf(key, sizeof(key), "n %s", net);
		r = store_get(key, n, &nr, why, sizeof(why));
		if (r == -1)
			return store_failed(s, hit, why);
		if (r == 1 && nr.count >= s->cfg.greylist_net_passes) {
			say(hit->result, sizeof(hit->result), "network");
			return VERDICT_PASS;
		}
	}
	(void)normal_sender(s->sender, sender, sizeof(sender));
	r = snprintf(key, sizeof(key), "g %s %s %s", net, sender, s->rcpt);
	if (r < 0 || (size_t)r >= sizeof(key))
		return VERDICT_PASS;	/* no triplet fits: no greylisting */
	for (n = 0; key[n] != '\0'; n++)
		if (key[n] >= 'A' && key[n] <= 'Z')
			key[n] = (char)(key[n] - 'A' + 'a');
	memset(&c, 0, sizeof(c));
	c.cfg = &s->cfg;
	if (store_update(key, n, triplet, &c, why, sizeof(why)) == -1)
		return store_failed(s, hit, why);
	switch (c.outcome) {
	case KNOWN:
		say(hit->result, sizeof(hit->result), "known");
		return VERDICT_PASS;
	case PASSED_NOW:
		say(hit->result, sizeof(hit->result), "passed");
		say(hit->header, sizeof(hit->header),
		    "X-Smtpfront-Greylist: passed after %llu seconds",
		    (unsigned long long)(s->start > 0 ? (uint64_t)s->start -
		    c.first : 0));
		if (s->cfg.greylist_net_passes > 0) {
			n = (size_t)snprintf(key, sizeof(key), "n %s", net);
			if (store_update(key, n, net_pass,
			    (void *)&s->cfg, why, sizeof(why)) == -1)
				say(hit->failed, sizeof(hit->failed), "%s",
				    why);
		}
		return VERDICT_PASS;
	default:
		say(hit->reason, sizeof(hit->reason), "%s %s %s %s",
		    c.outcome == FIRST ? "first try" : "too early", net,
		    sender[0] ? sender : "<>", s->rcpt);
		if (s->cfg.greylist_at_data) {
			struct state *st = hit->state;

			/* every recipient taken, the message deferred at
			 * DATA: one retry for all of them */
			if (!st->held || c.wait > st->wait)
				st->wait = c.wait;
			if (!st->held)
				say(st->reason, sizeof(st->reason), "%s",
				    hit->reason);
			st->held = 1;
			hit->reason[0] = '\0';
			return VERDICT_PASS;
		}
		say(hit->text, sizeof(hit->text),
		    "Greylisted, please try again in %llu seconds",
		    (unsigned long long)c.wait);
		return VERDICT_DEFER;
	}
}

static enum verdict
greylist_data(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;

	(void)s;
	if (!st->held)
		return VERDICT_PASS;
	say(hit->reason, sizeof(hit->reason), "%s", st->reason);
	say(hit->text, sizeof(hit->text),
	    "Greylisted, please try again in %llu seconds",
	    (unsigned long long)st->wait);
	return VERDICT_DEFER;
}

static void
greylist_reset(const struct session *s, void *state)
{
	struct state *st = state;

	(void)s;
	st->held = 0;
	st->wait = 0;
}

static const struct check_hooks greylist_hooks = {
	.reset = greylist_reset,
};

const struct check check_greylist = {
	.name = "greylist",
	.reply = "greylist",
	.action_off = offsetof(struct config, greylist_action),
	.state_size = sizeof(struct state),
	.phase[PHASE_RCPT] = greylist_rcpt,
	.phase[PHASE_DATA] = greylist_data,
	.hooks = &greylist_hooks,
};
