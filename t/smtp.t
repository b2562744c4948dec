#!/usr/bin/perl
# t/smtp.t: the SMTP dialogue smtpfront holds itself, under tcpserver
# with the sink as the MTA child: banner, EHLO capabilities (SIZE from
# size_max, PIPELINING on and off), HELO, NOOP, RSET, VRFY, HELP, QUIT,
# bad sequences (503), held refusals (delay_reject), several transactions
# in one session, pipelined commands answered in order, and enhanced
# status codes on every reply but the banner, HELO/EHLO and 354.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;

# tcpserver with smtpfront serving example.test, the sink as its child.
sub server { return start_tcpserver(rules => test_rules(), @_) }

my $HOST = 'mx.test.invalid';

# --- banner and EHLO with the defaults -------------------------------------
my $s = server();
{
	my $c = client(server => $s, local => '127.0.0.2');
	my ($banner, $r) = $c->start('client.test');
	like($banner->{last}, qr/^220 \Q$HOST\E ESMTP(?: |$)/,
	    'banner: 220 hostname ESMTP (hostname from TCPLOCALHOST)');
	is(scalar(@{$banner->{lines}}), 1, 'banner is one line');
	is($r->{lines}[0], "250-$HOST", 'EHLO: first line 250-hostname');
	my %cap = map { my $l = $_; $l =~ s/^250[- ]//; ($l => 1) }
	    @{$r->{lines}}[1 .. $#{$r->{lines}}];
	ok($cap{PIPELINING}, 'EHLO offers PIPELINING by default');
	ok($cap{'SIZE 10485760'}, 'EHLO offers SIZE with the default size_max')
	    or diag(join(' | ', @{$r->{lines}}));
	ok($cap{'8BITMIME'}, 'EHLO offers 8BITMIME');
	is($r->{last}, '250 ENHANCEDSTATUSCODES',
	    'EHLO: last line 250 ENHANCEDSTATUSCODES');
	ok(!grep({ /^250 / } @{$r->{lines}}[0 .. $#{$r->{lines}} - 1]),
	    'EHLO: only the last line has a blank after the code');

	reply_is($c->cmd('NOOP'), '250', '2.0.0', 'NOOP 250 2.0.0');
	reply_is($c->cmd('NOOP some argument'), '250', '2.0.0',
	    'NOOP with an argument 250 2.0.0');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'RSET 250 2.0.0');
	reply_is($c->cmd('VRFY user@example.test'), '252', '2.5.0',
	    'VRFY 252 2.5.0');
	reply_is($c->cmd('HELP'), '214', '2.0.0', 'HELP 214 2.0.0');
	reply_is($c->cmd('help'), '214', '2.0.0', 'verbs are case-insensitive');
	reply_is($c->cmd('FROB x'), '500', qr/^5\.5\.\d$/, 'unknown command 500 5.5.x');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT 221 2.0.0');
	ok($c->closed(5), 'connection closed after QUIT');
	is(sink_started($s->{sinkdir}), 0, 'no child for a session without MAIL');
}

# --- HELO -------------------------------------------------------------------
{
	my $c = client(server => $s, local => '127.0.0.2');
	my ($banner, $r) = $c->start('client.test', helo => 1);
	reply_is($r, '250', undef, 'HELO 250');
	like($r->{last}, qr/^250 \Q$HOST\E(?: |$)/, 'HELO reply names the host');
	is(scalar(@{$r->{lines}}), 1, 'HELO reply is one line');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0',
	    'MAIL after HELO 250 2.1.0');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', qr/^2\.1\.5$/,
	    'RCPT after HELO 250 2.1.5');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
}

# --- SIZE from SMTPFRONT_SIZE_MAX, PIPELINING off, SMTPFRONT_HOSTNAME ------------
{
	my $t = server(env => { SMTPFRONT_SIZE_MAX => 2048,
	    SMTPFRONT_PIPELINING => 'no',
	    SMTPFRONT_HOSTNAME => 'other.test.invalid' });
	my $c = client(server => $t, local => '127.0.0.2');
	my ($banner, $r) = $c->start('client.test');
	like($banner->{last}, qr/^220 other\.test\.invalid ESMTP(?: |$)/,
	    'banner uses SMTPFRONT_HOSTNAME');
	is($r->{lines}[0], '250-other.test.invalid',
	    'EHLO uses SMTPFRONT_HOSTNAME');
	ok(grep({ $_ eq '250-SIZE 2048' } @{$r->{lines}}),
	    'EHLO SIZE shows SMTPFRONT_SIZE_MAX')
	    or diag(join(' | ', @{$r->{lines}}));
	ok(!grep({ /PIPELINING/ } @{$r->{lines}}),
	    'no PIPELINING with SMTPFRONT_PIPELINING=no');
	is($r->{last}, '250 ENHANCEDSTATUSCODES', 'EHLO last line');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	stop($t);
}

# --- bad sequences --------------------------------------------------------
{
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '503', '5.5.1',
	    'RCPT before MAIL 503 5.5.1');
	reply_is($c->cmd('DATA'), '503', '5.5.1', 'DATA before MAIL 503 5.5.1');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'MAIL');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '503', '5.5.1',
	    'second MAIL 503 5.5.1');
	# RFC 5321 3.3 allows 503 or 554 "no valid recipients" here.
	my $r = $c->cmd('DATA');
	ok($r->{code} =~ /^(?:503|554)$/ && $r->{esc} eq '5.5.1',
	    'DATA without RCPT 503 or 554, 5.5.1')
	    or diag(join(' | ', @{$r->{lines}}));
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'RSET');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '503', '5.5.1',
	    'RSET ends the transaction: RCPT 503 5.5.1');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
}

# --- MAIL before HELO: held until RCPT, postmaster still accepted ------------
{
	my $c = client(server => $s, local => '127.0.0.2');
	$c->reply;
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0',
	    'MAIL before HELO: refusal held, 250 2.1.0');
	reply_is($c->cmd('RCPT TO:<postmaster@example.test>'), '250',
	    qr/^2\.1\.\d$/, 'RCPT to postmaster accepted while a refusal is held');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '503', '5.5.1',
	    'held refusal given at RCPT: 503 5.5.1');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');

	my $t = server(env => { SMTPFRONT_DELAY_REJECT => 'no' });
	$c = client(server => $t, local => '127.0.0.2');
	$c->reply;
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '503', '5.5.1',
	    'MAIL before HELO with delay_reject=no: 503 5.5.1 at MAIL');
	$c->cmd('HELO client.test');
	reply_is($c->cmd('MAIL FROM:<a b@c>'), '553', '5.1.7',
	    'bad sender syntax with delay_reject=no: 553 5.1.7 at MAIL');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	stop($t);
}

# --- bad sender syntax: refused at MAIL, whatever delay_reject says ----------
# (syntax is no policy: a client told 250 would take its sender as taken)
{
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a b@c>'), '553', '5.1.7',
	    'bad sender syntax: 553 5.1.7 at MAIL, not held');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0',
	    'bad sender syntax: the next MAIL is taken (no 503)');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'RSET');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'MAIL');
	reply_is($c->cmd('RCPT TO:<x y@example.test>'), '553', '5.1.3',
	    'bad recipient syntax 553 5.1.3');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
}

# --- several transactions per session -------------------------------------------
{
	my $t = server();
	my $c = client(server => $t, local => '127.0.0.2');
	$c->start('client.test');
	for my $i (1 .. 3) {
		reply_is($c->cmd("MAIL FROM:<a$i\@b.test>"), '250', '2.1.0',
		    "transaction $i: MAIL");
		reply_is($c->cmd("RCPT TO:<user$i\@example.test>"), '250',
		    qr/^2\./, "transaction $i: RCPT");
		reply_is($c->cmd('DATA'), '354', undef, "transaction $i: DATA 354");
		$c->send(crlf("Subject: message $i\n\nbody $i\n.\n"));
		reply_is($c->reply, '250', qr/^2\./, "transaction $i: 250 at the end");
	}
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	my @m = sink_messages($t->{sinkdir});
	is(scalar(@m), 3, 'three messages delivered in one session');
	for my $i (1 .. 3) {
		is($m[$i - 1]{msg}, crlf("Subject: message $i\n\nbody $i\n"),
		    "message $i delivered as sent");
		like($m[$i - 1]{env}, qr/^MAIL FROM:<a$i\@b\.test>.*\nRCPT TO:<user$i\@example\.test>\n\z/si,
		    "envelope $i");
	}
	stop($t);
}

# --- pipelining: a group of commands answered in order ------------------------
{
	my $t = server();
	my $c = client(server => $t, local => '127.0.0.2');
	$c->start('client.test');
	$c->send("MAIL FROM:<a\@b.test>\r\nRCPT TO:<one\@example.test>\r\n" .
	    "RCPT TO:<bad address>\r\nRCPT TO:<two\@example.test>\r\nDATA\r\n");
	reply_is($c->reply, '250', '2.1.0', 'pipelined MAIL answered first');
	reply_is($c->reply, '250', qr/^2\.1\.5$/, 'pipelined RCPT 1 answered second');
	reply_is($c->reply, '553', '5.1.3', 'pipelined bad RCPT answered third');
	reply_is($c->reply, '250', qr/^2\.1\.5$/, 'pipelined RCPT 2 answered fourth');
	reply_is($c->reply, '354', undef, 'pipelined DATA answered last');
	$c->send(crlf("Subject: pipelined\n\nbody\n.\n") . "QUIT\r\n");
	reply_is($c->reply, '250', qr/^2\./, 'end of data and QUIT pipelined: 250');
	reply_is($c->reply, '221', '2.0.0', '... then 221');
	ok($c->closed(5), 'closed after QUIT');
	my @m = sink_messages($t->{sinkdir});
	is(scalar(@m), 1, 'pipelined message delivered');
	is($m[0]{env} // '', "MAIL FROM:<a\@b.test>\nRCPT TO:<one\@example.test>\n" .
	    "RCPT TO:<two\@example.test>\n", 'pipelined envelope, bad RCPT left out')
	    if @m;
	stop($t);
}

# --- enhanced status codes on every reply but banner, HELO/EHLO, 354 -----------
{
	my $c = client(server => $s, local => '127.0.0.2');
	my @replies;
	my $banner = $c->reply;
	my @script = ('NOOP', 'FROB', 'RCPT TO:<user@example.test>',
	    'VRFY x', 'HELP', 'RSET', 'MAIL FROM:<a@b.test>',
	    'EHLO client.test', 'MAIL FROM:<a@b.test>',
	    'MAIL FROM:<a@b.test>', 'RCPT TO:<bad address>',
	    'RCPT TO:<user@example.test>', 'RSET', 'DATA',
	    'MAIL FROM:<a b@c>', 'RCPT TO:<user@example.test>', 'RSET',
	    'MAIL FROM:<a@b.test>', 'RCPT TO:<user@example.test>', 'DATA');
	for my $cmd (@script) {
		push @replies, [$cmd, $c->cmd($cmd)];
	}
	$c->send(crlf("Subject: esc\n\nbody\n.\n"));
	push @replies, ['(end of data)', $c->reply];
	push @replies, ['QUIT', $c->cmd('QUIT')];
	my @bad;
	for my $p (@replies) {
		my ($cmd, $r) = @$p;
		next if $cmd =~ /^(?:EHLO|HELO)/;
		next if $r->{code} eq '354';
		for my $l (@{$r->{lines}}) {
			push @bad, "$cmd -> $l"
			    unless $l =~ /^([2-5])\d\d[- ]\1\.\d{1,3}\.\d{1,3}(?: |$)/;
		}
		push @bad, "$cmd -> no reply" unless @{$r->{lines}};
	}
	is_deeply(\@bad, [], 'every reply line has an enhanced status code of its class');
}

stop($s);
done_testing();
