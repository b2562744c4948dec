/*
 * dot.c: the DATA state machine and its inverse.
 *
 * dot_feed() reads the client's bytes after 354 in chunks of any size and
 * finds the end of data, which is only CRLF "." CRLF, or "." CRLF as the
 * very first line.  The first dot of a line is removed (RFC 5321 4.5.2);
 * every other byte, NUL and 8-bit bytes included, goes out unchanged.  A
 * bare CR (not followed by LF) or bare LF (not preceded by CR) anywhere is
 * never repaired and never ends the message: dot_feed() returns DOT_BAD,
 * which the dialogue turns into a refusal (SMTP smuggling, RFC 5321
 * 2.3.8).  A CR is held in the state until the next byte, perhaps in the
 * next chunk, shows whether it starts a CRLF, so the result does not
 * depend on where the input is split.
 *
 * dot_stuff() prepares message bytes for the MTA child: a dot at the
 * beginning of a line is doubled.  Neither function allocates.
 */
#include <stddef.h>
#include <string.h>
#include "crlf.h"
#include "dot.h"

enum {
	ST_BOL,		/* at the beginning of a line (also right after 354) */
	ST_TEXT,	/* inside a line */
	ST_CR,		/* CR seen inside a line or on an empty one, held */
	ST_DOT,		/* "." at the beginning of a line, removed */
	ST_DOT_CR,	/* "." CR at the beginning of a line */
	ST_DONE		/* DOT_END or DOT_BAD returned; dot_init() again */
};

void
dot_init(struct dot *d)
{
	d->state = ST_BOL;
	d->nul = 0;
}

size_t
dot_pending(const struct dot *d)
{
	if (d->state == ST_DOT)
		return 1;
	if (d->state == ST_DOT_CR)
		return 2;
	return 0;
}

/*
 * At most one byte (a held CR) goes out per input byte beyond the input
 * byte itself, so out never needs more than n + 1 bytes; dot.h promises
 * n + 2.  After DOT_END or DOT_BAD the state stays done: further calls
 * return DOT_BAD and consume nothing until dot_init().
 */
/* One message byte out; with out NULL only counted. */
#define PUT(ch)	do {					\
	if (out != NULL)				\
		out[o] = (char)(ch);			\
	o++;						\
} while (0)

int
dot_feed(struct dot *d, const char *in, size_t n, size_t *used, char *out,
    size_t *outlen)
{
	size_t		i, o;
	unsigned char	c;

	o = 0;
	if (d->state == ST_DONE) {
		*used = 0;
		*outlen = 0;
		return DOT_BAD;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)in[i];
		if (c == '\0' && d->nul)
			goto nul;
		if ((d->state == ST_TEXT || (d->state == ST_BOL && c != '.')) &&
		    c != '\r' && c != '\n') {
			/*
			 * Fast path: copy the run of ordinary bytes up to the
			 * next CR or LF in one go, with its CRLF when both are
			 * here, and go on with the next line when it starts
			 * with an ordinary byte; the switch below sees only
			 * the bytes that can change the state.
			 */
			size_t span;

			/* whole blocks of plain lines first */
			span = crlf_clean(in + i, n - i, d->nul);
			if (out != NULL)
				memcpy(out + o, in + i, span);
			o += span;
			i += span;
			for (;;) {
				span = d->nul ? crlf_find_nul(in + i, n - i) :
				    crlf_find(in + i, n - i);
				if (out != NULL)
					memcpy(out + o, in + i, span);
				o += span;
				i += span;
				if (n - i < 2 || in[i] != '\r' ||
				    in[i + 1] != '\n') {
					/* a NUL found: the loop's next turn */
					d->state = ST_TEXT;
					break;
				}
				PUT('\r');
				PUT('\n');
				i += 2;
				d->state = ST_BOL;
				if (i == n || in[i] == '.' || in[i] == '\r' ||
				    in[i] == '\n')
					break;
			}
			i--;	/* the loop's i++ brings it back */
			continue;
		}
		switch (d->state) {
		case ST_BOL:
			if (c == '.') {
				d->state = ST_DOT;
				break;
			}
			/* FALLTHROUGH */
		case ST_TEXT:
			if (c == '\r')
				d->state = ST_CR;
			else if (c == '\n')
				goto bad;
			else {
				PUT(c);
				d->state = ST_TEXT;
			}
			break;
		case ST_DOT:
			if (c == '\r')
				d->state = ST_DOT_CR;
			else if (c == '\n')
				goto bad;
			else {
				PUT(c);
				d->state = ST_TEXT;
			}
			break;
		case ST_CR:
			if (c != '\n')
				goto bad;
			PUT('\r');
			PUT('\n');
			d->state = ST_BOL;
			break;
		case ST_DOT_CR:
			if (c != '\n')
				goto bad;
			d->state = ST_DONE;
			*used = i + 1;
			*outlen = o;
			return DOT_END;
		default:
			goto bad;
		}
	}
	*used = n;
	*outlen = o;
	return DOT_MORE;

bad:
	d->state = ST_DONE;
	*used = i + 1;
	*outlen = o;
	return DOT_BAD;

nul:
	d->state = ST_DONE;
	*used = i + 1;
	*outlen = o;
	return DOT_NUL;
}

#undef PUT

/*
 * The inverse of dot_feed() for bytes it produced: a dot after LF (or at
 * the start, *bol being 1) is doubled.  The caller ends the message with
 * ".\r\n"; when *bol is 0 after the last call, the message did not end in
 * CRLF and the caller must send CRLF before the terminator.  Every LF
 * counts as a line end, so no dot can slip to a line start unstuffed even
 * if a bare LF were ever passed in.
 */
size_t
dot_stuff(const char *in, size_t n, int *bol, char *out)
{
	size_t	i, o;

	size_t run;

	o = 0;
	for (i = 0; i < n; i += run) {
		if (*bol && in[i] == '.')
			out[o++] = '.';
		/* the rest of the line, its LF included, in one copy */
		run = crlf_lf(in + i, n - i);
		*bol = run < n - i;
		if (*bol)
			run++;
		memcpy(out + o, in + i, run);
		o += run;
	}
	return o;
}
