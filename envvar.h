/*
 * envvar.h: getenv() for the per-connection path.
 */
#ifndef ENVVAR_H
#define ENVVAR_H

/*
 * The value of the environment variable NAME (no '=' in it), or NULL when
 * it is not set; what getenv(NAME) gives.
 */
const char	*envvar_get(const char *);

#endif
