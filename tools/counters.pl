#!/usr/bin/perl
# tools/counters.pl [MPM...]: the decision counters under load, across
# several children, for each MPM (default: event prefork). README "Reading
# decisions", Counters.
#
# For each MPM a private httpd (127.0.0.1, a free port, its own ServerRoot
# and pid file in a temporary directory, stopped by its pid) with mod_status
# and two name-based virtual hosts, a.test and b.test, each with a policy
# under On (/on/), the same under ReportOnly (/ro/), a policy in front of a
# backend that reflects every origin with credentials (/be/, mod_headers'
# Header always set with the request's Origin), and no policy (/out/).
# COUNTERS_CLIENTS clients (default 8) send, in parallel, on keep-alive
# connections they open again every 40 requests, an exact number of
# requests of each class, a different number per class and per host; every
# answer's status is checked. Then /server-status?auto must show exactly
# those numbers: the sums and each host's lines, every counter; and so must
# the access log (%{PREFLIGHT}e, %{PREFLIGHT_BACKEND}e, and %P: at least two
# children served). Then the same again with a graceful restart (SIGUSR1)
# in its middle: the counters keep counting (the list of hosts is the
# same), old generation and new. Then a graceful restart with one more
# virtual host: every counter is zero again; and a plain restart (SIGHUP)
# keeps what was counted since.
#
# Env: COUNTERS_SCALE (default 25: the numbers of requests are multiples of
# it), COUNTERS_CLIENTS, COUNTERS_KEEP=1 keeps the temporary directories,
# HTTPD. Prints "ok N - ..." / "not ok N - ..." and last "N passed, M
# failed"; exit status 0 only when every check passed. The figures of each
# run ("counters: ...") are printed for the record.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../t/lib";
use PreflightReport qw(check finish note);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX qw(_exit);
use Time::HiRes qw(sleep time);
use PreflightServer qw(free_port start_httpd stop_httpd graceful_httpd read_pid spew);

my $SRC     = "$FindBin::Bin/..";
my $HTTPD   = $ENV{HTTPD} // '/usr/sbin/apache2';
my $MODULES = '/usr/lib/apache2/modules';
my $SO      = "$SRC/.libs/mod_preflight.so";
my $SCALE   = $ENV{COUNTERS_SCALE} // 25;
my $CLIENTS = $ENV{COUNTERS_CLIENTS} // 8;
my @MPMS    = @ARGV ? @ARGV : qw(event prefork);

my $APP  = 'https://app.example';
my $EVIL = 'https://evil.example';


# The classes: what is sent, the status it must get, and the counters it
# adds one to (the ?auto keys without "Preflight"; none for the last two).
my @CLASSES = (
    [pa   => OPTIONS => '/on/', [Origin => $APP, ACRM => 'PUT', ACRH => 'x-token'], 204, ['PreflightAllowed']],
    [pdo  => OPTIONS => '/on/', [Origin => $EVIL, ACRM => 'PUT'], 403, ['PreflightDeniedOrigin']],
    [pdm  => OPTIONS => '/on/', [Origin => $APP, ACRM => 'DELETE'], 403, ['PreflightDeniedMethod']],
    [pdh  => OPTIONS => '/on/', [Origin => $APP, ACRM => 'PUT', ACRH => 'x-evil'], 403, ['PreflightDeniedHeader']],
    [pdz  => OPTIONS => '/on/star/', [Origin => $APP, ACRM => 'PUT', ACRH => 'authorization'], 403, ['PreflightDeniedAuthorization']],
    [ca   => GET => '/on/', [Origin => $APP], 200, ['CorsAllowed']],
    [cdo  => GET => '/on/', [Origin => $EVIL], 200, ['CorsDeniedOrigin']],
    # ReportOnly: the module answers nothing; the core answers OPTIONS
    [rpa  => OPTIONS => '/ro/', [Origin => $APP, ACRM => 'PUT', ACRH => 'x-token'], 200, ['ReportOnlyPreflightAllowed']],
    [rpdo => OPTIONS => '/ro/', [Origin => $EVIL, ACRM => 'PUT'], 200, ['ReportOnlyPreflightDeniedOrigin']],
    [rpdm => OPTIONS => '/ro/', [Origin => $APP, ACRM => 'DELETE'], 200, ['ReportOnlyPreflightDeniedMethod']],
    [rpdh => OPTIONS => '/ro/', [Origin => $APP, ACRM => 'PUT', ACRH => 'x-evil'], 200, ['ReportOnlyPreflightDeniedHeader']],
    [rpdz => OPTIONS => '/ro/star/', [Origin => $APP, ACRM => 'PUT', ACRH => 'authorization'], 200, ['ReportOnlyPreflightDeniedAuthorization']],
    [rca  => GET => '/ro/', [Origin => $APP], 200, ['ReportOnlyCorsAllowed']],
    [rcdo => GET => '/ro/', [Origin => $EVIL], 200, ['ReportOnlyCorsDeniedOrigin']],
    # a backend that reflects origins with credentials
    [bre  => GET => '/be/', [Origin => $APP], 200, ['CorsAllowed', 'BackendReplaced']],
    [brm  => GET => '/be/', [Origin => $EVIL], 200, ['CorsDeniedOrigin', 'BackendRemoved']],
    # counted nowhere
    [none => GET => '/on/', [], 200, []],
    [out  => GET => '/out/', [Origin => $APP, ACRM => 'PUT'], 200, []],
);
my %HDR = (ACRM => 'Access-Control-Request-Method', ACRH => 'Access-Control-Request-Headers');
my @KEYS = map { my $v = $_; ("Preflight$v", "PreflightReportOnly$v") }
           qw(PreflightAllowed PreflightDeniedOrigin PreflightDeniedMethod
              PreflightDeniedHeader PreflightDeniedAuthorization CorsAllowed
              CorsDeniedOrigin);
push @KEYS, qw(PreflightBackendReplaced PreflightBackendRemoved);
my @HOSTS = qw(a.test b.test);

# How many of class $i a host gets: different for every class and host, so
# that a count in the wrong counter or the wrong host cannot add up.
sub how_many {
    my ($i, $h) = @_;
    return $SCALE * ($i + 1 + 3 * $h) + $i;
}


sub config {
    my ($mpm, $dir, $port, @hosts) = @_;
    my $mpm_conf = $mpm eq 'prefork'
        ? "StartServers 4\nMinSpareServers 4\nMaxSpareServers 8\nServerLimit 16\nMaxRequestWorkers 8\n"
        : "StartServers 3\nServerLimit 12\nThreadsPerChild 4\nMaxRequestWorkers 16\n"
          . "MinSpareThreads 12\nMaxSpareThreads 16\n";
    my $policy = join '', map {
        my ($loc, $engine) = @$_;
        "<Location /$loc/>\n    PreflightEngine $engine\n    PreflightAllowOrigin $APP\n"
        . "    PreflightAllowMethods GET PUT\n    PreflightAllowHeaders X-Token\n"
        . "    PreflightAllowCredentials On\n</Location>\n"
    } [on => 'On'], [ro => 'ReportOnly'], [be => 'On'];
    # "*" never covers Authorization: its own verdict
    $policy .= "<Location /$_/star/>\n    PreflightAllowHeaders *\n</Location>\n" for qw(on ro);
    my $vhosts = join '', map {
        "<VirtualHost 127.0.0.1:$port>\n    ServerName $_\n    DocumentRoot \"$dir/htdocs\"\n</VirtualHost>\n"
    } @hosts;
    return <<"EOF";
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
LogLevel notice
DefaultRuntimeDir "$dir"
User nobody
Group nogroup
LoadModule mpm_${mpm}_module $MODULES/mod_mpm_$mpm.so
LoadModule authz_core_module $MODULES/mod_authz_core.so
LoadModule authz_host_module $MODULES/mod_authz_host.so
LoadModule mime_module $MODULES/mod_mime.so
LoadModule headers_module $MODULES/mod_headers.so
LoadModule status_module $MODULES/mod_status.so
<IfModule !log_config_module>
    LoadModule log_config_module $MODULES/mod_log_config.so
</IfModule>
LoadModule preflight_module "$SO"
TypesConfig /dev/null
AddType application/json .json
$mpm_conf
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 5
LogFormat "%P %v %U %{PREFLIGHT}e %{PREFLIGHT_BACKEND}e" counters
CustomLog "$dir/access_log" counters
DocumentRoot "$dir/htdocs"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$dir/htdocs">
    Require all granted
</Directory>
$policy
<Location /be/>
    Header always set Access-Control-Allow-Origin "expr=%{req:Origin}"
    Header always set Access-Control-Allow-Credentials "true"
</Location>
<Location /server-status>
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
$vhosts
EOF
}

# ---- the client

sub request_bytes {
    my ($c, $host, $port) = @_;
    my (undef, $method, $path, $hdrs) = @$c;
    my $s = "$method ${path}data.json HTTP/1.1\r\nHost: $host:$port\r\n";
    my @h = @$hdrs;
    while (my ($n, $v) = splice @h, 0, 2) {
        $s .= ($HDR{$n} // $n) . ": $v\r\n";
    }
    return "$s\r\n";
}

# One response from a keep-alive connection: its status; 'closed' when the
# connection was closed before any byte came (the server closes idle
# keep-alive connections when it is busy: the request was never read, and
# HTTP leaves it to the client to send it again); undef otherwise.
sub read_response {
    my ($sock, $method) = @_;
    my $buf = '';
    while ($buf !~ /\r\n\r\n/) {
        my $n = sysread($sock, $buf, 8192, length $buf);
        return length $buf ? undef : 'closed' unless $n;
    }
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    my ($status) = $head =~ m{^HTTP/1\.1 (\d{3})} or return undef;
    my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
    $len = 0 if $status == 204 || $method eq 'HEAD' || !defined $len;
    while (length $rest < $len) {
        my $n = sysread($sock, $rest, $len - length $rest, length $rest);
        return undef unless $n;
    }
    return $status;
}

sub connect_to {
    my $port = shift;
    return IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 30);
}

# One exchange on $$sock (opened again when the server had closed it).
sub exchange {
    my ($sock, $port, $bytes, $method) = @_;
    for my $try (1, 2) {
        $$sock ||= connect_to($port) or return "connect: $!";
        my $status = eval {
            local $SIG{ALRM} = sub { die "timeout\n" };
            local $SIG{PIPE} = 'IGNORE';
            alarm 30;
            print {$$sock} $bytes;
            my $s = read_response($$sock, $method);
            alarm 0;
            $s;
        };
        return $status if defined $status && $status ne 'closed';
        undef $$sock;
        return 'no answer' unless defined $status;
    }
    return 'closed twice';
}

# Sends @$work ([class index, host index]) on connections to $port; returns
# "answered I H" and "wrong ..." lines.
sub client {
    my ($port, $work) = @_;
    my ($sock, $on_conn, @out) = (undef, 0);
    for my $w (@$work) {
        my ($i, $h) = @$w;
        my $c = $CLASSES[$i];
        if ($on_conn++ >= 40) {
            undef $sock;
            $on_conn = 1;
        }
        my $status = exchange(\$sock, $port, request_bytes($c, $HOSTS[$h], $port), $c->[1]);
        push @out, $status eq $c->[4] ? "answered $i $h"
                                      : "wrong $c->[0] on $HOSTS[$h]: $status, not $c->[4]";
    }
    return @out;
}

# Every request of a batch, shuffled (a fixed seed), shared among the
# clients, which run in parallel; returns { "I H" => answered }, errors.
# $during, when given, runs in a process of its own meanwhile.
sub send_batch {
    my ($port, $during) = @_;
    my @work;
    for my $i (0 .. $#CLASSES) {
        for my $h (0 .. $#HOSTS) {
            push @work, [$i, $h] for 1 .. how_many($i, $h);
        }
    }
    srand 42;
    for (my $k = @work; --$k > 0;) {
        my $j = int rand($k + 1);
        @work[$k, $j] = @work[$j, $k];
    }
    my @kids;
    for my $n (0 .. $CLIENTS - 1) {
        my @mine = @work[grep { $_ % $CLIENTS == $n } 0 .. $#work];
        pipe my $r, my $w or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $r;
            print $w "$_\n" for client($port, \@mine);
            close $w;
            _exit(0);
        }
        close $w;
        push @kids, [$pid, $r];
    }
    if ($during) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            $during->();
            _exit(0);
        }
        waitpid $pid, 0;
    }
    my (%answered, @wrong);
    for my $k (@kids) {
        my $fh = $k->[1];
        while (<$fh>) {
            chomp;
            if (/^answered (\d+) (\d+)$/) { $answered{"$1 $2"}++ }
            else                          { push @wrong, $_ }
        }
        waitpid $k->[0], 0;
    }
    return (\%answered, \@wrong, scalar @work);
}

# ---- what the server says

sub get {
    my ($port, $path) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 30)
        or return '';
    print $sock "GET $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\nConnection: close\r\n\r\n";
    local $/;
    my $r = <$sock> // '';
    return (split /\r\n\r\n/, $r, 2)[1] // '';
}

sub status_auto {
    my $port = shift;
    my %v;
    for (split /\n/, get($port, '/server-status?auto')) {
        $v{$1} = $2 if /^(Preflight\S*): (\d+)$/;
    }
    return \%v;
}

# The counters as they must be after $rounds batches: key (sum) and
# key.LABEL (each host) => count.
sub expected {
    my ($rounds, $port) = @_;
    my %e = map { $_ => 0 } @KEYS;
    for my $i (0 .. $#CLASSES) {
        for my $h (0 .. $#HOSTS) {
            for my $k (@{ $CLASSES[$i][5] }) {
                $e{"Preflight$k"} += $rounds * how_many($i, $h);
                $e{"Preflight$k.$HOSTS[$h].$port"} += $rounds * how_many($i, $h);
            }
        }
    }
    return \%e;
}

sub compare {
    my ($got, $want) = @_;
    my @diff;
    for my $k (sort keys %{ { %$got, %$want } }) {
        my ($g, $w) = ($got->{$k} // 'absent', $want->{$k} // 'absent');
        push @diff, "$k: counter $g, sent $w" if $g ne $w;
    }
    return @diff;
}

# The access log's lines, as the same keys.
sub from_access_log {
    my ($dir, $port) = @_;
    my (%v, %pids);
    open my $fh, '<', "$dir/access_log" or return ({}, {});
    my %camel = map { my $c = join '', map { ucfirst } split /-/; ($_ => $c) }
        qw(preflight-allowed preflight-denied-origin preflight-denied-method
           preflight-denied-header preflight-denied-authorization cors-allowed
           cors-denied-origin replaced removed);
    while (<$fh>) {
        my ($pid, $vhost, $path, $pf, $be) = split;
        next if $pf eq '-' && $be eq '-';    # /server-status, no Origin, /out/
        $pids{$pid}++;
        my $ro = $path =~ m{^/ro/} ? 'ReportOnly' : '';
        for my $k (($pf ne '-' ? "$ro$camel{$pf}" : ()), ($be ne '-' ? "Backend$camel{$be}" : ())) {
            $v{"Preflight$k"}++;
            $v{"Preflight$k.$vhost.$port"}++;
        }
    }
    return (\%v, \%pids);
}

sub lines {
    open my $fh, '<', shift or return 0;
    my $n = 0;
    $n++ while <$fh>;
    return $n;
}

sub batch_size {
    my $n = 0;
    for my $i (0 .. $#CLASSES) { $n += how_many($i, $_) for 0 .. $#HOSTS }
    return $n;
}

sub children_served {
    my $dir = shift;
    my %pids;
    open my $fh, '<', "$dir/access_log" or return 0;
    while (<$fh>) { $pids{(split)[0]}++ }
    return scalar keys %pids;
}

sub wait_generation {
    my ($dir, $n) = @_;
    my $end = time + 30;
    while (time < $end) {
        open my $fh, '<', "$dir/error_log" or last;
        my $k = grep { /resuming normal operations/ } <$fh>;
        return 1 if $k >= $n;
        sleep 0.1;
    }
    return 0;
}

# ---- one MPM

sub run_mpm {
    my $mpm = shift;
    my $dir = tempdir("pf-counters-$mpm-XXXXXX", TMPDIR => 1, CLEANUP => !$ENV{COUNTERS_KEEP});
    chmod 0755, $dir;
    mkdir "$dir/htdocs";
    for my $d (qw(on ro be out on/star ro/star)) {
        mkdir "$dir/htdocs/$d";
        spew("$dir/htdocs/$d/data.json", qq({"scope":"$d"}\n));
    }
    chmod 0755, "$dir/htdocs", map { "$dir/htdocs/$_" } qw(on ro be out on/star ro/star);
    my $port = free_port();
    my $conf = "$dir/httpd.conf";
    spew($conf, config($mpm, $dir, $port, @HOSTS));
    my $h = eval { start_httpd(conf => $conf, root => $dir, pidfile => "$dir/httpd.pid",
                               port => $port, httpd => $HTTPD) };
    check($h, "$mpm: httpd starts", $@) or return;
    my $ok = eval { measure($mpm, $dir, $port, $conf, $h); 1 };
    check(0, "$mpm: the run finished", $@) unless $ok;
    stop_httpd($h);
    note("$mpm: kept $dir") if $ENV{COUNTERS_KEEP};
}

sub batch_checks {
    my ($mpm, $label, $port, $dir, $rounds, $during) = @_;
    my $t0 = time;
    my ($answered, $wrong, $sent) = send_batch($port, $during);
    my $secs = time - $t0;
    my $n = 0;
    $n += $_ for values %$answered;
    check(!@$wrong && $n == $sent, "$mpm, $label: $sent requests answered as the policy says",
          join "\n", "$n of $sent answered as expected", @$wrong[0 .. ($#$wrong < 9 ? $#$wrong : 9)]);
    my $got = status_auto($port);
    my $want = expected($rounds, $port);
    my @diff = compare($got, $want);
    check(!@diff, "$mpm, $label: /server-status?auto equals the requests sent, every counter, "
          . "summed and per virtual host", join "\n", @diff);
    my ($logged) = from_access_log($dir, $port);
    my @ldiff = compare($logged, { map { $_ => $want->{$_} } grep { $want->{$_} } keys %$want });
    check(!@ldiff, "$mpm, $label: the access log's %{PREFLIGHT}e and %{PREFLIGHT_BACKEND}e say the same",
          join "\n", @ldiff);
    printf "counters: %s, %s: %d requests in %.1f s over %d connections in parallel, "
        . "served by %d processes so far; %s\n",
        $mpm, $label, $sent, $secs, $CLIENTS, children_served($dir),
        join ', ', map { "$_ $got->{$_}" } @KEYS;
    return $secs;
}

sub measure {
    my ($mpm, $dir, $port, $conf, $h) = @_;
    batch_checks($mpm, 'first run', $port, $dir, 1);
    my $kids = children_served($dir);
    check($kids >= 2, "$mpm: several children served ($kids)");

    # The restart comes in the middle of the second run, once a third of it
    # is answered: the old generation finishes its requests while the new
    # one starts.
    my $from = lines("$dir/access_log");
    my $third = int(batch_size() / 3);
    batch_checks($mpm, 'second run, a graceful restart in its middle (same hosts: kept)',
                 $port, $dir, 2, sub {
                     my $end = time + 60;
                     sleep 0.01 while lines("$dir/access_log") < $from + $third && time < $end;
                     graceful_httpd($h);
                 });
    check(wait_generation($dir, 2), "$mpm: the graceful restart happened");

    spew($conf, config($mpm, $dir, $port, @HOSTS, 'c.test'));
    graceful_httpd($h);
    check(wait_generation($dir, 3), "$mpm: graceful restart with one more virtual host done");
    my $got = status_auto($port);
    my @nonzero = grep { $got->{$_} } sort keys %$got;
    my $all = grep { exists $got->{$_} } @KEYS;
    check(!@nonzero && $all == @KEYS, "$mpm: one more virtual host: every counter starts from zero",
          "non-zero: @nonzero; keys present: $all of " . scalar @KEYS);
    open my $fh, '<', "$dir/error_log";
    my $notice = grep { /the virtual hosts changed: mod_preflight's decision counters start again from zero/ } <$fh>;
    check($notice == 1, "$mpm: the restart from zero is logged once ($notice)");

    # A plain restart (SIGHUP: every child stopped at once) keeps them too.
    my $sock;
    my ($ca) = grep { $_->[0] eq 'ca' } @CLASSES;
    my @st = map { exchange(\$sock, $port, request_bytes($ca, 'c.test', $port), 'GET') } 1 .. 7;
    undef $sock;
    kill 'HUP', read_pid("$dir/httpd.pid");
    check(wait_generation($dir, 4), "$mpm: plain restart (SIGHUP) done");
    $got = status_auto($port);
    check(!(grep { $_ ne 200 } @st) && ($got->{PreflightCorsAllowed} // 0) == 7
          && ($got->{"PreflightCorsAllowed.c.test.$port"} // 0) == 7,
          "$mpm: a plain restart keeps the counts (7 cors-allowed for c.test)",
          "statuses @st; PreflightCorsAllowed " . ($got->{PreflightCorsAllowed} // 'absent'));
}

die "$SO is missing: build it first (make)\n" unless -f $SO;
run_mpm($_) for @MPMS;
exit finish();
