#!/bin/sh
# tools/deb.sh [build|check]: the Debian package libapache2-mod-preflight.
#
#   build  (make deb) installs the build dependencies when missing and runs
#          dpkg-buildpackage -us -uc -b on a copy of the tree in
#          build/deb/src; the .deb, its -dbgsym, .buildinfo and .changes
#          land in build/deb/.
#   check  (make test) builds when there is no package or what it is made
#          of changed since, then checks the package's contents (the module
#          and preflight-migrate with its man page) and that
#          Debian's a2enmod layout loads it: a2enmod, apache2ctl configtest
#          and -M, a real server answering a preflight, a2dismod. Everything
#          runs in a private copy of /etc/apache2 (APACHE_CONFDIR) with its
#          state, logs and pid file in a temporary directory; the system's
#          apache2 is neither started nor reconfigured, and the package is
#          never installed. One "ok"/"not ok" line per check, then
#          "N passed, N failed"; non-zero exit on any failure.
set -e
cd "$(dirname "$0")/.."
SRC=$(pwd)
. tools/server.sh
OUT=$SRC/build/deb
PKG=libapache2-mod-preflight
MODDIR=/usr/lib/apache2/modules

build() {
    sh tools/deps.sh debhelper dpkg-dev apache2-dev libapr1-dev libpsl-dev
    rm -rf "$OUT"
    mkdir -p "$OUT/src"
    inputs > "$OUT/inputs.new"
    # A copy, for two reasons: dpkg-buildpackage writes its results into the
    # parent of the tree it builds (build/deb/ here, not the directory above
    # the project), and its clean step runs "make clean", which would empty
    # the build/ that make test keeps its logs in.
    tar -cf - --exclude=./.git --exclude=./build --exclude=./.libs \
        --exclude='*.lo' --exclude='*.la' --exclude='*.slo' --exclude='*.o' \
        --exclude=./t/logs . | (cd "$OUT/src" && tar -xf -)
    echo "building $PKG (log: build/deb/build.log)"
    if ! (cd "$OUT/src" && dpkg-buildpackage -us -uc -b) > "$OUT/build.log" 2>&1; then
        tail -40 "$OUT/build.log"
        echo "deb: dpkg-buildpackage failed (see build/deb/build.log, tree in build/deb/src)" >&2
        exit 1
    fi
    rm -rf "$OUT/src"
    mv "$OUT/inputs.new" "$OUT/inputs"
    (cd "$OUT" && ls -l -- *.deb *.buildinfo *.changes)
}

the_deb() {
    find "$OUT" -maxdepth 1 -name "${PKG}_*.deb" 2>/dev/null | head -1
}

# What the package is made of. check rebuilds when this differs from the
# last build's (contents, not times: a copied or re-synced file keeps an
# older time).
inputs() {
    find Makefile ./*.c ./*.h migrate conf/preflight.load conf/preflight.conf README.md debian \
        -type f 2>/dev/null | LC_ALL=C sort | xargs cksum
}

stale() {
    [ -z "$(the_deb)" ] || [ "$(inputs)" != "$(cat "$OUT/inputs" 2>/dev/null)" ]
}

# What check compares before and after: every file of the system's apache2
# configuration, a2enmod's state and the module directory, with size, time
# and link target.
system_state() {
    find /etc/apache2 /var/lib/apache2 $MODDIR -printf '%p %y %s %T@ %l\n' 2>/dev/null | sort | cksum
}

passed=0
failed=0
# ok DESCRIPTION COMMAND...: one check; the command's output goes to the log.
ok() {
    what=$1; shift
    if "$@" >> "$T/checks.log" 2>&1; then
        echo "ok - $what"; passed=$((passed + 1))
    else
        echo "not ok - $what (see build/deb/checks.log)"; failed=$((failed + 1))
    fi
}

# The checks: each returns non-zero when it fails.
has_member() { grep -q " \./$1\$" "$T/contents"; }
in_field() {  # in_field FILE PACKAGE: PACKAGE is one of the relations in FILE
    tr ',|' '\n\n' < "$1" | sed 's/^ *//; s/[ (].*//' | grep -qx "$2"
}
depends_on_libs() {  # depends_on_libs "SONAME=PACKAGE ...": each PACKAGE in Depends
    for l in $1; do
        [ "${l#*=}" != "?" ] && in_field "$T/depends" "${l#*=}" || return 1
    done
}
conffiles() {
    grep -qx /etc/apache2/mods-available/preflight.load "$T/control/conffiles" &&
    grep -qx /etc/apache2/mods-available/preflight.conf "$T/control/conffiles"
}
directives() { grep -v '^[[:space:]]*\(#\|$\)' "$1" || true; }
one_loadmodule() {
    [ "$(directives "$1")" = "LoadModule preflight_module $MODDIR/mod_preflight.so" ]
}
nothing_on() { [ -z "$(directives "$1")" ]; }
stripped() { ! readelf -S --wide "$1" | grep -E ' \.(symtab|debug_[a-z]*) '; }
maintscripts() {
    grep -q 'apache2_invoke enmod' "$T/control/postinst" &&
    grep -q 'apache2_invoke dismod' "$T/control/prerm"
}
linked() {  # linked NAME: mods-enabled/NAME is a2enmod's link to mods-available
    [ "$(readlink "$CONF/mods-enabled/$1")" = "../mods-available/$1" ]
}
unlinked() { [ ! -e "$CONF/mods-enabled/$1" ] && [ ! -L "$CONF/mods-enabled/$1" ]; }
enmod() { a2enmod preflight && linked preflight.load && linked preflight.conf; }
dismod() { a2dismod preflight && unlinked preflight.load && unlinked preflight.conf; }
configtest() {
    apache2ctl configtest > "$T/configtest.txt" 2>&1 || true
    cat "$T/configtest.txt"
    grep -qx 'Syntax OK' "$T/configtest.txt"
}
modules() {  # modules yes|no: apache2ctl -M lists preflight_module, or not
    apache2ctl -M > "$T/modules.txt" 2>&1 && grep -q '^ *core_module' "$T/modules.txt" || return 1
    if [ "$1" = yes ]; then
        grep -q '^ *preflight_module (shared)' "$T/modules.txt"
    else
        if grep -q preflight_module "$T/modules.txt"; then return 1; fi
    fi
}
# "apache2ctl -k start" goes straight to httpd: only "apache2ctl start"
# hands over to systemd. The server listens on 127.0.0.1 only. Started by
# Debian's script, since its envvars are what is checked; waited for and
# stopped by the pid file like every private server here.
start_server() {
    apache2ctl -k start || return 1
    httpd_wait "$T/run/apache2.pid" "$port" --error-log="$T/log/error.log"
}
stop_server() {
    [ -s "$T/run/apache2.pid" ] || return 1
    httpd_stop "$T/run/apache2.pid" --timeout=10
}
preflight() {
    curl -sS -o /dev/null -D "$T/preflight.headers" -X OPTIONS \
        "http://127.0.0.1:$port/api/items" \
        -H 'Origin: https://app.example.com' -H 'Access-Control-Request-Method: PUT' || return 1
    tr -d '\r' < "$T/preflight.headers" | tee "$T/preflight.txt"
    head -1 "$T/preflight.txt" | grep -q '^HTTP/[0-9.]* 204' &&
    grep -qix 'access-control-allow-origin: https://app.example.com' "$T/preflight.txt"
}

contents_checks() {
    deb=$1
    dpkg-deb -c "$deb" > "$T/contents"
    dpkg-deb -f "$deb" Depends > "$T/depends"
    dpkg-deb -x "$deb" "$T/root"
    mkdir -p "$T/control"
    dpkg-deb -e "$deb" "$T/control"
    so=$T/root$MODDIR/mod_preflight.so
    avail=$T/root/etc/apache2/mods-available
    echo "# $(basename "$deb"), $(wc -c < "$deb") bytes; Depends: $(cat "$T/depends")"

    ok "the module is at $MODDIR/mod_preflight.so" has_member "${MODDIR#/}/mod_preflight.so"
    ok "preflight.load is in /etc/apache2/mods-available" \
        has_member etc/apache2/mods-available/preflight.load
    ok "preflight.conf is in /etc/apache2/mods-available" \
        has_member etc/apache2/mods-available/preflight.conf
    ok "conffiles lists both" conffiles
    ok "preflight.load is one LoadModule of $MODDIR/mod_preflight.so" \
        one_loadmodule "$avail/preflight.load"
    ok "preflight.conf switches nothing on (comments only)" nothing_on "$avail/preflight.conf"
    ok "Depends names publicsuffix (the module reads the public suffix list)" \
        in_field "$T/depends" publicsuffix
    api=$(tr ',' '\n' < "$T/depends" | sed -n 's/^ *\(apache2-api-[0-9]*\).*/\1/p' | head -1)
    ok "Depends names the httpd module ABI (${api:-no apache2-api-*})" test -n "$api"
    # Every library the .so needs must come with its package in Depends
    # (dpkg-shlibdeps through ${shlibs:Depends}).
    multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
    libs=""
    for lib in $(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        owner=$(dpkg-query -S "*/$multiarch/$lib" 2>/dev/null |
                sed -n 's/^\([^:, ]*\)\(:[a-z0-9]*\)*: .*/\1/p' | head -1)
        libs="$libs $lib=${owner:-?}"
    done
    ok "Depends names the package of every library the module needs:$libs" \
        depends_on_libs "$libs"
    ok "the module is stripped: no symbol table, no debug sections (dh_strip)" stripped "$so"
    ok "postinst enables it, prerm disables it, through apache2-maintscript-helper" maintscripts
    tool_checks
}

# preflight-migrate ships in the same package: it is only of use next to
# the module, and needs no library the module does not already bring but
# PCRE2, which apache2 itself depends on.
tool_checks() {
    tool=$T/root/usr/bin/preflight-migrate
    ok "preflight-migrate is at /usr/bin/preflight-migrate, executable" test -x "$tool"
    ok "its man page is at /usr/share/man/man1/preflight-migrate.1.gz" \
        has_member usr/share/man/man1/preflight-migrate.1.gz
    ok "preflight-migrate is stripped (dh_strip)" stripped "$tool"
    multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
    tlibs=""
    for lib in $(readelf -d "$tool" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        owner=$(dpkg-query -S "*/$multiarch/$lib" 2>/dev/null |
                sed -n 's/^\([^:, ]*\)\(:[a-z0-9]*\)*: .*/\1/p' | head -1)
        tlibs="$tlibs $lib=${owner:-?}"
    done
    ok "Depends names the package of every library preflight-migrate needs:$tlibs" \
        depends_on_libs "$tlibs"
    ok "the packaged preflight-migrate finds nothing to migrate in /etc/apache2 (exit 0)" \
        nothing_to_migrate "$tool"
}
nothing_to_migrate() {
    "$1" /etc/apache2 > "$T/migrate.txt" 2>&1
    rc=$?
    cat "$T/migrate.txt"
    [ "$rc" = 0 ] && grep -q 'nothing to migrate' "$T/migrate.txt"
}

# The a2enmod layout in a private copy of /etc/apache2. Runs inside a mount
# namespace of its own when it can, see inner().
layout_checks() {
    CONF=$T/etc/apache2
    export APACHE_CONFDIR="$CONF"            # a2enmod, a2dismod, apache2ctl
    export APACHE_STATE_DIRECTORY="$T/state" # a2enmod's enabled_by_admin marks
    mkdir -p "$T/etc" "$T/run" "$T/lock" "$T/log" "$T/state"
    cp -a /etc/apache2 "$T/etc/"
    rm -f "$CONF"/mods-available/preflight.* "$CONF"/mods-enabled/preflight.* \
          "$CONF"/sites-enabled/*
    cp "$T/root/etc/apache2/mods-available/preflight.load" \
       "$T/root/etc/apache2/mods-available/preflight.conf" "$CONF/mods-available/"
    # Debian's scripts read the instance's paths from envvars: these keep
    # its state, pid file, logs and locks in the temporary directory.
    cat >> "$CONF/envvars" <<EOF

# tools/deb.sh check: a private instance, everything under $T
export APACHE_PID_FILE=$T/run/apache2.pid
export APACHE_RUN_DIR=$T/run
export APACHE_LOCK_DIR=$T/lock
export APACHE_LOG_DIR=$T/log
export APACHE_STATE_DIRECTORY=$T/state
EOF
    port=$(free_port)
    echo "Listen 127.0.0.1:$port" > "$CONF/ports.conf"
    # A policy to answer the preflight with; inside IfModule, so that the
    # configuration stays valid once a2dismod has taken the module out.
    cat > "$CONF/conf-enabled/preflight-check.conf" <<'EOF'
ServerName 127.0.0.1
<IfModule preflight_module>
    <Location "/api/">
        PreflightEngine On
        PreflightAllowOrigin https://app.example.com https://*.example.net
        PreflightAllowMethods GET PUT
    </Location>
</IfModule>
EOF

    case $PF_DEB_MODE in
    namespace)
        ok "$MODDIR/mod_preflight.so is the package's, in this mount namespace only" \
            cmp "$T/root$MODDIR/mod_preflight.so" "$MODDIR/mod_preflight.so" ;;
    *)
        echo "# NOTE: no mount namespace here (needs root and overlayfs): the copied"
        echo "# NOTE: preflight.load names $T/root$MODDIR/mod_preflight.so"
        echo "# NOTE: instead of $MODDIR/mod_preflight.so"
        sed -i "s|$MODDIR/mod_preflight.so|$T/root$MODDIR/mod_preflight.so|" \
            "$CONF/mods-available/preflight.load" ;;
    esac

    ok "a2enmod preflight links mods-enabled/preflight.load and .conf" enmod
    ok "a2enmod kept its state in the private directory" \
        test -f "$T/state/module/enabled_by_admin/preflight"
    ok "apache2ctl configtest: Syntax OK" configtest
    ok "apache2ctl -M lists preflight_module" modules yes
    ok "the server starts on 127.0.0.1:$port with this configuration" start_server
    ok "a preflight to /api/items is answered 204 with Access-Control-Allow-Origin" preflight
    ok "the server stops by its pid file" stop_server
    ok "a2dismod preflight removes both links" dismod
    ok "apache2ctl configtest after a2dismod: Syntax OK" configtest
    ok "apache2ctl -M no longer lists preflight_module" modules no
}

# The part that may run in a mount namespace of its own (unshare -m, mounts
# private): the extracted module is laid over $MODDIR with a read-only
# overlay there, so the .load keeps the path the package installs and httpd
# loads the package's file from it, while the system's directory, seen from
# outside, stays as it is. Without a namespace, the copied .load is
# rewritten instead, and the check says so.
inner() {
    T=$PF_DEB_TMP
    trap 'httpd_stop "$T/run/apache2.pid" >/dev/null 2>&1; true' EXIT
    contents_checks "$(the_deb)"
    if [ "$PF_DEB_MODE" = namespace ] &&
       ! mount -t overlay overlay -o "lowerdir=$T/root$MODDIR:$MODDIR" "$MODDIR" >> "$T/checks.log" 2>&1; then
        PF_DEB_MODE=rewrite
    fi
    layout_checks
    echo "$passed $failed" > "$T/counts"
}

check() {
    if stale; then build; fi
    sh tools/deps.sh apache2 curl publicsuffix dpkg-dev binutils
    rm -f "$OUT/checks.log"
    T=$(mktemp -d "${TMPDIR:-/tmp}/pf-deb.XXXXXX")
    trap 'rm -rf "$T"' EXIT
    before=$(system_state)
    export PF_DEB_TMP="$T"
    if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
        PF_DEB_MODE=namespace unshare -m --propagation private sh "$SRC/tools/deb.sh" inner || true
    else
        PF_DEB_MODE=rewrite sh "$SRC/tools/deb.sh" inner || true
    fi
    if [ ! -s "$T/counts" ]; then
        cp "$T/checks.log" "$OUT/checks.log" 2>/dev/null || true
        echo "deb: the checks stopped early (see build/deb/checks.log)" >&2
        exit 1
    fi
    read -r passed failed < "$T/counts"
    ok "the system's /etc/apache2, /var/lib/apache2 and $MODDIR are unchanged" \
        test "$before" = "$(system_state)"
    [ "$failed" = 0 ] || cp "$T/checks.log" "$OUT/checks.log"
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
}

case ${1:-build} in
build) build ;;
check) check ;;
inner) inner ;;
*) echo "usage: tools/deb.sh [build|check]" >&2; exit 2 ;;
esac
