/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.
 */

/*
 * migrate.h: the types shared by preflight-migrate's files.
 *
 * preflight-migrate reads httpd configuration files and .htaccess files,
 * finds the CORS recipes in them (mod_headers, mod_setenvif, mod_rewrite,
 * <LimitExcept OPTIONS>), works out with PCRE2 which origins their regexes
 * admit, and proposes the mod_preflight policy for each scope, with
 * findings. It never executes anything it reads. Memory comes from one
 * APR pool per run.
 */

#ifndef PREFLIGHT_MIGRATE_H
#define PREFLIGHT_MIGRATE_H

#include "apr_pools.h"
#include "apr_tables.h"
#include "apr_hash.h"
#include "apr_strings.h"

/* ---- the configuration as read (conf_reader.c) */

/** One directive or section. A section's children are the lines between
 *  its opening and closing lines, included files spliced in where their
 *  Include stood (each child keeps its own file). */
typedef struct mig_node mig_node;
struct mig_node {
    const char *file;
    int line;                   /**< first physical line */
    int last;                   /**< last physical line (continuations) */
    const char *name;           /**< as written, without '<' */
    const char *args;           /**< the rest of the line, raw (a section's
                                     without its closing '>') */
    apr_array_header_t *argv;   /**< const char *: the words as httpd's
                                     ap_getword_conf reads them */
    int section;
    int close_line;             /**< a section's closing line, or 0 */
    apr_array_header_t *kids;   /**< mig_node * */
    mig_node *parent;
};

/** What httpd would refuse, found while reading. */
typedef struct {
    const char *file;
    int line;
    const char *message;
} mig_problem;

typedef struct {
    apr_pool_t *pool;
    const char *server_root;
    apr_array_header_t *problems;   /**< mig_problem */
    apr_hash_t *seen;               /**< "dev:ino" of every file read */
    apr_array_header_t *stack;      /**< "dev:ino" of the includes open now */
    const char *fatal;              /**< unreadable input: the message */
    int files;                      /**< files read */
    int no_includes;                /**< Include is recorded, not followed
                                         (the fuzzer: no file system) */
} mig_reader;

/** Limits that keep a hostile tree from exhausting the tool. */
#define MIG_MAX_INCLUDE_DEPTH 64
#define MIG_MAX_FILE_BYTES (64 * 1024 * 1024)
#define MIG_MAX_DIR_DEPTH 32

void mig_reader_init(mig_reader *rd, apr_pool_t *p, const char *server_root);

/** Reads one file into a root node (a pseudo-section named after the
 *  file); htaccess forbids Include as httpd does there. NULL with
 *  rd->fatal set when the file cannot be read at all. */
mig_node *mig_read_file(mig_reader *rd, const char *path, int htaccess);

/** Reads a configuration held in memory (the fuzzer's entry). */
mig_node *mig_read_buffer(mig_reader *rd, const char *name,
                          const char *buf, apr_size_t len, int htaccess);

/** Splits a line's arguments as ap_getword_conf does. */
apr_array_header_t *mig_words(apr_pool_t *p, const char *args);

int mig_is(const mig_node *n, const char *name);

/** Is this a directive (or section) httpd 2.4 knows with Debian's modules
 *  (directives.c)? */
int mig_known_directive(const char *name);

/* ---- findings (findings.c) */

typedef enum {
    MIG_ANY_ORIGIN_REFLECTED,
    MIG_CREDENTIALS_ANY_ORIGIN,
    MIG_REGEX_UNANCHORED,
    MIG_REGEX_UNESCAPED_DOT,
    MIG_REGEX_ADMITS_LOOKALIKE,
    MIG_NULL_ORIGIN,
    MIG_PUBLIC_SUFFIX_WILDCARD,
    MIG_NOT_ON_ERRORS,
    MIG_VARY_MISSING,
    MIG_VARY_OVERWRITTEN,
    MIG_OPTIONS_HIJACKED,
    MIG_PREFLIGHT_NEEDS_AUTH,
    MIG_AUTH_BYPASS,
    MIG_DUPLICATE_HEADER_RISK,
    MIG_STAR_HEADERS_AUTHORIZATION,
    MIG_INVALID_CONFIG,
    MIG_NOT_TRANSLATED,
    MIG_FINDING_COUNT
} mig_finding_id;

typedef enum { MIG_LOW, MIG_MEDIUM, MIG_HIGH } mig_severity;

typedef struct {
    mig_finding_id id;
    mig_severity severity;
    const char *file;
    int line;
    const char *message;
    const char *origin;     /**< an admitted look-alike, or NULL */
} mig_finding;

const char *mig_finding_name(mig_finding_id id);
mig_severity mig_finding_severity(mig_finding_id id, int credentials);
const char *mig_severity_name(mig_severity s);

/* ---- origin regexes (regex_eval.c) */

/** What a regex on the Origin header admits, as far as a policy can say. */
typedef struct {
    apr_array_header_t *origins;     /**< const char *: exact origins and
                                          wildcards (a star label over a parent)
                                          for the proposal */
    apr_array_header_t *lookalikes;  /**< mig_lookalike */
    apr_array_header_t *untranslated;/**< const char *: why */
    int single_label;                /**< a wildcard came from a class that
                                          admits one label only */
    int null_origin;                 /**< the regex admits "null" */
    int any;                         /**< it admits every origin */
    const char *error;               /**< PCRE2 refused it: the message */
} mig_regex_result;

typedef struct {
    mig_finding_id id;
    const char *origin;
    const char *why;
} mig_lookalike;

/** Evaluates a regex as SetEnvIf, RewriteCond or an <If> =~ applies it to
 *  the Origin header (a search, not a whole match). With group >= 0 the
 *  header sends that group ($0, $1) rather than the Origin, so an origin
 *  is admitted only when the group is all of it. */
mig_regex_result *mig_regex_eval(apr_pool_t *p, const char *regex,
                                 int caseless, int group);

/** The header sends a template of the regex's groups ("$0$1"), not one
 *  group: an origin is admitted only when the expanded template is all of
 *  it (group MIG_GROUP_TEMPLATE, with the template as sent). */
#define MIG_GROUP_TEMPLATE (-2)
mig_regex_result *mig_regex_eval_sent(apr_pool_t *p, const char *regex,
                                      int caseless, const char *sent);

/** Does the regex match this subject (PCRE2 search)? -1 when it does not
 *  compile. */
int mig_regex_matches(const char *regex, int caseless, const char *subject);

/** Is this origin allowed by the proposed origins (mod_preflight's own
 *  matcher)? */
int mig_policy_admits(apr_pool_t *p, const apr_array_header_t *origins,
                      const char *origin);

/** Is the parent of a wildcard a public suffix (libpsl, Debian's list)?
 *  mig_psl_init loads the list once per run, mig_psl_done frees it. */
int mig_public_suffix(const char *host);
void mig_psl_init(void);
void mig_psl_done(void);

/* ---- recipes (recipe.c, recipe_headers.c, recipe_options.c) */

typedef enum {
    MIG_ORIGIN_NONE,         /**< no Access-Control-Allow-Origin set */
    MIG_ORIGIN_STAR,         /**< "*" */
    MIG_ORIGIN_LIST,         /**< fixed origins, or a regex's language */
    MIG_ORIGIN_REFLECT_ANY   /**< the request's Origin, unchecked */
} mig_origin_kind;

/** A range of lines the proposal replaces. */
typedef struct {
    const char *file;
    int first, last;
} mig_range;

typedef struct {
    const char *file;
    int line;
    const char *text;
    const char *why;
} mig_untranslated;

/** One recipe: the CORS lines of one scope and what they amount to. */
typedef struct {
    const char *file;
    int line;                       /**< its first line */
    mig_node *scope;                /**< the section, or NULL: file level */
    const char *scope_text;         /**< the chain of section headers */
    int htaccess;
    apr_array_header_t *lines;      /**< mig_node *: its directives */
    apr_array_header_t *remove;     /**< mig_range */

    mig_origin_kind origin_kind;
    apr_array_header_t *origins;    /**< const char *, for LIST */
    int origin_line;                /**< the line that sets the origin */
    apr_array_header_t *admits;     /**< const char *: look-alikes */
    int credentials;
    int has_acao_always, has_acao_onsuccess;
    apr_array_header_t *methods;    /**< const char *, or NULL */
    apr_array_header_t *headers;
    apr_array_header_t *expose;
    int max_age;                    /**< -1: none */
    int origin_dependent;           /**< Access-Control-Allow-Origin's value
                                         or presence depends on the Origin */
    int reflect_cgi_only;           /**< reflected through %{HTTP_ORIGIN}e,
                                         which only CGI handlers have */
    int credentials_line;           /**< the Allow-Credentials: true line */
    int vary_conditional_line;      /**< a Vary: Origin under a condition */
    const char *vary_conditional_file;
    int vary_origin;                /**< Vary: Origin is added (merge,
                                         append, set) */
    int options_answered;           /**< every OPTIONS short-circuited */

    apr_array_header_t *findings;   /**< mig_finding */
    apr_array_header_t *untranslated; /**< mig_untranslated */
    apr_array_header_t *proposal;   /**< const char *: the lines */
    int proposal_wrapped;           /**< proposal lines 0 and last are the
                                         section's opening and closing */
} mig_recipe;

/** Finds the recipes in a file tree. */
void mig_find_recipes(apr_pool_t *p, mig_node *root, int htaccess,
                      apr_array_header_t *out);

void mig_add_finding(apr_pool_t *p, mig_recipe *r, mig_finding_id id,
                     const char *file, int line, const char *origin,
                     const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

void mig_add_untranslated(apr_pool_t *p, mig_recipe *r, const mig_node *n,
                          const char *why);

/* ---- the proposal (propose.c) */

void mig_propose(apr_pool_t *p, mig_recipe *r);

/* ---- output (main.c helpers shared with the fuzzer) */

int mig_highest(const mig_recipe *r);

#endif /* PREFLIGHT_MIGRATE_H */
