#!/bin/sh
# make bench needs valgrind (callgrind and its client-request header), wrk,
# taskset (util-linux) and GNU time; installs the missing ones.
set -e
missing=""
for p in valgrind wrk util-linux time; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $missing
