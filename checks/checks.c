/*
 * checks/checks.c: the fixed order in which the core calls the checks,
 * from checks/list.h.
 */
#include <stddef.h>
#include "check.h"
#include "checks/list.h"

#define EXTERN(n)	extern const struct check check_##n;
#define ENTRY(n)	&check_##n,

CHECKS(EXTERN)

const struct check *const check_list[] = {
	CHECKS(ENTRY)
	NULL
};
