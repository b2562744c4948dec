#!/usr/bin/perl
# t/header_size.t: the header section's size (checks/header_size.c)
# through tcpserver with the tests' client and the sink as the MTA
# child: a section at header_size_max delivered, one byte over refused
# at the end of data with 552 5.3.4 and not delivered; a long body does
# not count; a section of 4 MB (no empty line) refused while
# smtpfront's peak memory grows by less than 1 MB over it; off (the
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
	return start_tcpserver(ip => '127.77.64.3', rules => $RULES,
	    env => { SMTPFRONT_HEADER_SIZE_ACTION => 'reject',
	    SMTPFRONT_HEADER_SIZE_MAX => 2048, %env });
}

sub send_body {
	my ($s, $body, %o) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	my $m = mail($c, body => $body);
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

# A header section of exactly $n bytes with its empty line.
sub section {
	my ($n, $subject) = @_;
	my $head = "From: a\@b.test\r\nSubject: $subject\r\n";
	my $pad = $n - length($head) - length("X-Pad: \r\n") - 2;
	return $head . "X-Pad: " . ('p' x $pad) . "\r\n\r\n";
}

{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	for my $case ([2048, 'at the limit', '250'], [2049, 'over', '552']) {
		my ($n, $what, $code) = @$case;
		$c->cmd('MAIL FROM:<a@b.test>');
		$c->cmd('RCPT TO:<user@example.test>');
		$c->cmd('DATA');
		my $sec = section($n, $what);
		is(length($sec), $n, "$what: the section is $n bytes");
		$c->send($sec . "body\r\n.\r\n");
		my $r = $c->reply;
		is($r->{code}, $code, "$what: $code");
	}
	$c->cmd('MAIL FROM:<a@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	$c->cmd('DATA');
	$c->send("From: a\@b.test\r\nSubject: long body\r\n\r\n" .
	    ("b" x 70 . "\r\n") x 2000 . ".\r\n");
	is($c->reply->{code}, '250', 'a long body: delivered');
	$c->cmd('QUIT');
	$c->closed(5);
	my ($l) = log_has($s, qr/ reject check=header_size /);
	like($l // '', qr/ reject check=header_size rule=SMTPFRONT_HEADER_SIZE_ACTION cmd=DATA .*code=552 esc=5\.3\.4 reason="header section 2049 bytes, limit 2048"/,
	    'logged with the size');
	is(scalar(grep { $_->{msg} =~ /^Subject: over\r$/m }
	    sink_messages($s->{sinkdir})), 0, 'over: not delivered');
	stop($s);
}

{
	my $s = server(SMTPFRONT_SIZE_MAX => 10485760);
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	$c->cmd('DATA');
	$c->send("From: a\@b.test\r\nSubject: huge\r\n");
	my $line = "X-Long: " . ('h' x 990) . "\r\n";
	$c->send($line x 100);
	my $hwm = sub {
		my $rss = 0;
		for my $p (Conn::session_pids($s)) {
			my $st = slurp("/proc/$p/status") // '';
			$rss = $1 if $st =~ /^VmHWM:\s+(\d+) kB/m && $1 > $rss;
		}
		return $rss;
	};
	my $before = $hwm->();
	$c->send($line x 1000) for 1 .. 4;
	$c->send("\r\nbody\r\n.\r\n");
	my $r = $c->reply;
	my $after = $hwm->();
	is($r->{code}, '552', 'a 4 MB header section: 552');
	ok($before > 0 && $after - $before < 1024,
	    'smtpfront\'s peak memory stays flat over 4 MB of header')
	    or diag("VmHWM $before kB, then $after kB");
	$c->cmd('QUIT');
	stop($s);
	$s = server(SMTPFRONT_HEADER_SIZE_ACTION => undef);
	my $m = send_body($s, "From: a\@b.test\nSubject: off\nX-Pad: " .
	    ('p' x 3000) . "\n\nbody\n");
	reply_is($m->{eod}, '250', undef, 'off (the default): delivered');
	stop($s);
}

done_testing();
