/*
 * reply.h: every reply smtpfront writes itself comes from one table of
 * named replies: three-digit code, enhanced status code of the same class,
 * text.  The rules database may override the text under "r:NAME".
 */
#ifndef REPLY_H
#define REPLY_H

#include <stddef.h>

#define REPLY_TEXT_MAX	400	/* text of one reply line, without code */

struct reply_default {
	const char	*name;
	const char	*code;		/* "550" */
	const char	*esc;		/* "5.7.1" */
	const char	*text;
};

extern const struct reply_default reply_table[];

const struct reply_default *reply_find(const char *, size_t);

/*
 * Check "CODE X.Y.Z text": code 2xx..5xx, enhanced code of the same
 * class, printable text.  Returns 0, or -1 with a message in err.
 */
int	reply_valid(const char *, size_t, char *, size_t);
/* The same for replies without an enhanced code: "CODE text". */
int	reply_text_valid(const char *, size_t, char *, size_t);

#endif
