#!/usr/bin/perl
# t/helo_dns.t: the HELO/EHLO name must resolve (checks/helo_dns.c),
# against a real DNS server, dnsmasq on 127.53.14.1:53, with smtpfront
# under tcpserver (DNSCACHEIP pointing at it) and the sink as the MTA
# child.
#
#   a name with an address passes, one without is refused (held until
#     RCPT); address literals are not asked about; a server that never
#     answers: lenient by default, 451 4.4.3 with helo_dns_tempfail_action
#     defer; off by default.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;
use DNS;

my $IP = '127.77.53.4';
my $NS = '127.53.14.1';
my $SILENT = '127.53.14.2';

start_fake_dns(ip => $SILENT, mode => 'silent');
my $ns = start_dnsmasq(ip => $NS, lines => [
    'host-record=client.mx.test,127.0.0.2',
    'host-record=v6.mx.test,2001:db8::2',
]);

sub server {
	my (%env) = @_;
	my $rules = cdb("list rcpt_domain example.test\n");
	return start_tcpserver(ip => $IP, rules => $rules,
	    env => { DNSCACHEIP => $NS, SMTPFRONT_HELO_DNS_ACTION => 'reject',
	    %env });
}

sub session {
	my ($s, %o) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start($o{helo} // 'client.test');
	my $m = mail($c, from => $o{from}, subject => $o{subject} // 'sd',
	    to => ['user@example.test', 'other@example.test']);
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

sub asked {
	my ($what) = @_;
	return scalar(grep { $_ eq $what } queries($ns));
}

# --- helo_dns ---------------------------------------------------------------------------
{
	my $s = server();
	my $m = session($s, helo => 'client.mx.test', from => 'a@mx.test',
	    subject => 'helo ok');
	reply_is($m->{eod}, '250', undef, 'helo_dns: a name with an address');
	$m = session($s, helo => 'v6.mx.test', from => 'a@mx.test',
	    subject => 'helo v6');
	reply_is($m->{eod}, '250', undef, 'helo_dns: a name with an AAAA only');
	$m = session($s, helo => 'noaddr.test', from => 'a@mx.test');
	reply_is($m->{mail}, '250', undef, 'helo_dns: MAIL 250, decided at RCPT');
	reply_is($m->{rcpt}[0], '550', '5.7.1', 'helo_dns: refused at RCPT');
	my ($l) = log_has($s, qr/ reject check=helo_dns /);
	like($l // '', qr/reason="noaddr\.test: no such name"/,
	    'helo_dns: logged with why');
	$m = session($s, helo => '[127.0.0.2]', from => 'a@mx.test',
	    subject => 'helo literal');
	reply_is($m->{eod}, '250', undef, 'helo_dns: a literal is not asked');
	is(asked('A 127.0.0.2') + asked('A [127.0.0.2]'), 0,
	    'helo_dns: nothing asked for the literal');
	stop($s);
}


# --- no answer; off -----------------------------------------------------------------------
{
	my $s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_TIMEOUT => 1);
	my $m = session($s, helo => 'client.mx.test', from => 'a@mx.test',
	    subject => 'silent');
	reply_is($m->{eod}, '250', undef, 'no answer: lenient by default');
	my ($l) = log_has($s, qr/warning: helo_dns: /);
	like($l // '', qr/warning: helo_dns: A client\.mx\.test: timeout$/,
	    'no answer: a warning');
	stop($s);
	$s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_TIMEOUT => 1,
	    SMTPFRONT_HELO_DNS_TEMPFAIL_ACTION => 'defer');
	$m = session($s, helo => 'client.mx.test', from => 'a@mx.test');
	reply_is($m->{rcpt}[0], '451', '4.4.3',
	    'no answer, helo_dns_tempfail_action defer: 451 4.4.3');
	stop($s);
	my $before = asked('A noaddr2.test');
	$s = server(SMTPFRONT_HELO_DNS_ACTION => undef);
	$m = session($s, helo => 'noaddr2.test', from => 'a@mx.test',
	    subject => 'off');
	reply_is($m->{eod}, '250', undef, 'off (the default): delivered');
	is(asked('A noaddr2.test'), $before, 'off: nothing asked');
	stop($s);
}

done_testing();
