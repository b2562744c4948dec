#!/usr/bin/perl
# Runs the C unit test of starttls.c (t/unit-starttls.c), which prints TAP.
use strict;
use warnings;
my $b = $ENV{SF_BUILD} || "build";
exec("$b/t/unit-starttls") or die "exec $b/t/unit-starttls: $!";
