/*
 * checks/checks.c: the fixed order in which the core calls the checks.
 * Cheap and local first, DNS next, the state store next, content last.
 * README lists the same order.
 */
#include <stddef.h>
#include <string.h>
#include "check.h"

extern const struct check check_trust;
extern const struct check check_allow_ip;
extern const struct check check_allow_sender;
extern const struct check check_allow_rcpt;
extern const struct check check_rcpt_domain;
extern const struct check check_rcpt_users;
extern const struct check check_rblsmtpd;
extern const struct check check_earlytalker;
extern const struct check check_unauth_pipelining;
extern const struct check check_helo_required;
extern const struct check check_helo_syntax;
extern const struct check check_helo_bareip;
extern const struct check check_helo_literal;
extern const struct check check_helo_ours;
extern const struct check check_helo_list;
extern const struct check check_helo_fqdn;
extern const struct check check_sender_fqdn;
extern const struct check check_sender_list;
extern const struct check check_bounce_multi;
extern const struct check check_addr_syntax;
extern const struct check check_size;

const struct check *const check_list[] = {
	&check_trust,
	&check_allow_ip,
	&check_allow_rcpt,
	&check_rblsmtpd,
	&check_earlytalker,
	&check_unauth_pipelining,
	&check_helo_bareip,
	&check_helo_syntax,
	&check_helo_literal,
	&check_helo_ours,
	&check_helo_list,
	&check_helo_fqdn,
	&check_helo_required,
	&check_allow_sender,
	&check_addr_syntax,
	&check_sender_fqdn,
	&check_sender_list,
	&check_size,
	&check_rcpt_domain,
	&check_rcpt_users,
	&check_bounce_multi,
	NULL
};

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
