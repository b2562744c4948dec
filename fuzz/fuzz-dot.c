/*
 * fuzz/fuzz-dot.c: libFuzzer target for dot.c.
 *
 * Input layout: byte 0 gives the number of cuts (0-7), the next bytes
 * give the cut positions (as fractions of the rest), the rest is the
 * client's DATA stream.  Invariants: each call writes at most n + 2
 * bytes (into buffers of exactly n + 2, so ASan sees more), the output
 * never exceeds the input consumed and holds no bare CR or LF, feeding
 * in chunks gives exactly what feeding whole gives, the result matches
 * a line-at-a-time reference, and dot_stuff() of the output fed back
 * gives the output again, ended by DOT_END.  Counting only (out NULL)
 * gives the same results; passing the input on as it is while holding
 * back dot_pending() bytes (streaming) never passes an end of data, and
 * at DOT_END leaves exactly "." CRLF.  A broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dot.h"

#define CUTS_MAX	8
#define FRACTION	256

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct run {
	int	 ret;
	size_t	 used;
	size_t	 outlen;
	char	*out;
};

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void *
xmalloc(size_t n)
{
	void	*p;

	p = malloc(n == 0 ? 1 : n);
	check(p != NULL);
	return p;
}

/* Does the wire text w[0..n) hold an end of data? */
static int
has_end(const char *w, size_t n)
{
	size_t	i;

	if (n >= 3 && memcmp(w, ".\r\n", 3) == 0)
		return 1;
	for (i = 0; i + 5 <= n; i++)
		if (memcmp(w + i, "\r\n.\r\n", 5) == 0)
			return 1;
	return 0;
}

/* Feed in[0..n) in chunks ending at cuts[] (sorted, each <= n). */
static void
feed(const char *in, size_t n, const size_t *cuts, size_t ncuts,
    struct run *r, int nul)
{
	struct dot	d, d2;
	size_t		start, end, k, used, outlen, used2, outlen2, pend, passed;
	char		*buf;
	int		ret = DOT_MORE, ret2;

	dot_init(&d);
	dot_init(&d2);
	d.nul = d2.nul = nul;
	r->out = xmalloc(n + 2);
	r->outlen = 0;
	r->used = 0;
	start = 0;
	for (k = 0; k <= ncuts; k++) {
		end = k < ncuts ? cuts[k] : n;
		check(end >= start && end <= n);
		buf = xmalloc(end - start + 2);
		ret = dot_feed(&d, in + start, end - start, &used, buf,
		    &outlen);
		check(ret == DOT_MORE || ret == DOT_END || ret == DOT_BAD ||
		    (nul && ret == DOT_NUL));
		check(outlen <= end - start + 2 && used <= end - start);
		if (ret == DOT_MORE)
			check(used == end - start);
		else
			check(used > 0);
		check(r->outlen + outlen <= r->used + used);
		ret2 = dot_feed(&d2, in + start, end - start, &used2, NULL,
		    &outlen2);
		check(ret2 == ret && used2 == used && outlen2 == outlen);
		if (ret != DOT_BAD && ret != DOT_NUL) {
			check(dot_pending(&d) == dot_pending(&d2));
			pend = ret == DOT_END ? 3 : dot_pending(&d);
			check(pend <= r->used + used);
			passed = r->used + used - pend;
			check(!has_end(in, passed));
			if (ret == DOT_END)
				check(memcmp(in + passed, ".\r\n", 3) == 0);
		}
		memcpy(r->out + r->outlen, buf, outlen);
		r->outlen += outlen;
		r->used += used;
		free(buf);
		if (ret != DOT_MORE)
			break;
		start = end;
	}
	r->ret = ret;
}

/* Every CR is followed by LF and every LF preceded by CR. */
static int
clean(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))
			return 0;
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			return 0;
	}
	return 1;
}

/* The line-at-a-time reference, as in t/unit-dot.c. */
static int
reference(const char *in, size_t n, size_t *used, char *out, size_t *outlen)
{
	size_t	i, j, o;

	i = 0;
	o = 0;
	for (;;) {
		for (j = i; j < n && in[j] != '\r' && in[j] != '\n'; j++)
			;
		if (j < n && in[j] == '\n') {
			*used = j + 1;
			*outlen = o;
			return DOT_BAD;
		}
		if (j + 1 < n && in[j + 1] != '\n') {
			*used = j + 2;
			*outlen = o;
			return DOT_BAD;
		}
		if (j + 1 >= n) {
			if (i < j && in[i] == '.')
				i++;
			memcpy(out + o, in + i, j - i);
			o += j - i;
			*used = n;
			*outlen = o;
			return DOT_MORE;
		}
		if (j - i == 1 && in[i] == '.') {
			*used = j + 2;
			*outlen = o;
			return DOT_END;
		}
		if (i < j && in[i] == '.')
			i++;
		memcpy(out + o, in + i, j - i);
		o += j - i;
		out[o++] = '\r';
		out[o++] = '\n';
		i = j + 2;
	}
}

static int
cmp_size(const void *a, const void *b)
{
	size_t	x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run	whole, split, back, nulw, nuls;
	const char	*first;
	size_t		cuts[CUTS_MAX], ncuts, i, n, w, rused, rlen, chunk;
	const char	*in;
	char		*wire, *ref;
	int		bol, rret;

	if (size == 0)
		return 0;
	ncuts = data[0] % CUTS_MAX;
	if (size < 1 + ncuts)
		return 0;
	in = (const char *)data + 1 + ncuts;
	n = size - 1 - ncuts;
	for (i = 0; i < ncuts; i++)
		cuts[i] = n * data[1 + i] / FRACTION;
	qsort(cuts, ncuts, sizeof(cuts[0]), cmp_size);

	feed(in, n, NULL, 0, &whole, 0);
	feed(in, n, cuts, ncuts, &split, 0);
	check(whole.ret == split.ret && whole.used == split.used &&
	    whole.outlen == split.outlen &&
	    memcmp(whole.out, split.out, whole.outlen) == 0);
	check(whole.outlen <= n + 2 && whole.outlen <= whole.used);
	check(clean(whole.out, whole.outlen));

	ref = xmalloc(n + 2);
	rret = reference(in, n, &rused, ref, &rlen);
	check(rret == whole.ret && rused == whole.used);
	if (rret != DOT_BAD)
		check(rlen == whole.outlen &&
		    memcmp(ref, whole.out, rlen) == 0);
	free(ref);

	/*
	 * With NUL refused: the same as above while no NUL was read; else
	 * DOT_NUL right after the first NUL, whole or split, with what came
	 * before it.
	 */
	feed(in, n, NULL, 0, &nulw, 1);
	feed(in, n, cuts, ncuts, &nuls, 1);
	check(nulw.ret == nuls.ret && nulw.used == nuls.used &&
	    nulw.outlen == nuls.outlen &&
	    memcmp(nulw.out, nuls.out, nulw.outlen) == 0);
	first = memchr(in, '\0', whole.used);
	if (first == NULL)
		check(nulw.ret == whole.ret && nulw.used == whole.used &&
		    nulw.outlen == whole.outlen &&
		    memcmp(nulw.out, whole.out, whole.outlen) == 0);
	else
		check(nulw.ret == DOT_NUL &&
		    nulw.used == (size_t)(first - in) + 1 &&
		    nulw.outlen <= whole.outlen &&
		    memcmp(nulw.out, whole.out, nulw.outlen) == 0);
	free(nulw.out);
	free(nuls.out);

	/* dot_stuff in chunks at the same cuts, then the terminator */
	wire = xmalloc(2 * whole.outlen + 5);
	w = 0;
	bol = 1;
	chunk = 0;
	for (i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts && cuts[i] < whole.outlen ? cuts[i] :
		    whole.outlen;

		if (end < chunk)
			continue;
		w += dot_stuff(whole.out + chunk, end - chunk, &bol, wire + w);
		chunk = end;
	}
	check(chunk == whole.outlen && w <= 2 * whole.outlen);
	if (!bol) {
		memcpy(wire + w, "\r\n", 2);
		w += 2;
	}
	memcpy(wire + w, ".\r\n", 3);
	w += 3;
	feed(wire, w, cuts, 0, &back, 0);
	check(back.ret == DOT_END && back.used == w);
	check(back.outlen == whole.outlen + (bol ? 0 : 2));
	check(memcmp(back.out, whole.out, whole.outlen) == 0);
	free(back.out);
	free(wire);
	free(whole.out);
	free(split.out);
	return 0;
}
