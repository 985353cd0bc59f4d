/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * mod_preflight_private.h: what the module's httpd-side files share. Not
 * installed. The pure parts have their own headers (preflight_policy.h,
 * preflight_json.h, preflight_html.h, preflight_console.h) and know
 * nothing of what is here.
 *
 *   mod_preflight.c        phase map, register_hooks, module record
 *   preflight_config.c     directives, per-directory create/merge
 *   preflight_tenant.c     PreflightTenantLimit, per-server create/merge
 *   preflight_decide.c     the decision; the preflight answer
 *   preflight_headers.c    writing and enforcing the response headers
 *   preflight_explain.c    the explain handler
 *   preflight_counters.c   decision counters in shared memory, mod_status
 */

#ifndef MOD_PREFLIGHT_PRIVATE_H
#define MOD_PREFLIGHT_PRIVATE_H

#include "apr_version.h"

#include "httpd.h"
#include "http_config.h"

#include "preflight_policy.h"
#include "preflight_console.h"

extern module AP_MODULE_DECLARE_DATA preflight_module;

#define PREFLIGHT_FILTER "PREFLIGHT"

/* NOINLINE: a function with a large frame that a cheap test in its only
 * caller usually spares (inlined, its frame would be set up for every
 * call). INLINE: the loop of a scan that runs for every response in
 * scope, whose own call would cost more than its body on short tables. */
#if defined(__GNUC__)
#define PREFLIGHT_NOINLINE __attribute__((noinline))
#define PREFLIGHT_INLINE __attribute__((always_inline)) inline
#else
#define PREFLIGHT_NOINLINE
#define PREFLIGHT_INLINE APR_INLINE
#endif
#define PREFLIGHT_EXPLAIN_HANDLER "preflight-explain"

/** PreflightEngine. UNSET (0, what create_dir_config's calloc gives)
 *  inherits. */
typedef enum {
    PREFLIGHT_ENGINE_UNSET = 0,
    PREFLIGHT_ENGINE_OFF,
    PREFLIGHT_ENGINE_ON,
    PREFLIGHT_ENGINE_REPORT_ONLY  /**< decide and log, change nothing */
} preflight_engine;

/** An On/Off directive. UNSET inherits. */
typedef enum {
    PREFLIGHT_FLAG_UNSET = 0,
    PREFLIGHT_FLAG_OFF,
    PREFLIGHT_FLAG_ON
} preflight_flag;

/** PreflightExplain: whether the explain handler may answer here. UNSET
 *  inherits, and is Off. */
typedef enum {
    PREFLIGHT_EXPLAIN_UNSET = 0,
    PREFLIGHT_EXPLAIN_OFF,
    PREFLIGHT_EXPLAIN_ON,
    PREFLIGHT_EXPLAIN_NO_PATHS  /**< On, with file system paths left out */
} preflight_explain_mode;

/** PreflightMaxAge not set in a section. */
#define PREFLIGHT_MAX_AGE_UNSET (-1)

/** The directives of a directory configuration, in the order the explain
 *  handler lists them. */
typedef enum {
    PF_ENGINE, PF_ORIGINS, PF_METHODS, PF_HEADERS, PF_EXPOSE, PF_CREDENTIALS,
    PF_MAX_AGE, PF_PRIVATE_NETWORK, PF_SUCCESS_STATUS, PF_PASSTHROUGH,
    PF_DIRECTIVES               /**< how many there are */
} preflight_directive;

/** The lines of one section that set a value, newest first. The
 *  directive nodes live as long as the configuration they belong to
 *  (pconf, or the request for .htaccess), so a pointer is enough. */
typedef struct preflight_line {
    const ap_directive_t *directive;
    const struct preflight_line *prev;
} preflight_line;

/** Per-directory configuration. UNSET and NULL inherit. */
typedef struct preflight_dir_conf {
    /** a directive of the module is used here (or this is a merge): most
     *  sections a request passes through have none, and merge by pointer */
    int sets;
    preflight_engine engine;
    preflight_list *origins;     /**< NULL: no origin allowed */
    preflight_list *methods;     /**< NULL: GET HEAD POST */
    preflight_list *headers;     /**< NULL: none */
    preflight_list *expose;      /**< NULL: none */
    preflight_flag credentials;
    int max_age;                 /**< seconds, or PREFLIGHT_MAX_AGE_UNSET */
    const char *max_age_value;   /**< max_age as the header value */
    preflight_flag private_network;
    int success_status;          /**< HTTP_OK or HTTP_NO_CONTENT, 0: unset */
    preflight_flag passthrough;
    /** Set only by the server's own configuration, never by .htaccess. */
    preflight_explain_mode explain;
    /** A section's own: the lines that set each value (NULL: not here). */
    const preflight_line *src[PF_DIRECTIVES];
    /** A merged configuration: the two it was merged from, so that the
     *  explain handler can trace each value without merges paying for it. */
    const struct preflight_dir_conf *merged_base, *merged_add;
} preflight_dir_conf;

/** What PreflightTenantLimit keeps out of .htaccess files. */
typedef enum {
    TENANT_CREDENTIALS, TENANT_PRIVATE_NETWORK, TENANT_ANY_ORIGIN,
    TENANT_PASSTHROUGH, TENANT_MAX_AGE,
    TENANT_ITEMS                /**< how many there are */
} preflight_tenant_item;

/** One limit: the item as written and where. */
typedef struct {
    const char *word;           /**< NULL: not limited */
    const ap_directive_t *at;
} preflight_tenant_limit;

/** A server's PreflightTenantLimit lines. */
typedef struct {
    preflight_tenant_limit item[TENANT_ITEMS];
    int max_age;                /**< the cap, 86400 when none */
    apr_array_header_t *words;  /**< the items, as configured */
    apr_array_header_t *lines;  /**< its lines (ap_directive_t *) */
} preflight_tenant_limits;

/** The lists of .htaccess lines, compiled once per process
 *  (preflight_htaccess.c). */
typedef struct preflight_line_cache preflight_line_cache;

/** Bounds of one process's cache: lines past them are compiled per request. */
#define PREFLIGHT_LINE_CACHE_LINES 512
#define PREFLIGHT_LINE_CACHE_BYTES (256 * 1024)

/** What the module decided for a request, as %{PREFLIGHT}e names it
 *  (preflight_verdict_names, preflight_decide.c). Adding one: a line here
 *  and its name there, at the same place; the counters, mod_status and the
 *  explain handler follow. */
typedef enum {
    PF_VERDICT_PREFLIGHT_ALLOWED,
    PF_VERDICT_PREFLIGHT_DENIED_ORIGIN,
    PF_VERDICT_PREFLIGHT_DENIED_METHOD,
    PF_VERDICT_PREFLIGHT_DENIED_HEADER,
    PF_VERDICT_PREFLIGHT_DENIED_AUTHORIZATION,
    PF_VERDICT_CORS_ALLOWED,
    PF_VERDICT_CORS_DENIED_ORIGIN,
    PF_VERDICTS                 /**< how many there are; also: no verdict */
} preflight_verdict;

extern const char * const preflight_verdict_names[PF_VERDICTS];

/** What the output filter did to Access-Control-* headers someone else
 *  set (a proxied backend, a CGI, mod_headers), as %{PREFLIGHT_BACKEND}e
 *  names it (preflight_backend_names, preflight_headers.c). */
typedef enum {
    PF_BACKEND_NONE = 0,        /**< there were none */
    PF_BACKEND_REPLACED,        /**< the module sent its own instead */
    PF_BACKEND_REMOVED,         /**< the module denied: none sent */
    PF_BACKEND_AUDITS           /**< how many there are */
} preflight_backend_audit;

extern const char * const preflight_backend_names[PF_BACKEND_AUDITS];

/** One counter in shared memory (preflight_counters.c): 64 bits where APR
 *  has 64-bit atomics (1.7 and later). */
#if APR_VERSION_AT_LEAST(1, 7, 0)
typedef apr_uint64_t preflight_counter;
#else
typedef apr_uint32_t preflight_counter;
#endif

/** What one child process keeps for itself (preflight_counters.c). */
typedef struct preflight_child preflight_child;

/** Per-server configuration. */
typedef struct {
    /** warnings to repeat into the error log, since directive handlers
     *  only reach the console */
    apr_array_header_t *warnings;
    /** NULL: no limits here (a virtual host inherits the main server's) */
    preflight_tenant_limits *tenant;
    /** this process's cache of .htaccess lists (set in child_init; the
     *  same for every server), NULL before */
    preflight_line_cache *lines;
    /** this server's slot of counters in the shared segment, found in
     *  post_config; NULL when there is none */
    preflight_counter *counters;
    /** the virtual host as mod_status names it ("name.port") */
    const char *counters_label;
    /** set in child_init, in each child */
    preflight_child *child;
} preflight_server_conf;

/** Compiles the first line of a list directive in a section into p (a
 *  reason in cmd->pool when refused). */
typedef const char *(*preflight_line_compiler)(cmd_parms *cmd, apr_pool_t *p,
                                               const char *text,
                                               preflight_list **out);

preflight_line_cache *preflight_line_cache_create(apr_pool_t *pchild,
                                                  server_rec *s);
/** The list of that line, compiled once per process. */
const char *preflight_line_cached(cmd_parms *cmd, preflight_line_cache *c,
                                  preflight_list_kind kind, const char *text,
                                  preflight_line_compiler compile,
                                  preflight_list **out);

/** What a request is, for CORS. */
typedef enum {
    PF_REQUEST_NO_ORIGIN,       /**< no Origin header */
    PF_REQUEST_ACTUAL,          /**< Origin, and not a preflight */
    PF_REQUEST_PREFLIGHT        /**< OPTIONS with Origin and
                                     Access-Control-Request-Method */
} preflight_request_kind;

/** The module's Access-Control-* response headers, in the order it sends
 *  them. Adding one: a name here, its text in preflight_header_names
 *  (preflight_headers.c), and the decision that sets it. */
typedef enum {
    PF_HDR_ALLOW_ORIGIN,
    PF_HDR_ALLOW_CREDENTIALS,
    PF_HDR_ALLOW_METHODS,
    PF_HDR_ALLOW_HEADERS,
    PF_HDR_ALLOW_PRIVATE_NETWORK,
    PF_HDR_MAX_AGE,
    PF_HDR_EXPOSE_HEADERS,
    PF_HDR_COUNT                /**< how many there are */
} preflight_header;

/** Room for each name and its NUL (the longest has 36 characters); a
 *  power of two, so that a key's header is found from its address by a
 *  shift. */
#define PF_HDR_NAME_SIZE 64

extern const char preflight_header_names[PF_HDR_COUNT][PF_HDR_NAME_SIZE];

/** A preflight answered in place of a redirect: its body is dropped, its
 *  headers enforced once. */
typedef enum {
    PF_REDIRECT_NONE = 0,
    PF_REDIRECT_REPLACED,
    PF_REDIRECT_HEADERS_SENT
} preflight_redirect;

/** What an answer depends on: its Vary tokens, and the same joined into
 *  one field value (written whole when the response has no Vary yet). */
typedef struct {
    const char *tokens[4];       /**< NULL-terminated */
    const char *joined;
    unsigned all;                /**< bit i for each tokens[i] */
} preflight_vary;

/** What the module decided for one request, and the headers it sends.
 *  Lives in r->request_config of the request that decided. */
typedef struct {
    const preflight_dir_conf *conf;
    preflight_request_kind kind;
    int allowed;
    int answered;                /**< the module answered the preflight itself */
    const request_rec *answered_in; /**< the request whose type checker
                                      answered it, headers written then */
    preflight_redirect replaced_redirect; /**< that answer took a redirect's place */
    int expose_all;              /**< list the response's own header names */
    int written;                 /**< preflight_write_headers ran for it */
    int sent;                    /**< how many Access-Control-* it wrote */
    int for_explain;             /**< not logged; the reason always kept */
    const char *reason;          /**< why denied, when logged or explained */
    preflight_refusal refusal;   /**< which denial, for the browsers' words */
    const char *refused_header;  /**< the name refused, for the explain handler */
    preflight_verdict verdict;   /**< PF_VERDICTS: none (no Origin) */
    preflight_backend_audit backend; /**< what the output filter did */
    /** The header values (NULL: not sent). The output filter tells them
     *  from anyone else's by address: see preflight_headers.c. */
    const char *value[PF_HDR_COUNT];
    const char *allow;           /**< the Allow header of an answered preflight */
    const preflight_vary *vary;  /**< what the answer depends on */
} preflight_decision;

/** True when configuration comes from an .htaccess file: it is parsed per
 *  request, in a worker thread, so nothing may be recorded server-wide. */
static APR_INLINE int preflight_in_htaccess(const cmd_parms *cmd)
{
    return cmd->pool == cmd->temp_pool;
}

/* preflight_config.c */
extern const command_rec preflight_cmds[];
void *preflight_create_dir_config(apr_pool_t *p, char *dir);
void *preflight_merge_dir_config(apr_pool_t *p, void *basev, void *addv);
void preflight_load_public_suffixes(apr_pool_t *pconf);
void preflight_memoize_merges(apr_pool_t *pconf, server_rec *s);
void preflight_warn_star_headers(apr_pool_t *ptemp, server_rec *s);
/** Seconds from 0 to 86400, or -1 (*out_of_range: digits, but too many). */
long preflight_parse_seconds(const char *arg, int *out_of_range);

/* preflight_tenant.c */
void *preflight_create_server_config(apr_pool_t *p, server_rec *s);
void *preflight_merge_server_config(apr_pool_t *p, void *basev, void *addv);
const preflight_server_conf *preflight_server_config(const server_rec *s);
const char *preflight_set_tenant_limit(cmd_parms *cmd, void *dummy,
                                       const char *arg);
/** In .htaccess, the refusal of a value the host's PreflightTenantLimit
 *  keeps out, worded like a directive AllowOverride does not allow; NULL
 *  where it is allowed. */
const char *preflight_tenant_refusal(cmd_parms *cmd, preflight_tenant_item what,
                                     const char *value);
void preflight_config_warning(cmd_parms *cmd, const char *msg);
void preflight_log_config_warnings(server_rec *s);
/** The list a list directive sets, or NULL for another directive. */
/** Where a section keeps the list of a list directive (NULL for others). */
preflight_list **preflight_list_slot(preflight_dir_conf *conf,
                                     preflight_directive which);
const preflight_list *preflight_list_of(const preflight_dir_conf *conf,
                                        preflight_directive which);

/* Inline: every request asks, in or out of scope, several times. */
static APR_INLINE const preflight_dir_conf *preflight_dir_config(
    const ap_conf_vector_t *v)
{
    return ap_get_module_config(v, &preflight_module);
}

/** In scope: the module decides (On or ReportOnly). */
static APR_INLINE int preflight_in_scope(const preflight_dir_conf *conf)
{
    return conf->engine == PREFLIGHT_ENGINE_ON
           || conf->engine == PREFLIGHT_ENGINE_REPORT_ONLY;
}

/* preflight_decide.c: see preflight_decision_for */
preflight_decision *preflight_decision_made(request_rec *r,
                                            const preflight_dir_conf *conf,
                                            int create);
preflight_decision *preflight_decision_after_redirect(request_rec *r,
                                                      int create);

/** The decision for this request, made once (create) or NULL: none yet,
 *  out of scope, or a sub-request. Inline: every hook of every request
 *  asks, and out of scope the answer is a flag. */
static APR_INLINE preflight_decision *preflight_decision_for(request_rec *r,
                                                            int create)
{
    const preflight_dir_conf *conf;

    if (r->main) {
        return NULL;
    }
    if (r->prev) {
        return preflight_decision_after_redirect(r, create);
    }
    conf = preflight_dir_config(r->per_dir_config);
    return preflight_in_scope(conf) ? preflight_decision_made(r, conf, create)
                                    : NULL;
}

/* preflight_decide.c */
preflight_decision *preflight_decide(request_rec *r,
                                     const preflight_dir_conf *conf,
                                     int for_explain);
int preflight_skip_authn(request_rec *r);
int preflight_answer(request_rec *r);
void preflight_answer_instead_of_redirect(request_rec *r);
int preflight_answer_status(const preflight_decision *d);

/* preflight_headers.c */
void preflight_write_headers(request_rec *r, preflight_decision *d);
void preflight_register_filter(void);
void preflight_note_cache(void);
int preflight_fixups(request_rec *r);
void preflight_insert_filter(request_rec *r);
void preflight_insert_error_filter(request_rec *r);

/* preflight_explain.c */
int preflight_explain(request_rec *r);

/* preflight_counters.c */
int preflight_counters_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                                   server_rec *s);
void preflight_counters_child_init(apr_pool_t *pchild, server_rec *s);
void preflight_register_status_hook(void);
/** One more decision of this server, under On or ReportOnly. */
void preflight_count_verdict(const server_rec *s, preflight_verdict v,
                             int report_only);
void preflight_count_backend(const server_rec *s, preflight_backend_audit a);
/** True when this child may log a dangerous backend value at info now:
 *  once a minute at most (the rest go to debug). */
int preflight_backend_log_due(const server_rec *s, apr_time_t now);
/** The server's counters as a JSON object, for the explain handler. */
const char *preflight_counters_json(apr_pool_t *p, const server_rec *s);
/** The same as a table for the inspector's page. */
const char *preflight_counters_html(apr_pool_t *p, const server_rec *s);

#endif /* MOD_PREFLIGHT_PRIVATE_H */
