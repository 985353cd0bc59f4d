/*
 * mod_pfbench: measurement aid for make bench, never installed. Under
 * callgrind, GET /__pfbench/dump writes the counters out and starts them
 * again from zero, from inside the server, so a phase of N
 * requests can be cut out of one httpd -X run without vgdb (which needs
 * ptrace). The cost of these two requests is the same in every phase and
 * cancels in (Ir(N2) - Ir(N1)) / (N2 - N1).
 */
#include <valgrind/callgrind.h>

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"

module AP_MODULE_DECLARE_DATA pfbench_module;

static int pfbench_handler(request_rec *r)
{
    if (!r->handler || strncmp(r->handler, "pfbench-", 8) != 0) {
        return DECLINED;
    }
    if (!strcmp(r->handler, "pfbench-dump")) {
        CALLGRIND_DUMP_STATS;
    }
    else {
        return DECLINED;
    }
    ap_set_content_length(r, 0);
    return OK;
}

static void pfbench_register_hooks(apr_pool_t *p)
{
    ap_hook_handler(pfbench_handler, NULL, NULL, APR_HOOK_FIRST);
}

AP_DECLARE_MODULE(pfbench) = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, pfbench_register_hooks
};
