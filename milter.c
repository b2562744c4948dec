/*
 * milter.c: the milter protocol's client (see milter.h).
 * (MILTER_PARSE_ONLY builds the pure part alone, for fuzz/fuzz-milter.)
 *
 * Input: the milter's packets, each at most MILTER_PACKET_MAX bytes of
 * data; every length inside one is checked against what is left of it;
 * texts are cut to MILTER_TEXT_MAX and made printable.  A packet that
 * breaks the protocol closes the connection, so that a late reply is
 * never taken for the next question.  Every connect, write and read has
 * the deadline the caller gives; PROGRESS moves it, within
 * MILTER_PROGRESS_MAX times the timeout in all.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cold.h"
#include "milter.h"

/* reply commands (SMFIR_*) */
#define R_ADDRCPT	'+'
#define R_DELRCPT	'-'
#define R_ADDRCPT_PAR	'2'
#define R_SHUTDOWN	'4'
#define R_ACCEPT	'a'
#define R_REPLBODY	'b'
#define R_CONTINUE	'c'
#define R_DISCARD	'd'
#define R_CHGFROM	'e'
#define R_CONN_FAIL	'f'
#define R_ADDHEADER	'h'
#define R_INSHEADER	'i'
#define R_CHGHEADER	'm'
#define R_PROGRESS	'p'
#define R_QUARANTINE	'q'
#define R_REJECT	'r'
#define R_SKIP		's'
#define R_TEMPFAIL	't'
#define R_REPLYCODE	'y'

static unsigned long
get32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (unsigned long)u[0] << 24 | (unsigned long)u[1] << 16 |
	    (unsigned long)u[2] << 8 | (unsigned long)u[3];
}

/* A printable copy of n bytes, cut to the size. */
static void
printable(char *dst, size_t size, const char *p, size_t n)
{
	size_t i;

	if (n > size - 1)
		n = size - 1;
	for (i = 0; i < n; i++)
		dst[i] = (unsigned char)p[i] < 32 || (unsigned char)p[i] > 126 ?
		    '?' : p[i];
	dst[n] = '\0';
}

/* A header name: printable, no colon, not empty. */
static int
hname_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 32 || (unsigned char)p[i] >= 127 ||
		    p[i] == ':')
			return 0;
	return 1;
}

/* "name\0value\0" at p (n bytes): both found, exactly filling it. */
static int
name_value(const char *p, size_t n, struct milter_reply *r)
{
	const char *z;

	if ((z = memchr(p, '\0', n)) == NULL)
		return -1;
	r->name = p;
	r->nlen = (size_t)(z - p);
	p = z + 1;
	n -= r->nlen + 1;
	if (n == 0 || (z = memchr(p, '\0', n)) == NULL || (size_t)(z - p) !=
	    n - 1)
		return -1;
	r->value = p;
	r->vlen = n - 1;
	return hname_ok(r->name, r->nlen) ? 0 : -1;
}

/* "550 5.7.1 text" (maybe several lines, "550-...\r\n550 ..."). */
static int
replycode(const char *p, size_t n, struct milter_reply *r, const char **why)
{
	const char *end, *t;
	size_t i;

	/* a C string, NUL-terminated in the packet */
	if (n == 0 || p[n - 1] != '\0' || memchr(p, '\0', n - 1) != NULL) {
		*why = "REPLYCODE is not one string";
		return -1;
	}
	n--;
	if (n < 3 || (p[0] != '4' && p[0] != '5') || p[1] < '0' ||
	    p[1] > '9' || p[2] < '0' || p[2] > '9' || (n > 3 && p[3] != ' ' &&
	    p[3] != '-')) {
		*why = "REPLYCODE without a 4xx or 5xx code";
		return -1;
	}
	memcpy(r->code, p, 3);
	r->code[3] = '\0';
	/* the first line's text */
	end = p + n;
	for (t = p; t < end && *t != '\r' && *t != '\n'; t++)
		;
	end = t;
	t = p + 3;
	if (t < end)
		t++;
	/* an enhanced code: of the same class, dropped (the reply table
	 * gives ours) */
	if (end - t >= 2 && (t[0] == '2' || t[0] == '4' || t[0] == '5') &&
	    t[1] == '.') {
		if (t[0] != p[0]) {
			*why = "REPLYCODE with an enhanced code of another "
			    "class";
			return -1;
		}
		for (i = 2; t + i < end && ((t[i] >= '0' && t[i] <= '9') ||
		    t[i] == '.'); i++)
			;
		t += i;
		while (t < end && *t == ' ')
			t++;
	}
	printable(r->text, sizeof(r->text), t, (size_t)(end - t));
	return 0;
}

int
milter_parse(int cmd, const char *p, size_t n, struct milter_reply *r,
    const char **why)
{
	memset(r, 0, sizeof(*r));
	r->cmd = cmd;
	*why = "unknown reply";
	switch (cmd) {
	case R_CONTINUE:
		r->kind = MILTER_R_CONTINUE;
		return 0;
	case R_ACCEPT:
		r->kind = MILTER_R_ACCEPT;
		return 0;
	case R_REJECT:
		r->kind = MILTER_R_REJECT;
		return 0;
	case R_TEMPFAIL:
		r->kind = MILTER_R_TEMPFAIL;
		return 0;
	case R_DISCARD:
		r->kind = MILTER_R_DISCARD;
		return 0;
	case R_SKIP:
		r->kind = MILTER_R_SKIP;
		return 0;
	case R_PROGRESS:
		r->kind = MILTER_R_PROGRESS;
		return 0;
	case R_SHUTDOWN:
	case R_CONN_FAIL:
		r->kind = MILTER_R_SHUTDOWN;
		return 0;
	case R_REPLYCODE:
		r->kind = MILTER_R_REPLYCODE;
		return replycode(p, n, r, why);
	case R_QUARANTINE:
		r->kind = MILTER_R_QUARANTINE;
		if (n > 0 && p[n - 1] == '\0')
			n--;
		printable(r->text, sizeof(r->text), p, n);
		return 0;
	case R_ADDRCPT:
	case R_DELRCPT:
	case R_ADDRCPT_PAR:
	case R_CHGFROM:
		r->kind = MILTER_R_ENVELOPE;
		if (n > 0 && p[n - 1] == '\0')
			n--;
		printable(r->text, sizeof(r->text), p, n);
		return 0;
	case R_REPLBODY:
		r->kind = MILTER_R_REPLBODY;
		r->value = p;
		r->vlen = n;
		return 0;
	case R_ADDHEADER:
		r->kind = MILTER_R_ADDHEADER;
		*why = "bad ADDHEADER";
		return name_value(p, n, r);
	case R_INSHEADER:
	case R_CHGHEADER:
		r->kind = cmd == R_INSHEADER ? MILTER_R_INSHEADER :
		    MILTER_R_CHGHEADER;
		*why = cmd == R_INSHEADER ? "bad INSHEADER" : "bad CHGHEADER";
		if (n < 4)
			return -1;
		r->index = get32(p);
		return name_value(p + 4, n - 4, r);
	default:
		return -1;
	}
}

int
milter_optneg(const char *p, size_t n, unsigned long *version,
    unsigned long *actions, unsigned long *proto)
{
	/* 12 bytes; a version 6 milter may add the macros it wants, which
	 * we do not read: we send ours */
	if (n < 12)
		return -1;
	*version = get32(p);
	*actions = get32(p + 4);
	*proto = get32(p + 8);
	if (*version < 2 || *version > MILTER_VERSION)
		return -1;
	return 0;
}

/* A line ends at CRLF: its length with the CRLF, 0 when none. */
static size_t
line_len(const char *p, size_t n)
{
	const char *lf = memchr(p, '\n', n);

	if (lf == NULL || lf == p || lf[-1] != '\r')
		return 0;
	return (size_t)(lf - p) + 1;
}

int
milter_fields(const char *h, size_t n, struct milter_field *f, int max)
{
	size_t off = 0, l, i;
	int k = -1;

	while (off < n) {
		if ((l = line_len(h + off, n - off)) == 0)
			return -1;
		if (h[off] == ' ' || h[off] == '\t') {
			if (k == -1)
				return -1;
			f[k].len += l;
			off += l;
			continue;
		}
		for (i = 0; i < l - 2 && h[off + i] != ':'; i++)
			;
		if (i == l - 2 || i == 0)
			return -1;
		if (++k == max)
			return -1;
		f[k].off = off;
		f[k].len = l;
		f[k].voff = off + i + 1;
		/* "Name :" is the name "Name" */
		while (i > 0 && (h[off + i - 1] == ' ' || h[off + i - 1] == '\t'))
			i--;
		if (i == 0)
			return -1;
		f[k].nlen = i;
		off += l;
	}
	return k + 1;
}

int
milter_mod(struct milter_mods *m, const struct milter_reply *r)
{
	struct milter_mod *x;

	if (m->n == MILTER_MODS_MAX || r->nlen > sizeof(m->bytes) - m->used ||
	    r->vlen > sizeof(m->bytes) - m->used - r->nlen)
		return -1;
	x = &m->m[m->n++];
	x->kind = (int)r->kind;
	x->index = r->index;
	x->name = m->used;
	x->nlen = r->nlen;
	memcpy(m->bytes + m->used, r->name, r->nlen);
	m->used += r->nlen;
	x->value = m->used;
	x->vlen = r->vlen;
	memcpy(m->bytes + m->used, r->value, r->vlen);
	m->used += r->vlen;
	return 0;
}

/* A field of the section being written: an original one (mod -1) or a
 * change's (mod >= 0). */
struct slot {
	int	orig;
	int	mod;
};

#define SLOTS_MAX	(MILTER_FIELDS_MAX + MILTER_MODS_MAX)

/* The slot's name. */
static void
slot_name(const char *h, const struct milter_field *f,
    const struct milter_mods *m, const struct slot *s, const char **p,
    size_t *n)
{
	if (s->mod >= 0) {
		*p = m->bytes + m->m[s->mod].name;
		*n = m->m[s->mod].nlen;
	} else {
		*p = h + f[s->orig].off;
		*n = f[s->orig].nlen;
	}
}

/* "Name: value" of a change, its lines ended by CRLF, continuation lines
 * starting with a blank, no NUL or bare CR. */
static int
write_mod(const struct milter_mods *m, int i, int leadspc,
    int (*out)(void *, const char *, size_t), void *arg)
{
	const struct milter_mod *x = &m->m[i];
	const char *v = m->bytes + x->value;
	size_t k, start, vlen = x->vlen;

	/* a line break at the end would leave an empty line */
	while (vlen > 0 && (v[vlen - 1] == '\n' || v[vlen - 1] == '\r'))
		vlen--;
	if (out(arg, m->bytes + x->name, x->nlen) == -1 ||
	    out(arg, leadspc ? ":" : ": ", leadspc ? 1 : 2) == -1)
		return -1;
	for (k = start = 0; k < vlen; k++) {
		if (v[k] != '\r' && v[k] != '\n' && v[k] != '\0')
			continue;
		if (k > start && out(arg, v + start, k - start) == -1)
			return -1;
		start = k + 1;
		if (v[k] == '\0' && out(arg, "?", 1) == -1)
			return -1;
		if (v[k] != '\n')
			continue;
		/* a line break: the next line continues the field */
		if (out(arg, "\r\n", 2) == -1)
			return -1;
		if ((k + 1 == vlen || (v[k + 1] != ' ' && v[k + 1] != '\t'))
		    && out(arg, "\t", 1) == -1)
			return -1;
	}
	if (k > start && out(arg, v + start, k - start) == -1)
		return -1;
	return out(arg, "\r\n", 2);
}

int
milter_apply(const char *h, const struct milter_field *f, int n,
    const struct milter_mods *m, int leadspc,
    int (*out)(void *, const char *, size_t), void *arg)
{
	static COLD struct slot s[SLOTS_MAX];
	const struct milter_mod *x;
	const char *name, *mn;
	unsigned long seen, want;
	int ns = 0, i, j, at;
	size_t nl;

	if (n < 0 || n > MILTER_FIELDS_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		s[ns].orig = i;
		s[ns++].mod = -1;
	}
	for (i = 0; i < m->n; i++) {
		x = &m->m[i];
		mn = m->bytes + x->name;
		if (x->kind == MILTER_R_CHGHEADER) {
			/* the index-th field of that name (0 is 1): changed,
			 * or deleted by an empty value; added when none */
			want = x->index == 0 ? 1 : x->index;
			for (j = 0, seen = 0; j < ns; j++) {
				slot_name(h, f, m, &s[j], &name, &nl);
				if (nl == x->nlen && strncasecmp(name, mn, nl) ==
				    0 && ++seen == want)
					break;
			}
			if (j < ns) {
				if (x->vlen == 0) {
					memmove(&s[j], &s[j + 1],
					    (size_t)(ns - j - 1) * sizeof(s[0]));
					ns--;
				} else
					s[j].mod = i;
				continue;
			}
			if (x->vlen == 0)
				continue;
			at = ns;
		} else if (x->kind == MILTER_R_INSHEADER)
			at = x->index > (unsigned long)ns ? ns : (int)x->index;
		else
			at = ns;
		if (ns == SLOTS_MAX)
			return -1;
		memmove(&s[at + 1], &s[at], (size_t)(ns - at) * sizeof(s[0]));
		s[at].orig = -1;
		s[at].mod = i;
		ns++;
	}
	for (j = 0; j < ns; j++) {
		if (s[j].mod >= 0) {
			if (write_mod(m, s[j].mod, leadspc, out, arg) == -1)
				return -1;
		} else if (out(arg, h + f[s[j].orig].off, f[s[j].orig].len) ==
		    -1)
			return -1;
	}
	return 0;
}

#ifndef MILTER_PARSE_ONLY
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "proc.h"
#include "resolver.h"

#define INET		"inet:"
#define UNIX		"unix:"

static COLD char	 pkt[MILTER_PACKET_MAX + 5];

static int
fail(struct milter_conn *c, char *why, size_t wsize, const char *a,
    const char *b)
{
	(void)snprintf(why, wsize, "%s%s%s", a, b[0] ? ": " : "", b);
	milter_close(c, 0);
	return -1;
}

static const char *
io_why(int r)
{
	if (r == PROC_TIMEOUT)
		return "timeout";
	return errno == EPIPE ? "the milter closed the connection" :
	    strerror(errno);
}

int
milter_send(struct milter_conn *c, int cmd, const char *data, size_t len,
    unsigned long timeout, char *why, size_t wsize)
{
	static COLD char out[5 + MILTER_DATA_MAX];
	time_t deadline = time(NULL) + (time_t)timeout;
	int r;

	if (c->fd == -1)
		return fail(c, why, wsize, "not connected", "");
	if (len > MILTER_DATA_MAX)
		return fail(c, why, wsize, "packet too long", "");
	/* one write a packet */
	out[0] = (char)((len + 1) >> 24);
	out[1] = (char)((len + 1) >> 16);
	out[2] = (char)((len + 1) >> 8);
	out[3] = (char)(len + 1);
	out[4] = (char)cmd;
	if (len > 0)
		memcpy(out + 5, data, len);
	if ((r = proc_write(c->fd, out, len + 5, deadline)) != 0)
		return fail(c, why, wsize, "write", io_why(r));
	return 0;
}

int
milter_macros(struct milter_conn *c, int cmd, const char *const *nv, int n,
    unsigned long timeout, char *why, size_t wsize)
{
	char buf[4096];
	size_t len = 0, a, b;
	int i;

	buf[len++] = (char)cmd;
	for (i = 0; i < n; i++) {
		a = strlen(nv[2 * i]);
		b = strlen(nv[2 * i + 1]);
		if (a + b + 2 > sizeof(buf) - len)
			break;		/* what fits: the rest left out */
		memcpy(buf + len, nv[2 * i], a + 1);
		len += a + 1;
		memcpy(buf + len, nv[2 * i + 1], b + 1);
		len += b + 1;
	}
	return milter_send(c, MILTER_C_MACRO, buf, len, timeout, why, wsize);
}

/* Read exactly n bytes by the deadline. */
static int
read_full(struct milter_conn *c, char *buf, size_t n, time_t deadline,
    char *why, size_t wsize)
{
	size_t got = 0;
	ssize_t r;
#ifdef TCP_QUICKACK
	int one = 1;
#endif

	while (got < n) {
		r = proc_read(c->fd, buf + got, n - got, deadline, 1);
		if (r == 0)
			return fail(c, why, wsize, "the milter closed the "
			    "connection", "");
		if (r < 0)
			return fail(c, why, wsize, "read", io_why((int)r));
		got += (size_t)r;
#ifdef TCP_QUICKACK
		/*
		 * The changes come as packets with no question between
		 * them; a milter that writes each (libmilter does) with
		 * Nagle on holds the next until this one is acknowledged,
		 * which our delayed ACK would put off by 40 ms: acknowledge
		 * now (Linux; elsewhere the delay stays)
		 */
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one,
		    sizeof(one));
#endif
	}
	return 0;
}

/* One packet into pkt: its command in pkt[0], its data after. */
static int
packet(struct milter_conn *c, size_t *len, time_t deadline, char *why,
    size_t wsize)
{
	unsigned long n;

	if (read_full(c, pkt, 4, deadline, why, wsize) == -1)
		return -1;
	n = get32(pkt);
	if (n == 0 || n > MILTER_PACKET_MAX + 1)
		return fail(c, why, wsize, "bad packet length", "");
	if (read_full(c, pkt, (size_t)n, deadline, why, wsize) == -1)
		return -1;
	*len = (size_t)n - 1;
	return 0;
}

int
milter_open(struct milter_conn *c, const char *spec, unsigned long timeout,
    char *why, size_t wsize)
{
	char buf[12];
	const char *addr;
	time_t deadline = time(NULL) + (time_t)timeout;
	size_t len;
	int i, one = 1;

	c->fd = c->q = -1;
	if (strncmp(spec, INET, sizeof(INET) - 1) == 0)
		addr = spec + sizeof(INET) - 1;
	else if (strncmp(spec, UNIX, sizeof(UNIX) - 1) == 0 &&
	    spec[sizeof(UNIX) - 1] == '/')
		addr = spec + sizeof(UNIX) - 1;
	else
		return fail(c, why, wsize, "not inet:HOST:PORT or unix:/PATH",
		    "");
	if ((c->fd = proc_connect(addr, deadline, why, wsize)) == -1)
		return -1;
	/* a question is often two packets (macros, command) and gets no
	 * answer to the first: without this, the second waits for the
	 * milter's delayed ACK, 40 ms a question (a Unix socket says no) */
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (i = 0; i < 4; i++) {
		buf[i] = (char)(MILTER_VERSION >> (24 - 8 * i));
		buf[4 + i] = (char)(MILTER_F_OFFER >> (24 - 8 * i));
		buf[8 + i] = (char)(MILTER_P_OFFER >> (24 - 8 * i));
	}
	if (milter_send(c, MILTER_C_OPTNEG, buf, sizeof(buf), timeout, why,
	    wsize) == -1)
		return -1;
	if (packet(c, &len, deadline, why, wsize) == -1)
		return -1;
	if (pkt[0] != MILTER_C_OPTNEG || milter_optneg(pkt + 1, len,
	    &c->version, &c->actions, &c->proto) == -1)
		return fail(c, why, wsize, "bad option negotiation", "");
	/* what we did not offer is not there */
	c->actions &= MILTER_F_OFFER;
	c->proto &= MILTER_P_OFFER;
	return 0;
}

void
milter_watch(struct milter_conn *c, int need, unsigned long timeout)
{
	c->q = c->fd == -1 ? -1 : resolver_watch(c->fd, need, timeout * 1000);
}

int
milter_read(struct milter_conn *c, struct milter_reply *r,
    unsigned long timeout, char *why, size_t wsize)
{
	time_t start = time(NULL), deadline = start + (time_t)timeout;
	const char *e;
	size_t len;
	int q = c->q;

	c->q = -1;
	if (c->fd == -1)
		return fail(c, why, wsize, "not connected", "");
	/* a watch that ran out: the milter was too slow */
	if (q != -1 && resolver_status(q) == RESOLVER_FAIL)
		return fail(c, why, wsize, "no answer", resolver_why(q));
	for (;;) {
		if (packet(c, &len, deadline, why, wsize) == -1)
			return -1;
		if (milter_parse(pkt[0], pkt + 1, len, r, &e) == -1) {
			char what[64];

			printable(what, sizeof(what), pkt, len + 1 > 16 ? 16 :
			    len + 1);
			return fail(c, why, wsize, e, what);
		}
		if (r->kind != MILTER_R_PROGRESS)
			return 0;
		/* still working: a new deadline, within the bound */
		deadline = time(NULL) + (time_t)timeout;
		if (deadline > start + (time_t)(timeout * MILTER_PROGRESS_MAX))
			deadline = start + (time_t)(timeout *
			    MILTER_PROGRESS_MAX);
	}
}

void
milter_close(struct milter_conn *c, int quit)
{
	char head[5] = { 0, 0, 0, 1, MILTER_C_QUIT };

	if (c->fd == -1)
		return;
	if (quit)
		(void)proc_write(c->fd, head, sizeof(head), time(NULL) + 1);
	close(c->fd);
	c->fd = -1;
	c->q = -1;
}
#endif /* MILTER_PARSE_ONLY */
