/*
 * dkim.h: the DKIM check's helper, smtpfront-dkim (beside smtpfront,
 * libopendkim), fed one message as it streams past (feed.c) and asked
 * at its end for each signature's result.
 */
#ifndef DKIM_H
#define DKIM_H

#include <stddef.h>

#define DKIM_PROGRAM	"smtpfront-dkim"
#define DKIM_SIGS_MAX	8	/* signatures reported */

struct dkim_sig {
	char	result[12];	/* pass fail neutral policy temperror permerror */
	char	domain[64];	/* d=, lower case */
	char	selector[64];
	char	alg[16];
	char	b[12];		/* the first 8 bytes of b= */
	char	reason[64];
};

void	dkim_setup(const char *);
/* Start it: DNS per-query TIMEOUT_MS and BUDGET_MS, the whole within
 * TIMEOUT seconds; 0, or -1 with why. */
int	dkim_start(unsigned long, unsigned long, unsigned long, char *,
	    size_t);
int	dkim_feed(const char *, size_t);
/* The signatures (at most max into sigs, *n of them): 0, or -1 with why. */
int	dkim_finish(struct dkim_sig *, int, int *, char *, size_t);
void	dkim_end(void);
/* One "sig ..." line of the helper read into sig: 0, or -1. */
int	dkim_parse(const char *, struct dkim_sig *);

#endif
