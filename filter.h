/*
 * filter.h: external filter programs (SpamAssassin's spamc, clamdscan,
 * a DCC script, ...), each started from its argument vector, never
 * through a shell, with the message on its standard input and the
 * envelope in its environment; its exit code decides.
 *
 * A filter is one "filter" statement of the rules source:
 *
 *   filter NAME [OPTION=VALUE ...] /PATH [ARG ...]
 *
 * The options (before the program, which is the first field starting
 * with '/'):
 *   mode=check|rewrite   check (default): only the exit code decides;
 *                        rewrite: the output replaces the message
 *   exit=CODE:VERDICT,.. CODE 0-255 or '*'; VERDICT pass, accept, warn,
 *                        defer, reject or tempfail; over the defaults
 *                        0:pass 1:reject 100:reject *:tempfail
 *   timeout=SECONDS      1-3600; default: the setting filter_timeout
 *   phase=eod|rcpt       eod (default): after the end of data, with the
 *                        message; rcpt: at each RCPT, envelope only
 *   only_client=NET,..   run only for these client networks
 *   skip_client=NET,..   never for these
 *   only_sender=DOM,..   run only for senders in these domains
 *                        (user@domain: that address; .domain: under it)
 *   skip_sender=DOM,..
 *   only_rcpt=DOM,..     run only when a recipient is in these domains
 *   skip_rcpt=DOM,..     skip when every recipient is
 *
 * The compiler (smtpfront-cdb) parses and checks each statement with
 * filter_parse and stores its fields, one space between them, as
 * "f:N" (N from 0, in source order), with its place "file:line" as
 * "fw:N" and the count as "fc"; smtpfront parses them again at its first
 * use.  Nothing here writes to the client, logs or exits.
 */
#ifndef FILTER_H
#define FILTER_H

#include <stddef.h>
#include <time.h>

#define FILTER_MAX		16	/* filters in the rules */
#define FILTER_ARGS_MAX		32	/* argv entries, the program included */
#define FILTER_NAME_MAX		31
#define FILTER_SPEC_MAX		2048	/* one statement's fields */
#define FILTER_LINE_MAX		400	/* a filter's first line kept */
/* a rewritten message may grow by this much over size_max (spamc's
 * report, added headers) */
#define FILTER_GROWTH		65536

enum filter_verdict {
	FILTER_PASS,
	FILTER_ACCEPT,
	FILTER_WARN,
	FILTER_DEFER,
	FILTER_REJECT,
	FILTER_TEMPFAIL
};

#define FILTER_OTHER	0xff	/* in exits[]: the '*' entry decides */

#define FILTER_PHASE_EOD	0
#define FILTER_PHASE_RCPT	1

/* Who a filter (or a content rule) is for: comma-separated lists, ""
 * when not given. */
struct filter_scope {
	const char	*only_client, *skip_client;
	const char	*only_sender, *skip_sender;
	const char	*only_rcpt, *skip_rcpt;
};

struct filter_spec {
	char		 name[FILTER_NAME_MAX + 1];
	int		 rewrite;
	int		 phase;
	unsigned long	 timeout;		/* seconds, 0: filter_timeout */
	unsigned char	 exits[256];		/* enum filter_verdict */
	unsigned char	 other;			/* the '*' entry */
	struct filter_scope scope;
	char		*argv[FILTER_ARGS_MAX + 1];
	char		 text[FILTER_SPEC_MAX + 1];	/* what the pointers hold,
						 * fields NUL-separated */
	size_t		 textlen;
};

/*
 * Parse a statement's fields (after "filter"; blanks separate them).
 * 0, or -1 with a message in err.  The fields as stored (one space
 * between them) go to spec->text.
 */
int	filter_parse(const char *, size_t, struct filter_spec *, char *,
	    size_t);
/* What an exit code means for this filter. */
enum filter_verdict filter_exit_verdict(const struct filter_spec *, int);

/*
 * One field "KEY=VALUE" (NUL-terminated, VALUE lowered in place where
 * it is a domain list) if KEY is one of the scope's options (only_client,
 * skip_client, only_sender, ...): 1, or -1 with err on a bad value; 0
 * when KEY is not one of them.  The scope points into the field.
 */
int	filter_scope_option(char *, struct filter_scope *, char *, size_t);
void	filter_scope_init(struct filter_scope *);
/*
 * Is this filter or rule for this client (16 bytes, IPv4 mapped), sender
 * and recipients (one per line; at RCPT the one being given)?
 */
int	filter_scope_wanted(const struct filter_scope *, const unsigned char
	    [16], const char *, const char *);
/* Is the client's address (16 bytes, IPv4 mapped) in the comma list? */
int	filter_client_in(const unsigned char [16], const char *);
/* Is the domain of addr (or addr itself) in the comma list? */
int	filter_domain_in(const char *, const char *);

struct filter_result {
	int		 status;	/* waitpid's, when ran */
	int		 ran;		/* it ended by itself: status holds */
	int		 timeout;	/* killed at the deadline */
	int		 too_big;	/* rewrite: output over the bound */
	unsigned long long out_size;	/* rewrite: bytes of the new message */
	char		 line[FILTER_LINE_MAX + 1];	/* first line of output
							 * (check), of errors
							 * (rewrite) */
	char		 why[128];	/* what failed, when it did not run */
};

struct spool;

/*
 * Run the filter: argv[0] with envp, the message in (NULL: /dev/null)
 * on its input, until deadline_ms (milliseconds on CLOCK_MONOTONIC, from
 * filter_now_ms).  In rewrite mode its output goes to out, lines ending
 * in CRLF whatever it wrote, up to max bytes.  0 when it ran (even if it
 * failed: res says), -1 when it could not start or be fed (res->why).
 */
int	filter_run(const struct filter_spec *, char *const *, struct spool *,
	    struct spool *, unsigned long long, long long,
	    struct filter_result *);
long long filter_now_ms(void);

/*
 * Line endings made CRLF: feed pieces of output through a struct
 * filter_crlf; what comes out goes to dst (at most 2 * n + 2 bytes for
 * n in).  filter_crlf_end ends the last line if it was not ended.
 */
struct filter_crlf {
	int		 cr;		/* the last byte was a CR */
	int		 any;		/* bytes seen */
	int		 nl;		/* the last byte out ended a line */
};
void	filter_crlf_init(struct filter_crlf *);
size_t	filter_crlf(struct filter_crlf *, const char *, size_t, char *);
size_t	filter_crlf_end(struct filter_crlf *, char *);

#endif
