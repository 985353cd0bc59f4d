#!/usr/bin/perl
# Answers with the method it saw, an exposed and a non-exposed header. It
# reads the request body first: a CGI that exits with its body unread makes
# mod_cgid's socket reset, and the browser retries the request.
my $len = $ENV{CONTENT_LENGTH} || 0;
read(STDIN, my $body, $len > 65536 ? 65536 : $len) if $len > 0;
print "Content-Type: application/json\r\n";
print "X-Request-Id: req-42\r\n";
print "X-Secret: not-for-scripts\r\n\r\n";
print "{\"method\":\"$ENV{REQUEST_METHOD}\"}\n";
