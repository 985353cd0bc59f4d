/*
 * What the unit test files share: one counter of checks, and the tests
 * each file adds to main (test_policy.c).
 */

#ifndef PREFLIGHT_UNIT_H
#define PREFLIGHT_UNIT_H

#include "apr_pools.h"

extern int passed, failed;

/** Counts one check; prints what failed, with detail when given. */
void check(int ok, const char *what, const char *detail);

/** test_json.c: JSON quoting and form decoding (preflight_json.c). */
void test_json_and_form(apr_pool_t *p);

/** test_html.c: HTML escaping, Accept, console words and caps
 *  (preflight_html.c, preflight_console.c). */
void test_html_and_console(apr_pool_t *p);

#endif /* PREFLIGHT_UNIT_H */
