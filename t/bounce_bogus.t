#!/usr/bin/perl
# t/bounce_bogus.t: bounces of mail we did not send
# (checks/bounce_bogus.c) through tcpserver with the tests' client and
# swaks, the sink as the MTA child.  Our hosts: hostname mx.example.test
# and the list ours (.example.test: every host under example.test).
#
#   a DSN returning our message (its Received: "by mx.example.test",
#     folded or not), or quoting our Message-ID: delivered
#   a DSN returning a message that never passed here (backscatter), or
#     returning nothing: 550 5.7.1 at the end of data, not delivered,
#     logged
#   our host only in the bounce's own header section does not count
#   to postmaster, to abuse: delivered
#   a message with a sender: not looked at
#   off (the default): delivered
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;

my $RULES = cdb("list rcpt_domain example.test\nlist ours .example.test\n" .
    "set hostname mx.example.test\n");

sub server {
	my (%env) = @_;
	return start_tcpserver(ip => '127.77.64.4', rules => $RULES,
	    env => { SMTPFRONT_BOUNCE_BOGUS_ACTION => 'reject', %env });
}

sub send_bounce {
	my ($s, $body, %o) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('remote.test');
	my $m = mail($c, from => $o{from} // '', to => $o{to} //
	    ['user@example.test'], body => $body);
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

sub dsn {
	my ($subject, $returned) = @_;
	return "From: MAILER-DAEMON\@remote.test\n" .
	    "Received: from mx.example.test by remote.test; Thu, 3 Dec 2026\n" .
	    "Subject: $subject\n" .
	    "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n" .
	    "--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n" .
	    "--B\nContent-Type: message/rfc822\n\n$returned\n--B--\n";
}

sub delivered {
	my ($s, $subject) = @_;
	return scalar(grep { $_->{msg} =~ /^Subject: \Q$subject\E\r$/m }
	    sink_messages($s->{sinkdir}));
}

{
	my $s = server();
	my $m = send_bounce($s, dsn('ours', "Received: from pc.example.test (pc [192.0.2.1])\n" .
	    "\tby mx.example.test (smtpfront) with ESMTP;\n\tThu, 3 Dec 2026\n" .
	    "From: user\@example.test\nSubject: hello\n\nhi\n"));
	reply_is($m->{eod}, '250', undef, 'a DSN of our message (by hostname): delivered');
	$m = send_bounce($s, dsn('ours folded', "Received: from pc.example.test (pc [192.0.2.1])\n" .
	    "\tby\n out2.example.test with ESMTP\nSubject: hello\n\nhi\n"));
	reply_is($m->{eod}, '250', undef, 'by on a continuation line, a subdomain of ours: delivered');
	$m = send_bounce($s, dsn('msgid', "Message-ID: <1234.5678\@lists.example.test>\n" .
	    "Subject: hello\n\nhi\n"));
	reply_is($m->{eod}, '250', undef, 'our Message-ID quoted: delivered');
	$m = send_bounce($s, dsn('backscatter', "Received: from [203.0.113.9]\n" .
	    "\tby mail.spam.test with SMTP;\nMessage-ID: <x\@spam.test>\n" .
	    "From: user\@example.test\nSubject: buy now\n\nspam\n"));
	reply_is($m->{eod}, '550', '5.7.1', 'backscatter: 550 5.7.1');
	is(delivered($s, 'backscatter'), 0, 'backscatter: not delivered');
	my ($l) = log_has($s, qr/ reject check=bounce_bogus /);
	like($l // '', qr/ reject check=bounce_bogus rule=SMTPFRONT_BOUNCE_BOGUS_ACTION cmd=DATA .*reason="a bounce that names none of our hosts/,
	    'logged with why');
	$m = send_bounce($s, "From: MAILER-DAEMON\@remote.test\n" .
	    "Received: by mx.example.test\nSubject: own header only\n\nnothing returned\n");
	reply_is($m->{eod}, '550', '5.7.1',
	    'our host only in the bounce\'s own header: refused');
	$m = send_bounce($s, dsn('to postmaster', 'Subject: x'),
	    to => ['postmaster@example.test']);
	reply_is($m->{eod}, '250', undef, 'to postmaster: delivered');
	$m = send_bounce($s, dsn('to abuse', 'Subject: x'),
	    to => ['abuse@example.test']);
	reply_is($m->{eod}, '250', undef, 'to abuse: delivered');
	$m = send_bounce($s, "From: a\@b.test\nSubject: with sender\n\nhi\n",
	    from => 'a@b.test');
	reply_is($m->{eod}, '250', undef, 'a message with a sender: not looked at');
	stop($s);
}

{
	my $s = server(SMTPFRONT_BOUNCE_BOGUS_ACTION => undef);
	my ($code, $out) = swaks(server => $s, local => '127.0.0.2',
	    args => ['--from', '<>', '--to', 'user@example.test',
	    '--header', 'Subject: off']);
	like($out, qr/^<-  250 .*queued|^<-  250 2\.0\.0/m, 'off (the default): swaks\'s bounce delivered');
	stop($s);
	$s = server();
	($code, $out) = swaks(server => $s, local => '127.0.0.2',
	    args => ['--from', '<>', '--to', 'user@example.test',
	    '--header', 'Subject: swaks bounce']);
	like($out, qr/^<\*\* +550 5\.7\.1 Bounce of a message we did not send/m,
	    'swaks: a bounce returning nothing refused');
	stop($s);
}

done_testing();
