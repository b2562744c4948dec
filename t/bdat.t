#!/usr/bin/perl
# t/bdat.t: a child that offers CHUNKING (the sink with SINK_CHUNKING, as
# Postfix and Exim do) gets a message that came whole in one read as one
# "BDAT n LAST" with the message undotted, the added header included and
# n its exact size: no DATA, no 354 to wait for.  A message in more than
# one read, and any message with child_bdat no, goes as DATA.  The child's
# faults behind BDAT reach the client as they do behind DATA; a message
# refused before it is passed on (size, bare LF) never reaches the child,
# which is not ended for it and serves the next message.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use SF;

sub server {
	my (%env) = @_;
	return start_tcpserver(rules => test_rules(),
	    env => { SINK_CHUNKING => 1, %env });
}

# A transaction up to the 354; returns the client.
sub open_data {
	my ($s, $helo) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($helo // 'client.test');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'MAIL');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5', 'RCPT');
	reply_is($c->cmd('DATA'), '354', undef, 'DATA 354');
	return $c;
}

# The sink's command lines that start a message's data.
sub data_cmds {
	my ($s) = @_;
	return grep { /^(?:DATA|BDAT )/ } sink_log($s->{sinkdir});
}

my $msg = "Subject: chunk\r\n\r\n.leading dot\r\n..two\r\nlast\r\n";
(my $wire = $msg) =~ s/^\./../mg;

# --- one read: one BDAT LAST, exact size, header included -------------------
{
	my $s = server(SMTPFRONT_HELO_FQDN_ACTION => 'warn');
	my $c = open_data($s, 'client');
	$c->send($wire . ".\r\n");
	reply_is($c->reply(15), '250', '2.0.0', 'one read: accepted');
	my $want = "X-Smtpfront-Warn: helo_fqdn\r\n" . $msg;
	my @m = sink_messages($s->{sinkdir});
	ok(@m == 1 && $m[0]{msg} eq $want,
	    'one read: delivered undotted, warn header first')
	    or diag(explain(@m ? $m[0]{msg} : undef));
	is_deeply([data_cmds($s)], ['BDAT ' . length($want) . ' LAST'],
	    'one read: one BDAT LAST of the exact size, no DATA');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	stop($s);
}

# --- DATA: child_bdat no; more than one read; no CHUNKING offered -----------
for my $case (['child_bdat no', { SMTPFRONT_CHILD_BDAT => 'no' }, 0],
    ['two reads', {}, 1], ['no CHUNKING', { SINK_CHUNKING => undef }, 0]) {
	my ($name, $env, $split) = @$case;
	my $s = server(%$env);
	my $c = open_data($s);
	if ($split) {
		$c->send(substr($wire, 0, 20));
		sleep(0.3);
		$c->send(substr($wire, 20) . ".\r\n");
	} else {
		$c->send($wire . ".\r\n");
	}
	reply_is($c->reply(15), '250', '2.0.0', "$name: accepted");
	my @m = sink_messages($s->{sinkdir});
	ok(@m == 1 && $m[0]{msg} eq $msg, "$name: delivered byte for byte");
	is_deeply([data_cmds($s)], ['DATA'], "$name: DATA, no BDAT");
	$c->cmd('QUIT');
	stop($s);
}

# --- the empty message; a pipelined QUIT behind the end --------------------
{
	my $s = server();
	my $c = open_data($s);
	$c->send(".\r\n");
	reply_is($c->reply(15), '250', '2.0.0', 'empty: accepted');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'MAIL');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5', 'RCPT');
	reply_is($c->cmd('DATA'), '354', undef, 'DATA 354');
	$c->send($wire . ".\r\nQUIT\r\n");
	reply_is($c->reply(15), '250', '2.0.0', 'end and QUIT in one read: accepted');
	reply_is($c->reply(15), '221', '2.0.0', '... then QUIT answered');
	my @m = sink_messages($s->{sinkdir});
	ok(@m == 2 && $m[0]{msg} eq '' && $m[1]{msg} eq $msg,
	    'empty and pipelined: both delivered as meant');
	is_deeply([data_cmds($s)], ['BDAT 0 LAST', 'BDAT ' . length($msg) . ' LAST'],
	    'empty: BDAT 0 LAST');
	is(scalar(sink_started($s->{sinkdir})), 1, 'one child for both');
	stop($s);
}

# --- the child's faults behind BDAT ------------------------------------------
for my $case (['eod-451', '451', '4.3.0'], ['eod-554', '554', '5.6.0'],
    ['data-451', '451', '4.3.0'], ['eod-exit', '451', '4.3.0'],
    ['mid-exit', '451', '4.3.0'], ['eod-garbage', '451', '4.3.0']) {
	my ($fault, $code, $esc) = @$case;
	my $s = server(SINK_FAULT => $fault);
	my $c = open_data($s);
	$c->send($wire . ".\r\n");
	reply_is($c->reply(15), $code, $esc, "$fault: $code to the client");
	is(scalar(sink_messages($s->{sinkdir})), 0, "$fault: nothing kept");
	ok((grep { /^BDAT \d+ LAST$/ } data_cmds($s)) == 1,
	    "$fault: it was a BDAT LAST");
	reply_is($c->cmd('RSET'), '250', '2.0.0', "$fault: the session goes on");
	reply_is($c->cmd('QUIT'), '221', '2.0.0', "$fault: QUIT");
	stop($s);
}

# --- refused before it goes: the child never sees it and stays --------------
{
	my $s = server(SMTPFRONT_SIZE_MAX => 2000);
	my $c = open_data($s);
	$c->send(("z" x 78 . "\r\n") x 40 . ".\r\n");	# 3200 bytes
	reply_is($c->reply(15), '552', '5.3.4', 'over size_max in one read: 552');
	is_deeply([data_cmds($s)], [], 'over size_max: no BDAT, no DATA');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'next MAIL');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5', 'next RCPT');
	reply_is($c->cmd('DATA'), '354', undef, 'next DATA');
	$c->send($wire . ".\r\n");
	reply_is($c->reply(15), '250', '2.0.0', 'next message accepted');
	is(scalar(sink_started($s->{sinkdir})), 1, '... by the same child');
	my @m = sink_messages($s->{sinkdir});
	ok(@m == 1 && $m[0]{msg} eq $msg, '... byte for byte');
	ok((grep { /^RSET$/ } sink_log($s->{sinkdir})) == 1,
	    'the child was told RSET for the refused one');
	$c->cmd('QUIT');

	$c = open_data($s);
	$c->send("a bare\nLF\r\n.\r\n");
	ok($c->closed(10), 'bare LF in one read: closed');
	ok(wait_log($s, qr/ drop .*bare CR or LF in DATA/, 5),
	    'bare LF: logged') or diag(log_text($s));
	is(scalar(sink_messages($s->{sinkdir})), 1, 'bare LF: nothing more delivered');
	is(scalar(grep { /^BDAT / } data_cmds($s)), 1, 'bare LF: no BDAT for it');
	stop($s);
}

# --- data_spool yes: the whole spool as one BDAT LAST, whatever its size ----
{
	my $s = server(SMTPFRONT_DATA_SPOOL => 'yes', SMTPFRONT_SPOOL_MEMORY => 4096,
	    SMTPFRONT_HELO_FQDN_ACTION => 'warn');
	my $c = open_data($s, 'client');
	$c->send($wire . ".\r\n");
	reply_is($c->reply(15), '250', '2.0.0', 'spooled, small: accepted');
	my $hdr = "X-Smtpfront-Warn: helo_fqdn\r\n";
	my $want = $hdr . $msg;
	# 300 KB in 3 writes, past the 4 KB kept in memory: the spool's file
	my $big = join('', map { sprintf(".%05d %s\r\n", $_, 'b' x 90) } 1 .. 3200);
	(my $bigwire = $big) =~ s/^\./../mg;
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'MAIL');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5', 'RCPT');
	reply_is($c->cmd('DATA'), '354', undef, 'DATA 354');
	my $third = int(length($bigwire) / 3);
	$c->send(substr($bigwire, 0, $third));
	sleep(0.2);
	$c->send(substr($bigwire, $third, $third));
	sleep(0.2);
	$c->send(substr($bigwire, 2 * $third) . ".\r\n");
	reply_is($c->reply(15), '250', '2.0.0', 'spooled, 300 KB: accepted');
	my @m = sink_messages($s->{sinkdir});
	ok(@m == 2 && $m[0]{msg} eq $want && $m[1]{msg} eq $hdr . $big,
	    'spooled: both delivered byte for byte, undotted, header first');
	is_deeply([data_cmds($s)], ['BDAT ' . length($want) . ' LAST',
	    'BDAT ' . length($hdr . $big) . ' LAST'],
	    'spooled: each one BDAT LAST of the exact size, no DATA');
	$c->cmd('QUIT');
	stop($s);

	$s = server(SMTPFRONT_DATA_SPOOL => 'yes', SMTPFRONT_CHILD_BDAT => 'no');
	$c = open_data($s);
	$c->send($wire . ".\r\n");
	reply_is($c->reply(15), '250', '2.0.0', 'spooled, child_bdat no: accepted');
	@m = sink_messages($s->{sinkdir});
	ok(@m == 1 && $m[0]{msg} eq $msg, 'spooled, child_bdat no: byte for byte');
	is_deeply([data_cmds($s)], ['DATA'], 'spooled, child_bdat no: DATA');
	$c->cmd('QUIT');
	stop($s);
}
for my $case (['eod-451', '451', '4.3.0'], ['eod-554', '554', '5.6.0'],
    ['data-451', '451', '4.3.0'], ['mid-exit', '451', '4.3.0'],
    ['eod-exit', '451', '4.3.0']) {
	my ($fault, $code, $esc) = @$case;
	my $s = server(SINK_FAULT => $fault, SMTPFRONT_DATA_SPOOL => 'yes');
	my $c = open_data($s);
	$c->send($wire . ".\r\n");
	reply_is($c->reply(15), $code, $esc, "spooled, $fault: $code to the client");
	is(scalar(sink_messages($s->{sinkdir})), 0, "spooled, $fault: nothing kept");
	reply_is($c->cmd('QUIT'), '221', '2.0.0', "spooled, $fault: QUIT");
	stop($s);
}

done_testing();
