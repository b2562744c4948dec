/*
 * authres.c: our Authentication-Results fields removed from a message
 * (authres.h).  Bounded: a field is judged by its first HEAD_MAX bytes.
 */
#include <string.h>
#include <strings.h>
#include "authres.h"
#include "cold.h"
#include "spool.h"

#define NAME		"authentication-results:"
#define HEAD_MAX	1024
#define BUF		65536

int
authres_ours(const char *f, size_t n, const char *id)
{
	size_t nl = sizeof(NAME) - 1, il = strlen(id), i = nl;

	if (n < nl || strncasecmp(f, NAME, nl) != 0 || il == 0)
		return 0;
	/* blanks, folded line breaks and comments before the id */
	for (;;) {
		while (i < n && (f[i] == ' ' || f[i] == '\t' || f[i] == '\r' ||
		    f[i] == '\n'))
			i++;
		if (i < n && f[i] == '(') {
			int depth = 0;

			for (; i < n; i++) {
				if (f[i] == '(')
					depth++;
				else if (f[i] == ')' && --depth == 0) {
					i++;
					break;
				}
			}
			continue;
		}
		break;
	}
	if (n - i < il || strncasecmp(f + i, id, il) != 0)
		return 0;
	i += il;
	/* the id ends there: a blank, ';', a comment or the end */
	return i == n || f[i] == ' ' || f[i] == '\t' || f[i] == ';' ||
	    f[i] == '(' || f[i] == '\r' || f[i] == '\n';
}

/*
 * One pass over the header section: count our fields, and copy what
 * stays to out when out is not NULL.  Lines are judged at their start:
 * a field's first HEAD_MAX bytes (or its first line, if shorter) decide
 * for the whole field, continuation lines included.
 */
static long
pass(struct spool *in, const char *id, struct spool *out)
{
	static COLD char buf[BUF];
	char head[HEAD_MAX];
	size_t hl = 0, i, from;
	long got, found = 0;
	int bol = 1, deciding = 0, drop = 0, body = 0, blank = 1;

	if (spool_rewind(in) == -1)
		return -1;
	while ((got = spool_read(in, buf, sizeof(buf))) > 0) {
		if (body) {
			if (out != NULL && spool_write(out, buf, (size_t)got) ==
			    -1)
				return -1;
			continue;
		}
		for (i = 0, from = 0; i < (size_t)got; i++) {
			char c = buf[i];

			if (bol) {
				bol = 0;
				if (c != ' ' && c != '\t') {
					/* a new field (or the empty line) */
					drop = 0;
					deciding = 1;
					hl = 0;
				}
				blank = 1;
			}
			if (c != '\r' && c != '\n')
				blank = 0;
			if (deciding) {
				if (hl < sizeof(head))
					head[hl++] = c;
				if (c == '\n' || hl == sizeof(head)) {
					deciding = 0;
					drop = authres_ours(head, hl, id);
					found += drop;
					if (!drop && out != NULL &&
					    spool_write(out, head, hl) == -1)
						return -1;
				}
			} else if (!drop && out != NULL &&
			    spool_write(out, &buf[i], 1) == -1)
				return -1;
			if (c == '\n') {
				if (blank) {
					/* the empty line: the body from here */
					body = 1;
					from = i + 1;
					break;
				}
				bol = 1;
			}
		}
		if (body && from < (size_t)got && out != NULL &&
		    spool_write(out, buf + from, (size_t)got - from) == -1)
			return -1;
	}
	if (got < 0)
		return -1;
	if (deciding && out != NULL && spool_write(out, head, hl) == -1)
		return -1;
	return found;
}

long
authres_strip(struct spool *in, const char *id, struct spool *out)
{
	long n = pass(in, id, NULL);

	if (n <= 0)
		return n;
	return pass(in, id, out);
}
