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
 */

#include <string.h>
#include <stdlib.h>

#include "apr_lib.h"

#include "migrate.h"
#include "../preflight_policy.h"

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

static gate *gate_make(apr_pool_t *p)
{
    gate *g = apr_pcalloc(p, sizeof(*g));
    g->regexes = apr_array_make(p, 1, sizeof(gate_regex));
    g->literals = apr_array_make(p, 1, sizeof(const char *));
    return g;
}

static int gate_empty(const gate *g)
{
    return !g->any && !g->regexes->nelts && !g->literals->nelts && !g->unknown;
}

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

static const char *lc(apr_pool_t *p, const char *s)
{
    char *c = apr_pstrdup(p, s), *k;
    for (k = c; *k; k++)
        *k = apr_tolower(*k);
    return c;
}

static const char *arg(const mig_node *n, int i)
{
    return i < n->argv->nelts ? APR_ARRAY_IDX(n->argv, i, const char *) : NULL;
}

static int origin_ref(const char *s)
{
    return s && (strcasestr(s, "%{HTTP:Origin}") || strcasestr(s, "%{req:Origin}")
                 || strcasestr(s, "%{req_novary:Origin}") || strcasestr(s, "%{HTTP_ORIGIN}")
                 || strcasestr(s, "req('Origin')") || strcasestr(s, "http('Origin')"));
}

/* ap_expr comparisons on the Origin: "=~ /re/i", "=~ m#re#", "== 'x'",
 * "in {'a', 'b'}", "-n". Anything else is named, not guessed. */
static void expr_gate(apr_pool_t *p, const char *e, const mig_node *n, gate *g)
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

/* ---- setters */

static void add_setter(finder *f, const char *var, gate *when, int group,
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

static void setenvif_setters(finder *f, const mig_node *n)
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
        add_setter(f, var, g, group, n, lines_of(f->p, n));
        APR_ARRAY_IDX(f->setters, f->setters->nelts - 1, setter).value = eq ? eq + 1 : "1";
    }
}

static void setenvifexpr_setters(finder *f, const mig_node *n)
{
    const char *e = arg(n, 0);
    int i;
    gate *g;
    if (!e || !origin_ref(e))
        return;
    g = gate_make(f->p);
    expr_gate(f->p, e, n, g);
    for (i = 1; i < n->argv->nelts; i++) {
        const char *a = arg(n, i), *eq = strchr(a, '=');
        const char *var = eq ? apr_pstrmemdup(f->p, a, eq - a) : a;
        if (var[0] == '!')
            continue;
        add_setter(f, var, g, -1, n, lines_of(f->p, n));
    }
}

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

static int options_pattern(const char *pat)
{
    const char *s = pat;
    if (*s == '!')
        return 0;
    if (*s == '=')
        return !strcasecmp(s + 1, "OPTIONS");
    return strstr(s, "OPTIONS") != NULL || strstr(s, "options") != NULL;
}

static rewrite *read_rewrite(apr_pool_t *p, const mig_node *rule,
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

static void rewrite_setters(finder *f, rewrite *rw, int late)
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
            add_setter(f, apr_pstrmemdup(f->p, fl, colon - fl), when,
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

static int is_cors_header(const char *h)
{
    return h && (!strncasecmp(h, "Access-Control-", 15) || !strcasecmp(h, "Vary"));
}

typedef struct {
    const mig_node *node;
    const mig_node *origin_if;   /* the <If> on the Origin around it */
} found;

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

/* ---- reading one scope */

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

static void add_line(mig_recipe *r, const mig_node *n)
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

static void remove_only(mig_recipe *r, const char *file, int line)
{
    mig_range *rg = apr_array_push(r->remove);
    rg->file = file;
    rg->first = rg->last = line;
}

static void push_origin(mig_recipe *r, const char *o)
{
    int i;
    for (i = 0; i < r->origins->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(r->origins, i, const char *), o))
            return;
    APR_ARRAY_PUSH(r->origins, const char *) = o;
}

static void push_admits(mig_recipe *r, const char *o)
{
    int i;
    for (i = 0; i < r->admits->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(r->admits, i, const char *), o))
            return;
    APR_ARRAY_PUSH(r->admits, const char *) = o;
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
        /* null is named, never proposed: the proposal closes the hole. */
        if (!strcmp(out, "null")) {
            mig_add_finding(p, r, MIG_NULL_ORIGIN, at->file, at->line, "null",
                            "the origin null is admitted: every sandboxed frame "
                            "and file: page on any site sends it; the proposal "
                            "leaves it out");
            push_admits(r, "null");
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
            mig_add_finding(p, r, MIG_NULL_ORIGIN, gr->node->file, gr->node->line, "null",
                            "the regex %s admits the origin null, which every "
                            "sandboxed frame and file: page sends", gr->regex);
            push_admits(r, "null");
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
            push_admits(r, l->origin);
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

/* The non-reflecting value of Access-Control-Allow-Origin ("*", a fixed
 * origin) sent under env=VAR: the value does not depend on the Origin,
 * its presence may. */
static void env_presence(finder *f, mig_recipe *r, const char *var)
{
    int i, j;
    for (i = 0; i < f->setters->nelts; i++) {
        const setter *k = &APR_ARRAY_IDX(f->setters, i, setter);
        if (strcmp(k->var, var))
            continue;
        for (j = 0; j < k->lines->nelts; j++)
            add_line(r, APR_ARRAY_IDX(k->lines, j, const mig_node *));
        if (k->options_only)
            options_only_note(f->p, r, k, var);
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
        for (j = 0; j < k->lines->nelts; j++)
            add_line(r, APR_ARRAY_IDX(k->lines, j, const mig_node *));
        if (k->options_only)
            options_only_note(f->p, r, k, var);
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
                mig_add_finding(p, r, MIG_NULL_ORIGIN, n->file, n->line, "null",
                                "Access-Control-Allow-Origin: null lets every "
                                "sandboxed frame and file: page read the response; "
                                "the proposal leaves it out");
                push_admits(r, "null");
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
        expr_gate(p, h->expr, n, g);
    if (gate_if)
        expr_gate(p, gate_if->args, gate_if, g);
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

static void read_cors_header(finder *f, mig_recipe *r, const mig_node *n,
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
            add_line(r, n);
        return;
    }
    if (mig_is(n, "RequestHeader")) {
        add_line(r, n);
        mig_add_untranslated(p, r, n, "a request header named like a CORS response header");
        mig_add_finding(p, r, MIG_NOT_TRANSLATED, n->file, n->line, NULL,
                        "RequestHeader %s %s changes the request, not the answer: "
                        "not translated", h.action, h.header);
        return;
    }
    add_line(r, n);
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
static const mig_node *auth_over_options(const mig_node *scope_node)
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

static void read_limits(finder *f, mig_recipe *r, const mig_node *n)
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
            remove_only(r, n->file, n->line);
            remove_only(r, n->file, n->close_line);
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
                add_line(r, n);
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

static void read_require_method(finder *f, mig_recipe *r, const mig_node *n)
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
        add_line(r, n);
    else
        mig_add_untranslated(f->p, r, n, "Require method lists methods besides OPTIONS");
}

static void read_rewrites(finder *f, mig_recipe *r, apr_array_header_t *lines,
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
        rw = read_rewrite(p, n, conds);
        conds = apr_array_make(p, 2, sizeof(const mig_node *));
        if (!rw->on_options || (!rw->status && !rw->other_status))
            continue;
        for (j = 0; j < rw->conds->nelts; j++)
            add_line(r, APR_ARRAY_IDX(rw->conds, j, const mig_node *));
        add_line(r, n);
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
static void read_script_options(apr_pool_t *p, mig_recipe *r, const mig_node *n)
{
    add_line(r, n);
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
            read_cors_header(f, r, n, fd->origin_if);
        else if (n->section && (mig_is(n, "Limit") || mig_is(n, "LimitExcept")))
            read_limits(f, r, n);
        else if (mig_is(n, "Require"))
            read_require_method(f, r, n);
        else if (mig_is(n, "Script") && arg(n, 0) && !strcasecmp(arg(n, 0), "OPTIONS"))
            read_script_options(p, r, n);
    }
    read_rewrites(f, r, lines, server_level);
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
            remove_only(r, n->file, n->line);
            remove_only(r, n->file, n->close_line);
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
            push_admits(r, evil);
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
    if (r->origin_kind != MIG_ORIGIN_NONE && (auth_at = auth_over_options(scope_node))) {
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
            setenvif_setters(f, k);
        else if (mig_is(k, "SetEnvIfExpr"))
            setenvifexpr_setters(f, k);
        else if (mig_is(k, "RewriteCond"))
            APR_ARRAY_PUSH(conds, const mig_node *) = k;
        else if (mig_is(k, "RewriteRule")) {
            rewrite *rw = read_rewrite(f->p, k, conds);
            rewrite_setters(f, rw, per_directory(f, k));
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
