/*
 * starttls.h: STARTTLS (RFC 3207) from smtpfront's side.  The TLS work is
 * done by a program of its own, smtpfront-tls, started only when a client
 * asks; smtpfront talks to it over a socketpair (see smtpfront-tls.c).
 */
#ifndef STARTTLS_H
#define STARTTLS_H

#include <stddef.h>
#include <sys/types.h>

#define TLS_LINE_MAX	256	/* a line from smtpfront-tls */
#define TLS_PROTO_MAX	15
#define TLS_CIPHER_MAX	63
#define TLS_BITS_MAX	7
#define TLS_FACTS_SLACK	5	/* seconds beyond its handshake deadline */
#define TLS_REAP_WAIT	5	/* seconds for smtpfront-tls to end */

struct tls_facts {
	char		 proto[TLS_PROTO_MAX + 1];
	char		 cipher[TLS_CIPHER_MAX + 1];
	char		 bits[TLS_BITS_MAX + 1];
};

#define TLS_PROGRAM	"smtpfront-tls"

/*
 * The program beside self (smtpfront's argv[0]) when self has a
 * directory part, else TLS_PROGRAM for a search of $PATH; into buf
 * (size bytes), 0, or -1 when it does not fit.
 */
int	starttls_program(const char *, char *, size_t);
/*
 * Start prog (execvp, no shell) with the client on its fd 0 and 1 and its
 * end of a new socketpair on fd 3, and wait up to wait_s seconds for its
 * "ready": 0 with *pid and *fd (our end of the socketpair); -1 with the
 * reason in why (the program is reaped then).
 */
int	starttls_start(const char *, const char *, const char *,
	    unsigned long, unsigned long, pid_t *, int *, char *, size_t);
/* The facts line "PROTOCOL CIPHER BITS": 0, or -1 when it is none. */
int	starttls_facts(const char *, size_t, struct tls_facts *);
/* Let smtpfront-tls end (its socketpair is closed) for wait_s seconds,
 * then kill it; reaped either way. */
void	starttls_reap(pid_t, unsigned long);

#endif
