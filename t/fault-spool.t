#!/usr/bin/perl
# t/fault-spool.t: the spool's filesystem is full (data_spool yes: the
# message is received whole before the child sees it).  tcpserver and
# smtpfront run in a private mount namespace (unshare --mount; with -r
# when not root) where a small tmpfs is mounted on SMTPFRONT_SPOOL_DIR,
# so a spool write really fails with ENOSPC:
#   - a message that does not fit gets 452 4.3.1, a "defer check=spool"
#     log line with the reason, and nothing reaches the child;
#   - the session goes on, and once there is room again the same message
#     is accepted and arrives once, byte for byte (nothing lost);
#   - under concurrent load every message gets 250 (and arrives exactly
#     once) or 452;
#   - no spool file is left behind on the tmpfs.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Fault;

# A server whose spool directory is a tmpfs of $size, seen only by it.
sub server_tmpfs {
	my ($size, %o) = @_;
	my $dir = tmp() . "/spool." . int(rand(1e9));
	mkdir($dir) or die "$dir: $!";
	my @unshare = ('unshare', ($> == 0 ? () : ('-r')), '--mount',
	    '--propagation', 'private');
	my $s = start_wrapped(%o, rules => test_rules(),
	    wrap => [@unshare, 'sh', '-c',
	    'd=$1; shift; mount -t tmpfs -o size=' . $size .
	    ',mode=0700 tmpfs "$d" || exit 111; exec "$@"', 'sh', $dir],
	    env => { SMTPFRONT_SPOOL_DIR => $dir, SMTPFRONT_DATA_SPOOL => 'yes',
	    %{$o{env} || {}} });
	$s->{spool} = $dir;
	return $s;
}

# Run a command in the server's mount namespace; returns its output.
sub in_ns {
	my ($s, @cmd) = @_;
	my ($code, $out) = run(argv => ['nsenter', '--target', $s->{pid},
	    '--mount', @cmd], timeout => 30);
	return wantarray ? ($code, $out) : $out;
}

# KB used on the server's spool tmpfs, or undef.
sub spool_used {
	my ($s) = @_;
	my $out = in_ns($s, 'df', '-k', '--output=used,target', $s->{spool});
	return $out =~ /^\s*(\d+)\s+\Q$s->{spool}\E\s*$/m ? $1 : undef;
}

sub message {
	my ($id, $bytes) = @_;
	my $m = "From: <a\@b.test>\r\nTo: <user\@example.test>\r\n" .
	    "X-Fault-Id: $id\r\nSubject: spool\r\n\r\n";
	my $line = join('', map { chr(ord('a') + $_ % 26) } 0 .. 75) . "\r\n";
	$m .= $line x int($bytes / length($line));
	return $m;
}

sub transaction {
	my ($c, $msg, $what) = @_;
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', "$what: MAIL");
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5', "$what: RCPT");
	reply_is($c->cmd('DATA'), '354', undef, "$what: DATA");
	$c->send($msg . ".\r\n", 60);
	return $c->reply(30);
}

# --- full, then room again ---------------------------------------------------
{
	my $s = server_tmpfs('2m', env => { SMTPFRONT_SPOOL_MEMORY => 0 });
	is(spool_used($s), 0, 'the spool tmpfs starts empty');
	# Fill it: dd stops at ENOSPC.
	my ($code, $out) = in_ns($s, 'dd', 'if=/dev/zero',
	    "of=$s->{spool}/ballast", 'bs=64k', 'count=64');
	like($out, qr/No space left on device/, 'ballast fills the tmpfs')
	    or diag($out);
	my $msg = message('full-1', 1024 * 1024);
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	my $r = transaction($c, $msg, 'full');
	reply_is($r, '452', '4.3.1', 'full spool: 452 4.3.1');
	my @l = wait_log($s, qr/: defer check=spool rule=- cmd=DATA .* reason="No space left on device"/, 5);
	is(scalar(@l), 1, 'full spool: one defer line with the reason')
	    or diag(log_text($s));
	like($l[0] // '', qr/ code=452 esc=4\.3\.1(?: |$)/,
	    'full spool: the defer line names the reply, as every refusal does')
	    or diag($l[0] // 'no line');
	is(scalar(sink_messages($s->{sinkdir})), 0, 'full spool: nothing reached the child');
	ok(!grep({ /^DATA/ } sink_log($s->{sinkdir})),
	    'full spool: the child was not even given DATA');
	reply_is($c->cmd('NOOP'), '250', '2.0.0', 'full spool: the session goes on');

	# Room again: the client's retry of the same message goes through.
	in_ns($s, 'rm', '-f', "$s->{spool}/ballast");
	is(spool_used($s), 0, 'ballast removed');
	$r = transaction($c, $msg, 'retry');
	reply_is($r, '250', '2.0.0', 'retry with room: 250');
	my @m = sink_messages($s->{sinkdir});
	is(scalar(@m), 1, 'retry: one message arrived');
	ok(@m && $m[0]{msg} eq $msg, 'retry: byte for byte');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	ok($c->closed(10), 'closed');
	ok(wait_for(sub { (spool_used($s) // -1) == 0 }, 10),
	    'no spool file left on the tmpfs') or
	    diag(in_ns($s, 'ls', '-la', $s->{spool}));
	stop($s);
}

# --- the spool's memory part full first, then the file part ----------------------
{
	my $s = server_tmpfs('64k');
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	my $r = transaction($c, message('mem-1', 400 * 1024), 'memory then file');
	reply_is($r, '452', '4.3.1',
	    '128 KB in memory, the rest does not fit the file: 452 4.3.1');
	$r = transaction($c, message('mem-2', 100 * 1024), 'fits in memory');
	reply_is($r, '250', '2.0.0', 'a message that fits in memory: 250');
	my @m = sink_messages($s->{sinkdir});
	is(scalar(@m), 1, 'only the message that fitted arrived');
	like($m[0]{msg} // '', qr/^X-Fault-Id: mem-2\r$/m, 'and it is the second one');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	ok($c->closed(10), 'closed');
	stop($s);
}

# --- concurrent load on a small spool -----------------------------------------------
{
	my $s = server_tmpfs('256k', env => { SMTPFRONT_SPOOL_MEMORY => 0 });
	my $workers = 6;
	my $msgs = 6;
	my $w = load(server => $s, workers => $workers, msgs => $msgs,
	    per_session => 3, bytes => 100000, tag => 'spool', secs => 40,
	    pause => 0.3);
	my ($res, $bad) = stop_load($w, 60);
	is($bad, 0, 'load: every client ended normally');
	is(scalar(keys %$res), $workers * $msgs, 'load: every message was tried');
	my @ok = grep { $res->{$_} eq '250' } keys %$res;
	my @full = grep { $res->{$_} eq '452' } keys %$res;
	my @other = grep { $res->{$_} ne '250' && $res->{$_} ne '452' } keys %$res;
	is_deeply([sort @other], [], 'load: every message got 250 or 452')
	    or diag(join(', ', map { "$_=$res->{$_}" } @other));
	ok(@full > 0, 'load: the spool filled up (some 452)');
	ok(@ok > 0, 'load: some messages fitted (some 250)');
	my $arr = arrivals($s->{sinkdir});
	is_deeply([sort grep { ($arr->{$_} // 0) != 1 } @ok], [],
	    'load: every 250 arrived exactly once');
	is_deeply([sort grep { $arr->{$_} } @full], [],
	    'load: no 452 message arrived');
	is(scalar(log_lines($s, qr/: defer check=spool rule=- cmd=DATA .* reason="No space left on device"/)),
	    scalar(@full), 'load: one defer line per refused message');
	ok(wait_for(sub { !grep { (ppid_of($_) // 0) == $s->{pid} }
	    descendants($s->{pid}) }, 20), 'load: every session ended');
	ok(wait_for(sub { (spool_used($s) // -1) == 0 }, 10),
	    'load: no spool file left on the tmpfs');
	stop($s);
}

done_testing();
