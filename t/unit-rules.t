#!/usr/bin/perl
# t/unit-rules.t: runs the C unit tests of rules.c and reply.c
# (t/unit-rules.c), which print TAP themselves.  The binary comes from
# $SF_BUILD/t/unit-rules, SF_BUILD defaulting to build/ at the top of the
# tree; build it with "make build/t/unit-rules".
use strict;
use warnings;
use Cwd qw(abs_path);
use FindBin;

$ENV{SF_BUILD} ||= abs_path("$FindBin::Bin/..") . '/build';
exec("$ENV{SF_BUILD}/t/unit-rules")
    or die "cannot run $ENV{SF_BUILD}/t/unit-rules: $!\n";
