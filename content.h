/*
 * content.h: the content rules of the rules source, one "content"
 * statement each:
 *
 *   content NAME [OPTION=VALUE ...] TARGET ACTION /PATTERN/ [TEXT ...]
 *
 * TARGET is where PATTERN is looked for:
 *   header:FIELD  the value of each FIELD header field of the message
 *                 (unfolded, from its first non-blank byte)
 *   headers       each header field of the message, "Name: value"
 *   body          the body as it comes (MIME structure and transfer
 *                 encodings as they are), line by line (^ and $ match at
 *                 each line)
 *   filename      the name of each MIME part (Content-Disposition
 *                 filename=, Content-Type name=, RFC 2231 and RFC 2047
 *                 forms decoded)
 * ACTION is off (the rule is kept but not used), warn, defer, reject
 * or drop (the reply, then the connection closed); TEXT the reply's
 * text (printable).
 * PATTERN is a regular expression (Hyperscan's syntax, PCRE without
 * backreferences and lookaround), matched without regard to case, in
 * time linear in the input whatever the pattern; it runs from the first
 * '/' to the next '/' that ends a field (a '/' inside is written \/).
 * The options are the filters' only_client, skip_client, only_sender,
 * skip_sender, only_rcpt, skip_rcpt (filter.h).
 *
 * The compiler (smtpfront-cdb) checks each statement with content_parse
 * and has smtpfront-scan compile the patterns once, into Hyperscan
 * databases kept in the rules database:
 *   "kc"            the number of rules
 *   "k:N"           rule N's statement (after "content"), N from 0
 *   "kw:N"          its place, "file:line"
 *   "kh:N"          the FIELD of a header: rule
 *   "hs:TARGET"     the serialized database of a target's patterns, the
 *                   rule numbers as their ids (body: streaming mode)
 * Nothing here does I/O.
 */
#ifndef CONTENT_H
#define CONTENT_H

#include <stddef.h>
#include "filter.h"

#define CONTENT_MAX		1000	/* rules */
#define CONTENT_NAME_MAX	31
#define CONTENT_FIELD_MAX	64	/* a header field's name */
#define CONTENT_TEXT_MAX	200	/* a reply text */
#define CONTENT_STMT_MAX	4096

enum content_target {
	CONTENT_HEADER,		/* header:FIELD */
	CONTENT_HEADERS,
	CONTENT_BODY,
	CONTENT_FILENAME,
	CONTENT_TARGETS
};

enum content_action {
	CONTENT_OFF,
	CONTENT_WARN,
	CONTENT_DEFER,
	CONTENT_REJECT,
	CONTENT_DROP
};

struct content_rule {
	char		 name[CONTENT_NAME_MAX + 1];
	enum content_target target;
	char		 field[CONTENT_FIELD_MAX + 1];	/* header:FIELD, lower case */
	enum content_action action;
	const char	*pattern;	/* NUL-terminated, into text */
	size_t		 plen;
	const char	*reply;		/* "" when none */
	struct filter_scope scope;
	char		 text[CONTENT_STMT_MAX + 1];
};

/* The names of the targets, as the rules write them (header: without
 * its field) and as the database's "hs:" keys end. */
extern const char *const content_target_name[CONTENT_TARGETS];

/* off, warn, defer, reject, drop */
extern const char *const content_action_name[];

/* Parse a statement (after "content"): 0, or -1 with a message in err. */
int	content_parse(const char *, size_t, struct content_rule *, char *,
	    size_t);

#endif
