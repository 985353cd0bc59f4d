#!/bin/sh
# The browser test (t/browser/run.pl): installs Debian's chromium when it is
# missing, then lets headless Chromium drive the cross-origin cases.
set -e
cd "$(dirname "$0")/.."
sh tools/deps.sh chromium
exec perl t/browser/run.pl
