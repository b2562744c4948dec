/*
 * store.c: the store (see store.h): the setting read once, the calls
 * sent to LMDB (here) or Redis (store_redis.c).
 * LMDB: opened at the first call with MDB_NOSUBDIR (the file and
 * PATH-lock beside it), MDB_NOSYNC (a crash may lose the last seconds of
 * greylisting, never the file), a map of store_size MB, room for 1,024
 * processes at once; readers left behind by killed processes are
 * cleared at each open (mdb_reader_check), so they cannot pin old pages
 * until the map is full.  A map grown by another process is taken up
 * (MDB_MAP_RESIZED) and the call retried.
 * Failure: -1 with why ("store full ..." when the map is full); the
 * caller answers 4xx.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <lmdb.h>

#include "store.h"
#include "store_redis.h"
#include "storeurl.h"

#define MAXREADERS	1024
#define MB		(1024UL * 1024UL)

static struct storeurl where;
static char	 name[STOREURL_PART_MAX * 2 + 64];
static char	 setup_why[STORE_WHY_MAX + 1];
static int	 setup_bad;
static char	 failed[STORE_WHY_MAX + 1];	/* the session's failure */
static unsigned long size_mb = 64;
static unsigned long timeout_s = 2;
/* the setting, read at its first use; initialised, so that noting it
 * writes the data page the other settings share, not a page of its own */
static const char *setting_p = "";
static int	 parsed = -1;		/* -1, 0: not yet; 1: read */

static MDB_env	*env;
static MDB_dbi	 dbi;
static int	 opened;

/*
 * Only noted here: the setting is read at the first use, so that a
 * session that never needs the store writes none of its pages (a held
 * session's memory is mostly the pages it wrote).
 */
void
store_setup(const char *setting, unsigned long mb, unsigned long timeout)
{
	size_mb = mb;
	timeout_s = timeout;
	setting_p = setting;
	parsed = 0;
}

/* The setting read, at the first use: 0, or -1 (setup_why). */
static int
parse_setting(void)
{
	if (parsed == 1)
		return setup_bad ? -1 : 0;
	parsed = 1;
	failed[0] = '\0';
	setup_bad = 0;
	if (setting_p == NULL || setting_p[0] == '\0') {
		setup_bad = 1;
		(void)snprintf(setup_why, sizeof(setup_why),
		    "no store set (the setting store)");
		return -1;
	}
	if (storeurl_parse(setting_p, &where, setup_why, sizeof(setup_why))
	    == -1) {
		setup_bad = 1;
		return -1;
	}
	storeurl_show(&where, name, sizeof(name));
	return 0;
}

const char *
store_name(void)
{
	(void)parse_setting();
	return name;
}

static int
fail(char *why, size_t wsize, const char *what, int r)
{
	if (r == MDB_MAP_FULL)
		(void)snprintf(why, wsize, "store full (%s, %lu MB): raise "
		    "store_size or expire it", where.path, size_mb);
	else
		(void)snprintf(why, wsize, "store %s: %s: %s", where.path,
		    what, mdb_strerror(r));
	return -1;
}

/* Open the store at its first use: 0, or -1 with why (and every later
 * call of the session fails the same way). */
static int
open_store(char *why, size_t wsize)
{
	MDB_txn *txn;
	int r, dead;

	if (parse_setting() == -1) {
		(void)snprintf(why, wsize, "%s", setup_why);
		return -1;
	}
	if (failed[0] != '\0') {
		(void)snprintf(why, wsize, "%s", failed);
		return -1;
	}
	if (where.kind != STOREURL_LMDB) {
		if (store_redis_open(&where, name, timeout_s, why, wsize) ==
		    -1) {
			(void)snprintf(failed, sizeof(failed), "%s", why);
			return -1;
		}
		return 0;
	}
	if (opened)
		return 0;
	if ((r = mdb_env_create(&env)) != 0)
		return fail(why, wsize, "create", r);
	if ((r = mdb_env_set_mapsize(env, (size_t)size_mb * MB)) != 0 ||
	    (r = mdb_env_set_maxreaders(env, MAXREADERS)) != 0 ||
	    (r = mdb_env_open(env, where.path, MDB_NOSUBDIR | MDB_NOSYNC,
	    0660)) != 0) {
		mdb_env_close(env);
		env = NULL;
		(void)fail(why, wsize, "open", r);
		(void)snprintf(failed, sizeof(failed), "%s", why);
		return -1;
	}
	(void)mdb_reader_check(env, &dead);
	if ((r = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (r = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0 ||
	    (r = mdb_txn_commit(txn)) != 0) {
		mdb_env_close(env);
		env = NULL;
		(void)fail(why, wsize, "open", r);
		(void)snprintf(failed, sizeof(failed), "%s", why);
		return -1;
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

static int
bad_key(size_t klen, char *why, size_t wsize)
{
	if (klen == 0 || klen > STORE_KEY_MAX) {
		(void)snprintf(why, wsize, "store key length %zu", klen);
		return 1;
	}
	return 0;
}

/* A write transaction, taking up a map another process grew. */
static int
begin(MDB_txn **txn, unsigned int flags)
{
	int r;

	r = mdb_txn_begin(env, NULL, flags, txn);
	if (r == MDB_MAP_RESIZED && mdb_env_set_mapsize(env, 0) == 0)
		r = mdb_txn_begin(env, NULL, flags, txn);
	return r;
}

int
store_update(const char *key, size_t klen, store_fn fn, void *arg,
    char *why, size_t wsize)
{
	struct store_rec rec;
	MDB_txn *txn;
	MDB_val k, v;
	uint64_t t;
	int r, found, put;

	if (bad_key(klen, why, wsize) || open_store(why, wsize) == -1)
		return -1;
	if (where.kind != STOREURL_LMDB)
		return store_redis_update(key, klen, fn, arg, why, wsize);
	if ((r = begin(&txn, 0)) != 0)
		return fail(why, wsize, "begin", r);
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
	if (open_store(why, wsize) == -1)
		return -1;
	if (where.kind != STOREURL_LMDB)
		return store_redis_get(key, klen, rec, why, wsize);
	if ((r = begin(&txn, MDB_RDONLY)) != 0)
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

int
store_put(const char *key, size_t klen, const struct store_rec *rec,
    char *why, size_t wsize)
{
	MDB_txn *txn;
	MDB_val k, v;
	int r;

	if (bad_key(klen, why, wsize) || open_store(why, wsize) == -1)
		return -1;
	if (where.kind != STOREURL_LMDB)
		return store_redis_put(key, klen, rec, why, wsize);
	k.mv_data = (void *)key;
	k.mv_size = klen;
	v.mv_data = (void *)rec;
	v.mv_size = sizeof(*rec);
	if ((r = begin(&txn, 0)) != 0)
		return fail(why, wsize, "begin", r);
	if ((r = mdb_put(txn, dbi, &k, &v, 0)) != 0) {
		mdb_txn_abort(txn);
		return fail(why, wsize, "put", r);
	}
	if ((r = mdb_txn_commit(txn)) != 0)
		return fail(why, wsize, "commit", r);
	return 0;
}

int
store_del(const char *key, size_t klen, char *why, size_t wsize)
{
	MDB_txn *txn;
	MDB_val k;
	int r;

	if (bad_key(klen, why, wsize) || open_store(why, wsize) == -1)
		return -1;
	if (where.kind != STOREURL_LMDB)
		return store_redis_del(key, klen, why, wsize);
	k.mv_data = (void *)key;
	k.mv_size = klen;
	if ((r = begin(&txn, 0)) != 0)
		return fail(why, wsize, "begin", r);
	r = mdb_del(txn, dbi, &k, NULL);
	if (r == MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return 0;
	}
	if (r != 0) {
		mdb_txn_abort(txn);
		return fail(why, wsize, "delete", r);
	}
	if ((r = mdb_txn_commit(txn)) != 0)
		return fail(why, wsize, "commit", r);
	return 1;
}

long
store_walk(char kind, store_walk_fn fn, void *arg, int del, char *why,
    size_t wsize)
{
	struct store_rec rec;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t t = now();
	long n = 0;
	int r, live;
	MDB_cursor_op op = MDB_FIRST;

	if (open_store(why, wsize) == -1)
		return -1;
	if (where.kind != STOREURL_LMDB)
		return store_redis_walk(kind, fn, arg, why, wsize);
	if ((r = begin(&txn, del ? 0 : MDB_RDONLY)) != 0)
		return fail(why, wsize, "begin", r);
	if ((r = mdb_cursor_open(txn, dbi, &cur)) != 0) {
		mdb_txn_abort(txn);
		return fail(why, wsize, "cursor", r);
	}
	while ((r = mdb_cursor_get(cur, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		if (kind != '\0' && (k.mv_size < 2 ||
		    ((const char *)k.mv_data)[0] != kind))
			continue;
		n++;
		live = record(&v, &rec, t);
		if (v.mv_size != sizeof(rec))
			memset(&rec, 0, sizeof(rec));
		fn(k.mv_data, k.mv_size, &rec, live, arg);
		if (del && !live && (r = mdb_cursor_del(cur, 0)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (r != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return fail(why, wsize, "walk", r);
	}
	if (!del)
		mdb_txn_abort(txn);
	else if ((r = mdb_txn_commit(txn)) != 0)
		return fail(why, wsize, "commit", r);
	return n;
}

int
store_about(char *out, size_t size, char *why, size_t wsize)
{
	MDB_txn *txn;
	MDB_stat st;
	MDB_envinfo info;
	int r;

	if (open_store(why, wsize) == -1)
		return -1;
	if (where.kind != STOREURL_LMDB)
		return store_redis_about(out, size, why, wsize);
	if ((r = begin(&txn, MDB_RDONLY)) != 0)
		return fail(why, wsize, "begin", r);
	(void)mdb_stat(txn, dbi, &st);
	mdb_txn_abort(txn);
	(void)mdb_env_info(env, &info);
	(void)snprintf(out, size, "pages %lu of %lu (page %u bytes)",
	    (unsigned long)info.me_last_pgno + 1,
	    (unsigned long)(info.me_mapsize / st.ms_psize), st.ms_psize);
	return 0;
}

void
store_close(void)
{
	if (opened)
		mdb_env_close(env);
	env = NULL;
	opened = 0;
	store_redis_close();
}
