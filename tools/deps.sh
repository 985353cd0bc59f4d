#!/bin/sh
# tools/deps.sh [PACKAGE...]: installs the Debian packages that are missing,
# by default those the build, make run and make test need; every other
# script names its own. Does nothing when all are present.
set -e
need=${*:-"apache2 apache2-dev libapache2-mod-perl2 libwww-perl curl make gcc libpsl-dev publicsuffix nghttp2-client"}
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages:$missing (run as root, or apt-get install them)" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $missing
