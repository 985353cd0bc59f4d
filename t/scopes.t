use strict;
use warnings FATAL => 'all';

# README "Behaviour in detail", Scope: a policy in <Files>, <If> and
# <LocationMatch> (t/conf/scopes.conf.in): the
# module reads whatever httpd merged for the request, whichever section
# types it came from.

use Apache::Test;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest;

my $APP   = 'https://app.example.com';
my $OTHER = 'https://other.example.com';

my @cases = (
    { name => '<Files *.json>: actual',
      req => [GET => '/scopes/data.json', [Origin => $APP]],
      status => 200, hdr => { ACAO => $APP }, has => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '<Files *.json>: preflight with the default methods',
      req => [OPTIONS => '/scopes/data.json', [Origin => $APP, ACRM => 'POST']],
      status => 204, hdr => { ACAO => $APP, ACAM => 'GET, HEAD, POST' },
      pf => 'preflight-allowed' },
    { name => '<Files *.json>: PUT is not a default method',
      req => [OPTIONS => '/scopes/data.json', [Origin => $APP, ACRM => 'PUT']],
      status => 403, no_allow_headers => 1, pf => 'preflight-denied-method' },
    { name => 'outside <Files>: engine off',
      req => [GET => '/scopes/data.txt', [Origin => $APP]],
      status => 200, no_allow_headers => 1, lacks => { Vary => ['Origin'] }, pf => '-' },
    { name => 'outside <Files>: preflight reaches the core',
      req => [OPTIONS => '/scopes/data.txt', [Origin => $APP, ACRM => 'POST']],
      status => 200, no_allow_headers => 1, has => { Allow => [qw(GET POST OPTIONS)] } },
    { name => '<If> true: actual',
      req => [GET => '/scopes/data.txt?cors=on', [Origin => $APP]],
      status => 200, hdr => { ACAO => $APP }, has => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '<If> true: its method list applies',
      req => [OPTIONS => '/scopes/data.txt?cors=on', [Origin => $APP, ACRM => 'PUT']],
      status => 204, hdr => { ACAO => $APP, ACAM => 'PUT' },
      tokens => { Allow => [qw(PUT OPTIONS)] }, pf => 'preflight-allowed' },
    { name => '<LocationMatch>: its origin list replaces the <Directory> one',
      req => [GET => '/scopes/v1/data.txt', [Origin => $OTHER]],
      status => 200, hdr => { ACAO => $OTHER }, pf => 'cors-allowed' },
    { name => '<LocationMatch>: the <Directory> origin is gone',
      req => [GET => '/scopes/v1/data.txt', [Origin => $APP]],
      status => 200, no_allow_headers => 1, has => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
);

plan tests => case_tests(@cases);
run_cases(@cases);
