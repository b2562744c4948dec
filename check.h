/*
 * check.h: the contract between the core and the checks in checks/.
 *
 * A check exports one descriptor.  Each phase function reads the session
 * and returns a verdict; on anything but VERDICT_PASS it may fill in the
 * hit with a short reason, the reply table name to use and the rule that
 * decided.  A check never writes to the client, never logs, never exits.
 * The core applies the administrator's action for the check (off, warn,
 * defer, reject, drop) to a hit, in one place: check_run() in smtpfront.c.
 */
#ifndef CHECK_H
#define CHECK_H

#include "session.h"

enum verdict {
	VERDICT_PASS,		/* no opinion */
	VERDICT_ACCEPT,		/* allowlisted: first decisive verdict */
	VERDICT_WARN,		/* log and add a header only */
	VERDICT_DEFER,		/* 4xx */
	VERDICT_REJECT,		/* 5xx: a hit, subject to the action */
	VERDICT_DROP		/* reply, then close */
};

enum phase {
	PHASE_CONNECT,
	PHASE_HELO,
	PHASE_MAIL,
	PHASE_RCPT,
	PHASE_DATA,
	PHASE_EOD,
	PHASE_COUNT
};

struct check_hit {
	char		 reason[REASON_MAX + 1];
	char		 reply[32];	/* reply table name; "" for the check's */
	char		 rule[RULE_MAX + 1];
	int		 lookup_failed;	/* a lookup failed and the check failed open */
	int		 now;		/* refuse at once, even under delay_reject */
	char		 text[REASON_MAX + 1];	/* reply text instead of the table's */
};

/* action_off of a check that has no action setting and always runs */
#define CHECK_ALWAYS	((size_t)-1)

typedef enum verdict (*check_fn)(const struct session *, struct check_hit *);

struct check {
	const char	*name;		/* log field, rules key prefix, t/NAME.t */
	const char	*reply;		/* default reply table name */
	size_t		 action_off;	/* offsetof(struct config, NAME_action) */
	check_fn	 phase[PHASE_COUNT];
	int		 flags;
};

/* flags: relay control runs for every recipient, allowlisted or not */
#define CHECK_F_RELAY	0x1

/* The fixed order, in checks/checks.c. */
extern const struct check *const check_list[];

const char	*verdict_name(enum verdict);
const char	*phase_name(enum phase);

#endif
