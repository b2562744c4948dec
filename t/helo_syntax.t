#!/usr/bin/perl
# t/helo_syntax.t: checks/helo_syntax.c under tcpserver with the sink as
# the MTA child.  A HELO/EHLO argument that is neither an RFC 5321 Domain
# nor an address literal gets 501 5.5.2, held until RCPT by default.  No
# lookups: the check cannot fail, but its reject obeys the downgrade
# rule.  The cases every held check shares are in Policy::held_suite.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my ($DB) = held_suite(
	check => 'helo_syntax',
	at => 'EHLO',
	hit => { helo => 'bad_name.example.org', from => $FROM },
	good => { helo => $GOOD, from => $FROM },
	swaks => { helo => 'under_score.example.org' },
	code => '501', esc => '5.5.2', dcode => '451', desc => '4.5.2',
	text => qr/not a valid host name/,
	rule => '-',
	nodb => 'hit',
);

# --- the forms ---------------------------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	my $n = 0;
	for my $helo ('-lead.example.org', 'trail-.example.org', 'a..b.example.org',
	    '.dot.example.org', 'x!y.example.org', ('l' x 64) . '.example.org',
	    '[192.0.2.300]', '[192.0.2.1', '[IPv6:2001:db8::g]',
	    '[IPv6:1:2:3:4:5:6:7:8:9]', '[:nothing]') {
		$n++;
		my $r = session(server => $s, local => "127.0.1.$n", helo => $helo,
		    from => $FROM, rcpts => [$RCPT]);
		reply_is($r->{rcpt}[0], '501', '5.5.2', "hit: EHLO $helo: 501 5.5.2");
		logged($s, ip => "127.0.1.$n", check => 'helo_syntax', rule => '-',
		    cmd => 'RCPT', code => 501, esc => '5.5.2',
		    name => "hit: EHLO $helo logged by helo_syntax");
	}
	stop_settled($s);

	# valid names and literals pass this check (the others are off here)
	$s = start_tcpserver(rules => $DB, env => {
	    SMTPFRONT_HELO_LITERAL_ACTION => '', SMTPFRONT_HELO_FQDN_ACTION => '' });
	for my $helo ('a.b', 'x-1.example.org', ('l' x 63) . '.example.org',
	    'single', '[192.0.2.1]', '[IPv6:2001:db8::1]',
	    '[IPv6:::ffff:192.0.2.1]', '[x-tag:some-content]', 'UPPER.Example.ORG') {
		my $msg = message("syntax-pass-$helo");
		my $r = session(server => $s, helo => $helo, from => $FROM,
		    rcpts => [$RCPT], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0', "no hit: EHLO $helo passes");
		delivered($s, $msg, "no hit: EHLO $helo: message arrived byte for byte");
	}
	log_none($s, qr/check=helo_syntax /, 'no hit: nothing logged by helo_syntax');
	stop_settled($s);
}

# --- over-long input ----------------------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	# 300 bytes of characters no host name has
	my $c = client(server => $s, local => '127.0.0.2');
	$c->reply;
	reply_is($c->cmd('EHLO ' . ('_' x 300)), '250', undef,
	    'over-long: a 300-byte EHLO answered');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: MAIL');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '501', '5.5.2',
	    'over-long: 501 5.5.2 at RCPT');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'over-long: the session goes on');
	reply_is($c->cmd("EHLO $GOOD"), '250', undef, 'over-long: a new EHLO');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: MAIL again');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5',
	    'over-long: RCPT accepted after the good greeting');
	$c->cmd('QUIT');
	$c->closed(5);

	# 296 bytes of valid labels: too long for a domain (255) as a whole
	my $long = join('.', ('a' x 63) x 4) . '.' . ('b' x 40);
	is(length($long), 296, 'a 296-byte name of valid labels');
	my $msg = message('syntax-long-labels');
	my $r = session(server => $s, local => '127.0.0.3', helo => $long,
	    from => $FROM, rcpts => [$RCPT], msg => $msg);
	reply_is($r->{rcpt}[0], '501', '5.5.2',
	    'over-long: a name over 255 bytes is not a domain: 501 5.5.2');
	logged($s, ip => '127.0.0.3', check => 'helo_syntax', rule => '-',
	    cmd => 'RCPT', code => 501, esc => '5.5.2',
	    name => 'over-long: logged by helo_syntax');
	not_delivered($s, 'syntax-long-labels', 'over-long: nothing delivered');
	unlike(join("\n", sink_log($s->{sinkdir})), qr/^EHLO a{63}\.a{63}/m,
	    'over-long: the child never got a name cut to 255 bytes');
	stop_settled($s);
}

done_testing();
