#!/usr/bin/perl
# t/allow_rcpt.t: checks/allow_rcpt.c under tcpserver with the sink as the
# MTA child.  A recipient in the rules list allow_rcpt (same forms as
# allow_sender) takes all mail, like postmaster and abuse: refusals held
# from the greeting and MAIL and the other recipient checks (rcpt_users)
# do not apply to it; relay control does.  The log says "accept
# check=allow_rcpt rule=file:line".  No action setting: an absent list
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

my $DESK = 'abuse-desk@example.test';
my @RULES = ('list rcpt_domain example.test', "list allow_rcpt $DESK",
    'list allow_rcpt @abuse.example.test', 'list allow_rcpt abuse-desk@other.test',
    'list rcpt_domain abuse.example.test', 'list rcpt_users user@example.test');
my ($DB, $SRC) = allow_suite(
	check => 'allow_rcpt',
	rules => \@RULES,
	rule => 'LINE2',
	at => 'RCPT',
	hit => { rcpt => $DESK },
	miss => { rcpt => 'abuse-des@example.test' },
	by => 'rcpt_users',
	code => '550', esc => '5.1.1', dcode => '450', desc => '4.1.1',
	absent => [grep { !/allow_rcpt/ } @RULES],
	broken => { key => "l:allow_rcpt:$DESK",
	    next => { rcpt => 'anyone@abuse.example.test' } },
	warned => ['rcpt_users'],
);

sub server { return start_tcpserver(rules => $DB, @_) }

# --- hit: accepted despite held refusals and rcpt_users; relay control stays --------------
{
	my $s = server();
	my $msg = message('allow-rcpt-hit');
	my $r = session(server => $s, helo => 'localhost', from => $FROM,
	    rcpts => [$DESK, $RCPT, 'abuse-desk@other.test'], msg => $msg);
	reply_is($r->{rcpt}[0], '250', '2.1.5',
	    'hit: the allowlisted recipient accepted despite the held helo_list refusal');
	reply_is($r->{rcpt}[1], '550', '5.7.1', 'hit: another recipient gets the held refusal');
	reply_is($r->{rcpt}[2], '550', '5.7.1',
	    'hit: an allowlisted recipient elsewhere: relay control still applies');
	reply_is($r->{eod}, '250', '2.0.0', 'hit: message accepted');
	delivered($s, $msg, 'hit: arrived byte for byte, for the allowlisted recipient only',
	    env => "MAIL FROM:<$FROM>\nRCPT TO:<$DESK>\n");
	logged($s, check => 'helo_list', cmd => 'RCPT', code => 550, esc => '5.7.1',
	    name => 'hit: the held refusal logged for the other recipient');
	logged($s, check => 'rcpt_domain', cmd => 'RCPT', code => 550, esc => '5.7.1',
	    name => 'hit: the relay refusal is rcpt_domain\'s');

	# a refusal held from MAIL, and rcpt_users
	$msg = message('allow-rcpt-mail');
	$r = session(server => $s, local => '127.0.0.3', helo => $GOOD,
	    from => 'sender@localhost', rcpts => [$DESK, $RCPT], msg => $msg);
	reply_is($r->{rcpt}[0], '250', '2.1.5',
	    'hit: accepted despite the held sender_fqdn refusal');
	reply_is($r->{rcpt}[1], '553', '5.1.8', 'hit: another recipient gets it');
	delivered($s, $msg, 'hit: arrived byte for byte',
	    env => "MAIL FROM:<sender\@localhost>\nRCPT TO:<$DESK>\n");
	$msg = message('allow-rcpt-users');
	$r = session(server => $s, local => '127.0.0.4', helo => $GOOD, from => $FROM,
	    rcpts => [$DESK, 'nobody@example.test'], msg => $msg);
	reply_is($r->{rcpt}[0], '250', '2.1.5',
	    'hit: not in rcpt_users, accepted all the same');
	reply_is($r->{rcpt}[1], '550', '5.1.1', 'hit: an unknown user is still refused');
	delivered($s, $msg, 'hit: arrived byte for byte');

	my ($code, $out, $smsg) = swaks_send(server => $s, helo => 'localhost', to => $DESK,
	    tag => 'allow-rcpt-swaks');
	is($code, 0, 'hit: swaks with a refused greeting delivers to the allowlisted recipient')
	    or diag($out);
	delivered($s, $smsg, 'hit: swaks message arrived byte for byte');
	($code, $out) = swaks_send(server => $s, helo => 'localhost', to => $RCPT,
	    tag => 'allow-rcpt-swaks-other');
	is($code, 24, 'hit: swaks to another recipient: exit 24');
	stop_settled($s);
}

# --- the forms --------------------------------------------------------------------
{
	my $s = server();
	my $n = 0;
	for my $case (['ABUSE-DESK@Example.Test', 2], ['anyone@abuse.example.test', 3],
	    ['x.y@ABUSE.example.test', 3]) {
		my ($rcpt, $line) = @$case;
		$n++;
		my $msg = message("allow-rcpt-$rcpt");
		my $r = session(server => $s, local => "127.0.1.$n", helo => 'localhost',
		    from => $FROM, rcpts => [$rcpt], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0', "RCPT <$rcpt> allowlisted");
		delivered($s, $msg, "RCPT <$rcpt>: arrived byte for byte");
		logged($s, ip => "127.0.1.$n", event => 'accept', check => 'allow_rcpt',
		    rule => "$SRC:$line", cmd => 'RCPT',
		    name => "RCPT <$rcpt>: logged with rule=file:$line");
	}
	$n = 0;
	for my $rcpt ('abuse-desk2@example.test', 'abuse-des@example.test',
	    'x@sub.abuse.example.test') {
		$n++;
		my $r = session(server => $s, local => "127.0.2.$n", helo => 'localhost',
		    from => $FROM, rcpts => [$rcpt]);
		ok($r->{rcpt}[0]{code} =~ /^5/ ? 1 : 0, "RCPT <$rcpt> not allowlisted: refused")
		    or diag($r->{rcpt}[0]{last});
	}
	log_none($s, qr/ 127\.0\.2\.\d: accept check=allow_rcpt /,
	    'not allowlisted: no accept logged');
	stop_settled($s);
}

# --- a failed lookup: a refusal held from the greeting is downgraded -------------------
{
	my $s = start_tcpserver(rules => cdb_break($DB, "l:allow_rcpt:$DESK"));
	my $r = session(server => $s, local => '127.0.0.3', helo => 'localhost', from => $FROM,
	    rcpts => [$DESK]);
	reply_is($r->{rcpt}[0], '450', '4.7.1',
	    'broken lookup: the held helo_list refusal comes as 450 4.7.1');
	my $msg = message('allow-rcpt-broken-other');
	$r = session(server => $s, local => '127.0.0.4', helo => 'localhost', from => $FROM,
	    rcpts => ['anyone@abuse.example.test'], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0',
	    'broken lookup: another entry still allowlists despite the held refusal');
	delivered($s, $msg, 'broken lookup: arrived byte for byte');
	stop_settled($s);
}

# --- over-long input ---------------------------------------------------------------
{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('localhost');
	$c->cmd("MAIL FROM:<$FROM>");
	reply_is($c->cmd('RCPT TO:<' . ('l' x 64) . '@abuse.example.test>'), '250', '2.1.5',
	    'over-long: the longest local part under @abuse.example.test accepted');
	reply_is($c->cmd('RCPT TO:<' . ('l' x 300) . '@abuse.example.test>'), '501', '5.5.4',
	    'over-long: a 320-byte path: 501 5.5.4');
	reply_is($c->cmd("RCPT TO:<$DESK>"), '250', '2.1.5', 'over-long: the session goes on');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'over-long: QUIT');
	stop_settled($s);
}

done_testing();
