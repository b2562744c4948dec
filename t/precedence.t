#!/usr/bin/perl
# t/precedence.t: the one global precedence rule (smtpfront.c run_checks
# and do_rcpt), under tcpserver with the sink as the MTA child.
#
# The first decisive verdict wins, in the fixed order: the phases in the
# order of the session (connect, HELO, MAIL, RCPT, DATA, end of data) and
# within a phase the order of checks/checks.c.  An accept (trust and
# allow_ip at connect, allow_sender at MAIL, allow_rcpt at RCPT) and a
# refusal are decisive; a warn is not.  A refusal found before RCPT is
# held (delay_reject) and, while one is held, the MAIL checks are not run:
# a held HELO refusal beats a later allow_sender.  At each RCPT:
#   1. relay control (rcpt_domain), for every recipient of every client
#      that may not relay: postmaster, allow_rcpt recipients, allow_sender
#      senders and allow_ip clients included;
#   2. postmaster and abuse, and allow_rcpt recipients, take mail whatever
#      was held;
#   3. the held refusal (the first one found);
#   4. the recipient checks.
# An allow_ip client skips every check but relay control.  The downgrade
# rule: once a lookup has failed in the session (here a rules database
# whose lookups fail, in a check that fails open), a later reject goes
# out as the matching 4xx (550/553 -> 450, 5xx others -> 451, 5.x.y ->
# 4.x.y) and is logged with downgraded=yes, because the failed lookup
# might have allowlisted the client.  A database that exists but cannot
# be opened (unreadable, a directory, a wrong "v" record, truncated)
# gives 421 4.3.0 at connect and exit 111; a missing one means the
# built-in defaults.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Copy qw(copy);
use File::Path qw(remove_tree);
use SF;
use Conn;

my $IP = '127.77.3.10';
my $SRC = <<'EOF';
list rcpt_domain example.test
list rcpt_users user@example.test
list allow_ip 127.0.0.9
list allow_sender friend@good.test
list sender_list friend@good.test
list sender_list spam@bad.test
list allow_rcpt special@example.test
list allow_rcpt special@elsewhere.test
EOF
my $RULES = cdb($SRC);

sub server { return start_tcpserver(ip => $IP, rules => $RULES, @_) }

# One session: EHLO $o{helo}, MAIL $o{from}, each RCPT of $o{to}, DATA if
# one was taken.  Returns the replies (rcpt keyed by address too).
sub sess {
	my ($s, %o) = @_;
	my $c = client(server => $s, local => $o{local} // '127.0.0.2');
	my ($b, $e) = $c->start($o{helo} // 'client.test');
	my $m = mail($c, from => $o{from} // 'a@b.test', to => $o{to},
	    subject => $o{subject} // 'precedence', nodata => !$o{data});
	$m->{banner} = $b;
	$m->{ehlo} = $e;
	my @to = @{$o{to}};
	$m->{to}{$to[$_]} = $m->{rcpt}[$_] for 0 .. $#to;
	$c->cmd('QUIT');
	$c->closed(5);
	return $m;
}

# The log lines of the last session of $s (by the pid of its summary).
sub last_session_log {
	my ($s, $n) = @_;
	my @sum = summaries($s, $n);
	my ($pid) = ($sum[-1] // '') =~ /^smtpfront\[(\d+)\]/;
	return () unless $pid;
	return log_lines($s, qr/^smtpfront\[$pid\] /);
}

# --- the fixed order within a phase --------------------------------------------
{
	my $s = server();
	my $m = sess($s, helo => 'localhost', to => ['user@example.test']);
	reply_is($m->{rcpt}[0], '550', '5.7.1',
	    'HELO localhost: helo_list (550 5.7.1) comes before helo_fqdn (504 5.5.2)');
	my @l = grep { /check=/ } last_session_log($s, 1);
	is(scalar(@l), 1, 'HELO localhost: one refusal line');
	like($l[0] // '', qr/: reject check=helo_list /, 'HELO localhost: check=helo_list');
	stop($s);

	# a warn is not decisive: the next check decides
	$s = server(env => { SMTPFRONT_HELO_LIST_ACTION => 'warn' });
	$m = sess($s, helo => 'localhost', to => ['user@example.test']);
	reply_is($m->{rcpt}[0], '504', '5.5.2',
	    'helo_list in warn mode: helo_fqdn decides, 504 5.5.2');
	@l = last_session_log($s, 1);
	ok(grep({ /: warn check=helo_list / } @l), 'helo_list in warn mode: its warn line');
	ok(grep({ /: reject check=helo_fqdn / } @l), 'helo_list in warn mode: helo_fqdn refusal line');
	stop($s);
}

# --- across phases: the first refusal found wins, MAIL checks wait ------------------
{
	my $s = server();
	my $m = sess($s, helo => 'localhost', from => 'spam@bad.test',
	    to => ['user@example.test']);
	reply_is($m->{mail}, '250', '2.1.0', 'held HELO refusal: MAIL 250');
	reply_is($m->{rcpt}[0], '550', '5.7.1', 'held HELO refusal, bad sender: the HELO refusal');
	my @l = grep { /check=/ } last_session_log($s, 1);
	is(scalar(@l), 1, 'held HELO refusal, bad sender: one line');
	like($l[0] // '', qr/check=helo_list/, '... naming helo_list, not sender_list');

	# a held HELO refusal beats a later allow_sender
	$m = sess($s, helo => 'localhost', from => 'friend@good.test',
	    to => ['user@example.test']);
	reply_is($m->{rcpt}[0], '550', '5.7.1',
	    'held HELO refusal beats a later allow_sender: 550 5.7.1 at RCPT');
	@l = last_session_log($s, 2);
	ok(!grep({ /check=allow_sender/ } @l),
	    'held HELO refusal: allow_sender not even looked at');
	ok(grep({ /: reject check=helo_list / } @l), 'held HELO refusal: helo_list logged');

	# without a held refusal allow_sender decides the transaction
	$m = sess($s, from => 'friend@good.test', data => 1, subject => 'friend',
	    to => ['user@example.test', 'nobody@example.test', 'u@elsewhere.test']);
	reply_is($m->{to}{'user@example.test'}, '250', qr/^2\./,
	    'allow_sender (also in sender_list): allow_sender comes first, accepted');
	reply_is($m->{to}{'nobody@example.test'}, '250', qr/^2\./,
	    'allow_sender: the recipient checks are skipped (unknown user taken)');
	reply_is($m->{to}{'u@elsewhere.test'}, '550', '5.7.1',
	    'allow_sender: relay control still applies');
	@l = last_session_log($s, 3);
	ok(grep({ /: accept check=allow_sender rule=\S+rules\.\d+\.src:4 cmd=MAIL / } @l),
	    'allow_sender: the accept is logged with its rule');
	ok(!grep({ /check=sender_list/ } @l), 'allow_sender: sender_list never ran');
	stop($s);
}

# --- exemptions despite a held refusal; relay control for them all -------------------
{
	my $s = server();
	my @to = ('postmaster@example.test', 'abuse@example.test',
	    'special@example.test', 'user@example.test', 'postmaster@elsewhere.test',
	    'special@elsewhere.test');
	my $m = sess($s, helo => 'localhost', to => \@to, data => 1, subject => 'exempt');
	reply_is($m->{to}{'postmaster@example.test'}, '250', qr/^2\./,
	    'held refusal: postmaster takes mail');
	reply_is($m->{to}{'abuse@example.test'}, '250', qr/^2\./,
	    'held refusal: abuse takes mail');
	reply_is($m->{to}{'special@example.test'}, '250', qr/^2\./,
	    'held refusal: an allow_rcpt recipient takes mail (not in rcpt_users either)');
	reply_is($m->{to}{'user@example.test'}, '550', '5.7.1',
	    'held refusal: anyone else gets it');
	reply_is($m->{to}{'postmaster@elsewhere.test'}, '550', '5.7.1',
	    'relay control applies to postmaster');
	like($m->{to}{'postmaster@elsewhere.test'}{text}, qr/relay/i, '... as relaying');
	reply_is($m->{to}{'special@elsewhere.test'}, '550', '5.7.1',
	    'relay control applies to allow_rcpt recipients');
	reply_is($m->{eod}, '250', qr/^2\./, 'the exempt recipients get the message');
	my @msg = sink_messages($s->{sinkdir});
	is(scalar(@msg), 1, 'one message delivered');
	like(@msg ? $msg[0]{env} : '', qr/\nRCPT TO:<postmaster\@example\.test>\nRCPT TO:<abuse\@example\.test>\nRCPT TO:<special\@example\.test>\n\z/,
	    'its envelope: postmaster, abuse and the allow_rcpt recipient');
	my @l = last_session_log($s, 1);
	is(scalar(grep { /: reject check=rcpt_domain / } @l), 2,
	    'two relay refusals logged as rcpt_domain');
	ok(grep({ /: accept check=allow_rcpt / } @l), 'allow_rcpt accept logged');

	# an allow_ip client: everything but relay control skipped
	$m = sess($s, local => '127.0.0.9', helo => 'localhost', from => 'spam@bad.test',
	    to => ['nobody@example.test', 'u@elsewhere.test'], data => 1, subject => 'allow-ip');
	reply_is($m->{to}{'nobody@example.test'}, '250', qr/^2\./,
	    'allow_ip: bad HELO, bad sender, unknown user: taken');
	reply_is($m->{to}{'u@elsewhere.test'}, '550', '5.7.1', 'allow_ip: relay control applies');
	reply_is($m->{eod}, '250', qr/^2\./, 'allow_ip: delivered');
	stop($s);
}

# --- the downgrade rule ---------------------------------------------------------------
{
	# allow_ip's lookup fails at connect (it fails open): every later
	# reject of the session goes out as a 4xx
	my $bad = corrupt_copy($RULES, 'n:allow_ip');
	my $s = server(rules => $bad);
	my $m = sess($s, helo => 'localhost',
	    to => ['user@example.test', 'u@elsewhere.test', 'postmaster@example.test']);
	reply_is($m->{banner}, '220', undef, 'failing allow_ip lookup: the session starts');
	reply_is($m->{to}{'user@example.test'}, '450', '4.7.1',
	    'downgrade: held 550 5.7.1 goes out as 450 4.7.1');
	reply_is($m->{to}{'u@elsewhere.test'}, '450', '4.7.1',
	    'downgrade: relay control 550 5.7.1 goes out as 450 4.7.1');
	reply_is($m->{to}{'postmaster@example.test'}, '250', qr/^2\./,
	    'downgrade: postmaster still takes mail');
	my @l = last_session_log($s, 1);
	my @d = grep { /downgraded=yes/ } @l;
	is(scalar(@d), 2, 'downgrade: both refusals logged with downgraded=yes');
	like($d[0] // '', qr/: defer check=helo_list .* code=450 esc=4\.7\.1 .*downgraded=yes$/,
	    'downgrade: logged as defer with the 4xx');

	$m = sess($s, helo => 'rat', to => ['user@example.test']);
	reply_is($m->{rcpt}[0], '451', '4.5.2', 'downgrade: 504 5.5.2 goes out as 451 4.5.2');
	$m = sess($s, from => 'x@nofqdn', to => ['user@example.test']);
	reply_is($m->{rcpt}[0], '450', '4.1.8', 'downgrade: 553 5.1.8 goes out as 450 4.1.8');
	stop($s);

	# the same sessions with the intact database: 5xx
	$s = server();
	$m = sess($s, helo => 'localhost', to => ['user@example.test', 'u@elsewhere.test']);
	reply_is($m->{rcpt}[0], '550', '5.7.1', 'intact database: 550 5.7.1');
	reply_is($m->{rcpt}[1], '550', '5.7.1', 'intact database: relay 550 5.7.1');
	ok(!grep({ /downgraded/ } last_session_log($s, 1)), 'intact database: nothing downgraded');
	stop($s);

	# the lookup that fails is the one that could have allowlisted the
	# sender: friend@good.test is in allow_sender and in sender_list
	$bad = corrupt_copy($RULES, 'l:allow_sender:friend@good.test');
	$s = server(rules => $bad);
	$m = sess($s, from => 'friend@good.test', to => ['user@example.test']);
	reply_is($m->{rcpt}[0], '450', '4.7.1',
	    'failing allow_sender lookup: the sender_list 553 goes out as 450 4.7.1');
	my ($l) = grep { /check=sender_list/ } last_session_log($s, 1);
	like($l // '', qr/: defer check=sender_list .*downgraded=yes$/, '... logged downgraded=yes');
	$m = sess($s, from => 'spam@bad.test', to => ['user@example.test']);
	reply_is($m->{rcpt}[0], '553', '5.7.1',
	    'same database, a session without a failed lookup: 553 5.7.1');

	# the dry run shows the same
	my ($code, $out) = run(argv => [build() . '/smtpfront', '-n', '-r', $bad,
	    '127.0.0.2', 'client.test', 'friend@good.test', 'user@example.test'], timeout => 20);
	like($out, qr/^rcpt <user\@example\.test>: reject check=sender_list .*reply="450 4\.7\.1 /m,
	    'dry run with the failing lookup: 450 4.7.1');
	stop($s);

	# relay control fails closed: its own lookup fails -> defer
	$bad = corrupt_copy($RULES, 'l:rcpt_domain:example.test');
	$s = server(rules => $bad);
	$m = sess($s, to => ['user@example.test']);
	ok($m->{rcpt}[0]{code} =~ /^4\d\d$/ && $m->{rcpt}[0]{esc} =~ /^4\./,
	    'failing rcpt_domain lookup: relay control defers (fails closed)')
	    or diag($m->{rcpt}[0]{last});
	($l) = grep { /check=rcpt_domain/ } last_session_log($s, 1);
	like($l // '', qr/: defer check=rcpt_domain .*reason="rules database error"/,
	    '... logged as a rules database error');
	is(sink_messages($s->{sinkdir}), 0, 'nothing delivered with failing lookups');
	stop($s);
}

# smtpfront as uid 65534 (tcpserver -u, -g) runs a copy of the build
# (smtpfront and the sink) in a directory of the test that this user can
# reach: the tree itself may be where only root may enter (a clone in
# /root, mode 0700).  The copy is removed with unprivileged_done().
my $NOBODY = 65534;
my $UNPRIV;
sub start_unprivileged {
	my (%o) = @_;
	if (!$UNPRIV) {
		$UNPRIV = SF::tmp() . "/build-uid$NOBODY";
		mkdir($UNPRIV) or die "$UNPRIV: $!";
		mkdir("$UNPRIV/t") or die "$UNPRIV/t: $!";
		for my $p ('smtpfront', 't/sink') {
			copy(build() . "/$p", "$UNPRIV/$p") or die "copy $p: $!";
		}
		chmod(0755, $UNPRIV, "$UNPRIV/t", "$UNPRIV/smtpfront",
		    "$UNPRIV/t/sink") == 4 or die "chmod $UNPRIV: $!";
	}
	local $ENV{SF_BUILD} = $UNPRIV;
	my $s = start_tcpserver(%o,
	    tcpserver => ['-v', '-u', $NOBODY, '-g', $NOBODY]);
	# the sink, as uid 65534, may record itself: a child smtpfront must
	# not start would be seen
	chmod(0777, $s->{sinkdir}) or die "chmod $s->{sinkdir}: $!";
	return $s;
}

sub unprivileged_done {
	remove_tree($UNPRIV) if $UNPRIV;
	$UNPRIV = undef;
}

# --- a database that cannot be opened: 421 4.3.0 at connect, exit 111 ---------------
{
	my $t = SF::tmp();
	chmod(0755, $t);	# uid 65534 must reach the files below
	my $unreadable = SF::tmp() . '/mode000.cdb';
	copy($RULES, $unreadable) or die "copy: $!";
	chmod(0644, $unreadable);
	my $dir = SF::tmp() . '/rules-dir.cdb';
	mkdir($dir) or die "$dir: $!";
	my $wrongv = SF::tmp() . '/wrong-v.cdb';
	my $data = slurp($RULES);
	$data =~ s/smtpfront-rules 1/smtpfront-rules 9/ or die 'no "v" value';
	spew($wrongv, $data);
	my $short = spew(SF::tmp() . '/truncated.cdb', substr(slurp($RULES), 0, 100));

	# as uid 65534 a readable copy works: the mode is what matters below
	my $s = start_unprivileged(ip => $IP, rules => $unreadable);
	my $c = client(server => $s, local => '127.0.0.2');
	reply_is($c->reply, '220', undef, 'as uid 65534, a readable database: banner');
	$c->cmd('QUIT');
	stop($s);
	chmod(0, $unreadable);

	for my $case (['mode 000, smtpfront as uid 65534', $unreadable, 1],
	    ['a directory', $dir, 0], ['a wrong "v" record', $wrongv, 0],
	    ['a truncated file', $short, 0]) {
		my ($name, $path, $unpriv) = @$case;
		$s = $unpriv ? start_unprivileged(ip => $IP, rules => $path)
		    : start_tcpserver(ip => $IP, rules => $path,
		    tcpserver => ['-v']);
		$c = client(server => $s, local => '127.0.0.2');
		my $r = $c->reply;
		reply_is($r, '421', '4.3.0', "$name: 421 4.3.0 at connect");
		is(scalar(@{$r->{lines}}), 1, "$name: no banner before it");
		ok($c->closed(5), "$name: closed");
		my ($end) = log_has($s, qr/^tcpserver: end \d+ status /);
		like($end // '', qr/ status 28416$/, "$name: smtpfront exits 111")
		    or diag(log_text($s));
		ok(scalar(log_lines($s, qr/: fatal: cannot read rules database: \Q$path\E(?:: .+)?$/)),
		    "$name: logged as fatal");
		my ($sum) = summaries($s);
		like($sum // '', qr/ verdict=tempfail /, "$name: summary verdict=tempfail");
		is(sink_started($s->{sinkdir}), 0, "$name: no MTA child");
		stop($s);
	}
	unprivileged_done();

	# no database at all: the built-in defaults (no rcpt_domain: no relay)
	$s = start_tcpserver(ip => $IP, rules => SF::tmp() . '/missing.cdb');
	my $m = sess($s, to => ['user@example.test']);
	reply_is($m->{banner}, '220', undef, 'missing database: banner, built-in defaults');
	reply_is($m->{rcpt}[0], '550', '5.7.1', 'missing database: no rcpt_domain, relaying refused');
	stop($s);
}

done_testing();
