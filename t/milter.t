#!/usr/bin/perl
# t/milter.t: milters (checks/milter.c, milter.c: the milter protocol 6)
# through tcpserver with the tests' client and the sink as the MTA child.
#
#   a milter built here on Debian's libmilter (t/testmilter.c), told by
#     its arguments what to answer where: the macros and facts it gets
#     (connect, HELO, MAIL, RCPT, each header field, the body); REJECT
#     at RCPT refused at that RCPT (550 5.7.1, logged naming the milter)
#     while the next recipient is taken; TEMPFAIL at MAIL, REJECT at
#     connect and DISCARD at the end, each its reply; REPLYCODE 5xx and
#     4xx with their texts; ACCEPT; header changes (add, insert, change,
#     delete) and a new body reaching the child; QUARANTINE deferred;
#     the protocol flags it asks (no reply, steps left out, leading
#     space) honoured; PROGRESS moving the deadline
#   two milters in sequence: the second sees the first one's header
#   no delayed-ACK stalls: a transaction with changes in under 35 ms
#   failures: nobody listening (451 4.3.0, nothing delivered), a milter
#     slower than milter_timeout, one that dies mid-body, one that
#     writes garbage, the list unreadable: 451, never a 250;
#     milter_tempfail_action off: delivered; milter_action off: no milter
#     asked; no list: delivered
#   rspamd's proxy worker (milter = yes) from Debian: GTUBE rejected with
#     its text, a normal message delivered with its headers
#   OpenDKIM in verify mode from Debian, its key's TXT record served by
#     dnsmasq: a message signed by dkimsign (python3-dkim) reaches the
#     child with "Authentication-Results: ... dkim=pass"; its body
#     changed after signing, dkim=fail
#   smtpfront-cdb refuses a milter entry that is no socket
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
use DNS;
use Policy ();

my $T = SF::tmp();
my $IP = '127.77.66.9';
my $TM = build() . '/t/testmilter';
-x $TM or BAIL_OUT("$TM not built (it needs libmilter-dev: " .
    "scripts/deps.sh test, then make)");

# A test milter: (its socket for the rules, its log path); runs until
# the end of the test or stop_milter.
my $seq = 0;
sub milter {
	my ($tag, @dirs) = @_;
	my $port = SF::free_port($IP);
	my $log = "$T/milter-$tag.log";
	my $pid = SF::spawn(argv => [$TM, "inet:$port\@$IP", $log, $tag, @dirs],
	    env => { PATH => $ENV{PATH} }, stdout => "$T/milter-$tag.out",
	    stderr => "$T/milter-$tag.out");
	ok(wait_for(sub { (slurp($log) // '') =~ /^\Q$tag\E ready$/m }, 10),
	    "milter $tag listens") or diag(slurp("$T/milter-$tag.out"));
	return { sock => "inet:$IP:$port", log => $log, pid => $pid };
}

sub mlog { return slurp($_[0]{log}) // '' }

# The milter's log once it has a line matching $re (what smtpfront tells
# a milter after replying to the client comes a moment later), waited
# for at most 5 s; the log as it is then.
sub mlog_when {
	my ($m, $re) = @_;
	wait_for(sub { mlog($m) =~ $re }, 5);
	return mlog($m);
}

sub server {
	my ($milters, %env) = @_;
	my $src = "list rcpt_domain example.test\n" .
	    join('', map { "list milter $_->{sock}\n" } @$milters);
	return start_tcpserver(ip => '127.77.66.1', rules => cdb($src),
	    env => { SMTPFRONT_MILTER_ACTION => 'reject',
	    SMTPFRONT_MILTER_TIMEOUT => 2, %env });
}

sub session {
	my ($s, %o) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	my $m = mail($c, from => $o{from} // 'alice@sender.test',
	    to => $o{to} // ['user@example.test'], subject => $o{subject},
	    body => $o{body});
	$c->cmd('QUIT');
	$c->closed(10);
	return $m;
}

sub nothing_delivered {
	my ($s, $name) = @_;
	is(scalar(sink_messages($s->{sinkdir})), 0, $name);
}

# --- facts, macros, a header added --------------------------------------
{
	my $m1 = milter('facts', 'add:X-Test-Milter:seen by facts');
	my $s = server([$m1]);
	my $m = session($s, subject => 'facts', body => "Subject: facts\n" .
	    "From: Alice <alice\@sender.test>\nX-Folded: one\n two\n\n" .
	    "line one\nline two\n");
	reply_is($m->{eod}, '250', undef, 'a milter that continues: delivered');
	my $msg = delivered($s, 'facts');
	like($msg, qr/^X-Test-Milter: seen by facts\r\n\r\nline one\r\n/m,
	    'its ADDHEADER reaches the child, last of the header section');
	like($msg, qr/^X-Folded: one\r\n two\r\n/m, 'the folded field kept');
	my $l = mlog($m1);
	like($l, qr/^facts connect host=\S+ addr=127\.0\.0\.2 port=\d+ j=\S+ daemon_name=smtpfront _=\S+ \[127\.0\.0\.2\] client_addr=127\.0\.0\.2 client_name=\S+$/m,
	    'CONNECT: the client\'s address and port; macros j, {daemon_name}, _, {client_addr}, {client_name}');
	like($l, qr/^facts helo client\.test /m, 'HELO');
	like($l, qr/^facts mail <alice\@sender\.test> i=\w+ mail_addr=alice\@sender\.test auth_type=\(none\)$/m,
	    'MAIL with i and {mail_addr}; no {auth_type}');
	like($l, qr/^facts rcpt <user\@example\.test> rcpt_addr=user\@example\.test$/m,
	    'RCPT with {rcpt_addr}');
	like($l, qr/^facts header Subject:facts$/m, 'HEADER: one a field, the leading space left out');
	like($l, qr/^facts header X-Folded:one\| two$/m,
	    'a folded field unfolded as libmilter expects (LF, no CR)');
	like($l, qr/^facts eoh\nfacts body 20\nfacts eom i=\w+$/m,
	    'EOH, the body (CRLF lines), EOM with i');
	my ($id1) = $l =~ /^facts mail \S+ i=(\w+)/m;
	my ($id2) = $l =~ /^facts eom i=(\w+)/m;
	is($id1, $id2, 'the same queue id at MAIL and at the end');
	ok(wait_for(sub { mlog($m1) =~ /^facts close$/m }, 5),
	    'the connection ends with the session');
	stop($s);
}

# --- several messages a session, one connection ---------------------------
{
	my $m1 = milter('multi', 'add:X-Seen:yes', 'mail/second=reject');
	my $s = server([$m1]);
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	my @r;
	push @r, mail($c, from => 'first@sender.test', subject => 'multi one');
	push @r, mail($c, from => 'second@sender.test', subject => 'multi two');
	$c->cmd('RSET');
	push @r, mail($c, from => 'third@sender.test', subject => 'multi three');
	$c->cmd('QUIT');
	$c->closed(10);
	reply_is($r[0]{eod}, '250', undef, 'a session: the first message delivered');
	reply_is($r[1]{rcpt}[0], '550', '5.7.1', '... the second refused (REJECT at MAIL, held until RCPT)');
	reply_is($r[2]{eod}, '250', undef, '... the third, after RSET, delivered');
	like(delivered($s, 'multi three'), qr/^X-Seen: yes\r$/m, '... with the header');
	my $l = mlog($m1);
	is(scalar(() = $l =~ /^multi negotiate /mg), 1, 'one connection for the session');
	my @ids = $l =~ /^multi eom i=(\w+)$/mg;
	ok(@ids == 2 && $ids[0] ne $ids[1], 'each message its own queue id (i)');
	stop($s);
}

# --- no 40 ms stalls: Nagle and delayed ACKs -----------------------------
# A question is two packets (macros, command) with no answer to the
# first, and the changes at the end are packets libmilter writes one by
# one: without TCP_NODELAY and a prompt ACK each waits for the other
# side's delayed ACK (40 ms on Linux), every question and every change.
{
	my $m1 = milter('fast', 'add:X-One:1', 'add:X-Two:2');
	my $s = server([$m1]);
	my @t;
	for (1 .. 5) {
		my $c = client(server => $s, local => '127.0.0.2');
		$c->start('client.test');
		my $t0 = time;
		my $m = mail($c, subject => 'fast');
		push @t, time - $t0 if ($m->{eod}{code} // '') eq '250';
		$c->cmd('QUIT');
		$c->closed(5);
	}
	my ($min) = sort { $a <=> $b } @t;
	ok(@t == 5 && $min < 0.035,
	    'MAIL, RCPT, DATA and a message with two header changes: under 35 ms')
	    or diag(sprintf('fastest %.1f ms of %d', 1000 * ($min // 0), scalar @t));
	stop($s);
}

# --- verdicts at each phase -----------------------------------------------
{
	my $m1 = milter('rcpt', 'rcpt/bad=reject', 'rcpt/later=tempfail',
	    'rcpt/coded=code:554:5.7.1:no such user here');
	my $s = server([$m1]);
	my $m = session($s, subject => 'rcpt',
	    to => ['bad@example.test', 'good@example.test', 'later@example.test',
	    'coded@example.test']);
	reply_is($m->{rcpt}[0], '550', '5.7.1', 'REJECT at RCPT: refused at that RCPT');
	reply_is($m->{rcpt}[1], '250', undef, '... the next recipient taken');
	reply_is($m->{rcpt}[2], '451', '4.3.0', 'TEMPFAIL at RCPT: 451 4.3.0');
	reply_is($m->{rcpt}[3], '550', '5.7.1', 'REPLYCODE 554 at RCPT: a reject');
	is($m->{rcpt}[3]{text}, '5.7.1 no such user here', '... with the milter\'s text');
	reply_is($m->{eod}, '250', undef, 'the message for the one taken delivered');
	my ($line) = log_has($s, qr/ reject check=milter .*bad\@example/);
	like($line // '', qr/ reject check=milter rule=\S+:2 cmd=RCPT .*reason="inet:127\.77\.66\.9:\d+: REJECT at rcpt"/,
	    'logged: check=milter, the rule of the milter\'s line, which milter');
	is(scalar(() = mlog($m1) =~ /^rcpt rcpt /mg), 4, 'each RCPT asked');
	stop($s);

	$m1 = milter('mail', 'mail/tmp=tempfail', 'connect=continue');
	$s = server([$m1]);
	$m = session($s, from => 'tmp@sender.test', subject => 'mail');
	reply_is($m->{rcpt}[0], '451', '4.3.0', 'TEMPFAIL at MAIL: 451 (held until RCPT)');
	nothing_delivered($s, '... nothing delivered');
	unlike(mlog($m1), qr/^mail rcpt /m, '... and that milter not asked about the RCPT');
	stop($s);

	# a recipient refused by relay control: asked all the same, its
	# answer read before the next question
	$m1 = milter('abort');
	$s = server([$m1]);
	$m = session($s, subject => 'abort', to => ['x@other.test', 'y@other.test']);
	reply_is($m->{rcpt}[1], '550', '5.7.1', 'relaying refused');
	ok(wait_for(sub { mlog($m1) =~ /^abort rcpt <x\@other\.test>.*\nabort rcpt <y\@other\.test>.*\nabort abort\nabort close$/m }, 5),
	    'the session ended in a transaction: ABORT, then QUIT')
	    or diag(mlog($m1));
	stop($s);

	$m1 = milter('conn', 'connect=reject');
	$s = server([$m1]);
	$m = session($s, subject => 'conn');
	reply_is($m->{rcpt}[0], '550', '5.7.1', 'REJECT at connect: 550 at RCPT');
	unlike(mlog($m1), qr/^conn (helo|mail)/m, '... the milter asked nothing more');
	stop($s);

	$m1 = milter('helo', 'helo=code:421:4.7.0:go away');
	$s = server([$m1]);
	$m = session($s, subject => 'helo');
	reply_is($m->{rcpt}[0], '450', '4.7.1', 'REPLYCODE 421 at HELO: a defer');
	is($m->{rcpt}[0]{text}, '4.7.1 go away', '... its text');
	stop($s);
}

# --- verdicts on the message --------------------------------------------------
{
	my $m1 = milter('eom', 'header/X-Bad=reject', 'body/SPAM=discard',
	    'eom=continue');
	my $s = server([$m1]);
	my $m = session($s, body => "Subject: hdr\nX-Bad: yes\n\nbody\n");
	reply_is($m->{eod}, '550', '5.7.1', 'REJECT at a header field: 550 at the end');
	$m = session($s, body => "Subject: spam\n\nthis is SPAM\n");
	reply_is($m->{eod}, '550', '5.7.1', 'DISCARD at the body: taken as a reject');
	$m = session($s, body => "Subject: fine\n\nfine\n");
	reply_is($m->{eod}, '250', undef, 'the same milter: a clean message delivered');
	is(scalar(sink_messages($s->{sinkdir})), 1, '... only that one');
	stop($s);

	$m1 = milter('code5', 'eom=code:554:5.7.0:Spam detected, go away');
	$s = server([$m1]);
	$m = session($s, subject => 'code5');
	reply_is($m->{eod}, '550', '5.7.1', 'REPLYCODE 554 at the end: 550 5.7.1');
	is($m->{eod}{text}, '5.7.1 Spam detected, go away', '... the milter\'s text, our code');
	nothing_delivered($s, '... nothing delivered');
	stop($s);

	$m1 = milter('code4', 'eom=code:451:4.7.1:Try again');
	$s = server([$m1]);
	$m = session($s, subject => 'code4');
	reply_is($m->{eod}, '450', '4.7.1', 'REPLYCODE 451 at the end: a defer');
	stop($s);

	$m1 = milter('acc', 'rcpt=accept');
	$s = server([$m1]);
	$m = session($s, subject => 'acc');
	reply_is($m->{eod}, '250', undef, 'ACCEPT at RCPT: delivered');
	unlike(mlog($m1), qr/^acc (header|eom)/m, '... the milter not asked about the message');
	stop($s);

	$m1 = milter('quar', 'quarantine:held for review');
	$s = server([$m1]);
	$m = session($s, subject => 'quar');
	reply_is($m->{eod}, '451', '4.3.0', 'QUARANTINE: deferred (no queue to hold it in)');
	nothing_delivered($s, '... nothing delivered');
	stop($s);
}

# --- changes to the message -----------------------------------------------------
{
	my $m1 = milter('chg', 'ins:0:X-First:at the top', 'chg:Subject:1:changed',
	    'chg:X-Drop:1:', 'add:X-Multi:one\n two', 'body:new body\nsecond line\n');
	my $s = server([$m1]);
	my $m = session($s, body => "Subject: orig\nX-Drop: me\nX-Keep: me\n\nold body\n");
	reply_is($m->{eod}, '250', undef, 'header and body changes: delivered');
	my $msg = delivered($s, 'changed');
	like($msg, qr/\AX-First: at the top\r\nSubject: changed\r\nX-Keep: me\r\nX-Multi: one\r\n two\r\n\r\nnew body\r\nsecond line\r\n\z/s,
	    'INSHEADER at 0, CHGHEADER, CHGHEADER with an empty value (deleted), ADDHEADER folded, REPLBODY with CRLF lines')
	    or diag($msg);
	unlike($msg, qr/old body|X-Drop/, 'the old body and the deleted field are gone');
	stop($s);
}

# --- two milters in sequence ------------------------------------------------------
{
	my $a = milter('first', 'add:X-First-Milter:was here');
	my $b = milter('second', 'header/X-First-Milter=continue', 'add:X-Second-Milter:too');
	my $s = server([$a, $b]);
	my $m = session($s, subject => 'two');
	reply_is($m->{eod}, '250', undef, 'two milters: delivered');
	my $msg = delivered($s, 'two');
	like($msg, qr/^X-First-Milter: was here\r\nX-Second-Milter: too\r\n/m,
	    'both headers reach the child, in order');
	like(mlog($b), qr/^second header X-First-Milter:was here$/m,
	    'the second milter saw the first one\'s header');
	like(mlog($a), qr/^first connect /m, 'the first asked at connect');
	like(mlog($b), qr/^second connect /m, 'the second too');
	stop($s);

	# the first rejects a recipient, the second is never asked at the end
	$a = milter('firstrej', 'eom=reject');
	$b = milter('secondrej');
	$s = server([$a, $b]);
	$m = session($s, subject => 'tworej');
	reply_is($m->{eod}, '550', '5.7.1', 'the first rejects the message: 550');
	unlike(mlog($b), qr/^secondrej eom/m, '... the second not asked to finish it');
	like(mlog_when($b, qr/^secondrej abort$/m), qr/^secondrej abort$/m,
	    '... but told the transaction ended');
	stop($s);
}

# --- protocol flags, PROGRESS ---------------------------------------------------
{
	my $m1 = milter('flags', 'proto:nr_conn,nr_helo,nr_mail,nr_rcpt,nr_hdr,nr_eoh,nr_body,nr_data,leadspc',
	    'add:X-Lead: spaced', 'rcpt/bad=reject');
	my $s = server([$m1]);
	my $t0 = time;
	my $m = session($s, subject => 'flags', to => ['bad@example.test', 'ok@example.test']);
	reply_is($m->{rcpt}[0], '250', undef, 'NR_RCPT: the milter\'s reject is never sent, the RCPT taken');
	reply_is($m->{eod}, '250', undef, 'no replies asked for: delivered');
	ok(time - $t0 < 2, '... without waiting for a reply that never comes') or diag(time - $t0);
	like(mlog($m1), qr/^flags header Subject: flags$/m, 'HDR_LEADSPC: the value with its leading space');
	like(delivered($s, 'flags'), qr/^X-Lead: spaced\r$/m, '... and the milter\'s taken as it is');
	stop($s);

	$m1 = milter('skipped', 'proto:noconnect,nohelo,nohdrs,nobody');
	$s = server([$m1]);
	$m = session($s, subject => 'skipped');
	reply_is($m->{eod}, '250', undef, 'steps left out: delivered');
	unlike(mlog($m1), qr/^skipped (connect|helo|header|body)/m,
	    'NOCONNECT, NOHELO, NOHDRS, NOBODY: not sent');
	like(mlog($m1), qr/^skipped eom/m, '... the end still is');
	stop($s);

	# the body in chunks of at most 65535 bytes; SKIP ends them
	my $big = "Subject: big\n\n" . (("x" x 76) . "\n") x 2700;
	$m1 = milter('chunks');
	my $m2 = milter('skipper', 'proto:skip', 'body=skip');
	$s = server([$m1, $m2]);
	$m = session($s, body => $big);
	reply_is($m->{eod}, '250', undef, 'a body of 210600 bytes: delivered');
	like(mlog($m1), qr/^chunks body 65535\nchunks body 65535\nchunks body 65535\nchunks body 13995\nchunks eom/m,
	    '... in chunks of 65535 bytes');
	like(mlog($m2), qr/^skipper act body skip\nskipper eom/m,
	    'SKIP after the first chunk: no more body, then the end');
	is(length(delivered($s, 'big')), length(crlf($big)),
	    '... the message delivered whole');
	stop($s);

	$m1 = milter('prog', 'eom=progress:3');
	$s = server([$m1]);
	$m = session($s, subject => 'prog');
	reply_is($m->{eod}, '250', undef, 'PROGRESS every second for 3 s (milter_timeout 2): delivered');
	stop($s);
}

# --- failures ---------------------------------------------------------------------
{
	my $port = SF::free_port($IP);
	my $s = server([{ sock => "inet:$IP:$port" }]);
	my $m = session($s, subject => 'down');
	reply_is($m->{rcpt}[0], '451', '4.3.0', 'nobody listening: 451 4.3.0');
	nothing_delivered($s, '... nothing delivered');
	my ($l) = log_has($s, qr/warning: milter: /);
	like($l // '', qr/Connection refused/, '... a warning says why');
	stop($s);
	$s = server([{ sock => "inet:$IP:$port" }], SMTPFRONT_MILTER_TEMPFAIL_ACTION => 'off');
	$m = session($s, subject => 'downoff');
	reply_is($m->{eod}, '250', undef, 'milter_tempfail_action off: delivered');
	stop($s);
	# off skips the milter that failed, not the ones after it
	my $after = milter('after', 'rcpt/no=reject', 'eom/=continue',
	    'add:X-After:asked');
	$s = server([{ sock => "inet:$IP:$port" }, $after],
	    SMTPFRONT_MILTER_TEMPFAIL_ACTION => 'off');
	$m = session($s, subject => 'after', to => ['no@example.test', 'yes@example.test']);
	reply_is($m->{rcpt}[0], '550', '5.7.1', 'the first milter down (off): the second still rejects at RCPT');
	reply_is($m->{eod}, '250', undef, '... and the message delivered');
	like(delivered($s, 'after'), qr/^X-After: asked\r$/m, '... with the second one\'s header');
	stop($s);

	my $m1 = milter('slow', 'eom=sleep:6');
	$s = server([$m1]);
	my $t0 = time;
	$m = session($s, subject => 'slow');
	reply_is($m->{eod}, '451', '4.3.0', 'a milter slower than milter_timeout: 451');
	ok(time - $t0 < 5, '... within milter_timeout') or diag(time - $t0);
	nothing_delivered($s, '... nothing delivered');
	stop($s);

	$m1 = milter('slowrcpt', 'rcpt=sleep:6');
	$s = server([$m1]);
	$m = session($s, subject => 'slowrcpt');
	reply_is($m->{rcpt}[0], '451', '4.3.0', 'too slow at RCPT: 451 at RCPT');
	stop($s);

	$m1 = milter('dies', 'body=exit');
	$s = server([$m1]);
	$m = session($s, subject => 'dies');
	reply_is($m->{eod}, '451', '4.3.0', 'a milter that dies mid-body: 451');
	nothing_delivered($s, '... nothing delivered');
	($l) = log_has($s, qr/warning: milter: /);
	like($l // '', qr/closed the connection|Connection reset/, '... said so');
	stop($s);

	$m1 = milter('garbage', 'rcpt=garbage');
	$s = server([$m1]);
	$m = session($s, subject => 'garbage');
	reply_is($m->{rcpt}[0], '451', '4.3.0', 'garbage from the milter: 451');
	($l) = log_has($s, qr/warning: milter: /);
	like($l // '', qr/bad packet length|unknown reply/, '... said so');
	nothing_delivered($s, '... nothing delivered');
	stop($s);

	# the list absent: nothing to ask; unreadable: nothing delivered
	$s = server([]);
	$m = session($s, subject => 'nolist');
	reply_is($m->{eod}, '250', undef, 'milter_action reject, no list milter: delivered');
	stop($s);
	$m1 = milter('broken');
	my $db = cdb("list rcpt_domain example.test\nlist milter $m1->{sock}\n");
	$s = start_tcpserver(ip => '127.77.66.1', rules => Policy::cdb_break($db, 'e:milter:0'),
	    env => { SMTPFRONT_MILTER_ACTION => 'reject', SMTPFRONT_MILTER_TIMEOUT => 2 });
	$m = session($s, subject => 'broken');
	reply_is($m->{rcpt}[0], '451', '4.3.0', 'the list unreadable in the database: 451');
	nothing_delivered($s, '... nothing delivered');
	($l) = log_has($s, qr/warning: milter: /);
	like($l // '', qr/list unreadable/, '... said so');
	stop($s);

	# recipient changes are not offered: a milter that needs them
	# fails the negotiation
	$m1 = milter('needs', 'needs:addrcpt');
	$s = server([$m1]);
	$m = session($s, subject => 'needs');
	reply_is($m->{rcpt}[0], '451', '4.3.0', 'a milter that needs to change recipients: 451');
	like(mlog($m1), qr/^needs negotiate: actions 0xc not offered$/m,
	    '... ADDRCPT and DELRCPT were not offered');
	nothing_delivered($s, '... nothing delivered');
	stop($s);

	$m1 = milter('off', 'connect=reject');
	$s = server([$m1], SMTPFRONT_MILTER_ACTION => 'off');
	$m = session($s, subject => 'off');
	reply_is($m->{eod}, '250', undef, 'milter_action off: delivered');
	unlike(mlog($m1), qr/^off (negotiate|connect)/m, '... the milter never asked');
	stop($s);

	$m1 = milter('warn', 'eom=reject');
	$s = server([$m1], SMTPFRONT_MILTER_ACTION => 'warn');
	$m = session($s, subject => 'warn');
	reply_is($m->{eod}, '250', undef, 'milter_action warn: delivered');
	ok(scalar(log_lines($s, qr/warn.*check=milter/)), '... the hit logged');
	stop($s);
}

# --- OpenDKIM, verifying -----------------------------------------------------------
SKIP: {
	skip('opendkim, opendkim-genkey or dkimsign not installed', 10)
	    unless -x '/usr/sbin/opendkim' && -x '/usr/sbin/opendkim-genkey' &&
	    -x '/usr/bin/dkimsign';
	my $k = "$T/dkim";
	mkdir($k) or die "$k: $!";
	my ($code, $out) = run(argv => ['/usr/sbin/opendkim-genkey', '--bits=2048',
	    '--domain=example.org', '--selector=sel1', "--directory=$k"], timeout => 60);
	is($code, 0, 'opendkim-genkey: a 2048-bit key') or diag($out);
	# its TXT record as strings of at most 255 bytes
	my $txt = join('', (slurp("$k/sel1.txt") // '') =~ /"([^"]*)"/g);
	my @parts = $txt =~ /(.{1,250})/g;
	like($txt, qr/^v=DKIM1; h=sha256; k=rsa; p=\S{300,}$/, '... its record');
	# example.org, not .test: libunbound (OpenDKIM's resolver) answers
	# every name under test. itself, NXDOMAIN, without asking
	my $dns = start_dnsmasq(ip => '127.53.66.1', lines => ['local=/example.org/',
	    'txt-record=sel1._domainkey.example.org,' . join(',', map { "\"$_\"" } @parts)]);
	my $port = SF::free_port($IP);
	spew("$k/opendkim.conf", join("\n", 'Mode v', "Socket inet:$port\@$IP",
	    'Background no', 'Syslog no', 'UserID root', "PidFile $k/opendkim.pid",
	    'Nameservers 127.53.66.1', 'AuthservID mx.test.invalid',
	    'AlwaysAddARHeader yes', 'DNSTimeout 5') . "\n");
	my $pid = SF::spawn(argv => ['/usr/sbin/opendkim', '-f', '-x',
	    "$k/opendkim.conf"], env => { PATH => $ENV{PATH} },
	    stdout => "$k/opendkim.log", stderr => "$k/opendkim.log");
	ok(wait_for(sub { IO::Socket::INET->new(PeerAddr => "$IP:$port") }, 10),
	    'opendkim listens') or diag(slurp("$k/opendkim.log"));
	my $msg = "From: Alice <alice\@example.org>\r\nTo: user\@example.test\r\n" .
	    "Subject: signed\r\nMessage-ID: <dkim1\@example.org>\r\n\r\n" .
	    "A message signed by example.org.\r\n";
	my $signed;
	($code, $signed) = run(argv => ['/usr/bin/dkimsign', 'sel1', 'example.org',
	    "$k/sel1.private"], input => $msg, timeout => 30);
	like($signed, qr/^DKIM-Signature: v=1; a=rsa-sha256; .*d=example\.org;/s,
	    'dkimsign signs it');
	my $s = server([{ sock => "inet:$IP:$port" }]);
	my $m = session($s, body => $signed);
	reply_is($m->{eod}, '250', undef, 'the signed message through OpenDKIM: delivered');
	like(delivered($s, 'signed'),
	    qr/^Authentication-Results: mx\.test\.invalid;\s+dkim=pass \(2048-bit key[^)]*\) header\.d=example\.org/m,
	    'the child gets OpenDKIM\'s Authentication-Results: dkim=pass')
	    or diag(delivered($s, 'signed'), slurp("$k/opendkim.log"));
	(my $bad = $signed) =~ s/signed by example/changed after signing by example/;
	$m = session($s, body => $bad);
	reply_is($m->{eod}, '250', undef, 'its body changed after signing: delivered');
	my ($t) = map { $_->{msg} } grep { $_->{msg} =~ /changed after signing/ }
	    sink_messages($s->{sinkdir});
	like($t // '', qr/^Authentication-Results: mx\.test\.invalid;\s+dkim=fail/m,
	    '... with dkim=fail') or diag($t);
	ok(scalar(grep { /TXT sel1\._domainkey\.example\.org/ } queries($dns)),
	    'OpenDKIM asked the test DNS for the key');
	stop($s);
	SF::kill_pid($pid);
	stop_dns($dns);
}

# --- rspamd's proxy worker as a milter -----------------------------------------
SKIP: {
	skip('rspamd not installed', 7) unless -x '/usr/bin/rspamd';
	my $r = "$T/rspamd";
	mkdir($_) or die "$_: $!" for $r, "$r/db", "$r/run", "$r/local",
	    "$r/local/local.d";
	# every name NXDOMAIN at once: no Internet
	my $dns = start_dnsmasq(ip => '127.53.66.2', lines => ['local=/#/']);
	my $port = SF::free_port($IP);
	spew("$r/rspamd.conf", <<"EOC");
.include "\$CONFDIR/common.conf"
options { pidfile = "\$RUNDIR/rspamd.pid"; .include "\$CONFDIR/options.inc"
	dns { nameserver = ["127.53.66.2:53"]; timeout = 1s; retransmits = 1; } }
logging { type = "console"; level = "info"; }
worker "rspamd_proxy" { bind_socket = "$IP:$port"; milter = yes; timeout = 120s;
	count = 1; upstream "local" { default = yes; self_scan = yes; } }
EOC
	spew("$r/local/local.d/milter_headers.conf", 'use = ["x-spamd-result", ' .
	    '"x-rspamd-queue-id"]; skip_local = false; skip_authenticated = false;' . "\n");
	my $pid = SF::spawn(argv => ['/usr/bin/rspamd', '-f', '-u', 'root', '-g',
	    'root', '-c', "$r/rspamd.conf", "--var=LOCAL_CONFDIR=$r/local",
	    "--var=DBDIR=$r/db", "--var=RUNDIR=$r/run", "--var=LOGDIR=$r"],
	    env => { PATH => $ENV{PATH} }, stdout => "$r/rspamd.log",
	    stderr => "$r/rspamd.log");
	# the first start compiles its caches: about 11 s
	ok(wait_for(sub { IO::Socket::INET->new(PeerAddr => "$IP:$port") }, 60),
	    'rspamd\'s proxy worker listens') or diag(slurp("$r/rspamd.log"));
	my $s = server([{ sock => "inet:$IP:$port" }], SMTPFRONT_MILTER_TIMEOUT => 30);
	my $m = session($s, body => "Subject: gtube\n\n" .
	    "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n");
	reply_is($m->{eod}, '550', '5.7.1', 'rspamd: GTUBE rejected');
	is($m->{eod}{text}, '5.7.1 Gtube pattern', '... with rspamd\'s text');
	$m = session($s, body => "From: Alice <alice\@example.org>\n" .
	    "To: user\@example.test\nSubject: rspamd ham\n" .
	    "Message-ID: <ham1\@example.org>\n" .
	    "Date: Fri, 04 Dec 2026 05:00:00 +0000\n\nA normal message.\n");
	reply_is($m->{eod}, '250', undef, 'rspamd: a normal message delivered');
	my $msg = delivered($s, 'rspamd ham');
	like($msg, qr/^X-Spamd-Result: default: False \[[-0-9.]+ \/ 15\.00\];\r\n\t/m,
	    '... with rspamd\'s folded X-Spamd-Result header') or diag($msg);
	like($msg, qr/^X-Rspamd-Queue-Id: \w+\r$/m, '... and its queue id');
	stop($s);
	SF::kill_pid($pid);
	stop_dns($dns);
}

# --- the rules compiler ---------------------------------------------------------
{
	for my $bad ('inet:localhost:25', 'inet:127.0.0.1', 'inet:127.0.0.1:99999',
	    'unix:relative', 'tcp:127.0.0.1:25') {
		my $src = spew("$T/bad.src", "list milter $bad\n");
		my ($code, $out) = run(argv => [build() . '/smtpfront-cdb', $src,
		    "$T/bad.cdb"], timeout => 10);
		is($code, 100, "smtpfront-cdb refuses milter $bad");
		like($out, qr/bad\.src:1: list milter: want inet:HOST:PORT/, '... saying what it wants');
	}
	my $src = spew("$T/good.src", "list milter inet:[::1]:8891\nlist milter unix:/Run/Milter.sock\n");
	my ($code, $out) = run(argv => [build() . '/smtpfront-cdb', $src, "$T/good.cdb"],
	    timeout => 10);
	is($code, 0, 'an IPv6 address and a socket path compile') or diag($out);
	($code, $out) = run(argv => ['cdb', '-q', "$T/good.cdb", 'e:milter:1'], timeout => 10);
	like($out, qr{^unix:/Run/Milter\.sock }, 'a socket path keeps its case, in source order');
}

done_testing();
