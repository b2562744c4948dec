/*
 * t/unit-spool.c: unit tests of the message spool (spool.c), printing
 * TAP.  Memory-only messages, messages that spill into the unlinked
 * temporary file at every boundary around the memory bound, reading back
 * byte for byte in odd block sizes, and an unusable spool directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "spool.h"

#define BIG	(3 * 65536 + 17)

static unsigned int ntests, nfailed;

static void
ok(int cond, const char *desc)
{
	ntests++;
	if (!cond)
		nfailed++;
	printf("%sok %u - %s\n", cond ? "" : "not ", ntests, desc);
}

/* Write n pattern bytes in blocks of wblk, read back in rblk. */
static int
roundtrip(size_t mem, size_t n, size_t wblk, size_t rblk)
{
	static char in[BIG], out[BIG + 64];
	struct spool *s;
	size_t i, done = 0, k;
	long r;

	for (i = 0; i < n; i++)
		in[i] = (char)(i * 7 + i / 251);
	if ((s = spool_new(mem, "/tmp")) == NULL)
		return 0;
	for (i = 0; i < n; i += k) {
		k = n - i < wblk ? n - i : wblk;
		if (spool_write(s, in + i, k) == -1) {
			spool_free(s);
			return 0;
		}
	}
	if (spool_size(s) != n || spool_rewind(s) == -1) {
		spool_free(s);
		return 0;
	}
	while ((r = spool_read(s, out + done, rblk)) > 0)
		done += (size_t)r;
	spool_free(s);
	return r == 0 && done == n && memcmp(in, out, n) == 0;
}

int
main(void)
{
	static const size_t sizes[] = { 0, 1, 99, 100, 101, 4096, BIG };
	struct spool *s;
	char buf[16];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char d[80];

		snprintf(d, sizeof(d), "%zu bytes, memory 100, 1-byte writes",
		    sizes[i]);
		ok(roundtrip(100, sizes[i], sizes[i] > 5000 ? 4093 : 1, 7), d);
		snprintf(d, sizeof(d), "%zu bytes, memory 0", sizes[i]);
		ok(roundtrip(0, sizes[i], 1000, 65536), d);
		snprintf(d, sizeof(d), "%zu bytes, memory 131072", sizes[i]);
		ok(roundtrip(131072, sizes[i], 65536, 333), d);
	}

	/* a second rewind reads the same again */
	s = spool_new(4, "/tmp");
	ok(s != NULL && spool_write(s, "abcdefgh", 8) == 0, "write 8");
	ok(spool_rewind(s) == 0 && spool_read(s, buf, 16) == 4 &&
	    memcmp(buf, "abcd", 4) == 0, "memory part first");
	ok(spool_read(s, buf, 16) == 4 && memcmp(buf, "efgh", 4) == 0,
	    "then the file part");
	ok(spool_read(s, buf, 16) == 0, "then the end");
	ok(spool_rewind(s) == 0 && spool_read(s, buf, 2) == 2 &&
	    memcmp(buf, "ab", 2) == 0, "rewind again");
	spool_free(s);

	/* the next spool of the same size reuses the memory, not its bytes */
	s = spool_new(8, "/tmp");
	ok(s != NULL && spool_write(s, "oldbytes", 8) == 0, "first spool");
	spool_free(s);
	s = spool_new(8, "/tmp");
	ok(s != NULL && spool_size(s) == 0 && spool_write(s, "new", 3) == 0 &&
	    spool_rewind(s) == 0 && spool_read(s, buf, 16) == 3 &&
	    memcmp(buf, "new", 3) == 0 && spool_read(s, buf, 16) == 0,
	    "a second spool holds only its own bytes");
	spool_free(s);

	/* an unusable directory fails the write that spills, not before */
	s = spool_new(4, "/nonexistent/dir");
	ok(s != NULL, "spool with a missing directory is created");
	ok(spool_write(s, "abcd", 4) == 0, "memory part needs no directory");
	errno = 0;
	ok(spool_write(s, "e", 1) == -1 && errno != 0,
	    "the spill into a missing directory fails with errno");
	spool_free(s);

	/* a directory name longer than the spool keeps is refused */
	{
		char longdir[2048];

		memset(longdir, 'a', sizeof(longdir) - 1);
		longdir[sizeof(longdir) - 1] = '\0';
		errno = 0;
		s = spool_new(4, longdir);
		ok(s == NULL && errno == ENAMETOOLONG, "over-long directory");
		spool_free(s);
	}
	printf("1..%u\n", ntests);
	return nfailed != 0;
}
