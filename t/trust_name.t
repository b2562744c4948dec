#!/usr/bin/perl
# t/trust_name.t: trust by name (checks/trust_name.c): clients whose name,
# as fcrdns verified it, is in the list trust_name, against a real DNS
# server (dnsmasq on 127.53.19.1:53), smtpfront under tcpserver and the
# sink as the MTA child.
#
#   a verified name below a listed ".relays.test": may relay (a foreign
#     recipient delivered, RELAYCLIENT set for the child), no check
#     refuses it (the sender list, a DNS list that lists it), logged with
#     the list's line
#   the same PTR name without the address leading back: not trusted
#     (relay control, the DNS list)
#   a name outside the list; fcrdns off; a DNS server that fails:
#     nobody trusted
#   trust_exec yes: the trusted client is handed to the child (an exec
#     line, no header of ours); a client that talked during the greet
#     delay is not (its bytes were read), and is refused as an early
#     talker
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn qw(:DEFAULT delivered child_env);
use DNS;

my $IP = '127.77.53.9';
my $NS = '127.53.19.1';
my $FAILING = '127.53.19.2';

start_fake_dns(ip => $FAILING, mode => 'servfail');
start_dnsmasq(ip => $NS, lines => [
    # .2: verified, below .relays.test
    'host-record=mx.relays.test,127.0.0.2',
    # .3: a PTR name below .relays.test that does not lead back
    'ptr-record=3.0.0.127.in-addr.arpa,fake.relays.test',
    # .4: verified, not listed
    'host-record=mx.other.test,127.0.0.4',
    # the DNS list lists .2 and .3 (address= makes no PTR)
    'address=/2.0.0.127.bl.test/127.0.0.2',
    'address=/3.0.0.127.bl.test/127.0.0.2',
]);
my $RULES = cdb("list rcpt_domain example.test\n" .
    "list trust_name .relays.test\n" .
    "list sender_list spam\@x.test\nlist dnsbl bl.test\n");

sub server {
	my (%env) = @_;
	my $envfile = SF::tmp() . '/env.' . SF::seq();
	my $s = start_tcpserver(ip => $IP, rules => $RULES,
	    env => { DNSCACHEIP => $NS, SMTPFRONT_FCRDNS_ACTION => 'warn',
	    SINK_ENV_FILE => $envfile, %env });
	$s->{envfile} = $envfile;
	return $s;
}

sub session {
	my ($s, $local, %o) = @_;
	my $c = client(server => $s, local => $local);
	$c->start('client.test');
	my $m = mail($c, from => 'spam@x.test', subject => $o{subject} // 'a',
	    to => $o{to});
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

# --- trusted --------------------------------------------------------------------
{
	my $s = server();
	my $m = session($s, '127.0.0.2', subject => 'relayed',
	    to => ['user@elsewhere.test']);
	reply_is($m->{rcpt}[0], '250', undef,
	    'mx.relays.test (verified): a foreign recipient taken (relay)');
	reply_is($m->{eod}, '250', undef,
	    'trusted: delivered despite the sender list and the DNS list');
	ok(delivered($s, 'relayed') ne '', 'trusted: the message reached the child');
	like(join('', map { $_->{env} } sink_messages($s->{sinkdir})),
	    qr/<user\@elsewhere\.test>/, 'trusted: to the foreign recipient');
	my %env = child_env($s);
	ok(exists $env{RELAYCLIENT}, 'trusted: RELAYCLIENT set for the child');
	is($env{TCPREMOTEHOST}, 'mx.relays.test',
	    'trusted: the verified name is TCPREMOTEHOST');
	my ($l) = log_has($s, qr/ 127\.0\.0\.2: accept check=trust_name /);
	like($l // '', qr/ rule=\S+\.src:2 cmd=CONNECT$/,
	    'trusted: logged with the list line');
	stop($s);
}

# --- not trusted ------------------------------------------------------------------
{
	my $s = server();
	my $m = session($s, '127.0.0.3', to => ['user@elsewhere.test']);
	reply_is($m->{rcpt}[0], '550', '5.7.1',
	    'fake.relays.test (PTR only, not verified): may not relay');
	$m = session($s, '127.0.0.3');
	reply_is($m->{rcpt}[0], '554', '5.7.1',
	    'fake.relays.test: the DNS list refuses it');
	$m = session($s, '127.0.0.4', to => ['user@elsewhere.test']);
	reply_is($m->{rcpt}[0], '550', '5.7.1',
	    'mx.other.test (verified, not listed): may not relay');
	$m = session($s, '127.0.0.4');
	reply_is($m->{rcpt}[0], '553', '5.7.1',
	    'mx.other.test: the sender list refuses it');
	my %env = child_env($s);
	ok(!exists $env{RELAYCLIENT}, 'not trusted: no child started, none set');
	stop($s);

	$s = server(SMTPFRONT_FCRDNS_ACTION => 'off');
	$m = session($s, '127.0.0.2', to => ['user@elsewhere.test']);
	reply_is($m->{rcpt}[0], '550', '5.7.1',
	    'fcrdns off: no verified name, nobody trusted: may not relay');
	$m = session($s, '127.0.0.2');
	reply_is($m->{rcpt}[0], '554', '5.7.1',
	    'fcrdns off: the DNS list refuses it');
	stop($s);
}

# --- the DNS server fails: no verified name, nobody trusted ----------------------
{
	my $s = server(DNSCACHEIP => $FAILING);
	my $m = session($s, '127.0.0.2', to => ['user@elsewhere.test']);
	reply_is($m->{rcpt}[0], '550', '5.7.1',
	    'DNS server failing: mx.relays.test not verified, may not relay');
	$m = session($s, '127.0.0.2');
	reply_is($m->{rcpt}[0], '553', '5.7.1',
	    'DNS server failing: not trusted, the sender list applies');
	my ($l) = log_has($s, qr/warning: fcrdns: /);
	like($l // '', qr/servfail/, 'DNS server failing: a warning says why');
	ok(!log_has($s, qr/ check=trust_name /, 1),
	    'DNS server failing: trust_name decided nothing');
	stop($s);
}

# --- trust_exec -----------------------------------------------------------------
{
	my $s = server(SMTPFRONT_TRUST_EXEC => 'yes');
	my $m = session($s, '127.0.0.2', subject => 'exec',
	    to => ['user@elsewhere.test']);
	reply_is($m->{eod}, '250', undef, 'trust_exec: delivered');
	my $d = delivered($s, 'exec');
	unlike($d ne '' ? $d : 'X-Smtpfront-', qr/^X-Smtpfront-/m,
	    'trust_exec: the child talked to the client (no header of ours)');
	my ($l) = log_has($s, qr/ exec rule=/);
	like($l // '', qr/ exec rule=\S+\.src:2 child=\S*sink$/,
	    'trust_exec: the exec logged with the list line');
	stop($s);

	# a client that talks before the greeting: its bytes are ours now
	$s = server(SMTPFRONT_TRUST_EXEC => 'yes', SMTPFRONT_GREET_DELAY => 1);
	my $c = client(server => $s, local => '127.0.0.2');
	$c->send("EHLO client.test\r\n");
	my $r = $c->reply;
	ok($r && $r->{code} =~ /^[45]/,
	    'an early talker trusted by name is not handed over: refused');
	($l) = log_has($s, qr/ check=earlytalker /);
	ok($l, 'the early talker logged as one');
	ok(!log_has($s, qr/ exec rule=/, 1), 'and no exec');
	$c->close;
	stop($s);
}

done_testing();
