#!/usr/bin/perl
# t/docs.t: the documents say what the code does.
#
#   README.md   starts with "make demo" and "make check"; lists every
#               check of checks/list.h in that order, each with its
#               action setting and default (from rules_table.c) and its
#               default reply (from reply.c); the phase table lists, per
#               phase, exactly the checks that hook it, in order; the dry
#               run shown is what smtpfront -n prints; Benchmarks heading;
#               the licence.
#   smtpfront.8 every option of the usage message, every environment
#               variable the code reads, the exit codes, every log event.
#   INSTALL     the wiring it must show.
#   man pages   format without groff warnings.
#   COPYING     the GPL, version 2.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use POSIX ();
use Test::More;
use SF;

my $top = top();
my $readme = slurp("$top/README.md") // '';
ok(length $readme, 'README.md exists');

# --- the checks, from the code -------------------------------------------

my $list_h = slurp("$top/checks/list.h") // '';
my @order = $list_h =~ /^\tX\((\w+)\)/mg;
ok(@order >= 22, 'found the check order in checks/list.h');

my @phases = qw(connect helo mail rcpt data eod);
my $settings = slurp("$top/rules_table.c") // '';
my $replies = slurp("$top/reply.c") // '';
my %check;
for my $name (@order) {
	my $src = slurp("$top/checks/$name.c") // '';
	# designated initialisers: .name, .reply, .action_off, .flags,
	# .start (counts as connect: it decides before the greeting) and
	# .phase[PHASE_X]
	my ($d) = $src =~ /const struct check check_\Q$name\E = \{(.*?)\n\};/s;
	$d //= '';
	my ($n) = $d =~ /\.name = "(\w+)"/;
	my ($reply) = $d =~ /\.reply = "(\w+)"/;
	my ($off) = $d =~ /\.action_off = ([^\n]*),/;
	my ($flags) = $d =~ /\.flags = ([^\n]*),/;
	ok(defined $n && $n eq $name, "checks/$name.c: descriptor named $name");
	my %on = map { lc($_) => 1 } $d =~ /\.phase\[PHASE_(\w+)\] = \w+/g;
	$on{connect} = 1 if $src =~ /\.start = \w+/;
	my ($action) = ($off // '') =~ /offsetof\(struct config, (\w+)\)/;
	my ($dflt) = defined $action ?
	    $settings =~ /\{\s*"\Q$action\E",\s*SETTING_ACTION,\s*\d+,\s*\d+,\s*"(\w+)"/ : ();
	my ($code, $esc) = defined $reply ?
	    $replies =~ /\{\s*"\Q$reply\E",\s*"(\d{3})",\s*"([^"]*)"/ : ();
	$check{$name} = { reply => $reply, action => $action, dflt => $dflt,
	    code => $code, esc => $esc, relay => scalar(($flags // '') =~ /RELAY/),
	    phases => [grep { $on{$_} } @phases] };
}

# --- every place a check must be (checks/TEMPLATE.c lists them) ---------

my %listed = map { $_ => 1 } @order;
my @files = map { m{/(\w+)\.c$} ? $1 : () } glob("$top/checks/*.c");
for my $f (grep { $_ ne 'checks' && $_ ne 'TEMPLATE' } @files) {
	ok($listed{$f}, "checks/$f.c: in CHECKS of checks/list.h");
}
my $make = slurp("$top/Makefile") // '';
my ($mk) = $make =~ /^CHECKS = ((?:.*\\\n)*.*)$/m;
my %inmake = map { $_ => 1 } ($mk // '') =~ m{checks/(\w+)}g;
my $rules5 = slurp("$top/man/smtpfront-rules.5") // '';
for my $name (@order) {
	my $c = $check{$name};
	ok($inmake{$name}, "Makefile: checks/$name in CHECKS");
	ok(-f "$top/t/$name.t", "t/$name.t: the check's test");
	ok(defined $c->{code}, "reply.c: the reply of $name");
	next unless defined $c->{action};
	is($c->{action}, "${name}_action",
	    "checks/$name.c: its action setting is ${name}_action");
	ok(defined $c->{dflt}, "rules_table.c: setting $c->{action}");
	like($rules5, qr/^\.It Cm \Q$c->{action}\E\b/m,
	    "smtpfront-rules.5: setting $c->{action}");
}

# --- README.md ----------------------------------------------------------

my @cmds = $readme =~ /^    (make \w+)/mg;
is_deeply([@cmds[0, 1]], ['make demo', 'make check'],
    'README starts with make demo and make check');
like($readme, qr/127\.0\.0\.1.*2525/, 'README: the demo listens on 127.0.0.1:2525');

# numbered entries "N. **name** (phases)..." up to the next entry
my @entries = $readme =~ /^(\d+\.\s+\*\*\w+\*\*.*?)(?=^\d+\.\s+\*\*|^\S)/msg;
my @named = map { /^\d+\.\s+\*\*(\w+)\*\*/ ? $1 : () } @entries;
is_deeply(\@named, \@order, 'README lists every check in the order of checks/list.h');
my %entry = map { /^\d+\.\s+\*\*(\w+)\*\*/ ? ($1 => $_) : () } @entries;
for my $name (@order) {
	my $c = $check{$name};
	my $e = $entry{$name} // '';
	$e =~ s/\s+/ /g;
	if (defined $c->{action}) {
		like($e, qr/`\Q$c->{action}\E`, default `\Q$c->{dflt}\E`/,
		    "README: $name has $c->{action}, default $c->{dflt}");
		like($e, qr/`SMTPFRONT_\U$c->{action}\E`|\Q$c->{action}\E/,
		    "README: $name names its setting");
	} else {
		like($e, qr/No action setting/, "README: $name has no action setting");
	}
	if ($c->{reply} ne 'reject') {
		like($e, qr/`\Q$c->{reply}\E` \(\Q$c->{code} $c->{esc}\E\)/,
		    "README: $name gives reply $c->{reply} ($c->{code} $c->{esc})");
	}
	like($e, qr/Fails open|fails open|Fails closed|No lookups/,
	    "README: $name says how it fails");
	for my $p (@{$c->{phases}}) {
		my $want = $p eq 'helo' ? 'HELO' : $p =~ /^(mail|rcpt|data)$/ ?
		    uc $p : $p;
		like($e, qr/^\d+\. \*\*$name\*\* \([^)]*\b\Q$want\E\b/,
		    "README: $name is shown in phase $want");
	}
}

# the phase table: each row lists the checks of that phase in order
my %row;
for my $line (split /\n/, $readme) {
	next unless $line =~ /^\| (connect|HELO\/EHLO|MAIL|RCPT|DATA|end of data)\b[^|]*\| (.*) \|$/;
	my ($label, $cells) = ($1, $2);
	$row{$label} = [grep { exists $check{$_} } $cells =~ /\b(\w+)\b/g];
}
my %label = (connect => 'connect', helo => 'HELO/EHLO', mail => 'MAIL',
    rcpt => 'RCPT', data => 'DATA', eod => 'end of data');
for my $p (@phases) {
	# relay control comes first at RCPT
	my @want = ((grep { $check{$_}{relay} && grep { $_ eq $p }
	    @{$check{$_}{phases}} } @order),
	    (grep { !$check{$_}{relay} && grep { $_ eq $p }
	    @{$check{$_}{phases}} } @order));
	is_deeply($row{$label{$p}} // [], \@want,
	    "README phase table: $label{$p} lists its checks in order");
}

# the dry run shown is what smtpfront prints
{
	my ($args, $shown) = $readme =~
	    /^    \$ smtpfront-cdb cdb\/example\.rules example\.cdb\n    \$ smtpfront -n -r example\.cdb (.*)\n((?:    [^\$\n].*\n)+)/m;
	ok(defined $shown, 'README shows a dry run');
	# compiled from the top, so that rules read "cdb/example.rules:N"
	my $db = tmp() . '/readme.cdb';
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		chdir $top or POSIX::_exit(1);
		open STDOUT, '>', '/dev/null' or POSIX::_exit(1);
		open STDERR, '>', '/dev/null' or POSIX::_exit(1);
		{ no warnings 'exec'; exec { build() . '/smtpfront-cdb' }
		    'smtpfront-cdb', 'cdb/example.rules', $db; }
		POSIX::_exit(127);
	}
	waitpid($pid, 0);
	is($?, 0, 'README: cdb/example.rules compiles');
	my ($code, $out) = run(argv => [build() . '/smtpfront', '-n', '-r', $db,
	    split(/ /, $args // '')], timeout => 30,
	    env => { RELAYCLIENT => undef, RBLSMTPD => undef });
	$out =~ s/^smtpfront\[\d+\].*\n//mg;	# the warning when root
	(my $want = $shown // '') =~ s/^    //mg;
	is($out, $want, 'README: the dry run shown is what smtpfront -n prints');
	is($code, 1, 'README: that dry run exits 1 (refused)');
}

like($readme, qr/^## Benchmarks\n\n\S/m, 'README has a Benchmarks section');
like($readme, qr/GNU General Public License, version 2/, 'README: licence GPL-2.0');
like($readme, qr/libowfat/, 'README: the licence follows from libowfat');
like(slurp("$top/COPYING") // '',
    qr/\A\s*GNU GENERAL PUBLIC LICENSE\s+Version 2, June 1991\n/,
    'COPYING is the GPL, version 2');

# every reply named in README exists
{
	my %known = map { $_ => 1 } $replies =~ /^\t\{\s*"(\w+)",/mg;
	my @named = $readme =~ /Repl(?:y|ies) `(\w+)`/g;
	push @named, $readme =~ /Replies `\w+`(?:, `(\w+)`)+/g;
	my @unknown = grep { !$known{$_} } @named;
	is_deeply(\@unknown, [], 'README names no reply that reply.c lacks');
}

# --- man/smtpfront.8 ----------------------------------------------------

my $man8 = slurp("$top/man/smtpfront.8") // '';
ok(length $man8, 'man/smtpfront.8 exists');
(my $m8 = $man8) =~ s/\\-/-/g;
my $sf = slurp("$top/smtpfront.c") // '';
# the core: smtpfront.c and the modules beside it (log events, variables)
my $core = join("\n", map { slurp($_) // '' } glob("$top/*.c"));
my ($usage) = $sf =~ /static const char msg\[\] =\s*(.*?);/s;
for my $opt (($usage // '') =~ /\[?-(\w)\b/g) {
	like($m8, qr/^\.It Fl $opt\b/m, "smtpfront.8 explains -$opt");
}
like($m8, qr/^\.It Fl -\s*$/m, 'smtpfront.8 explains --');
# getenv()/envvar_get() calls, and the names read in one pass (EN("...")).
my @vars = ($core =~ /\b(?:getenv|envvar_get|EN)\("(\w+)"/g);
for my $f (glob("$top/checks/*.c")) {
	next if $f =~ /TEMPLATE/;
	push @vars, (slurp($f) // '') =~ /\b(?:getenv|envvar_get)\("(\w+)"/g;
}
my %seen;
@vars = grep { !$seen{$_}++ } @vars;
ok(@vars >= 10, 'found the environment variables the code reads');
for my $v (@vars) {
	like($m8, qr/\.It Ev .*\b$v\b|\bEv $v\b/, "smtpfront.8 names $v");
}
like($m8, qr/\bEv SMTPFRONT_ Ns Ar NAME\b/, 'smtpfront.8: SMTPFRONT_NAME');
for my $v ($core =~ /setenv\("(\w+)"/g) {
	like($m8, qr/\b$v\b/, "smtpfront.8 says $v is set for the child");
}
for my $x (0, 100, 111) {
	like($m8, qr/^\.It $x$/m, "smtpfront.8: exit status $x");
}
my %events = map { $_ => 1 } ($core =~ /log_start\("([\w-]+)"\)/g),
    qw(reject defer drop timeout);
for my $ev (sort keys %events) {
	like($m8, qr/^\.It Li (?:\w+ , )*\Q$ev\E\b/m,
	    "smtpfront.8 explains log event $ev");
}
# smtpfront-tls: its argument vector as its usage message says it
{
	my $tls = slurp("$top/smtpfront-tls.c") // '';
	my ($args) = $tls =~ /usage: smtpfront-tls (.*?)\\n"/s;
	$args //= '';
	$args =~ s/"\s*"//g;
	ok($args =~ /^cert key /, 'smtpfront-tls.c has a usage message');
	like($m8, qr/^\.Ar \Q$args\E$/m,
	    'smtpfront.8 gives the argument vector of smtpfront-tls');
	like($m8, qr/^\.Ss STARTTLS$/m, 'smtpfront.8 has a STARTTLS section');
}
like($m8, qr/ip= helo= tls= from=<> rcpts=N msgs=N verdict=V rule=R bytes=N duration=S\.mmm/,
    'smtpfront.8: the summary line in its key order');

# --- INSTALL ----------------------------------------------------------------

my $install = slurp("$top/INSTALL") // '';
for my $want ('make install PREFIX=/usr/local DESTDIR=', 'tcpserver -u',
    'user = smtpfront', 'User=smtpfront', 'tcprules /etc/tcp.smtp.cdb',
    'RELAYCLIENT=""', 'SMTPFRONT_',
    'smtpfront -r /etc/smtpfront/rules.cdb /var/qmail/bin/qmail-smtpd',
    '/usr/sbin/sendmail -bs', '/usr/sbin/exim -bs', 'multilog',
    'Accept=yes', 'localhost [127.0.0.1]', 'rcpt_domain') {
	like($install, qr/\Q$want\E/, "INSTALL shows $want");
}

# --- the man pages format cleanly ------------------------------------------

for my $m (glob("$top/man/*.[58]")) {
	my ($code, $out) = run(argv => ['groff', '-mandoc', '-ww', '-z',
	    '-Tutf8', $m], timeout => 30);
	ok($code == 0 && $out eq '', "groff -ww: no warning for $m")
	    or diag($out);
}

done_testing();
