#!/usr/bin/perl
# t/unit-addr.t: runs the C unit test of addr.c, the RFC 5321 address grammar.
# The binary prints TAP itself; SF_BUILD names the build directory
# (build/ or build-san/), as "make check" sets it.
use strict;
use warnings;

my $b = $ENV{SF_BUILD} || "build";
exec("$b/t/unit-addr") or die "exec: $!";
