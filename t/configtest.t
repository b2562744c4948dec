#!/usr/bin/perl
# t/configtest.t: smtpfront -t [-r rules.cdb] program [args...], the check
# of an installation.  It says in plain words what is wrong, one line a
# finding ("ok: ...", "problem: ..."), and exits 0 only when all is well:
# the rules database readable and as new as its source (a file, or a
# directory of files), every setting valid (database and environment),
# the MTA child there, executable and answering 220 and EHLO (the sink,
# and a real Postfix through sendmail -bs), the spool directory taking a
# file, with tls_cert and tls_key set the smtpfront-tls beside
# smtpfront loading them, with DNS checks on the DNS server (dnsmasq
# started here, and a server that never answers) and each DNS list's test
# entries (a good list, one without its test entry, one listing
# everything, one refusing the resolver, a name list), with greylisting
# on the store (an LMDB file not made yet, one in a missing directory, a
# real redis-server up, with a wrong password, and down).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use DNS;
use SFRedis;

my $sink = build() . '/t/sink';

# smtpfront -t: (exit code, stdout).
sub t {
	my ($rules, $child, $env) = @_;
	my $err = SF::tmp() . '/t.' . SF::seq() . '.err';
	my ($code, $out) = run(argv => ['sh', '-c', 'exec "$@" 2>"$0"', $err,
	    build() . '/smtpfront', '-t', '-r', $rules, @$child],
	    env => { (map { $_ => undef } grep { /^(SMTPFRONT|SINK)_/ } keys %ENV),
	    SMTPFRONT_FCRDNS_ACTION => 'off', %{$env || {}} }, timeout => 60);
	return ($code, $out);
}

# A source beside its database, as INSTALL has them: NAME and NAME.cdb.
my $dir = SF::tmp() . '/ct';
mkdir($dir) or die "$dir: $!";
spew("$dir/rules", "list rcpt_domain example.test\nset timeout 120\n");
my ($rc, $o) = run(argv => [build() . '/smtpfront-cdb', "$dir/rules",
    "$dir/rules.cdb"], timeout => 20);
is($rc, 0, 'the database compiles');
utime(time - 100, time - 100, "$dir/rules");
utime(time - 50, time - 50, "$dir/rules.cdb");

# --- all is well ----------------------------------------------------------------
{
	my ($code, $out) = t("$dir/rules.cdb", [$sink]);
	is($code, 0, 'all well: exit 0') or diag($out);
	like($out, qr/^ok: rules database \Q$dir\E\/rules\.cdb is readable$/m,
	    'all well: the database is named');
	like($out, qr/^ok: rules database is as new as its source \Q$dir\E\/rules$/m,
	    'all well: as new as its source');
	like($out, qr/^ok: every setting is valid/m, 'all well: settings');
	like($out, qr/^ok: MTA child \S+\/t\/sink answers 220 and EHLO$/m,
	    'all well: the child answers');
	like($out, qr/^ok: spool directory \S+ takes a file/m, 'all well: spool');
	like($out, qr/^all is well$/m, 'all well: said so');
	unlike($out, qr/^problem:/m, 'all well: no problem');
}

# --- what is wrong, in plain words -------------------------------------------------
{
	# a source changed after the database was built
	utime(undef, undef, "$dir/rules");
	my ($code, $out) = t("$dir/rules.cdb", [$sink]);
	is($code, 1, 'stale: exit 1');
	like($out, qr/^problem: rules source \Q$dir\E\/rules changed after \Q$dir\E\/rules\.cdb was built: run smtpfront-cdb again$/m,
	    'stale: says so and what to do');
	like($out, qr/^something is wrong: see the problems above$/m,
	    'stale: the verdict');
	utime(time - 100, time - 100, "$dir/rules");

	# a source directory: its newest file counts
	mkdir("$dir/d") or die;
	spew("$dir/d/10-main", "list rcpt_domain example.test\n");
	run(argv => [build() . '/smtpfront-cdb', "$dir/d", "$dir/d.cdb"],
	    timeout => 20);
	utime(time - 100, time - 100, "$dir/d/10-main", "$dir/d");
	utime(time - 50, time - 50, "$dir/d.cdb");
	($code, $out) = t("$dir/d.cdb", [$sink]);
	is($code, 0, 'source directory: as new: exit 0') or diag($out);
	spew("$dir/d/20-local", "list rcpt_users u\@example.test\n");
	utime(time - 100, time - 100, "$dir/d");
	($code, $out) = t("$dir/d.cdb", [$sink]);
	like($out, qr/^problem: rules source \Q$dir\E\/d changed after/m,
	    'source directory: a newer file in it makes the database stale');

	($code, $out) = t("$dir/none.cdb", [$sink]);
	is($code, 1, 'no database: exit 1');
	like($out, qr/^problem: no rules database \Q$dir\E\/none\.cdb: the built-in defaults apply/m,
	    'no database: says so');

	# a CDB of something else, and a file that is no CDB at all
	my $other = "$dir/other.cdb";
	spew("$dir/other.in", "+1,3:v->foo\n\n");
	($rc) = run(argv => ['sh', '-c', 'cdb -c "$0" < "$1"', $other,
	    "$dir/other.in"], timeout => 20);
	($code, $out) = t($other, [$sink]);
	like($out, qr/^problem: rules database \S+other\.cdb cannot be read: not a smtpfront rules database$/m,
	    'another CDB: not a rules database');
	spew("$dir/junk.cdb", "not a database\n");
	($code, $out) = t("$dir/junk.cdb", [$sink]);
	is($code, 1, 'a file that is no database: exit 1');
	like($out, qr/^problem: rules database \S+junk\.cdb cannot be read: /m,
	    'a file that is no database: cannot be read');

	($code, $out) = t("$dir/rules.cdb", [$sink], { SMTPFRONT_TIMEOUT => 'soon' });
	is($code, 1, 'a bad setting in the environment: exit 1');
	like($out, qr/^problem: setting: .*SMTPFRONT_TIMEOUT/m, 'a bad setting: named');

	($code, $out) = t("$dir/rules.cdb", ['/nonexistent/qmail-smtpd']);
	like($out, qr/^problem: MTA child \/nonexistent\/qmail-smtpd: no such program$/m,
	    'a missing child: says so');
	($code, $out) = t("$dir/rules.cdb", ['no-such-mta-here']);
	like($out, qr/^problem: MTA child no-such-mta-here: no such program in PATH$/m,
	    'a child not in PATH: says so');
	($code, $out) = t("$dir/rules.cdb", ["$dir/rules"]);
	like($out, qr/^problem: MTA child \S+\/rules: not executable/m,
	    'a child that is not executable: says so');
	($code, $out) = t("$dir/rules.cdb", [$sink], { SINK_FAULT => 'banner-554' });
	is($code, 1, 'a child that refuses: exit 1');
	like($out, qr/^problem: MTA child \S+ does not answer 220 and EHLO: /m,
	    'a child that refuses: says so');

	# a TCP child that is not there
	my $port = free_port('127.77.9.4');
	($code, $out) = t("$dir/rules.cdb", ["tcp:127.77.9.4:$port"]);
	like($out, qr/^problem: TCP child tcp:127\.77\.9\.4:$port does not answer 220, EHLO and XCLIENT: .*Connection refused/m,
	    'a TCP child nobody listens for: says so');

	($code, $out) = t("$dir/rules.cdb", [$sink],
	    { SMTPFRONT_SPOOL_DIR => "$dir/no-such-dir" });
	is($code, 1, 'a spool directory that is not there: exit 1');
	like($out, qr/^problem: spool directory \S+no-such-dir takes no file: No such file or directory$/m,
	    'a spool directory that is not there: says so');
}

# --- STARTTLS: smtpfront-tls beside smtpfront loads the certificate -----------
{
	my $t = SF::tmp();
	my ($code, $out) = run(argv => ['openssl', 'req', '-x509', '-newkey',
	    'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout',
	    "$t/tls.key", '-out', "$t/tls.crt", '-days', '30', '-subj',
	    '/CN=mx.test.invalid'], timeout => 30);
	is($code, 0, 'a test certificate') or diag($out);
	($code, $out) = t("$dir/rules.cdb", [$sink]);
	like($out, qr/^ok: STARTTLS not offered \(tls_cert and tls_key empty\)$/m,
	    'no certificate: STARTTLS not offered, said as ok');
	my %tls = (SMTPFRONT_TLS_CERT => "$t/tls.crt",
	    SMTPFRONT_TLS_KEY => "$t/tls.key");
	($code, $out) = t("$dir/rules.cdb", [$sink], \%tls);
	is($code, 0, 'STARTTLS: all well') or diag($out);
	like($out, qr/^ok: STARTTLS: \S+\/smtpfront-tls loads tls_cert \Q$t\E\/tls\.crt and tls_key$/m,
	    'STARTTLS: smtpfront-tls loads the certificate and key');
	spew("$t/bad.key", "not a key\n");
	($code, $out) = t("$dir/rules.cdb", [$sink],
	    { %tls, SMTPFRONT_TLS_KEY => "$t/bad.key" });
	is($code, 1, 'STARTTLS with a bad key: exit 1');
	like($out, qr/^problem: STARTTLS: \S+\/smtpfront-tls: cannot load tls_key: /m,
	    'STARTTLS with a bad key: says so');
	($code, $out) = t("$dir/rules.cdb", [$sink],
	    { SMTPFRONT_TLS_CERT => "$t/tls.crt" });
	like($out, qr/^problem: STARTTLS not offered: tls_cert and tls_key must both be set$/m,
	    'STARTTLS with a certificate and no key: says so');
}

# --- a real MTA: Postfix's sendmail -bs ------------------------------------------------
{
	my $pf = postfix_instance();
	my ($code, $out) = t("$dir/rules.cdb", postfix_sendmail_child($pf));
	is($code, 0, 'Postfix sendmail -bs: all well') or diag($out);
	like($out, qr/^ok: MTA child \/usr\/sbin\/sendmail answers 220 and EHLO$/m,
	    'Postfix sendmail -bs: answers 220 and EHLO');
	postfix_stop($pf);
}

# --- DNS: the server and each list's test entries ----------------------------------
{
	my $ns = start_dnsmasq(ip => '127.53.30.1', lines => [
	    'host-record=2.0.0.127.good.test,127.0.0.2',
	    'host-record=2.0.0.127.nowild.test,127.0.0.2',
	    'address=/every.test/127.0.0.2',
	    'host-record=2.0.0.127.closed.test,127.255.255.254',
	    'host-record=1.0.0.127.closed.test,127.255.255.254',
	    'host-record=test.rhs.test,127.0.0.2',
	    'ptr-record=1.0.0.127.in-addr.arpa,localhost']);
	my $silent = start_fake_dns(ip => '127.53.30.2', mode => 'silent');
	my $d = SF::tmp() . '/dns';
	mkdir($d) or die "$d: $!";
	spew("$d/rules", "list rcpt_domain example.test\n" .
	    "list dnsbl good.test\nlist dnsbl missing.test\n" .
	    "list dnsbl every.test\nlist dnsbl closed.test\n" .
	    "list rhsbl_sender rhs.test\nset dns_timeout 1\nset dns_budget 3\n");
	my ($rc) = run(argv => [build() . '/smtpfront-cdb', "$d/rules",
	    "$d/rules.cdb"], timeout => 20);
	is($rc, 0, 'DNS: the rules compile');
	my ($code, $out) = t("$d/rules.cdb", [$sink],
	    { SMTPFRONT_DNSBL_ACTION => 'off', SMTPFRONT_RHSBL_ACTION => 'off' });
	like($out, qr/^ok: no DNS check on$/m, 'DNS checks off: said so');
	my %on = (DNSCACHEIP => '127.53.30.1', SMTPFRONT_DNSBL_ACTION => 'reject',
	    SMTPFRONT_RHSBL_ACTION => 'reject');
	($code, $out) = t("$d/rules.cdb", [$sink], \%on);
	is($code, 1, 'DNS: broken lists: exit 1');
	like($out, qr/^ok: the DNS server answers$/m, 'DNS: the server answers');
	like($out, qr/^ok: dnsbl good\.test answers its test entries \(127\.0\.0\.2 listed, 127\.0\.0\.1 not\)$/m,
	    'DNS: a good list');
	like($out, qr/^problem: dnsbl missing\.test does not list 127\.0\.0\.2, its test entry: is the zone's name right\?$/m,
	    'DNS: a list without its test entry');
	like($out, qr/^problem: dnsbl every\.test lists 127\.0\.0\.1: it lists everything/m,
	    'DNS: a list that lists everything');
	like($out, qr/^problem: dnsbl closed\.test refuses this resolver \(it answers 127\.255\.255\.254\): use a resolver of your own/m,
	    'DNS: a list refusing the resolver is named');
	like($out, qr/^ok: rhsbl_sender rhs\.test answers its test entries \(TEST listed, INVALID not\)$/m,
	    'DNS: a name list, TEST and INVALID');
	($code, $out) = t("$d/rules.cdb", [$sink],
	    { %on, DNSCACHEIP => '127.53.30.2' });
	is($code, 1, 'DNS: a server that never answers: exit 1');
	like($out, qr/^problem: the DNS server does not answer \(timeout\): set DNSCACHEIP or \/etc\/resolv\.conf$/m,
	    'DNS: a server that never answers: said so');
	# fcrdns is on (warn) by default: the server is asked with no list
	($code, $out) = t("$d/rules.cdb", [$sink],
	    { DNSCACHEIP => '127.53.30.2', SMTPFRONT_DNSBL_ACTION => 'off',
	    SMTPFRONT_RHSBL_ACTION => 'off', SMTPFRONT_FCRDNS_ACTION => undef });
	like($out, qr/^problem: the DNS server does not answer \(timeout\)/m,
	    'DNS: fcrdns at its default (warn) asks the server');
	stop_dns($ns);
	stop_dns($silent);
}

# --- the store ---------------------------------------------------------------------
{
	my $t = SF::tmp();
	my %grey = (SMTPFRONT_GREYLIST_ACTION => 'defer');
	my ($code, $out) = t("$dir/rules.cdb", [$sink]);
	like($out, qr/^ok: no store needed \(greylist, trap and rate off\)$/m,
	    'store: not needed, said so');
	($code, $out) = t("$dir/rules.cdb", [$sink],
	    { %grey, SMTPFRONT_STORE => "$t/new.mdb" });
	is($code, 0, 'store: an LMDB file not made yet: all well') or diag($out);
	like($out, qr/^ok: store \Q$t\E\/new\.mdb does not exist yet; its directory \Q$t\E takes it$/m,
	    'store: its directory takes it');
	ok(!-e "$t/new.mdb", 'store: the test does not make it');
	($code, $out) = t("$dir/rules.cdb", [$sink],
	    { %grey, SMTPFRONT_STORE => "$t/no/dir/x.mdb" });
	is($code, 1, 'store: a missing directory: exit 1');
	like($out, qr/^problem: store \Q$t\E\/no\/dir\/x\.mdb: its directory \Q$t\E\/no\/dir does not take the file: No such file or directory$/m,
	    'store: a missing directory: said so');
	my $r = start_redis(ip => '127.77.63.9', password => 'pw');
	($code, $out) = t("$dir/rules.cdb", [$sink],
	    { %grey, SMTPFRONT_STORE => $r->{url} });
	is($code, 0, 'store: Redis up: all well') or diag($out);
	like($out, qr/^ok: store redis:\/\/:\*\@127\.77\.63\.9:\d+\/0 opens$/m,
	    'store: Redis answers (the password not shown)');
	($code, $out) = t("$dir/rules.cdb", [$sink],
	    { %grey, SMTPFRONT_STORE => "redis://:bad\@127.77.63.9:$r->{port}" });
	like($out, qr/^problem: store redis:\S+: AUTH: /m,
	    'store: a wrong password: Redis\'s refusal');
	stop_redis($r);
	($code, $out) = t("$dir/rules.cdb", [$sink],
	    { %grey, SMTPFRONT_STORE => $r->{url} });
	is($code, 1, 'store: Redis down: exit 1');
	like($out, qr/^problem: store redis:\S+: connect: Connection refused$/m,
	    'store: Redis down: said so');
}

# --- content rules and filters ---------------------------------------------------
{
	my $k = SF::tmp() . '/ct-content';
	mkdir($k) or die "$k: $!";
	spew("$k/rules", "list rcpt_domain example.test\n" .
	    "content pills header:subject reject /v[i1]agra/ no\n" .
	    "filter here /bin/true\nfilter gone /nonexistent/filter\n");
	my ($c, $o) = run(argv => [build() . '/smtpfront-cdb', "$k/rules",
	    "$k/rules.cdb"]);
	is($c, 0, 'content and filter rules compile') or diag($o);
	my ($code, $out) = t("$k/rules.cdb", [$sink],
	    { SMTPFRONT_CONTENT_ACTION => 'reject' });
	like($out, qr/^ok: content rules: smtpfront-scan loads their 1 patterns$/m,
	    'content rules: smtpfront-scan loads them');
	like($out, qr/^ok: filter here: \/bin\/true is there$/m,
	    'a filter that is there');
	like($out, qr/^problem: filter gone: \/nonexistent\/filter cannot be run$/m,
	    'a filter that is not');
	is($code, 1, '... exit 1');
}

done_testing();
