#!/usr/bin/perl
# t/rcpt_domain.t: checks/rcpt_domain.c, relay control, under tcpserver
# with the sink as the MTA child, and in front of a real Postfix.  A
# recipient must be in a domain of the rules list rcpt_domain
# ("example.test" that domain, ".example.test" every domain below it)
# unless the client may relay (RELAYCLIENT, a trust rule); else
# 550 5.7.1 at its RCPT, never held, for postmaster and abuse and
# allowlisted clients too; its action warn is taken as reject (no open
# relay by mistake).  No rcpt_domain list: relay for nobody (a
# recipient without a domain is local).  A failed lookup defers with
# 450 4.7.1 (fails closed).  The cases every RCPT-time check shares are
# in Policy::lookup_suite.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my @RULES = ('list rcpt_domain example.test', 'list rcpt_domain .sub.example.test');
my ($DB, $SRC) = lookup_suite(
	check => 'rcpt_domain',
	rules => \@RULES,
	hit => { rcpt => 'user@other.test' },
	good => {},
	next => $RCPT,
	exempt => 0,
	code => '550', esc => '5.7.1', dcode => '450', desc => '4.7.1',
	text => qr/Relaying denied/, reason => 'not our domain',
	broken => { key => 'l:rcpt_domain:example.test', rcpt => $RCPT,
	    next => 'user@a.sub.example.test' },
	warn => 'reject',
);

sub server { return start_tcpserver(rules => $DB, @_) }

# --- a refusal held from the greeting does not come first: relay control does ---------
{
	my $s = server();
	my $r = session(server => $s, local => '127.0.0.3', helo => 'localhost',
	    from => $FROM, rcpts => ['user@other.test', $RCPT]);
	reply_is($r->{rcpt}[0], '550', '5.7.1', 'held helo_list refusal: relay control first');
	reply_is($r->{rcpt}[1], '550', '5.7.1', 'held helo_list refusal: then the held one');
	logged($s, ip => '127.0.0.3', check => 'rcpt_domain', cmd => 'RCPT',
	    code => 550, esc => '5.7.1', name => 'held refusal: the first is rcpt_domain\'s');
	stop_settled($s);
}

# --- the forms -----------------------------------------------------------------------
{
	my $s = server();
	my $n = 0;
	for my $rcpt ('user@sub.example.test', 'user@notexample.test',
	    'user@example.test.other', 'user@example', 'user@[192.0.2.1]',
	    'user@x.example.test') {
		$n++;
		my $r = session(server => $s, local => "127.0.1.$n", helo => $GOOD,
		    from => $FROM, rcpts => [$rcpt]);
		reply_is($r->{rcpt}[0], '550', '5.7.1', "RCPT <$rcpt>: 550 5.7.1");
	}
	is(scalar(log_lines($s, qr/ 127\.0\.1\.\d: reject check=rcpt_domain rule=builtin cmd=RCPT .*code=550 esc=5\.7\.1/)),
	    $n, 'each logged by rcpt_domain');
	for my $rcpt ('user@a.sub.example.test', 'user@b.a.sub.example.test',
	    'USER@EXAMPLE.TEST', 'user@Example.Test', 'postmaster',
	    'Postmaster') {
		my $msg = message("domain-ok-$rcpt");
		my $r = session(server => $s, local => '127.0.2.1', helo => $GOOD,
		    from => $FROM, rcpts => [$rcpt], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0', "RCPT <$rcpt> accepted");
		delivered($s, $msg, "RCPT <$rcpt>: arrived byte for byte",
		    env => "MAIL FROM:<$FROM>\nRCPT TO:<$rcpt>\n");
	}
	log_none($s, qr/ 127\.0\.2\.1: \w+ check=rcpt_domain /,
	    'our domains: nothing logged by rcpt_domain');
	stop_settled($s);
}

# --- who may relay: RELAYCLIENT and trust rules; allowlists may not -------------------
{
	my $s = server(env => { RELAYCLIENT => '' });
	my $msg = message('domain-relayclient');
	my $r = session(server => $s, helo => $GOOD, from => $FROM,
	    rcpts => ['user@other.test'], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'RELAYCLIENT set: other.test accepted');
	delivered($s, $msg, 'RELAYCLIENT: arrived byte for byte',
	    env => "MAIL FROM:<$FROM>\nRCPT TO:<user\@other.test>\n");
	stop_settled($s);

	my ($db) = rules('domain-trust', @RULES, 'list trust 127.0.0.5',
	    'list allow_ip 127.0.0.6', 'list allow_sender friend@example.org',
	    'list allow_rcpt user@other.test');
	$s = start_tcpserver(rules => $db);
	$msg = message('domain-trust');
	$r = session(server => $s, local => '127.0.0.5', helo => $GOOD, from => $FROM,
	    rcpts => ['user@elsewhere.test'], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'trust rule: relaying allowed');
	delivered($s, $msg, 'trust rule: arrived byte for byte');
	$r = session(server => $s, local => '127.0.0.6', helo => $GOOD, from => $FROM,
	    rcpts => ['user@elsewhere.test']);
	reply_is($r->{rcpt}[0], '550', '5.7.1', 'allow_ip: relay control still applies');
	$r = session(server => $s, local => '127.0.0.7', helo => $GOOD,
	    from => 'friend@example.org', rcpts => ['user@elsewhere.test']);
	reply_is($r->{rcpt}[0], '550', '5.7.1', 'allow_sender: relay control still applies');
	$r = session(server => $s, local => '127.0.0.8', helo => $GOOD, from => $FROM,
	    rcpts => ['user@other.test']);
	reply_is($r->{rcpt}[0], '550', '5.7.1', 'allow_rcpt: relay control still applies');
	is(scalar(log_lines($s, qr/ reject check=rcpt_domain /)), 3,
	    'allowlisted: three refusals logged by rcpt_domain');
	stop_settled($s);
}

# --- rules key absent: relay for nobody ---------------------------------------------------
{
	my ($db) = rules('domain-none', 'set size_max 100000');
	for my $case (['no database', undef], ['no rcpt_domain list', $db]) {
		my ($what, $rules) = @$case;
		my $s = start_tcpserver(rules => $rules);
		my $msg = message("domain-none-$what");
		my $r = session(server => $s, helo => $GOOD, from => $FROM,
		    rcpts => [$RCPT, 'postmaster@example.test', 'postmaster'], msg => $msg);
		reply_is($r->{rcpt}[0], '550', '5.7.1', "$what: $RCPT refused");
		reply_is($r->{rcpt}[1], '550', '5.7.1', "$what: postmaster\@example.test refused");
		reply_is($r->{rcpt}[2], '250', '2.1.5', "$what: the local postmaster accepted");
		delivered($s, $msg, "$what: arrived for the local postmaster",
		    env => "MAIL FROM:<$FROM>\nRCPT TO:<postmaster>\n");
		stop_settled($s);
	}
}

# --- over-long input ---------------------------------------------------------------
{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	$c->cmd("MAIL FROM:<$FROM>");
	my $dom = join('.', ('d' x 63) x 2) . '.' . ('e' x 44) . '.sub.example.test';
	my $ours = ('l' x 64) . '@' . $dom;
	is(length($ours), 254, 'a 254-byte recipient below .sub.example.test');
	(my $theirs = $ours) =~ s/example\.test$/example.tesx/;
	reply_is($c->cmd("RCPT TO:<$theirs>"), '550', '5.7.1',
	    'over-long: a 254-byte recipient elsewhere: 550 5.7.1');
	reply_is($c->cmd("RCPT TO:<$ours>"), '250', '2.1.5',
	    'over-long: a 254-byte recipient of ours: accepted');
	reply_is($c->cmd('RCPT TO:<u@' . ('d' x 300) . '.test>'), '501', '5.5.4',
	    'over-long: a 308-byte path: 501 5.5.4');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5', 'over-long: the session goes on');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'over-long: QUIT');
	stop_settled($s);
}

# --- in front of a real Postfix, which does no relay control itself here ----------------
{
	my $pf = postfix_instance();
	my $s = start_tcpserver(rules => $DB, child => postfix_sendmail_child($pf));
	my $body = crlf("Body for Postfix.\n.leading dot\n\ttab \nlast\n");
	my $msg = crlf("From: <$FROM>\nTo: <$RCPT>\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n" .
	    "Message-ID: <domain-postfix\@example.org>\nSubject: domain-postfix\n\n") . $body;
	my $r = session(server => $s, helo => $GOOD, from => $FROM,
	    rcpts => ['user@other.test', $RCPT], msg => $msg);
	reply_is($r->{rcpt}[0], '550', '5.7.1', 'Postfix: other.test refused by smtpfront');
	reply_is($r->{rcpt}[1], '250', '2.1.5', "Postfix: our recipient accepted by Postfix");
	reply_is($r->{eod}, '250', '2.0.0', 'Postfix: message accepted');
	like($r->{eod}{last}, qr/queued as [0-9A-F]+$/, "Postfix: Postfix's own reply");
	my @f = maildir_files($pf, 1, 15);
	is(scalar(@f), 1, 'Postfix: in the Maildir');
	my $got = @f ? slurp($f[0]) // '' : '';
	(my $want = $body) =~ s/\r\n/\n/g;
	$got =~ s/\A.*?\n\n//s;
	is($got, $want, 'Postfix: body byte for byte');
	unlike(slurp("$pf/maillog") // '', qr/other\.test/,
	    'Postfix: never heard of other.test');
	logged($s, check => 'rcpt_domain', cmd => 'RCPT', code => 550, esc => '5.7.1',
	    name => 'Postfix: the refusal logged by rcpt_domain');
	stop_settled($s);
	postfix_stop($pf);
}

done_testing();
