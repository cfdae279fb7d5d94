#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
# tap-count.pl LOG: a suite's saved output read as TAP by TAP::Parser, the
# parser behind prove, for tests/lib/runner.sh.  Prints one line
# "PASSED FAILED SKIPPED CHECKS", then, when the stream is no valid TAP (no
# plan, several, a plan its checks do not meet, numbers out of order, a
# bail out), a second line saying why.  Lines that are no TAP (a guest's
# console, a tool's chatter) are ignored, as prove ignores them.
use strict;
use warnings;
use TAP::Parser;
use TAP::Parser::Iterator::Array;

@ARGV == 1 or die "usage: $0 LOG\n";
open(my $fh, '<', $ARGV[0]) or die "$0: $ARGV[0]: $!\n";
my @lines = <$fh>;
close($fh);
s/\r?\n\z// for @lines;	# a guest's serial console ends its lines with CR LF

# the lines as they are: given a string, the parser would guess whether it
# names a file or a program (an empty log, one line with no newline)
my $parser = TAP::Parser->new({ iterator => TAP::Parser::Iterator::Array->new(\@lines) });
my ($passed, $failed, $skipped, $plans, $bailout) = (0, 0, 0, 0, undef);
while (my $r = $parser->next) {
	$plans++ if $r->is_plan;
	$bailout //= $r->explanation if $r->is_bailout;
	next unless $r->is_test;
	# TAP's sense: "not ok ... # TODO" passes, a check past the plan fails
	if (!$r->is_ok) { $failed++ }
	elsif ($r->has_skip) { $skipped++ }
	else { $passed++ }
}
print join(' ', $passed, $failed, $skipped, $parser->tests_run), "\n";

# several plans first: the parser's own words for them are about numbers
my @errors = $parser->parse_errors;
my $why;
if (defined $bailout) {
	$why = "bailed out: $bailout";
} elsif ($plans > 1) {
	$why = "$plans plans, TAP allows one";
} elsif (@errors) {
	$why = $errors[0];
	$why .= sprintf(' (and %d more)', @errors - 1) if @errors > 1;
}
if (defined $why) {
	$why =~ s/\s+/ /g;
	print "$why\n";
}
