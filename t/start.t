#!/usr/bin/perl
# t/start.t: the ways smtpfront is started.  Under tcpserver the child
# inherits the ucspi environment (TCPREMOTEIP...); inetd style
# (systemd-socket-activate --inetd, no TCP* variables) smtpfront finds the
# addresses on the socket and sets TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP
# and TCPLOCALPORT for the child; IPv6 through tcpserver on ::1; and with
# stdin a pipe (swaks --pipe) it still works.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;

# One message through the server from $local; returns the client port
# and the child's environment as a hash.
sub send_one {
	my ($s, $local, $tag) = @_;
	my $c = client(server => $s, ($local ? (local => $local) : ()));
	my $port = $c->sock->sockport;
	my ($banner) = $c->start('client.test');
	reply_is($banner, '220', undef, "$tag: banner");
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', "$tag: MAIL");
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', qr/^2\./,
	    "$tag: RCPT");
	reply_is($c->cmd('DATA'), '354', undef, "$tag: DATA");
	$c->send(crlf("Subject: $tag\n\nbody\n.\n"));
	reply_is($c->reply, '250', qr/^2\./, "$tag: message accepted");
	reply_is($c->cmd('QUIT'), '221', '2.0.0', "$tag: QUIT");
	$c->closed(5);
	is(scalar(sink_messages($s->{sinkdir})), 1, "$tag: delivered");
	my %env = map { /^([^=]+)=(.*)$/ ? ($1 => $2) : () }
	    split(/\n/, slurp($s->{envfile}) // '');
	return ($port, \%env);
}

# --- tcpserver --------------------------------------------------------------
{
	my $envfile = SF::tmp() . '/env.tcpserver';
	my $s = start_tcpserver(rules => test_rules(),
	    env => { SINK_ENV_FILE => $envfile });
	$s->{envfile} = $envfile;
	my ($port, $env) = send_one($s, '127.0.0.2', 'tcpserver');
	is($env->{TCPREMOTEIP}, '127.0.0.2', 'tcpserver: child sees TCPREMOTEIP');
	is($env->{TCPREMOTEPORT}, $port, 'tcpserver: child sees TCPREMOTEPORT');
	is($env->{TCPLOCALIP}, '127.77.0.1', 'tcpserver: child sees TCPLOCALIP');
	is($env->{TCPLOCALHOST}, 'mx.test.invalid',
	    'tcpserver: child sees TCPLOCALHOST');
	is($env->{SMTPFRONT_RULES}, test_rules(),
	    'tcpserver: child inherits the rest of the environment');
	ok(scalar(wait_log($s, qr/^smtpfront\[\d+\] 127\.0\.0\.2: session ip=127\.0\.0\.2 /, 5)),
	    'tcpserver: log lines carry the client address');
	stop($s);
}

# --- inetd style: no TCP* variables --------------------------------------------
{
	my $envfile = SF::tmp() . '/env.inetd';
	my $s = start_socket_activate(rules => test_rules(), env => {
	    SINK_ENV_FILE => $envfile, SMTPFRONT_HOSTNAME => 'mx.test.invalid' });
	$s->{envfile} = $envfile;
	my ($port, $env) = send_one($s, '127.0.0.3', 'inetd');
	is($env->{TCPREMOTEIP}, '127.0.0.3', 'inetd: TCPREMOTEIP from the socket');
	is($env->{TCPREMOTEPORT}, $port, 'inetd: TCPREMOTEPORT from the socket');
	is($env->{TCPLOCALIP}, '127.77.0.1', 'inetd: TCPLOCALIP from the socket');
	is($env->{TCPLOCALPORT}, $s->{port}, 'inetd: TCPLOCALPORT from the socket');
	ok(scalar(wait_log($s, qr/^smtpfront\[\d+\] 127\.0\.0\.3: session ip=127\.0\.0\.3 /, 5)),
	    'inetd: log lines carry the client address')
	    or diag(log_text($s));
	stop($s);
}

# --- IPv6 ----------------------------------------------------------------------
{
	my $envfile = SF::tmp() . '/env.ipv6';
	my $s = start_tcpserver(ip => '::1', rules => test_rules(),
	    env => { SINK_ENV_FILE => $envfile });
	$s->{envfile} = $envfile;
	my ($port, $env) = send_one($s, undef, 'ipv6');
	is($env->{TCPREMOTEIP}, '::1', 'ipv6: child sees TCPREMOTEIP ::1');
	ok(scalar(wait_log($s, qr/^smtpfront\[\d+\] ::1: session ip=::1 /, 5)),
	    'ipv6: log lines carry the IPv6 client address')
	    or diag(log_text($s));
	stop($s);
}

# --- stdin a pipe ------------------------------------------------------------------
{
	my ($child, $dir) = SF::sink_child();
	my %env = (SMTPFRONT_RULES => test_rules(), SINK_DIR => $dir,
	    SINK_LIFETIME => 60, SMTPFRONT_HOSTNAME => 'mx.test.invalid');
	$env{$_} = undef for grep { /^(TCP|SMTPFRONT_|SINK_|PROTO$)/ && !exists $env{$_} } keys %ENV;
	my ($code, $out) = run(argv => ['swaks', '--pipe',
	    build() . '/smtpfront ' . $child->[0], '--timeout', 20,
	    '--from', 'a@b.test', '--to', 'user@example.test',
	    '--h-Subject', 'piped', '--ehlo', 'client.test'], env => \%env, timeout => 40);
	is($code, 0, 'stdin a pipe: swaks --pipe succeeds') or diag($out);
	like($out, qr/<-  220 mx\.test\.invalid ESMTP/, 'stdin a pipe: banner');
	my @m = sink_messages($dir);
	is(scalar(@m), 1, 'stdin a pipe: delivered');
	like(@m ? $m[0]{msg} : '', qr/^Subject: piped\r$/m, 'stdin a pipe: the message');
}

done_testing();
