/*
 * checks/bounce_bogus.c: a bounce (null sender <>) to one of our users
 * must be about mail we sent: the message it returns, in its body,
 * carries a Received: line that one of our hosts wrote ("by HOST"), or
 * a Message-ID: of one of our hosts ("<...@HOST>").  A bounce without
 * either is backscatter: spam sent with one of our addresses forged as
 * its sender, bounced to us by a third party.  Our hosts are the
 * hostname setting and the list ours (".example.org" there covers every
 * host under example.org).  postmaster and abuse keep their exemption: a message to
 * either is never refused here.
 *
 * Phases: body (reads the lines after the bounce's own header section,
 *     one at a time, bounded; continuation lines of a Received: field
 *     are read with it), eod (the verdict); reset.
 * Inputs: setting bounce_bogus_action (default off), hostname; list
 *     ours; s->rcpts_role; reply bounce_bogus (550 5.7.1).
 * Verdicts: pass, or reject for a null-sender message to no role
 *     address whose body names none of our hosts in a Received: or
 *     Message-ID: line.
 * Failure: a rules lookup that fails counts as a host of ours (fails
 *     open, with the downgrade rule).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "check.h"
#include "match.h"

#define LINE_MAX_BB	1000	/* RFC 5321's line, 998 and CRLF */
#define HOST_MAX	255

enum field { F_NONE, F_RECEIVED, F_MSGID };

struct state {
	int		 body;		/* past the bounce's own header */
	int		 found;		/* one of our hosts seen */
	int		 failed;	/* a lookup failed */
	enum field	 field;		/* the field the last line was in */
	int		 by;		/* "by" ended the last line */
	size_t		 len;
	int		 cut;		/* the line was longer than the buffer */
	char		 line[LINE_MAX_BB];
	char		 rule[RULE_MAX + 1];
};

static int
ours(const struct session *s, struct state *st, const char *h, size_t n)
{
	char host[HOST_MAX + 1];
	size_t i;
	int r;

	while (n > 0 && h[n - 1] == '.')
		n--;
	if (n == 0 || n > HOST_MAX)
		return 0;
	for (i = 0; i < n; i++)
		host[i] = (char)(h[i] >= 'A' && h[i] <= 'Z' ? h[i] - 'A' + 'a' :
		    h[i]);
	host[n] = '\0';
	if (s->cfg.hostname[0] != '\0' && strcasecmp(host, s->cfg.hostname)
	    == 0)
		return 1;
	r = match_domain(s->rules, "ours", host, n, st->rule,
	    sizeof(st->rule));
	if (r == -1)
		st->failed = 1;
	return r != 0;
}

static int
hostchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* "by HOST" in a Received: field's text. */
static void
received(const struct session *s, struct state *st, const char *p,
    size_t n)
{
	size_t i = 0, j;

	if (st->by) {
		/* "by" ended the line before: the host begins this one */
		st->by = 0;
		for (; i < n && (p[i] == ' ' || p[i] == '\t'); i++)
			;
		for (j = i; j < n && hostchar(p[j]); j++)
			;
		if (j > i && ours(s, st, p + i, j - i))
			st->found = 1;
		return;
	}
	for (; i + 2 <= n; i++) {
		if ((p[i] != 'b' && p[i] != 'B') || (p[i + 1] != 'y' &&
		    p[i + 1] != 'Y') || (i + 2 < n && p[i + 2] != ' ' &&
		    p[i + 2] != '\t') || (i > 0 && p[i - 1] != ' ' &&
		    p[i - 1] != '\t' && p[i - 1] != ')' && p[i - 1] != ';'))
			continue;
		for (i += 2; i < n && (p[i] == ' ' || p[i] == '\t'); i++)
			;
		if (i == n) {
			st->by = 1;	/* the host is on the next line */
			return;
		}
		for (j = i; j < n && hostchar(p[j]); j++)
			;
		if (j > i && ours(s, st, p + i, j - i))
			st->found = 1;
		return;
	}
}

/* "<...@HOST>" in a Message-ID: field's text. */
static void
msgid(const struct session *s, struct state *st, const char *p, size_t n)
{
	const char *at = memchr(p, '@', n), *e;

	if (at == NULL)
		return;
	at++;
	for (e = at; e < p + n && hostchar(*e); e++)
		;
	if (e > at && ours(s, st, at, (size_t)(e - at)))
		st->found = 1;
}

/* One line of the body, without its CRLF (cut at the buffer). */
static void
line(const struct session *s, struct state *st)
{
	const char *p = st->line;
	size_t n = st->len;

	if (!st->body) {
		if (n == 0)
			st->body = 1;
		return;
	}
	if (n > 0 && (p[0] == ' ' || p[0] == '\t')) {
		/* a continuation of the field before */
		if (st->field == F_RECEIVED)
			received(s, st, p, n);
		else if (st->field == F_MSGID)
			msgid(s, st, p, n);
		return;
	}
	st->field = F_NONE;
	st->by = 0;
	if (n >= 9 && strncasecmp(p, "received:", 9) == 0) {
		st->field = F_RECEIVED;
		received(s, st, p + 9, n - 9);
	} else if (n >= 11 && strncasecmp(p, "message-id:", 11) == 0) {
		st->field = F_MSGID;
		msgid(s, st, p + 11, n - 11);
	}
}

static void
bounce_bogus_body(const struct session *s, void *state, const char *buf,
    size_t n)
{
	struct state *st = state;
	size_t i;

	if (s->sender[0] != '\0' || st->found)
		return;
	for (i = 0; i < n && !st->found; i++) {
		if (buf[i] == '\n') {
			if (st->len > 0 && st->line[st->len - 1] == '\r')
				st->len--;
			line(s, st);
			st->len = 0;
			st->cut = 0;
			continue;
		}
		if (st->len < sizeof(st->line))
			st->line[st->len++] = buf[i];
		else
			st->cut = 1;
	}
}

static enum verdict
bounce_bogus_eod(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;

	if (s->sender[0] != '\0' || s->rcpts_role > 0 || st->found)
		return VERDICT_PASS;
	if (st->failed) {
		hit->lookup_failed = 1;
		return VERDICT_PASS;
	}
	(void)snprintf(hit->reason, sizeof(hit->reason), "a bounce that "
	    "names none of our hosts in a Received: or Message-ID: line");
	return VERDICT_REJECT;
}

static void
bounce_bogus_reset(const struct session *s, void *state)
{
	struct state *st = state;

	(void)s;
	st->body = st->found = st->failed = st->cut = st->by = 0;
	st->field = F_NONE;
	st->len = 0;
}

static const struct check_hooks bounce_bogus_hooks = {
	.body = bounce_bogus_body,
	.reset = bounce_bogus_reset,
};

const struct check check_bounce_bogus = {
	.name = "bounce_bogus",
	.reply = "bounce_bogus",
	.action_off = offsetof(struct config, bounce_bogus_action),
	.state_size = sizeof(struct state),
	.phase[PHASE_EOD] = bounce_bogus_eod,
	.hooks = &bounce_bogus_hooks,
};
