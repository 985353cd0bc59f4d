use strict;
use warnings FATAL => 'all';

# PreflightEngine ReportOnly (README "Behaviour in detail", ReportOnly;
# t/conf/reportonly.conf.in): the module decides as with On and sets PREFLIGHT,
# but the exchange is the one httpd has without the module.
#
# Each case of @cases sends the same raw request to /SCENARIO/o/ (the policy
# with On), /SCENARIO/n/ (no mod_preflight configuration) and /SCENARIO/r/
# (the policy with ReportOnly), in that order, and checks:
#   - the ReportOnly response is the one without the module: the same status
#     line, the same fields in the same order and the same body, once the
#     Date field is removed and the scenario letter in the path (/ro/r/
#     against /ro/n/, same length) is made the same;
#   - PREFLIGHT as logged for ReportOnly equals what On logs, which is the
#     expected value (so the comparison cannot pass on two missing lines);
#   - the request without the module logs no PREFLIGHT;
#   - the error log has the denial reason prefixed "report-only: " exactly
#     when On would deny, and nothing of the kind otherwise.
# Then inheritance (inner PreflightEngine replaces) and ReportOnly in
# .htaccess, as ordinary cases.

use Apache::Test;
use Apache::TestUtil;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(:DEFAULT :act raw_request raw_exchange parse_response logged);

my $GOOD = 'Basic ' . encode_base64('alice:wonderland', '');
my $logs = Apache::Test::vars('t_logs');

my %pre = (Origin => $APP, 'Access-Control-Request-Method' => 'PUT');

# The words of PreflightTest, and one more:
# req: [METHOD, /SCENARIO/rest, [headers], body], sent to /SCENARIO/o/rest,
#   /SCENARIO/n/rest and /SCENARIO/r/rest
# status: what the ReportOnly (and the no-module) request gets
# pf, redir_pf: what PreflightEngine On logs for it ('-' when unset)
# report_only: the denial reason ReportOnly must log, after "report-only: "
my @cases = (
    # --- the policy alone
    { name => 'preflight allowed',
      req => [OPTIONS => '/ro/data.txt',
              [%pre, 'Access-Control-Request-Headers' => 'x-requested-with']],
      status => 200, pf => 'preflight-allowed' },
    { name => 'preflight denied: origin',
      req => [OPTIONS => '/ro/data.txt',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'PUT']],
      status => 200, pf => 'preflight-denied-origin',
      report_only => qr{report-only: preflight denied for /ro/r/data\.txt: origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'preflight denied: method',
      req => [OPTIONS => '/ro/data.txt',
              [Origin => $APP, 'Access-Control-Request-Method' => 'DELETE']],
      status => 200, pf => 'preflight-denied-method',
      report_only => qr{report-only: preflight denied for /ro/r/data\.txt: method 'DELETE' is not in PreflightAllowMethods} },
    { name => 'preflight denied: Authorization, which * does not cover',
      req => [OPTIONS => '/rs/data.txt',
              [%pre, 'Access-Control-Request-Headers' => 'x-any, authorization']],
      status => 200, pf => 'preflight-denied-authorization',
      report_only => qr{report-only: preflight denied for /rs/r/data\.txt: header 'authorization' is not covered by PreflightAllowHeaders \*} },
    { name => 'preflight allowed: any other header under *',
      req => [OPTIONS => '/rs/data.txt',
              [%pre, 'Access-Control-Request-Headers' => 'x-any']],
      status => 200, pf => 'preflight-allowed' },
    { name => 'preflight denied: header',
      req => [OPTIONS => '/ro/data.txt',
              [%pre, 'Access-Control-Request-Headers' => 'x-other']],
      status => 200, pf => 'preflight-denied-header',
      report_only => qr{report-only: preflight denied for /ro/r/data\.txt: header 'x-other' is not in PreflightAllowHeaders}i },
    { name => 'preflight to a CGI: the CGI answers it',
      req => [OPTIONS => '/ro/probe.cgi', [%pre]],
      status => 200, pf => 'preflight-allowed' },
    # the core answers OPTIONS for a file that does not exist: 200 and Allow
    { name => 'preflight for a missing file',
      req => [OPTIONS => '/ro/missing.txt', [%pre]],
      status => 200, pf => 'preflight-allowed' },
    { name => 'actual GET allowed',
      req => [GET => '/ro/data.txt', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },
    { name => 'actual GET denied',
      req => [GET => '/ro/data.txt', [Origin => $EVIL]],
      status => 200, pf => 'cors-denied-origin',
      report_only => qr{report-only: .*/ro/r/data\.txt: origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'HEAD allowed',
      req => [HEAD => '/ro/data.txt', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },
    { name => 'POST to a CGI',
      req => [POST => '/ro/probe.cgi?extra=1', [Origin => $APP], 'a=1'],
      status => 200, pf => 'cors-allowed' },
    { name => 'GET without Origin',
      req => [GET => '/ro/data.txt', []],
      status => 200, pf => '-' },
    { name => 'plain OPTIONS without Origin',
      req => [OPTIONS => '/ro/data.txt', []],
      status => 200, pf => '-' },
    { name => 'plain OPTIONS with Origin',
      req => [OPTIONS => '/ro/data.txt', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },
    { name => '404',
      req => [GET => '/ro/missing.txt', [Origin => $APP]],
      status => 404, pf => 'cors-allowed' },
    { name => 'PUT on a static file: 405',
      req => [PUT => '/ro/data.txt', [Origin => $APP], 'x'],
      status => 405, pf => 'cors-allowed' },
    { name => 'CGI that dies: 500',
      req => [GET => '/ro/broken.cgi', [Origin => $APP]],
      status => 500, pf => 'cors-allowed' },
    { name => 'CGI status 503',
      req => [GET => '/ro/probe.cgi?status=503', [Origin => $APP]],
      status => 503, pf => 'cors-allowed' },
    { name => 'CGI with its own Access-Control-*, allowed origin',
      req => [GET => '/ro/probe.cgi?own=1&vary=Accept', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },
    { name => 'CGI with its own Access-Control-*, refused origin',
      req => [GET => '/ro/probe.cgi?own=1', [Origin => $EVIL]],
      status => 200, pf => 'cors-denied-origin',
      report_only => qr{report-only: .*origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'CGI with its own Access-Control-*, preflight',
      req => [OPTIONS => '/ro/probe.cgi?own=1', [%pre]],
      status => 200, pf => 'preflight-allowed' },
    { name => 'directory without slash: redirect',
      req => [GET => '/ro/idx', [Origin => $APP]],
      status => 301, pf => 'cors-allowed' },
    { name => 'directory index',
      req => [GET => '/ro/idx/', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },

    # --- next to a mod_headers recipe
    { name => 'recipe: preflight allowed',
      req => [OPTIONS => '/rh/data.txt', [%pre]],
      status => 200, pf => 'preflight-allowed' },
    { name => 'recipe: preflight denied',
      req => [OPTIONS => '/rh/data.txt',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'PUT']],
      status => 200, pf => 'preflight-denied-origin',
      report_only => qr{report-only: preflight denied for /rh/r/data\.txt: origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'recipe: actual allowed',
      req => [GET => '/rh/data.txt', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },
    { name => 'recipe: actual denied',
      req => [GET => '/rh/data.txt', [Origin => $EVIL]],
      status => 200, pf => 'cors-denied-origin',
      report_only => qr{report-only: .*origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'recipe: no Origin',
      req => [GET => '/rh/data.txt', []],
      status => 200, pf => '-' },
    { name => 'recipe: 404',
      req => [GET => '/rh/missing.txt', [Origin => $APP]],
      status => 404, pf => 'cors-allowed' },
    { name => 'recipe: CGI with its own Access-Control-*',
      req => [GET => '/rh/probe.cgi?own=1', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },

    # --- a proxied backend with its own Access-Control-*
    { name => 'proxy: preflight allowed',
      req => [OPTIONS => '/rp/probe.cgi', [%pre]],
      status => 200, pf => 'preflight-allowed' },
    { name => 'proxy: actual allowed',
      req => [GET => '/rp/data.txt', [Origin => $APP]],
      status => 200, pf => 'cors-allowed' },
    { name => 'proxy: actual denied',
      req => [GET => '/rp/probe.cgi', [Origin => $EVIL]],
      status => 200, pf => 'cors-denied-origin',
      report_only => qr{report-only: .*origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'proxy: 404',
      req => [GET => '/rp/missing.txt', [Origin => $APP]],
      status => 404, pf => 'cors-allowed' },

    # --- behind Require valid-user
    { name => 'auth: preflight stays 401',
      req => [OPTIONS => '/ra/data.txt', [%pre]],
      status => 401, pf => 'preflight-allowed' },
    { name => 'auth: preflight, refused origin',
      req => [OPTIONS => '/ra/data.txt',
              [Origin => $EVIL, 'Access-Control-Request-Method' => 'PUT']],
      status => 401, pf => 'preflight-denied-origin',
      report_only => qr{report-only: preflight denied for /ra/r/data\.txt: origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'auth: GET without credentials',
      req => [GET => '/ra/data.txt', [Origin => $APP]],
      status => 401, pf => 'cors-allowed' },
    { name => 'auth: GET with credentials',
      req => [GET => '/ra/data.txt', [Origin => $APP, Authorization => $GOOD]],
      status => 200, pf => 'cors-allowed' },
    { name => 'auth: plain OPTIONS without credentials',
      req => [OPTIONS => '/ra/data.txt', []],
      status => 401, pf => '-' },

    # --- ErrorDocument
    # the ErrorDocument is an internal redirect: the decision shows as
    # REDIRECT_PREFLIGHT
    { name => 'ErrorDocument 404',
      req => [GET => '/re/missing.txt', [Origin => $APP]],
      status => 404, pf => '-', redir_pf => 'cors-allowed' },
    { name => 'ErrorDocument 404, refused origin',
      req => [GET => '/re/missing.txt', [Origin => $EVIL]],
      status => 404, pf => '-', redir_pf => 'cors-denied-origin',
      report_only => qr{report-only: .*origin 'https://evil\.example' is not in PreflightAllowOrigin} },
    { name => 'ErrorDocument 404, preflight',
      req => [OPTIONS => '/re/missing.txt', [%pre]],
      status => 200, pf => 'preflight-allowed' },
    { name => 'ErrorDocument 404, CGI status',
      req => [GET => '/re/probe.cgi?status=404', [Origin => $APP]],
      status => 404, pf => 'cors-allowed' },
);

# Inheritance and .htaccess: cases of the PreflightTest runner.
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
      write => ['ro-ht', "PreflightEngine ReportOnly\nPreflightAllowOrigin https://app.example\n"],
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

my $n = 0;
for my $c (@cases) {
    $n++;
    my ($method, $path, $headers, $body) = @{ $c->{req} };
    my ($sc, $rest) = $path =~ m{^/([^/]+)/(.*)$};
    my %url;
    for my $x (qw(o n r)) {
        my $u = "/$sc/$x/$rest";
        $url{$x} = $u . ($u =~ /\?/ ? '&' : '?') . "t=ro$n-$$";
    }
    raw_exchange(raw_request($method, $url{o}, $headers, $body));
    my $none = parse_response(raw_exchange(raw_request($method, $url{n}, $headers, $body)));
    my $off = -s "$logs/error_log";
    my $ro = parse_response(raw_exchange(raw_request($method, $url{r}, $headers, $body)));

    ok t_cmp($ro->{status}, $c->{status}, "$c->{name}: status");
    my ($got, $expected) = normalize_pair($sc, $ro, $none);
    ok t_cmp($got, $expected,
             "$c->{name}: ReportOnly response is the one without the module");

    # PREFLIGHT and REDIRECT_PREFLIGHT as logged
    my ($on, $ro_pf, $no) = map { join ' ', logged($method, $url{$_}) or '(no log line)' }
                            qw(o r n);
    my $want = "$c->{pf} " . ($c->{redir_pf} // '-');
    ok t_cmp("$on / $ro_pf", "$want / $want",
             "$c->{name}: PREFLIGHT with On / with ReportOnly");
    ok t_cmp($no, '- -', "$c->{name}: PREFLIGHT without the module");

    my @lines = report_only_lines($off, $c->{report_only});
    if ($c->{report_only}) {
        ok t_cmp(scalar(grep { $_ =~ $c->{report_only} } @lines) . ' of ' . scalar(@lines),
                 '1 of 1', "$c->{name}: one report-only line with the reason");
    }
    else {
        ok t_cmp(join("\n", @lines), '', "$c->{name}: no report-only line");
    }
}

run_cases(@act, @htaccess);

# Two parse_response answers as texts to compare. What may differ between
# the two locations: the Date field, the letter of the scenario wherever the
# path shows (same length, so Content-Length is untouched), and the framing
# of a CGI's body: httpd sends Content-Length when the whole output is there
# at the first write and chunks otherwise, which is a matter of timing. So
# when either response is chunked, both are compared de-chunked and without
# Content-Length / Transfer-Encoding.
sub normalize_pair {
    my ($sc, @p) = @_;
    my $chunked = grep { $_->{chunked} } @p;
    return map {
        my @h = grep { lc $_->[0] ne 'date' } @{ $_->{headers} };
        @h = grep { $_->[0] !~ /^(?:content-length|transfer-encoding)$/i } @h if $chunked;
        my $all = join("\r\n", $_->{status_line}, map { "$_->[0]: $_->[1]" } @h)
                . "\r\n\r\n" . $_->{body};
        $all =~ s{/\Q$sc\E/[rn]/}{/$sc/_/}g;
        $all;
    } @p;
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
