#!/usr/bin/perl
# t/smuggle.t: SMTP smuggling.  After DATA, a bare LF or bare CR next to
# the dot ("\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r\n.\r", "\r.\r\n")
# followed by a second, smuggled transaction and a proper CRLF.CRLF must
# not end the message nor start the smuggled transaction: smtpfront
# answers 421 4.5.2 and closes; the child receives no message.  A NUL
# byte in DATA (a child that strips NUL before it looks for the end
# would be split at CRLF NUL "." CRLF) gets 554 5.6.0 and the same end,
# on the streamed and the spooled path, unless data_nul lets it through
# (then it is a byte of the message, and no end).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;

my $s = start_tcpserver(rules => test_rules());

my %name = ("\n.\n" => 'LF.LF', "\n.\r\n" => 'LF.CRLF',
    "\r\n.\n" => 'CRLF.LF', "\r.\r" => 'CR.CR', "\r\n.\r" => 'CRLF.CR',
    "\r.\r\n" => 'CR.CRLF');
my $smuggled = "MAIL FROM:<evil\@attacker.test>\r\n" .
    "RCPT TO:<victim\@example.test>\r\nDATA\r\n" .
    "From: ceo\@example.test\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n";

for my $seq ("\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r\n.\r", "\r.\r\n") {
	my $n = $name{$seq};
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', "$n: MAIL");
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', qr/^2\./,
	    "$n: RCPT");
	reply_is($c->cmd('DATA'), '354', undef, "$n: DATA");
	$c->send("Subject: first\r\n\r\nbody" . $seq . $smuggled);
	my $r = $c->reply(15);
	reply_is($r, '421', '4.5.2', "$n: 421 4.5.2");
	ok($c->closed(10), "$n: connection closed");
	is($c->rest, '', "$n: no reply after the 421");
	$c->close;
}

is(scalar(sink_messages($s->{sinkdir})), 0, 'the child received no message');
ok(!grep({ /evil|victim/ } sink_log($s->{sinkdir})),
    'the child never saw the smuggled commands');
my @l = wait_log($s, qr/: session /, 10, 6);
is(scalar(@l), 6, 'six sessions logged');
is(scalar(grep { /msgs=0 / } @l), 6, 'no session delivered a message');

# A proper message with the same bytes CRLF-framed still goes through.
{
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	reply_is($c->cmd('DATA'), '354', undef, 'control: DATA');
	$c->send("Subject: fine\r\n\r\nbody\r\n.\r\n");
	reply_is($c->reply(15), '250', qr/^2\./, 'control: CRLF.CRLF ends the message');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'control: QUIT');
	my @m = sink_messages($s->{sinkdir});
	is(scalar(@m), 1, 'control: delivered');
}

# --- NUL in DATA ------------------------------------------------------------------
my %nul = ("\r\n\0.\r\n" => 'CRLF NUL.CRLF', "\r\n.\0\r\n" => 'CRLF.NUL CRLF',
    "\0" => 'a NUL in a line');
for my $path (['streamed', {}], ['spooled', { SMTPFRONT_DATA_SPOOL => 'yes' }],
    ['one BDAT', { SINK_CHUNKING => 1 }]) {
	my ($pn, $env) = @$path;
	my $t = start_tcpserver(rules => test_rules(), env => $env);
	for my $seq (sort keys %nul) {
		my $n = "$pn, $nul{$seq}";
		my $c = client(server => $t, local => '127.0.0.2');
		$c->start('client.test');
		$c->cmd('MAIL FROM:<a@b.test>');
		$c->cmd('RCPT TO:<user@example.test>');
		reply_is($c->cmd('DATA'), '354', undef, "$n: DATA");
		$c->send("Subject: nul\r\n\r\nbody" . $seq . $smuggled);
		my $r = $c->reply(15);
		reply_is($r, '554', '5.6.0', "$n: 554 5.6.0");
		like($r->{text}, qr/NUL/, "$n: the reply says why");
		ok($c->closed(10), "$n: connection closed");
		$c->close;
	}
	is(scalar(sink_messages($t->{sinkdir})), 0, "$pn: no message delivered");
	ok(!grep({ /evil|victim/ } sink_log($t->{sinkdir})),
	    "$pn: the child never saw the smuggled commands");
	is(scalar(log_lines($t, qr/: drop check=protocol rule=data_nul reason="NUL in DATA" code=554 esc=5\.6\.0$/)),
	    3, "$pn: each logged, check=protocol rule=data_nul");
	stop($t);
}
{
	# data_nul yes: a NUL is a byte of the message like any other
	my $t = start_tcpserver(rules => test_rules(),
	    env => { SMTPFRONT_DATA_NUL => 'yes' });
	my $c = client(server => $t, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	reply_is($c->cmd('DATA'), '354', undef, 'data_nul yes: DATA');
	my $msg = "Subject: nul-ok\r\n\r\nbody\r\n\0.\r\na\0b\r\n";
	$c->send($msg . ".\r\n");
	reply_is($c->reply(15), '250', qr/^2\./, 'data_nul yes: accepted');
	my @m = sink_messages($t->{sinkdir});
	ok(@m == 1 && $m[0]{msg} eq $msg,
	    'data_nul yes: delivered with its NUL bytes, NUL "." no end');
	stop($t);
}

stop($s);
done_testing();
