use strict;
use warnings FATAL => 'all';

# README "Behaviour in detail", Origins: bytes a client library would never
# send (t/conf/raw.conf.in): repeated and
# folded Origin headers, odd header-name case, OPTIONS *, HTTP/1.0 without
# Host, NUL and bare CR, empty or oversized preflight fields (README
# "Behaviour in detail", Methods and Request header lists). Each gets a
# defined answer that never reflects an origin that was not allowed, and the
# server goes on serving.

use Apache::Test;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(:DEFAULT raw_request);

my $APP = 'https://app.example.com';
my $host = '127.0.0.1';

my $R = "\r\n";
my @cases = (
    { name => 'two different Origin headers',
      bytes => "GET /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Origin: https://evil.example${R}Connection: close${R}${R}",
      status => 200, no_acx => 1 },
    { name => 'the allowed Origin twice',
      bytes => "GET /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Origin: $APP${R}Connection: close${R}${R}",
      status => 200, no_acx => 1 },
    { name => 'preflight with two Origin headers',
      bytes => "OPTIONS /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Origin: https://evil.example${R}Access-Control-Request-Method: PUT${R}Connection: close${R}${R}",
      status => 403, no_acx => 1 },
    { name => 'preflight with two Access-Control-Request-Method headers',
      bytes => "OPTIONS /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Access-Control-Request-Method: PUT${R}Access-Control-Request-Method: GET${R}Connection: close${R}${R}",
      status => 403, no_acx => 1 },
    { name => 'Origin folded over two lines',
      bytes => "GET /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: https://app.${R} example.com${R}Connection: close${R}${R}",
      status => qr/^(200|400)$/, no_acx => 1 },
    { name => 'header names in odd case',
      bytes => "OPTIONS /raw/x.txt HTTP/1.1${R}hOsT: $host${R}oRiGiN: $APP${R}ACCESS-control-REQUEST-method: PUT${R}access-CONTROL-request-HEADERS: X-TOKEN${R}Connection: close${R}${R}",
      status => 204, hdr => { ACAO => $APP } },
    { name => 'OPTIONS * with preflight headers',
      bytes => "OPTIONS * HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Access-Control-Request-Method: PUT${R}Connection: close${R}${R}",
      status => 200, no_acx => 1 },
    { name => 'HTTP/1.0 without Host, actual',
      bytes => "GET /raw/x.txt HTTP/1.0${R}Origin: $APP${R}${R}",
      status => 200, hdr => { ACAO => $APP } },
    { name => 'HTTP/1.0 without Host, preflight',
      bytes => "OPTIONS /raw/x.txt HTTP/1.0${R}Origin: $APP${R}Access-Control-Request-Method: PUT${R}${R}",
      status => 204, hdr => { ACAO => $APP } },
    { name => 'NUL inside Origin',
      bytes => "GET /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP\0.evil.example${R}Connection: close${R}${R}",
      status => qr/^(200|400)$/, no_acx => 1 },
    { name => 'bare CR inside Origin',
      bytes => "GET /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP\r.evil.example${R}Connection: close${R}${R}",
      status => qr/^(200|400)$/, no_acx => 1 },
    { name => 'five thousand commas in Access-Control-Request-Headers',
      bytes => "OPTIONS /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Access-Control-Request-Method: PUT${R}Access-Control-Request-Headers: " . (',' x 5000) . "${R}Connection: close${R}${R}",
      status => 403, no_acx => 1 },
    { name => 'empty Access-Control-Request-Headers',
      bytes => "OPTIONS /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Access-Control-Request-Method: PUT${R}Access-Control-Request-Headers: ${R}Connection: close${R}${R}",
      status => 403, no_acx => 1,
      log => reason('Access-Control-Request-Headers is not a list of 1 to 256') },
    { name => 'Access-Control-Request-Headers of commas and spaces only',
      bytes => "OPTIONS /raw/any/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Access-Control-Request-Method: PUT${R}Access-Control-Request-Headers: , ,${R}Connection: close${R}${R}",
      status => 403, no_acx => 1 },
    { name => 'an 8000-byte method under * with credentials',
      bytes => "OPTIONS /raw/any/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Access-Control-Request-Method: " . ('M' x 8000) . "${R}Connection: close${R}${R}",
      status => 403, no_acx => 1,
      log => reason('Access-Control-Request-Method is not a method') },
    { name => 'a 65-byte method under * with credentials',
      bytes => "OPTIONS /raw/any/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Access-Control-Request-Method: " . ('M' x 65) . "${R}Connection: close${R}${R}",
      status => 403, no_acx => 1 },
    { name => 'a 64-byte method under * with credentials is echoed',
      bytes => "OPTIONS /raw/any/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Access-Control-Request-Method: " . ('M' x 64) . "${R}Connection: close${R}${R}",
      status => 204, hdr => { ACAO => $APP, ACAM => 'M' x 64 } },
    { name => 'empty Origin',
      bytes => "GET /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: ${R}Connection: close${R}${R}",
      status => 200, no_acx => 1 },
);

# The server must still be serving after each of these.
@cases = map {
    ($_, +{ name => "$_->{name}: server still serving",
            bytes => raw_request(GET => '/raw/x.txt'), status => 200 })
} @cases;

plan tests => case_tests(@cases);

run_cases(@cases);
