#!/usr/bin/perl
# t/addr_syntax.t: checks/addr_syntax.c under tcpserver with the sink as
# the MTA child.  MAIL FROM and RCPT TO paths must follow the RFC 5321
# Mailbox grammar: a bad sender gets 553 5.1.7, held until RCPT by
# default; a bad recipient gets 553 5.1.3 at its RCPT.  The null sender
# <> and RCPT TO:<Postmaster> pass.  No lookups: the check cannot fail,
# but its rejects obey the downgrade rule.  The sender cases every held
# check shares are in Policy::held_suite.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my ($DB) = held_suite(
	check => 'addr_syntax',
	at => 'MAIL',
	hit => { helo => $GOOD, from => 'bad..dots@example.org' },
	good => { helo => $GOOD, from => $FROM },
	swaks => { from => 'trailing.dot.@example.org' },
	code => '553', esc => '5.1.7', dcode => '450', desc => '4.1.7',
	text => qr/Sender address syntax error/,
	rule => '-',
	nodb => 'hit',
);

sub server { return start_tcpserver(rules => $DB, @_) }

# --- sender forms ---------------------------------------------------------------------
{
	my $s = server();
	my $n = 0;
	for my $from ('.lead@example.org', 'a@b@example.org', 'user@-bad.example.org',
	    'user@exa_mple.org', 'user@', 'user@[192.0.2.300]',
	    ('l' x 65) . '@example.org') {
		$n++;
		my $r = session(server => $s, local => "127.0.1.$n", helo => $GOOD,
		    from => $from, rcpts => [$RCPT, 'postmaster@example.test']);
		reply_is($r->{mail}, '250', '2.1.0', "sender <$from>: MAIL 250 (held)");
		reply_is($r->{rcpt}[0], '553', '5.1.7', "sender <$from>: 553 5.1.7 at RCPT");
		reply_is($r->{rcpt}[1], '250', '2.1.5', "sender <$from>: postmaster accepted");
		logged($s, ip => "127.0.1.$n", check => 'addr_syntax', rule => '-',
		    cmd => 'RCPT', code => 553, esc => '5.1.7',
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

	my ($db) = rules('syntax-allowip', 'list rcpt_domains example.test',
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
	reply_is($c->cmd("MAIL FROM:<$long>"), '250', '2.1.0',
	    'over-long: MAIL with it answered (held)');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '553', '5.1.7',
	    'over-long: refused at RCPT with 553 5.1.7');
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
