/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_list.c: lists as a response reads them. The header values a
 * list joins (Access-Control-Allow-Methods, -Headers, -Expose-Headers,
 * Allow), and +/- edits: applied to a copy where the configuration is read,
 * worked out once at startup for the server's own sections, or merged at
 * request time as an overlay that costs one small allocation. APR only, no
 * httpd; unit-tested (an overlay must answer as the copy does) and fuzzed.
 */

#include <string.h>

#include "apr_strings.h"

#include "preflight_policy_private.h"

static int list_has(const apr_array_header_t *items, apr_pool_t *p,
                    preflight_list_kind kind, const char *item)
{
    const char *key = preflight_item_key(p, kind, item);
    int i;

    for (i = 0; i < items->nelts; i++) {
        if (strcmp(preflight_item_key(p, kind, APR_ARRAY_IDX(items, i, const char *)),
                   key) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The items joined with ", " as httpd's own lists are, "*" first when any,
 * and the extra words after them: one allocation, built by hand, since an
 * overlay builds this per request. */
static char *append_word(char *o, const char *start, const char *w)
{
    apr_size_t n = strlen(w);

    if (o != start) {
        *o++ = ',';
        *o++ = ' ';
    }
    memcpy(o, w, n);
    return o + n;
}

static const char *join_words(apr_pool_t *p, int any,
                              const char *const *words, int n,
                              const char *const *extra)
{
    apr_size_t len = any ? 3 : 0;
    char *out, *o;
    int i;

    for (i = 0; i < n; i++) {
        len += strlen(words[i]) + 2;
    }
    for (i = 0; extra && extra[i]; i++) {
        len += strlen(extra[i]) + 2;
    }
    o = out = apr_palloc(p, len + 1);
    if (any) {
        *o++ = '*';
    }
    for (i = 0; i < n; i++) {
        o = append_word(o, out, words[i]);
    }
    for (i = 0; extra && extra[i]; i++) {
        o = append_word(o, out, extra[i]);
    }
    *o = '\0';
    return out;
}

const char *preflight_join_items(apr_pool_t *p, const apr_array_header_t *items,
                              int any)
{
    return join_words(p, any, (const char *const *)items->elts, items->nelts,
                      NULL);
}

/* The Allow header of a preflight answer: the methods, HEAD where GET is,
 * and OPTIONS, each once. Methods compare case-sensitively. */
const char *preflight_join_methods_allow(apr_pool_t *p, const char *const *methods,
                                      int n)
{
    const char *extra[3] = { NULL, NULL, NULL };
    int i, get = 0, head = 0, options = 0, k = 0;

    for (i = 0; i < n; i++) {
        const char *m = methods[i];
        get |= m[0] == 'G' && !strcmp(m, "GET");
        head |= m[0] == 'H' && !strcmp(m, "HEAD");
        options |= m[0] == 'O' && !strcmp(m, "OPTIONS");
    }
    if (get && !head) {
        extra[k++] = "HEAD";
    }
    if (!options) {
        extra[k++] = "OPTIONS";
    }
    return join_words(p, 0, methods, n, extra);
}
static void remove_item(apr_pool_t *p, apr_array_header_t *items,
                        preflight_list_kind kind, const char *item)
{
    const char *key = preflight_item_key(p, kind, item);
    int i, j;

    for (i = 0, j = 0; i < items->nelts; i++) {
        const char *it = APR_ARRAY_IDX(items, i, const char *);
        if (strcmp(preflight_item_key(p, kind, it), key) != 0) {
            APR_ARRAY_IDX(items, j++, const char *) = it;
        }
    }
    items->nelts = j;
}

preflight_list *preflight_list_edit(apr_pool_t *p, preflight_list_kind kind,
                                    const preflight_list *base,
                                    const apr_array_header_t *edits)
{
    apr_array_header_t *items;
    apr_hash_t *excluded = NULL;
    preflight_list *l;
    int any, i;

    if (!base) {
        base = preflight_list_default(p, kind);
    }
    items = apr_array_copy(p, base->items);
    any = base->any;
    if (base->excluded) {
        excluded = apr_hash_copy(p, base->excluded);
    }
    for (i = 0; i < edits->nelts; i++) {
        const preflight_edit *e = &APR_ARRAY_IDX(edits, i, preflight_edit);
        const char *key = preflight_item_key(p, kind, e->item);

        if (strcmp(e->item, "*") == 0) {
            any = (e->op == '+');
            excluded = NULL;
        }
        else if (e->op == '+') {
            if (!list_has(items, p, kind, e->item)) {
                APR_ARRAY_PUSH(items, const char *) = e->item;
            }
            if (excluded) {
                apr_hash_set(excluded, key, APR_HASH_KEY_STRING, NULL);
            }
        }
        else {
            remove_item(p, items, kind, e->item);
            if (any) {
                if (!excluded) {
                    excluded = preflight_hash_make(p);
                }
                apr_hash_set(excluded, key, APR_HASH_KEY_STRING, e->item);
            }
        }
    }
    l = preflight_list_make(p, kind, items, any);
    if (excluded && apr_hash_count(excluded)) {
        l->excluded = excluded;
        l->excludes = 1;
    }
    return l;
}

/*
 * Overlays. A +/- list is compiled once, where it is configured, into the
 * net effect of its edits on each item; at request time, merging it onto
 * what it inherits costs one small allocation, and a lookup asks the edit
 * before the list below it. Only what a response needs from the result (its
 * items, joined) is built, and only when it is needed.
 */

struct preflight_net_edit {
    const char *key;
    const char *item;   /* as configured (normalized) */
    char last;          /* '+' or '-': the item's last edit */
    char after_star;    /* its last edit after the list's last "*" edit */
    char removed_first; /* a '-' came before the '+' that adds it */
    int plus_at;        /* the edit that adds it: the first '+' after its
                           last '-' (or its first), -1 when none */
};

/* An edit of the "*" itself. */
static int star_edit(const preflight_edit *e)
{
    return !strcmp(e->item, "*");
}

/* Each item's net edit, in the order a copy would apply them. */
static void compile_net(apr_pool_t *p, preflight_list *l, int last_star)
{
    int i;

    for (i = 0; i < l->edits->nelts; i++) {
        const preflight_edit *e = &APR_ARRAY_IDX(l->edits, i, preflight_edit);
        const char *key;
        preflight_net_edit *n;

        if (star_edit(e)) {
            continue;
        }
        key = preflight_item_key(p, l->kind, e->item);
        if (!(n = apr_hash_get(l->net, key, APR_HASH_KEY_STRING))) {
            n = apr_pcalloc(p, sizeof(*n));
            n->key = key;
            n->item = e->item;
            n->plus_at = -1;
            apr_hash_set(l->net, key, APR_HASH_KEY_STRING, n);
        }
        if (e->op == '-') {
            n->plus_at = -1;
            n->removed_first = 1;
        }
        else if (n->last != '+' || n->plus_at < 0) {
            n->plus_at = i;
            n->item = e->item;  /* spelled as the edit that adds it */
        }
        n->last = e->op;
        if (i > last_star) {
            n->after_star = e->op;
        }
    }
}

void preflight_list_compile_edits(apr_pool_t *p, preflight_list *l)
{
    int i, last_star = -1;

    l->net = preflight_hash_make(p);
    l->added = apr_array_make(p, 2, sizeof(preflight_net_edit *));
    l->star = 0;
    for (i = 0; i < l->edits->nelts; i++) {
        const preflight_edit *e = &APR_ARRAY_IDX(l->edits, i, preflight_edit);
        if (star_edit(e)) {
            last_star = i;
            l->star = e->op;
        }
        else if (l->kind == PREFLIGHT_LIST_ORIGINS && strchr(e->item, '*')) {
            l->edits_patterns = 1;
        }
    }
    compile_net(p, l, last_star);
    for (i = 0; i < l->edits->nelts; i++) {
        const preflight_edit *e = &APR_ARRAY_IDX(l->edits, i, preflight_edit);
        const preflight_net_edit *n;

        if (star_edit(e)) {
            continue;
        }
        n = apr_hash_get(l->net, preflight_item_key(p, l->kind, e->item),
                         APR_HASH_KEY_STRING);
        l->removes |= n->last == '-';
        l->star_then_removed |= n->after_star == '-';
        if (n->last == '+' && n->plus_at == i) {
            APR_ARRAY_PUSH(l->added, const preflight_net_edit *) = n;
        }
    }
}

static const preflight_net_edit *net_edit(const preflight_list *edit,
                                          const char *key)
{
    return apr_hash_get(edit->net, key, APR_HASH_KEY_STRING);
}

/* Is an item with this key in the list (the "*" aside)? */
static int has_key(const preflight_list *l, const char *key, apr_ssize_t len)
{
    for (; l->base; l = l->base) {
        const preflight_net_edit *n = apr_hash_get(l->edit->net, key, len);
        if (n) {
            return n->last == '+';
        }
    }
    if (l->kind == PREFLIGHT_LIST_ORIGINS) {
        return preflight_exact_has(l, key);
    }
    return preflight_set_has(l, key, len);
}

int preflight_has_key(const preflight_list *l, const char *key)
{
    return has_key(l, key, APR_HASH_KEY_STRING);
}

int preflight_has_name(const preflight_list *l, const char *name, apr_size_t len)
{
    return l->kind != PREFLIGHT_LIST_ORIGINS && has_key(l, name, (apr_ssize_t)len);
}

/* Was this item removed from the list's "*"? */
int preflight_excluded_key(const preflight_list *l, const char *key)
{
    for (; l->base; l = l->base) {
        const preflight_net_edit *n = net_edit(l->edit, key);
        if (l->edit->star) {
            /* a "*" edit clears what was excluded before it */
            return l->any && n && n->after_star == '-';
        }
        if (n) {
            return l->any && n->last == '-';
        }
    }
    return l->excluded
           && apr_hash_get(l->excluded, key, APR_HASH_KEY_STRING) != NULL;
}

/* The list a lookup of patterns ends at: overlays never edit patterns. */
const preflight_list *preflight_configured_below(const preflight_list *l)
{
    while (l->base) {
        l = l->base;
    }
    return l;
}

/* Whether an overlay's "*" has items removed from it, from what is known
 * without building anything; -1 when only its items can tell. */
static int overlay_excludes(const preflight_list *o)
{
    const preflight_list *edit = o->edit;
    const preflight_list *base = o->base;
    apr_hash_index_t *hi;

    if (!o->any) {
        return 0;
    }
    if (edit->star) {
        return edit->star_then_removed;
    }
    if (edit->removes) {
        return 1;
    }
    if (!base->excludes) {
        return 0;
    }
    if (base->base) {
        return -1;
    }
    for (hi = apr_hash_first(NULL, base->excluded); hi; hi = apr_hash_next(hi)) {
        const void *key;
        apr_hash_this(hi, &key, NULL, NULL);
        if (!net_edit(edit, key)) {
            return 1;           /* excluded below and not added back */
        }
    }
    return 0;
}

typedef struct {
    const preflight_list *base;
    preflight_list *merged;
} preflight_list_memo;

static preflight_list *memo_of(const preflight_list *edit,
                               const preflight_list *base)
{
    int i;

    for (i = 0; edit->memo && i < edit->memo->nelts; i++) {
        const preflight_list_memo *m = &APR_ARRAY_IDX(edit->memo, i,
                                                      preflight_list_memo);
        if (m->base == base) {
            return m->merged;
        }
    }
    return NULL;
}

/* The merge itself, without the memo: an overlay where one can be made,
 * else the edits applied to a copy. Two edits merged stay an edit of what
 * comes before them. */
static preflight_list *merge_edit(apr_pool_t *p, const preflight_list *base,
                                  const preflight_list *edit)
{
    preflight_list *l;

    if (!edit->net || edit->edits_patterns) {
        l = preflight_list_edit(p, edit->kind, preflight_list_resolved(p, base),
                                edit->edits);
    }
    else {
        l = apr_pcalloc(p, sizeof(*l));
        l->kind = edit->kind;
        l->base = base;
        l->edit = edit;
        l->any = edit->star ? edit->star == '+' : base->any;
        l->excludes = overlay_excludes(l);
        if (l->excludes < 0) {
            l = (preflight_list *)preflight_list_resolved(p, l);
        }
    }
    if (base->edits) {
        l->edits = apr_array_append(p, base->edits, edit->edits);
    }
    return l;
}

preflight_list *preflight_list_merge_edit(apr_pool_t *p,
                                          const preflight_list *base,
                                          const preflight_list *edit)
{
    preflight_list *l = memo_of(edit, base);

    return l ? l : merge_edit(p, base, edit);
}

void preflight_list_memoize(apr_pool_t *p, const preflight_list *base,
                            preflight_list *edit)
{
    preflight_list_memo *m;
    const preflight_list *merged;

    if (!edit->net || base == edit || memo_of(edit, base)) {
        return;
    }
    if (!edit->memo) {
        edit->memo = apr_array_make(p, 2, sizeof(preflight_list_memo));
    }
    if (edit->memo->nelts >= PREFLIGHT_MEMO_MAX) {
        return;
    }
    /* a configured list: nothing is built when a request reads it */
    merged = preflight_list_resolved(p, merge_edit(p, base, edit));
    m = apr_array_push(edit->memo);
    m->base = base;
    m->merged = (preflight_list *)merged;
    if (base->edits) {
        m->merged->edits = apr_array_append(p, base->edits, edit->edits);
    }
}

/* Does an item of what an overlay edits stay in it? Removed ones do not,
 * nor do ones removed and added again: those move to the end. */
static int keeps(const preflight_list *edit, const char *key)
{
    const preflight_net_edit *n = net_edit(edit, key);

    return !n || (n->last == '+' && !n->removed_first);
}

/* Does an item the edit adds join the end of the list? */
static int appends(const preflight_list *base, const preflight_net_edit *n)
{
    return n->removed_first || !preflight_has_key(base, n->key);
}

/* An overlay's items as an array, kept in the overlay, which belongs to
 * one request's merged configuration alone. */
static void overlay_items(apr_pool_t *p, preflight_list *o)
{
    const preflight_list *base = o->base, *edit = o->edit;
    apr_array_header_t *items, *keys;
    int i;

    preflight_list_items(p, base);     /* an overlay below builds its own */
    items = apr_array_make(p, base->items->nelts + edit->added->nelts,
                           sizeof(const char *));
    keys = apr_array_make(p, items->nalloc, sizeof(const char *));
    for (i = 0; i < base->items->nelts; i++) {
        const char *key = APR_ARRAY_IDX(base->keys, i, const char *);
        if (keeps(edit, key)) {
            APR_ARRAY_PUSH(items, const char *) = APR_ARRAY_IDX(base->items, i,
                                                                const char *);
            APR_ARRAY_PUSH(keys, const char *) = key;
        }
    }
    for (i = 0; i < edit->added->nelts; i++) {
        const preflight_net_edit *a = APR_ARRAY_IDX(edit->added, i,
                                                    const preflight_net_edit *);
        if (appends(base, a)) {
            APR_ARRAY_PUSH(items, const char *) = a->item;
            APR_ARRAY_PUSH(keys, const char *) = a->key;
        }
    }
    o->items = items;
    o->keys = keys;
}

const apr_array_header_t *preflight_list_items(apr_pool_t *p,
                                               const preflight_list *l)
{
    if (l->base && !l->items) {
        overlay_items(p, (preflight_list *)l);
    }
    return l->items;
}

/* An overlay's header values, built together: an allowed preflight that
 * needs the methods joined needs their Allow value too. */
static void overlay_values(apr_pool_t *p, preflight_list *o)
{
    const apr_array_header_t *items = preflight_list_items(p, o);

    o->joined = preflight_join_items(p, items, o->any);
    if (o->kind == PREFLIGHT_LIST_METHODS && items->nelts) {
        o->allow = preflight_join_methods_allow(
            p, (const char *const *)items->elts, items->nelts);
    }
}

const char *preflight_list_joined(apr_pool_t *p, const preflight_list *l)
{
    if (l->base && !l->joined) {
        overlay_values(p, (preflight_list *)l);
    }
    return l->joined;
}

const char *preflight_list_allow(apr_pool_t *p, const preflight_list *l)
{
    if (l->base && !l->joined) {
        overlay_values(p, (preflight_list *)l);
    }
    return l->allow;
}

const preflight_list *preflight_list_resolved(apr_pool_t *p,
                                              const preflight_list *l)
{
    if (!l || !l->base) {
        return l;
    }
    return preflight_list_edit(p, l->kind, preflight_list_resolved(p, l->base),
                               l->edit->edits);
}
