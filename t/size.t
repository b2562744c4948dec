#!/usr/bin/perl
# t/size.t: checks/size.c under tcpserver with the sink as the MTA child.
# A MAIL whose ESMTP SIZE is over size_max gets 552 5.3.4 at MAIL, at
# once even with delay_reject (RFC 1870: before the data is sent); the
# EHLO reply advertises the limit.  The data itself is held to size_max
# by the core whatever size_action says (check=size rule=size_max).  No
# lookups: the check cannot fail, but its reject obeys the downgrade rule.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my ($DB) = rules('size', 'list rcpt_domain example.test', 'set size_max 4096');

sub server { return start_tcpserver(rules => $DB, @_) }

# EHLO, then MAIL with SIZE=$n; returns the client and the MAIL reply.
sub mail_size {
	my ($s, $n, $ip) = @_;
	my $c = client(server => $s, local => $ip // '127.0.0.2');
	$c->start($GOOD);
	return ($c, $c->cmd("MAIL FROM:<$FROM> SIZE=$n"));
}

# The rest of a transaction; returns the end-of-data reply.
sub finish_txn {
	my ($c, $msg, @rcpts) = @_;
	$c->cmd("RCPT TO:<$_>") for (@rcpts ? @rcpts : ($RCPT));
	my $r = $c->cmd('DATA');
	return $r unless $r->{code} eq '354';
	$c->send(stuff($msg));
	return $c->reply;
}

# --- hit: refused at MAIL, at once; the session goes on ---------------------------
{
	my $s = server();
	my ($c, $r) = mail_size($s, 4097);
	reply_is($r, '552', '5.3.4', 'hit: SIZE=4097 over size_max 4096: 552 5.3.4 at MAIL');
	like($r->{last}, qr/exceeds fixed maximum message size/, 'hit: the reply text');
	reply_is($c->cmd("RCPT TO:<postmaster\@example.test>"), '503', '5.5.1',
	    'hit: no transaction: RCPT gets 503 (not even postmaster)');
	is(sink_started($s->{sinkdir}), 0, 'hit: no child started for the refused MAIL');
	my $msg = message('size-after');
	reply_is($c->cmd("MAIL FROM:<$FROM> SIZE=" . length($msg)), '250', '2.1.0',
	    'hit: the session goes on: a MAIL with a true SIZE');
	reply_is(finish_txn($c, $msg), '250', '2.0.0', 'hit: that message accepted');
	$c->cmd('QUIT');
	delivered($s, $msg, 'hit: that message arrived byte for byte');
	logged($s, check => 'size', rule => '-', cmd => 'MAIL', code => 552,
	    esc => '5.3.4', name => 'hit: log reject check=size rule=- cmd=MAIL code=552 esc=5.3.4');
	like(join("\n", log_lines($s, qr/ reject check=size /)), qr/ from=<\Q$FROM\E> /,
	    'hit: the log line names the sender');
	stop_settled($s);
}

# --- no hit: up to the limit; EHLO advertises it; load -------------------------------
{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	my (undef, $e) = $c->start($GOOD);
	ok((grep { $_ eq '250-SIZE 4096' } @{$e->{lines}}) ? 1 : 0,
	    'no hit: EHLO advertises SIZE 4096') or diag(join(' | ', @{$e->{lines}}));
	my $msg = message('size-limit');
	reply_is($c->cmd("MAIL FROM:<$FROM> SIZE=4096"), '250', '2.1.0',
	    'no hit: SIZE=4096, the limit itself, passes');
	reply_is(finish_txn($c, $msg), '250', '2.0.0', 'no hit: message accepted');
	$c->cmd('QUIT');
	delivered($s, $msg, 'no hit: arrived byte for byte',
	    env => "MAIL FROM:<$FROM> SIZE=4096\nRCPT TO:<$RCPT>\n");
	my ($code, $out, $smsg) = swaks_send(server => $s, tag => 'size-swaks-good');
	is($code, 0, 'no hit: swaks delivers') or diag($out);
	delivered($s, $smsg, 'no hit: swaks message arrived byte for byte');
	load_ok($s, tag => 'size-load');
	log_none($s, qr/check=size /, 'no hit: nothing logged by size');
	stop_settled($s);
}

# --- the data itself over size_max: refused after the data, whatever the action -------
{
	for my $act ('reject', 'warn', '') {
		my $s = server(env => { SMTPFRONT_SIZE_ACTION => $act });
		my $pad = (('x' x 70) . "\r\n") x 80;
		my $big = message("size-big-$act") . $pad;
		ok(length($big) > 4096, "data: a message of " . length($big) . ' bytes');
		my $c = client(server => $s, local => '127.0.0.2');
		$c->start($GOOD);
		$c->cmd("MAIL FROM:<$FROM>");
		reply_is(finish_txn($c, $big), '552', '5.3.4',
		    "data (size_action '$act'): 552 5.3.4 after the data");
		reply_is($c->cmd('NOOP'), '250', '2.0.0', "data ('$act'): the session goes on");
		$c->cmd('QUIT');
		not_delivered($s, "size-big-$act", "data ('$act'): nothing delivered");
		logged($s, check => 'size', rule => 'size_max', cmd => 'DATA',
		    name => "data ('$act'): log reject check=size rule=size_max cmd=DATA");
		stop_settled($s);
	}
	# swaks as the offending client
	my $s = server();
	my $pad = (('y' x 70) . "\r\n") x 80;
	my $f = spew(tmp() . '/big.eml', "Subject: size-swaks-big\r\n\r\n" . $pad);
	my ($code, $out) = swaks(server => $s, local => '127.0.0.9', timeout => 20,
	    args => ['--ehlo', $GOOD, '--from', $FROM, '--to', $RCPT, '--data', "\@$f"]);
	is($code, 26, 'data: swaks exits 26 (message refused)');
	like($out, qr/^<\*\* 552 5\.3\.4 /m, 'data: swaks saw 552 5.3.4');
	not_delivered($s, 'size-swaks-big', 'data: nothing delivered for swaks');
	stop_settled($s);
}

# --- rules key absent: the default size_max; the environment overrides ----------------
{
	my $s = start_tcpserver();
	my $c = client(server => $s, local => '127.0.0.2');
	my (undef, $e) = $c->start($GOOD);
	ok((grep { $_ eq '250-SIZE 10485760' } @{$e->{lines}}) ? 1 : 0,
	    'no database: EHLO advertises the default SIZE 10485760');
	reply_is($c->cmd("MAIL FROM:<$FROM> SIZE=10485760"), '250', '2.1.0',
	    'no database: SIZE=10485760 passes');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'no database: RSET');
	reply_is($c->cmd("MAIL FROM:<$FROM> SIZE=10485761"), '552', '5.3.4',
	    'no database: SIZE=10485761 refused (default action reject)');
	$c->cmd('QUIT');
	stop_settled($s);

	$s = server(env => { SMTPFRONT_SIZE_MAX => 2048 });
	($c, my $r) = mail_size($s, 2049);
	reply_is($r, '552', '5.3.4', 'SMTPFRONT_SIZE_MAX=2048 overrides the rules: 2049 refused');
	reply_is($c->cmd("MAIL FROM:<$FROM> SIZE=2048"), '250', '2.1.0',
	    'SMTPFRONT_SIZE_MAX=2048: 2048 passes');
	$c->cmd('QUIT');
	stop_settled($s);

	my ($db) = rules('sizewarn', 'list rcpt_domain example.test',
	    'set size_max 4096', 'set size_action warn');
	$s = start_tcpserver(rules => $db);
	my $msg = message('size-dbwarn');
	($c, $r) = mail_size($s, 5000);
	reply_is($r, '250', '2.1.0', 'set size_action warn in the rules: MAIL accepted');
	reply_is(finish_txn($c, $msg), '250', '2.0.0', 'set size_action warn: accepted');
	$c->cmd('QUIT');
	delivered($s, warn_header('size') . $msg, 'set size_action warn: with the header');
	stop_settled($s);
}

# --- database unreadable or corrupt -----------------------------------------------
for my $bad (['wrong version', cdb_version($DB)], ['truncated', cdb_truncated($DB)],
    ['a directory', tmp()]) {
	my $s = start_tcpserver(rules => $bad->[1]);
	refused_at_connect($s, "database: $bad->[0]");
	stop_settled($s);
}

# --- the downgrade rule -------------------------------------------------------------
{
	my ($db) = rules('size-allowip', 'list rcpt_domain example.test',
	    'set size_max 4096', 'list allow_ip 192.0.2.99');
	my $s = start_tcpserver(rules => cdb_break($db, 'n:allow_ip'));
	my ($c, $r) = mail_size($s, 4097);
	reply_is($r, '452', '4.3.4', 'downgrade: 552 5.3.4 becomes 452 4.3.4 after a failed lookup');
	my $msg = message('size-broken-good');
	reply_is($c->cmd("MAIL FROM:<$FROM> SIZE=100"), '250', '2.1.0',
	    'downgrade: a true SIZE passes');
	reply_is(finish_txn($c, $msg), '250', '2.0.0', 'downgrade: message accepted');
	$c->cmd('QUIT');
	delivered($s, $msg, 'downgrade: arrived byte for byte');
	logged($s, event => 'defer', check => 'size', rule => '-', cmd => 'MAIL',
	    code => 452, esc => '4.3.4', downgraded => 1,
	    name => 'downgrade: logged as defer ... downgraded=yes');
	stop_settled($s);
	$s = start_tcpserver(rules => cdb_break($db, 'n:allow_ip'),
	    env => { SMTPFRONT_SIZE_ACTION => 'drop' });
	($c, $r) = mail_size($s, 4097);
	reply_is($r, '421', '4.7.0', 'downgrade: drop after a failed lookup says 421 4.7.0');
	ok($c->closed(5), 'downgrade: drop: connection closed');
	logged($s, event => 'drop', check => 'size', cmd => 'MAIL', code => 421,
	    esc => '4.7.0', downgraded => 1, name => 'downgrade: drop logged downgraded=yes');
	stop_settled($s);
}

# --- warn mode ------------------------------------------------------------------------
{
	my $s = server(env => { SMTPFRONT_SIZE_ACTION => 'warn' });
	my $msg = message('size-warn');
	my ($c, $r) = mail_size($s, 5000);
	reply_is($r, '250', '2.1.0', 'warn: SIZE=5000 accepted at MAIL');
	reply_is(finish_txn($c, $msg), '250', '2.0.0', 'warn: the (small) message accepted');
	$c->cmd('QUIT');
	delivered($s, warn_header('size') . $msg,
	    'warn: delivered with X-Smtpfront-Warn: size, byte for byte');
	logged($s, event => 'warn', check => 'size', rule => '-', cmd => 'MAIL',
	    name => 'warn: log warn check=size cmd=MAIL');
	log_none($s, qr/ (?:reject|defer|drop) check=/, 'warn: no refusal logged');
	stop_settled($s);
}

# --- the actions defer, drop and off; delay_reject changes nothing ------------------------
{
	my $s = server(env => { SMTPFRONT_SIZE_ACTION => 'defer' });
	my ($c, $r) = mail_size($s, 4097);
	reply_is($r, '452', '4.3.4', 'defer: 452 4.3.4 at MAIL');
	$c->cmd('QUIT');
	logged($s, event => 'defer', check => 'size', rule => '-', cmd => 'MAIL',
	    code => 452, esc => '4.3.4', name => 'defer: logged');
	stop_settled($s);

	$s = server(env => { SMTPFRONT_SIZE_ACTION => 'drop' });
	($c, $r) = mail_size($s, 4097);
	reply_is($r, '552', '5.3.4', 'drop: 552 5.3.4 at MAIL');
	ok($c->closed(5), 'drop: connection closed');
	logged($s, event => 'drop', check => 'size', rule => '-', cmd => 'MAIL',
	    code => 552, esc => '5.3.4', name => 'drop: logged');
	stop_settled($s);

	$s = server(env => { SMTPFRONT_SIZE_ACTION => '' });
	my $msg = message('size-off');
	($c, $r) = mail_size($s, 4097);
	reply_is($r, '250', '2.1.0', 'off: SIZE over the limit passes MAIL');
	reply_is(finish_txn($c, $msg), '250', '2.0.0', 'off: the (small) message accepted');
	$c->cmd('QUIT');
	delivered($s, $msg, 'off: delivered without a header',
	    env => "MAIL FROM:<$FROM> SIZE=4097\nRCPT TO:<$RCPT>\n");
	log_none($s, qr/check=size /, 'off: nothing logged');
	stop_settled($s);

	$s = server(env => { SMTPFRONT_DELAY_REJECT => 'no' });
	($c, $r) = mail_size($s, 4097);
	reply_is($r, '552', '5.3.4', 'delay_reject=no: the same 552 5.3.4 at MAIL');
	$c->cmd('QUIT');
	stop_settled($s);
}

# --- over-long input: SIZE values that do not fit -----------------------------------
{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($GOOD);
	reply_is($c->cmd("MAIL FROM:<$FROM> SIZE=" . ('9' x 30)), '501', '5.5.4',
	    'over-long: a 30-digit SIZE: 501 5.5.4');
	reply_is($c->cmd("MAIL FROM:<$FROM> SIZE=18446744073709551616"), '501', '5.5.4',
	    'over-long: SIZE=2^64: 501 5.5.4');
	reply_is($c->cmd("MAIL FROM:<$FROM> SIZE=-1"), '501', '5.5.4', 'SIZE=-1: 501 5.5.4');
	reply_is($c->cmd("MAIL FROM:<$FROM> SIZE=18446744073709551615"), '552', '5.3.4',
	    'over-long: SIZE=2^64-1 is over the limit: 552 5.3.4');
	reply_is($c->cmd("MAIL FROM:<$FROM> SIZE=10"), '250', '2.1.0',
	    'over-long: the session goes on: MAIL');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5', 'over-long: RCPT accepted');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'over-long: QUIT');
	stop_settled($s);
}

done_testing();
