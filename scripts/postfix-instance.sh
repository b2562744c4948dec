#!/bin/sh
# postfix-instance.sh: a private Postfix instance for tests and the demo.
#
# usage: postfix-instance.sh DIR create|start|stop|status
#
#   create  DIR/conf (main.cf, master.cf), DIR/queue, DIR/data, DIR/mail;
#           mail to user@example.test is delivered to the Maildir
#           DIR/mail/example.test/user/; other recipients in example.test
#           are refused as unknown; nothing ever leaves the machine
#           (default and relay transports are "error"); no listener.
#   start   start the instance and wait (bounded) until it runs
#   stop    stop it (abort if a plain stop fails)
#   status  exit 0 when it runs
#
# Use it as the MTA child with: /usr/sbin/sendmail -C DIR/conf -bs
# The log is DIR/maillog.  Needs root (Postfix's own start rules); DIR
# and its parents must be searchable by the postfix user and by uid
# 65534, which owns the delivered mail.  Exit 0 on success, 1 on failure,
# 100 on a usage error.
set -eu

usage() {
	echo "usage: postfix-instance.sh DIR create|start|stop|status" >&2
	exit 100
}

[ "$#" -eq 2 ] || usage
case "$1" in
/*) B=$1 ;;
*) B=$(pwd)/$1 ;;
esac
START_WAIT=200		# times 0.05 s: how long start waits for the instance

create() {
	rm -rf "$B/conf" "$B/queue" "$B/data" "$B/mail"
	mkdir -p "$B/conf" "$B/mail" "$B/queue"
	# Pre-made data directory instead of the slow "postfix set-permissions".
	install -d -o postfix -g postfix -m 700 "$B/data"
	cp /etc/postfix/master.cf "$B/conf/master.cf"
	if [ -f /etc/postfix/dynamicmaps.cf ]; then
		cp /etc/postfix/dynamicmaps.cf "$B/conf/"
	fi
	cat > "$B/conf/main.cf" <<EOC
compatibility_level = 3.6
queue_directory = $B/queue
data_directory = $B/data
myhostname = mx.test.invalid
mydomain = test.invalid
myorigin = \$myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
default_transport = error:no outbound mail in tests
relay_transport = error:no outbound mail in tests
virtual_mailbox_domains = example.test
virtual_mailbox_base = $B/mail
virtual_mailbox_maps = texthash:$B/conf/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
maillog_file = $B/maillog
maillog_file_prefixes = $B
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
message_size_limit = 104857600
virtual_mailbox_limit = 0
EOC
	printf 'user@example.test example.test/user/\n' > "$B/conf/vmailbox"
	chown 65534:65534 "$B/mail"
	# No chroot (no copies of /etc in the queue), no listener on port 25,
	# and the postlog service that maillog_file needs.
	postconf -c "$B/conf" -F '*/*/chroot = n'
	postconf -c "$B/conf" -M# smtp/inet
	postconf -c "$B/conf" -M \
	    postlog/unix-dgram='postlog unix-dgram n - n - 1 postlogd'
}

running() {
	postfix -c "$B/conf" status >/dev/null 2>&1
}

start() {
	[ -f "$B/conf/main.cf" ] || {
		echo "postfix-instance.sh: no instance in $B (run create)" >&2
		exit 1
	}
	if running; then
		return 0
	fi
	postfix -c "$B/conf" start >/dev/null 2>&1 || {
		echo "postfix-instance.sh: postfix start failed, see $B/maillog" >&2
		exit 1
	}
	i=0
	until running; do
		i=$((i + 1))
		if [ "$i" -ge "$START_WAIT" ]; then
			echo "postfix-instance.sh: instance in $B did not start" >&2
			exit 1
		fi
		sleep 0.05
	done
}

stop() {
	if ! running; then
		return 0
	fi
	postfix -c "$B/conf" stop >/dev/null 2>&1 ||
	    postfix -c "$B/conf" abort >/dev/null 2>&1 || {
		echo "postfix-instance.sh: cannot stop the instance in $B" >&2
		exit 1
	}
}

case "$2" in
create) create ;;
start) start ;;
stop) stop ;;
status) running ;;
*) usage ;;
esac
