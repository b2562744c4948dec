#!/usr/bin/perl
# t/helo_list.t: checks/helo_list.c under tcpserver with the sink as the
# MTA child.  HELO/EHLO names refused by name get 550 5.7.1, held until
# RCPT by default: "localhost" and "localhost.localdomain" always
# (rule=builtin), and the entries of the rules list helo_list, where
# "name" is that name and ".name" every name below it (rule=file:line).
# A failed list lookup passes (fails open) and sets the downgrade rule.
# The cases every held check shares are in Policy::held_suite.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my ($DB, $SRC) = held_suite(
	check => 'helo_list',
	rules => ['list helo_list .bad.example', 'list helo_list spam.example'],
	rule => 'LINE2',
	at => 'EHLO',
	hit => { helo => 'x.bad.example', from => $FROM },
	good => { helo => $GOOD, from => $FROM },
	swaks => { helo => 'deep.er.bad.example' },
	code => '550', esc => '5.7.1', dcode => '450', desc => '4.7.1',
	text => qr/HELO\/EHLO name refused/,
	nodb => 'pass',
);

# --- the forms ------------------------------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	my $n = 0;
	for my $case (['localhost', 'builtin'], ['LocalHost', 'builtin'],
	    ['localhost.localdomain', 'builtin'], ['a.b.bad.example', "$SRC:2"],
	    ['X.BAD.EXAMPLE', "$SRC:2"],
	    ['spam.example', "$SRC:3"]) {
		my ($helo, $rule) = @$case;
		$n++;
		my $r = session(server => $s, local => "127.0.1.$n", helo => $helo,
		    from => $FROM, rcpts => [$RCPT, 'postmaster@example.test']);
		reply_is($r->{rcpt}[0], '550', '5.7.1', "hit: EHLO $helo: 550 5.7.1");
		reply_is($r->{rcpt}[1], '250', '2.1.5', "hit: EHLO $helo: postmaster accepted");
		logged($s, ip => "127.0.1.$n", check => 'helo_list', rule => $rule,
		    cmd => 'RCPT', code => 550, esc => '5.7.1',
		    name => "hit: EHLO $helo: logged with rule=$rule");
	}
	# ".name" is below the name only; "name" is that name only
	for my $helo ('bad.example', 'notbad.example', 'a.spam.example',
	    'spam.example.org', 'localhost.example.org', 'mylocalhost.example.org') {
		my $msg = message("list-pass-$helo");
		my $r = session(server => $s, local => '127.0.2.1', helo => $helo,
		    from => $FROM, rcpts => [$RCPT], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0', "no hit: EHLO $helo passes");
		delivered($s, $msg, "no hit: EHLO $helo: arrived byte for byte");
	}
	log_none($s, qr/ 127\.0\.2\.1: \w+ check=helo_list /,
	    'no hit: nothing logged by helo_list for them');
	stop_settled($s);

	# no database: localhost is still refused
	$s = start_tcpserver(env => { SMTPFRONT_DELAY_REJECT => 'no' });
	my $r = session(server => $s, helo => 'localhost');
	reply_is($r->{helo}, '550', '5.7.1', 'no database: EHLO localhost refused');
	logged($s, check => 'helo_list', rule => 'builtin', cmd => 'EHLO',
	    code => 550, esc => '5.7.1', name => 'no database: rule=builtin');
	stop_settled($s);
}

# --- a failed list lookup passes and sets the downgrade rule ---------------------------
{
	my $s = start_tcpserver(rules => cdb_break($DB, 'l:helo_list:.bad.example'));
	my $msg = message('list-broken');
	my $r = session(server => $s, helo => 'x.bad.example', from => $FROM,
	    rcpts => [$RCPT], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0',
	    'broken l:helo_list:.bad.example: EHLO x.bad.example passes (fails open)');
	delivered($s, $msg, 'broken lookup: arrived byte for byte');
	log_none($s, qr/check=helo_list /, 'broken lookup: nothing logged by helo_list');
	# a later reject in such a session is a 4xx
	$r = session(server => $s, local => '127.0.0.3', helo => 'x.bad.example',
	    from => 'sender@localhost', rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '450', '4.1.8',
	    'broken lookup: a later reject (sender_fqdn 553 5.1.8) becomes 450 4.1.8');
	logged($s, ip => '127.0.0.3', event => 'defer', check => 'sender_fqdn',
	    cmd => 'RCPT', code => 450, esc => '4.1.8', downgraded => 1,
	    name => 'broken lookup: logged downgraded=yes');
	# the other entries still work
	$r = session(server => $s, local => '127.0.0.4', helo => 'spam.example',
	    from => $FROM, rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '550', '5.7.1',
	    'broken lookup: an entry whose lookup works still refuses (550 5.7.1)');
	logged($s, ip => '127.0.0.4', check => 'helo_list', rule => "$SRC:3",
	    cmd => 'RCPT', code => 550, esc => '5.7.1', name => 'broken lookup: logged');
	stop_settled($s);
}

# --- over-long input ---------------------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	# a name below .bad.example, padded to 300 bytes with valid labels
	my $long = join('.', ('p' x 63) x 4) . '.' . ('q' x 30) . '.x.bad.example';
	is(length($long), 300, 'a 300-byte name of valid labels under .bad.example');
	my $msg = message('list-long');
	my $r = session(server => $s, helo => $long, from => $FROM,
	    rcpts => [$RCPT], msg => $msg);
	reply_is($r->{helo}, '250', undef, 'over-long: EHLO answered');
	ok($r->{rcpt}[0] && $r->{rcpt}[0]{code} =~ /^5/ ? 1 : 0,
	    'over-long: refused at RCPT (too long for a name, or listed)')
	    or diag($r->{rcpt}[0]{last} // 'no reply');
	not_delivered($s, 'list-long', 'over-long: nothing delivered');
	# the session goes on
	my $c = client(server => $s, local => '127.0.0.3');
	$c->reply;
	$c->cmd('EHLO ' . ('z' x 300));
	reply_is($c->cmd("EHLO $GOOD"), '250', undef, 'over-long: a new EHLO');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: MAIL');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5', 'over-long: RCPT accepted');
	$c->cmd('QUIT');
	stop_settled($s);
}

done_testing();
