/*
 * scan.c: start smtpfront-scan, feed it the message, read what matched
 * (see scan.h), through feed.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cold.h"
#include "feed.h"
#include "scan.h"

#define ANSWER_MAX	16384	/* "match N" lines and "end" */

static const char *self_path = "";
static struct feed f = { 0, -1, -1, 0, "" };

void
scan_setup(const char *self)
{
	self_path = self;
}

void
scan_end(void)
{
	feed_end(&f);
}

int
scan_start(int rules_fd, unsigned long timeout, char *why, size_t wsize)
{
	char prog[512], num[16], *argv[4];
	int fd, r;

	if (rules_fd < 0) {
		(void)snprintf(why, wsize, "no rules database");
		return -1;
	}
	/* its copy of the database: inherited, closed here after the start */
	if ((fd = fcntl(rules_fd, F_DUPFD, 3)) == -1) {
		(void)snprintf(why, wsize, "dup: %s", strerror(errno));
		return -1;
	}
	(void)snprintf(num, sizeof(num), "%d", fd);
	feed_program(self_path, SCAN_PROGRAM, prog, sizeof(prog));
	argv[0] = prog;
	argv[1] = (char *)"-f";
	argv[2] = num;
	argv[3] = NULL;
	r = feed_start(&f, argv, fd, timeout, why, wsize);
	(void)close(fd);
	return r;
}

int
scan_feed(const char *buf, size_t n)
{
	return feed_write(&f, buf, n);
}

int
scan_finish(unsigned char *matched, size_t n, char *why, size_t wsize)
{
	static COLD char ans[ANSWER_MAX + 1];
	char *p, *nl, *end;
	unsigned long id;
	int ended = 0;
	char w[200];

	if (feed_finish(&f, ans, sizeof(ans), w, sizeof(w)) == -1) {
		(void)snprintf(why, wsize, "%s: %s", SCAN_PROGRAM, w);
		return -1;
	}
	for (p = ans; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		if (strncmp(p, "match ", 6) == 0) {
			id = strtoul(p + 6, &end, 10);
			if (end != p + 6 && *end == '\0' && id < n)
				matched[id] = 1;
		} else if (strncmp(p, "end ", 4) == 0)
			ended = 1;
	}
	if (!ended) {
		(void)snprintf(why, wsize, "%s said nothing sensible",
		    SCAN_PROGRAM);
		return -1;
	}
	return 0;
}
