# t/lib/SF.pm: helpers for the smtpfront tests in t/*.t.
#
# Every test drives the real binary under a real server (tcpserver, or
# systemd-socket-activate for the inetd style) on a 127.x address, in a
# temporary directory that is removed at the end.  Everything here is
# bounded in time; every process started here is stopped by its PID (and
# the process group it leads, for the children it spawned) in stop() or
# at the latest in the END block.
#
#   top(), build()            repository top, build directory ($SF_BUILD)
#   tmp()                     the test's temporary directory
#   cdb($source)              compiled rules database (smtpfront-cdb)
#   test_rules()              rules for tests: we serve example.test
#   start_tcpserver(%o)       tcpserver -1 ... smtpfront [args] CHILD...
#   start_socket_activate(%o) systemd-socket-activate --inetd -a ...
#   stop($server)             TERM, bounded wait, KILL
#   client(%o)                raw SMTP client (SF::Client)
#   swaks(%o), run(%o)        run a program with a deadline
#   postfix_instance()        private Postfix instance, started
#   sink_*                    what build/t/sink recorded
#   log_*, normalise()        the log of a server
#   wait_for($code, $secs)    bounded polling
#   reply_is($r, $code, $esc, $name)  one assertion on a reply
package SF;

use strict;
use warnings;

use Cwd qw(abs_path);
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Socket::IP;
use POSIX qw(:sys_wait_h _exit setpgid);
use Time::HiRes qw(sleep time);

our @EXPORT = qw(
    top build tmp cdb start_tcpserver start_socket_activate stop client
    swaks run postfix_instance postfix_stop postfix_sendmail_child
    postfix_smtpd_child maildir_files sink_started sink_messages sink_log
    sink_child log_text log_lines wait_log normalise wait_for slurp spew
    alive free_port crlf reply_is test_rules
);

use constant {
	STOP_WAIT	=> 5,	# seconds for a process to go after TERM
	START_WAIT	=> 10,	# seconds for a server to report its port
	RUN_WAIT	=> 60,	# default deadline of run() and swaks()
	REPLY_WAIT	=> 10,	# default deadline for one SMTP reply
	LINE_MAX	=> 65536, # longest reply line accepted from a server
	SINK_LIFETIME	=> 300,	# safety alarm of every sink started
	LOG_TAIL	=> 10,	# server log lines shown when no reply came
};

$SIG{PIPE} = 'IGNORE';

# fcrdns is on (warn) by default and asks the host's resolver for the
# client's PTR before the greeting: a test that is not about DNS asks no
# DNS server.  The DNS tests set SMTPFRONT_FCRDNS_ACTION themselves (undef
# there: the built-in default).
$ENV{SMTPFRONT_FCRDNS_ACTION} //= 'off';

my $TOP = abs_path(dirname(__FILE__) . "/../..");
my $TMP;
my %LIVE;		# pid => 1 for every process started and not reaped
my @POSTFIX;		# instance directories to stop at the end
my @SINKDIRS;		# sink directories, to find stray sinks at the end
my $SEQ = 0;

sub top { $TOP }
sub build { $ENV{SF_BUILD} || "$TOP/build" }

sub tmp {
	$TMP //= tempdir("sf-test-XXXXXX", TMPDIR => 1, CLEANUP => 1);
	return $TMP;
}

sub seq { return ++$SEQ }

sub slurp {
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or return undef;
	local $/;
	my $s = <$fh>;
	close($fh);
	return $s // '';
}

sub spew {
	my ($path, $data) = @_;
	open(my $fh, '>:raw', $path) or die "$path: $!";
	print $fh $data or die "$path: $!";
	close($fh) or die "$path: $!";
	return $path;
}

# "a\nb\n" -> "a\r\nb\r\n"
sub crlf {
	my ($s) = @_;
	$s =~ s/\r?\n/\r\n/g;
	return $s;
}

# Call $code every $step seconds until it returns true or $secs pass;
# returns its last value.
sub wait_for {
	my ($code, $secs, $step) = @_;
	$step //= 0.05;
	my $deadline = time + $secs;
	my $n = int($secs / $step) + 2;
	for (1 .. $n) {
		my $v = $code->();
		return $v if $v;
		last if time >= $deadline;
		sleep($step);
	}
	return $code->();
}

# Is the process running (not gone, not a zombie)?
sub alive {
	my ($pid) = @_;
	return 0 unless kill(0, $pid);
	my $stat = slurp("/proc/$pid/stat");
	return 1 unless defined $stat;
	return $stat =~ /^\d+ \(.*\) [ZX]/s ? 0 : 1;
}

# A TCP port free on $ip right now (for servers that cannot print theirs).
sub free_port {
	my ($ip) = @_;
	my $s = IO::Socket::IP->new(LocalHost => $ip, LocalPort => 0,
	    Proto => 'tcp', Listen => 1, ReuseAddr => 1)
	    or die "free_port $ip: $@";
	my $port = $s->sockport;
	close($s);
	return $port;
}

# Fork and exec argv in its own process group, stdin from /dev/null (or
# $o{stdin}), stdout and stderr to files; %$env is the whole environment.
sub spawn {
	my (%o) = @_;
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		setpgid(0, 0);
		%ENV = %{$o{env}};
		open(STDIN, '<', $o{stdin} // '/dev/null') or _exit(120);
		open(STDOUT, '>', $o{stdout}) or _exit(121);
		if ($o{stderr} eq $o{stdout}) {
			open(STDERR, '>&', \*STDOUT) or _exit(122);
		} else {
			open(STDERR, '>', $o{stderr}) or _exit(122);
		}
		{ exec { $o{argv}[0] } @{$o{argv}}; }
		_exit(127);
	}
	$LIVE{$pid} = 1;
	return $pid;
}

# Reap pid within $secs; returns its wait status, or undef.
sub reap {
	my ($pid, $secs) = @_;
	my $status;
	wait_for(sub {
		my $r = waitpid($pid, WNOHANG);
		if ($r == $pid || $r == -1) {
			$status = $r == $pid ? $? : -1;
			return 1;
		}
		return 0;
	}, $secs, 0.02);
	delete $LIVE{$pid} if defined $status;
	return $status;
}

# TERM, bounded wait, KILL; then the same for what is left of its group.
sub kill_pid {
	my ($pid) = @_;
	return unless $LIVE{$pid};
	kill('TERM', $pid);
	if (!defined reap($pid, STOP_WAIT)) {
		kill('KILL', $pid);
		reap($pid, STOP_WAIT);
	}
	# Children it left (smtpfront sessions, sinks) are in its group.
	if (kill(0, -$pid)) {
		kill('TERM', -$pid);
		wait_for(sub { !kill(0, -$pid) }, STOP_WAIT);
		kill('KILL', -$pid) if kill(0, -$pid);
	}
}

# The environment for a server: ours without anything smtpfront, the
# sink or ucspi would read, then the defaults, then the test's own.
sub server_env {
	my (%o) = @_;
	my %env;
	for my $k (keys %ENV) {
		next if $k =~ /^(SMTPFRONT_|SINK_|TCP|PROTO$|RELAYCLIENT$)/;
		next if $k =~ /^(LISTEN_|REMOTE_ADDR$|REMOTE_PORT$)/;
		$env{$k} = $ENV{$k};
	}
	$env{SMTPFRONT_RULES} = $o{rules} // tmp() . "/no-such-rules.cdb";
	$env{SMTPFRONT_FCRDNS_ACTION} = 'off';	# see the top
	if ($o{sinkdir}) {
		$env{SINK_DIR} = $o{sinkdir};
		$env{SINK_LIFETIME} = SINK_LIFETIME;
	}
	my $extra = $o{env} || {};
	for my $k (keys %$extra) {
		if (defined $extra->{$k}) {
			$env{$k} = $extra->{$k};
		} else {
			delete $env{$k};
		}
	}
	return \%env;
}

# A fresh directory for the sink's records.
sub sink_child {
	my $dir = tmp() . "/sink." . seq();
	mkdir($dir) or die "$dir: $!";
	push @SINKDIRS, $dir;
	return ([build() . "/t/sink"], $dir);
}

# Common part of the two server starters: child command line, sink dir.
sub server_setup {
	my (%o) = @_;
	my ($child, $sinkdir) = ($o{child}, undef);
	if (!$child) {
		($child, $sinkdir) = sink_child();
	} elsif ($o{sink}) {
		(undef, $sinkdir) = sink_child();
	}
	my $n = seq();
	my %s = (
	    ip => $o{ip} // '127.77.0.1',
	    log => tmp() . "/server.$n.log",
	    out => tmp() . "/server.$n.out",
	    sinkdir => $sinkdir,
	    argv => [$o{program} // build() . "/smtpfront", @{$o{args} || []},
		@$child],
	);
	$s{env} = server_env(%o, sinkdir => $sinkdir);
	return \%s;
}

# start_tcpserver(args => [smtpfront options], child => [argv] (default:
# the sink), env => {VAR => value or undef}, ip => '127.77.0.1',
# tcpserver => [extra tcpserver options], program => another build of
# smtpfront (t/template.t), rules => database path; the
# default is a database that does not exist: built-in defaults).  Returns a hash: pid, port,
# ip, log, sinkdir.
sub start_tcpserver {
	my (%o) = @_;
	my $s = server_setup(%o);
	my @argv = ('tcpserver', '-1', '-R', '-H', '-l', 'mx.test.invalid',
	    @{$o{tcpserver} || []}, $s->{ip}, '0', @{$s->{argv}});
	$s->{pid} = spawn(argv => \@argv, env => $s->{env},
	    stdout => $s->{out}, stderr => $s->{log});
	my $port = wait_for(sub {
		my $t = slurp($s->{out}) // '';
		return $t =~ /^(\d+)\n/ ? $1 : 0;
	}, START_WAIT);
	if (!$port) {
		my $log = slurp($s->{log}) // '';
		stop($s);
		die "tcpserver on $s->{ip} did not start: $log";
	}
	$s->{port} = $port;
	runs_as($s, $o{tcpserver} || []);
	return $s;
}

# A server told to run smtpfront as another user (tcpserver -u, -g) must
# let that user run it; otherwise every connection would just be closed.
# Dies saying why: the shell's message (permission denied when a
# directory on the way is closed to that user, such as /root).
sub runs_as {
	my ($s, $opts) = @_;
	my %id;
	for my $i (0 .. $#$opts - 1) {
		$id{$1} = $opts->[$i + 1] if $opts->[$i] =~ /^-([ug])$/;
	}
	return unless defined $id{u};
	my $prog = $s->{argv}[0];
	# from sh, as tcpserver's child would: setpriv's own exec of the
	# program was seen to get through /root all the same
	my ($code, $out) = run(argv => ['setpriv', '--reuid', $id{u},
	    '--regid', $id{g} // $id{u}, '--clear-groups', 'sh', '-c',
	    'exec "$0"', $prog], timeout => 30);
	return if $code != 126 && $code != 127 && $code != -1;
	stop($s);
	chomp($out);
	die "tcpserver -u $id{u}: uid $id{u} cannot run $prog ($out): " .
	    "run a copy where that user can reach it\n";
}

# start_socket_activate(same options): inetd style, one smtpfront per
# connection with the socket on fd 0 and 1 and no TCP* variables.  Only
# variables given with -E reach smtpfront; all of env goes that way.
sub start_socket_activate {
	my (%o) = @_;
	my $s = server_setup(%o);
	$s->{port} = free_port($s->{ip});
	my $env = $s->{env};
	my @e;
	for my $k (sort keys %$env) {
		next if $k =~ /^(PATH|HOME|LANG|LC_\w+)$/ && !$o{env}{$k};
		next unless $k =~ /^(SMTPFRONT_|SINK_)/ || exists $o{env}{$k};
		push @e, '-E', "$k=$env->{$k}";
	}
	my @argv = ('systemd-socket-activate', '--inetd', '-a',
	    '-l', "$s->{ip}:$s->{port}", @e, @{$s->{argv}});
	$s->{pid} = spawn(argv => \@argv, env => $env,
	    stdout => $s->{out}, stderr => $s->{log});
	my $ok = wait_for(sub {
		(slurp($s->{log}) // '') =~ /Listening on/;
	}, START_WAIT);
	if (!$ok) {
		my $log = slurp($s->{log}) // '';
		stop($s);
		die "systemd-socket-activate did not start: $log";
	}
	return $s;
}

# Stop a server; in a test, also one assertion that its log holds no
# AddressSanitizer or UndefinedBehaviorSanitizer report (the suite runs
# again on a sanitizer build, see the Makefile).
# The processes in process group pgid (tcpserver and its sessions).
sub group_size {
	my ($pgid) = @_;
	my $n = 0;
	opendir(my $dh, '/proc') or return 0;
	for my $p (grep { /^\d+$/ } readdir($dh)) {
		my $st = slurp("/proc/$p/stat") // next;
		$n++ if $st =~ /^\d+ \(.*\) \S+ \d+ (\d+) /s && $1 == $pgid;
	}
	closedir($dh);
	return $n;
}

sub stop {
	my ($s) = @_;
	return unless $s && $s->{pid};
	my $live = $LIVE{$s->{pid}};
	# A sanitizer build checks for leaks as a session exits; a session
	# signalled in the middle of that takes seconds to go.  Let the
	# sessions that ended finish exiting first (bounded).
	wait_for(sub { group_size($s->{pid}) <= 1 }, 3, 0.02)
	    if $live && defined $ENV{ASAN_OPTIONS};
	kill_pid($s->{pid});
	return unless $live && $INC{'Test/More.pm'};
	my @rep = grep { /ERROR: \w+Sanitizer|runtime error:|SUMMARY: \w+Sanitizer/ }
	    split(/\n/, log_text($s));
	my $tb = Test::More->builder;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	$tb->ok(!@rep, "no sanitizer report in the log of $s->{argv}[0]") or
	    $tb->diag(join("\n", @rep[0 .. ($#rep < 20 ? $#rep : 20)]));
}

# Run argv with a deadline.  run(argv => [...], timeout => secs,
# input => bytes, env => {...}).  Returns (exit code, output, timed out);
# the exit code is 128 + signal for a signal, -1 for a timeout.
sub run {
	my (%o) = @_;
	my $n = seq();
	my $out = tmp() . "/run.$n.out";
	my $in;
	if (defined $o{input}) {
		$in = spew(tmp() . "/run.$n.in", $o{input});
	}
	my %env = %ENV;
	if ($o{env}) {
		for my $k (keys %{$o{env}}) {
			if (defined $o{env}{$k}) {
				$env{$k} = $o{env}{$k};
			} else {
				delete $env{$k};
			}
		}
	}
	my $pid = spawn(argv => $o{argv}, env => \%env, stdin => $in,
	    stdout => $out, stderr => $out);
	my $status = reap($pid, $o{timeout} // RUN_WAIT);
	my $timedout = 0;
	if (!defined $status) {
		$timedout = 1;
		kill_pid($pid);
		$status = -1;
	}
	my $code = $status == -1 ? -1 : ($status & 127) ? 128 + ($status & 127)
	    : $status >> 8;
	return ($code, slurp($out) // '', $timedout);
}

# swaks(server => $s, local => '127.0.0.2', args => [...], timeout => n)
# -> (exit code, output).  swaks's own --timeout is set below ours.
sub swaks {
	my (%o) = @_;
	my $s = $o{server};
	my $t = $o{timeout} // RUN_WAIT;
	my @argv = ('swaks', '--server', $s->{ip}, '--port', $s->{port},
	    '--timeout', int($t / 2) || 1);
	push @argv, '-li', $o{local} if $o{local};
	# swaks says EHLO with the machine's name, not always a FQDN.
	push @argv, '--ehlo', 'client.test'
	    unless grep { /^--(?:ehlo|helo|lhlo)$/ } @{$o{args} || []};
	push @argv, @{$o{args} || []};
	my ($code, $out) = run(argv => \@argv, timeout => $t,
	    input => $o{input});
	return ($code, $out);
}

# client(server => $s, local => '127.0.0.2') -> SF::Client, or dies.
sub client {
	my (%o) = @_;
	return SF::Client->new(%o);
}

# One assertion: the reply has this code and enhanced status code
# (a string, or a regexp; undef: no check of it); the whole reply is
# shown when it fails.
sub reply_is {
	my ($r, $code, $esc, $name) = @_;
	my $ok = defined $r && $r->{code} eq $code;
	if ($ok && defined $esc) {
		$ok = ref($esc) ? $r->{esc} =~ $esc : $r->{esc} eq $esc;
	}
	require Test::More;
	my $tb = Test::More->builder;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	$tb->ok($ok, $name);
	if (!$ok) {
		my $got = !defined $r ? 'no reply'
		    : $r->{timeout} ? 'timeout'
		    : $r->{eof} && !@{$r->{lines}} ? 'connection closed'
		    : join(' | ', @{$r->{lines}});
		$tb->diag("  got: $got\n  expected: $code " .
		    (defined $esc ? "$esc" : '(any)'));
		# no reply at all: the server's log says why
		if (defined $r && !@{$r->{lines}} && $r->{srvlog}) {
			my @l = split(/\n/, slurp($r->{srvlog}) // '');
			splice(@l, 0, -LOG_TAIL) if @l > LOG_TAIL;
			$tb->diag("  the server's log ($r->{srvlog}), " .
			    "last lines:\n" . join('', map { "    $_\n" } @l));
		}
	}
	return $ok;
}

# --- rules ---------------------------------------------------------------

# cdb("set size_max 2048\n") -> path of the compiled database.
sub cdb {
	my ($src) = @_;
	my $n = seq();
	my $in = spew(tmp() . "/rules.$n.src", $src);
	my $out = tmp() . "/rules.$n.cdb";
	my ($code, $text) = run(argv => [build() . "/smtpfront-cdb", $in,
	    $out], timeout => 30);
	die "smtpfront-cdb $in failed ($code): $text" if $code != 0;
	return $out;
}

# The rules most tests run with: the built-in defaults, except that we
# serve the domain example.test (without any rcpt_domain smtpfront
# relays for nobody and refuses every recipient).  Compiled once.
my $TEST_RULES;
sub test_rules {
	$TEST_RULES //= cdb("list rcpt_domain example.test\n");
	return $TEST_RULES;
}

# --- the sink's records ----------------------------------------------------

# PIDs of the sinks started in $dir, in start order.
sub sink_started {
	my ($dir) = @_;
	opendir(my $dh, $dir) or return ();
	my @p = map { /^started\.(\d+)$/ ? $1 : () } readdir($dh);
	closedir($dh);
	my @s = sort { $a <=> $b } @p;
	return wantarray ? @s : scalar(@s);
}

# Messages the sinks in $dir accepted: a list of hashes with pid, n,
# msg (bytes) and env (text), in order.
sub sink_messages {
	my ($dir) = @_;
	opendir(my $dh, $dir) or return ();
	my @m;
	for my $f (readdir($dh)) {
		next unless $f =~ /^(\d+)\.(\d+)\.msg$/;
		push @m, { pid => $1, n => $2,
		    msg => slurp("$dir/$f"),
		    env => slurp("$dir/$1.$2.env") // '' };
	}
	closedir($dh);
	my @s = sort { $a->{pid} <=> $b->{pid} || $a->{n} <=> $b->{n} } @m;
	return wantarray ? @s : scalar(@s);
}

# The command lines all sinks in $dir received, in order per sink.
sub sink_log {
	my ($dir) = @_;
	my @lines;
	for my $p (sink_started($dir)) {
		push @lines, split(/\n/, slurp("$dir/$p.log") // '');
	}
	return @lines;
}

# --- logs ----------------------------------------------------------------

sub log_text {
	my ($s) = @_;
	return slurp($s->{log}) // '';
}

# Lines of the server's log matching $re (all smtpfront lines if none).
sub log_lines {
	my ($s, $re) = @_;
	$re //= qr/smtpfront\[/;
	return grep { /$re/ } split(/\n/, log_text($s));
}

# Wait (bounded) until at least $n lines match; returns the lines.
sub wait_log {
	my ($s, $re, $secs, $n) = @_;
	$n //= 1;
	my @l;
	wait_for(sub { @l = log_lines($s, $re); @l >= $n }, $secs // 5);
	return @l;
}

# Strip what changes between runs: pids, times, ports.
sub normalise {
	my ($line) = @_;
	$line =~ s/smtpfront\[\d+\]/smtpfront[PID]/g;
	$line =~ s/\bduration=[0-9.]+/duration=D/g;
	$line =~ s/\b(pid|end|ok|status) \d+/$1 N/g;
	$line =~ s/\bport=\d+/port=P/g;
	return $line;
}

# --- Postfix ---------------------------------------------------------------

# A private Postfix instance under tmp(), created and started; stopped
# at the end.  Returns its directory.
sub postfix_instance {
	my $t = tmp();
	chmod(0755, $t);	# postfix and uid 65534 must reach it
	my $dir = "$t/postfix." . seq();
	my $script = top() . "/scripts/postfix-instance.sh";
	my ($code, $out) = run(argv => ['sh', $script, $dir, 'create'],
	    timeout => 30);
	die "postfix-instance.sh create: $out" if $code != 0;
	push @POSTFIX, $dir;
	($code, $out) = run(argv => ['sh', $script, $dir, 'start'],
	    timeout => 60);
	die "postfix-instance.sh start: $out" if $code != 0;
	return $dir;
}

sub postfix_stop {
	my ($dir) = @_;
	run(argv => ['sh', top() . "/scripts/postfix-instance.sh", $dir,
	    'stop'], timeout => 30);
	@POSTFIX = grep { $_ ne $dir } @POSTFIX;
}

# The MTA child command line: Postfix's sendmail in -bs mode.
sub postfix_sendmail_child {
	my ($dir) = @_;
	return ['/usr/sbin/sendmail', '-C', "$dir/conf", '-bs'];
}

# Postfix's smtpd on stdin/stdout as the mail_owner user.  sendmail -bs
# run by root is Postfix's "stand-alone" mode, which skips every
# recipient check; this child gets them (unknown users refused).
sub postfix_smtpd_child {
	my ($dir) = @_;
	return ['setpriv', '--reuid', 'postfix', '--regid', 'postfix',
	    '--clear-groups', 'env', "MAIL_CONFIG=$dir/conf",
	    '/usr/lib/postfix/sbin/smtpd', '-S'];
}

# Wait (bounded) until user@example.test's Maildir holds at least $n
# messages; returns their paths, oldest first.
sub maildir_files {
	my ($dir, $n, $secs) = @_;
	my $new = "$dir/mail/example.test/user/new";
	my @f;
	wait_for(sub {
		@f = ();
		if (opendir(my $dh, $new)) {
			@f = map { "$new/$_" } grep { !/^\./ } readdir($dh);
			closedir($dh);
		}
		@f >= $n;
	}, $secs // 10);
	my @s = sort { (stat($a))[9] <=> (stat($b))[9] || $a cmp $b } @f;
	return wantarray ? @s : scalar(@s);
}

# --- the end ---------------------------------------------------------------

# Sinks whose smtpfront did not end them: only the PIDs the sinks
# themselves recorded, and only while they still run build/t/sink.
sub stray_sinks {
	my @p;
	for my $d (@SINKDIRS) {
		for my $pid (sink_started($d)) {
			my $cmd = slurp("/proc/$pid/cmdline") // '';
			push @p, $pid if $cmd =~ m{/t/sink\0};
		}
	}
	return @p;
}

END {
	local $?;
	kill_pid($_) for keys %LIVE;
	postfix_stop($_) for @POSTFIX;
	for my $pid (stray_sinks()) {
		kill('KILL', $pid);
	}
}

# --- a raw SMTP client -----------------------------------------------------

package SF::Client;

use strict;
use warnings;

use IO::Select;
use IO::Socket::IP;
use Time::HiRes qw(time);

# new(server => $s or host/port, local => source address, timeout)
sub new {
	my ($class, %o) = @_;
	my $host = $o{host} // $o{server}{ip};
	my $port = $o{port} // $o{server}{port};
	my $sock = IO::Socket::IP->new(PeerHost => $host, PeerPort => $port,
	    Proto => 'tcp', Timeout => $o{timeout} // 5,
	    ($o{local} ? (LocalHost => $o{local}) : ()))
	    or die "connect $host:$port: $@";
	binmode($sock);
	$sock->blocking(0);
	return bless { sock => $sock, buf => '', eof => 0,
	    srvlog => $o{server} ? $o{server}{log} : undef }, $class;
}

sub sock { $_[0]{sock} }

# Read what is there within $secs into the buffer; returns bytes read,
# 0 at end of file (sets eof), undef when nothing came in time.
sub fill {
	my ($self, $secs) = @_;
	return 0 if $self->{eof};
	my $sel = IO::Select->new($self->{sock});
	return undef unless $sel->can_read($secs > 0 ? $secs : 0);
	my $n = sysread($self->{sock}, my $chunk, 65536);
	if (!defined $n) {
		return undef if $!{EAGAIN} || $!{EINTR};
		$self->{eof} = 1;	# ECONNRESET and the like
		return 0;
	}
	if ($n == 0) {
		$self->{eof} = 1;
		return 0;
	}
	$self->{buf} .= $chunk;
	return $n;
}

# Send bytes within $secs; returns 1, or 0 if the server stopped
# reading or went away.  What the server writes meanwhile is kept.
sub send {
	my ($self, $data, $secs) = @_;
	my $deadline = time + ($secs // 60);
	my $off = 0;
	my $len = length($data);
	my $sel = IO::Select->new($self->{sock});
	while ($off < $len) {
		my $left = $deadline - time;
		return 0 if $left <= 0;
		next unless $sel->can_write($left);
		my $w = syswrite($self->{sock}, $data, 65536, $off);
		if (!defined $w) {
			next if $!{EAGAIN} || $!{EINTR};
			return 0;
		}
		$off += $w;
	}
	return 1;
}

# One full reply (multi-line aware) within $secs: a hash with code
# ('' on timeout or end of file), esc (enhanced status code of the last
# line, '' if none), text (the last line's text after the code), lines
# (every line without CRLF), timeout, eof.
sub reply {
	my ($self, $secs) = @_;
	my $deadline = time + ($secs // SF::REPLY_WAIT);
	my @lines;
	for (;;) {
		if ($self->{buf} =~ s/\A([^\n]*)\n//) {
			my $l = $1;
			$l =~ s/\r\z//;
			push @lines, $l;
			next if $l =~ /^\d{3}-/;
			my ($code, $rest) = $l =~ /^(\d{3})(?: (.*))?$/;
			$rest //= '';
			my ($esc) = $rest =~ /^([245]\.\d{1,3}\.\d{1,3})(?: |$)/;
			return { code => $code // '', esc => $esc // '',
			    text => $rest, lines => \@lines, timeout => 0,
			    eof => 0, last => $l };
		}
		if (length($self->{buf}) > SF::LINE_MAX) {
			return { code => '', esc => '', text => 'line too long',
			    lines => \@lines, timeout => 0, eof => 0,
			    last => '' };
		}
		my $left = $deadline - time;
		my $r = $left > 0 ? $self->fill($left) : undef;
		if (!defined $r && time >= $deadline) {
			return { code => '', esc => '', text => '',
			    lines => \@lines, timeout => 1, eof => 0,
			    last => '', srvlog => $self->{srvlog} };
		}
		if (defined $r && $r == 0) {
			return { code => '', esc => '', text => '',
			    lines => \@lines, timeout => 0, eof => 1,
			    last => '', srvlog => $self->{srvlog} };
		}
	}
}

# Read the banner and say EHLO (or HELO with $o{helo}); returns the
# banner and the EHLO reply.
sub start {
	my ($self, $name, %o) = @_;
	my $banner = $self->reply;
	my $r = $self->cmd(($o{helo} ? 'HELO ' : 'EHLO ') .
	    ($name // 'client.test'));
	return ($banner, $r);
}

# Send one command line (CRLF added) and read its reply.
sub cmd {
	my ($self, $line, $secs) = @_;
	$self->send("$line\r\n", $secs);
	return $self->reply($secs);
}

# Does the server close the connection within $secs?  Anything it sends
# before closing is kept in the buffer (see rest()).
sub closed {
	my ($self, $secs) = @_;
	my $deadline = time + ($secs // SF::REPLY_WAIT);
	while (!$self->{eof}) {
		my $left = $deadline - time;
		return 0 if $left <= 0;
		$self->fill($left);
	}
	return 1;
}

# Unread bytes received so far.
sub rest { $_[0]{buf} }

sub close {
	my ($self) = @_;
	CORE::close($self->{sock}) if $self->{sock};
	$self->{sock} = undef;
}

sub DESTROY {
	my ($self) = @_;
	CORE::close($self->{sock}) if $self->{sock};
}

1;
