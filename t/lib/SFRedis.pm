# t/lib/SFRedis.pm: a real redis-server for a test, on a loopback address
# and a free port, nothing written to disk, stopped at the end.
#
#   my $r = start_redis(ip => '127.77.60.1', password => 'pw');
#   $r->{url}        redis://:pw@127.77.60.1:PORT/0 as the setting store
#   redis_cli($r, 'KEYS', '*')   the reply lines
#   stop_redis($r)
# socket => PATH also listens on a Unix socket.
package SFRedis;
use strict;
use warnings;
use Exporter 'import';
use SF;

our @EXPORT = qw(start_redis stop_redis redis_cli);

sub start_redis {
	my (%o) = @_;
	my $ip = $o{ip} // '127.77.60.1';
	my $port = $o{port} // SF::free_port($ip);
	my $dir = SF::tmp() . '/redis' . SF::seq();
	mkdir($dir) or die "mkdir $dir: $!";
	my @argv = ('/usr/bin/redis-server', '--bind', $ip, '--port', $port,
	    '--protected-mode', 'no', '--save', '', '--appendonly', 'no',
	    '--dir', $dir, '--logfile', '', '--daemonize', 'no');
	push @argv, '--requirepass', $o{password} if defined $o{password};
	push @argv, '--unixsocket', $o{socket}, '--unixsocketperm', '700'
	    if defined $o{socket};
	my $pid = SF::spawn(argv => \@argv, env => { PATH => $ENV{PATH} },
	    stdout => "$dir/log", stderr => "$dir/log");
	my $r = { pid => $pid, ip => $ip, port => $port, dir => $dir,
	    password => $o{password} };
	$r->{url} = 'redis://' . (defined $o{password} ?
	    ":$o{password}\@" : '') . "$ip:$port/" . ($o{db} // 0);
	my $up = SF::wait_for(sub {
		my @l = redis_cli($r, 'PING');
		return @l && $l[0] eq 'PONG';
	}, 10, 0.05);
	die "redis-server on $ip:$port did not start: " .
	    (SF::slurp("$dir/log") // '') unless $up;
	return $r;
}

sub redis_cli {
	my ($r, @cmd) = @_;
	my @argv = ('redis-cli', '-h', $r->{ip}, '-p', $r->{port},
	    '-n', $r->{db} // 0, '--raw');
	push @argv, '--no-auth-warning', '-a', $r->{password}
	    if defined $r->{password};
	# quiet while the server is not up yet
	open(my $err, '>&', \*STDERR) or die "dup: $!";
	open(STDERR, '>', '/dev/null') or die "/dev/null: $!";
	my $ok = open(my $fh, '-|', @argv, @cmd);
	open(STDERR, '>&', $err) or die "dup: $!";
	die "redis-cli: $!" unless $ok;
	my @l = map { s/\r?\n\z//r } <$fh>;
	close($fh);
	return @l;
}

sub stop_redis {
	my ($r) = @_;
	SF::kill_pid($r->{pid});
}

1;
