#!/usr/bin/perl
# t/eod.t: the RFC 5321 promise at the end of data.  A child that dies,
# hangs, crashes or answers garbage at any point of DATA gives the client
# 451 4.x.x and a log line, never 250; the child's own 451 and 554 are
# relayed as they are; a multi-line final reply counts as its last line.
# A hung child is ended, not left behind.  The faults run with the
# message streamed to the child (the default) and spooled first
# (data_spool); when streaming, smtpfront says 354 without waiting for
# the child's, so a child that dies at DATA itself also gives 451 at the
# end of data.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use SF;

sub server { return start_tcpserver(rules => test_rules(), @_) }

# One transaction up to the end of data; returns the client, the final
# reply and the seconds the reply took.
sub transaction {
	my ($s, $body, $secs) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	my $r = $c->cmd('DATA');
	reply_is($r, '354', undef, 'DATA 354');
	my $t0 = time;
	$c->send($body . ".\r\n", 60);
	$r = $c->reply($secs // 15);
	return ($c, $r, time - $t0);
}

my $small = crlf("Subject: eod\n\nsmall body\n");
my $big = crlf("Subject: eod big\n\n" . ("x" x 76 . "\n") x 20000);	# 1.5 MB

my @faults = (
	['eod-exit', $small],
	['eod-garbage', $small],
	['eod-segv', $small],
	['data-exit', $small],
	['data-exit', $big],
	['mid-exit', $small],
	['mid-exit', $big],
);
for my $f (map { my $m = $_; map { [@$_, $m] } @faults } qw(no yes)) {
	my ($fault, $body, $spool) = @$f;
	my $what = "$fault, " . length($body) . " bytes, data_spool $spool";
	my $s = server(env => { SINK_FAULT => $fault,
	    SMTPFRONT_SIZE_MAX => 10485760, SMTPFRONT_DATA_SPOOL => $spool });
	my ($c, $r) = transaction($s, $body);
	reply_is($r, '451', qr/^4\.\d+\.\d+$/, "$what: 451 4.x.x at end of data");
	isnt($r->{code}, '250', "$what: never 250");
	ok(scalar(wait_log($s, qr/: child-fail when=\w+ reason="[^"]+"/, 5)),
	    "$what: child failure logged")
	    or diag(log_text($s));
	reply_is($c->cmd('NOOP'), '250', '2.0.0', "$what: session goes on");
	reply_is($c->cmd('QUIT'), '221', '2.0.0', "$what: QUIT");
	ok($c->closed(5), "$what: closed");
	ok(scalar(wait_log($s, qr/: session .* msgs=0 verdict=defer /, 5)),
	    "$what: summary shows no message and a deferral")
	    or diag(log_text($s));
	is(scalar(sink_messages($s->{sinkdir})), 0, "$what: sink kept nothing");
	stop($s);
}

# --- a child that never answers: the child deadline ------------------------
{
	my $s = server(env => { SINK_FAULT => 'eod-hang', SINK_HANG => 60,
	    SMTPFRONT_CHILD_TIMEOUT => 2 });
	my ($c, $r, $took) = transaction($s, $small, 20);
	reply_is($r, '451', qr/^4\.\d+\.\d+$/, 'eod-hang: 451 4.x.x at end of data');
	ok($took >= 1.8 && $took < 8, 'eod-hang: after the 2 s child deadline')
	    or diag("took $took s");
	ok(scalar(wait_log($s, qr/: child-fail when=\w+ reason="[^"]+"/, 5)),
	    'eod-hang: child failure logged');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'eod-hang: QUIT');
	ok($c->closed(5), 'eod-hang: closed');
	my ($pid) = sink_started($s->{sinkdir});
	ok(defined $pid && wait_for(sub { !alive($pid) }, 5),
	    'eod-hang: the hung child is ended, not left behind');
	stop($s);
}

# --- the child's own final replies -------------------------------------------
for my $f (['eod-451', '451', '4.3.0', 'sink: temporary failure at end of data'],
    ['eod-554', '554', '5.6.0', 'sink: message refused at end of data']) {
	my ($fault, $code, $esc, $text) = @$f;
	my $s = server(env => { SINK_FAULT => $fault });
	my ($c, $r) = transaction($s, $small);
	reply_is($r, $code, $esc, "$fault: the child's $code is relayed");
	is($r->{last}, "$code $esc $text", "$fault: with the child's text");
	reply_is($c->cmd('QUIT'), '221', '2.0.0', "$fault: QUIT");
	is(scalar(sink_messages($s->{sinkdir})), 0, "$fault: nothing kept");
	stop($s);
}

# The child refuses DATA itself: when streaming, the client has had 354
# already, so the child's reply comes at the end of data, unchanged; the
# child stays in the session (RSET) and nothing is kept.
for my $spool (qw(no yes)) {
	my $s = server(env => { SINK_FAULT => 'data-451',
	    SMTPFRONT_DATA_SPOOL => $spool });
	my ($c, $r) = transaction($s, $small);
	reply_is($r, '451', '4.3.0',
	    "data-451, data_spool $spool: the child's refusal of DATA");
	is($r->{last}, '451 4.3.0 sink: no DATA now',
	    "data-451, data_spool $spool: with the child's text");
	ok(scalar(wait_log($s, qr/: message from=<a\@b\.test> rcpts=1 bytes=\d+ code=451 /, 5)),
	    "data-451, data_spool $spool: logged") or diag(log_text($s));
	reply_is($c->cmd('RSET'), '250', '2.0.0', "data-451, data_spool $spool: RSET");
	reply_is($c->cmd('QUIT'), '221', '2.0.0', "data-451, data_spool $spool: QUIT");
	ok($c->closed(5), "data-451, data_spool $spool: closed");
	is(scalar(sink_started($s->{sinkdir})), 1,
	    "data-451, data_spool $spool: one child served the session");
	is(scalar(sink_messages($s->{sinkdir})), 0,
	    "data-451, data_spool $spool: nothing kept");
	stop($s);
}

{
	my $s = server(env => { SINK_FAULT => 'eod-multiline' });
	my ($c, $r) = transaction($s, $small);
	reply_is($r, '250', '2.0.0', 'eod-multiline: final reply 250 2.0.0');
	is($r->{last}, '250 2.0.0 second', 'eod-multiline: its last line');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'eod-multiline: QUIT');
	is(scalar(sink_messages($s->{sinkdir})), 1, 'eod-multiline: delivered');
	stop($s);
}

# --- after a failure, the next transaction gets a working child -----------------
{
	my $s = server(env => { SINK_FAULT => 'eod-exit' });
	my ($c, $r) = transaction($s, $small);
	reply_is($r, '451', qr/^4\./, 'first transaction: 451');
	$c->cmd('MAIL FROM:<a@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	reply_is($c->cmd('DATA'), '354', undef, 'second transaction: DATA 354');
	$c->send($small . ".\r\n");
	$r = $c->reply(15);
	# The sink fails every time: a second child fails the same way.
	reply_is($r, '451', qr/^4\./, 'second transaction with a new failing child: 451');
	is(scalar(sink_started($s->{sinkdir})), 2,
	    'a new child for the transaction after a failed one');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	stop($s);
}

done_testing();
