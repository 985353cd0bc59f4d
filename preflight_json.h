/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_json.h: the text the explain handler reads and writes, with no
 * server: query values decoded from application/x-www-form-urlencoded, and
 * strings quoted as JSON. Tested without httpd (t/unit/) and fuzzed
 * (t/fuzz/fuzz_headers.c).
 */

#ifndef PREFLIGHT_JSON_H
#define PREFLIGHT_JSON_H

#include "apr_pools.h"

/** s as a JSON string, quotes included. Control bytes, quotes, backslash
 *  and <, >, & are escaped; a byte that does not start a valid UTF-8
 *  sequence becomes U+FFFD, so the result is always valid JSON. */
const char *preflight_json_string(apr_pool_t *p, const char *s);

/** Length of the valid UTF-8 sequence at s, or 0. */
apr_size_t preflight_utf8_length(const unsigned char *s);

/** Copies the character at *in to o, an ASCII byte or a valid UTF-8
 *  sequence, or writes replacement (of at most 6 bytes) for a byte that
 *  begins neither; advances *in past it and returns the end of what it
 *  wrote. Shared by the JSON quoting and the HTML escaping. */
char *preflight_utf8_copy(char *o, const unsigned char **in,
                          const char *replacement);

typedef enum {
    PREFLIGHT_FORM_OK,
    PREFLIGHT_FORM_BAD_ESCAPE,     /**< % not followed by two hex digits */
    PREFLIGHT_FORM_BAD_BYTE        /**< a control byte, DEL or non-ASCII */
} preflight_form_verdict;

/** Decodes one application/x-www-form-urlencoded value in place ('+' is a
 *  space). Only printable ASCII may come out: anything else, raw or
 *  escaped (%00, %0d, %ff), is refused and s is left partly decoded. */
preflight_form_verdict preflight_form_decode(char *s);

#endif /* PREFLIGHT_JSON_H */
