/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_headers.c: the decision, written into the response. The module
 * writes its Access-Control-* headers into err_headers_out in fixups (and
 * for errors that come earlier, as the error response is made), and an
 * output filter checks them once more just before the headers go out, so
 * that a backend, a CGI or mod_headers cannot add a second value or one the
 * module refused. See README.md, "Behaviour in detail", Actual requests.
 */

#include "apr_strings.h"
#include "apr_hash.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "mod_preflight_private.h"

APLOG_USE_MODULE(preflight);
/* One block of text (a two-dimensional array), so that is_cors_key can
 * tell the module's own keys by address alone. */
const char preflight_header_names[PF_HDR_COUNT][PF_HDR_NAME_SIZE] = {
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Private-Network",
    "Access-Control-Max-Age",
    "Access-Control-Expose-Headers"
};

/* %{PREFLIGHT_BACKEND}e, README "Reading decisions". */
const char * const preflight_backend_names[] = {
    [PF_BACKEND_NONE]     = NULL,
    [PF_BACKEND_REPLACED] = "replaced",
    [PF_BACKEND_REMOVED]  = "removed",
};

/* Set once in register_hooks, before any request; read-only afterwards. They
 * spare every request a lookup of the filter by name. */
static ap_filter_rec_t *preflight_filter_handle;
static ap_filter_rec_t *preflight_after_cache_handle;

/* Set in post_config, before any request is served; read-only afterwards. */
static int preflight_cache_loaded;

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Are the first len bytes of a and b the same but for ASCII case? b holds at
 * least len bytes, so a shorter a stops the loop at its NUL. Written out
 * rather than strncasecmp: the comparisons here are short and run for
 * every header of every response in scope, and glibc's vector version pays
 * a slow path whenever one of the strings lies near the end of a page,
 * which for a string literal depends on where the linker put it. */
static int ascii_case_equal(const char *a, const char *b, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (a[i] != b[i] && ascii_lower(a[i]) != ascii_lower(b[i])) {
            return 0;
        }
    }
    return 1;
}

/* Every response in scope passes each key of both tables through this, so
 * it is made cheap in two ways. The first byte, folded to lower case, rules
 * out nearly every other key. And the module's own entries are known by
 * the key's address: apr_table_addn/setn keep the pointer they are given,
 * which for the module is always within preflight_header_names, so for them
 * no byte is compared. */
static APR_INLINE int is_cors_key(const char *key)
{
    if ((key[0] | 0x20) != 'a') {
        return 0;
    }
    if ((apr_uintptr_t)key - (apr_uintptr_t)preflight_header_names
        < sizeof(preflight_header_names)) {
        return 1;
    }
    /* Accept-Ranges, Age, Allow: the fourth byte at the latest tells them
     * from "Access-" (each test stops at the key's NUL) */
    return (key[1] | 0x20) == 'c' && (key[2] | 0x20) == 'c'
           && (key[3] | 0x20) == 'e' && (key[4] | 0x20) == 's'
           && ascii_case_equal(key + 5, "s-Control-", 10);
}

/* Response headers a script may read without being exposed (Fetch). */
static const char * const safelisted_response_headers[] = {
    "cache-control", "content-language", "content-length", "content-type",
    "expires", "last-modified", "pragma", NULL
};

static int is_safelisted_or_owned(const char *name)
{
    int i;

    if (is_cors_key(name) || !strcasecmp(name, "Set-Cookie")) {
        return 1;
    }
    for (i = 0; safelisted_response_headers[i]; i++) {
        if (!strcasecmp(name, safelisted_response_headers[i])) {
            return 1;
        }
    }
    return 0;
}

typedef struct {
    apr_pool_t *p;
    apr_hash_t *seen;
    apr_array_header_t *names;
} expose_collector;

static int collect_name(void *ctx, const char *name, const char *value)
{
    expose_collector *c = ctx;
    char *lower;

    if (is_safelisted_or_owned(name)) {
        return 1;
    }
    lower = apr_pstrdup(c->p, name);
    ap_str_tolower(lower);
    if (!apr_hash_get(c->seen, lower, APR_HASH_KEY_STRING)) {
        apr_hash_set(c->seen, lower, APR_HASH_KEY_STRING, name);
        if (c->names->nelts) {
            APR_ARRAY_PUSH(c->names, const char *) = ", ";
        }
        APR_ARRAY_PUSH(c->names, const char *) = name;
    }
    return 1;
}

/* Fetch ignores a literal "*" in Access-Control-Expose-Headers when
 * credentials are on, so name the response's headers instead. */
static const char *expose_response_headers(request_rec *r,
                                           const preflight_list *expose)
{
    const apr_array_header_t *items = preflight_list_items(r->pool, expose);
    expose_collector c;
    int i;

    c.p = r->pool;
    c.seen = apr_hash_make(r->pool);
    c.names = apr_array_make(r->pool, 16, sizeof(const char *));
    for (i = 0; i < items->nelts; i++) {
        const char *name = APR_ARRAY_IDX(items, i, const char *);
        collect_name(&c, name, NULL);
    }
    apr_table_do(collect_name, &c, r->headers_out, NULL);
    apr_table_do(collect_name, &c, r->err_headers_out, NULL);
    return c.names->nelts ? apr_array_pstrcat(r->pool, c.names, '\0') : NULL;
}

/* The module adds its Vary field with apr_table_addn (and merges into
 * another with apr_table_mergen), which keep the key and a value given to
 * them: such an entry is known by address, as the module's own headers
 * are. */
static const char vary_name[] = "Vary";

static int is_vary_key(const char *key)
{
    return key == vary_name || !strcasecmp(key, vary_name);
}

static int value_has_token(const char *value, const char *token)
{
    apr_size_t len;
    const char *p = value;

    if (value == token) {
        return 1;
    }
    len = strlen(token);

    while (*p) {
        const char *start;

        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        for (start = p; *p && *p != ',' && *p != ' ' && *p != '\t'; p++)
            ;
        if ((apr_size_t)(p - start) == len && ascii_case_equal(start, token, len)) {
            return 1;
        }
    }
    return 0;
}

/* The module's own entries are known by address, not by text: it writes
 * them with apr_table_setn/addn, which keep both pointers, so an entry whose
 * key is preflight_header_names[h] and whose value is d->value[h] is the
 * module's. A backend or mod_headers value with the same text is another
 * pointer, and counts as someone else's: left in, it would be a second
 * header. Every write must therefore use the *n functions with the names
 * and d->value[] themselves, never a copy. */
static int is_own_entry(const preflight_decision *d, const char *key,
                        const char *v)
{
    apr_uintptr_t off = (apr_uintptr_t)key - (apr_uintptr_t)preflight_header_names;

    return off < sizeof(preflight_header_names) && off % PF_HDR_NAME_SIZE == 0
           && v && v == d->value[off / PF_HDR_NAME_SIZE];
}

/** What one pass over a response table found. */
typedef struct {
    int foreign;        /**< an Access-Control-* value the module did not set */
    int own;            /**< the module's own values */
    unsigned vary;      /**< bit i: d->vary->tokens[i] is already a Vary token */
    int has_vary;       /**< a Vary field is there */
} table_scan;

/* One pass, no allocation: this is what most responses cost. */
static PREFLIGHT_INLINE void scan_table(const apr_table_t *t,
                                        const preflight_decision *d,
                                        int keep_own, table_scan *s)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i, j;

    /* apr_table keys are never NULL */
    for (i = 0; i < arr->nelts; i++) {
        const char *key = e[i].key;

        if (is_cors_key(key)) {
            if (keep_own && is_own_entry(d, key, e[i].val)) {
                s->own++;
            }
            else {
                s->foreign = 1;
            }
        }
        else if (d->vary && (key[0] | 0x20) == 'v' && is_vary_key(key)) {
            s->has_vary = 1;
            for (j = 0; d->vary->tokens[j]; j++) {
                if (e[i].val == d->vary->joined
                    || value_has_token(e[i].val, d->vary->tokens[j])) {
                    s->vary |= 1u << j;
                }
            }
        }
    }
}

/* Both tables of the response in one call; keep_out and keep_err: the
 * module's own values count as its own there (else as anyone else's). */
static void scan_response(const request_rec *r, const preflight_decision *d,
                          int keep_out, int keep_err,
                          table_scan *in_out, table_scan *in_err)
{
    scan_table(r->headers_out, d, keep_out, in_out);
    scan_table(r->err_headers_out, d, keep_err, in_err);
}

/* Removes every Access-Control-* entry of a table, but the module's own
 * when keep_own. */
static void strip_cors(apr_table_t *t, const preflight_decision *d, int keep_own)
{
    for (;;) {
        const apr_array_header_t *arr = apr_table_elts(t);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        const char *key = NULL;
        int i;

        for (i = 0; i < arr->nelts && !key; i++) {
            if (e[i].key && is_cors_key(e[i].key)
                && !(keep_own && is_own_entry(d, e[i].key, e[i].val))) {
                key = e[i].key;
            }
        }
        if (!key) {
            return;
        }
        apr_table_unset(t, key);
    }
}

/* The module's Vary tokens already in the field that counts (see below). */
static unsigned vary_present(const table_scan *in_out, const table_scan *in_err)
{
    return in_out->has_vary ? in_out->vary : in_out->vary | in_err->vary;
}

/* Merged, not set: the core folds Vary tokens case-insensitively, and
 * another module's tokens must stay. Into the response's own Vary field
 * when it has one: mod_cache keys its stored copies on the first Vary field
 * of headers_out overlaid with err_headers_out, so an Origin in a second
 * field would not count, and each origin's copy would evict the others'.
 * With no Vary field anywhere, the tokens go in as one new field. */
static void add_vary(request_rec *r, const preflight_decision *d,
                     const table_scan *in_out, const table_scan *in_err)
{
    apr_table_t *t = in_out->has_vary ? r->headers_out : r->err_headers_out;
    unsigned present = vary_present(in_out, in_err);
    int i;

    if (!d->vary) {
        return;
    }
    if (!in_out->has_vary && !in_err->has_vary) {
        apr_table_addn(t, vary_name, d->vary->joined);
        return;
    }
    for (i = 0; d->vary->tokens[i]; i++) {
        if (!(present & (1u << i))) {
            apr_table_mergen(t, vary_name, d->vary->tokens[i]);
        }
    }
}

static void write_header_value(apr_table_t *out, preflight_decision *d,
                               preflight_header h)
{
    const char *value = d->value[h];

    if (value) {
        /* after the first write the module's own value may be there */
        if (d->written) {
            apr_table_setn(out, preflight_header_names[h], value);
        }
        else {
            apr_table_addn(out, preflight_header_names[h], value);
        }
        d->sent++;
    }
}

/* A preflight that the module did not answer (refused by access control
 * first) must not look allowed. */
static int shows_allowed(const preflight_decision *d)
{
    return d->allowed && !(d->kind == PF_REQUEST_PREFLIGHT && !d->answered
                           && d->conf->passthrough != PREFLIGHT_FLAG_ON);
}

/** Someone else's Access-Control-* values, as the audit reads them. */
typedef struct {
    int count;                  /**< how many there are */
    const char *origin;         /**< Access-Control-Allow-Origin, the last */
    const char *credentials;    /**< Access-Control-Allow-Credentials, the last */
} backend_values;

static int is_name(const char *key, preflight_header h)
{
    return key == preflight_header_names[h]
           || !strcasecmp(key, preflight_header_names[h]);
}

/* A CGI's headers are merged into err_headers_out, where the module's own
 * value already is: "ours, theirs". Theirs is what the audit names. */
static const char *their_part(const preflight_decision *d, preflight_header h,
                              const char *v)
{
    const char *ours = d->value[h];
    apr_size_t len = ours ? strlen(ours) : 0;

    if (len && !strncmp(v, ours, len) && v[len] == ',') {
        v += len + 1;
        while (*v == ' ') {
            v++;
        }
    }
    return v;
}

/* Known by address, as in scan_table; unlike its pass over headers_out,
 * the module's own values moved there by an error response are not
 * counted. */
static void read_backend_values(const apr_table_t *t,
                                const preflight_decision *d, backend_values *b)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (!e[i].key || !is_cors_key(e[i].key)
            || is_own_entry(d, e[i].key, e[i].val)) {
            continue;
        }
        b->count++;
        if (is_name(e[i].key, PF_HDR_ALLOW_ORIGIN)) {
            b->origin = their_part(d, PF_HDR_ALLOW_ORIGIN, e[i].val);
        }
        else if (is_name(e[i].key, PF_HDR_ALLOW_CREDENTIALS)) {
            b->credentials = their_part(d, PF_HDR_ALLOW_CREDENTIALS, e[i].val);
        }
    }
}

/* Why what the backend sent would have been dangerous had it reached the
 * browser; NULL when it was not. A backend that names the origin the
 * policy allows agrees with it; one that names, with credentials, an
 * origin the policy refuses reflects whatever comes. */
static const char *backend_danger(request_rec *r, const backend_values *b,
                                  int allowed)
{
    const char *origin = apr_table_get(r->headers_in, "Origin");
    int credentials = b->credentials && !strcasecmp(b->credentials, "true");

    if (!b->origin) {
        return NULL;
    }
    if (!strcmp(b->origin, "*")) {
        return credentials ? "* with credentials" : NULL;
    }
    if (!strcmp(b->origin, "null")) {
        return allowed && origin && !strcmp(origin, "null") ? NULL : "null";
    }
    if (credentials && !allowed && origin && !strcmp(b->origin, origin)) {
        return "an origin reflected with credentials";
    }
    return NULL;
}

/* What the application does, for the operator. */
static const char *backend_habit(const char *why)
{
    switch (*why) {
    case 'n': return "allows the null origin (sandboxed frames, data: and "
                     "file: pages)";
    case '*': return "allows any origin with credentials";
    default:  return "reflects origins";
    }
}

/* At info once a minute per child, so that a busy site with such an
 * application does not fill the log; every other time at debug. */
static void log_danger(request_rec *r, const backend_values *b,
                       const char *why, int allowed)
{
    int level;

    if (!APLOG_R_IS_LEVEL(r, APLOG_INFO)) {
        return;
    }
    level = preflight_backend_log_due(r->server, r->request_time)
            ? APLOG_INFO : APLOG_DEBUG;
    if (level == APLOG_DEBUG && !APLOG_R_IS_LEVEL(r, APLOG_DEBUG)) {
        return;
    }
    ap_log_rerror(APLOG_MARK, level, 0, r, "backend for %.256s sent "
                  "Access-Control-Allow-Origin '%.256s'%s%.32s (%s); "
                  "mod_preflight %s; the application %s: keep a policy in "
                  "this scope", r->uri, b->origin,
                  b->credentials ? " with Access-Control-Allow-Credentials " : "",
                  b->credentials ? b->credentials : "", why,
                  allowed ? "replaced it with the policy's answer"
                          : "removed it, as the policy refuses this origin",
                  backend_habit(why));
}

/* The scan found Access-Control-* values that may be someone else's and
 * are about to go: when they are, say so in PREFLIGHT_BACKEND, count it
 * once per request, and name a dangerous one in the log. */
static void audit_backend(request_rec *r, preflight_decision *d, int allowed)
{
    preflight_backend_audit audit = allowed ? PF_BACKEND_REPLACED
                                            : PF_BACKEND_REMOVED;
    backend_values b = { 0, NULL, NULL };
    const char *why;

    read_backend_values(r->headers_out, d, &b);
    read_backend_values(r->err_headers_out, d, &b);
    if (!b.count) {
        return;
    }
    apr_table_setn(r->subprocess_env, "PREFLIGHT_BACKEND",
                   preflight_backend_names[audit]);
    if (d->backend == PF_BACKEND_NONE) {
        preflight_count_backend(r->server, audit);
    }
    d->backend = audit;
    if ((why = backend_danger(r, &b, allowed))) {
        log_danger(r, &b, why, allowed);
    }
}

/* Writes the decision into err_headers_out, which survives error responses
 * and ErrorDocument redirects, after removing every Access-Control-* value
 * that anyone else set: proxies replace headers_out, CGI merges into
 * err_headers_out, and either would otherwise give two values. The module
 * writes only err_headers_out, so any Access-Control-* value in headers_out
 * is someone else's, or ours moved there by an error response; either way
 * it goes, and ours is set again. */
void preflight_write_headers(request_rec *r, preflight_decision *d)
{
    apr_table_t *out = r->err_headers_out;
    table_scan in_out = { 0, 0, 0, 0 }, in_err = { 0, 0, 0, 0 };
    int allowed = shows_allowed(d);
    preflight_header h;

    /* in fixups both tables are often still empty */
    if (!apr_is_empty_table(r->headers_out) || !apr_is_empty_table(out)) {
        scan_response(r, d, 0, allowed, &in_out, &in_err);
    }
    if (in_out.foreign || in_err.foreign) {
        audit_backend(r, d, allowed);
    }
    if (in_out.foreign) {
        strip_cors(r->headers_out, d, 0);
    }
    if (in_err.foreign) {
        strip_cors(out, d, allowed);
    }
    d->sent = 0;
    if (allowed) {
        if (d->expose_all) {
            d->value[PF_HDR_EXPOSE_HEADERS] =
                expose_response_headers(r, d->conf->expose);
        }
        for (h = 0; h < PF_HDR_COUNT; h++) {
            write_header_value(out, d, h);
        }
        if (d->allow && d->answered) {
            apr_table_setn(out, "Allow", d->allow);
        }
    }
    d->written = 1;
    add_vary(r, d, &in_out, &in_err);
}

/* At the output filter: exactly the module's headers there, once each, and
 * the Vary tokens? Then nothing to do but Vary; else write them again. */
static void enforce_headers(request_rec *r, preflight_decision *d)
{
    table_scan in_out = { 0, 0, 0, 0 }, in_err = { 0, 0, 0, 0 };

    if (!d->written || d->expose_all) {
        preflight_write_headers(r, d);
        return;
    }
    scan_response(r, d, 1, 1, &in_out, &in_err);
    if (in_out.foreign || in_err.foreign || in_out.own + in_err.own != d->sent) {
        preflight_write_headers(r, d);
        return;
    }
    if (d->vary && vary_present(&in_out, &in_err) != d->vary->all) {
        add_vary(r, d, &in_out, &in_err);
    }
}

int preflight_fixups(request_rec *r)
{
    preflight_decision *d = preflight_decision_for(r, 1);

    if (d && d->conf->engine == PREFLIGHT_ENGINE_ON) {
        preflight_write_headers(r, d);
    }
    return DECLINED;
}

/* A preflight the module answered in this request's type checker had its
 * headers written, and anyone else's removed, as it answered. From there
 * to the wire only an output filter can change them, and the error filters
 * are all in place by now (this hook runs REALLY_LAST): with none in front
 * of the protocol filters, there is nothing left to enforce. */
static int sealed(const request_rec *r, const preflight_decision *d)
{
    return d->answered_in == r && !d->replaced_redirect
           && r->output_filters == r->proto_output_filters;
}

static APR_INLINE void add_filter(request_rec *r, int create)
{
    preflight_decision *d = preflight_decision_for(r, create);

    /* ReportOnly: decided (PREFLIGHT is set for the log), nothing applied */
    if (d && d->conf->engine == PREFLIGHT_ENGINE_ON && !sealed(r, d)) {
        ap_add_output_filter_handle(preflight_filter_handle, d, r, r->connection);
        if (preflight_cache_loaded) {
            ap_add_output_filter_handle(preflight_after_cache_handle, d, r,
                                        r->connection);
        }
    }
}

void preflight_insert_filter(request_rec *r)
{
    /* Only where fixups decided: a response replayed by mod_cache's quick
     * handler already carries what was decided when it was stored. */
    add_filter(r, 0);
}

void preflight_insert_error_filter(request_rec *r)
{
    preflight_answer_instead_of_redirect(r);
    /* Errors can come before fixups (401 from authentication): decide now. */
    add_filter(r, 1);
}

/* The redirect's page was written for the redirect; the answer that took
 * its place goes out without it. */
static void drop_body(apr_bucket_brigade *bb)
{
    apr_bucket *b = APR_BRIGADE_FIRST(bb);

    while (b != APR_BRIGADE_SENTINEL(bb)) {
        apr_bucket *next = APR_BUCKET_NEXT(b);

        if (!APR_BUCKET_IS_METADATA(b)) {
            apr_bucket_delete(b);
        }
        b = next;
    }
}

static apr_status_t pass_answer_only(ap_filter_t *f, preflight_decision *d,
                                     apr_bucket_brigade *bb)
{
    request_rec *r = f->r;

    if (d->replaced_redirect == PF_REDIRECT_REPLACED) {
        r->status = preflight_answer_status(d);
        r->status_line = NULL;
        apr_table_unset(r->headers_out, "Location");
        apr_table_unset(r->err_headers_out, "Location");
        apr_table_unset(r->headers_out, "Content-Length");
        enforce_headers(r, d);
        d->replaced_redirect = PF_REDIRECT_HEADERS_SENT;
    }
    drop_body(bb);
    return ap_pass_brigade(f->next, bb);
}

static apr_status_t preflight_out_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    preflight_decision *d = f->ctx;

    if (d->replaced_redirect) {
        return pass_answer_only(f, d, bb);
    }
    enforce_headers(f->r, d);
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

/* With CacheQuickHandler Off, mod_cache serves a hit in the handler phase:
 * after fixups wrote the module's headers, it recalls the stored headers
 * into headers_out and removes every filter before its CACHE_OUT, the one
 * above among them. Without this second check after CACHE_OUT, the stored
 * Access-Control-* values would go out next to the module's (two
 * Access-Control-Allow-Origin fields, which browsers refuse) and outlive a
 * change of policy. "cache-hit" is mod_cache's variable for a hit. */
static apr_status_t preflight_after_cache_filter(ap_filter_t *f,
                                                 apr_bucket_brigade *bb)
{
    if (apr_table_get(f->r->subprocess_env, "cache-hit")) {
        enforce_headers(f->r, f->ctx);
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

/* CONTENT_SET: before the header filter, and before CACHE_SAVE so a cached
 * copy keeps the module's headers. CONTENT_SET + 2: after mod_cache's
 * CACHE_OUT (CONTENT_SET + 1), which keeps the filters behind it. */
void preflight_register_filter(void)
{
    preflight_filter_handle =
        ap_register_output_filter(PREFLIGHT_FILTER, preflight_out_filter, NULL,
                                  AP_FTYPE_CONTENT_SET);
    preflight_after_cache_handle =
        ap_register_output_filter(PREFLIGHT_FILTER "_AFTER_CACHE",
                                  preflight_after_cache_filter, NULL,
                                  AP_FTYPE_CONTENT_SET + 2);
}

/* Only a server with mod_cache pays for the second filter. */
void preflight_note_cache(void)
{
    preflight_cache_loaded = ap_find_linked_module("mod_cache.c") != NULL;
}
