use strict;
use warnings FATAL => 'all';

# Every directive but PreflightPassthrough, unset (its default) and set.
# Policies: t/conf/pf.conf.in, <Location /pf/l/NAME/>.

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;

my $A    = 'https://a.example.com';
my $B    = 'https://b.example.com';

my @cases = (
    # PreflightEngine: policy directives alone do nothing; the core answers
    # OPTIONS with its own Allow, which never names PUT for a static file.
    { name => 'PreflightEngine default Off, preflight', path => '/pf/l/engdefault/ok.txt',
      req => [Origin => $A, ACRM => 'PUT'],
      status => 200, no_cors => 1,
      absent => [qw(ACEH ACMA)],
      vary => { Origin => 0 },
      allow_has => ['OPTIONS'], allow_lacks => ['PUT'],
      pf => '-' },
    { name => 'PreflightEngine default Off, actual', method => 'GET', path => '/pf/l/engdefault/ok.txt',
      req => [Origin => $A],
      status => 200, no_cors => 1,
      absent => [qw(ACEH)],
      vary => { Origin => 0 },
      pf => '-' },
    { name => 'PreflightEngine Off, preflight', path => '/pf/l/engoff/ok.txt',
      req => [Origin => $A, ACRM => 'PUT'],
      status => 200, no_cors => 1,
      vary => { Origin => 0 },
      allow_has => ['OPTIONS'], allow_lacks => ['PUT'],
      pf => '-' },
    { name => 'PreflightEngine Off, actual', method => 'GET', path => '/pf/l/engoff/ok.txt',
      req => [Origin => $A],
      status => 200, no_cors => 1,
      absent => [qw(ACEH)],
      vary => { Origin => 0 },
      pf => '-' },
    { name => 'PreflightEngine On', path => '/pf/l/basic/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 204,
      hdr => { ACAO => $A },
      pf => 'preflight-allowed' },

    # PreflightAllowOrigin: none by default.
    { name => 'PreflightAllowOrigin default, preflight', path => '/pf/l/noorigin/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 403, no_cors => 1,
      vary => { Origin => 1 },
      log => reason('origin', $A),
      pf => 'preflight-denied-origin' },
    { name => 'PreflightAllowOrigin default, actual', method => 'GET', path => '/pf/l/noorigin/ok.txt',
      req => [Origin => $A],
      status => 200, no_cors => 1,
      vary => { Origin => 1 },
      pf => 'cors-denied-origin' },
    { name => 'PreflightAllowOrigin, an origin not listed', path => '/pf/l/basic/ok.txt',
      req => [Origin => $B, ACRM => 'GET'],
      status => 403, no_cors => 1,
      log => reason('origin', $B),
      pf => 'preflight-denied-origin' },
    { name => 'PreflightAllowOrigin, second of two', path => '/pf/l/full/ok.txt',
      req => [Origin => $B, ACRM => 'GET'],
      status => 204,
      hdr => { ACAO => $B },
      pf => 'preflight-allowed' },

    # PreflightAllowMethods: GET HEAD POST by default.
    (map {
        { name => "PreflightAllowMethods default allows $_", path => '/pf/l/basic/ok.txt',
          req => [Origin => $A, ACRM => $_],
          status => 204,
          hdr => { ACAM => 'GET, HEAD, POST' },
          allow => [qw(GET HEAD POST OPTIONS)],
          pf => 'preflight-allowed' }
    } qw(GET HEAD POST)),
    (map {
        { name => "PreflightAllowMethods default denies $_", path => '/pf/l/basic/ok.txt',
          req => [Origin => $A, ACRM => $_],
          status => 403, no_cors => 1,
          log => reason('method', $_),
          pf => 'preflight-denied-method' }
    } qw(PUT DELETE OPTIONS)),
    { name => 'PreflightAllowMethods PUT DELETE', path => '/pf/l/putdelete/ok.txt',
      req => [Origin => $A, ACRM => 'DELETE'],
      status => 204,
      hdr => { ACAM => 'PUT, DELETE' },
      allow => [qw(PUT DELETE OPTIONS)],
      pf => 'preflight-allowed' },
    { name => 'PreflightAllowMethods replaces the default', path => '/pf/l/putdelete/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 403, no_cors => 1,
      log => reason('method', 'GET'),
      pf => 'preflight-denied-method' },

    # PreflightAllowHeaders: none by default, so any requested header denies.
    { name => 'PreflightAllowHeaders default denies x-token', path => '/pf/l/basic/ok.txt',
      req => [Origin => $A, ACRM => 'GET', ACRH => 'x-token'],
      status => 403, no_cors => 1,
      log => reason('header', 'x-token'),
      pf => 'preflight-denied-header' },
    { name => 'PreflightAllowHeaders default denies content-type', path => '/pf/l/basic/ok.txt',
      req => [Origin => $A, ACRM => 'POST', ACRH => 'content-type'],
      status => 403, no_cors => 1,
      log => reason('header', 'content-type'),
      pf => 'preflight-denied-header' },
    { name => 'PreflightAllowHeaders X-Token Content-Type', path => '/pf/l/full/ok.txt',
      req => [Origin => $A, ACRM => 'PUT', ACRH => 'content-type'],
      status => 204,
      hdr => { ACAH => 'X-Token, Content-Type' },
      pf => 'preflight-allowed' },

    # PreflightExposeHeaders: none by default; on actual responses only.
    { name => 'PreflightExposeHeaders default', method => 'GET', path => '/pf/l/basic/ok.txt',
      req => [Origin => $A],
      status => 200,
      hdr => { ACAO => $A },
      absent => [qw(ACEH ACAC)],
      pf => 'cors-allowed' },
    { name => 'PreflightExposeHeaders X-A X-B, actual', method => 'GET', path => '/pf/l/expose/ok.txt',
      req => [Origin => $A],
      status => 200,
      hdr => { ACAO => $A, ACEH => 'X-A, X-B' },
      absent => [qw(ACAC)],
      pf => 'cors-allowed' },
    { name => 'PreflightExposeHeaders X-A X-B, preflight', path => '/pf/l/expose/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 204,
      hdr => { ACAO => $A },
      absent => [qw(ACEH)] },
    { name => 'PreflightExposeHeaders, denied origin', method => 'GET', path => '/pf/l/expose/ok.txt',
      req => [Origin => $B],
      status => 200, no_cors => 1,
      absent => [qw(ACEH)],
      pf => 'cors-denied-origin' },

    # PreflightAllowCredentials: Off by default.
    { name => 'PreflightAllowCredentials default, preflight', path => '/pf/l/basic/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 204, absent => [qw(ACAC)] },
    { name => 'PreflightAllowCredentials Off, actual', method => 'GET', path => '/pf/l/credoff/ok.txt',
      req => [Origin => $A],
      status => 200, hdr => { ACAO => $A }, absent => [qw(ACAC)] },
    { name => 'PreflightAllowCredentials On, preflight', path => '/pf/l/full/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 204, hdr => { ACAO => $A, ACAC => 'true' } },
    { name => 'PreflightAllowCredentials On, actual', method => 'GET', path => '/pf/l/full/ok.txt',
      req => [Origin => $A],
      status => 200, hdr => { ACAO => $A, ACAC => 'true' } },

    # PreflightMaxAge: not sent by default; 0 is a value like any other.
    { name => 'PreflightMaxAge default', path => '/pf/l/basic/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 204, absent => [qw(ACMA)] },
    { name => 'PreflightMaxAge 600', path => '/pf/l/full/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 204, hdr => { ACMA => '600' } },
    { name => 'PreflightMaxAge 0', path => '/pf/l/maxage0/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 204, hdr => { ACMA => '0' } },
    { name => 'PreflightMaxAge not on actual responses', method => 'GET', path => '/pf/l/full/ok.txt',
      req => [Origin => $A],
      status => 200, absent => [qw(ACMA)] },

    # PreflightAllowPrivateNetwork: Off by default; then the preflight is
    # still answered, without the grant, and the reason is logged.
    { name => 'PreflightAllowPrivateNetwork default', path => '/pf/l/basic/ok.txt',
      req => [Origin => $A, ACRM => 'GET', ACRPN => 'true'],
      status => 204,
      hdr => { ACAO => $A },
      absent => [qw(ACAPN)],
      log => reason('private'),
      pf => 'preflight-allowed' },
    { name => 'PreflightAllowPrivateNetwork Off', path => '/pf/l/pnoff/ok.txt',
      req => [Origin => $A, ACRM => 'GET', ACRPN => 'true'],
      status => 204, absent => [qw(ACAPN)] },
    { name => 'PreflightAllowPrivateNetwork On, asked', path => '/pf/l/full/ok.txt',
      req => [Origin => $A, ACRM => 'GET', ACRPN => 'true'],
      status => 204, hdr => { ACAPN => 'true' } },
    { name => 'PreflightAllowPrivateNetwork On, not asked', path => '/pf/l/full/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 204, absent => [qw(ACAPN)] },
    { name => 'PreflightAllowPrivateNetwork On, asked with false', path => '/pf/l/full/ok.txt',
      req => [Origin => $A, ACRM => 'GET', ACRPN => 'false'],
      status => 204, absent => [qw(ACAPN)] },
    { name => 'PreflightAllowPrivateNetwork On, actual', method => 'GET', path => '/pf/l/full/ok.txt',
      req => [Origin => $A, ACRPN => 'true'],
      status => 200, absent => [qw(ACAPN)] },

    # PreflightSuccessStatus: 204 by default.
    { name => 'PreflightSuccessStatus default', path => '/pf/l/basic/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 204, empty => 1 },
    { name => 'PreflightSuccessStatus 200', path => '/pf/l/s200/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 200, empty => 1,
      hdr => { ACAO => $A, ACAM => 'GET, HEAD, POST' },
      pf => 'preflight-allowed' },
    { name => 'PreflightSuccessStatus 200, denied', path => '/pf/l/s200/ok.txt',
      req => [Origin => $A, ACRM => 'PUT'],
      status => 403, no_cors => 1,
      pf => 'preflight-denied-method' },
    { name => 'PreflightSuccessStatus 204', path => '/pf/l/s204/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 204, empty => 1,
      hdr => { ACAO => $A } },
);

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
