#!/usr/bin/perl
# t/postfix.t: smtpfront in front of a real Postfix (a private instance
# in a temporary directory, scripts/postfix-instance.sh).  The child is
# "sendmail -C DIR -bs"; messages, a 2 MB one too, arrive in the Maildir
# byte for byte (the body after Postfix's added headers, with CRLF as LF).
# A message cut off while it streams (over size_max) leaves nothing in
# Postfix's queue and the session goes on.  Postfix offers CHUNKING: a
# message that comes in one read goes to it as one BDAT LAST (its reply
# then counts the bytes), a longer one as DATA, and child_bdat no keeps
# DATA for all; with data_spool yes the 2 MB message goes as one BDAT LAST.
# A recipient Postfix does not know is refused to the client with
# Postfix's own reply: for that the child is Postfix's smtpd run as the
# mail owner, because "sendmail -bs" run by root is Postfix's stand-alone
# mode, which does no recipient checks at all.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;

my $pf = postfix_instance();
ok(-f "$pf/conf/main.cf", 'private Postfix instance created');
ok(!system('postfix', '-c', "$pf/conf", 'status'), 'and running');

# Headers we write ourselves, so that Postfix adds only trace headers.
sub message {
	my ($subject, $body) = @_;
	return crlf("From: <a\@b.test>\nTo: <user\@example.test>\n" .
	    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n" .
	    "Message-ID: <$subject\@b.test>\nSubject: $subject\n\n") . $body;
}

# The part after the header/body separator of a Maildir file.
sub body_of {
	my ($path) = @_;
	my $m = slurp($path) // '';
	$m =~ s/\A.*?\n\n//s or return undef;
	return $m;
}

# Postfix's final reply: "Ok: N bytes queued as ID" after BDAT (N the
# message's own bytes, dot-stuffing undone), "Ok: queued as ID" after DATA.
sub deliver {
	my ($s, $msg, $tag, $bdat) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	my ($banner) = $c->start('client.test');
	reply_is($banner, '220', undef, "$tag: banner");
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', "$tag: MAIL");
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5',
	    "$tag: RCPT");
	reply_is($c->cmd('DATA'), '354', undef, "$tag: DATA");
	(my $wire = $msg) =~ s/^\./../mg;
	$c->send($wire . ".\r\n", 60);
	my $r = $c->reply(60);
	reply_is($r, '250', '2.0.0', "$tag: accepted");
	if ($bdat) {
		like($r->{last}, qr/^250 2\.0\.0 Ok: \d+ bytes queued as [0-9A-F]+$/,
		    "$tag: Postfix's own reply to BDAT LAST reaches the client");
		my ($n) = ($r->{last} // '') =~ /Ok: (\d+) bytes/;
		is($n, length($msg), "$tag: BDAT carried the message's bytes");
	} else {
		like($r->{last}, qr/^250 2\.0\.0 Ok: queued as [0-9A-F]+$/,
		    "$tag: Postfix's own reply to DATA reaches the client");
	}
	reply_is($c->cmd('QUIT'), '221', '2.0.0', "$tag: QUIT");
	$c->closed(5);
}

my $s = start_tcpserver(rules => test_rules(), child => postfix_sendmail_child($pf));

my $body1 = crlf("Hello from smtpfront.\n\n.a line that began with a dot\n" .
    "..two dots\n\ttab and trailing space \n" . ("x" x 990) . "\n" .
    "caf\xc3\xa9\nlast line\n");
my $msg1 = message('first', $body1);
deliver($s, $msg1, 'small', 1);
my @f = maildir_files($pf, 1, 15);
is(scalar(@f), 1, 'small: in the Maildir');
my $got = @f ? slurp($f[0]) : '';
(my $want1 = $body1) =~ s/\r\n/\n/g;
is(@f ? body_of($f[0]) : undef, $want1, 'small: body byte for byte');
like($got, qr/^Subject: first$/m, 'small: our headers kept');
like($got, qr/^Received: from client\.test /m,
    'small: Postfix saw the client HELO name');

my $body2 = '';
my $i = 0;
while (length($body2) < 2 * 1024 * 1024) {
	$body2 .= ($i % 50 == 0 ? '.' : '') . "line $i " . ('abcdefgh' x 8) . "\r\n";
	$i++;
}
my $msg2 = message('second', $body2);
deliver($s, $msg2, '2 MB', 0);
@f = maildir_files($pf, 2, 20);
is(scalar(@f), 2, '2 MB: in the Maildir');
my ($f2) = grep { (slurp($_) // '') =~ /^Subject: second$/m } @f;
(my $want = $body2) =~ s/\r\n/\n/g;
ok(defined $f2 && body_of($f2) eq $want, '2 MB: body byte for byte')
    or diag(defined $f2 ? 'differs' : 'not found');
ok(scalar(wait_log($s, qr/: session .* msgs=1 verdict=accept /, 5, 2)),
    'two sessions with one message each logged');
stop($s);

# --- a message cut off mid-stream: Postfix keeps nothing ---------------------------
# Over size_max while it streams, smtpfront kills the child inside DATA:
# Postfix must not deliver the part it had, nor leave it in its queue;
# the next message of the session gets a new child and arrives.
{
	my $t = start_tcpserver(rules => test_rules(),
	    child => postfix_sendmail_child($pf),
	    env => { SMTPFRONT_SIZE_MAX => 200000 });
	my $c = client(server => $t, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'cut: MAIL');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5',
	    'cut: RCPT');
	reply_is($c->cmd('DATA'), '354', undef, 'cut: DATA');
	$c->send(message('cut', crlf(join("", ("y" x 70 . "\n") x 8000))) . ".\r\n", 60);
	reply_is($c->reply(30), '552', '5.3.4', 'cut: over size_max, 552');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'after: MAIL');
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5',
	    'after: RCPT');
	reply_is($c->cmd('DATA'), '354', undef, 'after: DATA');
	$c->send(message('after', crlf("the next message\n")) . ".\r\n");
	reply_is($c->reply(30), '250', '2.0.0', 'after: accepted');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'cut: QUIT');
	my @g = maildir_files($pf, 3, 20);
	is(scalar(grep { (slurp($_) // '') =~ /^Subject: after$/m } @g), 1,
	    'after: delivered');
	is(scalar(grep { (slurp($_) // '') =~ /^Subject: cut$/m } @g), 0,
	    'cut: nothing of it delivered');
	# Postfix's queue empties once the delivered one is gone: no part of
	# the cut message stays behind in any queue, corrupt included.
	my @left;
	ok(wait_for(sub {
		@left = ();
		for my $q (qw(maildrop incoming active deferred hold corrupt)) {
			opendir(my $dh, "$pf/queue/$q") or next;
			push @left, map { "$q/$_" } grep { !/^\./ } readdir($dh);
			closedir($dh);
		}
		!@left;
	}, 20), 'cut: nothing left in the Postfix queue') or diag("@left");
	stop($t);
}

# --- a recipient Postfix refuses -------------------------------------------------
{
	my $t = start_tcpserver(rules => test_rules(),
	    child => postfix_smtpd_child($pf));
	my $c = client(server => $t, local => '127.0.0.2');
	$c->start('client.test');
	reply_is($c->cmd('MAIL FROM:<a@b.test>'), '250', '2.1.0', 'MAIL');
	my $r = $c->cmd('RCPT TO:<nobody@example.test>');
	reply_is($r, '550', '5.1.1', "unknown user: Postfix's 550 5.1.1 reaches the client");
	like($r->{last}, qr/User unknown/, "... with Postfix's text");
	reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', '2.1.5',
	    'known user accepted');
	reply_is($c->cmd('DATA'), '354', undef, 'DATA');
	$c->send(message('third', crlf("for the known user only\n")) . ".\r\n");
	reply_is($c->reply(30), '250', '2.0.0', 'accepted for the known user');
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');
	@f = maildir_files($pf, 4, 20);
	is(scalar(grep { (slurp($_) // '') =~ /^Subject: third$/m } @f), 1,
	    'delivered to the known user');
	like(slurp("$pf/maillog") // '',
	    qr/reject: RCPT .*<nobody\@example\.test>: Recipient address rejected/,
	    'Postfix logged the refusal');
	stop($t);
}

# --- child_bdat no: DATA even for a message in one read; data_spool yes:
# the 2 MB message too as one BDAT LAST --------------------------------------
my $n = 4;
for my $case (['child_bdat no', 'fifth', { SMTPFRONT_CHILD_BDAT => 'no' },
    $body1, $want1, 0], ['spooled 2 MB', 'sixth',
    { SMTPFRONT_DATA_SPOOL => 'yes' }, $body2, $want, 1]) {
	my ($tag, $subject, $env, $body, $expect, $bdat) = @$case;
	my $t = start_tcpserver(rules => test_rules(),
	    child => postfix_sendmail_child($pf), env => $env);
	deliver($t, message($subject, $body), $tag, $bdat);
	@f = maildir_files($pf, ++$n, 20);
	my ($got) = grep { (slurp($_) // '') =~ /^Subject: $subject$/m } @f;
	ok(defined $got && body_of($got) eq $expect,
	    "$tag: body byte for byte");
	stop($t);
}

postfix_stop($pf);
ok(system('postfix', '-c', "$pf/conf", 'status') != 0, 'instance stopped');
done_testing();
