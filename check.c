/*
 * check.c: what check.h promises besides the descriptors: the names of
 * verdicts and phases, and the results the checks leave for one another.
 * The order of the checks is in checks/checks.c (a test build links a
 * list of its own there).
 */
#include <stddef.h>
#include <string.h>
#include "check.h"

const char *
verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS:
		return "pass";
	case VERDICT_ACCEPT:
		return "accept";
	case VERDICT_WARN:
		return "warn";
	case VERDICT_DEFER:
		return "defer";
	case VERDICT_REJECT:
		return "reject";
	case VERDICT_DROP:
		return "drop";
	}
	return "unknown";
}

const char *
phase_name(enum phase p)
{
	static const char *const names[PHASE_COUNT] = {
		"connect", "helo", "mail", "rcpt", "data", "eod"
	};

	return p < PHASE_COUNT ? names[p] : "unknown";
}

const char *
check_result(const struct session *s, const char *name)
{
	int i;

	for (i = 0; i < s->nresults; i++)
		if (strcmp(s->results[i].check, name) == 0)
			return s->results[i].value;
	return NULL;
}
