# t/lib/Conn.pm: helpers for the connection- and protocol-level tests
# (t/earlytalker.t, t/unauth_pipelining.t, t/tarpit.t, t/trust.t,
# t/rblsmtpd.t, t/allow_ip.t, t/warn.t, t/dryrun.t, t/precedence.t), on
# top of t/lib/SF.pm.  Everything here is bounded in time.
#
#   line($c, $secs)              one reply line and when it came
#   timed($c, $line, $secs)      a command's reply and how long it took
#   send_ahead($c, @lines)       several command lines in one write
#   replies($c, $n, $secs)       the next $n replies
#   mail($c, %o)                 MAIL, RCPTs, DATA, message: the replies
#   session_pids($s)             smtpfront processes of a tcpserver
#   cpu_ticks($pid)              utime + stime of a process, in ticks
#   tcprules_cdb($text)          a tcprules database built with tcprules
#   summaries($s, $n)            session summary lines, waited for
#   log_has($s, $re)             lines of the log matching, waited for
#   ratware(%o)                  a raw client: bytes in one write, replies
#   corrupt_copy($db, $key)      a copy of a CDB whose lookups of $key fail
#   delivered($s, $subject)      the message the sink got with that Subject
#                                ('' if none); on request: use Conn
#                                qw(:DEFAULT delivered)
#   child_env($s)                the environment the MTA child got (the
#                                sink's SINK_ENV_FILE, $s->{envfile}); on
#                                request too
package Conn;

use strict;
use warnings;

use Exporter qw(import);
use Time::HiRes qw(time sleep);
use SF;

our @EXPORT = qw(line timed send_ahead replies mail session_pids cpu_ticks
    tcprules_cdb summaries log_has ratware corrupt_copy);
our @EXPORT_OK = qw(delivered child_env);

# One line (without CRLF) within $secs and the time it was complete;
# (undef, time) on timeout or end of file.
sub line {
	my ($c, $secs) = @_;
	my $deadline = time + ($secs // 10);
	for (;;) {
		if ($c->{buf} =~ s/\A([^\n]*)\n//) {
			my $l = $1;
			$l =~ s/\r\z//;
			return ($l, time);
		}
		my $left = $deadline - time;
		return (undef, time) if $left <= 0;
		my $r = $c->fill($left);
		return (undef, time) if defined $r && $r == 0;
	}
}

# Send a command line, return its reply and the seconds it took.
sub timed {
	my ($c, $line, $secs) = @_;
	my $t0 = time;
	$c->send("$line\r\n", $secs);
	my $r = $c->reply($secs);
	return ($r, time - $t0);
}

# Several command lines in one write, without waiting for any reply.
sub send_ahead {
	my ($c, @lines) = @_;
	return $c->send(join('', map { "$_\r\n" } @lines));
}

# The next $n replies (fewer if the connection ends or times out).
sub replies {
	my ($c, $n, $secs) = @_;
	my @r;
	for (1 .. $n) {
		my $r = $c->reply($secs);
		last if $r->{code} eq '';
		push @r, $r;
	}
	return @r;
}

# A transaction in lock step: MAIL, each RCPT, and (unless no RCPT was
# taken or $o{nodata}) DATA and the message.  Returns a hash: mail, rcpt
# (list), data (the DATA reply), eod (the end-of-data reply).
sub mail {
	my ($c, %o) = @_;
	my %r;
	$r{mail} = $c->cmd("MAIL FROM:<" . ($o{from} // 'a@b.test') . ">");
	for my $to (@{$o{to} || ['user@example.test']}) {
		push @{$r{rcpt}}, $c->cmd("RCPT TO:<$to>");
	}
	return \%r if $o{nodata} || !grep { $_->{code} =~ /^2/ } @{$r{rcpt}};
	$r{data} = $c->cmd('DATA');
	return \%r unless $r{data}{code} eq '354';
	$c->send(crlf($o{body} // "Subject: " . ($o{subject} // 'test') .
	    "\n\nbody\n") . ".\r\n");
	$r{eod} = $c->reply;
	return \%r;
}

# The smtpfront processes a tcpserver started (its direct children).
sub session_pids {
	my ($s) = @_;
	my @p;
	opendir(my $dh, '/proc') or return ();
	for my $d (readdir($dh)) {
		next unless $d =~ /^\d+$/;
		my $st = slurp("/proc/$d/stat") // next;
		my ($comm, $ppid) = $st =~ /^\d+ \((.*)\) \S+ (\d+) /s or next;
		push @p, $d if $ppid == $s->{pid} && $comm eq 'smtpfront';
	}
	closedir($dh);
	return sort { $a <=> $b } @p;
}

# utime + stime of a process in clock ticks, undef when it is gone.
sub cpu_ticks {
	my ($pid) = @_;
	my $st = slurp("/proc/$pid/stat") // return undef;
	$st =~ s/^.*\) //s;
	my @f = split(/ /, $st);
	# after the comm: state is field 3, utime 14, stime 15
	return $f[11] + $f[12];
}

# A tcprules database from rules text, built by tcprules itself.
sub tcprules_cdb {
	my ($text) = @_;
	my $n = SF::seq();
	my $dir = SF::tmp();
	my $src = spew("$dir/tcprules.$n.txt", $text);
	my $cdb = "$dir/tcprules.$n.cdb";
	my ($code, $out) = run(argv => ['sh', '-c',
	    'exec tcprules "$1" "$1.tmp" < "$2"', 'tcprules', $cdb, $src],
	    timeout => 20);
	die "tcprules failed ($code): $out" if $code != 0;
	return $cdb;
}

# The session summary lines, once at least $n are there (bounded wait).
sub summaries {
	my ($s, $n) = @_;
	return wait_log($s, qr/: session /, 10, $n // 1);
}

# The log lines matching $re, once at least one is there (bounded wait).
sub log_has {
	my ($s, $re, $secs) = @_;
	return wait_log($s, $re, $secs // 5, 1);
}

# A misbehaving client: connect (from $o{local}), optionally read the
# banner first ($o{banner}), send $o{bytes} in one write, then read
# every reply until the server closes or $o{secs} pass.  Returns the
# client, the list of replies and whether the server closed.
sub ratware {
	my (%o) = @_;
	my $c = client(server => $o{server}, local => $o{local} // '127.0.0.2');
	my @r;
	push @r, $c->reply($o{secs} // 10) if $o{banner};
	$c->send($o{bytes});
	my $deadline = time + ($o{secs} // 10);
	while (time < $deadline) {
		my $r = $c->reply($deadline - time);
		last if $r->{code} eq '';
		push @r, $r;
		last if $o{until} && $r->{last} =~ $o{until};
	}
	return ($c, \@r, $c->{eof} || $c->closed(0.5));
}

# The cdb hash (D. J. Bernstein's, as in libowfat).
sub cdb_hash {
	my $h = 5381;
	$h = ((($h << 5) + $h) & 0xffffffff) ^ $_ for unpack('C*', $_[0]);
	return $h;
}

# A copy of the database whose lookups of $key fail: its hash slot points
# past the end of the file, so libowfat's cdb_find() returns -1 (a read
# error) for that key, while every other key, "v" and the settings
# included, still reads.  Dies if $key is not in $db.
sub corrupt_copy {
	my ($db, $key) = @_;
	my $out = SF::tmp() . '/corrupt.' . SF::seq() . '.cdb';
	my $data = slurp($db) // die "$db: $!";
	my $h = cdb_hash($key);
	my ($hpos, $hslots) = unpack('V2', substr($data, ($h & 255) * 8, 8));
	die "corrupt_copy: empty table for $key" unless $hslots;
	my $slot = ($h >> 8) % $hslots;
	for (1 .. $hslots) {
		my $at = $hpos + $slot * 8;
		my ($sh, $pos) = unpack('V2', substr($data, $at, 8));
		die "corrupt_copy: $key not in $db" if $pos == 0;
		my ($kl) = unpack('V', substr($data, $pos, 4));
		if ($sh == $h && substr($data, $pos + 8, $kl) eq $key) {
			substr($data, $at + 4, 4) = pack('V', length($data) + 4096);
			return spew($out, $data);
		}
		$slot = ($slot + 1) % $hslots;
	}
	die "corrupt_copy: $key not found";
}

# The text of the first message the sink of $s got whose Subject is
# $subject, '' when there is none.
sub delivered {
	my ($s, $subject) = @_;
	my @m = grep { $_->{msg} =~ /^Subject: \Q$subject\E\r$/m }
	    sink_messages($s->{sinkdir});
	return $m[0]{msg} // '';
}

# The environment of the last MTA child the sink of $s started (its
# SINK_ENV_FILE, named by $s->{envfile}), waited for: NAME => value.
sub child_env {
	my ($s) = @_;
	my $t = wait_for(sub { slurp($s->{envfile}) }, 5) // '';
	return map { /^([^=]+)=(.*)$/ ? ($1 => $2) : () } split(/\n/, $t);
}

1;
