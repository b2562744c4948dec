#!/usr/bin/perl
# t/fcrdns.t: forward-confirmed reverse DNS (checks/fcrdns.c) against a
# real DNS server, dnsmasq on 127.53.12.1:53, with smtpfront under
# tcpserver (DNSCACHEIP pointing at it) and the sink as the MTA child.
#
#   a PTR name that resolves back: pass, the header, TCPREMOTEHOST for
#     the child (tcpserver -H sets none; otherwise none without a verified
#     name)
#   a PTR name without addresses, one that resolves elsewhere, no PTR:
#     warn (the built-in default) delivers with the header and
#     X-Smtpfront-Warn; reject refuses with 550 5.7.25
#   several PTR names, the second leading back: verified
#   a server that never answers: a warning, lenient by default; 451
#     4.7.25 with fcrdns_tempfail_action defer (and fcrdns_action reject:
#     under warn nothing is refused)
#   a server that answers SERVFAIL or REFUSED: temperror at once, not at
#     dns_timeout
#   fcrdns_action off: nothing asked
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn qw(:DEFAULT delivered child_env);
use DNS;
use Time::HiRes qw(time);

my $IP = '127.77.53.2';
my $NS = '127.53.12.1';
my $SILENT = '127.53.12.2';

start_fake_dns(ip => $SILENT, mode => 'silent');
my %FAILING = (servfail => '127.53.12.3', refused => '127.53.12.4');
start_fake_dns(ip => $FAILING{$_}, mode => $_) for keys %FAILING;
my $ns = start_dnsmasq(ip => $NS, lines => [
    # .2: PTR and A agree
    'host-record=mail.example.test,127.0.0.2',
    # .3: a PTR name with no address
    'ptr-record=3.0.0.127.in-addr.arpa,noaddr.example.test',
    # .5: a PTR name whose address is another
    'ptr-record=5.0.0.127.in-addr.arpa,elsewhere.example.test',
    'host-record=elsewhere.example.test,127.0.0.99',
    # .6: two PTR names, the second leads back
    'ptr-record=6.0.0.127.in-addr.arpa,first.example.test',
    'ptr-record=6.0.0.127.in-addr.arpa,second.example.test',
    'host-record=first.example.test,127.0.0.98',
    'address=/second.example.test/127.0.0.6',
]);
# .4: no PTR at all

sub server {
	my (%env) = @_;
	my $rules = cdb("list rcpt_domain example.test\n");
	my $envfile = SF::tmp() . '/env.' . SF::seq();
	my $s = start_tcpserver(ip => $IP, rules => $rules,
	    env => { DNSCACHEIP => $NS, SINK_ENV_FILE => $envfile,
	    %env });
	$s->{envfile} = $envfile;
	return $s;
}

sub session {
	my ($s, $local, $subject) = @_;
	my $c = client(server => $s, local => $local);
	$c->start('client.test');
	my $m = mail($c, subject => $subject);
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

# --- verified ---------------------------------------------------------------------
{
	my $s = server(SMTPFRONT_FCRDNS_ACTION => 'warn');
	my $m = session($s, '127.0.0.2', 'verified');
	reply_is($m->{eod}, '250', undef, 'verified: delivered');
	my $msg = delivered($s, 'verified');
	like($msg, qr/^X-Smtpfront-FCrDNS: pass \(mail\.example\.test\)\r$/m,
	    'verified: the header names the name');
	unlike($msg, qr/^X-Smtpfront-Warn:/m, 'verified: no warn header');
	my %env = child_env($s);
	is($env{TCPREMOTEHOST}, 'mail.example.test',
	    'verified: TCPREMOTEHOST for the child is the verified name');
	my @q = grep { /example\.test|in-addr/ } queries($ns);
	is_deeply(\@q, ['PTR 2.0.0.127.in-addr.arpa', 'A mail.example.test'],
	    'verified: PTR, then A, each once');
	stop($s);
}

# --- the hits, under warn (the default) and reject ------------------------------------
my %why = ('127.0.0.3' => 'noaddr\.example\.test does not resolve to 127\.0\.0\.3',
    '127.0.0.4' => 'no PTR for 127\.0\.0\.4',
    '127.0.0.5' => 'elsewhere\.example\.test does not resolve to 127\.0\.0\.5');
for my $ip (sort keys %why) {
	# undef: no setting at all, the built-in default (t/lib/SF.pm sets
	# off for the tests that are not about DNS)
	my $s = server(SMTPFRONT_FCRDNS_ACTION => undef);
	my $m = session($s, $ip, "warn $ip");
	reply_is($m->{eod}, '250', undef, "$ip: warn: delivered");
	my $msg = delivered($s, "warn $ip");
	like($msg, qr/^X-Smtpfront-FCrDNS: fail \($why{$ip}\)\r$/m,
	    "$ip: the header says why");
	like($msg, qr/^X-Smtpfront-Warn: .*\bfcrdns\b/m,
	    "$ip: the warn header names fcrdns");
	my %env = child_env($s);
	ok(!defined $env{TCPREMOTEHOST},
	    "$ip: no TCPREMOTEHOST for the child (tcpserver -H set none)");
	my ($l) = log_has($s, qr/ \Q$ip\E: warn check=fcrdns /);
	like($l // '', qr/reason="$why{$ip}"/, "$ip: logged as warn with why");
	stop($s);

	$s = server(SMTPFRONT_FCRDNS_ACTION => 'reject');
	$m = session($s, $ip, "reject $ip");
	reply_is($m->{rcpt}[0], '550', '5.7.25',
	    "$ip: fcrdns_action reject: 550 5.7.25 at RCPT");
	stop($s);
}

# --- several names ------------------------------------------------------------------------
{
	my $s = server(SMTPFRONT_FCRDNS_ACTION => 'reject');
	my $m = session($s, '127.0.0.6', 'two names');
	reply_is($m->{eod}, '250', undef, 'two PTR names, the second leads back');
	like(delivered($s, 'two names'),
	    qr/^X-Smtpfront-FCrDNS: pass \(second\.example\.test\)\r$/m,
	    'two PTR names: the verified one named');
	stop($s);
}

# --- no answer ----------------------------------------------------------------------------
{
	my $s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_TIMEOUT => 1,
	    SMTPFRONT_FCRDNS_ACTION => 'reject');
	my $m = session($s, '127.0.0.2', 'silent');
	reply_is($m->{eod}, '250', undef, 'no answer: lenient by default');
	like(delivered($s, 'silent'),
	    qr/^X-Smtpfront-FCrDNS: temperror \(PTR 2\.0\.0\.127\.in-addr\.arpa: timeout\)\r$/m,
	    'no answer: the header says temperror');
	my ($l) = log_has($s, qr/warning: fcrdns: /);
	like($l // '', qr/warning: fcrdns: PTR 2\.0\.0\.127\.in-addr\.arpa: timeout$/,
	    'no answer: a warning');
	stop($s);

	$s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_TIMEOUT => 1,
	    SMTPFRONT_FCRDNS_ACTION => 'reject',
	    SMTPFRONT_FCRDNS_TEMPFAIL_ACTION => 'defer');
	$m = session($s, '127.0.0.2', 'silent defer');
	reply_is($m->{rcpt}[0], '451', '4.7.25',
	    'no answer, fcrdns_tempfail_action defer: 451 4.7.25');
	stop($s);
}

# --- a server that fails: at once, not at dns_timeout -----------------------------------
for my $mode ('servfail', 'refused') {
	my $s = server(DNSCACHEIP => $FAILING{$mode}, SMTPFRONT_DNS_TIMEOUT => 30,
	    SMTPFRONT_FCRDNS_ACTION => 'reject');
	my $t0 = time;
	my $m = session($s, '127.0.0.2', "answers $mode");
	my $secs = time - $t0;
	reply_is($m->{eod}, '250', undef, "$mode: lenient by default");
	ok($secs < 10, sprintf("$mode: the session did not wait " .
	    'dns_timeout (30 s): %.1f s', $secs));
	like(delivered($s, "answers $mode"),
	    qr/^X-Smtpfront-FCrDNS: temperror \(PTR 2\.0\.0\.127\.in-addr\.arpa: $mode\)\r$/m,
	    "$mode: the header says temperror, $mode");
	stop($s);
}

# --- off ------------------------------------------------------------------------------------
{
	my $before = grep { /^PTR 2\.0\.0\.127/ } queries($ns);
	my $s = server(SMTPFRONT_FCRDNS_ACTION => 'off');
	my $m = session($s, '127.0.0.2', 'off');
	reply_is($m->{eod}, '250', undef, 'off: delivered');
	unlike(delivered($s, 'off'), qr/^X-Smtpfront-FCrDNS:/m, 'off: no header');
	is(scalar(grep { /^PTR 2\.0\.0\.127/ } queries($ns)), $before,
	    'off: nothing asked');
	stop($s);
}

done_testing();
