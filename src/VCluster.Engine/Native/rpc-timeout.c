/*
 * Time dilation for RPCs of a virtual Ganeti cluster, preloaded into every node process.
 *
 * Ganeti gives every RPC connection RPC_CONNECT_TIMEOUT (5 s) to connect and finish its TLS
 * handshake, a figure for a machine per node. In a virtual cluster hundreds of nodes share a
 * few cores, and Ganeti's cluster-wide RPCs (wconfd distributing ssconf after every
 * configuration change, verify, hooks) reach all of them at once: each node daemon forks and
 * shakes hands for its request, and on two cores a hundred of them take longer than 5 s
 * together. The compiled-in value is in the Python and the Haskell daemons alike; both reach
 * libcurl through curl_easy_setopt, so this raises CURLOPT_CONNECTTIMEOUT(_MS) there to at
 * least VCLUSTER_RPC_CONNECT_TIMEOUT seconds. Every other option passes through unchanged.
 * Generated clusters carry it (docs/design.md, "Time on a shared machine").
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdlib.h>

/* From curl/curl.h (stable ABI): option numbers and the setter's signature. */
#define CURLOPT_CONNECTTIMEOUT 78
#define CURLOPT_CONNECTTIMEOUT_MS 156
typedef int (*setopt_fn)(void *handle, int option, ...);

/*
 * The real setter. Python loads libcurl through a dlopen'ed module (a local scope that
 * RTLD_NEXT does not search), so ask for the loaded library by name first.
 */
static setopt_fn real_setopt(void)
{
    static setopt_fn real;
    if (!real) {
        void *lib = dlopen("libcurl-gnutls.so.4", RTLD_LAZY | RTLD_NOLOAD);
        if (!lib)
            lib = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_NOLOAD);
        real = (setopt_fn)(lib ? dlsym(lib, "curl_easy_setopt") : dlsym(RTLD_NEXT, "curl_easy_setopt"));
    }
    return real;
}

int curl_easy_setopt(void *handle, int option, ...)
{
    /* Every libcurl option argument is a long, a pointer or a curl_off_t: one 64-bit word. */
    va_list ap;
    va_start(ap, option);
    long value = va_arg(ap, long);
    va_end(ap);

    const char *setting = getenv("VCLUSTER_RPC_CONNECT_TIMEOUT");
    long minimum = setting ? atol(setting) : 0;
    if (minimum > 0) {
        if (option == CURLOPT_CONNECTTIMEOUT && value < minimum)
            value = minimum;
        else if (option == CURLOPT_CONNECTTIMEOUT_MS && value < minimum * 1000)
            value = minimum * 1000;
    }
    return real_setopt()(handle, option, value);
}
