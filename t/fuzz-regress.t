#!/usr/bin/perl
# t/fuzz-regress.t: the inputs the fuzz targets (fuzz/) found or start
# from, replayed outside libFuzzer.
#
# 1. Each input kept in t/data/fuzz/fuzz-rules/ (every crash the
#    fuzz-rules target found) and each seed in fuzz/corpus/fuzz-rules/ is
#    a rules source: the real compiler, $SF_BUILD/smtpfront-cdb, must
#    exit 0 or 100 with no sanitizer report; -n must agree; exit 100
#    comes with one printable line "smtpfront-cdb: FILE:N: message" and
#    no temporary file left; exit 0 with a database whose -d dump
#    compiles again to a database that dumps to the same text.
# 2. The targets are built with CC and fuzz/replay.c instead of
#    libFuzzer ("make -C fuzz replay", AddressSanitizer and
#    UndefinedBehaviorSanitizer on), and each replays its seeds and kept
#    inputs (t/data/fuzz/NAME/) through its own invariants.
#
# SF_BUILD defaults to build/ at the top of the tree; everything else is
# written under a File::Temp directory removed at the end.
use strict;
use warnings;
use Cwd qw(abs_path getcwd);
use File::Basename qw(basename);
use File::Spec;
use File::Temp qw(tempdir);
use FindBin;
use POSIX qw(_exit);
use Test::More;

my $top = abs_path("$FindBin::Bin/..");
my $build = $ENV{SF_BUILD} || 'build';
$build = File::Spec->rel2abs($build, $ENV{SF_BUILD} ? getcwd() : $top);
my $sfcdb = "$build/smtpfront-cdb";
my $tmp = tempdir('fuzz-regress-t.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my @targets = qw(fuzz-addr fuzz-smtp fuzz-dot fuzz-rules fuzz-creply
    fuzz-starttls fuzz-dns fuzz-header fuzz-policy fuzz-filter fuzz-mime fuzz-dmarc fuzz-authres
    fuzz-milter);
my $san_re = qr/ERROR: \w+Sanitizer|runtime error:|SUMMARY: \w+Sanitizer/;
my $seq = 0;

-x $sfcdb or BAIL_OUT("$sfcdb not built");

sub slurp {
	my ($f) = @_;
	open my $fh, '<:raw', $f or die "$f: $!";
	local $/;
	my $s = <$fh>;
	return $s // '';
}

sub spew {
	my ($f, $s) = @_;
	open my $fh, '>:raw', $f or die "$f: $!";
	print $fh $s or die "$f: $!";
	close $fh or die "$f: $!";
}

# run(DIR, PROG, ARGS...): run without a shell in DIR, stdin /dev/null;
# returns the exit code (or 128 + signal), stdout and stderr.
sub run {
	my ($dir, @cmd) = @_;
	my $n = ++$seq;
	my ($out, $err) = ("$tmp/.out$n", "$tmp/.err$n");
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		open STDIN, '<', '/dev/null' or _exit(126);
		open STDOUT, '>', $out or _exit(126);
		open STDERR, '>', $err or _exit(126);
		chdir $dir or _exit(126);
		{ no warnings 'exec'; exec { $cmd[0] } @cmd; }
		_exit(127);
	}
	waitpid($pid, 0) == $pid or die "waitpid: $!";
	my $rc = $? & 127 ? 128 + ($? & 127) : $? >> 8;
	my ($o, $e) = (slurp($out), slurp($err));
	unlink $out, $err;
	return ($rc, $o, $e);
}

sub files_in {
	my ($dir) = @_;
	opendir my $dh, $dir or return ();
	my @f = sort grep { !/^\./ && -f "$dir/$_" } readdir $dh;
	closedir $dh;
	return map { "$dir/$_" } @f;
}

# --- 1. rules sources through the real compiler ---

my @rules = (files_in("$top/t/data/fuzz/fuzz-rules"),
    files_in("$top/fuzz/corpus/fuzz-rules"));
ok(@rules >= 20, 'rules inputs found: ' . scalar @rules);
my %kept = map { $_ => 1 } files_in("$top/t/data/fuzz/fuzz-rules");
ok(keys %kept >= 1, 'kept fuzz-rules inputs found');

my ($good, $bad) = (0, 0);
for my $src (@rules) {
	my $name = ($kept{$src} ? 'kept ' : 'seed ') . basename($src);
	my $d = "$tmp/r" . ++$seq;
	mkdir $d or die "$d: $!";
	my ($rc, $o, $e) = run($d, $sfcdb, $src, 'out.cdb');
	ok($rc == 0 || $rc == 100, "$name: exit 0 or 100") or
	    diag("exit $rc: $e");
	unlike($e, $san_re, "$name: no sanitizer report");
	my ($nrc, $no, $ne) = run($d, $sfcdb, '-n', $src);
	is("$nrc $ne", "$rc $e", "$name: -n gives the same exit and message");
	opendir my $dh, $d or die "$d: $!";
	my @tmpf = grep { /\.tmp\./ } readdir $dh;
	closedir $dh;
	is("@tmpf", '', "$name: no temporary file left");
	if ($rc == 100) {
		$bad++;
		like($e, qr/\Asmtpfront-cdb: \Q$src\E:[1-9]\d*: [ -~]+\n\z/,
		    "$name: one printable message naming the line");
		ok(!-e "$d/out.cdb", "$name: no database written");
		next;
	}
	$good++;
	# nothing on stderr but the warnings of names an earlier release used
	ok($e =~ /\A(?:smtpfront-cdb: \Q$src\E:[1-9]\d*: warning: (?:list|reply) \w+ is now named \w+: [ -~]+\n)*\z/,
	    "$name: nothing on stderr but rename warnings") or diag($e);
	($rc, my $dump, $e) = run($d, $sfcdb, '-d', 'out.cdb');
	is($rc, 0, "$name: -d") or diag($e);
	like($dump, qr/\A# smtpfront-rules \d+\n(?:(?:set|list|reply) [ -~]+\n)*\z/,
	    "$name: -d prints the version and statements only");
	spew("$d/dump.rules", $dump);
	($rc, $o, $e) = run($d, $sfcdb, 'dump.rules', 'again.cdb');
	is($rc, 0, "$name: the dump compiles") or diag($e);
	($rc, $o, $e) = run($d, $sfcdb, '-d', 'again.cdb');
	is($o, $dump, "$name: and dumps to the same text");
}
ok($good >= 5, "good sources among the inputs: $good");
ok($bad >= 5, "bad sources among the inputs: $bad");

# --- 2. every target's inputs through its own invariants ---

my $rdir = "$tmp/replay";
{
	my ($rc, $o, $e) = run("$top/fuzz", 'make', '-s', 'replay', "R=$rdir");
	is($rc, 0, 'make -C fuzz replay builds every target with CC') or
	    diag("$o$e");
}
for my $t (@targets) {
	my @in = (files_in("$top/fuzz/corpus/$t"),
	    files_in("$top/t/data/fuzz/$t"));
	ok(@in >= 1, "$t: inputs found: " . scalar @in);
	my ($rc, $o, $e) = run($tmp, "$rdir/replay-$t", @in);
	is($rc, 0, "$t: every input keeps the invariants") or diag($e);
	my @ok = $o =~ /^ok /mg;
	is(scalar @ok, scalar @in, "$t: every input was run");
	unlike($e, $san_re, "$t: no sanitizer report");
}

done_testing();
