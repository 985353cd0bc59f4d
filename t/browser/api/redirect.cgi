#!/usr/bin/perl
# ?to=URL (percent-encoded, absolute) answers a redirect there: 302, or the
# status given as status=301|302|303|307|308. The body, if any, is read first
# (see echo.cgi).
my $len = $ENV{CONTENT_LENGTH} || 0;
read(STDIN, my $body, $len > 65536 ? 65536 : $len) if $len > 0;
my %q = map { my ($k, $v) = split /=/, $_, 2; ($k => $v // '') } split /&/, $ENV{QUERY_STRING} // '';
my $to = $q{to} // '';
$to =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
my ($status) = ($q{status} // '302') =~ /^(30[12378])$/;
if ($to !~ m{^https?://[\x21-\x7e]+$} || !$status) {
    print "Status: 400\r\nContent-Type: text/plain\r\n\r\nbad to= or status=\n";
    exit;
}
print "Status: $status\r\nLocation: $to\r\nContent-Type: text/plain\r\n\r\nmoved\n";
