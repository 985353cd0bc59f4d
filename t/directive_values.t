use strict;
use warnings FATAL => 'all';

# Every directive but PreflightPassthrough, unset (its default) and set
# (README "Directives").
# Policies: t/conf/pf.conf.in, <Location /pf/l/NAME/>.

use Apache::Test;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest;

my $A    = 'https://a.example.com';
my $B    = 'https://b.example.com';

my @cases = (
    # PreflightEngine: policy directives alone do nothing.
    engine_off('PreflightEngine default Off', '/pf/l/engdefault/ok.txt', $A),
    engine_off('PreflightEngine Off', '/pf/l/engoff/ok.txt', $A),
    { name => 'PreflightEngine On',
      req => [OPTIONS => '/pf/l/basic/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 204,
      hdr => { ACAO => $A },
      pf => 'preflight-allowed' },

    # PreflightAllowOrigin: none by default.
    { name => 'PreflightAllowOrigin default, preflight',
      req => [OPTIONS => '/pf/l/noorigin/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 403, no_allow_headers => 1,
      has => { Vary => ['Origin'] },
      log => reason('origin', $A),
      pf => 'preflight-denied-origin' },
    { name => 'PreflightAllowOrigin default, actual',
      req => [GET => '/pf/l/noorigin/ok.txt', [Origin => $A]],
      status => 200, no_allow_headers => 1,
      has => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => 'PreflightAllowOrigin, an origin not listed',
      req => [OPTIONS => '/pf/l/basic/ok.txt', [Origin => $B, ACRM => 'GET']],
      status => 403, no_allow_headers => 1,
      log => reason('origin', $B),
      pf => 'preflight-denied-origin' },
    { name => 'PreflightAllowOrigin, second of two',
      req => [OPTIONS => '/pf/l/full/ok.txt', [Origin => $B, ACRM => 'GET']],
      status => 204,
      hdr => { ACAO => $B },
      pf => 'preflight-allowed' },

    # PreflightAllowMethods: GET HEAD POST by default.
    (map {
        { name => "PreflightAllowMethods default allows $_",
          req => [OPTIONS => '/pf/l/basic/ok.txt', [Origin => $A, ACRM => $_]],
          status => 204,
          hdr => { ACAM => 'GET, HEAD, POST' },
          tokens => { Allow => [qw(GET HEAD POST OPTIONS)] },
          pf => 'preflight-allowed' }
    } qw(GET HEAD POST)),
    (map {
        { name => "PreflightAllowMethods default denies $_",
          req => [OPTIONS => '/pf/l/basic/ok.txt', [Origin => $A, ACRM => $_]],
          status => 403, no_allow_headers => 1,
          log => reason('method', $_),
          pf => 'preflight-denied-method' }
    } qw(PUT DELETE OPTIONS)),
    { name => 'PreflightAllowMethods PUT DELETE',
      req => [OPTIONS => '/pf/l/putdelete/ok.txt', [Origin => $A, ACRM => 'DELETE']],
      status => 204,
      hdr => { ACAM => 'PUT, DELETE' },
      tokens => { Allow => [qw(PUT DELETE OPTIONS)] },
      pf => 'preflight-allowed' },
    { name => 'PreflightAllowMethods replaces the default',
      req => [OPTIONS => '/pf/l/putdelete/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 403, no_allow_headers => 1,
      log => reason('method', 'GET'),
      pf => 'preflight-denied-method' },

    # PreflightAllowHeaders: none by default, so any requested header denies.
    { name => 'PreflightAllowHeaders default denies x-token',
      req => [OPTIONS => '/pf/l/basic/ok.txt',
              [Origin => $A, ACRM => 'GET', ACRH => 'x-token']],
      status => 403, no_allow_headers => 1,
      log => reason('header', 'x-token'),
      pf => 'preflight-denied-header' },
    { name => 'PreflightAllowHeaders default denies content-type',
      req => [OPTIONS => '/pf/l/basic/ok.txt',
              [Origin => $A, ACRM => 'POST', ACRH => 'content-type']],
      status => 403, no_allow_headers => 1,
      log => reason('header', 'content-type'),
      pf => 'preflight-denied-header' },
    { name => 'PreflightAllowHeaders X-Token Content-Type',
      req => [OPTIONS => '/pf/l/full/ok.txt',
              [Origin => $A, ACRM => 'PUT', ACRH => 'content-type']],
      status => 204,
      hdr => { ACAH => 'X-Token, Content-Type' },
      pf => 'preflight-allowed' },

    # PreflightExposeHeaders: none by default; on actual responses only.
    { name => 'PreflightExposeHeaders default',
      req => [GET => '/pf/l/basic/ok.txt', [Origin => $A]],
      status => 200,
      hdr => { ACAO => $A },
      absent => [qw(ACEH ACAC)],
      pf => 'cors-allowed' },
    { name => 'PreflightExposeHeaders X-A X-B, actual',
      req => [GET => '/pf/l/expose/ok.txt', [Origin => $A]],
      status => 200,
      hdr => { ACAO => $A, ACEH => 'X-A, X-B' },
      absent => [qw(ACAC)],
      pf => 'cors-allowed' },
    { name => 'PreflightExposeHeaders X-A X-B, preflight',
      req => [OPTIONS => '/pf/l/expose/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 204,
      hdr => { ACAO => $A },
      absent => [qw(ACEH)] },
    { name => 'PreflightExposeHeaders, denied origin',
      req => [GET => '/pf/l/expose/ok.txt', [Origin => $B]],
      status => 200, no_allow_headers => 1,
      absent => [qw(ACEH)],
      pf => 'cors-denied-origin' },

    # PreflightAllowCredentials: Off by default.
    { name => 'PreflightAllowCredentials default, preflight',
      req => [OPTIONS => '/pf/l/basic/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 204, absent => [qw(ACAC)] },
    { name => 'PreflightAllowCredentials Off, actual',
      req => [GET => '/pf/l/credoff/ok.txt', [Origin => $A]],
      status => 200, hdr => { ACAO => $A }, absent => [qw(ACAC)] },
    { name => 'PreflightAllowCredentials On, preflight',
      req => [OPTIONS => '/pf/l/full/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 204, hdr => { ACAO => $A, ACAC => 'true' } },
    { name => 'PreflightAllowCredentials On, actual',
      req => [GET => '/pf/l/full/ok.txt', [Origin => $A]],
      status => 200, hdr => { ACAO => $A, ACAC => 'true' } },

    # PreflightMaxAge: not sent by default; 0 is a value like any other.
    { name => 'PreflightMaxAge default',
      req => [OPTIONS => '/pf/l/basic/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 204, absent => [qw(ACMA)] },
    { name => 'PreflightMaxAge 600',
      req => [OPTIONS => '/pf/l/full/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 204, hdr => { ACMA => '600' } },
    { name => 'PreflightMaxAge 0',
      req => [OPTIONS => '/pf/l/maxage0/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 204, hdr => { ACMA => '0' } },
    { name => 'PreflightMaxAge not on actual responses',
      req => [GET => '/pf/l/full/ok.txt', [Origin => $A]],
      status => 200, absent => [qw(ACMA)] },

    # PreflightAllowPrivateNetwork: Off by default; then the preflight is
    # still answered, without the grant, and the reason is logged.
    { name => 'PreflightAllowPrivateNetwork default',
      req => [OPTIONS => '/pf/l/basic/ok.txt',
              [Origin => $A, ACRM => 'GET', ACRPN => 'true']],
      status => 204,
      hdr => { ACAO => $A },
      absent => [qw(ACAPN)],
      log => reason('private'),
      pf => 'preflight-allowed' },
    { name => 'PreflightAllowPrivateNetwork Off',
      req => [OPTIONS => '/pf/l/pnoff/ok.txt',
              [Origin => $A, ACRM => 'GET', ACRPN => 'true']],
      status => 204, absent => [qw(ACAPN)] },
    { name => 'PreflightAllowPrivateNetwork On, asked',
      req => [OPTIONS => '/pf/l/full/ok.txt',
              [Origin => $A, ACRM => 'GET', ACRPN => 'true']],
      status => 204, hdr => { ACAPN => 'true' } },
    { name => 'PreflightAllowPrivateNetwork On, not asked',
      req => [OPTIONS => '/pf/l/full/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 204, absent => [qw(ACAPN)] },
    { name => 'PreflightAllowPrivateNetwork On, asked with false',
      req => [OPTIONS => '/pf/l/full/ok.txt',
              [Origin => $A, ACRM => 'GET', ACRPN => 'false']],
      status => 204, absent => [qw(ACAPN)] },
    { name => 'PreflightAllowPrivateNetwork On, actual',
      req => [GET => '/pf/l/full/ok.txt', [Origin => $A, ACRPN => 'true']],
      status => 200, absent => [qw(ACAPN)] },

    # PreflightSuccessStatus: 204 by default.
    { name => 'PreflightSuccessStatus default',
      req => [OPTIONS => '/pf/l/basic/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 204, empty => 1 },
    { name => 'PreflightSuccessStatus 200',
      req => [OPTIONS => '/pf/l/s200/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 200, empty => 1,
      hdr => { ACAO => $A, ACAM => 'GET, HEAD, POST' },
      pf => 'preflight-allowed' },
    { name => 'PreflightSuccessStatus 200, denied',
      req => [OPTIONS => '/pf/l/s200/ok.txt', [Origin => $A, ACRM => 'PUT']],
      status => 403, no_allow_headers => 1,
      pf => 'preflight-denied-method' },
    { name => 'PreflightSuccessStatus 204',
      req => [OPTIONS => '/pf/l/s204/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 204, empty => 1,
      hdr => { ACAO => $A } },
);

plan tests => case_tests(@cases);

run_cases(@cases);
