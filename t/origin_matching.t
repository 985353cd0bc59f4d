use strict;
use warnings FATAL => 'all';

# Origin matching through the live server (README "Behaviour in detail",
# Origins): each policy of t/conf/origins.conf.in is asked with actual GET
# requests and with preflights, each a case of PreflightTest's runner.

use Apache::Test;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest;

# Long origins that end in an allowed suffix, so only the length or shape
# check can refuse them. httpd itself answers 400 to a header field beyond
# LimitRequestFieldSize (8190 bytes), so the 8 KB one stays just below it.
my $label  = 'a' x 50;
my $long   = 'https://' . join('.', ($label) x 11) . '.example.com';   # ~580 bytes
my $huge   = 'https://' . join('.', ($label) x 157) . '.example.com';  # ~8 KB
my $tenkb  = 'https://' . join('.', ($label) x 200) . '.example.com';  # ~10 KB
my $lengthy_ok = 'https://' . ('b' x 63) . '.' . ('c' x 63) . '.example.com';

# Actual requests: [policy, Origin (undef: none sent; array: repeated
# header), allowed]. Allowed answers carry Access-Control-Allow-Origin equal to
# the request's Origin byte for byte ("*" for the * policy); refused ones carry
# no Access-Control-Allow-* header at all.
my @get = (
    [exact => 'https://app.example.com', 1],
    [exact => 'https://app.example.com:443', 1],        # default port
    [exact => 'HTTPS://App.Example.Com', 1],            # case-insensitive
    [exact => 'https://APP.EXAMPLE.COM:443', 1],
    [exact => 'http://app.example.com', 0],             # scheme
    [exact => 'https://app.example.com:8443', 0],       # port
    [exact => 'https://app.example.com:80', 0],
    [exact => 'https://a.app.example.com', 0],          # subdomain
    [exact => 'https://example.com', 0],
    [exact => 'https://app.example.co', 0],
    [exact => 'https://app.example.com.evil.net', 0],
    [exact => 'https://evilapp.example.com', 0],
    [exact => 'https://app.example.comx', 0],
    [exact => 'null', 0],                               # not configured
    [exact => '*', 0],                                  # never echoed
    [exact => undef, 0],
    # malformed request origins
    [exact => 'https://app.example.com/', 0],           # trailing slash
    [exact => 'https://app.example.com/x', 0],          # path
    [exact => 'https://u@app.example.com', 0],          # userinfo
    [exact => 'https://u:p@app.example.com', 0],
    [exact => 'https://app.example.com.', 0],           # trailing dot
    [exact => 'https://app.example.com?x', 0],          # query
    [exact => 'https://app.example.com#x', 0],          # fragment
    [exact => 'https://app.example.com x', 0],          # embedded space
    [exact => 'https://app .example.com', 0],
    [exact => 'https://app.example.com, https://app.example.com', 0],
    [exact => ['https://app.example.com', 'https://app.example.com'], 0],
    [exact => 'app.example.com', 0],                    # no scheme
    [exact => '//app.example.com', 0],
    [exact => 'https://app.example.com:', 0],           # empty port
    [exact => 'https://app.example.com:abc', 0],
    [exact => '', 0],                                   # empty value

    [localhost => 'http://localhost:8080', 1],
    [localhost => 'http://LOCALHOST:8080', 1],
    [localhost => 'http://localhost', 0],
    [localhost => 'http://localhost:80', 0],
    [localhost => 'http://localhost:8081', 0],
    [localhost => 'http://localhost:80800', 0],
    [localhost => 'https://localhost:8080', 0],
    [localhost => 'http://127.0.0.1:8080', 0],

    [wild => 'https://a.example.com', 1],
    [wild => 'https://a.b.example.com', 1],
    [wild => 'https://A.Example.COM', 1],
    [wild => 'https://a.example.com:443', 1],
    [wild => 'https://a-b.example.com', 1],
    [wild => 'https://xn--pp-via.example.com', 1],
    [wild => $lengthy_ok, 1],
    [wild => 'https://example.com', 0],                 # bare parent
    [wild => 'https://a.example.com.evil.net', 0],      # other suffix
    [wild => 'https://evilexample.com', 0],
    [wild => 'https://a.evilexample.com', 0],
    [wild => 'http://a.example.com', 0],                # scheme
    [wild => 'https://a.example.com:8443', 0],          # port
    [wild => 'https://.example.com', 0],                # empty label
    [wild => 'https://a..example.com', 0],
    [wild => 'https://a.example.com.', 0],
    [wild => 'https://a.example.com/', 0],
    [wild => 'https://u@a.example.com', 0],
    [wild => "https://\xc3\xa4pp.example.com", 0],      # non-ASCII (UTF-8)
    [wild => "https://\xe4pp.example.com", 0],          # non-ASCII (Latin-1)
    [wild => 'https://a b.example.com', 0],
    [wild => 'https://a.example.com, https://b.example.com', 0],
    [wild => ['https://a.example.com', 'https://b.example.com'], 0],
    [wild => $long, 0],                                 # over 512 bytes
    [wild => $huge, 0],
    [wild => '*', 0],
    [wild => undef, 0],

    [wildanyport => 'https://a.example.com:8443', 1],
    [wildanyport => 'https://a.b.example.com:1', 1],
    [wildanyport => 'https://a.example.com', 1],
    [wildanyport => 'https://a.example.com:443', 1],
    [wildanyport => 'https://example.com:8443', 0],
    [wildanyport => 'http://a.example.com:8443', 0],
    [wildanyport => 'https://a.example.com.evil.net:8443', 0],
    [wildanyport => 'https://evilexample.com:8443', 0],
    [wildanyport => 'https://a.example.com:65536', 0],  # not a port
    [wildanyport => 'https://a.example.com:', 0],

    [wildport => 'https://a.example.com:8443', 1],
    [wildport => 'https://a.b.example.com:8443', 1],
    [wildport => 'https://a.example.com', 0],
    [wildport => 'https://a.example.com:443', 0],
    [wildport => 'https://a.example.com:9443', 0],
    [wildport => 'https://a.example.com:84430', 0],
    [wildport => 'https://example.com:8443', 0],

    [hostanyport => 'https://app.example.com:1234', 1],
    [hostanyport => 'https://app.example.com', 1],
    [hostanyport => 'https://app.example.com:8443', 1],
    [hostanyport => 'https://b.example.com:1234', 0],
    [hostanyport => 'https://a.app.example.com:1234', 0],
    [hostanyport => 'http://app.example.com:1234', 0],

    [null => 'null', 1],
    [null => 'NULL', 0],
    [null => 'Null', 0],
    [null => 'nullx', 0],
    [null => 'null null', 0],
    [null => 'null, null', 0],
    [null => ['null', 'null'], 0],
    [null => '"null"', 0],
    [null => 'https://app.example.com', 0],
    [null => undef, 0],

    [defport => 'https://app.example.com', 1],
    [defport => 'https://app.example.com:443', 1],
    [defport => 'https://app.example.com:8443', 0],
    [defport => 'http://app.example.com', 0],

    [httpdefport => 'http://app.example.com', 1],
    [httpdefport => 'http://app.example.com:80', 1],
    [httpdefport => 'http://app.example.com:443', 0],
    [httpdefport => 'https://app.example.com', 0],

    [upper => 'https://app.example.com', 1],
    [upper => 'HTTPS://APP.EXAMPLE.COM', 1],
    [upper => 'https://app.example.com:443', 1],
    [upper => 'http://app.example.com', 0],
    [upper => 'https://www.app.example.com', 0],

    [upperwild => 'https://a.example.com', 1],
    [upperwild => 'HTTPS://A.EXAMPLE.COM:443', 1],
    [upperwild => 'https://example.com', 0],
    [upperwild => 'https://a.example.com.evil.net', 0],
    [upperwild => 'http://a.example.com', 0],

    [upperanyport => 'https://app.example.com:8443', 1],
    [upperanyport => 'https://APP.EXAMPLE.COM', 1],
    [upperanyport => 'https://b.example.com:8443', 0],
    [upperanyport => 'http://app.example.com:8443', 0],

    [list => 'https://app.example.com', 1],
    [list => 'http://localhost:8080', 1],
    [list => 'null', 1],
    [list => 'https://b.example.com', 0],
    [list => 'https://app.example.com, http://localhost:8080', 0],
    [list => ['https://app.example.com', 'http://localhost:8080'], 0],
    [list => '*', 0],

    [extension => 'chrome-extension://abcdefghijklmnop', 1],
    [extension => 'CHROME-EXTENSION://abcdefghijklmnop', 1],
    [extension => 'chrome-extension://abcdefghijklmnoq', 0],
    [extension => 'https://abcdefghijklmnop', 0],

    # "*" without credentials: "*" to everyone, with or without Origin
    [any => 'https://app.example.com', 1],
    [any => 'http://localhost:8080', 1],
    [any => 'null', 1],
    [any => undef, 1],
);

# Preflights (OPTIONS with Access-Control-Request-Method: GET, allowed by the
# default method list): [policy, Origin, allowed].
my @preflight = (
    [exact => 'https://app.example.com', 1],
    [exact => 'HTTPS://App.Example.Com:443', 1],
    [exact => 'https://evil.example.com', 0],
    [exact => 'https://app.example.com/', 0],
    [exact => 'https://app.example.com, https://app.example.com', 0],
    [exact => ['https://app.example.com', 'https://app.example.com'], 0],
    [exact => '*', 0],
    [exact => '', 0],
    [localhost => 'http://localhost:8080', 1],
    [localhost => 'http://localhost', 0],
    [wild => 'https://a.b.example.com', 1],
    [wild => 'https://example.com', 0],
    [wild => 'https://a.example.com.evil.net', 0],
    [wild => $long, 0],
    [wild => "https://\xc3\xa4pp.example.com", 0],
    [wildanyport => 'https://a.example.com:9999', 1],
    [wildanyport => 'http://a.example.com:9999', 0],
    [wildport => 'https://a.example.com:8443', 1],
    [wildport => 'https://a.example.com', 0],
    [hostanyport => 'https://app.example.com:1234', 1],
    [null => 'null', 1],
    [null => 'NULL', 0],
    [defport => 'https://app.example.com', 1],
    [upper => 'https://app.example.com', 1],
    [upperwild => 'https://a.example.com', 1],
    [upperanyport => 'https://app.example.com:8443', 1],
    [list => 'null', 1],
    [list => 'https://b.example.com', 0],
    [extension => 'chrome-extension://abcdefghijklmnop', 1],
    [any => 'https://app.example.com', 1],
    [any => 'null', 1],
);

# httpd refuses these before any module sees them (a field over
# LimitRequestFieldSize; a control byte, under HttpProtocolOptions Strict):
# nothing may add CORS headers to its 400 on the way out. [Origin, why the
# HTTP/2 run cannot hold]
my @bad_request = (
    [$tenkb, 'mod_http2 answers a field over LimitRequestFieldSize with 431 itself'],
    ["https://a\x7f.example.com",
     'HTTP/2 refuses the control byte itself: nghttp2 resets the stream'],
);

# A row as a case. Vary names Origin once, but on an actual request to "*":
# nothing in that answer depends on the origin, so caches may share it.
sub origin_case {
    my ($method, $policy, $origin, $allowed) = @_;
    my $preflight = $method eq 'OPTIONS';
    return {
        name => ($preflight ? 'preflight' : 'GET') . " $policy, " . describe($origin),
        req => [$method => "/origins/$policy/ok.txt",
                [origin_headers($origin), $preflight ? (ACRM => 'GET') : ()]],
        status => !$preflight ? 200 : $allowed ? 204 : 403,
        $allowed ? (hdr => { ACAO => $policy eq 'any' ? '*' : $origin })
                 : (no_allow_headers => 1),
        ($policy eq 'any' && !$preflight ? 'lacks' : 'has') => { Vary => ['Origin'] },
    };
}

my @cases = ((map { origin_case(GET => @$_) } @get),
             (map { origin_case(OPTIONS => @$_) } @preflight),
             (map { +{ name => 'GET wild, ' . describe($_->[0]),
                       req => [GET => '/origins/wild/ok.txt', [Origin => $_->[0]]],
                       status => 400, no_allow_headers => 1, h1_only => $_->[1] } }
                  @bad_request));

plan tests => case_tests(@cases);

run_cases(@cases);

sub origin_headers {
    my $origin = shift;
    return () unless defined $origin;
    return map { (Origin => $_) } ref $origin ? @$origin : ($origin);
}

sub describe {
    my $origin = shift;
    return 'no Origin' unless defined $origin;
    my $text = ref $origin ? join(' + ', map "'$_'", @$origin) : "'$origin'";
    $text = substr($text, 0, 60) . '...(' . length($text) . ' bytes)'
        if length $text > 80;
    $text =~ s/([^\x20-\x7e])/sprintf '\\x%02x', ord $1/ge;
    return "Origin $text";
}
