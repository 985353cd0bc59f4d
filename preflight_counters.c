/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_counters.c: how many decisions of each verdict every virtual
 * host made, across all the children of any MPM, and what the output filter
 * did to backends' Access-Control-* headers; shown by mod_status and the
 * explain handler. See README.md, "Reading decisions", Counters.
 *
 * Where the counts live. One anonymous APR shared-memory segment
 * (apr_shm_create with no file name: mmap(MAP_SHARED|MAP_ANONYMOUS) on
 * Linux), made by the parent in post_config, before any child is forked:
 * every child of prefork, worker and event inherits the mapping, so all of
 * them add to the same counters. httpd's slotmem provider would do the same
 * but needs mod_slotmem_shm loaded, one more module operators must add for
 * numbers they may never read; the anonymous segment needs nothing.
 *
 * A request adds one with an atomic instruction (apr_atomic_inc64, no lock):
 * the counter is found through the per-server configuration, where
 * post_config put a pointer to the server's slot.
 *
 * Restarts. The segment hangs off the process pool (which lives as long as
 * the parent), as pool user data, and is kept across graceful and plain
 * restarts while the list of servers (names, ports, order) and the layout
 * of a slot stay the same: the counts go on, and children of the old
 * generation still finishing requests after a graceful restart count into
 * the same segment. When the list or the layout changes, the segment is
 * made anew and the counts start from zero (logged at notice); they also
 * start from zero when httpd is started again.
 */

#include "apr_atomic.h"
#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "mod_status.h"

#include "mod_preflight_private.h"
#include "preflight_json.h"

APLOG_USE_MODULE(preflight);

/* A slot: the verdicts under On, the same under ReportOnly, then the
 * backend audits but PF_BACKEND_NONE. */
#define COUNTER_REPORT_ONLY(v)  (PF_VERDICTS + (v))
#define COUNTER_BACKEND(a)      (2 * PF_VERDICTS + (a) - 1)
#define COUNTERS                (2 * PF_VERDICTS + PF_BACKEND_AUDITS - 1)

/* A slot takes whole cache lines: two hosts busy on two cores do not
 * bounce one line between them. */
#define CACHE_LINE 64
#define SLOT_SIZE  APR_ALIGN(COUNTERS * sizeof(preflight_counter), CACHE_LINE)

#define KEPT_KEY "mod_preflight counters"

#if APR_VERSION_AT_LEAST(1, 7, 0)
#define counter_inc(c)  apr_atomic_inc64(c)
#define counter_read(c) apr_atomic_read64(c)
#else
#define counter_inc(c)  apr_atomic_inc32(c)
#define counter_read(c) apr_atomic_read32(c)
#endif

/** The segment and what it was made for, kept across restarts. */
typedef struct {
    apr_pool_t *pool;           /**< a child of the process pool: the segment's */
    apr_shm_t *shm;
    char *base;                 /**< slot i at base + i * SLOT_SIZE */
    const char *layout;         /**< the servers and the slot layout */
    int slots;
} counters_kept;

/** What one child keeps for itself. */
struct preflight_child {
    /** when this child last logged a dangerous backend value at info
     *  (seconds since the epoch; 0: never) */
    volatile apr_uint32_t backend_logged;
};

static preflight_server_conf *server_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &preflight_module);
}

/* A virtual host without a directive of the module shares the main
 * server's configuration (httpd merges by pointer): each gets a copy of its
 * own here, to point to its own slot. */
static void separate_server_confs(apr_pool_t *pconf, apr_pool_t *ptemp,
                                  server_rec *s)
{
    apr_hash_t *seen = apr_hash_make(ptemp);

    for (; s; s = s->next) {
        preflight_server_conf *sconf = server_conf(s);
        preflight_server_conf **key;

        if (apr_hash_get(seen, &sconf, sizeof(sconf))) {
            sconf = apr_pmemdup(pconf, sconf, sizeof(*sconf));
            ap_set_module_config(s->module_config, &preflight_module, sconf);
        }
        key = apr_palloc(ptemp, sizeof(*key));
        *key = sconf;
        apr_hash_set(seen, key, sizeof(*key), s);
    }
}

/* "host.port", the host's bytes outside [A-Za-z0-9.-] as '_', so that a
 * line of ?auto splits at its first ':'. */
static const char *server_label(apr_pool_t *p, const server_rec *s)
{
    char *host = apr_pstrdup(p, s->server_hostname ? s->server_hostname : "_");
    char *c;
    apr_port_t port = s->port ? s->port : s->addrs ? s->addrs->host_port : 0;

    for (c = host; *c; c++) {
        if (!apr_isalnum(*c) && *c != '.' && *c != '-') {
            *c = '_';
        }
    }
    return apr_psprintf(p, "%s.%u", host, (unsigned)port);
}

/* Labels for every server, a second with the same name and port getting
 * "-2" and so on; returns how many servers there are. */
static int label_servers(apr_pool_t *p, apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *seen = apr_hash_make(ptemp);
    int n = 0;

    for (; s; s = s->next, n++) {
        const char *label = server_label(p, s);
        int *k = apr_hash_get(seen, label, APR_HASH_KEY_STRING);

        if (k) {
            server_conf(s)->counters_label = apr_psprintf(p, "%s-%d", label, ++*k);
        }
        else {
            k = apr_pcalloc(ptemp, sizeof(*k));
            *k = 1;
            apr_hash_set(seen, label, APR_HASH_KEY_STRING, k);
            server_conf(s)->counters_label = label;
        }
    }
    return n;
}

/* What a kept segment must match to be used again. */
static const char *layout_of(apr_pool_t *p, server_rec *s)
{
    apr_array_header_t *parts = apr_array_make(p, 16, sizeof(const char *));
    int i;

    APR_ARRAY_PUSH(parts, const char *) =
        apr_psprintf(p, "%d counters of %u bytes:", COUNTERS,
                     (unsigned)sizeof(preflight_counter));
    for (i = 0; i < PF_VERDICTS; i++) {
        APR_ARRAY_PUSH(parts, const char *) = preflight_verdict_names[i];
    }
    for (; s; s = s->next) {
        APR_ARRAY_PUSH(parts, const char *) = server_conf(s)->counters_label;
    }
    return apr_array_pstrcat(p, parts, ' ');
}

static counters_kept *make_segment(apr_pool_t *process, server_rec *s,
                                   const char *layout, int slots)
{
    apr_pool_t *pool;
    counters_kept *k;
    apr_status_t rv;

    apr_pool_create(&pool, process);
    apr_pool_tag(pool, "preflight_counters");
    k = apr_pcalloc(pool, sizeof(*k));
    k->pool = pool;
    k->slots = slots;
    k->layout = apr_pstrdup(pool, layout);
    rv = apr_shm_create(&k->shm, (apr_size_t)slots * SLOT_SIZE, NULL, pool);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, "cannot create an "
                     "anonymous shared memory segment of %" APR_SIZE_T_FMT
                     " bytes for the decision counters: mod_preflight runs "
                     "without them (mod_status shows none)",
                     (apr_size_t)slots * SLOT_SIZE);
        apr_pool_destroy(pool);
        return NULL;
    }
    k->base = apr_shm_baseaddr_get(k->shm);
    memset(k->base, 0, (apr_size_t)slots * SLOT_SIZE);
    return k;
}

/* A name in preflight_verdict_names left out when a verdict was added. */
static int names_complete(server_rec *s)
{
    int i;

    for (i = 0; i < PF_VERDICTS; i++) {
        if (!preflight_verdict_names[i]) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "verdict %d has no "
                         "name in preflight_verdict_names: the module is "
                         "built wrong", i);
            return 0;
        }
    }
    return 1;
}

/* The segment, kept or made anew, and each server's slot in it. */
int preflight_counters_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                                   server_rec *s)
{
    apr_pool_t *process = s->process->pool;
    counters_kept *k = NULL;
    const char *layout;
    server_rec *sv;
    int slots, i;

    if (!names_complete(s)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    separate_server_confs(pconf, ptemp, s);
    slots = label_servers(pconf, ptemp, s);
    layout = layout_of(ptemp, s);
    apr_pool_userdata_get((void **)&k, KEPT_KEY, process);
    if (k && strcmp(k->layout, layout)) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "the virtual hosts "
                     "changed: mod_preflight's decision counters start again "
                     "from zero");
        apr_pool_destroy(k->pool);
        k = NULL;
    }
    if (!k) {
        k = make_segment(process, s, layout, slots);
        /* _set copies the key: this module's text is unloaded at a
         * restart, the process pool stays */
        apr_pool_userdata_set(k, KEPT_KEY, NULL, process);
    }
    for (sv = s, i = 0; sv; sv = sv->next, i++) {
        server_conf(sv)->counters = k ? (preflight_counter *)(k->base
                                        + (apr_size_t)i * SLOT_SIZE) : NULL;
    }
    return OK;
}

/* Process-wide, from the child's pool; each server's configuration points
 * to it (written here, before the child serves anything). */
void preflight_counters_child_init(apr_pool_t *pchild, server_rec *s)
{
    preflight_child *child = apr_pcalloc(pchild, sizeof(*child));

    for (; s; s = s->next) {
        server_conf(s)->child = child;
    }
}

void preflight_count_verdict(const server_rec *s, preflight_verdict v,
                             int report_only)
{
    preflight_counter *c = server_conf(s)->counters;

    if (c) {
        counter_inc(&c[report_only ? COUNTER_REPORT_ONLY(v) : v]);
    }
}

void preflight_count_backend(const server_rec *s, preflight_backend_audit a)
{
    preflight_counter *c = server_conf(s)->counters;

    if (c && a != PF_BACKEND_NONE) {
        counter_inc(&c[COUNTER_BACKEND(a)]);
    }
}

/* One thread of the child wins the minute: the compare-and-swap from the
 * time it read. */
int preflight_backend_log_due(const server_rec *s, apr_time_t now)
{
    preflight_child *child = server_conf(s)->child;
    apr_uint32_t sec = (apr_uint32_t)apr_time_sec(now), last;

    if (!child) {
        return 1;
    }
    last = apr_atomic_read32(&child->backend_logged);
    if (last && sec - last < 60) {
        return 0;
    }
    return apr_atomic_cas32(&child->backend_logged, sec, last) == last;
}

/* ---- reading them */

/** Which counter, as its parts. */
typedef struct {
    const char *verdict;        /**< a verdict's name, or NULL */
    int report_only;
    const char *backend;        /**< an audit's name, or NULL */
} counter_name;

static counter_name name_of(int i)
{
    counter_name n = { NULL, 0, NULL };

    if (i < PF_VERDICTS) {
        n.verdict = preflight_verdict_names[i];
    }
    else if (i < 2 * PF_VERDICTS) {
        n.verdict = preflight_verdict_names[i - PF_VERDICTS];
        n.report_only = 1;
    }
    else {
        n.backend = preflight_backend_names[i - 2 * PF_VERDICTS + 1];
    }
    return n;
}

/* "preflight-denied-origin" as "PreflightDeniedOrigin". */
static char *camel(apr_pool_t *p, const char *name)
{
    char *out = apr_palloc(p, strlen(name) + 1), *o = out;
    int up = 1;

    for (; *name; name++) {
        if (*name == '-') {
            up = 1;
            continue;
        }
        *o++ = up ? apr_toupper(*name) : *name;
        up = 0;
    }
    *o = '\0';
    return out;
}

/* The key of a ?auto line: Preflight<Verdict>, PreflightReportOnly<Verdict>,
 * PreflightBackend<Audit>. */
static const char *auto_key(apr_pool_t *p, int i)
{
    counter_name n = name_of(i);

    if (n.backend) {
        return apr_pstrcat(p, "PreflightBackend", camel(p, n.backend), NULL);
    }
    return apr_pstrcat(p, n.report_only ? "PreflightReportOnly" : "Preflight",
                       camel(p, n.verdict), NULL);
}

static void read_slot(const preflight_counter *slot, apr_uint64_t *out)
{
    int i;

    for (i = 0; i < COUNTERS; i++) {
        out[i] = slot ? counter_read((preflight_counter *)&slot[i]) : 0;
    }
}

static int any_counted(const apr_uint64_t *v)
{
    int i;

    for (i = 0; i < COUNTERS; i++) {
        if (v[i]) {
            return 1;
        }
    }
    return 0;
}

/* ?auto: the sums first, every key always there, then the virtual hosts
 * that counted anything, each non-zero counter as KEY.LABEL. */
static void status_auto(request_rec *r)
{
    apr_uint64_t total[COUNTERS] = { 0 }, v[COUNTERS];
    const server_rec *s;
    int i;

    for (s = ap_server_conf; s; s = s->next) {
        read_slot(server_conf(s)->counters, v);
        for (i = 0; i < COUNTERS; i++) {
            total[i] += v[i];
        }
    }
    for (i = 0; i < COUNTERS; i++) {
        ap_rprintf(r, "%s: %" APR_UINT64_T_FMT "\n", auto_key(r->pool, i), total[i]);
    }
    for (s = ap_server_conf; s; s = s->next) {
        read_slot(server_conf(s)->counters, v);
        for (i = 0; i < COUNTERS; i++) {
            if (v[i]) {
                ap_rprintf(r, "%s.%s: %" APR_UINT64_T_FMT "\n", auto_key(r->pool, i),
                           server_conf(s)->counters_label, v[i]);
            }
        }
    }
}

static void html_row(request_rec *r, const char *label, const apr_uint64_t *v)
{
    int i;

    ap_rprintf(r, "<tr><td>%s</td>", ap_escape_html(r->pool, label));
    for (i = 0; i < COUNTERS; i++) {
        ap_rprintf(r, "<td>%" APR_UINT64_T_FMT "</td>", v[i]);
    }
    ap_rputs("</tr>\n", r);
}

static void html_head(request_rec *r)
{
    int i;

    ap_rprintf(r, "<tr><th rowspan=\"2\">virtual host</th>"
               "<th colspan=\"%d\">On</th><th colspan=\"%d\">ReportOnly</th>"
               "<th colspan=\"%d\">backend headers</th></tr>\n<tr>",
               PF_VERDICTS, PF_VERDICTS, PF_BACKEND_AUDITS - 1);
    for (i = 0; i < COUNTERS; i++) {
        counter_name n = name_of(i);
        ap_rprintf(r, "<th>%s</th>", n.backend ? n.backend : n.verdict);
    }
    ap_rputs("</tr>\n", r);
}

/* The HTML page: one row a virtual host that counted anything, and the
 * sum; with ?notable, the same as lines. */
static void status_html(request_rec *r, int notable)
{
    apr_uint64_t total[COUNTERS] = { 0 }, v[COUNTERS];
    const server_rec *s;
    int i;

    ap_rputs("<hr /><h2><a name=\"preflight\">mod_preflight decisions</a></h2>\n", r);
    if (!notable) {
        ap_rputs("<table border=\"0\" id=\"preflight-counters\">\n", r);
        html_head(r);
    }
    for (s = ap_server_conf; s; s = s->next) {
        read_slot(server_conf(s)->counters, v);
        for (i = 0; i < COUNTERS; i++) {
            total[i] += v[i];
        }
        if (!any_counted(v)) {
            continue;
        }
        if (notable) {
            ap_rprintf(r, "<p>%s:", ap_escape_html(r->pool, server_conf(s)->counters_label));
            for (i = 0; i < COUNTERS; i++) {
                ap_rprintf(r, " %s %" APR_UINT64_T_FMT, auto_key(r->pool, i), v[i]);
            }
            ap_rputs("</p>\n", r);
        }
        else {
            html_row(r, server_conf(s)->counters_label, v);
        }
    }
    if (!notable) {
        html_row(r, "all", total);
        ap_rputs("</table>\n", r);
    }
}

static int status_hook(request_rec *r, int flags)
{
    if (flags & AP_STATUS_SHORT) {
        status_auto(r);
    }
    else {
        status_html(r, flags & AP_STATUS_NOTABLE);
    }
    return OK;
}

void preflight_register_status_hook(void)
{
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL, APR_HOOK_MIDDLE);
}

/* "counters": {"virtual_host": LABEL, VERDICT: N, ..., "report-only":
 * {VERDICT: N, ...}, "backend": {"replaced": N, "removed": N}} */
const char *preflight_counters_json(apr_pool_t *p, const server_rec *s)
{
    const preflight_server_conf *sconf = server_conf(s);
    apr_uint64_t v[COUNTERS];
    apr_array_header_t *parts = apr_array_make(p, COUNTERS + 2, sizeof(const char *));
    int i;

    if (!sconf->counters) {
        return "  \"counters\": null,\n";
    }
    read_slot(sconf->counters, v);
    APR_ARRAY_PUSH(parts, const char *) = apr_pstrcat(p,
        "  \"counters\": {\"virtual_host\": ",
        preflight_json_string(p, sconf->counters_label), NULL);
    for (i = 0; i < COUNTERS; i++) {
        counter_name n = name_of(i);

        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(p,
            "%s\"%s\": %" APR_UINT64_T_FMT,
            i == PF_VERDICTS ? ", \"report-only\": {"
            : i == 2 * PF_VERDICTS ? "}, \"backend\": {" : ", ",
            n.backend ? n.backend : n.verdict, v[i]);
    }
    APR_ARRAY_PUSH(parts, const char *) = "}},\n";
    return apr_array_pstrcat(p, parts, '\0');
}

/* The inspector's table for the virtual host of the uri it explains: one
 * row a counter, the verdicts under On, under ReportOnly, then the backend
 * audits. */
const char *preflight_counters_html(apr_pool_t *p, const server_rec *s)
{
    const preflight_server_conf *sconf = server_conf(s);
    apr_uint64_t v[COUNTERS];
    apr_array_header_t *parts = apr_array_make(p, COUNTERS + 2, sizeof(const char *));
    int i;

    if (!sconf->counters) {
        return "<p id=\"counters\">No counters in this process.</p>\n";
    }
    read_slot(sconf->counters, v);
    APR_ARRAY_PUSH(parts, const char *) = apr_pstrcat(p,
        "<table id=\"counters\">\n<caption>Decisions counted for <code>",
        ap_escape_html(p, sconf->counters_label), "</code> since the counters "
        "were made (all processes)</caption>\n<thead><tr><th>counter</th>"
        "<th>count</th></tr></thead>\n<tbody>\n", NULL);
    for (i = 0; i < COUNTERS; i++) {
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(p,
            "<tr><td>%s</td><td>%" APR_UINT64_T_FMT "</td></tr>\n",
            auto_key(p, i), v[i]);
    }
    APR_ARRAY_PUSH(parts, const char *) = "</tbody>\n</table>\n";
    return apr_array_pstrcat(p, parts, '\0');
}
