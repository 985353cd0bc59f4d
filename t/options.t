# Plain OPTIONS (SPEC behaviour 2): OPTIONS without Origin or without
# Access-Control-Request-Method, and "OPTIONS *", is not a preflight. It
# reaches whatever answers it without the module (the core's Allow, mod_dav's
# DAV, a CGI) and is treated as an actual request: Access-Control-Allow-Origin
# for an allowed origin, Vary, PREFLIGHT=cors-*.
#
# /act/opts/ allows GET PUT DELETE, the core's static-file handler allows
# GET POST OPTIONS HEAD (TRACE): a POST and no PUT in Allow means the core
# answered, the reverse means the module did.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use HTTP::Request;
use IO::Socket::INET;
use LWP::UserAgent;
use Time::HiRes qw(sleep);

my $APP  = 'https://app.example';
my $EVIL = 'https://evil.example';
my %core_allow  = (has   => { Allow => [qw(GET POST OPTIONS)] },
                   lacks => { Allow => [qw(PUT DELETE)] });
my @preflight_only = qw(Access-Control-Allow-Methods Access-Control-Allow-Headers
                        Access-Control-Max-Age);

my @cases = (
    { name => 'OPTIONS without Origin',
      req => [OPTIONS => '/act/opts/data.txt', []],
      status => 200, body => '', %core_allow, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => '-' },
    { name => 'OPTIONS with Origin only, allowed',
      req => [OPTIONS => '/act/opts/data.txt', [Origin => $APP]],
      status => 200, body => '', %core_allow,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { Vary => ['Origin'] },
      absent => [@preflight_only],
      pf => 'cors-allowed' },
    { name => 'OPTIONS with Origin only, refused',
      req => [OPTIONS => '/act/opts/data.txt', [Origin => $EVIL]],
      status => 200, %core_allow, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => 'OPTIONS with Access-Control-Request-Method only',
      req => [OPTIONS => '/act/opts/data.txt', ['Access-Control-Request-Method' => 'PUT']],
      status => 200, %core_allow, no_cors => 1,
      pf => '-' },
    { name => 'OPTIONS with Origin and Access-Control-Request-Headers only',
      req => [OPTIONS => '/act/opts/data.txt',
              [Origin => $APP, 'Access-Control-Request-Headers' => 'x-requested-with']],
      status => 200, %core_allow,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      absent => [@preflight_only],
      pf => 'cors-allowed' },
    # the contrast: a real preflight gets the module's answer and Allow
    { name => 'preflight for comparison',
      req => [OPTIONS => '/act/opts/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'PUT']],
      status => 204, body => '',
      has => { Allow => [qw(GET HEAD PUT DELETE OPTIONS)] },
      lacks => { Allow => ['POST'] },
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      pf => 'preflight-allowed' },

    # mod_dav answers OPTIONS with its DAV header
    { name => 'DAV OPTIONS without Origin',
      req => [OPTIONS => '/act/dav/res.txt', []],
      status => 200, no_cors => 1,
      has => { DAV => [qw(1 2)], Allow => [qw(PROPFIND OPTIONS)] },
      hdr => { 'MS-Author-Via' => 'DAV' },
      tokens => { Vary => ['Origin'] } },
    { name => 'DAV OPTIONS with Origin, allowed',
      req => [OPTIONS => '/act/dav/res.txt', [Origin => $APP]],
      status => 200,
      has => { DAV => [qw(1 2)], Allow => [qw(PROPFIND OPTIONS)] },
      hdr => { 'MS-Author-Via' => 'DAV',
               'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { Vary => ['Origin'] },
      absent => ['Access-Control-Allow-Methods'],
      pf => 'cors-allowed' },
    { name => 'DAV OPTIONS on a collection, allowed origin',
      req => [OPTIONS => '/act/dav/', [Origin => $APP]],
      status => 200,
      has => { DAV => [qw(1 2)] },
      hdr => { 'Access-Control-Allow-Origin' => $APP } },
    { name => 'DAV OPTIONS with Origin, refused',
      req => [OPTIONS => '/act/dav/res.txt', [Origin => $EVIL]],
      status => 200, no_cors => 1,
      has => { DAV => [qw(1 2)] },
      pf => 'cors-denied-origin' },
    { name => 'DAV preflight is not seen by mod_dav',
      req => [OPTIONS => '/act/dav/res.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'PROPFIND']],
      status => 204, body => '',
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { 'Access-Control-Allow-Methods' => [qw(GET PUT DELETE PROPFIND)] },
      absent => [qw(DAV MS-Author-Via)],
      pf => 'preflight-allowed' },
    { name => 'DAV PROPFIND, allowed origin',
      req => [PROPFIND => '/act/dav/res.txt', [Origin => $APP, Depth => 0]],
      status => 207, body => qr/multistatus/,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      pf => 'cors-allowed' },
    { name => 'DAV PROPFIND, refused origin',
      req => [PROPFIND => '/act/dav/res.txt', [Origin => $EVIL, Depth => 0]],
      status => 207, no_cors => 1 },

    # a CGI has its own OPTIONS semantics
    { name => 'CGI OPTIONS without Origin',
      req => [OPTIONS => '/act/basic/probe.cgi', []],
      status => 200, body => "probe ran: OPTIONS\n", no_cors => 1,
      hdr => { 'X-Act-Marker' => 'probe-OPTIONS' },
      tokens => { Vary => ['Origin'] } },
    { name => 'CGI OPTIONS with Origin only, allowed',
      req => [OPTIONS => '/act/basic/probe.cgi', [Origin => $APP]],
      status => 200, body => "probe ran: OPTIONS\n",
      hdr => { 'X-Act-Marker' => 'probe-OPTIONS',
               'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      absent => [@preflight_only],
      pf => 'cors-allowed' },
    { name => 'CGI OPTIONS with Origin only, refused',
      req => [OPTIONS => '/act/basic/probe.cgi', [Origin => $EVIL]],
      status => 200, body => "probe ran: OPTIONS\n", no_cors => 1,
      pf => 'cors-denied-origin' },
    { name => 'CGI preflight for comparison',
      req => [OPTIONS => '/act/basic/probe.cgi',
              [Origin => $APP, 'Access-Control-Request-Method' => 'PUT']],
      status => 204, body => '',
      absent => ['X-Act-Marker'] },
);

# "OPTIONS *" is answered by the core before any per-URI processing: a bare
# 200 with no Allow. In scope (<Location "*"> in act.conf) and shaped like a
# preflight it must still get exactly that.
my @star = (
    [ 'OPTIONS * shaped like a preflight',
      [Origin => $APP, 'Access-Control-Request-Method' => 'GET'] ],
    [ 'OPTIONS * with Origin only', [Origin => $APP] ],
    [ 'OPTIONS * without Origin', [] ],
);

plan tests => count(@cases) + 3 * @star;

run_case($_) for @cases;

for my $s (@star) {
    my ($name, $headers) = @$s;
    my ($status, $fields) = raw_options_star(@$headers);
    ok t_cmp($status, 200, "$name: status");
    ok t_cmp(join(', ', grep { /^(access-control-|vary$)/i } map { $_->[0] } @$fields),
             '', "$name: no Access-Control-* or Vary header");
    ok t_cmp(join(', ', grep { /^(allow|dav)$/i } map { $_->[0] } @$fields),
             '', "$name: no Allow or DAV header");
}

sub raw_options_star {
    my @headers = @_;
    my $sock = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1',
        PeerPort => Apache::Test::vars("port"),
        Timeout  => 10,
    ) or return ('(connect failed)', []);
    my $req = "OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    while (my ($k, $v) = splice @headers, 0, 2) {
        $req .= "$k: $v\r\n";
    }
    print $sock "$req\r\n";
    my $status_line = <$sock> // '';
    my ($status) = $status_line =~ m{^HTTP/1\.\d (\d{3})};
    my @fields;
    while (my $line = <$sock>) {
        $line =~ s/\r?\n\z//;
        last if $line eq '';
        push @fields, [split /:\s*/, $line, 2];
    }
    close $sock;
    return ($status // "(bad status line: $status_line)", \@fields);
}

# ---------------------------------------------------------------------------
# The same helper is in each act test (actual, errors, auth, backends, vary,
# options): one request per case, then every listed expectation is one
# assertion.
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

our ($UA, $TAGNO);

sub count {
    my $n = 0;
    for my $c (@_) {
        $n += grep { exists $c->{$_} }
            qw(status body no_cors pf redir_pf backend);
        $n += keys %{ $c->{$_} || {} } for qw(hdr tokens has lacks);
        $n += @{ $c->{absent} || [] };
    }
    return $n;
}

sub send_request {
    my ($method, $path, $headers, $content) = @_;
    $UA ||= LWP::UserAgent->new(timeout => 30, max_redirect => 0);
    my $req = HTTP::Request->new($method,
        Apache::TestRequest::resolve_url($path), $headers, $content);
    $req->header('Content-Length' => length $content) if defined $content;
    return $UA->request($req);
}

sub run_case {
    my $c = shift;
    my ($method, $path, $headers, $content) = @{ $c->{req} };
    # A unique query tag finds this request's lines in the access log.
    my $tag = "act$$-" . ++$TAGNO;
    $path .= ($path =~ /\?/ ? '&' : '?') . "t=$tag";
    my $res = send_request($method, $path, $headers, $content);
    my $n = $c->{name};

    ok t_cmp($res->code, $c->{status}, "$n: status") if exists $c->{status};
    ok t_cmp($res->content, $c->{body}, "$n: body") if exists $c->{body};

    for my $h (sort keys %{ $c->{hdr} || {} }) {
        ok t_cmp(join(' | ', $res->headers->header($h)), $c->{hdr}{$h},
                 "$n: exactly one $h");
    }
    for my $h (sort keys %{ $c->{tokens} || {} }) {
        my ($lines, @got) = tokens($res, $h);
        my $got = join ', ', sort @got;
        $got .= " ($lines header lines)" if $lines > 1 && $h =~ /^access-control-/i;
        ok t_cmp($got, join(', ', sort map { lc } @{ $c->{tokens}{$h} }),
                 "$n: $h tokens");
    }
    for my $h (sort keys %{ $c->{has} || {} }) {
        my ($lines, @got) = tokens($res, $h);
        my %seen;
        my @dup = grep { $seen{$_}++ == 1 } @got;
        my @missing = grep { !$seen{lc $_} } @{ $c->{has}{$h} };
        my $problem = '';
        $problem .= "missing @missing; " if @missing;
        $problem .= "twice @dup; " if @dup;
        $problem .= "$h: " . join(' | ', $res->headers->header($h)) if $problem;
        ok t_cmp($problem, '', "$n: $h has @{ $c->{has}{$h} }, none twice");
    }
    for my $h (sort keys %{ $c->{lacks} || {} }) {
        my ($lines, @got) = tokens($res, $h);
        my %bad = map { lc($_) => 1 } @{ $c->{lacks}{$h} };
        ok t_cmp(join(', ', grep { $bad{$_} } @got), '',
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
        my $front = log_line(qr/"\Q$method $path\E HTTP/);
        my ($pf, $redir) = $front =~ / pf=(\S*) redir_pf=(\S*)$/;
        ok t_cmp($pf // '(no log line)', $c->{pf}, "$n: PREFLIGHT logged")
            if exists $c->{pf};
        ok t_cmp($redir // '(no log line)', $c->{redir_pf},
                 "$n: REDIRECT_PREFLIGHT logged") if exists $c->{redir_pf};
        if (exists $c->{backend}) {
            # The backend's line is written before the front end's one.
            my @methods = map { /"(\S+) \/act\/backend\/\S*[?&]t=\Q$tag\E[& ]/ ? $1 : () }
                log_lines();
            ok t_cmp(join(',', @methods), $c->{backend},
                     "$n: methods the backend received");
        }
    }
}

sub tokens {
    my ($res, $h) = @_;
    my @lines = $res->headers->header($h);
    return (scalar(@lines),
            map { lc } grep { length } map { s/^\s+|\s+$//gr } map { split /,/ } @lines);
}

sub log_lines {
    my $file = Apache::Test::vars('t_logs') . '/access_log';
    open my $fh, '<', $file or return ();
    my @lines = <$fh>;
    chomp @lines;
    return @lines;
}

sub log_line {
    my $re = shift;
    for (1 .. 250) {
        my ($line) = grep { $_ =~ $re } log_lines();
        return $line if defined $line;
        sleep 0.02;
    }
    return '';
}
