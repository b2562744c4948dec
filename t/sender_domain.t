#!/usr/bin/perl
# t/sender_domain.t: the sender's domain must take mail back
# (checks/sender_domain.c), against a real DNS server, dnsmasq on
# 127.53.13.1:53, with smtpfront under tcpserver (DNSCACHEIP pointing at
# it) and the sink as the MTA child.
#
#   sender_domain: MX; no MX but A; no MX but AAAA: pass.  No such
#     domain, a name with no records of those types: 550 5.1.8 at each
#     RCPT; a null MX (RFC 7505): 550 5.7.27.  <> and address literals are
#     not asked about.  The three queries go out at MAIL, once each.  A
#     server that never answers: lenient by default, 451 4.4.3 with
#     sender_domain_tempfail_action defer.  Off by default: nothing asked.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;
use DNS;

my $IP = '127.77.53.3';
my $NS = '127.53.13.1';
my $SILENT = '127.53.13.2';

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
	    env => { DNSCACHEIP => $NS, SMTPFRONT_SENDER_DOMAIN_ACTION =>
	    'reject', %env });
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

# --- sender_domain ----------------------------------------------------------------
{
	my $s = server();
	for my $d ('mx.test', 'onlya.test', 'onlyaaaa.test') {
		my $m = session($s, from => "a\@$d", subject => $d);
		reply_is($m->{eod}, '250', undef, "$d: delivered");
	}
	is(asked('MX mx.test') + asked('A mx.test') + asked('AAAA mx.test'), 3,
	    'MX, A and AAAA asked once each, at MAIL');
	for my $d ('nosuch.test', 'txtonly.test') {
		my $m = session($s, from => "a\@$d");
		reply_is($m->{rcpt}[0], '550', '5.1.8', "$d: 550 5.1.8 at RCPT");
		reply_is($m->{rcpt}[1], '550', '5.1.8', "$d: and at the next RCPT");
	}
	my ($l) = log_has($s, qr/ reject check=sender_domain .*nosuch/);
	like($l // '', qr/reject check=sender_domain rule=\S+ cmd=RCPT .*reason="nosuch\.test: no such domain"/,
	    'no such domain: logged with why');
	($l) = log_has($s, qr/ reject check=sender_domain .*txtonly/);
	like($l // '', qr/reason="txtonly\.test: no MX and no address"/,
	    'no MX, no address: logged with why');
	my $m = session($s, from => 'a@nullmx.test');
	reply_is($m->{rcpt}[0], '550', '5.7.27', 'null MX: 550 5.7.27');
	my $before = scalar(queries($ns));
	$m = session($s, from => '', subject => 'null sender');
	reply_is($m->{rcpt}[0], '250', undef, '<>: not asked about');
	$m = session($s, from => 'a@[192.0.2.1]', subject => 'literal');
	reply_is($m->{rcpt}[0], '250', undef, 'an address literal: passes');
	is(scalar(queries($ns)), $before, '<> and literals: nothing asked');
	stop($s);
}

# --- sender_domain: no answer; off --------------------------------------------------
{
	my $s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_TIMEOUT => 1);
	my $m = session($s, from => 'a@mx.test', subject => 'silent');
	reply_is($m->{eod}, '250', undef, 'no answer: lenient by default');
	my ($l) = log_has($s, qr/warning: sender_domain: /);
	like($l // '', qr/warning: sender_domain: MX mx\.test: timeout$/,
	    'no answer: a warning');
	stop($s);
	$s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_TIMEOUT => 1,
	    SMTPFRONT_SENDER_DOMAIN_TEMPFAIL_ACTION => 'defer');
	$m = session($s, from => 'a@mx.test');
	reply_is($m->{rcpt}[0], '451', '4.4.3',
	    'no answer, sender_domain_tempfail_action defer: 451 4.4.3');
	stop($s);

	my $before = asked('MX nosuch2.test');
	$s = server(SMTPFRONT_SENDER_DOMAIN_ACTION => undef);
	$m = session($s, from => 'a@nosuch2.test', subject => 'off');
	reply_is($m->{eod}, '250', undef, 'off (the default): delivered');
	is(asked('MX nosuch2.test'), $before, 'off: nothing asked');
	stop($s);
}

done_testing();
