#!/usr/bin/perl
# Dies before printing any header: httpd answers 500 itself.
exit 1;
