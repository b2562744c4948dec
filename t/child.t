#!/usr/bin/perl
# t/child.t: smtpfront and its MTA child (build/t/sink): the child is
# started lazily (not for EHLO/QUIT, not for a refused MAIL, not before
# a recipient passes), gets the envelope (MAIL and the first RCPT in one
# write when it offers PIPELINING, with the client's DATA when it came
# with the last RCPT), its MAIL and RCPT replies reach the
# client as they are (an
# enhanced status code added when it gave none), a child whose banner
# fails gives a temporary failure, a child without EHLO gets HELO, and a
# child that cannot be started gives 421 4.3.0.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;

# tcpserver with smtpfront serving example.test, the sink as its child.
sub server { return start_tcpserver(rules => test_rules(), @_) }

# --- lazy start ------------------------------------------------------------
{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('NOOP'), '250', '2.0.0', 'NOOP');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	ok($c->closed(5), 'closed');
	is(sink_started($s->{sinkdir}), 0, 'EHLO and QUIT only: no child started');

	# A refusal held until RCPT (a sender domain that is no FQDN).
	$c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b>');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '553', '5.1.8',
	    'refused sender (held)');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	ok($c->closed(5), 'closed');
	is(sink_started($s->{sinkdir}), 0, 'refused MAIL (held): no child started');

	# The same refusal given at MAIL.
	my $t = server(env => { SMTPFRONT_DELAY_REJECT => 'no' });
	$c = client(server => $t, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a b@c>'), '553', '5.1.7',
	    'refused sender (at MAIL)');
	reply_is($c->cmd('MAIL FROM:<a@b.test> SIZE=999999999'), '552', '5.3.4',
	    'refused declared size (at MAIL)');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	ok($c->closed(5), 'closed');
	is(sink_started($t->{sinkdir}), 0, 'refused MAIL: no child started');

	# A MAIL that passes does not start it yet; its first recipient
	# that passes does.
	$c = client(server => $t, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'good MAIL');
	reply_is($c->cmd('NOOP'), '250', '2.0.0', 'NOOP after MAIL');
	is(sink_started($t->{sinkdir}), 0, 'no child after MAIL alone');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5',
	    'good RCPT');
	ok(wait_for(sub { sink_started($t->{sinkdir}) == 1 }, 5),
	    'a recipient that passes the checks starts the child');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	ok($c->closed(5), 'closed');
	stop($t);
	stop($s);
}

# --- envelope forwarded, child refusals relayed ----------------------------------
{
	my $s = server(env => {
	    SINK_FAULT => 'rcpt-refuse=nobody@example.test' });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<sender@example.org>'), '250', '2.1.0', 'MAIL');
	reply_is($c->cmd('RCPT TO:<one@example.test>'), '250', '2.1.5', 'RCPT one');
	my $r = $c->cmd('RCPT TO:<nobody@example.test>');
	reply_is($r, '550', '5.1.1', "child's RCPT refusal reaches the client");
	is($r->{last}, '550 5.1.1 sink: no such user',
	    "... with the child's own text");
	reply_is($c->cmd('RCPT TO:<two@example.test>'), '250', '2.1.5', 'RCPT two');
	reply_is($c->cmd('DATA'), '354', undef, 'DATA');
	$c->send(crlf("Subject: envelope\n\nbody\n.\n"));
	$r = $c->reply;
	reply_is($r, '250', '2.0.0', 'message accepted');
	my ($pid) = sink_started($s->{sinkdir});
	like($r->{last}, qr/^250 2\.0\.0 Ok: queued as \Q$pid\E\.1$/,
	    "the child's final reply reaches the client unchanged");
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	my @m = sink_messages($s->{sinkdir});
	is(scalar(@m), 1, 'one message');
	like($m[0]{env} // '', qr/^MAIL FROM:<sender\@example\.org>(?: [^\n]*)?\n/i,
	    'child got the sender');
	is(join("\n", grep { /^RCPT/i } split(/\n/, $m[0]{env} // '')),
	    "RCPT TO:<one\@example.test>\nRCPT TO:<two\@example.test>",
	    'child accepted exactly the two good recipients, in order');
	ok(grep({ $_ eq 'RCPT TO:<nobody@example.test>' } sink_log($s->{sinkdir})),
	    'the refused recipient was asked of the child');
	stop($s);
}

# --- DATA with the last RCPT (RFC 2920) -----------------------------------------
# A client that pipelines sends its last RCPT and DATA together; the child
# gets DATA with that RCPT.  A recipient the child refuses still reaches the
# client as the child said it, DATA is then refused here and the child's
# transaction goes on; a DATA refused by a check after the child got it
# kills the child, which delivers nothing, and the next transaction gets a
# new one.
{
	my $s = server(env => {
	    SINK_FAULT => 'rcpt-refuse=nobody@example.test' });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->send("MAIL FROM:<sender\@example.org>\r\n" .
	    "RCPT TO:<one\@example.test>\r\nDATA\r\n");
	reply_is($c->reply, '250', '2.1.0', 'pipelined MAIL');
	reply_is($c->reply, '250', '2.1.5', 'pipelined RCPT');
	reply_is($c->reply, '354', undef, 'pipelined DATA');
	$c->send(crlf("Subject: one\n\nbody\n.\n"));
	reply_is($c->reply, '250', '2.0.0', 'message accepted');

	$c->send("MAIL FROM:<sender\@example.org>\r\n" .
	    "RCPT TO:<nobody\@example.test>\r\nDATA\r\n");
	reply_is($c->reply, '250', '2.1.0', 'pipelined MAIL, refused RCPT');
	my $r = $c->reply;
	reply_is($r, '550', '5.1.1', "the child's refusal of the RCPT");
	is($r->{last}, '550 5.1.1 sink: no such user', "... in its own words");
	reply_is($c->reply, '554', '5.5.1', 'DATA without recipients refused');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'RSET');

	$c->send("MAIL FROM:<sender\@example.org>\r\n" .
	    "RCPT TO:<two\@example.test>\r\nDATA\r\n");
	reply_is($c->reply, '250', '2.1.0', 'MAIL again');
	reply_is($c->reply, '250', '2.1.5', 'RCPT again');
	reply_is($c->reply, '354', undef, 'DATA again');
	$c->send(crlf("Subject: two\n\nbody\n.\n"));
	reply_is($c->reply, '250', '2.0.0', 'second message accepted');

	# a null sender to two recipients: bounce_multi refuses DATA
	$c->send("MAIL FROM:<>\r\nRCPT TO:<one\@example.test>\r\n" .
	    "RCPT TO:<two\@example.test>\r\nDATA\r\n");
	reply_is($c->reply, '250', '2.1.0', 'null sender');
	reply_is($c->reply, '250', '2.1.5', 'its RCPT one');
	reply_is($c->reply, '250', '2.1.5', 'its RCPT two');
	reply_is($c->reply, '550', '5.5.3', 'DATA refused by bounce_multi');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'RSET after it');
	$c->send("MAIL FROM:<sender\@example.org>\r\n" .
	    "RCPT TO:<one\@example.test>\r\nDATA\r\n");
	reply_is($c->reply, '250', '2.1.0', 'MAIL after the refused DATA');
	reply_is($c->reply, '250', '2.1.5', 'RCPT after the refused DATA');
	reply_is($c->reply, '354', undef, 'DATA after the refused DATA');
	$c->send(crlf("Subject: three\n\nbody\n.\n"));
	reply_is($c->reply, '250', '2.0.0', 'third message accepted');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	ok($c->closed(5), 'closed');

	my @m = sink_messages($s->{sinkdir});
	is(join(',', map { $_->{msg} =~ /^Subject: (\w+)/m ? $1 : '?' } @m),
	    'one,two,three', 'the three messages delivered, nothing else');
	is(scalar(sink_started($s->{sinkdir})), 2,
	    'the child that had DATA when it was refused was replaced');
	my @log = sink_log($s->{sinkdir});
	is(scalar(grep { /^DATA$/i } @log), 5,
	    'the child got DATA with each last RCPT');
	my ($first) = sink_started($s->{sinkdir});
	my @l1 = split(/\n/, slurp("$s->{sinkdir}/$first.log") // '');
	is($l1[-1] // '', 'DATA',
	    'the replaced child got nothing after that DATA (no RSET, no end)');
	stop($s);
}

# --- MAIL refused by the child; replies without enhanced codes ----------------
{
	my $s = server(env => { SINK_FAULT => 'mail-451' });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0',
	    'MAIL: ours, the child is not asked yet');
	my $r = $c->cmd('RCPT TO:<user@example.test>');
	reply_is($r, '451', '4.3.0', "child's MAIL refusal reaches the client");
	is($r->{last}, '451 4.3.0 sink: temporary failure', "... with its text");
	reply_is($c->cmd('RCPT TO:<user2@example.test>'), '451', '4.3.0',
	    '... again for the next recipient (the child is asked again)');
	reply_is($c->cmd('DATA'), '554', '5.5.1',
	    'no transaction after a refused MAIL');
	ok(scalar(wait_log($s, qr/reject check=child rule=- cmd=MAIL .*code=451|defer check=child rule=- cmd=MAIL .*code=451/, 5)),
	    "the child's MAIL refusal is logged");
	is(scalar(sink_messages($s->{sinkdir})), 0, 'nothing delivered');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	stop($s);

	$s = server(env => {
	    SINK_FAULT => 'rcpt-noesc,rcpt-refuse=nobody@example.test' });
	$c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	$r = $c->cmd('RCPT TO:<user@example.test>');
	is($r->{last}, '250 2.0.0 sink: Ok',
	    'child reply without enhanced code: 2.0.0 added');
	$r = $c->cmd('RCPT TO:<nobody@example.test>');
	is($r->{last}, '550 5.0.0 sink: no such user',
	    'child refusal without enhanced code: 5.0.0 added');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	stop($s);

	# qmail-smtpd names its enhanced code at the end of its text,
	# "(#X.Y.Z)": that code, of the reply's class, is the one added
	for my $case (['qmail,rcpt-refuse=nobody@example.test', 'RCPT',
	    '553 5.7.1 sorry, that domain isn\'t in my list of allowed ' .
	    'rcpthosts (#5.7.1)', 'a qmail RCPT refusal: its (#5.7.1)'],
	    ['eod-qmail', 'DATA', '552 5.3.4 sorry, that message size ' .
	    'exceeds my databytes limit (#5.3.4)',
	    'a qmail end-of-data refusal: its (#5.3.4)'],
	    ['eod-qmail-mismatch', 'DATA', '451 4.0.0 qmail-queue failed ' .
	    '(#5.3.4)', 'a code of another class than the reply\'s: X.0.0']) {
		my ($fault, $at, $want, $name) = @$case;
		$s = server(env => { SINK_FAULT => $fault });
		$c = client(server => $s, local => '127.0.0.2');
		$c->start('client.test');
		$c->cmd('MAIL FROM:<a@b.test>');
		if ($at eq 'RCPT') {
			$r = $c->cmd('RCPT TO:<nobody@example.test>');
		} else {
			$c->cmd('RCPT TO:<user@example.test>');
			$c->cmd('DATA');
			$c->send("x\r\n.\r\n");
			$r = $c->reply(15);
		}
		is($r->{last}, $want, $name);
		reply_is($c->cmd('QUIT'), '221', '2.0.0', "$name: QUIT");
		stop($s);
	}

	# A reply longer than smtpfront keeps (2048 bytes) is cut, never
	# so that its last line is lost: the client gets a reply that ends,
	# and the next one is the child's next reply, not the rest of this.
	$s = server(env => { SINK_FAULT => 'rcpt-long' });
	$c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	$r = $c->cmd('RCPT TO:<user@example.test>');
	is($r->{last}, '250 2.1.5 sink: ok after a long reply',
	    'a long child reply is cut, its last line kept');
	ok(length(join("\r\n", @{$r->{lines}})) <= 2048,
	    '... to 2048 bytes at most');
	reply_is($c->cmd('DATA'), '354', undef, '... and the session goes on');
	$c->send("x\r\n.\r\n");
	reply_is($c->reply(15), '250', '2.0.0', '... to a delivery');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	stop($s);

	# Control and 8-bit bytes in a child's reply reach the client as '?'.
	$s = server(env => { SINK_FAULT => 'rcpt-ctl' });
	$c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	$r = $c->cmd('RCPT TO:<user@example.test>');
	is($r->{last}, '250 2.1.5 sink: ok ??? and a tab?0123456789abcdef?[0m end',
	    "a child's control and 8-bit bytes are relayed as '?'");
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	stop($s);
}

# --- the child's banner fails: temporary failure, nothing delivered ---------------
for my $fault (qw(banner-garbage banner-exit banner-554)) {
	my $s = server(env => { SINK_FAULT => $fault });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0',
	    "$fault: MAIL (the child is not started yet)");
	my $r = $c->cmd('RCPT TO:<user@example.test>');
	# The transaction cannot go on: a temporary failure now (451 and the
	# session goes on, or 421 and it ends), never a 2xx or a 5xx.
	reply_is($r, $r->{code} eq '421' ? '421' : '451', qr/^4\.\d+\.\d+$/,
	    "$fault: RCPT gets a temporary failure");
	if ($r->{code} eq '421') {
		ok($c->closed(5), "$fault: closed after 421");
	} else {
		reply_is($c->cmd('DATA'), '503', '5.5.1',
		    "$fault: no transaction after the failed start");
		reply_is($c->cmd('QUIT'), '221', '2.0.0', "$fault: QUIT");
	}
	is(scalar(sink_messages($s->{sinkdir})), 0, "$fault: nothing delivered");
	ok(scalar(wait_log($s, qr/child-fail when=start reason="/, 5)),
	    "$fault: child failure logged");
	stop($s);
}

# --- the child does not know EHLO: HELO ---------------------------------------
{
	my $s = server(env => { SINK_FAULT => 'ehlo-reject' });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'MAIL');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5', 'RCPT');
	reply_is($c->cmd('DATA'), '354', undef, 'DATA');
	$c->send(crlf("Subject: helo\n\nbody\n.\n"));
	reply_is($c->reply, '250', '2.0.0', 'message accepted by a HELO-only child');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	my @l = sink_log($s->{sinkdir});
	like($l[0] // '', qr/^EHLO /i, 'child asked with EHLO first');
	like($l[1] // '', qr/^HELO /i, '... then with HELO');
	is(scalar(sink_messages($s->{sinkdir})), 1, 'message delivered');
	stop($s);
}

# --- a child that cannot be started: 421 4.3.0, exit 111 ---------------------
{
	my $s = server(child => [SF::tmp() . '/no-such-program'],
	    tcpserver => ['-v']);
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'MAIL');
	my $r = $c->cmd('RCPT TO:<user@example.test>');
	reply_is($r, '421', '4.3.0', 'child cannot start: 421 4.3.0 at RCPT');
	ok($c->closed(5), 'connection closed');
	ok(scalar(wait_log($s, qr/tcpserver: end \d+ status 28416$/, 5)),
	    'smtpfront exited 111')
	    or diag(log_text($s));
	stop($s);
}

done_testing();
