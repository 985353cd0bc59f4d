#!/usr/bin/perl
# t/migrate/run.pl: preflight-migrate against recipes as people publish them
# (t/migrate/corpus/) and synthetic ones (t/migrate/synthetic/), README
# "Migrating from a recipe".
#
# Each recipe is a directory NNN-slug/ holding the recipe (.htaccess or
# site.conf, its provenance in a "# Source:" line) and a file "expect":
#   load htaccess|server [vhost|top]
#                              how the dynamic check loads it: as .htaccess
#                              under AllowOverride All, or included inside a
#                              VirtualHost (vhost) or at the top level (top,
#                              its own <VirtualHost> moved to the test's
#                              port); without the third word, top when the
#                              file has a <VirtualHost>
#   finding ID FILE:LINE       one per expected finding
#   admits ORIGIN              an origin the recipe admits that a careful
#                              author would not
#   untranslated FILE:LINE
#
# For each recipe:
#   static   the tool's findings and untranslated lines are exactly the
#            expected ones, its exit status follows the highest severity,
#            its JSON has the issue's shape and each proposal starts with
#            PreflightEngine ReportOnly;
#   dynamic  two private httpds (t/lib/PreflightServer.pm), one with the
#            recipe, one with the proposal switched to PreflightEngine On
#            (mod_preflight from .libs/), answer the same request matrix:
#            origins the proposal lists, what the regex admits, near misses
#            and look-alikes, null; preflights with allowed and refused
#            methods and headers; plain OPTIONS; a 404; a 401. Each answer
#            is read as a browser would (Fetch's CORS check). Every
#            difference between the two must be explained by a finding on
#            that recipe (%EXPLAINS below); an unexplained one fails. Each
#            "admits" origin and each look-alike the tool names must be
#            admitted by the recipe's httpd and refused by the proposal's.
# Then bad input (binary files, unterminated sections, 1 MB lines, include
# loops, unreadable files, symlink loops) and the stock Debian
# /etc/apache2, which has nothing to migrate.
#
#   perl t/migrate/run.pl [--static] [--only=REGEX]
#
# Prints "ok N - ..." / "not ok N - ..." lines, the counts by finding id,
# and last "N passed, M failed"; exits non-zero on any failure.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";
use PreflightReport qw(check finish note);
use Cwd qw(abs_path);
use Digest::SHA qw(sha1_base64);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use JSON::PP;
use POSIX qw(WEXITSTATUS);

use PreflightServer qw(free_port start_httpd stop_httpd spew);
use PreflightTest qw(raw_request raw_exchange parse_response fields_of);

my $ROOT = abs_path("$FindBin::Bin/../..");
my $TOOL = "$ROOT/build/preflight-migrate";
my $SO = "$ROOT/.libs/mod_preflight.so";
my $HTTPD = $ENV{HTTPD} // '/usr/sbin/apache2';
my $MODDIR = '/usr/lib/apache2/modules';

my ($static_only, $only) = (0, undef);
for (@ARGV) {
    if ($_ eq '--static') { $static_only = 1 }
    elsif (/^--only=(.*)$/) { $only = qr/$1/ }
    else { die "usage: perl t/migrate/run.pl [--static] [--only=REGEX]\n" }
}


my @servers;
END { stop_httpd($_, timeout => 5, quiet => 1) for @servers }

# What explains each kind of difference between the recipe's answer and the
# proposal's, as a browser reads them. A difference is explained when the
# recipe has one of these findings (README "Migrating from a recipe").
my @BROADER = qw(any-origin-reflected credentials-any-origin regex-unanchored
                 regex-unescaped-dot regex-admits-lookalike null-origin
                 public-suffix-wildcard);
my %EXPLAINS = (
    # an origin the recipe lets read and the proposal does not, that the
    # proposal does not list either
    'readable-recipe-only'   => [@BROADER],
    'preflight-recipe-only'  => [@BROADER, 'star-headers-authorization'],
    # the proposal answers where the recipe did not
    'readable-proposal-only' => [qw(not-on-errors duplicate-header-risk not-translated)],
    'preflight-proposal-only'=> [qw(not-on-errors preflight-needs-auth duplicate-header-risk
                                    not-translated)],
    # an origin the proposal itself lists, refused by it: never explained
    'listed-origin-refused'  => [],
    'credentials'            => [qw(credentials-any-origin not-on-errors)],
    'expose'                 => [qw(not-on-errors)],
    'max-age'                => [qw(not-on-errors)],
    # README "Behaviour in detail": every configuration but
    # PreflightAllowOrigin * without credentials adds Vary: Origin to every
    # response in scope. Where the recipe's answers are the same for every
    # Origin (measured over the matrix: status and every Access-Control-*
    # field), nothing is missing in the recipe and that Vary is the
    # module's own.
    'vary-proposal-only'     => [qw(vary-missing vary-overwritten not-on-errors),
                                 '(recipe answers the same to every Origin)'],
    # README "Behaviour in detail": PreflightAllowOrigin * without
    # credentials sends no Vary: Origin (nothing depends on the origin)
    'vary-recipe-only'       => ['(proposal PreflightAllowOrigin *)'],
    'status'                 => [qw(options-hijacked auth-bypass)],
    'allow'                  => [qw(options-hijacked auth-bypass)],
);

my %count = (recipes => 0, corpus => 0, synthetic => 0, verified => 0,
             untranslated => 0, refused => 0);
my %by_id;

sub slurp {
    my $f = shift;
    open my $fh, '<', $f or return undef;
    local $/;
    return scalar <$fh>;
}


sub read_expect {
    my $dir = shift;
    my %e = (findings => [], admits => [], untranslated => []);
    for (split /\n/, slurp("$dir/expect") // '') {
        s/\s+$//;
        next if /^\s*(#|$)/;
        if (/^load\s+(htaccess|server)(?:\s+(vhost|top))?$/) { $e{load} = $1; $e{where} = $2 }
        elsif (/^finding\s+(\S+)\s+(\S+:\d+)$/) { push @{ $e{findings} }, "$1 $2" }
        elsif (/^admits\s+(\S+)$/) { push @{ $e{admits} }, $1 }
        elsif (/^untranslated\s+(\S+:\d+)$/) { push @{ $e{untranslated} }, $1 }
        else { $e{bad} = $_ }
    }
    return \%e;
}

# The tool's answer: (exit status, JSON document or undef, stderr).
sub tool {
    my ($dir, @args) = @_;
    my $err = "$dir/.migrate.stderr";
    my $pid = open(my $out, '-|') // die "fork: $!\n";
    if (!$pid) {
        chdir $dir or POSIX::_exit(126);
        open STDERR, '>', $err or POSIX::_exit(126);
        exec $TOOL, @args or POSIX::_exit(127);
    }
    local $/;
    my $text = <$out> // '';
    close $out;
    my $rc = $? >> 8;
    my $stderr = slurp($err) // '';
    unlink $err;
    return ($rc, $text, $stderr);
}

sub set_diff {
    my ($want, $got) = @_;
    my %w = map { $_ => 1 } @$want;
    my %g = map { $_ => 1 } @$got;
    return ([grep { !$g{$_} } sort keys %w], [grep { !$w{$_} } sort keys %g]);
}

sub base { my $f = shift; $f =~ s{.*/}{}; $f }

# ---- the static check

sub static_check {
    my ($dir, $name, $e, $file) = @_;
    my ($rc, $text, $stderr) = tool($dir, '--json', $file);
    my $doc = eval { decode_json($text) };
    check($doc && ref $doc->{recipes} eq 'ARRAY' && defined $doc->{files},
       "$name: --json is one document with files and recipes", $@, $stderr)
        or return undef;
    my (@got, @untr, $high, $shape);
    $shape = 1;
    for my $r (@{ $doc->{recipes} }) {
        $shape &&= defined $r->{$_} for qw(file line scope proposal findings untranslated);
        for my $f (@{ $r->{findings} }) {
            push @got, "$f->{id} " . base($f->{file}) . ":$f->{line}";
            $shape &&= defined $f->{$_} for qw(id line message);
            $high = 1 if $f->{severity} eq 'high';
        }
        push @untr, map { base($_->{file}) . ":$_->{line}" } @{ $r->{untranslated} };
        my @p = @{ $r->{proposal} };
        shift @p if $r->{scope_line};
        $shape &&= !@p || $p[0] =~ /^\s*PreflightEngine ReportOnly$/;
    }
    check($shape, "$name: each recipe has file, line, scope, proposal, findings, untranslated; "
       . "each proposal starts with PreflightEngine ReportOnly");
    my ($missing, $extra) = set_diff($e->{findings}, \@got);
    check(!@$missing && !@$extra, "$name: findings are the expected ones (" . scalar(@got) . ")",
       (map { "expected, not found: finding $_" } @$missing),
       (map { "found, not expected: finding $_" } @$extra));
    ($missing, $extra) = set_diff($e->{untranslated}, \@untr);
    check(!@$missing && !@$extra, "$name: untranslated lines are the expected ones (" . scalar(@untr) . ")",
       (map { "expected, not found: untranslated $_" } @$missing),
       (map { "found, not expected: untranslated $_" } @$extra));
    check($rc == ($high ? 1 : 0), "$name: exit status $rc (" . ($high ? 'a' : 'no')
       . " high-severity finding)", $stderr);
    $by_id{ (split / /)[0] }++ for @got;
    $count{untranslated} += @untr;
    return $doc;
}

# ---- the dynamic check

# The modules of t/migrate/corpus/check-loads.sh, which every corpus recipe
# loads with, and allowmethods.
my @MODULES = qw(mpm_event authz_core authz_host authz_user authn_core authn_file
                 auth_basic access_compat alias actions dir autoindex mime headers
                 setenvif rewrite env proxy proxy_http dav dav_fs allowmethods);

sub module_lines {
    my $with_preflight = shift;
    my $s = '';
    for my $m (@MODULES) {
        $s .= "LoadModule ${m}_module $MODDIR/mod_$m.so\n" if -f "$MODDIR/mod_$m.so";
    }
    $s .= "LoadModule preflight_module $SO\n" if $with_preflight;
    return $s;
}

# Where the recipe applies: the path of its first <Location> (or of a
# <LocationMatch> on a literal path), or the root; and the extension of the
# probe files, one its <Files>/<FilesMatch> takes (txt when it has none).
our $EXT = 'txt';
my @EXTS = qw(txt ttf woff woff2 otf eot svg png jpg gif ico webp css js json html);
sub probe_prefix {
    my $doc = shift;
    my $prefix;
    $EXT = 'txt';
    for my $r (@{ $doc->{recipes} }) {
        if (!defined $prefix && $r->{scope} =~ /<Location\s+"?(\/[^">\s]*)"?>/i) {
            $prefix = $1;
        }
        if (!defined $prefix && $r->{scope} =~ m{<LocationMatch\s+"?\^(/[\w/-]*)"?>}i) {
            $prefix = $1;
        }
        if ($r->{scope} =~ /<FilesMatch\s+"?([^">]+)"?>/i) {
            my $re = $1;
            ($EXT) = ((grep { "probe.$_" =~ /$re/i } @EXTS), 'txt');
        }
        elsif ($r->{scope} =~ /<Files\s+"?\*\.(\w+)"?>/i) {
            $EXT = $1;
        }
    }
    $prefix //= '/';
    return $prefix =~ m{/$} ? $prefix : "$prefix/";
}

# The recipe file with the proposal in place of the recipe: its lines
# commented out, each proposal's body (switched On) after its section's
# opening line, or at the top.
sub proposal_text {
    my ($text, $doc, $file) = @_;
    my @lines = split /\n/, $text, -1;
    my (%drop, %after);
    for my $r (@{ $doc->{recipes} }) {
        next unless base($r->{file}) eq $file;
        for my $g (@{ $r->{remove} || [] }) {
            next unless base($g->{file}) eq $file;
            $drop{$_} = 1 for $g->{first} .. $g->{last};
        }
        my @p = @{ $r->{proposal} };
        next unless @p;
        if ($r->{scope_line}) { shift @p; pop @p }
        s/^(\s*)PreflightEngine ReportOnly$/$1PreflightEngine On/ for @p;
        push @{ $after{ $r->{scope_line} || 0 } }, @p;
    }
    my @out = @{ $after{0} || [] };
    for my $i (1 .. @lines) {
        my $l = $lines[$i - 1];
        push @out, $drop{$i} ? "# (replaced by the proposal) $l" : $l;
        push @out, @{ $after{$i} } if $after{$i};
    }
    return join "\n", @out;
}

# Paths of the recipe's own machine made local: every <Directory> and
# DocumentRoot points at the test's document root, every <VirtualHost> at
# the test's port. Line numbers stay as they are.
sub localize {
    my ($text, $docroot, $port) = @_;
    $text =~ s{^(\s*)<Directory\s+[^>]*>}{$1<Directory "$docroot">}mgi;
    $text =~ s{^(\s*)DocumentRoot\s+.*$}{$1DocumentRoot "$docroot"}mgi;
    $text =~ s{^(\s*)<VirtualHost\s+[^>]*>}{$1<VirtualHost *:$port>}mgi;
    return $text;
}

sub server_dir {
    my ($t, $which, $e, $file, $text, $prefix, $port, $with_preflight) = @_;
    my $d = "$t/$which";
    my $docroot = "$d/htdocs";
    make_path("$docroot$prefix/secret", "$docroot/secret");
    spew("$docroot${prefix}probe.$EXT", "probe\n");
    spew("$docroot${prefix}secret/probe.$EXT", "secret\n");
    spew("$d/htpasswd", "user:{SHA}" . sha1_base64('secret') . "=\n");
    my $site = '';
    if ($e->{load} eq 'htaccess') {
        spew("$docroot/.htaccess", $text);
    }
    else {
        spew("$d/site.conf", localize($text, $docroot, $port));
        my $top = $e->{where} ? $e->{where} eq 'top' : $text =~ /^\s*<VirtualHost/mi;
        $site = $top
            ? "Include \"$d/site.conf\"\n"
            : "<VirtualHost *:$port>\n    DocumentRoot \"$docroot\"\n    Include \"$d/site.conf\"\n</VirtualHost>\n";
    }
    # A recipe's own "LoadModule x modules/mod_x.so" (relative to the
    # ServerRoot, as Debian's apache2 has it) finds the system's modules;
    # its ${APACHE_LOG_DIR} is the test's directory.
    symlink $MODDIR, "$d/modules" unless -e "$d/modules";
    spew("$d/httpd.conf", <<EOF . module_lines($with_preflight) . <<EOF2 . $site);
ServerRoot "$d"
Define APACHE_LOG_DIR "$d"
Listen 127.0.0.1:$port
PidFile "$d/httpd.pid"
ErrorLog "$d/error.log"
LogLevel warn
ServerName 127.0.0.1
EOF
TypesConfig /etc/mime.types
DocumentRoot "$docroot"
<Directory "$docroot">
    AllowOverride All
    Require all granted
</Directory>
<Location "${prefix}secret/">
    AuthType Basic
    AuthName "probe"
    AuthUserFile "$d/htpasswd"
    Require valid-user
</Location>
EOF2
    return $d;
}

my %SAFE_METHOD = map { $_ => 1 } qw(GET HEAD POST);

# A response as a browser reads it (Fetch's CORS check), for one request.
sub browser_view {
    my ($q, $p, $creds) = @_;
    my %v = (status => $p->{status});
    my @acao = fields_of($p, 'ACAO');
    my $acac = join ',', fields_of($p, 'ACAC');
    my $cors = 0;
    if (defined $q->{origin} && @acao == 1) {
        $cors = $acao[0] eq '*' ? !$creds
              : $acao[0] eq $q->{origin} ? (!$creds || $acac eq 'true') : 0;
    }
    $v{vary} = (grep { /(^|,)\s*origin\s*(,|$)/i } fields_of($p, 'Vary')) ? 1 : 0;
    $v{allow} = join ',', sort map { s/\s//gr } map { split /,/ } fields_of($p, 'Allow');
    if ($q->{kind} eq 'preflight') {
        my $ok = $cors && $p->{status} =~ /^2\d\d$/;
        my %m = map { s/^\s+|\s+$//gr => 1 } map { split /,/ } fields_of($p, 'ACAM');
        my %h = map { lc(s/^\s+|\s+$//gr) => 1 } map { split /,/ } fields_of($p, 'ACAH');
        $ok &&= $SAFE_METHOD{ $q->{method} } || $m{ $q->{method} } || ($m{'*'} && !$creds);
        for my $h (@{ $q->{headers} || [] }) {
            $ok &&= $h{ lc $h } || ($h{'*'} && !$creds && lc $h ne 'authorization');
        }
        $v{admitted} = $ok ? 1 : 0;
        $v{max_age} = join ',', fields_of($p, 'ACMA') if $ok;
    }
    else {
        $v{readable} = $cors ? 1 : 0;
        $v{creds} = $acac eq 'true' ? 1 : 0;
        $v{expose} = join ',', sort map { lc(s/^\s+|\s+$//gr) } map { split /,/ } fields_of($p, 'ACEH')
            if $cors;
    }
    return \%v;
}

# The kinds of difference between two views of one request.
sub differences {
    my ($q, $r, $p, $listed) = @_;
    my @d;
    if ($q->{kind} eq 'preflight') {
        if ($r->{admitted} && !$p->{admitted}) {
            push @d, $listed ? 'listed-origin-refused' : 'preflight-recipe-only';
        }
        push @d, 'preflight-proposal-only' if $p->{admitted} && !$r->{admitted};
        push @d, 'max-age' if $p->{admitted} && $r->{admitted} && $p->{max_age} ne $r->{max_age};
        return @d;
    }
    if (defined $q->{origin}) {
        if ($r->{readable} && !$p->{readable}) {
            push @d, $listed ? 'listed-origin-refused' : 'readable-recipe-only';
        }
        push @d, 'readable-proposal-only' if $p->{readable} && !$r->{readable};
        if ($p->{readable} && $r->{readable}) {
            push @d, 'credentials' if $p->{creds} != $r->{creds};
            push @d, 'expose' if $p->{expose} ne $r->{expose};
        }
    }
    push @d, 'status' if $p->{status} ne $r->{status};
    push @d, 'allow' if $q->{method} eq 'OPTIONS' && !defined $q->{origin} && $p->{allow} ne $r->{allow};
    push @d, 'vary-proposal-only' if defined $q->{origin} && $p->{vary} && !$r->{vary};
    push @d, 'vary-recipe-only' if defined $q->{origin} && $r->{vary} && !$p->{vary};
    return @d;
}

sub matrix_origins {
    my ($doc, $e) = @_;
    my (@o, %seen, %listed);
    my $add = sub { for (@_) { push @o, $_ unless $seen{$_}++ } };
    for my $r (@{ $doc->{recipes} }) {
        for my $item (@{ $r->{origins} || [] }) {
            my ($scheme, $host, $port) = $item =~ m{^([a-z][a-z0-9+.-]*)://([^:/]+)(?::(\d+|\*))?$}i
                or do { $add->($item); $listed{$item} = 1; next };
            my $pp = !defined $port ? '' : $port eq '*' ? ':8080' : ":$port";
            my @samples = $host =~ /^\*\.(.*)$/ ? ("$scheme://a.$1$pp") : ("$scheme://$host$pp");
            $listed{$_} = 1 for @samples;
            $add->(@samples);
            my $h = $host =~ s/^\*\./a./r;
            my $other = $scheme eq 'https' ? 'http' : 'https';
            $add->("$scheme://$h.evil.net$pp", "$scheme://evil$h$pp", "$other://$h$pp");
            # a wildcard's parent itself: listed or not, the two must agree
            $add->("$scheme://a.b." . ($host =~ s/^\*\.//r) . $pp, "$scheme://" . ($host =~ s/^\*\.//r) . $pp)
                if $host =~ /^\*\./;
        }
        $add->(@{ $r->{admits} || [] });
        $add->(map { $_->{origin} // () } @{ $r->{findings} });
    }
    $add->(@{ $e->{admits} }, 'null', 'https://evil.example', 'https://app.example.com');
    return (\@o, \%listed);
}

sub matrix_requests {
    my ($doc, $prefix, $origins) = @_;
    my (@methods, @headers);
    for my $r (@{ $doc->{recipes} }) {
        for (@{ $r->{proposal} }) {
            push @methods, split ' ', $1 if /PreflightAllowMethods\s+(.*)$/;
            push @headers, split ' ', $1 if /PreflightAllowHeaders\s+(.*)$/;
        }
    }
    my ($allowed) = ((grep { !$SAFE_METHOD{$_} && $_ ne "*" } @methods), "PUT");
    my ($header) = ((grep { $_ ne "*" } @headers), "X-Requested-With");
    my $probe = "${prefix}probe.$EXT";
    my @q;
    for my $o (@$origins) {
        push @q,
            { kind => 'actual', method => 'GET', path => $probe, origin => $o },
            { kind => 'actual', method => 'GET', path => "${prefix}missing.$EXT", origin => $o },
            { kind => 'actual', method => 'GET', path => "${prefix}secret/probe.$EXT", origin => $o },
            { kind => 'actual', method => 'OPTIONS', path => $probe, origin => $o },
            { kind => 'preflight', method => $allowed, path => $probe, origin => $o },
            { kind => 'preflight', method => 'PURGE', path => $probe, origin => $o },
            { kind => 'preflight', method => 'GET', path => $probe, origin => $o, headers => [$header] },
            { kind => 'preflight', method => 'GET', path => $probe, origin => $o,
              headers => ['X-Refused-Header'] },
            { kind => 'preflight', method => 'GET', path => $probe, origin => $o,
              headers => ['Authorization'] };
    }
    push @q,
        { kind => 'plain', method => 'GET', path => $probe },
        { kind => 'plain', method => 'OPTIONS', path => $probe },
        { kind => 'plain', method => 'GET', path => "${prefix}missing.$EXT" },
        { kind => 'plain', method => 'GET', path => "${prefix}secret/probe.$EXT" },
        { kind => 'plain', method => 'OPTIONS', path => "${prefix}secret/probe.$EXT" };
    return @q;
}

sub send_request {
    my ($port, $q) = @_;
    local $PreflightTest::port = $port;
    my @h;
    push @h, Origin => $q->{origin} if defined $q->{origin};
    my $method = $q->{method};
    if ($q->{kind} eq 'preflight') {
        push @h, ACRM => $q->{method};
        push @h, ACRH => join(', ', map { lc } @{ $q->{headers} }) if $q->{headers};
        $method = 'OPTIONS';
    }
    return parse_response(raw_exchange(raw_request($method, $q->{path}, \@h)));
}

sub describe {
    my $q = shift;
    my $s = $q->{kind} eq 'preflight'
        ? "preflight $q->{method}" . ($q->{headers} ? " [@{ $q->{headers} }]" : '')
        : $q->{method};
    return "$s $q->{path}" . (defined $q->{origin} ? " Origin: $q->{origin}" : ' (no Origin)');
}

sub start_pair {
    my ($t, $e, $file, $text, $ptext, $prefix) = @_;
    my %h;
    for (['recipe', $text, 0], ['proposal', $ptext, 1]) {
        my ($which, $body, $mod) = @$_;
        my $port = free_port();
        my $d = server_dir($t, $which, $e, $file, $body, $prefix, $port, $mod);
        my $srv = eval { start_httpd(conf => "$d/httpd.conf", root => $d, pidfile => "$d/httpd.pid",
                                     port => $port, timeout => 20) };
        return (undef, "the $which httpd did not start: $@") unless $srv;
        push @servers, $srv;
        $h{$which} = $srv;
    }
    return (\%h, undef);
}

sub stop_pair {
    my $h = shift;
    for my $s (values %$h) {
        stop_httpd($s, timeout => 5, quiet => 1);
        @servers = grep { $_ != $s } @servers;
    }
}

# httpd refuses the recipe: the configuration test fails, or the
# .htaccess answers 500.
sub refused_by_httpd {
    my ($t, $e, $file, $text, $prefix) = @_;
    my $port = free_port();
    my $d = server_dir($t, 'refused', $e, $file, $text, $prefix, $port, 0);
    if ($e->{load} eq 'server') {
        system("$HTTPD -t -d '$d' -f '$d/httpd.conf' >/dev/null 2>&1");
        return $? != 0;
    }
    my $srv = eval { start_httpd(conf => "$d/httpd.conf", root => $d, pidfile => "$d/httpd.pid",
                                 port => $port, timeout => 20) } or return 0;
    push @servers, $srv;
    my $p = send_request($port, { kind => 'plain', method => 'GET', path => "${prefix}probe.$EXT" });
    stop_httpd($srv, timeout => 5, quiet => 1);
    @servers = grep { $_ != $srv } @servers;
    return $p->{status} eq '500';
}

sub dynamic_check {
    my ($dir, $name, $e, $file, $doc) = @_;
    my $text = slurp("$dir/$file");
    my $prefix = probe_prefix($doc);
    my $t = tempdir("pf-migrate.XXXXXX", TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $t;
    my %ids = map { $_->{id} => 1 } map { @{ $_->{findings} } } @{ $doc->{recipes} };
    if ($ids{'invalid-config'}) {
        check(refused_by_httpd($t, $e, $file, $text, $prefix),
           "$name: httpd refuses the recipe too (invalid-config)");
        return;
    }
    my $ptext = proposal_text($text, $doc, $file);
    my ($pair, $why) = start_pair($t, $e, $file, $text, $ptext, $prefix);
    if (!check($pair, "$name: both httpds start (recipe, proposal with PreflightEngine On)",
            $why // '', "proposal:", $ptext)) {
        stop_pair($pair) if $pair;
        return;
    }
    my $creds = grep { $_->{credentials} } @{ $doc->{recipes} };
    my $star = grep { /PreflightAllowOrigin \*$/ } map { @{ $_->{proposal} } } @{ $doc->{recipes} };
    $ids{'(proposal PreflightAllowOrigin *)'} = 1 if $star;
    my ($origins, $listed) = matrix_origins($doc, $e);
    my @q = matrix_requests($doc, $prefix, $origins);
    my (@unexplained, %kinds, %seen_r, %admitted_r, %answers);
    my @got = map { [send_request($pair->{recipe}{port}, $_), send_request($pair->{proposal}{port}, $_)] } @q;
    for my $i (0 .. $#q) {
        my ($q, $rr) = ($q[$i], $got[$i][0]);
        my $key = join ' ', ($q->{kind} eq 'plain' ? 'actual' : $q->{kind}), $q->{method}, $q->{path},
                  @{ $q->{headers} || [] };
        $answers{$key}{ join "\n", $rr->{status},
                        map { "$_: " . join(',', fields_of($rr, $_)) } qw(ACAO ACAC ACAM ACAH ACEH ACMA) } = 1;
    }
    $ids{'(recipe answers the same to every Origin)'} = 1 unless grep { keys %$_ > 1 } values %answers;
    for my $i (0 .. $#q) {
        my ($q, $rr, $pr) = ($q[$i], @{ $got[$i] });
        my $rv = browser_view($q, $rr, $creds);
        my $pv = browser_view($q, $pr, $creds);
        # admitted by the recipe and not by the proposal: read, or through a
        # preflight
        if (defined $q->{origin} && $q->{path} !~ /secret|missing/
            && (($q->{kind} eq 'actual' && $q->{method} eq 'GET' && $rv->{readable})
                || ($q->{kind} eq 'preflight' && $rv->{admitted}))) {
            $admitted_r{ $q->{origin} } = 1;
            $seen_r{ $q->{origin} } = 1 if !($pv->{readable} || $pv->{admitted});
        }
        for my $k (differences($q, $rv, $pv, defined $q->{origin} && $listed->{ $q->{origin} })) {
            my @by = grep { $ids{$_} } @{ $EXPLAINS{$k} };
            $kinds{$k}++;
            push @unexplained, sprintf("%s: %s (recipe %s, proposal %s; explained by any of: %s)",
                                       describe($q), $k, summary($rv), summary($pv),
                                       join(', ', @{ $EXPLAINS{$k} }) || 'nothing')
                unless @by;
        }
    }
    my $diffs = 0;
    $diffs += $_ for values %kinds;
    my $good = check(!@unexplained, sprintf("%s: %d requests, %d differences, every one explained by a "
                  . "finding (%s)", $name, scalar @q, $diffs,
                  join(', ', map { "$_ $kinds{$_}" } sort keys %kinds) || 'none'),
                  @unexplained, "proposal:", $ptext);
    $count{verified}++ if $good;
    # The look-alikes are real: the recipe's httpd lets them read, the
    # proposal's does not.
    my @named = (@{ $e->{admits} }, grep { $_ ne 'https://evil.example' || $ids{'any-origin-reflected'} }
                 map { $_->{origin} // () } map { @{ $_->{findings} } } @{ $doc->{recipes} });
    # Where the recipe reflects any origin without credentials the proposal
    # is PreflightAllowOrigin * (README "Migrating from a recipe"): it keeps
    # what the finding names, which is only shown to be real.
    my %once;
    my $kept = $star && !$creds && $ids{'any-origin-reflected'};
    for my $o (grep { !$once{$_}++ } @named) {
        if ($kept && $o eq 'https://evil.example') {
            check($admitted_r{$o}, "$name: the recipe's httpd admits $o (reads or passes a preflight); "
               . "the proposal is *, as any origin was");
            next;
        }
        check($seen_r{$o}, "$name: the recipe's httpd admits $o (reads or passes a preflight) and the proposal's does not");
    }
    # The proposal's own origins are answered by the proposal's httpd.
    stop_pair($pair);
}

sub summary {
    my $v = shift;
    return join ' ', map { "$_=$v->{$_}" } grep { defined $v->{$_} && $v->{$_} ne '' } sort keys %$v;
}

# ---- every recipe

my @dirs;
for my $set (qw(corpus synthetic)) {
    push @dirs, map { [$set, $_] } sort grep { -d && -f "$_/expect" } glob("$FindBin::Bin/$set/*");
}
die "t/migrate: no recipe found\n" unless @dirs;
die "t/migrate: $TOOL is not built (make)\n" unless -x $TOOL;
my $dynamic = !$static_only && -x $HTTPD && -f $SO;
note("dynamic check skipped: " . (-f $SO ? "--static" : "no $SO (make)")) unless $dynamic;

for (@dirs) {
    my ($set, $dir) = @$_;
    my $name = "$set/" . base($dir);
    next if $only && $name !~ $only;
    my $e = read_expect($dir);
    if (!check(!$e->{bad} && $e->{load}, "$name: expect has a load line and only known lines",
            $e->{bad} // 'no load line')) {
        next;
    }
    my $file = $e->{load} eq 'htaccess' ? '.htaccess' : 'site.conf';
    next unless check(-f "$dir/$file", "$name: has its $file");
    $count{recipes}++;
    $count{$set}++;
    my $doc = static_check($dir, $name, $e, $file) or next;
    dynamic_check($dir, $name, $e, $file, $doc) if $dynamic;
}

# ---- bad input

sub bad_input {
    my $t = tempdir("pf-migrate-bad.XXXXXX", TMPDIR => 1, CLEANUP => 1);
    my $check = sub {
        my ($what, $args, $want_rc, $want) = @_;
        my ($rc, $out, $err) = tool($t, @$args);
        my $signal = $rc > 128;
        check(!$signal && (grep { $_ == $rc } @$want_rc) && ($err . $out) =~ $want
           && ($rc != 2 || $out eq ''),
           "bad input: $what: exit $rc, " . ($rc == 2 ? 'nothing on stdout, ' : '') . "says so",
           "stdout: " . substr($out, 0, 400), "stderr: $err");
    };
    spew("$t/binary.conf", "Header set X y\n\0\x01\x02\xff" x 100);
    $check->('a binary file', ['binary.conf'], [2], qr/not a text file/);
    spew("$t/unclosed.conf", "<Directory /x>\n  Header always set Access-Control-Allow-Origin *\n");
    $check->('an unterminated section', ['--json', 'unclosed.conf'], [1],
             qr/"invalid-config".*was not closed/s);
    spew("$t/long.conf", "ServerAdmin " . ('a' x (1024 * 1024)) . "\n"
         . "Header always set Access-Control-Allow-Origin \"https://" . ('b' x (1024 * 1024)) . ".example\"\n");
    $check->('1 MB lines', ['long.conf'], [0, 1], qr/preflight-migrate: 1 file read/);
    make_path("$t/loop");
    spew("$t/loop/a.conf", "Include loop/b.conf\n");
    spew("$t/loop/b.conf", "Include loop/a.conf\n");
    $check->('an include loop', ['--server-root', $t, '--json', 'loop/a.conf'], [1],
             qr/"invalid-config".*include loop/s);
    spew("$t/missing-include.conf", "Include nothing/here.conf\nIncludeOptional nothing/*.conf\n");
    $check->('an Include of a missing file', ['--server-root', $t, 'missing-include.conf'], [1],
             qr/invalid-config.*nothing\/here\.conf/s);
    spew("$t/unreadable.conf", "Header set Access-Control-Allow-Origin *\n");
    chmod 0000, "$t/unreadable.conf";
    if (open my $fh, '<', "$t/unreadable.conf") {
        # root reads anything: run the check as nobody when that is possible.
        close $fh;
        my $nobody = getpwnam('nobody');
        if (defined $nobody) {
            chmod 0755, $t;
            my $out = `cd '$t' && setpriv --reuid=nobody --regid=nogroup --clear-groups '$TOOL' unreadable.conf 2>&1`;
            my $rc = $? >> 8;
            check($rc == 2 && $out =~ /cannot open .*unreadable\.conf: Permission denied/,
               "bad input: an unreadable file (as nobody): exit $rc, says so", $out);
        }
    }
    else {
        $check->('an unreadable file', ['unreadable.conf'], [2], qr/Permission denied/);
    }
    chmod 0644, "$t/unreadable.conf";
    symlink "self.conf", "$t/self.conf";
    $check->('a symbolic link to itself', ['self.conf'], [2], qr/Too many levels of symbolic links/);
    make_path("$t/tree/sub");
    symlink "..", "$t/tree/sub/up";
    spew("$t/tree/sub/.htaccess", "Header always set Access-Control-Allow-Origin *\n");
    $check->('a directory with a symbolic link back up', ['tree'], [0],
             qr/1 file read, 1 recipe/);
    symlink "loop2.conf", "$t/tree/loop1.conf";
    symlink "loop1.conf", "$t/tree/loop2.conf";
    $check->('a directory with a symbolic link loop', ['tree'], [2], qr/Too many levels of symbolic links/);
    $check->('no argument', [], [2], qr/no file or directory given/);
    $check->('an unknown option', ['--frobnicate', 'x'], [2], qr/unknown option --frobnicate/);
    $check->('a path that does not exist', ['/nonexistent/x.conf'], [2], qr/No such file/);
    spew("$t/hostile.conf", "SetEnvIf Origin \"" . ('(a|' x 200) . "b" . (')' x 200) . "\" X\n"
         . "Header always set Access-Control-Allow-Origin %{X}e env=X\n"
         . "SetEnvIf Origin \"(a+)+\$\" Y\nHeader always set Access-Control-Allow-Origin %{Y}e env=Y\n");
    $check->('hostile regexes (deep nesting, catastrophic backtracking)', ['hostile.conf'], [0, 1],
             qr/recipe/);
}

# ---- the stock configuration

sub stock {
    if (!-f '/etc/apache2/apache2.conf') {
        note("/etc/apache2 is not Debian's apache2 configuration: skipped");
        return;
    }
    my ($rc, $out, $err) = tool('/', '/etc/apache2');
    check($rc == 0 && $out =~ /no CORS recipe: nothing to migrate/,
       "the stock /etc/apache2: nothing to migrate, exit 0", $out, $err);
}

# No leak and no invalid access over every recipe, the bad input's kind of
# tree and the stock configuration.
sub memcheck {
    return note("valgrind not installed: memcheck skipped") unless -x '/usr/bin/valgrind';
    my @inputs = ("$FindBin::Bin/synthetic", grep { -d } "$FindBin::Bin/corpus", '/etc/apache2');
    my $out = `valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 '$TOOL' --json @inputs 2>&1 >/dev/null`;
    my $rc = $? >> 8;
    check($rc != 99 && $rc <= 2 && $out !~ /==\d+==/, "valgrind memcheck: preflight-migrate over every recipe "
       . "and /etc/apache2, no leak, no invalid access (exit $rc)", $out);
}

# The corpus's own check (t/migrate/corpus/README.md "Checking"): each
# expect well formed, each recipe loaded by Debian's apache2 as its load line
# says, refused exactly where it expects invalid-config. Its lines count here.
sub check_loads {
    my $script = "$FindBin::Bin/corpus/check-loads.sh";
    my $out = `cd '$ROOT' && sh '$script' 2>&1`;
    my $rc = $? >> 8;
    my $seen = 0;
    for (split /\n/, $out) {
        if (/^(not )?ok \d+ - (.*)$/) { check(!$1, "check-loads: $2"); $seen++ }
        elsif (/^\d+ passed, \d+ failed$/) { }
        else { note("check-loads: $_") }
    }
    check($seen && $rc == 0, "check-loads: ran $seen checks, exit $rc");
}

bad_input() unless $only;
stock() unless $only;
memcheck() unless $only;
check_loads() unless $only || !-x $HTTPD;

note("recipes: $count{recipes} ($count{corpus} corpus, $count{synthetic} synthetic)");
note("findings by id: " . (join(', ', map { "$_ $by_id{$_}" } sort keys %by_id) || 'none'));
note("proposals verified by the matrix: $count{verified}");
note("untranslated constructs: $count{untranslated}");
exit finish();
