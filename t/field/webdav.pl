#!/usr/bin/perl
# WebDAV under a policy: mod_dav and mod_dav_fs serve two shares, /dav/ open
# and /private/ behind Basic authentication, from a private httpd started
# twice (t/field/conf/webdav.conf.in): once with the module and the policy,
# once with mod_dav alone. Checks, against README "Behaviour in detail" and
# "An API behind authentication":
#   - Debian's litmus, run against each share of each server: every group
#     (basic, copymove, props, locks, http) ends with the same summary, and
#     each test with the same result, with the module as without it;
#   - plain OPTIONS (no Origin) keeps mod_dav's DAV and Allow answer;
#     with an allowed Origin the CORS headers are added and DAV and Allow
#     kept (an OPTIONS without Access-Control-Request-Method is not a
#     preflight);
#   - a cross-origin PROPFIND preflight (Depth, Content-Type) is answered
#     204 without credentials on the authenticated share;
#   - an actual PROPFIND from the allowed origin with credentials is a 207
#     with Access-Control-Allow-Origin; from a refused origin, a 207 without
#     any Access-Control-* header; without credentials, a 401 the allowed
#     origin can read.
# Prints "ok"/"not ok" lines and a closing "N passed, M failed"; exits
# non-zero on any failure.
#
#   perl t/field/webdav.pl       (make field runs it: sh tools/test.sh webdav)
#   KEEP=1 keeps the temporary directory (logs, litmus's debug.log).
#   PREFLIGHT_MODULE=path runs another build of the module.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Time::HiRes qw(time);
use lib dirname(__FILE__) . '/../lib';
use PreflightReport qw(check finish note);
use PreflightServer qw(free_port start_httpd stop_httpd fill_template);
use PreflightTest qw(raw_request raw_exchange parse_response fields_of);

my $src = abs_path(dirname(__FILE__) . '/../..');
my $httpd = $ENV{HTTPD} || '/usr/sbin/apache2';
my $module = $ENV{PREFLIGHT_MODULE} || "$src/.libs/mod_preflight.so";
-f $module or die "$module is missing: run make first\n";

my $ALLOWED = 'https://app.example';
my $REFUSED = 'https://evil.example';
my ($USER, $PASSWORD) = ('alice', 'dav-s3cret');
my $AUTH = 'Basic ' . encode_base64("$USER:$PASSWORD");
my @GROUPS = qw(basic copymove props locks http);

my $top = tempdir('pf-webdav-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP});
chmod 0755, $top;
my %server;    # with, without => handle
END { stop_httpd($_) for grep { defined } values %server }

sub encode_base64 {
    require MIME::Base64;
    return MIME::Base64::encode_base64(shift, '');
}

# One server's root: its configuration, the two shares and the lock
# database writable by the user httpd's children run as, and the password
# file (made by htpasswd, as a site would make it).
sub prepare {
    my $name = shift;
    my $root = "$top/$name";
    make_path(map { "$root/$_" } qw(dav private lock));
    chmod 0755, $root;
    my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
    $gid = getgrnam('nogroup') // $gid;
    chown $uid, $gid, map { "$root/$_" } qw(dav private lock) if $> == 0;
    system('htpasswd', '-cbB', "$root/htpasswd", $USER, $PASSWORD) == 0
        or die "htpasswd failed (apache2-utils)\n";
    chmod 0644, "$root/htpasswd";
    my ($port, $proxy_port) = (free_port(), free_port());
    my $conf = fill_template("$src/t/field/conf/webdav.conf.in", ROOT => $root, PORT => $port,
                             PROXY_PORT => $proxy_port, MODULE => $module, ALLOWED => $ALLOWED);
    open my $out, '>', "$root/httpd.conf" or die $!;
    print $out $conf;
    close $out;
    return { root => $root, port => $port, proxy_port => $proxy_port };
}

sub start {
    my ($name, @define) = @_;
    my $s = prepare($name);
    $server{$name} = start_httpd(httpd => $httpd, conf => "$s->{root}/httpd.conf",
                                 root => $s->{root}, pidfile => "$s->{root}/httpd.pid",
                                 args => [map { ('-D', $_) } @define]);
    return $s;
}

# litmus against one share, in a directory of its own (it writes debug.log
# and child.log where it runs), through a proxy when one is given. Returns
# { group => { summary, results, failed } }.
sub litmus {
    my ($s, $share, $proxy, @credentials) = @_;
    my $dir = "$s->{root}/litmus-$share" . ($proxy ? '-origin' : '');
    make_path($dir);
    my $url = "http://127.0.0.1:$s->{port}/$share/";
    my @proxy = $proxy ? ("--proxy=http://127.0.0.1:$proxy/") : ();
    my $pid = open(my $out, '-|') // die "fork: $!\n";
    if (!$pid) {
        chdir $dir or die "chdir $dir: $!\n";
        open STDERR, '>&', \*STDOUT;
        exec 'litmus', '-k', @proxy, $url, @credentials or die "exec litmus: $!\n";
    }
    my $text = do { local $/; <$out> } // '';
    close $out;
    if (open my $log, ">", "$dir/output") { print $log $text }
    my %group;
    for my $g (@GROUPS) {
        my ($body, $summary) = $text =~ /-> running `\Q$g\E':\n(.*?)<- summary for `\Q$g\E': ([^\n]*)/s;
        next unless defined $summary;
        # A result word follows the dots of its test's line (litmus redraws
        # the line with \r, and a warning splits it over two lines).
        my @results = $body =~ /\.{3,} (pass|FAIL|SKIPPED)\b/g;
        my @failed = $body =~ /(\d+\. \w+)\.* FAIL\b/g;
        $group{$g} = { summary => $summary, results => \@results, failed => \@failed };
    }
    return \%group;
}

sub request {
    my ($s, @req) = @_;
    local $PreflightTest::port = $s->{port};
    return parse_response(raw_exchange(raw_request(@req)));
}

sub one {
    my ($p, $h) = @_;
    my @v = fields_of($p, $h);
    return @v == 1 ? $v[0] : @v ? join(' | ', @v) . ' (' . scalar(@v) . ' fields)' : undef;
}

sub tokens {
    my ($p, $h) = @_;
    return join ', ', sort map { split /\s*,\s*/ } fields_of($p, $h);
}

sub acx { grep { $_->[0] =~ /^Access-Control-/i } @{ $_[0]{headers} } }

sub show {
    my $p = shift;
    return join '', "$p->{status_line}\n", map { "  $_->[0]: $_->[1]\n" } @{ $p->{headers} };
}

my $started = time;
my $ok = eval {
    note('litmus ' . ((`litmus --version 2>&1` // '') =~ /([\d.]+)/)[0]
         . ', apache2 ' . ((`$httpd -v 2>&1` // '') =~ m{Apache/(\S+)})[0]);
    my $with = start('with', 'PREFLIGHT');
    my $without = start('without', 'ORIGIN_PROXY');

    # ---- litmus, each share with and without the module; litmus sends no
    # Origin, so each share is run twice: as litmus sends it, and through
    # the proxy that adds the allowed Origin to every request (every answer
    # then carries the module's CORS headers)
    for my $run (['', undef], [" from $ALLOWED", $without->{proxy_port}]) {
        my ($as, $proxy) = @$run;
        for my $share (qw(dav private)) {
            my @cred = $share eq 'private' ? ($USER, $PASSWORD) : ();
            my $t0 = time;
            my $bare = litmus($without, $share, $proxy, @cred);
            my $t1 = time;
            my $mod = litmus($with, $share, $proxy, @cred);
            note(sprintf 'litmus on /%s/%s: %.1f s without the module, %.1f s with it',
                 $share, $as, $t1 - $t0, time - $t1);
            for my $g (@GROUPS) {
                my ($b, $m) = ($bare->{$g}, $mod->{$g});
                note("/$share/$as $g without the module: " . ($b ? $b->{summary} : 'no summary'));
                note("/$share/$as $g with the module:    " . ($m ? $m->{summary} : 'no summary'));
                check($b && $b->{summary} =~ /of [1-9]\d* tests run/,
                      "litmus $g ran on /$share/$as without the module");
                check($m && $b && $m->{summary} eq $b->{summary}
                         && "@{ $m->{results} }" eq "@{ $b->{results} }",
                      "litmus $g on /$share/$as: the same results with the module as without it",
                      "without: " . ($b ? "$b->{summary}; failed: @{ $b->{failed} }" : 'none') . "\n"
                             . "with:    " . ($m ? "$m->{summary}; failed: @{ $m->{failed} }" : 'none'));
            }
        }
    }
    # the proxied runs were cross-origin requests the module allowed
    open my $alog, '<', "$with->{root}/access_log" or die $!;
    my %decided;
    for (<$alog>) { $decided{$1}++ if /origin="\Q$ALLOWED\E" pf=(\S+)/ }
    note('decisions on the requests litmus sent through the proxy: '
         . join(', ', map { "$_ $decided{$_}" } sort keys %decided));
    check(($decided{'cors-allowed'} // 0) > 100 && keys %decided == 1,
          "litmus through the proxy: every request came from $ALLOWED and was answered as cors-allowed");

    # ---- plain OPTIONS: mod_dav's answer kept (README "Behaviour in detail",
    # Actual requests: plain OPTIONS is not a preflight)
    for my $share (qw(dav private)) {
        my @cred = $share eq 'private' ? (Authorization => $AUTH) : ();
        my $bare = request($without, OPTIONS => "/$share/", [@cred]);
        my $plain = request($with, OPTIONS => "/$share/", [@cred]);
        note("/$share/ OPTIONS without the module: DAV: " . (one($bare, 'DAV') // '-')
             . '; Allow: ' . (one($bare, 'Allow') // '-'));
        check($bare->{status} == 200 && tokens($bare, 'DAV') =~ /\b1\b.*\b2\b/
                 && tokens($bare, 'Allow') =~ /\bPROPFIND\b/,
              "/$share/ plain OPTIONS without the module: mod_dav answers 200 with DAV and Allow",
              show($bare));
        check($plain->{status} == 200
                 && tokens($plain, 'DAV') eq tokens($bare, 'DAV')
                 && tokens($plain, 'Allow') eq tokens($bare, 'Allow')
                 && !acx($plain),
              "/$share/ plain OPTIONS with the module: the same status, DAV and Allow, no Access-Control-*",
              show($plain));

        my $cors = request($with, OPTIONS => "/$share/", [Origin => $ALLOWED, @cred]);
        check($cors->{status} == 200
                 && tokens($cors, 'DAV') eq tokens($bare, 'DAV')
                 && tokens($cors, 'Allow') eq tokens($bare, 'Allow')
                 && (one($cors, 'ACAO') // '') eq $ALLOWED
                 && (one($cors, 'ACAC') // '') eq 'true'
                 && tokens($cors, 'Vary') =~ /\bOrigin\b/,
              "/$share/ OPTIONS from the allowed origin: DAV and Allow kept, CORS headers added",
              show($cors));
    }

    # ---- the PROPFIND preflight on the authenticated share: no credentials
    my @preflight = (Origin => $ALLOWED, ACRM => 'PROPFIND', ACRH => 'depth, content-type');
    my $bare_pf = request($without, OPTIONS => '/private/', [@preflight]);
    note("/private/ PROPFIND preflight without the module: $bare_pf->{status_line}");
    my $pf = request($with, OPTIONS => '/private/', [@preflight]);
    check($pf->{status} == 204
             && (one($pf, 'ACAO') // '') eq $ALLOWED
             && (one($pf, 'ACAC') // '') eq 'true'
             && tokens($pf, 'ACAM') =~ /\bPROPFIND\b/
             && lc(tokens($pf, 'ACAH')) =~ /\bcontent-type\b/ && lc(tokens($pf, 'ACAH')) =~ /\bdepth\b/
             && !fields_of($pf, 'WWW-Authenticate'),
          'PROPFIND preflight on /private/ without credentials: 204 with the CORS headers, no 401',
          show($pf));
    my $refused_pf = request($with, OPTIONS => '/private/',
                             [Origin => $REFUSED, ACRM => 'PROPFIND', ACRH => 'depth']);
    check($refused_pf->{status} == 403 && !acx($refused_pf),
          'PROPFIND preflight from a refused origin: 403 without Access-Control-*',
          show($refused_pf));

    # ---- actual PROPFIND requests
    my $body = qq{<?xml version="1.0" encoding="utf-8"?>\n}
             . qq{<propfind xmlns="DAV:"><prop><resourcetype/></prop></propfind>\n};
    my @propfind = (Depth => '0', 'Content-Type' => 'application/xml');
    my $bare_207 = request($without, PROPFIND => '/private/',
                           [Origin => $ALLOWED, Authorization => $AUTH, @propfind], $body);
    check($bare_207->{status} == 207, 'PROPFIND on /private/ with credentials without the module: 207',
          show($bare_207));
    my $allowed = request($with, PROPFIND => '/private/',
                          [Origin => $ALLOWED, Authorization => $AUTH, @propfind], $body);
    check($allowed->{status} == 207
             && (one($allowed, 'ACAO') // '') eq $ALLOWED
             && (one($allowed, 'ACAC') // '') eq 'true'
             && $allowed->{body} =~ /multistatus/ && $allowed->{body} eq $bare_207->{body},
          'PROPFIND from the allowed origin with credentials: 207 with Access-Control-Allow-Origin, the same multistatus',
          show($allowed));
    my $refused = request($with, PROPFIND => '/private/',
                          [Origin => $REFUSED, Authorization => $AUTH, @propfind], $body);
    check($refused->{status} == 207 && !acx($refused) && $refused->{body} =~ /multistatus/,
          'PROPFIND from a refused origin with credentials: 207 without any Access-Control-*',
          show($refused));
    my $no_cred = request($with, PROPFIND => '/private/', [Origin => $ALLOWED, @propfind], $body);
    check($no_cred->{status} == 401 && (one($no_cred, 'ACAO') // '') eq $ALLOWED,
          'PROPFIND from the allowed origin without credentials: 401 with Access-Control-Allow-Origin',
          show($no_cred));
    my $open = request($with, PROPFIND => '/dav/', [Origin => $ALLOWED, @propfind], $body);
    check($open->{status} == 207 && (one($open, 'ACAO') // '') eq $ALLOWED,
          'PROPFIND on the open share from the allowed origin: 207 with Access-Control-Allow-Origin',
          show($open));

    # what the module logged for them (README "Reading decisions")
    open my $log, '<', "$with->{root}/access_log" or die $!;
    my @pf = map { /^(PROPFIND|OPTIONS) (\S+) (\d+) origin="([^"]*)" pf=(\S+)/ ? "$1 $2 $3 $5" : () } <$log>;
    check((grep { $_ eq 'OPTIONS /private/ 204 preflight-allowed' } @pf)
             && (grep { $_ eq 'PROPFIND /private/ 207 cors-denied-origin' } @pf)
             && (grep { $_ eq 'PROPFIND /private/ 207 cors-allowed' } @pf),
          'the access log has the decisions: preflight-allowed, cors-allowed, cors-denied-origin',
          join "\n", @pf);
    1;
};
if (!$ok) {
    check(0, 'the stage ran to its end', $@);
}
stop_httpd($_) for grep { defined } values %server;
%server = ();
note(sprintf 'webdav: %.1f s', time - $started);
exit finish();
