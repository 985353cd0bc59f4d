/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_config.c: the directives, and the per-directory configuration
 * they build (the per-server one, PreflightTenantLimit, is in
 * preflight_tenant.c). Everything here runs while httpd reads its
 * configuration (or an .htaccess file, per request, in a worker thread):
 * items are checked and compiled into lookups once, so that a request only
 * looks them up. See README.md, "Directives" and "Errors in the
 * configuration".
 */

#include "apr_strings.h"
#include "apr_hash.h"
#include "apr_lib.h"

#include <libpsl.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"

#include "mod_preflight_private.h"

APLOG_USE_MODULE(preflight);

/* Debian's public suffix list, loaded in pre_config before the configuration
 * is read (and again on each restart), before any worker thread exists;
 * read-only afterwards. NULL when it could not be loaded: wildcards are then
 * refused. */
static const psl_ctx_t *preflight_psl;

/* Records where a directive line set a value: a new value starts the list,
 * another line of a list directive in the same section extends it. */
static void note_source(cmd_parms *cmd, preflight_dir_conf *conf,
                        preflight_directive which, int extend)
{
    preflight_line *l = apr_palloc(cmd->pool, sizeof(*l));

    l->directive = cmd->directive;
    l->prev = extend ? conf->src[which] : NULL;
    conf->src[which] = l;
    conf->sets = 1;
}

/* Credentials with any origin is the classic CORS hole, and Fetch forbids
 * it; plain http with credentials only invites a warning. */
static const char *check_credentials(cmd_parms *cmd, preflight_dir_conf *conf)
{
    if (conf->credentials != PREFLIGHT_FLAG_ON || !conf->origins) {
        return NULL;
    }
    if (conf->origins->any) {
        return "PreflightAllowOrigin * cannot be used with "
               "PreflightAllowCredentials On: Fetch forbids credentials for "
               "any origin; list the origins that may send credentials";
    }
    if (conf->origins->http_origin) {
        preflight_config_warning(cmd, apr_psprintf(cmd->pool,
            "%s:%d: PreflightAllowOrigin '%s' is plain http while "
            "PreflightAllowCredentials is On: anyone on that network path can "
            "impersonate it and read credentialed responses; prefer https",
            cmd->directive->filename, cmd->directive->line_num,
            conf->origins->http_origin));
    }
    return NULL;
}

/** One word a keyword directive takes, and the value it stands for. */
typedef struct {
    const char *word;
    int value;
} keyword;

static const keyword engine_words[] = {
    { "On", PREFLIGHT_ENGINE_ON },
    { "Off", PREFLIGHT_ENGINE_OFF },
    { "ReportOnly", PREFLIGHT_ENGINE_REPORT_ONLY },
    { NULL, 0 }
};

static const keyword status_words[] = {
    { "200", HTTP_OK },
    { "204", HTTP_NO_CONTENT },
    { NULL, 0 }
};

/* The value arg stands for among words, compared as httpd compares On and
 * Off (ignoring case); or the error that lists the words. */
static const char *keyword_value(cmd_parms *cmd, const keyword *words,
                                 const char *arg, int *value)
{
    const char *list = "";
    int i;

    for (i = 0; words[i].word; i++) {
        if (!strcasecmp(arg, words[i].word)) {
            *value = words[i].value;
            return NULL;
        }
    }
    for (i = 0; words[i].word; i++) {
        list = apr_pstrcat(cmd->temp_pool, list, i == 0 ? "" : words[i + 1].word
                           ? ", " : " or ", words[i].word, NULL);
    }
    return apr_psprintf(cmd->pool, "%s '%s': must be %s", cmd->cmd->name, arg,
                        list);
}

static const keyword explain_words[] = {
    { "On", PREFLIGHT_EXPLAIN_ON },
    { "Off", PREFLIGHT_EXPLAIN_OFF },
    { NULL, 0 }
};

/* PreflightExplain On|Off [NoPaths]. Its context (RSRC_CONF|ACCESS_CONF,
 * no override class) keeps it out of .htaccess: a tenant who can write
 * SetHandler there must not be able to switch the handler on. */
static const char *set_explain(cmd_parms *cmd, void *dconf, const char *arg,
                               const char *option)
{
    preflight_dir_conf *conf = dconf;
    int v;
    const char *why = keyword_value(cmd, explain_words, arg, &v);

    if (why) {
        return why;
    }
    if (option && strcasecmp(option, "NoPaths")) {
        return apr_psprintf(cmd->pool, "%s %s '%s': the only option is "
                            "NoPaths", cmd->cmd->name, arg, option);
    }
    if (option && v == PREFLIGHT_EXPLAIN_OFF) {
        return apr_psprintf(cmd->pool, "%s Off %s: NoPaths goes with On",
                            cmd->cmd->name, option);
    }
    conf->explain = option ? PREFLIGHT_EXPLAIN_NO_PATHS
                           : (preflight_explain_mode)v;
    conf->sets = 1;
    return NULL;
}

static const char *set_engine(cmd_parms *cmd, void *dconf, const char *arg)
{
    preflight_dir_conf *conf = dconf;
    int v;
    const char *why = keyword_value(cmd, engine_words, arg, &v);

    if (why) {
        return why;
    }
    conf->engine = (preflight_engine)v;
    note_source(cmd, conf, PF_ENGINE, 0);
    return NULL;
}

/** A list directive: what its items are, which directive it is for the
 *  explain handler's sources, and where its list is kept. Spelled out per
 *  directive rather than derived from the enums' order. */
typedef struct {
    preflight_list_kind kind;
    preflight_directive which;
    apr_size_t offset;          /**< its preflight_list * in preflight_dir_conf */
} list_directive;

static const list_directive origins_list = {
    PREFLIGHT_LIST_ORIGINS, PF_ORIGINS, APR_OFFSETOF(preflight_dir_conf, origins)
};
static const list_directive methods_list = {
    PREFLIGHT_LIST_METHODS, PF_METHODS, APR_OFFSETOF(preflight_dir_conf, methods)
};
static const list_directive headers_list = {
    PREFLIGHT_LIST_HEADERS, PF_HEADERS, APR_OFFSETOF(preflight_dir_conf, headers)
};
static const list_directive expose_list = {
    PREFLIGHT_LIST_EXPOSE, PF_EXPOSE, APR_OFFSETOF(preflight_dir_conf, expose)
};
static const list_directive * const list_directives[] = {
    &origins_list, &methods_list, &headers_list, &expose_list, NULL
};

static preflight_list **list_slot(preflight_dir_conf *conf,
                                  const list_directive *ld)
{
    return (preflight_list **)((char *)conf + ld->offset);
}

preflight_list **preflight_list_slot(preflight_dir_conf *conf,
                                     preflight_directive which)
{
    int i;

    for (i = 0; list_directives[i]; i++) {
        if (list_directives[i]->which == which) {
            return list_slot(conf, list_directives[i]);
        }
    }
    return NULL;
}

const preflight_list *preflight_list_of(const preflight_dir_conf *conf,
                                        preflight_directive which)
{
    preflight_list **slot = preflight_list_slot((preflight_dir_conf *)conf, which);

    return slot ? *slot : NULL;
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

/* A section lists plainly or edits with +/-, on all its lines: the items
 * of this line are counted as edits in *editing. NULL when they agree. */
static const char *mixed_edits_refusal(cmd_parms *cmd, const preflight_list *prev,
                                       int argc, char *const argv[], int *editing)
{
    int i, edits_first;

    for (*editing = 0, i = 0; i < argc; i++) {
        *editing += is_edit(argv[i]);
    }
    if (!(*editing && *editing != argc)
        && !(prev && (prev->edits != NULL) != (*editing > 0))) {
        return NULL;
    }
    /* name the first item that breaks the section's way of listing */
    edits_first = prev ? prev->edits != NULL : is_edit(argv[0]);
    for (i = 0; i < argc - 1 && is_edit(argv[i]) == edits_first; i++)
        ;
    return apr_psprintf(cmd->pool, "%s '%s': either every item of a section "
                        "starts with + or -, or none does", cmd->cmd->name,
                        argv[i]);
}

/* One item of a line (arg as written, item without its +/-): NULL and the
 * normalized item in *norm (made in p), or why it is refused (in
 * cmd->pool). */
static const char *item_refusal(cmd_parms *cmd, apr_pool_t *p,
                                preflight_list_kind kind,
                                const preflight_list *prev, int argc,
                                int editing, int any, const char *arg,
                                const char *item, const char **norm)
{
    const char *name = cmd->cmd->name, *why;
    int origins = kind == PREFLIGHT_LIST_ORIGINS;

    *norm = item;
    if (!strcmp(item, "*")) {
        if (origins && (editing || argc > 1 || (prev && prev->items->nelts))) {
            return apr_psprintf(cmd->pool, "%s '%s': '*' cannot be combined "
                                "with other origins or edited; it already "
                                "allows every origin", name, arg);
        }
        return NULL;
    }
    if (!*item) {
        return apr_psprintf(cmd->pool, "%s '%s': an empty item", name, arg);
    }
    if ((why = preflight_item_check(p, kind, item, norm))
        || (origins && (why = public_suffix_refusal(cmd->temp_pool, *norm)))) {
        return apr_psprintf(cmd->pool, "%s '%s': %s", name, item, why);
    }
    if (origins && any) {
        return apr_psprintf(cmd->pool, "%s '%s': '*' cannot be combined "
                            "with other origins", name, item);
    }
    return NULL;
}

static int is_conf_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f'
           || c == '\r';
}

/* The words of a line without quotes or backslashes, split as
 * ap_getword_conf splits them (on isspace, C locale), more cheaply. */
static void split_plain_words(apr_pool_t *p, const char *args,
                              apr_array_header_t *words)
{
    const char *s = args;

    for (;;) {
        const char *start;

        while (is_conf_space(*s)) {
            s++;
        }
        if (!*s) {
            return;
        }
        for (start = s; *s && !is_conf_space(*s); s++)
            ;
        APR_ARRAY_PUSH(words, const char *) = apr_pstrmemdup(p, start, s - start);
    }
}

/* httpd's TAKE_ARGV stops at 64 words and drops the rest without a word;
 * lists of origins are longer than that, so the line is split here. A line
 * with quotes or backslashes is left to httpd's own word parser. */
static apr_array_header_t *words_of(apr_pool_t *p, const char *args)
{
    apr_array_header_t *words = apr_array_make(p, 16, sizeof(char *));
    const char *w;

    if (!strpbrk(args, "\"'\\")) {
        split_plain_words(p, args, words);
    }
    else {
        while (*(w = ap_getword_conf(p, &args)) != '\0') {
            APR_ARRAY_PUSH(words, const char *) = w;
        }
    }
    return words;
}

/* The section's list extended by another line: a list other requests are
 * reading (a cached .htaccess line) is copied first. */
static preflight_list *extended(apr_pool_t *p, preflight_list *prev,
                                const apr_array_header_t *items, int any)
{
    if (prev->shared) {
        prev = preflight_list_edit(p, prev->kind, prev,
                                   apr_array_make(p, 1, sizeof(preflight_edit)));
    }
    preflight_list_add(p, prev, items, any);
    return prev;
}

/* One line of a list directive (cmd->info: its list_directive), compiled
 * into p on top of what the section's earlier lines made (prev). All lines
 * of a directive in one section form one list; it either replaces the
 * inherited list or, when every item starts with + or -, edits it.
 * Refusals are made in cmd->pool. */
static const char *compile_line(cmd_parms *cmd, apr_pool_t *p,
                                preflight_list *prev, const char *text,
                                preflight_list **out)
{
    const list_directive *ld = cmd->info;
    preflight_list_kind kind = ld->kind;
    apr_array_header_t *words = words_of(p, text), *items, *edits;
    char *const *argv = (char *const *)words->elts;
    int argc = words->nelts, any, editing, i;
    const char *why;

    if (argc == 0) {
        return apr_psprintf(cmd->pool, "%s needs at least one item",
                            cmd->cmd->name);
    }
    if ((why = mixed_edits_refusal(cmd, prev, argc, argv, &editing))) {
        return why;
    }
    items = apr_array_make(p, argc, sizeof(const char *));
    edits = prev && prev->edits
            ? apr_array_copy(p, prev->edits)
            : apr_array_make(p, argc, sizeof(preflight_edit));
    any = prev && !prev->edits && prev->any;
    if (kind == PREFLIGHT_LIST_ORIGINS && any) {
        return apr_psprintf(cmd->pool, "%s '%s': '*' cannot be combined with "
                            "other origins", cmd->cmd->name, argv[0]);
    }
    for (i = 0; i < argc; i++) {
        const char *item = editing ? argv[i] + 1 : argv[i], *norm;

        if ((why = item_refusal(cmd, p, kind, prev, argc, editing, any, argv[i],
                                item, &norm))) {
            return why;
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
    if (editing) {
        *out = preflight_list_edit(p, kind, NULL, edits);
        (*out)->edits = edits;
        preflight_list_compile_edits(p, *out);
    }
    else {
        *out = prev ? extended(p, prev, items, any)
                    : preflight_list_make(p, kind, items, any);
    }
    return NULL;
}

static const char *compile_first_line(cmd_parms *cmd, apr_pool_t *p,
                                      const char *text, preflight_list **out)
{
    return compile_line(cmd, p, NULL, text, out);
}

/* .htaccess is read again for every request: its first line of a list
 * directive in a section is compiled once per process (preflight_htaccess.c). */
static preflight_line_cache *cache_for(cmd_parms *cmd, const preflight_list *prev)
{
    return !prev && preflight_in_htaccess(cmd)
           ? preflight_server_config(cmd->server)->lines : NULL;
}

static const char *set_list(cmd_parms *cmd, void *dconf, const char *args)
{
    preflight_dir_conf *conf = dconf;
    const list_directive *ld = cmd->info;
    preflight_list **slot = list_slot(conf, ld), *prev = *slot, *list;
    preflight_line_cache *cache = cache_for(cmd, prev);
    const char *why;

    why = cache ? preflight_line_cached(cmd, cache, ld->kind, args,
                                        compile_first_line, &list)
                : compile_line(cmd, cmd->pool, prev, args, &list);
    if (why) {
        return why;
    }
    if (ld->kind == PREFLIGHT_LIST_ORIGINS && list->any && !list->edits
        && (why = preflight_tenant_refusal(cmd, TENANT_ANY_ORIGIN, "*"))) {
        return why;
    }
    *slot = list;
    note_source(cmd, conf, ld->which, prev != NULL);
    return ld->kind == PREFLIGHT_LIST_ORIGINS ? check_credentials(cmd, conf) : NULL;
}

/** An On/Off directive that PreflightTenantLimit can keep out of .htaccess. */
typedef struct {
    apr_size_t offset;      /**< its preflight_flag in preflight_dir_conf */
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

    if (flag && (why = preflight_tenant_refusal(cmd, f->limit, "On"))) {
        return why;
    }
    *(preflight_flag *)((char *)dconf + f->offset) = flag ? PREFLIGHT_FLAG_ON
                                                          : PREFLIGHT_FLAG_OFF;
    note_source(cmd, dconf, f->which, 0);
    return f == &credentials_flag ? check_credentials(cmd, dconf) : NULL;
}

/* Seconds from 0 to 86400, or -1 when arg is not that. */
long preflight_parse_seconds(const char *arg, int *out_of_range)
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
    const preflight_tenant_limits *t = preflight_server_config(cmd->server)->tenant;
    int out_of_range;
    long v = preflight_parse_seconds(arg, &out_of_range);

    if (v < 0) {
        return apr_psprintf(cmd->pool, "%s '%s': %s; give a whole number of "
                            "seconds from 0 to 86400", cmd->cmd->name, arg,
                            out_of_range ? "out of range" : "not a number");
    }
    if (t && v > t->max_age) {
        const char *why = preflight_tenant_refusal(cmd, TENANT_MAX_AGE, arg);
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
    const char *why = keyword_value(cmd, status_words, arg,
                                    &conf->success_status);

    if (why) {
        return why;
    }
    note_source(cmd, conf, PF_SUCCESS_STATUS, 0);
    return NULL;
}

void *preflight_create_dir_config(apr_pool_t *p, char *dir)
{
    preflight_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    /* calloc leaves the engine and the flags UNSET, the lists NULL */
    conf->max_age = PREFLIGHT_MAX_AGE_UNSET;
    return conf;
}

/* An edited list meets what it inherits here, at merge time, which httpd
 * runs for every request: as an overlay (preflight_policy.h), it costs one
 * small allocation; a replacing list or an unset one costs a pointer copy. */
static preflight_list *merge_list(apr_pool_t *p, preflight_list *base,
                                  preflight_list *add)
{
    if (!add) {
        return base;
    }
    /* An edit of the default is already applied, and keeps its edits for
     * a later merge onto a list set elsewhere (Location sections are
     * merged together before they meet the Directory result). */
    if (!add->edits || !base) {
        return add;
    }
    return preflight_list_merge_edit(p, base, add);
}

/* The engine, the flags and the status are 0 when unset. */
#define INHERITED(field) (add->field ? add->field : base->field)

static PREFLIGHT_NOINLINE preflight_dir_conf *merge_sections(
    apr_pool_t *p, const preflight_dir_conf *base, const preflight_dir_conf *add)
{
    preflight_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));
    int own_max_age = add->max_age != PREFLIGHT_MAX_AGE_UNSET;

    conf->sets = 1;
    conf->engine = INHERITED(engine);
    conf->origins = merge_list(p, base->origins, add->origins);
    conf->methods = merge_list(p, base->methods, add->methods);
    conf->headers = merge_list(p, base->headers, add->headers);
    conf->expose = merge_list(p, base->expose, add->expose);
    conf->credentials = INHERITED(credentials);
    conf->max_age = own_max_age ? add->max_age : base->max_age;
    conf->max_age_value = own_max_age ? add->max_age_value : base->max_age_value;
    conf->private_network = INHERITED(private_network);
    conf->success_status = INHERITED(success_status);
    conf->passthrough = INHERITED(passthrough);
    conf->explain = INHERITED(explain);
    conf->merged_base = base;
    conf->merged_add = add;
    return conf;
}

void *preflight_merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    preflight_dir_conf *base = basev, *add = addv;

    /* Most sections a request passes through say nothing about CORS, and
     * httpd merges per request: share instead of copying. */
    if (!add->sets) {
        return base;
    }
    if (!base->sets) {
        return add;
    }
    return merge_sections(p, base, add);
}

static apr_status_t forget_psl(void *data)
{
    psl_free((psl_ctx_t *)preflight_psl);
    preflight_psl = NULL;
    return APR_SUCCESS;
}

/* Loaded before the configuration is read: wildcards are checked against
 * it while directives are parsed, .htaccess files included. */
void preflight_load_public_suffixes(apr_pool_t *pconf)
{
    psl_ctx_t *psl = psl_latest(NULL);

    if (!psl) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, NULL,
                     "cannot load the public suffix list (%s): wildcard "
                     "origins will be refused; install Debian's publicsuffix "
                     "package", psl_builtin_filename());
        return;
    }
    preflight_psl = psl;
    apr_pool_cleanup_register(pconf, NULL, forget_psl, apr_pool_cleanup_null);
}

const command_rec preflight_cmds[] = {
    AP_INIT_TAKE1("PreflightEngine", set_engine, NULL, OR_FILEINFO,
                  "On to apply the CORS policy here, ReportOnly to decide and "
                  "log without changing anything, Off (the default) to leave "
                  "requests alone"),
    AP_INIT_RAW_ARGS("PreflightAllowOrigin", set_list,
                      (void *)&origins_list, OR_FILEINFO,
                      "origins allowed: https://host[:port], "
                      "https://*.example.com[:*], null, or *"),
    AP_INIT_RAW_ARGS("PreflightAllowMethods", set_list,
                      (void *)&methods_list, OR_FILEINFO,
                      "methods a preflight may ask for, or *"),
    AP_INIT_RAW_ARGS("PreflightAllowHeaders", set_list,
                      (void *)&headers_list, OR_FILEINFO,
                      "request headers a preflight may ask for, or *"),
    AP_INIT_RAW_ARGS("PreflightExposeHeaders", set_list,
                      (void *)&expose_list, OR_FILEINFO,
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
    AP_INIT_TAKE12("PreflightExplain", set_explain, NULL, RSRC_CONF | ACCESS_CONF,
                   "On to let the explain handler (SetHandler "
                   "preflight-explain) answer here, On NoPaths to leave file "
                   "system paths out of its answers; Off (the default) answers "
                   "404; not allowed in .htaccess"),
    AP_INIT_ITERATE("PreflightTenantLimit", preflight_set_tenant_limit, NULL, RSRC_CONF,
                    "what .htaccess files may not switch on: credentials, "
                    "private-network, any-origin, passthrough, max-age=N, "
                    "or none"),
    { NULL }
};
