#!/usr/bin/perl
# t/scripts.t: the scripts in scripts/ and the service files.
#
# Every shell script is POSIX sh ("sh -n" with dash), starts with
# "set -eu" before any command, and has no eval.  scripts/run and
# scripts/log/run are run with stand-ins for tcpserver, setuidgid and
# id in PATH that record their arguments: the command line they build
# must be the documented one, with the defaults and with overrides from
# the environment.  The xinetd entry and the systemd units carry what
# INSTALL says they do.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;

my $top = top();
my $dir = "$top/scripts";

# --- every shell script ---------------------------------------------------

my @sh;
for my $f (sort(glob("$dir/*"), glob("$dir/*/*"))) {
	next unless -f $f;
	my $first = (split /\n/, slurp($f) // '')[0] // '';
	push @sh, $f if $first eq '#!/bin/sh';
}
ok(scalar(grep { m{/scripts/(run|log/run|smtpfront-report)$} } @sh) == 3,
    'scripts/run, log/run and smtpfront-report are sh scripts');
for my $f (@sh) {
	(my $name = $f) =~ s{^\Q$top\E/}{};
	my ($code, $out) = run(argv => ['dash', '-n', $f], timeout => 30);
	ok($code == 0 && $out eq '', "$name: POSIX sh syntax (dash -n)")
	    or diag($out);
	my @cmds = grep { !/^\s*(#|$)/ } split /\n/, slurp($f);
	is($cmds[0], 'set -eu', "$name: set -eu before any command");
	ok(!grep({ /(^|[;&|\s])eval\s/ } @cmds), "$name: no eval");
	ok(-x $f, "$name: executable");
}

# --- scripts/run and scripts/log/run with stand-ins -------------------------

my $bin = tmp() . '/bin';
mkdir($bin) or die "$bin: $!";
my $rec = tmp() . '/argv';
# Each stand-in writes its name and arguments, one a line, and exits 0.
for my $prog ('tcpserver', 'setuidgid', 'multilog') {
	spew("$bin/$prog", "#!/bin/sh\n{ echo $prog; for a in \"\$@\"; do " .
	    "echo \"\$a\"; done; } > \"\$ARGV_FILE\"\n");
	chmod(0755, "$bin/$prog") or die "$bin/$prog: $!";
}
# id: uid 7002 and gid 2108 for qmaild, 1001/1002 for others, an error
# for nobody known
spew("$bin/id", "#!/bin/sh\ncase \"\$2\" in\n" .
    "qmaild) [ \"\$1\" = -u ] && echo 7002 || echo 2108 ;;\n" .
    "smtpfront) [ \"\$1\" = -u ] && echo 1001 || echo 1002 ;;\n" .
    "*) echo \"id: \$2: no such user\" >&2; exit 1 ;;\nesac\n");
chmod(0755, "$bin/id") or die "$bin/id: $!";

my %clean = map { $_ => undef } qw(SMTPD_USER TCPRULES RULES MAXCONN
    LISTEN_IP PORT SMTPFRONT QMAILSMTPD QMAILME LOCALNAME LOG_USER LOGDIR);
sub run_script {
	my ($script, %env) = @_;
	unlink $rec;
	my ($code, $out) = run(argv => ["$dir/$script"], timeout => 30,
	    env => { %clean, PATH => "$bin:$ENV{PATH}", ARGV_FILE => $rec,
	    %env });
	my @argv = split /\n/, slurp($rec) // '';
	return ($code, $out, \@argv);
}

{
	my $me = spew(tmp() . '/me', "mx.example.org\nignored\n");
	my ($code, $out, $argv) = run_script('run', QMAILME => $me);
	is($code, 0, 'run: exits 0 with tcpserver exec-ed') or diag($out);
	is_deeply($argv, ['tcpserver', '-v', '-R', '-H', '-l', 'mx.example.org',
	    '-x', '/etc/tcp.smtp.cdb', '-c', '40', '-u', '7002', '-g', '2108',
	    '0', '25', '/usr/local/bin/smtpfront', '-r',
	    '/etc/smtpfront/rules.cdb', '/var/qmail/bin/qmail-smtpd'],
	    'run: tcpserver with the tcprules database, a limit, qmaild, ' .
	    'smtpfront -r rules.cdb qmail-smtpd');

	($code, $out, $argv) = run_script('run', QMAILME => tmp() . '/none',
	    SMTPD_USER => 'smtpfront', TCPRULES => '/etc/x y.cdb',
	    RULES => '/r.cdb', MAXCONN => 7, LISTEN_IP => '127.0.0.1',
	    PORT => 2525, SMTPFRONT => '/opt/sf', QMAILSMTPD => '/opt/child',
	    LOCALNAME => 'mx.test');
	is_deeply($argv, ['tcpserver', '-v', '-R', '-H', '-l', 'mx.test',
	    '-x', '/etc/x y.cdb', '-c', '7', '-u', '1001', '-g', '1002',
	    '127.0.0.1', '2525', '/opt/sf', '-r', '/r.cdb', '/opt/child'],
	    'run: every value can come from the environment, blanks and all');

	($code, $out, $argv) = run_script('run', QMAILME => tmp() . '/none');
	my $host = `hostname`;
	chomp $host;
	is($argv->[5], $host, 'run: without control/me the system name');

	($code, $out, $argv) = run_script('run', SMTPD_USER => 'nosuchuser');
	ok($code != 0 && !@$argv, 'run: an unknown user stops it before ' .
	    'tcpserver (set -e)');
}

{
	my ($code, $out, $argv) = run_script('log/run');
	is($code, 0, 'log/run: exits 0') or diag($out);
	is_deeply($argv, ['setuidgid', 'qmaill', 'multilog', 't', 's1000000',
	    'n20', '/var/log/smtpfront'],
	    'log/run: multilog as qmaill, time stamps, rotation');
	($code, $out, $argv) = run_script('log/run', LOG_USER => 'log',
	    LOGDIR => '/tmp/l d');
	is_deeply($argv, ['setuidgid', 'log', 'multilog', 't', 's1000000',
	    'n20', '/tmp/l d'], 'log/run: user and directory from the environment');
}

# --- xinetd and systemd -----------------------------------------------------

{
	my $x = slurp("$dir/smtpfront.xinetd") // '';
	my %kv = $x =~ /^\t(\w+)\s*=\s*(.*?)\s*$/mg;
	is($kv{wait}, 'no', 'xinetd: wait = no (one server per connection)');
	is($kv{socket_type}, 'stream', 'xinetd: stream socket');
	is($kv{user}, 'smtpfront', 'xinetd: runs as user smtpfront');
	like($kv{server} // '', qr{/smtpfront$}, 'xinetd: server is smtpfront');
	like($kv{server_args} // '', qr{^-r /etc/smtpfront/rules\.cdb /usr/sbin/sendmail -bs$},
	    'xinetd: smtpfront -r rules.cdb sendmail -bs');
	like($x, qr/^service smtp\n\{\n(?:.*\n)*\}\n\z/m, 'xinetd: one service block');
}
{
	my $sock = slurp("$dir/smtpfront.socket") // '';
	my $svc = slurp("$dir/smtpfront\@.service") // '';
	like($sock, qr/^\[Socket\]\n(?:.*\n)*?ListenStream=25\n/m,
	    'socket: listens on port 25');
	like($sock, qr/^Accept=yes$/m, 'socket: Accept=yes');
	like($sock, qr/^WantedBy=sockets\.target$/m, 'socket: installable');
	like($svc, qr{^ExecStart=/\S+/smtpfront -r /etc/smtpfront/rules\.cdb /usr/sbin/sendmail -bs$}m,
	    'service: ExecStart is smtpfront with the MTA child');
	like($svc, qr/^StandardInput=socket$/m, 'service: the socket on stdin');
	like($svc, qr/^StandardOutput=socket$/m, 'service: the socket on stdout');
	like($svc, qr/^StandardError=journal$/m,
	    'service: the log to the journal, not to the client');
	like($svc, qr/^User=smtpfront$/m, 'service: User=smtpfront');
	unlike($svc, qr/^NoNewPrivileges=yes/m,
	    'service: no NoNewPrivileges (postdrop is setgid)');
}

done_testing();
