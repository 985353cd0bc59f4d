# Vary (SPEC behaviour 4): every response in scope whose CORS headers depend
# on the origin says "Vary: Origin", with or without Origin in the request,
# merged into whatever Vary the response already has (mod_headers, a CGI,
# mod_deflate), each token once, so no shared cache hands one origin's answer
# to another. With "PreflightAllowOrigin *" and credentials off nothing
# depends on the origin, so there is no Vary: Origin (README).
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
my $AE   = 'Accept-Encoding';
my $VARY_CGI = '/act/basic/probe.cgi?vary=origin,%20Accept';

my @cases = (
    # mod_headers: Header set (2xx only) and Header always set
    { name => 'Header set Vary, allowed origin',
      req => [GET => '/act/vary-set/data.txt', [Origin => $APP]],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Header set Vary, refused origin',
      req => [GET => '/act/vary-set/data.txt', [Origin => $EVIL]],
      status => 200, no_cors => 1,
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Header set Vary, no Origin',
      req => [GET => '/act/vary-set/data.txt', []],
      status => 200,
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Header set Vary, 404',
      req => [GET => '/act/vary-set/missing.txt', [Origin => $APP]],
      status => 404,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => ['Origin'] } },
    { name => 'Header set Vary, preflight',
      req => [OPTIONS => '/act/vary-set/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET']],
      status => 204,
      has => { Vary => ['Origin'] } },
    { name => 'Header always set Vary, allowed origin',
      req => [GET => '/act/vary-always/data.txt', [Origin => $APP]],
      status => 200,
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Header always set Vary, 404, allowed origin',
      req => [GET => '/act/vary-always/missing.txt', [Origin => $APP]],
      status => 404,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Header always set Vary, 404, refused origin',
      req => [GET => '/act/vary-always/missing.txt', [Origin => $EVIL]],
      status => 404, no_cors => 1,
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'Header always set Vary, 404, no Origin',
      req => [GET => '/act/vary-always/missing.txt', []],
      status => 404,
      tokens => { Vary => [$AE, 'Origin'] } },

    # a CGI that already varies on origin, in lower case
    { name => 'CGI Vary: origin, Accept, allowed origin',
      req => [GET => $VARY_CGI, [Origin => $APP]],
      status => 200, body => "probe ran: GET\n",
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => [qw(Origin Accept)] } },
    { name => 'CGI Vary: origin, Accept, refused origin',
      req => [GET => $VARY_CGI, [Origin => $EVIL]],
      status => 200, no_cors => 1,
      tokens => { Vary => [qw(Origin Accept)] } },
    { name => 'CGI Vary: origin, Accept, no Origin',
      req => [GET => $VARY_CGI, []],
      status => 200,
      tokens => { Vary => [qw(Origin Accept)] } },
    { name => 'CGI Vary: origin, Accept, 404 status',
      req => [GET => "$VARY_CGI&status=404", [Origin => $APP]],
      status => 404,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => [qw(Origin Accept)] } },
    { name => 'CGI Vary: Accept only',
      req => [GET => '/act/basic/probe.cgi?vary=Accept', [Origin => $APP]],
      status => 200,
      tokens => { Vary => [qw(Origin Accept)] } },

    # mod_deflate adds its own Vary: Accept-Encoding
    { name => 'deflate, gzip accepted, allowed origin',
      req => [GET => '/act/deflate/big.txt', [Origin => $APP, $AE => 'gzip']],
      status => 200,
      hdr => { 'Content-Encoding' => 'gzip',
               'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'deflate, gzip accepted, no Origin',
      req => [GET => '/act/deflate/big.txt', [$AE => 'gzip']],
      status => 200,
      hdr => { 'Content-Encoding' => 'gzip' },
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'deflate, identity, refused origin',
      req => [GET => '/act/deflate/big.txt', [Origin => $EVIL]],
      status => 200, no_cors => 1,
      tokens => { Vary => [$AE, 'Origin'] } },
    { name => 'deflate, gzip accepted, 404',
      req => [GET => '/act/deflate/missing.txt', [Origin => $APP, $AE => 'gzip']],
      status => 404,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      has => { Vary => ['Origin'] } },

    # a backend that varies on origin itself, behind the proxy
    { name => 'proxied backend Vary: ORIGIN, Accept-Encoding',
      req => [GET => '/act/proxied/probe.cgi?vary=ORIGIN,%20Accept-Encoding', [Origin => $APP]],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      tokens => { Vary => [$AE, 'Origin'] } },

    # a cache revalidating its copy must learn the same Vary (RFC 9110 15.4.5)
    { name => '304, allowed origin',
      req => [GET => '/act/basic/data.txt', [Origin => $APP, 'If-None-Match' => '*']],
      status => 304,
      tokens => { Vary => ['Origin'] } },
    { name => '304, no Origin',
      req => [GET => '/act/basic/data.txt', ['If-None-Match' => '*']],
      status => 304,
      tokens => { Vary => ['Origin'] } },

    # plain scope, no other Vary
    { name => '404, refused origin',
      req => [GET => '/act/basic/missing.txt', [Origin => $EVIL]],
      status => 404,
      tokens => { Vary => ['Origin'] } },
    { name => '404, no Origin',
      req => [GET => '/act/nocred/missing.txt', []],
      status => 404,
      tokens => { Vary => ['Origin'] } },

    # PreflightAllowOrigin *, credentials off
    { name => 'any origin, with Origin',
      req => [GET => '/act/any/data.txt', [Origin => $APP]],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => '*' },
      lacks => { Vary => ['Origin'] } },
    { name => 'any origin, without Origin',
      req => [GET => '/act/any/data.txt', []],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => '*' },
      lacks => { Vary => ['Origin'] } },
    { name => 'any origin, 404',
      req => [GET => '/act/any/missing.txt', [Origin => $EVIL]],
      status => 404,
      hdr => { 'Access-Control-Allow-Origin' => '*' },
      lacks => { Vary => ['Origin'] } },
    { name => 'any origin, preflight',
      req => [OPTIONS => '/act/any/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET']],
      status => 204,
      hdr => { 'Access-Control-Allow-Origin' => '*' },
      has => { Vary => ['Origin'] } },
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
