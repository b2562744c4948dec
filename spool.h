/*
 * spool.h: one message, received before it is fed to the MTA child.  The
 * first bytes stay in memory; beyond a bound they go to an unlinked
 * temporary file, so memory stays flat whatever the message size.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>

struct spool;

struct spool	*spool_new(size_t, const char *);
/* Append; 0, or -1 with errno (ENOSPC, EIO...). */
int		 spool_write(struct spool *, const char *, size_t);
unsigned long long spool_size(const struct spool *);
/* Read from the start: spool_rewind once, then spool_read until 0. */
int		 spool_rewind(struct spool *);
long		 spool_read(struct spool *, char *, size_t);
void		 spool_free(struct spool *);

#endif
