/* SPDX-License-Identifier: MIT */
/*
 * acore/dns.h - host names: getaddrinfo and getnameinfo as futures.
 *
 *   acore_future_t *f;
 *   const acore_addrinfo_t *ai;
 *   char host[ACORE_ADDRESS_MAX];
 *   int port;
 *   acore_getaddrinfo(loop, "localhost", "8080", ACORE_AF_UNSPEC, &f);
 *   ... await f ...
 *   acore_addrinfo_from_future(f, &ai);        borrowed: lives with f
 *   for (i = 0; i < acore_addrinfo_count(ai); i++)
 *     acore_addrinfo_get(ai, i, host, sizeof host, &port, NULL);
 *
 * The lookups run on libuv's thread pool (uv_getaddrinfo, process-wide,
 * UV_THREADPOOL_SIZE threads, 4 by default), not on an acore executor:
 * libuv's requests can be cancelled while queued (uv_cancel), need no
 * executor object from the caller, and the pool is the one libuv's own
 * file operations use. A lookup already running on a thread cannot be
 * interrupted: cancelling its future completes the future at once and
 * acore frees the late answer. Loop close cancels pending lookups and
 * waits for those already running (as long as the system's resolver
 * takes: its timeout).
 *
 * A name that does not resolve fails the future with ACORE_ENONAME; a
 * resolver that fails for now, ACORE_ENAMEAGAIN; for good, ACORE_ENAMEFAIL.
 *
 * Thread: loop thread only.  Since: 1.1 for all.
 */
#ifndef ACORE_DNS_H
#define ACORE_DNS_H

#include "../acore.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct acore_addrinfo acore_addrinfo_t;

/* Address families (acore_getaddrinfo, acore_addrinfo_get). */
enum {
  ACORE_AF_UNSPEC = 0, /* any: IPv4 and IPv6 */
  ACORE_AF_INET = 4,   /* IPv4 */
  ACORE_AF_INET6 = 6   /* IPv6 */
};

/* acore_getaddrinfo() - the stream (TCP) addresses of `host` (a name or a
 * numeric address) and `service` (a port number or a service name such as
 * "http"; NULL: port 0), of `family` (ACORE_AF_*), in the resolver's order
 * of preference. Read the result with acore_addrinfo_from_future().
 * Cancelling the future cancels the lookup (uv_cancel).
 * Returns: ACORE_OK and a new future in *out; ACORE_EINVAL (loop or out
 *          NULL, host NULL or empty, unknown family); ACORE_ENOMEM;
 *          ACORE_ECLOSED.
 * Fails the future with: ACORE_ENONAME, ACORE_ENAMEAGAIN,
 *          ACORE_ENAMEFAIL, ACORE_EAFNOSUPPORT, ...
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_getaddrinfo(acore_loop_t *loop, const char *host,
                                const char *service, int family,
                                acore_future_t **out);

/* acore_addrinfo_from_future() - the address list a getaddrinfo future
 * completed with, borrowed: valid while the future lives.
 * Returns: ACORE_OK; ACORE_EINVAL (NULL fut or out); ACORE_ETYPE (not a
 *          getaddrinfo result); as acore_future_result() otherwise.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_addrinfo_from_future(acore_future_t *fut,
                                         const acore_addrinfo_t **out);

/* acore_addrinfo_count() - the number of addresses (>= 1); 0 for NULL.
 * Thread: any.  Since: 1.1 */
ACORE_API size_t acore_addrinfo_count(const acore_addrinfo_t *ai);

/* acore_addrinfo_get() - address `i`: its numeric text into host[cap]
 * (NUL-terminated; ACORE_ADDRESS_MAX always suffices), its port into
 * *port and its family (ACORE_AF_INET or _INET6) into *family (port and
 * family may be NULL).
 * Returns: ACORE_OK; ACORE_EINVAL (ai or host NULL, i out of range, cap
 *          too small).  Thread: any.  Since: 1.1 */
ACORE_API int acore_addrinfo_get(const acore_addrinfo_t *ai, size_t i,
                                 char *host, size_t cap, int *port,
                                 int *family);

/* acore_getnameinfo() - the host name of the numeric address `host` (the
 * reverse lookup; with no name, the resolver gives the numeric text). The
 * result is a bytes value: the name (acore_future_result_bytes).
 * Returns: ACORE_OK and a new future in *out; ACORE_EINVAL (NULL, host
 *          not a numeric address, port outside 0...65535); ACORE_ENOMEM;
 *          ACORE_ECLOSED.
 * Fails the future with: ACORE_ENONAME, ACORE_ENAMEAGAIN, ...
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_getnameinfo(acore_loop_t *loop, const char *host, int port,
                                acore_future_t **out);

#ifdef __cplusplus
}
#endif

#endif /* ACORE_DNS_H */
