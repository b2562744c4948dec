/*
 * crlf.c: find line ends in message data, plain log text and the end
 * of a path (see crlf.h).  Every byte of
 * every message passes here, once or twice: musl's memchr() is a C loop
 * with a byte-wise head and tail (~175 instructions for a line of 78
 * bytes, ~1.3 per byte), glibc's uses SSE2.  With SSE2 (every x86-64)
 * these compare 16 bytes at a time, both CR and LF in the same pass;
 * elsewhere a plain byte loop gives the same answers.
 * Input: any bytes, NUL included; nothing is written; cannot fail.
 */
#include <stddef.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "crlf.h"

#define VEC	16	/* bytes compared at once */

/* The offset of the first byte a or b, or n. */
static inline size_t
either(const char *s, size_t n, char a, char b)
{
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	__m128i v;
	unsigned int m;

	for (; n - i >= VEC; i += VEC) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		m = (unsigned int)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)));
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
	/* the tail as the last 16 bytes: those it shares were clean */
	if (i < n && n >= VEC) {
		i = n - VEC;
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		m = (unsigned int)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)));
		return m != 0 ? i + (size_t)__builtin_ctz(m) : n;
	}
#endif
	for (; i < n; i++)
		if (s[i] == a || s[i] == b)
			return i;
	return n;
}

size_t
crlf_find(const char *s, size_t n)
{
	return either(s, n, '\r', '\n');
}

size_t
crlf_find_nul(const char *s, size_t n)
{
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	const __m128i nul = _mm_setzero_si128();
	__m128i v;
	unsigned int m;

	for (; n - i >= VEC; i += VEC) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		m = (unsigned int)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)),
		    _mm_cmpeq_epi8(v, nul)));
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
	/* the tail as the last 16 bytes: those it shares were clean */
	if (i < n && n >= VEC) {
		i = n - VEC;
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		m = (unsigned int)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)),
		    _mm_cmpeq_epi8(v, nul)));
		return m != 0 ? i + (size_t)__builtin_ctz(m) : n;
	}
#endif
	for (; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return i;
	return n;
}

#if defined(__SSE2__)
/*
 * The bytes of the 16 at s that are 13 or below (NUL, TAB, LF, CR and
 * the other controls), as bits: CR, LF and NUL are among them, found with
 * two instructions instead of three compares, and plain text has no other
 * byte there but a TAB now and then.
 */
static inline uint64_t
low(const char *s, __m128i k13)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);

	return (uint64_t)(unsigned int)_mm_movemask_epi8(
	    _mm_cmpeq_epi8(_mm_min_epu8(v, k13), v));
}
#endif

/*
 * A whole block at once: its bytes of 13 and below as one 64-bit mask,
 * and only those looked at, a CRLF at a time (a line of plain text has
 * one).  A message of plain lines passes in ~40 instructions a block,
 * against a call and a loop a line.
 */
size_t
crlf_clean(const char *s, size_t n, int nul)
{
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i k13 = _mm_set1_epi8(13);
	uint64_t m;
	size_t p;
	unsigned char ch, next;

	for (; n - i >= 64; i += 64) {
		m = low(s + i, k13) | low(s + i + 16, k13) << 16 |
		    low(s + i + 32, k13) << 32 | low(s + i + 48, k13) << 48;
		while (m != 0) {
			p = (size_t)__builtin_ctzll(m);
			ch = (unsigned char)s[i + p];
			if (ch != '\r') {
				/* a TAB or another control byte is text */
				if (ch == '\n' || (ch == '\0' && nul))
					return i;
				m &= m - 1;
				continue;
			}
			if (p > 61 || s[i + p + 1] != '\n')
				return i;
			next = (unsigned char)s[i + p + 2];
			if (next == '.' || next == '\r' || next == '\n' ||
			    (next == '\0' && nul))
				return i;
			m &= m - 1;
			m &= m - 1;	/* the LF, the next bit */
		}
	}
#else
	(void)s;
	(void)n;
	(void)nul;
#endif
	return i;
}

#if defined(__SSE2__)
/* The flags of the 16 bytes at p. */
static inline int
flags16(const char *p)
{
	const __m128i cr = _mm_set1_epi8('\r'), zero = _mm_setzero_si128();
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);

	return (_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)) ? CRLF_NUL : 0) |
	    (_mm_movemask_epi8(v) ? CRLF_8BIT : 0) |
	    (_mm_movemask_epi8(_mm_cmpeq_epi8(v, cr)) ? CRLF_CR : 0);
}
#endif

int
crlf_flags(const char *s, size_t n)
{
	size_t i = 0;
	int f = 0;
	unsigned char ch;
#if defined(__SSE2__)
	for (; n - i >= VEC; i += VEC)
		f |= flags16(s + i);
	/* the tail as the last 16 bytes: flags taken twice are the same */
	if (i < n && n >= VEC) {
		f |= flags16(s + n - VEC);
		i = n;
	}
#endif
	for (; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch == '\0')
			f |= CRLF_NUL;
		else if (ch >= 128)
			f |= CRLF_8BIT;
		else if (ch == '\r')
			f |= CRLF_CR;
	}
	return f;
}

size_t
crlf_lf(const char *s, size_t n)
{
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i lf = _mm_set1_epi8('\n');
	__m128i v;
	unsigned int m;

	for (; n - i >= VEC; i += VEC) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		m = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf));
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
	/* the tail as the last 16 bytes: those it shares were clean */
	if (i < n && n >= VEC) {
		i = n - VEC;
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		m = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf));
		return m != 0 ? i + (size_t)__builtin_ctz(m) : n;
	}
#endif
	for (; i < n; i++)
		if (s[i] == '\n')
			return i;
	return n;
}

#if defined(__SSE2__)
/* The bytes of the 16 at p outside lo..126 (lim: 126 - lo, top bit
 * flipped, k: lo), or '"', as bits: a signed compare of b - lo with the
 * top bit flipped is the unsigned one. */
static inline unsigned int
outside(const char *p, __m128i k, __m128i lim)
{
	const __m128i flip = _mm_set1_epi8(-128), dq = _mm_set1_epi8('"');
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i w = _mm_xor_si128(_mm_sub_epi8(v, k), flip);

	return (unsigned int)_mm_movemask_epi8(_mm_or_si128(
	    _mm_cmpgt_epi8(w, lim), _mm_cmpeq_epi8(v, dq)));
}
#endif

/* Length of the leading run of bytes lo..126 but '"'. */
static inline size_t
run(const char *s, size_t n, unsigned char lo)
{
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i k = _mm_set1_epi8((char)lo);
	const __m128i lim = _mm_set1_epi8((char)((126 - lo) ^ 0x80));
	unsigned int m;

	for (; n - i >= VEC; i += VEC)
		if ((m = outside(s + i, k, lim)) != 0)
			return i + (size_t)__builtin_ctz(m);
	/* the tail as the last 16 bytes: those it shares were clean */
	if (i < n && n >= VEC) {
		i = n - VEC;
		m = outside(s + i, k, lim);
		return m != 0 ? i + (size_t)__builtin_ctz(m) : n;
	}
#endif
	for (; i < n; i++)
		if ((unsigned char)(s[i] - lo) > 126 - lo || s[i] == '"')
			return i;
	return n;
}

size_t
crlf_plain(const char *s, size_t n)
{
	return run(s, n, 33);
}

size_t
crlf_text(const char *s, size_t n)
{
	return run(s, n, 32);
}

size_t
crlf_either(const char *s, size_t n, char a, char b)
{
	return either(s, n, a, b);
}
