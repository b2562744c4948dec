/*
 * t/template-checks.c: the check list of the test build of smtpfront
 * (build/t/smtpfront-template): every check of checks/list.h, in its
 * order, then the four kinds of check shown in checks/TEMPLATE.c, which
 * t/template.t drives end to end.
 */
#include <stddef.h>
#include "check.h"
#include "checks/list.h"

#define EXTERN(n)	extern const struct check check_##n;
#define ENTRY(n)	&check_##n,

CHECKS(EXTERN)
EXTERN(template_early)
EXTERN(template_memory)
EXTERN(template_body)
EXTERN(template_filter)

const struct check *const check_list[] = {
	CHECKS(ENTRY)
	ENTRY(template_early)
	ENTRY(template_memory)
	ENTRY(template_body)
	ENTRY(template_filter)
	NULL
};
