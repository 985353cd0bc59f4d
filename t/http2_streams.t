# What only HTTP/2 has: several requests multiplexed as streams of one h2c
# connection (mod_http2, t/conf/h2.conf.in), each answered with its own
# CORS headers and decision, and preflights that carry a request body, on
# the 200 path (answered in the type checker, DONE) and the 204 path.
#
# Every case of the other files' tables runs over HTTP/2 as well (README
# "Behaviour in detail", HTTP/2): t/lib/PreflightTest.pm's run_cases sends
# each over both, with curl --http2-prior-knowledge. Debian 12's curl
# (7.88.1) cannot reuse a prior-knowledge connection (curl issue 10634,
# fixed in 8.0.0: the second URL fails with "Error in the HTTP2 framing
# layer"), so the streams here are sent with nghttp, which opens all of them
# at once on one connection and prints every field of every stream.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(%H tagged log_line slurp_from values_of header_tokens twice nghttp);
use Time::HiRes qw(sleep);

my $APP = 'https://app.example';
my $A   = 'https://a.example.com';

# ---- multiplexed: one nghttp connection per group, every stream opened
# before the first answer arrives, each stream checked on its own.
my @mux = (
    { name => 'multiplexed GETs', method => 'GET', headers => [Origin => $APP],
      streams => [
          ['/act/basic/data.txt',         200, $APP, 'cors-allowed'],
          ['/act/basic/missing.txt',      404, $APP, 'cors-allowed'],
          ['/act/basic/probe.cgi?own=1',  200, $APP, 'cors-allowed'],
          ['/act/auth/data.txt',          401, $APP, 'cors-allowed'],
          ['/act/proxied/probe.cgi?own=1', 200, $APP, 'cors-allowed'],
          ['/act/vary-set/data.txt',      200, $APP, 'cors-allowed'],
          ['/act/any/data.txt',           200, '*',  'cors-allowed'],
          ['/pf/l/basic/ok.txt',          200, undef, 'cors-denied-origin'],
      ] },
    { name => 'multiplexed preflights', method => 'OPTIONS',
      headers => [Origin => $APP, $H{ACRM} => 'PUT'],
      streams => [
          ['/act/basic/data.txt',         204, $APP, 'preflight-allowed'],
          ['/act/auth/data.txt',          204, $APP, 'preflight-allowed'],
          ['/act/nocred/data.txt',        403, undef, 'preflight-denied-method'],
          ['/act/opts/data.txt',          204, $APP, 'preflight-allowed'],
          ['/act/closed/data.txt',        403, undef, undef],
          ['/pf/l/basic/ok.txt',          403, undef, 'preflight-denied-origin'],
          ['/act/pass/probe.cgi',         200, $APP, 'preflight-allowed'],
          ['/act/hdrs-always/data.txt',   204, $APP, 'preflight-allowed'],
      ] },
    # A preflight has no body, but one that has must still be answered, on
    # the 200 path (answered in the type checker, DONE) and the 204 path
    # alike. nghttp, not curl: httpd answers these before it has read the
    # body and then resets the stream with NO_ERROR (RFC 9113 8.1), which
    # curl 7.88.1 takes for a failure ("Stream error in the HTTP/2 framing
    # layer"), with or without mod_preflight.
    { name => 'preflights with a request body', method => 'OPTIONS',
      data => "a body on a preflight\n",
      headers => [Origin => $A, $H{ACRM} => 'PUT', 'Content-Type' => 'text/plain'],
      streams => [
          ['/pf/merge/ok.txt',            200, $A,   'preflight-allowed'],
          ['/pf/l/putdelete/ok.txt',      204, $A,   'preflight-allowed'],
          ['/pf/l/basic/ok.txt',          403, undef, 'preflight-denied-method'],
          ['/act/basic/data.txt',         403, undef, 'preflight-denied-origin'],
      ] },
);

# The client port of a request's h2_access_log line ('none' when it never
# came): streams of one connection share it.
my $LOGS = Apache::Test::vars('t_logs');
sub port_of {
    my ($method, $url) = @_;
    my $re = qr/^(\d+) "\Q$method $url\E HTTP\/[\d.]+"$/;
    for (1 .. 250) {
        for (split /\n/, slurp_from("$LOGS/h2_access_log")) {
            return $1 if $_ =~ $re;
        }
        sleep 0.02;
    }
    return 'none';
}

sub mux_tests {
    my $g = shift;
    # nghttp exit status, all streams opened before the first answer, one
    # connection in the log and all HTTP/2.0; per stream: status, ACAO, Vary,
    # no field twice, PREFLIGHT where expected
    my $n = 3;
    $n += 4 + (defined $_->[3] ? 1 : 0) for @{ $g->{streams} };
    return $n;
}

sub run_mux {
    my $g = shift;
    my @urls = map { (tagged($_->[0], 'mux'))[0] } @{ $g->{streams} };
    my ($info, @res) = nghttp($g->{method}, \@urls, $g->{headers}, $g->{data});
    my $n = $g->{name};
    ok t_cmp($info->{exit}, 0, "$n: nghttp exit status");
    ok t_cmp($info->{opened_first}, 1,
             "$n: all " . @urls . " streams open before the first answer");
    my (%ports, %protos, @pfs);
    for my $u (@urls) {
        $ports{ port_of($g->{method}, $u) }++;
        my ($pf, undef, $proto) = log_line($g->{method}, $u);
        $protos{ $proto // 'none' }++;
        push @pfs, $pf;
    }
    ok t_cmp(keys(%ports) . ' connection, ' . join(' ', sort keys %protos),
             '1 connection, HTTP/2.0', "$n: one connection in the access log, all HTTP/2.0");

    for my $k (0 .. $#urls) {
        my ($path, $status, $acao, $want_pf) = @{ $g->{streams}[$k] };
        my $r = $res[$k];
        my $sn = "$n, $path";
        ok t_cmp($r->protocol eq 'HTTP/2' ? $r->code : 'no answer', $status, "$sn: status");
        ok t_cmp(values_of($r, 'ACAO') // '', $acao // '', "$sn: " .
                 (defined $acao ? "exactly one $H{ACAO}" : "no $H{ACAO}"));
        ok t_cmp(scalar(grep { lc eq 'origin' } header_tokens($r, 'Vary')),
                 defined $acao && $acao eq '*' && $g->{method} ne 'OPTIONS' ? 0 : 1,
                 "$sn: Vary names Origin " . (defined $acao && $acao eq '*' ? 'never' : 'once'));
        ok t_cmp(twice($r), '', "$sn: no field name twice");
        ok t_cmp($pfs[$k] // '(no log line)', $want_pf, "$sn: PREFLIGHT logged")
            if defined $want_pf;
    }
}

my $tests = 0;
$tests += mux_tests($_) for @mux;

# No "need": mod_http2 is always loaded (t/conf/extra.conf.in), and without
# it every stream fails rather than the file being skipped.
plan tests => $tests;

run_mux($_) for @mux;
