/*
 * resolver.h: the session's DNS queries, asynchronous, on libowfat's
 * dns_transmit_* (the servers of $DNSCACHEIP, else /etc/resolv.conf).
 *
 * A check asks as soon as its input is known (resolver_ask: the client
 * address at start, the HELO name at HELO, the sender at MAIL), saying
 * in which phase it will want the answer; the core serves the queries
 * while it waits anyway (the greet and data delays, resolver_sleep) and,
 * before it runs a phase, until every query wanted by then is answered
 * (resolver_wait).  A check reads the outcome in that phase: found, none
 * (NXDOMAIN or no record of the type) or failed (timeout, server
 * failure, a malformed answer, the budget spent).  A callback given to
 * resolver_ask runs when the answer is there, so that a check can ask
 * the next question (the TXT of a listing, the A of a PTR name) at once.
 *
 * Bounds: RESOLVER_MAX queries a session; each query has dns_timeout
 * (the resolver's per-query deadline) and the session dns_budget, the
 * time it may spend waiting for answers outside the delays it waits
 * anyway.  A name asked twice (same type) is one query.  Nothing here
 * writes to the client, logs or exits; memory is libowfat's, freed at
 * resolver_end.
 */
#ifndef RESOLVER_H
#define RESOLVER_H

#include <stddef.h>

#ifndef RESOLVER_MAX
#define RESOLVER_MAX	32	/* smtpfront-spf asks more: it sets its own */
#endif

enum resolver_status {
	RESOLVER_PENDING,
	RESOLVER_FOUND,
	RESOLVER_NONE,
	RESOLVER_FAIL
};

typedef void (*resolver_cb)(int, void *);

/* The per-query timeout and the session's budget, in milliseconds. */
void	resolver_setup(unsigned long, unsigned long);
/*
 * Ask TYPE (DNSPKT_T_*) of NAME (dotted, no final dot), wanted by phase
 * NEED (enum phase); CB (may be NULL) is called with the query and ARG
 * once it is no longer pending.  Returns the query, >= 0, also when it
 * failed at once (a bad name, no server): its status says; -1 when no
 * slot is left, a query whose status is RESOLVER_FAIL too.
 */
int	resolver_ask(unsigned int, const char *, int, resolver_cb, void *);
/*
 * Watch FD, a helper's output (smtpfront-spf), as one more query wanted
 * by phase NEED: found once FD is readable (or at its end), failed
 * ("timeout") when MS milliseconds pass first.  The reading is the
 * caller's.  Returns the query, or -1 when no slot is left.
 */
int	resolver_watch(int, int, unsigned long);
enum resolver_status resolver_status(int);
/* The phase a query is wanted by. */
int	resolver_need(int);
/* The name a query asked for. */
const char *resolver_name(int);
/* Why a query failed: "timeout", "servfail", "malformed", ... */
const char *resolver_why(int);
/* The answer packet of a found query, else NULL. */
const unsigned char *resolver_packet(int, size_t *);
/* Are queries pending (at all; wanted by phase NEED or before)? */
int	resolver_busy(void);
int	resolver_pending(int);
/*
 * Wait up to MS milliseconds for FD to become readable (-1: none),
 * serving the queries meanwhile.  1 when FD is readable, 0 when the time
 * is up.  This time is not taken from the budget.
 */
int	resolver_sleep(int, unsigned long);
/* Serve until no query wanted by phase NEED is pending, within the
 * budget; what the budget leaves pending fails ("budget"). */
void	resolver_wait(int);
/* Free everything (the end of the session). */
void	resolver_end(void);

/* "4.3.2.1" or the 32 nibbles of an IPv6 address, reversed, for the
 * DNS lists and PTR names; out holds RESOLVER_REV_MAX bytes. */
#define RESOLVER_REV_MAX	64
void	resolver_rev(const unsigned char [16], int, char *);

#endif
