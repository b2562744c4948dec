#!/usr/bin/perl
# t/stream.t: the message goes to the child while it arrives (the default;
# data_spool yes receives it whole first).  Only the final "." CRLF is held
# back: the child reads the body before the client has sent the end; a
# terminator or a stuffed dot split over several TCP segments is handled
# wherever the split falls; a message that goes over size_max, a bare LF
# and a client that disconnects mid-DATA end the child before it sees an
# end of data, so nothing is delivered, and the next transaction gets a
# new child.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use SF;

sub server { return start_tcpserver(rules => test_rules(), @_) }

# The partial messages sinks left when their input ended inside DATA
# (PID.N.tmp): none of them may hold a QUIT, which would mean smtpfront
# said QUIT into the message instead of killing the child.
sub quit_in_partial {
	my ($dir) = @_;
	opendir(my $dh, $dir) or return 0;
	my @t = grep { /^\d+\.\d+\.tmp$/ } readdir($dh);
	closedir($dh);
	return scalar(grep { (slurp("$dir/$_") // '') =~ /^QUIT/m } @t);
}

# Bytes a process has read, from /proc/PID/io (rchar).
sub rchar {
	my ($pid) = @_;
	my $io = slurp("/proc/$pid/io") // '';
	return $io =~ /^rchar:\s*(\d+)/m ? $1 : -1;
}

# A transaction up to the 354; returns the client.
sub open_data {
	my ($s) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'MAIL');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5', 'RCPT');
	reply_is($c->cmd('DATA'), '354', undef, 'DATA 354');
	return $c;
}

my $line = ("s" x 78) . "\r\n";
my $body = "Subject: stream\r\n\r\n" . ($line x 4000);	# 320 KB

# --- the child reads the body before the end of data ----------------------
for my $spool (qw(no yes)) {
	my $s = server(env => { SMTPFRONT_DATA_SPOOL => $spool,
	    SMTPFRONT_SPOOL_MEMORY => 1048576 });
	my $c = open_data($s);
	my ($pid) = sink_started($s->{sinkdir});
	ok(defined $pid, "data_spool $spool: the child runs");
	my $before = rchar($pid);
	$c->send($body, 30);
	if ($spool eq 'no') {
		ok(wait_for(sub { rchar($pid) - $before >= length($body) }, 10),
		    'streaming: the child has read the body before the end')
		    or diag('child read ' . (rchar($pid) - $before));
	} else {
		sleep(1);
		ok(rchar($pid) - $before < 4096,
		    'data_spool yes: the child has read nothing of it yet')
		    or diag('child read ' . (rchar($pid) - $before));
	}
	is(scalar(sink_messages($s->{sinkdir})), 0,
	    "data_spool $spool: nothing delivered before the end of data");
	$c->send(".\r\n");
	reply_is($c->reply(30), '250', qr/^2\./, "data_spool $spool: accepted");
	my @m = sink_messages($s->{sinkdir});
	ok(@m == 1 && $m[0]{msg} eq $body,
	    "data_spool $spool: delivered byte for byte");
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	stop($s);
}

# --- the end and stuffed dots split over TCP segments ------------------------
{
	my $s = server();
	# [name, pieces sent with a pause between them, the message the
	# child must get]
	my @cases = (
		['terminator as "." | CRLF', ["a\r\n.", "\r\n"], "a\r\n"],
		['terminator as CRLF "." | CR | LF', ["a\r\n.", "\r", "\n"],
		    "a\r\n"],
		['terminator as CR | LF "." CR | LF', ["a\r", "\n.\r", "\n"],
		    "a\r\n"],
		['empty message as "." | CRLF', [".", "\r\n"], ""],
		['stuffed dot as "." | ".x" CRLF', ["a\r\n.", ".x\r\n.\r\n"],
		    "a\r\n.x\r\n"],
		['stuffed dot as "." | "." | "y"', ["a\r\n.", ".", "y\r\n.\r\n"],
		    "a\r\n.y\r\n"],
		['lone stuffed dot line as "." | "." CRLF',
		    ["a\r\n.", ".\r\nb\r\n.\r\n"], "a\r\n.\r\nb\r\n"],
		['dot then text as "." | "z"', ["a\r\n.", "z\r\n.\r\n"],
		    "a\r\nz\r\n"],
	);
	my $n = 0;
	for my $case (@cases) {
		my ($name, $pieces, $want) = @$case;
		my $c = open_data($s);
		for my $p (@$pieces) {
			$c->send($p);
			sleep(0.15);
		}
		reply_is($c->reply(15), '250', qr/^2\./, "$name: accepted");
		my @m = sink_messages($s->{sinkdir});
		is(scalar(@m), ++$n, "$name: one more message");
		ok(@m && $m[-1]{msg} eq $want, "$name: delivered as meant")
		    or diag(explain(@m ? $m[-1]{msg} : undef));
		$c->cmd('QUIT');
		$c->closed(5);
	}
	stop($s);
}

# --- over size_max mid-stream: the child ends, the next one delivers ----------
{
	my $s = server(env => { SMTPFRONT_SIZE_MAX => 4096 });
	my $c = open_data($s);
	my ($pid) = sink_started($s->{sinkdir});
	$c->send($line x 100, 15);	# 8 KB, over the limit
	ok(wait_for(sub { !alive($pid) }, 5),
	    'over size_max: the child is ended before the client is done');
	$c->send(".\r\n");
	reply_is($c->reply(15), '552', '5.3.4', 'over size_max: 552 5.3.4');
	is(scalar(sink_messages($s->{sinkdir})), 0, 'over size_max: nothing delivered');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'next MAIL');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5',
	    'next RCPT');
	reply_is($c->cmd('DATA'), '354', undef, 'next DATA');
	$c->send("small\r\n.\r\n");
	reply_is($c->reply(15), '250', qr/^2\./, 'next message accepted');
	is(scalar(sink_started($s->{sinkdir})), 2, '... by a new child');
	my @m = sink_messages($s->{sinkdir});
	ok(@m == 1 && $m[0]{msg} eq "small\r\n", '... delivered byte for byte');
	ok(scalar(wait_log($s, qr/: reject check=size rule=size_max .*code=552/, 5)),
	    'over size_max: logged');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	stop($s);
}

# --- a bare LF mid-stream, a disconnect mid-stream ---------------------------
{
	my $s = server();
	my $c = open_data($s);
	my ($pid) = sink_started($s->{sinkdir});
	$c->send($line x 50);
	$c->send("bare\nlf\r\n.\r\n");
	reply_is($c->reply(15), '421', '4.5.2', 'bare LF mid-stream: 421 4.5.2');
	ok($c->closed(5), 'bare LF mid-stream: closed');
	ok(wait_for(sub { !alive($pid) }, 5), 'bare LF mid-stream: child ended');
	is(scalar(sink_messages($s->{sinkdir})), 0,
	    'bare LF mid-stream: nothing delivered');
	is(quit_in_partial($s->{sinkdir}), 0,
	    'bare LF mid-stream: the child was killed, not told QUIT');

	$c = open_data($s);
	($pid) = grep { alive($_) } sink_started($s->{sinkdir});
	ok(defined $pid, 'disconnect: the child runs');
	my $before = defined $pid ? rchar($pid) : 0;
	$c->send($body);
	ok(defined $pid &&
	    wait_for(sub { rchar($pid) - $before >= length($body) }, 10),
	    'disconnect: the child has read the body');
	$c->close;
	ok(defined $pid && wait_for(sub { !alive($pid) }, 5),
	    'disconnect: child ended');
	ok(scalar(wait_log($s, qr/: disconnect when=DATA received=\d+/, 5)),
	    'disconnect: logged');
	is(scalar(sink_messages($s->{sinkdir})), 0, 'disconnect: nothing delivered');
	is(quit_in_partial($s->{sinkdir}), 0,
	    'disconnect: the child was killed, not told QUIT');
	stop($s);
}

done_testing();
