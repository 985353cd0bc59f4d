use strict;
use warnings FATAL => 'all';

# Configuration errors, checked with "apache2 -t" on small throw-away
# configurations rather than through the test server: a bad directive must stop
# httpd at startup, which the running server cannot show.

use Apache::Test;
use Apache::TestUtil;
use File::Temp qw(tempdir);

my $httpd   = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
my $modules = '/usr/lib/apache2/modules';
my $so      = Apache::Test::vars('serverroot') . '/../.libs/mod_preflight.so';

# Each row: directive line(s) and the expected complaint about the LAST line,
# which is the one httpd must name. Rows run in turn in server config, in a
# <Directory> and in a <Location>, so every kind of section sees errors.
# item: the value the message must quote as '<item>' (a qr// when the module
# may name either of two items, undef when httpd writes the message itself).
# says: keyword(s) the message must contain, in any case.
# names: directives the message must name (default: the one on the last line).
my @errors = (
    # origins: parts a serialized origin never has
    (map { bad(PreflightAllowOrigin => @$_) }
        ['https://a.example.com/',    'path'],
        ['https://a.example.com/x',   'path'],
        ['https://a.example.com?q',   'query'],
        ['https://a.example.com#f',   'fragment'],
        ['https://u@a.example.com',   'userinfo'],
        ['https://u:p@a.example.com', 'userinfo'],
        ['https://ex@mple',           'userinfo'],
        ['a.example.com',             'scheme'],
        ['//a.example.com',           'scheme']),
    # a bad item is reported even when it follows good ones
    { lines => 'PreflightAllowOrigin https://ok.example.com a.example.com',
      item => 'a.example.com', says => 'scheme' },
    (map { bad(PreflightAllowOrigin => $_, 'keyword') } qw(any all self)),

    # "*" never shares a section with other origins
    { lines => 'PreflightAllowOrigin * https://a.example.com',
      item => '*', says => 'combined' },
    { lines => 'PreflightAllowOrigin https://a.example.com *',
      item => '*', says => 'combined' },
    { lines => ['PreflightAllowOrigin https://a.example.com',
                'PreflightAllowOrigin *'],
      item => '*', says => 'combined' },
    { lines => ['PreflightAllowOrigin *',
                'PreflightAllowOrigin https://a.example.com'],
      item => '*', says => 'combined' },

    # hosts, ports, wildcards
    (map { bad(PreflightAllowOrigin => @$_) }
        ['https://a..example.com',          'host'],
        ['https://a.example.com.',          'host'],
        ["https://\xc3\xa4pp.example.com",  'host'],
        ['https://a.example.com:0',         'port'],
        ['https://a.example.com:65536',     'port'],
        ['https://a.example.com:abc',       'port'],
        ['https://a.example.com:',          'port'],
        ['https://a.*.example.com',         'wildcard'],
        ['https://*example.com',            'wildcard'],
        ['https://*',                       'wildcard'],
        ['https://a.example.com,',          'spaces']),

    # methods: RFC 9110 tokens, separated by spaces
    (map { bad(PreflightAllowMethods => $_, 'method') } 'G(ET', 'X:Y', 'a"b'),
    { lines => 'PreflightAllowMethods GET, POST',
      item => 'GET,', says => 'spaces' },
    bad(PreflightAllowMethods => 'GET,POST', 'spaces'),
    { lines => 'PreflightAllowMethods GET +PUT',
      item => qr/'(?:GET|\+PUT)'/, says => '+ or -' },
    { lines => 'PreflightAllowMethods -DELETE PUT',
      item => qr/'(?:-DELETE|PUT)'/, says => '+ or -' },
    # repeated lines add up, so the mix is an error across lines too
    { lines => ['PreflightAllowMethods GET', 'PreflightAllowMethods +PUT'],
      item => qr/'(?:GET|\+PUT)'/, says => '+ or -' },

    # header names: tokens as well
    (map {
        my $directive = $_;
        ((map { bad($directive => $_, 'header name') } 'G(ET', 'X:Y', 'a"b'),
         bad($directive => 'X-A,', 'spaces'),
         bad($directive => 'X-A,X-B', 'spaces'),
         { lines => "$directive X-A +X-B",
           item => qr/'(?:X-A|\+X-B)'/, says => '+ or -' })
    } qw(PreflightAllowHeaders PreflightExposeHeaders)),

    # max-age: 0 to 86400 seconds
    (map { bad(PreflightMaxAge => $_, '86400') } qw(-1 86401 abc 10s)),
    # httpd refuses an empty argument itself, with the directive's usage text
    { lines => 'PreflightMaxAge ""',    item => undef,   says => '86400' },

    bad(PreflightEngine => 'maybe', 'On, Off or ReportOnly'),
    bad(PreflightSuccessStatus => '201', '200 or 204'),
    # PreflightExplain On|Off [NoPaths]
    bad(PreflightExplain => 'maybe', 'On or Off'),
    { lines => 'PreflightExplain On Everything', item => 'Everything',
      says => 'only option is NoPaths' },
    { lines => 'PreflightExplain Off NoPaths', item => undef,
      says => 'NoPaths goes with On' },
    # a plain flag: httpd's own message
    { lines => 'PreflightAllowCredentials yes', item => undef,
      says => 'must be On or Off' },

    # a wildcard over a public suffix (libpsl, Debian's list: ICANN and
    # private sections, explicit rules only) would let anyone who registers a
    # name under it in
    (map { bad(PreflightAllowOrigin => $_, 'public suffix') }
        'https://*.com', 'https://*.co.uk', 'https://*.github.io',
        'http://*.com:*', 'https://*.org:8443', 'https://*.CO.UK',
        'https://*.blogspot.com',       # private section
        'https://*.foo.ck',             # under the wildcard rule *.ck
        'https://*.kawasaki.jp'),
    { lines => 'PreflightAllowOrigin https://ok.example.com https://*.com',
      item => 'https://*.com', says => 'public suffix' },
    { lines => 'PreflightAllowOrigin +https://*.org',
      item => qr/'\+?https:\/\/\*\.org'/, says => 'public suffix' },
    { lines => ['PreflightAllowOrigin https://a.example.com',
                'PreflightAllowOrigin https://*.net'],
      item => 'https://*.net', says => 'public suffix' },

    # PreflightTenantLimit: server config and <VirtualHost> only; httpd
    # itself refuses it elsewhere
    { lines => 'PreflightTenantLimit credentials', ctx => 'directory',
      item => undef, says => 'not allowed',
      names => ['PreflightTenantLimit'] },
    { lines => 'PreflightTenantLimit credentials', ctx => 'location',
      item => undef, says => 'not allowed',
      names => ['PreflightTenantLimit'] },
    (map { { lines => "PreflightTenantLimit $_->[0]", ctx => 'server',
             item => $_->[1], says => [] } }
        ['cookies',                    'cookies'],
        ['credentials cookies',        'cookies'],
        ['max-age=abc',                'max-age=abc'],
        ['max-age=86401',              'max-age=86401'],
        ['max-age=-1',                 'max-age=-1'],
        ['max-age=',                   'max-age='],
        ['max-age',                    'max-age'],
        ['max-age=10s',                'max-age=10s'],
        ['none credentials',           qr/'(?:none|credentials)'/],
        ['credentials none',           qr/'(?:none|credentials)'/]),
    { lines => 'PreflightTenantLimit max-age=abc', ctx => 'vhost',
      item => 'max-age=abc', says => [] },

    # any origin with credentials is the classic CORS hole (Fetch forbids it)
    { lines => ['PreflightAllowOrigin *', 'PreflightAllowCredentials On'],
      item => undef, says => [],
      names => [qw(PreflightAllowOrigin PreflightAllowCredentials)] },
    { lines => ['PreflightAllowCredentials On', 'PreflightAllowOrigin *'],
      item => undef, says => [],
      names => [qw(PreflightAllowOrigin PreflightAllowCredentials)] },
);

# Each row: lines that must pass "apache2 -t". warns: text a warning line must
# name; quiet: text no line may name (the same check on a config that must
# not warn, so the warning check cannot pass by accident).
my @accepted = (
    { lines => 'PreflightMaxAge 0' },
    { lines => 'PreflightMaxAge 86400' },
    { lines => ['PreflightAllowOrigin http://app.example.com https://b.example.com',
                'PreflightAllowCredentials On'],
      warns => 'http://app.example.com', quiet => 'https://b.example.com' },
    { lines => ['PreflightAllowCredentials On',
                'PreflightAllowOrigin https://app.example.com'],
      quiet => 'https://app.example.com' },
    { lines => 'PreflightEngine ReportOnly' },
    # * never covers Authorization (README "Behaviour in detail", Methods)
    { lines => 'PreflightAllowHeaders *', warns => 'does not cover Authorization' },
    { lines => 'PreflightAllowHeaders X-A *', warns => 'add Authorization to allow it' },
    { lines => 'PreflightAllowHeaders * Authorization', quiet => 'does not cover Authorization' },
    { lines => ['PreflightAllowHeaders *', 'PreflightAllowHeaders authorization'],
      quiet => 'does not cover Authorization' },
    # wildcards whose parent is not a public suffix, and exact origins that are
    (map { { lines => "PreflightAllowOrigin $_" } }
        'https://*.example.com', 'https://*.example.co.uk', 'https://*.foo.github.io',
        'https://*.localhost', 'https://*.test', 'https://*.www.ck',
        'https://*.city.kawasaki.jp', 'https://*.example.com:*',
        'https://co.uk', 'https://com', 'https://github.io'),
    { lines => 'PreflightAllowOrigin +https://*.example.org' },
    # PreflightTenantLimit in server config and <VirtualHost>; lines add up
    { lines => 'PreflightTenantLimit credentials private-network any-origin passthrough max-age=600',
      ctx => 'server' },
    { lines => 'PreflightTenantLimit none', ctx => 'server' },
    { lines => 'PreflightTenantLimit max-age=0', ctx => 'server' },
    { lines => 'PreflightTenantLimit max-age=86400', ctx => 'server' },
    { lines => ['PreflightTenantLimit credentials', 'PreflightTenantLimit max-age=60'],
      ctx => 'server' },
    { lines => 'PreflightTenantLimit credentials any-origin', ctx => 'vhost' },
    { lines => 'PreflightTenantLimit none', ctx => 'vhost' },
    # "*" and credentials from different sections meet only in a merge, which
    # the module answers at run time (README "Behaviour in detail", * with
    # credentials across sections): not a configuration error.
    { lines => ['PreflightAllowOrigin *',
                '<Location /inner>', 'PreflightAllowCredentials On', '</Location>'] },
);

# Every directive, every origin form and both list editing styles.
my $full = <<'EOF';
PreflightEngine Off
PreflightAllowOrigin https://app.example.com https://app.example.com:443 http://localhost:8080 https://*.example.com https://*.example.org:* https://*.example.net:8443 https://app.example.edu:* null chrome-extension://abcdefghijklmnop HTTPS://UPPER.Example.COM
PreflightAllowOrigin https://second-line.example.com
PreflightAllowMethods GET POST PUT DELETE PATCH
PreflightAllowMethods PROPFIND
PreflightAllowHeaders Content-Type X-Requested-With Authorization
PreflightExposeHeaders X-Total-Count ETag
PreflightAllowCredentials Off
PreflightMaxAge 600
PreflightAllowPrivateNetwork Off
PreflightSuccessStatus 204
PreflightPassthrough Off
<Directory "@DIR@/docs">
    PreflightEngine On
    PreflightAllowOrigin *
    PreflightAllowMethods *
    PreflightAllowHeaders *
    PreflightExposeHeaders *
    PreflightMaxAge 0
    PreflightSuccessStatus 200
    PreflightPassthrough On
    PreflightAllowPrivateNetwork On
</Directory>
<Location /api>
    PreflightEngine On
    PreflightAllowOrigin https://app.example.com https://*.example.com:*
    PreflightAllowCredentials On
    PreflightAllowMethods +OPTIONS -DELETE
    PreflightAllowHeaders -Authorization +X-Token
    PreflightExposeHeaders +X-Request-Id
    PreflightMaxAge 86400
</Location>
EOF

my @contexts = (
    [server => undef, undef],
    [directory => '<Directory "@DIR@/docs">', '</Directory>'],
    [location => '<Location /cfg>', '</Location>'],
);
# A row with ctx => NAME runs there only (vhost: a <VirtualHost>); the others
# take the three contexts above in turn.
my %context = ((map { $_->[0] => $_ } @contexts),
               vhost => [vhost => '<VirtualHost 127.0.0.1:8529>', '</VirtualHost>']);
sub context_of {
    my ($row, $n) = @_;
    return $context{ $row->{ctx} } || die "unknown context $row->{ctx}\n" if $row->{ctx};
    return $contexts[$$n++ % @contexts];
}

my $tests = 2;                                  # the full configuration
for my $e (@errors) {
    $e->{names}  ||= [ (lines($e))[-1] =~ /^(\S+)/ ];
    $e->{says} = [ $e->{says} ] unless ref $e->{says};
    $tests += 2 + @{ $e->{names} } + (defined $e->{item}) + @{ $e->{says} };
}
for my $c (@accepted) {
    $tests += 2 + (defined $c->{warns}) + (defined $c->{quiet});
}

plan tests => $tests;

t_debug("module: $so") ;
t_debug("mod_preflight.so is missing: build it with make first") unless -f $so;

my $n = 0;
for my $e (@errors) {
    my $ctx = context_of($e, \$n);
    my @body = lines($e);
    my ($status, $out, $conf, $line) = check($ctx, @body);
    my $what = "$ctx->[0]: " . join(' / ', @body);
    ok t_cmp($status != 0 ? 'fails' : 'passes', 'fails', "$what: -t fails");
    ok t_cmp(error_line($out, $conf), $line, "$what: error on line $line");
    my $msg = error_message($out);
    for my $name (@{ $e->{names} }) {
        ok t_cmp($msg, qr/\b\Q$name\E\b/, "$what: message names $name");
    }
    if (defined $e->{item}) {
        my $item = ref $e->{item} ? $e->{item} : quoted($e->{item});
        ok t_cmp($msg, $item, "$what: message quotes the value");
    }
    for my $word (@{ $e->{says} }) {
        ok t_cmp($msg, qr/\Q$word\E/i, "$what: message says '$word'");
    }
}

for my $c (@accepted) {
    my $ctx = context_of($c, \$n);
    # a nested <Location> is not allowed inside a section
    $ctx = $contexts[0] if grep /^</, lines($c);
    my @body = lines($c);
    my ($status, $out) = check($ctx, @body);
    my $what = "$ctx->[0]: " . join(' / ', @body);
    ok t_cmp($status, 0, "$what: -t passes");
    ok t_cmp($out, qr/^Syntax OK$/m, "$what: Syntax OK");
    if (defined $c->{warns}) {
        my @hits = grep /\Q$c->{warns}\E/, split /\n/, $out;
        ok t_cmp(scalar @hits, 1, "$what: one warning names $c->{warns}");
    }
    if (defined $c->{quiet}) {
        my @hits = grep /\Q$c->{quiet}\E/, split /\n/, $out;
        ok t_cmp(scalar @hits, 0, "$what: no line names $c->{quiet}");
    }
}

{
    my ($status, $out) = check($contexts[0], split /\n/, $full);
    ok t_cmp($status, 0, 'full configuration: -t passes');
    ok t_cmp($out, qr/^Syntax OK$/m, 'full configuration: Syntax OK');
}

# '<item>', where bytes outside printable ASCII may be written as \xHH (a
# message must not carry raw non-ASCII or control bytes into a log).
sub quoted {
    my $item = shift;
    my $re = join '', map {
        my $c = $_;
        $c =~ /[\x20-\x7e]/ ? quotemeta $c
            : sprintf '(?:(?i:\\\\x%02x)|%s)', ord $c, quotemeta $c;
    } split //, $item;
    return qr/'$re'/;
}

# A one-line error whose message must quote the value given.
sub bad {
    my ($directive, $value, $says) = @_;
    return { lines => "$directive $value", item => $value, says => $says };
}

sub lines {
    my $e = shift;
    return ref $e->{lines} ? @{ $e->{lines} } : ($e->{lines});
}

# Writes a configuration with @body in the given context and runs
# "apache2 -t" on it. Returns the exit status, stdout and stderr together, the
# file name and the line number of the last line of @body.
sub check {
    my ($ctx, @body) = @_;
    my $dir = tempdir(CLEANUP => 1);
    my @conf = (
        qq{ServerRoot "$dir"},
        'ServerName 127.0.0.1',
        'Listen 127.0.0.1:8529',
        qq{PidFile "$dir/httpd.pid"},
        qq{ErrorLog "$dir/error_log"},
        qq{DefaultRuntimeDir "$dir"},
        "LoadModule mpm_event_module $modules/mod_mpm_event.so",
        "LoadModule authz_core_module $modules/mod_authz_core.so",
        qq{LoadModule preflight_module "$so"},
    );
    push @conf, $ctx->[1] if defined $ctx->[1];
    push @conf, @body;
    my $line = @conf;
    push @conf, $ctx->[2] if defined $ctx->[2];
    s/\@DIR\@/$dir/g for @conf;

    my $file = "$dir/httpd.conf";
    open my $fh, '>:raw', $file or die "$file: $!";
    print $fh map "$_\n", @conf;
    close $fh or die "$file: $!";

    my $out = qx{'$httpd' -t -f '$file' 2>&1};
    my $status = $? >> 8;
    t_debug("apache2 -t exit $status:\n$out");
    return ($status, $out, $file, $line);
}

sub error_line {
    my ($out, $file) = @_;
    return $out =~ /Syntax error on line (\d+) of \Q$file\E:/ ? $1 : 'none';
}

# The text httpd prints after "Syntax error on line N of FILE:".
sub error_message {
    my $out = shift;
    return $out =~ /Syntax error on line \d+ of [^\n]*:\n(.*)/s ? $1 : '';
}
