/*
 * t/sink.c: a small SMTP server for the tests, the fast stand-in for an
 * MTA child.  It speaks SMTP on stdin/stdout (the pipes smtpfront gives
 * its child) and records what it received under $SINK_DIR:
 *
 *   started.PID   created at start, so a test can tell whether a child ran
 *   PID.log       every command line received, one a line, appended
 *   PID.N.msg     message N exactly as received, dot-stuffing removed
 *   PID.N.env     "MAIL FROM:<...> params" as received, then one
 *                 "RCPT TO:<...>" line per accepted RCPT
 *
 * Without $SINK_DIR nothing is recorded.  $SINK_ENV_FILE names a file
 * that gets the environment, one VAR=value a line.  $SINK_LIFETIME (in
 * seconds) is a safety alarm that ends the sink whatever it is doing.
 *
 * Faults are chosen with $SINK_FAULT, a comma-separated list:
 *   banner-garbage banner-exit banner-554 ehlo-reject mail-451
 *   rcpt-refuse=ADDR data-exit data-451 mid-exit eod-exit eod-hang
 *   eod-garbage eod-451 eod-554 eod-segv eod-multiline rcpt-noesc
 *   rcpt-ctl rcpt-long qmail eod-qmail eod-qmail-mismatch
 * qmail answers rcpt-refuse's address as qmail-smtpd does, its enhanced
 * code at the end of its text, "(#5.7.1)"; eod-qmail refuses the message
 * so ("(#5.3.4)"), eod-qmail-mismatch with a 451 naming "(#5.3.4)".
 * data-451 refuses DATA itself and stays in the transaction.
 * rcpt-noesc answers RCPT without enhanced status codes ("250 Ok").
 * rcpt-ctl answers RCPT with control and 8-bit bytes in its text.
 * rcpt-long answers RCPT with three 999-byte lines before the last one.
 * mid-exit ends the sink once the first line of the message is read.
 * eod-hang sleeps $SINK_HANG seconds (default 3600) without replying.
 *
 * With $SINK_XCLIENT set the sink offers XCLIENT, as Postfix's smtpd to
 * an authorized client, and answers it with a new 220 greeting ("refuse":
 * 550 5.7.0); the XCLIENT line is logged as every command is.
 *
 * With $SINK_CHUNKING set (non-empty) the sink also offers CHUNKING, as
 * Postfix and Exim do, and takes BDAT (RFC 3030): a chunk's bytes go to
 * the message file as they are; the data-* faults apply to a message's
 * first BDAT, mid-exit to its first line, the eod-* ones to BDAT LAST.
 *
 * A message file is kept only when the sink answers 250 to it.  The sink
 * exits 0 after QUIT or at end of input, 1 on a write or file error.
 * Input is read through one fixed buffer; a command line longer than
 * LINE_SIZE is answered 500 and skipped.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define IN_SIZE		65536	/* input buffer */
#define LINE_SIZE	4096	/* longest command line kept */
#define PATH_SIZE	4096
#define FAULT_SIZE	1024
#define HANG_DEFAULT	3600
#define SECONDS_MAX	86400

extern char **environ;

static char	 inbuf[IN_SIZE];
static size_t	 inpos, inlen;
static int	 ineof;

static const char *xclient;	/* $SINK_XCLIENT */
static char	 fault[FAULT_SIZE];
static const char *sinkdir;
static long	 pid;
static unsigned long msgno;

static char	 envelope[LINE_SIZE * 4];	/* "MAIL ...\nRCPT ...\n" */
static size_t	 envlen;
static int	 helo_seen, mail_seen, rcpts;

static void
die(void)
{
	_exit(1);
}

static void
writeall(int fd, const char *s, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die();
		}
		s += w;
		n -= (size_t)w;
	}
}

/*
 * Replies are kept until the sink is about to wait for input, to sleep or
 * to end, then written together, as MTAs do (Postfix, qmail-smtpd): the
 * replies to pipelined commands go out in one write, not one segment each
 * held back by Nagle's algorithm until the client's delayed ACK.
 */
static char	 outbuf[LINE_SIZE * 4];
static size_t	 outlen;

static void
flush_out(void)
{
	writeall(1, outbuf, outlen);
	outlen = 0;
}

static void
quit(int code)
{
	flush_out();
	_exit(code);
}

static void
reply(const char *s)
{
	size_t	 n;

	n = strlen(s);
	if (n > LINE_SIZE - 2)
		n = LINE_SIZE - 2;
	if (outlen + n + 2 > sizeof(outbuf))
		flush_out();
	memcpy(outbuf + outlen, s, n);
	outlen += n;
	outbuf[outlen++] = '\r';
	outbuf[outlen++] = '\n';
}

/* Is NAME (or NAME=...) one of the comma-separated faults? */
static int
hasfault(const char *name)
{
	const char	*p, *e;
	size_t		 n;

	n = strlen(name);
	for (p = fault; *p != '\0'; p = e + (*e == ',')) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && memcmp(p, name, n) == 0)
			return 1;
	}
	return 0;
}

/* The value of fault NAME=VALUE, copied into out (size outlen), or 0. */
static int
faultvalue(const char *name, char *out, size_t outlen)
{
	const char	*p, *e;
	size_t		 n, v;

	n = strlen(name);
	for (p = fault; *p != '\0'; p = e + (*e == ',')) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) > n && memcmp(p, name, n) == 0 &&
		    p[n] == '=') {
			v = (size_t)(e - p) - n - 1;
			if (v >= outlen)
				v = outlen - 1;
			memcpy(out, p + n + 1, v);
			out[v] = '\0';
			return 1;
		}
	}
	return 0;
}

static unsigned long
envnum(const char *name, unsigned long dflt)
{
	const char	*s;
	char		*end;
	unsigned long	 v;

	s = getenv(name);
	if (s == NULL || *s == '\0')
		return dflt;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > SECONDS_MAX)
		return dflt;
	return v;
}

static void
mkpath(char *out, size_t outlen, const char *fmt, unsigned long n)
{
	int	 r;

	r = snprintf(out, outlen, fmt, sinkdir, pid, n);
	if (r < 0 || (size_t)r >= outlen)
		die();
}

static void
appendfile(const char *path, const char *s, size_t n)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		die();
	writeall(fd, s, n);
	if (close(fd) != 0)
		die();
}

static void
logline(const char *s, size_t n)
{
	char	 path[PATH_SIZE];
	char	 buf[LINE_SIZE + 1];

	if (sinkdir == NULL)
		return;
	mkpath(path, sizeof(path), "%s/%ld.log", 0);
	if (n > LINE_SIZE)
		n = LINE_SIZE;
	memcpy(buf, s, n);
	buf[n] = '\n';
	appendfile(path, buf, n + 1);
}

static void
envadd(const char *s, size_t n)
{
	if (n + 1 > sizeof(envelope) - envlen)
		return;		/* deliberately cut: the test sees it */
	memcpy(envelope + envlen, s, n);
	envlen += n;
	envelope[envlen++] = '\n';
}

static void
dumpenv(void)
{
	const char	*path;
	char		**e;
	int		 fd;

	path = getenv("SINK_ENV_FILE");
	if (path == NULL || *path == '\0')
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die();
	for (e = environ; *e != NULL; e++) {
		writeall(fd, *e, strlen(*e));
		writeall(fd, "\n", 1);
	}
	if (close(fd) != 0)
		die();
}

/* Fill the input buffer; returns 0 at end of input. */
static int
fill(void)
{
	ssize_t	 r;

	if (inpos < inlen)
		return 1;
	if (ineof)
		return 0;
	flush_out();
	for (;;) {
		r = read(0, inbuf, sizeof(inbuf));
		if (r < 0 && errno == EINTR)
			continue;
		break;
	}
	if (r <= 0) {
		ineof = 1;
		return 0;
	}
	inpos = 0;
	inlen = (size_t)r;
	return 1;
}

/*
 * Read one command line without its line end (LF, with a CR before it
 * removed) into line (size LINE_SIZE).  Returns its length, -1 at end of
 * input, -2 for a line too long (skipped up to its LF).
 */
static long
getline_smtp(char *line)
{
	size_t	 n;
	int	 toolong;
	char	 c;

	n = 0;
	toolong = 0;
	for (;;) {
		if (!fill())
			return -1;
		c = inbuf[inpos++];
		if (c == '\n')
			break;
		if (n < LINE_SIZE - 1)
			line[n++] = c;
		else
			toolong = 1;
	}
	if (toolong)
		return -2;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	return (long)n;
}

static int
verb(const char *line, size_t n, const char *v)
{
	size_t	 k;

	k = strlen(v);
	if (n < k || strncasecmp(line, v, k) != 0)
		return 0;
	return n == k || line[k] == ' ';
}

enum { S_BOL, S_MID, S_CR, S_DOT, S_DOTCR };

/*
 * Read the message after DATA up to CRLF "." CRLF into fd, removing
 * dot-stuffing.  A line starts only after CRLF.  Returns 1 at the end of
 * data, 0 at end of input.
 */
static int
readdata(int fd)
{
	char	 out[IN_SIZE + 2];
	size_t	 o;
	int	 st, lines, midexit;
	char	 c;

	st = S_BOL;
	lines = 0;
	midexit = hasfault("mid-exit");
	for (;;) {
		if (!fill())
			return 0;
		o = 0;
		while (inpos < inlen) {
			c = inbuf[inpos++];
			switch (st) {
			case S_DOT:
				if (c == '\r') {
					st = S_DOTCR;
					continue;
				}
				out[o++] = c;	/* the stuffed dot is gone */
				st = c == '\r' ? S_CR : S_MID;
				continue;
			case S_DOTCR:
				if (c == '\n') {
					if (fd >= 0)
						writeall(fd, out, o);
					return 1;
				}
				out[o++] = '\r';
				st = S_CR;
				/* FALLTHROUGH */
			case S_CR:
				out[o++] = c;
				if (c == '\n') {
					st = S_BOL;
					lines++;
				} else
					st = c == '\r' ? S_CR : S_MID;
				break;
			case S_BOL:
				if (c == '.') {
					st = S_DOT;
					continue;
				}
				out[o++] = c;
				st = c == '\r' ? S_CR : S_MID;
				break;
			default:
				out[o++] = c;
				st = c == '\r' ? S_CR : S_MID;
				break;
			}
			if (midexit && lines > 0)
				quit(0);
		}
		if (fd >= 0)
			writeall(fd, out, o);
	}
}

/* A message's data begins (DATA or its first BDAT): 0, or -1 refused. */
static char	 tmpf[PATH_SIZE], msgf[PATH_SIZE], envf[PATH_SIZE];

static int
data_begin(int *fd)
{
	if (!mail_seen) {
		reply("503 5.5.1 sink: need MAIL first");
		return -1;
	}
	if (rcpts == 0) {
		reply("554 5.5.1 sink: no valid recipients");
		return -1;
	}
	if (hasfault("data-exit"))
		quit(0);
	if (hasfault("data-451")) {
		reply("451 4.3.0 sink: no DATA now");
		return -1;
	}
	msgno++;
	*fd = -1;
	if (sinkdir != NULL) {
		mkpath(tmpf, sizeof(tmpf), "%s/%ld.%lu.tmp", msgno);
		mkpath(msgf, sizeof(msgf), "%s/%ld.%lu.msg", msgno);
		mkpath(envf, sizeof(envf), "%s/%ld.%lu.env", msgno);
		*fd = open(tmpf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (*fd < 0)
			die();
	}
	return 0;
}

/* The message's data is complete (fd closed): faults, file, reply. */
static void
data_end(void)
{
	char	 line[LINE_SIZE + 64];

	mail_seen = 0;
	rcpts = 0;
	if (hasfault("eod-exit"))
		quit(0);
	if (hasfault("eod-hang")) {
		flush_out();
		sleep((unsigned int)envnum("SINK_HANG", HANG_DEFAULT));
		quit(0);
	}
	if (hasfault("eod-segv")) {
		signal(SIGSEGV, SIG_DFL);
		flush_out();
		raise(SIGSEGV);
		_exit(1);
	}
	if (hasfault("eod-garbage")) {
		reply("hello");
		goto refused;
	}
	if (hasfault("eod-451")) {
		reply("451 4.3.0 sink: temporary failure at end of data");
		goto refused;
	}
	if (hasfault("eod-554")) {
		reply("554 5.6.0 sink: message refused at end of data");
		goto refused;
	}
	if (hasfault("eod-qmail")) {
		/* the class in the text is not the reply's: X.0.0 */
		reply("552 sorry, that message size exceeds my databytes "
		    "limit (#5.3.4)");
		goto refused;
	}
	if (hasfault("eod-qmail-mismatch")) {
		reply("451 qmail-queue failed (#5.3.4)");
		goto refused;
	}
	if (sinkdir != NULL) {
		appendfile(envf, envelope, envlen);
		if (rename(tmpf, msgf) != 0)
			die();
	}
	envlen = 0;
	if (hasfault("eod-multiline")) {
		reply("250-first");
		reply("250 2.0.0 second");
		return;
	}
	snprintf(line, sizeof(line), "250 2.0.0 Ok: queued as %ld.%lu", pid,
	    msgno);
	reply(line);
	return;
refused:
	envlen = 0;
	if (sinkdir != NULL)
		unlink(tmpf);
}

static void
cmd_data(void)
{
	int	 fd, r;

	if (data_begin(&fd) == -1)
		return;
	reply("354 sink: go ahead");
	r = readdata(fd);
	if (fd >= 0 && close(fd) != 0)
		die();
	if (r == 0)
		quit(0);
	data_end();
}

/*
 * BDAT SIZE [LAST]: SIZE bytes follow the command line whatever the
 * reply; they go to the message file (fd -1 while none is open, or when
 * the message was refused: then they are read and dropped).
 */
static int	 bdat_fd = -1, bdat_on, bdat_bad;

/* RSET: a message of chunks without its last is dropped. */
static void
bdat_drop(void)
{
	if (bdat_fd >= 0) {
		close(bdat_fd);
		unlink(tmpf);
	}
	bdat_fd = -1;
	bdat_on = 0;
}

static void
cmd_bdat(const char *line)
{
	char	 *end;
	unsigned long long want;
	size_t	 k;
	int	 last, midexit;

	errno = 0;
	want = strtoull(line + 5, &end, 10);
	last = strcasecmp(end, " LAST") == 0;
	if (line[4] != ' ' || end == line + 5 || errno != 0 ||
	    (*end != '\0' && !last)) {
		reply("501 5.5.4 sink: BDAT needs a size");
		return;
	}
	if (!bdat_on) {
		bdat_on = 1;
		bdat_bad = data_begin(&bdat_fd) == -1;
	}
	midexit = hasfault("mid-exit");
	while (want > 0) {
		if (!fill())
			quit(0);
		k = inlen - inpos;
		if (k > want)
			k = (size_t)want;
		if (midexit && memchr(inbuf + inpos, '\n', k) != NULL)
			quit(0);
		if (bdat_fd >= 0 && !bdat_bad)
			writeall(bdat_fd, inbuf + inpos, k);
		inpos += k;
		want -= k;
	}
	if (bdat_bad) {
		if (last)
			bdat_drop();
		reply("503 5.5.1 sink: message refused, chunk dropped");
		return;
	}
	if (!last) {
		reply("250 2.0.0 sink: chunk taken");
		return;
	}
	bdat_on = 0;
	if (bdat_fd >= 0 && close(bdat_fd) != 0)
		die();
	bdat_fd = -1;
	data_end();
}

static void
cmd_rcpt(const char *line, size_t n)
{
	char	 refuse[FAULT_SIZE], want[FAULT_SIZE + 2];
	int	 noesc;

	noesc = hasfault("rcpt-noesc");
	if (!mail_seen) {
		reply("503 5.5.1 sink: need MAIL first");
		return;
	}
	if (faultvalue("rcpt-refuse", refuse, sizeof(refuse))) {
		snprintf(want, sizeof(want), "<%s>", refuse);
		if (strstr(line, want) != NULL) {
			if (hasfault("qmail"))
				reply("553 sorry, that domain isn't in my "
				    "list of allowed rcpthosts (#5.7.1)");
			else
				reply(noesc ? "550 sink: no such user" :
				    "550 5.1.1 sink: no such user");
			return;
		}
	}
	rcpts++;
	envadd(line, n);
	if (hasfault("rcpt-long")) {
		char	 lng[1000];
		int	 i;

		for (i = 0; i < 3; i++) {
			memcpy(lng, "250-", 4);
			memset(lng + 4, 'a' + i, sizeof(lng) - 5);
			lng[sizeof(lng) - 1] = '\0';
			reply(lng);
		}
		reply("250 2.1.5 sink: ok after a long reply");
		return;
	}
	if (hasfault("rcpt-ctl")) {
		reply("250 2.1.5 sink: ok \001\177\351 and a tab\t"
		    "0123456789abcdef\033[0m end");
		return;
	}
	reply(noesc ? "250 sink: Ok" : "250 2.1.5 Ok");
}

static void
cmd_mail(const char *line, size_t n)
{
	if (!helo_seen) {
		reply("503 5.5.1 sink: send HELO or EHLO first");
		return;
	}
	if (mail_seen) {
		reply("503 5.5.1 sink: nested MAIL");
		return;
	}
	if (hasfault("mail-451")) {
		reply("451 4.3.0 sink: temporary failure");
		return;
	}
	mail_seen = 1;
	rcpts = 0;
	envlen = 0;
	envadd(line, n);
	reply("250 2.1.0 Ok");
}

int
main(void)
{
	char		 line[LINE_SIZE];
	char		 path[PATH_SIZE];
	struct rlimit	 rl;
	const char	*f;
	long		 n;
	int		 refused_banner, chunking;

	signal(SIGPIPE, SIG_IGN);
	atexit(flush_out);	/* the last replies (221) on the way out */
	rl.rlim_cur = rl.rlim_max = 0;
	(void)setrlimit(RLIMIT_CORE, &rl);	/* eod-segv leaves no core */
	pid = (long)getpid();
	if (envnum("SINK_LIFETIME", 0) > 0)
		alarm((unsigned int)envnum("SINK_LIFETIME", 0));
	f = getenv("SINK_FAULT");
	if (f != NULL)
		snprintf(fault, sizeof(fault), "%s", f);
	f = getenv("SINK_CHUNKING");
	chunking = f != NULL && *f != '\0';
	xclient = getenv("SINK_XCLIENT");
	sinkdir = getenv("SINK_DIR");
	if (sinkdir != NULL && *sinkdir == '\0')
		sinkdir = NULL;
	if (sinkdir != NULL) {
		mkpath(path, sizeof(path), "%s/started.%ld", 0);
		appendfile(path, "", 0);
	}
	dumpenv();

	if (hasfault("banner-exit"))
		return 0;
	refused_banner = 0;
	if (hasfault("banner-garbage"))
		reply("garbage from the sink");
	else if (hasfault("banner-554")) {
		reply("554 5.3.2 sink: not available");
		refused_banner = 1;
	} else
		reply("220 sink.test ESMTP sink");

	for (;;) {
		n = getline_smtp(line);
		if (n == -1)
			return 0;
		if (n == -2) {
			logline("(line too long)", 15);
			reply("500 5.5.2 sink: line too long");
			continue;
		}
		logline(line, (size_t)n);
		if (verb(line, n, "QUIT")) {
			reply("221 2.0.0 sink: bye");
			return 0;
		}
		if (refused_banner)
			reply("503 5.5.1 sink: not available");
		else if (verb(line, n, "EHLO")) {
			if (hasfault("ehlo-reject")) {
				reply("502 5.5.1 sink: EHLO not implemented");
				continue;
			}
			helo_seen = 1;
			mail_seen = 0;
			/* one write: line by line, Nagle would hold the rest
			 * until the client's delayed ACK on a TCP socket */
			if (xclient != NULL)
				reply("250-XCLIENT NAME ADDR PORT PROTO HELO");
			reply(chunking ?
			    "250-sink.test\r\n250-PIPELINING\r\n"
			    "250-SIZE 1000000000\r\n250-8BITMIME\r\n"
			    "250-CHUNKING\r\n250 ENHANCEDSTATUSCODES" :
			    "250-sink.test\r\n250-PIPELINING\r\n"
			    "250-SIZE 1000000000\r\n250-8BITMIME\r\n"
			    "250 ENHANCEDSTATUSCODES");
		} else if (xclient != NULL && verb(line, n, "XCLIENT")) {
			/* as Postfix: a new greeting, EHLO again */
			helo_seen = 0;
			mail_seen = 0;
			if (strcmp(xclient, "refuse") == 0)
				reply("550 5.7.0 Error: insufficient "
				    "authorization");
			else
				reply("220 sink.test ESMTP sink");
		} else if (verb(line, n, "HELO")) {
			helo_seen = 1;
			mail_seen = 0;
			reply("250 sink.test");
		} else if (verb(line, n, "MAIL"))
			cmd_mail(line, (size_t)n);
		else if (verb(line, n, "RCPT"))
			cmd_rcpt(line, (size_t)n);
		else if (verb(line, n, "DATA"))
			cmd_data();
		else if (chunking && verb(line, n, "BDAT"))
			cmd_bdat(line);
		else if (verb(line, n, "RSET")) {
			bdat_drop();
			mail_seen = 0;
			rcpts = 0;
			envlen = 0;
			reply("250 2.0.0 Ok");
		} else if (verb(line, n, "NOOP"))
			reply("250 2.0.0 Ok");
		else
			reply("500 5.5.1 sink: command unrecognized");
	}
}
