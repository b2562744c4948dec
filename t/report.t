#!/usr/bin/perl
# t/report.t: scripts/smtpfront-report on real log lines.  Sessions are
# run through the built smtpfront under tcpserver (the sink as the MTA
# child): delivered messages, refusals by several checks, a held
# refusal, a warn-mode hit, a deferral (RBLSMTPD), protocol errors and a
# drop.  Their log is fed to the report plain, with multilog and syslog
# prefixes, in smtpfront's own syslog form and with tcpserver's own
# lines, and the counts must match
# what the sessions did.  A sender with blanks in a quoted local part
# must not fake a count.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;

my $report = top() . "/scripts/smtpfront-report";
ok(-x $report, 'scripts/smtpfront-report is executable');

my $rules = cdb("list rcpt_domain example.test\n" .
    "list rcpt_users user\@example.test\n");
my $msg1 = crlf("Subject: one\n\nfirst body\n");
my $msg2 = crlf("Subject: two\n\nsecond body, a little longer\n");

# Run one session: commands, with the message after a 354.
sub session {
	my ($s, $local, $helo, @cmds) = @_;
	my $c = client(server => $s, local => $local);
	$c->start($helo);
	my @r;
	for my $cmd (@cmds) {
		if (ref $cmd) {
			push @r, $c->send($$cmd . ".\r\n") ? $c->reply : undef;
		} else {
			push @r, $c->cmd($cmd);
		}
	}
	$c->cmd('QUIT');
	$c->closed(5);
	return @r;
}

# Server A: helo_fqdn in warn mode.
my $a = start_tcpserver(rules => $rules,
    env => { SMTPFRONT_HELO_FQDN_ACTION => 'warn' });
my @r = session($a, '127.0.0.2', 'client.test', 'MAIL FROM:<a@b.test>',
    'RCPT TO:<user@example.test>', 'DATA', \$msg1);
reply_is($r[3], '250', qr/^2\./, 'a1: message delivered');
@r = session($a, '127.0.0.3', 'client.test', 'MAIL FROM:<a@b.test>',
    'RCPT TO:<x@elsewhere.test>');
reply_is($r[1], '550', '5.7.1', 'a2: relaying refused');
@r = session($a, '127.0.0.4', 'client.test', 'MAIL FROM:<a@b.test>',
    'RCPT TO:<nobody@example.test>');
reply_is($r[1], '550', '5.1.1', 'a3: unknown user refused');
@r = session($a, '127.0.0.5', 'localhost', 'MAIL FROM:<a@b.test>',
    'RCPT TO:<user@example.test>');
reply_is($r[1], '550', '5.7.1', 'a4: HELO localhost refused at RCPT');
@r = session($a, '127.0.0.6', 'shortname',
    'MAIL FROM:<"x bytes=99999 code=250"@b.test>',
    'RCPT TO:<user@example.test>', 'DATA', \$msg2);
reply_is($r[3], '250', qr/^2\./,
    'a5: message delivered, HELO hit in warn mode');
wait_log($a, qr/: session /, 5, 5);

# Server B: RBLSMTPD defers everybody; two errors end a session.
my $b = start_tcpserver(rules => $rules,
    env => { RBLSMTPD => 'Come back later', SMTPFRONT_ERRORS_MAX => 2 });
@r = session($b, '127.0.0.7', 'client.test', 'MAIL FROM:<a@b.test>',
    'RCPT TO:<user@example.test>');
like($r[1]{code}, qr/^4/, 'b1: deferred by RBLSMTPD');
{
	my $c = client(server => $b, local => '127.0.0.8');
	$c->start('client.test');
	reply_is($c->cmd('FOO'), '500', '5.5.1', 'b2: first unknown command');
	my $r = $c->cmd('BAR');
	is($r->{code}, '500', 'b2: second unknown command');
	ok($c->closed(5), 'b2: closed after errors_max');
}
wait_log($b, qr/: session /, 5, 2);

my @la = split /\n/, log_text($a);
my @lb = split /\n/, log_text($b);
stop($a);
stop($b);
ok(scalar(grep { /^smtpfront\[/ } @la) >= 10, 'server A logged');
ok(scalar(grep { /: message from=<'x bytes=99999 code=250'\@b\.test> / } @la)
    == 1, 'the sender with blanks is in the message line as it is');
# tcpserver -v lines, as in a real log
push @la, 'tcpserver: status: 1/40', 'tcpserver: pid 123 from 127.0.0.9',
    'tcpserver: end 123 status 0';

my $want = <<"EOF";
sessions                                7
messages delivered                      2
messages not delivered                  0
bytes delivered              @{[sprintf '%12d', length($msg1) + length($msg2)]}
bytes received               @{[sprintf '%12d', length($msg1) + length($msg2)]}
commands rejected                       5
commands deferred                       1
sessions dropped                        1
sessions timed out                      0
warn-mode hits                          1
temporary failures (fatal)              0

check                  reject    defer     drop     warn
helo_fqdn                   0        0        0        1
helo_list                   1        0        0        0
protocol                    2        0        1        0
rblsmtpd                    0        1        0        0
rcpt_domain                 1        0        0        0
rcpt_users                  1        0        0        0
total                       5        1        1        1
EOF

my $plain = join('', map { "$_\n" } @la, @lb);
my ($code, $out) = run(argv => [$report], input => $plain, timeout => 30);
is($code, 0, 'report: exit 0');
is($out, $want, 'report of the plain log: the counts of the sessions');

# multilog's time stamps on the first server's lines, syslog's prefix on
# the second's: the same table.
my $i = 0;
my $prefixed = join('', (map { sprintf("\@40000000%016x %s\n", $i++, $_) }
    @la), (map { "Nov 23 03:50:31 mx tcpserver[99]: $_\n" } @lb));
($code, $out) = run(argv => [$report], input => $prefixed, timeout => 30);
is($out, $want, 'report with multilog and syslog prefixes: the same');

# The syslog form smtpfront itself uses under inetd and xinetd:
# "smtpfront[PID]: IP: EVENT ...", after syslog's time and host.
my $syslog = join('', map { s/^(smtpfront\[\d+\]) /Nov 23 03:50:31 mx $1: /r . "\n" }
    @la, @lb);
like($syslog, qr/^Nov 23 03:50:31 mx smtpfront\[\d+\]: 127\.0\.0\.2: connect /m,
    'the syslog form is built');
($code, $out) = run(argv => [$report], input => $syslog, timeout => 30);
is($out, $want, 'report of smtpfront\'s syslog form: the same');

# Files as arguments, split in two.
my $fa = spew(tmp() . '/a.log', join('', map { "$_\n" } @la));
my $fb = spew(tmp() . '/b.log', join('', map { "$_\n" } @lb));
($code, $out) = run(argv => [$report, $fa, $fb], timeout => 30);
ok($code == 0 && $out eq $want, 'report of two files: the same');

# Nothing in, nothing counted.
($code, $out) = run(argv => [$report], input => "tcpserver: status: 0/40\n",
    timeout => 30);
like($out, qr/^sessions\s+0\nmessages delivered\s+0\n/,
    'report of no smtpfront line: zeros');
like($out, qr/\ntotal\s+0\s+0\s+0\s+0\n\z/, 'report of no line: empty table');

($code, $out) = run(argv => [$report, tmp() . '/no-such.log'], timeout => 30);
isnt($code, 0, 'report of a missing file: non-zero exit');

done_testing();
