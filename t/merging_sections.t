use strict;
use warnings FATAL => 'all';

# README "Directives" and "Behaviour in detail", Merging +/- edits: merging
# of nested <Directory> sections and a <Location> (t/conf/pf.conf.in,
# htdocs/pf/merge and htdocs/pf/mstar): an inner directive replaces, an unset
# one inherits, +/- lists edit the inherited list, repeated lines add up,
# PreflightEngine Off switches a subtree off.

use Apache::Test;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest;

my $A = 'https://a.example.com';
my $B = 'https://b.example.com';
my $C = 'https://c.example.com';
my $D = 'https://d.example.com';
my $X = 'https://x.example.com';

my @cases = (
    # /pf/merge: origin A, methods GET PUT, headers X-A, expose X-A X-B,
    # credentials, max-age 100, success status 200.
    { name => 'outer, preflight',
      req => [OPTIONS => '/pf/merge/ok.txt',
              [Origin => $A, ACRM => 'PUT', ACRH => 'x-a']],
      status => 200, empty => 1,
      hdr => { ACAO => $A, ACAM => 'GET, PUT', ACAH => 'X-A', ACAC => 'true', ACMA => '100' },
      tokens => { Allow => [qw(GET HEAD PUT OPTIONS)] },
      pf => 'preflight-allowed' },
    { name => 'outer, actual',
      req => [GET => '/pf/merge/ok.txt', [Origin => $A]],
      status => 200,
      hdr => { ACAO => $A, ACEH => 'X-A, X-B', ACAC => 'true' },
      pf => 'cors-allowed' },

    # replace/: every list and the max-age set again.
    { name => 'replaced, preflight',
      req => [OPTIONS => '/pf/merge/replace/ok.txt',
              [Origin => $C, ACRM => 'PATCH', ACRH => 'x-c']],
      status => 200, empty => 1,
      hdr => { ACAO => $C, ACAM => 'PATCH', ACAH => 'X-C', ACAC => 'true', ACMA => '5' },
      tokens => { Allow => [qw(PATCH OPTIONS)] },
      pf => 'preflight-allowed' },
    { name => 'replaced, inherited origin gone',
      req => [OPTIONS => '/pf/merge/replace/ok.txt', [Origin => $A, ACRM => 'PATCH']],
      status => 403, no_allow_headers => 1,
      pf => 'preflight-denied-origin' },
    { name => 'replaced, inherited method gone',
      req => [OPTIONS => '/pf/merge/replace/ok.txt', [Origin => $C, ACRM => 'PUT']],
      status => 403, no_allow_headers => 1,
      pf => 'preflight-denied-method' },
    { name => 'replaced, inherited header gone',
      req => [OPTIONS => '/pf/merge/replace/ok.txt',
              [Origin => $C, ACRM => 'PATCH', ACRH => 'x-a']],
      status => 403, no_allow_headers => 1,
      pf => 'preflight-denied-header' },
    { name => 'replaced, actual',
      req => [GET => '/pf/merge/replace/ok.txt', [Origin => $C]],
      status => 200,
      hdr => { ACAO => $C, ACEH => 'X-C', ACAC => 'true' } },

    # inherit/: only the max-age set.
    { name => 'inherited, preflight',
      req => [OPTIONS => '/pf/merge/inherit/ok.txt',
              [Origin => $A, ACRM => 'PUT', ACRH => 'x-a']],
      status => 200, empty => 1,
      hdr => { ACAO => $A, ACAM => 'GET, PUT', ACAH => 'X-A', ACAC => 'true', ACMA => '7' },
      tokens => { Allow => [qw(GET HEAD PUT OPTIONS)] } },
    { name => 'inherited, actual',
      req => [GET => '/pf/merge/inherit/ok.txt', [Origin => $A]],
      status => 200,
      hdr => { ACAO => $A, ACEH => 'X-A, X-B', ACAC => 'true' } },

    # edit/: +B, +DELETE -PUT, +X-Token, -X-A (expose).
    { name => 'edited, preflight',
      req => [OPTIONS => '/pf/merge/edit/ok.txt',
              [Origin => $B, ACRM => 'DELETE', ACRH => 'x-a, x-token']],
      status => 200,
      hdr => { ACAO => $B, ACAC => 'true', ACMA => '100' },
      tokens => { ACAM => [qw(GET DELETE)], ACAH => [qw(X-A X-Token)],
                  Allow => [qw(GET HEAD DELETE OPTIONS)] },
      pf => 'preflight-allowed' },
    { name => 'edited, inherited origin kept',
      req => [OPTIONS => '/pf/merge/edit/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 200,
      hdr => { ACAO => $A } },
    { name => 'edited, removed method',
      req => [OPTIONS => '/pf/merge/edit/ok.txt', [Origin => $A, ACRM => 'PUT']],
      status => 403, no_allow_headers => 1,
      pf => 'preflight-denied-method' },
    { name => 'edited, actual',
      req => [GET => '/pf/merge/edit/ok.txt', [Origin => $B]],
      status => 200,
      hdr => { ACAO => $B, ACEH => 'X-B' } },

    # edit/deeper/: edits of edits.
    { name => 'edited twice, preflight',
      req => [OPTIONS => '/pf/merge/edit/deeper/ok.txt',
              [Origin => $B, ACRM => 'PATCH', ACRH => 'x-token']],
      status => 200,
      hdr => { ACAO => $B, ACAH => 'X-Token' },
      tokens => { ACAM => [qw(GET DELETE PATCH)],
                  Allow => [qw(GET HEAD DELETE PATCH OPTIONS)] } },
    { name => 'edited twice, removed header',
      req => [OPTIONS => '/pf/merge/edit/deeper/ok.txt',
              [Origin => $A, ACRM => 'GET', ACRH => 'x-a']],
      status => 403, no_allow_headers => 1,
      pf => 'preflight-denied-header' },

    # twolines/: two lines of each list in one section.
    { name => 'two lines, preflight',
      req => [OPTIONS => '/pf/merge/twolines/ok.txt',
              [Origin => $D, ACRM => 'DELETE', ACRH => 'x-c, x-d']],
      status => 200,
      hdr => { ACAO => $D, ACAM => 'PATCH, DELETE', ACAH => 'X-C, X-D' },
      tokens => { Allow => [qw(PATCH DELETE OPTIONS)] } },
    { name => 'two lines, first origin',
      req => [OPTIONS => '/pf/merge/twolines/ok.txt', [Origin => $C, ACRM => 'PATCH']],
      status => 200,
      hdr => { ACAO => $C } },
    { name => 'two lines still replace',
      req => [OPTIONS => '/pf/merge/twolines/ok.txt', [Origin => $A, ACRM => 'PATCH']],
      status => 403, no_allow_headers => 1,
      pf => 'preflight-denied-origin' },
    { name => 'two lines, actual',
      req => [GET => '/pf/merge/twolines/ok.txt', [Origin => $D]],
      status => 200,
      hdr => { ACAO => $D, ACEH => 'X-C, X-D' } },

    # twoedits/: two lines of edits in one section.
    { name => 'two edit lines, preflight',
      req => [OPTIONS => '/pf/merge/twoedits/ok.txt', [Origin => $B, ACRM => 'DELETE']],
      status => 200,
      hdr => { ACAO => $B },
      tokens => { ACAM => [qw(GET DELETE)] } },
    { name => 'two edit lines, removed origin',
      req => [OPTIONS => '/pf/merge/twoedits/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 403, no_allow_headers => 1,
      pf => 'preflight-denied-origin' },
    { name => 'two edit lines, removed method',
      req => [OPTIONS => '/pf/merge/twoedits/ok.txt', [Origin => $B, ACRM => 'PUT']],
      status => 403, no_allow_headers => 1,
      pf => 'preflight-denied-method' },

    # off/: the core answers; nothing of the module is left.
    engine_off('Off subtree', '/pf/merge/off/ok.txt', $A),
    { name => 'Off subtree, no Origin',
      req => [GET => '/pf/merge/off/ok.txt', []],
      status => 200, no_allow_headers => 1,
      lacks => { Vary => ['Origin'] } },
    { name => 'On again below Off inherits the outer policy',
      req => [OPTIONS => '/pf/merge/off/on/ok.txt', [Origin => $A, ACRM => 'PUT']],
      status => 200,
      hdr => { ACAO => $A, ACAM => 'GET, PUT', ACMA => '100', ACAC => 'true' },
      tokens => { Allow => [qw(GET HEAD PUT OPTIONS)] },
      pf => 'preflight-allowed' },

    # A <Location> merges after every <Directory>.
    { name => 'Location over Directory',
      req => [OPTIONS => '/pf/merge/loc/ok.txt', [Origin => $A, ACRM => 'DELETE']],
      status => 200,
      hdr => { ACAO => $A, ACAM => 'DELETE', ACMA => '100' } },
    { name => 'Location replaced the methods',
      req => [OPTIONS => '/pf/merge/loc/ok.txt', [Origin => $A, ACRM => 'PUT']],
      status => 403, no_allow_headers => 1 },

    # Two <Location> edits in a row still edit the <Directory> list: the
    # default list (GET HEAD POST) must not come back through them.
    { name => 'two Location edits over Directory',
      req => [OPTIONS => '/pf/merge/locedit/deeper/ok.txt',
              [Origin => $A, ACRM => 'DELETE']],
      status => 200,
      hdr => { ACAO => $A, ACAM => 'GET, DELETE' },
      tokens => { Allow => [qw(GET HEAD DELETE OPTIONS)] } },
    { name => 'two Location edits: PUT removed',
      req => [OPTIONS => '/pf/merge/locedit/deeper/ok.txt',
              [Origin => $A, ACRM => 'PUT']],
      status => 403, no_allow_headers => 1 },
    { name => 'two Location edits: POST of the default not brought back',
req => [OPTIONS => '/pf/merge/locedit/deeper/ok.txt', [Origin => $A, ACRM => 'POST']],
      status => 403, no_allow_headers => 1 },

    # /pf/mstar: origins * and methods *, no credentials.
    { name => 'outer *, preflight',
      req => [OPTIONS => '/pf/mstar/ok.txt', [Origin => $X, ACRM => 'PURGE']],
      status => 204,
      hdr => { ACAO => '*', ACAM => '*' },
      has => { Vary => ['Origin'] } },
    { name => 'outer *, actual',
      req => [GET => '/pf/mstar/ok.txt', [Origin => $X]],
      status => 200,
      hdr => { ACAO => '*' },
      lacks => { Vary => ['Origin'] } },
    { name => '* minus an origin refuses it',
      req => [OPTIONS => '/pf/mstar/minus/ok.txt', [Origin => $X, ACRM => 'GET']],
      status => 403, no_allow_headers => 1,
      has => { Vary => ['Origin'] },
      pf => 'preflight-denied-origin' },
    { name => '* minus an origin answers others with their origin',
      req => [OPTIONS => '/pf/mstar/minus/ok.txt', [Origin => $A, ACRM => 'PURGE']],
      status => 204,
      hdr => { ACAO => $A },
      has => { Vary => ['Origin'] },
      pf => 'preflight-allowed' },
    { name => '* minus a method refuses it',
      req => [OPTIONS => '/pf/mstar/minus/ok.txt', [Origin => $A, ACRM => 'DELETE']],
      status => 403, no_allow_headers => 1,
      pf => 'preflight-denied-method' },
    { name => '* minus an origin, actual',
      req => [GET => '/pf/mstar/minus/ok.txt', [Origin => $A]],
      status => 200,
      hdr => { ACAO => $A },
      has => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '* minus an origin, actual from it',
      req => [GET => '/pf/mstar/minus/ok.txt', [Origin => $X]],
      status => 200, no_allow_headers => 1,
      has => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },

    # mstar/cred/: * inherited, credentials set here.
    { name => 'inherited * meets credentials, preflight',
      req => [OPTIONS => '/pf/mstar/cred/ok.txt', [Origin => $A, ACRM => 'GET']],
      status => 403, no_allow_headers => 1,
      log => [qr/\[preflight:error\]/, qr/PreflightAllowOrigin/, qr/PreflightAllowCredentials/],
      pf => 'preflight-denied-origin' },
    { name => 'inherited * meets credentials, actual',
      req => [GET => '/pf/mstar/cred/ok.txt', [Origin => $A]],
      status => 200, no_allow_headers => 1,
      pf => 'cors-denied-origin' },
);

plan tests => case_tests(@cases);

run_cases(@cases);
