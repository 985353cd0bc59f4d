/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_explain.c: the explain handler (SetHandler preflight-explain).
 * What the module would decide for a request described in the query
 * string, where each value of the policy was set, why, and what browsers
 * will say about it. The answer is gathered once and written as JSON, or
 * as an HTML page (the inspector) for a client that prefers text/html.
 * Every query value is hostile input: JSON is built only from quoted
 * strings, HTML only from escaped ones. See README.md, "The explain
 * handler".
 */

#include "apr_strings.h"
#include "apr_hash.h"

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "preflight_explain.h"
#include "preflight_json.h"
#include "preflight_html.h"

APLOG_USE_MODULE(preflight);

/* The directives, in preflight_directive order, as the answer names them;
 * PreflightTenantLimit, a server's, comes last. */
const char * const preflight_explain_directives[PF_DIRECTIVES + 1] = {
    "PreflightEngine", "PreflightAllowOrigin", "PreflightAllowMethods",
    "PreflightAllowHeaders", "PreflightExposeHeaders",
    "PreflightAllowCredentials", "PreflightMaxAge",
    "PreflightAllowPrivateNetwork", "PreflightSuccessStatus",
    "PreflightPassthrough", "PreflightTenantLimit"
};

static const struct {
    const char *name;
    apr_size_t max;             /* longest value accepted */
    apr_size_t offset;
} explain_params[] = {
    { "uri", 2048, APR_OFFSETOF(explain_query, uri) },
    { "origin", PREFLIGHT_ORIGIN_MAX, APR_OFFSETOF(explain_query, origin) },
    { "method", 64, APR_OFFSETOF(explain_query, method) },
    { "headers", 4096, APR_OFFSETOF(explain_query, headers) },
    { NULL, 0, 0 }
};

#define EXPLAIN_QUERY_MAX 8192

/* The Content-Security-Policy of every answer: nothing loads, nothing
 * runs, the page's own stylesheet (by its hash) is the only style, and the
 * form submits only to this location. */
#define EXPLAIN_CSP "default-src 'none'; style-src %s; form-action 'self'; " \
                    "frame-ancestors 'none'; base-uri 'none'"

static const char *explain_param(apr_pool_t *p, explain_query *q, char *name,
                                 char *value)
{
    const char **slot;
    int i;

    if (preflight_form_decode(name) != PREFLIGHT_FORM_OK) {
        return "a parameter name holds a bad escape or a byte outside "
               "printable ASCII";
    }
    for (i = 0; explain_params[i].name && strcmp(name, explain_params[i].name); i++)
        ;
    if (!explain_params[i].name) {
        return apr_psprintf(p, "unknown parameter '%.64s': use uri, origin, "
                            "method and headers", name);
    }
    slot = (const char **)((char *)q + explain_params[i].offset);
    if (*slot) {
        return apr_psprintf(p, "parameter '%s' is given twice", name);
    }
    switch (preflight_form_decode(value)) {
    case PREFLIGHT_FORM_BAD_ESCAPE:
        return apr_psprintf(p, "parameter '%s': a %% not followed by two hex "
                            "digits", name);
    case PREFLIGHT_FORM_BAD_BYTE:
        return apr_psprintf(p, "parameter '%s' holds a control byte (CR, LF, "
                            "NUL, ...) or a byte outside printable ASCII; no "
                            "origin, method, header name or request line "
                            "has one", name);
    default:
        break;
    }
    if (!*value) {
        /* a form's blank field: the request goes without it */
        if (slot != &q->uri) {
            return NULL;
        }
        return "parameter 'uri' is empty: the path to explain, as on a "
               "request line (/api/items)";
    }
    if (strlen(value) > explain_params[i].max) {
        return apr_psprintf(p, "parameter '%s' is longer than %" APR_SIZE_T_FMT
                            " bytes", name, explain_params[i].max);
    }
    *slot = value;
    return NULL;
}

static const char *parse_explain_query(apr_pool_t *p, const char *args,
                                       explain_query *q)
{
    char *pairs, *pair, *last;
    const char *why;

    memset(q, 0, sizeof(*q));
    if (!args || !*args) {
        return "give the request to explain: ?uri=/path&origin=https://"
               "app.example.com&method=PUT&headers=content-type";
    }
    if (strlen(args) > EXPLAIN_QUERY_MAX) {
        return "the query is longer than 8192 bytes";
    }
    pairs = apr_pstrdup(p, args);
    for (pair = apr_strtok(pairs, "&", &last); pair;
         pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '=');

        if (eq) {
            *eq = '\0';
        }
        if ((why = explain_param(p, q, pair, eq ? eq + 1 : pair + strlen(pair)))) {
            return why;
        }
    }
    if (!q->uri) {
        return "parameter 'uri' is missing: the path to explain, as on a "
               "request line (/api/items)";
    }
    if (q->uri[0] != '/') {
        return "parameter 'uri' must be a path starting with /";
    }
    if (q->method && !preflight_is_token(q->method, strlen(q->method))) {
        return "parameter 'method' is not a method token (RFC 9110)";
    }
    return NULL;
}

/* Where a value of a merged configuration comes from, traced back through
 * the merges: an edit adds its lines after the ones it edits; any other
 * value set in a section replaces them. */
static const apr_array_header_t *lines_of(apr_pool_t *p, const preflight_line *l)
{
    const preflight_line *i;
    apr_array_header_t *a;
    int n = 0;

    for (i = l; i; i = i->prev) {
        n++;
    }
    a = apr_array_make(p, n, sizeof(const ap_directive_t *));
    a->nelts = n;
    for (i = l; i; i = i->prev) {
        APR_ARRAY_IDX(a, --n, const ap_directive_t *) = i->directive;
    }
    return a;
}

static const apr_array_header_t *sources_of(apr_pool_t *p,
                                            const preflight_dir_conf *c,
                                            preflight_directive which)
{
    const apr_array_header_t *from_add, *from_base;
    const preflight_list *l;

    if (!c->merged_add) {
        return c->src[which] ? lines_of(p, c->src[which]) : NULL;
    }
    from_add = sources_of(p, c->merged_add, which);
    if (!from_add) {
        return sources_of(p, c->merged_base, which);
    }
    l = preflight_list_of(c->merged_add, which);
    if (l && l->edits && (from_base = sources_of(p, c->merged_base, which))) {
        return apr_array_append(p, from_base, from_add);
    }
    return from_add;
}

/* With NoPaths a file is named by its last component only (".htaccess",
 * "apache2.conf"): enough to tell a tenant's line from the host's, and no
 * directory of the host or of another tenant. */
static const char *file_name(const explain_answer *a, const char *path)
{
    const char *slash = a->no_paths ? strrchr(path, '/') : NULL;

    return slash ? slash + 1 : path;
}

static const apr_array_header_t *gather_lines(const explain_answer *a,
                                              const apr_array_header_t *src)
{
    apr_array_header_t *out = apr_array_make(a->p, 4, sizeof(explain_line));
    int i;

    for (i = 0; src && i < src->nelts; i++) {
        const ap_directive_t *d = APR_ARRAY_IDX(src, i, const ap_directive_t *);
        explain_line *l = apr_array_push(out);

        l->file = file_name(a, d->filename);
        l->line = d->line_num;
    }
    return out;
}

static void gather_list(apr_pool_t *p, explain_value *v, preflight_list_kind kind,
                        const preflight_list *l)
{
    apr_array_header_t *words = apr_array_make(p, 8, sizeof(const char *));
    apr_hash_index_t *hi;

    l = l ? preflight_list_resolved(p, l) : preflight_list_default(p, kind);
    v->is_list = 1;
    if (l->any) {
        APR_ARRAY_PUSH(words, const char *) = "*";
    }
    if (l->items) {
        apr_array_cat(words, l->items);
    }
    v->words = words;
    if (l->excluded) {
        apr_array_header_t *except = apr_array_make(p, 4, sizeof(const char *));

        for (hi = apr_hash_first(p, l->excluded); hi; hi = apr_hash_next(hi)) {
            APR_ARRAY_PUSH(except, const char *) = apr_hash_this_val(hi);
        }
        v->except = except;
    }
}

static const char *on_off(preflight_flag v)
{
    return v == PREFLIGHT_FLAG_ON ? "On" : "Off";
}

static const char *engine_name(preflight_engine engine)
{
    switch (engine) {
    case PREFLIGHT_ENGINE_ON:          return "On";
    case PREFLIGHT_ENGINE_REPORT_ONLY: return "ReportOnly";
    default:                           return "Off";
    }
}

static void gather_policy(explain_answer *a, const preflight_dir_conf *c,
                          const preflight_server_conf *sconf)
{
    apr_pool_t *p = a->p;
    explain_value *v = a->policy;
    int i;

    v[PF_ENGINE].value = engine_name(c->engine);
    gather_list(p, &v[PF_ORIGINS], PREFLIGHT_LIST_ORIGINS, c->origins);
    gather_list(p, &v[PF_METHODS], PREFLIGHT_LIST_METHODS, c->methods);
    gather_list(p, &v[PF_HEADERS], PREFLIGHT_LIST_HEADERS, c->headers);
    gather_list(p, &v[PF_EXPOSE], PREFLIGHT_LIST_EXPOSE, c->expose);
    v[PF_CREDENTIALS].value = on_off(c->credentials);
    v[PF_MAX_AGE].value = c->max_age_value;
    v[PF_MAX_AGE].number = 1;
    v[PF_PRIVATE_NETWORK].value = on_off(c->private_network);
    v[PF_SUCCESS_STATUS].value = c->success_status == HTTP_OK ? "200" : "204";
    v[PF_SUCCESS_STATUS].number = 1;
    v[PF_PASSTHROUGH].value = on_off(c->passthrough);
    for (i = 0; i < PF_DIRECTIVES; i++) {
        v[i].set_at = gather_lines(a, sources_of(p, c, i));
    }
    v[PF_TENANT].is_list = 1;
    v[PF_TENANT].words = sconf->tenant ? sconf->tenant->words
                         : apr_array_make(p, 1, sizeof(const char *));
    v[PF_TENANT].set_at = gather_lines(a, sconf->tenant ? sconf->tenant->lines : NULL);
}

static const char *allowed_reason(request_rec *r, const preflight_decision *d,
                                  const explain_query *q)
{
    if (d->kind == PF_REQUEST_NO_ORIGIN) {
        return d->allowed ? "the request has no Origin; PreflightAllowOrigin * "
                            "answers it with Access-Control-Allow-Origin: *"
                          : "the request has no Origin: no CORS headers, only "
                            "Vary: Origin, so caches keep answers apart";
    }
    if (d->kind == PF_REQUEST_ACTUAL) {
        return apr_psprintf(r->pool, "origin '%s' is allowed by "
                            "PreflightAllowOrigin", q->origin);
    }
    return apr_psprintf(r->pool, "origin '%s' is allowed by PreflightAllowOrigin, "
                        "method '%s' by PreflightAllowMethods%s%s", q->origin,
                        q->method, q->headers ? ", and every requested header by "
                        "PreflightAllowHeaders" : "",
                        d->conf->passthrough == PREFLIGHT_FLAG_ON
                        ? "; PreflightPassthrough On: the handler answers it" : "");
}

static int decision_status(const preflight_decision *d)
{
    if (d->kind != PF_REQUEST_PREFLIGHT) {
        return 0;
    }
    if (!d->allowed) {
        return HTTP_FORBIDDEN;
    }
    if (d->conf->passthrough == PREFLIGHT_FLAG_ON) {
        return 0;
    }
    return d->conf->success_status == HTTP_OK ? HTTP_OK : HTTP_NO_CONTENT;
}

static void console_of(apr_pool_t *p, explain_console *c, preflight_refusal why,
                       const preflight_console_request *rq, int elsewhere)
{
    if (elsewhere) {
        c->chromium = preflight_console_elsewhere(p, PREFLIGHT_BROWSER_CHROMIUM, why, rq);
        c->firefox = preflight_console_elsewhere(p, PREFLIGHT_BROWSER_FIREFOX, why, rq);
    }
    else {
        c->chromium = preflight_console_says(p, PREFLIGHT_BROWSER_CHROMIUM, why, rq);
        c->firefox = preflight_console_says(p, PREFLIGHT_BROWSER_FIREFOX, why, rq);
    }
}

/* What browsers will say of the answer: for a denial, its words; for an
 * allowed answer without credentials, the words a request that sends
 * credentials gets. */
static void gather_console(explain_answer *a, request_rec *r, request_rec *rr,
                           const preflight_decision *d)
{
    preflight_console_request rq;
    int i;

    if (d->kind == PF_REQUEST_NO_ORIGIN) {
        return;
    }
    rq.url = ap_construct_url(a->p, a->q.uri, r);
    rq.origin = a->q.origin;
    rq.method = a->q.method;
    rq.header = d->refused_header ? apr_pstrdup(a->p, d->refused_header) : NULL;
    if (rq.header) {
        ap_str_tolower((char *)rq.header);     /* as browsers send the names */
    }
    rq.preflight = d->kind == PF_REQUEST_PREFLIGHT;
    rq.status = a->d.status ? a->d.status : rr->status;
    if (!d->allowed) {
        console_of(a->p, &a->d.says, d->refusal, &rq, 0);
        console_of(a->p, &a->d.elsewhere, d->refusal, &rq, 1);
        return;
    }
    if (d->conf->credentials != PREFLIGHT_FLAG_ON) {
        const char *acao = d->value[PF_HDR_ALLOW_ORIGIN];

        console_of(a->p, &a->d.with_credentials,
                   acao && !strcmp(acao, "*") ? PREFLIGHT_REFUSAL_ANY_WITH_CREDENTIALS
                                              : PREFLIGHT_REFUSAL_NO_CREDENTIALS,
                   &rq, 0);
    }
    if (d->kind == PF_REQUEST_PREFLIGHT) {
        long sent = d->value[PF_HDR_MAX_AGE] ? d->conf->max_age
                                             : PREFLIGHT_MAX_AGE_ABSENT;

        a->d.cached = 1;
        for (i = 0; i < PREFLIGHT_BROWSERS; i++) {
            a->d.max_age[i] = preflight_max_age_cached(i, sent);
        }
    }
}

static void add_header(explain_answer *a, const char *name, const char *value)
{
    explain_header *h = apr_array_push(a->headers);

    h->name = name;
    h->value = value;
}

static void gather_decision(explain_answer *a, request_rec *r, request_rec *rr,
                            const preflight_decision *d)
{
    int i;

    a->d.in_scope = 1;
    a->d.verdict = apr_table_get(rr->subprocess_env, "PREFLIGHT");
    a->d.allowed = d->allowed;
    a->d.applied = d->conf->engine == PREFLIGHT_ENGINE_ON;
    a->d.status = decision_status(d);
    a->d.reason = d->allowed || d->kind == PF_REQUEST_NO_ORIGIN
                  ? allowed_reason(rr, d, &a->q) : d->reason;
    for (i = 0; d->allowed && i < PF_HDR_COUNT; i++) {
        const char *v = d->value[i];

        if (d->expose_all && i == PF_HDR_EXPOSE_HEADERS) {
            v = "(the names of the response's own headers: "
                "PreflightExposeHeaders * with credentials)";
        }
        if (v) {
            add_header(a, preflight_header_names[i], v);
        }
    }
    if (d->allowed && d->allow && d->kind == PF_REQUEST_PREFLIGHT) {
        add_header(a, "Allow", d->allow);
    }
    if (d->vary) {
        add_header(a, "Vary", d->vary->joined);
    }
    gather_console(a, r, rr, d);
}

/* The request explained, as the sub-request sees it: only the query's
 * Origin and Access-Control-Request-* count, never the explain request's. */
static void describe_request(request_rec *rr, const explain_query *q)
{
    apr_table_unset(rr->headers_in, "Origin");
    apr_table_unset(rr->headers_in, "Access-Control-Request-Method");
    apr_table_unset(rr->headers_in, "Access-Control-Request-Headers");
    apr_table_unset(rr->headers_in, "Access-Control-Request-Private-Network");
    if (q->origin) {
        apr_table_setn(rr->headers_in, "Origin", q->origin);
        if (q->method) {
            apr_table_setn(rr->headers_in, "Access-Control-Request-Method", q->method);
        }
    }
    if (q->headers) {
        apr_table_setn(rr->headers_in, "Access-Control-Request-Headers", q->headers);
    }
}

/* A sub-request that httpd would refuse (403, 400 for a path above the
 * root, 500 for a broken .htaccess) shows nothing of that place's policy;
 * 401 does, since a real request there gets its CORS headers with the 401
 * and preflights skip authentication; so does a redirect, which the answer
 * explains (redirect_warning). */
static int lookup_shows_policy(const request_rec *rr)
{
    return (rr->status >= 200 && rr->status < 300)
           || rr->status == HTTP_UNAUTHORIZED || ap_is_HTTP_REDIRECT(rr->status);
}

/* A lookup that ends in a redirect was redirected when httpd translated the
 * URL (a Redirect or RewriteRule at server level or in a <Location>):
 * later redirects (mod_dir, a <Directory>'s, .htaccess) come after the
 * module's answer and never show here. At that point only <Location>
 * policies apply: under one, the module answers a preflight in the
 * redirect's place (README "Behaviour in detail", Redirects); under any
 * other, the preflight is redirected, which browsers treat as a failure. */
static void redirect_warning(explain_answer *a, const request_rec *rr,
                             const preflight_dir_conf *conf)
{
    const char *to = apr_table_get(rr->headers_out, "Location");

    if (!ap_is_HTTP_REDIRECT(rr->status) || strcmp(a->kind, "preflight")
        || (preflight_in_scope(conf) && conf->engine == PREFLIGHT_ENGINE_ON
            && conf->passthrough != PREFLIGHT_FLAG_ON)) {
        return;
    }
    APR_ARRAY_PUSH(a->warnings, const char *) = apr_psprintf(a->p,
        "a preflight to this uri is redirected (%d to %s) before mod_preflight "
        "answers it, and browsers fail a redirected preflight: a Redirect or "
        "RewriteRule at server level or in a <Location> runs when the URL is "
        "translated, before <Directory> and .htaccess policies apply; move the "
        "redirect into the policy's section, exclude OPTIONS from it, or put "
        "the policy in a <Location>", rr->status, to ? to : "no Location");
}

/* The answer for the query, from a sub-request for its uri. What it holds
 * may live in that sub-request's pool (an .htaccess file's lines, the
 * decision): destroy the sub-request only once the answer is sent. */
static request_rec *gather(explain_answer *a, request_rec *r)
{
    request_rec *rr;
    const preflight_dir_conf *conf;

    a->kind = !a->q.origin ? "no-origin" : a->q.method ? "preflight" : "actual";
    rr = ap_sub_req_method_uri(a->q.origin && a->q.method ? "OPTIONS" : "GET",
                               a->q.uri, r, NULL);
    a->lookup_status = rr->status;
    if (!lookup_shows_policy(rr)) {
        a->lookup_refused = 1;
        return rr;
    }
    conf = preflight_dir_config(rr->per_dir_config);
    redirect_warning(a, rr, conf);
    a->lookup_uri = rr->uri;
    /* a proxied uri's "filename" is the backend's URL: not shown */
    a->filename = !a->no_paths && rr->filename && rr->filename[0] == '/'
                  ? rr->filename : NULL;
    a->handler = rr->handler;
    a->mode = engine_name(conf->engine);
    a->server = rr->server;
    gather_policy(a, conf, preflight_server_config(rr->server));
    if (preflight_in_scope(conf)) {
        describe_request(rr, &a->q);
        gather_decision(a, r, rr, preflight_decide(rr, conf, 1));
    }
    else {
        a->d.reason = conf->engine == PREFLIGHT_ENGINE_OFF
            ? "PreflightEngine is Off here: the module leaves this uri alone"
            : "no PreflightEngine On or ReportOnly applies here: the module "
              "leaves this uri alone";
    }
    return rr;
}

/* ---- the handler */

static void send_answer(request_rec *r, const char *body, int as_page, int status)
{
    r->status = status;
    ap_set_content_type(r, as_page ? "text/html; charset=utf-8" : "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   apr_psprintf(r->pool, EXPLAIN_CSP, preflight_html_style_hash));
    apr_table_setn(r->headers_out, "Referrer-Policy", "no-referrer");
    apr_table_mergen(r->headers_out, "Vary", "Accept");
    ap_set_content_length(r, strlen(body));
    ap_rputs(body, r);
}

/* SetHandler is a FileInfo directive, so any tenant can name the handler
 * in .htaccess; only PreflightExplain, which .htaccess cannot set, lets it
 * answer. Anywhere else it is as if it did not exist. */
static int enabled_here(request_rec *r)
{
    preflight_explain_mode mode = preflight_dir_config(r->per_dir_config)->explain;

    if (mode == PREFLIGHT_EXPLAIN_ON || mode == PREFLIGHT_EXPLAIN_NO_PATHS) {
        return 1;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "explain handler not enabled "
                  "for %s: SetHandler preflight-explain answers only where the "
                  "server configuration has PreflightExplain On (it cannot be "
                  "switched on from .htaccess); answered 404", r->uri);
    return 0;
}

static PREFLIGHT_NOINLINE int explain_handler(request_rec *r)
{
    explain_answer a;
    request_rec *rr;
    int as_page;

    if (!enabled_here(r)) {
        return HTTP_NOT_FOUND;
    }
    if (r->method_number != M_GET) {
        ap_allow_methods(r, REPLACE_ALLOW, "GET", "HEAD", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    memset(&a, 0, sizeof(a));
    a.p = r->pool;
    a.headers = apr_array_make(r->pool, 8, sizeof(explain_header));
    a.warnings = apr_array_make(r->pool, 1, sizeof(const char *));
    a.no_paths = preflight_dir_config(r->per_dir_config)->explain
                 == PREFLIGHT_EXPLAIN_NO_PATHS;
    as_page = preflight_html_preferred(apr_table_get(r->headers_in, "Accept"));
    if ((a.error = parse_explain_query(r->pool, r->args, &a.q))) {
        /* the page with an empty form is the inspector's start */
        if (as_page && (!r->args || !*r->args)) {
            a.error = NULL;
            send_answer(r, preflight_inspector_page(&a, r), 1, HTTP_OK);
            return OK;
        }
        send_answer(r, as_page ? preflight_inspector_page(&a, r) : preflight_explain_json(&a), as_page,
                    HTTP_BAD_REQUEST);
        return OK;
    }
    rr = gather(&a, r);
    send_answer(r, as_page ? preflight_inspector_page(&a, r) : preflight_explain_json(&a), as_page, HTTP_OK);
    ap_destroy_sub_req(rr);
    return OK;
}

/* Every request's handler is asked: the first byte settles most, before
 * the large frame of the handler itself is set up. */
int preflight_explain(request_rec *r)
{
    if (!r->handler || r->handler[0] != 'p'
        || strcmp(r->handler, PREFLIGHT_EXPLAIN_HANDLER)) {
        return DECLINED;
    }
    return explain_handler(r);
}
