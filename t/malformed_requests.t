use strict;
use warnings FATAL => 'all';

# Bytes a client library would never send (t/conf/raw.conf.in): repeated and
# folded Origin headers, odd header-name case, OPTIONS *, HTTP/1.0 without
# Host, NUL and bare CR. Each gets a defined answer that never reflects an
# origin that was not allowed, and the server goes on serving.

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(raw_exchange);

my $APP = 'https://app.example.com';
my $host = '127.0.0.1';
my $port = Apache::Test::vars('port');

# One request per connection; returns (status, [[name, value], ...]).
sub raw {
    my ($head) = split /\r\n\r\n/, raw_exchange(shift), 2;
    my @lines = split /\r\n/, $head // '';
    my ($status) = (shift(@lines) // '') =~ m{^HTTP/1\.\d (\d{3})};
    return ($status // 'none', [map { [split /:\s*/, $_, 2] } @lines]);
}

sub values_of {
    my ($headers, $name) = @_;
    return map { $_->[1] } grep { lc $_->[0] eq lc $name } @$headers;
}

sub acx { grep { $_->[0] =~ /^access-control-/i } @{ $_[0] } }

my $R = "\r\n";
my @cases = (
    { name => 'two different Origin headers',
      req => "GET /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Origin: https://evil.example${R}Connection: close${R}${R}",
      status => 200, cors => 0 },
    { name => 'the allowed Origin twice',
      req => "GET /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Origin: $APP${R}Connection: close${R}${R}",
      status => 200, cors => 0 },
    { name => 'preflight with two Origin headers',
      req => "OPTIONS /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Origin: https://evil.example${R}Access-Control-Request-Method: PUT${R}Connection: close${R}${R}",
      status => 403, cors => 0 },
    { name => 'preflight with two Access-Control-Request-Method headers',
      req => "OPTIONS /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Access-Control-Request-Method: PUT${R}Access-Control-Request-Method: GET${R}Connection: close${R}${R}",
      status => 403, cors => 0 },
    { name => 'Origin folded over two lines',
      req => "GET /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: https://app.${R} example.com${R}Connection: close${R}${R}",
      status => qr/^(200|400)$/, cors => 0 },
    { name => 'header names in odd case',
      req => "OPTIONS /raw/x.txt HTTP/1.1${R}hOsT: $host${R}oRiGiN: $APP${R}ACCESS-control-REQUEST-method: PUT${R}access-CONTROL-request-HEADERS: X-TOKEN${R}Connection: close${R}${R}",
      status => 204, cors => 1, acao => $APP },
    { name => 'OPTIONS * with preflight headers',
      req => "OPTIONS * HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Access-Control-Request-Method: PUT${R}Connection: close${R}${R}",
      status => 200, cors => 0 },
    { name => 'HTTP/1.0 without Host, actual',
      req => "GET /raw/x.txt HTTP/1.0${R}Origin: $APP${R}${R}",
      status => 200, cors => 1, acao => $APP },
    { name => 'HTTP/1.0 without Host, preflight',
      req => "OPTIONS /raw/x.txt HTTP/1.0${R}Origin: $APP${R}Access-Control-Request-Method: PUT${R}${R}",
      status => 204, cors => 1, acao => $APP },
    { name => 'NUL inside Origin',
      req => "GET /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP\0.evil.example${R}Connection: close${R}${R}",
      status => qr/^(200|400)$/, cors => 0 },
    { name => 'bare CR inside Origin',
      req => "GET /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP\r.evil.example${R}Connection: close${R}${R}",
      status => qr/^(200|400)$/, cors => 0 },
    { name => 'five thousand commas in Access-Control-Request-Headers',
      req => "OPTIONS /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: $APP${R}Access-Control-Request-Method: PUT${R}Access-Control-Request-Headers: " . (',' x 5000) . "${R}Connection: close${R}${R}",
      status => 403, cors => 0 },
    { name => 'empty Origin',
      req => "GET /raw/x.txt HTTP/1.1${R}Host: $host${R}Origin: ${R}Connection: close${R}${R}",
      status => 200, cors => 0 },
);

plan tests => 3 * @cases;

for my $c (@cases) {
    my ($status, $headers) = raw($c->{req});
    my $want = $c->{status};
    ok t_cmp($status, $want, "$c->{name}: status");
    if ($c->{cors}) {
        ok t_cmp(join(' | ', values_of($headers, 'Access-Control-Allow-Origin')),
                 $c->{acao}, "$c->{name}: exactly one Access-Control-Allow-Origin");
    }
    else {
        ok t_cmp(join(', ', map { "$_->[0]: $_->[1]" } acx($headers)), '',
                 "$c->{name}: no Access-Control-* header");
    }
    # The server must still be serving after each of these.
    my ($after) = raw("GET /raw/x.txt HTTP/1.1${R}Host: $host${R}Connection: close${R}${R}");
    ok t_cmp($after, 200, "$c->{name}: server still serving");
}
