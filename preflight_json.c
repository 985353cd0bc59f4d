/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_json.c: JSON quoting and form decoding for the explain handler.
 * APR only, no httpd: every query value it reads is hostile, so this is
 * unit-tested and fuzzed on its own.
 */

#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "preflight_json.h"

/* RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. */
apr_size_t preflight_utf8_length(const unsigned char *s)
{
    apr_size_t n, i;
    unsigned long cp;

    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
        cp = s[0] & 0x1f;
    }
    else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        cp = s[0] & 0x0f;
    }
    else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        cp = s[0] & 0x07;
    }
    else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;           /* also stops at the terminating NUL */
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))
        || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return n;
}

char *preflight_utf8_copy(char *o, const unsigned char **in,
                          const char *replacement)
{
    const unsigned char *s = *in;
    apr_size_t n = *s < 0x80 ? 1 : preflight_utf8_length(s);

    if (n) {
        memcpy(o, s, n);
        *in = s + n;
        return o + n;
    }
    n = strlen(replacement);
    memcpy(o, replacement, n);
    *in = s + 1;
    return o + n;
}

const char *preflight_json_string(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *in = (const unsigned char *)s;
    /* worst case: every byte as \ufffd or \u00XX, six bytes each */
    char *out = apr_palloc(p, strlen(s) * 6 + 3);
    char *o = out;

    *o++ = '"';
    while (*in) {
        if (*in == '"' || *in == '\\') {
            *o++ = '\\';
            *o++ = (char)*in++;
        }
        else if (*in < 0x20 || *in == 0x7f || *in == '<' || *in == '>'
                 || *in == '&') {
            memcpy(o, "\\u00", 4);
            o[4] = hex[*in >> 4];
            o[5] = hex[*in & 0xf];
            o += 6;
            in++;
        }
        else {
            o = preflight_utf8_copy(o, &in, "\\ufffd");
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

static int hex_value(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

preflight_form_verdict preflight_form_decode(char *s)
{
    char *in = s, *out = s;

    while (*in) {
        unsigned char c;

        if (*in == '%') {
            if (!apr_isxdigit(in[1]) || !apr_isxdigit(in[2])) {
                return PREFLIGHT_FORM_BAD_ESCAPE;
            }
            c = (unsigned char)(hex_value(in[1]) * 16 + hex_value(in[2]));
            in += 3;
        }
        else {
            c = *in == '+' ? ' ' : (unsigned char)*in;
            in++;
        }
        if (c < 0x20 || c >= 0x7f) {
            return PREFLIGHT_FORM_BAD_BYTE;
        }
        *out++ = (char)c;
    }
    *out = '\0';
    return PREFLIGHT_FORM_OK;
}
