#!/usr/bin/perl
# t/spf.t: SPF (checks/spf.c, smtpfront-spf with libspf2) against a real
# DNS server, dnsmasq on 127.53.17.1:53, with smtpfront under tcpserver
# (DNSCACHEIP pointing at it) and the sink as the MTA child.  libspf2
# passes every client on 127.0.0.0/8 ("localhost is always allowed"), so
# the test runs in a network namespace of its own (unshare --net, as
# root) where 192.0.2.0/24 is local too: smtpfront listens on
# 192.0.2.1, the client comes from 192.0.2.10, the records name
# 192.0.2.0/24.
#
#   pass (ip4:, include:, a:, mx; the SPF record among other TXT
#     records): delivered with Received-SPF: pass first in the message
#   fail: 550 5.7.23 at RCPT (spf_fail_action reject), the header not
#     delivered; libspf2's explanation not in the reply
#   softfail: warn (delivered with X-Smtpfront-Warn); neutral and none:
#     delivered; permerror (a broken record): delivered, 550 5.7.24 with
#     spf_permerror_action reject
#   temperror (an include whose server never answers, or no answer at
#     all): delivered by default with a warning, 451 4.7.24 with
#     spf_temperror_action defer, never a 5xx
#   the null sender: the HELO's identity
#   the Received-SPF header once a transaction, whatever the recipients
#   spf_action off (the default): no helper, nothing asked
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn qw(:DEFAULT delivered);
use DNS;

# into a network namespace of our own, where 192.0.2.0/24 is local
if (!$ENV{SF_SPF_NETNS}) {
	$ENV{SF_SPF_NETNS} = 1;
	exec('unshare', '--net', '--', $^X, $0) or die "unshare: $!";
}
for my $cmd (['ip', 'link', 'set', 'lo', 'up'],
    ['ip', 'route', 'add', 'local', '192.0.2.0/24', 'dev', 'lo']) {
	system(@$cmd) == 0 or die "@$cmd: $?";
}

my $IP = '192.0.2.1';
my $CLIENT = '192.0.2.10';
my $NS = '127.53.17.1';
my $SILENT = '127.53.17.2';

start_fake_dns(ip => $SILENT, mode => 'silent');
my $ns = start_dnsmasq(ip => $NS, lines => [
    'txt-record=pass.test,"v=spf1 ip4:192.0.2.0/24 -all"',
    'txt-record=pass.test,"site-verification=abc"',
    'txt-record=incl.test,"v=spf1 include:pass.test -all"',
    'txt-record=amx.test,"v=spf1 a:mail.amx.test mx -all"',
    'address=/mail.amx.test/198.51.100.7',
    'mx-host=amx.test,mx.amx.test,10',
    'address=/mx.amx.test/192.0.2.10',
    'txt-record=fail.test,"v=spf1 ip4:198.51.100.0/24 -all exp=explain.fail.test"',
    'txt-record=explain.fail.test,"You are not %{i}, go away"',
    'txt-record=soft.test,"v=spf1 ~all"',
    'txt-record=neutral.test,"v=spf1 ?all"',
    'txt-record=perm.test,"v=spf1 bogus -all"',
    'txt-record=temp.test,"v=spf1 include:x.silent.test -all"',
    'txt-record=helo.test,"v=spf1 ip4:192.0.2.10 -all"',
    "server=/silent.test/$SILENT",
]);
my $RULES = cdb("list rcpt_domain example.test\n");

sub server {
	my (%env) = @_;
	return start_tcpserver(ip => $IP, rules => $RULES,
	    env => { DNSCACHEIP => $NS, SMTPFRONT_SPF_ACTION => 'reject',
	    SMTPFRONT_DNS_TIMEOUT => 1, %env });
}

sub session {
	my ($s, $from, %o) = @_;
	my $c = client(server => $s, local => $CLIENT);
	$c->start($o{helo} // 'client.test');
	my $m = mail($c, from => $from, subject => $o{subject} // "spf $from",
	    to => $o{to});
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

{
	my $s = server();
	for my $d ('pass.test', 'incl.test', 'amx.test') {
		my $m = session($s, "a\@$d");
		reply_is($m->{eod}, '250', undef, "$d: pass, delivered");
		like(delivered($s, "spf a\@$d"),
		    qr/\AReceived-SPF: pass \(mx\.test\.invalid: domain of \Q$d\E designates 192\.0\.2\.10 as permitted sender\) client-ip=192\.0\.2\.10; envelope-from=a\@\Q$d\E; helo=client\.test;\r\n/,
		    "$d: Received-SPF: pass, first in the message");
	}

	my $m = session($s, 'a@fail.test');
	reply_is($m->{rcpt}[0], '550', '5.7.23', 'fail: 550 5.7.23 at RCPT');
	unlike($m->{rcpt}[0]{text}, qr/go away|192\.0\.2\.10/,
	    'fail: the domain\'s explanation is not in the reply');
	my ($l) = log_has($s, qr/ reject check=spf /);
	like($l // '', qr/ reject check=spf rule=builtin cmd=RCPT .* code=550 esc=5\.7\.23 reason="fail /,
	    'fail: logged, the rule spf_fail_action\'s (its built-in default)');

	$m = session($s, 'a@soft.test', subject => 'soft');
	reply_is($m->{eod}, '250', undef, 'softfail: warn, delivered');
	my $msg = delivered($s, 'soft');
	like($msg, qr/^X-Smtpfront-Warn: .*\bspf\b/m, 'softfail: the warn header');
	like($msg, qr/^Received-SPF: softfail /m, 'softfail: Received-SPF');

	for my $d ('neutral.test', 'nonexist.test', 'perm.test') {
		$m = session($s, "a\@$d");
		reply_is($m->{eod}, '250', undef, "$d: delivered by default");
	}
	like(delivered($s, 'spf a@neutral.test'), qr/^Received-SPF: neutral /m,
	    'neutral: Received-SPF');
	like(delivered($s, 'spf a@nonexist.test'), qr/^Received-SPF: none /m,
	    'none: Received-SPF');
	like(delivered($s, 'spf a@perm.test'), qr/^Received-SPF: permerror /m,
	    'permerror: Received-SPF');

	$m = session($s, 'a@temp.test', subject => 'temp');
	reply_is($m->{eod}, '250', undef, 'temperror: delivered by default');
	like(delivered($s, 'temp'), qr/^Received-SPF: temperror /m,
	    'temperror: Received-SPF');

	$m = session($s, '', helo => 'helo.test', subject => 'null');
	reply_is($m->{eod}, '250', undef, '<>: delivered');
	like(delivered($s, 'null'),
	    qr/^Received-SPF: pass .*envelope-from=postmaster\@helo\.test;/m,
	    '<>: the HELO identity, postmaster@HELO');

	$m = session($s, 'a@pass.test', subject => 'two',
	    to => ['user@example.test', 'other@example.test']);
	reply_is($m->{eod}, '250', undef, 'two recipients: delivered');
	my @h = delivered($s, 'two') =~ /^Received-SPF:/mg;
	is(scalar(@h), 1, 'two recipients: one Received-SPF header');
	stop($s);
}

{
	my $s = server(SMTPFRONT_SPF_PERMERROR_ACTION => 'reject',
	    SMTPFRONT_SPF_TEMPERROR_ACTION => 'reject');
	my $m = session($s, 'a@perm.test');
	reply_is($m->{rcpt}[0], '550', '5.7.24',
	    'permerror with spf_permerror_action reject: 550 5.7.24');
	my ($l) = log_has($s, qr/ reject check=spf /);
	like($l // '', qr/ rule=SMTPFRONT_SPF_PERMERROR_ACTION /,
	    'permerror: the rule is the variable that set the action');
	$m = session($s, 'a@temp.test');
	reply_is($m->{rcpt}[0], '451', '4.7.24',
	    'temperror with spf_temperror_action reject: 451 4.7.24, never 5xx');
	stop($s);

	$s = server(DNSCACHEIP => $SILENT, SMTPFRONT_DNS_BUDGET => 2,
	    SMTPFRONT_SPF_TEMPERROR_ACTION => 'defer');
	$m = session($s, 'a@pass.test');
	reply_is($m->{rcpt}[0], '451', '4.7.24',
	    'no DNS answer at all: temperror, 451 4.7.24');
	stop($s);
}

{
	my $before = scalar(queries($ns));
	my $s = server(SMTPFRONT_SPF_ACTION => undef);
	my $m = session($s, 'a@fail.test', subject => 'off');
	reply_is($m->{eod}, '250', undef, 'spf_action off (the default): delivered');
	unlike(delivered($s, 'off'), qr/^Received-SPF:/m, 'off: no header');
	is(scalar(queries($ns)), $before, 'off: nothing asked');
	stop($s);
}

done_testing();
