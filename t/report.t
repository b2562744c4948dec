#!/usr/bin/perl
# t/report.t: scripts/smtpfront-report on real log lines.  Sessions are
# run through the built smtpfront under tcpserver (the sink as the MTA
# child): delivered messages, refusals by several checks, a held
# refusal, a warn-mode hit, a deferral (RBLSMTPD), protocol errors and a
# drop.  Their log is fed to the report plain, with multilog and syslog
# prefixes, in smtpfront's own syslog form and with tcpserver's own
# lines, and the counts must match
# what the sessions did.  A sender with blanks in a quoted local part
# must not fake a count.  40 MB of those lines go through in 20 MB of
# address space.
#
# The same log with time stamps (multilog's TAI64N, tai64nlocal's ISO,
# syslog's traditional, ISO and RFC 5424 forms) and as journald's export
# records gives the rows per hour and day; a hand-written export with
# binary fields is read by their lengths.  --rules and --top are checked
# against the sessions' checks, rules and client networks (IPv4 /24 and,
# hand-written, IPv6 /64).  The --html page is loaded in headless
# chromium: its DOM has the bars and points of the sessions, markup
# from the log stays text, the net log shows no request of the page (and
# does show one of a page that makes one), and a screenshot has the
# bars' colours.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::Local qw(timegm);
use Compress::Zlib ();
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
@r = session($b, '127.0.1.7', 'client.test', 'MAIL FROM:<a@b.test>',
    'RCPT TO:<user@example.test>');
like($r[1]{code}, qr/^4/, 'b1: deferred by RBLSMTPD');
{
	my $c = client(server => $b, local => '127.0.1.8');
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

# A file name that looks like an awk assignment is still a file; a
# page name with a backslash is that name.
spew(tmp() . '/x=1.log', $plain);
{
	require Cwd;
	my $cwd = Cwd::getcwd();
	chdir(tmp()) or die "chdir: $!";
	($code, $out) = run(argv => [$report, 'x=1.log', 'x=1.log'],
	    timeout => 30);
	chdir($cwd) or die "chdir: $!";
}
ok($code == 0 && $out =~ /^sessions +14\n/, 'a FILE named x=1.log is read');
($code, $out) = run(argv => [$report, '--html', tmp() . '/p\\tq.html'],
    input => $plain, timeout => 30);
ok($code == 0 && -s tmp() . '/p\\tq.html', 'a page named p\\tq.html');

# A big log in little memory: the counts are kept, not the lines.
# 40 MB of the sessions' lines under a 20 MB address space limit.
{
	my $n = int(40e6 / length($plain)) + 1;
	my $big = spew(tmp() . '/big.log', $plain x $n);
	($code, $out) = run(argv => ['sh', '-c',
	    'ulimit -v 20000 && exec "$0" --by day "$@"', $report, $big],
	    timeout => 300);
	unlink($big);
	ok($code == 0 && $out =~ /^sessions +\Q@{[7 * $n]}\E\n/ &&
	    $out =~ /\ncommands rejected +\Q@{[5 * $n]}\E\n/ &&
	    $out =~ /\ntotal +@{[5 * $n]} +$n +$n +$n\n/,
	    "$n times the log in 20 MB of address space") or diag($out);
}

# Nothing in, nothing counted.
($code, $out) = run(argv => [$report], input => "tcpserver: status: 0/40\n",
    timeout => 30);
like($out, qr/^sessions\s+0\nmessages delivered\s+0\n/,
    'report of no smtpfront line: zeros');
like($out, qr/\ntotal\s+0\s+0\s+0\s+0\n\z/, 'report of no line: empty table');

($code, $out) = run(argv => [$report, tmp() . '/no-such.log'], timeout => 30);
isnt($code, 0, 'report of a missing file: non-zero exit');

# --- per check and rule, top networks and rules ----------------------------

($code, $out) = run(argv => [$report, '--rules', '--top', '2'],
    input => $plain, timeout => 30);
is($code, 0, '--rules --top 2: exit 0');
like($out, qr/\A\Q$want\E\n/, '--rules --top 2: the totals and checks first');
my $rules_want = <<'EOF';
check                rule                       reject    defer     drop     warn
helo_fqdn            SMTPFRONT_HELO_FQDN_ACTION        0        0        0        1
helo_list            builtin                         1        0        0        0
protocol             errors_max                      0        0        1        0
protocol             unknown                         2        0        0        0
rblsmtpd             RBLSMTPD                        0        1        0        0
rcpt_domain          builtin                         1        0        0        0
rcpt_users           builtin                         1        0        0        0
EOF
like($out, qr/\n\n\Q$rules_want\E\n/, '--rules: a row per check and rule');
# server B's clients are in 127.0.1.0/24: a defer, two rejects, a drop
my $top_want = <<'EOF';
top refused client networks                   refused
127.0.1.0/24                                        4
127.0.0.0/24                                        3

top refusing rules                            refused
protocol             unknown                        2
helo_list            builtin                        1
EOF
like($out, qr/\n\n\Q$top_want\E\z/, '--top 2: networks by refusals, rules');

# IPv6 clients count for their /64, IPv4-mapped ones as IPv4; a rule
# with blanks is quoted.
my $nets = join('', map { "smtpfront[9] $_->[0]: reject check=x " .
    "rule=$_->[1] cmd=RCPT code=550\n" } (['2001:db8:0:1::5', '"my rules:4"'],
    ['2001:0db8:0000:0001:abcd::1', '"my rules:4"'], ['2001:db8:0:2::1', 'r:1'],
    ['::ffff:192.0.2.9', 'r:1'], ['192.0.2.200', '"my rules:4"'],
    ['2001:db8:0:1:ffff:ffff:ffff:ffff', 'r:2']));
($code, $out) = run(argv => [$report, '--top', '3', '--rules'], input => $nets,
    timeout => 30);
like($out, qr/\ntop refused client networks +refused\n2001:db8:0:1::\/64 +3\n192\.0\.2\.0\/24 +2\n2001:db8:0:2::\/64 +1\n\n/,
    'IPv6 /64 and IPv4 /24 networks');
like($out, qr/\nx +my rules:4 +3 +0 +0 +0\n/, 'a quoted rule with a blank');
like($out, qr/\ntop refusing rules +refused\nx +my rules:4 +3\nx +r:1 +2\nx +r:2 +1\n\z/,
    'the top rules, most first');

# --- time: multilog, ISO, syslog and RFC 5424 stamps, per hour and day -----

# Server A's lines at 10:20 UTC, server B's at 11:40, 3 December 2026.
my $ta = timegm(0, 20, 10, 3, 11, 2026);
my $tb = timegm(0, 40, 11, 3, 11, 2026);
my %when = (map({ $_ => $ta } @la), map({ $_ => $tb } @lb));
sub tai { sprintf('@40000000%08x%08x', $_[0] + 10, 0) }
sub iso {
	my @t = gmtime($_[0]);
	sprintf('%04d-%02d-%02d%s%02d:%02d:%02d', $t[5] + 1900, $t[4] + 1,
	    $t[3], $_[1], $t[2], $t[1], $t[0]);
}
my $by_hour = <<'EOF';
hour             sessions delivered undelivered   reject    defer     drop     warn
2026-12-03 10:00        5         2           0        3        0        0        1
2026-12-03 11:00        2         0           0        2        1        1        0
EOF
my $by_day = <<'EOF';
day              sessions delivered undelivered   reject    defer     drop     warn
2026-12-03              7         2           0        5        1        1        1
EOF
# A traditional syslog stamp has no year: the report takes the last
# twelve months (tested below with a stamp of ten days ago).
my %forms = (
    multilog => sub { tai($when{$_[0]}) . " $_[0]" },
    tai64nlocal => sub { iso($when{$_[0]}, ' ') . ".123456789 $_[0]" },
    rfc5424 => sub { my $l = shift; my $t = iso($when{$l}, 'T');
	$l =~ s/^smtpfront\[(\d+)\] /smtpfront $1 - - / ?
	    "<22>1 ${t}Z mx $l" : $l },
    'syslog, ISO' => sub { my $l = shift; my $t = iso($when{$l}, 'T');
	$l =~ s/^(smtpfront\[\d+\]) /$1: / ? "${t}+00:00 mx $l" : $l },
);
for my $form (sort keys %forms) {
	my $in = '';
	for my $l (@la, @lb) {
		my $x = $forms{$form}->($l);
		$in .= "$x\n";
	}
	($code, $out) = run(argv => [$report, '--by', 'hour'], input => $in,
	    timeout => 30);
	ok($code == 0 && index($out, "$want\n$by_hour") == 0,
	    "$form: the same table, and one row per hour") or diag($out);
}
($code, $out) = run(argv => [$report, '--by=day'],
    input => join('', map { $forms{multilog}->($_) . "\n" } @la, @lb),
    timeout => 30);
is($out, "$want\n$by_day", '--by=day: one row for the day');
{
	# Ten days ago, so the stamp's year is the one the report assumes
	# (the last twelve months) whatever the day the test runs.
	my @b = gmtime(time - 10 * 86400);
	my %sw = (map({ $_ => timegm(0, 20, 10, $b[3], $b[4], $b[5]) } @la),
	    map({ $_ => timegm(0, 40, 11, $b[3], $b[4], $b[5]) } @lb));
	my @mon = qw(Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec);
	my $in = join('', map { my $l = $_; my @t = gmtime($sw{$l});
	    $l =~ s/^(smtpfront\[\d+\]) /$1: /;
	    sprintf("%s %2d %02d:%02d:%02d mx %s\n", $mon[$t[4]], $t[3], $t[2],
	    $t[1], $t[0], $l) } @la, @lb);
	my $day = sprintf('%04d-%02d-%02d', $b[5] + 1900, $b[4] + 1, $b[3]);
	(my $rows = $by_hour) =~ s/2026-12-03/$day/g;
	($code, $out) = run(argv => [$report, '--by', 'hour'], input => $in,
	    timeout => 30);
	is($out, "$want\n$rows", "syslog \"$mon[$b[4]] $b[3] 10:20:00\": per hour, this year's");
}

# --- journald's export format ----------------------------------------------

# What "journalctl -o export" writes for the same lines: server A's as
# a service's standard error (the line whole in MESSAGE), server B's as
# syslog(3) under inetd would (identifier and pid apart); tcpserver's
# lines are records of their own.
sub rec {
	my ($t, @f) = @_;
	return "__CURSOR=s=0;i=" . ++$main::nrec . "\n__REALTIME_TIMESTAMP=" .
	    ($t * 1000000 + 123456) . "\n__MONOTONIC_TIMESTAMP=1\n" .
	    join('', map { "$_\n" } @f) . "\n";
}
my $export = '';
for my $l (@la) {
	if ($l =~ /^smtpfront\[(\d+)\] /) {
		$export .= rec($ta, "_PID=$1", 'SYSLOG_IDENTIFIER=smtpfront',
		    "MESSAGE=$l");
	} else {
		$export .= rec($ta, '_PID=5', 'SYSLOG_IDENTIFIER=tcpserver',
		    "MESSAGE=$l");
	}
}
for my $l (@lb) {
	my ($pid, $m) = $l =~ /^smtpfront\[(\d+)\] (.*)$/ or next;
	$export .= rec($tb, '_PID=1', "SYSLOG_PID=$pid",
	    'SYSLOG_IDENTIFIER=smtpfront', "MESSAGE=$m", 'PRIORITY=6');
}
($code, $out) = run(argv => [$report, '--by', 'hour'], input => $export,
    timeout => 30);
is($out, "$want\n$by_hour", 'journald export: the same table, per hour');

# Binary fields, written by hand: a name line, the length as 64 bits
# little-endian, the data, a newline (rec's).
sub bin { "$_[0]\n" . pack('V V', length($_[1]), 0) . $_[1] }
my $t0 = timegm(0, 5, 9, 3, 11, 2026);
my $bexport =
    # the message itself binary, with a newline inside
    rec($t0, 'SYSLOG_IDENTIFIER=smtpfront',
	bin('MESSAGE', "smtpfront[71] 192.0.2.10: reject check=helo_list " .
	"rule=bin:1 cmd=HELO code=550\nmore")) .
    # a binary field whose data looks like records: never read as such
    rec($t0, bin('DATA', "x\n\nMESSAGE=smtpfront[72] 192.0.2.11: reject " .
	"check=fake rule=f:1 cmd=RCPT\n\n"),
	'MESSAGE=smtpfront[72] 192.0.2.11: defer check=greylist rule=g:1 cmd=RCPT') .
    # length 10: its first byte is a newline
    rec($t0, bin('TEN', '0123456789'),
	# big data is counted through, not kept
	bin('BIG', "MESSAGE=smtpfront[9] 192.0.2.9: reject check=fake rule=f\n" x
	4000),
	'MESSAGE=smtpfront[73] 192.0.2.12: reject check=sender_list rule=s:1') .
    # a binary NUL in the length bytes above and zero-length data
    rec($t0, bin('EMPTY', ''),
	'MESSAGE=smtpfront[74] 192.0.2.13: drop check=protocol rule=errors_max') .
    # a message over 64 KiB is not read
    rec($t0, bin('MESSAGE', "smtpfront[76] 192.0.2.15: reject check=huge " .
	"rule=h:1 reason=" . ('x' x 70000))) .
    # cut short: the record is skipped, not read into the next
    "__CURSOR=s=0;i=99\n" . "MESSAGE\n" . pack('V V', 1000, 0) .
    "smtpfront[75] 192.0.2.14: reject check=cut rule=c:1\n";
($code, $out) = run(argv => [$report, '--rules'], input => $bexport,
    timeout => 30);
is($code, 0, 'export with binary fields: exit 0');
my $bin_want = <<'EOF';
check                  reject    defer     drop     warn
greylist                    0        1        0        0
helo_list                   1        0        0        0
protocol                    0        0        1        0
sender_list                 1        0        0        0
total                       2        1        1        0

check                rule                       reject    defer     drop     warn
greylist             g:1                             0        1        0        0
helo_list            bin:1                           1        0        0        0
protocol             errors_max                      0        0        1        0
sender_list          s:1                             1        0        0        0
EOF
like($out, qr/\n\n\Q$bin_want\E\z/,
    'export with binary fields: each read by its length, nothing else');

# --- options ---------------------------------------------------------------

($code, $out) = run(argv => [$report, '--help'], timeout => 30);
ok($code == 0 && $out =~ /^usage: smtpfront-report /, '--help: usage, exit 0');
for my $bad (['--by', 'week'], ['--top', 'x'], ['--top', '0'], ['--html'],
    ['--frob']) {
	($code, $out) = run(argv => [$report, @$bad], input => '',
	    timeout => 30);
	ok($code == 100 && $out =~ /usage:/, "@$bad: usage error, exit 100");
}
my $man = slurp(top() . '/man/smtpfront-report.8') // '';
(my $m = $man) =~ s/\\-/-/g;
for my $opt ('--by', '--rules', '--top', '--html', '--help') {
	(my $o = $opt) =~ s/^--//;
	like($m, qr/^\.It Fl -\Q$o\E\b/m, "smtpfront-report.8 explains $opt");
}

# --- the HTML page, in a real browser --------------------------------------

my $page = tmp() . '/report.html';
my $syslog_timed = join('', map { my $l = $_; my $t = iso($when{$l}, 'T');
    $l =~ s/^(smtpfront\[\d+\]) /$1: / ? "${t}+00:00 mx $l\n" : "$l\n" }
    @la, @lb);
($code, $out) = run(argv => [$report, '--by', 'hour', '--html', $page],
    input => $syslog_timed, timeout => 30);
ok($code == 0 && index($out, "$want\n$by_hour") == 0,
    '--html FILE: the tables on standard output as well');
my $html = slurp($page) // '';
like($html, qr/\A<!DOCTYPE html>/, 'the page is written');
($code, $out) = run(argv => [$report, '--by', 'hour', '--html', '-'],
    input => $syslog_timed, timeout => 30);
is($out, $html, '--html -: the same page on standard output, no table');
unlike($html, qr{://|<script|\bsrc=|\bhref=|url\(|\@import}i,
    'the page refers to nothing outside itself');

# a check and a rule with markup in them: escaped, text only
my $evil = "smtpfront[1] 192.0.2.1: reject check=x<script>alert(1)</script> " .
    "rule=\"a&b<i>c'\" cmd=RCPT code=550\n" .
    "smtpfront[1] 192.0.2.1: reject check=y\"><img rule=z code=550\n";
my $epage = tmp() . '/evil.html';
($code, $out) = run(argv => [$report, '--html', $epage], input => $evil,
    timeout => 30);
my $ehtml = slurp($epage) // '';
ok($ehtml =~ /x&lt;script&gt;alert\(1\)&lt;\/script&gt;/ &&
    $ehtml =~ /a&amp;b&lt;i&gt;c&#39;/ && $ehtml =~ /y&quot;&gt;&lt;img/,
    'markup from the log is escaped');
unlike($ehtml, qr/<script|<i>|<img/, 'no markup from the log gets through');

# The charts' time axis is to scale: the hours or days without a line
# are there, with nothing, across a month's and a year's end.
my $gap = "2026-12-03 10:05:00 smtpfront[1] 192.0.2.1: reject check=a rule=r code=550\n" .
    "2026-12-03 13:05:00 smtpfront[1] 192.0.2.1: reject check=b rule=r code=550\n" .
    "2026-12-28T23:05:00 smtpfront[1] 192.0.2.1: reject check=b rule=r code=550\n" .
    "2027-01-02T00:05:00 smtpfront[1] 192.0.2.1: reject check=b rule=r code=550\n";
($code, $out) = run(argv => [$report, '--by', 'day', '--html', '-'],
    input => $gap, timeout => 30);
my %pt = $out =~ /<circle class="pt refused" data-bucket="([^"]*)" data-count="(\d+)"/g;
my @days = sort keys %pt;
ok(@days == 31 && $days[0] eq '2026-12-03' && $days[-1] eq '2027-01-02' &&
    $pt{'2026-12-03'} == 2 && $pt{'2026-12-28'} == 1 &&
    $pt{'2027-01-02'} == 1 && $pt{'2026-12-31'} == 0 && $pt{'2027-01-01'} == 0,
    'per day: a point for each of the 31 days') or diag("@days");
($code, $out) = run(argv => [$report, '--html', '-'], input => $gap,
    timeout => 30);
%pt = $out =~ /<circle class="pt refused" data-bucket="([^"]*)" data-count="(\d+)"/g;
ok(keys(%pt) == 711 && $pt{'2026-12-03 10:00'} == 1 &&
    $pt{'2026-12-03 11:00'} == 0 && $pt{'2026-12-03 13:00'} == 1 &&
    $pt{'2027-01-02 00:00'} == 1, 'per hour (the default): 711 hours');

my $chromium = (grep { -x } map { "$_/chromium" } split /:/, $ENV{PATH})[0];
ok(defined $chromium, 'chromium is installed (scripts/deps.sh test)');
SKIP: {
	skip('no chromium', 23) unless defined $chromium;
	# headless, no sandbox (root), no profile, no network of its own;
	# the net log shows every request made
	sub browse {
		my ($file, @how) = @_;
		my $d = tmp() . '/chromium.' . ++$main::nrec;
		mkdir($d) or die "$d: $!";
		my ($c, $o) = run(argv => [$chromium, '--headless', '--no-sandbox',
		    '--disable-gpu', '--disable-quic', '--no-first-run',
		    '--disable-background-networking', '--disable-component-update',
		    '--disable-sync', '--disable-dev-shm-usage',
		    '--host-resolver-rules=MAP * ~NOTFOUND',
		    "--user-data-dir=$d/profile", "--log-net-log=$d/net.json",
		    '--window-size=900,1200', @how, "file://$file"],
		    env => { HOME => $d, DBUS_SESSION_BUS_ADDRESS => 'disabled:' },
		    timeout => 180);
		return ($c, $o, slurp("$d/net.json") // '');
	}
	# the requests a page made (the browser's own have no origin)
	sub page_requests {
		my @r;
		for my $l (split /\n/, $_[0]) {
			my ($i) = $l =~ /"initiator":"([^"]*)"/ or next;
			next if $i eq 'not an origin';
			my ($u) = $l =~ /"url":"([^"]*)"/;
			push @r, $u // $i;
		}
		return @r;
	}
	my ($c, $dom, $net) = browse($page, '--dump-dom');
	is($c, 0, 'chromium --dump-dom: exit 0');
	like($dom, qr/<h1>smtpfront report<\/h1>/, 'chromium parsed the page');
	# refusals per check: a bar per hour and refusing check
	my ($svg1) = $dom =~ /(<svg id="refusals".*?<\/svg>)/s;
	my @bars = ($svg1 // '') =~ /<rect class="bar" ([^>]*)>/g;
	my %bar = map { /data-bucket="([^"]*)"/; my $b = $1;
	    /data-check="([^"]*)"/; my $k = $1; /data-count="(\d+)"/;
	    ("$b $k" => $1) } @bars;
	is_deeply(\%bar, { '2026-12-03 10:00 helo_list' => 1,
	    '2026-12-03 10:00 rcpt_domain' => 1,
	    '2026-12-03 10:00 rcpt_users' => 1,
	    '2026-12-03 11:00 protocol' => 3, '2026-12-03 11:00 rblsmtpd' => 1 },
	    'refusals chart: the bars of the sessions') or diag(join "\n", @bars);
	is(scalar(@bars), 5, 'refusals chart: five bars');
	my @h = map { /height="([\d.]+)"/ ? $1 : 0 } @bars;
	ok(@h == 5 && !grep({ $_ <= 0 } @h), 'refusals chart: bars have height');
	my @x1 = ($svg1 // '') =~ /<text class="xlabel"[^>]*>([^<]*)</g;
	is_deeply(\@x1, ['2026-12-03 10:00', '2026-12-03 11:00'],
	    'refusals chart: the hours on the x axis');
	my @leg = ($svg1 // '') =~ /<text class="legend"[^>]*>([^<]*)</g;
	is_deeply(\@leg, [qw(helo_list protocol rblsmtpd rcpt_domain
	    rcpt_users)], 'refusals chart: a legend of the refusing checks');
	# delivered against refused: a point per hour and line
	my ($svg2) = $dom =~ /(<svg id="delivered".*?<\/svg>)/s;
	my @pts = ($svg2 // '') =~ /<circle class="pt (\w+)" data-bucket="[^"]*" data-count="(\d+)"/g;
	is("@pts", 'delivered 2 delivered 0 refused 3 refused 4',
	    'delivered chart: two points a line, the counts of each hour');
	my @lines = ($svg2 // '') =~ /<polyline class="line (\w+)"/g;
	is("@lines", 'delivered refused', 'delivered chart: two lines');
	my ($tnet) = $dom =~ /<table id="networks">(.*?)<\/table>/s;
	like($tnet // '', qr/127\.0\.1\.0\/24<\/td><td class="n">4<.*127\.0\.0\.0\/24<\/td><td class="n">3</s,
	    'the page lists the top networks');
	is(scalar(page_requests($net)), 0, 'the page requested nothing')
	    or diag(join "\n", page_requests($net));
	# the same net log shows a page that does make a request
	my $ctl = spew(tmp() . '/control.html',
	    $html =~ s{<h1>}{<img src="http://report.invalid/x.png"><h1>}r);
	(undef, undef, $net) = browse($ctl, '--dump-dom');
	ok(scalar(grep { /report\.invalid/ } page_requests($net)),
	    'a page with an image from outside: its request is seen');

	# the escaped page: text, no element from the log
	($c, $dom) = browse($epage, '--dump-dom');
	ok($dom =~ /x&lt;script&gt;/ && $dom !~ /<script|<img|<i>/,
	    'chromium: the markup from the log stays text');

	# a screenshot: the bars' colours are on it
	my $png = tmp() . '/shot.png';
	($c) = browse($page, "--screenshot=$png");
	ok(-s $png, 'chromium --screenshot wrote a PNG');
	my %colours = png_colours(slurp($png) // '');
	ok(keys(%colours) >= 8, 'the screenshot has many colours (' .
	    scalar(keys %colours) . ')');
	my $white = $colours{'255,255,255'} // 0;
	my $all = 0;
	$all += $_ for values %colours;
	ok($all > 0 && $white < $all * 0.97, 'the screenshot is not blank');
	# the palette of the page: helo_list, protocol, rblsmtpd,
	# rcpt_domain, rcpt_users are its 2nd to 6th colours; a bar is
	# some thousand pixels, its key in the legend 144
	for my $rgb ('214,39,40', '44,160,44', '255,127,14', '148,103,189',
	    '140,86,75') {
		ok(($colours{$rgb} // 0) > 1000, "bars of colour $rgb are drawn")
		    or diag($colours{$rgb} // 0);
	}
	# the lines of the second chart
	for my $rgb ('46,139,87', '178,34,34') {
		ok(($colours{$rgb} // 0) > 100, "a line of colour $rgb is drawn")
		    or diag($colours{$rgb} // 0);
	}
}

# The colours of a PNG (8-bit RGB or RGBA, not interlaced): count of
# pixels by "r,g,b".
sub png_colours {
	my ($data) = @_;
	return () unless substr($data, 0, 8) eq "\x89PNG\r\n\x1a\n";
	my ($w, $h, $depth, $type, $inter, $idat) = (0, 0, 0, 0, 0, '');
	my $p = 8;
	while ($p + 8 <= length($data)) {
		my ($len, $kind) = unpack('N a4', substr($data, $p, 8));
		my $body = substr($data, $p + 8, $len);
		($w, $h, $depth, $type, undef, undef, $inter) =
		    unpack('N N C C C C C', $body) if $kind eq 'IHDR';
		$idat .= $body if $kind eq 'IDAT';
		$p += 12 + $len;
	}
	return () unless $depth == 8 && ($type == 2 || $type == 6) && !$inter;
	my $bpp = $type == 6 ? 4 : 3;
	my $raw = Compress::Zlib::uncompress($idat) // return ();
	my $stride = $w * $bpp;
	my @prev = (0) x $stride;
	my %n;
	for my $y (0 .. $h - 1) {
		my $off = $y * ($stride + 1);
		my $f = ord(substr($raw, $off, 1));
		my @cur = unpack('C*', substr($raw, $off + 1, $stride));
		for my $i (0 .. $stride - 1) {
			my $a = $i >= $bpp ? $cur[$i - $bpp] : 0;
			my $b = $prev[$i];
			my $c = $i >= $bpp ? $prev[$i - $bpp] : 0;
			my $x = $cur[$i];
			if ($f == 1) { $x += $a }
			elsif ($f == 2) { $x += $b }
			elsif ($f == 3) { $x += ($a + $b) >> 1 }
			elsif ($f == 4) {
				my $q = $a + $b - $c;
				my ($pa, $pb, $pc) = (abs($q - $a), abs($q - $b),
				    abs($q - $c));
				$x += ($pa <= $pb && $pa <= $pc) ? $a :
				    $pb <= $pc ? $b : $c;
			}
			$cur[$i] = $x & 255;
		}
		for (my $i = 0; $i < $stride; $i += $bpp) {
			$n{"$cur[$i],$cur[$i + 1],$cur[$i + 2]"}++;
		}
		@prev = @cur;
	}
	return %n;
}

done_testing();
