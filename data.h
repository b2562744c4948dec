/*
 * data.h: the DATA command and the message (see data.c).
 */
#ifndef DATA_H
#define DATA_H

#include "conn.h"

/* DATA with argn bytes of argument after the verb. */
void	data_cmd(struct conn *, size_t);

#endif
