#!/usr/bin/perl
# t/bounce_multi.t: checks/bounce_multi.c under tcpserver with the sink as
# the MTA child.  A bounce (null sender <>) goes to one recipient; one to
# several gets 550 5.5.3 at DATA, where the number of accepted recipients
# is known (never held).  No lookups: the check cannot fail, but its
# reject obeys the downgrade rule.  The cases every check refused at RCPT
# or DATA shares are in Policy::lookup_suite.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my @TWO = ('a@example.test', 'b@example.test');
my ($DB) = lookup_suite(
	check => 'bounce_multi',
	rules => ['list rcpt_domain example.test'],
	at => 'DATA',
	hit => { from => '', rcpt => \@TWO },
	good => { from => '' },
	code => '550', esc => '5.5.3', dcode => '450', desc => '4.5.3',
	text => qr/A bounce goes to one recipient only/,
	nodb => { rcpt => ['postmaster', 'Postmaster'] }, nodb_refused => 1,
);

sub server { return start_tcpserver(rules => $DB, @_) }

# --- hit: the session goes on after the refusal ------------------------------------------
{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	$c->cmd('MAIL FROM:<>');
	$c->cmd("RCPT TO:<$_>") for @TWO;
	reply_is($c->cmd('DATA'), '550', '5.5.3', 'hit: DATA gets 550 5.5.3');
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
	stop_settled($s);
}

# --- no hit: a sender, or one recipient left -------------------------------------------------
{
	my $s = server();
	my $msg = message('bounce-sender');
	my $r = session(server => $s, helo => $GOOD, from => $FROM, rcpts => \@TWO,
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
	load_ok($s, tag => 'bounce-load');
	log_none($s, qr/check=bounce_multi /, 'no hit: nothing logged by bounce_multi');
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
