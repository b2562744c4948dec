/*
 * conn.c: the connection (see conn.h): replies to the client, the one
 * refusal log line, the session summary and the end of the session,
 * the tarpit and the look-ahead for commands sent too early.
 * Input: the connection.  Output: the client's replies and log lines.
 * Failure: a write to a client that is gone is noted by client.c
 * (cl.failed) and ends the session at the next command.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
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

#include "conn.h"
#include "resolver.h"
#include "log.h"
#include "starttls.h"

void
copystr(char *dst, size_t size, const char *src, size_t n)
{
	if (n > size - 1)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
conn_reply(struct conn *c, const char *name, struct rtext *rt)
{
	if (reply_load(c->s.rules, name, rt) == -1) {
		c->s.lookup_failed = 1;
		log_warning("rules database read error for reply", name);
	}
}

void
conn_say_rt(struct conn *c, const struct rtext *rt)
{
	client_puts(&c->cl, rt->code);
	client_lit(&c->cl, " ");
	if (rt->esc[0] != '\0') {
		client_puts(&c->cl, rt->esc);
		client_lit(&c->cl, " ");
	}
	client_puts(&c->cl, rt->text);
	client_lit(&c->cl, "\r\n");
}

/*
 * The replies said at every message (250 to MAIL, 354): the rules are
 * constant, so one that they leave as in the table is looked up once a
 * session and then said from the table.  name is a string constant (every
 * caller's is), kept by its address.
 */
/* The lines of c->said, made once: one copy to say one (one session a
 * process).  A length of 0: too long, said piece by piece. */
#define SAID_LINE	256
static char said_line[CONN_SAID][SAID_LINE];
static size_t said_len[CONN_SAID];

static size_t
said_make(char *line, const struct reply_default *d)
{
	size_t code = strlen(d->code), esc = strlen(d->esc);
	size_t text = strlen(d->text), n;

	if (code + esc + text + 4 > SAID_LINE)
		return 0;
	memcpy(line, d->code, code);
	n = code;
	line[n++] = ' ';
	if (esc > 0) {
		memcpy(line + n, d->esc, esc);
		n += esc;
		line[n++] = ' ';
	}
	memcpy(line + n, d->text, text);
	n += text;
	line[n++] = '\r';
	line[n++] = '\n';
	return n;
}

void
conn_say(struct conn *c, const char *name)
{
	const struct reply_default *d;
	struct rtext rt;
	int i;

	for (i = 0; i < CONN_SAID && c->said[i] != NULL; i++)
		if (c->said_name[i] == name)
			break;
	if (i < CONN_SAID && c->said[i] == NULL &&
	    (d = reply_plain(c->s.rules, name)) != NULL) {
		c->said_name[i] = name;
		c->said[i] = d;
		said_len[i] = said_make(said_line[i], d);
	}
	if (i < CONN_SAID && said_len[i] > 0 && c->said[i] != NULL) {
		client_put(&c->cl, said_line[i], said_len[i]);
		return;
	}
	if (i < CONN_SAID && c->said[i] != NULL) {
		d = c->said[i];
		client_puts(&c->cl, d->code);
		client_lit(&c->cl, " ");
		if (d->esc[0] != '\0') {
			client_puts(&c->cl, d->esc);
			client_lit(&c->cl, " ");
		}
		client_puts(&c->cl, d->text);
		client_lit(&c->cl, "\r\n");
		return;
	}
	conn_reply(c, name, &rt);
	conn_say_rt(c, &rt);
}

void
conn_banner(struct conn *c, char sep)
{
	struct rtext rt;
	char s[2];

	s[0] = sep;
	s[1] = '\0';
	conn_reply(c, "banner", &rt);
	client_lit(&c->cl, "220");
	client_puts(&c->cl, s);
	client_puts(&c->cl, c->s.cfg.hostname);
	client_lit(&c->cl, " ");
	client_puts(&c->cl, rt.text);
	client_lit(&c->cl, "\r\n");
}

/*
 * qmail names the enhanced code at the end of its text, "(#5.7.1)": the
 * code there, of the reply's class, into esc ("X.Y.Z "), 1; else 0.
 */
static int
qmail_esc(const char *p, size_t n, char class, char *esc, size_t size)
{
	const char *o, *q;
	size_t k;

	if (n < 8 || p[n - 1] != ')')
		return 0;
	for (o = p + n - 2; o > p && *o != '('; o--)
		;
	if (*o != '(' || o[1] != '#' || o[2] != class)
		return 0;
	q = o + 2;
	k = (size_t)(p + n - 1 - q);
	if (k + 2 > size || !creply_esc(q, k, class))
		return 0;
	memcpy(esc, q, k);
	memcpy(esc + k, " ", 2);
	return 1;
}

void
conn_relay(struct conn *c, const struct creply *rep)
{
	const char *p = rep->text, *end = rep->text + rep->len, *eol;
	char esc[24];

	/* one line with its enhanced code (Postfix's, Exim's): as it is */
	if (rep->lines == 1 && (rep->has_esc || rep->code == 354)) {
		client_put(&c->cl, rep->text, rep->len);
		return;
	}
	esc[0] = (char)('0' + rep->code / 100);
	memcpy(esc + 1, ".0.0 ", 6);
	/* the code a qmail child gives in its last line's text, if any */
	if (rep->len > 6 && rep->code != 354) {
		const char *last = end - 2, *b;

		for (b = last; b > rep->text && b[-1] != '\n'; b--)
			;
		if (last - b > 4)
			(void)qmail_esc(b + 4, (size_t)(last - b - 4),
			    (char)('0' + rep->code / 100), esc, sizeof(esc));
	}
	while (p < end) {
		eol = memchr(p, '\r', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (rep->code == 354 || eol - p < 3 || (eol - p > 4 &&
		    creply_esc(p + 4, (size_t)(eol - p - 4), p[0]))) {
			client_put(&c->cl, p, (size_t)(eol - p));
		} else {
			/* "250-text" -> "250-2.0.0 text" */
			client_put(&c->cl, p, eol - p > 3 ? 4 : 3);
			if (eol - p == 3)
				client_lit(&c->cl, " ");
			client_puts(&c->cl, esc);
			if (eol - p > 4)
				client_put(&c->cl, p + 4,
				    (size_t)(eol - p - 4));
		}
		client_lit(&c->cl, "\r\n");
		p = eol + 2;
	}
}

void
conn_log_envelope(struct conn *c, const char *cmd)
{
	struct session *s = &c->s;

	log_str("cmd", cmd);
	if (s->helo[0] != '\0')
		log_str("helo", s->helo);
	if (s->in_txn || cmd[0] == 'M')
		log_addr("from", s->sender);
	if (cmd[0] == 'R')
		log_addr("rcpt", s->rcpt);
}

void
conn_log_refusal(struct conn *c, const char *event, const char *check,
    const char *rule, const char *cmd, int envelope,
    const unsigned long long *bytes, const struct rtext *rt,
    const char *reason, int downgraded)
{
	log_start(event);
	log_str("check", check);
	log_str("rule", rule != NULL && rule[0] != '\0' ? rule : "-");
	if (cmd != NULL) {
		if (envelope)
			conn_log_envelope(c, cmd);
		else
			log_str("cmd", cmd);
	} else if (reason != NULL && reason[0] != '\0')
		log_str("reason", reason);
	if (bytes != NULL)
		log_ull("bytes", *bytes);
	if (rt != NULL) {
		log_str("code", rt->code);
		if (rt->esc[0] != '\0')
			log_str("esc", rt->esc);
	}
	if (cmd != NULL && reason != NULL && reason[0] != '\0')
		log_str("reason", reason);
	if (downgraded)
		log_str("downgraded", "yes");
	log_end();
	/* the summary names the last refusal, whatever its kind */
	conn_verdict(c, event, check, rule != NULL && strcmp(rule, "-") != 0 ?
	    rule : NULL);
}

void
conn_verdict(struct conn *c, const char *event, const char *check,
    const char *rule)
{
	struct session *s = &c->s;

	copystr(s->verdict, sizeof(s->verdict), event, strlen(event));
	s->verdict_rule[0] = '\0';
	if (check == NULL)
		return;
	snprintf(s->verdict_rule, sizeof(s->verdict_rule), "%s%s%s", check,
	    rule != NULL && rule[0] ? ":" : "", rule != NULL ? rule : "");
}

void
conn_proto_as(struct conn *c, const char *check, const char *name,
    const char *cmd)
{
	struct rtext rt;

	conn_reply(c, name, &rt);
	conn_log_refusal(c, rt.code[0] == '4' ? "defer" : "reject", check,
	    name, cmd, 0, NULL, &rt, NULL, 0);
	c->s.refusals++;
	conn_say_rt(c, &rt);
}

void
conn_proto(struct conn *c, const char *name, const char *cmd)
{
	conn_proto_as(c, "protocol", name, cmd);
}

void
conn_close(struct conn *c, const char *name, const char *event,
    const char *why)
{
	struct rtext rt;

	conn_reply(c, name, &rt);
	conn_say_rt(c, &rt);
	client_flush(&c->cl);
	conn_log_refusal(c, event, "protocol", name, NULL, 0, NULL, &rt, why,
	    0);
	conn_finish(c, EXIT_OK);
}

static void
summary(struct conn *c)
{
	struct session *s = &c->s;
	struct timeval t1;
	long ms;

	gettimeofday(&t1, NULL);
	ms = (t1.tv_sec - c->t0.tv_sec) * 1000L +
	    (t1.tv_usec - c->t0.tv_usec) / 1000L;
	if (ms < 0)
		ms = 0;
	log_start("session");
	log_str("ip", s->remote_ip);
	log_str("helo", s->helo[0] ? s->helo : "-");
	log_str("tls", s->tls_proto[0] ? s->tls_proto : "-");
	log_addr("from", s->in_txn ? s->sender : c->last_from);
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
session_end(struct conn *c)
{
	conn_end_fn f = c->on_end;

	/* once, even when a hook's end leads here again */
	c->on_end = NULL;
	if (f != NULL)
		f(c);
}

void
conn_finish(struct conn *c, int code)
{
	client_flush(&c->cl);
	if (c->cl.stalled) {
		/* no reply can reach a client that reads nothing */
		conn_log_refusal(c, "timeout", "protocol", "timeout", NULL, 0,
		    NULL, NULL, "client not reading", 0);
	}
	/*
	 * The checks' end first: what they count (the rate counters, the
	 * concurrency place) is in the store before the client sees the
	 * end, so a client that comes straight back finds it there.  Then
	 * the client is let go, before the child is reaped.
	 */
	session_end(c);
	close(0);
	close(1);
	/* a child inside DATA must not see anything that could end it */
	if (child_up(&c->ch) && c->in_data)
		child_kill(&c->ch);
	if (child_up(&c->ch))
		child_stop(&c->ch);
	/* smtpfront-tls saw its socketpair close: it sends close_notify
	 * and ends */
	if (c->tls_pid != 0)
		starttls_reap(c->tls_pid, TLS_REAP_WAIT);
	summary(c);
	leave(code);
}

void
conn_fatal(struct conn *c, const char *name, const char *a, const char *b)
{
	struct rtext rt;

	log_fatal(a, b);
	conn_reply(c, name, &rt);
	conn_say_rt(c, &rt);
	client_flush(&c->cl);
	conn_verdict(c, "tempfail", NULL, NULL);
	if (child_up(&c->ch))
		child_kill(&c->ch);
	if (c->tls_pid != 0) {
		close(0);
		close(1);
		starttls_reap(c->tls_pid, TLS_REAP_WAIT);
	}
	session_end(c);
	summary(c);
	leave(EXIT_TEMP);
}

void
conn_child_failed(struct conn *c, const char *when)
{
	conn_verdict(c, "defer", "child", NULL);
	log_start("child-fail");
	log_str("when", when);
	log_str("reason", c->ch.why);
	log_end();
	child_kill(&c->ch);
	c->mail_fwd = 0;
}

int
conn_wait(struct conn *c, unsigned long ms)
{
	/* DNS queries in flight are served while the client is watched */
	if (resolver_busy()) {
		if (client_pending(&c->cl) > 0)
			return 1;
		return resolver_sleep(c->cl.in, ms);
	}
	return client_wait(&c->cl, (int)ms);
}

void
conn_gone(struct conn *c, const char *when)
{
	struct session *s = &c->s;

	log_start("disconnect");
	log_str("when", when);
	log_end();
	if (s->verdict[0] == '\0' && s->msgs == 0)
		conn_verdict(c, "disconnect", NULL, NULL);
	conn_finish(c, EXIT_OK);
}

/*
 * The tarpit: once the session has passed tarpit_after recipients (or,
 * with tarpit_refused, had a command refused), every reply waits, the
 * wait growing by tarpit_factor percent a step up to tarpit_max.  The
 * wait never goes past the session ceiling.
 */
void
conn_tarpit(struct conn *c)
{
	struct session *s = &c->s;
	struct pollfd p;
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
	left = c->cl.deadline - time(NULL);
	if (left <= 0)
		return;
	if (ms > (unsigned long long)left * 1000)
		ms = (unsigned long long)left * 1000;
	client_flush(&c->cl);
	/* a client that hangs up meanwhile is gone: no more replies for
	 * the commands it had sent ahead */
	p.fd = c->cl.in;
	p.events = POLLRDHUP;
	p.revents = 0;
	if (poll(&p, 1, (int)ms) > 0 &&
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		conn_gone(c, "tarpit");
}

/*
 * Note a command the client sent before our reply (unauth_pipelining):
 * what is already read counts, else a poll that does not wait.  With no
 * check wanting it there is nothing to note and no system call to pay.
 */
void
conn_sent_ahead(struct conn *c, const char *what)
{
	struct session *s = &c->s;

	if (s->pipelined[0] != '\0' || s->trusted || !c->lookahead)
		return;
	if (client_pending(&c->cl) == 0 && !client_wait(&c->cl, 0))
		return;
	copystr(s->pipelined, sizeof(s->pipelined), what, strlen(what));
}
