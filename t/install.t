#!/usr/bin/perl
# t/install.t: "make install" into a temporary DESTDIR puts the two
# programs, the two scripts and the four man pages where PREFIX says,
# with the right modes, and nothing else; the installed programs run.
# It installs from build/ (which "make check" has just built); nothing
# outside the temporary directory is written.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use SF;

my $top = top();
my $build = "$top/build";

sub files_under {
	my ($dir) = @_;
	my @f;
	my @todo = ($dir);
	while (@todo) {
		my $d = shift @todo;
		opendir(my $dh, $d) or die "$d: $!";
		for my $e (sort readdir($dh)) {
			next if $e eq '.' || $e eq '..';
			my $p = "$d/$e";
			if (-d $p && !-l $p) {
				push @todo, $p;
			} else {
				push @f, substr($p, length($dir));
			}
		}
		closedir($dh);
	}
	return sort @f;
}

sub mode { return sprintf('%o', (stat $_[0])[2] & 07777) }

my @progs = ('smtpfront', 'smtpfront-cdb', 'smtpfront-tls', 'smtpfront-spf',
    'smtpfront-store', 'smtpfront-scan', 'smtpfront-dkim');
my @man8 = ('smtpfront.8', 'smtpfront-cdb.8', 'smtpfront-import.8',
    'smtpfront-tls.8', 'smtpfront-spf.8', 'smtpfront-store.8',
    'smtpfront-report.8', 'smtpfront-scan.8', 'smtpfront-dkim.8');
# the example filters, in PREFIX/libexec/smtpfront
my @libexec = ('filter-spamassassin', 'filter-clamav');
my @man5 = ('smtpfront-rules.5');
my @scripts = ('smtpfront-report', 'smtpfront-import');

for my $case (['/usr', []], ['/usr/local', undef]) {
	my ($prefix, $args) = @$case;
	my $dest = tmp() . "/dest" . ($args ? '-usr' : '-default');
	mkdir($dest) or die "$dest: $!";
	my @argv = ('make', '-s', '-C', $top, 'install', "DESTDIR=$dest");
	push @argv, "PREFIX=$prefix" if $args;
	my ($code, $out) = run(argv => \@argv, timeout => 300,
	    env => { MAKEFLAGS => undef, MAKELEVEL => undef, B => undef,
	    PREFIX => undef, DESTDIR => undef });
	my $how = $args ? "PREFIX=$prefix" : 'default PREFIX';
	is($code, 0, "make install DESTDIR=... ($how) exits 0") or diag($out);
	my @want = sort((map { "$prefix/bin/$_" } @progs, @scripts),
	    (map { "$prefix/share/man/man8/$_" } @man8),
	    (map { "$prefix/share/man/man5/$_" } @man5),
	    (map { "$prefix/libexec/smtpfront/$_" } @libexec));
	is_deeply([files_under($dest)], \@want,
	    "$how: exactly the programs and man pages, under $prefix");
	for my $p (@progs) {
		my $f = "$dest$prefix/bin/$p";
		is(mode($f), '755', "$how: $p is mode 755");
		ok(-f $f && slurp($f) eq slurp("$build/$p"),
		    "$how: $p is the one in build/");
	}
	for my $sc (@libexec) {
		my $f = "$dest$prefix/libexec/smtpfront/$sc";
		is(mode($f), '755', "$how: libexec/smtpfront/$sc is mode 755");
		ok(-f $f && slurp($f) eq slurp("$top/scripts/$sc"),
		    "$how: $sc is scripts/$sc");
	}
	for my $sc (@scripts) {
		my $rep = "$dest$prefix/bin/$sc";
		is(mode($rep), '755', "$how: $sc is mode 755");
		ok(-f $rep && slurp($rep) eq slurp("$top/scripts/$sc"),
		    "$how: $sc is scripts/$sc");
	}
	for my $m ((map { "man8/$_" } @man8), (map { "man5/$_" } @man5)) {
		my $f = "$dest$prefix/share/man/$m";
		my ($name) = $m =~ m{/(.*)$};
		is(mode($f), '644', "$how: $m is mode 644");
		ok(-f $f && slurp($f) eq slurp("$top/man/$name"),
		    "$how: $m is man/$name");
	}
	next unless $args;

	# The installed programs work.
	my $bin = "$dest$prefix/bin";
	($code, $out) = run(argv => ["$bin/smtpfront"], timeout => 30);
	ok($code == 100 && $out =~ /^usage: smtpfront /m,
	    'installed smtpfront: usage error exits 100') or diag($out);
	my $db = tmp() . '/installed.cdb';
	($code, $out) = run(argv => ["$bin/smtpfront-cdb",
	    "$top/cdb/example.rules", $db], timeout => 30);
	ok($code == 0 && -s $db, 'installed smtpfront-cdb compiles ' .
	    'cdb/example.rules') or diag($out);
	($code, $out) = run(argv => ["$bin/smtpfront", '-n', '-r', $db,
	    '192.0.2.9', 'client.example.org', 'alice@example.org',
	    'user@example.test'], timeout => 30,
	    env => { RELAYCLIENT => undef, RBLSMTPD => undef });
	ok($code == 0 && $out =~ /handed to the MTA child/,
	    'installed smtpfront: dry run with that database') or diag($out);
}

done_testing();
