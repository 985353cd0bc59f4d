# Actual CORS requests (README "Behaviour in detail", Actual requests and
# PreflightAllowOrigin * without credentials): served as usual, with
# Access-Control-Allow-Origin, -Credentials and -Expose-Headers only for an
# allowed origin, and Vary: Origin on every response in scope.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(:DEFAULT :act);

my @cases = (
    # allowed origin: headers added, the request served as usual
    { name => 'GET static, allowed origin',
      req => [GET => '/act/basic/data.txt', [Origin => $APP]],
      status => 200, body => $DATA,
      hdr => {%allowed},
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      absent => [qw(Access-Control-Allow-Methods Access-Control-Allow-Headers
                    Access-Control-Max-Age)],
      pf => 'cors-allowed' },
    { name => 'HEAD static, allowed origin',
      req => [HEAD => '/act/basic/data.txt', [Origin => $APP]],
      status => 200,
      hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'GET CGI, allowed origin',
      req => [GET => '/act/basic/probe.cgi', [Origin => $APP]],
      status => 200, body => "probe ran: GET\n",
      hdr => { %allowed, 'X-Act-Marker' => 'probe-GET' },
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'POST CGI, allowed origin',
      req => [POST => '/act/basic/probe.cgi',
              [Origin => $APP, 'Content-Type' => 'application/x-www-form-urlencoded'],
              'name=value'],
      status => 200, body => "probe ran: POST\nbody: name=value\n",
      hdr => { %allowed, 'X-Act-Marker' => 'probe-POST' },
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      absent => [qw(Access-Control-Allow-Methods)],
      pf => 'cors-allowed' },
    { name => 'PUT CGI, allowed origin',
      req => [PUT => '/act/basic/probe.cgi',
              [Origin => $APP, 'Content-Type' => 'application/json'],
              '{"k":"put payload"}'],
      status => 200, body => qq(probe ran: PUT\nbody: {"k":"put payload"}\n),
      hdr => { %allowed, 'X-Act-Marker' => 'probe-PUT' },
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      absent => [qw(Access-Control-Allow-Methods)],
      pf => 'cors-allowed' },

    { name => 'Range request, allowed origin',
      req => [GET => '/act/basic/data.txt', [Origin => $APP, Range => 'bytes=0-2']],
      status => 206, body => 'act',
      hdr => {%allowed},
      tokens => { Vary => ['Origin'] } },
    # mod_dir's index lookup and a CGI's local redirect hand the request to
    # another one inside httpd: still one set of headers
    { name => 'directory index, allowed origin',
      req => [GET => '/act/basic/idx/', [Origin => $APP]],
      status => 200, body => "act index page\n",
      hdr => {%allowed},
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'CGI local redirect, allowed origin',
      req => [GET => '/act/basic/probe.cgi?redirect=/act/basic/data.txt', [Origin => $APP]],
      status => 200, body => $DATA,
      hdr => {%allowed},
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] } },
    { name => 'CGI local redirect, refused origin',
      req => [GET => '/act/basic/probe.cgi?redirect=/act/basic/data.txt', [Origin => $EVIL]],
      status => 200, body => $DATA, no_acx => 1,
      tokens => { Vary => ['Origin'] } },
    # rewrite rules hand every URI to a front controller outside the
    # policy's <Location> that sets its own CORS headers: the URI the client
    # asked for decides, once (README "Behaviour in detail", Scope)
    { name => 'front controller out of scope, allowed origin',
      req => [GET => '/act/front/items', [Origin => $APP]],
      status => 200, body => "probe ran: GET\n",
      hdr => { %allowed, 'X-Act-Marker' => 'probe-GET' },
      tokens => { 'Access-Control-Expose-Headers' => ['X-Act-Marker'],
                  Vary => ['Origin'] },
      absent => ['Access-Control-Allow-Methods'],
      pf => 'cors-allowed' },
    { name => 'front controller out of scope, refused origin',
      req => [GET => '/act/front/items', [Origin => $EVIL]],
      status => 200, body => "probe ran: GET\n", no_acx => 1,
      tokens => { Vary => ['Origin'] },
      log => reason('cross-origin headers withheld for /act/front/items', $EVIL),
      pf => 'cors-denied-origin' },
    { name => 'front controller out of scope, preflight',
      req => [OPTIONS => '/act/front/items', [Origin => $APP, ACRM => 'PUT']],
      status => 204, empty => 1, hdr => {%allowed},
      tokens => { 'Access-Control-Allow-Methods' => [qw(GET PUT)] },
      absent => ['X-Act-Marker'],
      pf => 'preflight-allowed' },

    # refused origin: still served (browsers enforce CORS), nothing added
    { name => 'GET static, refused origin',
      req => [GET => '/act/basic/data.txt', [Origin => $EVIL]],
      status => 200, body => $DATA, no_acx => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    (map {
        { name => "$_ CGI, refused origin",
          req => [$_ => '/act/basic/probe.cgi',
                  [Origin => $EVIL, 'Content-Type' => 'text/plain'], "evil \L$_"],
          status => 200, body => "probe ran: $_\nbody: evil \L$_\n", no_acx => 1,
          hdr => { 'X-Act-Marker' => "probe-$_" },
          tokens => { Vary => ['Origin'] },
          pf => 'cors-denied-origin' }
    } qw(POST PUT)),

    # no Origin: a cache must still key on Origin, PREFLIGHT unset
    { name => 'GET static, no Origin',
      req => [GET => '/act/basic/data.txt', []],
      status => 200, body => $DATA, no_acx => 1,
      tokens => { Vary => ['Origin'] },
      pf => '-' },
    { name => 'POST CGI, no Origin',
      req => [POST => '/act/basic/probe.cgi', ['Content-Type' => 'text/plain'], 'plain'],
      status => 200, body => "probe ran: POST\nbody: plain\n", no_acx => 1,
      tokens => { Vary => ['Origin'] },
      pf => '-' },

    # credentials off, nothing exposed
    { name => 'GET, credentials off',
      req => [GET => '/act/nocred/data.txt', [Origin => $APP]],
      status => 200, body => $DATA,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => ['Origin'] },
      absent => [qw(Access-Control-Allow-Credentials Access-Control-Expose-Headers)],
      pf => 'cors-allowed' },
    { name => 'GET, credentials off, refused origin',
      req => [GET => '/act/nocred/data.txt', [Origin => $EVIL]],
      status => 200, body => $DATA, no_acx => 1,
      tokens => { Vary => ['Origin'] } },

    # Fetch ignores a literal "*" in Expose-Headers on a credentialed
    # response: the module lists the response's own header names instead.
    { name => 'Expose-Headers *, credentials on, CGI headers',
      req => [GET => '/act/exposeall/probe.cgi?extra=1', [Origin => $APP]],
      status => 200, body => "probe ran: GET\n",
      hdr => {%allowed},
      has => { 'Access-Control-Expose-Headers' => [qw(X-Custom-A X-Custom-B X-Act-Marker)] },
      lacks => { 'Access-Control-Expose-Headers' => ['*'] } },
    { name => 'Expose-Headers *, credentials on, static file',
      req => [GET => '/act/exposeall/data.txt', [Origin => $APP]],
      status => 200, body => $DATA,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      has => { 'Access-Control-Expose-Headers' => ['ETag'] },
      lacks => { 'Access-Control-Expose-Headers' => ['*'] } },
    { name => 'Expose-Headers *, credentials off',
      req => [GET => '/act/exposestar/probe.cgi?extra=1', [Origin => $APP]],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { 'Access-Control-Expose-Headers' => ['*'] },
      absent => ['Access-Control-Allow-Credentials'] },
    { name => 'Expose-Headers *, refused origin',
      req => [GET => '/act/exposeall/probe.cgi?extra=1', [Origin => $EVIL]],
      status => 200, no_acx => 1 },
);

plan tests => case_tests(@cases);

run_cases(@cases);
