use strict;
use warnings FATAL => 'all';

# The explain handler (README "The explain handler"; SetHandler
# preflight-explain with PreflightExplain On; t/conf/explain.conf.in):
# GET /explain?uri=&origin=&method=&headers= answers JSON with the effective
# policy for the uri, where each directive was set, the decision and the
# headers the module would send. Every query value is hostile input.
#
# Requests are raw (PreflightTest's raw_request and raw_exchange) so that the
# header bytes themselves can be checked; every JSON body is parsed with
# JSON::PP, and the key order with a small parser of our own (JSON::PP does
# not keep it).

use Apache::Test;
use Apache::TestUtil;
use JSON::PP ();
use Time::HiRes qw(sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(%H raw_request raw_exchange parse_response fields_of);

my $docroot = Apache::Test::vars('documentroot');
my $logs    = Apache::Test::vars('t_logs');
my $CONF    = Apache::Test::vars('t_conf') . '/explain.conf';
my $JSON    = JSON::PP->new->canonical->allow_nonref;

# ---- where directives are: lines of the generated explain.conf, found by
# their text inside a section, and lines of .htaccess files
my @conf = do { open my $fh, '<', $CONF or die "$CONF: $!"; <$fh> };
s/^\s+|\s+$//g for @conf;
sub at {
    my ($section, $text) = @_;
    my $start;
    for my $i (0 .. $#conf) {
        if (!defined $start) {
            $start = $i if $conf[$i] eq $section;
        }
        elsif ($conf[$i] eq $text) {
            return "$CONF:" . ($i + 1);
        }
        elsif ($conf[$i] =~ m{^</}) {
            last;
        }
    }
    die "explain.conf: no '$text' in '$section'\n";
}
sub ht { my ($dir, $line) = @_; return "$docroot/$dir/.htaccess:$line" }

my $HT = <<'HT';
# written by t/explain_handler.t
PreflightAllowOrigin +https://ht-b.example.com
PreflightAllowMethods +DELETE
PreflightAllowHeaders X-Ht-B
PreflightMaxAge 60
HT

my $API = '<Location /ex/api/>';
my $DIR = qq{<Directory "$docroot/ex/dir">};
my $HTD = qq{<Directory "$docroot/ex/ht">};

my %api_policy = (
    PreflightEngine        => ['On', [at($API, 'PreflightEngine On')]],
    PreflightAllowOrigin   => [['https://a.example.com', 'https://*.example.com',
                                'https://b.example.com'],
                               [at($API, 'PreflightAllowOrigin https://a.example.com https://*.example.com'),
                                at($API, 'PreflightAllowOrigin HTTPS://B.Example.COM:443')]],
    PreflightAllowMethods  => [['GET', 'PUT'], [at($API, 'PreflightAllowMethods GET PUT')]],
    PreflightAllowHeaders  => [['X-Token', 'Content-Type'],
                               [at($API, 'PreflightAllowHeaders X-Token Content-Type')]],
    PreflightExposeHeaders => [['X-Request-Id'], [at($API, 'PreflightExposeHeaders X-Request-Id')]],
    PreflightAllowCredentials => ['On', [at($API, 'PreflightAllowCredentials On')]],
    PreflightMaxAge        => [600, [at($API, 'PreflightMaxAge 600')]],
    PreflightAllowPrivateNetwork => ['Off', []],
    PreflightSuccessStatus => [204, []],
    PreflightPassthrough   => ['Off', []],
    PreflightTenantLimit   => [[], []],
);
my %defaults = (
    PreflightEngine        => ['Off', []],
    PreflightAllowOrigin   => [[], []],
    PreflightAllowMethods  => [['GET', 'HEAD', 'POST'], []],
    PreflightAllowHeaders  => [[], []],
    PreflightExposeHeaders => [[], []],
    PreflightAllowCredentials => ['Off', []],
    PreflightMaxAge        => [undef, []],
    PreflightAllowPrivateNetwork => ['Off', []],
    PreflightSuccessStatus => [204, []],
    PreflightPassthrough   => ['Off', []],
    PreflightTenantLimit   => [[], []],
);
my @DIRECTIVES = qw(PreflightEngine PreflightAllowOrigin PreflightAllowMethods
    PreflightAllowHeaders PreflightExposeHeaders PreflightAllowCredentials
    PreflightMaxAge PreflightAllowPrivateNetwork PreflightSuccessStatus
    PreflightPassthrough PreflightTenantLimit);

my ($ACAO, $ACAC, $ACAM, $ACAH, $ACEH, $ACMA) = @H{qw(ACAO ACAC ACAM ACAH ACEH ACMA)};

my $A = 'https://a.example.com';

# ---- the explained cases
# q: the query string, as sent
# write: as in PreflightTest, the .htaccess to write first
# request, lookup: the expected JSON objects (lookup.filename relative to the
#   document root, or undef; lookup.handler undef unless given)
# filename, handler: lookup.filename must be null or a path; lookup.handler is handler
# lookup_status: lookup.status ('any' list: one of)
# fails: the lookup.status of a lookup that failed: then only an error
# mode, verdict, allowed, decision_status ('any' list: one of), reason (qr//):
#   the JSON's mode and decision
# applied: 0 (not sent: ReportOnly) -- "applied": false or the reason says so
# would_send: the JSON's headers object, exactly these; list values compare
#   as token sets
# policy: { directive => [value, [set_at...], except] }
# order: the keys of each object in their order
# no_error_log: the module logged no denial for the explain request
my @cases = (
    { name => 'Location policy: preflight allowed',
      q => "uri=/ex/api/x.txt&origin=$A&method=PUT&headers=x-token",
      request => { uri => '/ex/api/x.txt', origin => $A, method => 'PUT',
                   headers => 'x-token', kind => 'preflight' },
      lookup => { status => 200, uri => '/ex/api/x.txt', filename => 'ex/api/x.txt' },
      mode => 'On', verdict => 'preflight-allowed', allowed => 1, decision_status => 204,
      reason => qr/allow/i,
      would_send => { $ACAO => $A, $ACAC => 'true', $ACAM => 'GET, PUT',
                   $ACAH => 'X-Token, Content-Type', $ACMA => '600',
                   Allow => 'GET, HEAD, PUT, OPTIONS', Vary => 'Origin' },
      policy => \%api_policy, order => 1 },
    { name => 'Location policy: preflight denied, origin',
      q => 'uri=/ex/api/x.txt&origin=https://evil.example.net&method=PUT',
      mode => 'On', verdict => 'preflight-denied-origin', allowed => 0, decision_status => 403,
      reason => qr/^origin 'https:\/\/evil\.example\.net' is not in PreflightAllowOrigin/,
      would_send => { Vary => 'Origin' }, no_error_log => 1 },
    { name => 'Location policy: preflight denied, method',
      q => "uri=/ex/api/x.txt&origin=$A&method=DELETE",
      verdict => 'preflight-denied-method', allowed => 0, decision_status => 403,
      reason => qr/^method 'DELETE' is not in PreflightAllowMethods/,
      would_send => { Vary => 'Origin' }, no_error_log => 1 },
    { name => 'Location policy: methods compare case-sensitively',
      q => "uri=/ex/api/x.txt&origin=$A&method=put",
      verdict => 'preflight-denied-method', allowed => 0, decision_status => 403,
      reason => qr/method 'put' is not in PreflightAllowMethods/ },
    { name => 'Location policy: preflight denied, header',
      q => "uri=/ex/api/x.txt&origin=$A&method=PUT&headers=x-token,x-bad",
      verdict => 'preflight-denied-header', allowed => 0, decision_status => 403,
      reason => qr/^header 'x-bad' is not in PreflightAllowHeaders/i,
      would_send => { Vary => 'Origin' }, no_error_log => 1 },
    { name => 'Location policy: + in headers is a space',
      q => "uri=/ex/api/x.txt&origin=$A&method=PUT&headers=x-token,+content-type",
      request => { uri => '/ex/api/x.txt', origin => $A, method => 'PUT',
                   headers => 'x-token, content-type', kind => 'preflight' },
      verdict => 'preflight-allowed', allowed => 1, decision_status => 204 },
    { name => 'Location policy: actual allowed by a wildcard',
      q => 'uri=/ex/api/x.txt&origin=https://sub.example.com',
      request => { uri => '/ex/api/x.txt', origin => 'https://sub.example.com',
                   method => undef, headers => undef, kind => 'actual' },
      verdict => 'cors-allowed', allowed => 1, decision_status => undef, reason => qr/allow/i,
      would_send => { $ACAO => 'https://sub.example.com', $ACAC => 'true',
                   $ACEH => 'X-Request-Id', Vary => 'Origin' } },
    { name => 'Location policy: actual denied (the bare parent)',
      q => 'uri=/ex/api/x.txt&origin=https://example.com',
      verdict => 'cors-denied-origin', allowed => 0, decision_status => undef,
      reason => qr/^origin 'https:\/\/example\.com' is not in PreflightAllowOrigin/,
      would_send => { Vary => 'Origin' }, no_error_log => 1 },
    { name => 'Location policy: no Origin',
      q => 'uri=/ex/api/x.txt',
      request => { uri => '/ex/api/x.txt', origin => undef, method => undef,
                   headers => undef, kind => 'no-origin' },
      mode => 'On', verdict => undef, decision_status => undef,
      would_send => { Vary => 'Origin' } },
    { name => 'uri with a query',
      q => "uri=/ex/api/x.txt%3Fa%3D1%26b%3D2&origin=$A",
      request => { uri => '/ex/api/x.txt?a=1&b=2', origin => $A, method => undef,
                   headers => undef, kind => 'actual' },
      lookup => { status => 200, uri => '/ex/api/x.txt', filename => 'ex/api/x.txt' },
      verdict => 'cors-allowed' },
    { name => 'uri percent-encoded',
      q => "uri=/ex/api/%2578.txt&origin=$A",
      request => { uri => '/ex/api/%78.txt', origin => $A, method => undef,
                   headers => undef, kind => 'actual' },
      lookup => { status => 200, uri => '/ex/api/x.txt', filename => 'ex/api/x.txt' },
      verdict => 'cors-allowed' },
    { name => '.. inside the uri: explained as httpd resolves it',
      q => 'uri=/ex/api/../secret/x.txt&origin=https://secret.example.com',
      lookup => { status => 200, uri => '/ex/secret/x.txt', filename => 'ex/secret/x.txt' },
      mode => 'On', verdict => 'cors-allowed', allowed => 1,
      policy => { PreflightAllowOrigin => [['https://secret.example.com'],
          [at('<Location /ex/secret/>', 'PreflightAllowOrigin https://secret.example.com')]] } },

    # <Directory> + .htaccess: file and line of each, edits appending
    { name => '.htaccess: preflight allowed', write => ['ex/ht', $HT],
      q => 'uri=/ex/ht/x.txt&origin=https://ht-b.example.com&method=DELETE&headers=x-ht-b',
      lookup => { status => 200, uri => '/ex/ht/x.txt', filename => 'ex/ht/x.txt' },
      mode => 'On', verdict => 'preflight-allowed', allowed => 1, decision_status => 200,
      would_send => { $ACAO => 'https://ht-b.example.com', $ACAM => 'GET, PUT, DELETE',
                   $ACAH => 'X-Ht-B', $ACMA => '60',
                   Allow => 'GET, HEAD, PUT, DELETE, OPTIONS', Vary => 'Origin' },
      policy => {
          PreflightEngine => ['On', [at($HTD, 'PreflightEngine On')]],
          PreflightAllowOrigin => [['https://ht-a.example.com', 'https://ht-b.example.com'],
              [at($HTD, 'PreflightAllowOrigin https://ht-a.example.com'), ht('ex/ht', 2)]],
          PreflightAllowMethods => [['GET', 'PUT', 'DELETE'],
              [at($HTD, 'PreflightAllowMethods GET PUT'), ht('ex/ht', 3)]],
          PreflightAllowHeaders => [['X-Ht-B'], [ht('ex/ht', 4)]],
          PreflightMaxAge => [60, [ht('ex/ht', 5)]],
          PreflightSuccessStatus => [200, [at($HTD, 'PreflightSuccessStatus 200')]],
          PreflightAllowCredentials => ['Off', []],
      } },
    { name => '.htaccess: the inherited origin, a replaced header',
      q => 'uri=/ex/ht/x.txt&origin=https://ht-a.example.com&method=GET&headers=x-ht-a',
      verdict => 'preflight-denied-header', allowed => 0, decision_status => 403,
      reason => qr/header 'x-ht-a' is not in PreflightAllowHeaders/i,
      would_send => { Vary => 'Origin' } },

    # <Directory> edited by two <Location> lines; two replacing lines
    { name => 'Directory + Location edits',
      q => 'uri=/ex/dir/x.txt&origin=https://dir-c.example.com',
      mode => 'On', verdict => 'cors-allowed', allowed => 1, decision_status => undef,
      would_send => { $ACAO => 'https://dir-c.example.com', Vary => 'Origin' },
      policy => {
          PreflightAllowOrigin => [['https://dir-b.example.com', 'https://dir-c.example.com'],
              [at($DIR, 'PreflightAllowOrigin https://dir-a.example.com https://dir-b.example.com'),
               at('<Location /ex/dir/>', 'PreflightAllowOrigin +https://dir-c.example.com'),
               at('<Location /ex/dir/>', 'PreflightAllowOrigin -https://dir-a.example.com')]],
          PreflightAllowMethods => [['PATCH', 'DELETE'],
              [at($DIR, 'PreflightAllowMethods PATCH'), at($DIR, 'PreflightAllowMethods DELETE')]],
      } },
    { name => 'Directory, Files and Location, merged in that order',
      q => 'uri=/ex/dir/x.json&origin=https://files.example.com',
      lookup => { status => 200, uri => '/ex/dir/x.json', filename => 'ex/dir/x.json' },
      verdict => 'cors-allowed', allowed => 1,
      policy => {
          PreflightAllowOrigin => [['https://dir-b.example.com', 'https://files.example.com',
                                    'https://dir-c.example.com'],
              [at($DIR, 'PreflightAllowOrigin https://dir-a.example.com https://dir-b.example.com'),
               at('<Files "*.json">', 'PreflightAllowOrigin +https://files.example.com'),
               at('<Location /ex/dir/>', 'PreflightAllowOrigin +https://dir-c.example.com'),
               at('<Location /ex/dir/>', 'PreflightAllowOrigin -https://dir-a.example.com')]],
      } },
    { name => 'Directory + Location edits: removed origin',
      q => 'uri=/ex/dir/x.txt&origin=https://dir-a.example.com',
      verdict => 'cors-denied-origin', allowed => 0, decision_status => undef,
      reason => qr/^origin 'https:\/\/dir-a\.example\.com' is not in PreflightAllowOrigin/,
      would_send => { Vary => 'Origin' } },

    # "*"
    { name => 'origin *: sent literally',
      q => 'uri=/ex/star/x.txt&origin=https://y.example.com',
      verdict => 'cors-allowed', allowed => 1,
      would_send => { $ACAO => '*' },
      policy => { PreflightAllowOrigin => [['*'], [at('<Location /ex/star/>', 'PreflightAllowOrigin *')]] } },
    { name => 'origin * with an exception: echoed',
      q => 'uri=/ex/star/minus/x.txt&origin=https://y.example.com',
      verdict => 'cors-allowed', allowed => 1,
      would_send => { $ACAO => 'https://y.example.com', Vary => 'Origin' },
      policy => { PreflightAllowOrigin => [['*'],
          [at('<Location /ex/star/>', 'PreflightAllowOrigin *'),
           at('<Location /ex/star/minus/>', 'PreflightAllowOrigin -https://x.example.com')],
          ['https://x.example.com']] } },
    { name => 'origin * with an exception: the exception',
      q => 'uri=/ex/star/minus/x.txt&origin=https://x.example.com',
      verdict => 'cors-denied-origin', allowed => 0,
      would_send => { Vary => 'Origin' } },

    # modes
    { name => 'ReportOnly: decided as On, nothing sent',
      q => 'uri=/ex/ro/x.txt&origin=https://ro.example.com&method=PUT',
      mode => 'ReportOnly', verdict => 'preflight-allowed', allowed => 1,
      decision_status => ['any', 204, undef], applied => 0,
      would_send => { $ACAO => 'https://ro.example.com', $ACAM => 'PUT',
                   Allow => 'PUT, OPTIONS', Vary => 'Origin' },
      policy => { PreflightEngine => ['ReportOnly',
          [at('<Location /ex/ro/>', 'PreflightEngine ReportOnly')]] } },
    { name => 'ReportOnly: denied method',
      q => 'uri=/ex/ro/x.txt&origin=https://ro.example.com&method=DELETE',
      mode => 'ReportOnly', verdict => 'preflight-denied-method', allowed => 0,
      reason => qr/method 'DELETE' is not in PreflightAllowMethods/,
      would_send => { Vary => 'Origin' }, no_error_log => 1 },
    { name => 'PreflightEngine Off: policy shown, nothing decided',
      q => 'uri=/ex/off/x.txt&origin=https://off.example.com&method=GET',
      mode => 'Off', verdict => undef, allowed => 0, decision_status => undef,
      reason => qr/nothing|leaves|alone|does not/i, would_send => {},
      policy => {
          PreflightEngine => ['Off', [at('<Location /ex/off/>', 'PreflightEngine Off')]],
          PreflightAllowOrigin => [['https://off.example.com'],
              [at('<Location /ex/off/>', 'PreflightAllowOrigin https://off.example.com')]],
      } },
    { name => 'no configuration: the defaults, set nowhere',
      q => "uri=/ex/none/x.txt&origin=$A&method=GET",
      lookup => { status => 200, uri => '/ex/none/x.txt', filename => 'ex/none/x.txt' },
      mode => 'Off', verdict => undef, allowed => 0, decision_status => undef,
      reason => qr/nothing|leaves|alone|does not/i, would_send => {},
      policy => \%defaults },
    { name => 'passthrough: the handler answers',
      q => 'uri=/ex/pass/x.txt&origin=https://pass.example.com&method=PUT',
      verdict => 'preflight-allowed', allowed => 1, decision_status => undef,
      reason => qr/handler/i,
      would_send => { $ACAO => 'https://pass.example.com', $ACAM => 'PUT', Vary => 'Origin' },
      policy => { PreflightPassthrough => ['On',
          [at('<Location /ex/pass/>', 'PreflightPassthrough On')]] } },
    { name => 'wildcards echoed with credentials',
      q => 'uri=/ex/wild/x.txt&origin=https://a.b.wild.example&method=PATCH&headers=x-one,x-two',
      verdict => 'preflight-allowed', allowed => 1, decision_status => 204,
      would_send => { $ACAO => 'https://a.b.wild.example', $ACAC => 'true',
                   $ACAM => 'PATCH', $ACAH => 'x-one, x-two',
                   Allow => 'PATCH, OPTIONS',
                   Vary => 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' },
      policy => { PreflightAllowMethods => [['*'],
                      [at('<Location /ex/wild/>', 'PreflightAllowMethods *')]],
                  PreflightAllowPrivateNetwork => ['On',
                      [at('<Location /ex/wild/>', 'PreflightAllowPrivateNetwork On')]] } },
    { name => 'wildcard origin: not the parent',
      q => 'uri=/ex/wild/x.txt&origin=https://wild.example&method=PATCH',
      verdict => 'preflight-denied-origin', allowed => 0, decision_status => 403,
      would_send => { Vary => 'Origin' } },

    # lookups that end in authentication or in a refusal
    { name => '401 area: actual, policy shown',
      q => 'uri=/ex/auth/x.txt&origin=https://auth.example.com',
      lookup => { status => 401, uri => '/ex/auth/x.txt', filename => 'ex/auth/x.txt' },
      mode => 'On', verdict => 'cors-allowed', allowed => 1,
      would_send => { $ACAO => 'https://auth.example.com', $ACAC => 'true', Vary => 'Origin' } },
    { name => '401 area: preflight skips authentication',
      q => 'uri=/ex/auth/x.txt&origin=https://auth.example.com&method=PUT',
      lookup_status => ['any', 200, 401],
      mode => 'On', verdict => 'preflight-allowed', allowed => 1, decision_status => 204 },
    # the lookup runs with the method of the request explained
    { name => 'OPTIONS refused by <Limit>: preflight lookup fails',
      q => 'uri=/ex/limit/x.txt&origin=https://limit.example.com&method=GET',
      fails => 403 },
    { name => 'OPTIONS refused by <Limit>: actual (GET) lookup works',
      q => 'uri=/ex/limit/x.txt&origin=https://limit.example.com',
      lookup => { status => 200, uri => '/ex/limit/x.txt', filename => 'ex/limit/x.txt' },
      verdict => 'cors-allowed', allowed => 1 },
    { name => 'proxied uri: no file on disk',
      q => 'uri=/ex/proxy/data.txt&origin=https://proxy.example.com',
      filename => 'null or a path', handler => 'proxy-server',
      verdict => 'cors-allowed', allowed => 1 },
    { name => '403 area without a policy',
      q => 'uri=/ex/denied/x.txt&origin=https://a.example.com',
      fails => 403 },
    { name => 'broken .htaccess: 500',
      write => ['ex/broken', "PreflightEngine On\nPreflightAllowOrigin https://a.example.com/path\n"],
      q => 'uri=/ex/broken/x.txt&origin=https://a.example.com&method=GET',
      fails => 500 },
);

# ---- hostile input. Every case: a defined status, a JSON body that parses,
# header values without CR/LF/NUL, no header named after injected text, no
# Access-Control-* on the explain response (Vary: Accept alone), no policy unless the
# lookup worked, and the server answers the next request.
# bad: the parameter a 400 must name; status: the explain response's status
# ('any' list: one of); lookup_fails, inside_root, echo, not_allowed: what
# the JSON must say of the lookup, the file, a value and the decision
my $INJ = '%0d%0aX-Injected:%20yes';
my %base = (uri => '/ex/api/x.txt', origin => $A, method => 'PUT', headers => 'x-token');
sub query {
    my %p = (%base, @_);
    return join '&', map { "$_=$p{$_}" } grep { defined $p{$_} } qw(uri origin method headers);
}
my @hostile;
for my $param (qw(uri origin method headers)) {
    for my $bad ($INJ, '%0d%0a', '%0a', '%0d', '%00', '%ff%fe', '%c3%28', '%c3%a4',
                 '%7f', '%1b', '%09') {
        push @hostile, { name => "$param with $bad",
                         q => query($param => $base{$param} . $bad), bad => $param };
    }
    for my $bad ('%zz', '%4', '%', '%%41') {
        push @hostile, { name => "$param with bad percent-encoding $bad",
                         q => query($param => $base{$param} . $bad), bad => $param };
    }
    push @hostile, { name => "$param twice",
                     q => query() . "&$param=$base{$param}", bad => $param };
}
push @hostile, (
    { name => 'injection in a parameter name', q => query() . "&x$INJ=1",
      status => 400 },
    { name => 'unknown parameter', q => query() . '&foo=1', bad => 'foo' },
    { name => 'uri missing', q => "origin=$A&method=PUT", bad => 'uri' },
    { name => 'empty query', q => '', bad => 'uri' },
    { name => 'no query at all', path => '/explain', bad => 'uri' },
    { name => 'empty uri', q => query(uri => ''), bad => 'uri' },
    # a blank field of the inspector's form: the request goes without it
    { name => 'empty method: no method', q => query(method => ''), status => 200,
      echo => [kind => 'actual'] },
    { name => 'empty origin', q => query(origin => ''), status => ['any', 200, 400],
      not_allowed => 1 },
    { name => 'empty headers', q => query(headers => ''), status => ['any', 200, 400] },
    { name => 'uri without a slash', q => query(uri => 'ex/api/x.txt'), bad => 'uri' },
    { name => 'uri http://evil/', q => query(uri => 'http://evil/'), bad => 'uri' },
    { name => 'uri http://evil/ encoded', q => query(uri => 'http%3A%2F%2Fevil%2F'), bad => 'uri' },
    { name => 'uri *', q => query(uri => '*'), bad => 'uri' },
    { name => 'method not a token', q => query(method => 'PU(T'), bad => 'method' },
    { name => 'method with a space (+)', q => query(method => 'PU+T'), bad => 'method' },
    { name => 'method with a colon', q => query(method => 'X:Y'), bad => 'method' },

    # lengths: at the limit and one byte over
    { name => 'uri of 2048 bytes', q => query(uri => '/ex/api/' . ('a' x 2040)),
      status => 200 },
    { name => 'uri of 2049 bytes', q => query(uri => '/ex/api/' . ('a' x 2041)), bad => 'uri' },
    { name => 'origin of 512 bytes',
      q => query(origin => 'https://' . ('a' x 492) . '.example.com'), status => 200,
      not_allowed => 1 },
    { name => 'origin of 513 bytes',
      q => query(origin => 'https://' . ('a' x 493) . '.example.com'), bad => 'origin' },
    { name => 'method of 64 bytes', q => query(method => 'M' x 64), status => 200,
      not_allowed => 1 },
    { name => 'method of 65 bytes', q => query(method => 'M' x 65), bad => 'method' },
    { name => 'headers of 4096 bytes', q => query(headers => 'x-' . ('a' x 4094)),
      status => 200, not_allowed => 1 },
    { name => 'headers of 4097 bytes', q => query(headers => 'x-' . ('a' x 4095)),
      bad => 'headers' },
    { name => 'origin of 10 KB', q => query(origin => 'https://' . ('a' x 10240)),
      status => ['any', 400, 414] },
    { name => 'query of 100 KB', q => query(headers => 'x-a,' x 25600),
      status => ['any', 400, 414] },
    { name => '4000 commas in headers', q => query(headers => ',' x 4000),
      status => ['any', 200, 400], not_allowed => 1 },

    # uris that leave the document root, or that httpd refuses
    { name => 'uri /../../etc/passwd', q => query(uri => '/../../etc/passwd'),
      status => 200, lookup_fails => 1 },
    { name => 'uri /%2e%2e/%2e%2e/etc/passwd',
      q => query(uri => '/%252e%252e/%252e%252e/etc/passwd'), status => 200,
      lookup_fails => 1 },
    { name => 'uri /%2e%2e/%2e%2e/etc/passwd decoded by the form',
      q => query(uri => '/%2e%2e/%2e%2e/etc/passwd'), status => 200, lookup_fails => 1 },
    { name => 'uri /ex/api/../../../etc/passwd',
      q => query(uri => '/ex/api/../../../etc/passwd'), status => 200, lookup_fails => 1 },
    { name => 'uri //etc/passwd', q => query(uri => '//etc/passwd'), status => 200,
      inside_root => 1 },
    { name => 'uri with an encoded NUL', q => query(uri => '/ex/api/x%2500.txt'),
      status => 200, lookup_fails => 1 },
    { name => 'uri with an encoded slash', q => query(uri => '/ex/api%252fx.txt'),
      status => 200, lookup_fails => 1 },
    { name => 'uri with a bad escape', q => query(uri => '/ex/api/%25zz'),
      status => 200, lookup_fails => 1 },
    { name => 'uri of the explain handler itself', q => query(uri => '/explain%3Furi%3D/'),
      status => 200 },

    # printable bytes that JSON must escape
    { name => 'quote and backslash in origin', q => query(origin => 'https://a%22b%5Cc'),
      status => 200, echo => [origin => 'https://a"b\\c'], not_allowed => 1 },
    { name => 'quote and backslash in headers', q => query(headers => 'x-a%22,%5C'),
      status => 200, echo => [headers => 'x-a",\\'], not_allowed => 1 },
    { name => 'quote and backslash in uri', q => query(uri => '/ex/api/%22%5C'),
      status => 200, echo => [uri => '/ex/api/"\\'] },
    { name => 'markup in origin', q => query(origin => '%3C/script%3E%3Cscript%3E'),
      status => 200, echo => [origin => '</script><script>'], not_allowed => 1 },
);

# ---- other methods, and headers of the explain request itself
my @methods = (
    { name => 'HEAD', method => 'HEAD', q => "uri=/ex/api/x.txt&origin=$A" },
    { name => 'POST', method => 'POST', q => "uri=/ex/api/x.txt&origin=$A" },
    { name => 'PUT', method => 'PUT', q => "uri=/ex/api/x.txt&origin=$A" },
    { name => 'DELETE', method => 'DELETE', q => "uri=/ex/api/x.txt&origin=$A" },
);

my $tests = 0;
$tests += @{[ case_checks($_) ]} for @cases;
$tests += @{[ hostile_checks($_) ]} for @hostile;
$tests += 4 + 3 * 3;            # HEAD, then POST/PUT/DELETE
$tests += 3;                    # the explain request's own headers are ignored
my @same_words = (              # [origin, method, headers] of a refused preflight
    ['https://evil.example.net', 'PUT', undef],
    [$A, 'DELETE', undef],
    [$A, 'PUT', 'x-token,x-bad'],
);
$tests += @same_words;
plan tests => $tests;

for my $c (@cases) {
    t_write_file("$docroot/$c->{write}[0]/.htaccess", $c->{write}[1]) if $c->{write};
    my $off = -s "$logs/error_log";
    my $r = explain($c->{q});
    $r->{log_off} = $off;
    run_checks($c->{name}, $r, case_checks($c));
}
for my $c (@hostile) {
    my $r = explain($c->{q}, $c->{path});
    run_checks($c->{name}, $r, hostile_checks($c));
}

# HEAD: the same headers, no body
{
    my $get  = explain($methods[0]{q});
    my $head = explain($methods[0]{q}, undef, 'HEAD');
    ok t_cmp($head->{status}, 200, 'HEAD: status');
    ok t_cmp(header($head, 'Content-Type') // '', qr{^application/json\b}, 'HEAD: Content-Type');
    ok t_cmp(header($head, 'Content-Length') // '(none)',
             header($get, 'Content-Length') // '(none)', 'HEAD: Content-Length of the GET');
    ok t_cmp(length $head->{body}, 0, 'HEAD: no body');
}
for my $m (@methods[1 .. $#methods]) {
    my $r = explain($m->{q}, undef, $m->{method}, 'x=1');
    ok t_cmp($r->{status}, 405, "$m->{name}: 405");
    my @allow = map { s/^\s+|\s+$//gr } split /,/, header($r, 'Allow') // '';
    ok t_cmp(join(' ', sort grep { /^(?:GET|HEAD)$/ } @allow), 'GET HEAD',
             "$m->{name}: Allow has GET and HEAD");
    ok t_cmp(join(' ', grep { /^(?:POST|PUT|DELETE|PATCH)$/ } @allow), '',
             "$m->{name}: Allow has no other method of the handler");
}

# The explain request's own Origin and preflight headers are not the ones
# explained, and get nothing of CORS back.
{
    my $r = explain('uri=/ex/api/x.txt', undef, 'GET', undef,
                    [Origin => $A, 'Access-Control-Request-Method' => 'PUT']);
    my $j = $r->{json} || {};
    ok t_cmp($j->{request}{kind} // '(none)', 'no-origin',
             "explain request's own Origin: not explained");
    ok t_cmp(join(', ', map { "$_->[0]: $_->[1]" }
                        grep { $_->[0] =~ /^access-control-/i || ($_->[0] =~ /^vary$/i && $_->[1] ne 'Accept') }
                        @{ $r->{headers} }),
             '', "explain request's own Origin: no Access-Control-* back, Vary: Accept alone");
    ok t_cmp($r->{status}, 200, "explain request's own Origin: status");
}

# A denial's reason in the explain answer is the error log's for the same
# request.
for my $w (@same_words) {
    my ($origin, $method, $hdrs) = @$w;
    my $off = -s "$logs/error_log";
    raw_exchange(raw_request(OPTIONS => '/ex/api/x.txt',
                             [Origin => $origin, ACRM => $method,
                              defined $hdrs ? (ACRH => $hdrs) : ()]));
    my $logged = '(no log line)';
    for (1 .. 20) {
        open my $fh, '<', "$logs/error_log" or last;
        seek $fh, $off, 0;
        my ($line) = grep { m{preflight denied for /ex/api/x\.txt: } } <$fh>;
        if ($line) {
            ($logged) = $line =~ m{preflight denied for /ex/api/x\.txt: (.*?)\s*$};
            last;
        }
        sleep 0.05;
    }
    my $r = explain("uri=/ex/api/x.txt&origin=$origin&method=$method"
                    . (defined $hdrs ? "&headers=$hdrs" : ''));
    ok t_cmp(decision($r)->{reason} // '(none)', $logged,
             "same words as the error log: $origin $method " . ($hdrs // ''));
}

# ---- checks

# [what, sub ($r) returning the value, expected]
sub case_checks {
    my $c = shift;
    my @k;
    if ($c->{fails}) {
        push @k, ['200 JSON', sub { envelope($_[0]) }, '200 application/json no-store nosniff'];
        push @k, ['lookup.status', sub { lookup($_[0])->{status} // '(none)' }, $c->{fails}];
        push @k, ['no policy, decision or headers, an error',
                  sub { keys_of($_[0]) }, 'error lookup request'];
        return @k;
    }
    push @k, ['200 JSON', sub { envelope($_[0]) }, '200 application/json no-store nosniff'];
    push @k, ['key order', sub { join ' ', @{ $_[0]{order}{''} || ['(unparsed)'] } },
              qr/^request lookup mode counters warnings policy decision headers$/];
    if ($c->{order}) {
        push @k, ['request keys in order', sub { join ' ', @{ $_[0]{order}{'/request'} || [] } },
                  'uri origin method headers kind'];
        push @k, ['lookup keys in order', sub { join ' ', @{ $_[0]{order}{'/lookup'} || [] } },
                  'status uri filename handler'];
        push @k, ['policy keys in order', sub { join ' ', @{ $_[0]{order}{'/policy'} || [] } },
                  join(' ', @DIRECTIVES)];
        push @k, ['decision keys', sub { join ' ', sort grep { $_ ne 'applied' }
                                         @{ $_[0]{order}{'/decision'} || [] } },
                  'allowed console max_age_by_engine reason status verdict'];
    }
    if ($c->{request}) {
        push @k, ['request', sub { $JSON->encode(json($_[0])->{request}) },
                  $JSON->encode($c->{request})];
    }
    if (my $l = $c->{lookup}) {
        my %want = (handler => undef, %$l,
                    filename => defined $l->{filename} ? "$docroot/$l->{filename}" : undef);
        push @k, ['lookup', sub { $JSON->encode(json($_[0])->{lookup}) }, $JSON->encode(\%want)];
    }
    if ($c->{filename}) {
        push @k, ['lookup.filename is null or a path on disk',
                  sub { my $f = lookup($_[0])->{filename};
                        !defined $f || $f =~ m{^/} ? 'null or a path' : $f }, $c->{filename}];
    }
    if ($c->{handler}) {
        push @k, ['lookup.handler', sub { lookup($_[0])->{handler} }, $c->{handler}];
    }
    if ($c->{lookup_status}) {
        push @k, ['lookup.status', sub { lookup($_[0])->{status} }, $c->{lookup_status}];
    }
    push @k, ['mode', sub { json($_[0])->{mode} }, $c->{mode}] if exists $c->{mode};
    push @k, ['decision.verdict', sub { decision($_[0])->{verdict} }, $c->{verdict}]
        if exists $c->{verdict};
    push @k, ['decision.allowed', sub { bool(decision($_[0])->{allowed}) }, $c->{allowed} ? 'true' : 'false']
        if exists $c->{allowed};
    push @k, ['decision.status', sub { decision($_[0])->{status} }, $c->{decision_status}]
        if exists $c->{decision_status};
    push @k, ['decision.reason', sub { decision($_[0])->{reason} // '' }, $c->{reason}]
        if $c->{reason};
    if (exists $c->{applied}) {
        push @k, ['decision says nothing is sent',
                  sub { my $d = decision($_[0]);
                        (exists $d->{applied} && !$d->{applied})
                        || ($d->{reason} // '') =~ /report|not sent|nothing is sent/i
                        ? 'says so' : 'applied: ' . bool($d->{applied}) . ", reason: " . ($d->{reason} // '') },
                  'says so'];
    }
    if ($c->{would_send}) {
        push @k, ['headers', sub { headers_canon(json($_[0])->{headers}) },
                  headers_canon($c->{would_send})];
    }
    for my $d (sort keys %{ $c->{policy} || {} }) {
        my ($value, $set_at, $except) = @{ $c->{policy}{$d} };
        push @k, ["policy $d", sub { policy_canon($d, json($_[0])->{policy}{$d}) },
                  policy_canon($d, { value => $value,
                                     set_at => [map { my ($f, $l) = /^(.*):(\d+)$/;
                                                      { file => $f, line => $l } } @$set_at],
                                     defined $except ? (except => $except) : () })];
    }
    if ($c->{no_error_log}) {
        push @k, ['no denial in the error log', sub { denials_since($_[0]{log_off}) }, ''];
    }
    push @k, common_checks();
    return @k;
}

sub hostile_checks {
    my $c = shift;
    my @k;
    my $want = $c->{bad} ? 400 : $c->{status};
    push @k, ['status', sub { $_[0]{status} }, $want];
    push @k, ['JSON body that parses (unless httpd answered 414)',
              sub { $_[0]{status} == 414 || $_[0]{json} ? 'ok' : "unparsed: $_[0]{body}" }, 'ok'];
    if ($c->{bad}) {
        push @k, ['error names the parameter',
                  sub { json($_[0])->{error} // '(no error)' }, qr/\b\Q$c->{bad}\E\b/];
        push @k, ['only an error',
                  sub { join ' ', sort keys %{ json($_[0]) } }, 'error'];
        push @k, ['Content-Type application/json',
                  sub { header($_[0], 'Content-Type') // '(none)' }, qr{^application/json\b}];
    }
    if ($c->{lookup_fails}) {
        push @k, ['lookup failed, nothing shown',
                  sub { my $s = lookup($_[0])->{status} // 0;
                        ($s >= 200 && $s < 300) || $s == 401 ? "lookup.status $s" : keys_of($_[0]) },
                  'error lookup request'];
    }
    if ($c->{inside_root}) {
        push @k, ['stays inside the document root',
                  sub { my $f = lookup($_[0])->{filename};
                        !defined $f || index($f, "$docroot/") == 0 ? 'inside' : $f }, 'inside'];
    }
    if ($c->{echo}) {
        my ($key, $value) = @{ $c->{echo} };
        push @k, ["request.$key as given", sub { json($_[0])->{request}{$key} // '(none)' }, $value];
    }
    if ($c->{not_allowed}) {
        push @k, ['not allowed',
                  sub { $_[0]{status} == 400 ? 'false' : bool(decision($_[0])->{allowed}) }, 'false'];
    }
    push @k, common_checks();
    push @k, ['the server answers the next request',
              sub { my $n = explain("uri=/ex/api/x.txt&origin=$A");
                    "$n->{status} " . (json($n)->{decision}{verdict} // '') }, '200 cors-allowed'];
    return @k;
}

# For every explain response.
sub common_checks {
    return (
        ['header lines clean',
         sub { join '; ', map { "$_->[0]: $_->[1]" }
                   grep { $_->[1] =~ /[\r\n\0]/ || $_->[0] =~ /injected|[^-!#\$%&'*+.^_`|~0-9A-Za-z]/i }
                   @{ $_[0]{headers} } }, ''],
        ['no Access-Control-* on the explain response, and Vary: Accept alone',
         sub { join ', ', map { "$_->[0]: $_->[1]" }
                   grep { $_->[0] =~ /^access-control-/i || ($_->[0] =~ /^vary$/i && $_->[1] ne 'Accept') }
                   @{ $_[0]{headers} } }, ''],
        ['policy only when the lookup worked',
         sub { my $j = $_[0]{json} or return 'consistent';
               return 'consistent' unless exists $j->{lookup};
               my $s = $j->{lookup}{status} // 0;
               my $ok = ($s >= 200 && $s < 300) || $s == 401;
               my $shown = grep { exists $j->{$_} } qw(policy decision headers);
               return 'consistent' if $ok ? $shown == 3 && !exists $j->{error}
                                          : $shown == 0 && exists $j->{error};
               "lookup.status $s with " . join(' ', sort keys %$j) },
         'consistent'],
    );
}

sub run_checks {
    my ($name, $r, @k) = @_;
    for my $k (@k) {
        my ($what, $got, $expected) = @$k;
        my $v = eval { $got->($r) };
        $v = "(died: $@)" if $@;
        if (ref $expected eq 'ARRAY' && $expected->[0] eq 'any') {
            # one of several values (undef: JSON null)
            my @alt = @$expected[1 .. $#$expected];
            my $show = 'one of ' . join(', ', map { $_ // 'null' } @alt);
            my $hit = grep { defined $_ ? defined $v && $v eq $_ : !defined $v } @alt;
            t_debug("$name: $what: " . ($v // 'null'));
            ok t_cmp($hit ? $show : ($v // 'null'), $show, "$name: $what");
            next;
        }
        ok t_cmp($v, $expected, "$name: $what");
    }
}

# ---- access to the answer

sub json     { $_[0]{json} || {} }
sub lookup   { json($_[0])->{lookup} || {} }
sub decision { json($_[0])->{decision} || {} }
sub keys_of  { join ' ', sort keys %{ json($_[0]) } }
sub bool     { my $v = shift; !defined $v ? 'null' : JSON::PP::is_bool($v) ? ($v ? 'true' : 'false') : "not a boolean: $v" }

sub header {
    my @v = fields_of(@_);
    return @v ? join(' | ', @v) : undef;
}

sub envelope {
    my $r = shift;
    my $ct = header($r, 'Content-Type') // '';
    return join ' ', $r->{status},
        ($ct =~ m{^application/json\s*(?:;.*)?$} ? 'application/json' : "Content-Type '$ct'"),
        (header($r, 'Cache-Control') // '') eq 'no-store' ? 'no-store' : 'Cache-Control ' . (header($r, 'Cache-Control') // '(none)'),
        (header($r, 'X-Content-Type-Options') // '') eq 'nosniff' ? 'nosniff' : 'no nosniff';
}

# List-valued headers as token sets: methods case-sensitively, header names
# case-insensitively.
sub headers_canon {
    my $h = shift;
    return '(no headers object)' unless ref $h eq 'HASH';
    return join "\n", map {
        my $v = $h->{$_} // '(null)';
        if (/^(?:Allow|Access-Control-Allow-Methods)$/) {
            $v = join ', ', sort map { s/^\s+|\s+$//gr } split /,/, $v;
        }
        elsif (/^(?:Vary|Access-Control-Allow-Headers|Access-Control-Expose-Headers)$/) {
            $v = join ', ', sort map { lc s/^\s+|\s+$//gr } split /,/, $v;
        }
        "$_: $v";
    } sort keys %$h;
}

sub policy_canon {
    my ($d, $p) = @_;
    return '(missing)' unless ref $p eq 'HASH';
    my $v = $p->{value};
    if (ref $v eq 'ARRAY' && $d =~ /Headers$/) {
        $v = [map { lc } @$v];
    }
    my @set_at = map { ref $_ eq 'HASH' ? "$_->{file}:$_->{line}" : "bad entry $_" }
                 @{ $p->{set_at} || [] };
    return $JSON->encode({ value => $v, set_at => \@set_at,
                           exists $p->{except} ? (except => $p->{except}) : () });
}

# Lines of the module's denials in the error log since offset $off.
sub denials_since {
    my $off = shift;
    open my $fh, '<', "$logs/error_log" or return '(no error_log)';
    seek $fh, $off, 0;
    return join '', grep { /preflight denied|headers withheld|is not in Preflight/ } <$fh>;
}

# ---- the client

# GET (or $method) /explain?$q on its own connection: parse_response's
# answer (status, headers => [[name, value]...], body), with json and order.
sub explain {
    my ($q, $path, $method, $body, $extra) = @_;
    my $r = parse_response(raw_exchange(raw_request($method // 'GET', $path // "/explain?$q",
                                                    $extra, $body)));
    if (length $r->{body}) {
        $r->{json} = eval { JSON::PP->new->decode($r->{body}) };
        $r->{json} = undef unless ref $r->{json} eq 'HASH';
        $r->{order} = key_order($r->{body}) if $r->{json};
    }
    return $r;
}

# The keys of every object in a JSON text, in order, by path ('' is the
# top: '/request', '/policy/PreflightEngine', ...).
sub key_order {
    my $text = shift;
    my %order;
    local $_ = $text;
    pos($_) = 0;
    eval { jvalue(\%order, ''); 1 } or return {};
    return \%order;
}

sub jvalue {
    my ($order, $path) = @_;
    /\G\s*/gc;
    if (/\G\{/gc) {
        my @keys;
        /\G\s*/gc;
        unless (/\G\}/gc) {
            do {
                /\G\s*("(?:[^"\\]|\\.)*")\s*:/gc or die "key expected\n";
                my $k = JSON::PP->new->allow_nonref->decode($1);
                push @keys, $k;
                jvalue($order, "$path/$k");
                /\G\s*/gc;
            } while (/\G,/gc);
            /\G\s*\}/gc or die "} expected\n";
        }
        $order->{$path} = \@keys;
    }
    elsif (/\G\[/gc) {
        my $i = 0;
        /\G\s*/gc;
        unless (/\G\]/gc) {
            do { jvalue($order, "$path/" . $i++); /\G\s*/gc } while (/\G,/gc);
            /\G\s*\]/gc or die "] expected\n";
        }
    }
    elsif (/\G"(?:[^"\\]|\\.)*"/gc || /\G(?:-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)/gc) {
    }
    else {
        die "value expected\n";
    }
}
