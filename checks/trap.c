/*
 * checks/trap.c: honeypot MX traps.  A listener that stands for a
 * high-numbered MX (or any address no honest sender uses), marked by
 * trap_listener (set in that listener's environment, by the service or
 * tcprules: SMTPFRONT_TRAP_LISTENER=yes), records every client that
 * reaches it in the store for trap_lifetime and refuses it at once;
 * every listener with trap_action on refuses clients found there.
 * Spammers try every MX, honest senders the lowest first: a client in
 * the trap is a spammer.
 *
 * Phases: connect (the trap listener refuses at once; a trapped client
 * elsewhere is held until RCPT under delay_reject, so the log shows its
 * envelope).
 * Inputs: settings trap_action (default off), trap_listener (no),
 *     trap_lifetime (259200 s); the store (store, store_size), key
 *     "t ADDRESS"; reply trap (554 5.7.1).
 * Verdicts: pass; reject (trap_action) on the trap listener and for a
 *     trapped client.
 * Failure: a store error fails open (a warning): a trap is a hint, not
 *     a policy anybody asked for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "store.h"

static void __attribute__((format(printf, 3, 4)))
say(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

static int
record(struct store_rec *r, int found, uint64_t t, void *arg)
{
	const struct config *cfg = arg;

	if (!found) {
		r->first = t;
		r->count = 0;
		r->flags = 0;
	}
	r->last = t;
	r->count++;
	r->expires = t + cfg->trap_lifetime;
	return 1;
}

static enum verdict
trap_connect(const struct session *s, struct check_hit *hit)
{
	char key[IPSTR_MAX + 4], why[REASON_MAX + 1];
	struct store_rec r;
	size_t n;
	int found;

	if (!s->remote_known)
		return VERDICT_PASS;
	n = (size_t)snprintf(key, sizeof(key), "t %s", s->remote_ip);
	why[0] = '\0';
	if (s->cfg.trap_listener) {
		if (store_update(key, n, record, (void *)&s->cfg, why,
		    sizeof(why)) == -1)
			say(hit->failed, sizeof(hit->failed), "%s", why);
		say(hit->reason, sizeof(hit->reason),
		    "the trap listener: %s recorded for %lu s", s->remote_ip,
		    s->cfg.trap_lifetime);
		check_rule_of(s, "trap_listener", hit->rule,
		    sizeof(hit->rule));
		hit->now = 1;
		return VERDICT_REJECT;
	}
	found = store_get(key, n, &r, why, sizeof(why));
	if (found == -1) {
		say(hit->failed, sizeof(hit->failed), "%s", why);
		return VERDICT_PASS;
	}
	if (found == 0)
		return VERDICT_PASS;
	say(hit->reason, sizeof(hit->reason),
	    "trapped %lu time(s), last %llu s ago", (unsigned long)r.count,
	    (unsigned long long)((uint64_t)s->start > r.last ?
	    (uint64_t)s->start - r.last : 0));
	return VERDICT_REJECT;
}

const struct check check_trap = {
	.name = "trap",
	.reply = "trap",
	.action_off = offsetof(struct config, trap_action),
	.phase[PHASE_CONNECT] = trap_connect,
};
