#!/bin/bash
# tools/load.sh [SECONDS]: load test and graceful restart of mod_preflight.
#
# Starts a private httpd (event MPM, 127.0.0.1, a free port, ServerRoot in a
# temp dir, tools/load.conf.in) with the module already built in
# .libs/mod_preflight.so, and drives it with wrk and tools/load.lua:
#   1. checker self-test: every expectation inverted, every response must be
#      reported, so a passing run below means something;
#   2. warm-up (LOAD_WARMUP s, default 5), then the measured run (SECONDS,
#      default 20), every response checked; meanwhile a raw-socket client
#      checks that no Access-Control-* header line comes twice, which wrk's
#      header table cannot show; the RSS of all httpd processes after the
#      measured run must stay within max(+10%, +8 MB) of after the warm-up,
#      and no child may have been replaced; a run whose only fault is socket
#      errors (every response right, none lost) is repeated once, and the
#      repeat must have none;
#   3. graceful restart in the middle of a run (LOAD_GRACEFUL_SECONDS s,
#      default 10): no request lost, no unexpected answer, and the restart
#      really happened;
#   4. tools/counters.pl: the decision counters of /server-status?auto equal
#      the requests sent of each class, under event and prefork with several
#      children, across a graceful restart (its checks count here).
# Env: LOAD_CONNECTIONS (default 16), LOAD_WARMUP, LOAD_GRACEFUL_SECONDS,
# LOAD_KEEP=1 keeps the temp ServerRoot, HTTPD (default /usr/sbin/apache2).
# Exit status 0 only when every check passed. The last line counts the
# checks: "N passed, M failed" (the run stops at the first failed one).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
set -e
cd "$(dirname "$0")/.."
SRC=$(pwd)
HTTPD=${HTTPD:-/usr/sbin/apache2}
MODULE=$SRC/.libs/mod_preflight.so
DURATION=${1:-20}
WARMUP=${LOAD_WARMUP:-5}
GRACE=${LOAD_GRACEFUL_SECONDS:-10}
CONNS=${LOAD_CONNECTIONS:-16}

passed=0
failed=0
# passes: one more check held.
passes() { passed=$((passed + 1)); }
fail() {
    echo "load: FAIL: $*" >&2
    failed=$((failed + 1))
    exit 1
}

for v in DURATION WARMUP GRACE CONNS; do
    case ${!v} in
        ''|*[!0-9]*) fail "$v must be a whole number of seconds/connections, not '${!v}'" ;;
    esac
    [ "${!v}" -ge 1 ] || fail "$v must be at least 1"
done
[ "$GRACE" -ge 4 ] || fail "LOAD_GRACEFUL_SECONDS must be at least 4 (restart in the middle)"

[ -f "$MODULE" ] || fail "$MODULE is missing: build it first (make)"

sh tools/deps.sh apache2 wrk || fail "missing Debian packages"
. tools/server.sh

ROOT=$(mktemp -d /tmp/pf-load.XXXXXX)
# httpd's children run as nobody and must read the htdocs.
chmod 755 "$ROOT"
PIDFILE=$ROOT/httpd.pid
CONF=$ROOT/httpd.conf
BG_PIDS=""

cleanup() {
    local rc=$?
    for p in $BG_PIDS; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    httpd_stop "$PIDFILE" >/dev/null || echo "load: httpd did not stop on SIGTERM" >&2
    if [ $rc -ne 0 ] && [ -f "$ROOT/error_log" ]; then
        echo "--- last lines of $ROOT/error_log" >&2
        tail -20 "$ROOT/error_log" >&2
    fi
    if [ -n "$LOAD_KEEP" ]; then
        echo "load: kept $ROOT"
    else
        rm -rf "$ROOT"
    fi
    # Stopped by something other than a failed check (an error, a signal):
    # that is a failure too.
    [ $rc = 0 ] || [ "$failed" -gt 0 ] || failed=1
    echo "$passed passed, $failed failed"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the private server --------------------------------------------------
PORT=$(free_port)
for scope in loc dir ht out; do
    mkdir -p "$ROOT/htdocs/$scope"
    # About 100 bytes of JSON that names its scope: tools/load.lua checks
    # that a body comes from the file the request asked for.
    printf '{"scope":"%s","file":"data.json","items":[1,2,3,5,8,13],"note":"mod_preflight load test"}\n' \
        "$scope" > "$ROOT/htdocs/$scope/data.json"
done
cat > "$ROOT/htdocs/ht/.htaccess" <<'EOF'
PreflightEngine        On
PreflightAllowOrigin   https://app.example.com http://localhost:*
PreflightAllowMethods  PUT POST
PreflightAllowHeaders  Content-Type X-Token
PreflightExposeHeaders X-Request-Id
PreflightSuccessStatus 200
EOF
chmod -R a+rX "$ROOT/htdocs"
sed -e "s|@ROOT@|$ROOT|g" -e "s|@PORT@|$PORT|g" -e "s|@MODULE@|$MODULE|g" \
    tools/load.conf.in > "$CONF"
"$HTTPD" -t -f "$CONF" -d "$ROOT" >/dev/null 2>"$ROOT/configtest.log" || {
    cat "$ROOT/configtest.log" >&2; fail "configuration test failed"; }
PARENT=$(httpd_start "$CONF" "$ROOT" "$PIDFILE" "$PORT" --httpd="$HTTPD") || fail "httpd did not start"

# children PARENT: the pids whose parent is PARENT, from /proc/*/stat (the
# fields after the last ')' are: state ppid ...).
children() {
    local parent=$1 f s
    for f in /proc/[0-9]*/stat; do
        s=$(cat "$f" 2>/dev/null) || continue
        s=${s##*) }
        set -- $s
        if [ "$2" = "$parent" ]; then
            f=${f#/proc/}
            echo "${f%/stat}"
        fi
    done | sort
}

# rss_kb PID...: the sum of their VmRSS.
rss_kb() {
    local total=0 p kb
    for p in "$@"; do
        kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
        total=$((total + ${kb:-0}))
    done
    echo $total
}

parent_alive() {
    kill -0 "$PARENT" 2>/dev/null || fail "httpd's parent (pid $PARENT) is gone"
}

i=0
while [ "$(children "$PARENT" | wc -l)" -lt 4 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(children "$PARENT" | wc -l)" -eq 4 ] || fail "httpd did not start its 4 children"
passes
kids_start=$(children "$PARENT")
echo "load: httpd pid $PARENT on 127.0.0.1:$PORT, ServerRoot $ROOT"

# --- wrk -----------------------------------------------------------------
# One connection per wrk thread (see tools/load.lua). --timeout 10s: two
# cores are shared with other jobs, so a slow answer is not a lost one; a
# response slower than that still counts as a timeout and fails the run.
run_wrk() { # MODE SECONDS LOG
    local rc=0
    wrk -t "$CONNS" -c "$CONNS" -d "${2}s" --timeout 10s -s tools/load.lua \
        "http://127.0.0.1:$PORT/" -- "$1" > "$3" 2>&1 || rc=$?
    [ $rc = 0 ] || { cat "$3" >&2; fail "$1: wrk exited with status $rc"; }
}

# field LOG NAME: a NAME=value of the LOADCHECK line.
field() {
    sed -n "s/^LOADCHECK .* $2=\([0-9]*\).*/\1/p" "$1" | tail -1
}

# raw_field LOG NAME: a NAME=value of the RAWCHECK line.
raw_field() {
    sed -n "s/^RAWCHECK .*$2=\([0-9]*\).*/\1/p" "$1"
}

# socket_errors LOG: wrk's connect, read, write and timeout errors together.
socket_errors() {
    echo $(( $(field "$1" connect) + $(field "$1" read) + $(field "$1" write) + $(field "$1" timeout) ))
}

# check_wrk LOG LABEL: the run answered everything as expected.
check_wrk() {
    local log=$1 label=$2 req resp mis lost err
    if ! grep -q '^LOADCHECK ' "$log"; then
        cat "$log" >&2
        fail "$label: wrk or tools/load.lua did not finish"
    fi
    req=$(field "$log" requests); resp=$(field "$log" responses)
    mis=$(field "$log" mismatches); lost=$(field "$log" lost)
    err=$(socket_errors "$log")
    grep '^\(MISMATCH\|LOADMIX\)' "$log" || true
    grep -q '^LOADCHECK mode=load\|^LOADCHECK mode=graceful' "$log" || fail "$label: wrong mode"
    [ "$req" -gt 0 ] || fail "$label: no request completed"
    [ "$req" = "$resp" ] || fail "$label: wrk completed $req requests but the script checked $resp"
    [ "$err" = 0 ] || { grep '^LOADCHECK' "$log" >&2; fail "$label: $err socket errors"; }
    [ "$mis" = 0 ] || fail "$label: $mis responses were not what the policy must answer"
    [ "$lost" = 0 ] || fail "$label: $lost requests were never answered"
    passes
}

# No crashed child, and nothing worse than a warning, since LINE of the log.
check_error_log() { # FROM_LINE LABEL
    local bad
    bad=$(tail -n +"$1" "$ROOT/error_log" | grep -E 'exit signal|:(error|crit|alert|emerg)\]' || true)
    [ -z "$bad" ] || { echo "$bad" >&2; fail "$2: errors in the error log"; }
    passes
}
log_lines() { wc -l < "$ROOT/error_log"; }

# The raw-socket check, in parallel with the measured run: wrk's header
# table keeps one line of a repeated header, so here each response is read
# byte for byte and every Access-Control-* line counted.
raw_check() { # SECONDS LOG
    PORT=$PORT DEADLINE=$1 exec perl -MIO::Socket::INET -e '
        use strict; use warnings;
        my ($port, $end) = ($ENV{PORT}, time + $ENV{DEADLINE});
        my @cases;
        for my $s (["loc", "https://loc.example.com", "PUT"],
                   ["dir", "https://a.b.dir.example.com", "PUT"],
                   ["ht",  "http://localhost:8080", "PUT"]) {
            my ($scope, $origin, $m) = @$s;
            my $p = "/$scope/data.json";
            push @cases,
                [$origin, "OPTIONS $p", "Origin: $origin\r\nAccess-Control-Request-Method: $m\r\nAccess-Control-Request-Headers: content-type,x-token\r\n"],
                [$origin, "GET $p", "Origin: $origin\r\n"],
                [$origin, "OPTIONS $p", "Origin: $origin\r\n"],
                [undef, "OPTIONS $p", "Origin: https://evil.example.com\r\nAccess-Control-Request-Method: PUT\r\n"],
                [undef, "GET $p", "Origin: https://evil.example.com\r\n"];
        }
        # wrong: a wrong answer; unanswered: no connection or no complete
        # answer within 10 s (a stalled machine as much as a hung server).
        my ($n, $bad, $slow) = (0, 0, 0);
        while (time < $end) {
            for my $c (@cases) {
                my ($origin, $line, $hdrs) = @$c;
                my $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port, Timeout => 10)
                    or do { print "RAWFAIL connect: $!\n" if ++$slow <= 10; next };
                print $sock "$line HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n${hdrs}Connection: close\r\n\r\n";
                # A server that never closes must fail the check, not hang it.
                my $resp = eval {
                    local $SIG{ALRM} = sub { die "timeout\n" };
                    alarm 10; local $/; my $r = <$sock>; alarm 0; $r;
                };
                close $sock;
                $n++;
                if (!defined $resp) {
                    print "RAWFAIL $line: no complete answer within 10 s\n" if ++$slow <= 10;
                    next;
                }
                my ($head) = split /\r\n\r\n/, ($resp // ""), 2;
                my @lines = split /\r\n/, ($head // "");
                my $status = shift @lines // "";
                my (%count, %value);
                for (@lines) {
                    my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
                    $k = lc $k; $count{$k}++; $value{$k} = $v;
                }
                my @twice = grep { /^access-control-/ && $count{$_} > 1 } sort keys %count;
                my @acs = grep { /^access-control-/ } keys %count;
                my $why = $status !~ m{^HTTP/1\.1 \d{3} } ? "no status line"
                        : @twice ? "$twice[0] sent $count{$twice[0]} times"
                        : defined $origin && ($value{"access-control-allow-origin"} // "") ne $origin
                            ? "Access-Control-Allow-Origin is not $origin"
                        : !defined $origin && @acs ? "denied, yet $acs[0]"
                        : undef;
                if ($why) {
                    $bad++;
                    print "RAWFAIL $line ($hdrs): $why\n" =~ s/\r\n/; /gr if $bad <= 10;
                }
            }
        }
        print "RAWCHECK responses=$n wrong=$bad unanswered=$slow\n";
    ' > "$2" 2>&1
}

start=$(date +%s)

echo "== checker self-test (every expectation inverted, 2 s)"
run_wrk selftest 2 "$ROOT/selftest.log"
grep -q '^LOADCHECK mode=selftest' "$ROOT/selftest.log" || {
    cat "$ROOT/selftest.log" >&2; fail "self-test: wrk or tools/load.lua did not finish"; }
st_resp=$(field "$ROOT/selftest.log" responses)
st_mis=$(field "$ROOT/selftest.log" mismatches)
[ "$st_resp" -gt 0 ] && [ "$st_resp" = "$st_mis" ] ||
    fail "self-test: only $st_mis of $st_resp inverted expectations were reported"
passes
echo "self-test: $st_mis of $st_resp responses reported, as they must be"

echo "== warm-up ($WARMUP s, $CONNS connections)"
run_wrk load "$WARMUP" "$ROOT/warmup.log"
check_wrk "$ROOT/warmup.log" warm-up
parent_alive
sleep 1
kids_before=$(children "$PARENT")
rss_before=$(rss_kb "$PARENT" $kids_before)

# wall_minus_boot: the wall clock minus the time since boot, in seconds; it
# stays put unless the wall clock is stepped.
wall_minus_boot() {
    awk -v now="$(date +%s.%N)" '{ printf "%.2f", now - $1 }' /proc/uptime
}

# measured_run: the measured wrk run into $ROOT/load.log, with the raw-socket
# check and the RSS sampling alongside.
measured_run() {
    local clock_before clock_step
    clock_before=$(wall_minus_boot)
    raw_check "$DURATION" "$ROOT/raw.log" &
    RAW_PID=$!
    # Memory taken from a connection's pool is given back when the
    # connection closes, that is when wrk stops: such growth shows only
    # while the run goes on, so the RSS is also sampled every second.
    (
        peak=$(cat "$ROOT/rss_peak" 2>/dev/null || echo 0)
        while :; do
            kb=$(rss_kb "$PARENT" $kids_before)
            [ "$kb" -le "$peak" ] || { peak=$kb; echo "$peak" > "$ROOT/rss_peak"; }
            sleep 1
        done
    ) &
    PEAK_PID=$!
    BG_PIDS="$RAW_PID $PEAK_PID"
    run_wrk load "$DURATION" "$ROOT/load.log"
    wait "$RAW_PID" || true
    kill "$PEAK_PID" 2>/dev/null || true
    wait "$PEAK_PID" 2>/dev/null || true
    BG_PIDS=""
    clock_step=$(awk -v a="$clock_before" -v b="$(wall_minus_boot)" \
        'BEGIN { d = b - a; if (d > 0.5 || d < -0.5) printf "%.1f", d }')
    [ -z "$clock_step" ] || echo "load: the wall clock was stepped by $clock_step s during the run"
}

# only_socket_errors LOG: the run failed on socket errors alone; every
# response it read was right, every request it sent was answered, and the
# raw-socket check alongside found no wrong answer either.
only_socket_errors() {
    grep -q '^LOADCHECK ' "$1" || return 1
    [ "$(raw_field "$ROOT/raw.log" wrong)" = 0 ] || return 1
    [ "$(socket_errors "$1")" -gt 0 ] && [ "$(field "$1" mismatches)" = 0 ] && [ "$(field "$1" lost)" = 0 ] &&
        [ "$(field "$1" requests)" = "$(field "$1" responses)" ]
}

echo "== measured run ($DURATION s, $CONNS connections)"
measured_run
# A machine that stalls for seconds (a shared host, a stepped clock) makes
# wrk count timeouts, and the server close connections idle past their
# timeout; such a run is repeated once, and the repeat must be clean. A
# module that hangs or drops connections fails both; a wrong answer, a lost
# request or a crash fails the first.
retried=""
if only_socket_errors "$ROOT/load.log"; then
    retried=$(grep '^LOADCHECK' "$ROOT/load.log" | grep -o 'connect=.*timeout=[0-9]*')
    echo "load: socket errors ($retried) with every response right and none lost;" \
         "the measured run once more, which must have none"
    cp "$ROOT/load.log" "$ROOT/load-first.log"
    cp "$ROOT/raw.log" "$ROOT/raw-first.log"
    parent_alive
    measured_run
fi
rss_peak=$(cat "$ROOT/rss_peak" 2>/dev/null || echo 0)
check_wrk "$ROOT/load.log" load
parent_alive
sleep 1
kids_after=$(children "$PARENT")
rss_after=$(rss_kb "$PARENT" $kids_after)
check_error_log 1 "self-test, warm-up and load"
[ "$kids_start" = "$kids_before" ] && [ "$kids_before" = "$kids_after" ] ||
    fail "httpd's children changed (a crash?): $(echo $kids_start) at start," \
         "$(echo $kids_before) after warm-up, $(echo $kids_after) after the run"
passes

grep '^RAWFAIL' "$ROOT/raw.log" || true
raw_n=$(raw_field "$ROOT/raw.log" responses)
raw_bad=$(raw_field "$ROOT/raw.log" wrong)
raw_slow=$(raw_field "$ROOT/raw.log" unanswered)
[ -n "$raw_n" ] || { cat "$ROOT/raw.log" >&2; fail "raw check did not finish"; }
[ "$raw_n" -gt 0 ] || fail "raw check made no request"
[ "$raw_bad" = 0 ] || fail "raw check: $raw_bad of $raw_n responses were wrong"
[ "$raw_slow" = 0 ] || fail "raw check: $raw_slow requests had no complete answer within 10 s"
passes

requests=$(field "$ROOT/load.log" requests)
dur_us=$(field "$ROOT/load.log" duration_us)
p99_us=$(field "$ROOT/load.log" p99_us)
rps=$(awk -v n="$requests" -v us="$dur_us" 'BEGIN { printf "%d", n / (us / 1e6) }')
secs=$(awk -v us="$dur_us" 'BEGIN { printf "%.1f", us / 1e6 }')
# The bound: +10% of the warmed-up RSS or +8 MB, whichever is larger. The
# 8 MB floor covers one-off growth that is not a leak: worker threads that
# first get work after the warm-up touch their stacks and fill their APR
# allocators (up to MaxMemFree each), malloc arenas grow to their working
# size, pages of shared libraries and mmapped files are touched for the
# first time. With some 10^5 requests or more in a run, a leak of even
# ~100 bytes per request goes past it; the report prints that threshold.
grow_kb=$((rss_after - rss_before))
bound_kb=$((rss_before / 10))
[ "$bound_kb" -ge 8192 ] || bound_kb=8192
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }
per_req=$(awk -v kb="$bound_kb" -v n="$requests" 'BEGIN { printf "%d", kb * 1024 / n }')
echo "load: $requests requests in $secs s ($rps req/s, p99 $((p99_us / 1000)) ms), 0 errors, 0 mismatches;" \
     "raw check: $raw_n responses, no repeated Access-Control-* line"
echo "RSS of httpd (parent + $(echo "$kids_after" | wc -w) children): $(mb "$rss_before") MB after warm-up," \
     "peak $(mb "$rss_peak") MB during the run, $(mb "$rss_after") MB after it" \
     "(bound +$(mb "$bound_kb") MB: a leak above $per_req bytes/request fails)"
[ "$grow_kb" -le "$bound_kb" ] ||
    fail "RSS grew by $(mb "$grow_kb") MB during the run (bound $(mb "$bound_kb") MB): a leak?"
passes
[ $((rss_peak - rss_before)) -le "$bound_kb" ] ||
    fail "RSS peaked $(mb $((rss_peak - rss_before))) MB above the warmed-up RSS during the run" \
         "(bound $(mb "$bound_kb") MB): a leak into a connection's memory?"
passes

echo "== graceful restart in the middle of a $GRACE s run"
# Every request here has its own connection (Connection: close). With
# keep-alive, a graceful restart closes idle persistent connections, and a
# request the client sends just as its connection closes is lost in a race
# that HTTP leaves to the client to retry (RFC 9112, 9.3.1) and wrk does not:
# such read errors say nothing about the server. A fresh connection per
# request goes through the listening socket, which httpd keeps open across
# the restart, so every request must be answered, by the old generation or
# by the new one.
from=$(log_lines)
kids_old=$(children "$PARENT")
run_wrk graceful "$GRACE" "$ROOT/graceful.log" &
WRK_PID=$!
BG_PIDS="$WRK_PID"
sleep $((GRACE / 2))
httpd_graceful "$PIDFILE"
wait "$WRK_PID" || fail "graceful: wrk failed"
BG_PIDS=""
check_wrk "$ROOT/graceful.log" graceful
parent_alive
# The old generation exits once its last request is done.
i=0
while [ $i -lt 100 ]; do
    kids_new=$(children "$PARENT")
    [ -z "$(comm -12 <(echo "$kids_old") <(echo "$kids_new"))" ] && break
    sleep 0.1; i=$((i + 1))
done
[ -z "$(comm -12 <(echo "$kids_old") <(echo "$kids_new"))" ] ||
    fail "graceful: children of the old generation still run: $(echo $kids_new)"
passes
[ -n "$kids_new" ] || fail "graceful: no children after the restart"
passes
tail -n +"$from" "$ROOT/error_log" | grep -q 'AH00493: SIGUSR1 received' ||
    fail "graceful: the error log shows no graceful restart (AH00493)"
passes
[ "$(grep -c 'resuming normal operations' "$ROOT/error_log")" -ge 2 ] ||
    fail "graceful: the new generation did not report 'resuming normal operations'"
passes
check_error_log "$from" graceful

g_req=$(field "$ROOT/graceful.log" requests)
served=$(wc -l < "$ROOT/graceful_log")
old_served=$(grep -cxFf <(echo "$kids_old") "$ROOT/graceful_log" || true)
new_served=$(grep -cxFf <(echo "$kids_new") "$ROOT/graceful_log" || true)
[ "$old_served" -gt 0 ] && [ "$new_served" -gt 0 ] ||
    fail "graceful: the old generation served $old_served requests and the new $new_served; both must"
passes
[ $((old_served + new_served)) -eq "$served" ] ||
    fail "graceful: $((served - old_served - new_served)) requests were served by unknown processes"
passes
# Every response wrk received was logged, and the server answered at most
# one request per connection that wrk had not read yet when it stopped.
[ "$served" -ge "$g_req" ] && [ "$served" -le $((g_req + CONNS)) ] ||
    fail "graceful: the server answered $served requests, wrk received $g_req"
passes
echo "graceful: $g_req requests received, $served answered (old generation $old_served," \
     "new $new_served), children $(echo $kids_old) -> $(echo $kids_new)"

echo "== decision counters under load, event and prefork, several children (tools/counters.pl)"
# Its own servers; its checks add to this stage's count.
c_rc=0
perl tools/counters.pl > "$ROOT/counters.log" 2>&1 || c_rc=$?
grep -E '^(not ok|#|counters:)' "$ROOT/counters.log" || true
c_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$ROOT/counters.log" | tail -1)
c_pass=${c_line%% passed*}
c_fail=${c_line#* passed, }; c_fail=${c_fail%% failed}
passed=$((passed + ${c_pass:-0}))
[ -n "$c_line" ] && [ "$c_rc" = 0 ] && [ "$c_fail" = 0 ] && [ "${c_pass:-0}" -gt 0 ] || {
    [ -n "$c_line" ] || cat "$ROOT/counters.log" >&2
    [ "${c_fail:-0}" -gt 0 ] && failed=$((failed + c_fail - 1))
    fail "counters: exit status $c_rc, ${c_line:-no count line}"
}
echo "counters: ${c_pass} checks passed (event and prefork)"

total=$(( $(date +%s) - start ))
echo "load: $requests requests in $secs s ($rps req/s), 0 errors, 0 mismatches," \
     "RSS $(mb "$rss_before") MB -> $(mb "$rss_after") MB (peak $(mb "$rss_peak"), bound +$(mb "$bound_kb") MB);" \
     "graceful: $g_req requests, 0 lost; raw: $raw_n; self-test: $st_mis/$st_resp caught; ${total} s"
[ -z "$retried" ] || echo "load: the first measured run had socket errors ($retried) and was repeated"
