/*
 * store_redis.c: the store on Redis, through hiredis (see store.h).
 * One connection a session, made at the first call with a connect
 * timeout of store_timeout seconds, which also bounds every read and
 * write after it (SO_RCVTIMEO, SO_SNDTIMEO); AUTH and SELECT when the
 * setting asks.  A key is "smtpfront:" and store.h's key; its value is
 * text, "FIRST LAST EXPIRES COUNT FLAGS" (decimal; readable with
 * redis-cli), and the key expires with the record (EXPIREAT), so Redis
 * forgets what smtpfront would ignore.
 * A read-modify-write is optimistic: WATCH and GET, then MULTI, SET,
 * EXPIREAT, EXEC, each pair of steps in one write; an EXEC refused
 * because another session changed the key starts over, at most RETRIES
 * times.  No update is lost, as on LMDB.
 * Failure: a connection that fails, times out or answers garbage is
 * closed and every later call of the session fails at once (store.c);
 * an error reply (NOAUTH, OOM, READONLY) is the reason, made printable
 * and cut.  The caller answers 4xx or passes, per its tempfail action.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <hiredis/hiredis.h>

#include "store_redis.h"

#define PREFIX		"smtpfront:"
#define PREFIX_LEN	(sizeof(PREFIX) - 1)
#define RETRIES		64
#define VALUE_MAX	128
#define SCAN_COUNT	"1000"

static redisContext *rc;
static char	 where[STOREURL_PART_MAX * 2 + 64];
static int	 dead;			/* lost in this session */
static char	 dead_why[STORE_WHY_MAX + 1];

/* Outside text into why: printable, cut. */
static int
why_text(char *why, size_t wsize, const char *what, const char *txt,
    size_t len)
{
	char clean[160];
	size_t i;

	if (len > sizeof(clean) - 1)
		len = sizeof(clean) - 1;
	for (i = 0; i < len; i++)
		clean[i] = txt[i] >= 32 && txt[i] < 127 ? txt[i] : '?';
	clean[i] = '\0';
	(void)snprintf(why, wsize, "store %s: %s: %s", where, what, clean);
	return -1;
}

/* The connection is no good any more: say why, close it. */
static int
lost(char *why, size_t wsize, const char *what)
{
	const char *e = rc != NULL && rc->err ? rc->errstr : "no reply";

	if (rc != NULL && rc->err == REDIS_ERR_IO && errno == EAGAIN)
		e = "timed out";
	(void)why_text(why, wsize, what, e, strlen(e));
	(void)snprintf(dead_why, sizeof(dead_why), "%s", why);
	dead = 1;
	if (rc != NULL)
		redisFree(rc);
	rc = NULL;
	return -1;
}

static redisReply *
command(const char *what, char *why, size_t wsize, const char *fmt, ...)
{
	redisReply *r;
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(rc, fmt, ap);
	va_end(ap);
	if (r == NULL) {
		(void)lost(why, wsize, what);
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		(void)why_text(why, wsize, what, r->str, r->len);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* The next of the replies to commands appended: NULL on a lost
 * connection (closed) or an error reply (why). */
static redisReply *
next(const char *what, char *why, size_t wsize)
{
	void *p = NULL;
	redisReply *r;

	if (redisGetReply(rc, &p) != REDIS_OK || p == NULL) {
		(void)lost(why, wsize, what);
		return NULL;
	}
	r = p;
	if (r->type == REDIS_REPLY_ERROR) {
		(void)why_text(why, wsize, what, r->str, r->len);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

int
store_redis_open(const struct storeurl *u, const char *name,
    unsigned long timeout, char *why, size_t wsize)
{
	struct timeval tv;
	redisReply *r;

	if (rc != NULL)
		return 0;
	if (dead) {
		(void)snprintf(why, wsize, "%s", dead_why);
		return -1;
	}
	(void)snprintf(where, sizeof(where), "%s", name);
	tv.tv_sec = (time_t)timeout;
	tv.tv_usec = 0;
	if (u->kind == STOREURL_REDIS_UNIX)
		rc = redisConnectUnixWithTimeout(u->path, tv);
	else
		rc = redisConnectWithTimeout(u->host, (int)u->port, tv);
	if (rc == NULL || rc->err)
		return lost(why, wsize, "connect");
	if (redisSetTimeout(rc, tv) != REDIS_OK)
		return lost(why, wsize, "timeout");
	if (u->password[0] != '\0') {
		r = u->user[0] != '\0' ?
		    command("AUTH", why, wsize, "AUTH %s %s", u->user,
		    u->password) :
		    command("AUTH", why, wsize, "AUTH %s", u->password);
		if (r == NULL)
			goto fail;
		freeReplyObject(r);
	}
	if (u->db != 0) {
		if ((r = command("SELECT", why, wsize, "SELECT %u", u->db))
		    == NULL)
			goto fail;
		freeReplyObject(r);
	}
	return 0;
fail:
	(void)snprintf(dead_why, sizeof(dead_why), "%s", why);
	dead = 1;
	if (rc != NULL)
		redisFree(rc);
	rc = NULL;
	return -1;
}

/* The record in a value: 1 parsed, 0 malformed. */
static int
parse(const char *s, size_t len, struct store_rec *rec)
{
	char buf[VALUE_MAX];
	unsigned long long f, l, e;
	unsigned long c, fl;
	int used = 0;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (sscanf(buf, "%llu %llu %llu %lu %lu%n", &f, &l, &e, &c, &fl,
	    &used) != 5 || (size_t)used != len || c > UINT32_MAX ||
	    fl > UINT32_MAX)
		return 0;
	rec->first = f;
	rec->last = l;
	rec->expires = e;
	rec->count = (uint32_t)c;
	rec->flags = (uint32_t)fl;
	return 1;
}

static size_t
format(char *buf, size_t size, const struct store_rec *rec)
{
	int n = snprintf(buf, size, "%llu %llu %llu %lu %lu",
	    (unsigned long long)rec->first, (unsigned long long)rec->last,
	    (unsigned long long)rec->expires, (unsigned long)rec->count,
	    (unsigned long)rec->flags);

	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

static size_t
rkey(char *buf, const char *key, size_t klen)
{
	memcpy(buf, PREFIX, PREFIX_LEN);
	memcpy(buf + PREFIX_LEN, key, klen);
	return PREFIX_LEN + klen;
}

int
store_redis_update(const char *key, size_t klen, store_fn fn, void *arg,
    char *why, size_t wsize)
{
	char k[PREFIX_LEN + STORE_KEY_MAX], val[VALUE_MAX];
	struct store_rec rec;
	redisReply *r;
	uint64_t t;
	size_t kl = rkey(k, key, klen), vl;
	int tries, found, put, i, ok;

	for (tries = 0; tries < RETRIES; tries++) {
		if (redisAppendCommand(rc, "WATCH %b", k, kl) != REDIS_OK ||
		    redisAppendCommand(rc, "GET %b", k, kl) != REDIS_OK)
			return lost(why, wsize, "WATCH");
		if ((r = next("WATCH", why, wsize)) == NULL)
			return -1;
		freeReplyObject(r);
		if ((r = next("GET", why, wsize)) == NULL)
			return -1;
		t = (uint64_t)time(NULL);
		found = r->type == REDIS_REPLY_STRING &&
		    parse(r->str, r->len, &rec) && rec.expires > t;
		freeReplyObject(r);
		if (!found)
			memset(&rec, 0, sizeof(rec));
		put = fn(&rec, found, t, arg);
		if (!put) {
			if ((r = command("UNWATCH", why, wsize, "UNWATCH")) ==
			    NULL)
				return -1;
			freeReplyObject(r);
			return 0;
		}
		if ((vl = format(val, sizeof(val), &rec)) == 0)
			return why_text(why, wsize, "SET", "record", 6);
		if (redisAppendCommand(rc, "MULTI") != REDIS_OK ||
		    redisAppendCommand(rc, "SET %b %b", k, kl, val, vl) !=
		    REDIS_OK ||
		    redisAppendCommand(rc, "EXPIREAT %b %llu", k, kl,
		    (unsigned long long)rec.expires) != REDIS_OK ||
		    redisAppendCommand(rc, "EXEC") != REDIS_OK)
			return lost(why, wsize, "MULTI");
		ok = 1;
		for (i = 0; i < 3; i++) {
			/* MULTI +OK, then +QUEUED twice; an error reply
			 * here makes EXEC fail too, read it all the same */
			if ((r = next("MULTI", why, wsize)) == NULL) {
				if (rc == NULL)
					return -1;
				ok = 0;
				continue;
			}
			freeReplyObject(r);
		}
		if ((r = next("EXEC", why, wsize)) == NULL)
			return -1;
		if (!ok) {
			freeReplyObject(r);
			return -1;
		}
		if (r->type == REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return 0;
		}
		freeReplyObject(r);	/* nil: the key changed, again */
	}
	(void)snprintf(why, wsize, "store %s: %d tries, the key kept "
	    "changing", where, RETRIES);
	return -1;
}

int
store_redis_get(const char *key, size_t klen, struct store_rec *rec,
    char *why, size_t wsize)
{
	char k[PREFIX_LEN + STORE_KEY_MAX];
	redisReply *r;
	size_t kl = rkey(k, key, klen);
	int found;

	if ((r = command("GET", why, wsize, "GET %b", k, kl)) == NULL)
		return -1;
	found = r->type == REDIS_REPLY_STRING && parse(r->str, r->len, rec) &&
	    rec->expires > (uint64_t)time(NULL);
	freeReplyObject(r);
	return found;
}

int
store_redis_put(const char *key, size_t klen, const struct store_rec *rec,
    char *why, size_t wsize)
{
	char k[PREFIX_LEN + STORE_KEY_MAX], val[VALUE_MAX];
	redisReply *r;
	size_t kl = rkey(k, key, klen), vl = format(val, sizeof(val), rec);

	if (vl == 0)
		return why_text(why, wsize, "SET", "record", 6);
	if ((r = command("SET", why, wsize, "SET %b %b", k, kl, val, vl)) ==
	    NULL)
		return -1;
	freeReplyObject(r);
	if ((r = command("EXPIREAT", why, wsize, "EXPIREAT %b %llu", k, kl,
	    (unsigned long long)rec->expires)) == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int
store_redis_del(const char *key, size_t klen, char *why, size_t wsize)
{
	char k[PREFIX_LEN + STORE_KEY_MAX];
	redisReply *r;
	size_t kl = rkey(k, key, klen);
	int n;

	if ((r = command("DEL", why, wsize, "DEL %b", k, kl)) == NULL)
		return -1;
	n = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
	freeReplyObject(r);
	return n;
}

/* Each key of one SCAN batch: its value, to fn. */
static long
batch(const redisReply *keys, store_walk_fn fn, void *arg, char *why,
    size_t wsize)
{
	struct store_rec rec;
	redisReply *r;
	uint64_t t = (uint64_t)time(NULL);
	long n = 0;
	size_t i;
	int live;

	for (i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];

		if (k->type != REDIS_REPLY_STRING || k->len <= PREFIX_LEN)
			continue;
		if ((r = command("GET", why, wsize, "GET %b", k->str,
		    k->len)) == NULL)
			return -1;
		if (r->type == REDIS_REPLY_STRING) {	/* not gone meanwhile */
			if (!parse(r->str, r->len, &rec))
				memset(&rec, 0, sizeof(rec));
			live = rec.expires > t;
			fn(k->str + PREFIX_LEN, k->len - PREFIX_LEN, &rec, live,
			    arg);
			n++;
		}
		freeReplyObject(r);
	}
	return n;
}

long
store_redis_walk(char kind, store_walk_fn fn, void *arg, char *why,
    size_t wsize)
{
	char cursor[32] = "0", match[PREFIX_LEN + 4];
	redisReply *r;
	long n = 0, b;

	(void)snprintf(match, sizeof(match), kind != '\0' ? "%s%c *" : "%s*",
	    PREFIX, kind);
	do {
		if ((r = command("SCAN", why, wsize, "SCAN %s MATCH %s COUNT "
		    SCAN_COUNT, cursor, match)) == NULL)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[0]->len >= sizeof(cursor) ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return why_text(why, wsize, "SCAN", "bad reply", 9);
		}
		memcpy(cursor, r->element[0]->str, r->element[0]->len);
		cursor[r->element[0]->len] = '\0';
		b = batch(r->element[1], fn, arg, why, wsize);
		freeReplyObject(r);
		if (b == -1)
			return -1;
		n += b;
	} while (strcmp(cursor, "0") != 0);
	return n;
}

int
store_redis_about(char *out, size_t size, char *why, size_t wsize)
{
	redisReply *r;

	if ((r = command("DBSIZE", why, wsize, "DBSIZE")) == NULL)
		return -1;
	(void)snprintf(out, size, "keys %lld in the database (every "
	    "program's), expired by Redis", r->type == REDIS_REPLY_INTEGER ?
	    r->integer : 0LL);
	freeReplyObject(r);
	return 0;
}

void
store_redis_close(void)
{
	if (rc != NULL)
		redisFree(rc);
	rc = NULL;
}
