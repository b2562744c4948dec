#!/usr/bin/perl
# t/greylist.t: greylisting (checks/greylist.c) on the LMDB store, through
# tcpserver with real clients (the tests' client and swaks) and the sink
# as the MTA child, with short times (greylist_delay 2 s, window 30 s).
#
#   the life cycle: a first try 451 4.7.1 saying when to retry, a retry
#     too early 451 again, a retry after the delay passes and is
#     delivered with X-Smtpfront-Greylist, later messages pass at once;
#     another recipient, sender or network starts over; the window
#     expires and the triplet starts over
#   normalised senders: +tag, BATV prvs=, VERP digits pass as one
#   the network after greylist_net_passes passes: let through
#   exempt: allow_ip (an allowlisted client), RELAYCLIENT (trusted)
#   50 concurrent sessions on one triplet: no lost update (its count is
#     exactly the number of tries), one record
#   the store cannot be opened, or its map is full: 451 4.3.0 and a
#     warning (greylist_tempfail_action defer), off: pass; never a 5xx
#   off (the default): no store file is made
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use SF;
use Conn qw(:DEFAULT delivered);

my $IP = '127.77.54.1';
my $T = SF::tmp();
my $RULES = cdb("list rcpt_domain example.test\nlist allow_ip 127.0.0.9\n");

sub server {
	my (%env) = @_;
	return start_tcpserver(ip => $IP, rules => $RULES,
	    env => { SMTPFRONT_GREYLIST_ACTION => 'defer',
	    SMTPFRONT_GREYLIST_DELAY => 2, SMTPFRONT_GREYLIST_WINDOW => 30,
	    SMTPFRONT_GREYLIST_NET_PASSES => 0, %env });
}

# One message; returns the replies.
sub session {
	my ($s, %o) = @_;
	my $c = client(server => $s, local => $o{local} // '127.0.0.2');
	$c->start('client.test');
	my $m = mail($c, from => $o{from} // 'alice@sender.test',
	    to => [$o{to} // 'user@example.test'],
	    subject => $o{subject} // 'grey');
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

# --- the life cycle ---------------------------------------------------------------
{
	my $db = "$T/grey.mdb";
	my $s = server(SMTPFRONT_STORE => $db);
	my $m = session($s);
	reply_is($m->{rcpt}[0], '451', '4.7.1', 'first try: 451 4.7.1');
	like($m->{rcpt}[0]{text}, qr/try again in 2 seconds$/,
	    'first try: says when to retry');
	my ($l) = log_has($s, qr/ defer check=greylist /);
	like($l // '', qr/ defer check=greylist rule=SMTPFRONT_GREYLIST_ACTION cmd=RCPT .* code=451 esc=4\.7\.1 reason="first try 127\.0\.0\.0\/24 alice\@sender\.test user\@example\.test"$/,
	    'first try: logged with the triplet');
	ok(-s $db, 'the store file exists');
	$m = session($s);
	reply_is($m->{rcpt}[0], '451', '4.7.1', 'retry too early: 451 4.7.1');
	sleep(2.2);
	$m = session($s, subject => 'passed');
	reply_is($m->{eod}, '250', undef, 'retry after the delay: delivered');
	like(delivered($s, 'passed'),
	    qr/^X-Smtpfront-Greylist: passed after \d+ seconds\r$/m,
	    'the message says it passed greylisting');
	$m = session($s, subject => 'known');
	reply_is($m->{eod}, '250', undef, 'the known triplet: at once');
	unlike(delivered($s, 'known'), qr/^X-Smtpfront-Greylist:/m,
	    'known: no header');
	$m = session($s, to => 'other@example.test');
	reply_is($m->{rcpt}[0], '451', '4.7.1', 'another recipient: 451');
	$m = session($s, from => 'bob@sender.test');
	reply_is($m->{rcpt}[0], '451', '4.7.1', 'another sender: 451');
	$m = session($s, local => '127.0.1.2');
	reply_is($m->{rcpt}[0], '451', '4.7.1', 'another /24: 451');
	$m = session($s, local => '127.0.0.77', subject => 'same net');
	reply_is($m->{eod}, '250', undef, 'another address of the same /24: passes');
	stop($s);

	# normalised senders, in a store of their own
	$s = server(SMTPFRONT_STORE => "$T/norm.mdb");
	session($s, from => 'list+bounce-12345@lists.test');
	sleep(2.2);
	$m = session($s, from => 'LIST+bounce-99@Lists.Test', subject => 'tag');
	reply_is($m->{eod}, '250', undef, '+tag and case: the same sender');
	session($s, from => 'prvs=0123abcd=carol@batv.test');
	sleep(2.2);
	$m = session($s, from => 'prvs=9999ffff=carol@batv.test',
	    subject => 'batv');
	reply_is($m->{eod}, '250', undef, 'BATV prvs=: the same sender');
	session($s, from => 'bounce-123-456@verp.test');
	sleep(2.2);
	$m = session($s, from => 'bounce-78-9@verp.test', subject => 'verp');
	reply_is($m->{eod}, '250', undef, 'VERP digits: the same sender');
	stop($s);
}

# --- greylist_at_data: one deferral for all the recipients -------------------------
{
	my $s = server(SMTPFRONT_STORE => "$T/data.mdb",
	    SMTPFRONT_GREYLIST_AT_DATA => 'yes');
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	my $m = mail($c, from => 'dave@sender.test',
	    to => ['a@example.test', 'b@example.test'], subject => 'atdata');
	reply_is($m->{rcpt}[0], '250', undef, 'at DATA: the first RCPT taken');
	reply_is($m->{rcpt}[1], '250', undef, 'at DATA: the second too');
	reply_is($m->{data}, '451', '4.7.1', 'at DATA: DATA deferred once');
	like($m->{data}{text}, qr/try again in 2 seconds$/, 'at DATA: when');
	$c->cmd('QUIT');
	sleep(2.2);
	$c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	$m = mail($c, from => 'dave@sender.test',
	    to => ['a@example.test', 'b@example.test'], subject => 'atdata2');
	reply_is($m->{eod}, '250', undef, 'at DATA: the retry delivered');
	$c->cmd('QUIT');
	stop($s);
}

# --- the window expires ------------------------------------------------------------
{
	my $s = server(SMTPFRONT_STORE => "$T/window.mdb",
	    SMTPFRONT_GREYLIST_DELAY => 1, SMTPFRONT_GREYLIST_WINDOW => 2);
	session($s);
	sleep(3.2);
	my $m = session($s);
	reply_is($m->{rcpt}[0], '451', '4.7.1',
	    'a retry after the window: a first try again');
	my ($l) = log_has($s, qr/ defer check=greylist .*first try/);
	my @first = grep { /first try/ } log_lines($s);
	is(scalar(@first), 2, 'two first tries logged');
	stop($s);
}

# --- the network let through -------------------------------------------------------
{
	my $s = server(SMTPFRONT_STORE => "$T/net.mdb",
	    SMTPFRONT_GREYLIST_NET_PASSES => 2);
	for my $u ('a', 'b') {
		session($s, to => "$u\@example.test");
	}
	sleep(2.2);
	for my $u ('a', 'b') {
		my $m = session($s, to => "$u\@example.test", subject => "net $u");
		reply_is($m->{eod}, '250', undef, "network pass $u");
	}
	my $m = session($s, to => 'new@example.test', subject => 'net new');
	reply_is($m->{eod}, '250', undef,
	    'after 2 passes the network is let through: a new triplet passes');
	stop($s);
}

# --- exemptions --------------------------------------------------------------------
{
	my $s = server(SMTPFRONT_STORE => "$T/exempt.mdb");
	my $m = session($s, local => '127.0.0.9', subject => 'allow_ip');
	reply_is($m->{eod}, '250', undef, 'allow_ip: not greylisted');
	stop($s);
	$s = server(SMTPFRONT_STORE => "$T/exempt.mdb", RELAYCLIENT => '');
	$m = session($s, subject => 'trusted');
	reply_is($m->{eod}, '250', undef, 'RELAYCLIENT: not greylisted');
	stop($s);
}

# --- concurrency ---------------------------------------------------------------------
{
	my $s = server(SMTPFRONT_STORE => "$T/conc.mdb");
	session($s);
	sleep(2.2);
	my @pids;
	for my $i (1 .. 50) {
		my $pid = fork();
		die "fork: $!" unless defined $pid;
		if ($pid == 0) {
			my $m = eval { session($s, subject => "conc $i") };
			POSIX::_exit($m && ($m->{eod}{code} // '') eq '250' ? 0 : 1);
		}
		push @pids, $pid;
	}
	my $bad = 0;
	for my $pid (@pids) {
		waitpid($pid, 0);
		$bad++ if $? != 0;
	}
	is($bad, 0, '50 concurrent sessions on a known triplet: all delivered');
	my ($code, $out) = run(argv => [build() . '/smtpfront-store', '-f',
	    "$T/conc.mdb", 'list'], timeout => 30);
	is(scalar(() = $out =~ /^g /mg), 1, 'one triplet in the store')
	    or diag($out);
	like($out, qr/ count=51 /, 'its count: the first try and 50 passes, none lost')
	    or diag($out);
	stop($s);
}

# --- the store fails -------------------------------------------------------------------
{
	my $s = server(SMTPFRONT_STORE => "$T/no/such/dir/grey.mdb");
	my $m = session($s);
	reply_is($m->{rcpt}[0], '451', '4.3.0',
	    'the store cannot be opened: 451 4.3.0');
	my ($l) = log_has($s, qr/warning: greylist: /);
	like($l // '', qr/warning: greylist: store \S+grey\.mdb: open: No such file or directory$/,
	    'a warning says why');
	stop($s);
	$s = server(SMTPFRONT_STORE => "$T/no/such/dir/grey.mdb",
	    SMTPFRONT_GREYLIST_TEMPFAIL_ACTION => 'off');
	$m = session($s, subject => 'fail open');
	reply_is($m->{eod}, '250', undef,
	    'greylist_tempfail_action off: the message passes');
	stop($s);

	# a 1 MB map filled up by long triplets
	$s = server(SMTPFRONT_STORE => "$T/full.mdb", SMTPFRONT_STORE_SIZE => 1);
	my ($full, $n) = (undef, 0);
	my $dom = join('.', map { chr(97 + $_) x 60 } 0 .. 2) . '.test';
	while (!$full && $n < 60) {
		my $c = client(server => $s, local => '127.0.0.2');
		$c->start('client.test');
		# letters, not digits: digits are normalised away
		my $tag = join('', map { chr(97 + ($n >> (4 * $_)) % 16) } 0 .. 3);
		$c->cmd('MAIL FROM:<' . ('x' x 50) . "$tag\@$dom>");
		for my $i (1 .. 90) {
			my $u = join('', map { chr(97 + ($i >> (4 * $_)) % 16) } 0 .. 1);
			my $r = $c->cmd('RCPT TO:<' . ('u' x 60) . "$u\@example.test>");
			if ($r->{code} ne '451' || ($r->{text} // '') !~ /^4\.7\.1/) {
				$full = $r;
				last;
			}
		}
		$c->cmd('QUIT');
		$n++;
	}
	ok(defined $full, 'the map fills up');
	reply_is($full, '451', '4.3.0', 'a full store: 451 4.3.0, never 5xx');
	my ($w) = log_has($s, qr/warning: greylist: store full/);
	like($w // '', qr/store full \(\S+full\.mdb, 1 MB\): raise store_size/,
	    'a full store: the warning says what to do');
	stop($s);
}

# --- off -----------------------------------------------------------------------------
{
	my $s = server(SMTPFRONT_STORE => "$T/off.mdb",
	    SMTPFRONT_GREYLIST_ACTION => undef);
	my $m = session($s, subject => 'off');
	reply_is($m->{eod}, '250', undef, 'off (the default): delivered');
	ok(!-e "$T/off.mdb", 'off: no store file');
	stop($s);
}

done_testing();
