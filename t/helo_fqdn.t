#!/usr/bin/perl
# t/helo_fqdn.t: checks/helo_fqdn.c under tcpserver with the sink as the
# MTA child.  A HELO/EHLO domain name must be fully qualified (a dot that
# is neither first nor last), else 504 5.5.2, held until RCPT by default;
# address literals are left to helo_literal.  No lookups: the check
# cannot fail, but its reject obeys the downgrade rule.  The cases every
# held check shares are in Policy::held_suite.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my ($DB) = held_suite(
	check => 'helo_fqdn',
	at => 'EHLO',
	hit => { helo => 'workstation', from => $FROM },
	good => { helo => $GOOD, from => $FROM },
	swaks => { helo => 'desktop-pc' },
	code => '504', esc => '5.5.2', dcode => '451', desc => '4.5.2',
	text => qr/fully qualified domain name/,
	rule => '-',
	nodb => 'hit',
);

# --- the forms ---------------------------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	my $n = 0;
	for my $helo ('x', 'WORKSTATION', 'a-b-c', '1host') {
		$n++;
		my $r = session(server => $s, local => "127.0.1.$n", helo => $helo,
		    from => $FROM, rcpts => [$RCPT]);
		reply_is($r->{rcpt}[0], '504', '5.5.2', "hit: EHLO $helo: 504 5.5.2");
		logged($s, ip => "127.0.1.$n", check => 'helo_fqdn', rule => '-',
		    cmd => 'RCPT', code => 504, esc => '5.5.2',
		    name => "hit: EHLO $helo logged by helo_fqdn");
	}
	my $r = session(server => $s, local => '127.0.1.9', helo => 'oneword',
	    ehlo => 0, from => $FROM, rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '504', '5.5.2', 'hit: HELO (not EHLO) checked the same');
	for my $case (['a.b', '127.0.2.1'], ['mail.example.org', '127.0.2.2'],
	    ['[127.0.2.3]', '127.0.2.3'], ['[IPv6:::ffff:127.0.2.4]', '127.0.2.4']) {
		my ($helo, $ip) = @$case;
		my $msg = message("fqdn-pass-$helo");
		$r = session(server => $s, local => $ip, helo => $helo,
		    from => $FROM, rcpts => [$RCPT], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0', "no hit: EHLO $helo passes");
		delivered($s, $msg, "no hit: EHLO $helo: arrived byte for byte");
	}
	log_none($s, qr/ 127\.0\.2\.\d: \w+ check=helo_fqdn /,
	    'no hit: nothing logged by helo_fqdn for them');
	stop_settled($s);
}

# --- over-long input ---------------------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	my $c = client(server => $s, local => '127.0.0.2');
	$c->reply;
	reply_is($c->cmd('EHLO ' . ('a' x 300)), '250', undef,
	    'over-long: a 300-byte single label answered');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: MAIL');
	my $r = $c->cmd("RCPT TO:<$RCPT>");
	ok($r->{code} eq '501' || $r->{code} eq '504' ? 1 : 0,
	    'over-long: refused at RCPT (501 or 504)') or diag($r->{last});
	reply_is($c->cmd("EHLO $GOOD"), '250', undef, 'over-long: the session goes on');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: MAIL again');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5', 'over-long: RCPT accepted');
	$c->cmd('QUIT');
	my @l = wait_log($s, qr/ reject check=helo_(?:syntax|fqdn) /, 5);
	is(scalar(@l), 1, 'over-long: one refusal logged') or diag(log_text($s));
	stop_settled($s);
}

done_testing();
