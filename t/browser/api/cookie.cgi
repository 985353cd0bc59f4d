#!/usr/bin/perl
# ?set=1 sets a session cookie; otherwise echoes the cookies that arrived.
my $set = ($ENV{QUERY_STRING} || '') =~ /(^|&)set=1(&|$)/;
print "Content-Type: text/plain\r\n";
print "Set-Cookie: session=browser-test; Path=/; SameSite=Lax\r\n" if $set;
print "\r\n";
my $c = $ENV{HTTP_COOKIE} // '';
$c =~ s/[^\x20-\x7e]//g;
print "cookie=$c\n";
