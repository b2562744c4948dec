#!/usr/bin/perl
# bench/lib/bench.pl: the smtpfront benchmark, run by bench/run.
#
#   bench/run [--quick] [-o FILE] [--only rate,lat,mem,big,ins,dns,grey,spam,many,tls,content]
#       [--smtpfront PATH] [--mta] [--msgs N]
#
# dns (not in the default set; root): the DNS checks' cost with answers
# held 50 ms, see "DNS" below; grey (not in the default set): a known
# greylisting triplet on LMDB and on Redis against greylisting off; spam
# (not in the default set): refused sessions against rblsmtpd, and early
# talkers held through a greet delay.
#
# One run drives the same load through five servers started side by side
# on loopback, each a tcpserver:
#
#   (a) tcpserver -> sink                 the child alone
#   (b) tcpserver -> rblsmtpd -> sink     ucspi-tcp's rblsmtpd, RBLSMTPD
#                                         unset and no -r: it only execs
#   (c) tcpserver -> smtpfront -> sink    no rules database (built-in
#                                         defaults), with
#                                         SMTPFRONT_RCPT_DOMAIN_ACTION=off
#                                         so that mail flows
#   (d) tcpserver -> smtpfront -> sink    SMTPFRONT_RULES: a realistic
#                                         rule set (rules_source below)
#   (e) as (c), the sink offering CHUNKING (SINK_CHUNKING, as Postfix and
#       Exim do): messages/s and sessions/s only
#   (r) tcpserver -> relay -> sink        bench/lib/relay.c, which copies
#                                         bytes both ways as they come and
#                                         does nothing else: a relay with
#                                         no checks at all (rates only)
#
# With --mta (as root, Postfix installed), two more rows for the rates,
# with a real MTA as the child: a private Postfix instance
# (scripts/postfix-instance.sh) whose smtpd -S takes the SMTP session
# and queues each message, delivered to a Maildir by Postfix itself:
#   (f) tcpserver -> Postfix smtpd -S            the MTA alone
#   (g) tcpserver -> smtpfront -> Postfix smtpd  defaults, as (c); its
#                                                ratios are to (f)
# Both run as the postfix user; before each round of every row the
# Postfix queue is left to empty, so no row pays for (f)'s or (g)'s
# deliveries.
# Their server CPU counts tcpserver's tree only, not Postfix's daemons.
#
# The child is build/bench/t/sink, the tests' small sink (t/sink.c) built
# with -O2 and linked as the Makefile links it; it records nothing (no
# SINK_DIR).  The metrics, interleaved row by row (in a rotating order
# each round) so that a noisy neighbour hits every row alike:
#
#   messages/s   smtp-source -s 20 -m M -l 2048 -d (many messages a session:
#                1,000, 200 with --quick; --msgs sets M).  Row (b) is the
#                control: rblsmtpd does nothing per message, so its ratio
#                must read about 1.00.  With 100 messages a session (M =
#                2,000, a run of 0.3 s) it read 0.82-0.89: the row then
#                measured exec and start-up, not messages.
#   sessions/s   smtp-source -s 20 -m M -l 2048 (one message a session)
#   pipelined    messages/s with bclient pipe: 20 sessions sharing M
#                messages, each saying EHLO and sending MAIL, RCPT and DATA
#                in one write, as MTAs do where PIPELINING is offered
#                (smtp-source says HELO and waits for every reply); and
#                sessions/s with it, one message a session, 20 at once
#   CPU          per message in the messages/s run: the server's (tcpserver
#                and every session it reaped, /proc/PID/stat), smtp-source's
#                (times), and what no process used (CPUs x wall time less
#                both): the budget a row has, as the rate follows it
#   latency      median and p99 of whole sequential sessions (bclient lat)
#   Pss          per connection, from /proc/PID/smaps_rollup, while 200
#                connections are held after HELO, then inside DATA
#   instructions per session under valgrind --tool=callgrind
#                --trace-children=yes, tcpserver and the child included
#   20 MB        one 20 MB message: time from DATA to the final reply, and
#                the peak RSS (VmHWM) of the process on the socket
#
# Ratios are to (a) in the same run; the machine is shared and noisy, so
# only ratios from one run are worth quoting.  The server CPU time per
# message or session (tcpserver and every session it reaped, from
# /proc/PID/stat) is less sensitive to a busy machine than the rates.
# --quick runs less of each (under two minutes).  -o FILE also writes the
# table as Markdown.  --only runs some of the metrics; --smtpfront runs
# rows (c), (d) and (e) with another smtpfront binary (an experiment).
# Run as root, the bench starts every tcpserver with -u/-g of "nobody",
# as INSTALL says to run smtpfront (otherwise each session would log and
# pay for smtpfront's "running as root" warning).
# Everything runs in a temporary directory, every process started here is
# stopped by its PID, and every wait is bounded.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname basename);
use File::Temp qw(tempdir);
use Getopt::Long;
use IPC::Open2;
use POSIX qw(:sys_wait_h _exit setpgid strftime);
use Time::HiRes qw(time sleep);

$SIG{PIPE} = 'IGNORE';

my $TOP = abs_path(dirname(__FILE__) . "/../..");
my $quick = 0;
my $outfile;
my $sf_path;
my $only = 'rate,lat,mem,big,ins';
my $mta = 0;
my $msgs_opt;
GetOptions('msgs=i' => \$msgs_opt, 'quick' => \$quick, 'o=s' => \$outfile,
    'smtpfront=s' => \$sf_path, 'only=s' => \$only, 'mta' => \$mta)
    or die "usage: bench/run [--quick] [-o FILE] [--smtpfront PATH] " .
    "[--only rate,lat,mem,big,ins] [--mta] [--msgs N]\n";
my %ONLY = map { $_ => 1 } split(/,/, $only);

my %N = $quick ?
    (reps => 3, msgs => 4000, sess => 100, lat => 100, chunk => 50,
    hold => 200, cg => 2, big => 4, mta_msgs => 400) :
    (reps => 5, msgs => 20000, sess => 400, lat => 300, chunk => 50,
    hold => 200, cg => 4, big => 8, mta_msgs => 2000);
$N{msgs} = $msgs_opt if $msgs_opt;
my $BODY = 2048;		# message body bytes (smtp-source -l)
my $CONC = 20;			# smtp-source -s
my $BIG = 20 * 1024 * 1024;	# the large message
my $SIZE_MAX = 52428800;	# SMTPFRONT_SIZE_MAX for it
my $WAIT = 300;			# ceiling on any one step, seconds

my $B = "build/bench";
my $BD = "$TOP/$B";
my $T0 = time;

# --- processes -------------------------------------------------------------

my %LIVE;

sub note { printf STDERR "bench: %5.1f s: %s\n", time - $T0, "@_" }

sub spawn {
	my (%o) = @_;
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		setpgid(0, 0);
		%ENV = %{$o{env}} if $o{env};
		open(STDIN, '<', '/dev/null') or _exit(120);
		open(STDOUT, '>', $o{stdout} // '/dev/null') or _exit(121);
		open(STDERR, '>', $o{stderr} // '/dev/null') or _exit(122);
		{ exec { $o{argv}[0] } @{$o{argv}}; }
		_exit(127);
	}
	$LIVE{$pid} = 1;
	return $pid;
}

sub wait_for {
	my ($code, $secs, $step) = @_;
	$step //= 0.02;
	my $deadline = time + $secs;
	while (time < $deadline) {
		my $v = $code->();
		return $v if $v;
		sleep($step);
	}
	return $code->();
}

sub reap {
	my ($pid, $secs) = @_;
	my $st;
	wait_for(sub {
		my $r = waitpid($pid, WNOHANG);
		if ($r == $pid || $r == -1) {
			$st = $r == $pid ? $? : -1;
			return 1;
		}
		return 0;
	}, $secs);
	delete $LIVE{$pid} if defined $st;
	return $st;
}

# TERM, bounded wait, KILL; then what is left of its process group.
sub stop_pid {
	my ($pid, $secs) = @_;
	return unless $LIVE{$pid};
	kill('TERM', $pid);
	if (!defined reap($pid, $secs // 10)) {
		kill('KILL', $pid);
		reap($pid, 10);
	}
	if (kill(0, -$pid)) {
		kill('TERM', -$pid);
		wait_for(sub { !kill(0, -$pid) }, 5);
		kill('KILL', -$pid) if kill(0, -$pid);
	}
}

# Run argv to the end (bounded); returns (exit status, seconds).
sub run {
	my (%o) = @_;
	my $t = time;
	my $pid = spawn(%o);
	my $st = reap($pid, $o{timeout} // $WAIT);
	if (!defined $st) {
		stop_pid($pid);
		die "$o{argv}[0]: no end within " . ($o{timeout} // $WAIT) . " s\n";
	}
	return ($st, time - $t);
}

sub slurp {
	my ($path) = @_;
	open(my $fh, '<', $path) or return undef;
	local $/;
	my $s = <$fh>;
	return $s // '';
}

# pid => parent pid, for every process.
sub ppids {
	my %pp;
	opendir(my $dh, '/proc') or die "/proc: $!";
	for my $p (grep { /^\d+$/ } readdir($dh)) {
		my $st = slurp("/proc/$p/stat") // next;
		$pp{$p} = $1 if $st =~ /^\d+ \(.*\) \S+ (\d+) /s;
	}
	closedir($dh);
	return \%pp;
}

# PIDs whose parent is $ppid (in the table $pp, or a fresh one).
sub children {
	my ($ppid, $pp) = @_;
	$pp //= ppids();
	return grep { $pp->{$_} == $ppid } keys %$pp;
}

END {
	local $?;
	stop_pid($_) for keys %LIVE;
}

# --- build -------------------------------------------------------------------

sub build {
	my $log = "$BD.log";
	system("mkdir -p '$BD'") == 0 or die;
	my ($st) = run(argv => ['make', '-C', $TOP, "B=$B", 'CFLAGS=-O2 -g',
	    "$B/smtpfront", "$B/smtpfront-cdb", "$B/smtpfront-spf",
	    "$B/smtpfront-tls", "$B/smtpfront-scan", "$B/smtpfront-dkim",
	    "$B/t/sink"],
	    stdout => $log, stderr => $log, env => \%ENV);
	die "build failed, see $log\n" if $st != 0;
	($st) = run(argv => ['cc', '-O2', '-Wall', '-Wextra', '-o',
	    "$BD/bclient", "$TOP/bench/lib/bclient.c"],
	    stdout => $log, stderr => $log, env => \%ENV);
	die "bclient build failed, see $log\n" if $st != 0;
	($st) = run(argv => ['cc', '-O2', '-Wall', '-Wextra', '-static', '-o',
	    "$BD/relay", "$TOP/bench/lib/relay.c"],
	    stdout => $log, stderr => $log, env => \%ENV);
	die "relay build failed, see $log\n" if $st != 0;
	# the floor of a process a connection (--only many), linked as
	# smtpfront is
	my $floorcc = -x '/usr/bin/musl-gcc' ? 'musl-gcc' : 'cc';
	($st) = run(argv => [$floorcc, '-O2', '-Wall', '-Wextra', '-static',
	    '-o', "$BD/floor", "$TOP/bench/lib/floor.c"],
	    stdout => $log, stderr => $log, env => \%ENV);
	die "floor build failed, see $log\n" if $st != 0;
	# the engines a content rule could run on (--only content)
	($st) = run(argv => ['cc', '-O2', '-Wall', '-Wextra', '-o',
	    "$BD/rebench", "$TOP/bench/lib/rebench.c", '-lhs', '-lpcre2-8'],
	    stdout => $log, stderr => $log, env => \%ENV) if $only =~ /content/;
	die "rebench build failed, see $log\n" if $st != 0;
}

# --- the rule set of row (d) ---------------------------------------------------

# What a small site might run: every check on at its default action,
# greet_delay 0, lists of realistic length: 3,000 users, 2,000 bad
# senders, 500 bad HELO names, trust and allow networks.  The load's
# client (127.0.0.1, HELO client.example.org, sender@example.org ->
# user@example.test) is in none of the refusing lists and not trusted,
# so every check runs for it.
sub rules_source {
	my @l = ("set greet_delay 0", "set delay_reject yes",
	    "set size_max $SIZE_MAX",
	    "list rcpt_domain example.test", "list rcpt_domain .example.test",
	    "list rcpt_domain example.net",
	    "list ours mx.test.invalid", "list ours 192.0.2.25",
	    "list allow_rcpt postmaster\@example.test",
	    "list allow_rcpt abuse\@example.test",
	    "list rcpt_users user\@example.test");
	push @l, sprintf("list rcpt_users user%04d\@example.test", $_)
	    for 1 .. 2500;
	push @l, sprintf("list rcpt_users staff%03d\@example.net", $_)
	    for 1 .. 500;
	push @l, sprintf("list sender_list spam%04d\@bulk%03d.example",
	    $_, $_ % 300) for 1 .. 1000;
	push @l, sprintf("list sender_list \@junk%04d.example", $_) for 1 .. 500;
	push @l, sprintf("list sender_list .spam%04d.example", $_) for 1 .. 500;
	push @l, sprintf("list helo_list .dyn%03d.example", $_) for 1 .. 250;
	push @l, sprintf("list helo_list host%03d.example", $_) for 1 .. 250;
	push @l, sprintf("list trust 10.%d.0.0/16", $_) for 0 .. 49;
	push @l, "list trust 192.168.0.0/16", "list trust 2001:db8:1::/48";
	push @l, sprintf("list allow_ip 198.51.100.%d", $_) for 1 .. 100;
	push @l, sprintf("list allow_sender \@list%03d.example", $_)
	    for 1 .. 100;
	return join("\n", @l) . "\n";
}

# --- servers -----------------------------------------------------------------

my $TMP = tempdir("smtpfront-bench-XXXXXX", TMPDIR => 1, CLEANUP => 1);
my $SEQ = 0;

# The servers' user: "nobody" when we are root (tcpserver -u/-g), which
# must read the rules in $TMP, write spool files (the 20 MB message) in
# $SPOOL and callgrind's files in the cg.* directories.
my @UG;
my $SPOOL = "$TMP/spool";
mkdir($SPOOL) or die "$SPOOL: $!";
my ($RUID, $RGID) = (-1, -1);
if ($> == 0) {
	my @pw = getpwnam('nobody');
	die "bench: run as root, but there is no user nobody\n" unless @pw;
	($RUID, $RGID) = @pw[2, 3];
	@UG = ('-u', $RUID, '-g', $RGID);
	chmod(0755, $TMP) or die "$TMP: $!";
	chown($RUID, $RGID, $SPOOL) or die "$SPOOL: $!";
}

# The servers' environment: what a run script gives tcpserver (a PATH
# and little else), not the caller's.  glibc's start-up scans the whole
# environment (tunables, getenv), so a big inherited one would be
# charged to every session of every row.  fcrdns is on (warn) by default
# and would ask the host's resolver before each greeting: off here, the
# DNS rows (--only dns) set it against their own server.
sub base_env {
	return { PATH => '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
	    TMPDIR => $SPOOL, SINK_LIFETIME => 900,
	    SMTPFRONT_FCRDNS_ACTION => 'off' };
}

# Start tcpserver (optionally under a wrapper such as valgrind) for a
# row; returns a hash with pid, ip, port, log.
sub start_server {
	my ($row, $ip, @wrap) = @_;
	my $n = ++$SEQ;
	my %s = (ip => $ip, log => "$TMP/server.$n.log",
	    out => "$TMP/server.$n.out", row => $row);
	my %env = (%{base_env()}, %{$row->{env} || {}});
	my @argv = (@wrap, 'tcpserver', '-1', '-R', '-H', '-l',
	    'mx.test.invalid', '-c', $row->{conc} // '600', '-b',
	    $row->{backlog} // '64',
	    @{$row->{ug} || \@UG}, $ip, '0',
	    @{$row->{argv}});
	$s{pid} = spawn(argv => \@argv, env => \%env, stdout => $s{out},
	    stderr => $s{log});
	my $port = wait_for(sub {
		(slurp($s{out}) // '') =~ /^(\d+)\n/ ? $1 : 0 }, 60);
	die "tcpserver for ($row->{key}) did not start: " .
	    (slurp($s{log}) // '') unless $port;
	$s{port} = $port;
	return \%s;
}

# Wait (bounded) until the server has no session left.
sub idle {
	my ($s, $secs) = @_;
	return wait_for(sub { !children($s->{pid}) }, $secs // 60, 0.05);
}

# --- metrics -------------------------------------------------------------------

sub median {
	my @v = sort { $a <=> $b } @_;
	return undef unless @v;
	return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub pct {
	my ($p, @v) = @_;
	@v = sort { $a <=> $b } @v;
	my $i = int($p / 100 * @v + 0.999999) - 1;
	$i = 0 if $i < 0;
	$i = $#v if $i > $#v;
	return $v[$i];
}

# CPU seconds used by a server and every session it has reaped (the
# sessions reap their own children): utime, stime, cutime, cstime.
my $HZ = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
sub server_cpu {
	my ($s) = @_;
	my $st = slurp("/proc/$s->{pid}/stat") // return 0;
	$st =~ s/^.*\) //s;
	my @f = split(/ /, $st);
	return ($f[11] + $f[12] + $f[13] + $f[14]) / $HZ;
}

# (messages or sessions per second, server CPU ms per message, the
# client's CPU ms per message, CPU ms per message that no process used)
my $NCPU = () = (slurp('/proc/cpuinfo') // '') =~ /^processor\s*:/mg;
sub smtp_source {
	my ($s, $msgs, $reuse) = @_;
	idle($s, 60);
	my $cpu0 = server_cpu($s);
	my @t0 = times;
	my $out = "$TMP/smtp-source.out";
	my ($st, $secs) = run(argv => ['smtp-source', '-s', $CONC, '-m', $msgs,
	    '-l', $BODY, ($reuse ? '-d' : ()), '-f', 'sender@example.org',
	    '-t', 'user@example.test', '-M', 'client.example.org',
	    "$s->{ip}:$s->{port}"], stdout => $out, stderr => $out);
	my $o = slurp($out) // '';
	die "smtp-source against ($s->{row}{key}) failed ($st): $o\n"
	    if $st != 0 || $o =~ /\S/;
	my @t1 = times;
	idle($s, 60);
	my $srv = (server_cpu($s) - $cpu0) * 1000 / $msgs;
	my $cli = ($t1[2] + $t1[3] - $t0[2] - $t0[3]) * 1000 / $msgs;
	return ($msgs / $secs, $srv, $cli,
	    ($NCPU || 1) * $secs * 1000 / $msgs - $srv - $cli);
}

# bclient pipe: EHLO, MAIL RCPT DATA in one write, as MTAs send; (messages
# per second, server CPU ms per message); with $per, a new session after
# every $per messages (1: sessions per second)
sub pipe_rate {
	my ($s, $msgs, $per) = @_;
	idle($s, 60);
	my $cpu0 = server_cpu($s);
	my $out = "$TMP/pipe.out";
	my ($st) = run(argv => ["$BD/bclient", 'pipe', $s->{ip}, $s->{port},
	    $CONC, $msgs, $BODY, ($per ? ($per) : ())], stdout => $out,
	    stderr => "$out.err");
	my ($us) = (slurp($out) // '') =~ /^done (\d+)$/m;
	die "bclient pipe against ($s->{row}{key}) failed: " .
	    (slurp("$out.err") // '') if $st != 0 || !$us;
	idle($s, 60);
	return ($msgs * 1e6 / $us, (server_cpu($s) - $cpu0) * 1000 / $msgs);
}

sub lat {
	my ($s, $n) = @_;
	my $out = "$TMP/lat.out";
	my ($st) = run(argv => ["$BD/bclient", 'lat', $s->{ip}, $s->{port},
	    $n, $BODY], stdout => $out, stderr => "$out.err");
	die "bclient lat against ($s->{row}{key}) failed: " .
	    (slurp("$out.err") // '') if $st != 0;
	my @v = grep { /^\d+$/ } split(/\n/, slurp($out));
	die "bclient lat: " . scalar(@v) . " of $n sessions\n" if @v != $n;
	return @v;
}

sub kb_field {
	my ($path, $field) = @_;
	my $t = slurp($path) // return undef;
	return $t =~ /^\Q$field\E:\s+(\d+) kB/m ? $1 : undef;
}

# Hold N connections at a phase; returns (mean Pss KB of the processes
# on the sockets, mean Pss KB of their children, number measured).
sub hold {
	my ($s, $n, $phase) = @_;
	my ($rd, $wr);
	my $pid = open2($rd, $wr, "$BD/bclient", 'hold', $s->{ip},
	    $s->{port}, $n, $phase);
	$LIVE{$pid} = 1;
	my $line;
	{
		local $SIG{ALRM} = sub { die "bclient hold: no answer\n" };
		alarm($WAIT);
		$line = <$rd>;
		alarm(0);
	}
	die "bclient hold against ($s->{row}{key}) failed\n"
	    unless defined $line && $line =~ /^ready $n$/;
	# Sessions started by tcpserver, and what they started.
	my (@main, @kids);
	wait_for(sub {
		my $pp = ppids();
		@main = children($s->{pid}, $pp);
		my %m = map { $_ => 1 } @main;
		@kids = grep { $m{$pp->{$_}} } keys %$pp;
		@main >= $n && ($phase ne 'data' || !$s->{row}{spawns} ||
		    @kids >= $n);
	}, 30);
	my ($sum, $ksum, $m, $k) = (0, 0, 0, 0);
	for my $p (@main) {
		my $v = kb_field("/proc/$p/smaps_rollup", 'Pss') // next;
		$sum += $v;
		$m++;
	}
	for my $p (@kids) {
		my $v = kb_field("/proc/$p/smaps_rollup", 'Pss') // next;
		$ksum += $v;
		$k++;
	}
	close($wr);
	reap($pid, 60) // stop_pid($pid);
	idle($s, 60) or die "sessions of ($s->{row}{key}) do not end\n";
	return ($m ? $sum / $m : undef, $k ? $ksum / $k : 0, $m);
}

# One 20 MB message: (microseconds, VmHWM KB of the process on the
# socket, VmHWM KB of its child).
sub big {
	my ($s) = @_;
	my ($rd, $wr);
	my $pid = open2($rd, $wr, "$BD/bclient", 'big', $s->{ip},
	    $s->{port}, $BIG);
	$LIVE{$pid} = 1;
	my $line;
	{
		local $SIG{ALRM} = sub { die "bclient big: no answer\n" };
		alarm($WAIT);
		$line = <$rd>;
		alarm(0);
	}
	die "bclient big against ($s->{row}{key}) failed: " . ($line // "") .
	    "\n" unless defined $line && $line =~ /^done (\d+) 250$/;
	my $us = $1;
	my ($p) = children($s->{pid});
	my $hwm = defined $p ? kb_field("/proc/$p/status", 'VmHWM') : undef;
	my ($k) = defined $p ? children($p) : ();
	my $khwm = defined $k ? kb_field("/proc/$k/status", 'VmHWM') : undef;
	print $wr "quit\n";
	close($wr);
	my $st = reap($pid, 60);
	die "bclient big: QUIT failed\n" unless defined $st && $st == 0;
	idle($s, 60);
	return ($us, $hwm, $khwm);
}

# Instructions per session under callgrind: a tcpserver of its own under
# valgrind, $n sequential sessions.  Dumps after every fork and before
# every execve keep each program's count apart; a fork or spawn child's
# first dump is its copy of the parent's counters and is skipped.
# Returns a hash: program name => instructions per session, and 'all'.
sub instructions {
	my ($row, $ip, $n, $client) = @_;
	my $dir = "$TMP/cg.$row->{key}";
	mkdir($dir) or die "$dir: $!";
	chown($RUID, $RGID, $dir) or die "$dir: $!" if $RUID != -1;
	my $s = start_server($row, $ip, 'valgrind', '--tool=callgrind',
	    '--trace-children=yes', '--dump-after=*fork',
	    '--dump-before=execve', "--callgrind-out-file=$dir/cg.%p");
	$client ? $client->($s, $n) : lat($s, $n);
	idle($s, 120) or die "callgrind sessions of ($row->{key}) do not end\n";
	stop_pid($s->{pid}, 60);
	my %per;
	opendir(my $dh, $dir) or die "$dir: $!";
	my @files = grep { /^cg\.\d+(\.\d+)?$/ } readdir($dh);
	closedir($dh);
	my ($parent_all, $parent_first) = (0, 0);
	for my $f (@files) {
		my ($pid, $part) = $f =~ /^cg\.(\d+)(?:\.(\d+))?$/;
		my $t = slurp("$dir/$f") // next;
		my ($cmd) = $t =~ /^cmd:\s+(\S+)/m;
		my ($tot) = $t =~ /^(?:totals|summary):\s+(\d+)/m;
		next unless defined $cmd && defined $tot;
		my $prog = basename($cmd);
		if ($pid == $s->{pid}) {
			$parent_all += $tot;
			$parent_first = $tot if defined $part && $part == 1;
			next;
		}
		next if defined $part && $part == 1 &&
		    ($prog eq 'tcpserver' || $prog eq 'smtpfront');
		$per{$prog} += $tot;
	}
	$per{$_} /= $n for keys %per;
	$per{tcpserver} += ($parent_all - $parent_first) / $n;
	my $all = 0;
	$all += $per{$_} for keys %per;
	$per{all} = $all;
	return \%per;
}

# --- the run -------------------------------------------------------------------

for my $tool (qw(make cc tcpserver rblsmtpd smtp-source valgrind)) {
	next if grep { -x "$_/$tool" } split(/:/, $ENV{PATH} // '');
	next if -x "/usr/sbin/$tool";
	die "bench: $tool is missing (scripts/deps.sh test installs it)\n";
}
$ENV{PATH} .= ':/usr/sbin' unless ($ENV{PATH} // '') =~ m{(^|:)/usr/sbin(:|$)};

note("building into $B");
build();
my $SINK = "$BD/t/sink";
my $SF = $sf_path ? abs_path($sf_path) : "$BD/smtpfront";
my $src = "$TMP/rules.src";
open(my $fh, '>', $src) or die "$src: $!";
print $fh rules_source();
close($fh) or die "$src: $!";
my $CDB = "$TMP/rules.cdb";
{
	my ($st) = run(argv => ["$BD/smtpfront-cdb", $src, $CDB],
	    stdout => "$TMP/cdb.out", stderr => "$TMP/cdb.out");
	die "smtpfront-cdb: " . slurp("$TMP/cdb.out") if $st != 0;
}
my $nrules = () = rules_source() =~ /^list /mg;

my @ROWS = (
	{ key => 'a', title => '(a) child alone', argv => [$SINK] },
	{ key => 'b', title => '(b) rblsmtpd', argv => ['rblsmtpd', $SINK] },
	{ key => 'r', title => '(r) relay that only copies bytes',
	    argv => ["$BD/relay", $SINK], rate_only => 1 },
	{ key => 'c', title => '(c) smtpfront, defaults', argv => [$SF, $SINK],
	    spawns => 1, env => { SMTPFRONT_RULES => "$TMP/no-rules.cdb",
	    SMTPFRONT_RCPT_DOMAIN_ACTION => 'off',
	    SMTPFRONT_SIZE_MAX => $SIZE_MAX } },
	{ key => 'd', title => '(d) smtpfront, rule set', argv => [$SF, $SINK],
	    spawns => 1, env => { SMTPFRONT_RULES => $CDB } },
	{ key => 'e', title => '(e) as (c), child offering CHUNKING',
	    argv => [$SF, $SINK], spawns => 1, rate_only => 1,
	    env => { SMTPFRONT_RULES => "$TMP/no-rules.cdb",
	    SMTPFRONT_RCPT_DOMAIN_ACTION => 'off',
	    SMTPFRONT_SIZE_MAX => $SIZE_MAX, SINK_CHUNKING => 1 } },
);
# --mta: a private Postfix instance and the rows (f) and (g).
my $PF = "$TMP/postfix";
my $PF_UP = 0;
if ($mta) {
	die "bench: --mta needs root (Postfix's own start)\n" if $> != 0;
	my @pw = getpwnam('postfix');
	die "bench: --mta: there is no user postfix\n" unless @pw;
	for my $cmd (qw(create start)) {
		my ($st) = run(argv => ['sh', "$TOP/scripts/postfix-instance.sh",
		    $PF, $cmd], stdout => "$TMP/pf.out", stderr => "$TMP/pf.out");
		die "bench: postfix-instance.sh $cmd: " . (slurp("$TMP/pf.out")
		    // '') . "\n" if $st != 0;
	}
	$PF_UP = 1;
	my @smtpd = ('/usr/lib/postfix/sbin/smtpd', '-S');
	my @ug = ('-u', $pw[2], '-g', $pw[3]);
	push @ROWS,
	    { key => 'f', title => "(f) Postfix's smtpd alone", argv => \@smtpd,
	      rate_only => 1, mta => 1, ug => \@ug,
	      env => { MAIL_CONFIG => "$PF/conf" } },
	    { key => 'g', title => '(g) smtpfront, defaults, before (f)',
	      argv => [$SF, @smtpd], spawns => 1, rate_only => 1, mta => 1,
	      base => 'f', ug => \@ug,
	      env => { MAIL_CONFIG => "$PF/conf",
	      SMTPFRONT_RULES => "$TMP/no-rules.cdb",
	      SMTPFRONT_RCPT_DOMAIN_ACTION => 'off',
	      SMTPFRONT_SIZE_MAX => $SIZE_MAX } };
}

# Wait (bounded) until the private Postfix has delivered what it took.
sub pf_drain {
	return wait_for(sub {
		for my $q (qw(maildrop incoming active)) {
			opendir(my $dh, "$PF/queue/$q") or next;
			my @f = grep { !/^\./ } readdir($dh);
			closedir($dh);
			return 0 if @f;
		}
		return 1;
	}, 120, 0.2);
}

# Rows measured for everything; (r), (e), (f), (g) only for the rates.
my @FULL = grep { !$_->{rate_only} } @ROWS;
my %R;	# $R{metric}{key} = value

# The rows, starting at another one each round: whatever the first of a
# round pays (a cold page cache, writeback of the previous round) is
# shared out.
sub rotated {
	my ($rep, @rows) = @_;
	my $i = ($rep - 1) % @rows;
	return (@rows[$i .. $#rows], @rows[0 .. $i - 1]);
}

my $i = 0;
for my $row ($only =~ /^(?:dns|grey|spam|many|tls|content)$/ ? () : @ROWS) {
	$i++;
	$row->{srv} = start_server($row, "127.77.9.$i");
}

if ($ONLY{rate}) {
note("messages/s and sessions/s: smtp-source -s $CONC -l $BODY, " .
    "$N{reps} round(s)");
my (%rate, %cpu);
for my $rep (1 .. $N{reps}) {
	for my $row (rotated($rep, @ROWS)) {
		my $k = $row->{key};
		my $m = $row->{mta} && $N{mta_msgs} < $N{msgs} ?
		    $N{mta_msgs} : $N{msgs};
		pf_drain() if $mta;
		my ($r, $c, $cl, $id) = smtp_source($row->{srv}, $m, 1);
		push @{$rate{msgs}{$k}}, $r;
		push @{$cpu{msgs}{$k}}, $c;
		push @{$cpu{cli}{$k}}, $cl;
		# Postfix's daemons are not in the server's CPU
		push @{$cpu{idle}{$k}}, $id unless $row->{mta};
		pf_drain() if $mta;
		($r, $c) = pipe_rate($row->{srv}, $m);
		push @{$rate{pipe}{$k}}, $r;
		push @{$cpu{pipe}{$k}}, $c;
		pf_drain() if $mta;
		($r, $c) = smtp_source($row->{srv}, $N{sess}, 0);
		push @{$rate{sess}{$k}}, $r;
		push @{$cpu{sess}{$k}}, $c;
		pf_drain() if $mta;
		($r, $c) = pipe_rate($row->{srv}, $N{sess}, 1);
		push @{$rate{pipe_sess}{$k}}, $r;
		push @{$cpu{pipe_sess}{$k}}, $c;
	}
}
for my $row (@ROWS) {
	my $k = $row->{key};
	$R{msgs}{$k} = median(@{$rate{msgs}{$k}});
	$R{sess}{$k} = median(@{$rate{sess}{$k}});
	$R{pipe}{$k} = median(@{$rate{pipe}{$k}});
	$R{cpu_pipe}{$k} = 0;
	$R{cpu_pipe}{$k} += $_ / $N{reps} for @{$cpu{pipe}{$k}};
	$R{pipe_sess}{$k} = median(@{$rate{pipe_sess}{$k}});
	$R{cpu_pipe_sess}{$k} = 0;
	$R{cpu_pipe_sess}{$k} += $_ / $N{reps} for @{$cpu{pipe_sess}{$k}};
	# CPU over all rounds: the clock tick is 10 ms
	$R{cpu_msg}{$k} = 0;
	$R{cpu_msg}{$k} += $_ / $N{reps} for @{$cpu{msgs}{$k}};
	$R{cpu_sess}{$k} = 0;
	$R{cpu_sess}{$k} += $_ / $N{reps} for @{$cpu{sess}{$k}};
	for my $m (qw(cli idle)) {
		next unless $cpu{$m}{$k};
		$R{"${m}_msg"}{$k} = 0;
		$R{"${m}_msg"}{$k} += $_ / $N{reps} for @{$cpu{$m}{$k}};
	}
}

}
if ($ONLY{lat}) {
note("latency: $N{lat} sequential sessions per row");
my %lat;
for (my $done = 0; $done < $N{lat}; $done += $N{chunk}) {
	my $n = $N{lat} - $done < $N{chunk} ? $N{lat} - $done : $N{chunk};
	push @{$lat{$_->{key}}}, lat($_->{srv}, $n) for @FULL;
}
for my $row (@FULL) {
	$R{lat50}{$row->{key}} = median(@{$lat{$row->{key}}}) / 1000;
	$R{lat99}{$row->{key}} = pct(99, @{$lat{$row->{key}}}) / 1000;
}

}
if ($ONLY{mem}) {
note("memory: $N{hold} connections held, after HELO and inside DATA");
for my $row (@FULL) {
	note("  ($row->{key}) after HELO");
	my ($m, undef, $c) = hold($row->{srv}, $N{hold}, 'helo');
	die "($row->{key}): $c of $N{hold} sessions measured\n"
	    if $c < $N{hold};
	$R{pss_idle}{$row->{key}} = $m;
	note("  ($row->{key}) inside DATA");
	my ($mt, $kt, $ct) = hold($row->{srv}, $N{hold}, 'data');
	die "($row->{key}): $ct of $N{hold} sessions measured\n"
	    if $ct < $N{hold};
	$R{pss_txn}{$row->{key}} = $mt;
	$R{pss_txn_all}{$row->{key}} = $mt + $kt;
}

}
if ($ONLY{big}) {
note("20 MB message, $N{big} round(s)");
my %big;
for my $rep (1 .. $N{big}) {
	for my $row (rotated($rep, @FULL)) {
		my ($us, $hwm, $khwm) = big($row->{srv});
		push @{$big{$row->{key}}{t}}, $us / 1000;
		push @{$big{$row->{key}}{rss}}, $hwm // 0;
		push @{$big{$row->{key}}{krss}}, $khwm // 0;
	}
}
for my $row (@FULL) {
	$R{big_t}{$row->{key}} = median(@{$big{$row->{key}}{t}});
	$R{big_rss}{$row->{key}} = (sort { $b <=> $a } @{$big{$row->{key}}{rss}})[0];
	$R{big_krss}{$row->{key}} = (sort { $b <=> $a } @{$big{$row->{key}}{krss}})[0]
	    if $row->{spawns};
}
}
stop_pid($_->{srv}{pid}) for grep { $_->{srv} } @ROWS;
if ($PF_UP) {
	run(argv => ['sh', "$TOP/scripts/postfix-instance.sh", $PF, 'stop'],
	    stdout => "$TMP/pf.out", stderr => "$TMP/pf.out");
	$PF_UP = 0;
}

if ($ONLY{ins}) {
note("instructions: callgrind, $N{cg} sessions per row");
$i = 0;
for my $row (@FULL) {
	$i++;
	my $per = instructions($row, "127.77.10.$i", $N{cg});
	$R{ins}{$row->{key}} = $per->{all};
	$R{ins_sf}{$row->{key}} = $per->{smtpfront};
	$R{ins_child}{$row->{key}} = $per->{sink};
	$R{ins_tcp}{$row->{key}} = $per->{tcpserver};
}
}

# --- DNS (--only dns): the DNS checks' cost, hidden in the greet delay ----------
#
# A real DNS server (dnsmasq on 127.53.99.2) behind a UDP proxy on
# 127.53.99.1 that holds every answer DNS_DELAY ms (this kernel has no
# netem), the servers of DNSCACHEIP.  Four rows, the same client session
# (bclient lat: HELO client.example.org, sender@example.org ->
# user@example.test, from 127.0.0.1, which no list lists, so every check
# asks and passes):
#   (n) greet_delay 1, no DNS check
#   (k) greet_delay 1, the connect-time DNS checks: three dnsbl zones,
#       fcrdns (PTR, then A)
#   (s) greet_delay 1, every DNS check: those, sender_domain (MX, A,
#       AAAA), helo_dns (A, AAAA), rhsbl on the HELO, the client's name
#       and the sender's domain, spf (smtpfront-spf started at MAIL;
#       libspf2 passes a loopback client without a query, so this row
#       has the helper's cost, not its DNS)
#   (z) as (s), greet_delay 0: what the DNS costs when nothing hides it
# Session time from connect to the QUIT reply (median of DNS_SESS), and
# instructions per session (callgrind) for (n) and (s).
my (%D, @DROWS);
my $DNS_DELAY = 50;
if ($ONLY{dns}) {
	die "bench: --only dns needs root (DNS servers on port 53)\n" if $> != 0;
	my $dsess = $quick ? 10 : 30;
	my ($up, $front) = ('127.53.99.2', '127.53.99.1');
	my $conf = "$TMP/dnsmasq.conf";
	open(my $c, '>', $conf) or die "$conf: $!";
	print $c join("\n", 'port=53', "listen-address=$up", 'bind-interfaces',
	    'no-resolv', 'no-hosts', 'no-poll', 'no-negcache', 'pid-file=',
	    'user=root', 'local=/test/', 'local=/org/', 'local=/in-addr.arpa/',
	    'local=/ip6.arpa/',
	    'host-record=client.example.org,127.0.0.1',
	    'mx-host=example.org,mx.example.org,10',
	    'host-record=mx.example.org,192.0.2.25',
	    'txt-record=example.org,"v=spf1 mx -all"'), "\n";
	close($c) or die "$conf: $!";
	my $dm = spawn(argv => ['dnsmasq', '--keep-in-foreground',
	    "--conf-file=$conf"], stderr => "$TMP/dnsmasq.log");
	my $px = spawn(argv => [$^X, "$TOP/bench/lib/dnsdelay.pl", $front,
	    $up, $DNS_DELAY], stderr => "$TMP/dnsdelay.log");
	wait_for(sub { my $o = `ss -Hlnu 'sport = :53'`;
	    $o =~ /\Q$up\E:53\b/ && $o =~ /\Q$front\E:53\b/ }, 10)
	    or die "bench: the DNS servers did not start: " .
	    (slurp("$TMP/dnsmasq.log") // '') . (slurp("$TMP/dnsdelay.log") // '');
	my $drules = "$TMP/dns.src";
	open(my $r, '>', $drules) or die "$drules: $!";
	print $r "list rcpt_domain example.test\n",
	    map({ "list dnsbl bl$_.test\n" } 1 .. 3),
	    "list rhsbl_helo rhs.test\nlist rhsbl_client rhs.test\n",
	    "list rhsbl_sender rhs.test\n";
	close($r) or die "$drules: $!";
	my ($st) = run(argv => ["$BD/smtpfront-cdb", $drules, "$TMP/dns.cdb"],
	    stdout => "$TMP/cdb.out", stderr => "$TMP/cdb.out");
	die "smtpfront-cdb: " . slurp("$TMP/cdb.out") if $st != 0;
	my %none = (SMTPFRONT_RULES => $CDB, SMTPFRONT_DNSBL_ACTION => 'off',
	    SMTPFRONT_RHSBL_ACTION => 'off');
	my %conn = (SMTPFRONT_FCRDNS_ACTION => 'warn',
	    SMTPFRONT_RHSBL_ACTION => 'off');
	my %all = (SMTPFRONT_FCRDNS_ACTION => 'warn',
	    SMTPFRONT_SENDER_DOMAIN_ACTION => 'reject',
	    SMTPFRONT_HELO_DNS_ACTION => 'reject',
	    SMTPFRONT_SPF_ACTION => 'reject');
	my %base = (SMTPFRONT_RULES => "$TMP/dns.cdb", DNSCACHEIP => $front,
	    SMTPFRONT_GREET_DELAY => 1);
	@DROWS = (
	    { key => 'n', title => '(n) greet_delay 1, no DNS check',
	      argv => [$SF, $SINK], env => { %base, %none } },
	    { key => 'k', title => '(k) greet_delay 1, connect-time DNS checks',
	      argv => [$SF, $SINK], env => { %base, %conn } },
	    { key => 's', title => '(s) greet_delay 1, every DNS check',
	      argv => [$SF, $SINK], env => { %base, %all } },
	    { key => 'z', title => '(z) as (s), greet_delay 0',
	      argv => [$SF, $SINK], env => { %base, %all,
	      SMTPFRONT_GREET_DELAY => 0 } },
	);
	note("DNS: $dsess sessions per row, answers held $DNS_DELAY ms");
	my $j = 0;
	$_->{srv} = start_server($_, '127.77.11.' . ++$j) for @DROWS;
	my %t;
	for my $rep (1 .. $dsess / 5) {
		push @{$t{$_->{key}}}, lat($_->{srv}, 5)
		    for rotated($rep, @DROWS);
	}
	for my $row (@DROWS) {
		my $log = slurp($row->{srv}{log}) // '';
		die "bench: DNS row ($row->{key}): a refusal or a warning in " .
		    "its log:\n$log" if $log =~ /: (?:reject|defer|warning: (?!running))/;
		$D{t50}{$row->{key}} = median(@{$t{$row->{key}}}) / 1000;
		$D{t90}{$row->{key}} = pct(90, @{$t{$row->{key}}}) / 1000;
		stop_pid($row->{srv}{pid});
	}
	note("DNS: instructions, callgrind, 2 sessions of (n) and (s)");
	for my $row (grep { $_->{key} =~ /^[ns]$/ } @DROWS) {
		my $per = instructions($row, '127.77.12.' . ++$j, 2);
		$D{ins}{$row->{key}} = $per->{all};
		$D{ins_sf}{$row->{key}} = $per->{smtpfront};
		$D{ins_spf}{$row->{key}} = $per->{'smtpfront-spf'} // 0;
	}
	stop_pid($px);
	stop_pid($dm);
}
# --- greylisting (--only grey): a known triplet passing, on each store -----------
#
#   (o) greylist_action off
#   (l) greylist on, the store an LMDB file, the triplet of the load's
#       client already known (seeded: a first try, then a retry after
#       greylist_delay 1)
#   (d) the same on Redis: a redis-server on 127.77.13.9, TCP, seeded
#       the same way
# Session time (bclient lat, median) and instructions per session.
my (%G, @GROWS);
sub smtp_once {
	my ($srv) = @_;
	my $c = IO::Socket::INET->new(PeerAddr => $srv->{ip},
	    PeerPort => $srv->{port}, Timeout => 10) or die "connect: $!";
	my @codes;
	for my $l ('', 'HELO client.example.org',
	    'MAIL FROM:<sender@example.org>', 'RCPT TO:<user@example.test>',
	    'QUIT') {
		print $c "$l\r\n" if $l ne '';
		my $r = <$c> // '';
		push @codes, substr($r, 0, 3);
	}
	close($c);
	return $codes[3];
}
if ($ONLY{grey}) {
	require IO::Socket::INET;
	my $gs = $quick ? 10 : 30;
	my $store = "$TMP/grey.mdb";
	my %g = (SMTPFRONT_RULES => $CDB, SMTPFRONT_GREYLIST_DELAY => 1,
	    SMTPFRONT_STORE => $store);
	# the servers' user writes the store
	chown($RUID, $RGID, $TMP) if $RUID != -1;
	my $rport = do {
		my $l = IO::Socket::INET->new(LocalAddr => '127.77.13.9',
		    LocalPort => 0, Listen => 1) or die "free port: $!";
		my $p = $l->sockport;
		close($l);
		$p;
	};
	my $redis = spawn(argv => ['redis-server', '--bind', '127.77.13.9',
	    '--port', $rport, '--protected-mode', 'no', '--save', '',
	    '--appendonly', 'no', '--dir', $TMP, '--logfile', ''],
	    stderr => "$TMP/redis.log");
	for (1 .. 100) {
		last if IO::Socket::INET->new(PeerAddr => '127.77.13.9',
		    PeerPort => $rport);
		select(undef, undef, undef, 0.05);
	}
	@GROWS = (
	    { key => 'o', title => '(o) greylisting off', argv => [$SF, $SINK],
	      env => { %g } },
	    { key => 'l', title => '(l) greylisting on, LMDB, a known triplet',
	      argv => [$SF, $SINK],
	      env => { %g, SMTPFRONT_GREYLIST_ACTION => 'defer' } },
	    { key => 'd', title => '(d) greylisting on, Redis, a known triplet',
	      argv => [$SF, $SINK],
	      env => { %g, SMTPFRONT_GREYLIST_ACTION => 'defer',
	      SMTPFRONT_STORE => "redis://127.77.13.9:$rport/0" } },
	);
	my $j = 0;
	$_->{srv} = start_server($_, '127.77.13.' . ++$j) for @GROWS;
	for my $row (@GROWS[1, 2]) {
		my $first = smtp_once($row->{srv});
		sleep(1.2);
		my $second = smtp_once($row->{srv});
		die "bench: greylist seeding ($row->{key}): $first then " .
		    "$second, not 451 then 250\n"
		    unless $first eq '451' && $second eq '250';
	}
	note("greylisting: $gs sessions per row");
	my %t;
	for my $rep (1 .. $gs / 5) {
		push @{$t{$_->{key}}}, lat($_->{srv}, 5)
		    for rotated($rep, @GROWS);
	}
	for my $row (@GROWS) {
		$G{t50}{$row->{key}} = median(@{$t{$row->{key}}}) / 1000;
		stop_pid($row->{srv}{pid});
	}
	for my $row (@GROWS) {
		my $per = instructions($row, '127.77.14.' . ++$j, 2);
		$G{ins}{$row->{key}} = $per->{all};
		$G{ins_sf}{$row->{key}} = $per->{smtpfront};
	}
	stop_pid($redis);
}
sub grey_table {
	my @o = ("", "Greylisting, a known triplet passing (the load's " .
	    "client, sender and recipient), the store an LMDB file on the " .
	    "bench's temporary directory, or a redis-server on loopback " .
	    "(TCP).", "",
	    "| metric | " . join(" | ", map { $_->{title} } @GROWS) . " |",
	    "|---|" . join("", map { "---|" } @GROWS));
	for my $m (['t50', 'session, connect to close, median, ms', 2],
	    ['ins', 'instructions per session (tcpserver and child included)', 0],
	    ['ins_sf', 'instructions per session, smtpfront alone', 0]) {
		my ($k, $title, $dec) = @$m;
		push @o, "| $title | " . join(" | ", map {
		    defined $G{$k}{$_->{key}} ? sprintf("%.${dec}f",
		    $G{$k}{$_->{key}}) : '-' } @GROWS) . " |";
	}
	return @o;
}
if ($only eq 'grey') {
	my $text = join("\n", "# smtpfront benchmark: greylisting",
	    grey_table(), "", "Command: bench/run --only grey" .
	    ($quick ? " --quick" : "")) . "\n";
	print $text;
	if (defined $outfile) {
		open(my $o, '>', $outfile) or die "$outfile: $!";
		print $o $text;
		close($o) or die "$outfile: $!";
	}
	exit 0;
}
# --- content rules (--only content) --------------------------------------------
#
# 1. The engines, on the same 20 MB of text (COPYING, repeated) and 100
#    patterns (bench/lib/rebench.c): Hyperscan in streaming mode, all
#    patterns at once, as smtpfront-scan runs them; PCRE2 with its JIT,
#    one pass per pattern; the C library's regexec, per line and
#    pattern (on 2 MB).  And (a+)+$ against a line of a's ending in b.
# 2. smtpfront-scan itself: the same 100 patterns as content rules
#    (body), compiled by smtpfront-cdb, a 20 MB message on its input.
# 3. A 2 KB message's session: (o) content_action off, (c) on, with the
#    100 rules (none matching): session time, instructions.
my (%K, @KROWS);
if ($ONLY{content}) {
	my $text = "$TMP/text20";
	my $copying = slurp("$TOP/COPYING") // die "COPYING: $!";
	open(my $t, '>', $text) or die "$text: $!";
	my $len = 0;
	while ($len < 20_000_000) {
		print $t $copying;
		$len += length($copying);
	}
	close($t) or die "$text: $!";
	my ($st) = run(argv => ["$BD/rebench", $text, 100],
	    stdout => "$TMP/rebench.out", stderr => "$TMP/rebench.out");
	die "rebench: " . (slurp("$TMP/rebench.out") // '') if $st != 0;
	for (split /\n/, slurp("$TMP/rebench.out")) {
		$K{engine}{$1} = $2 if /^(\S+) ([\d.]+) /;
	}
	for my $n (30, 100_000) {
		run(argv => ["$BD/rebench", '--hostile', $n],
		    stdout => "$TMP/hostile.out", stderr => "$TMP/hostile.out");
		for (split /\n/, slurp("$TMP/hostile.out") // '') {
			$K{hostile}{$n}{$1} = [$2, $3] if /^(\S+) ([\d.]+) (\S+)/;
		}
	}
	# the same patterns as content rules
	my $src = "$TMP/content.src";
	open(my $c, '>', $src) or die "$src: $!";
	print $c "list rcpt_domain example.test\n";
	for my $i (0 .. 99) {
		printf $c "content r%03d body reject /%s/ refused\n", $i,
		    $i % 2 == 0 ? sprintf('\bword%03d\b', $i) :
		    sprintf('pre%03d[a-z]{2,8}suf', $i);
	}
	close($c) or die "$src: $!";
	my $kcdb = "$TMP/content.cdb";
	my $t0 = time;
	($st) = run(argv => ["$BD/smtpfront-cdb", $src, $kcdb],
	    stdout => "$TMP/kcdb.out", stderr => "$TMP/kcdb.out");
	die "smtpfront-cdb: " . slurp("$TMP/kcdb.out") if $st != 0;
	$K{compile} = (time - $t0) * 1000;
	$K{dbsize} = -s $kcdb;
	my $msg = "$TMP/msg20";
	open(my $m, '>', $msg) or die "$msg: $!";
	print $m "Subject: big\r\nFrom: a\@example.org\r\n\r\n";
	open(my $in, '<', $text) or die;
	while (my $l = <$in>) { $l =~ s/\n/\r\n/; print $m $l }
	close($in);
	close($m) or die "$msg: $!";
	my @r;
	for (1 .. ($quick ? 3 : 5)) {
		# the database as fd 3 of smtpfront-scan, as smtpfront hands it
		my $t1 = time;
		system('sh', '-c', 'exec 3<"$3"; exec "$0" -f 3 < "$1" > "$2"',
		    "$BD/smtpfront-scan", $msg, "$TMP/scan.out", $kcdb) == 0
		    or die "smtpfront-scan failed: " . (slurp("$TMP/scan.out") // '');
		push @r, time - $t1;
	}
	$K{scan} = (-s $msg) / median(@r) / 1e6;
	$K{scansize} = -s $msg;
	die "smtpfront-scan said: " . slurp("$TMP/scan.out")
	    unless slurp("$TMP/scan.out") =~ /^end \d+$/m;
	my %k = (SMTPFRONT_RULES => $kcdb);
	@KROWS = (
	    { key => 'o', title => '(o) content_action off',
	      argv => [$SF, $SINK], env => { %k } },
	    { key => 'c', title => '(c) content_action reject, 100 body rules',
	      argv => [$SF, $SINK],
	      env => { %k, SMTPFRONT_CONTENT_ACTION => 'reject' } },
	);
	# (a): and DKIM and DMARC on, the From: domain's record served by a
	# dnsmasq on loopback (root: port 53); the message is unsigned
	if ($> == 0) {
		my $ip = '127.53.98.2';
		my $conf = "$TMP/kdns.conf";
		open(my $dc, '>', $conf) or die "$conf: $!";
		print $dc join("\n", 'port=53', "listen-address=$ip",
		    'bind-interfaces', 'no-resolv', 'no-hosts', 'no-poll',
		    'pid-file=', 'user=root', 'local=/org/', 'local=/test/',
		    'txt-record=_dmarc.example.org,"v=DMARC1; p=none"'), "\n";
		close($dc) or die "$conf: $!";
		$K{dm} = spawn(argv => ['dnsmasq', '--keep-in-foreground',
		    "--conf-file=$conf"], stderr => "$TMP/kdns.log");
		wait_for(sub { `ss -Hlnu 'sport = :53'` =~ /\Q$ip\E:53\b/ }, 10)
		    or die "bench: dnsmasq did not start: " .
		    (slurp("$TMP/kdns.log") // '');
		push @KROWS, { key => 'a',
		    title => '(a) as (c), and dkim and dmarc on',
		    argv => [$SF, $SINK], env => { %k, DNSCACHEIP => $ip,
		    SMTPFRONT_CONTENT_ACTION => 'reject',
		    SMTPFRONT_DKIM_ACTION => 'reject',
		    SMTPFRONT_DMARC_ACTION => 'reject' } };
	}
	my $j = 0;
	$_->{srv} = start_server($_, '127.77.15.' . ++$j) for @KROWS;
	my $ks = $quick ? 20 : 60;
	note("content: $ks sessions per row");
	my %t;
	for my $rep (1 .. $ks / 5) {
		push @{$t{$_->{key}}}, lat($_->{srv}, 5)
		    for rotated($rep, @KROWS);
	}
	for my $row (@KROWS) {
		$K{t50}{$row->{key}} = median(@{$t{$row->{key}}}) / 1000;
		stop_pid($row->{srv}{pid});
	}
	for my $row (@KROWS) {
		my $per = instructions($row, '127.77.16.' . ++$j, 2);
		$K{ins}{$row->{key}} = $per->{all};
		$K{ins_sf}{$row->{key}} = $per->{smtpfront};
		$K{ins_scan}{$row->{key}} = $per->{'smtpfront-scan'} // 0;
		$K{ins_dkim}{$row->{key}} = $per->{'smtpfront-dkim'} // 0;
	}
	stop_pid($K{dm}) if $K{dm};
}
sub content_table {
	my @o = ("", "Content rules. The engines on 20 MB of text (COPYING " .
	    "repeated), 100 patterns (\\bwordNNN\\b, preNNN[a-z]{2,8}suf), " .
	    "without regard to case:", "",
	    "| engine | MB/s |", "|---|---|");
	for my $e (qw(hyperscan pcre2-jit posix-regexec)) {
		push @o, "| $e | " . ($K{engine}{$e} // '-') . " |";
	}
	push @o, "", "(a+)+\$ against a line of N a's and a b:", "",
	    "| engine | N = 30 | N = 100,000 |", "|---|---|---|";
	for my $e (qw(hyperscan pcre2-jit)) {
		push @o, "| $e | " . join(" | ", map {
		    my $h = $K{hostile}{$_}{$e};
		    $h ? sprintf("%.3f ms, %s", $h->[0] * 1000, $h->[1]) : '-'
		    } (30, 100_000)) . " |";
	}
	push @o, "", sprintf("smtpfront-scan, the same 100 patterns as body " .
	    "rules (smtpfront-cdb: %.0f ms to compile, database %d bytes), a " .
	    "%.1f MB message on its input: **%.0f MB/s**, start and MIME " .
	    "reading included.", $K{compile} // 0, $K{dbsize} // 0,
	    ($K{scansize} // 0) / 1e6, $K{scan} // 0), "",
	    "A 2 KB message's session (row (a) needs root: its DNS server " .
	    "listens on port 53):", "",
	    "| metric | " . join(" | ", map { $_->{title} } @KROWS) . " |",
	    "|---|" . join("", map { "---|" } @KROWS);
	for my $m (['t50', 'session, connect to close, median, ms', 2],
	    ['ins', 'instructions per session (tcpserver and children included)', 0],
	    ['ins_sf', 'instructions per session, smtpfront alone', 0],
	    ['ins_scan', 'instructions per session, smtpfront-scan', 0],
	    ['ins_dkim', 'instructions per session, smtpfront-dkim', 0]) {
		my ($k, $title, $dec) = @$m;
		push @o, "| $title | " . join(" | ", map {
		    defined $K{$k}{$_->{key}} ? sprintf("%.${dec}f",
		    $K{$k}{$_->{key}}) : '-' } @KROWS) . " |";
	}
	return @o;
}
if ($only eq 'content') {
	my $text = join("\n", "# smtpfront benchmark: content rules",
	    content_table(), "", "Command: bench/run --only content" .
	    ($quick ? " --quick" : "")) . "\n";
	print $text;
	if (defined $outfile) {
		open(my $o, '>', $outfile) or die "$outfile: $!";
		print $o $text;
		close($o) or die "$outfile: $!";
	}
	exit 0;
}
# --- the cost of refusing spam (--only spam) ----------------------------------
#
# Sessions that are refused, as about nine in ten are:
#   (b) rblsmtpd, the client listed (RBLSMTPD="-...", as tcprules sets
#       it): 553 at RCPT
#   (i) smtpfront, the same RBLSMTPD: its check rblsmtpd refuses at RCPT
#   (ii) smtpfront, an unknown recipient refused at RCPT (rcpt_users)
# bclient refused: banner, HELO, MAIL, RCPT refused, QUIT.  Sessions/s
# with $SPAM_CONC clients at once, server CPU per session, instructions
# per session (callgrind, tcpserver included).
#   (t) smtpfront, greet_delay 5, earlytalker drop: 1,000 early talkers
#       connect at once and talk before the greeting (each is dropped as
#       it talks); (w) 1,000 silent clients wait through the delay: the
#       CPU their processes use while they wait (two samples two seconds
#       apart, during the delay) and their Pss.
my (%S, @SROWS, %TALK);
my $SPAM_CONC = 4;
my $talkers_n = $quick ? 200 : 1000;
sub refused_run {
	my ($s, $n, $rcpt) = @_;
	my @pids;
	my $per = int($n / $SPAM_CONC) || 1;
	my $t0 = Time::HiRes::time();
	for my $k (1 .. $SPAM_CONC) {
		push @pids, spawn(argv => ["$BD/bclient", 'refused', $s->{ip},
		    $s->{port}, $per, $rcpt], stdout => "$TMP/refused.$k.out",
		    stderr => "$TMP/refused.$k.err");
	}
	for my $k (1 .. $SPAM_CONC) {
		my $st = reap($pids[$k - 1], $WAIT);
		die "bclient refused against ($s->{row}{key}) failed: " .
		    (slurp("$TMP/refused.$k.err") // '') . "\n"
		    if !defined $st || $st != 0;
	}
	return ($per * $SPAM_CONC, Time::HiRes::time() - $t0);
}
sub proc_ticks {
	my ($p) = @_;
	my $st = slurp("/proc/$p/stat") // return 0;
	$st =~ s/^.*\) //s;
	my @f = split(/ /, $st);
	return $f[11] + $f[12];
}
if ($ONLY{spam}) {
	my $n = $quick ? 400 : 2000;
	my $talkers = $talkers_n;
	my $srules = "$TMP/spam.rules";
	open(my $o, '>', $srules) or die "$srules: $!";
	print $o "list rcpt_domain example.test\nlist rcpt_users user\@example.test\n";
	close($o) or die "$srules: $!";
	my ($st) = run(argv => ["$BD/smtpfront-cdb", $srules, "$TMP/spam.cdb"],
	    stdout => "$TMP/cdb.out", stderr => "$TMP/cdb.out");
	die "smtpfront-cdb: " . slurp("$TMP/cdb.out") if $st != 0;
	my %rbl = (RBLSMTPD => '-listed: see https://dnsbl.test/');
	my %sr = (SMTPFRONT_RULES => "$TMP/spam.cdb");
	@SROWS = (
	    { key => 'b', title => '(b) rblsmtpd, a listed client',
	      argv => ['rblsmtpd', $SINK], env => { %rbl }, rcpt => 'user@example.test' },
	    { key => 'i', title => '(i) smtpfront, a listed client (RBLSMTPD)',
	      argv => [$SF, $SINK], env => { %sr, %rbl }, rcpt => 'user@example.test' },
	    { key => 'ii', title => '(ii) smtpfront, an unknown recipient',
	      argv => [$SF, $SINK], env => { %sr }, rcpt => 'nobody@example.test' },
	);
	my $j = 0;
	$_->{srv} = start_server($_, '127.77.15.' . ++$j) for @SROWS;
	note("refused sessions: $n per row, $SPAM_CONC clients at once");
	my %rate;
	for my $rep (1 .. 3) {
		for my $row (rotated($rep, @SROWS)) {
			idle($row->{srv}, 60);
			my $cpu0 = server_cpu($row->{srv});
			my ($done, $secs) = refused_run($row->{srv}, $n, $row->{rcpt});
			idle($row->{srv}, 60);
			push @{$rate{$row->{key}}}, $done / $secs;
			push @{$S{cpu_all}{$row->{key}}},
			    (server_cpu($row->{srv}) - $cpu0) * 1e6 / $done;
		}
	}
	for my $row (@SROWS) {
		$S{rate}{$row->{key}} = median(@{$rate{$row->{key}}});
		$S{cpu}{$row->{key}} = median(@{$S{cpu_all}{$row->{key}}});
		stop_pid($row->{srv}{pid});
	}
	for my $row (@SROWS) {
		my $per = instructions($row, '127.77.16.' . ++$j, $N{cg},
		    sub {
			my ($s, $k) = @_;
			my $out = "$TMP/refused-cg.out";
			my ($st) = run(argv => ["$BD/bclient", 'refused', $s->{ip},
			    $s->{port}, $k, $row->{rcpt}], stdout => $out,
			    stderr => "$out.err");
			die "bclient refused under callgrind failed: " .
			    (slurp("$out.err") // '') if $st != 0;
		});
		$S{ins}{$row->{key}} = $per->{all};
		$S{ins_front}{$row->{key}} = $per->{smtpfront} // $per->{rblsmtpd};
	}

	# (t) early talkers and (w) silent clients through a 5 s greet delay
	for my $mode ('early', 'silent') {
		my $trow = { key => $mode, argv => [$SF, $SINK],
		    conc => $talkers + 100, backlog => $talkers + 100,
		    env => { %sr,
		    SMTPFRONT_GREET_DELAY => 5,
		    SMTPFRONT_EARLYTALKER_ACTION => 'drop' } };
		my $s = start_server($trow, '127.77.15.' . ($mode eq 'early' ?
		    9 : 10));
		my ($rd, $wr);
		my $pid = open2($rd, $wr, "$BD/bclient", 'talk', $s->{ip},
		    $s->{port}, $talkers, $mode);
		$LIVE{$pid} = 1;
		my $line = <$rd> // '';
		die "bclient talk: $line" unless $line =~ /^ready $talkers$/;
		my @held;
		wait_for(sub { @held = children($s->{pid});
		    @held >= $talkers }, $mode eq 'early' ? 1 : 30);
		Time::HiRes::sleep(0.5);
		my $t1 = 0;
		$t1 += proc_ticks($_) for @held;
		my ($pss, $m) = (0, 0);
		for my $p (@held) {
			my $v = kb_field("/proc/$p/smaps_rollup", 'Pss') // next;
			$pss += $v;
			$m++;
		}
		Time::HiRes::sleep(2);
		my ($t2, $still) = (0, 0);
		for my $p (@held) {
			next unless -e "/proc/$p";
			$still++;
			$t2 += proc_ticks($p);
		}
		$line = <$rd> // '';
		my ($us) = $line =~ /^done (\d+)$/;
		reap($pid, 60);
		$TALK{$mode} = { held => scalar(@held), still => $still,
		    ticks => $t2 - $t1, pss => $m ? $pss / $m : 0,
		    secs => $us ? $us / 1e6 : 0 };
		stop_pid($s->{pid});
	}
}
sub spam_table {
	my @o = ("", "Refused sessions (banner, HELO, MAIL, RCPT refused, " .
	    "QUIT), $SPAM_CONC clients at once, median of 3 rounds; " .
	    "instructions by callgrind over $N{cg} sessions, tcpserver " .
	    "included.", "",
	    "| metric | " . join(" | ", map { $_->{title} } @SROWS) . " |",
	    "|---|" . join("", map { "---|" } @SROWS));
	for my $m (['rate', 'sessions/s', 0],
	    ['cpu', 'server CPU per session, us', 0],
	    ['ins', 'instructions per session (tcpserver and child included)', 0],
	    ['ins_front', 'instructions per session, rblsmtpd or smtpfront alone', 0]) {
		my ($k, $title, $dec) = @$m;
		push @o, "| $title | " . join(" | ", map {
		    defined $S{$k}{$_->{key}} ? sprintf("%.${dec}f",
		    $S{$k}{$_->{key}}) : '-' } @SROWS) . " |";
	}
	my ($e, $w) = ($TALK{early} || {}, $TALK{silent} || {});
	push @o, "", sprintf("(t) %d early talkers at once, greet_delay 5, " .
	    "earlytalker drop: each is dropped as soon as it talks, none is " .
	    "held (%d session processes found half a second after all had " .
	    "talked); all closed after %.2f s.", $talkers_n, $e->{held} // 0,
	    $e->{secs} // 0);
	push @o, "", sprintf("(w) %d silent clients at once through the " .
	    "5 s greet delay (the held case): %d processes held; CPU while " .
	    "they wait: %d ticks in all over 2 s, %d still waiting at the " .
	    "second sample; Pss per held session %.1f KB; all greeted and " .
	    "closed after %.2f s.", $talkers_n, $w->{held} // 0,
	    $w->{ticks} // 0, $w->{still} // 0, $w->{pss} // 0,
	    $w->{secs} // 0);
	return @o;
}
if ($only eq 'spam') {
	my $text = join("\n", "# smtpfront benchmark: refusing spam",
	    spam_table(), "", "Command: bench/run --only spam" .
	    ($quick ? " --quick" : "")) . "\n";
	print $text;
	if (defined $outfile) {
		open(my $o, '>', $outfile) or die "$outfile: $!";
		print $o $text;
		close($o) or die "$outfile: $!";
	}
	exit 0;
}
# --- 10,000 held connections (--only many) -----------------------------------
#
# tcpserver -c 10100 with smtpfront and the sink (the rule set of row (d));
# one bclient holds 10,000 sessions idle after HELO (the child is not
# started before MAIL).  The machine's memory in use: MemAvailable before
# the sessions minus MemAvailable while they are held (kernel stacks, page
# tables and socket buffers count), per session too; a new session's
# latency (bclient lat, median of 50) while they are held, against the
# same with none held; Pss of 200 of the held sessions.
my %MANY;
sub mem_available {
	my $t = slurp('/proc/meminfo') // return 0;
	return $t =~ /^MemAvailable:\s+(\d+) kB/m ? $1 : 0;
}
my @MEMF = qw(AnonPages KernelStack PageTables SUnreclaim SReclaimable Shmem);
sub mem_fields {
	my $t = slurp('/proc/meminfo') // return {};
	return { map { $_ => ($t =~ /^\Q$_\E:\s+(\d+) kB/m ? $1 : 0) } @MEMF };
}
# Held once through smtpfront (row m) and once through bench/lib/floor.c
# (row z: a static program that greets, answers 250 and holds one 512-byte
# buffer), the floor of any design with one process a connection.
sub hold_run {
	my ($row, $ip, $held) = @_;
	my $s = start_server($row, $ip);
	lat($s, 20);		# warm
	my @idle = lat($s, 50);
	idle($s, 60);
	sleep(1);
	my $m0 = mem_available();
	my $f0 = mem_fields();
	my ($rd, $wr);
	my $pid = open2($rd, $wr, "$BD/bclient", 'hold', $s->{ip},
	    $s->{port}, $held, 'helo');
	$LIVE{$pid} = 1;
	my $line;
	{
		local $SIG{ALRM} = sub { die "bclient hold: no answer\n" };
		alarm($WAIT);
		$line = <$rd>;
		alarm(0);
	}
	die "bclient hold $held failed\n" unless ($line // '') =~ /^ready $held$/;
	my @procs;
	wait_for(sub { @procs = children($s->{pid}); @procs >= $held }, 60);
	sleep(2);
	my $m1 = mem_available();
	my $f1 = mem_fields();
	my @busy = lat($s, 50);
	my ($pss, $n) = (0, 0);
	for my $p (@procs[0 .. 199]) {
		next unless defined $p;
		my $v = kb_field("/proc/$p/smaps_rollup", 'Pss') // next;
		$pss += $v;
		$n++;
	}
	close($wr);
	reap($pid, 120) // stop_pid($pid);
	idle($s, 120);
	stop_pid($s->{pid});
	return { held => $held, procs => scalar(@procs),
	    used_mb => ($m0 - $m1) / 1024, per_kb => ($m0 - $m1) / $held,
	    idle_us => median(@idle), busy_us => median(@busy),
	    pss => $n ? $pss / $n : 0,
	    fields => join(', ', map { sprintf("%s %.1f", $_,
	    ($f1->{$_} - $f0->{$_}) / $held) } @MEMF) };
}
if ($ONLY{many}) {
	my $held = $quick ? 2000 : 10000;
	$MANY{m} = hold_run({ key => 'm', argv => [$SF, $SINK],
	    conc => $held + 100, backlog => 1024,
	    env => { SMTPFRONT_RULES => $CDB } }, '127.77.17.1', $held);
	$MANY{z} = hold_run({ key => 'z', argv => ["$BD/floor"],
	    conc => $held + 100, backlog => 1024 }, '127.77.17.2', $held);
}
sub many_table {
	my @t;
	for my $k ('m', 'z') {
		my $r = $MANY{$k} or next;
		push @t, "", sprintf("(%s) %d sessions held idle after HELO " .
		    "through %s (%d processes): memory in use (MemAvailable " .
		    "before minus during) %.0f MB, %.1f KB a session; Pss of " .
		    "200 of them %.1f KB each; a new session's latency, median " .
		    "of 50: %.0f us with none held, %.0f us with them held " .
		    "(%.2f times).", $k, $r->{held},
		    $k eq 'm' ? 'smtpfront' : 'bench/lib/floor.c, the floor ' .
		    'of a process a connection', $r->{procs}, $r->{used_mb},
		    $r->{per_kb}, $r->{pss}, $r->{idle_us}, $r->{busy_us},
		    $r->{idle_us} ? $r->{busy_us} / $r->{idle_us} : 0),
		    "", "Where it goes, KB a session (/proc/meminfo, during " .
		    "minus before; the client's side of each connection counts " .
		    "too): $r->{fields}.";
	}
	push @t, "", sprintf("smtpfront over the floor: %.1f KB a session " .
	    "(%.2f times the floor's %.1f KB).", $MANY{m}{per_kb} -
	    $MANY{z}{per_kb}, $MANY{z}{per_kb} ? $MANY{m}{per_kb} /
	    $MANY{z}{per_kb} : 0, $MANY{z}{per_kb}) if $MANY{m} && $MANY{z};
	return @t;
}
if ($only eq 'many') {
	my $text = join("\n", "# smtpfront benchmark: 10,000 held connections",
	    many_table(), "", "Command: bench/run --only many" .
	    ($quick ? " --quick" : "")) . "\n";
	print $text;
	if (defined $outfile) {
		open(my $o, '>', $outfile) or die "$outfile: $!";
		print $o $text;
		close($o) or die "$outfile: $!";
	}
	exit 0;
}
# --- STARTTLS (--only tls, as root) ---------------------------------------------
#
# A TLS session: banner, EHLO, STARTTLS, the handshake (TLS 1.3, an
# ECDSA P-256 certificate made here), EHLO, one 2 KB message, QUIT;
# sequential sessions from a Perl client (IO::Socket::SSL), the same
# client for every row:
#   (P) tcpserver -> Postfix smtpd -S with TLS itself (a private instance,
#       smtpd_tls_security_level may)
#   (T) tcpserver -> smtpfront (STARTTLS through smtpfront-tls) ->
#       Postfix smtpd -S, plain
# Server CPU per session counts tcpserver's tree (smtpfront, smtpfront-tls,
# smtpd -S), not Postfix's daemons.  Then the 20 MB message through
# smtpfront to the sink, over TLS and in plain text (time, peak RSS of
# smtpfront and of smtpfront-tls), and the instructions of a plain
# session with STARTTLS offered (a certificate set) and without.
my (%TL, @TROWS);
sub tls_reply {
	my ($c) = @_;
	my ($line, $code);
	while (defined($line = <$c>)) {
		($code) = $line =~ /^(\d{3})/;
		last if $line =~ /^\d{3} /;
	}
	return $code // 0;
}
sub tls_cmd {
	my ($c, $cmd, $want) = @_;
	print $c "$cmd\r\n";
	my $code = tls_reply($c);
	die "bench tls: $cmd: $code, not $want\n" unless $code == $want;
}
# One TLS session with a message of $bytes; returns microseconds, with
# $hold a code ref called before QUIT.
sub tls_session {
	my ($s, $ca, $bytes, $hold) = @_;
	my $t0 = time;
	my $c = IO::Socket::INET->new(PeerAddr => $s->{ip},
	    PeerPort => $s->{port}, Timeout => 30) or die "connect: $!";
	# as bclient: no Nagle delay on the client's small writes
	setsockopt($c, Socket::IPPROTO_TCP(), Socket::TCP_NODELAY(), 1);
	die "bench tls: banner\n" unless tls_reply($c) == 220;
	tls_cmd($c, 'EHLO client.example.org', 250);
	tls_cmd($c, 'STARTTLS', 220);
	IO::Socket::SSL->start_SSL($c, SSL_ca_file => $ca,
	    SSL_verifycn_name => 'mx.test.invalid', SSL_verifycn_scheme => 'smtp')
	    or die "bench tls: handshake: " . IO::Socket::SSL::errstr() . "\n";
	tls_cmd($c, 'EHLO client.example.org', 250);
	tls_cmd($c, 'MAIL FROM:<sender@example.org>', 250);
	tls_cmd($c, 'RCPT TO:<user@example.test>', 250);
	tls_cmd($c, 'DATA', 354);
	print $c "From: <sender\@example.org>\r\nTo: <user\@example.test>\r\n" .
	    "Subject: bench\r\n\r\n";
	my $line = ('x' x 76) . "\r\n";
	my $chunk = $line x 800;
	my $left = $bytes;
	while ($left > 0) {
		my $n = $left < length($chunk) ? $left : length($chunk);
		print $c substr($chunk, 0, $n);
		$left -= $n;
	}
	tls_cmd($c, "\r\n.", 250);
	my $us = (time - $t0) * 1e6;
	$hold->() if $hold;
	tls_cmd($c, 'QUIT', 221);
	close($c);
	return $us;
}
if ($ONLY{tls}) {
	die "bench: --only tls needs root (Postfix's own start)\n" if $> != 0;
	require IO::Socket::INET;
	require IO::Socket::SSL;
	my $n = $quick ? 40 : 200;
	my $pki = "$TMP/pki";
	mkdir($pki) or die "$pki: $!";
	for my $a (['req', '-x509', '-newkey', 'ec', '-pkeyopt',
	    'ec_paramgen_curve:P-256', '-nodes', '-keyout', "$pki/ca.key",
	    '-out', "$pki/ca.crt", '-days', '30', '-subj', '/CN=bench CA',
	    '-addext', 'basicConstraints=critical,CA:TRUE'],
	    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
	    '-nodes', '-keyout', "$pki/srv.key", '-out', "$pki/srv.csr",
	    '-subj', '/CN=mx.test.invalid'],
	    ['x509', '-req', '-in', "$pki/srv.csr", '-CA', "$pki/ca.crt",
	    '-CAkey', "$pki/ca.key", '-CAcreateserial', '-days', '30',
	    '-out', "$pki/srv.crt"]) {
		my ($st) = run(argv => ['openssl', @$a], stdout => "$TMP/ssl.out",
		    stderr => "$TMP/ssl.out");
		die "openssl: " . slurp("$TMP/ssl.out") if $st != 0;
	}
	system('chmod', '-R', 'a+rX', $pki);
	chmod(0644, "$pki/srv.key");
	my $PFT = "$TMP/postfix-tls";
	for my $cmd (qw(create start)) {
		my ($st) = run(argv => ['sh', "$TOP/scripts/postfix-instance.sh",
		    $PFT, $cmd], stdout => "$TMP/pft.out", stderr => "$TMP/pft.out");
		die "bench: postfix-instance.sh $cmd: " . (slurp("$TMP/pft.out")
		    // '') . "\n" if $st != 0;
	}
	my ($st) = run(argv => ['postconf', '-c', "$PFT/conf", '-e',
	    "smtpd_tls_cert_file=$pki/srv.crt", "smtpd_tls_key_file=$pki/srv.key",
	    'smtpd_tls_security_level=may'], stdout => "$TMP/pft.out",
	    stderr => "$TMP/pft.out");
	die "postconf: " . slurp("$TMP/pft.out") if $st != 0;
	run(argv => ['postfix', '-c', "$PFT/conf", 'reload'],
	    stdout => "$TMP/pft.out", stderr => "$TMP/pft.out");
	my @pw = getpwnam('postfix');
	my @ug = ('-u', $pw[2], '-g', $pw[3]);
	my @smtpd = ('/usr/lib/postfix/sbin/smtpd', '-S');
	my %tlsenv = (SMTPFRONT_TLS_CERT => "$pki/srv.crt",
	    SMTPFRONT_TLS_KEY => "$pki/srv.key");
	@TROWS = (
	    { key => 'P', title => "(P) Postfix's smtpd with TLS",
	      argv => \@smtpd, ug => \@ug,
	      env => { MAIL_CONFIG => "$PFT/conf" } },
	    { key => 'T', title => '(T) smtpfront with STARTTLS, before smtpd',
	      argv => [$SF, @smtpd], ug => \@ug,
	      env => { MAIL_CONFIG => "$PFT/conf",
	      SMTPFRONT_RULES => "$TMP/no-rules.cdb",
	      SMTPFRONT_RCPT_DOMAIN_ACTION => 'off', %tlsenv } },
	);
	my $j = 0;
	$_->{srv} = start_server($_, '127.77.18.' . ++$j) for @TROWS;
	note("TLS sessions: $n per row");
	my (%rate, %cpu, %lat);
	for my $rep (1 .. 3) {
		for my $row (rotated($rep, @TROWS)) {
			idle($row->{srv}, 60);
			my $cpu0 = server_cpu($row->{srv});
			my $t0 = time;
			my @l = map { tls_session($row->{srv}, "$pki/ca.crt", 2048) }
			    1 .. int($n / 3);
			my $secs = time - $t0;
			idle($row->{srv}, 60);
			push @{$rate{$row->{key}}}, @l / $secs;
			push @{$cpu{$row->{key}}}, (server_cpu($row->{srv}) - $cpu0) *
			    1e6 / @l;
			push @{$lat{$row->{key}}}, @l;
		}
	}
	for my $row (@TROWS) {
		$TL{rate}{$row->{key}} = median(@{$rate{$row->{key}}});
		$TL{cpu}{$row->{key}} = median(@{$cpu{$row->{key}}});
		$TL{lat}{$row->{key}} = median(@{$lat{$row->{key}}}) / 1000;
		stop_pid($row->{srv}{pid});
	}
	run(argv => ['sh', "$TOP/scripts/postfix-instance.sh", $PFT, 'stop'],
	    stdout => "$TMP/pft.out", stderr => "$TMP/pft.out");

	# 20 MB to the sink, over TLS and plain
	my $brow = { key => 'B', argv => [$SF, $SINK],
	    env => { SMTPFRONT_RULES => $CDB, SMTPFRONT_SIZE_MAX => $SIZE_MAX,
	    SMTPFRONT_RCPT_DOMAIN_ACTION => 'off', %tlsenv } };
	my $s = start_server($brow, '127.77.18.9');
	my ($hwm, $thwm) = (0, 0);
	my @tl = map { tls_session($s, "$pki/ca.crt", $BIG, sub {
		my ($p) = children($s->{pid});
		return unless defined $p;
		my $v = kb_field("/proc/$p/status", 'VmHWM') // 0;
		$hwm = $v if $v > $hwm;
		for my $k (children($p)) {
			my $cmd = slurp("/proc/$k/comm") // '';
			next unless $cmd =~ /smtpfront-tls/;
			my $w = kb_field("/proc/$k/status", 'VmHWM') // 0;
			$thwm = $w if $w > $thwm;
		}
	    }) } 1 .. ($quick ? 2 : 4);
	my @pl = map { (big($s))[0] } 1 .. ($quick ? 2 : 4);
	$TL{big_tls} = median(@tl) / 1000;
	$TL{big_plain} = median(@pl) / 1000;
	$TL{big_hwm} = $hwm;
	$TL{big_thwm} = $thwm;
	stop_pid($s->{pid});

	# a plain session's instructions, STARTTLS offered or not
	my $p0 = instructions({ key => 'n0', argv => [$SF, $SINK],
	    env => { SMTPFRONT_RULES => $CDB } }, '127.77.18.20', $N{cg});
	my $p1 = instructions({ key => 'n1', argv => [$SF, $SINK],
	    env => { SMTPFRONT_RULES => $CDB, %tlsenv } }, '127.77.18.21',
	    $N{cg});
	$TL{ins_plain} = $p0->{smtpfront};
	$TL{ins_offer} = $p1->{smtpfront};
}
sub tls_table {
	my @o = ("", "A TLS session (EHLO, STARTTLS, TLS 1.3 with an ECDSA " .
	    "P-256 certificate, EHLO, one 2 KB message, QUIT), sequential " .
	    "from one Perl client (IO::Socket::SSL), median of 3 rounds; " .
	    "server CPU counts tcpserver's tree, not Postfix's daemons.", "",
	    "| metric | " . join(" | ", map { $_->{title} } @TROWS) . " |",
	    "|---|" . join("", map { "---|" } @TROWS));
	for my $m (['rate', 'sessions/s', 1], ['lat', 'session, median, ms', 2],
	    ['cpu', 'server CPU per session, us', 0]) {
		my ($k, $title, $dec) = @$m;
		push @o, "| $title | " . join(" | ", map {
		    defined $TL{$k}{$_->{key}} ? sprintf("%.${dec}f",
		    $TL{$k}{$_->{key}}) : '-' } @TROWS) . " |";
	}
	push @o, "", sprintf("20 MB message through smtpfront to the sink: " .
	    "%.0f ms over TLS, %.0f ms plain (DATA to the final reply; the " .
	    "TLS figure includes the handshake); peak RSS over TLS: " .
	    "smtpfront %d KB, smtpfront-tls %d KB.", $TL{big_tls} // 0,
	    $TL{big_plain} // 0, $TL{big_hwm} // 0, $TL{big_thwm} // 0);
	push @o, "", sprintf("A plain session (no STARTTLS asked), " .
	    "instructions in smtpfront: %d without a certificate, %d with " .
	    "STARTTLS offered (%+.2f%%).", $TL{ins_plain} // 0,
	    $TL{ins_offer} // 0, $TL{ins_plain} ? 100 * (($TL{ins_offer} //
	    0) - $TL{ins_plain}) / $TL{ins_plain} : 0);
	return @o;
}
if ($only eq 'tls') {
	my $text = join("\n", "# smtpfront benchmark: STARTTLS",
	    tls_table(), "", "Command: bench/run --only tls" .
	    ($quick ? " --quick" : "")) . "\n";
	print $text;
	if (defined $outfile) {
		open(my $o, '>', $outfile) or die "$outfile: $!";
		print $o $text;
		close($o) or die "$outfile: $!";
	}
	exit 0;
}
sub dns_table {
	my @o = ("", "DNS checks: answers held $DNS_DELAY ms by a UDP proxy " .
	    "in front of dnsmasq; the client from 127.0.0.1, listed nowhere, " .
	    "so every check asks and passes.", "",
	    "| metric | " . join(" | ", map { $_->{title} } @DROWS) . " |",
	    "|---|" . join("", map { "---|" } @DROWS));
	for my $m (['t50', 'session, connect to QUIT reply, median, ms', 1],
	    ['t90', 'session, p90, ms', 1],
	    ['ins', 'instructions per session (tcpserver and child included)', 0],
	    ['ins_sf', 'instructions per session, smtpfront alone', 0],
	    ['ins_spf', 'instructions per session, smtpfront-spf', 0]) {
		my ($k, $title, $dec) = @$m;
		push @o, "| $title | " . join(" | ", map {
		    defined $D{$k}{$_->{key}} ? sprintf("%.${dec}f",
		    $D{$k}{$_->{key}}) : '-' } @DROWS) . " |";
	}
	push @o, "", sprintf("DNS beyond the greet delay: (k) - (n) = %.1f ms, " .
	    "(s) - (n) = %.1f ms; unhidden, (z) - ((n) - 1000) = %.1f ms.",
	    $D{t50}{k} - $D{t50}{n}, $D{t50}{s} - $D{t50}{n},
	    $D{t50}{z} - ($D{t50}{n} - 1000)) if defined $D{t50}{n};
	return @o;
}
if ($only eq 'dns') {
	my $text = join("\n", "# smtpfront benchmark: DNS checks", dns_table(),
	    "", "Command: bench/run --only dns" . ($quick ? " --quick" : "")) .
	    "\n";
	print $text;
	if (defined $outfile) {
		open(my $o, '>', $outfile) or die "$outfile: $!";
		print $o $text;
		close($o) or die "$outfile: $!";
	}
	exit 0;
}

# --- the table -------------------------------------------------------------------

my @M = (
	[msgs => "messages/s, smtp-source -s $CONC -m $N{msgs} -l $BODY -d (median of $N{reps})", 0],
	[sess => "sessions/s, smtp-source -s $CONC -m $N{sess} -l $BODY, 1 message a session (median of $N{reps})", 0],
	[cpu_msg => "server CPU ms per message in that run (tcpserver and all sessions)", 3],
	[cli_msg => "smtp-source's CPU ms per message in that run", 3],
	[idle_msg => "CPU ms per message used by no process in that run ($NCPU CPUs x wall time, less server and smtp-source)", 3],
	[cpu_sess => "server CPU ms per session in that run", 3],
	[pipe => "messages/s, bclient pipe: $CONC sessions, EHLO, MAIL RCPT DATA in one write (PIPELINING, as MTAs send), $N{msgs} messages of $BODY bytes (median of $N{reps})", 0],
	[cpu_pipe => "server CPU ms per message in that run", 3],
	[pipe_sess => "sessions/s, bclient pipe: $CONC at once, EHLO, MAIL RCPT DATA in one write, 1 message a session, $N{sess} sessions (median of $N{reps})", 0],
	[cpu_pipe_sess => "server CPU ms per session in that run", 3],
	[lat50 => "latency of a session, median, ms ($N{lat} sequential)", 2],
	[lat99 => "latency of a session, p99, ms", 2],
	[pss_idle => "Pss per connection after HELO, KB ($N{hold} held)", 1],
	[pss_txn => "Pss per connection inside DATA, KB (the process on the socket)", 1],
	[pss_txn_all => "Pss per connection inside DATA, KB, child included", 1],
	[ins => "instructions per session (tcpserver and child included)", 0],
	[ins_sf => "instructions per session, smtpfront alone", 0],
	[ins_tcp => "instructions per session, tcpserver (parent and fork)", 0],
	[ins_child => "instructions per session, the child (sink)", 0],
	[big_t => "20 MB message, DATA to final reply, ms (median of $N{big})", 0],
	[big_rss => "20 MB message, peak RSS of the process on the socket, KB", 0],
	[big_krss => "20 MB message, peak RSS of smtpfront's child, KB", 0],
);

# A row's ratios are to (a), or to its own base: (g) to (f).
my %BASE = map { $_->{key} => ($_->{base} // ($_->{mta} ? '' : 'a')) } @ROWS;
sub cell {
	my ($m, $key, $dec) = @_;
	my $v = $R{$m}{$key};
	return '-' unless defined $v && ($v != 0 || $key eq 'a');
	my $s = sprintf("%.${dec}f", $v);
	1 while $s =~ s/^(\d+)(\d{3})/$1,$2/;
	my $b = $BASE{$key};
	my $a = $b ? $R{$m}{$b} : undef;
	$s .= sprintf(" (%.2f)", $v / $a) if $b && $key ne $b && $a && $a > 0;
	return $s;
}

my $cpu = (slurp('/proc/cpuinfo') // '') =~ /^model name\s*:\s*(.*)$/m ?
    $1 : 'unknown CPU';
chomp(my $kernel = `uname -r`);
chomp(my $host = `uname -n`);
chomp(my $rev = `git -C '$TOP' rev-parse --short HEAD 2>/dev/null` || 'unknown');
my $dirty = `git -C '$TOP' status --porcelain --untracked-files=no 2>/dev/null` ne ''
    ? ' (with uncommitted changes)' : '';
my $link = (`file '$SF'` =~ /statically linked/) ? 'static' : 'dynamic';
my $slink = (`file '$SINK'` =~ /statically linked/) ? 'static' : 'dynamic';
my $date = strftime("%Y-%m-%d %H:%M UTC", gmtime);

my @out;
push @out, "# smtpfront benchmark" . ($quick ? " (--quick)" : ""), "",
    "$date, $host: $NCPU x $cpu, Linux $kernel; smtpfront $rev$dirty, " .
    "-O2, $link; run took " . sprintf("%.0f", time - $T0) . " s.", "",
    "Child: build/bench/t/sink (the tests' small sink, t/sink.c, -O2, " .
    "$slink, recording nothing), the stand-in for a small MTA child.",
    "(c) has no rules database and SMTPFRONT_RCPT_DOMAIN_ACTION=off so " .
    "that mail flows; (d) has $nrules list entries (3,000 rcpt_users, " .
    "2,000 sender_list, 500 helo_list, trust and allow lists), every " .
    "check at its default action, greet_delay 0.  Every smtpfront row " .
    "has SMTPFRONT_FCRDNS_ACTION=off: no DNS (--only dns measures it).  " .
    "The sink offers no " .
    "CHUNKING (as qmail-smtpd and Sendmail), but in (e), where it " .
    "does (as Postfix and Exim): smtpfront gives it a message that " .
    "came in one read as one BDAT LAST instead of DATA and its 354. " .
    "(r) is bench/lib/relay.c, which only copies bytes between the " .
    "client and the child, as they come: a relay with no checks at all. " .
    ($mta ? "(f) and (g) have Postfix's smtpd -S as the child (a private " .
    "instance, delivering to a Maildir; both as the postfix user), (g) " .
    "with its ratios to (f); their server CPU leaves out Postfix's own " .
    "daemons; for messages/s they take at most $N{mta_msgs} messages " .
    "(Postfix queues about 400 a second here: a run of seconds, which " .
    "start-up does not weigh on). " : "") .
    (@UG ? "The servers run as nobody (tcpserver -u -g), as INSTALL " .
    "says. " : "") . "Ratios to (a) in " .
    "parentheses; quote ratios, not absolute values (shared, noisy " .
    "machine).", "";
push @out, "| metric | " . join(" | ", map { $_->{title} } @ROWS) . " |";
push @out, "|---|" . join("", map { "---|" } @ROWS);
for my $m (@M) {
	my ($k, $title, $dec) = @$m;
	next unless grep { defined $R{$k}{$_->{key}} } @ROWS;
	push @out, "| $title | " .
	    join(" | ", map { cell($k, $_->{key}, $dec) } @ROWS) . " |";
}

# The targets, with the default rules (c) against (a).
sub ratio { my ($m) = @_; return $R{$m}{a} ? $R{$m}{c} / $R{$m}{a} : 0 }
my @T;
sub target {
	my ($what, $m, $fmt, $ok) = @_;
	return unless defined $R{$m}{c} && defined $R{$m}{a};
	push @T, [$what, $fmt->(), $ok->()];
}
target("messages/s ratio >= 0.85", 'msgs', sub { sprintf("%.2f", ratio('msgs')) },
    sub { ratio('msgs') >= 0.85 });
target("messages/s ratio >= 0.85, (e): a child offering CHUNKING", 'msgs',
    sub { sprintf("%.2f", $R{msgs}{e} / $R{msgs}{a}) },
    sub { $R{msgs}{e} / $R{msgs}{a} >= 0.85 }) if $R{msgs}{e} && $R{msgs}{a};
target("sessions/s ratio >= 0.60", 'sess', sub { sprintf("%.2f", ratio('sess')) },
    sub { ratio('sess') >= 0.60 });
target("instructions per session, tcpserver and child included, <= 150,000",
    'ins', sub { sprintf("%.0f", $R{ins}{c}) }, sub { $R{ins}{c} <= 150000 });
target("Pss per held connection before a transaction <= 60 KB", 'pss_idle',
    sub { sprintf("%.1f KB", $R{pss_idle}{c}) }, sub { $R{pss_idle}{c} <= 60 });
target("Pss per held connection in a transaction <= 117 KB", 'pss_txn',
    sub { sprintf("%.1f KB", $R{pss_txn}{c}) }, sub { $R{pss_txn}{c} <= 117 });
target("20 MB message time ratio <= 1.2", 'big_t',
    sub { sprintf("%.2f", ratio('big_t')) }, sub { ratio('big_t') <= 1.2 });
target("20 MB message peak RSS <= 2 MB", 'big_rss', sub { "$R{big_rss}{c} KB" },
    sub { $R{big_rss}{c} <= 2048 });
push @out, "", "Targets, row (c) against (a):", "",
    "| target | measured | |", "|---|---|---|";
push @out, "| $_->[0] | $_->[1] | " . ($_->[2] ? "met" : "**missed**") . " |"
    for @T;
push @out, dns_table() if $ONLY{dns};
push @out, "", "Command: bench/run" . ($quick ? " --quick" : "");
my $text = join("\n", @out) . "\n";
print $text;
if (defined $outfile) {
	open(my $o, '>', $outfile) or die "$outfile: $!";
	print $o $text;
	close($o) or die "$outfile: $!";
}
exit 0;
