# Backends (SPEC behaviour 5, "Shape", PreflightPassthrough): a preflight is
# answered by the module and never reaches a CGI or a proxied backend (unless
# PreflightPassthrough is on), and in scope the module owns the
# Access-Control-* response headers: whatever a backend, a CGI or mod_headers
# sets is replaced by the module's answer, or removed, so a response never
# carries two Access-Control-Allow-Origin headers.
#
# /act/backend/ stands for an application server that sets its own CORS
# headers (Access-Control-Allow-Origin: https://backend.example,
# -Credentials: true, -Expose-Headers: X-Backend-Only); /act/proxied*/ reach
# it through mod_proxy. probe.cgi?own=1 sets its own headers too
# (https://cgi.example, Allow-Methods: DELETE, Expose-Headers: X-Cgi-Own).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use HTTP::Request;
use LWP::UserAgent;
use Time::HiRes qw(sleep);

my $APP  = 'https://app.example';
my $EVIL = 'https://evil.example';
my $DATA = "act data file\n";
my %pre_put = (Origin => $APP, 'Access-Control-Request-Method' => 'PUT');

my @cases = (
    # --- through the proxy ---
    { name => 'proxied GET, allowed origin',
      req => [GET => '/act/proxied/data.txt', [Origin => $APP]],
      status => 200, body => $DATA,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Expose-Headers' => ['X-Act-Marker'],
                  Vary => ['Origin'] },
      pf => 'cors-allowed', backend => 'GET' },
    { name => 'proxied GET, refused origin',
      req => [GET => '/act/proxied/data.txt', [Origin => $EVIL]],
      status => 200, body => $DATA, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin', backend => 'GET' },
    { name => 'proxied GET, no Origin',
      req => [GET => '/act/proxied/data.txt', []],
      status => 200, body => $DATA, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      backend => 'GET' },
    { name => 'proxied 404, allowed origin',
      req => [GET => '/act/proxied/missing.txt', [Origin => $APP]],
      status => 404,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Expose-Headers' => ['X-Act-Marker'] },
      backend => 'GET' },
    { name => 'proxied 404, refused origin',
      req => [GET => '/act/proxied/missing.txt', [Origin => $EVIL]],
      status => 404, no_cors => 1, backend => 'GET' },
    { name => 'proxied CGI with its own headers, allowed origin',
      req => [GET => '/act/proxied/probe.cgi?own=1', [Origin => $APP]],
      status => 200, body => "probe ran: GET\n",
      hdr => { 'X-Act-Marker' => 'probe-GET',
               'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Expose-Headers' => ['X-Act-Marker'] },
      absent => ['Access-Control-Allow-Methods'],
      backend => 'GET' },
    { name => 'proxied credentials off: backend credentials removed',
      req => [GET => '/act/proxied-nocred/data.txt', [Origin => $APP]],
      status => 200, body => $DATA,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      absent => [qw(Access-Control-Allow-Credentials Access-Control-Expose-Headers)],
      backend => 'GET' },
    { name => 'proxied preflight, allowed',
      req => [OPTIONS => '/act/proxied/probe.cgi', [%pre_put]],
      status => 204, body => '',
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Allow-Methods' => [qw(GET PUT)] },
      absent => ['X-Act-Marker'],
      pf => 'preflight-allowed', backend => '' },
    { name => 'proxied preflight, refused origin',
      req => [OPTIONS => '/act/proxied/probe.cgi',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'GET']],
      status => 403, no_cors => 1,
      absent => ['X-Act-Marker'],
      pf => 'preflight-denied-origin', backend => '' },
    { name => 'proxied preflight, refused method',
      req => [OPTIONS => '/act/proxied/probe.cgi',
              [Origin => $APP, 'Access-Control-Request-Method' => 'DELETE']],
      status => 403, no_cors => 1, backend => '' },
    # plain OPTIONS belongs to the application
    { name => 'proxied plain OPTIONS with Origin',
      req => [OPTIONS => '/act/proxied/probe.cgi', [Origin => $APP]],
      status => 200, body => "probe ran: OPTIONS\n",
      hdr => { 'X-Act-Marker' => 'probe-OPTIONS',
               'Access-Control-Allow-Origin' => $APP },
      absent => ['Access-Control-Allow-Methods'],
      pf => 'cors-allowed', backend => 'OPTIONS' },
    { name => 'proxied plain OPTIONS without Origin',
      req => [OPTIONS => '/act/proxied/probe.cgi', []],
      status => 200, body => "probe ran: OPTIONS\n", no_cors => 1,
      backend => 'OPTIONS' },
    { name => 'proxied passthrough preflight, allowed',
      req => [OPTIONS => '/act/proxied-pass/probe.cgi?own=1', [%pre_put]],
      status => 200, body => "probe ran: OPTIONS\n",
      hdr => { 'X-Act-Marker' => 'probe-OPTIONS',
               'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Allow-Methods' => [qw(GET PUT)] },
      pf => 'preflight-allowed', backend => 'OPTIONS' },
    { name => 'proxied passthrough preflight, refused origin',
      req => [OPTIONS => '/act/proxied-pass/probe.cgi?own=1',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'PUT']],
      status => 403, no_cors => 1,
      absent => ['X-Act-Marker'],
      pf => 'preflight-denied-origin', backend => '' },

    # --- a local CGI ---
    { name => 'CGI with its own headers, allowed origin',
      req => [GET => '/act/basic/probe.cgi?own=1', [Origin => $APP]],
      status => 200, body => "probe ran: GET\n",
      hdr => { 'X-Act-Marker' => 'probe-GET',
               'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)] },
      absent => ['Access-Control-Allow-Methods'] },
    { name => 'CGI with its own headers, refused origin',
      req => [GET => '/act/basic/probe.cgi?own=1', [Origin => $EVIL]],
      status => 200, body => "probe ran: GET\n", no_cors => 1,
      hdr => { 'X-Act-Marker' => 'probe-GET' } },
    { name => 'CGI with its own headers, no Origin',
      req => [GET => '/act/basic/probe.cgi?own=1', []],
      status => 200, no_cors => 1 },
    { name => 'CGI with its own headers, 404 status, allowed origin',
      req => [GET => '/act/basic/probe.cgi?own=1&status=404', [Origin => $APP]],
      status => 404, body => "probe ran: GET\n",
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      absent => ['Access-Control-Allow-Methods'] },
    { name => 'CGI with its own headers, 404 status, refused origin',
      req => [GET => '/act/basic/probe.cgi?own=1&status=404', [Origin => $EVIL]],
      status => 404, no_cors => 1 },
    { name => 'CGI preflight, allowed',
      req => [OPTIONS => '/act/basic/probe.cgi?own=1', [%pre_put]],
      status => 204, body => '',
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Allow-Methods' => [qw(GET POST PUT)] },
      absent => ['X-Act-Marker'],
      pf => 'preflight-allowed' },
    { name => 'CGI preflight, refused origin',
      req => [OPTIONS => '/act/basic/probe.cgi?own=1',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'PUT']],
      status => 403, no_cors => 1,
      absent => ['X-Act-Marker'] },

    # --- PreflightPassthrough On: the CGI answers, the module adds headers ---
    { name => 'passthrough preflight, allowed',
      req => [OPTIONS => '/act/pass/probe.cgi?own=1',
              [%pre_put, 'Access-Control-Request-Headers' => 'x-requested-with']],
      status => 200, body => "probe ran: OPTIONS\n",
      hdr => { 'X-Act-Marker' => 'probe-OPTIONS',
               'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Allow-Methods' => [qw(GET PUT)],
                  'Access-Control-Allow-Headers' => ['X-Requested-With'] },
      pf => 'preflight-allowed' },
    { name => 'passthrough preflight, CGI without its own headers',
      req => [OPTIONS => '/act/pass/probe.cgi', [%pre_put]],
      status => 200, body => "probe ran: OPTIONS\n",
      hdr => { 'X-Act-Marker' => 'probe-OPTIONS',
               'Access-Control-Allow-Origin' => $APP },
      tokens => { 'Access-Control-Allow-Methods' => [qw(GET PUT)] } },
    { name => 'passthrough preflight, refused origin',
      req => [OPTIONS => '/act/pass/probe.cgi?own=1',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'PUT']],
      status => 403, no_cors => 1,
      absent => ['X-Act-Marker'],
      pf => 'preflight-denied-origin' },
    { name => 'passthrough preflight, refused method',
      req => [OPTIONS => '/act/pass/probe.cgi?own=1',
              [Origin => $APP, 'Access-Control-Request-Method' => 'DELETE']],
      status => 403, no_cors => 1,
      absent => ['X-Act-Marker'],
      pf => 'preflight-denied-method' },
    { name => 'passthrough preflight, refused header',
      req => [OPTIONS => '/act/pass/probe.cgi?own=1',
              [%pre_put, 'Access-Control-Request-Headers' => 'x-not-allowed']],
      status => 403, no_cors => 1,
      absent => ['X-Act-Marker'],
      pf => 'preflight-denied-header' },
    { name => 'passthrough, actual GET',
      req => [GET => '/act/pass/probe.cgi?own=1', [Origin => $APP]],
      status => 200, body => "probe ran: GET\n",
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { 'Access-Control-Expose-Headers' => ['X-Act-Marker'] },
      absent => ['Access-Control-Allow-Methods'] },

    # --- a copied mod_headers recipe left in place ---
    { name => 'Header set ACAO *, allowed origin',
      req => [GET => '/act/hdrs/data.txt', [Origin => $APP]],
      status => 200, body => $DATA,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' } },
    { name => 'Header set ACAO *, refused origin',
      req => [GET => '/act/hdrs/data.txt', [Origin => $EVIL]],
      status => 200, body => $DATA, no_cors => 1 },
    { name => 'Header set ACAO *, no Origin',
      req => [GET => '/act/hdrs/data.txt', []],
      status => 200, no_cors => 1 },
    { name => 'Header set ACAO *, preflight',
      req => [OPTIONS => '/act/hdrs/data.txt', [%pre_put]],
      status => 204,
      hdr => { 'Access-Control-Allow-Origin' => $APP } },
    { name => 'Header add ACAO twice, allowed origin',
      req => [GET => '/act/hdrs-add/data.txt', [Origin => $APP]],
      status => 200, body => $DATA,
      hdr => { 'Access-Control-Allow-Origin' => $APP } },
    { name => 'Header add ACAO twice, 404, allowed origin',
      req => [GET => '/act/hdrs-add/missing.txt', [Origin => $APP]],
      status => 404,
      hdr => { 'Access-Control-Allow-Origin' => $APP } },
    { name => 'Header add ACAO twice, refused origin',
      req => [GET => '/act/hdrs-add/data.txt', [Origin => $EVIL]],
      status => 200, no_cors => 1 },
    { name => 'Header always set ACAO *, 404, allowed origin',
      req => [GET => '/act/hdrs-always/missing.txt', [Origin => $APP]],
      status => 404,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      absent => ['Access-Control-Allow-Methods'] },
    { name => 'Header always set ACAO *, 404, refused origin',
      req => [GET => '/act/hdrs-always/missing.txt', [Origin => $EVIL]],
      status => 404, no_cors => 1 },
    { name => 'Header always set ACAO *, preflight',
      req => [OPTIONS => '/act/hdrs-always/data.txt', [%pre_put]],
      status => 204,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { 'Access-Control-Allow-Methods' => [qw(GET PUT)] } },
    { name => 'Header always set ACAO *, refused preflight',
      req => [OPTIONS => '/act/hdrs-always/data.txt',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'PUT']],
      status => 403, no_cors => 1 },
);

plan tests => count(@cases);

run_case($_) for @cases;

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
