#!/usr/bin/perl
# t/unauth_pipelining.t: clients that send ahead where they must wait
# (checks/unauth_pipelining.c), under tcpserver with the sink as the MTA
# child, against real well-behaved pipelining clients (swaks --pipeline,
# Postfix's smtp-source).
#
# RFC 2920: after EHLO with PIPELINING offered a client may send MAIL,
# RCPT and RSET without waiting, and ends a group with DATA (or EHLO,
# HELO, NOOP, VRFY, QUIT...), whose reply it must wait for.  After HELO,
# or when PIPELINING is not offered (SMTPFRONT_PIPELINING=no), it must
# wait for every reply.  A client that does not is ratware: by default
# (unauth_pipelining_action reject) the refusal 554 5.5.0 comes at RCPT
# (held from MAIL under delay_reject) or at DATA; drop closes the
# connection; warn logs and delivers with "X-Smtpfront-Warn:
# unauth_pipelining"; off (empty) lets it through.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;

my $IP = '127.77.3.2';
my $MAIL = 'MAIL FROM:<rat@example.org>';
my $RCPT = 'RCPT TO:<user@example.test>';
my $MSG = "Subject: rat\r\n\r\nbody\r\n.\r\n";

sub server { return start_tcpserver(ip => $IP, rules => test_rules(), @_) }

# The one line of the log naming the check, once the session is over.
sub refusal_line {
	my ($s, $n) = @_;
	summaries($s, $n // 1);
	my @l = log_lines($s, qr/ check=unauth_pipelining /);
	return ($l[0] // '', scalar(@l));
}

# --- MAIL sent right after EHLO, without waiting ------------------------------------
{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	$c->reply;
	send_ahead($c, 'EHLO rat.test', $MAIL);
	reply_is($c->reply, '250', undef, 'EHLO+MAIL in one write: EHLO 250');
	reply_is($c->reply, '250', '2.1.0', 'EHLO+MAIL: MAIL 250 (refusal held)');
	my $r = $c->cmd($RCPT);
	reply_is($r, '554', '5.5.0', 'EHLO+MAIL: refused at RCPT 554 5.5.0');
	like($r->{text}, qr/pipelining/i, 'EHLO+MAIL: the reply says why');
	reply_is($c->cmd('RCPT TO:<postmaster@example.test>'), '250', qr/^2\./,
	    'EHLO+MAIL: postmaster still takes mail');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'EHLO+MAIL: QUIT, not dropped');
	my ($l, $n) = refusal_line($s);
	like($l, qr/: reject check=unauth_pipelining rule=\S+ cmd=RCPT helo=rat\.test from=<rat\@example\.org> rcpt=<user\@example\.test> code=554 esc=5\.5\.0 reason="after EHLO"$/,
	    'EHLO+MAIL: one line with the envelope and "after EHLO"');
	is($n, 1, 'EHLO+MAIL: logged once');
	stop($s);
}

# --- after HELO every reply must be waited for --------------------------------
{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	$c->reply;
	send_ahead($c, 'HELO rat.test', $MAIL);
	reply_is($c->reply, '250', undef, 'HELO+MAIL in one write: HELO 250');
	reply_is($c->reply, '250', '2.1.0', 'HELO+MAIL: MAIL 250 (refusal held)');
	reply_is($c->cmd($RCPT), '554', '5.5.0', 'HELO+MAIL: refused at RCPT 554 5.5.0');
	$c->cmd('QUIT');
	my ($l) = refusal_line($s);
	like($l, qr/ reason="after HELO"$/, 'HELO+MAIL: "after HELO" logged');

	# HELO answered, then MAIL and RCPT in one write: no PIPELINING after HELO
	$c = client(server => $s, local => '127.0.0.3');
	$c->start('rat.test', helo => 1);
	send_ahead($c, $MAIL, $RCPT);
	reply_is($c->reply, '250', '2.1.0', 'HELO, then MAIL+RCPT in one write: MAIL 250');
	reply_is($c->reply, '554', '5.5.0', 'HELO, then MAIL+RCPT: RCPT 554 5.5.0');
	$c->cmd('QUIT');
	summaries($s, 2);
	my @l = log_lines($s, qr/ check=unauth_pipelining .*reason="after MAIL"$/);
	is(scalar(@l), 1, 'HELO, then MAIL+RCPT: "after MAIL" logged');
	is(sink_messages($s->{sinkdir}), 0, 'HELO cases: nothing delivered');
	stop($s);
}

# --- DATA and the message without waiting for 354 ------------------------------
{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('rat.test');
	reply_is($c->cmd($MAIL), '250', '2.1.0', 'DATA+message: MAIL');
	reply_is($c->cmd($RCPT), '250', qr/^2\./, 'DATA+message: RCPT');
	$c->send("DATA\r\n$MSG");
	my $r = $c->reply;
	reply_is($r, '554', '5.5.0', 'DATA+message in one write: refused at DATA 554 5.5.0');
	# the message lines are taken for commands now; then QUIT
	$c->send("QUIT\r\n");
	my @r = replies($c, 10, 5);
	reply_is($r[-1], '221', '2.0.0', 'DATA+message: the session goes on to QUIT');
	ok(!grep({ $_->{code} eq '354' } @r), 'DATA+message: never a 354');
	is(sink_messages($s->{sinkdir}), 0, 'DATA+message: nothing delivered');
	my ($l) = refusal_line($s);
	like($l, qr/: reject check=unauth_pipelining rule=\S+ cmd=DATA .*code=554 esc=5\.5\.0 reason="after DATA"$/,
	    'DATA+message: logged at DATA');
	stop($s);
}

# --- everything in one write when PIPELINING is not offered ----------------------------
{
	my $s = server(env => { SMTPFRONT_PIPELINING => 'no' });
	my ($c, $r, $closed) = ratware(server => $s, banner => 1,
	    bytes => join('', map { "$_\r\n" } 'EHLO rat.test', $MAIL, $RCPT,
	    'DATA') . $MSG . "QUIT\r\n", until => qr/^221 /);
	my @codes = map { $_->{code} } @$r;
	is($codes[0], '220', 'blast, no PIPELINING: banner');
	ok(!grep({ /PIPELINING/ } @{$r->[1]{lines}}), 'blast: PIPELINING not offered');
	reply_is($r->[2], '250', '2.1.0', 'blast: MAIL 250 (refusal held)');
	reply_is($r->[3], '554', '5.5.0', 'blast: RCPT refused 554 5.5.0');
	ok($r->[4]{code} =~ /^5/ && $r->[4]{code} ne '354',
	    'blast: DATA refused (no recipient)') or diag($r->[4]{last});
	is($codes[-1], '221', 'blast: QUIT answered at the end');
	is(sink_messages($s->{sinkdir}), 0, 'blast: nothing delivered');
	is(sink_started($s->{sinkdir}), 0, 'blast: no MTA child started');
	my ($l) = refusal_line($s);
	like($l, qr/: reject check=unauth_pipelining rule=\S+ cmd=RCPT .*code=554 esc=5\.5\.0 reason="after EHLO"$/,
	    'blast: logged at RCPT, "after EHLO"');

	# without PIPELINING even MAIL and RCPT must be waited for
	$c = client(server => $s, local => '127.0.0.3');
	$c->start('rat.test');
	send_ahead($c, $MAIL, $RCPT);
	reply_is($c->reply, '250', '2.1.0', 'no PIPELINING, MAIL+RCPT: MAIL 250');
	reply_is($c->reply, '554', '5.5.0', 'no PIPELINING, MAIL+RCPT: RCPT 554 5.5.0');
	$c->cmd('QUIT');
	stop($s);
}

# --- a long blast: many commands in one write ----------------------------------------
{
	my $s = server(env => { SMTPFRONT_PIPELINING => 'no' });
	my $n = 60;
	my ($c, $r, $closed) = ratware(server => $s, banner => 1,
	    bytes => join('', map { "$_\r\n" } 'EHLO rat.test', $MAIL,
	    (map { "RCPT TO:<u$_\@example.test>" } 1 .. $n), 'QUIT'),
	    until => qr/^221 /, secs => 20);
	my @rc = @$r[3 .. $#$r - 1];
	is(scalar(@rc), $n, "long blast: $n RCPT replies");
	is(scalar(grep { $_->{code} eq '554' && $_->{esc} eq '5.5.0' } @rc), $n,
	    'long blast: every RCPT refused 554 5.5.0');
	is($r->[-1]{code}, '221', 'long blast: QUIT answered');
	stop($s);
}

# --- drop: the connection is closed -------------------------------------------------
{
	my $s = server(env => { SMTPFRONT_UNAUTH_PIPELINING_ACTION => 'drop' });
	my ($c, $r, $closed) = ratware(server => $s, banner => 1,
	    bytes => "EHLO rat.test\r\n$MAIL\r\n$RCPT\r\n");
	reply_is($r->[1], '250', undef, 'drop: EHLO answered');
	reply_is($r->[2], '554', '5.5.0', 'drop: 554 5.5.0 at MAIL, not held');
	is(scalar(@$r), 3, 'drop: no reply after the refusal');
	ok($closed, 'drop: connection closed');
	my ($l) = refusal_line($s);
	like($l, qr/: drop check=unauth_pipelining rule=\S+ cmd=MAIL .*code=554 esc=5\.5\.0 reason="after EHLO"$/,
	    'drop: logged at MAIL');
	my ($sum) = summaries($s);
	like($sum // '', qr/ verdict=drop rule=unauth_pipelining:SMTPFRONT_UNAUTH_PIPELINING_ACTION /,
	    'drop: the summary names the check');
	stop($s);
}

# --- warn: logged, delivered with a header ----------------------------------------------
{
	my $s = server(env => { SMTPFRONT_PIPELINING => 'no',
	    SMTPFRONT_UNAUTH_PIPELINING_ACTION => 'warn' });
	my ($c, $r, $closed) = ratware(server => $s, banner => 1,
	    bytes => join('', map { "$_\r\n" } 'EHLO rat.test', $MAIL, $RCPT,
	    'DATA') . $MSG . "QUIT\r\n", until => qr/^221 /);
	my @codes = map { $_->{code} } @$r;
	is("@codes", '220 250 250 250 354 250 221',
	    'warn: every command of the blast accepted');
	my @m = sink_messages($s->{sinkdir});
	is(scalar(@m), 1, 'warn: the message is delivered');
	like(@m ? $m[0]{msg} : '',
	    qr/\AX-Smtpfront-Warn: unauth_pipelining\r\nSubject: rat\r\n/,
	    'warn: X-Smtpfront-Warn: unauth_pipelining on top');
	summaries($s);
	my @l = log_lines($s, qr/: warn check=unauth_pipelining /);
	ok(@l >= 1, 'warn: a warn line is logged') or diag(log_text($s));
	like($l[0] // '', qr/ cmd=MAIL .*reason="after EHLO"$/,
	    'warn: the first warn line is at MAIL, "after EHLO"');
	is(scalar(log_lines($s, qr/: (?:reject|defer|drop) /)), 0,
	    'warn: nothing refused');
	stop($s);
}

# --- off: nothing happens --------------------------------------------------------
{
	my $s = server(env => { SMTPFRONT_PIPELINING => 'no',
	    SMTPFRONT_UNAUTH_PIPELINING_ACTION => '' });
	my ($c, $r) = ratware(server => $s, banner => 1,
	    bytes => join('', map { "$_\r\n" } 'EHLO rat.test', $MAIL, $RCPT,
	    'DATA') . $MSG . "QUIT\r\n", until => qr/^221 /);
	is(join(' ', map { $_->{code} } @$r), '220 250 250 250 354 250 221',
	    'off (empty): the blast goes through');
	my @m = sink_messages($s->{sinkdir});
	ok(@m == 1 && $m[0]{msg} !~ /X-Smtpfront-Warn/i,
	    'off: delivered without a header');
	summaries($s);
	is(scalar(log_lines($s, qr/check=unauth_pipelining/)), 0, 'off: nothing logged');
	stop($s);
}

# --- a broken rules database ------------------------------------------------------
{
	my $rules = cdb("list rcpt_domain example.test\nlist allow_ip 192.0.2.1\n" .
	    "set unauth_pipelining_action reject\n");
	my $s = server(rules => corrupt_copy($rules, 's:unauth_pipelining_action'));
	my $c = client(server => $s, local => '127.0.0.2');
	reply_is($c->reply(5), '421', '4.3.0', 'action unreadable: 421 4.3.0 at connect');
	ok($c->closed(5), 'action unreadable: closed');
	stop($s);

	# a failed lookup (allow_ip, fails open) downgrades the refusal
	$s = server(rules => corrupt_copy($rules, 'n:allow_ip'));
	$c = client(server => $s, local => '127.0.0.2');
	$c->reply;
	send_ahead($c, 'EHLO rat.test', $MAIL);
	$c->reply;
	reply_is($c->reply, '250', '2.1.0', 'downgrade: MAIL 250 (held)');
	reply_is($c->cmd($RCPT), '451', '4.5.0', 'downgrade: 554 5.5.0 goes out as 451 4.5.0');
	$c->cmd('QUIT');
	my ($l) = refusal_line($s);
	like($l, qr/: defer check=unauth_pipelining .*code=451 esc=4\.5\.0 .*downgraded=yes$/,
	    'downgrade: logged with downgraded=yes');
	stop($s);
}

# --- well-behaved pipelining clients pass untouched --------------------------------------
{
	my $s = server();
	# raw: one group MAIL, RCPT, RCPT, DATA after the EHLO reply
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	send_ahead($c, 'MAIL FROM:<a@b.test>', 'RCPT TO:<one@example.test>',
	    'RCPT TO:<two@example.test>', 'DATA');
	my @r = replies($c, 4, 5);
	is(join(' ', map { $_->{code} } @r), '250 250 250 354',
	    'a proper pipelined group is answered in order');
	$c->send(crlf("Subject: group\n\nbody\n.\n") . "QUIT\r\n");
	reply_is($c->reply, '250', qr/^2\./, 'end of data and QUIT in one write: 250');
	reply_is($c->reply, '221', '2.0.0', '... then 221');

	my ($code, $out) = swaks(server => $s, local => '127.0.0.3',
	    args => ['--pipeline', '--from', 'a@b.test',
	    '--to', 'user@example.test,other@example.test', '--h-Subject', 'swaks-pipe']);
	is($code, 0, 'swaks --pipeline succeeds') or diag($out);
	like($out, qr/^ -> MAIL FROM:.*\n -> RCPT TO:.*\n -> RCPT TO:.*\n -> DATA\n<-  250 /m,
	    'swaks really sent MAIL, RCPT, RCPT, DATA as one group');

	($code, $out) = run(argv => ['smtp-source', '-s', 4, '-m', 20, '-r', 2,
	    '-M', 'client.test', '-f', 'load@b.test', '-t', 'user@example.test',
	    '-S', 'load', "$s->{ip}:$s->{port}"], timeout => 40);
	is($code, 0, 'smtp-source: 20 messages in 4 parallel sessions') or diag($out);
	summaries($s, 22);
	my @m = sink_messages($s->{sinkdir});
	is(scalar(grep { $_->{msg} =~ /^Subject: load\r$/m } @m), 20,
	    'smtp-source: all 20 messages arrive');
	is(scalar(grep { $_->{msg} =~ /^Subject: (?:group|swaks-pipe)\r$/m } @m), 2,
	    'the raw group and swaks --pipeline messages arrive');
	is(scalar(grep { /X-Smtpfront-Warn/i } map { $_->{msg} } @m), 0,
	    'no warn header on any of them');
	is(scalar(log_lines($s, qr/: (?:reject|defer|drop|warn) /)), 0,
	    'well-behaved clients: nothing refused or warned in the log')
	    or diag(join("\n", log_lines($s, qr/: (?:reject|defer|drop|warn) /)));
	stop($s);
}

done_testing();
