/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_policy.h: the parts of mod_preflight that need no server.
 *
 * Origin parsing and matching, token lists and their +/- editing, and the
 * splitting of Access-Control-Request-Headers. Everything here takes plain
 * strings and APR pools, so it is tested without httpd (t/unit/).
 */

#ifndef PREFLIGHT_POLICY_H
#define PREFLIGHT_POLICY_H

#include "apr_pools.h"
#include "apr_tables.h"
#include "apr_hash.h"

/** Longest Origin value considered; longer ones are never allowed. */
#define PREFLIGHT_ORIGIN_MAX 512
/** Longest single name in Access-Control-Request-Headers. */
#define PREFLIGHT_HEADER_NAME_MAX 256
/** Most items (empty ones included) in Access-Control-Request-Headers. */
#define PREFLIGHT_REQUEST_HEADERS_MAX 256

#define PREFLIGHT_PORT_DEFAULT 0
#define PREFLIGHT_PORT_ANY (-1)

/** An origin split and normalized: lower-case scheme and host, no default
 *  port. The key is what exact origins are hashed by. */
typedef struct {
    char key[PREFLIGHT_ORIGIN_MAX + 1];  /**< "scheme://host[:port]" */
    apr_size_t key_len;
    apr_size_t scheme_len;               /**< key[0 .. scheme_len) */
    apr_size_t host_off;                 /**< host within key */
    apr_size_t host_len;
    int port;                            /**< PORT_DEFAULT, PORT_ANY or 1-65535 */
    int wildcard;                        /**< host was "*.parent": key holds ".parent" */
} preflight_origin;

/** What a list directive holds: origins, methods, request headers or
 *  response headers to expose. */
typedef enum {
    PREFLIGHT_LIST_ORIGINS,
    PREFLIGHT_LIST_METHODS,
    PREFLIGHT_LIST_HEADERS,
    PREFLIGHT_LIST_EXPOSE
} preflight_list_kind;

/** One +item or -item of an edited list. */
typedef struct {
    char op;                 /**< '+' or '-' */
    const char *item;        /**< normalized */
} preflight_edit;

/** A list directive's value, compiled into what a request looks up. */
typedef struct {
    preflight_list_kind kind;
    apr_array_header_t *items;     /**< const char *, normalized, configured order; no "*" */
    int any;                       /**< "*" was listed */
    apr_hash_t *excluded;          /**< items removed from an inherited "*", or NULL */
    apr_hash_t *set;               /**< lookup key -> item, every item */
    apr_hash_t *exact;             /**< origins: exact origins and null only */
    apr_hash_t *patterns;          /**< origins: scheme, "://", then "*" and
                                        the parent (".example.com") or the
                                        host of an any-port pattern ->
                                        array of int: the ports allowed
                                        there (PORT_ANY, PORT_DEFAULT, N) */
    const char *http_origin;       /**< origins: the first plain-http origin listed */
    const char *joined;            /**< items joined with ", ", "*" first when
                                        any; not built for origins */
    const char *allow;             /**< methods: the Allow header value */
    apr_array_header_t *edits;     /**< preflight_edit: this section edits what it inherits */
} preflight_list;

/** Parses a serialized origin. With patterns, "*." as the first label and
 *  ":*" as the port are accepted. Returns NULL when well formed, else the
 *  reason in words. */
const char *preflight_origin_parse(const char *s, int patterns,
                                   preflight_origin *o);

/** Normalizes one configured item of a list (without its +/-). Returns the
 *  reason when it is not valid, else NULL and the item to store in *out. */
const char *preflight_item_check(apr_pool_t *p, preflight_list_kind kind,
                                 const char *item, const char **out);

/** Builds a list from configured items (already checked and normalized). */
preflight_list *preflight_list_make(apr_pool_t *p, preflight_list_kind kind,
                                    const apr_array_header_t *items, int any);

/** Adds configured items to a list that belongs to the section being
 *  configured (another line of the same directive). */
void preflight_list_add(apr_pool_t *p, preflight_list *l,
                        const apr_array_header_t *items, int any);

/** Applies +/- edits to an inherited list (NULL: the kind's default). */
preflight_list *preflight_list_edit(apr_pool_t *p, preflight_list_kind kind,
                                    const preflight_list *base,
                                    const apr_array_header_t *edits);

/** The default list of a kind: GET HEAD POST for methods, empty otherwise. */
preflight_list *preflight_list_default(apr_pool_t *p, preflight_list_kind kind);

/** Is this request Origin value allowed by the list? */
int preflight_origin_allowed(const preflight_list *origins, const char *value);

/** Is this Access-Control-Request-Method value allowed? */
int preflight_method_allowed(const preflight_list *methods, const char *value);

/** Is the value a token (RFC 9110 5.6.2)? */
int preflight_is_token(const char *s, apr_size_t len);

typedef enum {
    PREFLIGHT_HEADERS_OK,
    PREFLIGHT_HEADERS_DENIED,      /**< a well-formed name is not allowed */
    PREFLIGHT_HEADERS_MALFORMED    /**< not a list of tokens, or too long */
} preflight_headers_verdict;

/** Checks every name of an Access-Control-Request-Headers value. On denial
 *  *bad and *bad_len point at the offending name within value. *count gets
 *  the number of names. */
preflight_headers_verdict preflight_request_headers_check(
    const preflight_list *headers, const char *value,
    const char **bad, apr_size_t *bad_len, int *count);

#endif /* PREFLIGHT_POLICY_H */
