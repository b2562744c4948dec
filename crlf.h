/*
 * crlf.h: find line ends in message data, for the DATA machine (dot.c)
 * and the child's replies.
 */
#ifndef CRLF_H
#define CRLF_H

#include <stddef.h>

/* Offset of the first CR or LF in s[0..n), or n when there is none. */
size_t	crlf_find(const char *, size_t);
/* Offset of the first LF in s[0..n), or n when there is none. */
size_t	crlf_lf(const char *, size_t);

#endif
