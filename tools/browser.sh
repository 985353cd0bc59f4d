#!/bin/sh
# The browser test (t/browser/run.pl): installs Debian's chromium when it is
# missing, then lets headless Chromium drive the cross-origin cases.
set -e
cd "$(dirname "$0")/.."
if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "ok installed"; then
    if [ "$(id -u)" != 0 ]; then
        echo "chromium is missing (apt-get install chromium as root)" >&2
        exit 1
    fi
    echo "installing chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium
fi
exec perl t/browser/run.pl
