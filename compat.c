/*
 * compat.c: three glibc names that Debian's liblmdb.a calls and musl
 * does not have, for the musl build only (the Makefile's SF_COMPAT):
 * the fortified fprintf and sprintf (LMDB's error strings, its debug
 * output) and __fxstat (LMDB's fstat).  Each does what the plain call
 * does; the sprintf one keeps the bound glibc was given.  Nothing else
 * uses them.
 */
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
