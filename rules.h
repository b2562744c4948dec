/*
 * rules.h: the constant rules database (one CDB built by smtpfront-cdb)
 * and the table of settings, lists and their defaults, shared by the
 * compiler and the per-connection program.
 *
 * CDB layout (all keys lower case):
 *   "v"              -> "smtpfront-rules 1"
 *   "s:NAME"         -> the setting's value, normalised by the compiler
 *   "l:LIST:ENTRY"   -> "file:line" of the source line that added it
 *   "r:NAME"         -> "CODE X.Y.Z text" reply override
 *   "o:s:NAME"       -> "file:line" of a setting
 *   "n:LIST"         -> "v4:32,24 v6:64": prefix lengths in a network list
 *   "c:LIST"         -> number of entries of a list in the source
 *   "e:LIST:N"       -> "ENTRY file:line", the Nth entry (from 0) of a
 *                       list read whole in source order (dnsbl)
 *
 * Every lookup has three outcomes: found (1), not found (0), error (-1).
 */
#ifndef RULES_H
#define RULES_H

#include <stddef.h>
#include "config.h"

#define RULES_VERSION	"smtpfront-rules 1"
#define RULES_DEFAULT	"/etc/smtpfront/rules.cdb"
#define RULES_VALUE_MAX	1024	/* longest value read from the database */
#define ENV_PREFIX	"SMTPFRONT_"
#define RULES_ENTRY_MAX	255	/* longest list entry */

enum setting_type {
	SETTING_NUM,		/* unsigned decimal within [min, max] */
	SETTING_BOOL,		/* yes/no, on/off, 1/0 */
	SETTING_STR,		/* printable, no blanks, up to HOSTNAME_MAX */
	SETTING_ACTION		/* off, warn, defer, reject, drop */
};

struct setting {
	const char		*name;
	enum setting_type	 type;
	unsigned long		 min;
	unsigned long		 max;
	const char		*dflt;	/* as text; "" for an empty string */
	unsigned long		 dval;	/* dflt parsed: number, 0/1, action */
	size_t			 off;	/* offsetof(struct config, field) */
	const char		*doc;	/* one line for the man page */
};

extern const struct setting setting_table[];

/* A list or reply renamed: the compiler reads the old name, warning. */
#define RENAME_LIST	1
#define RENAME_REPLY	2
struct rename {
	int		 kind;
	const char	*old;
	const char	*new;
};
extern const struct rename rename_table[];
/* The entry of an old name of that kind, or NULL. */
const struct rename *rename_find(int, const char *, size_t);
extern const char *const list_table[];	/* known list names, NULL-ended */

const struct setting	*setting_find(const char *, size_t);
int			 list_known(const char *, size_t);
/* Is LIST a list of addresses and networks (stored as "ADDR/LEN")? */
int			 list_is_net(const char *, size_t);
/* Is LIST read whole, in source order ("e:LIST:N": dnsbl)? */
int			 list_is_enum(const char *, size_t);
/* Does LIST take addresses and networks beside names ("ours")? */
int			 list_is_mixed(const char *, size_t);

/*
 * Parse a setting's text value.  Returns 0 and stores the normalised form
 * in out (size outlen) and, unless config is NULL, the value in config;
 * returns -1 with a message in err (size errlen) on a bad value.
 */
int	setting_parse(const struct setting *, const char *, size_t,
	    struct config *, char *, size_t, char *, size_t);
int	action_parse(const char *, size_t, enum action *);
const char *action_name(enum action);
/*
 * Does every setting's dval hold what its dflt parses to?  0, or -1 with
 * the setting named in err (size errlen).
 */
int	rules_table_check(char *, size_t);

struct rules;

/*
 * Open the database.  Returns a handle, or NULL with errno: ENOENT means
 * no database (built-in defaults apply, rules_open_none gives a handle
 * with no file), anything else is an unreadable database (421).
 */
struct rules	*rules_open(const char *);
struct rules	*rules_open_none(void);
void		 rules_close(struct rules *);
/* The database's descriptor (smtpfront-scan reads it), -1 when none. */
int		 rules_fd(const struct rules *);
/* No database (rules_open_none): every lookup is "not found". */
int		 rules_empty(const struct rules *);

/* Fill cfg: defaults, then the database, then the environment. */
int	rules_config(struct rules *, struct config *, char *, size_t);

/* Raw lookup of key; value cut to outlen - 1 and NUL-terminated. */
int	rules_get(struct rules *, const char *, size_t, char *, size_t);

/* Is ENTRY in LIST?  where gets "file:line" when found. */
int	rules_list(struct rules *, const char *, const char *, size_t,
	    char *, size_t);

#endif
