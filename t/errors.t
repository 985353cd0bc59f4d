# Error responses (SPEC behaviour 3): for an allowed origin the CORS headers
# are on 4xx and 5xx answers and on ErrorDocument pages too, since a browser
# hides from the page any response without them, error details included.
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
my $PAGE = qr/act custom 404 page/;

my %allowed = (
    'Access-Control-Allow-Origin' => $APP,
    'Access-Control-Allow-Credentials' => 'true',
);

my @cases = (
    { name => '404, allowed origin',
      req => [GET => '/act/basic/missing.txt', [Origin => $APP]],
      status => 404, hdr => {%allowed},
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '404, refused origin',
      req => [GET => '/act/basic/missing.txt', [Origin => $EVIL]],
      status => 404, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => '404, no Origin',
      req => [GET => '/act/basic/missing.txt', []],
      status => 404, no_cors => 1,
      tokens => { Vary => ['Origin'] } },

    # ErrorDocument: an internal redirect to a local page. The access log
    # line is the redirected request's, so the original request's decision
    # shows as REDIRECT_PREFLIGHT.
    { name => 'ErrorDocument page in scope, allowed origin',
      req => [GET => '/act/errdoc/missing.txt', [Origin => $APP]],
      status => 404, body => $PAGE, hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      redir_pf => 'cors-allowed' },
    { name => 'ErrorDocument page in scope, refused origin',
      req => [GET => '/act/errdoc/missing.txt', [Origin => $EVIL]],
      status => 404, body => $PAGE, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      redir_pf => 'cors-denied-origin' },
    { name => 'ErrorDocument page out of scope, allowed origin',
      req => [GET => '/act/errdoc-out/missing.txt', [Origin => $APP]],
      status => 404, body => $PAGE, hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      redir_pf => 'cors-allowed' },
    { name => 'ErrorDocument page out of scope, refused origin',
      req => [GET => '/act/errdoc-out/missing.txt', [Origin => $EVIL]],
      status => 404, body => $PAGE, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      redir_pf => 'cors-denied-origin' },

    # the error page is a script with its own Access-Control-* headers
    { name => 'ErrorDocument CGI, allowed origin',
      req => [GET => '/act/errdoc-cgi/missing.txt', [Origin => $APP]],
      status => 404, body => "probe ran: GET\n", hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      absent => [qw(Access-Control-Allow-Methods Access-Control-Expose-Headers)],
      redir_pf => 'cors-allowed' },
    { name => 'ErrorDocument CGI, refused origin',
      req => [GET => '/act/errdoc-cgi/missing.txt', [Origin => $EVIL]],
      status => 404, body => "probe ran: GET\n", no_cors => 1,
      tokens => { Vary => ['Origin'] },
      redir_pf => 'cors-denied-origin' },
    { name => 'ErrorDocument CGI for a refused preflight',
      req => [OPTIONS => '/act/errdoc-cgi/data.txt',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'GET']],
      status => 403, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      redir_pf => 'preflight-denied-origin' },
    { name => 'ErrorDocument CGI for a preflight with a refused method',
      req => [OPTIONS => '/act/errdoc-cgi/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'DELETE']],
      status => 403, no_cors => 1,
      redir_pf => 'preflight-denied-method' },

    # httpd's own 500: the script dies before sending a header
    { name => '500 from a broken CGI, allowed origin',
      req => [GET => '/act/basic/broken.cgi', [Origin => $APP]],
      status => 500, hdr => {%allowed},
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '500 from a broken CGI, refused origin',
      req => [GET => '/act/basic/broken.cgi', [Origin => $EVIL]],
      status => 500, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },

    # an application's own error status
    { name => '503 sent by a CGI, allowed origin',
      req => [GET => '/act/basic/probe.cgi?status=503', [Origin => $APP]],
      status => 503, body => "probe ran: GET\n",
      hdr => { %allowed, 'X-Act-Marker' => 'probe-GET' },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '503 sent by a CGI, refused origin',
      req => [GET => '/act/basic/probe.cgi?status=503', [Origin => $EVIL]],
      status => 503, no_cors => 1,
      tokens => { Vary => ['Origin'] } },

    # access control fails before fixups and handlers ever run
    { name => '403 from Require all denied, allowed origin',
      req => [GET => '/act/closed/data.txt', [Origin => $APP]],
      status => 403, hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '403 from Require all denied, POST, allowed origin',
      req => [POST => '/act/closed/probe.cgi', [Origin => $APP], 'x=1'],
      status => 403, hdr => {%allowed},
      tokens => { Vary => ['Origin'] } },
    { name => '403 from Require all denied, refused origin',
      req => [GET => '/act/closed/data.txt', [Origin => $EVIL]],
      status => 403, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },

    # mod_dir's trailing-slash redirect
    { name => '301 from mod_dir, allowed origin',
      req => [GET => '/act/basic/idx', [Origin => $APP]],
      status => 301, hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '301 from mod_dir, refused origin',
      req => [GET => '/act/basic/idx', [Origin => $EVIL]],
      status => 301, no_cors => 1,
      tokens => { Vary => ['Origin'] } },

    # the core refuses PUT on a static file
    { name => '405 from the core, allowed origin',
      req => [PUT => '/act/basic/data.txt', [Origin => $APP], 'new content'],
      status => 405, hdr => {%allowed},
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => '405 from the core, refused origin',
      req => [PUT => '/act/basic/data.txt', [Origin => $EVIL], 'new content'],
      status => 405, no_cors => 1 },
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
