/*
 * fuzz/fuzz-milter.c: libFuzzer target for the pure part of milter.c:
 * milter_parse (one reply packet), milter_optneg, milter_fields (a header
 * section split into fields), milter_mod (the modification list) and
 * milter_apply (the header section written with the changes).
 *
 * Input: byte 0: bit 0 the leading-space flag; bytes 1-2 (big endian)
 * the header section's length L, cut to what there is; then L bytes of
 * header section; then packets, each a command byte, a 2-byte length and
 * that many bytes (cut to what is left).  Invariants: a parsed packet's
 * pointers lie inside it; a REPLYCODE has a 4xx or 5xx code; texts are
 * printable and NUL-terminated; a header change's name is a header name;
 * the same packet parses the same way twice; a section that splits,
 * written with no change, is itself; written with the changes, every
 * line ends with CRLF, and when the section has no bare CR or LF, none
 * is written and every line is a field ("Name:") or continues one.  A
 * broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "milter.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define OUT_MAX	(1024 * 1024)

static struct milter_field f[MILTER_FIELDS_MAX];
static struct milter_mods mods;
static struct milter_mods none;
static char outbuf[OUT_MAX];

struct out {
	char	*p;
	size_t	 n;
};

static void
check(int cond)
{
	if (!cond)
		abort();
}

static int
put(void *arg, const char *p, size_t n)
{
	struct out *o = arg;

	if (n > OUT_MAX - o->n)
		return -1;
	memcpy(o->p + o->n, p, n);
	o->n += n;
	return 0;
}

static void
printable(const char *t)
{
	size_t i, n = strnlen(t, MILTER_TEXT_MAX + 1);

	check(n <= MILTER_TEXT_MAX);
	for (i = 0; i < n; i++)
		check(t[i] >= 32 && t[i] <= 126);
}

static int
inside(const char *p, size_t n, const char *base, size_t len)
{
	return p >= base && p <= base + len && n <= (size_t)(base + len - p);
}

/* No bare CR or LF: every CR is followed by LF and every LF follows CR. */
static int
clean_lines(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n'))
			return 0;
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct milter_reply r, r2;
	struct out o;
	const char *h, *p, *why, *line;
	unsigned long a, b, c;
	size_t hl, off, len, i;
	int lead, nf, cmd, ret;

	if (size < 3)
		return 0;
	lead = data[0] & 1;
	hl = (size_t)data[1] << 8 | data[2];
	if (hl > size - 3)
		hl = size - 3;
	h = (const char *)data + 3;
	off = 3 + hl;
	mods.n = 0;
	mods.used = 0;
	while (off < size) {
		cmd = data[off++];
		len = off + 2 <= size ? (size_t)data[off] << 8 | data[off + 1] : 0;
		off = off + 2 <= size ? off + 2 : size;
		if (len > size - off)
			len = size - off;
		p = (const char *)data + off;
		off += len;
		(void)milter_optneg(p, len, &a, &b, &c);
		ret = milter_parse(cmd, p, len, &r, &why);
		check(ret == milter_parse(cmd, p, len, &r2, &why));
		if (ret == -1) {
			check(why != NULL);
			continue;
		}
		check(r.kind == r2.kind && r.vlen == r2.vlen &&
		    r.nlen == r2.nlen && strcmp(r.text, r2.text) == 0);
		printable(r.text);
		switch (r.kind) {
		case MILTER_R_REPLYCODE:
			check(r.code[0] == '4' || r.code[0] == '5');
			check(r.code[1] >= '0' && r.code[1] <= '9');
			check(r.code[2] >= '0' && r.code[2] <= '9');
			check(r.code[3] == '\0');
			break;
		case MILTER_R_ADDHEADER:
		case MILTER_R_INSHEADER:
		case MILTER_R_CHGHEADER:
			check(r.nlen > 0 && inside(r.name, r.nlen, p, len));
			check(inside(r.value, r.vlen, p, len));
			for (i = 0; i < r.nlen; i++)
				check(r.name[i] > 32 && r.name[i] < 127 &&
				    r.name[i] != ':');
			check(memchr(r.value, '\0', r.vlen) == NULL);
			(void)milter_mod(&mods, &r);
			break;
		case MILTER_R_REPLBODY:
			check(inside(r.value, r.vlen, p, len) && r.vlen == len);
			break;
		default:
			break;
		}
	}
	check(mods.n <= MILTER_MODS_MAX && mods.used <= sizeof(mods.bytes));
	nf = milter_fields(h, hl, f, MILTER_FIELDS_MAX);
	if (nf < 0)
		return 0;
	for (i = 0; i < (size_t)nf; i++) {
		check(f[i].off + f[i].len <= hl);
		check(f[i].nlen > 0 && f[i].off + f[i].nlen < f[i].voff);
		check(f[i].voff <= f[i].off + f[i].len);
		check(i == 0 || f[i].off == f[i - 1].off + f[i - 1].len);
	}
	check(nf == 0 || f[nf - 1].off + f[nf - 1].len == hl);
	o.p = outbuf;
	/* no change: the section itself */
	o.n = 0;
	check(milter_apply(h, f, nf, &none, lead, put, &o) == 0);
	check(o.n == hl && memcmp(o.p, h, hl) == 0);
	o.n = 0;
	if (milter_apply(h, f, nf, &mods, lead, put, &o) == 0) {
		check(o.n == 0 || (o.n >= 2 && o.p[o.n - 2] == '\r' &&
		    o.p[o.n - 1] == '\n'));
		if (clean_lines(h, hl)) {
			check(clean_lines(o.p, o.n));
			for (line = o.p; line < o.p + o.n; ) {
				const char *end = memchr(line, '\n',
				    (size_t)(o.p + o.n - line));

				check(end != NULL);
				if (line == o.p || (*line != ' ' &&
				    *line != '\t'))
					check(memchr(line, ':', (size_t)(end -
					    line)) != NULL && *line != ':');
				line = end + 1;
			}
		}
	}
	return 0;
}
