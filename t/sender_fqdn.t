#!/usr/bin/perl
# t/sender_fqdn.t: checks/sender_fqdn.c under tcpserver with the sink as
# the MTA child.  The MAIL FROM domain must be fully qualified (bounces
# go there), else 553 5.1.8, held until RCPT by default.  The null
# sender <> and address-literal domains pass.  No lookups: the check
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
	check => 'sender_fqdn',
	at => 'MAIL',
	hit => { helo => $GOOD, from => 'sender@localhost' },
	good => { helo => $GOOD, from => $FROM },
	swaks => { from => 'root@workstation' },
	code => '553', esc => '5.1.8', dcode => '450', desc => '4.1.8',
	text => qr/fully qualified domain/,
	rule => '-',
	nodb => 'hit',
);

# --- the forms ---------------------------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	my $n = 0;
	for my $from ('user@host', 'user@HOST', 'a.b@c-d', '"quoted local"@box') {
		$n++;
		my $r = session(server => $s, local => "127.0.1.$n", helo => $GOOD,
		    from => $from, rcpts => [$RCPT, 'abuse@example.test']);
		reply_is($r->{rcpt}[0], '553', '5.1.8', "sender <$from>: 553 5.1.8 at RCPT");
		reply_is($r->{rcpt}[1], '250', '2.1.5', "sender <$from>: abuse accepted");
		my $l = logged($s, ip => "127.0.1.$n", check => 'sender_fqdn', rule => '-',
		    cmd => 'RCPT', code => 553, esc => '5.1.8',
		    name => "sender <$from>: logged by sender_fqdn");
		(my $shown = $from) =~ tr/"/'/;	# the log shows " as '
		like($l, qr/ from=<\Q$shown\E> /, "sender <$from>: the log names the sender");
	}
	for my $from ('', 'user@a.b', 'user@[192.0.2.1]', 'user@[IPv6:2001:db8::1]',
	    'user@mail.example.org', 'USER@EXAMPLE.ORG') {
		my $msg = message("fqdn-sender-ok-$from");
		my $r = session(server => $s, local => '127.0.2.1', helo => $GOOD,
		    from => $from, rcpts => [$RCPT], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0', "sender <$from> passes");
		delivered($s, $msg, "sender <$from>: arrived byte for byte",
		    env => "MAIL FROM:<$from>\nRCPT TO:<$RCPT>\n");
	}
	log_none($s, qr/ 127\.0\.2\.1: \w+ check=sender_fqdn /,
	    'good senders: nothing logged by sender_fqdn');
	stop_settled($s);
}

# --- over-long input ---------------------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	my $long = ('l' x 64) . '@' . ('d' x 63);
	reply_is($c->cmd("MAIL FROM:<$long>"), '250', '2.1.0',
	    'over-long: the longest unqualified sender: MAIL answered (held)');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '553', '5.1.8',
	    'over-long: refused at RCPT with 553 5.1.8');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'over-long: RSET');
	reply_is($c->cmd('MAIL FROM:<u@' . ('d' x 300) . '>'), '501', '5.5.4',
	    'over-long: a 303-byte sender path: 501 5.5.4');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: the session goes on');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5', 'over-long: RCPT accepted');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'over-long: QUIT');
	stop_settled($s);
}

done_testing();
