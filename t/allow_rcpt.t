#!/usr/bin/perl
# t/allow_rcpt.t: checks/allow_rcpt.c under tcpserver with the sink as the
# MTA child.  A recipient in the rules list allow_rcpt (same forms as
# allow_sender) takes all mail, like postmaster and abuse: refusals held
# from the greeting and MAIL and the other recipient checks (rcpt_users)
# do not apply to it; relay control does.  The log says "accept
# check=allow_rcpt rule=file:line".  No action setting: an absent list
# allows nothing.  A failed lookup passes (fails open) and sets the
# downgrade rule.
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
my ($DB, $SRC) = rules('allow-rcpt', @RULES);

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
	my $l = logged($s, event => 'accept', check => 'allow_rcpt', rule => "$SRC:2",
	    cmd => 'RCPT', name => 'hit: log accept check=allow_rcpt rule=file:2 cmd=RCPT');
	like($l, qr/ rcpt=<\Q$DESK\E>$/, 'hit: the log names the recipient');
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
	load_ok($s, tag => 'allow-rcpt-load', rcpt => $DESK);
	stop_settled($s);
}

# --- rules key absent; no action setting ------------------------------------------------
{
	my ($db) = rules('allow-rcpt-none', grep { !/allow_rcpt/ } @RULES);
	my $s = start_tcpserver(rules => $db);
	my $r = session(server => $s, helo => $GOOD, from => $FROM, rcpts => [$DESK]);
	reply_is($r->{rcpt}[0], '550', '5.1.1',
	    'no allow_rcpt list: the recipient is refused by rcpt_users');
	log_none($s, qr/check=allow_rcpt /, 'no allow_rcpt list: nothing logged by it');
	stop_settled($s);

	my $src = spew(tmp() . '/allow-rcpt-action.rules',
	    "list allow_rcpt $DESK\nset allow_rcpt_action warn\n");
	my ($code, $out) = run(argv => [build() . '/smtpfront-cdb', $src,
	    tmp() . '/allow-rcpt-action.cdb'], timeout => 10);
	is($code, 100, 'no action setting: smtpfront-cdb refuses allow_rcpt_action');
	like($out, qr/\Q$src\E:2: unknown setting allow_rcpt_action/,
	    'no action setting: with file:line');
	$s = server(env => { SMTPFRONT_ALLOW_RCPT_ACTION => 'off' });
	$r = session(server => $s, helo => 'localhost', from => $FROM, rcpts => [$DESK]);
	reply_is($r->{rcpt}[0], '250', '2.1.5',
	    'no action setting: SMTPFRONT_ALLOW_RCPT_ACTION changes nothing');
	stop_settled($s);
}

# --- database unreadable or corrupt; a failed lookup fails open -------------------------
{
	for my $bad (['wrong version', cdb_version($DB)], ['truncated', cdb_truncated($DB)],
	    ['a directory', tmp()]) {
		my $s = start_tcpserver(rules => $bad->[1]);
		refused_at_connect($s, "database: $bad->[0]");
		stop_settled($s);
	}
	my $s = start_tcpserver(rules => cdb_break($DB, "l:allow_rcpt:$DESK"));
	my $r = session(server => $s, helo => $GOOD, from => $FROM, rcpts => [$DESK]);
	reply_is($r->{rcpt}[0], '450', '4.1.1',
	    'broken lookup: not allowlisted (fails open); rcpt_users\'s 550 5.1.1 ' .
	    'becomes 450 4.1.1');
	logged($s, event => 'defer', check => 'rcpt_users', cmd => 'RCPT', code => 450,
	    esc => '4.1.1', downgraded => 1, name => 'broken lookup: logged downgraded=yes');
	log_none($s, qr/accept check=allow_rcpt /, 'broken lookup: no accept logged');
	$r = session(server => $s, local => '127.0.0.3', helo => 'localhost', from => $FROM,
	    rcpts => [$DESK]);
	reply_is($r->{rcpt}[0], '450', '4.7.1',
	    'broken lookup: the held helo_list refusal comes as 450 4.7.1');
	my $msg = message('allow-rcpt-broken-other');
	$r = session(server => $s, local => '127.0.0.4', helo => 'localhost', from => $FROM,
	    rcpts => ['anyone@abuse.example.test'], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'broken lookup: another entry still allowlists');
	delivered($s, $msg, 'broken lookup: arrived byte for byte');
	stop_settled($s);
}

# --- warn mode of the checks it skips --------------------------------------------------
{
	my $s = server(env => { SMTPFRONT_RCPT_USERS_ACTION => 'warn' });
	my $msg = message('allow-rcpt-warn-desk');
	my $r = session(server => $s, helo => $GOOD, from => $FROM, rcpts => [$DESK],
	    msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'warn mode: the allowlisted recipient');
	delivered($s, $msg, 'warn mode: no header for the allowlisted recipient');
	$msg = message('allow-rcpt-warn-other');
	$r = session(server => $s, local => '127.0.0.3', helo => $GOOD, from => $FROM,
	    rcpts => ['nobody@example.test'], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'warn mode: an unknown user accepted');
	delivered($s, warn_header('rcpt_users') . $msg,
	    'warn mode: X-Smtpfront-Warn: rcpt_users for the unknown user');
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
