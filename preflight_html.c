/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_html.c: HTML escaping, content negotiation between HTML and
 * JSON, and the stylesheet of the explain handler's HTML page. APR only,
 * no httpd: every value the page shows may come from a hostile query, so
 * this is unit-tested and fuzzed on its own.
 */

#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "preflight_html.h"
#include "preflight_json.h"

static char *append(char *o, const char *s)
{
    apr_size_t n = strlen(s);

    memcpy(o, s, n);
    return o + n;
}

const char *preflight_html_escape(apr_pool_t *p, const char *s)
{
    const unsigned char *in = (const unsigned char *)s;
    /* worst case: every byte as &quot; (six bytes) */
    char *out = apr_palloc(p, strlen(s) * 6 + 1);
    char *o = out;

    while (*in) {
        switch (*in) {
        case '&':  o = append(o, "&amp;");  in++; continue;
        case '<':  o = append(o, "&lt;");   in++; continue;
        case '>':  o = append(o, "&gt;");   in++; continue;
        case '"':  o = append(o, "&quot;"); in++; continue;
        case '\'': o = append(o, "&#39;");  in++; continue;
        default:   break;
        }
        if ((*in < 0x20 && *in != '\t' && *in != '\n') || *in == 0x7f) {
            o = append(o, "\xef\xbf\xbd");
            in++;
        }
        else {
            o = preflight_utf8_copy(o, &in, "\xef\xbf\xbd");
        }
    }
    *o = '\0';
    return out;
}

/* ---- Accept (RFC 9110, 12.5.1) */

#define Q_UNREADABLE (-1)

/* A qvalue in thousandths: "0", "0.5", "1.000"; Q_UNREADABLE otherwise. */
static int parse_q(const char *s, apr_size_t n)
{
    int q, scale = 100;
    apr_size_t i;

    if (n == 0 || (s[0] != '0' && s[0] != '1')) {
        return Q_UNREADABLE;
    }
    q = (s[0] - '0') * 1000;
    if (n == 1) {
        return q;
    }
    if (s[1] != '.' || n > 5) {
        return Q_UNREADABLE;
    }
    for (i = 2; i < n; i++, scale /= 10) {
        if (!apr_isdigit(s[i])) {
            return Q_UNREADABLE;
        }
        q += (s[i] - '0') * scale;
    }
    return q > 1000 ? Q_UNREADABLE : q;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* One media range, s[0 .. n): how specifically it matches type/subtype
 * (3 exactly, 2 the type with any subtype, 1 any type, 0 not at all), and
 * its q. */
static int range_match(const char *s, apr_size_t n, const char *type,
                       const char *subtype, int *q)
{
    apr_size_t i = 0, start, tlen = strlen(type), slen = strlen(subtype);
    const char *t, *st;
    apr_size_t t_n, st_n;
    int how;

    while (i < n && is_ows(s[i])) {
        i++;
    }
    t = s + i;
    while (i < n && s[i] != '/' && s[i] != ';' && !is_ows(s[i])) {
        i++;
    }
    t_n = (apr_size_t)(s + i - t);
    if (i >= n || s[i] != '/') {
        return 0;
    }
    st = s + ++i;
    while (i < n && s[i] != ';' && !is_ows(s[i])) {
        i++;
    }
    st_n = (apr_size_t)(s + i - st);
    if (t_n == 1 && *t == '*' && st_n == 1 && *st == '*') {
        how = 1;
    }
    else if (t_n == tlen && !strncasecmp(t, type, tlen)) {
        how = st_n == 1 && *st == '*' ? 2
              : st_n == slen && !strncasecmp(st, subtype, slen) ? 3 : 0;
    }
    else {
        return 0;
    }
    *q = 1000;
    /* parameters: only q counts */
    while (how && i < n) {
        while (i < n && (is_ows(s[i]) || s[i] == ';')) {
            i++;
        }
        start = i;
        while (i < n && s[i] != ';') {
            i++;
        }
        if (i - start >= 2 && (s[start] == 'q' || s[start] == 'Q')
            && s[start + 1] == '=') {
            apr_size_t end = i;

            while (end > start + 2 && is_ows(s[end - 1])) {
                end--;
            }
            *q = parse_q(s + start + 2, end - start - 2);
            if (*q == Q_UNREADABLE) {
                return 0;       /* a range we cannot weigh counts for nothing */
            }
        }
    }
    return how;
}

/* The weight of type/subtype in an Accept value, in thousandths. */
static int weight_of(const char *accept, const char *type, const char *subtype)
{
    const char *s = accept;
    int best = 0, weight = 0;

    while (*s) {
        apr_size_t n = strcspn(s, ",");
        int q, how = range_match(s, n, type, subtype, &q);

        if (how > best || (how == best && how && q > weight)) {
            best = how;
            weight = q;
        }
        s += n;
        if (*s) {
            s++;
        }
    }
    return weight;
}

int preflight_html_preferred(const char *accept)
{
    if (!accept) {
        return 0;
    }
    return weight_of(accept, "text", "html")
           > weight_of(accept, "application", "json");
}

/* ---- the page's stylesheet. Changing a byte changes its hash: run the
 * command in preflight_html_style_hash's comment and paste the result, or
 * browsers ignore the stylesheet (t/explain_inspector.t checks the two
 * agree). */

const char preflight_html_style[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:1.2em auto;max-width:62em;"
    "padding:0 1em;color:#1b1b1b;background:#fff}\n"
    "h1{font-size:1.35em;margin:.2em 0 .8em}\n"
    "h2{font-size:1.1em;margin-top:1.5em;border-bottom:1px solid #ccc}\n"
    "form{display:grid;grid-template-columns:max-content 1fr;gap:.4em .8em;"
    "align-items:center;background:#f4f4f4;padding:1em;border-radius:4px}\n"
    "input{font:inherit;padding:.25em .4em}\n"
    "button{grid-column:2;justify-self:start;font:inherit;padding:.3em 1.2em}\n"
    ".verdict{padding:.5em 1em;border-left:6px solid #888;background:#f4f4f4}\n"
    ".allowed{background:#e8f5e9;border-color:#2e7d32}\n"
    ".denied{background:#fdecea;border-color:#c62828}\n"
    "table{border-collapse:collapse;width:100%}\n"
    "th,td{text-align:left;vertical-align:top;padding:.3em .5em;"
    "border-bottom:1px solid #ddd}\n"
    "code,pre{font-family:ui-monospace,monospace;font-size:.92em}\n"
    "pre{background:#f4f4f4;padding:.7em;white-space:pre-wrap;"
    "overflow-wrap:anywhere}\n"
    "dt{font-weight:bold}dd{margin:0 0 .6em 1.2em}\n"
    ".note{color:#555}\n";

/* The base64 SHA-256 of preflight_html_style's bytes (without the NUL):
 * a program that prints it, piped to openssl dgst -sha256 -binary | base64. */
const char preflight_html_style_hash[] =
    "'sha256-pn+v0ukvkme8YPUrkRxoSsK01fthn4FzfuGnbLL14+I='";
