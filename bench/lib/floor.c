/*
 * bench/lib/floor.c: the least a process-per-connection SMTP server can
 * be, for `bench/run --only many`: it greets, answers 250 to every
 * command, 354 to DATA and 250 to its end, 221 to QUIT, and holds nothing
 * but two small buffers on its stack; a static binary (musl when there is
 * musl-gcc, as smtpfront).  What 10,000 of these cost is the floor of any
 * design that runs one process a connection under tcpserver, inetd or
 * systemd's Accept=yes.  Not an SMTP server to use: it keeps no mail.
 */
#include <unistd.h>

static void
say(const char *s, size_t n)
{
	ssize_t w;

	while (n > 0 && (w = write(1, s, n)) > 0) {
		s += w;
		n -= (size_t)w;
	}
}

/* Is the line that starts with head (its first n bytes, CR dropped) w? */
static int
is(const char *head, size_t n, const char *w, size_t wn)
{
	size_t i;

	if (n != wn)
		return 0;
	for (i = 0; i < n; i++)
		if ((head[i] | 0x20) != (w[i] | 0x20))
			return 0;
	return 1;
}

int
main(void)
{
	char buf[512], head[8];
	size_t n = 0;
	ssize_t r, i;
	int data = 0;

	say("220 floor\r\n", 11);
	while ((r = read(0, buf, sizeof(buf))) > 0)
		for (i = 0; i < r; i++) {
			if (buf[i] != '\n') {
				if (buf[i] != '\r' && n < sizeof(head))
					head[n] = buf[i];
				if (buf[i] != '\r')
					n++;
				continue;
			}
			if (data) {
				if (n == 1 && head[0] == '.') {
					data = 0;
					say("250 ok\r\n", 8);
				}
			} else if (is(head, n, "data", 4)) {
				data = 1;
				say("354 go\r\n", 8);
			} else if (is(head, n, "quit", 4)) {
				say("221 bye\r\n", 9);
				return 0;
			} else
				say("250 ok\r\n", 8);
			n = 0;
		}
	return 0;
}
