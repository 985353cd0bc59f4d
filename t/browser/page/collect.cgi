#!/usr/bin/perl
# The collector: the page POSTs what its fetch() calls saw (JSON) here, on its
# own origin, as ?set=NAME; the body is written to
# $PREFLIGHT_RESULTS/NAME.json (renamed into place once complete), which
# t/browser/run.pl waits for.
use strict;
use warnings;
my $dir = $ENV{PREFLIGHT_RESULTS};
my ($set) = ($ENV{QUERY_STRING} // '') =~ /(?:^|&)set=([A-Za-z0-9_-]{1,64})(?:&|$)/;
my $len = $ENV{CONTENT_LENGTH} // 0;
sub answer { print "Status: $_[0]\r\nContent-Type: text/plain\r\n\r\n$_[1]\n"; exit }
answer(405, 'POST only') unless ($ENV{REQUEST_METHOD} // '') eq 'POST';
answer(400, 'set=NAME: letters, digits, - and _') unless defined $set;
answer(500, 'PREFLIGHT_RESULTS is not set') unless $dir && -d $dir;
answer(413, 'at most 4 MB') if $len !~ /^\d+$/ || $len > 4 << 20;
binmode STDIN;
my $body = '';
while (length $body < $len) {
    read(STDIN, $body, $len - length $body, length $body) or last;
}
answer(400, 'short body') if length $body < $len;
my $tmp = "$dir/.$set.$$";
open my $out, '>', $tmp or answer(500, "cannot write: $!");
print $out $body;
close $out or answer(500, "cannot write: $!");
rename $tmp, "$dir/$set.json" or answer(500, "cannot rename: $!");
print "Status: 204\r\n\r\n";
