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

size_t
crlf_find(const char *s, size_t n)
{
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	__m128i v;
	unsigned int m;

	for (; n - i >= VEC; i += VEC) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		m = (unsigned int)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
	/* the tail as the last 16 bytes: those it shares were clean */
	if (i < n && n >= VEC) {
		i = n - VEC;
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		m = (unsigned int)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
		return m != 0 ? i + (size_t)__builtin_ctz(m) : n;
	}
#endif
	for (; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n')
			return i;
	return n;
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

int
crlf_flags(const char *s, size_t n)
{
	size_t i = 0;
	int f = 0;
	unsigned char ch;
#if defined(__SSE2__)
	const __m128i cr = _mm_set1_epi8('\r'), zero = _mm_setzero_si128();
	__m128i v;

	for (; n - i >= VEC; i += VEC) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		if (_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)))
			f |= CRLF_NUL;
		if (_mm_movemask_epi8(v))
			f |= CRLF_8BIT;
		if (_mm_movemask_epi8(_mm_cmpeq_epi8(v, cr)))
			f |= CRLF_CR;
	}
	/* the tail as the last 16 bytes: flags taken twice are the same */
	if (i < n && n >= VEC) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + n -
		    VEC));
		if (_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)))
			f |= CRLF_NUL;
		if (_mm_movemask_epi8(v))
			f |= CRLF_8BIT;
		if (_mm_movemask_epi8(_mm_cmpeq_epi8(v, cr)))
			f |= CRLF_CR;
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

size_t
crlf_plain(const char *s, size_t n)
{
	size_t i = 0;
#if defined(__SSE2__)
	/* (unsigned)(b - 33) > 93 as a signed compare, top bit flipped */
	const __m128i k33 = _mm_set1_epi8(33), flip = _mm_set1_epi8(-128);
	const __m128i lim = _mm_set1_epi8((char)(93 ^ 0x80));
	const __m128i dq = _mm_set1_epi8('"');
	__m128i v, w;
	unsigned int m;

	for (; n - i >= VEC; i += VEC) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		w = _mm_xor_si128(_mm_sub_epi8(v, k33), flip);
		m = (unsigned int)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpgt_epi8(w, lim), _mm_cmpeq_epi8(v, dq)));
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
	/* the tail as the last 16 bytes: those it shares were clean */
	if (i < n && n >= VEC) {
		i = n - VEC;
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		w = _mm_xor_si128(_mm_sub_epi8(v, k33), flip);
		m = (unsigned int)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpgt_epi8(w, lim), _mm_cmpeq_epi8(v, dq)));
		return m != 0 ? i + (size_t)__builtin_ctz(m) : n;
	}
#endif
	for (; i < n; i++)
		if ((unsigned char)(s[i] - 33) > 93 || s[i] == '"')
			return i;
	return n;
}

size_t
crlf_text(const char *s, size_t n)
{
	size_t i = 0;
#if defined(__SSE2__)
	/* (unsigned)(b - 32) > 94 as a signed compare, top bit flipped */
	const __m128i k32 = _mm_set1_epi8(32), flip = _mm_set1_epi8(-128);
	const __m128i lim = _mm_set1_epi8((char)(94 ^ 0x80));
	const __m128i dq = _mm_set1_epi8('"');
	__m128i v, w;
	unsigned int m;

	for (; n - i >= VEC; i += VEC) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		w = _mm_xor_si128(_mm_sub_epi8(v, k32), flip);
		m = (unsigned int)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpgt_epi8(w, lim), _mm_cmpeq_epi8(v, dq)));
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
	/* the tail as the last 16 bytes: those it shares were clean */
	if (i < n && n >= VEC) {
		i = n - VEC;
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		w = _mm_xor_si128(_mm_sub_epi8(v, k32), flip);
		m = (unsigned int)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpgt_epi8(w, lim), _mm_cmpeq_epi8(v, dq)));
		return m != 0 ? i + (size_t)__builtin_ctz(m) : n;
	}
#endif
	for (; i < n; i++)
		if ((unsigned char)(s[i] - 32) > 94 || s[i] == '"')
			return i;
	return n;
}

size_t
crlf_either(const char *s, size_t n, char a, char b)
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
