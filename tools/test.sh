#!/bin/sh
# Runs the Apache::Test suite against a private httpd on 127.0.0.1 and checks
# that tests really ran: Apache::Test exits 0 without testing anything when it
# refuses to run, so a pass needs "Result: PASS" and a non-zero test count.
set -e
cd "$(dirname "$0")/.."
HTTPD=${HTTPD:-/usr/sbin/apache2}
APXS=${APXS:-apxs}
mkdir -p build
log=build/test.log

# httpd's children run as nobody: they must be able to read t/htdocs.
chmod -R a+rX t
if ! runuser -u nobody -- test -r t/htdocs/. 2>/dev/null; then
    echo "t/htdocs is not readable by user nobody; clone the project where" \
         "every parent directory is world-executable (chmod o+x)" >&2
    exit 1
fi

# Unit tests of the pure parts first: "N passed, N failed".
./build/test_policy | tee build/unit.log
unit_passed=$(sed -n 's/^\([0-9]*\) passed, 0 failed$/\1/p' build/unit.log)
if [ -z "$unit_passed" ]; then
    echo "make test: unit tests failed" >&2
    exit 1
fi

perl t/TEST.PL -clean >/dev/null 2>&1 || true
status=0
perl t/TEST.PL -apxs "$APXS" -httpd "$HTTPD" -port select \
    -servername 127.0.0.1 "$@" 2>&1 | tee "$log" || status=$?
# tee hides the exit status of the suite: read it from the harness summary.
if ! grep -q '^Result: PASS' "$log"; then
    echo "make test: the Apache::Test suite did not pass (see $log, t/logs/error_log)" >&2
    exit 1
fi
tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$log" | tail -1)
if [ -z "$tests" ] || [ "$tests" -lt 1 ]; then
    echo "make test: the suite ran no test" >&2
    exit 1
fi
echo "make test: $unit_passed unit checks and $tests Apache::Test assertions"
echo "$((unit_passed + tests)) passed, 0 failed"
