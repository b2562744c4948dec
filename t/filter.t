#!/usr/bin/perl
# t/filter.t: external filters (checks/filter.c, filter.c: the rules'
# filter statements) through tcpserver with the tests' client and the
# sink as the MTA child.
#
#   filters written here as sh scripts: the message on their input and
#     the envelope in their environment; exit 0 delivered, 1 refused
#     (554 5.7.1 with their first line), 111 deferred (451 4.3.0); exit=
#     mappings (defer, accept, warn); rewrite mode (the output, with LF
#     lines, replaces the message, made CRLF; the next filter reads the
#     new one); phase=rcpt; only_/skip_ options and filter_skip
#   failures: a filter that cannot be run, crashes, never ends (killed at
#     its timeout), writes garbage, does not read its input, a rewrite
#     with no output or too much: 451 and nothing delivered, or off
#     (filter_tempfail_action) delivered; filter_action off runs none
#   the shipped scripts/filter-spamassassin with a real spamd started
#     here: GTUBE refused with its score, ham delivered; spamc itself in
#     rewrite mode adds its X-Spam- headers; spamd down: 451
#   smtpfront-cdb refuses bad statements
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use SF;
use Conn qw(:DEFAULT delivered);

my $T = SF::tmp();
my $top = SF::top();

# A filter script in $T: the body after "#!/bin/sh".
sub script {
	my ($name, $body) = @_;
	my $f = "$T/$name";
	spew($f, "#!/bin/sh\n$body");
	chmod(0755, $f) or die "$f: $!";
	return $f;
}

sub server {
	my ($rules, %env) = @_;
	return start_tcpserver(ip => '127.77.66.1',
	    rules => cdb("list rcpt_domain example.test\n$rules"),
	    env => { SMTPFRONT_FILTER_ACTION => 'reject', %env });
}

sub session {
	my ($s, %o) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	my $m = mail($c, from => $o{from} // 'alice@sender.test',
	    to => $o{to} // ['user@example.test'],
	    subject => $o{subject} // 'hello', body => $o{body});
	$c->cmd('QUIT');
	$c->closed(10);
	return $m;
}

sub nothing_delivered {
	my ($s, $what) = @_;
	is(scalar(sink_messages($s->{sinkdir})), 0, "$what: nothing delivered");
}

# --- the verdicts, the input and the environment ----------------------------
{
	my $env = script('envdump', <<"EOF");
cat > $T/seen.msg
env > $T/seen.env
exit 0
EOF
	my $s = server("filter dump $env\n");
	my $m = session($s, to => ['a1@example.test', 'a2@example.test'],
	    subject => 'dumped');
	reply_is($m->{eod}, '250', undef, 'exit 0: delivered');
	my $got = delivered($s, 'dumped');
	my $seen = slurp("$T/seen.msg") // '';
	ok(length($seen) > 0 && index($got, $seen) >= 0,
	    'the filter read the message as the child got it');
	like($seen, qr/^Subject: dumped\r\n\r\nbody\r\n\z/m,
	    '... CRLF lines, no dot-stuffing, no terminator');
	my %e = map { /^([^=]+)=(.*)$/s ? ($1, $2) : () }
	    split(/\n(?=[A-Za-z_][A-Za-z_0-9]*=)/, slurp("$T/seen.env") // '');
	is($e{TCPREMOTEIP}, '127.0.0.2', 'TCPREMOTEIP');
	is($e{SMTPHELOHOST}, 'client.test', 'SMTPHELOHOST');
	is($e{SMTPMAILFROM}, 'alice@sender.test', 'SMTPMAILFROM');
	is($e{SMTPRCPTTO}, "a1\@example.test\na2\@example.test",
	    'SMTPRCPTTO: every recipient, one per line');
	is($e{SMTPRCPTCOUNT}, '2', 'SMTPRCPTCOUNT');
	is($e{SMTPFRONT_FILTER}, 'dump', 'SMTPFRONT_FILTER: its name');
	ok(!exists $e{SMTPFRONT_FILTER_ACTION},
	    'smtpfront\'s settings are not passed on');
	ok(!exists $e{TCPREMOTEHOST}, 'TCPREMOTEHOST: no verified name, unset');
	ok(exists $e{SMTPFRONT_RESULTS}, 'SMTPFRONT_RESULTS is set');
	stop($s);

	my $rej = script('reject', "cat >/dev/null\necho 'Looks like spam (9.5)'\nexit 1\n");
	$s = server("filter spam $rej\n");
	$m = session($s, subject => 'spammy');
	reply_is($m->{eod}, '554', '5.7.1', 'exit 1: refused 554 5.7.1');
	is($m->{eod}{text}, '5.7.1 Looks like spam (9.5)',
	    '... with the filter\'s first line as the text');
	nothing_delivered($s, 'exit 1');
	my ($l) = log_lines($s, qr/ reject check=filter /);
	like($l // '', qr/ reject check=filter rule=\S+rules\.\d+\.src:2 cmd=DATA .*reason="spam exit 1: Looks like spam \(9\.5\)"/,
	    'logged: the filter\'s statement, its exit and its line');
	stop($s);

	my $tf = script('tempfail', "cat >/dev/null\necho 'busy'\nexit 111\n");
	$s = server("filter busy $tf\n");
	$m = session($s, subject => 'busy');
	reply_is($m->{eod}, '451', '4.3.0', 'exit 111: deferred 451 4.3.0');
	nothing_delivered($s, 'exit 111');
	ok(scalar(log_lines($s, qr/warning: filter: busy exit 111: busy/)),
	    '... with a warning naming the filter');
	stop($s);
	$s = server("filter busy $tf\n", SMTPFRONT_FILTER_TEMPFAIL_ACTION => 'off');
	$m = session($s, subject => 'busy off');
	reply_is($m->{eod}, '250', undef,
	    'filter_tempfail_action off: delivered');
	stop($s);
	$s = server("filter spam $rej\n", SMTPFRONT_FILTER_ACTION => 'off');
	$m = session($s, subject => 'unfiltered');
	reply_is($m->{eod}, '250', undef, 'filter_action off: no filter runs');
	stop($s);
	$s = server("filter spam $rej\n", SMTPFRONT_FILTER_ACTION => 'warn');
	$m = session($s, subject => 'warned');
	reply_is($m->{eod}, '250', undef, 'filter_action warn: delivered');
	like(delivered($s, 'warned'), qr/^X-Smtpfront-Warn: .*filter/m,
	    '... with the warn header');
	stop($s);
}

# --- exit= mappings, sequence, accept, warn ----------------------------------
{
	my $e75 = script('e75', "cat >/dev/null\necho 'try later'\nexit 75\n");
	my $e3 = script('e3', "cat >/dev/null\nexit 3\n");
	my $rej = script('reject2', "cat >/dev/null\necho 'no'\nexit 1\n");
	my $ran = script('ran', "cat >/dev/null\ntouch $T/ran.\$SMTPFRONT_FILTER\nexit 0\n");
	my $s = server("filter later exit=75:defer $e75\n");
	my $m = session($s, subject => 'later');
	reply_is($m->{eod}, '451', '4.7.1', 'exit=75:defer: 451 4.7.1');
	is($m->{eod}{text}, '4.7.1 try later', '... with its text');
	stop($s);
	$s = server("filter first exit=3:accept $e3\nfilter second $rej\n");
	$m = session($s, subject => 'accepted');
	reply_is($m->{eod}, '250', undef,
	    'exit=3:accept: delivered without the filters after it');
	stop($s);
	$s = server("filter first exit=3:warn,*:reject $e3\nfilter second $ran\n");
	$m = session($s, subject => 'warn3');
	reply_is($m->{eod}, '250', undef, 'exit=3:warn: delivered');
	ok(-e "$T/ran.second", '... the next filter ran');
	like(delivered($s, 'warn3'), qr/^X-Smtpfront-Warn: .*filter/m,
	    '... with the warn header');
	ok(scalar(log_lines($s, qr/ warn check=filter .*first exit 3/)),
	    '... logged as a warning');
	stop($s);
	unlink("$T/ran.second");
	$s = server("filter first $rej\nfilter second $ran\n");
	$m = session($s, subject => 'first refuses');
	reply_is($m->{eod}, '554', '5.7.1', 'the first filter refuses');
	ok(!-e "$T/ran.second", '... the second never ran');
	stop($s);
}

# --- rewrite mode ------------------------------------------------------------
{
	# LF lines out: made CRLF; a header added at the top
	my $add = script('addhdr', "printf 'X-Filtered: yes\\n'\ntr -d '\\r'\n");
	my $need = script('needhdr', "grep -q '^X-Filtered: yes' || { echo 'not rewritten'; exit 1; }\nexit 0\n");
	my $s = server("filter add mode=rewrite $add\nfilter need $need\n");
	my $m = session($s, subject => 'rewritten');
	reply_is($m->{eod}, '250', undef,
	    'rewrite: delivered (the next filter, which refuses a message '
	    . 'without the added line, read the new one)');
	my $got = delivered($s, 'rewritten');
	like($got, qr/^X-Filtered: yes\r\n/m, 'the filter\'s output replaced the message');
	unlike($got, qr/(?<!\r)\n/, '... its LF lines made CRLF');
	like($got, qr/\r\nSubject: rewritten\r\n\r\nbody\r\n\z/,
	    '... the rest of it kept');
	stop($s);

	my $none = script('empty', "cat >/dev/null\nexit 0\n");
	$s = server("filter empty mode=rewrite $none\n");
	$m = session($s, subject => 'emptied');
	reply_is($m->{eod}, '451', '4.3.0', 'rewrite with no output: 451');
	nothing_delivered($s, 'no output');
	ok(scalar(log_lines($s, qr/warning: filter: empty: no message in its output/)),
	    '... said so');
	stop($s);

	my $big = script('big', "cat >/dev/null\nhead -c 80000 /dev/zero | tr '\\0' 'x'\nexit 0\n");
	$s = server("filter big mode=rewrite $big\n", SMTPFRONT_SIZE_MAX => 2048);
	$m = session($s, subject => 'grown');
	reply_is($m->{eod}, '451', '4.3.0', 'rewrite over size_max + 64 KB: 451');
	nothing_delivered($s, 'too big');
	stop($s);
}

# --- failures ----------------------------------------------------------------
{
	my $s = server("filter gone $T/no-such-filter\n");
	my $m = session($s, subject => 'gone');
	reply_is($m->{eod}, '451', '4.3.0', 'a filter that cannot be run: 451');
	ok(scalar(log_lines($s, qr/warning: filter: gone: cannot run it/)),
	    '... said so');
	nothing_delivered($s, 'cannot run');
	stop($s);

	my $crash = script('crash', "cat >/dev/null\nkill -SEGV \$\$\n");
	$s = server("filter crash $crash\n");
	$m = session($s, subject => 'crash');
	reply_is($m->{eod}, '451', '4.3.0', 'a filter that crashes: 451');
	ok(scalar(log_lines($s, qr/warning: filter: crash: killed by signal 11/)),
	    '... killed by signal 11');
	nothing_delivered($s, 'crash');
	stop($s);

	my $slow = script('slow', "echo \$\$ > $T/slow.pid\nexec sleep 60\n");
	$s = server("filter slow timeout=1 $slow\n");
	my $t0 = time;
	$m = session($s, subject => 'slow');
	reply_is($m->{eod}, '451', '4.3.0', 'a filter that never ends: 451');
	ok(time - $t0 < 8, '... at its timeout') or diag(time - $t0);
	my $pid = (slurp("$T/slow.pid") // '') =~ /(\d+)/ ? $1 : 0;
	ok($pid && !kill(0, $pid), '... and it was killed');
	ok(scalar(log_lines($s, qr/warning: filter: slow: killed after 1 s/)),
	    '... said so');
	nothing_delivered($s, 'timeout');
	stop($s);

	my $garbage = script('garbage', "cat >/dev/null\nprintf '\\001\\377bin\\033ary\\nsecond line\\n'\nexit 1\n");
	$s = server("filter garbage $garbage\n");
	$m = session($s, subject => 'garbage');
	reply_is($m->{eod}, '554', '5.7.1', 'garbage output, exit 1: refused');
	is($m->{eod}{text}, '5.7.1 ??bin?ary', '... its first line made printable');
	stop($s);

	# does not read a 2 MB message: its exit still decides
	my $lazy = script('lazy', "exit 0\n");
	$s = server("filter lazy $lazy\n");
	$m = session($s, subject => 'lazy',
	    body => "Subject: lazy\n\n" . ("x" x 998 . "\n") x 2000);
	reply_is($m->{eod}, '250', undef,
	    'a filter that does not read its input: its exit decides');
	my $got = delivered($s, 'lazy');
	ok(length($got) > 1_990_000, '... the whole message delivered');
	stop($s);
}

# --- phase=rcpt, only_ and skip_, filter_skip -----------------------------------
{
	my $rc = script('rcptf', "case \$SMTPRCPTTO in bad@*) echo \"no mail for \$SMTPRCPTTO\"; exit 1;; esac\n"
	    . "test -n \"\$(cat)\" && exit 1\nexit 0\n");
	my $s = server("filter rcpt phase=rcpt $rc\n");
	my $m = session($s, to => ['bad@example.test', 'good@example.test'],
	    subject => 'rcpt phase');
	reply_is($m->{rcpt}[0], '554', '5.7.1', 'phase=rcpt: the recipient refused at RCPT');
	is($m->{rcpt}[0]{text}, '5.7.1 no mail for bad@example.test',
	    '... with the filter\'s text');
	reply_is($m->{rcpt}[1], '250', undef, '... another taken (no input at RCPT)');
	reply_is($m->{eod}, '250', undef, '... and delivered');
	stop($s);

	my $rej = script('reject3', "cat >/dev/null\necho no\nexit 1\n");
	$s = server("filter c only_client=192.0.2.0/24 $rej\n"
	    . "filter s skip_sender=sender.test $rej\n"
	    . "filter r only_rcpt=other.test,example.org $rej\n");
	$m = session($s, subject => 'scoped');
	reply_is($m->{eod}, '250', undef,
	    'only_client, skip_sender, only_rcpt: none applies, delivered');
	stop($s);
	$s = server("filter c only_client=127.0.0.0/8 $rej\n");
	$m = session($s, subject => 'scoped2');
	reply_is($m->{eod}, '554', '5.7.1', 'only_client matching: refused');
	stop($s);
	$s = server("filter c only_client=127.0.0.0/8 $rej\n",
	    SMTPFRONT_FILTER_SKIP => 'x,c');
	$m = session($s, subject => 'skipped');
	reply_is($m->{eod}, '250', undef,
	    'filter_skip (per client from the environment): not run');
	stop($s);
	$s = server("filter r skip_rcpt=example.test $rej\n");
	$m = session($s, subject => 'skiprcpt');
	reply_is($m->{eod}, '250', undef, 'skip_rcpt: every recipient there, not run');
	stop($s);
}

# --- smtpfront-cdb ----------------------------------------------------------
{
	for my $bad (["filter x relative/path\n", qr/absolute path/],
	    ["filter x mode=weird /bin/true\n", qr/mode=weird/],
	    ["filter x exit=300:pass /bin/true\n", qr/not 0-255/],
	    ["filter x exit=1:maybe /bin/true\n", qr/unknown verdict maybe/],
	    ["filter x phase=rcpt mode=rewrite /bin/true\n", qr/needs phase=eod/],
	    ["filter x only_client=nonsense /bin/true\n", qr/not an address/],
	    ["filter x /bin/true\nfilter x /bin/false\n", qr/given twice/],
	    ["filter X! /bin/true\n", qr/only a-z/],
	    ["filter x color=red /bin/true\n", qr/unknown option color/]) {
		my $in = spew("$T/bad.src", $bad->[0]);
		my ($code, $text) = SF::run(argv => [SF::build() . "/smtpfront-cdb",
		    $in, "$T/bad.cdb"], timeout => 30);
		ok($code != 0 && $text =~ $bad->[1],
		    "smtpfront-cdb refuses: $bad->[0]") or diag($text);
	}
}

# --- SpamAssassin: spamd and spamc from Debian ---------------------------------
{
	# spamd drops to nobody, who must reach its configuration
	my $sa = "$T/sa";
	chmod(0711, $T) or die "$T: $!";
	mkdir($sa, 0755) or die "$sa: $!";
	mkdir("$sa/etc") or die;
	mkdir("$sa/home") or die;
	system('cp', glob('/etc/spamassassin/*.pre'), "$sa/etc/") == 0 or die;
	chown((getpwnam('nobody'))[2], -1, "$sa/home");
	spew("$sa/etc/local.cf", "use_bayes 0\nbayes_auto_learn 0\nskip_rbl_checks 1\ndns_available no\n");
	my $port = SF::free_port('127.88.4.1');
	my $pid = SF::spawn(argv => ['/usr/sbin/spamd', "--listen=127.88.4.1:$port",
	    '--allowed-ips=127.0.0.0/8', '-u', 'nobody', '-x', '-L',
	    "--siteconfigpath=$sa/etc", '-H', "$sa/home", "--pidfile=$sa/spamd.pid",
	    '--syslog=stderr', '--max-children=2', '--min-children=1',
	    '--min-spare=1'], env => { PATH => $ENV{PATH} },
	    stdout => "$sa/log", stderr => "$sa/log");
	ok(wait_for(sub { system("spamc -d 127.88.4.1 -p $port -K >/dev/null 2>&1") == 0 }, 60),
	    'spamd answers') or diag(slurp("$sa/log"));
	my $f = "$top/scripts/filter-spamassassin";
	my $s = server("filter spamassassin $f -d 127.88.4.1 -p $port\n");
	my $gtube = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';
	my $m = session($s, subject => 'gtube',
	    body => "Subject: gtube\nFrom: a\@sender.test\n\n$gtube\n");
	reply_is($m->{eod}, '554', '5.7.1', 'spamd: GTUBE refused');
	like($m->{eod}{text}, qr{^5\.7\.1 Message looks like spam \(score 1\d\d\d(\.\d)?/5\.0\)$},
	    '... with its score') or diag($m->{eod}{text});
	$m = session($s, subject => 'ham',
	    body => "Subject: ham\nFrom: a\@sender.test\nTo: user\@example.test\n\nSee you at lunch tomorrow.\n");
	reply_is($m->{eod}, '250', undef, 'spamd: ham delivered');
	is(scalar(sink_messages($s->{sinkdir})), 1, '... only the ham');
	stop($s);

	$s = server("filter spamc mode=rewrite /usr/bin/spamc -d 127.88.4.1 -p $port\n");
	$m = session($s, subject => 'marked',
	    body => "Subject: marked\nFrom: a\@sender.test\n\nhello\n");
	reply_is($m->{eod}, '250', undef, 'spamc in rewrite mode: delivered');
	my $got = delivered($s, 'marked');
	like($got, qr/^X-Spam-Status: No, score=/m, '... with spamd\'s X-Spam-Status');
	unlike($got, qr/(?<!\r)\n/, '... CRLF lines');
	stop($s);

	SF::kill_pid($pid);
	$s = server("filter spamassassin $f -d 127.88.4.1 -p $port --connect-retries=1\n");
	$m = session($s, subject => 'nospamd');
	reply_is($m->{eod}, '451', '4.3.0', 'spamd down: 451, nothing lost');
	nothing_delivered($s, 'spamd down');
	stop($s);
}

done_testing();
