/*
 * dryrun.c: smtpfront -n IP HELO SENDER RECIPIENT (see dryrun.h).
 * Input: the connection set up as for a session (client facts from IP,
 * rules, settings, the checks' start), the arguments.  Output: one line
 * per phase on stdout.  Exit 0 when the recipient would be handed to the
 * child, 1 when refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dryrun.h"
#include "log.h"
#include "smtp.h"
#include "verdict.h"

/*
 * Dry run: what would happen to this client, HELO, sender and recipient,
 * and which check and rule would decide, without a network client or an
 * MTA child.  One line per phase on stdout, then the outcome.  Exit 0
 * when the recipient would be handed to the child, 1 when refused.
 */
static int dry_w0;	/* warn hits before the phase */

static void
dry_print(struct conn *c, const char *phase, const char *what,
    enum verdict v, const struct held *d, const char *note)
{
	struct rtext rt;
	int i;

	if (v == VERDICT_PASS && c->s.nwarns > dry_w0) {
		/* warn-mode hits: the message would carry the header */
		printf("%s %s: warn check=", phase, what);
		for (i = dry_w0; i < c->s.nwarns; i++)
			printf("%s%s", i > dry_w0 ? "," : "", c->s.warns[i]);
		printf(" rule=%s%s%s%s\n", c->s.warn_rule, note ? " (" : "",
		    note ? note : "", note ? ")" : "");
		dry_w0 = c->s.nwarns;
		return;
	}
	dry_w0 = c->s.nwarns;
	printf("%s %s: %s", phase, what, verdict_name(v));
	if (v != VERDICT_PASS) {
		printf(" check=%s rule=%s", d->check,
		    d->rule[0] ? d->rule : "-");
		if (v != VERDICT_ACCEPT && v != VERDICT_WARN) {
			conn_reply(c, d->reply, &rt);
			if (d->text[0] != '\0')
				copystr(rt.text, sizeof(rt.text), d->text,
				    strlen(d->text));
			if (v == VERDICT_DEFER || c->s.lookup_failed)
				reply_temp(&rt);
			printf(" reply=\"%s%s%s %s\"", rt.code,
			    rt.esc[0] ? " " : "", rt.esc, rt.text);
		}
		/* what the check saw (a DNS list: the zone and answer) */
		if (d->reason[0] != '\0')
			printf(" reason=\"%s\"", d->reason);
	}
	if (note != NULL)
		printf(" (%s)", note);
	printf("\n");
}

static int
dry_refused(struct conn *c, const char *phase, const char *what,
    enum verdict v, struct held *d)
{
	struct session *s = &c->s;

	if (v == VERDICT_PASS || v == VERDICT_ACCEPT || v == VERDICT_WARN) {
		dry_print(c, phase, what, v, d, NULL);
		return 0;
	}
	if (v != VERDICT_DROP && s->cfg.delay_reject &&
	    d->phase < PHASE_RCPT) {
		dry_print(c, phase, what, v, d, "held until RCPT");
		if (s->held.verdict == VERDICT_PASS)
			s->held = *d;
		return 0;
	}
	dry_print(c, phase, what, v, d, NULL);
	return 1;
}

void
dryrun(struct conn *c, char *const *args)
{
	struct session *s = &c->s;
	struct held d;
	enum verdict v;
	size_t pos;
	char what[ADDR_MAX + 16];

	s->helo_seen = 1;
	s->esmtp = 1;
	log_printable(s->helo, sizeof(s->helo) - 1, args[1],
	    strnlen(args[1], HELO_MAX));
	snprintf(what, sizeof(what), "FROM:<%s>", args[2]);
	if (smtp_path(what, strlen(what), "FROM:", s->sender,
	    sizeof(s->sender), &pos) == -1) {
		printf("sender %s: syntax error\n", what);
		exit(1);
	}
	s->sender_len = strlen(s->sender);
	snprintf(what, sizeof(what), "TO:<%s>", args[3]);
	if (smtp_path(what, strlen(what), "TO:", s->rcpt, sizeof(s->rcpt),
	    &pos) == -1) {
		printf("recipient %s: syntax error\n", what);
		exit(1);
	}
	s->rcpt_len = strlen(s->rcpt);
	/* a verdict at the checks' start counts as one found at connect */
	v = verdict_start(c, &d);
	if (s->trusted)
		printf("trust %s: trusted by %s%s\n", s->remote_ip,
		    s->trust_rule, s->cfg.trust_exec ?
		    " (handed to the child with execve)" : "");
	if (v == VERDICT_PASS)
		v = verdict_run(c, PHASE_CONNECT, &d, "CONNECT", 0);
	if (dry_refused(c, "connect", s->remote_ip, v, &d))
		exit(1);
	v = verdict_run(c, PHASE_HELO, &d, "EHLO", 0);
	if (dry_refused(c, "helo", s->helo, v, &d))
		exit(1);
	snprintf(what, sizeof(what), "<%s>", s->sender);
	v = s->held.verdict != VERDICT_PASS ? VERDICT_PASS :
	    verdict_run(c, PHASE_MAIL, &d, "MAIL", 0);
	if (dry_refused(c, "mail", what, v, &d))
		exit(1);
	s->in_txn = 1;
	snprintf(what, sizeof(what), "<%s>", s->rcpt);
	v = verdict_run(c, PHASE_RCPT, &d, "RCPT", 1);
	if (v != VERDICT_PASS && v != VERDICT_ACCEPT) {
		dry_print(c, "rcpt", what, v, &d, "relay control");
		exit(1);
	}
	if (addr_is_role(s->rcpt, s->rcpt_len)) {
		printf("rcpt %s: accept (postmaster and abuse take all "
		    "mail)\n", what);
		exit(0);
	}
	v = verdict_run(c, PHASE_RCPT, &d, "RCPT", 0);
	if (v != VERDICT_ACCEPT && s->held.verdict != VERDICT_PASS) {
		d = s->held;
		dry_print(c, "rcpt", what, (enum verdict)d.verdict, &d,
		    "held from an earlier phase");
		exit(1);
	}
	if (v != VERDICT_PASS && v != VERDICT_ACCEPT && v != VERDICT_WARN) {
		dry_print(c, "rcpt", what, v, &d, NULL);
		exit(1);
	}
	dry_print(c, "rcpt", what, v, &d, "handed to the MTA child");
	exit(0);
}

