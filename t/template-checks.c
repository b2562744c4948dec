/*
 * t/template-checks.c: the check list of the test build of smtpfront
 * (build/t/smtpfront-template): every check of checks/checks.c, in its
 * order, then the four kinds of check shown in checks/TEMPLATE.c, which
 * t/template.t drives end to end.
 */
#include <stddef.h>
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
extern const struct check check_template_early;
extern const struct check check_template_memory;
extern const struct check check_template_body;
extern const struct check check_template_filter;

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
	&check_template_early,
	&check_template_memory,
	&check_template_body,
	&check_template_filter,
	NULL
};
