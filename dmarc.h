/*
 * dmarc.h: a DMARC record's tags (RFC 7489 6.3), read from the TXT the
 * DNS gave: outside input, bounded.
 */
#ifndef DMARC_H
#define DMARC_H

#include <stddef.h>

/*
 * The value of tag T (lower case, e.g. "p") in the record REC
 * ("v=DMARC1; p=reject; ..."), lower case and cut to size - 1, into out;
 * "" when it is not there.  Blanks around '=' and ';' are skipped; the
 * first occurrence counts.
 */
void	dmarc_tag(const char *, const char *, char *, size_t);

#endif
