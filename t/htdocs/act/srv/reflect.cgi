#!/usr/bin/perl
# Test backend for the audit of what backends send (t/backend_audit.t): an
# application with its own idea of CORS, as many have. Query parameters
# (others are ignored, so tests can add a unique tag):
#   acao=reflect  Access-Control-Allow-Origin: the request's Origin
#   acao=star     Access-Control-Allow-Origin: *
#   acao=null     Access-Control-Allow-Origin: null
#   acao=fixed    Access-Control-Allow-Origin: https://backend.example
#   cred=0        no Access-Control-Allow-Credentials (by default it sends
#                 "true" with any acao)
#   status=NNN    answer with this status
# Without acao it sends no Access-Control-* header at all.
use strict;
use warnings;

my %q;
for (split /[&;]/, $ENV{QUERY_STRING} // '') {
    my ($k, $v) = split /=/, $_, 2;
    $q{$k} = $v // '' if defined $k;
}
my %acao = (reflect => $ENV{HTTP_ORIGIN} // '', star => '*', null => 'null',
            fixed => 'https://backend.example');

print "Status: $q{status}\r\n" if $q{status} && $q{status} =~ /^\d{3}$/;
print "Content-Type: text/plain\r\n";
print "X-Act-Marker: reflect\r\n";
if (defined $q{acao} && exists $acao{ $q{acao} }) {
    print "Access-Control-Allow-Origin: $acao{ $q{acao} }\r\n";
    print "Access-Control-Allow-Credentials: true\r\n" unless ($q{cred} // '') eq '0';
}
print "\r\n";
print "reflect ran\n";
