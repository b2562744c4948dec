/*
 * authres.h: Authentication-Results header fields that claim our
 * authserv-id (RFC 8601 5), removed from a spooled message before ours
 * is added, so that nobody can forge our verdicts.
 */
#ifndef AUTHRES_H
#define AUTHRES_H

#include <stddef.h>

struct spool;

/*
 * Does the header section of IN hold an Authentication-Results field
 * whose authserv-id is ID (without regard to case)?  If so, write the
 * message without those fields (their continuation lines too) to OUT and
 * return how many went; 0 when there is none (OUT untouched); -1 when a
 * spool failed.
 */
long	authres_strip(struct spool *, const char *, struct spool *);
/* Is the field (its bytes from the start of its first line, n of them)
 * an Authentication-Results field with authserv-id ID? */
int	authres_ours(const char *, size_t, const char *);

#endif
