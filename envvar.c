/*
 * envvar.c: getenv() for the per-connection path.  musl's getenv calls
 * strchrnul, strlen and strncmp (byte loops, out of line) for every
 * environment entry, ~40 instructions an entry; a session reads some
 * twenty variables from an environment of a dozen or more (tcpserver's
 * TCP*, the run script's, SMTPFRONT_*).  This loop stops at the first
 * differing byte, most often the first.
 * Input: environ; output: a pointer into it, or NULL.  Cannot fail.
 */
#include <stddef.h>
#include "envvar.h"

extern char **environ;

const char *
envvar_get(const char *name)
{
	char **e;
	const char *p;
	size_t i;

	for (e = environ; e != NULL && *e != NULL; e++) {
		p = *e;
		for (i = 0; name[i] != '\0' && p[i] == name[i]; i++)
			;
		if (name[i] == '\0' && p[i] == '=')
			return p + i + 1;
	}
	return NULL;
}
