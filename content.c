/*
 * content.c: a content statement read (content.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "content.h"

const char *const content_target_name[CONTENT_TARGETS] = {
	"header", "headers", "body", "filename"
};

const char *const content_action_name[] = {
	"off", "warn", "defer", "reject", "drop"
};

static int __attribute__((format(printf, 3, 4)))
bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
isblank_c(int c)
{
	return c == ' ' || c == '\t';
}

/* The next blank-separated field of t from *pos, NUL-terminated in place. */
static char *
field(char *t, size_t len, size_t *pos)
{
	char *f;

	while (*pos < len && isblank_c((unsigned char)t[*pos]))
		(*pos)++;
	if (*pos == len)
		return NULL;
	f = t + *pos;
	while (*pos < len && !isblank_c((unsigned char)t[*pos]))
		(*pos)++;
	if (*pos < len)
		t[(*pos)++] = '\0';
	return f;
}

int
content_parse(const char *in, size_t len, struct content_rule *r, char *err,
    size_t errlen)
{
	char *t = r->text, *f, *p;
	size_t pos = 0, i, n;
	int o;

	memset(r, 0, sizeof(*r) - sizeof(r->text));
	filter_scope_init(&r->scope);
	r->reply = "";
	if (len > CONTENT_STMT_MAX)
		return bad(err, errlen, "longer than %d bytes",
		    CONTENT_STMT_MAX);
	for (i = 0; i < len; i++)
		if (in[i] != '\t' && ((unsigned char)in[i] < 32 ||
		    (unsigned char)in[i] > 126))
			return bad(err, errlen, "control or 8-bit character");
	memcpy(t, in, len);
	t[len] = '\0';
	if ((f = field(t, len, &pos)) == NULL)
		return bad(err, errlen, "needs a name, a target, an action "
		    "and /PATTERN/");
	n = strlen(f);
	if (n > CONTENT_NAME_MAX)
		return bad(err, errlen, "name longer than %d bytes",
		    CONTENT_NAME_MAX);
	for (i = 0; i < n; i++)
		if (!((f[i] >= 'a' && f[i] <= 'z') || (f[i] >= '0' &&
		    f[i] <= '9') || f[i] == '_' || f[i] == '-'))
			return bad(err, errlen, "name %s: only a-z, 0-9, _ "
			    "and -", f);
	memcpy(r->name, f, n + 1);
	/* the options, then the target */
	for (;;) {
		if ((f = field(t, len, &pos)) == NULL)
			return bad(err, errlen, "needs a target (header:FIELD, "
			    "headers, body, filename)");
		if (strchr(f, '=') == NULL)
			break;
		if ((o = filter_scope_option(f, &r->scope, err, errlen)) == -1)
			return -1;
		if (o == 0)
			return bad(err, errlen, "unknown option %.*s "
			    "(only_client, skip_client, only_sender, "
			    "skip_sender, only_rcpt, skip_rcpt)",
			    (int)(strchr(f, '=') - f), f);
	}
	if (strncmp(f, "header:", 7) == 0) {
		r->target = CONTENT_HEADER;
		n = strlen(f + 7);
		if (n == 0 || n > CONTENT_FIELD_MAX)
			return bad(err, errlen, "header: needs a field name of "
			    "at most %d bytes", CONTENT_FIELD_MAX);
		for (i = 0; i < n; i++) {
			if (f[7 + i] <= 32 || f[7 + i] >= 127 ||
			    f[7 + i] == ':')
				return bad(err, errlen, "header:%s: not a field "
				    "name", f + 7);
			r->field[i] = (char)(f[7 + i] >= 'A' && f[7 + i] <=
			    'Z' ? f[7 + i] + 32 : f[7 + i]);
		}
		r->field[n] = '\0';
	} else if (strcmp(f, "headers") == 0)
		r->target = CONTENT_HEADERS;
	else if (strcmp(f, "body") == 0)
		r->target = CONTENT_BODY;
	else if (strcmp(f, "filename") == 0)
		r->target = CONTENT_FILENAME;
	else
		return bad(err, errlen, "unknown target %s (header:FIELD, "
		    "headers, body, filename)", f);
	if ((f = field(t, len, &pos)) == NULL)
		return bad(err, errlen, "needs an action (off, warn, defer, "
		    "reject, drop)");
	if (strcmp(f, "off") == 0)
		r->action = CONTENT_OFF;
	else if (strcmp(f, "warn") == 0)
		r->action = CONTENT_WARN;
	else if (strcmp(f, "drop") == 0)
		r->action = CONTENT_DROP;
	else if (strcmp(f, "defer") == 0)
		r->action = CONTENT_DEFER;
	else if (strcmp(f, "reject") == 0)
		r->action = CONTENT_REJECT;
	else
		return bad(err, errlen, "unknown action %s (off, warn, defer, "
		    "reject, drop)", f);
	while (pos < len && isblank_c((unsigned char)t[pos]))
		pos++;
	if (pos == len || t[pos] != '/')
		return bad(err, errlen, "needs /PATTERN/ after the action");
	/* to the next '/' that ends a field and is not escaped */
	p = t + pos + 1;
	for (i = pos + 1; i < len; i++) {
		if (t[i] == '\\' && i + 1 < len) {
			i++;
			continue;
		}
		if (t[i] == '/' && (i + 1 == len ||
		    isblank_c((unsigned char)t[i + 1])))
			break;
	}
	if (i >= len)
		return bad(err, errlen, "/PATTERN/ has no closing /");
	r->plen = (size_t)(t + i - p);
	if (r->plen == 0)
		return bad(err, errlen, "empty pattern");
	t[i] = '\0';
	r->pattern = p;
	pos = i + 1;
	while (pos < len && isblank_c((unsigned char)t[pos]))
		pos++;
	if (len - pos > CONTENT_TEXT_MAX)
		return bad(err, errlen, "reply text longer than %d bytes",
		    CONTENT_TEXT_MAX);
	r->reply = t + pos;
	for (i = pos; i < len; i++)
		if (t[i] == '\t')
			t[i] = ' ';
	return 0;
}
