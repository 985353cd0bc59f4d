/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_sections.c: what is worked out from the whole configuration
 * once it is read, before any request: the +/- merges of the server's own
 * sections, and the warnings that only the whole configuration can give.
 * Runs in post_config (and test_config, for apache2 -t), before any worker
 * thread. See README.md, "Behaviour in detail".
 */

#include "apr_hash.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"

#include "mod_preflight_private.h"

APLOG_USE_MODULE(preflight);

/* The sections of a server whose lists a +/- list may meet when httpd
 * merges them for a request: the server's defaults, its <Directory> and
 * <Location> sections (a virtual host's include the main server's). */
static apr_array_header_t *sections_of(apr_pool_t *p, server_rec *s)
{
    core_server_config *core = ap_get_core_module_config(s->module_config);
    apr_array_header_t *all = apr_array_make(p, 8, sizeof(ap_conf_vector_t *));

    APR_ARRAY_PUSH(all, ap_conf_vector_t *) = s->lookup_defaults;
    apr_array_cat(all, core->sec_dir);
    apr_array_cat(all, core->sec_url);
    return all;
}

/* The list directives, each worked out on its own. */
static const preflight_directive list_directives[] = {
    PF_ORIGINS, PF_METHODS, PF_HEADERS, PF_EXPOSE
};

/* A section's list; a section read before LoadModule has no configuration
 * of this module at all. */
static preflight_list *list_in(const ap_conf_vector_t *v,
                               preflight_directive which)
{
    preflight_dir_conf *c = (preflight_dir_conf *)preflight_dir_config(v);

    return c ? *preflight_list_slot(c, which) : NULL;
}

static void memoize_edits_of(apr_pool_t *p, const apr_array_header_t *all,
                             preflight_directive which)
{
    int i, j;

    for (i = 0; i < all->nelts; i++) {
        preflight_list *edit = list_in(APR_ARRAY_IDX(all, i, ap_conf_vector_t *),
                                       which);

        if (!edit || !edit->net) {
            continue;
        }
        for (j = 0; j < all->nelts; j++) {
            const preflight_list *base =
                list_in(APR_ARRAY_IDX(all, j, ap_conf_vector_t *), which);

            if (base && j != i) {
                preflight_list_memoize(p, base, edit);
            }
        }
    }
}

/* httpd merges sections for every request, and a +/- list must then be
 * applied to what it inherits. Where both come from the server's own
 * configuration, the result is worked out here, once: the request finds it
 * by the inherited list's address. Runs before any worker thread. */
void preflight_memoize_merges(apr_pool_t *pconf, server_rec *s)
{
    for (; s; s = s->next) {
        const apr_array_header_t *all = sections_of(pconf, s);
        apr_size_t k;

        for (k = 0; k < sizeof(list_directives) / sizeof(list_directives[0]); k++) {
            memoize_edits_of(pconf, all, list_directives[k]);
        }
    }
}

/* Shipping browsers take "*" to cover Authorization; Fetch, and so the
 * module, does not. A site moving from a recipe that sent "*" would see
 * those requests refused without a word: say so once per section. */
static int star_leaves_out_authorization(const preflight_list *headers)
{
    const char *bad;
    apr_size_t bad_len;
    int count;

    return headers && headers->any && !headers->edits
           && preflight_request_headers_check(headers, "authorization", &bad,
                                              &bad_len, &count)
              == PREFLIGHT_HEADERS_DENIED_AUTHORIZATION;
}

void preflight_warn_star_headers(apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *seen = apr_hash_make(ptemp);

    for (; s; s = s->next) {
        const apr_array_header_t *all = sections_of(ptemp, s);
        int i;

        for (i = 0; i < all->nelts; i++) {
            const preflight_dir_conf *c =
                preflight_dir_config(APR_ARRAY_IDX(all, i, ap_conf_vector_t *));
            const ap_directive_t *line;

            if (!c || apr_hash_get(seen, &c, sizeof(c))
                || !star_leaves_out_authorization(c->headers)) {
                continue;
            }
            apr_hash_set(seen, apr_pmemdup(ptemp, &c, sizeof(c)), sizeof(c), c);
            line = c->src[PF_HEADERS]->directive;
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         "%s:%d: PreflightAllowHeaders * does not cover "
                         "Authorization (Fetch), although browsers take it "
                         "to: clients that send Authorization will be "
                         "refused; add Authorization to allow it",
                         line->filename, line->line_num);
        }
    }
}
