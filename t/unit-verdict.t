#!/usr/bin/perl
# Runs the C unit test of the check runner (t/unit-verdict.c), which prints
# TAP.
use strict;
use warnings;
my $b = $ENV{SF_BUILD} || "build";
exec("$b/t/unit-verdict") or die "exec $b/t/unit-verdict: $!";
