/*
 * storeurl.c: the setting store read (see storeurl.h).
 * Input: the setting's value, printable ASCII without blanks (the rules
 * compiler made sure), at most HOSTNAME_MAX bytes.  Every part is
 * bounded by its field and every number by its range; nothing is
 * guessed.
 */
#include <stdio.h>
#include <string.h>

#include "storeurl.h"

#define REDIS		"redis://"
#define REDIS_UNIX	"redis+unix://"
#define PORT_DEFAULT	6379
#define DB_MAX		65535

static int
bad(char *why, size_t wsize, const char *what)
{
	(void)snprintf(why, wsize, "%s", what);
	return -1;
}

/* A decimal number in [min, max], the whole of [p, e). */
static int
number(const char *p, const char *e, unsigned long min, unsigned long max,
    unsigned int *out)
{
	unsigned long v = 0;

	if (p == e || e - p > 6)
		return -1;
	for (; p < e; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int
part(char *dst, const char *p, const char *e)
{
	if ((size_t)(e - p) > STOREURL_PART_MAX)
		return -1;
	memcpy(dst, p, (size_t)(e - p));
	dst[e - p] = '\0';
	return 0;
}

/* [[USER]:PASSWORD@] at p: past it, or -1. */
static const char *
credentials(const char *p, struct storeurl *u)
{
	const char *at = strchr(p, '@'), *colon, *slash = strchr(p, '/');

	if (at == NULL || (slash != NULL && slash < at))
		return p;
	colon = memchr(p, ':', (size_t)(at - p));
	if (colon == NULL || colon + 1 == at)
		return NULL;	/* a password is needed; USER alone means nothing */
	if (part(u->user, p, colon) == -1 ||
	    part(u->password, colon + 1, at) == -1)
		return NULL;
	return at + 1;
}

int
storeurl_parse(const char *v, struct storeurl *u, char *why, size_t wsize)
{
	const char *p, *e, *hostend, *q;

	memset(u, 0, sizeof(*u));
	u->port = PORT_DEFAULT;
	if (strncmp(v, REDIS_UNIX, sizeof(REDIS_UNIX) - 1) == 0) {
		u->kind = STOREURL_REDIS_UNIX;
		if ((p = credentials(v + sizeof(REDIS_UNIX) - 1, u)) == NULL)
			return bad(why, wsize, "bad credentials: "
			    "[USER]:PASSWORD@ before the path");
		if (*p != '/')
			return bad(why, wsize, "redis+unix:// needs an "
			    "absolute socket path");
		e = strchr(p, '?');
		if (e == NULL)
			e = p + strlen(p);
		else if (strncmp(e, "?db=", 4) != 0 ||
		    number(e + 4, e + strlen(e), 0, DB_MAX, &u->db) == -1)
			return bad(why, wsize, "after the socket path only "
			    "?db=N (0-65535)");
		if (part(u->path, p, e) == -1 || e == p + 1)
			return bad(why, wsize, "bad socket path");
		return 0;
	}
	if (strncmp(v, REDIS, sizeof(REDIS) - 1) == 0) {
		u->kind = STOREURL_REDIS;
		if ((p = credentials(v + sizeof(REDIS) - 1, u)) == NULL)
			return bad(why, wsize, "bad credentials: "
			    "[USER]:PASSWORD@ before the host");
		if (*p == '[') {
			if ((hostend = strchr(p, ']')) == NULL ||
			    hostend == p + 1)
				return bad(why, wsize, "an IPv6 host goes in "
				    "brackets: [::1]");
			if (part(u->host, p + 1, hostend) == -1)
				return bad(why, wsize, "host too long");
			q = hostend + 1;
		} else {
			for (q = p; *q != '\0' && *q != ':' && *q != '/'; q++)
				;
			if (q == p || part(u->host, p, q) == -1)
				return bad(why, wsize, "no host, or too long");
		}
		if (*q == ':') {
			for (e = q + 1; *e != '\0' && *e != '/'; e++)
				;
			if (number(q + 1, e, 1, 65535, &u->port) == -1)
				return bad(why, wsize, "port must be 1-65535");
			q = e;
		}
		if (*q == '/' && q[1] != '\0') {
			if (number(q + 1, q + strlen(q), 0, DB_MAX, &u->db)
			    == -1)
				return bad(why, wsize, "database must be "
				    "0-65535");
		} else if (*q != '\0' && strcmp(q, "/") != 0)
			return bad(why, wsize, "after the host only :PORT and "
			    "/DB");
		return 0;
	}
	if (strstr(v, "://") != NULL)
		return bad(why, wsize, "a store is a path, redis:// or "
		    "redis+unix://");
	if (v[0] == '\0')
		return bad(why, wsize, "no store");
	u->kind = STOREURL_LMDB;
	if (part(u->path, v, v + strlen(v)) == -1)
		return bad(why, wsize, "path too long");
	return 0;
}

void
storeurl_show(const struct storeurl *u, char *out, size_t size)
{
	const char *pw = u->password[0] != '\0' ? ":*@" : "";

	switch (u->kind) {
	case STOREURL_REDIS_UNIX:
		(void)snprintf(out, size, "redis+unix://%s%s?db=%u", pw,
		    u->path, u->db);
		break;
	case STOREURL_REDIS:
		(void)snprintf(out, size, strchr(u->host, ':') != NULL ?
		    "redis://%s[%s]:%u/%u" : "redis://%s%s:%u/%u", pw,
		    u->host, u->port, u->db);
		break;
	default:
		(void)snprintf(out, size, "%s", u->path);
		break;
	}
}
