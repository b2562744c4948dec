#!/usr/bin/perl
# t/rate.t: rate limits per client network (checks/rate.c) through
# tcpserver with the tests' client and the sink as the MTA child, on
# each store: an LMDB file, and a real redis-server started here.  Each
# limit on a client address of its own (the network is the /32):
#
#   rate_concurrency 2: a third session at once gets 421 4.7.1 in place
#     of the greeting, logged with its setting's rule; once one of the
#     two ended, a new one is let in
#   rate_connections 3: the fourth session of the minute 421
#   rate_recipients 3: the fourth recipient of the hour 450 4.7.1, and
#     in the next session too
#   rate_messages 2: the third message deferred at DATA
#   rate_refused 3: recipients refused by rcpt_domain and by the child,
#     across sessions: the next recipient deferred, then the next
#     session refused before its greeting (a harvest spread over short
#     sessions)
#   smtpfront-store lists the counters
#   the store failing: rate_tempfail_action off passes with a warning,
#     defer gives 451 4.3.0; rate_action off (the default): nothing
#     counted
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;
use SFRedis;

my $IP = '127.77.61.1';
my $T = SF::tmp();
my $RULES = cdb("list rcpt_domain example.test\n");
my $STORE_TOOL = build() . '/smtpfront-store';

my $redis = start_redis(ip => '127.77.61.9');

sub server {
	my ($store, %env) = @_;
	return start_tcpserver(ip => $IP, rules => $RULES,
	    env => { SMTPFRONT_RATE_ACTION => 'defer',
	    SMTPFRONT_STORE => $store,
	    SINK_FAULT => 'rcpt-refuse=nobody@example.test', %env });
}

sub open_session {
	my ($s, $local) = @_;
	my $c = client(server => $s, local => $local);
	my ($b) = $c->start('client.test');
	return ($c, $b);
}

sub one_mail {
	my ($s, $local, %o) = @_;
	my ($c, $b) = open_session($s, $local);
	my $m = { banner => $b };
	if (($b->{code} // '') eq '220') {
		$m = mail($c, to => $o{to} // ['user@example.test'],
		    subject => $o{subject} // 'rate');
		$m->{banner} = $b;
		$c->cmd('QUIT');
	}
	$c->closed(5);
	return $m;
}

for my $kind ('lmdb', 'redis') {
	my $store = $kind eq 'lmdb' ? "$T/rate.mdb" : $redis->{url};

	# --- sessions at once ---------------------------------------------
	{
		my $s = server($store, SMTPFRONT_RATE_CONCURRENCY => 2);
		my ($c1, $b1) = open_session($s, '127.0.0.2');
		my ($c2, $b2) = open_session($s, '127.0.0.2');
		reply_is($b1, '220', undef, "$kind: the first session");
		reply_is($b2, '220', undef, "$kind: the second at once");
		my ($c3, $b3) = open_session($s, '127.0.0.2');
		reply_is($b3, '421', '4.7.1',
		    "$kind: a third at once: 421 4.7.1 in place of the greeting");
		like($b3->{text} // '', qr/Too many sessions at once from your network/,
		    "$kind: the reply says why");
		$c3->closed(5);
		my ($l) = log_has($s, qr/ check=rate /);
		like($l // '', qr/ defer check=rate rule=SMTPFRONT_RATE_CONCURRENCY cmd=CONNECT .*reason="sessions at once 127\.0\.0\.2\/32: 2, limit 2"/,
		    "$kind: logged with the setting that decided");
		my ($c4, $b4) = open_session($s, '127.0.0.3');
		reply_is($b4, '220', undef, "$kind: another network is not counted");
		$c1->cmd('QUIT');
		$c1->closed(5);
		my ($c5, $b5) = open_session($s, '127.0.0.2');
		reply_is($b5, '220', undef,
		    "$kind: once one session ended, a new one is let in");
		$_->cmd('QUIT') for ($c2, $c4, $c5);
		$_->closed(5) for ($c2, $c4, $c5);
		# a session gives its place back after it let its client go
		# (conn_finish): stopping the server first would kill it before
		wait_for(sub { !session_pids($s) }, 10);
		stop($s);
	}

	# --- sessions a minute --------------------------------------------
	{
		my $s = server($store, SMTPFRONT_RATE_CONNECTIONS => 3);
		my @b = map { one_mail($s, '127.0.0.4', subject => "conn $_")->{banner} } 1 .. 4;
		is(scalar(grep { ($_->{code} // '') eq '220' } @b[0 .. 2]), 3,
		    "$kind: three sessions in the minute greeted");
		reply_is($b[3], '421', '4.7.1', "$kind: the fourth: 421 4.7.1");
		like($b[3]{text} // '', qr/Too many sessions a minute/,
		    "$kind: sessions a minute, it says");
		is(scalar(grep { /^Subject: conn [123]\r$/m }
		    map { $_->{msg} } sink_messages($s->{sinkdir})), 3,
		    "$kind: the three messages delivered");
		stop($s);
	}

	# --- recipients an hour -------------------------------------------
	{
		my $s = server($store, SMTPFRONT_RATE_RECIPIENTS => 3);
		my $m = one_mail($s, '127.0.0.5',
		    to => [map { "u$_\@example.test" } 1 .. 5]);
		is(join(' ', map { $_->{code} } @{$m->{rcpt}}),
		    '250 250 250 450 450',
		    "$kind: three recipients taken, the fourth and fifth 450");
		reply_is($m->{rcpt}[3], '450', '4.7.1', "$kind: 450 4.7.1");
		reply_is($m->{eod}, '250', undef, "$kind: the message to three delivered");
		$m = one_mail($s, '127.0.0.5', to => ['u6@example.test']);
		reply_is($m->{rcpt}[0], '450', '4.7.1',
		    "$kind: the next session's recipient deferred too");
		my ($l) = log_has($s, qr/ check=rate .*recipients an hour/);
		like($l // '', qr/rule=SMTPFRONT_RATE_RECIPIENTS cmd=RCPT .*reason="recipients an hour 127\.0\.0\.5\/32: 3, limit 3"/,
		    "$kind: logged");
		stop($s);
	}

	# --- messages an hour ---------------------------------------------
	{
		my $s = server($store, SMTPFRONT_RATE_MESSAGES => 2);
		my @m = map { one_mail($s, '127.0.0.6', subject => "msg $_") } 1 .. 3;
		reply_is($m[0]{eod}, '250', undef, "$kind: message 1 delivered");
		reply_is($m[1]{eod}, '250', undef, "$kind: message 2 delivered");
		reply_is($m[2]{data}, '450', '4.7.1', "$kind: message 3: DATA 450 4.7.1");
		is(scalar(grep { /^Subject: msg 3\r$/m }
		    map { $_->{msg} } sink_messages($s->{sinkdir})), 0,
		    "$kind: message 3 not delivered");
		stop($s);
	}

	# --- refused recipients across sessions ---------------------------
	{
		my $s = server($store, SMTPFRONT_RATE_REFUSED => 3);
		my $m = one_mail($s, '127.0.0.7',
		    to => ['a@other.test', 'nobody@example.test']);
		is(join(' ', map { $_->{code} } @{$m->{rcpt}}), '550 550',
		    "$kind: two recipients refused (relay, and by the child)")
		    or diag(explain($m->{rcpt}));
		$m = one_mail($s, '127.0.0.7',
		    to => ['b@other.test', 'user@example.test']);
		is($m->{rcpt}[0]{code}, '550', "$kind: the third refused");
		reply_is($m->{rcpt}[1], '450', '4.7.1',
		    "$kind: after three refused, the next recipient deferred");
		$m = one_mail($s, '127.0.0.7');
		reply_is($m->{banner}, '421', '4.7.1',
		    "$kind: the next session refused before its greeting");
		like($m->{banner}{text} // '', qr/Too many refused recipients/,
		    "$kind: refused recipients, it says");
		$m = one_mail($s, '127.0.0.8', subject => 'clean');
		reply_is($m->{eod}, '250', undef, "$kind: another client delivers");
		stop($s);
	}

	# --- the maintenance command sees the counters --------------------
	{
		my ($code, $out) = run(argv => [$STORE_TOOL, '-f', $store,
		    'list', 'rate'], timeout => 30);
		is($code, 0, "$kind: smtpfront-store list rate: exit 0");
		like($out, qr/^r bad 127\.0\.0\.7\/32\tfirst=\S+ last=\S+ count=3 /m,
		    "$kind: smtpfront-store lists the refused count");
		like($out, qr/^r rcpt 127\.0\.0\.5\/32\t.* count=3 /m,
		    "$kind: and the recipients' count");
		like($out, qr/^r conc 127\.0\.0\.2\/32\t.* count=0 /m,
		    "$kind: every session given back its place");
	}
}

# --- the store failing ----------------------------------------------------------
{
	my $s = server("$T/no/dir/r.mdb", SMTPFRONT_RATE_CONCURRENCY => 1);
	my $m = one_mail($s, '127.0.0.2', subject => 'nostore');
	reply_is($m->{eod}, '250', undef,
	    'no store, rate_tempfail_action off: delivered');
	my ($l) = log_has($s, qr/warning: rate: /);
	like($l // '', qr/warning: rate: store \S+r\.mdb: open: /, 'and a warning');
	stop($s);
	$s = server('redis://127.77.61.9:1/0', SMTPFRONT_RATE_MESSAGES => 5,
	    SMTPFRONT_RATE_TEMPFAIL_ACTION => 'defer');
	$m = one_mail($s, '127.0.0.2', subject => 'noredis');
	reply_is($m->{banner}, '220', undef,
	    'no Redis: the greeting (no limit asked at connect)');
	reply_is($m->{data}, '451', '4.3.0',
	    'no Redis, rate_tempfail_action defer: 451 4.3.0 at DATA');
	($l) = log_has($s, qr/warning: rate: /);
	like($l // '', qr/warning: rate: store redis:\/\/127\.77\.61\.9:1\/0: connect: Connection refused/,
	    'the warning names the store and why');
	stop($s);
}

{
	my $s = server("$T/off.mdb", SMTPFRONT_RATE_ACTION => undef,
	    SMTPFRONT_RATE_MESSAGES => 1);
	my @m = map { one_mail($s, '127.0.0.2', subject => "off $_") } 1 .. 2;
	reply_is($m[1]{eod}, '250', undef, 'rate_action off: no limit');
	ok(!-e "$T/off.mdb", 'rate_action off: no store opened');
	stop($s);
}

stop_redis($redis);
done_testing();
