#!/bin/sh
# make test: every stage in turn, each of which must pass and prove that it
# ran. Apache::Test in particular exits 0 without testing anything when it
# refuses to run, so its stage needs "Result: PASS" and a non-zero count.
# The last line is the total: "N passed, 0 failed".
set -e
cd "$(dirname "$0")/.."
HTTPD=${HTTPD:-/usr/sbin/apache2}
APXS=${APXS:-apxs}
mkdir -p build
total=0

# count LOG: the N of a closing "N passed, 0 failed" line, or fail the stage.
count() {
    n=$(sed -n 's/^\([0-9][0-9]*\) passed, 0 failed$/\1/p' "$1" | tail -1)
    if [ -z "$n" ] || [ "$n" -lt 1 ]; then
        echo "make test: stage failed or ran nothing (see $1)" >&2
        exit 1
    fi
    total=$((total + n))
}

echo "== unit tests (preflight_policy.c, ASan + UBSan)"
./build/test_policy > build/unit.log 2>&1 || { cat build/unit.log; exit 1; }
tail -1 build/unit.log
count build/unit.log

echo "== Apache::Test suite"
# httpd's children run as nobody: they must be able to read t/htdocs.
chmod -R a+rX t
if ! runuser -u nobody -- test -r t/htdocs/. 2>/dev/null; then
    echo "t/htdocs is not readable by user nobody; clone the project where" \
         "every parent directory is world-executable (chmod o+x)" >&2
    exit 1
fi
perl t/TEST.PL -clean >/dev/null 2>&1 || true
perl t/TEST.PL -apxs "$APXS" -httpd "$HTTPD" -port select \
    -servername 127.0.0.1 > build/suite.log 2>&1 || true
grep -E '^(t/|Files=|Result:)' build/suite.log || true
tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' build/suite.log | tail -1)
if ! grep -q '^Result: PASS' build/suite.log || [ -z "$tests" ] || [ "$tests" -lt 1 ]; then
    cat build/suite.log
    echo "make test: the Apache::Test suite did not pass (see build/suite.log, t/logs/error_log)" >&2
    exit 1
fi
echo "$tests passed, 0 failed" > build/suite.count
count build/suite.count

echo "== browser (headless Chromium)"
sh tools/browser.sh > build/browser.log 2>&1 || { cat build/browser.log; exit 1; }
grep -E '^(not ok|browser:)' build/browser.log || true
tail -1 build/browser.log
count build/browser.log

echo "== Debian package (libapache2-mod-preflight: contents, a2enmod layout in a private /etc/apache2)"
sh tools/deb.sh check > build/deb.log 2>&1 || { cat build/deb.log; exit 1; }
grep -E '^(not ok|deb:|# NOTE)' build/deb.log || true
tail -1 build/deb.log
count build/deb.log

# stage NAME LOG COMMAND...: a stage without its own "N passed" line counts
# as one check; it passes by its exit status and its summary line.
stage() {
    name=$1; log=$2; shift 2
    "$@" > "$log" 2>&1 || { cat "$log"; echo "make test: $name failed" >&2; exit 1; }
    grep -E "^$name:" "$log" | tail -2
    total=$((total + 1))
}

echo "== fuzzing (libFuzzer, ASan + UBSan, ${FUZZ_SECONDS:=60} s per harness)"
stage fuzz build/fuzz.log sh tools/fuzz.sh "$FUZZ_SECONDS"

echo "== the Apache::Test suite again, against httpd -X under valgrind memcheck"
stage valgrind build/valgrind.log sh tools/valgrind.sh

echo "== load and graceful restart (wrk, event MPM, ${LOAD_SECONDS:=20} s)"
stage load build/load.log sh tools/load.sh "$LOAD_SECONDS"

echo "make test: every stage passed"
echo "$total passed, 0 failed"
