#!/usr/bin/perl
# t/starttls-postfix.t: a real MTA delivering to smtpfront over STARTTLS.
# A private Postfix instance relays everything to smtpfront (relayhost)
# with smtp_tls_security_level = encrypt: it must have TLS or defer.  A
# message injected with that Postfix's sendmail reaches smtpfront's child
# (the sink) with the X-Smtpfront-TLS header, Postfix logs a TLS
# connection and status=sent, and smtpfront's session line names the TLS
# version.  Without a certificate smtpfront offers no STARTTLS, and
# Postfix keeps the message deferred (encrypt: no plain text), nothing
# delivered.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;
use PKI;
use Conn;

my $T = SF::tmp();
my $pki = make_pki($T);
my $RULES = cdb("list rcpt_domain relay.test\n");

sub front {
	my (%env) = @_;
	return start_tcpserver(rules => $RULES, env => { %env });
}

# A Postfix that sends everything to smtpfront, encrypted or not at all.
sub relay_to {
	my ($s) = @_;
	my $pf = postfix_instance();
	my ($code, $out) = run(argv => ['postconf', '-c', "$pf/conf", '-e',
	    'default_transport=smtp', 'relay_transport=smtp',
	    "relayhost=[$s->{ip}]:$s->{port}", 'smtp_tls_security_level=encrypt',
	    'smtp_tls_loglevel=1', "smtp_tls_CAfile=$pki->{ca}",
	    # smtpfront refuses a HELO with its own name (mx.test.invalid)
	    'smtp_helo_name=relay-out.example.test'], timeout => 30);
	die "postconf: $out" if $code != 0;
	($code, $out) = run(argv => ['postfix', '-c', "$pf/conf", 'reload'],
	    timeout => 30);
	die "postfix reload: $out" if $code != 0;
	return $pf;
}

sub inject {
	my ($pf, $subject) = @_;
	my ($code, $out) = run(argv => ['/usr/sbin/sendmail', '-C', "$pf/conf",
	    '-f', 'sender@example.test', 'user@relay.test'],
	    input => "From: sender\@example.test\nTo: user\@relay.test\n" .
	    "Subject: $subject\n\nover TLS, or not at all\n", timeout => 30);
	return $code;
}

{
	my $s = front(SMTPFRONT_TLS_CERT => $pki->{fullchain},
	    SMTPFRONT_TLS_KEY => $pki->{key});
	my $pf = relay_to($s);
	is(inject($pf, 'encrypted'), 0, 'the message injected into Postfix');
	my @m;
	wait_for(sub { @m = grep { $_->{msg} =~ /^Subject: encrypted\r$/m }
	    sink_messages($s->{sinkdir}); @m }, 30);
	is(scalar(@m), 1, 'Postfix delivered it through smtpfront to the child');
	like($m[0]{msg} // '', qr/\AX-Smtpfront-TLS: TLSv1\.[23] cipher=\S+ bits=\d+\r\n/,
	    'with the X-Smtpfront-TLS header');
	my $log = '';
	wait_for(sub { $log = slurp("$pf/maillog") // ''; $log =~ /status=sent/ },
	    20);
	like($log, qr/(Trusted|Untrusted|Verified) TLS connection established to \S*\[\Q$s->{ip}\E\]:\Q$s->{port}\E: TLSv1\.[23]/,
	    'Postfix logs a TLS connection to smtpfront');
	like($log, qr/relay=\S*\[\Q$s->{ip}\E\]:\Q$s->{port}\E.*status=sent/,
	    'and status=sent');
	my ($l) = log_has($s, qr/ session .*tls=TLSv/);
	like($l // '', qr/ tls=TLSv1\.[23]\b/, 'smtpfront\'s session line names TLS');
	postfix_stop($pf);
	stop($s);
}

{
	my $s = front();
	my $pf = relay_to($s);
	is(inject($pf, 'plain'), 0, 'no certificate: the message injected');
	my $log = '';
	wait_for(sub { $log = slurp("$pf/maillog") // '';
	    $log =~ /status=deferred/ }, 30);
	like($log, qr/status=deferred .*TLS is required, but was not offered/,
	    'encrypt and no STARTTLS offered: Postfix defers');
	is(scalar(grep { $_->{msg} =~ /^Subject: plain\r$/m }
	    sink_messages($s->{sinkdir})), 0, 'nothing delivered in plain text');
	postfix_stop($pf);
	stop($s);
}

done_testing();
