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
# Packages such as mariadb-server and php8.2-fpm start their system service
# on installation; the tests start their own private copies and never use
# those, so the install is told not to start any (policy-rc.d, exit 101).
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    guard=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' > "$guard"
    chmod 755 "$guard"
    trap 'rm -f "$guard"' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $missing
