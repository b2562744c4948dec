/*
 * checks/list.h: the checks in their fixed order, for checks/checks.c
 * (and for the test build's list, t/template-checks.c).  Cheap and local
 * first, DNS next (the client's verified name and the allowlists by name
 * before the DNS lists), the state store next, content last.  README
 * lists the same order.  CHECKS(X) calls X(NAME) for each check_NAME.
 */
#ifndef CHECKS_LIST_H
#define CHECKS_LIST_H

#define CHECKS(X) \
	X(closed) \
	X(trust) \
	X(allow_ip) \
	X(allow_rcpt) \
	X(rblsmtpd) \
	X(earlytalker) \
	X(unauth_pipelining) \
	X(helo_bareip) \
	X(helo_syntax) \
	X(helo_literal) \
	X(helo_ours) \
	X(helo_list) \
	X(helo_fqdn) \
	X(helo_required) \
	X(allow_sender) \
	X(addr_syntax) \
	X(sender_fqdn) \
	X(sender_list) \
	X(size) \
	X(rcpt_domain) \
	X(rcpt_dns) \
	X(rcpt_users) \
	X(bounce_multi) \
	X(fcrdns) \
	X(trust_name) \
	X(allow_name) \
	X(dnsbl) \
	X(helo_dns) \
	X(sender_domain) \
	X(rhsbl) \
	X(spf) \
	X(trap) \
	X(greylist) \
	X(rate) \
	X(policy) \
	X(milter) \
	X(header_size) \
	X(header_8bit) \
	X(header_from) \
	X(bounce_bogus) \
	X(dkim) \
	X(dmarc) \
	X(content) \
	X(filter)

#endif
