/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_policy.c: lists as the configuration builds them. The items a
 * directive may hold, the keys they are looked up by, and the tables a
 * list keeps (a few items compared in order, more hashed eight bytes at a
 * time; origin patterns indexed by scheme and host). APR only, no httpd,
 * like every pure file (preflight_origin.c, preflight_request.c,
 * preflight_list.c): t/unit/ tests them on their own, and nothing here can
 * log or reach a request.
 *
 * The locale is never consulted: every character class is ASCII.
 */

#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "preflight_policy_private.h"

/* The hash of every table of keys here. A request in scope looks its
 * Origin up in one, and APR's default function reads a key a byte at a
 * time (about five instructions a byte, 120 for a typical origin); this
 * one reads eight bytes at a time. The keys all come from the
 * configuration, so a request cannot choose keys that collide with each
 * other: no per-table seed is needed. */
static unsigned int hash_words(const char *key, apr_ssize_t *klen)
{
    const apr_uint64_t mul = APR_UINT64_C(0x9E3779B97F4A7C15);
    apr_size_t len = *klen == APR_HASH_KEY_STRING ? strlen(key) : (apr_size_t)*klen;
    apr_uint64_t h = len * mul, tail = 0;
    apr_size_t i;

    *klen = (apr_ssize_t)len;
    for (i = 0; i + 8 <= len; i += 8) {
        h = (h ^ preflight_read_word(key + i)) * mul;
    }
    if (i < len) {
        /* the last eight bytes again, overlapping, when there are eight */
        if (len >= 8) {
            tail = preflight_read_word(key + len - 8);
        }
        else {
            for (; i < len; i++) {
                tail = (tail << 8) | (unsigned char)key[i];
            }
        }
        h = (h ^ tail) * mul;
    }
    h ^= h >> 32;
    return (unsigned int)(h ^ (h >> 15));
}

apr_hash_t *preflight_hash_make(apr_pool_t *p)
{
    return apr_hash_make_custom(p, hash_words);
}

/* The lookup key of an item: header names fold case, the rest is exact
 * (origins are normalized already, methods are case-sensitive). */
const char *preflight_item_key(apr_pool_t *p, preflight_list_kind kind,
                            const char *item)
{
    if (kind == PREFLIGHT_LIST_HEADERS || kind == PREFLIGHT_LIST_EXPOSE) {
        char *k = apr_pstrdup(p, item);
        char *c;
        for (c = k; *c; c++) {
            *c = TO_LOWER(*c);
        }
        return k;
    }
    return item;
}

static int all_letters(const char *s)
{
    for (; *s; s++) {
        if (!IS_ALPHA(*s)) {
            return 0;
        }
    }
    return 1;
}

const char *preflight_item_check(apr_pool_t *p, preflight_list_kind kind,
                                 const char *item, const char **out)
{
    preflight_origin o;
    const char *why;

    if (strchr(item, ',')) {
        return "list items are separated by spaces, not commas";
    }
    *out = item;
    switch (kind) {
    case PREFLIGHT_LIST_ORIGINS:
        if (strcmp(item, "null") == 0) {
            return NULL;
        }
        if (!strstr(item, "://") && *item && all_letters(item)) {
            return "unknown keyword; expected an origin (https://host), "
                   "a wildcard pattern (https://*.example.com), null or *";
        }
        if ((why = preflight_origin_parse(item, 1, &o))) {
            return why;
        }
        *out = apr_pstrmemdup(p, o.key, o.key_len);
        return NULL;
    case PREFLIGHT_LIST_METHODS:
        return preflight_is_token(item, strlen(item))
               ? NULL : "not a valid method token (RFC 9110)";
    default:
        return preflight_is_token(item, strlen(item))
               ? NULL : "not a valid header name (RFC 9110 token)";
    }
}

/* Patterns are indexed by what they say of scheme and host, without the
 * port: a request then costs one lookup per label of its host, however many
 * patterns there are. */
static void add_pattern(apr_pool_t *p, preflight_list *l, const char *item)
{
    preflight_origin o;
    apr_array_header_t *same;
    const char *site;

    if (preflight_origin_parse(item, 1, &o)) {
        return;                 /* checked when configured */
    }
    site = apr_pstrmemdup(p, item, o.host_off + o.host_len);
    if (!l->patterns) {
        l->patterns = preflight_hash_make(p);
    }
    same = apr_hash_get(l->patterns, site, APR_HASH_KEY_STRING);
    if (!same) {
        same = apr_array_make(p, 1, sizeof(int));
        apr_hash_set(l->patterns, site, APR_HASH_KEY_STRING, same);
    }
    APR_ARRAY_PUSH(same, int) = o.port;
}

/* Methods and header names: a short list is searched in order, which
 * costs less than hashing, to build (an .htaccess list is built for every
 * request) and to look up; a longer one is hashed. */
#define SHORT_LIST 8


/* Exact origins (and null) as methods and header names: a few compared
 * in order, more hashed. */
int preflight_exact_has(const preflight_list *l, const char *key)
{
    int i;

    if (l->exact) {
        return apr_hash_get(l->exact, key, APR_HASH_KEY_STRING) != NULL;
    }
    for (i = 0; i < l->exact_few->nelts; i++) {
        const char *k = APR_ARRAY_IDX(l->exact_few, i, const char *);
        if (k[0] == key[0] && !strcmp(k, key)) {
            return 1;
        }
    }
    return 0;
}

static void exact_add(apr_pool_t *p, preflight_list *l, const char *key)
{
    int i;

    if (!l->exact && l->exact_few->nelts < SHORT_LIST) {
        APR_ARRAY_PUSH(l->exact_few, const char *) = key;
        return;
    }
    if (!l->exact) {
        l->exact = preflight_hash_make(p);
        for (i = 0; i < l->exact_few->nelts; i++) {
            const char *k = APR_ARRAY_IDX(l->exact_few, i, const char *);
            apr_hash_set(l->exact, k, APR_HASH_KEY_STRING, k);
        }
        l->exact_few = NULL;
    }
    apr_hash_set(l->exact, key, APR_HASH_KEY_STRING, key);
}

static void hash_when_long(apr_pool_t *p, preflight_list *l)
{
    int i;

    if (l->set || l->keys->nelts <= SHORT_LIST) {
        return;
    }
    l->set = preflight_hash_make(p);
    for (i = 0; i < l->keys->nelts; i++) {
        apr_hash_set(l->set, APR_ARRAY_IDX(l->keys, i, const char *),
                     APR_HASH_KEY_STRING, APR_ARRAY_IDX(l->items, i, const char *));
    }
}

/* Is an item with this key already in a configured list? Origins keep no
 * set of every item: exact ones are in exact, patterns in patterns. */
static int configured_has(const preflight_list *l,
                          const char *key)
{
    preflight_origin o;
    const apr_array_header_t *same;
    int i;

    if (l->kind != PREFLIGHT_LIST_ORIGINS) {
        return preflight_set_has(l, key, APR_HASH_KEY_STRING);
    }
    if (!strchr(key, '*')) {
        return preflight_exact_has(l, key);
    }
    if (preflight_origin_parse(key, 1, &o)) {
        return 0;
    }
    same = l->patterns ? apr_hash_get(l->patterns, key, o.host_off + o.host_len)
                       : NULL;
    for (i = 0; same && i < same->nelts; i++) {
        if (APR_ARRAY_IDX(same, i, int) == o.port) {
            return 1;
        }
    }
    return 0;
}

void preflight_list_add(apr_pool_t *p, preflight_list *l,
                        const apr_array_header_t *items, int any)
{
    preflight_list_kind kind = l->kind;
    int i;

    l->any |= any;
    for (i = 0; i < items->nelts; i++) {
        const char *item = APR_ARRAY_IDX(items, i, const char *);
        const char *key = preflight_item_key(p, kind, item);

        if (configured_has(l, key)) {
            continue;
        }
        APR_ARRAY_PUSH(l->items, const char *) = item;
        APR_ARRAY_PUSH(l->keys, const char *) = key;
        if (kind != PREFLIGHT_LIST_ORIGINS) {
            if (l->set) {
                apr_hash_set(l->set, key, APR_HASH_KEY_STRING, item);
            }
            else {
                hash_when_long(p, l);
            }
        }
        else if (strchr(item, '*')) {
            add_pattern(p, l, item);
        }
        else {
            exact_add(p, l, key);
        }
        if (kind == PREFLIGHT_LIST_ORIGINS && !l->http_origin
            && strncmp(item, "http://", 7) == 0) {
            l->http_origin = item;
        }
    }
    /* Origins are never sent as a list: no joined value to build, which
     * keeps thousands of origins over many lines linear. */
    if (kind != PREFLIGHT_LIST_ORIGINS) {
        l->joined = preflight_join_items(p, l->items, l->any);
    }
    if (kind == PREFLIGHT_LIST_METHODS && l->items->nelts) {
        l->allow = preflight_join_methods_allow(p, (const char *const *)l->items->elts,
                                      l->items->nelts);
    }
}

/* Only origin lists carry the hashes only origins use. */
preflight_list *preflight_list_make(apr_pool_t *p, preflight_list_kind kind,
                                    const apr_array_header_t *items, int any)
{
    preflight_list *l = apr_pcalloc(p, sizeof(*l));

    l->kind = kind;
    l->items = apr_array_make(p, items->nelts + 1, sizeof(const char *));
    l->keys = apr_array_make(p, items->nelts + 1, sizeof(const char *));
    if (kind == PREFLIGHT_LIST_ORIGINS) {
        /* exact_few becomes exact, patterns are made by the first one */
        l->exact_few = apr_array_make(p, 2, sizeof(const char *));
    }
    l->joined = "";
    preflight_list_add(p, l, items, any);
    return l;
}

preflight_list *preflight_list_default(apr_pool_t *p, preflight_list_kind kind)
{
    apr_array_header_t *items = apr_array_make(p, 3, sizeof(const char *));

    if (kind == PREFLIGHT_LIST_METHODS) {
        APR_ARRAY_PUSH(items, const char *) = "GET";
        APR_ARRAY_PUSH(items, const char *) = "HEAD";
        APR_ARRAY_PUSH(items, const char *) = "POST";
    }
    return preflight_list_make(p, kind, items, 0);
}
