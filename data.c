/*
 * data.c: DATA: the message from the client to the MTA child, streamed
 * as it arrives (or as one BDAT to a child offering CHUNKING), or
 * received into the spool first (data_spool, or a check that asks for
 * it); the end-of-data checks; the child's final reply to the client.
 *
 * The client never gets 250 at the end of data unless the child said
 * 250 for that message: a refused, too big or cut message never reaches
 * its terminator (a child inside DATA is killed), and a child that fails
 * gives 451.  The checks that read the body get the message bytes,
 * undotted, on every path (verdict_body).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "authres.h"
#include "cold.h"
#include "data.h"
#include "dot.h"
#include "envvar.h"
#include "log.h"
#include "spool.h"
#include "verdict.h"

enum { RECV_END, RECV_BAD, RECV_NUL, RECV_MORE };

/* The client's bytes after 354: end of connection or of the session. */
static void __attribute__((noreturn))
data_lost(struct conn *c, int r, unsigned long long total)
{
	if (r == CLIENT_TIMEOUT)
		conn_close(c, "timeout", "timeout", "during DATA");
	if (r == CLIENT_CEILING)
		conn_close(c, "session_timeout", "timeout",
		    "session ceiling during DATA");
	log_start("disconnect");
	log_str("when", "DATA");
	log_ull("received", total);
	log_end();
	conn_verdict(c, "disconnect", NULL, NULL);
	conn_finish(c, EXIT_OK);
}

/* Receive the message after 354 into the spool. */
static int
receive(struct conn *c, struct spool *sp, int *toobig, int *sperr,
    unsigned long long *total)
{
	static COLD char out[CLIENT_IBUF + 2];
	struct session *s = &c->s;
	struct dot d;
	size_t used, outlen;
	int r, st;

	dot_init(&d);
	d.nul = !s->cfg.data_nul;
	*total = 0;
	for (;;) {
		r = client_fill(&c->cl);
		if (r != CLIENT_OK)
			data_lost(c, r, *total);
		st = dot_feed(&d, c->cl.ibuf + c->cl.ipos,
		    c->cl.ilen - c->cl.ipos, &used, out, &outlen);
		c->cl.ipos += used;
		*total += outlen;
		if (!*toobig && *sperr == 0) {
			if (outlen > s->cfg.size_max ||
			    spool_size(sp) > s->cfg.size_max - outlen)
				*toobig = 1;
			else if (spool_write(sp, out, outlen) == -1)
				*sperr = errno ? errno : EIO;
			else
				verdict_body(c, out, outlen);
		}
		if (st == DOT_END) {
			if (!s->esmtp || !s->cfg.pipelining)
				conn_sent_ahead(c, ".");
			return RECV_END;
		}
		if (st == DOT_BAD)
			return RECV_BAD;
		if (st == DOT_NUL)
			return RECV_NUL;
	}
}

/*
 * What goes to the child is the bytes held back from the last read (hold)
 * then this read's, less the last k, which may be the terminator or its
 * start.  w is the count of that whole which goes: send_held() sends the
 * held part of it; the part of this read, its first w - nhold bytes, is
 * the caller's to write, splice or keep.  hold_last() then keeps the last
 * k bytes of the whole as the new hold.
 */
static int
send_held(struct conn *c, const char *hold, size_t nhold, size_t w)
{
	if (w == 0 || nhold == 0)
		return 0;
	return child_send(&c->ch, hold, w < nhold ? w : nhold);
}

static void
hold_last(char *hold, size_t *nhold, const char *raw, size_t w, size_t k)
{
	char keep[3];
	size_t i;

	for (i = 0; i < k && i < sizeof(keep); i++)
		keep[i] = w + i < *nhold ? hold[w + i] : raw[w + i - *nhold];
	memcpy(hold, keep, i);
	*nhold = i;
}

/*
 * Pass n client bytes (already dot-stuffed: they go as they came) to the
 * child, after the bytes held back from the last call; hold back the last
 * k bytes of it all, which may be the terminator or its start.
 */
static int
pass_on(struct conn *c, char *hold, size_t *nhold, const char *raw, size_t n,
    size_t k)
{
	size_t w = *nhold + n - k;

	if (send_held(c, hold, *nhold, w) == -1)
		return -1;
	if (w > *nhold && child_send(&c->ch, raw, w - *nhold) == -1)
		return -1;
	hold_last(hold, nhold, raw, w, k);
	return 0;
}

/*
 * Where a streamed message stands with the child.  DS_WAIT: the child
 * offers CHUNKING and has not been told DATA yet; a message whose end
 * comes in its first read goes to it whole as one BDAT LAST (no 354 to
 * wait for), anything longer gets DATA then.
 */
enum { DS_ASKED, DS_GO, DS_REFUSED, DS_FAILED, DS_TOOBIG, DS_WAIT };

struct dstate {
	int		 state;
	struct creply	 rep;		/* the child's refusal of DATA */
	/*
	 * The last bytes before the end, not yet passed on: they go with
	 * the terminator in one write once the end-of-data checks pass.
	 * They point into the client's input buffer, which is not read
	 * into again before then; joined: the terminator follows them
	 * there.
	 */
	const char	*tail;
	size_t		 tail_len;
	int		 joined;
	int		 whole;		/* DS_WAIT: tail is the whole message,
					 * as sent, terminator included */
};

/*
 * The child's answer to DATA is read when the first message bytes are to
 * go (it has had the time the client took to send them).  On its 354 the
 * added header goes first.  0: pass the bytes on; -1: do not.
 */
/*
 * At the end: pass on what was held back but the terminator's start, and
 * keep the rest of this read (but the terminator) for the final write.
 */
static int
keep_tail(struct conn *c, struct dstate *ds, const char *hold, size_t nhold,
    const char *raw, size_t n)
{
	size_t w = nhold + n - 3;

	ds->tail = raw;
	ds->tail_len = 0;
	ds->joined = nhold == 0;
	if (send_held(c, hold, nhold, w) == -1)
		return -1;
	if (w > nhold)
		ds->tail_len = w - nhold;
	return 0;
}

static int
data_ready(struct conn *c, struct dstate *ds)
{
	char prefix[PREFIX_MAX], stuffed[2 * PREFIX_MAX];
	size_t plen;
	int bol = 1;

	if (ds->state == DS_WAIT) {
		/* more than one read: DATA after all, and wait for its 354 */
		if (child_send(&c->ch, "DATA\r\n", 6) == -1)
			goto fail;
		ds->state = DS_ASKED;
	} else if (ds->state != DS_ASKED)
		return ds->state == DS_GO ? 0 : -1;
	else
		/* the client's bytes took a round trip: the 354 is likely
		 * there */
		c->ch.expect = 1;
	if (child_reply(&c->ch, &ds->rep) == -1)
		goto fail;
	/* taken from what was read before: the next reply is to wait for */
	c->ch.expect = 0;
	if (ds->rep.code != 354) {
		if (ds->rep.code < 400) {
			const char *w = "child answered DATA with neither "
			    "354 nor an error";

			copystr(c->ch.why, sizeof(c->ch.why), w, strlen(w));
			goto fail;
		}
		ds->state = DS_REFUSED;
		return -1;
	}
	plen = verdict_headers(c, prefix, sizeof(prefix));
	if (plen > 0 && child_send(&c->ch, stuffed,
	    dot_stuff(prefix, plen, &bol, stuffed)) == -1)
		goto fail;
	ds->state = DS_GO;
	return 0;
fail:
	ds->state = DS_FAILED;
	conn_child_failed(c, "data");
	return -1;
}

/*
 * Over size_max: the child, if inside DATA, is killed (it must not see an
 * end), and the rest of the message is only read.  1 when it happens now.
 */
static int
too_big(struct conn *c, struct dstate *ds, unsigned long long total)
{
	if (ds->state == DS_TOOBIG || total <= c->s.cfg.size_max)
		return 0;
	if (ds->state == DS_ASKED || ds->state == DS_GO) {
		child_kill(&c->ch);
		c->mail_fwd = 0;
	}
	ds->state = DS_TOOBIG;
	return 1;
}

/*
 * One round of streaming without copying: peek at what the client sent,
 * check it, then splice it from the socket into the child's pipe; the
 * bytes held back (the terminator or its start) are read.  RECV_MORE,
 * RECV_END, RECV_BAD, or -1 when the client is no socket.
 */
static int
spliced(struct conn *c, struct dstate *ds, struct dot *d, char *hold,
    size_t *nhold, unsigned long long *total)
{
	struct session *s = &c->s;
	const char *raw = c->cl.ibuf;
	size_t used, outlen, k, w, moved = 0;
	ssize_t n;
	int st, status;

	n = client_peek(&c->cl, &status);
	if (n == -1)
		return -1;
	if (n == 0)
		data_lost(c, status, *total);
	st = dot_feed(d, raw, (size_t)n, &used, NULL, &outlen);
	*total += outlen;
	if (st == DOT_BAD)
		return RECV_BAD;
	if (st == DOT_NUL)
		return RECV_NUL;
	if (too_big(c, ds, *total))
		goto take;
	k = st == DOT_END ? 3 : dot_pending(d);
	w = *nhold + used - k;
	if (send_held(c, hold, *nhold, w) == -1)
		goto fail;
	if (w > *nhold &&
	    child_splice(&c->ch, c->cl.in, w - *nhold, &moved) == -1)
		goto fail;
	/* raw is still this read: client_take comes after */
	hold_last(hold, nhold, raw, w, k);
	goto take;
fail:
	ds->state = DS_FAILED;
	conn_child_failed(c, "data");
take:
	/* the rest of this round leaves the socket too */
	if (client_take(&c->cl, used - moved) == -1)
		data_lost(c, CLIENT_ERROR, *total);
	if (st == DOT_END) {
		ds->tail_len = 0;
		ds->joined = 0;
		if (!s->esmtp || !s->cfg.pipelining)
			conn_sent_ahead(c, ".");
		return RECV_END;
	}
	return RECV_MORE;
}

/*
 * Streaming: the message goes to the child while it arrives.  The client's
 * bytes pass unchanged (the child undoes the dot-stuffing); only the final
 * "." CRLF is held back until the end-of-data checks pass.  A message that
 * is refused, too big or cut short never reaches its terminator: the child
 * is killed mid-DATA and accepts nothing.
 */
static int
stream(struct conn *c, struct dstate *ds, unsigned long long *total)
{
	static COLD char body[CLIENT_IBUF + 2];
	struct session *s = &c->s;
	struct dot d;
	char hold[3];
	size_t used, outlen, nhold = 0;
	const char *raw;
	int r, st, zc;

	dot_init(&d);
	d.nul = !s->cfg.data_nul;
	*total = 0;
	/* the checks that read the body need the bytes in our memory */
	zc = client_plain(&c->cl) && !c->body && !c->ch.sock;
	for (;;) {
		if (zc && ds->state == DS_GO && client_pending(&c->cl) == 0) {
			r = spliced(c, ds, &d, hold, &nhold, total);
			if (r == -1) {
				zc = 0;		/* no socket: read */
				continue;
			}
			if (r == RECV_MORE)
				continue;
			return r;
		}
		r = client_fill(&c->cl);
		if (r != CLIENT_OK)
			data_lost(c, r, *total);
		raw = c->cl.ibuf + c->cl.ipos;
		/* the bytes go as they are: dot_feed only counts them, or
		 * undoes the dot-stuffing for the checks that read them */
		st = dot_feed(&d, raw, c->cl.ilen - c->cl.ipos, &used,
		    c->body ? body : NULL, &outlen);
		c->cl.ipos += used;
		*total += outlen;
		if (st == DOT_BAD)
			return RECV_BAD;
		if (st == DOT_NUL)
			return RECV_NUL;
		if (!too_big(c, ds, *total) && ds->state != DS_TOOBIG)
			verdict_body(c, body, outlen);
		if (ds->state == DS_WAIT && st == DOT_END) {
			/* all in one read: it stays in the buffer until the
			 * checks have passed, then goes as one BDAT */
			ds->tail = raw;
			ds->tail_len = used;
			ds->whole = 1;
		} else if (data_ready(c, ds) == 0 && (st == DOT_END ?
		    keep_tail(c, ds, hold, nhold, raw, used) :
		    pass_on(c, hold, &nhold, raw, used, dot_pending(&d))) ==
		    -1) {
			ds->state = DS_FAILED;
			conn_child_failed(c, "data");
		}
		if (st == DOT_END) {
			if (!s->esmtp || !s->cfg.pipelining)
				conn_sent_ahead(c, ".");
			return RECV_END;
		}
	}
}

static void
log_message(struct conn *c, const char *status, unsigned long long total,
    const struct creply *rep)
{
	struct session *s = &c->s;

	log_start("message");
	log_addr("from", s->sender);
	log_ulong("rcpts", s->rcpts);
	log_ull("bytes", total);
	if (status != NULL)
		log_str("status", status);
	if (rep != NULL) {
		log_ulong("code", (unsigned long)rep->code);
		log_strn("reply", rep->text, rep->len > 2 ? rep->len - 2 : 0);
	}
	log_end();
}

/* A message refused for its size, or a spool that failed. */
static void
data_refused(struct conn *c, int toobig, int sperr,
    unsigned long long total)
{
	struct rtext rt;

	conn_reply(c, toobig ? "size_data" :
	    (sperr == ENOSPC || sperr == EDQUOT) ? "spool_full" :
	    "child_fail", &rt);
	conn_log_refusal(c, toobig ? "reject" : "defer",
	    toobig ? "size" : "spool", toobig ? "size_max" : "-", "DATA", 1,
	    &total, &rt, sperr ? strerror(sperr) : NULL, 0);
	conn_say_rt(c, &rt);
	verdict_reset(c);
}

/*
 * The end-of-data checks; 0 when they pass (else refused).  A child
 * inside DATA (in_data) has all but the terminator: it must not get it,
 * and is killed.
 */
static int
data_checks(struct conn *c, struct spool **spp, int in_data)
{
	struct held d;
	int r;

	c->s.spool = c->spool_orig = spp != NULL ? *spp : NULL;
	if (c->headers)
		header_end(&c->s.hdr);
	r = verdict_run(c, PHASE_EOD, &d, "DATA", 0);
	/* a check's replacement (a filter's rewrite) goes on instead */
	if (spp != NULL && c->s.spool != *spp) {
		spool_free(*spp);
		*spp = c->s.spool;
	}
	c->s.spool = c->spool_orig = NULL;
	if (r == VERDICT_PASS || d.verdict == VERDICT_ACCEPT)
		return 0;
	if (in_data) {
		child_kill(&c->ch);
		c->mail_fwd = 0;
	}
	verdict_refuse(c, &d, "DATA");
	verdict_reset(c);
	return -1;
}

/* The child's final reply (or its failure) to the client. */
static void
data_done(struct conn *c, int failed, const struct creply *rep,
    unsigned long long total)
{
	struct session *s = &c->s;

	if (failed) {
		conn_say(c, "child_fail");
		log_message(c, "deferred", total, NULL);
	} else {
		conn_relay(c, rep);
		log_message(c, NULL, total, rep);
		if (rep->code / 100 == 2) {
			s->msgs++;
			verdict_accepted(c);
		}
	}
	/* the child's transaction is over whatever it said */
	c->mail_fwd = 0;
	verdict_reset(c);
}

/*
 * A message that came whole in one read, to a child offering CHUNKING:
 * "BDAT n LAST", the added header and the message without its
 * dot-stuffing and terminator, in one write.  The child answers once, at
 * the end; it has no 354 to give.
 */
#define BDAT_HEAD	32	/* "BDAT " digits " LAST" CRLF */

static int
bdat_last(struct conn *c, const struct dstate *ds)
{
	static COLD char buf[BDAT_HEAD + PREFIX_MAX + CLIENT_IBUF + 2];
	char head[BDAT_HEAD], *body = buf + BDAT_HEAD + PREFIX_MAX;
	struct dot d;
	size_t used, n, plen;
	int h;

	dot_init(&d);
	if (ds->tail_len > CLIENT_IBUF ||
	    dot_feed(&d, ds->tail, ds->tail_len, &used, body, &n) != DOT_END)
		return -1;	/* cannot be: it was one read, and it ended */
	plen = verdict_headers(c, buf + BDAT_HEAD, PREFIX_MAX);
	memmove(body - plen, buf + BDAT_HEAD, plen);
	h = snprintf(head, sizeof(head), "BDAT %zu LAST\r\n", plen + n);
	if (h <= 0 || (size_t)h >= sizeof(head))
		return -1;	/* cannot be: a size of at most 6 digits */
	memcpy(body - plen - h, head, (size_t)h);
	return child_send(&c->ch, body - plen - h, (size_t)h + plen + n);
}

/*
 * Streamed: DATA goes to the child and the client gets 354 at once,
 * without waiting for the child's; its answer is read when the first
 * bytes are to go.  A child that refuses DATA has its reply given at the
 * end of data instead.  A child offering CHUNKING is told nothing until
 * the first bytes come: a message complete in them goes as one BDAT LAST
 * after the end-of-data checks (refused, it never reaches the child).
 */
static void
data_streamed(struct conn *c)
{
	struct session *s = &c->s;
	struct dstate ds;
	struct creply rep;
	int r;
	unsigned long long total;

	ds.state = DS_ASKED;
	ds.tail = NULL;
	ds.tail_len = 0;
	ds.joined = 0;
	ds.whole = 0;
	if (c->ch.data_sent)
		c->ch.data_sent = 0;	/* DATA went with the last RCPT */
	else if (c->ch.chunking && s->cfg.child_bdat)
		ds.state = DS_WAIT;
	else if (child_send(&c->ch, "DATA\r\n", 6) == -1) {
		ds.state = DS_FAILED;
		conn_child_failed(c, "data");
	}
	c->in_data = 1;
	conn_say(c, "data_go");
	r = stream(c, &ds, &total);
	s->bytes += total;
	/* still inside DATA for the child: closing kills it */
	if (r == RECV_BAD)
		conn_close(c, "bare_lf_data", "drop", "bare CR or LF in DATA");
	if (r == RECV_NUL)
		conn_close(c, "data_nul", "drop", "NUL in DATA");
	c->in_data = 0;
	if (ds.state == DS_TOOBIG) {
		data_refused(c, 1, 0, total);
		return;
	}
	if (ds.state == DS_REFUSED) {
		/* the child's refusal of DATA, as the final reply */
		data_done(c, 0, &ds.rep, total);
		return;
	}
	if ((ds.state == DS_GO || ds.state == DS_WAIT) &&
	    data_checks(c, NULL, ds.state == DS_GO) == -1)
		return;
	if (ds.state == DS_WAIT) {
		if (bdat_last(c, &ds) == -1 ||
		    child_reply(&c->ch, &rep) == -1) {
			ds.state = DS_FAILED;
			conn_child_failed(c, "data");
		} else
			ds.state = DS_GO;
	} else if (ds.state == DS_GO && ((ds.joined ?
	    child_send(&c->ch, ds.tail, ds.tail_len + 3) :
	    (ds.tail_len > 0 &&
	    child_send(&c->ch, ds.tail, ds.tail_len) == -1) ? -1 :
	    child_send(&c->ch, ".\r\n", 3)) == -1 ||
	    child_reply(&c->ch, &rep) == -1)) {
		ds.state = DS_FAILED;
		conn_child_failed(c, "data");
	}
	data_done(c, ds.state != DS_GO, &rep, total);
}

/*
 * Our Authentication-Results header is to be added: fields that claim
 * our name go first (RFC 8601 5), into a new spool.  0, or -1 (errno).
 */
static int
strip_auth(struct conn *c, struct spool **spp, const char *dir)
{
	struct spool *out;
	long n;

	if ((out = spool_new(c->s.cfg.spool_memory, dir)) == NULL)
		return -1;
	errno = 0;
	if ((n = authres_strip(*spp, c->s.cfg.hostname, out)) <= 0) {
		spool_free(out);
		return (int)(n < 0 ? -1 : 0);
	}
	log_start("authres");
	log_ulong("removed", (unsigned long)n);
	log_str("authserv", c->s.cfg.hostname);
	log_end();
	spool_free(*spp);
	*spp = out;
	return 0;
}

static void
data_spooled(struct conn *c)
{
	struct session *s = &c->s;
	struct creply rep;
	struct spool *sp;
	char prefix[PREFIX_MAX];
	size_t plen;
	int toobig = 0, sperr = 0, r;
	unsigned long long total;
	const char *dir;

	dir = s->cfg.spool_dir[0] ? s->cfg.spool_dir :
	    (envvar_get("TMPDIR") ? envvar_get("TMPDIR") : "/tmp");
	if ((sp = spool_new(s->cfg.spool_memory, dir)) == NULL)
		conn_fatal(c, "nomem", "spool", strerror(errno));
	conn_say(c, "data_go");
	r = receive(c, sp, &toobig, &sperr, &total);
	s->bytes += total;
	if (r == RECV_BAD) {
		spool_free(sp);
		/* never repaired, never taken for the end: close (qmail) */
		conn_close(c, "bare_lf_data", "drop", "bare CR or LF in DATA");
	}
	if (r == RECV_NUL) {
		spool_free(sp);
		conn_close(c, "data_nul", "drop", "NUL in DATA");
	}
	if (toobig || sperr) {
		spool_free(sp);
		data_refused(c, toobig, sperr, total);
		return;
	}
	if (data_checks(c, &sp, 0) == -1) {
		spool_free(sp);
		return;
	}
	if (s->alen > 0 && strip_auth(c, &sp, dir) == -1) {
		spool_free(sp);
		data_refused(c, 0, errno ? errno : EIO, total);
		return;
	}
	c->auth_header = s->alen > 0;
	plen = verdict_headers(c, prefix, sizeof(prefix));
	c->auth_header = 0;
	r = child_data(&c->ch, prefix, plen, sp, s->cfg.child_bdat, &rep);
	spool_free(sp);
	if (r == -1)
		conn_child_failed(c, "data");
	data_done(c, r == -1, &rep, total);
}

void
data_cmd(struct conn *c, size_t argn)
{
	struct session *s = &c->s;
	struct held d;
	unsigned long ms, w;

	if (argn > 0) {
		conn_proto(c, "syntax", "DATA");
		s->errors++;
		return;
	}
	if (!s->in_txn) {
		conn_proto(c, "need_mail", "DATA");
		s->errors++;
		return;
	}
	if (s->rcpts == 0) {
		conn_proto(c, c->rcpt_tries > 0 ? "no_rcpts" : "need_rcpt",
		    "DATA");
		return;
	}
	/* the data delay, or a longer wait a check asks for */
	ms = s->trusted ? 0 : s->cfg.data_delay * 1000;
	if ((w = verdict_wait(c, PHASE_DATA)) > ms)
		ms = w;
	if (ms > 0 && conn_wait(c, ms))
		s->early_data = 1;
	if (verdict_run(c, PHASE_DATA, &d, "DATA", 0) != VERDICT_PASS &&
	    d.verdict != VERDICT_ACCEPT) {
		verdict_refuse(c, &d, "DATA");
		return;
	}
	if (s->cfg.data_spool || s->spool_session || s->spool_txn)
		data_spooled(c);
	else
		data_streamed(c);
}

