/*
 * LD_PRELOAD shim for make bench: counts the bytes that apr_palloc hands out
 * on behalf of mod_preflight (any frame of the call stack inside
 * mod_preflight.so), whatever the pool. apr_pcalloc, apr_pstrdup, table and
 * array growth all end in apr_palloc, through the PLT, so one symbol covers
 * them. The totals are rewritten into $PF_ALLOC_OUT after each counted
 * call, so they can be read whichever way the process ends.
 *
 * Measurement tooling only: never loaded by the module or by make test.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

typedef void *(*palloc_fn)(void *pool, size_t size);

static palloc_fn real_palloc;
static unsigned long long module_bytes, module_calls, all_calls;
static int out_fd = -1;

static int from_module(void)
{
    void *frames[12];
    int n = backtrace(frames, 12), i;

    for (i = 2; i < n; i++) {
        Dl_info info;
        if (dladdr(frames[i], &info) && info.dli_fname
            && strstr(info.dli_fname, "mod_preflight")) {
            return 1;
        }
    }
    return 0;
}

void *apr_palloc(void *pool, size_t size)
{
    if (!real_palloc) {
        real_palloc = (palloc_fn)dlsym(RTLD_NEXT, "apr_palloc");
    }
    __atomic_add_fetch(&all_calls, 1, __ATOMIC_RELAXED);
    if (from_module()) {
        char line[80];
        int len;
        const char *out = getenv("PF_ALLOC_OUT");

        __atomic_add_fetch(&module_bytes, size, __ATOMIC_RELAXED);
        __atomic_add_fetch(&module_calls, 1, __ATOMIC_RELAXED);
        if (out_fd < 0 && out) {
            out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        }
        if (out_fd >= 0) {
            len = snprintf(line, sizeof(line), "%20llu %20llu\n",
                           module_bytes, module_calls);
            if (pwrite(out_fd, line, len, 0) != len) {
                /* measurement only: a short write shows as a bad figure */
            }
        }
    }
    return real_palloc(pool, size);
}
