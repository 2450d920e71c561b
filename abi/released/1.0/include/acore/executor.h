/* SPDX-License-Identifier: MIT */
/*
 * acore/executor.h - an executor: acore's own pool of worker threads for
 * blocking work, and the thread-safe completion of futures.
 *
 * An executor is an object the caller owns: created with a number of
 * workers, resizable at run time, with statistics, shut down explicitly.
 * acore_run_in_executor() hands a work function to it and returns a future
 * that completes on the loop thread with what the work produced. One
 * executor may serve several loops; every job remembers its loop.
 *
 *   static int hash_file(acore_work_t *w, void *ud) {
 *     uint64_t h = 0;
 *     ... read the file named by ud, polling acore_work_is_cancelled(w) ...
 *     return acore_work_set_int(w, (int64_t)h);
 *   }
 *   acore_future_t *fut;
 *   acore_run_in_executor(loop, ex, hash_file, strdup(path), free, &fut);
 *   ... a task awaits fut, or acore_loop_run_until_complete(loop, fut) ...
 *
 * Workers start when work is waiting and none is idle, up to the maximum;
 * workers above the minimum leave after an idle timeout. At no moment do
 * more jobs run than the maximum in effect (also while it is changed).
 *
 * Cancellation: cancelling the future of a job that has not started yet
 * guarantees the work function never runs (its `ud_free` runs at once, on
 * the loop thread). Cancelling it while it runs completes the future as
 * cancelled at once and raises the job's cancellation token, which the
 * work may poll with acore_work_is_cancelled(); whatever it still produces is
 * freed by acore.
 *
 * Closing a loop cancels its jobs that have not started (they never run)
 * and the futures of its running jobs; it does not wait for running work.
 * What such work produces later is freed on the worker thread, and the
 * job's `ud_free` then runs there too, the one exception to "ud_free runs
 * on the loop thread". To wait for the work instead, shut the executor
 * down with ACORE_EXECUTOR_WAIT before closing the loop.
 */
#ifndef ACORE_EXECUTOR_H
#define ACORE_EXECUTOR_H

#include "../acore.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct acore_executor acore_executor_t;
typedef struct acore_executor_options acore_executor_options_t;

/* One job, as seen by its work function. Valid only inside the call of
 * the work function it is passed to. */
typedef struct acore_work acore_work_t;

/* A work function: runs once on a worker thread with the job and the `ud`
 * given to acore_run_in_executor(). It sets the job's result with one of
 * the acore_work_set_*() calls and returns ACORE_OK; or returns a negative
 * ACORE_E* code, and the future fails with that code (unless an error was
 * set, which is kept; a value set is freed); ACORE_ECANCELLED completes the
 * future as cancelled. Returning ACORE_OK with nothing set gives a NULL
 * pointer result. A positive return counts as ACORE_OK. */
typedef int (*acore_work_fn)(acore_work_t *work, void *ud);

/* The largest number of workers an executor may have. */
#define ACORE_EXECUTOR_MAX_WORKERS 1024

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

/* acore_executor_options_new() - options with the defaults: at most
 * min(32, CPUs + 4) workers, none kept when idle (min 0), an idle timeout
 * of 10 s, the system's thread stack size.
 * Returns: ACORE_OK and the options in *out (free with
 *          acore_executor_options_free); ACORE_EINVAL (out NULL);
 *          ACORE_ENOMEM.
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_executor_options_new(acore_executor_options_t **out);

/* acore_executor_options_free() - free options. Accepts NULL.
 * Thread: any.  Since: 0.1 */
ACORE_API void acore_executor_options_free(acore_executor_options_t *opts);

/* acore_executor_options_set_max_workers() - at most `n` jobs run at once,
 * on at most `n` threads.
 * Returns: ACORE_OK; ACORE_EINVAL (opts NULL, n 0 or above
 *          ACORE_EXECUTOR_MAX_WORKERS).
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_executor_options_set_max_workers(
    acore_executor_options_t *opts, unsigned n);

/* acore_executor_options_set_min_workers() - `n` workers start with the
 * executor and never leave for being idle. acore_executor_new() refuses a
 * minimum above the maximum.
 * Returns: ACORE_OK; ACORE_EINVAL (opts NULL, n above
 *          ACORE_EXECUTOR_MAX_WORKERS).
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_executor_options_set_min_workers(
    acore_executor_options_t *opts, unsigned n);

/* acore_executor_options_set_idle_timeout() - a worker above the minimum
 * that found no work for `seconds` leaves. 0 means at once; INFINITY means
 * never.
 * Returns: ACORE_OK; ACORE_EINVAL (opts NULL, seconds < 0 or NaN).
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_executor_options_set_idle_timeout(
    acore_executor_options_t *opts, double seconds);

/* acore_executor_options_set_stack_size() - the stack size of each worker
 * thread in bytes; 0 means the system's default.
 * Returns: ACORE_OK; ACORE_EINVAL (opts NULL).
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_executor_options_set_stack_size(
    acore_executor_options_t *opts, size_t bytes);

/* What a worker hook is told (acore_worker_fn's `phase`). */
enum {
  ACORE_WORKER_START = 1, /* a worker thread starts, before its first job */
  ACORE_WORKER_STOP = 2   /* it leaves, after its last job */
};

/* A worker hook: called on the worker thread itself. */
typedef void (*acore_worker_fn)(int phase, void *ud);

/* acore_executor_options_set_worker_hook() - call fn(ACORE_WORKER_START,
 * ud) on each worker thread of executors made from these options before
 * it runs any job, and fn(ACORE_WORKER_STOP, ud) as the last thing it does
 * before the thread ends (a host VM attaches and detaches its threads
 * there). Both run with no acore lock held; the hook must not wait for the
 * executor (no acore_executor_shutdown with ACORE_EXECUTOR_WAIT, no last
 * unref). NULL `fn` removes the hook.
 * Returns: ACORE_OK; ACORE_EINVAL (opts NULL).
 * Owns: nothing: `ud` is borrowed and must stay valid while such an
 *       executor has threads (until acore_executor_shutdown() with
 *       ACORE_EXECUTOR_WAIT, or its last unref, returns). Options are
 *       copied by acore_executor_new(), so one `ud` serves several
 *       executors.
 * Thread: any.  Since: 1.0 */
ACORE_API int acore_executor_options_set_worker_hook(
    acore_executor_options_t *opts, acore_worker_fn fn, void *ud);

/* ------------------------------------------------------------------------ */
/* Executor                                                                  */
/* ------------------------------------------------------------------------ */

/* Statistics (acore_executor_stat). */
enum {
  ACORE_EXECUTOR_STAT_QUEUED = 1,     /* jobs waiting for a worker */
  ACORE_EXECUTOR_STAT_RUNNING = 2,    /* jobs running now */
  ACORE_EXECUTOR_STAT_IDLE = 3,       /* workers not running a job */
  ACORE_EXECUTOR_STAT_WORKERS = 4,    /* worker threads alive */
  ACORE_EXECUTOR_STAT_COMPLETED = 5,  /* work functions that returned */
  ACORE_EXECUTOR_STAT_CANCELLED = 6,  /* jobs dropped before they started */
  ACORE_EXECUTOR_STAT_MAX_WORKERS = 7 /* the maximum in effect */
};

/* Flags of acore_executor_shutdown(). */
enum {
  /* Return only once every job has finished and every worker thread has
   * been joined. */
  ACORE_EXECUTOR_WAIT = 1u << 0,
  /* Jobs that have not started never run: their futures are cancelled
   * (on their loops' threads, where their `ud_free` runs). */
  ACORE_EXECUTOR_CANCEL_PENDING = 1u << 1
};

/* acore_executor_new() - make an executor. `opts` may be NULL for the
 * defaults; it is only read. The minimum number of workers starts now.
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL (out NULL,
 *          min workers above max); ACORE_ENOMEM; ACORE_EIO (a thread could
 *          not be started).
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_executor_new(const acore_executor_options_t *opts,
                                 acore_executor_t **out);

/* acore_executor_ref() - take a reference. Returns `ex` (NULL for NULL).
 * Thread: any.  Since: 0.1 */
ACORE_API acore_executor_t *acore_executor_ref(acore_executor_t *ex);

/* acore_executor_unref() - drop a reference. Every job not yet delivered
 * holds one, so the executor outlives its work. At the last reference the
 * executor shuts down and its (then idle) workers are joined; dropped on
 * one of its own workers, that worker leaves last and frees it. Accepts
 * NULL.  Thread: any.  Since: 0.1 */
ACORE_API void acore_executor_unref(acore_executor_t *ex);

/* acore_executor_set_max_workers() - change the maximum at run time.
 * Growing starts workers for waiting jobs at once; shrinking lets running
 * jobs finish, starts no job while the new maximum is reached, and retires
 * the workers above it as they become free. A minimum above `n` is
 * lowered to `n`.
 * Returns: ACORE_OK; ACORE_EINVAL (ex NULL, n 0 or above
 *          ACORE_EXECUTOR_MAX_WORKERS); ACORE_ECLOSED (shut down).
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_executor_set_max_workers(acore_executor_t *ex,
                                             unsigned n);

/* acore_executor_stat() - one statistic, ACORE_EXECUTOR_STAT_*, read at
 * once under the executor's lock.
 * Returns: the value (>= 0); ACORE_EINVAL (ex NULL, unknown `which`).
 * Thread: any.  Since: 0.1 */
ACORE_API int64_t acore_executor_stat(acore_executor_t *ex, int which);

/* acore_executor_shutdown() - stop taking work: acore_run_in_executor()
 * returns ACORE_ECLOSED from now on. Jobs already queued still run unless
 * ACORE_EXECUTOR_CANCEL_PENDING; the workers leave once the queue is
 * empty. With ACORE_EXECUTOR_WAIT, returns only when all of that is over
 * (the loops need not run meanwhile: the futures complete when they do).
 * Calling it again is harmless.
 * Returns: ACORE_OK; ACORE_EINVAL (ex NULL, unknown flags);
 *          ACORE_EWRONGTHREAD (ACORE_EXECUTOR_WAIT from one of the
 *          executor's own work functions, which would wait for itself).
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_executor_shutdown(acore_executor_t *ex, unsigned flags);

/* ------------------------------------------------------------------------ */
/* Running work                                                              */
/* ------------------------------------------------------------------------ */

/* acore_run_in_executor() - run fn(work, ud) on a worker of `ex` (NULL:
 * the loop's default executor, made on first use and shut down when the
 * loop closes). The future completes on the loop thread with what the
 * work produced (see acore_work_fn); only the job completes it (the
 * public setters return ACORE_EINVAL for it), but it can be cancelled.
 * `out` may be NULL (fire and forget: an error nobody retrieved is still
 * reported). While a job is in flight the loop keeps running.
 * Returns: ACORE_OK (and a new reference in *out); ACORE_EINVAL (loop or
 *          fn NULL); ACORE_ENOMEM; ACORE_ECLOSED (the loop is closed or
 *          the executor shut down); ACORE_EIO (no worker could start).
 * Owns: `ud`: `ud_free(ud)` runs once, on the loop thread, after fn
 *       returned or once it is certain never to run (also when this call
 *       fails) - except for work still running when the loop closes (see
 *       the top of this header).
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_run_in_executor(acore_loop_t *loop, acore_executor_t *ex,
                                    acore_work_fn fn, void *ud,
                                    acore_free_fn ud_free,
                                    acore_future_t **out);

/* acore_loop_default_executor() - the loop's default executor (made now
 * with the default options if it does not exist yet). One the loop made
 * itself is shut down when the loop closes: a reference kept past the
 * close sees ACORE_ECLOSED from acore_run_in_executor().
 * Returns: ACORE_OK and a new reference in *out; ACORE_EINVAL;
 *          ACORE_ENOMEM; ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_loop_default_executor(acore_loop_t *loop,
                                          acore_executor_t **out);

/* acore_loop_set_default_executor() - use `ex` (the loop takes a
 * reference) when acore_run_in_executor() is given NULL. One the loop made
 * itself and is replaced is shut down (its queued jobs still run). The
 * loop only drops its reference to an executor it was given, at close.
 * Returns: ACORE_OK; ACORE_EINVAL (loop or ex NULL); ACORE_ENOMEM;
 *          ACORE_ECLOSED.
 * Thread: loop.  Since: 0.1 */
ACORE_API int acore_loop_set_default_executor(acore_loop_t *loop,
                                              acore_executor_t *ex);

/* acore_work_set_result() - the job's result: a pointer and its destructor
 * (as acore_future_set_result; `value_free` runs on the loop thread, or on
 * the worker when the result is never delivered).
 * acore_work_set_int() / _set_double() - a number.
 * acore_work_set_bytes() - a copy of `len` bytes at `data` (NULL allowed
 * when len is 0).
 * Returns: ACORE_OK; ACORE_EINVAL (work NULL; bytes: data NULL with
 *          len > 0); ACORE_EINVALIDSTATE (a result or error was already
 *          set); ACORE_ENOMEM (bytes).
 * Owns: `value` passes to the job on ACORE_OK only.
 * Thread: the worker running the job (inside its work function).
 * Since: 0.1 */
ACORE_API int acore_work_set_result(acore_work_t *work, void *value,
                                    acore_free_fn value_free);
ACORE_API int acore_work_set_int(acore_work_t *work, int64_t value);
ACORE_API int acore_work_set_double(acore_work_t *work, double value);
ACORE_API int acore_work_set_bytes(acore_work_t *work, const void *data,
                                   size_t len);

/* acore_work_set_error() - the job fails with `err` (a reference is taken;
 * a binding passes its exception as the error's payload).
 * acore_work_set_error_code() - the same with a new error.
 * Returns: ACORE_OK; ACORE_EINVAL (NULL, code >= 0);
 *          ACORE_EINVALIDSTATE (already set); ACORE_ENOMEM.
 * Thread: the worker running the job.  Since: 0.1 */
ACORE_API int acore_work_set_error(acore_work_t *work, acore_error_t *err);
ACORE_API int acore_work_set_error_code(acore_work_t *work, int code,
                                        const char *message);

/* acore_work_is_cancelled() - the cancellation token: 1 once the job's future
 * was cancelled (also by the close of its loop), else 0; ACORE_EINVAL for
 * NULL. One relaxed atomic load: poll it in loops.
 * Thread: the worker running the job.  Since: 0.1 */
ACORE_API int acore_work_is_cancelled(const acore_work_t *work);

/* acore_work_loop() - the loop the job's future belongs to, borrowed (for
 * acore_loop_call_soon_threadsafe); NULL for NULL.
 * Thread: the worker running the job.  Since: 0.1 */
ACORE_API acore_loop_t *acore_work_loop(const acore_work_t *work);

/* ------------------------------------------------------------------------ */
/* Thread-safe completion of a future                                        */
/* ------------------------------------------------------------------------ */

/*
 * From any thread (a user's own thread, a worker, the loop thread), ask
 * the loop to complete `fut`. The completion is queued and applied on the
 * loop thread in a later iteration, in the order calls from one thread
 * were made; done callbacks run as usual. ACORE_OK means "queued", not
 * "completed": if `fut` is already done when the request is applied, or
 * it is a task or a future only its producer may complete (an executor
 * job's, a semaphore's), the request is ignored and its value freed on the
 * loop thread. If the loop closes before applying it, the value is freed
 * on the loop thread during the close. The loop does not wait for
 * requests that were not made yet: keep it running with acore_loop_hold()
 * while another thread still has to complete one of its futures.
 */

/* acore_future_set_result_threadsafe() - queue "complete with `value`".
 * Returns: ACORE_OK; ACORE_EINVAL (fut NULL); ACORE_ENOMEM;
 *          ACORE_ECLOSED (the loop is closed); ACORE_EAGAIN (the loop's
 *          bound of waiting thread-safe calls is reached, see
 *          acore_loop_options_set_threadsafe_limit).
 * Owns: `value` passes to acore on ACORE_OK only; on error the caller
 *       keeps it.  Thread: any.  Since: 0.1 */
ACORE_API int acore_future_set_result_threadsafe(acore_future_t *fut,
                                                 void *value,
                                                 acore_free_fn value_free);

/* acore_future_set_int_threadsafe() / _set_double_threadsafe() /
 * _set_bytes_threadsafe() (copies the bytes now).
 * Returns: as acore_future_set_result_threadsafe; ACORE_EINVAL (bytes:
 *          data NULL with len > 0).  Thread: any.  Since: 0.1 */
ACORE_API int acore_future_set_int_threadsafe(acore_future_t *fut,
                                              int64_t value);
ACORE_API int acore_future_set_double_threadsafe(acore_future_t *fut,
                                                 double value);
ACORE_API int acore_future_set_bytes_threadsafe(acore_future_t *fut,
                                                const void *data, size_t len);

/* acore_future_set_error_threadsafe() - queue "fail with `err`" (a
 * reference is taken now).
 * acore_future_set_error_code_threadsafe() - the same with a new error.
 * Returns: as acore_future_set_result_threadsafe; ACORE_EINVAL (err NULL,
 *          code >= 0).  Thread: any.  Since: 0.1 */
ACORE_API int acore_future_set_error_threadsafe(acore_future_t *fut,
                                                acore_error_t *err);
ACORE_API int acore_future_set_error_code_threadsafe(acore_future_t *fut,
                                                     int code,
                                                     const char *message);

/* acore_future_cancel_threadsafe() - queue acore_future_cancel(fut,
 * message) (message copied now; may be NULL). Works for every future:
 * a task is asked to cancel, an executor job's token is raised.
 * Returns: as acore_future_set_result_threadsafe.
 * Thread: any.  Since: 0.1 */
ACORE_API int acore_future_cancel_threadsafe(acore_future_t *fut,
                                             const char *message);

#ifdef __cplusplus
}
#endif

#endif /* ACORE_EXECUTOR_H */
