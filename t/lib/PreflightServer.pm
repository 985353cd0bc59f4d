package PreflightServer;

# Private httpd servers for the tests and tools that run their own (the
# Apache::Test suite runs its server itself): a free port on 127.0.0.1, and
# an httpd started, waited for and stopped by the pid in its pid file, never
# by name and never through a system service.
#
# Perl:  use PreflightServer qw(free_port start_httpd stop_httpd ...);
#        fill_template(FILE, NAME => value, ...) fills a *.conf.in;
#        run_captured(COMMAND...) runs a command for its output
# Shell: tools/server.sh wraps the same code, run as a script:
#   perl t/lib/PreflightServer.pm free-port [N]
#       N distinct free ports, one a line
#   perl t/lib/PreflightServer.pm start CONF ROOT PIDFILE [PORT] [OPTIONS] [-- PREFIX...]
#       starts httpd (-k start, or -X with --foreground), prints its pid once
#       the pid file names a live process and PORT (default: the first Listen
#       of CONF) accepts connections; PREFIX runs it (valgrind ..., taskset ...)
#       OPTIONS: --foreground --answer --timeout=S --output=FILE
#                --error-log=FILE --httpd=PATH --define=NAME
#   perl t/lib/PreflightServer.pm wait PIDFILE PORT [--timeout=S] [--error-log=FILE]
#       the same wait for a server something else started; prints its pid
#   perl t/lib/PreflightServer.pm stop PIDFILE [--timeout=S]
#       SIGTERM, then SIGKILL after the bound; prints the pid it stopped;
#       exit status 1 when SIGTERM was not enough
#   perl t/lib/PreflightServer.pm graceful PIDFILE
#       SIGUSR1: a graceful restart
# A server that does not come up is stopped again, and the error names what
# was missing and ends with the last lines of its error log.
use strict;
use warnings;

use Exporter qw(import);
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(free_port start_httpd wait_httpd stop_httpd graceful_httpd read_pid
                    run_captured fill_template stop_on_signals spew);

# Writes TEXT to FILE, whole; dies when it cannot.
sub spew {
    my ($file, $text) = @_;
    open my $fh, '>', $file or die "cannot write $file: $!\n";
    print $fh $text;
    close $fh or die "cannot write $file: $!\n";
}

my %handed_out;

# A port nothing listens on now, never one this process handed out before:
# the kernel may offer the same ephemeral port twice once the probe socket
# is closed, and a server given two equal Listen lines does not start.
sub free_port {
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                      LocalPort => 0, ReuseAddr => 1)
            or die "free_port: cannot bind 127.0.0.1: $!\n";
        my $port = $s->sockport;
        close $s;
        return $port unless $handed_out{$port}++;
    }
    die "free_port: no new free port on 127.0.0.1 after 100 tries\n";
}

sub read_pid {
    my $pidfile = shift;
    open my $fh, '<', $pidfile or return undef;
    my ($pid) = (<$fh> // '') =~ /^\s*(\d+)/;
    return $pid;
}

# A zombie still answers kill 0; it counts as gone.
sub alive {
    my ($pid, $child) = @_;
    return 0 unless $pid;
    if ($child && $pid == $child) {
        return 0 if waitpid($child, WNOHANG) == $child;
    }
    return 0 unless kill 0, $pid;
    open my $fh, '<', "/proc/$pid/stat" or return 1;
    return (<$fh> // '') !~ /\) [ZX] /;
}

sub accepts {
    my $port = shift;
    return defined IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                         Timeout => 2);
}

# An HTTP answer, not just a connection the kernel queued: a server still
# starting under valgrind has its socket open long before it reads from it.
sub answers {
    my $port = shift;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 2)
        or return 0;
    print $s "GET / HTTP/1.0\r\nHost: 127.0.0.1:$port\r\n\r\n";
    my ($got, $end) = ('', time + 10);
    while (time < $end && length $got < 8) {
        my $in = '';
        vec($in, fileno $s, 1) = 1;
        select($in, undef, undef, $end - time) or last;
        sysread($s, $got, 64, length $got) or last;
    }
    return $got =~ m{^HTTP/};
}

sub conf_text {
    my $conf = shift;
    open my $fh, '<', $conf or return '';
    local $/;
    return <$fh>;
}

sub listen_port {
    my $conf = shift;
    my ($port) = conf_text($conf) =~ /^\s*Listen\s+(?:\S*:)?(\d+)\s*$/mi;
    return $port;
}

sub error_log_of {
    my ($conf, $root) = @_;
    my ($log) = conf_text($conf) =~ /^\s*ErrorLog\s+"?([^"\s]+)"?/mi;
    return undef unless defined $log;
    $log =~ s/\$\{(\w+)\}/$ENV{$1} \/\/ ''/ge;
    return $log =~ m{^/} ? $log : "$root/$log";
}

sub log_tail {
    my $file = shift;
    return "\n(no error log known)" unless defined $file;
    open my $fh, '<', $file or return "\n(no error log at $file)";
    my @lines = <$fh>;
    splice @lines, 0, @lines - 20 if @lines > 20;
    return "\n--- last lines of $file\n" . join '', @lines;
}

# A configuration template's text with every @NAME@ replaced by its value;
# a name without a value is an error, so a template and its caller cannot
# drift apart unnoticed.
sub fill_template {
    my ($template, %v) = @_;
    open my $in, '<', $template or die "cannot read $template: $!\n";
    my $text = do { local $/; <$in> };
    $text =~ s/\@(\w+)\@/exists $v{$1} ? $v{$1} : die "$template: no value for \@$1\@\n"/ge;
    return $text;
}

# The output of a command, stderr included, and its exit status in $?.
sub run_captured {
    my @cmd = @_;
    my $pid = open(my $out, '-|') // die "fork: $!\n";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDERR, '>&', \*STDOUT;
        exec @cmd or do { print "exec $cmd[0]: $!\n"; POSIX::_exit(127) };
    }
    local $/;
    my $text = <$out> // '';
    close $out;
    return $text;
}

# A script that starts servers stops them in END blocks, which a signal
# would skip: INT, TERM and HUP end it through exit instead, which runs them,
# unless the script set its own handler.
# start_httpd calls it; a script that starts other programs first calls it
# itself.
sub stop_on_signals {
    for my $sig (qw(INT TERM HUP)) {
        $SIG{$sig} = sub { warn "interrupted by SIG$sig\n"; exit 1 }
            if !$SIG{$sig} || $SIG{$sig} eq 'DEFAULT';
    }
}

# start_httpd(conf => FILE, root => DIR, pidfile => FILE, %optional):
#   port        the port to wait for (default: the first Listen of conf)
#   httpd       the binary (default $ENV{HTTPD} or /usr/sbin/apache2)
#   prefix      [command words] to run httpd under: valgrind, taskset, ...
#   args        [more httpd arguments], e.g. -D NAME
#   foreground  run httpd -X as a child of this process instead of -k start
#   output      where a foreground httpd's stdout and stderr go (/dev/null)
#   answer      wait for an HTTP answer rather than an accepted connection
#   timeout     seconds to wait (default 30)
#   error_log   the log whose tail a failure shows (default: ErrorLog of conf)
# Returns a handle { pid, port, pidfile, ... } for stop_httpd; dies when the
# server does not come up, after stopping whatever did start.
sub start_httpd {
    my %o = @_;
    for (qw(conf root pidfile)) { die "start_httpd: no $_ given\n" unless defined $o{$_} }
    stop_on_signals();
    my $port = $o{port} // listen_port($o{conf})
        // die "start_httpd: no port given and no Listen line in $o{conf}\n";
    my $httpd = $o{httpd} // $ENV{HTTPD} // '/usr/sbin/apache2';
    my $old = read_pid($o{pidfile});
    die "start_httpd: $o{pidfile} names pid $old, which still runs\n" if alive($old);
    unlink $o{pidfile};
    my $h = { port => $port, pidfile => $o{pidfile}, conf => $o{conf},
              root => $o{root}, error_log => $o{error_log} // error_log_of($o{conf}, $o{root}) };
    my @cmd = (@{ $o{prefix} || [] }, $httpd, '-d', $o{root}, '-f', $o{conf},
               @{ $o{args} || [] });
    if ($o{foreground}) {
        my $pid = fork // die "fork: $!\n";
        if (!$pid) {
            open STDIN, '<', '/dev/null';
            open STDOUT, '>', $o{output} // '/dev/null' or POSIX::_exit(126);
            open STDERR, '>&', \*STDOUT;
            exec @cmd, '-X' or POSIX::_exit(127);
        }
        $h->{child} = $pid;
    }
    else {
        my $out = run_captured(@cmd, '-k', 'start');
        if ($?) {
            die "httpd did not start: '@cmd -k start' exited with status " . ($? >> 8)
                . ":\n$out" . log_tail($h->{error_log});
        }
        print STDERR $out if length $out;
    }
    my $up = eval {
        local $SIG{INT} = local $SIG{TERM} = sub { die "interrupted\n" };
        wait_httpd($h, timeout => $o{timeout}, answer => $o{answer});
        1;
    };
    return $h if $up;
    my $why = $@;
    stop_httpd($h, timeout => 5, quiet => 1);
    die $why;
}

# wait_httpd($handle, timeout => S, answer => 1): until the pid file names a
# live process and the port accepts connections (or answers HTTP). Sets
# $handle->{pid}; dies with what was missing and the error log's tail.
sub wait_httpd {
    my ($h, %o) = @_;
    my $timeout = $o{timeout} // 30;
    my $end = time + $timeout;
    my $probe = $o{answer} ? \&answers : \&accepts;
    my $missing;
    while (1) {
        my $pid = read_pid($h->{pidfile});
        if ($h->{child} && !alive($h->{child}, $h->{child})) {
            $missing = "it exited (status " . ($? >> 8) . ", signal " . ($? & 127) . ")";
            last;
        }
        if (!$pid) {
            $missing = "no pid in $h->{pidfile}";
        }
        elsif (!alive($pid, $h->{child})) {
            $missing = "$h->{pidfile} names pid $pid, which does not run";
        }
        elsif ($h->{child} && $pid != $h->{child}) {
            # The requests would go to some other server than the one
            # started here (under valgrind, say).
            $missing = "$h->{pidfile} names pid $pid, not the pid $h->{child} started here";
            last;
        }
        elsif (!$probe->($h->{port})) {
            $missing = $o{answer} ? "no HTTP answer on 127.0.0.1:$h->{port}"
                                  : "nothing accepts connections on 127.0.0.1:$h->{port}";
        }
        else {
            $h->{pid} = $pid;
            return $h;
        }
        last if time >= $end;
        sleep 0.1;
    }
    die "httpd did not come up within $timeout s"
        . ($h->{conf} ? " (config $h->{conf})" : '') . ": $missing" . log_tail($h->{error_log}) . "\n";
}

# stop_httpd($handle or PIDFILE, timeout => S, signal => NAME): signal
# (TERM) the pid, wait up to S seconds (15) for it to exit, then KILL it.
# Returns true when it is gone without the KILL (or nothing ran).
sub stop_httpd {
    my ($h, %o) = @_;
    local $?;    # reaping the child must not change an END block's exit status
    $h = { pidfile => $h } unless ref $h;
    my $child = $h->{child};
    my $pid = alive($h->{pid}, $child) ? $h->{pid} : read_pid($h->{pidfile});
    $pid = $child if !alive($pid, $child) && alive($child, $child);
    $h->{stopped} = undef;
    return 1 unless alive($pid, $child);
    my $signal = $o{signal} // 'TERM';
    my $timeout = $o{timeout} // 15;
    kill $signal, $pid;
    my $end = time + $timeout;
    sleep 0.05 while alive($pid, $child) && time < $end;
    my $clean = !alive($pid, $child);
    if (!$clean) {
        warn "httpd (pid $pid) did not stop within $timeout s of SIG$signal: killing it\n"
            unless $o{quiet} || $signal eq 'KILL';
        kill 'KILL', $pid;
        $end = time + 10;
        sleep 0.05 while alive($pid, $child) && time < $end;
    }
    # A zombie whose threads still exit is not reaped by alive()'s WNOHANG.
    waitpid($child, 0) if $child && $pid == $child && !alive($pid, $child);
    # A killed httpd leaves its pid file behind.
    unlink $h->{pidfile} if defined $h->{pidfile} && (read_pid($h->{pidfile}) // 0) == $pid;
    $h->{stopped} = $pid;
    return $clean || $signal eq 'KILL';
}

# graceful_httpd($handle or PIDFILE): SIGUSR1, httpd's graceful restart.
sub graceful_httpd {
    my $h = shift;
    my $pid = ref $h ? $h->{pid} // read_pid($h->{pidfile}) : read_pid($h);
    die "graceful_httpd: no running httpd\n" unless alive($pid);
    kill 'USR1', $pid or die "graceful_httpd: kill USR1 $pid: $!\n";
    return $pid;
}

# ---- as a script

sub options {
    my ($args, @known) = @_;
    my (%o, @rest);
    while (@$args) {
        my $a = shift @$args;
        if ($a eq '--') { $o{prefix} = [@$args]; last }
        if ($a =~ /^--([\w-]+)(?:=(.*))?$/) {
            my $name = $1 =~ tr/-/_/r;
            die "unknown option $a\n" unless grep { $_ eq $name } @known;
            if ($name eq 'define') { push @{ $o{args} }, '-D', $2 }
            else { $o{$name} = $2 // 1 }
            next;
        }
        push @rest, $a;
    }
    return (\%o, @rest);
}

sub main {
    my ($cmd, @args) = @_;
    $cmd //= '';
    if ($cmd eq 'free-port') {
        my $n = $args[0] // 1;
        print map { free_port . "\n" } 1 .. $n;
    }
    elsif ($cmd eq 'start') {
        my ($o, $conf, $root, $pidfile, $port) = options(\@args,
            qw(foreground answer timeout output error_log httpd define));
        die "usage: start CONF ROOT PIDFILE [PORT] [OPTIONS] [-- PREFIX...]\n" unless defined $pidfile;
        my $h = start_httpd(%$o, conf => $conf, root => $root, pidfile => $pidfile, port => $port);
        print "$h->{pid}\n";
    }
    elsif ($cmd eq 'wait') {
        my ($o, $pidfile, $port) = options(\@args, qw(timeout error_log answer));
        die "usage: wait PIDFILE PORT [--timeout=S] [--error-log=FILE]\n" unless defined $port;
        my $h = wait_httpd({ pidfile => $pidfile, port => $port, error_log => $o->{error_log} }, %$o);
        print "$h->{pid}\n";
    }
    elsif ($cmd eq 'stop') {
        my ($o, $pidfile) = options(\@args, qw(timeout));
        die "usage: stop PIDFILE [--timeout=S]\n" unless defined $pidfile;
        my $h = { pidfile => $pidfile };
        my $clean = stop_httpd($h, %$o);
        print "$h->{stopped}\n" if $h->{stopped};
        return $clean ? 0 : 1;
    }
    elsif ($cmd eq 'graceful') {
        die "usage: graceful PIDFILE\n" unless defined $args[0];
        graceful_httpd($args[0]);
    }
    else {
        die "usage: perl $0 free-port [N] | start CONF ROOT PIDFILE [PORT] ... | "
          . "wait PIDFILE PORT | stop PIDFILE | graceful PIDFILE\n";
    }
    return 0;
}

if (!caller) {
    my $status = eval { main(@ARGV) };
    if (!defined $status) {
        print STDERR $@;
        exit 1;
    }
    exit $status;
}

1;
