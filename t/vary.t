# Vary (README "Behaviour in detail", PreflightAllowOrigin * without
# credentials): every response in scope whose CORS headers depend on the
# origin says "Vary: Origin", with or without Origin in the request, merged
# into whatever Vary the response already has (mod_headers, a CGI,
# mod_deflate), each token once, so no shared cache hands one origin's answer
# to another. With "PreflightAllowOrigin *" and credentials off nothing
# depends on the origin, so there is no Vary: Origin. Behind mod_cache, each
# origin keeps its own stored copy, and a hit carries its origin's headers
# once, with CacheQuickHandler On or Off.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::TestUtil;
use PreflightTest qw(:DEFAULT :act raw_request raw_exchange parse_response fields_of);

my $AE   = 'Accept-Encoding';
my $VARY_CGI = '/act/basic/probe.cgi?vary=origin,%20Accept';
# one URL a run: the cache outlives a run of this file
my $CACHED_CGI = "/act/cached/probe.cgi?vary=Accept-Encoding&cache=600&run=$$-" . time;

my @cases = (
    # mod_headers: Header set (2xx only) and Header always set
    { name => 'Header set Vary, allowed origin',
      req => [GET => '/act/vary-set/data.txt', [Origin => $APP]],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Header set Vary, refused origin',
      req => [GET => '/act/vary-set/data.txt', [Origin => $EVIL]],
      status => 200, no_acx => 1,
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Header set Vary, no Origin',
      req => [GET => '/act/vary-set/data.txt', []],
      status => 200,
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Header set Vary, 404',
      req => [GET => '/act/vary-set/missing.txt', [Origin => $APP]],
      status => 404,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => ['Origin'] } },
    { name => 'Header set Vary, preflight',
      req => [OPTIONS => '/act/vary-set/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET']],
      status => 204,
      has => { Vary => ['Origin'] } },
    { name => 'Header always set Vary, allowed origin',
      req => [GET => '/act/vary-always/data.txt', [Origin => $APP]],
      status => 200,
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Header always set Vary, 404, allowed origin',
      req => [GET => '/act/vary-always/missing.txt', [Origin => $APP]],
      status => 404,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Header always set Vary, 404, refused origin',
      req => [GET => '/act/vary-always/missing.txt', [Origin => $EVIL]],
      status => 404, no_acx => 1,
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Header always set Vary, 404, no Origin',
      req => [GET => '/act/vary-always/missing.txt', []],
      status => 404,
      tokens => { Vary => [$AE, 'Origin'] } },

    # a CGI that already varies on origin, in lower case
    { name => 'CGI Vary: origin, Accept, allowed origin',
      req => [GET => $VARY_CGI, [Origin => $APP]],
      status => 200, body => "probe ran: GET\n",
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => [qw(Origin Accept)] } },
    { name => 'CGI Vary: origin, Accept, refused origin',
      req => [GET => $VARY_CGI, [Origin => $EVIL]],
      status => 200, no_acx => 1,
      tokens => { Vary => [qw(Origin Accept)] } },
    { name => 'CGI Vary: origin, Accept, no Origin',
      req => [GET => $VARY_CGI, []],
      status => 200,
      tokens => { Vary => [qw(Origin Accept)] } },
    { name => 'CGI Vary: origin, Accept, 404 status',
      req => [GET => "$VARY_CGI&status=404", [Origin => $APP]],
      status => 404,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => [qw(Origin Accept)] } },
    { name => 'CGI Vary: Accept only',
      req => [GET => '/act/basic/probe.cgi?vary=Accept', [Origin => $APP]],
      status => 200,
      tokens => { Vary => [qw(Origin Accept)] } },

    # mod_deflate adds its own Vary: Accept-Encoding
    { name => 'deflate, gzip accepted, allowed origin',
      req => [GET => '/act/deflate/big.txt', [Origin => $APP, $AE => 'gzip']],
      status => 200,
      hdr => { 'Content-Encoding' => 'gzip',
               'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'deflate, gzip accepted, no Origin',
      req => [GET => '/act/deflate/big.txt', [$AE => 'gzip']],
      status => 200,
      hdr => { 'Content-Encoding' => 'gzip' },
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'deflate, identity, refused origin',
      req => [GET => '/act/deflate/big.txt', [Origin => $EVIL]],
      status => 200, no_acx => 1,
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'deflate, gzip accepted, 404',
      req => [GET => '/act/deflate/missing.txt', [Origin => $APP, $AE => 'gzip']],
      status => 404,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      has => { Vary => ['Origin'] } },

    # a backend that varies on origin itself, behind the proxy
    { name => 'proxied backend Vary: ORIGIN, Accept-Encoding',
      req => [GET => '/act/proxied/probe.cgi?vary=ORIGIN,%20Accept-Encoding', [Origin => $APP]],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => [$AE, 'Origin'] } },

    # a cache revalidating its copy must learn the same Vary (RFC 9110 15.4.5)
    { name => '304, allowed origin',
      req => [GET => '/act/basic/data.txt', [Origin => $APP, 'If-None-Match' => '*']],
      status => 304,
      tokens => { Vary => ['Origin'] } },
    { name => '304, no Origin',
      req => [GET => '/act/basic/data.txt', ['If-None-Match' => '*']],
      status => 304,
      tokens => { Vary => ['Origin'] } },

    # a shared cache in front (mod_cache_disk, quick handler) of a proxied
    # backend with its own Vary and Cache-Control: public; the cache keys its
    # copies on the first Vary field it stores, so each origin keeps its own
    # copy only when Origin is in the backend's field: the second request
    # from each origin is a hit, with that origin's headers
    (map {
        my ($who, $cache) = @$_;
        { name => "cache, backend Vary: Accept-Encoding, " . ($who ? 'allowed' : 'refused')
                  . " origin, $cache",
          bytes => raw_request(GET => $CACHED_CGI, [Origin => $who ? $APP : $EVIL]),
          status => 200,
          hdr => { 'X-Cache' => qr/^\Q$cache\E /,
                   ($who ? ('Access-Control-Allow-Origin' => $APP) : ()) },
          ($who ? () : (no_acx => 1)),
          tokens => { Vary => [$AE, 'Origin'] } }
     } [1, 'MISS'], [0, 'MISS'], [1, 'HIT'], [0, 'HIT']),

    # plain scope, no other Vary
    { name => '404, refused origin',
      req => [GET => '/act/basic/missing.txt', [Origin => $EVIL]],
      status => 404,
      tokens => { Vary => ['Origin'] } },
    { name => '404, no Origin',
      req => [GET => '/act/nocred/missing.txt', []],
      status => 404,
      tokens => { Vary => ['Origin'] } },

    # PreflightAllowOrigin *, credentials off
    { name => 'any origin, with Origin',
      req => [GET => '/act/any/data.txt', [Origin => $APP]],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => '*' },
      lacks => { Vary => ['Origin'] } },
    { name => 'any origin, without Origin',
      req => [GET => '/act/any/data.txt', []],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => '*' },
      lacks => { Vary => ['Origin'] } },
    { name => 'any origin, 404',
      req => [GET => '/act/any/missing.txt', [Origin => $EVIL]],
      status => 404,
      hdr => { 'Access-Control-Allow-Origin' => '*' },
      lacks => { Vary => ['Origin'] } },
    { name => 'any origin, preflight',
      req => [OPTIONS => '/act/any/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET']],
      status => 204,
      hdr => { 'Access-Control-Allow-Origin' => '*' },
      has => { Vary => ['Origin'] } },
);

# CacheQuickHandler Off (the virtual host cache_filter): a hit is served in
# the handler phase from headers the cache recalls after fixups; each
# origin's hit carries its own headers once, as on a miss.
my @filter_hits = ([$APP, 'MISS'], [$EVIL, 'MISS'], [$APP, 'HIT'], [$EVIL, 'HIT']);

plan tests => case_tests(@cases) + 3 * @filter_hits;

# The cache's root, writable by the user httpd's children run as; the first
# request to /act/cached/ stores there.
my $cache_root = Apache::Test::vars('t_logs') . '/cache';
mkdir $cache_root;
chown scalar(getpwnam(Apache::Test::vars('user'))), scalar(getgrnam(Apache::Test::vars('group'))),
      $cache_root;

run_cases(@cases);

on_vhost(cache_filter => sub {
    my $url = "/act/cached/probe.cgi?vary=Accept-Encoding&cache=600&filter=$$-" . time;
    for (@filter_hits) {
        my ($origin, $cache) = @$_;
        my $name = "cache, CacheQuickHandler Off, " . ($origin eq $APP ? 'allowed' : 'refused')
                 . " origin, $cache";
        my $p = parse_response(raw_exchange(raw_request(GET => $url, [Origin => $origin])));
        ok t_cmp(join(' | ', fields_of($p, 'X-Cache')), qr/^\Q$cache\E /, "$name: X-Cache");
        ok t_cmp(join(' | ', fields_of($p, 'ACAO')), $origin eq $APP ? $APP : '',
                 "$name: Access-Control-Allow-Origin once, or none");
        ok t_cmp(join(' | ', fields_of($p, 'ACAC')), $origin eq $APP ? 'true' : '',
                 "$name: Access-Control-Allow-Credentials once, or none");
    }
});
