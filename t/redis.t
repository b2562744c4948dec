#!/usr/bin/perl
# t/redis.t: the store on a real redis-server (store_redis.c), started
# here on a loopback address with a password, shared by several
# smtpfront hosts (tcpservers on addresses of their own) as MX hosts
# share it; the sink is the MTA child.
#
#   greylisting across hosts: a first try at one host, the retry at the
#     other passes after the delay, the first then knows the triplet;
#     the key in Redis expires with its record (TTL)
#   traps across hosts: the trap listener records, another host refuses;
#     smtpfront-store untrap on Redis lets the client through
#   50 concurrent sessions on one triplet through two hosts: no lost
#     update (WATCH/MULTI/EXEC retried), one key
#   a wrong password: 451 4.3.0 and a warning naming Redis's refusal
#   redis+unix:// with ?db=: the key in that database
#   Redis stopped (SIGSTOP) mid-session: the next RCPT 451 4.3.0 within
#     store_timeout, the warning says it timed out; Redis killed
#     mid-session: the recipient accepted before is delivered, a new
#     triplet gets 451 4.3.0, the next session passes the trap (fails
#     open) and is greylisted 451 4.3.0 (fails closed); never a 5xx,
#     never a lost accepted message
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use SF;
use Conn qw(:DEFAULT delivered);
use SFRedis;

my $T = SF::tmp();
my $RULES = cdb("list rcpt_domain example.test\n");
my $TOOL = build() . '/smtpfront-store';
my $redis = start_redis(ip => '127.77.62.9', password => 's3cret',
    socket => "$T/redis.sock");
my $URL = $redis->{url};

sub server {
	my ($ip, %env) = @_;
	return start_tcpserver(ip => $ip, rules => $RULES,
	    env => { SMTPFRONT_GREYLIST_ACTION => 'defer',
	    SMTPFRONT_GREYLIST_DELAY => 2, SMTPFRONT_GREYLIST_WINDOW => 60,
	    SMTPFRONT_GREYLIST_NET_PASSES => 0, SMTPFRONT_STORE => $URL,
	    %env });
}

sub session {
	my ($s, %o) = @_;
	my $c = client(server => $s, local => $o{local} // '127.0.0.2');
	my ($b) = $c->start('client.test');
	my $m = { banner => $b };
	if (($b->{code} // '') eq '220') {
		$m = mail($c, from => $o{from} // 'alice@sender.test',
		    to => [$o{to} // 'user@example.test'],
		    subject => $o{subject} // 'redis');
		$m->{banner} = $b;
		$c->cmd('QUIT');
	}
	$c->closed(5);
	return $m;
}

sub tool {
	my ($store, @args) = @_;
	return run(argv => [$TOOL, '-f', $store, @args], timeout => 30);
}

# --- greylisting across two hosts --------------------------------------------------
{
	my $a = server('127.77.62.1');
	my $b = server('127.77.62.2');
	my $m = session($a);
	reply_is($m->{rcpt}[0], '451', '4.7.1', 'host A: first try 451 4.7.1');
	$m = session($b);
	reply_is($m->{rcpt}[0], '451', '4.7.1', 'host B at once: 451');
	my ($l) = log_has($b, qr/ defer check=greylist /);
	like($l // '', qr/reason="too early /,
	    'host B knows host A\'s triplet: too early, not a first try');
	sleep(2.2);
	$m = session($b, subject => 'passed at B');
	reply_is($m->{eod}, '250', undef, 'the retry at host B: delivered');
	like(delivered($b, 'passed at B'), qr/^X-Smtpfront-Greylist: passed after \d+ seconds\r$/m,
	    'with X-Smtpfront-Greylist');
	$m = session($a, subject => 'known at A');
	reply_is($m->{eod}, '250', undef, 'host A then knows it: delivered at once');
	unlike(delivered($a, 'known at A'), qr/^X-Smtpfront-Greylist:/m,
	    'known: no header');
	my @keys = redis_cli($redis, 'KEYS', 'smtpfront:g *');
	is_deeply(\@keys, ['smtpfront:g 127.0.0.0/24 alice@sender.test user@example.test'],
	    'one triplet key in Redis');
	my ($ttl) = redis_cli($redis, 'TTL', $keys[0] // 'none');
	ok(($ttl // -1) > 3110300 && $ttl <= 3110400,
	    'its TTL is greylist_lifetime') or diag("ttl $ttl");
	my ($val) = redis_cli($redis, 'GET', $keys[0] // 'none');
	like($val // '', qr/^\d+ \d+ \d+ 4 1$/,
	    'its value: first last expires count=4 flags=passed');
	my ($code, $out) = tool($URL, 'list', 'greylist');
	like($out, qr/^g 127\.0\.0\.0\/24 alice\@sender\.test user\@example\.test\tfirst=\S+ last=\S+ count=4 expires=\S+ passed$/m,
	    'smtpfront-store lists it from Redis');

	# --- 50 concurrent sessions, half through each host ---
	my @pids;
	for my $i (1 .. 50) {
		my $pid = fork();
		die "fork: $!" unless defined $pid;
		if ($pid == 0) {
			my $m = eval { session($i % 2 ? $a : $b,
			    subject => "conc $i") };
			POSIX::_exit($m && ($m->{eod}{code} // '') eq '250' ? 0 : 1);
		}
		push @pids, $pid;
	}
	my $bad = 0;
	for my $pid (@pids) {
		waitpid($pid, 0);
		$bad++ if $? != 0;
	}
	is($bad, 0, '50 concurrent sessions through two hosts: all delivered');
	($val) = redis_cli($redis, 'GET', $keys[0] // 'none');
	like($val // '', qr/^\d+ \d+ \d+ 54 1$/,
	    'the count: 4 + 50, no update lost');
	stop($a);
	stop($b);
}

# --- traps across hosts ----------------------------------------------------------
{
	my %trap = (SMTPFRONT_GREYLIST_ACTION => undef,
	    SMTPFRONT_TRAP_ACTION => 'reject');
	my $a = server('127.77.62.1', %trap);
	my $t = server('127.77.62.3', %trap, SMTPFRONT_TRAP_LISTENER => 'yes');
	my $m = session($t, local => '127.0.0.5');
	reply_is($m->{banner}, '554', '5.7.1', 'the trap listener refuses');
	$m = session($a, local => '127.0.0.5');
	reply_is($m->{rcpt}[0], '554', '5.7.1',
	    'another host refuses the trapped client');
	my ($code) = tool($URL, 'untrap', '127.0.0.5');
	is($code, 0, 'smtpfront-store untrap on Redis');
	$m = session($a, local => '127.0.0.5', subject => 'untrapped');
	reply_is($m->{eod}, '250', undef, 'untrapped: delivered');
	stop($a);
	stop($t);
}

# --- a wrong password; redis+unix:// ----------------------------------------------
{
	my $s = server('127.77.62.1',
	    SMTPFRONT_STORE => "redis://:wrong\@127.77.62.9:$redis->{port}");
	my $m = session($s, to => 'pw@example.test');
	reply_is($m->{rcpt}[0], '451', '4.3.0', 'a wrong password: 451 4.3.0');
	my ($l) = log_has($s, qr/warning: greylist: /);
	like($l // '', qr/warning: greylist: store redis:\/\/:\*\@127\.77\.62\.9:\d+\/0: AUTH: (WRONGPASS|ERR invalid password)/,
	    'the warning: Redis refused AUTH (and hides the password)');
	unlike(log_text($s), qr/wrong/, 'the password is not logged');
	stop($s);

	$s = server('127.77.62.1',
	    SMTPFRONT_STORE => ":s3cret\@$T/redis.sock?db=1" =~ s/^/redis+unix:\/\//r);
	$m = session($s, to => 'unix@example.test');
	reply_is($m->{rcpt}[0], '451', '4.7.1', 'redis+unix://: a first try');
	my @keys = SFRedis::redis_cli({ %$redis, db => 1 }, 'KEYS', 'smtpfront:*');
	is_deeply(\@keys, ['smtpfront:g 127.0.0.0/24 alice@sender.test unix@example.test'],
	    'the key is in database 1');
	stop($s);
}

# --- Redis stopped, then killed, mid-session --------------------------------------
{
	my $s = server('127.77.62.1', SMTPFRONT_TRAP_ACTION => 'reject',
	    SMTPFRONT_STORE_TIMEOUT => 1);
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<alice@sender.test>');
	my $r = $c->cmd('RCPT TO:<user@example.test>');
	reply_is($r, '250', undef, 'a known triplet: taken');
	kill('STOP', $redis->{pid});
	my $t0 = time;
	$r = $c->cmd('RCPT TO:<new1@example.test>');
	my $took = time - $t0;
	kill('CONT', $redis->{pid});
	reply_is($r, '451', '4.3.0', 'Redis stopped: 451 4.3.0');
	ok($took >= 0.9 && $took < 6, 'within store_timeout') or diag("took $took");
	my ($l) = log_has($s, qr/warning: greylist: .*timed out/);
	like($l // '', qr/warning: greylist: store redis:\S+: GET: timed out|WATCH: timed out/,
	    'the warning says it timed out');
	$r = $c->cmd('DATA');
	reply_is($r, '354', undef, 'DATA for the recipient taken');
	$c->send(crlf("Subject: before the stop\n\nbody\n") . ".\r\n");
	reply_is($c->reply, '250', undef, 'delivered');
	$c->cmd('QUIT');
	$c->closed(5);

	$c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$c->cmd('MAIL FROM:<alice@sender.test>');
	$r = $c->cmd('RCPT TO:<user@example.test>');
	reply_is($r, '250', undef, 'Redis back: the known triplet taken');
	stop_redis($redis);
	$r = $c->cmd('RCPT TO:<new2@example.test>');
	reply_is($r, '451', '4.3.0', 'Redis killed: a new triplet 451 4.3.0');
	$r = $c->cmd('DATA');
	reply_is($r, '354', undef, 'DATA for the recipient taken before');
	$c->send(crlf("Subject: before the kill\n\nbody\n") . ".\r\n");
	reply_is($c->reply, '250', undef, 'the accepted recipient is delivered');
	$c->cmd('QUIT');
	$c->closed(5);
	ok(delivered($s, 'before the stop') && delivered($s, 'before the kill'),
	    'both messages in the sink');

	my $m = session($s, subject => 'no redis');
	reply_is($m->{banner}, '220', undef,
	    'the next session: the trap fails open (greeted)');
	reply_is($m->{rcpt}[0], '451', '4.3.0',
	    'and greylisting fails closed: 451 4.3.0');
	my @w = grep { /warning: (trap|greylist): store redis:/ } log_lines($s);
	ok((grep { /warning: trap: .*connect: Connection refused/ } @w) &&
	    (grep { /warning: greylist: .*Connection refused/ } @w),
	    'warnings from both checks') or diag(join("\n", @w));
	unlike(log_text($s), qr/ code=5\d\d /, 'no 5xx anywhere');
	stop($s);
}

done_testing();
