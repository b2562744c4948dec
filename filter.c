/*
 * filter.c: external filter programs: their statements parsed, and one
 * run with the message on its input, its output read, within a deadline
 * (filter.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include "cold.h"
#include "filter.h"
#include "proc.h"
#include "spool.h"

#define FEED_BUF	65536	/* bytes of the message written at a time */
#define READ_BUF	65536
#define TIMEOUT_MAX	3600UL

/* the verdicts' names in exit=, in enum filter_verdict's order */
static const char *const vnames[] = {
	"pass", "accept", "warn", "defer", "reject", "tempfail"
};


static int __attribute__((format(printf, 3, 4)))
bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
isblank_c(int c)
{
	return c == ' ' || c == '\t';
}

static int
verdict_parse(const char *s, size_t n, unsigned char *v)
{
	size_t i;

	for (i = 0; i < sizeof(vnames) / sizeof(vnames[0]); i++)
		if (strlen(vnames[i]) == n && strncmp(vnames[i], s, n) == 0) {
			*v = (unsigned char)i;
			return 0;
		}
	return -1;
}

/* "0:pass,1:reject,*:tempfail" over the defaults. */
static int
exits_parse(struct filter_spec *f, const char *s, char *err, size_t errlen)
{
	const char *e, *colon;
	unsigned long code;
	unsigned char v;
	size_t n;
	char *end;

	while (*s != '\0') {
		e = strchr(s, ',');
		n = e != NULL ? (size_t)(e - s) : strlen(s);
		colon = memchr(s, ':', n);
		if (colon == NULL || colon == s)
			return bad(err, errlen, "exit=%.*s: not CODE:VERDICT",
			    (int)n, s);
		if (verdict_parse(colon + 1, n - (size_t)(colon + 1 - s),
		    &v) == -1)
			return bad(err, errlen, "exit=: unknown verdict %.*s "
			    "(pass, accept, warn, defer, reject, tempfail)",
			    (int)(n - (size_t)(colon + 1 - s)), colon + 1);
		if (colon - s == 1 && s[0] == '*')
			f->other = v;
		else {
			if (s[0] < '0' || s[0] > '9' || colon - s > 3)
				return bad(err, errlen, "exit=: code %.*s is "
				    "not 0-255 or *", (int)(colon - s), s);
			errno = 0;
			code = strtoul(s, &end, 10);
			if (end != colon || code > 255)
				return bad(err, errlen, "exit=: code %.*s is "
				    "not 0-255 or *", (int)(colon - s), s);
			f->exits[code] = v;
		}
		if (e == NULL)
			break;
		s = e + 1;
		if (*s == '\0')
			return bad(err, errlen, "exit=: empty entry");
	}
	return 0;
}

/* One network of a client list: ADDR or ADDR/LEN; 0 or -1. */
static int
net_parse(const char *s, size_t n, unsigned char bin[16], unsigned int *bits)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = memchr(s, '/', n);
	size_t alen = slash != NULL ? (size_t)(slash - s) : n;
	unsigned long b;
	char *end;
	int v4;

	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	v4 = memchr(buf, ':', alen) == NULL;
	memset(bin, 0, 16);
	if (v4) {
		bin[10] = bin[11] = 0xff;
		if (inet_pton(AF_INET, buf, bin + 12) != 1)
			return -1;
	} else if (inet_pton(AF_INET6, buf, bin) != 1)
		return -1;
	if (slash == NULL) {
		*bits = 128;
		return 0;
	}
	if (n - alen < 2 || n - alen > 4 || slash[1] < '0' || slash[1] > '9')
		return -1;
	memcpy(buf, slash + 1, n - alen - 1);
	buf[n - alen - 1] = '\0';
	b = strtoul(buf, &end, 10);
	if (*end != '\0' || b > (v4 ? 32UL : 128UL))
		return -1;
	*bits = (unsigned int)(v4 ? b + 96 : b);
	return 0;
}

static int
list_check(const char *key, const char *v, int nets, char *err,
    size_t errlen)
{
	unsigned char bin[16];
	unsigned int bits;
	const char *e;
	size_t n;

	if (*v == '\0')
		return bad(err, errlen, "%s= needs a value", key);
	for (;;) {
		e = strchr(v, ',');
		n = e != NULL ? (size_t)(e - v) : strlen(v);
		if (n == 0)
			return bad(err, errlen, "%s=: empty entry", key);
		if (nets && net_parse(v, n, bin, &bits) == -1)
			return bad(err, errlen, "%s=: %.*s is not an address "
			    "or ADDR/LEN", key, (int)n, v);
		if (e == NULL)
			return 0;
		v = e + 1;
	}
}

void
filter_scope_init(struct filter_scope *sc)
{
	sc->only_client = sc->skip_client = sc->only_sender = "";
	sc->skip_sender = sc->only_rcpt = sc->skip_rcpt = "";
}

int
filter_scope_option(char *field, struct filter_scope *sc, char *err,
    size_t errlen)
{
	char *eq = strchr(field, '='), *v;
	size_t k;
	int r;

	if (eq == NULL)
		return 0;
	k = (size_t)(eq - field);
	v = eq + 1;
#define IS(name)	(k == sizeof(name) - 1 && \
	strncmp(field, name, k) == 0)
	if (IS("only_client") || IS("skip_client")) {
		*eq = '\0';
		r = list_check(field, v, 1, err, errlen);
		*eq = '=';
		if (r == -1)
			return -1;
		if (field[0] == 'o')
			sc->only_client = v;
		else
			sc->skip_client = v;
		return 1;
	}
	if (!IS("only_sender") && !IS("skip_sender") && !IS("only_rcpt") &&
	    !IS("skip_rcpt"))
		return 0;
#undef IS
	*eq = '\0';
	r = list_check(field, v, 0, err, errlen);
	*eq = '=';
	if (r == -1)
		return -1;
	for (; *v != '\0'; v++)
		if (*v >= 'A' && *v <= 'Z')
			*v = (char)(*v + 32);
	v = eq + 1;
	if (field[0] == 'o' && field[5] == 's')
		sc->only_sender = v;
	else if (field[0] == 's' && field[5] == 's')
		sc->skip_sender = v;
	else if (field[0] == 'o')
		sc->only_rcpt = v;
	else
		sc->skip_rcpt = v;
	return 1;
}

int
filter_parse(const char *in, size_t len, struct filter_spec *f, char *err,
    size_t errlen)
{
	char *t, *field, *eq;
	size_t pos = 0, tl = 0, n, i, argc = 0;
	unsigned long num;
	char *end;
	int nfields = 0, r;

	memset(f, 0, sizeof(*f));
	/* 0:pass 1:reject 100:reject, every other code the '*' entry */
	memset(f->exits, FILTER_OTHER, sizeof(f->exits));
	f->exits[0] = FILTER_PASS;
	f->exits[1] = f->exits[100] = FILTER_REJECT;
	f->other = FILTER_TEMPFAIL;
	filter_scope_init(&f->scope);
	/* the fields, NUL-separated in text */
	t = f->text;
	for (;;) {
		while (pos < len && isblank_c((unsigned char)in[pos]))
			pos++;
		if (pos == len)
			break;
		for (n = 0; pos + n < len &&
		    !isblank_c((unsigned char)in[pos + n]); n++)
			if ((unsigned char)in[pos + n] < 32 ||
			    (unsigned char)in[pos + n] > 126)
				return bad(err, errlen, "control or 8-bit "
				    "character");
		if (tl + n + 1 > sizeof(f->text) - 1)
			return bad(err, errlen, "longer than %d bytes",
			    FILTER_SPEC_MAX);
		field = t + tl;
		memcpy(field, in + pos, n);
		field[n] = '\0';
		tl += n + 1;
		pos += n;
		nfields++;
		if (nfields == 1) {
			if (n > FILTER_NAME_MAX)
				return bad(err, errlen, "name longer than %d "
				    "bytes", FILTER_NAME_MAX);
			for (i = 0; i < n; i++)
				if (!((field[i] >= 'a' && field[i] <= 'z') ||
				    (field[i] >= '0' && field[i] <= '9') ||
				    field[i] == '_' || field[i] == '-'))
					return bad(err, errlen, "name %s: "
					    "only a-z, 0-9, _ and -", field);
			memcpy(f->name, field, n + 1);
			continue;
		}
		if (argc > 0 || field[0] == '/') {
			if (argc == FILTER_ARGS_MAX)
				return bad(err, errlen, "more than %d "
				    "arguments", FILTER_ARGS_MAX - 1);
			f->argv[argc++] = field;
			continue;
		}
		if ((eq = strchr(field, '=')) == NULL)
			return bad(err, errlen, "%s: neither OPTION=VALUE nor "
			    "the program's absolute path", field);
		if ((r = filter_scope_option(field, &f->scope, err, errlen)) ==
		    -1)
			return -1;
		if (r == 1)
			continue;
		*eq = '\0';
		if (strcmp(field, "mode") == 0) {
			if (strcmp(eq + 1, "check") == 0)
				f->rewrite = 0;
			else if (strcmp(eq + 1, "rewrite") == 0)
				f->rewrite = 1;
			else
				return bad(err, errlen, "mode=%s: check or "
				    "rewrite", eq + 1);
		} else if (strcmp(field, "phase") == 0) {
			if (strcmp(eq + 1, "eod") == 0)
				f->phase = FILTER_PHASE_EOD;
			else if (strcmp(eq + 1, "rcpt") == 0)
				f->phase = FILTER_PHASE_RCPT;
			else
				return bad(err, errlen, "phase=%s: eod or "
				    "rcpt", eq + 1);
		} else if (strcmp(field, "timeout") == 0) {
			num = strtoul(eq + 1, &end, 10);
			if (eq[1] < '0' || eq[1] > '9' || *end != '\0' ||
			    num < 1 || num > TIMEOUT_MAX || end - eq > 5)
				return bad(err, errlen, "timeout=%s: seconds "
				    "from 1 to %lu", eq + 1, TIMEOUT_MAX);
			f->timeout = num;
		} else if (strcmp(field, "exit") == 0) {
			if (exits_parse(f, eq + 1, err, errlen) == -1)
				return -1;
		} else
			return bad(err, errlen, "unknown option %s (mode, exit, "
			    "timeout, phase, only_client, skip_client, "
			    "only_sender, skip_sender, only_rcpt, skip_rcpt)",
			    field);
		*eq = '=';
	}
	if (nfields == 0)
		return bad(err, errlen, "needs a name and a program");
	if (argc == 0)
		return bad(err, errlen, "needs the program, an absolute path");
	if (f->rewrite && f->phase == FILTER_PHASE_RCPT)
		return bad(err, errlen, "mode=rewrite needs phase=eod: at RCPT "
		    "there is no message");
	f->argv[argc] = NULL;
	f->textlen = tl > 0 ? tl - 1 : 0;
	return 0;
}

enum filter_verdict
filter_exit_verdict(const struct filter_spec *f, int code)
{
	if (code < 0 || code > 255 || f->exits[code] == FILTER_OTHER)
		return (enum filter_verdict)f->other;
	return (enum filter_verdict)f->exits[code];
}

int
filter_client_in(const unsigned char bin[16], const char *list)
{
	unsigned char net[16];
	unsigned int bits, i;
	const char *e;
	size_t n;

	while (*list != '\0') {
		e = strchr(list, ',');
		n = e != NULL ? (size_t)(e - list) : strlen(list);
		if (net_parse(list, n, net, &bits) == 0) {
			for (i = 0; i < bits / 8; i++)
				if (net[i] != bin[i])
					break;
			if (i == bits / 8 && (bits % 8 == 0 ||
			    ((net[i] ^ bin[i]) &
			    (0xff << (8 - bits % 8)) & 0xff) == 0))
				return 1;
		}
		if (e == NULL)
			break;
		list = e + 1;
	}
	return 0;
}

int
filter_domain_in(const char *addr, const char *list)
{
	const char *at = strrchr(addr, '@'), *dom, *e;
	size_t n, dl, al = strlen(addr);

	dom = at != NULL ? at + 1 : addr;
	dl = strlen(dom);
	while (*list != '\0') {
		e = strchr(list, ',');
		n = e != NULL ? (size_t)(e - list) : strlen(list);
		if (memchr(list, '@', n) != NULL) {
			if (n == al && strncasecmp(list, addr, n) == 0)
				return 1;
		} else if (list[0] == '.') {
			if (dl > n && strncasecmp(dom + dl - n, list, n) == 0)
				return 1;
		} else if (n == dl && dl > 0 &&
		    strncasecmp(list, dom, n) == 0)
			return 1;
		if (e == NULL)
			break;
		list = e + 1;
	}
	return 0;
}

int
filter_scope_wanted(const struct filter_scope *sc, const unsigned char
    bin[16], const char *sender, const char *rcpts)
{
	char one[512];
	const char *p, *e;
	size_t n;
	int any = 0, all = 1;

	if (sc->only_client[0] != '\0' && !filter_client_in(bin,
	    sc->only_client))
		return 0;
	if (sc->skip_client[0] != '\0' && filter_client_in(bin,
	    sc->skip_client))
		return 0;
	if (sc->only_sender[0] != '\0' && !filter_domain_in(sender,
	    sc->only_sender))
		return 0;
	if (sc->skip_sender[0] != '\0' && filter_domain_in(sender,
	    sc->skip_sender))
		return 0;
	if (sc->only_rcpt[0] == '\0' && sc->skip_rcpt[0] == '\0')
		return 1;
	for (p = rcpts; *p != '\0'; p = e + 1) {
		e = strchr(p, '\n');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n > sizeof(one) - 1)
			n = sizeof(one) - 1;
		memcpy(one, p, n);
		one[n] = '\0';
		if (sc->only_rcpt[0] == '\0' ||
		    filter_domain_in(one, sc->only_rcpt))
			any = 1;
		if (sc->skip_rcpt[0] == '\0' ||
		    !filter_domain_in(one, sc->skip_rcpt))
			all = 0;
		if (e == NULL)
			break;
	}
	return any && !(sc->skip_rcpt[0] != '\0' && all);
}

void
filter_crlf_init(struct filter_crlf *c)
{
	c->cr = c->any = 0;
	c->nl = 1;
}

size_t
filter_crlf(struct filter_crlf *c, const char *in, size_t n, char *dst)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		c->any = 1;
		if (in[i] == '\n') {
			if (!c->cr)
				dst[o++] = '\r';
			dst[o++] = '\n';
			c->cr = 0;
			c->nl = 1;
			continue;
		}
		if (c->cr) {
			/* a CR alone ends a line too */
			dst[o++] = '\n';
			c->nl = 1;
		}
		c->cr = in[i] == '\r';
		dst[o++] = in[i];
		c->nl = 0;
	}
	return o;
}

size_t
filter_crlf_end(struct filter_crlf *c, char *dst)
{
	size_t o = 0;

	if (c->cr) {
		dst[o++] = '\n';
		c->cr = 0;
		c->nl = 1;
	} else if (c->any && !c->nl) {
		dst[o++] = '\r';
		dst[o++] = '\n';
		c->nl = 1;
	}
	return o;
}

long long
filter_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keep the first line of what comes, printable. */
static void
first_line(char *line, size_t *len, int *done, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n && !*done; i++) {
		if (buf[i] == '\n' || buf[i] == '\r') {
			if (*len > 0)
				*done = 1;
			continue;
		}
		if (*len < FILTER_LINE_MAX)
			line[(*len)++] = (unsigned char)buf[i] < 32 ||
			    (unsigned char)buf[i] > 126 ? '?' : buf[i];
	}
	line[*len] = '\0';
}

static void
closefd(int *fd)
{
	if (*fd != -1)
		(void)close(*fd);
	*fd = -1;
}

static int
fail(struct filter_result *r, const char *what, int e)
{
	(void)snprintf(r->why, sizeof(r->why), "%s%s%s", what, e ? ": " : "",
	    e ? strerror(e) : "");
	return -1;
}

int
filter_run(const struct filter_spec *f, char *const *envp, struct spool *in,
    struct spool *out, unsigned long long max, long long deadline,
    struct filter_result *r)
{
	static COLD char wbuf[FEED_BUF], rbuf[READ_BUF], cbuf[2 * READ_BUF + 2];
	struct filter_crlf crlf;
	struct pollfd p[3];
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int devnull = -1, how, st, np, i, e, olinedone = 0, elinedone = 0;
	int broken = 0;
	size_t wlen = 0, wpos = 0, olen = 0, elen = 0, cl;
	char eline[FILTER_LINE_MAX + 1];
	long long left;
	ssize_t n;
	long got;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	filter_crlf_init(&crlf);
	if (in != NULL && spool_rewind(in) == -1)
		return fail(r, "cannot read the message", errno);
	if (in != NULL && proc_pipe(pin, PROC_NB_WRITE) == -1)
		return fail(r, "cannot make a pipe", errno);
	if (in == NULL) {
		/* above fd 2, as proc_spawn wants it */
		if ((i = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
			return fail(r, "cannot open /dev/null", errno);
		devnull = fcntl(i, F_DUPFD_CLOEXEC, 3);
		e = errno;
		(void)close(i);
		if (devnull == -1)
			return fail(r, "cannot open /dev/null", e);
	}
	if (proc_pipe(pout, PROC_NB_READ) == -1 ||
	    proc_pipe(perr, PROC_NB_READ) == -1) {
		e = errno;
		closefd(&pin[0]), closefd(&pin[1]), closefd(&devnull);
		closefd(&pout[0]), closefd(&pout[1]);
		return fail(r, "cannot make a pipe", e);
	}
	pid = proc_spawn(f->argv, envp, in != NULL ? pin[0] : devnull, pout[1],
	    perr[1], &how);
	e = errno;
	closefd(&pin[0]), closefd(&devnull), closefd(&pout[1]);
	closefd(&perr[1]);
	if (pid == -1) {
		closefd(&pin[1]), closefd(&pout[0]), closefd(&perr[0]);
		return fail(r, how == PROC_FAIL_EXEC ? "cannot run it" :
		    "cannot start it", e);
	}
	eline[0] = '\0';
	while (pout[0] != -1 || perr[0] != -1) {
		if ((left = deadline - filter_now_ms()) <= 0) {
			r->timeout = 1;
			break;
		}
		/* the next piece of the message to write */
		if (pin[1] != -1 && wpos == wlen) {
			got = spool_read(in, wbuf, sizeof(wbuf));
			if (got <= 0) {
				closefd(&pin[1]);	/* its end of file */
				if (got < 0) {
					(void)fail(r, "cannot read the "
					    "message", errno);
					broken = 1;
					break;
				}
			}
			wlen = got > 0 ? (size_t)got : 0;
			wpos = 0;
		}
		np = 0;
		if (pin[1] != -1) {
			p[np].fd = pin[1];
			p[np++].events = POLLOUT;
		}
		if (pout[0] != -1) {
			p[np].fd = pout[0];
			p[np++].events = POLLIN;
		}
		if (perr[0] != -1) {
			p[np].fd = perr[0];
			p[np++].events = POLLIN;
		}
		if (poll(p, (nfds_t)np, left > 60000 ? 60000 : (int)left) ==
		    -1) {
			if (errno == EINTR)
				continue;
			(void)fail(r, "poll", errno);
			broken = 1;
			break;
		}
		for (i = 0; i < np; i++) {
			if (p[i].revents == 0)
				continue;
			if (p[i].fd == pin[1]) {
				n = write(pin[1], wbuf + wpos, wlen - wpos);
				if (n > 0)
					wpos += (size_t)n;
				else if (n == -1 && errno != EAGAIN &&
				    errno != EINTR)
					/* it stopped reading (EPIPE): what
					 * it says still decides */
					closefd(&pin[1]);
				continue;
			}
			n = read(p[i].fd, rbuf, sizeof(rbuf));
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0) {
				if (p[i].fd == pout[0])
					closefd(&pout[0]);
				else
					closefd(&perr[0]);
				continue;
			}
			if (p[i].fd == perr[0]) {
				first_line(eline, &elen, &elinedone, rbuf,
				    (size_t)n);
				continue;
			}
			if (!f->rewrite || out == NULL) {
				first_line(r->line, &olen, &olinedone, rbuf,
				    (size_t)n);
				continue;
			}
			if (r->too_big)
				continue;
			cl = filter_crlf(&crlf, rbuf, (size_t)n, cbuf);
			if (r->out_size + cl > max) {
				r->too_big = 1;
				continue;
			}
			if (spool_write(out, cbuf, cl) == -1) {
				(void)fail(r, "cannot keep its output",
				    errno);
				broken = 1;
				r->too_big = 1;
				continue;
			}
			r->out_size += cl;
		}
	}
	closefd(&pin[1]);
	if (f->rewrite && out != NULL && !r->too_big && !r->timeout) {
		cl = filter_crlf_end(&crlf, cbuf);
		if (cl > 0 && r->out_size + cl <= max &&
		    spool_write(out, cbuf, cl) == 0)
			r->out_size += cl;
	}
	if (f->rewrite)
		memcpy(r->line, eline, sizeof(eline));
	if (r->timeout || broken) {
		(void)proc_kill(pid, &pin[1], &pout[0], &st);
		closefd(&perr[0]);
		return broken ? -1 : 0;
	}
	closefd(&perr[0]);
	/* its output is closed: it is ending; wait what is left */
	left = deadline - filter_now_ms();
	if (proc_reap(pid, &pin[1], &pout[0],
	    time(NULL) + (left > 0 ? (time_t)(left / 1000) + 1 : 1),
	    &st) == PROC_TIMEOUT) {
		r->timeout = 1;
		return 0;
	}
	r->status = st;
	r->ran = 1;
	return 0;
}
