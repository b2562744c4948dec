/*
 * configtest.h: smtpfront -t, the check of an installation (see
 * configtest.c).
 */
#ifndef CONFIGTEST_H
#define CONFIGTEST_H

#include "conn.h"

/* Check, print the findings, exit 0 (all well) or 1.  Does not return. */
void	configtest(struct conn *, const char *) __attribute__((noreturn));

#endif
