/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_request.c: what a request asks for. A preflight's fields read
 * from the request headers in one pass; its method, and every name of its
 * Access-Control-Request-Headers, checked against a list. APR only, no
 * httpd.
 */

#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "preflight_policy_private.h"

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

/* Are the eight bytes at s those of lower, with the letters in any case?
 * fold has 0x20 where lower has a letter and 0 elsewhere: or-ing it folds
 * a letter, and leaves '-' to compare exactly. */
static int folded_word_equal(const char *s, const char *lower, const char *fold)
{
    return (preflight_read_word(s) | preflight_read_word(fold)) == preflight_read_word(lower);
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
