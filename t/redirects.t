# Redirects (README "Behaviour in detail", Redirects): a 3xx in scope
# carries the actual-request CORS headers, since a browser checks CORS on
# the redirect before following it; a preflight is answered before any
# redirect of its section, whichever module would send it.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(:DEFAULT :act);
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use JSON::PP;

my %preflight = (%allowed, 'Access-Control-Allow-Methods' => 'GET, PUT');
my @pf_put = ('Access-Control-Request-Method' => 'PUT');

my @cases = (
    # mod_dir: a directory without its trailing slash
    { name => 'mod_dir redirect, allowed origin',
      req => [GET => '/act/redir/pages', [Origin => $APP]],
      status => 301, hdr => {%allowed}, tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'mod_dir redirect, refused origin',
      req => [GET => '/act/redir/pages', [Origin => $EVIL]],
      status => 301, no_acx => 1, tokens => { Vary => ['Origin'] },
      pf => 'cors-denied-origin' },
    { name => 'mod_dir: preflight answered, not redirected',
      req => [OPTIONS => '/act/redir/pages', [Origin => $APP, @pf_put]],
      status => 204, hdr => {%preflight}, absent => ['Location'],
      pf => 'preflight-allowed' },

    # Redirect in a <Location>
    { name => 'Redirect in the section, allowed origin',
      req => [GET => '/act/redir/moved.txt', [Origin => $APP]],
      status => 301, hdr => {%allowed}, tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'Redirect in the section, refused origin',
      req => [GET => '/act/redir/moved.txt', [Origin => $EVIL]],
      status => 301, no_acx => 1, pf => 'cors-denied-origin' },
    { name => 'Redirect in the section: preflight answered, not redirected',
      req => [OPTIONS => '/act/redir/moved.txt', [Origin => $APP, @pf_put]],
      status => 204, hdr => {%preflight}, absent => ['Location'], empty => 1,
      pf => 'preflight-allowed' },
    { name => 'Redirect in the section: refused preflight, 403 not 301',
      req => [OPTIONS => '/act/redir/moved.txt', [Origin => $EVIL, @pf_put]],
      status => 403, no_acx => 1, absent => ['Location'],
      body => '', pf => 'preflight-denied-origin' },

    # RewriteRule [R] in a <Location>
    { name => 'RewriteRule [R], allowed origin',
      req => [GET => '/act/redir/old.txt', [Origin => $APP]],
      status => 302, hdr => {%allowed}, tokens => { Vary => ['Origin'] },
      pf => 'cors-allowed' },
    { name => 'RewriteRule [R], refused origin',
      req => [GET => '/act/redir/old.txt', [Origin => $EVIL]],
      status => 302, no_acx => 1, pf => 'cors-denied-origin' },
    { name => 'RewriteRule [R]: preflight answered, not redirected',
      req => [OPTIONS => '/act/redir/old.txt', [Origin => $APP, @pf_put]],
      status => 204, hdr => {%preflight}, absent => ['Location'],
      pf => 'preflight-allowed' },

    # a server-level Redirect, under a <Location> policy
    { name => 'server-level Redirect, allowed origin: headers on the 307',
      req => [GET => '/act/redir-early/old.txt', [Origin => $APP]],
      status => 307, hdr => {%allowed}, pf => 'cors-allowed' },
    { name => 'server-level Redirect: preflight answered, not redirected',
      req => [OPTIONS => '/act/redir-early/old.txt', [Origin => $APP, @pf_put]],
      status => 204, hdr => {%preflight}, absent => ['Location'], empty => 1,
      pf => 'preflight-allowed' },

    # ... and under a <Directory> policy, which applies only after the URL
    # is translated: the redirect goes out first (the explain handler warns)
    { name => 'server-level Redirect before a <Directory> policy',
      req => [OPTIONS => '/act/redir-dir/old.txt', [Origin => $APP, @pf_put]],
      status => 307, no_acx => 1 },
    { name => '<Directory> policy, no redirect: preflight answered',
      req => [OPTIONS => '/act/redir-dir/data.txt', [Origin => $APP, @pf_put]],
      status => 204, hdr => {%preflight}, pf => 'preflight-allowed' },
);

# The explain handler says when a preflight would be redirected before the
# module answers it (README "The explain handler"): under a <Directory>
# policy and a server-level Redirect; not where a <Location> policy answers
# in the redirect's place, nor without a redirect.
my @explained = (
    ['/act/redir-dir/old.txt', qr/^a preflight to this uri is redirected \(307 to \S+\/act\/basic\/data\.txt\) before mod_preflight answers it/],
    ['/act/redir-early/old.txt', undef],
    ['/act/redir-dir/data.txt', undef],
);

plan tests => case_tests(@cases) + 2 * @explained;
run_cases(@cases);

for my $e (@explained) {
    my ($uri, $warns) = @$e;
    my $r = GET("/explain?uri=$uri&origin=$APP&method=PUT");
    my $json = eval { decode_json($r->content) } || {};
    my @w = @{ $json->{warnings} || [] };
    ok t_cmp($r->code, 200, "explain $uri: answered");
    ok t_cmp(join(' | ', @w), $warns // '', "explain $uri: " . ($warns ? 'warns' : 'no warning'));
}
