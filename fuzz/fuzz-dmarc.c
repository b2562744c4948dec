/*
 * fuzz/fuzz-dmarc.c: libFuzzer target for dmarc_tag() (dmarc.c), the
 * reader of a DMARC record's tags, and psl.c's organisational domain on
 * the same bytes as a domain name.
 *
 * Input: byte 0 picks the tag (p, sp, adkim, aspf, pct, v, rua) and the
 * output size (1-32); the rest is the record.  Invariants: the value is
 * NUL-terminated within its buffer, lower case where the record had
 * upper, free of ';', blanks and NUL, a prefix of the value a large
 * buffer gets; the organisational domain is a suffix of the name.  A
 * broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dmarc.h"
#include "psl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int cond)
{
	if (!cond)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tags[] = { "p", "sp", "adkim", "aspf", "pct",
	    "v", "rua" };
	char *rec, small[32], big[600], org[300];
	size_t n, osize, i, l;
	const char *t;

	if (size < 1)
		return 0;
	t = tags[data[0] % 7];
	osize = (size_t)(data[0] / 7) % 32 + 1;
	n = size - 1;
	if ((rec = malloc(n + 1)) == NULL)
		return 0;
	memcpy(rec, data + 1, n);
	rec[n] = '\0';
	dmarc_tag(rec, t, small, osize);
	dmarc_tag(rec, t, big, sizeof(big));
	l = strlen(small);
	check(l < osize);
	check(strncmp(small, big, l) == 0);
	for (i = 0; i < l; i++)
		check(small[i] != ';' && small[i] != ' ' && small[i] != '\t' &&
		    !(small[i] >= 'A' && small[i] <= 'Z'));
	/* a name: the organisational domain is its own tail */
	if (n < 256 && strchr(rec, '\n') == NULL) {
		(void)psl_orgdomain("/usr/share/publicsuffix/public_suffix_list.dat",
		    rec, org, sizeof(org));
		l = strlen(org);
		check(l <= strlen(rec) && strcmp(rec + strlen(rec) - l, org) == 0);
	}
	free(rec);
	return 0;
}
