#!/usr/bin/perl
# t/rblsmtpd.t: the RBLSMTPD convention of ucspi-tcp's rblsmtpd
# (checks/rblsmtpd.c), set per client through a tcprules database and
# tcpserver -x, the way rblsmtpd users do it, with the sink as the MTA
# child.
#
#   RBLSMTPD="-text"   553 5.7.1 text, permanent
#   RBLSMTPD="text"    451 4.7.1 text, temporary
#   RBLSMTPD=""        nothing refused (the client is exempt from lists)
#   not set            nothing refused
#
# Under delay_reject (the default) the refusal is held until RCPT, so
# postmaster still takes mail; with delay_reject no it replaces the
# banner and the connection is closed.  The text is made printable and
# cut to 200 bytes.  rblsmtpd_action: warn delivers with a header, off
# lets everything through, drop closes at once.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;

my $IP = '127.77.3.5';
my $LONG = 'y' x 1000;
my $TCPRULES = tcprules_cdb(<<EOF);
127.0.0.2:allow,RBLSMTPD="-listed in test"
127.0.0.3:allow,RBLSMTPD="listed for now"
127.0.0.4:allow,RBLSMTPD=""
127.0.0.6:allow,RBLSMTPD="-bad\x01byte\ttab"
127.0.0.7:allow,RBLSMTPD="-$LONG"
:allow
EOF

sub server {
	return start_tcpserver(ip => $IP, rules => test_rules(),
	    tcpserver => ['-x', $TCPRULES], @_);
}

# EHLO, MAIL, RCPT to user and postmaster, and DATA when one was taken.
sub session {
	my ($s, $local, $subj) = @_;
	my $c = client(server => $s, local => $local);
	my ($b, $e) = $c->start('client.test');
	my $m = mail($c, to => ['user@example.test', 'postmaster@example.test'],
	    subject => $subj);
	$m->{banner} = $b;
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

sub delivered {
	my ($s, $subj) = @_;
	return grep { $_->{msg} =~ /^Subject: \Q$subj\E\r$/m } sink_messages($s->{sinkdir});
}

# --- the default: held until RCPT ----------------------------------------------
{
	my $s = server();
	my $m = session($s, '127.0.0.2', 'perm');
	reply_is($m->{banner}, '220', undef, '-text: banner as usual');
	reply_is($m->{mail}, '250', '2.1.0', '-text: MAIL 250 (refusal held)');
	reply_is($m->{rcpt}[0], '553', '5.7.1', '-text: 553 5.7.1 at RCPT');
	is($m->{rcpt}[0]{text}, '5.7.1 listed in test', '-text: the text of RBLSMTPD without the dash');
	reply_is($m->{rcpt}[1], '250', qr/^2\./, '-text: postmaster still takes mail');
	my ($l) = log_has($s, qr/ 127\.0\.0\.2: reject check=rblsmtpd /);
	like($l // '', qr/: reject check=rblsmtpd rule=RBLSMTPD cmd=RCPT helo=client\.test from=<a\@b\.test> rcpt=<user\@example\.test> code=553 esc=5\.7\.1$/,
	    '-text: logged with the envelope');

	$m = session($s, '127.0.0.3', 'temp');
	reply_is($m->{rcpt}[0], '451', '4.7.1', 'RBLSMTPD=text: 451 4.7.1 at RCPT');
	like($m->{rcpt}[0]{text}, qr/ listed for now$/, 'RBLSMTPD=text: the text');
	ok($m->{rcpt}[0]{code} =~ /^4/, 'RBLSMTPD=text: the refusal is temporary');
	($l) = log_has($s, qr/ 127\.0\.0\.3: defer check=rblsmtpd /);
	like($l // '', qr/: defer check=rblsmtpd rule=RBLSMTPD cmd=RCPT .* esc=4\.7\.1$/,
	    'RBLSMTPD=text: logged as defer');

	$m = session($s, '127.0.0.4', 'empty');
	reply_is($m->{rcpt}[0], '250', qr/^2\./, 'RBLSMTPD="": RCPT accepted');
	reply_is($m->{eod}, '250', qr/^2\./, 'RBLSMTPD="": message accepted');
	is(scalar(delivered($s, 'empty')), 1, 'RBLSMTPD="": delivered');

	$m = session($s, '127.0.0.5', 'unset');
	reply_is($m->{eod}, '250', qr/^2\./, 'RBLSMTPD not set: message accepted');
	is(scalar(delivered($s, 'unset')), 1, 'RBLSMTPD not set: delivered');

	# outside text: made printable, cut
	$m = session($s, '127.0.0.6', 'bytes');
	reply_is($m->{rcpt}[0], '553', '5.7.1', 'control bytes in RBLSMTPD: 553 5.7.1');
	is($m->{rcpt}[0]{text}, '5.7.1 bad?byte?tab',
	    'control bytes in RBLSMTPD: shown as "?"');
	$m = session($s, '127.0.0.7', 'long');
	reply_is($m->{rcpt}[0], '553', '5.7.1', '1000-byte RBLSMTPD: 553 5.7.1');
	my ($t) = $m->{rcpt}[0]{text} =~ /^5\.7\.1 (y+)$/;
	ok(defined $t && length($t) == 200, '1000-byte RBLSMTPD: the text is cut to 200 bytes')
	    or diag('length ' . length($t // ''));
	summaries($s, 6);
	is(scalar(log_lines($s, qr/ 127\.0\.0\.[45]: .*check=/)), 0,
	    'empty or unset RBLSMTPD: nothing logged against the client');
	stop($s);
}

# --- delay_reject no: instead of the banner -----------------------------------------
{
	my $s = server(env => { SMTPFRONT_DELAY_REJECT => 'no' });
	for my $case (['127.0.0.2', '553', '5.7.1', 'listed in test'],
	    # a temporary refusal that closes is a 421 (RFC 5321 3.8)
	    ['127.0.0.3', '421', '4.7.1', 'listed for now']) {
		my ($ip, $code, $esc, $text) = @$case;
		my $c = client(server => $s, local => $ip);
		my $r = $c->reply;
		reply_is($r, $code, $esc, "delay_reject no, $ip: $code $esc instead of the banner");
		is($r->{text}, "$esc $text", "delay_reject no, $ip: the text");
		ok($c->closed(5), "delay_reject no, $ip: closed");
	}
	my $m = session($s, '127.0.0.4', 'empty-now');
	is(scalar(delivered($s, 'empty-now')), 1, 'delay_reject no, RBLSMTPD="": delivered');
	is(sink_started($s->{sinkdir}), 1, 'delay_reject no: no MTA child for the refused');
	stop($s);
}

# --- rblsmtpd_action -------------------------------------------------------------------
{
	my $s = server(env => { SMTPFRONT_RBLSMTPD_ACTION => 'warn' });
	my $m = session($s, '127.0.0.2', 'warned');
	reply_is($m->{eod}, '250', qr/^2\./, 'warn: the message is accepted');
	my ($d) = delivered($s, 'warned');
	like($d ? $d->{msg} : '', qr/\AX-Smtpfront-Warn: rblsmtpd\r\n/,
	    'warn: delivered with X-Smtpfront-Warn: rblsmtpd');
	my ($l) = log_has($s, qr/: warn check=rblsmtpd /);
	like($l // '', qr/: warn check=rblsmtpd rule=RBLSMTPD cmd=CONNECT/, 'warn: logged');
	stop($s);

	$s = server(env => { SMTPFRONT_RBLSMTPD_ACTION => '' });
	$m = session($s, '127.0.0.2', 'off');
	reply_is($m->{eod}, '250', qr/^2\./, 'off: the message is accepted');
	($d) = delivered($s, 'off');
	ok($d && $d->{msg} !~ /X-Smtpfront-Warn/, 'off: delivered without a header');
	stop($s);

	$s = server(env => { SMTPFRONT_RBLSMTPD_ACTION => 'drop' });
	my $c = client(server => $s, local => '127.0.0.2');
	my $r = $c->reply;
	reply_is($r, '553', '5.7.1', 'drop: 553 5.7.1 at once');
	ok($c->closed(5), 'drop: closed');
	$m = session($s, '127.0.0.5', 'drop-unset');
	is(scalar(delivered($s, 'drop-unset')), 1, 'drop: clients without RBLSMTPD unaffected');
	stop($s);

	$s = server(env => { SMTPFRONT_RBLSMTPD_ACTION => 'defer' });
	$m = session($s, '127.0.0.2', 'defer');
	ok($m->{rcpt}[0]{code} =~ /^4\d\d$/ && $m->{rcpt}[0]{esc} eq '4.7.1',
	    'defer: "-text" becomes a 4xx 4.7.1') or diag($m->{rcpt}[0]{last});
	stop($s);
}

# --- a broken rules database -------------------------------------------------------
{
	my $rules = cdb("list rcpt_domain example.test\nlist allow_ip 192.0.2.1\n" .
	    "set rblsmtpd_action reject\n");
	my $s = server(rules => corrupt_copy($rules, 's:rblsmtpd_action'));
	my $c = client(server => $s, local => '127.0.0.5');
	reply_is($c->reply(5), '421', '4.3.0', 'rblsmtpd_action unreadable: 421 4.3.0 at connect');
	ok($c->closed(5), 'rblsmtpd_action unreadable: closed');
	stop($s);

	# a failed lookup (allow_ip, fails open) downgrades "-text"
	$s = server(rules => corrupt_copy($rules, 'n:allow_ip'));
	my $m = session($s, '127.0.0.2', 'downgraded');
	reply_is($m->{rcpt}[0], '450', '4.7.1', 'downgrade: 553 5.7.1 goes out as 450 4.7.1');
	like($m->{rcpt}[0]{text}, qr/ listed in test$/, 'downgrade: with the RBLSMTPD text');
	my ($l) = log_has($s, qr/ check=rblsmtpd /);
	like($l // '', qr/: defer check=rblsmtpd .*code=450 esc=4\.7\.1 downgraded=yes$/,
	    'downgrade: logged with downgraded=yes');
	stop($s);
}

done_testing();
