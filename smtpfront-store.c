/*
 * smtpfront-store: look at and tend smtpfront's store (greylisting
 * triplets and networks, honeypot traps), the LMDB file of the setting
 * store.
 *
 *   smtpfront-store [-f PATH] list [greylist|network|trap]
 *   smtpfront-store [-f PATH] show ADDRESS
 *   smtpfront-store [-f PATH] allow NETWORK [SECONDS]
 *   smtpfront-store [-f PATH] remove KEY...
 *   smtpfront-store [-f PATH] untrap ADDRESS
 *   smtpfront-store [-f PATH] expire
 *   smtpfront-store [-f PATH] stats
 *
 * PATH defaults to /var/lib/smtpfront/store.mdb.  Keys are printed as
 * smtpfront writes them: "g NETWORK SENDER RECIPIENT" (a triplet),
 * "n NETWORK" (a network's passes), "t ADDRESS" (a trapped client).
 * Records past their expiry read as absent to smtpfront whatever this
 * command does; expire deletes them so their pages are reused.  Every
 * change is one short write transaction, safe while smtpfront runs.
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
#include <lmdb.h>

#include "store.h"

#define DEFAULT_PATH	"/var/lib/smtpfront/store.mdb"
#define EXIT_USAGE	100
#define EXIT_FAIL	111
#define GREY_PASSED	0x1
#define ALLOW_DEFAULT	3110400UL	/* 36 days, greylist_net_lifetime */

static MDB_env	*env;
static MDB_dbi	 dbi;
static const char *path = DEFAULT_PATH;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: smtpfront-store [-f PATH] list "
	    "[greylist|network|trap]\n"
	    "       smtpfront-store [-f PATH] show ADDRESS\n"
	    "       smtpfront-store [-f PATH] allow NETWORK [SECONDS]\n"
	    "       smtpfront-store [-f PATH] remove KEY...\n"
	    "       smtpfront-store [-f PATH] untrap ADDRESS\n"
	    "       smtpfront-store [-f PATH] expire\n"
	    "       smtpfront-store [-f PATH] stats\n");
	exit(EXIT_USAGE);
}

static void __attribute__((noreturn))
die(const char *what, int r)
{
	fprintf(stderr, "smtpfront-store: %s: %s: %s\n", path, what,
	    mdb_strerror(r));
	exit(EXIT_FAIL);
}

static void
open_store(void)
{
	MDB_txn *txn;
	int r, dead;

	if ((r = mdb_env_create(&env)) != 0)
		die("create", r);
	/* 0: the size the file has, or LMDB's default for a new one */
	(void)mdb_env_set_maxreaders(env, 1024);
	if ((r = mdb_env_open(env, path, MDB_NOSUBDIR, 0660)) != 0)
		die("open", r);
	(void)mdb_reader_check(env, &dead);
	if ((r = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (r = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0 ||
	    (r = mdb_txn_commit(txn)) != 0)
		die("open", r);
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

static void
print(const MDB_val *k, const MDB_val *v)
{
	struct store_rec r;
	char f[32], l[32], e[32];

	if (v->mv_size != sizeof(r))
		return;
	memcpy(&r, v->mv_data, sizeof(r));
	stamp(f, sizeof(f), r.first);
	stamp(l, sizeof(l), r.last);
	stamp(e, sizeof(e), r.expires);
	printf("%.*s\tfirst=%s last=%s count=%lu expires=%s%s\n",
	    (int)k->mv_size, (const char *)k->mv_data, f, l,
	    (unsigned long)r.count, e,
	    k->mv_size > 0 && ((const char *)k->mv_data)[0] == 'g' &&
	    (r.flags & GREY_PASSED) ? " passed" : "");
}

static int
expired(const MDB_val *v, uint64_t now)
{
	struct store_rec r;

	if (v->mv_size != sizeof(r))
		return 1;
	memcpy(&r, v->mv_data, sizeof(r));
	return r.expires <= now;
}

/*
 * Walk every record; with kind, only keys starting with it; with word,
 * only keys holding it as a field.  Print the live ones, or with del
 * delete the expired ones.  The number found.
 */
static unsigned long
walk(char kind, const char *word, int del, unsigned long *live)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t now = (uint64_t)time(NULL);
	unsigned long n = 0;
	size_t wl = word != NULL ? strlen(word) : 0;
	int r, op = MDB_FIRST;

	if ((r = mdb_txn_begin(env, NULL, del ? 0 : MDB_RDONLY, &txn)) != 0)
		die("begin", r);
	if ((r = mdb_cursor_open(txn, dbi, &cur)) != 0)
		die("cursor", r);
	while ((r = mdb_cursor_get(cur, &k, &v, op)) == 0) {
		const char *key = k.mv_data;

		op = MDB_NEXT;
		if (kind != '\0' && (k.mv_size < 2 || key[0] != kind))
			continue;
		if (word != NULL) {
			/* the word as a whole field, or a network prefix */
			const char *p = memmem(key, k.mv_size, word, wl);

			if (p == NULL || p[-1] != ' ' ||
			    (p + wl < key + k.mv_size && p[wl] != ' ' &&
			    p[wl] != '/'))
				continue;
		}
		if (del) {
			if (expired(&v, now)) {
				if ((r = mdb_cursor_del(cur, 0)) != 0)
					die("delete", r);
				n++;
			} else if (live != NULL)
				(*live)++;
			continue;
		}
		if (expired(&v, now))
			continue;
		print(&k, &v);
		n++;
	}
	if (r != MDB_NOTFOUND)
		die("read", r);
	mdb_cursor_close(cur);
	if (del) {
		if ((r = mdb_txn_commit(txn)) != 0)
			die("commit", r);
	} else
		mdb_txn_abort(txn);
	return n;
}

static void
put(const char *key, const struct store_rec *rec)
{
	MDB_txn *txn;
	MDB_val k, v;
	int r;

	k.mv_data = (void *)key;
	k.mv_size = strlen(key);
	v.mv_data = (void *)rec;
	v.mv_size = sizeof(*rec);
	if ((r = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
		die("begin", r);
	if ((r = mdb_put(txn, dbi, &k, &v, 0)) != 0)
		die("put", r);
	if ((r = mdb_txn_commit(txn)) != 0)
		die("commit", r);
}

static int
del(const char *key)
{
	MDB_txn *txn;
	MDB_val k;
	int r;

	k.mv_data = (void *)key;
	k.mv_size = strlen(key);
	if ((r = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
		die("begin", r);
	r = mdb_del(txn, dbi, &k, NULL);
	if (r == MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return 0;
	}
	if (r != 0)
		die("delete", r);
	if ((r = mdb_txn_commit(txn)) != 0)
		die("commit", r);
	return 1;
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
	char key[STORE_KEY_MAX + 1];
	struct store_rec rec;
	MDB_stat st;
	MDB_envinfo info;
	MDB_txn *txn;
	unsigned long n, live = 0;
	uint64_t now = (uint64_t)time(NULL);
	int i = 1, r, found;

	if (argc > 2 && strcmp(argv[1], "-f") == 0) {
		path = argv[2];
		i = 3;
	}
	if (i >= argc)
		usage();
	{
		static const char *const cmds[] = { "list", "show", "allow",
		    "remove", "untrap", "expire", "stats", NULL };
		int k;

		for (k = 0; cmds[k] != NULL; k++)
			if (strcmp(argv[i], cmds[k]) == 0)
				break;
		if (cmds[k] == NULL)
			usage();
	}
	open_store();
	if (strcmp(argv[i], "list") == 0 && argc - i <= 2) {
		char kind = '\0';

		if (argc - i == 2) {
			if (strcmp(argv[i + 1], "greylist") == 0)
				kind = 'g';
			else if (strcmp(argv[i + 1], "network") == 0)
				kind = 'n';
			else if (strcmp(argv[i + 1], "trap") == 0)
				kind = 't';
			else
				usage();
		}
		(void)walk(kind, NULL, 0, NULL);
	} else if (strcmp(argv[i], "show") == 0 && argc - i == 2) {
		if (walk('\0', argv[i + 1], 0, NULL) == 0)
			return 1;
	} else if (strcmp(argv[i], "allow") == 0 &&
	    (argc - i == 2 || argc - i == 3)) {
		if (strchr(argv[i + 1], '/') == NULL ||
		    strchr(argv[i + 1], ' ') != NULL)
			usage();
		memset(&rec, 0, sizeof(rec));
		rec.first = rec.last = now;
		rec.count = UINT32_MAX;		/* past any net_passes */
		rec.expires = now + (argc - i == 3 ? seconds(argv[i + 2]) :
		    ALLOW_DEFAULT);
		(void)snprintf(key, sizeof(key), "n %s", argv[i + 1]);
		put(key, &rec);
	} else if (strcmp(argv[i], "remove") == 0 && argc - i >= 2) {
		for (i++; i < argc; i++)
			if (!del(argv[i]))
				fprintf(stderr, "smtpfront-store: no key %s\n",
				    argv[i]);
	} else if (strcmp(argv[i], "untrap") == 0 && argc - i == 2) {
		(void)snprintf(key, sizeof(key), "t %s", argv[i + 1]);
		return del(key) ? 0 : 1;
	} else if (strcmp(argv[i], "expire") == 0 && argc - i == 1) {
		n = walk('\0', NULL, 1, &live);
		printf("expired %lu, kept %lu\n", n, live);
	} else if (strcmp(argv[i], "stats") == 0 && argc - i == 1) {
		unsigned long g = 0, nw = 0, t = 0, all = 0;
		MDB_cursor *cur;
		MDB_val k, v;

		if ((r = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0 ||
		    (r = mdb_cursor_open(txn, dbi, &cur)) != 0)
			die("begin", r);
		found = MDB_FIRST;
		while (mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)found) ==
		    0) {
			found = MDB_NEXT;
			all++;
			if (expired(&v, now))
				continue;
			switch (((const char *)k.mv_data)[0]) {
			case 'g': g++; break;
			case 'n': nw++; break;
			case 't': t++; break;
			default: break;
			}
		}
		mdb_cursor_close(cur);
		(void)mdb_stat(txn, dbi, &st);
		mdb_txn_abort(txn);
		(void)mdb_env_info(env, &info);
		printf("greylist %lu\nnetwork %lu\ntrap %lu\nexpired %lu\n"
		    "pages %lu of %lu (page %u bytes)\n", g, nw, t,
		    all - g - nw - t, (unsigned long)info.me_last_pgno + 1,
		    (unsigned long)(info.me_mapsize / st.ms_psize),
		    st.ms_psize);
	} else
		usage();
	mdb_env_close(env);
	return 0;
}
