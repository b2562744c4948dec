#!/usr/bin/perl
# t/allow_sender.t: checks/allow_sender.c under tcpserver with the sink as
# the MTA child.  A sender in the rules list allow_sender
# ("user@example.com", "@example.com", "example.com", ".example.com") is
# accepted at MAIL: the rest of the transaction's checks are skipped
# (sender_list, rcpt_users, size, ...), relay control still applies and
# so do refusals held from the greeting.  The log says "accept
# check=allow_sender rule=file:line".  No action setting: an absent list
# allows nothing.  A failed lookup passes (fails open) and sets the
# downgrade rule.  The cases the allowlists share are in
# Policy::allow_suite.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my $FRIEND = 'friend@example.org';
my @RULES = ('list rcpt_domain example.test', "list allow_sender $FRIEND",
    'list allow_sender @friends.example', 'list allow_sender .friends2.example',
    'list sender_list @example.org', 'list rcpt_users user@example.test',
    'list sender_list friend@friends.example', 'set size_max 4096');
my ($DB, $SRC) = allow_suite(
	check => 'allow_sender',
	rules => \@RULES,
	rule => 'LINE2',
	at => 'MAIL',
	hit => { from => $FRIEND, rcpt => 'nobody@example.test' },
	miss => { from => 'other@example.org', rcpt => 'nobody@example.test' },
	by => 'sender_list',
	code => '553', esc => '5.7.1', dcode => '450', desc => '4.7.1',
	absent => [grep { !/allow_sender/ } @RULES],
	broken => { key => "l:allow_sender:$FRIEND",
	    next => { from => 'anyone@friends.example' } },
	warned => ['sender_list', 'rcpt_users'],
);

sub server { return start_tcpserver(rules => $DB, @_) }

# --- hit: accepted, the rest of the transaction's checks skipped -------------------------
{
	my $s = server();
	my $msg = message('allow-sender-hit');
	my $r = session(server => $s, helo => $GOOD, from => $FRIEND,
	    rcpts => ['nobody@example.test', $RCPT, 'user@other.test'], msg => $msg);
	reply_is($r->{mail}, '250', '2.1.0', 'hit: MAIL from the allowlisted sender');
	reply_is($r->{rcpt}[0], '250', '2.1.5',
	    'hit: an unknown user accepted (rcpt_users skipped; the child decides)');
	reply_is($r->{rcpt}[1], '250', '2.1.5', 'hit: a known user accepted');
	reply_is($r->{rcpt}[2], '550', '5.7.1', 'hit: relay control still applies');
	reply_is($r->{eod}, '250', '2.0.0', 'hit: message accepted');
	delivered($s, $msg, 'hit: arrived byte for byte',
	    env => "MAIL FROM:<$FRIEND>\nRCPT TO:<nobody\@example.test>\nRCPT TO:<$RCPT>\n");
	logged($s, check => 'rcpt_domain', cmd => 'RCPT', code => 550, esc => '5.7.1',
	    name => 'hit: the relay refusal is rcpt_domain\'s');
	log_none($s, qr/check=(?:sender_list|rcpt_users) /,
	    'hit: sender_list and rcpt_users never spoke');

	# the declared size is a check of the transaction too; the data limit stays
	my $c = client(server => $s, local => '127.0.0.4');
	$c->start($GOOD);
	reply_is($c->cmd("MAIL FROM:<$FRIEND> SIZE=5000"), '250', '2.1.0',
	    'hit: SIZE over size_max accepted for the allowlisted sender');
	$c->cmd("RCPT TO:<$RCPT>");
	$c->cmd('DATA');
	my $pad = (('x' x 70) . "\r\n") x 80;
	$c->send(stuff(message('allow-sender-big') . $pad));
	reply_is($c->reply, '552', '5.3.4', 'hit: but data over size_max is still refused');
	$c->cmd('QUIT');

	stop_settled($s);
}

# --- refusals held from the greeting still apply ----------------------------------
{
	my $s = server();
	my $r = session(server => $s, helo => 'localhost', from => $FRIEND,
	    rcpts => [$RCPT, 'postmaster@example.test']);
	reply_is($r->{rcpt}[0], '550', '5.7.1', 'held helo_list refusal: still given');
	reply_is($r->{rcpt}[1], '250', '2.1.5', 'held helo_list refusal: postmaster accepted');
	logged($s, check => 'helo_list', cmd => 'RCPT', code => 550, esc => '5.7.1',
	    name => 'held refusal: logged by helo_list');
	stop_settled($s);
}

# --- the forms --------------------------------------------------------------------
{
	my $s = server();
	my $n = 0;
	for my $case (['FRIEND@Example.ORG', 2], ['anyone@friends.example', 3],
	    ['friend@friends.example', 3], ['x@a.friends2.example', 4],
	    ['x@b.a.friends2.example', 4]) {
		my ($from, $line) = @$case;
		$n++;
		my $msg = message("allow-sender-$from");
		my $r = session(server => $s, local => "127.0.1.$n", helo => $GOOD,
		    from => $from, rcpts => ['nobody@example.test'], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0', "sender <$from> allowlisted");
		delivered($s, $msg, "sender <$from>: arrived byte for byte");
		logged($s, ip => "127.0.1.$n", event => 'accept', check => 'allow_sender',
		    rule => "$SRC:$line", cmd => 'MAIL',
		    name => "sender <$from>: logged with rule=file:$line");
	}
	$n = 0;
	for my $from ('x@friends2.example', 'x@sub.friends.example', 'friend@example.org.evil',
	    '') {
		$n++;
		my $r = session(server => $s, local => "127.0.2.$n", helo => $GOOD,
		    from => $from, rcpts => ['nobody@example.test']);
		reply_is($r->{rcpt}[0], '550', '5.1.1',
		    "sender <$from> not allowlisted: the unknown user refused");
	}
	log_none($s, qr/ 127\.0\.2\.\d: accept check=allow_sender /,
	    'not allowlisted: no accept logged');
	stop_settled($s);
}

# --- delay_reject=no: the allowlist decides at MAIL ------------------------------------
{
	my $s = server(env => { SMTPFRONT_DELAY_REJECT => 'no' });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	reply_is($c->cmd('MAIL FROM:<other@example.org>'), '553', '5.7.1',
	    'delay_reject=no: another sender refused at MAIL');
	reply_is($c->cmd("MAIL FROM:<$FRIEND>"), '250', '2.1.0',
	    'delay_reject=no: the allowlisted sender accepted at MAIL');
	reply_is($c->cmd('RCPT TO:<nobody@example.test>'), '250', '2.1.5',
	    'delay_reject=no: and its recipient');
	$c->cmd('QUIT');
	stop_settled($s);
}

# --- over-long input ---------------------------------------------------------------
{
	my $s = server();
	my $long = ('l' x 64) . '@' . join('.', ('d' x 63) x 2) . '.' . ('e' x 44) .
	    '.friends2.example';
	is(length($long), 254, 'a 254-byte sender below .friends2.example');
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	reply_is($c->cmd("MAIL FROM:<$long>"), '250', '2.1.0', 'over-long: MAIL');
	reply_is($c->cmd('RCPT TO:<nobody@example.test>'), '250', '2.1.5',
	    'over-long: the longest sender is still allowlisted');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'over-long: RSET');
	reply_is($c->cmd('MAIL FROM:<' . ('f' x 300) . '@friends.example>'), '501', '5.5.4',
	    'over-long: a 318-byte sender path: 501 5.5.4');
	reply_is($c->cmd('MAIL FROM:<sender@example.net>'), '250', '2.1.0',
	    'over-long: the session goes on');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5', 'over-long: RCPT accepted');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'over-long: QUIT');
	logged($s, event => 'accept', check => 'allow_sender', rule => "$SRC:4",
	    cmd => 'MAIL', name => 'over-long: logged with the entry');
	stop_settled($s);
}

done_testing();
