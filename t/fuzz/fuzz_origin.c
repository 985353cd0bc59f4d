/*
 * libFuzzer harness for preflight_origin.c and preflight_policy.c: request
 * Origin parsing, configured-item normalization, and matching against a
 * few fixed policies. The module copies an allowed request Origin verbatim
 * into Access-Control-Allow-Origin, so every property below is one that
 * keeps a hostile Origin from becoming a CORS hole or a header injection.
 * A violated property aborts with a message, which libFuzzer reports as a
 * crash and saves the input. Built and run by tools/fuzz.sh.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_strings.h"

#include "preflight_policy.h"

/* Written as an operator might, next to the form each must normalize to:
 * property 1 compares against the second column, not against what the
 * code under test produced. */
static const char *const exact_items[][2] = {
    { "HTTPS://App.Example.COM:443", "https://app.example.com" },
    { "http://localhost:8080",       "http://localhost:8080" },
    { "http://[::1]:8080",           "http://[::1]:8080" },
    { "chrome-extension://abcdefgh", "chrome-extension://abcdefgh" },
    { "null",                        "null" },
};
#define N_EXACT (sizeof(exact_items) / sizeof(exact_items[0]))

static const char *const wild_items[] = {
    "https://*.example.com", "https://*.example.com:8443", "http://localhost:*",
};
#define N_WILD (sizeof(wild_items) / sizeof(wild_items[0]))

/* Removed from an inherited "*": the module then reflects every other
 * origin, so the parser alone stands between the input and the header. */
static const char EXCLUDED[] = "https://evil.example.com";

enum { L_EXACT, L_WILD, L_ANY, L_ANY_MINUS, L_EMPTY, L_NONE, N_LISTS };
static const char *const list_names[N_LISTS] = {
    "exact list", "wildcard list", "bare *", "* minus one origin",
    "empty list", "no list (NULL)",
};
static preflight_list *lists[N_LISTS];

#include "fuzz_support.h"

static preflight_list *make_list(apr_pool_t *p, const char *const *items,
                                 size_t n, int any)
{
    apr_array_header_t *a = apr_array_make(p, 4, sizeof(const char *));
    size_t i;

    for (i = 0; i < n; i++) {
        const char *norm, *why;
        if ((why = preflight_item_check(p, PREFLIGHT_LIST_ORIGINS, items[i], &norm))) {
            fprintf(stderr, "fuzz_origin: policy item '%s' refused: %s\n", items[i], why);
            abort();
        }
        APR_ARRAY_PUSH(a, const char *) = norm;
    }
    return preflight_list_make(p, PREFLIGHT_LIST_ORIGINS, a, any);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_array_header_t *edits;
    preflight_edit *e;
    const char *exact_cfg[N_EXACT];
    size_t i;

    (void)argc;
    (void)argv;
    fuzz_init_pools();

    for (i = 0; i < N_EXACT; i++) {
        exact_cfg[i] = exact_items[i][0];
    }
    lists[L_EXACT] = make_list(conf_pool, exact_cfg, N_EXACT, 0);
    lists[L_WILD] = make_list(conf_pool, wild_items, N_WILD, 0);
    lists[L_ANY] = make_list(conf_pool, NULL, 0, 1);
    lists[L_EMPTY] = make_list(conf_pool, NULL, 0, 0);
    lists[L_NONE] = NULL;

    edits = apr_array_make(conf_pool, 1, sizeof(preflight_edit));
    e = apr_array_push(edits);
    e->op = '-';
    if (preflight_item_check(conf_pool, PREFLIGHT_LIST_ORIGINS, EXCLUDED, &e->item)) {
        abort();
    }
    lists[L_ANY_MINUS] = preflight_list_edit(conf_pool, PREFLIGHT_LIST_ORIGINS,
                                             lists[L_ANY], edits);
    if (!lists[L_ANY_MINUS]->any || !lists[L_ANY_MINUS]->excluded) {
        fprintf(stderr, "fuzz_origin: '* minus one origin' did not keep * with an exclusion\n");
        abort();
    }
    return 0;
}

/* The harness's own idea of the comparison form: lower-case everything
 * (only scheme and host can hold letters in a well-formed origin) and drop
 * a default port. Deliberately naive, so it cannot share a bug with the
 * parser. */
static char *normalize(const char *v)
{
    char *n = apr_pstrdup(pool, v);
    size_t len = strlen(n), i;

    for (i = 0; i < len; i++) {
        if (n[i] >= 'A' && n[i] <= 'Z') {
            n[i] = (char)(n[i] - 'A' + 'a');
        }
    }
    if (strncmp(n, "https://", 8) == 0 && len > 12 && strcmp(n + len - 4, ":443") == 0) {
        n[len - 4] = '\0';
    }
    else if (strncmp(n, "http://", 7) == 0 && len > 10 && strcmp(n + len - 3, ":80") == 0) {
        n[len - 3] = '\0';
    }
    return n;
}

/* Property 2: could this value be sent as Access-Control-Allow-Origin
 * without splitting the header, smuggling a second origin or naming a
 * path or a user? The two slashes of "scheme://" are the only '/' a
 * serialized origin has. Returns what is wrong, or NULL. */
static const char *unsafe_to_reflect(const char *v, int star_ok)
{
    const char *sep = strstr(v, "://");
    const char *c;

    if (strcmp(v, "null") == 0) {
        return NULL;
    }
    for (c = v; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u == '\r' || u == '\n') {
            return "CR or LF";
        }
        if (u == ' ' || u == '\t') {
            return "space or tab";
        }
        if (u < 0x20 || u == 0x7f) {
            return "a control byte";
        }
        if (u >= 0x80) {
            return "a byte >= 0x80";
        }
        if (u == ',') {
            return "a comma";
        }
        if (u == '@') {
            return "an '@'";
        }
        if (u == '*' && !star_ok) {
            return "a '*'";
        }
    }
    if (!sep || sep == v) {
        return "no scheme://";
    }
    for (c = v; c < sep; c++) {
        if (*c == '/' || *c == '?' || *c == '#' || *c == ':') {
            return "a '/', '?', '#' or ':' in the scheme";
        }
    }
    for (c = sep + 3; *c; c++) {
        if (*c == '/' || *c == '?' || *c == '#') {
            return "a '/', '?' or '#' after scheme://";
        }
    }
    return NULL;
}

static int valid_port_digits(const char *p)
{
    size_t n = strlen(p), i;
    long v = 0;

    if (n == 0 || n > 5 || p[0] == '0') {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }
        v = v * 10 + (p[i] - '0');
    }
    return v <= 65535;
}

/* Property 3 (and its converse, used on well-formed input): what the
 * wildcard list may allow. Returns what is wrong, or NULL. */
static const char *outside_wildcards(const char *v)
{
    char *n = normalize(v);
    char *host, *colon, *c;
    size_t hlen, label;

    if (strncmp(n, "http://localhost", 16) == 0) {
        c = n + 16;
        if (*c == '\0' || (*c == ':' && valid_port_digits(c + 1))) {
            return NULL;
        }
        return "http://localhost followed by something other than a port";
    }
    if (strncmp(n, "https://", 8) != 0) {
        return "not https (and not http://localhost)";
    }
    host = n + 8;
    if ((colon = strchr(host, ':'))) {
        *colon = '\0';
        if (strcmp(colon + 1, "8443") != 0) {
            return "a port other than the default or 8443";
        }
    }
    hlen = strlen(host);
    if (hlen <= 12 || strcmp(host + hlen - 12, ".example.com") != 0) {
        return "no label before .example.com";
    }
    host[hlen - 12] = '\0';
    label = 0;
    for (c = host; ; c++) {
        if (*c == '.' || *c == '\0') {
            if (label == 0) {
                return "an empty label before .example.com";
            }
            if (*c == '\0') {
                break;
            }
            label = 0;
        }
        else if ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
                 || *c == '-' || *c == '_') {
            label++;
        }
        else {
            return "a byte that is not a host character before .example.com";
        }
    }
    return NULL;
}

/* Property 4, and the parser's own consistency: a parsed origin is a
 * bounded, lower-case key that is exactly the harness's normalization of
 * the input. */
static void check_parsed(const char *s, int patterns, const preflight_origin *o)
{
    size_t klen = strnlen(o->key, sizeof(o->key));
    size_t i;
    const char *why;

    REQUIRE(o->key_len <= PREFLIGHT_ORIGIN_MAX,
            "parse(patterns %d): key_len %zu > %d", patterns, (size_t)o->key_len,
            PREFLIGHT_ORIGIN_MAX);
    REQUIRE(klen == o->key_len,
            "parse(patterns %d): key_len %zu but the key is %zu bytes",
            patterns, (size_t)o->key_len, klen);
    for (i = 0; i < klen; i++) {
        REQUIRE(!(o->key[i] >= 'A' && o->key[i] <= 'Z'),
                "parse(patterns %d): upper-case letter in key '%s'", patterns, o->key);
    }
    REQUIRE(o->scheme_len >= 1 && o->scheme_len + 3 <= klen
            && memcmp(o->key + o->scheme_len, "://", 3) == 0,
            "parse(patterns %d): scheme_len %zu does not end at '://' in '%s'",
            patterns, (size_t)o->scheme_len, o->key);
    REQUIRE(o->host_len >= 1 && o->host_off >= o->scheme_len + 3
            && o->host_off + o->host_len <= klen,
            "parse(patterns %d): host %zu+%zu outside key '%s'", patterns,
            (size_t)o->host_off, (size_t)o->host_len, o->key);
    REQUIRE(o->port == PREFLIGHT_PORT_DEFAULT || (o->port >= 1 && o->port <= 65535)
            || (patterns && o->port == PREFLIGHT_PORT_ANY),
            "parse(patterns %d): port %d", patterns, o->port);
    REQUIRE(patterns || !o->wildcard, "parse(patterns 0): a wildcard was accepted");
    if (o->wildcard) {
        REQUIRE(o->key[o->host_off - 1] == '*' && o->key[o->host_off] == '.',
                "parse: wildcard key '%s' does not hold '*.' before the host", o->key);
    }
    why = unsafe_to_reflect(o->key, patterns);
    REQUIRE(!why, "parse(patterns %d): key '%s' holds %s", patterns, o->key, why);
    if (!patterns) {
        const char *n = normalize(s);
        REQUIRE(strcmp(n, o->key) == 0,
                "parse(patterns 0): key '%s' is not the normalized input '%s'",
                o->key, n);
    }
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* A configured item that preflight_item_check accepted must, once in a
 * list, allow the request origins it names and nothing next to them. */
static void check_configured(const char *s, const char *out)
{
    apr_array_header_t *a = apr_array_make(pool, 1, sizeof(const char *));
    preflight_list *l;
    preflight_origin po, ro;
    const char *why, *scheme, *host, *port, *alt;
    char *req;
    int alt_port;

    REQUIRE(!strchr(out, ','), "item_check: accepted item '%s' holds a comma", out);
    APR_ARRAY_PUSH(a, const char *) = out;
    l = preflight_list_make(pool, PREFLIGHT_LIST_ORIGINS, a, 0);

    if (strcmp(out, "null") == 0) {
        REQUIRE(strcmp(s, "null") == 0, "item_check: '%s' became null", s);
        REQUIRE(preflight_origin_allowed(l, "null"), "configured null refuses null");
        return;
    }
    why = preflight_origin_parse(out, 1, &po);
    REQUIRE(!why, "item_check: normalized item '%s' does not parse again: %s", out, why);
    REQUIRE(strcmp(po.key, out) == 0,
            "item_check: normalized item '%s' is not stable ('%s')", out, po.key);

    if (!strchr(s, '*')) {
        REQUIRE(preflight_origin_allowed(l, s),
                "configured origin '%s' (stored as '%s') refuses itself", s, out);
        return;
    }

    scheme = apr_pstrmemdup(pool, po.key, po.scheme_len);
    host = apr_pstrmemdup(pool, po.key + po.host_off, po.host_len);
    port = po.port > 0 ? apr_psprintf(pool, ":%d", po.port) : "";
    alt_port = po.port == 1 ? 2 : 1;
    alt = apr_psprintf(pool, ":%d", alt_port);

    if (po.wildcard) {
        /* host is ".parent" */
        req = apr_pstrcat(pool, scheme, "://x", host, port, NULL);
        if (po.host_len + 1 <= 253 && strlen(req) <= PREFLIGHT_ORIGIN_MAX
            && !preflight_origin_parse(req, 0, &ro)) {
            REQUIRE(preflight_origin_allowed(l, req),
                    "wildcard '%s' refuses '%s'", out, req);
        }
        req = apr_pstrcat(pool, scheme, "://", host + 1, port, NULL);
        REQUIRE(!preflight_origin_allowed(l, req),
                "wildcard '%s' allows its bare parent '%s'", out, req);
        req = apr_pstrcat(pool, scheme, "://x", host + 1, port, NULL);
        REQUIRE(!preflight_origin_allowed(l, req),
                "wildcard '%s' allows '%s' (suffix without the dot)", out, req);
        /* "x.evil.evil" is a real match of "*.evil": only a host that
         * does not end with the parent must be refused. */
        req = apr_pstrcat(pool, "x", host, ".evil", NULL);
        if (!ends_with(req, host)) {
            req = apr_pstrcat(pool, scheme, "://", req, port, NULL);
            REQUIRE(!preflight_origin_allowed(l, req),
                    "wildcard '%s' allows '%s' (parent not at the end)", out, req);
        }
        req = apr_pstrcat(pool, scheme, "://x", host, "x", port, NULL);
        REQUIRE(!preflight_origin_allowed(l, req),
                "wildcard '%s' allows '%s' (parent not at the end)", out, req);
        if (po.port != PREFLIGHT_PORT_ANY) {
            req = apr_pstrcat(pool, scheme, "://x", host, alt, NULL);
            REQUIRE(!preflight_origin_allowed(l, req),
                    "wildcard '%s' allows another port: '%s'", out, req);
        }
    }
    else if (po.port == PREFLIGHT_PORT_ANY) {
        req = apr_pstrcat(pool, scheme, "://", host, alt, NULL);
        REQUIRE(preflight_origin_allowed(l, req), "'%s' refuses '%s'", out, req);
        req = apr_pstrcat(pool, scheme, "://", host, NULL);
        REQUIRE(preflight_origin_allowed(l, req), "'%s' refuses '%s'", out, req);
        req = apr_pstrcat(pool, scheme, "://x", host, alt, NULL);
        REQUIRE(!preflight_origin_allowed(l, req),
                "'%s' allows another host '%s'", out, req);
    }
}

typedef struct {
    int allowed[N_LISTS];
    const char *why[2];
    char key[2][PREFLIGHT_ORIGIN_MAX + 1];
    const char *item_why;
    const char *item_out;
} outcome;

static int in_exact(const char *n)
{
    size_t i;

    for (i = 0; i < N_EXACT; i++) {
        if (strcmp(exact_items[i][1], "null") != 0 && strcmp(exact_items[i][1], n) == 0) {
            return 1;
        }
    }
    return 0;
}

static void run_one(const char *s, outcome *r, int check)
{
    preflight_origin o;
    const char *why;
    int pat, i, well_formed;

    for (pat = 0; pat < 2; pat++) {
        memset(&o, 0xa5, sizeof(o));
        r->why[pat] = preflight_origin_parse(s, pat, &o);
        r->key[pat][0] = '\0';
        if (!r->why[pat]) {
            if (check) {
                check_parsed(s, pat, &o);
            }
            /* bounded: on the unchecked pass key_len is not trusted */
            memcpy(r->key[pat], o.key, PREFLIGHT_ORIGIN_MAX);
            r->key[pat][strnlen(o.key, PREFLIGHT_ORIGIN_MAX)] = '\0';
        }
    }
    for (i = 0; i < N_LISTS; i++) {
        r->allowed[i] = preflight_origin_allowed(lists[i], s);
    }
    r->item_out = NULL;
    r->item_why = preflight_item_check(pool, PREFLIGHT_LIST_ORIGINS, s, &r->item_out);
    if (!check) {
        return;
    }

    well_formed = !r->why[0];
    if (!strchr(s, '*')) {
        REQUIRE(!r->why[0] == !r->why[1] && strcmp(r->key[0], r->key[1]) == 0,
                "parse with patterns differs on a plain origin: '%s' vs '%s'",
                r->why[0] ? r->why[0] : r->key[0], r->why[1] ? r->why[1] : r->key[1]);
    }

    /* Property 2, on every list whose answer reflects the request. */
    for (i = 0; i < N_LISTS; i++) {
        if (i == L_ANY || !r->allowed[i]) {
            continue;
        }
        why = unsafe_to_reflect(s, 0);
        REQUIRE(!why, "%s allows an origin holding %s", list_names[i], why);
    }

    /* Property 1 and its converse. */
    if (r->allowed[L_EXACT] && strcmp(s, "null") != 0) {
        REQUIRE(in_exact(normalize(s)),
                "exact list allows an origin that is not listed (normalized '%s')",
                normalize(s));
    }
    if (strcmp(s, "null") == 0 || (well_formed && in_exact(r->key[0]))) {
        REQUIRE(r->allowed[L_EXACT], "exact list refuses a listed origin");
    }

    /* Property 3 and its converse. */
    if (r->allowed[L_WILD]) {
        why = outside_wildcards(s);
        REQUIRE(!why, "wildcard list allows an origin with %s", why);
    }
    if (well_formed && !outside_wildcards(s)) {
        REQUIRE(r->allowed[L_WILD], "wildcard list refuses a matching origin");
    }

    /* "*" minus one: everything well formed except the removed origin. */
    if (r->allowed[L_ANY_MINUS] && strcmp(s, "null") != 0) {
        REQUIRE(strcmp(normalize(s), EXCLUDED) != 0,
                "* minus %s allows it back", EXCLUDED);
    }
    REQUIRE(r->allowed[L_ANY_MINUS]
            == (strcmp(s, "null") == 0 || (well_formed && strcmp(r->key[0], EXCLUDED) != 0)),
            "* minus one origin: allowed %d, expected the opposite",
            r->allowed[L_ANY_MINUS]);

    REQUIRE(!r->allowed[L_EMPTY], "the empty list allows an origin");
    REQUIRE(!r->allowed[L_NONE], "no list (NULL) allows an origin");

    if (!r->item_why) {
        REQUIRE(r->item_out != NULL, "item_check accepted without an output");
        check_configured(s, r->item_out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static outcome prefix, whole;
    const uint8_t *nul = memchr(data, 0, size);
    size_t n = nul ? (size_t)(nul - data) : size;
    char *s, *full;
    int i;

    /* Exactly n + 1 bytes on the heap: ASan reports any read past the
     * terminator. */
    s = exact_copy(data, n);
    cur_input = (const char *)data;
    cur_len = size;
    run_one(s, &prefix, 1);

    /* A header value ends at its first NUL: what follows must change
     * nothing. */
    if (nul) {
        full = exact_copy(data, size);
        run_one(full, &whole, 0);
        for (i = 0; i < N_LISTS; i++) {
            REQUIRE(prefix.allowed[i] == whole.allowed[i],
                    "%s: bytes after a NUL change the answer", list_names[i]);
        }
        for (i = 0; i < 2; i++) {
            REQUIRE((prefix.why[i] == NULL) == (whole.why[i] == NULL)
                    && strcmp(prefix.key[i], whole.key[i]) == 0,
                    "parse(patterns %d): bytes after a NUL change the result", i);
        }
        REQUIRE((prefix.item_why == NULL) == (whole.item_why == NULL)
                && (prefix.item_why || strcmp(prefix.item_out, whole.item_out) == 0),
                "item_check: bytes after a NUL change the result");
        free(full);
    }
    free(s);
    apr_pool_clear(pool);
    return 0;
}
