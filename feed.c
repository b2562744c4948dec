/*
 * feed.c: a helper program fed one message (see feed.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "feed.h"
#include "proc.h"

void
feed_init(struct feed *f)
{
	f->pid = 0;
	f->in = f->out = -1;
	f->deadline = 0;
	f->why[0] = '\0';
}

void
feed_program(const char *self, const char *name, char *out, size_t size)
{
	const char *slash = strrchr(self, '/');
	size_t d = slash != NULL ? (size_t)(slash - self) + 1 : 0;
	size_t n = strlen(name);

	if (size == 0)
		return;
	if (d + n + 1 > size)
		d = 0;
	if (n + 1 > size)
		n = size - 1;
	memcpy(out, self, d);
	memcpy(out + d, name, n);
	out[d + n] = '\0';
}

static void
say(char *why, size_t size, const char *a, const char *b)
{
	(void)snprintf(why, size, "%s%s%s", a, b[0] ? ": " : "", b);
}

void
feed_end(struct feed *f)
{
	int st;

	if (f->pid > 0)
		(void)proc_kill(f->pid, &f->in, &f->out, &st);
	if (f->in != -1)
		(void)close(f->in);
	if (f->out != -1)
		(void)close(f->out);
	f->pid = 0;
	f->in = f->out = -1;
}

int
feed_running(const struct feed *f)
{
	return f->pid > 0 && f->in != -1;
}

int
feed_start(struct feed *f, char *const *argv, int keep, unsigned long timeout,
    char *why, size_t wsize)
{
	int pin[2], pout[2], fail, e;

	feed_end(f);
	f->why[0] = '\0';
	f->deadline = time(NULL) + (time_t)timeout;
	if (proc_pipe(pin, PROC_NB_WRITE) == -1) {
		say(why, wsize, "pipe", strerror(errno));
		return -1;
	}
	if (proc_pipe(pout, PROC_NB_READ) == -1) {
		e = errno;
		(void)close(pin[0]);
		(void)close(pin[1]);
		say(why, wsize, "pipe", strerror(e));
		return -1;
	}
	f->pid = proc_spawn(argv, NULL, pin[0], pout[1], -1, &fail);
	e = errno;
	(void)close(pin[0]);
	(void)close(pout[1]);
	f->in = pin[1];
	f->out = pout[0];
	(void)keep;	/* inherited: the caller made it so, and closes it */
	if (f->pid == -1) {
		const char *base = strrchr(argv[0], '/');

		f->pid = 0;
		(void)snprintf(why, wsize, "cannot %s %s: %s",
		    fail == PROC_FAIL_EXEC ? "run" : "start",
		    base != NULL ? base + 1 : argv[0], strerror(e));
		feed_end(f);
		return -1;
	}
	return 0;
}

int
feed_write(struct feed *f, const char *buf, size_t n)
{
	int r;

	if (!feed_running(f))
		return -1;
	if ((r = proc_write(f->in, buf, n, f->deadline)) == 0)
		return 0;
	say(f->why, sizeof(f->why), r == PROC_TIMEOUT ? "too slow" :
	    "cannot write to it", r == PROC_TIMEOUT ? "" : strerror(errno));
	/* its answer is lost: stop feeding now, the end says why */
	(void)close(f->in);
	f->in = -1;
	return -1;
}

long
feed_finish(struct feed *f, char *ans, size_t size, char *why, size_t wsize)
{
	size_t got = 0;
	ssize_t r;
	char *nl;
	int st;

	if (f->pid <= 0) {
		say(why, wsize, "not started", "");
		return -1;
	}
	if (f->in == -1) {
		say(why, wsize, f->why[0] ? f->why : "not fed", "");
		feed_end(f);
		return -1;
	}
	(void)close(f->in);
	f->in = -1;
	for (;;) {
		if (got + 1 >= size) {
			say(why, wsize, "it said too much", "");
			feed_end(f);
			return -1;
		}
		r = proc_read(f->out, ans + got, size - 1 - got, f->deadline,
		    0);
		if (r == PROC_TIMEOUT) {
			say(why, wsize, "too slow", "");
			feed_end(f);
			return -1;
		}
		if (r < 0) {
			say(why, wsize, "read", strerror(errno));
			feed_end(f);
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	ans[got] = '\0';
	if (proc_reap(f->pid, &f->in, &f->out, f->deadline + 1, &st) != 0 ||
	    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		f->pid = 0;
		if ((nl = strchr(ans, '\n')) != NULL)
			*nl = '\0';
		say(why, wsize, "it failed", strncmp(ans, "error ", 6) == 0 ?
		    ans + 6 : "");
		return -1;
	}
	f->pid = 0;
	return (long)got;
}
