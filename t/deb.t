#!/usr/bin/perl
# t/deb.t: the Debian package.  debian/ builds with
# "dpkg-buildpackage -us -uc -b" from a copy of the tree, lintian finds no
# error, and the package installs into a fresh Debian 12 root made by
# debootstrap (minbase, from the mirror apt uses): the programs, manual
# pages, example rules and systemd units (disabled), the user smtpfront.
# Then a message goes through the installed service, as its unit runs it:
# the installed smtpfront, as the user smtpfront, with the rules compiled
# from the installed production example by the installed compiler, on a
# socket given the way systemd's Accept=yes gives it
# (systemd-socket-activate --inetd), in front of the tests' sink.  The
# package then purges cleanly.  Runs as root (CI does).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Policy;

my $top = top();
my $tmp = SF::tmp() . '/deb';
mkdir($tmp) or die "$tmp: $!";
END { system('rm', '-rf', $tmp) if defined $tmp && -d $tmp && $> == 0 }

# --- build from a copy of the tree -------------------------------------------------
my $src = "$tmp/src";
my ($code, $out) = run(argv => ['sh', '-c', 'cd "$0" && { git ls-files ' .
    '|| find . -type f ! -path "./build*" ! -path "./.git/*"; } | ' .
    'cpio -pdm --quiet "$1"', $top, $src],
    timeout => 120);
is($code, 0, 'a copy of the tree') or diag($out);
($code, $out) = run(argv => ['sh', '-c', 'cd "$0" && dpkg-buildpackage ' .
    '-us -uc -b 2>&1', $src], timeout => 600);
is($code, 0, 'dpkg-buildpackage -us -uc -b builds') or diag($out);
my ($deb) = glob("$tmp/smtpfront_*_*.deb");
ok(defined $deb && -s $deb, 'the .deb is there');
($code, $out) = run(argv => ['lintian', $deb], timeout => 300);
is(scalar(grep { /^E: / } split(/\n/, $out)), 0, 'lintian: no error')
    or diag($out);

# --- a fresh root ----------------------------------------------------------------------
my $mirror = 'http://deb.debian.org/debian';
for my $f (glob('/etc/apt/sources.list.d/*.sources'), '/etc/apt/sources.list') {
	my $t = slurp($f) // next;
	if ($t =~ m{^URIs:\s*(\S+/debian)\s*$}m || $t =~ m{^deb\s+(\S+/debian)\s+bookworm\b}m) {
		$mirror = $1;
		last;
	}
}
my $root = "$tmp/root";
($code, $out) = run(argv => ['debootstrap', '--variant=minbase', 'bookworm',
    $root, $mirror], timeout => 600);
is($code, 0, "debootstrap minbase bookworm from $mirror") or diag($out);
system('cp', $deb, "$root/tmp/smtpfront.deb") == 0 or die "cp: $?";
# apt, not dpkg -i: smtpfront-tls needs libssl3, which minbase lacks
($code, $out) = run(argv => ['chroot', $root, 'sh', '-c', 'apt-get update ' .
    '&& apt-get install -y /tmp/smtpfront.deb'], timeout => 300);
is($code, 0, 'apt-get install ./smtpfront.deb in the fresh root')
    or diag($out);

for my $f ('usr/bin/smtpfront', 'usr/bin/smtpfront-cdb',
    'usr/bin/smtpfront-tls', 'usr/bin/smtpfront-spf',
    'usr/bin/smtpfront-store',
    'usr/bin/smtpfront-report',
    'usr/bin/smtpfront-import') {
	ok(-x "$root/$f", "installed: /$f");
}
# smtpfront-spf runs in the fresh root: libspf2 came with the package
($code, $out) = run(argv => ['chroot', $root, '/usr/bin/smtpfront-spf'],
    timeout => 30);
is($code, 100, 'smtpfront-spf runs (its usage message, exit 100)')
    or diag($out);
($code, $out) = run(argv => ['file', "$root/usr/bin/smtpfront"], timeout => 30);
like($out, qr/statically linked/, 'smtpfront is static, as the Makefile means it');
for my $f ('usr/share/man/man8/smtpfront.8.gz',
    'usr/share/man/man5/smtpfront-rules.5.gz',
    'usr/share/doc/smtpfront/examples/production.rules',
    'usr/share/doc/smtpfront/examples/example.rules',
    'lib/systemd/system/smtpfront.socket',
    'lib/systemd/system/smtpfront@.service') {
	ok(-f "$root/$f", "installed: /$f");
}
my $unit = slurp("$root/lib/systemd/system/smtpfront\@.service") // '';
my ($exec) = $unit =~ /^ExecStart=(.*)$/m;
like($exec // '', qr{^/usr/bin/smtpfront }, 'the unit runs /usr/bin/smtpfront');
my @wants = glob("$root/etc/systemd/system/*.wants/smtpfront*");
is(scalar(@wants), 0, 'the units are not enabled') or diag("@wants");
sub getent_ids {
	my ($r, $user) = @_;
	my ($c, $o) = run(argv => ['chroot', $r, 'getent', 'passwd', $user],
	    timeout => 30);
	my @f = split(/:/, $o // '');
	return @f >= 4 ? ($f[2], $f[3]) : ();
}
($code, $out) = run(argv => ['chroot', $root, 'getent', 'passwd',
    'smtpfront'], timeout => 30);
like($out, qr{^smtpfront:x:\d+:\d+:.*:/nonexistent:/usr/sbin/nologin$},
    'the system user smtpfront');

# --- a message through the installed service --------------------------------------------
($code, $out) = run(argv => ['chroot', $root, '/usr/bin/smtpfront-cdb',
    '/usr/share/doc/smtpfront/examples/production.rules',
    '/etc/smtpfront/rules.cdb'], timeout => 60);
is($code, 0, 'the installed compiler compiles the installed example')
    or diag($out);
# the tests' sink, static: the fresh root has only what the package
# brought (a sanitizer build's sink would want libasan)
($code, $out) = run(argv => ['cc', '-static', '-O2', '-std=c99',
    '-D_DEFAULT_SOURCE', '-D_GNU_SOURCE', '-I', $top, '-o',
    "$root/usr/local/bin/sink", "$top/t/sink.c"], timeout => 120);
is($code, 0, 'the sink, static, for the fresh root') or diag($out);
mkdir("$root/sinkdir") or die "sinkdir: $!";
chmod(0777, "$root/sinkdir");
# the unit's command line, its MTA child replaced by the sink
my @cmd = split(' ', $exec // '');
my @front = grep { !/^(?:\/usr\/sbin\/sendmail|-bs)$/ } @cmd;
my $s = start_socket_activate(ip => '127.77.9.20', program => 'chroot',
    args => ['--userspec=smtpfront:smtpfront', $root, @front],
    child => ['/usr/local/bin/sink'],
    env => { SINK_DIR => '/sinkdir', SMTPFRONT_GREET_DELAY => 1 });
my $msg = message('deb');
my $r = session(server => $s, helo => $GOOD, from => $FROM,
    rcpts => ['alice@example.org'], msg => $msg);
reply_is($r->{eod}, '250', '2.0.0',
    'the installed service takes a message for alice@example.org');
my @m = grep { $_->{msg} eq $msg } sink_messages("$root/sinkdir");
is(scalar(@m), 1, 'the message reached the MTA child byte for byte');
$r = session(server => $s, local => '127.0.0.3', helo => $GOOD, from => $FROM,
    rcpts => ['nobody@example.org']);
reply_is($r->{rcpt}[0], '550', '5.1.1',
    'an unknown user of the example refused');
stop($s);

# --- STARTTLS: the installed smtpfront-tls with the installed libssl ------------------
my ($uid, $gid) = (getent_ids($root, 'smtpfront'));
($code, $out) = run(argv => ['openssl', 'req', '-x509', '-newkey', 'ec',
    '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout',
    "$root/etc/smtpfront/key.pem", '-out', "$root/etc/smtpfront/cert.pem",
    '-days', '30', '-subj', '/CN=mx.test.invalid'], timeout => 60);
is($code, 0, 'a key and certificate for the installed service') or diag($out);
chown(0, $gid, "$root/etc/smtpfront/key.pem") if defined $gid;
chmod(0640, "$root/etc/smtpfront/key.pem");
$s = start_socket_activate(ip => '127.77.9.21', program => 'chroot',
    args => ['--userspec=smtpfront:smtpfront', $root, @front],
    child => ['/usr/local/bin/sink'],
    env => { SINK_DIR => '/sinkdir', SMTPFRONT_GREET_DELAY => 1,
    SMTPFRONT_TLS_CERT => '/etc/smtpfront/cert.pem',
    SMTPFRONT_TLS_KEY => '/etc/smtpfront/key.pem' });
my ($tmsg);
($code, $out, $tmsg) = swaks_send(server => $s, tag => 'deb-tls',
    helo => $GOOD, from => $FROM, to => 'alice@example.org',
    args => ['--tls']);
is($code, 0, 'swaks --tls through the installed service') or diag($out);
like($out, qr/=== TLS started with cipher TLSv1\.3:/,
    'STARTTLS by the installed smtpfront-tls');
@m = grep { $_->{msg} =~ /\AX-Smtpfront-TLS: TLSv1\.3 .*\r\n\Q$tmsg\E\z/s }
    sink_messages("$root/sinkdir");
is(scalar(@m), 1, 'the message over TLS reached the MTA child');
stop($s);

# --- and out again -------------------------------------------------------------------
($code, $out) = run(argv => ['chroot', $root, 'dpkg', '--purge', 'smtpfront'],
    timeout => 120);
is($code, 0, 'dpkg --purge') or diag($out);
ok(!-e "$root/usr/bin/smtpfront", 'the programs are gone');

done_testing();
