/*
 * policy.h: a client of the Postfix policy delegation protocol
 * (SMTPD_POLICY_README): name=value lines and an empty line to a policy
 * server (postgrey, policyd-spf, ...), "action=..." and an empty line
 * back.  One connection a session, made at the first question and kept
 * for the next ones; the answer is watched as a query of the resolver
 * (resolver_watch), so the core waits for it before the phase that
 * reads it.  A connection that failed, timed out or answered garbage is
 * closed; the next question makes a new one.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stddef.h>

#define POLICY_REQUEST_MAX	4096
#define POLICY_ACTION_MAX	512

/*
 * Send the request (its lines, without the final empty line) to the
 * server ("inet:HOST:PORT" or "unix:/path"), wanted by phase NEED, within
 * TIMEOUT seconds.  The query, or -1 with why.
 */
int	policy_ask(const char *, const char *, size_t, int, unsigned long,
	    char *, size_t);
/* The action of query q ("DUNNO", "REJECT text", ...), made printable,
 * or -1 with why. */
int	policy_get(int, char *, size_t, char *, size_t);
/*
 * An answer read whole (to its empty line): its action's value, cut to
 * the size and made printable.  0; -1 when it has no action= or does
 * not end with an empty line; -2 when it holds more than one answer.
 */
int	policy_parse(const char *, size_t, char *, size_t);
/* Close the connection (the end of the session). */
void	policy_end(void);

#endif
