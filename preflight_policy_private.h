/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_policy_private.h: what the pure files of lists share, and no
 * one else. preflight_policy.c builds configured lists; preflight_origin.c
 * parses and matches origins, preflight_request.c checks what a request
 * asks for, both against them; preflight_list.c joins their header values
 * and applies +/- edits, by copy or as overlays.
 */

#ifndef PREFLIGHT_POLICY_PRIVATE_H
#define PREFLIGHT_POLICY_PRIVATE_H

#include <string.h>

#include "preflight_policy.h"

/* ASCII only: the locale is never consulted. */
#define IS_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define TO_LOWER(c) (((c) >= 'A' && (c) <= 'Z') ? (char)((c) - 'A' + 'a') : (c))

/** Eight bytes at s as one word, in the machine's order, at any
 *  alignment: the hash and the field reader compare keys a word at a time. */
static APR_INLINE apr_uint64_t preflight_read_word(const char *s)
{
    apr_uint64_t w;

    memcpy(&w, s, sizeof(w));
    return w;
}

/* preflight_policy.c */

/** The key an item is looked up by: header names in lower case. */
const char *preflight_item_key(apr_pool_t *p, preflight_list_kind kind,
                               const char *item);

/** Is this key among a configured method or header list's items? len is
 *  the key's length, or APR_HASH_KEY_STRING when it ends at a NUL. Inline:
 *  a preflight asks for its method and each header name. */
static APR_INLINE int preflight_set_has(const preflight_list *l,
                                        const char *key, apr_ssize_t len)
{
    int i;

    if (l->set) {
        return apr_hash_get(l->set, key, len) != NULL;
    }
    for (i = 0; i < l->keys->nelts; i++) {
        const char *k = APR_ARRAY_IDX(l->keys, i, const char *);
        if (k[0] != key[0]) {
            continue;
        }
        if (len == APR_HASH_KEY_STRING ? !strcmp(k, key)
                                       : !strncmp(k, key, len) && !k[len]) {
            return 1;
        }
    }
    return 0;
}

/** Is this key among a configured origin list's exact origins? */
int preflight_exact_has(const preflight_list *l, const char *key);

/* preflight_list.c */

/** The items joined with ", ", "*" first when any. */
const char *preflight_join_items(apr_pool_t *p, const apr_array_header_t *items,
                                 int any);

/** The Allow value of a preflight answer for these methods. */
const char *preflight_join_methods_allow(apr_pool_t *p,
                                         const char *const *methods, int n);

/** Lookups that see through overlays: is an item with this key in the
 *  list, was it removed from the list's "*", and the configured list an
 *  overlay ends at (overlays never edit origin patterns). */
int preflight_has_key(const preflight_list *l, const char *key);
/** The same for len bytes of a method or header name. */
int preflight_has_name(const preflight_list *l, const char *name, apr_size_t len);
int preflight_excluded_key(const preflight_list *l, const char *key);
const preflight_list *preflight_configured_below(const preflight_list *l);

#endif /* PREFLIGHT_POLICY_PRIVATE_H */
