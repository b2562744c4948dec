#!/usr/bin/perl
# t/allow_name.t: the allowlist of client names (checks/allow_name.c),
# the names fcrdns verified, against a real DNS server (dnsmasq on
# 127.53.16.1:53), smtpfront under tcpserver and the sink.
#
#   a client whose verified name is below a listed ".partner.test":
#     accepted, the sender list not consulted; relay control still applies
#   the same PTR name without the address leading back: not allowed
#   fcrdns off: no verified name, nothing allowed
#   an exact name entry; a name outside the list
#   a client a DNS list lists: allowed all the same (the allowlists by
#     name come before dnsbl)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;
use DNS;

my $IP = '127.77.53.6';
my $NS = '127.53.16.1';

start_dnsmasq(ip => $NS, lines => [
    'host-record=lists.partner.test,127.0.0.2',
    'ptr-record=3.0.0.127.in-addr.arpa,fake.partner.test',
    'host-record=mx.exact.test,127.0.0.4',
    'host-record=other.test,127.0.0.5',
    # a DNS list that lists .2 (address= makes no PTR)
    'address=/2.0.0.127.bl.test/127.0.0.2',
]);
my $RULES = cdb("list rcpt_domain example.test\nlist allow_name .partner.test\n" .
    "list allow_name mx.exact.test\nlist sender_list spam\@x.test\n");

sub server {
	my (%env) = @_;
	return start_tcpserver(ip => $IP, rules => $RULES,
	    env => { DNSCACHEIP => $NS, SMTPFRONT_FCRDNS_ACTION => 'warn',
	    %env });
}

sub session {
	my ($s, $local, %o) = @_;
	my $c = client(server => $s, local => $local);
	$c->start('client.test');
	my $m = mail($c, from => 'spam@x.test', subject => $o{subject} // 'an',
	    to => $o{to});
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

{
	my $s = server();
	my $m = session($s, '127.0.0.2', subject => 'allowed');
	reply_is($m->{eod}, '250', undef,
	    'lists.partner.test (verified): allowed, the sender list skipped');
	my ($l) = log_has($s, qr/ 127\.0\.0\.2: accept check=allow_name /);
	like($l // '', qr/ rule=\S+\.src:2 cmd=CONNECT$/,
	    'allowed: logged with the list line');
	$m = session($s, '127.0.0.2', to => ['user@elsewhere.test']);
	reply_is($m->{rcpt}[0], '550', '5.7.1',
	    'allowed: relay control still applies');
	$m = session($s, '127.0.0.3');
	reply_is($m->{rcpt}[0], '553', '5.7.1',
	    'fake.partner.test (PTR only, not verified): not allowed');
	$m = session($s, '127.0.0.4', subject => 'exact');
	reply_is($m->{eod}, '250', undef, 'mx.exact.test: allowed by its name');
	$m = session($s, '127.0.0.5');
	reply_is($m->{rcpt}[0], '553', '5.7.1', 'other.test: not listed');
	stop($s);
}

# the allowlists by name come before the DNS lists
{
	my $s = start_tcpserver(ip => $IP, rules => cdb("list rcpt_domain " .
	    "example.test\nlist allow_name .partner.test\nlist dnsbl bl.test\n"),
	    env => { DNSCACHEIP => $NS, SMTPFRONT_FCRDNS_ACTION => 'warn' });
	my $m = session($s, '127.0.0.2', subject => 'listed');
	reply_is($m->{eod}, '250', undef,
	    'lists.partner.test, listed by a DNS list: allowed all the same');
	stop($s);
	$s = start_tcpserver(ip => $IP, rules => cdb("list rcpt_domain " .
	    "example.test\nlist dnsbl bl.test\n"),
	    env => { DNSCACHEIP => $NS, SMTPFRONT_FCRDNS_ACTION => 'warn' });
	$m = session($s, '127.0.0.2');
	reply_is($m->{rcpt}[0], '554', '5.7.1',
	    'the same client without the allowlist: the DNS list refuses');
	stop($s);
}

{
	my $s = server(SMTPFRONT_FCRDNS_ACTION => 'off');
	my $m = session($s, '127.0.0.2');
	reply_is($m->{rcpt}[0], '553', '5.7.1',
	    'fcrdns off: no verified name, nothing allowed');
	stop($s);
}

done_testing();
