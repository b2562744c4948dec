#!/usr/bin/perl
# t/dns.t: every DNS check on at once (dnsbl, fcrdns, allow_name,
# helo_dns, sender_domain, rhsbl, spf) against a DNS server that never
# answers: the session ends within dns_budget, not dns_timeout times the
# queries, with the temporary-failure behaviour configured: lenient by
# default (delivered, a warning for each check), 451 with the checks'
# tempfail actions set to defer.  And the same checks against dnsmasq
# with clean answers: delivered, no warning.  smtpfront under tcpserver,
# the sink as the child.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use SF;
use Conn;
use DNS;

my $IP = '127.77.53.8';
my $NS = '127.53.18.1';
my $SILENT = '127.53.18.2';

start_fake_dns(ip => $SILENT, mode => 'silent');
start_dnsmasq(ip => $NS, lines => [
    'host-record=client.example.org,127.0.0.2',
    'mx-host=example.org,mx.example.org,10',
    'host-record=mx.example.org,192.0.2.25',
    'txt-record=example.org,"v=spf1 ?all"',
]);
my $RULES = cdb("list rcpt_domain example.test\n" .
    join('', map { "list dnsbl bl$_.test\n" } 1 .. 3) .
    "list rhsbl_helo rhs.test\nlist rhsbl_client rhs.test\n" .
    "list rhsbl_sender rhs.test\nlist allow_name .partner.test\n");
my %ALL = (SMTPFRONT_FCRDNS_ACTION => 'reject',
    SMTPFRONT_HELO_DNS_ACTION => 'reject',
    SMTPFRONT_SENDER_DOMAIN_ACTION => 'reject',
    SMTPFRONT_SPF_ACTION => 'reject');
my @CHECKS = qw(dnsbl fcrdns helo_dns sender_domain rhsbl spf);

sub server {
	my (%env) = @_;
	return start_tcpserver(ip => $IP, rules => $RULES,
	    env => { %ALL, %env });
}

sub session {
	my ($s, $subject) = @_;
	my $t0 = time;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.example.org');
	my $m = mail($c, from => 'a@example.org', subject => $subject);
	$m->{secs} = time - $t0;
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

{
	my $s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_TIMEOUT => 30,
	    SMTPFRONT_DNS_BUDGET => 3);
	my $m = session($s, 'silent');
	reply_is($m->{eod}, '250', undef,
	    'no answer at all, every DNS check on: delivered (lenient)');
	ok($m->{secs} < 12, sprintf('the session took dns_budget (3 s) and ' .
	    'the helper\'s slack, not 30 s a query: %.1f s', $m->{secs}));
	for my $k (@CHECKS) {
		my ($l) = log_has($s, qr/warning: $k: /);
		ok(defined $l, "no answer: a warning of $k") or
		    diag(join("\n", log_lines($s)));
	}
	stop($s);

	$s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_TIMEOUT => 30,
	    SMTPFRONT_DNS_BUDGET => 3, map({ ("SMTPFRONT_\U${_}_TEMPFAIL_ACTION"
	    => 'defer') } qw(dnsbl fcrdns helo_dns sender_domain rhsbl)),
	    SMTPFRONT_SPF_TEMPERROR_ACTION => 'defer');
	$m = session($s, 'silent defer');
	ok($m->{rcpt}[0]{code} =~ /^4/, 'no answer, tempfail actions defer: ' .
	    "4xx at RCPT ($m->{rcpt}[0]{code} $m->{rcpt}[0]{text})");
	ok($m->{secs} < 12, sprintf('and within the budget: %.1f s',
	    $m->{secs}));
	stop($s);
}

{
	my $s = server(DNSCACHEIP => $NS);
	my $m = session($s, 'clean');
	reply_is($m->{eod}, '250', undef, 'clean answers: delivered');
	my @w = grep { /warning: (?!running)/ } log_lines($s);
	is(scalar(@w), 0, 'clean answers: no warning') or diag("@w");
	my @m = grep { $_->{msg} =~ /^Subject: clean\r$/m }
	    sink_messages($s->{sinkdir});
	# (libspf2 passes every loopback client: t/spf.t tests its results)
	like($m[0]{msg} // '', qr/\AX-Smtpfront-FCrDNS: pass \(client\.example\.org\)\r\nReceived-SPF: pass /,
	    'clean answers: the FCrDNS header (connect), then Received-SPF (RCPT)');
	stop($s);
}

done_testing();
