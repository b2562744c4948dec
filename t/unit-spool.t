#!/usr/bin/perl
# Runs the C unit test of the spool (t/unit-spool.c), which prints TAP.
use strict;
use warnings;
my $b = $ENV{SF_BUILD} || "build";
exec("$b/t/unit-spool") or die "exec $b/t/unit-spool: $!";
