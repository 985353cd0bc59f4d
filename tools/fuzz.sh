#!/bin/sh
# Fuzzes the pure parts of mod_preflight (make print-pure-sources: origins,
# lists, JSON, HTML, console wording) with libFuzzer under
# AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer:
#   t/fuzz/fuzz_origin.c   request Origin parsing and matching, configured origins
#   t/fuzz/fuzz_headers.c  Access-Control-Request-Headers, methods, tokens,
#                          explain query decoding, JSON quoting, HTML
#                          escaping and Accept
#   t/fuzz/fuzz_migrate.c  preflight-migrate's configuration reader and its
#                          evaluation of Origin regexes (PCRE2)
#
#   tools/fuzz.sh [SECONDS]     run each harness for SECONDS (default 30)
#
# The harnesses run at the same time, so the wall time is about SECONDS
# plus the build. They start from a scratch copy of t/fuzz/corpus/ in
# build/fuzz/corpus/, so the repository's seeds are never written to.
# libFuzzer's own output goes to build/fuzz/{origin,headers,migrate}.log.
# Exit status: 0 when all ran without a crash, a sanitizer report, a leak,
# a hang or a violated property; 1 otherwise, with the failing input saved
# under build/fuzz/artifacts/ and the command that replays it; 2 on bad usage.
# The last line counts the harnesses: "N passed, M failed", one passed for
# each that ran its time to the end with none of those.
set -e
cd "$(dirname "$0")/.."

secs=${1:-30}
case $secs in
''|*[!0-9]*|0*)
    # libFuzzer reads -max_total_time=0 as "forever".
    echo "usage: tools/fuzz.sh [SECONDS]  (a whole number of seconds, at least 1)" >&2
    exit 2 ;;
esac

# clang and its runtime must be the same release: libFuzzer and the
# sanitizers live in libclang-rt-14-dev. llvm-14 brings llvm-symbolizer,
# without which reports show addresses instead of file:line.
sh tools/deps.sh clang-14 libclang-rt-14-dev llvm-14 libapr1-dev libpcre2-dev libpsl-dev

CC=clang-14
out=build/fuzz
work=$out/corpus
mkdir -p "$out" "$out/artifacts/origin" "$out/artifacts/headers" "$out/artifacts/migrate"

start=$(date +%s)
apr_cflags=$(apr-1-config --cppflags --cflags --includes)
apr_libs=$(apr-1-config --link-ld --libs)
pure=$(make -s print-pure-sources)
for h in origin headers migrate; do
    extra=""
    [ "$h" = migrate ] && extra="migrate/conf_reader.c migrate/recipe.c migrate/recipe_headers.c migrate/recipe_options.c migrate/regex_eval.c migrate/findings.c migrate/propose.c migrate/directives.c -lpcre2-8 -lpsl"
    # shellcheck disable=SC2086
    if ! $CC -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
            -Wall -Wextra -Wno-unused-parameter $apr_cflags -I. \
            "t/fuzz/fuzz_$h.c" $pure $extra -o "$out/fuzz_$h" $apr_libs; then
        echo "fuzz: building fuzz_$h failed" >&2
        exit 1
    fi
done

rm -rf "$work"
mkdir -p "$work/origin" "$work/headers" "$work/migrate"
cp t/fuzz/corpus/origin/* "$work/origin/"
cp t/fuzz/corpus/headers/* "$work/headers/"
cp t/fuzz/corpus/migrate/* "$work/migrate/"

# Dictionaries: the fixed words the policies compare against, so that the
# fuzzer reaches the interesting comparisons in seconds rather than hours.
cat > "$out/origin.dict" <<'EOF'
"https://"
"http://"
"://"
"app.example.com"
".example.com"
"example.com"
"evil.example.com"
"localhost"
":8080"
":8443"
":443"
":80"
":*"
"*."
"null"
"[::1]"
"chrome-extension://abcdefgh"
"@"
"/"
"?"
"#"
","
"\x00"
"\x0d\x0a"
"\xc3\xa4"
EOF
cat > "$out/headers.dict" <<'EOF'
"content-type"
"Content-Type"
"x-token"
"X-Token"
"authorization"
"Authorization"
"x-debug"
"<"
">"
"&"
"\""
"'"
"text/html"
"application/json"
";q=0."
"*/*"
"GET"
"HEAD"
"POST"
"PUT"
"DELETE"
","
", "
"\x09"
"\x00"
"\x0d\x0a"
EOF
cat > "$out/migrate.dict" <<'EOF'
"\x0a"
"<Directory /x>"
"</Directory>"
"<Location \"/api/\">"
"</Location>"
"<IfModule mod_headers.c>"
"</IfModule>"
"<If \"%{HTTP:Origin} =~ m#^https://a\\.b$#\">"
"</If>"
"<LimitExcept OPTIONS>"
"</LimitExcept>"
"Header always set Access-Control-Allow-Origin "
"Header set Access-Control-Allow-Credentials true"
"Header always merge Vary Origin"
"\"expr=%{req:Origin}\""
" env=CORS"
"SetEnvIf Origin "
"SetEnvIfExpr "
"RewriteCond %{REQUEST_METHOD} OPTIONS"
"RewriteRule ^ - [R=204,L]"
"[E=CORS:%{HTTP:Origin}]"
"Require valid-user"
"Require method OPTIONS"
"Include "
"^https://"
"\\.example\\.com$"
"([a-z0-9-]+\\.)?"
"(app|admin)"
"(:[0-9]+)?"
".*"
"null"
EOF

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:symbolize=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer

# Starts one harness in the background; its pid is in $!.
fuzz() {
    name=$1 max_len=$2
    # A per-input timeout far above the microseconds an input takes, so
    # only a real hang trips it, even on a loaded machine.
    "$out/fuzz_$name" -max_total_time="$secs" -max_len="$max_len" \
        -detect_leaks=1 -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
        -dict="$out/$name.dict" -artifact_prefix="$out/artifacts/$name/" \
        "$work/$name" > "$out/$name.log" 2>&1 &
}

echo "fuzz: running fuzz_origin, fuzz_headers and fuzz_migrate for $secs s each (logs in $out/)"
fuzz origin 4096
pid_origin=$!
fuzz headers 65536
pid_headers=$!
fuzz migrate 16384
pid_migrate=$!
# Interrupted: stop our fuzzers rather than leave them running.
trap 'kill $pid_origin $pid_headers $pid_migrate 2>/dev/null; exit 1' INT TERM HUP
rc_origin=0
wait $pid_origin || rc_origin=$?
rc_headers=0
wait $pid_headers || rc_headers=$?
rc_migrate=0
wait $pid_migrate || rc_migrate=$?
trap - INT TERM HUP

passed=0
failed=0
peak=0
summary=""
for name in origin headers migrate; do
    log=$out/$name.log
    case $name in
    origin) rc=$rc_origin ;;
    migrate) rc=$rc_migrate ;;
    *) rc=$rc_headers ;;
    esac
    done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 || true)
    if [ "$rc" != 0 ] || [ -z "$done_line" ] \
       || grep -aqE 'PROPERTY VIOLATED|ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|^==[0-9]+==ERROR' "$log"; then
        failed=$((failed + 1))
        echo "fuzz: FAIL: fuzz_$name (exit status $rc); the report:" >&2
        # The report from its first line, without libFuzzer's progress lines.
        LC_ALL=C awk '/PROPERTY VIOLATED|==[0-9]+==ERROR|runtime error:|ERROR: libFuzzer/ {on = 1}
             on && !/^#[0-9]+/ {print; if (++n >= 60) exit}' "$log" >&2
        unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        if [ -n "$unit" ]; then
            echo "fuzz: failing input saved as $unit; replay it with: $out/fuzz_$name $unit" >&2
        fi
        echo "fuzz: full log: $log" >&2
        continue
    fi
    runs=$(echo "$done_line" | sed 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/')
    took=$(echo "$done_line" | sed 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/')
    rate=$(sed -n 's/^stat::average_exec_per_sec: *\([0-9]*\)/\1/p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *\([0-9]*\)/\1/p' "$log" | tail -1)
    # "corp: N/SIZE" on the DONE line: the corpus in memory at the end.
    last=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
    corpus=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\)\/\([0-9]*[KM]*b\).*/\1 inputs (\2)/p')
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/\1 edges, \2 features/p')
    seeds=$(find "t/fuzz/corpus/$name" -type f | wc -l)
    printf 'fuzz %-8s %s execs in %s s (%s exec/s), corpus %s seeds -> %s, coverage %s, peak RSS %s MB\n' \
        "$name:" "$runs" "$took" "$rate" "$seeds" "$corpus" "$cov" "$rss"
    passed=$((passed + 1))
    if [ "${rss:-0}" -gt "$peak" ]; then peak=$rss; fi
    summary="$summary${summary:+, }$name $runs execs in $took s"
done

if [ "$failed" -gt 0 ]; then
    echo "fuzz: $failed of 3 harnesses failed (inputs in $out/artifacts/)" >&2
    echo "$passed passed, $failed failed"
    exit 1
fi
echo "fuzz: $summary, 0 crashes, peak RSS $peak MB, $(( $(date +%s) - start )) s in all"
echo "$passed passed, $failed failed"
