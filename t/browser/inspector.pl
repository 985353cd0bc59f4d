#!/usr/bin/perl
# The explain handler's HTML page, the inspector (README "The explain
# handler"), in headless Chromium: a private httpd (t/browser/inspector.conf.in)
# serves it at /inspector next to an API. Chromium loads the page for an
# allowed and for a refused preflight (--dump-dom: the expected text is in
# the DOM; --screenshot: written to build/inspector/), and for hostile
# queries, whose values must stay text (no element or attribute the page
# does not write). Then a probe page makes refused calls for real, and
# each message Chromium's console prints must be, word for word, the one
# the explain handler gives for the same request. Prints "ok"/"not ok"
# lines and a closing "N passed, M failed"; exits non-zero on any failure.
#
#   perl t/browser/inspector.pl      (make test runs it through tools/browser.sh)
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use lib dirname(__FILE__) . '/../lib';
use PreflightReport qw(check finish);
use PreflightServer qw(free_port start_httpd stop_httpd fill_template);

my $src = abs_path(dirname(__FILE__) . '/../..');
my $httpd = $ENV{HTTPD} || '/usr/sbin/apache2';
my $chromium = $ENV{CHROMIUM} || '/usr/bin/chromium';
my $module = "$src/.libs/mod_preflight.so";
-f $module or die "$module is missing: run make first\n";
my $shots = $ENV{SCREENSHOT_DIR} || "$src/build/inspector";
make_path($shots);

my $root = tempdir('pf-inspector-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP});
chmod 0755, $root;    # httpd's children run as nobody
my %port = map { $_ => free_port } qw(B P D);
my $API = "http://127.0.0.1:$port{B}";
my $PAGE = "http://127.0.0.1:$port{P}";
my $OTHER = "http://127.0.0.1:$port{D}";

{
    my $conf = fill_template("$src/t/browser/inspector.conf.in", ROOT => $root, SRC => $src,
                             MODULE => $module, map { ("PORT_$_" => $port{$_}) } keys %port);
    open my $out, '>', "$root/httpd.conf" or die $!;
    print $out $conf;
}

my $server;
END { stop_httpd($server) if $server }


sub form_encode {
    my $s = shift;
    $s =~ s/([^A-Za-z0-9\/.:_-])/sprintf '%%%02X', ord $1/ge;
    return $s;
}

sub inspector_url {
    my %q = @_;
    return "$API/inspector?" . join '&', map { "$_=" . form_encode($q{$_}) }
                                         grep { defined $q{$_} } qw(uri origin method headers);
}

my $run = 0;
# Chromium headless on a URL: (the dumped DOM, the console lines).
sub chromium {
    my ($url, @extra) = @_;
    $run++;
    my @cmd = ($chromium, qw(--headless --no-sandbox --disable-gpu
        --disable-background-networking --disable-component-update
        --disable-sync --no-first-run --enable-logging=stderr --v=0
        --hide-scrollbars --virtual-time-budget=10000), '--window-size=1100,1300',
        "--user-data-dir=$root/profile-$run", @extra, $url);
    my $cmd = join ' ', map { "'" . s/'/'\\''/gr . "'" } @cmd;
    my $dom = `timeout 120 $cmd 2>'$root/chromium-$run.log'`;
    open my $log, '<', "$root/chromium-$run.log" or die $!;
    my @console = map { /CONSOLE[^\]]*\] "(.*)", source: /s ? $1 : () } grep { /CONSOLE/ } <$log>;
    return ($dom, \@console);
}

# The DOM as Chromium serializes it: every tag with its attributes (always
# double-quoted, " as &quot;), text without "<". Returns element names,
# attribute names and what did not read as either.
sub markup {
    my $html = shift;
    my (@tags, @attrs, @bad);
    $html =~ s{<style>.*?</style>}{<style></style>}s;
    $html =~ s{<!--.*?-->}{}gs;
    $html =~ s{^<!DOCTYPE html>}{}i;
    pos($html) = 0;
    while (pos($html) < length $html) {
        if ($html =~ /\G[^<]+/gc) {
            next;
        }
        if ($html =~ /\G<\/([A-Za-z][\w-]*)\s*>/gc) {
            push @tags, lc $1;
            next;
        }
        if ($html =~ /\G<([A-Za-z][\w-]*)((?:\s+[^\s="'<>\/]+(?:="[^"]*")?)*)\s*\/?>/gc) {
            push @tags, lc $1;
            my $a = $2;
            push @attrs, map { lc } $a =~ /\s+([^\s="'<>\/]+)(?:="[^"]*")?/g;
            next;
        }
        $html =~ /\G(.{0,60})/gcs;
        push @bad, $1;
        last;
    }
    return (\@tags, \@attrs, \@bad);
}

my %TAGS = map { $_ => 1 } qw(html head meta title style body h1 h2 form label input
    button pre p div strong dl dt dd table caption thead tbody tr th td code);
my %ATTRS = map { $_ => 1 } qw(lang charset method action id name value placeholder
    autocomplete spellcheck for type class);

sub unescape {
    my $s = shift;
    $s =~ s/&quot;/"/g; $s =~ s/&#39;/'/g; $s =~ s/&lt;/</g; $s =~ s/&gt;/>/g;
    $s =~ s/&nbsp;/ /g; $s =~ s/&amp;/&/g;
    return $s;
}

# The text of the element with this id (its markup removed).
sub text_of {
    my ($dom, $id) = @_;
    my ($inner) = $dom =~ m{<(\w+)[^>]*\bid="\Q$id\E"[^>]*>(.*?)</\1>}s ? ($2) : ();
    return undef unless defined $inner;
    $inner =~ s/<[^>]*>//g;
    return unescape($inner);
}

sub input_value {
    my ($dom, $name) = @_;
    my ($tag) = $dom =~ /(<input\b[^>]*\bname="\Q$name\E"[^>]*>)/;
    return '(no input)' unless $tag;
    my ($v) = $tag =~ /\bvalue="([^"]*)"/;
    return unescape($v // '');
}

my $http = HTTP::Tiny->new(timeout => 30);
sub explain_json {
    my %q = @_;
    my $r = $http->get(inspector_url(%q));
    return eval { JSON::PP->new->utf8->decode($r->{content}) } || {};
}

sub png_size {
    my $file = shift;
    open my $fh, '<:raw', $file or return;
    read $fh, my $head, 24;
    return unless length $head == 24 && substr($head, 0, 8) eq "\x89PNG\r\n\x1a\n";
    return unpack 'N2', substr($head, 16, 8);
}

system("'$httpd' -t -d '$root' -f '$root/httpd.conf' 2>'$root/configtest.log'") == 0
    or die "configuration test failed\n";
system("chmod -R a+rX '$src/t/browser/inspector'") == 0 or die "chmod failed\n";
$server = start_httpd(httpd => $httpd, conf => "$root/httpd.conf", root => $root,
                      pidfile => "$root/httpd.pid", port => $port{B});

# ---- an allowed and a refused preflight, as a browser shows them
my @pages = (
    { name => 'allowed', q => { uri => '/api/data.json', origin => $PAGE, method => 'PUT',
                                headers => 'content-type,x-token' },
      text => { 'verdict-name' => 'preflight-allowed',
                reason => qr/^origin '\Q$PAGE\E' is allowed by PreflightAllowOrigin, method 'PUT' by PreflightAllowMethods/,
                headers => qr/^Access-Control-Allow-Origin: \Q$PAGE\E\nAccess-Control-Allow-Methods: GET, PUT\nAccess-Control-Allow-Headers: Content-Type, X-Token\nAccess-Control-Max-Age: 600\n/,
                'max-age' => qr/Chromium 600 s, Firefox 600 s, WebKit \(Safari\) 600 s/,
                policy => qr/PreflightAllowMethods\s*GET PUT\s*\Q$root\E\/httpd\.conf:\d+/ },
      class => 'allowed' },
    { name => 'refused', q => { uri => '/api/data.json', origin => $PAGE, method => 'DELETE' },
      text => { 'verdict-name' => 'preflight-denied-method',
                reason => qr/^method 'DELETE' is not in PreflightAllowMethods/,
                console => qr/Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource\./,
                'console-other-servers' => qr/Method DELETE is not allowed by Access-Control-Allow-Methods in preflight response\./,
                headers => qr/^Vary: Origin\n$/ },
      class => 'denied' },
);
for my $p (@pages) {
    my $url = inspector_url(%{ $p->{q} });
    my ($dom, $console) = chromium($url, '--dump-dom');
    for my $id (sort keys %{ $p->{text} }) {
        my $got = text_of($dom, $id);
        my $want = $p->{text}{$id};
        check(defined $got && (ref $want ? scalar($got =~ $want) : $got eq $want),
              "$p->{name}: #$id shows the expected text",
              "got: " . ($got // '(no such element)') . "\nwant: $want");
    }
    check($dom =~ /<div id="verdict" class="verdict \Q$p->{class}\E">/,
          "$p->{name}: the verdict is marked $p->{class}");
    check(input_value($dom, 'uri') eq $p->{q}{uri} && input_value($dom, 'origin') eq $p->{q}{origin},
          "$p->{name}: the form holds the request", $url);
    my @csp = grep { /Content Security Policy|Refused to apply/ } @$console;
    check(!@csp, "$p->{name}: no Content-Security-Policy violation (the stylesheet's hash holds)",
          join "\n", @csp);
    my $png = "$shots/inspector-$p->{name}.png";
    unlink $png;
    chromium($url, "--screenshot=$png");
    my ($w, $h) = png_size($png);
    check($w && $w == 1100 && $h == 1300 && -s $png > 20000,
          "$p->{name}: screenshot $png", "size " . ($w // '?') . 'x' . ($h // '?') . ', ' . (-s $png // 0) . ' bytes');
}

# ---- hostile queries: shown, never run or parsed as markup
my @hostile = (
    [origin => q{"><script>document.title='injected'</script>}],
    [uri => q{/api/"><img src=x onerror=alert(1)>}],
    [origin => q{https://a.example.com'onmouseover=alert(1) x='}],
    [headers => q{x-a"onmouseover="alert(1)}],
    [method => q{"><script>alert(1)</script>}],
);
for my $h (@hostile) {
    my ($param, $value) = @$h;
    my %q = (uri => '/api/data.json', origin => $PAGE, method => 'PUT', $param => $value);
    my ($dom) = chromium(inspector_url(%q), '--dump-dom');
    my ($tags, $attrs, $bad) = markup($dom);
    my $name = "hostile $param " . substr($value, 0, 24);
    check(length $dom > 500 && !@$bad, "$name: the DOM reads as tags and text", join "\n", @$bad);
    check(!grep({ $_ eq 'script' || $_ eq 'img' } @$tags), "$name: no <script> or <img> element",
          join ' ', @$tags);
    my @odd = grep { !$ATTRS{$_} } @$attrs;
    check(!@odd, "$name: no attribute the page does not write (no onmouseover, onerror)",
          join ' ', @odd);
    my @tags_odd = grep { !$TAGS{$_} } @$tags;
    check(!@tags_odd, "$name: no element the page does not write", join ' ', @tags_odd);
    check(input_value($dom, $param) eq $value, "$name: the form field holds the value as text",
          input_value($dom, $param));
    check($dom !~ /<title>injected/, "$name: the title is the page's");
}

# ---- Chromium's console, word for word the explain handler's
my %words;
my @probes = (
    [$PAGE, 'method', sub { (explain_json(uri => '/api/data.json?case=method', origin => $PAGE,
                                          method => 'DELETE')->{decision} || {})->{console}{chromium} }],
    [$PAGE, 'header', sub { (explain_json(uri => '/api/data.json?case=header', origin => $PAGE,
                                          method => 'PUT', headers => 'content-type,x-debug')->{decision}
                             || {})->{console}{chromium} }],
    [$PAGE, 'credentials', sub { ((explain_json(uri => '/api/data.json?case=credentials', origin => $PAGE)
                                  ->{decision} || {})->{console}{with_credentials} || {})->{chromium} }],
    [$OTHER, 'origin', sub { (explain_json(uri => '/api/data.json?case=origin', origin => $OTHER)
                              ->{decision} || {})->{console}{chromium} }],
    [$OTHER, 'preflight-origin', sub { (explain_json(uri => '/api/data.json?case=preflight-origin',
                                                     origin => $OTHER, method => 'PUT',
                                                     headers => 'content-type,x-token')->{decision}
                                        || {})->{console}{chromium} }],
);
for my $origin ($PAGE, $OTHER) {
    my @cases = map { $_->[1] } grep { $_->[0] eq $origin } @probes;
    my ($dom, $console) = chromium("$origin/probe.html?api=$API&cases=" . join(',', @cases), '--dump-dom');
    my $results = text_of($dom, 'results') // '';
    for my $p (grep { $_->[0] eq $origin } @probes) {
        my $case = $p->[1];
        check($results =~ /^\Q$case\E rejected$/m, "console $case: the browser refused the call",
              $results);
        my @lines = grep { /\?case=\Q$case\E'/ } @$console;
        my $expected = $p->[2]->() // '(no words from the explain handler)';
        check(@lines == 1 && $lines[0] eq $expected,
              "console $case: Chromium's message is the explain handler's",
              "Chromium:  " . join("\n           ", @lines) . "\nexplained: $expected");
    }
}

stop_httpd($server);
undef $server;
print "browser: inspector: screenshots in $shots\n";
exit finish();
