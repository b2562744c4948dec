/*
 * smtp.h: parsing of client command lines.  A line here has had its CRLF
 * removed and has been checked for length, NUL, 8-bit bytes and bare LF by
 * the dialogue.  Nothing here allocates or keeps pointers past the call.
 */
#ifndef SMTP_H
#define SMTP_H

#include <stddef.h>
#include "session.h"

enum smtp_verb {
	SMTP_UNKNOWN,
	SMTP_HELO,
	SMTP_EHLO,
	SMTP_MAIL,
	SMTP_RCPT,
	SMTP_DATA,
	SMTP_RSET,
	SMTP_NOOP,
	SMTP_VRFY,
	SMTP_EXPN,
	SMTP_HELP,
	SMTP_QUIT,
	SMTP_STARTTLS,
	SMTP_AUTH,
	SMTP_BDAT,
	SMTP_ETRN,
	SMTP_TURN
};

/*
 * The verb of a command line, case-insensitive; the verb must be followed
 * by the end of the line or a blank.  *arg is set to the offset of the
 * argument (blanks after the verb skipped).
 */
enum smtp_verb	smtp_verb(const char *, size_t, size_t *);
const char	*smtp_verb_name(enum smtp_verb);

/*
 * The argument of MAIL ("FROM:") or RCPT ("TO:"), leniently: the keyword
 * (case-insensitive), optional blanks, then a path in angle brackets.
 * A source route ("@a,@b:") before the mailbox is removed.  The path
 * goes to addr without brackets (NUL-terminated; "" for "<>"), the
 * offset of the parameters after it (blanks skipped) to *params.
 * Returns 0, or -1 on a syntax error (no brackets, path too long for
 * ADDR_MAX, trailing garbage glued to the bracket).
 */
int	smtp_path(const char *, size_t, const char *, char *, size_t,
	    size_t *);

/*
 * The next ESMTP parameter "KEYWORD[=VALUE]" in s[*pos..len), blanks
 * skipped.  Returns 1 with the keyword and value spans set, 0 at the end,
 * -1 on a malformed parameter (RFC 5321 4.1.2 esmtp-param).
 */
int	smtp_param(const char *, size_t, size_t *, size_t *, size_t *,
	    size_t *, size_t *);

/* Parse a SIZE= value: digits only, no overflow; -1 if bad. */
int	smtp_size_value(const char *, size_t, unsigned long *);

#endif
