/*
 * t/unit-crlf.c: the byte scanners of crlf.c (SSE2 where there is SSE2)
 * against plain byte loops: every byte value at every position of
 * buffers of 0 to 40 bytes, at every alignment of the first 16, and
 * buffers with nothing to find.  crlf_find (first CR or LF), crlf_flags
 * (NUL, 8-bit, CR), crlf_lf
 * (first LF) and crlf_plain (leading run of bytes 33..126 but '"').
 * Also log values through log.c: a plain value goes as it is, others are
 * quoted and made printable as before.  Prints TAP.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "crlf.h"
#include "log.h"
#include "tap.h"

/* One log line with key=value, as log.c writes it to fd 2. */
static const char *
logged(const char *v, size_t n, int addr)
{
	static char got[LOG_LINE_MAX + 1];
	char path[] = "/tmp/unit-crlf.XXXXXX";
	int fd, saved;
	ssize_t r;

	if ((fd = mkstemp(path)) == -1)
		return "";
	unlink(path);
	saved = dup(2);
	dup2(fd, 2);
	log_start("test");
	if (addr)
		log_addr("k", v);
	else
		log_strn("k", v, n);
	log_end();
	dup2(saved, 2);
	close(saved);
	r = pread(fd, got, sizeof(got) - 1, 0);
	close(fd);
	got[r > 0 ? r : 0] = '\0';
	return got;
}

/* Does the logged line end in " k=" want "\n"? */
static int
ends(const char *line, const char *want)
{
	char tail[LOG_LINE_MAX + 8];
	size_t n = strlen(line), k;

	snprintf(tail, sizeof(tail), " k=%s\n", want);
	k = strlen(tail);
	return n >= k && strcmp(line + n - k, tail) == 0;
}

static size_t
ref_find_nul(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			break;
	return i;
}

static size_t
ref_find(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n')
			break;
	return i;
}

static size_t
ref_lf(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			break;
	return i;
}

/* the leading run of bytes lo..126 but '"', a byte at a time */
static size_t
ref_run(const char *s, size_t n, unsigned char lo)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < lo || c > 126 || c == '"')
			break;
	}
	return i;
}

static size_t
ref_plain(const char *s, size_t n)
{
	return ref_run(s, n, 33);
}

static size_t
ref_text(const char *s, size_t n)
{
	return ref_run(s, n, 32);
}

/* crlf_flags as a byte loop */
static int
ref_flags(const char *s, size_t n)
{
	size_t i;
	int f = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0')
			f |= CRLF_NUL;
		if ((unsigned char)s[i] >= 128)
			f |= CRLF_8BIT;
		if (s[i] == '\r')
			f |= CRLF_CR;
	}
	return f;
}

int
main(void)
{
	char store[64 + 16];
	char *s;
	size_t n, pos, off;
	int b, bad_find = 0, bad_lf = 0, bad_plain = 0, plain_seen = 0, bad_flags = 0;
	int bad_nul = 0, bad_text = 0;

	for (off = 0; off < 16; off++) {
		s = store + off;
		for (n = 0; n <= 40; n++) {
			/* a filler found by none: 'a' */
			memset(s, 'a', n);
			if (crlf_find(s, n) != n || crlf_lf(s, n) != n ||
			    crlf_plain(s, n) != n || crlf_find_nul(s, n) != n ||
			    crlf_text(s, n) != n)
				bad_find++;
			for (pos = 0; pos < n; pos++)
				for (b = 0; b < 256; b++) {
					memset(s, 'a', n);
					s[pos] = (char)b;
					if (crlf_find(s, n) != ref_find(s, n))
						bad_find++;
					if (crlf_find_nul(s, n) !=
					    ref_find_nul(s, n))
						bad_nul++;
					if (crlf_lf(s, n) != ref_lf(s, n))
						bad_lf++;
					if (crlf_flags(s, n) != ref_flags(s, n))
						bad_flags++;
					if (crlf_plain(s, n) != ref_plain(s, n))
						bad_plain++;
					if (crlf_text(s, n) != ref_text(s, n))
						bad_text++;
					if (ref_plain(s, n) == n)
						plain_seen++;
				}
		}
	}
	ok(bad_find == 0, "crlf_find agrees with a byte loop (%d differ)",
	    bad_find);
	ok(bad_lf == 0, "crlf_lf agrees with a byte loop (%d differ)", bad_lf);
	ok(bad_flags == 0, "crlf_flags agrees with a byte loop (%d differ)",
	    bad_flags);
	ok(bad_nul == 0, "crlf_find_nul agrees with a byte loop (%d differ)",
	    bad_nul);
	ok(bad_plain == 0, "crlf_plain agrees with a byte loop (%d differ)",
	    bad_plain);
	ok(bad_text == 0, "crlf_text agrees with a byte loop (%d differ)",
	    bad_text);
	ok(plain_seen > 0 && plain_seen < 16 * 41 * 40 * 256 / 2,
	    "crlf_plain: both plain and other buffers were tried (%d plain)",
	    plain_seen);
	ok(crlf_plain("<a@b.test>", 10) == 10,
	    "crlf_plain: an address is plain");
	ok(crlf_plain("two words", 9) == 3, "crlf_plain: a blank ends it");
	ok(crlf_plain("say\"x\"", 6) == 3, "crlf_plain: a quote ends it");
	ok(crlf_plain("0123456789abcdef0123\x7f", 21) == 20,
	    "crlf_plain: DEL after 16 bytes ends it");
	ok(crlf_plain("0123456789abcdef\xc3\xa9", 18) == 16,
	    "crlf_plain: 8-bit ends it");

	/* log values: plain ones as they are, the rest as before */
	log_init("192.0.2.1");
	{
		static const struct { const char *v, *want; int addr; } lv[] = {
			{ "alice@example.org.and.a.long.tail",
			    "alice@example.org.and.a.long.tail", 0 },
			{ "a@b.test", "<a@b.test>", 1 },
			{ "", "<>", 1 },
			{ "", "\"\"", 0 },
			{ "two words and more than sixteen",
			    "\"two words and more than sixteen\"", 0 },
			{ "say \"hi\" now", "\"say 'hi' now\"", 0 },
			{ "ctl\x01" "and\x7f" "8bit\xc3\xa9", "ctl?and?8bit??",
			    0 },
			{ "0123456789abcdef\"", "\"0123456789abcdef'\"", 0 },
			{ "250 2.0.0 Ok: queued as 12.34",
			    "\"250 2.0.0 Ok: queued as 12.34\"", 0 },
			{ "a b\x01", "\"a b?\"", 0 },
			{ "a b\"c", "\"a b'c\"", 0 },
			{ "ab c", "<ab c>", 1 },
		};
		size_t i;
		const char *line;

		for (i = 0; i < sizeof(lv) / sizeof(lv[0]); i++) {
			line = logged(lv[i].v, strlen(lv[i].v), lv[i].addr);
			ok(ends(line, lv[i].want), "log value %s: %s",
			    show(lv[i].v, strlen(lv[i].v)),
			    show(line, strlen(line)));
		}
	}
	return done();
}
