/*
 * What both fuzz harnesses share: the pools, the input being checked, and
 * the report of a violated property (escaped, then abort(), which libFuzzer
 * turns into a crash with the input saved).
 */
#ifndef PREFLIGHT_FUZZ_SUPPORT_H
#define PREFLIGHT_FUZZ_SUPPORT_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_pools.h"

static apr_pool_t *conf_pool;   /* the policies, for the whole run */
static apr_pool_t *pool;        /* per input, cleared after each */

/* What every harness's LLVMFuzzerInitialize starts with. */
static void fuzz_init_pools(void)
{
    apr_initialize();
    apr_pool_create(&conf_pool, NULL);
    apr_pool_create(&pool, NULL);
}

/* The input being checked, for the report. */
static const char *cur_input;
static size_t cur_len;

static void print_escaped(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            fprintf(stderr, "\\%c", c);
        }
        else if (c >= 0x20 && c < 0x7f) {
            fputc(c, stderr);
        }
        else {
            fprintf(stderr, "\\x%02x", c);
        }
    }
}

/* The message quotes keys and names that may hold any byte: it is
 * escaped like the input, so the log stays one readable text file. */
static void violated(const char *fmt, ...)
{
    static char msg[8192];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0) {
        n = 0;
    }
    fprintf(stderr, "\nPROPERTY VIOLATED: ");
    print_escaped(msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
    fprintf(stderr, "\n  input (%zu bytes): \"", cur_len);
    print_escaped(cur_input, cur_len);
    fprintf(stderr, "\"\n");
    abort();
}

#define REQUIRE(cond, ...) do { if (!(cond)) violated(__VA_ARGS__); } while (0)

/* Exactly n + 1 bytes on the heap, NUL-terminated: ASan reports any read
 * past the terminator. */
static char *exact_copy(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);

    if (!s) {
        abort();
    }
    memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

#endif /* PREFLIGHT_FUZZ_SUPPORT_H */
