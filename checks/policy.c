/*
 * checks/policy.c: a policy server asked at each RCPT, as Postfix's
 * check_policy_service asks it (SMTPD_POLICY_README): the request's
 * attributes name the client, the HELO name, the sender and the
 * recipient, and the server's action decides.  postgrey, policyd-spf
 * and the like work unchanged behind tcpserver.
 *
 * Actions: OK, DUNNO and DEFER_IF_REJECT pass; REJECT [text] and 5NN
 * [text] reject; DEFER [text], DEFER_IF_PERMIT [text] and 4NN [text]
 * defer; WARN text warns; PREPEND header adds the header line to the
 * message.  The server's text is the reply's text (printable, cut); the
 * code is smtpfront's reply policy (550 5.7.1, 450 4.7.1 deferred): the
 * class of the server's code decides.  Anything else (HOLD, DISCARD,
 * FILTER, REDIRECT, ...) passes with a warning: smtpfront does not
 * queue mail.
 *
 * Phases: ask before rcpt (the request goes out; the core waits for its
 *     answer, policy_timeout); rcpt (the verdict, last of the rcpt
 *     checks); end (the connection closed).
 * Inputs: settings policy_action (default off), policy_server
 *     (inet:HOST:PORT or unix:/PATH), policy_timeout (10 s),
 *     policy_tempfail_action (defer); the client's facts, HELO, sender,
 *     recipient, TLS facts, the fcrdns result; replies policy (550
 *     5.7.1), policy_tempfail (451 4.3.0).
 * Verdicts: by the action (above).
 * Failure: a server that is down, too slow or answers garbage: a warning
 *     and policy_tempfail_action (defer by default: the sender retries;
 *     off: pass).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "check.h"
#include "policy.h"

struct state {
	int		 q1;		/* the query + 1; 0: none pending */
	char		 why[REASON_MAX + 1];
};

static void __attribute__((format(printf, 3, 4)))
say(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* name=value, the value made a safe line; 0, or -1 when it is full. */
static int
attr(char *buf, size_t size, size_t *len, const char *name, const char *v)
{
	size_t n = strlen(name), i;

	if (*len + n + 2 + strlen(v) + 1 > size)
		return -1;
	memcpy(buf + *len, name, n);
	*len += n;
	buf[(*len)++] = '=';
	for (i = 0; v[i] != '\0'; i++)
		buf[(*len)++] = (unsigned char)v[i] < 32 ||
		    (unsigned char)v[i] == 127 ? '?' : v[i];
	buf[(*len)++] = '\n';
	return 0;
}

static void
policy_ask_rcpt(const struct session *s, void *state)
{
	struct state *st = state;
	char req[POLICY_REQUEST_MAX], num[64], inst[64];
	const char *name = check_result(s, "fcrdns");
	size_t len = 0;
	int bad = 0;

	/* an answer never read (the RCPT was refused before this check):
	 * a new connection, so that it is never taken for the next one */
	if (st->q1 != 0)
		policy_end();
	st->q1 = 0;
	st->why[0] = '\0';
	/* accepted clients and senders run no RCPT check: nothing to ask */
	if (s->session_accept || s->txn_accept)
		return;
	if (s->cfg.policy_server[0] == '\0') {
		say(st->why, sizeof(st->why), "no policy_server set");
		return;
	}
	if (name == NULL || name[0] == '\0')
		name = s->remote_host[0] != '\0' ? s->remote_host : "unknown";
	say(inst, sizeof(inst), "%lx.%llx.%lu", (unsigned long)getpid(),
	    (unsigned long long)s->start, s->msgs);
	bad |= attr(req, sizeof(req), &len, "request", "smtpd_access_policy");
	bad |= attr(req, sizeof(req), &len, "protocol_state", "RCPT");
	bad |= attr(req, sizeof(req), &len, "protocol_name",
	    s->esmtp ? "ESMTP" : "SMTP");
	bad |= attr(req, sizeof(req), &len, "client_address", s->remote_ip);
	bad |= attr(req, sizeof(req), &len, "client_name", name);
	bad |= attr(req, sizeof(req), &len, "reverse_client_name", name);
	bad |= attr(req, sizeof(req), &len, "helo_name", s->helo);
	bad |= attr(req, sizeof(req), &len, "sender", s->sender);
	bad |= attr(req, sizeof(req), &len, "recipient", s->rcpt);
	say(num, sizeof(num), "%lu", s->rcpts);
	bad |= attr(req, sizeof(req), &len, "recipient_count", num);
	bad |= attr(req, sizeof(req), &len, "queue_id", "");
	bad |= attr(req, sizeof(req), &len, "instance", inst);
	say(num, sizeof(num), "%lu", s->size_declared);
	bad |= attr(req, sizeof(req), &len, "size", num);
	bad |= attr(req, sizeof(req), &len, "encryption_protocol",
	    s->tls_proto);
	bad |= attr(req, sizeof(req), &len, "encryption_cipher",
	    s->tls_cipher);
	bad |= attr(req, sizeof(req), &len, "encryption_keysize",
	    s->tls_bits[0] != '\0' ? s->tls_bits : "0");
	bad |= attr(req, sizeof(req), &len, "client_port", s->remote_port);
	bad |= attr(req, sizeof(req), &len, "server_address", s->local_ip);
	bad |= attr(req, sizeof(req), &len, "server_port", s->local_port);
	if (bad) {
		say(st->why, sizeof(st->why), "request too long");
		return;
	}
	st->q1 = policy_ask(s->cfg.policy_server, req, len, PHASE_RCPT,
	    s->cfg.policy_timeout, st->why, sizeof(st->why)) + 1;
}

static enum verdict
failed(const struct session *s, struct check_hit *hit, const char *why)
{
	say(hit->failed, sizeof(hit->failed), "%s %s", s->cfg.policy_server,
	    why);
	return check_tempfail(hit, s->cfg.policy_tempfail_action,
	    "policy_tempfail", hit->failed);
}

/* The word of an action and what follows it. */
static int
word(const char *a, const char *w, const char **rest)
{
	size_t n = strlen(w);

	if (strncasecmp(a, w, n) != 0 || (a[n] != '\0' && a[n] != ' ' &&
	    a[n] != '\t'))
		return 0;
	for (a += n; *a == ' ' || *a == '\t'; a++)
		;
	*rest = a;
	return 1;
}

static enum verdict
policy_rcpt(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	char action[POLICY_ACTION_MAX], why[REASON_MAX + 1];
	const char *rest;
	enum verdict v;

	int q = st->q1 - 1;

	st->q1 = 0;
	if (q == -1)
		return failed(s, hit, st->why);
	if (policy_get(q, action, sizeof(action), why, sizeof(why)) == -1)
		return failed(s, hit, why);
	if (word(action, "OK", &rest) || word(action, "DUNNO", &rest) ||
	    word(action, "DEFER_IF_REJECT", &rest))
		return VERDICT_PASS;
	if (word(action, "PREPEND", &rest)) {
		if (strchr(rest, ':') == NULL || rest[0] == ':')
			say(hit->failed, sizeof(hit->failed), "PREPEND "
			    "without a header line: %s", rest);
		else
			say(hit->header, sizeof(hit->header), "%s", rest);
		return VERDICT_PASS;
	}
	v = VERDICT_PASS;
	if (word(action, "REJECT", &rest))
		v = VERDICT_REJECT;
	else if (word(action, "DEFER", &rest) ||
	    word(action, "DEFER_IF_PERMIT", &rest))
		v = VERDICT_DEFER;
	else if (word(action, "WARN", &rest))
		v = VERDICT_WARN;
	else if ((action[0] == '4' || action[0] == '5') &&
	    action[1] >= '0' && action[1] <= '9' && action[2] >= '0' &&
	    action[2] <= '9' && (action[3] == ' ' || action[3] == '\0')) {
		v = action[0] == '4' ? VERDICT_DEFER : VERDICT_REJECT;
		for (rest = action + 3; *rest == ' '; rest++)
			;
	} else {
		say(hit->failed, sizeof(hit->failed), "%s: action not "
		    "supported, passed: %s", s->cfg.policy_server, action);
		return VERDICT_PASS;
	}
	say(hit->reason, sizeof(hit->reason), "%s: %s", s->cfg.policy_server,
	    action);
	/* the reply has its own enhanced code: the server's is dropped */
	if ((rest[0] == '4' || rest[0] == '5') && rest[1] == '.' &&
	    strspn(rest + 2, "0123456789.") > 2) {
		rest += 2 + strspn(rest + 2, "0123456789.");
		while (*rest == ' ')
			rest++;
	}
	if (rest[0] != '\0' && v != VERDICT_WARN)
		say(hit->text, sizeof(hit->text), "%s", rest);
	return v;
}

static void
policy_end_hook(const struct session *s, void *state)
{
	(void)s;
	(void)state;
	policy_end();
}

static const struct check_hooks policy_hooks = {
	.ask[PHASE_RCPT] = policy_ask_rcpt,
	.end = policy_end_hook,
};

const struct check check_policy = {
	.name = "policy",
	.reply = "policy",
	.action_off = offsetof(struct config, policy_action),
	.state_size = sizeof(struct state),
	.phase[PHASE_RCPT] = policy_rcpt,
	.hooks = &policy_hooks,
};
