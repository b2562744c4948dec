/*
 * dot.h: the DATA state machine.  It reads the client's bytes after 354
 * and finds the end of data, which is only CRLF "." CRLF (a "." CRLF line
 * right after 354 included).  Dot-stuffing is removed; every other byte
 * goes out unchanged.  A bare CR or a bare LF is never repaired and never
 * ends the message: it makes dot_feed() return DOT_BAD (SMTP smuggling).
 */
#ifndef DOT_H
#define DOT_H

#include <stddef.h>

enum { DOT_MORE, DOT_END, DOT_BAD, DOT_NUL };

/*
 * nul: set it after dot_init() to have a NUL byte refused: dot_feed()
 * then returns DOT_NUL at the first one (a child that strips NUL before
 * it looks for the end of data could be split at CRLF NUL "." CRLF).
 * Unset (the default), NUL is a byte like any other.
 */
struct dot {
	int	state;
	int	nul;
};

void	dot_init(struct dot *);

/*
 * Feed n bytes.  Message bytes go to out, which must hold n + 2 bytes;
 * *outlen is set to their count; with out NULL they are only counted.
 * *used is set to the input consumed: all n for DOT_MORE, up to and
 * including the terminating LF for DOT_END, up to and including the
 * offending byte for DOT_BAD and DOT_NUL.
 */
int	dot_feed(struct dot *, const char *, size_t, size_t *, char *,
	    size_t *);

/*
 * Bytes at the end of the input fed so far that may begin the terminator
 * ("." or "." CR at the beginning of a line): 0, 1 or 2.  Whoever passes
 * the client's bytes on as they are holds these back until the next feed
 * shows what they are.
 */
size_t	dot_pending(const struct dot *);

/* Dot-stuff n message bytes for the wire: like dot_feed's inverse.
 * *bol carries "at the beginning of a line" across calls (start with 1).
 * out must hold 2 * n bytes; returns the count written. */
size_t	dot_stuff(const char *, size_t, int *, char *);

#endif
