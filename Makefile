# mod_preflight — build with apxs, test with Apache::Test.
#
#   make          build .libs/mod_preflight.so
#   make install  install it with apxs into httpd's module directory
#   make run      start a private httpd on 127.0.0.1 with conf/example.conf.in
#   make stop     stop that httpd
#   make test     every test: unit tests of the pure parts, then the
#                 Apache::Test suite against a real httpd it starts

APXS    ?= apxs
HTTPD   ?= /usr/sbin/apache2
CFLAGS_WARN = -Wc,-Wall -Wc,-Wextra -Wc,-Wno-unused-parameter -Wc,-Wno-missing-field-initializers

MODULE  = .libs/mod_preflight.so
SOURCES = mod_preflight.c preflight_policy.c

.PHONY: all deps install run stop test unit clean

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

# The pure parts (preflight_policy.c), with ASan and UBSan, no server.
APR_CFLAGS = $$(apr-1-config --cppflags --cflags --includes)
APR_LIBS   = $$(apr-1-config --link-ld --libs)
build/test_policy: t/unit/test_policy.c preflight_policy.c preflight_policy.h
	@mkdir -p build
	$(CC) -g -O1 -Wall -Wextra -fsanitize=address,undefined -fno-sanitize-recover=all \
	    $(APR_CFLAGS) t/unit/test_policy.c preflight_policy.c -o $@ $(APR_LIBS)

unit: deps build/test_policy
	./build/test_policy

test: all build/test_policy
	@sh tools/test.sh

clean:
	rm -rf .libs *.o *.lo *.la *.slo build
	-[ -f t/TEST.PL ] && perl t/TEST.PL -clean >/dev/null 2>&1 || true
