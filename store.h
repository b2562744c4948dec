/*
 * store.h: the only mutable state smtpfront keeps (greylisting, traps,
 * rate limits), shared by every process on the host or, on Redis, by
 * every host: the setting store names an LMDB file (one file and its
 * lock file "-lock" beside it, many processes, one writer at a time) or
 * a Redis server (storeurl.h).  Records are small and fixed; each
 * expires at a time it carries (on Redis also the key's TTL), and an
 * expired record reads as absent, so nothing needs a cron job to be
 * correct.
 *
 * Every call has three outcomes: done, not found (for reads), or an error
 * with a reason (why) for the caller's 4xx and log line; nothing here
 * logs or exits.  The store is opened at its first use, so a session
 * refused before it needs the store never touches it; once it failed in
 * a session, every later call fails at once with the same reason (a
 * Redis server that is down costs one store_timeout a session).
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_KEY_MAX	511	/* LMDB's default key limit */
#define STORE_WHY_MAX	255

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
 * returns 1 to write it back, 0 to leave the store as it was.  On Redis
 * it may be called more than once (another host changed the key
 * meanwhile): it must depend only on its arguments.
 */
typedef int (*store_fn)(struct store_rec *, int, uint64_t, void *);
/* Each record of a walk: key, its length, the record, 1 live/0 expired. */
typedef void (*store_walk_fn)(const char *, size_t, const struct store_rec *,
    int, void *);

/* The setting store, its map size in MB (LMDB) and the timeout in
 * seconds (Redis: connect, and each command): for the first use. */
void	store_setup(const char *, unsigned long, unsigned long);
/* Read-modify-write one key, atomically.  0, or -1 with why. */
int	store_update(const char *, size_t, store_fn, void *, char *, size_t);
/* Read one key: 1 found (not expired), 0 not, -1 error with why. */
int	store_get(const char *, size_t, struct store_rec *, char *, size_t);

/* For smtpfront-store. */
/* Write one record as it is: 0 or -1. */
int	store_put(const char *, size_t, const struct store_rec *, char *,
	    size_t);
/* Delete one key: 1 deleted, 0 not there, -1 error. */
int	store_del(const char *, size_t, char *, size_t);
/* Every record whose key starts with kind (0: all); with del, expired
 * ones are deleted.  The number of records seen, or -1. */
long	store_walk(char, store_walk_fn, void *, int, char *, size_t);
/* A line about the store's size ("pages N of M", "keys N"). */
int	store_about(char *, size_t, char *, size_t);
/* The store as shown in messages, without a password. */
const char *store_name(void);

/* Close (the end of the session). */
void	store_close(void);

#endif
