#!/usr/bin/perl
# t/xclient.t: the MTA child as an SMTP server on a TCP address,
# "smtpfront ... tcp:HOST:PORT".  smtpfront connects when it would start a
# program child, and tells the server who the client is with XCLIENT
# (Postfix's protocol: ADDR, PORT, NAME, HELO, PROTO, values as xtext),
# then greets it again with the client's HELO; a server that offers
# XFORWARD instead is told the same facts with it before each MAIL
# (Postfix forgets them with every transaction).  A server that offers no
# XCLIENT or refuses it, a refused connection, a server that never
# answers: 451, nothing delivered (a server that took smtpfront for the
# client could let it relay).  One connection serves every transaction
# of a session.  Driven with the sink as the TCP server under its own
# tcpserver, and with a private Postfix's smtpd on a loopback port, whose
# delivered message names the real client.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use SF;
use Policy;

# The sink as a TCP server: its own tcpserver, its own records.
sub tcp_sink {
	my (%env) = @_;
	my (undef, $dir) = sink_child();
	my $ip = '127.77.9.1';
	my $out = SF::tmp() . '/tcpsink.' . SF::seq() . '.out';
	my $pid = SF::spawn(argv => ['tcpserver', '-1', '-R', '-H', $ip, '0',
	    build() . '/t/sink'], env => { %ENV, SINK_DIR => $dir,
	    SINK_LIFETIME => 300, %env }, stdout => $out,
	    stderr => SF::tmp() . '/tcpsink.err');
	my $port = wait_for(sub { (slurp($out) // '') =~ /^(\d+)\n/ ? $1 : 0 },
	    10) or die "the sink's tcpserver did not start";
	return { pid => $pid, port => $port, ip => $ip, sinkdir => $dir };
}

sub front {
	my ($target, %env) = @_;
	return start_tcpserver(rules => test_rules(), child => [$target],
	    env => \%env);
}

my $msg = message('xclient');

# --- the sink offering XCLIENT: told who, greeted again, one connection ----------
{
	my $k = tcp_sink(SINK_XCLIENT => 'yes');
	my $s = front("tcp:$k->{ip}:$k->{port}");
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.example.org');
	for my $n (1, 2) {
		reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', '2.1.0', "message $n: MAIL");
		reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5', "message $n: RCPT");
		reply_is($c->cmd('DATA'), '354', undef, "message $n: DATA");
		$c->send(stuff($msg));
		reply_is($c->reply(15), '250', '2.0.0', "message $n: taken");
	}
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	$c->closed(5);
	my @m = grep { $_->{msg} eq $msg } sink_messages($k->{sinkdir});
	is(scalar(@m), 2, 'both messages delivered byte for byte');
	is(scalar(sink_started($k->{sinkdir})), 1,
	    'one connection to the server for the whole session');
	# smtpfront closes the client before it says QUIT to the server:
	# the client's session may end first
	wait_for(sub { grep { /^QUIT/ } sink_log($k->{sinkdir}) }, 10);
	my @log = sink_log($k->{sinkdir});
	my @x = grep { /^XCLIENT / } @log;
	is(scalar(@x), 1, 'XCLIENT once');
	like($x[0] // '', qr/^XCLIENT ADDR=127\.0\.0\.2 PORT=\d+ NAME=\[UNAVAILABLE\] HELO=client\.example\.org PROTO=ESMTP$/,
	    'XCLIENT names the client, its port, its HELO and ESMTP');
	my ($i) = grep { $log[$_] =~ /^XCLIENT / } 0 .. $#log;
	ok(defined $i && ($log[$i - 1] // '') =~ /^EHLO mx\.test\.invalid$/,
	    'before it, smtpfront greeted with its own name');
	ok(defined $i && ($log[$i + 1] // '') eq 'EHLO client.example.org',
	    'after it, with the client\'s HELO');
	is(scalar(grep { /^QUIT/ } @log), 1, 'QUIT at the end');
	stop($s);
	SF::kill_pid($k->{pid});

	# a HELO with bytes xtext must encode ("+" and "=": helo_syntax off
	# to let it through)
	$k = tcp_sink(SINK_XCLIENT => 'yes');
	$s = front("tcp:$k->{ip}:$k->{port}", SMTPFRONT_HELO_SYNTAX_ACTION => '');
	my $r = session(server => $s, helo => 'a+b=c.example.org', from => $FROM,
	    rcpts => [$RCPT], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'xtext: delivered');
	@x = grep { /^XCLIENT / } sink_log($k->{sinkdir});
	like($x[0] // '', qr/ HELO=a\+2Bb\+3Dc\.example\.org /,
	    'xtext: "+" and "=" encoded');
	stop($s);
	SF::kill_pid($k->{pid});
}

# --- servers that will not be told: 451, nothing delivered -------------------------
for my $case (['offers no XCLIENT', {}, qr/offers no XCLIENT/],
    ['refuses XCLIENT', { SINK_XCLIENT => 'refuse' }, qr/refused XCLIENT/]) {
	my ($name, $env, $why) = @$case;
	my $k = tcp_sink(%$env);
	my $s = front("tcp:$k->{ip}:$k->{port}");
	my $r = session(server => $s, helo => $GOOD, from => $FROM,
	    rcpts => [$RCPT], msg => $msg);
	reply_is($r->{rcpt}[0], '451', '4.3.0', "$name: 451 at RCPT");
	like(join("\n", log_lines($s, qr/child-fail/)), $why,
	    "$name: logged with the reason");
	is(scalar(grep { /^(MAIL|RCPT)/ } sink_log($k->{sinkdir})), 0,
	    "$name: the server heard of no transaction");
	stop($s);
	SF::kill_pid($k->{pid});
}
{
	# nobody listening
	my $port = free_port('127.77.9.2');
	my $s = front("tcp:127.77.9.2:$port");
	my $r = session(server => $s, helo => $GOOD, from => $FROM,
	    rcpts => [$RCPT], msg => $msg);
	reply_is($r->{rcpt}[0], '451', '4.3.0', 'connection refused: 451');
	ok(scalar(log_lines($s, qr/child-fail when=start reason=".*Connection refused/)),
	    'connection refused: logged');
	stop($s);

	# a server that accepts and never says a word: the child timeout
	my $dead = IO::Socket::IP->new(LocalHost => '127.77.9.3', LocalPort => 0,
	    Listen => 5, ReuseAddr => 1) or die "listen: $@";
	$s = start_tcpserver(rules => test_rules(),
	    child => ['tcp:127.77.9.3:' . $dead->sockport],
	    env => { SMTPFRONT_CHILD_TIMEOUT => 2 });
	my $t0 = time;
	$r = session(server => $s, helo => $GOOD, from => $FROM, rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '451', '4.3.0', 'a silent server: 451');
	ok(time - $t0 < 8, 'a silent server: within the child timeout');
	stop($s);
	close($dead);

	# not an address
	$s = front('tcp:mx.example.org:25');
	$r = session(server => $s, helo => $GOOD, from => $FROM, rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '451', '4.3.0', 'a name, not an address: 451');
	ok(scalar(log_lines($s, qr/not tcp:ADDRESS:PORT/)), '... logged so');
	stop($s);
}

# --- Postfix's smtpd on a loopback port, told who the client is ---------------------
{
	my $pf = postfix_instance();
	my $ip = '127.88.7.1';
	my $port = free_port($ip);
	open(my $mc, '>>', "$pf/conf/master.cf") or die "master.cf: $!";
	print $mc "$ip:$port inet n - n - - smtpd\n";
	close($mc);
	open(my $mf, '>>', "$pf/conf/main.cf") or die "main.cf: $!";
	print $mf "smtpd_authorized_xclient_hosts = 127.0.0.0/8\n";
	close($mf);
	my ($code, $out) = run(argv => ['postfix', '-c', "$pf/conf", 'reload'],
	    timeout => 30);
	is($code, 0, 'Postfix reloaded with an smtpd on a loopback port')
	    or diag($out);
	ok(wait_for(sub { IO::Socket::IP->new(PeerHost => $ip, PeerPort => $port,
	    Timeout => 1) }, 20), 'Postfix listens');
	my $s = front("tcp:$ip:$port");
	my $r = session(server => $s, local => '127.0.0.2', helo => 'client.example.org',
	    from => $FROM, rcpts => [$RCPT], msg => $msg);
	reply_is($r->{eod}, '250', '2.0.0', 'Postfix: the message taken');
	my ($f) = maildir_files($pf, 1, 20);
	my $got = defined $f ? slurp($f) // '' : '';
	like($got, qr/^Received: from client\.example\.org \(unknown \[127\.0\.0\.2\]\)/m,
	    'Postfix: its Received: line names the client and its HELO')
	    or diag(substr($got, 0, 400));
	unlike($got, qr/^Received: from \S+ \([^)]*\[127\.0\.0\.1\]\)/m,
	    'Postfix: not smtpfront\'s address');
	stop($s);
	postfix_stop($pf);
}

# --- Postfix offering XFORWARD only: told before each transaction ----------------
{
	my $pf = postfix_instance();
	my $ip = '127.88.7.2';
	my $port = free_port($ip);
	open(my $mc, '>>', "$pf/conf/master.cf") or die "master.cf: $!";
	print $mc "$ip:$port inet n - n - - smtpd\n";
	close($mc);
	open(my $mf, '>>', "$pf/conf/main.cf") or die "main.cf: $!";
	print $mf "smtpd_authorized_xforward_hosts = 127.0.0.0/8\n";
	close($mf);
	my ($code, $out) = run(argv => ['postfix', '-c', "$pf/conf", 'reload'],
	    timeout => 30);
	is($code, 0, 'XFORWARD: Postfix reloaded') or diag($out);
	ok(wait_for(sub { IO::Socket::IP->new(PeerHost => $ip, PeerPort => $port,
	    Timeout => 1) }, 20), 'XFORWARD: Postfix listens');
	my $s = front("tcp:$ip:$port");
	my $c = client(server => $s, local => '127.0.0.3');
	$c->start('xf.example.org');
	for my $n (1, 2) {
		reply_is($c->cmd("MAIL FROM:<$FROM>"), '250', undef, "XFORWARD: message $n MAIL");
		reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', undef, "XFORWARD: message $n RCPT");
		reply_is($c->cmd('DATA'), '354', undef, "XFORWARD: message $n DATA");
		$c->send(stuff(message("xforward $n")));
		reply_is($c->reply(15), '250', undef, "XFORWARD: message $n taken");
	}
	$c->cmd('QUIT');
	$c->closed(5);
	my @f = maildir_files($pf, 2, 20);
	is(scalar(@f), 2, 'XFORWARD: both messages delivered');
	# XFORWARD is for what Postfix logs (XFORWARD_README): each
	# message's line names the real client as orig_client; its
	# Received: line still names the connection
	my @cl;
	wait_for(sub {
		@cl = grep { / client=/ } split(/\n/, slurp("$pf/maillog") // '');
		@cl >= 2 }, 20);
	is(scalar(grep { / orig_client=unknown\[127\.0\.0\.3\]$/ } @cl), 2,
	    'XFORWARD: Postfix logs the real client for each transaction')
	    or diag(join("\n", @cl));
	stop($s);
	postfix_stop($pf);
}

# --- a server offering neither: 451 -------------------------------------------------
{
	my $k = tcp_sink();
	my $s = front("tcp:$k->{ip}:$k->{port}");
	my $r = session(server => $s, helo => $GOOD, from => $FROM, rcpts => [$RCPT]);
	reply_is($r->{rcpt}[0], '451', '4.3.0', 'neither XCLIENT nor XFORWARD: 451');
	stop($s);
	SF::kill_pid($k->{pid});
}

done_testing();
