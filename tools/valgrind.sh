#!/bin/sh
# The whole Apache::Test suite against one httpd running under valgrind
# memcheck, so that every request the suite sends (preflights, hostile raw
# bytes, .htaccess parsing, proxied and CGI backends, error documents) goes
# through mod_preflight with memcheck watching every read, write and jump.
#
# Fails when the suite does not pass, when memcheck reports any error whose
# stack (or allocation/origin stack) names one of the module's source files
# (the Makefile's SOURCES and HEADERS) or mod_preflight.so, when any traced
# process dies of a
# signal other than the SIGTERM that stops it, or when valgrind could not
# write a log. Errors elsewhere (httpd, APR, perl) are counted and listed but
# do not fail the run: they are not ours to fix.
#
#   sh tools/valgrind.sh
#
# Environment: HTTPD (default /usr/sbin/apache2), APXS (default apxs),
# VALGRIND_STARTUP_TIMEOUT (seconds to wait for httpd to answer, default 180),
# VALGRIND_SUITE_TIMEOUT (seconds the suite may run, default 600).
# Logs are kept in build/valgrind/ (suite.log, error_log, access_log, vg.PID.log).
# Exit status 0 on success, 1 on any failure. The last two lines:
#   valgrind: suite N tests passed; E errors total, 0 in mod_preflight (...)
#   P passed, F failed
# where P and F count the suite's tests under memcheck and three checks of
# their own: no memcheck error in mod_preflight, no process died of a
# signal, every valgrind log complete.
set -e
cd "$(dirname "$0")/.."
SRC=$(pwd)
HTTPD=${HTTPD:-/usr/sbin/apache2}
APXS=${APXS:-apxs}
STARTUP_TIMEOUT=${VALGRIND_STARTUP_TIMEOUT:-180}
SUITE_TIMEOUT=${VALGRIND_SUITE_TIMEOUT:-600}
OUT=$SRC/build/valgrind
START=$(date +%s)

fail() {
    echo "valgrind: FAIL: $*" >&2
    echo "0 passed, 1 failed"
    exit 1
}

# ---- what the run needs
sh tools/deps.sh
sh tools/deps.sh valgrind || fail "valgrind is missing"
. tools/server.sh

# ---- a private copy: Apache::Test writes its configuration and logs under
# t/, and the tests write .htaccess files into t/htdocs, so running in the
# source tree would collide with a concurrent "make test" there.
W=$(mktemp -d /tmp/pf-valgrind.XXXXXX)
VGPID=
PIDFILE=$W/t/logs/httpd.pid

# Valgrind writes its summary only once httpd has exited, and everything is
# slow under it: SIGTERM gets 120 s before SIGKILL.
stop_httpd() {
    [ -n "$VGPID" ] || return 0
    httpd_stop "$PIDFILE" --timeout=120 >/dev/null || true
    VGPID=
}

# The other processes valgrind followed: the cgid daemon, which httpd stops
# as it exits but which outlives an httpd that crashed, and CGI forks. Only
# those whose command line names this run's directory, so a reused pid is
# never hit.
ours() {
    for f in "$W"/vg/vg.*.log; do
        [ -f "$f" ] || continue
        p=${f##*/vg.}; p=${p%.log}
        tr '\0' ' ' 2>/dev/null < "/proc/$p/cmdline" | grep -qF "$W/" && echo "$p"
    done
    return 0
}

stop_others() {
    i=0
    while [ -n "$(ours)" ] && [ $i -lt 60 ]; do sleep 0.5; i=$((i+1)); done
    for p in $(ours); do
        echo "valgrind: process $p outlived httpd, stopping it" >&2
        kill -TERM "$p" 2>/dev/null || true
    done
    i=0
    while [ -n "$(ours)" ] && [ $i -lt 20 ]; do sleep 0.5; i=$((i+1)); done
    for p in $(ours); do kill -KILL "$p" 2>/dev/null || true; done
}

cleanup() {
    stop_httpd
    stop_others
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

chmod 755 "$W"
MODULE_FILES=$(make -s -C "$SRC" print-sources)
tar -C "$SRC" --exclude=./t/logs --exclude=./t/state --exclude='*.o' \
    --exclude='*.lo' --exclude='*.slo' --exclude='*.la' --exclude=./.libs \
    -cf - Makefile $MODULE_FILES tools t \
    | tar -C "$W" -xf -
cd "$W"
make -s APXS="$APXS" .libs/mod_preflight.so > build.log 2>&1 || { cat build.log; fail "the module did not build"; }

# httpd drops to nobody; it must read t/ and, for the processes it forks,
# create their valgrind logs.
chmod -R a+rX "$W"
VG=$W/vg
mkdir "$VG"
[ "$(id -u)" = 0 ] && chown nobody:nogroup "$VG"

PORT=$(free_port)
perl t/TEST.PL -apxs "$APXS" -httpd "$HTTPD" -port "$PORT" -servername 127.0.0.1 \
    -configure > configure.log 2>&1 || true
grep -q "^Listen *127.0.0.1:$PORT\$" t/conf/httpd.conf 2>/dev/null \
    || { cat configure.log; fail "Apache::Test did not write t/conf/httpd.conf for port $PORT"; }
mkdir -p t/logs
chmod a+rwx t/logs

# The defines Apache::Test itself passes, in case a .conf.in ever tests them.
DEFINES="--define=APACHE2 --define=APACHE2_4"
[ "$(perl -MConfig -e 'print $Config{useithreads} // ""')" = define ] \
    && DEFINES="$DEFINES --define=PERL_USEITHREADS"

# -X: one process, so the requests are served under the valgrind started
# here, in the threads of the event MPM (which is also why the proxied
# backend, served by the same process, does not deadlock).
# --leak-check=no: httpd allocates from APR pools that are freed as a whole
# or at exit, so memcheck's leak report lists pool blocks, never a real
# per-request leak. For the same reason memcheck cannot see an overrun that
# stays inside one pool block (the unit tests' ASan covers the pure parts);
# it does see uninitialised values, overruns past a block, anything malloc'd,
# and crashes. --trace-children=no: CGI scripts and the "apache2 -t" runs
# of config_errors.t are other programs; the cgid daemon (a fork, not an exec) is
# still checked, in its own log. --keep-debuginfo: httpd unloads and reloads
# modules between its two configuration passes, and an error in unloaded
# code would otherwise lose its file and line. --vgdb=no: no FIFOs left in
# /tmp by processes that have dropped to nobody.
SUPP=
[ -f "$SRC/tools/valgrind.supp" ] && SUPP="--suppressions=$SRC/tools/valgrind.supp"
echo "== starting httpd under valgrind memcheck on 127.0.0.1:$PORT"
# --foreground: httpd -X, a child of the helper, whose pid the pid file must
# hold; --answer: up when it answers HTTP, not when its socket is open.
T0=$(date +%s)
# shellcheck disable=SC2086
VGPID=$(httpd_start "$W/t/conf/httpd.conf" "$W/t" "$PIDFILE" "$PORT" --httpd="$HTTPD" \
    --foreground --answer --timeout="$STARTUP_TIMEOUT" --output="$VG/stdout" $DEFINES -- \
    valgrind --tool=memcheck --trace-children=no --error-limit=no --num-callers=40 \
    --track-origins=yes --leak-check=no --keep-debuginfo=yes --vgdb=no \
    --show-error-list=yes $SUPP \
    --log-file="$VG/vg.%p.log") || {
    cat "$VG/stdout" "$VG"/vg.*.log 2>/dev/null | tail -40
    fail "httpd did not answer on port $PORT within $(( $(date +%s) - T0 ))s"
}
MAINPID=$VGPID
STARTUP=$(( $(date +%s) - T0 ))
echo "httpd answered after ${STARTUP}s (pid $VGPID)"

echo "== Apache::Test suite against it"
T1=$(date +%s)
# -run-tests without -start-httpd: the harness uses the server that is up
# (it finds it by the pid file) and leaves it running. A watchdog stops the
# suite as soon as httpd dies (a crash would otherwise leave every test
# polling the logs for its full timeout) or after SUITE_TIMEOUT seconds.
perl -MPOSIX=WNOHANG -e '
    my ($httpd, $limit, @cmd) = @ARGV;
    sub alive {
        open my $fh, "<", "/proc/$httpd/stat" or return 0;
        return <$fh> !~ /\) [ZX] /;
    }
    my $pid = fork // die "fork: $!";
    if (!$pid) { setpgrp(0, 0); exec @cmd or die "exec: $!" }
    my ($t0, $why) = (time, "");
    while (waitpid($pid, WNOHANG) != $pid) {
        $why = "httpd (pid $httpd) died while the suite ran" unless alive();
        $why = "the suite was still running after ${limit}s" if time - $t0 > $limit;
        if ($why) {
            kill "TERM", -$pid; sleep 2; kill "KILL", -$pid; waitpid($pid, 0);
            print "valgrind: $why; suite stopped\n";
            exit 2;
        }
        select undef, undef, undef, 0.5;
    }
    exit($? >> 8);
' "$MAINPID" "$SUITE_TIMEOUT" perl t/TEST.PL -run-tests -verbose > suite.log 2>&1 || true
SUITE_TIME=$(( $(date +%s) - T1 ))
grep -E '^(t/[a-z_0-9]+\.t \.|Files=|Result:|valgrind: )' suite.log || true

# Peak resident memory of httpd under memcheck (shadow memory included).
RSS=$(sed -n 's/^VmHWM:[^0-9]*\([0-9]*\) kB/\1/p' "/proc/$MAINPID/status" 2>/dev/null || true)
echo "== stopping httpd"
T2=$(date +%s)
stop_httpd
echo "httpd and valgrind exited after $(( $(date +%s) - T2 ))s"
stop_others

mkdir -p "$OUT"
rm -f "$OUT"/vg.*.log
cp "$VG"/vg.*.log "$VG/stdout" suite.log "$OUT/"
cp t/logs/error_log t/logs/access_log "$OUT/" 2>/dev/null || true

SUITE_OK=
SUITE_COUNT=$(sh tools/suite.sh --count suite.log) && SUITE_OK=1
S_PASSED=${SUITE_COUNT%% passed*}
S_FAILED=${SUITE_COUNT#* passed, }; S_FAILED=${S_FAILED%% failed}
TESTS=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' suite.log | tail -1)
if [ -z "$SUITE_OK" ]; then
    echo "-- failed assertions (full output in build/valgrind/suite.log):" >&2
    perl -ne '$b = "" if /^# testing :/; $b .= $_;
              if (/^not ok/) { print $b; $b = "" } elsif (/^ok /) { $b = "" }
              print if /server is not ready|^Failed|\(Wstat|^valgrind: /' suite.log | head -300 >&2
fi

# One memcheck error context is a block of lines between two empty "==PID== "
# lines with at least one "at 0x" frame: its kind, its stack, and for bad
# addresses or uninitialised values the stack where the block or value came
# from. It is the module's when any line of it names the module's files.
# --show-error-list=yes repeats every context at exit with its count; a
# process that never exited under valgrind (a fork that exec'd a CGI) has
# only the contexts printed as they happened, counted once each.
MODULE_FILES="$MODULE_FILES" perl -e '
    my $main = shift;
    my $ours = join "|", "mod_preflight\\.so",
        map { quotemeta } split " ", $ENV{MODULE_FILES};
    my ($errors, $contexts, $mine, $procs, $crashes, $problems) = (0) x 6;
    my (@mine, %other);
    for my $f (@ARGV) {
        my ($pid) = $f =~ /vg\.(\d+)\.log$/;
        open my $fh, "<", $f or die "$f: $!";
        my $text = do { local $/; <$fh> };
        $procs++;
        if ($text =~ /Cannot create log file/) {
            print "LOST: $f: valgrind could not create the log of a child process\n";
            $problems++;
        }
        my $summary = $text =~ /ERROR SUMMARY: \d+ errors from \d+ contexts/;
        if (!$summary && $pid == $main) {
            print "NO SUMMARY: $f: valgrind did not finish for httpd itself\n";
            $problems++;
        }
        my (@listed, @inline);
        for my $b (split /^==\d+== ?\n/m, $text) {
            next unless $b =~ /^==\d+==\s+(?:at|by) 0x/m;
            (my $e = $b) =~ s/^==\d+== ?//mg;
            $e =~ s/^Thread \d+:\n//mg;
            if ($e =~ s/^(\d+) errors in context \d+ of \d+:\n//) {
                push @listed, [$1, $e];
            }
            elsif ($e =~ /^Process terminating with default action of signal (\d+)/) {
                # SIGTERM is how httpd stops the cgid daemon.
                next if $1 == 15;
                print "CRASH: pid $pid:\n$e\n";
                $crashes++;
            }
            else {
                push @inline, [1, $e];
            }
        }
        for my $c ($summary ? @listed : @inline) {
            my ($n, $e) = @$c;
            $errors += $n;
            $contexts++;
            if ($e =~ /(?:^|[\s(\/])(?:$ours)\b/) {
                $mine += $n;
                push @mine, "pid $pid, $n time(s):\n$e";
            }
            else {
                my ($head) = split /\n/, $e;
                my ($frame) = $e =~ /(?:at|by) 0x[0-9A-F]+: (.*)/;
                $other{"$head [$frame]"} += $n;
            }
        }
    }
    print "IN MOD_PREFLIGHT:\n$_\n" for @mine;
    print "elsewhere (not failing), $other{$_} time(s): $_\n" for sort keys %other;
    print "FIGURES $errors $contexts $mine $procs $crashes $problems\n";
' "$MAINPID" "$OUT"/vg.*.log > "$W/analysis" 2>&1 || { cat "$W/analysis"; fail "could not analyse the valgrind logs"; }
grep -v '^FIGURES ' "$W/analysis" || true
# shellcheck disable=SC2046
set -- $(sed -n 's/^FIGURES //p' "$W/analysis")
ERRORS=$1 CONTEXTS=$2 MINE=$3 PROCS=$4 CRASHES=$5 PROBLEMS=$6
HEAP=$(sed -n 's/.*total heap usage:.* frees, \([0-9,]*\) bytes allocated/\1/p' "$OUT/vg.$MAINPID.log" | head -1)

ELAPSED=$(( $(date +%s) - START ))
echo "valgrind: startup ${STARTUP}s, suite ${SUITE_TIME}s, total ${ELAPSED}s;" \
     "$PROCS processes checked; httpd peak RSS ${RSS:-?} kB, ${HEAP:-?} bytes malloc'd"
status=0
passed=$S_PASSED failed=$S_FAILED
# held "FAILURE MESSAGE" TEST...: one check of the logs.
held() {
    what=$1; shift
    if "$@"; then passed=$((passed + 1)); else echo "valgrind: FAIL: $what" >&2; failed=$((failed + 1)); status=1; fi
}
[ -n "$SUITE_OK" ] || { echo "valgrind: FAIL: the Apache::Test suite did not pass under valgrind (build/valgrind/suite.log)" >&2; status=1; }
held "$MINE memcheck error(s) in mod_preflight (above; logs in build/valgrind/)" [ "$MINE" = 0 ]
held "$CRASHES process(es) died of a signal (above)" [ "$CRASHES" = 0 ]
held "valgrind logs incomplete (above)" [ "$PROBLEMS" = 0 ]
if [ $status = 0 ]; then
    echo "valgrind: suite $TESTS tests passed; $ERRORS errors total, 0 in mod_preflight" \
         "($CONTEXTS contexts, $PROCS processes, ${ELAPSED}s, httpd peak RSS ${RSS:-?} kB)"
else
    echo "valgrind: suite ${TESTS:-0} tests, $( [ -n "$SUITE_OK" ] && echo passed || echo FAILED );" \
         "$ERRORS errors total, $MINE in mod_preflight ($CONTEXTS contexts, $PROCS processes, ${ELAPSED}s)"
fi
echo "$passed passed, $failed failed"
exit $status
