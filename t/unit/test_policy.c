/*
 * Unit tests of the pure parts, no server: plain strings and an APR pool.
 * This file: preflight_policy.c, preflight_origin.c, preflight_request.c
 * and preflight_list.c (origin parsing and matching, token lists and their
 * editing, a preflight's request fields, Access-Control-Request-Headers
 * splitting) and main;
 * test_json.c: preflight_json.c. Prints "N passed, N failed".
 */

#include <stdio.h>
#include <string.h>

#include "apr_general.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "../../preflight_policy.h"
#include "unit.h"

int passed, failed;

void check(int ok, const char *what, const char *detail)
{
    if (ok) {
        passed++;
    }
    else {
        failed++;
        printf("FAIL: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    }
}

/* Builds a list from space-separated items, as a directive would. */
static preflight_list *list_of(apr_pool_t *p, preflight_list_kind kind,
                               const char *spec)
{
    apr_array_header_t *items = apr_array_make(p, 4, sizeof(const char *));
    char *s = apr_pstrdup(p, spec), *tok, *last;
    int any = 0;

    for (tok = apr_strtok(s, " ", &last); tok; tok = apr_strtok(NULL, " ", &last)) {
        const char *norm;
        if (!strcmp(tok, "*")) {
            any = 1;
            continue;
        }
        if (preflight_item_check(p, kind, tok, &norm)) {
            printf("bad test item %s\n", tok);
            failed++;
            continue;
        }
        APR_ARRAY_PUSH(items, const char *) = norm;
    }
    return preflight_list_make(p, kind, items, any);
}

/* Space-separated +/- items, as a section would write them. */
static apr_array_header_t *edits_of(apr_pool_t *p, preflight_list_kind kind,
                                    const char *spec)
{
    apr_array_header_t *edits = apr_array_make(p, 4, sizeof(preflight_edit));
    char *s = apr_pstrdup(p, spec), *tok, *last;

    for (tok = apr_strtok(s, " ", &last); tok; tok = apr_strtok(NULL, " ", &last)) {
        preflight_edit *e = apr_array_push(edits);
        e->op = tok[0];
        if (strcmp(tok + 1, "*") == 0
            || preflight_item_check(p, kind, tok + 1, &e->item)) {
            e->item = tok + 1;
        }
    }
    return edits;
}

static preflight_list *edited(apr_pool_t *p, preflight_list_kind kind,
                              const preflight_list *base, const char *spec)
{
    return preflight_list_edit(p, kind, base, edits_of(p, kind, spec));
}

typedef struct {
    const char *policy;
    const char *origin;
    int allowed;
} origin_case;

static const origin_case origin_cases[] = {
    /* exact origin */
    { "https://app.example.com", "https://app.example.com", 1 },
    { "https://app.example.com", "HTTPS://APP.EXAMPLE.COM", 1 },
    { "https://app.example.com", "https://App.Example.Com", 1 },
    { "https://app.example.com", "https://app.example.com:443", 1 },
    { "https://app.example.com:443", "https://app.example.com", 1 },
    { "https://app.example.com", "https://app.example.com.evil.net", 0 },
    { "https://app.example.com", "https://evilapp.example.com", 0 },
    { "https://app.example.com", "https://evil-example.com", 0 },
    { "https://app.example.com", "http://app.example.com", 0 },
    { "https://app.example.com", "https://app.example.com:8443", 0 },
    { "https://app.example.com", "https://app.example.com:443.evil.net", 0 },
    { "https://app.example.com", "https://u@app.example.com", 0 },
    { "https://app.example.com", "https://app.example.com/", 0 },
    { "https://app.example.com", "https://app.example.com/x", 0 },
    { "https://app.example.com", "https://app.example.com?q", 0 },
    { "https://app.example.com", "https://app.example.com#f", 0 },
    { "https://app.example.com", "https://app.example.com.", 0 },
    { "https://app.example.com", "", 0 },
    { "https://app.example.com", " https://app.example.com", 0 },
    { "https://app.example.com", "https://app.example.com ", 0 },
    { "https://app.example.com", "https://app.example.com\r\nX: y", 0 },
    { "https://app.example.com", "https://app.example.com, https://app.example.com", 0 },
    { "https://app.example.com", "https://app.ex\xc3\xa4mple.com", 0 },
    { "https://app.example.com", "null", 0 },
    { "https://app.example.com", "*", 0 },
    { "https://app.example.com", "app.example.com", 0 },
    { "https://app.example.com", "https://app.example.com:0443", 0 },
    { "https://app.example.com", "https://app.example.com:", 0 },
    { "http://localhost:8080", "http://localhost:8080", 1 },
    { "http://localhost:8080", "http://localhost", 0 },
    { "http://localhost:8080", "http://localhost:80", 0 },
    { "http://localhost:*", "http://localhost:3000", 1 },
    { "http://localhost:*", "http://localhost", 1 },
    { "http://localhost:*", "http://localhost.evil.net:3000", 0 },
    { "http://[::1]:8080", "http://[::1]:8080", 1 },
    /* wildcards */
    { "https://*.example.com", "https://a.example.com", 1 },
    { "https://*.example.com", "https://a.b.example.com", 1 },
    { "https://*.example.com", "https://A.Example.COM", 1 },
    { "https://*.example.com", "https://a.example.com:443", 1 },
    { "https://*.example.com", "https://example.com", 0 },
    { "https://*.example.com", "https://.example.com", 0 },
    { "https://*.example.com", "https://a.example.com.evil.net", 0 },
    { "https://*.example.com", "https://evilexample.com", 0 },
    { "https://*.example.com", "https://a.evilexample.com", 0 },
    { "https://*.example.com", "http://a.example.com", 0 },
    { "https://*.example.com", "https://a.example.com:8443", 0 },
    { "https://*.example.com", "https://a..example.com", 0 },
    { "https://*.example.com:*", "https://a.example.com:8443", 1 },
    { "https://*.example.com:*", "https://a.example.com", 1 },
    { "https://*.example.com:*", "https://example.com:8443", 0 },
    { "https://*.example.com:8443", "https://a.example.com:8443", 1 },
    { "https://*.example.com:8443", "https://a.example.com", 0 },
    /* null and any */
    { "null", "null", 1 },
    { "null", "NULL", 0 },
    { "null", "null ", 0 },
    { "null", "https://null", 0 },
    { "*", "https://anything.example", 1 },
    { "*", "null", 1 },
    /* several */
    { "https://a.example https://b.example null", "https://b.example", 1 },
    { "https://a.example https://b.example null", "https://c.example", 0 },
    { "chrome-extension://abcdefgh", "chrome-extension://abcdefgh", 1 },
};

static void test_origins(apr_pool_t *p)
{
    apr_size_t i;

    for (i = 0; i < sizeof(origin_cases) / sizeof(origin_cases[0]); i++) {
        const origin_case *c = &origin_cases[i];
        preflight_list *l = list_of(p, PREFLIGHT_LIST_ORIGINS, c->policy);
        int got = preflight_origin_allowed(l, c->origin);
        char *what = apr_psprintf(p, "origin '%s' under '%s'", c->origin, c->policy);
        check(got == c->allowed, what, got ? "allowed" : "refused");
    }
}

/* A few exact origins are compared in order, more are hashed: the same
 * answers on both sides of the change, and across it when a second line
 * extends the list. */
static void test_origin_list_sizes(apr_pool_t *p)
{
    static const int sizes[] = { 1, 7, 8, 9, 20, 300 };
    apr_size_t s;

    for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        int n = sizes[s], i;
        const char *policy = "null https://*.tenant.example";
        preflight_list *l;
        apr_array_header_t *more = apr_array_make(p, 3, sizeof(const char *));

        for (i = 1; i <= n; i++) {
            policy = apr_psprintf(p, "%s https://app%d.example.com", policy, i);
        }
        l = list_of(p, PREFLIGHT_LIST_ORIGINS, policy);
        APR_ARRAY_PUSH(more, const char *) = "https://late.example";
        APR_ARRAY_PUSH(more, const char *) = "https://app1.example.com";
        preflight_list_add(p, l, more, 0);
        for (i = 1; i <= n; i++) {
            const char *o = apr_psprintf(p, "https://app%d.example.com", i);
            check(preflight_origin_allowed(l, o), apr_psprintf(p, "%d origins: %s", n, o), "refused");
            o = apr_psprintf(p, "HTTPS://APP%d.example.com:443", i);
            check(preflight_origin_allowed(l, o), apr_psprintf(p, "%d origins: %s", n, o), "refused");
        }
        check(preflight_origin_allowed(l, "https://late.example"),
              apr_psprintf(p, "%d origins: a second line's origin", n), "refused");
        check(preflight_origin_allowed(l, "null"),
              apr_psprintf(p, "%d origins: null", n), "refused");
        check(preflight_origin_allowed(l, "https://a.tenant.example"),
              apr_psprintf(p, "%d origins: the wildcard", n), "refused");
        check(!preflight_origin_allowed(l, "https://*.tenant.example"),
              apr_psprintf(p, "%d origins: the pattern itself sent as an origin", n), "allowed");
        check(!preflight_origin_allowed(l, apr_psprintf(p, "https://app%d.example.com", n + 1)),
              apr_psprintf(p, "%d origins: one not listed", n), "allowed");
        check(!preflight_origin_allowed(l, "https://app1.example.com.evil.net"),
              apr_psprintf(p, "%d origins: a listed one as a prefix", n), "allowed");
        check(l->items->nelts == n + 3,
              apr_psprintf(p, "%d origins: each item once", n),
              apr_psprintf(p, "%d items", l->items->nelts));
    }
}

/* The one-pass reader of a preflight's fields against apr_table_get, the
 * reference, on names in every case, lookalikes one byte off (each byte
 * of each name changed in turn, and a byte added or dropped), duplicates
 * (the first one counts) and the fields a browser sends next to them. */
static const char *const field_names[] = {
    "Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers",
    "Access-Control-Request-Private-Network"
};

static void check_fields(apr_pool_t *p, const apr_table_t *t, const char *what)
{
    preflight_request_fields f;
    const char *got[4];
    int i;

    preflight_read_request_fields(t, &f);
    got[0] = f.origin;
    got[1] = f.method;
    got[2] = f.headers;
    got[3] = f.private_network;
    for (i = 0; i < 4; i++) {
        const char *want = apr_table_get(t, field_names[i]);
        check(got[i] == want, apr_psprintf(p, "%s: %s", what, field_names[i]),
              got[i] ? got[i] : "(none)");
    }
}

static void test_request_fields(apr_pool_t *p)
{
    static const char *const browser[] = {
        "Host", "Accept", "Accept-Language", "Accept-Encoding", "Referer",
        "Sec-Fetch-Mode", "Connection", "User-Agent", "Authorization", "Age"
    };
    apr_size_t n, i, k;
    apr_table_t *t;

    for (n = 0; n < 4; n++) {
        const char *name = field_names[n];
        apr_size_t len = strlen(name);

        for (i = 0; i < len; i++) {
            static const char subst[] = { '_', 'x', '-', '0', '\x7f', '\r' };
            char *up = apr_pstrdup(p, name), *low = apr_pstrdup(p, name);

            up[i] = (char)apr_toupper(up[i]);
            low[i] = (char)apr_tolower(low[i]);
            for (k = 0; k < sizeof(subst); k++) {
                char *odd = apr_pstrdup(p, name);

                odd[i] = subst[k];
                t = apr_table_make(p, 8);
                apr_table_addn(t, odd, "odd");
                apr_table_addn(t, up, "up");
                apr_table_addn(t, low, "low");
                check_fields(p, t, apr_psprintf(p, "'%s' then '%s'", odd, up));
            }
            t = apr_table_make(p, 4);
            apr_table_addn(t, apr_pstrmemdup(p, name, i), "short");
            apr_table_addn(t, apr_pstrcat(p, name, "x", NULL), "long");
            check_fields(p, t, apr_psprintf(p, "'%s' cut at %d", name, (int)i));
        }
    }
    t = apr_table_make(p, 16);
    for (i = 0; i < sizeof(browser) / sizeof(browser[0]); i++) {
        apr_table_addn(t, browser[i], "b");
    }
    check_fields(p, t, "a browser's fields, none of the four");
    apr_table_addn(t, "access-control-request-headers", "content-type");
    apr_table_addn(t, "ORIGIN", "https://a.example");
    apr_table_addn(t, "Access-Control-Request-Method", "PUT");
    apr_table_addn(t, "Origin", "https://second.example");
    apr_table_addn(t, "ACCESS-CONTROL-REQUEST-PRIVATE-NETWORK", "true");
    apr_table_addn(t, "Access-Control-Request-Method", "DELETE");
    check_fields(p, t, "a browser's fields, each of the four, two twice");
}

static void test_origin_edge_inputs(apr_pool_t *p)
{
    preflight_list *l = list_of(p, PREFLIGHT_LIST_ORIGINS,
                                "https://app.example.com https://*.example.com");
    char *huge = apr_palloc(p, 65537);
    char nul[] = "https://app.example.com\0.evil.net";
    int c;

    memset(huge, 'a', 65536);
    memcpy(huge, "https://", 8);
    huge[65536] = '\0';
    check(!preflight_origin_allowed(l, huge), "64 KB origin refused", NULL);
    check(preflight_origin_allowed(l, nul), "origin read up to NUL only", NULL);

    /* every control byte inside an otherwise allowed origin is refused */
    for (c = 1; c < 32; c++) {
        char *o = apr_psprintf(p, "https://app.%cexample.com", c);
        check(!preflight_origin_allowed(l, o), "control byte in origin refused",
              apr_psprintf(p, "0x%02x", c));
    }
    for (c = 0x80; c < 0x100; c += 0x11) {
        char *o = apr_psprintf(p, "https://a%c.example.com", c);
        check(!preflight_origin_allowed(l, o), "non-ASCII byte refused",
              apr_psprintf(p, "0x%02x", c));
    }
    check(!preflight_origin_allowed(NULL, "https://app.example.com"),
          "no list allows nothing", NULL);
}

typedef struct {
    const char *item;
    const char *reason;     /* substring of the error, NULL when valid */
    const char *normalized;
} config_case;

static const config_case config_cases[] = {
    { "https://app.example.com", NULL, "https://app.example.com" },
    { "HTTPS://App.Example.COM:443", NULL, "https://app.example.com" },
    { "http://localhost:80", NULL, "http://localhost" },
    { "http://localhost:8080", NULL, "http://localhost:8080" },
    { "https://*.Example.com:*", NULL, "https://*.example.com:*" },
    { "null", NULL, "null" },
    { "https://app.example.com/", "path", NULL },
    { "https://app.example.com/x", "path", NULL },
    { "https://app.example.com?q=1", "query", NULL },
    { "https://app.example.com#top", "fragment", NULL },
    { "https://u@app.example.com", "userinfo", NULL },
    { "https://u:p@app.example.com", "userinfo", NULL },
    { "app.example.com", "scheme", NULL },
    { "//app.example.com", "scheme", NULL },
    { "any", "keyword", NULL },
    { "self", "keyword", NULL },
    { "https://a..example.com", "host", NULL },
    { "https://app.example.com.", "host", NULL },
    { "https://\xc3\xa4pp.example.com", "host", NULL },
    { "https://app.example.com:0", "port", NULL },
    { "https://app.example.com:65536", "port", NULL },
    { "https://app.example.com:abc", "port", NULL },
    { "https://app.example.com:", "port", NULL },
    { "https://a.*.example.com", "wildcard", NULL },
    { "https://*example.com", "wildcard", NULL },
    { "https://*", "wildcard", NULL },
    { "https://app.example.com,", "commas", NULL },
};

static void test_config_items(apr_pool_t *p)
{
    apr_size_t i;

    for (i = 0; i < sizeof(config_cases) / sizeof(config_cases[0]); i++) {
        const config_case *c = &config_cases[i];
        const char *norm = NULL;
        const char *why = preflight_item_check(p, PREFLIGHT_LIST_ORIGINS, c->item, &norm);
        char *what = apr_psprintf(p, "configured origin '%s'", c->item);

        if (c->reason) {
            check(why && strstr(why, c->reason), what, why ? why : "accepted");
        }
        else {
            check(!why && norm && !strcmp(norm, c->normalized), what,
                  why ? why : norm);
        }
    }
    check(preflight_item_check(p, PREFLIGHT_LIST_METHODS, "G(ET", &(const char *){0}) != NULL,
          "method with ( refused", NULL);
    check(preflight_item_check(p, PREFLIGHT_LIST_METHODS, "GET,POST", &(const char *){0}) != NULL,
          "method list with comma refused", NULL);
    check(preflight_item_check(p, PREFLIGHT_LIST_HEADERS, "X:Y", &(const char *){0}) != NULL,
          "header with : refused", NULL);
    check(preflight_item_check(p, PREFLIGHT_LIST_HEADERS, "X-Token", &(const char *){0}) == NULL,
          "header X-Token accepted", NULL);
}

static void test_methods(apr_pool_t *p)
{
    preflight_list *l = list_of(p, PREFLIGHT_LIST_METHODS, "GET POST PUT");
    preflight_list *any = list_of(p, PREFLIGHT_LIST_METHODS, "*");
    preflight_list *e;

    check(preflight_method_allowed(l, "PUT"), "PUT allowed", NULL);
    check(!preflight_method_allowed(l, "put"), "put refused (case-sensitive)", NULL);
    check(!preflight_method_allowed(l, "DELETE"), "DELETE refused", NULL);
    check(!preflight_method_allowed(l, "PUT, PUT"), "repeated header refused", NULL);
    check(!preflight_method_allowed(l, ""), "empty method refused", NULL);
    check(!strcmp(l->joined, "GET, POST, PUT"), "methods joined", l->joined);
    check(!strcmp(l->allow, "GET, POST, PUT, HEAD, OPTIONS"), "Allow", l->allow);
    check(preflight_method_allowed(NULL, "POST"), "default allows POST", NULL);
    check(!preflight_method_allowed(NULL, "PUT"), "default refuses PUT", NULL);
    check(preflight_method_allowed(any, "PATCH"), "* allows PATCH", NULL);
    check(!preflight_method_allowed(any, "PA TCH"), "* refuses a non-token", NULL);
    check(preflight_method_allowed(any, apr_psprintf(p, "%064d", 0)),
          "* allows a 64-byte method", NULL);
    check(!preflight_method_allowed(any, apr_psprintf(p, "%065d", 0)),
          "* refuses a 65-byte method", NULL);
    check(!preflight_is_method("") && preflight_is_method("UPDATEREDIRECTREF"),
          "a method is a token of 1 to 64 bytes", NULL);

    e = edited(p, PREFLIGHT_LIST_METHODS, l, "+DELETE -POST +GET");
    check(!strcmp(e->joined, "GET, PUT, DELETE"), "edited methods", e->joined);
    e = edited(p, PREFLIGHT_LIST_METHODS, NULL, "+PUT");
    check(!strcmp(e->joined, "GET, HEAD, POST, PUT"), "edit of the default", e->joined);
    e = edited(p, PREFLIGHT_LIST_METHODS, any, "-DELETE");
    check(e->any && !preflight_method_allowed(e, "DELETE")
          && preflight_method_allowed(e, "PUT"), "* minus DELETE", NULL);
}

static void test_origin_edits(apr_pool_t *p)
{
    preflight_list *l = list_of(p, PREFLIGHT_LIST_ORIGINS, "https://a.example");
    preflight_list *any = list_of(p, PREFLIGHT_LIST_ORIGINS, "*");
    preflight_list *e = edited(p, PREFLIGHT_LIST_ORIGINS, l, "+https://b.example");

    check(preflight_origin_allowed(e, "https://a.example")
          && preflight_origin_allowed(e, "https://b.example"), "+origin adds", NULL);
    e = edited(p, PREFLIGHT_LIST_ORIGINS, e, "-https://A.example");
    check(!preflight_origin_allowed(e, "https://a.example"), "-origin removes", NULL);
    e = edited(p, PREFLIGHT_LIST_ORIGINS, any, "-https://evil.example");
    check(e->any && e->excluded && !preflight_origin_allowed(e, "https://evil.example")
          && preflight_origin_allowed(e, "https://good.example"), "* minus one origin", NULL);
    check(!preflight_origin_allowed(e, "https://x.example/path"),
          "* minus one refuses malformed (it would be echoed)", NULL);
}

/* A +/- list as configured: edits of the default, compiled for overlays. */
static preflight_list *edit_list(apr_pool_t *p, preflight_list_kind kind,
                                 const char *spec)
{
    apr_array_header_t *edits = edits_of(p, kind, spec);
    preflight_list *l = preflight_list_edit(p, kind, NULL, edits);

    l->edits = edits;
    preflight_list_compile_edits(p, l);
    return l;
}

/* [kind, inherited list, first +/- list, second +/- list or NULL] */
typedef struct {
    preflight_list_kind kind;
    const char *base, *edit, *edit2;
} overlay_case;

static const overlay_case overlay_cases[] = {
    { PREFLIGHT_LIST_METHODS, "GET POST PUT DELETE", "-DELETE", NULL },
    { PREFLIGHT_LIST_METHODS, "GET POST", "+PATCH +PUT", NULL },
    { PREFLIGHT_LIST_METHODS, "GET POST", "+POST -GET", NULL },
    { PREFLIGHT_LIST_METHODS, "GET POST", "-GET +GET", NULL },
    { PREFLIGHT_LIST_METHODS, "GET POST", "+PUT -PUT", NULL },
    { PREFLIGHT_LIST_METHODS, "*", "-DELETE", NULL },
    { PREFLIGHT_LIST_METHODS, "*", "-DELETE +DELETE", NULL },
    { PREFLIGHT_LIST_METHODS, "* GET", "-*", NULL },
    { PREFLIGHT_LIST_METHODS, "GET", "+* -PUT", NULL },
    { PREFLIGHT_LIST_METHODS, "GET", "-PUT +* ", NULL },
    { PREFLIGHT_LIST_METHODS, "GET POST PUT", "-PUT", "-POST" },
    { PREFLIGHT_LIST_METHODS, "*", "-PUT", "+PUT -GET" },
    { PREFLIGHT_LIST_METHODS, "*", "-PUT", "+PATCH" },
    { PREFLIGHT_LIST_METHODS, "GET POST", "+PUT", "-* -GET" },
    { PREFLIGHT_LIST_HEADERS, "Content-Type X-Token", "+X-Debug", NULL },
    { PREFLIGHT_LIST_HEADERS, "Content-Type X-Token", "-x-token +X-DEBUG", NULL },
    { PREFLIGHT_LIST_HEADERS, "*", "-X-Secret", NULL },
    { PREFLIGHT_LIST_HEADERS, "* Authorization", "-authorization", NULL },
    { PREFLIGHT_LIST_HEADERS, "Content-Type", "+X-A", "+x-b -CONTENT-TYPE" },
    /* found by fuzz_headers: a name added again keeps the spelling that adds it */
    { PREFLIGHT_LIST_HEADERS, "Content-Type X-Token", "-content-type +Content-Type +X-A", NULL },
    { PREFLIGHT_LIST_EXPOSE, "X-Request-Id", "+X-Total -x-request-id", NULL },
    { PREFLIGHT_LIST_ORIGINS, "https://a.example https://*.b.example",
      "+https://c.example -https://a.example", NULL },
    { PREFLIGHT_LIST_ORIGINS, "https://a.example", "-https://x.b.example", NULL },
    { PREFLIGHT_LIST_ORIGINS, "*", "-https://evil.example", NULL },
    { PREFLIGHT_LIST_ORIGINS, "*", "-https://evil.example", "+https://evil.example" },
    { PREFLIGHT_LIST_ORIGINS, "https://a.example", "+https://*.c.example", NULL },
    { PREFLIGHT_LIST_ORIGINS, "https://a.example null", "-null", "+https://d.example" },
};

static const char *const overlay_probes[] = {
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "get",
    "content-type", "x-token", "x-debug", "x-secret", "x-a", "x-b",
    "authorization", "x-anything",
    "https://a.example", "https://c.example", "https://x.b.example",
    "https://x.c.example", "https://evil.example", "https://d.example",
    "https://other.example", "null", "HTTPS://A.EXAMPLE:443",
};

/* Whatever a request can ask of an overlay, it answers as the list built
 * by copying the inherited one and applying the edits does. */
static void test_overlays(apr_pool_t *p)
{
    apr_size_t i, j;

    for (i = 0; i < sizeof(overlay_cases) / sizeof(overlay_cases[0]); i++) {
        const overlay_case *c = &overlay_cases[i];
        preflight_list *base = list_of(p, c->kind, c->base);
        preflight_list *e1 = edit_list(p, c->kind, c->edit);
        preflight_list *o = preflight_list_merge_edit(p, base, e1);
        const preflight_list *copy = preflight_list_edit(p, c->kind, base, e1->edits);
        const char *what = apr_psprintf(p, "overlay %s | %s%s%s", c->base,
                                        c->edit, c->edit2 ? " | " : "",
                                        c->edit2 ? c->edit2 : "");

        if (c->edit2) {
            preflight_list *e2 = edit_list(p, c->kind, c->edit2);
            o = preflight_list_merge_edit(p, o, e2);
            copy = preflight_list_edit(p, c->kind, copy, e2->edits);
        }
        else if (i % 2) {
            /* the merge worked out at startup answers the same */
            preflight_list_memoize(p, base, e1);
            o = preflight_list_merge_edit(p, base, e1);
            check(o->base == NULL, "memo: a configured list comes back", what);
        }
        check(o->any == copy->any && o->excludes == copy->excludes,
              "overlay: any and exclusions", what);
        for (j = 0; j < sizeof(overlay_probes) / sizeof(overlay_probes[0]); j++) {
            const char *v = overlay_probes[j], *bad;
            apr_size_t bad_len;
            int n1, n2, same;

            switch (c->kind) {
            case PREFLIGHT_LIST_ORIGINS:
                same = preflight_origin_allowed(o, v) == preflight_origin_allowed(copy, v);
                break;
            case PREFLIGHT_LIST_METHODS:
                same = preflight_method_allowed(o, v) == preflight_method_allowed(copy, v);
                break;
            default:
                same = preflight_request_headers_check(o, v, &bad, &bad_len, &n1)
                       == preflight_request_headers_check(copy, v, &bad, &bad_len, &n2);
            }
            check(same, apr_psprintf(p, "overlay: %s allowed as by a copy", v), what);
        }
        if (c->kind != PREFLIGHT_LIST_ORIGINS) {
            const char *got = preflight_list_joined(p, o);
            check(!strcmp(got, preflight_list_joined(p, copy)), "overlay: joined",
                  apr_psprintf(p, "%s: '%s' against '%s'", what, got, copy->joined));
        }
        if (c->kind == PREFLIGHT_LIST_METHODS) {
            const char *a = preflight_list_allow(p, o);
            const char *b = preflight_list_allow(p, copy);
            check((!a && !b) || (a && b && !strcmp(a, b)), "overlay: Allow",
                  apr_psprintf(p, "%s: '%s' against '%s'", what, a ? a : "(none)",
                               b ? b : "(none)"));
        }
    }
}

typedef struct {
    const char *allowed;
    const char *request;
    preflight_headers_verdict verdict;
    int count;
} headers_case;

static const headers_case headers_cases[] = {
    { "Content-Type X-Token", "content-type,x-token", PREFLIGHT_HEADERS_OK, 2 },
    { "Content-Type X-Token", "Content-Type, X-TOKEN", PREFLIGHT_HEADERS_OK, 2 },
    { "Content-Type X-Token", " content-type \t,\tx-token ", PREFLIGHT_HEADERS_OK, 2 },
    { "Content-Type X-Token", "content-type,,x-token,", PREFLIGHT_HEADERS_OK, 2 },
    { "Content-Type X-Token", "", PREFLIGHT_HEADERS_MALFORMED, 0 },
    { "*", " , ,\t", PREFLIGHT_HEADERS_MALFORMED, 0 },
    { "Content-Type X-Token", "x-token,x-token", PREFLIGHT_HEADERS_OK, 2 },
    { "Content-Type X-Token", "x-debug", PREFLIGHT_HEADERS_DENIED, 0 },
    { "Content-Type X-Token", "content-type,x-debug", PREFLIGHT_HEADERS_DENIED, 1 },
    { "Content-Type X-Token", "x token", PREFLIGHT_HEADERS_MALFORMED, 0 },
    { "Content-Type X-Token", "x-token\r\nx: y", PREFLIGHT_HEADERS_MALFORMED, 0 },
    { "Content-Type X-Token", "x-t\xc3\xb6ken", PREFLIGHT_HEADERS_MALFORMED, 0 },
    { "*", "x-anything,content-type", PREFLIGHT_HEADERS_OK, 2 },
    { "*", "authorization", PREFLIGHT_HEADERS_DENIED_AUTHORIZATION, 0 },
    { "*", "x-a,Authorization", PREFLIGHT_HEADERS_DENIED_AUTHORIZATION, 1 },
    { "X-A", "authorization", PREFLIGHT_HEADERS_DENIED, 0 },
    { "* Authorization", "authorization,x-a", PREFLIGHT_HEADERS_OK, 2 },
    { "Authorization", "AUTHORIZATION", PREFLIGHT_HEADERS_OK, 1 },
    /* names found as they came must be whole names */
    { "X-Token", "x-tok", PREFLIGHT_HEADERS_DENIED, 0 },
    { "X-Token", "x-tokens", PREFLIGHT_HEADERS_DENIED, 0 },
    { "X-Token", "x-token ,x-tok", PREFLIGHT_HEADERS_DENIED, 1 },
    /* more than a few configured names are hashed */
    { "H1 H2 H3 H4 H5 H6 H7 H8 H9 X-Token", "x-token,h9", PREFLIGHT_HEADERS_OK, 2 },
    { "H1 H2 H3 H4 H5 H6 H7 H8 H9 X-Token", "X-Token, H1", PREFLIGHT_HEADERS_OK, 2 },
    { "H1 H2 H3 H4 H5 H6 H7 H8 H9 X-Token", "x-tok", PREFLIGHT_HEADERS_DENIED, 0 },
    { "H1 H2 H3 H4 H5 H6 H7 H8 H9 X-Token", "h10", PREFLIGHT_HEADERS_DENIED, 0 },
    { "H1 H2 H3 H4 H5 H6 H7 H8 H9 X-Token", "h1\x01", PREFLIGHT_HEADERS_MALFORMED, 0 },
};

static void test_request_headers(apr_pool_t *p)
{
    apr_size_t i;
    const char *bad;
    apr_size_t bad_len;
    int count;
    preflight_list *l;
    char *many;

    for (i = 0; i < sizeof(headers_cases) / sizeof(headers_cases[0]); i++) {
        const headers_case *c = &headers_cases[i];
        preflight_headers_verdict v;

        l = list_of(p, PREFLIGHT_LIST_HEADERS, c->allowed);
        v = preflight_request_headers_check(l, c->request, &bad, &bad_len, &count);
        check(v == c->verdict && (v != PREFLIGHT_HEADERS_OK || count == c->count),
              apr_psprintf(p, "request headers '%s' under '%s'", c->request, c->allowed),
              apr_psprintf(p, "verdict %d count %d", v, count));
    }

    l = list_of(p, PREFLIGHT_LIST_HEADERS, "X-A");
    check(preflight_request_headers_check(NULL, "x-a", &bad, &bad_len, &count)
          == PREFLIGHT_HEADERS_DENIED, "no list allows no header", NULL);
    check(preflight_request_headers_check(l, "x-b", &bad, &bad_len, &count)
          == PREFLIGHT_HEADERS_DENIED && bad_len == 3 && !strncmp(bad, "x-b", 3),
          "denied name reported", NULL);

    many = apr_palloc(p, 5001);
    memset(many, ',', 5000);
    many[5000] = '\0';
    check(preflight_request_headers_check(l, many, &bad, &bad_len, &count)
          == PREFLIGHT_HEADERS_MALFORMED, "5000 commas refused", NULL);

    l = list_of(p, PREFLIGHT_LIST_HEADERS, "*");
    {
        apr_array_header_t *names = apr_array_make(p, 10000, sizeof(char *));
        int n;
        for (n = 0; n < 10000; n++) {
            APR_ARRAY_PUSH(names, char *) = apr_psprintf(p, "x-h%d", n);
        }
        check(preflight_request_headers_check(l, apr_array_pstrcat(p, names, ','),
                                              &bad, &bad_len, &count)
              == PREFLIGHT_HEADERS_MALFORMED, "10000 names refused", NULL);
    }
    {
        char *name = apr_palloc(p, 300);
        memset(name, 'x', 299);
        name[299] = '\0';
        check(preflight_request_headers_check(l, name, &bad, &bad_len, &count)
              == PREFLIGHT_HEADERS_MALFORMED, "299-byte name refused", NULL);
    }
}

static void test_lists(apr_pool_t *p)
{
    preflight_list *h = list_of(p, PREFLIGHT_LIST_HEADERS, "Content-Type X-Token content-type");
    preflight_list *e = list_of(p, PREFLIGHT_LIST_EXPOSE, "* X-Request-Id");

    check(!strcmp(h->joined, "Content-Type, X-Token"), "duplicates joined once", h->joined);
    check(!strcmp(e->joined, "*, X-Request-Id"), "* joined first", e->joined);
    h = edited(p, PREFLIGHT_LIST_HEADERS, h, "-x-token +X-Other");
    check(!strcmp(h->joined, "Content-Type, X-Other"), "edited headers", h->joined);
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_origins(p);
    test_origin_list_sizes(p);
    test_request_fields(p);
    test_origin_edge_inputs(p);
    test_config_items(p);
    test_methods(p);
    test_origin_edits(p);
    test_overlays(p);
    test_request_headers(p);
    test_lists(p);
    test_json_and_form(p);
    test_html_and_console(p);
    apr_pool_destroy(p);
    apr_terminate();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
