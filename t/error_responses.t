# Error responses (README "Behaviour in detail", Actual requests and Scope):
# for an allowed origin the CORS headers are on 4xx and 5xx answers and on
# ErrorDocument pages too, since a browser hides from the page any response
# without them, error details included.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(:DEFAULT :act);

my $PAGE = qr/act custom 404 page/;

my @cases = (
    { name => '404, allowed origin',
      req => [GET => '/act/basic/missing.txt', [Origin => $APP]],
      status => 404, hdr => {%allowed},
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '404, refused origin',
      req => [GET => '/act/basic/missing.txt', [Origin => $EVIL]],
      status => 404, no_acx => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => '404, no Origin',
      req => [GET => '/act/basic/missing.txt', []],
      status => 404, no_acx => 1,
      tokens => { Vary => ['Origin'] } },

    # ErrorDocument: an internal redirect to a local page. The access log
    # line is the redirected request's, so the original request's decision
    # shows as REDIRECT_PREFLIGHT.
    { name => 'ErrorDocument page in scope, allowed origin',
      req => [GET => '/act/errdoc/missing.txt', [Origin => $APP]],
      status => 404, body => $PAGE, hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      redir_pf => 'cors-allowed' },
    { name => 'ErrorDocument page in scope, refused origin',
      req => [GET => '/act/errdoc/missing.txt', [Origin => $EVIL]],
      status => 404, body => $PAGE, no_acx => 1,
      tokens => { Vary => ['Origin'] },
      redir_pf => 'cors-denied-origin' },
    { name => 'ErrorDocument page out of scope, allowed origin',
      req => [GET => '/act/errdoc-out/missing.txt', [Origin => $APP]],
      status => 404, body => $PAGE, hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      redir_pf => 'cors-allowed' },
    { name => 'ErrorDocument page out of scope, refused origin',
      req => [GET => '/act/errdoc-out/missing.txt', [Origin => $EVIL]],
      status => 404, body => $PAGE, no_acx => 1,
      tokens => { Vary => ['Origin'] },
      redir_pf => 'cors-denied-origin' },

    # the error page is a script with its own Access-Control-* headers
    { name => 'ErrorDocument CGI, allowed origin',
      req => [GET => '/act/errdoc-cgi/missing.txt', [Origin => $APP]],
      status => 404, body => "probe ran: GET\n", hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      absent => [qw(Access-Control-Allow-Methods Access-Control-Expose-Headers)],
      redir_pf => 'cors-allowed' },
    { name => 'ErrorDocument CGI, refused origin',
      req => [GET => '/act/errdoc-cgi/missing.txt', [Origin => $EVIL]],
      status => 404, body => "probe ran: GET\n", no_acx => 1,
      tokens => { Vary => ['Origin'] },
      redir_pf => 'cors-denied-origin' },
    { name => 'ErrorDocument CGI for a refused preflight',
      req => [OPTIONS => '/act/errdoc-cgi/data.txt',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'GET']],
      status => 403, no_acx => 1,
      tokens => { Vary => ['Origin'] },
      redir_pf => 'preflight-denied-origin' },
    { name => 'ErrorDocument CGI for a preflight with a refused method',
      req => [OPTIONS => '/act/errdoc-cgi/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'DELETE']],
      status => 403, no_acx => 1,
      redir_pf => 'preflight-denied-method' },

    # httpd's own 500: the script dies before sending a header
    { name => '500 from a broken CGI, allowed origin',
      req => [GET => '/act/basic/broken.cgi', [Origin => $APP]],
      status => 500, hdr => {%allowed},
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '500 from a broken CGI, refused origin',
      req => [GET => '/act/basic/broken.cgi', [Origin => $EVIL]],
      status => 500, no_acx => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },

    # an application's own error status
    { name => '503 sent by a CGI, allowed origin',
      req => [GET => '/act/basic/probe.cgi?status=503', [Origin => $APP]],
      status => 503, body => "probe ran: GET\n",
      hdr => { %allowed, 'X-Act-Marker' => 'probe-GET' },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '503 sent by a CGI, refused origin',
      req => [GET => '/act/basic/probe.cgi?status=503', [Origin => $EVIL]],
      status => 503, no_acx => 1,
      tokens => { Vary => ['Origin'] } },

    # access control fails before fixups and handlers ever run
    { name => '403 from Require all denied, allowed origin',
      req => [GET => '/act/closed/data.txt', [Origin => $APP]],
      status => 403, hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '403 from Require all denied, POST, allowed origin',
      req => [POST => '/act/closed/probe.cgi', [Origin => $APP], 'x=1'],
      status => 403, hdr => {%allowed},
      tokens => { Vary => ['Origin'] } },
    { name => '403 from Require all denied, refused origin',
      req => [GET => '/act/closed/data.txt', [Origin => $EVIL]],
      status => 403, no_acx => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },

    # mod_dir's trailing-slash redirect
    { name => '301 from mod_dir, allowed origin',
      req => [GET => '/act/basic/idx', [Origin => $APP]],
      status => 301, hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '301 from mod_dir, refused origin',
      req => [GET => '/act/basic/idx', [Origin => $EVIL]],
      status => 301, no_acx => 1,
      tokens => { Vary => ['Origin'] } },

    # the core refuses PUT on a static file
    { name => '405 from the core, allowed origin',
      req => [PUT => '/act/basic/data.txt', [Origin => $APP], 'new content'],
      status => 405, hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '405 from the core, refused origin',
      req => [PUT => '/act/basic/data.txt', [Origin => $EVIL], 'new content'],
      status => 405, no_acx => 1 },
);

plan tests => case_tests(@cases);

run_cases(@cases);
