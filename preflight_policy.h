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
    PREFLIGHT_LIST_EXPOSE,
    PREFLIGHT_LIST_KINDS        /**< how many kinds there are */
} preflight_list_kind;

/** One +item or -item of an edited list. */
typedef struct {
    char op;                 /**< '+' or '-' */
    const char *item;        /**< normalized */
} preflight_edit;

/** The net effect of a configured +/- list on one item (see
 *  preflight_list_compile_edits). */
typedef struct preflight_net_edit preflight_net_edit;

/** A list directive's value, compiled into what a request looks up.
 *
 *  Two shapes. A configured list holds its items, hashed for lookups, and
 *  the header values joined once. An overlay is what a request gets when a
 *  section's +/- list meets the list it inherits at merge time: only the two
 *  pointers, looked up through (the edit first, then what it edits), with
 *  its items and header values built on the request's pool when they are
 *  asked for. The accessors below read both shapes; the fields marked
 *  "configured" must not be read from an overlay. */
typedef struct preflight_list {
    preflight_list_kind kind;
    int any;                       /**< "*" is in the list */
    int excludes;                  /**< any, but some items removed from it */
    apr_array_header_t *items;     /**< configured: const char *, normalized,
                                        configured order; no "*" */
    apr_array_header_t *keys;      /**< configured: each item's lookup key
                                        (header names in lower case) */
    apr_hash_t *excluded;          /**< configured: items removed from an
                                        inherited "*", by key, or NULL */
    apr_hash_t *set;               /**< configured, not origins, more than a
                                        few items: key -> item (a short list
                                        is searched in order) */
    apr_array_header_t *exact_few; /**< configured origins: exact origins and
                                        null while there are a few */
    apr_hash_t *exact;             /**< configured origins: the same, hashed,
                                        once there are more (exact_few is
                                        then NULL) */
    apr_hash_t *patterns;          /**< configured origins: scheme, "://",
                                        then "*" and the parent
                                        (".example.com") or the host of an
                                        any-port pattern -> array of int: the
                                        ports allowed there (PORT_ANY,
                                        PORT_DEFAULT, N) */
    const char *http_origin;       /**< configured origins: the first
                                        plain-http origin listed */
    const char *joined;            /**< configured: items joined with ", ",
                                        "*" first when any; not built for
                                        origins */
    const char *allow;             /**< configured methods: the Allow header
                                        value */
    apr_array_header_t *edits;     /**< preflight_edit: this section edits
                                        what it inherits */
    /* A configured +/- list, compiled for overlays: */
    apr_hash_t *net;               /**< key -> preflight_net_edit */
    apr_array_header_t *added;     /**< preflight_net_edit *: the items it
                                        adds, in the order a copy would */
    char star;                     /**< '+' or '-': its last "*" edit, or 0 */
    int star_then_removed;         /**< an item removed after that "*" */
    int removes;                   /**< an item whose net edit is '-' */
    int edits_patterns;            /**< origins: it edits a pattern, so it
                                        cannot be an overlay */
    apr_array_header_t *memo;      /**< preflight_list_memo: its merges onto
                                        lists it can meet, worked out at
                                        startup; read-only afterwards */
    int shared;                    /**< read by other requests at the same
                                        time (a cached .htaccess line): never
                                        changed, a copy is extended instead */
    /* An overlay: */
    const struct preflight_list *base;   /**< what the edit applies to */
    const struct preflight_list *edit;   /**< the configured +/- list */
} preflight_list;

/** A hash table for keys from the configuration, with a hash that reads
 *  eight bytes at a time (every table of a list uses it). */
apr_hash_t *preflight_hash_make(apr_pool_t *p);

/** The request fields a preflight is decided on; NULL when absent. */
typedef struct {
    const char *origin;
    const char *method;            /**< Access-Control-Request-Method */
    const char *headers;           /**< Access-Control-Request-Headers */
    const char *private_network;   /**< Access-Control-Request-Private-Network */
} preflight_request_fields;

/** Reads them from a request's header table in one pass, each as
 *  apr_table_get would (the first field of that name, any case). */
void preflight_read_request_fields(const apr_table_t *t,
                                   preflight_request_fields *f);

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

/** Compiles a configured +/- list (l->edits) for overlays. */
void preflight_list_compile_edits(apr_pool_t *p, preflight_list *l);

/** The merge of a +/- list onto what it inherits, at request time: an
 *  overlay when edit is compiled and base can carry one, else the edits
 *  applied to a copy. */
preflight_list *preflight_list_merge_edit(apr_pool_t *p,
                                          const preflight_list *base,
                                          const preflight_list *edit);

/** Works out, at startup, the merge of a +/- list onto a configured list
 *  it may meet at request time (at most PREFLIGHT_MEMO_MAX per edit): that
 *  merge then costs a lookup. Single-threaded use only. */
#define PREFLIGHT_MEMO_MAX 16
void preflight_list_memoize(apr_pool_t *p, const preflight_list *base,
                            preflight_list *edit);

/** A list's items, joined header value and Allow value, for either shape;
 *  an overlay builds them on p the first time they are asked for. */
const apr_array_header_t *preflight_list_items(apr_pool_t *p,
                                               const preflight_list *l);
const char *preflight_list_joined(apr_pool_t *p, const preflight_list *l);
const char *preflight_list_allow(apr_pool_t *p, const preflight_list *l);

/** The list as a configured one (an overlay is applied to a copy): for the
 *  explain handler and other rare readers of every field. */
const preflight_list *preflight_list_resolved(apr_pool_t *p,
                                              const preflight_list *l);

/** Applies +/- edits to an inherited list (NULL: the kind's default). */
preflight_list *preflight_list_edit(apr_pool_t *p, preflight_list_kind kind,
                                    const preflight_list *base,
                                    const apr_array_header_t *edits);

/** The default list of a kind: GET HEAD POST for methods, empty otherwise. */
preflight_list *preflight_list_default(apr_pool_t *p, preflight_list_kind kind);

/** Is this request Origin value allowed by the list? */
int preflight_origin_allowed(const preflight_list *origins, const char *value);

/** The longest Access-Control-Request-Method answered. The longest
 *  registered method has 17 characters (UPDATEREDIRECTREF); under "*" with
 *  credentials the method is echoed, so a longer one is refused. */
#define PREFLIGHT_METHOD_MAX 64

/** Is the value a method: a token of 1 to PREFLIGHT_METHOD_MAX bytes? */
int preflight_is_method(const char *value);

/** Is this Access-Control-Request-Method value allowed? */
int preflight_method_allowed(const preflight_list *methods, const char *value);

/** Is the value a token (RFC 9110 5.6.2)? */
int preflight_is_token(const char *s, apr_size_t len);

typedef enum {
    PREFLIGHT_HEADERS_OK,
    PREFLIGHT_HEADERS_DENIED,      /**< a well-formed name is not allowed */
    PREFLIGHT_HEADERS_DENIED_AUTHORIZATION, /**< Authorization under "*",
                                        which Fetch never lets "*" cover */
    PREFLIGHT_HEADERS_MALFORMED    /**< not a list of 1 to 256 tokens, or a
                                        name too long */
} preflight_headers_verdict;

/** Checks every name of an Access-Control-Request-Headers value. On denial
 *  *bad and *bad_len point at the offending name within value. *count gets
 *  the number of names. */
preflight_headers_verdict preflight_request_headers_check(
    const preflight_list *headers, const char *value,
    const char **bad, apr_size_t *bad_len, int *count);

#endif /* PREFLIGHT_POLICY_H */
