#!/bin/sh
# tools/test.sh [STAGE...]: the stages in turn, by default all of them (make
# test); make check runs "unit suite". Stages:
#   unit      unit tests of the pure parts (build/test_policy, ASan + UBSan)
#   suite     the Apache::Test suite (tools/suite.sh)
#   browser   headless Chromium: t/browser/run.pl, t/browser/inspector.pl (tools/browser.sh)
#   deb       the Debian package (tools/deb.sh check)
#   fuzz      libFuzzer, FUZZ_SECONDS (60) per harness (tools/fuzz.sh)
#   valgrind  the Apache::Test suite under valgrind memcheck (tools/valgrind.sh)
#   load      load and graceful restart, LOAD_SECONDS (20) (tools/load.sh)
#   migrate   preflight-migrate on the recipe corpus, each proposal checked
#             against its recipe in two private httpds (t/migrate/run.pl)
# and the field stacks (make field; "field" names them all), each installing
# the Debian packages it needs and starting the real programs privately:
#   wordpress WordPress on PHP-FPM and MariaDB, event MPM (t/field/wordpress.pl)
#   modphp    the same site on prefork + mod_php, policy in .htaccess
#   webdav    mod_dav under a policy, checked by litmus (t/field/webdav.pl)
#   firefox   the browser cases in headless Firefox (t/browser/run.pl)
#   cache     mod_cache in front of a backend that reflects origins
# Each stage writes build/STAGE.log, whose last "N passed, M failed" line
# counts its own assertions. A stage fails when it exits non-zero, has no
# such line, has M > 0, or has N = 0 (it ran nothing); a failed stage counts
# at least one failure. Every stage runs even after one failed. The last line
# is the sum over the stages, "P passed, F failed", and the exit status is
# non-zero when any stage failed.
cd "$(dirname "$0")/.." || exit 1
ALL="unit suite browser deb fuzz valgrind load migrate"
FIELD="wordpress modphp webdav firefox cache"
STAGES=""
for s in ${*:-$ALL}; do
    case " $ALL $FIELD field " in
    *" $s "*) ;;
    *) echo "usage: tools/test.sh [STAGE...], stages: $ALL, field ($FIELD)" >&2; exit 2 ;;
    esac
    [ "$s" = field ] && s=$FIELD
    STAGES="$STAGES $s"
done
: "${FUZZ_SECONDS:=60}" "${LOAD_SECONDS:=20}"
mkdir -p build

# title STAGE: its heading.
title() {
    case $1 in
    unit) echo "unit tests of the pure parts (origins and lists, JSON, HTML, console wording; ASan + UBSan)" ;;
    suite) echo "Apache::Test suite" ;;
    browser) echo "browser (headless Chromium)" ;;
    deb) echo "Debian package (libapache2-mod-preflight: contents, a2enmod layout in a private /etc/apache2)" ;;
    fuzz) echo "fuzzing (libFuzzer, ASan + UBSan, $FUZZ_SECONDS s per harness)" ;;
    valgrind) echo "the Apache::Test suite again, against httpd -X under valgrind memcheck" ;;
    load) echo "load and graceful restart (wrk, event MPM, $LOAD_SECONDS s)" ;;
    migrate) echo "preflight-migrate: recipes read, proposals checked against them in two private httpds" ;;
    wordpress) echo "field: WordPress on PHP-FPM and MariaDB, event MPM" ;;
    modphp) echo "field: WordPress on prefork + mod_php, the policy in .htaccess" ;;
    webdav) echo "field: WebDAV (mod_dav) checked by litmus, with and without Basic authentication" ;;
    firefox) echo "field: the browser cases in headless Firefox" ;;
    cache) echo "field: mod_cache in front of a backend that reflects origins" ;;
    esac
}

# shown STAGE: the lines of its log worth showing when it passes.
shown() {
    case $1 in
    unit) echo '^$' ;;
    suite) echo '^(t/|Files=|Result:)' ;;
    browser) echo '^(not ok|browser:)' ;;
    deb) echo '^(not ok|deb:|# NOTE)' ;;
    fuzz) echo '^fuzz' ;;
    valgrind) echo '^(t/[a-z_0-9]+\.t \.|Files=|Result:|valgrind:)' ;;
    load) echo '^(load|graceful|self-test|counters):' ;;
    migrate) echo '^(not ok|# )' ;;
    *) echo '^(not ok|# |[a-z]+:)' ;;
    esac
}

run_unit() { ./build/test_policy; }
run_suite() { sh tools/suite.sh; }
run_browser() { sh tools/browser.sh; }
run_deb() { sh tools/deb.sh check; }
run_fuzz() { sh tools/fuzz.sh "$FUZZ_SECONDS"; }
run_valgrind() { sh tools/valgrind.sh; }
run_load() { sh tools/load.sh "$LOAD_SECONDS"; }
run_migrate() { perl t/migrate/run.pl; }
run_wordpress() {
    sh tools/deps.sh wordpress php8.2-fpm php8.2-cli php8.2-mysql mariadb-server && perl t/field/wordpress.pl fpm
}
run_modphp() {
    sh tools/deps.sh wordpress libapache2-mod-php8.2 php8.2-cli php8.2-mysql mariadb-server && perl t/field/wordpress.pl modphp
}
run_webdav() { sh tools/deps.sh litmus && perl t/field/webdav.pl; }
run_firefox() {
    sh tools/deps.sh firefox-esr wordpress php8.2-fpm php8.2-mysql php8.2-cli mariadb-server \
        && perl t/browser/run.pl --engine=firefox --wordpress
}
run_cache() { perl t/field/cache.pl; }

total_passed=0
total_failed=0
failed_stages=""

# stage NAME: runs it, shows what it did, adds its counts to the totals.
stage() {
    name=$1
    log=build/$name.log
    echo "== $(title "$name")"
    rc=0
    "run_$name" > "$log" 2>&1 || rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
    p=0; f=0
    if [ -n "$line" ]; then
        p=${line%% passed*}
        f=${line#* passed, }; f=${f%% failed}
    fi
    if [ "$rc" = 0 ] && [ -n "$line" ] && [ "$f" = 0 ] && [ "$p" -gt 0 ]; then
        grep -E "$(shown "$name")" "$log" || true
        echo "$name: $p passed, $f failed"
    else
        tail -60 "$log"
        why="exit status $rc"
        [ -n "$line" ] || why="$why, no count line"
        [ "$p" -gt 0 ] || why="$why, nothing passed"
        [ "$f" -gt 0 ] || f=1
        echo "$name: FAILED ($why; $p passed, $f failed; log $log)"
        failed_stages="$failed_stages $name"
    fi
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
}

for s in $STAGES; do
    stage "$s"
done

if [ -n "$failed_stages" ]; then
    echo "tools/test.sh: failed stages:$failed_stages"
else
    echo "tools/test.sh: every stage passed: $STAGES"
fi
echo "$total_passed passed, $total_failed failed"
[ -z "$failed_stages" ]
