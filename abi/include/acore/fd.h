/* SPDX-License-Identifier: MIT */
/*
 * acore/fd.h - readiness of any file descriptor: a future that completes
 * when an fd is readable or writable, and a watcher handle with a callback
 * and an interest set that may change at any time.
 *
 * This is how a C library with its own fd-based asynchronous API (libcurl's
 * multi-socket interface, libpq, c-ares, ...) runs on acore's loop: the
 * library names the sockets it wants watched and for what, acore calls back
 * when they are ready, and the library's timer becomes an acore timer. See
 * examples/curl_multi.c.
 *
 *   acore_future_t *fut;
 *   acore_fd_readable(loop, fd, &fut);  ... a task awaits fut ...
 *   (result: ACORE_FD_READABLE, with ACORE_FD_ERROR on an error condition)
 *
 * The fd stays the caller's: acore never reads, writes or closes it, and
 * it must be a pollable one (a socket, a pipe, a tty, an eventfd; a regular
 * file is refused with ACORE_EPERM). Any number of futures and watchers may
 * wait on one fd at once; acore keeps one registration with the kernel per
 * loop and fd and wakes each of them. Readiness is level-triggered: a
 * readable future made again before the data is read completes again.
 *
 * Close the watcher (or cancel the futures) before closing the fd, as with
 * libuv and asyncio's remove_reader(). An fd closed while watched is no
 * longer reported by the kernel: its waiters stay pending until cancelled,
 * and when acore next changes what it watches on that fd number (a new
 * future or watcher, a changed interest) it notices: the pending futures
 * fail with ACORE_EBADF and the watchers get a callback with ACORE_FD_ERROR;
 * the new call then watches whatever the number now refers to, or fails
 * with ACORE_EBADF if nothing. Closing the fd between a call and the next
 * loop iteration, before acore has registered it, is undefined (libuv
 * aborts).
 *
 * Loop close cancels the pending futures and closes the watchers (their
 * `ud_free` runs then).
 */
#ifndef ACORE_FD_H
#define ACORE_FD_H

#include "../acore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Readiness events: what to watch (interest) and what was seen. */
enum {
  ACORE_FD_READABLE = 1, /* data (or end of file) can be read */
  ACORE_FD_WRITABLE = 2, /* a write would not block */
  ACORE_FD_ERROR = 4     /* seen only: an error condition or hang-up on the
                            fd (the next read or write reports it) */
};

/* acore_fd_readable() - a future that completes when `fd` is readable.
 *
 * The future's int result is the events seen: ACORE_FD_READABLE, plus
 * ACORE_FD_ERROR on an error condition. Cancelling it stops the watching
 * (the fd is unwatched when nothing else waits on it). It fails with
 * ACORE_EBADF if the fd is found closed meanwhile (see above); it is
 * cancelled at loop close.
 * Returns:  ACORE_OK and a new future in *out; ACORE_EINVAL (loop or out
 *           NULL, fd < 0); ACORE_EBADF (not an open fd); ACORE_EPERM (an
 *           fd that cannot be polled, e.g. a regular file); ACORE_ECLOSED
 *           (loop closed); ACORE_EWRONGTHREAD; ACORE_ENOMEM.
 * Owns:     the fd stays the caller's.
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API int acore_fd_readable(acore_loop_t *loop, int fd,
                                acore_future_t **out);

/* acore_fd_writable() - a future that completes when `fd` is writable.
 * As acore_fd_readable(), with ACORE_FD_WRITABLE.
 * Returns:  as acore_fd_readable().
 * Owns:     the fd stays the caller's.
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API int acore_fd_writable(acore_loop_t *loop, int fd,
                                acore_future_t **out);

/* ------------------------------------------------------------------------ */
/* Watchers                                                                  */
/* ------------------------------------------------------------------------ */

/* A watcher: a callback called each loop iteration in which its fd is ready
 * for an event of its interest set (level-triggered, as asyncio's
 * add_reader/add_writer). Reference counted; closed explicitly. */
typedef struct acore_fd_watcher acore_fd_watcher_t;

/* A watcher's callback: `events` is what was seen (ACORE_FD_READABLE,
 * ACORE_FD_WRITABLE, ACORE_FD_ERROR), never 0. It runs on the loop thread,
 * in the loop's I/O phase (never inside an acore call) and may call any
 * loop-thread function, including acore_fd_watcher_set_events() and
 * acore_fd_watcher_close() on this or any other watcher. */
typedef void (*acore_fd_fn)(acore_fd_watcher_t *w, int fd, unsigned events,
                            void *ud);

/* acore_fd_watcher_new() - watch `fd` for `events` (ACORE_FD_READABLE |
 * ACORE_FD_WRITABLE; 0: nothing yet) and call `fn` when it is ready.
 *
 * A watcher with a non-empty interest set keeps acore_loop_run() running,
 * like a libuv handle.
 * Returns:  ACORE_OK and a new watcher in *out; ACORE_EINVAL (loop, fn or
 *           out NULL, fd < 0, unknown event bits); ACORE_EBADF; ACORE_EPERM;
 *           ACORE_ECLOSED; ACORE_EWRONGTHREAD; ACORE_ENOMEM.
 * Owns:     `ud`: `ud_free(ud)` runs once, on the loop thread, after the
 *           last call of `fn`: when the watcher is closed (by
 *           acore_fd_watcher_close(), its last unref, or loop close), and
 *           also when this call fails. The fd stays the caller's.
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API int acore_fd_watcher_new(acore_loop_t *loop, int fd,
                                   unsigned events, acore_fd_fn fn, void *ud,
                                   acore_free_fn ud_free,
                                   acore_fd_watcher_t **out);

/* acore_fd_watcher_set_events() - change the interest set (0 pauses the
 * watcher without closing it). Takes effect before the next poll of the
 * loop: a callback already under way this iteration still sees the old set.
 * Returns:  ACORE_OK; ACORE_EINVAL (w NULL, unknown bits); ACORE_ECLOSED
 *           (watcher or loop closed); ACORE_EBADF (the fd was closed: the
 *           watcher is left paused); ACORE_EWRONGTHREAD; ACORE_ENOMEM.
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API int acore_fd_watcher_set_events(acore_fd_watcher_t *w,
                                          unsigned events);

/* acore_fd_watcher_events() - the interest set; 0 for NULL or closed.
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API unsigned acore_fd_watcher_events(const acore_fd_watcher_t *w);

/* acore_fd_watcher_fd() - the watched fd; -1 for NULL.
 * Thread:   any.                          Since: 1.1
 */
ACORE_API int acore_fd_watcher_fd(const acore_fd_watcher_t *w);

/* acore_fd_watcher_close() - stop watching for good: `fn` is never called
 * again (also not later in the iteration under way) and `ud_free(ud)` runs
 * before this returns. Idempotent.
 * Returns:  ACORE_OK (also when already closed, or its loop is);
 *           ACORE_EINVAL (w NULL); ACORE_EWRONGTHREAD.
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API int acore_fd_watcher_close(acore_fd_watcher_t *w);

/* acore_fd_watcher_ref() - a new reference to `w` (returns `w`; NULL for
 * NULL).  Thread: any.                   Since: 1.1 */
ACORE_API acore_fd_watcher_t *acore_fd_watcher_ref(acore_fd_watcher_t *w);

/* acore_fd_watcher_unref() - drop a reference. The last one closes the
 * watcher if it is still open (on the loop thread: deferred there when
 * dropped elsewhere) and frees it. Accepts NULL.
 * Thread:   any.                          Since: 1.1
 */
ACORE_API void acore_fd_watcher_unref(acore_fd_watcher_t *w);

#ifdef __cplusplus
}
#endif

#endif /* ACORE_FD_H */
