/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_explain.h: what the explain handler's answer holds, gathered
 * once (preflight_explain.c) and written as JSON (preflight_explain_json.c)
 * or as the inspector's HTML page (preflight_inspector.c). Private to those
 * three files. See README.md, "The explain handler".
 */

#ifndef PREFLIGHT_EXPLAIN_H
#define PREFLIGHT_EXPLAIN_H

#include "mod_preflight_private.h"
#include "preflight_console.h"

/* The directives, in preflight_directive order, as the answer names them;
 * PreflightTenantLimit, a server's, comes last. */
#define PF_TENANT PF_DIRECTIVES
extern const char * const preflight_explain_directives[PF_DIRECTIVES + 1];

/** What the query asks about. */
typedef struct {
    const char *uri, *origin, *method, *headers;
} explain_query;
/** A line of configuration that set a value. */
typedef struct {
    const char *file;           /**< the path, or its last part (NoPaths) */
    int line;
} explain_line;

/** One value of the effective policy. */
typedef struct {
    int is_list;
    const apr_array_header_t *words;   /**< a list's items, "*" first */
    const apr_array_header_t *except;  /**< removed from "*", or NULL */
    const char *value;          /**< otherwise: its text, NULL for none */
    int number;                 /**< that text is a number */
    const apr_array_header_t *set_at;  /**< explain_line; empty: the default */
} explain_value;

/** What Chromium's and Firefox's consoles say; NULL: nothing. */
typedef struct {
    const char *chromium, *firefox;
} explain_console;

/** The decision, as the answer shows it. */
typedef struct {
    const char *verdict;        /**< PREFLIGHT, or NULL */
    int allowed, applied;
    int status;                 /**< the module's answer, 0: not the module's */
    const char *reason;
    int in_scope;
    explain_console says;       /**< for this answer */
    explain_console elsewhere;  /**< for the same refusal by a recipe */
    explain_console with_credentials; /**< for this answer, with credentials */
    int cached;                 /**< an allowed preflight: max_age counts */
    long max_age[PREFLIGHT_BROWSERS];
} explain_decision;

typedef struct {
    const char *name, *value;
} explain_header;

typedef struct {
    apr_pool_t *p;
    int no_paths;               /**< PreflightExplain On NoPaths */
    const char *error;          /**< the query is refused (400) */
    explain_query q;
    const char *kind;           /**< no-origin, preflight, actual */
    int lookup_status;          /**< 0: no lookup was made */
    int lookup_refused;         /**< httpd refuses the uri: nothing shown */
    const char *lookup_uri, *filename, *handler, *mode;
    const server_rec *server;   /**< the uri's virtual host: its counters */
    apr_array_header_t *warnings;       /**< const char *: what goes wrong
                                             before the module decides */
    explain_value policy[PF_DIRECTIVES + 1];
    explain_decision d;
    apr_array_header_t *headers;        /**< explain_header */
} explain_answer;

/** Text collected in parts and sent in one piece. */
typedef struct {
    apr_pool_t *p;
    apr_array_header_t *parts;
} explain_text;

static APR_INLINE void explain_add(explain_text *t, const char *s)
{
    APR_ARRAY_PUSH(t->parts, const char *) = s;
}

/** The answer as JSON. */
const char *preflight_explain_json(const explain_answer *a);

/** The answer as the inspector's page. */
const char *preflight_inspector_page(const explain_answer *a, request_rec *r);

#endif /* PREFLIGHT_EXPLAIN_H */
