use strict;
use warnings FATAL => 'all';

# Merging of nested <Directory> sections and a <Location> (t/conf/pf.conf.in,
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
    { name => 'outer, preflight', path => '/pf/merge/ok.txt',
      req => [Origin => $A, ACRM => 'PUT', ACRH => 'x-a'],
      status => 200, empty => 1,
      hdr => { ACAO => $A, ACAM => 'GET, PUT', ACAH => 'X-A', ACAC => 'true', ACMA => '100' },
      allow => [qw(GET HEAD PUT OPTIONS)],
      pf => 'preflight-allowed' },
    { name => 'outer, actual', method => 'GET', path => '/pf/merge/ok.txt',
      req => [Origin => $A],
      status => 200,
      hdr => { ACAO => $A, ACEH => 'X-A, X-B', ACAC => 'true' },
      pf => 'cors-allowed' },

    # replace/: every list and the max-age set again.
    { name => 'replaced, preflight', path => '/pf/merge/replace/ok.txt',
      req => [Origin => $C, ACRM => 'PATCH', ACRH => 'x-c'],
      status => 200, empty => 1,
      hdr => { ACAO => $C, ACAM => 'PATCH', ACAH => 'X-C', ACAC => 'true', ACMA => '5' },
      allow => [qw(PATCH OPTIONS)],
      pf => 'preflight-allowed' },
    { name => 'replaced, inherited origin gone', path => '/pf/merge/replace/ok.txt',
      req => [Origin => $A, ACRM => 'PATCH'],
      status => 403, no_cors => 1,
      pf => 'preflight-denied-origin' },
    { name => 'replaced, inherited method gone', path => '/pf/merge/replace/ok.txt',
      req => [Origin => $C, ACRM => 'PUT'],
      status => 403, no_cors => 1,
      pf => 'preflight-denied-method' },
    { name => 'replaced, inherited header gone', path => '/pf/merge/replace/ok.txt',
      req => [Origin => $C, ACRM => 'PATCH', ACRH => 'x-a'],
      status => 403, no_cors => 1,
      pf => 'preflight-denied-header' },
    { name => 'replaced, actual', method => 'GET', path => '/pf/merge/replace/ok.txt',
      req => [Origin => $C],
      status => 200,
      hdr => { ACAO => $C, ACEH => 'X-C', ACAC => 'true' } },

    # inherit/: only the max-age set.
    { name => 'inherited, preflight', path => '/pf/merge/inherit/ok.txt',
      req => [Origin => $A, ACRM => 'PUT', ACRH => 'x-a'],
      status => 200, empty => 1,
      hdr => { ACAO => $A, ACAM => 'GET, PUT', ACAH => 'X-A', ACAC => 'true', ACMA => '7' },
      allow => [qw(GET HEAD PUT OPTIONS)] },
    { name => 'inherited, actual', method => 'GET', path => '/pf/merge/inherit/ok.txt',
      req => [Origin => $A],
      status => 200,
      hdr => { ACAO => $A, ACEH => 'X-A, X-B', ACAC => 'true' } },

    # edit/: +B, +DELETE -PUT, +X-Token, -X-A (expose).
    { name => 'edited, preflight', path => '/pf/merge/edit/ok.txt',
      req => [Origin => $B, ACRM => 'DELETE', ACRH => 'x-a, x-token'],
      status => 200,
      hdr => { ACAO => $B, ACAC => 'true', ACMA => '100' },
      set => { ACAM => [qw(GET DELETE)], ACAH => [qw(X-A X-Token)] },
      allow => [qw(GET HEAD DELETE OPTIONS)],
      pf => 'preflight-allowed' },
    { name => 'edited, inherited origin kept', path => '/pf/merge/edit/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 200,
      hdr => { ACAO => $A } },
    { name => 'edited, removed method', path => '/pf/merge/edit/ok.txt',
      req => [Origin => $A, ACRM => 'PUT'],
      status => 403, no_cors => 1,
      pf => 'preflight-denied-method' },
    { name => 'edited, actual', method => 'GET', path => '/pf/merge/edit/ok.txt',
      req => [Origin => $B],
      status => 200,
      hdr => { ACAO => $B, ACEH => 'X-B' } },

    # edit/deeper/: edits of edits.
    { name => 'edited twice, preflight', path => '/pf/merge/edit/deeper/ok.txt',
      req => [Origin => $B, ACRM => 'PATCH', ACRH => 'x-token'],
      status => 200,
      hdr => { ACAO => $B, ACAH => 'X-Token' },
      set => { ACAM => [qw(GET DELETE PATCH)] },
      allow => [qw(GET HEAD DELETE PATCH OPTIONS)] },
    { name => 'edited twice, removed header', path => '/pf/merge/edit/deeper/ok.txt',
      req => [Origin => $A, ACRM => 'GET', ACRH => 'x-a'],
      status => 403, no_cors => 1,
      pf => 'preflight-denied-header' },

    # twolines/: two lines of each list in one section.
    { name => 'two lines, preflight', path => '/pf/merge/twolines/ok.txt',
      req => [Origin => $D, ACRM => 'DELETE', ACRH => 'x-c, x-d'],
      status => 200,
      hdr => { ACAO => $D, ACAM => 'PATCH, DELETE', ACAH => 'X-C, X-D' },
      allow => [qw(PATCH DELETE OPTIONS)] },
    { name => 'two lines, first origin', path => '/pf/merge/twolines/ok.txt',
      req => [Origin => $C, ACRM => 'PATCH'],
      status => 200,
      hdr => { ACAO => $C } },
    { name => 'two lines still replace', path => '/pf/merge/twolines/ok.txt',
      req => [Origin => $A, ACRM => 'PATCH'],
      status => 403, no_cors => 1,
      pf => 'preflight-denied-origin' },
    { name => 'two lines, actual', method => 'GET', path => '/pf/merge/twolines/ok.txt',
      req => [Origin => $D],
      status => 200,
      hdr => { ACAO => $D, ACEH => 'X-C, X-D' } },

    # twoedits/: two lines of edits in one section.
    { name => 'two edit lines, preflight', path => '/pf/merge/twoedits/ok.txt',
      req => [Origin => $B, ACRM => 'DELETE'],
      status => 200,
      hdr => { ACAO => $B },
      set => { ACAM => [qw(GET DELETE)] } },
    { name => 'two edit lines, removed origin', path => '/pf/merge/twoedits/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 403, no_cors => 1,
      pf => 'preflight-denied-origin' },
    { name => 'two edit lines, removed method', path => '/pf/merge/twoedits/ok.txt',
      req => [Origin => $B, ACRM => 'PUT'],
      status => 403, no_cors => 1,
      pf => 'preflight-denied-method' },

    # off/: the core answers; nothing of the module is left.
    engine_off('Off subtree', '/pf/merge/off/ok.txt', $A),
    { name => 'Off subtree, no Origin', method => 'GET', path => '/pf/merge/off/ok.txt',
      req => [],
      status => 200, no_cors => 1,
      vary => { Origin => 0 } },
    { name => 'On again below Off inherits the outer policy', path => '/pf/merge/off/on/ok.txt',
      req => [Origin => $A, ACRM => 'PUT'],
      status => 200,
      hdr => { ACAO => $A, ACAM => 'GET, PUT', ACMA => '100', ACAC => 'true' },
      allow => [qw(GET HEAD PUT OPTIONS)],
      pf => 'preflight-allowed' },

    # A <Location> merges after every <Directory>.
    { name => 'Location over Directory', path => '/pf/merge/loc/ok.txt',
      req => [Origin => $A, ACRM => 'DELETE'],
      status => 200,
      hdr => { ACAO => $A, ACAM => 'DELETE', ACMA => '100' } },
    { name => 'Location replaced the methods', path => '/pf/merge/loc/ok.txt',
      req => [Origin => $A, ACRM => 'PUT'],
      status => 403, no_cors => 1 },

    # Two <Location> edits in a row still edit the <Directory> list: the
    # default list (GET HEAD POST) must not come back through them.
    { name => 'two Location edits over Directory', path => '/pf/merge/locedit/deeper/ok.txt',
      req => [Origin => $A, ACRM => 'DELETE'],
      status => 200,
      hdr => { ACAO => $A, ACAM => 'GET, DELETE' },
      allow => [qw(GET HEAD DELETE OPTIONS)] },
    { name => 'two Location edits: PUT removed', path => '/pf/merge/locedit/deeper/ok.txt',
      req => [Origin => $A, ACRM => 'PUT'],
      status => 403, no_cors => 1 },
    { name => 'two Location edits: POST of the default not brought back',
      path => '/pf/merge/locedit/deeper/ok.txt',
      req => [Origin => $A, ACRM => 'POST'],
      status => 403, no_cors => 1 },

    # /pf/mstar: origins * and methods *, no credentials.
    { name => 'outer *, preflight', path => '/pf/mstar/ok.txt',
      req => [Origin => $X, ACRM => 'PURGE'],
      status => 204,
      hdr => { ACAO => '*', ACAM => '*' },
      vary => { Origin => 1 } },
    { name => 'outer *, actual', method => 'GET', path => '/pf/mstar/ok.txt',
      req => [Origin => $X],
      status => 200,
      hdr => { ACAO => '*' },
      vary => { Origin => 0 } },
    { name => '* minus an origin refuses it', path => '/pf/mstar/minus/ok.txt',
      req => [Origin => $X, ACRM => 'GET'],
      status => 403, no_cors => 1,
      vary => { Origin => 1 },
      pf => 'preflight-denied-origin' },
    { name => '* minus an origin answers others with their origin', path => '/pf/mstar/minus/ok.txt',
      req => [Origin => $A, ACRM => 'PURGE'],
      status => 204,
      hdr => { ACAO => $A },
      vary => { Origin => 1 },
      pf => 'preflight-allowed' },
    { name => '* minus a method refuses it', path => '/pf/mstar/minus/ok.txt',
      req => [Origin => $A, ACRM => 'DELETE'],
      status => 403, no_cors => 1,
      pf => 'preflight-denied-method' },
    { name => '* minus an origin, actual', method => 'GET', path => '/pf/mstar/minus/ok.txt',
      req => [Origin => $A],
      status => 200,
      hdr => { ACAO => $A },
      vary => { Origin => 1 },
      pf => 'cors-allowed' },
    { name => '* minus an origin, actual from it', method => 'GET', path => '/pf/mstar/minus/ok.txt',
      req => [Origin => $X],
      status => 200, no_cors => 1,
      vary => { Origin => 1 },
      pf => 'cors-denied-origin' },

    # mstar/cred/: * inherited, credentials set here.
    { name => 'inherited * meets credentials, preflight', path => '/pf/mstar/cred/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 403, no_cors => 1,
      log => [qr/\[preflight:error\]/, qr/PreflightAllowOrigin/, qr/PreflightAllowCredentials/],
      pf => 'preflight-denied-origin' },
    { name => 'inherited * meets credentials, actual', method => 'GET', path => '/pf/mstar/cred/ok.txt',
      req => [Origin => $A],
      status => 200, no_cors => 1,
      pf => 'cors-denied-origin' },
);

plan tests => pf_tests(@cases);

run_pf(@cases);
