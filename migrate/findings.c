/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * findings.c: the stable ids of preflight-migrate's findings and how grave
 * each is. The ids are an interface (scripts grep for them, the tests map
 * every difference between a recipe and its proposal to them): an id is
 * never renamed, only added.
 */

#include <stdarg.h>
#include <string.h>

#include "migrate.h"

static const struct {
    const char *name;
    mig_severity severity;
} finding_ids[MIG_FINDING_COUNT] = {
    [MIG_ANY_ORIGIN_REFLECTED]       = { "any-origin-reflected", MIG_MEDIUM },
    [MIG_CREDENTIALS_ANY_ORIGIN]     = { "credentials-any-origin", MIG_HIGH },
    [MIG_REGEX_UNANCHORED]           = { "regex-unanchored", MIG_HIGH },
    [MIG_REGEX_UNESCAPED_DOT]        = { "regex-unescaped-dot", MIG_HIGH },
    [MIG_REGEX_ADMITS_LOOKALIKE]     = { "regex-admits-lookalike", MIG_HIGH },
    [MIG_NULL_ORIGIN]                = { "null-origin", MIG_MEDIUM },
    [MIG_PUBLIC_SUFFIX_WILDCARD]     = { "public-suffix-wildcard", MIG_HIGH },
    [MIG_NOT_ON_ERRORS]              = { "not-on-errors", MIG_MEDIUM },
    [MIG_VARY_MISSING]               = { "vary-missing", MIG_MEDIUM },
    [MIG_VARY_OVERWRITTEN]           = { "vary-overwritten", MIG_MEDIUM },
    [MIG_OPTIONS_HIJACKED]           = { "options-hijacked", MIG_MEDIUM },
    [MIG_PREFLIGHT_NEEDS_AUTH]       = { "preflight-needs-auth", MIG_MEDIUM },
    [MIG_AUTH_BYPASS]                = { "auth-bypass", MIG_HIGH },
    [MIG_DUPLICATE_HEADER_RISK]      = { "duplicate-header-risk", MIG_MEDIUM },
    [MIG_STAR_HEADERS_AUTHORIZATION] = { "star-headers-authorization", MIG_MEDIUM },
    [MIG_INVALID_CONFIG]             = { "invalid-config", MIG_HIGH },
    [MIG_NOT_TRANSLATED]             = { "not-translated", MIG_LOW },
};

const char *mig_finding_name(mig_finding_id id)
{
    return finding_ids[id].name;
}

/* A look-alike or a null origin is worse where the recipe also lets
 * credentials through: the look-alike then reads the user's data. */
mig_severity mig_finding_severity(mig_finding_id id, int credentials)
{
    if (id == MIG_NULL_ORIGIN && credentials)
        return MIG_HIGH;
    if (id == MIG_ANY_ORIGIN_REFLECTED && credentials)
        return MIG_HIGH;
    return finding_ids[id].severity;
}

const char *mig_severity_name(mig_severity s)
{
    return s == MIG_HIGH ? "high" : s == MIG_MEDIUM ? "medium" : "low";
}

void mig_add_finding(apr_pool_t *p, mig_recipe *r, mig_finding_id id,
                     const char *file, int line, const char *origin,
                     const char *fmt, ...)
{
    mig_finding *f;
    va_list ap;
    int i;
    /* One finding per id and line: the same hole is named once. */
    for (i = 0; i < r->findings->nelts; i++) {
        f = &APR_ARRAY_IDX(r->findings, i, mig_finding);
        if (f->id == id && f->line == line && !strcmp(f->file, file))
            return;
    }
    f = apr_array_push(r->findings);
    f->id = id;
    f->severity = finding_ids[id].severity;
    f->file = file;
    f->line = line;
    f->origin = origin;
    va_start(ap, fmt);
    f->message = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
}

void mig_add_untranslated(apr_pool_t *p, mig_recipe *r, const mig_node *n,
                          const char *why)
{
    mig_untranslated *u = apr_array_push(r->untranslated);
    u->file = n->file;
    u->line = n->line;
    u->text = apr_pstrcat(p, n->name, *n->args ? " " : "", n->args, NULL);
    u->why = why;
}

int mig_highest(const mig_recipe *r)
{
    int i, hi = -1;
    for (i = 0; i < r->findings->nelts; i++) {
        const mig_finding *f = &APR_ARRAY_IDX(r->findings, i, mig_finding);
        int s = mig_finding_severity(f->id, r->credentials);
        if (s > hi)
            hi = s;
    }
    return hi;
}
