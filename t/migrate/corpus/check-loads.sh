#!/bin/sh
# t/migrate/corpus/check-loads.sh [RECIPE-DIR...]
#
# Checks every recipe of the corpus (README.md in this directory) against
# Debian's apache2, the way its expect file says it is loaded, and checks
# the expect file itself:
#   - `load server vhost` / `load server top`: apache2 -t -f on a private
#     configuration that includes site.conf inside a <VirtualHost> or at top
#     level;
#   - `load htaccess`: apache2 -t never reads .htaccess files, so one private
#     httpd (tools/server.sh) serves every such recipe as the .htaccess of its
#     own directory under AllowOverride All, one request each, and a recipe
#     is refused when the error log has a line for that .htaccess file (what
#     httpd logs when it cannot read one: invalid command, not allowed here,
#     bad section);
#   - httpd must refuse exactly the recipes whose expect says
#     `finding invalid-config`;
#   - every finding and untranslated item names the recipe file and a line
#     of it that holds a directive (not blank, not a comment), every id is
#     one of the ids in README.md, every admits item is an origin or null.
# Prints `ok N - ...` / `not ok N - ...` and ends with `N passed, M failed`;
# exits non-zero on any failure. Run from the top of the tree.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
cd "$top" || exit 2
. tools/server.sh

HTTPD=${HTTPD:-/usr/sbin/apache2}
MODDIR=${MODDIR:-/usr/lib/apache2/modules}
IDS="any-origin-reflected credentials-any-origin regex-unanchored regex-unescaped-dot regex-admits-lookalike null-origin public-suffix-wildcard not-on-errors vary-missing vary-overwritten options-hijacked preflight-needs-auth auth-bypass duplicate-header-risk star-headers-authorization invalid-config not-translated"
# The modules a recipe may need; <IfModule> sections in the recipes see
# this set.
MODULES="mpm_event authz_core authz_host authz_user authn_core authn_file auth_basic access_compat alias actions mime env dir autoindex setenvif headers rewrite proxy proxy_http dav dav_fs"

tmp=$(mktemp -d /tmp/corpus-check.XXXXXX)
pidfile=$tmp/httpd.pid
cleanup() {
    [ -s "$pidfile" ] && httpd_stop "$pidfile" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

mkdir -p "$tmp/logs" "$tmp/htdocs"
ln -s "$MODDIR" "$tmp/modules"   # recipes that LoadModule modules/mod_x.so
port=$(free_port)

base_conf() {
    echo "ServerRoot $tmp"
    for m in $MODULES; do echo "LoadModule ${m}_module $MODDIR/mod_$m.so"; done
    cat <<EOF
Define APACHE_LOG_DIR $tmp/logs
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile $pidfile
ErrorLog $tmp/logs/error.log
LogLevel warn
TypesConfig /etc/mime.types
DocumentRoot $tmp/htdocs
<Directory $tmp/htdocs>
    AllowOverride All
    Require all granted
</Directory>
EOF
}

n=0; pass=0; fail=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }

if [ $# -gt 0 ]; then dirs=$*; else dirs=$(ls -d "$here"/[0-9][0-9][0-9]-*/ | sed 's:/$::'); fi

# ---- the expect files
load_of() { sed -n 's/^load //p' "$1/expect"; }
recipe_file() {
    case $(load_of "$1") in
        htaccess) echo .htaccess ;;
        "server vhost"|"server top") echo site.conf ;;
    esac
}
check_expect() {
    d=$1; name=$(basename "$d"); f=$(recipe_file "$d"); errs=""
    [ -f "$d/expect" ] || { notok "$name: no expect file"; return; }
    [ -n "$f" ] || { notok "$name: no valid load line (htaccess, server vhost, server top)"; return; }
    [ -f "$d/$f" ] || errs="$errs; no $f"
    [ "$(grep -c '^load ' "$d/expect")" = 1 ] || errs="$errs; not exactly one load line"
    head -1 "$d/$f" | grep -q '^# Source: ' || errs="$errs; first line is not '# Source: '"
    while IFS= read -r line; do
        case $line in "#"*) continue ;; esac   # a comment: "# why: ..."
        set -- $line
        case ${1:-} in
            load|"") ;;
            finding)
                echo " $IDS " | grep -q " ${2:-?} " || errs="$errs; unknown id '${2:-}'"
                errs="$errs$(check_ref "$d" "$f" "${3:-}")" ;;
            untranslated) errs="$errs$(check_ref "$d" "$f" "${2:-}")" ;;
            admits)
                echo "${2:-}" | grep -Eq '^(null|[a-z][a-z0-9+.-]*://[^/?#]+)$' \
                    || errs="$errs; admits '${2:-}' is not an origin" ;;
            *) errs="$errs; unknown item '$1'" ;;
        esac
    done < "$d/expect"
    if [ -z "$errs" ]; then ok "$name: expect well formed"; else notok "$name: expect${errs#;}"; fi
}
check_ref() {
    d=$1; f=$2; ref=$3
    case $ref in "$f":[0-9]*) ;; *) echo "; '$ref' is not $f:LINE"; return ;; esac
    l=${ref#*:}
    text=$(sed -n "${l}p" "$d/$f")
    case $(echo "$text" | sed 's/^[[:space:]]*//') in
        ""|"#"*) echo "; $ref is blank or a comment" ;;
    esac
}
for d in $dirs; do check_expect "$d"; done

# ---- loading
refused_expected() { grep -q '^finding invalid-config ' "$1/expect"; }
judge() {   # NAME DIR REFUSED(0/1) WHY
    if [ "$3" = 1 ]; then
        if refused_expected "$2"; then ok "$1: refused by httpd, as expected ($4)"
        else notok "$1: refused by httpd: $4"; fi
    else
        if refused_expected "$2"; then notok "$1: httpd loads it, but expect says invalid-config"
        else ok "$1: loads ($(load_of "$2"))"; fi
    fi
}

# server recipes: apache2 -t each
for d in $dirs; do
    name=$(basename "$d"); how=$(load_of "$d")
    case $how in "server vhost"|"server top") ;; *) continue ;; esac
    conf=$tmp/$name.conf
    base_conf > "$conf"
    if [ "$how" = "server vhost" ]; then
        printf '<VirtualHost 127.0.0.1:%s>\n    Include %s/site.conf\n</VirtualHost>\n' "$port" "$d" >> "$conf"
    else
        printf 'Include %s/site.conf\n' "$d" >> "$conf"
    fi
    if out=$("$HTTPD" -t -f "$conf" 2>&1); then judge "$name" "$d" 0 ""
    else judge "$name" "$d" 1 "$(echo "$out" | grep -v '^Syntax' | head -2 | tr '\n' ' ')"; fi
done

# .htaccess recipes: one private httpd, one request each
hta=""
for d in $dirs; do
    [ "$(load_of "$d")" = htaccess ] || continue
    name=$(basename "$d")
    mkdir -p "$tmp/htdocs/$name"
    cp "$d/.htaccess" "$tmp/htdocs/$name/.htaccess"
    echo ok > "$tmp/htdocs/$name/index.html"
    hta="$hta $d"
done
if [ -n "$hta" ]; then
    base_conf > "$tmp/htaccess.conf"
    chmod -R a+rX "$tmp"
    if ! httpd_start "$tmp/htaccess.conf" "$tmp" "$pidfile" "$port" --error-log="$tmp/logs/error.log" >/dev/null; then
        notok "the httpd for the .htaccess recipes did not start"
    else
        for d in $hta; do
            name=$(basename "$d")
            status=$(perl -MIO::Socket::INET -e '
                my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0], Timeout => 10) or exit 1;
                print $s "GET /$ARGV[1]/index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
                my $l = <$s> // ""; print $l =~ m{^HTTP/1\.\d (\d{3})} ? $1 : "none";' "$port" "$name")
            sleep 0.1
            why=$(grep -F "$tmp/htdocs/$name/.htaccess:" "$tmp/logs/error.log" | head -1 | sed 's/.*\.htaccess: *//')
            if [ -n "$why" ]; then judge "$name" "$d" 1 "status $status, $why"
            else judge "$name" "$d" 0 ""; fi
        done
        httpd_stop "$pidfile" >/dev/null
    fi
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
