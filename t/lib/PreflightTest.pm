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
#
# Every case of both kinds runs twice: over HTTP/1.1 (LWP, as a browser's
# request would come), then over HTTP/2 (h2c with prior knowledge, through
# mod_http2 and t/conf/h2.conf.in), named "NAME (h2)", with every expectation
# the same, and two more: the exchange was HTTP/2 on both sides (the client
# spoke it and the access log's request line says HTTP/2.0), and no field
# name came twice (h2 has no folding: a name that comes twice is two fields;
# Set-Cookie may, and so does mod_dav's DAV). A case the HTTP/2 run cannot
# hold for a reason of the protocol, not of the module, says why in
#   h1_only => 'why'                 runs over HTTP/1.1 only
# The h2 client is curl --http2-prior-knowledge, one process per request,
# whose answer is turned into an HTTP::Response like LWP's (each field a
# value of its own), so that the same checks read both. A request with a body
# goes through nghttp instead: when httpd answers before it has read the body
# (a 405, a refused or answered preflight, a 401) it then resets the stream
# with NO_ERROR (RFC 9113 8.1), which Debian 12's curl 7.88.1 reports as
# failure 92, "Stream error in the HTTP/2 framing layer", with or without
# mod_preflight.

use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use IO::Socket::INET;
use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use File::Temp qw(tempdir);
use HTTP::Headers;
use HTTP::Request;
use HTTP::Response;
use LWP::UserAgent;
use Time::HiRes qw(sleep);

our @EXPORT = qw(pf_tests run_pf reason engine_off act_tests run_act);
# What the act policies (t/conf/act.conf.in) say: the page origin $APP is
# allowed with credentials, $EVIL nowhere; $DATA is their static file.
our $APP  = 'https://app.example';
our $EVIL = 'https://evil.example';
our $DATA = "act data file\n";
our %allowed = (
    'Access-Control-Allow-Origin' => $APP,
    'Access-Control-Allow-Credentials' => 'true',
);
our %EXPORT_TAGS = (act => [qw($APP $EVIL $DATA %allowed)]);

our @EXPORT_OK = qw($APP $EVIL $DATA %allowed %H tagged logged log_line log_has slurp_from values_of
                    header_tokens twice h2_request nghttp raw_exchange);

# The names of the CORS headers, by their initials: pf cases use the initials,
# other files the names (use PreflightTest qw(:DEFAULT %H); $H{ACAO}).
our %H = (
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

# Bytes sent as they are to the test server, on a connection of their own;
# returns everything it answered (the request should say Connection: close).
sub raw_exchange {
    my $bytes = shift;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => Apache::Test::vars('port'),
                                     Timeout => 30) or die "connect: $!";
    binmode $sock;
    print $sock $bytes;
    local $/;
    my $resp = <$sock> // '';
    close $sock;
    return $resp;
}

# A query parameter unique to one request, so that its access log line can
# be told from every other one.
my $tagno = 0;
sub tagged {
    my ($path, $proto) = @_;
    my ($base) = $0 =~ m{([^/]+)\.t$};
    my $tag = ($base // 'test') . '-' . ++$tagno . ($proto ? "-$proto" : '') . "-$$";
    return ($path . ($path =~ /\?/ ? '&' : '?') . "t=$tag", $tag);
}

sub access_log_lines {
    open my $fh, '<', logs() . '/access_log' or return ();
    my @lines = <$fh>;
    chomp @lines;
    return @lines;
}

# (PREFLIGHT, REDIRECT_PREFLIGHT, protocol) as logged for a request, () when
# its line never came: httpd writes the line only after the response has
# gone. The protocol is the end of the request line (%r): HTTP/1.1, HTTP/2.0.
sub log_line {
    my ($method, $path) = @_;
    my $re = qr/"\Q$method $path\E (HTTP\/[\d.]+)" .* pf=(\S*) redir_pf=(\S*)$/;
    for (1 .. 250) {
        for (access_log_lines()) {
            return ($2, $3, $1) if $_ =~ $re;
        }
        sleep 0.02;
    }
    return;
}

# (PREFLIGHT, REDIRECT_PREFLIGHT) as logged for a request, () when none.
sub logged {
    my @l = log_line(@_);
    return @l ? @l[0, 1] : ();
}

sub slurp_from {
    my ($file, $off) = @_;
    open my $fh, '<', $file or return '';
    binmode $fh;
    seek $fh, $off // 0, 0;
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

# ---- HTTP/2

my $TMP;

# One HTTP/2 request (h2c, prior knowledge) as an HTTP::Response with every
# field a value of its own, and what the client saw of the protocol:
# ($response, { version => '2' or what curl said, client => 'curl' or
# 'nghttp', error => its complaint }); status 0 when no answer came.
# Without a body: one curl process, one connection. With a body: one nghttp
# process (see the top of this file).
sub h2_request {
    my ($method, $path, $headers, $content) = @_;
    if (defined $content) {
        my ($info, $res) = nghttp($method, [$path], $headers, $content);
        $info = { client => 'nghttp', error => $info->{error},
                  version => $res->protocol eq 'HTTP/2' ? '2' : '' };
        t_debug("h2 $method $path: nghttp HTTP/$info->{version} " . $res->code
                . " $info->{error}");
        return ($res, $info);
    }
    my $url = Apache::TestRequest::resolve_url($path);
    my ($status, $fields, $body, $info) = h2_curl($method, $url, $headers);
    my $h = HTTP::Headers->new;
    $h->push_header(@$_) for @$fields;
    my $res = HTTP::Response->new($status || 0, '', $h, $body);
    $res->protocol($info->{version} eq '2' ? 'HTTP/2' : 'none');
    $res->request(HTTP::Request->new($method, $url));
    t_debug("h2 $method $path: curl HTTP/$info->{version} "
            . ($status || 'no status') . " $info->{error}");
    return ($res, $info);
}

sub h2_curl {
    my ($method, $url, $headers) = @_;
    $TMP //= tempdir(CLEANUP => 1);
    my ($hfile, $bfile, $efile) = map { "$TMP/$_" } qw(headers body stderr);
    unlink $hfile, $bfile, $efile;
    my @cmd = ('curl', '-sS', '--http2-prior-knowledge', '--max-time', '30',
               '-D', $hfile, '-o', $bfile, '--stderr', $efile,
               '-w', '%{http_version}');
    push @cmd, $method eq 'HEAD' ? '--head' : $method eq 'GET' ? () : ('-X', $method);
    my @h = @$headers;
    while (my ($n, $v) = splice @h, 0, 2) {
        # "Name;" is how curl sends a field with an empty value
        push @cmd, '-H', $v eq '' ? "$n;" : "$n: $v";
    }
    push @cmd, $url;
    my $version = '';
    if (open my $out, '-|', @cmd) {
        local $/;
        $version = <$out> // '';
        close $out;
    }
    my $exit = $? >> 8;
    # A 1xx would come first; the last block is the response.
    my @blocks = split /\r?\n\r?\n/, slurp_from($hfile);
    my @lines = split /\r?\n/, $blocks[-1] // '';
    my $status = '';
    $status = $1 if @lines && shift(@lines) =~ m{^HTTP/\S+ (\d{3})};
    my @fields = map { /^([^:\s]+):[ \t]*(.*?)[ \t]*$/ ? [$1, $2] : () } @lines;
    my $error = slurp_from($efile);
    $error .= " (curl exit $exit)" if $exit;
    return ($status, \@fields, slurp_from($bfile),
            { client => 'curl', version => $version, error => $error });
}

# One nghttp connection (h2c, prior knowledge) with one stream per URL, all
# opened at once: ({ error, exit, opened_first => all streams were opened
# before the first answer came }, an HTTP::Response per URL, in order).
# nghttp -v prints every frame it sends and receives: a request's stream id
# with the HEADERS it sends (":path: ..." lines below), every answer field
# as "recv (stream_id=N) name: value", and the body (no -n) as it comes, each
# DATA frame's bytes just before the line "recv DATA frame <length=LEN, ..>".
sub nghttp {
    my ($method, $urls, $headers, $content) = @_;
    $TMP //= tempdir(CLEANUP => 1);
    my @cmd = ('nghttp', '-v', '--timeout=30');
    push @cmd, '-H', ":method: $method" unless $method eq 'GET';
    if (defined $content) {
        my $file = "$TMP/data";
        open my $fh, '>', $file or die "$file: $!";
        binmode $fh;
        print $fh $content;
        close $fh;
        push @cmd, "--data=$file";
    }
    my @h = @$headers;
    while (my ($n, $v) = splice @h, 0, 2) {
        push @cmd, '-H', lc($n) . ": $v";
    }
    my @full = map { Apache::TestRequest::resolve_url($_) } @$urls;
    push @cmd, @full;
    my $out = '';
    if (open my $o, '-|', @cmd) {
        binmode $o;
        local $/;
        $out = <$o> // '';
        close $o;
    }
    my $exit = $? >> 8;

    my (%stream_of, %fields, %status, %body, $sending, $first_recv, $last_send);
    my $i = 0;
    for my $line (split /\n/, $out) {
        $i++;
        if ($line =~ /send HEADERS frame .*stream_id=(\d+)>/) {
            ($sending, $last_send) = ($1, $i);
        }
        elsif (defined $sending && $line =~ /^\s+:path: (\S+)/) {
            $stream_of{$1} = $sending;
        }
        elsif ($line =~ /^\[\s*[\d.]+\] recv \(stream_id=(\d+)\) (:?[^:\s]+): ?(.*)$/) {
            if ($2 eq ':status') { $status{$1} = $3 }
            else                 { push @{ $fields{$1} }, [$2, $3] }
            $first_recv //= $i;
            undef $sending;
        }
        elsif ($line =~ /^\[/) {
            undef $sending;
        }
    }
    while ($out =~ /\[\s*[\d.]+\] recv DATA frame <length=(\d+), [^>]*stream_id=(\d+)>/g) {
        $body{$2} .= substr($out, $-[0] - $1, $1);
    }
    my @res;
    for my $k (0 .. $#$urls) {
        my ($path) = $full[$k] =~ m{^https?://[^/]+(/.*)$};
        my $id = $stream_of{$path // ''} // -1;
        my $h = HTTP::Headers->new;
        $h->push_header(@$_) for @{ $fields{$id} || [] };
        my $r = HTTP::Response->new($status{$id} || 0, '', $h, $body{$id} // '');
        $r->protocol(exists $status{$id} ? 'HTTP/2' : 'none');
        $r->request(HTTP::Request->new($method, $full[$k]));
        push @res, $r;
    }
    t_debug("nghttp: exit $exit\n$out") if $exit;
    return ({ exit => $exit, error => $exit ? "nghttp exit $exit" : '',
              opened_first => defined $last_send && defined $first_recv
                              && $last_send < $first_recv ? 1 : 0 }, @res);
}

# Field names that came more than once ("name xN"), but Set-Cookie, and DAV,
# which mod_dav itself sends as two fields (its classes, then its own
# propset URI), over HTTP/1.1 too.
sub twice {
    my $r = shift;
    my @n = grep { !/^(?:set-cookie|dav)$/i } $r->headers->header_field_names;
    return join ' ', map { my $k = () = $r->headers->header($_); $k > 1 ? lc($_) . " x$k" : () }
        sort { lc $a cmp lc $b } @n;
}

# The runs of a case: HTTP/1.1, and HTTP/2 unless it is h1_only.
sub protocols {
    my $c = shift;
    return $c->{h1_only} ? ('') : ('', 'h2');
}

# The two checks every h2 run adds.
sub h2_checks {
    my ($name, $r, $info, $method, $url) = @_;
    my $proto = (log_line($method, $url))[2] // '(no log line)';
    ok t_cmp("client HTTP/$info->{version}, server $proto",
             'client HTTP/2, server HTTP/2.0', "$name: the exchange was HTTP/2");
    ok t_cmp(twice($r), '', "$name: no field name twice");
}

# ---- pf cases

sub pf_tests {
    my $n = 0;
    for my $c (@_) {
        my $k = pf_checks($c);
        $n += $c->{h1_only} ? $k : 2 * $k + 2;
    }
    return $n;
}

sub run_pf {
    for my $c (@_) {
        my @h = @{ $c->{req} || [] };
        $h[$_] = $H{ $h[$_] } // $h[$_] for grep { $_ % 2 == 0 } 0 .. $#h;
        t_write_file(Apache::Test::vars('documentroot') . "/$c->{write}[0]/.htaccess",
                     $c->{write}[1]) if $c->{write};
        my $m = $c->{method} || 'OPTIONS';
        for my $proto (protocols($c)) {
            my ($url) = tagged($c->{path}, $proto);
            my $error_log = logs() . '/error_log';
            my $ctx = { method => $m, url => $url, off => -s $error_log // 0 };
            my $name = $proto ? "$c->{name} ($proto)" : $c->{name};
            my ($r, $info);
            if ($proto) {
                ($r, $info) = h2_request($m, $url, \@h);
                h2_checks($name, $r, $info, $m, $url);
            }
            else {
                $r = $m eq 'GET'  ? GET($url, @h)
                   : $m eq 'HEAD' ? HEAD($url, @h)
                   :                OPTIONS($url, @h);
            }
            for my $k (pf_checks($c)) {
                my ($what, $got, $expected) = @$k;
                ok t_cmp($got->($r, $ctx), $expected, "$name: $what");
            }
        }
    }
}

# ---- act cases

sub act_tests {
    my $n = 0;
    for my $c (@_) {
        my $k = grep { exists $c->{$_} }
            qw(status body no_cors pf redir_pf backend);
        $k += keys %{ $c->{$_} || {} } for qw(hdr tokens has lacks);
        $k += @{ $c->{absent} || [] };
        $n += $c->{h1_only} ? $k : 2 * $k + 2;
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
    for my $c (@_) {
        run_act_case($c, $_) for protocols($c);
    }
}

sub run_act_case {
    my ($c, $proto) = @_;
    my ($method, $path, $headers, $content) = @{ $c->{req} };
    ($path, my $tag) = tagged($path, $proto);
    my $n = $proto ? "$c->{name} ($proto)" : $c->{name};
    my $res;
    if ($proto) {
        ($res, my $info) = h2_request($method, $path, $headers, $content);
        h2_checks($n, $res, $info, $method, $path);
    }
    else {
        $res = send_request($method, $path, $headers, $content);
    }

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
