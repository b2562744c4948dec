/*
 * bench/lib/bclient.c: the SMTP client of the benchmark (bench/run).
 * It speaks SMTP to IP:PORT over IPv4.
 *
 *   bclient lat IP PORT N BYTES   N sequential sessions, one message of
 *                                 BYTES body bytes each; prints one line
 *                                 per session: microseconds from connect()
 *                                 to the server's close after 221
 *   bclient hold IP PORT N PHASE  opens N connections and takes each to
 *                                 PHASE: "helo" (banner and HELO, before a
 *                                 transaction) or "data" (MAIL, RCPT, DATA
 *                                 and 2 KB of the message: inside one);
 *                                 prints "ready N", waits for end of
 *                                 standard input, then closes them all
 *   bclient big IP PORT BYTES     one session with one message of BYTES
 *                                 body bytes; prints "done USEC CODE",
 *                                 where USEC runs from the DATA command to
 *                                 the final reply, then waits for a line
 *                                 on standard input before QUIT
 *   bclient pipe IP PORT S M BYTES [PER]
 *                                 S sessions at once share M messages of
 *                                 BYTES body bytes, as an MTA sends them:
 *                                 EHLO, then for each message MAIL, RCPT
 *                                 and DATA in one write (PIPELINING), the
 *                                 three replies, the message and its end
 *                                 in one write, the final reply; QUIT when
 *                                 none is left, or after PER messages
 *                                 (then a new session takes its place
 *                                 while messages are left: PER 1 measures
 *                                 sessions).  Prints "done USEC", from
 *                                 the first connect to the last 221
 *   bclient refused IP PORT N RCPT
 *                                 N sequential sessions refused at RCPT:
 *                                 the banner, HELO, MAIL, RCPT TO:<RCPT>
 *                                 answered 4xx or 5xx, QUIT; prints one
 *                                 line per session, microseconds from
 *                                 connect() to the server's close
 *   bclient talk IP PORT N early|silent
 *                                 N connections at once, each sending
 *                                 HELO at once, before the banner (early
 *                                 talkers), or waiting silently for the
 *                                 banner and answering it with QUIT;
 *                                 prints "ready N" once all are open
 *                                 (and have talked), then "done USEC"
 *                                 once the server closed every one (from
 *                                 the first connect)
 *
 * lat, hold and big say HELO and wait for every reply (lock step), as
 * smtp-source does: the reply to HELO is one line, so a server that writes
 * a multi-line EHLO reply line by line (build/t/sink does) is not held up
 * by Nagle's algorithm and the client's delayed ACK; pipe pays that once a
 * session.
 *
 * Every read has a deadline (TIMEOUT_S); any unexpected reply or error
 * prints "error: ..." on stderr and exits 1.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_S	120
#define RBUF		4096
#define LINE		1024
#define BLOCK		65536
#define HOLD_MAX	12000
#define HOLD_BODY	2048

struct conn {
	int	 fd;
	char	 buf[RBUF];
	size_t	 pos, len;
};

static const char *ip;
static int port;
static char block[BLOCK];
/* the headers of every message */
static const char hdr[] = "From: <sender@example.org>\r\n"
    "To: <user@example.test>\r\nSubject: bench\r\n\r\n";

static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "error: %s%s%s\n", what, detail ? ": " : "",
	    detail ? detail : "");
	exit(1);
}

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
conn_open(struct conn *c)
{
	struct sockaddr_in sa;
	int one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		fail("bad address", ip);
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		fail("socket", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		fail("connect", strerror(errno));
	c->pos = c->len = 0;
}

static int
fill(struct conn *c)
{
	struct pollfd p;
	ssize_t r;
	int pr;

	p.fd = c->fd;
	p.events = POLLIN;
	do
		pr = poll(&p, 1, TIMEOUT_S * 1000);
	while (pr == -1 && errno == EINTR);
	if (pr == 0)
		fail("timeout waiting for the server", NULL);
	do
		r = read(c->fd, c->buf, sizeof(c->buf));
	while (r == -1 && errno == EINTR);
	if (r == -1)
		fail("read", strerror(errno));
	c->pos = 0;
	c->len = (size_t)r;
	return r > 0;
}

/* One whole reply (the last line's code); -1 at end of file. */
static int
reply(struct conn *c, char *last, size_t lastlen)
{
	char line[LINE];
	size_t n = 0;
	char ch;

	for (;;) {
		if (c->pos >= c->len && !fill(c))
			return -1;
		ch = c->buf[c->pos++];
		if (ch != '\n') {
			if (n < sizeof(line) - 1)
				line[n++] = ch;
			continue;
		}
		if (n > 0 && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		if (n >= 4 && line[3] == '-') {
			n = 0;
			continue;
		}
		if (last != NULL)
			snprintf(last, lastlen, "%s", line);
		if (n < 3)
			return 0;
		return (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
	}
}

static void
sendall(struct conn *c, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(c->fd, s, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			fail("write", strerror(errno));
		}
		s += w;
		n -= (size_t)w;
	}
}

static void
expect(struct conn *c, int code, const char *what)
{
	char last[LINE];
	int r;

	r = reply(c, last, sizeof(last));
	if (r != code) {
		char msg[LINE + 64];

		snprintf(msg, sizeof(msg), "%s: expected %d, got \"%s\"", what,
		    code, r == -1 ? "(connection closed)" : last);
		fail(msg, NULL);
	}
}

static void
cmd(struct conn *c, const char *line, int code)
{
	sendall(c, line, strlen(line));
	sendall(c, "\r\n", 2);
	expect(c, code, line);
}

/* Headers, then body bytes in lines of 78 characters, no final CRLF. */
static void
message(struct conn *c, unsigned long long bytes)
{
	unsigned long long left = bytes;
	size_t n;

	sendall(c, hdr, sizeof(hdr) - 1);
	while (left > 0) {
		n = left < sizeof(block) ? (size_t)left : sizeof(block);
		sendall(c, block, n);
		left -= n;
	}
}

static void
transaction_start(struct conn *c)
{
	expect(c, 220, "banner");
	cmd(c, "HELO client.example.org", 250);
	cmd(c, "MAIL FROM:<sender@example.org>", 250);
	cmd(c, "RCPT TO:<user@example.test>", 250);
	cmd(c, "DATA", 354);
}

static void
drain_close(struct conn *c)
{
	char tmp[256];

	while (read(c->fd, tmp, sizeof(tmp)) > 0)
		;
	close(c->fd);
}

static void
lat(int n, unsigned long long bytes)
{
	struct conn c;
	long long t0;
	int i;

	for (i = 0; i < n; i++) {
		t0 = now_us();
		conn_open(&c);
		transaction_start(&c);
		message(&c, bytes);
		cmd(&c, "\r\n.", 250);
		cmd(&c, "QUIT", 221);
		drain_close(&c);
		printf("%lld\n", now_us() - t0);
	}
}

/* A descriptor for each of n connections, and room. */
static void
room_for(int n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n +
	    64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max :
		    (rlim_t)n + 64;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
hold(int n, const char *phase)
{
	static struct conn c[HOLD_MAX];
	char tmp[256];
	int i, data;

	if (n < 1 || n > HOLD_MAX)
		fail("hold: bad count", NULL);
	room_for(n);
	data = strcmp(phase, "data") == 0;
	if (!data && strcmp(phase, "helo") != 0)
		fail("hold: phase is helo or data", phase);
	for (i = 0; i < n; i++) {
		conn_open(&c[i]);
		if (data) {
			transaction_start(&c[i]);
			message(&c[i], HOLD_BODY);
		} else {
			expect(&c[i], 220, "banner");
			cmd(&c[i], "HELO client.example.org", 250);
		}
	}
	printf("ready %d\n", n);
	fflush(stdout);
	while (read(0, tmp, sizeof(tmp)) > 0)
		;
	for (i = 0; i < n; i++)
		close(c[i].fd);
}

static void
refused(int n, const char *rcpt)
{
	struct conn c;
	char line[LINE], last[LINE];
	long long t0;
	int i, r;

	snprintf(line, sizeof(line), "RCPT TO:<%s>\r\n", rcpt);
	for (i = 0; i < n; i++) {
		t0 = now_us();
		conn_open(&c);
		expect(&c, 220, "banner");
		cmd(&c, "HELO client.example.org", 250);
		cmd(&c, "MAIL FROM:<sender@example.org>", 250);
		sendall(&c, line, strlen(line));
		r = reply(&c, last, sizeof(last));
		if (r < 400 || r > 599)
			fail("RCPT: expected a refusal, got", last);
		cmd(&c, "QUIT", 221);
		drain_close(&c);
		printf("%lld\n", now_us() - t0);
	}
}

static void
talk(int n, int early)
{
	static int spoke[HOLD_MAX];
	static struct conn c[HOLD_MAX];
	static struct pollfd p[HOLD_MAX];
	static const char helo[] = "HELO early.example.org\r\n";
	char tmp[256];
	long long t0;
	int i, open, pr;
	ssize_t r;

	if (n < 1 || n > HOLD_MAX)
		fail("talk: bad count", NULL);
	room_for(n);
	t0 = now_us();
	for (i = 0; i < n; i++) {
		conn_open(&c[i]);
		if (early)
			sendall(&c[i], helo, sizeof(helo) - 1);
		p[i].fd = c[i].fd;
		p[i].events = POLLIN;
	}
	printf("ready %d\n", n);
	fflush(stdout);
	for (open = n; open > 0;) {
		do
			pr = poll(p, (nfds_t)n, TIMEOUT_S * 1000);
		while (pr == -1 && errno == EINTR);
		if (pr <= 0)
			fail("talk: the server kept connections open", NULL);
		for (i = 0; i < n; i++) {
			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			r = read(p[i].fd, tmp, sizeof(tmp));
			if (r > 0 && !early && !spoke[i]) {
				spoke[i] = 1;	/* the banner: QUIT */
				sendall(&c[i], "QUIT\r\n", 6);
			}
			if (r > 0)
				continue;	/* its reply, then the close */
			close(p[i].fd);
			p[i].fd = -1;
			open--;
		}
	}
	printf("done %lld\n", now_us() - t0);
}

static void
big(unsigned long long bytes)
{
	struct conn c;
	char last[LINE], tmp[64];
	long long t0;
	int code;

	conn_open(&c);
	expect(&c, 220, "banner");
	cmd(&c, "HELO client.example.org", 250);
	cmd(&c, "MAIL FROM:<sender@example.org>", 250);
	cmd(&c, "RCPT TO:<user@example.test>", 250);
	t0 = now_us();
	cmd(&c, "DATA", 354);
	message(&c, bytes);
	sendall(&c, "\r\n.\r\n", 5);
	code = reply(&c, last, sizeof(last));
	printf("done %lld %d\n", now_us() - t0, code);
	fflush(stdout);
	(void)fgets(tmp, sizeof(tmp), stdin);	/* a line or end of input */
	cmd(&c, "QUIT", 221);
	drain_close(&c);
	if (code != 250)
		fail("big: final reply", last);
}

/*
 * The pipelining sessions: what each waits for next.  A reply is taken
 * from the buffer only when whole (its last line in), so any number of
 * them may come in one read or one over several.
 */
enum pstate { P_BANNER, P_EHLO, P_MAIL, P_RCPT, P_DATA, P_END, P_QUIT };

/* A whole reply at the start of c's buffer: its code, and it is taken;
 * 0 when it has not all come yet. */
static int
take_reply(struct conn *c)
{
	size_t i, start = c->pos;

	for (i = c->pos; i < c->len; i++) {
		if (c->buf[i] != '\n')
			continue;
		if (i - start >= 4 && c->buf[start + 3] == '-') {
			start = i + 1;
			continue;
		}
		if (i - start < 4)
			fail("pipe: short reply line", NULL);
		c->pos = i + 1;
		return (c->buf[start] - '0') * 100 +
		    (c->buf[start + 1] - '0') * 10 + (c->buf[start + 2] - '0');
	}
	return 0;
}

static void
pipe_run(int nsess, long msgs, unsigned long long bytes, long per)
{
	static const char group[] = "MAIL FROM:<sender@example.org>\r\n"
	    "RCPT TO:<user@example.test>\r\nDATA\r\n";
	static struct conn c[HOLD_MAX];
	static struct pollfd p[HOLD_MAX];
	static enum pstate st[HOLD_MAX];
	static long sent[HOLD_MAX];	/* messages of the session */
	static char msg[sizeof(hdr) + BLOCK + 8];
	size_t mlen;
	long left = msgs, done = 0;
	long long t0 = now_us();
	int i, open_n, code, want;
	ssize_t r;

	if (nsess < 1 || nsess > HOLD_MAX || msgs < 1 || bytes > BLOCK ||
	    per < 0)
		fail("pipe: bad sessions, messages or size", NULL);
	memcpy(msg, hdr, sizeof(hdr) - 1);
	memcpy(msg + sizeof(hdr) - 1, block, (size_t)bytes);
	mlen = sizeof(hdr) - 1 + (size_t)bytes;
	memcpy(msg + mlen, "\r\n.\r\n", 5);
	mlen += 5;
	for (i = 0; i < nsess; i++) {
		conn_open(&c[i]);
		p[i].fd = c[i].fd;
		p[i].events = POLLIN;
		st[i] = P_BANNER;
	}
	open_n = nsess;
	while (open_n > 0) {
		do
			r = poll(p, (nfds_t)nsess, TIMEOUT_S * 1000);
		while (r == -1 && errno == EINTR);
		if (r <= 0)
			fail("pipe: timeout waiting for the servers", NULL);
		for (i = 0; i < nsess; i++) {
			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			if (c[i].pos > 0) {	/* keep what is not taken */
				memmove(c[i].buf, c[i].buf + c[i].pos,
				    c[i].len - c[i].pos);
				c[i].len -= c[i].pos;
				c[i].pos = 0;
			}
			if (c[i].len == sizeof(c[i].buf))
				fail("pipe: reply too long", NULL);
			r = read(c[i].fd, c[i].buf + c[i].len,
			    sizeof(c[i].buf) - c[i].len);
			if (r <= 0)
				fail("pipe: connection lost", NULL);
			c[i].len += (size_t)r;
			while ((code = take_reply(&c[i])) != 0) {
				want = st[i] == P_BANNER ? 220 :
				    st[i] == P_DATA ? 354 :
				    st[i] == P_QUIT ? 221 : 250;
				if (code != want)
					fail("pipe: unexpected reply", NULL);
				switch (st[i]) {
				case P_MAIL:
					st[i] = P_RCPT;
					continue;
				case P_RCPT:
					st[i] = P_DATA;
					continue;
				case P_DATA:
					sendall(&c[i], msg, mlen);
					st[i] = P_END;
					continue;
				case P_QUIT:
					close(c[i].fd);
					p[i].fd = -1;
					if (left == 0) {
						open_n--;
						break;
					}
					/* PER reached: a new session */
					conn_open(&c[i]);
					p[i].fd = c[i].fd;
					st[i] = P_BANNER;
					sent[i] = 0;
					break;
				case P_BANNER:
					sendall(&c[i],
					    "EHLO client.example.org\r\n", 25);
					st[i] = P_EHLO;
					continue;
				case P_END:
					done++;
					/* FALLTHROUGH */
				case P_EHLO:
					if (left > 0 &&
					    (per == 0 || sent[i] < per)) {
						left--;
						sent[i]++;
						sendall(&c[i], group,
						    sizeof(group) - 1);
						st[i] = P_MAIL;
					} else {
						sendall(&c[i], "QUIT\r\n", 6);
						st[i] = P_QUIT;
					}
					continue;
				}
				break;
			}
		}
	}
	if (done != msgs)
		fail("pipe: messages lost", NULL);
	printf("done %lld\n", now_us() - t0);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bclient lat IP PORT N BYTES\n"
	    "       bclient hold IP PORT N helo|data\n"
	    "       bclient big IP PORT BYTES\n"
	    "       bclient pipe IP PORT SESSIONS MESSAGES BYTES [PER]\n"
	    "       bclient refused IP PORT N RCPT\n"
	    "       bclient talk IP PORT N early|silent\n");
	exit(100);
}

int
main(int argc, char **argv)
{
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 5)
		usage();
	ip = argv[2];
	port = atoi(argv[3]);
	/* body lines of 76 characters and CRLF */
	for (i = 0; i < sizeof(block); i++)
		block[i] = (i % 78 == 76) ? '\r' : (i % 78 == 77) ? '\n' :
		    (char)('a' + i % 26);
	if (strcmp(argv[1], "lat") == 0 && argc == 6)
		lat(atoi(argv[4]), strtoull(argv[5], NULL, 10));
	else if (strcmp(argv[1], "hold") == 0 && argc == 6)
		hold(atoi(argv[4]), argv[5]);
	else if (strcmp(argv[1], "big") == 0 && argc == 5)
		big(strtoull(argv[4], NULL, 10));
	else if (strcmp(argv[1], "refused") == 0 && argc == 6)
		refused(atoi(argv[4]), argv[5]);
	else if (strcmp(argv[1], "talk") == 0 && argc == 6)
		talk(atoi(argv[4]), strcmp(argv[5], "early") == 0);
	else if (strcmp(argv[1], "pipe") == 0 && (argc == 7 || argc == 8))
		pipe_run(atoi(argv[4]), atol(argv[5]),
		    strtoull(argv[6], NULL, 10), argc == 8 ? atol(argv[7]) : 0);
	else
		usage();
	return 0;
}
