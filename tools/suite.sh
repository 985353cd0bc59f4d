#!/bin/sh
# tools/suite.sh: the Apache::Test suite (t/*.t) against a real httpd that
# Apache::Test starts on a port it selects; its output goes to stdout.
# tools/suite.sh --count LOG: only judge the output of a run, kept in LOG.
#
# Apache::Test exits 0 without testing anything when it refuses to run (as
# root, say), so its exit status proves nothing: a run passes only with
# "Result: PASS" and a non-zero test count. The last line is the count,
# "N passed, M failed": N the tests that passed, M those that failed, or 1
# when the suite did not finish, did not pass, ran no test at all or skipped
# a whole file.
# Exit status 0 only when the run passed.
set -e
cd "$(dirname "$0")/.."
HTTPD=${HTTPD:-/usr/sbin/apache2}
APXS=${APXS:-apxs}

# count LOG: prints "N passed, M failed"; true when the run passed.
count() {
    perl -e '
        my ($tests, $result, $failed, $broken) = (undef, "", 0, 0);
        while (<>) {
            $tests = $1 if /^Files=\d+, Tests=(\d+),/;
            $result = $1 if /^Result: (\w+)/;
            # "t/x.t (Wstat: 256 (exited 1) Tests: 9 Failed: 2)": a file
            # that died or broke its plan may have no failed test of its own.
            if (/^t\/\S+\s+\(Wstat: .*Failed: (\d+)\)/) { $failed += $1; $broken++ unless $1 }
            # a whole file skipped tested nothing: every file must run
            $broken++ if /^t\/\S+\s+\.+\s+skipped/;
        }
        $failed += $broken;
        my $ok = $result eq "PASS" && ($tests // 0) > 0 && !$failed;
        $failed ||= 1 unless $ok;
        my $passed = ($tests // 0) - $failed;
        $passed = 0 if $passed < 0;
        print "$passed passed, $failed failed\n";
        exit($ok ? 0 : 1);
    ' "$1"
}

if [ "$1" = --count ]; then
    count "$2"
    exit
fi

# httpd's children run as nobody: they must be able to read t/htdocs.
chmod -R a+rX t
if ! runuser -u nobody -- test -r t/htdocs/. 2>/dev/null; then
    echo "t/htdocs is not readable by user nobody; clone the project where" \
         "every parent directory is world-executable (chmod o+x)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
mkdir -p build
log=build/suite.out
perl t/TEST.PL -clean >/dev/null 2>&1 || true
perl t/TEST.PL -apxs "$APXS" -httpd "$HTTPD" -port select \
    -servername 127.0.0.1 2>&1 | tee "$log"
count "$log"
