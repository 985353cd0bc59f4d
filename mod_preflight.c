/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * mod_preflight: CORS preflights and cross-origin response headers from
 * httpd's own configuration, by the Fetch standard.
 *
 *   LoadModule preflight_module modules/mod_preflight.so
 *
 *   <Location "/api/">
 *       PreflightEngine           On
 *       PreflightAllowOrigin      https://app.example.com https://admin.example.com
 *       PreflightAllowMethods     GET POST PUT DELETE
 *       PreflightAllowHeaders     Content-Type X-Token
 *       PreflightExposeHeaders    X-Request-Id
 *       PreflightAllowCredentials On
 *       PreflightMaxAge           600
 *   </Location>
 *
 * Phases (see README.md, "Behaviour in detail"):
 *   check_access_ex  an in-scope preflight needs no credentials: skip authn
 *   type_checker     answer the preflight (204/200 or 403) before any handler
 *   fixups           decide for every other request, write the headers
 *   output filter    just before the headers go out, make the module's
 *                    Access-Control-* headers the only ones, on errors too
 */

#include "apr_strings.h"
#include "apr_hash.h"
#include "apr_lib.h"

#include <libpsl.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "preflight_policy.h"

module AP_MODULE_DECLARE_DATA preflight_module;

#define PREFLIGHT_UNSET (-1)
#define PREFLIGHT_OFF   0
#define PREFLIGHT_ON    1
#define PREFLIGHT_REPORT 2      /* decide and log, change nothing */

#define PREFLIGHT_FILTER "PREFLIGHT"

#define PREFLIGHT_EXPLAIN_HANDLER "preflight-explain"

/* Set once in register_hooks, before any request; read-only afterwards. It
 * spares every request a lookup of the filter by name. */
static ap_filter_rec_t *preflight_filter_handle;

/* Debian's public suffix list, loaded in pre_config before the configuration
 * is read (and again on each restart); read-only afterwards. NULL when it
 * could not be loaded: wildcards are then refused. */
static const psl_ctx_t *preflight_psl;

/** The directives, in the order the explain handler lists them. */
typedef enum {
    PF_ENGINE, PF_ORIGINS, PF_METHODS, PF_HEADERS, PF_EXPOSE, PF_CREDENTIALS,
    PF_MAX_AGE, PF_PRIVATE_NETWORK, PF_SUCCESS_STATUS, PF_PASSTHROUGH,
    PF_DIRECTIVES
} preflight_directive;

static const char * const directive_names[PF_DIRECTIVES] = {
    "PreflightEngine", "PreflightAllowOrigin", "PreflightAllowMethods",
    "PreflightAllowHeaders", "PreflightExposeHeaders",
    "PreflightAllowCredentials", "PreflightMaxAge",
    "PreflightAllowPrivateNetwork", "PreflightSuccessStatus",
    "PreflightPassthrough"
};

/** The lines of one section that set a value, newest first. The
 *  directive nodes live as long as the configuration they belong to
 *  (pconf, or the request for .htaccess), so a pointer is enough. */
typedef struct preflight_line {
    const ap_directive_t *directive;
    const struct preflight_line *prev;
} preflight_line;

/** Per-directory configuration. UNSET and NULL inherit. */
typedef struct preflight_dir_conf {
    int engine;                  /**< PREFLIGHT_ON/OFF/UNSET */
    preflight_list *origins;     /**< NULL: no origin allowed */
    preflight_list *methods;     /**< NULL: GET HEAD POST */
    preflight_list *headers;     /**< NULL: none */
    preflight_list *expose;      /**< NULL: none */
    int credentials;
    int max_age;                 /**< seconds, UNSET: not sent */
    const char *max_age_value;   /**< max_age as the header value */
    int private_network;
    int success_status;          /**< HTTP_OK or HTTP_NO_CONTENT, 0: unset */
    int passthrough;
    /** A section's own: the lines that set each value (NULL: not here). */
    const preflight_line *src[PF_DIRECTIVES];
    /** A merged configuration: the two it was merged from, so that the
     *  explain handler can trace each value without merges paying for it. */
    const struct preflight_dir_conf *merged_base, *merged_add;
} preflight_dir_conf;

/* What PreflightTenantLimit keeps out of .htaccess files. */
typedef enum {
    TENANT_CREDENTIALS, TENANT_PRIVATE_NETWORK, TENANT_ANY_ORIGIN,
    TENANT_PASSTHROUGH, TENANT_MAX_AGE, TENANT_ITEMS
} preflight_tenant_item;

/* The items that take no value, in preflight_tenant_item order. */
static const char * const tenant_flag_names[TENANT_MAX_AGE] = {
    "credentials", "private-network", "any-origin", "passthrough"
};

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

/** Per-server configuration. */
typedef struct {
    /** warnings to repeat into the error log, since directive handlers
     *  only reach the console */
    apr_array_header_t *warnings;
    /** NULL: no limits here (a virtual host inherits the main server's) */
    preflight_tenant_limits *tenant;
} preflight_server_conf;

typedef enum {
    PREFLIGHT_NO_ORIGIN,
    PREFLIGHT_ACTUAL,
    PREFLIGHT_PREFLIGHT
} preflight_kind;

/** What the module decided for one request, and the headers it sends.
 *  Lives in r->request_config of the request that decided. */
typedef struct {
    const preflight_dir_conf *conf;
    preflight_kind kind;
    int allowed;
    int answered;                /**< the module answered the preflight itself */
    int expose_all;              /**< list the response's own header names */
    int written;                 /**< set_headers ran for this decision */
    int sent;                    /**< how many Access-Control-* it set */
    int quiet;                   /**< for the explain handler: no log */
    const char *reason;          /**< why denied, when logged or quiet */
    const char *acao, *acac, *acam, *acah, *acma, *acapn, *aceh, *allow;
    const char * const *vary;    /**< tokens the answer depends on */
} preflight_decision;

/* The module's Access-Control-* response headers, in the order it sends
 * them, and where a decision holds each value. */
static const struct {
    const char *name;
    apr_size_t offset;
} cors_fields[] = {
    { "Access-Control-Allow-Origin", APR_OFFSETOF(preflight_decision, acao) },
    { "Access-Control-Allow-Credentials", APR_OFFSETOF(preflight_decision, acac) },
    { "Access-Control-Allow-Methods", APR_OFFSETOF(preflight_decision, acam) },
    { "Access-Control-Allow-Headers", APR_OFFSETOF(preflight_decision, acah) },
    { "Access-Control-Allow-Private-Network", APR_OFFSETOF(preflight_decision, acapn) },
    { "Access-Control-Max-Age", APR_OFFSETOF(preflight_decision, acma) },
    { "Access-Control-Expose-Headers", APR_OFFSETOF(preflight_decision, aceh) },
    { NULL, 0 }
};

#define CORS_FIELD(d, i) \
    (*(const char * const *)((const char *)(d) + cors_fields[i].offset))

/* What an answer can depend on, as Vary tokens. */
static const char * const vary_origin[] = { "Origin", NULL };
static const char * const vary_origin_method[] = {
    "Origin", "Access-Control-Request-Method", NULL
};
static const char * const vary_origin_headers[] = {
    "Origin", "Access-Control-Request-Headers", NULL
};
static const char * const vary_origin_method_headers[] = {
    "Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers",
    NULL
};

/* Response headers a script may read without being exposed (Fetch). */
static const char * const safelisted_response_headers[] = {
    "cache-control", "content-language", "content-length", "content-type",
    "expires", "last-modified", "pragma", NULL
};

/* True when configuration comes from an .htaccess file: it is parsed per
 * request, in a worker thread, so nothing may be recorded server-wide. */
static int in_htaccess(const cmd_parms *cmd)
{
    return cmd->pool == cmd->temp_pool;
}

static void config_warning(cmd_parms *cmd, const char *msg)
{
    preflight_server_conf *sconf;

    if (in_htaccess(cmd)) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, cmd->server, "%s", msg);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server, "%s", msg);
    sconf = ap_get_module_config(cmd->server->module_config, &preflight_module);
    APR_ARRAY_PUSH(sconf->warnings, const char *) = msg;
}

/* Records where a directive line set a value: a new value starts the list,
 * another line of a list directive in the same section extends it. */
static void note_source(cmd_parms *cmd, preflight_dir_conf *conf,
                        preflight_directive which, int extend)
{
    preflight_line *l = apr_palloc(cmd->pool, sizeof(*l));

    l->directive = cmd->directive;
    l->prev = extend ? conf->src[which] : NULL;
    conf->src[which] = l;
}

static preflight_server_conf *server_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &preflight_module);
}

/* In .htaccess, a value the host's PreflightTenantLimit keeps out is
 * refused like a directive that AllowOverride does not allow. */
static const char *tenant_refusal(cmd_parms *cmd, preflight_tenant_item what,
                                  const char *value)
{
    const preflight_tenant_limits *t;
    const preflight_tenant_limit *limit;

    if (!in_htaccess(cmd)) {
        return NULL;            /* the host's own configuration */
    }
    t = server_conf(cmd->server)->tenant;
    limit = t ? &t->item[what] : NULL;
    if (!limit || !limit->word) {
        return NULL;
    }
    return apr_psprintf(cmd->pool, "%s %s: not allowed in .htaccess here: "
                        "PreflightTenantLimit %s (%s:%d) keeps it to the "
                        "server configuration", cmd->cmd->name, value,
                        limit->word, limit->at->filename, limit->at->line_num);
}

/* Credentials with any origin is the classic CORS hole, and Fetch forbids
 * it; plain http with credentials only invites a warning. */
static const char *check_credentials(cmd_parms *cmd, preflight_dir_conf *conf)
{
    if (conf->credentials != PREFLIGHT_ON || !conf->origins) {
        return NULL;
    }
    if (conf->origins->any) {
        return "PreflightAllowOrigin * cannot be used with "
               "PreflightAllowCredentials On: Fetch forbids credentials for "
               "any origin; list the origins that may send credentials";
    }
    if (conf->origins->http_origin) {
        config_warning(cmd, apr_psprintf(cmd->pool,
            "%s:%d: PreflightAllowOrigin '%s' is plain http while "
            "PreflightAllowCredentials is On: anyone on that network path can "
            "impersonate it and read credentialed responses; prefer https",
            cmd->directive->filename, cmd->directive->line_num,
            conf->origins->http_origin));
    }
    return NULL;
}

static const char *set_engine(cmd_parms *cmd, void *dconf, const char *arg)
{
    preflight_dir_conf *conf = dconf;

    if (!strcasecmp(arg, "On")) {
        conf->engine = PREFLIGHT_ON;
    }
    else if (!strcasecmp(arg, "Off")) {
        conf->engine = PREFLIGHT_OFF;
    }
    else if (!strcasecmp(arg, "ReportOnly")) {
        conf->engine = PREFLIGHT_REPORT;
    }
    else {
        return apr_psprintf(cmd->pool, "%s '%s': must be On, Off or ReportOnly",
                            cmd->cmd->name, arg);
    }
    note_source(cmd, conf, PF_ENGINE, 0);
    return NULL;
}

static preflight_list **list_slot(preflight_dir_conf *conf,
                                  preflight_list_kind kind)
{
    switch (kind) {
    case PREFLIGHT_LIST_ORIGINS: return &conf->origins;
    case PREFLIGHT_LIST_METHODS: return &conf->methods;
    case PREFLIGHT_LIST_HEADERS: return &conf->headers;
    default:                     return &conf->expose;
    }
}

static int is_edit(const char *item)
{
    return item[0] == '+' || item[0] == '-';
}

/* A wildcard over a public suffix (*.co.uk) lets anyone who
 * registers a name there in; libpsl decides with Debian's list, explicit
 * rules only, so an unlisted name such as *.localhost or *.corp stays. */
static const char *public_suffix_refusal(apr_pool_t *p, const char *norm)
{
    preflight_origin o;
    const char *parent;

    if (!strstr(norm, "://*.") || preflight_origin_parse(norm, 1, &o)
        || !o.wildcard) {
        return NULL;
    }
    parent = apr_pstrmemdup(p, o.key + o.host_off + 1, o.host_len - 1);
    if (!preflight_psl) {
        return "the public suffix list could not be loaded to check this "
               "wildcard (install Debian's publicsuffix package)";
    }
    if (psl_is_public_suffix2(preflight_psl, parent,
                              PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE)) {
        return apr_psprintf(p, "'%s' is a public suffix: anyone who registers "
                            "a name under it would be allowed; name your own "
                            "domain, as in https://*.example.%s", parent, parent);
    }
    return NULL;
}

/* One handler for the four list directives (cmd->info names the kind). All
 * lines of a directive in one section form one list; it either replaces the
 * inherited list or, when every item starts with + or -, edits it. */
static const char *set_list_items(cmd_parms *cmd, void *dconf, int argc,
                                  char *const argv[])
{
    preflight_dir_conf *conf = dconf;
    preflight_list_kind kind = (preflight_list_kind)(apr_uintptr_t)cmd->info;
    preflight_list **slot = list_slot(conf, kind);
    const preflight_list *prev = *slot;
    const char *name = cmd->cmd->name;
    apr_array_header_t *items, *edits;
    const char *why_any;
    int any, editing = 0, i;

    if (argc == 0) {
        return apr_psprintf(cmd->pool, "%s needs at least one item", name);
    }
    for (i = 0; i < argc; i++) {
        editing += is_edit(argv[i]);
    }
    if ((editing && editing != argc) || (prev && (prev->edits != NULL) != (editing > 0))) {
        /* name the first item that breaks the section's way of listing */
        int edits_first = prev ? prev->edits != NULL : is_edit(argv[0]);
        for (i = 0; i < argc - 1 && is_edit(argv[i]) == edits_first; i++)
            ;
        return apr_psprintf(cmd->pool, "%s '%s': either every item of a "
                            "section starts with + or -, or none does",
                            name, argv[i]);
    }

    items = apr_array_make(cmd->pool, argc, sizeof(const char *));
    edits = prev && prev->edits
            ? apr_array_copy(cmd->pool, prev->edits)
            : apr_array_make(cmd->pool, argc, sizeof(preflight_edit));
    any = prev && !prev->edits && prev->any;
    if (kind == PREFLIGHT_LIST_ORIGINS && any) {
        return apr_psprintf(cmd->pool, "%s '%s': '*' cannot be combined with "
                            "other origins", name, argv[0]);
    }

    for (i = 0; i < argc; i++) {
        const char *item = editing ? argv[i] + 1 : argv[i];
        const char *why, *norm = item;

        if (!strcmp(item, "*")) {
            if (kind == PREFLIGHT_LIST_ORIGINS
                && (editing || argc > 1 || (prev && prev->items->nelts))) {
                return apr_psprintf(cmd->pool, "%s '%s': '*' cannot be combined "
                                    "with other origins or edited; it already "
                                    "allows every origin", name, argv[i]);
            }
        }
        else if (!*item) {
            return apr_psprintf(cmd->pool, "%s '%s': an empty item", name, argv[i]);
        }
        else if ((why = preflight_item_check(cmd->pool, kind, item, &norm))
                 || (kind == PREFLIGHT_LIST_ORIGINS
                     && (why = public_suffix_refusal(cmd->temp_pool, norm)))) {
            return apr_psprintf(cmd->pool, "%s '%s': %s", name, item, why);
        }
        else if (kind == PREFLIGHT_LIST_ORIGINS && any) {
            return apr_psprintf(cmd->pool, "%s '%s': '*' cannot be combined "
                                "with other origins", name, item);
        }

        if (editing) {
            preflight_edit *e = apr_array_push(edits);
            e->op = argv[i][0];
            e->item = norm;
        }
        else if (!strcmp(item, "*")) {
            any = 1;
        }
        else {
            APR_ARRAY_PUSH(items, const char *) = norm;
        }
    }
    if (kind == PREFLIGHT_LIST_ORIGINS && any
        && (why_any = tenant_refusal(cmd, TENANT_ANY_ORIGIN, "*"))) {
        return why_any;
    }

    if (editing) {
        *slot = preflight_list_edit(cmd->pool, kind, NULL, edits);
        (*slot)->edits = edits;
    }
    else if (prev) {
        /* earlier lines of this section: the list is this section's own */
        preflight_list_add(cmd->pool, (preflight_list *)prev, items, any);
    }
    else {
        *slot = preflight_list_make(cmd->pool, kind, items, any);
    }
    /* list kinds follow PF_ENGINE in directive order */
    note_source(cmd, conf, PF_ORIGINS + kind, prev != NULL);
    return kind == PREFLIGHT_LIST_ORIGINS ? check_credentials(cmd, conf) : NULL;
}

/* httpd's TAKE_ARGV stops at 64 words and drops the rest without a word;
 * lists of origins are longer than that, so the line is split here. */
static const char *set_list(cmd_parms *cmd, void *dconf, const char *args)
{
    apr_array_header_t *words = apr_array_make(cmd->temp_pool, 16, sizeof(char *));
    const char *w;

    while (*(w = ap_getword_conf(cmd->pool, &args)) != '\0') {
        APR_ARRAY_PUSH(words, const char *) = w;
    }
    return set_list_items(cmd, dconf, words->nelts, (char *const *)words->elts);
}

/** An On/Off directive that PreflightTenantLimit can keep out of .htaccess. */
typedef struct {
    apr_size_t offset;                  /**< its field in preflight_dir_conf */
    preflight_directive which;
    preflight_tenant_item limit;
} limited_flag;

static const limited_flag credentials_flag = {
    APR_OFFSETOF(preflight_dir_conf, credentials), PF_CREDENTIALS, TENANT_CREDENTIALS
};
static const limited_flag private_network_flag = {
    APR_OFFSETOF(preflight_dir_conf, private_network), PF_PRIVATE_NETWORK,
    TENANT_PRIVATE_NETWORK
};
static const limited_flag passthrough_flag = {
    APR_OFFSETOF(preflight_dir_conf, passthrough), PF_PASSTHROUGH, TENANT_PASSTHROUGH
};

static const char *set_limited_flag(cmd_parms *cmd, void *dconf, int flag)
{
    const limited_flag *f = cmd->info;
    const char *why;

    if (flag && (why = tenant_refusal(cmd, f->limit, "On"))) {
        return why;
    }
    *(int *)((char *)dconf + f->offset) = flag ? PREFLIGHT_ON : PREFLIGHT_OFF;
    note_source(cmd, dconf, f->which, 0);
    return f == &credentials_flag ? check_credentials(cmd, dconf) : NULL;
}

/* Seconds from 0 to 86400, or -1 when arg is not that. */
static long parse_seconds(const char *arg, int *out_of_range)
{
    apr_size_t i, len = strlen(arg);
    long v = 0;

    for (i = 0; i < len && arg[i] >= '0' && arg[i] <= '9'; i++) {
        if (v <= 86400) {       /* stop growing: the value is out of range */
            v = v * 10 + (arg[i] - '0');
        }
    }
    *out_of_range = len && i == len;
    return len == 0 || i != len || v > 86400 ? -1 : v;
}

static const char *set_max_age(cmd_parms *cmd, void *dconf, const char *arg)
{
    preflight_dir_conf *conf = dconf;
    const preflight_tenant_limits *t = server_conf(cmd->server)->tenant;
    int out_of_range;
    long v = parse_seconds(arg, &out_of_range);

    if (v < 0) {
        return apr_psprintf(cmd->pool, "%s '%s': %s; give a whole number of "
                            "seconds from 0 to 86400", cmd->cmd->name, arg,
                            out_of_range ? "out of range" : "not a number");
    }
    if (t && v > t->max_age) {
        const char *why = tenant_refusal(cmd, TENANT_MAX_AGE, arg);
        if (why) {
            return why;
        }
    }
    conf->max_age = (int)v;
    conf->max_age_value = apr_ltoa(cmd->pool, v);
    note_source(cmd, conf, PF_MAX_AGE, 0);
    return NULL;
}

static const char *set_success_status(cmd_parms *cmd, void *dconf,
                                      const char *arg)
{
    preflight_dir_conf *conf = dconf;

    if (!strcmp(arg, "200")) {
        conf->success_status = HTTP_OK;
    }
    else if (!strcmp(arg, "204")) {
        conf->success_status = HTTP_NO_CONTENT;
    }
    else {
        return apr_psprintf(cmd->pool, "%s '%s': must be 200 or 204",
                            cmd->cmd->name, arg);
    }
    note_source(cmd, conf, PF_SUCCESS_STATUS, 0);
    return NULL;
}

static preflight_tenant_item tenant_item(const char *arg)
{
    int i;

    for (i = 0; i < TENANT_MAX_AGE; i++) {
        if (!strcasecmp(arg, tenant_flag_names[i])) {
            return i;
        }
    }
    return strncasecmp(arg, "max-age=", 8) ? TENANT_ITEMS : TENANT_MAX_AGE;
}

/* ITERATE calls once per item: a line is noted once. */
static void note_tenant_line(cmd_parms *cmd, preflight_tenant_limits *t)
{
    apr_array_header_t *lines = t->lines;

    if (!lines->nelts || APR_ARRAY_IDX(lines, lines->nelts - 1,
                                       const ap_directive_t *) != cmd->directive) {
        APR_ARRAY_PUSH(lines, const ap_directive_t *) = cmd->directive;
    }
}

/* PreflightTenantLimit: one item per call (ITERATE); lines add up. */
static const char *set_tenant_limit(cmd_parms *cmd, void *dummy, const char *arg)
{
    preflight_server_conf *sconf = server_conf(cmd->server);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    preflight_tenant_limits *t;
    preflight_tenant_item item;
    int out_of_range, none;

    if (err) {
        return err;
    }
    if (!sconf->tenant) {       /* the first line here replaces inherited limits */
        sconf->tenant = apr_pcalloc(cmd->pool, sizeof(*sconf->tenant));
        sconf->tenant->max_age = 86400;
        sconf->tenant->words = apr_array_make(cmd->pool, 4, sizeof(const char *));
        sconf->tenant->lines = apr_array_make(cmd->pool, 1, sizeof(const ap_directive_t *));
    }
    t = sconf->tenant;
    none = !strcasecmp(arg, "none");
    if ((none && t->words->nelts) || (t->words->nelts
        && !strcasecmp(APR_ARRAY_IDX(t->words, 0, const char *), "none"))) {
        return apr_psprintf(cmd->pool, "PreflightTenantLimit '%s': 'none' "
                            "stands alone, as the only item", arg);
    }
    item = none ? TENANT_ITEMS : tenant_item(arg);
    if (!none && item == TENANT_ITEMS) {
        return apr_psprintf(cmd->pool, "PreflightTenantLimit '%s': unknown item; "
                            "use credentials, private-network, any-origin, "
                            "passthrough, max-age=N or none", arg);
    }
    if (item == TENANT_MAX_AGE) {
        long v = parse_seconds(arg + 8, &out_of_range);
        if (v < 0) {
            return apr_psprintf(cmd->pool, "PreflightTenantLimit '%s': the cap "
                                "must be a whole number of seconds from 0 to "
                                "86400", arg);
        }
        if (t->item[item].word && v >= t->max_age) {
            item = TENANT_ITEMS;        /* a lower cap is already in force */
        }
        else {
            t->max_age = (int)v;
        }
    }
    if (item != TENANT_ITEMS) {
        t->item[item].word = arg;
        t->item[item].at = cmd->directive;
    }
    APR_ARRAY_PUSH(t->words, const char *) = arg;
    note_tenant_line(cmd, t);
    return NULL;
}

static void *create_dir_config(apr_pool_t *p, char *dir)
{
    preflight_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->engine = PREFLIGHT_UNSET;
    conf->credentials = PREFLIGHT_UNSET;
    conf->max_age = PREFLIGHT_UNSET;
    conf->private_network = PREFLIGHT_UNSET;
    conf->passthrough = PREFLIGHT_UNSET;
    return conf;
}

/* An edited list is applied to what it inherits here, at merge time; a
 * replacing list or an unset one costs a pointer copy. */
static preflight_list *merge_list(apr_pool_t *p, preflight_list_kind kind,
                                  preflight_list *base, preflight_list *add)
{
    preflight_list *l;

    if (!add) {
        return base;
    }
    /* An edit of the default is already applied, and keeps its edits for
     * a later merge onto a list set elsewhere (Location sections are
     * merged together before they meet the Directory result). */
    if (!add->edits || !base) {
        return add;
    }
    l = preflight_list_edit(p, kind, base, add->edits);
    if (base->edits) {
        /* both edit: together they still edit what comes before them */
        l->edits = apr_array_append(p, base->edits, add->edits);
    }
    return l;
}

static int sets_nothing(const preflight_dir_conf *c)
{
    return c->engine == PREFLIGHT_UNSET && !c->origins && !c->methods
           && !c->headers && !c->expose && c->credentials == PREFLIGHT_UNSET
           && c->max_age == PREFLIGHT_UNSET
           && c->private_network == PREFLIGHT_UNSET && !c->success_status
           && c->passthrough == PREFLIGHT_UNSET;
}

static void *merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    preflight_dir_conf *base = basev, *add = addv;
    preflight_dir_conf *conf;

    /* Most sections a request passes through say nothing about CORS, and
     * httpd merges per request: share instead of copying. */
    if (sets_nothing(add)) {
        return base;
    }
    if (sets_nothing(base)) {
        return add;
    }
    conf = apr_palloc(p, sizeof(*conf));

    conf->engine = add->engine != PREFLIGHT_UNSET ? add->engine : base->engine;
    conf->origins = merge_list(p, PREFLIGHT_LIST_ORIGINS, base->origins, add->origins);
    conf->methods = merge_list(p, PREFLIGHT_LIST_METHODS, base->methods, add->methods);
    conf->headers = merge_list(p, PREFLIGHT_LIST_HEADERS, base->headers, add->headers);
    conf->expose = merge_list(p, PREFLIGHT_LIST_EXPOSE, base->expose, add->expose);
    conf->credentials = add->credentials != PREFLIGHT_UNSET
                        ? add->credentials : base->credentials;
    if (add->max_age != PREFLIGHT_UNSET) {
        conf->max_age = add->max_age;
        conf->max_age_value = add->max_age_value;
    }
    else {
        conf->max_age = base->max_age;
        conf->max_age_value = base->max_age_value;
    }
    conf->private_network = add->private_network != PREFLIGHT_UNSET
                            ? add->private_network : base->private_network;
    conf->success_status = add->success_status ? add->success_status
                                               : base->success_status;
    conf->passthrough = add->passthrough != PREFLIGHT_UNSET
                        ? add->passthrough : base->passthrough;
    memset(conf->src, 0, sizeof(conf->src));
    conf->merged_base = base;
    conf->merged_add = add;
    return conf;
}

static void *create_server_config(apr_pool_t *p, server_rec *s)
{
    preflight_server_conf *sconf = apr_pcalloc(p, sizeof(*sconf));

    sconf->warnings = apr_array_make(p, 1, sizeof(const char *));
    return sconf;
}

/* A virtual host without PreflightTenantLimit keeps the main server's. */
static void *merge_server_config(apr_pool_t *p, void *basev, void *addv)
{
    preflight_server_conf *base = basev, *add = addv;
    preflight_server_conf *sconf = apr_pmemdup(p, add, sizeof(*sconf));

    if (!add->tenant) {
        sconf->tenant = base->tenant;
    }
    return sconf;
}

static apr_status_t forget_psl(void *data)
{
    psl_free((psl_ctx_t *)preflight_psl);
    preflight_psl = NULL;
    return APR_SUCCESS;
}

/* Loaded before the configuration is read: wildcards are checked against
 * it while directives are parsed, .htaccess files included. */
static int preflight_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp)
{
    psl_ctx_t *psl = psl_latest(NULL);

    if (!psl) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, NULL,
                     "cannot load the public suffix list (%s): wildcard "
                     "origins will be refused; install Debian's publicsuffix "
                     "package", psl_builtin_filename());
        return OK;
    }
    preflight_psl = psl;
    apr_pool_cleanup_register(pconf, NULL, forget_psl, apr_pool_cleanup_null);
    return OK;
}

static int preflight_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    for (; s; s = s->next) {
        preflight_server_conf *sconf =
            ap_get_module_config(s->module_config, &preflight_module);
        int i;

        for (i = 0; i < sconf->warnings->nelts; i++) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s",
                         APR_ARRAY_IDX(sconf->warnings, i, const char *));
        }
    }
    return OK;
}

/*
 * Request time. Everything above ran once, at configuration time; below,
 * a request costs header lookups, one origin parse and hash lookups.
 */

/* In scope: the module decides (On or ReportOnly). */
static const preflight_dir_conf *in_scope(const request_rec *r)
{
    const preflight_dir_conf *conf =
        ap_get_module_config(r->per_dir_config, &preflight_module);

    return conf->engine == PREFLIGHT_ON || conf->engine == PREFLIGHT_REPORT
           ? conf : NULL;
}

/* Applied: the module also acts on what it decided (On, not ReportOnly). */
static const preflight_dir_conf *applied(const request_rec *r)
{
    const preflight_dir_conf *conf = in_scope(r);

    return conf && conf->engine == PREFLIGHT_ON ? conf : NULL;
}

static int is_preflight(const request_rec *r)
{
    return r->method_number == M_OPTIONS
           && apr_table_get(r->headers_in, "Origin")
           && apr_table_get(r->headers_in, "Access-Control-Request-Method");
}

/* "*" answered literally: any origin, nothing removed, no credentials. */
static int any_origin_literal(const preflight_dir_conf *conf)
{
    return conf->origins && conf->origins->any && !conf->origins->excluded
           && conf->credentials != PREFLIGHT_ON;
}

static int origin_allowed(request_rec *r, const preflight_dir_conf *conf,
                          const char *origin)
{
    if (conf->origins && conf->origins->any && conf->credentials == PREFLIGHT_ON) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "PreflightAllowOrigin * and PreflightAllowCredentials On "
                      "meet in the configuration merged for %s: every origin is "
                      "refused there; list the origins instead of *, or switch "
                      "credentials off in that scope", r->uri);
        return 0;
    }
    return preflight_origin_allowed(conf->origins, origin);
}

/* Records a denial: the PREFLIGHT variable, and the reason at info. The
 * message is only formatted when it will be logged. */
static void deny(request_rec *r, preflight_decision *d, const char *verdict,
                 const char *fmt, ...)
{
    d->allowed = 0;
    apr_table_setn(r->subprocess_env, "PREFLIGHT", verdict);
    if (d->quiet || APLOG_R_IS_LEVEL(r, APLOG_INFO)) {
        va_list ap;

        va_start(ap, fmt);
        d->reason = apr_pvsprintf(r->pool, fmt, ap);
        va_end(ap);
    }
    if (!d->quiet && d->reason) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "%s%s for %s: %s",
                      d->conf->engine == PREFLIGHT_REPORT ? "report-only: " : "",
                      d->kind == PREFLIGHT_PREFLIGHT
                      ? "preflight denied" : "cross-origin headers withheld",
                      r->uri, d->reason);
    }
}

static void allow_origin(preflight_decision *d, const char *origin)
{
    const preflight_dir_conf *conf = d->conf;

    d->allowed = 1;
    d->acao = any_origin_literal(conf) ? "*" : origin;
    if (conf->credentials == PREFLIGHT_ON) {
        d->acac = "true";
    }
}

static void decide_actual(request_rec *r, preflight_decision *d,
                          const char *origin)
{
    const preflight_dir_conf *conf = d->conf;

    if (!origin_allowed(r, conf, origin)) {
        deny(r, d, "cors-denied-origin",
             "origin '%.256s' is not in PreflightAllowOrigin", origin);
        return;
    }
    allow_origin(d, origin);
    apr_table_setn(r->subprocess_env, "PREFLIGHT", "cors-allowed");
    if (conf->expose) {
        d->expose_all = conf->expose->any && conf->credentials == PREFLIGHT_ON;
        if (!d->expose_all && *conf->expose->joined) {
            d->aceh = conf->expose->joined;
        }
    }
}

/* The Allow header when the method list is "*": the requested method,
 * HEAD with GET, and OPTIONS. */
static const char *allow_for_any(request_rec *r, const char *method)
{
    if (!strcmp(method, "OPTIONS")) {
        return "OPTIONS";
    }
    return apr_pstrcat(r->pool, method, !strcmp(method, "GET") ? ", HEAD" : "",
                       ", OPTIONS", NULL);
}

static int echoes_wildcard(const preflight_dir_conf *conf,
                           const preflight_list *l)
{
    return l->any && (conf->credentials == PREFLIGHT_ON || l->excluded);
}

static void decide_preflight(request_rec *r, preflight_decision *d,
                             const char *origin, const char *method)
{
    const preflight_dir_conf *conf = d->conf;
    const char *req_headers = apr_table_get(r->headers_in,
                                            "Access-Control-Request-Headers");
    const char *pna;
    const char *bad;
    apr_size_t bad_len;
    int count = 0, echo_method = 0, echo_headers = 0;

    d->vary = vary_origin;
    if (!origin_allowed(r, conf, origin)) {
        deny(r, d, "preflight-denied-origin",
             "origin '%.256s' is not in PreflightAllowOrigin", origin);
        return;
    }
    if (!preflight_method_allowed(conf->methods, method)) {
        deny(r, d, "preflight-denied-method",
             "method '%.64s' is not in PreflightAllowMethods (methods compare "
             "case-sensitively)", method);
        return;
    }
    if (req_headers) {
        switch (preflight_request_headers_check(conf->headers, req_headers,
                                                &bad, &bad_len, &count)) {
        case PREFLIGHT_HEADERS_OK:
            break;
        case PREFLIGHT_HEADERS_DENIED:
            deny(r, d, "preflight-denied-header",
                 "header '%.*s' is not in PreflightAllowHeaders%s",
                 (int)bad_len, bad, bad_len == 13 && !strncasecmp(bad,
                 "authorization", 13) ? " (* never covers Authorization)" : "");
            return;
        default:
            deny(r, d, "preflight-denied-header", "%s",
                 "Access-Control-Request-Headers is not a list of at most "
                 "256 header names");
            return;
        }
    }

    allow_origin(d, origin);
    apr_table_setn(r->subprocess_env, "PREFLIGHT", "preflight-allowed");
    if (!conf->methods) {
        d->acam = "GET, HEAD, POST";
        d->allow = "GET, HEAD, POST, OPTIONS";
    }
    else if (conf->methods->any) {
        echo_method = echoes_wildcard(conf, conf->methods);
        d->acam = echo_method ? method : conf->methods->joined;
        d->allow = allow_for_any(r, method);
    }
    else {
        d->acam = conf->methods->joined;
        d->allow = conf->methods->allow;
    }
    if (count > 0) {
        echo_headers = echoes_wildcard(conf, conf->headers);
        d->acah = echo_headers ? req_headers : conf->headers->joined;
    }
    d->acma = conf->max_age_value;
    pna = apr_table_get(r->headers_in, "Access-Control-Request-Private-Network");
    if (pna && !strcasecmp(pna, "true")) {
        if (conf->private_network == PREFLIGHT_ON) {
            d->acapn = "true";
        }
        else {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "preflight for %s asks "
                          "for private network access, which "
                          "PreflightAllowPrivateNetwork does not allow", r->uri);
        }
    }
    if (echo_method || echo_headers) {
        d->vary = echo_method && echo_headers ? vary_origin_method_headers
                  : echo_method ? vary_origin_method : vary_origin_headers;
    }
    if (conf->passthrough == PREFLIGHT_ON) {
        d->allow = NULL;        /* the handler answers OPTIONS with its own */
    }
}

static preflight_decision *decide(request_rec *r, const preflight_dir_conf *conf,
                                  int quiet)
{
    preflight_decision *d = apr_pcalloc(r->pool, sizeof(*d));
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *method;

    d->conf = conf;
    d->quiet = quiet;
    if (!origin) {
        d->kind = PREFLIGHT_NO_ORIGIN;
        if (any_origin_literal(conf)) {
            allow_origin(d, "*");
            d->aceh = conf->expose && *conf->expose->joined ? conf->expose->joined : NULL;
        }
        else {
            d->vary = vary_origin;
        }
        return d;
    }
    method = r->method_number == M_OPTIONS
             ? apr_table_get(r->headers_in, "Access-Control-Request-Method") : NULL;
    if (method) {
        d->kind = PREFLIGHT_PREFLIGHT;
        decide_preflight(r, d, origin, method);
        return d;
    }
    d->kind = PREFLIGHT_ACTUAL;
    if (!any_origin_literal(conf)) {
        d->vary = vary_origin;
    }
    decide_actual(r, d, origin);
    return d;
}

/* The decision for this request, made once. An ErrorDocument request is
 * answered for the request that failed, under that request's policy. */
static preflight_decision *decision_for(request_rec *r, int create)
{
    const preflight_dir_conf *conf;
    preflight_decision *d;

    if (r->main) {
        return NULL;
    }
    if (r->prev && ap_is_HTTP_ERROR(r->prev->status)) {
        return decision_for(r->prev, create);
    }
    if (!(conf = in_scope(r))) {
        return NULL;            /* the common case outside scope: a flag */
    }
    d = ap_get_module_config(r->request_config, &preflight_module);
    if (d || !create) {
        return d;
    }
    d = decide(r, conf, 0);
    ap_set_module_config(r->request_config, &preflight_module, d);
    return d;
}

static int is_safelisted_or_owned(const char *name)
{
    int i;

    if (!strncasecmp(name, "Access-Control-", 15) || !strcasecmp(name, "Set-Cookie")) {
        return 1;
    }
    for (i = 0; safelisted_response_headers[i]; i++) {
        if (!strcasecmp(name, safelisted_response_headers[i])) {
            return 1;
        }
    }
    return 0;
}

typedef struct {
    apr_pool_t *p;
    apr_hash_t *seen;
    apr_array_header_t *names;
} expose_collector;

static int collect_name(void *ctx, const char *name, const char *value)
{
    expose_collector *c = ctx;
    char *lower;

    if (is_safelisted_or_owned(name)) {
        return 1;
    }
    lower = apr_pstrdup(c->p, name);
    ap_str_tolower(lower);
    if (!apr_hash_get(c->seen, lower, APR_HASH_KEY_STRING)) {
        apr_hash_set(c->seen, lower, APR_HASH_KEY_STRING, name);
        if (c->names->nelts) {
            APR_ARRAY_PUSH(c->names, const char *) = ", ";
        }
        APR_ARRAY_PUSH(c->names, const char *) = name;
    }
    return 1;
}

/* Fetch ignores a literal "*" in Access-Control-Expose-Headers when
 * credentials are on, so name the response's headers instead. */
static const char *expose_response_headers(request_rec *r,
                                           const preflight_list *expose)
{
    expose_collector c;
    int i;

    c.p = r->pool;
    c.seen = apr_hash_make(r->pool);
    c.names = apr_array_make(r->pool, 16, sizeof(const char *));
    for (i = 0; i < expose->items->nelts; i++) {
        const char *name = APR_ARRAY_IDX(expose->items, i, const char *);
        collect_name(&c, name, NULL);
    }
    apr_table_do(collect_name, &c, r->headers_out, NULL);
    apr_table_do(collect_name, &c, r->err_headers_out, NULL);
    return c.names->nelts ? apr_array_pstrcat(r->pool, c.names, '\0') : NULL;
}

static int value_has_token(const char *value, const char *token)
{
    apr_size_t len = strlen(token);
    const char *p = value;

    while (*p) {
        const char *start;

        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        for (start = p; *p && *p != ',' && *p != ' ' && *p != '\t'; p++)
            ;
        if ((apr_size_t)(p - start) == len && !strncasecmp(start, token, len)) {
            return 1;
        }
    }
    return 0;
}

static int is_cors_key(const char *key)
{
    return (key[0] | 0x20) == 'a' && !strncasecmp(key, "Access-Control-", 15);
}

static int is_own_value(const preflight_decision *d, const char *v)
{
    return v == d->acao || v == d->acac || v == d->acam || v == d->acah
           || v == d->acapn || v == d->acma || v == d->aceh;
}

/** What one pass over a response table found. */
typedef struct {
    int foreign;        /**< an Access-Control-* value the module did not set */
    int own;            /**< the module's own values */
    unsigned vary;      /**< bit i: d->vary[i] is already a Vary token */
} table_scan;

/* One pass, no allocation: this is what most responses cost. */
static void scan_table(const apr_table_t *t, const preflight_decision *d,
                       int keep_own, table_scan *s)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i, j;

    for (i = 0; i < arr->nelts; i++) {
        const char *key = e[i].key;

        if (!key) {
            continue;
        }
        if (is_cors_key(key)) {
            if (keep_own && is_own_value(d, e[i].val)) {
                s->own++;
            }
            else {
                s->foreign = 1;
            }
        }
        else if (d->vary && (key[0] | 0x20) == 'v' && !strcasecmp(key, "Vary")) {
            for (j = 0; d->vary[j]; j++) {
                if (value_has_token(e[i].val, d->vary[j])) {
                    s->vary |= 1u << j;
                }
            }
        }
    }
}

/* Removes every Access-Control-* entry of a table, but the module's own
 * when keep_own. */
static void strip_cors(apr_table_t *t, const preflight_decision *d, int keep_own)
{
    for (;;) {
        const apr_array_header_t *arr = apr_table_elts(t);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        const char *key = NULL;
        int i;

        for (i = 0; i < arr->nelts && !key; i++) {
            if (e[i].key && is_cors_key(e[i].key)
                && !(keep_own && is_own_value(d, e[i].val))) {
                key = e[i].key;
            }
        }
        if (!key) {
            return;
        }
        apr_table_unset(t, key);
    }
}

/* Merged, not set: the core folds Vary tokens case-insensitively, and
 * another module's tokens must stay. */
static void add_vary(request_rec *r, const preflight_decision *d, unsigned present)
{
    int i;

    for (i = 0; d->vary && d->vary[i]; i++) {
        if (!(present & (1u << i))) {
            apr_table_mergen(r->err_headers_out, "Vary", d->vary[i]);
        }
    }
}

static void set_one(apr_table_t *out, preflight_decision *d, const char *name,
                    const char *value)
{
    if (value) {
        /* after the first write the module's own value may be there */
        if (d->written) {
            apr_table_setn(out, name, value);
        }
        else {
            apr_table_addn(out, name, value);
        }
        d->sent++;
    }
}

/* Writes the decision into err_headers_out, which survives error responses
 * and ErrorDocument redirects, after removing every Access-Control-* value
 * that anyone else set: proxies replace headers_out, CGI merges into
 * err_headers_out, and either would otherwise give two values. The module
 * writes only err_headers_out, so any Access-Control-* value in headers_out
 * is someone else's, or ours moved there by an error response; either way
 * it goes, and ours is set again. */
static void set_headers(request_rec *r, preflight_decision *d)
{
    apr_table_t *out = r->err_headers_out;
    table_scan in_out = { 0, 0, 0 }, in_err = { 0, 0, 0 };
    int speaks, i;

    /* A preflight that the module did not answer (refused by access control
     * first) must not look allowed. */
    speaks = d->allowed && !(d->kind == PREFLIGHT_PREFLIGHT && !d->answered
                             && d->conf->passthrough != PREFLIGHT_ON);
    scan_table(r->headers_out, d, 0, &in_out);
    scan_table(out, d, speaks, &in_err);
    if (in_out.foreign) {
        strip_cors(r->headers_out, d, 0);
    }
    if (in_err.foreign) {
        strip_cors(out, d, speaks);
    }
    d->sent = 0;
    if (speaks) {
        if (d->expose_all) {
            d->aceh = expose_response_headers(r, d->conf->expose);
        }
        for (i = 0; cors_fields[i].name; i++) {
            set_one(out, d, cors_fields[i].name, CORS_FIELD(d, i));
        }
        if (d->allow && d->answered) {
            apr_table_setn(out, "Allow", d->allow);
        }
    }
    d->written = 1;
    add_vary(r, d, in_out.vary | in_err.vary);
}

/* At the output filter: exactly the module's headers there, once each, and
 * the Vary tokens? Then nothing to do but Vary; else write them again. */
static void enforce_headers(request_rec *r, preflight_decision *d)
{
    table_scan in_out = { 0, 0, 0 }, in_err = { 0, 0, 0 };

    if (!d->written || d->expose_all) {
        set_headers(r, d);
        return;
    }
    scan_table(r->headers_out, d, 1, &in_out);
    scan_table(r->err_headers_out, d, 1, &in_err);
    if (in_out.foreign || in_err.foreign || in_out.own + in_err.own != d->sent) {
        set_headers(r, d);
        return;
    }
    add_vary(r, d, in_out.vary | in_err.vary);
}

static int preflight_skip_authn(request_rec *r)
{
    if (r->main || !applied(r) || !is_preflight(r)) {
        return DECLINED;
    }
    /* Browsers never send credentials on a preflight. Returning OK here,
     * after mod_authz_core found that a user is needed, skips authn and
     * authz for this request only; host-based rules already ran. */
    return OK;
}

static int preflight_answer(request_rec *r)
{
    const preflight_dir_conf *conf;
    preflight_decision *d;

    if (r->main || r->method_number != M_OPTIONS || !(conf = applied(r))) {
        return DECLINED;
    }
    d = decision_for(r, 1);
    if (!d || d->kind != PREFLIGHT_PREFLIGHT) {
        return DECLINED;
    }
    if (!d->allowed) {
        d->answered = 1;
        return HTTP_FORBIDDEN;
    }
    if (conf->passthrough == PREFLIGHT_ON) {
        return DECLINED;
    }
    d->answered = 1;
    set_headers(r, d);
    if (conf->success_status == HTTP_OK) {
        /* Returning 200 from a hook would send httpd's canned error page:
         * finish the response here and report it done. */
        r->status = HTTP_OK;
        ap_set_content_length(r, 0);
        ap_run_insert_error_filter(r);
        return DONE;
    }
    return HTTP_NO_CONTENT;
}

static int preflight_fixups(request_rec *r)
{
    preflight_decision *d = decision_for(r, 1);

    if (d && d->conf->engine == PREFLIGHT_ON) {
        set_headers(r, d);
    }
    return DECLINED;
}

static void add_filter(request_rec *r, int create)
{
    preflight_decision *d = decision_for(r, create);

    /* ReportOnly: decided (PREFLIGHT is set for the log), nothing applied */
    if (d && d->conf->engine == PREFLIGHT_ON) {
        ap_add_output_filter_handle(preflight_filter_handle, d, r, r->connection);
    }
}

static void preflight_insert_filter(request_rec *r)
{
    /* Only where fixups decided: a response replayed by mod_cache's quick
     * handler already carries what was decided when it was stored. */
    add_filter(r, 0);
}

static void preflight_insert_error_filter(request_rec *r)
{
    /* Errors can come before fixups (401 from authentication): decide now. */
    add_filter(r, 1);
}

static apr_status_t preflight_out_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    enforce_headers(f->r, f->ctx);
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

/*
 * The explain handler (SetHandler preflight-explain): what the module
 * would decide for a request described in the query string, and why.
 * Every query value is hostile input; the answer is JSON built only from
 * escaped strings.
 */

typedef struct {
    const char *uri, *origin, *method, *headers;
} explain_query;

static const struct {
    const char *name;
    apr_size_t max;             /* longest value accepted */
    apr_size_t offset;
} explain_params[] = {
    { "uri", 2048, APR_OFFSETOF(explain_query, uri) },
    { "origin", PREFLIGHT_ORIGIN_MAX, APR_OFFSETOF(explain_query, origin) },
    { "method", 64, APR_OFFSETOF(explain_query, method) },
    { "headers", 4096, APR_OFFSETOF(explain_query, headers) },
    { NULL, 0, 0 }
};

#define EXPLAIN_QUERY_MAX 8192

static const char *explain_param(apr_pool_t *p, explain_query *q, char *name,
                                 char *value)
{
    const char **slot;
    int i;

    if (preflight_form_decode(name) != PREFLIGHT_FORM_OK) {
        return "a parameter name holds a bad escape or a byte outside "
               "printable ASCII";
    }
    for (i = 0; explain_params[i].name && strcmp(name, explain_params[i].name); i++)
        ;
    if (!explain_params[i].name) {
        return apr_psprintf(p, "unknown parameter '%.64s': use uri, origin, "
                            "method and headers", name);
    }
    slot = (const char **)((char *)q + explain_params[i].offset);
    if (*slot) {
        return apr_psprintf(p, "parameter '%s' is given twice", name);
    }
    switch (preflight_form_decode(value)) {
    case PREFLIGHT_FORM_BAD_ESCAPE:
        return apr_psprintf(p, "parameter '%s': a %% not followed by two hex "
                            "digits", name);
    case PREFLIGHT_FORM_BAD_BYTE:
        return apr_psprintf(p, "parameter '%s' holds a control byte (CR, LF, "
                            "NUL, ...) or a byte outside printable ASCII; no "
                            "origin, method, header name or request line "
                            "has one", name);
    default:
        break;
    }
    if (!*value) {
        return apr_psprintf(p, "parameter '%s' is empty: leave it out to "
                            "explain a request without it", name);
    }
    if (strlen(value) > explain_params[i].max) {
        return apr_psprintf(p, "parameter '%s' is longer than %" APR_SIZE_T_FMT
                            " bytes", name, explain_params[i].max);
    }
    *slot = value;
    return NULL;
}

static const char *parse_explain_query(apr_pool_t *p, const char *args,
                                       explain_query *q)
{
    char *pairs, *pair, *last;
    const char *why;

    memset(q, 0, sizeof(*q));
    if (!args || !*args) {
        return "give the request to explain: ?uri=/path&origin=https://"
               "app.example.com&method=PUT&headers=content-type";
    }
    if (strlen(args) > EXPLAIN_QUERY_MAX) {
        return "the query is longer than 8192 bytes";
    }
    pairs = apr_pstrdup(p, args);
    for (pair = apr_strtok(pairs, "&", &last); pair;
         pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '=');

        if (eq) {
            *eq = '\0';
        }
        if ((why = explain_param(p, q, pair, eq ? eq + 1 : pair + strlen(pair)))) {
            return why;
        }
    }
    if (!q->uri) {
        return "parameter 'uri' is missing: the path to explain, as on a "
               "request line (/api/items)";
    }
    if (q->uri[0] != '/') {
        return "parameter 'uri' must be a path starting with /";
    }
    if (q->method && !preflight_is_token(q->method, strlen(q->method))) {
        return "parameter 'method' is not a method token (RFC 9110)";
    }
    return NULL;
}

/* JSON text is collected here and sent in one piece. */
typedef struct {
    apr_pool_t *p;
    apr_array_header_t *parts;
} json_text;

static void json_add(json_text *j, const char *s)
{
    APR_ARRAY_PUSH(j->parts, const char *) = s;
}

static const char *json_or_null(apr_pool_t *p, const char *s)
{
    return s ? preflight_json_string(p, s) : "null";
}

static void send_json(request_rec *r, json_text *j, int status)
{
    const char *body = apr_array_pstrcat(r->pool, j->parts, '\0');

    r->status = status;
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_length(r, strlen(body));
    ap_rputs(body, r);
}

static int explain_refusal(request_rec *r, const char *why)
{
    json_text j = { r->pool, apr_array_make(r->pool, 4, sizeof(const char *)) };

    json_add(&j, "{\"error\": ");
    json_add(&j, preflight_json_string(r->pool, why));
    json_add(&j, "}\n");
    send_json(r, &j, HTTP_BAD_REQUEST);
    return OK;
}

/* Where a value of a merged configuration comes from, traced back through
 * the merges: an edit adds its lines after the ones it edits; any other
 * value set in a section replaces them. */
static const apr_array_header_t *lines_of(apr_pool_t *p, const preflight_line *l)
{
    const preflight_line *i;
    apr_array_header_t *a;
    int n = 0;

    for (i = l; i; i = i->prev) {
        n++;
    }
    a = apr_array_make(p, n, sizeof(const ap_directive_t *));
    a->nelts = n;
    for (i = l; i; i = i->prev) {
        APR_ARRAY_IDX(a, --n, const ap_directive_t *) = i->directive;
    }
    return a;
}

static const apr_array_header_t *sources_of(apr_pool_t *p,
                                            const preflight_dir_conf *c,
                                            preflight_directive which)
{
    const apr_array_header_t *from_add, *from_base;
    const preflight_list *l = NULL;

    if (!c->merged_add) {
        return c->src[which] ? lines_of(p, c->src[which]) : NULL;
    }
    from_add = sources_of(p, c->merged_add, which);
    if (!from_add) {
        return sources_of(p, c->merged_base, which);
    }
    if (which >= PF_ORIGINS && which <= PF_EXPOSE) {
        l = *list_slot((preflight_dir_conf *)c->merged_add, which - PF_ORIGINS);
    }
    if (l && l->edits && (from_base = sources_of(p, c->merged_base, which))) {
        return apr_array_append(p, from_base, from_add);
    }
    return from_add;
}

static const char *json_sources(apr_pool_t *p, const apr_array_header_t *src)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    int i;

    for (i = 0; src && i < src->nelts; i++) {
        const ap_directive_t *d = APR_ARRAY_IDX(src, i, const ap_directive_t *);
        APR_ARRAY_PUSH(out, const char *) = apr_psprintf(p,
            "%s{\"file\": %s, \"line\": %d}", i ? ", " : "",
            preflight_json_string(p, d->filename), d->line_num);
    }
    return apr_pstrcat(p, "[", apr_array_pstrcat(p, out, '\0'), "]", NULL);
}

static const char *json_words(apr_pool_t *p, const apr_array_header_t *words,
                              int star)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));
    int i;

    if (star) {
        APR_ARRAY_PUSH(out, const char *) = "\"*\"";
    }
    for (i = 0; words && i < words->nelts; i++) {
        APR_ARRAY_PUSH(out, const char *) =
            preflight_json_string(p, APR_ARRAY_IDX(words, i, const char *));
    }
    return apr_pstrcat(p, "[", apr_array_pstrcat(p, out, ','), "]", NULL);
}

static const char *json_list(apr_pool_t *p, preflight_list_kind kind,
                             const preflight_list *l)
{
    apr_array_header_t *except;
    apr_hash_index_t *hi;

    if (!l) {
        l = preflight_list_default(p, kind);
    }
    if (!l->excluded) {
        return json_words(p, l->items, l->any);
    }
    except = apr_array_make(p, 4, sizeof(const char *));
    for (hi = apr_hash_first(p, l->excluded); hi; hi = apr_hash_next(hi)) {
        APR_ARRAY_PUSH(except, const char *) = apr_hash_this_val(hi);
    }
    return apr_pstrcat(p, json_words(p, l->items, l->any), ", \"except\": ",
                       json_words(p, except, 0), NULL);
}

static const char *on_off(int v)
{
    return v == PREFLIGHT_ON ? "\"On\"" : "\"Off\"";
}

static const char *engine_name(int engine)
{
    return engine == PREFLIGHT_ON ? "On"
           : engine == PREFLIGHT_REPORT ? "ReportOnly" : "Off";
}

static void explain_policy(json_text *j, const preflight_dir_conf *c,
                           const preflight_server_conf *sconf)
{
    apr_pool_t *p = j->p;
    const char *values[PF_DIRECTIVES];
    int i;

    values[PF_ENGINE] = apr_psprintf(p, "\"%s\"", engine_name(c->engine));
    values[PF_ORIGINS] = json_list(p, PREFLIGHT_LIST_ORIGINS, c->origins);
    values[PF_METHODS] = json_list(p, PREFLIGHT_LIST_METHODS, c->methods);
    values[PF_HEADERS] = json_list(p, PREFLIGHT_LIST_HEADERS, c->headers);
    values[PF_EXPOSE] = json_list(p, PREFLIGHT_LIST_EXPOSE, c->expose);
    values[PF_CREDENTIALS] = on_off(c->credentials);
    values[PF_MAX_AGE] = c->max_age_value ? c->max_age_value : "null";
    values[PF_PRIVATE_NETWORK] = on_off(c->private_network);
    values[PF_SUCCESS_STATUS] = c->success_status == HTTP_OK ? "200" : "204";
    values[PF_PASSTHROUGH] = on_off(c->passthrough);

    json_add(j, "  \"policy\": {\n");
    for (i = 0; i < PF_DIRECTIVES; i++) {
        json_add(j, apr_psprintf(p, "    \"%s\": {\"value\": %s, \"set_at\": %s},\n",
                                 directive_names[i], values[i],
                                 json_sources(p, sources_of(p, c, i))));
    }
    json_add(j, apr_psprintf(p, "    \"PreflightTenantLimit\": {\"value\": %s, "
                             "\"set_at\": %s}\n  },\n",
                             json_words(p, sconf->tenant ? sconf->tenant->words : NULL, 0),
                             json_sources(p, sconf->tenant ? sconf->tenant->lines : NULL)));
}

static const char *allowed_reason(request_rec *r, const preflight_decision *d,
                                  const explain_query *q)
{
    if (d->kind == PREFLIGHT_NO_ORIGIN) {
        return d->allowed ? "the request has no Origin; PreflightAllowOrigin * "
                            "answers it with Access-Control-Allow-Origin: *"
                          : "the request has no Origin: no CORS headers, only "
                            "Vary: Origin, so caches keep answers apart";
    }
    if (d->kind == PREFLIGHT_ACTUAL) {
        return apr_psprintf(r->pool, "origin '%s' is allowed by "
                            "PreflightAllowOrigin", q->origin);
    }
    return apr_psprintf(r->pool, "origin '%s' is allowed by PreflightAllowOrigin, "
                        "method '%s' by PreflightAllowMethods%s%s", q->origin,
                        q->method, q->headers ? ", and every requested header by "
                        "PreflightAllowHeaders" : "",
                        d->conf->passthrough == PREFLIGHT_ON
                        ? "; PreflightPassthrough On: the handler answers it" : "");
}

static const char *decision_status(const preflight_decision *d)
{
    if (d->kind != PREFLIGHT_PREFLIGHT) {
        return "null";
    }
    if (!d->allowed) {
        return "403";
    }
    if (d->conf->passthrough == PREFLIGHT_ON) {
        return "null";
    }
    return d->conf->success_status == HTTP_OK ? "200" : "204";
}

static void explain_decision(json_text *j, request_rec *rr,
                             const preflight_decision *d, const explain_query *q)
{
    apr_pool_t *p = j->p;
    const char *verdict = apr_table_get(rr->subprocess_env, "PREFLIGHT");
    const char *reason = d->allowed || d->kind == PREFLIGHT_NO_ORIGIN
                         ? allowed_reason(rr, d, q) : d->reason;
    int i, first = 1;

    json_add(j, apr_psprintf(p, "  \"decision\": {\"verdict\": %s, \"allowed\": %s, "
                             "\"applied\": %s, \"status\": %s, \"reason\": %s},\n",
                             json_or_null(p, verdict), d->allowed ? "true" : "false",
                             d->conf->engine == PREFLIGHT_ON ? "true" : "false",
                             decision_status(d), json_or_null(p, reason)));
    json_add(j, "  \"headers\": {");
    for (i = 0; d->allowed && cors_fields[i].name; i++) {
        const char *v = CORS_FIELD(d, i);

        if (d->expose_all
            && cors_fields[i].offset == APR_OFFSETOF(preflight_decision, aceh)) {
            v = "(the names of the response's own headers: "
                "PreflightExposeHeaders * with credentials)";
        }
        if (v) {
            json_add(j, apr_psprintf(p, "%s\n    \"%s\": %s", first ? "" : ",",
                                     cors_fields[i].name,
                                     preflight_json_string(p, v)));
            first = 0;
        }
    }
    if (d->allowed && d->allow && d->kind == PREFLIGHT_PREFLIGHT) {
        json_add(j, apr_psprintf(p, "%s\n    \"Allow\": %s", first ? "" : ",",
                                 preflight_json_string(p, d->allow)));
        first = 0;
    }
    if (d->vary) {
        const char *tokens = d->vary[0];
        for (i = 1; d->vary[i]; i++) {
            tokens = apr_pstrcat(p, tokens, ", ", d->vary[i], NULL);
        }
        json_add(j, apr_psprintf(p, "%s\n    \"Vary\": %s", first ? "" : ",",
                                 preflight_json_string(p, tokens)));
        first = 0;
    }
    json_add(j, first ? "}\n}\n" : "\n  }\n}\n");
}

/* The request explained, as the sub-request sees it: only the query's
 * Origin and Access-Control-Request-* count, never the explain request's. */
static void describe_request(request_rec *rr, const explain_query *q)
{
    apr_table_unset(rr->headers_in, "Origin");
    apr_table_unset(rr->headers_in, "Access-Control-Request-Method");
    apr_table_unset(rr->headers_in, "Access-Control-Request-Headers");
    apr_table_unset(rr->headers_in, "Access-Control-Request-Private-Network");
    if (q->origin) {
        apr_table_setn(rr->headers_in, "Origin", q->origin);
        if (q->method) {
            apr_table_setn(rr->headers_in, "Access-Control-Request-Method", q->method);
        }
    }
    if (q->headers) {
        apr_table_setn(rr->headers_in, "Access-Control-Request-Headers", q->headers);
    }
}

/* A sub-request that httpd would refuse (403, 400 for a path above the
 * root, 500 for a broken .htaccess) shows nothing of that place's policy;
 * 401 does, since a real request there gets its CORS headers with the 401
 * and preflights skip authentication. */
static int lookup_shows_policy(const request_rec *rr)
{
    return (rr->status >= 200 && rr->status < 300)
           || rr->status == HTTP_UNAUTHORIZED;
}

static void explain_request(json_text *j, const explain_query *q)
{
    apr_pool_t *p = j->p;

    json_add(j, apr_psprintf(p, "{\n  \"request\": {\"uri\": %s, \"origin\": %s, "
                             "\"method\": %s, \"headers\": %s, \"kind\": \"%s\"},\n",
                             preflight_json_string(p, q->uri),
                             json_or_null(p, q->origin), json_or_null(p, q->method),
                             json_or_null(p, q->headers),
                             !q->origin ? "no-origin" : q->method ? "preflight" : "actual"));
}

static void explain_lookup(json_text *j, const request_rec *rr,
                           const preflight_dir_conf *conf)
{
    apr_pool_t *p = j->p;
    /* a proxied uri's "filename" is the backend's URL: not shown */
    const char *path = rr->filename && rr->filename[0] == '/' ? rr->filename : NULL;

    json_add(j, apr_psprintf(p, "  \"lookup\": {\"status\": %d, \"uri\": %s, "
                             "\"filename\": %s, \"handler\": %s},\n  \"mode\": \"%s\",\n",
                             rr->status, preflight_json_string(p, rr->uri),
                             json_or_null(p, path), json_or_null(p, rr->handler),
                             engine_name(conf->engine)));
}

static void explain_out_of_scope(json_text *j, const preflight_dir_conf *conf)
{
    json_add(j, apr_psprintf(j->p, "  \"decision\": {\"verdict\": null, "
             "\"allowed\": false, \"applied\": false, \"status\": null, "
             "\"reason\": \"%s\"},\n  \"headers\": {}\n}\n",
             conf->engine == PREFLIGHT_OFF
             ? "PreflightEngine is Off here: the module leaves this uri alone"
             : "no PreflightEngine On or ReportOnly applies here: the module "
               "leaves this uri alone"));
}

static int preflight_explain(request_rec *r)
{
    explain_query q;
    json_text j;
    request_rec *rr;
    const preflight_dir_conf *conf;
    const char *why;

    if (!r->handler || strcmp(r->handler, PREFLIGHT_EXPLAIN_HANDLER)) {
        return DECLINED;
    }
    if (r->method_number != M_GET) {
        ap_allow_methods(r, REPLACE_ALLOW, "GET", "HEAD", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if ((why = parse_explain_query(r->pool, r->args, &q))) {
        return explain_refusal(r, why);
    }
    j.p = r->pool;
    j.parts = apr_array_make(r->pool, 32, sizeof(const char *));
    explain_request(&j, &q);

    rr = ap_sub_req_method_uri(q.origin && q.method ? "OPTIONS" : "GET",
                               q.uri, r, NULL);
    if (!lookup_shows_policy(rr)) {
        json_add(&j, apr_psprintf(r->pool, "  \"lookup\": {\"status\": %d},\n"
                 "  \"error\": \"httpd refuses a request for this uri (status %d): "
                 "its policy is not shown\"\n}\n", rr->status, rr->status));
    }
    else {
        conf = ap_get_module_config(rr->per_dir_config, &preflight_module);
        explain_lookup(&j, rr, conf);
        explain_policy(&j, conf, server_conf(rr->server));
        if (conf->engine == PREFLIGHT_ON || conf->engine == PREFLIGHT_REPORT) {
            describe_request(rr, &q);
            explain_decision(&j, rr, decide(rr, conf, 1), &q);
        }
        else {
            explain_out_of_scope(&j, conf);
        }
    }
    send_json(r, &j, HTTP_OK);
    ap_destroy_sub_req(rr);
    return OK;
}

static const command_rec preflight_cmds[] = {
    AP_INIT_TAKE1("PreflightEngine", set_engine, NULL, OR_FILEINFO,
                  "On to apply the CORS policy here, ReportOnly to decide and "
                  "log without changing anything, Off (the default) to leave "
                  "requests alone"),
    AP_INIT_RAW_ARGS("PreflightAllowOrigin", set_list,
                      (void *)PREFLIGHT_LIST_ORIGINS, OR_FILEINFO,
                      "origins allowed: https://host[:port], "
                      "https://*.example.com[:*], null, or *"),
    AP_INIT_RAW_ARGS("PreflightAllowMethods", set_list,
                      (void *)PREFLIGHT_LIST_METHODS, OR_FILEINFO,
                      "methods a preflight may ask for, or *"),
    AP_INIT_RAW_ARGS("PreflightAllowHeaders", set_list,
                      (void *)PREFLIGHT_LIST_HEADERS, OR_FILEINFO,
                      "request headers a preflight may ask for, or *"),
    AP_INIT_RAW_ARGS("PreflightExposeHeaders", set_list,
                      (void *)PREFLIGHT_LIST_EXPOSE, OR_FILEINFO,
                      "response headers scripts may read, or *"),
    AP_INIT_FLAG("PreflightAllowCredentials", set_limited_flag,
                 (void *)&credentials_flag, OR_FILEINFO,
                 "On to let cross-origin requests carry cookies and "
                 "credentials"),
    AP_INIT_TAKE1("PreflightMaxAge", set_max_age, NULL, OR_FILEINFO,
                  "seconds a browser may cache a preflight answer, 0-86400"),
    AP_INIT_FLAG("PreflightAllowPrivateNetwork", set_limited_flag,
                 (void *)&private_network_flag, OR_FILEINFO,
                 "On to answer Private Network Access preflights"),
    AP_INIT_TAKE1("PreflightSuccessStatus", set_success_status, NULL, OR_FILEINFO,
                  "status of an allowed preflight: 200 or 204 (default)"),
    AP_INIT_FLAG("PreflightPassthrough", set_limited_flag,
                 (void *)&passthrough_flag, OR_FILEINFO,
                 "On to let an allowed preflight reach the content handler"),
    AP_INIT_ITERATE("PreflightTenantLimit", set_tenant_limit, NULL, RSRC_CONF,
                    "what .htaccess files may not switch on: credentials, "
                    "private-network, any-origin, passthrough, max-age=N, "
                    "or none"),
    { NULL }
};

static void preflight_register_hooks(apr_pool_t *p)
{
    static const char * const after_authz[] = { "mod_authz_core.c", NULL };

    ap_hook_pre_config(preflight_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(preflight_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* Registered through check_access_ex so that sub-requests with the same
     * configuration still skip access checks (AP_AUTH_INTERNAL_PER_CONF). */
    ap_hook_check_access_ex(preflight_skip_authn, after_authz, NULL,
                            APR_HOOK_LAST, AP_AUTH_INTERNAL_PER_CONF);
    /* After access control, before fixups: mod_dir (fixups) and mod_proxy
     * (handler) would otherwise act on the preflight first. */
    ap_hook_type_checker(preflight_answer, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_fixups(preflight_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(preflight_explain, NULL, NULL, APR_HOOK_MIDDLE);
    /* REALLY_LAST: filters of one type run in insertion order, and ours has
     * to come after mod_headers' (LAST) to have the final word. */
    ap_hook_insert_filter(preflight_insert_filter, NULL, NULL, APR_HOOK_REALLY_LAST);
    ap_hook_insert_error_filter(preflight_insert_error_filter, NULL, NULL,
                                APR_HOOK_REALLY_LAST);
    /* CONTENT_SET: before the header filter, and before CACHE_SAVE so a
     * cached copy keeps the module's headers. */
    preflight_filter_handle =
        ap_register_output_filter(PREFLIGHT_FILTER, preflight_out_filter, NULL,
                                  AP_FTYPE_CONTENT_SET);
}

AP_DECLARE_MODULE(preflight) = {
    STANDARD20_MODULE_STUFF,
    create_dir_config,          /* create per-directory config */
    merge_dir_config,           /* merge per-directory config */
    create_server_config,       /* create per-server config */
    merge_server_config,        /* merge per-server config */
    preflight_cmds,             /* directives */
    preflight_register_hooks    /* register hooks */
};
