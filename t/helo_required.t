#!/usr/bin/perl
# t/helo_required.t: checks/helo_required.c under tcpserver with the sink
# as the MTA child.  MAIL before HELO/EHLO gets 503 5.5.1, held until RCPT
# by default (so postmaster and abuse still take mail, and the child then
# gets the client's address literal as its greeting).  No lookups: the
# check cannot fail, but its reject obeys the downgrade rule.  The cases
# every held check shares are in Policy::held_suite.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my ($DB) = held_suite(
	check => 'helo_required',
	at => 'MAIL',
	hit => { from => $FROM },
	good => { helo => $GOOD, from => $FROM },
	code => '503', esc => '5.5.1', dcode => '451', desc => '4.5.1',
	text => qr/Send HELO or EHLO first/,
	rule => '-',
	nodb => 'hit',
);

# --- the child's greeting when the client gave none --------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	my $msg = message('required-postmaster');
	my $r = session(server => $s, local => '127.0.0.7', from => $FROM,
	    rcpts => ['postmaster@example.test'], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'no greeting: a message to postmaster accepted');
	delivered($s, $msg, 'no greeting: arrived byte for byte');
	my @l = sink_log($s->{sinkdir});
	like($l[0] // '', qr/^(?:EHLO|HELO) \[127\.0\.0\.7\]$/,
	    "no greeting: the child is greeted with the client's address literal");
	like(summary_of($s, '127.0.0.7'), qr/ helo=- /, 'no greeting: summary helo=-');

	# HELO (not EHLO) counts as a greeting
	$msg = message('required-helo');
	$r = session(server => $s, local => '127.0.0.8', helo => $GOOD, ehlo => 0,
	    from => $FROM, rcpts => [$RCPT], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'HELO is a greeting too');
	delivered($s, $msg, 'HELO: arrived byte for byte');
	log_none($s, qr/ 127\.0\.0\.8: \w+ check=helo_required /,
	    'HELO: nothing logged by helo_required');
	stop_settled($s);
}

# --- over-long input before the greeting: clear replies, the session goes on ---------
{
	my $s = start_tcpserver(rules => $DB);
	my $c = client(server => $s, local => '127.0.0.2');
	$c->reply;
	reply_is($c->cmd('NOOP ' . ('x' x 600)), '500', '5.5.2',
	    'over-long: a 600-byte line before HELO: 500 5.5.2');
	reply_is($c->cmd('MAIL FROM:<' . ('a' x 300) . '@example.org>'), '501', '5.5.4',
	    'over-long: a 300-byte sender before HELO: 501 5.5.4');
	reply_is($c->cmd("EHLO $GOOD"), '250', undef, 'over-long: the session goes on: EHLO');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: MAIL');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5', 'over-long: RCPT accepted');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'over-long: QUIT');
	log_none($s, qr/check=helo_required /, 'over-long: nothing logged by helo_required');
	stop_settled($s);
}

done_testing();
