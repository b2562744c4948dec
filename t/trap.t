#!/usr/bin/perl
# t/trap.t: honeypot MX traps (checks/trap.c) with two listeners sharing
# one LMDB store, as a primary MX and a high-numbered one would: both
# tcpservers run smtpfront with trap_action on, the second with
# SMTPFRONT_TRAP_LISTENER=yes (its service's environment).  The sink is
# the child.
#
#   a client reaching the trap listener: 554 5.7.1 in place of the
#     greeting, recorded; then at the primary: refused (554 5.7.1 at
#     RCPT, under delay_reject), logged with check=trap
#   another client at the primary: delivered
#   after trap_lifetime the client is no longer refused
#   a store that cannot be opened: a warning, the primary fails open
#   trap_action off (the default): nobody refused, nothing recorded
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use SF;
use Conn;

my $T = SF::tmp();
my $RULES = cdb("list rcpt_domain example.test\n");

sub server {
	my ($ip, %env) = @_;
	return start_tcpserver(ip => $ip, rules => $RULES,
	    env => { SMTPFRONT_TRAP_ACTION => 'reject',
	    SMTPFRONT_STORE => "$T/trap.mdb", %env });
}

sub session {
	my ($s, $local, $subject) = @_;
	my $c = client(server => $s, local => $local);
	my ($b) = $c->start('client.test');
	my $m = { banner => $b };
	if (($b->{code} // '') eq '220') {
		$m = mail($c, subject => $subject // 'trap');
		$m->{banner} = $b;
		$c->cmd('QUIT');
	}
	$c->closed(5);
	return $m;
}

{
	my $mx = server('127.77.55.1', SMTPFRONT_TRAP_LIFETIME => 60);
	my $trap = server('127.77.55.2', SMTPFRONT_TRAP_LISTENER => 'yes',
	    SMTPFRONT_TRAP_LIFETIME => 60);
	my $m = session($trap, '127.0.0.5');
	reply_is($m->{banner}, '554', '5.7.1',
	    'the trap listener: 554 5.7.1 in place of the greeting');
	my ($l) = log_has($trap, qr/ reject check=trap /);
	like($l // '', qr/ reject check=trap rule=SMTPFRONT_TRAP_LISTENER cmd=CONNECT .*reason="the trap listener: 127\.0\.0\.5 recorded for 60 s"/,
	    'the trap listener: logged');
	$m = session($mx, '127.0.0.5');
	reply_is($m->{rcpt}[0], '554', '5.7.1',
	    'the trapped client at the primary: 554 5.7.1 at RCPT');
	($l) = log_has($mx, qr/ reject check=trap /);
	like($l // '', qr/ reject check=trap .* reason="trapped 1 time\(s\), last \d+ s ago"/,
	    'the primary: logged with the trap\'s count');
	$m = session($mx, '127.0.0.6', 'clean');
	reply_is($m->{eod}, '250', undef, 'another client at the primary: delivered');
	stop($mx);
	stop($trap);
}

{
	my $mx = server('127.77.55.1', SMTPFRONT_STORE => "$T/short.mdb");
	my $trap = server('127.77.55.2', SMTPFRONT_TRAP_LISTENER => 'yes',
	    SMTPFRONT_STORE => "$T/short.mdb", SMTPFRONT_TRAP_LIFETIME => 2);
	session($trap, '127.0.0.7');
	my $m = session($mx, '127.0.0.7');
	reply_is($m->{rcpt}[0], '554', '5.7.1', 'trapped for 2 s: refused');
	sleep(2.3);
	$m = session($mx, '127.0.0.7', 'expired');
	reply_is($m->{eod}, '250', undef, 'after trap_lifetime: delivered');
	stop($mx);
	stop($trap);
}

{
	my $mx = server('127.77.55.1', SMTPFRONT_STORE => "$T/no/dir/t.mdb");
	my $m = session($mx, '127.0.0.5', 'nostore');
	reply_is($m->{eod}, '250', undef, 'no store: the primary fails open');
	my ($l) = log_has($mx, qr/warning: trap: /);
	like($l // '', qr/warning: trap: store \S+t\.mdb: open: /,
	    'no store: a warning');
	stop($mx);
}

{
	my $mx = server('127.77.55.1', SMTPFRONT_TRAP_ACTION => undef,
	    SMTPFRONT_STORE => "$T/off.mdb");
	my $m = session($mx, '127.0.0.5', 'off');
	reply_is($m->{eod}, '250', undef, 'off: the trapped client delivered');
	ok(!-e "$T/off.mdb", 'off: no store opened');
	stop($mx);
}

done_testing();
