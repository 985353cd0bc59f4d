use strict;
use warnings FATAL => 'all';

# README "Behaviour in detail", Repeated lines: one PreflightAllowOrigin
# line with 100 origins and one PreflightAllowHeaders
# line with 70 names (t/conf/longlist.conf.in): httpd hands TAKE_ARGV
# directives at most 64 words and drops the rest silently, so the last items
# are the ones to check.

use Apache::Test;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest;

my @cases = (
    { name => 'the 100th origin of one line',
      req => [GET => '/longlist/x.txt', [Origin => 'https://app100.example.com']],
      status => 200, hdr => { ACAO => 'https://app100.example.com' }, pf => 'cors-allowed' },
    { name => 'the 65th origin of one line',
      req => [GET => '/longlist/x.txt', [Origin => 'https://app65.example.com']],
      status => 200, hdr => { ACAO => 'https://app65.example.com' }, pf => 'cors-allowed' },
    { name => 'an origin that is not on the line',
      req => [GET => '/longlist/x.txt', [Origin => 'https://app101.example.com']],
      status => 200, no_allow_headers => 1, pf => 'cors-denied-origin' },
    { name => 'the 70th header name of one line',
      req => [OPTIONS => '/longlist/x.txt',
              [Origin => 'https://app100.example.com', ACRM => 'GET', ACRH => 'x-h70,x-h1']],
      status => 204, hdr => { ACAO => 'https://app100.example.com' },
      pf => 'preflight-allowed' },
);

plan tests => case_tests(@cases);
run_cases(@cases);
