#!/bin/sh
# demo.sh: the README's demo.  smtpfront on 127.0.0.1:2525 under
# tcpserver, in front of a private Postfix instance that delivers mail for
# user@example.test into a Maildir in a temporary directory.
#
# Run it with "make demo" (which builds first); it builds nothing itself.
# It compiles cdb/example.rules (an empty rules source if there is none)
# with build/smtpfront-cdb, runs tcpserver in the foreground and logs to
# the terminal.  Ctrl-C stops tcpserver and Postfix, removes the
# temporary directory and ends with status 0: it is the way to stop the
# demo, not a failure.  Needs root, as Postfix's own start does.
set -eu

cd "$(dirname "$0")/.."
TOP=$(pwd)
BUILD=${SF_BUILD:-$TOP/build}
IP=127.0.0.1
PORT=2525

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (Postfix's private instance needs it)" >&2
	exit 1
fi
for f in "$BUILD/smtpfront" "$BUILD/smtpfront-cdb"; do
	if [ ! -x "$f" ]; then
		echo "demo.sh: $f is missing: run \"make demo\"" >&2
		exit 1
	fi
done

D=$(mktemp -d "${TMPDIR:-/tmp}/smtpfront-demo.XXXXXX")
chmod 755 "$D"		# Postfix's users must reach the instance below
PF=$D/postfix
TCPSERVER=

cleanup() {
	trap - EXIT INT TERM
	if [ -n "$TCPSERVER" ]; then
		kill "$TCPSERVER" 2>/dev/null || true
		wait "$TCPSERVER" 2>/dev/null || true
	fi
	if [ -d "$PF/conf" ]; then
		sh "$TOP/scripts/postfix-instance.sh" "$PF" stop || true
	fi
	rm -rf "$D"
	echo "demo.sh: stopped, $D removed"
}
trap cleanup EXIT
trap 'exit 0' INT
trap 'exit 143' TERM

sh "$TOP/scripts/postfix-instance.sh" "$PF" create
sh "$TOP/scripts/postfix-instance.sh" "$PF" start

# The example rules (an empty source if there are none), plus the one
# line the demo needs: we serve example.test, where the private Postfix
# delivers.  Without a rcpt_domain list smtpfront relays for nobody.
SRC=$D/demo.rules
if [ -f "$TOP/cdb/example.rules" ]; then
	EXAMPLE=$TOP/cdb/example.rules
	cat "$EXAMPLE" > "$SRC"
else
	EXAMPLE="(none)"
	: > "$SRC"
fi
printf '\n# demo.sh: the domain of the private Postfix instance\nlist rcpt_domain example.test\n' >> "$SRC"
"$BUILD/smtpfront-cdb" "$SRC" "$D/rules.cdb"

cat <<EOF

smtpfront demo: listening on $IP:$PORT, rules from $EXAMPLE
(and "list rcpt_domain example.test").  Send a message from another
terminal:

    swaks --server $IP:$PORT --to user@example.test

swaks says EHLO with this machine's short name and sends from
root@<that name>; if that is not a fully qualified name, smtpfront
refuses it (see the log below).  A well-behaved client:

    swaks --server $IP:$PORT --to user@example.test \\
        --ehlo client.example.org --from sender@example.org

It is delivered to the Maildir
    $PF/mail/example.test/user/new/
Postfix's log: $PF/maillog.  smtpfront's log lines appear below.
Press Ctrl-C to stop everything.

EOF

tcpserver -v -R -H -l mx.test.invalid "$IP" "$PORT" \
    "$BUILD/smtpfront" -r "$D/rules.cdb" \
    /usr/sbin/sendmail -C "$PF/conf" -bs &
TCPSERVER=$!
# wait returns early when a trapped signal arrives; the trap then exits.
wait "$TCPSERVER"
