/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_console.h: what browsers say about the module's answers, with
 * no server. The refusals a browser makes of them, the words each
 * browser's console uses for each one, and how long each engine caches an
 * allowed preflight. Tested without httpd (t/unit/); checked against a
 * real Chromium by t/browser/inspector.pl. See README.md, "The explain
 * handler".
 */

#ifndef PREFLIGHT_CONSOLE_H
#define PREFLIGHT_CONSOLE_H

#include "apr_pools.h"

/** Why a browser will not let a script read the answer. The first ones
 *  are the module's denials (a decision records which); the last two are
 *  refusals of an allowed answer that the browser makes on its own when
 *  the request carries credentials. */
typedef enum {
    PREFLIGHT_REFUSAL_NONE = 0,
    PREFLIGHT_REFUSAL_ORIGIN,             /**< not in PreflightAllowOrigin */
    PREFLIGHT_REFUSAL_METHOD,             /**< not in PreflightAllowMethods */
    PREFLIGHT_REFUSAL_HEADER,             /**< a name not in PreflightAllowHeaders */
    PREFLIGHT_REFUSAL_HEADERS_MALFORMED,  /**< not a list of header names */
    PREFLIGHT_REFUSAL_NO_CREDENTIALS,     /**< allowed without
                                               PreflightAllowCredentials On */
    PREFLIGHT_REFUSAL_ANY_WITH_CREDENTIALS, /**< allowed as "*" */
    PREFLIGHT_REFUSALS                    /**< how many there are */
} preflight_refusal;

/** The browser engines the module knows about. */
typedef enum {
    PREFLIGHT_BROWSER_CHROMIUM,
    PREFLIGHT_BROWSER_FIREFOX,
    PREFLIGHT_BROWSER_WEBKIT,
    PREFLIGHT_BROWSERS          /**< how many there are */
} preflight_browser;

/** "chromium", "firefox", "webkit": the keys of the explain answer. */
extern const char * const preflight_browser_names[PREFLIGHT_BROWSERS];

/** The request a message is about, as the browser names it. */
typedef struct {
    const char *url;            /**< the resource, absolute */
    const char *origin;         /**< the page's origin */
    const char *method;         /**< the method of the actual request */
    const char *header;         /**< the refused request header, lower case */
    int preflight;              /**< the refusal is of a preflight answer */
    int status;                 /**< the status of the answer refused */
} preflight_console_request;

/** What the browser's console says when it refuses the module's answer
 *  (the module sends no Access-Control-* with a denial, so every denied
 *  preflight reads as a missing Access-Control-Allow-Origin); NULL when
 *  it lets the script read the answer, or for WebKit, whose words the
 *  module does not know. */
const char *preflight_console_says(apr_pool_t *p, preflight_browser b,
                                   preflight_refusal why,
                                   const preflight_console_request *rq);

/** What the browser's console says for the same refusal from a server
 *  that allows the origin but leaves the method or header out (what a
 *  hand-written recipe sends, never the module): a message naming the
 *  method or the header comes from such a server. NULL for the other
 *  refusals. */
const char *preflight_console_elsewhere(apr_pool_t *p, preflight_browser b,
                                        preflight_refusal why,
                                        const preflight_console_request *rq);

/** No Access-Control-Max-Age: every engine caches for 5 seconds. */
#define PREFLIGHT_MAX_AGE_ABSENT (-1)

/** Seconds an engine caches an allowed preflight answered with this
 *  Access-Control-Max-Age (PREFLIGHT_MAX_AGE_ABSENT when none is sent):
 *  the value, up to the engine's cap. */
long preflight_max_age_cached(preflight_browser b, long max_age);

#endif /* PREFLIGHT_CONSOLE_H */
