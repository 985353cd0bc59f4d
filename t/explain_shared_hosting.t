use strict;
use warnings FATAL => 'all';

# The explain handler on a shared host (README "The explain handler" and
# "Shared hosting"; t/conf/hosting.conf.in). SetHandler is a FileInfo
# directive, so a customer can name the handler in .htaccess; it answers
# only where the server configuration says PreflightExplain On, which
# .htaccess cannot say. Elsewhere it is 404, as if it did not exist, with
# one info line in the error log; the host's own locations answer for any
# uri, and PreflightExplain On NoPaths keeps every file system path out.

use Apache::Test;
use Apache::TestUtil;
use JSON::PP ();
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(raw_request raw_exchange parse_response fields_of log_has);

my $docroot    = Apache::Test::vars('documentroot');
my $serverroot = Apache::Test::vars('serverroot');
my $error_log  = Apache::Test::vars('t_logs') . '/error_log';

my $BOB = 'https://bob-app.example';
my %htaccess = (
    alice => "PreflightEngine On\nPreflightAllowOrigin https://alice-app.example\n"
           . "SetHandler preflight-explain\n",
    bob   => "PreflightEngine On\nPreflightAllowOrigin $BOB\nPreflightAllowCredentials On\n",
    'alice/try' => "PreflightExplain On\n",
    'alice/add' => "AddHandler preflight-explain .txt\n",
);
t_write_file("$docroot/hosting/$_/.htaccess", $htaccess{$_}) for sort keys %htaccess;
t_write_file("$docroot/hosting/alice/add/page.txt", "alice's other page\n");

my $ASK_BOB = 'uri=/hosting/bob/secret.txt&origin=https://x.example.com';

# [name, request path, expectations]
#   status     the HTTP status
#   json       the body is a JSON document (1) or not (0)
#   lacks      strings the body must not hold
#   has        strings the body must hold
#   logged     a regex the error log must match since the request
my @cases = (
    [ "a customer's SetHandler, asking about the other customer",
      "/hosting/alice/?$ASK_BOB",
      { status => 404, json => 0, lacks => [$BOB, 'bob/.htaccess', '"policy"'],
        logged => qr{explain handler not enabled for /hosting/alice/: .*PreflightExplain On.*404} } ],
    [ "a customer's SetHandler, asking about their own directory",
      '/hosting/alice/page.txt?uri=/hosting/alice/page.txt',
      { status => 404, json => 0, lacks => ['alice-app.example', '"policy"'],
        logged => qr{explain handler not enabled for /hosting/alice/page\.txt} } ],
    [ "a customer's SetHandler, POST as well",
      "/hosting/alice/?$ASK_BOB",
      { method => 'POST', status => 404, json => 0, lacks => [$BOB] } ],
    [ "a customer's AddHandler",
      "/hosting/alice/add/page.txt?$ASK_BOB",
      { status => 404, json => 0, lacks => [$BOB],
        logged => qr{explain handler not enabled for /hosting/alice/add/page\.txt} } ],
    [ "a customer's PreflightExplain On",
      "/hosting/alice/try/?$ASK_BOB",
      { status => 500, json => 0, lacks => [$BOB],
        logged => qr{hosting/alice/try/\.htaccess: PreflightExplain not allowed here} } ],
    [ "the host's location explains the other customer",
      "/hosting-explain?$ASK_BOB",
      { status => 200, json => 1,
        has => [$BOB, "$docroot/hosting/bob/.htaccess", "$docroot/hosting/bob/secret.txt"] } ],
    [ "the host's NoPaths location explains it without paths",
      "/hosting-explain-nopaths?$ASK_BOB",
      { status => 200, json => 1, has => [$BOB, '"file": ".htaccess"'],
        lacks => [$docroot, $serverroot, '"file": "/'] } ],
);

plan tests => scalar(map { keys %{ $_->[2] } } @cases) - scalar(grep { $_->[2]{method} } @cases)
            + 2 * 2;

for my $c (@cases) {
    my ($name, $path, $want) = @$c;
    my $off = -s $error_log // 0;
    my $method = $want->{method} // 'GET';
    my $r = parse_response(raw_exchange(raw_request($method, $path, [],
                                                    $method eq 'POST' ? '' : undef)));
    my $json = eval { JSON::PP->new->decode($r->{body}) };
    ok t_cmp($r->{status}, $want->{status}, "$name: status");
    ok t_cmp($json ? 1 : 0, $want->{json}, "$name: JSON answer")
        if exists $want->{json};
    ok t_cmp(join(', ', grep { index($r->{body}, $_) >= 0 } @{ $want->{lacks} }), '',
             "$name: the answer holds none of @{ $want->{lacks} }")
        if $want->{lacks};
    ok t_cmp(join(', ', grep { index($r->{body}, $_) < 0 } @{ $want->{has} }), '',
             "$name: the answer holds all of @{ $want->{has} }")
        if $want->{has};
    ok t_cmp(log_has($off, [$want->{logged}]), 1, "$name: the error log says why")
        if $want->{logged};
}

# What the host's answers say about the lookup: the file's path where paths
# are shown, none with NoPaths.
for my $loc (['/hosting-explain', "$docroot/hosting/bob/secret.txt"],
             ['/hosting-explain-nopaths', undef]) {
    my $r = parse_response(raw_exchange(raw_request('GET', "$loc->[0]?$ASK_BOB")));
    my $json = JSON::PP->new->decode($r->{body});
    ok t_cmp($json->{lookup}{filename}, $loc->[1], "$loc->[0]: lookup filename");
    ok t_cmp(join(',', map { $_->{file} } @{ $json->{policy}{PreflightAllowOrigin}{set_at} }),
             $loc->[1] ? "$docroot/hosting/bob/.htaccess" : '.htaccess',
             "$loc->[0]: where PreflightAllowOrigin was set");
}
