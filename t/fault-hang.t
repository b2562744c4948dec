#!/usr/bin/perl
# t/fault-hang.t: a child that hangs.  With SMTPFRONT_CHILD_TIMEOUT=2:
#   - a child that never answers the end of data (SINK_FAULT=eod-hang),
#     in several sessions at once, gives each client 451 4.x.x after the
#     deadline; the hung child is killed and reaped at once (no zombie,
#     not even while the session goes on); the session goes on, and the
#     next transaction gets a new child;
#   - a child that hangs before its banner gives 451 at MAIL, the same way;
#   - nothing reaches the sink directory, and the log says why.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use SF;
use Fault;

my $body = crlf("Subject: hang\n\nbody\n");
my $SESSIONS = 5;

# The smtpfront process of a client's session: the child of tcpserver
# that is not one we already know.
sub session_pids {
	my ($s) = @_;
	return grep { (ppid_of($_) // 0) == $s->{pid} } descendants($s->{pid});
}

# Is the process gone altogether (not running, not a zombie)?
sub gone {
	my ($pid) = @_;
	return !defined proc_state($pid);
}

# --- the end of data hangs, in several sessions at once -----------------------
{
	my $s = start_tcpserver(rules => test_rules(), env => {
	    SINK_FAULT => 'eod-hang', SINK_HANG => 60,
	    SMTPFRONT_CHILD_TIMEOUT => 2 });
	my @c;
	for my $i (1 .. $SESSIONS) {
		my $c = client(server => $s, local => '127.0.0.2');
		$c->start('client.test');
		reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', "session $i: MAIL");
		reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5', "session $i: RCPT");
		reply_is($c->cmd('DATA'), '354', undef, "session $i: DATA");
		push @c, $c;
	}
	ok(wait_for(sub { sink_started($s->{sinkdir}) == $SESSIONS }, 10),
	    "$SESSIONS children started");
	my @sinks = sink_started($s->{sinkdir});
	my $t0 = time;
	$_->send($body . ".\r\n") for @c;
	my @r = map { $_->reply(20) } @c;
	my $took = time - $t0;
	for my $i (0 .. $#r) {
		reply_is($r[$i], '451', qr/^4\.\d+\.\d+$/,
		    "session " . ($i + 1) . ": 451 4.x.x for the hung child");
	}
	ok($took >= 1.8 && $took < 10,
	    "the answers came after the 2 s child deadline, all together")
	    or diag("took $took s");
	# The hung children are gone before the sessions end: killed and
	# reaped, not left as zombies of a session that goes on.
	my @left;
	ok(wait_for(sub { @left = grep { !gone($_) } @sinks; !@left }, 5),
	    'every hung child is killed and reaped while its session goes on')
	    or diag("left: " . join(' ', map { "$_(" . (proc_state($_) // '-') .
	    ")" } @left));
	my @z = map { zombies($_) } session_pids($s);
	is_deeply(\@z, [], 'no zombie below any session');
	is(scalar(log_lines($s, qr/: child-fail when=data reason="timeout waiting for the child"/)),
	    $SESSIONS, 'one child-fail line per session, naming the timeout')
	    or diag(log_text($s));

	# The session goes on; the next transaction gets a new child.
	my $c = $c[0];
	reply_is($c->cmd('NOOP'), '250', '2.0.0', 'the session goes on');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'second MAIL');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5', 'second RCPT');
	reply_is($c->cmd('DATA'), '354', undef, 'second DATA');
	$c->send($body . ".\r\n");
	reply_is($c->reply(20), '451', qr/^4\./, 'second transaction: 451 again');
	is(scalar(sink_started($s->{sinkdir})), $SESSIONS + 1,
	    'a new child for the second transaction');
	for my $i (0 .. $#c) {
		reply_is($c[$i]->cmd('QUIT'), '221', '2.0.0', "session " . ($i + 1) . ": QUIT");
		ok($c[$i]->closed(10), "session " . ($i + 1) . ": closed");
	}
	ok(wait_for(sub { !session_pids($s) }, 10), 'every session ended');
	ok(wait_for(sub { !grep { !gone($_) } sink_started($s->{sinkdir}) }, 5),
	    'no child left at all');
	ok(wait_for(sub { !zombies($s->{pid}) }, 5),
	    'no zombie below tcpserver (it reaps its sessions)');
	is(scalar(sink_messages($s->{sinkdir})), 0, 'nothing reached the sink directory');
	stop($s);
}

# --- the child hangs before its banner -------------------------------------
{
	my $wrap = spew(tmp() . "/slow-banner", <<'EOF');
#!/usr/bin/perl
# record our PID, then hang before the child (and its banner) starts
open(my $fh, '>', "$ENV{SINK_DIR}/started.$$") and close($fh);
sleep(60);
exec { $ARGV[0] } @ARGV;
exit 111;
EOF
	chmod(0755, $wrap);
	my $s = start_tcpserver(rules => test_rules(), sink => 1,
	    child => ['/usr/bin/perl', $wrap, build() . "/t/sink"],
	    env => { SMTPFRONT_CHILD_TIMEOUT => 2 });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0',
	    'banner hang: MAIL (no child yet)');
	my $t0 = time;
	my $r = $c->cmd('RCPT TO:<user@example.test>', 20);
	my $took = time - $t0;
	reply_is($r, '451', qr/^4\.\d+\.\d+$/,
	    'banner hang: 451 4.x.x at the first RCPT');
	ok($took >= 1.8 && $took < 10, 'banner hang: after the 2 s deadline')
	    or diag("took $took s");
	my ($pid) = sink_started($s->{sinkdir});
	ok(defined $pid && wait_for(sub { gone($pid) }, 5),
	    'banner hang: the child is killed and reaped');
	ok(scalar(wait_log($s, qr/: child-fail when=start /, 5)),
	    'banner hang: child-fail logged') or diag(log_text($s));
	reply_is($c->cmd('NOOP'), '250', '2.0.0', 'banner hang: the session goes on');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'banner hang: QUIT');
	ok($c->closed(10), 'banner hang: closed');
	ok(wait_for(sub { !zombies($s->{pid}) }, 5),
	    'banner hang: no zombie below tcpserver');
	stop($s);
}

done_testing();
