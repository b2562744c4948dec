/*
 * feed.h: a helper program fed one message as it streams past
 * (smtpfront-scan, smtpfront-dkim): started before the message comes,
 * written its bytes, read its answer at the end.  Every write and read
 * has the deadline given at the start; the helper is reaped, killed at
 * the deadline.  Nothing here writes to the client, logs or exits.
 */
#ifndef FEED_H
#define FEED_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct feed {
	pid_t		 pid;		/* 0: none */
	int		 in, out;
	time_t		 deadline;
	char		 why[128];	/* why the feeding failed */
};

void	feed_init(struct feed *);
/* The path of program NAME beside SELF (our argv[0]), into out. */
void	feed_program(const char *, const char *, char *, size_t);
/*
 * Start argv[0] with argv for TIMEOUT seconds from now; KEEP, a
 * descriptor of ours (or -1), is handed to it open (argv names it).
 * 0, or -1 with why.
 */
int	feed_start(struct feed *, char *const *, int, unsigned long, char *,
	    size_t);
/* Is it running and still fed? */
int	feed_running(const struct feed *);
/* The next bytes: 0, or -1 (it failed; f->why says, the end reports). */
int	feed_write(struct feed *, const char *, size_t);
/*
 * The message ended: its whole answer into ans (NUL-terminated), its
 * length; -1 with why when it failed, timed out, said too much or did not
 * exit 0 (then its "error TEXT" line is in why).  It is reaped.
 */
long	feed_finish(struct feed *, char *, size_t, char *, size_t);
/* Kill and reap it if it runs. */
void	feed_end(struct feed *);

#endif
