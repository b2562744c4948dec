#!/usr/bin/perl
# Runs the C unit test of the byte scanners (t/unit-crlf.c), which prints TAP.
use strict;
use warnings;
my $b = $ENV{SF_BUILD} || "build";
exec("$b/t/unit-crlf") or die "exec $b/t/unit-crlf: $!";
