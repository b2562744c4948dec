/*
 * milter.h: a client of the milter protocol, version 6 (Sendmail's and
 * Postfix's libmilter wire format): packets of a 4-byte length (network
 * order), a command byte and its data, to a milter (OpenDKIM, rspamd's
 * proxy worker, anything built on libmilter) and its replies back.
 *
 * Two parts.  The pure part, which checks/milter.c and the fuzz target
 * share: milter_parse reads one reply packet, milter_optneg the
 * negotiation's answer, milter_fields splits a header section into its
 * fields, milter_mod keeps a header change in a modification list and
 * milter_apply writes a header section with the list applied.  The
 * connection part: milter_open connects and negotiates, milter_send
 * writes one packet, milter_watch hands the answer to the resolver's
 * loop (resolver_watch) so that the core waits for it with the DNS
 * answers, milter_read reads one reply.  Every connect, write and read
 * has the deadline the caller gives (seconds); every length read is
 * checked against the space there is before it is used.  Nothing here
 * writes to the SMTP client, logs or exits.
 */
#ifndef MILTER_H
#define MILTER_H

#include <stddef.h>

#define MILTER_VERSION		6
#define MILTER_MAX		8	/* milters in the list */
#define MILTER_PACKET_MAX	(256 * 1024)	/* a reply's data */
#define MILTER_CHUNK		65535	/* a body chunk we send */
#define MILTER_DATA_MAX		65535	/* any packet we send */
#define MILTER_HEADER_MAX	(256 * 1024)	/* header section we read */
#define MILTER_FIELDS_MAX	1000	/* header fields of a message */
#define MILTER_MODS_MAX		256	/* header changes of one milter */
#define MILTER_MODS_BYTES	(64 * 1024)	/* their names and values */
#define MILTER_TEXT_MAX		200	/* a REPLYCODE's or QUARANTINE's text */
#define MILTER_PROGRESS_MAX	10	/* PROGRESS: at most this many timeouts */

/* commands (to the milter) */
#define MILTER_C_ABORT		'A'
#define MILTER_C_BODY		'B'
#define MILTER_C_CONNECT	'C'
#define MILTER_C_MACRO		'D'
#define MILTER_C_EOB		'E'
#define MILTER_C_HELO		'H'
#define MILTER_C_HEADER		'L'
#define MILTER_C_MAIL		'M'
#define MILTER_C_EOH		'N'
#define MILTER_C_OPTNEG		'O'
#define MILTER_C_QUIT		'Q'
#define MILTER_C_RCPT		'R'
#define MILTER_C_DATA		'T'

/* actions a milter may take (SMFIF_*): we offer these */
#define MILTER_F_ADDHDRS	0x01
#define MILTER_F_CHGBODY	0x02
#define MILTER_F_ADDRCPT	0x04
#define MILTER_F_DELRCPT	0x08
#define MILTER_F_CHGHDRS	0x10
#define MILTER_F_QUARANTINE	0x20
#define MILTER_F_OFFER		(MILTER_F_ADDHDRS | MILTER_F_CHGBODY | \
	MILTER_F_CHGHDRS | MILTER_F_QUARANTINE)

/* protocol steps (SMFIP_*) */
#define MILTER_P_NOCONNECT	0x00000001UL
#define MILTER_P_NOHELO		0x00000002UL
#define MILTER_P_NOMAIL		0x00000004UL
#define MILTER_P_NORCPT		0x00000008UL
#define MILTER_P_NOBODY		0x00000010UL
#define MILTER_P_NOHDRS		0x00000020UL
#define MILTER_P_NOEOH		0x00000040UL
#define MILTER_P_NR_HDR		0x00000080UL
#define MILTER_P_NOUNKNOWN	0x00000100UL
#define MILTER_P_NODATA		0x00000200UL
#define MILTER_P_SKIP		0x00000400UL
#define MILTER_P_RCPT_REJ	0x00000800UL
#define MILTER_P_NR_CONN	0x00001000UL
#define MILTER_P_NR_HELO	0x00002000UL
#define MILTER_P_NR_MAIL	0x00004000UL
#define MILTER_P_NR_RCPT	0x00008000UL
#define MILTER_P_NR_DATA	0x00010000UL
#define MILTER_P_NR_UNKN	0x00020000UL
#define MILTER_P_NR_EOH		0x00040000UL
#define MILTER_P_NR_BODY	0x00080000UL
#define MILTER_P_HDR_LEADSPC	0x00100000UL
/* all of them but RCPT_REJ: we never send a refused recipient */
#define MILTER_P_OFFER		(0x001FFFFFUL & ~MILTER_P_RCPT_REJ)

/* What one reply packet is (milter_parse). */
enum milter_kind {
	MILTER_R_CONTINUE,
	MILTER_R_ACCEPT,	/* no more of this milter for the message */
	MILTER_R_REJECT,
	MILTER_R_TEMPFAIL,
	MILTER_R_DISCARD,	/* taken as a reject */
	MILTER_R_REPLYCODE,	/* code (class 4 or 5) and text */
	MILTER_R_SKIP,		/* no more body chunks */
	MILTER_R_PROGRESS,	/* still working: the deadline moves */
	MILTER_R_QUARANTINE,	/* at eob, with a text: a defer */
	MILTER_R_ADDHEADER,
	MILTER_R_INSHEADER,
	MILTER_R_CHGHEADER,
	MILTER_R_REPLBODY,	/* a piece of the new body */
	MILTER_R_ENVELOPE,	/* ADDRCPT, DELRCPT, CHGFROM: not applied */
	MILTER_R_SHUTDOWN	/* SHUTDOWN, CONN_FAIL: a temporary failure */
};

struct milter_reply {
	enum milter_kind kind;
	int		 cmd;		/* the packet's command byte */
	char		 code[4];	/* REPLYCODE: "550" */
	char		 text[MILTER_TEXT_MAX + 1];	/* printable */
	unsigned long	 index;		/* INSHEADER, CHGHEADER */
	const char	*name;		/* header changes: into the packet */
	size_t		 nlen;
	const char	*value;		/* header changes, REPLBODY */
	size_t		 vlen;
};

/* One header field of a section: off..off+len (with its CRLF); the
 * name is off..off+nlen, the value starts at voff. */
struct milter_field {
	size_t		 off;
	size_t		 len;
	size_t		 nlen;
	size_t		 voff;
};

/* The header changes of one milter for one message, in order. */
struct milter_mod {
	int		 kind;		/* ADDHEADER, INSHEADER, CHGHEADER */
	unsigned long	 index;
	size_t		 name;		/* offsets into bytes */
	size_t		 nlen;
	size_t		 value;
	size_t		 vlen;
};

struct milter_mods {
	int		 n;
	struct milter_mod m[MILTER_MODS_MAX];
	size_t		 used;
	char		 bytes[MILTER_MODS_BYTES];
};

/*
 * One reply packet: its command byte and its data.  0 with r filled (r's
 * pointers point into data), or -1 with *why: an unknown command, a
 * length that does not fit, a name that is no header name, a code that
 * is no 4xx or 5xx or whose enhanced code is of another class.
 */
int	milter_parse(int, const char *, size_t, struct milter_reply *,
	    const char **);
/* The negotiation's answer: version, actions, protocol.  0 or -1. */
int	milter_optneg(const char *, size_t, unsigned long *, unsigned long *,
	    unsigned long *);
/*
 * Split a header section (CRLF lines, without the empty line) into at
 * most max fields.  The count, or -1 when a line is no field (nor a
 * continuation line of one) or there are more than max.
 */
int	milter_fields(const char *, size_t, struct milter_field *, int);
/* Keep one header change (ADDHEADER, INSHEADER, CHGHEADER); 0, or -1
 * when the list is full. */
int	milter_mod(struct milter_mods *, const struct milter_reply *);
/*
 * Write the header section hdr (its fields f[0..n-1]) with the changes
 * applied in order, through out (0 or -1), without the empty line that
 * ends it.  leadspc: the milter gives values with their leading space.
 * 0, or -1 when out failed or the section would have more than
 * MILTER_FIELDS_MAX + MILTER_MODS_MAX fields.
 */
int	milter_apply(const char *, const struct milter_field *, int,
	    const struct milter_mods *, int, int (*)(void *, const char *,
	    size_t), void *);

#ifndef MILTER_PARSE_ONLY
/* One milter connection. */
struct milter_conn {
	int		 fd;		/* -1: closed */
	int		 q;		/* the watch on its answer, -1: none */
	unsigned long	 version;
	unsigned long	 actions;	/* negotiated */
	unsigned long	 proto;
};

/* Connect to "inet:HOST:PORT" or "unix:/PATH" and negotiate; 0, or -1
 * with why (and the connection closed). */
int	milter_open(struct milter_conn *, const char *, unsigned long, char *,
	    size_t);
/* Write one packet; 0, or -1 with why (and the connection closed). */
int	milter_send(struct milter_conn *, int, const char *, size_t,
	    unsigned long, char *, size_t);
/* Its macros for a command: "name", "value" pairs, n of them. */
int	milter_macros(struct milter_conn *, int, const char *const *, int,
	    unsigned long, char *, size_t);
/* The answer to come, watched by the resolver for phase need. */
void	milter_watch(struct milter_conn *, int, unsigned long);
/*
 * Read one reply (PROGRESS read and waited past, within
 * MILTER_PROGRESS_MAX timeouts); r valid until the next read.  0, or -1
 * with why (and the connection closed).
 */
int	milter_read(struct milter_conn *, struct milter_reply *,
	    unsigned long, char *, size_t);
/* QUIT (when still open) and close. */
void	milter_close(struct milter_conn *, int);
#endif

#endif
