#!/usr/bin/perl
# A real browser as the judge (README "Behaviour in detail", "Browser
# engines"): headless Chromium or Firefox loads a page on origin A (and the
# same page on origin D, which is not allowed) whose script calls the API on
# origin B with fetch() and posts what it saw, as JSON, to a collector on its
# own origin (t/browser/page/collect.cgi, which writes it to the temp dir).
# The outcomes the script saw, and the requests the server saw, are checked
# against the case tables below. Prints "ok"/"not ok" lines and a closing
# "N passed, N failed"; exits non-zero on any failure.
#
#   perl t/browser/run.pl                   Chromium (make test, through tools/browser.sh)
#   perl t/browser/run.pl --engine=firefox --wordpress
#                                           Firefox ESR (make field), and
#                                           the WordPress REST API sets
#   KEEP=1 keeps the temp dir (logs, profiles, results).
#
# A case set is a page origin (A allowed, D refused), an API base URL and a
# list of cases; the page takes the API base and the set's name from its
# query string and reads the cases from /cases/NAME.json, which this script
# writes. A set against another server is a few lines: start that server
# before the sets run, its policy allowing http://127.0.0.1:$port{A} and not
# $port{D}, and push onto @sets
#   { name => 'wp-allowed', page => 'A', api => 'http://127.0.0.1:PORT',
#     cases => [ { name => ..., what => ..., path => ..., expect => {...} } ] }
# ("saw" reads this script's own httpd's access log, so a set against
# another server checks what script saw).
#
# A case: name, what (the ok line), the request (path under the API base,
# method, headers, body, credentials; tag: the log tag when several cases
# share one; wait: milliseconds to sleep first; from => 'sandbox': from a
# sandboxed frame, origin null) and expect:
#   gets     => STATUS (resolved, that status readable) or 'rejected'
#   body     => qr/.../ the body script read
#   headers  => { name => value, or undef for unreadable }
#   saw      => [ 'METHOD STATUS', ... ] what the API server logged under
#               the case's tag ('C GET 200' on origin C; ' Origin: null'
#               when that was the Origin sent)
#   shows    => 1: what the server logged under the tag is printed as a
#               "# observed:" line, not asserted
# Where the engines differ, an expectation is engines(chromium => X,
# firefox => Y, why => '...'): each run checks its own engine's value, and
# every difference is printed as a "# " line.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Getopt::Long qw(GetOptions);
use JSON::PP;
use POSIX qw(WNOHANG setpgid);
use Time::HiRes qw(sleep time);
use lib dirname(__FILE__) . '/../lib';
use PreflightReport qw(check finish note);
use PreflightServer qw(free_port start_httpd stop_httpd fill_template);

my ($engine, $wordpress) = ('chromium', 0);
GetOptions('engine=s' => \$engine, 'wordpress' => \$wordpress)
    or die "usage: $0 [--engine=chromium|firefox] [--wordpress]\n";

# What differs between the engines outside any one case: how each is started,
# what script reads when a fetch() is refused, and what the browser's own
# output says about a refused request (console, a pattern; undef: nothing).
my %engines = (
    chromium => { label => 'Chromium', bin => $ENV{CHROMIUM} || '/usr/bin/chromium',
                  command => \&chromium_command,
                  rejection => 'TypeError: Failed to fetch',
                  console => 'has been blocked by CORS policy' },
    firefox  => { label => 'Firefox', bin => $ENV{FIREFOX} || '/usr/bin/firefox-esr',
                  command => \&firefox_command,
                  rejection => 'TypeError: NetworkError when attempting to fetch resource.',
                  console => undef },
);
my $browser = $engines{$engine} or die "unknown engine '$engine': chromium or firefox\n";

my $src = abs_path(dirname(__FILE__) . '/../..');
my $httpd = $ENV{HTTPD} || '/usr/sbin/apache2';
my $module = "$src/.libs/mod_preflight.so";
-f $module or die "$module is missing: run make first\n";
-x $browser->{bin} or die "$browser->{bin} is missing\n";

my $root = tempdir('pf-browser-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP});
chmod 0755, $root;    # httpd's children run as nobody
make_path("$root/cases", "$root/results");
chmod 0755, "$root/cases";
# collect.cgi runs as nobody when this runs as root.
chown scalar((getpwnam 'nobody')[2]), -1, "$root/results" if $> == 0;

my %port = map { $_ => free_port } qw(A B C D);
my %role_of = reverse %port;
my $b = "http://127.0.0.1:$port{B}";
my $c = "http://127.0.0.1:$port{C}";

# ---- the case tables

# An expectation that is not the same in both engines.
sub engines { return bless {@_}, 'PerEngine' }
sub for_engine {
    my $v = shift;
    return ref $v eq 'PerEngine' ? $v->{$engine} : $v;
}

sub enc { my $s = shift; $s =~ s/([^A-Za-z0-9._~-])/sprintf '%%%02X', ord $1/ge; $s }

my $json = { 'Content-Type' => 'application/json', 'X-Token' => 't' };
my $put = { method => 'PUT', headers => $json, body => '{}' };
my $alice = { Authorization => 'Basic YWxpY2U6d29uZGVybGFuZA==' };    # alice:wonderland

my @allowed = (
    { name => 'simple-get', what => 'simple GET from the allowed origin',
      path => '/api/data.json',
      expect => { gets => 200, body => qr/apple/ } },
    { name => 'put-json', what => 'preflighted PUT with JSON and X-Token',
      path => '/api/echo.cgi', %$put,
      expect => { gets => 200, body => qr/"method":"PUT"/, saw => ['OPTIONS 204', 'PUT 200'] } },
    { name => 'header-not-allowed', what => 'a request header that is not allowed',
      path => '/api/echo.cgi', method => 'PUT', body => '{}',
      headers => { 'Content-Type' => 'application/json', 'X-Debug' => '1' },
      expect => { gets => 'rejected', saw => ['OPTIONS 403'] } },
    { name => 'method-not-allowed', what => 'DELETE, not in PreflightAllowMethods',
      path => '/api/echo.cgi', method => 'DELETE',
      expect => { gets => 'rejected', saw => ['OPTIONS 403'] } },
    { name => 'lowercase-patch', what => "'patch' where only PATCH is allowed",
      path => '/api/echo.cgi', %$put, method => 'patch',
      expect => { gets => 'rejected', saw => ['OPTIONS 403'] } },
    { name => 'cookie-set', what => 'credentialed call that sets a cookie on origin B',
      path => '/api/cookie.cgi?set=1', credentials => 'include',
      expect => { gets => 200 } },
    { name => 'cookie-credentials-on', what => 'credentials where they are on',
      path => '/api/cookie.cgi', credentials => 'include',
      expect => { gets => 200, body => qr/session=browser-test/ } },
    { name => 'cookie-credentials-off', what => 'credentials where they are off',
      path => '/nocred/cookie.cgi', credentials => 'include',
      expect => { gets => 'rejected' } },
    { name => 'expose', what => 'a response with two custom headers',
      path => '/api/echo.cgi',
      expect => { gets => 200, headers => { 'x-request-id' => 'req-42', 'x-secret' => undef } } },
    { name => 'status-404', what => 'a 404 from origin B',
      path => '/api/missing.json', expect => { gets => 404 } },
    { name => 'status-401', what => 'a 401 from origin B',
      path => '/private/data.json', expect => { gets => 401 } },
    { name => 'auth', what => 'Authorization header to the protected API',
      path => '/private/data.json', headers => $alice,
      expect => { gets => 200, saw => ['OPTIONS 204', 'GET 200'] } },
    { name => 'proxy', what => 'proxied backend that sets its own Access-Control-Allow-Origin',
      path => '/proxy/data.json', expect => { gets => 200, body => qr/apple/ } },

    # Preflight caching (README "PreflightMaxAge", "Browser engines"). A
    # fresh Firefox reused none of its first four preflight answers in every
    # run here, whatever their max-age; from the fifth on it caches as
    # Chromium does. The two cache-early pairs (four preflights, max-age 600)
    # come first and are shown, not asserted; the cases after them are.
    { name => 'cache-early-1', what => 'preflighted PUT with PreflightMaxAge 600',
      path => '/cache/echo.cgi', tag => 'cache-early-a', %$put, expect => { gets => 200, shows => 1 } },
    { name => 'cache-early-2', what => 'the same PUT again at once',
      path => '/cache/echo.cgi', tag => 'cache-early-a', %$put, expect => { gets => 200, shows => 1 } },
    { name => 'cache-early-3', what => 'preflighted PUT with PreflightMaxAge 600, another URL',
      path => '/cache/echo.cgi', tag => 'cache-early-b', %$put, expect => { gets => 200, shows => 1 } },
    { name => 'cache-early-4', what => 'the same PUT again at once',
      path => '/cache/echo.cgi', tag => 'cache-early-b', %$put, expect => { gets => 200, shows => 1 } },
    { name => 'cache-600-first', what => 'first preflighted PUT with PreflightMaxAge 600',
      path => '/cache/echo.cgi', tag => 'cache-600', %$put, expect => { gets => 200 } },
    { name => 'cache-600-second', what => 'the same PUT again',
      path => '/cache/echo.cgi', tag => 'cache-600', %$put,
      expect => { gets => 200, saw => ['OPTIONS 204', 'PUT 200', 'PUT 200'] } },
    { name => 'cache-zero-first', what => 'first preflighted PUT with PreflightMaxAge 0',
      path => '/zero/echo.cgi', tag => 'cache-zero', %$put, expect => { gets => 200 } },
    { name => 'cache-zero-second', what => 'the same PUT again at once',
      path => '/zero/echo.cgi', tag => 'cache-zero', %$put,
      expect => { gets => 200, saw => ['OPTIONS 204', 'PUT 200', 'OPTIONS 204', 'PUT 200'] } },
    { name => 'cache-2s-first', what => 'first preflighted PUT with PreflightMaxAge 2',
      path => '/short/echo.cgi', tag => 'cache-2s', %$put, expect => { gets => 200 } },
    { name => 'cache-2s-second', what => 'the same PUT at once',
      path => '/short/echo.cgi', tag => 'cache-2s', %$put, expect => { gets => 200 } },
    { name => 'cache-2s-third', what => 'the same PUT 3 s later',
      path => '/short/echo.cgi', tag => 'cache-2s', %$put, wait => 3000,
      expect => { gets => 200,
                  saw => ['OPTIONS 204', 'PUT 200', 'PUT 200', 'OPTIONS 204', 'PUT 200'] } },
    { name => 'cache-none-first', what => 'first preflighted PUT without PreflightMaxAge',
      path => '/nocache/echo.cgi', tag => 'cache-none', %$put, expect => { gets => 200 } },
    { name => 'cache-none-second', what => 'the same PUT at once',
      path => '/nocache/echo.cgi', tag => 'cache-none', %$put, expect => { gets => 200 } },
    { name => 'cache-none-third', what => 'the same PUT 6 s later (Fetch\'s default max-age is 5 s)',
      path => '/nocache/echo.cgi', tag => 'cache-none', %$put, wait => 6000,
      expect => { gets => 200,
                  saw => ['OPTIONS 204', 'PUT 200', 'PUT 200', 'OPTIONS 204', 'PUT 200'] } },

    # "*" and Authorization (README "PreflightAllowHeaders").
    { name => 'star-authorization', what => 'Authorization where PreflightAllowHeaders is *',
      path => '/star/data.json', headers => $alice,
      expect => { gets => 'rejected', saw => ['OPTIONS 403'] } },
    { name => 'star-token', what => 'X-Token where PreflightAllowHeaders is *',
      path => '/star/data.json', headers => { 'X-Token' => 't' },
      expect => { gets => 200, saw => ['OPTIONS 204', 'GET 200'] } },
    { name => 'star-plus-authorization', what => 'Authorization where PreflightAllowHeaders is * Authorization',
      path => '/starauth/data.json', headers => $alice,
      expect => { gets => 200, saw => ['OPTIONS 204', 'GET 200'] } },
    # The engine itself, not the module: the mod_headers recipe answers every
    # preflight with "Access-Control-Allow-Headers: *".
    { name => 'raw-star-authorization', what => 'engine: Authorization under a literal Access-Control-Allow-Headers: * (no module)',
      path => '/raw/data.json', headers => $alice,
      expect => { gets => engines(chromium => 200, firefox => 200,
                                  why => 'both accept it, though Fetch says * never covers Authorization'),
                  saw => ['OPTIONS 200', 'GET 200'] } },
    { name => 'raw-star-token', what => 'engine: X-Token under a literal Access-Control-Allow-Headers: * (no module)',
      path => '/raw/data.json', headers => { 'X-Token' => 't' },
      expect => { gets => 200, saw => ['OPTIONS 200', 'GET 200'] } },

    # The null origin (README "PreflightAllowOrigin"): a sandboxed frame.
    { name => 'null-refused', what => 'from a sandboxed frame (Origin: null), null not allowed',
      path => '/api/data.json', from => 'sandbox',
      expect => { gets => 'rejected', saw => ['GET 200 Origin: null'] } },
    { name => 'null-allowed', what => 'from a sandboxed frame (Origin: null), PreflightAllowOrigin null',
      path => '/nullok/data.json', from => 'sandbox',
      expect => { gets => 200, body => qr/apple/, saw => ['GET 200 Origin: null'] } },

    # Redirects: the 302 itself carries the CORS headers; a cross-origin hop
    # sends Origin: null to the next origin (Fetch's tainted origin).
    { name => 'redirect-same-origin', what => 'GET redirected within origin B',
      path => '/api/redirect.cgi?to=' . enc("$b/api/data.json?case=redirect-same-origin"),
      expect => { gets => 200, body => qr/apple/, saw => ['GET 302', 'GET 200'] } },
    { name => 'redirect-cross-refused', what => 'GET redirected from B to C, where null is not allowed',
      path => '/api/redirect.cgi?to=' . enc("$c/api/data.json?case=redirect-cross-refused"),
      expect => { gets => 'rejected', saw => ['GET 302', 'C GET 200 Origin: null'] } },
    { name => 'redirect-cross-null', what => 'GET redirected from B to C, where null is allowed',
      path => '/api/redirect.cgi?to=' . enc("$c/nullok/data.json?case=redirect-cross-null"),
      expect => { gets => 200, body => qr/apple/, saw => ['GET 302', 'C GET 200 Origin: null'] } },
    { name => 'redirect-preflighted', what => 'preflighted PUT answered with a 307 within origin B',
      path => '/api/redirect.cgi?status=307&to=' . enc("$b/api/echo.cgi?case=redirect-preflighted"),
      %$put,
      expect => { gets => 200, body => qr/"method":"PUT"/,
                  saw => ['OPTIONS 204', 'PUT 307', 'OPTIONS 204', 'PUT 200'] } },
);

my @denied = (
    { name => 'denied-simple-get', what => 'simple GET from an origin that is not allowed',
      path => '/api/data.json', expect => { gets => 'rejected', saw => ['GET 200'] } },
    { name => 'denied-put-json', what => 'preflighted PUT from an origin that is not allowed',
      path => '/api/echo.cgi', %$put, expect => { gets => 'rejected', saw => ['OPTIONS 403'] } },
);

my @sets = (
    { name => 'allowed', page => 'A', api => $b, cases => \@allowed },
    { name => 'denied', page => 'D', api => $b, cases => \@denied },
);

# WordPress's REST API (README "In the field", WordPress): WordPress itself
# reflects any Origin with credentials; under the site's policy only page
# origin A reads it, with its exposed headers, and D reads nothing.
my $wp;
if ($wordpress) {
    require WordPressSite;
    $wp = WordPressSite->start(mode => 'fpm', policy => join("\n",
        'PreflightEngine On',
        "PreflightAllowOrigin http://127.0.0.1:$port{A}",
        'PreflightAllowMethods GET POST',
        'PreflightAllowHeaders Content-Type X-WP-Nonce',
        'PreflightExposeHeaders X-WP-Total X-WP-TotalPages Link',
        'PreflightAllowCredentials On', ''));
    my $posts = '/wp-json/wp/v2/posts';
    my $post = { method => 'POST', headers => { 'Content-Type' => 'application/json' },
                 body => '{"title":"x"}', credentials => 'include' };
    push @sets,
        { name => 'wp-allowed', page => 'A', api => $wp->{url}, cases => [
            { name => 'wp-posts', what => 'WordPress posts with credentials, from the allowed origin',
              path => $posts, credentials => 'include',
              expect => { gets => 200, body => qr/^\[/,
                          headers => { 'x-wp-total' => '1', 'x-wp-totalpages' => '1' } } },
            { name => 'wp-create', what => 'a preflighted POST without a login: the 401 is readable',
              path => $posts, %$post, expect => { gets => 401, body => qr/rest_cannot_create/ } },
            { name => 'wp-missing', what => 'a REST route that does not exist: the 404 is readable',
              path => '/wp-json/nothing/here', credentials => 'include',
              expect => { gets => 404 } },
        ] },
        { name => 'wp-denied', page => 'D', api => $wp->{url}, cases => [
            { name => 'wp-posts-denied', what => 'WordPress posts with credentials, from a refused origin',
              path => $posts, credentials => 'include', expect => { gets => 'rejected' } },
            { name => 'wp-create-denied', what => 'a preflighted POST from a refused origin',
              path => $posts, %$post, expect => { gets => 'rejected' } },
        ] };
}

# ---- the server

sub write_conf {
    my $conf = fill_template("$src/t/browser/httpd.conf.in", ROOT => $root, SRC => $src,
                             MODULE => $module, map { ("PORT_$_" => $port{$_}) } keys %port);
    open my $out, '>', "$root/httpd.conf" or die $!;
    print $out $conf;
    close $out;
}

my ($server, $running);
sub start_server {
    system("chmod -R a+rX '$src/t/browser'") == 0 or die "chmod failed\n";
    $server = start_httpd(httpd => $httpd, conf => "$root/httpd.conf", root => $root,
                          pidfile => "$root/httpd.pid", port => $port{B});
}

# Runs on die too: neither the browser nor the server is left behind.
END {
    stop_browser($running) if $running;
    stop_httpd($server) if $server;
}

# ---- the browsers

sub chromium_command {
    my ($profile, $url) = @_;
    return ([$browser->{bin}, qw(--headless --no-sandbox --disable-gpu
             --disable-background-networking --disable-component-update
             --disable-sync --no-first-run --enable-logging=stderr --v=0),
             "--user-data-dir=$profile", $url], {});
}

# No first-run pages, no telemetry, no updates, nothing fetched from outside
# 127.0.0.1, and the page's console on stdout.
my %firefox_prefs = (
    'app.normandy.enabled' => 0, 'app.shield.optoutstudies.enabled' => 0,
    'app.update.auto' => 0, 'app.update.enabled' => 0, 'app.update.disabledForTesting' => 1,
    'browser.aboutwelcome.enabled' => 0, 'browser.discovery.enabled' => 0,
    'browser.newtabpage.enabled' => 0, 'browser.ping-centre.telemetry' => 0,
    'browser.places.speculativeConnect.enabled' => 0,
    'browser.region.network.url' => '', 'browser.region.update.enabled' => 0,
    'browser.safebrowsing.blockedURIs.enabled' => 0, 'browser.safebrowsing.downloads.enabled' => 0,
    'browser.safebrowsing.malware.enabled' => 0, 'browser.safebrowsing.phishing.enabled' => 0,
    'browser.safebrowsing.passwords.enabled' => 0,
    'browser.safebrowsing.update.enabled' => 0,
    'browser.search.update' => 0, 'browser.sessionstore.resume_from_crash' => 0,
    'browser.shell.checkDefaultBrowser' => 0,
    'browser.startup.homepage' => 'about:blank', 'browser.startup.homepage_override.mstone' => 'ignore',
    'browser.startup.page' => 0, 'browser.topsites.contile.enabled' => 0,
    'browser.newtabpage.activity-stream.feeds.system.topsites' => 0,
    'browser.newtabpage.activity-stream.feeds.topsites' => 0,
    'browser.newtabpage.activity-stream.feeds.section.topstories' => 0,
    'browser.newtabpage.activity-stream.telemetry' => 0,
    'browser.urlbar.suggest.searches' => 0, 'browser.warnOnQuit' => 0,
    'datareporting.healthreport.uploadEnabled' => 0, 'datareporting.policy.dataSubmissionEnabled' => 0,
    'datareporting.policy.firstRunURL' => '', 'datareporting.usage.uploadEnabled' => 0,
    'devtools.console.stdout.content' => 1,
    'dom.push.connection.enabled' => 0,
    'extensions.blocklist.enabled' => 0, 'extensions.getAddons.cache.enabled' => 0,
    'extensions.systemAddon.update.enabled' => 0, 'extensions.update.autoUpdateDefault' => 0,
    'extensions.update.enabled' => 0,
    'media.gmp-manager.updateEnabled' => 0,
    'messaging-system.rsexperimentloader.enabled' => 0,
    'network.captive-portal-service.enabled' => 0, 'network.connectivity-service.enabled' => 0,
    'network.dns.disablePrefetch' => 1, 'network.http.speculative-parallel-limit' => 0,
    'network.predictor.enabled' => 0, 'network.prefetch-next' => 0,
    'network.proxy.type' => 0, 'network.trr.mode' => 5,
    'services.settings.server' => 'data:,#remote-settings-dummy/v1',
    'startup.homepage_welcome_url' => '', 'startup.homepage_welcome_url.additional' => '',
    'toolkit.telemetry.archive.enabled' => 0, 'toolkit.telemetry.enabled' => 0,
    'toolkit.telemetry.server' => '', 'toolkit.telemetry.unified' => 0,
);
my %firefox_int_prefs = map { $_ => 1 } qw(browser.startup.page network.proxy.type network.trr.mode);

sub firefox_command {
    my ($profile, $url) = @_;
    make_path($profile);
    open my $js, '>', "$profile/user.js" or die "$profile/user.js: $!\n";
    for my $name (sort keys %firefox_prefs) {
        my $v = $firefox_prefs{$name};
        my $value = $firefox_int_prefs{$name} ? $v
                  : $v =~ /^[01]$/ ? ($v ? 'true' : 'false') : JSON::PP->new->allow_nonref->encode($v);
        print $js qq{user_pref("$name", $value);\n};
    }
    close $js;
    # Headless Firefox run as root wants a HOME of its own.
    return ([$browser->{bin}, '--headless', '--no-remote', '--profile', $profile, $url],
            { HOME => $profile, MOZ_HEADLESS => 1, MOZ_CRASHREPORTER_DISABLE => 1 });
}

# Starts the browser in a process group of its own; returns its pid.
sub start_browser {
    my ($cmd, $env, $log) = @_;
    my $pid = fork // die "fork: $!\n";
    if (!$pid) {
        setpgid(0, 0);
        @ENV{ keys %$env } = values %$env;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $log or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT;
        exec @$cmd or POSIX::_exit(127);
    }
    setpgid($pid, $pid);
    return $pid;
}

# The processes in a process group (/proc/PID/stat: pid (comm) state ppid pgrp).
sub group_members {
    my $pgid = shift;
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // next;
        my ($pid, $rest) = $line =~ /^(\d+) \(.*\) (.*)$/s or next;
        my ($state, $ppid, $pgrp) = split ' ', $rest;
        push @pids, $pid if $pgrp == $pgid && $state ne 'Z' && $state ne 'X';
    }
    return @pids;
}

# Stops the browser started as pid: SIGTERM to its process group (the
# renderer and content processes it forked are in it), then SIGKILL to what
# is left after 10 s.
sub stop_browser {
    my $pid = shift;
    local $?;
    kill 'TERM', -$pid;
    my $end = time + 10;
    while (time < $end) {
        waitpid($pid, WNOHANG);
        last unless group_members($pid);
        sleep 0.1;
    }
    if (my @left = group_members($pid)) {
        warn "browser processes @left still run 10 s after SIGTERM: killing them\n";
        kill 'KILL', -$pid;
        sleep 0.5;
    }
    waitpid($pid, 0);
    undef $running if $running && $running == $pid;
}

# Runs one set in the browser: returns (results by name, console lines).
sub browse {
    my $set = shift;
    my @cases = map { my %c = %$_; delete @c{qw(what expect)}; \%c } @{ $set->{cases} };
    open my $out, '>', "$root/cases/$set->{name}.json" or die $!;
    print $out encode_json(\@cases);
    close $out;
    chmod 0644, "$root/cases/$set->{name}.json";
    my $result = "$root/results/$set->{name}.json";
    unlink $result;

    my $url = "http://127.0.0.1:$port{$set->{page}}/index.html?set=$set->{name}&api=" . enc($set->{api});
    my $log = "$root/$engine-$set->{name}.log";
    my ($cmd, $env) = $browser->{command}->("$root/profile-$engine-$set->{name}", $url);
    my $pid = $running = start_browser($cmd, $env, $log);
    my $end = time + 120;
    my $exited;
    until (-e $result || time > $end) {
        if (waitpid($pid, WNOHANG) == $pid) { $exited = $?; last }
        sleep 0.2;
    }
    stop_browser($pid) unless defined $exited;
    undef $running;

    open my $fh, '<', $log;
    my @console = $fh ? grep { /CONSOLE|^console\.|JavaScript|CORS|Cross-Origin/ } <$fh> : ();
    if (!-e $result) {
        my $why = defined $exited ? "it exited with status " . ($exited >> 8) : "none within 120 s";
        die "no results from $browser->{label} for set $set->{name} ($why); its log $log:\n"
            . `tail -30 '$log'`;
    }
    open my $in, '<', $result or die "$result: $!\n";
    my $report = decode_json(do { local $/; <$in> });
    die "the page could not run set $set->{name}: $report->{error}\n@console" if $report->{error};
    my %by_name = map { $_->{name} => $_ } @{ $report->{results} };
    return (\%by_name, \@console);
}

# ---- the checks

# Requests the API servers saw for one case tag (origins B and C).
sub seen {
    my $tag = shift;
    open my $fh, '<', "$root/access_log" or return ();
    my @seen;
    while (my $line = <$fh>) {
        my ($port, $when, $method, $uri, $status, $origin) =
            $line =~ /^(\d+) (\S+) (\S+) (\S+) (\d+) \S+ "([^"]*)"/ or next;
        next unless $uri =~ /[?&]case=\Q$tag\E(?:&|$)/;
        my $role = $role_of{$port} // '?';
        next if $role eq 'A' || $role eq 'D';
        push @seen, ($role eq 'B' ? '' : "$role ") . "$method $status"
                  . ($origin eq 'null' ? ' Origin: null' : '');
    }
    return @seen;
}

# Every request that carried Access-Control-Request-Private-Network.
sub private_network_requests {
    open my $fh, '<', "$root/access_log" or return ();
    return grep { /"[^"]*" "(?!-")[^"]+"$/ } <$fh>;
}


my (@shown, %shown);    # "# observed:" lines, printed at the end

sub describe { encode_json($_[0] // { missing => 1 }) }

sub check_case {
    my ($case, $got, $console) = @_;
    my $e = $case->{expect};
    my $name = $case->{name};
    my $detail = describe($got) . "\nconsole:\n" . join('', @$console);
    $got ||= {};
    my $gets = for_engine($e->{gets});
    if ($gets eq 'rejected') {
        check(($got->{outcome} // '') eq 'rejected', "$name: $case->{what} (fetch rejected)", $detail);
        check(($got->{error} // '') eq $browser->{rejection},
              "$name: the script reads \"$browser->{rejection}\"", $detail)
            if ($got->{outcome} // '') eq 'rejected';
    }
    else {
        check(($got->{outcome} // '') eq 'resolved' && ($got->{status} // 0) == $gets,
              "$name: $case->{what} (status $gets readable by script)", $detail);
    }
    if (my $body = for_engine($e->{body})) {
        check(($got->{body} // '') =~ $body, "$name: body readable", $detail);
    }
    my $headers = for_engine($e->{headers}) || {};
    for my $h (sort keys %$headers) {
        my $want = $headers->{$h};
        my $have = ($got->{headers} || {})->{$h};
        if (defined $want) {
            check(($have // '') eq $want, "$name: $h readable ($want)", $detail);
        }
        else {
            check(!defined $have, "$name: $h unreadable (not exposed)", $detail);
        }
    }
    my $tag = $case->{tag} // $name;
    if ($e->{shows} && !$shown{$tag}++) {
        push @shown, "# observed: $browser->{label}, $tag: server saw " . join(', ', seen($tag));
    }
    if (my $saw = for_engine($e->{saw})) {
        my $have = join ', ', sort(seen($tag));
        my $want = join ', ', sort @$saw;
        check($have eq $want, "$name: server saw $want", "expected [$want]\n got      [$have]");
    }
}

# "# " lines for every expectation the engines do not share.
sub differences {
    my @lines = ("# engines differ: a refused fetch() rejects with "
        . join('; ', map { "$engines{$_}{label} \"$engines{$_}{rejection}\"" } sort keys %engines),
        "# engines differ: a refused request in the browser's own output: "
        . join('; ', map { "$engines{$_}{label} " . ($engines{$_}{console} ? "\"...$engines{$_}{console}...\""
                                                    : 'nothing (headless, console not on stdout)') }
               sort keys %engines));
    for my $set (@sets) {
        for my $case (@{ $set->{cases} }) {
            for my $key (sort keys %{ $case->{expect} }) {
                my $v = $case->{expect}{$key};
                next unless ref $v eq 'PerEngine';
                my @each = map { my $x = $v->{$_}; "$engines{$_}{label} "
                                 . (ref $x eq 'ARRAY' ? '[' . join(', ', @$x) . ']' : $x) }
                           grep { exists $v->{$_} } sort keys %engines;
                my $same = 1 == keys %{{ map { describe([$v->{$_}]) => 1 } grep { exists $v->{$_} } keys %engines }};
                push @lines, '# engines ' . ($same ? 'agree' : 'differ') . ": $set->{name}/$case->{name} $key: "
                    . join('; ', @each) . ($v->{why} ? " ($v->{why})" : '');
            }
        }
    }
    return @lines;
}

sub version {
    my $e = $engines{shift()};
    return 'not installed' unless -x $e->{bin};
    my ($v) = `'$e->{bin}' --version 2>/dev/null` =~ /(\d+[\d.]*\w*)/;
    return $v // '?';
}

write_conf();
system($httpd, '-t', '-d', $root, '-f', "$root/httpd.conf") == 0
    or die "configuration test failed\n";
start_server();

my $began = time;
for my $set (@sets) {
    my ($results, $console) = browse($set);
    check_case($_, $results->{ $_->{name} }, $console) for @{ $set->{cases} };
    my $refused = grep { ($results->{ $_->{name} }{outcome} // '') eq 'rejected' } @{ $set->{cases} };
    my $told = grep { $browser->{console} && /\Q$browser->{console}\E/ } @$console;
    check($browser->{console} ? $told >= $refused : !grep({ /CORS|Cross-Origin/ } @$console),
          "$set->{name}: the browser's output "
          . ($browser->{console} ? "names each of the $refused refused requests" : 'has no CORS message'),
          "console:\n" . join('', @$console));
}
my @pna = private_network_requests();
check(!@pna, 'no request carried Access-Control-Request-Private-Network', join '', @pna);

stop_httpd($server);
undef $server;
if ($wp) {
    my @php = grep { /^OPTIONS / } do { open my $fh, '<', $wp->{php_log}; <$fh> };
    check(!@php, 'WordPress: no preflight reached PHP', join '', @php);
    note("WordPress $wp->{versions}{wordpress}, PHP $wp->{versions}{php}, $wp->{versions}{database}");
    $wp->stop;
    undef $wp;
}
note("$engines{$_}{label} " . version($_)) for sort keys %engines;
print "$_\n" for @shown;
print "$_\n" for differences();
printf "browser: %s %s, %d sets in %.0f s\n", $browser->{label}, version($engine),
       scalar @sets, time - $began;
exit finish();
