/*
 * scan.c: start smtpfront-scan, feed it the message, read what matched
 * (see scan.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "proc.h"
#include "scan.h"

#define ANSWER_MAX	16384	/* "match N" lines and "end" */

static const char *self_path = "";
static char	 prog[512];
static pid_t	 pid;
static int	 in = -1, out = -1;
static time_t	 deadline;
static char	 why_feed[128];

void
scan_setup(const char *self)
{
	self_path = self;
}

static void
program(void)
{
	const char *slash = strrchr(self_path, '/');
	size_t d = slash != NULL ? (size_t)(slash - self_path) + 1 : 0;

	if (d + sizeof(SCAN_PROGRAM) > sizeof(prog))
		d = 0;
	memcpy(prog, self_path, d);
	memcpy(prog + d, SCAN_PROGRAM, sizeof(SCAN_PROGRAM));
}

static void
say(char *why, size_t size, const char *a, const char *b)
{
	(void)snprintf(why, size, "%s%s%s", a, b[0] ? ": " : "", b);
}

void
scan_end(void)
{
	int st;

	if (pid > 0)
		(void)proc_kill(pid, &in, &out, &st);
	if (in != -1)
		(void)close(in);
	if (out != -1)
		(void)close(out);
	pid = 0;
	in = out = -1;
}

int
scan_running(void)
{
	return pid > 0 && in != -1;
}

const char *
scan_why(void)
{
	return why_feed;
}

int
scan_start(int rules_fd, unsigned long timeout, char *why, size_t wsize)
{
	char num[16], *argv[4];
	int pin[2], pout[2], fail, fd, e;

	scan_end();
	why_feed[0] = '\0';
	deadline = time(NULL) + (time_t)timeout;
	if (rules_fd < 0) {
		say(why, wsize, "no rules database", "");
		return -1;
	}
	/* its copy of the database: inherited, closed here after the start */
	if ((fd = fcntl(rules_fd, F_DUPFD, 3)) == -1) {
		say(why, wsize, "dup", strerror(errno));
		return -1;
	}
	(void)snprintf(num, sizeof(num), "%d", fd);
	program();
	argv[0] = prog;
	argv[1] = (char *)"-f";
	argv[2] = num;
	argv[3] = NULL;
	if (proc_pipe(pin, PROC_NB_WRITE) == -1) {
		e = errno;
		(void)close(fd);
		say(why, wsize, "pipe", strerror(e));
		return -1;
	}
	if (proc_pipe(pout, PROC_NB_READ) == -1) {
		e = errno;
		(void)close(fd);
		(void)close(pin[0]);
		(void)close(pin[1]);
		say(why, wsize, "pipe", strerror(e));
		return -1;
	}
	pid = proc_spawn(argv, NULL, pin[0], pout[1], -1, &fail);
	e = errno;
	(void)close(fd);
	(void)close(pin[0]);
	(void)close(pout[1]);
	in = pin[1];
	out = pout[0];
	if (pid == -1) {
		pid = 0;
		say(why, wsize, fail == PROC_FAIL_EXEC ?
		    "cannot run " SCAN_PROGRAM : "cannot start " SCAN_PROGRAM,
		    strerror(e));
		scan_end();
		return -1;
	}
	return 0;
}

int
scan_feed(const char *buf, size_t n)
{
	int r;

	if (!scan_running())
		return -1;
	if ((r = proc_write(in, buf, n, deadline)) == 0)
		return 0;
	say(why_feed, sizeof(why_feed), r == PROC_TIMEOUT ?
	    SCAN_PROGRAM " too slow" : "cannot write to " SCAN_PROGRAM,
	    r == PROC_TIMEOUT ? "" : strerror(errno));
	/* its answer is lost: stop it now, the end says why */
	(void)close(in);
	in = -1;
	return -1;
}

int
scan_finish(unsigned char *matched, size_t n, char *why, size_t wsize)
{
	static char ans[ANSWER_MAX + 1];
	size_t got = 0;
	ssize_t r;
	char *p, *nl, *end;
	unsigned long id;
	int st, ended = 0;

	if (pid <= 0) {
		say(why, wsize, "not started", "");
		return -1;
	}
	if (in == -1) {
		say(why, wsize, why_feed[0] ? why_feed : "no helper", "");
		scan_end();
		return -1;
	}
	(void)close(in);
	in = -1;
	for (;;) {
		if (got == ANSWER_MAX) {
			say(why, wsize, SCAN_PROGRAM " said too much", "");
			scan_end();
			return -1;
		}
		r = proc_read(out, ans + got, ANSWER_MAX - got, deadline, 0);
		if (r == PROC_TIMEOUT) {
			say(why, wsize, SCAN_PROGRAM " too slow", "");
			scan_end();
			return -1;
		}
		if (r < 0) {
			say(why, wsize, "read", strerror(errno));
			scan_end();
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	ans[got] = '\0';
	if (proc_reap(pid, &in, &out, deadline + 1, &st) != 0 ||
	    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		pid = 0;
		if ((nl = strchr(ans, '\n')) != NULL)
			*nl = '\0';
		say(why, wsize, SCAN_PROGRAM " failed", strncmp(ans,
		    "error ", 6) == 0 ? ans + 6 : "");
		return -1;
	}
	pid = 0;
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
		say(why, wsize, SCAN_PROGRAM " said nothing sensible", "");
		return -1;
	}
	return 0;
}
