/*
 * session.h: the state of one SMTP session, shared by the dialogue in
 * smtpfront.c and, read-only, by every check.
 *
 * Every limit on client input is a named constant here.  Nothing that the
 * client sends grows without one of these ceilings.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "header.h"

#define LINE_MAX_SMTP	512	/* command line incl. CRLF, RFC 5321 4.5.3.1.4 */
#define ADDR_MAX	256	/* a path, RFC 5321 4.5.3.1.3 */
#define HELO_MAX	255	/* a domain or address literal */
#define IPSTR_MAX	64	/* text of an IPv4 or IPv6 address */
#define PORTSTR_MAX	8
#define INFO_MAX	64	/* TCPREMOTEINFO */
#define REASON_MAX	200	/* a check's short reason, made printable */
#define RULE_MAX	128	/* "file:line" or a rule name */
#define WARN_MAX	8	/* warn-mode hits kept for the header */
#define HEADER_LINE_MAX	500	/* a header line a check adds, without CRLF;
				 * a '\n' in it folds it there */
#define HEADERS_MAX	1024	/* all header lines the checks add */
#define AUTH_MAX	320	/* one check's Authentication-Results entry */
#define AUTHS_MAX	1024	/* all of them, for the one header */
#define RESULT_MAX	255	/* a result a check leaves for later checks (a host name) */
#define RESULTS_MAX	16
#define CHECK_NAME_MAX	31

struct rules;
struct spool;

enum phase {
	PHASE_CONNECT,
	PHASE_HELO,
	PHASE_MAIL,
	PHASE_RCPT,
	PHASE_DATA,
	PHASE_EOD,
	PHASE_COUNT
};

/* A check's result for later checks (check_result() in check.h). */
struct check_result {
	char		 check[CHECK_NAME_MAX + 1];
	char		 value[RESULT_MAX + 1];
};

struct held {
	int		 verdict;		/* enum verdict, VERDICT_PASS if none */
	int		 phase;			/* enum phase it was found in */
	char		 check[CHECK_NAME_MAX + 1];
	char		 reply[32];		/* reply table name */
	char		 reason[REASON_MAX + 1];
	char		 rule[RULE_MAX + 1];
	char		 text[REASON_MAX + 1];	/* reply text from the check */
};

/*
 * The big buffers come first: a session that waits for a command has not
 * written them, and the fields after them, which it has, then sit
 * together with what struct conn puts after the session (the client's
 * input buffer), in as few pages as they fill (bench/run --only many).
 */
struct session {
	/* what the checks leave (counted below) */
	struct check_result results[RESULTS_MAX];
	char		 headers[HEADERS_MAX];	/* lines with CRLF */
	char		 auth[AUTHS_MAX];	/* "; ENTRY" each, '\n' between */

	/* client facts */
	char		 remote_ip[IPSTR_MAX];
	char		 remote_port[PORTSTR_MAX];
	char		 remote_host[HOSTNAME_MAX + 1];
	char		 remote_info[INFO_MAX + 1];
	char		 local_ip[IPSTR_MAX];
	char		 local_port[PORTSTR_MAX];
	char		 local_host[HOSTNAME_MAX + 1];
	unsigned char	 remote_bin[16];	/* IPv6 or v4-mapped, for rules */
	int		 remote_known;
	int		 trusted;		/* RELAYCLIENT or a trust rule */
	int		 relayclient;		/* may relay */
	int		 env_relayclient;	/* RELAYCLIENT was set for us */
	char		 trust_rule[RULE_MAX + 1];

	/* STARTTLS: offered (tls_cert and tls_key readable), and once
	 * the handshake is done, its facts (tls_proto empty: none) */
	int		 tls_offer;
	char		 tls_proto[16];
	char		 tls_cipher[64];
	char		 tls_bits[8];

	/* protocol behaviour seen by the core */
	int		 early_greet;		/* talked before the greeting */
	int		 early_data;		/* talked before the 354 */
	char		 pipelined[8];		/* verb sent ahead unauthorised */

	/* dialogue */
	int		 helo_seen;
	int		 esmtp;
	char		 helo[HELO_MAX + 2];	/* one more: an over-long name shows */
	int		 in_txn;		/* MAIL accepted */
	char		 sender[ADDR_MAX + 1];	/* without brackets, "" for <> */
	size_t		 sender_len;		/* strlen(sender) */
	unsigned long	 size_declared;		/* ESMTP SIZE=, 0 if none */
	int		 body_8bit;
	char		 rcpt[ADDR_MAX + 1];	/* the RCPT being checked */
	size_t		 rcpt_len;		/* strlen(rcpt) */
	unsigned long	 rcpts;			/* accepted in this transaction */
	unsigned long	 rcpts_role;		/* of them postmaster or abuse */
	struct spool	*spool;			/* end-of-data phase only */
	struct header_section	 hdr;			/* the header section, read as it
						 * streams past (CHECK_F_HEADER) */

	/* verdict state */
	struct held	 held;			/* delayed verdict, enforced at RCPT */
	int		 session_accept;	/* a connect-phase accept */
	int		 txn_accept;		/* a helo/mail-phase accept */
	int		 lookup_failed;		/* downgrade rule */
	/* warn-mode hits, for the header */
	char		 warns[WARN_MAX][CHECK_NAME_MAX + 1];
	int		 nwarns;
	int		 nwarns_connect;	/* of them, found at connect */
	int		 nwarns_session;	/* at connect and HELO: kept by RSET */
	char		 warn_rule[RULE_MAX + 1];	/* of the last warn hit */

	/* counters for the summary line */
	unsigned long	 msgs;
	unsigned long	 rcpts_total;
	unsigned long long bytes;
	unsigned long	 errors;
	unsigned long	 rcpt_cmds;		/* RCPT commands, for the tarpit */
	unsigned long	 refusals;		/* refused commands */
	unsigned long	 rcpt_refused;		/* RCPT answered 5xx */
	unsigned long	 tarpit_step;
	time_t		 start;
	char		 verdict[16];
	char		 verdict_rule[RULE_MAX + 40];	/* check:rule */

	/* what the checks leave: results, and header lines to add; those
	 * found at connect and HELO are kept by RSET */
	int		 nresults;
	int		 spool_session;		/* a check asked for the spool */
	int		 spool_txn;
	int		 nresults_connect;
	int		 nresults_session;
	size_t		 hlen;
	size_t		 hlen_connect;
	size_t		 hlen_session;
	/* the Authentication-Results entries ("; method=result ..."), in the
	 * checks' order: one header (verdict_headers), kept as headers are */
	size_t		 alen;
	size_t		 alen_connect;
	size_t		 alen_session;

	struct rules	*rules;
	struct config	 cfg;
};

#endif
