#!/usr/bin/perl
# t/helo_ours.t: checks/helo_ours.c under tcpserver with the sink as the
# MTA child.  A client greeting with our own name or address gets
# 550 5.7.1, held until RCPT by default.  Ours are: the hostname setting
# (default TCPLOCALHOST, here mx.test.invalid from tcpserver -l),
# TCPLOCALHOST, TCPLOCALIP (127.77.0.1, the address tcpserver listens
# on), and the list ours (names and addresses); the rule in the log says
# which.  A client connecting from our own address passes.  A failed list
# lookup passes (fails open) and sets the downgrade rule.  The cases
# every held check shares are in Policy::held_suite.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my $LOCALIP = '127.77.0.1';
my $LOCALHOST = 'mx.test.invalid';

my ($DB, $SRC) = held_suite(
	check => 'helo_ours',
	rules => ['list ours mx.example.test', 'list ours 192.0.2.1'],
	rule => 'LINE2',
	at => 'EHLO',
	hit => { helo => 'mx.example.test', from => $FROM },
	good => { helo => $GOOD, from => $FROM },
	swaks => { helo => 'MX.Example.Test' },
	code => '550', esc => '5.7.1', dcode => '450', desc => '4.7.1',
	text => qr/our own name or address/,
	nodb => 'pass',
);

# Refused at RCPT with 550 5.7.1 and logged with this rule.
sub ours {
	my ($s, $ip, $helo, $rule, $what) = @_;
	my $r = session(server => $s, local => $ip, helo => $helo,
	    from => $FROM, rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '550', '5.7.1', "hit: EHLO $helo ($what): 550 5.7.1");
	logged($s, ip => $ip, check => 'helo_ours', rule => $rule, cmd => 'RCPT',
	    code => 550, esc => '5.7.1',
	    name => "hit: EHLO $helo: logged with rule=$rule");
}

# --- which of our names and addresses ------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	ours($s, '127.0.1.1', $LOCALHOST, 'hostname', 'the hostname, from TCPLOCALHOST');
	ours($s, '127.0.1.2', uc($LOCALHOST), 'hostname', 'case does not matter');
	stop_settled($s);

	# the hostname set in the rules: TCPLOCALHOST is still ours
	my ($db) = rules('hostname', 'list rcpt_domain example.test',
	    'set hostname mx.other.test');
	$s = start_tcpserver(rules => $db);
	my $r = session(server => $s, local => '127.0.1.3');
	like($r->{banner}{last}, qr/^220 mx\.other\.test /, 'set hostname: in the banner');
	ours($s, '127.0.1.4', 'mx.other.test', 'hostname', 'the hostname setting');
	ours($s, '127.0.1.5', $LOCALHOST, 'TCPLOCALHOST', 'TCPLOCALHOST');
	stop_settled($s);

	# no database: the hostname is still ours
	$s = start_tcpserver();
	$r = session(server => $s, local => '127.0.1.6', helo => $LOCALHOST,
	    from => $FROM, rcpts => ['postmaster', $RCPT]);
	reply_is($r->{rcpt}[0], '250', '2.1.5',
	    'no database: RCPT TO:<postmaster> accepted despite the held refusal');
	stop_settled($s);
	$s = start_tcpserver(env => { SMTPFRONT_DELAY_REJECT => 'no' });
	$r = session(server => $s, local => '127.0.1.6', helo => $LOCALHOST);
	reply_is($r->{helo}, '550', '5.7.1',
	    'no database: EHLO with our hostname refused (default action reject)');
	logged($s, ip => '127.0.1.6', check => 'helo_ours', rule => 'hostname',
	    cmd => 'EHLO', code => 550, esc => '5.7.1', name => 'no database: logged');
	stop_settled($s);

	# our addresses: helo_literal and helo_bareip would refuse first
	$s = start_tcpserver(rules => $DB, env => {
	    SMTPFRONT_HELO_LITERAL_ACTION => '', SMTPFRONT_HELO_BAREIP_ACTION => '' });
	ours($s, '127.0.1.7', "[$LOCALIP]", 'TCPLOCALIP', 'TCPLOCALIP as a literal');
	ours($s, '127.0.1.8', $LOCALIP, 'TCPLOCALIP', 'TCPLOCALIP bare');
	ours($s, '127.0.1.9', "[IPv6:::ffff:$LOCALIP]", 'TCPLOCALIP',
	    'TCPLOCALIP as a v4-mapped IPv6 literal');
	ours($s, '127.0.1.10', '[192.0.2.1]', "$SRC:3", 'in the ours list');
	ours($s, '127.0.1.11', '192.0.2.1', "$SRC:3", 'in the ours list, bare');
	my $msg = message('ours-other-literal');
	$r = session(server => $s, local => '127.0.1.12', helo => '[192.0.2.2]',
	    from => $FROM, rcpts => [$RCPT], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'no hit: an address not ours passes');
	delivered($s, $msg, 'no hit: arrived byte for byte');
	stop_settled($s);

	# a client on our own address may use our name
	$s = start_tcpserver(rules => $DB);
	$msg = message('ours-from-ourselves');
	$r = session(server => $s, local => $LOCALIP, helo => $LOCALHOST,
	    from => $FROM, rcpts => [$RCPT], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0',
	    'no hit: a client connecting from our own address may use our name');
	delivered($s, $msg, 'no hit: from ourselves: arrived byte for byte');
	# names near ours are not ours
	for my $helo ('mx2.example.test', 'a.mx.example.test', 'mx.test.invalid.example.org') {
		$msg = message("ours-near-$helo");
		$r = session(server => $s, local => '127.0.0.5', helo => $helo,
		    from => $FROM, rcpts => [$RCPT], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0', "no hit: EHLO $helo passes");
	}
	log_none($s, qr/check=helo_ours /, 'no hit: nothing logged by helo_ours');
	stop_settled($s);
}

# --- a failed list lookup passes and sets the downgrade rule ---------------------------
{
	my ($db) = rules('oursbroken', 'list rcpt_domain example.test',
	    'list ours mx.example.test', 'list ours 192.0.2.1');
	for my $case (['l:ours:mx.example.test', 'mx.example.test', {}],
	    ['n:ours', '[192.0.2.1]', { SMTPFRONT_HELO_LITERAL_ACTION => '' }]) {
		my ($key, $helo, $env) = @$case;
		my $s = start_tcpserver(rules => cdb_break($db, $key), env => $env);
		my $msg = message("ours-broken-$helo");
		my $r = session(server => $s, helo => $helo, from => $FROM,
		    rcpts => [$RCPT], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0',
		    "broken $key: EHLO $helo passes (fails open)");
		delivered($s, $msg, "broken $key: arrived byte for byte");
		log_none($s, qr/check=helo_ours /, "broken $key: nothing logged by helo_ours");
		# a later reject in such a session is a 4xx
		$r = session(server => $s, local => '127.0.0.3', helo => $helo,
		    from => 'sender@localhost', rcpts => [$RCPT]);
		reply_is($r->{rcpt}[0], '450', '4.1.8',
		    "broken $key: a later reject (sender_fqdn 553 5.1.8) becomes 450 4.1.8");
		logged($s, ip => '127.0.0.3', event => 'defer', check => 'sender_fqdn',
		    cmd => 'RCPT', code => 450, esc => '4.1.8', downgraded => 1,
		    name => "broken $key: logged downgraded=yes");
		# while a session that does not look the broken key up is whole;
		# our networks are looked up for every client (trust reads
		# them at start): a broken n:ours downgrades every session
		$r = session(server => $s, local => '127.0.0.4', helo => $GOOD,
		    from => 'sender@localhost', rcpts => [$RCPT]);
		if ($key =~ /^n:/) {
			reply_is($r->{rcpt}[0], '450', '4.1.8',
			    "broken $key: read at start by trust: every " .
			    'reject downgraded');
		} else {
			reply_is($r->{rcpt}[0], '553', '5.1.8', "broken $key: " .
			    'without that lookup the reject stays 553 5.1.8');
		}
		stop_settled($s);
	}
}

# --- over-long input --------------------------------------------------------------
{
	my $s = start_tcpserver(rules => $DB);
	my $long = ('a' x 284) . '.mx.example.test';
	is(length($long), 300, 'a 300-byte HELO ending in our name');
	my $c = client(server => $s, local => '127.0.0.2');
	$c->reply;
	reply_is($c->cmd("EHLO $long"), '250', undef, 'over-long: EHLO answered');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: MAIL');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '501', '5.5.2',
	    'over-long: refused at RCPT (helo_syntax: 501 5.5.2)');
	reply_is($c->cmd("EHLO $GOOD"), '250', undef, 'over-long: the session goes on');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: MAIL again');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5', 'over-long: RCPT accepted');
	$c->cmd('QUIT');
	stop_settled($s);
}

done_testing();
