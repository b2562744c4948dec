/*
 * smtpfront.c: the per-connection program: setup and the SMTP dialogue.
 *
 * Started by tcpserver, inetd or systemd (Accept=yes) with the client on
 * fd 0 and fd 1:  smtpfront [-r rules.cdb] program [args...]
 *
 * It answers the client itself: the setup (client facts, the rules, the
 * checks' start, trust, the greet delay), the command loop and the HELO,
 * MAIL and RCPT handlers.  The checks run through verdict.c, which turns
 * their verdicts into replies and log lines; conn.c writes them; DATA is
 * data.c's; -n is dryrun.c's, -t configtest.c's.  Accepted transactions
 * go to the MTA child (the rest of the command line), started no earlier
 * than the first recipient that passes.
 * The child's replies to MAIL, RCPT and the end of data reach the client
 * unchanged; the client never gets 250 at the end of data unless the
 * child said 250 for that message.
 *
 * Exit codes: 0 normal end, 100 usage error, 111 temporary failure
 * (unreadable rules, out of memory, child could not be started).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "configtest.h"
#include "check.h"
#include "conn.h"
#include "data.h"
#include "dryrun.h"
#include "envvar.h"
#include "log.h"
#include "rules.h"
#include "resolver.h"
#include "smtp.h"
#include "dkim.h"
#include "scan.h"
#include "spf.h"
#include "store.h"
#include "starttls.h"
#include "verdict.h"

/* One connection a process: its state, passed to every function. */
static struct conn conn;

/* "MAIL FROM:<path>" and the like into cmd (size >= strlen(verb) +
 * ADDR_MAX + 3); returns the length. */
static size_t
cmd_path(char *cmd, const char *verb, const char *path, size_t n)
{
	size_t v = strlen(verb);

	memcpy(cmd, verb, v);
	cmd[v] = '<';
	memcpy(cmd + v + 1, path, n);
	cmd[v + 1 + n] = '>';
	return v + n + 2;
}

/*
 * RFC 2920: a client that pipelines sends its last RCPT and DATA in one
 * group, and DATA ends it: nothing may follow.  When DATA is all that is
 * left of what the client sent, a child that offers PIPELINING can get it
 * with that RCPT, in the same write: the child then answers RCPT and DATA
 * at once, and wakes once for the envelope instead of twice.  Only where
 * the message will be streamed to it with DATA (not as BDAT) and no data
 * delay is to be kept.  Should we refuse DATA after all, the child, which
 * may be inside DATA, is killed: it never sees an end of data, and accepts
 * nothing (child_stop, verdict_reset and command() see to it).
 */
static int
data_follows(struct conn *c)
{
	const struct client *cl = &c->cl;
	const struct session *s = &c->s;

	if (!c->ch.pipelining || (c->ch.chunking && s->cfg.child_bdat) ||
	    !s->esmtp || !s->cfg.pipelining || s->cfg.data_spool ||
	    s->spool_session || s->spool_txn ||
	    (!s->trusted && s->cfg.data_delay > 0))
		return 0;
	/* "DATA\r\n" in any case: the letters' 0x20 bit cleared */
	return cl->ilen - cl->ipos == 6 &&
	    (cl->ibuf[cl->ipos] & 0xdf) == 'D' &&
	    (cl->ibuf[cl->ipos + 1] & 0xdf) == 'A' &&
	    (cl->ibuf[cl->ipos + 2] & 0xdf) == 'T' &&
	    (cl->ibuf[cl->ipos + 3] & 0xdf) == 'A' &&
	    cl->ibuf[cl->ipos + 4] == '\r' && cl->ibuf[cl->ipos + 5] == '\n';
}

/*
 * After the child's replies to RCPT (and MAIL): with no recipient taken,
 * the client's DATA will be refused here, and the child's answer to the
 * DATA that went early is read now (a child that said 354 all the same
 * is killed, being inside DATA).
 */
static void
data_settle(struct conn *c)
{
	struct creply rep;

	if (!c->ch.data_sent || c->s.rcpts > 0)
		return;
	c->ch.data_sent = 0;
	if (child_reply(&c->ch, &rep) == -1)
		conn_child_failed(c, "data");
	else if (rep.code == 354) {
		child_kill(&c->ch);
		c->mail_fwd = 0;
	}
}

/*
 * Start the child if needed, give it MAIL and the first recipient's RCPT
 * (rcmd): in one write when it offers PIPELINING, one round trip fewer
 * per message, and the client's DATA with them when data_follows().  The
 * child first hears of a transaction when a recipient has passed the
 * checks.  Returns 0 with the replies in mrep and rrep (rrep is
 * meaningful only when mrep is 2xx), or -1 (451 already said,
 * transaction over).
 */
static int
forward_mail(struct conn *c, const char *rcmd, size_t rlen, struct creply *mrep,
    struct creply *rrep)
{
	struct session *s = &c->s;
	char cmd[2 * ADDR_MAX + 96];
	char helo[HELO_MAX + 3];
	struct child_who who;
	size_t n;
	int r;

	if (!child_up(&c->ch)) {
		if (s->helo[0] != '\0' && strlen(s->helo) <= HELO_MAX)
			copystr(helo, sizeof(helo), s->helo, strlen(s->helo));
		else
			snprintf(helo, sizeof(helo), "[%s]", s->remote_ip);
		who.ip = s->remote_ip;
		who.port = s->remote_port;
		/* tcpserver's TCPREMOTEHOST is not verified: the child would
		 * trust it; only a name fcrdns confirmed goes */
		who.name = check_result(s, "fcrdns");
		if (who.name != NULL && who.name[0] == '\0')
			who.name = NULL;
		if (who.name != NULL)
			(void)setenv("TCPREMOTEHOST", who.name, 1);
		who.helo = s->helo;
		who.esmtp = s->esmtp;
		who.self = s->cfg.hostname;
		c->child_tried = 1;
		r = child_start(&c->ch, c->argv, s->cfg.child_timeout, helo,
		    &who);
		if (r == CHILD_NOEXEC)
			conn_fatal(c, "child_start", "cannot start the MTA child",
			    c->ch.why);
		if (r == -1) {
			conn_child_failed(c, "start");
			conn_say(c, "child_fail");
			return -1;
		}
	}
	if (c->ch.xfwd_len > 0 && child_xforward(&c->ch) == -1)
		goto fail;
	n = cmd_path(cmd, "MAIL FROM:", s->sender, s->sender_len);
	if (s->size_declared > 0 && c->ch.size)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " SIZE=%lu",
		    s->size_declared);
	if (s->body_8bit && c->ch.eightbit)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
		    " BODY=8BITMIME");
	memcpy(cmd + n, "\r\n", 2);
	n += 2;
	if (c->ch.pipelining && rlen <= sizeof(cmd) - n - 8) {
		int data = data_follows(c);

		memcpy(cmd + n, rcmd, rlen);
		n += rlen;
		memcpy(cmd + n, "\r\nDATA\r\n", 8);
		n += data ? 8 : 2;
		if (child_send(&c->ch, cmd, n) == -1)
			goto fail;
		c->ch.data_sent = data;
		if (child_reply(&c->ch, mrep) == -1 ||
		    child_reply(&c->ch, rrep) == -1)
			goto fail;
		if (mrep->code / 100 == 2)
			c->mail_fwd = 1;
		return 0;
	}
	if (child_send(&c->ch, cmd, n) == -1 ||
	    child_reply(&c->ch, mrep) == -1)
		goto fail;
	if (mrep->code / 100 != 2)
		return 0;
	c->mail_fwd = 1;
	if (child_cmd(&c->ch, rcmd, rlen, rrep) == -1)
		goto fail;
	return 0;
fail:
	conn_child_failed(c, c->mail_fwd ? "rcpt" : "mail");
	conn_say(c, "child_fail");
	return -1;
}

static void
do_helo(struct conn *c, const char *arg, size_t n, int esmtp)
{
	struct session *s = &c->s;
	struct held d;
	char num[24];
	enum verdict r;

	if (n == 0) {
		conn_proto(c, "syntax", esmtp ? "EHLO" : "HELO");
		s->errors++;
		return;
	}
	if (s->in_txn)
		verdict_reset(c);
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
	verdict_back(c, PHASE_CONNECT);
	r = verdict_run(c, PHASE_HELO, &d, esmtp ? "EHLO" : "HELO", 0);
	verdict_keep(c, PHASE_HELO);
	if (r != VERDICT_PASS && verdict_early(c, &d, esmtp ? "EHLO" : "HELO")) {
		/* a greeting refused at once is no greeting */
		s->helo_seen = 0;
		return;
	}
	if (!esmtp) {
		client_lit(&c->cl, "250 ");
		client_puts(&c->cl, s->cfg.hostname);
		client_lit(&c->cl, "\r\n");
		return;
	}
	client_lit(&c->cl, "250-");
	client_puts(&c->cl, s->cfg.hostname);
	client_lit(&c->cl, "\r\n");
	if (s->cfg.pipelining)
		client_lit(&c->cl, "250-PIPELINING\r\n");
	if (s->tls_offer && s->tls_proto[0] == '\0')
		client_lit(&c->cl, "250-STARTTLS\r\n");
	snprintf(num, sizeof(num), "%lu", s->cfg.size_max);
	client_lit(&c->cl, "250-SIZE ");
	client_puts(&c->cl, num);
	client_lit(&c->cl, "\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
}

static void
do_mail(struct conn *c, const char *arg, size_t n)
{
	struct session *s = &c->s;
	struct held d;
	size_t pos, k, kl, v, vl;
	int r;

	if (s->in_txn) {
		conn_proto(c, "nested_mail", "MAIL");
		s->errors++;
		return;
	}
	if (s->cfg.tls_required && s->tls_proto[0] == '\0') {
		conn_proto(c, "tls_required", "MAIL");
		s->errors++;
		return;
	}
	if (smtp_path(arg, n, "FROM:", s->sender, sizeof(s->sender),
	    &pos) == -1) {
		s->sender[0] = '\0';
		s->sender_len = 0;
		conn_proto(c, "syntax", "MAIL");
		s->errors++;
		return;
	}
	s->sender_len = strlen(s->sender);
	s->size_declared = 0;
	s->body_8bit = 0;
	while ((r = smtp_param(arg, n, &pos, &k, &kl, &v, &vl)) == 1) {
		if (!s->esmtp) {
			conn_proto(c, "param", "MAIL");
			goto bad;
		}
		if (kl == 4 && strncasecmp(arg + k, "SIZE", 4) == 0) {
			if (smtp_size_value(arg + v, vl, &s->size_declared) ==
			    -1) {
				conn_proto(c, "syntax", "MAIL");
				goto bad;
			}
		} else if (kl == 4 && strncasecmp(arg + k, "BODY", 4) == 0) {
			if (vl == 8 && strncasecmp(arg + v, "8BITMIME", 8) == 0)
				s->body_8bit = 1;
			else if (!(vl == 4 && strncasecmp(arg + v, "7BIT", 4)
			    == 0)) {
				conn_proto(c, "param", "MAIL");
				goto bad;
			}
		} else {
			conn_proto(c, "param", "MAIL");
			goto bad;
		}
	}
	if (r == -1) {
		conn_proto(c, "syntax", "MAIL");
		goto bad;
	}
	if (s->held.verdict == VERDICT_PASS &&
	    verdict_run(c, PHASE_MAIL, &d, "MAIL", 0) != VERDICT_PASS &&
	    verdict_early(c, &d, "MAIL")) {
		s->sender[0] = '\0';
		s->sender_len = 0;
		return;
	}
	s->in_txn = 1;
	c->rcpt_tries = 0;
	copystr(c->last_from, sizeof(c->last_from), s->sender, s->sender_len);
	/*
	 * The child hears of the sender with the first recipient that
	 * passes (or not at all); its verdict on the sender is relayed
	 * then, unchanged.  A refusal held from before comes at RCPT.
	 */
	conn_say(c, "mail_ok");
	return;
bad:
	s->errors++;
	s->sender[0] = '\0';
	s->sender_len = 0;
	s->size_declared = 0;
	s->body_8bit = 0;
}

/* The child refused a command of the envelope: one log line. */
static void
log_child_refusal(struct conn *c, const char *cmd, int code)
{
	struct rtext rt;

	snprintf(rt.code, sizeof(rt.code), "%d", code);
	rt.esc[0] = '\0';
	conn_log_refusal(c, code / 100 == 4 ? "defer" : "reject", "child",
	    "-", cmd, 1, NULL, &rt, NULL, 0);
}

/* A recipient refused by a check; a permanent refusal counts for the
 * rate limit on refused recipients. */
static void
rcpt_refuse(struct conn *c, struct held *d)
{
	if (d->verdict == VERDICT_DROP)
		c->s.rcpt_refused++;	/* before the session ends */
	verdict_refuse(c, d, "RCPT");
	if (d->verdict == VERDICT_REJECT)	/* not downgraded */
		c->s.rcpt_refused++;
}

/*
 * A further RCPT (cmd, n bytes, with room for 8 more) to the child, with
 * the client's DATA when data_follows().  0 with the reply, or -1.
 */
static int
rcpt_forward(struct conn *c, char *cmd, size_t n, struct creply *rep)
{
	if (!data_follows(c))
		return child_cmd(&c->ch, cmd, n, rep);
	memcpy(cmd + n, "\r\nDATA\r\n", 8);
	if (child_send(&c->ch, cmd, n + 8) == -1)
		return -1;
	c->ch.data_sent = 1;
	return child_reply(&c->ch, rep);
}

static void
do_rcpt(struct conn *c, const char *arg, size_t n)
{
	struct session *s = &c->s;
	struct creply rep, mrep;
	struct held d;
	char cmd[ADDR_MAX + 24];
	size_t pos, k, kl, v, vl;
	int role, len;

	if (!s->in_txn) {
		conn_proto(c, "need_mail", "RCPT");
		s->errors++;
		return;
	}
	if (smtp_path(arg, n, "TO:", s->rcpt, sizeof(s->rcpt), &pos) == -1) {
		s->rcpt[0] = '\0';
		s->rcpt_len = 0;
		conn_proto(c, "syntax", "RCPT");
		s->errors++;
		return;
	}
	s->rcpt_len = strlen(s->rcpt);
	if (smtp_param(arg, n, &pos, &k, &kl, &v, &vl) != 0) {
		conn_proto(c, "param", "RCPT");
		s->errors++;
		return;
	}
	c->rcpt_tries++;
	s->rcpt_cmds++;
	if (s->rcpts >= s->cfg.rcpt_max) {
		conn_proto_as(c, "rcpt_max", "rcpt_max", "RCPT");
		return;
	}
	/*
	 * Relay control first, for every recipient.  Then postmaster and
	 * abuse, and allowlisted recipients, take mail whatever else was
	 * found.  Otherwise a refusal held from before RCPT wins (it was
	 * found first), then the recipient checks.
	 */
	if (verdict_run(c, PHASE_RCPT, &d, "RCPT", 1) != VERDICT_PASS &&
	    d.verdict != VERDICT_ACCEPT) {
		rcpt_refuse(c, &d);
		return;
	}
	role = addr_is_role(s->rcpt, s->rcpt_len);
	if (!role && verdict_run(c, PHASE_RCPT, &d, "RCPT", 0) != VERDICT_ACCEPT) {
		if (s->held.verdict != VERDICT_PASS) {
			d = s->held;
			rcpt_refuse(c, &d);
			return;
		}
		if (d.verdict != VERDICT_PASS) {
			rcpt_refuse(c, &d);
			return;
		}
	}
	len = (int)cmd_path(cmd, "RCPT TO:", s->rcpt, s->rcpt_len);
	if (!c->mail_fwd) {
		if (forward_mail(c, cmd, (size_t)len, &mrep, &rep) == -1) {
			verdict_reset(c);
			return;
		}
		if (mrep.code / 100 != 2) {
			/* the child refused the sender: say so here */
			data_settle(c);
			conn_relay(c, &mrep);
			log_child_refusal(c, "MAIL", mrep.code);
			return;
		}
	} else if (rcpt_forward(c, cmd, (size_t)len, &rep) == -1) {
		conn_child_failed(c, "rcpt");
		conn_say(c, "child_fail");
		verdict_reset(c);
		return;
	}
	conn_relay(c, &rep);
	if (rep.code / 100 == 2) {
		s->rcpts++;
		s->rcpts_total++;
		if (role)
			s->rcpts_role++;
		verdict_rcpt_accepted(c);
	} else {
		if (rep.code / 100 == 5)
			s->rcpt_refused++;
		log_child_refusal(c, "RCPT", rep.code);
	}
	data_settle(c);
}

/*
 * STARTTLS (RFC 3207): smtpfront-tls takes the client's socket and gives
 * us the plaintext on a socketpair, which becomes our fd 0 and 1: every
 * timeout, limit and delivery path stays as it is.  What the client sent
 * after STARTTLS and before the handshake is dropped unread (CVE-2011-0411:
 * it must never be taken as said inside TLS).  The session then starts
 * over from the greeting: EHLO again, no HELO name, no transaction, and
 * a fresh MTA child that sees the TLS facts in its environment.
 */
static void
do_starttls(struct conn *c, size_t n)
{
	struct session *s = &c->s;
	struct tls_facts f;
	char line[TLS_LINE_MAX], why[TLS_LINE_MAX + 64], prog[PATH_MAX];
	size_t len, dropped;
	int fd, flags, r;

	if (!s->tls_offer) {
		conn_proto(c, "not_impl", "STARTTLS");
		s->errors++;
		return;
	}
	if (s->tls_proto[0] != '\0') {
		conn_proto(c, "tls_active", "STARTTLS");
		s->errors++;
		return;
	}
	if (n > 0) {
		conn_proto(c, "syntax", "STARTTLS");
		s->errors++;
		return;
	}
	if (starttls_program(c->self, prog, sizeof(prog)) == -1) {
		memcpy(why, "program path too long", 22);
		r = -1;
	} else
		r = starttls_start(prog, s->cfg.tls_cert, s->cfg.tls_key,
		    s->cfg.tls_timeout, s->cfg.timeout + s->cfg.child_timeout,
		    &c->tls_pid, &fd, why, sizeof(why));
	if (r == -1) {
		c->tls_pid = 0;
		log_start("tls-fail");
		log_str("reason", why);
		log_end();
		conn_say(c, "tls_unavailable");
		return;
	}
	conn_say(c, "tls_go");
	dropped = client_discard(&c->cl);
	if (client_flush(&c->cl) == -1) {
		close(fd);
		conn_finish(c, EXIT_OK);
	}
	if (dup2(fd, 0) == -1 || dup2(fd, 1) == -1)
		conn_fatal(c, "config", "cannot take the TLS socketpair",
		    strerror(errno));
	close(fd);
	client_init(&c->cl, c->ibuf, 0, 1,
	    s->cfg.tls_timeout + TLS_FACTS_SLACK, c->cl.deadline);
	r = client_line(&c->cl, line, sizeof(line), &len, &flags);
	c->cl.timeout = s->cfg.timeout;
	if (r != CLIENT_OK || starttls_facts(line, len, &f) == -1) {
		log_start("tls-fail");
		if (r == CLIENT_OK && len > 5 && memcmp(line, "fail ", 5) == 0)
			log_strn("reason", line + 5, len - 5);
		else
			log_str("reason", r == CLIENT_OK ? "bad facts line" :
			    "no facts line");
		if (dropped > 0)
			log_ulong("dropped", (unsigned long)dropped);
		log_end();
		conn_verdict(c, "tls-fail", NULL, NULL);
		conn_finish(c, EXIT_OK);
	}
	memcpy(s->tls_proto, f.proto, sizeof(f.proto));
	memcpy(s->tls_cipher, f.cipher, sizeof(f.cipher));
	memcpy(s->tls_bits, f.bits, sizeof(f.bits));
	log_start("tls");
	log_str("proto", s->tls_proto);
	log_str("cipher", s->tls_cipher);
	log_str("bits", s->tls_bits);
	if (dropped > 0)
		log_ulong("dropped", (unsigned long)dropped);
	log_end();
	/* ucspi-ssl's names, for the MTA child */
	if (setenv("SSL_PROTOCOL", s->tls_proto, 1) == -1 ||
	    setenv("SSL_CIPHER", s->tls_cipher, 1) == -1 ||
	    setenv("SSL_CIPHER_USEKEYSIZE", s->tls_bits, 1) == -1)
		conn_fatal(c, "nomem", "out of memory", "SSL_* variables");
	/* RFC 3207 4.2: forget all that was said in plain text */
	if (s->in_txn)
		verdict_reset(c);
	if (c->ch.pid != 0)
		child_stop(&c->ch);
	c->mail_fwd = 0;
	if (s->held.verdict != VERDICT_PASS && s->held.phase == PHASE_HELO)
		memset(&s->held, 0, sizeof(s->held));
	verdict_back(c, PHASE_CONNECT);
	s->helo_seen = 0;
	s->esmtp = 0;
	s->helo[0] = '\0';
	s->pipelined[0] = '\0';
}

/*
 * STARTTLS is offered when tls_cert and tls_key are set and readable;
 * otherwise a warning says why not.  Nothing is read here: smtpfront-tls
 * loads them when a client asks.
 */
static void
tls_setup(struct session *s)
{
	char why[2 * HOSTNAME_MAX + 64];

	if (s->cfg.tls_cert[0] == '\0' && s->cfg.tls_key[0] == '\0')
		return;
	if (s->cfg.tls_cert[0] == '\0' || s->cfg.tls_key[0] == '\0') {
		log_warning("STARTTLS not offered",
		    "tls_cert and tls_key must both be set");
		return;
	}
	if (access(s->cfg.tls_cert, R_OK) == -1) {
		snprintf(why, sizeof(why), "tls_cert %s: %s", s->cfg.tls_cert,
		    strerror(errno));
		log_warning("STARTTLS not offered", why);
		return;
	}
	if (access(s->cfg.tls_key, R_OK) == -1) {
		snprintf(why, sizeof(why), "tls_key %s: %s", s->cfg.tls_key,
		    strerror(errno));
		log_warning("STARTTLS not offered", why);
		return;
	}
	s->tls_offer = 1;
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
	s->env_relayclient = env_val[E_RELAYCLIENT] != NULL;
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

/*
 * A client trusted at the checks' start (RELAYCLIENT from tcprules, the
 * qmail habit, or a trust rule) or at connect (trust_name, once the DNS
 * verified its name) may relay: the child is told so, as tcprules would.
 * With trust_exec it is handed to the MTA child right here: no filtering
 * cost at all.  Called after the checks' start and, when nothing was
 * decided there, after the connect phase.
 */
static void
trusted(struct conn *c)
{
	struct session *s = &c->s;

	if (!s->trusted)
		return;
	if (!s->env_relayclient)
		setenv("RELAYCLIENT", "", 1);
	/* a TCP child is no program to hand the client to, nor is one
	 * whose first bytes we already read (a talker in the greet delay) */
	if (!s->cfg.trust_exec || c->dry ||
	    strncmp(c->argv[0], CHILD_TCP, sizeof(CHILD_TCP) - 1) == 0 ||
	    client_pending(&c->cl) > 0)
		return;
	log_start("exec");
	log_str("rule", s->trust_rule);
	log_str("child", c->argv[0]);
	log_end();
	client_flush(&c->cl);
	client_block(&c->cl);
	execvp(c->argv[0], c->argv);
	conn_fatal(c, "child_start", "cannot exec the MTA child",
	    strerror(errno));
}

/*
 * The greet delay (or a longer wait a check asks for): wait before the
 * greeting (after a first 220- line with greet_split) and note a client
 * that talks meanwhile.  poll(2) sleeps: a waiting connection costs no
 * CPU.  Trusted clients are not delayed.  1 when a "220-" line was sent.
 */
static int
greet(struct conn *c)
{
	struct session *s = &c->s;
	unsigned long ms, w;
	int r;

	ms = s->trusted ? 0 : s->cfg.greet_delay * 1000;
	if ((w = verdict_wait(c, PHASE_CONNECT)) > ms)
		ms = w;
	if (ms == 0)
		return 0;
	if (s->cfg.greet_split) {
		conn_banner(c, '-');
		client_flush(&c->cl);
	}
	if (conn_wait(c, ms)) {
		/* a client that left meanwhile did not talk: it is gone */
		r = client_fill(&c->cl);
		if (r == CLIENT_EOF || r == CLIENT_ERROR)
			conn_gone(c, "greeting");
		s->early_greet = 1;
	}
	return s->cfg.greet_split;
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

static void
usage(void)
{
	static const char msg[] =
	    "usage: smtpfront [-r rules.cdb] program [args...]\n"
	    "       smtpfront -n [-r rules.cdb] IP HELO SENDER RECIPIENT\n"
	    "       smtpfront -t [-r rules.cdb] program [args...]\n";
	ssize_t w = write(2, msg, sizeof(msg) - 1);

	(void)w;
	_exit(EXIT_USAGE);
}

static void
command(struct conn *c, const char *line, size_t len, int flags)
{
	struct session *s = &c->s;
	size_t arg;
	enum smtp_verb verb;

	if (flags & LINE_NUL) {
		conn_proto(c, "nul", "-");
		s->errors++;
		return;
	}
	if (flags & LINE_BARELF) {
		conn_proto(c, "bare_lf", "-");
		s->errors++;
		return;
	}
	if (flags & (LINE_8BIT | LINE_CR)) {
		conn_proto(c, flags & LINE_8BIT ? "eightbit" : "syntax", "-");
		s->errors++;
		return;
	}
	verb = smtp_verb(line, len, &arg);
	if (verb != SMTP_UNKNOWN && must_wait(s, verb))
		conn_sent_ahead(c, smtp_verb_name(verb));
	conn_tarpit(c);
	switch (verb) {
	case SMTP_HELO:
		do_helo(c, line + arg, len - arg, 0);
		break;
	case SMTP_EHLO:
		do_helo(c, line + arg, len - arg, 1);
		break;
	case SMTP_MAIL:
		do_mail(c, line + arg, len - arg);
		break;
	case SMTP_RCPT:
		do_rcpt(c, line + arg, len - arg);
		break;
	case SMTP_DATA:
		data_cmd(c, len - arg);
		break;
	case SMTP_RSET:
		verdict_reset(c);
		conn_say(c, "ok");
		break;
	case SMTP_NOOP:
		conn_say(c, "ok");
		break;
	case SMTP_VRFY:
		conn_say(c, "vrfy");
		break;
	case SMTP_HELP:
		conn_say(c, "help");
		break;
	case SMTP_QUIT:
		conn_say(c, "quit");
		client_flush(&c->cl);
		conn_finish(c, EXIT_OK);
		/* NOTREACHED */
	case SMTP_STARTTLS:
		do_starttls(c, len - arg);
		break;
	case SMTP_EXPN:
	case SMTP_AUTH:
	case SMTP_BDAT:
	case SMTP_ETRN:
	case SMTP_TURN:
		conn_proto(c, "not_impl", smtp_verb_name(verb));
		s->errors++;
		break;
	case SMTP_UNKNOWN:
	default:
		conn_proto(c, "unknown", "-");
		s->errors++;
		break;
	}
	/* DATA went to the child early, and no message followed it */
	if (c->child_tried && c->ch.data_sent && verb != SMTP_RCPT) {
		child_kill(&c->ch);
		c->mail_fwd = 0;
	}
}

int
main(int argc, char **argv)
{
	struct conn *c = &conn;
	struct session *s = &c->s;
	const char *rules_path = NULL;
	char line[LINE_MAX_SMTP];
	char err[256];
	struct held d;
	size_t len;
	int i, r, flags, split;

	signal(SIGPIPE, SIG_IGN);
	log_guard();
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0) {
			c->dry = 1;
			continue;
		}
		if (strcmp(argv[i], "-t") == 0) {
			c->test = 1;
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
	if (i >= argc || (c->dry && argc - i != 4) || (c->dry && c->test))
		usage();
	c->argv = argv + i;
	c->self = argv[0] != NULL ? argv[0] : "smtpfront";
	spf_setup(c->self);
	scan_setup(c->self);
	dkim_setup(c->self);
	if (c->dry) {
		/* the dry run's client is the IP given, not the socket */
		unsetenv("TCPREMOTEIP");
		unsetenv("REMOTE_ADDR");
		setenv("TCPREMOTEIP", argv[i], 1);
		close(0);
	}
	gettimeofday(&c->t0, NULL);
	s->start = time(NULL);

	env_scan();
	client_facts(s);
	log_init(s->remote_ip);
	/* the client may be on one socket for both directions */
	client_init(&c->cl, c->ibuf, 0, 1, 300, s->start + 3600);
	if (getuid() == 0 || geteuid() == 0)
		log_warning("running as root; "
		    "run smtpfront as an unprivileged user", NULL);

	if (rules_path == NULL)
		rules_path = env_val[E_RULES];
	if (rules_path == NULL || rules_path[0] == '\0')
		rules_path = RULES_DEFAULT;
	if (c->test)
		configtest(c, rules_path);
	s->rules = rules_open(rules_path);
	if (s->rules == NULL && errno == ENOENT)
		s->rules = rules_open_none();
	if (s->rules == NULL) {
		char why[300];

		snprintf(why, sizeof(why), "%s: %s", rules_path,
		    errno == EINVAL ? "not a smtpfront rules database" :
		    strerror(errno));
		s->rules = rules_open_none();
		conn_fatal(c, "config", "cannot read rules database", why);
	}
	if (rules_config(s->rules, &s->cfg, err, sizeof(err)) == -1)
		conn_fatal(c, "config", "bad setting", err);
	resolver_setup(s->cfg.dns_timeout * 1000, s->cfg.dns_budget * 1000);
	store_setup(s->cfg.store, s->cfg.store_size, s->cfg.store_timeout);
	if (s->cfg.hostname[0] == '\0') {
		if (s->local_host[0] != '\0')
			copystr(s->cfg.hostname, sizeof(s->cfg.hostname),
			    s->local_host, strlen(s->local_host));
		else if (gethostname(s->cfg.hostname,
		    sizeof(s->cfg.hostname) - 1) == -1)
			memcpy(s->cfg.hostname, "localhost", 10);
	}
	if (verdict_init(c) == -1)
		conn_fatal(c, "nomem", "out of memory", "checks' state");
	if (c->dry)
		dryrun(c, c->argv);
	c->cl.timeout = s->cfg.timeout;
	c->cl.deadline = s->start + (time_t)s->cfg.session_timeout;
	tls_setup(s);

	log_start("connect");
	log_str("ip", s->remote_ip);
	if (s->remote_port[0])
		log_str("port", s->remote_port);
	if (s->remote_host[0])
		log_str("host", s->remote_host);
	log_end();

	/* a verdict at the checks' start counts as one found at connect */
	r = verdict_start(c, &d);
	trusted(c);
	/* a refusal at start that is not held (closed) wants no delay */
	split = r != VERDICT_PASS && r != VERDICT_ACCEPT &&
	    d.phase >= PHASE_RCPT ? 0 : greet(c);
	if (r == VERDICT_PASS) {
		r = verdict_run(c, PHASE_CONNECT, &d, "CONNECT", 0);
		trusted(c);	/* trust_name: trusted now, not at start */
	}
	verdict_keep(c, PHASE_CONNECT);
	if (r != VERDICT_PASS && split && (d.verdict == VERDICT_DROP ||
	    !s->cfg.delay_reject)) {
		/*
		 * After a "220-" line a refusal cannot follow as the end of
		 * the same reply (its lines share one code): end the
		 * greeting, refuse the first command instead, and close, as
		 * a refusal at connect that is not held does.
		 */
		conn_banner(c, ' ');
		r = client_line(&c->cl, line, sizeof(line), &len, &flags);
		if (r == CLIENT_OK || r == CLIENT_TOOLONG)
			verdict_refuse(c, &d, "-");
		else
			conn_log_refusal(c, verdict_name((enum verdict)
			    d.verdict), d.check, d.rule, "-", 1, NULL, NULL,
			    d.reason, 0);
		conn_finish(c, EXIT_OK);
	} else if (r != VERDICT_PASS && verdict_early(c, &d, "CONNECT")) {
		/* a refusal at connect without delay_reject closes */
		conn_finish(c, EXIT_OK);
	} else
		conn_banner(c, ' ');

	for (;;) {
		r = client_line(&c->cl, line, sizeof(line), &len, &flags);
		switch (r) {
		case CLIENT_OK:
			command(c, line, len, flags);
			break;
		case CLIENT_TOOLONG:
			conn_proto(c, "line_long", "-");
			s->errors++;
			break;
		case CLIENT_TIMEOUT:
			conn_close(c, "timeout", "timeout", "idle");
			break;
		case CLIENT_CEILING:
			conn_close(c, "session_timeout", "timeout",
			    "session ceiling");
			break;
		case CLIENT_EOF:
		case CLIENT_ERROR:
		default:
			if (s->verdict[0] == '\0' && s->msgs == 0)
				conn_verdict(c, "disconnect", NULL, NULL);
			conn_finish(c, EXIT_OK);
		}
		if (c->cl.failed)
			conn_finish(c, EXIT_OK);
		if (s->errors >= s->cfg.errors_max)
			conn_close(c, "errors_max", "drop", "too many errors");
	}
}
