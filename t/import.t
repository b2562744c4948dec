#!/usr/bin/perl
# t/import.t: scripts/smtpfront-import on a qmail control directory (with
# users/assign, vpopmail's vpasswd, aliases and .qmail-default) and
# Postfix table sources written as those MTAs document them: comments,
# blank lines, CRLF, trailing blanks, continuation lines, ".domain" in
# rcpthosts, "@domain" in badmailfrom, address prefixes in the client
# map, REJECT and 5NN with text, OK, DUNNO, and lines with no
# equivalent.  The rules source, the
# tcprules lines and the report must be the golden files of
# t/data/import/ (the temporary directory written TMP), the exit code 1;
# inputs that translate whole give exit 0 and no report; usage errors
# 100, unreadable input 111.  Then the rules compile with smtpfront-cdb,
# the tcprules lines with tcprules, and smtpfront under tcpserver -x
# refuses the imported badmailfrom sender, the imported client REJECT,
# a domain not in rcpthosts and an unknown vpopmail user, and takes mail
# for imported domains, users, aliases and a catch-all domain.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;

my $IMPORT = top() . '/scripts/smtpfront-import';
my $GOLD = top() . '/t/data/import';
my $dir = tmp() . '/in';

sub put {
	my ($path, $text) = @_;
	my $d = "$dir/$path";
	$d =~ s{/[^/]*$}{};
	system('mkdir', '-p', $d) == 0 or die "mkdir $d";
	spew("$dir/$path", $text);
}

# --- qmail: control files as qmail-control(5) and the patches show ----------
put('qmail/control/me', "mx.example.com\n");
put('qmail/control/locals', "example.com\nmx.example.com\n");
put('qmail/control/virtualdomains', "example.org:example.org\n" .
    "alias.example:example.org\ncatch.example:catch.example\n");
put('qmail/control/rcpthosts', "# the domains we take mail for\n" .
    "example.com\r\n.example.com  \n\nexample.org\nalias.example\n" .
    "catch.example\n" .
    "bad domain!\n");
put('qmail/control/badmailfrom', "# senders refused\n" .
    "spammer\@junk.example\n\@bulk.example\t\njunk2.example\n" .
    "caf\xc3\xa9\@junk.example\n");
put('qmail/control/badhelo', "friend.example\n.invalid\n*.dyn.example\n");
put('qmail/control/badrcptto', "nobody\@example.com\n");
put('qmail/control/databytes', "20000000\n");
put('qmail/control/smtpgreeting', "mx.example.com Welcome, no spam\n");
put('qmail/users/assign',
    "=alice:alice:1001:1001:/home/alice:::\n" .
    "+example.org-:example.org:89:89:$dir/vpopmail/domains/example.org:-::\n" .
    "+catch.example-:catch.example:89:89:" .
    "$dir/vpopmail/domains/catch.example:-::\n" .
    ".\n");
put('vpopmail/domains/example.org/vpasswd',
    "bob:\$1\$x:1:0:Bob:$dir/vpopmail/domains/example.org/bob:NOQUOTA\n" .
    "carol:\$1\$y:1:0:Carol:$dir/vpopmail/domains/example.org/carol:NOQUOTA\n");
# vpopmail's aliases and its answer for other names
put('vpopmail/domains/example.org/.qmail-default',
    "| /home/vpopmail/bin/vdelivermail '' bounce-no-mailbox\n");
put('vpopmail/domains/example.org/.qmail-info', "&bob\@example.org\n");
put('vpopmail/domains/example.org/.qmail-first:last', "&carol\@example.org\n");
put('vpopmail/domains/example.org/.qmail-list-default',
    "|/usr/bin/ezmlm-manage '$dir/vpopmail/domains/example.org/list'\n");
put('vpopmail/domains/catch.example/vpasswd',
    "dave:\$1\$z:1:0:Dave:$dir/vpopmail/domains/catch.example/dave:NOQUOTA\n");
put('vpopmail/domains/catch.example/.qmail-default',
    "| /home/vpopmail/bin/vdelivermail '' postmaster\@catch.example\n");
# morercpthosts only as qmail-newmrh leaves it: a CDB
put('mrh.cdbmake', "+12,0:more.example->\n+14,0:.lists.example->\n\n");
my ($c0, $o0) = run(argv => ['sh', '-c',
    'cdb -c "$1/qmail/control/morercpthosts.cdb" < "$1/mrh.cdbmake"',
    'cdb', $dir]);
is($c0, 0, 'morercpthosts.cdb made with cdb -c') or diag($o0);

# --- Postfix: table sources as access(5), postconf(5) show ------------------
put('postfix/client_access', <<'EOF');
# check_client_access hash:/etc/postfix/client_access
192.0.2.66	REJECT Go away
127.0.0.66	REJECT Your host is listed here
198.51.100 554 5.7.1 Your network is blocked
198.51.100.7  OK
203.0.113.0/24 REJECT
spam.example REJECT
10.1.2.3 FILTER smtp:[127.0.0.1]:10025
10.1 DUNNO
10.9 DEFER try later
/^dyn/ REJECT
010.2.3.4 REJECT
EOF
put('postfix/helo_access', "localhost.localdomain REJECT You are not me\r\n" .
    "bad.example 550 Bad HELO\n1.2.3.4 REJECT\ngood.example OK\n");
put('postfix/sender_access', <<'EOF');
spam@example.net REJECT
badsite.example 553 5.7.1 no
friend@partner.example OK
marketing@ REJECT
holdme.example HOLD
  held for review
EOF
put('postfix/relay_domains', "relay.example OK\nrelay2.example\n");
put('postfix/virtual_mailbox_domains', "vdom.example   whatever\n");
put('postfix/vmailbox', "# virtual_mailbox_maps\n" .
    "u1\@vdom.example vdom.example/u1/\n\@catch.example catch/\n");

my @ALL = ('-q', 'qmail/control', '-t', 'tcp.rules',
    '-p', 'client:postfix/client_access', '-p', 'helo:postfix/helo_access',
    '-p', 'sender:postfix/sender_access',
    '-p', 'relay_domains:postfix/relay_domains',
    '-p', 'virtual_mailbox_domains:postfix/virtual_mailbox_domains',
    '-p', 'virtual_mailbox_maps:postfix/vmailbox');

# imp(args...) in $dir -> (exit code, stdout, stderr), TMP for $dir.
sub imp {
	my $n = SF::seq();
	my $o = tmp() . "/import.$n.out";
	my $e = tmp() . "/import.$n.err";
	my ($code, $text) = run(argv => ['sh', '-c',
	    'cd "$1" && shift && o=$1 e=$2 && shift 2 && ' .
	    'exec "$@" > "$o" 2> "$e"', 'sh', $dir, $o, $e, $IMPORT, @_]);
	my @r = map { my $t = slurp($_) // ''; $t =~ s/\Q$dir\E/TMP/g; $t }
	    ($o, $e);
	return ($code, @r);
}

# --- the golden output -------------------------------------------------------
{
	my ($code, $out, $err) = imp(@ALL);
	is($code, 1, 'lines left out: exit 1');
	is($out, slurp("$GOLD/rules"), 'rules source as t/data/import/rules');
	is($err, slurp("$GOLD/report"), 'report as t/data/import/report');
	my $tcp = slurp("$dir/tcp.rules") // '';
	is($tcp, slurp("$GOLD/tcprules"), 'tcprules as t/data/import/tcprules');
	ok(!-e "$dir/tcp.rules.tmp", 'no temporary tcprules file left');
	my @left = $out =~ /^# left out: /mg;
	my @rep = $err =~ /^\S+:\d+: /mg;
	is(scalar @left, scalar @rep, 'each line of the report is marked ' .
	    'in the rules source');

	my ($c2, $o2, $e2) = imp(@ALL, '-o', 'out.rules');
	is($c2, 1, '-o: exit 1');
	is($o2, '', '-o: nothing on standard output');
	is((slurp("$dir/out.rules") // '') =~ s/\Q$dir\E/TMP/gr, $out,
	    '-o: the same rules source');
	is($e2, $err, '-o: the same report');

	# without -t the client refusals are left out, and said so
	my ($c3, $o3, $e3) = imp('-p', 'client:postfix/client_access');
	is($c3, 1, 'client map without -t: exit 1');
	like($e3, qr{^postfix/client_access:2: client refusal needs -t TCPRULES$}m,
	    'client map without -t: REJECT reported with file:line');
	like($o3, qr{^list allow_ip 198\.51\.100\.7/32$}m,
	    'client map without -t: OK still in allow_ip');
}

# --- -P: .domain keys, domains match only themselves -------------------------
{
	put('postfix/sender_p', "example.net REJECT\n.sub.example REJECT\n");
	my ($code, $out, $err) = imp('-P', '-p', 'sender:postfix/sender_p');
	is($code, 0, '-P: exit 0');
	is($err, '', '-P: empty report');
	is($out, "# postfix/sender_p:1 example.net REJECT\n" .
	    "list sender_list example.net\n" .
	    "# postfix/sender_p:2 .sub.example REJECT\n" .
	    "list sender_list .sub.example\n", '-P: no parent forms');
	my ($c2, $o2, $e2) = imp('-p', 'sender:postfix/sender_p');
	is($c2, 1, 'default: .domain key left out');
	is($e2, "postfix/sender_p:2: key form not translated: .sub.example\n",
	    'default: .domain key reported (Postfix does not look it up)');
}

# --- everything translated: exit 0 --------------------------------------------
{
	put('clean/control/rcpthosts', "example.test\n.example.test\n");
	put('clean/control/badmailfrom', "\@spam.example\n");
	my ($code, $out, $err) = imp('-q', 'clean/control');
	is($code, 0, 'all translated: exit 0');
	is($err, '', 'all translated: empty report');
	is($out, "# clean/control/rcpthosts:1 example.test\n" .
	    "list rcpt_domain example.test\n" .
	    "# clean/control/rcpthosts:2 .example.test\n" .
	    "list rcpt_domain .example.test\n" .
	    "# clean/control/badmailfrom:1 \@spam.example\n" .
	    "list sender_list \@spam.example\n", 'all translated: the rules');
}

# --- usage and unreadable input ----------------------------------------------
{
	my ($c, $o, $e) = imp();
	is($c, 100, 'no input: exit 100');
	like($e, qr/^usage: smtpfront-import /, 'no input: usage message');
	($c) = imp('-p', 'recipient:postfix/helo_access');
	is($c, 100, 'unknown kind: exit 100');
	($c) = imp('-x');
	is($c, 100, 'unknown option: exit 100');
	put('a=b', "example.test\n");
	($c, $o) = imp('-p', 'relay_domains:a=b');
	like($o, qr/^list rcpt_domain example\.test$/m,
	    'a file named a=b is read as a file');
	($c) = imp('-q', 'qmail/control', 'extra');
	is($c, 100, 'an operand: exit 100');
	($c, $o, $e) = imp('-p', 'client:postfix/missing');
	is($c, 111, 'missing map: exit 111');
	like($e, qr{^smtpfront-import: fatal: cannot read postfix/missing$}m,
	    'missing map: says which');
	($c) = imp('-q', 'nowhere/control');
	is($c, 111, 'missing control directory: exit 111');
	($c, $o, $e) = imp('-q', 'qmail/control', '-o', 'nodir/out.rules');
	is($c, 111, 'output cannot be written: exit 111');
}

# --- the output, compiled and run ---------------------------------------------
my ($code, $text) = run(argv => [build() . '/smtpfront-cdb',
    "$dir/out.rules", "$dir/out.cdb"], timeout => 30);
is($code, 0, 'smtpfront-cdb compiles the imported rules') or diag($text);
is($text, '', 'smtpfront-cdb: no warning (no list under an old name)');
my $tcpcdb = tcprules_cdb(slurp("$dir/tcp.rules"));
ok(-s $tcpcdb, 'tcprules compiles the imported tcprules lines');

my $s = start_tcpserver(rules => "$dir/out.cdb", tcpserver => ['-x', $tcpcdb]);

# swaks to one recipient, stopped after RCPT -> the reply to RCPT.
sub rcpt {
	my ($local, $from, $to) = @_;
	my ($c, $out) = swaks(server => $s, local => $local,
	    args => ['--from', $from, '--to', $to, '--quit-after', 'RCPT']);
	my ($r) = $out =~ /^ -> RCPT TO:.*\n<(?:\*\*|-)\s+(\d{3}[ -].*)$/m;
	return $r // "no reply: $out";
}

like(rcpt('127.0.0.2', 'spammer@junk.example', 'alice@example.com'),
    qr/^553 5\.7\.1 Sender address refused/,
    'badmailfrom spammer@junk.example: 553 5.7.1');
like(rcpt('127.0.0.2', 'x@bulk.example', 'alice@example.com'),
    qr/^553 5\.7\.1 /, 'badmailfrom @bulk.example: 553 5.7.1');
like(rcpt('127.0.0.66', 'a@sender.example', 'alice@example.com'),
    qr/^553 5\.7\.1 Your host is listed here$/,
    'client REJECT 127.0.0.66: 553 5.7.1 with the map\'s text');
like(rcpt('127.0.0.2', 'a@sender.example', 'alice@example.com'),
    qr/^250 /, 'rcpthosts example.com, user alice: 250');
like(rcpt('127.0.0.2', 'a@sender.example', 'bob@alias.example'),
    qr/^250 /, 'vpopmail user bob at the alias domain: 250');
like(rcpt('127.0.0.2', 'a@sender.example', 'info@example.org'),
    qr/^250 /, 'vpopmail alias .qmail-info: 250');
like(rcpt('127.0.0.2', 'a@sender.example', 'first.last@example.org'),
    qr/^250 /, 'vpopmail alias .qmail-first:last: 250');
like(rcpt('127.0.0.2', 'a@sender.example', 'anyone@catch.example'),
    qr/^250 /, 'vpopmail domain whose .qmail-default takes all: 250');
like(rcpt('127.0.0.2', 'a@sender.example', 'x@a.lists.example'),
    qr/^250 /, 'morercpthosts .lists.example: 250');
like(rcpt('127.0.0.2', 'a@sender.example', 'nobody@example.org'),
    qr/^550 5\.1\.1 /, 'unknown vpopmail user: 550 5.1.1');
like(rcpt('127.0.0.2', 'a@sender.example', 'x@elsewhere.example'),
    qr/^550 5\.7\.1 Relaying denied/, 'domain not in rcpthosts: 550 5.7.1');
stop($s);

done_testing();
