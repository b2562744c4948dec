#!/usr/bin/perl
# t/dmarc.t: DMARC (checks/dmarc.c) through tcpserver with the tests'
# client and the sink as the child, with the dkim and spf checks on;
# the records, keys and SPF served by dnsmasq, started here; messages
# signed by dkimsign (python3-dkim) with an opendkim-genkey key.
#
#   aligned DKIM (the same domain; a subdomain's From: relaxed, its record
#     found at the organisational domain): dmarc=pass; aligned SPF pass
#   not aligned under p=reject: 550 5.7.1, nothing delivered; adkim=s
#   p=quarantine: the header only, or refused (dmarc_quarantine_action);
#     p=none; sp=reject for a subdomain; no record: none; two records:
#     permerror; several From: addresses: none; DNS silent: temperror,
#     delivered; dmarc_action off: nothing
#   the one Authentication-Results header: spf, dkim, dmarc in that order
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn qw(:DEFAULT delivered);
use DNS;

my $T = SF::tmp();
my $NS = '127.53.22.1';
my $SILENT = '127.53.22.2';

my ($c, $o) = run(argv => ['opendkim-genkey', '--bits=2048',
    '--domain=signer.test', '--selector=sel1', "--directory=$T"], timeout => 60);
is($c, 0, 'opendkim-genkey: a 2048-bit RSA key') or diag($o);
my $key = join('', (slurp("$T/sel1.txt") // '') =~ /"([^"]*)"/g);
my $txt = join(',', map { "\"$_\"" } $key =~ /(.{1,250})/g);
my $ns = start_dnsmasq(ip => $NS, lines => [
    "txt-record=sel1._domainkey.signer.test,$txt",
    "txt-record=sel1._domainkey.strict.test,$txt",
    'txt-record=_dmarc.signer.test,"v=DMARC1; p=reject; rua=mailto:d@signer.test"',
    'txt-record=signer.test,"v=spf1 ip4:127.0.0.2 -all"',
    'txt-record=_dmarc.quar.test,"v=DMARC1; p=quarantine"',
    'txt-record=_dmarc.none.test,"v=DMARC1; p=none"',
    'txt-record=_dmarc.sp.test,"v=DMARC1; p=none; sp=reject"',
    'txt-record=_dmarc.strict.test,"v=DMARC1; p=reject; adkim=s"',
    'txt-record=_dmarc.dup.test,"v=DMARC1; p=reject"',
    'txt-record=_dmarc.dup.test,"v=DMARC1; p=none"',
]);
my $silent = start_fake_dns(ip => $SILENT, mode => 'silent');

sub message {
	my ($from, $subject) = @_;
	return crlf("From: $from\nTo: user\@example.test\nSubject: $subject\n" .
	    "Message-ID: <$subject\@x.test>\n\nHello.\n");
}

sub sign {
	my ($msg, $domain) = @_;
	my ($code, $out) = run(argv => ['dkimsign', 'sel1', $domain,
	    "$T/sel1.private"], input => $msg, timeout => 60);
	die "dkimsign: $out" if $code != 0;
	return $out;
}

sub server {
	my (%env) = @_;
	return start_tcpserver(ip => '127.77.69.1', rules => test_rules(),
	    env => { SMTPFRONT_DMARC_ACTION => 'reject',
	    SMTPFRONT_DKIM_ACTION => 'reject', SMTPFRONT_SPF_ACTION => 'reject',
	    SMTPFRONT_SPF_FAIL_ACTION => 'off', DNSCACHEIP => $NS,
	    SMTPFRONT_DNS_TIMEOUT => 2, %env });
}

sub session {
	my ($s, $sender, $msg) = @_;
	my $cl = client(server => $s, local => '127.0.0.2');
	$cl->start('client.test');
	my $m = mail($cl, from => $sender, to => ['user@example.test'],
	    body => $msg);
	$cl->cmd('QUIT');
	$cl->closed(30);
	return $m;
}

# The dmarc entry of the one Authentication-Results header, as "; ENTRY".
sub dmarc_ar {
	my ($msg) = @_;
	return '' unless $msg =~ /^Authentication-Results: ([^\r]*(?:\r\n[ \t][^\r]*)*)\r$/m;
	(my $h = $1) =~ s/\r\n[ \t]/ /g;
	return $h =~ /;\s*(dmarc=[^;]*?)\s*(?:;|$)/ ? "; $1" : '';
}

my $s = server();
my $m = session($s, 'bounce@other.test',
    sign(message('Alice <alice@signer.test>', 'dkim-aligned'), 'signer.test'));
reply_is($m->{eod}, '250', undef, 'DKIM aligned: delivered');
like(dmarc_ar(delivered($s, 'dkim-aligned')),
    qr/; dmarc=pass \(p=reject\) header\.from=signer\.test \(dkim aligned\)$/,
    '... dmarc=pass, by DKIM');

$m = session($s, 'bounce@other.test',
    sign(message('a@news.signer.test', 'relaxed'), 'signer.test'));
reply_is($m->{eod}, '250', undef, 'a subdomain, DKIM of the parent: delivered');
like(dmarc_ar(delivered($s, 'relaxed')), qr/dmarc=pass \(p=reject\) header\.from=news\.signer\.test/,
    '... relaxed alignment, the record found at the organisational domain');
ok(scalar(grep { /_dmarc\.news\.signer\.test/ } queries($ns)) &&
    scalar(grep { /_dmarc\.signer\.test/ } queries($ns)),
    '... both asked, the From: domain first');

$m = session($s, 'alice@signer.test',
    sign(message('alice@signer.test', 'spf-aligned'), 'signer.test'));
reply_is($m->{eod}, '250', undef, 'unsigned, SPF pass of the same domain: delivered');
like(dmarc_ar(delivered($s, 'spf-aligned')), qr/dmarc=pass .*\(dkim aligned\)$/,
    '... dmarc=pass');
like(delivered($s, 'spf-aligned'),
    qr/^Authentication-Results: mx\.test\.invalid;\r\n\tspf=pass smtp\.mailfrom=alice\@signer\.test;\r\n\tdkim=pass header\.d=signer\.test [^\r]*;\r\n\tdmarc=pass [^\r]*\r\n/m,
    'one Authentication-Results header: spf, dkim, dmarc, one entry a line');
$m = session($s, 'alice@signer.test', message('alice@signer.test', 'spf-only'));
like(dmarc_ar(delivered($s, 'spf-only')), qr/dmarc=pass .*\(spf aligned\)$/,
    'unsigned, SPF pass of the same domain: dmarc=pass, by SPF');

$m = session($s, 'bounce@other.test', message('alice@signer.test', 'forged'));
reply_is($m->{eod}, '550', '5.7.1', 'neither aligned, p=reject: refused');
my ($l) = log_lines($s, qr/ reject check=dmarc /);
like($l // '', qr/reason="dmarc=fail p=reject header\.from=signer\.test"/,
    '... logged');
is(delivered($s, 'forged'), '', '... nothing delivered');

$m = session($s, 'bounce@other.test', message('q@quar.test', 'quarantined'));
reply_is($m->{eod}, '250', undef, 'p=quarantine: delivered (the header only)');
like(dmarc_ar(delivered($s, 'quarantined')), qr/dmarc=fail \(p=quarantine\) header\.from=quar\.test$/,
    '... dmarc=fail (p=quarantine)');

$m = session($s, 'bounce@other.test', message('n@none.test', 'p-none'));
like(dmarc_ar(delivered($s, 'p-none')), qr/dmarc=fail \(p=none\)/, 'p=none: dmarc=fail, delivered');

$m = session($s, 'bounce@other.test', message('x@deep.sp.test', 'sub-policy'));
reply_is($m->{eod}, '550', '5.7.1', 'sp=reject for a subdomain: refused');

$m = session($s, 'bounce@other.test',
    sign(message('a@mail.strict.test', 'strict'), 'strict.test'));
reply_is($m->{eod}, '550', '5.7.1', 'adkim=s: the parent\'s signature does not align');

$m = session($s, 'bounce@other.test', message('a@nodmarc.test', 'no-record'));
like(dmarc_ar(delivered($s, 'no-record')), qr/dmarc=none header\.from=nodmarc\.test$/,
    'no record: dmarc=none, delivered');

$m = session($s, 'bounce@other.test', message('a@dup.test', 'dup'));
like(dmarc_ar(delivered($s, 'dup')), qr/dmarc=permerror header\.from=dup\.test$/,
    'two records: permerror, delivered');

$m = session($s, 'bounce@other.test',
    message('a@signer.test, b@other.test', 'two-from'));
like(dmarc_ar(delivered($s, 'two-from')), qr/dmarc=none \(no single From: domain\)$/,
    'two From: addresses: none');
stop($s);

$s = server(SMTPFRONT_DMARC_QUARANTINE_ACTION => 'reject');
$m = session($s, 'bounce@other.test', message('q@quar.test', 'quarantined2'));
reply_is($m->{eod}, '550', '5.7.1', 'dmarc_quarantine_action reject: refused');
stop($s);

$s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_TIMEOUT => 1,
    SMTPFRONT_DNS_BUDGET => 2, SMTPFRONT_DKIM_ACTION => 'off',
    SMTPFRONT_SPF_ACTION => 'off');
$m = session($s, 'bounce@other.test', message('alice@signer.test', 'silent'));
reply_is($m->{eod}, '250', undef, 'DNS silent: delivered (lenient)');
like(dmarc_ar(delivered($s, 'silent')), qr/dmarc=temperror header\.from=signer\.test$/,
    '... dmarc=temperror');
ok(scalar(log_lines($s, qr/warning: dmarc: _dmarc\.signer\.test: /)),
    '... a warning names the query');
stop($s);

$s = server(SMTPFRONT_DMARC_ACTION => 'off');
$m = session($s, 'bounce@other.test', message('alice@signer.test', 'off'));
reply_is($m->{eod}, '250', undef, 'dmarc_action off: delivered');
is(dmarc_ar(delivered($s, 'off')), '', '... no dmarc header');
stop($s);

done_testing();
