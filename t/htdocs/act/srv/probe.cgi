#!/usr/bin/perl
# Test backend. It always marks its responses (X-Act-Marker header and body) so
# a test can tell whether the script ran at all. Query parameters (others are
# ignored, so tests can add a unique tag):
#   status=NNN  answer with this status
#   own=1       send its own Access-Control-* headers, as many apps do
#   vary=V      send "Vary: V"
#   cache=N     send "Cache-Control: public, max-age=N"
#   extra=1     send two custom headers (X-Custom-A, X-Custom-B)
#   redirect=P  answer with a local "Location: P", which httpd follows
#               internally
use strict;
use warnings;

my %q;
for (split /[&;]/, $ENV{QUERY_STRING} // '') {
    my ($k, $v) = split /=/, $_, 2;
    next unless defined $k;
    $v //= '';
    $v =~ tr/+/ /;
    $v =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    $q{$k} = $v;
}

my $method = $ENV{REQUEST_METHOD} // '';
my $body = '';
if (my $len = $ENV{CONTENT_LENGTH}) {
    read STDIN, $body, $len;
}

if (defined $q{redirect}) {
    print "Location: $q{redirect}\r\n\r\n";
    exit 0;
}

print "Status: $q{status}\r\n" if $q{status} && $q{status} =~ /^\d{3}$/;
print "Content-Type: text/plain\r\n";
print "X-Act-Marker: probe-$method\r\n";
if ($q{own}) {
    print "Access-Control-Allow-Origin: https://cgi.example\r\n";
    print "Access-Control-Allow-Credentials: true\r\n";
    print "Access-Control-Allow-Methods: DELETE\r\n";
    print "Access-Control-Expose-Headers: X-Cgi-Own\r\n";
}
print "Vary: $q{vary}\r\n" if defined $q{vary};
print "Cache-Control: public, max-age=$q{cache}\r\n" if ($q{cache} // '') =~ /^\d+$/;
if ($q{extra}) {
    print "X-Custom-A: a\r\n";
    print "X-Custom-B: b\r\n";
}
print "\r\n";
print "probe ran: $method\n";
print "body: $body\n" if length $body;
