#!/bin/sh
# check.sh: one pass of "make check", the test suite on the programs of
# one build directory.
#
# usage: check.sh DIR LABEL
#
# Runs prove on every t/*.t but the fault tests, PROVE_JOBS (default 2)
# files at a time: most of the suite waits on timers, not on the CPU.
# Then the fault tests (t/fault-*.t) one at a time, alone: they load the
# machine and time their faults.  The tests run on DIR (SF_BUILD=DIR);
# every line prove writes goes to DIR/prove.log.  On the terminal: for
# each of the two runs the files, the tests, the time and PASS or FAIL,
# with LABEL; on a failure, prove's report of what failed and the
# failed tests' own messages.  The fault tests are not run when the rest
# failed.  Exit 0 when both runs pass, 1 when one fails, 100 on a usage
# error.
set -eu

usage() {
	echo "usage: check.sh DIR LABEL" >&2
	exit 100
}

[ "$#" -eq 2 ] || usage
cd "$(dirname "$0")/.."
[ -d "$1" ] || usage
DIR=$1
LABEL=$2
LOG=$DIR/prove.log
PART=$DIR/prove.part
JOBS=${PROVE_JOBS:-2}
FAIL_LINES=60		# at most this many lines of failure messages

FAULT=
OTHER=
for t in t/*.t; do
	case "$t" in
	t/fault-*) FAULT="$FAULT $t" ;;
	*) OTHER="$OTHER $t" ;;
	esac
done

# run NAME PROVE-ARGS...: one prove run, its summary line, its output
# appended to the log.  Returns prove's status.
run() {
	name=$1
	shift
	rc=0
	SF_BUILD=$(pwd)/$DIR prove "$@" > "$PART" 2>&1 || rc=$?
	files=$(grep '^Files=' "$PART" | tail -n 1 |
	    sed -e 's/ *(.*//' -e 's/  */ /g')
	result=$(grep '^Result: ' "$PART" | tail -n 1 | sed 's/^Result: //')
	printf '  %-30s %s: %s\n' "$name" "${files:-no summary}" \
	    "${result:-FAIL}"
	# and prove's own closing lines, as prove prints them
	grep -E '^(Files=|Result: )' "$PART" | tail -n 2
	cat "$PART" >> "$LOG"
	if [ "$rc" -ne 0 ]; then
		sed -n '/^Test Summary Report/,/^Files=/p' "$PART" |
		    sed '$d' | sed 's/^/    /'
		grep -A 3 '^#   Failed test' "$PART" | head -n "$FAIL_LINES" |
		    sed 's/^/    /'
	fi
	rm -f "$PART"
	return "$rc"
}

: > "$LOG"
echo "make check: $LABEL, tests on $DIR/"
status=0
# shellcheck disable=SC2086 # the lists are split on purpose
run "t/*.t but the fault tests:" -j"$JOBS" -v $OTHER || status=1
if [ "$status" -eq 0 ]; then
	# shellcheck disable=SC2086 # split on purpose
	run "the fault tests, alone:" -v $FAULT || status=1
else
	echo "  the fault tests: not run"
fi
echo "  the whole output: $LOG"
exit "$status"
