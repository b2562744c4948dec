#!/usr/bin/perl
# Runs the C unit test of the process module (t/unit-proc.c), which prints
# TAP: it starts real programs (/bin/true, sh, sleep, cat, wc, head).
use strict;
use warnings;
my $b = $ENV{SF_BUILD} || "build";
exec("$b/t/unit-proc") or die "exec $b/t/unit-proc: $!";
