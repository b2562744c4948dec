#!/usr/bin/perl
# t/closed.t: checks/closed.c under tcpserver with the sink as the MTA
# child.  A host that takes no mail (closed_action, per listener through
# the environment or in the rules) answers every connection, trusted or
# not, with 554 5.7.1 in place of the greeting (421 4.7.1 with defer) and
# closes, at once: no greet delay, no MTA child, one log line naming the
# setting that decided.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use SF;
use Policy;

my $IP = '127.77.3.7';

sub greeting {
	my ($s, $local) = @_;
	my $t0 = time;
	my $c = client(server => $s, local => $local // '127.0.0.2');
	my $r = $c->reply(10);
	return ($c, $r, time - $t0);
}

# --- closed for everybody, from the listener's environment -------------------------
{
	my $s = start_tcpserver(ip => $IP, rules => test_rules(),
	    env => { SMTPFRONT_CLOSED_ACTION => 'reject',
	    SMTPFRONT_GREET_DELAY => 5 });
	my ($c, $r, $dt) = greeting($s);
	reply_is($r, '554', '5.7.1', 'closed: 554 5.7.1 in place of the greeting');
	like($r->{text}, qr/takes no mail/, 'closed: the reply says why');
	ok($dt < 3, 'closed: at once, not after the 5 s greet delay')
	    or diag("after $dt s");
	ok($c->closed(5), 'closed: the connection is closed');
	is($c->rest, '', 'closed: nothing after the reply');
	logged($s, check => 'closed', rule => 'SMTPFRONT_CLOSED_ACTION',
	    cmd => 'CONNECT', code => 554, esc => '5.7.1',
	    name => 'closed: one line naming the check and the variable');
	like(summary_of($s, '127.0.0.2'),
	    qr/ verdict=reject rule=closed:SMTPFRONT_CLOSED_ACTION /,
	    'closed: the summary names it');
	is(sink_started($s->{sinkdir}), 0, 'closed: no MTA child');

	# swaks, a real client, gives up at the greeting
	my ($code, $out) = swaks(server => $s, local => '127.0.0.3',
	    args => ['--from', 'a@b.test', '--to', 'user@example.test']);
	isnt($code, 0, 'closed: swaks fails');
	like($out, qr/^<\*\* 554 5\.7\.1 /m, 'closed: swaks saw 554 5.7.1');
	stop($s);
}

# --- a trusted client is refused too -------------------------------------------------
{
	my $s = start_tcpserver(ip => $IP, rules => test_rules(),
	    env => { SMTPFRONT_CLOSED_ACTION => 'drop', RELAYCLIENT => '' });
	my ($c, $r) = greeting($s);
	reply_is($r, '554', '5.7.1', 'closed, drop, RELAYCLIENT: still 554 5.7.1');
	ok($c->closed(5), 'closed, drop: closed');
	is(scalar(log_lines($s, qr/ accept check=trust /)), 0,
	    'closed: trust is not asked');
	stop($s);
}

# --- defer: 421, the client tries its next MX -----------------------------------------
{
	my $s = start_tcpserver(ip => $IP, rules => test_rules(),
	    env => { SMTPFRONT_CLOSED_ACTION => 'defer' });
	my ($c, $r) = greeting($s);
	reply_is($r, '421', '4.7.1', 'closed, defer: 421 4.7.1');
	ok($c->closed(5), 'closed, defer: closed');
	logged($s, event => 'defer', check => 'closed', cmd => 'CONNECT',
	    code => 421, esc => '4.7.1', name => 'closed, defer: logged');
	stop($s);
}

# --- from the rules, with a reply of the administrator's ------------------------------
{
	my ($db, $src) = rules('closed', 'list rcpt_domain example.test',
	    'set closed_action reject',
	    'reply closed 554 5.7.1 Drained, use mx1.example.test');
	my $s = start_tcpserver(ip => $IP, rules => $db);
	my ($c, $r) = greeting($s);
	is($r->{last}, '554 5.7.1 Drained, use mx1.example.test',
	    'rules: the reply of the rules');
	logged($s, check => 'closed', rule => "$src:2", cmd => 'CONNECT',
	    code => 554, esc => '5.7.1', name => 'rules: the rule is the line');
	stop($s);
}

# --- off (the default): a host like any other ------------------------------------------
{
	my $s = start_tcpserver(ip => $IP, rules => test_rules());
	my $msg = message('closed-off');
	my $r = session(server => $s, helo => $GOOD, from => $FROM,
	    rcpts => [$RCPT], msg => $msg);
	reply_is($r->{banner}, '220', undef, 'off: the greeting');
	reply_is($r->{eod}, '250', '2.0.0', 'off: the message taken');
	delivered($s, $msg, 'off: delivered byte for byte');
	log_none($s, qr/check=closed /, 'off: nothing logged by closed');
	stop($s);
}

done_testing();
