#!/usr/bin/perl
# t/header_from.t: exactly one From: field (checks/header_from.c) through
# tcpserver with the tests' client and the sink as the MTA child, on the
# streamed path and the spooled one: one From: delivered (however its
# name is written, and folded), none or two refused at the end of data
# with 550 5.6.0 and nothing reaching the sink's mailbox; a "From:" in
# the body does not count; warn delivers with the warn header; off (the
# default) delivers.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;

my $RULES = cdb("list rcpt_domain example.test\n");

sub server {
	my (%env) = @_;
	return start_tcpserver(ip => '127.77.64.1', rules => $RULES,
	    env => { SMTPFRONT_HEADER_FROM_ACTION => 'reject', %env });
}

sub send_body {
	my ($s, $body) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	my $m = mail($c, body => $body);
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

sub delivered {
	my ($s, $subject) = @_;
	return scalar(grep { $_->{msg} =~ /^Subject: \Q$subject\E\r$/m }
	    sink_messages($s->{sinkdir}));
}

for my $spool ('no', 'yes') {
	my $s = server(SMTPFRONT_DATA_SPOOL => $spool);
	my $m = send_body($s, "from: a\@b.test\nSubject: one $spool\n\nbody\n");
	reply_is($m->{eod}, '250', undef, "spool $spool: one From: (lower case) delivered");
	$m = send_body($s, "Subject: folded $spool\nFrom:\n a\@b.test\n\nbody\n");
	reply_is($m->{eod}, '250', undef, "spool $spool: a folded From: delivered");
	$m = send_body($s, "Subject: none $spool\n\nFrom: in the body\n");
	reply_is($m->{eod}, '550', '5.6.0', "spool $spool: no From: 550 5.6.0 (one in the body does not count)");
	is(delivered($s, "none $spool"), 0, "spool $spool: not delivered");
	$m = send_body($s, "From: a\@b.test\nSubject: two $spool\nFROM: c\@d.test\n\nbody\n");
	reply_is($m->{eod}, '550', '5.6.0', "spool $spool: two From: 550 5.6.0");
	is(delivered($s, "two $spool"), 0, "spool $spool: not delivered");
	my ($l) = log_has($s, qr/ reject check=header_from .*2 From/);
	like($l // '', qr/ reject check=header_from rule=SMTPFRONT_HEADER_FROM_ACTION cmd=DATA .*reason="2 From: fields"/,
	    "spool $spool: logged with why");
	stop($s);
}

{
	my $s = server(SMTPFRONT_HEADER_FROM_ACTION => 'warn');
	my $m = send_body($s, "Subject: warned\n\nbody\n");
	reply_is($m->{eod}, '250', undef, 'warn: delivered');
	my ($l) = log_has($s, qr/warn.* check=header_from /);
	ok($l, 'warn: logged');
	stop($s);
	$s = server(SMTPFRONT_HEADER_FROM_ACTION => undef);
	$m = send_body($s, "Subject: off\n\nbody\n");
	reply_is($m->{eod}, '250', undef, 'off (the default): delivered');
	stop($s);
}

done_testing();
