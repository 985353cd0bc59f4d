#!/bin/sh
# make run / make stop: a private httpd on 127.0.0.1 with
# conf/example.conf.in, its ServerRoot in build/run.
set -e
cd "$(dirname "$0")/.."
SRC=$(pwd)
ROOT=$SRC/build/run
HTTPD=${HTTPD:-/usr/sbin/apache2}

. tools/server.sh

stop() {
    pid=$(httpd_stop "$ROOT/httpd.pid") || true
    [ -z "$pid" ] || echo "stopped httpd (pid $pid)"
}

case "$1" in
stop) stop; exit 0 ;;
esac

stop
mkdir -p "$ROOT"
chmod -R a+rX conf
# shellcheck disable=SC2046 # three ports, one a word
set -- $(free_port 3)
API=$1 PAGE=$2 OTHER=$3
sed -e "s|@ROOT@|$ROOT|g" -e "s|@SRC@|$SRC|g" \
    -e "s|@MODULE@|$SRC/.libs/mod_preflight.so|g" \
    -e "s|@API_PORT@|$API|g" -e "s|@PAGE_PORT@|$PAGE|g" -e "s|@OTHER_PORT@|$OTHER|g" \
    conf/example.conf.in > "$ROOT/httpd.conf"
"$HTTPD" -t -f "$ROOT/httpd.conf" -d "$ROOT"
PID=$(httpd_start "$ROOT/httpd.conf" "$ROOT" "$ROOT/httpd.pid" "$API" --httpd="$HTTPD")

A=http://127.0.0.1:$API
cat <<MSG

mod_preflight example is running (pid $PID, config $ROOT/httpd.conf)

  API origin            $A
  allowed page origin   http://127.0.0.1:$PAGE/?api=$A
  refused page origin   http://127.0.0.1:$OTHER/?api=$A

Open the two pages in a browser and press the buttons (each links to the
server's explanation of its request, next to what the browser did), or try:

  # an allowed preflight: 204 with the Access-Control-* headers
  curl -i -X OPTIONS $A/items.cgi -H 'Origin: http://127.0.0.1:$PAGE' \\
       -H 'Access-Control-Request-Method: PUT' \\
       -H 'Access-Control-Request-Headers: content-type,x-token'

  # a refused one: 403, no Access-Control-Allow-* header, reason in the log
  curl -i -X OPTIONS $A/items.cgi -H 'Origin: http://127.0.0.1:$OTHER' \\
       -H 'Access-Control-Request-Method: PUT'

  # an actual request: Access-Control-Allow-Origin, -Credentials, -Expose-Headers
  curl -i $A/items.json -H 'Origin: http://127.0.0.1:$PAGE'

  # plain OPTIONS is not a preflight: httpd answers it as without the module
  curl -i -X OPTIONS $A/items.json

  # the explain handler: the policy for a URI, where each value was set,
  # the decision, its reason, the exact headers and the browsers' console
  # words, as JSON
  curl -s '$A/server-cors?uri=/items.cgi&origin=http://127.0.0.1:$OTHER&method=PUT'

  # the same in a browser, as a page with a form (the policy inspector)
  $A/server-cors?uri=/items.cgi&origin=http://127.0.0.1:$OTHER&method=PUT

  tail $ROOT/access_log $ROOT/error_log   # decisions and reasons

Stop it with: make stop
MSG
