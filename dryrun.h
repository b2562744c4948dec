/*
 * dryrun.h: the dry run: what would happen to this client, HELO, sender
 * and recipient, and which check and rule would decide, without a
 * network client or an MTA child.
 */
#ifndef DRYRUN_H
#define DRYRUN_H

#include "conn.h"

/* args: IP HELO SENDER RECIPIENT.  Does not return. */
void	dryrun(struct conn *, char *const *) __attribute__((noreturn));

#endif
