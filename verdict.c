/*
 * verdict.c: the check runner (see verdict.h and the contract in
 * check.h).  The first decisive verdict of a phase wins: an accept or a
 * refusal ends it.  A hit becomes the administrator's action for that
 * check; a check's own defer (a failed lookup it fails closed on) stays a
 * defer.  The downgrade rule: after any failed lookup in the session a
 * reject goes out as the matching 4xx.
 * Input: the connection and its check list.  Output: replies, the one log
 * line of each refusal, accept and warn line, the held verdict, warn
 * hits, results and added header lines in the session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envvar.h"
#include "log.h"
#include "rules.h"
#include "spool.h"
#include "resolver.h"
#include "store.h"
#include "verdict.h"

static enum action
action_of(const struct session *s, const struct check *k)
{
	enum action act;

	if (k->action_off == CHECK_ALWAYS)
		return ACTION_REJECT;
	act = *(const enum action *)(const void *)((const char *)&s->cfg +
	    k->action_off);
	/* relay control has no warn mode: that is an open relay */
	if ((k->flags & CHECK_F_RELAY) && act == ACTION_WARN)
		act = ACTION_REJECT;
	return act;
}

/* The state of the check at cp in the list. */
static void *
state_of(struct conn *c, const struct check *const *cp)
{
	size_t i = (size_t)(cp - c->checks);

	return (*cp)->state_size > 0 && c->state != NULL ?
	    c->state + c->state_off[i] : NULL;
}

/* The checks' per-session state, when it fits (one session a process). */
#define STATE_ROOM	32768
static char state_room[STATE_ROOM] __attribute__((aligned(16)));

/* c->hooks: which of these hooks any check has (none: no loop to pay) */
#define HOOK_START	0x01
#define HOOK_WAIT	0x02

/* c->with_hook[]: the hooks run for every transaction, and at the end */
enum { WH_RESET, WH_ACCEPTED, WH_RCPT, WH_END };

/* The first check of mask m, its bit taken off; the mask must not be 0. */
static const struct check *const *
next_check(const struct conn *c, uint64_t *m)
{
	int i = __builtin_ctzll(*m);

	*m &= *m - 1;
	return c->checks + i;
}

static void
hooks_of(struct conn *c, const struct check *k, size_t i)
{
	const struct check_hooks *h = k->hooks;
	uint64_t bit = (uint64_t)1 << i;
	int p;

	for (p = 0; p < PHASE_COUNT; p++)
		if (h->ask[p] != NULL)
			c->with_ask[p] |= bit;
	if (h->body != NULL) {
		c->with_body |= bit;
		c->body = 1;
	}
	if (h->reset != NULL)
		c->with_hook[WH_RESET] |= bit;
	if (h->accepted != NULL)
		c->with_hook[WH_ACCEPTED] |= bit;
	if (h->rcpt_accepted != NULL)
		c->with_hook[WH_RCPT] |= bit;
	if (h->end != NULL)
		c->with_hook[WH_END] |= bit;
	c->hooks |= (h->start != NULL ? HOOK_START : 0) |
	    (h->wait != NULL ? HOOK_WAIT : 0);
}

/*
 * Are all of k's lists empty in the session's rules?  Asked once, at the
 * start: the rules are constant.  A read error says no: the check runs,
 * and fails as it would.
 */
static int
lists_empty(const struct session *s, const struct check *k)
{
	char key[RULE_MAX + 3], val[32];
	size_t i, n;
	int r;

	if (k->lists == NULL)
		return 0;
	for (i = 0; k->lists[i] != NULL; i++) {
		/* "c:LIST", no printf: seven of them start every session */
		n = strlen(k->lists[i]);
		if (n > sizeof(key) - 3)
			return 0;
		key[0] = 'c';
		key[1] = ':';
		memcpy(key + 2, k->lists[i], n);
		r = rules_get(s->rules, key, n + 2, val, sizeof(val));
		if (r == -1 || (r == 1 && strcmp(val, "0") != 0))
			return 0;
	}
	return 1;
}

int
verdict_init(struct conn *c)
{
	const struct check *k;
	size_t i, total = 0, sz;

	if (c->checks == NULL)
		c->checks = check_list;
	header_init(&c->s.hdr);
	memset(c->with_phase, 0, sizeof(c->with_phase));
	memset(c->with_ask, 0, sizeof(c->with_ask));
	memset(c->with_hook, 0, sizeof(c->with_hook));
	c->with_body = 0;
	c->on = 0;
	/*
	 * The masks hold the checks that are on, by phase and by hook: a
	 * check that is off, or whose lists the rules do not have, costs no
	 * message a visit.  The actions are read here, once: the settings
	 * are the session's from the start (warn and reject may still change
	 * after, off and on may not).
	 */
	for (i = 0; (k = c->checks[i]) != NULL; i++) {
		int p;

		if (i == CHECKS_MAX)
			return -1;
		if (action_of(&c->s, k) != ACTION_OFF &&
		    !lists_empty(&c->s, k)) {
			c->on |= (uint64_t)1 << i;
			for (p = 0; p < PHASE_COUNT; p++)
				if (k->phase[p] != NULL)
					c->with_phase[p][(k->flags &
					    CHECK_F_RELAY) != 0] |=
					    (uint64_t)1 << i;
			if (k->hooks != NULL)
				hooks_of(c, k, i);
			if (k->flags & CHECK_F_HEADER)
				c->body = c->headers = 1;
		}
		if (k->state_size > 0) {
			/* each check's state aligned as malloc aligns */
			sz = (k->state_size + 15) & ~(size_t)15;
			c->state_off[i] = total;
			if (sz > ((size_t)-1) - total)
				return -1;
			total += sz;
		}
		if ((k->flags & CHECK_F_LOOKAHEAD) &&
		    action_of(&c->s, k) != ACTION_OFF)
			c->lookahead = 1;
	}
	/* the checks' state in zeroed static pages, unless it is larger:
	 * a page costs a session only once a check touches it (here a
	 * read allocates it as a write does) */
	if (total <= sizeof(state_room))
		c->state = total > 0 ? state_room : NULL;
	else if ((c->state = calloc(1, total)) == NULL)
		return -1;
	c->on_end = verdict_end;
	return 0;
}

static void
held_clear(struct held *d)
{
	/* the strings are read up to their NUL: no need to clear them all */
	d->verdict = VERDICT_PASS;
	d->phase = 0;
	d->check[0] = d->reply[0] = d->reason[0] = d->rule[0] = d->text[0] =
	    '\0';
}

static void
note_warn(struct conn *c, const char *check, const struct held *d,
    const char *cmd)
{
	struct session *s = &c->s;
	const char *rule = d->rule[0] ? d->rule : "-";
	int i;

	copystr(s->warn_rule, sizeof(s->warn_rule), rule, strlen(rule));
	log_start("warn");
	log_str("check", check);
	log_str("rule", rule);
	conn_log_envelope(c, cmd);
	if (d->reason[0] != '\0')
		log_str("reason", d->reason);
	log_end();
	for (i = 0; i < s->nwarns; i++)
		if (strcmp(s->warns[i], check) == 0)
			return;
	if (s->nwarns < WARN_MAX) {
		copystr(s->warns[s->nwarns], sizeof(s->warns[0]), check,
		    strlen(check));
		s->nwarns++;
	}
}

/*
 * A header line a check adds: printable, bounded, "Name: value".  Past
 * the bound on them all, lines are dropped, with one warning a session.
 */
static void
add_header(struct conn *c, const char *line)
{
	struct session *s = &c->s;
	size_t n = strlen(line), i;
	const char *colon = strchr(line, ':');

	if (colon == NULL || colon == line || n > HEADER_LINE_MAX)
		return;
	if (n + 2 > sizeof(s->headers) - s->hlen) {
		if (!c->headers_full)
			log_warning("header lines over their limit, dropped",
			    line);
		c->headers_full = 1;
		return;
	}
	/* each piece printable; a '\n' between two folds the line (a CRLF
	 * and a TAB: the two bytes of "\n" and one more, counted above as
	 * the CRLF's) */
	for (;;) {
		const char *nl = memchr(line, '\n', n);
		size_t k = nl != NULL ? (size_t)(nl - line) : n;

		if (nl != NULL && s->hlen + k + 3 + (n - k - 1) + 2 >
		    sizeof(s->headers))
			nl = NULL, k = n;
		log_printable(s->headers + s->hlen, k + 1, line, k);
		for (i = 0; i < k; i++)
			if (s->headers[s->hlen + i] == '\t')
				s->headers[s->hlen + i] = ' ';
		s->hlen += k;
		if (nl == NULL)
			break;
		memcpy(s->headers + s->hlen, "\r\n\t", 3);
		s->hlen += 3;
		line = nl + 1;
		n -= k + 1;
	}
	memcpy(s->headers + s->hlen, "\r\n", 2);
	s->hlen += 2;
}

/* One Authentication-Results entry, printable, after those before. */
static void
add_auth(struct session *s, const char *entry)
{
	size_t n = strlen(entry);

	if (n + 3 > sizeof(s->auth) - s->alen)
		return;		/* the header is full: the result is logged */
	s->auth[s->alen++] = ';';
	s->auth[s->alen++] = '\n';
	/* printable; a '\n' (between a check's entries) folds the line */
	for (; *entry != '\0'; entry++)
		s->auth[s->alen++] = *entry == '\n' ? '\n' :
		    (unsigned char)*entry < 32 || (unsigned char)*entry > 126 ?
		    '?' : *entry;
}

static void
add_result(struct session *s, const char *check, const char *value)
{
	int i;

	for (i = 0; i < s->nresults; i++)
		if (strcmp(s->results[i].check, check) == 0)
			break;
	if (i == RESULTS_MAX)
		return;
	if (i == s->nresults) {
		copystr(s->results[i].check, sizeof(s->results[i].check),
		    check, strlen(check));
		s->nresults++;
	}
	copystr(s->results[i].value, sizeof(s->results[i].value), value,
	    strlen(value));
}

/*
 * The rule of a hit that names none: the line of the rules source that
 * set the check's action ("FILE:LINE"), the variable from the
 * environment that overrode it ("SMTPFRONT_NAME_ACTION"), or "builtin"
 * when nothing did: the administrator always learns what to change.
 * Looked up only for a hit, never for a check that passes.
 */
static void
rule_of_action(struct conn *c, const struct check *k, char *rule,
    size_t size)
{
	char name[RULE_MAX + 1];
	size_t n;

	copystr(rule, size, "builtin", 7);
	if (k->action_off == CHECK_ALWAYS)
		return;
	n = (size_t)snprintf(name, sizeof(name), "%s_action", k->name);
	if (n >= sizeof(name))
		return;
	check_rule_of(&c->s, name, rule, size);
}

/* A check's new message: only at eod, where there is a spool. */
static void
replace(struct conn *c, enum phase ph, struct spool *sp)
{
	struct session *s = &c->s;

	if (ph != PHASE_EOD || s->spool == NULL) {
		spool_free(sp);
		return;
	}
	if (s->spool != c->spool_orig)
		spool_free(s->spool);
	s->spool = sp;
}

/*
 * One check's verdict: the hit taken into the session (lookup failure,
 * header, result) and into d.  PASS, ACCEPT, WARN (noted) or a refusal
 * after the action.
 */
static inline __attribute__((always_inline)) enum verdict
one(struct conn *c, const struct check *const *cp, check_fn f, enum phase ph,
    struct held *d, const char *cmd, int quiet)
{
	struct session *s = &c->s;
	const struct check *k = *cp;
	struct check_hit hit;
	enum action act;
	enum verdict v;

	/* the checks write C strings: their first bytes will do */
	hit.reason[0] = hit.reply[0] = hit.rule[0] = hit.text[0] = '\0';
	hit.header[0] = hit.result[0] = hit.failed[0] = hit.auth[0] = '\0';
	hit.lookup_failed = hit.now = hit.spool = 0;
	hit.replace = NULL;
	hit.state = state_of(c, cp);
	v = f(s, &hit);
	if (hit.replace != NULL)
		replace(c, ph, hit.replace);
	if (hit.failed[0] != '\0')
		log_warning(k->name, hit.failed);
	if (hit.lookup_failed) {
		s->lookup_failed = 1;
		if (hit.reason[0] != '\0' && v == VERDICT_PASS)
			log_warning(k->name, hit.reason);
		else if (v == VERDICT_PASS)
			log_warning("rules database read error", k->name);
	}
	if (hit.header[0] != '\0')
		add_header(c, hit.header);
	if (hit.result[0] != '\0')
		add_result(s, k->name, hit.result);
	if (hit.auth[0] != '\0')
		add_auth(s, hit.auth);
	if (hit.spool && ph < PHASE_MAIL)
		s->spool_session = 1;
	else if (hit.spool)
		s->spool_txn = 1;
	if (v == VERDICT_PASS)
		return v;
	copystr(d->check, sizeof(d->check), k->name, strlen(k->name));
	if (hit.reply[0] != '\0')
		copystr(d->reply, sizeof(d->reply), hit.reply,
		    strlen(hit.reply));
	else
		copystr(d->reply, sizeof(d->reply), k->reply,
		    strlen(k->reply));
	copystr(d->reason, sizeof(d->reason), hit.reason, strlen(hit.reason));
	if (hit.rule[0] != '\0')
		copystr(d->rule, sizeof(d->rule), hit.rule, strlen(hit.rule));
	else
		rule_of_action(c, k, d->rule, sizeof(d->rule));
	copystr(d->text, sizeof(d->text), hit.text, strlen(hit.text));
	d->phase = ph;
	if (v == VERDICT_ACCEPT) {
		d->verdict = VERDICT_ACCEPT;
		if (quiet)
			return v;
		log_start("accept");
		log_str("check", k->name);
		log_str("rule", d->rule[0] ? d->rule : "-");
		conn_log_envelope(c, cmd);
		log_end();
		return v;
	}
	/* the action, only for a hit: a check that is off does not run */
	act = action_of(s, k);
	if (v == VERDICT_WARN || act == ACTION_WARN) {
		note_warn(c, k->name, d, cmd);
		return VERDICT_WARN;
	}
	/* a check's own drop (a content rule's) stands unless the action
	 * is milder */
	if (v == VERDICT_DEFER || act == ACTION_DEFER)
		v = VERDICT_DEFER;
	else if (act == ACTION_DROP || v == VERDICT_DROP)
		v = VERDICT_DROP;
	else
		v = VERDICT_REJECT;
	d->verdict = v;
	if (hit.now)
		d->phase = PHASE_RCPT;	/* not to be held */
	return v;
}

/* A CHECK_F_TRUST check accepted: the client may relay, skips the rest. */
static void
trust(struct session *s, const struct held *d)
{
	s->trusted = 1;
	s->relayclient = 1;
	copystr(s->trust_rule, sizeof(s->trust_rule), d->rule,
	    strlen(d->rule));
}

enum verdict
verdict_start(struct conn *c, struct held *d)
{
	struct session *s = &c->s;
	const struct check *const *cp;
	const struct check *k;
	enum verdict v;

	held_clear(d);
	if (!(c->hooks & HOOK_START))
		return VERDICT_PASS;
	for (cp = c->checks; (k = *cp) != NULL; cp++) {
		if (k->hooks == NULL || k->hooks->start == NULL ||
		    !(c->on & (uint64_t)1 << (cp - c->checks)))
			continue;
		/* a client handed to the child logs "exec", no accept */
		v = one(c, cp, k->hooks->start, PHASE_CONNECT, d, "CONNECT",
		    (k->flags & CHECK_F_TRUST) && s->cfg.trust_exec &&
		    !c->dry);
		if (v == VERDICT_PASS || v == VERDICT_WARN)
			continue;
		if (v == VERDICT_ACCEPT) {
			s->session_accept = 1;
			if (k->flags & CHECK_F_TRUST)
				trust(s, d);
		}
		return v;
	}
	d->verdict = VERDICT_PASS;
	return VERDICT_PASS;
}

unsigned long
verdict_wait(struct conn *c, enum phase ph)
{
	struct session *s = &c->s;
	const struct check *const *cp;
	const struct check *k;
	unsigned long ms, max = 0;

	if (s->trusted || !(c->hooks & HOOK_WAIT))
		return 0;
	for (cp = c->checks; (k = *cp) != NULL; cp++) {
		if (k->hooks == NULL || k->hooks->wait == NULL ||
		    !(c->on & (uint64_t)1 << (cp - c->checks)))
			continue;
		ms = k->hooks->wait(s, state_of(c, cp), ph);
		if (ms > max)
			max = ms;
	}
	return max;
}

enum verdict
verdict_run(struct conn *c, enum phase ph, struct held *d, const char *cmd,
    int relay)
{
	struct session *s = &c->s;
	const struct check *const *cp;
	const struct check *k;
	enum verdict v;
	uint64_t m;

	held_clear(d);
	if (!relay && (s->session_accept ||
	    (s->txn_accept && ph >= PHASE_MAIL)))
		return VERDICT_PASS;
	/* the questions about this command's input, once a command */
	if (relay || ph != PHASE_RCPT)
		for (m = c->with_ask[ph]; m != 0; ) {
			cp = next_check(c, &m);
			(*cp)->hooks->ask[ph](s, state_of(c, cp));
		}
	/* the answers the checks of this phase want */
	if (resolver_pending(ph))
		resolver_wait(ph);
	for (m = c->with_phase[ph][relay != 0]; m != 0; ) {
		cp = next_check(c, &m);
		k = *cp;
		v = one(c, cp, k->phase[ph], ph, d, cmd, 0);
		if (v == VERDICT_PASS || v == VERDICT_WARN)
			continue;
		if (v == VERDICT_ACCEPT) {
			if (ph != PHASE_CONNECT) {
				if (ph < PHASE_RCPT)
					s->txn_accept = 1;
			} else {
				s->session_accept = 1;
				/* trust by a name the DNS verified */
				if (k->flags & CHECK_F_TRUST)
					trust(s, d);
			}
		}
		return v;
	}
	d->verdict = VERDICT_PASS;
	return VERDICT_PASS;
}

void
verdict_refuse(struct conn *c, struct held *d, const char *cmd)
{
	struct session *s = &c->s;
	struct rtext rt;
	int downgraded = 0;
	const char *ev;

	conn_reply(c, d->reply, &rt);
	if (d->text[0] != '\0')
		copystr(rt.text, sizeof(rt.text), d->text, strlen(d->text));
	s->refusals++;
	if (d->verdict == VERDICT_REJECT && s->lookup_failed) {
		d->verdict = VERDICT_DEFER;
		downgraded = 1;
	}
	if (d->verdict == VERDICT_DEFER)
		reply_temp(&rt);
	/* a refusal that replaces the greeting closes: a 4xx there is 421 */
	if (d->verdict == VERDICT_DEFER && strcmp(cmd, "CONNECT") == 0)
		memcpy(rt.code, "421", 4);
	/* a drop says 421 unless its reply is permanent and no lookup
	 * failed (the failed lookup might have allowlisted the client) */
	if (d->verdict == VERDICT_DROP && (rt.code[0] != '5' ||
	    s->lookup_failed)) {
		downgraded = rt.code[0] == '5';
		conn_reply(c, "drop", &rt);
	}
	ev = verdict_name(d->verdict);
	conn_log_refusal(c, ev, d->check, d->rule, cmd, 1, NULL, &rt,
	    d->reason, downgraded);
	conn_say_rt(c, &rt);
	if (d->verdict == VERDICT_DROP) {
		client_flush(&c->cl);
		conn_finish(c, EXIT_OK);
	}
}

int
verdict_early(struct conn *c, struct held *d, const char *cmd)
{
	struct session *s = &c->s;

	if (d->verdict != VERDICT_DEFER && d->verdict != VERDICT_REJECT &&
	    d->verdict != VERDICT_DROP)
		return 0;
	if (d->verdict == VERDICT_DROP || !s->cfg.delay_reject ||
	    d->phase >= PHASE_RCPT) {
		verdict_refuse(c, d, cmd);
		return 1;
	}
	if (s->held.verdict == VERDICT_PASS)
		s->held = *d;
	return 0;
}

void
verdict_keep(struct conn *c, enum phase ph)
{
	struct session *s = &c->s;

	if (ph == PHASE_CONNECT) {
		s->nwarns_connect = s->nwarns;
		s->hlen_connect = s->hlen;
		s->alen_connect = s->alen;
		s->nresults_connect = s->nresults;
	}
	s->nwarns_session = s->nwarns;
	s->hlen_session = s->hlen;
	s->alen_session = s->alen;
	s->nresults_session = s->nresults;
}

void
verdict_back(struct conn *c, enum phase ph)
{
	struct session *s = &c->s;

	if (ph == PHASE_CONNECT) {
		s->nwarns = s->nwarns_connect;
		s->hlen = s->hlen_connect;
		s->alen = s->alen_connect;
		s->nresults = s->nresults_connect;
	} else {
		s->nwarns = s->nwarns_session;
		s->hlen = s->hlen_session;
		s->alen = s->alen_session;
		s->nresults = s->nresults_session;
	}
}

static void
hooks(struct conn *c, int which)
{
	struct session *s = &c->s;
	const struct check *const *cp;
	const struct check *k;
	check_hook f;
	uint64_t m;

	for (m = c->with_hook[which]; m != 0; ) {
		cp = next_check(c, &m);
		k = *cp;
		f = which == WH_RESET ? k->hooks->reset :
		    which == WH_ACCEPTED ? k->hooks->accepted :
		    which == WH_RCPT ? k->hooks->rcpt_accepted :
		    k->hooks->end;
		f(s, state_of(c, cp));
	}
}

void
verdict_reset(struct conn *c)
{
	struct session *s = &c->s;

	s->in_txn = 0;
	s->sender[0] = '\0';
	s->sender_len = 0;
	s->rcpt[0] = '\0';
	s->rcpt_len = 0;
	s->rcpts = 0;
	s->size_declared = 0;
	s->body_8bit = 0;
	s->rcpts_role = 0;
	header_init(&s->hdr);
	s->txn_accept = 0;
	s->spool_txn = 0;
	verdict_back(c, PHASE_HELO);
	if (s->held.verdict != VERDICT_PASS && s->held.phase >= PHASE_MAIL)
		memset(&s->held, 0, sizeof(s->held));
	c->rcpt_tries = 0;
	hooks(c, WH_RESET);
	/* a child that got DATA early may be inside it: RSET would be text */
	if (child_up(&c->ch) && c->ch.data_sent)
		child_kill(&c->ch);
	else if (child_up(&c->ch) && c->mail_fwd) {
		struct creply rep;

		if (child_cmd(&c->ch, "RSET", 4, &rep) == -1 ||
		    rep.code != 250) {
			log_warning("child failed RSET", c->ch.why);
			child_kill(&c->ch);
		}
	}
	c->mail_fwd = 0;
}

void
verdict_rcpt_accepted(struct conn *c)
{
	hooks(c, WH_RCPT);
}

void
verdict_accepted(struct conn *c)
{
	hooks(c, WH_ACCEPTED);
}

void
verdict_end(struct conn *c)
{
	hooks(c, WH_END);
	store_close();		/* after every check that may use it */
	if (c->state != state_room)
		free(c->state);
	c->state = NULL;
}

void
verdict_body(struct conn *c, const char *buf, size_t n)
{
	struct session *s = &c->s;
	const struct check *const *cp;
	uint64_t m;

	if (!c->body || n == 0 || s->session_accept || s->txn_accept)
		return;
	if (c->headers)
		(void)header_feed(&s->hdr, buf, n);
	for (m = c->with_body; m != 0; ) {
		cp = next_check(c, &m);
		(*cp)->hooks->body(s, state_of(c, cp), buf, n);
	}
}

size_t
verdict_headers(struct conn *c, char *buf, size_t size)
{
	struct session *s = &c->s;
	size_t n = 0, k;
	int i;

	if (s->tls_proto[0] != '\0') {
		/* the facts are short: the line fits TLS_HEADER_MAX */
		n = (size_t)snprintf(buf, size < TLS_HEADER_MAX ? size :
		    TLS_HEADER_MAX, "X-Smtpfront-TLS: %s cipher=%s bits=%s\r\n",
		    s->tls_proto, s->tls_cipher, s->tls_bits);
		if (n >= size || n >= TLS_HEADER_MAX)
			n = 0;
	}
	if (s->nwarns > 0 && size - n > 18) {
		memcpy(buf + n, "X-Smtpfront-Warn: ", 18);
		n += 18;
		for (i = 0; i < s->nwarns && n < size; i++) {
			k = strlen(s->warns[i]);
			if (n + k + 4 >= size)
				break;
			if (i > 0) {
				memcpy(buf + n, ", ", 2);
				n += 2;
			}
			memcpy(buf + n, s->warns[i], k);
			n += k;
		}
		if (n + 2 < size) {
			memcpy(buf + n, "\r\n", 2);
			n += 2;
		}
	}
	if (s->hlen > 0 && s->hlen <= size - n) {
		memcpy(buf + n, s->headers, s->hlen);
		n += s->hlen;
	}
	/* the one Authentication-Results header, last (RFC 8601: the
	 * checks' entries in their order, each on its own line); only on a
	 * spooled message, from which fields claiming our name were removed
	 * (data.c): a streamed one cannot lose them */
	if (c->auth_header && s->alen > 0 && size - n >
	    strlen(s->cfg.hostname) + 32 + 2 * s->alen) {
		n += (size_t)snprintf(buf + n, size - n,
		    "Authentication-Results: %s", s->cfg.hostname);
		for (k = 0; k < s->alen; k++) {
			if (s->auth[k] == '\n') {
				memcpy(buf + n, "\r\n\t", 3);
				n += 3;
			} else
				buf[n++] = s->auth[k];
		}
		memcpy(buf + n, "\r\n", 2);
		n += 2;
	}
	return n;
}
