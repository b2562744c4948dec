/*
 * child.c: start, talk to and reap the MTA child (see child.h).
 * Input: the child's argv (our remaining command line, used as given, no
 * shell), its replies.  Output: SMTP commands and the message on its
 * stdin.  Every write and every reply has the child timeout; a child that
 * exits, hangs or answers garbage makes the call return -1 and the core
 * answers 451.  The child is started by proc.c (vfork and execvp) and
 * always reaped; or, for "tcp:ADDRESS:PORT", connected to, told the client
 * by XCLIENT, and hung up on at the end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "child.h"
#include "cold.h"
#include "crlf.h"
#include "dot.h"
#include "proc.h"
#include "spool.h"

#define DATA_BLOCK	32768

static void
why(struct child *c, const char *a, const char *b)
{
	snprintf(c->why, sizeof(c->why), "%s%s%s", a, b ? ": " : "",
	    b ? b : "");
}

/* A PROC_ failure of an I/O on the child's pipe as the reason. */
static void
io_why(struct child *c, int r, const char *timeout, const char *io)
{
	if (r == PROC_TIMEOUT)
		why(c, timeout, NULL);
	else if (r == PROC_EPOLL)
		why(c, "poll", strerror(errno));
	else
		why(c, io, strerror(errno));
}

static int
writeall(struct child *c, const char *s, size_t n, time_t deadline)
{
	int r;

	if ((r = proc_write(c->to, s, n, deadline)) == 0)
		return 0;
	io_why(c, r, "timeout writing to child", "write to child");
	return -1;
}

/*
 * writeall() with the child's timeout from now, the clock read only when
 * the pipe is full: a command fits the pipe, and is written at once.
 */
static int
write_now(struct child *c, const char *s, size_t n)
{
	ssize_t w = write(c->to, s, n);

	if (w == (ssize_t)n)
		return 0;
	if (w < 0)
		w = 0;	/* proc_write tries again, and says why */
	return writeall(c, s + w, n - (size_t)w,
	    proc_now() + (time_t)c->timeout);
}

/*
 * A read of the child's replies from its socket (proc_replies): it
 * blocks for at most the child's timeout; the reply's deadline, which a
 * child that trickles its reply would pass read by read, is checked
 * between reads.  Bytes read, 0 at its end, or a PROC_ code.
 */
static ssize_t
read_sock(struct child *c, time_t deadline)
{
	ssize_t r;

	for (;;) {
		r = read(c->from, c->buf, sizeof(c->buf));
		if (r >= 0)
			return r;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return PROC_TIMEOUT;
		if (errno != EINTR)
			return PROC_EIO;
		if (proc_now() >= deadline)
			return PROC_TIMEOUT;
	}
}

/*
 * One line from the child, without its CRLF, at *out: in the child's
 * buffer itself when it is all there (the usual case: no copy), else
 * gathered into line (max bytes).  *deadline, 0 until a wait needs it,
 * is then the reply's timeout from now.  0, or -1.
 */
static int
getline_(struct child *c, char *line, size_t max, char **out, size_t *len,
    time_t *deadline)
{
	size_t n = 0;
	ssize_t r;

	for (;;) {
		if (c->pos < c->len) {
			size_t k = crlf_lf(c->buf + c->pos, c->len - c->pos);
			int lf = k < c->len - c->pos;

			if (n == 0 && lf && k + 1 <= max) {
				*out = c->buf + c->pos;
				c->pos += k + 1;
				if (k > 0 && (*out)[k - 1] == '\r')
					k--;
				*len = k;
				return 0;
			}
			if (n + k + 1 > max) {
				why(c, "child reply line too long", NULL);
				return -1;
			}
			memcpy(line + n, c->buf + c->pos, k);
			n += k;
			c->pos += k;
			if (lf) {
				c->pos++;
				if (n > 0 && line[n - 1] == '\r')
					n--;
				line[n] = '\0';
				*out = line;
				*len = n;
				return 0;
			}
		}
		/*
		 * The child answers after our command: wait, then read; when
		 * the caller gave it time, try before waiting.  From a
		 * socket, a read that blocks: the reply's deadline is checked
		 * before each further read of it (a reply that trickles).
		 */
		c->pos = c->len = 0;
		if (*deadline == 0) {
			*deadline = proc_now() + (time_t)c->timeout;
			r = c->from_sock ? read_sock(c, *deadline) :
			    proc_read(c->from, c->buf, sizeof(c->buf),
			    *deadline, c->expect);
		} else if (!c->from_sock)
			r = proc_read(c->from, c->buf, sizeof(c->buf),
			    *deadline, c->expect);
		else if (proc_now() >= *deadline)
			r = PROC_TIMEOUT;
		else
			r = read_sock(c, *deadline);
		c->expect = 0;
		if (r == 0) {
			why(c, "child closed its output", NULL);
			return -1;
		}
		if (r < 0) {
			io_why(c, (int)r, "timeout waiting for the child",
			    "read from child");
			return -1;
		}
		c->len = (size_t)r;
	}
}

static int
isdig(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Does text start with an enhanced status code of the reply's class? */
int
creply_esc(const char *t, size_t n, char class)
{
	size_t i = 0, d;

	if (n < 5 || t[0] != class || t[1] != '.')
		return 0;
	i = 2;
	for (d = 0; i < n && isdig(t[i]) && d < 3; i++, d++)
		;
	if (d == 0 || i >= n || t[i] != '.')
		return 0;
	i++;
	for (d = 0; i < n && isdig(t[i]) && d < 3; i++, d++)
		;
	return d > 0 && (i == n || t[i] == ' ');
}

/* Bytes outside 32..126 become '?'; 16 bytes checked at once with SSE2. */
static void
printable(char *s, size_t n)
{
	size_t i = 0, j;
#if defined(__SSE2__)
	const __m128i k32 = _mm_set1_epi8(32), flip = _mm_set1_epi8(-128);
	const __m128i lim = _mm_set1_epi8((char)(94 ^ 0x80));
	__m128i v;

	/* (unsigned)(b - 32) > 94, as a signed compare with the top bit flipped */
	for (; n - i >= 16; i += 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		v = _mm_xor_si128(_mm_sub_epi8(v, k32), flip);
		if (_mm_movemask_epi8(_mm_cmpgt_epi8(v, lim)) == 0)
			continue;
		for (j = i; j < i + 16; j++)
			if ((unsigned char)(s[j] - 32) > 94)
				s[j] = '?';
	}
	/* the tail as the last 16 bytes, which overlap what was done */
	if (i < n && n >= 16) {
		i = n - 16;
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		v = _mm_xor_si128(_mm_sub_epi8(v, k32), flip);
		if (_mm_movemask_epi8(_mm_cmpgt_epi8(v, lim)) == 0)
			i = n;
	}
#endif
	for (; i < n; i++)
		if ((unsigned char)(s[i] - 32) > 94)
			s[i] = '?';
}

static int
getreply(struct child *c, struct creply *rep)
{
	char buf[CREPLY_LINE_MAX + 1], *line;
	size_t n, room;
	time_t deadline = 0;
	int code, final;

	rep->len = 0;
	rep->lines = 0;
	rep->code = 0;
	rep->has_esc = 0;
	for (;;) {
		if (getline_(c, buf, sizeof(buf), &line, &n, &deadline) == -1)
			return -1;
		if (n < 3 || !isdig(line[0]) || !isdig(line[1]) ||
		    !isdig(line[2]) || line[0] < '2' || line[0] > '5' ||
		    (n > 3 && line[3] != ' ' && line[3] != '-')) {
			why(c, "child answered garbage", NULL);
			return -1;
		}
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (rep->lines == 0) {
			rep->code = code;
			rep->has_esc = n > 4 &&
			    creply_esc(line + 4, n - 4, line[0]);
		} else if (code != rep->code) {
			why(c, "child changed its reply code mid-reply", NULL);
			return -1;
		}
		if (++rep->lines > CREPLY_LINES) {
			why(c, "child reply has too many lines", NULL);
			return -1;
		}
		final = n == 3 || line[3] == ' ';
		/*
		 * Keep it printable and cut to what we relay, well-formed:
		 * a continuation line that does not fit is left out, and
		 * room is always left for the final line (cut if need be),
		 * so the client never waits for a line that was dropped.
		 */
		printable(line, n);
		room = sizeof(rep->text) - rep->len - 2;
		if (!final && n + CREPLY_FINAL_ROOM > room)
			continue;
		if (n > room)
			n = room;
		memcpy(rep->text + rep->len, line, n);
		rep->len += n;
		memcpy(rep->text + rep->len, "\r\n", 2);
		rep->len += 2;
		if (final)
			return 0;
	}
}

int
child_cmd(struct child *c, const char *cmd, size_t n, struct creply *rep)
{
	char line[CREPLY_LINE_MAX + 2];

	if (!child_up(c)) {
		why(c, "child not running", NULL);
		return -1;
	}
	if (n > sizeof(line) - 2) {
		why(c, "command too long for the child", NULL);
		return -1;
	}
	/* one write: the child wakes once per command */
	memcpy(line, cmd, n);
	memcpy(line + n, "\r\n", 2);
	if (write_now(c, line, n + 2) == -1)
		return -1;
	return getreply(c, rep);
}

int
child_send(struct child *c, const char *s, size_t n)
{
	if (!child_up(c)) {
		why(c, "child not running", NULL);
		return -1;
	}
	return write_now(c, s, n);
}

int
child_splice(struct child *c, int fd, size_t n, size_t *moved)
{
	time_t deadline = proc_now() + (time_t)c->timeout;
	ssize_t r;
	int w;

	*moved = 0;
	if (!child_up(c)) {
		why(c, "child not running", NULL);
		return -1;
	}
	while (*moved < n) {
		r = splice(fd, NULL, c->to, NULL, n - *moved,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (r > 0) {
			*moved += (size_t)r;
			continue;
		}
		if (r == 0) {
			why(c, "splice: the client's bytes were gone", NULL);
			return -1;
		}
		/* the bytes are in the socket: the pipe may be full */
		if ((w = proc_retry(c->to, POLLOUT, deadline)) != 0) {
			io_why(c, w, "timeout writing to child",
			    "write to child");
			return -1;
		}
	}
	return 0;
}

int
child_reply(struct child *c, struct creply *rep)
{
	return getreply(c, rep);
}

/* Does one EHLO reply line's keyword (text after "250-", n bytes) equal kw? */
static int
keyword(const char *t, size_t n, const char *kw, size_t k)
{
	return n >= k && strncasecmp(t, kw, k) == 0 && (n == k || t[k] == ' ');
}

/* What the child's EHLO reply offers: SIZE, 8BITMIME, PIPELINING,
 * CHUNKING; one pass. */
static void
offers(struct child *c, const struct creply *rep)
{
	size_t i = 0, j, n;
	const char *t;

	while (i < rep->len) {
		for (j = i; j < rep->len && rep->text[j] != '\r'; j++)
			;
		if (j - i > 4) {
			t = rep->text + i + 4;
			n = j - i - 4;
			switch (t[0]) {
			case 'S': case 's':
				c->size |= keyword(t, n, "SIZE", 4);
				break;
			case '8':
				c->eightbit |= keyword(t, n, "8BITMIME", 8);
				break;
			case 'P': case 'p':
				c->pipelining |= keyword(t, n, "PIPELINING", 10);
				break;
			case 'C': case 'c':
				c->chunking |= keyword(t, n, "CHUNKING", 8);
				break;
			case 'X': case 'x':
				c->xclient |= keyword(t, n, "XCLIENT", 7);
				c->xforward |= keyword(t, n, "XFORWARD", 8);
				break;
			}
		}
		i = j + 2;
	}
}

/*
 * "tcp:HOST:PORT": connect, within the deadline.  The socket becomes
 * both our ends (to and a duplicate, from), non-blocking.  0, or -1.
 */
static int
tcp_connect(struct child *c, const char *spec, time_t deadline)
{
	const char *p = spec + sizeof(CHILD_TCP) - 1;
	int fd;

	if (p[0] == '/') {
		why(c, spec, "not tcp:ADDRESS:PORT");
		return -1;
	}
	if ((fd = proc_connect(p, deadline, c->why, sizeof(c->why))) == -1) {
		/* the child's own words for a spec it cannot read */
		if (strstr(c->why, "not HOST:PORT") != NULL)
			why(c, spec, "not tcp:ADDRESS:PORT");
		return -1;
	}
	c->to = fd;
	if ((c->from = fcntl(fd, F_DUPFD_CLOEXEC, 3)) == -1) {
		why(c, "dup", strerror(errno));
		close(fd);
		c->to = -1;
		return -1;
	}
	c->sock = 1;
	return 0;
}

/* Append "NAME=value" to the XCLIENT line, the value as xtext (RFC 3461:
 * "+HH" for "+", "=" and bytes outside 33..126). */
static size_t
xattr(char *out, size_t n, size_t size, const char *name, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = strlen(name);
	unsigned char ch;

	if (n + 1 + k + 1 >= size)
		return n;
	out[n++] = ' ';
	memcpy(out + n, name, k);
	n += k;
	out[n++] = '=';
	for (; *v != '\0' && n + 3 < size; v++) {
		ch = (unsigned char)*v;
		if (ch < 33 || ch > 126 || ch == '+' || ch == '=') {
			out[n++] = '+';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		} else
			out[n++] = (char)ch;
	}
	return n;
}

/* Greet with name: EHLO, else HELO.  0, or -1. */
static int
greet(struct child *c, const char *name)
{
	struct creply rep;
	char cmd[16 + 256];
	size_t hl = strlen(name);
	int n;

	if (hl > sizeof(cmd) - 6)
		return -1;
	memcpy(cmd, "EHLO ", 5);
	memcpy(cmd + 5, name, hl);
	n = (int)(hl + 5);
	c->esmtp = c->size = c->eightbit = c->pipelining = 0;
	c->chunking = c->xclient = c->xforward = 0;
	if (child_cmd(c, cmd, (size_t)n, &rep) == -1)
		return -1;
	if (rep.code == 250) {
		c->esmtp = 1;
		offers(c, &rep);
		return 0;
	}
	memcpy(cmd, "HELO", 4);
	if (child_cmd(c, cmd, (size_t)n, &rep) == -1)
		return -1;
	if (rep.code == 250)
		return 0;
	why(c, "child refused HELO", NULL);
	return -1;
}

/*
 * Tell a TCP child who the client is: XCLIENT (it answers with a new
 * greeting), then EHLO again with the client's name.  0, or -1.
 */
static int
xclient(struct child *c, const char *helo, const struct child_who *w)
{
	char cmd[CHILD_XCLIENT_MAX];
	struct creply rep;
	char addr[80];
	size_t n;

	if (!c->xclient) {
		why(c, "the TCP child offers no XCLIENT", NULL);
		return -1;
	}
	snprintf(addr, sizeof(addr), "%s%s", strchr(w->ip, ':') != NULL ?
	    "IPV6:" : "", w->ip);
	memcpy(cmd, "XCLIENT", 7);
	n = xattr(cmd, 7, sizeof(cmd), "ADDR", addr);
	if (w->port != NULL && w->port[0] != '\0')
		n = xattr(cmd, n, sizeof(cmd), "PORT", w->port);
	n = xattr(cmd, n, sizeof(cmd), "NAME", w->name != NULL &&
	    w->name[0] != '\0' ? w->name : "[UNAVAILABLE]");
	n = xattr(cmd, n, sizeof(cmd), "HELO", w->helo != NULL &&
	    w->helo[0] != '\0' ? w->helo : "[UNAVAILABLE]");
	n = xattr(cmd, n, sizeof(cmd), "PROTO", w->esmtp ? "ESMTP" : "SMTP");
	if (child_cmd(c, cmd, n, &rep) == -1)
		return -1;
	if (rep.code != 220) {
		snprintf(c->why, sizeof(c->why), "the TCP child refused "
		    "XCLIENT: %.80s", rep.text);
		return -1;
	}
	return greet(c, helo);
}

/*
 * Without XCLIENT, XFORWARD (Postfix's XFORWARD_README): the same facts
 * and SOURCE=REMOTE, packed into lines of at most CHILD_XFORWARD_LINE
 * bytes, kept for every transaction.  A value longer than a line allows
 * is cut (a HELO name of 255 bytes fits even as xtext).
 */
static void
xforward_lines(struct child *c, const struct child_who *w)
{
	char attr[CHILD_XFORWARD_LINE], addr[80];
	const char *names[6], *vals[6];
	size_t n = 0, a, line = 0;
	int i;

	snprintf(addr, sizeof(addr), "%s%s", strchr(w->ip, ':') != NULL ?
	    "IPV6:" : "", w->ip);
	names[0] = "ADDR";
	vals[0] = addr;
	names[1] = "PORT";
	vals[1] = w->port != NULL && w->port[0] != '\0' ? w->port :
	    "[UNAVAILABLE]";
	names[2] = "PROTO";
	vals[2] = w->esmtp ? "ESMTP" : "SMTP";
	names[3] = "SOURCE";
	vals[3] = "REMOTE";
	names[4] = "NAME";
	vals[4] = w->name != NULL && w->name[0] != '\0' ? w->name :
	    "[UNAVAILABLE]";
	names[5] = "HELO";
	vals[5] = w->helo != NULL && w->helo[0] != '\0' ? w->helo :
	    "[UNAVAILABLE]";
	for (i = 0; i < 6; i++) {
		/* " NAME=value", cut to what a line takes after "XFORWARD" */
		a = xattr(attr, 0, CHILD_XFORWARD_LINE - 8, names[i], vals[i]);
		if (line > 0 && line + a > CHILD_XFORWARD_LINE) {
			memcpy(c->xfwd + n, "\r\n", 2);
			n += 2;
			line = 0;
		}
		if (line == 0) {
			if (n + 8 + a + 2 > sizeof(c->xfwd))
				break;
			memcpy(c->xfwd + n, "XFORWARD", 8);
			n += 8;
			line = 8;
		}
		memcpy(c->xfwd + n, attr, a);
		n += a;
		line += a;
	}
	if (line > 0) {
		memcpy(c->xfwd + n, "\r\n", 2);
		n += 2;
	}
	c->xfwd_len = n;
}

int
child_xforward(struct child *c)
{
	struct creply rep;
	const char *p = c->xfwd, *end = c->xfwd + c->xfwd_len, *nl;

	for (; p < end; p = nl + 2) {
		if ((nl = memmem(p, (size_t)(end - p), "\r\n", 2)) == NULL)
			break;
		if (child_cmd(c, p, (size_t)(nl - p), &rep) == -1)
			return -1;
		if (rep.code != 250) {
			snprintf(c->why, sizeof(c->why), "the TCP child "
			    "refused XFORWARD: %.80s", rep.text);
			return -1;
		}
	}
	return 0;
}

int
child_start(struct child *c, char *const *argv, unsigned long timeout,
    const char *helo, const struct child_who *who)
{
	int to[2], from[2], fail;
	struct creply rep;
	int tcp = strncmp(argv[0], CHILD_TCP, sizeof(CHILD_TCP) - 1) == 0;

	/* not memset: the reply buffer needs no zeroing */
	c->pid = 0;
	c->sock = c->from_sock = 0;
	c->pos = c->len = 0;
	c->esmtp = c->size = c->eightbit = c->pipelining = c->expect = 0;
	c->data_sent = 0;
	c->chunking = c->xclient = c->xforward = 0;
	c->xfwd_len = 0;
	c->why[0] = '\0';
	c->timeout = timeout;
	c->to = c->from = -1;
	if (tcp) {
		if (tcp_connect(c, argv[0], proc_now() + (time_t)timeout) ==
		    -1)
			return -1;
		goto talk;
	}
	/* our ends non-blocking: every write and read has a deadline */
	if (proc_pipe(to, PROC_NB_WRITE) == -1) {
		why(c, "pipe", strerror(errno));
		return CHILD_NOEXEC;
	}
	/* its replies: one system call each (a pipe, where sockets fail) */
	if (proc_replies(from, timeout) == 0)
		c->from_sock = 1;
	else if (proc_pipe(from, PROC_NB_READ) == -1) {
		why(c, "pipe", strerror(errno));
		close(to[0]);
		close(to[1]);
		return CHILD_NOEXEC;
	}
	if ((c->pid = proc_spawn(argv, NULL, to[0], from[1], -1, &fail)) ==
	    -1) {
		why(c, argv[0], strerror(errno ? errno : EAGAIN));
		c->pid = 0;
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		return CHILD_NOEXEC;
	}
	close(to[0]);
	close(from[1]);
	c->to = to[1];
	c->from = from[0];
talk:
	if (getreply(c, &rep) == -1)
		goto fail;
	if (rep.code != 220) {
		why(c, "child banner is not 220", NULL);
		goto fail;
	}
	if (tcp) {
		if (who == NULL || greet(c, who->self) == -1)
			goto fail;
		if (!c->xclient && c->xforward) {
			xforward_lines(c, who);
			return 0;
		}
		if (xclient(c, helo, who) == -1)
			goto fail;
		return 0;
	}
	if (greet(c, helo) == 0)
		return 0;
fail:
	child_kill(c);
	return -1;
}

/*
 * To a child offering CHUNKING: "BDAT n LAST", the prefix and the spool
 * as it is (what the spool holds is already undotted), one write a block,
 * then the one reply.  A spool that reads back other than its size would
 * leave the child waiting for the rest: -1.
 */
static int
bdat_spool(struct child *c, const char *prefix, size_t plen,
    struct spool *sp, struct creply *rep)
{
	static COLD char buf[DATA_BLOCK];
	unsigned long long size = spool_size(sp), done = 0;
	int h;
	long r;
	size_t n;

	/* size is at most size_max (< 2^31): size + plen cannot wrap */
	h = snprintf(buf, sizeof(buf), "BDAT %llu LAST\r\n", size + plen);
	if (h <= 0 || plen >= sizeof(buf) / 2) {
		why(c, "BDAT", "no room for the command and the header");
		return -1;
	}
	memcpy(buf + h, prefix, plen);
	n = (size_t)h + plen;
	if (spool_rewind(sp) == -1) {
		why(c, "spool", strerror(errno));
		return -1;
	}
	/* n < sizeof(buf) at every read: 0 is the end of the spool */
	do {
		r = spool_read(sp, buf + n, sizeof(buf) - n);
		if (r > 0) {
			n += (size_t)r;
			done += (unsigned long long)r;
		}
		if (n > 0 && writeall(c, buf, n,
		    proc_now() + (time_t)c->timeout) == -1)
			return -1;
		n = 0;
	} while (r > 0);
	if (r == -1 || done != size) {
		why(c, "spool", r == -1 ? strerror(errno) : "read back short");
		return -1;
	}
	return getreply(c, rep);
}

int
child_data(struct child *c, const char *prefix, size_t plen,
    struct spool *sp, int bdat, struct creply *rep)
{
	static COLD char in[DATA_BLOCK], out[2 * DATA_BLOCK];
	time_t deadline;
	int bol = 1;
	long r;
	size_t n;

	if (c->data_sent) {
		/* DATA went with the last RCPT */
		c->data_sent = 0;
		if (getreply(c, rep) == -1)
			return -1;
	} else if (bdat && c->chunking)
		return bdat_spool(c, prefix, plen, sp, rep);
	else if (child_cmd(c, "DATA", 4, rep) == -1)
		return -1;
	if (rep->code != 354) {
		if (rep->code >= 400)
			return 0;	/* a refusal, to relay */
		why(c, "child answered DATA with neither 354 nor an error",
		    NULL);
		return -1;
	}
	/* The whole message gets one child timeout per block written. */
	n = dot_stuff(prefix, plen, &bol, out);
	deadline = proc_now() + (time_t)c->timeout;
	if (writeall(c, out, n, deadline) == -1)
		return -1;
	if (spool_rewind(sp) == -1) {
		why(c, "spool", strerror(errno));
		return -1;
	}
	while ((r = spool_read(sp, in, sizeof(in))) > 0) {
		n = dot_stuff(in, (size_t)r, &bol, out);
		deadline = proc_now() + (time_t)c->timeout;
		if (writeall(c, out, n, deadline) == -1)
			return -1;
	}
	if (r == -1) {
		why(c, "spool", strerror(errno));
		return -1;
	}
	deadline = proc_now() + (time_t)c->timeout;
	if (!bol && writeall(c, "\r\n", 2, deadline) == -1)
		return -1;
	if (writeall(c, ".\r\n", 3, deadline) == -1)
		return -1;
	return getreply(c, rep);
}

static void
reap(struct child *c, int wait_s)
{
	int st;

	(void)proc_reap(c->pid, &c->to, &c->from, proc_now() + wait_s, &st);
	c->pid = 0;
}

/* A TCP child: our ends closed, nothing to reap. */
static void
hang_up(struct child *c)
{
	if (c->to != -1)
		close(c->to);
	if (c->from != -1)
		close(c->from);
	c->to = c->from = -1;
	c->sock = 0;
}

void
child_stop(struct child *c)
{
	struct creply rep;
	unsigned long t = c->timeout;

	if (!child_up(c))
		return;
	if (c->data_sent) {
		/* perhaps inside DATA: QUIT would be message text */
		child_kill(c);
		return;
	}
	if (c->timeout > CHILD_QUIT_WAIT)
		c->timeout = CHILD_QUIT_WAIT;
	(void)child_cmd(c, "QUIT", 4, &rep);
	c->timeout = t;
	if (c->sock)
		hang_up(c);
	else
		reap(c, CHILD_QUIT_WAIT);
}

void
child_kill(struct child *c)
{
	int st;

	c->data_sent = 0;
	if (c->sock) {
		hang_up(c);
		return;
	}
	(void)proc_kill(c->pid, &c->to, &c->from, &st);
	c->pid = 0;
}
