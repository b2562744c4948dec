/*
 * resolver.c: the session's DNS queries (see resolver.h).
 * Input: answers from the servers of $DNSCACHEIP or /etc/resolv.conf,
 * through libowfat's dns_transmit_* (its retries, TCP on truncation),
 * read with dnspkt.c.  libowfat's query IDs and ports are seeded from
 * getrandom(2) in every process before the first query: unseeded, every
 * process would use the same ones.  The blocking calls (dns_ip4, ...),
 * which wait 11 s on a server failure and 59 s on silence, are never
 * used; every wait here has the query's deadline and the session's
 * budget.  A server that answers SERVFAIL or REFUSED is passed over by
 * libowfat as one that does not answer (it asks the next server, and
 * after two rounds waits): such an answer is seen here first (peeked at
 * on the socket, by its query ID) and, once every server has given one,
 * fails the query at once with its own reason ("servfail", "refused"),
 * instead of at its deadline.
 * Failure: a query fails (RESOLVER_FAIL, with a reason); the checks
 * decide what a failure means.  Out of memory is a failed query too.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <dns.h>
#include <iopause.h>
#include <taia.h>
#include "dnspkt.h"
#include "resolver.h"

#define SEED_LEN	128	/* what dns_random_init reads */
#define SERVERS_LEN	256	/* dns_resolvconfip: 16 addresses */
#define TYPE_LEN	2
#define HEADER_LEN	12	/* a DNS message header */

struct query {
	struct dns_transmit	 tx;
	int			 fd;		/* resolver_watch; -1: DNS */
	unsigned int		 type;
	int			 need;
	int			 status;
	const char		*why;
	long long		 deadline;	/* ms, monotonic */
	unsigned int		 failures;	/* SERVFAIL, REFUSED, ... */
	resolver_cb		 cb;
	void			*arg;
	char			 name[DNSPKT_NAME_MAX + 1];
};

static struct query	 q[RESOLVER_MAX];
static int		 nq;
static int		 ready;		/* seeded and servers read */
static int		 noservers;
static unsigned int	 nservers;
static char		 servers[SERVERS_LEN];
static unsigned long	 timeout_ms = 5000;
static long long	 budget_left = 15000;
static const char	 any_ip[16];

static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
resolver_setup(unsigned long timeout, unsigned long budget)
{
	timeout_ms = timeout;
	budget_left = (long long)budget;
}

/* Once per process, at the first question. */
static void
prepare(void)
{
	char seed[SEED_LEN];
	size_t got = 0;
	ssize_t r;
	int i;

	ready = 1;
	while (got < sizeof(seed)) {
		r = getrandom(seed + got, sizeof(seed) - got, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < sizeof(seed)) {
		/* no randomness, no queries: predictable IDs and ports are
		 * an open door for forged answers */
		noservers = 1;
		return;
	}
	dns_random_init(seed);
	memset(seed, 0, sizeof(seed));
	if (dns_resolvconfip(servers) == -1) {
		noservers = 1;
		return;
	}
	for (i = 0; i < SERVERS_LEN; i += 16)
		if (memcmp(servers + i, any_ip, 16) != 0)
			nservers++;
}

/* libowfat's sockets are not close-on-exec: the MTA child must not get
 * them (a socket is opened at the start and again on a retry) */
static void
cloexec(struct query *x)
{
	if (x->tx.s1 > 0)
		(void)fcntl((int)x->tx.s1 - 1, F_SETFD, FD_CLOEXEC);
}

/*
 * The answer waiting on a query's UDP socket (connected to its server),
 * looked at without taking it: libowfat takes it next and drops a failure
 * without a word.  Its rcode's name when it is this query's and says the
 * server failed, NULL otherwise.
 */
static const char *
failure(const struct query *x, const struct pollfd *p)
{
	unsigned char h[HEADER_LEN];
	ssize_t n;

	if (!(p->revents & POLLIN) || x->tx.s1 <= 0 || x->tx.tcpstate != 0 ||
	    x->tx.query == NULL || x->tx.querylen < 4)
		return NULL;
	n = recv(x->tx.s1 - 1, h, sizeof(h), MSG_PEEK | MSG_DONTWAIT);
	/* the query's ID (after the 2-byte TCP length), a response */
	if (n < (ssize_t)sizeof(h) || memcmp(h, x->tx.query + 2, 2) != 0 ||
	    !(h[2] & 0x80))
		return NULL;
	switch (h[3] & 0x0f) {
	case DNSPKT_RCODE_OK:
	case DNSPKT_RCODE_NXDOMAIN:
		return NULL;
	case DNSPKT_RCODE_SERVFAIL:
		return "servfail";
	case DNSPKT_RCODE_REFUSED:
		return "refused";
	default:
		return "rcode";
	}
}

static void
finish(struct query *x, int status, const char *why)
{
	x->status = status;
	x->why = why;
	if (status != RESOLVER_FOUND)
		dns_transmit_free(&x->tx);
	if (x->cb != NULL)
		x->cb((int)(x - q), x->arg);
}

/* The outcome of an answer: found, none, or failed. */
static void
judge(struct query *x)
{
	struct dnspkt d;
	struct dnspkt_rr rr;
	int rcode, r;

	rcode = dnspkt_open(&d, (const unsigned char *)x->tx.packet,
	    x->tx.packetlen);
	if (rcode == DNSPKT_RCODE_NXDOMAIN) {
		finish(x, RESOLVER_NONE, "nxdomain");
		return;
	}
	if (rcode != DNSPKT_RCODE_OK) {
		finish(x, RESOLVER_FAIL, rcode == -1 ? "malformed" :
		    rcode == DNSPKT_RCODE_SERVFAIL ? "servfail" :
		    rcode == DNSPKT_RCODE_REFUSED ? "refused" : "rcode");
		return;
	}
	while ((r = dnspkt_next(&d, &rr)) == 1)
		if (rr.type == x->type) {
			finish(x, RESOLVER_FOUND, NULL);
			return;
		}
	if (r == -1)
		finish(x, RESOLVER_FAIL, "malformed");
	else
		finish(x, RESOLVER_NONE, "nodata");
}

int
resolver_ask(unsigned int type, const char *name, int need, resolver_cb cb,
    void *arg)
{
	char qtype[TYPE_LEN];
	char *wire = NULL;
	size_t len = strlen(name);
	struct query *x;
	int i;

	for (i = 0; i < nq; i++)
		if (q[i].type == type && strcmp(q[i].name, name) == 0) {
			if (q[i].need > need)
				q[i].need = need;
			if (cb != NULL && q[i].cb == NULL) {
				q[i].cb = cb;
				q[i].arg = arg;
				if (q[i].status != RESOLVER_PENDING)
					cb(i, arg);
			}
			return i;
		}
	if (nq == RESOLVER_MAX)
		return -1;	/* failed: no slot left */
	x = &q[nq++];
	memset(&x->tx, 0, sizeof(x->tx));
	x->fd = -1;
	x->type = type;
	x->need = need;
	x->cb = cb;
	x->arg = arg;
	x->status = RESOLVER_PENDING;
	x->why = NULL;
	x->failures = 0;
	if (len > DNSPKT_NAME_MAX) {
		x->name[0] = '\0';
		finish(x, RESOLVER_FAIL, "name too long");
		return (int)(x - q);
	}
	memcpy(x->name, name, len + 1);
	if (!ready)
		prepare();
	if (noservers) {
		finish(x, RESOLVER_FAIL, "no server");
		return (int)(x - q);
	}
	if (budget_left <= 0) {
		finish(x, RESOLVER_FAIL, "budget");
		return (int)(x - q);
	}
	if (dns_domain_fromdot(&wire, name, len) == 0) {
		finish(x, RESOLVER_FAIL, "no memory");
		return (int)(x - q);
	}
	qtype[0] = (char)(type >> 8);
	qtype[1] = (char)(type & 0xff);
	x->deadline = now_ms() + (long long)timeout_ms;
	if (dns_transmit_start(&x->tx, servers, 1, wire, qtype, any_ip) == -1) {
		free(wire);
		finish(x, RESOLVER_FAIL, "cannot send");
		return (int)(x - q);
	}
	free(wire);
	cloexec(x);
	return (int)(x - q);
}

int
resolver_watch(int fd, int need, unsigned long ms)
{
	struct query *x;

	if (nq == RESOLVER_MAX)
		return -1;
	x = &q[nq++];
	memset(&x->tx, 0, sizeof(x->tx));
	x->fd = fd;
	x->type = 0;
	x->need = need;
	x->cb = NULL;
	x->arg = NULL;
	x->status = RESOLVER_PENDING;
	x->why = NULL;
	memcpy(x->name, "(helper)", sizeof("(helper)"));
	x->deadline = now_ms() + (long long)ms;
	return (int)(x - q);
}

enum resolver_status
resolver_status(int i)
{
	if (i < 0 || i >= nq)
		return RESOLVER_FAIL;
	return (enum resolver_status)q[i].status;
}

int
resolver_need(int i)
{
	if (i < 0 || i >= nq)
		return 0;
	return q[i].need;
}

const char *
resolver_name(int i)
{
	if (i < 0 || i >= nq)
		return "";
	return q[i].name;
}

const char *
resolver_why(int i)
{
	if (i < 0 || i >= nq)
		return "no query";
	return q[i].why != NULL ? q[i].why : "";
}

const unsigned char *
resolver_packet(int i, size_t *len)
{
	if (i < 0 || i >= nq || q[i].status != RESOLVER_FOUND || q[i].fd >= 0)
		return NULL;
	*len = q[i].tx.packetlen;
	return (const unsigned char *)q[i].tx.packet;
}

int
resolver_pending(int need)
{
	int i;

	for (i = 0; i < nq; i++)
		if (q[i].status == RESOLVER_PENDING && q[i].need <= need)
			return 1;
	return 0;
}

int
resolver_busy(void)
{
	int i;

	for (i = 0; i < nq; i++)
		if (q[i].status == RESOLVER_PENDING)
			return 1;
	return 0;
}

/*
 * One round: poll the pending queries' sockets (and fd, if >= 0) for at
 * most ms, give libowfat what came (and its retry timers), judge the
 * answers and fail the queries past their deadline.  1 when fd is
 * readable.
 */
static int
serve(int fd, long long ms)
{
	struct pollfd p[RESOLVER_MAX + 1];
	int idx[RESOLVER_MAX];
	struct taia stamp, deadline, diff;
	long long t, lib;
	const char *failed;
	int n = 0, m, i, r, fd_ready = 0;

	taia_now(&stamp);
	deadline = stamp;
	taia_addsec(&deadline, &deadline, 3600);
	if (fd >= 0) {
		p[n].fd = fd;
		p[n].events = POLLIN;
		p[n].revents = 0;
		n++;
	}
	t = now_ms();
	for (i = 0, m = 0; i < nq; i++) {
		if (q[i].status != RESOLVER_PENDING)
			continue;
		if (q[i].fd >= 0) {
			p[n].fd = q[i].fd;
			p[n].events = POLLIN;
		} else
			dns_transmit_io(&q[i].tx, &p[n], &deadline);
		p[n].revents = 0;
		idx[m++] = i;
		n++;
		if (q[i].deadline - t < ms)
			ms = q[i].deadline - t;
	}
	if (taia_less(&deadline, &stamp))
		lib = 0;
	else {
		taia_sub(&diff, &deadline, &stamp);
		lib = (long long)(taia_approx(&diff) * 1000.0) + 1;
	}
	if (m > 0 && lib < ms)
		ms = lib;
	if (ms < 0)
		ms = 0;
	do
		r = poll(p, (nfds_t)n, (int)ms);
	while (r == -1 && errno == EINTR);
	if (fd >= 0 && r > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
		fd_ready = 1;
	taia_now(&stamp);
	for (i = 0; i < m; i++) {
		struct query *x = &q[idx[i]];

		if (x->fd >= 0) {
			if (p[i + (fd >= 0)].revents != 0)
				finish(x, RESOLVER_FOUND, NULL);
			continue;
		}
		failed = failure(x, &p[i + (fd >= 0)]);
		r = dns_transmit_get(&x->tx, &p[i + (fd >= 0)], &stamp);
		cloexec(x);
		if (r == 1)
			judge(x);
		else if (r == -1)
			finish(x, RESOLVER_FAIL, errno == ETIMEDOUT ? "timeout" :
			    errno == ENOMEM ? "no memory" : "no answer");
		else if (failed != NULL && ++x->failures >= nservers)
			finish(x, RESOLVER_FAIL, failed);
	}
	t = now_ms();
	for (i = 0; i < nq; i++)
		if (q[i].status == RESOLVER_PENDING && t >= q[i].deadline)
			finish(&q[i], RESOLVER_FAIL, "timeout");
	return fd_ready;
}

int
resolver_sleep(int fd, unsigned long ms)
{
	long long end = now_ms() + (long long)ms, left;

	for (;;) {
		left = end - now_ms();
		if (left <= 0)
			return 0;
		if (!resolver_busy()) {
			struct pollfd p;
			int r;

			if (fd < 0)
				return 0;
			p.fd = fd;
			p.events = POLLIN;
			do
				r = poll(&p, 1, (int)left);
			while (r == -1 && errno == EINTR);
			return r > 0;
		}
		if (serve(fd, left))
			return 1;
	}
}

void
resolver_wait(int need)
{
	long long start, t;
	int i;

	while (resolver_pending(need)) {
		if (budget_left <= 0) {
			for (i = 0; i < nq; i++)
				if (q[i].status == RESOLVER_PENDING)
					finish(&q[i], RESOLVER_FAIL, "budget");
			return;
		}
		start = now_ms();
		(void)serve(-1, budget_left);
		t = now_ms();
		budget_left -= t - start;
	}
}

void
resolver_end(void)
{
	int i;

	for (i = 0; i < nq; i++)
		dns_transmit_free(&q[i].tx);
	nq = 0;
}

void
resolver_rev(const unsigned char ip[16], int v4, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	int i;
	unsigned int b;

	if (v4) {
		for (i = 15; i >= 12; i--) {
			b = ip[i];
			if (b >= 100)
				out[o++] = (char)('0' + b / 100);
			if (b >= 10)
				out[o++] = (char)('0' + b / 10 % 10);
			out[o++] = (char)('0' + b % 10);
			if (i > 12)
				out[o++] = '.';
		}
	} else {
		for (i = 15; i >= 0; i--) {
			out[o++] = hex[ip[i] & 15];
			out[o++] = '.';
			out[o++] = hex[ip[i] >> 4];
			if (i > 0)
				out[o++] = '.';
		}
	}
	out[o] = '\0';
}
