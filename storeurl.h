/*
 * storeurl.h: where the store is, read from the setting store: an LMDB
 * file (a path) or a Redis server,
 *
 *   redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]
 *   redis+unix://[[USER]:PASSWORD@]/PATH[?db=DB]
 *
 * HOST a name, an IPv4 address or an IPv6 address in brackets; PORT
 * 6379 by default, DB 0.  Shared by smtpfront, smtpfront-cdb (which
 * refuses a bad one with its line) and smtpfront-store.
 */
#ifndef STOREURL_H
#define STOREURL_H

#include <stddef.h>

#define STOREURL_PART_MAX	255

enum storeurl_kind { STOREURL_LMDB, STOREURL_REDIS, STOREURL_REDIS_UNIX };

struct storeurl {
	enum storeurl_kind kind;
	char		 path[STOREURL_PART_MAX + 1];	/* LMDB file, socket */
	char		 host[STOREURL_PART_MAX + 1];
	unsigned int	 port;
	unsigned int	 db;
	char		 user[STOREURL_PART_MAX + 1];	/* "": AUTH PASSWORD */
	char		 password[STOREURL_PART_MAX + 1];	/* "": no AUTH */
};

/* Parse; 0, or -1 with why. */
int	storeurl_parse(const char *, struct storeurl *, char *, size_t);
/* The setting without its password, for logs and messages. */
void	storeurl_show(const struct storeurl *, char *, size_t);

#endif
