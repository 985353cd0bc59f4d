# The whole behaviour over HTTP/2: h2c with prior knowledge (mod_http2,
# t/conf/h2.conf.in) against the policies of t/conf/act.conf.in and
# t/conf/pf.conf.in, at the same URLs as the HTTP/1.1 files use: allowed and
# refused preflights (204 and the 200 of PreflightSuccessStatus), actual
# requests, error responses, authentication, Vary merged with mod_headers,
# mod_deflate, CGI and proxy values, one Access-Control-Allow-Origin when a
# backend sets its own, and several requests multiplexed on one connection.
#
# The client is curl --http2-prior-knowledge, one process per request; every
# exchange must have been HTTP/2 on both sides (curl's %{http_version} is 2
# and the server logged HTTP/2.0), or the file proves nothing. Debian 12's
# curl (7.88.1) cannot reuse a prior-knowledge connection (curl issue 10634,
# fixed in 8.0.0: the second URL fails with "Error in the HTTP2 framing
# layer"), so the multiplexed requests are sent with nghttp, which opens all
# the streams at once on one connection and prints every header field of
# every stream.
#
# HTTP/2 has no header folding: a field sent twice is two fields, in curl's
# -D output two lines. So every response is also checked for a field name
# that comes twice, and names compare case-insensitively (h2 sends them in
# lower case).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest ();
use File::Temp qw(tempdir);
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(sleep);

my $APP  = 'https://app.example';
my $EVIL = 'https://evil.example';
my $A    = 'https://a.example.com';
my $B    = 'https://b.example.com';
my $DATA = "act data file\n";
my $PAGE = qr/act custom 404 page/;
my $AE   = 'Accept-Encoding';
my $GOOD = 'Basic ' . encode_base64('alice:wonderland', '');
my $CHALLENGE = 'Basic realm="act realm"';

my $ACAO = 'Access-Control-Allow-Origin';
my $ACAC = 'Access-Control-Allow-Credentials';
my $ACAM = 'Access-Control-Allow-Methods';
my $ACAH = 'Access-Control-Allow-Headers';
my $ACMA = 'Access-Control-Max-Age';
my $ACEH = 'Access-Control-Expose-Headers';
my $ACAPN = 'Access-Control-Allow-Private-Network';
my $ACRM = 'Access-Control-Request-Method';
my $ACRH = 'Access-Control-Request-Headers';

my %allowed = ($ACAO => $APP, $ACAC => 'true');
my @pre_put = (Origin => $APP, $ACRM => 'PUT');

# ---- cases
#
# req    [METHOD => path, [name => value, ..], body]
# status, body (string or qr//)
# empty                      empty body, and Content-Length none (204) or 0
# hdr    { name => value }   exactly one such field, with exactly that value
# tokens { name => [..] }    its comma-separated tokens are exactly this set,
#                            case-insensitive, none twice, in one field
# has    { name => [..] }    these tokens present, none twice
# lacks  { name => [..] }    none of these tokens
# absent [names]             no such field
# no_cors                    no Access-Control-* field at all
# pf, redir_pf               %{PREFLIGHT}e / %{REDIRECT_PREFLIGHT}e logged
# log    [qr//, ..]          an error_log line since the request matches all
# Every case also checks that curl spoke HTTP/2, that the server logged the
# request as HTTP/2.0, and that no field name came twice.

my @cases = (
    # --- allowed preflights
    { name => 'preflight allowed, 204',
      req => [OPTIONS => '/act/basic/data.txt',
              [@pre_put, $ACRH => 'x-requested-with']],
      status => 204, empty => 1,
      hdr => { %allowed, $ACAM => 'GET, POST, PUT', $ACAH => 'X-Requested-With' },
      tokens => { Allow => [qw(GET POST PUT HEAD OPTIONS)], Vary => ['Origin'] },
      absent => [$ACMA, $ACEH, $ACAPN],
      pf => 'preflight-allowed' },
    { name => 'preflight allowed, every option',
      req => [OPTIONS => '/pf/l/full/ok.txt',
              [Origin => $B, $ACRM => 'PATCH', $ACRH => 'x-token',
               'Access-Control-Request-Private-Network' => 'true']],
      status => 204, empty => 1,
      hdr => { $ACAO => $B, $ACAC => 'true', $ACAM => 'PUT, PATCH, DELETE, GET',
               $ACAH => 'X-Token, Content-Type', $ACMA => '600', $ACAPN => 'true' },
      tokens => { Allow => [qw(PUT PATCH DELETE GET HEAD OPTIONS)], Vary => ['Origin'] },
      absent => [$ACEH],
      pf => 'preflight-allowed' },
    { name => 'preflight allowed, header names in another case',
      req => [OPTIONS => '/pf/l/full/ok.txt',
              [Origin => $A, $ACRM => 'PUT', $ACRH => 'X-TOKEN, content-TYPE']],
      status => 204, empty => 1,
      hdr => { $ACAO => $A, $ACAH => 'X-Token, Content-Type' },
      absent => [$ACAPN] },
    # two fields of one name reach httpd joined with ", ", as HTTP/1.1 lines do
    { name => 'preflight allowed, requested headers in two fields',
      req => [OPTIONS => '/pf/l/full/ok.txt',
              [Origin => $A, $ACRM => 'PUT', $ACRH => 'x-token', $ACRH => 'content-type']],
      status => 204, empty => 1,
      hdr => { $ACAO => $A, $ACAH => 'X-Token, Content-Type' },
      pf => 'preflight-allowed' },
    { name => 'preflight allowed, PreflightSuccessStatus 200',
      req => [OPTIONS => '/pf/l/s200/ok.txt', [Origin => $A, $ACRM => 'GET']],
      status => 200, empty => 1,
      hdr => { $ACAO => $A, $ACAM => 'GET, HEAD, POST' },
      tokens => { Allow => [qw(GET HEAD POST OPTIONS)], Vary => ['Origin'] },
      absent => [$ACAC, $ACAH, $ACMA, $ACEH],
      pf => 'preflight-allowed' },
    { name => 'preflight allowed, 200 from a <Directory> merge',
      req => [OPTIONS => '/pf/merge/ok.txt',
              [Origin => $A, $ACRM => 'PUT', $ACRH => 'x-a']],
      status => 200, empty => 1,
      hdr => { $ACAO => $A, $ACAC => 'true', $ACAM => 'GET, PUT', $ACAH => 'X-A',
               $ACMA => '100' },
      tokens => { Allow => [qw(GET PUT HEAD OPTIONS)], Vary => ['Origin'] },
      pf => 'preflight-allowed' },
    { name => 'preflight allowed, headers * echoed with credentials',
      req => [OPTIONS => '/pf/l/hstarcred/ok.txt',
              [Origin => $A, $ACRM => 'GET', $ACRH => 'x-anything, content-type']],
      status => 204, empty => 1,
      hdr => { $ACAO => $A, $ACAC => 'true', $ACAH => 'x-anything, content-type' },
      tokens => { Vary => ['Origin', $ACRH] },
      pf => 'preflight-allowed' },
    { name => 'preflight allowed, methods * echoed with credentials',
      req => [OPTIONS => '/pf/l/mstarcred/ok.txt', [Origin => $A, $ACRM => 'PATCH']],
      status => 204, empty => 1,
      hdr => { $ACAO => $A, $ACAM => 'PATCH' },
      tokens => { Allow => [qw(PATCH OPTIONS)], Vary => ['Origin', $ACRM] } },
    { name => 'preflight allowed, any origin',
      req => [OPTIONS => '/act/any/data.txt', [Origin => $APP, $ACRM => 'GET']],
      status => 204, empty => 1,
      hdr => { $ACAO => '*' },
      tokens => { Vary => ['Origin'] },
      absent => [$ACAC] },

    # --- refused preflights: 403, nothing of CORS but Vary
    { name => 'preflight refused, origin',
      req => [OPTIONS => '/act/basic/data.txt', [Origin => $EVIL, $ACRM => 'PUT']],
      status => 403, body => qr/Forbidden/, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      absent => ['Allow'],
      pf => 'preflight-denied-origin',
      log => [qr/\[preflight:info\]/, qr/origin '\Q$EVIL\E' is not in PreflightAllowOrigin/] },
    { name => 'preflight refused, method',
      req => [OPTIONS => '/act/basic/data.txt', [Origin => $APP, $ACRM => 'DELETE']],
      status => 403, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'preflight-denied-method',
      log => [qr/\[preflight:info\]/, qr/method 'DELETE' is not in PreflightAllowMethods/] },
    { name => 'preflight refused, lower-case method',
      req => [OPTIONS => '/act/basic/data.txt', [Origin => $APP, $ACRM => 'put']],
      status => 403, no_cors => 1,
      pf => 'preflight-denied-method' },
    { name => 'preflight refused, header',
      req => [OPTIONS => '/act/basic/data.txt', [@pre_put, $ACRH => 'x-requested-with, x-evil']],
      status => 403, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'preflight-denied-header',
      log => [qr/\[preflight:info\]/, qr/header 'x-evil' is not in PreflightAllowHeaders/] },
    { name => 'preflight refused, Authorization under headers *',
      req => [OPTIONS => '/pf/l/hstar/ok.txt',
              [Origin => $A, $ACRM => 'GET', $ACRH => 'authorization']],
      status => 403, no_cors => 1,
      pf => 'preflight-denied-header' },
    # h2 has no folding, but mod_http2 joins repeated fields with ", ": two
    # Origin fields make one malformed origin, which is never allowed.
    { name => 'preflight refused, two Origin fields',
      req => [OPTIONS => '/pf/l/full/ok.txt', [Origin => $A, Origin => $B, $ACRM => 'GET']],
      status => 403, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'preflight-denied-origin' },
    { name => 'preflight refused, two method fields',
      req => [OPTIONS => '/pf/l/full/ok.txt', [Origin => $A, $ACRM => 'PUT', $ACRM => 'GET']],
      status => 403, no_cors => 1,
      pf => 'preflight-denied-method' },
    { name => 'preflight refused by Require ip',
      req => [OPTIONS => '/act/auth-ip/data.txt', [@pre_put]],
      status => 403, no_cors => 1 },

    # --- actual requests
    { name => 'GET static, allowed origin',
      req => [GET => '/act/basic/data.txt', [Origin => $APP]],
      status => 200, body => $DATA,
      hdr => {%allowed},
      tokens => { $ACEH => [qw(X-Act-Marker X-Request-Id)], Vary => ['Origin'] },
      absent => [$ACAM, $ACAH, $ACMA, 'Allow'],
      pf => 'cors-allowed' },
    { name => 'HEAD static, allowed origin',
      req => [HEAD => '/act/basic/data.txt', [Origin => $APP]],
      status => 200,
      hdr => { %allowed, 'Content-Length' => length $DATA },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'POST CGI, allowed origin',
      req => [POST => '/act/basic/probe.cgi',
              [Origin => $APP, 'Content-Type' => 'application/x-www-form-urlencoded'],
              'name=value'],
      status => 200, body => "probe ran: POST\nbody: name=value\n",
      hdr => { %allowed, 'X-Act-Marker' => 'probe-POST' },
      tokens => { $ACEH => [qw(X-Act-Marker X-Request-Id)], Vary => ['Origin'] },
      absent => [$ACAM],
      pf => 'cors-allowed' },
    { name => 'PUT CGI, allowed origin',
      req => [PUT => '/act/basic/probe.cgi',
              [Origin => $APP, 'Content-Type' => 'application/json'], '{"k":"h2 put"}'],
      status => 200, body => qq(probe ran: PUT\nbody: {"k":"h2 put"}\n),
      hdr => { %allowed, 'X-Act-Marker' => 'probe-PUT' },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'GET static, refused origin',
      req => [GET => '/act/basic/data.txt', [Origin => $EVIL]],
      status => 200, body => $DATA, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => 'POST CGI, refused origin',
      req => [POST => '/act/basic/probe.cgi', [Origin => $EVIL, 'Content-Type' => 'text/plain'],
              'evil post'],
      status => 200, body => "probe ran: POST\nbody: evil post\n", no_cors => 1,
      hdr => { 'X-Act-Marker' => 'probe-POST' },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => 'GET, credentials off',
      req => [GET => '/act/nocred/data.txt', [Origin => $APP]],
      status => 200, body => $DATA,
      hdr => { $ACAO => $APP },
      tokens => { Vary => ['Origin'] },
      absent => [$ACAC, $ACEH],
      pf => 'cors-allowed' },
    { name => 'plain OPTIONS with Origin',
      req => [OPTIONS => '/act/opts/data.txt', [Origin => $APP]],
      status => 200,
      hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      absent => [$ACAM],
      allow_lacks => ['PUT'],
      pf => 'cors-allowed' },

    # --- exposed headers
    { name => 'Expose-Headers *, credentials on: the response\'s names',
      req => [GET => '/act/exposeall/probe.cgi?extra=1', [Origin => $APP]],
      status => 200, body => "probe ran: GET\n",
      hdr => {%allowed},
      has => { $ACEH => [qw(X-Custom-A X-Custom-B X-Act-Marker)] },
      lacks => { $ACEH => ['*'] } },
    { name => 'Expose-Headers *, credentials off',
      req => [GET => '/act/exposestar/probe.cgi?extra=1', [Origin => $APP]],
      status => 200,
      hdr => { $ACAO => $APP },
      tokens => { $ACEH => ['*'] },
      absent => [$ACAC] },
    { name => 'Expose-Headers *, refused origin',
      req => [GET => '/act/exposeall/probe.cgi?extra=1', [Origin => $EVIL]],
      status => 200, no_cors => 1 },

    # --- no Origin
    { name => 'GET static, no Origin',
      req => [GET => '/act/basic/data.txt', []],
      status => 200, body => $DATA, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => '-' },
    { name => 'POST CGI, no Origin',
      req => [POST => '/act/basic/probe.cgi', ['Content-Type' => 'text/plain'], 'plain'],
      status => 200, body => "probe ran: POST\nbody: plain\n", no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => '-' },
    { name => '404, no Origin',
      req => [GET => '/act/nocred/missing.txt', []],
      status => 404, no_cors => 1,
      tokens => { Vary => ['Origin'] } },
    { name => 'any origin, no Origin',
      req => [GET => '/act/any/data.txt', []],
      status => 200, body => $DATA,
      hdr => { $ACAO => '*' },
      lacks => { Vary => ['Origin'] },
      pf => '-' },
    { name => 'any origin, with Origin',
      req => [GET => '/act/any/data.txt', [Origin => $APP]],
      status => 200,
      hdr => { $ACAO => '*' },
      lacks => { Vary => ['Origin'] } },

    # --- error responses
    { name => '404, allowed origin',
      req => [GET => '/act/basic/missing.txt', [Origin => $APP]],
      status => 404, body => qr/Not Found/,
      hdr => {%allowed},
      tokens => { $ACEH => [qw(X-Act-Marker X-Request-Id)], Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '404, refused origin',
      req => [GET => '/act/basic/missing.txt', [Origin => $EVIL]],
      status => 404, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => '500 from a broken CGI, allowed origin',
      req => [GET => '/act/basic/broken.cgi', [Origin => $APP]],
      status => 500, body => qr/Internal Server Error/,
      hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '500 from a broken CGI, refused origin',
      req => [GET => '/act/basic/broken.cgi', [Origin => $EVIL]],
      status => 500, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => '503 sent by a CGI, allowed origin',
      req => [GET => '/act/basic/probe.cgi?status=503', [Origin => $APP]],
      status => 503, body => "probe ran: GET\n",
      hdr => { %allowed, 'X-Act-Marker' => 'probe-GET' },
      tokens => { Vary => ['Origin'] } },
    { name => 'ErrorDocument page in scope, allowed origin',
      req => [GET => '/act/errdoc/missing.txt', [Origin => $APP]],
      status => 404, body => $PAGE,
      hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      redir_pf => 'cors-allowed' },
    { name => 'ErrorDocument page out of scope, allowed origin',
      req => [GET => '/act/errdoc-out/missing.txt', [Origin => $APP]],
      status => 404, body => $PAGE,
      hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      redir_pf => 'cors-allowed' },
    { name => 'ErrorDocument page, refused origin',
      req => [GET => '/act/errdoc/missing.txt', [Origin => $EVIL]],
      status => 404, body => $PAGE, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      redir_pf => 'cors-denied-origin' },
    { name => 'ErrorDocument CGI with its own CORS headers, allowed origin',
      req => [GET => '/act/errdoc-cgi/missing.txt', [Origin => $APP]],
      status => 404, body => "probe ran: GET\n",
      hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      absent => [$ACAM, $ACEH],
      redir_pf => 'cors-allowed' },
    { name => 'ErrorDocument CGI for a refused preflight',
      req => [OPTIONS => '/act/errdoc-cgi/data.txt', [Origin => $EVIL, $ACRM => 'GET']],
      status => 403, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      redir_pf => 'preflight-denied-origin' },
    { name => '403 from Require all denied, allowed origin',
      req => [GET => '/act/closed/data.txt', [Origin => $APP]],
      status => 403,
      hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '301 from mod_dir, allowed origin',
      req => [GET => '/act/basic/idx', [Origin => $APP]],
      status => 301,
      hdr => {%allowed},
      tokens => { Vary => ['Origin'] } },
    # no body: httpd refuses before reading it and resets the stream, which
    # curl 7.88.1 reports as an error (see the multiplexed preflights below)
    { name => '405 from the core, allowed origin',
      req => [PUT => '/act/basic/data.txt', [Origin => $APP]],
      status => 405,
      hdr => {%allowed},
      tokens => { Vary => ['Origin'] } },

    # --- authentication
    { name => 'GET without credentials: 401 with ACAO',
      req => [GET => '/act/auth/data.txt', [Origin => $APP]],
      status => 401,
      hdr => { %allowed, 'WWW-Authenticate' => $CHALLENGE },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'GET with credentials',
      req => [GET => '/act/auth/data.txt', [Origin => $APP, Authorization => $GOOD]],
      status => 200, body => $DATA,
      hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'GET without credentials, refused origin',
      req => [GET => '/act/auth/data.txt', [Origin => $EVIL]],
      status => 401, no_cors => 1,
      hdr => { 'WWW-Authenticate' => $CHALLENGE },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => 'preflight to the auth area: 204 without credentials',
      req => [OPTIONS => '/act/auth/data.txt', [@pre_put]],
      status => 204, empty => 1,
      hdr => { %allowed, $ACAM => 'GET, PUT' },
      tokens => { Vary => ['Origin'] },
      absent => ['WWW-Authenticate'],
      pf => 'preflight-allowed' },
    { name => 'preflight to the auth area asking for Authorization',
      req => [OPTIONS => '/act/auth/data.txt',
              [Origin => $APP, $ACRM => 'GET', $ACRH => 'authorization']],
      status => 204,
      hdr => { $ACAO => $APP, $ACAH => 'Authorization, X-Requested-With' },
      absent => ['WWW-Authenticate'] },
    { name => 'preflight to the auth area, refused origin: 403, not 401',
      req => [OPTIONS => '/act/auth/data.txt', [Origin => $EVIL, $ACRM => 'GET']],
      status => 403, no_cors => 1,
      absent => ['WWW-Authenticate'],
      pf => 'preflight-denied-origin' },
    { name => 'plain OPTIONS to the auth area: 401 with ACAO',
      req => [OPTIONS => '/act/auth/data.txt', [Origin => $APP]],
      status => 401,
      hdr => { $ACAO => $APP, 'WWW-Authenticate' => $CHALLENGE },
      absent => [$ACAM] },

    # --- Vary merged with what others set
    { name => 'Vary from Header set, allowed origin',
      req => [GET => '/act/vary-set/data.txt', [Origin => $APP]],
      status => 200,
      hdr => { $ACAO => $APP },
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Vary from Header set, refused origin',
      req => [GET => '/act/vary-set/data.txt', [Origin => $EVIL]],
      status => 200, no_cors => 1,
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Vary from Header always set, 404',
      req => [GET => '/act/vary-always/missing.txt', [Origin => $APP]],
      status => 404,
      hdr => { $ACAO => $APP },
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Vary from mod_deflate, gzip',
      req => [GET => '/act/deflate/big.txt', [Origin => $APP, $AE => 'gzip']],
      status => 200,
      hdr => { $ACAO => $APP, 'Content-Encoding' => 'gzip' },
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Vary from mod_deflate, no Origin',
      req => [GET => '/act/deflate/big.txt', [$AE => 'gzip']],
      status => 200, no_cors => 1,
      hdr => { 'Content-Encoding' => 'gzip' },
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Vary from a CGI that names origin itself',
      req => [GET => '/act/basic/probe.cgi?vary=origin,%20Accept', [Origin => $APP]],
      status => 200,
      hdr => {%allowed},
      tokens => { Vary => ['Accept', 'Origin'] } },
    { name => 'Vary from a proxied backend',
      req => [GET => '/act/proxied/probe.cgi?vary=ORIGIN,%20Accept-Encoding', [Origin => $APP]],
      status => 200,
      hdr => { $ACAO => $APP },
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => '304, allowed origin',
      req => [GET => '/act/basic/data.txt', [Origin => $APP, 'If-None-Match' => '*']],
      status => 304, body => '',
      tokens => { Vary => ['Origin'] } },

    # --- one Access-Control-Allow-Origin when a backend sets its own
    { name => 'CGI with its own CORS headers, allowed origin',
      req => [GET => '/act/basic/probe.cgi?own=1', [Origin => $APP]],
      status => 200, body => "probe ran: GET\n",
      hdr => {%allowed},
      tokens => { $ACEH => [qw(X-Act-Marker X-Request-Id)], Vary => ['Origin'] },
      absent => [$ACAM],
      pf => 'cors-allowed' },
    { name => 'CGI with its own CORS headers, refused origin',
      req => [GET => '/act/basic/probe.cgi?own=1', [Origin => $EVIL]],
      status => 200, no_cors => 1,
      tokens => { Vary => ['Origin'] } },
    { name => 'proxied backend with its own CORS headers, allowed origin',
      req => [GET => '/act/proxied/probe.cgi?own=1', [Origin => $APP]],
      status => 200, body => "probe ran: GET\n",
      hdr => {%allowed},
      tokens => { $ACEH => ['X-Act-Marker'], Vary => ['Origin'] },
      absent => [$ACAM],
      pf => 'cors-allowed' },
    { name => 'proxied backend with its own CORS headers, refused origin',
      req => [GET => '/act/proxied/probe.cgi?own=1', [Origin => $EVIL]],
      status => 200, no_cors => 1,
      tokens => { Vary => ['Origin'] } },
    { name => 'proxied passthrough preflight, backend with its own headers',
      req => [OPTIONS => '/act/proxied-pass/probe.cgi?own=1', [@pre_put]],
      status => 200, body => "probe ran: OPTIONS\n",
      hdr => { %allowed, 'X-Act-Marker' => 'probe-OPTIONS', $ACAM => 'GET, PUT' },
      tokens => { Vary => ['Origin'] },
      pf => 'preflight-allowed' },
    { name => 'mod_headers adds two more ACAO',
      req => [GET => '/act/hdrs-add/data.txt', [Origin => $APP]],
      status => 200,
      hdr => { $ACAO => $APP } },
    { name => 'mod_headers always sets ACAO and ACAM, 404',
      req => [GET => '/act/hdrs-always/missing.txt', [Origin => $APP]],
      status => 404,
      hdr => {%allowed},
      absent => [$ACAM] },
);

# ---- multiplexed: one nghttp connection per group, every stream opened
# before the first answer arrives, each stream checked on its own.
my @mux = (
    { name => 'multiplexed GETs', method => 'GET', headers => [origin => $APP],
      streams => [
          ['/act/basic/data.txt',         200, $APP, 'cors-allowed'],
          ['/act/basic/missing.txt',      404, $APP, 'cors-allowed'],
          ['/act/basic/probe.cgi?own=1',  200, $APP, 'cors-allowed'],
          ['/act/auth/data.txt',          401, $APP, 'cors-allowed'],
          ['/act/proxied/probe.cgi?own=1', 200, $APP, 'cors-allowed'],
          ['/act/vary-set/data.txt',      200, $APP, 'cors-allowed'],
          ['/act/any/data.txt',           200, '*',  'cors-allowed'],
          ['/pf/l/basic/ok.txt',          200, undef, 'cors-denied-origin'],
      ] },
    { name => 'multiplexed preflights', method => 'OPTIONS',
      headers => [origin => $APP, 'access-control-request-method' => 'PUT'],
      streams => [
          ['/act/basic/data.txt',         204, $APP, 'preflight-allowed'],
          ['/act/auth/data.txt',          204, $APP, 'preflight-allowed'],
          ['/act/nocred/data.txt',        403, undef, 'preflight-denied-method'],
          ['/act/opts/data.txt',          204, $APP, 'preflight-allowed'],
          ['/act/closed/data.txt',        403, undef, undef],
          ['/pf/l/basic/ok.txt',          403, undef, 'preflight-denied-origin'],
          ['/act/pass/probe.cgi',         200, $APP, 'preflight-allowed'],
          ['/act/hdrs-always/data.txt',   204, $APP, 'preflight-allowed'],
      ] },
    # A preflight has no body, but one that has must still be answered, on
    # the 200 path (answered in the type checker, DONE) and the 204 path
    # alike. nghttp, not curl: httpd answers these before it has read the
    # body and then resets the stream with NO_ERROR (RFC 9113 8.1), which
    # curl 7.88.1 takes for a failure ("Stream error in the HTTP/2 framing
    # layer"), with or without mod_preflight.
    { name => 'preflights with a request body', method => 'OPTIONS',
      data => "a body on a preflight\n",
      headers => [origin => $A, 'access-control-request-method' => 'PUT',
                  'content-type' => 'text/plain'],
      streams => [
          ['/pf/merge/ok.txt',            200, $A,   'preflight-allowed'],
          ['/pf/l/putdelete/ok.txt',      204, $A,   'preflight-allowed'],
          ['/pf/l/basic/ok.txt',          403, undef, 'preflight-denied-method'],
          ['/act/basic/data.txt',         403, undef, 'preflight-denied-origin'],
      ] },
);

# ---- plumbing

my $BASE = 'http://' . Apache::TestRequest::hostport();
my $TMP  = tempdir(CLEANUP => 1);
my $LOGS = Apache::Test::vars('t_logs');

my $tagno = 0;
sub tagged {
    my $path = shift;
    return $path . ($path =~ /\?/ ? '&' : '?') . 't=http2-' . ++$tagno . "-$$";
}

sub slurp {
    my ($file, $off) = @_;
    open my $fh, '<', $file or return '';
    binmode $fh;
    seek $fh, $off // 0, 0;
    local $/;
    return scalar(<$fh>) // '';
}

# One request, one curl process, one connection with prior knowledge.
# Returns { version, status, fields => [[lower-case name, value], ..], body,
# error }.
sub h2_request {
    my ($method, $path, $headers, $body) = @_;
    my ($hfile, $bfile, $efile) = map { "$TMP/$_" } qw(headers body stderr);
    unlink $hfile, $bfile, $efile;
    my @cmd = ('curl', '-sS', '--http2-prior-knowledge', '--max-time', '30',
               '-D', $hfile, '-o', $bfile, '--stderr', $efile,
               '-w', '%{http_version}');
    push @cmd, $method eq 'HEAD' ? ('--head') : ('-X', $method);
    my @h = @$headers;
    while (my ($n, $v) = splice @h, 0, 2) {
        push @cmd, '-H', "$n: $v";
    }
    push @cmd, '--data-binary', $body if defined $body;
    push @cmd, $BASE . $path;
    open my $out, '-|', @cmd or die "cannot run curl: $!";
    my $version = do { local $/; <$out> } // '';
    close $out;
    my %res = (version => $version, status => '', fields => [],
               body => slurp($bfile), error => slurp($efile));
    # A 1xx would come first; the last block is the response.
    my @blocks = split /\r?\n\r?\n/, slurp($hfile);
    my @lines = split /\r?\n/, $blocks[-1] // '';
    if (@lines && $lines[0] =~ m{^HTTP/(\S+) (\d{3})}) {
        shift @lines;
        $res{status} = $2;
    }
    for (@lines) {
        push @{ $res{fields} }, [lc $1, $2] if /^([^:\s]+):[ \t]*(.*?)[ \t]*$/;
    }
    t_debug("$method $path: HTTP/$version $res{status} $res{error}");
    return \%res;
}

sub values_of {
    my ($fields, $name) = @_;
    return map { $_->[1] } grep { $_->[0] eq lc $name } @$fields;
}

sub tokens_of {
    my ($fields, $name) = @_;
    return grep { length } map { s/^\s+|\s+$//gr } map { split /,/ } values_of($fields, $name);
}

sub twice {
    my $fields = shift;
    my %n;
    $n{ $_->[0] }++ for grep { $_->[0] ne 'set-cookie' } @$fields;
    return join ' ', map { "$_ x$n{$_}" } sort grep { $n{$_} > 1 } keys %n;
}

# The h2_access_log line of a request: (client port, protocol, PREFLIGHT,
# REDIRECT_PREFLIGHT), () when it never came. httpd writes it after the
# response has gone, so look again for a moment.
sub logged {
    my ($method, $url) = @_;
    my $re = qr/^(\d+) (\S+) "\Q$method $url\E HTTP\/[\d.]+" \d+ pf=(\S*) redir_pf=(\S*)$/;
    for (1 .. 250) {
        for (split /\n/, slurp("$LOGS/h2_access_log")) {
            return ($1, $2, $3, $4) if $_ =~ $re;
        }
        sleep 0.02;
    }
    return;
}

sub log_has {
    my ($off, $res) = @_;
    my $file = "$LOGS/error_log";
    for (1 .. 20) {
        for my $line (split /\n/, slurp($file, $off)) {
            return 1 unless grep { $line !~ $_ } @$res;
        }
        sleep 0.05;
    }
    return 0;
}

sub case_tests {
    my $c = shift;
    my $n = 4;          # HTTP/2 by curl, by the server's log, status, no field twice
    $n += grep { exists $c->{$_} } qw(body no_cors pf redir_pf log);
    $n += 2 if $c->{empty};
    $n += keys %{ $c->{$_} || {} } for qw(hdr tokens has lacks);
    $n += @{ $c->{$_} || [] } for qw(absent allow_lacks);
    return $n;
}

sub mux_tests {
    my $g = shift;
    # nghttp exit status, one connection in the log, all streams opened
    # before the first answer; per stream: status, ACAO, Vary, no field
    # twice, PREFLIGHT where expected
    my $n = 3;
    $n += 4 + (defined $_->[3] ? 1 : 0) for @{ $g->{streams} };
    return $n;
}

sub run_case {
    my $c = shift;
    my ($method, $path, $headers, $body) = @{ $c->{req} };
    my $url = tagged($path);
    my $off = -s "$LOGS/error_log" // 0;
    my $r = h2_request($method, $url, $headers, $body);
    my $f = $r->{fields};
    my $n = $c->{name};

    ok t_cmp($r->{version}, '2', "$n: curl spoke HTTP/2");
    my (undef, $proto, $pf, $redir) = logged($method, $url);
    ok t_cmp($proto // '(no log line)', 'HTTP/2.0', "$n: server logged HTTP/2.0");
    ok t_cmp($r->{status}, $c->{status}, "$n: status");
    ok t_cmp(twice($f), '', "$n: no header field twice");
    ok t_cmp($r->{body}, $c->{body}, "$n: body") if exists $c->{body};
    if ($c->{empty}) {
        ok t_cmp($r->{body}, '', "$n: empty body");
        my $cl = join(' | ', values_of($f, 'Content-Length')) || 'none';
        ok t_cmp($cl, $c->{status} == 204 ? 'none' : qr/^(?:0|none)$/,
                 "$n: Content-Length");
    }
    for my $h (sort keys %{ $c->{hdr} || {} }) {
        ok t_cmp(join(' | ', values_of($f, $h)), $c->{hdr}{$h}, "$n: exactly one $h");
    }
    for my $h (sort keys %{ $c->{tokens} || {} }) {
        my $got = join ', ', sort map { lc } tokens_of($f, $h);
        my $lines = () = values_of($f, $h);
        $got .= " ($lines fields)" if $lines > 1;
        ok t_cmp($got, join(', ', sort map { lc } @{ $c->{tokens}{$h} }), "$n: $h tokens");
    }
    for my $h (sort keys %{ $c->{has} || {} }) {
        my %seen;
        my @dup = grep { $seen{$_}++ == 1 } map { lc } tokens_of($f, $h);
        my @missing = grep { !$seen{ lc $_ } } @{ $c->{has}{$h} };
        my $problem = '';
        $problem .= "missing @missing; " if @missing;
        $problem .= "twice @dup; " if @dup;
        $problem .= "$h: " . join(' | ', values_of($f, $h)) if $problem;
        ok t_cmp($problem, '', "$n: $h has @{ $c->{has}{$h} }, none twice");
    }
    for my $h (sort keys %{ $c->{lacks} || {} }) {
        my %bad = map { lc($_) => 1 } @{ $c->{lacks}{$h} };
        ok t_cmp(join(', ', grep { $bad{$_} } map { lc } tokens_of($f, $h)), '',
                 "$n: $h lacks @{ $c->{lacks}{$h} }");
    }
    for my $h (@{ $c->{absent} || [] }) {
        ok t_cmp(join(' | ', values_of($f, $h)), '', "$n: no $h");
    }
    for my $m (@{ $c->{allow_lacks} || [] }) {
        ok t_cmp(scalar(grep { $_ eq $m } tokens_of($f, 'Allow')), 0, "$n: Allow lacks $m");
    }
    if ($c->{no_cors}) {
        ok t_cmp(join(', ', map { "$_->[0]: $_->[1]" } grep { $_->[0] =~ /^access-control-/ } @$f),
                 '', "$n: no Access-Control-* field");
    }
    ok t_cmp($pf // '(no log line)', $c->{pf}, "$n: PREFLIGHT logged") if exists $c->{pf};
    ok t_cmp($redir // '(no log line)', $c->{redir_pf}, "$n: REDIRECT_PREFLIGHT logged")
        if exists $c->{redir_pf};
    ok t_cmp(log_has($off, $c->{log}), 1, "$n: error_log says why") if $c->{log};
}

# nghttp -nv prints every frame; a request's stream id comes with the
# HEADERS it sends (":path: ..." below), every answer field as
# "recv (stream_id=N) name: value".
sub run_mux {
    my $g = shift;
    my @urls = map { tagged($_->[0]) } @{ $g->{streams} };
    my @cmd = ('nghttp', '-nv', '--timeout=30');
    push @cmd, '-H', ":method: $g->{method}" unless $g->{method} eq 'GET';
    if (defined $g->{data}) {
        my $file = "$TMP/data";
        open my $fh, '>', $file or die "$file: $!";
        print $fh $g->{data};
        close $fh;
        push @cmd, "--data=$file";
    }
    my @h = @{ $g->{headers} };
    while (my ($n, $v) = splice @h, 0, 2) {
        push @cmd, '-H', "$n: $v";
    }
    push @cmd, map { $BASE . $_ } @urls;
    my $out = '';
    if (open my $fh, '-|', @cmd) {
        local $/;
        $out = <$fh> // '';
        close $fh;
    }
    my $exit = $? >> 8;
    t_debug("nghttp: exit $exit\n$out") if $exit;

    my (%path_of, %fields, $sending, $first_recv, $last_send, $i);
    for my $line (split /\n/, $out) {
        $i++;
        if ($line =~ /send HEADERS frame .*stream_id=(\d+)>/) {
            $sending = $1;
            $last_send = $i;
        }
        elsif (defined $sending && $line =~ /^\s+:path: (\S+)/) {
            $path_of{$1} = $sending;
        }
        elsif ($line =~ /^\[\s*[\d.]+\] recv \(stream_id=(\d+)\) (:?[^:\s]+): ?(.*)$/) {
            push @{ $fields{$1} }, [lc $2, $3];
            $first_recv //= $i;
            undef $sending;
        }
        elsif ($line =~ /^\[/) {
            undef $sending;
        }
    }

    my $n = $g->{name};
    ok t_cmp($exit, 0, "$n: nghttp exit status");
    ok t_cmp(defined $last_send && defined $first_recv && $last_send < $first_recv ? 1 : 0, 1,
             "$n: all " . @urls . " streams open before the first answer");
    my (%ports, @protos, @pfs);
    for my $u (@urls) {
        my ($port, $proto, $pf) = logged($g->{method}, $u);
        $ports{ $port // 'none' }++;
        push @protos, $proto // 'none';
        push @pfs, $pf;
    }
    ok t_cmp(scalar(keys %ports) . ' connection, ' . join(' ', sort { $a cmp $b } keys %{{ map { $_ => 1 } @protos }}),
             '1 connection, HTTP/2.0', "$n: one connection in the access log, all HTTP/2.0");

    for my $k (0 .. $#urls) {
        my ($path, $status, $acao, $want_pf) = @{ $g->{streams}[$k] };
        my $id = $path_of{ $urls[$k] };
        my $f = defined $id ? $fields{$id} || [] : [];
        my $sn = "$n, $path";
        ok t_cmp(join(' | ', values_of($f, ':status')), $status, "$sn: status");
        ok t_cmp(join(' | ', values_of($f, $ACAO)), $acao // '', "$sn: " .
                 (defined $acao ? "exactly one $ACAO" : "no $ACAO"));
        ok t_cmp(scalar(grep { lc eq 'origin' } tokens_of($f, 'Vary')),
                 defined $acao && $acao eq '*' && $g->{method} ne 'OPTIONS' ? 0 : 1,
                 "$sn: Vary names Origin " . (defined $acao && $acao eq '*' ? 'never' : 'once'));
        ok t_cmp(twice($f), '', "$sn: no header field twice");
        ok t_cmp($pfs[$k] // '(no log line)', $want_pf, "$sn: PREFLIGHT logged")
            if defined $want_pf;
    }
}

my $tests = 0;
$tests += case_tests($_) for @cases;
$tests += mux_tests($_) for @mux;

# No "need": mod_http2 is always loaded (t/conf/extra.conf.in), and without
# it every "spoke HTTP/2" assertion fails rather than the file being skipped.
plan tests => $tests;

run_case($_) for @cases;
run_mux($_) for @mux;
