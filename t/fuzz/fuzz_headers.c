/*
 * libFuzzer harness for preflight_request.c: the
 * splitting and checking of Access-Control-Request-Headers, the method
 * check, and the RFC 9110 token test. With credentials on, the module
 * echoes the request's own header list and method into the answer, so an
 * OK verdict is what keeps hostile bytes out of those headers. Each input
 * is compared with a plain reference reading of the rules (comma-separated,
 * SP/HTAB trimmed, empty items ignored, at most 256 items of at most 256
 * bytes); a violated property aborts with a message, which libFuzzer
 * reports as a crash and saves the input. The same input also goes through
 * what the explain handler does with query values: form decoding (only
 * printable ASCII may come out) and JSON quoting (always a valid JSON
 * string that reads back as the input), and HTML escaping for the
 * inspector page (no markup byte, reads back as the input). And the
 * input, read as a list of
 * +/- edits, is merged onto each header list as a request would merge it
 * (an overlay): every verdict and the joined value must be those of the
 * list built by copying and applying the edits. Built and run by
 * tools/fuzz.sh.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apr_general.h"
#include "apr_strings.h"

#include "preflight_policy.h"
#include "preflight_json.h"
#include "preflight_html.h"

#define MAX_ITEMS PREFLIGHT_REQUEST_HEADERS_MAX
#define MAX_NAME PREFLIGHT_HEADER_NAME_MAX

enum { H_NAMED, H_ANY, H_ANY_AUTH, H_ANY_MINUS, H_NONE, N_HLISTS };
static const char *const hlist_names[N_HLISTS] = {
    "Content-Type X-Token", "*", "* Authorization", "* minus X-Debug",
    "no list (NULL)",
};
static preflight_list *hlists[N_HLISTS];

enum { M_NAMED, M_ANY, M_ANY_MINUS, M_NONE, N_MLISTS };
static const char *const mlist_names[N_MLISTS] = {
    "GET POST PUT", "*", "* minus DELETE", "no list (default GET HEAD POST)",
};
static preflight_list *mlists[N_MLISTS];

#include "fuzz_support.h"

static preflight_list *make_list(preflight_list_kind kind, const char *spec)
{
    apr_array_header_t *items = apr_array_make(conf_pool, 4, sizeof(const char *));
    char *s = apr_pstrdup(conf_pool, spec), *tok, *last;
    int any = 0;

    for (tok = apr_strtok(s, " ", &last); tok; tok = apr_strtok(NULL, " ", &last)) {
        const char *norm, *why;
        if (strcmp(tok, "*") == 0) {
            any = 1;
            continue;
        }
        if ((why = preflight_item_check(conf_pool, kind, tok, &norm))) {
            fprintf(stderr, "fuzz_headers: policy item '%s' refused: %s\n", tok, why);
            abort();
        }
        APR_ARRAY_PUSH(items, const char *) = norm;
    }
    return preflight_list_make(conf_pool, kind, items, any);
}

static preflight_list *minus(preflight_list_kind kind, preflight_list *base,
                             const char *item)
{
    apr_array_header_t *edits = apr_array_make(conf_pool, 1, sizeof(preflight_edit));
    preflight_edit *e = apr_array_push(edits);
    preflight_list *l;

    e->op = '-';
    e->item = item;
    l = preflight_list_edit(conf_pool, kind, base, edits);
    if (!l->any || !l->excluded) {
        fprintf(stderr, "fuzz_headers: '* minus %s' did not keep * with an exclusion\n", item);
        abort();
    }
    return l;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init_pools();

    hlists[H_NAMED] = make_list(PREFLIGHT_LIST_HEADERS, "Content-Type X-Token");
    hlists[H_ANY] = make_list(PREFLIGHT_LIST_HEADERS, "*");
    hlists[H_ANY_AUTH] = make_list(PREFLIGHT_LIST_HEADERS, "* Authorization");
    hlists[H_ANY_MINUS] = minus(PREFLIGHT_LIST_HEADERS, hlists[H_ANY], "X-Debug");
    hlists[H_NONE] = NULL;

    mlists[M_NAMED] = make_list(PREFLIGHT_LIST_METHODS, "GET POST PUT");
    mlists[M_ANY] = make_list(PREFLIGHT_LIST_METHODS, "*");
    mlists[M_ANY_MINUS] = minus(PREFLIGHT_LIST_METHODS, mlists[M_ANY], "DELETE");
    mlists[M_NONE] = NULL;
    return 0;
}

/* RFC 9110 5.6.2, written out again rather than shared with the code under
 * test. */
static int ref_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\''
           || c == '*' || c == '+' || c == '-' || c == '.' || c == '^' || c == '_'
           || c == '`' || c == '|' || c == '~';
}

static int ref_token(const char *s, size_t n)
{
    size_t i;

    if (n == 0) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!ref_tchar((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

/* strncasecmp rather than a loop of our own: libFuzzer intercepts it and
 * learns the names from it. The harness never calls setlocale, so this is
 * the ASCII comparison of the C locale. */
static int ieq(const char *a, size_t n, const char *lower)
{
    return strlen(lower) == n && strncasecmp(a, lower, n) == 0;
}

/* What each list allows, for a well-formed name. */
static int ref_header_allowed(int list, const char *name, size_t n)
{
    switch (list) {
    case H_NAMED:
        return ieq(name, n, "content-type") || ieq(name, n, "x-token");
    case H_ANY:
        return !ieq(name, n, "authorization");
    case H_ANY_AUTH:
        return 1;
    case H_ANY_MINUS:
        return !ieq(name, n, "authorization") && !ieq(name, n, "x-debug");
    default:
        return 0;
    }
}

typedef struct {
    preflight_headers_verdict v;
    int count;
    size_t bad_off;     /* offset of *bad in the value, or (size_t)-1 */
    size_t bad_len;
} hresult;

/* The reference reading, in the order the rules are stated; the first
 * item that fails decides. */
static preflight_headers_verdict ref_headers(int list, const char *s, int *count,
                                             size_t *bad_off, size_t *bad_len)
{
    const char *p = s;
    int items = 0;

    *count = 0;
    *bad_off = (size_t)-1;
    *bad_len = 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *item_end = comma ? comma : p + strlen(p);
        const char *b = p, *e = item_end;

        if (++items > MAX_ITEMS) {
            return PREFLIGHT_HEADERS_MALFORMED;
        }
        while (b < e && (*b == ' ' || *b == '\t')) {
            b++;
        }
        while (e > b && (e[-1] == ' ' || e[-1] == '\t')) {
            e--;
        }
        if (e > b) {
            if ((size_t)(e - b) > MAX_NAME || !ref_token(b, e - b)) {
                *bad_off = b - s;
                *bad_len = e - b;
                return PREFLIGHT_HEADERS_MALFORMED;
            }
            if (!ref_header_allowed(list, b, e - b)) {
                *bad_off = b - s;
                *bad_len = e - b;
                return (list == H_ANY || list == H_ANY_MINUS)
                       && ieq(b, e - b, "authorization")
                       ? PREFLIGHT_HEADERS_DENIED_AUTHORIZATION
                       : PREFLIGHT_HEADERS_DENIED;
            }
            (*count)++;
        }
        if (!comma) {
            /* a list with no name in it is malformed */
            return *count > 0 ? PREFLIGHT_HEADERS_OK : PREFLIGHT_HEADERS_MALFORMED;
        }
        p = comma + 1;
    }
}

static void check_headers(int list, const char *s, size_t n, hresult *r, int check)
{
    const char *bad = (const char *)&bad;   /* a value no answer can hold */
    apr_size_t bad_len = (apr_size_t)-1;
    int count = -1, ref_count;
    size_t ref_off, ref_len;
    preflight_headers_verdict ref;

    r->v = preflight_request_headers_check(hlists[list], s, &bad, &bad_len, &count);
    r->count = count;
    REQUIRE(r->v == PREFLIGHT_HEADERS_OK || r->v == PREFLIGHT_HEADERS_DENIED
            || r->v == PREFLIGHT_HEADERS_DENIED_AUTHORIZATION
            || r->v == PREFLIGHT_HEADERS_MALFORMED,
            "%s: verdict %d is none of OK, DENIED, DENIED_AUTHORIZATION, MALFORMED",
            hlist_names[list], r->v);
    REQUIRE(bad == NULL || (bad >= s && bad <= s + n && bad_len <= (size_t)(s + n - bad)),
            "%s: bad (%zu bytes) points outside the %zu-byte value", hlist_names[list],
            (size_t)bad_len, n);
    r->bad_off = bad ? (size_t)(bad - s) : (size_t)-1;
    r->bad_len = bad ? bad_len : 0;
    if (!check) {
        return;
    }
    ref = ref_headers(list, s, &ref_count, &ref_off, &ref_len);

    if (r->v == PREFLIGHT_HEADERS_OK) {
        size_t i;

        /* With credentials on, the module echoes this value verbatim as
         * Access-Control-Allow-Headers. */
        for (i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            REQUIRE(ref_tchar(c) || c == ',' || c == ' ' || c == '\t',
                    "%s: OK for a value holding byte 0x%02x at %zu",
                    hlist_names[list], c, i);
        }
        REQUIRE(ref != PREFLIGHT_HEADERS_DENIED
                && ref != PREFLIGHT_HEADERS_DENIED_AUTHORIZATION,
                "%s: OK, but the item at %zu ('%.*s') is not allowed",
                hlist_names[list], ref_off, (int)ref_len, s + ref_off);
        REQUIRE(ref != PREFLIGHT_HEADERS_MALFORMED || ref_off != (size_t)-1,
                "%s: OK for a value of more than %d items, or of none",
                hlist_names[list], MAX_ITEMS);
        REQUIRE(ref != PREFLIGHT_HEADERS_MALFORMED,
                "%s: OK, but the item at %zu (%zu bytes) is not a token of at "
                "most %d bytes", hlist_names[list], ref_off, ref_len, MAX_NAME);
        REQUIRE(count == ref_count, "%s: OK with count %d, but %d non-empty items",
                hlist_names[list], count, ref_count);
        REQUIRE(bad == NULL && bad_len == 0, "%s: OK but bad is set", hlist_names[list]);
    }
    else {
        REQUIRE(ref != PREFLIGHT_HEADERS_OK,
                "%s: verdict %s for a list of %d allowed names",
                hlist_names[list],
                r->v == PREFLIGHT_HEADERS_DENIED ? "DENIED" : "MALFORMED", ref_count);
    }
    if (r->v == PREFLIGHT_HEADERS_DENIED
        || r->v == PREFLIGHT_HEADERS_DENIED_AUTHORIZATION) {
        /* The module logs this name: it must be one whole item, a token,
         * that the list really does not allow. */
        REQUIRE(bad != NULL && bad_len > 0 && bad_len <= MAX_NAME,
                "%s: DENIED without the name", hlist_names[list]);
        REQUIRE(ref_token(bad, bad_len) && !ref_header_allowed(list, bad, bad_len),
                "%s: DENIED naming '%.*s', which is allowed or not a token",
                hlist_names[list], (int)bad_len, bad);
        REQUIRE(ref == r->v && ref_off == r->bad_off && ref_len == bad_len,
                "%s: DENIED at offset %zu, the first failing item is at %zu (%s)",
                hlist_names[list], r->bad_off, ref_off,
                ref == PREFLIGHT_HEADERS_DENIED ? "denied" : "malformed");
    }
    if (r->v == PREFLIGHT_HEADERS_MALFORMED) {
        REQUIRE(ref == PREFLIGHT_HEADERS_MALFORMED,
                "%s: MALFORMED, but the first failing item at %zu is a denied token",
                hlist_names[list], ref_off);
    }
}

static int ref_method_allowed(int list, const char *m, size_t n)
{
    if (!ref_token(m, n) || n > PREFLIGHT_METHOD_MAX) {
        return 0;
    }
    switch (list) {
    case M_NAMED:
        return !strcmp(m, "GET") || !strcmp(m, "POST") || !strcmp(m, "PUT");
    case M_ANY:
        return 1;
    case M_ANY_MINUS:
        return strcmp(m, "DELETE") != 0;
    default:
        return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "POST");
    }
}

static void check_tokens(const char *s, size_t n, const uint8_t *data, size_t size)
{
    const char *out;
    const char *why;
    int i, got;

    for (i = 0; i < N_MLISTS; i++) {
        got = preflight_method_allowed(mlists[i], s);
        REQUIRE(got == ref_method_allowed(i, s, n),
                "method under %s: %s, expected the opposite", mlist_names[i],
                got ? "allowed" : "refused");
    }

    got = preflight_is_token(s, n);
    REQUIRE(got == ref_token(s, n), "is_token(up to NUL): %d, expected %d", got, !got);
    /* The whole input, NULs included: a NUL is not a tchar. */
    got = preflight_is_token((const char *)data, size);
    REQUIRE(got == ref_token((const char *)data, size),
            "is_token(whole %zu bytes): %d, expected %d", size, got, !got);

    for (i = 0; i < 2; i++) {
        preflight_list_kind kind = i ? PREFLIGHT_LIST_HEADERS : PREFLIGHT_LIST_METHODS;
        out = NULL;
        why = preflight_item_check(pool, kind, s, &out);
        REQUIRE((why == NULL) == ref_token(s, n),
                "item_check(%s): %s a %stoken", i ? "headers" : "methods",
                why ? "refuses" : "accepts", why ? "" : "non-");
        REQUIRE(why || (out && strcmp(out, s) == 0),
                "item_check(%s): accepted item changed", i ? "headers" : "methods");
    }
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
        return (c | 0x20) - 'a' + 10;
    }
    return -1;
}

/* Form decoding, read the plain way: OK exactly when every escape is
 * complete and every byte that comes out is printable ASCII. */
static void check_form(const char *s, size_t n)
{
    char *copy = apr_pstrmemdup(pool, s, n);
    preflight_form_verdict v = preflight_form_decode(copy);
    size_t i, out = 0;
    int ok = 1;

    for (i = 0; i < n && ok; out++) {
        int c;
        if (s[i] == '%') {
            int hi = i + 1 < n ? hexval((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                ok = 0;
                break;
            }
            c = hi * 16 + lo;
            i += 3;
        }
        else {
            c = s[i] == '+' ? ' ' : (unsigned char)s[i];
            i++;
        }
        ok = c >= 0x20 && c < 0x7f;
    }
    REQUIRE((v == PREFLIGHT_FORM_OK) == ok, "form_decode: %s, expected the opposite",
            v == PREFLIGHT_FORM_OK ? "OK" : "refused");
    if (v == PREFLIGHT_FORM_OK) {
        REQUIRE(strlen(copy) == out, "form_decode: %zu bytes out, expected %zu",
                strlen(copy), out);
        for (i = 0; copy[i]; i++) {
            REQUIRE(copy[i] >= 0x20 && copy[i] < 0x7f,
                    "form_decode: byte 0x%02x came out", (unsigned char)copy[i]);
        }
    }
}

/* Reads one code point of UTF-8; 0 length when it is not valid UTF-8. */
static size_t ref_utf8(const unsigned char *s, size_t n, unsigned long *cp)
{
    size_t len, i;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
    if (!len || len > n || s[0] > 0xf4) {
        return 0;
    }
    *cp = s[0] & (0x7f >> len);
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if (*cp < (len == 2 ? 0x80UL : len == 3 ? 0x800UL : 0x10000UL)
        || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff)) {
        return 0;
    }
    return len;
}

/* The explain handler's JSON: a valid JSON string (RFC 8259) of valid
 * UTF-8, which reads back as the input with U+FFFD for bytes that are not
 * UTF-8. */
static void check_json(const char *s, size_t n)
{
    const unsigned char *j = (const unsigned char *)preflight_json_string(pool, s);
    size_t jn = strlen((const char *)j), i = 1, in = 0;

    REQUIRE(jn >= 2 && j[0] == '"' && j[jn - 1] == '"', "json: not quoted");
    while (i < jn - 1) {
        unsigned long cp, want;
        size_t len;

        if (j[i] == '\\') {
            REQUIRE(i + 1 < jn - 1, "json: lone backslash at the end");
            if (j[i + 1] == '"' || j[i + 1] == '\\') {
                cp = j[i + 1];
                i += 2;
            }
            else {
                REQUIRE(j[i + 1] == 'u' && i + 6 <= jn - 1 && hexval(j[i + 2]) >= 0
                        && hexval(j[i + 3]) >= 0 && hexval(j[i + 4]) >= 0
                        && hexval(j[i + 5]) >= 0, "json: bad escape at %zu", i);
                cp = (unsigned long)(hexval(j[i + 2]) << 12 | hexval(j[i + 3]) << 8
                                     | hexval(j[i + 4]) << 4 | hexval(j[i + 5]));
                i += 6;
            }
        }
        else {
            REQUIRE(j[i] >= 0x20 && j[i] != '"', "json: raw byte 0x%02x at %zu", j[i], i);
            len = ref_utf8(j + i, jn - 1 - i, &cp);
            REQUIRE(len > 0, "json: invalid UTF-8 at %zu", i);
            i += len;
        }
        REQUIRE(in < n, "json: reads back longer than the input");
        len = ref_utf8((const unsigned char *)s + in, n - in, &want);
        if (!len) {
            want = 0xfffd;
            len = 1;
        }
        REQUIRE(cp == want, "json: U+%04lx where the input has U+%04lx", cp, want);
        in += len;
    }
    REQUIRE(in == n, "json: reads back %zu of %zu bytes", in, n);
}

/* The inspector's HTML: no byte that can open a tag, end a quoted
 * attribute or start a reference except through the five references it
 * writes; valid UTF-8 throughout; and it reads back as the input, with
 * U+FFFD for control bytes (but tab and LF) and bytes that are not UTF-8.
 * Whatever the Accept value, choosing HTML or JSON does not crash. */
static void check_html(const char *s, size_t n)
{
    static const char *const refs[][2] = {
        { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
        { "&#39;", "'" },
    };
    const unsigned char *h = (const unsigned char *)preflight_html_escape(pool, s);
    size_t hn = strlen((const char *)h), i = 0, in = 0, k;

    (void)preflight_html_preferred(s);
    while (i < hn) {
        unsigned long cp, want;
        size_t len;

        REQUIRE(h[i] != '<' && h[i] != '>' && h[i] != '"' && h[i] != '\'',
                "html: raw markup byte 0x%02x at %zu", h[i], i);
        if (h[i] == '&') {
            for (k = 0; k < 5 && strncmp((const char *)h + i, refs[k][0],
                                         strlen(refs[k][0])); k++)
                ;
            REQUIRE(k < 5, "html: a & that starts no reference at %zu", i);
            cp = (unsigned char)refs[k][1][0];
            i += strlen(refs[k][0]);
        }
        else {
            REQUIRE(h[i] >= 0x20 || h[i] == '\t' || h[i] == '\n',
                    "html: control byte 0x%02x at %zu", h[i], i);
            len = ref_utf8(h + i, hn - i, &cp);
            REQUIRE(len > 0, "html: invalid UTF-8 at %zu", i);
            REQUIRE(cp != 0x7f, "html: DEL at %zu", i);
            i += len;
        }
        REQUIRE(in < n, "html: reads back longer than the input");
        len = ref_utf8((const unsigned char *)s + in, n - in, &want);
        if (!len) {
            want = 0xfffd;
            len = 1;
        }
        if (want < 0x20 ? want != '\t' && want != '\n' : want == 0x7f) {
            want = 0xfffd;
        }
        REQUIRE(cp == want, "html: U+%04lx where the input has U+%04lx", cp, want);
        in += len;
    }
    REQUIRE(in == n, "html: reads back %zu of %zu bytes", in, n);
}

/* The input as a +/- list of header names, as a section could write it;
 * NULL when a word is not one. */
static preflight_list *edits_from(const char *s)
{
    apr_array_header_t *edits = apr_array_make(pool, 4, sizeof(preflight_edit));
    char *copy = apr_pstrdup(pool, s), *tok, *last;
    preflight_list *l;

    for (tok = apr_strtok(copy, " ", &last); tok; tok = apr_strtok(NULL, " ", &last)) {
        preflight_edit *e = apr_array_push(edits);
        if ((tok[0] != '+' && tok[0] != '-') || !tok[1]) {
            return NULL;
        }
        e->op = tok[0];
        if (strcmp(tok + 1, "*") == 0) {
            e->item = "*";
        }
        else if (preflight_item_check(pool, PREFLIGHT_LIST_HEADERS, tok + 1, &e->item)) {
            return NULL;
        }
    }
    if (!edits->nelts) {
        return NULL;
    }
    l = preflight_list_edit(pool, PREFLIGHT_LIST_HEADERS, NULL, edits);
    l->edits = edits;
    preflight_list_compile_edits(pool, l);
    return l;
}

static void check_overlays(const char *s)
{
    static const char *const probes[] = {
        "content-type", "x-token", "x-debug", "authorization", "x-a,x-b",
        "Content-Type, X-Token", "x-other"
    };
    preflight_list *edit = edits_from(s);
    int i, j;

    for (i = 0; edit && i < N_HLISTS; i++) {
        const preflight_list *base = hlists[i];
        const preflight_list *o, *copy;

        if (!base) {
            continue;
        }
        o = preflight_list_merge_edit(pool, base, edit);
        copy = preflight_list_edit(pool, PREFLIGHT_LIST_HEADERS, base, edit->edits);
        REQUIRE(o->any == copy->any && o->excludes == copy->excludes,
                "overlay on %s: any/excludes differ from the copy", hlist_names[i]);
        REQUIRE(!strcmp(preflight_list_joined(pool, o), copy->joined),
                "overlay on %s: joined '%s', the copy '%s'", hlist_names[i],
                preflight_list_joined(pool, o), copy->joined);
        for (j = 0; j < (int)(sizeof(probes) / sizeof(probes[0])); j++) {
            const char *bad;
            apr_size_t bad_len;
            int n1, n2;
            REQUIRE(preflight_request_headers_check(o, probes[j], &bad, &bad_len, &n1)
                    == preflight_request_headers_check(copy, probes[j], &bad, &bad_len, &n2),
                    "overlay on %s: '%s' judged otherwise than by the copy",
                    hlist_names[i], probes[j]);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t n = nul ? (size_t)(nul - data) : size;
    hresult prefix[N_HLISTS], whole;
    char *s, *full;
    int i;

    cur_input = (const char *)data;
    cur_len = size;
    /* Exactly n + 1 bytes on the heap: ASan reports any read past the
     * terminator. */
    s = exact_copy(data, n);
    for (i = 0; i < N_HLISTS; i++) {
        check_headers(i, s, n, &prefix[i], 1);
    }
    check_tokens(s, n, data, size);
    check_form(s, n);
    check_json(s, n);
    check_html(s, n);
    check_overlays(s);

    /* A header value ends at its first NUL: what follows must change
     * nothing. */
    if (nul) {
        full = exact_copy(data, size);
        for (i = 0; i < N_HLISTS; i++) {
            check_headers(i, full, size, &whole, 0);
            REQUIRE(whole.v == prefix[i].v && whole.count == prefix[i].count
                    && whole.bad_off == prefix[i].bad_off
                    && whole.bad_len == prefix[i].bad_len,
                    "%s: bytes after a NUL change the verdict", hlist_names[i]);
        }
        free(full);
    }
    free(s);
    apr_pool_clear(pool);
    return 0;
}
