#!/usr/bin/perl
# t/fault-slow.t: slow and silent clients, all at once, with
# SMTPFRONT_TIMEOUT=3 (seconds per read):
#   - a client trickling its HELO one byte a second is served;
#   - a client trickling its message one byte a second is served, and the
#     message arrives byte for byte;
#   - a trickling session costs (almost) no CPU: no busy loop;
#   - a client silent after the banner gets 421 4.4.2 after the timeout
#     and is closed (log: timeout reason=idle);
#   - a client silent in the middle of DATA gets 421 4.4.2 and is closed,
#     and nothing reaches the child (log: reason="during DATA");
#   - a client that trickles for ever is ended by the session ceiling
#     (SMTPFRONT_SESSION_TIMEOUT=10): 421 4.4.2 and close.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use POSIX ();
use SF;
use Fault;

my $TIMEOUT = 3;
my $CEILING = 10;
my $HZ = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
my $CPU_MAX = sanitized() ? 2 : 1;	# seconds for a whole trickled session

my $sa = start_tcpserver(rules => test_rules(),
    env => { SMTPFRONT_TIMEOUT => $TIMEOUT });
my $sb = start_tcpserver(rules => test_rules(),
    env => { SMTPFRONT_TIMEOUT => $TIMEOUT,
    SMTPFRONT_SESSION_TIMEOUT => $CEILING });

my $body = crlf("Subject: slow\n\nslow\n");

# Trickle the HELO.
my $th = client(server => $sa, local => '127.0.0.2');
reply_is($th->reply, '220', undef, 'trickled HELO: banner');
# Trickle a message.
my $td = client(server => $sa, local => '127.0.0.2');
$td->start('client.test');
reply_is($td->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'trickled DATA: MAIL');
reply_is($td->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5', 'trickled DATA: RCPT');
reply_is($td->cmd('DATA'), '354', undef, 'trickled DATA: 354');
# Silent after the banner.
my $ts = client(server => $sa, local => '127.0.0.2');
reply_is($ts->reply, '220', undef, 'silent: banner');
# Silent in the middle of DATA.
my $tm = client(server => $sa, local => '127.0.0.2');
$tm->start('client.test');
reply_is($tm->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'silent in DATA: MAIL');
reply_is($tm->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5', 'silent in DATA: RCPT');
reply_is($tm->cmd('DATA'), '354', undef, 'silent in DATA: 354');
$tm->send(crlf("Subject: half\n\nthe first half, then nothing\n"));
# Trickles for ever, one byte a second, under the session ceiling.
my $te = client(server => $sb, local => '127.0.0.2');
reply_is($te->reply, '220', undef, 'endless trickle: banner');

my @tr = ({ c => $th, data => "HELO client.test\r\n", done => 1 },
    { c => $td, data => $body . ".\r\n", done => 1 },
    { c => $te, data => "NOOP" . (" x" x 100) });
my %closed;	# client => seconds after the start when it saw the close
my %cpu;	# session pid => CPU seconds, sampled while trickling
my $t0 = time;
my $end = length($tr[1]{data}) + 1;
for my $sec (0 .. $end) {
	my $wait = $t0 + $sec - time;
	sleep($wait) if $wait > 0;
	for my $t (@tr) {
		next if $t->{c}{eof} || $sec >= length($t->{data});
		$t->{c}->send(substr($t->{data}, $sec, 1), 2);
		if ($sec == length($t->{data}) - 1 && $t->{done}) {
			# the last byte: the answer and QUIT, before the
			# client itself is silent for longer than the timeout
			$t->{reply} = $t->{c}->reply(10);
			$t->{quit} = $t->{c}->cmd('QUIT', 10);
		}
	}
	for my $c ($ts, $tm, $te) {
		$c->fill(0) unless $c->{eof};
		$closed{$c} //= time - $t0 if $c->{eof};
	}
	if ($sec == 12) {
		for my $p (grep { (ppid_of($_) // 0) == $sa->{pid} }
		    descendants($sa->{pid})) {
			my $st = slurp("/proc/$p/stat") // next;
			$st =~ s/^.*\) //s;
			my @f = split(/ /, $st);
			$cpu{$p} = ($f[11] + $f[12]) / $HZ;
		}
	}
}

reply_is($tr[0]{reply}, '250', undef, 'trickled HELO, one byte a second: 250');
reply_is($tr[0]{quit}, '221', '2.0.0', 'trickled HELO: QUIT');
reply_is($tr[1]{reply}, '250', '2.0.0', 'trickled message, one byte a second: 250');
reply_is($tr[1]{quit}, '221', '2.0.0', 'trickled message: QUIT');
my @m = sink_messages($sa->{sinkdir});
is(scalar(@m), 1, 'one message arrived');
is($m[0]{msg} // '', $body, 'the trickled message, byte for byte');

ok(scalar(keys %cpu) >= 2, 'sessions sampled while trickling');
my @busy = grep { $cpu{$_} > $CPU_MAX } keys %cpu;
is_deeply(\@busy, [], "no trickled session used more than $CPU_MAX s of CPU")
    or diag(join(', ', map { "$_: $cpu{$_} s" } keys %cpu));

# The silent ones.
ok(defined $closed{$ts} && $closed{$ts} >= $TIMEOUT - 0.5 &&
    $closed{$ts} < $TIMEOUT + 4, 'silent after the banner: closed after the timeout')
    or diag('closed at ' . ($closed{$ts} // 'never'));
like($ts->rest, qr/^421 4\.4\.2 /m, 'silent after the banner: 421 4.4.2');
ok(defined $closed{$tm} && $closed{$tm} >= $TIMEOUT - 0.5 &&
    $closed{$tm} < $TIMEOUT + 4, 'silent in DATA: closed after the timeout')
    or diag('closed at ' . ($closed{$tm} // 'never'));
like($tm->rest, qr/^421 4\.4\.2 /m, 'silent in DATA: 421 4.4.2');
is(scalar(sink_messages($sa->{sinkdir})), 1, 'silent in DATA: nothing more reached the child');
ok(scalar(log_lines($sa, qr/: timeout check=protocol rule=timeout reason=idle /)) == 1,
    'log: one idle timeout') or diag(log_text($sa));
ok(scalar(log_lines($sa, qr/: timeout check=protocol rule=timeout reason="during DATA" /)) == 1,
    'log: one timeout during DATA') or diag(log_text($sa));

# The endless trickle.
ok(defined $closed{$te} && $closed{$te} >= $CEILING - 1.5 &&
    $closed{$te} < $CEILING + 4, 'endless trickle: closed at the session ceiling')
    or diag('closed at ' . ($closed{$te} // 'never'));
like($te->rest, qr/^421 4\.4\.2 /m, 'endless trickle: 421 4.4.2');
ok(scalar(log_lines($sb, qr/: timeout check=protocol rule=session_timeout reason="session ceiling" /)) == 1,
    'log: the session ceiling') or diag(log_text($sb));

stop($sa);
stop($sb);
done_testing();
