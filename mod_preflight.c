/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * mod_preflight: CORS preflights and cross-origin response headers from
 * httpd's own configuration, by the Fetch standard.
 *
 *   LoadModule preflight_module modules/mod_preflight.so
 *
 *   <Location "/api/">
 *       PreflightEngine           On
 *       PreflightAllowOrigin      https://app.example.com https://admin.example.com
 *       PreflightAllowMethods     GET POST PUT DELETE
 *       PreflightAllowHeaders     Content-Type X-Token
 *       PreflightExposeHeaders    X-Request-Id
 *       PreflightAllowCredentials On
 *       PreflightMaxAge           600
 *   </Location>
 *
 * This file is the module's map: which function httpd calls, when, and in
 * which file it lives. See README.md, "Behaviour in detail".
 *
 *   startup       pre_config       load the public suffix list        _config.c
 *                 directives       check and compile each line        _config.c
 *                                  (PreflightTenantLimit: _tenant.c)
 *                 test_config,     warn where PreflightAllowHeaders *  _sections.c
 *                 post_config      leaves out Authorization
 *                 post_config      repeat config warnings to the log  _tenant.c
 *                                  work out +/- merges of the server's
 *                                  own sections                       _sections.c
 *                                  is mod_cache loaded?               _headers.c
 *                                  the counters' shared memory, each
 *                                  server's slot                      _counters.c
 *   per child     child_init       the cache of .htaccess lists,      _htaccess.c
 *                                  the child's own audit state        _counters.c
 *   per request   .htaccess        list lines: compiled once per      _htaccess.c
 *                                  process, then looked up
 *                 merge            per-directory merge (httpd's own)  _config.c
 *                 check_access_ex  an in-scope preflight needs no     _decide.c
 *                                  credentials: skip authn
 *                 type_checker     answer the preflight (204/200 or   _decide.c
 *                                  403) before any handler
 *                 fixups           decide for every other request,    _headers.c
 *                                  write the headers
 *                 handler          the explain handler                _explain.c
 *                 insert_filter,   add the output filter (not to a    _headers.c
 *                 insert_error_filter answered preflight with no other
 *                                  filter in front of the protocol ones)
 *                 output filter    just before the headers go out,    _headers.c
 *                                  make the module's Access-Control-*
 *                                  headers the only ones, on errors too
 *                                  (once more after mod_cache's
 *                                  CACHE_OUT, on a hit it serves);
 *                                  PREFLIGHT_BACKEND when others were
 *   mod_status    status_hook      the counters in /server-status     _counters.c
 *
 * The pure parts, with no httpd: preflight_policy.c and preflight_list.c
 * (lists), preflight_origin.c (origins), preflight_request.c (what a
 * request asks for), preflight_json.c (the explain handler's text).
 */

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_request.h"

#include "mod_preflight_private.h"

static int preflight_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp)
{
    preflight_load_public_suffixes(pconf);
    return OK;
}

static int preflight_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    preflight_log_config_warnings(s);
    preflight_warn_star_headers(ptemp, s);
    preflight_memoize_merges(pconf, s);
    preflight_note_cache();
    return preflight_counters_post_config(pconf, ptemp, s);
}

/* apache2 -t stops before post_config: the warnings made from the whole
 * configuration are given here too. */
static void preflight_test_config(apr_pool_t *pconf, server_rec *s)
{
    apr_pool_t *ptemp;

    apr_pool_create(&ptemp, pconf);
    preflight_warn_star_headers(ptemp, s);
    apr_pool_destroy(ptemp);
}

/* One cache of .htaccess lists for the process, found through any
 * server's configuration; the child's own audit state. */
static void preflight_child_init(apr_pool_t *pchild, server_rec *s)
{
    preflight_line_cache *lines = preflight_line_cache_create(pchild, s);
    server_rec *v;

    for (v = s; v; v = v->next) {
        ((preflight_server_conf *)preflight_server_config(v))->lines = lines;
    }
    preflight_counters_child_init(pchild, s);
}

/* In request order. */
static void preflight_register_hooks(apr_pool_t *p)
{
    static const char * const after_authz[] = { "mod_authz_core.c", NULL };

    ap_hook_pre_config(preflight_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(preflight_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_test_config(preflight_test_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(preflight_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    /* Registered through check_access_ex so that sub-requests with the same
     * configuration still skip access checks (AP_AUTH_INTERNAL_PER_CONF). */
    ap_hook_check_access_ex(preflight_skip_authn, after_authz, NULL,
                            APR_HOOK_LAST, AP_AUTH_INTERNAL_PER_CONF);
    /* After access control, before fixups: mod_dir (fixups) and mod_proxy
     * (handler) would otherwise act on the preflight first. */
    ap_hook_type_checker(preflight_answer, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_fixups(preflight_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(preflight_explain, NULL, NULL, APR_HOOK_MIDDLE);
    /* REALLY_LAST: filters of one type run in insertion order, and ours has
     * to come after mod_headers' (LAST) to have the final word. */
    ap_hook_insert_filter(preflight_insert_filter, NULL, NULL,
                          APR_HOOK_REALLY_LAST);
    ap_hook_insert_error_filter(preflight_insert_error_filter, NULL, NULL,
                                APR_HOOK_REALLY_LAST);
    preflight_register_filter();
    preflight_register_status_hook();
}

AP_DECLARE_MODULE(preflight) = {
    STANDARD20_MODULE_STUFF,
    preflight_create_dir_config,     /* create per-directory config */
    preflight_merge_dir_config,      /* merge per-directory config */
    preflight_create_server_config,  /* create per-server config */
    preflight_merge_server_config,   /* merge per-server config */
    preflight_cmds,                  /* directives */
    preflight_register_hooks         /* register hooks */
};
