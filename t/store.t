#!/usr/bin/perl
# t/store.t: smtpfront-store, the store's maintenance command, on a store
# written by smtpfront itself (greylisting and a trap listener under
# tcpserver, the sink as the child): list, show, allow, remove, untrap,
# expire, stats, and its usage errors.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use SF;
use Conn;

my $T = SF::tmp();
my $DB = "$T/store.mdb";
my $TOOL = build() . '/smtpfront-store';
my $RULES = cdb("list rcpt_domain example.test\n");

sub tool {
	my ($code, $out) = run(argv => [$TOOL, '-f', $DB, @_], timeout => 30);
	return ($code, $out);
}

sub server {
	my ($ip, %env) = @_;
	return start_tcpserver(ip => $ip, rules => $RULES,
	    env => { SMTPFRONT_STORE => $DB, SMTPFRONT_GREYLIST_ACTION =>
	    'defer', SMTPFRONT_GREYLIST_DELAY => 60,
	    SMTPFRONT_TRAP_ACTION => 'reject', %env });
}

sub session {
	my ($s, $local, $from) = @_;
	my $c = client(server => $s, local => $local);
	my ($b) = $c->start('client.test');
	my $m = { banner => $b };
	if (($b->{code} // '') eq '220') {
		$m = mail($c, from => $from // 'alice@sender.test');
		$c->cmd('QUIT');
	}
	$c->closed(5);
	return $m;
}

my $mx = server('127.77.56.1');
my $trap = server('127.77.56.2', SMTPFRONT_TRAP_LISTENER => 'yes',
    SMTPFRONT_TRAP_LIFETIME => 2);
session($mx, '127.0.0.2');
session($mx, '127.0.1.2', 'bob@other.test');
session($trap, '127.0.0.9');

my ($code, $out) = tool('list');
is($code, 0, 'list: exit 0');
like($out, qr/^g 127\.0\.0\.0\/24 alice\@sender\.test user\@example\.test\tfirst=\S+Z last=\S+Z count=1 expires=\S+Z$/m,
    'list: the first triplet');
like($out, qr/^g 127\.0\.1\.0\/24 bob\@other\.test user\@example\.test\t/m,
    'list: the second triplet');
like($out, qr/^t 127\.0\.0\.9\tfirst=.* count=1 /m, 'list: the trapped client');
($code, $out) = tool('list', 'trap');
is(scalar(() = $out =~ /^t /mg) . '/' . scalar(() = $out =~ /^g /mg), '1/0',
    'list trap: only the trap');
($code, $out) = tool('show', '127.0.1.0/24');
like($out, qr/\Abob|^g 127\.0\.1\.0\/24 bob/m, 'show a network: its triplet');
unlike($out, qr/alice/, 'show a network: not the others');
($code, $out) = tool('show', '198.51.100.1');
is($code, 1, 'show: nothing found, exit 1');

($code) = tool('allow', '127.0.0.0/24');
is($code, 0, 'allow a network: exit 0');
my $m = session($mx, '127.0.0.3', 'new@sender.test');
reply_is($m->{eod}, '250', undef, 'the allowed network passes greylisting');

($code) = tool('remove', 'g 127.0.1.0/24 bob@other.test user@example.test');
is($code, 0, 'remove: exit 0');
($code, $out) = tool('list', 'greylist');
unlike($out, qr/bob/, 'remove: the triplet is gone');

$m = session($mx, '127.0.0.9');
reply_is($m->{rcpt}[0], '554', '5.7.1', 'the trapped client is refused');
($code) = tool('untrap', '127.0.0.9');
is($code, 0, 'untrap: exit 0');
$m = session($mx, '127.0.0.9', 'alice@sender.test');
reply_is($m->{rcpt}[0], '250', undef, 'untrapped (and the network allowed): taken');
($code) = tool('untrap', '127.0.0.9');
is($code, 1, 'untrap again: nothing, exit 1');

session($trap, '127.0.0.8');
sleep(2.3);
($code, $out) = tool('stats');
like($out, qr/^trap 0$/m, 'stats: the expired trap not counted live');
like($out, qr/^expired [1-9]\d*$/m, 'stats: it counts as expired');
like($out, qr/^pages \d+ of \d+ \(page \d+ bytes\)$/m, 'stats: pages');
($code, $out) = tool('expire');
like($out, qr/^expired [1-9]\d*, kept [1-9]\d*$/m, 'expire: deletes them');
($code, $out) = tool('stats');
like($out, qr/^expired 0$/m, 'stats after expire: none expired left');

($code, $out) = run(argv => [$TOOL, 'frobnicate'], timeout => 30);
is($code, 100, 'a usage error: exit 100');
($code, $out) = run(argv => [$TOOL, '-f', "$T/no/such/dir/x.mdb", 'list'],
    timeout => 30);
is($code, 111, 'a store that cannot be opened: exit 111');
like($out, qr/^smtpfront-store: store \S+x\.mdb: open: /m, 'and says why');

stop($mx);
stop($trap);
done_testing();
