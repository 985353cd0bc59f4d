use strict;
use warnings FATAL => 'all';

# Policies from .htaccess, written here at run time into htdocs/pf/ht/NAME,
# under the AllowOverride of each <Directory> in t/conf/pf.conf.in.

use Apache::Test;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest;

my $A = 'https://a.example.com';
my $B = 'https://b.example.com';

# [directory, .htaccess, cases run after writing it]
my @scenarios = (
    ['pf/ht/fileinfo', <<'HT',
PreflightEngine On
PreflightAllowOrigin https://a.example.com
PreflightAllowMethods GET PUT
PreflightAllowHeaders X-Token
PreflightExposeHeaders X-Total
PreflightAllowCredentials On
PreflightMaxAge 60
PreflightAllowPrivateNetwork On
PreflightSuccessStatus 200
HT
     [
      { name => 'whole policy in .htaccess, preflight', path => '/pf/ht/fileinfo/ok.txt',
        req => [Origin => $A, ACRM => 'PUT', ACRH => 'x-token', ACRPN => 'true'],
        status => 200, empty => 1,
        hdr => { ACAO => $A, ACAM => 'GET, PUT', ACAH => 'X-Token', ACAC => 'true',
                 ACMA => '60', ACAPN => 'true' },
        allow => [qw(GET HEAD PUT OPTIONS)],
        vary => { Origin => 1 },
        pf => 'preflight-allowed' },
      { name => 'whole policy in .htaccess, denied', path => '/pf/ht/fileinfo/ok.txt',
        req => [Origin => $B, ACRM => 'PUT'],
        status => 403, no_cors => 1,
        vary => { Origin => 1 },
        log => reason('origin', $B),
        pf => 'preflight-denied-origin' },
      { name => 'whole policy in .htaccess, actual', method => 'GET', path => '/pf/ht/fileinfo/ok.txt',
        req => [Origin => $A],
        status => 200,
        hdr => { ACAO => $A, ACEH => 'X-Total', ACAC => 'true' },
        vary => { Origin => 1 },
        pf => 'cors-allowed' },
     ]],

    # pf/ht/policy has origin A, methods GET POST, headers X-A in <Directory>.
    ['pf/ht/policy', <<'HT',
PreflightAllowOrigin https://b.example.com
PreflightAllowMethods PUT
HT
     [
      { name => '.htaccess replaces, preflight', path => '/pf/ht/policy/ok.txt',
        req => [Origin => $B, ACRM => 'PUT', ACRH => 'x-a'],
        status => 204,
        hdr => { ACAO => $B, ACAM => 'PUT', ACAH => 'X-A' },
        allow => [qw(PUT OPTIONS)],
        pf => 'preflight-allowed' },
      { name => '.htaccess replaces the origin', path => '/pf/ht/policy/ok.txt',
        req => [Origin => $A, ACRM => 'PUT'],
        status => 403, no_cors => 1,
        pf => 'preflight-denied-origin' },
      { name => '.htaccess replaces the methods', path => '/pf/ht/policy/ok.txt',
        req => [Origin => $B, ACRM => 'GET'],
        status => 403, no_cors => 1,
        pf => 'preflight-denied-method' },
     ]],
    ['pf/ht/policy', <<'HT',
PreflightAllowOrigin +https://b.example.com
PreflightAllowMethods +DELETE -POST
PreflightAllowHeaders +X-Token
HT
     [
      { name => '.htaccess edits, preflight', path => '/pf/ht/policy/ok.txt',
        req => [Origin => $B, ACRM => 'DELETE', ACRH => 'x-a, x-token'],
        status => 204,
        hdr => { ACAO => $B },
        set => { ACAM => [qw(GET DELETE)], ACAH => [qw(X-A X-Token)] },
        allow => [qw(GET HEAD DELETE OPTIONS)],
        pf => 'preflight-allowed' },
      { name => '.htaccess edits, inherited origin kept', path => '/pf/ht/policy/ok.txt',
        req => [Origin => $A, ACRM => 'GET'],
        status => 204,
        hdr => { ACAO => $A } },
      { name => '.htaccess edits, removed method', path => '/pf/ht/policy/ok.txt',
        req => [Origin => $A, ACRM => 'POST'],
        status => 403, no_cors => 1,
        pf => 'preflight-denied-method' },
     ]],
    ['pf/ht/policy', "PreflightEngine Off\n",
     [
      { name => '.htaccess switches the engine off', path => '/pf/ht/policy/ok.txt',
        req => [Origin => $A, ACRM => 'GET'],
        status => 200, no_cors => 1,
        vary => { Origin => 0 },
        allow_has => ['OPTIONS'],
        pf => '-' },
     ]],

    # AllowOverride None: httpd does not even read the file.
    ['pf/ht/none', "PreflightEngine On\nPreflightAllowOrigin https://a.example.com\n",
     [
      { name => 'AllowOverride None ignores .htaccess', path => '/pf/ht/none/ok.txt',
        req => [Origin => $A, ACRM => 'GET'],
        status => 200, no_cors => 1,
        vary => { Origin => 0 },
        pf => '-' },
     ]],

    # AllowOverride without FileInfo: the directives are refused.
    ['pf/ht/authconfig', "PreflightEngine On\nPreflightAllowOrigin https://a.example.com\n",
     [
      { name => 'AllowOverride AuthConfig, preflight', path => '/pf/ht/authconfig/ok.txt',
        req => [Origin => $A, ACRM => 'GET'],
        status => 500, no_cors => 1,
        log => [qr{/pf/ht/authconfig/\.htaccess}, qr/PreflightEngine not allowed here/] },
      { name => 'AllowOverride AuthConfig, actual', method => 'GET', path => '/pf/ht/authconfig/ok.txt',
        req => [Origin => $A],
        status => 500, no_cors => 1 },
     ]],

    # AllowOverrideList names three directives.
    ['pf/ht/list', <<'HT',
PreflightEngine On
PreflightAllowOrigin https://a.example.com
PreflightAllowMethods PUT
HT
     [
      { name => 'AllowOverrideList, preflight', path => '/pf/ht/list/ok.txt',
        req => [Origin => $A, ACRM => 'PUT'],
        status => 204,
        hdr => { ACAO => $A, ACAM => 'PUT' },
        pf => 'preflight-allowed' },
      { name => 'AllowOverrideList, actual', method => 'GET', path => '/pf/ht/list/ok.txt',
        req => [Origin => $A],
        status => 200,
        hdr => { ACAO => $A },
        pf => 'cors-allowed' },
     ]],
    ['pf/ht/list', "PreflightEngine On\nPreflightAllowOrigin https://a.example.com\nPreflightMaxAge 5\n",
     [
      { name => 'AllowOverrideList, a directive not listed', path => '/pf/ht/list/ok.txt',
        req => [Origin => $A, ACRM => 'GET'],
        status => 500, no_cors => 1,
        log => [qr{/pf/ht/list/\.htaccess}, qr/PreflightMaxAge not allowed here/] },
     ]],

    # Bad values: a 500 naming the directive, the value and why.
    ['pf/ht/bad', "PreflightEngine On\nPreflightAllowOrigin https://a.example.com/x\n",
     [
      { name => 'origin with a path, preflight', path => '/pf/ht/bad/ok.txt',
        req => [Origin => $A, ACRM => 'GET'],
        status => 500, no_cors => 1,
        log => [qr{/pf/ht/bad/\.htaccess}, qr/PreflightAllowOrigin/,
                qr{https://a\.example\.com/x}, qr/path/i] },
      { name => 'origin with a path, actual', method => 'GET', path => '/pf/ht/bad/ok.txt',
        req => [Origin => $A],
        status => 500, no_cors => 1 },
     ]],
    ['pf/ht/bad', "PreflightEngine On\nPreflightAllowOrigin https://a.example.com\nPreflightAllowMethods GET, POST\n",
     [
      { name => 'method list with a comma', path => '/pf/ht/bad/ok.txt',
        req => [Origin => $A, ACRM => 'GET'],
        status => 500, no_cors => 1,
        log => [qr{/pf/ht/bad/\.htaccess}, qr/PreflightAllowMethods/, qr/GET,/, qr/space/i] },
     ]],
    ['pf/ht/bad', "PreflightEngine On\nPreflightAllowOrigin *\nPreflightAllowCredentials On\n",
     [
      { name => 'origin * with credentials', path => '/pf/ht/bad/ok.txt',
        req => [Origin => $A, ACRM => 'GET'],
        status => 500, no_cors => 1,
        log => [qr{/pf/ht/bad/\.htaccess}, qr/PreflightAllow(?:Origin|Credentials)/,
                qr/\*/, qr/credential/i] },
     ]],

    # A wildcard over a public suffix (libpsl): refused like any bad value.
    ['pf/ht/bad', "PreflightEngine On\nPreflightAllowOrigin https://*.co.uk\n",
     [
      { name => 'wildcard over a public suffix, preflight', path => '/pf/ht/bad/ok.txt',
        req => [Origin => 'https://shop.co.uk', ACRM => 'GET'],
        status => 500, no_cors => 1,
        log => [qr{/pf/ht/bad/\.htaccess}, qr/PreflightAllowOrigin/,
                qr{https://\*\.co\.uk}, qr/public suffix/i] },
      { name => 'wildcard over a public suffix, actual', method => 'GET', path => '/pf/ht/bad/ok.txt',
        req => [Origin => 'https://shop.co.uk'],
        status => 500, no_cors => 1 },
     ]],
    # An exact origin that is a public suffix, and a wildcard below one.
    ['pf/ht/fileinfo', "PreflightEngine On\nPreflightAllowOrigin https://co.uk https://*.example.co.uk\n",
     [
      { name => 'exact origin that is a public suffix', path => '/pf/ht/fileinfo/ok.txt',
        req => [Origin => 'https://co.uk', ACRM => 'GET'],
        status => 204, hdr => { ACAO => 'https://co.uk' },
        pf => 'preflight-allowed' },
      { name => 'wildcard below a public suffix', path => '/pf/ht/fileinfo/ok.txt',
        req => [Origin => 'https://shop.example.co.uk', ACRM => 'GET'],
        status => 204, hdr => { ACAO => 'https://shop.example.co.uk' } },
      { name => 'wildcard below a public suffix, not another name', path => '/pf/ht/fileinfo/ok.txt',
        req => [Origin => 'https://shop.co.uk', ACRM => 'GET'],
        status => 403, no_cors => 1 },
     ]],
);

my @cases;
for my $s (@scenarios) {
    my ($dir, $ht, $list) = @$s;
    push @cases, { %{ $list->[0] }, write => [$dir, $ht] }, @$list[1 .. $#$list];
}

plan tests => pf_tests(@cases);

run_pf(@cases);
