use strict;
use warnings FATAL => 'all';

# Preflight answers (allowed and denied), the Vary and Allow they carry, the
# reason logged for a denial and the PREFLIGHT variable (SPEC behaviours 1, 2,
# 6). Policies: t/conf/pf.conf.in, <Location /pf/l/NAME/>.

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;

my $A    = 'https://a.example.com';
my $B    = 'https://b.example.com';
my $EVIL = 'https://evil.example.com';

my @cases = (
    # Allowed preflights.
    { name => 'allowed with defaults', path => '/pf/l/basic/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 204, empty => 1,
      hdr => { ACAO => $A, ACAM => 'GET, HEAD, POST' },
      absent => [qw(ACAH ACAC ACMA ACAPN ACEH)],
      vary => { Origin => 1, ACRM => 0, ACRH => 0 },
      allow => [qw(GET HEAD POST OPTIONS)],
      pf => 'preflight-allowed' },
    { name => 'allowed with every option', path => '/pf/l/full/ok.txt',
      req => [Origin => $B, ACRM => 'PATCH', ACRH => 'x-token', ACRPN => 'true'],
      status => 204, empty => 1,
      hdr => { ACAO => $B, ACAM => 'PUT, PATCH, DELETE, GET',
               ACAH => 'X-Token, Content-Type', ACAC => 'true',
               ACMA => '600', ACAPN => 'true' },
      absent => [qw(ACEH)],
      vary => { Origin => 1, ACRM => 0, ACRH => 0 },
      allow => [qw(PUT PATCH DELETE GET HEAD OPTIONS)],
      pf => 'preflight-allowed' },
    { name => 'header names compare case-insensitively', path => '/pf/l/full/ok.txt',
      req => [Origin => $A, ACRM => 'PUT', ACRH => 'X-TOKEN, content-TYPE'],
      status => 204,
      hdr => { ACAO => $A, ACAH => 'X-Token, Content-Type' },
      pf => 'preflight-allowed' },
    { name => 'no Allow-Headers when none were requested', path => '/pf/l/full/ok.txt',
      req => [Origin => $A, ACRM => 'DELETE'],
      status => 204,
      hdr => { ACAO => $A, ACAM => 'PUT, PATCH, DELETE, GET' },
      absent => [qw(ACAH ACAPN)] },
    { name => 'origin echoed byte for byte', path => '/pf/l/basic/ok.txt',
      req => [Origin => 'https://A.Example.COM', ACRM => 'POST'],
      status => 204,
      hdr => { ACAO => 'https://A.Example.COM' } },
    { name => 'Allow names each method once', path => '/pf/l/dupallow/ok.txt',
      req => [Origin => $A, ACRM => 'GET'],
      status => 204,
      hdr => { ACAM => 'GET, HEAD, OPTIONS, POST' },
      allow => [qw(GET HEAD OPTIONS POST)] },
    { name => 'Allow without GET has no HEAD', path => '/pf/l/putdelete/ok.txt',
      req => [Origin => $A, ACRM => 'PUT'],
      status => 204,
      hdr => { ACAM => 'PUT, DELETE' },
      allow => [qw(PUT DELETE OPTIONS)] },

    # "*" lists: literal without credentials, echoed with them.
    { name => 'headers * without credentials', path => '/pf/l/hstar/ok.txt',
      req => [Origin => $A, ACRM => 'GET', ACRH => 'x-anything, content-type'],
      status => 204,
      hdr => { ACAO => $A, ACAH => '*' },
      absent => [qw(ACAC)],
      vary => { Origin => 1, ACRH => 0 },
      pf => 'preflight-allowed' },
    { name => 'headers * with credentials', path => '/pf/l/hstarcred/ok.txt',
      req => [Origin => $A, ACRM => 'GET', ACRH => 'x-anything, content-type'],
      status => 204,
      hdr => { ACAO => $A, ACAC => 'true' },
      names => { ACAH => [qw(x-anything content-type)] },
      vary => { Origin => 1, ACRH => 1, ACRM => 0 },
      pf => 'preflight-allowed' },
    { name => 'headers * never covers Authorization', path => '/pf/l/hstar/ok.txt',
      req => [Origin => $A, ACRM => 'GET', ACRH => 'authorization'],
      status => 403, no_cors => 1,
      vary => { Origin => 1 },
      log => reason('header', 'authorization'),
      pf => 'preflight-denied-header' },
    { name => 'headers * with credentials never covers Authorization',
      path => '/pf/l/hstarcred/ok.txt',
      req => [Origin => $A, ACRM => 'GET', ACRH => 'x-anything, authorization'],
      status => 403, no_cors => 1,
      log => reason('header', 'authorization'),
      pf => 'preflight-denied-header' },
    { name => 'headers * plus Authorization', path => '/pf/l/hstarauth/ok.txt',
      req => [Origin => $A, ACRM => 'GET', ACRH => 'authorization, x-anything'],
      status => 204,
      hdr => { ACAO => $A, ACAH => '*, Authorization' },
      pf => 'preflight-allowed' },
    { name => 'methods * without credentials', path => '/pf/l/mstar/ok.txt',
      req => [Origin => $A, ACRM => 'PURGE'],
      status => 204,
      hdr => { ACAO => $A, ACAM => '*' },
      vary => { Origin => 1 },
      allow => [qw(PURGE OPTIONS)],
      pf => 'preflight-allowed' },
    { name => 'methods * with credentials', path => '/pf/l/mstarcred/ok.txt',
      req => [Origin => $A, ACRM => 'PURGE'],
      status => 204,
      hdr => { ACAO => $A, ACAM => 'PURGE', ACAC => 'true' },
      vary => { Origin => 1, ACRM => 1, ACRH => 0 },
      allow => [qw(PURGE OPTIONS)],
      pf => 'preflight-allowed' },
    { name => 'origin * without credentials', path => '/pf/l/ostar/ok.txt',
      req => [Origin => $EVIL, ACRM => 'GET'],
      status => 204,
      hdr => { ACAO => '*', ACAM => 'GET, HEAD, POST' },
      absent => [qw(ACAC)],
      vary => { Origin => 1 },
      pf => 'preflight-allowed' },

    # Denied preflights, against the policy with every option on so that
    # the absence of each Access-Control-Allow-* header means something.
    { name => 'origin denied', path => '/pf/l/full/ok.txt',
      req => [Origin => $EVIL, ACRM => 'PUT', ACRH => 'x-token', ACRPN => 'true'],
      status => 403, no_cors => 1,
      absent => [qw(ACAO ACAC ACAM ACAH ACAPN)],
      vary => { Origin => 1 },
      log => reason('origin', $EVIL),
      pf => 'preflight-denied-origin' },
    { name => 'method denied', path => '/pf/l/full/ok.txt',
      req => [Origin => $A, ACRM => 'POST', ACRPN => 'true'],
      status => 403, no_cors => 1,
      absent => [qw(ACAO ACAC ACAM ACAH ACAPN)],
      vary => { Origin => 1 },
      log => reason('method', 'POST'),
      pf => 'preflight-denied-method' },
    { name => 'methods compare case-sensitively', path => '/pf/l/full/ok.txt',
      req => [Origin => $A, ACRM => 'put'],
      status => 403, no_cors => 1,
      vary => { Origin => 1 },
      log => reason('method', 'put'),
      pf => 'preflight-denied-method' },
    { name => 'header denied', path => '/pf/l/full/ok.txt',
      req => [Origin => $A, ACRM => 'PUT', ACRH => 'x-token, x-evil'],
      status => 403, no_cors => 1,
      absent => [qw(ACAO ACAC ACAM ACAH ACAPN)],
      vary => { Origin => 1 },
      log => reason('header', 'x-evil'),
      pf => 'preflight-denied-header' },
    { name => 'default methods deny PUT', path => '/pf/l/basic/ok.txt',
      req => [Origin => $A, ACRM => 'PUT'],
      status => 403, no_cors => 1,
      log => reason('method', 'PUT'),
      pf => 'preflight-denied-method' },

    # Actual requests: the other PREFLIGHT values.
    { name => 'actual request, allowed origin', method => 'GET', path => '/pf/l/full/ok.txt',
      req => [Origin => $A],
      status => 200,
      hdr => { ACAO => $A, ACAC => 'true', ACEH => 'X-Request-Id, X-Total' },
      absent => [qw(ACAM ACAH ACMA ACAPN)],
      vary => { Origin => 1 },
      pf => 'cors-allowed' },
    { name => 'actual request, denied origin', method => 'GET', path => '/pf/l/full/ok.txt',
      req => [Origin => $EVIL],
      status => 200, no_cors => 1,
      absent => [qw(ACEH)],
      vary => { Origin => 1 },
      pf => 'cors-denied-origin' },
    { name => 'no Origin: PREFLIGHT not set', method => 'GET', path => '/pf/l/full/ok.txt',
      req => [],
      status => 200, no_cors => 1,
      vary => { Origin => 1 },
      pf => '-' },
    { name => 'OPTIONS without Access-Control-Request-Method is no preflight',
      path => '/pf/l/basic/ok.txt',
      req => [Origin => $A],
      status => 200,
      hdr => { ACAO => $A },
      absent => [qw(ACAM)],
      vary => { Origin => 1 },
      pf => 'cors-allowed' },
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
