# mod_preflight — build with apxs, test with Apache::Test.
#
#   make          build .libs/mod_preflight.so (nothing else: no packages
#                 installed; the targets below that run things install the
#                 Debian packages they miss, tools/deps.sh)
#   make install  install it with apxs into httpd's module directory
#   make deb      build the Debian package libapache2-mod-preflight into
#                 build/deb/ (dpkg-buildpackage, debhelper, dh_apache2)
#   make run      start a private httpd on 127.0.0.1 with conf/example.conf.in
#   make stop     stop that httpd
#   make check    the quick tests: unit tests of the pure parts and the
#                 Apache::Test suite against a real httpd it starts
#   make test     every test: unit tests of the pure parts, the Apache::Test
#                 suite against a real httpd it starts, headless Chromium,
#                 the Debian package, fuzzing, valgrind, load and graceful
#                 restart (bounded runs)
#   make field    the stacks sites run, started privately by the tests:
#                 WordPress on PHP-FPM and on mod_php, WebDAV with litmus,
#                 headless Firefox, mod_cache in front of a backend
#   make fuzz     the fuzzers for longer (FUZZ_SECONDS, default 600 each)
#   make soak     the load test for longer (SOAK_SECONDS, default 300)
#   make bench    mod_preflight against bare httpd, the floor and the
#                 mod_headers recipe; tables, targets and plots in bench/results/

APXS    ?= apxs
HTTPD   ?= /usr/sbin/apache2
CFLAGS_WARN = -Wc,-Wall -Wc,-Wextra -Wc,-Wno-unused-parameter -Wc,-Wno-missing-field-initializers

MODULE  = .libs/mod_preflight.so
# The pure files of origins and lists, which the module, preflight-migrate,
# the unit tests and the fuzzers all link.
POLICY_SOURCES = preflight_policy.c preflight_origin.c preflight_request.c \
                 preflight_list.c
MIGRATE = build/preflight-migrate
SOURCES = mod_preflight.c preflight_config.c preflight_tenant.c preflight_sections.c \
          preflight_htaccess.c preflight_decide.c \
          preflight_headers.c preflight_explain.c preflight_explain_json.c \
          preflight_inspector.c $(POLICY_SOURCES) \
          preflight_json.c preflight_html.c preflight_console.c preflight_counters.c
HEADERS = mod_preflight_private.h preflight_explain.h preflight_policy.h preflight_policy_private.h \
          preflight_json.h preflight_html.h preflight_console.h

.PHONY: all deps install deb run stop check test field unit fuzz soak valgrind bench clean print-sources print-pure-sources

all: $(MODULE) $(MIGRATE)

deps:
	@sh tools/deps.sh

$(MODULE): $(SOURCES) $(HEADERS)
	$(APXS) -c $(CFLAGS_WARN) $(SOURCES) -lpsl

# preflight-migrate: a command-line tool, plain C with APR pools, PCRE2 (the
# regex library httpd matches with) and libpsl, linked with the module's
# pure files (origins, lists, JSON quoting).
MIGRATE_SOURCES = migrate/main.c migrate/conf_reader.c migrate/recipe.c \
                  migrate/recipe_headers.c migrate/recipe_options.c \
                  migrate/regex_eval.c migrate/findings.c migrate/propose.c \
                  migrate/directives.c
MIGRATE_CFLAGS ?= -O2 -g
$(MIGRATE): $(MIGRATE_SOURCES) migrate/migrate.h migrate/recipe.h $(POLICY_SOURCES) \
            preflight_json.c preflight_policy.h preflight_policy_private.h preflight_json.h
	@mkdir -p build
	$(CC) $(MIGRATE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -Wall -Wextra -Wno-unused-parameter \
	    $(APR_CFLAGS) $(MIGRATE_SOURCES) $(POLICY_SOURCES) preflight_json.c \
	    -o $@ $(LDFLAGS) $(APR_LIBS) -lpcre2-8 -lpsl

# The module's own files, for the tools that must know them (valgrind.sh
# attributes memcheck errors by them).
print-sources:
	@echo $(SOURCES) $(HEADERS)

# The pure files, for the fuzzers (tools/fuzz.sh).
print-pure-sources:
	@echo $(PURE_SOURCES)

install: all
	$(APXS) -i -n preflight mod_preflight.la
	install -d $(DESTDIR)/usr/bin $(DESTDIR)/usr/share/man/man1
	install -m 755 $(MIGRATE) $(DESTDIR)/usr/bin/preflight-migrate
	install -m 644 migrate/preflight-migrate.1 $(DESTDIR)/usr/share/man/man1/preflight-migrate.1

deb: deps
	@sh tools/deb.sh build

run: deps all
	@sh tools/run.sh start

stop:
	@sh tools/run.sh stop

# The pure parts (origins and lists, preflight_json.c, preflight_html.c,
# preflight_console.c), with ASan and UBSan, no server.
PURE_SOURCES = $(POLICY_SOURCES) preflight_json.c preflight_html.c \
               preflight_console.c
UNIT_SOURCES = t/unit/test_policy.c t/unit/test_json.c t/unit/test_html.c
APR_CFLAGS = $$(apr-1-config --cppflags --cflags --includes)
APR_LIBS   = $$(apr-1-config --link-ld --libs)
build/test_policy: $(UNIT_SOURCES) t/unit/unit.h $(PURE_SOURCES) preflight_policy.h \
                   preflight_policy_private.h preflight_json.h preflight_html.h \
                   preflight_console.h
	@mkdir -p build
	$(CC) -g -O1 -Wall -Wextra -fsanitize=address,undefined -fno-sanitize-recover=all \
	    $(APR_CFLAGS) $(UNIT_SOURCES) $(PURE_SOURCES) -o $@ $(APR_LIBS)

unit: deps build/test_policy
	./build/test_policy

check: deps all build/test_policy
	@sh tools/test.sh unit suite

test: deps all build/test_policy
	@sh tools/test.sh

field: deps all
	@sh tools/test.sh field

# Longer runs, outside make test.
fuzz: deps all
	sh tools/fuzz.sh $${FUZZ_SECONDS:-600}

soak: deps all
	sh tools/load.sh $${SOAK_SECONDS:-300}

valgrind: deps all
	sh tools/valgrind.sh

build/bench/alloc_shim.so: bench/alloc_shim.c
	@mkdir -p build/bench
	$(CC) -O2 -Wall -shared -fPIC -o $@ bench/alloc_shim.c -ldl

# Measurement aids, never installed: the callgrind dump trigger and the
# floor (the least work that sends mod_preflight's bytes).
build/bench/.libs/mod_%.so: bench/mod_%.c
	@mkdir -p build/bench
	cp $< build/bench/
	cd build/bench && $(APXS) -c $(CFLAGS_WARN) mod_$*.c

bench: deps all
	@sh tools/deps.sh valgrind wrk util-linux time gnuplot-nox
	$(MAKE) build/bench/alloc_shim.so build/bench/.libs/mod_pfbench.so build/bench/.libs/mod_pffloor.so
	perl bench/run.pl $(BENCH_ARGS)

clean:
	rm -rf .libs *.o *.lo *.la *.slo build
	-[ -f t/TEST.PL ] && perl t/TEST.PL -clean >/dev/null 2>&1 || true
