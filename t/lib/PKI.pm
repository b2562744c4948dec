# t/lib/PKI.pm: a throwaway CA and a server certificate made by openssl
# for the TLS tests.
#
#   my $p = make_pki($dir);
#   $p->{ca}          the CA's certificate
#   $p->{fullchain}   the server's certificate, then the CA's (as CAs and
#                     ACME clients give the chain file)
#   $p->{key}         the server's key
# The server's names: mx.test.invalid and 127.77.0.1 (SF.pm's servers).
package PKI;
use strict;
use warnings;
use Exporter 'import';
use SF;

our @EXPORT = qw(make_pki);

sub openssl {
	my (@args) = @_;
	my ($code, $out) = SF::run(argv => ['openssl', @args], timeout => 30);
	die "openssl @args: $out" if $code != 0;
}

sub make_pki {
	my ($T) = @_;
	openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt',
	    'ec_paramgen_curve:P-256', '-nodes', '-keyout', "$T/ca.key",
	    '-out', "$T/ca.crt", '-days', '3650', '-subj',
	    '/CN=smtpfront test CA', '-addext',
	    'basicConstraints=critical,CA:TRUE', '-addext',
	    'keyUsage=critical,keyCertSign,cRLSign');
	openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
	    '-nodes', '-keyout', "$T/srv.key", '-out', "$T/srv.csr", '-subj',
	    '/CN=mx.test.invalid');
	SF::spew("$T/srv.ext", "subjectAltName=DNS:mx.test.invalid," .
	    "IP:127.77.0.1\nbasicConstraints=CA:FALSE\n" .
	    "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n");
	openssl('x509', '-req', '-in', "$T/srv.csr", '-CA', "$T/ca.crt",
	    '-CAkey', "$T/ca.key", '-CAcreateserial', '-days', '3650', '-out',
	    "$T/srv.crt", '-extfile', "$T/srv.ext");
	SF::spew("$T/fullchain.pem", SF::slurp("$T/srv.crt") .
	    SF::slurp("$T/ca.crt"));
	return { ca => "$T/ca.crt", fullchain => "$T/fullchain.pem",
	    key => "$T/srv.key", crt => "$T/srv.crt" };
}

1;
