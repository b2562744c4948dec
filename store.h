/*
 * store.h: the only mutable state smtpfront keeps (greylisting; traps and
 * rate limits to come), shared by every process on the host: an LMDB
 * file (one file and its lock file "-lock" beside it, many processes,
 * one writer at a time).  Records are small and fixed; each expires at a
 * time it carries, and an expired record reads as absent, so nothing
 * needs a cron job to be correct.
 *
 * Every call has three outcomes: done, not found (for reads), or an error
 * with a reason (why) for the caller's 4xx and log line; nothing here
 * logs or exits.  The store is opened at its first use, so a session
 * refused before it needs the store never touches it.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_KEY_MAX	511	/* LMDB's default key limit */

struct store_rec {
	uint64_t	 first;		/* seconds since the epoch */
	uint64_t	 last;
	uint64_t	 expires;	/* read as absent from then on */
	uint32_t	 count;
	uint32_t	 flags;
};

/*
 * What to do with a record: called inside the write transaction with
 * the record (found 0: a zeroed one, absent or expired) and the time;
 * returns 1 to write it back, 0 to leave the store as it was.
 */
typedef int (*store_fn)(struct store_rec *, int, uint64_t, void *);

/* Where the store is (a path) and its map size in MB: for the first use. */
void	store_setup(const char *, unsigned long);
/* Read-modify-write one key, atomically.  0, or -1 with why. */
int	store_update(const char *, size_t, store_fn, void *, char *, size_t);
/* Read one key: 1 found (not expired), 0 not, -1 error with why. */
int	store_get(const char *, size_t, struct store_rec *, char *, size_t);
/* Close (the end of the session). */
void	store_close(void);

#endif
