#!/usr/bin/perl
# t/allow_ip.t: the allowlist of client addresses (checks/allow_ip.c),
# under tcpserver with the sink as the MTA child.
#
# A client in the rules list allow_ip (an address or a network) skips
# every check that refuses (a bad HELO, a bad sender, RBLSMTPD, sending
# ahead, warn-mode hits) but relay control still applies: a recipient in
# a domain we do not serve is refused 550 5.7.1.  The accept is logged
# with the rule's file:line.  Without the list nobody is allowed.  (A
# rules database whose allow_ip lookup fails is in t/precedence.t: the
# check fails open and later refusals are downgraded.)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;

my $IP = '127.77.3.6';
my $RULES = cdb(<<'EOF');
list rcpt_domain example.test
list rcpt_users user@example.test
list allow_ip 127.0.0.9
list allow_ip 127.88.0.0/16
EOF
my $TCPRULES = tcprules_cdb(<<'EOF');
127.0.0.9:allow,RBLSMTPD="-blocked here"
127.0.0.10:allow,RBLSMTPD="-blocked here"
:allow
EOF

sub server {
	return start_tcpserver(ip => $IP, rules => $RULES,
	    tcpserver => ['-x', $TCPRULES], @_);
}

# HELO localhost, a sender without a domain, recipients: a good one, an
# unknown user of ours, one in a foreign domain; then DATA.
sub session {
	my ($s, $local, $subj) = @_;
	my $c = client(server => $s, local => $local);
	my ($b, $e) = $c->start('localhost');
	my $m = mail($c, from => 'x@nofqdn', subject => $subj,
	    to => ['user@example.test', 'nobody@example.test', 'someone@elsewhere.test']);
	$m->{ehlo} = $e;
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

sub delivered {
	my ($s, $subj) = @_;
	return grep { $_->{msg} =~ /^Subject: \Q$subj\E\r$/m } sink_messages($s->{sinkdir});
}

{
	my $s = server(env => { SMTPFRONT_HELO_FQDN_ACTION => 'warn' });

	# --- a listed address ----------------------------------------------
	my $m = session($s, '127.0.0.9', 'allowed-addr');
	reply_is($m->{ehlo}, '250', undef, 'allow_ip 127.0.0.9: EHLO localhost 250');
	reply_is($m->{mail}, '250', qr/^2\./, 'allow_ip: MAIL FROM:<x@nofqdn> 250');
	reply_is($m->{rcpt}[0], '250', qr/^2\./,
	    'allow_ip: RCPT taken despite the bad HELO, sender and RBLSMTPD');
	reply_is($m->{rcpt}[1], '250', qr/^2\./,
	    'allow_ip: an unknown user of ours is left to the MTA child');
	reply_is($m->{rcpt}[2], '550', '5.7.1', 'allow_ip: relay control still applies: 550 5.7.1');
	like($m->{rcpt}[2]{text}, qr/relay/i, 'allow_ip: ... "Relaying denied"');
	reply_is($m->{eod}, '250', qr/^2\./, 'allow_ip: message accepted');
	my ($d) = delivered($s, 'allowed-addr');
	ok($d, 'allow_ip: delivered');
	like($d ? $d->{env} : '', qr/\nRCPT TO:<user\@example\.test>\nRCPT TO:<nobody\@example\.test>\n\z/,
	    'allow_ip: the envelope has our two recipients, not the foreign one');
	ok($d && $d->{msg} !~ /X-Smtpfront-Warn/i,
	    'allow_ip: warn-mode checks skipped too (no header)');
	my ($l) = log_has($s, qr/ 127\.0\.0\.9: accept check=allow_ip /);
	like($l // '', qr/: accept check=allow_ip rule=\S+rules\.\d+\.src:3 cmd=CONNECT$/,
	    'allow_ip: the accept is logged with the rule\'s file:line');
	($l) = log_has($s, qr/ 127\.0\.0\.9: reject /);
	like($l // '', qr/: reject check=rcpt_domain rule=\S+ cmd=RCPT .*rcpt=<someone\@elsewhere\.test> code=550 esc=5\.7\.1/,
	    'allow_ip: the relay refusal is logged');

	# --- a listed network ------------------------------------------------
	$m = session($s, '127.88.3.4', 'allowed-net');
	reply_is($m->{rcpt}[0], '250', qr/^2\./, 'allow_ip 127.88.0.0/16: client 127.88.3.4 taken');
	reply_is($m->{rcpt}[2], '550', '5.7.1', 'allow_ip network: relay control applies');
	ok(scalar(delivered($s, 'allowed-net')), 'allow_ip network: delivered');
	($l) = log_has($s, qr/ 127\.88\.3\.4: accept check=allow_ip /);
	like($l // '', qr/ rule=\S+rules\.\d+\.src:4 /, 'allow_ip network: logged with its rule');

	# --- not listed -----------------------------------------------------
	for my $ip ('127.0.0.10', '127.89.0.1') {
		$m = session($s, $ip, "not-$ip");
		ok($m->{rcpt}[0]{code} =~ /^5/, "$ip (not listed): refused")
		    or diag($m->{rcpt}[0]{last});
		ok(!$m->{eod}, "$ip (not listed): no message");
	}
	summaries($s, 4);
	like((log_lines($s, qr/ 127\.0\.0\.10: reject /))[0] // '',
	    qr/ check=rblsmtpd /, '127.0.0.10: the held RBLSMTPD refusal decides');
	like((log_lines($s, qr/ 127\.89\.0\.1: reject /))[0] // '',
	    qr/ check=helo_list /, '127.89.0.1: the held HELO refusal decides');
	is(scalar(log_lines($s, qr/ 127\.(?:0\.0\.10|89\.0\.1): accept /)), 0,
	    'not listed: no accept logged');
	stop($s);
}

# --- without the list nobody is allowed ------------------------------------------
{
	my $s = start_tcpserver(ip => $IP, rules => test_rules());
	my $m = session($s, '127.0.0.9', 'no-list');
	reply_is($m->{rcpt}[0], '550', '5.7.1', 'no allow_ip list: 127.0.0.9 refused (HELO localhost)');
	summaries($s);
	is(scalar(log_lines($s, qr/check=allow_ip/)), 0, 'no allow_ip list: nothing logged for it');
	stop($s);
}

# --- the list cannot be read: fails open, later refusals downgraded -------------------
{
	my $s = start_tcpserver(ip => $IP, rules => corrupt_copy($RULES, 'n:allow_ip'));
	my $m = session($s, '127.0.0.9', 'broken');
	reply_is($m->{rcpt}[0], '450', '4.7.1',
	    'allow_ip unreadable: no allowlisting, the HELO refusal downgraded to 450 4.7.1');
	reply_is($m->{rcpt}[2], '450', '4.7.1', 'allow_ip unreadable: relay refusal downgraded too');
	ok(!$m->{eod}, 'allow_ip unreadable: no message');
	summaries($s);
	is(scalar(log_lines($s, qr/check=allow_ip/)), 0, 'allow_ip unreadable: no accept');
	is(scalar(log_lines($s, qr/downgraded=yes/)), 3,
	    'allow_ip unreadable: the three refusals logged downgraded=yes');
	stop($s);
}

done_testing();
