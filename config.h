/*
 * config.h: the settings in force for one session (struct config) and
 * the actions an administrator gives a check.  Shared by the rules
 * compiler and table (rules.h) and by the per-connection program; it
 * knows nothing of the session.
 */
#ifndef CONFIG_H
#define CONFIG_H

#define HOSTNAME_MAX	255	/* a host name from the environment or rules */

enum action {
	ACTION_OFF,
	ACTION_WARN,
	ACTION_DEFER,
	ACTION_REJECT,
	ACTION_DROP
};

/*
 * The settings in force for this session: rules database values, then
 * per-client environment overrides (SMTPFRONT_NAME).  See rules_table.c.
 */
struct config {
	char		 hostname[HOSTNAME_MAX + 1];
	unsigned long	 size_max;
	unsigned long	 rcpt_max;
	unsigned long	 errors_max;
	unsigned long	 timeout;
	unsigned long	 session_timeout;
	unsigned long	 child_timeout;
	unsigned long	 spool_memory;
	char		 spool_dir[HOSTNAME_MAX + 1];
	int		 data_spool;
	int		 data_nul;		/* NUL passes in DATA */
	int		 child_bdat;
	int		 pipelining;
	int		 delay_reject;
	unsigned long	 greet_delay;		/* seconds */
	int		 greet_split;
	unsigned long	 data_delay;		/* seconds */
	unsigned long	 tarpit_after;		/* recipients; 0: off */
	unsigned long	 tarpit_delay;		/* milliseconds */
	unsigned long	 tarpit_factor;		/* percent per step */
	unsigned long	 tarpit_max;		/* milliseconds */
	int		 tarpit_refused;
	int		 trust_exec;
	char		 tls_cert[HOSTNAME_MAX + 1];	/* paths; empty: no STARTTLS */
	char		 tls_key[HOSTNAME_MAX + 1];
	unsigned long	 tls_timeout;		/* seconds for the handshake */
	int		 tls_required;		/* MAIL only after STARTTLS */
	enum action	 closed_action;
	enum action	 helo_required_action;
	enum action	 addr_syntax_action;
	enum action	 size_action;
	enum action	 rblsmtpd_action;
	enum action	 helo_syntax_action;
	enum action	 helo_bareip_action;
	enum action	 helo_literal_action;
	enum action	 helo_ours_action;
	enum action	 helo_list_action;
	enum action	 helo_fqdn_action;
	enum action	 sender_fqdn_action;
	enum action	 sender_list_action;
	enum action	 bounce_multi_action;
	enum action	 rcpt_domain_action;
	enum action	 rcpt_users_action;
	enum action	 earlytalker_action;
	enum action	 unauth_pipelining_action;
	unsigned long	 dns_timeout;		/* seconds a query */
	unsigned long	 dns_budget;		/* seconds a session waits */
	enum action	 dnsbl_action;
	enum action	 dnsbl_tempfail_action;
	unsigned long	 dnsbl_threshold;
	unsigned long	 dnsbl_allow_threshold;	/* 0: none */
	enum action	 fcrdns_action;
	enum action	 fcrdns_tempfail_action;
	enum action	 sender_domain_action;
	enum action	 sender_domain_tempfail_action;
	enum action	 helo_dns_action;
	enum action	 helo_dns_tempfail_action;
	enum action	 rhsbl_action;
	enum action	 rcpt_dns_action;
	enum action	 rcpt_dns_tempfail_action;
	enum action	 rhsbl_tempfail_action;
	enum action	 spf_action;
	enum action	 spf_fail_action;
	enum action	 spf_softfail_action;
	enum action	 spf_neutral_action;
	enum action	 spf_none_action;
	enum action	 spf_permerror_action;
	enum action	 spf_temperror_action;
	char		 store[HOSTNAME_MAX + 1];	/* path or redis:// */
	unsigned long	 store_size;		/* MB */
	unsigned long	 store_timeout;		/* seconds (Redis) */
	enum action	 greylist_action;
	enum action	 greylist_tempfail_action;
	unsigned long	 greylist_delay;	/* seconds */
	unsigned long	 greylist_window;
	unsigned long	 greylist_lifetime;
	unsigned long	 greylist_net_passes;
	unsigned long	 greylist_net_lifetime;
	unsigned long	 greylist_v4_prefix;
	unsigned long	 greylist_v6_prefix;
	int		 greylist_spf_exempt;
	int		 greylist_at_data;
	enum action	 trap_action;
	int		 trap_listener;
	unsigned long	 trap_lifetime;		/* seconds */
	enum action	 rate_action;
	enum action	 rate_tempfail_action;
	unsigned long	 rate_concurrency;
	unsigned long	 rate_connections;	/* a minute */
	unsigned long	 rate_messages;		/* an hour */
	unsigned long	 rate_recipients;	/* an hour */
	unsigned long	 rate_refused;		/* a rate_refused_window */
	unsigned long	 rate_refused_window;	/* seconds */
	unsigned long	 rate_v4_prefix;
	unsigned long	 rate_v6_prefix;
	enum action	 policy_action;
	enum action	 policy_tempfail_action;
	char		 policy_server[HOSTNAME_MAX + 1];
	unsigned long	 policy_timeout;	/* seconds */
	enum action	 dkim_action;
	enum action	 dkim_fail_action;
	enum action	 dkim_temperror_action;
	unsigned long	 dkim_timeout;		/* seconds */
	enum action	 dmarc_action;
	enum action	 dmarc_reject_action;
	enum action	 dmarc_quarantine_action;
	char		 dmarc_psl[HOSTNAME_MAX + 1];
	enum action	 content_action;
	enum action	 content_tempfail_action;
	unsigned long	 content_timeout;	/* seconds */
	enum action	 filter_action;
	enum action	 filter_tempfail_action;
	unsigned long	 filter_timeout;	/* seconds */
	char		 filter_skip[HOSTNAME_MAX + 1];	/* names, commas */
	enum action	 milter_action;
	enum action	 milter_tempfail_action;
	unsigned long	 milter_timeout;	/* seconds */
	enum action	 header_size_action;
	unsigned long	 header_size_max;	/* bytes */
	enum action	 header_8bit_action;
	int		 header_8bit_utf8;
	enum action	 header_from_action;
	enum action	 bounce_bogus_action;
};

#endif
