/*
 * spf.h: the SPF check's helper, smtpfront-spf (beside smtpfront),
 * started at MAIL and read at RCPT: the session goes on while libspf2
 * asks the DNS (see smtpfront-spf.c for why it is a program of its own).
 * One helper at a time; asking again ends the one before.
 */
#ifndef SPF_H
#define SPF_H

#include <stddef.h>

#define SPF_PROGRAM	"smtpfront-spf"
#define SPF_RESULT_MAX	15	/* "temperror" */
#define SPF_VALUE_MAX	200	/* a Received-SPF value */

/* Where the helper is: beside SELF (our argv[0]), else on $PATH. */
void	spf_setup(const char *);
/*
 * Start the helper for this client, HELO and sender ("" for <>), with
 * the query timeout and the budget (ms) and our host name, and watch
 * its answer as a query of the resolver wanted by phase NEED.  The
 * query (see resolver.h), or -1 when the helper could not be started
 * (why says).
 */
int	spf_ask(const char *, const char *, const char *, int,
	    unsigned long, unsigned long, const char *, char *, size_t);
/*
 * The answer of query q: 0 with the result (pass, fail, softfail,
 * neutral, none, temperror, permerror) and the header value, or -1
 * (why says: the helper timed out, failed, or said nothing sensible).
 * The helper is reaped (killed first if need be).
 */
int	spf_get(int, char *, size_t, char *, size_t, char *, size_t);
/* Kill and reap a helper still running (end of the session). */
void	spf_end(void);

#endif
