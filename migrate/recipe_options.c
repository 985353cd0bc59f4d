/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * recipe_options.c: who answers OPTIONS and whether authentication covers
 * it: mod_rewrite rules (their R=2xx answers to OPTIONS and the E=
 * variables they set from the Origin), <Limit>/<LimitExcept> and Require
 * around OPTIONS, and mod_actions' Script OPTIONS. recipe.c calls these
 * for each scope.
 */

#include <string.h>
#include <stdlib.h>

#include "apr_lib.h"

#include "recipe.h"

/* ---- mod_rewrite */

/* The flags of a RewriteRule: "[R=200,L,E=X:y]" -> each item. */
static apr_array_header_t *rule_flags(apr_pool_t *p, const mig_node *n)
{
    apr_array_header_t *fl = apr_array_make(p, 4, sizeof(const char *));
    const char *last = n->argv->nelts >= 3 ? arg(n, n->argv->nelts - 1) : NULL;
    char *s, *tok, *state;
    if (!last || last[0] != '[')
        return fl;
    s = apr_pstrdup(p, last + 1);
    if (*s && s[strlen(s) - 1] == ']')
        s[strlen(s) - 1] = '\0';
    for (tok = apr_strtok(s, ",", &state); tok; tok = apr_strtok(NULL, ",", &state)) {
        while (apr_isspace(*tok))
            tok++;
        APR_ARRAY_PUSH(fl, const char *) = tok;
    }
    return fl;
}

static const char *flag_value(const apr_array_header_t *fl, const char *name,
                              const char *alt)
{
    int i;
    apr_size_t n = strlen(name), m = alt ? strlen(alt) : 0;
    for (i = 0; i < fl->nelts; i++) {
        const char *f = APR_ARRAY_IDX(fl, i, const char *);
        if (!strncasecmp(f, name, n) && (f[n] == '=' || f[n] == ':'))
            return f + n + 1;
        if (alt && !strncasecmp(f, alt, m) && (f[m] == '=' || f[m] == ':'))
            return f + m + 1;
        if (!strcasecmp(f, name) || (alt && !strcasecmp(f, alt)))
            return "";
    }
    return NULL;
}

static int options_pattern(const char *pat)
{
    const char *s = pat;
    if (*s == '!')
        return 0;
    if (*s == '=')
        return !strcasecmp(s + 1, "OPTIONS");
    return strstr(s, "OPTIONS") != NULL || strstr(s, "options") != NULL;
}

rewrite *mig_read_rewrite(apr_pool_t *p, const mig_node *rule,
                          apr_array_header_t *conds)
{
    rewrite *rw = apr_pcalloc(p, sizeof(*rw));
    const char *r;
    int i;
    rw->rule = rule;
    rw->conds = conds;
    rw->flags = rule_flags(p, rule);
    for (i = 0; i < conds->nelts; i++) {
        const mig_node *c = APR_ARRAY_IDX(conds, i, const mig_node *);
        const char *test = arg(c, 0), *pat = arg(c, 1);
        if (!test || !pat)
            continue;
        if (!strcasecmp(test, "%{REQUEST_METHOD}") && options_pattern(pat))
            rw->on_options = 1;
        else if (!strcasecmp(test, "%{HTTP:Access-Control-Request-Method}")
                 && (!strcmp(pat, "!^$") || !strcmp(pat, "!=\"\"")
                     || (strcmp(pat, "^$") && strcmp(pat, "=\"\"") && pat[0] != '!')))
            rw->on_preflight = 1;   /* the header is there: a preflight */
        else if (!strcasecmp(test, "%{HTTP:Origin}") || !strcasecmp(test, "%{HTTP_ORIGIN}")) {
            gate_regex *g;
            const char *fl = arg(c, 2);
            if (!rw->origin)
                rw->origin = gate_make(p);
            if (pat[0] == '!' || pat[0] == '=' || pat[0] == '-' || pat[0] == '<' || pat[0] == '>') {
                if (pat[0] == '=' && pat[1]) {
                    APR_ARRAY_PUSH(rw->origin->literals, const char *) = pat + 1;
                }
                else if (!strcmp(pat, "!^$") || !strcmp(pat, "!=\"\"")) {
                    rw->origin->any = 1;
                }
                else {
                    rw->origin->unknown = apr_psprintf(p, "the condition %s", pat);
                    rw->origin->unknown_node = c;
                }
                continue;
            }
            g = apr_array_push(rw->origin->regexes);
            g->regex = pat;
            g->caseless = fl && strcasestr(fl, "NC");
            g->group = -1;
            g->node = c;
        }
    }
    r = flag_value(rw->flags, "R", "redirect");
    if (r && *r) {
        int st = atoi(r);
        if (st >= 200 && st < 300)
            rw->status = st;
        else
            rw->other_status = st;
    }
    return rw;
}

void mig_rewrite_setters(finder *f, rewrite *rw, int late)
{
    int i;
    apr_array_header_t *lines = apr_array_copy(f->p, rw->conds);
    APR_ARRAY_PUSH(lines, const mig_node *) = rw->rule;
    for (i = 0; i < rw->flags->nelts; i++) {
        const char *fl = APR_ARRAY_IDX(rw->flags, i, const char *);
        const char *colon;
        if (strncasecmp(fl, "E=", 2) && strncasecmp(fl, "env=", 4))
            continue;
        fl = strchr(fl, '=') + 1;
        colon = strchr(fl, ':');
        if (!colon)
            continue;
        {
            gate *when = rw->origin;
            setter *s;
            /* E=VAR:%{HTTP:Origin} sends the Origin itself, whatever it is
             * unless a condition on the Origin says otherwise. */
            if (origin_ref(colon + 1) && !when) {
                when = gate_make(f->p);
                when->any = 1;
            }
            if (!when && !rw->on_options)
                continue;
            if (!when)
                when = gate_make(f->p);
            mig_add_setter(f, apr_pstrmemdup(f->p, fl, colon - fl), when,
                           colon[1] == '%' && apr_isdigit(colon[2]) && !colon[3] ? colon[2] - '0'
                           : !strchr(colon + 1, '%') ? MIG_GROUP_TEMPLATE : -1,
                           rw->rule, lines);
            s = &APR_ARRAY_IDX(f->setters, f->setters->nelts - 1, setter);
            s->late = late;
            s->options_only = rw->on_options;
            s->value = colon + 1;
        }
    }
}

/* ---- authentication over OPTIONS */

static int require_auth(const mig_node *n)
{
    const char *a = arg(n, 0);
    if (!mig_is(n, "Require") || !a)
        return 0;
    return !strcasecmp(a, "valid-user") || !strcasecmp(a, "user")
        || !strcasecmp(a, "group") || !strncasecmp(a, "ldap-", 5)
        || !strcasecmp(a, "dbd-group") || !strcasecmp(a, "file-owner");
}

static int limit_has_options(const mig_node *sec)
{
    int i;
    for (i = 0; i < sec->argv->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(sec->argv, i, const char *), "OPTIONS"))
            return 1;
    return 0;
}

/* The Require that puts authentication over OPTIONS in this scope or
 * above it, not lifted for OPTIONS by a <Limit>/<LimitExcept>; or NULL. */
const mig_node *mig_auth_over_options(const mig_node *scope_node)
{
    const mig_node *s;
    for (s = scope_node; s; s = s->parent) {
        int i;
        for (i = 0; i < s->kids->nelts; i++) {
            const mig_node *k = APR_ARRAY_IDX(s->kids, i, const mig_node *);
            if (require_auth(k))
                return k;
            if (k->section && (mig_is(k, "IfModule") || mig_is(k, "RequireAll"))) {
                int j;
                for (j = 0; j < k->kids->nelts; j++)
                    if (require_auth(APR_ARRAY_IDX(k->kids, j, const mig_node *)))
                        return APR_ARRAY_IDX(k->kids, j, const mig_node *);
            }
            if (k->section && mig_is(k, "Limit") && limit_has_options(k)) {
                int j;
                for (j = 0; j < k->kids->nelts; j++)
                    if (require_auth(APR_ARRAY_IDX(k->kids, j, const mig_node *)))
                        return APR_ARRAY_IDX(k->kids, j, const mig_node *);
            }
        }
    }
    return NULL;
}

static int has_auth_inside(const mig_node *sec)
{
    int i;
    for (i = 0; i < sec->kids->nelts; i++) {
        const mig_node *k = APR_ARRAY_IDX(sec->kids, i, const mig_node *);
        if (require_auth(k) || mig_is(k, "AuthType"))
            return 1;
        if (k->section && has_auth_inside(k))
            return 1;
    }
    return 0;
}

void mig_read_limits(finder *f, mig_recipe *r, const mig_node *n)
{
    apr_pool_t *p = f->p;
    int only_options = n->argv->nelts == 1 && !strcmp(arg(n, 0), "OPTIONS");
    if (mig_is(n, "LimitExcept") && limit_has_options(n) && has_auth_inside(n)) {
        mig_add_finding(p, r, MIG_AUTH_BYPASS, n->file, n->line, NULL,
                        "<LimitExcept %s> lifts authentication for every OPTIONS "
                        "request, plain OPTIONS and WebDAV's included, not just "
                        "preflights; mod_preflight answers preflights before "
                        "authentication and leaves the rest to it", n->args);
        if (only_options) {
            mig_remove_only(r, n->file, n->line);
            mig_remove_only(r, n->file, n->close_line);
            APR_ARRAY_PUSH(r->lines, const mig_node *) = n;
        }
        else
            mig_add_untranslated(p, r, n, "<LimitExcept> lists methods besides OPTIONS");
    }
    else if (mig_is(n, "Limit") && limit_has_options(n)) {
        int i, grants = 0;
        for (i = 0; i < n->kids->nelts; i++) {
            const mig_node *k = APR_ARRAY_IDX(n->kids, i, const mig_node *);
            if (mig_is(k, "Require") && arg(k, 0) && !strcasecmp(arg(k, 0), "all")
                && arg(k, 1) && !strcasecmp(arg(k, 1), "granted"))
                grants = 1;
            if (mig_is(k, "Satisfy") && arg(k, 0) && !strcasecmp(arg(k, 0), "any"))
                grants = 1;
        }
        if (grants) {
            mig_add_finding(p, r, MIG_AUTH_BYPASS, n->file, n->line, NULL,
                            "<Limit %s> grants every OPTIONS request without "
                            "authentication, not just preflights", n->args);
            if (only_options) {
                mig_add_line(r, n);
                r->remove->nelts--;
                {
                    mig_range *rg = apr_array_push(r->remove);
                    rg->file = n->file;
                    rg->first = n->line;
                    rg->last = n->close_line;
                }
            }
        }
    }
}

void mig_read_require_method(finder *f, mig_recipe *r, const mig_node *n)
{
    int i, opts = 0;
    if (!mig_is(n, "Require") || !arg(n, 0) || strcasecmp(arg(n, 0), "method"))
        return;
    for (i = 1; i < n->argv->nelts; i++)
        if (!strcmp(arg(n, i), "OPTIONS"))
            opts = 1;
    if (!opts || mig_is(n->parent, "RequireAll") || mig_is(n->parent, "RequireNone"))
        return;
    /* Alone it restricts the methods; next to an authentication Require
     * (the lines of a section, or a <RequireAny>, are alternatives) it
     * lets OPTIONS through without credentials. */
    for (i = 0; i < n->parent->kids->nelts; i++)
        if (require_auth(APR_ARRAY_IDX(n->parent->kids, i, const mig_node *)))
            opts = 2;
    if (opts != 2)
        return;
    mig_add_finding(f->p, r, MIG_AUTH_BYPASS, n->file, n->line, NULL,
                    "Require method OPTIONS grants every OPTIONS request without "
                    "authentication, not just preflights");
    if (n->argv->nelts == 2)
        mig_add_line(r, n);
    else
        mig_add_untranslated(f->p, r, n, "Require method lists methods besides OPTIONS");
}

/* ---- answers to OPTIONS */

void mig_read_rewrites(finder *f, mig_recipe *r, apr_array_header_t *lines,
                       int server_level)
{
    apr_pool_t *p = f->p;
    apr_array_header_t *conds = apr_array_make(p, 2, sizeof(const mig_node *));
    int i, j;
    for (i = 0; i < lines->nelts; i++) {
        const mig_node *n = APR_ARRAY_IDX(lines, i, found).node;
        rewrite *rw;
        if (mig_is(n, "RewriteCond")) {
            APR_ARRAY_PUSH(conds, const mig_node *) = n;
            continue;
        }
        if (!mig_is(n, "RewriteRule")) {
            continue;
        }
        rw = mig_read_rewrite(p, n, conds);
        conds = apr_array_make(p, 2, sizeof(const mig_node *));
        if (!rw->on_options || (!rw->status && !rw->other_status))
            continue;
        for (j = 0; j < rw->conds->nelts; j++)
            mig_add_line(r, APR_ARRAY_IDX(rw->conds, j, const mig_node *));
        mig_add_line(r, n);
        if (rw->other_status) {
            mig_add_untranslated(p, r, n, apr_psprintf(p, "OPTIONS answered with status %d",
                                                       rw->other_status));
            mig_add_finding(p, r, MIG_NOT_TRANSLATED, n->file, n->line, NULL,
                            "OPTIONS answered with R=%d is not translated", rw->other_status);
            continue;
        }
        if (!rw->on_preflight) {
            r->options_answered = 1;
            mig_add_finding(p, r, MIG_OPTIONS_HIJACKED, n->file, n->line, NULL,
                            "every OPTIONS request is answered %d here, not just "
                            "preflights: plain OPTIONS, WebDAV and the application "
                            "lose their own answer (Allow, DAV)%s", rw->status,
                            server_level ? " and authentication is skipped for them" : "");
        }
    }
}

/* mod_actions' "Script OPTIONS /cgi-bin/x" hands every OPTIONS request to
 * a program: what it answers is not in the configuration. */
void mig_read_script_options(apr_pool_t *p, mig_recipe *r, const mig_node *n)
{
    mig_add_line(r, n);
    r->options_answered = 1;
    mig_add_finding(p, r, MIG_OPTIONS_HIJACKED, n->file, n->line, NULL,
                    "every OPTIONS request is handed to %s here, not just "
                    "preflights: plain OPTIONS, WebDAV and the application lose "
                    "their own answer (Allow, DAV)", arg(n, 1) ? arg(n, 1) : "a script");
    mig_add_untranslated(p, r, n, "a script that answers OPTIONS");
    mig_add_finding(p, r, MIG_NOT_TRANSLATED, n->file, n->line, NULL,
                    "what %s answers to OPTIONS is not in the configuration: "
                    "check that the proposal's methods and headers are the ones "
                    "it allows", arg(n, 1) ? arg(n, 1) : "the script");
}
