/*
 * Unit tests of preflight_html.c and preflight_console.c: HTML escaping,
 * the Accept header's choice between HTML and JSON, the browsers' console
 * words for each refusal and their preflight cache caps (README "The
 * explain handler").
 */

#include <string.h>

#include "apr_strings.h"

#include "../../preflight_html.h"
#include "../../preflight_console.h"
#include "unit.h"

#define FFFD "\xef\xbf\xbd"

/* [input, expected HTML] */
static const char *const html_cases[][2] = {
    { "plain", "plain" },
    { "", "" },
    { "\"><script>alert(1)</script>",
      "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" },
    { "'onmouseover=alert(1) x='", "&#39;onmouseover=alert(1) x=&#39;" },
    { "a&amp;b", "a&amp;amp;b" },
    { "tab\tand\nLF", "tab\tand\nLF" },
    { "x\r\nSet-Cookie: y", "x" FFFD "\nSet-Cookie: y" },
    { "\x01\x1f\x7f", FFFD FFFD FFFD },
    { "\xc3\xa4pp", "\xc3\xa4pp" },                 /* valid UTF-8 kept */
    { "\xe2\x80\x98q\xe2\x80\x99", "\xe2\x80\x98q\xe2\x80\x99" },
    { "\xff\xfe", FFFD FFFD },                      /* never UTF-8 */
    { "\xc3<", FFFD "&lt;" },                       /* cut short by markup */
    { "\xc0\xbc", FFFD FFFD },                      /* overlong "<" */
    { "\xed\xa0\x80", FFFD FFFD FFFD },             /* a surrogate */
};

typedef struct {
    const char *accept;
    int html;
    const char *why;
} accept_case;

static const accept_case accept_cases[] = {
    { NULL, 0, "no Accept: JSON" },
    { "", 0, "empty Accept" },
    { "*/*", 0, "curl's */*: a tie, JSON" },
    { "application/json", 0, "JSON asked for" },
    { "text/html", 1, "HTML asked for" },
    { "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
      "image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
      1, "Chromium's navigation Accept" },
    { "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
      1, "Firefox's navigation Accept" },
    { "application/json, text/html;q=0.9", 0, "JSON weighs more" },
    { "text/html;q=0.5, application/json;q=0.5", 0, "equal weights: JSON" },
    { "text/html;q=0.6, application/json;q=0.5", 1, "HTML weighs more" },
    { "text/*, application/*;q=0.2", 1, "type ranges" },
    { "text/html;q=0, */*", 0, "HTML refused by q=0" },
    { "TEXT/HTML", 1, "case-insensitive" },
    { "text/html ; q=1.000", 1, "spaces around the parameter" },
    { "text/html;q=2", 0, "q out of range: the range counts for nothing" },
    { "text/html;q=0.5x", 0, "q unreadable" },
    { "text/html;level=1;q=0.7, */*;q=0.1", 1, "other parameters ignored" },
    { "text/htmlx", 0, "another subtype" },
    { "text", 0, "no slash" },
    { ",,,;;;/", 0, "only separators" },
    { "text/html, application/json;q=1", 0, "a tie at 1: JSON" },
};

static void test_escape(apr_pool_t *p)
{
    apr_size_t i;

    for (i = 0; i < sizeof(html_cases) / sizeof(html_cases[0]); i++) {
        const char *got = preflight_html_escape(p, html_cases[i][0]);

        check(!strcmp(got, html_cases[i][1]), apr_psprintf(p, "html escape %s",
              html_cases[i][1]), got);
    }
}

static void test_accept(apr_pool_t *p)
{
    apr_size_t i;

    for (i = 0; i < sizeof(accept_cases) / sizeof(accept_cases[0]); i++) {
        const accept_case *c = &accept_cases[i];
        int got = preflight_html_preferred(c->accept);

        check(got == c->html, apr_psprintf(p, "Accept: %s", c->why),
              apr_psprintf(p, "'%s' gave %s", c->accept ? c->accept : "(none)",
                           got ? "HTML" : "JSON"));
    }
}

/* [refusal, preflight, browser, expected, elsewhere expected] */
typedef struct {
    preflight_refusal why;
    int preflight;
    preflight_browser b;
    const char *says, *elsewhere;
} console_case;

#define URL "https://api.example.com/items"
#define LEAD "Access to fetch at '" URL "' from origin 'https://app.example.com' " \
             "has been blocked by CORS policy: "
#define PRE "Response to preflight request doesn't pass access control check: "
#define FF "Cross-Origin Request Blocked: The Same Origin Policy disallows " \
           "reading the remote resource at "
#define NO_ACAO "No 'Access-Control-Allow-Origin' header is present on the " \
                "requested resource."
#define FF_NO_ACAO FF URL ". (Reason: CORS header \xe2\x80\x98" \
                   "Access-Control-Allow-Origin\xe2\x80\x99 missing). Status code: "

static const console_case console_cases[] = {
    { PREFLIGHT_REFUSAL_ORIGIN, 0, PREFLIGHT_BROWSER_CHROMIUM, LEAD NO_ACAO, NULL },
    { PREFLIGHT_REFUSAL_ORIGIN, 1, PREFLIGHT_BROWSER_CHROMIUM, LEAD PRE NO_ACAO, NULL },
    { PREFLIGHT_REFUSAL_ORIGIN, 0, PREFLIGHT_BROWSER_FIREFOX, FF_NO_ACAO "200.", NULL },
    { PREFLIGHT_REFUSAL_METHOD, 1, PREFLIGHT_BROWSER_CHROMIUM, LEAD PRE NO_ACAO,
      LEAD "Method PUT is not allowed by Access-Control-Allow-Methods in "
      "preflight response." },
    { PREFLIGHT_REFUSAL_METHOD, 1, PREFLIGHT_BROWSER_FIREFOX, FF_NO_ACAO "403.",
      FF URL ". (Reason: Did not find method in CORS header \xe2\x80\x98"
      "Access-Control-Allow-Methods\xe2\x80\x99)." },
    { PREFLIGHT_REFUSAL_HEADER, 1, PREFLIGHT_BROWSER_CHROMIUM, LEAD PRE NO_ACAO,
      LEAD "Request header field x-debug is not allowed by "
      "Access-Control-Allow-Headers in preflight response." },
    { PREFLIGHT_REFUSAL_HEADER, 1, PREFLIGHT_BROWSER_FIREFOX, FF_NO_ACAO "403.",
      FF URL ". (Reason: header \xe2\x80\x98x-debug\xe2\x80\x99 is not allowed "
      "according to header \xe2\x80\x98" "Access-Control-Allow-Headers\xe2\x80\x99"
      " from CORS preflight response)." },
    { PREFLIGHT_REFUSAL_HEADERS_MALFORMED, 1, PREFLIGHT_BROWSER_CHROMIUM,
      LEAD PRE NO_ACAO, NULL },
    { PREFLIGHT_REFUSAL_NO_CREDENTIALS, 0, PREFLIGHT_BROWSER_CHROMIUM,
      LEAD "The value of the 'Access-Control-Allow-Credentials' header in the "
      "response is '' which must be 'true' when the request's credentials mode "
      "is 'include'.", NULL },
    { PREFLIGHT_REFUSAL_NO_CREDENTIALS, 1, PREFLIGHT_BROWSER_FIREFOX,
      FF URL ". (Reason: expected \xe2\x80\x98true\xe2\x80\x99 in CORS header "
      "\xe2\x80\x98" "Access-Control-Allow-Credentials\xe2\x80\x99).", NULL },
    { PREFLIGHT_REFUSAL_ANY_WITH_CREDENTIALS, 1, PREFLIGHT_BROWSER_CHROMIUM,
      LEAD PRE "The value of the 'Access-Control-Allow-Origin' header in the "
      "response must not be the wildcard '*' when the request's credentials "
      "mode is 'include'.", NULL },
    { PREFLIGHT_REFUSAL_ANY_WITH_CREDENTIALS, 0, PREFLIGHT_BROWSER_FIREFOX,
      FF "\xe2\x80\x98" URL "\xe2\x80\x99. (Reason: Credential is not supported "
      "if the CORS header \xe2\x80\x98" "Access-Control-Allow-Origin\xe2\x80\x99"
      " is \xe2\x80\x98*\xe2\x80\x99).", NULL },
    { PREFLIGHT_REFUSAL_NONE, 1, PREFLIGHT_BROWSER_CHROMIUM, NULL, NULL },
    { PREFLIGHT_REFUSAL_ORIGIN, 1, PREFLIGHT_BROWSER_WEBKIT, NULL, NULL },
};

static int same(const char *a, const char *b)
{
    return a && b ? !strcmp(a, b) : a == b;
}

static void test_console(apr_pool_t *p)
{
    apr_size_t i;

    for (i = 0; i < sizeof(console_cases) / sizeof(console_cases[0]); i++) {
        const console_case *c = &console_cases[i];
        preflight_console_request rq = { URL, "https://app.example.com", "PUT",
                                         "x-debug", c->preflight,
                                         c->preflight ? 403 : 200 };
        const char *says = preflight_console_says(p, c->b, c->why, &rq);
        const char *elsewhere = preflight_console_elsewhere(p, c->b, c->why, &rq);
        const char *what = apr_psprintf(p, "console %s, refusal %d%s",
                                        preflight_browser_names[c->b], c->why,
                                        c->preflight ? ", preflight" : "");

        check(same(says, c->says), what, says ? says : "(none)");
        check(same(elsewhere, c->elsewhere), apr_pstrcat(p, what, ", elsewhere", NULL),
              elsewhere ? elsewhere : "(none)");
    }
    {
        /* a value with braces is not read as a placeholder */
        preflight_console_request rq = { "https://a/{url}", "null", "{method}",
                                         "{header}", 1, 403 };
        const char *got = preflight_console_elsewhere(p, PREFLIGHT_BROWSER_CHROMIUM,
                                                      PREFLIGHT_REFUSAL_METHOD, &rq);

        check(same(got, "Access to fetch at 'https://a/{url}' from origin 'null' "
                   "has been blocked by CORS policy: Method {method} is not "
                   "allowed by Access-Control-Allow-Methods in preflight response."),
              "console: values are not templates", got);
    }
}

static void test_max_age(apr_pool_t *p)
{
    static const struct { long sent, chromium, firefox, webkit; } rows[] = {
        { PREFLIGHT_MAX_AGE_ABSENT, 5, 5, 5 },
        { 0, 0, 0, 0 },
        { 600, 600, 600, 600 },
        { 601, 601, 601, 600 },
        { 7200, 7200, 7200, 600 },
        { 7201, 7200, 7201, 600 },
        { 86400, 7200, 86400, 600 },
    };
    apr_size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        long c = preflight_max_age_cached(PREFLIGHT_BROWSER_CHROMIUM, rows[i].sent);
        long f = preflight_max_age_cached(PREFLIGHT_BROWSER_FIREFOX, rows[i].sent);
        long w = preflight_max_age_cached(PREFLIGHT_BROWSER_WEBKIT, rows[i].sent);

        check(c == rows[i].chromium && f == rows[i].firefox && w == rows[i].webkit,
              apr_psprintf(p, "max-age %ld cached by each engine", rows[i].sent),
              apr_psprintf(p, "chromium %ld, firefox %ld, webkit %ld", c, f, w));
    }
}

void test_html_and_console(apr_pool_t *p)
{
    test_escape(p);
    test_accept(p);
    test_console(p);
    test_max_age(p);
}
