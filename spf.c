/*
 * spf.c: start smtpfront-spf, watch and read its answer (see spf.h).
 * Input: the client's address, HELO and sender, written to the helper's
 * standard input (never its argument vector); settings for its argument
 * vector.  Output: its one line, checked: a known result word, a TAB,
 * printable ASCII.  Failure: -1 with why; the check decides (temperror).
 * Nothing here logs or allocates.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"
#include "resolver.h"
#include "spf.h"

#define PROG_MAX	1024
#define REQUEST_MAX	1024
#define ANSWER_MAX	(SPF_RESULT_MAX + 1 + SPF_VALUE_MAX + 2)
#define HELPER_SLACK_MS	1000	/* past its own budget: it is stuck */

static char	 prog[PROG_MAX];
static const char *self_path = "";	/* noted at setup, used at the first
					 * SPF question: a session that asks
					 * none writes no page of prog */
static pid_t	 pid;
static int	 in = -1, out = -1;
static int	 job = -1;

static const char *const results[] = {
	"pass", "fail", "softfail", "neutral", "none", "temperror",
	"permerror", NULL
};

void
spf_setup(const char *self)
{
	self_path = self;
}

/* smtpfront-spf beside smtpfront, into prog. */
static void
program(void)
{
	const char *slash = strrchr(self_path, '/');
	size_t d = slash != NULL ? (size_t)(slash - self_path) + 1 : 0;

	if (d + sizeof(SPF_PROGRAM) > sizeof(prog))
		d = 0;
	memcpy(prog, self_path, d);
	memcpy(prog + d, SPF_PROGRAM, sizeof(SPF_PROGRAM));
}

void
spf_end(void)
{
	int st;

	if (pid > 0)
		(void)proc_kill(pid, &in, &out, &st);
	pid = 0;
	in = out = -1;
	job = -1;
}

static void
say(char *why, size_t size, const char *a, const char *b)
{
	(void)snprintf(why, size, "%s%s%s", a, b[0] ? ": " : "", b);
}

int
spf_ask(const char *ip, const char *helo, const char *sender, int need,
    unsigned long timeout_ms, unsigned long budget_ms, const char *self_name,
    char *why, size_t wsize)
{
	char req[REQUEST_MAX], t[24], b[24];
	char *argv[5];
	int pin[2], pout[2], fail, n;

	spf_end();
	if (strchr(helo, '\t') != NULL || strchr(sender, '\t') != NULL) {
		say(why, wsize, "a TAB in the HELO or the sender", "");
		return -1;
	}
	n = snprintf(req, sizeof(req), "%s\t%s\t%s\n", ip, helo, sender);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		say(why, wsize, "request too long", "");
		return -1;
	}
	(void)snprintf(t, sizeof(t), "%lu", timeout_ms);
	(void)snprintf(b, sizeof(b), "%lu", budget_ms);
	program();
	argv[0] = prog;
	argv[1] = t;
	argv[2] = b;
	argv[3] = (char *)self_name;
	argv[4] = NULL;
	if (proc_pipe(pin, PROC_NB_WRITE) == -1) {
		say(why, wsize, "pipe", strerror(errno));
		return -1;
	}
	if (proc_pipe(pout, PROC_NB_READ) == -1) {
		close(pin[0]);
		close(pin[1]);
		say(why, wsize, "pipe", strerror(errno));
		return -1;
	}
	/* execvp: beside smtpfront, or on $PATH when argv[0] had no '/' */
	pid = proc_spawn(argv, NULL, pin[0], pout[1], -1, &fail);
	close(pin[0]);
	close(pout[1]);
	in = pin[1];
	out = pout[0];
	if (pid == -1) {
		pid = 0;
		say(why, wsize, fail == PROC_FAIL_EXEC ?
		    "cannot run " SPF_PROGRAM : "cannot start " SPF_PROGRAM,
		    strerror(errno));
		spf_end();
		return -1;
	}
	/* a short line into an empty pipe: it fits at once */
	if (proc_write(in, req, (size_t)n, time(NULL) + 1) != 0) {
		say(why, wsize, "cannot write to " SPF_PROGRAM, "");
		spf_end();
		return -1;
	}
	close(in);
	in = -1;
	job = resolver_watch(out, need, budget_ms + HELPER_SLACK_MS);
	if (job == -1) {
		say(why, wsize, "no query slot left", "");
		spf_end();
		return -1;
	}
	return job;
}

int
spf_get(int q, char *result, size_t rsize, char *value, size_t vsize,
    char *why, size_t wsize)
{
	char buf[ANSWER_MAX + 1];
	size_t got = 0, i;
	ssize_t r;
	char *tab, *nl;
	int k, st;

	if (q != job || q == -1 || pid <= 0) {
		say(why, wsize, SPF_PROGRAM " not running", "");
		return -1;
	}
	if (resolver_status(q) != RESOLVER_FOUND) {
		say(why, wsize, SPF_PROGRAM, resolver_why(q));
		spf_end();
		return -1;
	}
	/* its whole answer, one short line: there by the time it is
	 * readable, or soon after */
	while (got < sizeof(buf) - 1) {
		r = proc_read(out, buf + got, sizeof(buf) - 1 - got,
		    time(NULL) + 1, 1);
		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(buf, '\n', got) != NULL)
			break;
	}
	buf[got] = '\0';
	(void)proc_reap(pid, &in, &out, time(NULL) + 1, &st);
	pid = 0;
	job = -1;
	if ((nl = strchr(buf, '\n')) == NULL || (tab = strchr(buf, '\t')) ==
	    NULL || tab > nl) {
		say(why, wsize, SPF_PROGRAM " said nothing sensible", "");
		return -1;
	}
	*nl = *tab = '\0';
	for (k = 0; results[k] != NULL; k++)
		if (strcmp(buf, results[k]) == 0)
			break;
	if (results[k] == NULL || strlen(buf) >= rsize) {
		say(why, wsize, SPF_PROGRAM " gave no result", "");
		return -1;
	}
	memcpy(result, buf, strlen(buf) + 1);
	(void)snprintf(value, vsize, "%s", tab + 1);
	for (i = 0; value[i] != '\0'; i++)
		if ((unsigned char)value[i] < 32 ||
		    (unsigned char)value[i] > 126)
			value[i] = '?';
	return 0;
}
