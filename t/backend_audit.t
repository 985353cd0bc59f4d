# The audit of what backends send: in scope the module replaces or removes
# every Access-Control-* header someone else set, and says so in
# PREFLIGHT_BACKEND (replaced, removed); a dangerous value (an origin
# reflected with credentials, * with credentials, null) is named in the
# error log, at info at most once a minute per child, at debug otherwise.
# README "Reading decisions", PREFLIGHT_BACKEND; README "Behaviour in
# detail", Actual requests.
#
# /audit/ is a policy (https://app.example, credentials) in front of
# reflect.cgi, which sends what its acao= parameter asks for (see there);
# /audit-ro/ is the same policy under ReportOnly. t/conf/counters.conf.in.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use LWP::UserAgent;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(:DEFAULT :act slurp_from);

my $error_log = Apache::Test::vars('t_logs') . '/error_log';
my $start = -s $error_log // 0;

my $DANGER = qr/\[preflight:(?:info|debug)\]/;
sub said { my $text = shift; return [$DANGER, qr/\Q$text\E/] }

my @cases = (
    { name => 'reflecting backend, allowed origin: replaced',
      req => [GET => '/audit/reflect.cgi?acao=reflect', [Origin => $APP]],
      status => 200, body => "reflect ran\n",
      hdr => {%allowed},
      pf => 'cors-allowed', audit => 'replaced' },
    { name => 'reflecting backend, refused origin: removed and named',
      req => [GET => '/audit/reflect.cgi?acao=reflect', [Origin => $EVIL]],
      status => 200, body => "reflect ran\n", no_acx => 1,
      pf => 'cors-denied-origin', audit => 'removed',
      log => said("backend for /audit/reflect.cgi sent Access-Control-Allow-Origin "
                  . "'$EVIL' with Access-Control-Allow-Credentials true (an origin "
                  . "reflected with credentials); mod_preflight removed it, as the "
                  . "policy refuses this origin; the application reflects origins: "
                  . "keep a policy in this scope") },
    { name => '* with credentials, allowed origin: replaced and named',
      req => [GET => '/audit/reflect.cgi?acao=star', [Origin => $APP]],
      status => 200, hdr => {%allowed},
      pf => 'cors-allowed', audit => 'replaced',
      log => said("sent Access-Control-Allow-Origin '*' with Access-Control-Allow-Credentials "
                  . "true (* with credentials); mod_preflight replaced it with the "
                  . "policy's answer; the application allows any origin with credentials") },
    { name => 'null with credentials, refused origin: removed and named',
      req => [GET => '/audit/reflect.cgi?acao=null', [Origin => $EVIL]],
      status => 200, no_acx => 1,
      pf => 'cors-denied-origin', audit => 'removed',
      log => said("sent Access-Control-Allow-Origin 'null' with Access-Control-Allow-Credentials "
                  . "true (null); mod_preflight removed it") },
    { name => 'null without credentials: removed and named',
      req => [GET => '/audit/reflect.cgi?acao=null&cred=0', [Origin => $EVIL]],
      status => 200, no_acx => 1, audit => 'removed',
      log => said("sent Access-Control-Allow-Origin 'null' (null); mod_preflight removed "
                  . "it, as the policy refuses this origin; the application allows the "
                  . "null origin") },
    { name => 'a fixed origin of the backend, refused origin: removed',
      req => [GET => '/audit/reflect.cgi?acao=fixed', [Origin => $EVIL]],
      status => 200, no_acx => 1, audit => 'removed' },
    { name => 'reflecting backend, 404, refused origin: removed',
      req => [GET => '/audit/reflect.cgi?acao=reflect&status=404', [Origin => $EVIL]],
      status => 404, no_acx => 1, audit => 'removed' },
    { name => 'reflecting backend, no Origin: removed',
      req => [GET => '/audit/reflect.cgi?acao=reflect', []],
      status => 200, no_acx => 1, pf => '-', audit => 'removed' },
    { name => 'backend without Access-Control-* headers: nothing to audit',
      req => [GET => '/audit/reflect.cgi', [Origin => $APP]],
      status => 200, hdr => {%allowed}, pf => 'cors-allowed', audit => '-' },
    { name => 'static file: nothing to audit',
      req => [GET => '/audit/data.txt', [Origin => $APP]],
      status => 200, body => $DATA, hdr => {%allowed}, audit => '-' },
    { name => 'preflight: the backend never runs, nothing to audit',
      req => [OPTIONS => '/audit/reflect.cgi?acao=reflect',
              [Origin => $EVIL, ACRM => 'PUT']],
      status => 403, no_acx => 1, absent => ['X-Act-Marker'],
      pf => 'preflight-denied-origin', audit => '-' },
    { name => 'ReportOnly: the backend\'s headers go out untouched, nothing audited',
      req => [GET => '/audit-ro/reflect.cgi?acao=reflect', [Origin => $EVIL]],
      status => 200,
      hdr => { ACAO => $EVIL, ACAC => 'true' },
      pf => 'cors-denied-origin', audit => '-' },
);

my $repeat = 6;
plan tests => case_tests(@cases) + 5;

run_cases(@cases);

# The same dangerous backend, again and again on one connection (one child):
# one line at info a minute at most, per child; the others at debug.
my $ua = LWP::UserAgent->new(keep_alive => 1, timeout => 30);
my $answered = 0;
for my $n (1 .. $repeat) {
    my $r = $ua->get(Apache::TestRequest::resolve_url("/audit/reflect.cgi?acao=reflect&n=$n"),
                     Origin => $EVIL);
    $answered++ if $r->code == 200 && !defined $r->header('Access-Control-Allow-Origin');
}
ok t_cmp($answered, $repeat, "$repeat requests to a reflecting backend: each answered without its header");

my (%info, $debug, @wrong);
for my $line (split /\n/, slurp_from($error_log, $start)) {
    next unless $line =~ /\bbackend for \S+ sent Access-Control-Allow-Origin '([^']*)'/;
    my $origin = $1;
    push @wrong, $line if $origin eq $APP || $origin eq 'https://backend.example' || $origin eq '';
    my ($pid) = $line =~ /\[pid (\d+)/;
    if ($line =~ /\[preflight:info\]/) { $info{$pid // '?'}++ }
    elsif ($line =~ /\[preflight:debug\]/) { $debug++ }
}
my @twice = grep { $info{$_} > 1 } sort keys %info;
ok t_cmp("@twice", '', 'at most one line at info per child (' . join(', ', map { "pid $_: $info{$_}" } sort keys %info) . ')');
ok t_cmp(scalar(keys %info) >= 1 ? 1 : 0, 1, 'the first dangerous backend value of a child is logged at info');
ok t_cmp(($debug // 0) >= $repeat - scalar(keys %info) ? 1 : 0, 1,
         'the others at debug (' . ($debug // 0) . ')');
ok t_cmp(join("\n", @wrong), '', 'no line for a backend that agrees with the policy or names a fixed origin');
