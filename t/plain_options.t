# Plain OPTIONS (README "Behaviour in detail", Preflight and Actual requests):
# OPTIONS without Origin or without Access-Control-Request-Method, and
# "OPTIONS *", is not a preflight. It reaches whatever answers it without the
# module (the core's Allow, mod_dav's DAV, a CGI) and is treated as an actual
# request: Access-Control-Allow-Origin for an allowed origin, Vary,
# PREFLIGHT=cors-*.
#
# /act/opts/ allows GET PUT DELETE, the core's static-file handler allows
# GET POST OPTIONS HEAD (TRACE): a POST and no PUT in Allow means the core
# answered, the reverse means the module did.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(:DEFAULT :act raw_request);

my %core_allow  = (has   => { Allow => [qw(GET POST OPTIONS)] },
                   lacks => { Allow => [qw(PUT DELETE)] });
my @preflight_only = qw(Access-Control-Allow-Methods Access-Control-Allow-Headers
                        Access-Control-Max-Age);

my @cases = (
    { name => 'OPTIONS without Origin',
      req => [OPTIONS => '/act/opts/data.txt', []],
      status => 200, body => '', %core_allow, no_acx => 1,
      tokens => { Vary => ['Origin'] },
      pf => '-' },
    { name => 'OPTIONS with Origin only, allowed',
      req => [OPTIONS => '/act/opts/data.txt', [Origin => $APP]],
      status => 200, body => '', %core_allow,
      hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      absent => [@preflight_only],
      pf => 'cors-allowed' },
    { name => 'OPTIONS with Origin only, refused',
      req => [OPTIONS => '/act/opts/data.txt', [Origin => $EVIL]],
      status => 200, %core_allow, no_acx => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => 'OPTIONS with Access-Control-Request-Method only',
      req => [OPTIONS => '/act/opts/data.txt', ['Access-Control-Request-Method' => 'PUT']],
      status => 200, %core_allow, no_acx => 1,
      pf => '-' },
    { name => 'OPTIONS with Origin and Access-Control-Request-Headers only',
      req => [OPTIONS => '/act/opts/data.txt',
              [Origin => $APP, 'Access-Control-Request-Headers' => 'x-requested-with']],
      status => 200, %core_allow,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      absent => [@preflight_only],
      pf => 'cors-allowed' },
    # the contrast: a real preflight gets the module's answer and Allow
    { name => 'preflight for comparison',
      req => [OPTIONS => '/act/opts/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'PUT']],
      status => 204, body => '',
      has => { Allow => [qw(GET HEAD PUT DELETE OPTIONS)] },
      lacks => { Allow => ['POST'] },
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      pf => 'preflight-allowed' },

    # mod_dav answers OPTIONS with its DAV header
    { name => 'DAV OPTIONS without Origin',
      req => [OPTIONS => '/act/dav/res.txt', []],
      status => 200, no_acx => 1,
      has => { DAV => [qw(1 2)], Allow => [qw(PROPFIND OPTIONS)] },
      hdr => { 'MS-Author-Via' => 'DAV' },
      tokens => { Vary => ['Origin'] } },
    { name => 'DAV OPTIONS with Origin, allowed',
      req => [OPTIONS => '/act/dav/res.txt', [Origin => $APP]],
      status => 200,
      has => { DAV => [qw(1 2)], Allow => [qw(PROPFIND OPTIONS)] },
      hdr => { %allowed, 'MS-Author-Via' => 'DAV' },
      tokens => { Vary => ['Origin'] },
      absent => ['Access-Control-Allow-Methods'],
      pf => 'cors-allowed' },
    { name => 'DAV OPTIONS on a collection, allowed origin',
      req => [OPTIONS => '/act/dav/', [Origin => $APP]],
      status => 200,
      has => { DAV => [qw(1 2)] },
      hdr => { 'Access-Control-Allow-Origin' => $APP } },
    { name => 'DAV OPTIONS with Origin, refused',
      req => [OPTIONS => '/act/dav/res.txt', [Origin => $EVIL]],
      status => 200, no_acx => 1,
      has => { DAV => [qw(1 2)] },
      pf => 'cors-denied-origin' },
    { name => 'DAV preflight is not seen by mod_dav',
      req => [OPTIONS => '/act/dav/res.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'PROPFIND']],
      status => 204, body => '',
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { 'Access-Control-Allow-Methods' => [qw(GET PUT DELETE PROPFIND)] },
      absent => [qw(DAV MS-Author-Via)],
      pf => 'preflight-allowed' },
    { name => 'DAV PROPFIND, allowed origin',
      req => [PROPFIND => '/act/dav/res.txt', [Origin => $APP, Depth => 0]],
      status => 207, body => qr/multistatus/,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      pf => 'cors-allowed' },
    { name => 'DAV PROPFIND, refused origin',
      req => [PROPFIND => '/act/dav/res.txt', [Origin => $EVIL, Depth => 0]],
      status => 207, no_acx => 1 },

    # a CGI has its own OPTIONS semantics
    { name => 'CGI OPTIONS without Origin',
      req => [OPTIONS => '/act/basic/probe.cgi', []],
      status => 200, body => "probe ran: OPTIONS\n", no_acx => 1,
      hdr => { 'X-Act-Marker' => 'probe-OPTIONS' },
      tokens => { Vary => ['Origin'] } },
    { name => 'CGI OPTIONS with Origin only, allowed',
      req => [OPTIONS => '/act/basic/probe.cgi', [Origin => $APP]],
      status => 200, body => "probe ran: OPTIONS\n",
      hdr => { %allowed, 'X-Act-Marker' => 'probe-OPTIONS' },
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      absent => [@preflight_only],
      pf => 'cors-allowed' },
    { name => 'CGI OPTIONS with Origin only, refused',
      req => [OPTIONS => '/act/basic/probe.cgi', [Origin => $EVIL]],
      status => 200, body => "probe ran: OPTIONS\n", no_acx => 1,
      pf => 'cors-denied-origin' },
    { name => 'CGI preflight for comparison',
      req => [OPTIONS => '/act/basic/probe.cgi',
              [Origin => $APP, 'Access-Control-Request-Method' => 'PUT']],
      status => 204, body => '',
      absent => ['X-Act-Marker'] },
);

# "OPTIONS *" is answered by the core before any per-URI processing: a bare
# 200 with no Allow. In scope (<Location "*"> in act.conf) and shaped like a
# preflight it must still get exactly that. LWP cannot send "*" as the
# target, so these go as bytes.
push @cases, map {
    my ($name, $headers) = @$_;
    +{ name => $name, bytes => raw_request(OPTIONS => '*', $headers),
       status => 200, no_acx => 1, absent => [qw(Vary Allow DAV)] }
} (
    [ 'OPTIONS * shaped like a preflight',
      [Origin => $APP, 'Access-Control-Request-Method' => 'GET'] ],
    [ 'OPTIONS * with Origin only', [Origin => $APP] ],
    [ 'OPTIONS * without Origin', [] ],
);

plan tests => case_tests(@cases);

run_cases(@cases);
