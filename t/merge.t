use strict;
use warnings FATAL => 'all';

# Merging of nested <Directory> sections and a <Location> (t/conf/pf.conf.in,
# htdocs/pf/merge and htdocs/pf/mstar): an inner directive replaces, an unset
# one inherits, +/- lists edit the inherited list, repeated lines add up,
# PreflightEngine Off switches a subtree off.

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;

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
    { name => 'Off subtree, preflight', path => '/pf/merge/off/ok.txt',
      req => [Origin => $A, ACRM => 'PUT'],
      status => 200, no_cors => 1,
      absent => [qw(ACEH ACMA)],
      vary => { Origin => 0 },
      allow_has => ['OPTIONS'], allow_lacks => ['PUT'],
      pf => '-' },
    { name => 'Off subtree, actual', method => 'GET', path => '/pf/merge/off/ok.txt',
      req => [Origin => $A],
      status => 200, no_cors => 1,
      absent => [qw(ACEH)],
      vary => { Origin => 0 },
      pf => '-' },
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
