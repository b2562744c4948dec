/*
 * policy.c: the policy delegation protocol's client (see policy.h).
 * (POLICY_PARSE_ONLY builds policy_parse alone, for fuzz/fuzz-policy.)
 * Input: the server's answer, at most ANSWER_MAX bytes; its lines are
 * name=value, only action= is used, its value is cut and made
 * printable.  Every connect, write and read has the deadline the caller
 * gives; a late or broken answer closes the connection, so a reply
 * meant for an earlier question is never taken for a later one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "proc.h"
#include "resolver.h"

#define ANSWER_MAX	4096

#ifndef POLICY_PARSE_ONLY
#define INET		"inet:"
#define UNIX		"unix:"

static int	 fd = -1;
static int	 job = -1;
static unsigned long timeout_s;

void
policy_end(void)
{
	if (fd != -1)
		close(fd);
	fd = -1;
	job = -1;
}

static int
fail(char *why, size_t wsize, const char *a, const char *b)
{
	(void)snprintf(why, wsize, "%s%s%s", a, b[0] ? ": " : "", b);
	policy_end();
	return -1;
}

int
policy_ask(const char *server, const char *req, size_t len, int need,
    unsigned long timeout, char *why, size_t wsize)
{
	char buf[POLICY_REQUEST_MAX + 1];
	time_t deadline = time(NULL) + (time_t)timeout;
	const char *spec;

	timeout_s = timeout;
	if (len + 1 > sizeof(buf))
		return fail(why, wsize, "request too long", "");
	if (fd == -1) {
		if (strncmp(server, INET, sizeof(INET) - 1) == 0)
			spec = server + sizeof(INET) - 1;
		else if (strncmp(server, UNIX, sizeof(UNIX) - 1) == 0 &&
		    server[sizeof(UNIX) - 1] == '/')
			spec = server + sizeof(UNIX) - 1;
		else
			return fail(why, wsize, server, "not inet:HOST:PORT "
			    "or unix:/PATH");
		if ((fd = proc_connect(spec, deadline, why, wsize)) == -1)
			return -1;
	}
	memcpy(buf, req, len);
	buf[len] = '\n';		/* the empty line that ends it */
	if (proc_write(fd, buf, len + 1, deadline) != 0)
		return fail(why, wsize, "write", errno == EPIPE ?
		    "the server closed the connection" : strerror(errno));
	job = resolver_watch(fd, need, timeout * 1000);
	if (job == -1)
		return fail(why, wsize, "no query slot left", "");
	return job;
}

int
policy_get(int q, char *action, size_t asize, char *why, size_t wsize)
{
	char buf[ANSWER_MAX + 1];
	size_t got = 0;
	ssize_t r;
	time_t deadline = time(NULL) + (time_t)timeout_s;

	if (q == -1 || q != job || fd == -1)
		return fail(why, wsize, "no question asked", "");
	if (resolver_status(q) != RESOLVER_FOUND)
		return fail(why, wsize, "no answer", resolver_why(q));
	job = -1;
	/* to the empty line that ends the answer */
	for (;;) {
		if (got >= 2 && memcmp(buf + got - 2, "\n\n", 2) == 0)
			break;
		if (got == sizeof(buf) - 1)
			return fail(why, wsize, "answer too long", "");
		r = proc_read(fd, buf + got, sizeof(buf) - 1 - got, deadline,
		    got == 0);
		if (r == PROC_TIMEOUT)
			return fail(why, wsize, "answer cut short", "timeout");
		if (r < 0)
			return fail(why, wsize, "read", strerror(errno));
		if (r == 0)
			return fail(why, wsize, "the server closed the "
			    "connection", "");
		got += (size_t)r;
	}
	switch (policy_parse(buf, got, action, asize)) {
	case 0:
		return 0;
	case -2:
		return fail(why, wsize, "more than one answer", "");
	default:
		return fail(why, wsize, "no action= in the answer", "");
	}
}

#endif /* POLICY_PARSE_ONLY */

int
policy_parse(const char *ans, size_t len, char *action, size_t asize)
{
	const char *p = ans, *end = ans + len, *nl;
	size_t n, i;

	if (asize == 0 || len < 2 || memcmp(end - 2, "\n\n", 2) != 0)
		return -1;
	if (memmem(ans, len - 2, "\n\n", 2) != NULL)
		return -2;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		if ((size_t)(nl - p) < 7 || memcmp(p, "action=", 7) != 0)
			continue;
		p += 7;
		n = (size_t)(nl - p);
		if (n > asize - 1)
			n = asize - 1;
		for (i = 0; i < n; i++)
			action[i] = (unsigned char)p[i] < 32 ||
			    (unsigned char)p[i] > 126 ? '?' : p[i];
		action[n] = '\0';
		return 0;
	}
	return -1;
}
