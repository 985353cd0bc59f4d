use strict;
use warnings FATAL => 'all';

# Policies from .htaccess, written here at run time into htdocs/pf/ht/NAME,
# under the AllowOverride of each <Directory> in t/conf/pf.conf.in.

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;

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
        log => [qr/\[preflight:info\]/, qr/origin/i, qr/\Q$B\E/],
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
);

my @cases;
for my $s (@scenarios) {
    my ($dir, $ht, $list) = @$s;
    push @cases, { %{ $list->[0] }, write => [$dir, $ht] }, @$list[1 .. $#$list];
}

# ---- shared by the pf tests (t/preflight.t, directives.t, merge.t, htaccess.t)

my %H = (
    ACAO  => 'Access-Control-Allow-Origin',
    ACAC  => 'Access-Control-Allow-Credentials',
    ACAM  => 'Access-Control-Allow-Methods',
    ACAH  => 'Access-Control-Allow-Headers',
    ACAPN => 'Access-Control-Allow-Private-Network',
    ACMA  => 'Access-Control-Max-Age',
    ACEH  => 'Access-Control-Expose-Headers',
    ACRM  => 'Access-Control-Request-Method',
    ACRH  => 'Access-Control-Request-Headers',
    ACRPN => 'Access-Control-Request-Private-Network',
);
my $logs = Apache::Test::vars('t_logs');

# A denial reason: one info line from the module naming what and which value.
sub reason {
    my ($what, $value) = @_;
    return [qr/\[preflight:info\]/, qr/\Q$what\E/i,
            defined $value ? qr/\Q$value\E/ : ()];
}

sub values_of {
    my ($r, $h) = @_;
    my @v = $r->headers->header($H{$h} // $h);
    return @v ? join(' | ', @v) : undef;
}

sub tokens {
    my ($r, $h) = @_;
    return grep { length } map { s/^\s+|\s+$//gr } map { split /,/ }
        $r->headers->header($H{$h} // $h);
}

sub dups {
    my %n;
    $n{ lc $_ }++ for @_;
    return join ' ', sort grep { $n{$_} > 1 } keys %n;
}

sub slurp_from {
    my ($file, $off) = @_;
    open my $fh, '<', $file or return '';
    seek $fh, $off, 0;
    local $/;
    return scalar <$fh> // '';
}

# The access log line is written after the response: wait for it briefly.
sub access_pf {
    my $tag = shift;
    for (1 .. 40) {
        for (split /\n/, slurp_from("$logs/access_log", 0)) {
            return $1 if /[?&]t=\Q$tag\E[ &].* pf=(\S+)/;
        }
        select undef, undef, undef, 0.05;
    }
    return "no access_log line for $tag";
}

sub log_has {
    my ($off, $res) = @_;
    for (1 .. 10) {
        my $text = slurp_from("$logs/error_log", $off);
        for my $line (split /\n/, $text) {
            return 1 unless grep { $line !~ $_ } @$res;
        }
        select undef, undef, undef, 0.05;
    }
    t_debug('error_log since request: ' . slurp_from("$logs/error_log", $off));
    return 0;
}

# [what, sub ($response, $ctx) returning the value, expected value]
sub checks {
    my $c = shift;
    my @k = (['status', sub { $_[0]->code }, $c->{status}]);
    for my $h (sort keys %{ $c->{hdr} || {} }) {
        push @k, [$H{$h}, sub { values_of($_[0], $h) }, $c->{hdr}{$h}];
    }
    for my $h (sort keys %{ $c->{names} || {} }) {
        push @k, ["$H{$h} names", sub { [map lc, tokens($_[0], $h)] },
                  [map lc, @{ $c->{names}{$h} }]];
    }
    for my $h (sort keys %{ $c->{set} || {} }) {
        push @k, ["$H{$h} set", sub { [sort map lc, tokens($_[0], $h)] },
                  [sort map lc, @{ $c->{set}{$h} }]];
    }
    for my $h (@{ $c->{absent} || [] }) {
        push @k, ["no $H{$h}", sub { values_of($_[0], $h) }, undef];
    }
    if ($c->{no_cors}) {
        push @k, ['no Access-Control-Allow-* header',
                  sub { join ' ', grep { /^access-control-allow-/i }
                        $_[0]->headers->header_field_names }, ''];
    }
    if (my $v = $c->{vary}) {
        for my $t (sort keys %$v) {
            my $name = lc($H{$t} // $t);
            push @k, ['Vary ' . ($v->{$t} ? 'has' : 'lacks') . " $t",
                      sub { scalar grep { lc eq $name } tokens($_[0], 'Vary') },
                      $v->{$t}];
        }
        push @k, ['no Vary token twice', sub { dups(tokens($_[0], 'Vary')) }, ''];
    }
    if ($c->{allow}) {
        push @k, ['Allow', sub { [sort(tokens($_[0], 'Allow'))] }, [sort @{ $c->{allow} }]];
    }
    for my $m (@{ $c->{allow_has} || [] }) {
        push @k, ["Allow has $m", sub { scalar grep { $_ eq $m } tokens($_[0], 'Allow') }, 1];
    }
    for my $m (@{ $c->{allow_lacks} || [] }) {
        push @k, ["Allow lacks $m", sub { scalar grep { $_ eq $m } tokens($_[0], 'Allow') }, 0];
    }
    if ($c->{empty}) {
        push @k, ['empty body', sub { $_[0]->content }, ''];
        push @k, ['Content-Length', sub { $_[0]->header('Content-Length') // 'absent' },
                  $c->{status} == 204 ? 'absent' : qr/^(?:0|absent)$/];
    }
    if ($c->{log}) {
        push @k, ['logged: ' . join(' ', @{ $c->{log} }),
                  sub { log_has($_[1]{off}, $c->{log}) }, 1];
    }
    if (defined $c->{pf}) {
        push @k, ['PREFLIGHT', sub { access_pf($_[1]{tag}) }, $c->{pf}];
    }
    return @k;
}

sub run_case {
    my ($c, $tag) = @_;
    my @h = @{ $c->{req} || [] };
    $h[$_] = $H{ $h[$_] } // $h[$_] for grep { $_ % 2 == 0 } 0 .. $#h;
    t_write_file(Apache::Test::vars('documentroot') . "/$c->{write}[0]/.htaccess",
                 $c->{write}[1]) if $c->{write};
    my $ctx = { tag => $tag, off => -s "$logs/error_log" // 0 };
    my $url = "$c->{path}?t=$tag";
    my $m = $c->{method} || 'OPTIONS';
    my $r = $m eq 'GET'  ? GET($url, @h)
          : $m eq 'HEAD' ? HEAD($url, @h)
          :                OPTIONS($url, @h);
    for my $k (checks($c)) {
        my ($what, $got, $expected) = @$k;
        ok t_cmp($got->($r, $ctx), $expected, "$c->{name}: $what");
    }
}

# ----

my $n = 0;
$n += checks($_) for @cases;
plan tests => $n;

my ($base) = __FILE__ =~ m{([^/]+)\.t$};
my $i = 0;
run_case($_, "$base-" . ++$i . "-$$") for @cases;
