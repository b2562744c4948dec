#!/usr/bin/perl
# t/dryrun.t: the dry run, smtpfront -n [-r RULES] IP HELO SENDER RCPT.
# Without a network client or an MTA child it prints one line per phase
# (connect, helo, mail, rcpt) with the verdict, the deciding check and
# rule (a list entry as its source file:line) and the reply the client
# would get, noting a refusal "held until RCPT" under delay_reject, relay
# control, the postmaster/abuse exemption and trust; it exits 0 when the
# recipient would be handed to the MTA child, 1 when refused, 100 on a
# usage error and 111 when the rules database cannot be read.  Each case
# is also checked against a real session, so the dry run tells what a
# client would really see.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use Conn;

my $SRC = <<'EOF';
list rcpt_domain example.test
list sender_list spam@bad.test
list helo_list .bad.test
list trust 127.0.0.7
list allow_ip 127.0.0.9
list allow_sender friend@good.test
list allow_rcpt special@example.test
EOF
my $RULES = cdb($SRC);
(my $SRCFILE = $RULES) =~ s/\.cdb$/.src/;
my $AT = qr/\Q$SRCFILE\E/;

# The dry run: (exit code, stdout lines); stderr (the log) kept apart.
sub dry {
	my ($args, $env, $rules) = @_;
	my $err = SF::tmp() . '/dry.' . SF::seq() . '.err';
	my ($code, $out) = run(argv => ['sh', '-c', 'exec "$@" 2>"$0"', $err,
	    build() . '/smtpfront', '-n', '-r', $rules // $RULES, @$args],
	    env => { RELAYCLIENT => undef, RBLSMTPD => undef,
	    (map { $_ => undef } grep { /^SMTPFRONT_/ } keys %ENV),
	    SMTPFRONT_FCRDNS_ACTION => 'off', %{$env || {}} },
	    timeout => 20);
	return ($code, [split(/\n/, $out)], slurp($err) // '');
}

# One case: arguments, environment, expected exit, expected lines (each
# a regexp, in order, matching the whole output).
sub case {
	my ($name, $args, $env, $exit, @re) = @_;
	my ($code, $lines) = dry($args, $env);
	is($code, $exit, "$name: exit $exit");
	my $ok = @$lines == @re;
	for my $i (0 .. $#re) {
		$ok &&= ($lines->[$i] // '') =~ $re[$i];
	}
	ok($ok, "$name: output") or diag(join("\n", "got:", @$lines, "expected:", @re));
	return $lines;
}

my $PASS = qr/^connect 127\.0\.0\.2: pass$/;

# --- accepted ------------------------------------------------------------
case('a good envelope', ['127.0.0.2', 'client.test', 'a@b.test', 'user@example.test'], {}, 0,
    $PASS, qr/^helo client\.test: pass$/, qr/^mail <a\@b\.test>: pass$/,
    qr/^rcpt <user\@example\.test>: pass \(handed to the MTA child\)$/);

# --- a list entry decides, held until RCPT ------------------------------------
case('sender_list entry', ['127.0.0.2', 'client.test', 'spam@bad.test', 'user@example.test'], {}, 1,
    $PASS, qr/^helo client\.test: pass$/,
    qr/^mail <spam\@bad\.test>: reject check=sender_list rule=${AT}:2 reply="553 5\.7\.1 Sender address refused" \(held until RCPT\)$/,
    qr/^rcpt <user\@example\.test>: reject check=sender_list rule=${AT}:2 reply="553 5\.7\.1 Sender address refused" \(held from an earlier phase\)$/);
case('helo_list entry ".bad.test"', ['127.0.0.2', 'host.bad.test', 'a@b.test', 'user@example.test'], {}, 1,
    $PASS,
    qr/^helo host\.bad\.test: reject check=helo_list rule=${AT}:3 reply="550 5\.7\.1 [^"]+" \(held until RCPT\)$/,
    qr/^mail <a\@b\.test>: pass$/,
    qr/^rcpt <user\@example\.test>: reject check=helo_list rule=${AT}:3 .*\(held from an earlier phase\)$/);
# --- the action decides: its line, its variable, or "builtin" -------------------
case('a check decided by its built-in action', ['127.0.0.2', 'rat', 'a@b.test', 'user@example.test'], {}, 1,
    $PASS, qr/^helo rat: reject check=helo_fqdn rule=builtin reply="504 5\.5\.2 [^"]+" \(held until RCPT\)$/,
    qr/^mail /, qr/^rcpt <user\@example\.test>: reject check=helo_fqdn rule=builtin /);
{
	my $db = cdb("list rcpt_domain example.test\nset helo_fqdn_action defer\n");
	(my $src = $db) =~ s/\.cdb$/.src/;
	my ($code, $lines) = dry(['127.0.0.2', 'rat', 'a@b.test', 'user@example.test'], {}, $db);
	is($code, 1, 'the action set in the rules: exit 1');
	like($lines->[1] // '', qr/^helo rat: defer check=helo_fqdn rule=\Q$src\E:2 reply="451 4\.5\.2 /,
	    'the action set in the rules: the rule is its line');
	($code, $lines) = dry(['127.0.0.2', 'rat', 'a@b.test', 'user@example.test'],
	    { SMTPFRONT_HELO_FQDN_ACTION => 'reject' }, $db);
	like($lines->[1] // '', qr/^helo rat: reject check=helo_fqdn rule=SMTPFRONT_HELO_FQDN_ACTION /,
	    'the action from the environment: the rule is the variable');
}
case('delay_reject no: refused at MAIL', ['127.0.0.2', 'client.test', 'spam@bad.test', 'user@example.test'],
    { SMTPFRONT_DELAY_REJECT => 'no' }, 1,
    $PASS, qr/^helo /, qr/^mail <spam\@bad\.test>: reject check=sender_list rule=${AT}:2 reply="553 5\.7\.1 [^"]+"$/);
case('defer action', ['127.0.0.2', 'client.test', 'spam@bad.test', 'user@example.test'],
    { SMTPFRONT_SENDER_LIST_ACTION => 'defer' }, 1,
    $PASS, qr/^helo /, qr/^mail <spam\@bad\.test>: defer check=sender_list rule=${AT}:2 reply="450 4\.7\.1 [^"]+" \(held until RCPT\)$/,
    qr/^rcpt .*: defer check=sender_list /);

# --- warn mode: the hit is shown, the envelope goes through ----------------------------
case('warn mode', ['127.0.0.2', 'rat', 'a@b.test', 'user@example.test'],
    { SMTPFRONT_HELO_FQDN_ACTION => 'warn' }, 0,
    $PASS, qr/^helo rat: warn check=helo_fqdn rule=SMTPFRONT_HELO_FQDN_ACTION$/, qr/^mail <a\@b\.test>: pass$/,
    qr/^rcpt <user\@example\.test>: pass \(handed to the MTA child\)$/);

# --- relay control --------------------------------------------------------------
case('relay control', ['127.0.0.2', 'client.test', 'a@b.test', 'user@elsewhere.test'], {}, 1,
    $PASS, qr/^helo /, qr/^mail /,
    qr/^rcpt <user\@elsewhere\.test>: reject check=rcpt_domain rule=builtin reply="550 5\.7\.1 Relaying denied" reason="not our domain" \(relay control\)$/);
case('relay control beats allow_sender', ['127.0.0.2', 'client.test', 'friend@good.test', 'user@elsewhere.test'], {}, 1,
    $PASS, qr/^helo /, qr/^mail <friend\@good\.test>: accept check=allow_sender rule=${AT}:6$/,
    qr/^rcpt <user\@elsewhere\.test>: reject check=rcpt_domain .*\(relay control\)$/);

# --- postmaster and abuse ---------------------------------------------------------
case('postmaster despite a held refusal', ['127.0.0.2', 'client.test', 'spam@bad.test', 'postmaster@example.test'], {}, 0,
    $PASS, qr/^helo /, qr/^mail .*\(held until RCPT\)$/,
    qr/^rcpt <postmaster\@example\.test>: accept \(postmaster and abuse take all mail\)$/);
case('abuse without a domain', ['127.0.0.2', 'client.test', 'spam@bad.test', 'abuse'], {}, 0,
    $PASS, qr/^helo /, qr/^mail /, qr/^rcpt <abuse>: accept \(postmaster and abuse take all mail\)$/);
case('postmaster elsewhere: relay control', ['127.0.0.2', 'client.test', 'spam@bad.test', 'postmaster@elsewhere.test'], {}, 1,
    $PASS, qr/^helo /, qr/^mail /, qr/^rcpt <postmaster\@elsewhere\.test>: reject check=rcpt_domain .*\(relay control\)$/);
case('allow_rcpt despite a held refusal', ['127.0.0.2', 'host.bad.test', 'a@b.test', 'special@example.test'], {}, 0,
    $PASS, qr/^helo .*\(held until RCPT\)$/, qr/^mail /,
    qr/^rcpt <special\@example\.test>: accept check=allow_rcpt rule=${AT}:7 \(handed to the MTA child\)$/);

# --- trust ------------------------------------------------------------------------
case('trust list', ['127.0.0.7', 'localhost', 'x@nofqdn', 'user@elsewhere.test'], {}, 0,
    qr/^trust 127\.0\.0\.7: trusted by ${AT}:4$/,
    qr/^connect 127\.0\.0\.7: accept check=trust rule=${AT}:4$/,
    qr/^helo localhost: pass$/, qr/^mail <x\@nofqdn>: pass$/,
    qr/^rcpt <user\@elsewhere\.test>: pass \(handed to the MTA child\)$/);
case('RELAYCLIENT', ['127.0.0.2', 'localhost', 'a@b.test', 'user@elsewhere.test'], { RELAYCLIENT => '' }, 0,
    qr/^trust 127\.0\.0\.2: trusted by RELAYCLIENT$/,
    qr/^connect 127\.0\.0\.2: accept check=trust rule=RELAYCLIENT$/,
    qr/^helo /, qr/^mail /, qr/^rcpt .*: pass \(handed to the MTA child\)$/);
case('trust_exec', ['127.0.0.7', 'localhost', 'a@b.test', 'user@example.test'], { SMTPFRONT_TRUST_EXEC => 'yes' }, 0,
    qr/^trust 127\.0\.0\.7: trusted by ${AT}:4 \(handed to the child with execve\)$/,
    qr/^connect /, qr/^helo /, qr/^mail /, qr/^rcpt /);
case('allow_ip: everything but relay control', ['127.0.0.9', 'localhost', 'x@nofqdn', 'user@example.test'], {}, 0,
    qr/^connect 127\.0\.0\.9: accept check=allow_ip rule=${AT}:5$/,
    qr/^helo localhost: pass$/, qr/^mail <x\@nofqdn>: pass$/, qr/^rcpt .*: pass \(handed to the MTA child\)$/);
case('allow_ip and relay control', ['127.0.0.9', 'localhost', 'x@nofqdn', 'user@elsewhere.test'], {}, 1,
    qr/^connect 127\.0\.0\.9: accept /, qr/^helo /, qr/^mail /, qr/^rcpt .*\(relay control\)$/);
case('RBLSMTPD', ['127.0.0.2', 'client.test', 'a@b.test', 'user@example.test'], { RBLSMTPD => '-listed' }, 1,
    qr/^connect 127\.0\.0\.2: reject check=rblsmtpd rule=RBLSMTPD reply="553 5\.7\.1 listed" \(held until RCPT\)$/,
    qr/^helo /, qr/^mail /, qr/^rcpt .*: reject check=rblsmtpd .*\(held from an earlier phase\)$/);
case('IPv6 client', ['::1', 'client.test', 'a@b.test', 'user@example.test'], {}, 0,
    qr/^connect ::1: pass$/, qr/^helo /, qr/^mail /, qr/^rcpt .*: pass \(handed to the MTA child\)$/);

# --- bad input, usage, unreadable database -------------------------------------------
{
	my $long = 'user@' . ('x' x 300) . '.test';
	my ($code, $lines) = dry(['127.0.0.2', 'client.test', 'a@b.test', $long]);
	is($code, 1, 'over-long recipient: exit 1');
	like($lines->[-1] // '', qr/^recipient .*: syntax error$/, 'over-long recipient: syntax error');
	($code, $lines) = dry(['127.0.0.2', 'client.test', 'a b', 'user@example.test']);
	is($code, 1, 'bad sender syntax: exit 1');
	like($lines->[2] // '', qr/^mail <a b>: reject check=addr_syntax rule=builtin reply="553 5\.1\.7 [^"]*" reason="sender"$/,
	    'bad sender syntax: addr_syntax, at once (not held)');
	($code) = dry(['127.0.0.2', 'client.test', 'a@b.test']);
	is($code, 100, 'three arguments: usage error, exit 100');
	($code, $lines) = dry(['127.0.0.2', 'client.test', 'a@b.test', 'user@example.test'], {}, SF::tmp());
	is($code, 111, 'a directory for the rules: exit 111');
	like($lines->[0] // '', qr/^421 4\.3\.0 /, 'a directory for the rules: 421 4.3.0');
	($code, $lines) = dry(['127.0.0.2', 'client.test', 'a@b.test', 'user@example.test'], {},
	    SF::tmp() . '/no-such.cdb');
	is($code, 1, 'no database at all: built-in defaults (no rcpt_domain: relay control refuses)');
	like($lines->[-1] // '', qr/\(relay control\)$/, 'no database: relay control');
}

# --- the dry run tells what a real client sees -------------------------------------------
{
	my $s = start_tcpserver(ip => '127.77.3.8', rules => $RULES);
	for my $case (['127.0.0.2', 'host.bad.test', 'a@b.test', 'user@example.test'],
	    ['127.0.0.2', 'client.test', 'spam@bad.test', 'user@example.test'],
	    ['127.0.0.2', 'client.test', 'spam@bad.test', 'postmaster@example.test'],
	    ['127.0.0.9', 'localhost', 'x@nofqdn', 'user@elsewhere.test'],
	    ['127.0.0.7', 'localhost', 'x@nofqdn', 'user@elsewhere.test'],
	    ['127.0.0.2', 'client.test', 'a@b.test', 'user@example.test']) {
		my ($ip, $helo, $from, $to) = @$case;
		my ($code, $lines) = dry($case);
		my ($reply) = ($lines->[-1] // '') =~ / reply="(\d{3} \S+)/;
		my $c = client(server => $s, local => $ip);
		$c->start($helo);
		$c->cmd("MAIL FROM:<$from>");
		my $r = $c->cmd("RCPT TO:<$to>");
		$c->cmd('QUIT');
		if ($code == 0) {
			is($r->{code}, '250', "@$case: dry run exit 0, the session's RCPT 250");
		} else {
			is("$r->{code} $r->{esc}", $reply // 'no reply',
			    "@$case: dry run and session give the same reply");
		}
	}
	stop($s);
}

done_testing();
