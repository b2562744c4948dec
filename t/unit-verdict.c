/*
 * t/unit-verdict.c: the check runner (verdict.c) with a check list of its
 * own: per-check state, the hooks (start, wait, body, accepted, reset,
 * end), results and added header lines (kept per session or per
 * transaction, bounded, made printable), the spool request, the action
 * of a check (off: never called; warn: noted, not refused), the
 * downgrade rule, and the reply and log line of a refusal.  Prints TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "check.h"
#include "conn.h"
#include "log.h"
#include "rules.h"
#include "verdict.h"

static struct conn conn;

static int starts, resets, accepts, ends, offcalls;
static unsigned long long bodybytes;
static const char *header_next;	/* what the header check adds next */

struct count {
	int	n;
};

static enum verdict
st_start(const struct session *s, struct check_hit *hit)
{
	struct count *st = hit->state;

	(void)s;
	starts++;
	st->n = 100;
	return VERDICT_PASS;
}

static enum verdict
st_rcpt(const struct session *s, struct check_hit *hit)
{
	struct count *st = hit->state;

	(void)s;
	st->n++;
	snprintf(hit->result, sizeof(hit->result), "n=%d", st->n);
	return VERDICT_PASS;
}

static unsigned long
st_wait(const struct session *s, void *state, enum phase ph)
{
	(void)s;
	(void)state;
	return ph == PHASE_DATA ? 1500 : 0;
}

static void
st_body(const struct session *s, void *state, const char *p, size_t n)
{
	(void)s;
	(void)state;
	(void)p;
	bodybytes += n;
}

static void
st_accepted(const struct session *s, void *state)
{
	(void)s;
	(void)state;
	accepts++;
}

static void
st_reset(const struct session *s, void *state)
{
	struct count *st = state;

	(void)s;
	resets++;
	st->n += 1000;
}

static void
st_end(const struct session *s, void *state)
{
	(void)s;
	(void)state;
	ends++;
}

static const struct check_hooks st_hooks = {
	.start = st_start,
	.wait = st_wait,
	.body = st_body,
	.accepted = st_accepted,
	.reset = st_reset,
	.end = st_end,
};

static const struct check c_state = {
	.name = "c_state",
	.reply = "reject",
	.action_off = CHECK_ALWAYS,
	.state_size = sizeof(struct count),
	.phase[PHASE_RCPT] = st_rcpt,
	.hooks = &st_hooks,
};

/* adds header_next at HELO and MAIL; asks for the spool at MAIL */
static enum verdict
hd_any(const struct session *s, struct check_hit *hit)
{
	(void)s;
	if (header_next != NULL)
		snprintf(hit->header, sizeof(hit->header), "%s", header_next);
	hit->spool = 1;
	return VERDICT_PASS;
}

static const struct check c_header = {
	.name = "c_header",
	.reply = "reject",
	.action_off = CHECK_ALWAYS,
	.phase[PHASE_HELO] = hd_any,
	.phase[PHASE_MAIL] = hd_any,
};

/* a check whose action is off: never called, not even its hooks */
static enum verdict
off_any(const struct session *s, struct check_hit *hit)
{
	(void)s;
	(void)hit;
	offcalls++;
	return VERDICT_REJECT;
}

static void
off_hook(const struct session *s, void *state)
{
	(void)s;
	(void)state;
	offcalls++;
}

static const struct check_hooks off_hooks = {
	.start = off_any,
	.reset = off_hook,
	.end = off_hook,
};

static const struct check c_off = {
	.name = "c_off",
	.reply = "reject",
	.action_off = offsetof(struct config, helo_fqdn_action),
	.phase[PHASE_HELO] = off_any,
	.phase[PHASE_RCPT] = off_any,
	.hooks = &off_hooks,
};

/* a hit at MAIL under the action of helo_list_action (warn, reject) */
static enum verdict
hit_mail(const struct session *s, struct check_hit *hit)
{
	if (strcmp(s->sender, "bad@example.org") != 0)
		return VERDICT_PASS;
	snprintf(hit->reason, sizeof(hit->reason), "bad sender");
	snprintf(hit->rule, sizeof(hit->rule), "t.rules:7");
	return VERDICT_REJECT;
}

/* a lookup that fails (fails open) for the sender fail@example.org */
static enum verdict
fail_mail(const struct session *s, struct check_hit *hit)
{
	if (strcmp(s->sender, "fail@example.org") == 0) {
		hit->lookup_failed = 1;
		snprintf(hit->reason, sizeof(hit->reason), "lookup failed");
	}
	return VERDICT_PASS;
}

static const struct check c_hit = {
	.name = "c_hit",
	.reply = "reject",
	.action_off = offsetof(struct config, helo_list_action),
	.phase[PHASE_MAIL] = hit_mail,
};

static const struct check c_fail = {
	.name = "c_fail",
	.reply = "reject",
	.action_off = CHECK_ALWAYS,
	.phase[PHASE_MAIL] = fail_mail,
};

static const struct check *const list[] = {
	&c_off, &c_fail, &c_state, &c_header, &c_hit, NULL
};

static int cl_rd = -1;

/* What smtpfront wrote to the client since the last call. */
static const char *
client_out(void)
{
	static char buf[4096];
	ssize_t n;

	client_flush(&conn.cl);
	n = read(cl_rd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
setup(void)
{
	struct session *s = &conn.s;
	char err[256];
	int p[2];

	if (pipe(p) == -1)
		exit(1);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	cl_rd = p[0];
	client_init(&conn.cl, conn.ibuf, -1, p[1], 10, time(NULL) + 60);
	memcpy(s->remote_ip, "192.0.2.1", 10);
	log_init(s->remote_ip);
	s->rules = rules_open_none();
	if (rules_config(s->rules, &s->cfg, err, sizeof(err)) == -1)
		exit(1);
	s->cfg.helo_fqdn_action = ACTION_OFF;
	s->cfg.helo_list_action = ACTION_WARN;
	conn.checks = list;
}

int
main(void)
{
	struct session *s = &conn.s;
	struct held d;
	char buf[PREFIX_MAX];
	const char *r;
	size_t n;
	char big[HEADER_LINE_MAX + 20];
	int i;

	setup();
	ok(verdict_init(&conn) == 0, "init");
	ok(conn.state != NULL, "init: state for the check that has some");
	ok(verdict_start(&conn, &d) == VERDICT_PASS && starts == 1,
	    "start: the start hook ran once");
	ok(verdict_wait(&conn, PHASE_CONNECT) == 0 &&
	    verdict_wait(&conn, PHASE_DATA) == 1500,
	    "wait: what the check asks for, per phase");
	ok(conn.body == 1, "init: a check reads the body");

	/* HELO: a session header, kept by RSET */
	header_next = "X-Session: one";
	ok(verdict_run(&conn, PHASE_HELO, &d, "EHLO", 0) == VERDICT_PASS,
	    "helo: pass");
	verdict_keep(&conn, PHASE_HELO);
	ok(s->spool_session == 1 && s->spool_txn == 0,
	    "helo: the spool asked for the session");

	/* MAIL: a transaction header, a warn hit, results */
	memcpy(s->sender, "bad@example.org", 16);
	s->in_txn = 1;
	header_next = "X-Txn: two\r\nInjected: yes";
	ok(verdict_run(&conn, PHASE_MAIL, &d, "MAIL", 0) == VERDICT_PASS,
	    "mail: a warn-mode hit does not refuse");
	ok(s->nwarns == 1 && strcmp(s->warns[0], "c_hit") == 0,
	    "mail: the warn hit is noted");
	ok(s->spool_txn == 1, "mail: the spool asked for the transaction");
	ok(verdict_run(&conn, PHASE_RCPT, &d, "RCPT", 0) == VERDICT_PASS &&
	    verdict_run(&conn, PHASE_RCPT, &d, "RCPT", 0) == VERDICT_PASS,
	    "rcpt: two recipients pass");
	r = check_result(s, "c_state");
	ok(r != NULL && strcmp(r, "n=102") == 0,
	    "state kept from start (100) over two RCPTs; result left: %s",
	    r ? r : "(none)");
	ok(check_result(s, "c_nothing") == NULL, "no result: NULL");
	n = verdict_headers(&conn, buf, sizeof(buf));
	buf[n] = '\0';
	ok(strcmp(buf, "X-Smtpfront-Warn: c_hit\r\nX-Session: one\r\n"
	    "X-Txn: two?\r\n\tInjected: yes\r\n") == 0,
	    "headers: warn header, then the checks' lines; a CR made '?', an "
	    "LF folds the line (nothing injected): %s",
	    show(buf, n));
	verdict_body(&conn, "abc\r\n", 5);
	verdict_body(&conn, "de", 2);
	ok(bodybytes == 7, "body: every byte, in pieces");
	verdict_accepted(&conn);
	ok(accepts == 1, "accepted: the hook ran");

	/* the end of the transaction */
	verdict_reset(&conn);
	ok(resets == 1, "reset: the hook ran");
	ok(s->in_txn == 0 && s->spool_txn == 0 && s->spool_session == 1,
	    "reset: the transaction's spool request gone, the session's kept");
	ok(s->nwarns == 0 && check_result(s, "c_state") == NULL,
	    "reset: the transaction's warn hits and results gone");
	n = verdict_headers(&conn, buf, sizeof(buf));
	buf[n] = '\0';
	ok(strcmp(buf, "X-Session: one\r\n") == 0,
	    "reset: the session's header kept, the transaction's gone");

	/* header lines that are refused, and the bound on them all */
	s->in_txn = 1;
	memcpy(s->sender, "a@example.org", 14);
	header_next = "no colon here";
	verdict_run(&conn, PHASE_MAIL, &d, "MAIL", 0);
	header_next = ": no name";
	verdict_run(&conn, PHASE_MAIL, &d, "MAIL", 0);
	ok(s->hlen == strlen("X-Session: one\r\n"),
	    "headers: a line with no name is not added");
	/* a line as long as a hit holds is added whole */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "X-Big: ", 7);
	header_next = big;
	verdict_run(&conn, PHASE_MAIL, &d, "MAIL", 0);
	ok(s->hlen == strlen("X-Session: one\r\n") + HEADER_LINE_MAX + 2,
	    "headers: a line cut to HEADER_LINE_MAX by the hit is added");
	header_next = "X-Fill: 0123456789012345678901234567890123456789";
	for (i = 0; i < 100; i++)
		verdict_run(&conn, PHASE_MAIL, &d, "MAIL", 0);
	ok(s->hlen <= sizeof(s->headers) && s->hlen > sizeof(s->headers) - 60,
	    "headers: added up to their bound, no further (%zu)", s->hlen);
	verdict_reset(&conn);
	header_next = NULL;

	/* the action: reject now; a failed lookup downgrades it */
	s->cfg.helo_list_action = ACTION_REJECT;
	s->cfg.delay_reject = 0;
	s->in_txn = 1;
	memcpy(s->sender, "bad@example.org", 16);
	ok(verdict_run(&conn, PHASE_MAIL, &d, "MAIL", 0) == VERDICT_REJECT &&
	    strcmp(d.check, "c_hit") == 0 && strcmp(d.rule, "t.rules:7") == 0,
	    "mail: the hit under reject: c_hit, rule t.rules:7");
	(void)client_out();
	ok(verdict_early(&conn, &d, "MAIL") == 1, "refused at once");
	r = client_out();
	ok(strcmp(r, "550 5.7.1 Refused by policy\r\n") == 0,
	    "the reply: %s", show(r, strlen(r)));
	ok(strcmp(s->verdict, "reject") == 0 &&
	    strcmp(s->verdict_rule, "c_hit:t.rules:7") == 0,
	    "the summary's verdict and rule: %s %s", s->verdict,
	    s->verdict_rule);
	verdict_reset(&conn);
	s->in_txn = 1;
	memcpy(s->sender, "fail@example.org", 17);
	ok(verdict_run(&conn, PHASE_MAIL, &d, "MAIL", 0) == VERDICT_PASS &&
	    s->lookup_failed == 1, "a failed lookup that fails open passes");
	memcpy(s->sender, "bad@example.org", 16);
	verdict_run(&conn, PHASE_MAIL, &d, "MAIL", 0);
	(void)verdict_early(&conn, &d, "MAIL");
	r = client_out();
	ok(strcmp(r, "450 4.7.1 Refused by policy\r\n") == 0,
	    "downgraded after the failed lookup: %s", show(r, strlen(r)));
	ok(strcmp(s->verdict, "defer") == 0, "the summary says defer");
	verdict_reset(&conn);

	ok(offcalls == 0, "a check that is off: never called, no hook");
	verdict_end(&conn);
	ok(ends == 1 && conn.state == NULL, "end: the hook ran, state freed");
	return done();
}
