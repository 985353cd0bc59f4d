# The decision counters (README "Reading decisions", Counters): each
# decision counts once for its virtual host, by verdict, under On and
# ReportOnly apart, and so does each backend audit; /server-status shows
# them (the ?auto lines and an HTML section) and the explain handler's JSON
# has them. The suite's requests come one test file at a time, so what this
# file sends is the difference between two readings, exactly.
# Several children and MPMs: tools/counters.pl (the load stage).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET_BODY);
use JSON::PP ();
use LWP::UserAgent;
use FindBin;
use lib "$FindBin::Bin/lib";
use PreflightTest qw(:DEFAULT :act %H);

# mod_status is loaded by t/conf/counters.conf.in: missing, the test fails rather than skips.
plan tests => 9;

my @VERDICTS = qw(preflight-allowed preflight-denied-origin preflight-denied-method
                  preflight-denied-header preflight-denied-authorization cors-allowed
                  cors-denied-origin);
sub camel { join '', map { ucfirst } split /-/, shift }
my @KEYS = ((map { 'Preflight' . camel($_) } @VERDICTS),
            (map { 'PreflightReportOnly' . camel($_) } @VERDICTS),
            'PreflightBackendReplaced', 'PreflightBackendRemoved');

my $port = Apache::Test::vars('port');
my $LABEL = "127.0.0.1.$port";

sub auto {
    my %v;
    for (split /\n/, GET_BODY('/server-status?auto')) {
        $v{$1} = $2 if /^(Preflight[^:]*): (\d+)$/;
    }
    return \%v;
}

# What is sent: [count, request, the counters it adds one to].
my @sent = (
    [3, [OPTIONS => '/audit/data.txt', [Origin => $APP, ACRM => 'PUT']], ['PreflightPreflightAllowed']],
    [2, [OPTIONS => '/audit/data.txt', [Origin => $EVIL, ACRM => 'PUT']], ['PreflightPreflightDeniedOrigin']],
    [4, [OPTIONS => '/audit/data.txt', [Origin => $APP, ACRM => 'DELETE']], ['PreflightPreflightDeniedMethod']],
    [1, [OPTIONS => '/audit/data.txt', [Origin => $APP, ACRM => 'PUT', ACRH => 'x-evil']], ['PreflightPreflightDeniedHeader']],
    [5, [GET => '/audit/data.txt', [Origin => $APP]], ['PreflightCorsAllowed']],
    [6, [GET => '/audit/data.txt', [Origin => $EVIL]], ['PreflightCorsDeniedOrigin']],
    [7, [OPTIONS => '/audit-ro/data.txt', [Origin => $APP, ACRM => 'PUT']], ['PreflightReportOnlyPreflightAllowed']],
    [2, [OPTIONS => '/audit-ro/data.txt', [Origin => $EVIL, ACRM => 'PUT']], ['PreflightReportOnlyPreflightDeniedOrigin']],
    [3, [OPTIONS => '/audit-ro/data.txt', [Origin => $APP, ACRM => 'PATCH']], ['PreflightReportOnlyPreflightDeniedMethod']],
    [2, [OPTIONS => '/audit-ro/data.txt', [Origin => $APP, ACRM => 'GET', ACRH => 'x-evil']], ['PreflightReportOnlyPreflightDeniedHeader']],
    [4, [GET => '/audit-ro/data.txt', [Origin => $APP]], ['PreflightReportOnlyCorsAllowed']],
    [1, [GET => '/audit-ro/data.txt', [Origin => $EVIL]], ['PreflightReportOnlyCorsDeniedOrigin']],
    [3, [GET => '/audit/reflect.cgi?acao=fixed', [Origin => $APP]], ['PreflightCorsAllowed', 'PreflightBackendReplaced']],
    [2, [GET => '/audit/reflect.cgi?acao=fixed', [Origin => $EVIL]], ['PreflightCorsDeniedOrigin', 'PreflightBackendRemoved']],
    # counted nowhere: no Origin, out of scope, the explain handler
    [3, [GET => '/audit/data.txt', []], []],
    [2, [GET => '/act/srv/data.txt', [Origin => $APP]], []],
    [2, [GET => '/counters-explain?uri=/audit/data.txt&origin=https://app.example', []], []],
);

my $before = auto();
ok t_cmp(scalar(grep { exists $before->{$_} } @KEYS), scalar @KEYS,
         '?auto: every Preflight… line is there, counted or not');

my $ua = LWP::UserAgent->new(timeout => 30, max_redirect => 0);
my %want;
my $ok = 0;
my $total = 0;
for my $s (@sent) {
    my ($n, $req, $adds) = @$s;
    my ($method, $path, $hdrs) = @$req;
    my @h = @$hdrs;
    $h[$_] = $H{ $h[$_] } // $h[$_] for grep { $_ % 2 == 0 } 0 .. $#h;
    for (1 .. $n) {
        my $r = $ua->request(HTTP::Request->new($method, Apache::TestRequest::resolve_url($path), \@h));
        $ok++ if $r->code < 500;
        $total++;
    }
    $want{$_} += $n for @$adds;
}
ok t_cmp($ok, $total, "$total requests answered");

my $after = auto();
my @diff;
for my $k (@KEYS) {
    my $sum = ($after->{$k} // 0) - ($before->{$k} // 0);
    my $own = ($after->{"$k.$LABEL"} // 0) - ($before->{"$k.$LABEL"} // 0);
    my $w = $want{$k} // 0;
    push @diff, "$k: +$sum summed, +$own for $LABEL, sent $w" if $sum != $w || $own != $w;
}
ok t_cmp(join("\n", @diff), '', '?auto: each counter grew by exactly the requests sent, summed and for the server');
my @zero = grep { /^Preflight\S*\.\Q$LABEL\E$/ && !$after->{$_} } keys %$after;
ok t_cmp("@zero", '', '?auto: a server\'s own lines are the non-zero ones');

# The HTML page: a section with a row for this server, its numbers in the
# order of the header.
my $html = GET_BODY('/server-status');
my ($table) = $html =~ m{<table[^>]*id="preflight-counters">(.*?)</table>}s;
ok t_cmp(defined $table ? 1 : 0, 1, '/server-status has the mod_preflight section');
$table //= '';
my @head = $table =~ m{<th>([^<]*)</th>}g;
ok t_cmp("@head", join(' ', @VERDICTS, @VERDICTS, 'replaced', 'removed'),
         'its columns: the verdicts under On, under ReportOnly, the backend audits');
my ($row) = $table =~ m{<tr><td>\Q$LABEL\E</td>(.*?)</tr>};
my @cells = ($row // '') =~ m{<td>(\d+)</td>}g;
my $final = auto();
ok t_cmp("@cells", join(' ', map { $final->{"$_.$LABEL"} // 0 } @KEYS),
         "its row for $LABEL has the numbers of ?auto");

# The explain handler: the counters of the virtual host of the URI.
my $json = eval { JSON::PP->new->decode(GET_BODY('/counters-explain?uri=/audit/data.txt')) };
my $c = $json && $json->{counters};
ok t_cmp(ref $c eq 'HASH' ? $c->{virtual_host} : 'no counters', $LABEL,
         'explain JSON: "counters" names the virtual host');
my $final2 = auto();
my @jdiff;
for my $i (0 .. $#VERDICTS) {
    my $v = $VERDICTS[$i];
    push @jdiff, "$v: " . ($c->{$v} // 'absent') if ($c->{$v} // -1) != ($final2->{$KEYS[$i] . ".$LABEL"} // 0);
    push @jdiff, "report-only $v: " . ($c->{'report-only'}{$v} // 'absent')
        if ($c->{'report-only'}{$v} // -1) != ($final2->{$KEYS[$i + @VERDICTS] . ".$LABEL"} // 0);
}
for my $a (qw(replaced removed)) {
    push @jdiff, "backend $a" if ($c->{backend}{$a} // -1) != ($final2->{'PreflightBackend' . ucfirst($a) . ".$LABEL"} // 0);
}
ok t_cmp(join(', ', @jdiff), '', 'explain JSON: the counters equal ?auto\'s');
