#!/usr/bin/perl
# t/content.t: the content rules (checks/content.c, the "content"
# statements, matched by smtpfront-scan with Hyperscan) through
# tcpserver with the tests' client, swaks, and the sink as the child.
#
#   header:FIELD (unfolded), headers, body (^ and $ at each line) and
#     filename (Content-Disposition filename=, Content-Type name=, RFC
#     2231 and RFC 2047 forms decoded; swaks --attach) rules: a hit is
#     refused with the rule's text and its line, nothing delivered; a
#     clean message is delivered; warn, defer; only_sender
#   every delivery path: streamed, one BDAT, spooled
#   linear time: (a+)+$ against an 8 MB hostile body answers in seconds
#   failures: smtpfront-scan missing: 451 (content_tempfail_action
#     defer) or delivered (off); content_action off runs nothing
#   smtpfront-cdb: a pattern Hyperscan refuses names its line; bad
#     statements refused
use strict;
use warnings;
use File::Copy qw(copy);
use FindBin;
use lib "$FindBin::Bin/lib";
use MIME::Base64 qw(encode_base64);
use Test::More;
use Time::HiRes qw(time);
use SF;
use Conn qw(:DEFAULT delivered);

my $T = SF::tmp();
my $RULES_SRC = <<'EOF';
list rcpt_domain example.test
content pills header:subject reject /v[i1]agra/ No pills here
content bulk headers warn /^x-mailer: .*bulkmailer/
content unsub body reject /^click here to unsubscribe$/ Unsubscribe yourself
content later body defer /try-me-later/
content exe filename reject /\.(exe|vbs|scr|pif)$/ Executable attachments refused
content scoped only_sender=spam.test body reject /scopedword/
content hostile body reject /(a+)+$/ hostile
content gone body drop /drop-me-now/ Goodbye
content unused body off /never-used-word/
EOF
my $RULES = cdb($RULES_SRC);

sub server {
	my (%env) = @_;
	return start_tcpserver(ip => '127.77.67.1', rules => $RULES,
	    env => { SMTPFRONT_CONTENT_ACTION => 'reject', %env });
}

sub session {
	my ($s, %o) = @_;
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	my $m = mail($c, from => $o{from} // 'alice@sender.test',
	    to => ['user@example.test'], body => $o{body});
	$c->cmd('QUIT');
	$c->closed(30);
	return $m;
}

my $s = server();

# --- header:FIELD --------------------------------------------------------
my $m = session($s, body => "Subject: cheap\n  V1AGRA today\n\nhello\n");
reply_is($m->{eod}, '554', '5.7.1', 'header:subject, folded: refused');
is($m->{eod}{text}, '5.7.1 No pills here', '... with the rule\'s text');
my ($l) = log_lines($s, qr/ reject check=content /);
like($l // '', qr/ reject check=content rule=\S+rules\.\d+\.src:2 cmd=DATA .*reason="pills matched header:subject"/,
    'logged with the rule\'s line and name');
$m = session($s, body => "Subject: fine\nX-Note: viagra\n\nviagra in the body\n");
reply_is($m->{eod}, '250', undef, 'the word elsewhere: header:subject does not look there');

# --- headers, warn ------------------------------------------------------
$m = session($s, body => "Subject: bulky\nX-Mailer: SuperBulkMailer 3\n\nhi\n");
reply_is($m->{eod}, '250', undef, 'a warn rule: delivered');
ok(scalar(log_lines($s, qr/ warn check=content .*bulk matched headers/)),
    '... and a warn line');

# --- body, line anchors, defer ------------------------------------------
$m = session($s, body => "Subject: u1\n\nhello\nClick here to unsubscribe\nbye\n");
reply_is($m->{eod}, '554', '5.7.1', 'body, ^...$ on one line: refused');
is($m->{eod}{text}, '5.7.1 Unsubscribe yourself', '... its text');
$m = session($s, body => "Subject: u2\n\nplease click here to unsubscribe now\n");
reply_is($m->{eod}, '250', undef, 'body: the anchors hold (not at line start)');
$m = session($s, body => "Subject: later\n\nx try-me-later y\n");
is(substr($m->{eod}{code}, 0, 1), '4', 'a defer rule: 4xx');
$m = session($s, body => "Subject: unused\n\nnever-used-word\n");
reply_is($m->{eod}, '250', undef, 'a rule whose action is off: not used');
{
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.test');
	my $r = mail($c, from => 'alice@sender.test', to => ['user@example.test'],
	    body => "Subject: dropped\n\ndrop-me-now\n");
	reply_is($r->{eod}, '554', '5.7.1', 'a drop rule: its reply');
	ok($c->closed(10), '... then the connection closed');
}
is(scalar(grep { $_->{msg} =~ /^Subject: (cheap|u1|later|dropped)\r$/m }
    sink_messages($s->{sinkdir})), 0, 'nothing refused was delivered');

# --- filename: plain, RFC 2231, RFC 2047 ---------------------------------
sub mime {
	my ($subject, $disp) = @_;
	return "Subject: $subject\nMIME-Version: 1.0\n" .
	    "Content-Type: multipart/mixed; boundary=\"b1\"\n\n" .
	    "preamble\n--b1\nContent-Type: text/plain\n\nhello\n" .
	    "--b1\n$disp\nContent-Transfer-Encoding: base64\n\n" .
	    encode_base64("MZ fake") . "--b1--\nepilogue\n";
}
$m = session($s, body => mime('f1', "Content-Type: application/octet-stream\n" .
    "Content-Disposition: attachment; filename=\"invoice.VBS\""));
reply_is($m->{eod}, '554', '5.7.1', 'filename=: refused');
is($m->{eod}{text}, '5.7.1 Executable attachments refused', '... its text');
$m = session($s, body => mime('f2', "Content-Type: application/octet-stream\n" .
    "Content-Disposition: attachment;\n filename*=UTF-8''%69nvoice%2Eexe"));
reply_is($m->{eod}, '554', '5.7.1', 'RFC 2231 filename*= decoded: refused');
$m = session($s, body => mime('f3', "Content-Disposition: attachment;\n" .
    " filename*0*=UTF-8''r%C3%A9sum; filename*1=\"e.sc\"; filename*2=r"));
reply_is($m->{eod}, '554', '5.7.1', 'RFC 2231 continuations: refused');
$m = session($s, body => mime('f4', "Content-Type: application/x-foo;\n" .
    " name=\"=?UTF-8?B?" . encode_base64("r\xc3\xa9sum\xc3\xa9.pif", '') . "?=\""));
reply_is($m->{eod}, '554', '5.7.1', 'RFC 2047 encoded name=: refused');
$m = session($s, body => mime('f5', "Content-Type: application/pdf;\n" .
    " name=\"report.pdf\"\nContent-Disposition: attachment; filename=report.pdf"));
reply_is($m->{eod}, '250', undef, 'report.pdf: delivered');
$m = session($s, body => "Subject: f6\n\nfilename=\"x.exe\" in the text only\n");
reply_is($m->{eod}, '250', undef, 'a name in the text, no part: delivered');

# swaks with a real attachment
spew("$T/payload.scr", "not really a screensaver\n");
my ($code, $out) = SF::swaks(server => $s, local => '127.0.0.2',
    args => ['--from', 'alice@sender.test', '--to', 'user@example.test',
    '--header', 'Subject: swaks-attach', '--attach-type',
    'application/octet-stream', '--attach', "\@$T/payload.scr"]);
like($out, qr/<\*\*\s+554 5\.7\.1 Executable attachments refused/,
    'swaks --attach payload.scr: refused');
($code, $out) = SF::swaks(server => $s, local => '127.0.0.2',
    args => ['--from', 'alice@sender.test', '--to', 'user@example.test',
    '--header', 'Subject: swaks-clean', '--attach-type', 'text/plain',
    '--attach-name', 'notes.txt', '--attach', "\@$T/payload.scr"]);
like($out, qr/<-\s+250 2\.0\.0 Ok: queued/, 'swaks --attach as notes.txt: delivered');

# --- scope --------------------------------------------------------------
$m = session($s, body => "Subject: sc1\n\nscopedword\n");
reply_is($m->{eod}, '250', undef, 'only_sender: another sender, delivered');
$m = session($s, from => 'bob@spam.test', body => "Subject: sc2\n\nscopedword\n");
reply_is($m->{eod}, '554', '5.7.1', 'only_sender: that sender, refused');
stop($s);

# --- every delivery path -------------------------------------------------
for my $p (['one BDAT', { SINK_CHUNKING => 1 }],
    ['spooled', { SMTPFRONT_DATA_SPOOL => 'yes' }]) {
	my $s2 = server(%{$p->[1]});
	$m = session($s2, body => "Subject: viagra\n\nx\n");
	reply_is($m->{eod}, '554', '5.7.1', "$p->[0]: refused");
	is(scalar(sink_messages($s2->{sinkdir})), 0, "$p->[0]: nothing delivered");
	$m = session($s2, body => "Subject: clean\n\nx\n");
	reply_is($m->{eod}, '250', undef, "$p->[0]: a clean one delivered");
	stop($s2);
}

# --- linear time ------------------------------------------------------------
{
	my $s2 = server(SMTPFRONT_SIZE_MAX => 20_000_000);
	my $line = ('a' x 997) . "b\n";
	my $t0 = time;
	$m = session($s2, body => "Subject: hostile\n\n" . ($line x 8000));
	my $dt = time - $t0;
	reply_is($m->{eod}, '250', undef, '(a+)+$ against 8 MB of aaa...ab lines: no match, delivered');
	ok($dt < 60, "... in linear time ($dt s)") or diag($dt);
	$m = session($s2, body => "Subject: hostile2\n\n" . ($line x 10) . ('a' x 5000) . "\n");
	reply_is($m->{eod}, '554', '5.7.1', '... and a line of a\'s does match');
	stop($s2);
}

# --- failures --------------------------------------------------------------
{
	# a copy of smtpfront with no smtpfront-scan beside it
	mkdir("$T/bin") or die;
	copy(SF::build() . "/smtpfront", "$T/bin/smtpfront") or die;
	chmod(0755, "$T/bin/smtpfront");
	my $s2 = start_tcpserver(ip => '127.77.67.1', rules => $RULES,
	    program => "$T/bin/smtpfront",
	    env => { SMTPFRONT_CONTENT_ACTION => 'reject', PATH => '/usr/bin:/bin' });
	$m = session($s2, body => "Subject: noscan\n\nx\n");
	reply_is($m->{eod}, '451', '4.3.0', 'smtpfront-scan missing: 451 4.3.0');
	ok(scalar(log_lines($s2, qr/warning: content: cannot run smtpfront-scan/)),
	    '... said so');
	is(scalar(sink_messages($s2->{sinkdir})), 0, '... nothing delivered');
	stop($s2);
	$s2 = start_tcpserver(ip => '127.77.67.1', rules => $RULES,
	    program => "$T/bin/smtpfront",
	    env => { SMTPFRONT_CONTENT_ACTION => 'reject',
	    SMTPFRONT_CONTENT_TEMPFAIL_ACTION => 'off', PATH => '/usr/bin:/bin' });
	$m = session($s2, body => "Subject: noscan2\n\nx\n");
	reply_is($m->{eod}, '250', undef, 'content_tempfail_action off: delivered');
	stop($s2);
	$s2 = server(SMTPFRONT_CONTENT_ACTION => 'off');
	$m = session($s2, body => "Subject: viagra\n\nx\n");
	reply_is($m->{eod}, '250', undef, 'content_action off: nothing refused');
	stop($s2);
}

# --- smtpfront-cdb ------------------------------------------------------------
for my $bad (["content x body reject /(a/\n", qr/:1: content: pattern refused by Hyperscan/],
    ["set hostname a.test\ncontent y body reject /(a)\\1/\n", qr/:2: content: pattern refused by Hyperscan/],
    ["content x bodies reject /a/\n", qr/unknown target bodies/],
    ["content x body maybe /a/\n", qr/unknown action maybe/],
    ["content x body reject /a\n", qr/no closing/],
    ["content x header: reject /a/\n", qr/needs a field name/],
    ["content x color=red body reject /a/\n", qr/unknown option color/]) {
	my $in = spew("$T/bad.src", $bad->[0]);
	my ($c2, $text) = SF::run(argv => [SF::build() . "/smtpfront-cdb",
	    $in, "$T/bad.cdb"], timeout => 30);
	ok($c2 != 0 && $text =~ $bad->[1], "smtpfront-cdb refuses: $bad->[0]")
	    or diag($text);
}

done_testing();
