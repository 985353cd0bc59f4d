#!/usr/bin/perl
# The backend of t/field/cache.pl: what many applications do, reflecting any
# Origin with credentials, in a response every cache may keep
# (Cache-Control: public). The first path segment picks the variant:
#   /vary/...    also sends Vary: Origin, max-age=60
#   /novary/...  no Vary, max-age=60
#   /ae/...      Vary: Accept-Encoding only, max-age=60
#   /short/...   Vary: Origin, max-age=1 and an ETag per origin, answering a
#                matching If-None-Match with 304 (a cache's revalidation)
# The body names the origin it was made for and a serial number.
use strict;
use warnings;

my $origin = $ENV{HTTP_ORIGIN};
my ($variant) = ($ENV{PATH_INFO} // '') =~ m{^/(\w+)/};
$variant //= 'novary';
my $etag = '"' . unpack('H*', $origin // '-') . '"';
my @head = ('Content-Type: text/plain',
            'Cache-Control: public, max-age=' . ($variant eq 'short' ? 1 : 60));
push @head, 'Vary: ' . ($variant eq 'ae' ? 'Accept-Encoding' : 'Origin') if $variant ne 'novary';
push @head, "ETag: $etag" if $variant eq 'short';
if (defined $origin) {
    push @head, "Access-Control-Allow-Origin: $origin",
                'Access-Control-Allow-Credentials: true';
}
if ($variant eq 'short' && ($ENV{HTTP_IF_NONE_MATCH} // '') eq $etag) {
    print join("\r\n", 'Status: 304 Not Modified', @head), "\r\n\r\n";
    exit 0;
}
printf "%s\r\n\r\nmade for origin %s, serial %d.%d\n", join("\r\n", @head),
    $origin // '-', time, $$;
