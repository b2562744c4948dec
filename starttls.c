/*
 * starttls.c: start smtpfront-tls for a client that said STARTTLS, read
 * its lines, reap it (see starttls.h).
 * Input: the program's name and the settings for its argument vector.
 * Output: a socketpair end that carries the client's plaintext.
 * Failure: anything before "ready" is a reason for 454 (the session
 * goes on in plain text); the caller logs it.  Nothing here allocates.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "starttls.h"

#define TLS_FD		3	/* the socketpair end in smtpfront-tls */
#define TLS_EXIT_DUP	126
#define TLS_EXIT_EXEC	127

static volatile int spawn_err;

static void
why_is(char *why, size_t size, const char *a, const char *b)
{
	snprintf(why, size, "%s%s%s", a, b[0] ? ": " : "", b);
}

static void
reap_now(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
}

int
starttls_program(const char *self, char *buf, size_t size)
{
	const char *slash = strrchr(self, '/');
	size_t d = slash != NULL ? (size_t)(slash - self) + 1 : 0;

	if (d + sizeof(TLS_PROGRAM) > size)
		return -1;
	memcpy(buf, self, d);
	memcpy(buf + d, TLS_PROGRAM, sizeof(TLS_PROGRAM));
	return 0;
}

/* One line from fd into buf within wait_s seconds: its length, or -1. */
static ssize_t
read_line(int fd, char *buf, size_t size, unsigned long wait_s)
{
	time_t end = time(NULL) + (time_t)wait_s;
	struct pollfd p;
	size_t n = 0;
	ssize_t r;
	char *nl;

	while (n < size - 1) {
		p.fd = fd;
		p.events = POLLIN;
		if (time(NULL) >= end ||
		    poll(&p, 1, (int)(end - time(NULL)) * 1000) <= 0)
			return -1;
		r = read(fd, buf + n, size - 1 - n);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if ((nl = memchr(buf, '\n', n)) != NULL) {
			*nl = '\0';
			return nl - buf;
		}
	}
	return -1;
}

int
starttls_start(const char *prog, const char *cert, const char *key,
    unsigned long hs, unsigned long idle, pid_t *pidp, int *fdp, char *why,
    size_t whylen)
{
	char hsbuf[24], idlebuf[24], line[TLS_LINE_MAX];
	char *argv[6];
	int sp[2], st;
	pid_t pid;
	ssize_t n;

	snprintf(hsbuf, sizeof(hsbuf), "%lu", hs);
	snprintf(idlebuf, sizeof(idlebuf), "%lu", idle);
	argv[0] = (char *)prog;
	argv[1] = (char *)cert;
	argv[2] = (char *)key;
	argv[3] = hsbuf;
	argv[4] = idlebuf;
	argv[5] = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		why_is(why, whylen, "socketpair", strerror(errno));
		return -1;
	}
	spawn_err = 0;
	pid = vfork();
	if (pid == 0) {
		/* dup2 onto itself would keep close-on-exec */
		if (sp[1] == TLS_FD ? fcntl(TLS_FD, F_SETFD, 0) == -1 :
		    dup2(sp[1], TLS_FD) == -1) {
			spawn_err = errno ? errno : EBADF;
			_exit(TLS_EXIT_DUP);
		}
		execvp(argv[0], argv);
		spawn_err = errno ? errno : ENOEXEC;
		_exit(TLS_EXIT_EXEC);
	}
	close(sp[1]);
	if (pid == -1) {
		why_is(why, whylen, "fork", strerror(errno));
		close(sp[0]);
		return -1;
	}
	if (spawn_err != 0) {
		why_is(why, whylen, prog, strerror(spawn_err));
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
		close(sp[0]);
		return -1;
	}
	n = read_line(sp[0], line, sizeof(line), hs);
	if (n >= 0 && strcmp(line, "ready") == 0) {
		*pidp = pid;
		*fdp = sp[0];
		return 0;
	}
	if (n > 5 && strncmp(line, "fail ", 5) == 0)
		why_is(why, whylen, prog, line + 5);
	else
		why_is(why, whylen, prog, n >= 0 ? "no ready line" :
		    "no answer");
	close(sp[0]);
	reap_now(pid);
	return -1;
}

/* The next blank-separated word of p (length n) into dst: 0 or -1. */
static int
word(const char **p, const char *end, char *dst, size_t size)
{
	const char *b = *p, *e;
	size_t k;

	e = memchr(b, ' ', (size_t)(end - b));
	if (e == NULL)
		e = end;
	k = (size_t)(e - b);
	if (k == 0 || k > size - 1)
		return -1;
	memcpy(dst, b, k);
	dst[k] = '\0';
	*p = e < end ? e + 1 : e;
	return 0;
}

int
starttls_facts(const char *line, size_t n, struct tls_facts *f)
{
	const char *p = line, *end = line + n;
	size_t i;

	/* printable ASCII and blanks only, as smtpfront-tls writes it */
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 32 ||
		    (unsigned char)line[i] > 126)
			return -1;
	/* a blank at the end would pass word() */
	if (n == 0 || line[n - 1] == ' ')
		return -1;
	if ((n >= 4 && strncmp(line, "fail", 4) == 0) ||
	    word(&p, end, f->proto, sizeof(f->proto)) == -1 ||
	    word(&p, end, f->cipher, sizeof(f->cipher)) == -1 ||
	    word(&p, end, f->bits, sizeof(f->bits)) == -1 || p != end)
		return -1;
	for (i = 0; f->bits[i] != '\0'; i++)
		if (f->bits[i] < '0' || f->bits[i] > '9')
			return -1;
	return 0;
}

void
starttls_reap(pid_t pid, unsigned long wait_s)
{
	time_t end = time(NULL) + (time_t)wait_s;
	useconds_t step = 100;
	pid_t r;
	int st;

	while (time(NULL) < end) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid || (r == -1 && errno == ECHILD))
			return;
		usleep(step);
		if (step < 10000)
			step *= 2;
	}
	reap_now(pid);
}
