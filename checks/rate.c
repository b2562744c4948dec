/*
 * checks/rate.c: rate limits per client network, counted in the store
 * across sessions (and, on Redis, across hosts), as Postfix's anvil
 * does: sessions at once (rate_concurrency), sessions a minute
 * (rate_connections), messages and recipients an hour (rate_messages,
 * rate_recipients), and recipients refused with 5xx over
 * rate_refused_window seconds (rate_refused: a directory-harvest attack
 * spread over many short sessions, each guessing two addresses).  0
 * turns a limit off.  The network is the client's /32 or /64
 * (rate_v4_prefix, rate_v6_prefix).
 *
 * Counters are fixed windows: the first event opens the window, the
 * count starts again once it is over.  A session holds its place in
 * the concurrency count from its start to its end; a session killed
 * with SIGKILL holds it until no session of its network started for
 * session_timeout seconds (the count's lifetime).  Refused recipients
 * are added at the end of each session, and this session's own are
 * counted at once.
 *
 * Phases: start (concurrency, connections and refused recipients,
 *     refused before the greeting and its delay, with hit->now; trusted
 *     clients are not counted), rcpt (recipients an hour, refused
 *     recipients; after every other check, so only recipients that
 *     passed them count), data (messages an hour); end (the
 *     concurrency place given back, refused recipients added).
 * Inputs: settings rate_action (default off), rate_tempfail_action
 *     (off), rate_concurrency, rate_connections, rate_messages,
 *     rate_recipients, rate_refused (0 each), rate_refused_window
 *     (3600 s), rate_v4_prefix (32), rate_v6_prefix (64),
 *     session_timeout; the store (store, store_size, store_timeout),
 *     keys "r conc|conn|msg|rcpt|bad NETWORK"; s->rcpt_refused; reply
 *     rate (550 5.7.1: defer gives 421 before the greeting, 450 after).
 * Verdicts: pass; reject over a limit (rate_action turns it into the
 *     defer it is meant to be, or a reject or drop).
 * Failure: a store error is a warning; rate_tempfail_action (off by
 *     default: fail open, a limit is not worth refusing mail for).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "store.h"

#define MINUTE		60
#define HOUR		3600
#define NET_MAX		64
#define KEY_MAX		(NET_MAX + 8)
#define CONC_SLACK	60	/* seconds past session_timeout */

struct state {
	int		 held;		/* a place in the concurrency count */
	unsigned long	 refused_added;	/* s->rcpt_refused in the store */
	char		 net[NET_MAX];
};

struct ctx {
	unsigned long	 limit;
	unsigned long	 window;
	unsigned long	 count;		/* after this event */
	int		 over;
	int		 take;		/* 0: only look */
	unsigned long	 add;
};

static void __attribute__((format(printf, 3, 4)))
say(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

static size_t
key(char *out, const char *what, const char *net)
{
	int n = snprintf(out, KEY_MAX, "r %s %s", what, net);

	return n < 0 || n >= KEY_MAX ? 0 : (size_t)n;
}

/* A fixed window: opened by the first event, counted until it ends; an
 * event over the limit is not counted. */
static int
windowed(struct store_rec *r, int found, uint64_t t, void *arg)
{
	struct ctx *c = arg;

	if (!found || t >= r->first + c->window) {
		r->first = t;
		r->count = 0;
		r->flags = 0;
	}
	r->last = t;
	r->expires = r->first + c->window;
	if (c->limit > 0 && r->count + c->add > c->limit) {
		c->over = 1;
		c->count = r->count;
		return 0;
	}
	if (r->count + c->add > UINT32_MAX)
		r->count = UINT32_MAX;
	else
		r->count += (uint32_t)c->add;
	c->count = r->count;
	return 1;
}

/* The concurrency count: one more, unless at the limit. */
static int
take(struct store_rec *r, int found, uint64_t t, void *arg)
{
	struct ctx *c = arg;

	if (!found) {
		r->first = t;
		r->count = 0;
		r->flags = 0;
	}
	if (r->count >= c->limit) {
		c->over = 1;
		c->count = r->count;
		return 0;
	}
	r->count++;
	r->last = t;
	r->expires = t + c->window;
	c->count = r->count;
	return 1;
}

/* And one less at the end. */
static int
give(struct store_rec *r, int found, uint64_t t, void *arg)
{
	(void)t;
	(void)arg;
	if (!found || r->count == 0)
		return 0;
	r->count--;
	return 1;
}

static enum verdict
store_failed(const struct session *s, struct check_hit *hit,
    const char *why)
{
	return check_tempfail(hit, s->cfg.rate_tempfail_action, "rate_tempfail", why);
}

/* Over a limit: the reason, the text, the rule of its setting. */
static enum verdict
over(const struct session *s, struct check_hit *hit, const char *setting,
    const char *what, unsigned long count, unsigned long limit,
    const char *net)
{
	char name[48];

	say(hit->reason, sizeof(hit->reason), "%s %s: %lu, limit %lu",
	    what, net, count, limit);
	say(hit->text, sizeof(hit->text), "Too many %s from your network, "
	    "please try again later", what);
	say(name, sizeof(name), "rate_%s", setting);
	check_rule_of(s, name, hit->rule, sizeof(hit->rule));
	return VERDICT_REJECT;
}

/* Refused recipients: those in the store and this session's not yet
 * added. */
static enum verdict
refused(const struct session *s, struct check_hit *hit,
    const struct state *st)
{
	char k[KEY_MAX], why[STORE_WHY_MAX + 1];
	struct store_rec r;
	unsigned long n;
	size_t kl;
	int found;

	if (s->cfg.rate_refused == 0 || (kl = key(k, "bad", st->net)) == 0)
		return VERDICT_PASS;
	why[0] = '\0';
	found = store_get(k, kl, &r, why, sizeof(why));
	if (found == -1)
		return store_failed(s, hit, why);
	n = (found ? r.count : 0) + (s->rcpt_refused - st->refused_added);
	if (n >= s->cfg.rate_refused)
		return over(s, hit, "refused", "refused recipients", n,
		    s->cfg.rate_refused, st->net);
	return VERDICT_PASS;
}

static enum verdict
rate_start(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	char k[KEY_MAX], why[STORE_WHY_MAX + 1];
	struct ctx c;
	size_t kl;

	if (!s->remote_known || s->trusted)
		return VERDICT_PASS;
	check_network(s, s->cfg.rate_v4_prefix, s->cfg.rate_v6_prefix,
	    st->net, sizeof(st->net));
	why[0] = '\0';
	hit->now = 1;
	if (s->cfg.rate_concurrency > 0 &&
	    (kl = key(k, "conc", st->net)) > 0) {
		memset(&c, 0, sizeof(c));
		c.limit = s->cfg.rate_concurrency;
		c.window = s->cfg.session_timeout + CONC_SLACK;
		if (store_update(k, kl, take, &c, why, sizeof(why)) == -1)
			return store_failed(s, hit, why);
		if (c.over)
			return over(s, hit, "concurrency", "sessions at once",
			    c.count, c.limit, st->net);
		st->held = 1;
	}
	if (s->cfg.rate_connections > 0 &&
	    (kl = key(k, "conn", st->net)) > 0) {
		memset(&c, 0, sizeof(c));
		c.limit = s->cfg.rate_connections;
		c.window = MINUTE;
		c.add = 1;
		if (store_update(k, kl, windowed, &c, why, sizeof(why)) == -1)
			return store_failed(s, hit, why);
		if (c.over)
			return over(s, hit, "connections",
			    "sessions a minute", c.count, c.limit, st->net);
	}
	return refused(s, hit, st);
}

static enum verdict
rate_rcpt(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	char k[KEY_MAX], why[STORE_WHY_MAX + 1];
	enum verdict v;
	struct ctx c;
	size_t kl;

	if (!s->remote_known || st->net[0] == '\0')
		return VERDICT_PASS;
	if ((v = refused(s, hit, st)) != VERDICT_PASS)
		return v;
	if (s->cfg.rate_recipients == 0 || (kl = key(k, "rcpt", st->net)) ==
	    0)
		return VERDICT_PASS;
	memset(&c, 0, sizeof(c));
	c.limit = s->cfg.rate_recipients;
	c.window = HOUR;
	c.add = 1;
	why[0] = '\0';
	if (store_update(k, kl, windowed, &c, why, sizeof(why)) == -1)
		return store_failed(s, hit, why);
	if (c.over)
		return over(s, hit, "recipients", "recipients an hour",
		    c.count, c.limit, st->net);
	return VERDICT_PASS;
}

static enum verdict
rate_data(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	char k[KEY_MAX], why[STORE_WHY_MAX + 1];
	struct ctx c;
	size_t kl;

	if (!s->remote_known || st->net[0] == '\0' ||
	    s->cfg.rate_messages == 0 || (kl = key(k, "msg", st->net)) == 0)
		return VERDICT_PASS;
	memset(&c, 0, sizeof(c));
	c.limit = s->cfg.rate_messages;
	c.window = HOUR;
	c.add = 1;
	why[0] = '\0';
	if (store_update(k, kl, windowed, &c, why, sizeof(why)) == -1)
		return store_failed(s, hit, why);
	if (c.over)
		return over(s, hit, "messages", "messages an hour", c.count,
		    c.limit, st->net);
	return VERDICT_PASS;
}

static void
rate_end(const struct session *s, void *state)
{
	struct state *st = state;
	char k[KEY_MAX], why[STORE_WHY_MAX + 1];
	struct ctx c;
	size_t kl;

	if (st->net[0] == '\0')
		return;
	if (st->held && (kl = key(k, "conc", st->net)) > 0)
		(void)store_update(k, kl, give, NULL, why, sizeof(why));
	st->held = 0;
	if (s->cfg.rate_refused > 0 && s->rcpt_refused > st->refused_added &&
	    (kl = key(k, "bad", st->net)) > 0) {
		memset(&c, 0, sizeof(c));
		c.window = s->cfg.rate_refused_window;
		c.add = s->rcpt_refused - st->refused_added;
		if (store_update(k, kl, windowed, &c, why, sizeof(why)) == 0)
			st->refused_added = s->rcpt_refused;
	}
}

static const struct check_hooks rate_hooks = {
	.start = rate_start,
	.end = rate_end,
};

const struct check check_rate = {
	.name = "rate",
	.reply = "rate",
	.action_off = offsetof(struct config, rate_action),
	.state_size = sizeof(struct state),
	.phase[PHASE_RCPT] = rate_rcpt,
	.phase[PHASE_DATA] = rate_data,
	.hooks = &rate_hooks,
};
