# t/lib/Fault.pm: helpers for the fault tests t/fault-*.t, on top of SF.pm.
#
#   start_wrapped(wrap => [argv prefix], %SF options)
#                        tcpserver under a prefix such as
#                        "unshare --mount sh -c '...; exec \"$@\"' sh";
#                        stopped by SF::stop like any server
#   load(server => $s, workers => K, msgs => M, per_session => P,
#        bytes => B, tag => 'x', secs => S, pause => T)
#                        K forked clients, each sending M messages (P per
#                        session), every message with a unique
#                        "X-Fault-Id: TAG-worker-n" header; returns a hash
#                        id => the final reply code ('' when none came),
#                        or the code of the first refused command; with
#                        pause, each message stops for T seconds halfway
#   arrivals($sinkdir)   id => number of .msg files holding that id
#   sink_alive($dir, $server)  sinks of this server still running
#   sinks_below($server) the same from /proc alone (no started files)
#   zombies($pid)        children of $pid that are zombies
#   descendants($pid)    every process below $pid
#   pss_kb($pid)         Pss of a process in KB, from smaps_rollup
#   sanitized()          is SF_BUILD a sanitizer build?
#   smtp_source(server => $s, ...)  Postfix's smtp-source as background
#                        load, started in its own process group
#
# Everything is bounded in time; processes started here are stopped by
# PID (and SF's END block stops the servers).
package Fault;

use strict;
use warnings;

use Exporter qw(import);
use POSIX qw(:sys_wait_h _exit setpgid);
use Time::HiRes qw(sleep time);
use SF;

our @EXPORT = qw(
    start_wrapped load arrivals sink_alive sinks_below zombies descendants
    pss_kb sanitized smtp_source stop_load proc_state ppid_of
);

use constant {
	WORKER_WAIT	=> 120,	# ceiling for one load worker
	REPLY_SECS	=> 30,	# one reply under load
};

# tcpserver started under a wrapper; the same hash as SF's starters.
sub start_wrapped {
	my (%o) = @_;
	my $s = SF::server_setup(%o);
	my @argv = (@{$o{wrap}}, 'tcpserver', '-1', '-R', '-H', '-l',
	    'mx.test.invalid', @{$o{tcpserver} || []}, $s->{ip}, '0',
	    @{$s->{argv}});
	$s->{pid} = SF::spawn(argv => \@argv, env => $s->{env},
	    stdout => $s->{out}, stderr => $s->{log});
	my $port = wait_for(sub {
		my $t = slurp($s->{out}) // '';
		return $t =~ /^(\d+)\n/ ? $1 : 0;
	}, 20);
	if (!$port) {
		my $log = slurp($s->{log}) // '';
		stop($s);
		die "wrapped tcpserver did not start: $log";
	}
	$s->{port} = $port;
	return $s;
}

sub proc_state {
	my ($pid) = @_;
	my $st = slurp("/proc/$pid/stat") // return undef;
	return $st =~ /^\d+ \(.*\) (\S) /s ? $1 : undef;
}

sub ppid_of {
	my ($pid) = @_;
	my $st = slurp("/proc/$pid/stat") // return undef;
	return $st =~ /^\d+ \(.*\) \S (\d+) /s ? $1 : undef;
}

# pid => parent pid for every process now.
sub ppids {
	my %pp;
	opendir(my $dh, '/proc') or return {};
	for my $p (grep { /^\d+$/ } readdir($dh)) {
		my $pp = ppid_of($p);
		$pp{$p} = $pp if defined $pp;
	}
	closedir($dh);
	return \%pp;
}

sub descendants {
	my ($pid) = @_;
	my $pp = ppids();
	my %in = ($pid => 1);
	my @d;
	# a few rounds reach grandchildren and below
	for (1 .. 4) {
		for my $p (keys %$pp) {
			next if $in{$p} || !$in{$pp->{$p}};
			$in{$p} = 1;
			push @d, $p;
		}
	}
	return @d;
}

sub zombies {
	my ($pid) = @_;
	my $pp = ppids();
	return grep { $pp->{$_} == $pid && (proc_state($_) // '') eq 'Z' }
	    keys %$pp;
}

sub pss_kb {
	my ($pid) = @_;
	my $t = slurp("/proc/$pid/smaps_rollup") // return undef;
	return $t =~ /^Pss:\s+(\d+) kB/m ? $1 : undef;
}

sub sanitized {
	my $b = SF::build() . "/smtpfront";
	open(my $fh, '<:raw', $b) or return 0;
	local $/;
	my $bin = <$fh>;
	close($fh);
	return index($bin, '__asan_init') >= 0 ? 1 : 0;
}

# Sinks of server $s recorded in $dir that still run build/t/sink below
# that server (a recorded PID may have been reused by then).
# The sinks running below a server, by the program name alone (the first
# word of the command line: smtpfront's own arguments name the sink too).
sub sinks_below {
	my ($s) = @_;
	return grep {
		(slurp("/proc/$_/cmdline") // '') =~ m{^[^\0]*/t/sink\0} &&
		    (proc_state($_) // 'Z') ne 'Z'
	} descendants($s->{pid});
}

sub sink_alive {
	my ($dir, $s) = @_;
	my %below = map { $_ => 1 } descendants($s->{pid});
	my @p;
	for my $pid (sink_started($dir)) {
		next unless $below{$pid};
		my $cmd = slurp("/proc/$pid/cmdline") // next;
		next unless $cmd =~ m{/t/sink\0};
		push @p, $pid if (proc_state($pid) // 'Z') ne 'Z';
	}
	return @p;
}

# Messages in the sink directory by X-Fault-Id.
sub arrivals {
	my ($dir) = @_;
	my %n;
	for my $m (sink_messages($dir)) {
		while ($m->{msg} =~ /^X-Fault-Id: (\S+)\r?$/mg) {
			$n{$1}++;
		}
	}
	return \%n;
}

# One worker: sessions of P messages each; writes "id code" lines.
sub worker {
	my (%o) = @_;
	my $out = $o{out};
	open(my $fh, '>', $out) or _exit(2);
	$fh->autoflush(1);
	my $body = "x" x 70 . "\r\n";
	my $n = 0;
	my $deadline = time + ($o{secs} // 60);
	while ($n < $o{msgs} && time < $deadline) {
		my $c = eval { SF::Client->new(server => $o{server},
		    timeout => 10) };
		if (!$c) {
			sleep(0.05);
			next;
		}
		my $b = $c->reply(REPLY_SECS);
		if ($b->{code} ne '220') {
			next;
		}
		my $r = $c->cmd('HELO client.test', REPLY_SECS);
		next if $r->{code} ne '250';
		for (1 .. $o{per_session}) {
			last if $n >= $o{msgs};
			my $id = "$o{tag}-$o{wid}-" . ++$n;
			my $code = transaction($c, $id, $body, $o{bytes},
			    $o{pause});
			print $fh "$id $code\n";
			last if $code eq '';	# connection gone
		}
		$c->cmd('QUIT', 5);
		$c->close;
	}
	close($fh);
	_exit(0);
}

# MAIL, RCPT, DATA, message; the final code, the code of the first
# refused command, or '' when the connection broke without a reply.
sub transaction {
	my ($c, $id, $line, $bytes, $pause) = @_;
	my $r = $c->cmd('MAIL FROM:<load@example.org>', REPLY_SECS);
	return $r->{code} if $r->{code} ne '250';
	$r = $c->cmd('RCPT TO:<user@example.test>', REPLY_SECS);
	if ($r->{code} ne '250') {
		$c->cmd('RSET', REPLY_SECS);
		return $r->{code};
	}
	$r = $c->cmd('DATA', REPLY_SECS);
	if ($r->{code} ne '354') {
		$c->cmd('RSET', REPLY_SECS) if $r->{code} ne '';
		return $r->{code};
	}
	my $msg = "From: <load\@example.org>\r\nTo: <user\@example.test>\r\n" .
	    "X-Fault-Id: $id\r\nSubject: fault load\r\n\r\n";
	$msg .= $line x (int(($bytes // 1024) / length($line)) + 1);
	$msg .= ".\r\n";
	if ($pause) {
		# half the message, a pause, the rest: sessions overlap
		my $half = int(length($msg) / 2);
		return '' unless $c->send(substr($msg, 0, $half), REPLY_SECS);
		sleep($pause);
		$msg = substr($msg, $half);
	}
	return '' unless $c->send($msg, REPLY_SECS);
	$r = $c->reply(REPLY_SECS);
	return $r->{code};
}

my %WORKERS;

# Start K workers; returns a handle for stop_load.
sub load {
	my (%o) = @_;
	my @w;
	for my $wid (1 .. $o{workers}) {
		my $out = tmp() . "/load.$o{tag}.$wid";
		my $pid = fork();
		die "fork: $!" unless defined $pid;
		if ($pid == 0) {
			setpgid(0, 0);
			$SIG{ALRM} = sub { _exit(3) };
			alarm(WORKER_WAIT);
			worker(%o, wid => $wid, out => $out);
		}
		$WORKERS{$pid} = 1;
		push @w, { pid => $pid, out => $out };
	}
	return \@w;
}

# Wait (bounded) for the workers; returns id => code for every message
# they tried, and the number of workers that did not end normally.
sub stop_load {
	my ($w, $secs) = @_;
	my %res;
	my $bad = 0;
	my $deadline = time + ($secs // WORKER_WAIT);
	for my $x (@$w) {
		my $st;
		while (time < $deadline) {
			my $r = waitpid($x->{pid}, WNOHANG);
			if ($r == $x->{pid}) {
				$st = $?;
				last;
			}
			sleep(0.05);
		}
		if (!defined $st) {
			kill('KILL', $x->{pid});
			waitpid($x->{pid}, 0);
			$st = -1;
		}
		delete $WORKERS{$x->{pid}};
		$bad++ if $st != 0;
		for my $l (split(/\n/, slurp($x->{out}) // '')) {
			my ($id, $code) = split(/ /, $l, 2);
			$res{$id} = $code // '';
		}
	}
	return (\%res, $bad);
}

# smtp-source as background load: (pid, output file).
sub smtp_source {
	my (%o) = @_;
	my $out = tmp() . "/smtp-source." . int(rand(1e9));
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		setpgid(0, 0);
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', $out);
		open(STDERR, '>&', \*STDOUT);
		{
			exec('timeout', $o{secs} // 60, 'smtp-source', '-A',
			    '-s', $o{sessions} // 4, '-m', $o{msgs} // 200,
			    '-l', $o{bytes} // 1024, '-f',
			    'source@example.org', '-t', 'user@example.test',
			    '-M', 'source.example.org',
			    "$o{server}{ip}:$o{server}{port}");
		}
		_exit(127);
	}
	$WORKERS{$pid} = 1;
	return ($pid, $out);
}

END {
	local $?;
	for my $pid (keys %WORKERS) {
		kill('KILL', $pid);
		waitpid($pid, 0);
	}
}

1;
