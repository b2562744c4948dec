#!/usr/bin/perl
# t/production-rules.t: cdb/production.rules, the rules INSTALL puts in
# /etc/smtpfront/rules, is a real MX's and not the demo's.
#
# smtpfront-cdb compiles it without a word; the database it makes holds
# nothing of the demo (no reply text of its own, so no demo banner; no
# example.test); it serves the domains it lists, with a rcpt_users list,
# and waits before the greeting.  Dry runs show what it does to a listed
# user, an unknown one, another domain and postmaster; smtpfront under
# tcpserver with it greets with the built-in banner.  INSTALL says where
# the file goes.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;

my $top = top();
my $src = "$top/cdb/production.rules";
my $db = tmp() . '/production.cdb';

my ($code, $out) = run(argv => [build() . '/smtpfront-cdb', $src, $db],
    timeout => 30);
is($code, 0, 'cdb/production.rules compiles');
is($out, '', 'cdb/production.rules: smtpfront-cdb says nothing');

($code, my $dump) = run(argv => [build() . '/smtpfront-cdb', '-d', $db],
    timeout => 30);
is($code, 0, 'smtpfront-cdb -d reads the database back');
unlike($dump, qr/^reply /m,
    'no reply text of its own: built-in replies, not the demo banner');
unlike($dump, qr/example\.test/, 'nothing of the demo domain example.test');
my @domains = $dump =~ /^list rcpt_domain (\S+)$/mg;
ok(@domains >= 1, 'it lists the domains it takes mail for');
my ($dom) = @domains;
my @users = $dump =~ /^list rcpt_users (\S+\@\Q$dom\E)$/mg;
my ($user) = grep { !/^(?:postmaster|abuse)\@/ } @users;
ok(defined $user, "it lists users of $dom, not only postmaster and abuse");
$user //= "alice\@$dom";
like($dump, qr/^set greet_delay [1-9]\d*$/m, 'it waits before the greeting');

# --- what it decides: dry runs -----------------------------------------------

my @cases = (
    [$user, 0, qr/^rcpt <\Q$user\E>: pass .*handed to the MTA child/m,
	'a listed user is handed to the MTA child'],
    ["no-such-user\@$dom", 1,
	qr/^rcpt <no-such-user\@\Q$dom\E>: reject check=rcpt_users .*"550 5\.1\.1 /m,
	'an unknown user is refused at RCPT, 550 5.1.1'],
    ['someone@elsewhere.example', 1,
	qr/^rcpt <someone\@elsewhere\.example>: reject check=rcpt_domain .*"550 5\.7\.1 /m,
	'another domain is refused: no relaying'],
    ["postmaster\@$dom", 0, qr/^rcpt <postmaster\@\Q$dom\E>: (?:pass|accept) /m,
	'postmaster takes mail'],
);
for my $c (@cases) {
	my ($to, $want, $re, $name) = @$c;
	my ($rc, $o) = run(argv => [build() . '/smtpfront', '-n', '-r', $db,
	    '192.0.2.9', 'client.example.net', 'sender@example.net', $to],
	    timeout => 30, env => { RELAYCLIENT => undef, RBLSMTPD => undef });
	ok($rc == $want && $o =~ $re, "production.rules: $name")
	    or diag("exit $rc\n$o");
}

# --- the banner a client sees ------------------------------------------------

{
	# no greet delay here: the banner, not the wait, is under test
	my $s = start_tcpserver(ip => '127.77.17.1', rules => $db,
	    env => { SMTPFRONT_GREET_DELAY => '0' });
	my $c = client(server => $s, local => '127.0.0.2');
	my $r = $c->reply;
	reply_is($r, '220', undef, 'smtpfront with production.rules: 220');
	is($r->{last}, '220 mx.test.invalid ESMTP',
	    'the built-in banner: the name from tcpserver -l, then ESMTP');
	$c->cmd('QUIT');
	stop($s);
}

# --- INSTALL puts it in place ------------------------------------------------

my $install = slurp("$top/INSTALL") // '';
like($install, qr{^\s+cp cdb/production\.rules /etc/smtpfront/rules$}m,
    'INSTALL copies cdb/production.rules to /etc/smtpfront/rules');
like($install,
    qr{^\s+smtpfront-cdb /etc/smtpfront/rules /etc/smtpfront/rules\.cdb$}m,
    'INSTALL compiles it to /etc/smtpfront/rules.cdb');

done_testing();
