#!/usr/bin/perl
# t/data.t: message data reaches the child byte for byte: lines starting
# with dots (dot-stuffing removed once, by smtpfront, and added again for
# the child), 998-byte lines, 8-bit bytes, NUL bytes (data_nul yes), an
# empty message, a
# 20 MB message with size_max raised; a message over size_max gets
# 552 5.3.4 and nothing is delivered.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;

# NUL bytes pass with data_nul yes (by default they are refused:
# t/smuggle.t)
sub server { return start_tcpserver(rules => test_rules(),
    env => { SMTPFRONT_DATA_NUL => 'yes' }, @_) }

# Dot-stuff a message (CRLF lines) for the wire.
sub stuff {
	my ($m) = @_;
	$m =~ s/^\./../mg;
	return $m;
}

# Send one message in its own session; returns the final reply and the
# messages the sink kept.
sub deliver {
	my ($s, $msg, %o) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>' . ($o{param} ? " $o{param}" : ''));
	$c->cmd('RCPT TO:<user@example.test>');
	my $r = $c->cmd('DATA');
	return $r unless $r->{code} eq '354';
	$c->send(stuff($msg) . ".\r\n", 120);
	$r = $c->reply($o{timeout} // 30);
	$c->cmd('QUIT');
	$c->closed(5);
	return $r;
}

my $s = server();
my $seen = 0;

my @cases = (
	['dots', crlf("Subject: dots\n\n.\n..\n...\n.hidden\n. space\nend.\n.\n")],
	['dot only line first', crlf(".\nafter a dot line\n")],
	['998-byte lines', crlf("Subject: long\n\n" . ("a" x 998) . "\n" .
	    ("." . "b" x 997) . "\n" . ("c" x 998) . "\n")],
	['8-bit bytes', "Subject: 8bit\r\n\r\n" .
	    join('', map { chr($_) x 3 } 128 .. 255) . "\r\n" .
	    "caf\xc3\xa9 \xe2\x82\xac \xff\xfe\r\n"],
	['NUL bytes', "Subject: nul\r\n\r\na\0b\r\n\0\r\n\0\0\0 three\r\n"],
	['all bytes but CR and LF', "Subject: all\r\n\r\n" .
	    join('', map { chr } grep { $_ != 10 && $_ != 13 } 0 .. 255) . "\r\n"],
	['empty message', ''],
	['no header separator', crlf("just one line\n")],
);
for my $case (@cases) {
	my ($name, $msg) = @$case;
	my $r = deliver($s, $msg);
	reply_is($r, '250', qr/^2\./, "$name: accepted");
	my @m = sink_messages($s->{sinkdir});
	is(scalar(@m), $seen + 1, "$name: one more message at the child");
	$seen = scalar(@m);
	ok(@m && $m[-1]{msg} eq $msg, "$name: delivered byte for byte")
	    or diag(sprintf("sent %d bytes, child got %d", length($msg),
	    @m ? length($m[-1]{msg}) : -1));
}

# --- over the size limit ---------------------------------------------------
{
	my $t = server(env => { SMTPFRONT_SIZE_MAX => 2048 });
	my $c = client(server => $t, local => '127.0.0.2');
	my (undef, $ehlo) = $c->start('client.test');
	ok(grep({ $_ eq '250-SIZE 2048' } @{$ehlo->{lines}}), 'SIZE 2048 offered');
	$c->cmd('MAIL FROM:<a@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	reply_is($c->cmd('DATA'), '354', undef, 'DATA 354');
	$c->send(crlf("Subject: big\n\n" . ("y" x 70 . "\n") x 60) . ".\r\n");
	reply_is($c->reply(15), '552', '5.3.4', 'message over size_max: 552 5.3.4');
	reply_is($c->cmd('NOOP'), '250', '2.0.0', 'session goes on');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	is(scalar(sink_messages($t->{sinkdir})), 0, 'nothing delivered');

	# Just at the limit is fine.
	my $msg = crlf("Subject: fits\n\n") . ("z" x 2000) . "\r\n";
	$msg .= "w" x (2048 - length($msg) - 2) . "\r\n";
	is(length($msg), 2048, 'a message of exactly size_max bytes');
	my $r = deliver($t, $msg);
	reply_is($r, '250', qr/^2\./, 'message of exactly size_max: accepted');
	my @m = sink_messages($t->{sinkdir});
	ok(@m == 1 && $m[0]{msg} eq $msg, '... and delivered byte for byte');

	# Declared with SIZE=.
	$c = client(server => $t, local => '127.0.0.2');
	$c->start('client.test');
	my $rm = $c->cmd('MAIL FROM:<a@b.test> SIZE=4096');
	my $rr = $c->cmd('RCPT TO:<user@example.test>');
	my $refusal = $rm->{code} eq '552' ? $rm : $rr;
	reply_is($refusal, '552', '5.3.4',
	    'SIZE= over size_max: 552 5.3.4 at MAIL (or at RCPT if held)');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	stop($t);
}

# --- 20 MB ---------------------------------------------------------------------
{
	my $t = server(env => { SMTPFRONT_SIZE_MAX => 30000000 });
	my $line = join('', map { chr(33 + $_ % 90) } 0 .. 77) . "\r\n";
	my $msg = "Subject: twenty megabytes\r\n\r\n";
	my $i = 0;
	while (length($msg) < 20 * 1024 * 1024) {
		$msg .= ($i++ % 100 == 0 ? '.' : '') . $line;
	}
	my $r = deliver($t, $msg, timeout => 120);
	reply_is($r, '250', qr/^2\./, '20 MB message accepted');
	my @m = sink_messages($t->{sinkdir});
	is(scalar(@m), 1, '20 MB: one message');
	ok(@m && length($m[0]{msg}) == length($msg) && $m[0]{msg} eq $msg,
	    '20 MB: delivered byte for byte')
	    or diag(sprintf("sent %d, got %d", length($msg),
	    @m ? length($m[0]{msg}) : -1));
	ok(scalar(wait_log($t, qr/: session .* msgs=1 .*bytes=\Q${\ length($msg)}\E /, 5)),
	    '20 MB: summary counts the bytes');
	stop($t);
}

stop($s);
done_testing();
