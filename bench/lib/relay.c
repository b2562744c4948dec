/*
 * bench/lib/relay.c: the yardstick relay of the benchmark (bench/run).
 *
 *   relay PROGRAM [ARG...]
 *
 * It starts PROGRAM with pipes for its standard input and output and
 * copies bytes both ways between it and the client on fd 0/1, as they
 * come, one read and one write each: no parsing, no checks, no log.  Its
 * row measures what relaying costs when every command of the client goes
 * through to the child and back, apart from any checks.
 *
 * Every wait is bounded (TIMEOUT_MS); it ends at the first end of file or
 * error on either side, then reaps PROGRAM.
 */
#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#define TIMEOUT_MS	600000

/* All of buf to fd; 0, or -1. */
static int
put(int fd, const char *buf, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static char buf[65536];
	struct pollfd p[2];
	int to[2], from[2], i, st;
	pid_t pid;
	ssize_t n;

	if (argc < 2) {
		fprintf(stderr, "usage: relay program [arg...]\n");
		return 100;
	}
	signal(SIGPIPE, SIG_IGN);
	if (pipe(to) == -1 || pipe(from) == -1) {
		perror("relay: pipe");
		return 111;
	}
	pid = vfork();
	if (pid == -1) {
		perror("relay: vfork");
		return 111;
	}
	if (pid == 0) {
		if (dup2(to[0], 0) == -1 || dup2(from[1], 1) == -1)
			_exit(111);
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	p[0].fd = 0;
	p[1].fd = from[0];
	p[0].events = p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, TIMEOUT_MS) <= 0)
			break;
		for (i = 0; i < 2; i++) {
			if (p[i].revents == 0)
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0 || put(i == 0 ? to[1] : 1, buf,
			    (size_t)n) == -1)
				goto out;
		}
	}
out:
	close(to[1]);
	close(from[0]);
	close(0);
	close(1);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	return 0;
}
