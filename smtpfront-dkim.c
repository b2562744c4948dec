/*
 * smtpfront-dkim: DKIM verification (RFC 6376: rsa-sha256 and, RFC
 * 8463, ed25519-sha256; simple and relaxed canonicalisation) of one
 * message with libopendkim, for smtpfront, which starts it at DATA when
 * dkim_action is on (the program beside smtpfront) and feeds it the
 * message as it streams past.
 *
 *   smtpfront-dkim TIMEOUT_MS BUDGET_MS
 *
 * Input: the message on standard input, as the child gets it (CRLF
 * lines, no dot-stuffing).  Output, at its end: one line per signature,
 *   "sig RESULT DOMAIN SELECTOR ALGORITHM B [REASON]"
 * RESULT pass, fail, neutral, policy, temperror or permerror (RFC 8601),
 * DOMAIN the d= (lower case), B the first 8 bytes of b= (header.b), the
 * REASON libopendkim's words for a failure; then "end N" with the
 * number of signatures.  Every field is printable and without blanks but
 * the reason.  Exit 0; 100 on a usage error; 111 when it cannot work.
 *
 * Why a program of its own: libopendkim is built against glibc and
 * OpenSSL, and parses what senders wrote and what the DNS says; it runs
 * here with nothing of the session but the message.
 *
 * DNS: libopendkim's lookups of keys (TXT SELECTOR._domainkey.DOMAIN)
 * go through smtpfront's resolver (resolver.c: the servers of
 * DNSCACHEIP, else /etc/resolv.conf; each query within TIMEOUT_MS, all
 * within BUDGET_MS); a lookup that fails is a temperror.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>
#include <opendkim/dkim.h>
#include "dnspkt.h"
#include "resolver.h"

#define EXIT_USAGE	100
#define EXIT_FAIL	111
#define READ_BUF	65536
#define FIELD_MAX	64

static void __attribute__((noreturn))
die(int code, const char *fmt, ...)
{
	va_list ap;

	printf("error ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(code);
}

/* --- the DNS layer: one query of smtpfront's resolver a lookup --------- */

struct query {
	int		 q;
	unsigned char	*buf;
	size_t		 buflen;
};

static int
dns_start(void *srv, int type, unsigned char *name, unsigned char *buf,
    size_t buflen, void **qh)
{
	struct query *x;

	(void)srv;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return DKIM_DNS_ERROR;
	x->q = resolver_ask((unsigned int)type, (const char *)name, 0, NULL,
	    NULL);
	x->buf = buf;
	x->buflen = buflen;
	*qh = x;
	return DKIM_DNS_SUCCESS;
}

static int
dns_cancel(void *srv, void *qh)
{
	(void)srv;
	free(qh);
	return DKIM_DNS_SUCCESS;
}

/* A reply with no record, for libopendkim's parser: rcode 3 or 0. */
static size_t
empty_reply(unsigned char *buf, size_t buflen, int nxdomain)
{
	if (buflen < 12)
		return 0;
	memset(buf, 0, 12);
	buf[2] = 0x81;		/* QR, RD */
	buf[3] = (unsigned char)(0x80 | (nxdomain ? 3 : 0));	/* RA */
	return 12;
}

static int
dns_wait(void *srv, void *qh, struct timeval *to, size_t *bytes,
    int *error, int *dnssec)
{
	struct query *x = qh;
	const unsigned char *p;
	size_t len;

	(void)srv;
	(void)to;		/* resolver.c's own deadlines apply */
	if (dnssec != NULL)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	if (error != NULL)
		*error = 0;
	resolver_wait(0);
	switch (resolver_status(x->q)) {
	case RESOLVER_FOUND:
		if ((p = resolver_packet(x->q, &len)) == NULL ||
		    len > x->buflen)
			return DKIM_DNS_ERROR;
		memcpy(x->buf, p, len);
		*bytes = len;
		return DKIM_DNS_SUCCESS;
	case RESOLVER_NONE:
		*bytes = empty_reply(x->buf, x->buflen,
		    strcmp(resolver_why(x->q), "nxdomain") == 0);
		return *bytes > 0 ? DKIM_DNS_SUCCESS : DKIM_DNS_ERROR;
	default:
		return DKIM_DNS_ERROR;
	}
}

/* --- output ------------------------------------------------------------ */

/* s made a field: printable, no blanks, cut. */
static void
field(char *out, size_t size, const char *s, int lower)
{
	size_t i, o = 0;

	for (i = 0; s != NULL && s[i] != '\0' && o + 1 < size; i++)
		out[o++] = (unsigned char)s[i] <= 32 ||
		    (unsigned char)s[i] >= 127 ? '?' : lower ?
		    (char)tolower((unsigned char)s[i]) : s[i];
	if (o == 0)
		out[o++] = '-';
	out[o] = '\0';
}

static const char *
result_of(DKIM *dkim, DKIM_SIGINFO *sig)
{
	unsigned int fl = dkim_sig_getflags(sig);
	int err = dkim_sig_geterror(sig);

	(void)dkim;
	if ((fl & DKIM_SIGFLAG_PASSED) != 0 &&
	    dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH)
		return "pass";
	switch (err) {
	case DKIM_SIGERROR_KEYFAIL:
	case DKIM_SIGERROR_DNSSYNTAX:
		return "temperror";
	case DKIM_SIGERROR_NOKEY:
	case DKIM_SIGERROR_KEYREVOKED:
	case DKIM_SIGERROR_KEYDECODE:
	case DKIM_SIGERROR_KEYTOOSMALL:
	case DKIM_SIGERROR_MISSING_D:
	case DKIM_SIGERROR_MISSING_H:
	case DKIM_SIGERROR_MISSING_B:
	case DKIM_SIGERROR_MISSING_BH:
	case DKIM_SIGERROR_MISSING_S:
	case DKIM_SIGERROR_MISSING_V:
	case DKIM_SIGERROR_MISSING_A:
	case DKIM_SIGERROR_VERSION:
	case DKIM_SIGERROR_INVALID_A:
	case DKIM_SIGERROR_INVALID_HC:
	case DKIM_SIGERROR_INVALID_BC:
	case DKIM_SIGERROR_EMPTY_D:
	case DKIM_SIGERROR_EMPTY_S:
	case DKIM_SIGERROR_EMPTY_B:
	case DKIM_SIGERROR_EMPTY_BH:
	case DKIM_SIGERROR_TOOLARGE_L:
	case DKIM_SIGERROR_MBSFAILED:
	case DKIM_SIGERROR_KEYHASHMISMATCH:
	case DKIM_SIGERROR_KEYUNKNOWNHASH:
	case DKIM_SIGERROR_KEYTYPEMISSING:
	case DKIM_SIGERROR_KEYTYPEUNKNOWN:
	case DKIM_SIGERROR_NOTEMAILKEY:
		return "permerror";
	case DKIM_SIGERROR_EXPIRED:
	case DKIM_SIGERROR_FUTURE:
	case DKIM_SIGERROR_TIMESTAMPS:
		return "policy";
	default:
		return "fail";
	}
}

static unsigned long
number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v == 0 || v > max)
		die(EXIT_USAGE, "usage: smtpfront-dkim TIMEOUT_MS BUDGET_MS");
	return v;
}

int
main(int argc, char **argv)
{
	static unsigned char buf[READ_BUF];
	char dom[FIELD_MAX], sel[FIELD_MAX], alg[FIELD_MAX], b[16];
	char reason[128];
	unsigned char sub[16];
	DKIM_SIGINFO **sigs = NULL;
	DKIM_STAT st;
	DKIM_LIB *lib;
	DKIM *dkim;
	dkim_alg_t a;
	size_t sublen;
	ssize_t r;
	int nsigs = 0, i, fed = 0;
	const char *res;

	if (argc != 3)
		die(EXIT_USAGE, "usage: smtpfront-dkim TIMEOUT_MS BUDGET_MS");
	resolver_setup(number(argv[1], 600000), number(argv[2], 600000));
	if ((lib = dkim_init(NULL, NULL)) == NULL)
		die(EXIT_FAIL, "cannot start libopendkim");
	dkim_dns_set_query_service(lib, NULL);
	dkim_dns_set_query_start(lib, dns_start);
	dkim_dns_set_query_cancel(lib, dns_cancel);
	dkim_dns_set_query_waitreply(lib, dns_wait);
	dkim = dkim_verify(lib, (const unsigned char *)"smtpfront", NULL, &st);
	if (dkim == NULL)
		die(EXIT_FAIL, "cannot start a verification: %s",
		    dkim_getresultstr(st));
	for (;;) {
		r = read(0, buf, sizeof(buf));
		if (r == -1)
			die(EXIT_FAIL, "read failed");
		if (r == 0)
			break;
		fed = 1;
		st = dkim_chunk(dkim, buf, (size_t)r);
		if (st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG)
			break;	/* a broken header: what is read decides */
	}
	/* the rest unread: libopendkim has decided already */
	while (r > 0 && (r = read(0, buf, sizeof(buf))) > 0)
		;
	if (fed)
		(void)dkim_chunk(dkim, NULL, 0);
	(void)dkim_eom(dkim, NULL);
	if (dkim_getsiglist(dkim, &sigs, &nsigs) != DKIM_STAT_OK)
		nsigs = 0;
	for (i = 0; i < nsigs; i++) {
		if ((dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_IGNORE) != 0)
			continue;
		res = result_of(dkim, sigs[i]);
		field(dom, sizeof(dom), (const char *)dkim_sig_getdomain(sigs[i]),
		    1);
		field(sel, sizeof(sel),
		    (const char *)dkim_sig_getselector(sigs[i]), 0);
		if (dkim_sig_getsignalg(sigs[i], &a) != DKIM_STAT_OK)
			a = DKIM_SIGN_UNKNOWN;
		field(alg, sizeof(alg), a == DKIM_SIGN_RSASHA256 ?
		    "rsa-sha256" : a == DKIM_SIGN_RSASHA1 ? "rsa-sha1" :
		    a == DKIM_SIGN_ED25519SHA256 ? "ed25519-sha256" : "unknown",
		    0);
		sublen = 8;
		memset(sub, 0, sizeof(sub));
		if (dkim_get_sigsubstring(dkim, sigs[i], (char *)sub,
		    &sublen) != DKIM_STAT_OK)
			sub[0] = '\0';
		field(b, sizeof(b), (const char *)sub, 0);
		reason[0] = '\0';
		if (strcmp(res, "pass") != 0)
			field(reason, sizeof(reason), dkim_sig_geterrorstr(
			    dkim_sig_geterror(sigs[i])), 0);
		printf("sig %s %s %s %s %s%s%s\n", res, dom, sel, alg, b,
		    reason[0] ? " " : "", reason);
	}
	printf("end %d\n", nsigs);
	dkim_free(dkim);
	dkim_close(lib);
	resolver_end();
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}
