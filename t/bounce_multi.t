#!/usr/bin/perl
# t/bounce_multi.t: checks/bounce_multi.c under tcpserver with the sink as
# the MTA child.  A bounce (null sender <>) goes to one recipient; one to
# several gets 550 5.5.3 at DATA, where the number of accepted recipients
# is known (never held).  No lookups: the check cannot fail, but its
# reject obeys the downgrade rule.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my ($DB) = rules('bounce', 'list rcpt_domain example.test');
my @TWO = ('a@example.test', 'b@example.test');

sub server { return start_tcpserver(rules => $DB, @_) }

# --- hit: refused at DATA; the session goes on -------------------------------------
{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	reply_is($c->cmd('MAIL FROM:<>'), '250', '2.1.0', 'hit: MAIL FROM:<>');
	reply_is($c->cmd("RCPT TO:<$_>"), '250', '2.1.5', "hit: RCPT $_ accepted") for @TWO;
	my $r = $c->cmd('DATA');
	reply_is($r, '550', '5.5.3', 'hit: DATA gets 550 5.5.3');
	like($r->{last}, qr/A bounce goes to one recipient only/, 'hit: the reply text');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'hit: the session goes on: RSET');
	my $msg = message('bounce-after');
	reply_is($c->cmd('MAIL FROM:<>'), '250', '2.1.0', 'hit: a new bounce');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5', 'hit: to one recipient');
	reply_is($c->cmd('DATA'), '354', undef, 'hit: its DATA');
	$c->send(stuff($msg));
	reply_is($c->reply, '250', '2.0.0', 'hit: that bounce accepted');
	$c->cmd('QUIT');
	delivered($s, $msg, 'hit: the single bounce arrived byte for byte',
	    env => "MAIL FROM:<>\nRCPT TO:<$RCPT>\n");
	is(scalar(sink_messages($s->{sinkdir})), 1, 'hit: only it reached the child');
	my $l = logged($s, check => 'bounce_multi', rule => '-', cmd => 'DATA',
	    code => 550, esc => '5.5.3',
	    name => 'hit: log reject check=bounce_multi rule=- cmd=DATA code=550 esc=5.5.3');
	like($l, qr/ from=<> /, 'hit: the log shows the null sender');

	my ($code, $out) = swaks_send(server => $s, from => '<>', to => join(',', @TWO),
	    tag => 'bounce-swaks-hit');
	is($code, 25, 'hit: swaks exits 25 (DATA refused)');
	like($out, qr/^<\*\* 550 5\.5\.3 /m, 'hit: swaks saw 550 5.5.3');
	not_delivered($s, 'bounce-swaks-hit', 'hit: nothing delivered for swaks');
	stop_settled($s);
}

# --- no hit: one recipient, or a sender -------------------------------------------------
{
	my $s = server();
	my $msg = message('bounce-one');
	my $r = session(server => $s, helo => $GOOD, from => '', rcpts => [$RCPT],
	    msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'no hit: a bounce to one recipient');
	delivered($s, $msg, 'no hit: arrived byte for byte',
	    env => "MAIL FROM:<>\nRCPT TO:<$RCPT>\n");
	$msg = message('bounce-sender');
	$r = session(server => $s, helo => $GOOD, from => $FROM, rcpts => \@TWO,
	    msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'no hit: a sender to two recipients');
	delivered($s, $msg, 'no hit: arrived byte for byte',
	    env => "MAIL FROM:<$FROM>\nRCPT TO:<$TWO[0]>\nRCPT TO:<$TWO[1]>\n");
	# two recipients tried, one refused: one accepted is one
	$msg = message('bounce-one-left');
	$r = session(server => $s, helo => $GOOD, from => '',
	    rcpts => ['x@other.test', $RCPT], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0',
	    'no hit: a bounce with one of two recipients accepted');
	delivered($s, $msg, 'no hit: arrived byte for byte');
	my ($code, $out, $smsg) = swaks_send(server => $s, from => '<>',
	    tag => 'bounce-swaks-good');
	is($code, 0, 'no hit: swaks bounce to one recipient delivered') or diag($out);
	delivered($s, $smsg, 'no hit: swaks message arrived byte for byte');
	load_ok($s, tag => 'bounce-load');
	log_none($s, qr/check=bounce_multi /, 'no hit: nothing logged by bounce_multi');
	stop_settled($s);
}

# --- rules key absent: the built-in default action reject --------------------------------
{
	my $s = start_tcpserver();
	my $r = session(server => $s, helo => $GOOD, from => '',
	    rcpts => ['postmaster', 'Postmaster'], msg => message('bounce-nodb'));
	reply_is($r->{rcpt}[1], '250', '2.1.5', 'no database: two local recipients');
	reply_is($r->{data}, '550', '5.5.3', 'no database: DATA gets 550 5.5.3');
	not_delivered($s, 'bounce-nodb', 'no database: nothing delivered');
	stop_settled($s);
	my ($db) = rules('bounce-warn', 'list rcpt_domain example.test',
	    'set bounce_multi_action warn');
	$s = start_tcpserver(rules => $db);
	my $msg = message('bounce-dbwarn');
	$r = session(server => $s, helo => $GOOD, from => '', rcpts => \@TWO, msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'set bounce_multi_action warn: accepted');
	delivered($s, warn_header('bounce_multi') . $msg,
	    'set bounce_multi_action warn: with the header');
	stop_settled($s);
}

# --- database unreadable or corrupt -----------------------------------------------
for my $bad (['wrong version', cdb_version($DB)], ['truncated', cdb_truncated($DB)],
    ['a directory', tmp()]) {
	my $s = start_tcpserver(rules => $bad->[1]);
	refused_at_connect($s, "database: $bad->[0]");
	stop_settled($s);
}

# --- the downgrade rule -------------------------------------------------------------
{
	my ($db) = rules('bounce-allowip', 'list rcpt_domain example.test',
	    'list allow_ip 192.0.2.99');
	my $s = start_tcpserver(rules => cdb_break($db, 'n:allow_ip'));
	my $r = session(server => $s, helo => $GOOD, from => '', rcpts => \@TWO,
	    msg => message('bounce-broken'));
	reply_is($r->{data}, '450', '4.5.3',
	    'downgrade: 550 5.5.3 becomes 450 4.5.3 after a failed lookup');
	logged($s, event => 'defer', check => 'bounce_multi', rule => '-', cmd => 'DATA',
	    code => 450, esc => '4.5.3', downgraded => 1,
	    name => 'downgrade: logged downgraded=yes');
	my $msg = message('bounce-broken-good');
	$r = session(server => $s, helo => $GOOD, from => '', rcpts => [$RCPT], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'downgrade: a bounce to one recipient passes');
	delivered($s, $msg, 'downgrade: arrived byte for byte');
	stop_settled($s);
	$s = start_tcpserver(rules => cdb_break($db, 'n:allow_ip'),
	    env => { SMTPFRONT_BOUNCE_MULTI_ACTION => 'drop' });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	$c->cmd('MAIL FROM:<>');
	$c->cmd("RCPT TO:<$_>") for @TWO;
	$r = $c->cmd('DATA');
	reply_is($r, '421', '4.7.0', 'downgrade: drop after a failed lookup says 421 4.7.0');
	ok($c->closed(5), 'downgrade: drop: connection closed');
	logged($s, event => 'drop', check => 'bounce_multi', cmd => 'DATA', code => 421,
	    esc => '4.7.0', downgraded => 1, name => 'downgrade: drop logged downgraded=yes');
	stop_settled($s);
}

# --- warn mode, the actions defer, drop and off; delay_reject changes nothing ------------
{
	my $s = server(env => { SMTPFRONT_BOUNCE_MULTI_ACTION => 'warn' });
	my $msg = message('bounce-warn');
	my $r = session(server => $s, helo => $GOOD, from => '', rcpts => \@TWO,
	    msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'warn: accepted');
	delivered($s, warn_header('bounce_multi') . $msg,
	    'warn: delivered with X-Smtpfront-Warn: bounce_multi, byte for byte',
	    env => "MAIL FROM:<>\nRCPT TO:<$TWO[0]>\nRCPT TO:<$TWO[1]>\n");
	logged($s, event => 'warn', check => 'bounce_multi', rule => '-', cmd => 'DATA',
	    name => 'warn: log warn check=bounce_multi cmd=DATA');
	log_none($s, qr/ (?:reject|defer|drop) check=/, 'warn: no refusal logged');
	stop_settled($s);

	$s = server(env => { SMTPFRONT_BOUNCE_MULTI_ACTION => 'defer' });
	$r = session(server => $s, helo => $GOOD, from => '', rcpts => \@TWO,
	    msg => message('bounce-defer'));
	reply_is($r->{data}, '450', '4.5.3', 'defer: 450 4.5.3 at DATA');
	logged($s, event => 'defer', check => 'bounce_multi', rule => '-', cmd => 'DATA',
	    code => 450, esc => '4.5.3', name => 'defer: logged');
	stop_settled($s);

	$s = server(env => { SMTPFRONT_BOUNCE_MULTI_ACTION => 'drop' });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	$c->cmd('MAIL FROM:<>');
	$c->cmd("RCPT TO:<$_>") for @TWO;
	reply_is($c->cmd('DATA'), '550', '5.5.3', 'drop: 550 5.5.3 at DATA');
	ok($c->closed(5), 'drop: connection closed');
	logged($s, event => 'drop', check => 'bounce_multi', cmd => 'DATA', code => 550,
	    esc => '5.5.3', name => 'drop: logged');
	stop_settled($s);

	$s = server(env => { SMTPFRONT_BOUNCE_MULTI_ACTION => '' });
	$msg = message('bounce-off');
	$r = session(server => $s, helo => $GOOD, from => '', rcpts => \@TWO, msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'off: accepted');
	delivered($s, $msg, 'off: delivered without a header');
	log_none($s, qr/check=bounce_multi /, 'off: nothing logged');
	stop_settled($s);

	$s = server(env => { SMTPFRONT_DELAY_REJECT => 'no' });
	$r = session(server => $s, helo => $GOOD, from => '', rcpts => \@TWO,
	    msg => message('bounce-nodelay'));
	reply_is($r->{data}, '550', '5.5.3', 'delay_reject=no: the same 550 5.5.3 at DATA');
	stop_settled($s);
}

# --- over-long input: a bounce to as many recipients as allowed -------------------------
{
	my $s = server(env => { SMTPFRONT_RCPT_MAX => 50 });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	$c->cmd('MAIL FROM:<>');
	my $ok = 0;
	for my $i (1 .. 50) {
		$ok++ if $c->cmd("RCPT TO:<u$i\@example.test>")->{code} eq '250';
	}
	is($ok, 50, 'many: 50 recipients accepted');
	reply_is($c->cmd('RCPT TO:<u51@example.test>'), '452', '4.5.3',
	    'many: the 51st gets 452 4.5.3 (rcpt_max)');
	reply_is($c->cmd('DATA'), '550', '5.5.3', 'many: DATA gets 550 5.5.3');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'many: the session goes on');
	$c->cmd('QUIT');
	is(scalar(sink_messages($s->{sinkdir})), 0, 'many: nothing delivered');
	stop_settled($s);
}

done_testing();
