package PreflightTest;

# Table-driven cases for the Apache::Test files. A case is one request; each
# expectation it lists is one assertion or more, counted before any request
# goes out, so a file plans with its cases before running them:
#
#   plan tests => case_tests(@cases);
#   run_cases(@cases);
#
# The vocabulary, one meaning a key in every table. A header, in a request,
# an expectation or a token list, is named in full or by its initials (ACAO,
# ACRM, ..., see %H).
#
# What is sent
#   name
#   req      [METHOD => path, [name => value, ..], body]   the body optional;
#            redirects are not followed
#   bytes    'raw request'   sent as it is on a connection of its own
#            (raw_exchange) instead of req; HTTP/1.x only, so no h2 run
#   write    [dir under htdocs, text]   the .htaccess to write first
#   h1_only  'why'   runs over HTTP/1.1 only (see below)
#   kept     1   sent over the test file's one kept-alive connection, so that
#            one server process answers every such case (HTTP/1.1 only: a
#            kept connection holds httpd -X, under valgrind, for the h2 run)
# What comes back: one assertion a key (empty: two; has, lacks: one a token)
#   status   the status code, or qr//
#   body     the body, a string or qr//
#   empty    empty body, and Content-Length 0 or none (none on 204)
#   hdr      { h => value }   exactly one h field, with exactly this value
#   absent   [h, ..]          no h field at all
#   tokens   { h => [..] }    the comma-separated tokens of every h field are
#                             exactly this set, none twice; an
#                             Access-Control-* header comes as one field
#   ordered  { h => [..] }    the tokens of h are these, in this order
#   has      { h => [..] }    each token named by h exactly once
#   lacks    { h => [..] }    each token not named by h
#                             (and, for each h of has and lacks, one more
#                             assertion: no token of h twice)
#   no_acx            no Access-Control-* response header at all
#   no_allow_headers  no Access-Control-Allow-* response header
# Tokens compare case-insensitively but methods (Allow,
# Access-Control-Allow-Methods), which are case-sensitive.
# What the logs say
#   log      [qr//, ..]   one error_log line written since the request
#                         matches all
#   pf, redir_pf          %{PREFLIGHT}e / %{REDIRECT_PREFLIGHT}e in the
#                         access log ('-' when unset)
#   audit                 %{PREFLIGHT_BACKEND}e in the access log
#                         ('-' when unset)
#   backend               methods the proxied backend logged for this
#                         request ('' when it saw none)
#
# Every req case runs twice: over HTTP/1.1 (LWP, as a browser's request
# would come), then over HTTP/2 (h2c with prior knowledge, through mod_http2
# and t/conf/h2.conf.in), named "NAME (h2)", with every expectation the
# same, and two more: the exchange was HTTP/2 on both sides (the client
# spoke it and the access log's request line says HTTP/2.0), and no field
# name came twice (h2 has no folding: a name that comes twice is two fields;
# Set-Cookie may, and so does mod_dav's DAV). A case the HTTP/2 run cannot
# hold for a reason of the protocol, not of the module, says why in h1_only.
# The h2 client is curl --http2-prior-knowledge, one process per request,
# whose answer is turned into an HTTP::Response like LWP's (each field a
# value of its own), so that the same checks read both. A request with a body
# goes through nghttp instead: when httpd answers before it has read the body
# (a 405, a refused or answered preflight, a 401) it then resets the stream
# with NO_ERROR (RFC 9113 8.1), which Debian 12's curl 7.88.1 reports as
# failure 92, "Stream error in the HTTP/2 framing layer", with or without
# mod_preflight.
#
# Raw exchanges: raw_request builds the bytes of an ordinary request,
# raw_exchange sends any bytes, parse_response reads what came back.

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

our @EXPORT = qw(case_tests run_cases reason engine_off on_vhost);
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
                    header_tokens twice h2_request nghttp raw_request raw_exchange
                    parse_response fields_of);

# The names of the CORS headers, by their initials (use PreflightTest
# qw(:DEFAULT %H); $H{ACAO}).
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

sub full_name { $H{ $_[0] } // $_[0] }

# ---- raw exchanges

# The port of the server that raw requests go to: the Apache::Test server's,
# unless a script that starts its own server sets this (local
# $PreflightTest::port = $port).
our $port;
sub server_port { local $_; $port // Apache::Test::vars('port') }

# Runs CODE with every request this module sends (raw, LWP, curl) going to
# the virtual host NAME that Apache::Test set up from a <VirtualHost NAME>.
sub on_vhost {
    my ($name, $code) = @_;
    local $Apache::TestRequest::Module = $name;
    local $port = Apache::Test::config()->{vhosts}{$name}{port};
    return $code->();
}

# Bytes sent as they are to the test server, on a connection of their own;
# returns everything it answered (the request should say Connection: close).
sub raw_exchange {
    my $bytes = shift;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => server_port(),
                                     Timeout => 30) or die "connect: $!";
    binmode $sock;
    print $sock $bytes;
    local $/;
    my $resp = <$sock> // '';
    close $sock;
    return $resp;
}

# An ordinary HTTP/1.1 request as bytes for raw_exchange: Host names the
# test server, a body gets its Content-Length, and the connection closes
# after the answer so that raw_exchange sees its end.
sub raw_request {
    my ($method, $path, $headers, $body) = @_;
    local $_;               # Apache::Test::vars may read its config into $_
    my $req = "$method $path HTTP/1.1\r\nHost: 127.0.0.1:" . server_port() . "\r\n";
    my @h = @{ $headers || [] };
    while (my ($n, $v) = splice @h, 0, 2) {
        $req .= full_name($n) . ": $v\r\n";
    }
    $req .= 'Content-Length: ' . length($body) . "\r\n" if defined $body;
    return $req . "Connection: close\r\n\r\n" . ($body // '');
}

# A response as it came on the wire (or the head curl writes for any HTTP
# version): { status_line, status ('none' without a status line), headers =>
# [[name, value], ..] in the order they came, body (de-chunked), chunked (1
# when it came chunked) }. An obsolete folded line stays in its field's value
# after a "\n", where a check for clean values sees it.
sub parse_response {
    my ($head, $body) = split /\r\n\r\n/, shift // '', 2;
    my @lines = split /\r\n/, $head // '';
    my $status_line = shift(@lines) // '';
    my @fields;
    for (@lines) {
        if (/^[ \t]/ && @fields) {
            $fields[-1][1] .= "\n$_";
            next;
        }
        my ($n, $v) = split /:[ \t]*/, $_, 2;
        push @fields, [$n, ($v // '') =~ s/[ \t]+\z//r];
    }
    my $chunked = grep { lc $_->[0] eq 'transfer-encoding' && $_->[1] =~ /\bchunked\s*\z/i }
                  @fields;
    $body //= '';
    return { status_line => $status_line,
             status => $status_line =~ m{^HTTP/\d(?:\.\d)? (\d{3})\b} ? $1 : 'none',
             headers => \@fields,
             body => $chunked ? dechunk($body) : $body,
             chunked => $chunked ? 1 : 0 };
}

sub dechunk {
    my $body = shift;
    my $out = '';
    while ($body =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
        my $len = hex $1;
        last if $len == 0;
        $out .= substr($body, 0, $len, '');
        $body =~ s/^\r\n//;
    }
    return $out;
}

# The values of the fields named $h in a parse_response answer, in order.
sub fields_of {
    my ($p, $h) = @_;
    my $name = lc full_name($h);
    return map { $_->[1] } grep { lc $_->[0] eq $name } @{ $p->{headers} };
}

# A parse_response answer as an HTTP::Response, each field a value of its
# own, for the checks that read LWP's answers.
sub as_response {
    my $p = shift;
    my $h = HTTP::Headers->new;
    $h->push_header(@$_) for @{ $p->{headers} };
    return HTTP::Response->new($p->{status} =~ /^\d{3}$/ ? $p->{status} : 0,
                               '', $h, $p->{body});
}

# ---- logs

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

# (PREFLIGHT, REDIRECT_PREFLIGHT, protocol, PREFLIGHT_BACKEND) as logged
# for a request, () when its line never came: httpd writes the line only
# after the response has gone. The protocol is the end of the request line
# (%r): HTTP/1.1, HTTP/2.0.
sub log_line {
    my ($method, $path) = @_;
    my $re = qr/"\Q$method $path\E (HTTP\/[\d.]+)" .* pf=(\S*) redir_pf=(\S*) backend=(\S*)$/;
    for (1 .. 250) {
        for (access_log_lines()) {
            return ($2, $3, $1, $4) if $_ =~ $re;
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

# The methods the proxied backend logged for the request tagged $tag. It
# writes its line after its response has gone, so it may come after the
# front end's: wait for it. When none is expected, give a stray one the same
# time to show up.
sub backend_methods {
    my ($tag, $expected) = @_;
    my @methods;
    for (1 .. 100) {
        @methods = map { /"(\S+) \/act\/backend\/\S*[?&]t=\Q$tag\E[& ]/ ? $1 : () }
            access_log_lines();
        last if @methods && $expected ne '';
        last if $expected eq '' && $_ >= 10;
        sleep 0.02;
    }
    return join ',', @methods;
}

# ---- fields and tokens

# Every line of a header, as one list: HTTP lets a list header be split
# across lines.
sub header_tokens {
    my ($r, $h) = @_;
    return grep { length } map { s/^\s+|\s+$//gr } map { split /,/ }
        $r->headers->header(full_name($h));
}

# The lines of a header joined with ' | ', undef when it was not sent.
sub values_of {
    my ($r, $h) = @_;
    my @v = $r->headers->header(full_name($h));
    return @v ? join(' | ', @v) : undef;
}

# A token as compared: methods are case-sensitive, header names and other
# tokens are not; a header name may be given by its initials.
my %METHOD_LIST = map { lc($_) => 1 } qw(Allow Access-Control-Allow-Methods);
sub canon {
    my ($h, $t) = @_;
    $t = full_name($t);
    return $METHOD_LIST{ lc full_name($h) } ? $t : lc $t;
}

sub canon_tokens {
    my ($r, $h) = @_;
    return map { canon($h, $_) } header_tokens($r, $h);
}

sub dups {
    my %n;
    $n{$_}++ for @_;
    return join ' ', sort grep { $n{$_} > 1 } keys %n;
}

# ---- the checks of a case

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
        { name => "$name, preflight",
          req => [OPTIONS => $path, [Origin => $origin, ACRM => 'PUT']],
          status => 200, no_allow_headers => 1,
          absent => [qw(ACEH ACMA)],
          has => { Allow => ['OPTIONS'] },
          lacks => { Vary => ['Origin'], Allow => ['PUT'] },
          pf => '-' },
        { name => "$name, actual",
          req => [GET => $path, [Origin => $origin]],
          status => 200, no_allow_headers => 1,
          absent => [qw(ACEH)],
          lacks => { Vary => ['Origin'] },
          pf => '-' },
    );
}

# [what, sub ($response, $ctx) returning the value, expected value], in the
# order of the vocabulary above. $ctx: the method, url, tag and error_log
# offset of the request.
sub case_checks {
    my $c = shift;
    my @k;
    push @k, ['status', sub { $_[0]->code }, $c->{status}] if exists $c->{status};
    push @k, ['body', sub { $_[0]->content }, $c->{body}] if exists $c->{body};
    push @k, empty_checks($c) if $c->{empty};
    for my $h (sort keys %{ $c->{hdr} || {} }) {
        push @k, ['exactly one ' . full_name($h),
                  sub { join ' | ', $_[0]->headers->header(full_name($h)) }, $c->{hdr}{$h}];
    }
    for my $h (@{ $c->{absent} || [] }) {
        push @k, ['no ' . full_name($h), sub { values_of($_[0], $h) }, undef];
    }
    for my $h (sort keys %{ $c->{tokens} || {} }) {
        push @k, [full_name($h) . ' tokens', sub { token_set($_[0], $h) },
                  join(', ', sort map { canon($h, $_) } @{ $c->{tokens}{$h} })];
    }
    for my $h (sort keys %{ $c->{ordered} || {} }) {
        push @k, [full_name($h) . ' tokens in order', sub { [canon_tokens($_[0], $h)] },
                  [map { canon($h, $_) } @{ $c->{ordered}{$h} }]];
    }
    push @k, membership_checks($c);
    if ($c->{no_acx}) {
        push @k, ['no Access-Control-* header',
                  sub { my $r = shift;
                        join ', ', map { "$_: " . values_of($r, $_) }
                            grep { /^access-control-/i } $r->headers->header_field_names }, ''];
    }
    if ($c->{no_allow_headers}) {
        push @k, ['no Access-Control-Allow-* header',
                  sub { join ' ', grep { /^access-control-allow-/i }
                        $_[0]->headers->header_field_names }, ''];
    }
    push @k, log_checks($c);
    return @k;
}

sub empty_checks {
    my $c = shift;
    return (['empty body', sub { $_[0]->content }, ''],
            ['Content-Length', sub { $_[0]->header('Content-Length') // 'absent' },
             $c->{status} == 204 ? 'absent' : qr/^(?:0|absent)$/]);
}

# The tokens of every h field as a sorted set; an Access-Control-* header
# split over several fields says so.
sub token_set {
    my ($r, $h) = @_;
    my $got = join ', ', sort(canon_tokens($r, $h));
    my $fields = () = $r->headers->header(full_name($h));
    $got .= " ($fields header lines)" if $fields > 1 && full_name($h) =~ /^access-control-/i;
    return $got;
}

sub membership_checks {
    my $c = shift;
    my ($has, $lacks) = ($c->{has} || {}, $c->{lacks} || {});
    my @k;
    for my $h (sort keys %{ { %$has, %$lacks } }) {
        for my $t (@{ $has->{$h} || [] }) {
            push @k, [full_name($h) . " has $t", sub { token_count($_[0], $h, $t) }, 1];
        }
        for my $t (@{ $lacks->{$h} || [] }) {
            push @k, [full_name($h) . " lacks $t", sub { token_count($_[0], $h, $t) }, 0];
        }
        push @k, ['no ' . full_name($h) . ' token twice',
                  sub { dups(canon_tokens($_[0], $h)) }, ''];
    }
    return @k;
}

sub token_count {
    my ($r, $h, $t) = @_;
    my $want = canon($h, $t);
    return scalar grep { $_ eq $want } canon_tokens($r, $h);
}

sub log_checks {
    my $c = shift;
    my @k;
    if ($c->{log}) {
        push @k, ['logged: ' . join(' ', @{ $c->{log} }),
                  sub { log_has($_[1]{off}, $c->{log}) }, 1];
    }
    if (exists $c->{pf}) {
        push @k, ['PREFLIGHT logged',
                  sub { (logged(@{ $_[1] }{qw(method url)}))[0] // '(no log line)' }, $c->{pf}];
    }
    if (exists $c->{redir_pf}) {
        push @k, ['REDIRECT_PREFLIGHT logged',
                  sub { (logged(@{ $_[1] }{qw(method url)}))[1] // '(no log line)' },
                  $c->{redir_pf}];
    }
    if (exists $c->{audit}) {
        push @k, ['PREFLIGHT_BACKEND logged',
                  sub { (log_line(@{ $_[1] }{qw(method url)}))[3] // '(no log line)' },
                  $c->{audit}];
    }
    if (exists $c->{backend}) {
        push @k, ['methods the backend received',
                  sub { backend_methods($_[1]{tag}, $c->{backend}) }, $c->{backend}];
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
    my ($answer, $info) = h2_curl($method, $url, $headers);
    my $res = as_response($answer);
    $res->protocol($info->{version} eq '2' ? 'HTTP/2' : 'none');
    $res->request(HTTP::Request->new($method, $url));
    t_debug("h2 $method $path: curl HTTP/$info->{version} $answer->{status} $info->{error}");
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
    # A 1xx would come first; the last head is the response's.
    my @heads = split /(?<=\r\n\r\n)/, slurp_from($hfile);
    my $answer = parse_response($heads[-1]);
    $answer->{body} = slurp_from($bfile);
    my $error = slurp_from($efile);
    $error .= " (curl exit $exit)" if $exit;
    return ($answer, { client => 'curl', version => $version, error => $error });
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

# The runs of a case: HTTP/1.1, and HTTP/2 unless it is h1_only or bytes.
sub protocols {
    my $c = shift;
    return $c->{h1_only} || $c->{bytes} || $c->{kept} ? ('') : ('', 'h2');
}

# The two checks every h2 run adds.
sub h2_checks {
    my ($name, $r, $info, $method, $url) = @_;
    my $proto = (log_line($method, $url))[2] // '(no log line)';
    ok t_cmp("client HTTP/$info->{version}, server $proto",
             'client HTTP/2, server HTTP/2.0', "$name: the exchange was HTTP/2");
    ok t_cmp(twice($r), '', "$name: no field name twice");
}

# ---- the runner

sub case_tests {
    my $n = 0;
    for my $c (@_) {
        my $k = case_checks($c);
        my @runs = protocols($c);
        $n += @runs == 1 ? $k : 2 * $k + 2;
    }
    return $n;
}

sub run_cases {
    for my $c (@_) {
        t_write_file(Apache::Test::vars('documentroot') . "/$c->{write}[0]/.htaccess",
                     $c->{write}[1]) if $c->{write};
        run_case($c, $_) for protocols($c);
    }
}

sub run_case {
    my ($c, $proto) = @_;
    my $name = $proto ? "$c->{name} ($proto)" : $c->{name};
    my ($r, $ctx) = $c->{bytes} ? (as_response(parse_response(raw_exchange($c->{bytes}))), {})
                  :               send_case($c, $proto, $name);
    for my $k (case_checks($c)) {
        my ($what, $got, $expected) = @$k;
        ok t_cmp($got->($r, $ctx), $expected, "$name: $what");
    }
}

# Sends a case's req, tagged, over HTTP/1.1 or HTTP/2 (which adds its two
# checks); returns the response and where its log lines are to be found.
sub send_case {
    my ($c, $proto, $name) = @_;
    my ($method, $path, $headers, $content) = @{ $c->{req} };
    my @h = @{ $headers || [] };
    $h[$_] = full_name($h[$_]) for grep { $_ % 2 == 0 } 0 .. $#h;
    my ($url, $tag) = tagged($path, $proto);
    my $error_log = logs() . '/error_log';
    my $ctx = { method => $method, url => $url, tag => $tag, off => -s $error_log // 0 };
    return (send_request($method, $url, \@h, $content, $c->{kept}), $ctx) unless $proto;
    my ($r, $info) = h2_request($method, $url, \@h, $content);
    h2_checks($name, $r, $info, $method, $url);
    return ($r, $ctx);
}

my ($UA, $KEPT);
sub send_request {
    my ($method, $path, $headers, $content, $kept) = @_;
    my $ua = $kept ? ($KEPT ||= LWP::UserAgent->new(timeout => 30, max_redirect => 0,
                                                    keep_alive => 1))
                   : ($UA ||= LWP::UserAgent->new(timeout => 30, max_redirect => 0));
    my $req = HTTP::Request->new($method,
        Apache::TestRequest::resolve_url($path), $headers, $content);
    $req->header('Content-Length' => length $content) if defined $content;
    return $ua->request($req);
}

1;
