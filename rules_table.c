/*
 * rules_table.c: the settings and list names the rules language knows,
 * with their types, ranges and built-in defaults.  smtpfront-cdb refuses
 * any other name; smtpfront fills struct config from this table.
 * man/smtpfront-rules.5 documents the same table.
 *
 * Each default is written twice, side by side: as text (what the
 * compiler, the manual and the tests read) and as the value that text
 * parses to (what smtpfront stores at each connection without parsing
 * anything).  rules_table_check() proves that the two agree; the unit
 * test of rules.c runs it.
 */
#include <stddef.h>
#include <string.h>
#include "rules.h"

#define C(f)	offsetof(struct config, f)

const struct setting setting_table[] = {
	{ "hostname", SETTING_STR, 0, 0, "", 0, C(hostname),
	    "name in the banner and EHLO reply; empty: $TCPLOCALHOST, else the system name" },
	{ "size_max", SETTING_NUM, 1024, 2147483647UL, "10485760", 10485760,
	    C(size_max),
	    "largest message in bytes, advertised with SIZE" },
	{ "rcpt_max", SETTING_NUM, 1, 10000, "100", 100, C(rcpt_max),
	    "recipients per message; more get 452 4.5.3" },
	{ "errors_max", SETTING_NUM, 1, 1000, "10", 10, C(errors_max),
	    "unknown or invalid commands before 421 and close" },
	{ "timeout", SETTING_NUM, 1, 3600, "300", 300, C(timeout),
	    "seconds to wait for each read from the client, and for each write it does not take" },
	{ "session_timeout", SETTING_NUM, 10, 86400, "3600", 3600,
	    C(session_timeout),
	    "ceiling in seconds on a whole session" },
	{ "child_timeout", SETTING_NUM, 1, 3600, "300", 300, C(child_timeout),
	    "seconds to wait for each reply of the MTA child" },
	{ "spool_memory", SETTING_NUM, 0, 16777216, "131072", 131072,
	    C(spool_memory),
	    "bytes of a message kept in memory before it goes to a temporary file" },
	{ "spool_dir", SETTING_STR, 0, 0, "", 0, C(spool_dir),
	    "directory for temporary spool files; empty: $TMPDIR, else /tmp" },
	{ "data_spool", SETTING_BOOL, 0, 1, "no", 0, C(data_spool),
	    "receive the whole message before the MTA child sees any of it" },
	{ "data_nul", SETTING_BOOL, 0, 1, "no", 0, C(data_nul),
	    "let NUL bytes in message data through to the MTA child; no: refuse the message with data_nul (554 5.6.0) and close" },
	{ "child_bdat", SETTING_BOOL, 0, 1, "yes", 1, C(child_bdat),
	    "give a message that came in one read (with data_spool: every message) to a child offering CHUNKING as one BDAT LAST" },
	{ "pipelining", SETTING_BOOL, 0, 1, "yes", 1, C(pipelining),
	    "offer PIPELINING in the EHLO reply" },
	{ "delay_reject", SETTING_BOOL, 0, 1, "yes", 1, C(delay_reject),
	    "hold refusals found before RCPT and give them at RCPT" },
	{ "greet_delay", SETTING_NUM, 0, 300, "0", 0, C(greet_delay),
	    "seconds to wait before the greeting, watching for early talkers" },
	{ "greet_split", SETTING_BOOL, 0, 1, "no", 0, C(greet_split),
	    "send a first 220- line before the wait, the final 220 after it" },
	{ "data_delay", SETTING_NUM, 0, 300, "0", 0, C(data_delay),
	    "seconds to wait before the 354 reply to DATA, watching for early talkers" },
	{ "tarpit_after", SETTING_NUM, 0, 10000, "0", 0, C(tarpit_after),
	    "RCPT commands in the session after which every reply is delayed; 0: none by count (tarpit_refused still starts one)" },
	{ "tarpit_delay", SETTING_NUM, 0, 600000, "1000", 1000, C(tarpit_delay),
	    "first tarpit delay in milliseconds" },
	{ "tarpit_factor", SETTING_NUM, 100, 1000, "200", 200, C(tarpit_factor),
	    "growth of the tarpit delay per reply, in percent" },
	{ "tarpit_max", SETTING_NUM, 0, 600000, "30000", 30000, C(tarpit_max),
	    "longest tarpit delay in milliseconds" },
	{ "tarpit_refused", SETTING_BOOL, 0, 1, "no", 0, C(tarpit_refused),
	    "also start the tarpit at the first refused command, whatever tarpit_after says" },
	{ "trust_exec", SETTING_BOOL, 0, 1, "no", 0, C(trust_exec),
	    "hand a trusted client straight to the MTA child with execve" },
	{ "helo_required_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(helo_required_action),
	    "action when MAIL comes before HELO or EHLO" },
	{ "addr_syntax_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(addr_syntax_action),
	    "action when a MAIL or RCPT path breaks the RFC 5321 grammar" },
	{ "size_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(size_action),
	    "action when MAIL declares a SIZE over size_max" },
	{ "rblsmtpd_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(rblsmtpd_action),
	    "action when RBLSMTPD (from tcprules) is set and not empty" },
	{ "closed_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(closed_action),
	    "action for every connection to a host that takes no mail: off, or refuse and close (defer: 421)" },
	{ "earlytalker_action", SETTING_ACTION, 0, 0, "drop", ACTION_DROP,
	    C(earlytalker_action),
	    "action when the client talks before the greeting or the 354" },
	{ "unauth_pipelining_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(unauth_pipelining_action),
	    "action when the client sends ahead where it must wait for a reply" },
	{ "helo_syntax_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(helo_syntax_action),
	    "action when the HELO/EHLO name is neither a domain nor an address literal" },
	{ "helo_bareip_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(helo_bareip_action),
	    "action when the HELO/EHLO name is an IP address without brackets" },
	{ "helo_literal_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(helo_literal_action),
	    "action when a HELO/EHLO address literal is not the client's address" },
	{ "helo_ours_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(helo_ours_action),
	    "action when the HELO/EHLO name or address is our own" },
	{ "helo_list_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(helo_list_action),
	    "action when the HELO/EHLO name is localhost or in the helo_bad list" },
	{ "helo_fqdn_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(helo_fqdn_action),
	    "action when the HELO/EHLO domain name is not fully qualified" },
	{ "sender_fqdn_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(sender_fqdn_action),
	    "action when the MAIL FROM domain is not fully qualified" },
	{ "sender_list_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(sender_list_action),
	    "action when the sender is in the sender_bad list" },
	{ "bounce_multi_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(bounce_multi_action),
	    "action when a null-sender message has more than one recipient" },
	{ "rcpt_domain_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(rcpt_domain_action),
	    "action when a recipient is in a domain we do not serve and the client may not relay" },
	{ "rcpt_users_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(rcpt_users_action),
	    "action when a recipient in a domain we serve is not in rcpt_users" },
	/* last: a lookup by name of the older settings does not pass them */
	{ "tls_cert", SETTING_STR, 0, 0, "", 0, C(tls_cert),
	    "certificate chain file (PEM, the server's certificate first) for STARTTLS; empty: no STARTTLS" },
	{ "tls_key", SETTING_STR, 0, 0, "", 0, C(tls_key),
	    "private key file (PEM) of tls_cert; empty: no STARTTLS" },
	{ "tls_timeout", SETTING_NUM, 1, 3600, "30", 30, C(tls_timeout),
	    "seconds for the TLS handshake after STARTTLS" },
	{ "tls_required", SETTING_BOOL, 0, 1, "no", 0, C(tls_required),
	    "refuse MAIL before STARTTLS with tls_required (530 5.7.0)" },
	{ "dns_timeout", SETTING_NUM, 1, 60, "5", 5, C(dns_timeout),
	    "seconds a DNS query may take before it counts as failed" },
	{ "dns_budget", SETTING_NUM, 1, 600, "15", 15, C(dns_budget),
	    "seconds a session may wait for DNS answers beyond the greet and data delays" },
	{ "dnsbl_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(dnsbl_action),
	    "action when the client's score in the dnsbl zones reaches dnsbl_threshold" },
	{ "dnsbl_tempfail_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(dnsbl_tempfail_action),
	    "action when a dnsbl zone could not be asked (timeout, server failure) and the rest did not decide; off: pass" },
	{ "dnsbl_threshold", SETTING_NUM, 1, 1000, "1", 1, C(dnsbl_threshold),
	    "score (sum of the weights of the zones that list the client) at which dnsbl_action applies" },
	{ "dnsbl_allow_threshold", SETTING_NUM, 0, 1000, "0", 0,
	    C(dnsbl_allow_threshold),
	    "a score of minus this or lower (allowlist zones: negative weights) accepts the client, bypassing the other checks; 0: never" },
	{ "fcrdns_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(fcrdns_action),
	    "action when the client's address has no PTR name that resolves back to it" },
	{ "fcrdns_tempfail_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(fcrdns_tempfail_action),
	    "action when the PTR or address lookups of fcrdns failed before a name was verified; off: pass" },
	{ "sender_domain_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(sender_domain_action),
	    "action when the sender's domain has no MX and no address, does not exist, or has a null MX" },
	{ "sender_domain_tempfail_action", SETTING_ACTION, 0, 0, "off",
	    ACTION_OFF, C(sender_domain_tempfail_action),
	    "action when the lookups of sender_domain failed and found nothing; off: pass" },
	{ "rcpt_dns_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(rcpt_dns_action),
	    "action when the domain of a recipient of a client that may relay has no MX and no address, does not exist, or has a null MX" },
	{ "rcpt_dns_tempfail_action", SETTING_ACTION, 0, 0, "off",
	    ACTION_OFF, C(rcpt_dns_tempfail_action),
	    "action when the lookups of rcpt_dns failed and found nothing; off: pass" },
	{ "helo_dns_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(helo_dns_action),
	    "action when the HELO/EHLO name has no A and no AAAA record" },
	{ "helo_dns_tempfail_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(helo_dns_tempfail_action),
	    "action when the lookups of helo_dns failed and found nothing; off: pass" },
	{ "rhsbl_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(rhsbl_action),
	    "action when the HELO name, the client's verified name or the sender's domain is listed in a zone of rhsbl_helo, rhsbl_client or rhsbl_sender" },
	{ "rhsbl_tempfail_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(rhsbl_tempfail_action),
	    "action when an rhsbl zone could not be asked and none listed; off: pass" },
	{ "spf_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(spf_action),
	    "SPF for the sender (off: not asked); each result then has its own action below" },
	{ "spf_fail_action", SETTING_ACTION, 0, 0, "reject", ACTION_REJECT,
	    C(spf_fail_action),
	    "action when SPF says fail (the domain's record excludes the client)" },
	{ "spf_softfail_action", SETTING_ACTION, 0, 0, "warn", ACTION_WARN,
	    C(spf_softfail_action),
	    "action when SPF says softfail (~all)" },
	{ "spf_neutral_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(spf_neutral_action),
	    "action when SPF says neutral (?all)" },
	{ "spf_none_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(spf_none_action),
	    "action when the sender's domain has no SPF record" },
	{ "spf_permerror_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(spf_permerror_action),
	    "action when the domain's SPF record is broken (permerror)" },
	{ "spf_temperror_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(spf_temperror_action),
	    "action when SPF could not be evaluated for now (temperror: DNS); defer at most" },
	{ "store", SETTING_STR, 0, 0, "/var/lib/smtpfront/store.mdb", 0,
	    C(store),
	    "the store: an LMDB file (its lock file is the same name with -lock), writable by the service's user, or a Redis server shared by several hosts, redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or redis+unix://[[USER]:PASSWORD@]/SOCKET[?db=DB]" },
	{ "store_size", SETTING_NUM, 1, 65536, "64", 64, C(store_size),
	    "the store's map size in MB (LMDB: the file grows up to it; sparse)" },
	{ "store_timeout", SETTING_NUM, 1, 60, "2", 2, C(store_timeout),
	    "seconds to connect to Redis, and for each command (a Redis that does not answer costs this once a session; each check's tempfail action says what follows)" },
	{ "greylist_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(greylist_action),
	    "greylisting: action on a triplet (network, sender, recipient) seen for the first time or retried too early" },
	{ "greylist_tempfail_action", SETTING_ACTION, 0, 0, "defer",
	    ACTION_DEFER, C(greylist_tempfail_action),
	    "action when the store fails (cannot open, full); off: pass" },
	{ "greylist_delay", SETTING_NUM, 1, 86400, "300", 300,
	    C(greylist_delay),
	    "seconds a new triplet must wait before a retry passes" },
	{ "greylist_window", SETTING_NUM, 1, 604800, "14400", 14400,
	    C(greylist_window),
	    "seconds after the first try within which the retry must come" },
	{ "greylist_lifetime", SETTING_NUM, 60, 31536000, "3110400", 3110400,
	    C(greylist_lifetime),
	    "seconds a triplet that passed is known, renewed at each pass" },
	{ "greylist_net_passes", SETTING_NUM, 0, 100000, "5", 5,
	    C(greylist_net_passes),
	    "triplets of a network that passed after which the network is let through without triplets; 0: never" },
	{ "greylist_net_lifetime", SETTING_NUM, 60, 31536000, "3110400",
	    3110400, C(greylist_net_lifetime),
	    "seconds such a network is let through, renewed at each pass" },
	{ "greylist_v4_prefix", SETTING_NUM, 8, 32, "24", 24,
	    C(greylist_v4_prefix),
	    "bits of an IPv4 client's address that make its network" },
	{ "greylist_v6_prefix", SETTING_NUM, 16, 128, "64", 64,
	    C(greylist_v6_prefix),
	    "bits of an IPv6 client's address that make its network" },
	{ "greylist_spf_exempt", SETTING_BOOL, 0, 1, "yes", 1,
	    C(greylist_spf_exempt),
	    "senders whose SPF passed (spf on) are not greylisted" },
	{ "greylist_at_data", SETTING_BOOL, 0, 1, "no", 0,
	    C(greylist_at_data),
	    "take every recipient and defer the message once at DATA, instead of each new recipient at RCPT" },
	{ "trap_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(trap_action),
	    "action for a client the trap listener recorded, and on the trap listener itself" },
	{ "trap_listener", SETTING_BOOL, 0, 1, "no", 0, C(trap_listener),
	    "this listener is the trap (a high-numbered MX): record every client and refuse it; set in that listener's environment" },
	{ "trap_lifetime", SETTING_NUM, 1, 31536000, "259200", 259200,
	    C(trap_lifetime),
	    "seconds a client stays in the trap after its last visit" },
	{ "rate_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(rate_action),
	    "rate limits: action on a client network over one of its limits (defer is what a limit means: the sender comes back later)" },
	{ "rate_tempfail_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(rate_tempfail_action),
	    "action when the store fails (cannot open, full, Redis down); off: pass" },
	{ "rate_concurrency", SETTING_NUM, 0, 100000, "0", 0,
	    C(rate_concurrency),
	    "sessions at once from one client network; 0: no limit" },
	{ "rate_connections", SETTING_NUM, 0, 1000000, "0", 0,
	    C(rate_connections),
	    "sessions a minute from one client network; 0: no limit" },
	{ "rate_messages", SETTING_NUM, 0, 10000000, "0", 0,
	    C(rate_messages),
	    "messages an hour from one client network; 0: no limit" },
	{ "rate_recipients", SETTING_NUM, 0, 10000000, "0", 0,
	    C(rate_recipients),
	    "recipients an hour from one client network (those that passed every other check); 0: no limit" },
	{ "rate_refused", SETTING_NUM, 0, 1000000, "0", 0,
	    C(rate_refused),
	    "recipients refused with 5xx (by a check or the child) from one client network within rate_refused_window, across sessions; 0: no limit" },
	{ "rate_refused_window", SETTING_NUM, 60, 604800, "3600", 3600,
	    C(rate_refused_window),
	    "seconds over which rate_refused counts" },
	{ "rate_v4_prefix", SETTING_NUM, 8, 32, "32", 32,
	    C(rate_v4_prefix),
	    "the bits of an IPv4 client address that make its network for the rate limits" },
	{ "rate_v6_prefix", SETTING_NUM, 16, 128, "64", 64,
	    C(rate_v6_prefix),
	    "the bits of an IPv6 client address that make its network for the rate limits" },
	{ "policy_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(policy_action),
	    "a policy server (Postfix's policy delegation protocol) asked at each RCPT; its action decides (REJECT, DEFER, 4NN, 5NN, WARN, PREPEND, OK, DUNNO)" },
	{ "policy_tempfail_action", SETTING_ACTION, 0, 0, "defer",
	    ACTION_DEFER, C(policy_tempfail_action),
	    "action when the policy server is down, too slow or answers garbage; off: pass" },
	{ "policy_server", SETTING_STR, 0, 0, "", 0, C(policy_server),
	    "the policy server: inet:HOST:PORT (an address) or unix:/PATH" },
	{ "policy_timeout", SETTING_NUM, 1, 600, "10", 10, C(policy_timeout),
	    "seconds to connect to the policy server and for each answer" },
	{ "milter_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(milter_action),
	    "the milters of the list milter asked at connect, HELO, MAIL, RCPT and with the message (milter protocol 6); their answers decide, their header and body changes reach the child" },
	{ "milter_tempfail_action", SETTING_ACTION, 0, 0, "defer",
	    ACTION_DEFER, C(milter_tempfail_action),
	    "action when a milter is down, too slow, closes the connection or breaks the protocol; off: that milter is skipped" },
	{ "milter_timeout", SETTING_NUM, 1, 600, "30", 30, C(milter_timeout),
	    "seconds to connect to a milter, for each write to it and each answer" },
	{ "header_size_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(header_size_action),
	    "action on a header section longer than header_size_max" },
	{ "header_size_max", SETTING_NUM, 1024, 10485760, "102400", 102400,
	    C(header_size_max),
	    "the longest header section taken, in bytes" },
	{ "header_8bit_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(header_8bit_action),
	    "action on 8-bit bytes in the header section that are not UTF-8 (or any, without header_8bit_utf8)" },
	{ "header_8bit_utf8", SETTING_BOOL, 0, 1, "yes", 1,
	    C(header_8bit_utf8),
	    "UTF-8 in the header section is accepted (RFC 6532)" },
	{ "header_from_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(header_from_action),
	    "action on a message without a From: field or with several" },
	{ "bounce_bogus_action", SETTING_ACTION, 0, 0, "off", ACTION_OFF,
	    C(bounce_bogus_action),
	    "action on a bounce (null sender) to no postmaster or abuse address whose body names none of our hosts (hostname, list ours) in a Received: or Message-ID: line" },
	{ NULL, SETTING_NUM, 0, 0, NULL, 0, 0, NULL }
};

/*
 * Lists are added by the checks that read them, named after the check
 * (NAME, or NAME_KIND when it has several); "ours", our own names and
 * networks, is read by every check that needs them.
 */
const char *const list_table[] = {
	"ours",
	"helo_list",
	"sender_list",
	"rcpt_domain",
	"rcpt_users",
	"rcpt_users_catchall",
	"trust",
	"allow_ip",
	"allow_sender",
	"allow_rcpt",
	"dnsbl",
	"rhsbl_sender",
	"rhsbl_helo",
	"rhsbl_client",
	"allow_name",
	"milter",
	NULL
};

/* Lists read whole, in source order ("e:LIST:N"), not looked up. */
static const char *const enum_lists[] = {
	"dnsbl",
	"rhsbl_sender",
	"rhsbl_helo",
	"rhsbl_client",
	"milter",
	NULL
};

/* The lists of addresses and networks only ("ours" takes names too). */
static const char *const net_lists[] = {
	"trust",
	"allow_ip",
	NULL
};

/*
 * Names an earlier release used.  The compiler still reads them, with a
 * warning naming the new name, and writes the new one: a rules source
 * that worked keeps working after an upgrade.
 */
const struct rename rename_table[] = {
	{ RENAME_LIST,	"helo_bad",	"helo_list" },
	{ RENAME_LIST,	"helo_ours",	"ours" },
	{ RENAME_LIST,	"ip_ours",	"ours" },
	{ RENAME_LIST,	"sender_bad",	"sender_list" },
	{ RENAME_LIST,	"rcpt_domains",	"rcpt_domain" },
	{ RENAME_LIST,	"rcpt_catchall", "rcpt_users_catchall" },
	{ RENAME_REPLY,	"need_helo",	"helo_required" },
	{ RENAME_REPLY,	"sender_syntax", "addr_syntax" },
	{ RENAME_REPLY,	"rcpt_syntax",	"addr_syntax_rcpt" },
	{ RENAME_REPLY,	"size_declared", "size" },
	{ RENAME_REPLY,	"size_exceeded", "size_data" },
	{ 0,		NULL,		NULL }
};

const struct rename *
rename_find(int kind, const char *name, size_t len)
{
	const struct rename *r;

	for (r = rename_table; r->old != NULL; r++)
		if (r->kind == kind && strlen(r->old) == len &&
		    memcmp(r->old, name, len) == 0)
			return r;
	return NULL;
}

int
list_is_enum(const char *name, size_t len)
{
	const char *const *l;

	for (l = enum_lists; *l != NULL; l++)
		if (strlen(*l) == len && memcmp(*l, name, len) == 0)
			return 1;
	return 0;
}

int
list_is_mixed(const char *name, size_t len)
{
	return len == 4 && memcmp(name, "ours", 4) == 0;
}

int
list_is_net(const char *name, size_t len)
{
	const char *const *l;

	for (l = net_lists; *l != NULL; l++)
		if (strlen(*l) == len && memcmp(*l, name, len) == 0)
			return 1;
	return 0;
}
