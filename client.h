/*
 * client.h: the client side of the session: buffered reads and writes on
 * the connection with a timeout on every read and write and a ceiling on
 * the whole session.  The stream goes through two function pointers so a
 * TLS layer can wrap it later without touching the dialogue.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define CLIENT_IBUF	65536	/* large reads for a streaming message */
#define CLIENT_OBUF	4096

/* client_line() results */
enum {
	CLIENT_OK,
	CLIENT_TOOLONG,		/* line skipped up to its LF */
	CLIENT_EOF,
	CLIENT_TIMEOUT,		/* no byte within the read timeout */
	CLIENT_CEILING,		/* session time limit reached */
	CLIENT_ERROR
};

/* flags of a line */
#define LINE_BARELF	0x1	/* ended in LF without CR */
#define LINE_NUL	0x2
#define LINE_8BIT	0x4
#define LINE_CR		0x8	/* a CR inside the line */

struct client {
	int		 in;
	int		 out;
	ssize_t		(*rd)(struct client *, char *, size_t);
	ssize_t		(*wr)(struct client *, const char *, size_t);
	unsigned long	 timeout;	/* seconds per read or write */
	time_t		 deadline;	/* end of the session */
	size_t		 ipos;
	size_t		 ilen;
	size_t		 olen;
	int		 failed;	/* a write failed: the client is gone */
	int		 stalled;	/* ... timed out: it reads nothing */
	int		 more;		/* the last read filled ibuf */
	/* a blocking socket: the kernel times reads and writes out
	 * (SO_RCVTIMEO, SO_SNDTIMEO), sock_ms milliseconds */
	int		 sock;
	int		 sock_ms;
	char		*ibuf;		/* CLIENT_IBUF bytes, the caller's:
					 * struct conn puts them after the
					 * session, whose last fields a
					 * waiting session has written */
	char		 obuf[CLIENT_OBUF];	/* last: used from its start */
};

void	client_init(struct client *, char *, int, int, unsigned long, time_t);
/* Read one line into buf (size max); CRLF or LF removed, NUL-terminated. */
int	client_line(struct client *, char *, size_t, size_t *, int *);
/* Make sure input is buffered: CLIENT_OK, or EOF/TIMEOUT/CEILING/ERROR. */
int	client_fill(struct client *);
/*
 * For passing message bytes on without copying them (splice): is the
 * client a plain file descriptor (no layer between)?  client_peek waits
 * for input like client_fill, then copies what is there into ibuf without
 * consuming it: > 0 bytes, 0 with *status EOF/TIMEOUT/CEILING/ERROR, or -1
 * when the input is no socket (peeking impossible: read instead).  Only
 * with nothing buffered.  client_take consumes n bytes known to be there.
 */
int	client_plain(const struct client *);
ssize_t	client_peek(struct client *, int *);
int	client_take(struct client *, size_t);
/* Bytes buffered and not yet consumed. */
size_t	client_pending(const struct client *);
/* Drop what is buffered (STARTTLS); returns how many bytes. */
size_t	client_discard(struct client *);
/* Wait up to ms milliseconds for input; 1 if some is there, 0 if not. */
int	client_wait(struct client *, int);
void	client_put(struct client *, const char *, size_t);
void	client_puts(struct client *, const char *);
/* A string literal: its length is known, no strlen. */
#define client_lit(c, s)	client_put((c), "" s, sizeof(s) - 1)
/* Write out what is buffered; -1 when the client is gone. */
int	client_flush(struct client *);
/* Make the connection blocking, without timeouts, before it is handed on
 * (exec). */
void	client_block(struct client *);

#endif
