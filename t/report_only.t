use strict;
use warnings FATAL => 'all';

# PreflightEngine ReportOnly (SPEC "For operators and shared hosting";
# t/conf/reportonly.conf.in): the module decides as with On and sets PREFLIGHT,
# but the exchange is the one httpd has without the module.
#
# Each case sends the same raw request to /SCENARIO/o/ (the policy with On),
# /SCENARIO/n/ (no mod_preflight configuration) and /SCENARIO/r/ (the policy
# with ReportOnly), in that order, and checks:
#   - the ReportOnly response is byte for byte the one without the module,
#     once the Date line is removed and the scenario letter in the path
#     (/ro/r/ against /ro/n/, same length) is made the same;
#   - PREFLIGHT as logged for ReportOnly equals what On logs, which is the
#     expected value (so the comparison cannot pass on two missing lines);
#   - the request without the module logs no PREFLIGHT;
#   - the error log has the denial reason prefixed "report-only: " exactly
#     when On would deny, and nothing of the kind otherwise.
# Then inheritance (inner PreflightEngine replaces) and ReportOnly in .htaccess.

use Apache::Test;
use Apache::TestUtil;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(:DEFAULT :act raw_exchange);

my $GOOD = 'Basic ' . encode_base64('alice:wonderland', '');
my $host = '127.0.0.1';
my $port = Apache::Test::vars('port');
my $logs = Apache::Test::vars('t_logs');

my %pre = (Origin => $APP, 'Access-Control-Request-Method' => 'PUT');

# req: [METHOD, path under /SCENARIO/X/, [headers], body]
# status: what the ReportOnly (and the no-module) request gets
# pf: what PreflightEngine On logs for it ('-' when unset)
# log: the denial reason ReportOnly must log, after "report-only: "
my @cases = (
    # --- the policy alone
    { name => 'preflight allowed', sc => 'ro',
      req => [OPTIONS => 'data.txt',
              [%pre, 'Access-Control-Request-Headers' => 'x-requested-with']],
      status => 200, pf => 'preflight-allowed' },
    { name => 'preflight denied: origin', sc => 'ro',
      req => [OPTIONS => 'data.txt',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'PUT']],
      status => 200, pf => 'preflight-denied-origin',
      log => qr{report-only: preflight denied for /ro/r/data\.txt: origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'preflight denied: method', sc => 'ro',
      req => [OPTIONS => 'data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'DELETE']],
      status => 200, pf => 'preflight-denied-method',
      log => qr{report-only: preflight denied for /ro/r/data\.txt: method 'DELETE' is not in PreflightAllowMethods} },
    { name => 'preflight denied: header', sc => 'ro',
      req => [OPTIONS => 'data.txt',
              [%pre, 'Access-Control-Request-Headers' => 'x-other']],
      status => 200, pf => 'preflight-denied-header',
      log => qr{report-only: preflight denied for /ro/r/data\.txt: header 'x-other' is not in PreflightAllowHeaders}i },
    { name => 'preflight to a CGI: the CGI answers it', sc => 'ro',
      req => [OPTIONS => 'probe.cgi', [%pre]],
      status => 200, pf => 'preflight-allowed' },
    # the core answers OPTIONS for a file that does not exist: 200 and Allow
    { name => 'preflight for a missing file', sc => 'ro',
      req => [OPTIONS => 'missing.txt', [%pre]],
      status => 200, pf => 'preflight-allowed' },
    { name => 'actual GET allowed', sc => 'ro',
      req => [GET => 'data.txt', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },
    { name => 'actual GET denied', sc => 'ro',
      req => [GET => 'data.txt', [Origin => $EVIL]],
      status => 200, pf => 'cors-denied-origin',
      log => qr{report-only: .*/ro/r/data\.txt: origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'HEAD allowed', sc => 'ro',
      req => [HEAD => 'data.txt', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },
    { name => 'POST to a CGI', sc => 'ro',
      req => [POST => 'probe.cgi?extra=1', [Origin => $APP], 'a=1'],
      status => 200, pf => 'cors-allowed' },
    { name => 'GET without Origin', sc => 'ro',
      req => [GET => 'data.txt', []],
      status => 200, pf => '-' },
    { name => 'plain OPTIONS without Origin', sc => 'ro',
      req => [OPTIONS => 'data.txt', []],
      status => 200, pf => '-' },
    { name => 'plain OPTIONS with Origin', sc => 'ro',
      req => [OPTIONS => 'data.txt', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },
    { name => '404', sc => 'ro',
      req => [GET => 'missing.txt', [Origin => $APP]],
      status => 404, pf => 'cors-allowed' },
    { name => 'PUT on a static file: 405', sc => 'ro',
      req => [PUT => 'data.txt', [Origin => $APP], 'x'],
      status => 405, pf => 'cors-allowed' },
    { name => 'CGI that dies: 500', sc => 'ro',
      req => [GET => 'broken.cgi', [Origin => $APP]],
      status => 500, pf => 'cors-allowed' },
    { name => 'CGI status 503', sc => 'ro',
      req => [GET => 'probe.cgi?status=503', [Origin => $APP]],
      status => 503, pf => 'cors-allowed' },
    { name => 'CGI with its own Access-Control-*, allowed origin', sc => 'ro',
      req => [GET => 'probe.cgi?own=1&vary=Accept', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },
    { name => 'CGI with its own Access-Control-*, refused origin', sc => 'ro',
      req => [GET => 'probe.cgi?own=1', [Origin => $EVIL]],
      status => 200, pf => 'cors-denied-origin',
      log => qr{report-only: .*origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'CGI with its own Access-Control-*, preflight', sc => 'ro',
      req => [OPTIONS => 'probe.cgi?own=1', [%pre]],
      status => 200, pf => 'preflight-allowed' },
    { name => 'directory without slash: redirect', sc => 'ro',
      req => [GET => 'idx', [Origin => $APP]],
      status => 301, pf => 'cors-allowed' },
    { name => 'directory index', sc => 'ro',
      req => [GET => 'idx/', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },

    # --- next to a mod_headers recipe
    { name => 'recipe: preflight allowed', sc => 'rh',
      req => [OPTIONS => 'data.txt', [%pre]],
      status => 200, pf => 'preflight-allowed' },
    { name => 'recipe: preflight denied', sc => 'rh',
      req => [OPTIONS => 'data.txt',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'PUT']],
      status => 200, pf => 'preflight-denied-origin',
      log => qr{report-only: preflight denied for /rh/r/data\.txt: origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'recipe: actual allowed', sc => 'rh',
      req => [GET => 'data.txt', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },
    { name => 'recipe: actual denied', sc => 'rh',
      req => [GET => 'data.txt', [Origin => $EVIL]],
      status => 200, pf => 'cors-denied-origin',
      log => qr{report-only: .*origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'recipe: no Origin', sc => 'rh',
      req => [GET => 'data.txt', []],
      status => 200, pf => '-' },
    { name => 'recipe: 404', sc => 'rh',
      req => [GET => 'missing.txt', [Origin => $APP]],
      status => 404, pf => 'cors-allowed' },
    { name => 'recipe: CGI with its own Access-Control-*', sc => 'rh',
      req => [GET => 'probe.cgi?own=1', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },

    # --- a proxied backend with its own Access-Control-*
    { name => 'proxy: preflight allowed', sc => 'rp',
      req => [OPTIONS => 'probe.cgi', [%pre]],
      status => 200, pf => 'preflight-allowed' },
    { name => 'proxy: actual allowed', sc => 'rp',
      req => [GET => 'data.txt', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },
    { name => 'proxy: actual denied', sc => 'rp',
      req => [GET => 'probe.cgi', [Origin => $EVIL]],
      status => 200, pf => 'cors-denied-origin',
      log => qr{report-only: .*origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'proxy: 404', sc => 'rp',
      req => [GET => 'missing.txt', [Origin => $APP]],
      status => 404, pf => 'cors-allowed' },

    # --- behind Require valid-user
    { name => 'auth: preflight stays 401', sc => 'ra',
      req => [OPTIONS => 'data.txt', [%pre]],
      status => 401, pf => 'preflight-allowed' },
    { name => 'auth: preflight, refused origin', sc => 'ra',
      req => [OPTIONS => 'data.txt',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'PUT']],
      status => 401, pf => 'preflight-denied-origin',
      log => qr{report-only: preflight denied for /ra/r/data\.txt: origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'auth: GET without credentials', sc => 'ra',
      req => [GET => 'data.txt', [Origin => $APP]],
      status => 401, pf => 'cors-allowed' },
    { name => 'auth: GET with credentials', sc => 'ra',
      req => [GET => 'data.txt', [Origin => $APP, Authorization => $GOOD]],
      status => 200, pf => 'cors-allowed' },
    { name => 'auth: plain OPTIONS without credentials', sc => 'ra',
      req => [OPTIONS => 'data.txt', []],
      status => 401, pf => '-' },

    # --- ErrorDocument
    # the ErrorDocument is an internal redirect: the decision shows as
    # REDIRECT_PREFLIGHT
    { name => 'ErrorDocument 404', sc => 're',
      req => [GET => 'missing.txt', [Origin => $APP]],
      status => 404, pf => '-', redir_pf => 'cors-allowed' },
    { name => 'ErrorDocument 404, refused origin', sc => 're',
      req => [GET => 'missing.txt', [Origin => $EVIL]],
      status => 404, pf => '-', redir_pf => 'cors-denied-origin',
      log => qr{report-only: .*origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'ErrorDocument 404, preflight', sc => 're',
      req => [OPTIONS => 'missing.txt', [%pre]],
      status => 200, pf => 'preflight-allowed' },
    { name => 'ErrorDocument 404, CGI status', sc => 're',
      req => [GET => 'probe.cgi?status=404', [Origin => $APP]],
      status => 404, pf => 'cors-allowed' },
);

# Inheritance and .htaccess: PreflightTest act cases.
my @act = (
    { name => 'ReportOnly outer: no header added',
      req => [GET => '/rx/data.txt', [Origin => $APP]],
      status => 200, absent => ['Access-Control-Allow-Origin', 'Vary'],
      pf => 'cors-allowed' },
    { name => 'On inside ReportOnly: headers added',
      req => [GET => '/rx/idx/index.html', [Origin => $APP]],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => $APP,
               'Access-Control-Allow-Credentials' => 'true' },
      tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'On inside ReportOnly: preflight answered',
      req => [OPTIONS => '/rx/idx/index.html', [%pre]],
      status => 403, no_acx => 1,
      pf => 'preflight-denied-method' },
    { name => 'Off inside ReportOnly: nothing decided',
      req => [GET => '/rx/pages/404.html', [Origin => $APP]],
      status => 200, no_acx => 1, pf => '-' },
    { name => 'On outer: headers added',
      req => [GET => '/rxo/data.txt', [Origin => $APP]],
      status => 200,
      hdr => { 'Access-Control-Allow-Origin' => $APP },
      pf => 'cors-allowed' },
    { name => 'ReportOnly inside On: no header added',
      req => [GET => '/rxo/idx/index.html', [Origin => $APP]],
      status => 200, no_acx => 1, absent => ['Vary'],
      pf => 'cors-allowed' },
    { name => 'ReportOnly inside On: preflight not answered',
      req => [OPTIONS => '/rxo/idx/index.html',
              [Origin => $APP, 'Access-Control-Request-Method' => 'GET']],
      status => 200, no_acx => 1, absent => ['Vary'],
      has => { Allow => ['OPTIONS'] },
      pf => 'preflight-allowed' },
);
my @htaccess = (
    { name => '.htaccess ReportOnly: preflight not answered',
      req => [OPTIONS => '/ro-ht/ok.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'POST']],
      status => 200, no_acx => 1, absent => ['Vary'],
      has => { Allow => ['OPTIONS'] },
      pf => 'preflight-allowed' },
    { name => '.htaccess ReportOnly: actual',
      req => [GET => '/ro-ht/ok.txt', [Origin => $EVIL]],
      status => 200, no_acx => 1, absent => ['Vary'],
      pf => 'cors-denied-origin' },
);

plan tests => 5 * @cases + case_tests(@act, @htaccess);

my $R = "\r\n";
my $n = 0;
for my $c (@cases) {
    $n++;
    my ($method, $sub, $headers, $body) = @{ $c->{req} };
    my %url;
    for my $x (qw(o n r)) {
        my $u = "/$c->{sc}/$x/$sub";
        $url{$x} = $u . ($u =~ /\?/ ? '&' : '?') . "t=ro$n-$$";
    }
    raw_exchange(request($method, $url{o}, $headers, $body));
    my $none = raw_exchange(request($method, $url{n}, $headers, $body));
    my $off = -s "$logs/error_log";
    my $ro = raw_exchange(request($method, $url{r}, $headers, $body));

    ok t_cmp(status_of($ro), $c->{status}, "$c->{name}: status");
    my ($got, $expected) = normalize_pair($ro, $none, $c->{sc});
    ok t_cmp($got, $expected,
             "$c->{name}: ReportOnly response is the one without the module");

    # PREFLIGHT and REDIRECT_PREFLIGHT as logged
    my ($on, $ro_pf, $no) = map { join ' ', PreflightTest::logged($method, $url{$_})
                                            or '(no log line)' } qw(o r n);
    my $want = "$c->{pf} " . ($c->{redir_pf} // '-');
    ok t_cmp("$on / $ro_pf", "$want / $want",
             "$c->{name}: PREFLIGHT with On / with ReportOnly");
    ok t_cmp($no, '- -', "$c->{name}: PREFLIGHT without the module");

    my @lines = report_only_lines($off, $c->{log});
    if ($c->{log}) {
        ok t_cmp(scalar(grep { $_ =~ $c->{log} } @lines) . ' of ' . scalar(@lines),
                 '1 of 1', "$c->{name}: one report-only line with the reason");
    }
    else {
        ok t_cmp(join("\n", @lines), '', "$c->{name}: no report-only line");
    }
}

run_cases(@act);

t_write_file(Apache::Test::vars('documentroot') . '/ro-ht/.htaccess',
             "PreflightEngine ReportOnly\nPreflightAllowOrigin https://app.example\n");
run_cases(@htaccess);

sub request {
    my ($method, $path, $headers, $body) = @_;
    my $req = "$method $path HTTP/1.1${R}Host: $host:$port$R";
    my @h = @$headers;
    while (my ($k, $v) = splice @h, 0, 2) {
        $req .= "$k: $v$R";
    }
    $req .= 'Content-Length: ' . length($body) . $R if defined $body;
    $req .= "Connection: close$R$R";
    $req .= $body if defined $body;
    return $req;
}


sub status_of {
    return $_[0] =~ m{^HTTP/1\.\d (\d{3})} ? $1 : 'none';
}

# What may differ between the two locations: the Date line, the letter of
# the scenario wherever the path shows (same length, so Content-Length is
# untouched), and the framing of a CGI's body: httpd sends Content-Length
# when the whole output is there at the first write and chunks otherwise,
# which is a matter of timing. So when either response is chunked, both are
# compared de-chunked and without Content-Length / Transfer-Encoding.
sub normalize_pair {
    my ($x, $y, $sc) = @_;
    my @p = map { [split_response($_)] } $x, $y;
    my $chunked = grep { $_->[2] } @p;
    return map {
        my ($head, $body) = @$_;
        my @h = grep { !/^Date:/i } @$head;
        @h = grep { !/^(?:Content-Length|Transfer-Encoding):/i } @h if $chunked;
        my $all = join("\r\n", @h) . "\r\n\r\n" . $body;
        $all =~ s{/\Q$sc\E/[rn]/}{/$sc/_/}g;
        $all;
    } @p;
}

# (header lines, body de-chunked, whether it was chunked)
sub split_response {
    my ($head, $body) = split /\r\n\r\n/, $_[0], 2;
    my @h = split /\r\n/, $head // '';
    $body //= '';
    return (\@h, $body, 0) unless grep { /^Transfer-Encoding:\s*chunked\s*$/i } @h;
    my $out = '';
    while ($body =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
        my $len = hex $1;
        last if $len == 0;
        $out .= substr($body, 0, $len, '');
        $body =~ s/^\r\n//;
    }
    return (\@h, $out, 1);
}

# The error log lines with "report-only" since offset $off. httpd writes
# them before the response, but give a line that is expected a moment.
sub report_only_lines {
    my ($off, $want) = @_;
    my @lines;
    for (1 .. ($want ? 20 : 1)) {
        open my $fh, '<', "$logs/error_log" or return ();
        seek $fh, $off, 0;
        @lines = grep { /report-only/ } <$fh>;
        chomp @lines;
        last if @lines;
        sleep 0.05;
    }
    return @lines;
}
