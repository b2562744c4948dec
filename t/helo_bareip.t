#!/usr/bin/perl
# t/helo_bareip.t: checks/helo_bareip.c under tcpserver with the sink as
# the MTA child.  An IP address given as HELO/EHLO name without brackets
# ("192.0.2.1", "2001:db8::1") gets 501 5.5.2, held until RCPT by
# default; a host name or an address literal passes.  No lookups: the
# check cannot fail, but its reject obeys the downgrade rule.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my ($DB) = rules('serve', 'list rcpt_domains example.test');
my $GOOD = 'client.example.org';
my $FROM = 'sender@example.org';
my $RCPT = 'user@example.test';

sub server { return start_tcpserver(rules => $DB, @_) }

# --- hit: held until RCPT, postmaster and abuse exempt, relay control stays --------
{
	my $s = server();
	my $msg = message('bareip-postmaster');
	my $r = session(server => $s, helo => '192.0.2.1', from => $FROM,
	    rcpts => [$RCPT, 'postmaster@example.test', 'abuse@example.test',
	    'postmaster@other.test'], msg => $msg);
	reply_is($r->{helo}, '250', undef, 'hit: EHLO 192.0.2.1 answered 250 (held)');
	reply_is($r->{mail}, '250', '2.1.0', 'hit: MAIL 250 2.1.0 (held)');
	reply_is($r->{rcpt}[0], '501', '5.5.2', 'hit: RCPT gets 501 5.5.2');
	like($r->{rcpt}[0]{last}, qr/address literal in brackets/,
	    'hit: the reply text of helo_bareip');
	reply_is($r->{rcpt}[1], '250', '2.1.5',
	    'hit: postmaster@example.test accepted despite the held refusal');
	reply_is($r->{rcpt}[2], '250', '2.1.5',
	    'hit: abuse@example.test accepted despite the held refusal');
	reply_is($r->{rcpt}[3], '550', '5.7.1',
	    'hit: postmaster@other.test still refused by relay control');
	reply_is($r->{eod}, '250', '2.0.0', 'hit: message to postmaster and abuse accepted');
	logged($s, check => 'helo_bareip', rule => '-', cmd => 'RCPT',
	    code => 501, esc => '5.5.2',
	    name => 'hit: log reject check=helo_bareip rule=- cmd=RCPT code=501 esc=5.5.2');
	like(log_one($s, qr/ reject check=helo_bareip /, 'hit: one reject line'),
	    qr/ helo=192\.0\.2\.1 from=<\Q$FROM\E> rcpt=<\Q$RCPT\E> /,
	    'hit: the log line has the envelope');
	logged($s, check => 'rcpt_domain', cmd => 'RCPT', code => 550,
	    esc => '5.7.1', name => 'hit: relay refusal logged by rcpt_domain');
	delivered($s, $msg, 'hit: the message reached postmaster and abuse byte for byte',
	    env => "MAIL FROM:<$FROM>\nRCPT TO:<postmaster\@example.test>\n" .
	    "RCPT TO:<abuse\@example.test>\n");
	like(summary_of($s, '127.0.0.2'), qr/ verdict=\S+ rule=/,
	    'hit: session summary logged');

	# IPv6 without brackets, from another client
	$r = session(server => $s, local => '127.0.0.3', helo => '2001:db8::1',
	    from => $FROM, rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '501', '5.5.2', 'hit: EHLO 2001:db8::1 gets 501 5.5.2 at RCPT');
	logged($s, ip => '127.0.0.3', check => 'helo_bareip', rule => '-',
	    cmd => 'RCPT', code => 501, esc => '5.5.2',
	    name => 'hit: IPv6 logged');
	# HELO (not EHLO) is checked the same way
	$r = session(server => $s, local => '127.0.0.4', helo => '198.51.100.7',
	    ehlo => 0, from => $FROM, rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '501', '5.5.2', 'hit: HELO 198.51.100.7 gets 501 5.5.2 at RCPT');
	# swaks as the offending client
	my ($code, $out) = swaks_send(server => $s, helo => '203.0.113.5',
	    tag => 'bareip-swaks-hit');
	is($code, 24, 'hit: swaks exits 24 (no recipient accepted)');
	like($out, qr/^<\*\* 501 5\.5\.2 /m, 'hit: swaks saw 501 5.5.2');
	not_delivered($s, 'bareip-swaks-hit', 'hit: nothing delivered for swaks');
	stop($s);
}

# --- no hit: host names and literals pass, the message arrives untouched -----------
{
	my $s = server(env => { SMTPFRONT_HELO_LITERAL_ACTION => '' });
	my $msg = message('bareip-nohit');
	my $r = session(server => $s, helo => $GOOD, from => $FROM,
	    rcpts => [$RCPT], msg => $msg);
	reply_is($r->{rcpt}[0], '250', '2.1.5', 'no hit: RCPT accepted');
	reply_is($r->{eod}, '250', '2.0.0', 'no hit: message accepted');
	delivered($s, $msg, 'no hit: message arrived byte for byte',
	    env => "MAIL FROM:<$FROM>\nRCPT TO:<$RCPT>\n");
	# a literal is not a bare address (helo_literal is off here)
	$msg = message('bareip-literal');
	$r = session(server => $s, local => '127.0.0.3', helo => '[192.0.2.1]',
	    from => $FROM, rcpts => [$RCPT], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'no hit: EHLO [192.0.2.1] passes helo_bareip');
	delivered($s, $msg, 'no hit: literal: message arrived byte for byte');
	# a name that only looks like an address
	$r = session(server => $s, local => '127.0.0.4', helo => '192.0.2.1.example.org',
	    from => $FROM, rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '250', '2.1.5', 'no hit: 192.0.2.1.example.org passes');
	my ($code, $out, $smsg) = swaks_send(server => $s, helo => $GOOD,
	    tag => 'bareip-swaks-good');
	is($code, 0, 'no hit: swaks delivers (exit 0)') or diag($out);
	delivered($s, $smsg, 'no hit: swaks message arrived byte for byte');
	log_none($s, qr/check=helo_bareip/, 'no hit: nothing logged by helo_bareip');
	load_ok($s, tag => 'bareip-load', helo => $GOOD);
	stop($s);
}

# --- rules key absent: no database, no setting: the default action reject ----------
{
	# No database at all: built-in defaults (and no rcpt_domains, so
	# only the local postmaster takes mail).
	my $s = start_tcpserver();
	my $msg = message('bareip-nodb');
	my $r = session(server => $s, helo => '192.0.2.1', from => $FROM,
	    rcpts => ['postmaster'], msg => $msg);
	reply_is($r->{banner}, '220', undef, 'no database: banner');
	reply_is($r->{rcpt}[0], '250', '2.1.5',
	    'no database: RCPT TO:<postmaster> accepted despite the held refusal');
	delivered($s, $msg, 'no database: message to postmaster arrived');
	stop($s);
	$s = start_tcpserver(env => { SMTPFRONT_DELAY_REJECT => 'no' });
	$r = session(server => $s, helo => '192.0.2.1');
	reply_is($r->{helo}, '501', '5.5.2',
	    'no database: the default action is reject (501 5.5.2)');
	logged($s, check => 'helo_bareip', rule => '-', cmd => 'EHLO',
	    code => 501, esc => '5.5.2', name => 'no database: logged');
	stop($s);
	# the setting in the database, not the environment, decides too
	my ($db) = rules('warnset', 'list rcpt_domains example.test',
	    'set helo_bareip_action warn');
	$s = start_tcpserver(rules => $db);
	$msg = message('bareip-dbwarn');
	$r = session(server => $s, helo => '192.0.2.1', from => $FROM,
	    rcpts => [$RCPT], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'set helo_bareip_action warn: accepted');
	delivered($s, warn_header('helo_bareip') . $msg,
	    'set helo_bareip_action warn: delivered with the warn header');
	stop($s);
}

# --- database unreadable or corrupt --------------------------------------------------
{
	my $s = start_tcpserver(rules => cdb_version($DB));
	refused_at_connect($s, 'wrong version');
	stop($s);
	$s = start_tcpserver(rules => cdb_truncated($DB));
	refused_at_connect($s, 'truncated database');
	stop($s);
	$s = start_tcpserver(rules => tmp());
	refused_at_connect($s, 'a directory as database');
	stop($s);
}

# --- the downgrade rule: a failed lookup earlier makes the reject a 4xx ---------------
{
	# allow_ip fails open when its lookup fails (a broken record).
	my ($db) = rules('allowip', 'list rcpt_domains example.test',
	    'list allow_ip 192.0.2.99');
	my $broken = cdb_break($db, 'n:allow_ip');
	my $s = start_tcpserver(rules => $broken);
	my $r = session(server => $s, helo => '192.0.2.1', from => $FROM,
	    rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '451', '4.5.2',
	    'downgrade: 501 5.5.2 becomes 451 4.5.2 after a failed lookup');
	logged($s, event => 'defer', check => 'helo_bareip', rule => '-',
	    cmd => 'RCPT', code => 451, esc => '4.5.2', downgraded => 1,
	    name => 'downgrade: logged as defer ... downgraded=yes');
	# the same database still lets a good client through (fail open)
	my $msg = message('bareip-broken-good');
	$r = session(server => $s, local => '127.0.0.3', helo => $GOOD,
	    from => $FROM, rcpts => [$RCPT], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'downgrade: a good client still passes');
	delivered($s, $msg, 'downgrade: its message arrived byte for byte');
	stop($s);
}

# --- over-long input: a 300-byte HELO gets a clear reply, the session goes on ---------
{
	my $s = server();
	my $long = '192.0.2.1' . ('5' x 291);
	is(length($long), 300, 'a 300-byte HELO name');
	my $c = client(server => $s, local => '127.0.0.2');
	$c->reply;
	reply_is($c->cmd("EHLO $long"), '250', undef, 'over-long: EHLO answered');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: MAIL');
	my $r = $c->cmd("RCPT TO:<$RCPT>");
	reply_is($r, '501', '5.5.2', 'over-long: refused at RCPT with 501 5.5.2');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'over-long: the session goes on (RSET)');
	reply_is($c->cmd("EHLO $GOOD"), '250', undef, 'over-long: a new EHLO');
	reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', 'over-long: MAIL again');
	reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5',
	    'over-long: the new greeting re-decides: RCPT accepted');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'over-long: QUIT');
	my @l = wait_log($s, qr/ reject check=helo_/, 5);
	is(scalar(@l), 1, 'over-long: one refusal logged') or diag(log_text($s));
	unlike(join("\n", sink_log($s->{sinkdir})), qr/^EHLO .{256}/m,
	    'over-long: the child never got a cut name');
	stop($s);
}

# --- warn mode ----------------------------------------------------------------------
{
	my $s = server(env => { SMTPFRONT_HELO_BAREIP_ACTION => 'warn' });
	my $msg = message('bareip-warn');
	my $r = session(server => $s, helo => '192.0.2.1', from => $FROM,
	    rcpts => [$RCPT], msg => $msg);
	reply_is($r->{rcpt}[0], '250', '2.1.5', 'warn: RCPT accepted');
	reply_is($r->{eod}, '250', '2.0.0', 'warn: message accepted');
	delivered($s, warn_header('helo_bareip') . $msg,
	    'warn: delivered with X-Smtpfront-Warn: helo_bareip, byte for byte');
	logged($s, event => 'warn', check => 'helo_bareip', rule => '-',
	    cmd => 'EHLO', name => 'warn: log warn check=helo_bareip cmd=EHLO');
	log_none($s, qr/ (?:reject|defer|drop) check=/, 'warn: no refusal logged');
	stop($s);
}

# --- the actions defer, drop and off ---------------------------------------------------
{
	my $s = server(env => { SMTPFRONT_HELO_BAREIP_ACTION => 'defer' });
	my $r = session(server => $s, helo => '192.0.2.1', from => $FROM,
	    rcpts => [$RCPT, 'postmaster@example.test']);
	reply_is($r->{rcpt}[0], '451', '4.5.2', 'defer: 451 4.5.2 at RCPT');
	reply_is($r->{rcpt}[1], '250', '2.1.5', 'defer: postmaster still accepted');
	logged($s, event => 'defer', check => 'helo_bareip', rule => '-',
	    cmd => 'RCPT', code => 451, esc => '4.5.2', name => 'defer: logged');
	stop($s);

	$s = server(env => { SMTPFRONT_HELO_BAREIP_ACTION => 'drop' });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->reply;
	reply_is($c->cmd('EHLO 192.0.2.1'), '501', '5.5.2',
	    'drop: refused at EHLO (not held)');
	ok($c->closed(5), 'drop: connection closed after the reply');
	logged($s, event => 'drop', check => 'helo_bareip', rule => '-',
	    cmd => 'EHLO', code => 501, esc => '5.5.2', name => 'drop: logged');
	is(sink_started($s->{sinkdir}), 0, 'drop: no child started');
	stop($s);

	$s = server(env => { SMTPFRONT_HELO_BAREIP_ACTION => '' });
	my $msg = message('bareip-off');
	$r = session(server => $s, helo => '192.0.2.1', from => $FROM,
	    rcpts => [$RCPT], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'off (empty variable): accepted');
	delivered($s, $msg, 'off: delivered without a header');
	log_none($s, qr/check=helo_bareip/, 'off: nothing logged');
	stop($s);
}

# --- delay_reject=no: refused at EHLO, and no mail goes through after it -------------
{
	my $s = server(env => { SMTPFRONT_DELAY_REJECT => 'no' });
	my $r = session(server => $s, helo => '192.0.2.1', from => $FROM,
	    rcpts => [$RCPT], msg => message('bareip-nodelay'));
	reply_is($r->{helo}, '501', '5.5.2', 'delay_reject=no: 501 5.5.2 at EHLO');
	logged($s, check => 'helo_bareip', rule => '-', cmd => 'EHLO',
	    code => 501, esc => '5.5.2', name => 'delay_reject=no: logged at EHLO');
	ok(($r->{mail} && $r->{mail}{code} =~ /^[45]/) ||
	    ($r->{rcpt}[0] && $r->{rcpt}[0]{code} =~ /^[45]/),
	    'delay_reject=no: MAIL or RCPT refused after the refused EHLO');
	not_delivered($s, 'bareip-nodelay',
	    'delay_reject=no: nothing delivered after a refused EHLO');
	stop($s);
}

done_testing();
