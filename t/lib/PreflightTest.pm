package PreflightTest;

# Table-driven cases for the Apache::Test files. A case is one request; each
# expectation it lists is one assertion, so a file plans with the count of its
# cases before running them:
#
#   plan tests => pf_tests(@cases);     plan tests => act_tests(@cases);
#   run_pf(@cases);                     run_act(@cases);
#
# pf cases (preflight.t, directives.t, merge.t, htaccess.t; t/conf/pf.conf.in)
# probe one policy per path with short requests, so they name headers by their
# initials (ACAO, ACRM, ..., see %H) or in full:
#   path, method (OPTIONS, GET or HEAD; OPTIONS by default), req [name => value]
#   write       [dir under htdocs, text]: the .htaccess to write first
#   status
#   hdr         { h => value }   the header's lines joined with ' | '
#   names       { h => [..] }    its tokens, in this order, case-insensitive
#   set         { h => [..] }    its tokens as a set, case-insensitive
#   absent      [h, ..]          header not sent
#   no_cors                      no Access-Control-Allow-* header at all
#   vary        { h => 0 or 1 }  whether Vary names h; then no Vary token twice
#   allow       [..]             the Allow methods as a set
#   allow_has, allow_lacks [..]  methods Allow must or must not name
#   empty                        empty body; Content-Length 0 or none (none on 204)
#   log         [qr//, ..]       one error_log line since the request matches all
#   pf                           %{PREFLIGHT}e in the access log ('-' when unset)
#
# act cases (actual.t, errors.t, auth.t, backends.t, vary.t, options.t;
# t/conf/act.conf.in) send any method with a body, without following
# redirects, and name headers in full:
#   req    [METHOD => path, [name => value, ..], body]
#   status, body (string or qr//)
#   hdr    { name => value }   exactly one such header, with exactly that value
#   tokens { name => [..] }    comma-separated tokens are exactly this set,
#                              case-insensitive, none twice
#   has    { name => [..] }    these tokens present, and no token twice
#   lacks  { name => [..] }    none of these tokens
#   absent [names]             header not sent at all
#   no_cors                    no Access-Control-* response header at all
#   pf, redir_pf               %{PREFLIGHT}e / %{REDIRECT_PREFLIGHT}e in the
#                              access log ('-' when unset)
#   backend                    methods the proxied backend logged for this
#                              request ('' when it saw none)

use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use HTTP::Request;
use LWP::UserAgent;
use Time::HiRes qw(sleep);

our @EXPORT = qw(pf_tests run_pf reason engine_off act_tests run_act);

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

sub logs { Apache::Test::vars('t_logs') }

# ---- requests and logs

# A query parameter unique to one request, so that its access log line can
# be told from every other one.
my $tagno = 0;
sub tagged {
    my $path = shift;
    my ($base) = $0 =~ m{([^/]+)\.t$};
    my $tag = ($base // 'test') . '-' . ++$tagno . "-$$";
    return ($path . ($path =~ /\?/ ? '&' : '?') . "t=$tag", $tag);
}

sub access_log_lines {
    open my $fh, '<', logs() . '/access_log' or return ();
    my @lines = <$fh>;
    chomp @lines;
    return @lines;
}

# (PREFLIGHT, REDIRECT_PREFLIGHT) as logged for a request, () when its line
# never came: httpd writes the line only after the response has gone.
sub logged {
    my ($method, $path) = @_;
    my $re = qr/"\Q$method $path\E HTTP/;
    for (1 .. 250) {
        for (access_log_lines()) {
            return / pf=(\S*) redir_pf=(\S*)$/ if $_ =~ $re;
        }
        sleep 0.02;
    }
    return;
}

sub slurp_from {
    my ($file, $off) = @_;
    open my $fh, '<', $file or return '';
    seek $fh, $off, 0;
    local $/;
    return scalar <$fh> // '';
}

# Looks again for a moment, since httpd may write the line after the client
# has the response.
sub log_has {
    my ($off, $res) = @_;
    my $file = logs() . '/error_log';
    for (1 .. 10) {
        for my $line (split /\n/, slurp_from($file, $off)) {
            return 1 unless grep { $line !~ $_ } @$res;
        }
        sleep 0.05;
    }
    t_debug('error_log since request: ' . slurp_from($file, $off));
    return 0;
}

# Every line of a header, as one list: HTTP lets a list header be split
# across lines.
sub header_tokens {
    my ($r, $h) = @_;
    return grep { length } map { s/^\s+|\s+$//gr } map { split /,/ }
        $r->headers->header($H{$h} // $h);
}

# ---- pf cases

# A denial reason: one info line from the module naming what and which value.
sub reason {
    my ($what, $value) = @_;
    return [qr/\[preflight:info\]/, qr/\Q$what\E/i,
            defined $value ? qr/\Q$value\E/ : ()];
}

# A preflight and an actual request where the module is off: httpd answers as
# if it were not loaded, so OPTIONS gets the core's Allow (which never names
# PUT for a static file) and neither response has anything of CORS.
sub engine_off {
    my ($name, $path, $origin) = @_;
    return (
        { name => "$name, preflight", path => $path,
          req => [Origin => $origin, ACRM => 'PUT'],
          status => 200, no_cors => 1,
          absent => [qw(ACEH ACMA)],
          vary => { Origin => 0 },
          allow_has => ['OPTIONS'], allow_lacks => ['PUT'],
          pf => '-' },
        { name => "$name, actual", method => 'GET', path => $path,
          req => [Origin => $origin],
          status => 200, no_cors => 1,
          absent => [qw(ACEH)],
          vary => { Origin => 0 },
          pf => '-' },
    );
}

sub values_of {
    my ($r, $h) = @_;
    my @v = $r->headers->header($H{$h} // $h);
    return @v ? join(' | ', @v) : undef;
}

sub dups {
    my %n;
    $n{ lc $_ }++ for @_;
    return join ' ', sort grep { $n{$_} > 1 } keys %n;
}

# [what, sub ($response, $ctx) returning the value, expected value]
sub pf_checks {
    my $c = shift;
    my @k = (['status', sub { $_[0]->code }, $c->{status}]);
    for my $h (sort keys %{ $c->{hdr} || {} }) {
        push @k, [$H{$h}, sub { values_of($_[0], $h) }, $c->{hdr}{$h}];
    }
    for my $h (sort keys %{ $c->{names} || {} }) {
        push @k, ["$H{$h} names", sub { [map lc, header_tokens($_[0], $h)] },
                  [map lc, @{ $c->{names}{$h} }]];
    }
    for my $h (sort keys %{ $c->{set} || {} }) {
        push @k, ["$H{$h} set", sub { [sort map lc, header_tokens($_[0], $h)] },
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
                      sub { scalar grep { lc eq $name } header_tokens($_[0], 'Vary') },
                      $v->{$t}];
        }
        push @k, ['no Vary token twice', sub { dups(header_tokens($_[0], 'Vary')) }, ''];
    }
    if ($c->{allow}) {
        push @k, ['Allow', sub { [sort(header_tokens($_[0], 'Allow'))] },
                  [sort @{ $c->{allow} }]];
    }
    for my $m (@{ $c->{allow_has} || [] }) {
        push @k, ["Allow has $m",
                  sub { scalar grep { $_ eq $m } header_tokens($_[0], 'Allow') }, 1];
    }
    for my $m (@{ $c->{allow_lacks} || [] }) {
        push @k, ["Allow lacks $m",
                  sub { scalar grep { $_ eq $m } header_tokens($_[0], 'Allow') }, 0];
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
        push @k, ['PREFLIGHT',
                  sub { (logged(@{ $_[1] }{qw(method url)}))[0] // '(no log line)' },
                  $c->{pf}];
    }
    return @k;
}

sub pf_tests {
    my $n = 0;
    $n += pf_checks($_) for @_;
    return $n;
}

sub run_pf {
    for my $c (@_) {
        my @h = @{ $c->{req} || [] };
        $h[$_] = $H{ $h[$_] } // $h[$_] for grep { $_ % 2 == 0 } 0 .. $#h;
        t_write_file(Apache::Test::vars('documentroot') . "/$c->{write}[0]/.htaccess",
                     $c->{write}[1]) if $c->{write};
        my ($url) = tagged($c->{path});
        my $m = $c->{method} || 'OPTIONS';
        my $error_log = logs() . '/error_log';
        my $ctx = { method => $m, url => $url, off => -s $error_log // 0 };
        my $r = $m eq 'GET'  ? GET($url, @h)
              : $m eq 'HEAD' ? HEAD($url, @h)
              :                OPTIONS($url, @h);
        for my $k (pf_checks($c)) {
            my ($what, $got, $expected) = @$k;
            ok t_cmp($got->($r, $ctx), $expected, "$c->{name}: $what");
        }
    }
}

# ---- act cases

sub act_tests {
    my $n = 0;
    for my $c (@_) {
        $n += grep { exists $c->{$_} }
            qw(status body no_cors pf redir_pf backend);
        $n += keys %{ $c->{$_} || {} } for qw(hdr tokens has lacks);
        $n += @{ $c->{absent} || [] };
    }
    return $n;
}

my $UA;
sub send_request {
    my ($method, $path, $headers, $content) = @_;
    $UA ||= LWP::UserAgent->new(timeout => 30, max_redirect => 0);
    my $req = HTTP::Request->new($method,
        Apache::TestRequest::resolve_url($path), $headers, $content);
    $req->header('Content-Length' => length $content) if defined $content;
    return $UA->request($req);
}

sub run_act {
    run_act_case($_) for @_;
}

sub run_act_case {
    my $c = shift;
    my ($method, $path, $headers, $content) = @{ $c->{req} };
    ($path, my $tag) = tagged($path);
    my $res = send_request($method, $path, $headers, $content);
    my $n = $c->{name};

    ok t_cmp($res->code, $c->{status}, "$n: status") if exists $c->{status};
    ok t_cmp($res->content, $c->{body}, "$n: body") if exists $c->{body};

    for my $h (sort keys %{ $c->{hdr} || {} }) {
        ok t_cmp(join(' | ', $res->headers->header($h)), $c->{hdr}{$h},
                 "$n: exactly one $h");
    }
    for my $h (sort keys %{ $c->{tokens} || {} }) {
        my $got = join ', ', sort map { lc } header_tokens($res, $h);
        my $lines = () = $res->headers->header($h);
        $got .= " ($lines header lines)" if $lines > 1 && $h =~ /^access-control-/i;
        ok t_cmp($got, join(', ', sort map { lc } @{ $c->{tokens}{$h} }),
                 "$n: $h tokens");
    }
    for my $h (sort keys %{ $c->{has} || {} }) {
        my %seen;
        my @dup = grep { $seen{$_}++ == 1 } map { lc } header_tokens($res, $h);
        my @missing = grep { !$seen{lc $_} } @{ $c->{has}{$h} };
        my $problem = '';
        $problem .= "missing @missing; " if @missing;
        $problem .= "twice @dup; " if @dup;
        $problem .= "$h: " . join(' | ', $res->headers->header($h)) if $problem;
        ok t_cmp($problem, '', "$n: $h has @{ $c->{has}{$h} }, none twice");
    }
    for my $h (sort keys %{ $c->{lacks} || {} }) {
        my %bad = map { lc($_) => 1 } @{ $c->{lacks}{$h} };
        ok t_cmp(join(', ', grep { $bad{$_} } map { lc } header_tokens($res, $h)), '',
                 "$n: $h lacks @{ $c->{lacks}{$h} }");
    }
    for my $h (@{ $c->{absent} || [] }) {
        ok t_cmp(join(' | ', $res->headers->header($h)), '', "$n: no $h");
    }
    if ($c->{no_cors}) {
        my @acx = grep { /^access-control-/i } $res->headers->header_field_names;
        ok t_cmp(join(', ', map { "$_: " . $res->header($_) } @acx), '',
                 "$n: no Access-Control-* header");
    }

    if (grep { exists $c->{$_} } qw(pf redir_pf backend)) {
        my ($pf, $redir) = logged($method, $path);
        ok t_cmp($pf // '(no log line)', $c->{pf}, "$n: PREFLIGHT logged")
            if exists $c->{pf};
        ok t_cmp($redir // '(no log line)', $c->{redir_pf},
                 "$n: REDIRECT_PREFLIGHT logged") if exists $c->{redir_pf};
        if (exists $c->{backend}) {
            # The backend writes its line after its response has gone, so it
            # may come after the front end's: wait for it. When none is
            # expected, give a stray one the same time to show up.
            my @methods;
            for (1 .. 100) {
                @methods = map { /"(\S+) \/act\/backend\/\S*[?&]t=\Q$tag\E[& ]/ ? $1 : () }
                    access_log_lines();
                last if @methods && $c->{backend} ne '';
                last if $c->{backend} eq '' && $_ >= 10;
                sleep 0.02;
            }
            ok t_cmp(join(',', @methods), $c->{backend},
                     "$n: methods the backend received");
        }
    }
}

1;
