/*
 * t/unit-proc.c: the process module (proc.c) driven with real programs,
 * printing TAP.  Exit codes of /bin/true, /bin/false and sh -c 'exit 3';
 * execve with an explicit environment (and no PATH search); a program
 * that does not exist and descriptors that cannot be set up, each
 * reported as its own failure; a child sleeping past its deadline
 * (killed, reported as timed out, reaped, in bounded time) and
 * proc_kill; a write to a child that does not read, timed out; more
 * than a pipe holds in both directions, and a reap that drains what is
 * not read; a child closing its input early (EPIPE, with
 * SIGPIPE ignored as smtpfront ignores it); pipes above fd 2 even with
 * 0, 1 and 2 closed; and no descriptor left open at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "proc.h"
#include "tap.h"

#define BIG		1000000		/* bytes: far more than a pipe holds */
#define BOUND_S		3.0		/* a 1 s deadline must end by then */
#define LONG_SLEEP	"30"		/* seconds: outlives every deadline */

static char	 big[BIG];
static int	 wr_errno;	/* errno after run()'s proc_write */

/* Open descriptors, from /proc/self/fd (less the one reading it). */
static int
nfds(void)
{
	DIR *d;
	struct dirent *e;
	int n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Run argv (envp NULL: execvp) on fresh pipes, write in (n bytes) to it,
 * read its output into out (up to max), reap it with a deadline of wait
 * seconds.  The proc_reap result; *status, *got, *wr (proc_write's).
 */
static int
run(char *const *argv, char *const *envp, const char *in, size_t n,
    char *out, size_t max, size_t *got, int wait, int *status, int *wr)
{
	int to[2], from[2], fail, r;
	pid_t pid;
	time_t deadline = time(NULL) + wait;
	ssize_t k;

	*got = 0;
	*wr = 0;
	*status = -1;
	if (proc_pipe(to, PROC_NB_WRITE) == -1)
		return -100;
	if (proc_pipe(from, PROC_NB_READ) == -1) {
		close(to[0]);
		close(to[1]);
		return -100;
	}
	pid = proc_spawn(argv, envp, to[0], from[1], -1, &fail);
	close(to[0]);
	close(from[1]);
	if (pid == -1) {
		close(to[1]);
		close(from[0]);
		return -100 - fail;
	}
	if (n > 0) {
		*wr = proc_write(to[1], in, n, deadline);
		wr_errno = errno;
	}
	close(to[1]);
	to[1] = -1;
	while (*got < max) {
		k = proc_read(from[0], out + *got, max - *got, deadline, 0);
		if (k <= 0)
			break;
		*got += (size_t)k;
	}
	r = proc_reap(pid, &to[1], &from[0], deadline, status);
	return r;
}

static int
exited(int st, int code)
{
	return WIFEXITED(st) && WEXITSTATUS(st) == code;
}

static void
exit_codes(void)
{
	char *t[] = { "/bin/true", NULL };
	char *f[] = { "/bin/false", NULL };
	char *s3[] = { "/bin/sh", "-c", "exit 3", NULL };
	char out[64];
	size_t got;
	int st, wr, r;

	r = run(t, NULL, NULL, 0, out, sizeof(out), &got, 5, &st, &wr);
	ok(r == 0 && exited(st, 0), "/bin/true: ended by itself, exit 0 "
	    "(r=%d status=%#x)", r, st);
	r = run(f, NULL, NULL, 0, out, sizeof(out), &got, 5, &st, &wr);
	ok(r == 0 && exited(st, 1), "/bin/false: exit 1 (r=%d status=%#x)",
	    r, st);
	r = run(s3, NULL, NULL, 0, out, sizeof(out), &got, 5, &st, &wr);
	ok(r == 0 && exited(st, 3), "sh -c 'exit 3': exit 3 (r=%d "
	    "status=%#x)", r, st);
}

static void
environment(void)
{
	char *sh[] = { "/bin/sh", "-c", "echo \"$FILTER_X\"; echo \"$HOME\"",
	    NULL };
	char *env[] = { "FILTER_X=one two", NULL };
	char *bare[] = { "true", NULL };
	char out[64];
	size_t got;
	int st, wr, r, fail;
	pid_t pid;

	r = run(sh, env, NULL, 0, out, sizeof(out), &got, 5, &st, &wr);
	ok(r == 0 && exited(st, 0) && got == 9 &&
	    memcmp(out, "one two\n\n", 9) == 0,
	    "execve: the environment given and nothing else (%s)",
	    show(out, got));
	errno = 0;
	pid = proc_spawn(bare, env, 0, 1, -1, &fail);
	ok(pid == -1 && fail == PROC_FAIL_EXEC && errno == ENOENT,
	    "execve: no PATH search for \"true\" (fail=%d errno=%d)", fail,
	    errno);
}

static void
failures(void)
{
	char *none[] = { "/nonexistent/proc-test", NULL };
	char *nopath[] = { "smtpfront-no-such-program", NULL };
	char *t[] = { "/bin/true", NULL };
	char *env[] = { NULL };
	int fail, p[2];
	pid_t pid;

	errno = 0;
	pid = proc_spawn(none, NULL, 0, 1, -1, &fail);
	ok(pid == -1 && fail == PROC_FAIL_EXEC && errno == ENOENT,
	    "execvp of a missing path: cannot exec, ENOENT (fail=%d "
	    "errno=%d)", fail, errno);
	errno = 0;
	pid = proc_spawn(nopath, NULL, 0, 1, -1, &fail);
	ok(pid == -1 && fail == PROC_FAIL_EXEC && errno == ENOENT,
	    "execvp of a name on no PATH entry: cannot exec (fail=%d "
	    "errno=%d)", fail, errno);
	errno = 0;
	pid = proc_spawn(none, env, 0, 1, -1, &fail);
	ok(pid == -1 && fail == PROC_FAIL_EXEC && errno == ENOENT,
	    "execve of a missing path: cannot exec (fail=%d errno=%d)", fail,
	    errno);
	/* a closed descriptor above 2: dup2 fails in the child */
	if (pipe(p) == -1) {
		ok(0, "pipe: %s", strerror(errno));
		return;
	}
	close(p[0]);
	close(p[1]);
	errno = 0;
	pid = proc_spawn(t, NULL, p[0], 1, -1, &fail);
	ok(pid == -1 && fail == PROC_FAIL_FD && errno == EBADF,
	    "a closed fd for stdin: cannot set up fds, EBADF (fail=%d "
	    "errno=%d)", fail, errno);
	errno = 0;
	pid = proc_spawn(t, NULL, 0, 1, p[0], &fail);
	ok(pid == -1 && fail == PROC_FAIL_FD && errno == EBADF,
	    "a closed fd for stderr: cannot set up fds (fail=%d errno=%d)",
	    fail, errno);
	/* fd 1 as stdin would be overwritten by stdout: refused at once */
	errno = 0;
	pid = proc_spawn(t, NULL, 1, 1, -1, &fail);
	ok(pid == -1 && fail == PROC_FAIL_FD && errno == EBADF,
	    "fd 1 for stdin refused (fail=%d errno=%d)", fail, errno);
	ok(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD,
	    "every failed start was reaped");
}

static void
deadlines(void)
{
	char *sl[] = { "sleep", LONG_SLEEP, NULL };
	char buf[16];
	int to[2], from[2], fail, st, r;
	pid_t pid;
	double t0, el;
	ssize_t k;

	if (proc_pipe(to, PROC_NB_WRITE) == -1 ||
	    proc_pipe(from, PROC_NB_READ) == -1) {
		ok(0, "proc_pipe: %s", strerror(errno));
		return;
	}
	pid = proc_spawn(sl, NULL, to[0], from[1], -1, &fail);
	close(to[0]);
	close(from[1]);
	ok(pid > 0, "sleep " LONG_SLEEP " started");
	t0 = now();
	k = proc_read(from[0], buf, sizeof(buf), time(NULL) + 1, 1);
	el = now() - t0;
	ok(k == PROC_TIMEOUT && el < BOUND_S,
	    "proc_read of a silent child: PROC_TIMEOUT (%zd) in %.2f s", k,
	    el);
	t0 = now();
	r = proc_wait(from[0], POLLIN, time(NULL) + 1);
	el = now() - t0;
	ok(r == PROC_TIMEOUT && el < BOUND_S,
	    "proc_wait: PROC_TIMEOUT (%d) in %.2f s", r, el);
	t0 = now();
	r = proc_write(to[1], big, BIG, time(NULL) + 1);
	el = now() - t0;
	ok(r == PROC_TIMEOUT && el < BOUND_S,
	    "proc_write of %d bytes to a child that does not read: "
	    "PROC_TIMEOUT (%d) in %.2f s", BIG, r, el);
	t0 = now();
	r = proc_reap(pid, &to[1], &from[0], time(NULL) + 1, &st);
	el = now() - t0;
	ok(r == PROC_TIMEOUT, "sleeping past the deadline: timed out (%d)",
	    r);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "killed by SIGKILL (status=%#x)", st);
	ok(el < BOUND_S, "reaped within the deadline and a bit (%.2f s)",
	    el);
	ok(to[1] == -1 && from[0] == -1, "both pipe ends closed, set to -1");
	ok(waitpid(pid, NULL, WNOHANG) == -1 && errno == ECHILD,
	    "no zombie left: waitpid says ECHILD");

	/* proc_kill: at once */
	if (proc_pipe(to, 0) == -1) {
		ok(0, "proc_pipe: %s", strerror(errno));
		return;
	}
	pid = proc_spawn(sl, NULL, to[0], to[1], -1, &fail);
	close(to[0]);
	to[0] = -1;
	t0 = now();
	r = proc_kill(pid, &to[0], &to[1], &st);
	el = now() - t0;
	ok(pid > 0 && r == 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL &&
	    el < BOUND_S, "proc_kill: killed and reaped (r=%d status=%#x, "
	    "%.2f s)", r, st, el);
	ok(waitpid(pid, NULL, WNOHANG) == -1 && errno == ECHILD,
	    "proc_kill left no zombie");
	r = proc_reap(0, &to[0], &to[1], time(NULL) + 1, &st);
	ok(r == -1 && st == 0, "proc_reap of no process: -1 (%d)", r);
}

static void
volume(void)
{
	char *wc[] = { "wc", "-c", NULL };
	char *head[] = { "head", "-c", "1000000", "/dev/zero", NULL };
	static char out[BIG + 16];
	char num[32];
	size_t got;
	int st, wr, r, to[2], from[2], fail;
	pid_t pid;
	double t0, el;

	r = run(wc, NULL, big, BIG, num, sizeof(num) - 1, &got, 10, &st,
	    &wr);
	num[got] = '\0';
	ok(wr == 0 && r == 0 && exited(st, 0) && atoi(num) == BIG,
	    "wc -c counts all %d bytes written (%s)", BIG, show(num, got));
	r = run(head, NULL, NULL, 0, out, sizeof(out), &got, 10, &st, &wr);
	ok(r == 0 && exited(st, 0) && got == BIG,
	    "head -c: %d bytes read (%zu)", BIG, got);

	/* nothing read: proc_reap drains the output so the child can end */
	if (proc_pipe(to, 0) == -1 || proc_pipe(from, PROC_NB_READ) == -1) {
		ok(0, "proc_pipe: %s", strerror(errno));
		return;
	}
	pid = proc_spawn(head, NULL, to[0], from[1], -1, &fail);
	close(to[0]);
	close(from[1]);
	t0 = now();
	r = proc_reap(pid, &to[1], &from[0], time(NULL) + 5, &st);
	el = now() - t0;
	ok(pid > 0 && r == 0 && exited(st, 0) && el < BOUND_S,
	    "reap drains unread output: head ends by itself (r=%d "
	    "status=%#x, %.2f s)", r, st, el);
}

static void
early_close(void)
{
	char *t[] = { "/bin/true", NULL };
	char *err[] = { "/bin/sh", "-c", "echo to-stderr >&2; exit 4", NULL };
	char out[64];
	size_t got;
	int st, wr, r, to[2], e[2], fail;
	pid_t pid;
	ssize_t k;

	r = run(t, NULL, big, BIG, out, sizeof(out), &got, 5, &st, &wr);
	ok(wr == PROC_EIO && wr_errno == EPIPE,
	    "writing %d bytes to a child that closed its input: PROC_EIO, "
	    "EPIPE (%d, errno=%d)", BIG, wr, wr_errno);
	ok(r == 0 && exited(st, 0), "and it is reaped, exit 0 (status=%#x)",
	    st);

	/* stderr onto a pipe of its own */
	if (proc_pipe(to, 0) == -1 || proc_pipe(e, PROC_NB_READ) == -1) {
		ok(0, "proc_pipe: %s", strerror(errno));
		return;
	}
	pid = proc_spawn(err, NULL, to[0], to[1], e[1], &fail);
	close(to[0]);
	close(e[1]);
	k = proc_read(e[0], out, sizeof(out), time(NULL) + 5, 0);
	ok(k == 10 && memcmp(out, "to-stderr\n", 10) == 0,
	    "stderr given: its first line read (%s)",
	    show(out, k > 0 ? (size_t)k : 0));
	r = proc_reap(pid, &to[1], &e[0], time(NULL) + 5, &st);
	ok(pid > 0 && r == 0 && exited(st, 4), "and exit 4 (status=%#x)", st);
}

static int
cloexec(int fd)
{
	return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

static int
nonblock(int fd)
{
	return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

static void
pipes(void)
{
	int p[2], q[2], save[3], i, okay;

	if (proc_pipe(p, PROC_NB_READ) == -1 ||
	    proc_pipe(q, PROC_NB_WRITE) == -1) {
		ok(0, "proc_pipe: %s", strerror(errno));
		return;
	}
	ok(cloexec(p[0]) && cloexec(p[1]) && cloexec(q[0]) && cloexec(q[1]),
	    "proc_pipe: close-on-exec ends");
	ok(nonblock(p[0]) && !nonblock(p[1]) && !nonblock(q[0]) &&
	    nonblock(q[1]), "proc_pipe: non-blocking only where asked");
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);

	/* with 0, 1 and 2 closed a pipe would land there: lifted */
	for (i = 0; i < 3; i++)
		save[i] = fcntl(i, F_DUPFD_CLOEXEC, 10);
	close(0);
	close(1);
	close(2);
	okay = proc_pipe(p, 0) == 0 && p[0] > 2 && p[1] > 2 &&
	    cloexec(p[0]) && cloexec(p[1]) && proc_pipe(q, 0) == 0 &&
	    q[0] > 2 && q[1] > 2;
	for (i = 0; i < 3; i++) {
		dup2(save[i], i);
		close(save[i]);
	}
	ok(okay, "with fds 0, 1, 2 closed the ends are above 2 "
	    "(%d %d, %d %d)", p[0], p[1], q[0], q[1]);
	ok(fcntl(0, F_GETFD) != -1 && fcntl(1, F_GETFD) != -1 &&
	    fcntl(2, F_GETFD) != -1, "and nothing was left on 0, 1, 2");
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

int
main(void)
{
	int before, after;

	/* as smtpfront: a closed pipe is EPIPE, not a signal */
	signal(SIGPIPE, SIG_IGN);
	before = nfds();
	exit_codes();
	environment();
	failures();
	deadlines();
	volume();
	early_close();
	pipes();
	after = nfds();
	ok(before > 0 && after == before,
	    "no descriptor leaked (%d open before, %d after)", before, after);
	return done();
}
