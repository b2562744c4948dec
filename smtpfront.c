/*
 * smtpfront.c: the per-connection program: setup and the SMTP dialogue.
 *
 * Started by tcpserver, inetd or systemd (Accept=yes) with the client on
 * fd 0 and fd 1:  smtpfront [-r rules.cdb] program [args...]
 *
 * It answers the client itself, calls the checks in checks/ in their fixed
 * order, turns verdicts into replies and log lines (here and only here),
 * and hands accepted transactions to the MTA child (the rest of the command
 * line), which it starts no earlier than the first MAIL that passes.
 * The child's replies to MAIL, RCPT and the end of data reach the client
 * unchanged; the client never gets 250 at the end of data unless the
 * child said 250 for that message.
 *
 * Exit codes: 0 normal end, 100 usage error, 111 temporary failure
 * (unreadable rules, out of memory, child could not be started).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/lsan_interface.h>
#endif
#endif

#include "addr.h"
#include "check.h"
#include "child.h"
#include "client.h"
#include "dot.h"
#include "envvar.h"
#include "log.h"
#include "match.h"
#include "reply.h"
#include "rules.h"
#include "session.h"
#include "smtp.h"
#include "spool.h"

#define EXIT_OK		0
#define EXIT_USAGE	100
#define EXIT_TEMP	111
#define PREFIX_MAX	(WARN_MAX * 40 + 64)	/* added header lines */
#define CODE_MAX	4
#define ESC_MAX		12

struct rtext {
	char	code[CODE_MAX];
	char	esc[ESC_MAX];
	char	text[REPLY_TEXT_MAX + 1];
};

/*
 * Small fields first, big buffers last: the pages a held connection
 * touches are what it costs (the buffers are used from their start).
 */
struct sf {
	char *const	*argv;		/* the MTA child's */
	int		 mail_fwd;	/* MAIL given to the child */
	int		 in_data;	/* the child is inside a streamed DATA */
	unsigned long	 rcpt_tries;	/* RCPT commands in this transaction */
	int		 dry;		/* -n: dry run */
	struct timeval	 t0;
	char		 last_from[ADDR_MAX + 1];	/* for the summary */
	struct session	 s;
	struct client	 cl;
	struct child	 ch;
};

static struct sf sf;

static void	 finish(int) __attribute__((noreturn));
static void	 sent_ahead(struct session *, const char *);

static void
copystr(char *dst, size_t size, const char *src, size_t n)
{
	if (n > size - 1)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- replies ---------------------------------------------------------- */

static void
reply_load(struct session *s, const char *name, struct rtext *rt)
{
	const struct reply_default *d;
	char key[64], val[RULES_VALUE_MAX];
	char err[8];
	size_t kn = strlen(name), vn;
	int r;

	d = reply_find(name, kn);
	if (d == NULL)
		d = reply_find("reject", 6);
	copystr(rt->code, sizeof(rt->code), d->code, strlen(d->code));
	copystr(rt->esc, sizeof(rt->esc), d->esc, strlen(d->esc));
	copystr(rt->text, sizeof(rt->text), d->text, strlen(d->text));
	if (kn > sizeof(key) - 3)
		return;
	memcpy(key, "r:", 2);
	memcpy(key + 2, name, kn);
	r = rules_get(s->rules, key, kn + 2, val, sizeof(val));
	if (r == -1) {
		s->lookup_failed = 1;
		log_warning("rules database read error for reply", name);
		return;
	}
	if (r == 0)
		return;
	vn = strlen(val);
	if (d->esc[0] == '\0') {
		/* greeting and 354: "CODE text" */
		if (reply_text_valid(val, vn, err, sizeof(err)) == -1)
			return;
		copystr(rt->code, sizeof(rt->code), val, 3);
		copystr(rt->text, sizeof(rt->text), val + 4, vn - 4);
		return;
	}
	if (reply_valid(val, vn, err, sizeof(err)) == -1)
		return;
	/* "CODE X.Y.Z text" */
	copystr(rt->code, sizeof(rt->code), val, 3);
	{
		const char *e = val + 4, *sp = strchr(e, ' ');
		size_t en = sp ? (size_t)(sp - e) : strlen(e);

		copystr(rt->esc, sizeof(rt->esc), e, en);
		if (sp != NULL)
			copystr(rt->text, sizeof(rt->text), sp + 1,
			    strlen(sp + 1));
		else
			rt->text[0] = '\0';
	}
}

/* Make a reply temporary: the downgrade rule and deferred hits. */
static void
reply_temp(struct rtext *rt)
{
	if (rt->code[0] != '5')
		return;
	if (strcmp(rt->code, "552") == 0)
		memcpy(rt->code, "452", 4);
	else if (strcmp(rt->code, "550") == 0 ||
	    strcmp(rt->code, "551") == 0 || strcmp(rt->code, "553") == 0)
		memcpy(rt->code, "450", 4);
	else
		memcpy(rt->code, "451", 4);
	if (rt->esc[0] == '5')
		rt->esc[0] = '4';
}

static void
say_rt(struct rtext *rt)
{
	client_puts(&sf.cl, rt->code);
	client_lit(&sf.cl, " ");
	if (rt->esc[0] != '\0') {
		client_puts(&sf.cl, rt->esc);
		client_lit(&sf.cl, " ");
	}
	client_puts(&sf.cl, rt->text);
	client_lit(&sf.cl, "\r\n");
}

static void
say(const char *name)
{
	struct rtext rt;

	reply_load(&sf.s, name, &rt);
	say_rt(&rt);
}

/*
 * A command refused by the protocol itself, not by a check: the reply
 * and its one log line, "check=protocol rule=NAME".
 */
static void
proto_as(const char *check, const char *name, const char *cmd)
{
	struct rtext rt;

	reply_load(&sf.s, name, &rt);
	log_start(rt.code[0] == '4' ? "defer" : "reject");
	log_str("check", check);
	log_str("rule", name);
	log_str("cmd", cmd);
	log_str("code", rt.code);
	if (rt.esc[0] != '\0')
		log_str("esc", rt.esc);
	log_end();
	sf.s.refusals++;
	say_rt(&rt);
}

static void
proto(const char *name, const char *cmd)
{
	proto_as("protocol", name, cmd);
}

/* Send a reply named name, log it as event, and end the session. */
static void
say_close(const char *name, const char *event, const char *why)
{
	struct rtext rt;

	reply_load(&sf.s, name, &rt);
	say_rt(&rt);
	client_flush(&sf.cl);
	log_start(event);
	log_str("check", "protocol");
	log_str("rule", name);
	if (why != NULL)
		log_str("reason", why);
	log_str("code", rt.code);
	if (rt.esc[0] != '\0')
		log_str("esc", rt.esc);
	log_end();
	copystr(sf.s.verdict, sizeof(sf.s.verdict), event, strlen(event));
	finish(EXIT_OK);
}

/* Relay a reply of the child, adding an enhanced code where it has none. */
static void
relay(const struct creply *rep)
{
	const char *p = rep->text, *end = rep->text + rep->len, *eol;
	char esc[8];

	esc[0] = (char)('0' + rep->code / 100);
	memcpy(esc + 1, ".0.0 ", 6);
	while (p < end) {
		eol = memchr(p, '\r', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (rep->code == 354 || eol - p < 3 || (eol - p > 4 &&
		    creply_esc(p + 4, (size_t)(eol - p - 4), p[0]))) {
			client_put(&sf.cl, p, (size_t)(eol - p));
		} else {
			/* "250-text" -> "250-2.0.0 text" */
			client_put(&sf.cl, p, eol - p > 3 ? 4 : 3);
			if (eol - p == 3)
				client_lit(&sf.cl, " ");
			client_puts(&sf.cl, esc);
			if (eol - p > 4)
				client_put(&sf.cl, p + 4, (size_t)(eol - p - 4));
		}
		client_lit(&sf.cl, "\r\n");
		p = eol + 2;
	}
}

/* ---- the session summary and the end -------------------------------- */

static void
summary(void)
{
	struct session *s = &sf.s;
	struct timeval t1;
	long ms;

	gettimeofday(&t1, NULL);
	ms = (t1.tv_sec - sf.t0.tv_sec) * 1000L +
	    (t1.tv_usec - sf.t0.tv_usec) / 1000L;
	if (ms < 0)
		ms = 0;
	log_start("session");
	log_str("ip", s->remote_ip);
	log_str("helo", s->helo[0] ? s->helo : "-");
	log_addr("from", s->in_txn ? s->sender : sf.last_from);
	log_ulong("rcpts", s->rcpts_total);
	log_ulong("msgs", s->msgs);
	log_str("verdict", s->verdict[0] ? s->verdict :
	    (s->msgs > 0 ? "accept" : "none"));
	log_str("rule", s->verdict_rule[0] ? s->verdict_rule : "-");
	log_ull("bytes", s->bytes);
	log_msec("duration", (unsigned long)ms);
	log_end();
}

/*
 * _exit() skips the atexit handler in which LeakSanitizer looks for
 * leaks: in a sanitizer build, look before leaving.
 */
static void __attribute__((noreturn))
leave(int code)
{
#if defined(__SANITIZE_ADDRESS__)
	__lsan_do_leak_check();
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	__lsan_do_leak_check();
#endif
#endif
	_exit(code);
}

static void
finish(int code)
{
	client_flush(&sf.cl);
	if (sf.cl.stalled) {
		/* no reply can reach a client that reads nothing */
		log_start("timeout");
		log_str("check", "protocol");
		log_str("rule", "timeout");
		log_str("reason", "client not reading");
		log_end();
		copystr(sf.s.verdict, sizeof(sf.s.verdict), "timeout", 7);
	}
	/* the client is done: let it go before the child is reaped */
	close(0);
	close(1);
	/* a child inside DATA must not see anything that could end it */
	if (sf.ch.pid != 0 && sf.in_data)
		child_kill(&sf.ch);
	if (sf.ch.pid != 0)
		child_stop(&sf.ch);
	summary();
	leave(code);
}

static void
fatal_temp(const char *name, const char *a, const char *b)
{
	struct rtext rt;

	log_fatal(a, b);
	reply_load(&sf.s, name, &rt);
	say_rt(&rt);
	client_flush(&sf.cl);
	copystr(sf.s.verdict, sizeof(sf.s.verdict), "tempfail", 8);
	if (sf.ch.pid != 0)
		child_kill(&sf.ch);
	summary();
	leave(EXIT_TEMP);
}

/* ---- checks and verdicts ---------------------------------------------- */

static void
log_envelope(const char *cmd)
{
	struct session *s = &sf.s;

	log_str("cmd", cmd);
	if (s->helo[0] != '\0')
		log_str("helo", s->helo);
	if (s->in_txn || cmd[0] == 'M')
		log_addr("from", s->sender);
	if (cmd[0] == 'R')
		log_addr("rcpt", s->rcpt);
}

static void
note_warn(const char *check, const struct held *d, const char *cmd)
{
	struct session *s = &sf.s;
	int i;

	copystr(s->warn_rule, sizeof(s->warn_rule), d->rule[0] ? d->rule : "-",
	    strlen(d->rule[0] ? d->rule : "-"));
	log_start("warn");
	log_str("check", check);
	log_str("rule", d->rule[0] ? d->rule : "-");
	log_envelope(cmd);
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
 * Run the checks of one phase in their fixed order.  The first decisive
 * verdict wins: an accept or a refusal ends the phase.  A hit becomes the
 * administrator's action for that check; a check's own defer (a failed
 * lookup it fails closed on) stays a defer.
 */
static enum verdict
run_checks_mode(enum phase ph, struct held *d, const char *cmd, int relay)
{
	struct session *s = &sf.s;
	const struct check *const *cp;
	const struct check *c;
	struct check_hit hit;
	enum action act;
	enum verdict v;

	/* the strings are read up to their NUL: no need to clear them all */
	d->verdict = VERDICT_PASS;
	d->phase = 0;
	d->check[0] = d->reply[0] = d->reason[0] = d->rule[0] = d->text[0] =
	    '\0';
	if (!relay && (s->session_accept ||
	    (s->txn_accept && ph >= PHASE_MAIL)))
		return VERDICT_PASS;
	for (cp = check_list; *cp != NULL; cp++) {
		c = *cp;
		if (c->phase[ph] == NULL ||
		    ((c->flags & CHECK_F_RELAY) != 0) != (relay != 0))
			continue;
		if (c->action_off == CHECK_ALWAYS)
			act = ACTION_REJECT;
		else
			act = *(const enum action *)(const void *)
			    ((const char *)&s->cfg + c->action_off);
		/* relay control has no warn mode: that is an open relay */
		if ((c->flags & CHECK_F_RELAY) && act == ACTION_WARN)
			act = ACTION_REJECT;
		if (act == ACTION_OFF)
			continue;
		/* the checks write C strings: their first bytes will do */
		hit.reason[0] = hit.reply[0] = hit.rule[0] = hit.text[0] = '\0';
		hit.lookup_failed = hit.now = 0;
		v = c->phase[ph](s, &hit);
		if (hit.lookup_failed)
			s->lookup_failed = 1;
		if (v == VERDICT_PASS)
			continue;
		copystr(d->check, sizeof(d->check), c->name, strlen(c->name));
		if (hit.reply[0] != '\0')
			copystr(d->reply, sizeof(d->reply), hit.reply,
			    strlen(hit.reply));
		else
			copystr(d->reply, sizeof(d->reply), c->reply,
			    strlen(c->reply));
		copystr(d->reason, sizeof(d->reason), hit.reason,
		    strlen(hit.reason));
		copystr(d->rule, sizeof(d->rule), hit.rule, strlen(hit.rule));
		copystr(d->text, sizeof(d->text), hit.text, strlen(hit.text));
		d->phase = ph;
		if (v == VERDICT_ACCEPT) {
			log_start("accept");
			log_str("check", c->name);
			log_str("rule", d->rule[0] ? d->rule : "-");
			log_envelope(cmd);
			log_end();
			d->verdict = VERDICT_ACCEPT;
			if (ph == PHASE_CONNECT)
				s->session_accept = 1;
			else if (ph < PHASE_RCPT)
				s->txn_accept = 1;
			return VERDICT_ACCEPT;
		}
		if (v == VERDICT_WARN || act == ACTION_WARN) {
			note_warn(c->name, d, cmd);
			continue;
		}
		if (v == VERDICT_DEFER || act == ACTION_DEFER)
			v = VERDICT_DEFER;
		else if (act == ACTION_DROP)
			v = VERDICT_DROP;
		else
			v = VERDICT_REJECT;
		d->verdict = v;
		if (hit.now)
			d->phase = PHASE_RCPT;	/* not to be held */
		return v;
	}
	return VERDICT_PASS;
}

static enum verdict
run_checks(enum phase ph, struct held *d, const char *cmd)
{
	return run_checks_mode(ph, d, cmd, 0);
}

/*
 * Give a refusal to the client and log it with the envelope.  The
 * downgrade rule: after any failed lookup a reject goes out as a 4xx.
 */
static void
refuse(struct held *d, const char *cmd)
{
	struct session *s = &sf.s;
	struct rtext rt;
	int downgraded = 0;
	const char *ev;

	reply_load(s, d->reply, &rt);
	if (d->text[0] != '\0')
		copystr(rt.text, sizeof(rt.text), d->text, strlen(d->text));
	s->refusals++;
	if (d->verdict == VERDICT_REJECT && s->lookup_failed) {
		d->verdict = VERDICT_DEFER;
		downgraded = 1;
	}
	if (d->verdict == VERDICT_DEFER)
		reply_temp(&rt);
	/* a drop says 421 unless its reply is permanent and no lookup
	 * failed (the failed lookup might have allowlisted the client) */
	if (d->verdict == VERDICT_DROP && (rt.code[0] != '5' ||
	    s->lookup_failed)) {
		downgraded = rt.code[0] == '5';
		reply_load(s, "drop", &rt);
	}
	ev = verdict_name(d->verdict);
	log_start(ev);
	log_str("check", d->check);
	log_str("rule", d->rule[0] ? d->rule : "-");
	log_envelope(cmd);
	log_str("code", rt.code);
	if (rt.esc[0] != '\0')
		log_str("esc", rt.esc);
	if (d->reason[0] != '\0')
		log_str("reason", d->reason);
	if (downgraded)
		log_str("downgraded", "yes");
	log_end();
	copystr(s->verdict, sizeof(s->verdict), ev, strlen(ev));
	snprintf(s->verdict_rule, sizeof(s->verdict_rule), "%s%s%s",
	    d->check, d->rule[0] ? ":" : "", d->rule);
	say_rt(&rt);
	if (d->verdict == VERDICT_DROP) {
		client_flush(&sf.cl);
		finish(EXIT_OK);
	}
}

/*
 * A verdict found before RCPT: hold it (delayed reject) or give it now.
 * Returns 1 when the command was refused now.
 */
static int
decide_early(struct held *d, const char *cmd)
{
	struct session *s = &sf.s;

	if (d->verdict != VERDICT_DEFER && d->verdict != VERDICT_REJECT &&
	    d->verdict != VERDICT_DROP)
		return 0;
	if (d->verdict == VERDICT_DROP || !s->cfg.delay_reject ||
	    d->phase >= PHASE_RCPT) {
		refuse(d, cmd);
		return 1;
	}
	if (s->held.verdict == VERDICT_PASS)
		s->held = *d;
	return 0;
}

/* ---- transactions ----------------------------------------------------- */

static void
txn_reset(void)
{
	struct session *s = &sf.s;

	s->in_txn = 0;
	s->sender[0] = '\0';
	s->rcpt[0] = '\0';
	s->rcpts = 0;
	s->size_declared = 0;
	s->body_8bit = 0;
	s->txn_accept = 0;
	s->nwarns = s->nwarns_session;
	if (s->held.verdict != VERDICT_PASS && s->held.phase >= PHASE_MAIL)
		memset(&s->held, 0, sizeof(s->held));
	sf.rcpt_tries = 0;
	if (sf.ch.pid != 0 && sf.mail_fwd) {
		struct creply rep;

		if (child_cmd(&sf.ch, "RSET", 4, &rep) == -1 ||
		    rep.code != 250) {
			log_warning("child failed RSET", sf.ch.why);
			child_kill(&sf.ch);
		}
	}
	sf.mail_fwd = 0;
}

static void
child_failed(const char *when)
{
	copystr(sf.s.verdict, sizeof(sf.s.verdict), "defer", 5);
	copystr(sf.s.verdict_rule, sizeof(sf.s.verdict_rule), "child", 5);
	log_start("child-fail");
	log_str("when", when);
	log_str("reason", sf.ch.why);
	log_end();
	child_kill(&sf.ch);
	sf.mail_fwd = 0;
}

/* "MAIL FROM:<path>" and the like into cmd (size >= strlen(verb) +
 * ADDR_MAX + 3); returns the length. */
static size_t
cmd_path(char *cmd, const char *verb, const char *path)
{
	size_t v = strlen(verb), n = strnlen(path, ADDR_MAX);

	memcpy(cmd, verb, v);
	cmd[v] = '<';
	memcpy(cmd + v + 1, path, n);
	cmd[v + 1 + n] = '>';
	return v + n + 2;
}

/*
 * Start the child if needed, give it MAIL and the first recipient's RCPT
 * (rcmd): in one write when it offers PIPELINING, one round trip fewer
 * per message.  The child first hears of a transaction when a recipient
 * has passed the checks.  Returns 0 with the replies in mrep and rrep
 * (rrep is meaningful only when mrep is 2xx), or -1 (451 already said,
 * transaction over).
 */
static int
forward_mail(const char *rcmd, size_t rlen, struct creply *mrep,
    struct creply *rrep)
{
	struct session *s = &sf.s;
	char cmd[2 * ADDR_MAX + 96];
	char helo[HELO_MAX + 3];
	size_t n;
	int r;

	if (sf.ch.pid == 0) {
		if (s->helo[0] != '\0' && strlen(s->helo) <= HELO_MAX)
			copystr(helo, sizeof(helo), s->helo, strlen(s->helo));
		else
			snprintf(helo, sizeof(helo), "[%s]", s->remote_ip);
		r = child_start(&sf.ch, sf.argv, s->cfg.child_timeout, helo);
		if (r == CHILD_NOEXEC)
			fatal_temp("child_start", "cannot start the MTA child",
			    sf.ch.why);
		if (r == -1) {
			child_failed("start");
			say("child_fail");
			return -1;
		}
	}
	n = cmd_path(cmd, "MAIL FROM:", s->sender);
	if (s->size_declared > 0 && sf.ch.size)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " SIZE=%lu",
		    s->size_declared);
	if (s->body_8bit && sf.ch.eightbit)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
		    " BODY=8BITMIME");
	memcpy(cmd + n, "\r\n", 2);
	n += 2;
	if (sf.ch.pipelining && rlen <= sizeof(cmd) - n - 2) {
		memcpy(cmd + n, rcmd, rlen);
		memcpy(cmd + n + rlen, "\r\n", 2);
		if (child_send(&sf.ch, cmd, n + rlen + 2) == -1 ||
		    child_reply(&sf.ch, mrep) == -1 ||
		    child_reply(&sf.ch, rrep) == -1)
			goto fail;
		if (mrep->code / 100 == 2)
			sf.mail_fwd = 1;
		return 0;
	}
	if (child_send(&sf.ch, cmd, n) == -1 ||
	    child_reply(&sf.ch, mrep) == -1)
		goto fail;
	if (mrep->code / 100 != 2)
		return 0;
	sf.mail_fwd = 1;
	if (child_cmd(&sf.ch, rcmd, rlen, rrep) == -1)
		goto fail;
	return 0;
fail:
	child_failed(sf.mail_fwd ? "rcpt" : "mail");
	say("child_fail");
	return -1;
}

static void
do_helo(const char *arg, size_t n, int esmtp)
{
	struct session *s = &sf.s;
	struct held d;
	char num[24];
	enum verdict r;

	if (n == 0) {
		proto("syntax", esmtp ? "EHLO" : "HELO");
		s->errors++;
		return;
	}
	if (s->in_txn)
		txn_reset();
	/* a new greeting re-decides what the old one held */
	if (s->held.verdict != VERDICT_PASS && s->held.phase == PHASE_HELO)
		memset(&s->held, 0, sizeof(s->held));
	/*
	 * Keep one byte more than a name may have, so that helo_syntax
	 * sees an over-long name as such; one token only: no blanks reach
	 * the child's EHLO.
	 */
	log_printable(s->helo, sizeof(s->helo) - 1, arg,
	    n < sizeof(s->helo) - 1 ? n : sizeof(s->helo) - 1);
	s->helo[strcspn(s->helo, " \t")] = '\0';
	s->helo_seen = 1;
	s->esmtp = esmtp;
	s->nwarns = s->nwarns_connect;
	r = run_checks(PHASE_HELO, &d, esmtp ? "EHLO" : "HELO");
	s->nwarns_session = s->nwarns;
	if (r != VERDICT_PASS && decide_early(&d, esmtp ? "EHLO" : "HELO")) {
		/* a greeting refused at once is no greeting */
		s->helo_seen = 0;
		return;
	}
	if (!esmtp) {
		client_lit(&sf.cl, "250 ");
		client_puts(&sf.cl, s->cfg.hostname);
		client_lit(&sf.cl, "\r\n");
		return;
	}
	client_lit(&sf.cl, "250-");
	client_puts(&sf.cl, s->cfg.hostname);
	client_lit(&sf.cl, "\r\n");
	if (s->cfg.pipelining)
		client_lit(&sf.cl, "250-PIPELINING\r\n");
	snprintf(num, sizeof(num), "%lu", s->cfg.size_max);
	client_lit(&sf.cl, "250-SIZE ");
	client_puts(&sf.cl, num);
	client_lit(&sf.cl, "\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
}

static void
do_mail(const char *arg, size_t n)
{
	struct session *s = &sf.s;
	struct held d;
	size_t pos, k, kl, v, vl;
	int r;

	if (s->in_txn) {
		proto("nested_mail", "MAIL");
		s->errors++;
		return;
	}
	if (smtp_path(arg, n, "FROM:", s->sender, sizeof(s->sender),
	    &pos) == -1) {
		s->sender[0] = '\0';
		proto("syntax", "MAIL");
		s->errors++;
		return;
	}
	s->size_declared = 0;
	s->body_8bit = 0;
	while ((r = smtp_param(arg, n, &pos, &k, &kl, &v, &vl)) == 1) {
		if (!s->esmtp) {
			proto("param", "MAIL");
			goto bad;
		}
		if (kl == 4 && strncasecmp(arg + k, "SIZE", 4) == 0) {
			if (smtp_size_value(arg + v, vl, &s->size_declared) ==
			    -1) {
				proto("syntax", "MAIL");
				goto bad;
			}
		} else if (kl == 4 && strncasecmp(arg + k, "BODY", 4) == 0) {
			if (vl == 8 && strncasecmp(arg + v, "8BITMIME", 8) == 0)
				s->body_8bit = 1;
			else if (!(vl == 4 && strncasecmp(arg + v, "7BIT", 4)
			    == 0)) {
				proto("param", "MAIL");
				goto bad;
			}
		} else {
			proto("param", "MAIL");
			goto bad;
		}
	}
	if (r == -1) {
		proto("syntax", "MAIL");
		goto bad;
	}
	if (s->held.verdict == VERDICT_PASS &&
	    run_checks(PHASE_MAIL, &d, "MAIL") != VERDICT_PASS &&
	    decide_early(&d, "MAIL")) {
		s->sender[0] = '\0';
		return;
	}
	s->in_txn = 1;
	sf.rcpt_tries = 0;
	memcpy(sf.last_from, s->sender, sizeof(sf.last_from));
	/*
	 * The child hears of the sender with the first recipient that
	 * passes (or not at all); its verdict on the sender is relayed
	 * then, unchanged.  A refusal held from before comes at RCPT.
	 */
	say("mail_ok");
	return;
bad:
	s->errors++;
	s->sender[0] = '\0';
	s->size_declared = 0;
	s->body_8bit = 0;
}

/* The child refused a command of the envelope: one log line. */
static void
log_child_refusal(const char *cmd, int code)
{
	log_start(code / 100 == 4 ? "defer" : "reject");
	log_str("check", "child");
	log_str("rule", "-");
	log_envelope(cmd);
	log_ulong("code", (unsigned long)code);
	log_end();
}

static void
do_rcpt(const char *arg, size_t n)
{
	struct session *s = &sf.s;
	struct creply rep, mrep;
	struct held d;
	char cmd[ADDR_MAX + 16];
	size_t pos, k, kl, v, vl;
	int role, len;

	if (!s->in_txn) {
		proto("need_mail", "RCPT");
		s->errors++;
		return;
	}
	if (smtp_path(arg, n, "TO:", s->rcpt, sizeof(s->rcpt), &pos) == -1) {
		s->rcpt[0] = '\0';
		proto("syntax", "RCPT");
		s->errors++;
		return;
	}
	if (smtp_param(arg, n, &pos, &k, &kl, &v, &vl) != 0) {
		proto("param", "RCPT");
		s->errors++;
		return;
	}
	sf.rcpt_tries++;
	s->rcpt_cmds++;
	if (s->rcpts >= s->cfg.rcpt_max) {
		proto_as("rcpt_max", "rcpt_max", "RCPT");
		return;
	}
	/*
	 * Relay control first, for every recipient.  Then postmaster and
	 * abuse, and allowlisted recipients, take mail whatever else was
	 * found.  Otherwise a refusal held from before RCPT wins (it was
	 * found first), then the recipient checks.
	 */
	if (run_checks_mode(PHASE_RCPT, &d, "RCPT", 1) != VERDICT_PASS &&
	    d.verdict != VERDICT_ACCEPT) {
		refuse(&d, "RCPT");
		return;
	}
	role = addr_is_role(s->rcpt, strlen(s->rcpt));
	if (!role && run_checks(PHASE_RCPT, &d, "RCPT") != VERDICT_ACCEPT) {
		if (s->held.verdict != VERDICT_PASS) {
			d = s->held;
			refuse(&d, "RCPT");
			return;
		}
		if (d.verdict != VERDICT_PASS) {
			refuse(&d, "RCPT");
			return;
		}
	}
	len = (int)cmd_path(cmd, "RCPT TO:", s->rcpt);
	if (!sf.mail_fwd) {
		if (forward_mail(cmd, (size_t)len, &mrep, &rep) == -1) {
			txn_reset();
			return;
		}
		if (mrep.code / 100 != 2) {
			/* the child refused the sender: say so here */
			relay(&mrep);
			log_child_refusal("MAIL", mrep.code);
			return;
		}
	} else if (child_cmd(&sf.ch, cmd, (size_t)len, &rep) == -1) {
		child_failed("rcpt");
		say("child_fail");
		txn_reset();
		return;
	}
	relay(&rep);
	if (rep.code / 100 == 2) {
		s->rcpts++;
		s->rcpts_total++;
	} else
		log_child_refusal("RCPT", rep.code);
}

enum { RECV_END, RECV_BAD, RECV_MORE };

/* The client's bytes after 354: end of connection or of the session. */
static void
data_lost(int r, unsigned long long total)
{
	if (r == CLIENT_TIMEOUT)
		say_close("timeout", "timeout", "during DATA");
	if (r == CLIENT_CEILING)
		say_close("session_timeout", "timeout",
		    "session ceiling during DATA");
	log_start("disconnect");
	log_str("when", "DATA");
	log_ull("received", total);
	log_end();
	copystr(sf.s.verdict, sizeof(sf.s.verdict), "disconnect", 10);
	finish(EXIT_OK);
}

/* Receive the message after 354 into the spool. */
static int
receive(struct spool *sp, int *toobig, int *sperr, unsigned long long *total)
{
	static char out[CLIENT_IBUF + 2];
	struct session *s = &sf.s;
	struct dot d;
	size_t used, outlen;
	int r, st;

	dot_init(&d);
	*total = 0;
	for (;;) {
		r = client_fill(&sf.cl);
		if (r != CLIENT_OK)
			data_lost(r, *total);
		st = dot_feed(&d, sf.cl.ibuf + sf.cl.ipos,
		    sf.cl.ilen - sf.cl.ipos, &used, out, &outlen);
		sf.cl.ipos += used;
		*total += outlen;
		if (!*toobig && *sperr == 0) {
			if (outlen > s->cfg.size_max ||
			    spool_size(sp) > s->cfg.size_max - outlen)
				*toobig = 1;
			else if (spool_write(sp, out, outlen) == -1)
				*sperr = errno ? errno : EIO;
		}
		if (st == DOT_END) {
			if (!s->esmtp || !s->cfg.pipelining)
				sent_ahead(s, ".");
			return RECV_END;
		}
		if (st == DOT_BAD)
			return RECV_BAD;
	}
}

/*
 * What goes to the child is the bytes held back from the last read (hold)
 * then this read's, less the last k, which may be the terminator or its
 * start.  w is the count of that whole which goes: send_held() sends the
 * held part of it; the part of this read, its first w - nhold bytes, is
 * the caller's to write, splice or keep.  hold_last() then keeps the last
 * k bytes of the whole as the new hold.
 */
static int
send_held(const char *hold, size_t nhold, size_t w)
{
	if (w == 0 || nhold == 0)
		return 0;
	return child_send(&sf.ch, hold, w < nhold ? w : nhold);
}

static void
hold_last(char *hold, size_t *nhold, const char *raw, size_t w, size_t k)
{
	char keep[3];
	size_t i;

	for (i = 0; i < k && i < sizeof(keep); i++)
		keep[i] = w + i < *nhold ? hold[w + i] : raw[w + i - *nhold];
	memcpy(hold, keep, i);
	*nhold = i;
}

/*
 * Pass n client bytes (already dot-stuffed: they go as they came) to the
 * child, after the bytes held back from the last call; hold back the last
 * k bytes of it all, which may be the terminator or its start.
 */
static int
pass_on(char *hold, size_t *nhold, const char *raw, size_t n, size_t k)
{
	size_t w = *nhold + n - k;

	if (send_held(hold, *nhold, w) == -1)
		return -1;
	if (w > *nhold && child_send(&sf.ch, raw, w - *nhold) == -1)
		return -1;
	hold_last(hold, nhold, raw, w, k);
	return 0;
}

/*
 * Where a streamed message stands with the child.  DS_WAIT: the child
 * offers CHUNKING and has not been told DATA yet; a message whose end
 * comes in its first read goes to it whole as one BDAT LAST (no 354 to
 * wait for), anything longer gets DATA then.
 */
enum { DS_ASKED, DS_GO, DS_REFUSED, DS_FAILED, DS_TOOBIG, DS_WAIT };

struct dstate {
	int		 state;
	struct creply	 rep;		/* the child's refusal of DATA */
	/*
	 * The last bytes before the end, not yet passed on: they go with
	 * the terminator in one write once the end-of-data checks pass.
	 * They point into the client's input buffer, which is not read
	 * into again before then; joined: the terminator follows them
	 * there.
	 */
	const char	*tail;
	size_t		 tail_len;
	int		 joined;
	int		 whole;		/* DS_WAIT: tail is the whole message,
					 * as sent, terminator included */
};

static size_t	warn_header(char *, size_t);

/*
 * The child's answer to DATA is read when the first message bytes are to
 * go (it has had the time the client took to send them).  On its 354 the
 * added header goes first.  0: pass the bytes on; -1: do not.
 */
/*
 * At the end: pass on what was held back but the terminator's start, and
 * keep the rest of this read (but the terminator) for the final write.
 */
static int
keep_tail(struct dstate *ds, const char *hold, size_t nhold, const char *raw,
    size_t n)
{
	size_t w = nhold + n - 3;

	ds->tail = raw;
	ds->tail_len = 0;
	ds->joined = nhold == 0;
	if (send_held(hold, nhold, w) == -1)
		return -1;
	if (w > nhold)
		ds->tail_len = w - nhold;
	return 0;
}

static int
data_ready(struct dstate *ds)
{
	char prefix[PREFIX_MAX], stuffed[2 * PREFIX_MAX];
	size_t plen;
	int bol = 1;

	if (ds->state == DS_WAIT) {
		/* more than one read: DATA after all, and wait for its 354 */
		if (child_send(&sf.ch, "DATA\r\n", 6) == -1)
			goto fail;
		ds->state = DS_ASKED;
	} else if (ds->state != DS_ASKED)
		return ds->state == DS_GO ? 0 : -1;
	else
		/* the client's bytes took a round trip: the 354 is likely
		 * there */
		sf.ch.expect = 1;
	if (child_reply(&sf.ch, &ds->rep) == -1)
		goto fail;
	if (ds->rep.code != 354) {
		if (ds->rep.code < 400) {
			const char *w = "child answered DATA with neither "
			    "354 nor an error";

			copystr(sf.ch.why, sizeof(sf.ch.why), w, strlen(w));
			goto fail;
		}
		ds->state = DS_REFUSED;
		return -1;
	}
	plen = warn_header(prefix, sizeof(prefix));
	if (plen > 0 && child_send(&sf.ch, stuffed,
	    dot_stuff(prefix, plen, &bol, stuffed)) == -1)
		goto fail;
	ds->state = DS_GO;
	return 0;
fail:
	ds->state = DS_FAILED;
	child_failed("data");
	return -1;
}

/*
 * Over size_max: the child, if inside DATA, is killed (it must not see an
 * end), and the rest of the message is only read.  1 when it happens now.
 */
static int
too_big(struct dstate *ds, unsigned long long total)
{
	if (ds->state == DS_TOOBIG || total <= sf.s.cfg.size_max)
		return 0;
	if (ds->state == DS_ASKED || ds->state == DS_GO) {
		child_kill(&sf.ch);
		sf.mail_fwd = 0;
	}
	ds->state = DS_TOOBIG;
	return 1;
}

/*
 * One round of streaming without copying: peek at what the client sent,
 * check it, then splice it from the socket into the child's pipe; the
 * bytes held back (the terminator or its start) are read.  RECV_MORE,
 * RECV_END, RECV_BAD, or -1 when the client is no socket.
 */
static int
spliced(struct dstate *ds, struct dot *d, char *hold, size_t *nhold,
    unsigned long long *total)
{
	struct session *s = &sf.s;
	const char *raw = sf.cl.ibuf;
	size_t used, outlen, k, w, moved = 0;
	ssize_t n;
	int st, status;

	n = client_peek(&sf.cl, &status);
	if (n == -1)
		return -1;
	if (n == 0)
		data_lost(status, *total);
	st = dot_feed(d, raw, (size_t)n, &used, NULL, &outlen);
	*total += outlen;
	if (st == DOT_BAD)
		return RECV_BAD;
	if (too_big(ds, *total))
		goto take;
	k = st == DOT_END ? 3 : dot_pending(d);
	w = *nhold + used - k;
	if (send_held(hold, *nhold, w) == -1)
		goto fail;
	if (w > *nhold &&
	    child_splice(&sf.ch, sf.cl.in, w - *nhold, &moved) == -1)
		goto fail;
	/* raw is still this read: client_take comes after */
	hold_last(hold, nhold, raw, w, k);
	goto take;
fail:
	ds->state = DS_FAILED;
	child_failed("data");
take:
	/* the rest of this round leaves the socket too */
	if (client_take(&sf.cl, used - moved) == -1)
		data_lost(CLIENT_ERROR, *total);
	if (st == DOT_END) {
		ds->tail_len = 0;
		ds->joined = 0;
		if (!s->esmtp || !s->cfg.pipelining)
			sent_ahead(s, ".");
		return RECV_END;
	}
	return RECV_MORE;
}

/*
 * Streaming: the message goes to the child while it arrives.  The client's
 * bytes pass unchanged (the child undoes the dot-stuffing); only the final
 * "." CRLF is held back until the end-of-data checks pass.  A message that
 * is refused, too big or cut short never reaches its terminator: the child
 * is killed mid-DATA and accepts nothing.
 */
static int
stream(struct dstate *ds, unsigned long long *total)
{
	struct session *s = &sf.s;
	struct dot d;
	char hold[3];
	size_t used, outlen, nhold = 0;
	const char *raw;
	int r, st, zc;

	dot_init(&d);
	*total = 0;
	zc = client_plain(&sf.cl);
	for (;;) {
		if (zc && ds->state == DS_GO && client_pending(&sf.cl) == 0) {
			r = spliced(ds, &d, hold, &nhold, total);
			if (r == -1) {
				zc = 0;		/* no socket: read */
				continue;
			}
			if (r == RECV_MORE)
				continue;
			return r;
		}
		r = client_fill(&sf.cl);
		if (r != CLIENT_OK)
			data_lost(r, *total);
		raw = sf.cl.ibuf + sf.cl.ipos;
		/* the bytes go as they are: dot_feed only counts them */
		st = dot_feed(&d, raw, sf.cl.ilen - sf.cl.ipos, &used, NULL,
		    &outlen);
		sf.cl.ipos += used;
		*total += outlen;
		if (st == DOT_BAD)
			return RECV_BAD;
		(void)too_big(ds, *total);
		if (ds->state == DS_WAIT && st == DOT_END) {
			/* all in one read: it stays in the buffer until the
			 * checks have passed, then goes as one BDAT */
			ds->tail = raw;
			ds->tail_len = used;
			ds->whole = 1;
		} else if (data_ready(ds) == 0 && (st == DOT_END ?
		    keep_tail(ds, hold, nhold, raw, used) :
		    pass_on(hold, &nhold, raw, used, dot_pending(&d))) == -1) {
			ds->state = DS_FAILED;
			child_failed("data");
		}
		if (st == DOT_END) {
			if (!s->esmtp || !s->cfg.pipelining)
				sent_ahead(s, ".");
			return RECV_END;
		}
	}
}

static size_t
warn_header(char *buf, size_t size)
{
	struct session *s = &sf.s;
	size_t n = 0, k;
	int i;

	if (s->nwarns == 0)
		return 0;
	n = (size_t)snprintf(buf, size, "X-Smtpfront-Warn: ");
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
	return n;
}

static void
log_message(const char *status, unsigned long long total,
    const struct creply *rep)
{
	struct session *s = &sf.s;

	log_start("message");
	log_addr("from", s->sender);
	log_ulong("rcpts", s->rcpts);
	log_ull("bytes", total);
	if (status != NULL)
		log_str("status", status);
	if (rep != NULL) {
		log_ulong("code", (unsigned long)rep->code);
		log_strn("reply", rep->text, rep->len > 2 ? rep->len - 2 : 0);
	}
	log_end();
}

/* A message refused for its size, or a spool that failed. */
static void
data_refused(int toobig, int sperr, unsigned long long total)
{
	struct session *s = &sf.s;
	struct rtext rt;

	reply_load(s, toobig ? "size_exceeded" :
	    (sperr == ENOSPC || sperr == EDQUOT) ? "spool_full" :
	    "child_fail", &rt);
	log_start(toobig ? "reject" : "defer");
	log_str("check", toobig ? "size" : "spool");
	log_str("rule", toobig ? "size_max" : "-");
	log_envelope("DATA");
	log_ull("bytes", total);
	log_str("code", rt.code);
	log_str("esc", rt.esc);
	if (sperr)
		log_str("reason", strerror(sperr));
	log_end();
	say_rt(&rt);
	txn_reset();
}

/*
 * The end-of-data checks; 0 when they pass (else refused).  A child
 * inside DATA (in_data) has all but the terminator: it must not get it,
 * and is killed.
 */
static int
data_checks(struct spool *sp, int in_data)
{
	struct held d;
	int r;

	sf.s.spool = sp;
	r = run_checks(PHASE_EOD, &d, "DATA");
	sf.s.spool = NULL;
	if (r == VERDICT_PASS || d.verdict == VERDICT_ACCEPT)
		return 0;
	if (in_data) {
		child_kill(&sf.ch);
		sf.mail_fwd = 0;
	}
	refuse(&d, "DATA");
	txn_reset();
	return -1;
}

/* The child's final reply (or its failure) to the client. */
static void
data_done(int failed, const struct creply *rep, unsigned long long total)
{
	struct session *s = &sf.s;

	if (failed) {
		say("child_fail");
		log_message("deferred", total, NULL);
	} else {
		relay(rep);
		log_message(NULL, total, rep);
		if (rep->code / 100 == 2)
			s->msgs++;
	}
	/* the child's transaction is over whatever it said */
	sf.mail_fwd = 0;
	txn_reset();
}

/*
 * A message that came whole in one read, to a child offering CHUNKING:
 * "BDAT n LAST", the added header and the message without its
 * dot-stuffing and terminator, in one write.  The child answers once, at
 * the end; it has no 354 to give.
 */
#define BDAT_HEAD	32	/* "BDAT " digits " LAST" CRLF */

static int
bdat_last(const struct dstate *ds)
{
	static char buf[BDAT_HEAD + PREFIX_MAX + CLIENT_IBUF + 2];
	char head[BDAT_HEAD], *body = buf + BDAT_HEAD + PREFIX_MAX;
	struct dot d;
	size_t used, n, plen;
	int h;

	dot_init(&d);
	if (ds->tail_len > CLIENT_IBUF ||
	    dot_feed(&d, ds->tail, ds->tail_len, &used, body, &n) != DOT_END)
		return -1;	/* cannot be: it was one read, and it ended */
	plen = warn_header(buf + BDAT_HEAD, PREFIX_MAX);
	memmove(body - plen, buf + BDAT_HEAD, plen);
	h = snprintf(head, sizeof(head), "BDAT %zu LAST\r\n", plen + n);
	if (h <= 0 || (size_t)h >= sizeof(head))
		return -1;	/* cannot be: a size of at most 6 digits */
	memcpy(body - plen - h, head, (size_t)h);
	return child_send(&sf.ch, body - plen - h, (size_t)h + plen + n);
}

/*
 * Streamed: DATA goes to the child and the client gets 354 at once,
 * without waiting for the child's; its answer is read when the first
 * bytes are to go.  A child that refuses DATA has its reply given at the
 * end of data instead.  A child offering CHUNKING is told nothing until
 * the first bytes come: a message complete in them goes as one BDAT LAST
 * after the end-of-data checks (refused, it never reaches the child).
 */
static void
data_streamed(void)
{
	struct session *s = &sf.s;
	struct dstate ds;
	struct creply rep;
	int r;
	unsigned long long total;

	ds.state = DS_ASKED;
	ds.tail = NULL;
	ds.tail_len = 0;
	ds.joined = 0;
	ds.whole = 0;
	if (sf.ch.chunking && s->cfg.child_bdat)
		ds.state = DS_WAIT;
	else if (child_send(&sf.ch, "DATA\r\n", 6) == -1) {
		ds.state = DS_FAILED;
		child_failed("data");
	}
	sf.in_data = 1;
	say("data_go");
	r = stream(&ds, &total);
	s->bytes += total;
	/* still inside DATA for the child: closing kills it */
	if (r == RECV_BAD)
		say_close("bare_lf_data", "drop", "bare CR or LF in DATA");
	sf.in_data = 0;
	if (ds.state == DS_TOOBIG) {
		data_refused(1, 0, total);
		return;
	}
	if (ds.state == DS_REFUSED) {
		/* the child's refusal of DATA, as the final reply */
		data_done(0, &ds.rep, total);
		return;
	}
	if ((ds.state == DS_GO || ds.state == DS_WAIT) &&
	    data_checks(NULL, ds.state == DS_GO) == -1)
		return;
	if (ds.state == DS_WAIT) {
		if (bdat_last(&ds) == -1 || child_reply(&sf.ch, &rep) == -1) {
			ds.state = DS_FAILED;
			child_failed("data");
		} else
			ds.state = DS_GO;
	} else if (ds.state == DS_GO && ((ds.joined ?
	    child_send(&sf.ch, ds.tail, ds.tail_len + 3) :
	    (ds.tail_len > 0 &&
	    child_send(&sf.ch, ds.tail, ds.tail_len) == -1) ? -1 :
	    child_send(&sf.ch, ".\r\n", 3)) == -1 ||
	    child_reply(&sf.ch, &rep) == -1)) {
		ds.state = DS_FAILED;
		child_failed("data");
	}
	data_done(ds.state != DS_GO, &rep, total);
}

static void
data_spooled(void)
{
	struct session *s = &sf.s;
	struct creply rep;
	struct spool *sp;
	char prefix[PREFIX_MAX];
	size_t plen;
	int toobig = 0, sperr = 0, r;
	unsigned long long total;
	const char *dir;

	dir = s->cfg.spool_dir[0] ? s->cfg.spool_dir :
	    (envvar_get("TMPDIR") ? envvar_get("TMPDIR") : "/tmp");
	if ((sp = spool_new(s->cfg.spool_memory, dir)) == NULL)
		fatal_temp("nomem", "spool", strerror(errno));
	say("data_go");
	r = receive(sp, &toobig, &sperr, &total);
	s->bytes += total;
	if (r == RECV_BAD) {
		spool_free(sp);
		/* never repaired, never taken for the end: close (qmail) */
		say_close("bare_lf_data", "drop", "bare CR or LF in DATA");
	}
	if (toobig || sperr) {
		spool_free(sp);
		data_refused(toobig, sperr, total);
		return;
	}
	if (data_checks(sp, 0) == -1) {
		spool_free(sp);
		return;
	}
	plen = warn_header(prefix, sizeof(prefix));
	r = child_data(&sf.ch, prefix, plen, sp, s->cfg.child_bdat, &rep);
	spool_free(sp);
	if (r == -1)
		child_failed("data");
	data_done(r == -1, &rep, total);
}

static void
do_data(size_t argn)
{
	struct session *s = &sf.s;
	struct held d;

	if (argn > 0) {
		proto("syntax", "DATA");
		s->errors++;
		return;
	}
	if (!s->in_txn) {
		proto("need_mail", "DATA");
		s->errors++;
		return;
	}
	if (s->rcpts == 0) {
		proto(sf.rcpt_tries > 0 ? "no_rcpts" : "need_rcpt", "DATA");
		return;
	}
	if (s->cfg.data_delay > 0 && !s->trusted && client_wait(&sf.cl,
	    (int)(s->cfg.data_delay * 1000)))
		s->early_data = 1;
	if (run_checks(PHASE_DATA, &d, "DATA") != VERDICT_PASS &&
	    d.verdict != VERDICT_ACCEPT) {
		refuse(&d, "DATA");
		return;
	}
	if (s->cfg.data_spool)
		data_spooled();
	else
		data_streamed();
}

/* ---- setup --------------------------------------------------------- */

static void
ip_text(const struct sockaddr_storage *ss, char *ip, size_t iplen,
    char *port, size_t portlen)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &in4->sin_addr, ip, (socklen_t)iplen);
		snprintf(port, portlen, "%u", ntohs(in4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], ip,
			    (socklen_t)iplen);
		else
			inet_ntop(AF_INET6, &in6->sin6_addr, ip,
			    (socklen_t)iplen);
		snprintf(port, portlen, "%u", ntohs(in6->sin6_port));
	}
}

/*
 * The environment variables read per connection, found in one pass over
 * the environment (a getenv() each would walk it again every time).  The
 * values are those smtpfront started with; its own setenv() calls for the
 * child come later and need not be seen here.
 */
enum {
	E_TCPREMOTEIP, E_TCPREMOTEPORT, E_TCPLOCALIP, E_TCPLOCALPORT,
	E_TCPREMOTEHOST, E_TCPREMOTEINFO, E_TCPLOCALHOST, E_REMOTE_ADDR,
	E_REMOTE_PORT, E_RELAYCLIENT, E_PROTO, E_RULES, E_COUNT
};

#define EN(s)	{ s, sizeof(s) - 1 }
static const struct {
	const char	*name;
	size_t		 len;
} env_names[E_COUNT] = {
	EN("TCPREMOTEIP"), EN("TCPREMOTEPORT"), EN("TCPLOCALIP"),
	EN("TCPLOCALPORT"), EN("TCPREMOTEHOST"), EN("TCPREMOTEINFO"),
	EN("TCPLOCALHOST"), EN("REMOTE_ADDR"), EN("REMOTE_PORT"),
	EN("RELAYCLIENT"), EN("PROTO"), EN("SMTPFRONT_RULES")
};
#undef EN

static const char *env_val[E_COUNT];

static void
env_scan(void)
{
	char *const *e;
	const char *p, *eq;
	size_t k;
	int i;

	for (e = environ; *e != NULL; e++) {
		p = *e;
		/* every name above starts with one of these */
		if (p[0] != 'T' && p[0] != 'R' && p[0] != 'P' && p[0] != 'S')
			continue;
		/* names are at most 15 bytes: look for '=' no further */
		for (k = 0; k < 16 && p[k] != '\0' && p[k] != '='; k++)
			;
		if (p[k] != '=')
			continue;
		eq = p + k;
		for (i = 0; i < E_COUNT; i++)
			if (env_names[i].len == k &&
			    memcmp(env_names[i].name, p, k) == 0) {
				/* the first of a name wins, as with getenv */
				if (env_val[i] == NULL)
					env_val[i] = eq + 1;
				break;
			}
	}
}

static void
env_copy(int which, char *dst, size_t size)
{
	const char *v = env_val[which];

	if (v != NULL)
		log_printable(dst, size - 1, v, strlen(v));
}

/*
 * Client facts: the ucspi variables (tcpserver), systemd's REMOTE_ADDR,
 * or the socket on fd 0 (inetd, systemd Accept=yes).  Facts taken from
 * the socket are exported for the child, so qmail-smtpd sees them too.
 */
static void
client_facts(struct session *s)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fromsock = 0;

	env_copy(E_TCPREMOTEIP, s->remote_ip, sizeof(s->remote_ip));
	env_copy(E_TCPREMOTEPORT, s->remote_port, sizeof(s->remote_port));
	env_copy(E_TCPLOCALIP, s->local_ip, sizeof(s->local_ip));
	env_copy(E_TCPLOCALPORT, s->local_port, sizeof(s->local_port));
	env_copy(E_TCPREMOTEHOST, s->remote_host, sizeof(s->remote_host));
	env_copy(E_TCPREMOTEINFO, s->remote_info, sizeof(s->remote_info));
	env_copy(E_TCPLOCALHOST, s->local_host, sizeof(s->local_host));
	if (s->remote_ip[0] == '\0') {
		env_copy(E_REMOTE_ADDR, s->remote_ip, sizeof(s->remote_ip));
		env_copy(E_REMOTE_PORT, s->remote_port,
		    sizeof(s->remote_port));
	}
	if (s->remote_ip[0] == '\0') {
		sl = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		if (getpeername(0, (struct sockaddr *)&ss, &sl) == 0) {
			ip_text(&ss, s->remote_ip, sizeof(s->remote_ip),
			    s->remote_port, sizeof(s->remote_port));
			fromsock = 1;
		}
	}
	if (s->local_ip[0] == '\0') {
		sl = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		if (getsockname(0, (struct sockaddr *)&ss, &sl) == 0 &&
		    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
			ip_text(&ss, s->local_ip, sizeof(s->local_ip),
			    s->local_port, sizeof(s->local_port));
			fromsock = 1;
		}
	}
	/* "::ffff:1.2.3.4" is the IPv4 client 1.2.3.4 */
	if (strncasecmp(s->remote_ip, "::ffff:", 7) == 0 &&
	    strchr(s->remote_ip + 7, '.') != NULL)
		memmove(s->remote_ip, s->remote_ip + 7,
		    strlen(s->remote_ip + 7) + 1);
	if (inet_pton(AF_INET6, s->remote_ip, s->remote_bin) == 1)
		s->remote_known = 1;
	else if (inet_pton(AF_INET, s->remote_ip, s->remote_bin + 12) == 1) {
		s->remote_bin[10] = s->remote_bin[11] = 0xff;
		s->remote_known = 1;
	}
	if (!s->remote_known)
		memcpy(s->remote_ip, "unknown", 8);
	if (fromsock || env_val[E_TCPREMOTEIP] == NULL) {
		/* the child gets what tcpserver would have set */
		if (s->remote_known && env_val[E_TCPREMOTEIP] == NULL)
			setenv("TCPREMOTEIP", s->remote_ip, 1);
		if (s->remote_port[0] && env_val[E_TCPREMOTEPORT] == NULL)
			setenv("TCPREMOTEPORT", s->remote_port, 1);
		if (s->local_ip[0] && env_val[E_TCPLOCALIP] == NULL)
			setenv("TCPLOCALIP", s->local_ip, 1);
		if (s->local_port[0] && env_val[E_TCPLOCALPORT] == NULL)
			setenv("TCPLOCALPORT", s->local_port, 1);
		if (env_val[E_PROTO] == NULL && s->remote_known)
			setenv("PROTO", "TCP", 1);
	}
}

static void
banner(struct session *s, char sep)
{
	struct rtext rt;
	char c[2];

	c[0] = sep;
	c[1] = '\0';
	reply_load(s, "banner", &rt);
	client_lit(&sf.cl, "220");
	client_puts(&sf.cl, c);
	client_puts(&sf.cl, s->cfg.hostname);
	client_lit(&sf.cl, " ");
	client_puts(&sf.cl, rt.text);
	client_lit(&sf.cl, "\r\n");
}

/*
 * Trust is decided before the greeting: RELAYCLIENT from tcprules (the
 * qmail habit), or a trust rule.  With trust_exec the client is handed
 * to the MTA child right here: no filtering cost at all.
 */
static void
trust(struct session *s)
{
	int r;

	if (env_val[E_RELAYCLIENT] != NULL) {
		s->trusted = 1;
		s->relayclient = 1;
		copystr(s->trust_rule, sizeof(s->trust_rule), "RELAYCLIENT",
		    11);
	} else if (s->remote_known) {
		r = match_ip(s->rules, "trust", s->remote_bin, s->trust_rule,
		    sizeof(s->trust_rule));
		if (r == -1) {
			s->lookup_failed = 1;
			log_warning("rules database read error", "trust");
		} else if (r == 1) {
			/* the child may relay too, as tcprules would say */
			s->trusted = 1;
			s->relayclient = 1;
			setenv("RELAYCLIENT", "", 1);
		}
	}
	if (!s->trusted || !s->cfg.trust_exec || sf.dry)
		return;
	log_start("exec");
	log_str("rule", s->trust_rule);
	log_str("child", sf.argv[0]);
	log_end();
	client_flush(&sf.cl);
	client_block(&sf.cl);
	execvp(sf.argv[0], sf.argv);
	fatal_temp("child_start", "cannot exec the MTA child", strerror(errno));
}

/*
 * The greet delay: wait before the greeting (after a first 220- line with
 * greet_split) and note a client that talks meanwhile.  poll(2) sleeps:
 * a waiting connection costs no CPU.
 */
static void
greet(struct session *s)
{
	unsigned long ms;

	if (s->trusted || s->cfg.greet_delay == 0)
		return;
	if (s->cfg.greet_split) {
		banner(s, '-');
		client_flush(&sf.cl);
	}
	ms = s->cfg.greet_delay * 1000;
	if (client_wait(&sf.cl, (int)ms))
		s->early_greet = 1;
}

/*
 * The tarpit: once the session has passed tarpit_after recipients (or,
 * with tarpit_refused, had a command refused), every reply waits, the
 * wait growing by tarpit_factor percent a step up to tarpit_max.  The
 * wait never goes past the session ceiling.
 */
static void
tarpit(struct session *s)
{
	unsigned long long ms;
	unsigned long i;
	time_t left;

	if (!((s->cfg.tarpit_after > 0 &&
	    s->rcpt_cmds >= s->cfg.tarpit_after) ||
	    (s->cfg.tarpit_refused && s->refusals > 0)))
		return;
	ms = s->cfg.tarpit_delay;
	for (i = 0; i < s->tarpit_step && ms < s->cfg.tarpit_max; i++)
		ms = ms * s->cfg.tarpit_factor / 100;
	if (ms > s->cfg.tarpit_max)
		ms = s->cfg.tarpit_max;
	s->tarpit_step++;
	left = sf.cl.deadline - time(NULL);
	if (left <= 0)
		return;
	if (ms > (unsigned long long)left * 1000)
		ms = (unsigned long long)left * 1000;
	client_flush(&sf.cl);
	poll(NULL, 0, (int)ms);
}

/*
 * RFC 2920: EHLO, HELO, DATA, VRFY, EXPN, TURN, QUIT and NOOP end a
 * group: the client must wait for their reply.  Without PIPELINING
 * offered and taken (EHLO), every command must be waited for.
 */
static int
must_wait(const struct session *s, enum smtp_verb v)
{
	if (!s->esmtp || !s->cfg.pipelining)
		return 1;
	switch (v) {
	case SMTP_MAIL:
	case SMTP_RCPT:
	case SMTP_RSET:
		return 0;
	default:
		return 1;
	}
}

/*
 * Note a command the client sent before our reply (unauth_pipelining):
 * what is already read counts, else a poll that does not wait.  With the
 * check off there is nothing to note and no system call to pay.
 */
static void
sent_ahead(struct session *s, const char *what)
{
	if (s->pipelined[0] != '\0' || s->trusted ||
	    s->cfg.unauth_pipelining_action == ACTION_OFF)
		return;
	if (client_pending(&sf.cl) == 0 && !client_wait(&sf.cl, 0))
		return;
	copystr(s->pipelined, sizeof(s->pipelined), what, strlen(what));
}

/*
 * Dry run: what would happen to this client, HELO, sender and recipient,
 * and which check and rule would decide, without a network client or an
 * MTA child.  One line per phase on stdout, then the outcome.  Exit 0
 * when the recipient would be handed to the child, 1 when refused.
 */
static int dry_w0;	/* warn hits before the phase */

static void
dry_print(const char *phase, const char *what, enum verdict v,
    const struct held *d, const char *note)
{
	struct rtext rt;
	int i;

	if (v == VERDICT_PASS && sf.s.nwarns > dry_w0) {
		/* warn-mode hits: the message would carry the header */
		printf("%s %s: warn check=", phase, what);
		for (i = dry_w0; i < sf.s.nwarns; i++)
			printf("%s%s", i > dry_w0 ? "," : "", sf.s.warns[i]);
		printf(" rule=%s%s%s%s\n", sf.s.warn_rule, note ? " (" : "",
		    note ? note : "", note ? ")" : "");
		dry_w0 = sf.s.nwarns;
		return;
	}
	dry_w0 = sf.s.nwarns;
	printf("%s %s: %s", phase, what, verdict_name(v));
	if (v != VERDICT_PASS) {
		printf(" check=%s rule=%s", d->check,
		    d->rule[0] ? d->rule : "-");
		if (v != VERDICT_ACCEPT && v != VERDICT_WARN) {
			reply_load(&sf.s, d->reply, &rt);
			if (d->text[0] != '\0')
				copystr(rt.text, sizeof(rt.text), d->text,
				    strlen(d->text));
			if (v == VERDICT_DEFER || sf.s.lookup_failed)
				reply_temp(&rt);
			printf(" reply=\"%s%s%s %s\"", rt.code,
			    rt.esc[0] ? " " : "", rt.esc, rt.text);
		}
	}
	if (note != NULL)
		printf(" (%s)", note);
	printf("\n");
}

static int
dry_refused(const char *phase, const char *what, enum verdict v,
    struct held *d)
{
	struct session *s = &sf.s;

	if (v == VERDICT_PASS || v == VERDICT_ACCEPT || v == VERDICT_WARN) {
		dry_print(phase, what, v, d, NULL);
		return 0;
	}
	if (v != VERDICT_DROP && s->cfg.delay_reject &&
	    d->phase < PHASE_RCPT) {
		dry_print(phase, what, v, d, "held until RCPT");
		if (s->held.verdict == VERDICT_PASS)
			s->held = *d;
		return 0;
	}
	dry_print(phase, what, v, d, NULL);
	return 1;
}

static void __attribute__((noreturn))
dry_run(char *const *args)
{
	struct session *s = &sf.s;
	struct held d;
	enum verdict v;
	size_t pos;
	char what[ADDR_MAX + 16];

	s->helo_seen = 1;
	s->esmtp = 1;
	log_printable(s->helo, sizeof(s->helo) - 1, args[1],
	    strnlen(args[1], HELO_MAX));
	snprintf(what, sizeof(what), "FROM:<%s>", args[2]);
	if (smtp_path(what, strlen(what), "FROM:", s->sender, sizeof(s->sender),
	    &pos) == -1) {
		printf("sender %s: syntax error\n", what);
		exit(1);
	}
	snprintf(what, sizeof(what), "TO:<%s>", args[3]);
	if (smtp_path(what, strlen(what), "TO:", s->rcpt, sizeof(s->rcpt),
	    &pos) == -1) {
		printf("recipient %s: syntax error\n", what);
		exit(1);
	}
	if (s->trusted)
		printf("trust %s: trusted by %s%s\n", s->remote_ip,
		    s->trust_rule, s->cfg.trust_exec ?
		    " (handed to the child with execve)" : "");
	v = run_checks(PHASE_CONNECT, &d, "CONNECT");
	if (dry_refused("connect", s->remote_ip, v, &d))
		exit(1);
	v = run_checks(PHASE_HELO, &d, "EHLO");
	if (dry_refused("helo", s->helo, v, &d))
		exit(1);
	snprintf(what, sizeof(what), "<%s>", s->sender);
	v = s->held.verdict != VERDICT_PASS ? VERDICT_PASS :
	    run_checks(PHASE_MAIL, &d, "MAIL");
	if (dry_refused("mail", what, v, &d))
		exit(1);
	s->in_txn = 1;
	snprintf(what, sizeof(what), "<%s>", s->rcpt);
	v = run_checks_mode(PHASE_RCPT, &d, "RCPT", 1);
	if (v != VERDICT_PASS && v != VERDICT_ACCEPT) {
		dry_print("rcpt", what, v, &d, "relay control");
		exit(1);
	}
	if (addr_is_role(s->rcpt, strlen(s->rcpt))) {
		printf("rcpt %s: accept (postmaster and abuse take all "
		    "mail)\n", what);
		exit(0);
	}
	v = run_checks(PHASE_RCPT, &d, "RCPT");
	if (v != VERDICT_ACCEPT && s->held.verdict != VERDICT_PASS) {
		d = s->held;
		dry_print("rcpt", what, (enum verdict)d.verdict, &d,
		    "held from an earlier phase");
		exit(1);
	}
	if (v != VERDICT_PASS && v != VERDICT_ACCEPT && v != VERDICT_WARN) {
		dry_print("rcpt", what, v, &d, NULL);
		exit(1);
	}
	dry_print("rcpt", what, v, &d, "handed to the MTA child");
	exit(0);
}

static void
usage(void)
{
	static const char msg[] =
	    "usage: smtpfront [-r rules.cdb] program [args...]\n"
	    "       smtpfront -n [-r rules.cdb] IP HELO SENDER RECIPIENT\n";
	ssize_t w = write(2, msg, sizeof(msg) - 1);

	(void)w;
	_exit(EXIT_USAGE);
}

static void
command(const char *line, size_t len, int flags)
{
	struct session *s = &sf.s;
	size_t arg;
	enum smtp_verb verb;

	if (flags & LINE_NUL) {
		proto("nul", "-");
		s->errors++;
		return;
	}
	if (flags & LINE_BARELF) {
		proto("bare_lf", "-");
		s->errors++;
		return;
	}
	if (flags & (LINE_8BIT | LINE_CR)) {
		proto(flags & LINE_8BIT ? "eightbit" : "syntax", "-");
		s->errors++;
		return;
	}
	verb = smtp_verb(line, len, &arg);
	if (verb != SMTP_UNKNOWN && must_wait(s, verb))
		sent_ahead(s, smtp_verb_name(verb));
	tarpit(s);
	switch (verb) {
	case SMTP_HELO:
		do_helo(line + arg, len - arg, 0);
		break;
	case SMTP_EHLO:
		do_helo(line + arg, len - arg, 1);
		break;
	case SMTP_MAIL:
		do_mail(line + arg, len - arg);
		break;
	case SMTP_RCPT:
		do_rcpt(line + arg, len - arg);
		break;
	case SMTP_DATA:
		do_data(len - arg);
		break;
	case SMTP_RSET:
		txn_reset();
		say("ok");
		break;
	case SMTP_NOOP:
		say("ok");
		break;
	case SMTP_VRFY:
		say("vrfy");
		break;
	case SMTP_HELP:
		say("help");
		break;
	case SMTP_QUIT:
		say("quit");
		client_flush(&sf.cl);
		finish(EXIT_OK);
		/* NOTREACHED */
	case SMTP_EXPN:
	case SMTP_STARTTLS:
	case SMTP_AUTH:
	case SMTP_BDAT:
	case SMTP_ETRN:
	case SMTP_TURN:
		proto("not_impl", smtp_verb_name(verb));
		s->errors++;
		break;
	case SMTP_UNKNOWN:
	default:
		proto("unknown", "-");
		s->errors++;
		break;
	}
}

int
main(int argc, char **argv)
{
	struct session *s = &sf.s;
	const char *rules_path = NULL;
	char line[LINE_MAX_SMTP];
	char err[256];
	struct held d;
	size_t len;
	int i, r, flags, dry = 0;

	signal(SIGPIPE, SIG_IGN);
	log_guard();
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0) {
			dry = 1;
			continue;
		}
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-r") == 0) {
			if (i + 1 >= argc)
				usage();
			rules_path = argv[++i];
			continue;
		}
		if (argv[i][0] == '-')
			usage();
		break;
	}
	if (i >= argc || (dry && argc - i != 4))
		usage();
	sf.argv = argv + i;
	sf.dry = dry;
	if (dry) {
		/* the dry run's client is the IP given, not the socket */
		unsetenv("TCPREMOTEIP");
		unsetenv("REMOTE_ADDR");
		setenv("TCPREMOTEIP", argv[i], 1);
		close(0);
	}
	gettimeofday(&sf.t0, NULL);
	s->start = time(NULL);

	env_scan();
	client_facts(s);
	log_init(s->remote_ip);
	/* the client may be on one socket for both directions */
	client_init(&sf.cl, 0, 1, 300, s->start + 3600);
	if (getuid() == 0 || geteuid() == 0)
		log_warning("running as root; run smtpfront as an unprivileged user",
		    NULL);

	if (rules_path == NULL)
		rules_path = env_val[E_RULES];
	if (rules_path == NULL || rules_path[0] == '\0')
		rules_path = RULES_DEFAULT;
	s->rules = rules_open(rules_path);
	if (s->rules == NULL && errno == ENOENT)
		s->rules = rules_open_none();
	if (s->rules == NULL) {
		char why[300];

		snprintf(why, sizeof(why), "%s: %s", rules_path,
		    errno == EINVAL ? "not a smtpfront rules database" :
		    strerror(errno));
		s->rules = rules_open_none();
		fatal_temp("config", "cannot read rules database", why);
	}
	if (rules_config(s->rules, &s->cfg, err, sizeof(err)) == -1)
		fatal_temp("config", "bad setting", err);
	if (s->cfg.hostname[0] == '\0') {
		if (s->local_host[0] != '\0')
			copystr(s->cfg.hostname, sizeof(s->cfg.hostname),
			    s->local_host, strlen(s->local_host));
		else if (gethostname(s->cfg.hostname,
		    sizeof(s->cfg.hostname) - 1) == -1)
			memcpy(s->cfg.hostname, "localhost", 10);
	}
	if (dry) {
		trust(s);
		dry_run(sf.argv);
	}
	sf.cl.timeout = s->cfg.timeout;
	sf.cl.deadline = s->start + (time_t)s->cfg.session_timeout;

	log_start("connect");
	log_str("ip", s->remote_ip);
	if (s->remote_port[0])
		log_str("port", s->remote_port);
	if (s->remote_host[0])
		log_str("host", s->remote_host);
	log_end();

	trust(s);
	greet(s);
	r = run_checks(PHASE_CONNECT, &d, "CONNECT");
	s->nwarns_connect = s->nwarns_session = s->nwarns;
	if (r != VERDICT_PASS && s->cfg.greet_split && !s->trusted &&
	    s->cfg.greet_delay > 0 && (d.verdict == VERDICT_DROP ||
	    !s->cfg.delay_reject)) {
		/*
		 * After a "220-" line a refusal cannot follow as the end of
		 * the same reply (its lines share one code): end the
		 * greeting, and refuse the first command instead.
		 */
		banner(s, ' ');
		r = client_line(&sf.cl, line, sizeof(line), &len, &flags);
		refuse(&d, "-");
		if (r != CLIENT_OK && r != CLIENT_TOOLONG)
			finish(EXIT_OK);
		/* and every recipient after it, as a held refusal would */
		s->held = d;
	} else if (r != VERDICT_PASS && decide_early(&d, "CONNECT")) {
		/* a refusal at connect without delay_reject closes */
		finish(EXIT_OK);
	} else
		banner(s, ' ');

	for (;;) {
		r = client_line(&sf.cl, line, sizeof(line), &len, &flags);
		switch (r) {
		case CLIENT_OK:
			command(line, len, flags);
			break;
		case CLIENT_TOOLONG:
			proto("line_long", "-");
			s->errors++;
			break;
		case CLIENT_TIMEOUT:
			say_close("timeout", "timeout", "idle");
			break;
		case CLIENT_CEILING:
			say_close("session_timeout", "timeout",
			    "session ceiling");
			break;
		case CLIENT_EOF:
		case CLIENT_ERROR:
		default:
			if (s->verdict[0] == '\0' && s->msgs == 0)
				copystr(s->verdict, sizeof(s->verdict),
				    "disconnect", 10);
			finish(EXIT_OK);
		}
		if (sf.cl.failed)
			finish(EXIT_OK);
		if (s->errors >= s->cfg.errors_max)
			say_close("errors_max", "drop", "too many errors");
	}
}
