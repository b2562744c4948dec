/*
 * verdict.h: the check runner.  It calls the checks of check_list (or of
 * the list a test gives) in their fixed order, keeps their state, applies
 * the administrator's action to a hit, holds verdicts found before RCPT
 * (delay_reject) and gives refusals to the client with their one log line.
 */
#ifndef VERDICT_H
#define VERDICT_H

#include "check.h"
#include "conn.h"

/* The header lines added to a message: the warn header and the checks'. */
#define TLS_HEADER_MAX	128	/* the X-Smtpfront-TLS line */
#define AUTH_HEADER_MAX	(HOSTNAME_MAX + 32 + 2 * AUTHS_MAX)
#define PREFIX_MAX	(WARN_MAX * (CHECK_NAME_MAX + 3) + 64 + TLS_HEADER_MAX + \
		    HEADERS_MAX + AUTH_HEADER_MAX)

/*
 * Session start: the checks' state, the flags the dialogue reads
 * (lookahead, body), the end hook; then every check's start.
 * Returns the first decisive verdict found (d filled), as a phase would;
 * an accept from a CHECK_F_TRUST check has trusted the client.  0, or -1
 * when memory for the checks' state cannot be had.
 */
int	verdict_init(struct conn *);
enum verdict verdict_start(struct conn *, struct held *);
/* The longest wait the active checks ask for before phase (ms). */
unsigned long verdict_wait(struct conn *, enum phase);
/*
 * Run the checks of one phase.  relay: only the relay-control checks,
 * which run for every recipient, allowlisted or not; else all others.
 */
enum verdict verdict_run(struct conn *, enum phase, struct held *,
	    const char *, int);
/* Give a refusal to the client and log it; a drop ends the session. */
void	verdict_refuse(struct conn *, struct held *, const char *);
/*
 * A verdict found before RCPT: hold it (delay_reject) or give it now.
 * Returns 1 when the command was refused now.
 */
int	verdict_early(struct conn *, struct held *, const char *);
/*
 * Keep what the checks found up to phase (connect or HELO) for the
 * session; verdict_back() drops what was found after it.
 */
void	verdict_keep(struct conn *, enum phase);
void	verdict_back(struct conn *, enum phase);
/* The end of a transaction: envelope, held verdicts, hooks, child RSET. */
void	verdict_reset(struct conn *);
/* The child took the message. */
/* The child took the recipient s.rcpt (rcpt_accepted hooks). */
void	verdict_rcpt_accepted(struct conn *);
void	verdict_accepted(struct conn *);
/* Message bytes (undotted) for the checks that read the body. */
void	verdict_body(struct conn *, const char *, size_t);
/* The header lines to add to the message; their length. */
size_t	verdict_headers(struct conn *, char *, size_t);
/* The session ends (conn.on_end). */
void	verdict_end(struct conn *);

#endif
