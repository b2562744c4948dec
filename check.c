/*
 * check.c: what check.h promises besides the descriptors: the names of
 * verdicts and phases, and the results the checks leave for one another.
 * The order of the checks is in checks/checks.c (a test build links a
 * list of its own there).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <stdio.h>
#include "check.h"
#include "conn.h"
#include "envvar.h"
#include "match.h"
#include "rules.h"

const char *
verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS:
		return "pass";
	case VERDICT_ACCEPT:
		return "accept";
	case VERDICT_WARN:
		return "warn";
	case VERDICT_DEFER:
		return "defer";
	case VERDICT_REJECT:
		return "reject";
	case VERDICT_DROP:
		return "drop";
	}
	return "unknown";
}

const char *
phase_name(enum phase p)
{
	static const char *const names[PHASE_COUNT] = {
		"connect", "helo", "mail", "rcpt", "data", "eod"
	};

	return p < PHASE_COUNT ? names[p] : "unknown";
}

const char *
check_result(const struct session *s, const char *name)
{
	int i;

	for (i = 0; i < s->nresults; i++)
		if (strcmp(s->results[i].check, name) == 0)
			return s->results[i].value;
	return NULL;
}

void
check_rule_of(const struct session *s, const char *setting, char *rule,
    size_t size)
{
	char key[RULE_MAX + 1];
	size_t i, n;
	int r;

	copystr(rule, size, "builtin", 7);
	n = (size_t)snprintf(key, sizeof(key), "%s%s", ENV_PREFIX, setting);
	if (n >= sizeof(key))
		return;
	for (i = sizeof(ENV_PREFIX) - 1; i < n; i++)
		if (key[i] >= 'a' && key[i] <= 'z')
			key[i] = (char)(key[i] - 'a' + 'A');
	if (envvar_get(key) != NULL) {
		copystr(rule, size, key, n);
		return;
	}
	n = (size_t)snprintf(key, sizeof(key), "o:s:%s", setting);
	if (n >= sizeof(key))
		return;
	r = rules_get(s->rules, key, n, rule, size);
	if (r != 1)
		copystr(rule, size, "builtin", 7);
}

void
check_network(const struct session *s, unsigned long v4bits,
    unsigned long v6bits, char *out, size_t size)
{
	static const unsigned char v4pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	unsigned char b[16];
	char txt[INET6_ADDRSTRLEN];
	unsigned long bits;
	int v4 = memcmp(s->remote_bin, v4pfx, sizeof(v4pfx)) == 0, i;

	memcpy(b, s->remote_bin, 16);
	bits = v4 ? v4bits : v6bits;
	for (i = v4 ? 12 : 0; i < 16; i++) {
		long have = (long)bits - (long)(i - (v4 ? 12 : 0)) * 8;

		if (have >= 8)
			continue;
		b[i] &= have <= 0 ? 0 : (unsigned char)(0xff << (8 - have));
	}
	if (inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? (void *)(b + 12) :
	    (void *)b, txt, sizeof(txt)) == NULL)
		txt[0] = '\0';
	(void)snprintf(out, size, "%s/%lu", txt, bits);
}

void
check_say(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

enum verdict
check_tempfail(struct check_hit *hit, enum action a, const char *reply,
    const char *why)
{
	if (hit->failed[0] == '\0')
		check_say(hit->failed, sizeof(hit->failed), "%s", why);
	switch (a) {
	case ACTION_OFF:
		return VERDICT_PASS;
	case ACTION_WARN:
		check_say(hit->reason, sizeof(hit->reason), "%s", why);
		return VERDICT_WARN;
	default:
		check_say(hit->reason, sizeof(hit->reason), "%s", why);
		check_say(hit->reply, sizeof(hit->reply), "%s", reply);
		return VERDICT_DEFER;
	}
}



enum verdict
check_name_listed(const struct session *s, const char *list,
    struct check_hit *hit)
{
	const char *name = check_result(s, "fcrdns");
	int r;

	if (name == NULL || name[0] == '\0')
		return VERDICT_PASS;
	r = match_domain(s->rules, list, name, strlen(name), hit->rule,
	    sizeof(hit->rule));
	if (r == -1) {
		hit->lookup_failed = 1;
		return VERDICT_PASS;
	}
	return r == 1 ? VERDICT_ACCEPT : VERDICT_PASS;
}

void
check_rcpts_add(struct check_rcpts *r, const char *rcpt)
{
	size_t n = strlen(rcpt);

	r->count++;
	if (r->buf == NULL) {
		if ((r->buf = malloc(CHECK_RCPTS_MAX)) == NULL)
			return;
		r->len = 0;
		r->buf[0] = '\0';
	}
	if (r->len + n + 2 > CHECK_RCPTS_MAX)
		return;		/* the count says there are more */
	if (r->len > 0)
		r->buf[r->len++] = '\n';
	memcpy(r->buf + r->len, rcpt, n + 1);
	r->len += n;
}

void
check_rcpts_free(struct check_rcpts *r)
{
	free(r->buf);
	r->buf = NULL;
	r->len = 0;
	r->count = 0;
}
