# t/lib/Policy.pm: helpers for the tests of the policy checks
# (t/helo_*.t, t/addr_syntax.t, t/sender_*.t, t/size.t, t/rcpt_*.t,
# t/bounce_multi.t, t/allow_*.t), on top of t/lib/SF.pm.
#
#   rules($name, @lines)        compile rules with build/smtpfront-cdb;
#                               returns (db, source) so that a test can
#                               expect "source:LINE" as the rule
#   cdb_break($db, $key)        a copy of db in which the lookup of that
#                               one key (exact database key, e.g.
#                               "l:helo_list:.bad.example") fails with a
#                               read error; every other key still works
#   cdb_version($db)            a copy with another format version
#   cdb_truncated($db)          a copy cut short inside the header
#   message($tag)               a test message (CRLF, no final dot)
#   session(...)                one scripted session, replies returned
#   delivered($s, $msg, ...)    the sink got exactly these bytes
#   swaks_send($s, ...)         one swaks session with message($tag)
#   load_ok($s, ...)            smtp-source load that must pass untouched
#   log_one($s, $re, $name)     exactly one log line matches; returned
#   logged($s, %fields)         exactly one "EVENT check=NAME rule=RULE"
#                               line with these fields; returned
#   refused_at_connect($s, ...) 421 4.3.0 instead of the banner
#   stop_settled($s)            SF::stop once the sessions have ended
#   held_suite(%o)              the cases every check whose refusal is
#                               held until RCPT shares (see there)
#   lookup_suite(%o)            the cases every check refused at RCPT
#                               or DATA shares (see there)
#   allow_suite(%o)             the cases the allowlists of MAIL and
#                               RCPT share (see there)
#
# Every wait is bounded; nothing here starts a process that SF.pm does
# not stop.
package Policy;

use strict;
use warnings;

use Exporter qw(import);
use Test::More;
use SF;

our @EXPORT = qw(
    rules cdb_break cdb_version cdb_truncated message stuff session
    delivered not_delivered load_ok log_one log_none refused_at_connect
    warn_header summary_of logged swaks_send held_suite lookup_suite
    allow_suite stop_settled action_rule
    $FROM $RCPT $GOOD
);

use constant {
	BROKEN_POS	=> 0xfffffff0,	# a record position past any test file
	LOAD_SESSIONS	=> 4,
	LOAD_MESSAGES	=> 40,
	LOAD_WAIT	=> 20,		# seconds for the whole load run
};

my $N = 0;

# The well-behaved client's envelope and HELO name.
our $FROM = 'sender@example.org';
our $RCPT = 'user@example.test';
our $GOOD = 'client.example.org';

# rules('name', 'list helo_list .bad.example', ...) -> (db, source).
sub rules {
	my ($name, @lines) = @_;
	$N++;
	my $src = tmp() . "/$name.$N.rules";
	my $db = tmp() . "/$name.$N.cdb";
	spew($src, join('', map { "$_\n" } @lines));
	my ($code, $out) = run(argv => [build() . '/smtpfront-cdb', $src, $db],
	    timeout => 30);
	die "smtpfront-cdb $src ($code): $out" if $code != 0;
	return ($db, $src);
}

# The CDB hash (djb): h = ((h << 5) + h) ^ c, from 5381.
sub cdb_hash {
	my ($key) = @_;
	my $h = 5381;
	for my $c (unpack('C*', $key)) {
		$h = (($h << 5) + $h) & 0xffffffff;
		$h ^= $c;
	}
	return $h;
}

# A copy of db where the hash table slot of key points past the end of
# the file: cdb_find() of that key reads out of bounds and returns -1.
# Other keys, even in the same hash table, compare the hash first and
# never read that record.  Dies unless key is in db.
sub cdb_break {
	my ($db, $key) = @_;
	my $data = slurp($db) // die "$db: $!";
	my $h = cdb_hash($key);
	my ($hpos, $hslots) = unpack('V V', substr($data, ($h & 255) * 8, 8));
	die "cdb_break: $key not in $db" unless $hslots;
	my $slot = ($h >> 8) % $hslots;
	for (1 .. $hslots) {
		my $off = $hpos + $slot * 8;
		my ($sh, $pos) = unpack('V V', substr($data, $off, 8));
		last if $pos == 0;
		if ($sh == $h) {
			my ($kl) = unpack('V', substr($data, $pos, 4));
			if ($kl == length($key) &&
			    substr($data, $pos + 8, $kl) eq $key) {
				substr($data, $off + 4, 4) = pack('V', BROKEN_POS);
				$N++;
				return spew(tmp() . "/broken.$N.cdb", $data);
			}
		}
		$slot = ($slot + 1) % $hslots;
	}
	die "cdb_break: $key not in $db";
}

# A copy of db that says it is another format version.
sub cdb_version {
	my ($db) = @_;
	my $data = slurp($db) // die "$db: $!";
	$data =~ s/smtpfront-rules 1/smtpfront-rules 9/ or die "no version in $db";
	$N++;
	return spew(tmp() . "/version.$N.cdb", $data);
}

# A copy of db cut inside its 2048-byte header.
sub cdb_truncated {
	my ($db) = @_;
	my $data = slurp($db) // die "$db: $!";
	$N++;
	return spew(tmp() . "/truncated.$N.cdb", substr($data, 0, 1000));
}

# A message with our own headers; lines that need dot-stuffing, a tab,
# trailing blanks and an 8-bit line, so "byte for byte" means something.
sub message {
	my ($tag) = @_;
	return crlf("From: <sender\@example.org>\nTo: <user\@example.test>\n" .
	    "Subject: $tag\nMessage-ID: <$tag\@example.org>\n\n" .
	    "first line of $tag\n.a line that began with a dot\n..two dots\n" .
	    "\ttab and trailing blank \ncaf\xc3\xa9\n.\n" .
	    "last line\n");
}

# The wire form of a message: dot-stuffed, with the final dot.
sub stuff {
	my ($msg) = @_;
	(my $w = $msg) =~ s/^\./../mg;
	return $w . ".\r\n";
}

# session(server => $s, local => IP, helo => NAME or undef (no
# greeting), ehlo => 1 (default) or 0 for HELO, from => ADDR (undef:
# no MAIL), from_line => raw MAIL line, rcpts => [ADDR or raw "RCPT
# ..." lines], msg => bytes (DATA only if given), quit => 1 (default)).
# Returns a hash of replies: banner, helo, mail, rcpt => [...], data,
# eod, quit, closed (the server closed the connection), and client.
sub session {
	my (%o) = @_;
	my $c = client(server => $o{server}, local => $o{local} // '127.0.0.2');
	my %r = (client => $c, rcpt => []);
	$r{banner} = $c->reply;
	my $gone = sub { $c->{eof} };
	if (defined $o{helo} && !$gone->()) {
		$r{helo} = $c->cmd((($o{ehlo} // 1) ? 'EHLO ' : 'HELO ') .
		    $o{helo});
	}
	if ((defined $o{from} || defined $o{from_line}) && !$gone->()) {
		$r{mail} = $c->cmd($o{from_line} // "MAIL FROM:<$o{from}>");
	}
	for my $rc (@{$o{rcpts} || []}) {
		last if $gone->();
		push @{$r{rcpt}}, $c->cmd($rc =~ /^RCPT / ? $rc : "RCPT TO:<$rc>");
	}
	if (defined $o{msg} && !$gone->()) {
		$r{data} = $c->cmd('DATA');
		if ($r{data}{code} eq '354') {
			$c->send(stuff($o{msg}));
			$r{eod} = $c->reply;
		}
	}
	if (($o{quit} // 1) && !$gone->()) {
		$r{quit} = $c->cmd('QUIT');
	}
	$r{closed} = $c->closed(5) if $o{quit} // 1;
	return \%r;
}

# The header smtpfront adds for warn-mode hits.
sub warn_header {
	return 'X-Smtpfront-Warn: ' . join(', ', @_) . "\r\n";
}

# One assertion: the sink recorded a message of exactly these bytes
# (exactly once); the envelope it got, when asked for, too.
sub delivered {
	my ($s, $msg, $name, %o) = @_;
	my @m;
	wait_for(sub {
		@m = grep { $_->{msg} eq $msg } sink_messages($s->{sinkdir});
		@m > 0;
	}, 5);
	my $tb = Test::More->builder;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my $ok = @m == 1;
	if ($ok && defined $o{env}) {
		$ok = $m[0]{env} eq $o{env};
		$tb->diag("envelope: $m[0]{env}") unless $ok;
	}
	$tb->ok($ok, $name) or $tb->diag(scalar(@m) . ' messages match; ' .
	    scalar(sink_messages($s->{sinkdir})) . ' in the sink');
	return $ok;
}

# One assertion: no message with this tag (Subject) reached the sink.
sub not_delivered {
	my ($s, $tag, $name) = @_;
	my @m = grep { $_->{msg} =~ /^Subject: \Q$tag\E\r$/m }
	    sink_messages($s->{sinkdir});
	my $tb = Test::More->builder;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	return $tb->ok(@m == 0, $name);
}

# swaks_send(server => $s, local => IP, helo => NAME, from => ADDR,
# to => 'a,b', tag => TAG, args => [more swaks options]) -> (exit code,
# output, the message as the sink should get it).  swaks ends the data
# with a CRLF of its own, so it gets the message without its last one.
sub swaks_send {
	my (%o) = @_;
	my $msg = message($o{tag});
	(my $data = $msg) =~ s/\r\n\z//;
	my $f = spew(tmp() . "/$o{tag}.swaks", $data);
	my ($code, $out) = swaks(server => $o{server},
	    local => $o{local} // '127.0.0.9', timeout => 20,
	    args => ['--ehlo', $o{helo} // 'client.example.org',
	    '--from', $o{from} // 'sender@example.org',
	    '--to', $o{to} // 'user@example.test', '--data', "\@$f",
	    @{$o{args} || []}]);
	return ($code, $out, $msg);
}

# Postfix's smtp-source: $n messages over LOAD_SESSIONS sessions from
# 127.0.0.1 with this HELO, sender and recipient; each must reach the
# sink untouched (the file's bytes, no header added) and the log must
# show no refusal and no warning for them.  Several assertions.
sub load_ok {
	my ($s, %o) = @_;
	my $n = $o{messages} // LOAD_MESSAGES;
	my $tag = $o{tag} // 'load';
	my $msg = message($tag);
	(my $lf = $msg) =~ s/\r\n/\n/g;	# smtp-source adds the CR itself
	my $file = spew(tmp() . "/$tag.msg", $lf);
	# the messages already there, by name (pid.n): sink pids wrap, so
	# their order says nothing about which came later
	my %before = map { ("$_->{pid}.$_->{n}" => 1) }
	    sink_messages($s->{sinkdir});
	my @argv = ('/usr/sbin/smtp-source', '-s', LOAD_SESSIONS, '-m', $n,
	    '-M', $o{helo} // 'client.example.org',
	    '-f', $o{from} // 'sender@example.org',
	    '-t', $o{rcpt} // 'user@example.test', '-F', $file,
	    "$s->{ip}:$s->{port}");
	my ($code, $out, $to) = run(argv => \@argv, timeout => LOAD_WAIT);
	my $tb = Test::More->builder;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	$tb->ok($code == 0 && !$to, "$tag: smtp-source ran $n messages " .
	    "without an error") or $tb->diag("exit $code: $out");
	my @m;
	wait_for(sub {
		@m = grep { !$before{"$_->{pid}.$_->{n}"} }
		    sink_messages($s->{sinkdir});
		@m >= $n;
	}, 10);
	my @new = @m;
	$tb->is_num(scalar(@new), $n, "$tag: $n messages reached the sink");
	# smtp-source ends the data with an empty line of its own.
	my @changed = grep { $_->{msg} ne "$msg\r\n" } @new;
	$tb->ok(!@changed, "$tag: every one byte for byte as sent") or
	    $tb->diag("first changed one:\n" . ($changed[0]{msg} // ''));
	my @bad = grep { / 127\.0\.0\.1: (?:reject|defer|drop|warn) / }
	    log_lines($s);
	$tb->ok(!@bad, "$tag: no refusal or warning logged for them") or
	    $tb->diag(join("\n", @bad[0 .. ($#bad < 5 ? $#bad : 5)]));
}

# Exactly one log line of the server matches; returns it (waits a
# little for it first).
sub log_one {
	my ($s, $re, $name) = @_;
	my @l = wait_log($s, $re, 5);
	my $tb = Test::More->builder;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	$tb->ok(@l == 1, $name) or $tb->diag(scalar(@l) . " lines match " .
	    "$re; log:\n" . log_text($s));
	return $l[0] // '';
}

# The rule= of a hit decided by a check's action, not by an entry of a
# list: the variable SMTPFRONT_<CHECK>_ACTION when the server $s has it,
# else "builtin" (a test whose rules set the action names the line).
sub action_rule {
	my ($s, $check) = @_;
	my $var = 'SMTPFRONT_' . uc($check) . '_ACTION';
	return exists(($s->{env} || {})->{$var}) ? $var : 'builtin';
}

# logged($s, event => 'reject', check => NAME, rule => RULE (exact; '-'
# for a hit decided by the check's action, see action_rule),
# cmd => CMD, code => N, esc => X.Y.Z, downgraded => 1, ip => client,
# name => assertion name): one assertion that exactly one line of that
# event names that check, and that it has these fields in the log's
# fixed order (downgraded=yes only when asked for).  Returns the line.
sub logged {
	my ($s, %o) = @_;
	my $ip = $o{ip} // '127.0.0.2';
	my $ev = $o{event} // 'reject';
	$o{rule} = action_rule($s, $o{check}) if ($o{rule} // '') eq '-' &&
	    $o{check} !~ /^(?:child|protocol|spool)$/;
	my @l = wait_log($s, qr/ \Q$ip\E: \Q$ev\E check=\Q$o{check}\E /, 5);
	my $re = ": \Q$ev\E check=\Q$o{check}\E rule=" .
	    (defined $o{rule} ? "\Q$o{rule}\E" : '\S+') .
	    (defined $o{cmd} ? " cmd=\Q$o{cmd}\E" : '') . ' .*';
	$re .= "code=\Q$o{code}\E " if defined $o{code};
	$re .= "esc=\Q$o{esc}\E(?: |\$)" if defined $o{esc};
	my $ok = @l == 1 && $l[0] =~ /$re/;
	$ok &&= $o{downgraded} ? $l[0] =~ / downgraded=yes$/
	    : $l[0] !~ /downgraded=/;
	my $tb = Test::More->builder;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	$tb->ok($ok, $o{name} // "log: $ev check=$o{check}") or
	    $tb->diag("want one line like /$re/, got:\n" .
	    join("\n", @l) . "\nlog:\n" . log_text($s));
	return $l[0] // '';
}

# No log line matches (after the session's summary line is there).
sub log_none {
	my ($s, $re, $name) = @_;
	wait_log($s, qr/: session /, 5);
	my @l = log_lines($s, $re);
	my $tb = Test::More->builder;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	return $tb->ok(!@l, $name) || $tb->diag(join("\n", @l));
}

# The summary line of the session of this client address.
sub summary_of {
	my ($s, $ip) = @_;
	my ($l) = wait_log($s, qr/ \Q$ip\E: session /, 5);
	return $l // '';
}

# SF::stop, once the sessions that ended have finished exiting (bounded):
# a sanitizer build checks for leaks at exit, and a session signalled
# in the middle of that takes seconds to go.
sub stop_settled {
	my ($s) = @_;
	wait_for(sub { SF::group_size($s->{pid}) <= 1 }, 3, 0.02) if $s && $s->{pid};
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	stop($s);
}

# A database smtpfront cannot use: 421 4.3.0 instead of the banner, the
# connection closed, a fatal: line in the log.  Several assertions.
sub refused_at_connect {
	my ($s, $name) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	my $tb = Test::More->builder;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	reply_is($c->reply, '421', '4.3.0', "$name: 421 4.3.0 at connect");
	$tb->ok($c->closed(5), "$name: connection closed");
	my @l = wait_log($s, qr/: fatal: /, 5);
	$tb->ok(@l == 1, "$name: one fatal: line in the log") or
	    $tb->diag(log_text($s));
	$tb->is_eq(sink_started($s->{sinkdir}) + 0, 0, "$name: no child started");
}

# held_suite: the cases shared by the checks whose hit is found at EHLO
# or MAIL and held until RCPT by default (delay_reject).  Options:
#   check    name (log field, SMTPFRONT_<CHECK>_ACTION)
#   rules    rule lines after "list rcpt_domain example.test" (line 1)
#   rule     the rule= expected in the log: '-', a word, or "LINE<n>"
#            for "<source>:<n>"
#   at       'EHLO' or 'MAIL': the command the hit is found at
#   hit      session options of the offending client (helo, from or
#            from_line); good: the same for a well-behaved one
#   swaks    swaks_send options of an offending swaks client, if any
#   code esc the reply; dcode desc its 4xx form (defer, downgrade)
#   text     regexp the reply text matches
#   env      environment for every server of the suite
#   load_helo  HELO name of smtp-source (from 127.0.0.1), if not good's
#   nodb     'hit' or 'pass': what the hit session gets at "at" with no
#            rules database at all (built-in defaults)
# Returns the compiled database and its source.
sub held_suite {
	my (%o) = @_;
	my $ck = $o{check};
	my ($db, $src) = rules($ck, 'list rcpt_domain example.test',
	    @{$o{rules} || []});
	my $rule = $o{rule} // '-';
	$rule = "$src:$1" if $rule =~ /^LINE(\d+)$/;
	my $env = $o{env} || {};
	my $server = sub {
		my (%e) = @_;
		return start_tcpserver(rules => $db, env => { %$env, %e });
	};
	my $var = 'SMTPFRONT_' . uc($ck) . '_ACTION';
	my %hit = %{$o{hit}};
	my %good = %{$o{good}};
	my $at = $o{at};
	my $tb = Test::More->builder;
	local $Test::Builder::Level = $Test::Builder::Level + 1;

	# hit: held until RCPT; postmaster and abuse exempt; relay control
	{
		my $s = $server->();
		my $msg = message("$ck-postmaster");
		my $r = session(server => $s, %hit, rcpts => [$RCPT,
		    'postmaster@example.test', 'abuse@example.test',
		    'postmaster@other.test'], msg => $msg);
		reply_is($r->{helo}, '250', undef, "$ck hit: EHLO answered 250")
		    if defined $hit{helo};
		reply_is($r->{mail}, '250', '2.1.0',
		    "$ck hit: MAIL answered 250 2.1.0 (refusal held)");
		reply_is($r->{rcpt}[0], $o{code}, $o{esc},
		    "$ck hit: RCPT gets $o{code} $o{esc}");
		$tb->like($r->{rcpt}[0]{last} // '', $o{text},
		    "$ck hit: the reply text of $ck");
		reply_is($r->{rcpt}[1], '250', '2.1.5',
		    "$ck hit: postmaster\@example.test accepted despite the held refusal");
		reply_is($r->{rcpt}[2], '250', '2.1.5',
		    "$ck hit: abuse\@example.test accepted despite the held refusal");
		reply_is($r->{rcpt}[3], '550', '5.7.1',
		    "$ck hit: postmaster\@other.test still refused by relay control");
		reply_is($r->{eod}, '250', '2.0.0',
		    "$ck hit: the message to postmaster and abuse accepted");
		my $l = logged($s, check => $ck, rule => $rule, cmd => 'RCPT',
		    code => $o{code}, esc => $o{esc},
		    name => "$ck hit: log reject check=$ck rule=$rule cmd=RCPT " .
		    "code=$o{code} esc=$o{esc}");
		$tb->like($l, qr/ rcpt=<\Q$RCPT\E> /,
		    "$ck hit: the log line names the recipient");
		logged($s, check => 'rcpt_domain', cmd => 'RCPT', code => 550,
		    esc => '5.7.1',
		    name => "$ck hit: the relay refusal is rcpt_domain's");
		delivered($s, $msg,
		    "$ck hit: the message reached postmaster and abuse byte for byte");
		my @m = grep { $_->{msg} eq $msg } sink_messages($s->{sinkdir});
		$tb->like($m[0]{env} // '', qr/\AMAIL FROM:<[^\n]*>\nRCPT TO:<postmaster\@example\.test>\nRCPT TO:<abuse\@example\.test>\n\z/,
		    "$ck hit: the child got postmaster and abuse only");
		$tb->like(summary_of($s, '127.0.0.2'),
		    qr/ rcpts=2 msgs=1 verdict=reject rule=/,
		    "$ck hit: the summary counts the refusal and the delivery");
		if ($o{swaks}) {
			my ($code, $out) = swaks_send(server => $s,
			    %{$o{swaks}}, tag => "$ck-swaks-hit");
			$tb->is_num($code, 24,
			    "$ck hit: swaks exits 24 (no recipient accepted)");
			$tb->like($out, qr/^<\*\* \Q$o{code} $o{esc}\E /m,
			    "$ck hit: swaks saw $o{code} $o{esc}");
			not_delivered($s, "$ck-swaks-hit",
			    "$ck hit: nothing delivered for swaks");
		}
		stop_settled($s);
	}

	# no hit: the message arrives untouched, under load too
	{
		my $s = $server->();
		my $msg = message("$ck-nohit");
		my $r = session(server => $s, %good, rcpts => [$RCPT],
		    msg => $msg);
		reply_is($r->{rcpt}[0], '250', '2.1.5', "$ck no hit: RCPT accepted");
		reply_is($r->{eod}, '250', '2.0.0', "$ck no hit: message accepted");
		delivered($s, $msg, "$ck no hit: message arrived byte for byte");
		my ($code, $out, $smsg) = swaks_send(server => $s,
		    local => '127.0.0.2',
		    helo => $good{helo} // $GOOD, from => $good{from} // $FROM,
		    tag => "$ck-swaks-good");
		$tb->is_num($code, 0, "$ck no hit: swaks delivers (exit 0)") or
		    $tb->diag($out);
		delivered($s, $smsg, "$ck no hit: swaks message arrived byte for byte");
		load_ok($s, tag => "$ck-load",
		    helo => $o{load_helo} // $good{helo} // $GOOD,
		    from => $good{from} // $FROM);
		log_none($s, qr/check=\Q$ck\E /, "$ck no hit: nothing logged by $ck");
		stop_settled($s);
	}

	# the rules keys absent: no database at all; the action from the database
	{
		my $s = start_tcpserver(env => { %$env,
		    SMTPFRONT_DELAY_REJECT => 'no' });
		my $r = session(server => $s, %hit);
		my $got = $at eq 'EHLO' ? $r->{helo} : $r->{mail};
		if ($o{nodb} eq 'hit') {
			reply_is($got, $o{code}, $o{esc},
			    "$ck no database: built-in default action reject " .
			    "($o{code} $o{esc} at $at)");
			logged($s, check => $ck, cmd => $at, code => $o{code},
			    esc => $o{esc}, name => "$ck no database: logged");
		} else {
			reply_is($got, '250', undef,
			    "$ck no database: nothing to refuse ($at passes)");
			log_none($s, qr/check=\Q$ck\E /,
			    "$ck no database: nothing logged by $ck");
		}
		stop_settled($s);
		my ($wdb) = rules("$ck-warn", 'list rcpt_domain example.test',
		    @{$o{rules} || []}, "set ${ck}_action warn");
		$s = start_tcpserver(rules => $wdb, env => $env);
		my $msg = message("$ck-dbwarn");
		$r = session(server => $s, %hit, rcpts => [$RCPT], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0',
		    "$ck set ${ck}_action warn in the rules: accepted");
		delivered($s, warn_header($ck) . $msg,
		    "$ck set ${ck}_action warn: delivered with the warn header");
		stop_settled($s);
	}

	# database unreadable or corrupt: 421 4.3.0 at connect
	unreadable_db($ck, $db,
	    sub { start_tcpserver(rules => $_[0], env => $env) });

	# the downgrade rule: allow_ip's lookup fails (open) at connect
	{
		my ($adb) = rules("$ck-allowip", 'list rcpt_domain example.test',
		    @{$o{rules} || []}, 'list allow_ip 192.0.2.99');
		my $s = start_tcpserver(rules => cdb_break($adb, 'n:allow_ip'),
		    env => $env);
		my $r = session(server => $s, %hit, rcpts => [$RCPT]);
		reply_is($r->{rcpt}[0], $o{dcode}, $o{desc},
		    "$ck downgrade: $o{code} $o{esc} becomes $o{dcode} $o{desc} " .
		    "after a failed lookup");
		logged($s, event => 'defer', check => $ck, cmd => 'RCPT',
		    code => $o{dcode}, esc => $o{desc}, downgraded => 1,
		    name => "$ck downgrade: logged as defer ... downgraded=yes");
		my $msg = message("$ck-broken-good");
		$r = session(server => $s, %good, rcpts => [$RCPT], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0',
		    "$ck downgrade: a good client still passes (fail open)");
		delivered($s, $msg, "$ck downgrade: its message arrived byte for byte");
		stop_settled($s);

		# the action drop after a failed lookup: 421, not the 5xx
		$s = start_tcpserver(rules => cdb_break($adb, 'n:allow_ip'),
		    env => { %$env, $var => 'drop' });
		my $c = client(server => $s, local => '127.0.0.2');
		$c->reply;
		my $got;
		if ($at eq 'EHLO') {
			$got = $c->cmd("EHLO $hit{helo}");
		} else {
			$c->cmd(defined $hit{helo} ? "EHLO $hit{helo}" : 'NOOP');
			$got = $c->cmd($hit{from_line} // "MAIL FROM:<$hit{from}>");
		}
		reply_is($got, '421', '4.7.0',
		    "$ck downgrade: drop after a failed lookup says 421 4.7.0");
		$tb->ok($c->closed(5), "$ck downgrade: drop: connection closed");
		logged($s, event => 'drop', check => $ck, cmd => $at, code => 421,
		    esc => '4.7.0', downgraded => 1,
		    name => "$ck downgrade: drop logged with downgraded=yes");
		stop_settled($s);
	}

	# warn mode
	{
		my $s = $server->($var => 'warn');
		my $msg = message("$ck-warn");
		my $r = session(server => $s, %hit, rcpts => [$RCPT], msg => $msg);
		reply_is($r->{rcpt}[0], '250', '2.1.5', "$ck warn: RCPT accepted");
		reply_is($r->{eod}, '250', '2.0.0', "$ck warn: message accepted");
		delivered($s, warn_header($ck) . $msg,
		    "$ck warn: delivered with X-Smtpfront-Warn: $ck, byte for byte");
		logged($s, event => 'warn', check => $ck, rule => $rule,
		    cmd => $at, name => "$ck warn: log warn check=$ck cmd=$at");
		log_none($s, qr/ (?:reject|defer|drop) check=/,
		    "$ck warn: no refusal logged");
		stop_settled($s);
	}

	# the actions defer, drop and off
	{
		my $s = $server->($var => 'defer');
		my $r = session(server => $s, %hit,
		    rcpts => [$RCPT, 'postmaster@example.test']);
		reply_is($r->{rcpt}[0], $o{dcode}, $o{desc},
		    "$ck defer: $o{dcode} $o{desc} at RCPT");
		reply_is($r->{rcpt}[1], '250', '2.1.5',
		    "$ck defer: postmaster still accepted");
		logged($s, event => 'defer', check => $ck, rule => $rule,
		    cmd => 'RCPT', code => $o{dcode}, esc => $o{desc},
		    name => "$ck defer: logged");
		stop_settled($s);

		$s = $server->($var => 'drop');
		my $c = client(server => $s, local => '127.0.0.2');
		$c->reply;
		my $got;
		if ($at eq 'EHLO') {
			$got = $c->cmd("EHLO $hit{helo}");
		} else {
			$c->cmd(defined $hit{helo} ? "EHLO $hit{helo}" : 'NOOP');
			$got = $c->cmd($hit{from_line} // "MAIL FROM:<$hit{from}>");
		}
		reply_is($got, $o{code}, $o{esc},
		    "$ck drop: refused at $at at once");
		$tb->ok($c->closed(5), "$ck drop: connection closed after the reply");
		logged($s, event => 'drop', check => $ck, rule => $rule,
		    cmd => $at, code => $o{code}, esc => $o{esc},
		    name => "$ck drop: logged");
		$tb->is_num(sink_started($s->{sinkdir}) + 0, 0,
		    "$ck drop: no child started");
		stop_settled($s);

		$s = $server->($var => '');
		my $msg = message("$ck-off");
		$r = session(server => $s, %hit, rcpts => [$RCPT], msg => $msg);
		reply_is($r->{eod}, '250', '2.0.0', "$ck off (empty variable): accepted");
		delivered($s, $msg, "$ck off: delivered without a header");
		log_none($s, qr/check=\Q$ck\E /, "$ck off: nothing logged");
		stop_settled($s);
	}

	# delay_reject=no: refused at once, and no mail goes through after it
	{
		my $s = $server->(SMTPFRONT_DELAY_REJECT => 'no');
		my $r = session(server => $s, %hit, rcpts => [$RCPT],
		    msg => message("$ck-nodelay"));
		my $got = $at eq 'EHLO' ? $r->{helo} : $r->{mail};
		reply_is($got, $o{code}, $o{esc},
		    "$ck delay_reject=no: $o{code} $o{esc} at $at");
		logged($s, check => $ck, rule => $rule, cmd => $at,
		    code => $o{code}, esc => $o{esc},
		    name => "$ck delay_reject=no: logged at $at");
		my $later = $at eq 'EHLO' ? $r->{mail} : $r->{rcpt}[0];
		my $refused = grep { $_ && $_->{code} =~ /^[45]/ }
		    $later, $r->{rcpt}[0];
		$tb->ok($refused > 0,
		    "$ck delay_reject=no: no recipient accepted after the refusal");
		not_delivered($s, "$ck-nodelay",
		    "$ck delay_reject=no: nothing delivered after the refusal");
		stop_settled($s);
	}

	# a held refusal is re-decided by a new greeting (EHLO) or a new
	# transaction (MAIL)
	{
		my $s = $server->();
		my $c = client(server => $s, local => '127.0.0.2');
		$c->reply;
		$c->cmd("EHLO $hit{helo}") if defined $hit{helo};
		if ($at eq 'MAIL') {
			$c->cmd($hit{from_line} // "MAIL FROM:<$hit{from}>");
			reply_is($c->cmd("RCPT TO:<$RCPT>"), $o{code}, $o{esc},
			    "$ck re-decide: refused in the first transaction");
			reply_is($c->cmd('RSET'), '250', '2.0.0', "$ck re-decide: RSET");
			$c->cmd("EHLO $good{helo}") if defined $good{helo} &&
			    !defined $hit{helo};
		} else {
			reply_is($c->cmd("EHLO $good{helo}"), '250', undef,
			    "$ck re-decide: a second EHLO");
		}
		reply_is($c->cmd($good{from_line} // "MAIL FROM:<$good{from}>"),
		    '250', '2.1.0', "$ck re-decide: MAIL");
		reply_is($c->cmd("RCPT TO:<$RCPT>"), '250', '2.1.5',
		    "$ck re-decide: the refusal no longer holds");
		reply_is($c->cmd('QUIT'), '221', '2.0.0', "$ck re-decide: QUIT");
		stop_settled($s);
	}
	return ($db, $src);
}

# The envelopes of lookup_suite and allow_suite: local (the client
# address), helo ($GOOD), from ($FROM; '' for <>), rcpt (an address or a
# list; $RCPT); rcpts is the list.
sub envelope {
	my ($e, $local) = @_;
	my %e = (local => $local, helo => $GOOD, from => $FROM, %{$e || {}});
	$e{rcpt} //= $RCPT;
	$e{rcpts} = ref($e{rcpt}) ? [@{$e{rcpt}}] : [$e{rcpt}];
	return \%e;
}

# The envelope the sink records for envelope e and recipients r.
sub sink_env {
	my ($e, @r) = @_;
	return "MAIL FROM:<$e->{from}>\n" .
	    join('', map { "RCPT TO:<$_>\n" } @r);
}

# A session of envelope e with recipients r (default its own), and
# message msg if defined.
sub env_session {
	my ($s, $e, $msg, @r) = @_;
	return session(server => $s, local => $e->{local}, helo => $e->{helo},
	    from => $e->{from}, rcpts => @r ? \@r : $e->{rcpts}, msg => $msg);
}

# swaks wants <> for the null sender.
sub swaks_from { return $_[0]{from} eq '' ? '<>' : $_[0]{from} }


# The database unreadable or corrupt (a wrong version, truncated, a
# directory): every connection of servers started by $server->(DB) gets
# 421 4.3.0 at connect.
sub unreadable_db {
	my ($ck, $db, $server) = @_;
	for my $bad (['wrong version', cdb_version($db)],
	    ['truncated database', cdb_truncated($db)],
	    ['a directory as database', tmp()]) {
		my $s = $server->($bad->[1]);
		refused_at_connect($s, "$ck $bad->[0]");
		stop_settled($s);
	}
}

# lookup_suite: the cases every check refused at RCPT or DATA shares,
# whether its hit comes from a lookup of the recipient (rcpt_users,
# rcpt_domain), of the client or sender at that command (the DNS lists,
# RHSBL, greylisting) or from the transaction (bounce_multi).  Cases,
# each against the real binary under tcpserver, with the sink as child:
#   hit         refused at "at" with code esc and the text; exactly one
#               reject line (three with exempt 0) naming the check, the
#               rule, cmd, helo, from, rcpt, code, esc, reason; postmaster@
#               and abuse@ of the hit domain still accepted (exempt 1) or
#               refused alike (exempt 0); the next recipient accepted;
#               the child never hears of a refused one; the message
#               arrives byte for byte for the accepted ones only; the
#               session summary; swaks refused the same way
#   no hit      good's envelope delivered byte for byte, swaks too, an
#               smtp-source load untouched; nothing logged by the check
#   absent      rules without the check's entries (absent), and no
#               database at all (nodb): the hit envelope is delivered,
#               nothing logged by the check
#   corrupt     wrong version, truncated, a directory: 421 4.3.0 at
#               connect, no child started
#   broken      one lookup of the check fails (broken): the documented
#               defer, dcode desc with reason="rules database error"
#               (fails closed) or a pass (fails open); never a 5xx; a
#               later hit in that session downgraded; refused mail never
#               delivered
#   downgrade   allow_ip's lookup fails at connect: the hit is dcode desc,
#               logged as defer ... downgraded=yes; drop says 421 4.7.0
#   warn        from the variable and from "set CHECK_action warn":
#               delivered with X-Smtpfront-Warn and a warn line (warn
#               'reject': the action warn is taken as reject, no warn line)
#   defer drop off delay_reject=no   the actions, and the same reply
#               when refusals are not held
# Options:
#   check      name (log field, SMTPFRONT_<CHECK>_ACTION)
#   rules      every rule line (compiled as they are)
#   rule       the rule= expected in the log: '-' (default), a word, or
#              "LINE<n>" for "<source>:<n>"
#   at         'RCPT' (default) or 'DATA': the command refused
#   hit good   envelopes: local (127.0.0.2; good's default 127.0.0.3),
#              helo ($GOOD), from ($FROM, '' for <>), rcpt (an address
#              or a list; $RCPT)
#   next       a recipient tried after the hit and accepted (RCPT only)
#   exempt     1 (default): postmaster and abuse pass despite the hit
#   code esc   the reply; dcode desc its 4xx form; text its regexp;
#   reason     the log's reason="..."
#   absent     rule lines without the check's entries; nodb: envelope
#              changes under which the hit passes with no database, or
#              is still refused with nodb_refused 1 (a built-in default)
#   broken     { key => database key, rcpt => a recipient whose lookup
#              reads it, next => one that still passes, fails => 'closed'
#              or 'open' }
#   warn       'header' (default) or 'reject'
#   env        environment of every server; server: more options of
#              start_tcpserver (tcpserver => [...], ip => ...)
#   setup      called first; may return a hash of environment to add
#              (a DNS server's address); teardown: called last (if the
#              test dies first, SF.pm's END stops what SF.pm started)
# Returns the compiled database and its source.  A new check's test:
#   lookup_suite(check => 'rhsbl', rule => 'LINE2', rules =>
#       ['list rcpt_domain example.test', 'list rhsbl bl.test'],
#       hit => { from => 'x@listed.test' }, good => {}, text => qr/listed/,
#       code => '554', esc => '5.7.1', dcode => '451', desc => '4.7.1',
#       setup => \&dns_start, teardown => \&dns_stop);
sub lookup_suite {
	my (%o) = @_;
	my $ck = $o{check};
	my $at = $o{at} // 'RCPT';
	my $exempt = $o{exempt} // 1;
	my $warn = $o{warn} // 'header';
	my %env = %{$o{env} || {}};
	if ($o{setup}) {
		my $e = $o{setup}->();
		%env = (%env, %$e) if ref($e) eq 'HASH';
	}
	my ($db, $src) = rules($ck, @{$o{rules}});
	my $rule = $o{rule} // '-';
	$rule = "$src:$1" if $rule =~ /^LINE(\d+)$/;
	my $var = 'SMTPFRONT_' . uc($ck) . '_ACTION';
	my $server = sub {
		my ($rules, %e) = @_;
		return start_tcpserver(%{$o{server} || {}},
		    (defined $rules ? (rules => $rules) : ()),
		    env => { %env, %e });
	};
	my $hit = envelope($o{hit}, '127.0.0.2');
	my $good = envelope($o{good}, '127.0.0.3');
	my @hr = @{$hit->{rcpts}};
	my $dom = $hr[-1] =~ /\@([^@]+)\z/ ? $1 : 'example.test';
	my @pa = ("postmaster\@$dom", "abuse\@$dom");
	my @next = $at eq 'RCPT' && defined $o{next} ? ($o{next}) : ();
	my $tb = Test::More->builder;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	# the reply to the refused command: the last hit recipient or DATA
	my $refusal = sub {
		my ($r) = @_;
		return $at eq 'DATA' ? $r->{data} : $r->{rcpt}[$#hr];
	};
	# hit refused by hand up to the refusal, for the action drop
	my $by_hand = sub {
		my ($s) = @_;
		my $c = client(server => $s, local => $hit->{local});
		$c->start($hit->{helo});
		$c->cmd("MAIL FROM:<$hit->{from}>");
		my $r;
		$r = $c->cmd("RCPT TO:<$_>") for @hr;
		$r = $c->cmd('DATA') if $at eq 'DATA';
		return ($c, $r);
	};
	# the rule= of a line on server $s: '-' is the action's (action_rule)
	my $logre = sub {
		my ($ev, $code, $esc, $s) = @_;
		my $r = $rule eq '-' ? action_rule($s, $ck) : $rule;
		return ": \Q$ev\E check=\Q$ck\E rule=\Q$r\E cmd=\Q$at\E " .
		    "helo=\Q$hit->{helo}\E from=<\Q$hit->{from}\E> " .
		    ($at eq 'RCPT' ? "rcpt=<\Q$hr[-1]\E> " : '.*') .
		    "code=\Q$code\E esc=\Q$esc\E" .
		    (defined $o{reason} ? " reason=\"\Q$o{reason}\E\""
		    : '(?: reason="[^"]*")?');
	};

	# hit: refused; postmaster and abuse; the transaction goes on
	{
		my $s = $server->($db);
		my $msg = message("$ck-hit");
		my @tried = $at eq 'RCPT' ? (@hr, @pa, @next) : @hr;
		my $r = env_session($s, $hit, $msg, @tried);
		my $ref = $refusal->($r);
		reply_is($r->{mail}, '250', '2.1.0', "$ck hit: MAIL accepted");
		reply_is($ref, $o{code}, $o{esc},
		    "$ck hit: $at gets $o{code} $o{esc}");
		$tb->like($ref->{last} // '', $o{text}, "$ck hit: the reply text");
		my @ok = @next;
		if ($at eq 'RCPT') {
			for my $i (0, 1) {
				my $got = $r->{rcpt}[@hr + $i];
				if ($exempt) {
					reply_is($got, '250', '2.1.5',
					    "$ck hit: $pa[$i] accepted despite the refusal");
				} else {
					reply_is($got, $o{code}, $o{esc},
					    "$ck hit: $pa[$i] refused too");
				}
			}
			@ok = ($exempt ? @pa : (), @next);
			reply_is($r->{rcpt}[-1], '250', '2.1.5',
			    "$ck hit: $next[0] next is accepted") if @next;
		} else {
			reply_is($r->{rcpt}[$_], '250', '2.1.5',
			    "$ck hit: RCPT $hr[$_] accepted") for 0 .. $#hr;
		}
		if (@ok) {
			reply_is($r->{eod}, '250', '2.0.0', "$ck hit: message accepted");
			delivered($s, $msg, "$ck hit: arrived byte for byte, " .
			    'for the accepted recipients only',
			    env => sink_env($hit, @ok));
		} else {
			not_delivered($s, "$ck-hit", "$ck hit: nothing delivered");
		}
		my $n = $at eq 'RCPT' && !$exempt ? 3 : 1;
		my @l = wait_log($s, qr/ \Q$hit->{local}\E: reject check=\Q$ck\E /,
		    5, $n);
		$tb->is_num(scalar(@l), $n,
		    "$ck hit: one reject line per refused " .
		    ($at eq 'RCPT' ? 'recipient' : 'command'));
		my $re = $logre->('reject', $o{code}, $o{esc}, $s);
		$tb->like($l[0] // '', qr/$re$/,
		    "$ck hit: log reject check=$ck rule=$rule cmd=$at ... " .
		    "code=$o{code} esc=$o{esc}");
		if ($at eq 'RCPT') {
			my @refused = ($hr[-1], $exempt ? () : @pa);
			$tb->is_num(scalar(grep { my $l = $_;
			    grep { index(lc($l), lc($_)) >= 0 } @refused }
			    sink_log($s->{sinkdir})), 0,
			    "$ck hit: the child never heard of a refused recipient");
		}
		my ($nr, $nm) = $at eq 'DATA' ? (scalar(@hr), 0)
		    : (scalar(@ok), @ok ? 1 : 0);
		$tb->like(summary_of($s, $hit->{local}),
		    qr/ rcpts=$nr msgs=$nm verdict=reject /,
		    "$ck hit: the summary counts the refusal");
		my ($code, $out) = swaks_send(server => $s, local => $hit->{local},
		    helo => $hit->{helo}, from => swaks_from($hit),
		    to => join(',', @hr), tag => "$ck-swaks-hit");
		$tb->is_num($code, $at eq 'DATA' ? 25 : 24,
		    "$ck hit: swaks exits " . ($at eq 'DATA' ? 25 : 24)) or
		    $tb->diag($out);
		$tb->like($out, qr/^<\*\* \Q$o{code} $o{esc}\E /m,
		    "$ck hit: swaks saw $o{code} $o{esc}");
		not_delivered($s, "$ck-swaks-hit", "$ck hit: nothing delivered for swaks");
		stop_settled($s);
	}

	# no hit: delivered untouched, under load too
	{
		my $s = $server->($db);
		my $msg = message("$ck-nohit");
		my $r = env_session($s, $good, $msg);
		reply_is($r->{rcpt}[$_], '250', '2.1.5',
		    "$ck no hit: RCPT $good->{rcpts}[$_] accepted")
		    for 0 .. $#{$good->{rcpts}};
		reply_is($r->{eod}, '250', '2.0.0', "$ck no hit: message accepted");
		delivered($s, $msg, "$ck no hit: arrived byte for byte",
		    env => sink_env($good, @{$good->{rcpts}}));
		my ($code, $out, $smsg) = swaks_send(server => $s,
		    local => $good->{local}, helo => $good->{helo},
		    from => swaks_from($good),
		    to => join(',', @{$good->{rcpts}}), tag => "$ck-swaks-good");
		$tb->is_num($code, 0, "$ck no hit: swaks delivers (exit 0)") or
		    $tb->diag($out);
		delivered($s, $smsg, "$ck no hit: swaks message arrived byte for byte");
		load_ok($s, tag => "$ck-load", helo => $good->{helo},
		    from => $good->{from}, rcpt => $good->{rcpts}[0])
		    if $good->{from} ne '' && @{$good->{rcpts}} == 1;
		log_none($s, qr/check=\Q$ck\E /, "$ck no hit: nothing logged by $ck");
		stop_settled($s);
	}

	# the rules keys absent, and no database at all: the child decides
	# (or, with nodb_refused, the built-in default still refuses)
	for my $case ($o{absent} ? ['without its entries',
	    (rules("$ck-absent", @{$o{absent}}))[0], $hit, 0] : (),
	    $o{nodb} ? ['no database', undef,
	    envelope({ %{$o{hit} || {}}, %{$o{nodb}} }, '127.0.0.2'),
	    $o{nodb_refused}] : ()) {
		my ($what, $rules, $e, $refused) = @$case;
		my $s = $server->($rules);
		my $msg = message("$ck-absent-$what");
		my $r = env_session($s, $e, $msg);
		if ($refused) {
			reply_is($r->{rcpt}[$_], '250', '2.1.5',
			    "$ck $what: RCPT $e->{rcpts}[$_] accepted")
			    for $at eq 'DATA' ? 0 .. $#{$e->{rcpts}} : ();
			my $got = $at eq 'DATA' ? $r->{data} : $r->{rcpt}[-1];
			reply_is($got, $o{code}, $o{esc}, "$ck $what: the " .
			    "built-in default refuses ($o{code} $o{esc} at $at)");
			not_delivered($s, "$ck-absent-$what",
			    "$ck $what: nothing delivered");
			logged($s, ip => $hit->{local}, check => $ck, cmd => $at, code => $o{code},
			    esc => $o{esc}, name => "$ck $what: logged");
		} else {
			reply_is($r->{eod}, '250', '2.0.0',
			    "$ck $what: <@{$e->{rcpts}}> goes to the child");
			delivered($s, $msg, "$ck $what: arrived byte for byte",
			    env => sink_env($e, @{$e->{rcpts}}));
			log_none($s, qr/check=\Q$ck\E /,
			    "$ck $what: nothing logged by $ck");
		}
		stop_settled($s);
	}

	# database unreadable or corrupt: 421 4.3.0 at connect
	unreadable_db($ck, $db, $server);

	# one lookup of the check fails: the documented defer (or a pass),
	# never a 5xx; a later hit in the session is downgraded
	if (my $b = $o{broken}) {
		my $s = $server->(cdb_break($db, $b->{key}));
		my $msg = message("$ck-broken");
		my @pass = grep { defined } $b->{next}, $exempt && $at eq 'RCPT'
		    ? $pa[0] : undef;
		my $closed = ($b->{fails} // 'closed') eq 'closed';
		my $r = env_session($s, $hit, $msg, $b->{rcpt}, @pass, @hr);
		if ($closed) {
			reply_is($r->{rcpt}[0], $o{dcode}, $o{desc},
			    "$ck broken $b->{key}: $o{dcode} $o{desc} (fails closed)");
		} else {
			reply_is($r->{rcpt}[0], '250', '2.1.5',
			    "$ck broken $b->{key}: passes (fails open)");
		}
		reply_is($r->{rcpt}[1 + $_], '250', '2.1.5',
		    "$ck broken lookup: <$pass[$_]> still passes") for 0 .. $#pass;
		my $later = $at eq 'DATA' ? $r->{data} : $r->{rcpt}[-1];
		reply_is($later, $o{dcode}, $o{desc}, "$ck broken lookup: a " .
		    "later hit ($o{code} $o{esc}) becomes $o{dcode} $o{desc}");
		my @five = grep { $_ && $_->{code} =~ /^5/ } $r->{mail},
		    @{$r->{rcpt}}, $at eq 'DATA' ? $r->{data} : (), $r->{eod};
		$tb->ok(!@five, "$ck broken lookup: no 5xx in that session") or
		    $tb->diag(join("\n", map { $_->{last} } @five));
		my @ok = (($closed ? () : $b->{rcpt}), @pass);
		if (@ok && $at eq 'RCPT') {
			reply_is($r->{eod}, '250', '2.0.0',
			    "$ck broken lookup: message accepted");
			delivered($s, $msg, "$ck broken lookup: arrived byte for " .
			    'byte, for the recipients that passed only',
			    env => sink_env($hit, @ok));
		} else {
			not_delivered($s, "$ck-broken",
			    "$ck broken lookup: nothing delivered");
		}
		my $n = $closed ? 2 : 1;
		my @l = wait_log($s, qr/ defer check=\Q$ck\E /, 5, $n);
		$tb->is_num(scalar(@l), $n, "$ck broken lookup: $n defer line(s) logged");
		my $why = " rcpt=<\Q$b->{rcpt}\E> code=\Q$o{dcode}\E " .
		    "esc=\Q$o{desc}\E reason=\"rules database error\"\$";
		$tb->like($l[0] // '', qr/$why/,
		    "$ck broken lookup: the defer says why, and is no downgrade")
		    if $closed;
		my $re = $logre->('defer', $o{dcode}, $o{desc}, $s);
		$tb->like($l[-1] // '', qr/$re downgraded=yes$/,
		    "$ck broken lookup: the later hit is logged downgraded=yes");
		stop_settled($s);
	}

	# the downgrade rule: allow_ip's lookup fails (open) at connect
	{
		my ($adb) = rules("$ck-allowip", @{$o{rules}},
		    'list allow_ip 192.0.2.99');
		my $broken = cdb_break($adb, 'n:allow_ip');
		my $s = $server->($broken);
		my $msg = message("$ck-downgrade");
		my $r = env_session($s, $hit, $msg, @hr, @next);
		reply_is($refusal->($r), $o{dcode}, $o{desc},
		    "$ck downgrade: $o{code} $o{esc} becomes $o{dcode} $o{desc} " .
		    'after a failed lookup');
		reply_is($r->{rcpt}[-1], '250', '2.1.5',
		    "$ck downgrade: $next[0] accepted") if @next;
		logged($s, ip => $hit->{local}, event => 'defer', check => $ck, rule => $rule,
		    cmd => $at, code => $o{dcode}, esc => $o{desc},
		    downgraded => 1, name => "$ck downgrade: logged downgraded=yes");
		$msg = message("$ck-downgrade-good");
		$r = env_session($s, $good, $msg);
		reply_is($r->{eod}, '250', '2.0.0',
		    "$ck downgrade: a good client still passes");
		delivered($s, $msg, "$ck downgrade: its message arrived byte for byte");
		stop_settled($s);

		$s = $server->($broken, $var => 'drop');
		my ($c, $got) = $by_hand->($s);
		reply_is($got, '421', '4.7.0',
		    "$ck downgrade: drop after a failed lookup says 421 4.7.0");
		$tb->ok($c->closed(5), "$ck downgrade: drop: connection closed");
		logged($s, ip => $hit->{local}, event => 'drop', check => $ck, cmd => $at, code => 421,
		    esc => '4.7.0', downgraded => 1,
		    name => "$ck downgrade: drop logged downgraded=yes");
		stop_settled($s);
	}

	# warn mode, from the variable and from the rules
	my ($wdb, $wsrc) = rules("$ck-warn", @{$o{rules}}, "set ${ck}_action warn");
	# ('-': the action decides, and the set line is the last one)
	for my $case (['warn', $db, $rule, $var => 'warn'],
	    ["set ${ck}_action warn", $wdb,
	    $rule =~ /^\Q$src\E(:\d+)$/ ? "$wsrc$1" : $rule eq '-' ?
	    "$wsrc:" . (@{$o{rules}} + 1) : $rule]) {
		my ($w, $wd, $wrule, %e) = @$case;
		my $s = $server->($wd, %e);
		my $msg = message("$ck-$w");
		my $r = env_session($s, $hit, $msg, @hr, @next);
		if ($warn eq 'header') {
			reply_is($refusal->($r), $at eq 'DATA' ? '354' : '250',
			    undef, "$ck $w: $at accepted");
			reply_is($r->{eod}, '250', '2.0.0', "$ck $w: message accepted");
			delivered($s, warn_header($ck) . $msg,
			    "$ck $w: delivered with X-Smtpfront-Warn: $ck, " .
			    'byte for byte', env => sink_env($hit, @hr, @next));
			logged($s, ip => $hit->{local}, event => 'warn', check => $ck, rule => $wrule,
			    cmd => $at, name => "$ck $w: log warn check=$ck cmd=$at");
			log_none($s, qr/ (?:reject|defer|drop) check=/,
			    "$ck $w: no refusal logged");
		} else {
			reply_is($refusal->($r), $o{code}, $o{esc},
			    "$ck $w: still refused ($o{code} $o{esc})");
			reply_is($r->{rcpt}[-1], '250', '2.1.5',
			    "$ck $w: $next[0] accepted") if @next;
			if (@next) {
				delivered($s, $msg, "$ck $w: the message arrived " .
				    'for the accepted recipients only, no header',
				    env => sink_env($hit, @next));
			} else {
				not_delivered($s, "$ck-$w", "$ck $w: nothing delivered");
			}
			logged($s, ip => $hit->{local}, check => $ck, rule => $wrule, cmd => $at,
			    code => $o{code}, esc => $o{esc},
			    name => "$ck $w: logged as a reject");
			log_none($s, qr/ warn check=/, "$ck $w: no warn line");
		}
		stop_settled($s);
	}

	# the actions defer, drop and off; delay_reject=no changes nothing
	{
		my $s = $server->($db, $var => 'defer');
		my @more = ($exempt && $at eq 'RCPT' ? $pa[0] : (), @next);
		my $r = env_session($s, $hit,
		    $at eq 'DATA' ? message("$ck-defer") : undef, @hr, @more);
		reply_is($refusal->($r), $o{dcode}, $o{desc},
		    "$ck defer: $o{dcode} $o{desc} at $at");
		reply_is($r->{rcpt}[@hr + $_], '250', '2.1.5',
		    "$ck defer: $more[$_] still accepted") for 0 .. $#more;
		logged($s, ip => $hit->{local}, event => 'defer', check => $ck, rule => $rule,
		    cmd => $at, code => $o{dcode}, esc => $o{desc},
		    name => "$ck defer: logged");
		stop_settled($s);

		$s = $server->($db, $var => 'drop');
		my ($c, $got) = $by_hand->($s);
		reply_is($got, $o{code}, $o{esc}, "$ck drop: $o{code} $o{esc}");
		$tb->ok($c->closed(5), "$ck drop: connection closed");
		logged($s, ip => $hit->{local}, event => 'drop', check => $ck, rule => $rule,
		    cmd => $at, code => $o{code}, esc => $o{esc},
		    name => "$ck drop: logged");
		$tb->is_num(scalar(sink_messages($s->{sinkdir})), 0,
		    "$ck drop: nothing delivered");
		stop_settled($s);

		$s = $server->($db, $var => '');
		my $msg = message("$ck-off");
		$r = env_session($s, $hit, $msg);
		reply_is($r->{eod}, '250', '2.0.0', "$ck off (empty variable): accepted");
		delivered($s, $msg, "$ck off: delivered without a header",
		    env => sink_env($hit, @hr));
		log_none($s, qr/check=\Q$ck\E /, "$ck off: nothing logged");
		stop_settled($s);

		$s = $server->($db, SMTPFRONT_DELAY_REJECT => 'no');
		$r = env_session($s, $hit, message("$ck-nodelay"));
		reply_is($refusal->($r), $o{code}, $o{esc},
		    "$ck delay_reject=no: the same $o{code} $o{esc} at $at");
		not_delivered($s, "$ck-nodelay",
		    "$ck delay_reject=no: nothing delivered");
		stop_settled($s);
	}
	$o{teardown}->() if $o{teardown};
	return ($db, $src);
}

# allow_suite: the cases every allowlist of the transaction shares
# (allow_sender at MAIL, allow_rcpt at RCPT): its hit is an accept, and
# what it skips is another check's refusal.  Cases, each against the
# real binary under tcpserver with the sink as child:
#   hit         accepted, delivered byte for byte, one "accept check=NAME
#               rule=FILE:LINE cmd=AT" line naming the address, no
#               refusal by "by"; swaks delivers; an smtp-source load
#   no hit      miss's envelope refused by "by" (code esc), logged by it;
#               no accept logged
#   absent      rules without its entries: the hit envelope refused by
#               "by", nothing logged by the check
#   no action   "set NAME_action" refused by smtpfront-cdb with
#               file:line; SMTPFRONT_NAME_ACTION=off changes nothing
#   corrupt     wrong version, truncated, a directory: 421 4.3.0
#   broken      the lookup of the hit's entry fails: not allowlisted
#               (fails open), by's refusal comes as dcode desc logged
#               downgraded=yes, never a 5xx, nothing delivered; another
#               entry (broken's next) still allowlists
#   warned      with the checks it skips in warn mode: no header for the
#               hit, X-Smtpfront-Warn: those checks for the miss
#   delay_reject=no   the hit still accepted
# Options: check, rules, rule ("LINE<n>"), at ('MAIL' or 'RCPT'), hit and
# miss (envelopes, see envelope()), by code esc dcode desc (the refusal
# the hit would get without the list, and its 4xx form), absent (rule
# lines), broken ({ key => database key, next => envelope changes of
# another entry }), warned (the checks skipped, in header order), env,
# server, setup, teardown (as in lookup_suite).
# Returns the compiled database and its source.  For example:
#   allow_suite(check => 'allow_helo', rules => \@R, rule => 'LINE2',
#       at => 'RCPT', hit => { helo => 'ok.test' }, miss => {},
#       by => 'helo_list', code => '550', esc => '5.7.1', dcode => '450',
#       desc => '4.7.1', absent => \@R0, warned => ['helo_list'],
#       broken => { key => 'l:allow_helo:ok.test', next => {} });
sub allow_suite {
	my (%o) = @_;
	my $ck = $o{check};
	my $at = $o{at};
	my %env = %{$o{env} || {}};
	if ($o{setup}) {
		my $e = $o{setup}->();
		%env = (%env, %$e) if ref($e) eq 'HASH';
	}
	my ($db, $src) = rules($ck, @{$o{rules}});
	my $rule = $o{rule} // '-';
	$rule = "$src:$1" if $rule =~ /^LINE(\d+)$/;
	my $server = sub {
		my ($rules, %e) = @_;
		return start_tcpserver(%{$o{server} || {}}, rules => $rules,
		    env => { %env, %e });
	};
	my $hit = envelope($o{hit}, '127.0.0.2');
	my $miss = envelope($o{miss}, '127.0.0.3');
	my $addr = $at eq 'MAIL' ? "from=<$hit->{from}>"
	    : "rcpt=<$hit->{rcpts}[-1]>";
	my $by = $o{by};
	my $tb = Test::More->builder;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	# the hit: accepted and delivered; one accept line
	my $accepted = sub {
		my ($s, $what, $e) = @_;
		my $msg = message("$ck-$what");
		my $r = env_session($s, $e, $msg);
		reply_is($r->{rcpt}[$_], '250', '2.1.5',
		    "$ck $what: RCPT $e->{rcpts}[$_] accepted")
		    for 0 .. $#{$e->{rcpts}};
		reply_is($r->{eod}, '250', '2.0.0', "$ck $what: message accepted");
		delivered($s, $msg, "$ck $what: arrived byte for byte",
		    env => sink_env($e, @{$e->{rcpts}}));
	};

	# hit: accepted, delivered, logged; swaks; a load
	{
		my $s = $server->($db);
		$accepted->($s, 'hit', $hit);
		my $l = logged($s, ip => $hit->{local}, event => 'accept', check => $ck, rule => $rule,
		    cmd => $at,
		    name => "$ck hit: log accept check=$ck rule=$rule cmd=$at");
		$tb->like($l, qr/ \Q$addr\E$/, "$ck hit: the log names $addr");
		log_none($s, qr/ \Q$hit->{local}\E: \w+ check=\Q$by\E /,
		    "$ck hit: $by never spoke");
		my ($code, $out, $smsg) = swaks_send(server => $s,
		    local => $hit->{local}, helo => $hit->{helo},
		    from => swaks_from($hit), to => join(',', @{$hit->{rcpts}}),
		    tag => "$ck-swaks-hit");
		$tb->is_num($code, 0, "$ck hit: swaks delivers (exit 0)") or
		    $tb->diag($out);
		delivered($s, $smsg, "$ck hit: swaks message arrived byte for byte");
		load_ok($s, tag => "$ck-load", from => $hit->{from},
		    rcpt => $hit->{rcpts}[0]);
		stop_settled($s);
	}

	# no hit, and the rules keys absent: refused by the check it skips
	for my $case (['no hit', $db, $miss],
	    ['without its entries', (rules("$ck-absent", @{$o{absent}}))[0],
	    $hit]) {
		my ($what, $rules, $e) = @$case;
		my $s = $server->($rules);
		my $r = env_session($s, $e, message("$ck-$what"));
		reply_is($r->{rcpt}[0], $o{code}, $o{esc},
		    "$ck $what: refused by $by ($o{code} $o{esc})");
		logged($s, ip => $e->{local}, check => $by, cmd => 'RCPT',
		    code => $o{code}, esc => $o{esc},
		    name => "$ck $what: the refusal is $by\'s");
		not_delivered($s, "$ck-$what", "$ck $what: nothing delivered");
		log_none($s, qr/check=\Q$ck\E /, "$ck $what: nothing logged by $ck");
		stop_settled($s);
	}

	# no action setting: the compiler refuses one, the variable is ignored
	for my $a ('off', 'warn') {
		my $n = @{$o{rules}} + 1;
		my $f = spew(tmp() . "/$ck-action-$a.rules", join('',
		    map { "$_\n" } @{$o{rules}}, "set ${ck}_action $a"));
		my ($code, $out) = run(argv => [build() . '/smtpfront-cdb', $f,
		    tmp() . "/$ck-action-$a.cdb"], timeout => 10);
		$tb->is_num($code, 100,
		    "$ck no action setting: smtpfront-cdb refuses ${ck}_action $a");
		$tb->like($out, qr/\Q$f\E:$n: unknown setting ${ck}_action/,
		    "$ck no action setting: with file:line");
	}
	{
		my $s = $server->($db, 'SMTPFRONT_' . uc($ck) . '_ACTION' => 'off');
		$accepted->($s, 'action off', $hit);
		logged($s, ip => $hit->{local}, event => 'accept', check => $ck, rule => $rule,
		    cmd => $at, name => "$ck action off: still logged as accept");
		stop_settled($s);
	}

	# database unreadable or corrupt: 421 4.3.0 at connect
	unreadable_db($ck, $db, $server);

	# its lookup fails: not allowlisted (fails open), the refusal it
	# would have skipped is downgraded; other entries still work
	if (my $b = $o{broken}) {
		my $s = $server->(cdb_break($db, $b->{key}));
		my $r = env_session($s, $hit, message("$ck-broken"));
		reply_is($r->{rcpt}[0], $o{dcode}, $o{desc},
		    "$ck broken $b->{key}: not allowlisted (fails open); " .
		    "$by\'s $o{code} $o{esc} becomes $o{dcode} $o{desc}");
		logged($s, ip => $hit->{local}, event => 'defer', check => $by, cmd => 'RCPT',
		    code => $o{dcode}, esc => $o{desc}, downgraded => 1,
		    name => "$ck broken lookup: logged downgraded=yes");
		# (DATA after no recipient is the protocol's 554 5.5.1)
		my @five = grep { $_ && $_->{code} =~ /^5/ }
		    $r->{mail}, @{$r->{rcpt}};
		$tb->ok(!@five, "$ck broken lookup: no 5xx to MAIL or RCPT") or
		    $tb->diag(join("\n", map { $_->{last} } @five));
		not_delivered($s, "$ck-broken", "$ck broken lookup: nothing delivered");
		log_none($s, qr/accept check=\Q$ck\E /,
		    "$ck broken lookup: no accept logged");
		$accepted->($s, 'broken, another entry',
		    envelope({ %{$o{hit}}, %{$b->{next}} }, '127.0.0.4'));
		stop_settled($s);
	}

	# the checks it skips in warn mode: no header for the hit
	if ($o{warned}) {
		my $s = $server->($db, map { ('SMTPFRONT_' . uc($_) . '_ACTION',
		    'warn') } @{$o{warned}});
		my $msg = message("$ck-warned-hit");
		my $r = env_session($s, $hit, $msg);
		reply_is($r->{eod}, '250', '2.0.0', "$ck warn mode: the hit accepted");
		delivered($s, $msg, "$ck warn mode: no header for the hit");
		$msg = message("$ck-warned-miss");
		$r = env_session($s, $miss, $msg);
		reply_is($r->{eod}, '250', '2.0.0', "$ck warn mode: the miss accepted");
		delivered($s, warn_header(@{$o{warned}}) . $msg,
		    "$ck warn mode: X-Smtpfront-Warn: @{$o{warned}} for the miss");
		stop_settled($s);
	}

	# refusals not held: the hit still accepted
	{
		my $s = $server->($db, SMTPFRONT_DELAY_REJECT => 'no');
		$accepted->($s, 'delay_reject=no', $hit);
		stop_settled($s);
	}
	$o{teardown}->() if $o{teardown};
	return ($db, $src);
}

1;
