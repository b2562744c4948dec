/*
 * smtpfront-store: look at and tend smtpfront's store (greylisting
 * triplets and networks, honeypot traps, rate counters): the LMDB file
 * or the Redis server of the setting store.
 *
 *   smtpfront-store [-f STORE] list [greylist|network|trap|rate]
 *   smtpfront-store [-f STORE] show ADDRESS
 *   smtpfront-store [-f STORE] allow NETWORK [SECONDS]
 *   smtpfront-store [-f STORE] remove KEY...
 *   smtpfront-store [-f STORE] untrap ADDRESS
 *   smtpfront-store [-f STORE] expire
 *   smtpfront-store [-f STORE] stats
 *
 * STORE is a path or a redis:// address as the setting store takes it;
 * /var/lib/smtpfront/store.mdb by default.  Keys are printed as
 * smtpfront writes them: "g NETWORK SENDER RECIPIENT" (a triplet),
 * "n NETWORK" (a network's passes), "t ADDRESS" (a trapped client),
 * "r WHAT NETWORK" (a rate counter).  Records past their expiry read as
 * absent to smtpfront whatever this command does; expire deletes them
 * from an LMDB file so their pages are reused (Redis expires its keys
 * itself).  Every change is one short write, safe while smtpfront runs.
 * Output: one line a record, "KEY<TAB>first=... last=... count=N
 * expires=... [passed]", times in UTC.  Exit 0, 1 when show or untrap
 * find nothing, 100 on a usage error, 111 when the store cannot be read
 * or written.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "storeurl.h"

#define DEFAULT_PATH	"/var/lib/smtpfront/store.mdb"
#define EXIT_USAGE	100
#define EXIT_FAIL	111
#define GREY_PASSED	0x1
#define ALLOW_DEFAULT	3110400UL	/* 36 days, greylist_net_lifetime */
#define TIMEOUT		5		/* seconds, Redis */
#define SIZE_MB		0		/* LMDB: the file's own size */

static const char *where = DEFAULT_PATH;

struct walk {
	const char	*word;		/* show: a whole field of the key */
	int		 print;
	unsigned long	 shown, live, dead, g, n, t, r;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: smtpfront-store [-f STORE] list "
	    "[greylist|network|trap|rate]\n"
	    "       smtpfront-store [-f STORE] show ADDRESS\n"
	    "       smtpfront-store [-f STORE] allow NETWORK [SECONDS]\n"
	    "       smtpfront-store [-f STORE] remove KEY...\n"
	    "       smtpfront-store [-f STORE] untrap ADDRESS\n"
	    "       smtpfront-store [-f STORE] expire\n"
	    "       smtpfront-store [-f STORE] stats\n");
	exit(EXIT_USAGE);
}

static void __attribute__((noreturn))
die(const char *why)
{
	fprintf(stderr, "smtpfront-store: %s\n", why);
	exit(EXIT_FAIL);
}

static void
stamp(char *buf, size_t size, uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, size, "%llu", (unsigned long long)t);
}

/* The word as a whole field of the key, or a network's address. */
static int
holds(const char *key, size_t klen, const char *word)
{
	size_t wl = strlen(word);
	const char *p = key, *end = key + klen;

	while ((p = memmem(p, (size_t)(end - p), word, wl)) != NULL) {
		if (p > key && p[-1] == ' ' && (p + wl == end ||
		    p[wl] == ' ' || p[wl] == '/'))
			return 1;
		p++;
	}
	return 0;
}

static void
each(const char *key, size_t klen, const struct store_rec *r, int live,
    void *arg)
{
	struct walk *w = arg;
	char f[32], l[32], e[32];

	if (!live) {
		w->dead++;
		return;
	}
	w->live++;
	switch (key[0]) {
	case 'g': w->g++; break;
	case 'n': w->n++; break;
	case 't': w->t++; break;
	case 'r': w->r++; break;
	default: break;
	}
	if (!w->print || (w->word != NULL && !holds(key, klen, w->word)))
		return;
	stamp(f, sizeof(f), r->first);
	stamp(l, sizeof(l), r->last);
	stamp(e, sizeof(e), r->expires);
	printf("%.*s\tfirst=%s last=%s count=%lu expires=%s%s\n", (int)klen,
	    key, f, l, (unsigned long)r->count, e,
	    key[0] == 'g' && (r->flags & GREY_PASSED) ? " passed" : "");
	w->shown++;
}

static unsigned long
seconds(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v == 0 || v > 31536000UL)
		usage();
	return v;
}

int
main(int argc, char **argv)
{
	static const char *const cmds[] = { "list", "show", "allow",
	    "remove", "untrap", "expire", "stats", NULL };
	char key[STORE_KEY_MAX + 1], why[STORE_WHY_MAX + 1], about[256];
	struct storeurl u;
	struct store_rec rec;
	struct walk w;
	uint64_t now = (uint64_t)time(NULL);
	const char *cmd;
	int i = 1, k, n, r;
	char kind = '\0';

	if (argc > 2 && strcmp(argv[1], "-f") == 0) {
		where = argv[2];
		i = 3;
	}
	if (i >= argc)
		usage();
	cmd = argv[i];
	n = argc - i;		/* the command and its arguments */
	for (k = 0; cmds[k] != NULL; k++)
		if (strcmp(cmd, cmds[k]) == 0)
			break;
	if (cmds[k] == NULL)
		usage();
	if (storeurl_parse(where, &u, why, sizeof(why)) == -1) {
		fprintf(stderr, "smtpfront-store: %s: %s\n", where, why);
		exit(EXIT_USAGE);
	}
	store_setup(where, SIZE_MB, TIMEOUT);
	memset(&w, 0, sizeof(w));
	if (strcmp(cmd, "list") == 0 && n <= 2) {
		if (n == 2) {
			if (strcmp(argv[i + 1], "greylist") == 0)
				kind = 'g';
			else if (strcmp(argv[i + 1], "network") == 0)
				kind = 'n';
			else if (strcmp(argv[i + 1], "trap") == 0)
				kind = 't';
			else if (strcmp(argv[i + 1], "rate") == 0)
				kind = 'r';
			else
				usage();
		}
		w.print = 1;
		if (store_walk(kind, each, &w, 0, why, sizeof(why)) == -1)
			die(why);
	} else if (strcmp(cmd, "show") == 0 && n == 2) {
		w.print = 1;
		w.word = argv[i + 1];
		if (store_walk('\0', each, &w, 0, why, sizeof(why)) == -1)
			die(why);
		if (w.shown == 0)
			return 1;
	} else if (strcmp(cmd, "allow") == 0 && (n == 2 || n == 3)) {
		if (strchr(argv[i + 1], '/') == NULL ||
		    strchr(argv[i + 1], ' ') != NULL)
			usage();
		memset(&rec, 0, sizeof(rec));
		rec.first = rec.last = now;
		rec.count = UINT32_MAX;		/* past any net_passes */
		rec.expires = now + (n == 3 ? seconds(argv[i + 2]) :
		    ALLOW_DEFAULT);
		r = snprintf(key, sizeof(key), "n %s", argv[i + 1]);
		if (r < 0 || (size_t)r >= sizeof(key))
			usage();
		if (store_put(key, (size_t)r, &rec, why, sizeof(why)) == -1)
			die(why);
	} else if (strcmp(cmd, "remove") == 0 && n >= 2) {
		for (i++; i < argc; i++) {
			r = store_del(argv[i], strlen(argv[i]), why,
			    sizeof(why));
			if (r == -1)
				die(why);
			if (r == 0)
				fprintf(stderr, "smtpfront-store: no key %s\n",
				    argv[i]);
		}
	} else if (strcmp(cmd, "untrap") == 0 && n == 2) {
		r = snprintf(key, sizeof(key), "t %s", argv[i + 1]);
		if (r < 0 || (size_t)r >= sizeof(key))
			usage();
		if ((r = store_del(key, (size_t)r, why, sizeof(why))) == -1)
			die(why);
		store_close();
		return r ? 0 : 1;
	} else if (strcmp(cmd, "expire") == 0 && n == 1) {
		if (store_walk('\0', each, &w, 1, why, sizeof(why)) == -1)
			die(why);
		printf("expired %lu, kept %lu\n", w.dead, w.live);
	} else if (strcmp(cmd, "stats") == 0 && n == 1) {
		if (store_walk('\0', each, &w, 0, why, sizeof(why)) == -1 ||
		    store_about(about, sizeof(about), why, sizeof(why)) == -1)
			die(why);
		printf("greylist %lu\nnetwork %lu\ntrap %lu\nrate %lu\n"
		    "expired %lu\n%s\n", w.g, w.n, w.t, w.r, w.dead, about);
	} else
		usage();
	store_close();
	return 0;
}
