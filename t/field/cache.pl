#!/usr/bin/perl
# A shared cache in front: httpd with mod_cache and mod_cache_disk (quick
# handler on) caching /api/, which mod_proxy_http sends to a backend virtual
# host whose CGI reflects any Origin with credentials and Cache-Control:
# public (t/field/conf/cache.conf.in, t/field/cgi/reflect.cgi), once with the
# module's policy on the front's /api/ and once without the module.
#
# Requests from two allowed origins (A, B), a refused one (C) and none come
# in every order of the four, each order on a fresh URL and sent three
# times (forward, backward, forward): misses first, then hits. With the
# module (README "Behaviour in detail", Actual requests and Vary), for each
# backend variant (Vary: Origin, no Vary, Vary: Accept-Encoding only):
#   - no response carries an Access-Control-Allow-Origin for an origin
#     other than the one that sent it, C and requests without Origin get
#     none (no Access-Control-* at all), A and B get exactly their own, and
#     no Access-Control-* field comes twice;
#   - hits really happened (X-Cache: HIT from CacheHeader On, and the
#     backend's access log saw exactly the misses), and the cache kept one
#     copy per origin (each body was made for the origin that received it);
# and the same through a revalidation (max-age=1, ETag, 304 from the
# backend), and for preflights, which the module answers before the cache
# and the backend. Without the module, what the backend alone does through
# the cache is printed as "# " lines.
# Prints "ok"/"not ok" lines and a closing "N passed, M failed"; exits
# non-zero on any failure.
#
#   perl t/field/cache.pl        (make field runs it: sh tools/test.sh cache)
#   KEEP=1 keeps the temporary directory; PREFLIGHT_MODULE=path runs another
#   build of the module.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep time);
use lib dirname(__FILE__) . '/../lib';
use PreflightReport qw(check finish note);
use PreflightServer qw(free_port start_httpd stop_httpd graceful_httpd);
use PreflightTest qw(raw_request raw_exchange parse_response fields_of);

my $src = abs_path(dirname(__FILE__) . '/../..');
my $httpd = $ENV{HTTPD} || '/usr/sbin/apache2';
my $module = $ENV{PREFLIGHT_MODULE} || "$src/.libs/mod_preflight.so";
-f $module or die "$module is missing: run make first\n";

my %ORIGIN = (A => 'https://a.example', B => 'https://b.example',
              C => 'https://c.example', none => undef);
my @SENDERS = qw(A B C none);
my @VARIANTS = qw(vary novary ae);
my %ABOUT = (vary => 'Vary: Origin', novary => 'no Vary',
             ae => 'Vary: Accept-Encoding');

my $top = tempdir('pf-cache-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP});
chmod 0755, $top;
my %server;
END { stop_httpd($_) for grep { defined } values %server }

sub start {
    my ($name, @define) = @_;
    my $root = "$top/$name";
    make_path("$root/cache");
    chmod 0755, $root;
    if ($> == 0) {
        my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
        chown $uid, getgrnam('nogroup') // $gid, "$root/cache";
    }
    system("chmod -R a+rX '$src/t/field/cgi'") == 0 or die "chmod failed\n";
    my ($port, $backend, $filter) = (free_port(), free_port(), free_port());
    open my $in, '<', "$src/t/field/conf/cache.conf.in" or die $!;
    my $conf = do { local $/; <$in> };
    my $s = { name => $name, root => $root, backend => $backend,
              port => { quick => $port, filter => $filter } };
    write_conf($s, "$ORIGIN{A} $ORIGIN{B}");
    $server{$name} = start_httpd(httpd => $httpd, conf => "$root/httpd.conf", root => $root,
                                 pidfile => "$root/httpd.pid",
                                 args => [map { ('-D', $_) } @define]);
    return $s;
}

sub write_conf {
    my ($s, $allowed) = @_;
    open my $in, '<', "$src/t/field/conf/cache.conf.in" or die $!;
    my $conf = do { local $/; <$in> };
    my %v = (ROOT => $s->{root}, PORT => $s->{port}{quick}, FILTER_PORT => $s->{port}{filter},
             BACKEND_PORT => $s->{backend}, SRC => $src, MODULE => $module);
    $conf =~ s/\@ORIGIN_A\@ \@ORIGIN_B\@/$allowed/g;
    $conf =~ s/\@ORIGIN_B\@/$ORIGIN{B}/g;
    $conf =~ s/\@(\w+)\@/$v{$1} \/\/ die "unknown \@$1\@ in cache.conf.in\n"/ge;
    open my $out, '>', "$s->{root}/httpd.conf" or die $!;
    print $out $conf;
    close $out;
}

# One GET (or another method) from a sender to a front (quick, filter); the
# answer as parse_response makes it, with who sent it.
sub send_from {
    my ($s, $front, $who, $path, $method, @more) = @_;
    local $PreflightTest::port = $s->{port}{$front};
    my @h = defined $ORIGIN{$who} ? (Origin => $ORIGIN{$who}) : ();
    my $p = parse_response(raw_exchange(raw_request($method // 'GET', $path, [@h, @more])));
    $p->{who} = $who;
    $p->{path} = $path;
    return $p;
}

sub cache_status { (fields_of($_[0], 'X-Cache'))[0] // '-' }

# What is wrong with one answer, as short phrases; $strict adds what only
# the module promises (A and B get their own origin, one copy per origin).
sub problems {
    my ($p, $strict) = @_;
    my @why;
    my $sent = $ORIGIN{ $p->{who} };
    my @acao = fields_of($p, 'Access-Control-Allow-Origin');
    my %n;
    $n{ lc $_->[0] }++ for grep { $_->[0] =~ /^access-control-/i } @{ $p->{headers} };
    push @why, "$_ came " . $n{$_} . ' times' for grep { $n{$_} > 1 } sort keys %n;
    for my $v (@acao) {
        push @why, "got Access-Control-Allow-Origin: $v"
            if $p->{who} !~ /^[AB]$/ || $v ne $sent;
    }
    push @why, 'got ' . join(', ', sort keys %n) if $p->{who} =~ /^(C|none)$/ && %n && !@acao;
    if ($strict) {
        push @why, 'status ' . $p->{status} unless $p->{status} == 200;
        push @why, 'no Access-Control-Allow-Origin of its own'
            if $p->{who} =~ /^[AB]$/ && !grep { $_ eq $sent } @acao;
        my ($made) = $p->{body} =~ /made for origin (\S+),/;
        push @why, 'a body made for ' . ($made // '?')
            if ($made // '') ne ($sent // '-');
    }
    return @why;
}

sub describe {
    my $p = shift;
    return "$p->{who} $p->{path} " . cache_status($p) . ': '
         . join('; ', map { "$_->[0]: $_->[1]" } grep { $_->[0] =~ /^(access-control-|vary)/i }
                @{ $p->{headers} });
}

# The four senders in every order.
sub orders {
    my @items = @_;
    return [@items] if @items <= 1;
    my @all;
    for my $i (0 .. $#items) {
        my @rest = @items;
        my ($first) = splice @rest, $i, 1;
        push @all, [$first, @$_] for orders(@rest);
    }
    return @all;
}

# Every order on its own URL of the variant: forward, backward, forward.
sub run_orders {
    my ($s, $front, $variant) = @_;
    my @answers;
    my $n = 0;
    for my $order (orders(@SENDERS)) {
        my $path = "/api/$variant/$front-order-" . ++$n . '-' . join('', map { substr $_, 0, 1 } @$order);
        push @answers, map { send_from($s, $front, $_, $path) } @$order, reverse(@$order), @$order;
    }
    return @answers;
}

# How many requests for /PREFIX the backend saw (its own port in the log).
sub backend_saw {
    my ($s, $prefix) = @_;
    open my $fh, '<', "$s->{root}/access_log" or return 0;
    return scalar grep { /^$s->{backend} GET \Q$prefix\E/ } <$fh>;
}

my $started = time;
my $ok = eval {
    note('apache2 ' . ((`$httpd -v 2>&1` // '') =~ m{Apache/(\S+)})[0]
         . ', mod_cache + mod_cache_disk, CacheQuickHandler On, backend through mod_proxy_http');
    my $with = start('with', 'PREFLIGHT');
    my $without = start('without');

    my %FRONT = (quick => 'CacheQuickHandler On', filter => 'CacheQuickHandler Off');
    for my $front (qw(quick filter)) {
        for my $variant (@VARIANTS) {
            my $what = "$FRONT{$front}, backend with $ABOUT{$variant}";
            my $t0 = time;
            my @got = run_orders($with, $front, $variant);
            my @bad = grep { my @w = problems($_, 1); $_->{why} = "@w" if @w; @w } @got;
            check(!@bad, "$what, module on: " . scalar(@got)
                         . ' responses to A, B, C and no Origin in 24 orders: each origin only its own'
                         . ' Access-Control-Allow-Origin, none for C or without Origin, one copy per origin',
                  join "\n", map { describe($_) . " -- $_->{why}" } @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
            my $hits = grep { cache_status($_) =~ /^HIT\b/ } @got;
            my $misses = grep { cache_status($_) =~ /^MISS\b/ } @got;
            my $backend = backend_saw($with, "/$variant/$front-");
            note(sprintf '%s, module on: %d hits, %d misses, the backend saw %d requests (%.1f s)',
                 $what, $hits, $misses, $backend, time - $t0);
            # 24 orders of 4 senders: 96 first requests, 192 that can be hits
            check($hits >= 192 && $hits + $misses == @got && $backend == $misses,
                  "$what, module on: the cache answered every repeated request"
                  . " (X-Cache: HIT), and the backend saw only the misses",
                  "hits $hits, misses $misses, responses " . scalar(@got) . ", backend $backend");

            my @bare = run_orders($without, $front, $variant);
            my %kind;
            for (@bare) {
                my @w = problems($_, 0);
                next unless @w;
                my $k = $_->{who} =~ /^[AB]$/ ? 'an allowed origin got another origin\'s'
                      : "$_->{who} got one";
                $kind{$k}++;
                $kind{examples} //= describe($_) . ' -- ' . "@w";
            }
            my $bare_hits = grep { cache_status($_) =~ /^HIT\b/ } @bare;
            note("$what, without the module: $bare_hits hits of " . scalar(@bare) . ' responses; '
                 . (%kind ? join(', ', map { "$kind{$_} times $_" } grep { $_ ne 'examples' } sort keys %kind)
                          : 'no response carried another origin\'s Access-Control-Allow-Origin'));
            note("  for example: $kind{examples}") if $kind{examples};
        }
    }

    # Revalidation: a stale entry (max-age=1) checked with If-None-Match, the
    # backend answering 304, the stored headers merged with the new ones.
    my @fronts = map { my $s = $_; map { [$s, $_] } qw(quick filter) } $with, $without;
    my %got;
    for (@fronts) {
        my ($s, $front) = @$_;
        $got{"$s->{name} $front"} = [map { send_from($s, $front, $_, "/api/short/$front") } @SENDERS];
    }
    sleep 2.2;
    for (@fronts) {
        my ($s, $front) = @$_;
        my $list = $got{"$s->{name} $front"};
        push @$list, map { send_from($s, $front, $_, "/api/short/$front") } reverse @SENDERS;
        push @$list, map { send_from($s, $front, $_, "/api/short/$front") } @SENDERS;
        my @statuses = map { cache_status($_) =~ /^(\w+)/ ? $1 : '-' } @$list;
        my $revalidated = grep { $_ eq 'REVALIDATE' } @statuses;
        my $not_modified = do {
            open my $fh, '<', "$s->{root}/access_log" or die $!;
            scalar grep { /^$s->{backend} GET \/short\/$front 304/ } <$fh>;
        };
        if ($s eq $with) {
            my @bad = grep { my @w = problems($_, 1); $_->{why} = "@w" if @w; @w } @$list;
            # The third round comes within a second of the revalidation on
            # a quick machine (HIT), or after the entry went stale again on
            # a slow one (REVALIDATE once more): either is httpd's to choose,
            # and each revalidation must have been a 304 from the backend.
            my $rounds_ok = "@statuses[0 .. 3]" eq 'MISS MISS MISS MISS'
                && "@statuses[4 .. 7]" eq 'REVALIDATE REVALIDATE REVALIDATE REVALIDATE'
                && 4 == grep { /^(HIT|REVALIDATE)$/ } @statuses[8 .. 11];
            check(!@bad && $rounds_ok && $not_modified == $revalidated,
                  "revalidation (max-age=1, ETag, 304 from the backend), $FRONT{$front}, module on:"
                  . ' each origin only its own Access-Control-Allow-Origin, none for C or without Origin,'
                  . ' no field twice',
                  "X-Cache: @statuses; backend 304s: $not_modified\n"
                  . join "\n", map { describe($_) . " -- $_->{why}" } @bad);
            note("revalidation, $FRONT{$front}, module on: X-Cache @statuses; backend 304s: $not_modified");
        }
        else {
            my @bad = grep { problems($_, 0) } @$list;
            note("revalidation, $FRONT{$front}, without the module: X-Cache @statuses; "
                 . scalar(@bad) . ' responses with another origin\'s or a refused origin\'s'
                 . ' Access-Control-Allow-Origin');
        }
    }

    # Preflights are not cached; the module answers them at the front.
    my $before = backend_saw($with, '/vary/preflight');
    my $pf_a = send_from($with, 'quick', 'A', '/api/vary/preflight', 'OPTIONS', ACRM => 'PUT');
    my $pf_c = send_from($with, 'quick', 'C', '/api/vary/preflight', 'OPTIONS', ACRM => 'PUT');
    my $pf_a2 = send_from($with, 'quick', 'A', '/api/vary/preflight', 'OPTIONS', ACRM => 'PUT');
    check($pf_a->{status} == 204 && $pf_a2->{status} == 204
             && !problems($pf_a, 0) && (fields_of($pf_a, 'ACAO'))[0] eq $ORIGIN{A}
             && $pf_c->{status} == 403 && !problems($pf_c, 0)
             && backend_saw($with, '/vary/preflight') == $before,
          'preflights at the front: 204 for A, 403 for C, answered by the module, none reaching the backend',
          join "\n", map { "$_->{status_line} " . describe($_) } $pf_a, $pf_c, $pf_a2);

    # The policy changes: B is removed and httpd restarts gracefully, while
    # the cache holds copies made for B under the old policy.
    for my $front (qw(quick filter)) {
        send_from($with, $front, $_, "/api/vary/$front-reload") for qw(A B);
    }
    write_conf($with, $ORIGIN{A});
    graceful_httpd($server{with});
    my $reloaded = 0;
    for (1 .. 100) {
        my $p = send_from($with, 'quick', 'B', '/api/vary/preflight-reload', 'OPTIONS', ACRM => 'PUT');
        $reloaded = 1, last if $p->{status} == 403;
        sleep 0.1;
    }
    check($reloaded, "after the graceful restart the policy refuses $ORIGIN{B}");
    my %after = map { my $f = $_; $f => { map { $_ => send_from($with, $f, $_, "/api/vary/$f-reload") } qw(A B) } }
                qw(quick filter);
    note("CacheQuickHandler On, the copy stored for B before the restart: "
         . describe($after{quick}{B}) . ' (replayed as stored: the module does not run on a quick-handler hit)');
    my ($fa, $fb) = @{ $after{filter} }{qw(A B)};
    check(cache_status($fb) =~ /^HIT\b/ && !problems($fb, 0) && !fields_of($fb, 'ACAO')
             && cache_status($fa) =~ /^HIT\b/ && !problems($fa, 1),
          'CacheQuickHandler Off after the restart: hits decided by the new policy'
          . ' (B gets no Access-Control-* from its stored copy, A keeps its own)',
          describe($fa) . "\n" . describe($fb));
    1;
};
if (!$ok) {
    check(0, 'the stage ran to its end', $@);
}
stop_httpd($_) for grep { defined } values %server;
%server = ();
note(sprintf 'cache: %.1f s', time - $started);
exit finish();
