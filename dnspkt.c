/*
 * dnspkt.c: reading DNS answer packets, bounded (see dnspkt.h).
 * Input: a packet of any content, as a server or an attacker sent it.
 * Every offset is compared with the packet's end before it is read;
 * compressed names may only point before the name segment they are read
 * from, so a name is read in at most DNSPKT_NAME_MAX steps and never
 * loops.  Failure: -1, and the caller treats the answer as an error.
 */
#include <string.h>
#include "dnspkt.h"

#define HEADER_LEN	12
#define RR_FIXED	10	/* type, class, ttl, rdlength */
#define QUESTION_FIXED	4	/* type, class */
#define PTR_MASK	0xc0

static int	walk(const struct dnspkt *, size_t, char *);

static unsigned int
u16(const unsigned char *p)
{
	return ((unsigned int)p[0] << 8) | p[1];
}

/* Past the name at *pos (not followed); -1 when malformed. */
static int
skip_name(const struct dnspkt *d, size_t *pos)
{
	size_t i = *pos, wire = 0;
	unsigned int c;

	for (;;) {
		if (i >= d->n)
			return -1;
		c = d->p[i];
		if (c == 0) {
			*pos = i + 1;
			return 0;
		}
		if ((c & PTR_MASK) == PTR_MASK) {
			if (d->n - i < 2)
				return -1;
			*pos = i + 2;
			return 0;
		}
		if (c & PTR_MASK)
			return -1;	/* the reserved label types */
		wire += c + 1;
		if (wire + 1 > DNSPKT_NAME_MAX || d->n - i - 1 < c)
			return -1;
		i += c + 1;
	}
}

int
dnspkt_open(struct dnspkt *d, const unsigned char *p, size_t n)
{
	unsigned int qd;
	size_t pos;

	d->p = p;
	d->n = n;
	d->left = 0;
	if (p == NULL || n < HEADER_LEN || !(p[2] & 0x80))
		return -1;
	qd = u16(p + 4);
	pos = HEADER_LEN;
	while (qd-- > 0) {
		if (walk(d, pos, NULL) == -1 || skip_name(d, &pos) == -1 ||
		    n - pos < QUESTION_FIXED)
			return -1;
		pos += QUESTION_FIXED;
	}
	d->pos = pos;
	d->left = u16(p + 6);
	return p[3] & 15;
}

int
dnspkt_next(struct dnspkt *d, struct dnspkt_rr *rr)
{
	size_t pos = d->pos, len;

	if (d->left == 0)
		return 0;
	/* the owner name is followed too: a record under a name that
	 * loops or runs off the packet is no record */
	if (walk(d, pos, NULL) == -1 || skip_name(d, &pos) == -1 ||
	    d->n - pos < RR_FIXED)
		return -1;
	rr->type = u16(d->p + pos);
	len = u16(d->p + pos + 8);
	pos += RR_FIXED;
	if (d->n - pos < len)
		return -1;
	rr->rdpos = pos;
	rr->rdlen = len;
	d->pos = pos + len;
	d->left--;
	return 1;
}

/*
 * Follow the name at pos; with out, write it dotted.  Its length, or -1
 * when malformed.
 */
static int
walk(const struct dnspkt *d, size_t pos, char *out)
{
	size_t seg = pos, o = 0, j, wire = 0;
	unsigned int c;
	unsigned char b;

	for (;;) {
		if (pos >= d->n)
			return -1;
		c = d->p[pos];
		if (c == 0)
			break;
		if ((c & PTR_MASK) == PTR_MASK) {
			size_t to;

			if (d->n - pos < 2)
				return -1;
			to = ((size_t)(c & 0x3f) << 8) |
			    d->p[pos + 1];
			/* only backwards, before the segment read so far:
			 * every jump lands earlier, so this ends */
			if (to >= seg)
				return -1;
			seg = pos = to;
			continue;
		}
		if (c & PTR_MASK)
			return -1;
		if (d->n - pos - 1 < c)
			return -1;
		/* 255 bytes in wire form, the final zero included */
		wire += c + 1;
		if (wire + 1 > DNSPKT_NAME_MAX)
			return -1;
		if (o > 0 && out != NULL)
			out[o] = '.';
		o += o > 0;
		for (j = 0; j < c; j++) {
			b = d->p[pos + 1 + j];
			/* a dot or NUL inside a label cannot be written
			 * dotted: such a name is refused, not guessed */
			if (b == '.' || b == '\0')
				return -1;
			if (b >= 'A' && b <= 'Z')
				b = (unsigned char)(b - 'A' + 'a');
			if (out != NULL)
				out[o] = (char)b;
			o++;
		}
		pos += c + 1;
	}
	if (out != NULL)
		out[o] = '\0';
	return (int)o;
}

int
dnspkt_name(const struct dnspkt *d, size_t pos, char *out, size_t outlen)
{
	if (outlen < DNSPKT_NAME_MAX + 1)
		return -1;
	return walk(d, pos, out);
}

int
dnspkt_txt(const struct dnspkt *d, const struct dnspkt_rr *rr, char *out,
    size_t outlen)
{
	size_t k = rr->rdpos, end = rr->rdpos + rr->rdlen, o = 0, l, take;

	if (outlen == 0 || end > d->n)
		return -1;
	while (k < end) {
		l = d->p[k++];
		if (end - k < l)
			return -1;
		take = outlen - 1 - o < l ? outlen - 1 - o : l;
		memcpy(out + o, d->p + k, take);
		o += take;
		k += l;
	}
	out[o] = '\0';
	return (int)o;
}
