/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_explain.c: the explain handler (SetHandler preflight-explain).
 * What the module would decide for a request described in the query
 * string, where each value of the policy was set, and why. Every query
 * value is hostile input; the answer is JSON built only from escaped
 * strings. See README.md, "The explain handler".
 */

#include "apr_strings.h"
#include "apr_hash.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "mod_preflight_private.h"
#include "preflight_json.h"

APLOG_USE_MODULE(preflight);

/* The directives, in preflight_directive order, as the answer names them. */
static const char * const directive_names[PF_DIRECTIVES] = {
    "PreflightEngine", "PreflightAllowOrigin", "PreflightAllowMethods",
    "PreflightAllowHeaders", "PreflightExposeHeaders",
    "PreflightAllowCredentials", "PreflightMaxAge",
    "PreflightAllowPrivateNetwork", "PreflightSuccessStatus",
    "PreflightPassthrough"
};

typedef struct {
    const char *uri, *origin, *method, *headers;
} explain_query;

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
        return apr_psprintf(p, "parameter '%s' is empty: leave it out to "
                            "explain a request without it", name);
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

/* JSON text is collected here and sent in one piece. */
typedef struct {
    apr_pool_t *p;
    apr_array_header_t *parts;
    int no_paths;               /**< PreflightExplain On NoPaths */
} json_text;

static void json_add(json_text *j, const char *s)
{
    APR_ARRAY_PUSH(j->parts, const char *) = s;
}

static const char *json_or_null(apr_pool_t *p, const char *s)
{
    return s ? preflight_json_string(p, s) : "null";
}

static void send_json(request_rec *r, json_text *j, int status)
{
    const char *body = apr_array_pstrcat(r->pool, j->parts, '\0');

    r->status = status;
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_length(r, strlen(body));
    ap_rputs(body, r);
}

static int explain_refusal(request_rec *r, const char *why)
{
    json_text j = { r->pool, apr_array_make(r->pool, 4, sizeof(const char *)) };

    json_add(&j, "{\"error\": ");
    json_add(&j, preflight_json_string(r->pool, why));
    json_add(&j, "}\n");
    send_json(r, &j, HTTP_BAD_REQUEST);
    return OK;
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
static const char *file_name(const json_text *j, const char *path)
{
    const char *slash = j->no_paths ? strrchr(path, '/') : NULL;

    return slash ? slash + 1 : path;
}

static const char *json_sources(const json_text *j,
                                const apr_array_header_t *src)
{
    apr_pool_t *p = j->p;
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    int i;

    for (i = 0; src && i < src->nelts; i++) {
        const ap_directive_t *d = APR_ARRAY_IDX(src, i, const ap_directive_t *);
        APR_ARRAY_PUSH(out, const char *) = apr_psprintf(p,
            "%s{\"file\": %s, \"line\": %d}", i ? ", " : "",
            preflight_json_string(p, file_name(j, d->filename)), d->line_num);
    }
    return apr_pstrcat(p, "[", apr_array_pstrcat(p, out, '\0'), "]", NULL);
}

static const char *json_words(apr_pool_t *p, const apr_array_header_t *words,
                              int star)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));
    int i;

    if (star) {
        APR_ARRAY_PUSH(out, const char *) = "\"*\"";
    }
    for (i = 0; words && i < words->nelts; i++) {
        APR_ARRAY_PUSH(out, const char *) =
            preflight_json_string(p, APR_ARRAY_IDX(words, i, const char *));
    }
    return apr_pstrcat(p, "[", apr_array_pstrcat(p, out, ','), "]", NULL);
}

static const char *json_list(apr_pool_t *p, preflight_list_kind kind,
                             const preflight_list *l)
{
    apr_array_header_t *except;
    apr_hash_index_t *hi;

    l = l ? preflight_list_resolved(p, l) : preflight_list_default(p, kind);
    if (!l->excluded) {
        return json_words(p, l->items, l->any);
    }
    except = apr_array_make(p, 4, sizeof(const char *));
    for (hi = apr_hash_first(p, l->excluded); hi; hi = apr_hash_next(hi)) {
        APR_ARRAY_PUSH(except, const char *) = apr_hash_this_val(hi);
    }
    return apr_pstrcat(p, json_words(p, l->items, l->any), ", \"except\": ",
                       json_words(p, except, 0), NULL);
}

static const char *on_off(preflight_flag v)
{
    return v == PREFLIGHT_FLAG_ON ? "\"On\"" : "\"Off\"";
}

static const char *engine_name(preflight_engine engine)
{
    switch (engine) {
    case PREFLIGHT_ENGINE_ON:          return "On";
    case PREFLIGHT_ENGINE_REPORT_ONLY: return "ReportOnly";
    default:                           return "Off";
    }
}

static void explain_policy(json_text *j, const preflight_dir_conf *c,
                           const preflight_server_conf *sconf)
{
    apr_pool_t *p = j->p;
    const char *values[PF_DIRECTIVES];
    int i;

    values[PF_ENGINE] = apr_psprintf(p, "\"%s\"", engine_name(c->engine));
    values[PF_ORIGINS] = json_list(p, PREFLIGHT_LIST_ORIGINS, c->origins);
    values[PF_METHODS] = json_list(p, PREFLIGHT_LIST_METHODS, c->methods);
    values[PF_HEADERS] = json_list(p, PREFLIGHT_LIST_HEADERS, c->headers);
    values[PF_EXPOSE] = json_list(p, PREFLIGHT_LIST_EXPOSE, c->expose);
    values[PF_CREDENTIALS] = on_off(c->credentials);
    values[PF_MAX_AGE] = c->max_age_value ? c->max_age_value : "null";
    values[PF_PRIVATE_NETWORK] = on_off(c->private_network);
    values[PF_SUCCESS_STATUS] = c->success_status == HTTP_OK ? "200" : "204";
    values[PF_PASSTHROUGH] = on_off(c->passthrough);

    json_add(j, "  \"policy\": {\n");
    for (i = 0; i < PF_DIRECTIVES; i++) {
        json_add(j, apr_psprintf(p, "    \"%s\": {\"value\": %s, \"set_at\": %s},\n",
                                 directive_names[i], values[i],
                                 json_sources(j, sources_of(p, c, i))));
    }
    json_add(j, apr_psprintf(p, "    \"PreflightTenantLimit\": {\"value\": %s, "
                             "\"set_at\": %s}\n  },\n",
                             json_words(p, sconf->tenant ? sconf->tenant->words : NULL, 0),
                             json_sources(j, sconf->tenant ? sconf->tenant->lines : NULL)));
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

static const char *decision_status(const preflight_decision *d)
{
    if (d->kind != PF_REQUEST_PREFLIGHT) {
        return "null";
    }
    if (!d->allowed) {
        return "403";
    }
    if (d->conf->passthrough == PREFLIGHT_FLAG_ON) {
        return "null";
    }
    return d->conf->success_status == HTTP_OK ? "200" : "204";
}

static void explain_decision(json_text *j, request_rec *rr,
                             const preflight_decision *d, const explain_query *q)
{
    apr_pool_t *p = j->p;
    const char *verdict = apr_table_get(rr->subprocess_env, "PREFLIGHT");
    const char *reason = d->allowed || d->kind == PF_REQUEST_NO_ORIGIN
                         ? allowed_reason(rr, d, q) : d->reason;
    int i, first = 1;

    json_add(j, apr_psprintf(p, "  \"decision\": {\"verdict\": %s, \"allowed\": %s, "
                             "\"applied\": %s, \"status\": %s, \"reason\": %s},\n",
                             json_or_null(p, verdict), d->allowed ? "true" : "false",
                             d->conf->engine == PREFLIGHT_ENGINE_ON ? "true" : "false",
                             decision_status(d), json_or_null(p, reason)));
    json_add(j, "  \"headers\": {");
    for (i = 0; d->allowed && i < PF_HDR_COUNT; i++) {
        const char *v = d->value[i];

        if (d->expose_all && i == PF_HDR_EXPOSE_HEADERS) {
            v = "(the names of the response's own headers: "
                "PreflightExposeHeaders * with credentials)";
        }
        if (v) {
            json_add(j, apr_psprintf(p, "%s\n    \"%s\": %s", first ? "" : ",",
                                     preflight_header_names[i],
                                     preflight_json_string(p, v)));
            first = 0;
        }
    }
    if (d->allowed && d->allow && d->kind == PF_REQUEST_PREFLIGHT) {
        json_add(j, apr_psprintf(p, "%s\n    \"Allow\": %s", first ? "" : ",",
                                 preflight_json_string(p, d->allow)));
        first = 0;
    }
    if (d->vary) {
        const char *tokens = d->vary[0];
        for (i = 1; d->vary[i]; i++) {
            tokens = apr_pstrcat(p, tokens, ", ", d->vary[i], NULL);
        }
        json_add(j, apr_psprintf(p, "%s\n    \"Vary\": %s", first ? "" : ",",
                                 preflight_json_string(p, tokens)));
        first = 0;
    }
    json_add(j, first ? "}\n}\n" : "\n  }\n}\n");
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
 * and preflights skip authentication. */
static int lookup_shows_policy(const request_rec *rr)
{
    return (rr->status >= 200 && rr->status < 300)
           || rr->status == HTTP_UNAUTHORIZED;
}

static void explain_request(json_text *j, const explain_query *q)
{
    apr_pool_t *p = j->p;

    json_add(j, apr_psprintf(p, "{\n  \"request\": {\"uri\": %s, \"origin\": %s, "
                             "\"method\": %s, \"headers\": %s, \"kind\": \"%s\"},\n",
                             preflight_json_string(p, q->uri),
                             json_or_null(p, q->origin), json_or_null(p, q->method),
                             json_or_null(p, q->headers),
                             !q->origin ? "no-origin" : q->method ? "preflight" : "actual"));
}

static void explain_lookup(json_text *j, const request_rec *rr,
                           const preflight_dir_conf *conf)
{
    apr_pool_t *p = j->p;
    /* a proxied uri's "filename" is the backend's URL: not shown */
    const char *path = !j->no_paths && rr->filename && rr->filename[0] == '/'
                       ? rr->filename : NULL;

    json_add(j, apr_psprintf(p, "  \"lookup\": {\"status\": %d, \"uri\": %s, "
                             "\"filename\": %s, \"handler\": %s},\n  \"mode\": \"%s\",\n",
                             rr->status, preflight_json_string(p, rr->uri),
                             json_or_null(p, path), json_or_null(p, rr->handler),
                             engine_name(conf->engine)));
}

static void explain_out_of_scope(json_text *j, const preflight_dir_conf *conf)
{
    json_add(j, apr_psprintf(j->p, "  \"decision\": {\"verdict\": null, "
             "\"allowed\": false, \"applied\": false, \"status\": null, "
             "\"reason\": \"%s\"},\n  \"headers\": {}\n}\n",
             conf->engine == PREFLIGHT_ENGINE_OFF
             ? "PreflightEngine is Off here: the module leaves this uri alone"
             : "no PreflightEngine On or ReportOnly applies here: the module "
               "leaves this uri alone"));
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

int preflight_explain(request_rec *r)
{
    explain_query q;
    json_text j;
    request_rec *rr;
    const preflight_dir_conf *conf;
    const char *why;

    /* every request's handler is asked: the first byte settles most */
    if (!r->handler || r->handler[0] != 'p'
        || strcmp(r->handler, PREFLIGHT_EXPLAIN_HANDLER)) {
        return DECLINED;
    }
    if (!enabled_here(r)) {
        return HTTP_NOT_FOUND;
    }
    if (r->method_number != M_GET) {
        ap_allow_methods(r, REPLACE_ALLOW, "GET", "HEAD", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if ((why = parse_explain_query(r->pool, r->args, &q))) {
        return explain_refusal(r, why);
    }
    j.p = r->pool;
    j.parts = apr_array_make(r->pool, 32, sizeof(const char *));
    j.no_paths = preflight_dir_config(r->per_dir_config)->explain
                 == PREFLIGHT_EXPLAIN_NO_PATHS;
    explain_request(&j, &q);

    rr = ap_sub_req_method_uri(q.origin && q.method ? "OPTIONS" : "GET",
                               q.uri, r, NULL);
    if (!lookup_shows_policy(rr)) {
        json_add(&j, apr_psprintf(r->pool, "  \"lookup\": {\"status\": %d},\n"
                 "  \"error\": \"httpd refuses a request for this uri (status %d): "
                 "its policy is not shown\"\n}\n", rr->status, rr->status));
    }
    else {
        conf = preflight_dir_config(rr->per_dir_config);
        explain_lookup(&j, rr, conf);
        json_add(&j, preflight_counters_json(r->pool, rr->server));
        explain_policy(&j, conf, preflight_server_config(rr->server));
        if (preflight_in_scope(conf)) {
            describe_request(rr, &q);
            explain_decision(&j, rr, preflight_decide(rr, conf, 1), &q);
        }
        else {
            explain_out_of_scope(&j, conf);
        }
    }
    send_json(r, &j, HTTP_OK);
    ap_destroy_sub_req(rr);
    return OK;
}
