/*
 * store.c: the store on LMDB (see store.h).
 * Input: a path from the rules (store), opened at the first call with
 * MDB_NOSUBDIR (the file and PATH-lock beside it), MDB_NOSYNC (a crash
 * may lose the last seconds of greylisting, never the file), a map of
 * store_size MB, room for 1,024 processes at once; readers left behind
 * by killed processes are cleared at each open (mdb_reader_check), so
 * they cannot pin old pages until the map is full.  A map grown by
 * another process is taken up (MDB_MAP_RESIZED) and the call retried.
 * Failure: -1 with why ("store full ..." when the map is full); the
 * caller answers 4xx.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <lmdb.h>

#include "store.h"

#define MAXREADERS	1024
#define MB		(1024UL * 1024UL)

static MDB_env	*env;
static MDB_dbi	 dbi;
static int	 opened;
static char	 path[1024];
static unsigned long size_mb = 64;

void
store_setup(const char *p, unsigned long mb)
{
	(void)snprintf(path, sizeof(path), "%s", p);
	size_mb = mb;
}

static int
fail(char *why, size_t wsize, const char *what, int r)
{
	if (r == MDB_MAP_FULL)
		(void)snprintf(why, wsize, "store full (%s, %lu MB): raise "
		    "store_size or expire it", path, size_mb);
	else
		(void)snprintf(why, wsize, "store %s: %s: %s", path, what,
		    mdb_strerror(r));
	return -1;
}

static int
open_env(char *why, size_t wsize)
{
	MDB_txn *txn;
	int r, dead;

	if (opened)
		return 0;
	if (path[0] == '\0') {
		(void)snprintf(why, wsize, "no store set (the setting store)");
		return -1;
	}
	if ((r = mdb_env_create(&env)) != 0)
		return fail(why, wsize, "create", r);
	if ((r = mdb_env_set_mapsize(env, (size_t)size_mb * MB)) != 0 ||
	    (r = mdb_env_set_maxreaders(env, MAXREADERS)) != 0 ||
	    (r = mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOSYNC, 0660))
	    != 0) {
		mdb_env_close(env);
		env = NULL;
		return fail(why, wsize, "open", r);
	}
	(void)mdb_reader_check(env, &dead);
	if ((r = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (r = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0 ||
	    (r = mdb_txn_commit(txn)) != 0) {
		mdb_env_close(env);
		env = NULL;
		return fail(why, wsize, "open", r);
	}
	opened = 1;
	return 0;
}

static uint64_t
now(void)
{
	return (uint64_t)time(NULL);
}

/* The record of a found value: 1, or 0 when it is malformed or expired. */
static int
record(const MDB_val *v, struct store_rec *rec, uint64_t t)
{
	if (v->mv_size != sizeof(*rec))
		return 0;
	memcpy(rec, v->mv_data, sizeof(*rec));
	return rec->expires > t;
}

int
store_update(const char *key, size_t klen, store_fn fn, void *arg,
    char *why, size_t wsize)
{
	struct store_rec rec;
	MDB_txn *txn;
	MDB_val k, v;
	uint64_t t;
	int r, found, retried = 0, put;

	if (klen == 0 || klen > STORE_KEY_MAX) {
		(void)snprintf(why, wsize, "store key length %zu", klen);
		return -1;
	}
	if (open_env(why, wsize) == -1)
		return -1;
again:
	if ((r = mdb_txn_begin(env, NULL, 0, &txn)) != 0) {
		if (r == MDB_MAP_RESIZED && !retried++ &&
		    mdb_env_set_mapsize(env, 0) == 0)
			goto again;
		return fail(why, wsize, "begin", r);
	}
	k.mv_data = (void *)key;
	k.mv_size = klen;
	t = now();
	r = mdb_get(txn, dbi, &k, &v);
	if (r != 0 && r != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return fail(why, wsize, "get", r);
	}
	found = r == 0 && record(&v, &rec, t);
	if (!found)
		memset(&rec, 0, sizeof(rec));
	put = fn(&rec, found, t, arg);
	if (!put) {
		mdb_txn_abort(txn);
		return 0;
	}
	v.mv_data = &rec;
	v.mv_size = sizeof(rec);
	if ((r = mdb_put(txn, dbi, &k, &v, 0)) != 0) {
		mdb_txn_abort(txn);
		return fail(why, wsize, "put", r);
	}
	if ((r = mdb_txn_commit(txn)) != 0)
		return fail(why, wsize, "commit", r);
	return 0;
}

int
store_get(const char *key, size_t klen, struct store_rec *rec, char *why,
    size_t wsize)
{
	MDB_txn *txn;
	MDB_val k, v;
	int r, found;

	if (klen == 0 || klen > STORE_KEY_MAX)
		return 0;
	if (open_env(why, wsize) == -1)
		return -1;
	if ((r = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0)
		return fail(why, wsize, "begin", r);
	k.mv_data = (void *)key;
	k.mv_size = klen;
	r = mdb_get(txn, dbi, &k, &v);
	if (r != 0 && r != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return fail(why, wsize, "get", r);
	}
	found = r == 0 && record(&v, rec, now());
	mdb_txn_abort(txn);
	return found;
}

void
store_close(void)
{
	if (opened)
		mdb_env_close(env);
	env = NULL;
	opened = 0;
}
