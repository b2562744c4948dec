/*
 * mime.h: a message read as it streams past, for the content rules
 * (smtpfront-scan): its header fields unfolded, the names of its MIME
 * parts decoded, its body bytes.  Pieces of any size go in; what it
 * finds comes out through callbacks, in order.
 *
 *   field     a header field of the message (depth 0) or of a MIME part
 *             (depth >= 1): its name and its value unfolded (the line
 *             breaks of folding removed, the blanks kept), cut at
 *             MIME_FIELD_MAX bytes
 *   filename  a part's name: Content-Disposition's filename= or
 *             Content-Type's name=, RFC 2231 forms (filename*=UTF-8''%xx,
 *             filename*0*=... continuations) and RFC 2047 encoded words
 *             (=?charset?B?...?=, ?Q?) decoded to their bytes (the
 *             charset is not converted), cut at MIME_NAME_MAX
 *   body      the bytes after the message's header section, raw (MIME
 *             structure and encodings as they are)
 *
 * Multipart nesting is followed to MIME_DEPTH_MAX levels (deeper parts
 * are body to the innermost known boundary).  Lines longer than
 * MIME_LINE_MAX are cut for this reading (the body callback still gets
 * every byte).  Memory is this struct: nothing is allocated.
 */
#ifndef MIME_H
#define MIME_H

#include <stddef.h>

#define MIME_LINE_MAX		1000
#define MIME_FIELD_MAX		8192
#define MIME_NAME_MAX		512
#define MIME_DEPTH_MAX		8
#define MIME_BOUNDARY_MAX	70	/* RFC 2046 5.1.1 */

struct mime_cb {
	void	(*field)(void *, int, const char *, size_t, const char *,
		    size_t);
	void	(*filename)(void *, const char *, size_t);
	void	(*body)(void *, const char *, size_t);
	void	*arg;
};

struct mime {
	const struct mime_cb *cb;
	int		 in_header;	/* reading a header section */
	int		 depth;		/* of that section: 0 the message */
	int		 top_done;	/* the message's header section ended */
	int		 nbound;	/* boundaries open */
	char		 bound[MIME_DEPTH_MAX][MIME_BOUNDARY_MAX + 1];
	/* the section's Content-Type boundary, to open at its end */
	char		 pending[MIME_BOUNDARY_MAX + 1];
	int		 multipart;
	/* the line being read */
	char		 line[MIME_LINE_MAX + 1];
	size_t		 llen;
	int		 lcut;		/* longer than MIME_LINE_MAX */
	/* the field being read (unfolded) */
	char		 field[MIME_FIELD_MAX + 1];
	size_t		 flen;
	/* the part's names, decoded at the section's end */
	char		 ctype[MIME_FIELD_MAX + 1];
	char		 cdisp[MIME_FIELD_MAX + 1];
};

void	mime_init(struct mime *, const struct mime_cb *);
void	mime_feed(struct mime *, const char *, size_t);
/* The end of the message: a field or line still open is finished. */
void	mime_end(struct mime *);

/*
 * The value of parameter NAME (lower case) of a structured field's
 * value (Content-Type, Content-Disposition), RFC 2231 continuations and
 * charset forms and RFC 2047 encoded words decoded: its length in out
 * (size outsize, NUL-terminated), or -1 when it is not there.
 */
long	mime_param(const char *, size_t, const char *, char *, size_t);

#endif
