/*
 * log.h: the only place that formats log lines.  One line per event on
 * stderr, for multilog, journald or syslog behind tcpserver:
 *
 *   smtpfront[PID] IP: EVENT key=value ...
 *   smtpfront[PID] IP: warning: text
 *   smtpfront[PID] IP: fatal: text
 *
 * Values from outside are cut and made printable ('?' for other bytes);
 * addresses are written in angle brackets; a value with blanks is quoted.
 * The summary line of a session has a fixed key order:
 *
 *   session ip=IP helo=NAME tls=PROTO from=<ADDR> rcpts=N msgs=N
 *       verdict=V rule=R bytes=N duration=S.mmm
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

#define LOG_LINE_MAX	1024
#define LOG_VALUE_MAX	200

/* Set the client address shown on every line (before any other call). */
void	log_init(const char *);
/* Log to syslog when fd 2 is the client's socket (inetd); 1 if so. */
int	log_guard(void);

/*
 * Start a line with EVENT, add fields, end it.  Lines are built in a fixed
 * buffer and written with one write(2); a line that would not fit is cut
 * and marked with "...".
 */
void	log_start(const char *);
void	log_str(const char *, const char *);		/* key=value */
void	log_strn(const char *, const char *, size_t);	/* key=value, len */
void	log_addr(const char *, const char *);		/* key=<value> */
void	log_ulong(const char *, unsigned long);
void	log_ull(const char *, unsigned long long);
/* key=S.mmm from milliseconds, as the summary's duration (no snprintf) */
void	log_msec(const char *, unsigned long);
void	log_end(void);

void	log_warning(const char *, const char *);	/* "warning: a: b" */
void	log_fatal(const char *, const char *);		/* "fatal: a: b" */

/* Copy at most max bytes of s into out (size max + 1), '?' for bytes
 * that are not printable ASCII; returns the length written. */
size_t	log_printable(char *, size_t, const char *, size_t);

#endif
