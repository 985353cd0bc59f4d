# mod_preflight — build with apxs, test with Apache::Test.
#
#   make          build .libs/mod_preflight.so
#   make install  install it with apxs into httpd's module directory
#   make run      start a private httpd on 127.0.0.1 with conf/example.conf.in
#   make stop     stop that httpd
#   make test     every test, against a real httpd started by the suite

APXS    ?= apxs
HTTPD   ?= /usr/sbin/apache2
CFLAGS_WARN = -Wc,-Wall -Wc,-Wextra -Wc,-Wno-unused-parameter -Wc,-Wno-missing-field-initializers

MODULE  = .libs/mod_preflight.so
SOURCES = mod_preflight.c preflight_policy.c

.PHONY: all deps install run stop test test-apache clean

all: deps $(MODULE)

deps:
	@sh tools/deps.sh

$(MODULE): $(SOURCES) preflight_policy.h
	$(APXS) -c $(CFLAGS_WARN) $(SOURCES)

install: all
	$(APXS) -i -n preflight mod_preflight.la

run: all
	@sh tools/run.sh start

stop:
	@sh tools/run.sh stop

test: all
	@sh tools/test.sh

clean:
	rm -rf .libs *.o *.lo *.la *.slo build
	-[ -f t/TEST.PL ] && perl t/TEST.PL -clean >/dev/null 2>&1 || true
