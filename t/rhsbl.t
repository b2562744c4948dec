#!/usr/bin/perl
# t/rhsbl.t: DNS lists by name (checks/rhsbl.c) against a real DNS
# server, dnsmasq on 127.53.15.1:53, with smtpfront under tcpserver
# (DNSCACHEIP pointing at it) and the sink as the MTA child.
#
#   the HELO name listed (rhsbl_helo): MAIL 250, decided at RCPT, 554 5.7.1 at RCPT
#     with the zone's TXT; the sender's domain listed (rhsbl_sender): 554
#     5.7.1 at RCPT; the client's verified name (fcrdns on) listed
#     (rhsbl_client); a clean session delivered; each name asked once
#   a server that never answers: lenient, a warning
#   a weight in an rhsbl list refused by the compiler
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;
use DNS;

my $IP = '127.77.53.5';
my $NS = '127.53.15.1';
my $SILENT = '127.53.15.2';
my $TXT = 'bad helo, see http://rhs.test/';

start_fake_dns(ip => $SILENT, mode => 'silent');
my $ns = start_dnsmasq(ip => $NS, lines => [
    # address=, not host-record=: no PTR for 127.0.0.2 but the client's
    'address=/bad-helo.example.test.rhs.test/127.0.0.2',
    "txt-record=bad-helo.example.test.rhs.test,\"$TXT\"",
    'address=/spammer.example.rhs.test/127.0.0.2',
    'host-record=listed-client.test,127.0.0.2',
    'address=/listed-client.test.rhs.test/127.0.0.2',
]);
my $RULES = cdb("list rcpt_domain example.test\nlist rhsbl_helo rhs.test\n" .
    "list rhsbl_sender rhs.test\nlist rhsbl_client rhs.test\n");

sub server {
	my (%env) = @_;
	return start_tcpserver(ip => $IP, rules => $RULES,
	    env => { DNSCACHEIP => $NS, %env });
}

sub session {
	my ($s, %o) = @_;
	my $c = client(server => $s, local => $o{local} // '127.0.0.3');
	$c->start($o{helo} // 'client.test');
	my $m = mail($c, from => $o{from}, subject => $o{subject} // 'rhs');
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

sub asked {
	my ($what) = @_;
	return scalar(grep { $_ eq $what } queries($ns));
}

{
	my $s = server();
	my $m = session($s, helo => 'bad-helo.example.test');
	reply_is($m->{mail}, '250', undef, 'HELO listed: MAIL 250, decided at RCPT');
	reply_is($m->{rcpt}[0], '554', '5.7.1', 'HELO listed: 554 5.7.1 at RCPT');
	is($m->{rcpt}[0]{text}, '5.7.1 Service unavailable; HELO name ' .
	    "bad-helo.example.test blocked using rhs.test: $TXT",
	    'HELO listed: the zone and its TXT');
	my ($l) = log_has($s, qr/ reject check=rhsbl .*bad-helo/);
	like($l // '', qr/ rule=\S+\.src:2 .*reason="HELO name bad-helo\.example\.test in rhs\.test=127\.0\.0\.2"/,
	    'HELO listed: logged with the list line and why');
	is(asked('A bad-helo.example.test.rhs.test'), 1, 'HELO: asked once');

	$m = session($s, from => 'a@spammer.example');
	reply_is($m->{mail}, '250', undef, 'sender listed: MAIL 250');
	reply_is($m->{rcpt}[0], '554', '5.7.1', 'sender listed: 554 5.7.1');
	is($m->{rcpt}[0]{text}, '5.7.1 Service unavailable; sender domain ' .
	    'spammer.example blocked using rhs.test',
	    'sender listed: the zone named');

	my $before = asked('A client.test.rhs.test');
	$m = session($s, from => 'a@clean.example', subject => 'clean');
	reply_is($m->{eod}, '250', undef, 'clean: delivered');
	is(asked('A clean.example.rhs.test'), 1, 'clean: the sender asked');
	is(asked('A client.test.rhs.test'), $before + 1,
	    'clean: the HELO asked, once');
	is(asked('A listed-client.test.rhs.test'), 0,
	    'fcrdns off: no client name to ask about');
	stop($s);
}

{
	my $s = server(SMTPFRONT_FCRDNS_ACTION => 'warn');
	my $m = session($s, local => '127.0.0.2');
	reply_is($m->{rcpt}[0], '554', '5.7.1',
	    'the verified client name listed: 554 5.7.1');
	like($m->{rcpt}[0]{text}, qr/client name listed-client\.test blocked using rhs\.test$/,
	    'the verified client name listed: named');
	stop($s);
}

{
	my $s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_TIMEOUT => 1);
	my $m = session($s, from => 'a@spammer.example', subject => 'silent');
	reply_is($m->{eod}, '250', undef, 'no answer: lenient by default');
	my ($l) = log_has($s, qr/warning: rhsbl: /);
	like($l // '', qr/warning: rhsbl: client\.test\.rhs\.test: timeout$/,
	    'no answer: a warning');
	stop($s);
}

{
	my $src = spew(SF::tmp() . '/bad-rhsbl.src',
	    "list rhsbl_sender rhs.test*2\n");
	my ($code, $out) = run(argv => [build() . '/smtpfront-cdb', $src,
	    SF::tmp() . '/bad-rhsbl.cdb'], timeout => 30);
	is($code, 100, 'a weight in rhsbl_sender: the compiler exits 100');
	like($out, qr/bad-rhsbl\.src:1: list rhsbl_sender takes ZONE\[=FILTER\], no weight/,
	    'a weight in rhsbl_sender: file:line and why');
}

done_testing();
