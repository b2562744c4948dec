/*
 * smtpfront-spf: one SPF check (RFC 7208) of the MAIL FROM identity with
 * libspf2, for smtpfront, which starts it at MAIL when spf_action is on
 * (the program beside smtpfront) and reads its answer at RCPT.
 *
 *   smtpfront-spf TIMEOUT_MS BUDGET_MS [RECEIVER]
 *
 * RECEIVER, our host name, is named in the header's comment.
 * Input: one line on standard input, "IP<TAB>HELO<TAB>SENDER" (SENDER
 * empty for the null sender: then postmaster@HELO is checked, RFC 7208
 * 2.4).  Client values come through standard input, never the argument
 * vector.  Output: one line, "RESULT<TAB>VALUE": the result (pass, fail,
 * softfail, neutral, none, temperror, permerror) and the value of a
 * Received-SPF header, made printable and cut.  Exit 0; 100 on a usage
 * error, 111 when it cannot work (no memory, bad input).
 *
 * Why a program of its own: libspf2 has had remote overflow advisories
 * (it runs here, apart from the session, with nothing of it but one
 * line), and Debian's libspf2 is built against glibc (its static
 * library needs __fprintf_chk, res_ninit and the like, which musl lacks):
 * smtpfront itself stays static and small.
 *
 * DNS: libspf2's own resolver (res_query, with the system's timeouts and
 * servers) is not used.  Its lookups go through a DNS layer written here
 * over smtpfront's resolver (resolver.c: the servers of DNSCACHEIP, else
 * /etc/resolv.conf; each query within TIMEOUT_MS, all of them within
 * BUDGET_MS; answers read with dnspkt.c, TXT strings joined per record).
 * A lookup that fails is TRY_AGAIN to libspf2: temperror.  libspf2 gives
 * "invalid" for a DNS error at the top level (SPF_E_DNS_ERROR): that is
 * temperror too; any other "invalid" is permerror.
 */
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <spf2/spf.h>

#include "dnspkt.h"
#include "resolver.h"

#define LINE_MAX_IN	1024
#define TXT_MAX		4096	/* one TXT record, strings joined */
#define VALUE_MAX	200	/* of the header value written back */
#define EXIT_USAGE	100
#define EXIT_FAIL	111

static void __attribute__((noreturn))
die(int code, const char *why)
{
	fprintf(stderr, "smtpfront-spf: %s\n", why);
	exit(code);
}

/* Copy a dotted name or text into rr->rr[n]. */
static int
put_text(SPF_dns_rr_t *rr, int n, const char *s)
{
	size_t len = strlen(s);

	if (SPF_dns_rr_buf_realloc(rr, n, len + 1) != SPF_E_SUCCESS)
		return -1;
	memcpy(rr->rr[n]->txt, s, len + 1);
	return 0;
}

/* The answer of query q in libspf2's form. */
static SPF_dns_rr_t *
answer(SPF_dns_server_t *ds, const char *domain, ns_type type, int q)
{
	static char txt[TXT_MAX + 1];
	char name[DNSPKT_NAME_MAX + 1];
	struct dnspkt d;
	struct dnspkt_rr r;
	const unsigned char *p;
	SPF_dns_rr_t *rr;
	size_t len;
	int n = 0, ok;

	rr = SPF_dns_rr_new_init(ds, domain, type, 0, NETDB_SUCCESS);
	if (rr == NULL)
		return NULL;
	if ((p = resolver_packet(q, &len)) == NULL ||
	    dnspkt_open(&d, p, len) == -1) {
		rr->herrno = TRY_AGAIN;
		return rr;
	}
	while (dnspkt_next(&d, &r) == 1) {
		if (r.type != (unsigned int)type)
			continue;
		ok = -1;
		switch (type) {
		case ns_t_a:
			if (r.rdlen == 4 && SPF_dns_rr_buf_realloc(rr, n,
			    sizeof(struct in_addr)) == SPF_E_SUCCESS) {
				memcpy(&rr->rr[n]->a, p + r.rdpos, 4);
				ok = 0;
			}
			break;
		case ns_t_aaaa:
			if (r.rdlen == 16 && SPF_dns_rr_buf_realloc(rr, n,
			    sizeof(struct in6_addr)) == SPF_E_SUCCESS) {
				memcpy(&rr->rr[n]->aaaa, p + r.rdpos, 16);
				ok = 0;
			}
			break;
		case ns_t_txt:
			if (dnspkt_txt(&d, &r, txt, sizeof(txt)) >= 0)
				ok = put_text(rr, n, txt);
			break;
		case ns_t_mx:
			if (r.rdlen > 2 && dnspkt_name(&d, r.rdpos + 2, name,
			    sizeof(name)) >= 0)
				ok = put_text(rr, n, name);
			break;
		case ns_t_ptr:
			if (dnspkt_name(&d, r.rdpos, name, sizeof(name)) >= 0)
				ok = put_text(rr, n, name);
			break;
		default:
			break;
		}
		if (ok == 0)
			n++;
	}
	rr->num_rr = n;
	if (n == 0)
		rr->herrno = NO_DATA;
	return rr;
}

/* libspf2's DNS layer: each lookup one query of smtpfront's resolver. */
static SPF_dns_rr_t *
lookup(SPF_dns_server_t *ds, const char *domain, ns_type type, int cache)
{
	int q;

	(void)cache;
	q = resolver_ask((unsigned int)type, domain, 0, NULL, NULL);
	resolver_wait(0);
	switch (resolver_status(q)) {
	case RESOLVER_FOUND:
		return answer(ds, domain, type, q);
	case RESOLVER_NONE:
		return SPF_dns_rr_new_init(ds, domain, type, 0,
		    strcmp(resolver_why(q), "nxdomain") == 0 ?
		    HOST_NOT_FOUND : NO_DATA);
	default:
		return SPF_dns_rr_new_init(ds, domain, type, 0, TRY_AGAIN);
	}
}

static unsigned long
number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v == 0 || v > max)
		die(EXIT_USAGE, "usage: smtpfront-spf TIMEOUT_MS BUDGET_MS "
		    "[RECEIVER]");
	return v;
}

int
main(int argc, char **argv)
{
	static SPF_dns_server_t layer;
	char line[LINE_MAX_IN + 1], from[LINE_MAX_IN + 16], value[VALUE_MAX + 1];
	char *ip, *helo, *sender, *tab;
	const char *res, *v;
	SPF_server_t *srv;
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	SPF_result_t result;
	SPF_errcode_t err;
	size_t n, i;
	int ok;

	if (argc != 3 && argc != 4)
		die(EXIT_USAGE, "usage: smtpfront-spf TIMEOUT_MS BUDGET_MS "
		    "[RECEIVER]");
	resolver_setup(number(argv[1], 600000), number(argv[2], 600000));
	if (fgets(line, sizeof(line), stdin) == NULL ||
	    (n = strlen(line)) == 0 || line[n - 1] != '\n')
		die(EXIT_FAIL, "no request line");
	line[n - 1] = '\0';
	ip = line;
	if ((tab = strchr(ip, '\t')) == NULL)
		die(EXIT_FAIL, "bad request line");
	*tab = '\0';
	helo = tab + 1;
	if ((tab = strchr(helo, '\t')) == NULL)
		die(EXIT_FAIL, "bad request line");
	*tab = '\0';
	sender = tab + 1;
	/* (cut, not refused: a longer line is no request of smtpfront's) */
	if ((sender[0] == '\0' ? snprintf(from, sizeof(from), "postmaster@%s",
	    helo) : snprintf(from, sizeof(from), "%s", sender)) < 0)
		die(EXIT_FAIL, "bad request line");

	layer.lookup = lookup;
	layer.name = "smtpfront";
	if ((srv = SPF_server_new_dns(&layer, 0)) == NULL ||
	    (req = SPF_request_new(srv)) == NULL)
		die(EXIT_FAIL, "no memory");
	if (argc == 4 && argv[3][0] != '\0')
		(void)SPF_server_set_rec_dom(srv, argv[3]);
	ok = strchr(ip, ':') != NULL ?
	    SPF_request_set_ipv6_str(req, ip) : SPF_request_set_ipv4_str(req, ip);
	if (ok != SPF_E_SUCCESS)
		die(EXIT_FAIL, "bad client address");
	(void)SPF_request_set_helo_dom(req, helo);
	if (SPF_request_set_env_from(req, from) != 0) {
		/* a sender libspf2 cannot take apart: no policy applies */
		printf("permerror\tpermerror (sender not checkable)\n");
		SPF_request_free(req);
		SPF_server_free(srv);
		return fflush(stdout) == EOF ? EXIT_FAIL : 0;
	}
	err = SPF_request_query_mailfrom(req, &resp);
	result = resp != NULL ? SPF_response_result(resp) : SPF_RESULT_INVALID;
	switch (result) {
	case SPF_RESULT_PASS:		res = "pass"; break;
	case SPF_RESULT_FAIL:		res = "fail"; break;
	case SPF_RESULT_SOFTFAIL:	res = "softfail"; break;
	case SPF_RESULT_NEUTRAL:	res = "neutral"; break;
	case SPF_RESULT_NONE:		res = "none"; break;
	case SPF_RESULT_TEMPERROR:	res = "temperror"; break;
	case SPF_RESULT_PERMERROR:	res = "permerror"; break;
	default:
		res = err == SPF_E_DNS_ERROR ? "temperror" : "permerror";
	}
	v = resp != NULL ? SPF_response_get_received_spf_value(resp) : NULL;
	/* the header value, cut at VALUE_MAX */
	if ((v == NULL || strcmp(res, SPF_strresult(result)) != 0 ?
	    snprintf(value, sizeof(value), "%s (client-ip=%s; "
	    "envelope-from=%s; helo=%s)", res, ip, from, helo) :
	    snprintf(value, sizeof(value), "%s", v)) < 0)
		value[0] = '\0';
	for (i = 0; value[i] != '\0'; i++)
		if ((unsigned char)value[i] < 32 ||
		    (unsigned char)value[i] > 126)
			value[i] = '?';
	printf("%s\t%s\n", res, value);
	/* out before anything at exit (a sanitizer build's leak check) can
	 * end the process */
	if (fflush(stdout) == EOF)
		die(EXIT_FAIL, "cannot write the answer");
	if (resp != NULL)
		SPF_response_free(resp);
	SPF_request_free(req);
	SPF_server_free(srv);
	resolver_end();
	return 0;
}
