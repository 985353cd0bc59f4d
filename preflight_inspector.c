/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * preflight_inspector.c: the explain handler's answer as an HTML page (the
 * policy inspector), for a browser: the form, the verdict and its reason,
 * what the browser console will say, the response headers, the policy with
 * where each value was set, the counters. Server-rendered and script-free;
 * every value goes through html() (preflight_html.c), the rest is text of
 * this file. See README.md, "The explain handler".
 */

#include "apr_strings.h"

#include "httpd.h"

#include "preflight_explain.h"
#include "preflight_html.h"

static const char *html(apr_pool_t *p, const char *s)
{
    return preflight_html_escape(p, s ? s : "");
}

static void html_input(explain_text *t, const char *name, const char *label,
                       const char *value, const char *placeholder)
{
    apr_pool_t *p = t->p;

    explain_add(t, apr_psprintf(p, "<label for=\"%s\">%s</label>\n<input id=\"%s\" "
                             "name=\"%s\" value=\"%s\" placeholder=\"%s\" "
                             "autocomplete=\"off\" spellcheck=\"false\">\n",
                             name, label, name, name, html(p, value), placeholder));
}

static void html_form(explain_text *t, request_rec *r, const explain_query *q)
{
    explain_add(t, apr_psprintf(t->p, "<form method=\"get\" action=\"%s\" "
                             "id=\"request\">\n", html(t->p, r->uri)));
    html_input(t, "uri", "URI", q->uri, "/api/items");
    html_input(t, "origin", "Origin", q->origin, "https://app.example.com");
    html_input(t, "method", "Method", q->method,
               "PUT: a preflight for it; empty: the actual request");
    html_input(t, "headers", "Request headers", q->headers,
               "content-type, x-token");
    explain_add(t, "<button type=\"submit\">Explain</button>\n</form>\n");
}

static const char *html_words(apr_pool_t *p, const apr_array_header_t *words)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));
    int i;

    for (i = 0; words && i < words->nelts; i++) {
        APR_ARRAY_PUSH(out, const char *) = apr_pstrcat(p, "<code>",
            html(p, APR_ARRAY_IDX(words, i, const char *)), "</code>", NULL);
    }
    return out->nelts ? apr_array_pstrcat(p, out, ' ') : "(none)";
}

static const char *html_value(apr_pool_t *p, const explain_value *v)
{
    if (v->is_list) {
        return v->except ? apr_pstrcat(p, html_words(p, v->words), " except ",
                                       html_words(p, v->except), NULL)
                         : html_words(p, v->words);
    }
    return v->value ? apr_pstrcat(p, "<code>", html(p, v->value), "</code>", NULL)
                    : "(not set)";
}

static const char *html_lines(apr_pool_t *p, const apr_array_header_t *lines)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    int i;

    for (i = 0; i < lines->nelts; i++) {
        const explain_line *l = &APR_ARRAY_IDX(lines, i, explain_line);

        APR_ARRAY_PUSH(out, const char *) = apr_psprintf(p, "<code>%s:%d</code>",
                                                         html(p, l->file), l->line);
    }
    return out->nelts ? apr_array_pstrcat(p, out, ' ') : "default";
}

static void html_console(explain_text *t, const char *id, const explain_console *c)
{
    apr_pool_t *p = t->p;

    explain_add(t, apr_psprintf(p, "<dl id=\"%s\">\n", id));
    if (c->chromium) {
        explain_add(t, apr_pstrcat(p, "<dt>Chromium (Chrome, Edge)</dt><dd>",
                                html(p, c->chromium), "</dd>\n", NULL));
    }
    if (c->firefox) {
        explain_add(t, apr_pstrcat(p, "<dt>Firefox</dt><dd>", html(p, c->firefox),
                                "</dd>\n", NULL));
    }
    explain_add(t, "</dl>\n");
}

static const char *request_line(apr_pool_t *p, const explain_answer *a)
{
    const char *line = apr_pstrcat(p, a->q.origin && a->q.method ? "OPTIONS " : "GET ",
                                   a->q.uri, "\n", NULL);

    if (a->q.origin) {
        line = apr_pstrcat(p, line, "Origin: ", a->q.origin, "\n", NULL);
        if (a->q.method) {
            line = apr_pstrcat(p, line, "Access-Control-Request-Method: ",
                               a->q.method, "\n", NULL);
        }
    }
    if (a->q.headers) {
        line = apr_pstrcat(p, line, "Access-Control-Request-Headers: ",
                           a->q.headers, "\n", NULL);
    }
    return line;
}

static void html_decision(explain_text *t, const explain_answer *a)
{
    apr_pool_t *p = t->p;
    const explain_decision *d = &a->d;
    const char *status = d->status ? apr_psprintf(p, "answered %d by the module", d->status)
                         : a->q.origin && a->q.method
                           ? "answered by the handler" : "served as usual";
    int i;

    explain_add(t, apr_psprintf(p, "<h2>Verdict</h2>\n<div id=\"verdict\" class=\"verdict %s\">\n"
                             "<p><strong id=\"verdict-name\">%s</strong>: %s%s</p>\n"
                             "<p id=\"reason\">%s</p>\n</div>\n",
                             !d->in_scope ? "" : d->allowed ? "allowed" : "denied",
                             d->in_scope ? html(p, d->verdict) : "out of scope",
                             d->in_scope ? status : "the module leaves it alone",
                             d->in_scope && !d->applied
                             ? " (PreflightEngine ReportOnly: decided and logged, "
                               "nothing sent)" : "",
                             html(p, d->reason)));
    if (d->says.chromium || d->says.firefox) {
        explain_add(t, "<h2>What the browser console says</h2>\n");
        html_console(t, "console", &d->says);
    }
    if (d->elsewhere.chromium || d->elsewhere.firefox) {
        explain_add(t, "<p class=\"note\">The module refuses with no "
                 "Access-Control-* header at all. A console message that names "
                 "the method or header instead comes from a server that allowed "
                 "the origin and left them out (a hand-written recipe):</p>\n");
        html_console(t, "console-other-servers", &d->elsewhere);
    }
    if (d->with_credentials.chromium || d->with_credentials.firefox) {
        explain_add(t, "<h2>With credentials</h2>\n<p class=\"note\">A request that "
                 "sends cookies or HTTP authentication (fetch with credentials: "
                 "'include', XMLHttpRequest withCredentials) cannot read this "
                 "answer, since PreflightAllowCredentials is not On here:</p>\n");
        html_console(t, "console-with-credentials", &d->with_credentials);
    }
    if (d->in_scope) {
        explain_add(t, "<h2>Response headers</h2>\n<pre id=\"headers\">");
        for (i = 0; i < a->headers->nelts; i++) {
            const explain_header *h = &APR_ARRAY_IDX(a->headers, i, explain_header);

            explain_add(t, apr_pstrcat(p, html(p, h->name), ": ", html(p, h->value),
                                    "\n", NULL));
        }
        explain_add(t, a->headers->nelts ? "</pre>\n" : "(none)</pre>\n");
    }
    if (d->cached) {
        explain_add(t, apr_psprintf(p, "<h2>Preflight cache</h2>\n<p id=\"max-age\">"
                 "Browsers reuse this preflight answer for: Chromium %ld s, "
                 "Firefox %ld s, WebKit (Safari) %ld s. They cap "
                 "Access-Control-Max-Age at 7200, 86400 and 600 seconds, and "
                 "use 5 seconds when it is not sent.</p>\n",
                 d->max_age[PREFLIGHT_BROWSER_CHROMIUM],
                 d->max_age[PREFLIGHT_BROWSER_FIREFOX],
                 d->max_age[PREFLIGHT_BROWSER_WEBKIT]));
    }
}

static void html_warnings(explain_text *t, const explain_answer *a)
{
    int i;

    for (i = 0; i < a->warnings->nelts; i++) {
        explain_add(t, apr_pstrcat(t->p, "<p class=\"verdict denied warning\">Warning: ",
                                html(t->p, APR_ARRAY_IDX(a->warnings, i, const char *)),
                                "</p>\n", NULL));
    }
}

static void html_policy(explain_text *t, const explain_answer *a)
{
    apr_pool_t *p = t->p;
    int i;

    explain_add(t, apr_psprintf(p, "<h2>Effective policy for <code>%s</code></h2>\n"
                             "<p id=\"lookup\">Lookup status %d, handler <code>%s</code>, "
                             "file <code>%s</code>, PreflightEngine %s.</p>\n"
                             "<table id=\"policy\">\n<thead><tr><th>Directive</th>"
                             "<th>Value</th><th>Set at</th></tr></thead>\n<tbody>\n",
                             html(p, a->lookup_uri), a->lookup_status,
                             a->handler ? html(p, a->handler) : "(none)",
                             a->filename ? html(p, a->filename) : "(not shown)",
                             html(p, a->mode)));
    for (i = 0; i <= PF_TENANT; i++) {
        explain_add(t, apr_psprintf(p, "<tr><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                                 preflight_explain_directives[i], html_value(p, &a->policy[i]),
                                 html_lines(p, a->policy[i].set_at)));
    }
    explain_add(t, "</tbody>\n</table>\n");
}

const char *preflight_inspector_page(const explain_answer *a, request_rec *r)
{
    apr_pool_t *p = a->p;
    explain_text t = { p, apr_array_make(p, 64, sizeof(const char *)) };

    explain_add(&t, apr_pstrcat(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                             "<meta charset=\"utf-8\">\n<title>CORS policy inspector"
                             "</title>\n<style>", preflight_html_style,
                             "</style>\n</head>\n<body>\n"
                             "<h1>CORS policy inspector</h1>\n", NULL));
    html_form(&t, r, &a->q);
    if (a->error) {
        explain_add(&t, apr_pstrcat(p, "<p id=\"error\" class=\"verdict denied\">",
                                 html(p, a->error), "</p>\n", NULL));
    }
    else if (a->q.uri) {
        explain_add(&t, apr_pstrcat(p, "<h2>Request</h2>\n<pre id=\"explained\">",
                                 html(p, request_line(p, a)), "</pre>\n", NULL));
        if (a->lookup_refused) {
            explain_add(&t, apr_psprintf(p, "<p id=\"error\" class=\"verdict denied\">"
                     "httpd refuses a request for this uri (status %d): its policy "
                     "is not shown</p>\n", a->lookup_status));
        }
        else {
            html_warnings(&t, a);
            html_decision(&t, a);
            html_policy(&t, a);
            explain_add(&t, "<h2>Decisions counted</h2>\n");
            explain_add(&t, preflight_counters_html(p, a->server));
        }
    }
    explain_add(&t, "<p class=\"note\">mod_preflight explain handler. The same "
             "answer as JSON: ask without text/html in Accept (curl does).</p>\n"
             "</body>\n</html>\n");
    return apr_array_pstrcat(p, t.parts, '\0');
}
