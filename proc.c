/*
 * proc.c: start programs on pipes, wait, write and read with deadlines,
 * reap (see proc.h).
 * Input: argument vectors (never a shell), descriptors, deadlines.
 * Output: pids, bytes moved, wait statuses.  Every failure is a return
 * value with errno; nothing here logs or exits, and no process started
 * here is left unreaped by proc_reap or proc_kill.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "proc.h"

#define REAP_POLL_MS	10	/* one wait on the output pipe in proc_reap */
#define REAP_STEP_MIN	100	/* us: proc_reap's first back-off ... */
#define REAP_STEP_MAX	10000	/* ... doubled up to this */

time_t
proc_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME_COARSE, &ts) == -1)
		return time(NULL);
	return ts.tv_sec;
}

static int
ms_left(time_t deadline)
{
	time_t now = proc_now();

	if (now >= deadline)
		return 0;
	return (int)(deadline - now) * 1000;
}

int
proc_wait(int fd, short ev, time_t deadline)
{
	struct pollfd p;
	int r;

	p.fd = fd;
	p.events = ev;
	do
		r = poll(&p, 1, ms_left(deadline));
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return PROC_TIMEOUT;
	if (r == -1)
		return PROC_EPOLL;
	return 0;
}

int
proc_retry(int fd, short ev, time_t deadline)
{
	if (errno == EINTR)
		return 0;
	if (errno != EAGAIN)
		return PROC_EIO;
	return proc_wait(fd, ev, deadline);
}

int
proc_write(int fd, const char *s, size_t n, time_t deadline)
{
	ssize_t w;
	int r;

	/* write first; wait only when the pipe is full */
	while (n > 0) {
		w = write(fd, s, n);
		if (w >= 0) {
			s += w;
			n -= (size_t)w;
			continue;
		}
		if ((r = proc_retry(fd, POLLOUT, deadline)) != 0)
			return r;
	}
	return 0;
}

ssize_t
proc_read(int fd, char *buf, size_t n, time_t deadline, int first)
{
	ssize_t r;
	int w;

	if (first) {
		if ((r = read(fd, buf, n)) >= 0)
			return r;
		if (errno != EAGAIN && errno != EINTR)
			return PROC_EIO;
	}
	for (;;) {
		if ((w = proc_wait(fd, POLLIN, deadline)) != 0)
			return w;
		if ((r = read(fd, buf, n)) >= 0)
			return r;
		if (errno != EAGAIN && errno != EINTR)
			return PROC_EIO;
	}
}

/*
 * An end below 3 is moved up: were fd 0, 1 or 2 closed, a pipe could land
 * there and be taken for the program's stdin, stdout or stderr.
 */
static int
lift(int *p)
{
	int i, fd;

	for (i = 0; i < 2; i++) {
		if (p[i] > 2)
			continue;
		if ((fd = fcntl(p[i], F_DUPFD_CLOEXEC, 3)) == -1)
			return -1;
		close(p[i]);
		p[i] = fd;
	}
	return 0;
}

/* Both ends of p closed and set to -1, errno kept: -1. */
static int
undo(int *p)
{
	int e = errno;

	close(p[0]);
	close(p[1]);
	p[0] = p[1] = -1;
	errno = e;
	return -1;
}

int
proc_pipe(int *p, int nb)
{
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	/*
	 * A new pipe's ends have no status flag set: O_NONBLOCK alone is
	 * what F_GETFL and an OR would give, one system call less.
	 */
	if (lift(p) == -1 ||
	    ((nb & PROC_NB_READ) && fcntl(p[0], F_SETFL, O_NONBLOCK) == -1) ||
	    ((nb & PROC_NB_WRITE) && fcntl(p[1], F_SETFL, O_NONBLOCK) == -1))
		return undo(p);
	return 0;
}

int
proc_replies(int *p, unsigned long timeout)
{
	struct timeval tv;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) == -1)
		return -1;
	tv.tv_sec = (time_t)timeout;
	tv.tv_usec = 0;
	if (lift(p) == -1 || setsockopt(p[0], SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) == -1)
		return undo(p);
	return 0;
}

/*
 * fd onto target in the started process.  An fd that is its own target
 * only loses close-on-exec (dup2 onto itself would leave the flag).
 */
static int
place(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target);
}

/* Written by the vforked process before it exits, read after by us. */
static volatile int spawn_err, spawn_fail;

pid_t
proc_spawn(char *const *argv, char *const *envp, int in, int out, int err,
    int *fail)
{
	pid_t pid;
	int st;

	/* a low fd not its own target would be overwritten by another */
	if ((in < 3 && in != 0) || (out < 3 && out != 1) ||
	    (err != -1 && err < 3 && err != 2)) {
		*fail = PROC_FAIL_FD;
		errno = EBADF;
		return -1;
	}
	spawn_err = 0;
	spawn_fail = 0;
	pid = vfork();
	if (pid == 0) {
		if (place(in, 0) == -1 || place(out, 1) == -1 ||
		    (err != -1 && place(err, 2) == -1)) {
			spawn_err = errno ? errno : EBADF;
			spawn_fail = PROC_FAIL_FD;
			_exit(PROC_EXIT_FD);
		}
		if (envp == NULL)
			execvp(argv[0], argv);
		else
			execve(argv[0], argv, envp);
		spawn_err = errno ? errno : ENOEXEC;
		spawn_fail = PROC_FAIL_EXEC;
		_exit(PROC_EXIT_EXEC);
	}
	if (pid == -1) {
		*fail = PROC_FAIL_FORK;
		return -1;
	}
	if (spawn_fail != 0) {
		*fail = spawn_fail;
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
		errno = spawn_err;
		return -1;
	}
	return pid;
}

static void
closefd(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

int
proc_reap(pid_t pid, int *in, int *out, time_t deadline, int *status)
{
	struct pollfd p;
	char buf[512];
	useconds_t step = REAP_STEP_MIN;
	ssize_t n;
	pid_t r;

	*status = 0;
	closefd(in);
	/*
	 * A process that exits closes its output, so wait on the pipe (poll
	 * wakes at its EOF) rather than sleep in fixed steps; after the EOF
	 * (or with the pipe kept open by a grandchild) back off.  Bounded by
	 * the deadline, then SIGKILL.
	 */
	while (pid > 0 && time(NULL) < deadline) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid) {
			closefd(out);
			return 0;
		}
		if (r == -1 && errno == ECHILD) {
			*status = 0;
			pid = 0;
			break;
		}
		if (*out != -1) {
			p.fd = *out;
			p.events = POLLIN;
			if (poll(&p, 1, REAP_POLL_MS) > 0) {
				n = read(*out, buf, sizeof(buf));
				if (n == 0 || (n == -1 && errno != EAGAIN &&
				    errno != EINTR))
					closefd(out);
			}
			continue;
		}
		usleep(step);
		if (step < REAP_STEP_MAX)
			step *= 2;
	}
	closefd(out);
	if (pid <= 0)
		return -1;
	kill(pid, SIGKILL);
	while ((r = waitpid(pid, status, 0)) == -1 && errno == EINTR)
		;
	if (r == -1) {
		*status = 0;
		return -1;
	}
	return PROC_TIMEOUT;
}

int
proc_kill(pid_t pid, int *in, int *out, int *status)
{
	if (pid > 0)
		kill(pid, SIGKILL);
	return proc_reap(pid, in, out, time(NULL) + PROC_KILL_WAIT, status);
}

/* The address of "HOST:PORT", "[V6]:PORT" or "/path": its length, or 0. */
static socklen_t
address(const char *spec, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_un *un = (struct sockaddr_un *)ss;
	char host[64];
	const char *colon;
	unsigned long port;
	char *end;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (spec[0] == '/') {
		if (strlen(spec) >= sizeof(un->sun_path))
			return 0;
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, spec, strlen(spec) + 1);
		return (socklen_t)sizeof(*un);
	}
	colon = strrchr(spec, ':');
	if (colon == NULL || colon == spec)
		return 0;
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl > 2 && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return 0;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || port == 0 ||
	    port > 65535)
		return 0;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((unsigned short)port);
		return (socklen_t)sizeof(*in4);
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)port);
		return (socklen_t)sizeof(*in6);
	}
	return 0;
}

static int
connect_fail(char *why, size_t wsize, const char *a, const char *b, int fd)
{
	(void)snprintf(why, wsize, "%s: %s", a, b);
	if (fd != -1)
		close(fd);
	return -1;
}

int
proc_connect(const char *spec, time_t deadline, char *why, size_t wsize)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, e, r;

	if ((sl = address(spec, &ss)) == 0)
		return connect_fail(why, wsize, spec, "not HOST:PORT or a "
		    "socket's path", -1);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd == -1)
		return connect_fail(why, wsize, "socket", strerror(errno), -1);
	/* above 0, 1 and 2, as the pipes of a program */
	if (fd <= 2) {
		e = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		close(fd);
		if ((fd = e) == -1)
			return connect_fail(why, wsize, "socket",
			    strerror(errno), -1);
		(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) == -1) {
		if (errno != EINPROGRESS)
			return connect_fail(why, wsize, spec, strerror(errno),
			    fd);
		r = proc_wait(fd, POLLOUT, deadline);
		if (r == PROC_TIMEOUT)
			return connect_fail(why, wsize, spec,
			    "connect timed out", fd);
		sl = sizeof(e);
		if (r != 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) ==
		    -1 || e != 0)
			return connect_fail(why, wsize, spec,
			    strerror(r != 0 ? errno : e), fd);
	}
	return fd;
}
