#!/usr/bin/perl
# A tiny API: answers every method with what it received, as JSON.
use strict;
use warnings;

my $method = $ENV{REQUEST_METHOD} || 'GET';
my $body = '';
if (($ENV{CONTENT_LENGTH} || 0) > 0) {
    read(STDIN, $body, $ENV{CONTENT_LENGTH} > 65536 ? 65536 : $ENV{CONTENT_LENGTH});
}
sub json_string {
    my $s = shift // '';
    $s =~ s/(["\\])/\\$1/g;
    $s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
    return "\"$s\"";
}
print "Content-Type: application/json\r\n";
print "X-Request-Id: ", int(rand(1e9)), "\r\n\r\n";
print "{\"method\":", json_string($method),
      ",\"x_token\":", json_string($ENV{HTTP_X_TOKEN}),
      ",\"body\":", json_string($body), "}\n";
