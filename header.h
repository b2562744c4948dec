/*
 * header.h: the message's header section as it streams past (the bytes
 * the child gets, CRLF lines, in pieces of any size), read once by the
 * core for the checks of the header policy: its size, the From: fields,
 * 8-bit bytes and whether they are UTF-8.  Nothing is kept but counts
 * and flags; the section ends at the first empty line (or with the
 * message).  Bounded whatever the input: a name longer than
 * HEADER_NAME_MAX is no name we count.  The first From: field's value is
 * kept (HEADER_FROM_MAX bytes) for its domain (DMARC).
 */
#ifndef HEADER_H
#define HEADER_H

#include <stddef.h>

#define HEADER_NAME_MAX	64
#define HEADER_FROM_MAX	320	/* the first From: field's value kept */
#define HEADER_DOMAIN_MAX 255

struct header_section {
	unsigned long long size;	/* header section bytes so far */
	int		 done;		/* the empty line seen */
	unsigned int	 from;		/* From: fields */
	unsigned int	 fields;
	int		 eightbit;	/* a byte >= 0x80 */
	int		 bad8bit;	/* ... that is not UTF-8 */
	/* the parser's place */
	int		 bol;		/* at the start of a line */
	int		 inname;	/* reading a field name */
	int		 blank;		/* the line so far is empty (or CR) */
	size_t		 nlen;
	char		 name[HEADER_NAME_MAX];
	/* the first From: field (DMARC): its value as it came, cut, and at
	 * header_end its address's domain in lower case ("" when none or
	 * not one address: from_addrs says how many) */
	int		 in_from;
	size_t		 from_len;
	unsigned int	 from_addrs;
	int		 utf8_need;	/* continuation bytes still due */
	unsigned char	 utf8_lo, utf8_hi;	/* the next one's range */
	/* last: header_init does not touch them (a held session's pages) */
	char		 from_value[HEADER_FROM_MAX + 1];
	char		 from_domain[HEADER_DOMAIN_MAX + 1];	/* header_end */
};

void	header_init(struct header_section *);
/* The next piece of the message; returns the bytes of it that were
 * header (the rest is body). */
size_t	header_feed(struct header_section *, const char *, size_t);
/* The message ended: a UTF-8 sequence cut short counts as bad. */
void	header_end(struct header_section *);

#endif
