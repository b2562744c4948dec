#!/usr/bin/perl
# t/log.t: smtpfront's log on stderr.  Every line carries the pid and the
# client address; each session ends with one summary line
#   session ip=IP helo=NAME tls=PROTO from=<ADDR> rcpts=N msgs=N
#       verdict=V rule=R bytes=N duration=S.mmm
# in that key order, however it ends (tls=- without STARTTLS: every
# session here is plain; t/starttls.t has the others); each refused or deferred command
# logs exactly one line naming check= and rule=.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;

my $SUMMARY = qr/^smtpfront\[PID\] (\S+): session ip=(\S+) helo=(\S+) tls=- from=<([^>]*)> rcpts=(\d+) msgs=(\d+) verdict=(\S+) rule=(\S+) bytes=(\d+) duration=D$/;

# Summary lines of a server, normalised.
sub summaries {
	my ($s, $n) = @_;
	return map { normalise($_) } wait_log($s, qr/: session /, 5, $n);
}

# --- normalise ----------------------------------------------------------------
is(normalise('smtpfront[123] 127.0.0.2: session ip=127.0.0.2 helo=a ' .
    'from=<> rcpts=0 msgs=0 verdict=none rule=- bytes=0 duration=1.234'),
    'smtpfront[PID] 127.0.0.2: session ip=127.0.0.2 helo=a from=<> ' .
    'rcpts=0 msgs=0 verdict=none rule=- bytes=0 duration=D',
    'normalise strips pid and duration');

# --- summary lines ---------------------------------------------------------------
{
	my $s = start_tcpserver(rules => test_rules());
	# 1: a delivered message.
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	$c->cmd('RCPT TO:<other@example.test>');
	$c->cmd('DATA');
	my $msg = crlf("Subject: log\n\nbody\n");
	$c->send("$msg.\r\n");
	reply_is($c->reply, '250', qr/^2\./, 'session 1: message accepted');
	$c->cmd('QUIT');
	ok($c->closed(5), 'session 1 closed');
	my @l = summaries($s, 1);
	is(scalar(@l), 1, 'session 1: one summary line');
	my @f = ($l[0] // '') =~ $SUMMARY;
	ok(@f, 'session 1: summary in the fixed key order') or diag($l[0]);
	is($f[0], '127.0.0.2', 'summary: line prefix has the client address');
	is($f[1], '127.0.0.2', 'summary: ip=');
	is($f[2], 'client.test', 'summary: helo=');
	is($f[3], 'a@b.test', 'summary: from=<>');
	is($f[4], 2, 'summary: rcpts=2');
	is($f[5], 1, 'summary: msgs=1');
	is($f[8], length($msg), 'summary: bytes= is the message size');

	# 2: EHLO and QUIT only.
	$c = client(server => $s, local => '127.0.0.3');
	$c->start('quiet.test');
	$c->cmd('QUIT');
	ok($c->closed(5), 'session 2 closed');
	@l = summaries($s, 2);
	is(scalar(@l), 2, 'session 2: one more summary line');
	@f = ($l[1] // '') =~ $SUMMARY;
	ok(@f && $f[1] eq '127.0.0.3' && $f[2] eq 'quiet.test' && $f[3] eq ''
	    && $f[4] == 0 && $f[5] == 0 && $f[8] == 0,
	    'session 2: ip, helo, empty from, no recipients, no message')
	    or diag($l[1]);

	# 3: the client hangs up in the middle of DATA.
	$c = client(server => $s, local => '127.0.0.4');
	$c->start('rude.test');
	$c->cmd('MAIL FROM:<r@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	$c->cmd('DATA');
	$c->send("Subject: cut\r\n\r\nhalf a mess");
	$c->close;
	@l = summaries($s, 3);
	is(scalar(@l), 3, 'session 3 (hang-up in DATA): one summary line');
	@f = ($l[2] // '') =~ $SUMMARY;
	ok(@f && $f[1] eq '127.0.0.4' && $f[5] == 0,
	    'session 3: summary with msgs=0') or diag($l[2]);

	# Never more than one summary per session.
	my %per_pid;
	$per_pid{$_}++ for map { /^smtpfront\[(\d+)\].*: session / ? $1 : () }
	    log_lines($s);
	is_deeply([grep { $per_pid{$_} != 1 } keys %per_pid], [],
	    'exactly one summary per smtpfront process');
	is(scalar(keys %per_pid), 3, 'three sessions, three summaries');

	my @bad = grep { !/^smtpfront\[\d+\] 127\.0\.0\.[234]: / }
	    log_lines($s, qr/^smtpfront/);
	is_deeply(\@bad, [], 'every line starts with smtpfront[pid] and the client address');
	is(scalar(grep { /message|content|body/i && /half a mess|body$/ } log_lines($s)), 0,
	    'no message content in the log');
	stop($s);
}

# --- the summary names the last refusal, whatever its kind ------------------------
# The verdict is the event of the last refusal (reject, defer, drop,
# timeout), its rule CHECK:RULE; disconnect for a client that left in
# DATA, or left with nothing refused and no message taken.
{
	my $s = start_tcpserver(rules => test_rules(),
	    env => { SINK_FAULT => 'rcpt-refuse=nobody@example.test',
	    SMTPFRONT_ERRORS_MAX => 3 });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	reply_is($c->cmd('RCPT TO:<nobody@example.test>'), '550', '5.1.1',
	    'child refusal: 550 from the child');
	$c->cmd('QUIT');
	ok($c->closed(5), 'child refusal: closed');
	my ($l) = summaries($s, 1);
	like($l // '', qr/ verdict=reject rule=child /,
	    'child refusal: the summary says reject, check child');

	$c = client(server => $s, local => '127.0.0.3');
	$c->start('client.test');
	$c->cmd('FOO') for 1 .. 3;
	reply_is($c->reply, '421', '4.7.0', 'errors_max: 421 after the third');
	ok($c->closed(5), 'errors_max: closed');
	my @l = summaries($s, 2);
	like($l[1] // '', qr/ verdict=drop rule=protocol:errors_max /,
	    'errors_max: the summary names check protocol, rule errors_max');

	$c = client(server => $s, local => '127.0.0.4');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	$c->cmd('DATA');
	$c->send("Subject: cut\r\n");
	$c->close;
	@l = summaries($s, 3);
	like($l[2] // '', qr/ verdict=disconnect rule=- /,
	    'a hang-up in DATA: verdict=disconnect rule=-');
	stop($s);
}

# --- refusals: one line each naming check= and rule= ---------------------------------
# Each case: a name, the environment, commands before the refused one,
# the refused command, the check expected in the line.
my @refusals = (
	['helo_required', {}, [], 'MAIL FROM:<a@b.test>',
	    'RCPT TO:<user@example.test>', 'helo_required'],
	['sender syntax', {}, ['EHLO client.test'], undef,
	    'MAIL FROM:<a b@c>', 'addr_syntax'],
	['recipient syntax', {}, ['EHLO client.test', 'MAIL FROM:<a@b.test>'],
	    undef, 'RCPT TO:<x y@example.test>', 'addr_syntax'],
	['declared size', { SMTPFRONT_DELAY_REJECT => 'no' },
	    ['EHLO client.test'], undef, 'MAIL FROM:<a@b.test> SIZE=999999999',
	    'size'],
	['relaying', {}, ['EHLO client.test', 'MAIL FROM:<a@b.test>'], undef,
	    'RCPT TO:<user@elsewhere.test>', 'rcpt_domain'],
	['rcpt_max', { SMTPFRONT_RCPT_MAX => 1 },
	    ['EHLO client.test', 'MAIL FROM:<a@b.test>',
	    'RCPT TO:<one@example.test>'], undef, 'RCPT TO:<two@example.test>',
	    'rcpt_max'],
);
for my $case (@refusals) {
	my ($name, $env, $before, $held, $refused, $check) = @$case;
	my $s = start_tcpserver(rules => test_rules(), env => $env);
	my $c = client(server => $s, local => '127.0.0.2');
	$c->reply;
	$c->cmd($_) for @$before;
	$c->cmd($held) if defined $held;
	my $r = $c->cmd($refused);
	ok($r->{code} =~ /^[45]/, "$name: refused ($r->{code})");
	$c->cmd('QUIT');
	$c->closed(5);
	wait_log($s, qr/: session /, 5);
	my @l = log_lines($s, qr/\bcheck=/);
	is(scalar(@l), 1, "$name: exactly one line naming a check")
	    or diag(log_text($s));
	like($l[0] // '', qr/\bcheck=\Q$check\E rule=\S+/,
	    "$name: check=$check rule=...");
	like($l[0] // '', qr/\bcode=$r->{code}\b/, "$name: the line has the code given");
	if ($r->{code} =~ /^5/) {
		my ($sum) = log_lines($s, qr/: session /);
		like($sum // '', qr/ verdict=reject rule=\Q$check\E:\S+ /,
		    "$name: the summary names the verdict and the rule");
	}
	stop($s);
}

# --- refusals that end the session -----------------------------------------------
{
	my $s = start_tcpserver(rules => test_rules(),
	    env => { SMTPFRONT_ERRORS_MAX => 2 });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('FROB1');
	$c->cmd('FROB2');
	$c->cmd('FROB3');
	ok($c->closed(5), 'errors_max: closed');
	wait_log($s, qr/: session /, 5);
	my @l = grep { !/: session / } log_lines($s, qr/ 421\b|=421\b|drop/);
	is(scalar(@l), 1, 'errors_max: one line for the 421') or diag(log_text($s));
	like($l[0] // '', qr/\bcheck=\S+ rule=\S+/, 'errors_max: it names check= and rule=');
	stop($s);

	$s = start_tcpserver(rules => test_rules());
	$c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	$c->cmd('RCPT TO:<user@example.test>');
	$c->cmd('DATA');
	$c->send("Subject: s\r\n\r\nbody\n.\nMAIL FROM:<e\@x.test>\r\n.\r\n");
	reply_is($c->reply, '421', '4.5.2', 'smuggling: 421 4.5.2');
	ok($c->closed(5), 'smuggling: closed');
	wait_log($s, qr/: session /, 5);
	# the summary names the refusal too: the lines but the summary
	@l = grep { !/: session / } log_lines($s, qr/\bcheck=|bare|smuggl/i);
	is(scalar(@l), 1, 'smuggling: one line for it') or diag(log_text($s));
	like((summaries($s, 1))[0] // "", qr/ verdict=drop rule=protocol:bare_lf_data /,
	    'smuggling: the summary names the refusal');
	like($l[0] // '', qr/\bcheck=\S+ rule=\S+/, 'smuggling: it names check= and rule=');
	stop($s);
}

# --- protocol errors ---------------------------------------------------------------
for my $case (['NUL', "NOOP a\0b\r\n"], ['8-bit', "NOOP caf\xe9\r\n"],
    ['bare LF', "NOOP\n"], ['line too long', 'NOOP ' . ('x' x 600) . "\r\n"]) {
	my ($name, $bytes) = @$case;
	my $s = start_tcpserver(rules => test_rules());
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->send($bytes);
	reply_is($c->reply, '500', '5.5.2', "$name: 500 5.5.2");
	$c->cmd('QUIT');
	$c->closed(5);
	wait_log($s, qr/: session /, 5);
	my @l = log_lines($s, qr/\bcheck=/);
	is(scalar(@l), 1, "$name: the refused command logs one line naming check=")
	    or diag(log_text($s));
	stop($s);
}

done_testing();
