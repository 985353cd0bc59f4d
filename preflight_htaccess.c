/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * The lists of .htaccess files, compiled once per process.
 *
 * httpd reads an .htaccess file again for every request it applies to, and
 * runs every directive handler on every line each time: for a list
 * directive that is splitting, checking each origin against the public
 * suffix list and building the list's hashes and joined values, most of the
 * module's cost on such a site. The result depends only on the line's text
 * when it is the first line of its directive in the section (a later line
 * extends what the section already has), so such lists are kept here, by
 * directive and text, and shared by every request of the process. A shared
 * list is never changed: a second line of the same directive extends a copy
 * (preflight_config.c).
 *
 * The cache belongs to one child process, is made in child_init and lives
 * as long as the child; its entries are never evicted (a request may be
 * using any of them), so it stops taking new lines at
 * PREFLIGHT_LINE_CACHE_LINES lines or PREFLIGHT_LINE_CACHE_BYTES bytes of
 * line text, and lines after that are compiled per request as before.
 * Threads of the event and worker MPMs share it under one mutex, held only
 * to look up and to publish, never while a line is compiled.
 */

#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "mod_preflight_private.h"

APLOG_USE_MODULE(preflight);

struct preflight_line_cache {
    apr_pool_t *pool;           /**< the entries' pools are made from it */
    apr_thread_mutex_t *lock;   /**< NULL without threads */
    apr_hash_t *lists[PREFLIGHT_LIST_KINDS]; /**< line text -> list */
    int lines;
    apr_size_t bytes;
};

/* The entries are compiled by several threads at once, each in a pool of
 * its own made from c->pool: their allocator is shared, so it has a mutex. */
static apr_status_t make_pool(apr_pool_t *pchild, apr_pool_t **pool)
{
    apr_allocator_t *allocator;
    apr_status_t rv;
#if APR_HAS_THREADS
    apr_thread_mutex_t *m;
#endif

    if ((rv = apr_allocator_create(&allocator)) != APR_SUCCESS) {
        return rv;
    }
#if APR_HAS_THREADS
    if ((rv = apr_thread_mutex_create(&m, APR_THREAD_MUTEX_DEFAULT, pchild))
        != APR_SUCCESS) {
        apr_allocator_destroy(allocator);
        return rv;
    }
    apr_allocator_mutex_set(allocator, m);
#endif
    if ((rv = apr_pool_create_ex(pool, pchild, NULL, allocator)) != APR_SUCCESS) {
        apr_allocator_destroy(allocator);
        return rv;
    }
    apr_allocator_owner_set(allocator, *pool);
    apr_pool_tag(*pool, "preflight_line_cache");
    return APR_SUCCESS;
}

preflight_line_cache *preflight_line_cache_create(apr_pool_t *pchild,
                                                  server_rec *s)
{
    preflight_line_cache *c = apr_pcalloc(pchild, sizeof(*c));
    apr_status_t rv;
    int k;

    rv = make_pool(pchild, &c->pool);
#if APR_HAS_THREADS
    if (rv == APR_SUCCESS) {
        rv = apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, pchild);
    }
#endif
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, "cannot set up the "
                     ".htaccess list cache: .htaccess lists are compiled for "
                     "every request in this process");
        return NULL;
    }
    for (k = 0; k < PREFLIGHT_LIST_KINDS; k++) {
        c->lists[k] = apr_hash_make(c->pool);
    }
    return c;
}

static void lock(preflight_line_cache *c)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(c->lock);
#endif
}

static void unlock(preflight_line_cache *c)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(c->lock);
#endif
}

static preflight_list *lookup(preflight_line_cache *c,
                              preflight_list_kind kind, const char *text)
{
    preflight_list *l;

    lock(c);
    l = apr_hash_get(c->lists[kind], text, APR_HASH_KEY_STRING);
    unlock(c);
    return l;
}

/* A pool for one new entry, or NULL once the cache is full. */
static apr_pool_t *entry_pool(preflight_line_cache *c, apr_size_t len)
{
    apr_pool_t *p = NULL;

    lock(c);
    if (c->lines < PREFLIGHT_LINE_CACHE_LINES
        && c->bytes + len <= PREFLIGHT_LINE_CACHE_BYTES) {
        apr_pool_create(&p, c->pool);
    }
    unlock(c);
    return p;
}

/* Publishes a compiled list; when another thread compiled the same line
 * meanwhile, its list is kept and this one dropped. */
static preflight_list *publish(preflight_line_cache *c, preflight_list_kind kind,
                               const char *text, apr_pool_t *p,
                               preflight_list *l)
{
    preflight_list *there;

    lock(c);
    there = apr_hash_get(c->lists[kind], text, APR_HASH_KEY_STRING);
    if (there) {
        apr_pool_destroy(p);
        l = there;
    }
    else {
        l->shared = 1;
        apr_hash_set(c->lists[kind], apr_pstrdup(p, text), APR_HASH_KEY_STRING, l);
        c->lines++;
        c->bytes += strlen(text) + 1;
    }
    unlock(c);
    return l;
}

static void drop(preflight_line_cache *c, apr_pool_t *p)
{
    lock(c);
    apr_pool_destroy(p);
    unlock(c);
}

const char *preflight_line_cached(cmd_parms *cmd, preflight_line_cache *c,
                                  preflight_list_kind kind, const char *text,
                                  preflight_line_compiler compile,
                                  preflight_list **out)
{
    apr_pool_t *p;
    const char *why;

    if ((*out = lookup(c, kind, text))) {
        return NULL;
    }
    if (!(p = entry_pool(c, strlen(text) + 1))) {
        return compile(cmd, cmd->pool, text, out);
    }
    /* compiled outside the lock; the entry pool is this thread's alone
     * until it is published */
    if ((why = compile(cmd, p, text, out))) {
        drop(c, p);             /* why is in cmd->pool */
        return why;
    }
    *out = publish(c, kind, text, p, *out);
    return NULL;
}
