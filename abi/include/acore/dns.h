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

/* ---- the resolver's full interface: hints, kinds, names, reasons ------- */

/* Socket types (acore_getaddrinfo_hints, acore_addrinfo_entry). */
enum {
  ACORE_SOCK_ANY = 0,    /* hints only: every type */
  ACORE_SOCK_STREAM = 1, /* SOCK_STREAM (TCP) */
  ACORE_SOCK_DGRAM = 2,  /* SOCK_DGRAM (UDP) */
  ACORE_SOCK_RAW = 3     /* SOCK_RAW */
};

/* Lookup flags (acore_getaddrinfo_hints): the resolver's AI_* flags. */
enum {
  ACORE_AI_PASSIVE = 1,     /* no host: the wildcard address (bind) */
  ACORE_AI_CANONNAME = 2,   /* give the host's canonical name */
  ACORE_AI_NUMERICHOST = 4, /* the host is a numeric address: no lookup */
  ACORE_AI_NUMERICSERV = 8, /* the service is a port number: no lookup */
  ACORE_AI_V4MAPPED = 16,   /* IPv6 asked, none found: IPv4-mapped ones */
  ACORE_AI_ALL = 32,        /* with V4MAPPED: IPv6 and IPv4-mapped */
  ACORE_AI_ADDRCONFIG = 64  /* only families the host has addresses of */
};

/* Reverse lookup flags (acore_getnameinfo_flags): the resolver's NI_*. */
enum {
  ACORE_NI_NUMERICHOST = 1, /* the host as numeric text */
  ACORE_NI_NUMERICSERV = 2, /* the service as a port number */
  ACORE_NI_NOFQDN = 4,      /* local hosts: the name's first label */
  ACORE_NI_NAMEREQD = 8,    /* fail when the address has no name */
  ACORE_NI_DGRAM = 16       /* the service is a datagram (UDP) one */
};

/* Why the resolver failed (acore_dns_error_reason): its EAI_* code. */
enum {
  ACORE_EAI_NONE = 0,       /* not a resolver failure (or not known) */
  ACORE_EAI_NONAME = 1,     /* host or service unknown */
  ACORE_EAI_NODATA = 2,     /* the host has no address */
  ACORE_EAI_ADDRFAMILY = 3, /* the host has no address of the family */
  ACORE_EAI_SERVICE = 4,    /* the service is not known for the type */
  ACORE_EAI_SOCKTYPE = 5,   /* the socket type is not supported */
  ACORE_EAI_FAMILY = 6,     /* the family is not supported */
  ACORE_EAI_BADFLAGS = 7,   /* invalid flags (e.g. CANONNAME, no host) */
  ACORE_EAI_AGAIN = 8,      /* failed for now: try again */
  ACORE_EAI_FAIL = 9,       /* failed for good */
  ACORE_EAI_MEMORY = 10,    /* out of memory */
  ACORE_EAI_OVERFLOW = 11,  /* a buffer was too small */
  ACORE_EAI_PROTOCOL = 12   /* the protocol is not known */
};

/* acore_getaddrinfo_hints() - getaddrinfo(3) with its hints: the addresses
 * of `host` (a name, a numeric address, or NULL: the loopback address, or
 * the wildcard one with ACORE_AI_PASSIVE) and `service` (a port number, a
 * service name, or NULL: port 0; not both NULL), of `family` (ACORE_AF_*),
 * `socktype` (ACORE_SOCK_*), `protocol` (an IP protocol number such as 6,
 * TCP; 0: any) and `flags` (ACORE_AI_*, or-ed), every entry the resolver
 * gives, in its order. Read them with acore_addrinfo_from_future(), then
 * acore_addrinfo_get(), acore_addrinfo_entry() and
 * acore_addrinfo_canonname(). A failure carries the resolver's reason
 * (acore_dns_error_reason). Cancelling the future cancels the lookup.
 * Returns: ACORE_OK and a new future in *out; ACORE_EINVAL (loop or out
 *          NULL, host and service NULL, host empty, unknown family or
 *          socktype, protocol outside 0...255, a flag outside ACORE_AI_*);
 *          ACORE_ENOMEM; ACORE_ECLOSED.
 * Fails the future with: ACORE_ENONAME, ACORE_ENAMEAGAIN,
 *          ACORE_ENAMEFAIL, ACORE_EAFNOSUPPORT, ACORE_EIO, ...
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_getaddrinfo_hints(acore_loop_t *loop, const char *host,
                                      const char *service, int family,
                                      int socktype, int protocol, int flags,
                                      acore_future_t **out);

/* acore_addrinfo_entry() - entry `i`'s socket type (ACORE_SOCK_*) into
 * *socktype, its protocol number into *protocol, and for an IPv6 address
 * its flow information and scope id into *flowinfo and *scope_id (0 for
 * IPv4); any of them may be NULL. An acore_getaddrinfo() entry is
 * ACORE_SOCK_STREAM.
 * Returns: ACORE_OK; ACORE_EINVAL (ai NULL, i out of range).
 * Thread: any.  Since: 1.1 */
ACORE_API int acore_addrinfo_entry(const acore_addrinfo_t *ai, size_t i,
                                   int *socktype, int *protocol,
                                   unsigned *flowinfo, unsigned *scope_id);

/* acore_addrinfo_canonname() - the canonical name the resolver gave with
 * entry `i` (with ACORE_AI_CANONNAME: on the first entry), borrowed (valid
 * as long as `ai`), or NULL: none, ai NULL or i out of range.
 * Thread: any.  Since: 1.1 */
ACORE_API const char *acore_addrinfo_canonname(const acore_addrinfo_t *ai,
                                               size_t i);

/* acore_getnameinfo_flags() - getnameinfo(3) of the numeric address `host`
 * and `port` with `flags` (ACORE_NI_*, or-ed): the host's name and the
 * port's service name (or their numeric text, as the flags and the
 * resolver give). Read them with acore_nameinfo_from_future(). A failure
 * carries the resolver's reason (acore_dns_error_reason).
 * Returns: ACORE_OK and a new future in *out; ACORE_EINVAL (loop or out
 *          NULL, host not a numeric address, port outside 0...65535, a
 *          flag outside ACORE_NI_*); ACORE_ENOMEM; ACORE_ECLOSED.
 * Fails the future with: ACORE_ENONAME, ACORE_ENAMEAGAIN, ...
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_getnameinfo_flags(acore_loop_t *loop, const char *host,
                                      int port, int flags,
                                      acore_future_t **out);

/* acore_nameinfo_from_future() - the host and service names a
 * getnameinfo_flags future completed with, borrowed: valid while the
 * future lives (either pointer may be NULL).
 * Returns: ACORE_OK; ACORE_EINVAL (fut NULL); ACORE_ETYPE (not a
 *          getnameinfo_flags result); as acore_future_result() otherwise.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_nameinfo_from_future(acore_future_t *fut,
                                         const char **host,
                                         const char **service);

/* acore_dns_error_reason() - the resolver's reason (ACORE_EAI_*) for a
 * failure of acore_getaddrinfo_hints() or acore_getnameinfo_flags();
 * ACORE_EAI_NONE for any other error, or NULL. acore_error_code() stays
 * the coarse code (ACORE_ENONAME for NONAME, NODATA, ADDRFAMILY and
 * SERVICE; ACORE_EIO for SOCKTYPE, BADFLAGS, OVERFLOW, PROTOCOL).
 * Thread: any.  Since: 1.1 */
ACORE_API int acore_dns_error_reason(const acore_error_t *err);

#ifdef __cplusplus
}
#endif

#endif /* ACORE_DNS_H */
