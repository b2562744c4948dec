/*
 * checks/milter.c: milters (OpenDKIM, rspamd's proxy worker, anything
 * built on libmilter) asked as Sendmail and Postfix ask them, with the
 * milter protocol version 6 (milter.h).  The milters of the list milter
 * are asked in source order, each on one connection a session, made and
 * negotiated at the session's start: the client at connect, its HELO,
 * the sender at MAIL, each recipient at RCPT (the questions go out
 * before the phase's checks, the answers are read in the phase: the core
 * waits for them with the DNS answers, several milters at once; past
 * WATCH_MAX answers a session, read in the phase after the DNS), the
 * whole message at the end of data (header fields one by one, the body
 * in chunks of at most 65535 bytes), each milter in turn on the message
 * as the milter before it left it.
 *
 * Answers: CONTINUE passes; ACCEPT passes and asks that milter nothing
 * more for the message (for the session, at connect and HELO); REJECT
 * and DISCARD (smtpfront never drops a message it said 250 to) reject;
 * TEMPFAIL defers (milter_tempfail); REPLYCODE's class decides (5xx
 * rejects, 4xx defers) and its text is the reply's text (the code and
 * enhanced code are the reply table's milter, 550 5.7.1, 450 4.7.1
 * deferred); QUARANTINE at the end of data defers (smtpfront keeps no
 * queue to hold a message in).  Phase verdicts apply at their command,
 * under delay_reject at RCPT as for every check.  At the end of data the
 * header changes (ADDHEADER, INSHEADER, CHGHEADER: an empty value
 * deletes) and a new body (REPLBODY, at most size_max bytes) are applied
 * to a new copy of the message (hit->replace) that the next milter and
 * the child get.  The milter's envelope changes (ADDRCPT, DELRCPT,
 * CHGFROM) are not offered in the negotiation (a libmilter milter that
 * needs them fails it: a failure) and, sent anyway, are not applied: a
 * warning says so; run such milters in the MTA.
 *
 * Phases: start (connect and negotiate, CONNECT asked; the spool asked
 *     for), connect, helo, mail, rcpt (each asked before its phase's
 *     checks, the answer read in the phase), eod (the message), reset
 *     (ABORT to a milter in a message), end (QUIT).
 * Inputs: list milter (inet:HOST:PORT with an address, or unix:/PATH;
 *     read whole, in order); settings milter_action (default off),
 *     milter_timeout (30 s, every connect, write and answer),
 *     milter_tempfail_action (defer); macros j, {daemon_name}, _,
 *     {client_addr}, {client_name}, {client_port}, {daemon_addr},
 *     {tls_version}, {cipher}, {cipher_bits}, i, {mail_addr},
 *     {rcpt_addr}; no {auth_type} (no AUTH here); replies milter (550
 *     5.7.1), milter_tempfail (451 4.3.0).
 * Limits: MILTER_MAX milters; a header section of at most
 *     MILTER_HEADER_MAX bytes and MILTER_FIELDS_MAX fields (more: a
 *     failure); a header field sent cut at 65535 bytes (XXX); at most
 *     MILTER_MODS_MAX header changes of MILTER_MODS_BYTES a milter.
 * Verdicts: by the answers (above).
 * Failure: a milter that is down, slower than milter_timeout, closes
 *     the connection or breaks the protocol, a rules database error, a
 *     message over the limits: a warning and milter_tempfail_action
 *     (defer by default, 451 4.3.0; off or warn: that milter is
 *     skipped, the ones after it still decide).  Never
 *     a 250 a milter did not allow unless that action is off, never a
 *     5xx a milter did not give.  A milter that failed is not asked
 *     again in the session: every phase it would be asked in fails.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "cold.h"
#include "envvar.h"
#include "milter.h"
#include "resolver.h"
#include "rules.h"
#include "spool.h"

struct one {
	struct milter_conn c;
	int		 up;		/* connected, negotiated */
	int		 dead;		/* failed: why says why */
	int		 owed;		/* an answer not read yet */
	int		 done_session;	/* nothing more this session */
	int		 done_msg;	/* nothing more for this message */
	int		 in_msg;	/* MAIL sent, no final answer yet */
	char		 name[RULES_ENTRY_MAX + 1];
	char		 where[RULE_MAX + 1];
	char		 why[REASON_MAX + 1];
};

/*
 * The answers watched by the resolver (so that the core waits for them
 * with the DNS answers) in a session: its query slots are the DNS
 * checks' too.  Past these, an answer is read in its phase without a
 * watch; it has overlapped the phase's other work all the same, being
 * asked before it.
 */
#define WATCH_MAX	4

struct state {
	int		 started;
	int		 watches;
	int		 n;
	int		 listfail;	/* the list could not be read */
	struct one	 m[MILTER_MAX];
};

/* what an answer means for the check */
#define ANS_PASS	0
#define ANS_REFUSE	1	/* hit filled */
#define ANS_FAIL	2	/* the milter failed: why */

static COLD char	 hbuf[MILTER_HEADER_MAX];
static COLD char	 obuf[MILTER_DATA_MAX];
static COLD char	 cbuf[MILTER_CHUNK];
#define NAME_SENT_MAX	1000	/* a header name sent, cut */
static COLD struct milter_field fields[MILTER_FIELDS_MAX];
static COLD struct milter_mods mods;

static void
die(struct one *m, const char *why)
{
	if (!m->dead)
		check_say(m->why, sizeof(m->why), "%s", why);
	m->dead = 1;
	m->owed = 0;
	milter_close(&m->c, 0);
}

static enum verdict
failed(const struct session *s, struct check_hit *hit, const char *name,
    const char *why)
{
	check_say(hit->failed, sizeof(hit->failed), "%s %s", name, why);
	return check_tempfail(hit, s->cfg.milter_tempfail_action,
	    "milter_tempfail", hit->failed);
}

static const char *
client_name(const struct session *s)
{
	const char *name = check_result(s, "fcrdns");

	if (name == NULL || name[0] == '\0')
		name = s->remote_host[0] != '\0' ? s->remote_host : "unknown";
	return name;
}

/* The queue id of this message, for the macro i. */
static void
queue_id(const struct session *s, char *buf, size_t size)
{
	check_say(buf, size, "%lX%llX%lu", (unsigned long)getpid(),
	    (unsigned long long)s->start, s->msgs);
}

/* The list's entries: "SPEC file:line". */
static void
read_list(const struct session *s, struct state *st)
{
	char key[32], val[RULES_VALUE_MAX], *sp;
	unsigned long count;
	int i, r;

	r = rules_get(s->rules, "c:milter", 8, val, sizeof(val));
	if (r != 1) {
		st->listfail = r == -1;
		return;
	}
	/* smtpfront-cdb takes no more than MILTER_MAX: a database that has
	 * more is not ours */
	count = strtoul(val, NULL, 10);
	if (count > MILTER_MAX) {
		st->listfail = 1;
		return;
	}
	for (i = 0; i < (int)count; i++) {
		check_say(key, sizeof(key), "e:milter:%d", i);
		r = rules_get(s->rules, key, strlen(key), val, sizeof(val));
		if (r != 1 || (sp = strchr(val, ' ')) == NULL) {
			st->listfail = 1;
			return;
		}
		*sp = '\0';
		check_say(st->m[i].name, sizeof(st->m[i].name), "%s", val);
		check_say(st->m[i].where, sizeof(st->m[i].where), "%s", sp + 1);
		st->m[i].c.fd = st->m[i].c.q = -1;
		st->n = i + 1;
	}
}

/* Read the answer owed before asking anything else: dropped. */
static void
drain(const struct session *s, struct one *m)
{
	struct milter_reply r;
	char why[REASON_MAX + 1];

	if (!m->owed)
		return;
	m->owed = 0;
	if (milter_read(&m->c, &r, s->cfg.milter_timeout, why,
	    sizeof(why)) == -1)
		die(m, why);
}

/* Send a command (after its macros); owed: an answer comes. */
static void
ask(const struct session *s, struct state *st, struct one *m, int cmd,
    const char *const *nv, int nmac, const char *data, size_t len,
    int answer, int need)
{
	char why[REASON_MAX + 1];

	/* libmilter takes no empty macro packet, nor one for ABORT */
	if ((nmac > 0 && milter_macros(&m->c, cmd, nv, nmac,
	    s->cfg.milter_timeout, why, sizeof(why)) == -1) ||
	    milter_send(&m->c, cmd, data, len,
	    s->cfg.milter_timeout, why, sizeof(why)) == -1) {
		die(m, why);
		return;
	}
	m->owed = answer;
	if (answer && st->watches < WATCH_MAX) {
		milter_watch(&m->c, need, s->cfg.milter_timeout);
		st->watches++;
	}
}

/* Is the milter to be asked now? */
static int
active(const struct one *m, int msg)
{
	return m->up && !m->dead && !m->done_session && !(msg && m->done_msg);
}

static enum verdict
milter_start(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	struct one *m;
	char data[RESULT_MAX + HOSTNAME_MAX + IPSTR_MAX + 8];
	char who[RESULT_MAX + HOSTNAME_MAX + IPSTR_MAX + 4];
	const char *name = client_name(s);
	static const unsigned char v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	const char *nv[14];
	size_t len, nl = strlen(name), il = strlen(s->remote_ip);
	unsigned long port = strtoul(s->remote_port, NULL, 10);
	int i;

	st->started = 1;
	read_list(s, st);
	if (st->n == 0)
		return VERDICT_PASS;
	hit->spool = 1;
	check_say(who, sizeof(who), "%s [%s]", name, s->remote_ip);
	nv[0] = "j";
	nv[1] = s->cfg.hostname;
	nv[2] = "{daemon_name}";
	nv[3] = "smtpfront";
	nv[4] = "_";
	nv[5] = who;
	nv[6] = "{client_addr}";
	nv[7] = s->remote_ip;
	nv[8] = "{client_name}";
	nv[9] = name;
	nv[10] = "{client_port}";
	nv[11] = s->remote_port;
	nv[12] = "{daemon_addr}";
	nv[13] = s->local_ip;
	/* hostname, family, port, address */
	memcpy(data, name, nl + 1);
	len = nl + 1;
	if (s->remote_known) {
		data[len++] = memcmp(s->remote_bin, v4, sizeof(v4)) == 0 ?
		    '4' : '6';
		data[len++] = (char)(port >> 8 & 0xff);
		data[len++] = (char)(port & 0xff);
		memcpy(data + len, s->remote_ip, il + 1);
		len += il + 1;
	} else
		data[len++] = 'U';
	/* connect and negotiate each; the CONNECT answers come together */
	for (i = 0; i < st->n; i++) {
		m = &st->m[i];
		if (milter_open(&m->c, m->name, s->cfg.milter_timeout, m->why,
		    sizeof(m->why)) == -1) {
			m->dead = 1;
			continue;
		}
		m->up = 1;
		if (!(m->c.proto & MILTER_P_NOCONNECT))
			ask(s, st, m, MILTER_C_CONNECT, nv, 7, data, len,
			    !(m->c.proto & MILTER_P_NR_CONN), PHASE_CONNECT);
	}
	return VERDICT_PASS;
}

/* A final answer to a command or the message: ANS_*. */
static int
answer(const struct session *s, struct one *m, const struct milter_reply *r,
    enum phase ph, struct check_hit *hit, enum verdict *v)
{
	const char *what = phase_name(ph);

	(void)s;
	switch (r->kind) {
	case MILTER_R_CONTINUE:
		return ANS_PASS;
	case MILTER_R_ACCEPT:
		if (ph <= PHASE_HELO)
			m->done_session = 1;
		else
			m->done_msg = 1;
		return ANS_PASS;
	case MILTER_R_REJECT:
	case MILTER_R_DISCARD:
		*v = VERDICT_REJECT;
		check_say(hit->reason, sizeof(hit->reason), "%s: %s at %s", m->name,
		    r->kind == MILTER_R_REJECT ? "REJECT" : "DISCARD", what);
		break;
	case MILTER_R_TEMPFAIL:
		*v = VERDICT_DEFER;
		memcpy(hit->reply, "milter_tempfail", sizeof("milter_tempfail"));
		check_say(hit->reason, sizeof(hit->reason), "%s: TEMPFAIL at %s",
		    m->name, what);
		break;
	case MILTER_R_REPLYCODE:
		*v = r->code[0] == '5' ? VERDICT_REJECT : VERDICT_DEFER;
		check_say(hit->reason, sizeof(hit->reason), "%s: REPLYCODE %s %s "
		    "at %s", m->name, r->code, r->text, what);
		if (r->text[0] != '\0')
			check_say(hit->text, sizeof(hit->text), "%s", r->text);
		break;
	case MILTER_R_SHUTDOWN:
		die(m, "the milter shut down");
		return ANS_FAIL;
	default:
		die(m, "an answer out of place");
		return ANS_FAIL;
	}
	check_say(hit->rule, sizeof(hit->rule), "%s", m->where);
	/* refused at connect or HELO: the session is, nothing more */
	if (ph <= PHASE_HELO)
		m->done_session = 1;
	else if (ph == PHASE_MAIL)
		m->done_msg = 1;
	return ANS_REFUSE;
}

/*
 * Fold one milter's verdict into the phase's: a refusal decides (1), a
 * warn or a pass (a failure with milter_tempfail_action warn or off)
 * leaves the next milters to decide (0).
 */
static int
fold(enum verdict *v, enum verdict w)
{
	if (w == VERDICT_WARN && *v == VERDICT_PASS)
		*v = w;
	if (w == VERDICT_PASS || w == VERDICT_WARN)
		return 0;
	*v = w;
	return 1;
}

/* The answers of a command's phase, in list order; the first refusal
 * (or failure) decides, the rest are read all the same. */
static enum verdict
collect(const struct session *s, struct check_hit *hit, enum phase ph)
{
	struct state *st = hit->state;
	struct milter_reply r;
	struct check_hit junk;
	struct one *m;
	char why[REASON_MAX + 1];
	enum verdict v = VERDICT_PASS, w;
	int i, decided = 0;

	if (!st->started)
		return VERDICT_PASS;
	if (st->listfail)
		return failed(s, hit, "milter", "list unreadable");
	for (i = 0; i < st->n; i++) {
		m = &st->m[i];
		if (m->dead) {
			if (!decided)
				decided = fold(&v, failed(s, hit, m->name,
				    m->why));
			continue;
		}
		if (!m->owed)
			continue;
		m->owed = 0;
		if (milter_read(&m->c, &r, s->cfg.milter_timeout, why,
		    sizeof(why)) == -1) {
			die(m, why);
			if (!decided)
				decided = fold(&v, failed(s, hit, m->name,
				    m->why));
			continue;
		}
		if (decided) {
			/* its answer is read; a refusal still ends it */
			memset(&junk, 0, sizeof(junk));
			(void)answer(s, m, &r, ph, &junk, &w);
			continue;
		}
		switch (answer(s, m, &r, ph, hit, &w)) {
		case ANS_REFUSE:
			decided = fold(&v, w);
			break;
		case ANS_FAIL:
			decided = fold(&v, failed(s, hit, m->name, m->why));
			break;
		default:
			break;
		}
	}
	return v;
}

static enum verdict
milter_connect(const struct session *s, struct check_hit *hit)
{
	return collect(s, hit, PHASE_CONNECT);
}

static void
milter_ask_helo(const struct session *s, void *state)
{
	struct state *st = state;
	struct one *m;
	const char *nv[6] = { "{tls_version}", s->tls_proto, "{cipher}",
	    s->tls_cipher, "{cipher_bits}", s->tls_bits };
	int i;

	for (i = 0; i < st->n; i++) {
		m = &st->m[i];
		if (!active(m, 0))
			continue;
		drain(s, m);
		if (m->in_msg && !m->dead) {
			ask(s, st, m, MILTER_C_ABORT, NULL, 0, NULL, 0, 0, 0);
			m->in_msg = 0;
		}
		if (!m->dead && !(m->c.proto & MILTER_P_NOHELO))
			ask(s, st, m, MILTER_C_HELO, nv, s->tls_proto[0] ? 3 : 0,
			    s->helo, strlen(s->helo) + 1,
			    !(m->c.proto & MILTER_P_NR_HELO), PHASE_HELO);
	}
}

static enum verdict
milter_helo(const struct session *s, struct check_hit *hit)
{
	return collect(s, hit, PHASE_HELO);
}

static void
milter_ask_mail(const struct session *s, void *state)
{
	struct state *st = state;
	struct one *m;
	char id[64], addr[ADDR_MAX + 3];
	const char *nv[4] = { "i", id, "{mail_addr}", s->sender };
	int i;

	queue_id(s, id, sizeof(id));
	check_say(addr, sizeof(addr), "<%s>", s->sender);
	for (i = 0; i < st->n; i++) {
		m = &st->m[i];
		if (!active(m, 0))
			continue;
		drain(s, m);
		m->done_msg = 0;
		m->in_msg = !m->dead;
		if (!m->dead && !(m->c.proto & MILTER_P_NOMAIL))
			ask(s, st, m, MILTER_C_MAIL, nv, 2, addr, strlen(addr) + 1,
			    !(m->c.proto & MILTER_P_NR_MAIL), PHASE_MAIL);
	}
}

static enum verdict
milter_mail(const struct session *s, struct check_hit *hit)
{
	return collect(s, hit, PHASE_MAIL);
}

static void
milter_ask_rcpt(const struct session *s, void *state)
{
	struct state *st = state;
	struct one *m;
	char addr[ADDR_MAX + 3];
	const char *nv[2] = { "{rcpt_addr}", s->rcpt };
	int i;

	check_say(addr, sizeof(addr), "<%s>", s->rcpt);
	for (i = 0; i < st->n; i++) {
		m = &st->m[i];
		if (!active(m, 1))
			continue;
		drain(s, m);
		if (!m->dead && !(m->c.proto & MILTER_P_NORCPT))
			ask(s, st, m, MILTER_C_RCPT, nv, 1, addr, strlen(addr) + 1,
			    !(m->c.proto & MILTER_P_NR_RCPT), PHASE_RCPT);
	}
}

static enum verdict
milter_rcpt(const struct session *s, struct check_hit *hit)
{
	return collect(s, hit, PHASE_RCPT);
}

/* --- the end of data -------------------------------------------------- */

/* The message as one milter gets it. */
struct msg {
	struct spool	*sp;
	size_t		 have;		/* bytes of it in hbuf */
	size_t		 hlen;		/* its header section's */
	size_t		 body;		/* where its body starts */
	int		 nf;
	int		 whole;		/* all of it in hbuf */
};

/* Read the header section into hbuf: -1 with why. */
static int
read_head(struct msg *g, const char **why)
{
	size_t off = 0, l, i;
	const char *lf;
	long r;

	g->have = 0;
	g->whole = 0;
	if (spool_rewind(g->sp) == -1) {
		*why = "spool unreadable";
		return -1;
	}
	while (g->have < sizeof(hbuf)) {
		r = spool_read(g->sp, hbuf + g->have, sizeof(hbuf) - g->have);
		if (r < 0) {
			*why = "spool unreadable";
			return -1;
		}
		if (r == 0) {
			g->whole = 1;
			break;
		}
		g->have += (size_t)r;
	}
	for (;;) {
		lf = memchr(hbuf + off, '\n', g->have - off);
		if (lf == NULL) {
			if (!g->whole) {
				*why = "header section too long";
				return -1;
			}
			g->hlen = g->body = off;
			break;
		}
		l = (size_t)(lf - (hbuf + off)) + 1;
		if (l == 2 && hbuf[off] == '\r') {
			g->hlen = off;
			g->body = off + 2;
			break;
		}
		for (i = 0; i + 1 < l && hbuf[off + i] != ':'; i++)
			;
		if (l < 2 || hbuf[off + l - 2] != '\r' || (off == 0 &&
		    (hbuf[0] == ' ' || hbuf[0] == '\t')) ||
		    (hbuf[off] != ' ' && hbuf[off] != '\t' && (i + 1 >= l ||
		    i == 0))) {
			/* no field: the body starts here */
			g->hlen = g->body = off;
			break;
		}
		off += l;
	}
	g->nf = milter_fields(hbuf, g->hlen, fields, MILTER_FIELDS_MAX);
	if (g->nf == -1) {
		*why = "header section has too many fields";
		return -1;
	}
	return 0;
}

static int
to_spool(void *arg, const char *p, size_t n)
{
	return spool_write(arg, p, n);
}

/* The new body, its line ends made CRLF. */
struct newbody {
	struct spool	*sp;
	unsigned long long size;
	int		 cr;		/* the last byte was a CR */
};

static int
body_add(struct newbody *b, const char *p, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && !(i > 0 ? p[i - 1] == '\r' : b->cr)) {
			if ((i > start && spool_write(b->sp, p + start, i -
			    start) == -1) || spool_write(b->sp, "\r", 1) == -1)
				return -1;
			b->size++;
			start = i;
		}
	}
	if (n > start && spool_write(b->sp, p + start, n - start) == -1)
		return -1;
	b->size += n;
	if (n > 0)
		b->cr = p[n - 1] == '\r';
	return 0;
}

static const char *
spool_dir(const struct session *s)
{
	if (s->cfg.spool_dir[0] != '\0')
		return s->cfg.spool_dir;
	return envvar_get("TMPDIR") != NULL ? envvar_get("TMPDIR") : "/tmp";
}

/* The message with this milter's changes: a new spool, or NULL. */
static struct spool *
rebuild(const struct session *s, struct msg *g, int leadspc,
    struct newbody *nb, const char **why)
{
	struct spool *out;
	char buf[8192];
	size_t skip;
	long r;

	*why = "cannot write the new message";
	if ((out = spool_new(s->cfg.spool_memory, spool_dir(s))) == NULL)
		return NULL;
	if (milter_apply(hbuf, fields, g->nf, &mods, leadspc, to_spool,
	    out) == -1)
		goto bad;
	if (nb->sp != NULL) {
		if (spool_write(out, "\r\n", 2) == -1 ||
		    spool_rewind(nb->sp) == -1)
			goto bad;
		while ((r = spool_read(nb->sp, buf, sizeof(buf))) > 0)
			if (spool_write(out, buf, (size_t)r) == -1)
				goto bad;
		if (r < 0)
			goto bad;
		return out;
	}
	/* the original body, and what was between (the empty line) */
	if (spool_rewind(g->sp) == -1)
		goto bad;
	skip = g->hlen;
	while ((r = spool_read(g->sp, buf, sizeof(buf))) > 0) {
		if ((size_t)r <= skip) {
			skip -= (size_t)r;
			continue;
		}
		if (spool_write(out, buf + skip, (size_t)r - skip) == -1)
			goto bad;
		skip = 0;
	}
	if (r < 0)
		goto bad;
	return out;
bad:
	spool_free(out);
	return NULL;
}

/* A header field as a HEADER packet: "name\0value\0", the value's line
 * breaks LF, cut to fit. */
static size_t
header_packet(const struct milter_field *f, int leadspc)
{
	const char *v = hbuf + f->voff, *end = hbuf + f->off + f->len - 2;
	size_t n = f->nlen > NAME_SENT_MAX ? NAME_SENT_MAX : f->nlen;
	size_t room = sizeof(obuf) - 1;

	memcpy(obuf, hbuf + f->off, n);
	obuf[n++] = '\0';
	if (!leadspc)
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
	for (; v < end && n < room; v++)
		if (*v != '\r' && *v != '\0')
			obuf[n++] = *v;
	obuf[n++] = '\0';
	return n;
}

/*
 * One milter on the message: ANS_PASS (and *next the message with its
 * changes, or NULL for none), ANS_REFUSE (hit filled), ANS_FAIL.
 */
static int
one_message(const struct session *s, struct one *m, struct msg *g,
    struct check_hit *hit, enum verdict *v, struct spool **next)
{
	struct milter_reply r;
	struct newbody nb;
	char why[REASON_MAX + 1], id[64], *buf = cbuf;
	const char *nv[2] = { "i", id }, *e;
	unsigned long to = s->cfg.milter_timeout, p = m->c.proto;
	size_t off, n;
	long got;
	int i, leadspc = (p & MILTER_P_HDR_LEADSPC) != 0, ans, quarantine = 0;

#define SEND(cmd, d, l) \
	if (milter_send(&m->c, (cmd), (d), (l), to, why, sizeof(why)) == -1) \
		goto fail
#define READ() \
	if (milter_read(&m->c, &r, to, why, sizeof(why)) == -1) \
		goto fail
/* an answer before the end: a refusal or ACCEPT ends the milter's part
 * (the reset hook sends it ABORT) */
#define VERDICT() \
	if (r.kind != MILTER_R_CONTINUE && \
	    ((ans = answer(s, m, &r, PHASE_EOD, hit, v)) != ANS_PASS || \
	    m->done_msg)) \
		return ans
#define STEP(nr) \
	if (!(p & (nr))) { \
		READ(); \
		VERDICT(); \
	}

	*next = NULL;
	memset(&nb, 0, sizeof(nb));
	mods.n = 0;
	mods.used = 0;
	queue_id(s, id, sizeof(id));
	if (!(p & MILTER_P_NODATA)) {
		if (milter_macros(&m->c, MILTER_C_DATA, nv, 1, to, why,
		    sizeof(why)) == -1)
			goto fail;
		SEND(MILTER_C_DATA, NULL, 0);
		STEP(MILTER_P_NR_DATA);
	}
	if (!(p & MILTER_P_NOHDRS))
		for (i = 0; i < g->nf; i++) {
			n = header_packet(&fields[i], leadspc);
			SEND(MILTER_C_HEADER, obuf, n);
			STEP(MILTER_P_NR_HDR);
		}
	if (!(p & MILTER_P_NOEOH)) {
		SEND(MILTER_C_EOH, NULL, 0);
		STEP(MILTER_P_NR_EOH);
	}
	if (!(p & MILTER_P_NOBODY)) {
		/* what hbuf holds of the body, then the rest */
		off = g->body;
		for (;;) {
			if (off < g->have) {
				n = g->have - off > MILTER_CHUNK ? MILTER_CHUNK :
				    g->have - off;
				memcpy(buf, hbuf + off, n);
				off += n;
			} else if (g->whole)
				break;
			else {
				got = spool_read(g->sp, buf, sizeof(cbuf));
				if (got < 0) {
					check_say(why, sizeof(why), "spool unreadable");
					goto fail;
				}
				if (got == 0)
					break;
				n = (size_t)got;
			}
			SEND(MILTER_C_BODY, buf, n);
			if (!(p & MILTER_P_NR_BODY)) {
				READ();
				if (r.kind == MILTER_R_SKIP &&
				    (p & MILTER_P_SKIP))
					break;
				VERDICT();
			}
		}
	}
	if (milter_macros(&m->c, MILTER_C_EOB, nv, 1, to, why,
	    sizeof(why)) == -1)
		goto fail;
	SEND(MILTER_C_EOB, NULL, 0);
	/* the changes, then the final answer */
	for (;;) {
		READ();
		switch (r.kind) {
		case MILTER_R_ADDHEADER:
		case MILTER_R_INSHEADER:
		case MILTER_R_CHGHEADER:
			if (!(m->c.actions & (r.kind == MILTER_R_CHGHEADER ?
			    MILTER_F_CHGHDRS : MILTER_F_ADDHDRS))) {
				check_say(why, sizeof(why), "a header change not "
				    "negotiated");
				goto protocol;
			}
			if (milter_mod(&mods, &r) == -1) {
				check_say(why, sizeof(why), "too many header changes");
				goto protocol;
			}
			continue;
		case MILTER_R_REPLBODY:
			if (!(m->c.actions & MILTER_F_CHGBODY)) {
				check_say(why, sizeof(why), "REPLBODY not negotiated");
				goto protocol;
			}
			if (nb.sp == NULL && (nb.sp = spool_new(
			    s->cfg.spool_memory, spool_dir(s))) == NULL) {
				check_say(why, sizeof(why), "no spool for the body");
				goto protocol;
			}
			if (body_add(&nb, r.value, r.vlen) == -1) {
				check_say(why, sizeof(why), "cannot spool the body");
				goto protocol;
			}
			if (nb.size > s->cfg.size_max) {
				check_say(why, sizeof(why), "new body over size_max "
				    "(%lu bytes)", s->cfg.size_max);
				goto protocol;
			}
			continue;
		case MILTER_R_QUARANTINE:
			if (!(m->c.actions & MILTER_F_QUARANTINE)) {
				check_say(why, sizeof(why), "QUARANTINE not "
				    "negotiated");
				goto protocol;
			}
			quarantine = 1;
			check_say(hit->reason, sizeof(hit->reason), "%s: QUARANTINE "
			    "%s at eod", m->name, r.text);
			continue;
		case MILTER_R_ENVELOPE:
			check_say(hit->failed, sizeof(hit->failed), "%s: an "
			    "envelope change not applied (%c %s)", m->name,
			    r.cmd, r.text);
			continue;
		default:
			break;
		}
		break;
	}
	m->in_msg = 0;
	if (r.kind != MILTER_R_CONTINUE && r.kind != MILTER_R_ACCEPT) {
		spool_free(nb.sp);
		return answer(s, m, &r, PHASE_EOD, hit, v);
	}
	if (quarantine) {
		spool_free(nb.sp);
		*v = VERDICT_DEFER;
		memcpy(hit->reply, "milter_tempfail", sizeof("milter_tempfail"));
		check_say(hit->rule, sizeof(hit->rule), "%s", m->where);
		return ANS_REFUSE;
	}
	if (mods.n > 0 || nb.sp != NULL) {
		*next = rebuild(s, g, leadspc, &nb, &e);
		spool_free(nb.sp);
		if (*next == NULL) {
			die(m, e);
			return ANS_FAIL;
		}
	}
	return ANS_PASS;
protocol:
	spool_free(nb.sp);
	die(m, why);
	return ANS_FAIL;
fail:
	spool_free(nb.sp);
	die(m, why);
	return ANS_FAIL;
#undef SEND
#undef READ
#undef STEP
#undef VERDICT
}

static enum verdict
milter_eod(const struct session *s, struct check_hit *hit)
{
	struct state *st = hit->state;
	struct one *m;
	struct msg g;
	struct spool *next;
	const char *why;
	enum verdict v = VERDICT_PASS, w = VERDICT_PASS;
	int i, ans;

	if (!st->started)
		return VERDICT_PASS;
	if (st->listfail)
		return failed(s, hit, "milter", "list unreadable");
	if (st->n == 0)
		return VERDICT_PASS;
	if (s->spool == NULL)
		return failed(s, hit, "milter", "the message was not spooled");
	memset(&g, 0, sizeof(g));
	g.sp = s->spool;
	for (i = 0; i < st->n; i++) {
		m = &st->m[i];
		if (active(m, 1) && m->in_msg)
			drain(s, m);
		if (m->dead) {
			/* off or warn: the next milters still decide */
			if (fold(&v, failed(s, hit, m->name, m->why)))
				break;
			continue;
		}
		if (!active(m, 1) || !m->in_msg)
			continue;
		if (read_head(&g, &why) == -1) {
			if (fold(&v, failed(s, hit, m->name, why)))
				break;
			continue;
		}
		ans = one_message(s, m, &g, hit, &w, &next);
		if (ans == ANS_FAIL) {
			if (fold(&v, failed(s, hit, m->name, m->why)))
				break;
			continue;
		}
		if (ans == ANS_REFUSE) {
			v = w;
			break;
		}
		if (next != NULL) {
			if (g.sp != s->spool)
				spool_free(g.sp);
			g.sp = next;
		}
	}
	if (g.sp != s->spool) {
		if (v == VERDICT_PASS || v == VERDICT_WARN)
			hit->replace = g.sp;
		else
			spool_free(g.sp);
	}
	return v;
}

static void
milter_reset(const struct session *s, void *state)
{
	struct state *st = state;
	struct one *m;
	int i;

	for (i = 0; i < st->n; i++) {
		m = &st->m[i];
		if (!m->up || m->dead)
			continue;
		drain(s, m);
		if (m->in_msg && !m->dead)
			ask(s, st, m, MILTER_C_ABORT, NULL, 0, NULL, 0, 0, 0);
		m->in_msg = 0;
		m->done_msg = 0;
	}
}

static void
milter_end(const struct session *s, void *state)
{
	struct state *st = state;
	int i;

	for (i = 0; i < st->n; i++) {
		/* a transaction left open: ABORT before QUIT */
		if (st->m[i].up && !st->m[i].dead) {
			drain(s, &st->m[i]);
			if (st->m[i].in_msg && !st->m[i].dead)
				ask(s, st, &st->m[i], MILTER_C_ABORT, NULL, 0,
				    NULL, 0, 0, 0);
		}
		milter_close(&st->m[i].c, 1);
	}
}

static const struct check_hooks milter_hooks = {
	.start = milter_start,
	.ask[PHASE_HELO] = milter_ask_helo,
	.ask[PHASE_MAIL] = milter_ask_mail,
	.ask[PHASE_RCPT] = milter_ask_rcpt,
	.reset = milter_reset,
	.end = milter_end,
};

const struct check check_milter = {
	.name = "milter",
	.reply = "milter",
	.action_off = offsetof(struct config, milter_action),
	.state_size = sizeof(struct state),
	.phase[PHASE_CONNECT] = milter_connect,
	.phase[PHASE_HELO] = milter_helo,
	.phase[PHASE_MAIL] = milter_mail,
	.phase[PHASE_RCPT] = milter_rcpt,
	.phase[PHASE_EOD] = milter_eod,
	.hooks = &milter_hooks,
};
