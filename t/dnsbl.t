#!/usr/bin/perl
# t/dnsbl.t: DNS lists by client address (checks/dnsbl.c) against a real
# DNS server, dnsmasq on 127.53.10.1:53, serving the test zones; smtpfront
# under tcpserver with DNSCACHEIP pointing at it, the sink as the child.
#
#   listed, with the zone's TXT in the reply; clean; each name asked once;
#   an IPv6 client (nibbles)
#   weights, answer filters and the threshold
#   an allowlist zone (negative weight) bypassing the later checks
#   127.255.255.254 (the list refuses our queries): no listing, a warning
#   a zone whose server never answers, one that answers SERVFAIL: the
#     session goes on after dns_timeout, or at once on the SERVFAIL
#     (lenient by default; 451 4.4.3 with dnsbl_tempfail_action defer),
#     and dns_budget bounds the wait
#   a malformed answer (a compressed name that points at itself)
#   two sessions ask with different query IDs and ports
#   RBLSMTPD="" (rblsmtpd's exemption): nothing asked
#   warn mode; the dry run (smtpfront -n); a bad entry refused by the
#   compiler with file:line
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use SF;
use Conn;
use DNS;

my $IP = '127.77.53.1';
my $NS = '127.53.10.1';
my $SILENT = '127.53.10.2';
my $SERVFAIL = '127.53.10.3';
my $BAD = '127.53.10.4';
my $TXT = 'Listed in bl.test, see http://bl.test/?127.0.0.2';

start_fake_dns(ip => $SILENT, mode => 'silent');
start_fake_dns(ip => $SERVFAIL, mode => 'servfail');
my $bad = start_fake_dns(ip => $BAD, mode => 'malformed');
my $ns = start_dnsmasq(ip => $NS, lines => [
    'host-record=2.0.0.127.bl.test,127.0.0.2',
    "txt-record=2.0.0.127.bl.test,\"$TXT\"",
    'host-record=4.0.0.127.bl.test,127.0.0.4',
    'host-record=5.0.0.127.bl.test,127.0.0.5',
    'host-record=4.0.0.127.bl2.test,127.0.0.20',
    'host-record=5.0.0.127.bl2.test,127.0.0.5',
    'host-record=6.0.0.127.wl.test,127.0.0.6',
    'host-record=7.0.0.127.ref.test,127.255.255.254',
    # ::1 in nibbles, reversed
    'address=/1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.test/127.0.0.2',
    "server=/silent.test/$SILENT",
    "server=/servfail.test/$SERVFAIL",
]);

sub server {
	my ($src, %env) = @_;
	my $rules = cdb("list rcpt_domain example.test\n$src");
	return start_tcpserver(ip => $IP, rules => $rules,
	    env => { DNSCACHEIP => $NS, %env });
}

# EHLO, one message to user@example.test, QUIT; the replies, and the
# seconds from the connection to the RCPT reply.
sub session {
	my ($s, $local, %o) = @_;
	my $t0 = time;
	my $c = client(server => $s, local => $local);
	my ($b) = $c->start('client.test');
	my $m = mail($c, from => $o{from}, subject => $o{subject} // 'dnsbl');
	$m->{secs} = time - $t0;
	$m->{banner} = $b;
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

sub asked {
	my ($what) = @_;
	return scalar(grep { $_ eq $what } queries($ns));
}

# --- listed and clean ----------------------------------------------------------
{
	my $s = server("list dnsbl bl.test\n");
	my $m = session($s, '127.0.0.2');
	reply_is($m->{banner}, '220', undef, 'listed: the banner as usual');
	reply_is($m->{rcpt}[0], '554', '5.7.1', 'listed: 554 5.7.1 at RCPT');
	is($m->{rcpt}[0]{text}, "5.7.1 Service unavailable; client " .
	    "[127.0.0.2] blocked using bl.test: $TXT",
	    'listed: the zone and its TXT in the reply');
	my ($l) = log_has($s, qr/ 127\.0\.0\.2: reject check=dnsbl /);
	like($l // '', qr/: reject check=dnsbl rule=\S+\.src:2 cmd=RCPT .* code=554 esc=5\.7\.1/,
	    'listed: logged with the list entry\'s line');
	is(asked('A 2.0.0.127.bl.test'), 1, 'listed: A asked once');
	is(asked('TXT 2.0.0.127.bl.test'), 1, 'listed: TXT asked once');

	$m = session($s, '127.0.0.3', subject => 'clean');
	reply_is($m->{eod}, '250', undef, 'clean: delivered');
	is(asked('A 3.0.0.127.bl.test'), 1, 'clean: A asked once');
	is(asked('TXT 3.0.0.127.bl.test'), 0, 'clean: no TXT asked');
	my @w = grep { /warning: dnsbl/ } log_lines($s);
	is(scalar(@w), 0, 'no warning') or diag(join("\n", @w));
	stop($s);
}

# --- an IPv6 client: the address in nibbles ------------------------------------
{
	my $rules = cdb("list rcpt_domain example.test\nlist dnsbl bl.test\n");
	# (tcpserver listens on ::1: see t/start.t)
	my $s = start_tcpserver(ip => '::1', rules => $rules,
	    env => { DNSCACHEIP => $NS });
	my $c = client(server => $s);
	$c->start('client.test');
	my $m = mail($c);
	$c->cmd('QUIT');
	reply_is($m->{rcpt}[0], '554', '5.7.1', 'IPv6 ::1 listed: 554 5.7.1');
	like($m->{rcpt}[0]{text}, qr/client \[::1\] blocked using bl\.test$/,
	    'IPv6 ::1 listed: named in the reply');
	is(asked('A 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.test'), 1, 'IPv6: asked in nibbles, once');
	stop($s);
}

# --- weights, filters, the threshold -------------------------------------------
{
	my $s = server("set dnsbl_threshold 3\nlist dnsbl bl.test*2\n" .
	    "list dnsbl bl2.test=127.0.0.[2..11]\n");
	my $m = session($s, '127.0.0.4', subject => 'score2');
	reply_is($m->{eod}, '250', undef,
	    'score 2 (127.0.0.20 outside bl2.test\'s filter): delivered');
	$m = session($s, '127.0.0.5');
	reply_is($m->{rcpt}[0], '554', '5.7.1', 'score 3: refused');
	is($m->{rcpt}[0]{text}, '5.7.1 Service unavailable; client ' .
	    '[127.0.0.5] blocked using bl.test',
	    'score 3: the heaviest zone named, no TXT there');
	my ($l) = log_has($s, qr/ 127\.0\.0\.5: reject check=dnsbl /);
	like($l // '', qr/ rule=\S+\.src:3 /, 'score 3: the heaviest zone\'s line');
	stop($s);
}

# --- an allowlist ----------------------------------------------------------------
{
	my $s = server("set dnsbl_allow_threshold 5\nlist dnsbl wl.test*-5\n" .
	    "list dnsbl bl.test\nlist sender_list spam\@example.org\n");
	my $m = session($s, '127.0.0.6', from => 'spam@example.org',
	    subject => 'allowed');
	reply_is($m->{eod}, '250', undef,
	    'allowlisted: accepted, the sender list not consulted');
	my ($l) = log_has($s, qr/ 127\.0\.0\.6: accept check=dnsbl /);
	like($l // '', qr/ rule=\S+\.src:3 /, 'allowlisted: logged with its line');
	$m = session($s, '127.0.0.3', from => 'spam@example.org');
	reply_is($m->{rcpt}[0], '553', '5.7.1',
	    'not allowlisted: the sender list refuses');
	stop($s);
}

# --- the refusal code ---------------------------------------------------------------
{
	my $s = server("list dnsbl ref.test\n");
	my $m = session($s, '127.0.0.7', subject => 'refcode');
	reply_is($m->{eod}, '250', undef, '127.255.255.254: no listing');
	my ($l) = log_has($s, qr/warning: dnsbl: /);
	like($l // '', qr/warning: dnsbl: ref\.test refuses our queries \(127\.255\.255\.254\): counted as failed/,
	    '127.255.255.254: a loud warning');
	stop($s);
}

# --- a server that never answers, one that fails -----------------------------------
# silent: the session goes on after dns_timeout (1 s); SERVFAIL: at once,
# long before dns_timeout (30 s)
for my $zone ('silent.test', 'servfail.test') {
	my ($timeout, $why) = $zone eq 'silent.test' ? (1, 'timeout') :
	    (30, 'servfail');
	my $s = server("set dns_timeout $timeout\nlist dnsbl $zone\n");
	my $m = session($s, '127.0.0.3', subject => $zone);
	reply_is($m->{eod}, '250', undef, "$zone: lenient by default, delivered");
	ok($m->{secs} < 8, "$zone: the session went on, after $why " .
	    sprintf('(%.1f s)', $m->{secs}));
	my ($l) = log_has($s, qr/warning: dnsbl: /);
	like($l // '', qr/warning: dnsbl: \Q$zone\E: $why/,
	    "$zone: a warning naming the zone and $why");
	stop($s);

	$s = server("set dns_timeout $timeout\nlist dnsbl $zone\n",
	    SMTPFRONT_DNSBL_TEMPFAIL_ACTION => 'defer');
	$m = session($s, '127.0.0.3');
	reply_is($m->{rcpt}[0], '451', '4.4.3',
	    "$zone: dnsbl_tempfail_action defer: 451 4.4.3");
	stop($s);
}

# --- the budget ------------------------------------------------------------------------
{
	my $s = server("set dns_timeout 30\nset dns_budget 2\n" .
	    "list dnsbl silent.test\nlist dnsbl a.silent.test\n");
	my $m = session($s, '127.0.0.3', subject => 'budget');
	reply_is($m->{eod}, '250', undef, 'budget spent: delivered');
	ok($m->{secs} < 10, sprintf('budget spent: the session went on ' .
	    'after dns_budget, not dns_timeout (%.1f s)', $m->{secs}));
	my ($l) = log_has($s, qr/warning: dnsbl: /);
	like($l // '', qr/silent\.test: budget/, 'budget spent: said so');
	stop($s);
}

# --- a malformed answer; query IDs and ports ----------------------------------------------
{
	my $s = server("set dns_timeout 2\nlist dnsbl bl.test\n",
	    DNSCACHEIP => $BAD);
	my $m = session($s, '127.0.0.2', subject => 'malformed');
	reply_is($m->{eod}, '250', undef, 'malformed answer: no listing');
	my ($l) = log_has($s, qr/warning: dnsbl: /);
	like($l // '', qr/bl\.test: malformed/, 'malformed answer: said so');
	session($s, '127.0.0.2', subject => 'malformed2');
	my @q = fake_queries($bad);
	ok(@q >= 2, 'two sessions asked') or diag(scalar(@q));
	ok(@q >= 2 && $q[0][0] != $q[-1][0], 'two sessions: query IDs differ');
	ok(@q >= 2 && $q[0][1] != $q[-1][1], 'two sessions: ports differ');
	stop($s);
}

# --- RBLSMTPD="" exempts; warn mode ------------------------------------------------------
{
	my $before = asked('A 2.0.0.127.bl.test');
	my $s = server("list dnsbl bl.test\n", RBLSMTPD => '');
	my $m = session($s, '127.0.0.2', subject => 'exempt');
	reply_is($m->{eod}, '250', undef, 'RBLSMTPD="": delivered');
	is(asked('A 2.0.0.127.bl.test'), $before, 'RBLSMTPD="": nothing asked');
	stop($s);

	$s = server("list dnsbl bl.test\n", SMTPFRONT_DNSBL_ACTION => 'warn');
	$m = session($s, '127.0.0.2', subject => 'warned');
	reply_is($m->{eod}, '250', undef, 'warn: delivered');
	my ($l) = log_has($s, qr/ 127\.0\.0\.2: warn check=dnsbl /);
	ok(defined $l, 'warn: logged');
	my @m = grep { $_->{msg} =~ /^Subject: warned\r$/m } sink_messages($s->{sinkdir});
	like($m[0]{msg} // '', qr/^X-Smtpfront-Warn: .*dnsbl/m,
	    'warn: the header names dnsbl');
	stop($s);
}

# --- the dry run ------------------------------------------------------------------------
{
	my $rules = cdb("list rcpt_domain example.test\nlist dnsbl bl.test\n");
	local $ENV{DNSCACHEIP} = $NS;
	my ($code, $out) = run(argv => [build() . '/smtpfront', '-n', '-r',
	    $rules, '127.0.0.2', 'client.test', 'a@b.test',
	    'user@example.test'], timeout => 30);
	is($code, 1, 'smtpfront -n: a listed client refused, exit 1');
	like($out, qr/^connect 127\.0\.0\.2: reject check=dnsbl rule=\S+:2 reply="554 5\.7\.1 Service unavailable; client \[127\.0\.0\.2\] blocked using bl\.test: \Q$TXT\E" reason="bl\.test=127\.0\.0\.2 score=1" \(held until RCPT\)$/m,
	    'smtpfront -n: the zone, its answer and TXT') or diag($out);
	($code, $out) = run(argv => [build() . '/smtpfront', '-n', '-r',
	    $rules, '127.0.0.3', 'client.test', 'a@b.test',
	    'user@example.test'], timeout => 30);
	is($code, 0, 'smtpfront -n: a clean client passes') or diag($out);
}

# --- the compiler ------------------------------------------------------------------------
{
	my $src = spew(SF::tmp() . '/bad-dnsbl.src',
	    "list dnsbl bl.test\nlist dnsbl bl.test=127.0.0.[2\n");
	my ($code, $out) = run(argv => [build() . '/smtpfront-cdb', $src,
	    SF::tmp() . '/bad-dnsbl.cdb'], timeout => 30);
	is($code, 100, 'a bad filter: the compiler exits 100');
	like($out, qr/bad-dnsbl\.src:2: list dnsbl: bad answer filter/,
	    'a bad filter: file:line and why');
}

done_testing();
