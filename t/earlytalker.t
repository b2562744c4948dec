#!/usr/bin/perl
# t/earlytalker.t: the greet delay and early talkers (checks/earlytalker.c),
# under tcpserver with the sink as the MTA child.
#
# With greet_delay N smtpfront waits N seconds before its banner (with
# greet_split it sends a first "220-" line at once and the final "220"
# after the wait, and ends that greeting before any refusal: the lines of
# a reply share one code); a client that talks meanwhile is ratware: by default
# (earlytalker_action drop) it gets 554 5.5.0 and is disconnected; with
# defer or reject the refusal is held until RCPT (451 4.5.0 / 554 5.5.0);
# in warn mode the message is delivered with "X-Smtpfront-Warn:
# earlytalker".  data_delay does the same before the 354 reply to DATA,
# and refuses at DATA itself.  Trusted clients (RELAYCLIENT) are not
# delayed, and a waiting connection sleeps: it costs no CPU.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use SF;
use Conn;

my $IP = '127.77.3.1';
my $HOST = 'mx.test.invalid';
my $RATWARE = "EHLO rat.test\r\n";

sub server { return start_tcpserver(ip => $IP, rules => test_rules(), @_) }

# Connect and take the banner: (banner reply, seconds from connect).
sub banner_after {
	my ($s, $local) = @_;
	my $t0 = time;
	my $c = client(server => $s, local => $local // '127.0.0.2');
	my $b = $c->reply(10);
	return ($c, $b, time - $t0);
}

# The message in the sink of server $s whose Subject is $subj.
sub delivered {
	my ($s, $subj) = @_;
	my @m = grep { $_->{msg} =~ /^Subject: \Q$subj\E\r$/m }
	    sink_messages($s->{sinkdir});
	return $m[0];
}

# --- greet_delay: the banner comes after the delay ----------------------------
{
	my $s = server(env => { SMTPFRONT_GREET_DELAY => 1 });
	my ($c, $b, $dt) = banner_after($s);
	reply_is($b, '220', undef, 'greet_delay 1: banner 220');
	is(scalar(@{$b->{lines}}), 1, 'greet_delay without greet_split: one line');
	ok($dt >= 0.95 && $dt < 3, 'greet_delay 1: banner after about 1 s')
	    or diag("banner after $dt s");
	$c->close;

	# swaks, a well-behaved client, waits and gets its message through
	my ($code, $out) = swaks(server => $s, local => '127.0.0.3',
	    args => ['--from', 'a@b.test', '--to', 'user@example.test',
	    '--h-Subject', 'patient']);
	is($code, 0, 'greet_delay: swaks waits for the banner and succeeds')
	    or diag($out);
	ok(delivered($s, 'patient'), 'greet_delay: the patient message arrives');
	summaries($s, 2);
	is(scalar(log_lines($s, qr/check=earlytalker/)), 0,
	    'greet_delay: nothing logged against patient clients');
	stop($s);
}

# --- greet_delay from the rules database ----------------------------------------
{
	my $rules = cdb("list rcpt_domain example.test\nset greet_delay 1\n");
	my $s = server(rules => $rules);
	my ($c, $b, $dt) = banner_after($s);
	ok($dt >= 0.95 && $dt < 3, 'set greet_delay 1 in the rules: banner after about 1 s')
	    or diag("banner after $dt s");
	$c->close;
	my ($c2, $r, $closed) = ratware(server => $s, bytes => $RATWARE);
	reply_is($r->[-1], '554', '5.5.0',
	    'greet_delay from the rules: early talker refused 554 5.5.0');
	stop($s);
}

# --- no greet delay: no early-talker detection -------------------------------
{
	my $s = server();
	my ($c, $b, $dt) = banner_after($s);
	ok($dt < 0.5, 'no greet_delay: banner at once') or diag("after $dt s");
	$c->close;
	# talking before the banner cannot be seen without a wait
	my ($c2, $r, $closed) = ratware(server => $s, bytes => $RATWARE,
	    until => qr/^250 /);
	reply_is($r->[0], '220', undef, 'no greet_delay: banner to an early talker');
	reply_is($r->[1], '250', undef, 'no greet_delay: its EHLO is answered 250');
	ok(!$closed, 'no greet_delay: the connection stays open');
	$c2->close;
	stop($s);
}

# --- greet_split: "220-" at once, the final "220" after the wait --------------------
{
	my $s = server(env => { SMTPFRONT_GREET_DELAY => 1,
	    SMTPFRONT_GREET_SPLIT => 'yes' });
	my $t0 = time;
	my $c = client(server => $s, local => '127.0.0.2');
	my ($l1, $t1) = line($c, 5);
	my ($l2, $t2) = line($c, 5);
	like($l1 // '', qr/^220-\Q$HOST\E /, 'greet_split: first line 220-hostname');
	ok(defined $l1 && $t1 - $t0 < 0.5, 'greet_split: the 220- line comes at once')
	    or diag('after ' . ($t1 - $t0) . ' s');
	like($l2 // '', qr/^220 \Q$HOST\E /, 'greet_split: final line 220 hostname');
	ok(defined $l2 && $t2 - $t0 >= 0.95 && $t2 - $t0 < 3,
	    'greet_split: the final 220 comes after the delay')
	    or diag('after ' . ($t2 - $t0) . ' s');
	reply_is($c->cmd('EHLO client.test'), '250', undef,
	    'greet_split: the session goes on');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'greet_split: QUIT');

	# a client that talks after the 220- line but before the final 220
	$c = client(server => $s, local => '127.0.0.4');
	($l1) = line($c, 5);
	like($l1 // '', qr/^220-/, 'greet_split, early talker: 220- line first');
	$c->send($RATWARE);
	# the lines of one reply share one code: the 220- greeting must end
	# with a 220 line before any refusal
	my $r = $c->reply(5);
	my $ended = $r->{code} eq '220';
	ok($ended, 'greet_split, early talker: the greeting still ends with a 220 line')
	    or diag(join(' | ', @{$r->{lines}}));
	$r = $c->reply(5) if $ended;
	reply_is($r, '554', '5.5.0',
	    'greet_split: talking between 220- and 220 is refused 554 5.5.0');
	ok($c->closed(5), 'greet_split: early talker disconnected');
	stop($s);

	# reject without delay_reject: the first command refused, then the
	# connection closed, as without greet_split
	$s = server(env => { SMTPFRONT_GREET_DELAY => 1,
	    SMTPFRONT_GREET_SPLIT => 'yes', SMTPFRONT_DELAY_REJECT => 'no',
	    SMTPFRONT_EARLYTALKER_ACTION => 'reject' });
	$c = client(server => $s, local => '127.0.0.4');
	($l1) = line($c, 5);
	$c->send($RATWARE);
	$r = $c->reply(5);
	reply_is($c->reply(5), '554', '5.5.0',
	    'greet_split, reject, delay_reject no: the first command refused');
	ok($c->closed(5), 'greet_split, reject, delay_reject no: then closed');
	stop($s);
}

# --- early talker, default action drop --------------------------------------------
{
	my $s = server(env => { SMTPFRONT_GREET_DELAY => 1 });
	my $t0 = time;
	my ($c, $r, $closed) = ratware(server => $s, bytes => $RATWARE .
	    "MAIL FROM:<rat\@example.org>\r\nRCPT TO:<user\@example.test>\r\n");
	is(scalar(@$r), 1, 'drop: exactly one reply, no banner') or
	    diag(join(' | ', map { @{$_->{lines}} } @$r));
	reply_is($r->[0], '554', '5.5.0', 'drop: early talker gets 554 5.5.0');
	like($r->[0]{text}, qr/greeting/i, 'drop: the reply says why');
	ok($closed, 'drop: early talker disconnected');
	my ($l) = log_has($s, qr/ check=earlytalker /);
	like($l // '', qr/: drop check=earlytalker rule=\S+ cmd=CONNECT code=554 esc=5\.5\.0 reason=greeting$/,
	    'drop: one log line naming the check, the code and the reason')
	    or diag(log_text($s));
	my ($sum) = summaries($s);
	like($sum // '', qr/ verdict=drop rule=earlytalker:builtin /,
	    'drop: the summary names the verdict and the check');
	is(sink_started($s->{sinkdir}), 0, 'drop: no MTA child for an early talker');

	# over-long early talk: 64 KB of garbage before the banner
	($c, $r, $closed) = ratware(server => $s, local => '127.0.0.5',
	    bytes => ('x' x 65536) . "\r\n");
	reply_is($r->[0], '554', '5.5.0', '64 KB before the banner: 554 5.5.0');
	ok($closed, '64 KB before the banner: disconnected');
	stop($s);
}

# --- a client that leaves during the delay is gone, not an early talker -------------
{
	my $s = server(env => { SMTPFRONT_GREET_DELAY => 2 });
	# one closes, one half-closes (sends its FIN, reads on): neither spoke
	my $c = client(server => $s, local => '127.0.0.2');
	sleep(0.2);
	$c->close;
	my $h = client(server => $s, local => '127.0.0.3');
	sleep(0.2);
	shutdown($h->sock, 1);
	ok($h->closed(5), 'half-closed in the delay: the connection ends');
	is($h->rest, '', 'half-closed in the delay: no banner, no refusal');
	my @sum = summaries($s, 2);
	is(scalar(grep { / verdict=disconnect rule=- / } @sum), 2,
	    'both: the summary says disconnect') or diag(join("\n", @sum));
	is(scalar(log_lines($s, qr/: disconnect when=greeting$/)), 2,
	    'both: logged as a disconnect during the greeting');
	is(scalar(log_lines($s, qr/ check=earlytalker /)), 0,
	    'neither counted as an early talker');
	stop($s);
}

# --- action off: the early talker goes on -------------------------------------------
{
	my $s = server(env => { SMTPFRONT_GREET_DELAY => 1,
	    SMTPFRONT_EARLYTALKER_ACTION => '' });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->send($RATWARE);
	reply_is($c->reply(5), '220', undef, 'action off (empty): banner');
	reply_is($c->reply(5), '250', undef, 'action off: EHLO answered');
	my $m = mail($c, subject => 'early-off');
	reply_is($m->{eod}, '250', qr/^2\./, 'action off: message accepted');
	my $d = delivered($s, 'early-off');
	ok($d && $d->{msg} !~ /^X-Smtpfront-Warn:/mi,
	    'action off: delivered without a warn header');
	$c->cmd('QUIT');
	summaries($s);
	is(scalar(log_lines($s, qr/check=earlytalker/)), 0,
	    'action off: nothing logged');
	stop($s);
}

# --- defer and reject: the refusal is held until RCPT --------------------------------
for my $case (['defer', '451', '4.5.0'], ['reject', '554', '5.5.0']) {
	my ($act, $code, $esc) = @$case;
	my $s = server(env => { SMTPFRONT_GREET_DELAY => 1,
	    SMTPFRONT_EARLYTALKER_ACTION => $act });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->send($RATWARE);
	reply_is($c->reply(5), '220', undef, "$act: the early talker gets the banner");
	reply_is($c->reply(5), '250', undef, "$act: its EHLO is answered");
	reply_is($c->cmd('MAIL FROM:<rat@example.org>'), '250', '2.1.0',
	    "$act: MAIL 250 (refusal held)");
	reply_is($c->cmd('RCPT TO:<user@example.test>'), $code, $esc,
	    "$act: held refusal at RCPT $code $esc");
	reply_is($c->cmd('RCPT TO:<postmaster@example.test>'), '250', qr/^2\./,
	    "$act: postmaster still takes mail");
	reply_is($c->cmd('QUIT'), '221', '2.0.0', "$act: QUIT, not dropped");
	my ($l) = log_has($s, qr/ check=earlytalker /);
	like($l // '', qr/: $act check=earlytalker rule=\S+ cmd=RCPT .* code=$code esc=\Q$esc\E reason=greeting$/,
	    "$act: logged at RCPT with the envelope") or diag(log_text($s));
	stop($s);
}

# --- warn mode: logged, delivered with a header ---------------------------------
{
	my $s = server(env => { SMTPFRONT_GREET_DELAY => 1,
	    SMTPFRONT_EARLYTALKER_ACTION => 'warn' });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->send($RATWARE);
	reply_is($c->reply(5), '220', undef, 'warn: banner');
	reply_is($c->reply(5), '250', undef, 'warn: EHLO answered');
	my $m = mail($c, subject => 'early-warn');
	reply_is($m->{eod}, '250', qr/^2\./, 'warn: message accepted');
	$c->cmd('QUIT');
	my $d = delivered($s, 'early-warn');
	like($d ? $d->{msg} : '', qr/\AX-Smtpfront-Warn: earlytalker\r\n/,
	    'warn: delivered with X-Smtpfront-Warn: earlytalker on top');
	my ($l) = log_has($s, qr/: warn check=earlytalker /);
	like($l // '', qr/: warn check=earlytalker rule=\S+ cmd=CONNECT reason=greeting$/,
	    'warn: a warn line is logged') or diag(log_text($s));
	is(scalar(log_lines($s, qr/: (?:reject|defer|drop) /)), 0,
	    'warn: nothing refused');
	stop($s);
}

# --- data_delay: talking before the 354 ---------------------------------------
{
	my $s = server(env => { SMTPFRONT_DATA_DELAY => 1 });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	my ($r, $dt) = timed($c, 'DATA', 5);
	reply_is($r, '354', undef, 'data_delay: a patient client gets 354');
	ok($dt >= 0.95 && $dt < 3, 'data_delay 1: 354 after about 1 s')
	    or diag("after $dt s");
	$c->send(crlf("Subject: data-patient\n\nbody\n.\n"));
	reply_is($c->reply, '250', qr/^2\./, 'data_delay: message accepted');
	$c->cmd('QUIT');
	ok(delivered($s, 'data-patient'), 'data_delay: patient message arrives');

	# the message sent 0.2 s after DATA, before the 354
	$c = client(server => $s, local => '127.0.0.3');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	$c->send("DATA\r\n");
	sleep(0.2);
	$c->send(crlf("Subject: data-early\n\nbody\n.\n"));
	$r = $c->reply(5);
	reply_is($r, '554', '5.5.0', 'data_delay: data before the 354 refused 554 5.5.0 at DATA');
	like($r->{text}, qr/354/, 'data_delay: the reply names the 354');
	ok($c->closed(5), 'data_delay: early talker dropped (default action)');
	ok(!delivered($s, 'data-early'), 'data_delay: nothing delivered');
	my ($l) = log_has($s, qr/ check=earlytalker /);
	like($l // '', qr/: drop check=earlytalker rule=\S+ cmd=DATA .* code=554 esc=5\.5\.0 reason=data$/,
	    'data_delay: logged at DATA') or diag(log_text($s));
	stop($s);

	# reject: refused at DATA, the connection stays
	$s = server(env => { SMTPFRONT_DATA_DELAY => 1,
	    SMTPFRONT_EARLYTALKER_ACTION => 'reject' });
	$c = client(server => $s, local => '127.0.0.3');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	$c->send("DATA\r\n");
	sleep(0.2);
	$c->send("NOOP\r\n");
	reply_is($c->reply(5), '554', '5.5.0', 'data_delay, reject: 554 5.5.0 at DATA');
	reply_is($c->reply(5), '250', '2.0.0', 'data_delay, reject: the session goes on');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'data_delay, reject: QUIT');
	stop($s);
}

# --- trusted clients are not delayed ------------------------------------------
{
	my $s = server(env => { SMTPFRONT_GREET_DELAY => 2,
	    SMTPFRONT_DATA_DELAY => 2, RELAYCLIENT => '' });
	my ($c, $b, $dt) = banner_after($s);
	reply_is($b, '220', undef, 'RELAYCLIENT: banner');
	ok($dt < 0.5, 'RELAYCLIENT: banner without the 2 s greet delay')
	    or diag("after $dt s");
	$c->cmd('EHLO client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	my ($r, $dt2) = timed($c, 'DATA', 5);
	reply_is($r, '354', undef, 'RELAYCLIENT: 354');
	ok($dt2 < 0.5, 'RELAYCLIENT: 354 without the 2 s data delay')
	    or diag("after $dt2 s");
	$c->send(".\r\n");
	$c->reply;
	$c->cmd('QUIT');

	# a trusted client talking early is not refused either
	my ($c2, $rs, $closed) = ratware(server => $s, bytes => $RATWARE,
	    until => qr/^250 /);
	reply_is($rs->[1], '250', undef, 'RELAYCLIENT: early EHLO answered, not refused');
	stop($s);
}

# --- a broken rules database --------------------------------------------------
{
	my $rules = cdb("list rcpt_domain example.test\nlist allow_ip 192.0.2.1\n" .
	    "set greet_delay 1\nset earlytalker_action reject\n");
	# the greet_delay setting cannot be read: no session at all
	my $s = server(rules => corrupt_copy($rules, 's:greet_delay'));
	my $c = client(server => $s, local => '127.0.0.2');
	reply_is($c->reply(5), '421', '4.3.0', 'greet_delay unreadable: 421 4.3.0 at connect');
	ok($c->closed(5), 'greet_delay unreadable: closed');
	stop($s);

	# a failed lookup (allow_ip, fails open) downgrades the refusal
	$s = server(rules => corrupt_copy($rules, 'n:allow_ip'));
	$c = client(server => $s, local => '127.0.0.2');
	$c->send($RATWARE);
	reply_is($c->reply(5), '220', undef, 'downgrade: banner');
	$c->reply(5);
	$c->cmd('MAIL FROM:<rat@example.org>');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '451', '4.5.0',
	    'downgrade: the early talker\'s 554 5.5.0 goes out as 451 4.5.0');
	$c->cmd('QUIT');
	my ($l) = log_has($s, qr/ check=earlytalker /);
	like($l // '', qr/: defer check=earlytalker .*code=451 esc=4\.5\.0 .*downgraded=yes$/,
	    'downgrade: logged with downgraded=yes');
	stop($s);

	# drop after a failed lookup: still dropped, but with 421, not 554
	$s = server(rules => corrupt_copy($rules, 'n:allow_ip'),
	    env => { SMTPFRONT_EARLYTALKER_ACTION => 'drop' });
	my ($c2, $r, $closed) = ratware(server => $s, bytes => $RATWARE);
	reply_is($r->[-1], '421', qr/^4\./, 'downgrade, drop: 421 instead of 554');
	ok($closed, 'downgrade, drop: disconnected');
	($l) = log_has($s, qr/ check=earlytalker /);
	like($l // '', qr/: drop check=earlytalker .*code=421 .*downgraded=yes$/,
	    'downgrade, drop: logged with downgraded=yes');
	stop($s);
}

# --- a waiting connection costs no CPU -------------------------------------------
{
	my $s = server(env => { SMTPFRONT_GREET_DELAY => 2 });
	my $c = client(server => $s, local => '127.0.0.2');
	wait_for(sub { my @p = session_pids($s); scalar(@p) }, 2, 0.01);
	my @p = session_pids($s);
	is(scalar(@p), 1, 'the waiting smtpfront process is found') or
	    diag("pids: @p");
	my $pid = $p[0];
	$pid //= 0;
	sleep(0.3);
	my $t1 = cpu_ticks($pid);
	sleep(1.3);
	my $t2 = cpu_ticks($pid);
	my $early = $c->fill(0);
	ok(defined $t1 && defined $t2 && !$early,
	    'the process is still waiting for its banner') or
	    diag('ticks ' . ($t1 // 'gone') . ' ' . ($t2 // 'gone'));
	ok(defined $t1 && defined $t2 && $t2 - $t1 <= 3,
	    'greet delay: at most 3 CPU ticks in 1.3 s of waiting')
	    or diag('ticks used: ' . (($t2 // 0) - ($t1 // 0)));
	reply_is($c->reply(5), '220', undef, 'after the wait: banner');
	stop($s);
}

done_testing();
