/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * regex_eval.c: which origins a recipe's regex admits.
 *
 * Two readings meet here. The pattern is expanded structurally into the
 * origins its author wrote down (alternations and optional parts listed,
 * a repeated class in front of a dot read as a label wildcard), and every
 * origin so read is checked against PCRE2, the library httpd itself
 * matches with: a reading PCRE2 disagrees with is dropped. Then candidate
 * origins built from the pattern's own literals (the host with a suffix,
 * with a prefix, its dots replaced, the other scheme, null) are run
 * through the compiled regex: one that matches but that the proposal
 * (mod_preflight's own matcher, preflight_origin.c) refuses is a concrete
 * look-alike the recipe lets in.
 */

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <libpsl.h>
#include <string.h>

#include "apr_lib.h"

#include "migrate.h"
#include "../preflight_policy.h"

/* Markers in an expansion: a repeated class, and the anchors. */
#define W_LABEL  '\001'   /* a class without '.', repeated: one label */
#define W_ANY    '\002'   /* anything, dots included */
#define W_DIGITS '\003'   /* digits, repeated: a port */
#define A_START  '\004'
#define A_END    '\005'

#define MAX_EXPANSIONS 256
#define MAX_PATTERN 4096

static const psl_ctx_t *mig_psl;

void mig_psl_init(void)
{
    if (!mig_psl)
        mig_psl = psl_latest(NULL);
}

void mig_psl_done(void)
{
    psl_free((psl_ctx_t *)mig_psl);
    mig_psl = NULL;
}

int mig_public_suffix(const char *host)
{
    if (!mig_psl)
        mig_psl_init();
    if (!mig_psl)
        return 0;
    return psl_is_public_suffix2(mig_psl, host,
                                 PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE);
}

/* ---- PCRE2 */

typedef struct {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mc;
    int group;      /* -1: any match admits; N: group N must be the whole
                       subject (the header sends $N, not the Origin) */
    const char *sent;   /* or the template the header sends ("$0$1") */
} compiled;

static apr_status_t free_compiled(void *data)
{
    compiled *c = data;
    pcre2_match_data_free(c->md);
    pcre2_match_context_free(c->mc);
    pcre2_code_free(c->code);
    return APR_SUCCESS;
}

static compiled *compile(apr_pool_t *p, const char *regex, int caseless,
                         const char **error)
{
    int err;
    PCRE2_SIZE off;
    compiled *c;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
                                     caseless ? PCRE2_CASELESS : 0, &err, &off, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof(msg));
        *error = apr_psprintf(p, "PCRE2 refuses it at offset %lu: %s",
                              (unsigned long)off, (const char *)msg);
        return NULL;
    }
    c = apr_pcalloc(p, sizeof(*c));
    c->group = -1;
    c->code = code;
    c->md = pcre2_match_data_create_from_pattern(code, NULL);
    c->mc = pcre2_match_context_create(NULL);
    /* A hostile pattern must not hang the tool: httpd has limits too. */
    pcre2_set_match_limit(c->mc, 200000);
    pcre2_set_depth_limit(c->mc, 5000);
    apr_pool_cleanup_register(p, c, free_compiled, apr_pool_cleanup_null);
    return c;
}

/* Does the template, its $N replaced by the groups as mod_setenvif does
 * (an unset group is empty), expand to all of the subject? */
static int sent_is(const char *t, const char *s, const PCRE2_SIZE *ov, int rc)
{
    apr_size_t at = 0, len = strlen(s);
    for (; *t; t++) {
        if (*t == '$' && apr_isdigit(t[1])) {
            int g = *++t - '0';
            apr_size_t n;
            if (g >= rc || ov[2 * g] == PCRE2_UNSET)
                continue;
            n = ov[2 * g + 1] - ov[2 * g];
            if (at + n > len || memcmp(s + at, s + ov[2 * g], n))
                return 0;
            at += n;
            continue;
        }
        if (at >= len || s[at] != *t)
            return 0;
        at++;
    }
    return at == len;
}

static int matches(const compiled *c, const char *s)
{
    apr_size_t len = strlen(s);
    int rc = pcre2_match(c->code, (PCRE2_SPTR)s, len, 0, 0, c->md, c->mc);
    PCRE2_SIZE *ov;
    if (rc < 0)
        return 0;
    ov = pcre2_get_ovector_pointer(c->md);
    if (c->sent)
        return sent_is(c->sent, s, ov, rc);
    if (c->group < 0)
        return 1;
    if (c->group >= rc)
        return 0;
    return ov[2 * c->group] == 0 && ov[2 * c->group + 1] == len;
}

int mig_regex_matches(const char *regex, int caseless, const char *subject)
{
    apr_pool_t *p;
    const char *err;
    compiled *c;
    int m;
    apr_pool_create(&p, NULL);
    c = compile(p, regex, caseless, &err);
    m = c ? matches(c, subject) : -1;
    apr_pool_destroy(p);
    return m;
}

/* ---- the structural reading */

typedef struct {
    apr_pool_t *p;
    const char *s;
    apr_size_t i, n;
    int unescaped_dots;
    const char *why;
} rx;

static apr_array_header_t *one(apr_pool_t *p, const char *s)
{
    apr_array_header_t *a = apr_array_make(p, 1, sizeof(const char *));
    APR_ARRAY_PUSH(a, const char *) = s;
    return a;
}

static void fail(rx *x, const char *why)
{
    if (!x->why)
        x->why = why;
}

static apr_array_header_t *product(rx *x, const apr_array_header_t *a,
                                   const apr_array_header_t *b)
{
    apr_array_header_t *r = apr_array_make(x->p, a->nelts * b->nelts + 1,
                                           sizeof(const char *));
    int i, j;
    if ((apr_int64_t)a->nelts * b->nelts > MAX_EXPANSIONS) {
        fail(x, "more alternatives than can be listed");
        return one(x->p, "");
    }
    for (i = 0; i < a->nelts; i++)
        for (j = 0; j < b->nelts; j++)
            APR_ARRAY_PUSH(r, const char *) = apr_pstrcat(x->p,
                APR_ARRAY_IDX(a, i, const char *), APR_ARRAY_IDX(b, j, const char *), NULL);
    return r;
}

static apr_array_header_t *alternation(rx *x);

/* A bracketed class: what it amounts to when repeated (W_*), or its few
 * characters listed when it stands alone. */
static apr_array_header_t *bracket(rx *x, char *wild)
{
    int neg = 0, n = 0, has_dot = 0, digits_only = 1;
    char chars[8];
    x->i++;
    if (x->i < x->n && x->s[x->i] == '^') {
        neg = 1;
        x->i++;
    }
    if (x->i < x->n && x->s[x->i] == ']') {
        chars[n++ % 8] = ']';
        digits_only = 0;
        x->i++;
    }
    while (x->i < x->n && x->s[x->i] != ']') {
        char c = x->s[x->i];
        if (c == '[' && x->i + 1 < x->n && x->s[x->i + 1] == ':') {
            fail(x, "a POSIX class inside brackets");
            return one(x->p, "");
        }
        if (c == '\\' && x->i + 1 < x->n) {
            c = x->s[++x->i];
            if (c == 'd') { x->i++; n += 10; continue; }
            if (apr_isalnum(c)) { digits_only = 0; has_dot |= (c == 'S' || c == 'W'); n += 20; x->i++; continue; }
        }
        if (x->i + 2 < x->n && x->s[x->i + 1] == '-' && x->s[x->i + 2] != ']') {
            char hi = x->s[x->i + 2];
            if (!(apr_isdigit(c) && apr_isdigit(hi)))
                digits_only = 0;
            if (c <= '.' && hi >= '.')
                has_dot = 1;
            n += 10;
            x->i += 3;
            continue;
        }
        if (c == '.')
            has_dot = 1;
        if (!apr_isdigit(c))
            digits_only = 0;
        if (n < 8)
            chars[n] = c;
        n++;
        x->i++;
    }
    if (x->i >= x->n) {
        fail(x, "an unterminated class");
        return one(x->p, "");
    }
    x->i++;
    if (neg)
        *wild = has_dot ? W_LABEL : W_ANY;
    else
        *wild = digits_only ? W_DIGITS : has_dot ? W_ANY : W_LABEL;
    if (!neg && n <= 4) {
        apr_array_header_t *a = apr_array_make(x->p, n, sizeof(const char *));
        int k;
        for (k = 0; k < n; k++)
            APR_ARRAY_PUSH(a, const char *) = apr_pstrmemdup(x->p, &chars[k], 1);
        return a;
    }
    return NULL;
}

/* Widens a group's label wildcards when the group itself repeats
 * ("([a-z]+\.)*": any number of labels). */
static apr_array_header_t *widen(rx *x, const apr_array_header_t *a)
{
    apr_array_header_t *r = apr_array_make(x->p, a->nelts, sizeof(const char *));
    int i;
    for (i = 0; i < a->nelts; i++) {
        char *s = apr_pstrdup(x->p, APR_ARRAY_IDX(a, i, const char *));
        char *c;
        for (c = s; *c; c++)
            if (*c == W_LABEL)
                *c = W_ANY;
        APR_ARRAY_PUSH(r, const char *) = s;
    }
    return r;
}

static apr_array_header_t *with_empty(rx *x, apr_array_header_t *a)
{
    apr_array_header_t *r = apr_array_copy(x->p, a);
    APR_ARRAY_PUSH(r, const char *) = "";
    return r;
}

static apr_array_header_t *atom(rx *x)
{
    char c = x->s[x->i];
    char wild = 0;
    int group = 0;
    apr_array_header_t *opts = NULL;

    if (c == '(') {
        x->i++;
        if (x->i < x->n && x->s[x->i] == '?') {
            if (x->i + 1 < x->n && x->s[x->i + 1] == ':')
                x->i += 2;
            else {
                fail(x, "a group with options or a look-around");
                return one(x->p, "");
            }
        }
        opts = alternation(x);
        if (x->i >= x->n || x->s[x->i] != ')') {
            fail(x, "an unclosed group");
            return one(x->p, "");
        }
        x->i++;
        group = 1;
    }
    else if (c == '[') {
        opts = bracket(x, &wild);
        if (x->why)
            return one(x->p, "");
    }
    else if (c == '\\') {
        char e = x->i + 1 < x->n ? x->s[x->i + 1] : '\\';
        x->i += 2;
        switch (e) {
        case 'd': wild = W_DIGITS; break;
        case 'w': wild = W_LABEL; break;
        case 'S': case 'W': case 'D': wild = W_ANY; break;
        case 'A': opts = one(x->p, apr_pstrmemdup(x->p, "\004", 1)); break;
        case 'z': case 'Z': opts = one(x->p, apr_pstrmemdup(x->p, "\005", 1)); break;
        default:
            if (apr_isalnum(e)) {
                fail(x, apr_psprintf(x->p, "the escape \\%c", e));
                return one(x->p, "");
            }
            opts = one(x->p, apr_pstrmemdup(x->p, &e, 1));
        }
    }
    else if (c == '.') {
        x->i++;
        wild = W_ANY;
        if (x->i >= x->n || (x->s[x->i] != '*' && x->s[x->i] != '+')) {
            /* A lone dot between literals: the author meant a dot. */
            x->unescaped_dots++;
            opts = one(x->p, ".");
        }
    }
    else if (c == '^') {
        x->i++;
        return one(x->p, "\004");
    }
    else if (c == '$') {
        x->i++;
        return one(x->p, "\005");
    }
    else if (c == '*' || c == '+' || c == '?' || c == '{') {
        fail(x, "a quantifier with nothing before it");
        x->i++;
        return one(x->p, "");
    }
    else {
        x->i++;
        opts = one(x->p, apr_pstrmemdup(x->p, &c, 1));
    }

    if (x->i < x->n) {
        char q = x->s[x->i];
        if (q == '?' || q == '*' || q == '+') {
            x->i++;
            if (x->i < x->n && (x->s[x->i] == '?' || x->s[x->i] == '+'))
                x->i++;     /* lazy or possessive: the same language */
            if (wild && (q == '*' || q == '+'))
                return one(x->p, apr_pstrmemdup(x->p, &wild, 1));
            if (q == '?' && opts)
                return with_empty(x, opts);
            if (group && opts)
                return q == '*' ? with_empty(x, widen(x, opts)) : widen(x, opts);
            fail(x, "a repeated literal");
            return one(x->p, "");
        }
        if (q == '{') {
            fail(x, "a counted repetition {n,m}");
            return one(x->p, "");
        }
    }
    if (!opts) {
        fail(x, "a class that is not repeated and has more than four characters");
        return one(x->p, "");
    }
    return opts;
}

static apr_array_header_t *sequence(rx *x)
{
    apr_array_header_t *r = one(x->p, "");
    while (x->i < x->n && x->s[x->i] != '|' && x->s[x->i] != ')' && !x->why)
        r = product(x, r, atom(x));
    return r;
}

static apr_array_header_t *alternation(rx *x)
{
    apr_array_header_t *r = sequence(x);
    while (x->i < x->n && x->s[x->i] == '|' && !x->why) {
        x->i++;
        r = apr_array_append(x->p, r, sequence(x));
        if (r->nelts > MAX_EXPANSIONS) {
            fail(x, "more alternatives than can be listed");
            break;
        }
    }
    return r;
}

/* ---- from an expansion to an origin */

typedef struct {
    const char *item;      /* the proposal's item, or NULL */
    int any;               /* it admits every origin */
    int start, end;        /* anchored */
    int label;             /* the wildcard came from a one-label class */
    const char *bare;      /* ".*example\.com": example.com itself too */
    int null_origin;
    const char *why;
} reading;

static int is_literal(const char *s, apr_size_t n)
{
    apr_size_t i;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20)
            return 0;
    return 1;
}

static reading read_expansion(apr_pool_t *p, const char *e)
{
    reading r;
    apr_size_t n = strlen(e);
    const char *scheme = "https", *rest, *sep, *colon, *host, *port = NULL;
    apr_size_t hlen;
    const char *check;
    memset(&r, 0, sizeof(r));
    if (n && e[0] == A_START) { r.start = 1; e++; n--; }
    if (n && e[n - 1] == A_END) { r.end = 1; n--; }
    e = apr_pstrmemdup(p, e, n);
    if (strchr(e, A_START) || strchr(e, A_END)) {
        r.why = "an anchor inside the pattern";
        return r;
    }
    if (!strcmp(e, "null")) {
        r.null_origin = 1;
        r.item = "null";
        return r;
    }
    sep = strstr(e, "://");
    if (sep) {
        if (sep > e) {
            scheme = apr_pstrmemdup(p, e, sep - e);
            if (!is_literal(scheme, strlen(scheme))) {
                r.why = "a wildcard in the scheme";
                return r;
            }
        }
        rest = sep + 3;
    }
    else
        rest = e;
    if (!*rest || !strcmp(rest, "\002") || (!r.start && !*rest)) {
        r.any = 1;
        return r;
    }
    /* "https://example.com/": origins have no path; a trailing slash in a
     * pattern never matches one, and is dropped. */
    hlen = strlen(rest);
    if (hlen && rest[hlen - 1] == '/')
        rest = apr_pstrmemdup(p, rest, hlen - 1);
    if (strchr(rest, '/')) {
        r.why = "a path after the host (origins have none)";
        return r;
    }
    colon = strrchr(rest, ':');
    if (colon && rest[0] != '[') {
        host = apr_pstrmemdup(p, rest, colon - rest);
        port = colon + 1;
        if (!strcmp(port, "\003"))
            port = "*";
        else if (!*port || !is_literal(port, strlen(port))) {
            r.why = "a port pattern other than digits";
            return r;
        }
    }
    else
        host = rest;
    if ((host[0] == W_LABEL || host[0] == W_ANY) && host[1] == '.' && host[2]) {
        r.label = host[0] == W_LABEL;
        host = apr_pstrcat(p, "*", host + 1, NULL);
    }
    else if ((host[0] == W_LABEL || host[0] == W_ANY) && host[1]) {
        /* ".*example\.com": subdomains, with the dot forgotten; the
         * look-alike search shows what else it takes. What may be empty
         * admits the name itself too. */
        if (host[0] == W_ANY && is_literal(host + 1, strlen(host + 1)))
            r.bare = apr_pstrcat(p, apr_pstrdup(p, scheme), "://", host + 1,
                                 port ? ":" : "", port ? port : "", NULL);
        host = apr_pstrcat(p, "*.", host + 1, NULL);
    }
    else if (host[0] == W_ANY && !host[1]) {
        r.any = 1;
        return r;
    }
    if (!is_literal(host + 1, strlen(host + 1)) || !*host) {
        r.why = "a wildcard inside the host, not as its first labels";
        return r;
    }
    r.item = apr_pstrcat(p, apr_pstrdup(p, scheme), "://", host,
                         port ? ":" : "", port ? port : "", NULL);
    {
        char *c;
        for (c = (char *)r.item; *c && *c != ':'; c++)
            *c = apr_tolower(*c);
    }
    if (preflight_item_check(p, PREFLIGHT_LIST_ORIGINS, r.item, &check)) {
        r.why = apr_psprintf(p, "'%s' is not an origin mod_preflight can list (%s)",
                             r.item, preflight_item_check(p, PREFLIGHT_LIST_ORIGINS,
                                                          r.item, &check));
        r.item = NULL;
        return r;
    }
    r.item = check;
    return r;
}

/* ---- the proposal's own matcher */

static preflight_list *policy(apr_pool_t *p, const apr_array_header_t *origins)
{
    apr_array_header_t *items = apr_array_make(p, origins->nelts, sizeof(const char *));
    int i;
    for (i = 0; i < origins->nelts; i++) {
        const char *out;
        if (!preflight_item_check(p, PREFLIGHT_LIST_ORIGINS,
                                  APR_ARRAY_IDX(origins, i, const char *), &out))
            APR_ARRAY_PUSH(items, const char *) = out;
    }
    return preflight_list_make(p, PREFLIGHT_LIST_ORIGINS, items, 0);
}

int mig_policy_admits(apr_pool_t *p, const apr_array_header_t *origins,
                      const char *origin)
{
    return preflight_origin_allowed(policy(p, origins), origin);
}

/* ---- look-alikes */

typedef struct {
    const char *origin;
    mig_finding_id id;
    const char *why;
} candidate;

static void cand(apr_array_header_t *c, const char *origin, mig_finding_id id,
                 const char *why)
{
    candidate *k = apr_array_push(c);
    k->origin = origin;
    k->id = id;
    k->why = why;
}

/* Candidates built from one proposed item's literals. */
static void candidates_of(apr_pool_t *p, const char *item, int start, int end,
                          apr_array_header_t *c)
{
    preflight_origin o;
    const char *scheme, *host, *port, *other;
    mig_finding_id unanch_end = end ? MIG_REGEX_ADMITS_LOOKALIKE : MIG_REGEX_UNANCHORED;
    mig_finding_id unanch_start = start ? MIG_REGEX_ADMITS_LOOKALIKE : MIG_REGEX_UNANCHORED;
    char *h;
    apr_size_t i;
    if (!strcmp(item, "null") || preflight_origin_parse(item, 1, &o))
        return;
    scheme = apr_pstrmemdup(p, o.key, o.scheme_len);
    host = apr_pstrmemdup(p, o.key + o.host_off, o.host_len);
    port = o.port > 0 ? apr_psprintf(p, ":%d", o.port) : "";
    if (o.wildcard) {
        /* key holds ".parent" */
        const char *parent = host + 1;
        cand(c, apr_pstrcat(p, scheme, "://", parent, ".evil.net", port, NULL),
             unanch_end, "the parent with a suffix");
        cand(c, apr_pstrcat(p, scheme, "://a.", parent, ".evil.net", port, NULL),
             unanch_end, "a name under it with a suffix");
        cand(c, apr_pstrcat(p, scheme, "://evil", parent, port, NULL),
             MIG_REGEX_ADMITS_LOOKALIKE, "the parent with a prefix");
        cand(c, apr_pstrcat(p, scheme, "://evil-", parent, port, NULL),
             MIG_REGEX_ADMITS_LOOKALIKE, "the parent with a prefix");
        host = apr_pstrcat(p, "a.", parent, NULL);
        if (mig_public_suffix(parent))
            cand(c, apr_pstrcat(p, scheme, "://evil.", parent, port, NULL),
                 MIG_PUBLIC_SUFFIX_WILDCARD, "a name anyone can register");
    }
    else {
        cand(c, apr_pstrcat(p, scheme, "://", host, ".evil.net", port, NULL),
             unanch_end, "the host with a suffix");
        cand(c, apr_pstrcat(p, scheme, "://", host, port, ".evil.net", NULL),
             unanch_end, "the origin with a suffix");
        cand(c, apr_pstrcat(p, scheme, "://evil", host, port, NULL),
             unanch_start, "the host with a prefix");
        cand(c, apr_pstrcat(p, scheme, "://evil-", host, port, NULL),
             unanch_start, "the host with a prefix");
        cand(c, apr_pstrcat(p, scheme, "://evil.", host, port, NULL),
             unanch_start, "a name under the host");
        cand(c, apr_pstrcat(p, "evil", scheme, "://", host, port, NULL),
             unanch_start, "another scheme ending in this one");
    }
    /* Each dot of the host replaced by a letter or a hyphen. */
    for (i = 0; host[i]; i++) {
        if (host[i] != '.')
            continue;
        h = apr_pstrdup(p, host);
        h[i] = '-';
        cand(c, apr_pstrcat(p, scheme, "://", h, port, NULL),
             MIG_REGEX_UNESCAPED_DOT, "a dot matched by another character");
        h = apr_pstrdup(p, host);
        h[i] = 'x';
        cand(c, apr_pstrcat(p, scheme, "://", h, port, NULL),
             MIG_REGEX_UNESCAPED_DOT, "a dot matched by another character");
    }
    other = !strcmp(scheme, "https") ? "http" : !strcmp(scheme, "http") ? "https" : NULL;
    if (other)
        cand(c, apr_pstrcat(p, other, "://", host, port, NULL),
             MIG_REGEX_ADMITS_LOOKALIKE, "the other scheme");
}

static int seen_id(const apr_array_header_t *l, mig_finding_id id)
{
    int i;
    for (i = 0; i < l->nelts; i++)
        if (APR_ARRAY_IDX(l, i, mig_lookalike).id == id)
            return 1;
    return 0;
}

static void push_unique(apr_array_header_t *a, const char *s)
{
    int i;
    for (i = 0; i < a->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(a, i, const char *), s))
            return;
    APR_ARRAY_PUSH(a, const char *) = s;
}

mig_regex_result *mig_regex_eval(apr_pool_t *p, const char *regex, int caseless,
                                 int group)
{
    return mig_regex_eval_sent(p, regex, caseless,
                               group >= 0 ? apr_psprintf(p, "$%d", group) : NULL);
}

mig_regex_result *mig_regex_eval_sent(apr_pool_t *p, const char *regex,
                                      int caseless, const char *sent)
{
    mig_regex_result *res = apr_pcalloc(p, sizeof(*res));
    compiled *c;
    rx x;
    apr_array_header_t *exp, *cands;
    int i, start_all = 1, end_all = 1;

    res->origins = apr_array_make(p, 4, sizeof(const char *));
    res->lookalikes = apr_array_make(p, 2, sizeof(mig_lookalike));
    res->untranslated = apr_array_make(p, 1, sizeof(const char *));
    if (strlen(regex) > MAX_PATTERN) {
        res->error = "the pattern is longer than 4096 bytes";
        return res;
    }
    c = compile(p, regex, caseless, &res->error);
    if (!c)
        return res;
    c->group = -1;
    c->sent = sent;
    if (!is_literal(regex, strlen(regex))) {
        APR_ARRAY_PUSH(res->untranslated, const char *) = "control characters in the pattern";
        return res;
    }

    memset(&x, 0, sizeof(x));
    x.p = p;
    x.s = regex;
    x.n = strlen(regex);
    exp = alternation(&x);
    if (!x.why && x.i < x.n)
        fail(&x, "an unbalanced ')'");
    if (x.why) {
        APR_ARRAY_PUSH(res->untranslated, const char *) =
            apr_psprintf(p, "the pattern has %s", x.why);
        exp = apr_array_make(p, 1, sizeof(const char *));
    }
    for (i = 0; i < exp->nelts; i++) {
        reading r = read_expansion(p, APR_ARRAY_IDX(exp, i, const char *));
        if (r.why) {
            push_unique(res->untranslated, apr_psprintf(p, "the pattern has %s", r.why));
            continue;
        }
        start_all &= r.start;
        end_all &= r.end;
        if (r.any) {
            res->any = 1;
            continue;
        }
        if (r.null_origin) {
            res->null_origin = 1;
            continue;
        }
        /* Checked against PCRE2: a reading it disagrees with is dropped. */
        {
            const char *probe = r.item;
            char *star = strstr(r.item, "://*.");
            if (star)
                probe = apr_pstrcat(p, apr_pstrmemdup(p, r.item, star - r.item),
                                    "://a.", star + 5, NULL);
            if (strstr(probe, ":*"))
                probe = apr_pstrcat(p, apr_pstrmemdup(p, probe, strstr(probe, ":*") - probe),
                                    ":8080", NULL);
            if (!matches(c, probe) && c->sent
                && pcre2_match(c->code, (PCRE2_SPTR)probe, strlen(probe), 0, 0,
                               c->md, c->mc) >= 0) {
                push_unique(res->untranslated, apr_psprintf(p,
                    "the header sends %s, which for the origin %s is not that "
                    "origin: browsers refuse it", c->sent, probe));
                continue;
            }
            if (!matches(c, probe)) {
                push_unique(res->untranslated, apr_psprintf(p,
                    "reading the pattern as %s disagrees with PCRE2 (it does not "
                    "match %s)", r.item, probe));
                continue;
            }
        }
        if (strstr(r.item, "://*.")) {
            const char *parent = strstr(r.item, "://*.") + 5;
            const char *pc = strchr(parent, ':');
            const char *pure = pc ? apr_pstrmemdup(p, parent, pc - parent) : parent;
            if (mig_public_suffix(pure)) {
                mig_lookalike *l = apr_array_push(res->lookalikes);
                l->id = MIG_PUBLIC_SUFFIX_WILDCARD;
                l->origin = apr_pstrcat(p, apr_pstrmemdup(p, r.item, strstr(r.item, "://") - r.item),
                                        "://evil.", parent, NULL);
                l->why = apr_psprintf(p, "'%s' is a public suffix: anyone can "
                                      "register a name under it", pure);
                continue;
            }
        }
        res->single_label |= r.label;
        push_unique(res->origins, r.item);
        if (r.bare && !strstr(r.bare, ":*")) {
            const char *out;
            if (!preflight_item_check(p, PREFLIGHT_LIST_ORIGINS, r.bare, &out)
                && matches(c, out))
                push_unique(res->origins, out);
        }
    }

    /* null is no look-alike of anything: it is checked on its own. */
    if (!res->null_origin && matches(c, "null"))
        res->null_origin = 1;
    if (res->any)
        return res;

    cands = apr_array_make(p, 16, sizeof(candidate));
    for (i = 0; i < res->origins->nelts; i++)
        candidates_of(p, APR_ARRAY_IDX(res->origins, i, const char *),
                      start_all, end_all, cands);
    if (x.unescaped_dots == 0) {
        /* Without a lone dot the dot candidates can only be look-alikes of
         * another kind (a class that admits a dot's neighbours). */
        for (i = 0; i < cands->nelts; i++) {
            candidate *k = &APR_ARRAY_IDX(cands, i, candidate);
            if (k->id == MIG_REGEX_UNESCAPED_DOT)
                k->id = MIG_REGEX_ADMITS_LOOKALIKE;
        }
    }
    for (i = 0; i < cands->nelts; i++) {
        candidate *k = &APR_ARRAY_IDX(cands, i, candidate);
        mig_lookalike *l;
        if (seen_id(res->lookalikes, k->id) || !matches(c, k->origin)
            || mig_policy_admits(p, res->origins, k->origin))
            continue;
        /* A string no browser sends as an Origin is no look-alike. */
        {
            preflight_origin o;
            if (preflight_origin_parse(k->origin, 0, &o))
                continue;
        }
        l = apr_array_push(res->lookalikes);
        l->id = k->id;
        l->origin = k->origin;
        l->why = k->why;
    }
    return res;
}
