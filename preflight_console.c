/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_console.c: the words of the browsers' consoles for each
 * refusal, and their preflight cache caps. APR only, no httpd.
 *
 * Where the words come from (README "The explain handler" lists them):
 * - Chromium: GetErrorString in Blink's
 *   third_party/blink/renderer/platform/loader/cors/cors_error_string.cc
 *   (the "Access to fetch at ... has been blocked by CORS policy: " lead,
 *   and "Response to preflight request doesn't pass access control
 *   check: " before a preflight's), as Debian's chromium 156 prints them:
 *   t/browser/inspector.pl compares its console with these. Chromium
 *   checks Access-Control-Allow-Origin before the preflight's status, so
 *   a 403 without it reads as a missing header.
 * - Firefox: the CORS* strings of its en-US security.properties
 *   (CORSMissingAllowOrigin2, CORSMethodNotFound,
 *   CORSMissingAllowHeaderFromPreflight2, CORSMissingAllowCredentials,
 *   CORSNotSupportingCredentials), as in Debian's firefox-esr 153
 *   omni.ja, with %1$S the URL and %2$S the status or header; which one
 *   a response gets follows CheckRequestApproved in
 *   netwerk/protocol/http/nsCORSListenerProxy.cpp, which also runs on
 *   the preflight, before its status is looked at.
 * - Caps: Chromium's kMaxTimeout (2 hours) in
 *   services/network/cors/preflight_result.cc, Firefox's 86400 in
 *   nsCORSPreflightListener::AddResultToCache, WebKit's
 *   maxPreflightCacheTimeout (600 s) in
 *   Source/WebCore/loader/CrossOriginPreflightResultCache.cpp; all three
 *   cache for 5 seconds without Access-Control-Max-Age.
 */

#include <string.h>

#include "apr_strings.h"
#include "apr_tables.h"

#include "preflight_console.h"

const char * const preflight_browser_names[PREFLIGHT_BROWSERS] = {
    "chromium", "firefox", "webkit"
};

#define CHROMIUM_LEAD "Access to fetch at '{url}' from origin '{origin}' " \
                      "has been blocked by CORS policy: "
#define CHROMIUM_PREFLIGHT "Response to preflight request doesn't pass " \
                           "access control check: "
#define FIREFOX_LEAD "Cross-Origin Request Blocked: The Same Origin Policy " \
                     "disallows reading the remote resource at "
/* Firefox quotes with U+2018 and U+2019 */
#define LQ "\xe2\x80\x98"
#define RQ "\xe2\x80\x99"

#define NO_ALLOW_ORIGIN_CHROMIUM \
    "No 'Access-Control-Allow-Origin' header is present on the requested " \
    "resource."
#define NO_ALLOW_ORIGIN_FIREFOX FIREFOX_LEAD "{url}. (Reason: CORS header " \
    LQ "Access-Control-Allow-Origin" RQ " missing). Status code: {status}."

/* Keyed by the refusal. chromium: after CHROMIUM_LEAD, and after
 * CHROMIUM_PREFLIGHT too when a preflight is refused; firefox: whole.
 * The elsewhere pair is never about the preflight's own check in
 * Chromium's words. */
static const struct {
    const char *chromium, *firefox;
    const char *elsewhere_chromium, *elsewhere_firefox;
} words[PREFLIGHT_REFUSALS] = {
    [PREFLIGHT_REFUSAL_ORIGIN] = {
        NO_ALLOW_ORIGIN_CHROMIUM, NO_ALLOW_ORIGIN_FIREFOX, NULL, NULL },
    [PREFLIGHT_REFUSAL_METHOD] = {
        NO_ALLOW_ORIGIN_CHROMIUM, NO_ALLOW_ORIGIN_FIREFOX,
        "Method {method} is not allowed by Access-Control-Allow-Methods in "
        "preflight response.",
        FIREFOX_LEAD "{url}. (Reason: Did not find method in CORS header "
        LQ "Access-Control-Allow-Methods" RQ ")." },
    [PREFLIGHT_REFUSAL_HEADER] = {
        NO_ALLOW_ORIGIN_CHROMIUM, NO_ALLOW_ORIGIN_FIREFOX,
        "Request header field {header} is not allowed by "
        "Access-Control-Allow-Headers in preflight response.",
        FIREFOX_LEAD "{url}. (Reason: header " LQ "{header}" RQ " is not "
        "allowed according to header " LQ "Access-Control-Allow-Headers" RQ
        " from CORS preflight response)." },
    [PREFLIGHT_REFUSAL_HEADERS_MALFORMED] = {
        NO_ALLOW_ORIGIN_CHROMIUM, NO_ALLOW_ORIGIN_FIREFOX, NULL, NULL },
    [PREFLIGHT_REFUSAL_NO_CREDENTIALS] = {
        "The value of the 'Access-Control-Allow-Credentials' header in the "
        "response is '' which must be 'true' when the request's credentials "
        "mode is 'include'.",
        FIREFOX_LEAD "{url}. (Reason: expected " LQ "true" RQ " in CORS "
        "header " LQ "Access-Control-Allow-Credentials" RQ ").", NULL, NULL },
    [PREFLIGHT_REFUSAL_ANY_WITH_CREDENTIALS] = {
        "The value of the 'Access-Control-Allow-Origin' header in the "
        "response must not be the wildcard '*' when the request's "
        "credentials mode is 'include'.",
        FIREFOX_LEAD LQ "{url}" RQ ". (Reason: Credential is not supported "
        "if the CORS header " LQ "Access-Control-Allow-Origin" RQ " is "
        LQ "*" RQ ").", NULL, NULL },
};

/* The template with {url}, {origin}, {method}, {header} and {status}
 * filled in; a value the request does not have is left empty. */
static const char *fill(apr_pool_t *p, const char *t,
                        const preflight_console_request *rq)
{
    apr_array_header_t *parts = apr_array_make(p, 8, sizeof(const char *));

    while (*t) {
        const char *open = strchr(t, '{'), *close, *v = NULL;
        apr_size_t name_len;

        if (!open || !(close = strchr(open, '}'))) {
            APR_ARRAY_PUSH(parts, const char *) = t;
            break;
        }
        APR_ARRAY_PUSH(parts, const char *) = apr_pstrmemdup(p, t, open - t);
        name_len = (apr_size_t)(close - open - 1);
        if (name_len == 3 && !strncmp(open + 1, "url", 3)) {
            v = rq->url;
        }
        else if (name_len == 6 && !strncmp(open + 1, "origin", 6)) {
            v = rq->origin;
        }
        else if (name_len == 6 && !strncmp(open + 1, "method", 6)) {
            v = rq->method;
        }
        else if (name_len == 6 && !strncmp(open + 1, "header", 6)) {
            v = rq->header;
        }
        else if (name_len == 6 && !strncmp(open + 1, "status", 6)) {
            v = apr_itoa(p, rq->status);
        }
        APR_ARRAY_PUSH(parts, const char *) = v ? v : "";
        t = close + 1;
    }
    return apr_array_pstrcat(p, parts, '\0');
}

static int known(preflight_refusal why)
{
    return why > PREFLIGHT_REFUSAL_NONE && why < PREFLIGHT_REFUSALS;
}

const char *preflight_console_says(apr_pool_t *p, preflight_browser b,
                                   preflight_refusal why,
                                   const preflight_console_request *rq)
{
    if (!known(why)) {
        return NULL;
    }
    switch (b) {
    case PREFLIGHT_BROWSER_CHROMIUM:
        return fill(p, apr_pstrcat(p, CHROMIUM_LEAD,
                                   rq->preflight ? CHROMIUM_PREFLIGHT : "",
                                   words[why].chromium, NULL), rq);
    case PREFLIGHT_BROWSER_FIREFOX:
        return fill(p, words[why].firefox, rq);
    default:
        return NULL;
    }
}

const char *preflight_console_elsewhere(apr_pool_t *p, preflight_browser b,
                                        preflight_refusal why,
                                        const preflight_console_request *rq)
{
    if (!known(why) || !words[why].elsewhere_chromium) {
        return NULL;
    }
    switch (b) {
    case PREFLIGHT_BROWSER_CHROMIUM:
        return fill(p, apr_pstrcat(p, CHROMIUM_LEAD,
                                   words[why].elsewhere_chromium, NULL), rq);
    case PREFLIGHT_BROWSER_FIREFOX:
        return fill(p, words[why].elsewhere_firefox, rq);
    default:
        return NULL;
    }
}

#define PREFLIGHT_CACHE_DEFAULT 5

static const long max_age_cap[PREFLIGHT_BROWSERS] = {
    [PREFLIGHT_BROWSER_CHROMIUM] = 7200,
    [PREFLIGHT_BROWSER_FIREFOX] = 86400,
    [PREFLIGHT_BROWSER_WEBKIT] = 600,
};

long preflight_max_age_cached(preflight_browser b, long max_age)
{
    long cap = b < PREFLIGHT_BROWSERS ? max_age_cap[b] : 0;

    if (max_age < 0) {
        return PREFLIGHT_CACHE_DEFAULT;
    }
    return max_age < cap ? max_age : cap;
}
