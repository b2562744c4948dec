/*
 * log.c: formats every log line of smtpfront (see log.h for the format).
 * Input: the client address set once, events and fields from the core.
 * Output: one write(2) per line on fd 2, or syslog when fd 2 is the
 * client's socket (inetd).  A write error is ignored: a broken log pipe
 * must not cost mail.
 *
 * Every session writes a few lines, so the short keys and values are
 * copied byte by byte into the line, in one pass each, without a
 * strlen() and a memcpy() call per piece (musl's strlen is a byte loop).
 */
#include <sys/stat.h>
#include <fcntl.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include "crlf.h"
#include "log.h"

static char	 log_ip[LOG_VALUE_MAX + 1] = "unknown";
static size_t	 log_iplen = 7;
static int	 log_to_syslog;
/* "smtpfront[PID] IP: ", built at the first line (0: not yet) */
static char	 log_prefix[sizeof("smtpfront[] : ") + 24 + LOG_VALUE_MAX];
static size_t	 log_prefixlen;
static char	 line[LOG_LINE_MAX];
#define LOG_KEY_FAST	24	/* a key of at most this, written at once */
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
	log_iplen = log_printable(log_ip, sizeof(log_ip) - 1, ip, strlen(ip));
	log_prefixlen = 0;
}

/*
 * inetd, xinetd and a systemd socket unit without StandardError= give
 * the program the client's socket on fd 2 as well: log lines must never
 * reach the client.  When fd 2 is the socket of fd 0, lines go to
 * syslog (facility mail) and fd 2 becomes /dev/null, for the MTA child
 * too.  Returns 1 when that switch was made.
 */
int
log_guard(void)
{
	struct stat s0, s2;
	int fd;

	if (fstat(0, &s0) == -1 || fstat(2, &s2) == -1)
		return 0;
	if (!S_ISSOCK(s2.st_mode) || s0.st_dev != s2.st_dev ||
	    s0.st_ino != s2.st_ino)
		return 0;
	openlog("smtpfront", LOG_PID | LOG_NDELAY, LOG_MAIL);
	log_to_syslog = 1;
	log_prefixlen = 0;
	if ((fd = open("/dev/null", O_WRONLY)) != -1) {
		dup2(fd, 2);
		if (fd != 2)
			close(fd);
	}
	return 1;
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

/* Append the C string s, cut like put(). */
static void
puts_(const char *s)
{
	char *o = line + len;
	size_t room, i;

	if (cut)
		return;
	/* keep room for "...\n" */
	room = sizeof(line) - 4 - len;
	for (i = 0; s[i] != '\0'; i++) {
		if (i == room) {
			memcpy(o + i, "...", 3);
			len += i + 3;
			cut = 1;
			return;
		}
		o[i] = s[i];
	}
	len += i;
}

/* Append one byte, cut like put(). */
static void
putc_(char c)
{
	if (cut)
		return;
	if (len == sizeof(line) - 4) {
		memcpy(line + len, "...", 3);
		len += 3;
		cut = 1;
		return;
	}
	line[len++] = c;
}

/* " key=" */
static void
put_key(const char *key)
{
	size_t i;

	/* the keys are short words: where a long one would fit, no count */
	if (!cut && sizeof(line) - 4 - len > LOG_KEY_FAST + 2) {
		line[len] = ' ';
		for (i = 0; key[i] != '\0' && i < LOG_KEY_FAST; i++)
			line[len + 1 + i] = key[i];
		if (key[i] == '\0') {
			line[len + 1 + i] = '=';
			len += i + 2;
			return;
		}
	}
	putc_(' ');
	puts_(key);
	putc_('=');
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

/*
 * The start of every line, once: no getpid(2) and no piece by piece
 * formatting per line.  syslog adds the name and pid itself.
 */
static void
make_prefix(void)
{
	unsigned long long p = (unsigned long long)getpid();
	char buf[24];
	size_t i = sizeof(buf), n = 0;

	if (!log_to_syslog) {
		do {
			buf[--i] = (char)('0' + p % 10);
			p /= 10;
		} while (p != 0 && i > 0);
		memcpy(log_prefix, "smtpfront[", 10);
		n = 10;
		memcpy(log_prefix + n, buf + i, sizeof(buf) - i);
		n += sizeof(buf) - i;
		memcpy(log_prefix + n, "] ", 2);
		n += 2;
	}
	memcpy(log_prefix + n, log_ip, log_iplen);
	n += log_iplen;
	memcpy(log_prefix + n, ": ", 2);
	log_prefixlen = n + 2;
}

void
log_start(const char *event)
{
	len = 0;
	cut = 0;
	if (log_prefixlen == 0)
		make_prefix();
	put(log_prefix, log_prefixlen);
	puts_(event);
}

/*
 * The value: at most LOG_VALUE_MAX bytes, '?' for bytes that are not
 * printable, '\'' for '"'; quoted when it is empty or has a blank (or a
 * '"'), unless open and close ('\0': none) already enclose it.
 */
static void
put_value(const char *v, size_t n, char open, char close)
{
	size_t i, m = n > LOG_VALUE_MAX ? LOG_VALUE_MAX : n;
	char *o;
	/*
	 * The usual value (an address, a name, a number) is plain: it goes
	 * as it is.  The next usual (a reply's text) has blanks but nothing
	 * to change: it goes as it is, quoted.  Both found 16 bytes at a
	 * time.
	 */
	size_t p = m > 0 ? crlf_plain(v, m) : 0;
	int plain = m > 0 && p == m;
	int text = !plain && p + crlf_text(v + p, m - p) == m;
	int quote = (m == 0) || (text && m > 0);

	/* text: the byte that ended the plain run is a blank */
	for (i = p; i < m && !quote && !plain; i++)
		if (v[i] == ' ' || v[i] == '"')
			quote = 1;
	if (open == '\0' && quote) {
		open = '"';
		close = '"';
	}
	if (open != '\0')
		putc_(open);
	if (cut)
		return;
	if (m > sizeof(line) - 4 - len) {
		/* does not fit: the slow path cuts it */
		char buf[LOG_VALUE_MAX + 1];

		m = log_printable(buf, sizeof(buf) - 1, v, m);
		for (i = 0; i < m; i++)
			if (buf[i] == '"')
				buf[i] = '\'';
		put(buf, m);
		return;
	}
	o = line + len;
	if (plain || text)
		memcpy(o, v, m);
	else
		for (i = 0; i < m; i++) {
			unsigned char c = (unsigned char)v[i];

			if (c == '"')
				c = '\'';
			else if (c < 32 || c >= 127)
				c = '?';
			o[i] = (char)c;
		}
	len += m;
	if (n > m)
		puts_("...");
	if (close != '\0')
		putc_(close);
}

void
log_strn(const char *key, const char *v, size_t n)
{
	put_key(key);
	put_value(v, n, '\0', '\0');
}

void
log_str(const char *key, const char *v)
{
	log_strn(key, v, strlen(v));
}

void
log_addr(const char *key, const char *v)
{
	put_key(key);
	put_value(v, strlen(v), '<', '>');
}

void
log_ulong(const char *key, unsigned long u)
{
	log_ull(key, u);
}

void
log_ull(const char *key, unsigned long long u)
{
	put_key(key);
	put_ulong(u);
}

void
log_msec(const char *key, unsigned long ms)
{
	char frac[4];

	put_key(key);
	put_ulong(ms / 1000);
	frac[0] = '.';
	frac[1] = (char)('0' + ms / 100 % 10);
	frac[2] = (char)('0' + ms / 10 % 10);
	frac[3] = (char)('0' + ms % 10);
	put(frac, sizeof(frac));
}

void
log_end(void)
{
	ssize_t w;

	if (log_to_syslog) {
		line[len] = '\0';
		syslog(LOG_INFO, "%s", line);
		len = 0;
		return;
	}
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
