/* SPDX-License-Identifier: MIT */
/*
 * acore/stream.h - connected byte streams (TCP, Unix-domain sockets,
 * pipes) and listeners, with every operation a future.
 *
 *   acore_future_t *c, *r;
 *   acore_stream_t *s;
 *   char buf[4096];
 *   acore_tcp_connect(loop, "127.0.0.1", 8080, &c);
 *   ... await c (a task, or acore_loop_run_until_complete) ...
 *   acore_stream_from_future(c, &s);          a new reference
 *   acore_stream_write(s, "ping", 4, &w);     completes when in the kernel
 *   acore_stream_read(s, buf, sizeof buf, &r); int result: bytes, 0 at EOF
 *   acore_stream_close(s);
 *   acore_stream_unref(s);
 *
 * One type, acore_stream_t, serves TCP and Unix-domain / pipe streams, so
 * code that reads and writes does not care which. acore_server_t is a
 * listener; each acore_server_accept() future gives one connection.
 *
 * Futures: every operation returns ACORE_OK and a new future in *out, or
 * an error with nothing done. The call itself fails only for bad input
 * (ACORE_EINVAL), a closed stream or loop (ACORE_ECLOSED), a busy stream
 * (ACORE_EBUSY), the wrong thread (ACORE_EWRONGTHREAD) or memory
 * (ACORE_ENOMEM); what the network says (ACORE_ECONNREFUSED,
 * ACORE_ECONNRESET, ACORE_EPIPE, ...: docs/errors.md) fails the future,
 * with an error object whose message reads "<op>: <text> (<libuv name>)".
 *
 * Cancellation: cancelling an operation's future stops the operation: a
 * read stops reading (no byte is lost: bytes a read_exactly had already
 * received are kept for the next read), a connect closes its socket, an
 * accept leaves the connection for the next accept. A write or shutdown
 * already handed to libuv cannot be taken back: cancelling its future
 * completes the future, and the bytes are still written in order.
 * Dropping the last reference to a pending operation's future cancels it.
 *
 * Close: acore_stream_close() / acore_server_close() is idempotent; it
 * completes every pending operation of the object as cancelled (message
 * "closed") and later calls return ACORE_ECLOSED. The last reference
 * closes the object too. acore_loop_close() closes every stream and
 * server of the loop (an object that outlives its loop is a closed object).
 *
 * SIGPIPE: the first stream or server made sets SIGPIPE to ignored if the
 * process left it at its default (as Python does), so a write to a closed
 * peer fails with ACORE_EPIPE instead of killing the process.
 *
 * Thread: everything here is loop-thread only, except _ref and _unref
 * (any thread).  Since: 1.1 for all.
 */
#ifndef ACORE_STREAM_H
#define ACORE_STREAM_H

#include "../acore.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ACORE_STREAM_T_DECLARED /* acore/process.h declares it too */
#define ACORE_STREAM_T_DECLARED
typedef struct acore_stream acore_stream_t;
#endif
typedef struct acore_server acore_server_t;

/* Flags of acore_tcp_listen(). */
enum {
  ACORE_LISTEN_IPV6ONLY = 1u << 0 /* an IPv6 listener takes no IPv4 */
};

/* ------------------------------------------------------------------------ */
/* TCP                                                                       */
/* ------------------------------------------------------------------------ */

/* acore_tcp_connect() - connect to `host`:`port`. `host` is a numeric
 * IPv4 or IPv6 address ("127.0.0.1", "::1"), or a host name
 * ("localhost"): then its addresses are looked up (acore_getaddrinfo)
 * and tried in turn until one connects. The future's result is the
 * connected stream: take it with acore_stream_from_future(). Cancelling
 * the future stops the lookup or closes the socket.
 * Returns: ACORE_OK and a new future in *out; ACORE_EINVAL (loop, host or
 *          out NULL, host neither an address nor a host name - letters,
 *          digits, '-', '_', '.', at most 253 -, port outside 1...65535);
 *          ACORE_ENOMEM; ACORE_ECLOSED.
 * Fails the future with: ACORE_ECONNREFUSED, ACORE_ETIMEDOUT,
 *          ACORE_ENETUNREACH, ... (the connect's error; for a name, the
 *          last address's), ACORE_ENONAME (the name does not resolve).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_tcp_connect(acore_loop_t *loop, const char *host, int port,
                                acore_future_t **out);

/* acore_tcp_listen() - a TCP listener bound to `host` (a numeric address;
 * "0.0.0.0" or "::" for all) and `port` (0: a free port the system picks;
 * read it with acore_server_address). `backlog` is the kernel's queue of
 * connections not yet accepted (0: 128). `flags`: ACORE_LISTEN_*.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (NULL
 *          loop, host or out, bad address, port outside 0...65535,
 *          backlog < 0, unknown flags); ACORE_EADDRINUSE;
 *          ACORE_EADDRNOTAVAIL; ACORE_EACCES; ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_tcp_listen(acore_loop_t *loop, const char *host, int port,
                               int backlog, unsigned flags,
                               acore_server_t **out);

/* ------------------------------------------------------------------------ */
/* Unix-domain sockets and pipes                                             */
/* ------------------------------------------------------------------------ */

/* acore_unix_connect() - connect to the Unix-domain stream socket at
 * `path` (shorter than 108 bytes). The future's result is the connected
 * stream (acore_stream_from_future). Cancelling it closes the socket.
 * Returns: ACORE_OK and a new future in *out; ACORE_EINVAL (NULL, empty
 *          or too long path); ACORE_ENOMEM; ACORE_ECLOSED.
 * Fails the future with: ACORE_ENOENT (no such socket),
 *          ACORE_ECONNREFUSED (nobody listens there), ACORE_EACCES, ...
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_unix_connect(acore_loop_t *loop, const char *path,
                                 acore_future_t **out);

/* acore_unix_listen() - a listener on a new Unix-domain socket at `path`
 * (shorter than 108 bytes; the file must not exist: remove a stale one
 * first). Closing the server removes the file. `backlog` as
 * acore_tcp_listen; `flags` must be 0.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (NULL, bad
 *          path, backlog < 0, flags not 0); ACORE_EADDRINUSE (the path
 *          exists); ACORE_EACCES; ACORE_ENOENT (no such directory);
 *          ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_unix_listen(acore_loop_t *loop, const char *path,
                                int backlog, unsigned flags,
                                acore_server_t **out);

/* acore_pipe_open() - a stream over the open descriptor `fd`: a pipe end,
 * a Unix-domain or TCP socket (as a byte stream without TCP options), a
 * character device. On success the stream owns `fd` (closing the stream
 * closes it); on error the caller keeps it.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (NULL,
 *          fd < 0); ACORE_EBADF; ACORE_EEXIST (fd already watched by
 *          this loop); ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_pipe_open(acore_loop_t *loop, int fd,
                              acore_stream_t **out);

/* ------------------------------------------------------------------------ */
/* Servers                                                                   */
/* ------------------------------------------------------------------------ */

/* acore_server_accept() - the next incoming connection. Accepts complete
 * in the order they were asked for. The future's result is the new
 * stream (acore_stream_from_future). Cancelling it leaves the connection
 * queued for the next accept. While no accept waits, connections wait in
 * the kernel's backlog and the server does not keep acore_loop_run()
 * running.
 * Returns: ACORE_OK and a new future in *out; ACORE_EINVAL (NULL);
 *          ACORE_ENOMEM; ACORE_ECLOSED (server or loop closed).
 * Fails the future with: ACORE_EMFILE, ... (the accept's error).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_server_accept(acore_server_t *srv, acore_future_t **out);

/* acore_server_address() - the address the server is bound to: the
 * numeric host (a Unix socket: its path) into host[cap], NUL-terminated,
 * and the port into *port (-1 for a Unix socket; port may be NULL).
 * Returns: ACORE_OK; ACORE_EINVAL (srv or host NULL, cap too small);
 *          ACORE_ECLOSED.  Thread: loop.  Since: 1.1 */
ACORE_API int acore_server_address(const acore_server_t *srv, char *host,
                                   size_t cap, int *port);

/* acore_server_close() - stop listening; pending accepts complete
 * cancelled. Idempotent. Streams already accepted stay open.
 * Returns: ACORE_OK; ACORE_EINVAL (NULL); ACORE_EWRONGTHREAD.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_server_close(acore_server_t *srv);

/* acore_server_ref() / _unref() - take / drop a reference. The last one
 * closes the server. _unref accepts NULL.
 * Thread: any.  Since: 1.1 */
ACORE_API acore_server_t *acore_server_ref(acore_server_t *srv);
ACORE_API void acore_server_unref(acore_server_t *srv);

/* ------------------------------------------------------------------------ */
/* Streams                                                                   */
/* ------------------------------------------------------------------------ */

/* acore_stream_from_future() - the stream a connect or accept future
 * completed with, as a new reference in *out (the future keeps its own).
 * Returns: ACORE_OK; ACORE_EINVAL (NULL fut or out); ACORE_ETYPE (the
 *          result is not a stream); as acore_future_result() otherwise
 *          (ACORE_EINVALIDSTATE pending, ACORE_ECANCELLED, the error's
 *          code - which marks the error retrieved).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_stream_from_future(acore_future_t *fut,
                                       acore_stream_t **out);

/* acore_stream_read() - read at least 1 and at most `len` bytes into
 * `buf`, which must stay valid until the future is done. The int result
 * is the number of bytes read; 0 at the end of the stream (the peer shut
 * down or closed its side; every later read gives 0 too). One read at a
 * time per stream.
 * Returns: ACORE_OK and a new future in *out; ACORE_EINVAL (NULL, len 0
 *          or above INT32_MAX); ACORE_EBUSY (a read is pending);
 *          ACORE_ENOMEM; ACORE_ECLOSED.
 * Fails the future with: ACORE_ECONNRESET, ... (the read's error; later
 *          reads fail with the same code).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_stream_read(acore_stream_t *s, void *buf, size_t len,
                                acore_future_t **out);

/* acore_stream_read_exactly() - read exactly `len` bytes into `buf`
 * (asyncio's readexactly). The int result is `len`. If the stream ends
 * first the future fails with ACORE_EOF (the bytes that came are lost).
 * Returns and fails: as acore_stream_read.  Thread: loop.  Since: 1.1 */
ACORE_API int acore_stream_read_exactly(acore_stream_t *s, void *buf,
                                        size_t len, acore_future_t **out);

/* acore_stream_read_bytes() - read at least 1 and at most `max` bytes into
 * memory acore owns: the result is a bytes value
 * (acore_future_result_bytes), empty at the end of the stream.
 * Returns and fails: as acore_stream_read (`max` for `len`).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_stream_read_bytes(acore_stream_t *s, size_t max,
                                      acore_future_t **out);

/* acore_stream_write() - write `len` bytes from `data` (copied when not
 * written at once: the caller may reuse `data` as soon as this returns).
 * Writes go out in call order. The future (int result: `len`) completes
 * once the stream's write queue, this write included, is at most the
 * high-water mark (acore_stream_set_write_high_water; default 0): with
 * the default, when these bytes were handed to the kernel. A write error
 * fails this future, or, if it completed already, the next write's.
 * Returns: ACORE_OK and a new future in *out; ACORE_EINVAL (NULL s or out,
 *          data NULL with len > 0, len above INT32_MAX); ACORE_ENOMEM;
 *          ACORE_ECLOSED.
 * Fails the future with: ACORE_EPIPE, ACORE_ECONNRESET, ...
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_stream_write(acore_stream_t *s, const void *data,
                                 size_t len, acore_future_t **out);

/* acore_stream_write_owned() - write `len` bytes from `data` without
 * copying them: the stream takes the buffer and calls free_fn(ud) once
 * libuv no longer needs it (the bytes were handed to the kernel, the
 * write failed, or the stream closed first). That call happens exactly
 * once, on the loop thread, possibly before this function returns (when
 * the kernel took every byte at once); cancelling the future does not
 * bring it forward (the bytes still go out). `data` must stay valid and
 * unchanged until then. free_fn may be NULL (a static buffer, say). The
 * order, the future and the high-water mark are acore_stream_write's.
 * Returns: ACORE_OK and a new future in *out (the buffer is the stream's);
 *          on any other return nothing was taken and free_fn is not
 *          called: ACORE_EINVAL (as acore_stream_write); ACORE_ENOMEM;
 *          ACORE_ECLOSED.
 * Fails the future with: as acore_stream_write.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_stream_write_owned(acore_stream_t *s, const void *data,
                                       size_t len, acore_free_fn free_fn,
                                       void *ud, acore_future_t **out);

/* acore_stream_write_queue_size() - bytes written but not yet handed to
 * the kernel; 0 for NULL.  Thread: loop.  Since: 1.1 */
ACORE_API size_t acore_stream_write_queue_size(const acore_stream_t *s);

/* acore_stream_set_write_high_water() - the write queue size up to which
 * a write's future completes at once (buffered, as asyncio's transport
 * below its high-water mark); above it, a write's future waits until the
 * queue drained to the mark or its own bytes were written: that wait is
 * the backpressure. 0 (the default): every write waits for its bytes.
 * Returns: ACORE_OK; ACORE_EINVAL (NULL); ACORE_ECLOSED.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_stream_set_write_high_water(acore_stream_t *s,
                                                size_t bytes);

/* acore_stream_shutdown() - end the writing side once queued writes are
 * written (the peer then reads end of stream); reading goes on. The
 * future completes with no value then. Cancelling the future does not
 * stop the shutdown.
 * Returns: ACORE_OK and a new future in *out; ACORE_EINVAL (NULL);
 *          ACORE_EINVALIDSTATE (shut down already); ACORE_ENOMEM;
 *          ACORE_ECLOSED.
 * Fails the future with: ACORE_ENOTCONN, ... (the shutdown's error).
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_stream_shutdown(acore_stream_t *s, acore_future_t **out);

/* acore_stream_close() - close the stream: pending operations complete
 * cancelled (message "closed"); writes not yet written are dropped.
 * Idempotent.
 * Returns: ACORE_OK; ACORE_EINVAL (NULL); ACORE_EWRONGTHREAD.
 * Thread: loop.  Since: 1.1 */
ACORE_API int acore_stream_close(acore_stream_t *s);

/* acore_stream_ref() / _unref() - take / drop a reference. The last one
 * closes the stream. _unref accepts NULL.
 * Thread: any.  Since: 1.1 */
ACORE_API acore_stream_t *acore_stream_ref(acore_stream_t *s);
ACORE_API void acore_stream_unref(acore_stream_t *s);

/* acore_stream_loop() - the stream's loop, borrowed; NULL for NULL.
 * Thread: any.  Since: 1.1 */
ACORE_API acore_loop_t *acore_stream_loop(const acore_stream_t *s);

/* acore_stream_set_nodelay() - TCP_NODELAY on (1) or off (0).
 * acore_stream_set_keepalive() - TCP keep-alive on (1, first probe after
 * `delay` seconds of silence, delay >= 1) or off (0, delay ignored).
 * Returns: ACORE_OK; ACORE_EINVAL (NULL, on not 0/1, keep-alive delay 0);
 *          ACORE_ENOTSUP (not a TCP stream); ACORE_ECLOSED; the system's
 *          error.  Thread: loop.  Since: 1.1 */
ACORE_API int acore_stream_set_nodelay(acore_stream_t *s, int on);
ACORE_API int acore_stream_set_keepalive(acore_stream_t *s, int on,
                                         unsigned delay);

/* acore_stream_peer_address() / _local_address() - the numeric host (a
 * Unix socket: its path, possibly empty) into host[cap], NUL-terminated,
 * and the port into *port (-1 for a Unix socket; port may be NULL).
 * Returns: ACORE_OK; ACORE_EINVAL (s or host NULL, cap too small:
 *          ACORE_ADDRESS_MAX always suffices); ACORE_ENOTCONN;
 *          ACORE_ECLOSED.  Thread: loop.  Since: 1.1 */
ACORE_API int acore_stream_peer_address(const acore_stream_t *s, char *host,
                                        size_t cap, int *port);
ACORE_API int acore_stream_local_address(const acore_stream_t *s, char *host,
                                         size_t cap, int *port);

#ifdef __cplusplus
}
#endif

#endif /* ACORE_STREAM_H */
