/*
 * psl.c: the organisational domain by the Public Suffix List (psl.h).
 */
#include <stdio.h>
#include <string.h>
#include "psl.h"

#define LINE_MAX_PSL	256
#define LABELS_MAX	128

/* Where each label of d starts; the count. */
static int
labels(const char *d, const char **at)
{
	int n = 0;
	const char *p = d;

	for (;;) {
		if (n == LABELS_MAX)
			return n;
		at[n++] = p;
		if ((p = strchr(p, '.')) == NULL)
			return n;
		p++;
	}
}

/*
 * Does rule (labels r, nr of them) match the last nr labels of the
 * domain (labels d, nd)?  '*' matches any one label.
 */
static int
matches(const char *rule, const char **d, int nd)
{
	const char *r[LABELS_MAX];
	int nr = labels(rule, r), i;
	size_t rl, dl;

	if (nr > nd)
		return 0;
	for (i = 0; i < nr; i++) {
		const char *rp = r[nr - 1 - i], *dp = d[nd - 1 - i];
		const char *re = strchr(rp, '.'), *de = strchr(dp, '.');

		rl = re != NULL ? (size_t)(re - rp) : strlen(rp);
		dl = de != NULL ? (size_t)(de - dp) : strlen(dp);
		if (rl == 1 && rp[0] == '*')
			continue;
		if (rl != dl || strncmp(rp, dp, rl) != 0)
			return 0;
	}
	return nr;
}

static void
last(const char *domain, const char **d, int nd, int keep, char *out,
    size_t outsize)
{
	const char *from = keep >= nd ? domain : d[nd - keep];
	size_t n = strlen(from);

	if (n >= outsize)
		n = outsize - 1;
	memcpy(out, from, n);
	out[n] = '\0';
}

int
psl_orgdomain(const char *path, const char *domain, char *out,
    size_t outsize)
{
	char line[LINE_MAX_PSL + 2];
	const char *d[LABELS_MAX];
	int nd = labels(domain, d), best = 1, m, exc = 0;
	size_t n;
	FILE *f;

	if (outsize == 0)
		return -1;
	if ((f = fopen(path, "r")) == NULL) {
		last(domain, d, nd, 2, out, outsize);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n = strcspn(line, " \t\r\n");
		if (line[n] == '\0' && n == sizeof(line) - 1) {
			/* a line too long: the rest of it skipped */
			int c;

			while ((c = getc(f)) != EOF && c != '\n')
				;
			continue;
		}
		line[n] = '\0';
		if (n == 0 || (line[0] == '/' && line[1] == '/'))
			continue;
		if (line[0] == '!') {
			/* an exception: its suffix is the rule less a label */
			if ((m = matches(line + 1, d, nd)) > 0 && (!exc ||
			    m - 1 > best)) {
				best = m - 1;
				exc = 1;
			}
			continue;
		}
		if (!exc && (m = matches(line, d, nd)) > best)
			best = m;
	}
	(void)fclose(f);
	/* the suffix's labels and one more */
	if (best >= nd)
		last(domain, d, nd, nd, out, outsize);
	else
		last(domain, d, nd, best + 1, out, outsize);
	return 0;
}
