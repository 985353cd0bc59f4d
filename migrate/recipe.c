/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * recipe.c: finding the CORS recipes in a configuration tree and reading
 * what they do.
 *
 * A recipe is the CORS lines of one scope (a <Directory>, <Location>,
 * <Files>, <VirtualHost>, <If> not on the Origin, or a file's top level):
 * mod_headers lines on Access-Control-* and Vary, the mod_setenvif and
 * mod_rewrite lines that decide on the Origin or answer OPTIONS, and the
 * <Limit>/<LimitExcept>/Require arrangements around OPTIONS. <IfModule>
 * and friends are transparent; an <If> on the Origin is the recipe's gate,
 * not a scope of its own.
 *
 * The work is in three files: this one groups the lines by scope, reads
 * the ap_expr conditions on the Origin and builds each recipe with its
 * findings; recipe_headers.c reads the mod_setenvif and mod_headers lines
 * and what a header sends; recipe_options.c reads mod_rewrite, <Limit>,
 * <LimitExcept>, Require and Script: who answers OPTIONS and whether
 * authentication covers it. recipe.h holds what they share.
 */

#include <string.h>
#include <stdlib.h>

#include "apr_lib.h"

#include "recipe.h"

/* ---- gates: what decides which origins are answered */

/* ap_expr comparisons on the Origin: "=~ /re/i", "=~ m#re#", "== 'x'",
 * "in {'a', 'b'}", "-n". Anything else is named, not guessed. */
void mig_expr_gate(apr_pool_t *p, const char *e, const mig_node *n, gate *g)
{
    const char *s = e;
    int found = 0;
    if (strstr(e, "!~") || strstr(e, "&&") || strstr(e, "!=")) {
        g->unknown = apr_psprintf(p, "the expression %s combines conditions "
                                  "this tool does not translate", e);
        g->unknown_node = n;
        return;
    }
    while (*s) {
        const char *ref = NULL, *k;
        for (k = s; *k; k++)
            if (origin_ref(k) && (!strncasecmp(k, "%{", 2) || !strncasecmp(k, "req(", 4)
                                  || !strncasecmp(k, "http(", 5))) {
                ref = k;
                break;
            }
        if (!ref)
            break;
        found = 1;
        /* before it: "-n" */
        if (ref - e >= 3 && !strncmp(ref - 3, "-n ", 3)) {
            g->any = 1;
        }
        k = strchr(ref, '}');
        if (!k)
            k = strchr(ref, ')');
        if (!k)
            break;
        k++;
        while (*k && apr_isspace(*k))
            k++;
        if (!strncmp(k, "=~", 2)) {
            char delim;
            const char *b, *end;
            gate_regex *r;
            k += 2;
            while (*k && apr_isspace(*k))
                k++;
            if (*k == 'm' && k[1] && !apr_isalnum(k[1]))
                k++;
            delim = *k;
            if (!delim) break;
            b = k + 1;
            end = strchr(b, delim);
            if (!end) {
                g->unknown = "a regex without its closing delimiter";
                g->unknown_node = n;
                return;
            }
            r = apr_array_push(g->regexes);
            r->regex = apr_pstrmemdup(p, b, end - b);
            r->caseless = end[1] == 'i';
            r->group = -1;
            r->node = n;
            s = end + 1;
            continue;
        }
        if (!strncmp(k, "==", 2) || !strncmp(k, "-strmatch", 9)) {
            const char *b, *end;
            char q;
            int glob = k[0] == '-';
            k += glob ? 9 : 2;
            while (*k && apr_isspace(*k))
                k++;
            q = *k;
            if (q != '\'' && q != '"') break;
            b = k + 1;
            end = strchr(b, q);
            if (!end) break;
            if (glob && strpbrk(apr_pstrmemdup(p, b, end - b), "*?[")) {
                g->unknown = "a -strmatch glob";
                g->unknown_node = n;
                return;
            }
            APR_ARRAY_PUSH(g->literals, const char *) = apr_pstrmemdup(p, b, end - b);
            s = end + 1;
            continue;
        }
        if (!strncmp(k, "in", 2) && (apr_isspace(k[2]) || k[2] == '{')) {
            const char *end = strchr(k, '}');
            k = strchr(k, '{');
            if (!k || !end) break;
            for (k++; k < end; k++) {
                char q = *k;
                const char *c;
                if (q != '\'' && q != '"')
                    continue;
                c = memchr(k + 1, q, end - k - 1);
                if (!c) break;
                APR_ARRAY_PUSH(g->literals, const char *) = apr_pstrmemdup(p, k + 1, c - k - 1);
                k = c;
            }
            s = end + 1;
            continue;
        }
        s = k;
    }
    if (!found) {
        g->unknown = apr_psprintf(p, "the expression %s does not test the Origin", e);
        g->unknown_node = n;
    }
}

/* ---- scopes */

static int transparent(const mig_node *n)
{
    static const char *const names[] = {
        "IfModule", "IfDefine", "IfVersion", "IfFile", "IfDirective",
        "IfSection", "Limit", "LimitExcept", "RequireAll", "RequireAny",
        "RequireNone", NULL
    };
    int i;
    for (i = 0; names[i]; i++)
        if (mig_is(n, names[i]))
            return 1;
    return 0;
}

/* An <If>/<ElseIf> on the Origin gates a recipe instead of scoping one. */
static int origin_if(const mig_node *n)
{
    return (mig_is(n, "If") || mig_is(n, "ElseIf")) && origin_ref(n->args);
}

/* The lines of one scope, through transparent sections, not into scopes
 * of their own. */
static void scope_lines(apr_pool_t *p, const mig_node *sec, const mig_node *gate_if,
                        apr_array_header_t *out)
{
    int i;
    for (i = 0; i < sec->kids->nelts; i++) {
        const mig_node *k = APR_ARRAY_IDX(sec->kids, i, const mig_node *);
        if (k->section && (transparent(k) || origin_if(k))) {
            found *fd = apr_array_push(out);
            fd->node = k;
            fd->origin_if = gate_if;
            scope_lines(p, k, origin_if(k) ? k : gate_if, out);
            continue;
        }
        if (k->section)
            continue;
        {
            found *fd = apr_array_push(out);
            fd->node = k;
            fd->origin_if = gate_if;
        }
    }
}

static const char *header_text(apr_pool_t *p, const mig_node *n)
{
    return apr_pstrcat(p, "<", n->name, *n->args ? " " : "", n->args, ">", NULL);
}

static const char *scope_chain(apr_pool_t *p, const mig_node *n)
{
    const char *s = NULL;
    for (; n && n->parent; n = n->parent) {
        if (transparent(n) || origin_if(n))
            continue;
        s = s ? apr_pstrcat(p, header_text(p, n), " ", s, NULL) : header_text(p, n);
    }
    return s ? s : "(top level)";
}

/* ---- the recipe's lines and the scope that holds them */

void mig_add_line(mig_recipe *r, const mig_node *n)
{
    int i;
    mig_range *rg;
    for (i = 0; i < r->lines->nelts; i++)
        if (APR_ARRAY_IDX(r->lines, i, const mig_node *) == n)
            return;
    APR_ARRAY_PUSH(r->lines, const mig_node *) = n;
    rg = apr_array_push(r->remove);
    rg->file = n->file;
    rg->first = n->line;
    rg->last = n->last;
}

void mig_remove_only(mig_recipe *r, const char *file, int line)
{
    mig_range *rg = apr_array_push(r->remove);
    rg->file = file;
    rg->first = rg->last = line;
}

static int by_line(const void *a, const void *b)
{
    const mig_node *x = *(const mig_node *const *)a, *y = *(const mig_node *const *)b;
    int c = strcmp(x->file, y->file);
    return c ? c : x->line - y->line;
}

/* httpd refuses a file with a directive no loaded module defines ("Invalid
 * command"): the recipe's lines then never run. Only the recipe's own
 * scope is judged, where a published recipe brings such a line (nginx's
 * "Return 200" in an <If>). */
static void unknown_directives(apr_pool_t *p, mig_recipe *r, const apr_array_header_t *lines)
{
    int i;
    for (i = 0; i < lines->nelts; i++) {
        const mig_node *n = APR_ARRAY_IDX(lines, i, found).node;
        if (mig_known_directive(n->name))
            continue;
        mig_add_finding(p, r, MIG_INVALID_CONFIG, n->file, n->line, NULL,
                        "httpd 2.4 has no directive %s (no module Debian ships "
                        "defines it): httpd refuses the %s with \"Invalid "
                        "command\", and none of its lines run", n->name,
                        r->htaccess ? ".htaccess (500 on every request)" : "configuration");
    }
}

/* The scope's recipe, or nothing when it has no CORS line. */
static void read_scope(finder *f, mig_node *scope_node, int file_level)
{
    apr_pool_t *p = f->p;
    apr_array_header_t *lines = apr_array_make(p, 8, sizeof(found));
    mig_recipe *r = apr_pcalloc(p, sizeof(*r));
    const mig_node *auth_at;
    int i, server_level;

    scope_lines(p, scope_node, NULL, lines);
    r->lines = apr_array_make(p, 4, sizeof(const mig_node *));
    r->remove = apr_array_make(p, 4, sizeof(mig_range));
    r->origins = apr_array_make(p, 2, sizeof(const char *));
    r->admits = apr_array_make(p, 1, sizeof(const char *));
    r->findings = apr_array_make(p, 2, sizeof(mig_finding));
    r->untranslated = apr_array_make(p, 1, sizeof(mig_untranslated));
    r->proposal = apr_array_make(p, 8, sizeof(const char *));
    r->max_age = -1;
    r->htaccess = f->htaccess;
    r->scope = file_level ? NULL : scope_node;
    r->scope_text = file_level ? (f->htaccess ? "(.htaccess)" : "(top level)")
                               : scope_chain(p, scope_node);
    server_level = !f->htaccess && (file_level || mig_is(scope_node, "VirtualHost"));

    for (i = 0; i < lines->nelts; i++) {
        const found *fd = &APR_ARRAY_IDX(lines, i, found);
        const mig_node *n = fd->node;
        if (mig_is(n, "Header") || mig_is(n, "RequestHeader"))
            mig_read_cors_header(f, r, n, fd->origin_if);
        else if (n->section && (mig_is(n, "Limit") || mig_is(n, "LimitExcept")))
            mig_read_limits(f, r, n);
        else if (mig_is(n, "Require"))
            mig_read_require_method(f, r, n);
        else if (mig_is(n, "Script") && arg(n, 0) && !strcasecmp(arg(n, 0), "OPTIONS"))
            mig_read_script_options(p, r, n);
    }
    mig_read_rewrites(f, r, lines, server_level);
    if (!r->lines->nelts && !r->findings->nelts)
        return;
    unknown_directives(p, r, lines);

    /* An <If> on the Origin that held only recipe lines goes with them. */
    for (i = 0; i < lines->nelts; i++) {
        const mig_node *n = APR_ARRAY_IDX(lines, i, found).node;
        int j, k, all = 1;
        if (!n->section || !origin_if(n))
            continue;
        for (j = 0; j < n->kids->nelts && all; j++) {
            const mig_node *kid = APR_ARRAY_IDX(n->kids, j, const mig_node *);
            int in = 0;
            for (k = 0; k < r->lines->nelts; k++)
                if (APR_ARRAY_IDX(r->lines, k, const mig_node *) == kid)
                    in = 1;
            all &= in;
        }
        if (all) {
            mig_remove_only(r, n->file, n->line);
            mig_remove_only(r, n->file, n->close_line);
        }
        else
            mig_add_untranslated(p, r, n, "an <If> on the Origin that also holds other lines");
    }

    /* The holes that need the whole recipe to see. */
    if (r->origin_kind == MIG_ORIGIN_REFLECT_ANY) {
        int line = r->origin_line ? r->origin_line : r->line;
        const char *file = APR_ARRAY_IDX(r->lines, 0, const mig_node *)->file;
        /* Through the CGI variable only a CGI or PHP answer reflects: no
         * origin is shown that a static file would not bear out. */
        const char *evil = r->reflect_cgi_only ? NULL : "https://evil.example";
        mig_add_finding(p, r, MIG_ANY_ORIGIN_REFLECTED, file, line, evil,
                        "the request's Origin is sent back whatever it is: any "
                        "site, https://evil.example included, can read these responses");
        if (r->credentials)
            mig_add_finding(p, r, MIG_CREDENTIALS_ANY_ORIGIN, file, r->credentials_line,
                            evil,
                            "any origin is reflected with Access-Control-Allow-Credentials: "
                            "true: any site can read these responses with the user's "
                            "cookies; list the origins that may");
        if (evil)
            mig_push_admits(r, evil);
    }
    if (r->origin_kind == MIG_ORIGIN_STAR && r->credentials) {
        const char *file = APR_ARRAY_IDX(r->lines, 0, const mig_node *)->file;
        mig_add_finding(p, r, MIG_CREDENTIALS_ANY_ORIGIN, file, r->credentials_line, NULL,
                        "Access-Control-Allow-Origin * with Access-Control-Allow-"
                        "Credentials: true: browsers refuse every credentialed "
                        "answer; the proposal drops credentials (list the origins "
                        "that may send them)");
    }
    /* A fixed Access-Control-Allow-Origin sent always depends on nothing
     * in the request: no Vary is missing there. */
    if (r->origin_dependent && !r->vary_origin) {
        const char *file = APR_ARRAY_IDX(r->lines, 0, const mig_node *)->file;
        int line = r->origin_line;
        if (r->vary_conditional_line) {
            file = r->vary_conditional_file;
            line = r->vary_conditional_line;
        }
        mig_add_finding(p, r, MIG_VARY_MISSING, file, line, NULL,
                        "the answer depends on the Origin but no Vary: Origin is "
                        "sent: a cache can hand one origin's answer to another");
    }
    if (r->headers) {
        int star = 0, authz = 0;
        for (i = 0; i < r->headers->nelts; i++) {
            const char *h = APR_ARRAY_IDX(r->headers, i, const char *);
            star |= !strcmp(h, "*");
            authz |= !strcasecmp(h, "Authorization");
        }
        if (star && !authz) {
            const mig_node *at = NULL;
            for (i = 0; i < r->lines->nelts && !at; i++) {
                const mig_node *n = APR_ARRAY_IDX(r->lines, i, const mig_node *);
                if (strcasestr(n->args, "Access-Control-Allow-Headers"))
                    at = n;
            }
            if (at)
                mig_add_finding(p, r, MIG_STAR_HEADERS_AUTHORIZATION, at->file, at->line, NULL,
                                "Access-Control-Allow-Headers * is taken by some "
                                "browsers to cover Authorization; Fetch, and "
                                "mod_preflight, do not: add Authorization to "
                                "PreflightAllowHeaders if the API takes it");
        }
    }
    if (r->origin_kind != MIG_ORIGIN_NONE && (auth_at = mig_auth_over_options(scope_node))) {
        int exempt = 0;
        for (i = 0; i < r->findings->nelts; i++) {
            mig_finding_id id = APR_ARRAY_IDX(r->findings, i, mig_finding).id;
            if (id == MIG_AUTH_BYPASS)
                exempt = 1;
            if (id == MIG_OPTIONS_HIJACKED && server_level)
                exempt = 1;
        }
        /* A rule at the server or virtual host level answers OPTIONS in
         * translate_name, before any authentication below it runs. */
        exempt |= f->options_answered_early;
        if (!exempt) {
            mig_add_finding(p, r, MIG_PREFLIGHT_NEEDS_AUTH, auth_at->file, auth_at->line, NULL,
                            "authentication covers OPTIONS here, and browsers send "
                            "preflights without credentials: they get 401 and the "
                            "cross-origin request fails; mod_preflight answers "
                            "preflights before authentication");
        }
    }

    {
        const mig_node *first = APR_ARRAY_IDX(r->lines, 0, const mig_node *);
        r->file = first ? first->file : scope_node->file;
        r->line = first ? first->line : scope_node->line;
        for (i = 0; i < r->lines->nelts; i++) {
            const mig_node *n = APR_ARRAY_IDX(r->lines, i, const mig_node *);
            if (!strcmp(n->file, r->file) && n->line < r->line)
                r->line = n->line;
        }
    }
    qsort(r->lines->elts, r->lines->nelts, sizeof(const mig_node *), by_line);
    mig_propose(p, r);
    APR_ARRAY_PUSH(f->out, mig_recipe *) = r;
}

/* mod_rewrite runs in translate_name at the server and virtual host level,
 * in fixups (after authentication) everywhere else. */
static int per_directory(const finder *f, const mig_node *n)
{
    const mig_node *s;
    if (f->htaccess)
        return 1;
    for (s = n->parent; s && s->parent; s = s->parent)
        if (!transparent(s) && !mig_is(s, "VirtualHost"))
            return 1;
    return 0;
}

static void collect_setters(finder *f, const mig_node *n, apr_array_header_t *conds)
{
    int i;
    for (i = 0; i < n->kids->nelts; i++) {
        const mig_node *k = APR_ARRAY_IDX(n->kids, i, const mig_node *);
        if (k->section) {
            collect_setters(f, k, apr_array_make(f->p, 2, sizeof(const mig_node *)));
            continue;
        }
        if (mig_is(k, "SetEnvIf") || mig_is(k, "SetEnvIfNoCase"))
            mig_setenvif_setters(f, k);
        else if (mig_is(k, "SetEnvIfExpr"))
            mig_setenvifexpr_setters(f, k);
        else if (mig_is(k, "RewriteCond"))
            APR_ARRAY_PUSH(conds, const mig_node *) = k;
        else if (mig_is(k, "RewriteRule")) {
            rewrite *rw = mig_read_rewrite(f->p, k, conds);
            mig_rewrite_setters(f, rw, per_directory(f, k));
            if (rw->on_options && !rw->on_preflight && rw->status && !per_directory(f, k))
                f->options_answered_early = 1;
            conds = apr_array_make(f->p, 2, sizeof(const mig_node *));
        }
    }
}

static void walk_scopes(finder *f, mig_node *n)
{
    int i;
    for (i = 0; i < n->kids->nelts; i++) {
        mig_node *k = APR_ARRAY_IDX(n->kids, i, mig_node *);
        if (!k->section)
            continue;
        if (!transparent(k) && !origin_if(k))
            read_scope(f, k, 0);
        walk_scopes(f, k);
    }
}

void mig_find_recipes(apr_pool_t *p, mig_node *root, int htaccess,
                      apr_array_header_t *out)
{
    finder f;
    f.p = p;
    f.htaccess = htaccess;
    f.setters = apr_array_make(p, 4, sizeof(setter));
    f.out = out;
    f.options_answered_early = 0;
    collect_setters(&f, root, apr_array_make(p, 2, sizeof(const mig_node *)));
    read_scope(&f, root, 1);
    walk_scopes(&f, root);
}
