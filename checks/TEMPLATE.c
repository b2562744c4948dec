/*
 * checks/TEMPLATE.c: the shape of a check (never built).
 *
 * What it checks: ...
 * Phases: connect | helo | mail | rcpt | data | eod
 * Inputs: rules keys (set NAME_action, list NAME ...), environment
 *     variables (SMTPFRONT_NAME_ACTION ...), DNS names queried.
 * Verdicts: pass, or reject on a hit (the core applies NAME_action).
 * Failure: fails open (pass, hit->lookup_failed = 1) or closed (defer)
 *     when DNS or the rules database fails.
 *
 * To add a check: a NAME_action setting in rules_table.c and struct
 * config, the descriptor in checks/checks.c at its place in the order,
 * a default reply in reply.c, t/NAME.t, and its README entry.
 */
#include <stddef.h>
#include "check.h"

static enum verdict
template_mail(const struct session *s, struct check_hit *hit)
{
	(void)s;
	(void)hit;
	return VERDICT_PASS;
}

const struct check check_template = {
	"template", "reject", offsetof(struct config, template_action),
	{ NULL, NULL, template_mail, NULL, NULL, NULL }, 0
};
