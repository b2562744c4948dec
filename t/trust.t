#!/usr/bin/perl
# t/trust.t: trusted clients (smtpfront.c trust(), checks/trust.c), under
# tcpserver with the sink as the MTA child.
#
# A client is trusted when RELAYCLIENT is in the environment (set per
# client by tcpserver -x from a tcprules database, the qmail habit, or
# for every client by the service's environment) or when its address is
# in the rules list "trust" (an address or a network, IPv4 or IPv6).  A
# trusted client skips every check (a bad HELO, a bad sender, RBLSMTPD,
# sending ahead) and may relay to any domain; the MTA child still gets
# RELAYCLIENT.  With trust_exec smtpfront hands it straight to the MTA
# child with execve: the client sees the child's own banner, smtpfront
# logs "exec" and no session summary.  Untrusted clients are never
# exec'd and get every check.  The last case does the hand-over with a
# real MTA: Postfix's smtpd (a private instance) as the child.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;

my $IP = '127.77.3.4';
my $HOST = 'mx.test.invalid';

# A session that breaks every rule a check knows: HELO localhost
# (helo_list), a sender without a domain we accept (sender_fqdn), a
# recipient in a domain we do not serve (rcpt_domain), then one we
# serve.  Returns the banner and the replies.
sub bad_session {
	my ($s, $local, $subj) = @_;
	my $c = client(server => $s, local => $local);
	my ($b, $e) = $c->start('localhost');
	my $m = mail($c, from => 'x@nofqdn', to => ['someone@elsewhere.test', 'user@example.test'],
	    subject => $subj);
	$m->{banner} = $b;
	$m->{ehlo} = $e;
	$m->{quit} = $c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

# All of a bad session accepted and the message delivered with its envelope.
sub all_taken {
	my ($s, $m, $subj, $name) = @_;
	reply_is($m->{ehlo}, '250', undef, "$name: EHLO localhost 250");
	reply_is($m->{mail}, '250', qr/^2\./, "$name: MAIL FROM:<x\@nofqdn> 250");
	reply_is($m->{rcpt}[0], '250', qr/^2\./, "$name: RCPT to a foreign domain 250 (relay)");
	reply_is($m->{rcpt}[1], '250', qr/^2\./, "$name: RCPT to our domain 250");
	reply_is($m->{eod}, '250', qr/^2\./, "$name: message accepted");
	my @d = grep { $_->{msg} =~ /^Subject: \Q$subj\E\r$/m } sink_messages($s->{sinkdir});
	is(scalar(@d), 1, "$name: delivered");
	like(@d ? $d[0]{env} : '', qr/^MAIL FROM:<x\@nofqdn>.*\nRCPT TO:<someone\@elsewhere\.test>\nRCPT TO:<user\@example\.test>\n\z/s,
	    "$name: with its envelope");
}

# Refused the usual way: relay control for the foreign domain, the held
# HELO refusal for our own.
sub refused {
	my ($m, $name) = @_;
	reply_is($m->{rcpt}[0], '550', '5.7.1', "$name: foreign domain refused 550 5.7.1");
	like($m->{rcpt}[0]{text}, qr/relay/i, "$name: ... as relaying");
	reply_is($m->{rcpt}[1], '550', '5.7.1', "$name: our domain refused 550 5.7.1 (held HELO refusal)");
	like($m->{rcpt}[1]{text}, qr/HELO/, "$name: ... for the HELO");
	ok(!$m->{eod}, "$name: no message");
}

# --- RELAYCLIENT from a tcprules database (tcpserver -x) ---------------------------
{
	my $tr = tcprules_cdb(<<'EOF');
127.0.0.5:allow,RELAYCLIENT=""
127.0.0.6:allow,RELAYCLIENT="",RBLSMTPD="-blocked here"
127.0.0.9:allow,RBLSMTPD="-blocked here"
:allow
EOF
	my $envfile = SF::tmp() . '/env.trust';
	my $s = start_tcpserver(ip => $IP, rules => test_rules(),
	    tcpserver => ['-x', $tr], env => { SINK_ENV_FILE => $envfile,
	    SMTPFRONT_PIPELINING => 'no' });
	my $m = bad_session($s, '127.0.0.5', 'tcprules-relay');
	like($m->{banner}{last}, qr/^220 \Q$HOST\E /, 'tcprules RELAYCLIENT: smtpfront answers');
	all_taken($s, $m, 'tcprules-relay', 'tcprules RELAYCLIENT');
	my %env = map { /^([^=]+)=(.*)$/ ? ($1 => $2) : () }
	    split(/\n/, slurp($envfile) // '');
	ok(exists $env{RELAYCLIENT}, 'tcprules RELAYCLIENT: the MTA child sees RELAYCLIENT');
	my ($l) = log_has($s, qr/ 127\.0\.0\.5: accept check=trust /);
	like($l // '', qr/: accept check=trust rule=RELAYCLIENT cmd=CONNECT$/,
	    'tcprules RELAYCLIENT: logged as trusted by RELAYCLIENT');

	# RBLSMTPD does not touch a trusted client
	$m = bad_session($s, '127.0.0.6', 'tcprules-rbl');
	all_taken($s, $m, 'tcprules-rbl', 'RELAYCLIENT and RBLSMTPD');

	# sending everything in one write without PIPELINING: not policed
	my ($c, $r) = ratware(server => $s, local => '127.0.0.5', banner => 1,
	    bytes => join('', map { "$_\r\n" } 'EHLO client.test',
	    'MAIL FROM:<a@b.test>', 'RCPT TO:<user@example.test>', 'DATA') .
	    "Subject: trusted-blast\r\n\r\nbody\r\n.\r\nQUIT\r\n", until => qr/^221 /);
	is(join(' ', map { $_->{code} } @$r), '220 250 250 250 354 250 221',
	    'RELAYCLIENT: a trusted client may send ahead');

	# the same server, a client tcprules gives nothing: every check
	$m = bad_session($s, '127.0.0.8', 'tcprules-none');
	refused($m, 'no RELAYCLIENT');
	# and one with only RBLSMTPD
	$m = bad_session($s, '127.0.0.9', 'tcprules-rbl-only');
	reply_is($m->{rcpt}[1], '553', '5.7.1', 'RBLSMTPD only: refused 553 5.7.1');
	like($m->{rcpt}[1]{text}, qr/^5\.7\.1 blocked here$/, 'RBLSMTPD only: with its text');
	summaries($s, 5);
	is(scalar(log_lines($s, qr/ 127\.0\.0\.[56]: (?:reject|defer|drop|warn) /)), 0,
	    'nothing refused or warned for the trusted clients');
	is(scalar(log_lines($s, qr/ 127\.0\.0\.8: reject check=helo_list /)), 1,
	    'the untrusted client is refused by helo_list');
	stop($s);
}

# --- RELAYCLIENT for every client, from the service's environment ---------------
{
	my $s = start_tcpserver(ip => $IP, rules => test_rules(),
	    env => { RELAYCLIENT => '' });
	my $m = bad_session($s, '127.0.0.2', 'env-relay');
	all_taken($s, $m, 'env-relay', 'RELAYCLIENT in the environment');
	stop($s);
}

# --- the rules list "trust": an address and a network -------------------------------
{
	my $rules = cdb("list rcpt_domain example.test\nlist trust 127.0.0.7\n" .
	    "list trust 127.66.0.0/16\n");
	my $envfile = SF::tmp() . '/env.trust-list';
	my $s = start_tcpserver(ip => $IP, rules => $rules,
	    env => { SINK_ENV_FILE => $envfile });
	my $m = bad_session($s, '127.0.0.7', 'trust-addr');
	all_taken($s, $m, 'trust-addr', 'list trust 127.0.0.7');
	ok((slurp($envfile) // '') =~ /^RELAYCLIENT=$/m,
	    'list trust: the MTA child gets RELAYCLIENT too, as from tcprules');
	unlink($envfile);
	$m = bad_session($s, '127.66.1.2', 'trust-net');
	all_taken($s, $m, 'trust-net', 'list trust 127.66.0.0/16, client 127.66.1.2');
	$m = bad_session($s, '127.67.0.1', 'trust-outside');
	refused($m, 'client 127.67.0.1 outside the network');
	$m = bad_session($s, '127.0.0.6', 'trust-neighbour');
	refused($m, 'client 127.0.0.6 next to the trusted address');
	my ($l) = log_has($s, qr/ 127\.66\.1\.2: accept check=trust /);
	like($l // '', qr/: accept check=trust rule=\S+rules\.\d+\.src:3 cmd=CONNECT$/,
	    'the network rule is named by its file:line');
	stop($s);

	# the rules key absent: nobody is trusted
	$s = start_tcpserver(ip => $IP, rules => test_rules());
	$m = bad_session($s, '127.0.0.7', 'trust-none');
	refused($m, 'no trust list: 127.0.0.7 is not trusted');
	stop($s);
}

# --- our own networks (list ours) are trusted: our hosts are listed once -----------
{
	my $rules = cdb("list rcpt_domain example.test\nlist ours 127.0.0.8\n" .
	    "list ours mx.example.test\n");
	my $s = start_tcpserver(rules => $rules);
	my $m = bad_session($s, '127.0.0.8', 'trust-ours');
	all_taken($s, $m, 'trust-ours', 'list ours 127.0.0.8');
	my ($l) = log_has($s, qr/ 127\.0\.0\.8: accept check=trust /);
	like($l // '', qr/: accept check=trust rule=\S+rules\.\d+\.src:2 cmd=CONNECT$/,
	    'list ours: trusted by its network entry, the line named');
	$m = bad_session($s, '127.0.0.9', 'trust-ours-not');
	refused($m, 'a client not in ours');
	stop($s);
}

# --- the trust list cannot be read: nobody trusted, refusals downgraded --------------
{
	my $rules = cdb("list rcpt_domain example.test\nlist trust 127.0.0.7\n");
	my $s = start_tcpserver(ip => $IP, rules => corrupt_copy($rules, 'n:trust'),
	    env => { SMTPFRONT_TRUST_EXEC => 'yes' });
	my $m = bad_session($s, '127.0.0.7', 'trust-broken');
	like($m->{banner}{last}, qr/^220 \Q$HOST\E /, 'trust unreadable: not exec\'d');
	reply_is($m->{rcpt}[0], '450', '4.7.1', 'trust unreadable: relaying refused, downgraded to 450 4.7.1');
	reply_is($m->{rcpt}[1], '450', '4.7.1', 'trust unreadable: HELO refusal downgraded to 450 4.7.1');
	ok(!$m->{eod}, 'trust unreadable: no message');
	ok(scalar(log_has($s, qr/ 127\.0\.0\.7: warning: rules database read error.*trust/)),
	    'trust unreadable: a warning is logged');
	stop($s);
}

# --- IPv6: a trusted prefix -----------------------------------------------------
{
	my $rules = cdb("list rcpt_domain example.test\nlist trust ::/112\n");
	# (tcpserver listens on ::1 here: see t/start.t)
	my $s = start_tcpserver(ip => '::1', rules => $rules);
	my $m = bad_session($s, undef, 'trust-v6');
	all_taken($s, $m, 'trust-v6', 'list trust ::/112, client ::1');
	my ($l) = log_has($s, qr/ ::1: accept check=trust /);
	like($l // '', qr/rules\.\d+\.src:2 cmd=CONNECT$/, 'IPv6: the trust rule is named');
	stop($s);
	$rules = cdb("list rcpt_domain example.test\nlist trust 2001:db8::/32\n");
	$s = start_tcpserver(ip => '::1', rules => $rules);
	$m = bad_session($s, undef, 'trust-v6-other');
	refused($m, 'IPv6 ::1 outside 2001:db8::/32');
	stop($s);
}

# --- trust_exec: trusted clients are handed to the MTA child ---------------------------
{
	my $tr = tcprules_cdb("127.0.0.5:allow,RELAYCLIENT=\"\"\n:allow\n");
	my $rules = cdb("list rcpt_domain example.test\nlist trust 127.0.0.7\n");
	my $s = start_tcpserver(ip => $IP, rules => $rules,
	    tcpserver => ['-x', $tr], env => { SMTPFRONT_TRUST_EXEC => 'yes' });
	my $m = bad_session($s, '127.0.0.5', 'exec-relay');
	like($m->{banner}{last}, qr/^220 sink\.test /,
	    'trust_exec, RELAYCLIENT: the client sees the sink\'s own banner');
	reply_is($m->{eod}, '250', undef, 'trust_exec: the sink takes the message');
	is(scalar(grep { $_->{msg} =~ /^Subject: exec-relay\r$/m }
	    sink_messages($s->{sinkdir})), 1, 'trust_exec: delivered');
	my ($l) = log_has($s, qr/ 127\.0\.0\.5: exec /);
	like($l // '', qr/^smtpfront\[(\d+)\] 127\.0\.0\.5: exec rule=RELAYCLIENT child=\S+\/t\/sink$/,
	    'trust_exec: "exec" logged with the rule and the child');
	my ($pid) = ($l // '') =~ /^smtpfront\[(\d+)\]/;
	ok($pid && grep({ $_ == $pid } sink_started($s->{sinkdir})),
	    'trust_exec: the sink runs in smtpfront\'s own process (execve, no fork)');

	$m = bad_session($s, '127.0.0.7', 'exec-list');
	like($m->{banner}{last}, qr/^220 sink\.test /, 'trust_exec, list trust: the sink\'s banner');
	log_has($s, qr/ 127\.0\.0\.7: exec rule=\S+rules\.\d+\.src:2 /);

	# an untrusted client on the same server is not exec'd
	$m = bad_session($s, '127.0.0.8', 'exec-none');
	like($m->{banner}{last}, qr/^220 \Q$HOST\E /, 'trust_exec, untrusted: smtpfront\'s banner');
	refused($m, 'trust_exec, untrusted');
	summaries($s, 1);
	my @sum = log_lines($s, qr/: session /);
	is(scalar(@sum), 1, 'one session summary: the untrusted client\'s only');
	like($sum[0] // '', qr/ 127\.0\.0\.8: session /, 'the summary is the untrusted client\'s');
	is(scalar(log_lines($s, qr/ 127\.0\.0\.8: exec /)), 0, 'untrusted: no exec logged');
	is(scalar(log_lines($s, qr/ 127\.0\.0\.[57]: (?!exec|connect|warning)/)), 0,
	    'trusted and exec\'d: nothing but connect and exec logged by smtpfront');
	stop($s);
}

# --- trust_exec with a real MTA: Postfix's smtpd ----------------------------------
{
	my $pf = postfix_instance();
	my $tr = tcprules_cdb("127.0.0.5:allow,RELAYCLIENT=\"\"\n:allow\n");
	my $s = start_tcpserver(ip => $IP, rules => test_rules(),
	    child => postfix_smtpd_child($pf), tcpserver => ['-x', $tr],
	    env => { SMTPFRONT_TRUST_EXEC => 'yes' });
	for my $case (['127.0.0.5', qr/^220 \S+ ESMTP Postfix/, 'trusted: Postfix\'s own banner'],
	    ['127.0.0.2', qr/^220 \Q$HOST\E ESMTP$/, 'untrusted: smtpfront\'s banner']) {
		my ($ip, $re, $name) = @$case;
		my $c = client(server => $s, local => $ip);
		my ($b) = $c->start('client.test');
		like($b->{last}, $re, "Postfix child, $name");
		my $m = mail($c, subject => "postfix-$ip");
		# Postfix's reply to the client's DATA, or to smtpfront's BDAT
		# (it offers CHUNKING): "Ok: N bytes queued as ID"
		like($m->{eod}{last} // '', $ip eq '127.0.0.5' ?
		    qr/^250 2\.0\.0 Ok: queued as [0-9A-F]+$/ :
		    qr/^250 2\.0\.0 Ok: \d+ bytes queued as [0-9A-F]+$/,
		    "Postfix child, $ip: Postfix queues the message");
		$c->cmd('QUIT');
		$c->closed(5);
	}
	my @f = maildir_files($pf, 2, 20);
	my %subj = map { (slurp($_) // '') =~ /^Subject: (\S+)$/m ? ($1 => 1) : () } @f;
	ok($subj{'postfix-127.0.0.5'} && $subj{'postfix-127.0.0.2'},
	    'Postfix child: both messages in the Maildir');
	ok(scalar(log_lines($s, qr/ 127\.0\.0\.5: exec rule=RELAYCLIENT child=setpriv$/)),
	    'Postfix child: the trusted client was exec\'d');
	summaries($s, 1);
	is(scalar(log_lines($s, qr/: session /)), 1,
	    'Postfix child: a summary for the untrusted session only');
	stop($s);
	postfix_stop($pf);
}

done_testing();
