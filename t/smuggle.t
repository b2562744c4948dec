#!/usr/bin/perl
# t/smuggle.t: SMTP smuggling.  After DATA, a bare LF or bare CR next to
# the dot ("\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r\n.\r", "\r.\r\n")
# followed by a second, smuggled transaction and a proper CRLF.CRLF must
# not end the message nor start the smuggled transaction: smtpfront
# answers 421 4.5.2 and closes; the child receives no message.
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

stop($s);
done_testing();
