package WordPressSite;

# The one place that starts and stops a WordPress site for the tests:
# Debian's WordPress (a private copy of /usr/share/wordpress with its own
# wp-config.php), a private MariaDB (own datadir and socket,
# --skip-networking), PHP either from a private php-fpm (own pool, socket,
# pid and access log) behind httpd's event MPM and mod_proxy_fcgi, or as
# mod_php under prefork, and httpd from t/field/conf/wordpress.conf.in on
# 127.0.0.1 and a free port. Everything lives in one temporary directory
# (KEEP=1 keeps it), and every process is stopped by its pid, also when the
# caller dies (END) or is interrupted. Nothing under /etc is read for the
# site's configuration or written.
#
#   use WordPressSite;
#   my $wp = WordPressSite->start(mode => 'fpm', policy => $lines, policy_in => 'htaccess');
#   ... requests to $wp->{url} ...
#   $wp->httpd(module => 0);           # httpd again, another configuration
#   $wp->stop;
#
# start(%o) installs the site once and starts everything; it dies when
# something does not come up, after stopping what did. Options:
#   mode         'fpm' (event MPM, mod_proxy_fcgi, php-fpm) or 'modphp'
#                (prefork, mod_php)
#   and every option of httpd() below.
# httpd(%o) stops httpd and starts it again with a new configuration, on the
# same port; the database and php-fpm keep running. Options:
#   module       1 (default): load mod_preflight; 0: httpd without it
#   policy       directive lines for the whole site, placed by policy_in
#   policy_in    'directory' (default): inside the site's <Directory>;
#                'htaccess': in the site's .htaccess, after WordPress's own
#                rewrite rules (between "# BEGIN mod_preflight" and
#                "# END mod_preflight"); a URL path such as '/wp-json/':
#                in a <Location> of that path
#   directory    more lines for the site's <Directory> (the host's part)
#   server_conf  lines at the server level (PreflightTenantLimit, LogLevel)
# Fields of the returned object:
#   url          http://127.0.0.1:PORT, the site's home (WP_HOME)
#   port, root (the temporary directory), site (the document root)
#   htaccess     the site's .htaccess; wp_rules, WordPress's rewrite rules
#   error_log, access_log   httpd's; the access log has one line a request:
#                "REQUEST LINE" STATUS pf=%{PREFLIGHT}e redir_pf=%{REDIRECT_PREFLIGHT}e
#   php_log      one line for every request PHP ran, "METHOD REQUEST_URI ...":
#                php-fpm's access log, or with mod_php the line
#                log-request.php (auto_prepend_file) writes
#   versions     { wordpress, php, database, httpd, php_sapi }
# stop() stops httpd, php-fpm and MariaDB, each by its pid.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use JSON::PP;
use IO::Socket::UNIX;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);
use PreflightServer qw(free_port start_httpd stop_httpd read_pid run_captured fill_template stop_on_signals spew);

my $SRC = abs_path(dirname(__FILE__) . '/../..');
my $WORDPRESS = $ENV{WORDPRESS_DIR} // '/usr/share/wordpress';
my $HTTPD = $ENV{HTTPD} // '/usr/sbin/apache2';
my $PHP = '/usr/bin/php8.2';
my $PHP_FPM = '/usr/sbin/php-fpm8.2';

my @LIVE;

# ---- small helpers

sub slurp {
    my $file = shift;
    open my $fh, '<', $file or return '';
    local $/;
    return scalar <$fh> // '';
}



sub tail {
    my ($file, $n) = @_;
    my @lines = split /\n/, slurp($file);
    splice @lines, 0, @lines - ($n // 20) if @lines > ($n // 20);
    return @lines ? "\n--- last lines of $file\n" . join("\n", @lines) . "\n"
                  : "\n(nothing in $file)\n";
}


sub must {
    my @cmd = @_;
    my $out = run_captured(@cmd);
    die "'@cmd' failed (exit status " . ($? >> 8) . "):\n$out" if $?;
    return $out;
}

# A process of our own, its output in $log.
sub spawn {
    my ($log, @cmd) = @_;
    my $pid = fork // die "fork: $!\n";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT;
        exec @cmd or POSIX::_exit(127);
    }
    return $pid;
}

sub running {
    my $pid = shift;
    return 0 if !$pid || waitpid($pid, WNOHANG) == $pid;
    return kill 0, $pid;
}

# Polls $ready until it is true; dies naming $what and the log's tail when
# the time is up or the process $pid is gone.
sub wait_for {
    my ($what, $pid, $log, $ready, $timeout) = @_;
    my $end = time + ($timeout // 60);
    while (1) {
        return 1 if $ready->();
        die "$what: the process exited" . tail($log) unless running($pid);
        die "$what: not ready within " . ($timeout // 60) . " s" . tail($log) if time > $end;
        sleep 0.1;
    }
}

sub random_word {
    my $n = shift // 40;
    my @c = ('a' .. 'z', 'A' .. 'Z', 0 .. 9);
    return join '', map { $c[rand @c] } 1 .. $n;
}

sub first_line { (split /\n/, shift // '')[0] // '' }

# ---- the parts

sub is_root { $> == 0 }

sub start_mariadb {
    my $self = shift;
    my $db = $self->{db_dir} = "$self->{root}/db";
    mkdir $db or die "mkdir $db: $!\n";
    my @user;
    if (is_root()) {
        # mariadbd will not run as root without being told to; it runs as
        # nobody, in a directory of its own.
        my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
        chown $uid, $gid, $db or die "chown $db: $!\n";
        @user = ('--user=nobody');
    }
    $self->{db_socket} = "$db/mysqld.sock";
    my $log = "$self->{root}/mariadb.log";
    must('mariadb-install-db', '--no-defaults', "--datadir=$db/data", @user,
         '--auth-root-authentication-method=normal', '--skip-test-db');
    $self->{db} = { child => spawn($log, 'mariadbd', '--no-defaults', "--datadir=$db/data",
        "--socket=$self->{db_socket}", "--pid-file=$db/mysqld.pid", '--skip-networking',
        "--tmpdir=$db", '--innodb-buffer-pool-size=32M', '--skip-log-bin', @user),
        pidfile => "$db/mysqld.pid" };
    $self->{db}{pid} = $self->{db}{child};
    wait_for('MariaDB', $self->{db}{child}, $log, sub {
        -S $self->{db_socket} && IO::Socket::UNIX->new(Peer => $self->{db_socket}) });
    $self->{db_password} = random_word(20);
    must('mariadb', '--no-defaults', "--socket=$self->{db_socket}", '-uroot', '-e',
         "CREATE DATABASE wordpress CHARACTER SET utf8mb4;"
         . " CREATE USER 'wordpress'\@'localhost' IDENTIFIED BY '$self->{db_password}';"
         . " GRANT ALL ON wordpress.* TO 'wordpress'\@'localhost';");
}

# A copy of Debian's tree rather than symlinks: PHP resolves a symlinked
# script to its target, and /usr/share/wordpress/wp-load.php would then read
# Debian's wp-config.php, which reads /etc/wordpress.
sub install_wordpress {
    my $self = shift;
    my $site = $self->{site} = "$self->{root}/site";
    must('cp', '-a', $WORDPRESS, $site);
    unlink "$site/.htaccess", "$site/wp-config.php";    # Debian's: links into /etc
    my %salt = map { ("SALT$_" => random_word(64)) } 1 .. 8;
    spew("$site/wp-config.php", fill_template("$SRC/t/field/conf/wp-config.php.in",
        DB_PASSWORD => $self->{db_password}, DB_SOCKET => $self->{db_socket},
        URL => $self->{url}, PORT => $self->{port}, %salt));
    my $out = must($PHP, "$SRC/t/field/wordpress/install.php", $site, $self->{url});
    my ($json) = $out =~ /^(\{.*\})\s*\z/ms
        or die "install.php said something else than its JSON line:\n$out";
    my $info = decode_json($json);
    $self->{wp_rules} = $info->{rewrite_rules};
    $self->{htaccess} = "$site/.htaccess";
    $self->{wp_htaccess} = slurp($self->{htaccess});
    $self->{wp_htaccess} =~ /# BEGIN WordPress/ or die "install.php wrote no WordPress block into $self->{htaccess}\n";
    must('chmod', '-R', 'a+rX', $site);
    $self->{versions} = {
        wordpress => $info->{wordpress},
        php => $info->{php},
        database => $info->{database},
        httpd => first_line(run_captured($HTTPD, '-v')) =~ s/^Server version:\s*//r,
    };
}

sub user_lines {
    my $style = shift;
    return '' unless is_root();
    return $style eq 'httpd' ? "User nobody\nGroup nogroup" : "user = nobody\ngroup = nogroup";
}

sub start_php_fpm {
    my $self = shift;
    my $root = $self->{root};
    spew("$root/php-fpm.conf", fill_template("$SRC/t/field/conf/wordpress-php-fpm.conf.in",
        ROOT => $root, USER => user_lines('fpm')));
    my $log = "$root/php-fpm.out";
    $self->{fpm} = { child => spawn($log, $PHP_FPM, '--nodaemonize', '--fpm-config',
        "$root/php-fpm.conf", '--prefix', $root), pidfile => "$root/php-fpm.pid" };
    $self->{fpm}{pid} = $self->{fpm}{child};
    wait_for('php-fpm', $self->{fpm}{child}, "$root/php-fpm.log", sub {
        -S "$root/php-fpm.sock" && (read_pid("$root/php-fpm.pid") // 0) == $self->{fpm}{child} });
    $self->{php_log} = "$root/php-fpm-access.log";
    my ($version) = first_line(run_captured($PHP_FPM, '-v')) =~ /^PHP (\S+)/;
    $self->{versions}{php_sapi} = 'php-fpm8.2 ' . ($version // '(version unknown)');
}

sub prepare_mod_php {
    my $self = shift;
    my $root = $self->{root};
    $self->{php_log} = "$root/php-requests.log";
    spew($self->{php_log}, '');
    chmod 0666, $self->{php_log};
    # Written by PHP as the request starts, before WordPress runs.
    spew("$root/log-request.php", "<?php\nfile_put_contents('$self->{php_log}',"
        . " \$_SERVER['REQUEST_METHOD'] . ' ' . \$_SERVER['REQUEST_URI'] . \"\\n\","
        . " FILE_APPEND | LOCK_EX);\n");
    chmod 0644, "$root/log-request.php";
    my $pkg = run_captured('dpkg-query', '-W', '-f=${Version}', 'libapache2-mod-php8.2');
    $self->{versions}{php_sapi} = "mod_php (libapache2-mod-php8.2 $pkg)";
}

# ---- the API

sub start {
    my ($class, %o) = @_;
    my $mode = delete $o{mode} // 'fpm';
    die "WordPressSite: mode is fpm or modphp, not $mode\n" unless $mode =~ /^(?:fpm|modphp)$/;
    my $root = tempdir('pf-wp-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP});
    chmod 0755, $root;    # httpd's children, php-fpm's and MariaDB run as nobody
    my $port = free_port();
    my $self = bless { mode => $mode, root => $root, port => $port,
                       url => "http://127.0.0.1:$port",
                       error_log => "$root/error_log", access_log => "$root/access_log" }, $class;
    push @LIVE, $self;
    stop_on_signals();
    my $ok = eval {
        $self->start_mariadb;
        $self->install_wordpress;
        $mode eq 'fpm' ? $self->start_php_fpm : $self->prepare_mod_php;
        $self->httpd(%o);
        1;
    };
    return $self if $ok;
    my $why = $@;
    $self->stop;
    die "WordPressSite: $why";
}

sub httpd {
    my ($self, %o) = @_;
    my %known = map { $_ => 1 } qw(module policy policy_in directory server_conf);
    for (keys %o) { die "WordPressSite::httpd: unknown option $_\n" unless $known{$_} }
    my $module = $o{module} // 1;
    my $in = $o{policy_in} // 'directory';
    die "WordPressSite: policy_in is directory, htaccess or a URL path, not $in\n"
        unless $in =~ m{^(?:directory|htaccess|/[^\s"]*)$};
    my $policy = $o{policy} // '';
    die "WordPressSite: a policy needs the module\n" if !$module && ($policy =~ /\S/ || ($o{server_conf} // '') =~ /Preflight/);
    stop_httpd($self->{httpd}) if $self->{httpd};
    delete $self->{httpd};

    my $htaccess = $self->{wp_htaccess};
    $htaccess .= "\n# BEGIN mod_preflight\n$policy\n# END mod_preflight\n" if $in eq 'htaccess' && $policy =~ /\S/;
    spew($self->{htaccess}, $htaccess);
    chmod 0644, $self->{htaccess};
    my $dir = join "\n", grep { /\S/ } $o{directory} // '', $in eq 'directory' ? $policy : '';
    my $server = $o{server_conf} // '';
    $server .= "\n<Location \"$in\">\n" . ($policy =~ s/^/    /mgr) . "</Location>\n" if $in =~ m{^/};
    my $module_path = "$SRC/.libs/mod_preflight.so";
    die "$module_path is missing: run make first\n" if $module && !-f $module_path;
    my $conf = "$self->{root}/httpd.conf";
    spew($conf, fill_template("$SRC/t/field/conf/wordpress.conf.in",
        ROOT => $self->{root}, SITE => $self->{site}, PORT => $self->{port},
        MODULE => $module_path, USER => user_lines('httpd'),
        SERVER_CONF => $server, DIRECTORY_POLICY => $dir =~ s/^/    /mgr));
    my @defines = ('-D', $self->{mode} eq 'fpm' ? 'WP_FPM' : 'WP_MODPHP',
                   $module ? ('-D', 'PREFLIGHT') : ());
    $self->{httpd} = start_httpd(httpd => $HTTPD, conf => $conf, root => $self->{root},
        pidfile => "$self->{root}/httpd.pid", port => $self->{port}, args => \@defines);
    $self->{httpd_options} = { %o, module => $module, policy_in => $in };
    return $self;
}

sub stop {
    my $self = shift;
    stop_httpd($self->{httpd}) if $self->{httpd};
    stop_httpd($self->{fpm}, timeout => 20) if $self->{fpm};
    stop_httpd($self->{db}, timeout => 60) if $self->{db};
    delete @$self{qw(httpd fpm db)};
    @LIVE = grep { $_ != $self } @LIVE;
    return 1;
}

END { $_->stop for @LIVE }

1;
