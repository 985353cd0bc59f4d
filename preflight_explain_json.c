/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_explain_json.c: the explain handler's answer as JSON, for
 * scripts. Every value from the query or the configuration is a quoted
 * JSON string (preflight_json.c). See README.md, "The explain handler".
 */

#include "apr_strings.h"

#include "httpd.h"

#include "preflight_explain.h"
#include "preflight_json.h"

static const char *json_or_null(apr_pool_t *p, const char *s)
{
    return s ? preflight_json_string(p, s) : "null";
}

static const char *json_words(apr_pool_t *p, const apr_array_header_t *words)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));
    int i;

    for (i = 0; words && i < words->nelts; i++) {
        APR_ARRAY_PUSH(out, const char *) =
            preflight_json_string(p, APR_ARRAY_IDX(words, i, const char *));
    }
    return apr_pstrcat(p, "[", apr_array_pstrcat(p, out, ','), "]", NULL);
}

static const char *json_lines(apr_pool_t *p, const apr_array_header_t *lines)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    int i;

    for (i = 0; i < lines->nelts; i++) {
        const explain_line *l = &APR_ARRAY_IDX(lines, i, explain_line);

        APR_ARRAY_PUSH(out, const char *) = apr_psprintf(p,
            "{\"file\": %s, \"line\": %d}", preflight_json_string(p, l->file), l->line);
    }
    return apr_pstrcat(p, "[", apr_array_pstrcat(p, out, ','), "]", NULL);
}

static const char *json_value(apr_pool_t *p, const explain_value *v)
{
    if (v->is_list) {
        return v->except ? apr_pstrcat(p, json_words(p, v->words), ", \"except\": ",
                                       json_words(p, v->except), NULL)
                         : json_words(p, v->words);
    }
    if (!v->value) {
        return "null";
    }
    return v->number ? v->value : preflight_json_string(p, v->value);
}

static const char *json_console(apr_pool_t *p, const explain_console *c)
{
    if (!c->chromium && !c->firefox) {
        return "null";
    }
    return apr_pstrcat(p, "{\"chromium\": ", json_or_null(p, c->chromium),
                       ", \"firefox\": ", json_or_null(p, c->firefox), "}", NULL);
}

static void json_decision(explain_text *j, const explain_answer *a)
{
    apr_pool_t *p = j->p;
    const explain_decision *d = &a->d;
    const char *console = "null", *max_age = "null";

    if (d->in_scope && a->q.origin) {
        console = apr_pstrcat(p, "{\"chromium\": ", json_or_null(p, d->says.chromium),
                              ", \"firefox\": ", json_or_null(p, d->says.firefox),
                              ",\n      \"other_servers\": ",
                              json_console(p, &d->elsewhere),
                              ",\n      \"with_credentials\": ",
                              json_console(p, &d->with_credentials), "}", NULL);
    }
    if (d->cached) {
        max_age = apr_psprintf(p, "{\"chromium\": %ld, \"firefox\": %ld, "
                               "\"webkit\": %ld}",
                               d->max_age[PREFLIGHT_BROWSER_CHROMIUM],
                               d->max_age[PREFLIGHT_BROWSER_FIREFOX],
                               d->max_age[PREFLIGHT_BROWSER_WEBKIT]);
    }
    explain_add(j, apr_psprintf(p, "  \"decision\": {\"verdict\": %s, \"allowed\": %s, "
                             "\"applied\": %s, \"status\": %s, \"reason\": %s,\n"
                             "    \"console\": %s,\n    \"max_age_by_engine\": %s},\n",
                             json_or_null(p, d->verdict), d->allowed ? "true" : "false",
                             d->applied ? "true" : "false",
                             d->status ? apr_itoa(p, d->status) : "null",
                             json_or_null(p, d->reason), console, max_age));
}

const char *preflight_explain_json(const explain_answer *a)
{
    apr_pool_t *p = a->p;
    explain_text j = { p, apr_array_make(p, 32, sizeof(const char *)) };
    int i;

    if (a->error) {
        return apr_pstrcat(p, "{\"error\": ", preflight_json_string(p, a->error),
                           "}\n", NULL);
    }
    explain_add(&j, apr_psprintf(p, "{\n  \"request\": {\"uri\": %s, \"origin\": %s, "
                              "\"method\": %s, \"headers\": %s, \"kind\": \"%s\"},\n",
                              preflight_json_string(p, a->q.uri),
                              json_or_null(p, a->q.origin), json_or_null(p, a->q.method),
                              json_or_null(p, a->q.headers), a->kind));
    if (a->lookup_refused) {
        explain_add(&j, apr_psprintf(p, "  \"lookup\": {\"status\": %d},\n"
                 "  \"error\": \"httpd refuses a request for this uri (status %d): "
                 "its policy is not shown\"\n}\n", a->lookup_status, a->lookup_status));
        return apr_array_pstrcat(p, j.parts, '\0');
    }
    explain_add(&j, apr_psprintf(p, "  \"lookup\": {\"status\": %d, \"uri\": %s, "
                              "\"filename\": %s, \"handler\": %s},\n  \"mode\": \"%s\",\n",
                              a->lookup_status, preflight_json_string(p, a->lookup_uri),
                              json_or_null(p, a->filename), json_or_null(p, a->handler),
                              a->mode));
    explain_add(&j, preflight_counters_json(p, a->server));
    explain_add(&j, "  \"warnings\": [");
    for (i = 0; i < a->warnings->nelts; i++) {
        explain_add(&j, apr_pstrcat(p, i ? ", " : "", preflight_json_string(p,
                 APR_ARRAY_IDX(a->warnings, i, const char *)), NULL));
    }
    explain_add(&j, "],\n");
    explain_add(&j, "  \"policy\": {\n");
    for (i = 0; i <= PF_TENANT; i++) {
        explain_add(&j, apr_psprintf(p, "    \"%s\": {\"value\": %s, \"set_at\": %s}%s\n",
                                  preflight_explain_directives[i], json_value(p, &a->policy[i]),
                                  json_lines(p, a->policy[i].set_at),
                                  i < PF_TENANT ? "," : ""));
    }
    explain_add(&j, "  },\n");
    json_decision(&j, a);
    explain_add(&j, "  \"headers\": {");
    for (i = 0; i < a->headers->nelts; i++) {
        const explain_header *h = &APR_ARRAY_IDX(a->headers, i, explain_header);

        explain_add(&j, apr_psprintf(p, "%s\n    \"%s\": %s", i ? "," : "", h->name,
                                  preflight_json_string(p, h->value)));
    }
    explain_add(&j, a->headers->nelts ? "\n  }\n}\n" : "}\n}\n");
    return apr_array_pstrcat(p, j.parts, '\0');
}
