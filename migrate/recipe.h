/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * recipe.h: what recipe.c, recipe_headers.c and recipe_options.c share
 * while finding the recipes (mig_find_recipes in migrate.h is the only
 * entry the rest of preflight-migrate uses). Not installed, not part of
 * migrate.h: these are the finder's working types.
 */

#ifndef PREFLIGHT_MIGRATE_RECIPE_H
#define PREFLIGHT_MIGRATE_RECIPE_H

#include <string.h>

#include "migrate.h"

/* ---- gates: what decides which origins are answered */

typedef struct {
    const char *regex;
    int caseless;
    int group;              /* -1, or the group the header sends ($N) */
    const char *sent;       /* or the template it sends ("$0$1") */
    const mig_node *node;
} gate_regex;

typedef struct {
    int any;                        /* no condition on the origin */
    apr_array_header_t *regexes;    /* gate_regex */
    apr_array_header_t *literals;   /* const char * */
    const char *unknown;            /* why it cannot be read */
    const mig_node *unknown_node;
} gate;

/* An env variable set from the Origin (SetEnvIf, SetEnvIfExpr, a
 * RewriteRule's E= after a RewriteCond on the Origin). */
typedef struct {
    const char *var;
    gate *when;
    int group;                      /* its value: -1 the request's Origin,
                                       N the regex's group N ($N, %N) */
    int late;                       /* set by mod_rewrite in a directory
                                       context: after authentication */
    int options_only;               /* set by a rule on REQUEST_METHOD
                                       OPTIONS: only OPTIONS answers have it */
    const char *value;              /* as written: "$0", "$0$1", "1" */
    const mig_node *node;
    apr_array_header_t *lines;      /* mig_node *: the lines that set it */
} setter;

typedef struct {
    apr_pool_t *p;
    int htaccess;
    apr_array_header_t *setters;    /* setter */
    apr_array_header_t *out;        /* mig_recipe * */
    int options_answered_early;     /* a server-level rule answers OPTIONS */
} finder;

typedef struct {
    const mig_node *node;
    const mig_node *origin_if;   /* the <If> on the Origin around it */
} found;

/* What a RewriteRule with its RewriteConds decides on. */
typedef struct {
    const mig_node *rule;
    apr_array_header_t *conds;   /* const mig_node * */
    int on_options;              /* REQUEST_METHOD is OPTIONS */
    int on_preflight;            /* Access-Control-Request-Method is there */
    gate *origin;                /* a condition on the Origin, or NULL */
    int status;                  /* R=2xx, or 0 */
    int other_status;            /* R= something else */
    apr_array_header_t *flags;
} rewrite;

/* ---- small helpers every part uses */

static APR_INLINE const char *arg(const mig_node *n, int i)
{
    return i < n->argv->nelts ? APR_ARRAY_IDX(n->argv, i, const char *) : NULL;
}

static APR_INLINE int origin_ref(const char *s)
{
    return s && (strcasestr(s, "%{HTTP:Origin}") || strcasestr(s, "%{req:Origin}")
                 || strcasestr(s, "%{req_novary:Origin}") || strcasestr(s, "%{HTTP_ORIGIN}")
                 || strcasestr(s, "req('Origin')") || strcasestr(s, "http('Origin')"));
}

static APR_INLINE gate *gate_make(apr_pool_t *p)
{
    gate *g = apr_pcalloc(p, sizeof(*g));
    g->regexes = apr_array_make(p, 1, sizeof(gate_regex));
    g->literals = apr_array_make(p, 1, sizeof(const char *));
    return g;
}

/* ---- recipe.c: conditions on the Origin, the recipe's lines */

void mig_expr_gate(apr_pool_t *p, const char *e, const mig_node *n, gate *g);
void mig_add_line(mig_recipe *r, const mig_node *n);
void mig_remove_only(mig_recipe *r, const char *file, int line);

/* ---- recipe_headers.c: mod_setenvif and mod_headers */

void mig_add_setter(finder *f, const char *var, gate *when, int group,
                    const mig_node *n, apr_array_header_t *lines);
void mig_setenvif_setters(finder *f, const mig_node *n);
void mig_setenvifexpr_setters(finder *f, const mig_node *n);
void mig_push_admits(mig_recipe *r, const char *o);
void mig_read_cors_header(finder *f, mig_recipe *r, const mig_node *n,
                          const mig_node *gate_if);

/* ---- recipe_options.c: mod_rewrite, <Limit>, Require, Script */

rewrite *mig_read_rewrite(apr_pool_t *p, const mig_node *rule,
                          apr_array_header_t *conds);
void mig_rewrite_setters(finder *f, rewrite *rw, int late);
const mig_node *mig_auth_over_options(const mig_node *scope_node);
void mig_read_limits(finder *f, mig_recipe *r, const mig_node *n);
void mig_read_require_method(finder *f, mig_recipe *r, const mig_node *n);
void mig_read_rewrites(finder *f, mig_recipe *r, apr_array_header_t *lines,
                       int server_level);
void mig_read_script_options(apr_pool_t *p, mig_recipe *r, const mig_node *n);

#endif /* PREFLIGHT_MIGRATE_RECIPE_H */
