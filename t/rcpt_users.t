#!/usr/bin/perl
# t/rcpt_users.t: checks/rcpt_users.c under tcpserver with the sink as the
# MTA child, and in front of a real Postfix smtpd.  In the domains we
# serve, a recipient not in the rules list rcpt_users gets 550 5.1.1 at
# its RCPT (nothing is accepted that would later bounce); a domain in
# rcpt_users_catchall takes every user; postmaster and abuse always pass;
# domains we do not serve are left to rcpt_domain.  Without an rcpt_users
# list the MTA child decides.  A failed lookup defers with 450 4.1.1
# (fails closed).  The cases every RCPT-time check shares are in
# Policy::lookup_suite.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my $LONG = ('l' x 64) . '@' . join('.', ('d' x 63) x 2) . '.' . ('e' x 43) .
    '.long.example.test';
my @RULES = ('list rcpt_domain example.test', 'list rcpt_domain catch.example.test',
    'list rcpt_domain .long.example.test',
    'list rcpt_users user@example.test', 'list rcpt_users Other.User@example.test',
    'list rcpt_users_catchall catch.example.test', "list rcpt_users $LONG");
my ($DB, $SRC) = lookup_suite(
	check => 'rcpt_users',
	rules => \@RULES,
	hit => { rcpt => 'nobody@example.test' },
	good => {},
	next => $RCPT,
	code => '550', esc => '5.1.1', dcode => '450', desc => '4.1.1',
	text => qr/user unknown/, reason => 'unknown user',
	absent => ['list rcpt_domain example.test'],
	nodb => { rcpt => 'postmaster' },
	broken => { key => 'l:rcpt_users:user@example.test', rcpt => $RCPT,
	    next => 'other.user@example.test' },
);

sub server { return start_tcpserver(rules => $DB, @_) }

# --- the forms ------------------------------------------------------------------------
{
	my $s = server();
	my $n = 0;
	for my $rcpt ('user+tag@example.test', 'use@example.test', 'other.user@sub.example.test',
	    '"user"@example.test', 'nobody@EXAMPLE.TEST') {
		$n++;
		my $r = session(server => $s, local => "127.0.1.$n", helo => $GOOD,
		    from => $FROM, rcpts => [$rcpt]);
		ok($r->{rcpt}[0]{code} =~ /^5/ ? 1 : 0, "RCPT <$rcpt> refused")
		    or diag($r->{rcpt}[0]{last});
	}
	is(scalar(log_lines($s, qr/ 127\.0\.1\.\d: reject check=rcpt_(?:users|domain) /)),
	    $n, 'each logged by rcpt_users or, outside our domains, rcpt_domain');
	like(join("\n", log_lines($s, qr/ 127\.0\.1\.3: reject /)), qr/check=rcpt_domain /,
	    'a domain we do not serve is left to rcpt_domain');
	for my $rcpt ('USER@EXAMPLE.TEST', 'other.user@example.test',
	    'OTHER.USER@Example.Test', 'anyone@catch.example.test',
	    'x.y@CATCH.example.test', 'postmaster@example.test', 'abuse@example.test',
	    'Postmaster', $LONG) {
		my $msg = message("users-ok-$rcpt");
		my $r = session(server => $s, local => '127.0.2.1', helo => $GOOD,
		    from => $FROM, rcpts => [$rcpt], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0', "RCPT <$rcpt> accepted");
		delivered($s, $msg, "RCPT <$rcpt>: arrived byte for byte",
		    env => "MAIL FROM:<$FROM>\nRCPT TO:<$rcpt>\n");
	}
	log_none($s, qr/ 127\.0\.2\.1: \w+ check=rcpt_users /,
	    'known users: nothing logged by rcpt_users');
	stop_settled($s);
}

# --- a failed lookup of the catch-all or the domains defers too --------------------------
{
	for my $key ('c:rcpt_users', 'l:rcpt_users_catchall:catch.example.test',
	    'l:rcpt_domain:catch.example.test') {
		my $s = start_tcpserver(rules => cdb_break($DB, $key));
		my $r = session(server => $s, helo => $GOOD, from => $FROM,
		    rcpts => ['anyone@catch.example.test']);
		reply_is($r->{rcpt}[0], '450', $key =~ /rcpt_domain/ ? '4.7.1' : '4.1.1',
		    "broken $key: anyone\@catch.example.test deferred");
		stop_settled($s);
	}
}

# --- over-long input ---------------------------------------------------------------
{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	$c->cmd("MAIL FROM:<$FROM>");
	is(length($LONG), 254, 'a 254-byte listed user');
	(my $unknown = $LONG) =~ s/^l/m/;
	reply_is($c->cmd("RCPT TO:<$unknown>"), '550', '5.1.1',
	    'over-long: a 254-byte unknown user: 550 5.1.1');
	reply_is($c->cmd("RCPT TO:<$LONG>"), '250', '2.1.5',
	    'over-long: the 254-byte listed user: accepted');
	reply_is($c->cmd('RCPT TO:<' . ('u' x 300) . '@example.test>'), '501', '5.5.4',
	    'over-long: a 313-byte path: 501 5.5.4');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5', 'over-long: the session goes on');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'over-long: QUIT');
	stop_settled($s);
}

# --- in front of a real Postfix smtpd, which knows only user@example.test ---------------
{
	my $pf = postfix_instance();
	my $body = crlf("Body for Postfix.\n.leading dot\n\ttab \nlast\n");
	my $msg = crlf("From: <$FROM>\nTo: <$RCPT>\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n" .
	    "Message-ID: <users-postfix\@example.org>\nSubject: users-postfix\n\n") . $body;

	# with the list, smtpfront refuses before Postfix hears of the user
	my $s = start_tcpserver(rules => $DB, child => postfix_smtpd_child($pf));
	my $r = session(server => $s, helo => $GOOD, from => $FROM,
	    rcpts => ['nobody@example.test', $RCPT], msg => $msg);
	reply_is($r->{rcpt}[0], '550', '5.1.1', 'Postfix: unknown user refused by smtpfront');
	reply_is($r->{rcpt}[1], '250', '2.1.5', 'Postfix: the known user accepted by Postfix');
	reply_is($r->{eod}, '250', '2.0.0', 'Postfix: message accepted');
	like($r->{eod}{last} // '', qr/queued as [0-9A-F]+$/, "Postfix: Postfix's own reply");
	logged($s, check => 'rcpt_users', cmd => 'RCPT', code => 550, esc => '5.1.1',
	    name => 'Postfix: the refusal is rcpt_users\'s');
	my @f = maildir_files($pf, 1, 15);
	is(scalar(@f), 1, 'Postfix: in the Maildir');
	my $got = @f ? slurp($f[0]) // '' : '';
	$got =~ s/\A.*?\n\n//s;
	(my $want = $body) =~ s/\r\n/\n/g;
	is($got, $want, 'Postfix: body byte for byte');
	unlike(slurp("$pf/maillog") // '', qr/nobody\@example\.test/,
	    'Postfix: never heard of the unknown user');
	stop_settled($s);

	# without the list, Postfix decides and its reply reaches the client
	my ($db) = rules('users-postfix', 'list rcpt_domain example.test');
	$s = start_tcpserver(rules => $db, child => postfix_smtpd_child($pf));
	$r = session(server => $s, helo => $GOOD, from => $FROM,
	    rcpts => ['nobody@example.test']);
	reply_is($r->{rcpt}[0], '550', '5.1.1',
	    "no rcpt_users list: Postfix's 550 5.1.1 reaches the client");
	like($r->{rcpt}[0]{last} // '', qr/User unknown/, "no rcpt_users list: Postfix's text");
	logged($s, check => 'child', cmd => 'RCPT', name => 'no rcpt_users list: logged check=child');
	log_none($s, qr/check=rcpt_users /, 'no rcpt_users list: nothing logged by rcpt_users');
	like(slurp("$pf/maillog") // '', qr/reject: RCPT .*<nobody\@example\.test>/,
	    'no rcpt_users list: Postfix logged its refusal');
	stop_settled($s);
	postfix_stop($pf);
}

done_testing();
