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

#include "preflight_policy.h"

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

/* RFC 9110 tchar: a host character or one of !#$%&'*+.^`|~ */
static int is_tchar(char c)
{
    return host_chars[(unsigned char)c] || (c != '\0' && strchr("!#$%&'*+.^`|~", c));
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
static const char *item_key(apr_pool_t *p, preflight_list_kind kind,
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

static int list_has(const apr_array_header_t *items, apr_pool_t *p,
                    preflight_list_kind kind, const char *item)
{
    const char *key = item_key(p, kind, item);
    int i;

    for (i = 0; i < items->nelts; i++) {
        if (strcmp(item_key(p, kind, APR_ARRAY_IDX(items, i, const char *)),
                   key) == 0) {
            return 1;
        }
    }
    return 0;
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
        l->patterns = apr_hash_make(p);
    }
    same = apr_hash_get(l->patterns, site, APR_HASH_KEY_STRING);
    if (!same) {
        same = apr_array_make(p, 1, sizeof(int));
        apr_hash_set(l->patterns, site, APR_HASH_KEY_STRING, same);
    }
    APR_ARRAY_PUSH(same, int) = o.port;
}

/* The items joined with ", " as httpd's own lists are, "*" first when any,
 * and the extra words after them: one allocation, built by hand, since an
 * overlay builds this per request. */
static char *append_word(char *o, const char *start, const char *w)
{
    apr_size_t n = strlen(w);

    if (o != start) {
        *o++ = ',';
        *o++ = ' ';
    }
    memcpy(o, w, n);
    return o + n;
}

static const char *join_words(apr_pool_t *p, int any,
                              const char *const *words, int n,
                              const char *const *extra)
{
    apr_size_t len = any ? 3 : 0;
    char *out, *o;
    int i;

    for (i = 0; i < n; i++) {
        len += strlen(words[i]) + 2;
    }
    for (i = 0; extra && extra[i]; i++) {
        len += strlen(extra[i]) + 2;
    }
    o = out = apr_palloc(p, len + 1);
    if (any) {
        *o++ = '*';
    }
    for (i = 0; i < n; i++) {
        o = append_word(o, out, words[i]);
    }
    for (i = 0; extra && extra[i]; i++) {
        o = append_word(o, out, extra[i]);
    }
    *o = '\0';
    return out;
}

static const char *join_items(apr_pool_t *p, const apr_array_header_t *items,
                              int any)
{
    return join_words(p, any, (const char *const *)items->elts, items->nelts,
                      NULL);
}

/* The Allow header of a preflight answer: the methods, HEAD where GET is,
 * and OPTIONS, each once. Methods compare case-sensitively. */
static const char *join_methods_allow(apr_pool_t *p, const char *const *methods,
                                      int n)
{
    const char *extra[3] = { NULL, NULL, NULL };
    int i, get = 0, head = 0, options = 0, k = 0;

    for (i = 0; i < n; i++) {
        const char *m = methods[i];
        get |= m[0] == 'G' && !strcmp(m, "GET");
        head |= m[0] == 'H' && !strcmp(m, "HEAD");
        options |= m[0] == 'O' && !strcmp(m, "OPTIONS");
    }
    if (get && !head) {
        extra[k++] = "HEAD";
    }
    if (!options) {
        extra[k++] = "OPTIONS";
    }
    return join_words(p, 0, methods, n, extra);
}

/* Methods and header names: a short list is searched in order, which
 * costs less than hashing, to build (an .htaccess list is built for every
 * request) and to look up; a longer one is hashed. */
#define SHORT_LIST 8

static int set_has(const preflight_list *l, const char *key)
{
    int i;

    if (l->set) {
        return apr_hash_get(l->set, key, APR_HASH_KEY_STRING) != NULL;
    }
    for (i = 0; i < l->keys->nelts; i++) {
        const char *k = APR_ARRAY_IDX(l->keys, i, const char *);
        if (k[0] == key[0] && !strcmp(k, key)) {
            return 1;
        }
    }
    return 0;
}

static void hash_when_long(apr_pool_t *p, preflight_list *l)
{
    int i;

    if (l->set || l->keys->nelts <= SHORT_LIST) {
        return;
    }
    l->set = apr_hash_make(p);
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
        return set_has(l, key);
    }
    if (!strchr(key, '*')) {
        return apr_hash_get(l->exact, key, APR_HASH_KEY_STRING) != NULL;
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
        const char *key = item_key(p, kind, item);

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
            apr_hash_set(l->exact, key, APR_HASH_KEY_STRING, item);
        }
        if (kind == PREFLIGHT_LIST_ORIGINS && !l->http_origin
            && strncmp(item, "http://", 7) == 0) {
            l->http_origin = item;
        }
    }
    /* Origins are never sent as a list: no joined value to build, which
     * keeps thousands of origins over many lines linear. */
    if (kind != PREFLIGHT_LIST_ORIGINS) {
        l->joined = join_items(p, l->items, l->any);
    }
    if (kind == PREFLIGHT_LIST_METHODS && l->items->nelts) {
        l->allow = join_methods_allow(p, (const char *const *)l->items->elts,
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
        l->exact = apr_hash_make(p);    /* patterns: made by the first one */
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

static void remove_item(apr_pool_t *p, apr_array_header_t *items,
                        preflight_list_kind kind, const char *item)
{
    const char *key = item_key(p, kind, item);
    int i, j;

    for (i = 0, j = 0; i < items->nelts; i++) {
        const char *it = APR_ARRAY_IDX(items, i, const char *);
        if (strcmp(item_key(p, kind, it), key) != 0) {
            APR_ARRAY_IDX(items, j++, const char *) = it;
        }
    }
    items->nelts = j;
}

preflight_list *preflight_list_edit(apr_pool_t *p, preflight_list_kind kind,
                                    const preflight_list *base,
                                    const apr_array_header_t *edits)
{
    apr_array_header_t *items;
    apr_hash_t *excluded = NULL;
    preflight_list *l;
    int any, i;

    if (!base) {
        base = preflight_list_default(p, kind);
    }
    items = apr_array_copy(p, base->items);
    any = base->any;
    if (base->excluded) {
        excluded = apr_hash_copy(p, base->excluded);
    }
    for (i = 0; i < edits->nelts; i++) {
        const preflight_edit *e = &APR_ARRAY_IDX(edits, i, preflight_edit);
        const char *key = item_key(p, kind, e->item);

        if (strcmp(e->item, "*") == 0) {
            any = (e->op == '+');
            excluded = NULL;
        }
        else if (e->op == '+') {
            if (!list_has(items, p, kind, e->item)) {
                APR_ARRAY_PUSH(items, const char *) = e->item;
            }
            if (excluded) {
                apr_hash_set(excluded, key, APR_HASH_KEY_STRING, NULL);
            }
        }
        else {
            remove_item(p, items, kind, e->item);
            if (any) {
                if (!excluded) {
                    excluded = apr_hash_make(p);
                }
                apr_hash_set(excluded, key, APR_HASH_KEY_STRING, e->item);
            }
        }
    }
    l = preflight_list_make(p, kind, items, any);
    if (excluded && apr_hash_count(excluded)) {
        l->excluded = excluded;
        l->excludes = 1;
    }
    return l;
}

/*
 * Overlays. A +/- list is compiled once, where it is configured, into the
 * net effect of its edits on each item; at request time, merging it onto
 * what it inherits costs one small allocation, and a lookup asks the edit
 * before the list below it. Only what a response needs from the result (its
 * items, joined) is built, and only when it is needed.
 */

struct preflight_net_edit {
    const char *key;
    const char *item;   /* as configured (normalized) */
    char last;          /* '+' or '-': the item's last edit */
    char after_star;    /* its last edit after the list's last "*" edit */
    char removed_first; /* a '-' came before the '+' that adds it */
    int plus_at;        /* the edit that adds it: the first '+' after its
                           last '-' (or its first), -1 when none */
};

/* An edit of the "*" itself. */
static int star_edit(const preflight_edit *e)
{
    return !strcmp(e->item, "*");
}

/* Each item's net edit, in the order a copy would apply them. */
static void compile_net(apr_pool_t *p, preflight_list *l, int last_star)
{
    int i;

    for (i = 0; i < l->edits->nelts; i++) {
        const preflight_edit *e = &APR_ARRAY_IDX(l->edits, i, preflight_edit);
        const char *key;
        preflight_net_edit *n;

        if (star_edit(e)) {
            continue;
        }
        key = item_key(p, l->kind, e->item);
        if (!(n = apr_hash_get(l->net, key, APR_HASH_KEY_STRING))) {
            n = apr_pcalloc(p, sizeof(*n));
            n->key = key;
            n->item = e->item;
            n->plus_at = -1;
            apr_hash_set(l->net, key, APR_HASH_KEY_STRING, n);
            APR_ARRAY_PUSH(l->net_list, preflight_net_edit *) = n;
        }
        if (e->op == '-') {
            n->plus_at = -1;
            n->removed_first = 1;
        }
        else if (n->last != '+' || n->plus_at < 0) {
            n->plus_at = i;
            n->item = e->item;  /* spelled as the edit that adds it */
        }
        n->last = e->op;
        if (i > last_star) {
            n->after_star = e->op;
        }
    }
}

void preflight_list_compile_edits(apr_pool_t *p, preflight_list *l)
{
    int i, last_star = -1;

    l->net = apr_hash_make(p);
    l->net_list = apr_array_make(p, 4, sizeof(preflight_net_edit *));
    l->added = apr_array_make(p, 2, sizeof(preflight_net_edit *));
    l->star = 0;
    for (i = 0; i < l->edits->nelts; i++) {
        const preflight_edit *e = &APR_ARRAY_IDX(l->edits, i, preflight_edit);
        if (star_edit(e)) {
            last_star = i;
            l->star = e->op;
        }
        else if (l->kind == PREFLIGHT_LIST_ORIGINS && strchr(e->item, '*')) {
            l->edits_patterns = 1;
        }
    }
    compile_net(p, l, last_star);
    for (i = 0; i < l->edits->nelts; i++) {
        const preflight_edit *e = &APR_ARRAY_IDX(l->edits, i, preflight_edit);
        const preflight_net_edit *n;

        if (star_edit(e)) {
            continue;
        }
        n = apr_hash_get(l->net, item_key(p, l->kind, e->item),
                         APR_HASH_KEY_STRING);
        l->removes |= n->last == '-';
        l->star_then_removed |= n->after_star == '-';
        if (n->last == '+' && n->plus_at == i) {
            APR_ARRAY_PUSH(l->added, const preflight_net_edit *) = n;
        }
    }
}

/* A few edits are compared one by one, which is cheaper than hashing the
 * key; a long +/- list is looked up in its hash. */
static const preflight_net_edit *net_edit(const preflight_list *edit,
                                          const char *key)
{
    const apr_array_header_t *all = edit->net_list;
    int i;

    if (all->nelts > 8) {
        return apr_hash_get(edit->net, key, APR_HASH_KEY_STRING);
    }
    for (i = 0; i < all->nelts; i++) {
        const preflight_net_edit *n = APR_ARRAY_IDX(all, i, preflight_net_edit *);
        if (n->key[0] == key[0] && !strcmp(n->key, key)) {
            return n;
        }
    }
    return NULL;
}

/* Is an item with this key in the list (the "*" aside)? */
static int has_key(const preflight_list *l, const char *key)
{
    for (; l->base; l = l->base) {
        const preflight_net_edit *n = net_edit(l->edit, key);
        if (n) {
            return n->last == '+';
        }
    }
    if (l->kind == PREFLIGHT_LIST_ORIGINS) {
        return apr_hash_get(l->exact, key, APR_HASH_KEY_STRING) != NULL;
    }
    return set_has(l, key);
}

/* Was this item removed from the list's "*"? */
static int excluded_key(const preflight_list *l, const char *key)
{
    for (; l->base; l = l->base) {
        const preflight_net_edit *n = net_edit(l->edit, key);
        if (l->edit->star) {
            /* a "*" edit clears what was excluded before it */
            return l->any && n && n->after_star == '-';
        }
        if (n) {
            return l->any && n->last == '-';
        }
    }
    return l->excluded
           && apr_hash_get(l->excluded, key, APR_HASH_KEY_STRING) != NULL;
}

/* The list a lookup of patterns ends at: overlays never edit patterns. */
static const preflight_list *configured_below(const preflight_list *l)
{
    while (l->base) {
        l = l->base;
    }
    return l;
}

/* Whether an overlay's "*" has items removed from it, from what is known
 * without building anything; -1 when only its items can tell. */
static int overlay_excludes(const preflight_list *o)
{
    const preflight_list *edit = o->edit;
    const preflight_list *base = o->base;
    apr_hash_index_t *hi;

    if (!o->any) {
        return 0;
    }
    if (edit->star) {
        return edit->star_then_removed;
    }
    if (edit->removes) {
        return 1;
    }
    if (!base->excludes) {
        return 0;
    }
    if (base->base) {
        return -1;
    }
    for (hi = apr_hash_first(NULL, base->excluded); hi; hi = apr_hash_next(hi)) {
        const void *key;
        apr_hash_this(hi, &key, NULL, NULL);
        if (!net_edit(edit, key)) {
            return 1;           /* excluded below and not added back */
        }
    }
    return 0;
}

typedef struct {
    const preflight_list *base;
    preflight_list *merged;
} preflight_list_memo;

static preflight_list *memo_of(const preflight_list *edit,
                               const preflight_list *base)
{
    int i;

    for (i = 0; edit->memo && i < edit->memo->nelts; i++) {
        const preflight_list_memo *m = &APR_ARRAY_IDX(edit->memo, i,
                                                      preflight_list_memo);
        if (m->base == base) {
            return m->merged;
        }
    }
    return NULL;
}

/* The merge itself, without the memo: an overlay where one can be made,
 * else the edits applied to a copy. Two edits merged stay an edit of what
 * comes before them. */
static preflight_list *merge_edit(apr_pool_t *p, const preflight_list *base,
                                  const preflight_list *edit)
{
    preflight_list *l;

    if (!edit->net || edit->edits_patterns) {
        l = preflight_list_edit(p, edit->kind, preflight_list_resolved(p, base),
                                edit->edits);
    }
    else {
        l = apr_pcalloc(p, sizeof(*l));
        l->kind = edit->kind;
        l->base = base;
        l->edit = edit;
        l->any = edit->star ? edit->star == '+' : base->any;
        l->excludes = overlay_excludes(l);
        if (l->excludes < 0) {
            l = (preflight_list *)preflight_list_resolved(p, l);
        }
    }
    if (base->edits) {
        l->edits = apr_array_append(p, base->edits, edit->edits);
    }
    return l;
}

preflight_list *preflight_list_merge_edit(apr_pool_t *p,
                                          const preflight_list *base,
                                          const preflight_list *edit)
{
    preflight_list *l = memo_of(edit, base);

    return l ? l : merge_edit(p, base, edit);
}

void preflight_list_memoize(apr_pool_t *p, const preflight_list *base,
                            preflight_list *edit)
{
    preflight_list_memo *m;
    const preflight_list *merged;

    if (!edit->net || base == edit || memo_of(edit, base)) {
        return;
    }
    if (!edit->memo) {
        edit->memo = apr_array_make(p, 2, sizeof(preflight_list_memo));
    }
    if (edit->memo->nelts >= PREFLIGHT_MEMO_MAX) {
        return;
    }
    /* a configured list: nothing is built when a request reads it */
    merged = preflight_list_resolved(p, merge_edit(p, base, edit));
    m = apr_array_push(edit->memo);
    m->base = base;
    m->merged = (preflight_list *)merged;
    if (base->edits) {
        m->merged->edits = apr_array_append(p, base->edits, edit->edits);
    }
}

/* Does an item of what an overlay edits stay in it? Removed ones do not,
 * nor do ones removed and added again: those move to the end. */
static int keeps(const preflight_list *edit, const char *key)
{
    const preflight_net_edit *n = net_edit(edit, key);

    return !n || (n->last == '+' && !n->removed_first);
}

/* Does an item the edit adds join the end of the list? */
static int appends(const preflight_list *base, const preflight_net_edit *n)
{
    return n->removed_first || !has_key(base, n->key);
}

#define PICK_MAX 32

/* An overlay's items, in order, into pick, when what it edits is a
 * configured list and they fit: the common case costs no allocation.
 * -1 otherwise. */
static int overlay_pick(const preflight_list *o, const char **pick)
{
    const preflight_list *base = o->base, *edit = o->edit;
    int i, n = 0;

    if (base->base || base->items->nelts + edit->added->nelts > PICK_MAX) {
        return -1;
    }
    for (i = 0; i < base->items->nelts; i++) {
        if (keeps(edit, APR_ARRAY_IDX(base->keys, i, const char *))) {
            pick[n++] = APR_ARRAY_IDX(base->items, i, const char *);
        }
    }
    for (i = 0; i < edit->added->nelts; i++) {
        const preflight_net_edit *a = APR_ARRAY_IDX(edit->added, i,
                                                    const preflight_net_edit *);
        if (appends(base, a)) {
            pick[n++] = a->item;
        }
    }
    return n;
}

/* An overlay's items as an array, kept in the overlay, which belongs to
 * one request's merged configuration alone. */
static void overlay_items(apr_pool_t *p, preflight_list *o)
{
    const preflight_list *base = o->base, *edit = o->edit;
    apr_array_header_t *items, *keys;
    int i;

    if (base->base) {
        overlay_items(p, (preflight_list *)base);
    }
    items = apr_array_make(p, base->items->nelts + edit->added->nelts,
                           sizeof(const char *));
    keys = apr_array_make(p, items->nalloc, sizeof(const char *));
    for (i = 0; i < base->items->nelts; i++) {
        const char *key = APR_ARRAY_IDX(base->keys, i, const char *);
        if (keeps(edit, key)) {
            APR_ARRAY_PUSH(items, const char *) = APR_ARRAY_IDX(base->items, i,
                                                                const char *);
            APR_ARRAY_PUSH(keys, const char *) = key;
        }
    }
    for (i = 0; i < edit->added->nelts; i++) {
        const preflight_net_edit *a = APR_ARRAY_IDX(edit->added, i,
                                                    const preflight_net_edit *);
        if (appends(base, a)) {
            APR_ARRAY_PUSH(items, const char *) = a->item;
            APR_ARRAY_PUSH(keys, const char *) = a->key;
        }
    }
    o->items = items;
    o->keys = keys;
}

const apr_array_header_t *preflight_list_items(apr_pool_t *p,
                                               const preflight_list *l)
{
    if (l->base && !l->items) {
        overlay_items(p, (preflight_list *)l);
    }
    return l->items;
}

/* An overlay's items, without building an array when they fit in pick. */
static int items_of(apr_pool_t *p, const preflight_list *l, const char **pick,
                    const char *const **words)
{
    const apr_array_header_t *items;
    int n = l->items ? -1 : overlay_pick(l, pick);

    if (n >= 0) {
        *words = pick;
        return n;
    }
    items = preflight_list_items(p, l);
    *words = (const char *const *)items->elts;
    return items->nelts;
}

/* An overlay's header values, built together: an allowed preflight that
 * needs the methods joined needs their Allow value too. */
static void overlay_values(apr_pool_t *p, preflight_list *o)
{
    const char *pick[PICK_MAX];
    const char *const *words;
    int n = items_of(p, o, pick, &words);

    o->joined = join_words(p, o->any, words, n, NULL);
    if (o->kind == PREFLIGHT_LIST_METHODS && n) {
        o->allow = join_methods_allow(p, words, n);
    }
}

const char *preflight_list_joined(apr_pool_t *p, const preflight_list *l)
{
    if (l->base && !l->joined) {
        overlay_values(p, (preflight_list *)l);
    }
    return l->joined;
}

const char *preflight_list_allow(apr_pool_t *p, const preflight_list *l)
{
    if (l->base && !l->joined) {
        overlay_values(p, (preflight_list *)l);
    }
    return l->allow;
}

const preflight_list *preflight_list_resolved(apr_pool_t *p,
                                              const preflight_list *l)
{
    if (!l || !l->base) {
        return l;
    }
    return preflight_list_edit(p, l->kind, preflight_list_resolved(p, l->base),
                               l->edit->edits);
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
    if (!origins->any && has_key(origins, value)) {
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
        return !excluded_key(origins, key);
    }
    if (has_key(origins, key)) {
        return 1;
    }
    return key == o.key && patterns_match(configured_below(origins), &o);
}

/* Every configured item is a token, so a value found among them is one: the
 * token check is left for values that are not, and for "*". */
int preflight_method_allowed(const preflight_list *methods, const char *value)
{
    if (!methods) {
        return strcmp(value, "GET") == 0 || strcmp(value, "HEAD") == 0
               || strcmp(value, "POST") == 0;
    }
    if (methods->any) {
        return preflight_is_token(value, strlen(value))
               && !excluded_key(methods, value);
    }
    return has_key(methods, value);
}

/* One lower-cased name of a list that passed the length check. */
static preflight_headers_verdict header_name_verdict(
    const preflight_list *headers, const char *name, const char *lower,
    apr_size_t len)
{
    if (headers && has_key(headers, lower)) {
        return PREFLIGHT_HEADERS_OK;
    }
    if (!preflight_is_token(name, len)) {
        return PREFLIGHT_HEADERS_MALFORMED;
    }
    /* Fetch: the "*" wildcard never covers Authorization. */
    if (headers && headers->any && strcmp(lower, "authorization") != 0
        && !excluded_key(headers, lower)) {
        return PREFLIGHT_HEADERS_OK;
    }
    return PREFLIGHT_HEADERS_DENIED;
}

preflight_headers_verdict preflight_request_headers_check(
    const preflight_list *headers, const char *value,
    const char **bad, apr_size_t *bad_len, int *count)
{
    char lower[PREFLIGHT_HEADER_NAME_MAX + 1];
    const char *s = value;
    preflight_headers_verdict verdict;
    int items = 0;

    *count = 0;
    *bad = NULL;
    *bad_len = 0;
    for (;;) {
        const char *name, *end;
        apr_size_t len, i;

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
            for (i = 0; i < len; i++) {
                lower[i] = TO_LOWER(name[i]);
            }
            lower[len] = '\0';
            if ((verdict = header_name_verdict(headers, name, lower, len))
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
    return PREFLIGHT_HEADERS_OK;
}
