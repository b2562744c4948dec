#!/usr/bin/perl
# t/dkim.t: DKIM verification (checks/dkim.c, smtpfront-dkim with
# libopendkim) through tcpserver with the tests' client and the sink as
# the child; the keys served by dnsmasq, started here, the messages
# signed by a real signer (dkimsign, python3-dkim) with a 2048-bit RSA
# key (opendkim-genkey) and an Ed25519 key (dknewkey).
#
#   rsa-sha256, ed25519-sha256 and both: dkim=pass in the
#     Authentication-Results header the child gets, the result left
#   a body changed after signing: dkim=fail, delivered (the header only,
#     the default) or refused 550 5.7.20 (dkim_fail_action reject)
#   no signature: dkim=none; a revoked key: permerror
#   a DNS server that never answers: dkim=temperror, delivered, or 451
#     (dkim_temperror_action defer, never more); smtpfront-dkim missing:
#     temperror with a warning; dkim_action off: no header
#   Authentication-Results fields claiming our name removed (RFC 8601 5)
use strict;
use warnings;
use File::Copy qw(copy);
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn qw(:DEFAULT delivered);
use DNS;

my $T = SF::tmp();
my $NS = '127.53.21.1';
my $SILENT = '127.53.21.2';

# keys
my ($c, $o) = run(argv => ['opendkim-genkey', '--bits=2048',
    '--domain=signer.test', '--selector=sel1', "--directory=$T"], timeout => 60);
is($c, 0, 'opendkim-genkey: a 2048-bit RSA key') or diag($o);
($c, $o) = run(argv => ['sh', '-c', 'cd "$0" && dknewkey --ktype ed25519 ed1', $T],
    timeout => 60);
is($c, 0, 'dknewkey: an Ed25519 key') or diag($o);
my $rsa = join('', (slurp("$T/sel1.txt") // '') =~ /"([^"]*)"/g);
my $ed = slurp("$T/ed1.dns") // '';
chomp($ed);
like($rsa, qr/^v=DKIM1; h=sha256; k=rsa; p=\S{300,}$/, 'the RSA key record');
like($ed, qr/^v=DKIM1; k=ed25519; p=\S+$/, 'the Ed25519 key record');
# TXT strings of at most 255 bytes
my @parts = $rsa =~ /(.{1,250})/g;
my $ns = start_dnsmasq(ip => $NS, lines => [
    'txt-record=sel1._domainkey.signer.test,' . join(',', map { "\"$_\"" } @parts),
    "txt-record=ed1._domainkey.signer.test,\"$ed\"",
    'txt-record=rev._domainkey.signer.test,"v=DKIM1; k=rsa; p="',
]);
my $silent = start_fake_dns(ip => $SILENT, mode => 'silent');

sub sign {
	my ($msg, @args) = @_;
	my $in = spew("$T/in." . SF::seq(), $msg);
	my ($code, $out) = run(argv => ['dkimsign', @args], input => $msg,
	    timeout => 60);
	die "dkimsign @args: $out" if $code != 0;
	return $out;
}

sub message {
	my ($subject, $body) = @_;
	return crlf("From: Alice <alice\@signer.test>\nTo: user\@example.test\n" .
	    "Subject: $subject\nMessage-ID: <$subject\@signer.test>\n\n" .
	    ($body // "Hello there.\nSee you.\n"));
}

sub server {
	my (%env) = @_;
	return start_tcpserver(ip => '127.77.68.1', rules => test_rules(),
	    program => delete $env{program},
	    env => { SMTPFRONT_DKIM_ACTION => 'reject', DNSCACHEIP => $NS,
	    SMTPFRONT_DNS_TIMEOUT => 2, %env });
}

sub session {
	my ($s, $msg) = @_;
	my $cl = client(server => $s, local => '127.0.0.2');
	$cl->start('client.test');
	my $m = mail($cl, from => 'alice@signer.test',
	    to => ['user@example.test'], body => $msg);
	$cl->cmd('QUIT');
	$cl->closed(30);
	return $m;
}

# The header, unfolded.
sub ar {
	my ($msg) = @_;
	return '' unless $msg =~ /^(Authentication-Results: [^\r]*(?:\r\n[ \t][^\r]*)*)\r$/m;
	(my $h = $1) =~ s/\r\n[ \t]/ /g;
	return $h;
}

my $s = server();
my $rsamsg = sign(message('rsa'), 'sel1', 'signer.test', "$T/sel1.private");
like($rsamsg, qr/^DKIM-Signature: v=1; a=rsa-sha256;/, 'signed with rsa-sha256');
my $m = session($s, $rsamsg);
reply_is($m->{eod}, '250', undef, 'rsa-sha256: delivered');
like(ar(delivered($s, 'rsa')),
    qr/^Authentication-Results: mx\.test\.invalid; dkim=pass header\.d=signer\.test header\.s=sel1 header\.a=rsa-sha256 header\.b=\S{8}$/,
    'rsa-sha256: dkim=pass in Authentication-Results');

my $edmsg = sign(message('ed'), '--signalg', 'ed25519-sha256', 'ed1',
    'signer.test', "$T/ed1.key");
$m = session($s, $edmsg);
reply_is($m->{eod}, '250', undef, 'ed25519-sha256: delivered');
like(ar(delivered($s, 'ed')), qr/dkim=pass header\.d=signer\.test header\.s=ed1 header\.a=ed25519-sha256 /,
    'ed25519-sha256: dkim=pass');

my $both = sign(sign(message('both'), 'sel1', 'signer.test', "$T/sel1.private"),
    '--signalg', 'ed25519-sha256', 'ed1', 'signer.test', "$T/ed1.key");
$m = session($s, $both);
my $h = ar(delivered($s, 'both'));
ok($h =~ /header\.s=sel1/ && $h =~ /header\.s=ed1/ &&
    (() = $h =~ /dkim=pass/g) == 2, 'two signatures: both pass, both named')
    or diag($h);

my $relaxed = sign(message('relaxed', "Some  text\nwith   spaces \n"),
    '--hcanon', 'relaxed', '--bcanon', 'relaxed', 'sel1', 'signer.test',
    "$T/sel1.private");
$relaxed =~ s/with   spaces /with spaces/;
$m = session($s, $relaxed);
like(ar(delivered($s, 'relaxed')), qr/dkim=pass/,
    'relaxed/relaxed: blanks changed in transit still pass');

# changed after signing
(my $bad = sign(message('changed'), 'sel1', 'signer.test', "$T/sel1.private"))
    =~ s/Hello there/Hullo there/;
$m = session($s, $bad);
reply_is($m->{eod}, '250', undef, 'a changed body: delivered (the header only, by default)');
like(ar(delivered($s, 'changed')), qr/dkim=fail header\.d=signer\.test header\.s=sel1/,
    '... with dkim=fail');
ok(scalar(log_lines($s, qr/ warn check=dkim /)) == 0, '... and no refusal logged');

$m = session($s, message('unsigned'));
reply_is($m->{eod}, '250', undef, 'unsigned: delivered');
is(ar(delivered($s, 'unsigned')), 'Authentication-Results: mx.test.invalid; dkim=none',
    'unsigned: dkim=none');

$m = session($s, sign(message('revoked'), 'rev', 'signer.test', "$T/sel1.private"));
like(ar(delivered($s, 'revoked')), qr/dkim=permerror header\.d=signer\.test header\.s=rev/,
    'a revoked key (p=): dkim=permerror');
stop($s);

$s = server(SMTPFRONT_DKIM_FAIL_ACTION => 'reject');
$m = session($s, $bad);
reply_is($m->{eod}, '550', '5.7.20', 'dkim_fail_action reject: a changed body refused');
my ($l) = log_lines($s, qr/ reject check=dkim /);
like($l // '', qr/reason="dkim=fail d=signer\.test: /, '... logged with why');
$m = session($s, $rsamsg);
reply_is($m->{eod}, '250', undef, '... a good signature still delivered');
is(scalar(grep { $_->{msg} =~ /^Subject: changed\r$/m } sink_messages($s->{sinkdir})),
    0, '... and the changed one never was');
stop($s);

# the DNS does not answer
$s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_TIMEOUT => 1,
    SMTPFRONT_DNS_BUDGET => 2);
$m = session($s, $rsamsg);
reply_is($m->{eod}, '250', undef, 'keys not found in time: delivered (off)');
like(ar(delivered($s, 'rsa')), qr/dkim=temperror header\.d=signer\.test/,
    '... with dkim=temperror');
stop($s);
$s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_TIMEOUT => 1,
    SMTPFRONT_DNS_BUDGET => 2, SMTPFRONT_DKIM_TEMPERROR_ACTION => 'reject');
$m = session($s, $rsamsg);
reply_is($m->{eod}, '451', '4.7.5', 'dkim_temperror_action reject: 451, never 5xx');
stop($s);

# no smtpfront-dkim beside smtpfront
mkdir("$T/bin") or die;
copy(SF::build() . '/smtpfront', "$T/bin/smtpfront") or die;
chmod(0755, "$T/bin/smtpfront");
$s = server(program => "$T/bin/smtpfront", PATH => '/usr/bin:/bin');
$m = session($s, $rsamsg);
reply_is($m->{eod}, '250', undef, 'smtpfront-dkim missing: delivered');
like(ar(delivered($s, 'rsa')), qr/dkim=temperror$/, '... dkim=temperror');
ok(scalar(log_lines($s, qr/warning: dkim: cannot run smtpfront-dkim/)),
    '... a warning says why');
stop($s);

# a forged Authentication-Results in our name is removed, another kept
{
	$s = server();
	my $forged = crlf("Authentication-Results: mx.test.invalid; dkim=pass\n" .
	    " header.d=bank.test\nAuthentication-Results: other.test; spf=pass\n" .
	    "authentication-results:  (comment) MX.TEST.INVALID ; dmarc=pass\n") .
	    message('forged');
	$m = session($s, $forged);
	reply_is($m->{eod}, '250', undef, 'forged Authentication-Results: delivered');
	my $got = delivered($s, 'forged');
	my @ar = $got =~ /^(authentication-results:[^\r]*)/mig;
	is(scalar(@ar), 2, '... two left: ours and another host\'s') or diag(join("\n", @ar));
	like($got, qr/^Authentication-Results: other\.test; spf=pass\r$/m,
	    '... another host\'s kept');
	unlike($got, qr/bank\.test|dmarc=pass/, '... both claiming our name gone, with their continuation lines');
	is(ar($got), 'Authentication-Results: mx.test.invalid; dkim=none',
	    '... ours added');
	ok(scalar(log_lines($s, qr/ authres removed=2 authserv=mx\.test\.invalid/)),
	    '... logged');
	stop($s);
}

$s = server(SMTPFRONT_DKIM_ACTION => 'off');
$m = session($s, $rsamsg);
is(ar(delivered($s, 'rsa')), '', 'dkim_action off: no header');
stop($s);

done_testing();
