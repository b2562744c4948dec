#!/usr/bin/perl
# t/sender_list.t: checks/sender_list.c under tcpserver with the sink as
# the MTA child.  Senders in the rules list sender_list get 553 5.7.1,
# held until RCPT by default; the log names the list entry's file:line.
# Forms: "user@example.com" (that address), "@example.com" (any user
# there), "example.com" (the domain), ".example.com" (every domain below
# it).  A failed list lookup passes (fails open) and sets the downgrade
# rule.  The cases every held check shares are in Policy::held_suite.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my @RULES = ('list sender_list @spam.example', 'list sender_list bad@example.net',
    'list sender_list .spam2.example', 'list sender_list spam3.example');
my ($DB, $SRC) = held_suite(
	check => 'sender_list',
	rules => \@RULES,
	rule => 'LINE2',
	at => 'MAIL',
	hit => { helo => $GOOD, from => 'x@spam.example' },
	good => { helo => $GOOD, from => $FROM },
	swaks => { from => 'other@spam.example' },
	code => '553', esc => '5.7.1', dcode => '450', desc => '4.7.1',
	text => qr/Sender address refused/,
	nodb => 'pass',
);

# --- the forms ---------------------------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	my $n = 0;
	for my $case (['anyone@spam.example', 2], ['ANYONE@SPAM.EXAMPLE', 2],
	    ['bad@example.net', 3], ['Bad@Example.Net', 3],
	    ['x@a.spam2.example', 4], ['x@b.a.spam2.example', 4],
	    ['x@spam3.example', 5]) {
		my ($from, $line) = @$case;
		$n++;
		my $r = session(server => $s, local => "127.0.1.$n", helo => $GOOD,
		    from => $from, rcpts => [$RCPT, 'postmaster@example.test']);
		reply_is($r->{rcpt}[0], '553', '5.7.1', "sender <$from>: 553 5.7.1 at RCPT");
		reply_is($r->{rcpt}[1], '250', '2.1.5', "sender <$from>: postmaster accepted");
		logged($s, ip => "127.0.1.$n", check => 'sender_list',
		    rule => "$SRC:$line", cmd => 'RCPT', code => 553, esc => '5.7.1',
		    name => "sender <$from>: logged with rule=file:$line");
	}
	for my $from ('x@sub.spam.example', 'good@example.net', 'x@spam2.example',
	    'x@sub.spam3.example', 'x@spam.example.org', '') {
		my $msg = message("list-sender-ok-$from");
		my $r = session(server => $s, local => '127.0.2.1', helo => $GOOD,
		    from => $from, rcpts => [$RCPT], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0', "sender <$from> passes");
		delivered($s, $msg, "sender <$from>: arrived byte for byte",
		    env => "MAIL FROM:<$from>\nRCPT TO:<$RCPT>\n");
	}
	log_none($s, qr/ 127\.0\.2\.1: \w+ check=sender_list /,
	    'unlisted senders: nothing logged by sender_list');
	stop_settled($s);
}

# --- a failed list lookup passes and sets the downgrade rule ---------------------------
{
	my ($db, $src) = rules('list-broken', 'list rcpt_domain example.test',
	    @RULES, 'list rcpt_users user@example.test');
	my $s = start_tcpserver(rules => cdb_break($db, 'l:sender_list:@spam.example'));
	my $msg = message('list-sender-broken');
	my $r = session(server => $s, helo => $GOOD, from => 'x@spam.example',
	    rcpts => [$RCPT, 'nobody@example.test'], msg => $msg);
	reply_is($r->{rcpt}[0], '250', '2.1.5',
	    'broken l:sender_list:@spam.example: the sender passes (fails open)');
	reply_is($r->{rcpt}[1], '450', '4.1.1',
	    'broken lookup: a later reject (rcpt_users 550 5.1.1) becomes 450 4.1.1');
	reply_is($r->{eod}, '250', '2.0.0', 'broken lookup: message accepted');
	delivered($s, $msg, 'broken lookup: arrived byte for byte',
	    env => "MAIL FROM:<x\@spam.example>\nRCPT TO:<$RCPT>\n");
	logged($s, event => 'defer', check => 'rcpt_users', cmd => 'RCPT',
	    code => 450, esc => '4.1.1', downgraded => 1,
	    name => 'broken lookup: logged downgraded=yes');
	log_none($s, qr/check=sender_list /, 'broken lookup: nothing logged by sender_list');
	# the other entries still work, and without the failed lookup a
	# reject stays a reject
	$r = session(server => $s, local => '127.0.0.3', helo => $GOOD,
	    from => 'bad@example.net', rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '553', '5.7.1',
	    'broken lookup: another entry still refuses with 553 5.7.1');
	logged($s, ip => '127.0.0.3', check => 'sender_list', rule => "$src:3",
	    cmd => 'RCPT', code => 553, esc => '5.7.1', name => 'broken lookup: logged');
	stop_settled($s);
}

# --- over-long input ---------------------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	my $long = ('l' x 64) . '@' . join('.', ('d' x 63) x 2) . '.' . ('e' x 47) .
	    '.spam2.example';
	is(length($long), 254, 'a 254-byte sender below .spam2.example');
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	reply_is($c->cmd("MAIL FROM:<$long>"), '250', '2.1.0', 'over-long: MAIL (held)');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '553', '5.7.1',
	    'over-long: the longest sender is still matched: 553 5.7.1');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'over-long: RSET');
	reply_is($c->cmd('MAIL FROM:<' . ('x' x 300) . '@spam.example>'), '501', '5.5.4',
	    'over-long: a 315-byte sender path: 501 5.5.4');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: the session goes on');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5', 'over-long: RCPT accepted');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'over-long: QUIT');
	logged($s, check => 'sender_list', rule => "$SRC:4", cmd => 'RCPT',
	    code => 553, esc => '5.7.1', name => 'over-long: logged with the entry');
	stop_settled($s);
}

done_testing();
