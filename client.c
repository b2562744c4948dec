/*
 * client.c: buffered, time-limited client I/O (see client.h).
 * Input: fd 0 (or a socket), output: fd 1.  Every wait is bounded by the
 * smaller of the per-read timeout and what is left of the session.  On a
 * socket (tcpserver, inetd, systemd) the kernel keeps that bound
 * (SO_RCVTIMEO, SO_SNDTIMEO) and a read simply blocks: one system call per
 * command instead of a poll(2) and a read(2).  Anything else (a pipe) is
 * made non-blocking and waited for with poll(2).
 * Failure: a write error or timeout marks the client failed (a timeout
 * also stalled: it reads nothing); the caller logs and ends the session.
 * Nothing here allocates.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include "client.h"
#include "crlf.h"
#include "proc.h"

static ssize_t
fd_read(struct client *c, char *buf, size_t n)
{
	return read(c->in, buf, n);
}

static ssize_t
fd_write(struct client *c, const char *buf, size_t n)
{
	return write(c->out, buf, n);
}

/* Both socket timeouts to ms milliseconds (0: none); -1 if not a socket. */
static int
sock_timeouts(int in, int out, int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (setsockopt(in, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(out, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return -1;
	return 0;
}

static void
set_blocking(int fd, int nonblock)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || (fl & O_NONBLOCK) == (nonblock ? O_NONBLOCK : 0))
		return;
	(void)fcntl(fd, F_SETFL, nonblock ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

void
client_init(struct client *c, char *ibuf, int in, int out,
    unsigned long timeout, time_t deadline)
{
	/* no memset: the buffers need no zeroing, and untouched pages
	 * cost nothing (a connection's memory is what a held one costs) */
	c->ibuf = ibuf;
	c->ipos = c->ilen = c->olen = 0;
	c->failed = c->stalled = c->more = 0;
	c->in = in;
	c->out = out;
	c->rd = fd_read;
	c->wr = fd_write;
	c->timeout = timeout;
	c->deadline = deadline;
	c->sock_ms = (int)(timeout * 1000);
	c->sock = sock_timeouts(in, out, c->sock_ms) == 0;
	if (c->sock) {
		/* the usual case: one socket both ways, already blocking */
		set_blocking(in, 0);
		if (out != in)
			set_blocking(out, 0);
		return;
	}
	/*
	 * Not a socket: non-blocking, so that a read or write never waits
	 * outside our own poll(2) with its timeout; client_block() undoes
	 * it before the connection is handed to another program.  A socket
	 * timeout that did get set (input a socket, output not) is undone.
	 */
	(void)sock_timeouts(in, in, 0);
	set_blocking(in, 1);
	set_blocking(out, 1);
}

/* Milliseconds to wait: the read timeout or the rest of the session. */
static int
wait_ms(const struct client *c, int *ceiling)
{
	time_t now = proc_now();
	unsigned long left;

	*ceiling = 0;
	if (now >= c->deadline) {
		*ceiling = 1;
		return 0;
	}
	left = (unsigned long)(c->deadline - now);
	if (left <= c->timeout) {
		*ceiling = 1;
		return (int)(left * 1000);
	}
	return (int)(c->timeout * 1000);
}

static int
waitfor(int fd, short ev, int ms)
{
	struct pollfd p;
	int r;

	p.fd = fd;
	p.events = ev;
	do
		r = poll(&p, 1, ms);
	while (r == -1 && errno == EINTR);
	return r;
}

/*
 * On a socket: the kernel's timeouts to ms, the bound of the next wait;
 * they change only in the session's last timeout-long stretch.
 */
static int
sock_wait(struct client *c, int ms)
{
	if (ms == c->sock_ms)
		return 0;
	if (sock_timeouts(c->in, c->out, ms) == -1)
		return -1;
	c->sock_ms = ms;
	return 0;
}

int
client_flush(struct client *c)
{
	size_t done = 0;
	ssize_t w;
	int ceiling, ms, p;

	if (c->failed)
		return -1;
	/*
	 * A socket blocks for at most the timeout the last read set (the
	 * smaller of the read timeout and what was left of the session
	 * then); anything else is non-blocking: write first, wait only when
	 * full.
	 */
	while (done < c->olen) {
		w = c->wr(c, c->obuf + done, c->olen - done);
		if (w >= 0) {
			done += (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || c->sock) {
			/* EAGAIN on a socket: SO_SNDTIMEO ran out */
			c->failed = 1;
			c->stalled = errno == EAGAIN;
			return -1;
		}
		ms = wait_ms(c, &ceiling);
		if ((p = waitfor(c->out, POLLOUT, ms)) <= 0) {
			c->failed = 1;
			c->stalled = p == 0;
			return -1;
		}
	}
	c->olen = 0;
	return 0;
}

void
client_put(struct client *c, const char *s, size_t n)
{
	size_t room;

	while (n > 0 && !c->failed) {
		room = sizeof(c->obuf) - c->olen;
		if (room == 0) {
			if (client_flush(c) == -1)
				return;
			continue;
		}
		if (n < room)
			room = n;
		memcpy(c->obuf + c->olen, s, room);
		c->olen += room;
		s += room;
		n -= room;
	}
}

void
client_puts(struct client *c, const char *s)
{
	client_put(c, s, strlen(s));
}

size_t
client_pending(const struct client *c)
{
	return c->ilen - c->ipos;
}

size_t
client_discard(struct client *c)
{
	size_t n = c->ilen - c->ipos;

	c->ipos = c->ilen = 0;
	return n;
}

int
client_wait(struct client *c, int ms)
{
	if (client_pending(c) > 0)
		return 1;
	return waitfor(c->in, POLLIN, ms) > 0;
}

int
client_fill(struct client *c)
{
	ssize_t r;
	int ceiling, ms, p, wait;

	if (c->ipos < c->ilen)
		return CLIENT_OK;
	/* Replies go out before we wait: this is what makes pipelining
	 * answers come in groups and lock-step answers come at once. */
	if (c->olen > 0 && client_flush(c) == -1)
		return CLIENT_ERROR;
	c->ipos = c->ilen = 0;
	/*
	 * A socket: the read itself waits, as long as the kernel's timeout
	 * says.  Otherwise wait first, then read: after a reply the client
	 * has rarely sent its next bytes yet, and a read that finds nothing
	 * is a system call wasted.  Only when the last read filled the
	 * buffer (a large message streaming in) is more probably there: read
	 * first then.  With no time left, only what is there is taken.
	 */
	wait = !c->more;
	for (;;) {
		ms = wait_ms(c, &ceiling);
		if (c->sock && ms > 0) {
			if (sock_wait(c, ms) == -1)
				return CLIENT_ERROR;
		} else if (wait || ms == 0) {
			p = waitfor(c->in, POLLIN, ms);
			if (p == 0)
				return ceiling ? CLIENT_CEILING :
				    CLIENT_TIMEOUT;
			if (p == -1)
				return CLIENT_ERROR;
		}
		wait = 1;
		r = c->rd(c, c->ibuf, CLIENT_IBUF);
		if (r > 0) {
			c->ilen = (size_t)r;
			c->more = c->ilen == CLIENT_IBUF;
			return CLIENT_OK;
		}
		if (r == 0)
			return CLIENT_EOF;
		if (errno == EINTR)
			wait = 0;
		else if (errno != EAGAIN)
			return CLIENT_ERROR;
		else if (c->sock && ms > 0)	/* the kernel's timeout */
			return ceiling ? CLIENT_CEILING : CLIENT_TIMEOUT;
	}
}

int
client_plain(const struct client *c)
{
	return c->rd == fd_read;
}

ssize_t
client_peek(struct client *c, int *status)
{
	ssize_t r;
	int ceiling, ms, p, flags;

	if (c->olen > 0 && client_flush(c) == -1) {
		*status = CLIENT_ERROR;
		return 0;
	}
	c->ipos = c->ilen = 0;
	for (;;) {
		/* a socket waits in recv(2) itself, as in client_fill */
		ms = wait_ms(c, &ceiling);
		flags = MSG_PEEK | MSG_DONTWAIT;
		if (c->sock && ms > 0) {
			if (sock_wait(c, ms) == -1) {
				*status = CLIENT_ERROR;
				return 0;
			}
			flags = MSG_PEEK;
		}
		r = recv(c->in, c->ibuf, CLIENT_IBUF, flags);
		if (r > 0) {
			*status = CLIENT_OK;
			return r;
		}
		if (r == 0) {
			*status = CLIENT_EOF;
			return 0;
		}
		if (errno == ENOTSOCK) {
			*status = CLIENT_OK;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			*status = CLIENT_ERROR;
			return 0;
		}
		if (flags == MSG_PEEK) {	/* the kernel's timeout */
			*status = ceiling ? CLIENT_CEILING : CLIENT_TIMEOUT;
			return 0;
		}
		p = waitfor(c->in, POLLIN, ms);
		if (p == 0) {
			*status = ceiling ? CLIENT_CEILING : CLIENT_TIMEOUT;
			return 0;
		}
		if (p == -1) {
			*status = CLIENT_ERROR;
			return 0;
		}
	}
}

int
client_take(struct client *c, size_t n)
{
	ssize_t r;
	size_t k;

	/* the bytes were peeked: they are there, no wait is needed */
	while (n > 0) {
		k = n < CLIENT_IBUF ? n : CLIENT_IBUF;
		r = recv(c->in, c->ibuf, k, MSG_DONTWAIT);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n -= (size_t)r;
	}
	c->ipos = c->ilen = 0;
	return 0;
}

int
client_line(struct client *c, char *buf, size_t max, size_t *len, int *flags)
{
	size_t n = 0, i;
	int toolong = 0, r, f;
	unsigned char ch;

	*flags = 0;
	*len = 0;
	if ((r = client_fill(c)) != CLIENT_OK)
		return r;
	/* a whole line that fits, as every command of a client that is no
	 * ratware: found, copied and looked at 16 bytes at a time */
	n = crlf_lf(c->ibuf + c->ipos, c->ilen - c->ipos);
	if (n < c->ilen - c->ipos && n < max) {
		memcpy(buf, c->ibuf + c->ipos, n);
		c->ipos += n + 1;
		if (n > 0 && buf[n - 1] == '\r')
			n--;
		else
			*flags |= LINE_BARELF;
		buf[n] = '\0';
		f = crlf_flags(buf, n);
		*flags |= (f & CRLF_NUL ? LINE_NUL : 0) |
		    (f & CRLF_8BIT ? LINE_8BIT : 0) |
		    (f & CRLF_CR ? LINE_CR : 0);
		*len = n;
		return CLIENT_OK;
	}
	n = 0;
	for (;;) {
		if ((r = client_fill(c)) != CLIENT_OK)
			return r;
		for (i = c->ipos; i < c->ilen; i++) {
			ch = (unsigned char)c->ibuf[i];
			if (ch == '\n')
				break;
			if (ch == '\0')
				*flags |= LINE_NUL;
			else if (ch >= 128)
				*flags |= LINE_8BIT;
			if (n + 1 < max)
				buf[n++] = (char)ch;
			else
				toolong = 1;
		}
		c->ipos = i;
		if (i < c->ilen) {
			c->ipos++;	/* the LF */
			break;
		}
	}
	if (n > 0 && buf[n - 1] == '\r' && !toolong)
		n--;
	else if (!toolong)
		*flags |= LINE_BARELF;
	buf[n] = '\0';
	if (memchr(buf, '\r', n) != NULL)
		*flags |= LINE_CR;
	*len = n;
	return toolong ? CLIENT_TOOLONG : CLIENT_OK;
}

void
client_block(struct client *c)
{
	if (c->sock) {
		(void)sock_timeouts(c->in, c->out, 0);
		return;
	}
	set_blocking(c->in, 0);
	set_blocking(c->out, 0);
}
