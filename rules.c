/*
 * rules.c: read access to the constant rules database built by
 * smtpfront-cdb, and the parsing of setting values shared by the compiler
 * and the per-connection program.
 *
 * Inputs: the CDB file (layout in rules.h), the settings table in
 * rules_table.c and the environment (SMTPFRONT_NAME overrides).
 * Outputs: struct config, raw values and list hits.
 *
 * Failure: every lookup has three outcomes, found (1), not found (0) and
 * error (-1); a read error of the database is never taken for "not
 * found".  rules_open() tells a missing database (ENOENT, built-in
 * defaults apply) from one that cannot be used (any other errno, which
 * the caller turns into 421 at connect).  Nothing here writes to the
 * client, logs or exits.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cdb.h>

#include "rules.h"
#include "storeurl.h"

#define KEY_MAX		512	/* "l:" LIST ":" ENTRY and every other key */
#define NAME_MAX_SETTING 64	/* longest setting name, for SMTPFRONT_NAME */
#define NUM_TEXT_MAX	24	/* decimal text of an unsigned long, with NUL */
#define MSG_MAX		200	/* one message from setting_parse */

struct rules {
	int		 fd;	/* -1: no database, built-in defaults */
	struct cdb	 c;
};

/* The handle of "no database": shared, nothing to allocate or free. */
static struct rules no_rules = { .fd = -1 };

/*
 * Open databases without malloc: a session opens one (smtpfront -t two),
 * and its first malloc would cost it a heap page and an allocator page.
 * Initialised, so the handles share the data page no_rules is on.
 */
#define RULES_POOL	4
static struct rules pool[RULES_POOL] = { { .fd = -2 }, { .fd = -2 },
    { .fd = -2 }, { .fd = -2 } };	/* -2: free */

static struct rules *
handle(void)
{
	int i;

	for (i = 0; i < RULES_POOL; i++)
		if (pool[i].fd == -2) {
			memset(&pool[i], 0, sizeof(pool[i]));
			return &pool[i];
		}
	return calloc(1, sizeof(struct rules));
}

static void
handle_free(struct rules *r)
{
	if (r >= pool && r < pool + RULES_POOL)
		r->fd = -2;
	else
		free(r);
}

static const char *const action_names[] = {
	"off", "warn", "defer", "reject", "drop"
};
#define NACTIONS	(sizeof(action_names) / sizeof(action_names[0]))

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
lower(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	return c;
}

/*
 * Case-insensitive comparison of s (length len) with the lower-case word
 * w.  The name comparisons here run for every setting at every
 * connection: they stop at the first differing byte and call no strlen
 * (a byte loop in musl).
 */
static int
word_eq(const char *s, size_t len, const char *w)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (w[i] == '\0' || lower((unsigned char)s[i]) != w[i])
			return 0;
	return w[len] == '\0';
}

/* Is the C string z exactly the len bytes of s? */
static int
name_eq(const char *z, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (z[i] == '\0' || z[i] != s[i])
			return 0;
	return z[len] == '\0';
}

/* Copy s (length len) to out as a C string; -1 if it does not fit. */
static int
copy_out(char *out, size_t outlen, const char *s, size_t len)
{
	if (out == NULL)
		return 0;
	if (outlen == 0 || len > outlen - 1)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

const struct setting *
setting_find(const char *name, size_t len)
{
	const struct setting *s;

	if (len == 0)
		return NULL;
	for (s = setting_table; s->name != NULL; s++)
		if (s->name[0] == name[0] && name_eq(s->name, name, len))
			return s;
	return NULL;
}

int
list_known(const char *name, size_t len)
{
	const char *const *l;

	for (l = list_table; *l != NULL; l++)
		if (name_eq(*l, name, len))
			return 1;
	return 0;
}

int
action_parse(const char *s, size_t len, enum action *a)
{
	enum action i;

	/* the length and first letter pick the one name to compare */
	switch (len) {
	case 3:
		i = ACTION_OFF;
		break;
	case 4:
		i = lower((unsigned char)s[0]) == 'w' ? ACTION_WARN :
		    ACTION_DROP;
		break;
	case 5:
		i = ACTION_DEFER;
		break;
	case 6:
		i = ACTION_REJECT;
		break;
	default:
		return -1;
	}
	if (!word_eq(s, len, action_names[i]))
		return -1;
	if (a != NULL)
		*a = i;
	return 0;
}

const char *
action_name(enum action a)
{
	if ((size_t)a >= NACTIONS)
		return "unknown";
	return action_names[a];
}

/*
 * Decimal digits only, no sign, no blanks, no trailing garbage; the
 * overflow test comes before each multiplication.
 */
static int
parse_num(const char *s, size_t len, unsigned long *v)
{
	unsigned long n = 0, d;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned long)(s[i] - '0');
		if (n > (ULONG_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*v = n;
	return 0;
}

static int
parse_bool(const char *s, size_t len, int *b)
{
	if (len == 0)
		return -1;
	if (word_eq(s, len, "yes") || word_eq(s, len, "on") ||
	    word_eq(s, len, "1")) {
		*b = 1;
		return 0;
	}
	if (word_eq(s, len, "no") || word_eq(s, len, "off") ||
	    word_eq(s, len, "0")) {
		*b = 0;
		return 0;
	}
	return -1;
}

/* Printable ASCII without blanks, at most HOSTNAME_MAX bytes. */
static int
valid_str(const char *s, size_t len)
{
	size_t i;

	if (len > HOSTNAME_MAX)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
			return -1;
	return 0;
}

int
setting_parse(const struct setting *s, const char *val, size_t len,
    struct config *cfg, char *out, size_t outlen, char *err, size_t errlen)
{
	char num[NUM_TEXT_MAX];
	unsigned long n;
	enum action a;
	int b, r;

	switch (s->type) {
	case SETTING_NUM:
		if (parse_num(val, len, &n) == -1 || n < s->min ||
		    n > s->max) {
			seterr(err, errlen,
			    "must be a decimal number from %lu to %lu",
			    s->min, s->max);
			return -1;
		}
		if (out != NULL) {
			r = snprintf(num, sizeof(num), "%lu", n);
			if (r < 0 || (size_t)r >= sizeof(num) ||
			    copy_out(out, outlen, num, (size_t)r) == -1)
				goto toolong;
		}
		if (cfg != NULL)
			memcpy((char *)cfg + s->off, &n, sizeof(n));
		return 0;
	case SETTING_BOOL:
		if (parse_bool(val, len, &b) == -1) {
			seterr(err, errlen,
			    "must be yes, no, on, off, 1 or 0");
			return -1;
		}
		if (copy_out(out, outlen, b ? "yes" : "no",
		    b ? 3 : 2) == -1)
			goto toolong;
		if (cfg != NULL)
			memcpy((char *)cfg + s->off, &b, sizeof(b));
		return 0;
	case SETTING_STR:
		if (valid_str(val, len) == -1) {
			seterr(err, errlen,
			    "must be printable ASCII without blanks, "
			    "at most %d bytes", HOSTNAME_MAX);
			return -1;
		}
		if (strcmp(s->name, "store") == 0) {
			struct storeurl u;
			char v[HOSTNAME_MAX + 1], why[128];

			memcpy(v, val, len);
			v[len] = '\0';
			if (storeurl_parse(v, &u, why, sizeof(why)) == -1) {
				seterr(err, errlen, "%s", why);
				return -1;
			}
		}
		if (copy_out(out, outlen, val, len) == -1)
			goto toolong;
		/* every STR field is a char[HOSTNAME_MAX + 1] in config */
		if (cfg != NULL) {
			memcpy((char *)cfg + s->off, val, len);
			((char *)cfg + s->off)[len] = '\0';
		}
		return 0;
	case SETTING_ACTION:
		if (action_parse(val, len, &a) == -1) {
			seterr(err, errlen,
			    "must be off, warn, defer, reject or drop");
			return -1;
		}
		if (out != NULL && copy_out(out, outlen, action_name(a),
		    strlen(action_name(a))) == -1)
			goto toolong;
		if (cfg != NULL)
			memcpy((char *)cfg + s->off, &a, sizeof(a));
		return 0;
	}
	seterr(err, errlen, "unknown setting type");
	return -1;

toolong:
	seterr(err, errlen, "normalised value does not fit its buffer");
	return -1;
}

struct rules *
rules_open_none(void)
{
	return &no_rules;
}

int
rules_empty(const struct rules *r)
{
	return r == NULL || r->fd == -1;
}

/*
 * Look key up; on success *vlen is the full length of the value and
 * min(*vlen, outlen - 1) bytes of it are in out, NUL-terminated.
 */
static int
lookup(struct rules *r, const char *key, size_t klen, char *out,
    size_t outlen, size_t *vlen)
{
	size_t n;
	int f;

	*vlen = 0;
	if (outlen > 0)
		out[0] = '\0';
	if (r == NULL || r->fd == -1)
		return 0;
	f = cdb_find(&r->c, (const unsigned char *)key, klen);
	if (f == -1)
		return -1;
	if (f == 0)
		return 0;
	*vlen = cdb_datalen(&r->c);
	if (outlen == 0)
		return 1;
	n = *vlen;
	if (n > outlen - 1)
		n = outlen - 1;
	if (cdb_read(&r->c, (unsigned char *)out, n,
	    cdb_datapos(&r->c)) == -1) {
		out[0] = '\0';
		return -1;
	}
	out[n] = '\0';
	return 1;
}

struct rules *
rules_open(const char *path)
{
	char v[sizeof(RULES_VERSION) + 1];
	struct stat st;
	struct rules *r;
	size_t vlen;
	int fd, f, saved;

	/* O_NONBLOCK: a FIFO in the path must not hang the session */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return NULL;
	if ((r = handle()) == NULL) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return NULL;
	}
	r->fd = fd;
	if (fstat(r->fd, &st) == -1) {
		saved = errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		saved = EINVAL;
		goto fail;
	}
	cdb_init(&r->c, r->fd);
	errno = 0;
	f = lookup(r, "v", 1, v, sizeof(v), &vlen);
	if (f == -1) {
		/* a read error must never look like a missing database */
		saved = errno;
		if (saved == 0 || saved == ENOENT)
			saved = EIO;
		goto fail;
	}
	if (f == 0 || vlen != sizeof(RULES_VERSION) - 1 ||
	    memcmp(v, RULES_VERSION, vlen) != 0) {
		saved = EINVAL;
		goto fail;
	}
	return r;

fail:
	rules_close(r);
	errno = saved;
	return NULL;
}

int
rules_fd(const struct rules *r)
{
	return r != NULL && r->fd >= 0 ? r->fd : -1;
}

void
rules_close(struct rules *r)
{
	if (r == NULL || r == &no_rules)
		return;
	if (r->fd != -1) {
		cdb_free(&r->c);
		(void)close(r->fd);
	}
	handle_free(r);
}

int
rules_get(struct rules *r, const char *key, size_t klen, char *out,
    size_t outlen)
{
	size_t vlen;

	return lookup(r, key, klen, out, outlen, &vlen);
}

int
rules_list(struct rules *r, const char *list, const char *entry,
    size_t len, char *where, size_t wherelen)
{
	char key[KEY_MAX];
	size_t llen, klen, i, vlen;

	if (wherelen > 0)
		where[0] = '\0';
	if (rules_empty(r))
		return 0;
	llen = strlen(list);
	/* the compiler stores no longer entry, so it cannot be there */
	if (len > RULES_ENTRY_MAX || llen > sizeof(key) - 3 ||
	    len > sizeof(key) - 3 - llen)
		return 0;
	klen = 0;
	key[klen++] = 'l';
	key[klen++] = ':';
	for (i = 0; i < llen; i++)
		key[klen++] = (char)lower((unsigned char)list[i]);
	key[klen++] = ':';
	for (i = 0; i < len; i++)
		key[klen++] = (char)lower((unsigned char)entry[i]);
	return lookup(r, key, klen, where, wherelen, &vlen);
}

/*
 * The value an empty environment variable stands for: off for an
 * action, no for a switch, the empty string for text.  NULL for a
 * number: the database or default value stays.
 */
static const char *
empty_value(const struct setting *s)
{
	switch (s->type) {
	case SETTING_ACTION:
		return "off";
	case SETTING_BOOL:
		return "no";
	case SETTING_STR:
		return "";
	case SETTING_NUM:
		break;
	}
	return NULL;
}


/* One environment entry "SMTPFRONT_NAME=value" (after the prefix). */
static int
config_env(const char *entry, struct config *cfg, char *err, size_t errlen)
{
	const struct setting *s;
	const char *eq, *val;
	char msg[MSG_MAX], low[NAME_MAX_SETTING];
	size_t n, plen = sizeof(ENV_PREFIX) - 1;

	/*
	 * The name after the prefix is the setting's in upper case: lower
	 * it once (a lower-case letter in it names nothing), then compare
	 * plain bytes.
	 */
	for (n = 0; entry[plen + n] != '=' && entry[plen + n] != '\0'; n++) {
		if (n == sizeof(low) ||
		    (entry[plen + n] >= 'a' && entry[plen + n] <= 'z'))
			return 0;
		low[n] = (char)lower((unsigned char)entry[plen + n]);
	}
	eq = entry + plen + n;
	if (*eq != '=' || (s = setting_find(low, n)) == NULL)
		return 0;	/* SMTPFRONT_RULES and the like */
	val = eq + 1;
	if (*val == '\0' && (val = empty_value(s)) == NULL)
		return 0;
	if (setting_parse(s, val, strlen(val), cfg, NULL, 0, msg,
	    sizeof(msg)) == -1) {
		seterr(err, errlen, "environment %.*s: %s", (int)(eq - entry),
		    entry, msg);
		return -1;
	}
	return 0;
}

static int
config_db(struct rules *r, const struct setting *s, struct config *cfg,
    char *err, size_t errlen)
{
	char key[2 + NAME_MAX_SETTING];
	char val[RULES_VALUE_MAX + 1];
	char msg[MSG_MAX];
	size_t nlen, vlen;
	int f;

	nlen = strlen(s->name);
	if (nlen > sizeof(key) - 2) {
		seterr(err, errlen, "setting name %s too long", s->name);
		return -1;
	}
	key[0] = 's';
	key[1] = ':';
	memcpy(key + 2, s->name, nlen);
	errno = 0;
	f = lookup(r, key, 2 + nlen, val, sizeof(val), &vlen);
	if (f == -1) {
		seterr(err, errlen, "rules database: cannot read s:%s: %s",
		    s->name, errno != 0 ? strerror(errno) : "error");
		return -1;
	}
	if (f == 0)
		return 0;
	if (vlen > sizeof(val) - 1) {
		seterr(err, errlen, "rules database s:%s: value longer "
		    "than %d bytes", s->name, RULES_VALUE_MAX);
		return -1;
	}
	if (setting_parse(s, val, vlen, cfg, NULL, 0, msg,
	    sizeof(msg)) == -1) {
		seterr(err, errlen, "rules database s:%s: %s", s->name, msg);
		return -1;
	}
	return 0;
}

/* Store the built-in default of s in cfg: its dval, no text to parse. */
static void
setting_default(const struct setting *s, struct config *cfg)
{
	unsigned long n;
	enum action a;
	int b;

	switch (s->type) {
	case SETTING_NUM:
		n = s->dval;
		memcpy((char *)cfg + s->off, &n, sizeof(n));
		break;
	case SETTING_BOOL:
		b = s->dval != 0;
		memcpy((char *)cfg + s->off, &b, sizeof(b));
		break;
	case SETTING_STR:
		/* every STR field is a char[HOSTNAME_MAX + 1] in config */
		n = strnlen(s->dflt, HOSTNAME_MAX);
		memcpy((char *)cfg + s->off, s->dflt, n);
		((char *)cfg + s->off)[n] = '\0';
		break;
	case SETTING_ACTION:
		a = (enum action)s->dval;
		memcpy((char *)cfg + s->off, &a, sizeof(a));
		break;
	}
}

int
rules_table_check(char *err, size_t errlen)
{
	const struct setting *s;
	struct config parsed, stored;
	char msg[MSG_MAX];

	for (s = setting_table; s->name != NULL; s++) {
		memset(&parsed, 0, sizeof(parsed));
		memset(&stored, 0, sizeof(stored));
		if (setting_parse(s, s->dflt, strlen(s->dflt), &parsed, NULL,
		    0, msg, sizeof(msg)) == -1) {
			seterr(err, errlen, "built-in default of %s: %s",
			    s->name, msg);
			return -1;
		}
		setting_default(s, &stored);
		if (memcmp(&parsed, &stored, sizeof(parsed)) != 0) {
			seterr(err, errlen, "built-in default of %s: "
			    "value is not what \"%s\" parses to", s->name,
			    s->dflt);
			return -1;
		}
	}
	return 0;
}

int
rules_config(struct rules *r, struct config *cfg, char *err, size_t errlen)
{
	extern char **environ;
	const struct setting *s;
	char **e;
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (s = setting_table; s->name != NULL; s++) {
		setting_default(s, cfg);
		if (!rules_empty(r) && config_db(r, s, cfg, err, errlen) == -1)
			return -1;
	}
	/*
	 * One pass over the environment, not a getenv() per setting; the
	 * prefix test inline, as most entries differ at the first byte.
	 */
	for (e = environ; e != NULL && *e != NULL; e++) {
		for (i = 0; i < sizeof(ENV_PREFIX) - 1; i++)
			if ((*e)[i] != ENV_PREFIX[i])
				break;
		if (i == sizeof(ENV_PREFIX) - 1 &&
		    config_env(*e, cfg, err, errlen) == -1)
			return -1;
	}
	return 0;
}
