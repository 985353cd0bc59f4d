# Authentication (README "Behaviour in detail", Preflight and Actual
# requests): a preflight never carries credentials, so an in-scope preflight
# is answered before authentication; every other request, plain OPTIONS
# included, still needs credentials, and its 401 carries the CORS headers so
# the page can see the refusal. Host-based access control still applies to
# preflights.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(:DEFAULT :act);
use MIME::Base64 qw(encode_base64);

my $GOOD = 'Basic ' . encode_base64('alice:wonderland', '');
my $BAD  = 'Basic ' . encode_base64('alice:looking-glass', '');
my $CHALLENGE = 'Basic realm="act realm"';

my @cases = (
    # preflights: answered without credentials
    { name => 'preflight without credentials',
      req => [OPTIONS => '/act/auth/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'PUT']],
      status => 204, body => '',
      hdr => {%allowed},
      tokens => { 'Access-Control-Allow-Methods' => [qw(GET PUT)] },
      absent => ['WWW-Authenticate'],
      pf => 'preflight-allowed' },
    { name => 'preflight asking for Authorization',
      req => [OPTIONS => '/act/auth/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET',
               'Access-Control-Request-Headers' => 'authorization']],
      status => 204,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { 'Access-Control-Allow-Headers' => [qw(Authorization X-Requested-With)] },
      absent => ['WWW-Authenticate'] },
    { name => 'preflight with valid credentials anyway',
      req => [OPTIONS => '/act/auth/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET',
               Authorization => $GOOD]],
      status => 204,
      hdr => { 'Access-Control-Allow-Origin' => $APP } },
    { name => 'preflight with wrong credentials',
      req => [OPTIONS => '/act/auth/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET',
               Authorization => $BAD]],
      status => 204,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      absent => ['WWW-Authenticate'] },
    { name => 'preflight, refused origin: 403, not 401',
      req => [OPTIONS => '/act/auth/data.txt',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'GET']],
      status => 403, no_acx => 1,
      tokens => { Vary => ['Origin'] },
      absent => ['WWW-Authenticate'],
      pf => 'preflight-denied-origin' },
    { name => 'preflight, refused method: 403, not 401',
      req => [OPTIONS => '/act/auth/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'DELETE']],
      status => 403, no_acx => 1,
      absent => ['WWW-Authenticate'],
      pf => 'preflight-denied-method' },

    # actual requests: credentials required as usual
    { name => 'GET without credentials',
      req => [GET => '/act/auth/data.txt', [Origin => $APP]],
      status => 401,
      hdr => { %allowed, 'WWW-Authenticate' => $CHALLENGE },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'GET with wrong credentials',
      req => [GET => '/act/auth/data.txt', [Origin => $APP, Authorization => $BAD]],
      status => 401,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'WWW-Authenticate' => $CHALLENGE } },
    { name => 'GET with credentials',
      req => [GET => '/act/auth/data.txt', [Origin => $APP, Authorization => $GOOD]],
      status => 200, body => $DATA,
      hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'PUT to a CGI with credentials',
      req => [PUT => '/act/auth/probe.cgi',
              [Origin => $APP, Authorization => $GOOD], 'authed'],
      status => 200, body => "probe ran: PUT\nbody: authed\n",
      hdr => { 'Access-Control-Allow-Origin' => $APP } },
    { name => 'PUT to a CGI without credentials',
      req => [PUT => '/act/auth/probe.cgi', [Origin => $APP], 'anonymous'],
      status => 401,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      absent => ['X-Act-Marker'] },
    { name => 'GET without credentials, refused origin',
      req => [GET => '/act/auth/data.txt', [Origin => $EVIL]],
      status => 401, no_acx => 1,
      hdr => { 'WWW-Authenticate' => $CHALLENGE },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => 'GET with credentials, refused origin',
      req => [GET => '/act/auth/data.txt', [Origin => $EVIL, Authorization => $GOOD]],
      status => 200, body => $DATA, no_acx => 1 },

    # plain OPTIONS is not a preflight: authentication applies
    { name => 'plain OPTIONS without Origin',
      req => [OPTIONS => '/act/auth/data.txt', []],
      status => 401, no_acx => 1,
      hdr => { 'WWW-Authenticate' => $CHALLENGE } },
    { name => 'plain OPTIONS with Origin only',
      req => [OPTIONS => '/act/auth/data.txt', [Origin => $APP]],
      status => 401,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'WWW-Authenticate' => $CHALLENGE },
      absent => ['Access-Control-Allow-Methods'],
      pf => 'cors-allowed' },
    { name => 'plain OPTIONS with Access-Control-Request-Method only',
      req => [OPTIONS => '/act/auth/data.txt', ['Access-Control-Request-Method' => 'GET']],
      status => 401, no_acx => 1,
      hdr => { 'WWW-Authenticate' => $CHALLENGE } },
    { name => 'plain OPTIONS with credentials',
      req => [OPTIONS => '/act/auth/data.txt', [Origin => $APP, Authorization => $GOOD]],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      absent => ['Access-Control-Allow-Methods'] },

    # host-based access control is not skipped
    { name => 'preflight to Require all denied',
      req => [OPTIONS => '/act/auth-closed/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET']],
      status => 403, no_acx => 1,
      absent => ['WWW-Authenticate'] },
    { name => 'preflight to Require all denied, with credentials',
      req => [OPTIONS => '/act/auth-closed/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET',
               Authorization => $GOOD]],
      status => 403, no_acx => 1 },
    { name => 'GET to Require all denied',
      req => [GET => '/act/auth-closed/data.txt', [Origin => $APP, Authorization => $GOOD]],
      status => 403,
      hdr => { 'Access-Control-Allow-Origin' => $APP } },
    { name => 'preflight to a failing Require ip',
      req => [OPTIONS => '/act/auth-ip/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'PUT']],
      status => 403, no_acx => 1 },
    { name => 'GET to a failing Require ip',
      req => [GET => '/act/auth-ip/data.txt', [Origin => $APP]],
      status => 403,
      hdr => { 'Access-Control-Allow-Origin' => $APP } },
);

plan tests => case_tests(@cases);

run_cases(@cases);
