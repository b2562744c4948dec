/*
 * crlf.c: find line ends in message data, and plain log text (see
 * crlf.h).  Every byte of
 * every message passes here, once or twice: musl's memchr() is a C loop
 * with a byte-wise head and tail (~175 instructions for a line of 78
 * bytes, ~1.3 per byte), glibc's uses SSE2.  With SSE2 (every x86-64)
 * these compare 16 bytes at a time, both CR and LF in the same pass;
 * elsewhere a plain byte loop gives the same answers.
 * Input: any bytes, NUL included; nothing is written; cannot fail.
 */
#include <stddef.h>
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
#endif
	for (; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return i;
	return n;
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
#endif
	for (; i < n; i++)
		if ((unsigned char)(s[i] - 33) > 93 || s[i] == '"')
			return i;
	return n;
}
