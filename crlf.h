/*
 * crlf.h: find line ends in message data, for the DATA machine (dot.c)
 * and the child's replies; and plain text for the log (log.c).
 */
#ifndef CRLF_H
#define CRLF_H

#include <stddef.h>

/* Offset of the first CR or LF in s[0..n), or n when there is none. */
size_t	crlf_find(const char *, size_t);
/* Offset of the first CR, LF or NUL in s[0..n), or n when there is none. */
size_t	crlf_find_nul(const char *, size_t);
/*
 * Length, a multiple of 64, of the leading 64-byte blocks of s[0..n) that
 * hold nothing for the DATA machine to look at: no NUL (when nul is set),
 * no bare CR or LF, no line that starts with a dot, CR or LF, and no CR
 * in a block's last two bytes (so no CRLF reaches past it).  Called in
 * the middle of a line (s[-1] is no CR or LF, or s is a line's start and
 * s[0] a plain byte); after the run the same holds again.
 */
size_t	crlf_clean(const char *, size_t, int);
/* What s[0..n) holds of NUL, bytes over 127 and CR, as CRLF_ bits. */
#define CRLF_NUL	0x1
#define CRLF_8BIT	0x2
#define CRLF_CR		0x4
int	crlf_flags(const char *, size_t);
/* Offset of the first LF in s[0..n), or n when there is none. */
size_t	crlf_lf(const char *, size_t);
/*
 * Length of the leading run of s[0..n) that a log value can take as it
 * is: bytes 33..126 but '"' (no blank, no control, no 8-bit, no quote).
 */
size_t	crlf_plain(const char *, size_t);
/*
 * Length of the leading run of s[0..n) of bytes 32..126 but '"': text a
 * log value takes as it is, once quoted when it has a blank.
 */
size_t	crlf_text(const char *, size_t);
/* Offset of the first byte a or b in s[0..n), or n when there is none. */
size_t	crlf_either(const char *, size_t, char, char);

#endif
