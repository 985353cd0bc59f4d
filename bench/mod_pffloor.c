/*
 * mod_pffloor: measurement aid for make bench, never installed. It sends
 * exactly the bytes mod_preflight sends for the bench's three workloads
 * under the bench's policy (one origin, GET POST PUT, Content-Type X-Token,
 * credentials, max-age 600), with the least work httpd allows: one
 * hard-coded origin compared with one strcmp, the headers written with
 * apr_table_setn into err_headers_out, the preflight answered from
 * type_checker with 204; no parsing, no per-directory configuration, no
 * output filter. What mod_preflight costs above this server is what its
 * generality costs; below it nothing can go. bench/run.pl checks, before it
 * measures, that both servers answer every workload with the same bytes.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_request.h"

#include <string.h>

module AP_MODULE_DECLARE_DATA pffloor_module;

static const char bench_origin[] = "https://app1.example.com";

static int from_bench_origin(request_rec *r)
{
    const char *origin = apr_table_get(r->headers_in, "Origin");

    return origin && !strcmp(origin, bench_origin);
}

/* Before mod_mime and the handlers, as mod_preflight answers. */
static int pffloor_preflight(request_rec *r)
{
    apr_table_t *out = r->err_headers_out;

    if (r->method_number != M_OPTIONS || !from_bench_origin(r)) {
        return DECLINED;
    }
    apr_table_setn(out, "Access-Control-Allow-Origin", bench_origin);
    apr_table_setn(out, "Access-Control-Allow-Credentials", "true");
    apr_table_setn(out, "Access-Control-Allow-Methods", "GET, POST, PUT");
    apr_table_setn(out, "Access-Control-Allow-Headers", "Content-Type, X-Token");
    apr_table_setn(out, "Access-Control-Max-Age", "600");
    apr_table_setn(out, "Allow", "GET, POST, PUT, HEAD, OPTIONS");
    apr_table_setn(out, "Vary", "Origin");
    return HTTP_NO_CONTENT;
}

/* A response in scope varies by Origin whether or not one came. */
static int pffloor_fixups(request_rec *r)
{
    apr_table_t *out = r->err_headers_out;

    if (from_bench_origin(r)) {
        apr_table_setn(out, "Access-Control-Allow-Origin", bench_origin);
        apr_table_setn(out, "Access-Control-Allow-Credentials", "true");
    }
    apr_table_setn(out, "Vary", "Origin");
    return DECLINED;
}

static void pffloor_register_hooks(apr_pool_t *p)
{
    ap_hook_type_checker(pffloor_preflight, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_fixups(pffloor_fixups, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(pffloor) = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, pffloor_register_hooks
};
