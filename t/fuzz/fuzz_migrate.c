/*
 * fuzz_migrate: preflight-migrate's configuration reader and its regex
 * evaluation (migrate/conf_reader.c, recipe.c, regex_eval.c, propose.c).
 *
 * The first byte picks the part: even, the rest is a configuration (bit 1:
 * read as .htaccess), read, searched for recipes and proposed for; odd,
 * the rest is an Origin regex (bit 1: caseless, bits 2-3: the group the
 * header sends, 3 meaning the Origin itself) evaluated with PCRE2.
 * Properties besides "no crash": every proposal line is one line (no CR,
 * LF or NUL) and every origin it lists is one mod_preflight accepts; every
 * finding has a known id and a line inside the input; every origin the
 * evaluation proposes is accepted by mod_preflight and admitted by PCRE2;
 * every look-alike it reports is a well-formed origin that PCRE2 admits and
 * the proposed origins refuse.
 */
#include <stdint.h>

#include "apr_general.h"
#include "apr_strings.h"

#include "fuzz_support.h"
#include "../../migrate/migrate.h"
#include "../../preflight_policy.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init_pools();
    mig_psl_init();
    return 0;
}

static int count_lines(const char *s, size_t n)
{
    int lines = 1;
    size_t i;
    for (i = 0; i < n; i++)
        lines += s[i] == '\n';
    return lines;
}

static void check_recipe(const mig_recipe *r, int lines)
{
    int i;
    for (i = 0; i < r->findings->nelts; i++) {
        const mig_finding *f = &APR_ARRAY_IDX(r->findings, i, mig_finding);
        REQUIRE(f->id >= 0 && f->id < MIG_FINDING_COUNT, "finding id %d", (int)f->id);
        REQUIRE(f->line >= 0 && f->line <= lines, "finding line %d of %d", f->line, lines);
    }
    for (i = 0; i < r->proposal->nelts; i++) {
        const char *l = APR_ARRAY_IDX(r->proposal, i, const char *);
        const char *o = l + strspn(l, " ");
        REQUIRE(!strpbrk(l, "\r\n"), "proposal line with CR or LF: %s", l);
        o = strncmp(o, "PreflightAllowOrigin ", 21) ? NULL : o;
        if (o) {
            char *items = apr_pstrdup(pool, o + 21), *tok, *st;
            for (tok = apr_strtok(items, " ", &st); tok; tok = apr_strtok(NULL, " ", &st)) {
                const char *out;
                REQUIRE(!strcmp(tok, "*") || !preflight_item_check(pool, PREFLIGHT_LIST_ORIGINS, tok, &out),
                        "proposed origin '%s' is refused by mod_preflight", tok);
            }
        }
    }
}

static void fuzz_config(const char *s, size_t n, int htaccess)
{
    mig_reader rd;
    mig_node *root;
    apr_array_header_t *recipes = apr_array_make(pool, 4, sizeof(mig_recipe *));
    int i, lines = count_lines(s, n);
    mig_reader_init(&rd, pool, "/nonexistent");
    rd.no_includes = 1;
    root = mig_read_buffer(&rd, "fuzz.conf", s, n, htaccess);
    mig_find_recipes(pool, root, htaccess, recipes);
    for (i = 0; i < rd.problems->nelts; i++) {
        const mig_problem *pr = &APR_ARRAY_IDX(rd.problems, i, mig_problem);
        REQUIRE(pr->line >= 0 && pr->line <= lines, "problem line %d of %d", pr->line, lines);
    }
    for (i = 0; i < recipes->nelts; i++)
        check_recipe(APR_ARRAY_IDX(recipes, i, const mig_recipe *), lines);
}

static void fuzz_regex(const char *re, int caseless, int group)
{
    mig_regex_result *res = mig_regex_eval(pool, re, caseless, group);
    int i;
    if (res->error)
        return;
    for (i = 0; i < res->origins->nelts; i++) {
        const char *o = APR_ARRAY_IDX(res->origins, i, const char *), *out;
        REQUIRE(!preflight_item_check(pool, PREFLIGHT_LIST_ORIGINS, o, &out),
                "proposed origin '%s' is refused by mod_preflight", o);
        if (!strstr(o, "*"))
            REQUIRE(group >= 0 || mig_regex_matches(re, caseless, o) == 1,
                    "proposed origin '%s' is not matched by the regex", o);
    }
    for (i = 0; i < res->lookalikes->nelts; i++) {
        const mig_lookalike *l = &APR_ARRAY_IDX(res->lookalikes, i, mig_lookalike);
        preflight_origin po;
        if (l->id == MIG_PUBLIC_SUFFIX_WILDCARD)
            continue;
        REQUIRE(!preflight_origin_parse(l->origin, 0, &po), "look-alike '%s' is no origin", l->origin);
        REQUIRE(group >= 0 || mig_regex_matches(re, caseless, l->origin) == 1,
                "look-alike '%s' is not matched by the regex", l->origin);
        REQUIRE(!mig_policy_admits(pool, res->origins, l->origin),
                "look-alike '%s' is admitted by the proposal", l->origin);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;
    if (size < 1)
        return 0;
    cur_input = (const char *)data;
    cur_len = size;
    s = exact_copy(data + 1, size - 1);
    if (!(data[0] & 1)) {
        fuzz_config(s, size - 1, data[0] & 2);
    }
    else if (!memchr(data + 1, 0, size - 1) && size - 1 <= 1024) {
        int g = (data[0] >> 2) & 3;
        fuzz_regex(s, data[0] & 2, g == 3 ? -1 : g);
    }
    free(s);
    apr_pool_clear(pool);
    return 0;
}
