#!/usr/bin/perl
# t/helo_bareip.t: checks/helo_bareip.c under tcpserver with the sink as
# the MTA child.  An IP address given as HELO/EHLO name without brackets
# ("192.0.2.1", "2001:db8::1") gets 501 5.5.2, held until RCPT by
# default; a host name or an address literal passes.  No lookups: the
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
	check => 'helo_bareip',
	at => 'EHLO',
	hit => { helo => '192.0.2.1', from => $FROM },
	good => { helo => $GOOD, from => $FROM },
	swaks => { helo => '203.0.113.5' },
	code => '501', esc => '5.5.2', dcode => '451', desc => '4.5.2',
	text => qr/address literal in brackets/,
	rule => '-',
	nodb => 'hit',
);

# --- the forms -------------------------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	for my $case (['2001:db8::1', 'IPv6'], ['::ffff:192.0.2.1', 'v4-mapped'],
	    ['127.0.0.2', "the client's own address"]) {
		my ($helo, $what) = @$case;
		my $r = session(server => $s, helo => $helo, from => $FROM,
		    rcpts => [$RCPT]);
		reply_is($r->{rcpt}[0], '501', '5.5.2',
		    "hit: EHLO $helo ($what) gets 501 5.5.2 at RCPT");
	}
	my $r = session(server => $s, local => '127.0.0.3', helo => '198.51.100.7',
	    ehlo => 0, from => $FROM, rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '501', '5.5.2', 'hit: HELO (not EHLO) checked the same');
	logged($s, ip => '127.0.0.3', check => 'helo_bareip', rule => '-',
	    cmd => 'RCPT', code => 501, esc => '5.5.2', name => 'hit: HELO logged');
	stop_settled($s);

	# literals and names that only look like addresses pass this check
	$s = start_tcpserver(rules => $DB,
	    env => { SMTPFRONT_HELO_LITERAL_ACTION => '' });
	for my $helo ('[192.0.2.1]', '[IPv6:2001:db8::1]', '192.0.2.1.example.org',
	    '1-2-3-4.example.org') {
		my $msg = message("bareip-pass-$helo");
		$r = session(server => $s, helo => $helo, from => $FROM,
		    rcpts => [$RCPT], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0', "no hit: EHLO $helo passes");
		delivered($s, $msg, "no hit: EHLO $helo: message arrived byte for byte");
	}
	log_none($s, qr/check=helo_bareip /, 'no hit: nothing logged by helo_bareip');
	stop_settled($s);
}

# --- over-long input: a 300-byte HELO gets a clear reply, the session goes on -----
{
	my $s = start_tcpserver(rules => $DB);
	my $long = '192.0.2.1' . ('5' x 291);
	is(length($long), 300, 'a 300-byte HELO name');
	my $c = client(server => $s, local => '127.0.0.2');
	$c->reply;
	reply_is($c->cmd("EHLO $long"), '250', undef, 'over-long: EHLO answered');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: MAIL');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '501', '5.5.2',
	    'over-long: refused at RCPT with 501 5.5.2');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'over-long: the session goes on');
	reply_is($c->cmd("EHLO $GOOD"), '250', undef, 'over-long: a new EHLO');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: MAIL again');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5',
	    'over-long: the new greeting re-decides: RCPT accepted');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'over-long: QUIT');
	my @l = wait_log($s, qr/ reject check=helo_/, 5);
	is(scalar(@l), 1, 'over-long: one refusal logged') or diag(log_text($s));
	unlike(join("\n", sink_log($s->{sinkdir})), qr/^EHLO .{256}/m,
	    'over-long: the child never got a cut name');
	stop_settled($s);
}

done_testing();
