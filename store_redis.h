/*
 * store_redis.h: the store on a Redis server (store.c sends here what
 * the setting store names redis:// or redis+unix://).  The same calls
 * as store.h, after store_redis_open.
 */
#ifndef STORE_REDIS_H
#define STORE_REDIS_H

#include "store.h"
#include "storeurl.h"

int	store_redis_open(const struct storeurl *, const char *, unsigned long,
	    char *, size_t);
int	store_redis_update(const char *, size_t, store_fn, void *, char *,
	    size_t);
int	store_redis_get(const char *, size_t, struct store_rec *, char *,
	    size_t);
int	store_redis_put(const char *, size_t, const struct store_rec *,
	    char *, size_t);
int	store_redis_del(const char *, size_t, char *, size_t);
long	store_redis_walk(char, store_walk_fn, void *, char *, size_t);
int	store_redis_about(char *, size_t, char *, size_t);
void	store_redis_close(void);

#endif
