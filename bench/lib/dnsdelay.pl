#!/usr/bin/perl
# bench/lib/dnsdelay.pl LISTEN UPSTREAM MS: a UDP DNS proxy on LISTEN:53
# that passes each query to UPSTREAM:53 at once and holds its answer MS
# milliseconds before it gives it back: answers as slow as a far server's,
# from a local one (the kernel here has no netem).  Queries do not wait
# for each other.  UDP only.  Ends after an hour at most.
use strict;
use warnings;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);

my ($listen, $upstream, $ms) = @ARGV;
die "usage: dnsdelay.pl LISTEN UPSTREAM MS\n" unless defined $ms;
my $front = IO::Socket::INET->new(LocalAddr => $listen, LocalPort => 53,
    Proto => 'udp') or die "udp $listen:53: $!";
my $sel = IO::Select->new($front);
my (%client, @due);	# upstream socket -> client address; [time, to, data]
my $end = time + 3600;
while (time < $end) {
	my $wait = @due ? $due[0][0] - time : 1;
	$wait = 0 if $wait < 0;
	for my $fh ($sel->can_read($wait)) {
		my $data;
		if ($fh == $front) {
			my $from = $front->recv($data, 65536) or next;
			my $up = IO::Socket::INET->new(PeerAddr => $upstream,
			    PeerPort => 53, Proto => 'udp') or next;
			$up->send($data);
			$client{$up} = [$up, $from];
			$sel->add($up);
			next;
		}
		$fh->recv($data, 65536);
		my $c = delete $client{$fh};
		$sel->remove($fh);
		close($fh);
		push @due, [time + $ms / 1000, $c->[1], $data] if defined $data;
		@due = sort { $a->[0] <=> $b->[0] } @due;
	}
	while (@due && $due[0][0] <= time) {
		my $d = shift @due;
		$front->send($d->[2], 0, $d->[1]);
	}
}
