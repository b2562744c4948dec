/*
 * compat.c: glibc names that Debian's liblmdb.a and libhiredis.a call
 * and musl does not have, for the musl build only (the Makefile's
 * SF_COMPAT): first the fortified fprintf and sprintf (LMDB's error
 * strings, its debug output) and __fxstat (LMDB's fstat).  Each does what the plain call
 * does; the sprintf one keeps the bound glibc was given.  Nothing else
 * uses them.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

int	__fprintf_chk(FILE *, int, const char *, ...);
int	__sprintf_chk(char *, int, size_t, const char *, ...);
int	__fxstat(int, int, struct stat *);

int
__fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	(void)flag;
	va_start(ap, fmt);
	r = vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

int
__sprintf_chk(char *s, int flag, size_t len, const char *fmt, ...)
{
	va_list ap;
	int r;

	(void)flag;
	/* glibc passes (size_t)-1 when the size is unknown; musl's
	 * vsnprintf refuses a bound over INT_MAX */
	if (len > INT_MAX)
		len = INT_MAX;
	va_start(ap, fmt);
	r = vsnprintf(s, len, fmt, ap);
	va_end(ap);
	return r;
}

int
__fxstat(int ver, int fd, struct stat *st)
{
	(void)ver;
	return fstat(fd, st);
}

/*
 * What Debian's libhiredis.a adds: the fortified memcpy and printf
 * family, and glibc's ctype tables (isprint, isxdigit, tolower in its
 * sds strings), made from musl's own functions at the first call, laid
 * out as glibc lays them out (an index from -128 to 255, the class bits
 * of glibc's <ctype.h> on a little-endian machine).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void	*__memcpy_chk(void *, const void *, size_t, size_t);
int	 __snprintf_chk(char *, size_t, int, size_t, const char *, ...);
int	 __vsnprintf_chk(char *, size_t, int, size_t, const char *, va_list);
const unsigned short	**__ctype_b_loc(void);
const int32_t		**__ctype_tolower_loc(void);
const int32_t		**__ctype_toupper_loc(void);

void *
__memcpy_chk(void *dst, const void *src, size_t len, size_t dstlen)
{
	if (len > dstlen)
		abort();
	return memcpy(dst, src, len);
}

int
__vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen,
    const char *fmt, va_list ap)
{
	(void)flag;
	if (maxlen > slen)
		abort();
	if (maxlen > INT_MAX)
		maxlen = INT_MAX;
	return vsnprintf(s, maxlen, fmt, ap);
}

int
__snprintf_chk(char *s, size_t maxlen, int flag, size_t slen,
    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = __vsnprintf_chk(s, maxlen, flag, slen, fmt, ap);
	va_end(ap);
	return r;
}

/* glibc's class bits (bits/ctype.h, little-endian) */
#define G_UPPER		0x0100
#define G_LOWER		0x0200
#define G_ALPHA		0x0400
#define G_DIGIT		0x0800
#define G_XDIGIT	0x1000
#define G_SPACE		0x2000
#define G_PRINT		0x4000
#define G_GRAPH		0x8000
#define G_BLANK		0x0001
#define G_CNTRL		0x0002
#define G_PUNCT		0x0004
#define G_ALNUM		0x0008

static unsigned short	ctype_b[384];
static int32_t		ctype_lower[384], ctype_upper[384];
static const unsigned short *ctype_b_p;
static const int32_t	*ctype_lower_p, *ctype_upper_p;

static void
ctype_fill(void)
{
	int c;

	if (ctype_b_p != NULL)
		return;
	for (c = -128; c < 256; c++) {
		unsigned short b = 0;
		int i = c + 128;

		ctype_lower[i] = ctype_upper[i] = c;
		if (c >= 0 && c < 128) {
			b |= isupper(c) ? G_UPPER : 0;
			b |= islower(c) ? G_LOWER : 0;
			b |= isalpha(c) ? G_ALPHA : 0;
			b |= isdigit(c) ? G_DIGIT : 0;
			b |= isxdigit(c) ? G_XDIGIT : 0;
			b |= isspace(c) ? G_SPACE : 0;
			b |= isprint(c) ? G_PRINT : 0;
			b |= isgraph(c) ? G_GRAPH : 0;
			b |= isblank(c) ? G_BLANK : 0;
			b |= iscntrl(c) ? G_CNTRL : 0;
			b |= ispunct(c) ? G_PUNCT : 0;
			b |= isalnum(c) ? G_ALNUM : 0;
			ctype_lower[i] = tolower(c);
			ctype_upper[i] = toupper(c);
		}
		ctype_b[i] = b;
	}
	ctype_lower_p = ctype_lower + 128;
	ctype_upper_p = ctype_upper + 128;
	ctype_b_p = ctype_b + 128;
}

const unsigned short **
__ctype_b_loc(void)
{
	ctype_fill();
	return &ctype_b_p;
}

const int32_t **
__ctype_tolower_loc(void)
{
	ctype_fill();
	return &ctype_lower_p;
}

const int32_t **
__ctype_toupper_loc(void)
{
	ctype_fill();
	return &ctype_upper_p;
}
