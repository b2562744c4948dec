/*
 * mime.c: a message read as it streams past: header fields unfolded,
 * MIME part names decoded, body bytes (mime.h).
 */
#include <string.h>
#include <strings.h>
#include "mime.h"

#define PIECES_MAX	32	/* RFC 2231 continuations kept */

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
blank(int c)
{
	return c == ' ' || c == '\t';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Append one byte to out (size outsize, room kept for the NUL). */
static void
put(char *out, size_t outsize, size_t *o, int c)
{
	if (*o + 1 < outsize)
		out[(*o)++] = (char)c;
}

/* %XX decoded (RFC 2231 extended values). */
static void
percent(const char *s, size_t n, char *out, size_t outsize, size_t *o)
{
	size_t i;
	int h, l;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			put(out, outsize, o, h * 16 + l);
			i += 2;
		} else
			put(out, outsize, o, (unsigned char)s[i]);
	}
}

/* One encoded word's text, B or Q, decoded into out. */
static void
ew_decode(int enc, const char *s, size_t n, char *out, size_t outsize,
    size_t *o)
{
	unsigned int acc = 0;
	int bits = 0, v, h, l;
	size_t i;

	for (i = 0; i < n; i++) {
		if (enc == 'b') {
			if ((v = b64val((unsigned char)s[i])) < 0)
				continue;	/* padding, junk */
			acc = (acc << 6 | (unsigned int)v) & 0xffffff;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				put(out, outsize, o, (int)(acc >> bits) & 0xff);
			}
		} else if (s[i] == '_')
			put(out, outsize, o, ' ');
		else if (s[i] == '=' && i + 2 < n &&
		    (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			put(out, outsize, o, h * 16 + l);
			i += 2;
		} else
			put(out, outsize, o, (unsigned char)s[i]);
	}
}

/* Text with RFC 2047 encoded words decoded; blanks between two encoded
 * words dropped. */
static void
words(const char *s, size_t n, char *out, size_t outsize, size_t *o)
{
	const char *q1, *q2, *end;
	size_t i = 0, po = 0;
	int enc, last_ew = 0;

	while (i < n) {
		if (s[i] == '=' && i + 1 < n && s[i + 1] == '?') {
			/* =?charset?E?text?= */
			q1 = memchr(s + i + 2, '?', n - i - 2);
			if (q1 != NULL && q1 + 2 < s + n && q1[2] == '?' &&
			    (lower((unsigned char)q1[1]) == 'b' ||
			    lower((unsigned char)q1[1]) == 'q')) {
				enc = lower((unsigned char)q1[1]);
				end = NULL;
				for (q2 = q1 + 3; q2 + 1 < s + n; q2++)
					if (q2[0] == '?' && q2[1] == '=') {
						end = q2;
						break;
					}
				if (end != NULL) {
					if (last_ew)
						*o = po;	/* drop the blanks */
					ew_decode(enc, q1 + 3,
					    (size_t)(end - q1 - 3), out,
					    outsize, o);
					i = (size_t)(end - s) + 2;
					last_ew = 1;
					po = *o;
					continue;
				}
			}
		}
		if (!blank((unsigned char)s[i]))
			last_ew = 0;
		put(out, outsize, o, (unsigned char)s[i]);
		i++;
	}
}

long
mime_param(const char *v, size_t len, const char *name, char *out,
    size_t outsize)
{
	const char *plain = NULL, *ext = NULL, *a, *val;
	const char *piece[PIECES_MAX];
	size_t plen = 0, elen = 0, nl = strlen(name), alen, vlen, i, o = 0;
	size_t piecelen[PIECES_MAX];
	int pext[PIECES_MAX], quoted, idx, isext, found = 0;
	char qbuf[MIME_FIELD_MAX + 1];
	static char store[PIECES_MAX][MIME_FIELD_MAX / 4 + 1];
	size_t qn;

	if (outsize == 0)
		return -1;
	memset(piece, 0, sizeof(piece));
	i = 0;
	/* past the type or disposition */
	while (i < len && v[i] != ';')
		i++;
	while (i < len) {
		while (i < len && (v[i] == ';' || blank((unsigned char)v[i]) ||
		    v[i] == '\r' || v[i] == '\n'))
			i++;
		a = v + i;
		while (i < len && v[i] != '=' && v[i] != ';')
			i++;
		alen = (size_t)(v + i - a);
		while (alen > 0 && blank((unsigned char)a[alen - 1]))
			alen--;
		if (i >= len || v[i] != '=')
			continue;
		i++;
		while (i < len && blank((unsigned char)v[i]))
			i++;
		quoted = i < len && v[i] == '"';
		qn = 0;
		if (quoted) {
			for (i++; i < len && v[i] != '"'; i++) {
				if (v[i] == '\\' && i + 1 < len)
					i++;
				if (qn < sizeof(qbuf) - 1)
					qbuf[qn++] = v[i];
			}
			if (i < len)
				i++;
		} else {
			for (; i < len && v[i] != ';' &&
			    !blank((unsigned char)v[i]); i++)
				if (qn < sizeof(qbuf) - 1)
					qbuf[qn++] = v[i];
		}
		val = qbuf;
		vlen = qn;
		if (alen < nl || strncasecmp(a, name, nl) != 0)
			continue;
		if (alen == nl) {
			if (plain == NULL) {
				memcpy(store[0], val, vlen < sizeof(store[0]) ?
				    vlen : sizeof(store[0]) - 1);
				plen = vlen < sizeof(store[0]) ? vlen :
				    sizeof(store[0]) - 1;
				plain = store[0];
				found = 1;
			}
			continue;
		}
		if (a[nl] != '*')
			continue;
		if (alen == nl + 1) {
			/* name*=charset'lang'%xx */
			if (ext == NULL && vlen < sizeof(store[1])) {
				memcpy(store[1], val, vlen);
				ext = store[1];
				elen = vlen;
				found = 1;
			}
			continue;
		}
		/* name*N or name*N* */
		idx = 0;
		isext = 0;
		a += nl + 1;
		alen -= nl + 1;
		if (alen == 0 || *a < '0' || *a > '9')
			continue;
		for (; alen > 0 && *a >= '0' && *a <= '9'; a++, alen--)
			if ((idx = idx * 10 + (*a - '0')) >= PIECES_MAX)
				break;
		if (alen == 1 && *a == '*') {
			isext = 1;
			alen = 0;
		}
		/* store[0] and [1] hold the plain and the extended value */
		if (alen != 0 || idx + 2 >= PIECES_MAX || piece[idx] != NULL)
			continue;
		if (vlen > sizeof(store[0]) - 1)
			vlen = sizeof(store[0]) - 1;
		memcpy(store[idx + 2], val, vlen);
		piece[idx] = store[idx + 2];
		piecelen[idx] = vlen;
		pext[idx] = isext;
		found = 1;
	}
	if (!found)
		return -1;
	if (ext != NULL) {
		/* charset'language'value */
		const char *p = memchr(ext, '\'', elen), *q;

		q = p != NULL ? memchr(p + 1, '\'', elen - (size_t)(p + 1 -
		    ext)) : NULL;
		if (q != NULL)
			percent(q + 1, elen - (size_t)(q + 1 - ext), out,
			    outsize, &o);
		else
			percent(ext, elen, out, outsize, &o);
	} else if (piece[0] != NULL) {
		for (idx = 0; idx < PIECES_MAX - 2 && piece[idx] != NULL;
		    idx++) {
			const char *p = piece[idx], *q;
			size_t n = piecelen[idx];

			if (!pext[idx]) {
				words(p, n, out, outsize, &o);
				continue;
			}
			if (idx == 0 && (q = memchr(p, '\'', n)) != NULL &&
			    (q = memchr(q + 1, '\'', n - (size_t)(q + 1 - p)))
			    != NULL) {
				n -= (size_t)(q + 1 - p);
				p = q + 1;
			}
			percent(p, n, out, outsize, &o);
		}
	} else
		words(plain, plen, out, outsize, &o);
	out[o] = '\0';
	return (long)o;
}

void
mime_init(struct mime *m, const struct mime_cb *cb)
{
	m->cb = cb;
	m->in_header = 1;
	m->depth = 0;
	m->top_done = 0;
	m->nbound = 0;
	m->pending[0] = '\0';
	m->multipart = 0;
	m->llen = 0;
	m->lcut = 0;
	m->flen = 0;
	m->ctype[0] = m->cdisp[0] = '\0';
}

static void
finish_field(struct mime *m)
{
	size_t n = 0, v;
	char *f = m->field;

	if (m->flen == 0)
		return;
	f[m->flen] = '\0';
	while (n < m->flen && f[n] != ':')
		n++;
	if (n < m->flen) {
		v = n + 1;
		while (v < m->flen && blank((unsigned char)f[v]))
			v++;
		while (n > 0 && blank((unsigned char)f[n - 1]))
			n--;
		if (m->cb->field != NULL)
			m->cb->field(m->cb->arg, m->depth, f, n, f + v,
			    m->flen - v);
		if (n == 12 && strncasecmp(f, "content-type", 12) == 0) {
			memcpy(m->ctype, f + v, m->flen - v + 1);
		} else if (n == 19 &&
		    strncasecmp(f, "content-disposition", 19) == 0)
			memcpy(m->cdisp, f + v, m->flen - v + 1);
	}
	m->flen = 0;
}

/* The end of a header section: names, and a multipart's boundary. */
static void
end_section(struct mime *m)
{
	char name[MIME_NAME_MAX + 1], name2[MIME_NAME_MAX + 1];
	char b[MIME_BOUNDARY_MAX + 2];
	long n = -1, n2;

	if (m->cdisp[0] != '\0' && m->cb->filename != NULL &&
	    (n = mime_param(m->cdisp, strlen(m->cdisp), "filename", name,
	    sizeof(name))) > 0)
		m->cb->filename(m->cb->arg, name, (size_t)n);
	if (m->ctype[0] != '\0' && m->cb->filename != NULL &&
	    (n2 = mime_param(m->ctype, strlen(m->ctype), "name", name2,
	    sizeof(name2))) > 0 && (n2 != n || memcmp(name, name2,
	    (size_t)n) != 0))
		m->cb->filename(m->cb->arg, name2, (size_t)n2);
	if (strncasecmp(m->ctype, "multipart/", 10) == 0 &&
	    m->nbound < MIME_DEPTH_MAX &&
	    (n = mime_param(m->ctype, strlen(m->ctype), "boundary", b,
	    sizeof(b))) > 0 && n <= MIME_BOUNDARY_MAX) {
		memcpy(m->bound[m->nbound], b, (size_t)n + 1);
		m->nbound++;
	}
	m->ctype[0] = m->cdisp[0] = '\0';
}

/* One line, without its CRLF; 1 when it ended the message's header. */
static int
line(struct mime *m, const char *s, size_t len)
{
	size_t bl;
	int k;

	if (m->in_header) {
		if (len == 0) {
			finish_field(m);
			end_section(m);
			m->in_header = 0;
			if (m->depth == 0 && !m->top_done) {
				m->top_done = 1;
				return 1;
			}
			return 0;
		}
		if (blank((unsigned char)s[0]) && m->flen > 0) {
			/* folded: the line break goes, the blanks stay */
			if (len > MIME_FIELD_MAX - m->flen)
				len = MIME_FIELD_MAX - m->flen;
			memcpy(m->field + m->flen, s, len);
			m->flen += len;
			return 0;
		}
		finish_field(m);
		if (len > MIME_FIELD_MAX)
			len = MIME_FIELD_MAX;
		memcpy(m->field, s, len);
		m->flen = len;
		return 0;
	}
	if (m->nbound == 0 || len < 2 || s[0] != '-' || s[1] != '-')
		return 0;
	for (k = m->nbound - 1; k >= 0; k--) {
		bl = strlen(m->bound[k]);
		if (len < 2 + bl || memcmp(s + 2, m->bound[k], bl) != 0)
			continue;
		if (len >= 4 + bl && s[2 + bl] == '-' && s[3 + bl] == '-') {
			m->nbound = k;		/* closed, with those inside */
			return 0;
		}
		m->nbound = k + 1;
		m->in_header = 1;
		m->depth = k + 1;
		m->flen = 0;
		m->ctype[0] = m->cdisp[0] = '\0';
		return 0;
	}
	return 0;
}

void
mime_feed(struct mime *m, const char *buf, size_t n)
{
	size_t i = 0, from = n, len, k, room;
	int was_done = m->top_done;
	const char *nl;

	while (i < n) {
		/* a body with no boundary open: its lines change nothing */
		if (!m->in_header && m->nbound == 0) {
			m->llen = 0;
			m->lcut = 0;
			break;
		}
		nl = memchr(buf + i, '\n', n - i);
		k = (nl != NULL ? (size_t)(nl - buf) : n) - i;
		room = MIME_LINE_MAX - m->llen;
		if (k > room) {
			m->lcut = 1;
			memcpy(m->line + m->llen, buf + i, room);
			m->llen += room;
		} else {
			memcpy(m->line + m->llen, buf + i, k);
			m->llen += k;
		}
		if (nl == NULL)
			break;
		i = (size_t)(nl - buf) + 1;
		len = m->llen;
		if (len > 0 && m->line[len - 1] == '\r' && !m->lcut)
			len--;
		if (line(m, m->line, len) && !was_done)
			from = i;
		m->llen = 0;
		m->lcut = 0;
	}
	if (m->cb->body == NULL)
		return;
	if (was_done)
		m->cb->body(m->cb->arg, buf, n);
	else if (from < n)
		m->cb->body(m->cb->arg, buf + from, n - from);
}

void
mime_end(struct mime *m)
{
	size_t len = m->llen;

	if (len > 0) {
		if (m->line[len - 1] == '\r' && !m->lcut)
			len--;
		(void)line(m, m->line, len);
		m->llen = 0;
	}
	if (m->in_header) {
		finish_field(m);
		end_section(m);
		m->in_header = 0;
	}
}
