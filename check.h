/*
 * check.h: the contract between the core and the checks in checks/.
 *
 * A check exports one descriptor (struct check, designated initialisers)
 * and keeps everything else static.  The core (verdict.c) calls its
 * phase functions and the hooks it has (start, ask, wait, body,
 * rcpt_accepted, accepted, reset, end: in a struct check_hooks the descriptor points
 * to):
 *
 *   start     once per session, after the client facts and the rules are
 *             known and before the greeting: where a check sends its DNS
 *             queries or opens its store, to collect the answers later.
 *             It may already decide: an accept from a CHECK_F_TRUST check
 *             trusts the client (no delay, may relay, trust_exec); any
 *             other verdict counts as one found at connect.
 *   ask[]     before the checks of a phase run, once a command (RCPT:
 *             before relay control): where a check asks about the
 *             command's own input (the recipient's domain) so that the
 *             core waits for the answers before the phase runs, and the
 *             check's phase function reads them at once.
 *   wait      before the connect phase (the greet delay) and the data
 *             phase (the data delay): how long the core is to wait,
 *             watching the client, before it runs that phase.  The core
 *             waits the longest time any active check asks for and notes
 *             a client that talks meanwhile (s->early_greet, early_data).
 *   phase[]   connect, helo, mail, rcpt, data, eod: the verdict of this
 *             phase, with a hit (reason, reply, rule) on anything but
 *             pass.
 *   body      the message bytes as the child will get them (dot-stuffing
 *             undone, CRLF lines), in order, in pieces of any size, on
 *             every delivery path (streamed, spliced, one BDAT, spooled),
 *             before the eod phase.  Only called when set and the check
 *             is not off.
 *   rcpt_accepted  after the child said 2xx for a recipient (s->rcpt),
 *             whatever checks ran for it (an allowlisted recipient runs
 *             none): where a check keeps the message's recipients.
 *   accepted  after the child said 2xx for a message.
 *   reset     at the end of each transaction (RSET, a new HELO, the end
 *             of a message, refused or not).
 *   end       once, when the session ends, however it ends.
 *
 * Per-check state: state_size bytes, zeroed at session start, kept by the
 * core and passed to every function of the check (to start and phase
 * functions as hit->state).  A check that needs a spooled copy of the
 * message (a filter reading it as a file) says so before DATA
 * (hit->spool, at start, connect or HELO for the session, later for the
 * transaction): the message is then received into the spool first and
 * the eod phase finds it in s->spool.  A check may add one header line
 * to the message per call (hit->header, "Name: value"; one added at eod
 * reaches the message only when it is spooled, since a streamed message
 * has its header lines sent before its body) and leave a short result
 * for the checks after it (hit->result, read with check_result()).  At
 * eod, a check that has the spooled message may replace it (a filter's
 * rewrite, a milter's changes): hit->replace, a new spool (spool_new)
 * holding the whole message as the child is to get it, header section
 * and body, without dot-stuffing; the core owns it from then on, frees
 * the one it replaces, and gives it to the checks after this one (as
 * s->spool) and to the child.  The header lines the checks add are put
 * before it all the same.
 *
 * DNS: a check asks with resolver_ask() (resolver.h) as soon as the
 * input is known (the start hook for the client's address, the helo
 * phase for the HELO name, mail for the sender), naming the phase whose
 * function will read the answer, and keeps the query in its state.  The
 * core serves the queries while it waits anyway (the greet and data
 * delays) and, before it runs a phase, until every query wanted by then
 * is answered or failed (dns_timeout, dns_budget); the phase function
 * reads resolver_status() and resolver_packet() with dnspkt.h.  A
 * callback given to resolver_ask() may ask the next question at once.
 * A failed lookup is said in hit->failed (a warning) and decided by the
 * check's NAME_tempfail_action, lenient by default.  checks/dnsbl.c and
 * the first kind in checks/TEMPLATE.c show it.
 *
 * A check never writes to the client or the child, never logs, never
 * exits.  It may ask the lower modules (rules, match, later the resolver
 * and the store) and take its time only where they allow.  The core
 * applies the administrator's action for the check (off, warn, defer,
 * reject, drop) to a hit, in one place: verdict_run() in verdict.c.
 */
#ifndef CHECK_H
#define CHECK_H

#include "session.h"

enum verdict {
	VERDICT_PASS,		/* no opinion */
	VERDICT_ACCEPT,		/* allowlisted: first decisive verdict */
	VERDICT_WARN,		/* log and add a header only */
	VERDICT_DEFER,		/* 4xx */
	VERDICT_REJECT,		/* 5xx: a hit, subject to the action */
	VERDICT_DROP		/* reply, then close (also under the
				 * action reject; defer and warn soften it) */
};

struct check_hit {
	char		 reason[REASON_MAX + 1];
	char		 reply[32];	/* reply table name; "" for the check's */
	char		 rule[RULE_MAX + 1];
	int		 lookup_failed;	/* a lookup failed and the check failed open */
	/* a lookup failed (DNS: timeout, server failure), whatever the
	 * verdict: logged as a warning with this text; no downgrade unless
	 * lookup_failed is set too */
	char		 failed[REASON_MAX + 1];
	int		 now;		/* refuse at once, even under delay_reject */
	char		 text[REASON_MAX + 1];	/* reply text instead of the table's */
	char		 header[HEADER_LINE_MAX + 1];	/* "Name: value" to add;
						 * '\n' folds it there */
	char		 result[RESULT_MAX + 1];	/* for later checks */
	/* "method=result property=value ..." for the message's one
	 * Authentication-Results header (RFC 8601); several entries of one
	 * check: ";\n" between them */
	char		 auth[AUTH_MAX + 1];
	int		 spool;		/* before DATA: spool this message */
	struct spool	*replace;	/* eod: the message, replaced */
	void		*state;		/* the check's own, state_size bytes */
};

/* action_off of a check that has no action setting and always runs */
#define CHECK_ALWAYS	((size_t)-1)

typedef enum verdict (*check_fn)(const struct session *, struct check_hit *);
typedef void (*check_hook)(const struct session *, void *);
typedef void (*check_ask_fn)(const struct session *, void *);
typedef void (*check_body_fn)(const struct session *, void *, const char *,
    size_t);
typedef unsigned long (*check_wait_fn)(const struct session *, void *,
    enum phase);

/* The hooks besides the phases, which few checks have: in a struct of
 * their own, so that a session pays nothing for them where none is. */
struct check_hooks {
	check_fn	 start;
	check_ask_fn	 ask[PHASE_COUNT];
	check_wait_fn	 wait;		/* milliseconds, for connect and data */
	check_body_fn	 body;
	check_hook	 rcpt_accepted;	/* s->rcpt: the child took it */
	check_hook	 accepted;
	check_hook	 reset;
	check_hook	 end;
};

struct check {
	const char	*name;		/* log field, rules key prefix, t/NAME.t */
	const char	*reply;		/* default reply table name */
	size_t		 action_off;	/* offsetof(struct config, NAME_action) */
	int		 flags;
	size_t		 state_size;	/* bytes of per-session state */
	check_fn	 phase[PHASE_COUNT];
	const struct check_hooks *hooks;	/* NULL: none */
	/*
	 * The rules lists every finding of the check comes from,
	 * NULL-terminated: where the session's rules have none of them
	 * (no "c:LIST" entry count), the check could find nothing and is
	 * left out of the session, as if off.  NULL: it always runs.
	 */
	const char *const *lists;
};

/* flags: relay control runs for every recipient, allowlisted or not */
#define CHECK_F_RELAY	0x1
/* an accept at start trusts the client (RELAYCLIENT, trust rules) */
#define CHECK_F_TRUST	0x2
/* the check needs to know whether the client sent a command ahead of
 * the reply it must wait for (s->pipelined): the core only looks when
 * such a check is on */
#define CHECK_F_LOOKAHEAD	0x4

/* the check reads s->hdr at eod: the core reads the header section as
 * it streams past (header.h) */
#define CHECK_F_HEADER	0x8

/* The fixed order, in checks/checks.c. */
extern const struct check *const check_list[];

const char	*verdict_name(enum verdict);
const char	*phase_name(enum phase);
/*
 * The rule that set a setting (a check's per-result action, say):
 * SMTPFRONT_NAME when the environment did, the rules source's FILE:LINE,
 * or "builtin".
 */
void		 check_rule_of(const struct session *, const char *, char *,
		    size_t);
/* The result a check left in this session or transaction, or NULL. */
const char	*check_result(const struct session *, const char *);
/*
 * The client's name as fcrdns verified it, in the domain list named
 * (allow_name, trust_name): accept when listed, pass when not, when there
 * is no verified name, or when the list cannot be read (then
 * hit->lookup_failed).
 */
enum verdict	 check_name_listed(const struct session *, const char *,
		    struct check_hit *);
/* printf into a check's field (reason, text, failed, ...), cut. */
void		 check_say(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
/*
 * A lookup, store, helper or server failed (why): a warning
 * (hit->failed) and the check's tempfail action: off passes, warn warns,
 * anything else defers with the reply named.
 */
enum verdict	 check_tempfail(struct check_hit *, enum action, const char *,
		    const char *);
/* The accepted recipients of a message, one per line (a check keeps them
 * from its rcpt_accepted hook): bounded, freed at the reset. */
#define CHECK_RCPTS_MAX	65536	/* bytes of recipients kept */
struct check_rcpts {
	char		*buf;		/* NULL until the first */
	size_t		 len;
	unsigned long	 count;		/* also those that did not fit */
};
void		 check_rcpts_add(struct check_rcpts *, const char *);
void		 check_rcpts_free(struct check_rcpts *);
/* The client's network as text, "192.0.2.0/24": its address cut to the
 * first bits given for IPv4 and for IPv6 (greylist, rate). */
void		 check_network(const struct session *, unsigned long,
		    unsigned long, char *, size_t);

#endif
