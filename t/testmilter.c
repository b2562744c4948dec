/*
 * t/testmilter.c: a milter for t/milter.t, built on Debian's libmilter
 * (libmilter-dev), so that smtpfront's client meets the real library.
 *
 * usage: testmilter SOCKET LOG TAG [DIRECTIVE...]
 *   SOCKET     libmilter's form: inet:PORT@127.0.0.1 or unix:/PATH
 *   LOG        each callback appends one line (with the TAG): what it
 *              got, and the macros it read
 *   DIRECTIVE  PHASE[/SUBSTR]=ACTION: at PHASE (connect helo mail rcpt
 *              data header eoh body eom), when its argument (client
 *              name, HELO, address, "Name: value", the body) holds
 *              SUBSTR, answer ACTION: continue accept reject tempfail
 *              discard, skip (no more body), code:CODE:ESC:TEXT
 *              (smfi_setreply), sleep:N
 *              (then continue), progress:N (N times smfi_progress a
 *              second apart, then continue), exit (the process ends:
 *              the connection closes), garbage (bytes that are no
 *              packet, written on the connection first)
 *              add:NAME:VALUE, ins:IDX:NAME:VALUE, chg:NAME:IDX:VALUE
 *              (an empty VALUE deletes), body:TEXT (the new body, "\n"
 *              for newlines), quarantine:TEXT: changes
 *              made at eom, in the order given
 *              needs:addrcpt: the milter needs to add and delete
 *              recipients (SMFIF_ADDRCPT, SMFIF_DELRCPT)
 *              proto:FLAG,FLAG: protocol flags asked in the negotiation
 *              (noconnect nohelo nohdrs nobody nr_conn nr_helo nr_mail
 *              nr_rcpt nr_hdr nr_eoh nr_body nr_data nodata skip
 *              leadspc)
 * Runs until killed.  No shell, nothing outside LOG and SOCKET.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#define DIRS_MAX	64

static const char *logpath;
static const char *tag;
static const char *dirs[DIRS_MAX];
static int ndirs;
static pthread_mutex_t loglock = PTHREAD_MUTEX_INITIALIZER;
static struct smfiDesc desc;

static void
logf_(const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	pthread_mutex_lock(&loglock);
	if ((f = fopen(logpath, "a")) != NULL) {
		fprintf(f, "%s ", tag);
		va_start(ap, fmt);
		vfprintf(f, fmt, ap);
		va_end(ap);
		fputc('\n', f);
		fclose(f);
	}
	pthread_mutex_unlock(&loglock);
}

static const char *
sym(SMFICTX *ctx, const char *name)
{
	char *v = smfi_getsymval(ctx, (char *)name);

	return v != NULL ? v : "(none)";
}

/* The connected socket (there is one at a time in the tests). */
static int
conn_fd(void)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, type;

	for (fd = 3; fd < 256; fd++) {
		sl = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
			sl = sizeof(type);
			if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl) ==
			    0 && type == SOCK_STREAM)
				return fd;
		}
	}
	return -1;
}

static sfsistat
act(SMFICTX *ctx, const char *phase, const char *arg)
{
	char buf[1024], *code, *esc, *text;
	size_t pl = strlen(phase);
	const char *d, *eq, *sub;
	int i, n;

	for (i = 0; i < ndirs; i++) {
		d = dirs[i];
		if (strncmp(d, phase, pl) != 0 || (d[pl] != '=' && d[pl] != '/'))
			continue;
		eq = strchr(d, '=');
		if (eq == NULL)
			continue;
		if (d[pl] == '/') {
			snprintf(buf, sizeof(buf), "%.*s", (int)(eq - d - pl - 1),
			    d + pl + 1);
			sub = buf;
			if (arg == NULL || strstr(arg, sub) == NULL)
				continue;
		}
		d = eq + 1;
		logf_("act %s %s", phase, d);
		if (strcmp(d, "continue") == 0)
			return SMFIS_CONTINUE;
		if (strcmp(d, "accept") == 0)
			return SMFIS_ACCEPT;
		if (strcmp(d, "reject") == 0)
			return SMFIS_REJECT;
		if (strcmp(d, "tempfail") == 0)
			return SMFIS_TEMPFAIL;
		if (strcmp(d, "discard") == 0)
			return SMFIS_DISCARD;
		if (strcmp(d, "skip") == 0)
			return SMFIS_SKIP;
		if (strcmp(d, "exit") == 0)
			_exit(0);
		if (strcmp(d, "garbage") == 0) {
			int fd = conn_fd();

			if (fd != -1)
				(void)write(fd, "GARBAGE!\r\n", 10);
			return SMFIS_CONTINUE;
		}
		if (strncmp(d, "sleep:", 6) == 0) {
			sleep((unsigned)atoi(d + 6));
			return SMFIS_CONTINUE;
		}
		if (strncmp(d, "progress:", 9) == 0) {
			for (n = atoi(d + 9); n > 0; n--) {
				sleep(1);
				smfi_progress(ctx);
			}
			return SMFIS_CONTINUE;
		}
		if (strncmp(d, "code:", 5) == 0) {
			snprintf(buf, sizeof(buf), "%s", d + 5);
			code = buf;
			if ((esc = strchr(code, ':')) == NULL)
				return SMFIS_TEMPFAIL;
			*esc++ = '\0';
			if ((text = strchr(esc, ':')) == NULL)
				return SMFIS_TEMPFAIL;
			*text++ = '\0';
			if (smfi_setreply(ctx, code, esc[0] ? esc : NULL, text) !=
			    MI_SUCCESS)
				logf_("setreply failed");
			return code[0] == '4' ? SMFIS_TEMPFAIL : SMFIS_REJECT;
		}
	}
	return SMFIS_CONTINUE;
}

static sfsistat
t_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (sa != NULL && sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, addr,
		    sizeof(addr));
		port = ntohs(((struct sockaddr_in *)sa)->sin_port);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr,
		    addr, sizeof(addr));
		port = ntohs(((struct sockaddr_in6 *)sa)->sin6_port);
	}
	logf_("connect host=%s addr=%s port=%d j=%s daemon_name=%s _=%s "
	    "client_addr=%s client_name=%s", host, addr, port, sym(ctx, "j"),
	    sym(ctx, "{daemon_name}"), sym(ctx, "_"), sym(ctx, "{client_addr}"),
	    sym(ctx, "{client_name}"));
	return act(ctx, "connect", host);
}

static sfsistat
t_helo(SMFICTX *ctx, char *helo)
{
	logf_("helo %s tls_version=%s", helo, sym(ctx, "{tls_version}"));
	return act(ctx, "helo", helo);
}

static sfsistat
t_envfrom(SMFICTX *ctx, char **argv)
{
	logf_("mail %s i=%s mail_addr=%s auth_type=%s", argv[0], sym(ctx, "i"),
	    sym(ctx, "{mail_addr}"), sym(ctx, "{auth_type}"));
	return act(ctx, "mail", argv[0]);
}

static sfsistat
t_envrcpt(SMFICTX *ctx, char **argv)
{
	logf_("rcpt %s rcpt_addr=%s", argv[0], sym(ctx, "{rcpt_addr}"));
	return act(ctx, "rcpt", argv[0]);
}

static sfsistat
t_data(SMFICTX *ctx)
{
	logf_("data i=%s", sym(ctx, "i"));
	return act(ctx, "data", "");
}

static sfsistat
t_header(SMFICTX *ctx, char *name, char *value)
{
	char buf[4096];
	size_t i;

	snprintf(buf, sizeof(buf), "%s:%s", name, value);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '\n')
			buf[i] = '|';
		else if (buf[i] == '\r')
			buf[i] = '~';
	logf_("header %s", buf);
	return act(ctx, "header", buf);
}

static sfsistat
t_eoh(SMFICTX *ctx)
{
	logf_("eoh");
	return act(ctx, "eoh", "");
}

static sfsistat
t_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%.*s", (int)(n < 200 ? n : 200), p);
	logf_("body %zu", n);
	return act(ctx, "body", buf);
}

/* "\n" in a directive's text is a newline. */
static void
unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			*w++ = '\n';
			s++;
		} else
			*w++ = *s;
	}
	*w = '\0';
}

static sfsistat
t_eom(SMFICTX *ctx)
{
	char buf[4096], *a, *b, *c;
	int i;

	logf_("eom i=%s", sym(ctx, "i"));
	for (i = 0; i < ndirs; i++) {
		snprintf(buf, sizeof(buf), "%s", dirs[i]);
		if (strncmp(buf, "add:", 4) == 0 &&
		    (a = strchr(buf + 4, ':')) != NULL) {
			*a++ = '\0';
			unescape(a);
			smfi_addheader(ctx, buf + 4, a);
		} else if (strncmp(buf, "ins:", 4) == 0 &&
		    (a = strchr(buf + 4, ':')) != NULL &&
		    (b = strchr(a + 1, ':')) != NULL) {
			*a++ = '\0';
			*b++ = '\0';
			unescape(b);
			smfi_insheader(ctx, atoi(buf + 4), a, b);
		} else if (strncmp(buf, "chg:", 4) == 0 &&
		    (a = strchr(buf + 4, ':')) != NULL &&
		    (c = strchr(a + 1, ':')) != NULL) {
			*a++ = '\0';
			*c++ = '\0';
			unescape(c);
			smfi_chgheader(ctx, buf + 4, atoi(a), c[0] ? c : NULL);
		} else if (strncmp(buf, "body:", 5) == 0) {
			unescape(buf + 5);
			smfi_replacebody(ctx, (unsigned char *)buf + 5,
			    (int)strlen(buf + 5));
		} else if (strncmp(buf, "quarantine:", 11) == 0)
			smfi_quarantine(ctx, buf + 11);
	}
	return act(ctx, "eom", "");
}

static sfsistat
t_abort(SMFICTX *ctx)
{
	(void)ctx;
	logf_("abort");
	return SMFIS_CONTINUE;
}

static sfsistat
t_close(SMFICTX *ctx)
{
	(void)ctx;
	logf_("close");
	return SMFIS_CONTINUE;
}

static const struct { const char *name; unsigned long flag; } flags[] = {
	{ "noconnect", SMFIP_NOCONNECT }, { "nohelo", SMFIP_NOHELO },
	{ "nohdrs", SMFIP_NOHDRS }, { "nobody", SMFIP_NOBODY },
	{ "nr_conn", SMFIP_NR_CONN }, { "nr_helo", SMFIP_NR_HELO },
	{ "nr_mail", SMFIP_NR_MAIL }, { "nr_rcpt", SMFIP_NR_RCPT },
	{ "nr_hdr", SMFIP_NR_HDR }, { "nr_eoh", SMFIP_NR_EOH },
	{ "nr_body", SMFIP_NR_BODY }, { "nr_data", SMFIP_NR_DATA },
	{ "nodata", SMFIP_NODATA }, { "skip", SMFIP_SKIP },
	{ "leadspc", SMFIP_HDR_LEADSPC },
};

static sfsistat
t_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	unsigned long want = 0;
	size_t k;
	int i;

	(void)ctx;
	(void)f2;
	(void)f3;
	logf_("negotiate actions=0x%lx proto=0x%lx", f0, f1);
	for (i = 0; i < ndirs; i++) {
		if (strncmp(dirs[i], "proto:", 6) != 0)
			continue;
		for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			if (strstr(dirs[i] + 6, flags[k].name) != NULL)
				want |= flags[k].flag;
	}
	*pf0 = f0 & desc.xxfi_flags;
	if ((f0 & desc.xxfi_flags) != desc.xxfi_flags) {
		logf_("negotiate: actions 0x%lx not offered",
		    desc.xxfi_flags & ~f0);
		return SMFIS_REJECT;
	}
	*pf1 = want & f1;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	"testmilter", SMFI_VERSION,
	SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_QUARANTINE,
	t_connect, t_helo, t_envfrom, t_envrcpt, t_header, t_eoh, t_body,
	t_eom, t_abort, t_close, NULL, t_data, t_negotiate
};

int
main(int argc, char **argv)
{
	int i;

	if (argc < 4) {
		fprintf(stderr, "usage: testmilter SOCKET LOG TAG "
		    "[DIRECTIVE...]\n");
		return 100;
	}
	logpath = argv[2];
	tag = argv[3];
	for (i = 4; i < argc && ndirs < DIRS_MAX; i++) {
		dirs[ndirs++] = argv[i];
		/* a milter that needs to change recipients */
		if (strcmp(argv[i], "needs:addrcpt") == 0)
			desc.xxfi_flags |= SMFIF_ADDRCPT | SMFIF_DELRCPT;
	}
	if (smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS) {
		fprintf(stderr, "testmilter: cannot set up\n");
		return 111;
	}
	smfi_settimeout(60);
	if (smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "testmilter: cannot listen on %s\n", argv[1]);
		return 111;
	}
	logf_("ready");
	return smfi_main() == MI_SUCCESS ? 0 : 111;
}
