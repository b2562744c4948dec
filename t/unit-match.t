#!/usr/bin/perl
# Runs the C unit test of list matching (t/unit-match.c), which prints TAP.
use strict;
use warnings;
my $b = $ENV{SF_BUILD} || "build";
exec("$b/t/unit-match") or die "exec $b/t/unit-match: $!";
