# t/lib/DNS.pm: DNS servers for the DNS checks' tests, each on its own
# loopback address, port 53 (libowfat's resolver asks port 53 only;
# DNSCACHEIP names the address).  CI runs as root.
#
#   start_dnsmasq(ip => '127.53.10.1', lines => [dnsmasq.conf lines])
#       the real server: local zones under .test, NXDOMAIN for unknown
#       names there, every query logged (queries($d) reads them back)
#   start_fake_dns(ip => '127.53.10.2', mode => 'silent' | 'servfail' |
#       'malformed' | 'refused')
#       a hostile or broken server no real one imitates: reads queries
#       and never answers, answers SERVFAIL or REFUSED, or answers with a
#       packet whose compressed name loops; each query is recorded (its
#       ID and source port: fake_queries($d))
#
# Both return a hash (pid, ip, log) for stop_dns; all are stopped at the
# end of the test anyway.
package DNS;

use strict;
use warnings;
use Exporter qw(import);
use IO::Socket::INET;
use POSIX qw(_exit);
use SF;

our @EXPORT = qw(start_dnsmasq start_fake_dns stop_dns queries fake_queries
    dns_ready);

my @SERVERS;

# Is something bound to udp IP:53?
sub dns_ready {
	my ($ip) = @_;
	my ($code, $out) = SF::run(argv => ['ss', '-Hlnu', 'sport = :53'],
	    timeout => 10);
	return $out =~ /\Q$ip\E:53\b/;
}

sub start_dnsmasq {
	my (%o) = @_;
	my $n = SF::seq();
	my $conf = SF::tmp() . "/dnsmasq.$n.conf";
	my $log = SF::tmp() . "/dnsmasq.$n.log";
	SF::spew($conf, join("\n", 'port=53', "listen-address=$o{ip}",
	    'bind-interfaces', 'no-resolv', 'no-hosts', 'no-poll',
	    'no-negcache', 'pid-file=', 'user=root', 'log-queries',
	    'log-facility=-', 'local=/test/', 'local=/in-addr.arpa/',
	    'local=/ip6.arpa/', @{$o{lines} || []}) . "\n");
	my $pid = SF::spawn(argv => ['dnsmasq', '--keep-in-foreground',
	    "--conf-file=$conf"], env => { PATH => $ENV{PATH} },
	    stdout => $log, stderr => $log);
	my $d = { pid => $pid, ip => $o{ip}, log => $log };
	push @SERVERS, $d;
	if (!SF::wait_for(sub { dns_ready($o{ip}) }, 10)) {
		my $t = SF::slurp($log) // '';
		die "dnsmasq on $o{ip}:53 did not start: $t";
	}
	return $d;
}

# The names dnsmasq was asked, in order: "TYPE NAME".
sub queries {
	my ($d) = @_;
	my $t = SF::slurp($d->{log}) // '';
	return map { /query\[(\w+)\] (\S+) from/ ? "$1 $2" : () }
	    split(/\n/, $t);
}

sub reply_for {
	my ($mode, $q) = @_;
	return undef if length($q) < 12;
	my $id = substr($q, 0, 2);
	# the question as it came (name, type, class)
	my $i = 12;
	while ($i < length($q)) {
		my $l = ord(substr($q, $i, 1));
		last if $l == 0;
		$i += $l + 1;
	}
	my $question = substr($q, 12, $i + 5 - 12);
	my %rcode = (servfail => 2, refused => 5);
	if ($rcode{$mode}) {
		return $id . pack('nnnnn', 0x8180 | $rcode{$mode}, 1, 0, 0, 0) .
		    $question;
	}
	# malformed: one answer whose owner name points at itself
	my $at = 12 + length($question);
	return $id . pack('nnnnn', 0x8180, 1, 1, 0, 0) . $question .
	    pack('nnnNn', 0xc000 | $at, 1, 1, 60, 4) . "\x7f\0\0\x02";
}

sub start_fake_dns {
	my (%o) = @_;
	my $n = SF::seq();
	my $log = SF::tmp() . "/fakedns.$n.log";
	my $sock = IO::Socket::INET->new(LocalAddr => $o{ip}, LocalPort => 53,
	    Proto => 'udp') or die "udp $o{ip}:53: $!";
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		alarm(600);
		open(my $fh, '>>', $log) or _exit(1);
		$fh->autoflush(1);
		while (1) {
			my $q;
			my $from = $sock->recv($q, 4096) or next;
			my ($port, $addr) = eval {
			    IO::Socket::INET::unpack_sockaddr_in($from) };
			$port //= eval {
			    (Socket::unpack_sockaddr_in6($from))[0] } // 0;
			printf $fh "id=%d port=%d\n",
			    length($q) >= 2 ? unpack('n', $q) : -1, $port;
			next if $o{mode} eq 'silent';
			my $r = reply_for($o{mode}, $q);
			$sock->send($r, 0, $from) if defined $r;
		}
	}
	close($sock);
	my $d = { pid => $pid, ip => $o{ip}, log => $log, fake => 1 };
	push @SERVERS, $d;
	return $d;
}

# The queries the fake server got: [id, port] each.
sub fake_queries {
	my ($d) = @_;
	my $t = SF::slurp($d->{log}) // '';
	return map { /^id=(-?\d+) port=(\d+)$/ ? [$1, $2] : () }
	    split(/\n/, $t);
}

sub stop_dns {
	my ($d) = @_;
	return unless $d && $d->{pid};
	kill('TERM', $d->{pid});
	waitpid($d->{pid}, 0);
	$d->{pid} = 0;
}

END {
	my $st = $?;
	stop_dns($_) for @SERVERS;
	$? = $st;
}

1;
