#!/usr/bin/perl
# t/unit-dot.t: runs the C unit test of dot.c, the DATA state machine
# and dot-stuffing.
# The binary prints TAP itself; SF_BUILD names the build directory
# (build/ or build-san/), as "make check" sets it.
use strict;
use warnings;

my $b = $ENV{SF_BUILD} || "build";
exec("$b/t/unit-dot") or die "exec: $!";
