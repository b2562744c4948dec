#!/usr/bin/perl
# Runs the C unit test of the DNS answer reader and the dnsbl entries
# (t/unit-dns.c), which prints TAP.
use strict;
use warnings;
my $b = $ENV{SF_BUILD} || "build";
exec("$b/t/unit-dns") or die "exec $b/t/unit-dns: $!";
