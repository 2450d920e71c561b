/* SPDX-License-Identifier: MIT */
/*
 * acore/udp.h - UDP sockets: datagrams sent and received as futures.
 *
 * A UDP socket is bound to a numeric IPv4 or IPv6 address and a port
 * (port 0: any free one) when it is made. It sends to any address, or,
 * once connected to a peer (acore_udp_connect), to that peer only and
 * receives from it only: asyncio's create_datagram_endpoint() with
 * local_addr and, optionally, remote_addr.
 *
 *   acore_udp_t *u;
 *   acore_future_t *rx, *tx;
 *   char buf[1500];
 *   acore_udp_bind(loop, "127.0.0.1", 0, 0, &u);
 *   acore_udp_recv(u, buf, sizeof(buf), &rx);    pending: a datagram later
 *   acore_udp_send(u, "ping", 4, "127.0.0.1", 9999, &tx);
 *   ... await rx: its int result is the datagram's length, and
 *   acore_udp_recv_address(rx, host, sizeof(host), &port) says who sent it ...
 *
 * Receiving: each receive future takes the next datagram, in the order the
 * receives were made (FIFO). Datagrams that arrive while no receive is
 * pending wait in the kernel's socket buffer (which drops them when full,
 * as UDP does). A datagram longer than the buffer is cut to it (the rest
 * is lost, as with recvfrom()).
 *
 * Sending: the data is copied; the future completes with the number of
 * bytes once the kernel took the datagram (or with its error: a datagram
 * too long for the socket fails with ACORE_EMSGSIZE).
 *
 * Cancelling a pending receive takes it out of the queue: it will not
 * take a datagram, and its buffer is not written to afterwards. Cancelling
 * a send completes its future cancelled, but the datagram may still be
 * sent (it may already be with the kernel).
 *
 * Closing (acore_udp_close, the last acore_udp_unref, or closing the loop)
 * completes every pending receive and send as cancelled, with the message
 * "closed" (as closing a stream does), and closes the socket's file
 * descriptor; later calls on the object return ACORE_ECLOSED.
 *
 * Addresses are numeric strings ("127.0.0.1", "::1"; no name lookup) and
 * ports 0..65535; a bad string or port is ACORE_EINVAL. Addresses given
 * back are written as numeric strings; a buffer of ACORE_ADDRESS_MAX
 * bytes (acore.h) always suffices.
 *
 * Thread: every function here runs on the loop thread only (ACORE_EWRONGTHREAD
 * in debug mode otherwise), except acore_udp_ref() and acore_udp_unref().
 */
#ifndef ACORE_UDP_H
#define ACORE_UDP_H

#include "../acore.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct acore_udp acore_udp_t;

/* Flags of acore_udp_bind(). */
enum {
  ACORE_UDP_REUSEADDR = 1u << 0, /* SO_REUSEADDR: share the port */
  ACORE_UDP_IPV6ONLY = 1u << 1   /* an IPv6 socket that takes no IPv4 */
};

/* acore_udp_bind() - a new UDP socket bound to `host` (a numeric IPv4 or
 * IPv6 address; "0.0.0.0" or "::" for every interface) and `port` (0: a
 * free port, see acore_udp_local_address).
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (loop, host
 *          or out NULL, host not a numeric address, port outside
 *          0..65535, unknown flags); ACORE_ENOMEM; ACORE_ECLOSED; a bind
 *          error (ACORE_EADDRINUSE, ACORE_EADDRNOTAVAIL, ACORE_EACCES, ...).
 * Owns: the socket until its last acore_udp_unref().
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_udp_bind(acore_loop_t *loop, const char *host, int port,
                             unsigned flags, acore_udp_t **out);

/* acore_udp_ref() - take a reference; returns `u` (NULL for NULL).
 * Thread: any.  Since: 1.1 */
ACORE_API acore_udp_t *acore_udp_ref(acore_udp_t *u);

/* acore_udp_unref() - drop a reference. The last one closes the socket
 * (as acore_udp_close) and frees it once libuv let it go. From another
 * thread the close is deferred to the loop thread. Accepts NULL.
 * Thread: any.  Since: 1.1 */
ACORE_API void acore_udp_unref(acore_udp_t *u);

/* acore_udp_close() - close the socket: pending receives and sends
 * complete cancelled (message "closed"), the file descriptor is closed.
 * Idempotent.
 * Returns: ACORE_OK (also when already closed); ACORE_EINVAL (NULL);
 *          ACORE_EWRONGTHREAD.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_udp_close(acore_udp_t *u);

/* acore_udp_connect() - connect to `host`:`port` (no packet is sent): sends
 * without an address go there, and only its datagrams are received.
 * `host` NULL (port ignored) disconnects.
 * Returns: ACORE_OK; ACORE_EINVAL (u NULL, host not a numeric address,
 *          port outside 1..65535); ACORE_ECLOSED; a libuv error mapped
 *          (ACORE_EAFNOSUPPORT for an address of the other family, ...).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_udp_connect(acore_udp_t *u, const char *host, int port);

/* acore_udp_send() - send `len` bytes at `data` (copied) as one datagram
 * to `host`:`port`, or to the connected peer when `host` is NULL (port
 * ignored). The future's int result is `len` once the kernel took it.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (u or out
 *          NULL, data NULL with len > 0, len > INT32_MAX, a bad address or
 *          port outside 1..65535, an address given to a connected socket);
 *          ACORE_ENOTCONN (host NULL and not connected); ACORE_ENOMEM;
 *          ACORE_ECLOSED. The future fails with the send's error
 *          (ACORE_EMSGSIZE: too long for a datagram).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_udp_send(acore_udp_t *u, const void *data, size_t len,
                             const char *host, int port,
                             acore_future_t **out);

/* acore_udp_recv() - receive the next datagram into `buf` (at most `cap`
 * bytes; longer datagrams are cut). The future's int result is the
 * number of bytes written (0 for an empty datagram);
 * acore_udp_recv_address() gives the sender.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (u, buf or
 *          out NULL, cap 0 or > INT32_MAX); ACORE_ENOMEM; ACORE_ECLOSED.
 *          The future fails with a receive error (ACORE_ECONNREFUSED on a
 *          connected socket whose peer has no socket there, ...).
 * Owns: `buf` stays the caller's; it must stay valid until the future is
 *       done or its last reference is dropped.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_udp_recv(acore_udp_t *u, void *buf, size_t cap,
                             acore_future_t **out);

/* acore_udp_recv_bytes() - receive the next datagram as a bytes result
 * (acore_future_result_bytes) of at most `max` bytes (longer datagrams are
 * cut); the buffer is allocated now, so receiving allocates nothing.
 * Returns: as acore_udp_recv (EINVAL: max 0 or > 65536).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_udp_recv_bytes(acore_udp_t *u, size_t max,
                                   acore_future_t **out);

/* acore_udp_recv_address() - the sender of the datagram a receive future
 * (acore_udp_recv or _recv_bytes) got: its numeric address into `host`
 * (`cap` bytes; ACORE_ADDRESS_MAX always suffices) and its port into
 * *port (port may be NULL).
 * Returns: ACORE_OK; ACORE_EINVAL (fut or host NULL, fut not a receive
 *          future, cap too small for the address); ACORE_EINVALIDSTATE
 *          (the future has no result: pending, failed or cancelled).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_udp_recv_address(acore_future_t *fut, char *host,
                                     size_t cap, int *port);

/* acore_udp_local_address() - the address and port the socket is bound to
 * (the port the system chose for port 0), as acore_udp_recv_address.
 * Returns: ACORE_OK; ACORE_EINVAL (u or host NULL, cap too small);
 *          ACORE_ECLOSED.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_udp_local_address(acore_udp_t *u, char *host,
                                      size_t cap, int *port);

/* acore_udp_peer_address() - the connected peer's address and port.
 * Returns: ACORE_OK; ACORE_EINVAL (u or host NULL, cap too small);
 *          ACORE_ENOTCONN (not connected); ACORE_ECLOSED.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_udp_peer_address(acore_udp_t *u, char *host,
                                     size_t cap, int *port);

#ifdef __cplusplus
}
#endif

#endif /* ACORE_UDP_H */
