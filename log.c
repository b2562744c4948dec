/*
 * log.c: formats every log line of smtpfront (see log.h for the format).
 * Input: the client address set once, events and fields from the core.
 * Output: one write(2) per line on fd 2.  A write error is ignored: a
 * broken log pipe must not cost mail.
 */
#include <string.h>
#include <unistd.h>
#include "log.h"

static char	 log_ip[LOG_VALUE_MAX + 1] = "unknown";
static char	 line[LOG_LINE_MAX];
static size_t	 len;
static int	 cut;

size_t
log_printable(char *out, size_t max, const char *s, size_t n)
{
	size_t i;

	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c >= 32 && c < 127) ? (char)c : '?';
	}
	out[n] = '\0';
	return n;
}

void
log_init(const char *ip)
{
	log_printable(log_ip, sizeof(log_ip) - 1, ip, strlen(ip));
}

static void
put(const char *s, size_t n)
{
	/* keep room for "...\n" */
	if (cut)
		return;
	if (n > sizeof(line) - 4 - len) {
		n = sizeof(line) - 4 - len;
		cut = 1;
	}
	memcpy(line + len, s, n);
	len += n;
	if (cut) {
		memcpy(line + len, "...", 3);
		len += 3;
	}
}

static void
puts_(const char *s)
{
	put(s, strlen(s));
}

static void
put_ulong(unsigned long long u)
{
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0 && i > 0);
	put(buf + i, sizeof(buf) - i);
}

void
log_start(const char *event)
{
	len = 0;
	cut = 0;
	puts_("smtpfront[");
	put_ulong((unsigned long long)getpid());
	puts_("] ");
	puts_(log_ip);
	puts_(": ");
	puts_(event);
}

static void
put_value(const char *v, size_t n, const char *open, const char *close)
{
	char buf[LOG_VALUE_MAX + 1];
	size_t i, m;
	int quote = 0;

	m = log_printable(buf, sizeof(buf) - 1, v, n);
	for (i = 0; i < m; i++)
		if (buf[i] == ' ' || buf[i] == '"') {
			quote = 1;
			if (buf[i] == '"')
				buf[i] = '\'';
		}
	if (*open == '\0' && (quote || m == 0)) {
		open = "\"";
		close = "\"";
	}
	puts_(open);
	put(buf, m);
	if (n > m)
		puts_("...");
	puts_(close);
}

void
log_strn(const char *key, const char *v, size_t n)
{
	puts_(" ");
	puts_(key);
	puts_("=");
	put_value(v, n, "", "");
}

void
log_str(const char *key, const char *v)
{
	log_strn(key, v, strlen(v));
}

void
log_addr(const char *key, const char *v)
{
	puts_(" ");
	puts_(key);
	puts_("=");
	put_value(v, strlen(v), "<", ">");
}

void
log_ulong(const char *key, unsigned long u)
{
	log_ull(key, u);
}

void
log_ull(const char *key, unsigned long long u)
{
	puts_(" ");
	puts_(key);
	puts_("=");
	put_ulong(u);
}

void
log_end(void)
{
	ssize_t w;

	line[len++] = '\n';
	w = write(2, line, len);
	(void)w;
	len = 0;
}

static void
log_msg(const char *kind, const char *a, const char *b)
{
	char buf[LOG_VALUE_MAX + 1];

	log_start(kind);
	puts_(" ");
	log_printable(buf, sizeof(buf) - 1, a, strlen(a));
	puts_(buf);
	if (b != NULL) {
		puts_(": ");
		log_printable(buf, sizeof(buf) - 1, b, strlen(b));
		puts_(buf);
	}
	log_end();
}

void
log_warning(const char *a, const char *b)
{
	log_msg("warning:", a, b);
}

void
log_fatal(const char *a, const char *b)
{
	log_msg("fatal:", a, b);
}
