#!/usr/bin/perl
# t/addr_syntax.t: checks/addr_syntax.c under tcpserver with the sink as
# the MTA child.  MAIL FROM and RCPT TO paths must follow the RFC 5321
# Mailbox grammar: a bad sender gets 553 5.1.7 at its MAIL, a bad
# recipient 553 5.1.3 at its RCPT, whatever delay_reject says (syntax is
# no policy: a client told 250 for its sender would take it as taken).
# The null sender <> and RCPT TO:<Postmaster> pass.  No lookups: the
# check cannot fail, but its rejects obey the downgrade rule.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my ($DB) = rules('addr_syntax', 'list rcpt_domain example.test');

sub server { return start_tcpserver(rules => $DB, @_) }

# --- senders: refused at MAIL, whatever delay_reject says ------------------------------
# A client told 250 for a malformed sender would take it as taken: the
# refusal comes at once, and the next MAIL is a fresh one (no 503).
{
	my $s = server();
	my $msg = message('syntax-sender-next');
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	my $r = $c->cmd('MAIL FROM:<bad..dots@example.org>');
	reply_is($r, '553', '5.1.7', 'hit: MAIL refused at once with 553 5.1.7');
	like($r->{last}, qr/Sender address syntax error/, 'hit: the reply text');
	logged($s, check => 'addr_syntax', rule => '-', cmd => 'MAIL',
	    code => 553, esc => '5.1.7', name => 'hit: logged at MAIL');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0',
	    'hit: the next MAIL is taken, no 503');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5', 'hit: RCPT');
	reply_is($c->cmd('DATA'), '354', undef, 'hit: DATA');
	$c->send(stuff($msg));
	reply_is($c->reply(15), '250', '2.0.0', 'hit: the good message taken');
	delivered($s, $msg, 'hit: the good message arrived byte for byte',
	    env => "MAIL FROM:<$FROM>\nRCPT TO:<$RCPT>\n");
	$c->cmd('QUIT');
	like(summary_of($s, '127.0.0.2'), qr/ verdict=reject rule=addr_syntax:builtin /,
	    'hit: the summary names the refusal');
	# swaks as the offending client
	my ($code, $out) = swaks_send(server => $s,
	    from => 'trailing.dot.@example.org', tag => 'syntax-swaks-sender');
	like($out, qr/^<\*\* 553 5\.1\.7 /m, 'hit: swaks saw 553 5.1.7 at MAIL');
	not_delivered($s, 'syntax-swaks-sender', 'hit: nothing delivered for swaks');
	stop_settled($s);

	# delay_reject no: the same
	$s = server(env => { SMTPFRONT_DELAY_REJECT => 'no' });
	$r = session(server => $s, helo => $GOOD, from => 'bad..dots@example.org');
	reply_is($r->{mail}, '553', '5.1.7', 'delay_reject no: 553 5.1.7 at MAIL');
	stop_settled($s);
}

# --- senders: warn, defer, drop, off, no database, the downgrade rule ------------------
{
	my $s = server(env => { SMTPFRONT_ADDR_SYNTAX_ACTION => 'warn' });
	my $msg = message('syntax-sender-warn');
	my $r = session(server => $s, helo => $GOOD, from => 'bad..dots@example.org',
	    rcpts => [$RCPT], msg => $msg);
	reply_is($r->{mail}, '250', '2.1.0', 'sender warn: MAIL taken');
	delivered($s, warn_header('addr_syntax') . $msg,
	    'sender warn: delivered with the header, byte for byte');
	logged($s, event => 'warn', check => 'addr_syntax', rule => '-',
	    cmd => 'MAIL', name => 'sender warn: logged');
	stop_settled($s);

	$s = server(env => { SMTPFRONT_ADDR_SYNTAX_ACTION => 'defer' });
	$r = session(server => $s, helo => $GOOD, from => 'bad..dots@example.org');
	reply_is($r->{mail}, '450', '4.1.7', 'sender defer: 450 4.1.7 at MAIL');
	logged($s, event => 'defer', check => 'addr_syntax', rule => '-',
	    cmd => 'MAIL', code => 450, esc => '4.1.7', name => 'sender defer: logged');
	stop_settled($s);

	$s = server(env => { SMTPFRONT_ADDR_SYNTAX_ACTION => 'drop' });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	reply_is($c->cmd('MAIL FROM:<bad..dots@example.org>'), '553', '5.1.7',
	    'sender drop: 553 5.1.7');
	ok($c->closed(5), 'sender drop: connection closed');
	stop_settled($s);

	$s = server(env => { SMTPFRONT_ADDR_SYNTAX_ACTION => '' });
	$msg = message('syntax-sender-off');
	$r = session(server => $s, helo => $GOOD, from => 'bad..dots@example.org',
	    rcpts => [$RCPT], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'sender off: the message is taken');
	delivered($s, $msg, 'sender off: delivered without a header');
	log_none($s, qr/check=addr_syntax /, 'sender off: nothing logged');
	stop_settled($s);

	# no database at all: built-in defaults, the check on
	$s = start_tcpserver();
	$r = session(server => $s, helo => $GOOD, from => 'bad..dots@example.org');
	reply_is($r->{mail}, '553', '5.1.7', 'no database: 553 5.1.7 at MAIL');
	stop_settled($s);

	my ($db) = rules('syntax-sender-allowip', 'list rcpt_domain example.test',
	    'list allow_ip 192.0.2.99');
	$s = start_tcpserver(rules => cdb_break($db, 'n:allow_ip'));
	$r = session(server => $s, helo => $GOOD, from => 'bad..dots@example.org');
	reply_is($r->{mail}, '450', '4.1.7',
	    'sender downgrade: 553 5.1.7 becomes 450 4.1.7 after a failed lookup');
	logged($s, event => 'defer', check => 'addr_syntax', cmd => 'MAIL',
	    code => 450, esc => '4.1.7', downgraded => 1,
	    name => 'sender downgrade: logged downgraded=yes');
	stop_settled($s);
}

# --- sender forms ---------------------------------------------------------------------
{
	my $s = server();
	my $n = 0;
	for my $from ('.lead@example.org', 'a@b@example.org', 'user@-bad.example.org',
	    'user@exa_mple.org', 'user@', 'user@[192.0.2.300]',
	    ('l' x 65) . '@example.org') {
		$n++;
		my $r = session(server => $s, local => "127.0.1.$n", helo => $GOOD,
		    from => $from, rcpts => [$RCPT]);
		reply_is($r->{mail}, '553', '5.1.7', "sender <$from>: 553 5.1.7 at MAIL");
		logged($s, ip => "127.0.1.$n", check => 'addr_syntax', rule => '-',
		    cmd => 'MAIL', code => 553, esc => '5.1.7',
		    name => "sender <$from>: logged");
	}
	for my $from ('', '"john doe"@example.org', 'user@[192.0.2.1]',
	    'user@[IPv6:2001:db8::1]', "o'brien+tag\@example.org",
	    ('l' x 64) . '@example.org') {
		my $msg = message("syntax-sender-ok-$from");
		my $r = session(server => $s, local => '127.0.2.1', helo => $GOOD,
		    from => $from, rcpts => [$RCPT], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0', "sender <$from> passes");
		delivered($s, $msg, "sender <$from>: arrived byte for byte",
		    env => "MAIL FROM:<$from>\nRCPT TO:<$RCPT>\n");
	}
	log_none($s, qr/ 127\.0\.2\.1: \w+ check=addr_syntax /,
	    'good senders: nothing logged by addr_syntax');
	stop_settled($s);
}

# --- recipients: refused at their own RCPT ----------------------------------------
{
	my $s = server();
	my $msg = message('syntax-rcpt');
	my $r = session(server => $s, helo => $GOOD, from => $FROM,
	    rcpts => ['bad..dots@example.test', $RCPT, 'Postmaster',
	    'abuse@example.test'], msg => $msg);
	reply_is($r->{rcpt}[0], '553', '5.1.3', 'recipient: 553 5.1.3 at once');
	like($r->{rcpt}[0]{last}, qr/Recipient address syntax error/,
	    'recipient: the reply text');
	reply_is($r->{rcpt}[1], '250', '2.1.5', 'recipient: a good one next is accepted');
	reply_is($r->{rcpt}[2], '250', '2.1.5',
	    'recipient: RCPT TO:<Postmaster> without a domain is accepted');
	reply_is($r->{eod}, '250', '2.0.0', 'recipient: message accepted');
	delivered($s, $msg, 'recipient: arrived byte for byte, for the good ones only',
	    env => "MAIL FROM:<$FROM>\nRCPT TO:<$RCPT>\nRCPT TO:<Postmaster>\n" .
	    "RCPT TO:<abuse\@example.test>\n");
	my $l = logged($s, check => 'addr_syntax', rule => '-', cmd => 'RCPT',
	    code => 553, esc => '5.1.3', name => 'recipient: logged');
	like($l, qr/ rcpt=<bad\.\.dots\@example\.test> .* reason=recipient/,
	    'recipient: the log names the recipient and the reason');

	my $n = 0;
	# (a bad domain is refused first by relay control: not ours)
	for my $rcpt ('user', '.lead@example.test', 'trail.@example.test',
	    'a b@example.test', 'a(b)@example.test', ('l' x 65) . '@example.test') {
		$n++;
		$r = session(server => $s, local => "127.0.1.$n", helo => $GOOD,
		    from => $FROM, rcpts => ["RCPT TO:<$rcpt>"]);
		reply_is($r->{rcpt}[0], '553', '5.1.3', "recipient <$rcpt>: 553 5.1.3");
	}
	is(scalar(log_lines($s, qr/ 127\.0\.1\.\d: reject check=addr_syntax .*esc=5\.1\.3/)),
	    6, 'recipient: each logged by addr_syntax');
	# swaks as the offending client
	my ($code, $out) = swaks_send(server => $s, to => 'x..y@example.test',
	    tag => 'syntax-swaks-rcpt');
	is($code, 24, 'recipient: swaks exits 24');
	like($out, qr/^<\*\* 553 5\.1\.3 /m, 'recipient: swaks saw 553 5.1.3');
	stop_settled($s);
}

# --- recipients: warn, defer, drop, off, the downgrade rule ---------------------------
{
	my $s = server(env => { SMTPFRONT_ADDR_SYNTAX_ACTION => 'warn' });
	my $msg = message('syntax-rcpt-warn');
	my $r = session(server => $s, helo => $GOOD, from => $FROM,
	    rcpts => ['bad..dots@example.test'], msg => $msg);
	reply_is($r->{rcpt}[0], '250', '2.1.5', 'recipient warn: accepted');
	delivered($s, warn_header('addr_syntax') . $msg,
	    'recipient warn: delivered with the header, byte for byte',
	    env => "MAIL FROM:<$FROM>\nRCPT TO:<bad..dots\@example.test>\n");
	logged($s, event => 'warn', check => 'addr_syntax', rule => '-', cmd => 'RCPT',
	    name => 'recipient warn: logged');
	stop_settled($s);

	$s = server(env => { SMTPFRONT_ADDR_SYNTAX_ACTION => 'defer' });
	$r = session(server => $s, helo => $GOOD, from => $FROM,
	    rcpts => ['bad..dots@example.test']);
	reply_is($r->{rcpt}[0], '450', '4.1.3', 'recipient defer: 450 4.1.3');
	logged($s, event => 'defer', check => 'addr_syntax', cmd => 'RCPT',
	    code => 450, esc => '4.1.3', name => 'recipient defer: logged');
	stop_settled($s);

	$s = server(env => { SMTPFRONT_ADDR_SYNTAX_ACTION => 'drop' });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	$c->cmd("MAIL FROM:<$FROM>");
	reply_is($c->cmd('RCPT TO:<bad..dots@example.test>'), '553', '5.1.3',
	    'recipient drop: 553 5.1.3');
	ok($c->closed(5), 'recipient drop: connection closed');
	stop_settled($s);

	my ($db) = rules('syntax-allowip', 'list rcpt_domain example.test',
	    'list allow_ip 192.0.2.99');
	$s = start_tcpserver(rules => cdb_break($db, 'n:allow_ip'));
	$r = session(server => $s, helo => $GOOD, from => $FROM,
	    rcpts => ['bad..dots@example.test', $RCPT]);
	reply_is($r->{rcpt}[0], '450', '4.1.3',
	    'recipient downgrade: 553 5.1.3 becomes 450 4.1.3');
	reply_is($r->{rcpt}[1], '250', '2.1.5', 'recipient downgrade: a good one accepted');
	logged($s, event => 'defer', check => 'addr_syntax', cmd => 'RCPT',
	    code => 450, esc => '4.1.3', downgraded => 1,
	    name => 'recipient downgrade: logged downgraded=yes');
	stop_settled($s);
}

# --- over-long addresses: clear replies, the session goes on -------------------------
{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	reply_is($c->cmd('MAIL FROM:<' . ('a' x 300) . '@example.org>'), '501', '5.5.4',
	    'over-long: a 313-byte sender path: 501 5.5.4');
	my $long = ('a' x 60) . '@' . join('.', ('d' x 60) x 3) . '.example.org';
	is(length($long), 255, 'a 255-byte sender, over the 254 of a mailbox');
	reply_is($c->cmd("MAIL FROM:<$long>"), '553', '5.1.7',
	    'over-long: MAIL with it refused with 553 5.1.7');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'over-long: RSET');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0',
	    'over-long: the session goes on: MAIL');
	reply_is($c->cmd('RCPT TO:<' . ('b' x 300) . '@example.test>'), '501', '5.5.4',
	    'over-long: a 313-byte recipient path: 501 5.5.4');
	reply_is($c->cmd('RCPT TO:<' . ('b' x 65) . '@example.test>'), '553', '5.1.3',
	    'over-long: a 65-byte local part: 553 5.1.3');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5',
	    'over-long: the transaction goes on: RCPT accepted');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'over-long: QUIT');
	stop_settled($s);
}

done_testing();
