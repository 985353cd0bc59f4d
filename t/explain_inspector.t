use strict;
use warnings FATAL => 'all';

# The explain handler's HTML page, the inspector (README "The explain
# handler"): content negotiation between HTML and JSON, the headers of both
# answers (Content-Security-Policy, nosniff, Vary: Accept, no-store), every
# value escaped (hostile origins, uris, methods and header names in the query
# appear only as text, never as markup), the stylesheet's hash in the
# Content-Security-Policy, and the browsers' console words and preflight
# cache caps in the JSON for each denial. Policies: t/conf/explain.conf.in
# (/explain, /ex/api/) and t/conf/inspector.conf.in (/insp/).

use Apache::Test;
use Apache::TestUtil;
use Digest::SHA qw(sha256_base64);
use JSON::PP ();
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(:DEFAULT raw_request raw_exchange parse_response fields_of);

my $PORT = Apache::Test::vars('port');
my $BASE = "http://127.0.0.1:$PORT";
my $A = 'https://a.example.com';
my $Q = "uri=/ex/api/x.txt&origin=$A&method=PUT&headers=x-token";

# What browsers send when they load a page (Chromium 156, Firefox 153).
my $CHROMIUM_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,'
    . 'image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7';
my $FIREFOX_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

my $CSP = qr/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+\/]{43}='; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/;
my %HTML = ('Content-Type' => 'text/html; charset=utf-8');
my %JSON = ('Content-Type' => 'application/json');
my %BOTH = ('Content-Security-Policy' => $CSP, 'X-Content-Type-Options' => 'nosniff',
            Vary => 'Accept', 'Cache-Control' => 'no-store');

sub get { my ($path, @h) = @_; raw_request(GET => $path, [@h]) }

# ---- content negotiation and headers, in PreflightTest's vocabulary
# (bytes: the explain handler refuses the tag run_cases adds to a query)
my @cases = (
    { name => "Chromium's Accept: HTML", bytes => get("/explain?$Q", Accept => $CHROMIUM_ACCEPT),
      status => 200, hdr => { %HTML, %BOTH }, body => qr/<form method="get" action="\/explain"/,
      no_acx => 1 },
    { name => "Firefox's Accept: HTML", bytes => get("/explain?$Q", Accept => $FIREFOX_ACCEPT),
      status => 200, hdr => { %HTML, %BOTH }, body => qr/^<!DOCTYPE html>/, no_acx => 1 },
    { name => 'Accept: text/html', bytes => get("/explain?$Q", Accept => 'text/html'),
      status => 200, hdr => { %HTML, %BOTH }, no_acx => 1 },
    { name => "curl's Accept: */*: JSON", bytes => get("/explain?$Q", Accept => '*/*'),
      status => 200, hdr => { %JSON, %BOTH }, body => qr/^\{\n  "request"/, no_acx => 1 },
    { name => 'no Accept: JSON', bytes => get("/explain?$Q"),
      status => 200, hdr => { %JSON, %BOTH }, body => qr/^\{/, no_acx => 1 },
    { name => 'Accept: application/json', bytes => get("/explain?$Q", Accept => 'application/json'),
      status => 200, hdr => { %JSON, %BOTH }, body => qr/^\{/ },
    { name => 'JSON weighs more than HTML: JSON',
      bytes => get("/explain?$Q", Accept => 'application/json, text/html;q=0.9'),
      status => 200, hdr => { %JSON, %BOTH } },
    { name => 'HTML refused with q=0: JSON',
      bytes => get("/explain?$Q", Accept => 'text/html;q=0, */*'),
      status => 200, hdr => { %JSON, %BOTH } },
    { name => 'no query, HTML: the empty form',
      bytes => get('/explain', Accept => $CHROMIUM_ACCEPT),
      status => 200, hdr => { %HTML, %BOTH }, body => qr/<input id="uri" name="uri" value=""/ },
    { name => 'no query, JSON: 400 naming uri', bytes => get('/explain'),
      status => 400, hdr => { %JSON, %BOTH }, body => qr/"error": "[^"]*\?uri=/ },
    { name => 'a bad query, HTML: 400 with the reason',
      bytes => get('/explain?uri=/ex/api/x.txt&foo=1', Accept => 'text/html'),
      status => 400, hdr => { %HTML, %BOTH },
      body => qr/<p id="error" class="verdict denied">unknown parameter &#39;foo&#39;/ },
    { name => 'HEAD, HTML: the headers of the page',
      bytes => raw_request(HEAD => "/explain?$Q", [Accept => 'text/html']),
      status => 200, hdr => { %HTML, %BOTH }, body => '' },
);

# ---- hostile values. Each goes into the query (form-encoded) and must come
# back, in the HTML page, as text only: no element or attribute that the
# page does not write itself, the input field's value equal to it, and the
# escaped form in the text.
my $SCRIPT = '"><script>alert(1)</script>';
my $HOVER = "'onmouseover=alert(1) x='";
my @hostile = (
    [uri => "/ex/api/$SCRIPT"],
    [uri => "/ex/api/$HOVER"],
    [origin => $SCRIPT],
    [origin => "https://a.example.com$HOVER"],
    [method => $SCRIPT],                   # not a token: 400, refilled form
    [method => "PUT$HOVER"],
    [headers => "x-token,$SCRIPT"],
    [headers => "x-'onmouseover"],         # a token: refused, named in the words
    [headers => "x-a\"onmouseover=alert(1)"],
);
my %TAGS = map { $_ => 1 } qw(html head meta title style body h1 h2 form label input
    button pre p div strong dl dt dd table caption thead tbody tr th td code);
my %ATTRS = map { $_ => 1 } qw(lang charset method action id name value placeholder
    autocomplete spellcheck for type class);

sub form_encode { my $s = shift; $s =~ s/([^A-Za-z0-9\/.:,_-])/sprintf '%%%02X', ord $1/ge; $s }
sub html_decode {
    my $s = shift;
    $s =~ s/&quot;/"/g; $s =~ s/&#39;/'/g; $s =~ s/&lt;/</g; $s =~ s/&gt;/>/g; $s =~ s/&amp;/&/g;
    return $s;
}
sub html_escape {
    my $s = shift;
    $s =~ s/&/&amp;/g; $s =~ s/</&lt;/g; $s =~ s/>/&gt;/g; $s =~ s/"/&quot;/g; $s =~ s/'/&#39;/g;
    return $s;
}

# Every tag of the page and its attributes, read the way an HTML parser
# reads them: a "<" followed by a letter or "/" opens a tag, attribute
# values are quoted (the page writes them so) or bare.
sub markup {
    my $html = shift;
    my (@tags, @attrs, @raw);
    $html =~ s{<style>.*?</style>}{<style></style>}s;
    while ($html =~ /<(\/?)([A-Za-z][^\s\/>]*)([^>]*)>/g) {
        my ($close, $tag, $rest) = ($1, lc $2, $3);
        push @tags, $tag;
        while ($rest =~ /\G\s*([^\s=>\/"']+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?/gc) {
            push @attrs, lc $1;
        }
        push @raw, "$tag: leftover '$1'" if $rest =~ /\G\s*([^\s\/].*)$/;
    }
    return (\@tags, \@attrs, \@raw);
}

sub input_value {
    my ($html, $name) = @_;
    my ($v) = $html =~ /<input id="\Q$name\E" name="\Q$name\E" value="([^"]*)"/;
    return defined $v ? html_decode($v) : '(no such input)';
}

my $hostile_tests = 8;

# ---- the console words and the cache caps, per denial, in the JSON
my $URL = "$BASE/ex/api/x.txt";
my $LEAD = "Access to fetch at '$URL' from origin '%s' has been blocked by CORS policy: ";
my $PRE = "Response to preflight request doesn't pass access control check: ";
my $NO_ACAO = "No 'Access-Control-Allow-Origin' header is present on the requested resource.";
my $FF = 'Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ';
my ($L, $R) = ("\x{2018}", "\x{2019}");
my $FF_NO_ACAO = "$FF$URL. (Reason: CORS header ${L}Access-Control-Allow-Origin$R missing). Status code: %s.";
my $EVIL = 'https://evil.example.net';

# q; says: [chromium, firefox] or undef (null); other: the same for
# other_servers; cred: for with_credentials; max_age: {engine => s} or undef
my @console = (
    { name => 'actual request, origin refused',
      q => "uri=/ex/api/x.txt&origin=$EVIL", verdict => 'cors-denied-origin',
      says => [sprintf($LEAD, $EVIL) . $NO_ACAO, sprintf($FF_NO_ACAO, 200)] },
    { name => 'preflight, origin refused',
      q => "uri=/ex/api/x.txt&origin=$EVIL&method=PUT", verdict => 'preflight-denied-origin',
      says => [sprintf($LEAD, $EVIL) . $PRE . $NO_ACAO, sprintf($FF_NO_ACAO, 403)] },
    { name => 'preflight, method refused',
      q => "uri=/ex/api/x.txt&origin=$A&method=DELETE", verdict => 'preflight-denied-method',
      says => [sprintf($LEAD, $A) . $PRE . $NO_ACAO, sprintf($FF_NO_ACAO, 403)],
      other => [sprintf($LEAD, $A) . 'Method DELETE is not allowed by Access-Control-Allow-Methods in preflight response.',
                "$FF$URL. (Reason: Did not find method in CORS header ${L}Access-Control-Allow-Methods$R)."] },
    { name => 'preflight, header refused (named in lower case, as browsers send it)',
      q => "uri=/ex/api/x.txt&origin=$A&method=PUT&headers=x-token,X-Debug",
      verdict => 'preflight-denied-header',
      says => [sprintf($LEAD, $A) . $PRE . $NO_ACAO, sprintf($FF_NO_ACAO, 403)],
      other => [sprintf($LEAD, $A) . 'Request header field x-debug is not allowed by Access-Control-Allow-Headers in preflight response.',
                "$FF$URL. (Reason: header ${L}x-debug$R is not allowed according to header "
                . "${L}Access-Control-Allow-Headers$R from CORS preflight response)."] },
    { name => 'preflight, malformed header list',
      q => "uri=/ex/api/x.txt&origin=$A&method=PUT&headers=x(y", verdict => 'preflight-denied-header',
      says => [sprintf($LEAD, $A) . $PRE . $NO_ACAO, sprintf($FF_NO_ACAO, 403)] },
    { name => 'preflight allowed, credentials on: nothing to say, Max-Age 600 for all',
      q => "uri=/ex/api/x.txt&origin=$A&method=PUT&headers=x-token", verdict => 'preflight-allowed',
      max_age => { chromium => 600, firefox => 600, webkit => 600 } },
    { name => 'actual request allowed, credentials on: nothing to say, no cache',
      q => "uri=/ex/api/x.txt&origin=$A", verdict => 'cors-allowed' },
    { name => 'preflight allowed, credentials off: the credentials words, Max-Age capped',
      q => 'uri=/insp/long/x.txt&origin=https://app.example.com&method=PUT',
      verdict => 'preflight-allowed', url => "$BASE/insp/long/x.txt",
      cred => [sprintf($LEAD =~ s/\Q$URL\E/$BASE\/insp\/long\/x.txt/r, 'https://app.example.com') . $PRE
               . "The value of the 'Access-Control-Allow-Credentials' header in the response is '' "
               . "which must be 'true' when the request's credentials mode is 'include'.",
               "$FF$BASE/insp/long/x.txt. (Reason: expected ${L}true$R in CORS header "
               . "${L}Access-Control-Allow-Credentials$R)."],
      max_age => { chromium => 7200, firefox => 86400, webkit => 600 } },
    { name => 'actual request allowed as *: the wildcard words',
      q => 'uri=/insp/any/x.txt&origin=https://app.example.com', verdict => 'cors-allowed',
      cred => [sprintf($LEAD =~ s/\Q$URL\E/$BASE\/insp\/any\/x.txt/r, 'https://app.example.com')
               . "The value of the 'Access-Control-Allow-Origin' header in the response must not be "
               . "the wildcard '*' when the request's credentials mode is 'include'.",
               "$FF${L}$BASE/insp/any/x.txt$R. (Reason: Credential is not supported if the CORS "
               . "header ${L}Access-Control-Allow-Origin$R is ${L}*$R)."] },
    { name => 'preflight allowed, no Max-Age: 5 s everywhere',
      q => 'uri=/insp/any/x.txt&origin=https://app.example.com&method=PUT',
      verdict => 'preflight-allowed',
      cred => [sprintf($LEAD =~ s/\Q$URL\E/$BASE\/insp\/any\/x.txt/r, 'https://app.example.com') . $PRE
               . "The value of the 'Access-Control-Allow-Origin' header in the response must not be "
               . "the wildcard '*' when the request's credentials mode is 'include'.",
               "$FF${L}$BASE/insp/any/x.txt$R. (Reason: Credential is not supported if the CORS "
               . "header ${L}Access-Control-Allow-Origin$R is ${L}*$R)."],
      max_age => { chromium => 5, firefox => 5, webkit => 5 } },
    { name => 'no Origin: no words, no cache',
      q => 'uri=/ex/api/x.txt', verdict => undef },
);

plan tests => case_tests(@cases) + 3 + @hostile * $hostile_tests + @console * 6 + 2;

run_cases(@cases);

# ---- the stylesheet: the CSP's hash is its hash, and nothing else styles
{
    my $r = parse_response(raw_exchange(get("/explain?$Q", Accept => 'text/html')));
    my ($style) = $r->{body} =~ m{<style>(.*?)</style>}s;
    my ($hash) = (fields_of($r, 'Content-Security-Policy'))[0] =~ /'sha256-([^']+)'/;
    my $want = sha256_base64($style // '');
    $want .= '=' while length($want) % 4;
    ok t_cmp($hash // '(none)', $want, 'CSP style-src hash is the SHA-256 of the <style> element');
    my @styles = $r->{body} =~ /<style\b/g;
    ok t_cmp(scalar @styles, 1, 'one <style> element');
    my ($tags, $attrs) = markup($r->{body});
    ok t_cmp(join(' ', grep { /^(?:style|on)/ } @$attrs), '', 'no style= or on*= attribute');
}

# ---- hostile values in the HTML page
for my $h (@hostile) {
    my ($param, $value) = @$h;
    my %q = (uri => '/ex/api/x.txt', origin => $A, method => 'PUT', headers => 'x-token',
             $param => $value);
    my $query = join '&', map { "$_=" . form_encode($q{$_}) } qw(uri origin method headers);
    my $r = parse_response(raw_exchange(get("/explain?$query", Accept => $CHROMIUM_ACCEPT)));
    my $name = "hostile $param " . ($value =~ /script/ ? 'with <script>' : "with '\"onmouseover");
    my ($tags, $attrs, $raw) = markup($r->{body});
    ok t_cmp($r->{status}, qr/^(?:200|400)$/, "$name: answered (status $r->{status})");
    ok t_cmp((fields_of($r, 'Content-Type'))[0] // '', 'text/html; charset=utf-8', "$name: HTML");
    ok t_cmp(join(' ', grep { !$TAGS{$_} } @$tags), '', "$name: no element the page does not write");
    ok t_cmp(join(' ', grep { !$ATTRS{$_} } @$attrs), '', "$name: no attribute the page does not write");
    ok t_cmp(join('; ', @$raw), '', "$name: every tag reads as the page wrote it");
    ok t_cmp(scalar(() = $r->{body} =~ /<script/gi), 0, "$name: no <script");
    ok t_cmp(input_value($r->{body}, $param), $value, "$name: the form's $param field holds it as given");
    ok t_cmp(index($r->{body}, html_escape($value)) >= 0 ? 'escaped' : 'not found escaped',
             'escaped', "$name: shown escaped");
}

# ---- the console words and the engines' cache, in the JSON
my $JSON = JSON::PP->new->canonical;
for my $c (@console) {
    my $r = parse_response(raw_exchange(get("/explain?$c->{q}")));
    my $j = eval { JSON::PP->new->utf8->decode($r->{body}) } || {};
    my $d = $j->{decision} || {};
    my $cons = $d->{console} || {};
    my $pair = sub { my $p = shift; ref $p eq 'HASH' ? [$p->{chromium}, $p->{firefox}] : $p };
    my $show = sub { my $v = shift; defined $v ? $JSON->encode($v) : 'null' };
    ok t_cmp($d->{verdict}, $c->{verdict}, "$c->{name}: verdict");
    if (defined $c->{verdict}) {
        ok t_cmp($show->([$cons->{chromium}, $cons->{firefox}]),
                 $show->($c->{says} || [undef, undef]), "$c->{name}: console");
    }
    else {
        ok t_cmp($show->($d->{console}), 'null', "$c->{name}: console null");
    }
    ok t_cmp($show->($pair->($cons->{other_servers})), $show->($c->{other}),
             "$c->{name}: console.other_servers");
    ok t_cmp($show->($pair->($cons->{with_credentials})), $show->($c->{cred}),
             "$c->{name}: console.with_credentials");
    ok t_cmp($show->($d->{max_age_by_engine}), $show->($c->{max_age}),
             "$c->{name}: max_age_by_engine");
    # the HTML page shows the same words
    my $h = parse_response(raw_exchange(get("/explain?$c->{q}", Accept => 'text/html')))->{body};
    utf8::decode($h);
    my @missing = grep { index($h, html_escape($_)) < 0 }
                  grep { defined } map { @{ $_ || [] } } @$c{qw(says other cred)};
    ok t_cmp(join("\n", @missing), '', "$c->{name}: the page shows the same words");
}

# The page's cache line, and its absence where nothing is cached.
{
    my $h = parse_response(raw_exchange(get('/explain?uri=/insp/long/x.txt&origin=https://app.example.com&method=PUT',
                                            Accept => 'text/html')))->{body};
    ok t_cmp($h, qr{<p id="max-age">[^<]*Chromium 7200 s, Firefox 86400 s, WebKit \(Safari\) 600 s},
             'page: the cache line names each engine');
    $h = parse_response(raw_exchange(get("/explain?uri=/ex/api/x.txt&origin=$A", Accept => 'text/html')))->{body};
    ok t_cmp(scalar(() = $h =~ /id="max-age"/g), 0, 'page: no cache line for an actual request');
}
