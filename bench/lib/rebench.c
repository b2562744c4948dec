/*
 * bench/lib/rebench.c: the regular-expression engines a content rule
 * could run on, side by side on the same input and patterns, for
 * bench/run --only content: Hyperscan (what smtpfront-scan uses:
 * streaming mode, all patterns at once), PCRE2 with its JIT (one pass
 * per pattern), and the C library's POSIX regexec (one call per line
 * and pattern).
 *
 *   rebench FILE NPATTERNS        scan rate of each engine, MB/s
 *   rebench --hostile BYTES       (a+)+$ against a line of BYTES a's
 *                                 and a b: each engine's time, or its
 *                                 failure
 *
 * Patterns: alternately \bword%03d\b and pre%03d[a-z]{2,8}suf, without
 * regard to case, ^ and $ at lines.  One line per engine:
 * "ENGINE MBPS MATCHES" (or "ENGINE SECONDS RESULT" for --hostile).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <hs/hs.h>
#include <pcre2.h>

#define PMAX	1000

static char *pat[PMAX];
static int npat;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int fl, void *ctx)
{
	(void)id, (void)from, (void)to, (void)fl;
	(*(unsigned long *)ctx)++;
	return 0;
}

static double
hs_run(const char *buf, size_t n, unsigned long *hits)
{
	unsigned int *fl = calloc(npat, sizeof(*fl)), *ids = calloc(npat,
	    sizeof(*ids));
	hs_database_t *db;
	hs_compile_error_t *ce;
	hs_scratch_t *sc = NULL;
	hs_stream_t *st;
	size_t off;
	double t0;
	int i;

	for (i = 0; i < npat; i++) {
		fl[i] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH |
		    HS_FLAG_MULTILINE;
		ids[i] = (unsigned int)i;
	}
	if (hs_compile_multi((const char *const *)pat, fl, ids,
	    (unsigned int)npat, HS_MODE_STREAM, NULL, &db, &ce) != HS_SUCCESS) {
		fprintf(stderr, "hs: %s\n", ce->message);
		exit(1);
	}
	hs_alloc_scratch(db, &sc);
	t0 = now();
	hs_open_stream(db, 0, &st);
	for (off = 0; off < n; off += 65536)
		hs_scan_stream(st, buf + off, (unsigned int)(n - off < 65536 ?
		    n - off : 65536), 0, sc, on_match, hits);
	hs_close_stream(st, sc, on_match, hits);
	return now() - t0;
}

static double
pcre_run(const char *buf, size_t n, unsigned long *hits, int one)
{
	pcre2_code *re[PMAX];
	pcre2_match_data *md;
	int i, err, rc;
	PCRE2_SIZE eo;
	double t0;

	for (i = 0; i < (one ? 1 : npat); i++) {
		re[i] = pcre2_compile((PCRE2_SPTR)pat[i], PCRE2_ZERO_TERMINATED,
		    PCRE2_CASELESS | PCRE2_MULTILINE, &err, &eo, NULL);
		if (re[i] == NULL)
			exit(1);
		pcre2_jit_compile(re[i], PCRE2_JIT_COMPLETE);
	}
	md = pcre2_match_data_create(4, NULL);
	t0 = now();
	for (i = 0; i < (one ? 1 : npat); i++) {
		rc = pcre2_match(re[i], (PCRE2_SPTR)buf, n, 0, 0, md, NULL);
		if (rc > 0)
			(*hits)++;
		else if (rc != PCRE2_ERROR_NOMATCH && one) {
			*hits = (unsigned long)-rc;
			return -(now() - t0);
		}
	}
	return now() - t0;
}

static double
posix_run(const char *buf, size_t n, unsigned long *hits)
{
	regex_t re[PMAX];
	char *copy = malloc(n + 1), *p, *nl;
	unsigned char seen[PMAX] = { 0 };
	double t0;
	int i;

	/* POSIX EREs have no \b: the word's own boundaries dropped */
	for (i = 0; i < npat; i++) {
		char q[128];

		if (strncmp(pat[i], "\\bword", 6) == 0)
			snprintf(q, sizeof(q), "word%.3s", pat[i] + 6);
		else
			snprintf(q, sizeof(q), "%s", pat[i]);
		if (regcomp(&re[i], q, REG_EXTENDED | REG_ICASE | REG_NOSUB |
		    REG_NEWLINE) != 0)
			exit(1);
	}
	memcpy(copy, buf, n);
	copy[n] = '\0';
	t0 = now();
	for (p = copy; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		for (i = 0; i < npat; i++)
			if (!seen[i] && regexec(&re[i], p, 0, NULL, 0) == 0)
				seen[i] = 1, (*hits)++;
		if (nl == NULL)
			break;
	}
	return now() - t0;
}

int
main(int argc, char **argv)
{
	unsigned long h;
	size_t n, cap = 1 << 20;
	char *buf, *pn;
	double t;
	FILE *f;
	int i;

	if (argc == 3 && strcmp(argv[1], "--hostile") == 0) {
		n = strtoul(argv[2], NULL, 10);
		buf = malloc(n + 3);
		memset(buf, 'a', n);
		buf[n] = 'b';
		buf[n + 1] = '\n';
		buf[n + 2] = '\0';
		pat[0] = "(a+)+$";
		npat = 1;
		h = 0;
		t = hs_run(buf, n + 2, &h);
		printf("hyperscan %.6f %s\n", t, h ? "match" : "no-match");
		h = 0;
		t = pcre_run(buf, n + 2, &h, 1);
		if (t < 0)
			printf("pcre2-jit %.6f error-%lu\n", -t, h);
		else
			printf("pcre2-jit %.6f %s\n", t, h ? "match" : "no-match");
		return 0;
	}
	if (argc != 3)
		return 2;
	npat = atoi(argv[2]);
	if (npat < 1 || npat > PMAX)
		return 2;
	for (i = 0; i < npat; i++) {
		pn = malloc(64);
		if (i % 2 == 0)
			snprintf(pn, 64, "\\bword%03d\\b", i);
		else
			snprintf(pn, 64, "pre%03d[a-z]{2,8}suf", i);
		pat[i] = pn;
	}
	if ((f = fopen(argv[1], "rb")) == NULL)
		return 1;
	buf = malloc(cap);
	for (n = 0; ; ) {
		size_t r;

		if (n == cap)
			buf = realloc(buf, cap *= 2);
		if ((r = fread(buf + n, 1, cap - n, f)) == 0)
			break;
		n += r;
	}
	fclose(f);
	h = 0;
	t = hs_run(buf, n, &h);
	printf("hyperscan %.1f %lu\n", n / t / 1e6, h);
	h = 0;
	t = pcre_run(buf, n, &h, 0);
	printf("pcre2-jit %.1f %lu\n", n / t / 1e6, h);
	/* POSIX on the first 2 MB: it is far slower */
	h = 0;
	t = posix_run(buf, n < 2000000 ? n : 2000000, &h);
	printf("posix-regexec %.2f %lu\n", (n < 2000000 ? n : 2000000) / t /
	    1e6, h);
	return 0;
}
