/*
 * conn.h: one connection: the session, the client and the MTA child, and
 * what the core writes to the client and the log about them.
 *
 * Every function takes the connection by pointer; nothing here is global.
 * conn.c knows no check: the check runner (verdict.c) and the dialogue
 * (smtpfront.c, data.c) sit above it.
 */
#ifndef CONN_H
#define CONN_H

#include <stdint.h>
#include <sys/time.h>

#include "child.h"
#include "client.h"
#include "reply.h"
#include "session.h"

#define EXIT_OK		0
#define EXIT_USAGE	100
#define EXIT_TEMP	111
#define CHECKS_MAX	64	/* checks in check_list */
#define CONN_SAID	4	/* replies conn_say keeps */

struct conn;
struct check;

/* Called once as the session ends, before the summary (check hooks). */
typedef void (*conn_end_fn)(struct conn *);

/*
 * The pages a held connection has touched are what it costs
 * (bench/run --only many), so what a session writes before it waits for
 * a command sits together: the small fields here, then the client's
 * output buffer (used from its start), whose rest and the session's big
 * buffers (first in struct session) a waiting session has not written,
 * then the session's other fields, then the client's input buffer (used
 * from its start too), then the child, untouched before MAIL.
 */
struct conn {
	char *const	*argv;		/* the MTA child's */
	const char	*self;		/* our argv[0]: smtpfront-tls is beside it */
	int		 mail_fwd;	/* MAIL given to the child */
	int		 in_data;	/* the child is inside a streamed DATA */
	int		 child_tried;	/* child_start was called: before, c->ch
					 * is all zeros and is not read (a
					 * read costs a held session a page) */
	unsigned long	 rcpt_tries;	/* RCPT commands in this transaction */
	int		 dry;		/* -n: dry run */
	int		 test;		/* -t: check the installation */
	int		 lookahead;	/* a check wants s.pipelined noted */
	int		 body;		/* a check wants the message bytes */
	int		 headers;	/* a check reads s.hdr (CHECK_F_HEADER) */
	int		 hooks;		/* the hooks active checks have */
	int		 headers_full;	/* a header line was dropped */
	pid_t		 tls_pid;	/* smtpfront-tls, 0: none */
	int		 auth_header;	/* verdict_headers may add ours: the
					 * message is spooled, forged ones
					 * were removed */
	struct spool	*spool_orig;	/* eod: the received spool (s.spool
					 * may be a check's replacement) */
	conn_end_fn	 on_end;
	const struct check *const *checks;	/* NULL: check_list */
	/* replies the rules leave as in the table, by name (conn_say) */
	const char	*said_name[CONN_SAID];
	const struct reply_default *said[CONN_SAID];
	/*
	 * Which checks (bit i: checks[i]) have a function for each phase
	 * (outside relay control, then relay control), an ask for each
	 * phase, the body hook and each of the hooks below: the loops of
	 * every command visit only those (verdict_init).
	 */
	uint64_t	 with_phase[PHASE_COUNT][2];
	uint64_t	 with_ask[PHASE_COUNT];
	uint64_t	 with_body;
	uint64_t	 with_hook[4];
	uint64_t	 on;		/* the checks the session runs: on, and
					 * not every list of theirs empty */
	char		*state;		/* the checks' per-session state */
	size_t		 state_off[CHECKS_MAX];
	struct timeval	 t0;
	char		 last_from[ADDR_MAX + 1];	/* for the summary */
	struct client	 cl;
	struct session	 s;
	char		 ibuf[CLIENT_IBUF];	/* cl.ibuf */
	struct child	 ch;
};

void	copystr(char *, size_t, const char *, size_t);

/* The reply named name, from the rules or the table (a read error
 * counts as a failed lookup and is logged). */
void	conn_reply(struct conn *, const char *, struct rtext *);
void	conn_say_rt(struct conn *, const struct rtext *);
void	conn_say(struct conn *, const char *);
/* Relay a reply of the child, adding an enhanced code where it has none. */
void	conn_relay(struct conn *, const struct creply *);
void	conn_banner(struct conn *, char);

/*
 * The one log line of a refused command: event, check, rule, then the
 * command (with envelope: its HELO, sender and recipient), the bytes of
 * a message (when bytes is not NULL), the reply's code and enhanced code,
 * the reason (before the code when there is no command: the session
 * ends), downgraded=yes.  The session summary then names this refusal:
 * verdict=EVENT rule=CHECK:RULE.
 */
void	conn_log_refusal(struct conn *, const char *, const char *,
	    const char *, const char *, int, const unsigned long long *,
	    const struct rtext *, const char *, int);
/* The command and, for MAIL, RCPT and DATA, the envelope, as log fields. */
void	conn_log_envelope(struct conn *, const char *);
/*
 * A command refused by the protocol itself, not by a check: the reply
 * and its one log line, "check=CHECK rule=NAME".
 */
void	conn_proto_as(struct conn *, const char *, const char *,
	    const char *);
void	conn_proto(struct conn *, const char *, const char *);
/* Send a reply named name, log it as event, and end the session. */
void	conn_close(struct conn *, const char *, const char *, const char *)
	    __attribute__((noreturn));
/* The session is over: the client let go, the child stopped, the summary
 * line, exit. */
void	conn_finish(struct conn *, int) __attribute__((noreturn));
/* 421 (reply name), one fatal line, exit 111. */
void	conn_fatal(struct conn *, const char *, const char *, const char *)
	    __attribute__((noreturn));
/* The summary's verdict: event and check:rule. */
void	conn_verdict(struct conn *, const char *, const char *,
	    const char *);

/* The child failed: logged, killed; the transaction with it is over. */
void	conn_child_failed(struct conn *, const char *);
/* The client left (when: "greeting", "tarpit"): logged, the end. */
void	conn_gone(struct conn *, const char *) __attribute__((noreturn));
/* The client talked during ms milliseconds of waiting: 1, else 0. */
int	conn_wait(struct conn *, unsigned long);
void	conn_tarpit(struct conn *);
/* Note a command the client sent before our reply (what). */
void	conn_sent_ahead(struct conn *, const char *);

#endif
