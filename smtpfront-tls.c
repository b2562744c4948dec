/*
 * smtpfront-tls.c: the TLS side of STARTTLS (RFC 3207), a program of its
 * own so that OpenSSL is loaded only by the sessions that ask for TLS and
 * never into the SMTP process.
 *
 *   smtpfront-tls CERT KEY HANDSHAKE_SECONDS IDLE_SECONDS
 *
 * smtpfront starts it with the client on fd 0 (read) and fd 1 (write) and
 * its own end of a socketpair on fd 3.  It loads the certificate chain
 * (CERT, in the order CAs and ACME clients give it) and the key, and
 * writes "ready" (or "fail REASON") as one line on fd 3; smtpfront then
 * says 220 to the client.  It does the handshake (TLS 1.2 or 1.3, no
 * renegotiation, no compression, no session tickets: nothing outlives the
 * process) within HANDSHAKE_SECONDS, writes the facts line
 * "PROTOCOL CIPHER BITS" (or "fail REASON") on fd 3, and then relays
 * bytes both ways until either side closes or nothing moves for
 * IDLE_SECONDS.  smtpfront keeps every SMTP timeout and limit itself.
 *
 * Exit: 0 after a relayed session, 1 when the handshake failed or timed
 * out, 100 on a usage error, 111 when the certificate or key cannot be
 * used or memory runs out.  It logs nothing: smtpfront logs what the
 * lines on fd 3 say.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define FD_IN		0
#define FD_OUT		1
#define FD_FRONT	3	/* smtpfront's end of the socketpair */
#define RELAY_BUF	16384	/* one TLS record's plaintext */
#define FACTS_MAX	256	/* a line on fd 3 */
#define SECS_MAX	86400
#define EXIT_OK		0
#define EXIT_HANDSHAKE	1
#define EXIT_USAGE	100
#define EXIT_TEMP	111

/* One line on fd 3, made printable; the caller's exit follows. */
static void
say(const char *a, const char *b)
{
	char line[FACTS_MAX];
	size_t n, i;
	ssize_t w;
	int k;

	k = snprintf(line, sizeof(line) - 1, "%s%s%s", a, b[0] ? " " : "", b);
	n = k < 0 ? 0 : (size_t)k;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 32 || (unsigned char)line[i] > 126)
			line[i] = '?';
	line[n++] = '\n';
	do
		w = write(FD_FRONT, line, n);
	while (w == -1 && errno == EINTR);
}

/* "what: OpenSSL's last error", or what alone. */
static const char *
ssl_why(const char *what, char *buf, size_t size)
{
	char err[FACTS_MAX / 2];
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		return what;
	ERR_error_string_n(e, err, sizeof(err));
	snprintf(buf, size, "%s: %s", what, err);
	return buf;
}

static unsigned long
secs(const char *s)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < 1 || n > SECS_MAX) {
		fprintf(stderr, "smtpfront-tls: bad number of seconds: %s\n",
		    s);
		exit(EXIT_USAGE);
	}
	return n;
}

static SSL_CTX *
context(const char *cert, const char *key)
{
	SSL_CTX *ctx;
	char why[FACTS_MAX];

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		say("fail", ssl_why("cannot make a TLS context", why,
		    sizeof(why)));
		exit(EXIT_TEMP);
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		say("fail", "cannot set the protocol versions");
		exit(EXIT_TEMP);
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		say("fail", ssl_why("cannot load tls_cert", why, sizeof(why)));
		exit(EXIT_TEMP);
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		say("fail", ssl_why("cannot load tls_key", why, sizeof(why)));
		exit(EXIT_TEMP);
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		say("fail", "tls_key does not match tls_cert");
		exit(EXIT_TEMP);
	}
	return ctx;
}

static void
nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl != -1 && !(fl & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
waitfd(int fd, short ev, int ms)
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

static long
ms_left(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(end->tv_sec - now.tv_sec) * 1000 +
	    (end->tv_nsec - now.tv_nsec) / 1000000;
}

/* The handshake within secs seconds; exits with the failure said. */
static void
handshake(SSL *ssl, unsigned long secs)
{
	struct timespec end;
	char why[FACTS_MAX];
	long ms;
	int r, e, p;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)secs;
	for (;;) {
		ERR_clear_error();
		if ((r = SSL_accept(ssl)) == 1)
			return;
		e = SSL_get_error(ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			if (e == SSL_ERROR_SYSCALL && ERR_peek_last_error() ==
			    0)
				say("fail", r == 0 ? "client closed during "
				    "the handshake" : "handshake I/O error");
			else
				say("fail", ssl_why("handshake failed", why,
				    sizeof(why)));
			exit(EXIT_HANDSHAKE);
		}
		if ((ms = ms_left(&end)) <= 0) {
			say("fail", "handshake timeout");
			exit(EXIT_HANDSHAKE);
		}
		p = e == SSL_ERROR_WANT_READ ? waitfd(FD_IN, POLLIN, (int)ms) :
		    waitfd(FD_OUT, POLLOUT, (int)ms);
		if (p == 0) {
			say("fail", "handshake timeout");
			exit(EXIT_HANDSHAKE);
		}
		if (p == -1) {
			say("fail", "poll failed");
			exit(EXIT_HANDSHAKE);
		}
	}
}

/*
 * The relay: client -> smtpfront through cbuf, smtpfront -> client
 * through fbuf.  Each side is tried until nothing moves, then one poll
 * waits for whatever each blocked operation needs.  A read is only tried
 * when its buffer is empty: memory stays at the two buffers.
 */
struct relay {
	char	 cbuf[RELAY_BUF];
	size_t	 clen, coff;
	char	 fbuf[RELAY_BUF];
	size_t	 flen, foff;
	int	 ceof;		/* the client closed (close_notify or EOF) */
	short	 cev;		/* what the SSL side waits for */
	short	 fin, fout;	/* what fd 3 waits for */
};

/* 1 when something moved, 0 when blocked, -1 when the session is over. */
static int
step(SSL *ssl, struct relay *r)
{
	ssize_t n;
	int k, e, moved = 0;

	r->cev = r->fin = r->fout = 0;
	/* client -> smtpfront */
	if (r->clen == 0 && !r->ceof) {
		ERR_clear_error();
		k = SSL_read(ssl, r->cbuf, sizeof(r->cbuf));
		if (k > 0) {
			r->clen = (size_t)k;
			r->coff = 0;
			moved = 1;
		} else {
			e = SSL_get_error(ssl, k);
			if (e == SSL_ERROR_WANT_READ)
				r->cev |= POLLIN;
			else if (e == SSL_ERROR_WANT_WRITE)
				r->cev |= POLLOUT;
			else {
				/* close_notify, or the connection ended */
				r->ceof = 1;
				(void)shutdown(FD_FRONT, SHUT_WR);
				moved = 1;
			}
		}
	}
	if (r->clen > 0) {
		n = write(FD_FRONT, r->cbuf + r->coff, r->clen);
		if (n > 0) {
			r->coff += (size_t)n;
			r->clen -= (size_t)n;
			moved = 1;
		} else if (n == -1 && errno == EAGAIN)
			r->fout = POLLOUT;
		else if (!(n == -1 && errno == EINTR))
			return -1;	/* smtpfront is gone */
	}
	/* smtpfront -> client */
	if (r->flen == 0) {
		n = read(FD_FRONT, r->fbuf, sizeof(r->fbuf));
		if (n > 0) {
			r->flen = (size_t)n;
			r->foff = 0;
			moved = 1;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			/* smtpfront closed: the session is over */
			ERR_clear_error();
			(void)SSL_shutdown(ssl);
			return -1;
		} else if (errno == EAGAIN)
			r->fin = POLLIN;
	}
	if (r->flen > 0) {
		ERR_clear_error();
		k = SSL_write(ssl, r->fbuf + r->foff, (int)r->flen);
		if (k > 0) {
			r->foff += (size_t)k;
			r->flen -= (size_t)k;
			moved = 1;
		} else {
			e = SSL_get_error(ssl, k);
			if (e == SSL_ERROR_WANT_WRITE)
				r->cev |= POLLOUT;
			else if (e == SSL_ERROR_WANT_READ)
				r->cev |= POLLIN;
			else
				return -1;	/* the client is gone */
		}
	}
	return moved;
}

static void
relay(SSL *ssl, unsigned long idle)
{
	static struct relay r;
	struct pollfd p[3];
	nfds_t np;
	int k;

	for (;;) {
		if ((k = step(ssl, &r)) == -1)
			return;
		if (k == 1)
			continue;
		np = 0;
		if (r.cev & POLLIN) {
			p[np].fd = FD_IN;
			p[np++].events = POLLIN;
		}
		if (r.cev & POLLOUT) {
			p[np].fd = FD_OUT;
			p[np++].events = POLLOUT;
		}
		if (r.fin | r.fout) {
			p[np].fd = FD_FRONT;
			p[np++].events = (short)(r.fin | r.fout);
		}
		if (np == 0)
			return;
		do
			k = poll(p, np, (int)(idle * 1000));
		while (k == -1 && errno == EINTR);
		if (k <= 0)
			return;		/* idle for too long */
	}
}

int
main(int argc, char **argv)
{
	SSL_CTX *ctx;
	SSL *ssl;
	unsigned long hs, idle;
	char facts[FACTS_MAX];
	const char *v, *cn;

	signal(SIGPIPE, SIG_IGN);
	if (argc != 5) {
		fprintf(stderr, "usage: smtpfront-tls cert key "
		    "handshake-seconds idle-seconds\n");
		return EXIT_USAGE;
	}
	hs = secs(argv[3]);
	idle = secs(argv[4]);
	if (fcntl(FD_FRONT, F_GETFD) == -1) {
		fprintf(stderr, "smtpfront-tls: no fd 3: started by "
		    "smtpfront only\n");
		return EXIT_USAGE;
	}
	ctx = context(argv[1], argv[2]);
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_rfd(ssl, FD_IN) != 1 ||
	    SSL_set_wfd(ssl, FD_OUT) != 1) {
		say("fail", "out of memory");
		return EXIT_TEMP;
	}
	nonblock(FD_IN);
	nonblock(FD_OUT);
	nonblock(FD_FRONT);
	say("ready", "");
	handshake(ssl, hs);
	v = SSL_get_version(ssl);
	cn = SSL_get_cipher_name(ssl);
	snprintf(facts, sizeof(facts), "%s %s %d", v != NULL ? v : "?",
	    cn != NULL ? cn : "?", SSL_get_cipher_bits(ssl, NULL));
	say(facts, "");
	relay(ssl, idle);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return EXIT_OK;
}
