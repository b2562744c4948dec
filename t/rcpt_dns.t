#!/usr/bin/perl
# t/rcpt_dns.t: the recipient's domain must take mail, for a client that
# may relay (checks/rcpt_dns.c), against a real DNS server, dnsmasq on
# 127.53.23.1:53, with smtpfront under tcpserver (DNSCACHEIP pointing at
# it, RELAYCLIENT set as tcprules sets it) and the sink as the MTA child.
#
#   MX; no MX but A; no MX but AAAA: delivered.  No such domain, a name
#   with none of those records: 550 5.1.2 at that RCPT, the other
#   recipients taken; a null MX (RFC 7505): 556 5.1.10.  The three
#   queries go out at RCPT, once each, before the verdict of that RCPT.
#   Address literals are not asked about.  A client that may not relay
#   is not asked about (relay control decides).  A server that never
#   answers: lenient by default (a warning), 451 4.4.3 with
#   rcpt_dns_tempfail_action defer.  Off by default: nothing asked.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;
use DNS;

my $IP = '127.77.53.4';
my $NS = '127.53.23.1';
my $SILENT = '127.53.23.2';

start_fake_dns(ip => $SILENT, mode => 'silent');
my $ns = start_dnsmasq(ip => $NS, lines => [
    'mx-host=mx.test,mx1.mx.test,10',
    'host-record=mx1.mx.test,192.0.2.25',
    'host-record=onlya.test,192.0.2.26',
    'host-record=onlyaaaa.test,2001:db8::26',
    'txt-record=txtonly.test,"v=spf1 -all"',
    'mx-host=nullmx.test,.,0',
]);

sub server {
	my (%env) = @_;
	my $rules = cdb("list rcpt_domain example.test\n");
	return start_tcpserver(ip => $IP, rules => $rules,
	    env => { DNSCACHEIP => $NS, RELAYCLIENT => '',
	    SMTPFRONT_RCPT_DNS_ACTION => 'reject', %env });
}

sub session {
	my ($s, @to) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	my $m = mail($c, from => 'a@example.test', to => \@to,
	    subject => "to $to[0]");
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
	my $m = session($s, 'u@mx.test', 'u@onlya.test', 'u@onlyaaaa.test');
	is(join(' ', map { $_->{code} } @{$m->{rcpt}}), '250 250 250',
	    'MX, only A, only AAAA: every recipient taken');
	reply_is($m->{eod}, '250', undef, 'delivered');
	is(asked('MX mx.test') + asked('A mx.test') + asked('AAAA mx.test'), 3,
	    'MX, A and AAAA asked once each');
	$m = session($s, 'u@nosuch.test', 'u@txtonly.test', 'u@mx.test');
	reply_is($m->{rcpt}[0], '550', '5.1.2', 'no such domain: 550 5.1.2');
	reply_is($m->{rcpt}[1], '550', '5.1.2', 'no MX, no address: 550 5.1.2');
	reply_is($m->{rcpt}[2], '250', undef, 'the good recipient taken');
	reply_is($m->{eod}, '250', undef, 'and delivered');
	my ($l) = log_has($s, qr/ reject check=rcpt_dns .*nosuch/);
	like($l // '', qr/reject check=rcpt_dns rule=SMTPFRONT_RCPT_DNS_ACTION cmd=RCPT .*reason="nosuch\.test: no such domain"/,
	    'logged with the rule and why');
	$m = session($s, 'u@nullmx.test');
	reply_is($m->{rcpt}[0], '556', '5.1.10', 'a null MX: 556 5.1.10');
	$m = session($s, 'u@[192.0.2.1]', 'u@mx.test');
	reply_is($m->{rcpt}[0], '250', undef, 'an address literal: not asked');
	stop($s);
}

{
	my $s = server(RELAYCLIENT => undef);
	my $m = session($s, 'u@example.test');
	reply_is($m->{eod}, '250', undef, 'not a relay client: delivered');
	is(asked('MX example.test'), 0, 'not a relay client: nothing asked');
	$m = session($s, 'u@nosuch2.test');
	reply_is($m->{rcpt}[0], '550', '5.7.1',
	    'not a relay client, a foreign domain: relay control refuses');
	is(asked('MX nosuch2.test'), 0, 'and nothing was asked');
	stop($s);
}

{
	my $s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_TIMEOUT => 1,
	    SMTPFRONT_DNS_BUDGET => 2);
	my $m = session($s, 'u@silent.test');
	reply_is($m->{eod}, '250', undef,
	    'a server that never answers: lenient by default');
	my ($l) = log_has($s, qr/warning: rcpt_dns: /);
	like($l // '', qr/warning: rcpt_dns: MX silent\.test: (timeout|budget)/,
	    'with a warning');
	stop($s);
	$s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_TIMEOUT => 1,
	    SMTPFRONT_DNS_BUDGET => 2, SMTPFRONT_RCPT_DNS_TEMPFAIL_ACTION => 'defer');
	$m = session($s, 'u@silent.test');
	reply_is($m->{rcpt}[0], '451', '4.4.3',
	    'rcpt_dns_tempfail_action defer: 451 4.4.3');
	stop($s);
}

{
	my $s = server(SMTPFRONT_RCPT_DNS_ACTION => undef);
	my $m = session($s, 'u@nosuch3.test');
	reply_is($m->{eod}, '250', undef, 'off (the default): delivered');
	is(asked('MX nosuch3.test'), 0, 'off: nothing asked');
	stop($s);
}

done_testing();
