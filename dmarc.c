/*
 * dmarc.c: a DMARC record's tags (dmarc.h).
 */
#include <string.h>
#include <strings.h>
#include "dmarc.h"

void
dmarc_tag(const char *rec, const char *t, char *out, size_t size)
{
	const char *p = rec, *e;
	size_t tl = strlen(t), n, i;

	if (size == 0)
		return;
	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (strncasecmp(p, t, tl) == 0) {
			e = p + tl;
			while (*e == ' ' || *e == '\t')
				e++;
			if (*e == '=') {
				e++;
				while (*e == ' ' || *e == '\t')
					e++;
				n = strcspn(e, "; \t");
				if (n >= size)
					n = size - 1;
				for (i = 0; i < n; i++)
					out[i] = (char)(e[i] >= 'A' &&
					    e[i] <= 'Z' ? e[i] + 32 : e[i]);
				out[n] = '\0';
				return;
			}
		}
		p = strchr(p, ';');
	}
}
