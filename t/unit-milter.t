#!/usr/bin/perl
# Runs the C unit test of the milter protocol's parser (t/unit-milter.c),
# which prints TAP.
use strict;
use warnings;
my $b = $ENV{SF_BUILD} || "build";
exec("$b/t/unit-milter") or die "exec $b/t/unit-milter: $!";
