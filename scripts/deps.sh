#!/bin/sh
# deps.sh: install the Debian packages smtpfront needs to be built and
# tested (deps.sh test) or to run the demo (deps.sh demo).
#
# Only missing packages are installed, non-interactively; "apt-get update"
# runs only when something is missing.  Postfix is preseeded to "No
# configuration": the tests and the demo use private instances and never
# touch /etc/postfix.  Run as root (CI) it needs no standard input; run as
# another user it only reports what is missing.
# Exit 0 when everything is there, 1 when something is missing and cannot
# be installed, 100 on a usage error.
set -eu

usage() {
	echo "usage: deps.sh test|demo" >&2
	exit 100
}

[ "$#" -eq 1 ] || usage

# Build: the compiler, make, musl-gcc (musl-tools: the Makefile builds
# smtpfront with musl when it is there) and libowfat.  The demo: tinycdb,
# tcpserver (ucspi-tcp), Postfix, and swaks to send it mail.  The tests:
# those and dnsmasq, systemd-socket-activate (package systemd), ip/ss,
# setpriv (util-linux), groff, Perl with Test::More and prove, openssl
# and Perl's Net::SSLeay and IO::Socket::SSL (STARTTLS: swaks --tls and
# t/starttls.t); clang and its runtime for "make fuzz", valgrind for
# "make bench"; debhelper, dpkg-dev, lintian, debootstrap and cpio for the
# package test (t/deb.t); chromium to look at smtpfront-report's HTML
# page (t/report.t); spamd and spamc for the filters' test (t/filter.t).
# libssl-dev: smtpfront-tls; libspf2-dev: smtpfront-spf; liblmdb-dev and
# libhiredis-dev: the store (redis-server for its tests); libhyperscan-dev:
# smtpfront-scan (the content rules).
BUILD="build-essential gcc make libowfat-dev musl-tools libssl-dev libspf2-dev \
    liblmdb-dev libhiredis-dev libhyperscan-dev libopendkim-dev"
DEMO="tinycdb ucspi-tcp-ipv6 postfix swaks"
TEST="$DEMO perl dnsmasq-base iproute2 systemd util-linux groff-base"
TEST="$TEST clang libclang-rt-14-dev valgrind openssl libnet-ssleay-perl"
TEST="$TEST libio-socket-ssl-perl redis-server chromium postgrey spamd spamc"
TEST="$TEST opendkim-tools python3-dkim python3-nacl publicsuffix"
TEST="$TEST debhelper dpkg-dev lintian debootstrap cpio file"
# the milter tests (t/milter.t): libmilter for their milter, OpenDKIM,
# its key tool and python3-dkim's dkimsign, rspamd
TEST="$TEST libmilter-dev opendkim opendkim-tools python3-dkim rspamd"

case "$1" in
test) WANT="$BUILD $TEST" ;;
demo) WANT="$BUILD $DEMO" ;;
*) usage ;;
esac

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null |
	    grep -q '^install ok installed$'
}

MISSING=
for p in $WANT; do
	if ! installed "$p"; then
		MISSING="$MISSING $p"
	fi
done

# IO::Socket::IP is part of perl-base on Debian 12; older releases need
# the separate package.
if [ "$1" = test ] && ! perl -MIO::Socket::IP -e 1 >/dev/null 2>&1; then
	MISSING="$MISSING libio-socket-ip-perl"
fi

if [ -z "$MISSING" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$MISSING" >&2
	echo "deps.sh: as root: apt-get install$MISSING" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections
echo "postfix postfix/mailname string mx.test.invalid" |
    debconf-set-selections
echo "deps.sh: installing:$MISSING"
apt-get update -q </dev/null
# shellcheck disable=SC2086 # the list is split on purpose
apt-get install -y -q --no-install-recommends $MISSING </dev/null
