# tools/server.sh: sourced (". tools/server.sh") from the top of the tree by
# the shell scripts that run a private httpd. Each function runs
# t/lib/PreflightServer.pm, which holds the logic and is what the Perl tests
# use; see there for the options.
#   free_port [N]                        N distinct free ports on 127.0.0.1
#   httpd_start CONF ROOT PIDFILE [PORT] [OPTIONS] [-- PREFIX...]   prints the pid
#   httpd_wait PIDFILE PORT [OPTIONS]    for a server started otherwise; prints the pid
#   httpd_stop PIDFILE [--timeout=S]     prints the pid it stopped
#   httpd_graceful PIDFILE               SIGUSR1
PF_SERVER=${PF_SERVER:-$(pwd)/t/lib/PreflightServer.pm}

free_port() { perl "$PF_SERVER" free-port "$@"; }
httpd_start() { perl "$PF_SERVER" start "$@"; }
httpd_wait() { perl "$PF_SERVER" wait "$@"; }
httpd_stop() { perl "$PF_SERVER" stop "$@"; }
httpd_graceful() { perl "$PF_SERVER" graceful "$@"; }
