/*
 * dkim.c: start smtpfront-dkim, feed it the message, read its signatures
 * (see dkim.h), through feed.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cold.h"
#include "dkim.h"
#include "feed.h"

#define ANSWER_MAX	4096

static const char *self_path = "";
static struct feed f = { 0, -1, -1, 0, "" };

void
dkim_setup(const char *self)
{
	self_path = self;
}

void
dkim_end(void)
{
	feed_end(&f);
}

int
dkim_start(unsigned long timeout_ms, unsigned long budget_ms,
    unsigned long timeout, char *why, size_t wsize)
{
	char prog[512], t[24], b[24], *argv[4];

	(void)snprintf(t, sizeof(t), "%lu", timeout_ms);
	(void)snprintf(b, sizeof(b), "%lu", budget_ms);
	feed_program(self_path, DKIM_PROGRAM, prog, sizeof(prog));
	argv[0] = prog;
	argv[1] = t;
	argv[2] = b;
	argv[3] = NULL;
	return feed_start(&f, argv, -1, timeout, why, wsize);
}

int
dkim_feed(const char *buf, size_t n)
{
	return feed_write(&f, buf, n);
}

/* The next blank-separated word of *p into out (cut), or -1. */
static int
word(const char **p, char *out, size_t size)
{
	const char *s = *p;
	size_t n = 0;

	while (*s == ' ')
		s++;
	if (*s == '\0')
		return -1;
	while (*s != '\0' && *s != ' ') {
		if (n + 1 < size)
			out[n++] = *s;
		s++;
	}
	out[n] = '\0';
	*p = s;
	return 0;
}

int
dkim_parse(const char *line, struct dkim_sig *sig)
{
	const char *p = line;
	size_t n;

	if (strncmp(p, "sig ", 4) != 0)
		return -1;
	p += 4;
	if (word(&p, sig->result, sizeof(sig->result)) == -1 ||
	    word(&p, sig->domain, sizeof(sig->domain)) == -1 ||
	    word(&p, sig->selector, sizeof(sig->selector)) == -1 ||
	    word(&p, sig->alg, sizeof(sig->alg)) == -1 ||
	    word(&p, sig->b, sizeof(sig->b)) == -1)
		return -1;
	while (*p == ' ')
		p++;
	n = strlen(p);
	if (n >= sizeof(sig->reason))
		n = sizeof(sig->reason) - 1;
	memcpy(sig->reason, p, n);
	sig->reason[n] = '\0';
	if (strcmp(sig->result, "pass") != 0 && strcmp(sig->result, "fail") !=
	    0 && strcmp(sig->result, "neutral") != 0 && strcmp(sig->result,
	    "policy") != 0 && strcmp(sig->result, "temperror") != 0 &&
	    strcmp(sig->result, "permerror") != 0)
		return -1;
	return 0;
}

int
dkim_finish(struct dkim_sig *sigs, int max, int *n, char *why, size_t wsize)
{
	static COLD char ans[ANSWER_MAX + 1];
	char *p, *nl, w[200];
	int ended = 0;

	*n = 0;
	if (feed_finish(&f, ans, sizeof(ans), w, sizeof(w)) == -1) {
		(void)snprintf(why, wsize, "%s: %s", DKIM_PROGRAM, w);
		return -1;
	}
	for (p = ans; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		if (strncmp(p, "sig ", 4) == 0 && *n < max &&
		    dkim_parse(p, &sigs[*n]) == 0)
			(*n)++;
		else if (strncmp(p, "end ", 4) == 0)
			ended = 1;
	}
	if (!ended) {
		(void)snprintf(why, wsize, "%s said nothing sensible",
		    DKIM_PROGRAM);
		return -1;
	}
	return 0;
}
