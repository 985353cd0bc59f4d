package PreflightReport;

# The one way the scripts that start their own servers (browser, field,
# migrate and counters stages) report what they checked: "ok N - what" or
# "not ok N - what" with the details as "#   " lines, what is only worth
# knowing as "# " lines, and the closing "N passed, M failed" line that
# tools/test.sh counts.
#
#   use PreflightReport qw(check finish note);
#   check($ok, 'what was checked', @details);   # returns $ok
#   note('what was seen', ...);                  # one "# " line per line
#   exit finish();                               # prints the count; 1 on a failure
use strict;
use warnings;

use Exporter qw(import);

our @EXPORT_OK = qw(check finish note);

my ($passed, $failed) = (0, 0);

sub check {
    my ($ok, $what, @detail) = @_;
    my $n = $passed + $failed + 1;
    if ($ok) {
        $passed++;
        print "ok $n - $what\n";
    }
    else {
        $failed++;
        print "not ok $n - $what\n";
        print map { "#   $_\n" } map { split /\n/ } grep { defined } @detail;
    }
    return $ok;
}

sub note {
    print map { "# $_\n" } map { split /\n/ } @_;
}

sub finish {
    print "$passed passed, $failed failed\n";
    return $failed ? 1 : 0;
}

1;
