/*
 * Unit tests of preflight_json.c: JSON quoting and form decoding, the text
 * the explain handler reads from a query and writes back.
 */

#include <string.h>

#include "apr_strings.h"

#include "../../preflight_json.h"
#include "unit.h"

/* [input, expected JSON] */
static const char *const json_cases[][2] = {
    { "plain", "\"plain\"" },
    { "", "\"\"" },
    { "a\"b\\c", "\"a\\\"b\\\\c\"" },
    { "x\r\nSet-Cookie: y", "\"x\\u000d\\u000aSet-Cookie: y\"" },
    { "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
    { "<script>&", "\"\\u003cscript\\u003e\\u0026\"" },
    { "\xc3\xa4pp", "\"\xc3\xa4pp\"" },                 /* valid UTF-8 kept */
    { "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
    { "\xff\xfe", "\"\\ufffd\\ufffd\"" },              /* never UTF-8 */
    { "\xc3\x28", "\"\\ufffd(\"" },                     /* bad continuation */
    { "\xc0\xaf", "\"\\ufffd\\ufffd\"" },              /* overlong "/" */
    { "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },  /* a surrogate */
    { "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* > U+10FFFF */
    { "\xe2\x82", "\"\\ufffd\\ufffd\"" },              /* cut short at the end */
};

/* [input, verdict, decoded] */
typedef struct {
    const char *in;
    preflight_form_verdict verdict;
    const char *out;
} form_case;

static const form_case form_cases[] = {
    { "https%3A%2F%2Fa.example.com", PREFLIGHT_FORM_OK, "https://a.example.com" },
    { "content-type%2Cx-token", PREFLIGHT_FORM_OK, "content-type,x-token" },
    { "a+b", PREFLIGHT_FORM_OK, "a b" },
    { "%2f%2E%2e", PREFLIGHT_FORM_OK, "/.." },
    { "", PREFLIGHT_FORM_OK, "" },
    { "%", PREFLIGHT_FORM_BAD_ESCAPE, NULL },
    { "%4", PREFLIGHT_FORM_BAD_ESCAPE, NULL },
    { "%zz", PREFLIGHT_FORM_BAD_ESCAPE, NULL },
    { "%00", PREFLIGHT_FORM_BAD_BYTE, NULL },
    { "a%0d%0aX: y", PREFLIGHT_FORM_BAD_BYTE, NULL },
    { "a%0Ab", PREFLIGHT_FORM_BAD_BYTE, NULL },
    { "%7f", PREFLIGHT_FORM_BAD_BYTE, NULL },
    { "%c3%a4", PREFLIGHT_FORM_BAD_BYTE, NULL },
    { "%ff%fe", PREFLIGHT_FORM_BAD_BYTE, NULL },
    { "\xc3\xa4", PREFLIGHT_FORM_BAD_BYTE, NULL },
    { "a\tb", PREFLIGHT_FORM_BAD_BYTE, NULL },
};

void test_json_and_form(apr_pool_t *p)
{
    apr_size_t i;

    for (i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
        const char *got = preflight_json_string(p, json_cases[i][0]);
        check(!strcmp(got, json_cases[i][1]), "JSON string", got);
    }
    for (i = 0; i < sizeof(form_cases) / sizeof(form_cases[0]); i++) {
        char *s = apr_pstrdup(p, form_cases[i].in);
        preflight_form_verdict v = preflight_form_decode(s);
        check(v == form_cases[i].verdict
              && (v != PREFLIGHT_FORM_OK || !strcmp(s, form_cases[i].out)),
              "form decoding", form_cases[i].in);
    }
}

