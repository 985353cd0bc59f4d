/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * main.c: preflight-migrate's command line, the walk over its inputs and
 * its two outputs (text, --json). Everything is written to a buffer and
 * printed only once every input was read, so a run that stops on bad
 * input (exit 2) prints its message and nothing half-written.
 *
 * Exit status: 0 when no finding is of high severity, 1 when one is, 2 on
 * bad usage or input that cannot be read.
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "apr_general.h"
#include "apr_lib.h"

#include "migrate.h"
#include "../preflight_json.h"

#define MIG_VERSION "0.1.0"

typedef struct {
    apr_pool_t *p;
    mig_reader rd;
    apr_array_header_t *recipes;   /* mig_recipe * */
    apr_hash_t *dirs;              /* "dev:ino" of directories walked */
    int json;
} run;

static const char usage[] =
    "usage: preflight-migrate [--json] [--server-root DIR] PATH...\n"
    "  PATH is a configuration file, an .htaccess file or a directory, which is\n"
    "  walked for .htaccess and *.conf files; apache2.conf or httpd.conf in it is\n"
    "  read first and followed through Include/IncludeOptional.\n"
    "  --server-root DIR  where relative Include paths start (default /etc/apache2,\n"
    "                     or the directory given when it holds apache2.conf)\n"
    "  --json             one JSON document instead of text\n"
    "Exit status: 0 no high-severity finding, 1 some, 2 bad usage or unreadable input.\n";

/* Problems the reader met become invalid-config findings of a recipe of
 * their own, one per file. */
static void reader_problems(run *u, int from)
{
    int i;
    mig_recipe *r = NULL;
    for (i = from; i < u->rd.problems->nelts; i++) {
        const mig_problem *pr = &APR_ARRAY_IDX(u->rd.problems, i, mig_problem);
        if (!r || strcmp(r->file, pr->file)) {
            r = apr_pcalloc(u->p, sizeof(*r));
            r->file = pr->file;
            r->line = pr->line;
            r->scope_text = "(file)";
            r->lines = apr_array_make(u->p, 1, sizeof(mig_node *));
            r->remove = apr_array_make(u->p, 1, sizeof(mig_range));
            r->origins = apr_array_make(u->p, 1, sizeof(const char *));
            r->admits = apr_array_make(u->p, 1, sizeof(const char *));
            r->findings = apr_array_make(u->p, 1, sizeof(mig_finding));
            r->untranslated = apr_array_make(u->p, 1, sizeof(mig_untranslated));
            r->proposal = apr_array_make(u->p, 1, sizeof(const char *));
            r->max_age = -1;
            APR_ARRAY_PUSH(u->recipes, mig_recipe *) = r;
        }
        mig_add_finding(u->p, r, MIG_INVALID_CONFIG, pr->file, pr->line, NULL,
                        "httpd would refuse this: %s", pr->message);
    }
}

static int is_htaccess(const char *path)
{
    const char *b = strrchr(path, '/');
    return !strcmp(b ? b + 1 : path, ".htaccess");
}

static int read_one(run *u, const char *path)
{
    int before = u->rd.problems->nelts;
    mig_node *root = mig_read_file(&u->rd, path, is_htaccess(path));
    if (!root)
        return 0;
    reader_problems(u, before);
    mig_find_recipes(u->p, root, is_htaccess(path), u->recipes);
    return 1;
}

static int already_read(run *u, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    return apr_hash_get(u->rd.seen, apr_psprintf(u->p, "%lu:%lu",
                        (unsigned long)st.st_dev, (unsigned long)st.st_ino),
                        APR_HASH_KEY_STRING) != NULL;
}

static int wanted(const char *name)
{
    apr_size_t n = strlen(name);
    return !strcmp(name, ".htaccess") || (n > 5 && !strcmp(name + n - 5, ".conf"));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int walk(run *u, const char *dir, int depth)
{
    DIR *d;
    struct dirent *e;
    struct stat st;
    apr_array_header_t *names = apr_array_make(u->p, 16, sizeof(char *));
    const char *key;
    int i;
    if (stat(dir, &st) != 0) {
        u->rd.fatal = apr_psprintf(u->p, "cannot read %s: %s", dir, strerror(errno));
        return 0;
    }
    key = apr_psprintf(u->p, "%lu:%lu", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
    if (apr_hash_get(u->dirs, key, APR_HASH_KEY_STRING))
        return 1;     /* a symbolic link back up the tree: walked once */
    apr_hash_set(u->dirs, key, APR_HASH_KEY_STRING, "");
    if (depth > MIG_MAX_DIR_DEPTH) {
        u->rd.fatal = apr_psprintf(u->p, "%s: directories nested more than %d deep",
                                   dir, MIG_MAX_DIR_DEPTH);
        return 0;
    }
    d = opendir(dir);
    if (!d) {
        u->rd.fatal = apr_psprintf(u->p, "cannot read the directory %s: %s", dir,
                                   strerror(errno));
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        APR_ARRAY_PUSH(names, char *) = apr_pstrdup(u->p, e->d_name);
    }
    closedir(d);
    qsort(names->elts, names->nelts, sizeof(char *), cmp_str);
    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        const char *path = apr_pstrcat(u->p, dir, "/", name, NULL);
        if (stat(path, &st) != 0) {
            if (!wanted(name) && errno != ELOOP)
                continue;
            u->rd.fatal = apr_psprintf(u->p, "cannot read %s: %s", path, strerror(errno));
            return 0;
        }
        if (S_ISDIR(st.st_mode)) {
            if (!walk(u, path, depth + 1))
                return 0;
            continue;
        }
        if (!wanted(name) || already_read(u, path))
            continue;
        if (!read_one(u, path))
            return 0;
    }
    return 1;
}

static const char *main_config(run *u, const char *dir)
{
    static const char *const names[] = { "apache2.conf", "httpd.conf", NULL };
    int i;
    for (i = 0; names[i]; i++) {
        const char *f = apr_pstrcat(u->p, dir, "/", names[i], NULL);
        struct stat st;
        if (stat(f, &st) == 0 && S_ISREG(st.st_mode))
            return f;
    }
    return NULL;
}

static int input(run *u, const char *path, int root_given)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        u->rd.fatal = apr_psprintf(u->p, "cannot read %s: %s", path, strerror(errno));
        return 0;
    }
    if (S_ISDIR(st.st_mode)) {
        const char *main_conf = main_config(u, path);
        if (main_conf) {
            const char *saved = u->rd.server_root;
            if (!root_given)
                u->rd.server_root = path;
            if (!read_one(u, main_conf))
                return 0;
            u->rd.server_root = saved;
        }
        return walk(u, path, 0);
    }
    if (already_read(u, path))
        return 1;
    return read_one(u, path);
}

/* ---- output */

typedef struct {
    apr_pool_t *p;
    apr_array_header_t *parts;
} out;

static void put(out *o, const char *s)
{
    APR_ARRAY_PUSH(o->parts, const char *) = s;
}

/* Text output shows configuration bytes; a control byte from a hostile file
 * must not reach the terminal. */
static const char *clean(apr_pool_t *p, const char *s)
{
    char *c = apr_pstrdup(p, s ? s : ""), *k;
    for (k = c; *k; k++)
        if ((unsigned char)*k < 0x20 || *k == 0x7f)
            *k = '?';
    return c;
}

static const char *js(apr_pool_t *p, const char *s)
{
    return preflight_json_string(p, s ? s : "");
}

static const char *base_line(apr_pool_t *p, const mig_recipe *r, const char *file, int line)
{
    return !strcmp(file, r->file) ? apr_itoa(p, line)
                                  : apr_psprintf(p, "%s:%d", file, line);
}

static void text_recipe(out *o, const mig_recipe *r)
{
    apr_pool_t *p = o->p;
    int i;
    put(o, apr_psprintf(p, "\n== %s:%d  %s\n", clean(p, r->file), r->line,
                        clean(p, r->scope_text)));
    if (r->lines->nelts) {
        put(o, "recipe:\n");
        for (i = 0; i < r->lines->nelts; i++) {
            const mig_node *n = APR_ARRAY_IDX(r->lines, i, const mig_node *);
            put(o, apr_psprintf(p, "  %5s  %s%s%s%s\n", base_line(p, r, n->file, n->line),
                                n->section ? "<" : "", clean(p, n->name),
                                *n->args ? " " : "", clean(p, n->args)));
        }
    }
    if (r->proposal->nelts) {
        put(o, "proposal:\n");
        for (i = 0; i < r->proposal->nelts; i++)
            put(o, apr_psprintf(p, "  %s\n", clean(p, APR_ARRAY_IDX(r->proposal, i, const char *))));
    }
    if (r->findings->nelts) {
        put(o, "findings:\n");
        for (i = 0; i < r->findings->nelts; i++) {
            const mig_finding *f = &APR_ARRAY_IDX(r->findings, i, mig_finding);
            put(o, apr_psprintf(p, "  %-6s %s (line %s): %s\n",
                                mig_severity_name(mig_finding_severity(f->id, r->credentials)),
                                mig_finding_name(f->id), base_line(p, r, f->file, f->line),
                                clean(p, f->message)));
        }
    }
    if (r->untranslated->nelts) {
        put(o, "not translated:\n");
        for (i = 0; i < r->untranslated->nelts; i++) {
            const mig_untranslated *t = &APR_ARRAY_IDX(r->untranslated, i, mig_untranslated);
            put(o, apr_psprintf(p, "  line %s: %s (%s)\n", base_line(p, r, t->file, t->line),
                                clean(p, t->text), clean(p, t->why)));
        }
    }
}

static void json_strings(out *o, const apr_array_header_t *a)
{
    int i;
    put(o, "[");
    for (i = 0; i < a->nelts; i++) {
        if (i)
            put(o, ", ");
        put(o, js(o->p, APR_ARRAY_IDX(a, i, const char *)));
    }
    put(o, "]");
}

static void json_recipe(out *o, const mig_recipe *r)
{
    apr_pool_t *p = o->p;
    int i;
    put(o, apr_psprintf(p, "{\"file\": %s, \"line\": %d, \"scope\": %s, \"scope_line\": %d, "
                        "\"proposal\": ", js(p, r->file), r->line, js(p, r->scope_text),
                        r->proposal_wrapped ? r->scope->line : 0));
    json_strings(o, r->proposal);
    put(o, ", \"findings\": [");
    for (i = 0; i < r->findings->nelts; i++) {
        const mig_finding *f = &APR_ARRAY_IDX(r->findings, i, mig_finding);
        put(o, apr_psprintf(p, "%s{\"id\": \"%s\", \"severity\": \"%s\", \"file\": %s, "
                            "\"line\": %d, \"message\": %s%s%s}", i ? ", " : "",
                            mig_finding_name(f->id),
                            mig_severity_name(mig_finding_severity(f->id, r->credentials)),
                            js(p, f->file), f->line, js(p, f->message),
                            f->origin ? ", \"origin\": " : "",
                            f->origin ? js(p, f->origin) : ""));
    }
    put(o, "], \"untranslated\": [");
    for (i = 0; i < r->untranslated->nelts; i++) {
        const mig_untranslated *t = &APR_ARRAY_IDX(r->untranslated, i, mig_untranslated);
        put(o, apr_psprintf(p, "%s{\"file\": %s, \"line\": %d, \"text\": %s, \"why\": %s}",
                            i ? ", " : "", js(p, t->file), t->line, js(p, t->text),
                            js(p, t->why)));
    }
    put(o, "], \"lines\": [");
    for (i = 0; i < r->lines->nelts; i++) {
        const mig_node *n = APR_ARRAY_IDX(r->lines, i, const mig_node *);
        put(o, apr_psprintf(p, "%s{\"file\": %s, \"line\": %d}", i ? ", " : "",
                            js(p, n->file), n->line));
    }
    put(o, "], \"remove\": [");
    for (i = 0; i < r->remove->nelts; i++) {
        const mig_range *g = &APR_ARRAY_IDX(r->remove, i, mig_range);
        put(o, apr_psprintf(p, "%s{\"file\": %s, \"first\": %d, \"last\": %d}", i ? ", " : "",
                            js(p, g->file), g->first, g->last));
    }
    put(o, "], \"origins\": ");
    json_strings(o, r->origins);
    put(o, ", \"admits\": ");
    json_strings(o, r->admits);
    put(o, apr_psprintf(p, ", \"credentials\": %s}", r->credentials ? "true" : "false"));
}

static int report(run *u, out *o)
{
    int i, high = 0, nfind = 0;
    for (i = 0; i < u->recipes->nelts; i++) {
        const mig_recipe *r = APR_ARRAY_IDX(u->recipes, i, const mig_recipe *);
        if (mig_highest(r) == MIG_HIGH)
            high = 1;
        nfind += r->findings->nelts;
    }
    if (u->json) {
        put(o, apr_psprintf(o->p, "{\"files\": %d, \"recipes\": [", u->rd.files));
        for (i = 0; i < u->recipes->nelts; i++) {
            put(o, i ? ",\n  " : "\n  ");
            json_recipe(o, APR_ARRAY_IDX(u->recipes, i, const mig_recipe *));
        }
        put(o, "]}\n");
        return high;
    }
    if (!u->recipes->nelts) {
        put(o, apr_psprintf(o->p, "preflight-migrate: %d file%s read, no CORS recipe: "
                            "nothing to migrate\n", u->rd.files, u->rd.files == 1 ? "" : "s"));
        return 0;
    }
    put(o, apr_psprintf(o->p, "preflight-migrate: %d file%s read, %d recipe%s, %d finding%s\n",
                        u->rd.files, u->rd.files == 1 ? "" : "s",
                        u->recipes->nelts, u->recipes->nelts == 1 ? "" : "s",
                        nfind, nfind == 1 ? "" : "s"));
    for (i = 0; i < u->recipes->nelts; i++)
        text_recipe(o, APR_ARRAY_IDX(u->recipes, i, const mig_recipe *));
    return high;
}

static int main_run(apr_pool_t *p, int argc, const char *const *argv)
{
    run u;
    out o;
    int i, high, root_given = 0, inputs = 0;
    const char *root = "/etc/apache2";

    memset(&u, 0, sizeof(u));
    u.p = p;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json"))
            u.json = 1;
        else if (!strcmp(a, "--server-root") && i + 1 < argc) {
            root = argv[++i];
            root_given = 1;
        }
        else if (!strncmp(a, "--server-root=", 14)) {
            root = a + 14;
            root_given = 1;
        }
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        else if (!strcmp(a, "--version")) {
            puts("preflight-migrate " MIG_VERSION);
            return 0;
        }
        else if (!strcmp(a, "--")) {
            inputs += argc - i - 1;
            break;
        }
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "preflight-migrate: unknown option %s\n%s", a, usage);
            return 2;
        }
        else
            inputs++;
    }
    if (!inputs) {
        fprintf(stderr, "preflight-migrate: no file or directory given\n%s", usage);
        return 2;
    }
    mig_reader_init(&u.rd, p, root);
    u.recipes = apr_array_make(p, 8, sizeof(mig_recipe *));
    u.dirs = apr_hash_make(p);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json") || !strncmp(a, "--server-root=", 14))
            continue;
        if (!strcmp(a, "--server-root")) {
            i++;
            continue;
        }
        if (!strcmp(a, "--")) {
            for (i++; i < argc; i++)
                if (!input(&u, argv[i], root_given))
                    break;
            break;
        }
        if (!input(&u, a, root_given))
            break;
    }
    if (u.rd.fatal) {
        fprintf(stderr, "preflight-migrate: %s\n", clean(p, u.rd.fatal));
        return 2;
    }
    o.p = p;
    o.parts = apr_array_make(p, 256, sizeof(const char *));
    high = report(&u, &o);
    for (i = 0; i < o.parts->nelts; i++)
        fputs(APR_ARRAY_IDX(o.parts, i, const char *), stdout);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "preflight-migrate: cannot write the output: %s\n", strerror(errno));
        return 2;
    }
    return high ? 1 : 0;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    int rc;
    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS) {
        fprintf(stderr, "preflight-migrate: cannot initialize APR\n");
        return 2;
    }
    apr_pool_create(&p, NULL);
    mig_psl_init();
    rc = main_run(p, argc, argv);
    apr_pool_destroy(p);
    mig_psl_done();
    apr_terminate();
    return rc;
}
