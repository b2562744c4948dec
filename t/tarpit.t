#!/usr/bin/perl
# t/tarpit.t: the tarpit (smtpfront.c tarpit()), under tcpserver with the
# sink as the MTA child.
#
# With tarpit_after N, once the session has had N recipients every
# further reply waits: tarpit_delay ms first, growing by tarpit_factor
# percent a step, up to tarpit_max ms.  Here N=2, 300 ms, 200 %, 1000 ms:
# the replies after the 2nd RCPT wait 300, 600, 1000, 1000... ms; below
# the threshold nothing waits.  With tarpit_refused the tarpit also starts
# after the first refused command.  No wait goes past the session
# ceiling (session_timeout): the session ends there with 421 4.4.2.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use SF;
use Conn;

my $IP = '127.77.3.3';
my %TARPIT = (SMTPFRONT_TARPIT_AFTER => 2, SMTPFRONT_TARPIT_DELAY => 300,
    SMTPFRONT_TARPIT_FACTOR => 200, SMTPFRONT_TARPIT_MAX => 1000);
my $FAST = 0.2;	# a reply that did not wait

sub server { return start_tcpserver(ip => $IP, rules => test_rules(), @_) }

# One assertion: the command's reply has code $code and took about $ms
# milliseconds ($ms 0: no wait at all).
sub waits {
	my ($c, $cmd, $code, $ms, $name) = @_;
	my ($r, $dt) = timed($c, $cmd, 10);
	my $ok = $r->{code} eq $code && ($ms == 0 ? $dt < $FAST :
	    $dt >= $ms / 1000 - 0.03 && $dt < $ms / 1000 + 0.35);
	ok($ok, $name) or diag(sprintf("%s: got %s after %.3f s, expected %s after %d ms",
	    $cmd, $r->{code} || 'nothing', $dt, $code, $ms));
	return $dt;
}

# --- no tarpit without tarpit_after (the default) -----------------------------
{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	# (MAIL starts the MTA child: not timed)
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'default: MAIL');
	for my $i (1 .. 8) {
		waits($c, "RCPT TO:<u$i\@example.test>", '250', 0,
		    "default (no tarpit_after): RCPT $i at once");
	}
	waits($c, 'NOOP', '250', 0, 'default: NOOP at once');
	$c->cmd('QUIT');
	stop($s);
}

# --- tarpit_after 2: growing waits after the 2nd RCPT -----------------------------
{
	my $s = server(env => \%TARPIT);
	my $c = client(server => $s, local => '127.0.0.2');
	my ($b) = $c->start('client.test');
	waits($c, 'NOOP', '250', 0, 'below the threshold: NOOP at once');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'below the threshold: MAIL');
	waits($c, 'RCPT TO:<u1@example.test>', '250', 0, 'RCPT 1 at once');
	waits($c, 'RCPT TO:<u2@example.test>', '250', 0, 'RCPT 2 at once');
	waits($c, 'RCPT TO:<u3@example.test>', '250', 300, 'RCPT 3 waits 300 ms');
	waits($c, 'RCPT TO:<u4@example.test>', '250', 600, 'RCPT 4 waits 600 ms');
	waits($c, 'RCPT TO:<u5@example.test>', '250', 1000,
	    'RCPT 5 waits 1000 ms (1200 capped by tarpit_max)');
	waits($c, 'RCPT TO:<u6@example.test>', '250', 1000, 'RCPT 6 waits 1000 ms');
	waits($c, 'NOOP', '250', 1000, 'every reply waits: NOOP 1000 ms');
	waits($c, 'RSET', '250', 1000, 'RSET 1000 ms: the tarpit is per session');
	waits($c, 'MAIL FROM:<a@b.test>', '250', 1000,
	    'next transaction: MAIL still waits');
	$c->cmd('QUIT');
	my ($sum) = summaries($s);
	like($sum // '', qr/ rcpts=6 /, 'tarpit: the recipients were all accepted');
	stop($s);
}

# --- a well-behaved client below the threshold is not slowed ---------------------
{
	my $s = server(env => \%TARPIT);
	my $t0 = time;
	my ($code, $out) = swaks(server => $s, local => '127.0.0.3',
	    args => ['--from', 'a@b.test', '--to', 'one@example.test,two@example.test',
	    '--h-Subject', 'two-rcpts']);
	my $dt = time - $t0;
	is($code, 0, 'swaks with 2 recipients: delivered') or diag($out);
	ok($dt < 2, 'swaks with 2 recipients: no tarpit wait') or diag("took $dt s");
	is(scalar(sink_messages($s->{sinkdir})), 1, 'swaks message arrives');
	stop($s);
}

# --- tarpit_refused: the first refused command starts it --------------------------
{
	my $s = server(env => { %TARPIT, SMTPFRONT_TARPIT_AFTER => 0,
	    SMTPFRONT_TARPIT_REFUSED => 'yes' });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'tarpit_refused: MAIL');
	waits($c, 'RCPT TO:<u1@example.test>', '250', 0,
	    'tarpit_refused: accepted RCPT at once');
	waits($c, 'RCPT TO:<u@elsewhere.test>', '550', 0,
	    'tarpit_refused: the refused RCPT itself at once');
	waits($c, 'RCPT TO:<u2@example.test>', '250', 300,
	    'tarpit_refused: after a refusal the next reply waits 300 ms');
	waits($c, 'NOOP', '250', 600, 'tarpit_refused: then 600 ms');
	$c->cmd('QUIT');
	stop($s);

	# the same session without tarpit_refused: no wait after the refusal
	$s = server(env => { %TARPIT, SMTPFRONT_TARPIT_AFTER => 0 });
	$c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	waits($c, 'RCPT TO:<u@elsewhere.test>', '550', 0, 'no tarpit_refused: refused RCPT');
	waits($c, 'RCPT TO:<u2@example.test>', '250', 0,
	    'no tarpit_refused: no wait after a refusal');
	waits($c, 'NOOP', '250', 0, 'no tarpit_refused: NOOP at once');
	$c->cmd('QUIT');
	stop($s);

	# tarpit_refused from the rules database, a protocol refusal starts it
	my $rules = cdb("list rcpt_domain example.test\nset tarpit_refused yes\n" .
	    "set tarpit_delay 300\nset tarpit_max 1000\n");
	$s = server(rules => $rules);
	$c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	waits($c, 'FROB', '500', 0, 'rules tarpit_refused: unknown command refused');
	waits($c, 'NOOP', '250', 300, 'rules tarpit_refused: then NOOP waits 300 ms');
	$c->cmd('QUIT');
	stop($s);
}

# --- a client gone is no longer tarpitted ---------------------------------------------
# Ten recipients sent ahead, then the client hangs up in the middle of a
# 20 s wait: the wait ends with it, and the buffered lines get no reply.
{
	my $s = server(env => { %TARPIT, SMTPFRONT_TARPIT_DELAY => 20000,
	    SMTPFRONT_TARPIT_MAX => 20000 });
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	my $t0 = time;
	send_ahead($c, 'MAIL FROM:<a@b.test>',
	    map { "RCPT TO:<u$_\@example.test>" } 1 .. 10);
	sleep(1);
	$c->close;
	my ($sum) = summaries($s, 1);
	ok(time - $t0 < 8, 'the session ends soon after the client left, ' .
	    'not after the 20 s wait') or diag(sprintf('%.1f s', time - $t0));
	ok(scalar(log_lines($s, qr/: disconnect when=tarpit$/)) == 1,
	    'logged as a disconnect in the tarpit') or diag(log_text($s));
	stop($s);
}

# --- the session ceiling bounds the tarpit -------------------------------------------
{
	my $s = server(env => { SMTPFRONT_SESSION_TIMEOUT => 10,
	    SMTPFRONT_TARPIT_AFTER => 1, SMTPFRONT_TARPIT_DELAY => 60000,
	    SMTPFRONT_TARPIT_MAX => 60000 });
	my $t0 = time;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<a@b.test>');
	my ($slow, $r, $dt);
	for my $i (1 .. 4) {
		($r, $dt) = timed($c, "RCPT TO:<u$i\@example.test>", 30);
		last if $r->{code} ne '250';
		if ($dt > 3) {
			$slow = time - $t0;
			last;
		}
	}
	ok(defined $slow && $slow >= 8.5 && $slow < 12,
	    'a 60 s tarpit wait ends at the 10 s session ceiling')
	    or diag('slow reply at ' . ($slow // 'none') . " s, last $r->{code}");
	$r = $c->reply(5) if $r->{code} eq '250';
	reply_is($r, '421', '4.4.2', 'then 421 4.4.2 at the ceiling');
	ok($c->closed(5), 'and the connection is closed');
	ok(time - $t0 < 13, 'the whole session stays within the ceiling');
	my ($l) = log_has($s, qr/: timeout check=protocol rule=session_timeout /);
	ok($l, 'the ceiling is logged') or diag(log_text($s));
	stop($s);
}

done_testing();
