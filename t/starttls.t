#!/usr/bin/perl
# t/starttls.t: STARTTLS (RFC 3207) end to end through tcpserver, with a
# throwaway CA and server certificate made here by openssl.  swaks --tls
# and openssl s_client -starttls smtp deliver over TLS to the sink, byte
# for byte, with the X-Smtpfront-TLS header and the SSL_* variables in the
# child's environment; after the handshake EHLO offers no STARTTLS and a
# second STARTTLS gets 503; commands pipelined after STARTTLS are dropped,
# never executed; a client that stalls in the handshake or sends garbage
# is cut off within tls_timeout and logged; tls_required refuses MAIL in
# plain text with 530; no certificate: no offer and 502; a key that cannot
# be read: a warning and no offer; smtpfront-tls missing or a key it
# cannot load: 454 and the session goes on in plain text; a 20 MB message
# over TLS arrives intact while smtpfront's memory stays flat; BDAT to a
# child offering CHUNKING and data_spool work over TLS as without.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::MD5 qw(md5_hex);
use IO::Socket::SSL qw(SSL_VERIFY_PEER);
use Test::More;
use Time::HiRes qw(time);
use SF;
use PKI;

my $T = SF::tmp();
my $MSG_WAIT = 30;

# --- the test PKI --------------------------------------------------------

# the servers listen on 127.77.0.1 (SF.pm): swaks checks that name; the
# chain file as CAs and ACME clients give it
make_pki($T);

my %TLS_ENV = (SMTPFRONT_TLS_CERT => "$T/fullchain.pem",
    SMTPFRONT_TLS_KEY => "$T/srv.key",
    SMTPFRONT_TLS_TIMEOUT => 2);

sub server {
	my (%o) = @_;
	my $env = { %TLS_ENV, %{$o{env} || {}} };
	delete $o{env};
	return start_tcpserver(rules => test_rules(), env => $env, %o);
}

# --- a TLS client: SF::Client up to the 220, then IO::Socket::SSL -------

# Upgrade the client's socket; returns the TLS socket or undef.
sub upgrade {
	my ($c) = @_;
	my $sock = $c->sock;
	$sock->blocking(1);
	return IO::Socket::SSL->start_SSL($sock, SSL_verify_mode =>
	    SSL_VERIFY_PEER, SSL_ca_file => "$T/ca.crt",
	    SSL_verifycn_name => 'mx.test.invalid', SSL_verifycn_scheme =>
	    'smtp', Timeout => 10);
}

# One reply from a TLS socket (blocking, bounded by an alarm).
sub treply {
	my ($t) = @_;
	my @lines;
	my $ok = eval {
		local $SIG{ALRM} = sub { die "timeout\n" };
		alarm(10);
		while (defined(my $l = <$t>)) {
			$l =~ s/\r?\n\z//;
			push @lines, $l;
			last if $l =~ /^\d{3}(?: |$)/;
		}
		alarm(0);
		1;
	};
	alarm(0);
	my $last = @lines ? $lines[-1] : '';
	my ($code, $rest) = $last =~ /^(\d{3})(?: (.*))?$/;
	$rest //= '';
	my ($esc) = $rest =~ /^([245]\.\d{1,3}\.\d{1,3})(?: |$)/;
	return { code => $code // '', esc => $esc // '', lines => \@lines,
	    last => $last, timeout => $ok ? 0 : 1, eof => 0 };
}

sub tcmd {
	my ($t, $line) = @_;
	print $t "$line\r\n";
	return treply($t);
}

# Open a session up to the 220 of STARTTLS; returns the client and the
# EHLO reply.
sub to_starttls {
	my ($s, $ahead) = @_;
	my $c = client(server => $s);
	my ($banner, $ehlo) = $c->start('client.test');
	$c->send("STARTTLS\r\n" . ($ahead // ''));
	my $r = $c->reply;
	return ($c, $ehlo, $r);
}

# The PID of the smtpfront session logged last.
sub session_pid {
	my ($s) = @_;
	my @l = log_lines($s, qr/: connect /);
	return @l && $l[-1] =~ /smtpfront\[(\d+)\]/ ? $1 : 0;
}

sub hwm_kb {
	my ($pid) = @_;
	my $st = slurp("/proc/$pid/status") // '';
	return $st =~ /^VmHWM:\s+(\d+) kB/m ? $1 : -1;
}

sub envmap {
	my ($text) = @_;
	return map { /^([^=]+)=(.*)$/ ? ($1 => $2) : () }
	    split(/\n/, $text // '');
}

# --- swaks --tls ------------------------------------------------------------

{
	my $envfile = "$T/env.swaks";
	my $s = server(env => { SINK_ENV_FILE => $envfile });
	my $body = crlf("From: a\@b.test\nTo: u\@example.test\n" .
	    "Subject: over TLS\n\nline one\nline two\n");
	# swaks adds the CRLF before its "."
	spew("$T/swaks.msg", substr($body, 0, -2));
	my ($code, $out) = swaks(server => $s, args => ['--tls',
	    '--tls-verify', '--tls-ca-path', "$T/ca.crt",
	    '--from', 'a@b.test',
	    '--to', 'u@example.test', '--data', "\@$T/swaks.msg"]);
	is($code, 0, 'swaks --tls --tls-verify: exit 0') or diag($out);
	like($out, qr/=== TLS started with cipher TLSv1\.[23]:/,
	    'swaks: TLS started');
	like($out, qr/^<-\s+250-STARTTLS\r?$/m,
	    'swaks: STARTTLS offered in plain EHLO');
	unlike($out, qr/^<~.*STARTTLS/m, 'swaks: not offered over TLS');
	my @m = sink_messages($s->{sinkdir});
	is(scalar(@m), 1, 'swaks: one message delivered');
	my ($hdr) = ($m[0]{msg} // '') =~ /\A(X-Smtpfront-TLS: [^\r\n]*\r\n)/;
	like($hdr // '', qr/^X-Smtpfront-TLS: TLSv1\.3 cipher=TLS_\w+ bits=\d+\r\n$/,
	    'swaks: the trace header comes first');
	is(substr($m[0]{msg} // '', length($hdr // '')), $body,
	    'swaks: the message byte for byte after the header');
	my %env = envmap(slurp($envfile));
	is($env{SSL_PROTOCOL}, 'TLSv1.3', 'swaks: the child sees SSL_PROTOCOL');
	like($env{SSL_CIPHER} // '', qr/^TLS_\w+$/,
	    'swaks: the child sees SSL_CIPHER');
	like($env{SSL_CIPHER_USEKEYSIZE} // '', qr/^\d+$/,
	    'swaks: the child sees SSL_CIPHER_USEKEYSIZE');
	my ($tl) = wait_log($s, qr/: tls /);
	like(normalise($tl // ''), qr/^smtpfront\[PID\]\ 127\.0\.0\.1:\ tls
	    \ proto=TLSv1\.3\ cipher=TLS_\w+\ bits=\d+$/x,
	    'swaks: the tls log line');
	my ($sum) = wait_log($s, qr/: session /);
	like($sum // '',
	    qr/ helo=client\.test tls=TLSv1\.3 from=<a\@b\.test> rcpts=1 msgs=1 /,
	    'swaks: the summary names TLS');
	stop($s);
}

# --- openssl s_client -starttls smtp ------------------------------------

{
	# s_client sends what it reads as it comes: the commands arrive
	# together, so unauthorised pipelining is let be here
	my $s = server(env => { SMTPFRONT_UNAUTH_PIPELINING_ACTION => 'off' });
	my $in = "EHLO client.test\nMAIL FROM:<s\@b.test>\n" .
	    "RCPT TO:<u\@example.test>\nDATA\nSubject: s_client\n\nhello\n.\n" .
	    "QUIT\n";
	my ($code, $out) = run(argv => ['openssl', 's_client', '-starttls',
	    'smtp', '-connect', "$s->{ip}:$s->{port}", '-name', 'client.test',
	    '-CAfile', "$T/ca.crt", '-verify_return_error',
	    '-verify_hostname', 'mx.test.invalid', '-crlf', '-quiet',
	    '-ign_eof'], input => $in, timeout => 20);
	is($code, 0, 's_client -starttls smtp: exit 0') or diag($out);
	like($out, qr/^221 /m, 's_client: the session ends with 221');
	my @m = sink_messages($s->{sinkdir});
	is(scalar(@m), 1, 's_client: one message delivered');
	like($m[0]{msg} // '', qr/\AX-Smtpfront-TLS:\ TLSv1\.3\ [^\r\n]*\r\n
	    Subject:\ s_client\r\n\r\nhello\r\n\z/x,
	    's_client: header and message');
	stop($s);
}

# --- after the handshake; commands pipelined after STARTTLS -------------

{
	my $s = server();
	my $evil = "MAIL FROM:<evil\@x.test>\r\n";
	my ($c, $ehlo, $r) = to_starttls($s, $evil);
	ok(grep({ /^250-STARTTLS$/ } @{$ehlo->{lines}}),
	    'plain EHLO offers STARTTLS');
	reply_is($r, '220', '2.0.0', 'STARTTLS: 220 2.0.0');
	like($r->{last}, qr/Ready to start TLS/, 'STARTTLS: Ready to start TLS');
	my $t = upgrade($c);
	ok($t, 'handshake after commands were pipelined behind STARTTLS')
	    or die "no TLS session: $IO::Socket::SSL::SSL_ERROR\n";
	reply_is(tcmd($t, 'RCPT TO:<u@example.test>'), '503', '5.5.1',
	    'the pipelined MAIL was never executed: RCPT needs MAIL');
	my $e = tcmd($t, 'EHLO client.test');
	reply_is($e, '250', undef, 'EHLO again over TLS');
	ok(!grep({ /STARTTLS/ } @{$e->{lines}}),
	    'EHLO over TLS offers no STARTTLS');
	reply_is(tcmd($t, 'STARTTLS'), '503', '5.5.1',
	    'a second STARTTLS: 503 5.5.1');
	reply_is(tcmd($t, 'MAIL FROM:<good@b.test>'), '250', '2.1.0',
	    'MAIL over TLS');
	reply_is(tcmd($t, 'RCPT TO:<u@example.test>'), '250', undef,
	    'RCPT over TLS');
	reply_is(tcmd($t, 'DATA'), '354', undef, 'DATA over TLS');
	print $t "Subject: x\r\n\r\nbody\r\n.\r\n";
	reply_is(treply($t), '250', undef, 'message over TLS accepted');
	reply_is(tcmd($t, 'QUIT'), '221', '2.0.0', 'QUIT over TLS');
	my $eof = eval {
		local $SIG{ALRM} = sub { die "timeout\n" };
		alarm(5);
		my $l = <$t>;
		alarm(0);
		!defined($l);
	};
	alarm(0);
	ok($eof, 'QUIT over TLS: closed');
	ok(wait_for(sub { SF::group_size($s->{pid}) <= 1 }, 5),
	    'QUIT over TLS: smtpfront and smtpfront-tls are gone');
	my @cmds = sink_log($s->{sinkdir});
	ok(!grep({ /evil/ } @cmds), 'the child never heard of evil@x.test')
	    or diag(join("\n", @cmds));
	ok(grep({ /good\@b\.test/ } @cmds), 'the child got the good sender');
	my ($tl) = wait_log($s, qr/: tls /);
	like($tl // '', qr/ dropped=${\ length($evil)}$/,
	    'the bytes after STARTTLS were dropped, and logged');
	my @rej = log_lines($s, qr/: reject .*rule=tls_active /);
	is(scalar(@rej), 1, 'the second STARTTLS is logged');
	stop($s);
}

# --- a client that stalls, or sends garbage, in the handshake ----------

{
	my $s = server();
	my ($c, undef, $r) = to_starttls($s);
	reply_is($r, '220', '2.0.0', 'stall: STARTTLS accepted');
	my $t0 = time;
	ok($c->closed(8), 'stall: the connection is closed');
	my $dt = time - $t0;
	ok($dt >= 1.5 && $dt < 7, "stall: within tls_timeout (2 s): $dt s");
	my ($l) = wait_log($s, qr/: tls-fail /);
	like($l // '', qr/: tls-fail reason="handshake timeout"$/,
	    'stall: logged as a handshake timeout');
	my ($sum) = wait_log($s, qr/: session /);
	like($sum // '', qr/ tls=- .* verdict=tls-fail /,
	    'stall: the summary says tls-fail');
	ok(wait_for(sub { SF::group_size($s->{pid}) <= 1 }, 5),
	    'stall: smtpfront and smtpfront-tls are gone');

	($c, undef, $r) = to_starttls($s);
	reply_is($r, '220', '2.0.0', 'garbage: STARTTLS accepted');
	$t0 = time;
	$c->send("GET / HTTP/1.0\r\n\r\n");
	ok($c->closed(8), 'garbage: the connection is closed');
	ok(time - $t0 < 2, 'garbage: at once');
	my @l = wait_log($s, qr/: tls-fail /, 5, 2);
	like($l[1] // '', qr/: tls-fail reason=\S/,
	    'garbage: logged with the reason') or diag(@l);
	unlike($l[1] // '', qr/timeout/, 'garbage: not a timeout');
	stop($s);
}

# --- tls_required, no certificate, an unreadable key, no program -------

{
	my $s = server(env => { SMTPFRONT_TLS_REQUIRED => 'yes' });
	my $c = client(server => $s);
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '530', '5.7.0',
	    'tls_required: MAIL in plain text: 530 5.7.0');
	my ($l) = wait_log($s, qr/rule=tls_required/);
	like($l // '', qr/:\ reject\ check=protocol\ rule=tls_required\ cmd=MAIL
	    \ code=530\ esc=5\.7\.0$/x,
	    'tls_required: logged');
	reply_is($c->cmd('STARTTLS'), '220', '2.0.0', 'tls_required: STARTTLS');
	my $t = upgrade($c);
	ok($t, 'tls_required: handshake')
	    or die "no TLS session: $IO::Socket::SSL::SSL_ERROR\n";
	tcmd($t, 'EHLO client.test');
	reply_is(tcmd($t, 'MAIL FROM:<a@b.test>'), '250', '2.1.0',
	    'tls_required: MAIL over TLS is taken');
	reply_is(tcmd($t, 'QUIT'), '221', '2.0.0', 'tls_required: QUIT');
	stop($s);
}

{
	my $s = start_tcpserver(rules => test_rules());
	my $c = client(server => $s);
	my (undef, $e) = $c->start('client.test');
	ok(!grep({ /STARTTLS/ } @{$e->{lines}}),
	    'no certificate: no STARTTLS in EHLO');
	reply_is($c->cmd('STARTTLS'), '502', '5.5.1',
	    'no certificate: STARTTLS 502 5.5.1');
	stop($s);

	$s = server(env => { SMTPFRONT_TLS_KEY => "$T/no-such.key" });
	$c = client(server => $s);
	(undef, $e) = $c->start('client.test');
	ok(!grep({ /STARTTLS/ } @{$e->{lines}}),
	    'unreadable key: no STARTTLS in EHLO');
	my ($w) = wait_log($s, qr/warning: STARTTLS/);
	like($w // '', qr/warning:\ STARTTLS\ not\ offered:
	    \ tls_key\ \Q$T\E\/no-such\.key:\ No\ such\ file\ or\ directory$/x,
	    'unreadable key: a clear warning');
	reply_is($c->cmd('STARTTLS'), '502', '5.5.1',
	    'unreadable key: STARTTLS 502');
	stop($s);

	# smtpfront runs the smtpfront-tls beside it: a copy of smtpfront
	# alone in a directory (and a $PATH without one) finds none
	mkdir("$T/alone") or die "$T/alone: $!";
	spew("$T/alone/smtpfront", slurp(build() . "/smtpfront"));
	chmod(0755, "$T/alone/smtpfront");
	ok(-e build() . "/smtpfront-tls" && !-e "$T/alone/smtpfront-tls",
	    'smtpfront-tls is beside build/smtpfront, not beside the copy');
	$s = server(program => "$T/alone/smtpfront",
	    env => { PATH => '/usr/bin:/bin' });
	$c = client(server => $s);
	$c->start('client.test');
	reply_is($c->cmd('STARTTLS'), '454', '4.7.0',
	    'smtpfront-tls missing: 454 4.7.0');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0',
	    'smtpfront-tls missing: the session goes on in plain text');
	my ($l) = wait_log($s, qr/: tls-fail /);
	like($l // '',
	    qr/: tls-fail reason="\Q$T\E\/alone\/smtpfront-tls: No such file/,
	    'smtpfront-tls missing: logged');
	stop($s);

	spew("$T/bad.key", "not a key\n");
	$s = server(env => { SMTPFRONT_TLS_KEY => "$T/bad.key" });
	$c = client(server => $s);
	$c->start('client.test');
	reply_is($c->cmd('STARTTLS'), '454', '4.7.0',
	    'a key smtpfront-tls cannot load: 454 4.7.0');
	reply_is($c->cmd('NOOP'), '250', undef,
	    'bad key: the session goes on in plain text');
	($l) = wait_log($s, qr/: tls-fail /);
	like($l // '', qr/: tls-fail reason=".*cannot load tls_key/,
	    'bad key: logged');
	stop($s);
}

# --- the other delivery paths over TLS: BDAT to a child offering
# CHUNKING, and data_spool ---------------------------------------------------

for my $case (['BDAT', { SINK_CHUNKING => 1 }, qr/^BDAT \d+ LAST$/],
    ['data_spool', { SMTPFRONT_DATA_SPOOL => 'yes' }, qr/^DATA$/]) {
	my ($name, $env, $cmd) = @$case;
	my $s = server(env => $env);
	my ($c, undef, $r) = to_starttls($s);
	my $t = upgrade($c);
	ok($t, "$name: handshake")
	    or die "no TLS session: $IO::Socket::SSL::SSL_ERROR\n";
	tcmd($t, 'EHLO client.test');
	reply_is(tcmd($t, 'MAIL FROM:<a@b.test>'), '250', undef, "$name: MAIL");
	reply_is(tcmd($t, 'RCPT TO:<u@example.test>'), '250', undef,
	    "$name: RCPT");
	reply_is(tcmd($t, 'DATA'), '354', undef, "$name: DATA");
	my $msg = crlf("Subject: $name\n\n.dot\nbody\n");
	(my $stuffed = $msg) =~ s/^\./../mg;
	print $t $stuffed, ".\r\n";
	reply_is(treply($t), '250', undef, "$name: accepted");
	reply_is(tcmd($t, 'QUIT'), '221', undef, "$name: QUIT");
	my @m = sink_messages($s->{sinkdir});
	like($m[0]{msg} // '',
	    qr/\AX-Smtpfront-TLS: TLSv1\.3 [^\r\n]*\r\n\Q$msg\E\z/,
	    "$name: header and message byte for byte");
	ok(grep({ $_ =~ $cmd } sink_log($s->{sinkdir})),
	    "$name: the child got it by $cmd");
	stop($s);
}

# --- 20 MB over TLS --------------------------------------------------------

{
	my $size = 20 * 1024 * 1024;
	my $s = server(env => { SMTPFRONT_SIZE_MAX => 2 * $size });
	my ($c, undef, $r) = to_starttls($s);
	my $pid = session_pid($s);
	my $t = upgrade($c);
	ok($t, '20 MB: handshake')
	    or die "no TLS session: $IO::Socket::SSL::SSL_ERROR\n";
	my $line = ('x' x 76) . "\r\n";
	my $msg = "Subject: big\r\n\r\n" . ($line x int($size / 78));
	tcmd($t, 'EHLO client.test');
	tcmd($t, 'MAIL FROM:<a@b.test>');
	tcmd($t, 'RCPT TO:<u@example.test>');
	reply_is(tcmd($t, 'DATA'), '354', undef, '20 MB: DATA');
	my $before = hwm_kb($pid);
	print $t $msg, ".\r\n";
	reply_is(treply($t), '250', undef, '20 MB: accepted');
	my $after = hwm_kb($pid);
	ok($before > 0 && $after - $before < 4096,
	    "20 MB: smtpfront's VmHWM stays flat ($before kB, " .
	    "then $after kB)");
	reply_is(tcmd($t, 'QUIT'), '221', undef, '20 MB: QUIT');
	my @m = sink_messages($s->{sinkdir});
	my $got = $m[0]{msg} // '';
	$got =~ s/\AX-Smtpfront-TLS: [^\r\n]*\r\n//;
	is(length($got), length($msg), '20 MB: length');
	is(md5_hex($got), md5_hex($msg), '20 MB: byte for byte');
	stop($s);
}

done_testing();
