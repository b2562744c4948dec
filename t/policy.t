#!/usr/bin/perl
# t/policy.t: a policy server asked at each RCPT (checks/policy.c, the
# Postfix policy delegation protocol) through tcpserver with the tests'
# client and the sink as the MTA child.
#
#   postgrey from Debian, started here: the first try deferred (450
#     4.7.1 with postgrey's text), the retry after its delay delivered
#     with postgrey's X-Greylist header (PREPEND)
#   a policy server written here, answering a script of actions: the
#     request's attributes; one connection for the RCPTs of a session;
#     REJECT text, 5NN and 4NN with their texts, DEFER, WARN, PREPEND,
#     DUNNO, OK, an action not supported (passed, with a warning)
#   failures: nobody listening, a server that never answers
#     (policy_timeout), one that answers garbage, one that closes:
#     451 4.3.0 with a warning (policy_tempfail_action defer), off:
#     delivered; never a 5xx the server did not give
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use SF;
use Conn qw(:DEFAULT delivered);

my $T = SF::tmp();
my $RULES = cdb("list rcpt_domain example.test\n");

sub server {
	my ($policy, %env) = @_;
	return start_tcpserver(ip => '127.77.65.1', rules => $RULES,
	    env => { SMTPFRONT_POLICY_ACTION => 'reject',
	    SMTPFRONT_POLICY_SERVER => $policy, SMTPFRONT_POLICY_TIMEOUT => 2,
	    %env });
}

sub session {
	my ($s, @to) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	my $m = mail($c, from => 'alice@sender.test',
	    to => [@to ? @to : 'user@example.test'],
	    subject => "to $to[0]");
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

# A policy server of our own: each answer the next of @actions
# ("__silent__", "__garbage__", "__close__" misbehave); requests and
# connections recorded in $T/NAME.log.
my @fakes;
sub fake {
	my ($name, @actions) = @_;
	my $l = IO::Socket::INET->new(LocalAddr => '127.77.65.9',
	    LocalPort => 0, Listen => 16, ReuseAddr => 1) or die "listen: $!";
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		my $k = 0;
		open(my $log, '>>', "$T/$name.log") or POSIX::_exit(1);
		$log->autoflush(1);
		while (my $c = $l->accept) {
			print $log "connection\n";
			my $req = '';
			while (defined(my $line = <$c>)) {
				if ($line ne "\n") {
					$req .= $line;
					next;
				}
				print $log $req, "--\n";
				$req = '';
				my $a = $actions[$k++ % @actions];
				if ($a eq '__silent__') {
					sleep(30);
					last;
				}
				last if $a eq '__close__';
				print $c $a eq '__garbage__' ? "hello there\n\n" :
				    "action=$a\n\n";
			}
			close($c);
		}
		POSIX::_exit(0);
	}
	my $port = $l->sockport;
	close($l);
	push @fakes, $pid;
	return "inet:127.77.65.9:$port";
}

END { kill('KILL', $_) for @fakes }

# --- postgrey --------------------------------------------------------------------
{
	my $g = "$T/pg";
	mkdir($g) or die "$g: $!";
	mkdir("$g/db") or die "$g/db: $!";
	spew("$g/empty", "");
	my $port = SF::free_port('127.88.6.1');
	my $pid = SF::spawn(argv => ['/usr/sbin/postgrey',
	    "--inet=127.88.6.1:$port", "--dbdir=$g/db", '--delay=1',
	    '--user=root', '--group=root', "--pidfile=$g/pg.pid",
	    "--whitelist-clients=$g/empty", "--whitelist-recipients=$g/empty",
	    '--hostname=mx.test.invalid'], env => { PATH => $ENV{PATH} },
	    stdout => "$g/log", stderr => "$g/log");
	ok(wait_for(sub { IO::Socket::INET->new(PeerAddr => "127.88.6.1:$port") },
	    30), 'postgrey listens') or diag(slurp("$g/log"));
	my $s = server("inet:127.88.6.1:$port");
	my $m = session($s, 'grey@example.test');
	reply_is($m->{rcpt}[0], '450', '4.7.1', 'postgrey: the first try deferred');
	like($m->{rcpt}[0]{text}, qr/Greylisted, see http/, 'with postgrey\'s text');
	my ($l) = log_has($s, qr/ defer check=policy /);
	like($l // '', qr/ defer check=policy rule=SMTPFRONT_POLICY_ACTION cmd=RCPT .*reason="inet:127\.88\.6\.1:\d+: DEFER_IF_PERMIT Greylisted/,
	    'logged with the server\'s action');
	sleep(1.6);
	$m = session($s, 'grey@example.test');
	reply_is($m->{eod}, '250', undef, 'postgrey: the retry delivered');
	like(delivered($s, 'to grey@example.test'),
	    qr/^X-Greylist: delayed \d+ seconds by postgrey/m,
	    'with postgrey\'s X-Greylist header (PREPEND)');
	stop($s);
	SF::kill_pid($pid);
}

# --- every action --------------------------------------------------------------------
{
	my $srv = fake('acts', 'REJECT go away', 'DUNNO',
	    '554 5.7.1 no entry here', '451 4.7.0 later', 'DEFER come back',
	    'WARN looks odd', 'PREPEND X-Policy: checked', 'OK', 'HOLD');
	my $s = server($srv);
	my $m = session($s, 'a1@example.test', 'a2@example.test');
	reply_is($m->{rcpt}[0], '550', '5.7.1', 'REJECT: 550 5.7.1');
	is($m->{rcpt}[0]{text}, '5.7.1 go away', 'REJECT: the server\'s text');
	reply_is($m->{rcpt}[1], '250', undef, 'DUNNO: taken');
	my $log = slurp("$T/acts.log");
	is(scalar(() = $log =~ /^connection$/mg), 1,
	    'the two RCPTs of a session: one connection');
	like($log, qr/^request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=127\.0\.0\.2\nclient_name=\S+\nreverse_client_name=\S+\nhelo_name=client\.test\nsender=alice\@sender\.test\nrecipient=a1\@example\.test\nrecipient_count=0\n/m,
	    'the request\'s attributes');
	like($log, qr/^recipient=a2\@example\.test\nrecipient_count=0\n/m,
	    'the second request names the second recipient');
	$m = session($s, 'b1@example.test', 'b2@example.test', 'b3@example.test');
	reply_is($m->{rcpt}[0], '550', '5.7.1', '554 from the server: a reject');
	is($m->{rcpt}[0]{text}, '5.7.1 no entry here', '... its text, one code');
	reply_is($m->{rcpt}[1], '450', '4.7.1', '451 from the server: a defer');
	is($m->{rcpt}[1]{text}, '4.7.1 later', '... its text');
	reply_is($m->{rcpt}[2], '450', '4.7.1', 'DEFER: 450');
	$m = session($s, 'c@example.test');
	reply_is($m->{eod}, '250', undef, 'WARN: delivered');
	ok(scalar(log_lines($s, qr/warn.*check=policy.*looks odd|check=policy.*WARN looks odd/)),
	    'WARN: logged');
	$m = session($s, 'd@example.test');
	reply_is($m->{eod}, '250', undef, 'PREPEND: delivered');
	like(delivered($s, 'to d@example.test'), qr/^X-Policy: checked\r$/m,
	    'PREPEND: the header on the message');
	$m = session($s, 'e@example.test');
	reply_is($m->{eod}, '250', undef, 'OK: delivered');
	$m = session($s, 'f@example.test');
	reply_is($m->{eod}, '250', undef, 'an action not supported (HOLD): delivered');
	my ($l) = log_has($s, qr/warning: policy: .*HOLD/);
	like($l // '', qr/action not supported, passed: HOLD/, '... with a warning');
	stop($s);
}

# --- failures -------------------------------------------------------------------------
{
	my $port = SF::free_port('127.77.65.9');
	my $s = server("inet:127.77.65.9:$port");
	my $m = session($s, 'down@example.test');
	reply_is($m->{rcpt}[0], '451', '4.3.0', 'nobody listening: 451 4.3.0');
	my ($l) = log_has($s, qr/warning: policy: /);
	like($l // '', qr/Connection refused/, '... a warning says why');
	stop($s);
	$s = server("inet:127.77.65.9:$port", SMTPFRONT_POLICY_TEMPFAIL_ACTION => 'off');
	$m = session($s, 'downoff@example.test');
	reply_is($m->{eod}, '250', undef, 'policy_tempfail_action off: delivered');
	stop($s);

	$s = server(fake('silent', '__silent__'));
	my $t0 = time;
	$m = session($s, 'slow@example.test');
	reply_is($m->{rcpt}[0], '451', '4.3.0', 'a server that never answers: 451');
	ok(time - $t0 < 8, '... within policy_timeout') or diag(time - $t0);
	stop($s);

	$s = server(fake('garbage', '__garbage__'));
	$m = session($s, 'garbage@example.test');
	reply_is($m->{rcpt}[0], '451', '4.3.0', 'garbage: 451');
	($l) = log_has($s, qr/warning: policy: /);
	like($l // '', qr/no action= in the answer/, '... said so');
	stop($s);

	$s = server(fake('closing', '__close__', 'DUNNO'));
	$m = session($s, 'x1@example.test', 'x2@example.test');
	reply_is($m->{rcpt}[0], '451', '4.3.0', 'a server that closes: 451');
	reply_is($m->{rcpt}[1], '250', undef, 'the next RCPT connects again: taken');
	unlike(log_text($s), qr/check=policy .*code=5\d\d/,
	    'no 5xx the server did not give');
	stop($s);
}

done_testing();
