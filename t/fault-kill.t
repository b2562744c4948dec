#!/usr/bin/perl
# t/fault-kill.t: the MTA child dies at random points under load.
#
# Concurrent clients (t/lib/Fault.pm, every message tagged with its own
# X-Fault-Id) and Postfix's smtp-source keep smtpfront busy while
#   1. the sinks are killed with SIGKILL at random moments (any state:
#      banner, MAIL, RCPT, DATA, after the final dot), and
#   2. every child draws a random fault of its own (t/sink.c SINK_FAULT:
#      exit at the banner, at DATA, mid-message, at the end of data,
#      SIGSEGV, garbage, a 451) through a wrapper.
# Every message for which a client got 250 arrives exactly once in the
# sink directory; every other one got a 4xx (never a 5xx, never silence);
# no message arrives twice; no child is left running or unreaped; no
# sanitizer report in the log.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use SF;
use Fault;

my $SAN = sanitized();

# The accounting shared by both parts.
sub account {
	my ($what, $s, $res, $tried) = @_;
	my $arr = arrivals($s->{sinkdir});
	my @ok = grep { $res->{$_} eq '250' } keys %$res;
	my @temp = grep { $res->{$_} =~ /^4\d\d$/ } keys %$res;
	my @other = grep { $res->{$_} ne '250' && $res->{$_} !~ /^4\d\d$/ }
	    keys %$res;
	is(scalar(keys %$res), $tried, "$what: every message was tried");
	ok(@ok > 0, "$what: some messages got 250") or diag("none did");
	ok(@temp > 0, "$what: some messages got a 4xx (the faults hit)")
	    or diag("none did");
	is_deeply([sort @other], [], "$what: every message got 250 or a 4xx")
	    or diag(join(', ', map { "$_=" . ($res->{$_} eq '' ? 'none' :
	    $res->{$_}) } @other[0 .. ($#other < 9 ? $#other : 9)]));
	my @lost = grep { ($arr->{$_} // 0) != 1 } @ok;
	is_deeply([sort @lost], [], "$what: every 250 arrived exactly once")
	    or diag(join(', ', map { "$_ arrived " . ($arr->{$_} // 0) }
	    @lost[0 .. ($#lost < 9 ? $#lost : 9)]));
	my @twice = grep { $arr->{$_} > 1 } keys %$arr;
	is_deeply([sort @twice], [], "$what: no message arrived twice");
	my @stray = grep { !exists $res->{$_} } keys %$arr;
	is_deeply([sort @stray], [], "$what: nothing arrived that was not sent");
	my $dup = grep { ($arr->{$_} // 0) == 1 } @temp;
	note("$what: " . scalar(@ok) . " x 250, " . scalar(@temp) .
	    " x 4xx ($dup of them delivered before the child died: " .
	    "the client retries, the usual SMTP duplicate)");
}

# No sink left running and no zombie below the server, once idle.
sub clean_end {
	my ($what, $s) = @_;
	ok(wait_for(sub { !sink_alive($s->{sinkdir}, $s) }, 30),
	    "$what: no child left running")
	    or diag("running: " . join(' ', sink_alive($s->{sinkdir}, $s)));
	my @z;
	ok(wait_for(sub {
		@z = map { zombies($_) } ($s->{pid}, descendants($s->{pid}));
		!@z;
	}, 10), "$what: no zombie left") or diag("zombies: @z");
	my @fatal = log_lines($s, qr/: fatal: /);
	is_deeply(\@fatal, [], "$what: no fatal log line");
}

# --- 1. SIGKILL from outside, at random moments --------------------------
{
	my $s = start_tcpserver(rules => test_rules(),
	    tcpserver => ['-c', '100'],
	    env => { SMTPFRONT_CHILD_TIMEOUT => 20 });
	my ($sp, $spout) = smtp_source(server => $s, sessions => 3,
	    msgs => $SAN ? 100 : 400, bytes => 2048, secs => 50);
	my $workers = 5;
	# enough messages, ten a session, that sinks live long enough to be
	# found and killed: a snapshot of /proc beside other tests is slow,
	# and sessions of three messages were over before it was read
	my $msgs = $SAN ? 20 : 300;
	my $w = load(server => $s, workers => $workers, msgs => $msgs,
	    per_session => 10, bytes => 3000, tag => 'kill', secs => 50);
	my ($kills, $rounds, $seen) = (0, 0, 0);
	my $deadline = time + 60;
	while (time < $deadline &&
	    grep { (proc_state($_->{pid}) // 'Z') ne 'Z' } @$w) {
		sleep(0.003 + rand(0.015));
		$rounds++;
		my @alive = sinks_below($s);
		next unless @alive;
		$seen++;
		$kills += kill('KILL', $alive[int(rand(@alive))]);
	}
	my ($res, $bad) = stop_load($w, 30);
	is($bad, 0, 'kill: every client ended normally');
	ok($kills >= 10, "kill: the children were killed ($kills times)")
	    or diag("$rounds rounds, a sink running in $seen of them");
	account('kill', $s, $res, $workers * $msgs);
	ok(scalar(log_lines($s, qr/: child-fail when=\w+ /)) > 0,
	    'kill: child failures logged');
	ok(wait_for(sub { (proc_state($sp) // 'Z') eq 'Z' }, 60),
	    'kill: smtp-source load ended');
	waitpid($sp, 0);
	my $o = slurp($spout) // '';
	unlike($o, qr/fatal|timeout/i, 'kill: smtp-source saw no hang')
	    or diag($o);
	clean_end('kill', $s);
	stop($s);
}

# --- 2. every child draws its own fault ------------------------------------
{
	my $wrapper = spew(tmp() . "/random-fault", <<'EOF');
#!/usr/bin/perl
# exec the sink with a random SINK_FAULT (or none)
my @f = ('', '', '', '', 'banner-exit', 'mail-451', 'data-exit',
    'mid-exit', 'eod-exit', 'eod-segv', 'eod-garbage', 'eod-451');
my $f = $f[int(rand(@f))];
$ENV{SINK_FAULT} = $f if $f ne '';
exec { $ARGV[0] } @ARGV;
exit 111;
EOF
	chmod(0755, $wrapper);
	my $s = start_tcpserver(rules => test_rules(), sink => 1,
	    tcpserver => ['-c', '100'],
	    child => ['/usr/bin/perl', $wrapper, build() . "/t/sink"],
	    env => { SMTPFRONT_CHILD_TIMEOUT => 20 });
	my $workers = 4;
	my $msgs = $SAN ? 12 : 25;
	my $w = load(server => $s, workers => $workers, msgs => $msgs,
	    per_session => 3, bytes => 200000, tag => 'self', secs => 50);
	my ($res, $bad) = stop_load($w, 70);
	is($bad, 0, 'random faults: every client ended normally');
	account('random faults', $s, $res, $workers * $msgs);
	ok(scalar(log_lines($s, qr/: child-fail when=\w+ /)) > 0,
	    'random faults: child failures logged');
	clean_end('random faults', $s);
	stop($s);
}

done_testing();
