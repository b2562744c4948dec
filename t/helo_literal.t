#!/usr/bin/perl
# t/helo_literal.t: checks/helo_literal.c under tcpserver with the sink
# as the MTA child.  An address literal as HELO/EHLO name ("[192.0.2.1]",
# "[IPv6:2001:db8::1]") must be the client's own address, else 550 5.7.1,
# held until RCPT by default; a general literal ("[tag:...]") is nobody's
# address.  No lookups: the check cannot fail, but its reject obeys the
# downgrade rule.  The cases every held check shares are in
# Policy::held_suite; the clients here connect from 127.0.0.x.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my ($DB) = held_suite(
	check => 'helo_literal',
	at => 'EHLO',
	hit => { helo => '[192.0.2.1]', from => $FROM },
	good => { helo => '[127.0.0.2]', from => $FROM },
	swaks => { helo => '[203.0.113.5]' },
	code => '550', esc => '5.7.1', dcode => '450', desc => '4.7.1',
	text => qr/not your address/,
	rule => '-',
	nodb => 'hit',
	load_helo => '[127.0.0.1]',
);

# --- the forms ---------------------------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	my $n = 0;
	for my $case (['[127.0.0.3]', 'another loopback address'],
	    ['[IPv6:2001:db8::1]', 'an IPv6 literal'],
	    ['[IPv6:::1]', 'the IPv6 loopback'],
	    ['[IPv6:::ffff:127.0.0.9]', 'a v4-mapped literal of another address'],
	    ['[x-tag:content]', 'a general literal']) {
		my ($helo, $what) = @$case;
		$n++;
		my $r = session(server => $s, local => "127.0.1.$n", helo => $helo,
		    from => $FROM, rcpts => [$RCPT]);
		reply_is($r->{rcpt}[0], '550', '5.7.1',
		    "hit: EHLO $helo ($what) from 127.0.1.$n: 550 5.7.1");
		logged($s, ip => "127.0.1.$n", check => 'helo_literal', rule => '-',
		    cmd => 'RCPT', code => 550, esc => '5.7.1',
		    name => "hit: EHLO $helo logged by helo_literal");
	}
	like(join("\n", log_lines($s, qr/ 127\.0\.1\.5: reject check=helo_literal /)),
	    qr/ reason="?not an address/, 'hit: a general literal: reason in the log');
	my $r = session(server => $s, local => '127.0.1.9', helo => '[127.0.1.8]',
	    ehlo => 0, from => $FROM, rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '550', '5.7.1', 'hit: HELO (not EHLO) checked the same');

	# the client's own address, written either way
	$n = 0;
	for my $case (['127.0.2.1', '[127.0.2.1]'],
	    ['127.0.2.2', '[IPv6:::ffff:127.0.2.2]'],
	    ['127.0.2.3', '[IPv6:::FFFF:127.0.2.3]']) {
		my ($ip, $helo) = @$case;
		my $msg = message("literal-own-$ip");
		$r = session(server => $s, local => $ip, helo => $helo, from => $FROM,
		    rcpts => [$RCPT], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0', "no hit: EHLO $helo from $ip passes");
		delivered($s, $msg, "no hit: EHLO $helo from $ip: arrived byte for byte");
	}
	log_none($s, qr/ 127\.0\.2\.\d: \w+ check=helo_literal /,
	    'no hit: nothing logged for the own addresses');
	stop_settled($s);
}

# --- over-long input -------------------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	# a valid general literal longer than any address
	my $lit = '[x-tag:' . ('c' x 100) . ']';
	my $r = session(server => $s, helo => $lit, from => $FROM,
	    rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '550', '5.7.1',
	    'over-long: a 108-byte general literal: 550 5.7.1');
	logged($s, check => 'helo_literal', rule => '-', cmd => 'RCPT',
	    code => 550, esc => '5.7.1', name => 'over-long: logged by helo_literal');
	# a 300-byte literal: cut, it is no literal at all
	my $c = client(server => $s, local => '127.0.0.3');
	$c->reply;
	reply_is($c->cmd('EHLO [' . ('1' x 298) . ']'), '250', undef,
	    'over-long: a 300-byte literal answered');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: MAIL');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '501', '5.5.2',
	    'over-long: the 300-byte literal is refused at RCPT (helo_syntax)');
	reply_is($c->cmd('EHLO [127.0.0.3]'), '250', undef,
	    'over-long: the session goes on: a new EHLO');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: MAIL again');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5',
	    'over-long: RCPT accepted after the good greeting');
	$c->cmd('QUIT');
	stop_settled($s);
}

done_testing();
