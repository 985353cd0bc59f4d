/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_decide.c: what the module decides for a request in scope, and
 * the preflight answer. A decision is made once per request (kept in
 * r->request_config) and costs header lookups, one origin parse and hash
 * lookups: everything else was compiled when the configuration was read.
 * See README.md, "Behaviour in detail".
 */

#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "mod_preflight_private.h"

APLOG_USE_MODULE(preflight);

/* %{PREFLIGHT}e, byte for byte as README "Reading decisions" lists them. */
const char * const preflight_verdict_names[] = {
    [PF_VERDICT_PREFLIGHT_ALLOWED]       = "preflight-allowed",
    [PF_VERDICT_PREFLIGHT_DENIED_ORIGIN] = "preflight-denied-origin",
    [PF_VERDICT_PREFLIGHT_DENIED_METHOD] = "preflight-denied-method",
    [PF_VERDICT_PREFLIGHT_DENIED_HEADER] = "preflight-denied-header",
    [PF_VERDICT_PREFLIGHT_DENIED_AUTHORIZATION] = "preflight-denied-authorization",
    [PF_VERDICT_CORS_ALLOWED]            = "cors-allowed",
    [PF_VERDICT_CORS_DENIED_ORIGIN]      = "cors-denied-origin",
};

/* What an answer can depend on, as Vary tokens. */
static const preflight_vary vary_origin = {
    { "Origin", NULL }, "Origin", 0x1
};
static const preflight_vary vary_origin_method = {
    { "Origin", "Access-Control-Request-Method", NULL },
    "Origin, Access-Control-Request-Method", 0x3
};
static const preflight_vary vary_origin_headers = {
    { "Origin", "Access-Control-Request-Headers", NULL },
    "Origin, Access-Control-Request-Headers", 0x3
};
static const preflight_vary vary_origin_method_headers = {
    { "Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers",
      NULL },
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    0x7
};

static const preflight_dir_conf *in_scope(const request_rec *r)
{
    const preflight_dir_conf *conf = preflight_dir_config(r->per_dir_config);

    return preflight_in_scope(conf) ? conf : NULL;
}

/* Applied: the module also acts on what it decided (On, not ReportOnly). */
static const preflight_dir_conf *applied(const request_rec *r)
{
    const preflight_dir_conf *conf = in_scope(r);

    return conf && conf->engine == PREFLIGHT_ENGINE_ON ? conf : NULL;
}

static int is_preflight(const request_rec *r)
{
    return r->method_number == M_OPTIONS
           && apr_table_get(r->headers_in, "Origin")
           && apr_table_get(r->headers_in, "Access-Control-Request-Method");
}

/* "*" answered literally: any origin, nothing removed, no credentials. */
static int any_origin_literal(const preflight_dir_conf *conf)
{
    return conf->origins && conf->origins->any && !conf->origins->excludes
           && conf->credentials != PREFLIGHT_FLAG_ON;
}

static int origin_allowed(request_rec *r, const preflight_dir_conf *conf,
                          const char *origin)
{
    if (conf->origins && conf->origins->any && conf->credentials == PREFLIGHT_FLAG_ON) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "PreflightAllowOrigin * and PreflightAllowCredentials On "
                      "meet in the configuration merged for %s: every origin is "
                      "refused there; list the origins instead of *, or switch "
                      "credentials off in that scope", r->uri);
        return 0;
    }
    return preflight_origin_allowed(conf->origins, origin);
}

/* The PREFLIGHT variable, and the count of the virtual host; the explain
 * handler's decisions are not requests, and are not counted. */
static void set_verdict(request_rec *r, preflight_decision *d,
                        preflight_verdict verdict)
{
    d->verdict = verdict;
    apr_table_setn(r->subprocess_env, "PREFLIGHT",
                   preflight_verdict_names[verdict]);
    if (!d->for_explain) {
        preflight_count_verdict(r->server, verdict,
                                d->conf->engine == PREFLIGHT_ENGINE_REPORT_ONLY);
    }
}

/* Records a denial: its verdict, what the browser will make of it, and the
 * reason at info. The message is only formatted when it will be logged or
 * explained. */
static void deny(request_rec *r, preflight_decision *d,
                 preflight_verdict verdict, preflight_refusal refusal,
                 const char *fmt, ...)
{
    d->allowed = 0;
    d->refusal = refusal;
    set_verdict(r, d, verdict);
    if (d->for_explain || APLOG_R_IS_LEVEL(r, APLOG_INFO)) {
        va_list ap;

        va_start(ap, fmt);
        d->reason = apr_pvsprintf(r->pool, fmt, ap);
        va_end(ap);
    }
    if (!d->for_explain && d->reason) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "%s%s for %s: %s",
                      d->conf->engine == PREFLIGHT_ENGINE_REPORT_ONLY
                      ? "report-only: " : "",
                      d->kind == PF_REQUEST_PREFLIGHT
                      ? "preflight denied" : "cross-origin headers withheld",
                      r->uri, d->reason);
    }
}

static void allow_origin(preflight_decision *d, const char *origin)
{
    const preflight_dir_conf *conf = d->conf;

    d->allowed = 1;
    d->value[PF_HDR_ALLOW_ORIGIN] = any_origin_literal(conf) ? "*" : origin;
    if (conf->credentials == PREFLIGHT_FLAG_ON) {
        d->value[PF_HDR_ALLOW_CREDENTIALS] = "true";
    }
}

/* The configured Access-Control-Expose-Headers value; NULL for none. */
static const char *exposed(request_rec *r, const preflight_dir_conf *conf)
{
    const char *joined = conf->expose
                         ? preflight_list_joined(r->pool, conf->expose) : NULL;

    return joined && *joined ? joined : NULL;
}

static void decide_actual(request_rec *r, preflight_decision *d,
                          const char *origin)
{
    const preflight_dir_conf *conf = d->conf;

    if (!origin_allowed(r, conf, origin)) {
        deny(r, d, PF_VERDICT_CORS_DENIED_ORIGIN, PREFLIGHT_REFUSAL_ORIGIN,
             "origin '%.256s' is not in PreflightAllowOrigin", origin);
        return;
    }
    allow_origin(d, origin);
    set_verdict(r, d, PF_VERDICT_CORS_ALLOWED);
    if (conf->expose) {
        d->expose_all = conf->expose->any && conf->credentials == PREFLIGHT_FLAG_ON;
        if (!d->expose_all) {
            d->value[PF_HDR_EXPOSE_HEADERS] = exposed(r, conf);
        }
    }
}

/* The Allow header when the method list is "*": the requested method,
 * HEAD with GET, and OPTIONS. */
static const char *allow_for_any(request_rec *r, const char *method)
{
    if (!strcmp(method, "OPTIONS")) {
        return "OPTIONS";
    }
    return apr_pstrcat(r->pool, method, !strcmp(method, "GET") ? ", HEAD" : "",
                       ", OPTIONS", NULL);
}

static int echoes_wildcard(const preflight_dir_conf *conf,
                           const preflight_list *l)
{
    return l->any && (conf->credentials == PREFLIGHT_FLAG_ON || l->excludes);
}

/* The origin, the method, then the headers, as a browser checks them;
 * 0 when one of them is refused. *count gets the number of headers asked. */
static int preflight_passes(request_rec *r, preflight_decision *d,
                            const char *origin, const char *method,
                            const char *req_headers, int *count)
{
    const char *bad;
    apr_size_t bad_len;

    if (!origin_allowed(r, d->conf, origin)) {
        deny(r, d, PF_VERDICT_PREFLIGHT_DENIED_ORIGIN, PREFLIGHT_REFUSAL_ORIGIN,
             "origin '%.256s' is not in PreflightAllowOrigin", origin);
        return 0;
    }
    /* A method found in the list is a token: only a refusal needs to
     * know which of the two it is. */
    if (!preflight_method_allowed(d->conf->methods, method)) {
        if (!preflight_is_method(method)) {
            deny(r, d, PF_VERDICT_PREFLIGHT_DENIED_METHOD, PREFLIGHT_REFUSAL_METHOD,
                 "Access-Control-Request-Method is not a method (a token of 1 "
                 "to %d characters)", PREFLIGHT_METHOD_MAX);
        }
        else {
            deny(r, d, PF_VERDICT_PREFLIGHT_DENIED_METHOD, PREFLIGHT_REFUSAL_METHOD,
                 "method '%s' is not in PreflightAllowMethods (methods compare "
                 "case-sensitively)", method);
        }
        return 0;
    }
    if (!req_headers) {
        return 1;
    }
    switch (preflight_request_headers_check(d->conf->headers, req_headers,
                                            &bad, &bad_len, count)) {
    case PREFLIGHT_HEADERS_OK:
        return 1;
    case PREFLIGHT_HEADERS_DENIED:
        if (d->for_explain) {
            d->refused_header = apr_pstrmemdup(r->pool, bad, bad_len);
        }
        deny(r, d, PF_VERDICT_PREFLIGHT_DENIED_HEADER, PREFLIGHT_REFUSAL_HEADER,
             "header '%.*s' is not in PreflightAllowHeaders", (int)bad_len, bad);
        return 0;
    case PREFLIGHT_HEADERS_DENIED_AUTHORIZATION:
        if (d->for_explain) {
            d->refused_header = "authorization";
        }
        deny(r, d, PF_VERDICT_PREFLIGHT_DENIED_AUTHORIZATION,
             PREFLIGHT_REFUSAL_HEADER,
             "%s", "header 'authorization' is not covered by "
             "PreflightAllowHeaders *: Fetch never lets * cover Authorization, "
             "although browsers do; add Authorization to the list to allow it");
        return 0;
    default:
        deny(r, d, PF_VERDICT_PREFLIGHT_DENIED_HEADER,
             PREFLIGHT_REFUSAL_HEADERS_MALFORMED, "Access-Control-Request-Headers "
             "is not a list of 1 to %d header names of at most %d characters",
             PREFLIGHT_REQUEST_HEADERS_MAX, PREFLIGHT_HEADER_NAME_MAX);
        return 0;
    }
}

/* Access-Control-Allow-Methods and Allow; 1 when the method is echoed. */
static int answer_methods(request_rec *r, preflight_decision *d,
                          const char *method)
{
    const preflight_list *methods = d->conf->methods;
    int echo = 0;

    if (!methods) {
        d->value[PF_HDR_ALLOW_METHODS] = "GET, HEAD, POST";
        d->allow = "GET, HEAD, POST, OPTIONS";
    }
    else if (methods->any) {
        echo = echoes_wildcard(d->conf, methods);
        d->value[PF_HDR_ALLOW_METHODS] = echo ? method
                                         : preflight_list_joined(r->pool, methods);
        d->allow = allow_for_any(r, method);
    }
    else {
        d->value[PF_HDR_ALLOW_METHODS] = preflight_list_joined(r->pool, methods);
        d->allow = preflight_list_allow(r->pool, methods);
    }
    return echo;
}

/* Private Network Access: granted only when asked for and allowed. */
static void answer_private_network(request_rec *r, preflight_decision *d,
                                   const char *pna)
{
    if (!pna || strcasecmp(pna, "true")) {
        return;
    }
    if (d->conf->private_network == PREFLIGHT_FLAG_ON) {
        d->value[PF_HDR_ALLOW_PRIVATE_NETWORK] = "true";
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "preflight for %s asks "
                      "for private network access, which "
                      "PreflightAllowPrivateNetwork does not allow", r->uri);
    }
}

static void decide_preflight(request_rec *r, preflight_decision *d,
                             const preflight_request_fields *f)
{
    const preflight_dir_conf *conf = d->conf;
    const char *origin = f->origin, *method = f->method;
    const char *req_headers = f->headers;
    int count = 0, echo_method, echo_headers = 0;

    d->vary = &vary_origin;
    if (!preflight_passes(r, d, origin, method, req_headers, &count)) {
        return;
    }
    allow_origin(d, origin);
    set_verdict(r, d, PF_VERDICT_PREFLIGHT_ALLOWED);
    echo_method = answer_methods(r, d, method);
    if (count > 0) {
        echo_headers = echoes_wildcard(conf, conf->headers);
        d->value[PF_HDR_ALLOW_HEADERS] = echo_headers ? req_headers
                                      : preflight_list_joined(r->pool, conf->headers);
    }
    d->value[PF_HDR_MAX_AGE] = conf->max_age_value;
    answer_private_network(r, d, f->private_network);
    if (echo_method || echo_headers) {
        d->vary = echo_method && echo_headers ? &vary_origin_method_headers
                  : echo_method ? &vary_origin_method : &vary_origin_headers;
    }
    if (conf->passthrough == PREFLIGHT_FLAG_ON) {
        d->allow = NULL;        /* the handler answers OPTIONS with its own */
    }
}

preflight_decision *preflight_decide(request_rec *r,
                                     const preflight_dir_conf *conf,
                                     int for_explain)
{
    preflight_decision *d = apr_pcalloc(r->pool, sizeof(*d));
    preflight_request_fields f = { NULL, NULL, NULL, NULL };
    const char *origin;

    /* an OPTIONS request reads four fields, any other only Origin */
    if (r->method_number == M_OPTIONS) {
        preflight_read_request_fields(r->headers_in, &f);
    }
    else {
        f.origin = apr_table_get(r->headers_in, "Origin");
    }
    origin = f.origin;
    d->conf = conf;
    d->for_explain = for_explain;
    d->verdict = PF_VERDICTS;
    if (!origin) {
        d->kind = PF_REQUEST_NO_ORIGIN;
        if (any_origin_literal(conf)) {
            allow_origin(d, "*");
            d->value[PF_HDR_EXPOSE_HEADERS] = exposed(r, conf);
        }
        else {
            d->vary = &vary_origin;
        }
        return d;
    }
    if (f.method) {
        d->kind = PF_REQUEST_PREFLIGHT;
        decide_preflight(r, d, &f);
        return d;
    }
    d->kind = PF_REQUEST_ACTUAL;
    if (!any_origin_literal(conf)) {
        d->vary = &vary_origin;
    }
    decide_actual(r, d, origin);
    return d;
}

/* The decision of a request in scope, made once and kept in its
 * request_config. */
preflight_decision *preflight_decision_made(request_rec *r,
                                            const preflight_dir_conf *conf,
                                            int create)
{
    preflight_decision *d = ap_get_module_config(r->request_config,
                                                 &preflight_module);

    if (d || !create) {
        return d;
    }
    d = preflight_decide(r, conf, 0);
    ap_set_module_config(r->request_config, &preflight_module, d);
    return d;
}

/* An ErrorDocument request is answered for the request that failed, under
 * that request's policy. Any other internal redirect (rewrite rules handing
 * every URI to a front controller, a CGI's local Location) is answered for
 * the request it came from when that one is in scope: the URI the client
 * asked for decides, even when the redirect leads out of its scope, and
 * PREFLIGHT says so in the log line of either. */
preflight_decision *preflight_decision_after_redirect(request_rec *r, int create)
{
    preflight_decision *d = preflight_decision_for(r->prev, create);
    const preflight_dir_conf *conf;

    if (ap_is_HTTP_ERROR(r->prev->status)) {
        return d;
    }
    if (d) {
        const char *verdict = apr_table_get(r->prev->subprocess_env, "PREFLIGHT");

        if (verdict) {
            apr_table_setn(r->subprocess_env, "PREFLIGHT", verdict);
        }
        return d;
    }
    conf = in_scope(r);
    return conf ? preflight_decision_made(r, conf, create) : NULL;
}

int preflight_skip_authn(request_rec *r)
{
    if (r->main || !applied(r) || !is_preflight(r)) {
        return DECLINED;
    }
    /* Browsers never send credentials on a preflight. Returning OK here,
     * after mod_authz_core found that a user is needed, skips authn and
     * authz for this request only; host-based rules already ran. */
    return OK;
}

static PREFLIGHT_NOINLINE int answer(request_rec *r)
{
    const preflight_dir_conf *conf;
    preflight_decision *d = preflight_decision_for(r, 1);

    /* after an internal redirect, the policy that decided may be another */
    if (!d || d->kind != PF_REQUEST_PREFLIGHT || d->conf->engine != PREFLIGHT_ENGINE_ON) {
        return DECLINED;
    }
    conf = d->conf;
    if (d->allowed && conf->passthrough == PREFLIGHT_FLAG_ON) {
        return DECLINED;
    }
    d->answered = 1;
    d->answered_in = r;
    preflight_write_headers(r, d);
    if (!d->allowed) {
        return HTTP_FORBIDDEN;
    }
    if (preflight_answer_status(d) == HTTP_OK) {
        /* Returning 200 from a hook would send httpd's canned error page:
         * finish the response here and report it done. */
        r->status = HTTP_OK;
        ap_set_content_length(r, 0);
        ap_run_insert_error_filter(r);
        return DONE;
    }
    return HTTP_NO_CONTENT;
}

/* Every request passes here: most are not OPTIONS, and leave before the
 * frame of the answer is set up. */
int preflight_answer(request_rec *r)
{
    if (r->method_number != M_OPTIONS || r->main || !applied(r)) {
        return DECLINED;
    }
    return answer(r);
}

/* A Redirect in a <Location>, or one at server level, is sent when the URL
 * is translated, before any later phase: the preflight would get the 3xx,
 * which every browser treats as a failed preflight. Where the policy
 * already applies at that point, its answer takes the redirect's place (the
 * output filter sends it: httpd has already chosen the redirect's status
 * and Location by the time error filters are inserted). Access control has
 * not run, as it has not for the redirect itself. With PreflightPassthrough
 * On the redirect is the site's own answer and stays. */
void preflight_answer_instead_of_redirect(request_rec *r)
{
    const preflight_dir_conf *conf;
    preflight_decision *d;

    if (r->main || r->method_number != M_OPTIONS
        || !ap_is_HTTP_REDIRECT(r->status) || !(conf = applied(r))) {
        return;
    }
    d = preflight_decision_for(r, 1);
    if (!d || d->kind != PF_REQUEST_PREFLIGHT || d->answered
        || (d->allowed && conf->passthrough == PREFLIGHT_FLAG_ON)) {
        return;
    }
    d->answered = 1;
    d->replaced_redirect = PF_REDIRECT_REPLACED;
}

/* The status of a preflight the module answers (PreflightSuccessStatus, or
 * 403), in the type checker or in place of a redirect. */
int preflight_answer_status(const preflight_decision *d)
{
    if (!d->allowed) {
        return HTTP_FORBIDDEN;
    }
    return d->conf->success_status == HTTP_OK ? HTTP_OK : HTTP_NO_CONTENT;
}
