#!/usr/bin/perl
# t/migrate/corpus/counts.pl: the counts of README.md "Counts", from the
# expect files (recipes by load line, findings by id, admits, untranslated,
# the recipes without a finding).
use strict;
use warnings;
use FindBin;

my (%load, %id, $admits, $untr, @none, $n);
for my $d (sort glob("$FindBin::Bin/[0-9][0-9][0-9]-*")) {
    open my $fh, '<', "$d/expect" or next;
    $n++;
    my $found = 0;
    while (<$fh>) {
        next if /^\s*(#|$)/;
        $load{$1}++ if /^load (.*?)\s*$/;
        if (/^finding (\S+)/) { $id{$1}++; $found++ }
        $admits++ if /^admits /;
        $untr++ if /^untranslated /;
    }
    push @none, $d =~ s{.*/(\d+)-.*}{$1}r unless $found;
}
my $total = 0;
$total += $_ for values %id;
print "$n recipes: ", join(', ', map { "$load{$_} $_" } sort keys %load), "\n";
print "$total findings: ", join(', ', map { "$_ $id{$_}" } sort { $id{$b} <=> $id{$a} || $a cmp $b } keys %id),
      "; ", $admits // 0, " admits, ", $untr // 0, " untranslated\n";
print "without a finding: @none\n";
