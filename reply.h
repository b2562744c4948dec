/*
 * reply.h: every reply smtpfront writes itself comes from one table of
 * named replies: three-digit code, enhanced status code of the same class,
 * text.  The rules database may override the text under "r:NAME".
 */
#ifndef REPLY_H
#define REPLY_H

#include <stddef.h>

#define REPLY_TEXT_MAX	400	/* text of one reply line, without code */
#define REPLY_CODE_MAX	4
#define REPLY_ESC_MAX	12

struct rules;

/* One reply as it will be written: "code esc text". */
struct rtext {
	char	code[REPLY_CODE_MAX];
	char	esc[REPLY_ESC_MAX];		/* "" for 220 and 354 */
	char	text[REPLY_TEXT_MAX + 1];
};

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

/*
 * The reply named name (the "reject" reply if no such name): the table's,
 * or the rules database's override "r:NAME" when it is valid.  0, or -1
 * when the database could not be read (the table's reply is in rt).
 */
int	reply_load(struct rules *, const char *, struct rtext *);
/* The table's entry for name when the rules do not override it; NULL
 * when they do, when they cannot be read, or for no such name. */
const struct reply_default *reply_plain(struct rules *, const char *);
/* Make a reply temporary: 5xx becomes 4xx, its enhanced code too. */
void	reply_temp(struct rtext *);

#endif
