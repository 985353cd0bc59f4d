# Authentication (SPEC "Shape" and behaviour 2): a preflight never carries
# credentials, so an in-scope preflight is answered before authentication;
# every other request, plain OPTIONS included, still needs credentials, and
# its 401 carries the CORS headers so the page can see the refusal.
# Host-based access control still applies to preflights.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest;
use Apache::TestUtil;
use HTTP::Request;
use LWP::UserAgent;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(sleep);

my $APP  = 'https://app.example';
my $EVIL = 'https://evil.example';
my $DATA = "act data file\n";
my $GOOD = 'Basic ' . encode_base64('alice:wonderland', '');
my $BAD  = 'Basic ' . encode_base64('alice:looking-glass', '');
my $CHALLENGE = 'Basic realm="act realm"';

my @cases = (
    # preflights: answered without credentials
    { name => 'preflight without credentials',
      req => [OPTIONS => '/act/auth/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'PUT']],
      status => 204, body => '',
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Allow-Methods' => [qw(GET PUT)] },
      absent => ['WWW-Authenticate'],
      pf => 'preflight-allowed' },
    { name => 'preflight asking for Authorization',
      req => [OPTIONS => '/act/auth/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET',
               'Access-Control-Request-Headers' => 'authorization']],
      status => 204,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { 'Access-Control-Allow-Headers' => [qw(Authorization X-Requested-With)] },
      absent => ['WWW-Authenticate'] },
    { name => 'preflight with valid credentials anyway',
      req => [OPTIONS => '/act/auth/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET',
               Authorization => $GOOD]],
      status => 204,
      hdr => { 'Access-Control-Allow-Origin' => $APP } },
    { name => 'preflight with wrong credentials',
      req => [OPTIONS => '/act/auth/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET',
               Authorization => $BAD]],
      status => 204,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      absent => ['WWW-Authenticate'] },
    { name => 'preflight, refused origin: 403, not 401',
      req => [OPTIONS => '/act/auth/data.txt',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'GET']],
      status => 403, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      absent => ['WWW-Authenticate'],
      pf => 'preflight-denied-origin' },
    { name => 'preflight, refused method: 403, not 401',
      req => [OPTIONS => '/act/auth/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'DELETE']],
      status => 403, no_cors => 1,
      absent => ['WWW-Authenticate'],
      pf => 'preflight-denied-method' },

    # actual requests: credentials required as usual
    { name => 'GET without credentials',
      req => [GET => '/act/auth/data.txt', [Origin => $APP]],
      status => 401,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true',
               'WWW-Authenticate' => $CHALLENGE },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'GET with wrong credentials',
      req => [GET => '/act/auth/data.txt', [Origin => $APP, Authorization => $BAD]],
      status => 401,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'WWW-Authenticate' => $CHALLENGE } },
    { name => 'GET with credentials',
      req => [GET => '/act/auth/data.txt', [Origin => $APP, Authorization => $GOOD]],
      status => 200, body => $DATA,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'PUT to a CGI with credentials',
      req => [PUT => '/act/auth/probe.cgi',
              [Origin => $APP, Authorization => $GOOD], 'authed'],
      status => 200, body => "probe ran: PUT\nbody: authed\n",
      hdr => { 'Access-Control-Allow-Origin' => $APP } },
    { name => 'PUT to a CGI without credentials',
      req => [PUT => '/act/auth/probe.cgi', [Origin => $APP], 'anonymous'],
      status => 401,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      absent => ['X-Act-Marker'] },
    { name => 'GET without credentials, refused origin',
      req => [GET => '/act/auth/data.txt', [Origin => $EVIL]],
      status => 401, no_cors => 1,
      hdr => { 'WWW-Authenticate' => $CHALLENGE },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => 'GET with credentials, refused origin',
      req => [GET => '/act/auth/data.txt', [Origin => $EVIL, Authorization => $GOOD]],
      status => 200, body => $DATA, no_cors => 1 },

    # plain OPTIONS is not a preflight: authentication applies
    { name => 'plain OPTIONS without Origin',
      req => [OPTIONS => '/act/auth/data.txt', []],
      status => 401, no_cors => 1,
      hdr => { 'WWW-Authenticate' => $CHALLENGE } },
    { name => 'plain OPTIONS with Origin only',
      req => [OPTIONS => '/act/auth/data.txt', [Origin => $APP]],
      status => 401,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'WWW-Authenticate' => $CHALLENGE },
      absent => ['Access-Control-Allow-Methods'],
      pf => 'cors-allowed' },
    { name => 'plain OPTIONS with Access-Control-Request-Method only',
      req => [OPTIONS => '/act/auth/data.txt', ['Access-Control-Request-Method' => 'GET']],
      status => 401, no_cors => 1,
      hdr => { 'WWW-Authenticate' => $CHALLENGE } },
    { name => 'plain OPTIONS with credentials',
      req => [OPTIONS => '/act/auth/data.txt', [Origin => $APP, Authorization => $GOOD]],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      absent => ['Access-Control-Allow-Methods'] },

    # host-based access control is not skipped
    { name => 'preflight to Require all denied',
      req => [OPTIONS => '/act/auth-closed/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET']],
      status => 403, no_cors => 1,
      absent => ['WWW-Authenticate'] },
    { name => 'preflight to Require all denied, with credentials',
      req => [OPTIONS => '/act/auth-closed/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET',
               Authorization => $GOOD]],
      status => 403, no_cors => 1 },
    { name => 'GET to Require all denied',
      req => [GET => '/act/auth-closed/data.txt', [Origin => $APP, Authorization => $GOOD]],
      status => 403,
      hdr => { 'Access-Control-Allow-Origin' => $APP } },
    { name => 'preflight to a failing Require ip',
      req => [OPTIONS => '/act/auth-ip/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'PUT']],
      status => 403, no_cors => 1 },
    { name => 'GET to a failing Require ip',
      req => [GET => '/act/auth-ip/data.txt', [Origin => $APP]],
      status => 403,
      hdr => { 'Access-Control-Allow-Origin' => $APP } },
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
