#!/usr/bin/perl
# t/limits.t: limits on what a client may send and for how long: command
# lines over 512 bytes, NUL and 8-bit bytes and bare LF in commands (500
# 5.5.2, the session goes on), rcpt_max (452 4.5.3), errors_max (421 and
# close), the idle timeout and the session ceiling (421 4.4.2 and close).
# The idle timeout holds on a socket (the kernel keeps it) and on pipes
# (FIFOs here: smtpfront waits with poll).  A client that sends without
# ever reading is dropped once a write has been stuck for the timeout.
use strict;
use warnings;
use feature 'state';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use IO::Socket::INET;
use POSIX qw(mkfifo);
use Time::HiRes qw(sleep time);
use SF;

sub server { return start_tcpserver(rules => test_rules(), @_) }

my $s = server();

# --- command lines ---------------------------------------------------------
{
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	# 512 bytes with CRLF is the limit (RFC 5321 4.5.3.1.4).
	my $max = 'NOOP ' . ('x' x (512 - 2 - 5));
	reply_is($c->cmd($max), '250', '2.0.0', 'a 512-byte command line is fine');
	my $r = $c->cmd('NOOP ' . ('y' x (513 - 2 - 5)));
	ok($r->{code} =~ /^50[01]$/ && $r->{esc} =~ /^5\.5\.\d$/,
	    'a 513-byte command line: 500 or 501 5.5.x')
	    or diag(join(' | ', @{$r->{lines}}));
	reply_is($c->cmd('NOOP'), '250', '2.0.0', '... and the session still works');
	$r = $c->cmd('MAIL FROM:<' . ('z' x 4000) . '@b.test>');
	ok($r->{code} =~ /^50[01]$/ && $r->{esc} =~ /^5\.5\.\d$/,
	    'a 4 KB command line: 500 or 501 5.5.x, one reply')
	    or diag(join(' | ', @{$r->{lines}}));
	reply_is($c->cmd('NOOP'), '250', '2.0.0',
	    '... nothing of it taken as a command');
	reply_is($c->cmd("NOOP a\0b"), '500', '5.5.2', 'NUL in a command: 500 5.5.2');
	reply_is($c->cmd('NOOP'), '250', '2.0.0', '... session goes on');
	reply_is($c->cmd("NOOP caf\xe9"), '500', '5.5.2',
	    '8-bit byte in a command: 500 5.5.2');
	reply_is($c->cmd('NOOP'), '250', '2.0.0', '... session goes on');
	$c->send("NOOP\n");
	reply_is($c->reply, '500', '5.5.2', 'bare LF command: 500 5.5.2');
	reply_is($c->cmd('NOOP'), '250', '2.0.0', '... session goes on');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	ok($c->closed(5), 'closed');
}

# --- rcpt_max ------------------------------------------------------------------
{
	my $t = server(env => { SMTPFRONT_RCPT_MAX => 2 });
	my $c = client(server => $t, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	reply_is($c->cmd('RCPT TO:<one@example.test>'), '250', qr/^2\./, 'RCPT 1');
	reply_is($c->cmd('RCPT TO:<two@example.test>'), '250', qr/^2\./, 'RCPT 2');
	reply_is($c->cmd('RCPT TO:<three@example.test>'), '452', '4.5.3',
	    'RCPT 3 with rcpt_max 2: 452 4.5.3');
	reply_is($c->cmd('DATA'), '354', undef, 'DATA');
	$c->send(crlf("Subject: two\n\nbody\n.\n"));
	reply_is($c->reply, '250', qr/^2\./, 'message for two recipients');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	my @m = sink_messages($t->{sinkdir});
	is(scalar(grep { /^RCPT/ } split(/\n/, @m ? $m[0]{env} : '')), 2,
	    'the child got two recipients');
	stop($t);
}

# --- errors_max -----------------------------------------------------------
{
	my $t = server(env => { SMTPFRONT_ERRORS_MAX => 3 });
	my $c = client(server => $t, local => '127.0.0.2');
	$c->start('client.test');
	my @codes;
	my $closing;
	for my $i (1 .. 5) {
		my $r = $c->cmd("FROB$i");
		push @codes, $r->{code} || ($r->{eof} ? 'closed' : 'timeout');
		if ($r->{code} eq '421') {
			$closing = $r;
			last;
		}
	}
	is_deeply([@codes[0 .. 1]], ['500', '500'], 'first two errors: 500');
	ok(defined $closing && @codes >= 3 && @codes <= 4,
	    'errors_max 3: 421 for the third or fourth bad command')
	    or diag("replies: @codes");
	reply_is($closing, '421', '4.7.0', 'errors_max: 421 4.7.0');
	ok($c->closed(5), 'errors_max: connection closed');
	stop($t);
}

# --- idle timeout ------------------------------------------------------------
{
	my $t = server(env => { SMTPFRONT_TIMEOUT => 1 });
	my $c = client(server => $t, local => '127.0.0.2');
	$c->start('client.test');
	my $t0 = time;
	my $r = $c->reply(6);
	my $took = time - $t0;
	reply_is($r, '421', '4.4.2', 'idle for 1 s: 421 4.4.2');
	ok($took > 0.8 && $took < 4, 'idle timeout after about 1 s')
	    or diag("took $took s");
	ok($c->closed(5), 'idle timeout: closed');
	stop($t);
}

# --- session ceiling --------------------------------------------------------
{
	my $t = server(env => { SMTPFRONT_SESSION_TIMEOUT => 10 });
	my $c = client(server => $t, local => '127.0.0.2');
	my $t0 = time;
	$c->start('client.test');
	my ($r, $noops);
	for my $i (1 .. 40) {		# at most 20 s
		$r = $c->cmd('NOOP', 3);
		last unless $r->{code} eq '250';
		$noops++;
		sleep(0.5);
	}
	my $took = time - $t0;
	reply_is($r, '421', '4.4.2', 'session ceiling 10 s: 421 4.4.2');
	ok($took >= 9.5 && $took < 11.5, 'after about 10 s despite activity')
	    or diag("took $took s");
	ok($noops && $noops >= 15, 'the client was active all along')
	    or diag("NOOPs answered: " . ($noops // 0));
	ok($c->closed(5), 'session ceiling: closed');
	stop($t);
}

# The log line of a client that reads nothing.
my $STALLED = ': timeout check=protocol rule=timeout ' .
    'reason="client not reading"';

# NOOPs to $fh, non-blocking, until a write has found no room for 1 s (at
# most 30 s and 256 MB); true if it did.
sub flood {
	my ($fh) = @_;
	local $SIG{PIPE} = 'IGNORE';
	$fh->blocking(0);
	my $batch = "NOOP\r\n" x 10000;
	my ($sent, $t0, $stuck) = (0, time, undef);
	while (time - $t0 < 30 && $sent < 256 << 20) {
		my $n = syswrite($fh, $batch);
		if (defined $n && $n > 0) {
			$sent += $n;
			$stuck = undef;
			next;
		}
		$stuck //= time;
		return 1 if time - $stuck > 1;
		sleep(0.01);
	}
	diag("flood: sent $sent bytes in " . (time - $t0) . " s, never stuck");
	return 0;
}

# --- a client that sends and never reads ------------------------------------
# NOOPs without end, none of the replies read: once the socket's buffers
# are full smtpfront's write blocks, for at most the timeout (the kernel's
# SO_SNDTIMEO), then it logs and ends the session.
{
	my $t = server(env => { SMTPFRONT_TIMEOUT => 2 });
	my $c = IO::Socket::INET->new(PeerAddr => $t->{ip},
	    PeerPort => $t->{port}, LocalAddr => '127.0.0.2', Proto => 'tcp',
	    Timeout => 5) or die "connect: $!";
	my $sel = IO::Select->new($c);
	my $banner = '';
	ok($sel->can_read(5) && sysread($c, $banner, 512) &&
	    $banner =~ /^220 /, 'never reads: banner');
	ok(flood($c), 'never reads: smtpfront stopped taking commands');
	my $t1 = time;
	my @l = wait_log($t, qr/\Q$STALLED\E$/, 10);
	my $took = time - $t1;
	ok(@l == 1, 'never reads: a timeout logged, "client not reading"')
	    or diag(log_text($t));
	ok($took < 6, 'never reads: within about the timeout of the stall')
	    or diag("took $took s");
	ok(scalar(wait_log($t, qr/: session .* verdict=timeout /, 5)),
	    'never reads: the session ended, verdict timeout');
	ok(wait_for(sub { SF::group_size($t->{pid}) <= 1 }, 5),
	    'never reads: no session process left');
	close($c);
	stop($t);
}

# smtpfront on two FIFOs in a directory of their own, with the given timeout:
# (its pid, our end of its input, our end of its output, its log).
sub fifo_session {
	my ($timeout) = @_;
	state $n = 0;
	my $dir = tmp() . "/fifo" . ++$n;
	mkdir($dir) or die "$dir: $!";
	my ($in, $out, $log) = ("$dir/lim.in", "$dir/lim.out", "$dir/lim.log");
	mkfifo($in, 0600) or die "$in: $!";
	mkfifo($out, 0600) or die "$out: $!";
	my $pid = SF::spawn(argv => [build() . "/smtpfront", build() . "/t/sink"],
	    env => SF::server_env(env => { SMTPFRONT_TIMEOUT => $timeout,
	    TCPREMOTEIP => '127.0.0.2', TCPLOCALIP => '127.0.0.1' }),
	    stdin => $in, stdout => $out, stderr => $log);
	open(my $w, '>', $in) or die "$in: $!";
	open(my $r, '<', $out) or die "$out: $!";
	return ($pid, $w, $r, $log);
}

# --- idle timeout with pipes, not a socket ------------------------------------
{
	my ($pid, $w, $r, $log) = fifo_session(1);
	$w->autoflush(1);
	my $sel = IO::Select->new($r);
	my $got = '';
	# what smtpfront wrote within $secs, until $re matches or it closes
	my $read_until = sub {
		my ($re, $secs) = @_;
		my $end = time + $secs;
		while ($got !~ $re && time < $end) {
			last unless $sel->can_read($end - time);
			my $n = sysread($r, my $buf, 4096);
			last unless $n;
			$got .= $buf;
		}
		return $got =~ $re;
	};
	ok($read_until->(qr/^220 /m, 5), 'pipes: banner');
	print $w "HELO client.test\r\n";
	ok($read_until->(qr/^250 /m, 5), 'pipes: HELO answered');
	my $t0 = time;
	ok($read_until->(qr/^421 4\.4\.2 /m, 6), 'pipes: idle for 1 s: 421 4.4.2')
	    or diag($got);
	my $took = time - $t0;
	ok($took > 0.8 && $took < 4, 'pipes: idle timeout after about 1 s')
	    or diag("took $took s");
	ok(defined SF::reap($pid, 5), "pipes: smtpfront ended");
	like(slurp($log) // '', qr/ rule=timeout /, 'pipes: timeout logged');
	close($w);
	close($r);

	# the same output pipe never read: the write's poll times out
	($pid, $w, $r, $log) = fifo_session(2);
	ok(flood($w), 'pipes, never read: smtpfront stopped taking commands');
	$t0 = time;
	ok(defined SF::reap($pid, 10), 'pipes, never read: smtpfront ended');
	$took = time - $t0;
	ok($took < 6, 'pipes, never read: within about the timeout')
	    or diag("took $took s");
	like(slurp($log) // '', qr/\Q$STALLED\E\n/,
	    'pipes, never read: "client not reading" logged');
	close($w);
	close($r);
}

stop($s);
done_testing();
