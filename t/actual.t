# Actual CORS requests (SPEC behaviour 3 and 4): served as usual, with
# Access-Control-Allow-Origin, -Credentials and -Expose-Headers only for an
# allowed origin, and Vary: Origin on every response in scope.
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

my @cases = (
    # allowed origin: headers added, the request served as usual
    { name => 'GET static, allowed origin',
      req => [GET => '/act/basic/data.txt', [Origin => $APP]],
      status => 200, body => $DATA,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      absent => [qw(Access-Control-Allow-Methods Access-Control-Allow-Headers
                    Access-Control-Max-Age)],
      pf => 'cors-allowed' },
    { name => 'HEAD static, allowed origin',
      req => [HEAD => '/act/basic/data.txt', [Origin => $APP]],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'GET CGI, allowed origin',
      req => [GET => '/act/basic/probe.cgi', [Origin => $APP]],
      status => 200, body => "probe ran: GET\n",
      hdr => { 'X-Act-Marker' => 'probe-GET',
               'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'POST CGI, allowed origin',
      req => [POST => '/act/basic/probe.cgi',
              [Origin => $APP, 'Content-Type' => 'application/x-www-form-urlencoded'],
              'name=value'],
      status => 200, body => "probe ran: POST\nbody: name=value\n",
      hdr => { 'X-Act-Marker' => 'probe-POST',
               'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      absent => [qw(Access-Control-Allow-Methods)],
      pf => 'cors-allowed' },
    { name => 'PUT CGI, allowed origin',
      req => [PUT => '/act/basic/probe.cgi',
              [Origin => $APP, 'Content-Type' => 'application/json'],
              '{"k":"put payload"}'],
      status => 200, body => qq(probe ran: PUT\nbody: {"k":"put payload"}\n),
      hdr => { 'X-Act-Marker' => 'probe-PUT',
               'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      absent => [qw(Access-Control-Allow-Methods)],
      pf => 'cors-allowed' },

    { name => 'Range request, allowed origin',
      req => [GET => '/act/basic/data.txt', [Origin => $APP, Range => 'bytes=0-2']],
      status => 206, body => 'act',
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { Vary => ['Origin'] } },
    # mod_dir's index lookup and a CGI's local redirect hand the request to
    # another one inside httpd: still one set of headers
    { name => 'directory index, allowed origin',
      req => [GET => '/act/basic/idx/', [Origin => $APP]],
      status => 200, body => "act index page\n",
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'CGI local redirect, allowed origin',
      req => [GET => '/act/basic/probe.cgi?redirect=/act/basic/data.txt', [Origin => $APP]],
      status => 200, body => $DATA,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { 'Access-Control-Expose-Headers' => [qw(X-Act-Marker X-Request-Id)],
                  Vary => ['Origin'] } },
    { name => 'CGI local redirect, refused origin',
      req => [GET => '/act/basic/probe.cgi?redirect=/act/basic/data.txt', [Origin => $EVIL]],
      status => 200, body => $DATA, no_cors => 1,
      tokens => { Vary => ['Origin'] } },

    # refused origin: still served (browsers enforce CORS), nothing added
    { name => 'GET static, refused origin',
      req => [GET => '/act/basic/data.txt', [Origin => $EVIL]],
      status => 200, body => $DATA, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => 'POST CGI, refused origin',
      req => [POST => '/act/basic/probe.cgi',
              [Origin => $EVIL, 'Content-Type' => 'text/plain'], 'evil post'],
      status => 200, body => "probe ran: POST\nbody: evil post\n", no_cors => 1,
      hdr => { 'X-Act-Marker' => 'probe-POST' },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => 'PUT CGI, refused origin',
      req => [PUT => '/act/basic/probe.cgi',
              [Origin => $EVIL, 'Content-Type' => 'text/plain'], 'evil put'],
      status => 200, body => "probe ran: PUT\nbody: evil put\n", no_cors => 1,
      hdr => { 'X-Act-Marker' => 'probe-PUT' },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },

    # no Origin: a cache must still key on Origin (SPEC 4), PREFLIGHT unset
    { name => 'GET static, no Origin',
      req => [GET => '/act/basic/data.txt', []],
      status => 200, body => $DATA, no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => '-' },
    { name => 'POST CGI, no Origin',
      req => [POST => '/act/basic/probe.cgi', ['Content-Type' => 'text/plain'], 'plain'],
      status => 200, body => "probe ran: POST\nbody: plain\n", no_cors => 1,
      tokens => { Vary => ['Origin'] },
      pf => '-' },

    # credentials off, nothing exposed
    { name => 'GET, credentials off',
      req => [GET => '/act/nocred/data.txt', [Origin => $APP]],
      status => 200, body => $DATA,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => ['Origin'] },
      absent => [qw(Access-Control-Allow-Credentials Access-Control-Expose-Headers)],
      pf => 'cors-allowed' },
    { name => 'GET, credentials off, refused origin',
      req => [GET => '/act/nocred/data.txt', [Origin => $EVIL]],
      status => 200, body => $DATA, no_cors => 1,
      tokens => { Vary => ['Origin'] } },

    # Fetch ignores a literal "*" in Expose-Headers on a credentialed
    # response: the module lists the response's own header names instead.
    { name => 'Expose-Headers *, credentials on, CGI headers',
      req => [GET => '/act/exposeall/probe.cgi?extra=1', [Origin => $APP]],
      status => 200, body => "probe ran: GET\n",
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      has => { 'Access-Control-Expose-Headers' => [qw(X-Custom-A X-Custom-B X-Act-Marker)] },
      lacks => { 'Access-Control-Expose-Headers' => ['*'] } },
    { name => 'Expose-Headers *, credentials on, static file',
      req => [GET => '/act/exposeall/data.txt', [Origin => $APP]],
      status => 200, body => $DATA,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      has => { 'Access-Control-Expose-Headers' => ['ETag'] },
      lacks => { 'Access-Control-Expose-Headers' => ['*'] } },
    { name => 'Expose-Headers *, credentials off',
      req => [GET => '/act/exposestar/probe.cgi?extra=1', [Origin => $APP]],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { 'Access-Control-Expose-Headers' => ['*'] },
      absent => ['Access-Control-Allow-Credentials'] },
    { name => 'Expose-Headers *, refused origin',
      req => [GET => '/act/exposeall/probe.cgi?extra=1', [Origin => $EVIL]],
      status => 200, no_cors => 1 },
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
