/*
 * child.h: the MTA child.  It is started on demand with pipes on its
 * stdin/stdout, spoken to in SMTP, given a deadline for every reply and
 * reaped.  Its replies are read in full, checked and kept printable so the
 * core can relay them to the client.
 */
#ifndef CHILD_H
#define CHILD_H

#include <stddef.h>
#include <sys/types.h>

#define CHILD_BUF	8192
#define CREPLY_MAX	2048	/* a whole multi-line reply kept for relaying */
#define CREPLY_LINE_MAX	1000	/* one reply line from the child */
#define CREPLY_LINES	32
#define CREPLY_FINAL_ROOM	64	/* kept for a reply's final line */
#define CHILD_QUIT_WAIT	5	/* seconds for a QUIT reply and exit */
#define CHILD_NOEXEC	(-2)	/* child_start: the program could not run */

struct spool;

/* The MTA child as an SMTP server on a TCP address: "tcp:HOST:PORT",
 * HOST an IPv4 address or an IPv6 one in brackets. */
#define CHILD_TCP	"tcp:"
#define CHILD_XCLIENT_MAX	2048	/* the XCLIENT command line */
#define CHILD_XFORWARD_LINE	500	/* an XFORWARD line, under 512 with CRLF */

/*
 * The client, told to a TCP child with XCLIENT (Postfix's protocol) so
 * that it logs, checks and writes Received: with the real client: its
 * address and port, its verified name (NULL: unknown), its HELO name
 * (NULL: none), ESMTP or SMTP; self is our own name, for our EHLO.
 */
struct child_who {
	const char	*ip;
	const char	*port;
	const char	*name;
	const char	*helo;
	int		 esmtp;
	const char	*self;
};

struct creply {
	int		 code;		/* 200..599 */
	char		 text[CREPLY_MAX];	/* lines, CRLF-terminated, printable */
	size_t		 len;
	int		 lines;
	int		 has_esc;	/* first line carries an enhanced code */
};

struct child {
	pid_t		 pid;		/* 0: not running */
	int		 to;
	int		 from;
	size_t		 pos;
	size_t		 len;
	unsigned long	 timeout;
	int		 esmtp;
	int		 size;		/* offered SIZE */
	int		 eightbit;	/* offered 8BITMIME */
	int		 pipelining;	/* offered PIPELINING */
	int		 chunking;	/* offered CHUNKING (BDAT) */
	int		 xclient;	/* offered XCLIENT */
	int		 xforward;	/* offered XFORWARD */
	/* without XCLIENT: the XFORWARD commands (CRLF after each) sent
	 * before every MAIL, as Postfix forgets them with each transaction */
	size_t		 xfwd_len;
	char		 xfwd[CHILD_XCLIENT_MAX];
	int		 sock;		/* a TCP child: to and from, one socket */
	int		 expect;	/* a reply is probably there: read first */
	/* from is a blocking socket whose reads time out (proc_replies):
	 * read at once, no poll */
	int		 from_sock;
	/* DATA went with the last RCPT (RFC 2920), its reply is not read
	 * yet: the child may be inside DATA, where any command we wrote
	 * would be message text.  child_data() and the streamed DATA take
	 * the reply instead of writing DATA; child_stop() kills. */
	int		 data_sent;
	char		 why[128];	/* the last failure, for the log */
	char		 buf[CHILD_BUF];	/* last: used from its start */
};

/*
 * Start argv[0] with argv, read its banner, say EHLO (HELO when EHLO is
 * refused) with the given name.  0 when the child is ready; -1 when it
 * started but its banner or greeting failed (the child is stopped then);
 * CHILD_NOEXEC when it could not be started at all.  When argv[0] is
 * "tcp:HOST:PORT" the child is connected to instead, must offer XCLIENT
 * and is told who (then greeted again with the client's name); a refused
 * connection, a timeout or an XCLIENT refused or not offered is -1 (a
 * child that took us for the client could let it relay).
 */
int	child_start(struct child *, char *const *, unsigned long,
	    const char *, const struct child_who *);
/* A TCP child told who the client is by XFORWARD: its lines, before each
 * MAIL (Postfix forgets them with every transaction).  0, or -1 (why). */
int	child_xforward(struct child *);
/* Is the child there (a process, or a connection)? */
#define child_up(c)	((c)->pid != 0 || (c)->sock)
/* Send a command line (without CRLF), read the reply. 0 or -1. */
int	child_cmd(struct child *, const char *, size_t, struct creply *);
/*
 * Send DATA (or take its reply, when data_sent), expect 354, send the prefix (header lines), the spooled
 * message dot-stuffed and the terminator, read the final reply; with
 * bdat set and CHUNKING offered, one "BDAT n LAST" of the prefix and the
 * message instead.  0 with the reply (which may be the refusal of DATA
 * itself), or -1.
 */
int	child_data(struct child *, const char *, size_t, struct spool *, int,
	    struct creply *);
/*
 * The streaming path: child_send() writes bytes as they are (commands with
 * their CRLF, or message bytes already dot-stuffed), each call with a fresh
 * child timeout; child_reply() reads one reply.  0 or -1.
 */
int	child_send(struct child *, const char *, size_t);
int	child_reply(struct child *, struct creply *);
/*
 * Move n bytes from fd (a socket) to the child's input without copying
 * them (splice); *moved counts what went.  0 or -1.
 */
int	child_splice(struct child *, int, size_t, size_t *);
/* Does reply text (after "250 ") start with an enhanced code of class? */
int	creply_esc(const char *, size_t, char);
/* QUIT politely, then reap (kill, when data_sent). */
void	child_stop(struct child *);
/* Kill and reap at once: after a failure. */
void	child_kill(struct child *);

#endif
