#!/bin/sh
# The browser tests in headless Chromium (installed from Debian's chromium
# when it is missing): t/browser/run.pl, the cross-origin cases, then
# t/browser/inspector.pl, the explain handler's HTML page. Both print their
# ok / not ok lines; each one's own count line is shown as "browser: SCRIPT:
# N passed, M failed", and the last line is the sum over both, the one
# tools/test.sh counts. A script that exits non-zero or prints no count line
# counts at least one failure.
cd "$(dirname "$0")/.." || exit 1
sh tools/deps.sh chromium || exit 1
mkdir -p build
passed=0
failed=0
for script in t/browser/run.pl t/browser/inspector.pl; do
    out=build/browser-$(basename "$script" .pl).out
    rc=0
    perl "$script" > "$out" 2>&1 || rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
    grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$out"
    p=0 f=0
    if [ -n "$line" ]; then
        p=${line%% passed*}
        f=${line#* passed, }; f=${f%% failed}
    fi
    if [ "$rc" != 0 ] || [ -z "$line" ]; then
        [ "$f" -gt 0 ] || f=1
        echo "browser: $script: FAILED, exit status $rc, ${line:-no count line}"
    else
        echo "browser: $script: $line"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
