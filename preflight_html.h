/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_html.h: what the explain handler's HTML page (the inspector)
 * needs with no server: HTML escaping, the choice between HTML and JSON
 * from an Accept header, and the page's stylesheet with the hash that its
 * Content-Security-Policy allows. Tested without httpd (t/unit/) and
 * fuzzed (t/fuzz/fuzz_headers.c). See README.md, "The explain handler".
 */

#ifndef PREFLIGHT_HTML_H
#define PREFLIGHT_HTML_H

#include "apr_pools.h"

/** s as HTML text, safe both between tags and inside a quoted attribute
 *  value: &, <, >, " and ' become character references; control bytes
 *  (but tab and LF), DEL and every byte that does not start a valid UTF-8
 *  sequence become U+FFFD. */
const char *preflight_html_escape(apr_pool_t *p, const char *s);

/** True when a request with this Accept value prefers text/html to
 *  application/json: each type weighs the q of the most specific range
 *  that matches it (the type and subtype, then the type with any subtype,
 *  then any type), and HTML must weigh more. No header, a tie (only the
 *  any-type range, as curl sends) or a header that cannot be read: JSON. */
int preflight_html_preferred(const char *accept);

/** The inspector's stylesheet, the exact text of its <style> element. */
extern const char preflight_html_style[];

/** The Content-Security-Policy source that allows that stylesheet and no
 *  other: 'sha256-' and the base64 SHA-256 of preflight_html_style. */
extern const char preflight_html_style_hash[];

#endif /* PREFLIGHT_HTML_H */
