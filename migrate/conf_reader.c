/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * conf_reader.c: httpd's configuration syntax, read as httpd reads it
 * (server/util.c ap_cfg_getline, ap_getword_conf; server/config.c
 * ap_build_config): a line ending in a backslash continues on the next,
 * '#' starts a comment line, <Name args> opens a section that </Name>
 * closes, quotes group words, and Include/IncludeOptional splice files in,
 * relative to the server root. Nothing read is ever executed: wildcards are
 * expanded with glob(3) (GLOB_NOESCAPE only, no command substitution) and
 * ${VAR} stays as written.
 */

#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "apr_lib.h"

#include "migrate.h"

void mig_reader_init(mig_reader *rd, apr_pool_t *p, const char *server_root)
{
    memset(rd, 0, sizeof(*rd));
    rd->pool = p;
    rd->server_root = server_root;
    rd->problems = apr_array_make(p, 4, sizeof(mig_problem));
    rd->seen = apr_hash_make(p);
    rd->stack = apr_array_make(p, 8, sizeof(const char *));
}

int mig_is(const mig_node *n, const char *name)
{
    return n && n->name && !strcasecmp(n->name, name);
}

static void problem(mig_reader *rd, const char *file, int line,
                    const char *msg)
{
    mig_problem *pr = apr_array_push(rd->problems);
    pr->file = file;
    pr->line = line;
    pr->message = msg;
}

/* ap_getword_conf: a word is quoted with " or ' (a backslash keeps the
 * quote inside it) or runs to the next white space. */
apr_array_header_t *mig_words(apr_pool_t *p, const char *s)
{
    apr_array_header_t *w = apr_array_make(p, 4, sizeof(const char *));
    while (*s) {
        const char *start;
        while (*s && apr_isspace(*s))
            s++;
        if (!*s)
            break;
        if (*s == '"' || *s == '\'') {
            char q = *s++;
            char *out, *o;
            start = s;
            while (*s && !(*s == q && s[-1] != '\\'))
                s++;
            o = out = apr_palloc(p, s - start + 1);
            for (; start < s; start++) {
                if (*start == '\\' && start + 1 < s && start[1] == q)
                    start++;
                *o++ = *start;
            }
            *o = '\0';
            if (*s)
                s++;
            APR_ARRAY_PUSH(w, const char *) = out;
        }
        else {
            start = s;
            while (*s && !apr_isspace(*s))
                s++;
            APR_ARRAY_PUSH(w, const char *) = apr_pstrmemdup(p, start, s - start);
        }
    }
    return w;
}

static mig_node *new_node(apr_pool_t *p, const char *file, int line,
                          mig_node *parent)
{
    mig_node *n = apr_pcalloc(p, sizeof(*n));
    n->file = file;
    n->line = line;
    n->last = line;
    n->parent = parent;
    n->kids = apr_array_make(p, 2, sizeof(mig_node *));
    if (parent)
        APR_ARRAY_PUSH(parent->kids, mig_node *) = n;
    return n;
}

/* One logical line: physical lines joined where one ends in a backslash,
 * trailing white space trimmed, as ap_cfg_getline does. Returns the next
 * position, or NULL at the end. */
static const char *logical_line(apr_pool_t *p, const char *pos,
                                const char *end, int *lineno,
                                const char **text, int *first)
{
    char *buf = NULL;
    apr_size_t len = 0;
    if (pos >= end)
        return NULL;
    *first = *lineno;
    for (;;) {
        const char *nl = memchr(pos, '\n', end - pos);
        const char *e = nl ? nl : end;
        const char *b = pos;
        apr_size_t piece;
        int cont;
        while (e > b && apr_isspace(e[-1]))
            e--;
        cont = e > b && e[-1] == '\\';
        if (cont)
            e--;
        piece = e - b;
        {
            char *nb = apr_palloc(p, len + piece + 1);
            if (len)
                memcpy(nb, buf, len);
            memcpy(nb + len, b, piece);
            len += piece;
            nb[len] = '\0';
            buf = nb;
        }
        pos = nl ? nl + 1 : end;
        if (!cont || pos >= end)
            break;
        (*lineno)++;
    }
    *text = buf;
    return pos;
}

static int file_key(apr_pool_t *p, const char *path, const char **key,
                    struct stat *st)
{
    if (stat(path, st) != 0)
        return errno;
    *key = apr_psprintf(p, "%lu:%lu", (unsigned long)st->st_dev,
                        (unsigned long)st->st_ino);
    return 0;
}

static int on_stack(mig_reader *rd, const char *key)
{
    int i;
    for (i = 0; i < rd->stack->nelts; i++)
        if (!strcmp(APR_ARRAY_IDX(rd->stack, i, const char *), key))
            return 1;
    return 0;
}

static void parse_into(mig_reader *rd, mig_node *parent, const char *file,
                       const char *buf, apr_size_t len, int htaccess);

/* Reads a whole file; NULL with *why set when it cannot be read, is too
 * large or is not text. */
static char *slurp(apr_pool_t *p, const char *path, apr_size_t *len,
                   const char **why)
{
    struct stat st;
    char *buf;
    apr_size_t got = 0;
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        *why = apr_psprintf(p, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *why = apr_psprintf(p, "%s is not a regular file", path);
        close(fd);
        return NULL;
    }
    if (st.st_size > MIG_MAX_FILE_BYTES) {
        *why = apr_psprintf(p, "%s is larger than %d MB: not a configuration file",
                            path, MIG_MAX_FILE_BYTES / (1024 * 1024));
        close(fd);
        return NULL;
    }
    buf = apr_palloc(p, (apr_size_t)st.st_size + 1);
    while (got < (apr_size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (apr_size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *why = apr_psprintf(p, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            return NULL;
        }
        if (n == 0)
            break;
        got += n;
    }
    close(fd);
    buf[got] = '\0';
    if (memchr(buf, '\0', got)) {
        *why = apr_psprintf(p, "%s is not a text file (it holds a NUL byte): "
                            "not a configuration file", path);
        return NULL;
    }
    *len = got;
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every regular file below dir, in httpd's order (sorted names, each
 * directory in turn). */
static void dir_files(mig_reader *rd, const char *dir, int depth,
                      apr_array_header_t *out, const char *file, int line)
{
    DIR *d;
    struct dirent *e;
    apr_array_header_t *names = apr_array_make(rd->pool, 8, sizeof(char *));
    int i;
    if (depth > MIG_MAX_DIR_DEPTH) {
        problem(rd, file, line, apr_psprintf(rd->pool,
                "Include of %s: directories nested more than %d deep "
                "(httpd stops too, its limit is 128)", dir, MIG_MAX_DIR_DEPTH));
        return;
    }
    d = opendir(dir);
    if (!d) {
        problem(rd, file, line, apr_psprintf(rd->pool,
                "Include of %s: cannot read the directory: %s", dir, strerror(errno)));
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (!e->d_name[1] ||
            (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        APR_ARRAY_PUSH(names, char *) = apr_pstrcat(rd->pool, dir, "/", e->d_name, NULL);
    }
    closedir(d);
    qsort(names->elts, names->nelts, sizeof(char *), cmp_str);
    for (i = 0; i < names->nelts; i++) {
        const char *n = APR_ARRAY_IDX(names, i, const char *);
        struct stat st;
        if (stat(n, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            dir_files(rd, n, depth + 1, out, file, line);
        else
            APR_ARRAY_PUSH(out, const char *) = n;
    }
}

static void include_one(mig_reader *rd, mig_node *parent, const char *path,
                        const char *file, int line)
{
    const char *key = NULL, *why = NULL;
    struct stat st;
    char *buf;
    apr_size_t len;
    int rv = file_key(rd->pool, path, &key, &st);
    if (rv) {
        problem(rd, file, line, apr_psprintf(rd->pool,
                "Include of %s: %s", path, strerror(rv)));
        return;
    }
    if (on_stack(rd, key)) {
        problem(rd, file, line, apr_psprintf(rd->pool,
                "Include of %s: it is already being read (an include loop); "
                "httpd refuses this configuration", path));
        return;
    }
    if (rd->stack->nelts >= MIG_MAX_INCLUDE_DEPTH) {
        problem(rd, file, line, apr_psprintf(rd->pool,
                "Include of %s: includes nested more than %d deep", path,
                MIG_MAX_INCLUDE_DEPTH));
        return;
    }
    buf = slurp(rd->pool, path, &len, &why);
    if (!buf) {
        problem(rd, file, line, apr_psprintf(rd->pool, "Include: %s", why));
        return;
    }
    apr_hash_set(rd->seen, key, APR_HASH_KEY_STRING, "");
    APR_ARRAY_PUSH(rd->stack, const char *) = key;
    rd->files++;
    parse_into(rd, parent, apr_pstrdup(rd->pool, path), buf, len, 0);
    rd->stack->nelts--;
}

static int has_wildcard(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static void do_include(mig_reader *rd, mig_node *parent, mig_node *n,
                       int optional)
{
    const char *arg, *path;
    struct stat st;
    apr_array_header_t *files = apr_array_make(rd->pool, 4, sizeof(char *));
    int i;
    if (n->argv->nelts != 1) {
        problem(rd, n->file, n->line, apr_psprintf(rd->pool,
                "%s takes one argument, a file, directory or wildcard", n->name));
        return;
    }
    arg = APR_ARRAY_IDX(n->argv, 0, const char *);
    if (rd->no_includes)
        return;
    if (strstr(arg, "${")) {
        /* httpd would expand a Define or an environment variable this
         * tool cannot know; the files are not guessed. */
        if (!optional)
            problem(rd, n->file, n->line, apr_psprintf(rd->pool,
                    "Include of %s: its variable is not known here; the file "
                    "was not read", arg));
        return;
    }
    path = arg[0] == '/' ? arg : apr_pstrcat(rd->pool, rd->server_root, "/", arg, NULL);
    if (has_wildcard(path)) {
        glob_t g;
        size_t k;
        int rv = glob(path, GLOB_NOESCAPE, NULL, &g);
        if (rv == 0) {
            for (k = 0; k < g.gl_pathc; k++) {
                const char *f = apr_pstrdup(rd->pool, g.gl_pathv[k]);
                if (stat(f, &st) == 0 && S_ISDIR(st.st_mode))
                    dir_files(rd, f, 1, files, n->file, n->line);
                else
                    APR_ARRAY_PUSH(files, const char *) = f;
            }
        }
        globfree(&g);
        if (rv != 0 && !optional) {
            problem(rd, n->file, n->line, apr_psprintf(rd->pool,
                    "Include of %s: no file matches; httpd refuses this "
                    "(use IncludeOptional)", arg));
            return;
        }
    }
    else if (stat(path, &st) != 0) {
        if (!optional)
            problem(rd, n->file, n->line, apr_psprintf(rd->pool,
                    "Include of %s: %s", path, strerror(errno)));
        return;
    }
    else if (S_ISDIR(st.st_mode))
        dir_files(rd, path, 1, files, n->file, n->line);
    else
        APR_ARRAY_PUSH(files, const char *) = path;
    for (i = 0; i < files->nelts; i++)
        include_one(rd, parent, APR_ARRAY_IDX(files, i, const char *),
                    n->file, n->line);
}

/* "<Name args>": the name and the arguments without the closing '>'. */
static int split_section(apr_pool_t *p, const char *t, const char **name,
                         const char **args)
{
    const char *s = t + 1, *e;
    apr_size_t len = strlen(t);
    if (len < 2 || t[len - 1] != '>')
        return 0;
    e = s;
    while (*e && !apr_isspace(*e) && *e != '>')
        e++;
    *name = apr_pstrmemdup(p, s, e - s);
    while (*e && apr_isspace(*e))
        e++;
    *args = apr_pstrmemdup(p, e, (t + len - 1) - e);
    return 1;
}

static int server_only(const char *name)
{
    static const char *const names[] = {
        "Directory", "DirectoryMatch", "Location", "LocationMatch",
        "VirtualHost", "Proxy", "ProxyMatch", NULL
    };
    int i;
    for (i = 0; names[i]; i++)
        if (!strcasecmp(name, names[i]))
            return 1;
    return 0;
}

static void parse_into(mig_reader *rd, mig_node *parent, const char *file,
                       const char *buf, apr_size_t len, int htaccess)
{
    apr_pool_t *p = rd->pool;
    const char *pos = buf, *end = buf + len, *text;
    int lineno = 1, first;
    mig_node *cur = parent;

    while ((pos = logical_line(p, pos, end, &lineno, &text, &first)) != NULL) {
        const char *t = text;
        int last = lineno;
        lineno++;
        while (*t && apr_isspace(*t))
            t++;
        if (!*t || *t == '#')
            continue;
        if (t[0] == '<' && t[1] == '/') {
            const char *name = t + 2, *e = name;
            while (*e && *e != '>' && !apr_isspace(*e))
                e++;
            name = apr_pstrmemdup(p, name, e - name);
            if (cur == parent) {
                problem(rd, file, first, apr_psprintf(p,
                        "</%s> without a matching <%s> section", name, name));
                return;
            }
            if (strcasecmp(name, cur->name)) {
                problem(rd, file, first, apr_psprintf(p,
                        "expected </%s> but saw </%s>", cur->name, name));
                return;
            }
            cur->close_line = first;
            cur = cur->parent;
            continue;
        }
        if (t[0] == '<') {
            const char *name, *args;
            mig_node *n;
            if (!split_section(p, t, &name, &args)) {
                problem(rd, file, first, apr_psprintf(p,
                        "a section line that does not end in '>': %.60s", t));
                return;
            }
            if (htaccess && server_only(name)) {
                problem(rd, file, first, apr_psprintf(p,
                        "<%s> is not allowed in .htaccess", name));
                return;
            }
            n = new_node(p, file, first, cur);
            n->last = last;
            n->name = name;
            n->args = args;
            n->argv = mig_words(p, args);
            n->section = 1;
            cur = n;
            continue;
        }
        {
            const char *e = t;
            mig_node *n;
            while (*e && !apr_isspace(*e))
                e++;
            n = new_node(p, file, first, cur);
            n->last = last;
            n->name = apr_pstrmemdup(p, t, e - t);
            while (*e && apr_isspace(*e))
                e++;
            n->args = e;
            n->argv = mig_words(p, e);
            if (mig_is(n, "Include") || mig_is(n, "IncludeOptional")) {
                if (htaccess)
                    problem(rd, file, first, apr_psprintf(p,
                            "%s is not allowed in .htaccess", n->name));
                else
                    do_include(rd, cur, n, mig_is(n, "IncludeOptional"));
            }
        }
    }
    /* httpd reads the conditional sections (<IfModule>, <IfDefine>, ...)
     * to the end of the file when they are not closed, and refuses any
     * other section left open. */
    for (; cur != parent; cur = cur->parent) {
        if (!strncasecmp(cur->name, "If", 2) && strcasecmp(cur->name, "If"))
            continue;
        problem(rd, file, cur->line, apr_psprintf(p,
                "<%s> was not closed before the end of the file", cur->name));
        break;
    }
}

mig_node *mig_read_buffer(mig_reader *rd, const char *name, const char *buf,
                          apr_size_t len, int htaccess)
{
    mig_node *root = new_node(rd->pool, name, 0, NULL);
    root->name = "";
    root->args = "";
    root->argv = apr_array_make(rd->pool, 1, sizeof(const char *));
    rd->files++;
    parse_into(rd, root, name, buf, len, htaccess);
    return root;
}

mig_node *mig_read_file(mig_reader *rd, const char *path, int htaccess)
{
    const char *key = NULL, *why = NULL;
    struct stat st;
    char *buf;
    apr_size_t len;
    mig_node *root;
    int rv = file_key(rd->pool, path, &key, &st);
    if (rv) {
        rd->fatal = apr_psprintf(rd->pool, "cannot read %s: %s", path, strerror(rv));
        return NULL;
    }
    buf = slurp(rd->pool, path, &len, &why);
    if (!buf) {
        rd->fatal = why;
        return NULL;
    }
    apr_hash_set(rd->seen, key, APR_HASH_KEY_STRING, "");
    APR_ARRAY_PUSH(rd->stack, const char *) = key;
    root = mig_read_buffer(rd, path, buf, len, htaccess);
    rd->stack->nelts--;
    return root;
}
