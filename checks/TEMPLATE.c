/*
 * checks/TEMPLATE.c: the shape of a check, in four kinds.  It is compiled
 * by "make check" into a test build of smtpfront (build/t/smtpfront-
 * template, with t/template-checks.c as its check list), and t/template.t
 * drives that build end to end: what is shown here works.  No production
 * build contains it.
 *
 * Every check file starts with a header like this one:
 *
 * What it checks: ...
 * Phases: start | connect | helo | mail | rcpt | data | eod, and hooks
 *     (wait, body, accepted, reset, end) it uses.
 * Inputs: rules keys (set NAME_action, list NAME ...), environment
 *     variables (SMTPFRONT_NAME_ACTION ...), DNS names queried (through
 *     resolver.h only, never libowfat's blocking calls).
 * Verdicts: pass, or reject on a hit (the core applies NAME_action).
 * Failure: fails open (pass, hit->lookup_failed = 1; a DNS failure
 *     also says why in hit->failed) or closed (defer) when DNS, the
 *     store or the rules database fails; a DNS check's behaviour on a
 *     failure is its setting NAME_tempfail_action, lenient (off) by
 *     default.
 *
 * One name per thing: the check NAME is checks/NAME.c, t/NAME.t, the log
 * field check=NAME, the setting NAME_action (SMTPFRONT_NAME_ACTION),
 * other settings NAME_KNOB, the list NAME (NAME_KIND when it reads
 * several), the reply NAME (variants NAME_KIND); the list "ours" (our own
 * hosts) is everybody's.  A hit that names no rule (hit->rule empty) is
 * logged with the rule of its action: the line that set it, its variable,
 * or "builtin".
 *
 * To add a check NAME, these places and no others (t/docs.t finds a check
 * missing from any of them):
 *   1. checks/NAME.c: the header above, static functions, one descriptor
 *      check_NAME with designated initialisers;
 *   2. checks/list.h: its place in CHECKS, the fixed order;
 *   3. the Makefile's CHECKS list;
 *   4. rules_table.c: the setting NAME_action (struct config in config.h
 *      gets its field NAME_action), with its default and one line of doc;
 *   5. reply.c: its default reply, named NAME, code and enhanced code of
 *      one class;
 *   6. man/smtpfront-rules.5: the setting, its default and its reply;
 *   7. README.md: its row in the table of checks, in check_list's order;
 *   8. t/NAME.t: its end-to-end test (hit, no hit, key absent, database
 *      or lookup failure, warn, off, downgrade: see t/lib/Policy.pm).
 *
 * The checks below have no action setting (CHECK_ALWAYS: they run with
 * the action reject); a real check names its own with
 * .action_off = offsetof(struct config, NAME_action).  A check whose
 * every finding comes from rules lists names them in .lists (a
 * NULL-terminated array): a session whose rules have none of them skips
 * the check, at no cost a message (checks/sender_list.c).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "dnspkt.h"
#include "resolver.h"
#include "spool.h"

/*
 * 1. Ask early, decide later.  What a DNS check does: its query goes out
 * at the session's start, as soon as the client's address is known
 * (resolver_ask, saying in which phase the answer is wanted), runs while
 * the greet delay runs and the client types, and its answer is read
 * when the verdict is needed, here at RCPT: the core has served the
 * queries and, before running the RCPT phase, waited for every one
 * wanted by then, within dns_timeout and dns_budget.  Three outcomes:
 * found, none, failed.  A failed lookup is never a refusal: the check
 * passes, says why (hit->failed, logged as a warning) and, when the
 * lookup might have allowed the client, sets hit->lookup_failed (the
 * downgrade rule).  Here: the client is "listed" when
 * REVERSED-ADDRESS.template.test has an A record.  A question about the
 * command's own input whose answer that same command's verdict needs
 * (the recipient's domain) goes in hooks->ask[PHASE]: the core calls it
 * before the phase and waits for its answers (checks/rcpt_dns.c).
 */
struct early_state {
	int	q;		/* the query, -1: none */
};

static int
early_v4(const unsigned char b[16])
{
	static const unsigned char pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	return memcmp(b, pfx, sizeof(pfx)) == 0;
}

static enum verdict
template_early_start(const struct session *s, struct check_hit *hit)
{
	struct early_state *st = hit->state;
	char rev[RESOLVER_REV_MAX], name[RESOLVER_REV_MAX + 32];

	/* start the query here; keep its handle in the state */
	st->q = -1;
	if (!s->remote_known)
		return VERDICT_PASS;
	resolver_rev(s->remote_bin, early_v4(s->remote_bin), rev);
	snprintf(name, sizeof(name), "%s.template.test", rev);
	st->q = resolver_ask(DNSPKT_T_A, name, PHASE_RCPT, NULL, NULL);
	return VERDICT_PASS;
}

static enum verdict
template_early_rcpt(const struct session *s, struct check_hit *hit)
{
	struct early_state *st = hit->state;

	(void)s;
	/* collect the answer: no longer pending by now */
	switch (resolver_status(st->q)) {
	case RESOLVER_FOUND:
		break;
	case RESOLVER_NONE:
		memcpy(hit->result, "clean", sizeof("clean"));
		snprintf(hit->header, sizeof(hit->header),
		    "X-Template-Early: clean");
		return VERDICT_PASS;
	default:
		snprintf(hit->failed, sizeof(hit->failed), "%s: %s",
		    resolver_name(st->q), resolver_why(st->q));
		return VERDICT_PASS;
	}
	memcpy(hit->result, "listed", sizeof("listed"));
	snprintf(hit->reason, sizeof(hit->reason), "listed at connect");
	snprintf(hit->rule, sizeof(hit->rule), "template");
	return VERDICT_REJECT;
}

static const struct check_hooks template_early_hooks = {
	.start = template_early_start,
};

const struct check check_template_early = {
	.name = "template_early",
	.reply = "reject",
	.action_off = CHECK_ALWAYS,
	.state_size = sizeof(struct early_state),
	.phase[PHASE_RCPT] = template_early_rcpt,
	.hooks = &template_early_hooks,
};

/*
 * 2. Remember.  What greylisting and rate limits do: open the store at
 * start, read it at RCPT, write it once the child took the message
 * (accepted), close it at the end.  The store here is the check's state,
 * which lasts the session; the store module gives the same hooks a
 * memory across sessions and hosts.  It also reads the result the first
 * check left.
 */
struct memory_state {
	unsigned long	accepted;	/* messages the child took */
	unsigned long	resets;		/* transactions ended */
};

static enum verdict
template_memory_rcpt(const struct session *s, struct check_hit *hit)
{
	const struct memory_state *st = hit->state;
	const char *early = check_result(s, "template_early");

	if (s->rcpts > 0)
		return VERDICT_PASS;	/* one header a message */
	snprintf(hit->header, sizeof(hit->header),
	    "X-Template-Memory: accepted=%lu resets=%lu early=%s",
	    st->accepted, st->resets, early != NULL ? early : "-");
	return VERDICT_PASS;
}

static void
template_memory_accepted(const struct session *s, void *state)
{
	struct memory_state *st = state;

	(void)s;
	st->accepted++;
}

static void
template_memory_reset(const struct session *s, void *state)
{
	struct memory_state *st = state;

	(void)s;
	st->resets++;
}

static void
template_memory_end(const struct session *s, void *state)
{
	(void)s;
	(void)state;
	/* close the store here */
}

static const struct check_hooks template_memory_hooks = {
	.accepted = template_memory_accepted,
	.reset = template_memory_reset,
	.end = template_memory_end,
};

const struct check check_template_memory = {
	.name = "template_memory",
	.reply = "reject",
	.action_off = CHECK_ALWAYS,
	.state_size = sizeof(struct memory_state),
	.phase[PHASE_RCPT] = template_memory_rcpt,
	.hooks = &template_memory_hooks,
};

/*
 * 3. Read the body.  What content rules do: the bytes come in pieces of
 * any size, on every delivery path; the scan keeps what it needs across
 * pieces (here: the marker may be cut in two) and decides at eod.  A
 * marker line "TEMPLATE-REJECT" in the body is refused.
 */
#define MARKER		"TEMPLATE-REJECT"
#define MARKER_LEN	(sizeof(MARKER) - 1)

struct body_state {
	size_t	matched;	/* bytes of MARKER matched so far */
	int	found;
	unsigned long long bytes;
};

static void
template_body_bytes(const struct session *s, void *state, const char *p,
    size_t n)
{
	struct body_state *st = state;
	size_t i;

	(void)s;
	st->bytes += n;
	for (i = 0; i < n && !st->found; i++) {
		if (p[i] == MARKER[st->matched])
			st->matched++;
		else
			st->matched = p[i] == MARKER[0];
		if (st->matched == MARKER_LEN)
			st->found = 1;
	}
}

static enum verdict
template_body_eod(const struct session *s, struct check_hit *hit)
{
	const struct body_state *st = hit->state;

	(void)s;
	if (!st->found)
		return VERDICT_PASS;
	snprintf(hit->reason, sizeof(hit->reason), "marker in %llu bytes",
	    st->bytes);
	snprintf(hit->rule, sizeof(hit->rule), "template");
	return VERDICT_REJECT;
}

static void
template_body_reset(const struct session *s, void *state)
{
	struct body_state *st = state;

	(void)s;
	memset(st, 0, sizeof(*st));
}

static const struct check_hooks template_body_hooks = {
	.body = template_body_bytes,
	.reset = template_body_reset,
};

const struct check check_template_body = {
	.name = "template_body",
	.reply = "reject",
	.action_off = CHECK_ALWAYS,
	.state_size = sizeof(struct body_state),
	.phase[PHASE_EOD] = template_body_eod,
	.hooks = &template_body_hooks,
};

/*
 * 4. Filter the spooled message.  What an exec filter or a milter does:
 * ask for the spool before DATA (here: for a recipient whose mailbox
 * starts with "filter"), then read the whole message at eod from
 * s->spool, where a filter program gets it on its standard input (the
 * process module runs it, with a deadline), and add a header line with
 * its verdict.  A filter that rewrites the message (spamc adding its
 * headers, a milter's changes) hands the core a new spool holding the
 * whole new message (hit->replace); here, for a recipient whose mailbox
 * starts with "rewrite", the message with one line put on top.
 */
#define REWRITTEN	"X-Template-Rewritten: yes\r\n"

static enum verdict
template_filter_rcpt(const struct session *s, struct check_hit *hit)
{
	if (strncmp(s->rcpt, "filter", 6) == 0 ||
	    strncmp(s->rcpt, "rewrite", 7) == 0)
		hit->spool = 1;
	return VERDICT_PASS;
}

/* The message with REWRITTEN on top, in a new spool; NULL on failure. */
static struct spool *
template_rewrite(struct spool *in)
{
	char buf[4096];
	struct spool *out;
	long n;

	if ((out = spool_new(sizeof(buf), "/tmp")) == NULL)
		return NULL;
	if (spool_write(out, REWRITTEN, sizeof(REWRITTEN) - 1) == -1 ||
	    spool_rewind(in) == -1) {
		spool_free(out);
		return NULL;
	}
	while ((n = spool_read(in, buf, sizeof(buf))) > 0)
		if (spool_write(out, buf, (size_t)n) == -1) {
			spool_free(out);
			return NULL;
		}
	if (n < 0) {
		spool_free(out);
		return NULL;
	}
	return out;
}

static enum verdict
template_filter_eod(const struct session *s, struct check_hit *hit)
{
	char buf[4096];
	unsigned long long lines = 0;
	long n, i;

	if (s->spool == NULL)
		return VERDICT_PASS;
	if (spool_rewind(s->spool) == -1) {
		/* a filter that cannot run: a temporary failure */
		snprintf(hit->reason, sizeof(hit->reason), "spool unreadable");
		return VERDICT_DEFER;
	}
	while ((n = spool_read(s->spool, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	if (n < 0) {
		snprintf(hit->reason, sizeof(hit->reason), "spool unreadable");
		return VERDICT_DEFER;
	}
	snprintf(hit->header, sizeof(hit->header),
	    "X-Template-Filter: lines=%llu", lines);
	if (strncmp(s->rcpt, "rewrite", 7) == 0 &&
	    (hit->replace = template_rewrite(s->spool)) == NULL) {
		snprintf(hit->reason, sizeof(hit->reason), "cannot rewrite");
		return VERDICT_DEFER;
	}
	return VERDICT_PASS;
}

const struct check check_template_filter = {
	.name = "template_filter",
	.reply = "reject",
	.action_off = CHECK_ALWAYS,
	.phase[PHASE_RCPT] = template_filter_rcpt,
	.phase[PHASE_EOD] = template_filter_eod,
};
