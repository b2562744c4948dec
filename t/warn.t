#!/usr/bin/perl
# t/warn.t: warn mode ("warn, not deny"), under tcpserver with the sink
# as the MTA child.  Any check can be put in warn mode with
# SMTPFRONT_<CHECK>_ACTION=warn (or "set <check>_action warn"): a hit is
# logged as "warn check=NAME ..." and the message is delivered with a
# header "X-Smtpfront-Warn: name, name" listing the checks that hit,
# each once.  Three checks here: helo_fqdn (HELO phase), sender_fqdn
# (MAIL phase) and unauth_pipelining (MAIL, RCPT and DATA phases).
# Hits of the greeting belong to the session: every message of it
# carries them; hits of a transaction belong to that message only.
# A warn never stops another check from refusing.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;

my $IP = '127.77.3.7';
my %WARN = (helo_fqdn => 'SMTPFRONT_HELO_FQDN_ACTION',
    sender_fqdn => 'SMTPFRONT_SENDER_FQDN_ACTION',
    unauth_pipelining => 'SMTPFRONT_UNAUTH_PIPELINING_ACTION');

sub server { return start_tcpserver(ip => $IP, rules => test_rules(), @_) }

# A session hitting the checks named in %$hit: EHLO "rat" (helo_fqdn),
# MAIL FROM:<x@nofqdn> (sender_fqdn), EHLO and MAIL in one write
# (unauth_pipelining).  Returns the replies to RCPT and the end of data.
sub session {
	my ($s, $hit, $subj) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->reply;
	my $helo = $hit->{helo_fqdn} ? 'rat' : 'client.test';
	my $from = $hit->{sender_fqdn} ? 'x@nofqdn' : 'a@b.test';
	if ($hit->{unauth_pipelining}) {
		send_ahead($c, "EHLO $helo", "MAIL FROM:<$from>");
		$c->reply;
	} else {
		$c->cmd("EHLO $helo");
		$c->send("MAIL FROM:<$from>\r\n");
	}
	my %r = (mail => $c->reply);
	$r{rcpt} = $c->cmd('RCPT TO:<user@example.test>');
	if ($r{rcpt}{code} eq '250') {
		$c->cmd('DATA');
		$c->send(crlf("Subject: $subj\n\nbody\n.\n"));
		$r{eod} = $c->reply;
	}
	$c->cmd('QUIT');
	$c->closed(5);
	return \%r;
}

# The delivered message with Subject $subj, or undef.
sub msg {
	my ($s, $subj) = @_;
	my @m = grep { $_->{msg} =~ /^Subject: \Q$subj\E\r$/m } sink_messages($s->{sinkdir});
	return @m ? $m[0]{msg} : undef;
}

# The checks named by the X-Smtpfront-Warn headers of a message, sorted;
# and the number of such header lines.
sub warned {
	my ($m) = @_;
	my @h = ($m // '') =~ /^X-Smtpfront-Warn: ([^\r\n]*)\r$/mg;
	return ([sort map { split(/, /) } @h], scalar(@h));
}

# --- each check: refused by default, delivered with a header in warn mode ----------
for my $check (sort keys %WARN) {
	my $s = server();
	my $r = session($s, { $check => 1 }, "$check-default");
	ok($r->{rcpt}{code} =~ /^5/, "$check: refused by default (the hit is real)")
	    or diag($r->{rcpt}{last});
	summaries($s);
	ok(scalar(log_lines($s, qr/: reject check=\Q$check\E /)), "$check: refusal logged");
	stop($s);

	$s = server(env => { $WARN{$check} => 'warn' });
	$r = session($s, { $check => 1 }, "$check-warn");
	reply_is($r->{rcpt}, '250', qr/^2\./, "$check warn: RCPT accepted");
	reply_is($r->{eod}, '250', qr/^2\./, "$check warn: message accepted");
	my $m = msg($s, "$check-warn");
	ok(defined $m, "$check warn: delivered");
	my ($w, $n) = warned($m);
	is_deeply($w, [$check], "$check warn: X-Smtpfront-Warn: $check");
	is($n, 1, "$check warn: one header line");
	like($m // '', qr/\AX-Smtpfront-Warn: /, "$check warn: the header comes first");
	summaries($s);
	my @l = log_lines($s, qr/: warn check=\Q$check\E /);
	ok(@l >= 1, "$check warn: a warn check=$check line is logged");
	is(scalar(log_lines($s, qr/: (?:reject|defer|drop) /)), 0, "$check warn: nothing refused");

	# warn mode, no hit: no header, no warn line
	$r = session($s, {}, "$check-clean");
	$m = msg($s, "$check-clean");
	ok(defined $m && $m !~ /X-Smtpfront-Warn/i, "$check warn, no hit: no header");
	summaries($s, 2);
	is(scalar(log_lines($s, qr/: warn /)), scalar(@l),
	    "$check warn, no hit: no further warn line");
	stop($s);
}

# --- all three: one header listing the three hits ------------------------------------
{
	my $s = server(env => { map { $WARN{$_} => 'warn' } keys %WARN });
	my $r = session($s, { map { $_ => 1 } keys %WARN }, 'all-three');
	reply_is($r->{eod}, '250', qr/^2\./, 'three warn hits: message accepted');
	my $m = msg($s, 'all-three');
	my ($w, $n) = warned($m);
	is_deeply($w, [sort keys %WARN], 'three warn hits: all named in X-Smtpfront-Warn')
	    or diag($m);
	is($n, 1, 'three warn hits: one header line');
	like($m // '', qr/^X-Smtpfront-Warn: helo_fqdn, unauth_pipelining, sender_fqdn\r$/m,
	    'three warn hits: in the order they were found');
	summaries($s);
	for my $check (sort keys %WARN) {
		my ($l) = log_lines($s, qr/: warn check=\Q$check\E /);
		like($l // '', qr/: warn check=\Q$check\E rule=\S+ cmd=(?:EHLO|MAIL) helo=rat/,
		    "three warn hits: warn line for $check");
	}
	my ($l) = log_lines($s, qr/: warn check=sender_fqdn /);
	like($l // '', qr/ from=<x\@nofqdn>/, 'the sender_fqdn warn line names the sender');
	stop($s);
}

# --- a warn does not stop a refusal ---------------------------------------------------
{
	my $s = server(env => { SMTPFRONT_HELO_FQDN_ACTION => 'warn' });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('rat');
	$c->cmd('MAIL FROM:<a@b.test>');
	reply_is($c->cmd('RCPT TO:<u@elsewhere.test>'), '550', '5.7.1',
	    'helo_fqdn warn: relaying still refused');
	reply_is($c->cmd('RCPT TO:<u@example.test>'), '250', qr/^2\./,
	    'helo_fqdn warn: our domain taken');
	$c->cmd('QUIT');
	stop($s);
}

# --- greeting hits belong to the session, transaction hits to their message --------
{
	my $s = server(env => { map { $WARN{$_} => 'warn' } keys %WARN });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('rat');
	reply_is($c->cmd('RSET'), '250', '2.0.0', 'RSET before the first MAIL');
	my $r = mail($c, from => 'x@nofqdn', subject => 'txn-1');
	reply_is($r->{eod}, '250', qr/^2\./, 'first message accepted');
	$r = mail($c, from => 'a@b.test', subject => 'txn-2');
	reply_is($r->{eod}, '250', qr/^2\./, 'second message accepted');
	$c->cmd('QUIT');
	my ($w1) = warned(msg($s, 'txn-1'));
	my ($w2) = warned(msg($s, 'txn-2'));
	is_deeply($w1, ['helo_fqdn', 'sender_fqdn'],
	    'warn hits of the greeting survive RSET: first message names helo_fqdn and sender_fqdn');
	is_deeply($w2, ['helo_fqdn'],
	    'a second message names the greeting\'s hit, not the first message\'s sender');
	stop($s);
}

# --- warn from the rules database --------------------------------------------------
{
	my $rules = cdb("list rcpt_domain example.test\nset sender_fqdn_action warn\n");
	my $s = server(rules => $rules);
	my $r = session($s, { sender_fqdn => 1 }, 'rules-warn');
	reply_is($r->{eod}, '250', qr/^2\./, 'set sender_fqdn_action warn: accepted');
	my ($w) = warned(msg($s, 'rules-warn'));
	is_deeply($w, ['sender_fqdn'], 'set sender_fqdn_action warn: header');
	stop($s);
}

done_testing();
