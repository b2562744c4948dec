#!/usr/bin/perl
# t/cdb.t: tests of the rules compiler, smtpfront-cdb, driving the built
# binary ($SF_BUILD, default build/ at the top of the tree).
#
# Golden output: t/data/cdb/golden.rules must compile to exactly
# golden.cdb (byte for byte), whose "cdb -d" dump is golden.dump and whose
# "smtpfront-cdb -d" dump is golden.source.  Then every error message with
# its file:line and exit code, the old database left untouched after an
# error, directory sources, -n, the -d round trip, the atomic replace,
# cdb/example.rules, and that the man page names every setting and reply.
#
# Everything is written under a File::Temp directory that is removed at
# the end.  Needs tinycdb's "cdb" tool.
use strict;
use warnings;
use Cwd qw(abs_path getcwd);
use File::Path qw(make_path);
use File::Spec;
use File::Temp qw(tempdir);
use FindBin;
use POSIX qw(_exit);
use Test::More;

my $top = abs_path("$FindBin::Bin/..");
my $build = $ENV{SF_BUILD} || 'build';
$build = File::Spec->rel2abs($build, $ENV{SF_BUILD} ? getcwd() : $top);
my $sfcdb = "$build/smtpfront-cdb";
my $data = "$top/t/data/cdb";
my $tmp = tempdir('cdb-t.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $seq = 0;

-x $sfcdb or BAIL_OUT("$sfcdb not built");
my ($cdbtool) = grep { -x } map { "$_/cdb" } split /:/, $ENV{PATH};
$cdbtool or BAIL_OUT('tinycdb "cdb" tool not found');

sub slurp {
	my ($f) = @_;
	open my $fh, '<:raw', $f or return undef;
	local $/;
	my $s = <$fh>;
	return $s;
}

sub spew {
	my ($f, $s) = @_;
	open my $fh, '>:raw', $f or die "$f: $!";
	print $fh $s or die "$f: $!";
	close $fh or die "$f: $!";
}

# run(DIR, PROG, ARGS...): run without a shell in DIR; returns the exit
# code (or 128 + signal), stdout and stderr.
sub run {
	my ($dir, @cmd) = @_;
	my $n = ++$seq;
	my ($out, $err) = ("$tmp/.out$n", "$tmp/.err$n");
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		open STDIN, '<', '/dev/null';
		open STDOUT, '>', $out or _exit(127);
		open STDERR, '>', $err or _exit(127);
		chdir $dir or _exit(127);
		{ no warnings 'exec'; exec { $cmd[0] } @cmd; }
		_exit(127);
	}
	waitpid($pid, 0);
	my $rc = $? & 127 ? 128 + ($? & 127) : $? >> 8;
	my ($o, $e) = (slurp($out), slurp($err));
	unlink $out, $err;
	return ($rc, $o, $e);
}

sub tmpfiles {
	my ($dir) = @_;
	opendir my $dh, $dir or die "$dir: $!";
	return sort grep { /\.tmp\./ } readdir $dh;
}

sub ino { return (stat $_[0])[1] }

# --- names an earlier release used: read, with a warning naming the new --------
{
	my @pairs = (['list helo_bad .invalid', 'list helo_list .invalid'],
	    ['list sender_bad @spam.example', 'list sender_list @spam.example'],
	    ['list rcpt_domains example.test', 'list rcpt_domain example.test'],
	    ['list rcpt_catchall example.test',
	    'list rcpt_users_catchall example.test'],
	    ['list ip_ours 192.0.2.1', 'list ours 192.0.2.1'],
	    ['list helo_ours mx.example.test', 'list ours mx.example.test'],
	    ['reply need_helo 503 5.5.1 Hello first',
	    'reply helo_required 503 5.5.1 Hello first'],
	    ['reply sender_syntax 553 5.1.7 Bad sender',
	    'reply addr_syntax 553 5.1.7 Bad sender'],
	    ['reply rcpt_syntax 553 5.1.3 Bad recipient',
	    'reply addr_syntax_rcpt 553 5.1.3 Bad recipient'],
	    ['reply size_declared 552 5.3.4 Too big',
	    'reply size 552 5.3.4 Too big'],
	    ['reply size_exceeded 552 5.3.4 Too big',
	    'reply size_data 552 5.3.4 Too big']);
	my $old = join("\n", map { $_->[0] } @pairs) . "\n";
	my $new = join("\n", map { $_->[1] } @pairs) . "\n";
	spew("$tmp/old.rules", $old);
	spew("$tmp/new.rules", $new);
	my ($rc, $o, $e) = run($tmp, $sfcdb, 'old.rules', "$tmp/old.cdb");
	is($rc, 0, 'old names: the source still compiles');
	my $n = 0;
	for my $p (@pairs) {
		$n++;
		my ($was) = $p->[0] =~ /^\w+ (\w+)/;
		my ($kind, $now) = $p->[1] =~ /^(\w+) (\w+)/;
		like($e, qr/^smtpfront-cdb: old\.rules:$n: warning: $kind $was is now named $now: /m,
		    "old name $was: a warning with file:line naming $now");
	}
	my ($rc2) = run($tmp, $sfcdb, 'new.rules', "$tmp/new.cdb");
	my ($r1, $d1) = run($tmp, $sfcdb, '-d', "$tmp/old.cdb");
	my ($r2, $d2) = run($tmp, $sfcdb, '-d', "$tmp/new.cdb");
	ok($rc2 == 0 && $r1 == 0 && $d1 eq $d2,
	    'old names: the same settings, lists and replies as the new')
	    or diag("old:\n$d1\nnew:\n$d2");
	unlink("$tmp/old.rules", "$tmp/new.rules", "$tmp/old.cdb",
	    "$tmp/new.cdb");
}

# --- golden output ---

{
	my $out = "$tmp/golden.cdb";
	my ($rc, $o, $e) = run($data, $sfcdb, 'golden.rules', $out);
	is($rc, 0, 'golden: compiles');
	is($e, '', 'golden: nothing on stderr');
	is($o, '', 'golden: nothing on stdout');
	ok(slurp($out) eq slurp("$data/golden.cdb"),
	    'golden: database is byte-identical to golden.cdb');
	($rc, $o) = run($tmp, $cdbtool, '-d', $out);
	is($rc, 0, 'golden: cdb -d reads it');
	is($o, slurp("$data/golden.dump"), 'golden: cdb -d dump');
	($rc, $o, $e) = run($tmp, $sfcdb, '-d', $out);
	is($rc, 0, 'golden: smtpfront-cdb -d exits 0');
	is($o, slurp("$data/golden.source"), 'golden: smtpfront-cdb -d dump');
	($rc, $o) = run($tmp, $cdbtool, '-q', $out, 's:pipelining');
	is($o, 'yes', 'golden: cdb -q finds the normalised switch');

	($rc) = run($data, $sfcdb, 'golden.rules', "$tmp/golden2.cdb");
	ok($rc == 0 && slurp("$tmp/golden2.cdb") eq slurp($out),
	    'golden: a second run gives the same bytes');
	is_deeply([tmpfiles($tmp)], [], 'golden: no temporary file left');
}

# --- -d round trip ---

{
	my $d = "$tmp/rt";
	make_path($d);
	spew("$d/src.rules", slurp("$data/golden.source"));
	my ($rc, $o, $e) = run($d, $sfcdb, 'src.rules', 'rt.cdb');
	is($rc, 0, 'round trip: the -d output compiles') or diag($e);
	($rc, $o) = run($d, $sfcdb, '-d', 'rt.cdb');
	is($o, slurp("$data/golden.source"),
	    'round trip: dumping it again gives the same source');
	($rc, $o) = run($d, $cdbtool, '-d', 'rt.cdb');
	# origins: the "o:" records, and the values of the "l:" records
	my $strip = sub {
		return map { s/^\+\d+,\d+:(l:[^>]*)->.*/$1/r }
		    grep { !/^\+\d+,\d+:o:/ } split /\n/, $_[0];
	};
	is_deeply([$strip->($o)], [$strip->(slurp("$data/golden.dump"))],
	    'round trip: same records but the origins');
}

# --- -d on other files ---

{
	my $d = "$tmp/dump";
	make_path($d);
	spew("$d/other.txt", "+1,1:a->b\n\n");
	spew("$d/lists.txt", join('', map {
	    sprintf("+%d,%d:%s->%s\n", length $_->[0], length $_->[1], @$_) }
	    (['v', 'smtpfront-rules 1'], ['x:odd', '1'],
	    ['l:helo:mx.example.org', 'a:1'], ['s:timeout', "6\x010"],
	    ['l:helo:bad.example', 'a:2'])) . "\n");
	(run($d, $cdbtool, '-c', 'other.cdb', 'other.txt'))[0] == 0
	    or die 'cdb -c failed';
	(run($d, $cdbtool, '-c', 'lists.cdb', 'lists.txt'))[0] == 0
	    or die 'cdb -c failed';
	my ($rc, $o, $e) = run($d, $sfcdb, '-d', 'other.cdb');
	is($rc, 100, '-d of another CDB exits 100');
	is($e, "smtpfront-cdb: other.cdb: not a smtpfront-rules 1 database\n",
	    '-d of another CDB: message');
	($rc, $o, $e) = run($d, $sfcdb, '-d', 'other.txt');
	is($rc, 100, '-d of a text file exits 100');
	($rc, $o, $e) = run($d, $sfcdb, '-d', 'nosuch.cdb');
	is($rc, 111, '-d of a missing file exits 111');
	like($e, qr/^smtpfront-cdb: fatal: unable to open nosuch\.cdb: /,
	    '-d of a missing file: message');
	($rc, $o, $e) = run($d, $sfcdb, '-d', 'lists.cdb');
	is($rc, 0, '-d of a database with lists exits 0');
	is($o, "# smtpfront-rules 1\nset timeout 6?0\n" .
	    "list helo mx.example.org\nlist helo bad.example\n" .
	    "# unknown key x:odd\n",
	    '-d prints lists, makes values printable, flags unknown keys');
}

# --- -n ---

{
	my ($rc, $o, $e) = run($data, $sfcdb, '-n', 'golden.rules');
	ok($rc == 0 && $e eq '' && $o eq '', '-n SOURCE: exit 0, silent');
	($rc, $o, $e) = run($data, $sfcdb, '-n', 'golden.rules',
	    "$tmp/n.cdb");
	ok($rc == 0 && !-e "$tmp/n.cdb", '-n SOURCE OUTPUT writes nothing');
	spew("$tmp/n.rules", "set timeout 0\n");
	($rc, $o, $e) = run($tmp, $sfcdb, '-n', 'n.rules');
	is($rc, 100, '-n of a bad source exits 100');
	is($e, "smtpfront-cdb: n.rules:1: set timeout: must be a decimal " .
	    "number from 1 to 3600\n", '-n of a bad source: message');
}

# --- usage ---

for my $args ([], ['only.rules'], ['-d'], ['-d', 'a', 'b'],
    ['-d', '-n', 'a'], ['-x', 'a', 'b'], ['a', 'b', 'c'], ['-n']) {
	my ($rc, $o, $e) = run($tmp, $sfcdb, @$args);
	ok($rc == 100 && $e =~ /^usage: smtpfront-cdb /m,
	    "usage error for (@$args) exits 100");
}

# --- errors: message, exit 100, old database untouched ---

my $long = 'a' x 256;
my @errors = (
	["frob x\n", 1, 'unknown statement frob (expected set, list, reply, filter or content)'],
	["# c\n\n   # c\n\t\nset nosuch 1\n", 5, 'unknown setting nosuch'],
	["set SIZE_MAX 2048\n", 1, 'unknown setting SIZE_MAX'],
	["set\n", 1, 'set needs a name and a value'],
	["set size_max\n", 1, 'set needs a name and a value'],
	["set size_max 2048 4096\n", 1,
	    'set takes a name and one value without blanks'],
	["set hostname mx example\n", 1,
	    'set takes a name and one value without blanks'],
	["set size_max 1023\n", 1,
	    'set size_max: must be a decimal number from 1024 to 2147483647'],
	["set size_max 2147483648\n", 1,
	    'set size_max: must be a decimal number from 1024 to 2147483647'],
	["set size_max 18446744073709553664\n", 1,
	    'set size_max: must be a decimal number from 1024 to 2147483647'],
	["set size_max 10M\n", 1,
	    'set size_max: must be a decimal number from 1024 to 2147483647'],
	["set size_max -2048\n", 1,
	    'set size_max: must be a decimal number from 1024 to 2147483647'],
	["set pipelining maybe\n", 1,
	    'set pipelining: must be yes, no, on, off, 1 or 0'],
	["set size_action bounce\n", 1,
	    'set size_action: must be off, warn, defer, reject or drop'],
	["set hostname $long\n", 1, 'set hostname: must be printable ASCII ' .
	    'without blanks, at most 255 bytes'],
	["set hostname mx\x01\n", 1, 'control or 8-bit character in column 16'],
	["set hostname m\xc3\xa9\n", 1,
	    'control or 8-bit character in column 15'],
	["set size_max 2048\r\n", 1, 'control or 8-bit character in column 18'],
	["set size_max 2048\0\n", 1, 'NUL byte in line'],
	['#' . ('x' x 4096) . "\n", 1, 'line longer than 4096 bytes'],
	["set size_max 2048\n\nset size_max 4096\n", 3,
	    'size_max already set at bad.rules:1'],
	["set pipelining yes\nset pipelining yes\n", 2,
	    'pipelining already set at bad.rules:1'],
	["list\n", 1, 'list needs a name and an entry'],
	["list helo\n", 1, 'list needs a name and an entry'],
	["list helo mx.example.org\n", 1, 'unknown list helo'],
	["reply reject 550\n", 1, 'reply needs a name, a code, an enhanced ' .
	    'status code and a text'],
	["reply nosuch 550 5.7.1 No\n", 1, 'unknown reply nosuch'],
	["reply reject 550 4.7.1 No\n", 1, 'reply reject: enhanced status ' .
	    'code missing or of another class than the code'],
	["reply reject 550 No thanks\n", 1, 'reply reject: enhanced status ' .
	    'code missing or of another class than the code'],
	["reply reject 550 5.7 No\n", 1,
	    'reply reject: malformed enhanced status code'],
	["reply reject 650 6.0.0 No\n", 1,
	    'reply reject: reply code must be 2xx to 5xx'],
	["reply reject 550 5.7.1 " . ('x' x 401) . "\n", 1,
	    'reply reject: reply text too long'],
	["reply reject 550 5.7.1 No\tway\n", 1,
	    'reply reject: reply text must be printable ASCII'],
	["reply reject 250 2.0.0 Fine\n", 1, 'reply reject: code 250 is not ' .
	    'of the class 5xx of its default 550'],
	["reply rcpt_max 552 5.5.3 Too many\n", 1, 'reply rcpt_max: code 552 ' .
	    'is not of the class 4xx of its default 452'],
	["reply rcpt_max 421 4.7.0 Bye\n", 1, 'reply rcpt_max: 421 is only ' .
	    'for replies that close the connection'],
	["reply drop 450 4.7.0 Later\n", 1, 'reply drop: code must stay 421, ' .
	    'the connection is closed after it'],
	["reply reject 550 5.7.1 A\nreply reject 554 5.7.1 B\n", 2,
	    'reply reject already set at bad.rules:1'],
	# the greeting and 354 take "CODE text", no enhanced status code
	["reply banner 554 Go away\n", 1, 'reply banner: code must be 220'],
	["reply banner 250 Hello\n", 1, 'reply banner: code must be 220'],
	["reply data_go 250 Go\n", 1, 'reply data_go: code must be 354'],
	["reply banner 22 Hi\n", 1,
	    'reply banner: reply must start with a code and a blank'],
	["reply banner 220 Hi\tthere\n", 1,
	    'reply banner: reply text must be printable ASCII'],
	["reply data_go 354 " . ('x' x 401) . "\n", 1,
	    'reply data_go: reply text too long'],
	["reply banner 220 A\nreply banner 220 B\n", 2,
	    'reply banner already set at bad.rules:1'],
);

{
	my $d = "$tmp/err";
	make_path($d);
	spew("$d/good.rules", "set size_max 4096\n");
	my ($rc) = run($d, $sfcdb, 'good.rules', 'out.cdb');
	$rc == 0 or die 'cannot build the database for the error tests';
	my $old = slurp("$d/out.cdb");
	my $oldino = ino("$d/out.cdb");
	for my $t (@errors) {
		my ($src, $line, $msg) = @$t;
		spew("$d/bad.rules", $src);
		my ($rc, $o, $e) = run($d, $sfcdb, 'bad.rules', 'out.cdb');
		my $want = "smtpfront-cdb: bad.rules:$line: $msg\n";
		is($rc, 100, "exit 100: $msg");
		is($e, $want, "message: $msg");
		ok(slurp("$d/out.cdb") eq $old && ino("$d/out.cdb") == $oldino,
		    "old database untouched: $msg");
		is_deeply([tmpfiles($d)], [], "no temporary file: $msg");
	}

	# the limits themselves are allowed
	spew("$d/edge.rules", '#' . ('x' x 4095) . "\n" .
	    "set hostname " . ('a' x 255) . "\n" .
	    "reply reject 550 5.7.1 " . ('x' x 399) . "\n" .
	    "reply banner 220 " . ('x' x 400) . "\n");
	($rc, my $o, my $e) = run($d, $sfcdb, 'edge.rules', 'edge.cdb');
	is($rc, 0, 'a line of 4096 bytes, 255-byte text, 399-byte reply ' .
	    'text and a 400-byte banner text are allowed') or diag($e);

	# system errors
	($rc, $o, $e) = run($d, $sfcdb, 'nosuch.rules', 'out.cdb');
	is($rc, 111, 'missing source exits 111');
	like($e, qr/^smtpfront-cdb: fatal: unable to open nosuch\.rules: /,
	    'missing source: message');
	ok(slurp("$d/out.cdb") eq $old, 'missing source: old database kept');
	($rc, $o, $e) = run($d, $sfcdb, 'good.rules', 'nodir/out.cdb');
	is($rc, 111, 'output in a missing directory exits 111');
	like($e, qr{^smtpfront-cdb: fatal: unable to create nodir/out\.cdb\.tmp\.\d+: },
	    'output in a missing directory: message');
}

# --- directory sources ---

{
	my $d = "$tmp/dir";
	make_path("$d/rules.d/sub", "$d/order.d", "$d/bad.d", "$d/empty.d");
	spew("$d/rules.d/10-main", "# main\nset size_max 2048\n" .
	    "reply reject 550 5.7.1 No\n");
	spew("$d/rules.d/9-late", "set rcpt_max 50\n");
	spew("$d/rules.d/.hidden", "frob\n");
	spew("$d/rules.d/old~", "frob\n");
	spew("$d/rules.d/sub/x", "frob\n");
	symlink('10-main', "$d/rules.d/.link") or die "symlink: $!";
	my $want = "+1,17:v->smtpfront-rules 1\n" .
	    "+12,16:o:s:rcpt_max->rules.d/9-late:1\n" .
	    "+12,17:o:s:size_max->rules.d/10-main:2\n" .
	    "+8,12:r:reject->550 5.7.1 No\n" .
	    "+10,2:s:rcpt_max->50\n" .
	    "+10,4:s:size_max->2048\n\n";
	my ($rc, $o, $e) = run($d, $sfcdb, 'rules.d', 'dir.cdb');
	is($rc, 0, 'directory: compiles, skipping dot, backup and ' .
	    'subdirectory') or diag($e);
	($rc, $o) = run($d, $cdbtool, '-d', 'dir.cdb');
	is($o, $want, 'directory: files in byte order, origins name them');
	($rc, $o, $e) = run($d, $sfcdb, 'rules.d/', 'dir2.cdb');
	ok($rc == 0 && slurp("$d/dir2.cdb") eq slurp("$d/dir.cdb"),
	    'directory: a trailing slash changes nothing');

	spew("$d/order.d/10-a", "set timeout 60\n");
	spew("$d/order.d/9-b", "# later\nset timeout 90\n");
	($rc, $o, $e) = run($d, $sfcdb, 'order.d', 'order.cdb');
	is($rc, 100, 'directory: duplicate across files exits 100');
	is($e, "smtpfront-cdb: order.d/9-b:2: timeout already set at " .
	    "order.d/10-a:1\n", 'directory: 10-a is read before 9-b');

	spew("$d/bad.d/a", "set timeout 60\n");
	spew("$d/bad.d/b", "\nset timeout 60 s\n");
	($rc, $o, $e) = run($d, $sfcdb, 'bad.d', 'bad.cdb');
	is($e, "smtpfront-cdb: bad.d/b:2: set takes a name and one value " .
	    "without blanks\n", 'directory: error names the second file');
	ok($rc == 100 && !-e "$d/bad.cdb", 'directory: error writes nothing');

	($rc, $o, $e) = run($d, $sfcdb, 'empty.d', 'empty.cdb');
	($rc, $o) = run($d, $cdbtool, '-d', 'empty.cdb');
	is($o, "+1,17:v->smtpfront-rules 1\n\n",
	    'empty directory: only the version');
}

# --- lists: names come from list_table and net_lists in rules_table.c ---

my $rtable = slurp("$top/rules_table.c");
my ($lists) = $rtable =~ /list_table\[\]\s*=\s*\{(.*?)\};/s;
my @lists = ($lists // '') =~ /"(\w+)"/g;
my ($nets) = $rtable =~ /net_lists\[\]\s*=\s*\{(.*?)\};/s;
my @netlists = ($nets // '') =~ /"(\w+)"/g;
my %isnet = map { $_ => 1 } @netlists;
# the lists of names that take addresses and networks too ("ours")
my ($mixed) = $rtable =~ /\nlist_is_mixed\(.*?\n\{(.*?)\n\}/s;
my %ismixed = map { $_ => 1 } ($mixed // '') =~ /"(\w+)"/g;
# the lists read whole, in source order ("e:LIST:N": dnsbl)
my ($enums) = $rtable =~ /enum_lists\[\]\s*=\s*\{(.*?)\};/s;
my %isenum = map { $_ => 1 } ($enums // '') =~ /"(\w+)"/g;
my @namelists = grep { !$isnet{$_} && !$ismixed{$_} && !$isenum{$_} } @lists;
ok($isenum{dnsbl}, 'found the list dnsbl, read whole, in rules_table.c');
ok(@lists >= 10, 'found the lists in rules_table.c');
ok(@netlists >= 2, 'found the network lists in rules_table.c');
ok($ismixed{ours}, 'found the mixed list ours in rules_table.c');
ok(@namelists >= 1, 'there are lists of names');

sub rec {
	my ($k, $v) = @_;
	return sprintf("+%d,%d:%s->%s\n", length $k, length $v, $k, $v);
}

# A list of names: entries stored as written, in lower case.
for my $plain (@namelists) {
	my $d = "$tmp/list-$plain";
	make_path($d);
	spew("$d/x.rules", "list $plain Mx.Example.ORG\n" .
	    "list\t$plain\tother.example\n" . "list $plain 192.0.2.0/24\n");
	my ($rc, $o, $e) = run($d, $sfcdb, 'x.rules', 'x.cdb');
	is($rc, 0, "list $plain: compiles") or diag($e);
	($rc, $o) = run($d, $cdbtool, '-d', 'x.cdb');
	is($o, rec('v', 'smtpfront-rules 1') . rec("c:$plain", '3') .
	    rec("l:$plain:192.0.2.0/24", 'x.rules:3') .
	    rec("l:$plain:mx.example.org", 'x.rules:1') .
	    rec("l:$plain:other.example", 'x.rules:2') . "\n",
	    "list $plain: lower case, count, an address kept as text");
	($rc, $o) = run($d, $sfcdb, '-d', 'x.cdb');
	is($o, "# smtpfront-rules 1\nlist $plain 192.0.2.0/24\n" .
	    "list $plain mx.example.org\nlist $plain other.example\n",
	    "list $plain: -d prints the entries and nothing else");
}

# A list read whole (dnsbl): each entry also under "e:LIST:N" in source
# order, with its line; entries checked (ZONE[=FILTER][*WEIGHT]).
for my $l (grep { $_ ne 'milter' } sort keys %isenum) {
	my $d = "$tmp/list-$l";
	make_path($d);
	# weights only in dnsbl, which adds up scores
	my ($w2, $w3) = $l eq 'dnsbl' ? ('*3', '*-5') : ('', '');
	spew("$d/x.rules", "list $l BL.Example.ORG\n" .
	    "list $l bl2.example=127.0.0.[2..11]$w2\nlist $l wl.example$w3\n");
	my ($rc, $o, $e) = run($d, $sfcdb, 'x.rules', 'x.cdb');
	is($rc, 0, "list $l: compiles") or diag($e);
	($rc, $o) = run($d, $cdbtool, '-d', 'x.cdb');
	is($o, rec('v', 'smtpfront-rules 1') . rec("c:$l", '3') .
	    rec("e:$l:0", 'bl.example.org x.rules:1') .
	    rec("e:$l:1", "bl2.example=127.0.0.[2..11]$w2 x.rules:2") .
	    rec("e:$l:2", "wl.example$w3 x.rules:3") .
	    rec("l:$l:bl.example.org", 'x.rules:1') .
	    rec("l:$l:bl2.example=127.0.0.[2..11]$w2", 'x.rules:2') .
	    rec("l:$l:wl.example$w3", 'x.rules:3') . "\n",
	    "list $l: lower case, count, entries in source order");
	($rc, $o) = run($d, $sfcdb, '-d', 'x.cdb');
	is($o, "# smtpfront-rules 1\nlist $l bl.example.org\n" .
	    "list $l bl2.example=127.0.0.[2..11]$w2\nlist $l wl.example$w3\n",
	    "list $l: -d prints the entries and nothing else");
	my @bad = ('bl.example=127.0.0.[2', '192.0.2.0/24', '.bl.example');
	push @bad, $l eq 'dnsbl' ? ('bl.example*0', 'bl.example*2x')
	    : ('bl.example*2');
	for my $bad (@bad) {
		spew("$d/bad.rules", "list $l bl.example\nlist $l $bad\n");
		($rc, $o, $e) = run($d, $sfcdb, 'bad.rules', 'bad.cdb');
		ok($rc == 100 && $e =~ /\bbad\.rules:2: list $l/m,
		    "list $l: $bad refused with file:line") or diag($e);
	}
}

# The list milter, read whole: sockets, a path's case kept.
{
	my $d = "$tmp/list-milter";
	make_path($d);
	spew("$d/x.rules", "list milter inet:127.0.0.1:8891\n" .
	    "list milter unix:/Run/DKIM.sock\nlist milter inet:[::1]:11332\n");
	my ($rc, $o, $e) = run($d, $sfcdb, 'x.rules', 'x.cdb');
	is($rc, 0, 'list milter: compiles') or diag($e);
	($rc, $o) = run($d, $cdbtool, '-d', 'x.cdb');
	is($o, rec('v', 'smtpfront-rules 1') . rec('c:milter', '3') .
	    rec('e:milter:0', 'inet:127.0.0.1:8891 x.rules:1') .
	    rec('e:milter:1', 'unix:/Run/DKIM.sock x.rules:2') .
	    rec('e:milter:2', 'inet:[::1]:11332 x.rules:3') .
	    rec('l:milter:inet:127.0.0.1:8891', 'x.rules:1') .
	    rec('l:milter:inet:[::1]:11332', 'x.rules:3') .
	    rec('l:milter:unix:/run/dkim.sock', 'x.rules:2') . "\n",
	    'list milter: count, entries in source order as written');
	for my $bad ('inet:localhost:8891', 'inet:127.0.0.1', 'inet:127.0.0.1:0',
	    'unix:run/x', 'local:/run/x') {
		spew("$d/bad.rules", "list milter $bad\n");
		($rc, $o, $e) = run($d, $sfcdb, 'bad.rules', 'bad.cdb');
		ok($rc == 100 && $e =~ /\bbad\.rules:1: list milter: want inet:HOST:PORT/m,
		    "list milter: $bad refused with file:line") or diag($e);
	}
	($rc, $o) = run($d, $sfcdb, '-d', 'x.cdb');
	is($o, "# smtpfront-rules 1\nlist milter inet:127.0.0.1:8891\n" .
	    "list milter unix:/Run/DKIM.sock\nlist milter inet:[::1]:11332\n",
	    'list milter: -d prints the milters in their order, as written');
	spew("$d/dup.rules", "list milter inet:127.0.0.1:8891\n" .
	    "list milter inet:127.0.0.1:8891\n");
	($rc, $o, $e) = run($d, $sfcdb, 'dup.rules', 'dup.cdb');
	ok($rc == 100 && $e =~ /\bdup\.rules:2: list milter: inet:127\.0\.0\.1:8891 already listed at dup\.rules:1/m,
	    'list milter: a milter twice refused') or diag($e);
	spew("$d/many.rules", join('', map { "list milter inet:127.0.0.1:$_\n" }
	    8891 .. 8899));
	($rc, $o, $e) = run($d, $sfcdb, 'many.rules', 'many.cdb');
	ok($rc == 100 && $e =~ /\bmany\.rules:9: list milter: at most 8 milters/m,
	    'list milter: a ninth milter refused') or diag($e);
}

# A mixed list: names as written, addresses and networks as in a network
# list (the prefix lengths in "n:LIST").
for my $m (sort keys %ismixed) {
	my $d = "$tmp/list-$m";
	make_path($d);
	spew("$d/x.rules", "list $m Mx.Example.ORG\n" .
	    "list $m 192.0.2.0/24\nlist $m 2001:DB8::1\n");
	my ($rc, $o, $e) = run($d, $sfcdb, 'x.rules', 'x.cdb');
	is($rc, 0, "list $m: compiles") or diag($e);
	($rc, $o) = run($d, $cdbtool, '-d', 'x.cdb');
	is($o, rec('v', 'smtpfront-rules 1') . rec("c:$m", '3') .
	    rec("l:$m:192.0.2.0/24", 'x.rules:2') .
	    rec("l:$m:2001:db8::1/128", 'x.rules:3') .
	    rec("l:$m:mx.example.org", 'x.rules:1') .
	    rec("n:$m", 'v4:24 v6:128') . "\n",
	    "list $m: a name as written, networks with their lengths");
	spew("$d/y.rules", "list $m 192.0.2.1/24\n");
	($rc, $o, $e) = run($d, $sfcdb, 'y.rules', 'y.cdb');
	like($e, qr/^smtpfront-cdb: y\.rules:1: list $m: host bits set/,
	    "list $m: a malformed network refused");
}

{
	my $plain = $namelists[0] // 'helo_list';
	my $d = "$tmp/list";
	make_path($d);
	spew("$d/x.rules", "list $plain Mx.Example.ORG\n" .
	    "list $plain mx.example.org\n");
	my ($rc, $o, $e) = run($d, $sfcdb, 'x.rules', 'x.cdb');
	($rc, $o) = run($d, $cdbtool, '-d', 'x.cdb');
	is($o, rec('v', 'smtpfront-rules 1') . rec("c:$plain", '2') .
	    rec("l:$plain:mx.example.org", 'x.rules:1') . "\n",
	    "list $plain: a duplicate is kept once, with its first line");
	spew("$d/y.rules", "list $plain " . ('a' x 255) . "\n");
	($rc) = run($d, $sfcdb, 'y.rules', 'y.cdb');
	is($rc, 0, "list $plain: entry of 255 bytes is allowed");
	spew("$d/y.rules", "list $plain " . ('a' x 256) . "\n");
	($rc, $o, $e) = run($d, $sfcdb, 'y.rules', 'y.cdb');
	is($e, "smtpfront-cdb: y.rules:1: list entry longer than 255 bytes\n",
	    "list $plain: entry of 256 bytes refused");
	spew("$d/y.rules", "list $plain a b\n");
	($rc, $o, $e) = run($d, $sfcdb, 'y.rules', 'y.cdb');
	is($e, "smtpfront-cdb: y.rules:1: list takes a name and one entry " .
	    "without blanks\n", "list $plain: two entries on a line refused");
}

# "c:LIST": the number of entries in the source, only for lists that
# have entries, so a check can tell an empty list from a miss.
{
	my $d = "$tmp/count";
	make_path($d);
	my ($a, $b) = ($namelists[0] // 'helo_list', $netlists[0] // 'trust');
	spew("$d/c.rules", "list $a one.example\nlist $a two.example\n" .
	    "list $b 192.0.2.1\nlist $b 192.0.2.2\nlist $b 2001:db8::/48\n");
	my ($rc, $o, $e) = run($d, $sfcdb, 'c.rules', 'c.cdb');
	is($rc, 0, 'counts: compiles') or diag($e);
	($rc, $o) = run($d, $cdbtool, '-q', 'c.cdb', "c:$a");
	ok($rc == 0 && $o eq '2', "counts: c:$a is 2");
	($rc, $o) = run($d, $cdbtool, '-q', 'c.cdb', "c:$b");
	ok($rc == 0 && $o eq '3', "counts: c:$b is 3");
	my @empty = grep { $_ ne $a && $_ ne $b } @lists;
	my @found = grep { (run($d, $cdbtool, '-q', 'c.cdb', "c:$_"))[0] != 100 }
	    @empty;
	is_deeply(\@found, [], 'counts: no c: record for a list without entries');
	spew("$d/none.rules", "set timeout 60\n");
	($rc) = run($d, $sfcdb, 'none.rules', 'none.cdb');
	($rc, $o) = run($d, $cdbtool, '-d', 'none.cdb');
	unlike($o, qr/:c:/, 'counts: a source without lists has no c: record');
}

# Lists of addresses and networks: normal form, lengths in use, and
# nothing that is not an address or network.
for my $netl (@netlists) {
	my $d = "$tmp/net-$netl";
	make_path($d);
	spew("$d/n.rules", "list $netl 192.0.2.7\n" .
	    "list $netl 192.0.2.0/24\n" . "list $netl 2001:DB8::/32\n" .
	    "list $netl ::ffff:198.51.100.0/120\n" .
	    "list $netl 2001:db8:0:0::1\n" . "list $netl 192.0.2.7/32\n" .
	    "list $netl 0.0.0.0/0\n");
	my ($rc, $o, $e) = run($d, $sfcdb, 'n.rules', 'n.cdb');
	is($rc, 0, "list $netl: compiles") or diag($e);
	($rc, $o) = run($d, $cdbtool, '-d', 'n.cdb');
	is($o, rec('v', 'smtpfront-rules 1') . rec("c:$netl", '7') .
	    rec("l:$netl:0.0.0.0/0", 'n.rules:7') .
	    rec("l:$netl:192.0.2.0/24", 'n.rules:2') .
	    rec("l:$netl:192.0.2.7/32", 'n.rules:1') .
	    rec("l:$netl:198.51.100.0/24", 'n.rules:4') .
	    rec("l:$netl:2001:db8::/32", 'n.rules:3') .
	    rec("l:$netl:2001:db8::1/128", 'n.rules:5') .
	    rec("n:$netl", 'v4:32,24,0 v6:128,32') . "\n",
	    "list $netl: addresses in normal form, IPv4 in IPv6, lengths " .
	    "in use");
	($rc, $o) = run($d, $sfcdb, '-d', 'n.cdb');
	spew("$d/rt.rules", $o);
	($rc, $o, $e) = run($d, $sfcdb, 'rt.rules', 'rt.cdb');
	my ($r2, $o2) = run($d, $sfcdb, '-d', 'rt.cdb');
	ok($rc == 0 && $o2 eq slurp("$d/rt.rules"),
	    "list $netl: -d output compiles to the same lists");
	for my $t (['192.0.2.7/24', 'host bits set after the network length'],
	    ['2001:db8::1/64', 'host bits set after the network length'],
	    ['::ffff:192.0.2.7/120', 'host bits set after the network length'],
	    ['192.0.2.0/33', 'network length must be 0 to 32'],
	    ['192.0.2.0/', 'network length must be 0 to 32'],
	    ['192.0.2.0/+8', 'network length must be 0 to 32'],
	    ['192.0.2.0/0024', 'network length must be 0 to 32'],
	    ['192.0.2.0/24x', 'network length must be 0 to 32'],
	    ['2001:db8::/129', 'network length must be 0 to 128'],
	    ['192.0.2', 'takes addresses or networks (ADDR or ADDR/LEN)'],
	    ['[192.0.2.1]', 'takes addresses or networks (ADDR or ADDR/LEN)'],
	    ['mx.example.org', 'takes addresses or networks (ADDR or ADDR/LEN)'],
	    ['@example.org', 'takes addresses or networks (ADDR or ADDR/LEN)'],
	    ['192.0.2.0-192.0.2.255',
	    'takes addresses or networks (ADDR or ADDR/LEN)']) {
		spew("$d/bad.rules", "set timeout 60\nlist $netl $t->[0]\n");
		($rc, $o, $e) = run($d, $sfcdb, 'bad.rules', 'bad.cdb');
		my $sep = $t->[1] =~ /^takes/ ? ' ' : ': ';
		ok($rc == 100 && $e eq "smtpfront-cdb: bad.rules:2: list " .
		    "$netl$sep$t->[1]\n" && !-e "$d/bad.cdb",
		    "list $netl: $t->[0] refused") or diag($e);
	}
}

# --- replies without an enhanced status code: banner and data_go ---

{
	my $d = "$tmp/noesc";
	make_path($d);
	spew("$d/r.rules", "reply banner 220 Mail for  example.test only\n" .
	    "reply data_go 354 Send it, end with <CRLF>.<CRLF>\n");
	my ($rc, $o, $e) = run($d, $sfcdb, 'r.rules', 'r.cdb');
	is($rc, 0, 'banner and data_go: "CODE text" compiles') or diag($e);
	($rc, $o) = run($d, $cdbtool, '-q', 'r.cdb', 'r:banner');
	is($o, '220 Mail for  example.test only',
	    'banner: stored as "CODE text", blanks kept');
	($rc, $o) = run($d, $cdbtool, '-q', 'r.cdb', 'r:data_go');
	is($o, '354 Send it, end with <CRLF>.<CRLF>', 'data_go: stored');
	($rc, $o) = run($d, $sfcdb, '-d', 'r.cdb');
	is($o, "# smtpfront-rules 1\nreply banner 220 Mail for  example.test " .
	    "only\nreply data_go 354 Send it, end with <CRLF>.<CRLF>\n",
	    'banner and data_go: -d prints them back');
	spew("$d/e.rules", "reply banner 220 2.0.0 Hello\n");
	($rc) = run($d, $sfcdb, 'e.rules', 'e.cdb');
	(undef, $o) = run($d, $cdbtool, '-q', 'e.cdb', 'r:banner');
	ok($rc == 0 && $o eq '220 2.0.0 Hello',
	    'banner: what looks like an enhanced code is text');

	# the greeting as a client sees it, through a pipe (inetd style)
	my $out = "$d/session.out";
	spew("$d/session.in", "QUIT\r\n");
	my $pid = fork;
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		open STDIN, '<', "$d/session.in" or _exit(120);
		open STDOUT, '>', $out or _exit(121);
		open STDERR, '>', '/dev/null' or _exit(122);
		%ENV = (PATH => $ENV{PATH}, TCPREMOTEIP => '192.0.2.9',
		    TCPLOCALHOST => 'mx.example.test');
		{ no warnings 'exec'; exec { "$build/smtpfront" }
		    "$build/smtpfront", '-r', "$d/r.cdb", "$build/t/sink"; }
		_exit(127);
	}
	local $SIG{ALRM} = sub { kill 'KILL', $pid };
	alarm 20;
	waitpid($pid, 0);
	alarm 0;
	is(slurp($out), "220 mx.example.test Mail for  example.test only\r\n" .
	    "221 2.0.0 Bye\r\n", 'smtpfront greets with the overridden text');
}

# --- atomic replace ---

{
	my $d = "$tmp/atomic";
	make_path($d);
	spew("$d/a.rules", "set timeout 60\n");
	spew("$d/b.rules", "set timeout 90\n");
	my ($rc) = run($d, $sfcdb, 'a.rules', 'rules.cdb');
	$rc == 0 or die 'cannot build rules.cdb';
	link("$d/rules.cdb", "$d/keep.cdb") or die "link: $!";
	my $old = slurp("$d/rules.cdb");
	($rc) = run($d, $sfcdb, 'b.rules', 'rules.cdb');
	is($rc, 0, 'atomic: recompile exits 0');
	my ($r2, $o) = run($d, $cdbtool, '-q', 'rules.cdb', 's:timeout');
	is($o, '90', 'atomic: the new database is in place');
	ok(slurp("$d/keep.cdb") eq $old,
	    'atomic: the old file was replaced by rename, not rewritten');
	isnt(ino("$d/rules.cdb"), ino("$d/keep.cdb"),
	    'atomic: rules.cdb is a new inode');
	is_deeply([tmpfiles($d)], [], 'atomic: no temporary file left');
	($rc, $o, my $e) = run($tmp, $sfcdb, "$d/a.rules", "$d/rules.cdb");
	($r2, $o) = run($d, $cdbtool, '-q', 'rules.cdb', 's:timeout');
	ok($rc == 0 && $o eq '60' && !tmpfiles($d) && !tmpfiles($tmp),
	    'atomic: output in another directory than the working one');
}

# --- cdb/example.rules, the settings table and the man page ---

my $table = slurp("$top/rules_table.c");
my @settings;
while ($table =~ /\{\s*"(\w+)",\s*SETTING_(\w+),\s*(\d+)(?:UL)?,\s*(\d+)(?:UL)?,\s*"([^"]*)"/g) {
	push @settings, { name => $1, type => $2, min => $3, max => $4,
	    dflt => $5 };
}
ok(@settings >= 37, 'found the settings in rules_table.c');
my @replies;
my $rtab = slurp("$top/reply.c");
while ($rtab =~
    /\{\s*"(\w+)",\s*"(\d{3})",\s*"([^"]*)",\s*"([^"]*)"\s*\}/g) {
	push @replies, { name => $1, code => $2, esc => $3, text => $4 };
}
ok(@replies >= 50, 'found the replies in reply.c');

{
	my ($rc, $o, $e) = run($tmp, $sfcdb, "$top/cdb/example.rules",
	    'example.cdb');
	is($rc, 0, 'cdb/example.rules compiles') or diag($e);
	is($e, '', 'cdb/example.rules: nothing on stderr');
	($rc, $o) = run($tmp, $sfcdb, '-d', 'example.cdb');
	my $ex = slurp("$top/cdb/example.rules");
	for my $s (@settings) {
		if ($s->{dflt} eq '') {
			like($ex, qr/^#set $s->{name} \S+$/m,
			    "example.rules shows $s->{name} (empty default)");
		} else {
			like($o, qr/^set $s->{name} \Q$s->{dflt}\E$/m,
			    "example.rules sets $s->{name} to its default");
		}
	}
	for my $l (@lists) {
		like($ex, qr/^#?list $l \S+$/m, "example.rules shows list $l");
	}
	like($o, qr/^reply \w+ /m, 'example.rules overrides a reply');
	like($o, qr/^reply banner 220 /m,
	    'example.rules overrides the banner ("CODE text")');
	for my $want ('list rcpt_domain example.test',
	    'list rcpt_users user@example.test',
	    'list rcpt_users postmaster@example.test') {
		like($o, qr/^\Q$want\E$/m, "example.rules: $want");
	}
	like($o, qr/^list helo_list \S*\.(?:invalid|example)$/m,
	    'example.rules: a helo_list example under .invalid or .example');
	like($o, qr/^list sender_list \S*\.(?:invalid|example)$/m,
	    'example.rules: a sender_list example under .invalid or .example');
	my ($why) = $ex =~ /((?:^#.*\n)+)set greet_delay 0$/m;
	like($why // '', qr/\bdemo\b/,
	    'example.rules: greet_delay 0, saying why for the demo');
}

# The demo's rule set decides as README says: dry runs of smtpfront.
{
	my $db = "$tmp/example.cdb";
	my @cases = (
	    ['client.example.org', 'alice@example.org', 'user@example.test',
		0, qr/^rcpt <user\@example\.test>: pass .*handed to the MTA child/m,
		'a user of example.test is handed to the MTA child'],
	    ['client.example.org', 'alice@example.org', 'nobody@example.test',
		1, qr/^rcpt <nobody\@example\.test>: reject check=rcpt_users .*"550 5\.1\.1 /m,
		'an unknown user of example.test is refused'],
	    ['client.example.org', 'alice@example.org', 'x@elsewhere.example',
		1, qr/^rcpt <x\@elsewhere\.example>: reject check=rcpt_domain .*"550 5\.7\.1 /m,
		'another domain is refused: no relaying'],
	    ['host.invalid', 'alice@example.org', 'user@example.test',
		1, qr/^rcpt <user\@example\.test>: reject check=helo_list .*held from an earlier phase/m,
		'a HELO name under .invalid is refused at RCPT'],
	    ['client.example.org', 'spam@offers.example', 'user@example.test',
		1, qr/^rcpt <user\@example\.test>: reject check=sender_list /m,
		'a listed sender is refused at RCPT'],
	    ['host.invalid', 'spam@offers.example', 'postmaster@example.test',
		0, qr/^rcpt <postmaster\@example\.test>: accept /m,
		'postmaster takes mail all the same'],
	);
	for my $c (@cases) {
		my ($helo, $from, $to, $want, $re, $name) = @$c;
		my ($rc, $o, $e) = run($tmp, "$build/smtpfront", '-n', '-r',
		    $db, '192.0.2.9', $helo, $from, $to);
		ok($rc == $want && $o =~ $re, "example.rules: $name")
		    or diag("exit $rc\n$o$e");
	}
}

{
	my $man = slurp("$top/man/smtpfront-rules.5");
	ok(defined $man, 'man/smtpfront-rules.5 exists');
	$man //= '';
	(my $plain = $man) =~ s/\\-/-/g;
	$plain =~ s/\\&//g;
	my %type = (NUM => 'number', BOOL => 'switch', STR => 'text',
	    ACTION => 'action');
	for my $s (@settings) {
		my ($n, $t) = ($s->{name}, $type{$s->{type}});
		my $d = $s->{dflt} eq '' ? 'empty' : $s->{dflt};
		my ($item) = $plain =~ /^(\.It Cm $n Ar \w+\n(?:(?!\.It ).*\n)*)/m;
		ok(defined $item, "man page has an entry for setting $n");
		$item //= '';
		like($item, qr/^\.It Cm $n Ar $t\n/, "man page: $n is a $t");
		like($item, qr/\bdefault \Q$d\E\./,
		    "man page documents setting $n with default $d");
		like($item, qr/^\.Ev SMTPFRONT_\U$n\E\b/m,
		    "man page names the variable of $n");
		if ($s->{type} eq 'NUM') {
			like($item, qr/\bfrom $s->{min} to $s->{max}\b/,
			    "man page gives the range of $n");
		}
	}
	my %isnet = map { $_ => 1 } @netlists;
	for my $l (@lists) {
		my $kind = $isnet{$l} ? 'addresses and networks'
		    : $ismixed{$l} ? 'names, addresses and networks'
		    : $l eq 'milter' ? 'sockets' : $isenum{$l} ? 'zones'
		    : qr/(?:domains|addresses)/;
		like($plain, qr/^\.It Cm $l Pq $kind$/m,
		    "man page lists list $l with its form");
	}
	for my $r (@replies) {
		my $line = join(' ', $r->{code}, $r->{esc} ne '' ? $r->{esc} : (),
		    $r->{text});
		like($plain, qr/^\.It Cm $r->{name}\n\Q$line\E\n/m,
		    "man page lists reply $r->{name} as \"$line\"");
	}
	for my $k ('v', 's:', 'o:s:', 'l:', 'c:', 'n:', 'r:') {
		like($plain, qr/^\.It Li \Q$k\E/m,
		    "man page explains database key $k");
	}
	like($plain, qr/SMTPFRONT_/, 'man page names the environment prefix');
}

done_testing();
