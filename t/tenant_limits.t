use strict;
use warnings FATAL => 'all';

# PreflightTenantLimit (README "PreflightTenantLimit", "Shared hosting"):
# what .htaccess files may not switch on. Its main-server form would limit
# every other test's .htaccess, so this file runs its own httpd (on
# 127.0.0.1 only, stopped by its pid file) with:
#   main server      PreflightTenantLimit credentials private-network any-origin
#                    PreflightTenantLimit passthrough max-age=600   (lines add up)
#   vhost :inherit   no PreflightTenantLimit: the main server's limits
#   vhost :none      PreflightTenantLimit none
#   vhost :own       PreflightTenantLimit max-age=60   (replaces the main's)
# All four serve the same document root, so one .htaccess is judged under
# each set of limits. htdocs/t/NAME/ are tenant directories (AllowOverride
# FileInfo, no policy of the host); htdocs/host/ has the host's own policy
# with credentials, max-age 3600 and private network, which the limits never
# touch, and tenant .htaccess files below it.
# Configuration errors of the directive itself are tested with the other
# configuration errors (README "Errors in the configuration").

use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);
use HTTP::Request;
use JSON::PP ();
use LWP::UserAgent;
use Time::HiRes qw(sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(%H);
use PreflightServer qw(free_port start_httpd stop_httpd);

my $httpd   = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
my $modules = '/usr/lib/apache2/modules';
my $so      = Apache::Test::vars('serverroot') . '/../.libs/mod_preflight.so';

my $A = 'https://a.example.com';

# ---- the server's files
my $dir = tempdir('pf-tenant-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $dir;
my %port = map { $_ => free_port } qw(main inherit none own);

my $ON = "PreflightEngine On\nPreflightAllowOrigin $A\n";
my %htaccess = (
    # within the limits
    't/within'   => "PreflightEngine On\nPreflightAllowOrigin $A https://*.tenant.example\n"
                  . "PreflightAllowMethods GET PUT\nPreflightMaxAge 600\n"
                  . "PreflightAllowCredentials Off\nPreflightAllowPrivateNetwork Off\n"
                  . "PreflightPassthrough Off\n",
    't/maxage0'  => "${ON}PreflightMaxAge 0\n",
    # beyond them
    't/cred'     => "${ON}PreflightAllowCredentials On\n",
    't/pna'      => "${ON}PreflightAllowPrivateNetwork On\n",
    't/any'      => "PreflightEngine On\nPreflightAllowOrigin *\n",
    't/pass'     => "${ON}PreflightPassthrough On\n",
    't/maxage'   => "${ON}PreflightMaxAge 601\n",
    't/maxagebig'=> "${ON}PreflightMaxAge 86400\n",
    't/credlast' => "${ON}PreflightAllowCredentials Off\nPreflightAllowCredentials On\n",
    't/limit'    => "${ON}PreflightTenantLimit none\n",
    't/spy'      => "SetHandler preflight-explain\n",
    # below the host's own policy
    'host/sub'   => "PreflightAllowMethods GET PUT\n",
    'host/cred'  => "PreflightAllowCredentials On\n",
    'host/age'   => "PreflightMaxAge 3600\n",
    'host/off'   => "PreflightAllowCredentials Off\nPreflightMaxAge 600\n",
    # below the host's "*": an edit of the inherited list is not a tenant's "*"
    'hoststar/minus'   => "PreflightAllowOrigin -https://x.example.com\n",
    'hoststar/methods' => "PreflightAllowMethods GET PUT\n",
);
for my $d ('plain', 'host', 'hoststar', keys %htaccess) {
    mkpath("$dir/htdocs/$d");
    write_file("$dir/htdocs/$d/x.txt", "$d\n");
}
write_file("$dir/htdocs/$_/.htaccess", $htaccess{$_}) for keys %htaccess;

my @conf = (
    qq{ServerRoot "$dir"},
    'ServerName 127.0.0.1',
    (map { "Listen 127.0.0.1:$port{$_}" } qw(main inherit none own)),
    qq{PidFile "$dir/httpd.pid"},
    qq{ErrorLog "$dir/error_log"},
    'LogLevel info preflight:debug',
    qq{DefaultRuntimeDir "$dir"},
    'User nobody',
    'Group nogroup',
    "LoadModule mpm_event_module $modules/mod_mpm_event.so",
    "LoadModule authz_core_module $modules/mod_authz_core.so",
    "LoadModule authz_host_module $modules/mod_authz_host.so",
    "LoadModule alias_module $modules/mod_alias.so",
    "LoadModule mime_module $modules/mod_mime.so",
    qq{LoadModule preflight_module "$so"},
    'TypesConfig /etc/mime.types',
    'LogFormat "%{local}p \"%r\" %>s pf=%{PREFLIGHT}e" pf',
    qq{CustomLog "$dir/access_log" pf},
    qq{DocumentRoot "$dir/htdocs"},
    '<Directory />',
    '    AllowOverride None',
    '    Require all granted',
    '</Directory>',
    'PreflightTenantLimit credentials private-network any-origin',
    'PreflightTenantLimit passthrough max-age=600',
    qq{<Directory "$dir/htdocs/t">},
    '    AllowOverride FileInfo',
    '</Directory>',
    qq{<Directory "$dir/htdocs/host">},
    '    AllowOverride FileInfo',
    '    PreflightEngine On',
    "    PreflightAllowOrigin $A",
    '    PreflightAllowCredentials On',
    '    PreflightMaxAge 3600',
    '    PreflightAllowPrivateNetwork On',
    '</Directory>',
    qq{<Directory "$dir/htdocs/hoststar">},
    '    AllowOverride FileInfo',
    '    PreflightEngine On',
    '    PreflightAllowOrigin *',
    '</Directory>',
    qq{Alias /hostloc/ "$dir/htdocs/plain/"},
    '<Location /hostloc/>',
    '    PreflightEngine On',
    '    PreflightAllowOrigin *',
    '    PreflightPassthrough On',
    '</Location>',
    '<Location /explain>',
    '    SetHandler preflight-explain',
    '    PreflightExplain On',
    '    Require ip 127.0.0.1',
    '</Location>',
    "<VirtualHost 127.0.0.1:$port{inherit}>",
    '</VirtualHost>',
    "<VirtualHost 127.0.0.1:$port{none}>",
    '    PreflightTenantLimit none',
    '</VirtualHost>',
    "<VirtualHost 127.0.0.1:$port{own}>",
    '    PreflightTenantLimit max-age=60',
    '</VirtualHost>',
);
my $CONF = "$dir/httpd.conf";
write_file($CONF, join '', map "$_\n", @conf);
sub line_of {
    my $text = shift;
    my ($i) = grep { $conf[$_] =~ /^\s*\Q$text\E$/ } 0 .. $#conf;
    die "no line '$text'\n" unless defined $i;
    return "$CONF:" . ($i + 1);
}
my $LIMIT_A = line_of('PreflightTenantLimit credentials private-network any-origin');
my $LIMIT_B = line_of('PreflightTenantLimit passthrough max-age=600');
my $LIMIT_NONE = line_of('PreflightTenantLimit none');
my $LIMIT_OWN = line_of('PreflightTenantLimit max-age=60');

# ---- cases
# on: main (default), inherit, none or own; path; req: request headers
# (OPTIONS when ACRM is there, else GET); status; hdr { h => value };
# absent [h..]; log: regexes one error_log line must match (refusals name
# the directive, the value, PreflightTenantLimit and the line that set it)
my %pre = (Origin => $A, ACRM => 'GET');
sub refusal {
    my ($dirname, $directive, $value, $where) = @_;
    return [qr{\Q$dir/htdocs/$dirname/.htaccess\E}, qr/\b\Q$directive\E\b/,
            qr/(?<![\w=-])\Q$value\E(?![\w-])/, qr/PreflightTenantLimit/,
            qr/\Q$where\E\b/];
}
my @cases = (
    # within the limits
    { name => 'within the limits: preflight', path => '/t/within/x.txt',
      req => [Origin => $A, ACRM => 'PUT'], status => 204,
      hdr => { ACAO => $A, ACMA => '600' }, absent => [qw(ACAC ACAPN)] },
    { name => 'within the limits: wildcard origin pattern', path => '/t/within/x.txt',
      req => [Origin => 'https://x.tenant.example', ACRM => 'GET'], status => 204,
      hdr => { ACAO => 'https://x.tenant.example' } },
    { name => 'within the limits: actual', path => '/t/within/x.txt',
      req => [Origin => $A], status => 200, hdr => { ACAO => $A }, absent => ['ACAC'] },
    { name => 'max-age 0', path => '/t/maxage0/x.txt',
      req => [Origin => $A, ACRM => 'GET'], status => 204, hdr => { ACMA => '0' } },

    # beyond them: 500, and the reason in the error log
    { name => 'credentials On: preflight', path => '/t/cred/x.txt', req => [%pre],
      status => 500, absent => ['ACAO'],
      log => refusal('t/cred', 'PreflightAllowCredentials', 'On', $LIMIT_A) },
    { name => 'credentials On: actual', path => '/t/cred/x.txt', req => [Origin => $A],
      status => 500, absent => ['ACAO'],
      log => refusal('t/cred', 'PreflightAllowCredentials', 'On', $LIMIT_A) },
    { name => 'credentials On: without Origin', path => '/t/cred/x.txt', req => [],
      status => 500 },
    { name => 'private network On', path => '/t/pna/x.txt',
      req => [%pre, ACRPN => 'true'], status => 500, absent => ['ACAPN'],
      log => refusal('t/pna', 'PreflightAllowPrivateNetwork', 'On', $LIMIT_A) },
    { name => 'origin *', path => '/t/any/x.txt', req => [Origin => $A],
      status => 500, absent => ['ACAO'],
      log => refusal('t/any', 'PreflightAllowOrigin', '*', $LIMIT_A) },
    { name => 'passthrough On', path => '/t/pass/x.txt', req => [%pre],
      status => 500, absent => ['ACAO'],
      log => refusal('t/pass', 'PreflightPassthrough', 'On', $LIMIT_B) },
    { name => 'max-age above the cap', path => '/t/maxage/x.txt', req => [%pre],
      status => 500, absent => [qw(ACAO ACMA)],
      log => refusal('t/maxage', 'PreflightMaxAge', '601', $LIMIT_B) },
    { name => 'max-age 86400', path => '/t/maxagebig/x.txt', req => [Origin => $A],
      status => 500,
      log => refusal('t/maxagebig', 'PreflightMaxAge', '86400', $LIMIT_B) },
    { name => 'credentials Off, then On', path => '/t/credlast/x.txt', req => [%pre],
      status => 500,
      log => refusal('t/credlast', 'PreflightAllowCredentials', 'On', $LIMIT_A) },
    { name => 'PreflightTenantLimit in .htaccess', path => '/t/limit/x.txt', req => [%pre],
      status => 500,
      log => [qr{\Q$dir/htdocs/t/limit/.htaccess\E}, qr/PreflightTenantLimit not allowed here/] },

    # the explain handler named from .htaccess: as if it did not exist, so
    # neither the host's policy nor where its limits are set can be read
    # (README "Shared hosting")
    { name => 'SetHandler preflight-explain in .htaccess',
      path => '/t/spy/x.txt?uri=/host/x.txt&origin=https://x.example.com',
      req => [], status => 404,
      log => [qr{explain handler not enabled for /t/spy/x\.txt}, qr/PreflightExplain On/] },

    # the host's own configuration is never limited
    { name => 'host Directory: allowed preflight', path => '/host/x.txt',
      req => [Origin => $A, ACRM => 'GET', ACRPN => 'true'], status => 204,
      hdr => { ACAO => $A, ACAC => 'true', ACMA => '3600', ACAPN => 'true' } },
    { name => 'host Directory: actual', path => '/host/x.txt', req => [Origin => $A],
      status => 200, hdr => { ACAO => $A, ACAC => 'true' } },
    { name => 'host Location: origin * and passthrough', path => '/hostloc/x.txt',
      req => [Origin => $A, ACRM => 'GET'], status => 200, hdr => { ACAO => '*' } },
    { name => 'tenant below the host inherits credentials and max-age',
      path => '/host/sub/x.txt', req => [Origin => $A, ACRM => 'PUT'], status => 204,
      hdr => { ACAO => $A, ACAC => 'true', ACMA => '3600', ACAM => 'GET, PUT' } },
    { name => 'tenant below the host repeats credentials On', path => '/host/cred/x.txt',
      req => [%pre], status => 500,
      log => refusal('host/cred', 'PreflightAllowCredentials', 'On', $LIMIT_A) },
    { name => 'tenant below the host repeats max-age 3600', path => '/host/age/x.txt',
      req => [Origin => $A], status => 500,
      log => refusal('host/age', 'PreflightMaxAge', '3600', $LIMIT_B) },
    { name => 'tenant below the host switches credentials off', path => '/host/off/x.txt',
      req => [Origin => $A, ACRM => 'GET'], status => 204,
      hdr => { ACAO => $A, ACMA => '600' }, absent => ['ACAC'] },

    { name => 'tenant below the host\'s *: an edit of it', path => '/hoststar/minus/x.txt',
      req => [Origin => $A], status => 200, hdr => { ACAO => $A } },
    { name => 'tenant below the host\'s *: the edit applies', path => '/hoststar/minus/x.txt',
      req => [Origin => 'https://x.example.com'], status => 200, absent => ['ACAO'] },
    { name => 'tenant below the host\'s *: another directive', path => '/hoststar/methods/x.txt',
      req => [Origin => $A, ACRM => 'PUT'], status => 204,
      hdr => { ACAO => '*', ACAM => 'GET, PUT' } },

    # a virtual host without the directive inherits the main server's limits
    { name => 'inherited limits: credentials On', on => 'inherit',
      path => '/t/cred/x.txt', req => [%pre], status => 500,
      log => refusal('t/cred', 'PreflightAllowCredentials', 'On', $LIMIT_A) },
    { name => 'inherited limits: max-age above the cap', on => 'inherit',
      path => '/t/maxage/x.txt', req => [%pre], status => 500,
      log => refusal('t/maxage', 'PreflightMaxAge', '601', $LIMIT_B) },
    { name => 'inherited limits: within', on => 'inherit',
      path => '/t/within/x.txt', req => [%pre], status => 204, hdr => { ACAO => $A } },

    # none: nothing limited
    { name => 'none: credentials On', on => 'none', path => '/t/cred/x.txt',
      req => [%pre], status => 204, hdr => { ACAO => $A, ACAC => 'true' } },
    { name => 'none: origin *', on => 'none', path => '/t/any/x.txt',
      req => [Origin => $A], status => 200, hdr => { ACAO => '*' } },
    { name => 'none: max-age 601', on => 'none', path => '/t/maxage/x.txt',
      req => [%pre], status => 204, hdr => { ACMA => '601' } },
    { name => 'none: passthrough On', on => 'none', path => '/t/pass/x.txt',
      req => [Origin => $A, ACRM => 'GET'], status => 200, hdr => { ACAO => $A } },

    # a vhost's own limits replace the main server's
    { name => 'own limits: credentials On now allowed', on => 'own',
      path => '/t/cred/x.txt', req => [%pre], status => 204,
      hdr => { ACAO => $A, ACAC => 'true' } },
    { name => 'own limits: max-age 600 above 60', on => 'own',
      path => '/t/within/x.txt', req => [%pre], status => 500,
      log => refusal('t/within', 'PreflightMaxAge', '600', $LIMIT_OWN) },
    { name => 'own limits: max-age 0', on => 'own',
      path => '/t/maxage0/x.txt', req => [Origin => $A, ACRM => 'GET'], status => 204,
      hdr => { ACMA => '0' } },
);

# What the explain handler shows of the limits, per server.
my @explain = (
    { name => 'explain, main server', on => 'main',
      value => [qw(credentials private-network any-origin passthrough max-age=600)],
      set_at => [$LIMIT_A, $LIMIT_B] },
    { name => 'explain, vhost inheriting', on => 'inherit',
      value => [qw(credentials private-network any-origin passthrough max-age=600)],
      set_at => [$LIMIT_A, $LIMIT_B] },
    { name => 'explain, vhost with none', on => 'none',
      value => ['any', [], ['none']], set_at => [$LIMIT_NONE] },
    { name => 'explain, vhost with its own', on => 'own',
      value => ['max-age=60'], set_at => [$LIMIT_OWN] },
);

my $tests = 0;
for my $c (@cases) {
    $tests += 1 + keys(%{ $c->{hdr} || {} }) + @{ $c->{absent} || [] } + ($c->{log} ? 1 : 0);
}
$tests += 2 * @explain + 2;
plan tests => $tests + 1;

my $server;
my $started = start_server();
ok t_cmp($started, 'started', 'private httpd started');

my $ua = LWP::UserAgent->new(timeout => 30, max_redirect => 0);
for my $c (@cases) {
    my %req = @{ $c->{req} };
    my @h = map { ($H{$_} // $_) => $req{$_} } sort keys %req;
    my $method = exists $req{ACRM} ? 'OPTIONS' : 'GET';
    my $on = $c->{on} // 'main';
    my $off = -s "$dir/error_log" // 0;
    my $r = $started eq 'started'
        ? $ua->request(HTTP::Request->new($method, "http://127.0.0.1:$port{$on}$c->{path}", \@h))
        : undef;
    my $n = "$c->{name} ($on)";
    ok t_cmp($r ? $r->code : 'no server', $c->{status}, "$n: status");
    for my $h (sort keys %{ $c->{hdr} || {} }) {
        ok t_cmp($r ? join(' | ', $r->headers->header($H{$h})) : 'no server',
                 $c->{hdr}{$h}, "$n: $H{$h}");
    }
    for my $h (@{ $c->{absent} || [] }) {
        ok t_cmp($r ? join(' | ', $r->headers->header($H{$h})) : 'no server', '', "$n: no $H{$h}");
    }
    if ($c->{log}) {
        ok t_cmp(log_line($off, $c->{log}), 'found', "$n: error_log line: @{ $c->{log} }");
    }
}

for my $e (@explain) {
    my $j = explain($e->{on}, 'uri=/plain/x.txt&origin=' . $A);
    my $p = $j && $j->{policy} && $j->{policy}{PreflightTenantLimit} || {};
    my $got = JSON::PP->new->canonical->encode($p->{value} // 'missing');
    my $v = $e->{value};
    if (ref $v eq 'ARRAY' && @$v && $v->[0] eq 'any') {
        my @alt = map { JSON::PP->new->canonical->encode($_) } @$v[1 .. $#$v];
        ok t_cmp((grep { $_ eq $got } @alt) ? 'one of ' . join(' ', @alt) : $got,
                 'one of ' . join(' ', @alt), "$e->{name}: PreflightTenantLimit value");
    }
    else {
        ok t_cmp($got, JSON::PP->new->canonical->encode($v), "$e->{name}: PreflightTenantLimit value");
    }
    ok t_cmp(join(', ', map { "$_->{file}:$_->{line}" } @{ $p->{set_at} || [] }),
             join(', ', @{ $e->{set_at} }), "$e->{name}: PreflightTenantLimit set_at");
}
{
    # an .htaccess beyond the limits: the lookup ends in 500, no policy shown
    my $j = explain('main', 'uri=/t/cred/x.txt&origin=' . $A) || {};
    ok t_cmp(($j->{lookup} || {})->{status} // '(none)', 500, 'explain, refused .htaccess: lookup.status');
    ok t_cmp(join(' ', sort grep { /^(?:policy|decision|headers)$/ } keys %$j), '',
             'explain, refused .htaccess: no policy shown');
}

stop_httpd($server) if $server;
undef $server;

# ---- helpers

sub mkpath {
    my $path = shift;
    my $so_far = '';
    for (split m{/}, $path) {
        $so_far .= "$_/";
        next if -d $so_far;
        mkdir $so_far or die "mkdir $so_far: $!";
        chmod 0755, $so_far;
    }
}

sub write_file {
    my ($file, $text) = @_;
    open my $fh, '>', $file or die "$file: $!";
    print $fh $text;
    close $fh or die "$file: $!";
    chmod 0644, $file;
}

# 'started', or why not (with the error log's tail).
sub start_server {
    $server = eval {
        start_httpd(httpd => $httpd, conf => $CONF, root => $dir,
                    pidfile => "$dir/httpd.pid", port => $port{main});
    };
    return 'started' if $server;
    t_debug($@);
    return "not started: $@";
}

# A failed case must not leave the server behind.
END { stop_httpd($server) if $server }

# 'found' when one error_log line since $off matches every regex.
sub log_line {
    my ($off, $res) = @_;
    my $text = '';
    for (1 .. 20) {
        open my $fh, '<', "$dir/error_log" or last;
        seek $fh, $off, 0;
        local $/;
        $text = <$fh> // '';
        for my $line (split /\n/, $text) {
            return 'found' unless grep { $line !~ $_ } @$res;
        }
        sleep 0.05;
    }
    return "not in: $text";
}

sub explain {
    my ($on, $q) = @_;
    return undef unless $started eq 'started';
    my $r = $ua->get("http://127.0.0.1:$port{$on}/explain?$q");
    t_debug('explain: ' . $r->code . ' ' . $r->content);
    return eval { JSON::PP->new->decode($r->content) };
}
