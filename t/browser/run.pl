#!/usr/bin/perl
# A real browser as the judge: headless Chromium loads a page on origin A (and
# the same page on origin D, which is not allowed) whose script calls the API
# on origin B with fetch(). The outcomes the script saw, and the requests the
# server saw, are checked here. Prints "ok"/"not ok" lines and a closing
# "N passed, N failed"; exits non-zero on any failure.
#
#   perl t/browser/run.pl        (make test runs it through tools/browser.sh)
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use JSON::PP;
use lib dirname(__FILE__) . '/../lib';
use PreflightServer qw(free_port start_httpd stop_httpd);

my $src = abs_path(dirname(__FILE__) . '/../..');
my $httpd = $ENV{HTTPD} || '/usr/sbin/apache2';
my $chromium = $ENV{CHROMIUM} || '/usr/bin/chromium';
my $module = "$src/.libs/mod_preflight.so";
-f $module or die "$module is missing: run make first\n";

my $root = tempdir('pf-browser-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP});
chmod 0755, $root;    # httpd's children run as nobody

my %port = map { $_ => free_port } qw(A B D);

sub write_conf {
    open my $in, '<', "$src/t/browser/httpd.conf.in" or die $!;
    local $/;
    my $conf = <$in>;
    $conf =~ s/\@ROOT\@/$root/g;
    $conf =~ s/\@SRC\@/$src/g;
    $conf =~ s/\@MODULE\@/$module/g;
    $conf =~ s/\@PORT_(\w)\@/$port{$1}/g;
    open my $out, '>', "$root/httpd.conf" or die $!;
    print $out $conf;
    close $out;
}

my $server;
sub start_server {
    system("chmod -R a+rX '$src/t/browser'") == 0 or die "chmod failed\n";
    $server = start_httpd(httpd => $httpd, conf => "$root/httpd.conf", root => $root,
                          pidfile => "$root/httpd.pid", port => $port{B});
}

# Runs on die too: a failing case must not leave the server behind.
END { stop_httpd($server) if $server }

# Runs the page as the given role; returns (results, console lines).
sub browse {
    my ($origin_port, $role) = @_;
    my $profile = "$root/profile-$role";
    my $url = "http://127.0.0.1:$origin_port/index.html?role=$role&api=http://127.0.0.1:$port{B}";
    my @cmd = ($chromium, qw(--headless --no-sandbox --disable-gpu
        --disable-background-networking --disable-component-update
        --disable-sync --no-first-run --enable-logging=stderr --v=0
        --virtual-time-budget=30000 --dump-dom), "--user-data-dir=$profile", $url);
    my $cmd = join ' ', map { "'$_'" } @cmd;
    my $dom = `timeout 120 $cmd 2>'$root/chromium-$role.log'`;
    open my $log, '<', "$root/chromium-$role.log";
    my @console = grep { /CONSOLE/ } <$log>;
    my ($json) = $dom =~ m{<pre id="results"[^>]*>(.*?)</pre>}s;
    die "no results from Chromium for role $role:\n$dom\n@console" unless $json && $json ne 'pending';
    for ($json) { s/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&amp;/&/g }
    my %by_name = map { $_->{name} => $_ } @{ decode_json($json) };
    return (\%by_name, \@console);
}

# Requests origin B saw for one case, as "METHOD status" strings.
sub seen {
    my $case = shift;
    open my $fh, '<', "$root/access_log" or return ();
    return map { /^\d+ (\S+) \S+ (\d+)/ ? "$1 $2" : () }
           grep { /^$port{B} / && /[?&]case=\Q$case\E(?:&|\s)/ } <$fh>;
}

my ($passed, $failed) = (0, 0);
my @console;
sub check {
    my ($ok, $what, $detail) = @_;
    if ($ok) {
        $passed++;
        print "ok - $what\n";
    }
    else {
        $failed++;
        print "not ok - $what\n";
        print "#   $_\n" for split /\n/, $detail // '';
    }
}

sub describe { encode_json($_[0] // { missing => 1 }) }

sub resolved {
    my ($r, $name, $status, $what) = @_;
    my $c = $r->{$name};
    check($c && $c->{outcome} eq 'resolved' && $c->{status} == $status,
          "$name: $what (status $status readable by script)",
          describe($c) . "\nconsole:\n" . join('', @console));
    return $c || {};
}

sub rejected {
    my ($r, $name, $what) = @_;
    my $c = $r->{$name};
    check($c && $c->{outcome} eq 'rejected', "$name: $what (fetch rejected)",
          describe($c) . "\nconsole:\n" . join('', @console));
}

sub server_saw {
    my ($case, $expected, $what) = @_;
    my @got = sort(seen($case));
    my $got = join(', ', @got);
    my $want = join(', ', sort @$expected);
    check($got eq $want, "$case: server saw $what",
          "expected [$want]\n got      [$got]");
}

write_conf();
system($httpd, '-t', '-d', $root, '-f', "$root/httpd.conf") == 0
    or die "configuration test failed\n";
start_server();

my ($r, $console) = browse($port{A}, 'allowed');
@console = @$console;

my $c = resolved($r, 'simple-get', 200, 'simple GET from the allowed origin');
check(($c->{body} // '') =~ /apple/, 'simple-get: body readable', describe($c));

$c = resolved($r, 'put-json', 200, 'preflighted PUT with JSON and X-Token');
check(($c->{body} // '') =~ /"method":"PUT"/, 'put-json: the PUT reached the API', describe($c));
server_saw('put-json', ['OPTIONS 204', 'PUT 200'], 'one OPTIONS and one PUT');

rejected($r, 'header-not-allowed', 'a request header that is not allowed');
server_saw('header-not-allowed', ['OPTIONS 403'], 'the preflight only, never the PUT');

rejected($r, 'method-not-allowed', 'DELETE, not in PreflightAllowMethods');
server_saw('method-not-allowed', ['OPTIONS 403'], 'the preflight only, never the DELETE');
rejected($r, 'lowercase-patch', "'patch' where only PATCH is allowed");
server_saw('lowercase-patch', ['OPTIONS 403'], 'the preflight only, never the patch');

resolved($r, 'cookie-set', 200, 'credentialed call that sets a cookie on origin B');
$c = resolved($r, 'cookie-credentials-on', 200, 'credentials where they are on');
check(($c->{body} // '') =~ /session=browser-test/, 'cookie-credentials-on: the cookie arrived',
      describe($c));
rejected($r, 'cookie-credentials-off', 'credentials where they are off');

$c = resolved($r, 'expose', 200, 'a response with two custom headers');
check(($c->{requestId} // '') eq 'req-42', 'expose: exposed X-Request-Id readable', describe($c));
check(!defined $c->{secret}, 'expose: X-Secret, not exposed, unreadable', describe($c));

resolved($r, 'status-404', 404, 'a 404 from origin B');
resolved($r, 'status-401', 401, 'a 401 from origin B');

resolved($r, 'cache-first', 200, 'first preflighted PUT with PreflightMaxAge 600');
resolved($r, 'cache-second', 200, 'the same call again');
server_saw('cache', ['OPTIONS 204', 'PUT 200', 'PUT 200'], 'one OPTIONS for two PUTs');

resolved($r, 'auth', 200, 'Authorization header to the protected API');
server_saw('auth', ['OPTIONS 204', 'GET 200'], 'the preflight without credentials answered, then the GET');

$c = resolved($r, 'proxy', 200, 'proxied backend that sets its own Access-Control-Allow-Origin');
check(($c->{body} // '') =~ /apple/, 'proxy: body readable', describe($c));

($r, $console) = browse($port{D}, 'denied');
@console = @$console;
rejected($r, 'denied-simple-get', 'simple GET from an origin that is not allowed');
rejected($r, 'denied-put-json', 'preflighted PUT from an origin that is not allowed');
server_saw('denied-put-json', ['OPTIONS 403'], 'the refused preflight only');

stop_httpd($server);
undef $server;
print "browser: Chromium ", (`$chromium --version 2>/dev/null` =~ /([\d.]+)/)[0] // '?', "\n";
print "$passed passed, $failed failed\n";
exit($failed ? 1 : 0);
