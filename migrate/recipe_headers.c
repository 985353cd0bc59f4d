/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * recipe_headers.c: the mod_setenvif lines that set a variable from the
 * Origin, and the mod_headers lines on Access-Control-* and Vary: what
 * each header sends, to which origins, and what that admits beyond the
 * origins it means. recipe.c groups these lines by scope and builds the
 * recipe from them.
 */

#include <string.h>
#include <stdlib.h>

#include "apr_lib.h"

#include "recipe.h"
#include "../preflight_policy.h"

static const char *lc(apr_pool_t *p, const char *s)
{
    char *c = apr_pstrdup(p, s), *k;
    for (k = c; *k; k++)
        *k = apr_tolower(*k);
    return c;
}

static int gate_empty(const gate *g)
{
    return !g->any && !g->regexes->nelts && !g->literals->nelts && !g->unknown;
}

/* ---- setters */

void mig_add_setter(finder *f, const char *var, gate *when, int group,
                    const mig_node *n, apr_array_header_t *lines)
{
    setter *s = apr_array_push(f->setters);
    s->var = var;
    s->when = when;
    s->group = group;
    s->node = n;
    s->lines = lines;
}

static apr_array_header_t *lines_of(apr_pool_t *p, const mig_node *n)
{
    apr_array_header_t *l = apr_array_make(p, 1, sizeof(const mig_node *));
    APR_ARRAY_PUSH(l, const mig_node *) = n;
    return l;
}

void mig_setenvif_setters(finder *f, const mig_node *n)
{
    int caseless = mig_is(n, "SetEnvIfNoCase");
    const char *attr = arg(n, 0), *re = arg(n, 1);
    int i;
    gate *g;
    if (!attr || !re || strcasecmp(attr, "Origin"))
        return;
    g = gate_make(f->p);
    {
        gate_regex *r = apr_array_push(g->regexes);
        r->regex = re;
        r->caseless = caseless;
        r->group = -1;
        r->node = n;
    }
    for (i = 2; i < n->argv->nelts; i++) {
        const char *a = arg(n, i), *eq = strchr(a, '=');
        const char *var = eq ? apr_pstrmemdup(f->p, a, eq - a) : a;
        int group = -1;
        if (var[0] == '!')
            continue;
        /* "VAR" alone sets 1, "VAR=text" the text: only $N sends a part
         * of the Origin; anything else is a template of the groups. */
        if (eq && eq[1] == '$' && apr_isdigit(eq[2]) && !eq[3])
            group = eq[2] - '0';
        else
            group = MIG_GROUP_TEMPLATE;
        mig_add_setter(f, var, g, group, n, lines_of(f->p, n));
        APR_ARRAY_IDX(f->setters, f->setters->nelts - 1, setter).value = eq ? eq + 1 : "1";
    }
}

void mig_setenvifexpr_setters(finder *f, const mig_node *n)
{
    const char *e = arg(n, 0);
    int i;
    gate *g;
    if (!e || !origin_ref(e))
        return;
    g = gate_make(f->p);
    mig_expr_gate(f->p, e, n, g);
    for (i = 1; i < n->argv->nelts; i++) {
        const char *a = arg(n, i), *eq = strchr(a, '=');
        const char *var = eq ? apr_pstrmemdup(f->p, a, eq - a) : a;
        if (var[0] == '!')
            continue;
        mig_add_setter(f, var, g, -1, n, lines_of(f->p, n));
    }
}

/* ---- mod_headers lines */

static int is_cors_header(const char *h)
{
    return h && (!strncasecmp(h, "Access-Control-", 15) || !strcasecmp(h, "Vary"));
}

typedef struct {
    int cond_always;
    const char *action;
    const char *header;
    const char *value;
    const char *env;             /* env=VAR */
    const char *expr;            /* expr=... condition */
} hdr;

static int read_header(apr_pool_t *p, const mig_node *n, hdr *h)
{
    int i = 0, req = mig_is(n, "RequestHeader");
    memset(h, 0, sizeof(*h));
    if (!req && arg(n, 0) && (!strcasecmp(arg(n, 0), "always")
                              || !strcasecmp(arg(n, 0), "onsuccess"))) {
        h->cond_always = !strcasecmp(arg(n, 0), "always");
        i++;
    }
    h->action = arg(n, i++);
    h->header = arg(n, i++);
    if (!h->action || !h->header)
        return 0;
    /* mod_headers drops a colon after the name ("Header set X-Foo: bar"),
     * as published recipes copied from a raw response often write it. */
    if (h->header[0] && h->header[strlen(h->header) - 1] == ':')
        h->header = apr_pstrmemdup(p, h->header, strlen(h->header) - 1);
    for (; i < n->argv->nelts; i++) {
        const char *a = arg(n, i);
        if (!strncasecmp(a, "env=", 4))
            h->env = a + 4;
        else if (!strncasecmp(a, "expr=", 5) && h->value)
            h->expr = a + 5;
        else if (!strcasecmp(a, "early"))
            ;
        else if (!h->value)
            h->value = a;
    }
    return 1;
}

static apr_array_header_t *split_list(apr_pool_t *p, const char *v, int drop_options)
{
    apr_array_header_t *a = apr_array_make(p, 4, sizeof(const char *));
    char *s = apr_pstrdup(p, v ? v : ""), *tok, *st;
    for (tok = apr_strtok(s, ", \t", &st); tok; tok = apr_strtok(NULL, ", \t", &st)) {
        if (drop_options && !strcmp(tok, "OPTIONS"))
            continue;
        APR_ARRAY_PUSH(a, const char *) = tok;
    }
    return a;
}

static void push_origin(mig_recipe *r, const char *o)
{
    int i;
    for (i = 0; i < r->origins->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(r->origins, i, const char *), o))
            return;
    APR_ARRAY_PUSH(r->origins, const char *) = o;
}

void mig_push_admits(mig_recipe *r, const char *o)
{
    int i;
    for (i = 0; i < r->admits->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(r->admits, i, const char *), o))
            return;
    APR_ARRAY_PUSH(r->admits, const char *) = o;
}

/* null is named, never proposed: the proposal closes the hole. */
static void null_admitted(apr_pool_t *p, mig_recipe *r, const char *file,
                          int line, const char *why)
{
    mig_add_finding(p, r, MIG_NULL_ORIGIN, file, line, "null", "%s", why);
    mig_push_admits(r, "null");
}

/* The origins a gate lets through become the recipe's list; what the
 * gate's regexes admit beyond it becomes findings. */
static void apply_gate(apr_pool_t *p, mig_recipe *r, const gate *g,
                       const mig_node *at)
{
    int i, j;
    if (g->unknown) {
        mig_add_untranslated(p, r, g->unknown_node ? g->unknown_node : at, g->unknown);
        mig_add_finding(p, r, MIG_NOT_TRANSLATED, (g->unknown_node ? g->unknown_node : at)->file,
                        (g->unknown_node ? g->unknown_node : at)->line, NULL,
                        "the condition on the Origin is not translated (%s): "
                        "list the origins it means by hand", g->unknown);
    }
    if (g->any && !g->regexes->nelts && !g->literals->nelts) {
        r->origin_kind = MIG_ORIGIN_REFLECT_ANY;
        return;
    }
    for (i = 0; i < g->literals->nelts; i++) {
        const char *lit = APR_ARRAY_IDX(g->literals, i, const char *), *out;
        if (preflight_item_check(p, PREFLIGHT_LIST_ORIGINS, lit, &out)) {
            mig_add_untranslated(p, r, at, apr_psprintf(p, "'%s' is not an origin", lit));
            continue;
        }
        if (!strcmp(out, "null")) {
            null_admitted(p, r, at->file, at->line, "the origin null is admitted: "
                          "every sandboxed frame and file: page on any site "
                          "sends it; the proposal leaves it out");
            continue;
        }
        push_origin(r, out);
    }
    for (i = 0; i < g->regexes->nelts; i++) {
        const gate_regex *gr = &APR_ARRAY_IDX(g->regexes, i, gate_regex);
        mig_regex_result *res = gr->sent
            ? mig_regex_eval_sent(p, gr->regex, gr->caseless, gr->sent)
            : mig_regex_eval(p, gr->regex, gr->caseless, gr->group);
        if (res->error) {
            mig_add_finding(p, r, MIG_INVALID_CONFIG, gr->node->file, gr->node->line, NULL,
                            "the regex %s does not compile (%s): httpd refuses it",
                            gr->regex, res->error);
            continue;
        }
        if (res->any) {
            r->origin_kind = MIG_ORIGIN_REFLECT_ANY;
            mig_add_finding(p, r, MIG_ANY_ORIGIN_REFLECTED, gr->node->file, gr->node->line,
                            "https://evil.example",
                            "the regex %s admits every origin, such as "
                            "https://evil.example", gr->regex);
            continue;
        }
        if (res->null_origin) {
            null_admitted(p, r, gr->node->file, gr->node->line, apr_psprintf(p,
                          "the regex %s admits the origin null, which every "
                          "sandboxed frame and file: page sends", gr->regex));
        }
        for (j = 0; j < res->origins->nelts; j++)
            push_origin(r, APR_ARRAY_IDX(res->origins, j, const char *));
        for (j = 0; j < res->lookalikes->nelts; j++) {
            const mig_lookalike *l = &APR_ARRAY_IDX(res->lookalikes, j, mig_lookalike);
            const char *what =
                l->id == MIG_REGEX_UNANCHORED ? "is not anchored (^...$)" :
                l->id == MIG_REGEX_UNESCAPED_DOT ? "has an unescaped dot" :
                l->id == MIG_PUBLIC_SUFFIX_WILDCARD ? "admits any name under a public suffix" :
                "admits more than the origins it lists";
            mig_add_finding(p, r, l->id, gr->node->file, gr->node->line, l->origin,
                            "the regex %s %s: it admits %s (%s), which the "
                            "proposal does not", gr->regex, what, l->origin, l->why);
            mig_push_admits(r, l->origin);
        }
        for (j = 0; j < res->untranslated->nelts; j++) {
            const char *why = APR_ARRAY_IDX(res->untranslated, j, const char *);
            mig_add_untranslated(p, r, gr->node, why);
            mig_add_finding(p, r, MIG_NOT_TRANSLATED, gr->node->file, gr->node->line, NULL,
                            "part of the regex %s is not translated: %s", gr->regex, why);
        }
        if (res->single_label)
            mig_add_finding(p, r, MIG_NOT_TRANSLATED, gr->node->file, gr->node->line, NULL,
                            "the regex %s admits one label in front of the domain; "
                            "mod_preflight's wildcard admits one or more "
                            "(https://a.b.example.com too)", gr->regex);
    }
    if (r->origin_kind != MIG_ORIGIN_REFLECT_ANY)
        r->origin_kind = MIG_ORIGIN_LIST;
}

static const setter *find_setter(const finder *f, const char *var, int *count)
{
    int i;
    const setter *s = NULL;
    *count = 0;
    for (i = 0; i < f->setters->nelts; i++) {
        const setter *k = &APR_ARRAY_IDX(f->setters, i, setter);
        if (!strcmp(k->var, var)) {
            if (!s)
                s = k;
            (*count)++;
        }
    }
    return s;
}

/* A variable set only when the method is OPTIONS puts the headers that
 * depend on it on OPTIONS answers only: the actual responses are never
 * readable cross-origin, which a policy cannot say (it answers both). */
static void options_only_note(apr_pool_t *p, mig_recipe *r, const setter *k,
                              const char *var)
{
    mig_add_untranslated(p, r, k->node, apr_psprintf(p,
        "%s is set on OPTIONS requests only: the headers that depend on it go "
        "on OPTIONS answers, never on the actual responses", var));
    mig_add_finding(p, r, MIG_NOT_TRANSLATED, k->node->file, k->node->line, NULL,
                    "%s is set only when the method is OPTIONS, so the CORS "
                    "headers that depend on it reach preflights only and no "
                    "actual response is readable cross-origin; the proposal "
                    "answers actual requests too", var);
}

/* A setter of var counts in the recipe: its lines, and the note when it
 * sets var for OPTIONS only. */
static void take_setter(finder *f, mig_recipe *r, const setter *k,
                        const char *var)
{
    int j;
    for (j = 0; j < k->lines->nelts; j++)
        mig_add_line(r, APR_ARRAY_IDX(k->lines, j, const mig_node *));
    if (k->options_only)
        options_only_note(f->p, r, k, var);
}

/* The non-reflecting value of Access-Control-Allow-Origin ("*", a fixed
 * origin) sent under env=VAR: the value does not depend on the Origin,
 * its presence may. */
static void env_presence(finder *f, mig_recipe *r, const char *var)
{
    int i;
    for (i = 0; i < f->setters->nelts; i++) {
        const setter *k = &APR_ARRAY_IDX(f->setters, i, setter);
        if (strcmp(k->var, var))
            continue;
        take_setter(f, r, k, var);
        if (!gate_empty(k->when))
            r->origin_dependent = 1;
    }
}

/* The setters of var gate the header; with sends, the header also sends
 * the variable's value, so their regex groups count. */
static void use_setters(finder *f, mig_recipe *r, const char *var, gate *into,
                        int sends)
{
    int i;
    for (i = 0; i < f->setters->nelts; i++) {
        const setter *k = &APR_ARRAY_IDX(f->setters, i, setter);
        int j;
        if (strcmp(k->var, var))
            continue;
        take_setter(f, r, k, var);
        if (k->late)
            mig_add_finding(f->p, r, MIG_NOT_ON_ERRORS, k->node->file, k->node->line, NULL,
                            "%s is set by mod_rewrite in a directory context, which "
                            "runs after authentication: 401 and 403 answers go out "
                            "without the CORS headers that depend on it", var);
        into->any |= k->when->any;
        for (j = 0; j < k->when->regexes->nelts; j++) {
            gate_regex *g = apr_array_push(into->regexes);
            *g = APR_ARRAY_IDX(k->when->regexes, j, gate_regex);
            g->group = sends && k->group >= 0 ? k->group : -1;
            g->sent = sends && k->group == MIG_GROUP_TEMPLATE ? k->value : NULL;
        }
        apr_array_cat(into->literals, k->when->literals);
        if (k->when->unknown && !into->unknown) {
            into->unknown = k->when->unknown;
            into->unknown_node = k->when->unknown_node;
        }
    }
}

/* "*" sent under env=VAR, VAR set from the Origin: the origins the
 * setters admit get the star. Where that is every origin but null, the
 * proposal's * also answers null (named); where it is fewer, they are the
 * list. 1 when the gate decided the recipe's origins. */
static int star_gated(finder *f, mig_recipe *r, const mig_node *n, const char *var)
{
    apr_pool_t *p = f->p;
    gate *g = gate_make(p);
    int count, i, every = 1;
    if (!find_setter(f, var, &count))
        return 0;
    for (i = 0; i < f->setters->nelts; i++) {
        const setter *k = &APR_ARRAY_IDX(f->setters, i, setter);
        if (!strcmp(k->var, var) && !gate_empty(k->when))
            break;
    }
    if (i == f->setters->nelts)
        return 0;   /* not set from the Origin */
    use_setters(f, r, var, g, 0);
    if (gate_empty(g) || g->unknown)
        return 0;
    for (i = 0; i < g->regexes->nelts && every; i++) {
        const gate_regex *gr = &APR_ARRAY_IDX(g->regexes, i, gate_regex);
        mig_regex_result *res = mig_regex_eval(p, gr->regex, gr->caseless, -1);
        every = res->any || mig_regex_matches(gr->regex, gr->caseless, "https://a.b.example:8443") == 1;
    }
    if (every && !g->literals->nelts) {
        int nul = 0;
        for (i = 0; i < g->regexes->nelts; i++) {
            const gate_regex *gr = &APR_ARRAY_IDX(g->regexes, i, gate_regex);
            nul |= mig_regex_matches(gr->regex, gr->caseless, "null") == 1;
        }
        if (!nul && !g->any) {
            const gate_regex *gr = &APR_ARRAY_IDX(g->regexes, 0, gate_regex);
            mig_add_untranslated(p, r, gr->node, "a * kept from the origin null by the regex");
            mig_add_finding(p, r, MIG_NOT_TRANSLATED, gr->node->file, gr->node->line, NULL,
                            "the regex %s keeps Access-Control-Allow-Origin: * from the "
                            "origin null; PreflightAllowOrigin * answers null too", gr->regex);
        }
        if (r->origin_kind == MIG_ORIGIN_NONE)
            r->origin_kind = MIG_ORIGIN_STAR;
        return 1;
    }
    apply_gate(p, r, g, n);
    return 1;
}

static void read_origin(finder *f, mig_recipe *r, const mig_node *n, const hdr *h,
                        const mig_node *gate_if)
{
    apr_pool_t *p = f->p;
    const char *v = h->value ? h->value : "";
    const char *var = NULL;
    gate *g = gate_make(p);
    int reflect = 0, cgi;

    r->origin_line = r->origin_line ? r->origin_line : n->line;
    if (!strncasecmp(v, "expr=", 5))
        reflect = origin_ref(v + 5);
    else if (strstr(v, "}i")) {
        /* mod_headers has no %{NAME}i: "%{Origin}i" is %i, httpd's idle
         * percentage ("i=98"), which no browser accepts as an origin. */
        mig_add_untranslated(p, r, n, "mod_headers has no %{NAME}i format");
        mig_add_finding(p, r, MIG_NOT_TRANSLATED, n->file, n->line, NULL,
                        "%s is no request header to mod_headers: it sends httpd's "
                        "idle percentage (i=NN), so no origin is ever allowed here; "
                        "the recipe meant to reflect the Origin (list the origins)", v);
        return;
    }
    else if (strcasestr(v, "%{HTTP_ORIGIN}e") && !find_setter(f, "HTTP_ORIGIN", &cgi)) {
        /* The CGI variable: present whenever an Origin came, under a
         * handler that adds the CGI variables; env=HTTP_ORIGIN is the same
         * test. */
        reflect = 1;
        r->reflect_cgi_only = 1;
        mig_add_untranslated(p, r, n, "%{HTTP_ORIGIN}e exists only under a CGI or PHP handler");
        mig_add_finding(p, r, MIG_NOT_TRANSLATED, n->file, n->line, NULL,
                        "%%{HTTP_ORIGIN}e is set only where a handler adds the CGI "
                        "variables (CGI, PHP): static files and errors get an empty "
                        "header; the proposal answers them all");
        if (h->env && !strcmp(h->env, "HTTP_ORIGIN"))
            var = "HTTP_ORIGIN";
    }
    else if (strstr(v, "%{") && strstr(strstr(v, "%{"), "}e")) {
        /* "}e" after the "%{": a "}e" before it closes nothing */
        const char *s = strstr(v, "%{") + 2, *e = strstr(s, "}e");
        int count;
        const setter *st;
        var = apr_pstrmemdup(p, s, e - s);
        st = find_setter(f, var, &count);
        if (!st) {
            mig_add_untranslated(p, r, n, apr_psprintf(p,
                "the value comes from %%{%s}e, which nothing here sets from the Origin", var));
            mig_add_finding(p, r, MIG_NOT_TRANSLATED, n->file, n->line, NULL,
                            "Access-Control-Allow-Origin comes from %%{%s}e, which "
                            "is not set from the Origin in what was read", var);
            return;
        }
        reflect = 1;
        use_setters(f, r, var, g, 1);
    }
    if (reflect)
        r->origin_dependent = 1;
    else if (h->env && h->env[0] != '!')
        env_presence(f, r, h->env);
    if (!reflect && (h->expr || gate_if))
        r->origin_dependent |= (h->expr && origin_ref(h->expr))
                               || (gate_if && origin_ref(gate_if->args));
    if (!reflect) {
        const char *out;
        if (!strcmp(v, "*") && h->env && h->env[0] != '!' && star_gated(f, r, n, h->env))
            return;
        if (!strcmp(v, "*")) {
            if (r->origin_kind == MIG_ORIGIN_NONE)
                r->origin_kind = MIG_ORIGIN_STAR;
            return;
        }
        if (!preflight_item_check(p, PREFLIGHT_LIST_ORIGINS, v, &out)) {
            if (!strcmp(out, "null")) {
                /* Often meant as "no origin", it admits every sandboxed
                 * frame: named, and left out of the proposal. */
                null_admitted(p, r, n->file, n->line, "Access-Control-Allow-Origin: "
                              "null lets every sandboxed frame and file: page read "
                              "the response; the proposal leaves it out");
                return;
            }
            if (r->origin_kind == MIG_ORIGIN_STAR) {
                mig_add_untranslated(p, r, n, "an origin next to *");
                return;
            }
            r->origin_kind = MIG_ORIGIN_LIST;
            push_origin(r, out);
            return;
        }
        mig_add_untranslated(p, r, n, apr_psprintf(p, "the value %s is neither *, an origin nor the request's Origin", v));
        mig_add_finding(p, r, MIG_NOT_TRANSLATED, n->file, n->line, NULL,
                        "Access-Control-Allow-Origin %s is not translated", v);
        return;
    }
    /* Reflected: what lets it through. */
    if (h->env) {
        if (h->env[0] == '!') {
            mig_add_untranslated(p, r, n, "env=! (set unless a variable is set)");
            mig_add_finding(p, r, MIG_NOT_TRANSLATED, n->file, n->line, NULL,
                            "the condition env=%s is not translated", h->env);
            return;
        }
        if (!var || strcmp(var, h->env)) {
            int count;
            if (find_setter(f, h->env, &count))
                use_setters(f, r, h->env, g, 0);
            else {
                mig_add_untranslated(p, r, n, apr_psprintf(p,
                    "env=%s, which nothing here sets from the Origin", h->env));
                mig_add_finding(p, r, MIG_NOT_TRANSLATED, n->file, n->line, NULL,
                                "the condition env=%s is not set from the Origin in "
                                "what was read", h->env);
                return;
            }
        }
    }
    if (h->expr)
        mig_expr_gate(p, h->expr, n, g);
    if (gate_if)
        mig_expr_gate(p, gate_if->args, gate_if, g);
    if (gate_empty(g)) {
        r->origin_kind = MIG_ORIGIN_REFLECT_ANY;
        return;
    }
    apply_gate(p, r, g, n);
}

static int header_is(const hdr *h, const char *name)
{
    return !strcasecmp(h->header, name);
}

void mig_read_cors_header(finder *f, mig_recipe *r, const mig_node *n,
                          const mig_node *gate_if)
{
    apr_pool_t *p = f->p;
    hdr h;
    const char *action;
    if (!read_header(p, n, &h) || !is_cors_header(h.header))
        return;
    action = lc(p, h.action);
    if (header_is(&h, "Vary")) {
        apr_array_header_t *toks = split_list(p, h.value, 0);
        int i, origin = 0, other = 0;
        for (i = 0; i < toks->nelts; i++) {
            const char *t = APR_ARRAY_IDX(toks, i, const char *);
            if (!strcasecmp(t, "Origin"))
                origin = 1;
            else if (strncasecmp(t, "Access-Control-", 15))
                other = 1;
        }
        if (!origin)
            return;
        /* A Vary: Origin sent only where the origin matched leaves the
         * refused answers without it: a cache keeps one of those for
         * everyone. Vary lines are judged by vary-missing and
         * vary-overwritten only, never by not-on-errors (README "Migrating
         * from a recipe"). */
        if (h.env || h.expr || gate_if) {
            if (!r->vary_conditional_line) {
                r->vary_conditional_line = n->line;
                r->vary_conditional_file = n->file;
            }
        }
        else
            r->vary_origin = 1;
        if (!strcmp(action, "set"))
            mig_add_finding(p, r, MIG_VARY_OVERWRITTEN, n->file, n->line, NULL,
                            "Header set Vary replaces the Vary that httpd and the "
                            "backend send (Accept-Encoding from mod_deflate, say): "
                            "caches then mix up variants; mod_preflight merges "
                            "Origin into the existing Vary");
        if (!other)
            mig_add_line(r, n);
        return;
    }
    if (mig_is(n, "RequestHeader")) {
        mig_add_line(r, n);
        mig_add_untranslated(p, r, n, "a request header named like a CORS response header");
        mig_add_finding(p, r, MIG_NOT_TRANSLATED, n->file, n->line, NULL,
                        "RequestHeader %s %s changes the request, not the answer: "
                        "not translated", h.action, h.header);
        return;
    }
    mig_add_line(r, n);
    if (!strcmp(action, "unset"))
        return;
    if (!strcmp(action, "edit") || !strcmp(action, "edit*") || !strcmp(action, "echo")
        || !strcmp(action, "note")) {
        mig_add_untranslated(p, r, n, apr_psprintf(p, "Header %s", h.action));
        mig_add_finding(p, r, MIG_NOT_TRANSLATED, n->file, n->line, NULL,
                        "Header %s %s is not translated", h.action, h.header);
        return;
    }
    if (!h.cond_always)
        mig_add_finding(p, r, MIG_NOT_ON_ERRORS, n->file, n->line, NULL,
                        "Header %s %s without always: the header is missing on "
                        "error responses (401, 404, 500) and on answers mod_rewrite "
                        "makes with R=2xx; mod_preflight writes it on every response",
                        h.action, h.header);
    if (!strcmp(action, "add") || !strcmp(action, "append") || !strcmp(action, "merge")) {
        /* A second field of a list header is merged by the browser; of a
         * single-valued one it fails the CORS check or is ignored. */
        if (header_is(&h, "Access-Control-Allow-Origin")
            || header_is(&h, "Access-Control-Allow-Credentials")
            || header_is(&h, "Access-Control-Max-Age"))
            mig_add_finding(p, r, MIG_DUPLICATE_HEADER_RISK, n->file, n->line, NULL,
                            "Header %s %s: where a backend or another line also "
                            "sets it, the response carries two values and browsers "
                            "refuse it; mod_preflight owns the header", h.action, h.header);
    }
    if (header_is(&h, "Access-Control-Allow-Origin")) {
        if (h.cond_always) r->has_acao_always = 1; else r->has_acao_onsuccess = 1;
        read_origin(f, r, n, &h, gate_if);
    }
    else if (header_is(&h, "Access-Control-Allow-Credentials")) {
        if (h.value && !strcasecmp(h.value, "true")) {
            r->credentials = 1;
            if (!r->credentials_line)
                r->credentials_line = n->line;
        }
    }
    else if (header_is(&h, "Access-Control-Allow-Methods")) {
        apr_array_header_t *m = split_list(p, h.value, 1);
        r->methods = r->methods ? apr_array_append(p, r->methods, m) : m;
    }
    else if (header_is(&h, "Access-Control-Allow-Headers")) {
        apr_array_header_t *m = split_list(p, h.value, 0);
        r->headers = r->headers ? apr_array_append(p, r->headers, m) : m;
    }
    else if (header_is(&h, "Access-Control-Expose-Headers")) {
        apr_array_header_t *m = split_list(p, h.value, 0);
        r->expose = r->expose ? apr_array_append(p, r->expose, m) : m;
    }
    else if (header_is(&h, "Access-Control-Max-Age")) {
        r->max_age = h.value ? atoi(h.value) : -1;
    }
    else {
        mig_add_untranslated(p, r, n, apr_psprintf(p, "the header %s", h.header));
        mig_add_finding(p, r, MIG_NOT_TRANSLATED, n->file, n->line, NULL,
                        "%s is not translated", h.header);
    }
}
