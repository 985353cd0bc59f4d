/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * propose.c: the mod_preflight policy that does what a recipe does, minus
 * its holes. It goes in the recipe's own section (the same header), starts
 * with PreflightEngine ReportOnly so that it can run next to the recipe
 * (README "Migrating from a recipe"), and uses the directives in the
 * README's order.
 */

#include <string.h>
#include <stdlib.h>

#include "migrate.h"
#include "../preflight_policy.h"

static const char *joined(apr_pool_t *p, const apr_array_header_t *a,
                          preflight_list_kind kind)
{
    const char *s = NULL;
    int i, j;
    for (i = 0; i < a->nelts; i++) {
        const char *item = APR_ARRAY_IDX(a, i, const char *), *out;
        int dup = 0;
        if (strcmp(item, "*") && preflight_item_check(p, kind, item, &out))
            continue;   /* not a token: mod_preflight would refuse the line */
        for (j = 0; j < i; j++)
            if (!strcasecmp(APR_ARRAY_IDX(a, j, const char *), item))
                dup = 1;
        if (dup)
            continue;
        s = s ? apr_pstrcat(p, s, " ", item, NULL) : item;
    }
    return s;
}

static void line(apr_pool_t *p, mig_recipe *r, const char *indent,
                 const char *name, const char *value)
{
    APR_ARRAY_PUSH(r->proposal, const char *) =
        apr_pstrcat(p, indent, name, value ? " " : "", value ? value : "", NULL);
}

/* A control byte (a bare CR, ESC) in a section's header would be copied
 * into the proposal, and from there into a terminal or a configuration. */
static int printable(const char *s)
{
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
            return 0;
    return 1;
}

void mig_propose(apr_pool_t *p, mig_recipe *r)
{
    const char *in;
    int credentials = r->credentials;
    const mig_node *scope = r->scope;

    if (scope && !(printable(scope->name) && printable(scope->args))) {
        mig_add_untranslated(p, r, scope, "its section header holds control characters");
        mig_add_finding(p, r, MIG_NOT_TRANSLATED, scope->file, scope->line, NULL,
                        "the section header holds control characters: the proposal "
                        "is given without it");
        scope = NULL;
    }
    in = scope ? "    " : "";
    r->proposal_wrapped = scope != NULL;
    if (scope)
        APR_ARRAY_PUSH(r->proposal, const char *) = apr_pstrcat(p, "<", scope->name,
            *scope->args ? " " : "", scope->args, ">", NULL);
    line(p, r, in, "PreflightEngine", "ReportOnly");

    switch (r->origin_kind) {
    case MIG_ORIGIN_STAR:
    case MIG_ORIGIN_REFLECT_ANY:
        /* Fetch forbids credentials with *: the module refuses the pair. */
        line(p, r, in, "PreflightAllowOrigin", "*");
        credentials = 0;
        break;
    case MIG_ORIGIN_LIST:
        if (r->origins->nelts)
            line(p, r, in, "PreflightAllowOrigin",
                 joined(p, r->origins, PREFLIGHT_LIST_ORIGINS));
        else
            line(p, r, in, "# PreflightAllowOrigin", "(no origin could be read from the recipe: list them)");
        break;
    case MIG_ORIGIN_NONE:
        break;
    }
    if (r->methods && r->methods->nelts && joined(p, r->methods, PREFLIGHT_LIST_METHODS))
        line(p, r, in, "PreflightAllowMethods", joined(p, r->methods, PREFLIGHT_LIST_METHODS));
    if (r->headers && r->headers->nelts && joined(p, r->headers, PREFLIGHT_LIST_HEADERS))
        line(p, r, in, "PreflightAllowHeaders", joined(p, r->headers, PREFLIGHT_LIST_HEADERS));
    if (r->expose && r->expose->nelts && joined(p, r->expose, PREFLIGHT_LIST_EXPOSE))
        line(p, r, in, "PreflightExposeHeaders", joined(p, r->expose, PREFLIGHT_LIST_EXPOSE));
    if (credentials)
        line(p, r, in, "PreflightAllowCredentials", "On");
    if (r->max_age >= 0)
        line(p, r, in, "PreflightMaxAge",
             apr_itoa(p, r->max_age > 86400 ? 86400 : r->max_age));
    if (scope)
        APR_ARRAY_PUSH(r->proposal, const char *) =
            apr_pstrcat(p, "</", scope->name, ">", NULL);
}
