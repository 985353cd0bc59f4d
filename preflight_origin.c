/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_origin.c: origins, parsed (configured ones, with their
 * wildcards, and a request's Origin value) and matched against a list.
 * APR only, no httpd.
 */

#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "preflight_policy_private.h"

static int is_scheme_char(char c)
{
    return IS_ALPHA(c) || IS_DIGIT(c) || c == '+' || c == '-' || c == '.';
}

/* Letters, digits, '-' and '_': a table, since every byte of every Origin
 * goes through it. */
static const unsigned char host_chars[256] = {
    ['-'] = 1, ['_'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
    ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
    ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
    ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
};

static int is_host_char(char c)
{
    return host_chars[(unsigned char)c];
}

/* A DNS-style host: labels of letters, digits, '-' and '_' (browsers send
 * underscores), no empty label, so no leading, trailing or double dot. */
static const char *check_host(const char *h, apr_size_t len)
{
    apr_size_t i, label = 0;

    if (len == 0) {
        return "an origin needs a host";
    }
    if (len > 253) {
        return "not a valid host name: longer than 253 bytes";
    }
    for (i = 0; i < len; i++) {
        if (is_host_char(h[i])) {
            if (++label > 63) {
                return "not a valid host name: a label is longer than 63 bytes";
            }
        }
        else if (h[i] == '.') {
            if (label == 0) {
                return "not a valid host name: empty label (leading, trailing or double dot)";
            }
            label = 0;
        }
        else if ((unsigned char)h[i] >= 0x80) {
            return "not a valid host name: write an international name in its ASCII (xn--) form";
        }
        else if (h[i] == '*') {
            return "a wildcard is allowed only as the whole first label, as in https://*.example.com";
        }
        else {
            return "not a valid host name";
        }
    }
    if (label == 0) {
        return "not a valid host name: empty label (leading, trailing or double dot)";
    }
    return NULL;
}

static const char *check_ipv6(const char *h, apr_size_t len)
{
    apr_size_t i;

    /* "[" ... "]" with hex digits, colons and dots (embedded IPv4) */
    if (len < 4 || h[len - 1] != ']') {
        return "not a valid IPv6 address";
    }
    for (i = 1; i < len - 1; i++) {
        char c = h[i];
        if (!(IS_DIGIT(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
              || c == ':' || c == '.')) {
            return "not a valid IPv6 address";
        }
    }
    return NULL;
}

static const char *parse_port(const char *p, const char *end, int patterns,
                              int *port)
{
    apr_size_t n = end - p;
    apr_size_t i;
    long v = 0;

    if (patterns && n == 1 && *p == '*') {
        *port = PREFLIGHT_PORT_ANY;
        return NULL;
    }
    if (n == 0 || n > 5 || *p == '0') {
        return "not a valid port (1-65535, no leading zero)";
    }
    for (i = 0; i < n; i++) {
        if (!IS_DIGIT(p[i])) {
            return "not a valid port (1-65535, no leading zero)";
        }
        v = v * 10 + (p[i] - '0');
    }
    if (v > 65535) {
        return "not a valid port (1-65535, no leading zero)";
    }
    *port = (int)v;
    return NULL;
}

static int is_default_port(const char *scheme, apr_size_t len, int port)
{
    if (len == 4 && memcmp(scheme, "http", 4) == 0) {
        return port == 80;
    }
    if (len == 5 && memcmp(scheme, "https", 5) == 0) {
        return port == 443;
    }
    return 0;
}

const char *preflight_origin_parse(const char *s, int patterns,
                                   preflight_origin *o)
{
    const char *p, *auth, *end, *host, *host_end;
    apr_size_t len, scheme_len, host_len, i, k;
    const char *why;
    int wildcard = 0, port = PREFLIGHT_PORT_DEFAULT;

    for (len = 0; s[len] != '\0'; len++) {
        if (len >= PREFLIGHT_ORIGIN_MAX) {
            return "longer than 512 bytes";
        }
    }
    if (len == 0) {
        return "empty";
    }

    for (p = s; is_scheme_char(*p); p++)
        ;
    if (!IS_ALPHA(s[0]) || p[0] != ':' || p[1] != '/' || p[2] != '/') {
        return "an origin needs a scheme, as in https://host";
    }
    scheme_len = p - s;

    auth = p + 3;
    end = auth + strcspn(auth, "/?#");
    switch (*end) {
    case '/': return "an origin has no path (not even a trailing '/')";
    case '?': return "an origin has no query";
    case '#': return "an origin has no fragment";
    }
    if (memchr(auth, '@', end - auth)) {
        return "an origin has no userinfo (user@ or user:password@)";
    }

    host = auth;
    if (*host == '[') {
        host_end = memchr(host, ']', end - host);
        host_end = host_end ? host_end + 1 : end;
        if ((why = check_ipv6(host, host_end - host))) {
            return why;
        }
    }
    else {
        host_end = memchr(host, ':', end - host);
        if (!host_end) {
            host_end = end;
        }
        if (patterns && host_end - host >= 2 && host[0] == '*' && host[1] == '.') {
            wildcard = 1;
            host += 1;       /* keep the dot: ".example.com" */
            if ((why = check_host(host + 1, host_end - host - 1))) {
                return why;
            }
        }
        else if ((why = check_host(host, host_end - host))) {
            return why;
        }
    }
    if (host_end < end) {
        if (*host_end != ':') {
            return "not a valid host name";
        }
        if ((why = parse_port(host_end + 1, end, patterns, &port))) {
            return why;
        }
    }
    /* Normalize into the key: lower case, no default port. */
    k = 0;
    for (i = 0; i < scheme_len; i++) {
        o->key[k++] = TO_LOWER(s[i]);
    }
    o->scheme_len = scheme_len;
    memcpy(o->key + k, "://", 3);
    k += 3;
    if (wildcard) {
        o->key[k++] = '*';
    }
    host_len = host_end - host;
    o->host_off = k;
    for (i = 0; i < host_len; i++) {
        o->key[k++] = TO_LOWER(host[i]);
    }
    o->host_len = host_len;
    if (port > 0 && is_default_port(o->key, scheme_len, port)) {
        port = PREFLIGHT_PORT_DEFAULT;
    }
    if (port == PREFLIGHT_PORT_ANY) {
        memcpy(o->key + k, ":*", 2);
        k += 2;
    }
    else if (port > 0) {
        char digits[5];
        int n = 0, v;

        o->key[k++] = ':';
        for (v = port; v; v /= 10) {
            digits[n++] = (char)('0' + v % 10);
        }
        while (n) {
            o->key[k++] = digits[--n];
        }
    }
    o->key[k] = '\0';
    o->key_len = k;
    o->port = port;
    o->wildcard = wildcard;
    return NULL;
}

static int site_matches(const preflight_list *l, const char *site,
                        apr_size_t len, const preflight_origin *o)
{
    const apr_array_header_t *same = apr_hash_get(l->patterns, site, len);
    int i;

    for (i = 0; same && i < same->nelts; i++) {
        int port = APR_ARRAY_IDX(same, i, int);
        if (port == PREFLIGHT_PORT_ANY || port == o->port) {
            return 1;
        }
    }
    return 0;
}

/* Looks up scheme + "://" + host for any-port patterns, then scheme +
 * "://" + "*" + every suffix of the host that starts at a dot: "*." stands
 * for one or more whole labels, never for none, and the suffix must end the
 * host. */
static int patterns_match(const preflight_list *l, const preflight_origin *o)
{
    char site[PREFLIGHT_ORIGIN_MAX + 2];
    const char *host = o->key + o->host_off;
    apr_size_t prefix = o->scheme_len + 3, i;

    if (!l->patterns) {
        return 0;
    }
    memcpy(site, o->key, prefix);
    memcpy(site + prefix, host, o->host_len);
    if (site_matches(l, site, prefix + o->host_len, o)) {
        return 1;
    }
    site[prefix] = '*';
    for (i = 1; i < o->host_len; i++) {
        if (host[i] == '.') {
            memcpy(site + prefix + 1, host + i, o->host_len - i);
            if (site_matches(l, site, prefix + 1 + o->host_len - i, o)) {
                return 1;
            }
        }
    }
    return 0;
}

int preflight_origin_allowed(const preflight_list *origins, const char *value)
{
    preflight_origin o;
    const char *key;

    if (!origins) {
        return 0;
    }
    if (origins->any && !origins->excludes) {
        return 1;           /* answered with "*": nothing is reflected */
    }
    /* Browsers send origins already normalized, so most requests are
     * answered by one lookup of the raw value; the keys are well-formed
     * origins, and no pattern is among them. */
    if (!origins->any && (origins->base ? preflight_has_key(origins, value)
                                        : preflight_exact_has(origins, value))) {
        return 1;
    }
    if (strcmp(value, "null") == 0) {
        key = "null";
    }
    else if (preflight_origin_parse(value, 0, &o) == NULL) {
        key = o.key;
    }
    else {
        return 0;
    }
    if (origins->any) {
        return !preflight_excluded_key(origins, key);
    }
    if (preflight_has_key(origins, key)) {
        return 1;
    }
    return key == o.key && patterns_match(preflight_configured_below(origins), &o);
}
