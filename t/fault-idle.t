#!/usr/bin/perl
# t/fault-idle.t: 500 idle connections at once (tcpserver -c 600).  Every
# one gets the banner; while they are all held, the private memory of a
# session is sane (Pss from /proc/PID/smaps_rollup); then every one gets
# 421 4.4.2 at SMTPFRONT_TIMEOUT and is closed; no session and no zombie
# is left, one timeout line per session is logged, and tcpserver still
# serves the next client.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use IO::Socket::IP;
use Time::HiRes qw(sleep time);
use SF;
use Fault;

my $N = 500;
my $SAN = sanitized();
# The sanitizer build needs longer to start 500 sessions, and its shadow
# memory makes a session ~3 MB (the normal build: ~80 KB, target 60 KB).
my $TIMEOUT = $SAN ? 25 : 12;
my $PSS_MAX = $SAN ? 8192 : 120;	# KB per session

my $s = start_tcpserver(rules => test_rules(),
    tcpserver => ['-c', '600', '-b', '128'],
    env => { SMTPFRONT_TIMEOUT => $TIMEOUT });

my (@sock, %buf, %banner, %closed, %opened);
my $t0 = time;
for my $i (1 .. $N) {
	my $c = IO::Socket::IP->new(PeerHost => $s->{ip},
	    PeerPort => $s->{port}, Proto => 'tcp', Timeout => 10);
	last unless $c;
	$c->blocking(0);
	$opened{$c} = time - $t0;
	push @sock, $c;
}
is(scalar(@sock), $N, "$N connections open");

# Read what comes, until $done says so or $secs pass.
my $sel = IO::Select->new(@sock);
sub pump {
	my ($done, $secs) = @_;
	my $deadline = time + $secs;
	while (!$done->() && time < $deadline) {
		for my $c ($sel->can_read(0.2)) {
			my $n = sysread($c, my $chunk, 4096);
			next if !defined $n && ($!{EAGAIN} || $!{EINTR});
			if (!$n) {
				$closed{$c} = time - $t0;
				$sel->remove($c);
				next;
			}
			$buf{$c} .= $chunk;
			$banner{$c} //= time - $t0 if $buf{$c} =~ /^220 .*\r\n/;
		}
	}
	return $done->();
}

ok(pump(sub { keys(%banner) + keys(%closed) >= $N }, $TIMEOUT - 2),
    'every connection got an answer before the timeout');
is(scalar(grep { defined $banner{$_} } @sock), $N, "all $N got the banner")
    or diag(join("\n", (grep { !/: (connect|session|timeout|warning: running as root)/ }
    split(/\n/, log_text($s)))[0 .. 20]));
note(sprintf("%d connections opened in %.1f s", scalar(@sock),
    (sort { $b <=> $a } values %opened)[0] // 0));

# All held now: one smtpfront each, memory per session.
my @sess = grep { (ppid_of($_) // 0) == $s->{pid} } descendants($s->{pid});
is(scalar(@sess), $N, "$N sessions running at once");
my ($sum, $n) = (0, 0);
for my $p (@sess) {
	my $v = pss_kb($p) // next;
	$sum += $v;
	$n++;
}
my $mean = $n ? $sum / $n : 0;
ok($n == $N && $mean <= $PSS_MAX,
    sprintf("Pss per idle session %.1f KB (at most %d KB)", $mean, $PSS_MAX));
note(sprintf("Pss: %.1f KB per idle session, %.1f MB for all %d", $mean,
    $sum / 1024, $n));
is(scalar(sink_started($s->{sinkdir})), 0, 'no child started for an idle session');

# Then the timeout closes every one, with 421.
ok(pump(sub { keys(%closed) >= $N }, $TIMEOUT + 30),
    'every connection is closed by the timeout');
my @late = grep { !defined $closed{$_} } @sock;
is(scalar(@late), 0, 'none left open');
my @no421 = grep { ($buf{$_} // '') !~ /\r\n421 4\.4\.2 [^\r\n]*\r\n\z/ } @sock;
is(scalar(@no421), 0, 'each got 421 4.4.2 as its last line')
    or diag(join(' | ', map { $buf{$_} // '' } @no421[0 .. 2]));
my @soon = grep { defined $closed{$_} &&
    $closed{$_} - $opened{$_} < $TIMEOUT - 0.5 } @sock;
is(scalar(@soon), 0, 'none closed before its timeout ran out');
is(scalar(log_lines($s, qr/: timeout check=protocol rule=timeout reason=idle /)),
    $N, "$N idle timeouts logged");
ok(wait_for(sub { !grep { (ppid_of($_) // 0) == $s->{pid} }
    descendants($s->{pid}) }, 20), 'every session ended');
ok(wait_for(sub { !zombies($s->{pid}) }, 10), 'no zombie left');

# tcpserver still serves.
my $c = client(server => $s, local => '127.0.0.2');
reply_is($c->reply, '220', undef, 'the next client gets the banner');
reply_is($c->cmd('QUIT'), '221', '2.0.0', 'and QUIT');
close($_) for @sock;
stop($s);
done_testing();
