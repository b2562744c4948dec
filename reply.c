/*
 * reply.c: the table of replies smtpfront writes itself.  Codes and
 * enhanced status codes agree in class; reply_valid() enforces the same
 * for overrides from the rules source.  reply_load() reads an override
 * from the rules database and falls back on the table; an override that
 * is not valid is ignored (the compiler refuses such lines).
 */
#include <string.h>
#include "reply.h"
#include "rules.h"

const struct reply_default reply_table[] = {
	{ "banner",	"220", "",	"ESMTP" },
	{ "ok",		"250", "2.0.0", "Ok" },
	{ "mail_ok",	"250", "2.1.0", "Sender ok" },
	{ "data_go",	"354", "",	"End data with <CR><LF>.<CR><LF>" },
	{ "quit",	"221", "2.0.0", "Bye" },
	{ "vrfy",	"252", "2.5.0",
	    "Cannot VRFY user, but will accept message and attempt delivery" },
	{ "help",	"214", "2.0.0",
	    "Commands: HELO EHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT" },
	{ "unknown",	"500", "5.5.1", "Command unrecognized" },
	{ "not_impl",	"502", "5.5.1", "Command not implemented" },
	{ "syntax",	"501", "5.5.4", "Syntax error in parameters or arguments" },
	{ "line_long",	"500", "5.5.2", "Line too long" },
	{ "nul",	"500", "5.5.2", "NUL character in command" },
	{ "eightbit",	"500", "5.5.2", "8-bit character in command" },
	{ "bare_lf",	"500", "5.5.2", "Command must end in CRLF" },
	{ "helo_required",	"503", "5.5.1", "Send HELO or EHLO first" },
	{ "need_mail",	"503", "5.5.1", "Need MAIL command first" },
	{ "need_rcpt",	"503", "5.5.1", "Need RCPT command first" },
	{ "no_rcpts",	"554", "5.5.1", "No valid recipients" },
	{ "nested_mail", "503", "5.5.1", "Sender already specified" },
	{ "addr_syntax", "553", "5.1.7", "Sender address syntax error" },
	{ "addr_syntax_rcpt", "553", "5.1.3", "Recipient address syntax error" },
	{ "param",	"555", "5.5.4", "Parameter not recognized" },
	{ "size", "552", "5.3.4",
	    "Message size exceeds fixed maximum message size" },
	{ "size_data", "552", "5.3.4",
	    "Message size exceeds fixed maximum message size" },
	{ "rcpt_max",	"452", "4.5.3", "Too many recipients" },
	{ "errors_max", "421", "4.7.0", "Too many errors, closing connection" },
	{ "timeout",	"421", "4.4.2", "Timeout, closing connection" },
	{ "session_timeout", "421", "4.4.2",
	    "Session time limit exceeded, closing connection" },
	{ "bare_lf_data", "421", "4.5.2",
	    "Bare CR or LF in message data, see RFC 5321 section 2.3.8; closing connection" },
	{ "data_nul", "554", "5.6.0",
	    "NUL character in message data; closing connection" },
	{ "child_fail",	"451", "4.3.0", "Temporary failure, please try again later" },
	{ "child_start", "421", "4.3.0",
	    "Temporary failure, closing connection" },
	{ "config",	"421", "4.3.0",
	    "Temporary configuration error, closing connection" },
	{ "nomem",	"421", "4.3.0", "Out of memory, closing connection" },
	{ "spool_full",	"452", "4.3.1", "Insufficient system storage" },
	{ "closed",	"554", "5.7.1", "This host takes no mail" },
	{ "earlytalker", "554", "5.5.0",
	    "SMTP protocol violation: talked before the greeting" },
	{ "earlytalker_data", "554", "5.5.0",
	    "SMTP protocol violation: sent data before the 354 reply" },
	{ "unauth_pipelining", "554", "5.5.0",
	    "SMTP protocol violation: improper command pipelining" },
	{ "rblsmtpd",	"553", "5.7.1", "Refused by local policy" },
	{ "rblsmtpd_temp", "451", "4.7.1", "Refused by local policy for now" },
	{ "helo_syntax", "501", "5.5.2",
	    "HELO/EHLO name is not a valid host name" },
	{ "helo_bareip", "501", "5.5.2",
	    "HELO/EHLO address must be an address literal in brackets" },
	{ "helo_literal", "550", "5.7.1",
	    "HELO/EHLO address literal is not your address" },
	{ "helo_ours", "550", "5.7.1",
	    "HELO/EHLO with our own name or address refused" },
	{ "helo_list", "550", "5.7.1",
	    "HELO/EHLO name refused" },
	{ "helo_fqdn", "504", "5.5.2",
	    "HELO/EHLO name must be a fully qualified domain name" },
	{ "sender_fqdn", "553", "5.1.8",
	    "Sender address must have a fully qualified domain" },
	{ "sender_list", "553", "5.7.1",
	    "Sender address refused" },
	{ "bounce_multi", "550", "5.5.3",
	    "A bounce goes to one recipient only" },
	{ "rcpt_domain", "550", "5.7.1",
	    "Relaying denied" },
	{ "rcpt_users", "550", "5.1.1",
	    "Recipient address rejected: user unknown" },
	{ "reject",	"550", "5.7.1", "Refused by policy" },
	{ "drop",	"421", "4.7.0", "Refused by policy, closing connection" },
	/* STARTTLS, last: the lookups of the others do not pass them */
	{ "tls_go",	"220", "2.0.0", "Ready to start TLS" },
	{ "tls_unavailable", "454", "4.7.0",
	    "TLS not available due to temporary reason" },
	{ "tls_active",	"503", "5.5.1", "TLS already active" },
	{ "tls_required", "530", "5.7.0", "Must issue a STARTTLS command first" },
	/* DNS checks */
	{ "dnsbl",	"554", "5.7.1",
	    "Service unavailable; client listed in a DNS blocklist" },
	{ "dnsbl_tempfail", "451", "4.4.3",
	    "DNS blocklist lookup failed, try again later" },
	{ "fcrdns",	"550", "5.7.25", "Reverse DNS validation failed" },
	{ "fcrdns_tempfail", "451", "4.7.25",
	    "Reverse DNS lookup failed, try again later" },
	{ "sender_domain", "550", "5.1.8",
	    "Sender address rejected: domain has no MX and no address" },
	{ "sender_domain_nullmx", "550", "5.7.27",
	    "Sender address has null MX" },
	{ "sender_domain_tempfail", "451", "4.4.3",
	    "Sender domain lookup failed, try again later" },
	{ "rcpt_dns",	"550", "5.1.2", "Recipient domain not found" },
	{ "rcpt_dns_nullmx", "556", "5.1.10",
	    "Recipient domain accepts no mail (null MX)" },
	{ "rcpt_dns_tempfail", "451", "4.4.3",
	    "Recipient domain lookup failed, try again later" },
	{ "helo_dns", "550", "5.7.1",
	    "HELO/EHLO name has no address" },
	{ "helo_dns_tempfail", "451", "4.4.3",
	    "HELO/EHLO name lookup failed, try again later" },
	{ "rhsbl_helo",	"554", "5.7.1",
	    "Service unavailable; HELO/EHLO name listed in a DNS blocklist" },
	{ "rhsbl_client", "554", "5.7.1",
	    "Service unavailable; client name listed in a DNS blocklist" },
	{ "rhsbl_sender", "554", "5.7.1",
	    "Service unavailable; sender domain listed in a DNS blocklist" },
	{ "rhsbl_tempfail", "451", "4.4.3",
	    "DNS blocklist lookup failed, try again later" },
	{ "spf",	"550", "5.7.23", "SPF validation failed" },
	{ "spf_permerror", "550", "5.7.24", "SPF validation error" },
	{ "spf_temperror", "451", "4.7.24",
	    "SPF validation error, try again later" },
	{ "greylist",	"451", "4.7.1", "Greylisted, please try again later" },
	{ "greylist_tempfail", "451", "4.3.0",
	    "Temporary local problem, please try again later" },
	{ "trap",	"554", "5.7.1", "Service unavailable" },
	{ "rate",	"550", "5.7.1",
	    "Too much mail from your network, please try again later" },
	{ "policy",	"550", "5.7.1", "Recipient refused by policy" },
	{ "policy_tempfail", "451", "4.3.0",
	    "Temporary local problem, please try again later" },
	{ "dkim",	"550", "5.7.20", "No valid DKIM signature found" },
	{ "dkim_temperror", "451", "4.7.5",
	    "DKIM key lookup failed, try again later" },
	{ "dmarc",	"550", "5.7.1",
	    "Message refused by its From: domain's DMARC policy" },
	{ "content",	"554", "5.7.1", "Message content refused" },
	{ "content_tempfail", "451", "4.3.0",
	    "Message content check unavailable, try again later" },
	{ "filter",	"554", "5.7.1", "Message refused by a filter" },
	{ "filter_tempfail", "451", "4.3.0",
	    "Message filter unavailable, try again later" },
	{ "milter",	"550", "5.7.1", "Message refused by a mail filter" },
	{ "milter_tempfail", "451", "4.3.0",
	    "Temporary local problem, please try again later" },
	{ "bounce_bogus", "550", "5.7.1",
	    "Bounce of a message we did not send" },
	{ "header_size", "552", "5.3.4", "Message header section too long" },
	{ "header_8bit", "550", "5.6.0",
	    "Message header has 8-bit bytes that are not UTF-8" },
	{ "header_from", "550", "5.6.0",
	    "Message must have exactly one From: header field" },
	{ "rate_tempfail", "451", "4.3.0",
	    "Temporary local problem, please try again later" },
	{ NULL, NULL, NULL, NULL }
};

const struct reply_default *
reply_find(const char *name, size_t len)
{
	const struct reply_default *r;

	size_t i;

	/* byte by byte, no strlen per entry: this runs at every reply */
	for (r = reply_table; r->name != NULL; r++) {
		for (i = 0; i < len; i++)
			if (r->name[i] == '\0' || r->name[i] != name[i])
				break;
		if (i == len && r->name[len] == '\0')
			return r;
	}
	return NULL;
}

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

static void
seterr(char *err, size_t errlen, const char *msg)
{
	size_t n;

	if (errlen == 0)
		return;
	n = strlen(msg);
	if (n > errlen - 1)
		n = errlen - 1;
	memcpy(err, msg, n);
	err[n] = '\0';
}

int
reply_valid(const char *s, size_t len, char *err, size_t errlen)
{
	size_t i, j;

	if (len < 5 || !isdig(s[0]) || !isdig(s[1]) || !isdig(s[2]) ||
	    s[3] != ' ') {
		seterr(err, errlen, "reply must start with a code and a blank");
		return -1;
	}
	if (s[0] < '2' || s[0] > '5') {
		seterr(err, errlen, "reply code must be 2xx to 5xx");
		return -1;
	}
	/* enhanced status code: class.subject.detail */
	i = 4;
	if (i + 1 >= len || s[i] != s[0] || s[i + 1] != '.') {
		seterr(err, errlen,
		    "enhanced status code missing or of another class than the code");
		return -1;
	}
	i += 2;
	for (j = 0; i < len && isdig(s[i]) && j < 3; i++, j++)
		;
	if (j == 0 || i >= len || s[i] != '.') {
		seterr(err, errlen, "malformed enhanced status code");
		return -1;
	}
	i++;
	for (j = 0; i < len && isdig(s[i]) && j < 3; i++, j++)
		;
	if (j == 0 || (i < len && s[i] != ' ')) {
		seterr(err, errlen, "malformed enhanced status code");
		return -1;
	}
	if (len - i > REPLY_TEXT_MAX) {
		seterr(err, errlen, "reply text too long");
		return -1;
	}
	for (; i < len; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] > 126) {
			seterr(err, errlen, "reply text must be printable ASCII");
			return -1;
		}
	return 0;
}

int
reply_text_valid(const char *s, size_t len, char *err, size_t errlen)
{
	size_t i;

	if (len < 5 || !isdig(s[0]) || !isdig(s[1]) || !isdig(s[2]) ||
	    s[3] != ' ' || s[0] < '2' || s[0] > '5') {
		seterr(err, errlen, "reply must start with a code and a blank");
		return -1;
	}
	if (len - 4 > REPLY_TEXT_MAX) {
		seterr(err, errlen, "reply text too long");
		return -1;
	}
	for (i = 4; i < len; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] > 126) {
			seterr(err, errlen, "reply text must be printable ASCII");
			return -1;
		}
	return 0;
}

static void
copystr(char *dst, size_t size, const char *src, size_t n)
{
	if (n > size - 1)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

const struct reply_default *
reply_plain(struct rules *rules, const char *name)
{
	const struct reply_default *d;
	char key[64], val[RULES_VALUE_MAX];
	size_t kn = strlen(name);

	if (kn > sizeof(key) - 3 || (d = reply_find(name, kn)) == NULL)
		return NULL;
	memcpy(key, "r:", 2);
	memcpy(key + 2, name, kn);
	return rules_get(rules, key, kn + 2, val, sizeof(val)) == 0 ? d : NULL;
}

int
reply_load(struct rules *rules, const char *name, struct rtext *rt)
{
	const struct reply_default *d;
	const char *e, *sp;
	char key[64], val[RULES_VALUE_MAX];
	char err[8];
	size_t kn = strlen(name), vn, en;
	int r;

	d = reply_find(name, kn);
	if (d == NULL)
		d = reply_find("reject", 6);
	copystr(rt->code, sizeof(rt->code), d->code, strlen(d->code));
	copystr(rt->esc, sizeof(rt->esc), d->esc, strlen(d->esc));
	copystr(rt->text, sizeof(rt->text), d->text, strlen(d->text));
	if (kn > sizeof(key) - 3)
		return 0;
	memcpy(key, "r:", 2);
	memcpy(key + 2, name, kn);
	r = rules_get(rules, key, kn + 2, val, sizeof(val));
	if (r == -1)
		return -1;
	if (r == 0)
		return 0;
	vn = strlen(val);
	if (d->esc[0] == '\0') {
		/* greeting and 354: "CODE text" */
		if (reply_text_valid(val, vn, err, sizeof(err)) == -1)
			return 0;
		copystr(rt->code, sizeof(rt->code), val, 3);
		copystr(rt->text, sizeof(rt->text), val + 4, vn - 4);
		return 0;
	}
	if (reply_valid(val, vn, err, sizeof(err)) == -1)
		return 0;
	/* "CODE X.Y.Z text" */
	copystr(rt->code, sizeof(rt->code), val, 3);
	e = val + 4;
	sp = strchr(e, ' ');
	en = sp != NULL ? (size_t)(sp - e) : strlen(e);
	copystr(rt->esc, sizeof(rt->esc), e, en);
	if (sp != NULL)
		copystr(rt->text, sizeof(rt->text), sp + 1, strlen(sp + 1));
	else
		rt->text[0] = '\0';
	return 0;
}

void
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
