use strict;
use warnings FATAL => 'all';

# A policy in <Files>, <If> and <LocationMatch> (t/conf/scopes.conf.in): the
# module reads whatever httpd merged for the request, whichever section
# types it came from.

use Apache::Test;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest;

my $APP   = 'https://app.example.com';
my $OTHER = 'https://other.example.com';

my @cases = (
    { name => '<Files *.json>: actual', method => 'GET', path => '/scopes/data.json',
      req => [Origin => $APP], status => 200,
      hdr => { ACAO => $APP }, vary => { Origin => 1 }, pf => 'cors-allowed' },
    { name => '<Files *.json>: preflight with the default methods',
      path => '/scopes/data.json', req => [Origin => $APP, ACRM => 'POST'],
      status => 204, hdr => { ACAO => $APP, ACAM => 'GET, HEAD, POST' },
      pf => 'preflight-allowed' },
    { name => '<Files *.json>: PUT is not a default method',
      path => '/scopes/data.json', req => [Origin => $APP, ACRM => 'PUT'],
      status => 403, no_cors => 1, pf => 'preflight-denied-method' },
    { name => 'outside <Files>: engine off', method => 'GET', path => '/scopes/data.txt',
      req => [Origin => $APP], status => 200,
      no_cors => 1, vary => { Origin => 0 }, pf => '-' },
    { name => 'outside <Files>: preflight reaches the core', path => '/scopes/data.txt',
      req => [Origin => $APP, ACRM => 'POST'], status => 200,
      no_cors => 1, allow_has => [qw(GET POST OPTIONS)] },
    { name => '<If> true: actual', method => 'GET', path => '/scopes/data.txt?cors=on',
      req => [Origin => $APP], status => 200,
      hdr => { ACAO => $APP }, vary => { Origin => 1 }, pf => 'cors-allowed' },
    { name => '<If> true: its method list applies', path => '/scopes/data.txt?cors=on',
      req => [Origin => $APP, ACRM => 'PUT'], status => 204,
      hdr => { ACAO => $APP, ACAM => 'PUT' }, allow => [qw(PUT OPTIONS)],
      pf => 'preflight-allowed' },
    { name => '<LocationMatch>: its origin list replaces the <Directory> one',
      method => 'GET', path => '/scopes/v1/data.txt', req => [Origin => $OTHER],
      status => 200, hdr => { ACAO => $OTHER }, pf => 'cors-allowed' },
    { name => '<LocationMatch>: the <Directory> origin is gone',
      method => 'GET', path => '/scopes/v1/data.txt', req => [Origin => $APP],
      status => 200, no_cors => 1, vary => { Origin => 1 }, pf => 'cors-denied-origin' },
);

plan tests => pf_tests(@cases);
run_pf(@cases);
