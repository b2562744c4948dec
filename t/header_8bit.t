#!/usr/bin/perl
# t/header_8bit.t: 8-bit bytes in the header section
# (checks/header_8bit.c) through tcpserver with the tests' client and the
# sink as the MTA child: ASCII and UTF-8 headers (two-, three- and
# four-byte sequences, split across writes) delivered; Latin-1, an
# overlong form, a surrogate, a sequence cut short refused at the end of
# data with 550 5.6.0; 8-bit bytes in the body do not count; with
# header_8bit_utf8 no, UTF-8 is refused too; off (the default) delivers
# everything.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use SF;
use Conn;

my $RULES = cdb("list rcpt_domain example.test\n");

sub server {
	my (%env) = @_;
	return start_tcpserver(ip => '127.77.64.2', rules => $RULES,
	    env => { SMTPFRONT_HEADER_8BIT_ACTION => 'reject', %env });
}

# The message in pieces, each its own write.
sub send_pieces {
	my ($s, @pieces) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	my %r;
	$r{mail} = $c->cmd('MAIL FROM:<a@b.test>');
	$r{rcpt} = $c->cmd('RCPT TO:<user@example.test>');
	$r{data} = $c->cmd('DATA');
	for my $p (@pieces) {
		$c->send($p);
		sleep(0.05);
	}
	$c->send(".\r\n");
	$r{eod} = $c->reply;
	$c->cmd('QUIT');
	$c->closed(5);
	return \%r;
}

my %good = (
    'ascii' => "Subject: plain\r\n",
    'utf-8 two bytes' => "Subject: caf\xc3\xa9\r\n",
    'utf-8 three bytes' => "Subject: \xe2\x82\xac 5\r\n",
    'utf-8 four bytes' => "Subject: \xf0\x9f\x98\x80\r\n",
);
my %bad = (
    'latin-1' => "Subject: caf\xe9\r\n",
    'an overlong form' => "Subject: \xc0\xaf\r\n",
    'a surrogate' => "Subject: \xed\xa0\x80\r\n",
    'a sequence cut short' => "Subject: \xe2\x82 x\r\n",
    'past U+10FFFF' => "Subject: \xf4\x90\x80\x80\r\n",
);

{
	my $s = server();
	for my $k (sort keys %good) {
		my $h = $good{$k};
		# split inside the sequence: the check reads across writes
		my $cut = index($h, ':') + 6;
		my $m = send_pieces($s, "From: a\@b.test\r\n" . substr($h, 0, $cut),
		    substr($h, $cut) . "\r\nbody \xe9\xff\r\n");
		reply_is($m->{eod}, '250', undef, "$k: delivered");
	}
	for my $k (sort keys %bad) {
		my $m = send_pieces($s, "From: a\@b.test\r\n$bad{$k}\r\nbody\r\n");
		reply_is($m->{eod}, '550', '5.6.0', "$k: 550 5.6.0");
	}
	my ($l) = log_has($s, qr/ reject check=header_8bit /);
	like($l // '', qr/ reject check=header_8bit rule=SMTPFRONT_HEADER_8BIT_ACTION cmd=DATA .*reason="8-bit bytes in the header section, not UTF-8"/,
	    'logged with why');
	is(scalar(grep { $_->{msg} =~ /^Subject: caf\xe9\r$/m }
	    sink_messages($s->{sinkdir})), 0, 'the Latin-1 one not delivered');
	stop($s);
}

{
	my $s = server(SMTPFRONT_HEADER_8BIT_UTF8 => 'no');
	my $m = send_pieces($s, "From: a\@b.test\r\nSubject: caf\xc3\xa9\r\n\r\nbody\r\n");
	reply_is($m->{eod}, '550', '5.6.0', 'header_8bit_utf8 no: UTF-8 refused');
	like($m->{eod}{text} // '', qr/8-bit bytes$/, 'the reply says 8-bit');
	$m = send_pieces($s, "From: a\@b.test\r\nSubject: plain\r\n\r\nbody \xc3\xa9\r\n");
	reply_is($m->{eod}, '250', undef, 'header_8bit_utf8 no: 8-bit in the body delivered');
	stop($s);
	$s = server(SMTPFRONT_HEADER_8BIT_ACTION => undef);
	$m = send_pieces($s, "From: a\@b.test\r\nSubject: caf\xe9\r\n\r\nbody\r\n");
	reply_is($m->{eod}, '250', undef, 'off (the default): delivered');
	stop($s);
}

done_testing();
