#!/usr/bin/perl
# WordPress in the field (README "In the field", WordPress): Debian's
# WordPress with a private MariaDB, its REST API and its front page, served
# by a private httpd (t/lib/WordPressSite.pm), with the policy of README
# "Recipes", WordPress's REST API.
#
#   perl t/field/wordpress.pl fpm      event MPM, mod_proxy_fcgi, php-fpm; the
#                                      policy in <Directory>, in .htaccess,
#                                      then in <Location "/wp-json/"> (which
#                                      WordPress's rewrite rules leave for
#                                      /index.php: README "Behaviour in
#                                      detail", Scope)
#   perl t/field/wordpress.pl modphp   prefork and mod_php, the policy in the
#                                      site's .htaccess next to WordPress's
#                                      rewrite rules, PreflightTenantLimit in
#                                      the server config (README "Shared hosting")
#
# First without the module: WordPress reflects any Origin, null included,
# with Access-Control-Allow-Credentials: true (printed as "# " lines and
# asserted: the hole). Then with the module (README "Behaviour in detail"):
# the allowed origin gets exactly one Access-Control-Allow-Origin,
# credentials, the exposed X-WP-Total, X-WP-TotalPages and Link, and Vary:
# Origin; a refused origin and null get no Access-Control-* header at all;
# preflights are answered without PHP running (PHP's own request log gains
# no line); a 401 and a 404 of the REST API carry the CORS headers; the
# front page renders. Last, ReportOnly (README "PreflightEngine"): every
# answer is WordPress's own (status, header fields, body), and the
# module's verdict is in the error log (report-only:) and in PREFLIGHT.
#
# Prints "ok N - ..." / "not ok N - ..." lines, "# " lines for what it saw,
# and ends with "N passed, M failed"; exits non-zero on any failure.
use strict;
use warnings;

use File::Basename qw(dirname);
use HTTP::Request;
use LWP::UserAgent;
use Time::HiRes qw(sleep time);
use lib dirname(__FILE__) . '/../lib';
use PreflightReport qw(check finish note);
use PreflightTest qw(%H header_tokens values_of);
use WordPressSite;

my $mode = shift // 'fpm';
die "usage: perl t/field/wordpress.pl fpm|modphp\n" unless $mode =~ /^(?:fpm|modphp)$/;
$| = 1;
my $started = time;

my $APP  = 'https://app.example';
my $EVIL = 'https://evil.example';
my $POSTS = '/wp-json/wp/v2/posts';
my @EXPOSED = qw(X-WP-Total X-WP-TotalPages Link);
my @METHODS = qw(GET POST PUT PATCH DELETE);

# The site's policy: the REST API's methods and headers, its pagination
# headers exposed, cookies (WordPress's logged-in session) allowed.
my $POLICY = <<"EOF";
PreflightEngine           On
PreflightAllowOrigin      $APP
PreflightAllowMethods     @METHODS
PreflightAllowHeaders     Content-Type X-WP-Nonce Authorization
PreflightExposeHeaders    @EXPOSED
PreflightAllowCredentials On
PreflightMaxAge           600
EOF

# The shared host (README "Shared hosting"): the host keeps credentials,
# private network access, * and passthrough out of .htaccess and caps
# max-age; it trusts this customer with cookies in its own <Directory>.
my $TENANT_LIMIT = 'PreflightTenantLimit credentials private-network any-origin passthrough max-age=3600';
my $HOST_DIRECTORY = 'PreflightAllowCredentials On';
my $TENANT_POLICY = $POLICY =~ s/^PreflightAllowCredentials.*\n//mr;

# ---- reporting

sub is_eq {
    my ($got, $expected, $what) = @_;
    my $ok = defined $got && defined $expected ? $got eq $expected : !defined $got && !defined $expected;
    return check($ok, $what, 'got:      ' . ($got // '(none)'), 'expected: ' . ($expected // '(none)'));
}

# ---- requests

my $UA = LWP::UserAgent->new(timeout => 30, max_redirect => 0, keep_alive => 0);
my $tagno = 0;
my $wp;

# One request to the site; a query parameter t=TAG tells its log lines
# apart. Returns the response, with ->{tag} set.
sub send_req {
    my ($method, $path, $headers, $body) = @_;
    my $tag = "wp-$mode-" . ++$tagno;
    my $url = $wp->{url} . $path . ($path =~ /\?/ ? '&' : '?') . "t=$tag";
    my @h = @{ $headers || [] };
    $h[$_] = $H{ $h[$_] } // $h[$_] for grep { $_ % 2 == 0 } 0 .. $#h;
    my $req = HTTP::Request->new($method, $url, \@h, $body);
    $req->header('Content-Length' => length $body) if defined $body;
    my $r = $UA->request($req);
    $r->{tag} = $tag;
    return $r;
}

sub preflight {
    my ($origin, $path) = @_;
    return send_req(OPTIONS => $path // $POSTS,
        [Origin => $origin, ACRM => 'POST', ACRH => 'content-type,x-wp-nonce']);
}

# The fields of a response as "Name: value" lines, sorted, leaving out Date
# and what LWP adds (Client-*).
sub fields {
    my $r = shift;
    my @f;
    $r->headers->scan(sub { push @f, "$_[0]: $_[1]" unless $_[0] =~ /^(?:Date|Client-.*)$/i });
    return join "\n", sort @f;
}

sub show {
    my ($what, $r) = @_;
    note("$what: " . $r->request->method . ' ' . ($r->request->uri->path) . ' -> ' . $r->status_line);
    note("  $_") for split /\n/, fields($r);
}

# ---- logs

sub slurp_from {
    my ($file, $off) = @_;
    open my $fh, '<', $file or return '';
    seek $fh, $off // 0, 0;
    local $/;
    return scalar <$fh> // '';
}

# The access log line of a request: (PREFLIGHT, REDIRECT_PREFLIGHT), () when
# none came (httpd writes it after the response has gone).
sub logged {
    my $r = shift;
    for (1 .. 100) {
        for (split /\n/, slurp_from($wp->{access_log})) {
            return ($1, $2) if /[?&]t=\Q$r->{tag}\E[& ].* pf=(\S*) redir_pf=(\S*)$/;
        }
        sleep 0.05;
    }
    return;
}

sub pf_is {
    my ($r, $expected, $what) = @_;
    is_eq((logged($r))[0] // '(no access log line)', $expected, "$what: PREFLIGHT logged");
}

# The lines PHP's request log gained since $off, once the line of the
# request tagged $sync is among them (or after 10 s).
sub php_lines_since {
    my ($off, $sync) = @_;
    my @lines;
    for (1 .. 200) {
        @lines = grep { length } split /\n/, slurp_from($wp->{php_log}, $off);
        last if !defined $sync || grep { /[?&]t=\Q$sync\E\b/ } @lines;
        sleep 0.05;
    }
    return @lines;
}

sub error_log_has {
    my ($off, @res) = @_;
    for (1 .. 40) {
        for my $line (split /\n/, slurp_from($wp->{error_log}, $off)) {
            return $line unless grep { $line !~ $_ } @res;
        }
        sleep 0.05;
    }
    return undef;
}

# ---- what a response must hold

sub status_is { is_eq($_[0]->code, $_[1], "$_[2]: status $_[1]") }

sub one_field {
    my ($r, $h, $value, $what) = @_;
    my $name = $H{$h} // $h;
    is_eq(values_of($r, $name), $value, "$what: exactly one $name: $value");
}

sub no_field {
    my ($r, $h, $what) = @_;
    my $name = $H{$h} // $h;
    is_eq(values_of($r, $name), undef, "$what: no $name");
}

sub no_acx {
    my ($r, $what) = @_;
    my @acx = grep { /^access-control-/i } $r->headers->header_field_names;
    check(!@acx, "$what: no Access-Control-* header at all",
          map { "got: $_: " . values_of($r, $_) } @acx);
}

sub token_set {
    my ($r, $h, $expected, $what) = @_;
    my $name = $H{$h} // $h;
    my @v = $r->headers->header($name);
    my $got = join(', ', sort map { lc } header_tokens($r, $name)) . (@v > 1 ? ' (' . @v . ' fields)' : '');
    is_eq($got, join(', ', sort map { lc } @$expected), "$what: $name is one field of exactly @$expected");
}

sub vary_origin_once {
    my ($r, $what) = @_;
    my $count = grep { lc eq 'origin' } header_tokens($r, 'Vary');
    is_eq($count, 1, "$what: Vary names Origin exactly once");
}

sub wordpress_answered {
    my ($r, $what) = @_;
    is_eq(values_of($r, 'X-WP-Total'), '1', "$what: WordPress's own answer (X-WP-Total: 1, the one post)");
}

sub php_unchanged {
    my ($off, $sync, $what) = @_;
    my @lines = php_lines_since($off, $sync->{tag});
    check(@lines == 1 && $lines[0] =~ /[?&]t=\Q$sync->{tag}\E\b/,
          "$what: no preflight reached PHP (its request log gained only the GET sent after them)",
          "lines PHP logged: " . (@lines ? join(' | ', @lines) : '(none)'));
}

# ---- the stages

sub without_module {
    my $label = 'without the module';
    $wp->httpd(module => 0);
    my %base;
    my $allowed = $base{app} = send_req(GET => $POSTS, [Origin => $APP]);
    show("WordPress's own answer $label, Origin $APP", $allowed);
    status_is($allowed, 200, "$label, Origin $APP");
    for my $case ([evil => $EVIL], [null => 'null']) {
        my ($key, $origin) = @$case;
        my $r = $base{$key} = send_req(GET => $POSTS, [Origin => $origin]);
        note("$label, Origin $origin: " . $r->status_line . ', '
             . join(', ', map { "$_: " . (values_of($r, $_) // '(none)') } @H{qw(ACAO ACAC)}));
        one_field($r, 'ACAO', $origin, "$label, Origin $origin (the hole): WordPress reflects it");
        one_field($r, 'ACAC', 'true', "$label, Origin $origin (the hole): with credentials");
    }
    my $off = -s $wp->{php_log};
    my $pre = $base{preflight} = preflight($EVIL);
    show("WordPress's own answer $label, a preflight from $EVIL", $pre);
    one_field($pre, 'ACAO', $EVIL, "$label, preflight from $EVIL: WordPress answers it, reflecting the origin");
    my @php = php_lines_since($off, $pre->{tag});
    check((grep { /^OPTIONS .*[?&]t=\Q$pre->{tag}\E\b/ } @php) == 1,
          "$label, preflight from $EVIL: it ran PHP (the request log can tell)", "PHP logged: @php");
    my $front = $base{front} = send_req(GET => '/');
    front_page($front, $label);
    return \%base;
}

sub front_page {
    my ($r, $what) = @_;
    status_is($r, 200, "$what, front page");
    my ($version) = $wp->{versions}{wordpress};
    check($r->decoded_content =~ /<meta name="generator" content="WordPress \Q$version\E"/
          && $r->decoded_content =~ /Hello world!/,
          "$what, front page: WordPress's markup (generator $version, the first post)",
          'body starts: ' . substr($r->decoded_content, 0, 300));
}

# $site_wide: the policy covers the whole site, the front page and a post's
# page included; otherwise only the REST API (<Location "/wp-json/">), whose
# URIs WordPress's rewrite rules hand to /index.php, outside that scope.
sub with_module {
    my ($label, $site_wide) = @_;

    my $r = send_req(GET => $POSTS, [Origin => $APP]);
    my $what = "$label, GET $POSTS from $APP";
    status_is($r, 200, $what);
    wordpress_answered($r, $what);
    one_field($r, 'ACAO', $APP, $what);
    one_field($r, 'ACAC', 'true', $what);
    token_set($r, 'ACEH', \@EXPOSED, $what);
    no_field($r, $_, "$what: WordPress's own") for qw(ACAM ACAH);
    vary_origin_once($r, $what);
    pf_is($r, 'cors-allowed', $what);

    for my $origin ($EVIL, 'null') {
        my $off = -s $wp->{error_log};
        $r = send_req(GET => $POSTS, [Origin => $origin]);
        $what = "$label, GET $POSTS from $origin";
        status_is($r, 200, $what);
        wordpress_answered($r, $what);
        no_acx($r, $what);
        vary_origin_once($r, $what);
        pf_is($r, 'cors-denied-origin', $what);
        my @denials = grep { /cross-origin headers withheld/ } split /\n/, slurp_from($wp->{error_log}, $off);
        check(@denials == 1 && $denials[0] =~ m{withheld for \Q$POSTS\E: origin '\Q$origin\E'},
              "$what: the refusal logged once, for the URI the client asked for", @denials);
    }

    my $off = -s $wp->{php_log};
    $r = preflight($APP);
    $what = "$label, preflight from $APP";
    status_is($r, 204, $what);
    one_field($r, 'ACAO', $APP, $what);
    one_field($r, 'ACAC', 'true', $what);
    token_set($r, 'ACAM', \@METHODS, $what);
    token_set($r, 'ACAH', [qw(Content-Type X-WP-Nonce Authorization)], $what);
    one_field($r, 'ACMA', '600', $what);
    vary_origin_once($r, $what);
    pf_is($r, 'preflight-allowed', $what);
    for my $origin ($EVIL, 'null') {
        $r = preflight($origin);
        $what = "$label, preflight from $origin";
        status_is($r, 403, $what);
        no_acx($r, $what);
        pf_is($r, 'preflight-denied-origin', $what);
    }
    if ($site_wide) {
        # A preflight to a page of the site, not the API, too.
        $r = preflight($APP, '/hello-world/');
        status_is($r, 204, "$label, preflight from $APP to a post's page");
    }
    php_unchanged($off, send_req(GET => '/wp-json/'), "$label, the preflights");

    $r = send_req(GET => '/wp-json/wp/v2/users/me', [Origin => $APP]);
    $what = "$label, GET /wp-json/wp/v2/users/me without a login from $APP";
    status_is($r, 401, $what);
    check($r->decoded_content =~ /"code":"rest_not_logged_in"/, "$what: WordPress's rest_not_logged_in",
          'body: ' . substr($r->decoded_content, 0, 200));
    one_field($r, 'ACAO', $APP, "$what (readable by the app)");
    one_field($r, 'ACAC', 'true', $what);

    $r = send_req(POST => $POSTS, [Origin => $APP, 'Content-Type' => 'application/json'],
                  '{"title":"from elsewhere","status":"publish"}');
    $what = "$label, POST $POSTS without a login from $APP";
    status_is($r, 401, $what);
    check($r->decoded_content =~ /"code":"rest_cannot_create"/, "$what: WordPress's rest_cannot_create",
          'body: ' . substr($r->decoded_content, 0, 200));
    one_field($r, 'ACAO', $APP, "$what (readable by the app)");

    $r = send_req(GET => '/wp-json/wp/v2/no-such-route', [Origin => $APP]);
    $what = "$label, GET a REST route that does not exist from $APP";
    status_is($r, 404, $what);
    check($r->decoded_content =~ /"code":"rest_no_route"/, "$what: WordPress's rest_no_route",
          'body: ' . substr($r->decoded_content, 0, 200));
    one_field($r, 'ACAO', $APP, "$what (readable by the app)");
    one_field($r, 'ACAC', 'true', $what);

    $r = send_req(GET => '/wp-json/wp/v2/users/me', [Origin => $EVIL]);
    $what = "$label, the 401 from $EVIL";
    status_is($r, 401, $what);
    no_acx($r, $what);

    # WordPress serves the same API at /?rest_route=, whatever the permalinks.
    $r = send_req(GET => '/?rest_route=/wp/v2/posts', [Origin => $EVIL]);
    $what = "$label, the same API at /?rest_route=/wp/v2/posts from $EVIL";
    wordpress_answered($r, $what);
    if ($site_wide) {
        no_acx($r, $what);
    }
    else {
        one_field($r, 'ACAO', $EVIL, "$what: out of the <Location>, WordPress's reflection"
                  . ' (README "In the field": a policy for the whole site covers it)');
    }

    $r = send_req(GET => '/');
    front_page($r, $label);
    $r = send_req(GET => '/', [Origin => $APP]);
    if ($site_wide) {
        vary_origin_once($r, "$label, front page");
        one_field($r, 'ACAO', $APP, "$label, front page from $APP");
    }
    else {
        no_acx($r, "$label, front page from $APP, out of the policy's scope");
    }
}

sub report_only {
    my ($label, $base) = @_;
    my @cases = (
        [app => $APP, 'cors-allowed'],
        [evil => $EVIL, 'cors-denied-origin'],
        [null => 'null', 'cors-denied-origin'],
    );
    for my $case (@cases) {
        my ($key, $origin, $pf) = @$case;
        my $off = -s $wp->{error_log};
        my $r = send_req(GET => $POSTS, [Origin => $origin]);
        my $what = "$label, GET $POSTS from $origin";
        status_is($r, $base->{$key}->code, $what);
        is_eq(fields($r), fields($base->{$key}), "$what: the fields are WordPress's own, as without the module");
        check($r->content eq $base->{$key}->content, "$what: the body is WordPress's own");
        pf_is($r, $pf, $what);
        next if $pf eq 'cors-allowed';
        my $line = error_log_has($off, qr/\[preflight:info\]/, qr/report-only: cross-origin headers withheld/,
                                 qr/origin '\Q$origin\E' is not in PreflightAllowOrigin/);
        check($line, "$what: the verdict in the error log, report-only:");
        note("  $line") if $line;
    }
    my $off = -s $wp->{error_log};
    my $php = -s $wp->{php_log};
    my $r = preflight($EVIL);
    my $what = "$label, preflight from $EVIL";
    status_is($r, $base->{preflight}->code, $what);
    is_eq(fields($r), fields($base->{preflight}), "$what: the fields are WordPress's own, as without the module");
    pf_is($r, 'preflight-denied-origin', $what);
    my $line = error_log_has($off, qr/report-only: preflight denied/, qr/'\Q$EVIL\E' is not in PreflightAllowOrigin/);
    check($line, "$what: the verdict in the error log, report-only:");
    note("  $line") if $line;
    my @lines = php_lines_since($php, $r->{tag});
    check((grep { /^OPTIONS .*[?&]t=\Q$r->{tag}\E\b/ } @lines) == 1, "$what: WordPress answered it (PHP ran)",
          "PHP logged: @lines");
    $r = send_req(GET => '/');
    front_page($r, $label);
}

# The host's limit holds: the customer's .htaccess cannot switch credentials
# on, and says why (README "PreflightTenantLimit").
sub tenant_limit_holds {
    my $label = 'PreflightTenantLimit';
    my $off = -s $wp->{error_log};
    $wp->httpd(policy => "$TENANT_POLICY\nPreflightAllowCredentials On\n", policy_in => 'htaccess',
               directory => $HOST_DIRECTORY, server_conf => $TENANT_LIMIT);
    my $r = send_req(GET => $POSTS, [Origin => $APP]);
    status_is($r, 500, "$label: an .htaccess that switches credentials on");
    no_acx($r, "$label: that .htaccess");
    my $line = error_log_has($off, qr/PreflightAllowCredentials On: not allowed in \.htaccess here/,
                             qr/PreflightTenantLimit credentials/);
    check($line, "$label: the error log names the host's limit");
    note("  $line") if $line;
}

# ---- main

eval {
    $wp = WordPressSite->start(mode => $mode, module => 0);
    my $v = $wp->{versions};
    note("WordPress $v->{wordpress} (Debian's wordpress, a private copy), PHP $v->{php} through $v->{php_sapi},"
         . " MariaDB $v->{database}, $v->{httpd}, " . ($mode eq 'fpm' ? 'event MPM, mod_proxy_fcgi' : 'prefork, mod_php'));
    note(sprintf 'installed and started in %.1f s', time - $started);

    my $base = without_module();
    if ($mode eq 'fpm') {
        $wp->httpd(policy => $POLICY, policy_in => 'directory');
        with_module('policy in <Directory>', 1);
        $wp->httpd(policy => $POLICY, policy_in => 'htaccess');
        with_module('policy in .htaccess', 1);
        $wp->httpd(policy => $POLICY, policy_in => '/wp-json/');
        with_module('policy in <Location "/wp-json/">', 0);
        $wp->httpd(policy => $POLICY =~ s/^PreflightEngine\s+On$/PreflightEngine ReportOnly/mr,
                   policy_in => 'directory');
        report_only('ReportOnly in <Directory>', $base);
    }
    else {
        $wp->httpd(policy => $TENANT_POLICY, policy_in => 'htaccess',
                   directory => $HOST_DIRECTORY, server_conf => $TENANT_LIMIT);
        note("the site's .htaccess:", map { "  $_" } split /\n/, WordPressSite::slurp($wp->{htaccess}));
        with_module('policy in .htaccess under PreflightTenantLimit', 1);
        tenant_limit_holds();
        $wp->httpd(policy => $TENANT_POLICY =~ s/^PreflightEngine\s+On$/PreflightEngine ReportOnly/mr,
                   policy_in => 'htaccess', directory => $HOST_DIRECTORY, server_conf => $TENANT_LIMIT);
        report_only('ReportOnly in .htaccess', $base);
    }
    1;
} or do {
    my $why = $@;
    check(0, 'the stack ran to the end', $why);
};
$wp->stop if $wp;

note(sprintf '%s stage took %.1f s', $mode, time - $started);
exit finish();
