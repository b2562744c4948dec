/*
 * t/unit-starttls.c: the lines smtpfront reads from smtpfront-tls
 * (starttls_facts: "PROTOCOL CIPHER BITS", anything else refused,
 * "fail ..." included) and the path of the program beside smtpfront
 * (starttls_program).  Prints TAP.
 */
#include <string.h>
#include "starttls.h"
#include "tap.h"

static const struct {
	const char	*line;
	int		 ok;
	const char	*proto, *cipher, *bits;
} facts[] = {
	{ "TLSv1.3 TLS_AES_256_GCM_SHA384 256", 0, "TLSv1.3",
	    "TLS_AES_256_GCM_SHA384", "256" },
	{ "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 128", 0, "TLSv1.2",
	    "ECDHE-ECDSA-AES128-GCM-SHA256", "128" },
	{ "fail handshake timeout", -1, NULL, NULL, NULL },
	{ "fail", -1, NULL, NULL, NULL },
	{ "", -1, NULL, NULL, NULL },
	{ "TLSv1.3", -1, NULL, NULL, NULL },
	{ "TLSv1.3 TLS_AES_256_GCM_SHA384", -1, NULL, NULL, NULL },
	{ "TLSv1.3 TLS_AES_256_GCM_SHA384 256 extra", -1, NULL, NULL, NULL },
	{ "TLSv1.3 TLS_AES_256_GCM_SHA384 25x", -1, NULL, NULL, NULL },
	{ "TLSv1.3  TLS_AES_256_GCM_SHA384 256", -1, NULL, NULL, NULL },
	{ "TLSv1.3 TLS_AES_256_GCM_SHA384 256 ", -1, NULL, NULL, NULL },
	{ "TLSv1.3 TLS\tX 256", -1, NULL, NULL, NULL },
	{ "TLSv1.3 TLS\177X 256", -1, NULL, NULL, NULL },
	{ "TLSv1.3 TLS\303\251X 256", -1, NULL, NULL, NULL },
	{ "TLSv1.3 TLS_AES 12345678", -1, NULL, NULL, NULL },
	{ "TLSv1.3-and-a-protocol-name-far-too-long X 1", -1, NULL, NULL,
	    NULL },
	{ "TLSv1.3 "
	    "C123456789012345678901234567890123456789012345678901234567890123"
	    " 1", -1, NULL, NULL, NULL },
};

int
main(void)
{
	struct tls_facts f;
	char buf[64];
	size_t i;
	int r;

	for (i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		memset(&f, 0, sizeof(f));
		r = starttls_facts(facts[i].line, strlen(facts[i].line), &f);
		ok(r == facts[i].ok, "facts \"%s\": %s", show(facts[i].line,
		    strlen(facts[i].line)), facts[i].ok == 0 ? "taken" :
		    "refused");
		if (facts[i].ok == 0)
			ok(r == 0 && strcmp(f.proto, facts[i].proto) == 0 &&
			    strcmp(f.cipher, facts[i].cipher) == 0 &&
			    strcmp(f.bits, facts[i].bits) == 0,
			    "facts \"%s\": the three fields",
			    show(facts[i].line, strlen(facts[i].line)));
	}
	ok(starttls_program("/usr/local/bin/smtpfront", buf, sizeof(buf)) ==
	    0 && strcmp(buf, "/usr/local/bin/smtpfront-tls") == 0,
	    "program beside /usr/local/bin/smtpfront");
	ok(starttls_program("smtpfront", buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "smtpfront-tls") == 0,
	    "program from $PATH for a bare smtpfront");
	ok(starttls_program("./smtpfront", buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "./smtpfront-tls") == 0, "program beside ./smtpfront");
	ok(starttls_program("/a/very/long/directory/name/that/does/not/fit/"
	    "in/the/buffer/smtpfront", buf, sizeof(buf)) == -1,
	    "a path too long is refused");
	return done();
}
