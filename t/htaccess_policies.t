use strict;
use warnings FATAL => 'all';

# Policies from .htaccess (README "Directives", "Shared hosting"), written
# here at run time into htdocs/pf/ht/NAME,
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
      { name => 'whole policy in .htaccess, preflight',
        req => [OPTIONS => '/pf/ht/fileinfo/ok.txt',
                [Origin => $A, ACRM => 'PUT', ACRH => 'x-token', ACRPN => 'true']],
        status => 200, empty => 1,
        hdr => { ACAO => $A, ACAM => 'GET, PUT', ACAH => 'X-Token', ACAC => 'true',
                 ACMA => '60', ACAPN => 'true' },
        tokens => { Allow => [qw(GET HEAD PUT OPTIONS)] },
        has => { Vary => ['Origin'] },
        pf => 'preflight-allowed' },
      { name => 'whole policy in .htaccess, denied',
        req => [OPTIONS => '/pf/ht/fileinfo/ok.txt', [Origin => $B, ACRM => 'PUT']],
        status => 403, no_allow_headers => 1,
        has => { Vary => ['Origin'] },
        log => reason('origin', $B),
        pf => 'preflight-denied-origin' },
      { name => 'whole policy in .htaccess, actual',
        req => [GET => '/pf/ht/fileinfo/ok.txt', [Origin => $A]],
        status => 200,
        hdr => { ACAO => $A, ACEH => 'X-Total', ACAC => 'true' },
        has => { Vary => ['Origin'] },
        pf => 'cors-allowed' },
     ]],

    # pf/ht/policy has origin A, methods GET POST, headers X-A in <Directory>.
    ['pf/ht/policy', <<'HT',
PreflightAllowOrigin https://b.example.com
PreflightAllowMethods PUT
HT
     [
      { name => '.htaccess replaces, preflight',
        req => [OPTIONS => '/pf/ht/policy/ok.txt',
                [Origin => $B, ACRM => 'PUT', ACRH => 'x-a']],
        status => 204,
        hdr => { ACAO => $B, ACAM => 'PUT', ACAH => 'X-A' },
        tokens => { Allow => [qw(PUT OPTIONS)] },
        pf => 'preflight-allowed' },
      { name => '.htaccess replaces the origin',
        req => [OPTIONS => '/pf/ht/policy/ok.txt', [Origin => $A, ACRM => 'PUT']],
        status => 403, no_allow_headers => 1,
        pf => 'preflight-denied-origin' },
      { name => '.htaccess replaces the methods',
        req => [OPTIONS => '/pf/ht/policy/ok.txt', [Origin => $B, ACRM => 'GET']],
        status => 403, no_allow_headers => 1,
        pf => 'preflight-denied-method' },
     ]],
    ['pf/ht/policy', <<'HT',
PreflightAllowOrigin +https://b.example.com
PreflightAllowMethods +DELETE -POST
PreflightAllowHeaders +X-Token
HT
     [
      { name => '.htaccess edits, preflight',
        req => [OPTIONS => '/pf/ht/policy/ok.txt',
                [Origin => $B, ACRM => 'DELETE', ACRH => 'x-a, x-token']],
        status => 204,
        hdr => { ACAO => $B },
        tokens => { ACAM => [qw(GET DELETE)], ACAH => [qw(X-A X-Token)],
                    Allow => [qw(GET HEAD DELETE OPTIONS)] },
        pf => 'preflight-allowed' },
      { name => '.htaccess edits, inherited origin kept',
        req => [OPTIONS => '/pf/ht/policy/ok.txt', [Origin => $A, ACRM => 'GET']],
        status => 204,
        hdr => { ACAO => $A } },
      { name => '.htaccess edits, removed method',
        req => [OPTIONS => '/pf/ht/policy/ok.txt', [Origin => $A, ACRM => 'POST']],
        status => 403, no_allow_headers => 1,
        pf => 'preflight-denied-method' },
     ]],
    ['pf/ht/policy', "PreflightEngine Off\n",
     [
      { name => '.htaccess switches the engine off',
        req => [OPTIONS => '/pf/ht/policy/ok.txt', [Origin => $A, ACRM => 'GET']],
        status => 200, no_allow_headers => 1,
        has => { Allow => ['OPTIONS'] },
        lacks => { Vary => ['Origin'] },
        pf => '-' },
     ]],

    # AllowOverride None: httpd does not even read the file.
    ['pf/ht/none', "PreflightEngine On\nPreflightAllowOrigin https://a.example.com\n",
     [
      { name => 'AllowOverride None ignores .htaccess',
        req => [OPTIONS => '/pf/ht/none/ok.txt', [Origin => $A, ACRM => 'GET']],
        status => 200, no_allow_headers => 1,
        lacks => { Vary => ['Origin'] },
        pf => '-' },
     ]],

    # AllowOverride without FileInfo: the directives are refused.
    ['pf/ht/authconfig', "PreflightEngine On\nPreflightAllowOrigin https://a.example.com\n",
     [
      { name => 'AllowOverride AuthConfig, preflight',
        req => [OPTIONS => '/pf/ht/authconfig/ok.txt', [Origin => $A, ACRM => 'GET']],
        status => 500, no_allow_headers => 1,
        log => [qr{/pf/ht/authconfig/\.htaccess}, qr/PreflightEngine not allowed here/] },
      { name => 'AllowOverride AuthConfig, actual',
        req => [GET => '/pf/ht/authconfig/ok.txt', [Origin => $A]],
        status => 500, no_allow_headers => 1 },
     ]],

    # AllowOverrideList names three directives.
    ['pf/ht/list', <<'HT',
PreflightEngine On
PreflightAllowOrigin https://a.example.com
PreflightAllowMethods PUT
HT
     [
      { name => 'AllowOverrideList, preflight',
        req => [OPTIONS => '/pf/ht/list/ok.txt', [Origin => $A, ACRM => 'PUT']],
        status => 204,
        hdr => { ACAO => $A, ACAM => 'PUT' },
        pf => 'preflight-allowed' },
      { name => 'AllowOverrideList, actual',
        req => [GET => '/pf/ht/list/ok.txt', [Origin => $A]],
        status => 200,
        hdr => { ACAO => $A },
        pf => 'cors-allowed' },
     ]],
    ['pf/ht/list', "PreflightEngine On\nPreflightAllowOrigin https://a.example.com\nPreflightMaxAge 5\n",
     [
      { name => 'AllowOverrideList, a directive not listed',
        req => [OPTIONS => '/pf/ht/list/ok.txt', [Origin => $A, ACRM => 'GET']],
        status => 500, no_allow_headers => 1,
        log => [qr{/pf/ht/list/\.htaccess}, qr/PreflightMaxAge not allowed here/] },
     ]],

    # Bad values: a 500 naming the directive, the value and why.
    ['pf/ht/bad', "PreflightEngine On\nPreflightAllowOrigin https://a.example.com/x\n",
     [
      { name => 'origin with a path, preflight',
        req => [OPTIONS => '/pf/ht/bad/ok.txt', [Origin => $A, ACRM => 'GET']],
        status => 500, no_allow_headers => 1,
        log => [qr{/pf/ht/bad/\.htaccess}, qr/PreflightAllowOrigin/,
                qr{https://a\.example\.com/x}, qr/path/i] },
      { name => 'origin with a path, actual',
        req => [GET => '/pf/ht/bad/ok.txt', [Origin => $A]],
        status => 500, no_allow_headers => 1 },
     ]],
    ['pf/ht/bad', "PreflightEngine On\nPreflightAllowOrigin https://a.example.com\nPreflightAllowMethods GET, POST\n",
     [
      { name => 'method list with a comma',
        req => [OPTIONS => '/pf/ht/bad/ok.txt', [Origin => $A, ACRM => 'GET']],
        status => 500, no_allow_headers => 1,
        log => [qr{/pf/ht/bad/\.htaccess}, qr/PreflightAllowMethods/, qr/GET,/, qr/space/i] },
     ]],
    ['pf/ht/bad', "PreflightEngine On\nPreflightAllowOrigin *\nPreflightAllowCredentials On\n",
     [
      { name => 'origin * with credentials',
        req => [OPTIONS => '/pf/ht/bad/ok.txt', [Origin => $A, ACRM => 'GET']],
        status => 500, no_allow_headers => 1,
        log => [qr{/pf/ht/bad/\.htaccess}, qr/PreflightAllow(?:Origin|Credentials)/,
                qr/\*/, qr/credential/i] },
     ]],

    # A wildcard over a public suffix (libpsl): refused like any bad value.
    ['pf/ht/bad', "PreflightEngine On\nPreflightAllowOrigin https://*.co.uk\n",
     [
      { name => 'wildcard over a public suffix, preflight',
        req => [OPTIONS => '/pf/ht/bad/ok.txt',
                [Origin => 'https://shop.co.uk', ACRM => 'GET']],
        status => 500, no_allow_headers => 1,
        log => [qr{/pf/ht/bad/\.htaccess}, qr/PreflightAllowOrigin/,
                qr{https://\*\.co\.uk}, qr/public suffix/i] },
      { name => 'wildcard over a public suffix, actual',
        req => [GET => '/pf/ht/bad/ok.txt', [Origin => 'https://shop.co.uk']],
        status => 500, no_allow_headers => 1 },
     ]],
    # An exact origin that is a public suffix, and a wildcard below one.
    ['pf/ht/fileinfo', "PreflightEngine On\nPreflightAllowOrigin https://co.uk https://*.example.co.uk\n",
     [
      { name => 'exact origin that is a public suffix',
        req => [OPTIONS => '/pf/ht/fileinfo/ok.txt',
                [Origin => 'https://co.uk', ACRM => 'GET']],
        status => 204, hdr => { ACAO => 'https://co.uk' },
        pf => 'preflight-allowed' },
      { name => 'wildcard below a public suffix',
        req => [OPTIONS => '/pf/ht/fileinfo/ok.txt',
                [Origin => 'https://shop.example.co.uk', ACRM => 'GET']],
        status => 204, hdr => { ACAO => 'https://shop.example.co.uk' } },
      { name => 'wildcard below a public suffix, not another name',
        req => [OPTIONS => '/pf/ht/fileinfo/ok.txt',
                [Origin => 'https://shop.co.uk', ACRM => 'GET']],
        status => 403, no_allow_headers => 1 },
     ]],
);

# A list line of an .htaccess is compiled once per process and shared by
# every request (README "Shared hosting"): a second line of the directive
# extends a copy, never the shared list, which another .htaccess with the
# same first line gets. These cases share one kept-alive connection, so one
# process serves them all.
my $first = "PreflightEngine On\nPreflightAllowOrigin https://a.example.com\n";
push @scenarios,
    ['pf/ht/fileinfo', $first . "PreflightAllowOrigin https://b.example.com\n",
     [
      { name => 'two origin lines: the second extends the first',
        kept => 1,
        req => [OPTIONS => '/pf/ht/fileinfo/ok.txt', [Origin => $B, ACRM => 'GET']],
        status => 204, hdr => { ACAO => $B }, pf => 'preflight-allowed' },
     ]],
    ['pf/ht/bad', $first,
     [
      { name => 'the same first line alone, after the extended one',
        kept => 1,
        req => [OPTIONS => '/pf/ht/bad/ok.txt', [Origin => $B, ACRM => 'GET']],
        status => 403, no_allow_headers => 1, pf => 'preflight-denied-origin' },
      { name => 'the same first line alone: its own origin',
        kept => 1,
        req => [OPTIONS => '/pf/ht/bad/ok.txt', [Origin => $A, ACRM => 'GET']],
        status => 204, hdr => { ACAO => $A } },
      { name => 'two origin lines again, from the cache',
        kept => 1,
        req => [OPTIONS => '/pf/ht/fileinfo/ok.txt', [Origin => $B, ACRM => 'GET']],
        status => 204, hdr => { ACAO => $B } },
      { name => 'the first line alone again, from the cache',
        kept => 1,
        req => [OPTIONS => '/pf/ht/bad/ok.txt', [Origin => $B, ACRM => 'GET']],
        status => 403, no_allow_headers => 1 },
     ]];

my @cases;
for my $s (@scenarios) {
    my ($dir, $ht, $list) = @$s;
    push @cases, { %{ $list->[0] }, write => [$dir, $ht] }, @$list[1 .. $#$list];
}

plan tests => case_tests(@cases);

run_cases(@cases);
