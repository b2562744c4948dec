#!/usr/bin/perl
# t/fault-disconnect.t: the client goes away in the middle of DATA.
# Whatever it had sent (nothing, part of a small message held in memory,
# part of a large one spooled to a file, everything but the last bytes of
# the final dot) and however it goes (FIN or RST), nothing reaches the
# child: no .msg in the sink directory; the log has one
# "disconnect when=DATA received=N" line; the session and its child end,
# with no zombie.  Then the same under load: 20 clients at once, each
# leaving at a random byte of a 300 KB message.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX ();
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(sleep time);
use SF;
use Fault;

my $s = start_tcpserver(rules => test_rules(), tcpserver => ['-c', '100']);

sub body {
	my ($bytes) = @_;
	my $line = join('', map { chr(ord('a') + $_ % 26) } 0 .. 75) . "\r\n";
	return "Subject: gone\r\n\r\n" . $line x int($bytes / length($line) + 1);
}

# Up to DATA 354, send $data, leave (with RST when $rst).
sub leave {
	my ($what, $data, $rst) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', "$what: MAIL");
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5', "$what: RCPT");
	reply_is($c->cmd('DATA'), '354', undef, "$what: 354");
	ok($c->send($data, 30), "$what: sent " . length($data) . " bytes")
	    if length($data);
	sleep(0.2);	# let it arrive before the close
	setsockopt($c->sock, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0)) if $rst;
	$c->close;
}

my $big = body(400 * 1024);	# over the 128 KB kept in memory
my @cases = (
	['nothing after 354', ''],
	['half a small message', substr(body(4000), 0, 2000)],
	['half a small message, RST', substr(body(4000), 0, 2000), 1],
	['300 KB of a large one (spooled to a file)', substr($big, 0, 300 * 1024)],
	['300 KB of a large one, RST', substr($big, 0, 300 * 1024), 1],
	['all but LF of the final dot', body(4000) . ".\r"],
	['all but the final dot line', body(4000)],
	['all but CR LF of the final dot', body(4000) . "."],
);
my $n = 0;
for my $case (@cases) {
	my ($what, $data, $rst) = @$case;
	leave($what, $data, $rst);
	$n++;
	my @l = wait_log($s, qr/: disconnect when=DATA received=\d+/, 10, $n);
	is(scalar(@l), $n, "$what: one disconnect line") or diag(log_text($s));
	my ($got) = ($l[-1] // '') =~ /received=(\d+)/;
	ok(defined $got && $got <= length($data) && $got + 3 >= length($data),
	    "$what: it counts what arrived (" . ($got // '?') . " of " .
	    length($data) . ")") unless $rst;
	is(scalar(sink_messages($s->{sinkdir})), 0, "$what: nothing reached the child");
	ok(wait_for(sub { !sink_alive($s->{sinkdir}, $s) }, 10),
	    "$what: the child is gone");
}
ok(wait_for(sub { !grep { (ppid_of($_) // 0) == $s->{pid} }
    descendants($s->{pid}) }, 10), 'every session ended');
ok(wait_for(sub { !zombies($s->{pid}) }, 10), 'no zombie left');
ok(!grep({ /^\./ } sink_log($s->{sinkdir})), 'no child saw a final dot');

# --- under load: 20 clients leaving at random bytes ------------------------------
{
	my $t = start_tcpserver(rules => test_rules(), tcpserver => ['-c', '100']);
	my $clients = 20;
	my $msg = body(300 * 1024);
	my @pids;
	for my $i (1 .. $clients) {
		my $pid = fork();
		die "fork: $!" unless defined $pid;
		if ($pid == 0) {
			my $ok = eval {
				my $c = client(server => $t, local => '127.0.0.2');
				$c->start('client.test');
				$c->cmd('MAIL FROM:<a@b.test>')->{code} eq '250' or die;
				$c->cmd('RCPT TO:<user@example.test>')->{code} eq '250' or die;
				$c->cmd('DATA')->{code} eq '354' or die;
				$c->send(substr($msg, 0, int(rand(length($msg)))), 30);
				sleep(rand(0.3));
				setsockopt($c->sock, SOL_SOCKET, SO_LINGER,
				    pack('ii', 1, 0)) if rand() < 0.5;
				$c->close;
				1;
			};
			POSIX::_exit($ok ? 0 : 1);
		}
		push @pids, $pid;
	}
	my $bad = 0;
	for my $pid (@pids) {
		my $st;
		wait_for(sub { my $r = waitpid($pid, POSIX::WNOHANG());
		    $st = $? if $r == $pid; $r != 0 }, 60);
		$bad++ if !defined $st || $st != 0;
	}
	is($bad, 0, "load: $clients clients reached DATA and left");
	my @l = wait_log($t, qr/: disconnect when=DATA received=\d+/, 20, $clients);
	is(scalar(@l), $clients, "load: $clients disconnect lines");
	is(scalar(sink_messages($t->{sinkdir})), 0, 'load: nothing reached the child');
	is(scalar(sink_started($t->{sinkdir})), $clients, 'load: one child per session');
	ok(wait_for(sub { !sink_alive($t->{sinkdir}, $t) }, 20),
	    'load: every child is gone');
	ok(wait_for(sub { !grep { (ppid_of($_) // 0) == $t->{pid} }
	    descendants($t->{pid}) }, 20), 'load: every session ended');
	ok(wait_for(sub { !zombies($t->{pid}) }, 10), 'load: no zombie left');
	stop($t);
}

stop($s);
done_testing();
