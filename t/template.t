#!/usr/bin/perl
# t/template.t: the check contract (check.h), driven end to end through
# the four kinds of check in checks/TEMPLATE.c, built into a test build
# of smtpfront (build/t/smtpfront-template) under tcpserver, in front of
# the sink:
#   template_early   asks the DNS (dnsmasq on 127.53.11.1, the real
#                    resolver) at the session's start, decides at RCPT
#                    from the answer, leaves a result and adds a header;
#                    a server that never answers: a warning, no refusal;
#   template_memory  reads that result, counts accepted messages and
#                    ended transactions through its hooks;
#   template_body    sees the message bytes, undotted, in pieces, on every
#                    delivery path (streamed, one BDAT, spooled), and
#                    refuses a marker at the end of data, even one cut in
#                    two by the network;
#   template_filter  asks for the spool at RCPT and reads it at the end
#                    of data (any spooled message), adding a header; for
#                    "rewrite@" it replaces the message (hit->replace).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use SF;
use Policy;
use DNS;

my $NS = '127.53.11.1';
start_dnsmasq(ip => $NS, lines => [
    'host-record=66.0.0.127.template.test,127.0.0.2']);
start_fake_dns(ip => '127.53.11.2', mode => 'silent');

my $prog = build() . '/t/smtpfront-template';
ok(-x $prog, 'the template build exists');

sub server {
	my (%env) = @_;
	return start_tcpserver(program => $prog, rules => test_rules(),
	    env => { DNSCACHEIP => $NS, %env });
}

my $clean = "X-Template-Early: clean\r\n";
sub memory {
	my ($acc, $resets) = @_;
	return "X-Template-Memory: accepted=$acc resets=$resets early=clean\r\n";
}

# --- early, memory: state, results, headers, hooks across two messages ------
{
	my $s = server();
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.example.org');
	for my $n (0, 1) {
		my $msg = message("tmpl-$n");
		reply_is($c->cmd('MAIL FROM:<a@example.org>'), '250', '2.1.0',
		    "message $n: MAIL");
		reply_is($c->cmd('RCPT TO:<user@example.test>'), '250', undef,
		    "message $n: RCPT");
		reply_is($c->cmd('DATA'), '354', undef, "message $n: DATA");
		$c->send(stuff($msg));
		reply_is($c->reply(15), '250', undef, "message $n: accepted");
		delivered($s, $clean . memory($n, $n) . $msg,
		    "message $n: the early check's header, then the memory's " .
		    "with its counts and the early result");
	}
	reply_is($c->cmd('QUIT'), '221', '2.0.0', 'QUIT');

	# the client the early check found "listed" at the session's start
	my $r = session(server => $s, local => '127.0.0.66',
	    helo => 'client.example.org', from => 'a@example.org',
	    rcpts => ['user@example.test'], msg => message('tmpl-listed'));
	reply_is($r->{rcpt}[0], '550', '5.7.1',
	    'listed at start: refused at RCPT');
	logged($s, event => 'reject', check => 'template_early',
	    rule => 'template', cmd => 'RCPT', code => 550, esc => '5.7.1',
	    ip => '127.0.0.66');
	like(log_one($s, qr/ 127\.0\.0\.66: reject check=template_early /,
	    'one refusal line'), qr/ reason="listed at connect"$/,
	    'the reason of the check');
	not_delivered($s, 'tmpl-listed', 'listed: nothing delivered');
	stop_settled($s);
}

# --- early: a DNS server that never answers: a warning, no refusal ----------
{
	my $s = server(DNSCACHEIP => '127.53.11.2', SMTPFRONT_DNS_TIMEOUT => 1);
	my $r = session(server => $s, local => '127.0.0.66',
	    helo => 'client.example.org', from => 'a@example.org',
	    rcpts => ['user@example.test'], msg => message('tmpl-silent'));
	reply_is($r->{eod}, '250', undef,
	    'no DNS answer: no refusal, the message delivered');
	like(log_one($s, qr/warning: template_early: /, 'one warning'),
	    qr/warning: template_early: 66\.0\.0\.127\.template\.test: timeout$/,
	    'no DNS answer: the warning names the query and why');
	stop_settled($s);
}

# --- body: on every delivery path, the marker refused, cut or not -----------
my $bad = crlf("Subject: tmpl-bad\n\nfirst line\n.dotted TEMPLATE-REJECT\n" .
    "last line\n");
for my $path (['streamed', {}, 'user'],
    ['one BDAT', { SINK_CHUNKING => 1 }, 'user'],
    ['spooled by the filter check', {}, 'filter'],
    ['data_spool', { SMTPFRONT_DATA_SPOOL => 'yes' }, 'user']) {
	my ($name, $env, $box) = @$path;
	my $s = server(%$env);
	my $r = session(server => $s, local => '127.0.0.2',
	    helo => 'client.example.org', from => 'a@example.org',
	    rcpts => ["$box\@example.test"], msg => $bad);
	reply_is($r->{eod}, '550', '5.7.1', "$name: the marker refused");
	logged($s, event => 'reject', check => 'template_body',
	    rule => 'template', cmd => 'DATA', code => 550, esc => '5.7.1',
	    name => "$name: one refusal line");
	not_delivered($s, 'tmpl-bad', "$name: nothing delivered");

	# the marker cut in two by the network
	my $c = client(server => $s, local => '127.0.0.2');
	$c->start('client.example.org');
	reply_is($c->cmd('MAIL FROM:<a@example.org>'), '250', '2.1.0',
	    "$name, cut: MAIL");
	reply_is($c->cmd("RCPT TO:<$box\@example.test>"), '250', undef,
	    "$name, cut: RCPT");
	reply_is($c->cmd('DATA'), '354', undef, "$name, cut: DATA");
	my $w = stuff($bad);
	my $at = index($w, 'TEMPLATE-RE') + length('TEMPLATE-RE');
	$c->send(substr($w, 0, $at));
	sleep(0.3);
	$c->send(substr($w, $at));
	reply_is($c->reply(15), '550', '5.7.1', "$name, cut: refused");
	reply_is($c->cmd('QUIT'), '221', '2.0.0', "$name, cut: QUIT");

	# a clean message on the same path passes, with its headers
	my $msg = message("tmpl-ok");
	$r = session(server => $s, local => '127.0.0.2',
	    helo => 'client.example.org', from => 'a@example.org',
	    rcpts => ["$box\@example.test"], msg => $msg);
	reply_is($r->{eod}, '250', undef, "$name: a clean message taken");
	my $lines = () = $msg =~ /\n/g;
	# the filter check reads every spooled message
	my $filter = $box eq 'filter' || $env->{SMTPFRONT_DATA_SPOOL} ?
	    "X-Template-Filter: lines=$lines\r\n" : '';
	delivered($s, $clean . memory(0, 0) . $filter . $msg,
	    "$name: delivered with the headers" .
	    ($filter ? ', the filter\'s after the spool was read' : ''));
	stop_settled($s);
}

# --- a filter's rewrite: the new message goes to the child ---------------
{
	my $s = server();
	my $msg = message("tmpl-rewrite");
	my $r = session(server => $s, local => '127.0.0.2',
	    helo => 'client.example.org', from => 'a@example.org',
	    rcpts => ['rewrite@example.test'], msg => $msg);
	reply_is($r->{eod}, '250', undef, 'rewritten: taken');
	my $lines = () = $msg =~ /\n/g;
	delivered($s, $clean . memory(0, 0) . "X-Template-Filter: lines=$lines\r\n" .
	    "X-Template-Rewritten: yes\r\n" . $msg,
	    'rewritten: the new message delivered, the checks\' headers on top');
	stop_settled($s);
}

done_testing();
