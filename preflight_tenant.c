/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_tenant.c: the per-server configuration, which is what a host
 * sets for everyone below it: PreflightTenantLimit, the values that
 * .htaccess files may not switch on, and the warnings to repeat once the
 * error log is open. See README.md, "PreflightTenantLimit" and "Shared
 * hosting".
 */

#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "mod_preflight_private.h"

APLOG_USE_MODULE(preflight);

/* The items that take no value, in preflight_tenant_item order. */
static const char * const tenant_flag_names[TENANT_MAX_AGE] = {
    "credentials", "private-network", "any-origin", "passthrough"
};

static preflight_server_conf *server_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &preflight_module);
}

/* A warning while the configuration is read: to the console now, and kept
 * for post_config, since directive handlers reach the console only. From
 * .htaccess (per request, in a worker thread) it is logged at debug and
 * never kept. */
void preflight_config_warning(cmd_parms *cmd, const char *msg)
{
    preflight_server_conf *sconf;

    if (preflight_in_htaccess(cmd)) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, cmd->server, "%s", msg);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server, "%s", msg);
    sconf = server_conf(cmd->server);
    APR_ARRAY_PUSH(sconf->warnings, const char *) = msg;
}


/* In .htaccess, a value the host's PreflightTenantLimit keeps out is
 * refused like a directive that AllowOverride does not allow. */
const char *preflight_tenant_refusal(cmd_parms *cmd,
                                     preflight_tenant_item what,
                                     const char *value)
{
    const preflight_tenant_limits *t;
    const preflight_tenant_limit *limit;

    if (!preflight_in_htaccess(cmd)) {
        return NULL;            /* the host's own configuration */
    }
    t = server_conf(cmd->server)->tenant;
    limit = t ? &t->item[what] : NULL;
    if (!limit || !limit->word) {
        return NULL;
    }
    return apr_psprintf(cmd->pool, "%s %s: not allowed in .htaccess here: "
                        "PreflightTenantLimit %s (%s:%d) keeps it to the "
                        "server configuration", cmd->cmd->name, value,
                        limit->word, limit->at->filename, limit->at->line_num);
}

/* The item a PreflightTenantLimit word names; 0 when it names none. */
static int tenant_item(const char *arg, preflight_tenant_item *item)
{
    int i;

    for (i = 0; i < TENANT_MAX_AGE; i++) {
        if (!strcasecmp(arg, tenant_flag_names[i])) {
            *item = i;
            return 1;
        }
    }
    *item = TENANT_MAX_AGE;
    return !strncasecmp(arg, "max-age=", 8);
}

/* ITERATE calls once per item: a line is noted once. */
static void note_tenant_line(cmd_parms *cmd, preflight_tenant_limits *t)
{
    apr_array_header_t *lines = t->lines;

    if (!lines->nelts || APR_ARRAY_IDX(lines, lines->nelts - 1,
                                       const ap_directive_t *) != cmd->directive) {
        APR_ARRAY_PUSH(lines, const ap_directive_t *) = cmd->directive;
    }
}

/* The first line in a server replaces the limits it would inherit. */
static preflight_tenant_limits *own_tenant_limits(cmd_parms *cmd)
{
    preflight_server_conf *sconf = server_conf(cmd->server);
    preflight_tenant_limits *t = sconf->tenant;

    if (!t) {
        t = sconf->tenant = apr_pcalloc(cmd->pool, sizeof(*t));
        t->max_age = 86400;
        t->words = apr_array_make(cmd->pool, 4, sizeof(const char *));
        t->lines = apr_array_make(cmd->pool, 1, sizeof(const ap_directive_t *));
    }
    return t;
}

/* A max-age=N item: only a lower cap than the one in force takes over (and
 * is then the line refusals name); *lowers says whether this one does. */
static const char *tenant_max_age(cmd_parms *cmd, preflight_tenant_limits *t,
                                  const char *arg, int *lowers)
{
    int out_of_range;
    long v = preflight_parse_seconds(arg + 8, &out_of_range);

    if (v < 0) {
        return apr_psprintf(cmd->pool, "PreflightTenantLimit '%s': the cap "
                            "must be a whole number of seconds from 0 to "
                            "86400", arg);
    }
    *lowers = !t->item[TENANT_MAX_AGE].word || v < t->max_age;
    if (*lowers) {
        t->max_age = (int)v;
    }
    return NULL;
}

/* PreflightTenantLimit: one item per call (ITERATE); lines add up. */
const char *preflight_set_tenant_limit(cmd_parms *cmd, void *dummy,
                                       const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    preflight_tenant_limits *t;
    preflight_tenant_item item;
    int none, takes_effect = 1;

    if (err) {
        return err;
    }
    t = own_tenant_limits(cmd);
    none = !strcasecmp(arg, "none");
    if ((none && t->words->nelts) || (t->words->nelts
        && !strcasecmp(APR_ARRAY_IDX(t->words, 0, const char *), "none"))) {
        return apr_psprintf(cmd->pool, "PreflightTenantLimit '%s': 'none' "
                            "stands alone, as the only item", arg);
    }
    if (!none) {
        if (!tenant_item(arg, &item)) {
            return apr_psprintf(cmd->pool, "PreflightTenantLimit '%s': unknown "
                                "item; use credentials, private-network, "
                                "any-origin, passthrough, max-age=N or none",
                                arg);
        }
        if (item == TENANT_MAX_AGE
            && (err = tenant_max_age(cmd, t, arg, &takes_effect))) {
            return err;
        }
        if (takes_effect) {
            t->item[item].word = arg;
            t->item[item].at = cmd->directive;
        }
    }
    APR_ARRAY_PUSH(t->words, const char *) = arg;
    note_tenant_line(cmd, t);
    return NULL;
}

void *preflight_create_server_config(apr_pool_t *p, server_rec *s)
{
    preflight_server_conf *sconf = apr_pcalloc(p, sizeof(*sconf));

    sconf->warnings = apr_array_make(p, 1, sizeof(const char *));
    return sconf;
}

/* A virtual host without PreflightTenantLimit keeps the main server's. */
void *preflight_merge_server_config(apr_pool_t *p, void *basev, void *addv)
{
    preflight_server_conf *base = basev, *add = addv;
    preflight_server_conf *sconf = apr_pmemdup(p, add, sizeof(*sconf));

    if (!add->tenant) {
        sconf->tenant = base->tenant;
    }
    return sconf;
}

/* Directive handlers' warnings reach the console only (stderr is closed
 * once httpd runs): repeated here, when the error log is open. */
void preflight_log_config_warnings(server_rec *s)
{
    for (; s; s = s->next) {
        const preflight_server_conf *sconf = server_conf(s);
        int i;

        for (i = 0; i < sconf->warnings->nelts; i++) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s",
                         APR_ARRAY_IDX(sconf->warnings, i, const char *));
        }
    }
}

const preflight_server_conf *preflight_server_config(const server_rec *s)
{
    return server_conf(s);
}
