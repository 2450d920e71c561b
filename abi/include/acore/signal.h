/* SPDX-License-Identifier: MIT */
/*
 * acore/signal.h - POSIX signals on the loop thread: a future for the next
 * delivery of a signal, and a handler called for every delivery (asyncio's
 * loop.add_signal_handler()).
 *
 *   acore_future_t *fut;
 *   acore_signal_wait(loop, SIGTERM, &fut);   ... a task awaits fut ...
 *
 * The real signal handler is libuv's: it only records the signal, and the
 * futures and handlers are completed or called later, on the loop thread,
 * where any acore function may be used. Every future and handler of a
 * signal sees each delivery (several may watch one signal; deliveries that
 * arrive while the loop is busy are counted, not merged). While anything of
 * acore (or libuv) watches a signal its disposition is libuv's handler;
 * when the last one stops, libuv restores the default disposition
 * (SIG_DFL), whatever it was before.
 *
 * A future or handler keeps acore_loop_run() running, like a libuv handle.
 * Loop close cancels the pending futures and closes the handlers (their
 * `ud_free` runs then).
 */
#ifndef ACORE_SIGNAL_H
#define ACORE_SIGNAL_H

#include "../acore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* acore_signal_wait() - a future that completes at the next delivery of
 * `signum` to the process, with the signal number as its int result.
 * Cancelling it stops watching.
 * Returns:  ACORE_OK and a new future in *out; ACORE_EINVAL (loop or out
 *           NULL, signum not a signal that can be caught: <= 0, >= NSIG,
 *           SIGKILL, SIGSTOP); ACORE_ECLOSED; ACORE_EWRONGTHREAD;
 *           ACORE_ENOMEM.
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API int acore_signal_wait(acore_loop_t *loop, int signum,
                                acore_future_t **out);

/* A signal handler of the loop. Reference counted; closed explicitly. */
typedef struct acore_signal acore_signal_t;

/* A handler's callback: once per delivery of its signal, on the loop
 * thread, in the loop's I/O phase (never inside an acore call, never in
 * the real signal handler). It may close its handler. */
typedef void (*acore_signal_fn)(acore_signal_t *sig, int signum, void *ud);

/* acore_signal_new() - call `fn` on every delivery of `signum` until the
 * handler is closed.
 * Returns:  ACORE_OK and a new handler in *out; ACORE_EINVAL (loop, fn or
 *           out NULL, signum as acore_signal_wait()); ACORE_ECLOSED;
 *           ACORE_EWRONGTHREAD; ACORE_ENOMEM.
 * Owns:     `ud`: `ud_free(ud)` runs once, on the loop thread, after the
 *           last call of `fn`: when the handler is closed (by
 *           acore_signal_close(), its last unref, or loop close), and also
 *           when this call fails.
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API int acore_signal_new(acore_loop_t *loop, int signum,
                               acore_signal_fn fn, void *ud,
                               acore_free_fn ud_free, acore_signal_t **out);

/* acore_signal_signum() - the handler's signal; -1 for NULL.
 * Thread:   any.                          Since: 1.1
 */
ACORE_API int acore_signal_signum(const acore_signal_t *sig);

/* acore_signal_close() - stop handling: `fn` is never called again and
 * `ud_free(ud)` runs before this returns. Idempotent.
 * Returns:  ACORE_OK (also when already closed, or its loop is);
 *           ACORE_EINVAL (sig NULL); ACORE_EWRONGTHREAD.
 * Thread:   loop thread only.             Since: 1.1
 */
ACORE_API int acore_signal_close(acore_signal_t *sig);

/* acore_signal_ref() - a new reference to `sig` (returns `sig`; NULL for
 * NULL).  Thread: any.                   Since: 1.1 */
ACORE_API acore_signal_t *acore_signal_ref(acore_signal_t *sig);

/* acore_signal_unref() - drop a reference. The last one closes the handler
 * if it is still open (on the loop thread: deferred there when dropped
 * elsewhere) and frees it. Accepts NULL.
 * Thread:   any.                          Since: 1.1
 */
ACORE_API void acore_signal_unref(acore_signal_t *sig);

#ifdef __cplusplus
}
#endif

#endif /* ACORE_SIGNAL_H */
