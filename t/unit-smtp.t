#!/usr/bin/perl
# t/unit-smtp.t: runs the C unit test of smtp.c, the command line parsers.
# The binary prints TAP itself; SF_BUILD names the build directory
# (build/ or build-san/), as "make check" sets it.
use strict;
use warnings;

my $b = $ENV{SF_BUILD} || "build";
exec("$b/t/unit-smtp") or die "exec: $!";
