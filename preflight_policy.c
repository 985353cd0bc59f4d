/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_policy.c: origin parsing and matching, token lists, the
 * splitting of Access-Control-Request-Headers. APR only, no httpd, so that
 * t/unit/ can test it on its own and so that nothing here can log or reach a
 * request: it decides, the httpd-side files act.
 *
 * The locale is never consulted: every character class below is ASCII.
 */

#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "preflight_policy_private.h"

#define IS_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define TO_LOWER(c) (((c) >= 'A' && (c) <= 'Z') ? (char)((c) - 'A' + 'a') : (c))

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

/* RFC 9110 tchar, folded to lower case; 0 for every other byte. A table:
 * each byte of every name in Access-Control-Request-Headers goes through
 * it, and one load both folds and checks it. */
static const char tchar_lower[256] = {
    ['!'] = '!', ['#'] = '#', ['$'] = '$', ['%'] = '%', ['&'] = '&',
    ['\''] = '\'', ['*'] = '*', ['+'] = '+', ['-'] = '-', ['.'] = '.',
    ['^'] = '^', ['_'] = '_', ['`'] = '`', ['|'] = '|', ['~'] = '~',
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
    ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
    ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f',
    ['g'] = 'g', ['h'] = 'h', ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l',
    ['m'] = 'm', ['n'] = 'n', ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r',
    ['s'] = 's', ['t'] = 't', ['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x',
    ['y'] = 'y', ['z'] = 'z',
    ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f',
    ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k', ['L'] = 'l',
    ['M'] = 'm', ['N'] = 'n', ['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r',
    ['S'] = 's', ['T'] = 't', ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x',
    ['Y'] = 'y', ['Z'] = 'z',
};

static int is_tchar(char c)
{
    return tchar_lower[(unsigned char)c] != 0;
}

int preflight_is_token(const char *s, apr_size_t len)
{
    apr_size_t i;

    if (len == 0) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!is_tchar(s[i])) {
            return 0;
        }
    }
    return 1;
}

/* The hash of every table of keys here. A request in scope looks its
 * Origin up in one, and APR's default function reads a key a byte at a
 * time (about five instructions a byte, 120 for a typical origin); this
 * one reads eight bytes at a time. The keys all come from the
 * configuration, so a request cannot choose keys that collide with each
 * other: no per-table seed is needed. */
static apr_uint64_t read_word(const char *s)
{
    apr_uint64_t w;

    memcpy(&w, s, sizeof(w));
    return w;
}

static unsigned int hash_words(const char *key, apr_ssize_t *klen)
{
    const apr_uint64_t mul = APR_UINT64_C(0x9E3779B97F4A7C15);
    apr_size_t len = *klen == APR_HASH_KEY_STRING ? strlen(key) : (apr_size_t)*klen;
    apr_uint64_t h = len * mul, tail = 0;
    apr_size_t i;

    *klen = (apr_ssize_t)len;
    for (i = 0; i + 8 <= len; i += 8) {
        h = (h ^ read_word(key + i)) * mul;
    }
    if (i < len) {
        /* the last eight bytes again, overlapping, when there are eight */
        if (len >= 8) {
            tail = read_word(key + len - 8);
        }
        else {
            for (; i < len; i++) {
                tail = (tail << 8) | (unsigned char)key[i];
            }
        }
        h = (h ^ tail) * mul;
    }
    h ^= h >> 32;
    return (unsigned int)(h ^ (h >> 15));
}

apr_hash_t *preflight_hash_make(apr_pool_t *p)
{
    return apr_hash_make_custom(p, hash_words);
}

/* Are the eight bytes at s those of lower, with the letters in any case?
 * fold has 0x20 where lower has a letter and 0 elsewhere: or-ing it folds
 * a letter, and leaves '-' to compare exactly. */
static int folded_word_equal(const char *s, const char *lower, const char *fold)
{
    return (read_word(s) | read_word(fold)) == read_word(lower);
}

/* Access-Control-Request-: its 23 bytes as three words, the last two
 * overlapping by one. */
static int is_request_prefix(const char *k)
{
    return folded_word_equal(k, "access-c", "\x20\x20\x20\x20\x20\x20\0\x20")
           && folded_word_equal(k + 8, "ontrol-r", "\x20\x20\x20\x20\x20\x20\0\x20")
           && folded_word_equal(k + 15, "request-", "\x20\x20\x20\x20\x20\x20\x20\0");
}

/* A preflight's fields by the length of their names, then their bytes: a
 * request has a dozen fields, a browser's several starting with Accept, and
 * apr_table_get would compare every one of those with each name in full
 * (their checksums, the first four bytes, are the same). */
static void read_field(const char *key, const char *val,
                       preflight_request_fields *f)
{
    apr_size_t len;

    switch (key[0]) {
    case 'o':
    case 'O':
        /* "rigin" after the O, in any case, then the end (or-ing 0x20
         * into a NUL makes a space, which ends the test there) */
        if (!f->origin && (key[1] | 0x20) == 'r' && (key[2] | 0x20) == 'i'
            && (key[3] | 0x20) == 'g' && (key[4] | 0x20) == 'i'
            && (key[5] | 0x20) == 'n' && key[6] == '\0') {
            f->origin = val;
        }
        return;
    case 'a':
    case 'A':
        break;
    default:
        return;
    }
    len = strlen(key);
    if (len != 29 && len != 30 && len != 38) {
        return;
    }
    if (!is_request_prefix(key)) {
        return;
    }
    if (len == 29 && folded_word_equal(key + 21, "t-method", "\x20\0" "\x20\x20\x20\x20\x20\x20")) {
        f->method = f->method ? f->method : val;
    }
    else if (len == 30 && folded_word_equal(key + 22, "-headers", "\0\x20\x20\x20\x20\x20\x20\x20")) {
        f->headers = f->headers ? f->headers : val;
    }
    else if (len == 38 && folded_word_equal(key + 23, "private-", "\x20\x20\x20\x20\x20\x20\x20\0")
             && folded_word_equal(key + 30, "-network", "\0\x20\x20\x20\x20\x20\x20\x20")) {
        f->private_network = f->private_network ? f->private_network : val;
    }
}

void preflight_read_request_fields(const apr_table_t *t,
                                   preflight_request_fields *f)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    memset(f, 0, sizeof(*f));
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key) {
            read_field(e[i].key, e[i].val, f);
        }
    }
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

/* The lookup key of an item: header names fold case, the rest is exact
 * (origins are normalized already, methods are case-sensitive). */
const char *preflight_item_key(apr_pool_t *p, preflight_list_kind kind,
                            const char *item)
{
    if (kind == PREFLIGHT_LIST_HEADERS || kind == PREFLIGHT_LIST_EXPOSE) {
        char *k = apr_pstrdup(p, item);
        char *c;
        for (c = k; *c; c++) {
            *c = TO_LOWER(*c);
        }
        return k;
    }
    return item;
}

static int all_letters(const char *s)
{
    for (; *s; s++) {
        if (!IS_ALPHA(*s)) {
            return 0;
        }
    }
    return 1;
}

const char *preflight_item_check(apr_pool_t *p, preflight_list_kind kind,
                                 const char *item, const char **out)
{
    preflight_origin o;
    const char *why;

    if (strchr(item, ',')) {
        return "list items are separated by spaces, not commas";
    }
    *out = item;
    switch (kind) {
    case PREFLIGHT_LIST_ORIGINS:
        if (strcmp(item, "null") == 0) {
            return NULL;
        }
        if (!strstr(item, "://") && *item && all_letters(item)) {
            return "unknown keyword; expected an origin (https://host), "
                   "a wildcard pattern (https://*.example.com), null or *";
        }
        if ((why = preflight_origin_parse(item, 1, &o))) {
            return why;
        }
        *out = apr_pstrmemdup(p, o.key, o.key_len);
        return NULL;
    case PREFLIGHT_LIST_METHODS:
        return preflight_is_token(item, strlen(item))
               ? NULL : "not a valid method token (RFC 9110)";
    default:
        return preflight_is_token(item, strlen(item))
               ? NULL : "not a valid header name (RFC 9110 token)";
    }
}

/* Patterns are indexed by what they say of scheme and host, without the
 * port: a request then costs one lookup per label of its host, however many
 * patterns there are. */
static void add_pattern(apr_pool_t *p, preflight_list *l, const char *item)
{
    preflight_origin o;
    apr_array_header_t *same;
    const char *site;

    if (preflight_origin_parse(item, 1, &o)) {
        return;                 /* checked when configured */
    }
    site = apr_pstrmemdup(p, item, o.host_off + o.host_len);
    if (!l->patterns) {
        l->patterns = preflight_hash_make(p);
    }
    same = apr_hash_get(l->patterns, site, APR_HASH_KEY_STRING);
    if (!same) {
        same = apr_array_make(p, 1, sizeof(int));
        apr_hash_set(l->patterns, site, APR_HASH_KEY_STRING, same);
    }
    APR_ARRAY_PUSH(same, int) = o.port;
}

/* Methods and header names: a short list is searched in order, which
 * costs less than hashing, to build (an .htaccess list is built for every
 * request) and to look up; a longer one is hashed. */
#define SHORT_LIST 8


/* Exact origins (and null) as methods and header names: a few compared
 * in order, more hashed. */
int preflight_exact_has(const preflight_list *l, const char *key)
{
    int i;

    if (l->exact) {
        return apr_hash_get(l->exact, key, APR_HASH_KEY_STRING) != NULL;
    }
    for (i = 0; i < l->exact_few->nelts; i++) {
        const char *k = APR_ARRAY_IDX(l->exact_few, i, const char *);
        if (k[0] == key[0] && !strcmp(k, key)) {
            return 1;
        }
    }
    return 0;
}

static void exact_add(apr_pool_t *p, preflight_list *l, const char *key)
{
    int i;

    if (!l->exact && l->exact_few->nelts < SHORT_LIST) {
        APR_ARRAY_PUSH(l->exact_few, const char *) = key;
        return;
    }
    if (!l->exact) {
        l->exact = preflight_hash_make(p);
        for (i = 0; i < l->exact_few->nelts; i++) {
            const char *k = APR_ARRAY_IDX(l->exact_few, i, const char *);
            apr_hash_set(l->exact, k, APR_HASH_KEY_STRING, k);
        }
        l->exact_few = NULL;
    }
    apr_hash_set(l->exact, key, APR_HASH_KEY_STRING, key);
}

static void hash_when_long(apr_pool_t *p, preflight_list *l)
{
    int i;

    if (l->set || l->keys->nelts <= SHORT_LIST) {
        return;
    }
    l->set = preflight_hash_make(p);
    for (i = 0; i < l->keys->nelts; i++) {
        apr_hash_set(l->set, APR_ARRAY_IDX(l->keys, i, const char *),
                     APR_HASH_KEY_STRING, APR_ARRAY_IDX(l->items, i, const char *));
    }
}

/* Is an item with this key already in a configured list? Origins keep no
 * set of every item: exact ones are in exact, patterns in patterns. */
static int configured_has(const preflight_list *l,
                          const char *key)
{
    preflight_origin o;
    const apr_array_header_t *same;
    int i;

    if (l->kind != PREFLIGHT_LIST_ORIGINS) {
        return preflight_set_has(l, key, APR_HASH_KEY_STRING);
    }
    if (!strchr(key, '*')) {
        return preflight_exact_has(l, key);
    }
    if (preflight_origin_parse(key, 1, &o)) {
        return 0;
    }
    same = l->patterns ? apr_hash_get(l->patterns, key, o.host_off + o.host_len)
                       : NULL;
    for (i = 0; same && i < same->nelts; i++) {
        if (APR_ARRAY_IDX(same, i, int) == o.port) {
            return 1;
        }
    }
    return 0;
}

void preflight_list_add(apr_pool_t *p, preflight_list *l,
                        const apr_array_header_t *items, int any)
{
    preflight_list_kind kind = l->kind;
    int i;

    l->any |= any;
    for (i = 0; i < items->nelts; i++) {
        const char *item = APR_ARRAY_IDX(items, i, const char *);
        const char *key = preflight_item_key(p, kind, item);

        if (configured_has(l, key)) {
            continue;
        }
        APR_ARRAY_PUSH(l->items, const char *) = item;
        APR_ARRAY_PUSH(l->keys, const char *) = key;
        if (kind != PREFLIGHT_LIST_ORIGINS) {
            if (l->set) {
                apr_hash_set(l->set, key, APR_HASH_KEY_STRING, item);
            }
            else {
                hash_when_long(p, l);
            }
        }
        else if (strchr(item, '*')) {
            add_pattern(p, l, item);
        }
        else {
            exact_add(p, l, key);
        }
        if (kind == PREFLIGHT_LIST_ORIGINS && !l->http_origin
            && strncmp(item, "http://", 7) == 0) {
            l->http_origin = item;
        }
    }
    /* Origins are never sent as a list: no joined value to build, which
     * keeps thousands of origins over many lines linear. */
    if (kind != PREFLIGHT_LIST_ORIGINS) {
        l->joined = preflight_join_items(p, l->items, l->any);
    }
    if (kind == PREFLIGHT_LIST_METHODS && l->items->nelts) {
        l->allow = preflight_join_methods_allow(p, (const char *const *)l->items->elts,
                                      l->items->nelts);
    }
}

/* Only origin lists carry the hashes only origins use. */
preflight_list *preflight_list_make(apr_pool_t *p, preflight_list_kind kind,
                                    const apr_array_header_t *items, int any)
{
    preflight_list *l = apr_pcalloc(p, sizeof(*l));

    l->kind = kind;
    l->items = apr_array_make(p, items->nelts + 1, sizeof(const char *));
    l->keys = apr_array_make(p, items->nelts + 1, sizeof(const char *));
    if (kind == PREFLIGHT_LIST_ORIGINS) {
        /* exact_few becomes exact, patterns are made by the first one */
        l->exact_few = apr_array_make(p, 2, sizeof(const char *));
    }
    l->joined = "";
    preflight_list_add(p, l, items, any);
    return l;
}

preflight_list *preflight_list_default(apr_pool_t *p, preflight_list_kind kind)
{
    apr_array_header_t *items = apr_array_make(p, 3, sizeof(const char *));

    if (kind == PREFLIGHT_LIST_METHODS) {
        APR_ARRAY_PUSH(items, const char *) = "GET";
        APR_ARRAY_PUSH(items, const char *) = "HEAD";
        APR_ARRAY_PUSH(items, const char *) = "POST";
    }
    return preflight_list_make(p, kind, items, 0);
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

int preflight_is_method(const char *value)
{
    apr_size_t len = strnlen(value, PREFLIGHT_METHOD_MAX + 1);

    return len <= PREFLIGHT_METHOD_MAX && preflight_is_token(value, len);
}

/* Every configured item is a token, so a value found among them is one: the
 * method check is left for values that are not, and for "*". */
int preflight_method_allowed(const preflight_list *methods, const char *value)
{
    if (!methods) {
        return strcmp(value, "GET") == 0 || strcmp(value, "HEAD") == 0
               || strcmp(value, "POST") == 0;
    }
    if (methods->any) {
        return preflight_is_method(value)
               && !preflight_excluded_key(methods, value);
    }
    return preflight_has_key(methods, value);
}

/* One lower-cased name of a list that passed the length check; a byte
 * that is not a token character was folded to NUL. */
static preflight_headers_verdict folded_name_verdict(
    const preflight_list *headers, const char *lower, int token)
{
    if (!token) {
        return PREFLIGHT_HEADERS_MALFORMED;
    }
    if (headers && preflight_has_key(headers, lower)) {
        return PREFLIGHT_HEADERS_OK;
    }
    if (headers && headers->any && !preflight_excluded_key(headers, lower)) {
        /* Fetch: the "*" wildcard never covers Authorization (browsers
         * accept it; the denial is told apart so the site can see why). */
        return strcmp(lower, "authorization") != 0
               ? PREFLIGHT_HEADERS_OK : PREFLIGHT_HEADERS_DENIED_AUTHORIZATION;
    }
    return PREFLIGHT_HEADERS_DENIED;
}

/* One name of the list, 1 to PREFLIGHT_HEADER_NAME_MAX bytes. Browsers
 * send the names in lower case (Fetch), so a name is most often found as
 * it came: every configured one is a lower-case token, and so then is this
 * one. Any other is folded to lower case first. */
static preflight_headers_verdict header_name_verdict(
    const preflight_list *headers, const char *name, apr_size_t len)
{
    char lower[PREFLIGHT_HEADER_NAME_MAX + 1];
    apr_size_t i;
    int nontoken = 0;

    if (headers && preflight_has_name(headers, name, len)) {
        return PREFLIGHT_HEADERS_OK;
    }
    for (i = 0; i < len; i++) {
        lower[i] = tchar_lower[(unsigned char)name[i]];
        nontoken |= lower[i] == '\0';
    }
    lower[len] = '\0';
    return folded_name_verdict(headers, lower, !nontoken);
}

preflight_headers_verdict preflight_request_headers_check(
    const preflight_list *headers, const char *value,
    const char **bad, apr_size_t *bad_len, int *count)
{
    const char *s = value;
    preflight_headers_verdict verdict;
    int items = 0;

    *count = 0;
    *bad = NULL;
    *bad_len = 0;
    for (;;) {
        const char *name, *end;
        apr_size_t len;

        if (++items > PREFLIGHT_REQUEST_HEADERS_MAX) {
            return PREFLIGHT_HEADERS_MALFORMED;
        }
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        name = s;
        s += strcspn(s, ",");
        end = s;
        while (end > name && (end[-1] == ' ' || end[-1] == '\t')) {
            end--;
        }
        len = end - name;
        if (len > 0) {
            *bad = name;
            *bad_len = len;
            if (len > PREFLIGHT_HEADER_NAME_MAX) {
                return PREFLIGHT_HEADERS_MALFORMED;
            }
            if ((verdict = header_name_verdict(headers, name, len))
                != PREFLIGHT_HEADERS_OK) {
                return verdict;
            }
            (*count)++;
        }
        if (*s == '\0') {
            break;
        }
        s++;                    /* the comma */
    }
    *bad = NULL;
    *bad_len = 0;
    /* A browser sends the header only with names in it: empty is malformed,
     * not "no headers asked". */
    return *count > 0 ? PREFLIGHT_HEADERS_OK : PREFLIGHT_HEADERS_MALFORMED;
}
